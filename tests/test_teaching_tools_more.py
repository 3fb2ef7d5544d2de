"""The teaching tools, past tests/test_teaching_tools_cases.py: the monitor
read as curio's is typed (``w ID``, ``p``, ``parents ID``, ``signal
SIG``), the monitor's address where a user with default logging sees it,
a ``Timeline`` file that grows by what each run adds, and a text trace
whose events stay in one column however long a task's name."""

import json
import os
import re
import select
import signal
import subprocess
import sys

from test_monitor import ANYWHERE, ask, open_monitor, start_client
from test_teaching_tools_cases import display_width, subprocess_env, trace_command
from trampoline import Event, cancel, join, run, sleep, spawn, timeout_after
from trampoline.signals import SignalSet
from trampoline.trace import Timeline


# ================================================ the monitor, as curio's is typed

def parked_until(event):
    yield event.wait()


def spawns_a_child(event):
    child = yield spawn(parked_until(event), name="child")
    yield join(child)


def test_the_monitor_takes_curios_short_forms_and_parents():
    """curio's monitor reads ``p`` as ps, ``w ID`` as where, ``pa ID`` as
    parents (which ours lacked), ``h`` as help: ours answered "unknown
    command 'w'".  ``parents ID`` shows the task and each spawner above it,
    up to the main task; cancel and signal, which change the program, are
    spelled out in full, as in curio."""
    answers = {}

    def main():
        event = Event()
        parent = yield spawn(spawns_a_child(event), name="parent")
        yield sleep(0)                  # (parent runs: spawns task 3, joins it)
        sock = yield open_monitor()
        with sock:
            for line in ("help", "h", "p", "ps", "w 3", "where 3", "pa 3", "parents 3",
                         "c 3", "sig USR1"):
                answers[line] = yield ask(sock, line)
            yield cancel(parent)        # (task 3 stays, its spawner gone)
            answers["after"] = yield ask(sock, "parents 3")
            event.set()
        return parent

    run(main(), monitor=ANYWHERE)
    assert answers["h"] == answers["help"]
    for command in ("parents ID, pa", "signal SIG", "where ID, w", "ps, p"):
        assert command in answers["help"], answers["help"]
    assert answers["w 3"] == answers["where 3"]
    assert answers["w 3"].startswith("task 3 child, parked on park(a wait queue):")
    assert "in parked_until" in answers["w 3"]
    for short, full in (("p", "ps"), ("pa 3", "parents 3")):
        # (the same rows; ps's FOR column may have moved on between them)
        assert [row.split()[:3] for row in answers[short].splitlines()] == [
            row.split()[:3] for row in answers[full].splitlines()]
    rows = answers["parents 3"].splitlines()
    assert [row.split()[:3] for row in rows[:4]] == [
        ["ID", "NAME", "STATE"], ["3", "child", "parked"], ["2", "parent", "parked"],
        ["1", "main", "parked"]]
    assert rows[2].endswith("join(task 3 child)")
    assert rows[4] == ("(task 1 was not spawned by a task: run(), Kernel.spawn or another "
                       "thread started it)")
    after = answers["after"].splitlines()
    assert [row.split()[0] for row in after[:2]] == ["ID", "3"]
    assert after[2] == "(its spawner, task 2 parent, has finished)"
    for line in ("c 3", "sig USR1"):
        assert answers[line].startswith("%r: cancel and signal change the program, and are "
                                        "spelled out in full" % line.split()[0])


def test_signal_sends_the_program_a_signal_and_refuses_one_that_would_freeze_it():
    """curio's ``signal SIGNAME`` (``os.kill`` of its own process): ours had
    no such command.  Now ``signal USR1`` (or SIGUSR1, usr1, the number)
    reaches the program's handler; STOP, which would freeze the monitor with
    the program, is refused; a name that is no signal is named (curio took
    any attribute of the signal module: "signal SIG_IGN" sent signal 1)."""
    answers = {}

    def main():
        with SignalSet(signal.SIGUSR1) as signals:
            sock = yield open_monitor()
            with sock:
                for line in ("signal STOP", "signal SIG_IGN", "signal", "signal usr1"):
                    answers[line] = yield ask(sock, line)
                received = yield timeout_after(30, signals.wait())     # (a bound)
                answers["signal %d" % signal.SIGUSR1] = yield ask(
                    sock, "signal %d" % signal.SIGUSR1)
                return received, (yield timeout_after(30, signals.wait()))

    assert run(main(), monitor=ANYWHERE) == (signal.SIGUSR1, signal.SIGUSR1)
    pid = os.getpid()
    assert answers["signal usr1"].startswith(
        "sent SIGUSR1 to the program, process %d (the program's handler runs)" % pid)
    assert answers["signal %d" % signal.SIGUSR1].startswith("sent SIGUSR1 to the program")
    assert answers["signal STOP"].startswith(
        "not sent: SIGSTOP would stop the whole program, this monitor with it")
    assert answers["signal SIG_IGN"].startswith("unknown signal 'SIG_IGN'; usage: signal SIG")
    assert answers["signal"].startswith("usage: signal SIG, a signal's name or number")


WAITS_FOR_STDIN = """\
import logging, sys
from trampoline import read, run
from trampoline.traps import current_kernel

if "--info" in sys.argv:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

def main():
    if "--address" in sys.argv:
        print("%s:%d" % (yield current_kernel()).monitor.address, flush=True)
    return (yield read(sys.stdin, 100))

print("read", run(main(), monitor=("127.0.0.1", 0)))
"""


def start_monitored(tmp_path, *args):
    path = tmp_path / "monitored.py"
    path.write_text(WAITS_FOR_STDIN)
    return subprocess.Popen([sys.executable, str(path)] + list(args), env=subprocess_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def test_signal_term_answers_before_the_program_ends_by_it(tmp_path):
    """A signal that ends the program (TERM with no handler) is sent once
    its answer is: the user sees what happened before the connection goes."""
    program = start_monitored(tmp_path, "--address")
    address = program.stdout.readline().decode().strip()
    client = start_client(address)
    out, _ = client.communicate(b"signal TERM\n", timeout=60)
    program.communicate(b"not ended by the signal\n", timeout=60)
    assert ("trampoline> signal TERM\nsent SIGTERM to the program, process %d (the program "
            "has no handler for it: the system's default action)\n" % program.pid
            ) in out.decode()
    assert program.returncode == -signal.SIGTERM


def test_the_monitor_says_where_it_listens_to_a_user_with_default_logging(tmp_path):
    """The "monitor on HOST:PORT" line went to the "trampoline" logger at
    INFO, which Python's default logging never shows (curio and aiomonitor
    do the same): a user who asked for the monitor on port 0 had no way to
    find it.  Now, when INFO is not shown, it goes to stderr -- the command
    to connect with, which works as written; when it is shown, it is
    logged, and said once."""
    program = start_monitored(tmp_path)
    ready = select.select([program.stderr], [], [], 60)[0]     # (a bound, not a pause)
    said = program.stderr.readline().decode() if ready else ""
    if not said:                        # (with not a word said, it would wait on)
        program.kill()
        program.communicate()
    match = re.fullmatch(r"trampoline monitor on (127\.0\.0\.1:\d+): \S+ -m "
                         r"trampoline\.monitor (\S+)\n", said)
    assert match and match.group(1) == match.group(2), said
    client = start_client(match.group(2))
    out, _ = client.communicate(b"ps\n", timeout=60)
    assert client.returncode == 0
    assert re.search(r"\n 1  main  parked .* read\(fd=0, 100\)", out.decode()), out
    out, err = program.communicate(b"bye\n", timeout=60)
    assert out == b"read b'bye\\n'\n" and err == b""

    program = start_monitored(tmp_path, "--info")
    out, err = program.communicate(b"bye\n", timeout=60)
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("INFO trampoline monitor on 127.0.0.1:")


# ============================================== a Timeline file, run after run

def tiny():
    yield sleep(0)


def test_a_timeline_file_grows_by_what_each_run_adds(tmp_path):
    """A ``Timeline`` given a path rewrote its whole JSON at the end of every
    run: a program of a thousand short runs wrote the first run's events a
    thousand times (1,000 runs of ``sleep(0)``: 16.9 s, against 0.34 s
    now).  Now each run adds its own events before the closing ``]}``: what
    earlier runs wrote stays byte for byte, and the file is whole JSON after
    every run, with every event ``events()`` gives."""
    path = tmp_path / "out.json"
    timeline = Timeline(path)
    before = b""
    for runs in range(1, 301):
        run(tiny(), instruments=[timeline])
        now = path.read_bytes()
        assert now.startswith(before[:-len(b"\n]}\n")])
        before = now
        if runs in (1, 2, 300):
            events = json.loads(now)["traceEvents"]
            assert sorted(map(json.dumps, events)) == sorted(
                map(json.dumps, timeline.events()))
    assert {event["pid"] for event in events} == set(range(1, 301))

    path.write_text('{"traceEvents": []}')      # changed by someone else: written whole
    run(tiny(), instruments=[timeline])
    events = json.loads(path.read_text())["traceEvents"]
    assert sorted(map(json.dumps, events)) == sorted(map(json.dumps, timeline.events()))
    assert {event["pid"] for event in events} == set(range(1, 302))


# ====================================================== long names in the text trace

LONG_NAMES = """\
from trampoline import join, run, sleep, spawn

def handle_a_connection_from_a_client_with_a_long_name():
    yield sleep(0)

def main():
    first = yield spawn(handle_a_connection_from_a_client_with_a_long_name())
    second = yield spawn(sleep(0), name=" ".join(["caf\\u00e9 \\u2615 \\u5496\\u5561"] * 4))
    yield join(first)
    yield join(second)

run(main())
"""


def test_the_text_trace_cuts_long_names_and_spawned_says_them_whole(tmp_path):
    """A task name over 28 columns pushed that line's event right: the
    trace's second column wandered with every long name.  Now the name is
    cut to fit ("..."), and the task's "spawned" line gives it whole."""
    (tmp_path / "long.py").write_text(LONG_NAMES, encoding="utf-8")
    done = trace_command(["long.py"], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    long_name = "handle_a_connection_from_a_client_with_a_long_name"
    events = [re.match(r"[0-9.]+  (.*?) ?(spawned|runs|->|exits)", line) for line in lines]
    assert all(events), lines
    assert {display_width(event.group(1)) for event in events} == {28}, lines
    cut = {event.group(1).rstrip() for event in events
           if event.group(1).rstrip().endswith("...")}
    assert cut == {"task 2 handle_a_connectio...",
                   "task 3 caf\u00e9 \u2615 \u5496\u5561 caf\u00e9..."}, cut
    for task, name in (("2", long_name), ("3", " ".join(["caf\u00e9 \u2615 \u5496\u5561"] * 4))):
        spawned = [line for line in lines if line.split()[1:3] == ["task", task]
                   and " spawned" in line]
        assert len(spawned) == 1 and spawned[0].endswith(
            " spawned (in full: task %s %s)" % (task, name)), spawned
