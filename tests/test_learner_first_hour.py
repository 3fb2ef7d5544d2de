"""A learner's first hour with the teaching tools and the examples, from a
fresh clone: what the trace, the ASCII chart, the monitor's view of a
server and the examples' messages show someone who does not know the
insides yet."""

import io
import os
import subprocess
import sys
import textwrap

import pytest

from trampoline import (Event, Kernel, TaskTimeout, current, disable_cancellation, join, run,
                        sleep, spawn, timeout_after)
from trampoline.trace import TextTrace, Timeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def run_traced(main, *instruments):
    with Kernel(instruments=list(instruments)) as kernel:
        return kernel.run(main())


def test_text_trace_names_a_call_under_a_timeout_as_written():
    """A subroutine called under ``timeout_after`` is named once, without
    its ``main.<locals>.``: the trace showed "call fetch)()" and
    "spawn(fetch)())" -- the timeout's name cut inside its parenthesis,
    then given a second pair."""
    def main():
        def fetch():
            yield sleep(0)
            return 1
        yield timeout_after(5, fetch())
        task = yield spawn(timeout_after(5, fetch()))
        yield join(task)

    out = io.StringIO()
    run_traced(main, TextTrace(out))
    text = out.getvalue()
    assert "-> call timeout_after(5, fetch)\n" in text
    assert "-> spawn(timeout_after(5, fetch))\n" in text
    assert ")()" not in text and "<locals>" not in text


def test_ascii_chart_of_two_runs_says_which_run_each_row_is():
    """Each run numbers its tasks from 1: after two runs the chart had two
    rows "task 1 main", told apart by nothing (the JSON has a process per
    run).  Each row now starts with its run; one run's chart is as before."""
    def main():
        yield sleep(0.001)

    timeline = Timeline()
    run_traced(main, timeline)
    assert [line.split("|")[0].rstrip() for line in timeline.ascii(width=20).splitlines()[1:2]] \
        == ["task 1 main"]
    run_traced(main, timeline)
    rows = [line.split("|")[0].rstrip() for line in timeline.ascii(width=20).splitlines()
            if "|" in line]
    assert rows == ["run 1: task 1 main", "run 2: task 1 main"]


DRAINED = textwrap.dedent("""
    import os, signal
    from trampoline.workers import run_server

    def handler(stream, address):
        yield stream.read(1)

    def ready(address):             # the stop signals are handled by now
        os.kill(os.getpid(), signal.SIGTERM)

    run_server("127.0.0.1", 0, handler, ready=ready)
    print("stopped")
""")


def test_run_server_drain_is_trampolines_own_task(tmp_path):
    """Stopping, ``run_server`` drains its connections in a task of its
    own: that task was named "_drain", so the monitor's ``ps`` showed it as
    the program's (and ``cancel`` took it), and the trace too; it is
    "trampoline: run_server drain", as the worker and the sweeper beside
    it are."""
    path = tmp_path / "drained.py"
    path.write_text(DRAINED)
    env = dict(os.environ, TRAMPOLINE_TRACE="1", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=30, env=env)
    assert out.returncode == 0 and out.stdout == "stopped\n", out.stderr
    names = []                      # "task N name" of each "spawned" line
    for line in out.stderr.splitlines():
        if " (in full: " in line:
            names.append(line.split(" (in full: ", 1)[1][:-1])
        elif line.endswith(" spawned"):
            names.append(line.split(None, 1)[1][:-len(" spawned")].rstrip())
    assert any(name.endswith(" trampoline: run_server drain") for name in names), names
    assert all(name.split(" ", 2)[2].startswith("trampoline: ") for name in names), names


def example(name, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name)] + list(args),
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PYTHONPATH=ROOT))


@pytest.mark.parametrize("name, says", [
    ("echo_server.py", "echo server"), ("chat_server.py", "chat server"),
    ("kv_server.py", "kv server"), ("http_server.py", "http server")])
def test_example_servers_name_the_port_option_out_of_range(name, says):
    """A server's ``--port 70000`` is named as ``--port``, as the clients,
    ``udp_echo.py`` and ``compose.py`` name it: the four servers said
    "run_server(): port must be ..." or "tcp_server(): ...", a function the
    reader never called."""
    out = example(name, "--port", "70000")
    assert out.returncode == 1
    assert out.stderr == "%s: --port: port must be an int from 0 to 65535, got 70000\n" % says


@pytest.mark.parametrize("name, args, message", [
    ("echo_client.py", ["--count", "-1"], "--count must be at least 0, got -1"),
    ("echo_client.py", ["--count", "1", "--connections", "0"],
     "--connections must be at least 1, got 0"),
    ("embed_thread.py", ["--workers", "0"], "--workers must be at least 1, got 0"),
    ("echo_server.py", ["--workers", "-2"], "--workers must be 0 or more, got -2"),
    ("http_server.py", ["--workers", "-2"], "--workers must be 0 or more, got -2")])
def test_example_usage_errors_name_the_bad_value(name, args, message):
    """A usage error says which option and what it was given, as the
    other options' errors do (``--outbox must be at least 1, got 0``):
    these said "--connections must be at least 1 and --count at least 0"
    for either, or the rule alone."""
    out = example(name, *args)
    assert out.returncode == 2
    assert out.stderr.splitlines()[-1] == "%s: error: %s" % (name, message)


class SpawnedNames:
    """An instrument: the name of every task spawned."""

    def __init__(self):
        self.names = []

    def task_spawned(self, task):
        self.names.append(task.name)


def test_tasks_run_from_asyncio_are_named_for_their_work():
    """``run_trampoline(fetch())`` and ``AsyncioDriver.run(fetch())`` run
    ``fetch`` in a task named "fetch", as ``run()`` and ``spawn`` name it:
    it was "_outcome_into", the driver's wrapper, in the trace, the
    monitor's ``ps`` and every error naming the task."""
    import asyncio
    from trampoline.aio import AsyncioDriver, run_trampoline

    def fetch(n):
        yield sleep(0)
        return n

    spawned = SpawnedNames()

    async def main():
        first = await run_trampoline(fetch(1), instruments=[spawned])
        with Kernel(instruments=[spawned]) as kernel:
            async with AsyncioDriver(kernel, asyncio.get_running_loop()) as driver:
                second = await driver.run(fetch(2))
                third = await driver.run(fetch(3), name="third")
        return first, second, third

    assert asyncio.run(main()) == (1, 2, 3)
    assert spawned.names == ["fetch", "fetch", "third"]


def test_the_task_that_cancels_for_asyncio_is_trampolines_own():
    """The asyncio task awaiting ``driver.run(fetch())`` is cancelled: a
    task of the driver's cancels the trampoline task and says when it has
    ended.  It is named as trampoline's own ("trampoline: ..."), so the
    monitor's ``ps`` leaves it out: it was "_cancel_then_set", listed with
    the program's tasks."""
    import asyncio
    from trampoline.aio import AsyncioDriver

    def fetch():
        yield Event().wait()

    spawned = SpawnedNames()

    async def main():
        with Kernel(instruments=[spawned]) as kernel:
            async with AsyncioDriver(kernel, asyncio.get_running_loop()) as driver:
                waiting = asyncio.ensure_future(driver.run(fetch()))
                while not spawned.names:
                    await asyncio.sleep(0)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting

    asyncio.run(main())
    assert spawned.names == ["fetch", "trampoline: cancelling task 1"]


def test_ps_with_only_trampolines_own_tasks_says_so():
    """The monitor's ``ps`` when no task of the program's is alive (the
    echo server's connections cancelled, say): a line says there is none,
    and how many of trampoline's own ``ps all`` would show.  It printed the
    header alone, which read as a broken answer."""
    from test_monitor import ANYWHERE, ask, open_monitor

    answers = {}

    def main():
        (yield current()).name = "trampoline: main"     # (as run_server's tasks are)
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
            answers["ps all"] = yield ask(sock, "ps all")

    run(main(), monitor=ANYWHERE)
    lines = answers["ps"].splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "FOR", "WAITING", "ON"]
    assert lines[1:3] == ["(no task of the program's)",
                          "(and 1 of trampoline's own task: 'ps all' shows it)"], lines
    assert "trampoline: main" in answers["ps all"]


class TimersFired:
    """An instrument: every ``timer_fired`` and ``alarm_fired`` call, with
    the task's state as the hook sees it."""

    def __init__(self):
        self.fired = []

    def timer_fired(self, task):
        self.fired.append(("sleep over", task.name, task.state))

    def alarm_fired(self, task, exception):
        self.fired.append(("alarm", task.name, task.state, type(exception).__name__))


def test_a_timeout_going_off_is_told_to_instruments_as_a_sleep_ending_is():
    """A sleep that ends is a "timer:" line in the text trace and the start
    of a "ready" slice in a timeline; a timeout that goes off was neither
    (no hook told it): the task showed waiting until it ran with the error
    thrown in.  Now the ``alarm_fired`` hook tells it, with the exception:
    the text trace says so, and the timeline has the task ready from then.
    A timeout that goes off under ``disable_cancellation`` wakes nobody:
    the hook is told, and the task stays waiting."""
    def main():
        yield sleep(0.001)
        try:
            yield timeout_after(0.001, Event().wait())
        except TaskTimeout:
            pass
        try:
            with timeout_after(0.001):
                with disable_cancellation():
                    yield sleep(0.002)
                yield sleep(0)                          # its first blocking trap after
        except TaskTimeout:
            pass

    timers, out, timeline = TimersFired(), io.StringIO(), Timeline()
    run_traced(main, timers, TextTrace(out), timeline)
    assert timers.fired[:2] == [("sleep over", "main", "ready"),
                                ("alarm", "main", "ready", "TimeoutCancelled")]
    assert ("alarm", "main", "parked", "TimeoutCancelled") in timers.fired
    assert "timer: task 1 main's time is up: TimeoutCancelled" in out.getvalue(), out.getvalue()
    (label, slices), *_ = timeline.slices()
    states = [state for _, _, state, _ in slices]
    waited = states.index("z")                          # the first sleep: then ready, run
    event = states.index(".", waited)                   # Event().wait()
    assert states[event + 1:event + 3] == ["-", "#"], states
