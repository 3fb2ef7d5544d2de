"""Instruments and tracing: every hook, the text trace, the timeline (JSON
and ASCII), ``python3 -m trampoline.trace`` and ``TRAMPOLINE_TRACE=1``."""

import io
import itertools
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from coverage_helpers import run_python
import trampoline
from trampoline import (Kernel, cancel, connect, current, join, read, run, sleep, spawn,
                        write, write_wait)
from trampoline import trace
from trampoline.diagnostics import PYTHON
from trampoline.kernel import WaitQueue
from trampoline.trace import TextTrace, Timeline, describe_trap, describe_wait
from trampoline.traps import accept, park, read_wait, recvfrom, sendto

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Recorder:
    """An instrument that keeps every call it gets."""

    def __init__(self):
        self.calls = []

    def task_spawned(self, task):
        self.calls.append(("spawned", task))

    def task_step(self, task, value):
        self.calls.append(("step", task, value))

    def task_trap(self, task, trap):
        self.calls.append(("trap", task, trap))

    def task_exited(self, task):
        self.calls.append(("exited", task))

    def io_wait(self, timeout):
        self.calls.append(("io_wait", timeout))

    def io_ready(self, events):
        self.calls.append(("io_ready", events))

    def timer_fired(self, task):
        self.calls.append(("timer", task))

    def of(self, kind):
        return [call[1:] for call in self.calls if call[0] == kind]


def helper():
    return (yield current())


def worker(sock):
    yield sleep(0.001)                  # a timer fires
    me = yield helper()                 # a subroutine call
    data = yield read(sock, 100)        # an I/O wait
    return me, data


def test_every_hook_is_called_with_what_happened():
    a, b = socket.socketpair()
    recorder = Recorder()

    def main():
        task = yield spawn(worker(a), name="worker")
        yield sleep(0.002)
        yield write(b, b"hello")
        return task, (yield join(task))

    fd = a.fileno()
    with a, b:
        task, (me, data) = run(main(), instruments=[recorder])
    assert me is task and data == b"hello"

    spawned = [each[0] for each in recorder.of("spawned")]
    assert [t.name for t in spawned] == ["main", "worker"]
    assert [each[0] for each in recorder.of("exited")] == [task, spawned[0]]
    # The first step of each task resumes it with None; join's resumes main
    # with the worker's result.
    steps = recorder.of("step")
    assert steps[0] == (spawned[0], None)
    assert (spawned[0], (task, b"hello")) in steps
    traps = [trap for who, trap in recorder.of("trap") if who is task]
    kinds = [type(trap).__name__ for trap in traps]
    assert kinds[0] == "sleep" and "generator" in kinds and "current" in kinds
    # read is seen when yielded, and again when the kernel finishes it.
    reads = [trap for trap in traps if type(trap) is read]
    assert len(reads) == 2 and reads[0] is reads[1] and reads[0].fd == fd
    assert sorted(task.id for task, in recorder.of("timer")) == [1, 2]
    assert any(timeout > 0 for timeout, in recorder.of("io_wait"))
    ready = [each for events, in recorder.of("io_ready") for each, mask in events]
    assert fd in ready


def test_an_instrument_may_define_only_some_hooks():
    exits = []

    class Exits:
        def task_exited(self, task):
            exits.append(task.name)

    def main():
        yield spawn(helper(), name="child")
        yield sleep(0)

    run(main(), instruments=[Exits()])
    assert sorted(exits) == ["child", "main"]


def test_instruments_off_leave_the_trap_table_alone():
    with Kernel() as plain, Kernel(instruments=[Recorder()]) as traced:
        assert plain._handlers[read] == plain._trap_read
        assert traced._handlers[read].__wrapped__ == traced._trap_read


# ------------------------------------------------------------ describing

def test_traps_and_waits_in_words():
    a, b = socket.socketpair()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with a, b, udp:
        assert describe_trap(read(a, 100)) == "read(fd=%d, 100)" % a.fileno()
        assert describe_trap(write(a, b"abc")) == "write(fd=%d, 3 bytes)" % a.fileno()
        assert describe_trap(sleep(0.5)) == "sleep(0.5)"
        assert describe_trap(helper()) == "call helper()"
        assert describe_trap(spawn(helper())) == "spawn(helper())"
        assert describe_trap(park(WaitQueue())) == "park(a wait queue)"
        assert describe_wait(read_wait(a)) == "fd %d readable" % a.fileno()
        assert describe_wait(write_wait(a)) == "fd %d writable" % a.fileno()
        assert describe_wait(recvfrom(udp, 10)) == "fd %d readable" % udp.fileno()
        assert describe_wait(sendto(udp, b"x", ("127.0.0.1", 9))) == "fd %d writable" % udp.fileno()
        assert describe_wait(sleep(2)) == "2 s to pass"
        assert "wake" in describe_wait(park(WaitQueue()))
        listener = socket.socket()
        with listener:
            assert describe_trap(accept(listener)) == "accept(fd=%d)" % listener.fileno()


# ------------------------------------------------------------- TextTrace

def test_text_trace_tells_the_story_line_by_line():
    a, b = socket.socketpair()
    out = io.StringIO()

    def sleeper():
        yield sleep(3600)

    def main():
        task = yield spawn(worker(a), name="worker")
        victim = yield spawn(sleeper())
        yield sleep(0)
        yield sleep(0.002)
        yield write(b, b"hello")
        yield join(task)
        yield cancel(victim)

    fd = a.fileno()
    with a, b:
        run(main(), instruments=[TextTrace(out)])
    lines = out.getvalue().splitlines()
    text = out.getvalue()
    times = [float(line.split()[0]) for line in lines]
    assert times == sorted(times) and times[0] == 0.0
    assert lines[0].split()[1:] == ["task", "1", "main", "spawned"]
    assert "task 2 worker" in text and "task 3 sleeper" in text
    assert "-> spawn(worker())" in text
    assert "-> sleep(0)   [back of the ready queue: others run first]" in text
    assert "-> read(fd=%d, 100)   [parked: fd %d readable]" % (fd, fd) in text
    assert "ready: fd %d readable -> wakes task 2 worker" % fd in text
    assert "runs: read(fd=%d, 100) is done waiting" % fd in text
    assert "timer: task 2 worker has slept enough" in text
    assert "-> join(task 2 worker)   [parked: task 2 worker to finish]" in text
    assert "runs: join(task 2 worker) is done waiting <- " in text
    assert "-> cancel(task 3 sleeper)   [parked: task 3 sleeper to finish cancelling]" in text
    assert "task 3 sleeper" in text and "runs: Cancelled(" in text and "thrown in" in text
    assert "polls: nothing to run; waits for I/O" in text
    assert text.count("exits") == 3
    # The read is not reported twice: its second dispatch is its wake-up.
    assert text.count("-> read(") == 1


def test_text_trace_says_when_readiness_wakes_nobody():
    a, b = socket.socketpair()
    out = io.StringIO()

    def main():
        yield write_wait(a)             # registers fd a for writing...
        yield write(b, b"x")
        yield read(a, 10)               # ...which stays writable while it reads

    with a, b:
        run(main(), instruments=[TextTrace(out)])
    assert "writable (no task waits for that: the kernel stops asking)" in out.getvalue()


def test_text_trace_defaults_to_stderr(capsys):
    run(helper(), instruments=[TextTrace()])
    assert "task 1 helper" in capsys.readouterr().err


def test_text_trace_shows_a_value_sent_in():
    out = io.StringIO()
    queue = WaitQueue()

    def waker():
        queue.wake(1, "the value")
        yield sleep(0)

    def main():
        yield spawn(waker())
        return (yield park(queue))

    assert run(main(), instruments=[TextTrace(out)]) == "the value"
    assert "is done waiting <- 'the value'" in out.getvalue()


def test_text_trace_tells_a_wake_up_from_another_thread():
    """The kernel's own wake-up channel turning readable is another thread
    (here run_in_thread's) handing it something: no task's descriptor."""
    from trampoline.threads import run_in_thread
    out = io.StringIO()

    def main():
        return (yield run_in_thread(lambda: 42))

    with Kernel(instruments=[TextTrace(out)]) as kernel:
        assert kernel.run(main()) == 42
        wake_fd = kernel.wake_fd
    text = out.getvalue()
    assert "no task waits" not in text, text
    woke = "ready: fd %d, the kernel's wake-up channel: another thread woke it" % wake_fd
    assert woke in text, text
    assert text.index(woke) < text.index("runs: park(a wait queue) is done waiting <- True")


def test_text_trace_follows_a_write_that_parks_again():
    """A write bigger than the socket's buffer is sent a part per wake-up:
    one request, parked again after each part, each wake-up its own."""
    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    out = io.StringIO()
    size = 2000000

    def reader():
        total = 0
        while total < size:
            total += len((yield read(b, 65536)))
        return total

    def main():
        task = yield spawn(reader())
        yield write(a, b"x" * size)
        return (yield join(task))

    fd = a.fileno()
    with a, b:
        assert run(main(), instruments=[TextTrace(out)]) == size
    lines = out.getvalue().splitlines()
    write_text = "write(fd=%d, %d bytes)" % (fd, size)
    assert sum("-> " + write_text in line for line in lines) == 1     # one request
    done = [n for n, line in enumerate(lines) if "runs: %s is done waiting" % write_text in line]
    assert len(done) == 1
    again = [line for line in lines[:done[0]] if "runs: " + write_text in line]
    assert len(again) >= 2              # (2 MB through a small buffer)
    sent = []
    for line in again:
        assert "is not done (" in line and line.endswith("[parked again: fd %d writable]" % fd)
        sent.append(int(line.split("is not done (")[1].split()[0]))
    assert sent == sorted(sent) and 0 < sent[0] and sent[-1] < size
    # Every readiness of fd a before the write is done wakes main.
    ready = [line for line in lines[:done[0]] if "ready: fd %d " % fd in line]
    assert len(ready) == len(again) + 1
    assert all(line.endswith("ready: fd %d writable -> wakes task 1 main" % fd)
               for line in ready), ready


# -------------------------------------------------------------- Timeline

def interleaving_program(rounds=5):
    """Three tasks taking turns, one sleeping, one waiting on a socket."""
    a, b = socket.socketpair()

    def spinner(n):
        for _ in range(n):
            yield sleep(0)

    def reader():
        return (yield read(a, 100))

    def main():
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(spinner(rounds))))
        reading = yield spawn(reader())
        for task in tasks:              # (they have not run yet: main waits)
            yield join(task)
        yield sleep(0.01)               # only timers and I/O now: the kernel polls
        yield write(b, b"data")
        yield join(reading)
        a.close()
        b.close()

    return main()


def test_timeline_json_has_one_track_per_task_and_runs_never_overlap(tmp_path):
    path = tmp_path / "trace.json"
    timeline = Timeline(str(path))
    run(interleaving_program(), instruments=[timeline])
    assert path.exists()                # written by itself when the run ended
    document = json.loads(path.read_text())
    events = document["traceEvents"]
    names = {event["tid"]: event["args"]["name"] for event in events
             if event["ph"] == "M" and event["name"] == "thread_name"}
    assert names == {0: "kernel (waiting in the poller)", 1: "task 1 main",
                     2: "task 2 spinner", 3: "task 3 spinner", 4: "task 4 spinner",
                     5: "task 5 reader"}
    slices = [event for event in events if event["ph"] == "X"]
    for tid in range(1, 6):
        track = sorted((event for event in slices if event["tid"] == tid),
                       key=lambda event: event["ts"])
        runs = [event for event in track if event["cat"] == "run"]
        assert runs, "task %d never ran" % tid
        for before, after in zip(track, track[1:]):
            assert before["ts"] + before["dur"] <= after["ts"] + 1e-3
    # Spinners run several times each, and tasks interleave: some run of
    # another task starts between two runs of task 2.
    runs = sorted((event for event in slices if event["cat"] == "run"), key=lambda e: e["ts"])
    assert sum(1 for event in runs if event["tid"] == 2) >= 5
    order = [event["tid"] for event in runs]
    first, last = order.index(2), len(order) - 1 - order[::-1].index(2)
    assert set(order[first:last]) > {2}
    waits = {event["name"] for event in slices if event["cat"] == "wait"}
    assert any(name.startswith("read(fd=") for name in waits), waits
    assert "sleep(0.01)" in waits, waits
    assert any(name.startswith("join(task") for name in waits), waits
    assert any(event["cat"] == "kernel" and event["name"] == "poll" for event in slices), slices


def test_timeline_write_takes_a_path_and_counts_runs(tmp_path):
    timeline = Timeline()
    run(helper(), instruments=[timeline])
    run(helper(), instruments=[timeline])
    timeline.write(str(tmp_path / "two.json"))
    events = json.loads((tmp_path / "two.json").read_text())["traceEvents"]
    processes = {event["args"]["name"] for event in events if event["name"] == "process_name"}
    assert processes == {"trampoline run 1", "trampoline run 2"}


def ticking_clock(step=0.001):
    """A clock that moves one step each time it is read: every event takes
    the same time, so a chart depends only on what happened."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


def test_ascii_timeline_draws_each_kind_of_wait():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    a, b = socket.socketpair()
    queue = WaitQueue()

    def sleeper():
        yield sleep(0.001)

    def reader():
        yield read(a, 10)

    def writer():
        sock = socket.socket()
        with sock:
            yield connect(sock, listener.getsockname())
            yield write_wait(sock)

    def parker():
        yield park(queue)

    def main():
        tasks = []
        for each in (sleeper(), reader(), writer(), parker()):
            tasks.append((yield spawn(each)))
        for _ in range(20):
            yield sleep(0)
        yield write(b, b"x")
        queue.wake()
        for task in tasks:
            yield join(task)

    timeline = Timeline(clock=ticking_clock())
    with listener, a, b:
        run(main(), instruments=[timeline])
    # Wide enough that a column is shorter than a tick: every wait shows.
    ticks = int(timeline.slices()[0][1][-1][1] / 0.001)
    assert ticks < 400, ticks
    chart = timeline.ascii(width=400)
    rows = {line.split("|")[0].strip(): line.split("|")[1] for line in chart.splitlines()
            if "|" in line}
    assert set(rows) == {"task 1 main", "task 2 sleeper", "task 3 reader", "task 4 writer",
                         "task 5 parker"}
    assert all(len(row) == 400 for row in rows.values())
    assert "#" in rows["task 1 main"] and "." in rows["task 1 main"]
    assert "z" in rows["task 2 sleeper"]
    assert "r" in rows["task 3 reader"]
    assert "w" in rows["task 4 writer"]
    assert "." in rows["task 5 parker"]
    assert "-" in rows["task 5 parker"]          # ready, waiting for its turn
    # Everything on a row is one of the chart's symbols.
    assert set("".join(rows.values())) <= set("#123456789.rwz- ")
    first, legend = chart.splitlines()[0], chart.splitlines()[-1]
    assert first.rstrip().endswith(" ms") and "0" in first
    assert "# running" in legend and "z sleeping" in legend


def test_ascii_timeline_shades_a_column_by_how_much_of_it_the_task_ran():
    """A task that runs a tenth of every column shows "1", not a solid bar
    beside the task that runs the other nine tenths."""
    now = [0.0]                         # a clock the tasks move: a step's work

    def worker(seconds):
        for _ in range(4):
            now[0] += seconds
            yield sleep(0)

    def main():
        heavy = yield spawn(worker(0.9))
        light = yield spawn(worker(0.1))
        yield join(heavy)
        yield join(light)

    timeline = Timeline(clock=lambda: now[0])
    run(main(), instruments=[timeline])
    chart = timeline.ascii(width=4)     # one column per second
    rows = {line.split("|")[0].strip(): line.split("|")[1] for line in chart.splitlines()
            if "|" in line}
    assert rows["task 2 worker"] == "9999"
    assert rows["task 3 worker"] == "1111"
    assert "1-9: that many tenths" in chart.splitlines()[-1]


def test_ascii_timeline_of_nothing_is_empty_but_valid():
    chart = Timeline().ascii(width=10)
    assert "# running" in chart and "|" not in chart


# ----------------------------------------------- the command line and env

SCRIPT = """
import sys
from trampoline import run, sleep, spawn, join

def child():
    yield sleep(0.001)
    return 7

def main():
    task = yield spawn(child())
    return (yield join(task))

print("result", run(main()), "args", sys.argv[1:])
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "traced.py"
    path.write_text(textwrap.dedent(SCRIPT))
    return str(path)


def test_cli_text_trace_in_process(script, capsys):
    code = trace.main([script, "3", "--flag"])
    out, err = capsys.readouterr()
    assert code == 3
    assert "result 7 args ['3', '--flag']" in out
    assert "task 1 main" in err and "task 2 child" in err and "-> sleep(0.001)" in err
    assert trace._cli_instruments is None        # run() is untraced again
    run(helper())
    assert "task" not in capsys.readouterr().err


def test_cli_timeline_and_ascii_in_process(script, tmp_path, capsys):
    out_json = str(tmp_path / "out.json")
    code = trace.main(["--timeline", out_json, "--ascii", "--width", "30", script])
    out, err = capsys.readouterr()
    assert code == 0 and "result 7" in out
    assert "task 1 main" in err and "task 2 child" in err and "# running" in err
    rows = [line for line in err.splitlines() if "|" in line]
    assert len(rows) == 2 and all(len(row.split("|")[1]) == 30 for row in rows)
    events = json.loads(open(out_json).read())["traceEvents"]
    assert any(event.get("name") == "sleep(0.001)" for event in events)


def subprocess_env(**extra):
    env = dict(os.environ)
    env.pop("TRAMPOLINE_TRACE", None)
    env.pop("TRAMPOLINE_DEBUG", None)
    env.pop("TRAMPOLINE_MONITOR", None)
    env.pop("COLUMNS", None)            # (the chart fits a terminal that narrow)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def test_cli_as_a_command(script, tmp_path):
    out_json = str(tmp_path / "cli.json")
    done = run_python(
        ["-m", "trampoline.trace", "--ascii", "--timeline", out_json, script, "5"],
        env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 5, done.stderr
    assert "result 7" in done.stdout
    assert "task 2 child" in done.stderr and "|" in done.stderr
    assert json.loads(open(out_json).read())["traceEvents"]


def test_cli_text_trace_as_a_command(script):
    done = run_python(["-m", "trampoline.trace", script],
                          env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "task 2 child" in done.stderr and "[parked: task 2 child to finish]" in done.stderr


@pytest.mark.parametrize("option", [[], ["--ascii"]])
def test_a_name_escaped_for_an_ascii_terminal_keeps_the_columns_in_line(option, tmp_path):
    """On a terminal that cannot show "café", stderr writes ``caf\\xe9``:
    three columns more than the name's length, which the trace's label
    column and the chart's rows were padded to -- their columns no longer
    lined up.  The label is escaped first, then padded."""
    path = tmp_path / "named.py"
    path.write_text("from trampoline import join, run, sleep, spawn\n"
                    "def caf\u00e9():\n    yield sleep(0)\n"
                    "def main():\n    yield join((yield spawn(caf\u00e9())))\n"
                    "run(main())\n", encoding="utf-8")
    done = run_python(["-m", "trampoline.trace"] + option + [str(path)],
                      env=subprocess_env(PYTHONIOENCODING="ascii"), capture_output=True,
                      timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.decode("ascii").splitlines()
    if option:
        rows = [line for line in lines if line.startswith("task ")]
        assert [row.split(" |")[0] for row in rows] == ["task 1 main   ", "task 2 caf\\xe9"]
        assert len({row.index("|") for row in rows}) == 1, rows
    else:
        spawned = [line for line in lines if line.endswith(" spawned")]
        assert [line.split()[3] for line in spawned] == ["main", "caf\\xe9"]
        assert len({line.index("spawned") for line in spawned}) == 1, spawned


@pytest.mark.parametrize("value, traced", [("1", True), ("0", False), ("", False)])
def test_trampoline_trace_env_var(script, value, traced):
    done = run_python([script], env=subprocess_env(TRAMPOLINE_TRACE=value),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "result 7" in done.stdout
    assert ("task 2 child" in done.stderr) is traced


def test_trampoline_trace_env_var_in_process(monkeypatch, capsys):
    monkeypatch.setenv("TRAMPOLINE_TRACE", "1")
    run(helper())
    assert "task 1 helper" in capsys.readouterr().err
    monkeypatch.setenv("TRAMPOLINE_TRACE", "0")
    run(helper())
    assert capsys.readouterr().err == ""


def test_tracing_is_not_imported_unless_asked_for():
    done = subprocess.run(
        [sys.executable, "-c", "import sys, trampoline\n"
         "def f():\n    yield trampoline.sleep(0)\n"
         "trampoline.run(f())\n"
         "print(sorted(m for m in sys.modules if m.startswith('trampoline.')))"],
        env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    for module in ("trampoline.trace", "trampoline.monitor", "trampoline.debug"):
        assert module not in done.stdout
    assert trampoline.__name__ == "trampoline"


def test_timeline_closes_the_track_of_a_task_abandoned_at_shutdown():
    from trampoline import Cancelled

    def stubborn():
        while True:
            try:
                yield sleep(3600)
            except Cancelled:
                pass

    def main():
        yield spawn(stubborn())
        yield sleep(0)

    timeline = Timeline()
    with Kernel(instruments=[timeline]) as kernel:
        kernel.shutdown_grace = 0.001
        kernel.run(main())
    rows = dict(timeline.slices())
    assert rows["task 2 stubborn"][-1][2] == "z"        # it ended asleep, closed
    assert [state for _, _, state, _ in rows["task 2 stubborn"]].count("#") >= 3


def test_timeline_on_a_clock_that_never_moves():
    timeline = Timeline(clock=lambda: 5.0)

    def main():
        for _ in range(12):             # more traps in one step than a slice lists
            yield current()
        yield sleep(0)

    run(main(), instruments=[timeline])
    (label, slices), = timeline.slices()
    assert {state for _, _, state, _ in slices} == {"#"}  # zero-length waits are left out
    assert all(start == end == 0.0 for start, end, _, _ in slices)
    run_slice = [event for event in timeline.events() if event.get("cat") == "run"][0]
    assert len(run_slice["args"]["yielded"]) == 10
    assert "task 1 main |#" in timeline.ascii(width=8)


def test_text_trace_of_a_hang_up():
    import select as select_module
    a, b = socket.socketpair()
    out = io.StringIO()

    def reader():
        return (yield read(a, 10))

    def main():
        task = yield spawn(reader())
        yield sleep(0.001)
        b.close()
        return (yield join(task))

    with a, b:
        assert run(main(), instruments=[TextTrace(out)]) == b""
    if hasattr(select_module, "epoll"):         # select() has no word for it
        assert "error or hang-up, readable -> wakes task 2 reader" in out.getvalue()


@pytest.mark.parametrize("option", ["--timeline", "--ascii"])
def test_cli_with_one_output(script, tmp_path, capsys, option):
    argv = [option] + ([str(tmp_path / "one.json")] if option == "--timeline" else []) + [script]
    assert trace.main(argv) == 0
    err = capsys.readouterr().err
    assert ("# running" in err) is (option == "--ascii")
    assert (tmp_path / "one.json").exists() is (option == "--timeline")


def test_run_leaves_tracing_unimported_unless_asked(monkeypatch):
    monkeypatch.delitem(sys.modules, "trampoline.trace")
    monkeypatch.delenv("TRAMPOLINE_TRACE", raising=False)
    run(helper())
    assert "trampoline.trace" not in sys.modules


# ------------------------------------------- outputs that cannot be written

def test_timeline_tries_its_path_before_anything_runs(tmp_path):
    missing = str(tmp_path / "no such dir" / "out.json")
    with pytest.raises(FileNotFoundError, match="no such dir"):
        Timeline(missing)
    with pytest.raises(TypeError):
        Timeline(3)                     # (a number would be opened as a descriptor)
    with pytest.raises(ValueError, match="needs a path"):
        Timeline().write()


def test_a_timeline_that_cannot_write_at_the_end_logs_it_and_the_run_ends_as_usual(
        tmp_path, caplog):
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "trace.json"
    timeline = Timeline(str(path))

    def main():
        path.unlink()
        folder.rmdir()                  # gone before the run ends and it writes
        yield sleep(0)
        return "the result"

    assert run(main(), instruments=[timeline]) == "the result"
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert errors == ["Timeline: cannot write the trace to %s: No such file or directory" % path]
    with pytest.raises(FileNotFoundError):
        timeline.write()                # called by hand: it raises


def test_a_text_trace_that_cannot_write_logs_it_once_and_the_run_ends_as_usual(caplog):
    out = io.StringIO()
    out.close()

    def main():
        yield sleep(0)
        yield sleep(0)
        return "the result"

    assert run(main(), instruments=[TextTrace(out)]) == "the result"
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith("TextTrace: cannot write to "), errors
    assert "the trace stops here" in errors[0]


def test_cli_refuses_a_timeline_path_it_cannot_write_before_the_script_runs(script):
    done = run_python(
        ["-m", "trampoline.trace", "--timeline", "/nonexistent/out.json",
         script],
        env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""            # the script never ran
    assert ("error: argument --timeline: cannot write /nonexistent/out.json: "
            "No such file or directory") in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_says_when_the_timeline_cannot_be_written_at_the_end(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "trace.json"
    script = tmp_path / "removes.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from trampoline import run, sleep
        os.remove(sys.argv[1])
        os.rmdir(os.path.dirname(sys.argv[1]))
        def main():
            yield sleep(0)
        run(main())
        print("the script ends")
        """))
    assert trace.main(["--timeline", str(path), str(script), str(path)]) == 1
    out, err = capsys.readouterr()
    assert "the script ends" in out
    assert "cannot write the timeline to %s: No such file or directory" % path in err


# ------------------------------------------------------------ chart widths

@pytest.mark.parametrize("width, words", [("0", "at least 16 columns, not 0"),
                                          ("-5", "at least 16 columns, not -5"),
                                          ("ten", "a whole number of columns, not 'ten'")])
def test_cli_refuses_a_bad_width_before_the_script_runs(script, capsys, width, words):
    with pytest.raises(SystemExit) as exit:
        trace.main(["--ascii", "--width", width, script])
    assert exit.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""                    # the script never ran
    assert "error: argument --width: " + words in err
    assert trace._cli_instruments is None


@pytest.mark.parametrize("others", [[], ["--timeline", "OUT"]])
def test_cli_refuses_a_width_without_ascii_before_the_script_runs(script, capsys, tmp_path,
                                                                  others):
    """``--width 120`` without ``--ascii``: the width was dropped without a
    word, and the script ran under a text trace (or a JSON timeline), not
    the wider chart asked for.  Now a usage error, before anything runs."""
    others = [str(tmp_path / "out.json") if word == "OUT" else word for word in others]
    with pytest.raises(SystemExit) as exit:
        trace.main(others + ["--width", "120", script])
    assert exit.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""                    # the script never ran
    assert "error: --width needs --ascii" in err
    assert not (tmp_path / "out.json").exists()
    done = run_python(["-m", "trampoline.trace", "--width", "120", script],
                      env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "error: --width needs --ascii" in done.stderr, done.stderr


def test_cli_draws_16_columns_and_no_fewer(script, capsys):
    with pytest.raises(SystemExit):
        trace.main(["--ascii", "--width", "15", script])
    assert "error: argument --width: at least 16 columns, not 15" in capsys.readouterr().err
    assert trace.main(["--ascii", "--width", "16", script]) == 0
    rows = [line for line in capsys.readouterr().err.splitlines() if "|" in line]
    assert rows and all(len(row.split("|")[1]) == 16 for row in rows)


@pytest.mark.parametrize("width, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError),
                                          (True, TypeError), ("64", TypeError)])
def test_ascii_refuses_a_bad_width(width, error):
    timeline = Timeline()
    run(helper(), instruments=[timeline])
    with pytest.raises(error, match="width"):
        timeline.ascii(width)


# ---------------------------------------------------------------- forking

FORKING_SCRIPT = """
import os, sys
from trampoline import run, sleep, spawn, join

def child():
    yield sleep(0.001)

def main():
    yield join((yield spawn(child(), name=NAME)))

NAME = "before the forks"
run(main())                             # the parent's, before it forks
pids = []
for n in range(2):
    pid = os.fork()
    if pid == 0:                        # a worker: it never comes back
        try:
            NAME = "worker %d" % n
            run(main())
        finally:
            os._exit(0)
    pids.append(pid)
for pid in pids:
    assert os.waitpid(pid, 0)[1] == 0
NAME = "after the forks"
run(main())
print(os.getpid(), *pids)
"""


def track_names(path):
    events = json.loads(open(path).read())["traceEvents"]
    return {event["args"]["name"] for event in events
            if event["name"] == "thread_name" and event["tid"]}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_cli_traces_each_forked_process_on_its_own(tmp_path):
    """Like strace -ff: every process its own timeline file and chart;
    the parent's are its own, and it says where the others went."""
    script = tmp_path / "forking.py"
    script.write_text(FORKING_SCRIPT)
    out_json = str(tmp_path / "out.json")
    done = run_python(
        ["-m", "trampoline.trace", "--ascii", "--width", "40",
         "--timeline", out_json, str(script)],
        env=subprocess_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    parent, *workers = [int(pid) for pid in done.stdout.split()]
    assert track_names(out_json) == {"task 1 main", "task 2 before the forks",
                                     "task 2 after the forks"}
    for n, pid in enumerate(workers):
        # Its own runs only: not the parent's before the fork.
        assert track_names(str(tmp_path / ("out.%d.json" % pid))) == {
            "task 1 main", "task 2 worker %d" % n}
        chart = done.stderr.split("trace: process %d (forked by %d):\n" % (pid, parent))[1]
        rows = [line for line in chart.splitlines()[:4] if "|" in line]
        assert [row.split("|")[0].strip() for row in rows] == ["task 1 main",
                                                               "task 2 worker %d" % n]
    note = (PYTHON + " -m trampoline.trace: the script forked 2 processes: each traced its "
            "own trampoline.run() calls (its chart was drawn above as each run of its "
            "ended; its timeline is in %s).  This process's (pid %d) alone: the chart "
            "below, %s." % (str(tmp_path / "out.<pid>.json"), parent, out_json))
    assert note in done.stderr
    parent_chart = done.stderr.split(note)[1]
    assert "before the forks" in parent_chart and "worker" not in parent_chart


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_timeline_in_a_forked_process_writes_a_file_of_its_own(tmp_path):
    path = tmp_path / "trace.json"
    script = tmp_path / "forking.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from trampoline import run, sleep
        from trampoline.trace import Timeline

        def task():
            yield sleep(0)

        timeline = Timeline(sys.argv[1])
        run(task(), instruments=[timeline])
        pid = os.fork()
        if pid == 0:
            try:
                run(task(), instruments=[timeline])
                timeline.write()
            finally:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        print(pid)
        """))
    done = run_python([str(script), str(path)], env=subprocess_env(),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    child = tmp_path / ("trace.%d.json" % int(done.stdout))
    for each in (path, child):
        events = json.loads(each.read_text())["traceEvents"]
        assert [event["args"]["name"] for event in events
                if event["name"] == "process_name"] == ["trampoline run 1"]
        assert track_names(str(each)) == {"task 1 task"}


def test_a_text_trace_marks_the_lines_of_a_forked_process_with_its_pid(tmp_path):
    """Lines from forked workers would mix with the parent's on one stream:
    as ``strace -f`` does, each of a forked process's lines starts with
    ``[pid N]``; the process that made the trace writes its own unmarked."""
    script = tmp_path / "forking.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from trampoline import run, sleep
        from trampoline.trace import TextTrace

        def task():
            yield sleep(0)

        trace = TextTrace(sys.stdout)
        run(task(), instruments=[trace])
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                run(task(), instruments=[trace])
                sys.stdout.flush()
            finally:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        print("child", pid)
        """))
    done = run_python([str(script)], env=subprocess_env(),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    child = int(lines.pop().split()[1])
    marked = [line for line in lines if line.startswith("[pid %d] " % child)]
    unmarked = [line for line in lines if not line.startswith("[pid ")]
    assert marked and unmarked and len(marked) + len(unmarked) == len(lines)
    assert [line[len("[pid %d] " % child):] for line in marked][0].split()[1:] == \
        unmarked[0].split()[1:]


def test_cli_refuses_a_script_it_cannot_open_before_anything_runs(tmp_path):
    """It ran, and ended in runpy's FileNotFoundError traceback, after
    making the --timeline file."""
    missing = tmp_path / "missing.py"
    out = tmp_path / "out.json"
    done = run_python(
        ["-m", "trampoline.trace", "--timeline", str(out), str(missing)],
        env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert ("error: cannot open the script %s: No such file or directory" % missing
            in done.stderr)
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_cli_refuses_a_directory_with_no_main_before_anything_runs(tmp_path):
    """``python3 -m trampoline.trace examples/`` (the shell completed the
    folder, not the script): runpy's chained ImportError traceback ("can't
    find '__main__' module"), after making the --timeline file.  Now a
    usage error naming the directory; one with a __main__.py still runs."""
    out = tmp_path / "out.json"
    done = run_python(
        ["-m", "trampoline.trace", "--timeline", str(out), str(tmp_path)],
        env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert "error: cannot run %s: a directory with no __main__.py" % tmp_path in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    with pytest.raises(SystemExit) as exit:         # (in this process too: coverage sees it)
        trace.main([str(tmp_path)])
    assert exit.value.code == 2
    (tmp_path / "__main__.py").write_text("print('ran')\n")
    done = run_python(["-m", "trampoline.trace", str(tmp_path)],
                      env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout == "ran\n", done.stderr


@pytest.mark.parametrize("options", [[], ["--ascii"]])
def test_cli_says_so_when_the_script_never_calls_run(options):
    """A learner's first try -- a tutorial step under the command -- ran
    the script and printed nothing more (with --ascii, an empty chart):
    the step files build kernels of their own, and nothing is traced."""
    step = os.path.join(ROOT, "docs", "steps", "step1.py")
    done = run_python(["-m", "trampoline.trace"] + options + [step],
                          env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("apples 3\n")
    assert done.stderr == (
        PYTHON + " -m trampoline.trace: nothing was traced: the script never called "
        "trampoline.run() (a Kernel it makes itself has only the instruments it is given: "
        "Kernel(instruments=[TextTrace()]); the tutorial's step files build kernels of "
        "their own, without trampoline)\n")


def test_cli_says_nothing_of_the_kind_when_a_run_was_traced(script, capsys):
    assert trace.main(["--ascii", script]) == 0
    err = capsys.readouterr().err
    assert "task 2 child" in err and "nothing was traced" not in err
    assert trace.main([script]) == 0
    assert "nothing was traced" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--ascii"]])
def test_cli_without_a_script_says_the_script_is_missing_and_no_more(argv):
    """argparse said "the following arguments are required: script, args":
    the script's arguments are optional."""
    done = run_python(["-m", "trampoline.trace"] + argv,
                          env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.endswith(PYTHON + " -m trampoline.trace: error: the script to run is "
                                "missing\n")
    assert "args" not in done.stderr.splitlines()[-1]
    assert "script [args ...]" in done.stderr       # the usage line


@pytest.mark.parametrize("columns", [60, 45])
def test_cli_chart_fits_a_narrow_terminal(script, columns):
    """On a terminal narrower than the chart (``COLUMNS=60``, a split
    pane) every row of ``--ascii``'s chart wrapped, and its legend, one
    line of 153 characters, too: no chart left to read.  With no
    ``--width`` given, the chart now has as many columns as fit, and its
    legend wraps; ``--width`` is still obeyed, and with no terminal (a
    pipe, a file) the chart is 64 columns, as before."""
    done = run_python(["-m", "trampoline.trace", "--ascii", script],
                      env=subprocess_env(COLUMNS=str(columns)), capture_output=True,
                      text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    rows = [line for line in lines if line.startswith("task ")]
    assert len(rows) == 2 and all(len(line) == columns for line in rows), lines
    assert all(len(line) <= columns for line in lines), lines
    legend = " ".join(line.strip() for line in lines[lines.index(rows[-1]) + 1:])
    assert legend.split() == trace.ASCII_LEGEND.split()

    asked = run_python(["-m", "trampoline.trace", "--ascii", "--width", "30", script],
                       env=subprocess_env(COLUMNS=str(columns)), capture_output=True,
                       text=True, timeout=30)
    rows = [line for line in asked.stderr.splitlines() if line.startswith("task ")]
    assert [len(line) for line in rows] == [len("task 2 child |") + 30 + 1] * 2
    assert trace.ASCII_LEGEND in asked.stderr

    piped = run_python(["-m", "trampoline.trace", "--ascii", script],
                       env=subprocess_env(), capture_output=True, text=True, timeout=30)
    rows = [line for line in piped.stderr.splitlines() if line.startswith("task ")]
    assert [len(line) for line in rows] == [len("task 2 child |") + 64 + 1] * 2


def test_cli_ctrl_c_prints_the_scripts_traceback_and_ends_as_python3_does(tmp_path):
    """Ctrl-C (a KeyboardInterrupt out of the script) printed the traceback
    with the command's and runpy's six frames in front of the script's, as
    a crash did before it was fixed.  Now the traceback begins at the
    script, the chart is drawn, and the command ends killed by SIGINT, as
    ``python3 script.py`` does (a shell loop running it stops too)."""
    import signal
    path = tmp_path / "interrupted.py"
    path.write_text(textwrap.dedent("""\
        from trampoline import run, sleep

        def main():
            yield sleep(0)
            raise KeyboardInterrupt     # as Ctrl-C raises it in a task that runs

        run(main())
        """))
    done = run_python(["-m", "trampoline.trace", "--ascii", str(path)],
                      env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == -signal.SIGINT, done.stderr
    traceback_text = done.stderr[done.stderr.index("Traceback"):]
    assert traceback_text.startswith(
        'Traceback (most recent call last):\n  File "%s", line 7, in <module>\n' % path)
    assert "runpy" not in done.stderr and "trace.py" not in done.stderr
    assert "task 1 main |" in traceback_text.split("KeyboardInterrupt\n")[-1]   # the chart
    assert "nothing was traced" not in done.stderr
    assert trace.main([str(path)]) == 130       # (in process: the status, no signal)


def test_cli_prints_a_failing_scripts_traceback_from_the_script_on(tmp_path):
    """The traceback of a script that raised began with six frames of
    runpy and of this command before the script's own."""
    path = tmp_path / "fails.py"
    text = textwrap.dedent(SCRIPT).replace("sys.exit(", "raise ValueError('boom') #(")
    path.write_text(text)
    line = next(number for number, source in enumerate(text.splitlines(), 1)
                if source.startswith("raise ValueError"))
    out_json = tmp_path / "out.json"
    done = run_python(
        ["-m", "trampoline.trace", "--ascii", "--timeline", str(out_json),
         str(path)], env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done.stderr
    assert "result 7" in done.stdout
    traceback_text = done.stderr[done.stderr.index("Traceback"):]
    assert traceback_text.startswith(
        'Traceback (most recent call last):\n  File "%s", line %d, in <module>\n' % (path, line))
    assert "ValueError: boom\n" in traceback_text
    assert "runpy" not in done.stderr and "trace.py" not in done.stderr
    assert "nothing was traced" not in done.stderr
    assert "task 2 child" in traceback_text.split("ValueError: boom\n")[1]   # the chart
    assert json.loads(out_json.read_text())["traceEvents"]

    path.write_text("def broken(:\n    pass\n")   # a SyntaxError: python3's few lines
    done = run_python(["-m", "trampoline.trace", str(path)],
                          env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.startswith('  File "%s", line 1\n' % path), done.stderr
    assert "SyntaxError" in done.stderr and "runpy" not in done.stderr



@pytest.fixture
def argv_script(tmp_path):
    path = tmp_path / "argv.py"
    path.write_text(SCRIPT.replace("sys.exit(", "# sys.exit("))
    return str(path)


@pytest.mark.parametrize("argv, seen", [
    (["--", "x"], ["--", "x"]),
    (["x", "--width", "3", "-h"], ["x", "--width", "3", "-h"]),
    (["--"], ["--"]),
])
def test_cli_passes_the_scripts_arguments_on_as_they_are(argv_script, capsys, argv, seen):
    """``python3 script.py -- x`` gives the script ['--', 'x']; under the
    command argparse took the "--" for its own and the script saw ['x']."""
    code = trace.main(["--ascii", "--width", "20", argv_script] + argv)
    out, err = capsys.readouterr()
    assert code == 0
    assert "args %r" % (seen,) in out
    assert "# running" in err                       # the command's own options were taken
    assert trace._cli_instruments is None


def test_cli_options_end_at_a_double_dash_before_the_script(argv_script, capsys):
    code = trace.main(["--", argv_script, "--ascii"])
    out, err = capsys.readouterr()
    assert code == 0 and "args ['--ascii']" in out
    assert "# running" not in err                   # no chart: --ascii was the script's
