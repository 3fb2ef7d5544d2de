"""The teaching tools as a learner meets them in the first hour --
``python3 -m trampoline.trace``, ``python3 -m trampoline.monitor``, the
kernel's instruments -- on the cases curio's monitor, trio's instruments
and asyncio's debug mode are tested with: real commands in subprocesses,
their bad input, and what tracing must never change (the traced script's
output and exit status)."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from trampoline import Kernel, TaskError, cancel, join, run, sleep, spawn
from trampoline.trace import TextTrace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def subprocess_env(**extra):
    env = dict(os.environ)
    for name in ("TRAMPOLINE_TRACE", "TRAMPOLINE_DEBUG", "TRAMPOLINE_MONITOR", "COLUMNS"):
        env.pop(name, None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# ============================================ python3 -m trampoline.trace

#: A script that waits for a line on stdin before it does anything: so the
#: test can close the command's stderr first, with no sleep.
WAITS_THEN_RUNS = """\
import sys
from trampoline import run, sleep, spawn, join

def child():
    yield sleep(0)
    return 7

def main():
    return (yield join((yield spawn(child()))))

sys.stdin.readline()
print("result", run(main()) if "--untraced" not in sys.argv else 7)
sys.exit(3)
"""


@pytest.mark.parametrize("options, script_args", [
    (["--ascii"], []),
    (["--ascii"], ["--untraced"]),      # "nothing was traced", to nobody
    ([], []),
    (["--timeline", "{tmp}/out.json", "--ascii"], []),
])
def test_the_trace_command_with_its_stderr_closed_ends_as_the_script_does(
        tmp_path, options, script_args):
    """``python3 -m trampoline.trace --ascii script.py 2>&1 | head -1``: once
    nobody read stderr, the chart (or the command's other words) met a
    broken pipe at the end, and the command ended with status 1 and a
    BrokenPipeError instead of the script's own status.  Now what cannot be
    said is not said, and the status is the script's."""
    path = tmp_path / "waits.py"
    path.write_text(WAITS_THEN_RUNS)
    command = [sys.executable, "-m", "trampoline.trace"]
    command += [option.format(tmp=tmp_path) for option in options]
    command += [str(path)] + script_args
    proc = subprocess.Popen(command, env=subprocess_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stderr.close()                 # nobody reads the trace: then the script runs
    out, _ = proc.communicate(b"go\n", timeout=60)
    assert out == b"result 7\n"
    assert proc.returncode == 3


# ======================================================= the instruments

class Counter:
    """An instrument that counts the spawns and steps it is told of."""

    def __init__(self):
        self.spawned = self.steps = 0

    def task_spawned(self, task):
        self.spawned += 1

    def task_step(self, task, value):
        self.steps += 1


def two_children():
    for _ in range(2):
        yield spawn(sleep(0))
    yield sleep(0)


def test_an_instrument_added_twice_is_told_each_event_once_and_taken_out_at_once():
    """trio's ``add_instrument``: one already active is left as it is.
    Here it was installed twice -- every event told twice, its counts
    doubled -- and one ``remove_instrument`` left it in
    ``kernel.instruments``, hooked to nothing; a second one then raised
    ``list.remove(x): x not in list``."""
    counter, alone = Counter(), Counter()
    with Kernel(instruments=[alone]) as kernel:
        kernel.add_instrument(counter)
        kernel.add_instrument(counter)
        assert [each for each in kernel.instruments if each is counter] == [counter]
        kernel.run(two_children())
        assert (counter.spawned, counter.steps) == (alone.spawned, alone.steps)
        assert counter.spawned == 3
        kernel.remove_instrument(counter)
        assert kernel.instruments == [alone]
        kernel.run(two_children())
        assert counter.spawned == 3 and alone.spawned == 6


def test_an_instrument_given_twice_to_the_kernel_is_told_each_event_once():
    counter, alone = Counter(), Counter()
    with Kernel(instruments=[counter, counter]) as kernel:
        assert kernel.instruments == [counter]
        kernel.run(two_children())
    with Kernel(instruments=[alone]) as kernel:
        kernel.run(two_children())
    assert (counter.spawned, counter.steps) == (alone.spawned, alone.steps)
    assert counter.spawned == 3


def test_removing_an_instrument_not_installed_names_it():
    """It raised ``list.remove(x): x not in list``, naming nothing (trio:
    a KeyError saying the instrument is not active)."""
    counter = Counter()
    with Kernel() as kernel:
        with pytest.raises(ValueError, match=r"remove_instrument\(\): <.*Counter object .*> "
                                             r"is not installed in this kernel"):
            kernel.remove_instrument(counter)
        kernel.add_instrument(counter)
        kernel.remove_instrument(counter)
        with pytest.raises(ValueError, match="is not installed"):
            kernel.remove_instrument(counter)
        assert kernel.instruments == []


def test_adding_an_object_with_no_hook_is_refused_as_the_constructor_refuses_it():
    """``Kernel(instruments=[object()])`` is a TypeError naming the object;
    ``add_instrument(object())`` took it silently, and a misspelt hook
    (``task_spawn``) was never called, with no word why."""

    class Misspelt:
        def task_spawn(self, task):
            raise AssertionError("never called")

    with Kernel() as kernel:
        for wrong in (object(), Misspelt()):
            with pytest.raises(TypeError, match=r"add_instrument\(\): <.*> is not an "
                                                r"instrument: it has none of the methods "
                                                r"task_spawned, task_step"):
                kernel.add_instrument(wrong)
        assert kernel.instruments == []
        kernel.run(two_children())


def test_an_instrument_whose_hook_lookup_raises_is_not_left_half_installed():
    """trio's test_instrument_that_raises_on_getattr: ``add_instrument`` of
    an instrument whose hook is a property that raises raised -- but left
    it in ``kernel.instruments`` with the hooks looked up before that one
    installed, told every spawn from then on."""

    class Evil:
        def __init__(self):
            self.spawned = 0

        def task_spawned(self, task):
            self.spawned += 1

        @property
        def timer_fired(self):
            raise ValueError("oops")

    evil = Evil()
    with Kernel() as kernel:
        with pytest.raises(ValueError, match="^oops$"):
            kernel.add_instrument(evil)
        assert kernel.instruments == []
        kernel.run(two_children())
    assert evil.spawned == 0


def test_hooks_added_to_an_instrument_are_seen_once_it_is_added_again():
    """trio's test_instruments_monkeypatch: a hook set on an instrument
    after it was installed is not called; removed and added again, it is;
    removed, it is not."""
    counter = Counter()
    seen = []
    with Kernel() as kernel:
        kernel.add_instrument(counter)
        counter.task_exited = seen.append
        kernel.run(two_children())
        assert seen == []
        kernel.remove_instrument(counter)
        kernel.add_instrument(counter)
        kernel.run(two_children())
        assert len(seen) == 3
        kernel.remove_instrument(counter)
        kernel.run(two_children())
        assert len(seen) == 3


# ========================================== python3 -m trampoline.monitor

@pytest.mark.parametrize("argv, says", [
    (["--port", "5000"], "unknown option '--port': the only argument is the address, as "
                         "host:port (a port alone: :PORT); did you mean :5000?"),
    (["-p", "5000"], "unknown option '-p'"),
    (["-H", "localhost"], "unknown option '-H'"),
    (["localhost", "5000"], "one address at most, as host:port, not 2 arguments "
                            "(localhost 5000); did you mean localhost:5000?"),
    (["a:1", "b:2"], "not 2 arguments (a:1 b:2)\n"),
])
def test_the_monitor_client_names_what_is_wrong_with_its_arguments(argv, says):
    """curio's client takes ``-H host -p port``; ours took ``--port`` for a
    host name ("cannot connect to the monitor at --port:48802: Name or
    service not known", status 1), and two words printed the usage alone,
    on stdout, saying nothing of what was wrong.  Now: on stderr, what was
    wrong and how to write it, status 2, as for a bad address."""
    done = subprocess.run([sys.executable, "-m", "trampoline.monitor"] + argv,
                          env=subprocess_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    first, usage = done.stderr.split("\n", 1)
    assert " -m trampoline.monitor: " in first and says in done.stderr
    assert usage.startswith("usage: ") and "-m trampoline.monitor [host:port]" in usage


# ============================================================ TextTrace

def test_the_text_trace_says_how_each_task_ended(caplog):
    """Every task's last line read "exits": a task that raised looked like
    one that returned, and a learner reading the trace of a crash could not
    find it.  Now: "exits: returned 2", "raised KeyError('k')", "cancelled"
    -- read without marking the crash as seen, so a crash nobody joins is
    still logged as one."""

    def inner():
        yield sleep(0)
        return 1

    async def crashes():
        await sleep(0)
        raise KeyError("k")

    def unjoined():
        yield sleep(0)
        raise ValueError("nobody joins me")

    def sleeper():
        yield sleep(3600)

    def main():
        value = yield inner()
        failing = yield spawn(crashes())
        try:
            yield join(failing)
        except TaskError:
            pass
        yield spawn(unjoined())
        victim = yield spawn(sleeper())
        yield sleep(0)
        yield cancel(victim)
        return value + 1

    out = io.StringIO()
    with caplog.at_level(logging.ERROR, logger="trampoline"):
        assert run(main(), instruments=[TextTrace(out)]) == 2
    exits = sorted(line.split(None, 1)[1] for line in out.getvalue().splitlines()
                   if " exits" in line)
    assert [" ".join(line.split()) for line in exits] == [
        "task 1 main exits: returned 2",
        "task 2 crashes exits: raised KeyError('k')",
        "task 3 unjoined exits: raised ValueError('nobody joins me')",
        "task 4 sleeper exits: cancelled",
    ]
    assert "nobody joins me" in caplog.text     # the crash nobody joined: still told


def test_ps_says_how_much_of_a_sleep_is_left():
    """curio's ps shows how long a sleeping task has left; ours said
    "sleep(100): 100 s to pass" however long it had slept already.  Now
    "90.0 s left" after 10 s of it (on a virtual clock, which stands still
    while the monitor answers)."""
    from test_monitor import ANYWHERE, ask, open_monitor
    from trampoline import VirtualClock

    def sleeper():
        yield sleep(100)

    def main():
        napper = yield spawn(sleeper())
        yield sleep(10)
        sock = yield open_monitor()
        with sock:
            answer = yield ask(sock, "ps")
        yield cancel(napper)
        return answer

    clock = VirtualClock(autojump_threshold=float("inf"))
    with Kernel(clock=clock, monitor=ANYWHERE) as kernel:
        answer = kernel.run(main())
    row = next(line for line in answer.splitlines() if line.split()[:2] == ["2", "sleeper"])
    assert row.endswith("sleep(100): 90.0 s left"), answer


# ==================================================== a chart of many tasks

MANY_TASKS = """\
import sys
from trampoline import run, sleep, spawn, join

def child():
    yield sleep(0)

def main():
    tasks = []
    for _ in range(int(sys.argv[1])):
        tasks.append((yield spawn(child())))
    for task in tasks:
        yield join(task)
    return len(tasks)

print("joined", run(main()))
"""


def test_the_chart_of_a_script_that_spawns_ten_thousand_tasks_stays_readable(tmp_path):
    """``--ascii`` of a script that spawns 10,000 tasks printed 10,004
    lines, a row for each: no chart at all on a terminal.  Now the first
    100 tasks are drawn and a line says how many more there were; the
    JSON timeline (``--timeline``) keeps every one."""
    path = tmp_path / "many.py"
    path.write_text(MANY_TASKS)
    out_json = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "trampoline.trace", "--ascii", "--width", "20",
         "--timeline", str(out_json), str(path), "10000"],
        env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "joined 10000\n"
    rows = [line for line in done.stderr.splitlines() if line.startswith("task ")]
    assert len(rows) == 100
    assert rows[0].startswith("task 1 main ") and rows[-1].startswith("task 100 child |")
    assert "... and 9901 more tasks, not drawn (the first 100 are)" in done.stderr
    assert len(done.stderr.splitlines()) < 110
    events = json.loads(out_json.read_text())["traceEvents"]
    assert {event["tid"] for event in events if event["name"] == "thread_name"} >= set(
        range(1, 10002))


def test_ascii_draws_at_most_the_rows_asked_for():
    from trampoline.trace import Timeline
    timeline = Timeline()
    run(two_children(), instruments=[timeline])
    every = timeline.ascii(20).splitlines()
    assert len(every) == 1 + 3 + 1              # heading, three tasks, legend
    assert timeline.ascii(20, rows=3) == timeline.ascii(20)
    two = timeline.ascii(20, rows=2).splitlines()
    assert two[:3] == every[:3]
    assert two[3].strip() == "... and 1 more task, not drawn (the first 2 are)"
    for rows, error in ((0, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match=r"Timeline.ascii\(rows\): rows "):
            timeline.ascii(20, rows=rows)


# ====================================================== -m module

TRACED_MODULE = """\
import sys
from trampoline import run, sleep

def main():
    yield sleep(0)
    return 7

print("result", run(main()), "argv", [__name__, sys.argv[0].endswith("mine.py")]
      + sys.argv[1:])
if "--fail" in sys.argv:
    raise ValueError("boom")
sys.exit(4)
"""


def trace_command(args, cwd):
    return subprocess.run([sys.executable, "-m", "trampoline.trace"] + args, cwd=str(cwd),
                          env=subprocess_env(), capture_output=True, text=True, timeout=60)


def test_the_trace_command_runs_a_module_as_python3_m_does(tmp_path):
    """``python3 -m cProfile -m module``, ``pdb -m``, ``trace --module``:
    ours said "unrecognized arguments: -m".  Now ``-m module args...`` runs
    the module as ``python3 -m`` does -- ``__main__``, its file in
    sys.argv[0], the rest its arguments -- traced, its status its own."""
    (tmp_path / "mine.py").write_text(TRACED_MODULE)
    done = trace_command(["--ascii", "--width", "20", "-m", "mine", "x", "--ascii"], tmp_path)
    assert done.returncode == 4, done.stderr
    assert done.stdout == "result 7 argv ['__main__', True, 'x', '--ascii']\n"
    assert "task 1 main |" in done.stderr and "# running" in done.stderr

    done = trace_command(["-m", "mine", "--fail"], tmp_path)
    assert done.returncode == 1
    assert "task 1 main" in done.stderr and "exits: returned 7" in done.stderr
    traceback_text = done.stderr[done.stderr.index("Traceback"):]
    assert traceback_text.startswith('Traceback (most recent call last):\n  File "%s"'
                                     % (tmp_path / "mine.py"))
    assert "runpy" not in traceback_text and "ValueError: boom" in traceback_text


@pytest.mark.parametrize("args, says", [
    (["-m"], "argument -m: the module to run is missing"),
    (["-m", "no_such_module_here"], "argument -m: no module named 'no_such_module_here'"),
    (["-m", "no_such_package.sub"], "argument -m: cannot find the module "
                                     "'no_such_package.sub': No module named 'no_such_package'"),
    (["--ascii", "-m", "trampoline"], "argument -m: trampoline is a package with no __main__ "
                                      "module, and cannot be run"),
])
def test_a_module_that_cannot_be_run_is_named_before_anything_runs(tmp_path, args, says):
    done = trace_command(args, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: ") and done.stderr.endswith(": error: %s\n" % says)


def test_a_timeline_keeps_at_most_max_slices_and_says_where_it_stopped(tmp_path, caplog):
    """A server traced with ``--timeline`` for hours kept every slice and
    every task's row it ever saw: memory without end.  Now it keeps at most
    ``max_slices``, then records no more -- no new row either -- logs a
    warning once, and the chart and the JSON say where it stopped."""
    from trampoline.trace import Timeline

    def one_by_one(count):
        for _ in range(count):
            yield join((yield spawn(two_children())))

    timeline = Timeline(tmp_path / "out.json")
    timeline.max_slices = 50
    with caplog.at_level(logging.WARNING, logger="trampoline"):
        run(one_by_one(200), instruments=[timeline])
    rows = timeline.slices()
    assert sum(len(slices) for _, slices in rows) + len(timeline._polls) == 50
    assert len(rows) < 30                   # (of the 601 tasks that ran)
    warnings = [record for record in caplog.records if "Timeline.max_slices" in record.message]
    assert len(warnings) == 1
    assert "50 slices recorded, the most it keeps" in warnings[0].message
    chart = timeline.ascii(20)
    assert ("the timeline stops here: it keeps 50 slices (Timeline.max_slices), and recorded "
            "no more at ") in chart
    events = json.loads((tmp_path / "out.json").read_text())["traceEvents"]
    cut = [event for event in events if event["ph"] == "i"]
    assert len(cut) == 1 and cut[0]["name"].startswith("the timeline stops here")
    assert cut[0]["ts"] >= max(event["ts"] for event in events if event["ph"] == "X")

    untouched = Timeline()                  # (a million by default: none of it cut)
    run(one_by_one(200), instruments=[untouched])
    assert len(untouched.slices()) == 601 and untouched._cut is None
    assert "stops here" not in untouched.ascii(20)


# ============================================ names wider or narrower than their length

WIDE_NAMES = ["café ☕ 咖啡", "plain", "e\u0301cole"]     # (☕ 咖 啡: two columns each;
                                                        # the accent: none)


def display_width(text):
    """Columns of a terminal: computed here the plain way, to check the tools'."""
    import unicodedata
    return sum(0 if unicodedata.combining(char) else
               2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def spawn_sleepers(names, seconds):
    """``tasks = yield from spawn_sleepers(names, seconds)``: a task per
    name, each sleeping ``seconds``."""
    def child():
        yield sleep(seconds)

    tasks = []
    for name in names:
        tasks.append((yield spawn(child(), name=name)))
    return tasks


def sleepers_named(names):
    def main():
        for task in (yield from spawn_sleepers(names, 0.001)):
            yield join(task)
    return main()


def test_the_chart_lines_up_names_of_wide_and_combining_characters():
    """A task named "café ☕ 咖啡" pushed its row three columns right of the
    others on a terminal, and "école" written with a combining accent one
    column left: the chart's columns no longer lined up.  Labels are now
    padded to the columns they take."""
    from trampoline.trace import Timeline
    timeline = Timeline()
    run(sleepers_named(WIDE_NAMES), instruments=[timeline])
    rows = [line for line in timeline.ascii(20).splitlines() if line.startswith("task ")]
    assert len(rows) == 4
    bars = {display_width(row.partition("|")[0]) for row in rows}
    assert len(bars) == 1, rows


def ps_then_cancel(tasks):
    """``answer = yield from ps_then_cancel(tasks)``: what the monitor's
    ps says, then the tasks cancelled."""
    from test_monitor import ask, open_monitor
    sock = yield open_monitor()
    with sock:
        answer = yield ask(sock, "ps")
    for task in tasks:
        yield cancel(task)
    return answer


def test_ps_lines_up_names_of_wide_and_combining_characters():
    from test_monitor import ANYWHERE

    def main():
        tasks = yield from spawn_sleepers(WIDE_NAMES, 3600)
        return (yield from ps_then_cancel(tasks))

    answer = run(main(), monitor=ANYWHERE)
    rows = [line for line in answer.splitlines() if "parked" in line]
    assert len(rows) == 4, answer
    assert len({display_width(row.partition("parked")[0]) for row in rows}) == 1, answer


# ============================================ the traced script sees what python3 gives it

BESIDE_ITSELF = """\
import os, pickle, sys
from trampoline import run, sleep

class Point:
    pass

def main():
    yield sleep(0)
    return "ran"

here = os.path.dirname(__file__)
os.chdir(os.sep)                        # then a file beside the script, found by __file__
try:
    with open(os.path.join(here, "data.txt")) as data:
        found = data.read()
except OSError as error:
    found = "not found"
print(run(main()), found, sys.argv[0], os.path.isabs(__file__),
      type(pickle.loads(pickle.dumps(Point()))).__name__)
"""


def test_a_traced_script_gets_the_file_name_python3_gives_it(tmp_path):
    """Python 3.9+ runs ``python3 script.py`` with an absolute ``__file__``
    (sys.argv[0] as given); under the command it was the relative path, so
    a script that changed directory and then opened a file beside itself
    found it untraced and failed traced.  Now both runs print the same."""
    (tmp_path / "beside.py").write_text(BESIDE_ITSELF)
    (tmp_path / "data.txt").write_text("data")
    plain = subprocess.run([sys.executable, "beside.py"], cwd=str(tmp_path),
                           env=subprocess_env(), capture_output=True, text=True, timeout=60)
    traced = trace_command(["beside.py"], tmp_path)
    assert plain.returncode == traced.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout
    if sys.version_info >= (3, 9):
        assert plain.stdout == "ran data beside.py True Point\n"
    assert "task 1 main" in traced.stderr


CHANGES_DIRECTORY = """\
import os, sys
from trampoline import run, sleep

def main():
    yield sleep(0)

os.chdir(sys.argv[1])
run(main())
"""


def test_a_timeline_goes_where_it_was_asked_for_though_the_script_changes_directory(
        tmp_path):
    """``--timeline t.json`` of a script that changed directory left an
    empty t.json where it was asked for and wrote the timeline into the
    script's new directory.  Now the path is taken when it is given."""
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    (tmp_path / "here" / "moves.py").write_text(CHANGES_DIRECTORY)
    done = trace_command(["--timeline", "t.json", "moves.py", str(tmp_path / "there")],
                         tmp_path / "here")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "there" / "t.json").exists()
    events = json.loads((tmp_path / "here" / "t.json").read_text())["traceEvents"]
    assert {"name": "task 1 main"} in [event.get("args") for event in events]


def test_the_text_trace_lines_up_names_of_wide_and_combining_characters():
    """The text trace's second column moved by a column for each wide
    character in a task's name (and back for a combining accent)."""
    out = io.StringIO()
    run(sleepers_named(WIDE_NAMES), instruments=[TextTrace(out)])
    spawned = [line for line in out.getvalue().splitlines() if line.endswith(" spawned")]
    assert len(spawned) == 4
    assert len({display_width(line.rpartition(" spawned")[0]) for line in spawned}) == 1, spawned


def test_ps_says_when_a_tasks_timeout_comes():
    """curio's ps has a Timeout column; ours did not say a waiting task was
    under a timeout at all.  Now "timeout in 20.0 s", beside what it waits
    on (alone, for a task ready to run)."""
    from test_monitor import ANYWHERE
    from trampoline import VirtualClock, timeout_after, ignore_after

    def patient():
        yield timeout_after(30, sleep(100))

    def forever():
        yield ignore_after(float("inf"), sleep(1000))

    def main():
        tasks = [(yield spawn(patient())), (yield spawn(forever()))]
        yield sleep(10)
        return (yield from ps_then_cancel(tasks))

    clock = VirtualClock(autojump_threshold=float("inf"))
    with Kernel(clock=clock, monitor=ANYWHERE) as kernel:
        answer = kernel.run(main())
    rows = {line.split()[1]: line for line in answer.splitlines()
            if line.split()[:1] and line.split()[0].isdigit()}
    assert rows["patient"].endswith("sleep(100): 90.0 s left; timeout in 20.0 s"), answer
    assert rows["forever"].endswith("sleep(1000): 16 min left"), answer
    assert "timeout" not in rows["main"]
