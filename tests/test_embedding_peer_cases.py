"""A kernel driven from another program's loop, in the cases the peers test:
asyncio's run_until_complete / _run_once, trio's guest mode
(trio/_core/_tests/test_guest_mode.py), curio's Kernel.run / close."""

import asyncio
import selectors
import socket
import threading
import time

import pytest

from trampoline import (Cancelled, Kernel, VirtualClock, ignore_after, read, run, sleep, spawn,
                        write)
from trampoline.aio import AsyncioDriver

from net_helpers import asyncio_run, watchdog  # noqa: F401  (autouse)


# -------------------------------------------- a virtual clock in a host loop

def drive(kernel, done, rounds=1000):
    """The plainest host loop: block as long as the kernel asks, one round
    at a time, until ``done()``; return how many rounds it took."""
    for count in range(1, rounds + 1):
        kernel.run_once(kernel.next_deadline())
        if done():
            return count
    raise AssertionError("not done after %d rounds" % rounds)


def test_a_host_loop_waiting_as_asked_moves_a_virtual_clock_to_its_timers():
    # trio's guest mode runs MockClock's autojump; so does run() here.  A host
    # loop blocking in run_once(next_deadline()) waited the timer's virtual
    # seconds in real time, and then the clock had not moved: for ever.
    clock = VirtualClock()
    woke = []

    def sleeper():
        yield sleep(3600)
        woke.append(clock())
        yield sleep(60)
        woke.append(clock())
        return "done"

    with Kernel(clock=clock) as kernel:
        task = kernel.spawn(sleeper())
        kernel.run_once()
        assert kernel.next_deadline() == 3600
        kernel.run_once()                       # a frame's round: the clock stays
        assert clock() == 0 and kernel.next_deadline() == 3600
        started = time.monotonic()
        drive(kernel, lambda: task.done)
        assert time.monotonic() - started < 5   # (an hour and a minute, virtual)
        assert woke == [3600, 3660] and task.result == "done"


def test_a_virtual_clock_jumps_after_its_threshold_while_a_task_waits_on_io():
    # run()'s rule: I/O may itself wait on the timer (a peer that sleeps, then
    # writes), so the clock jumps after autojump_threshold of quiet real time.
    clock = VirtualClock(autojump_threshold=0.01)
    left, right = socket.socketpair()

    def reader():
        return (yield read(left, 100))

    def writer():
        yield sleep(30)
        yield write(right, b"late")

    with Kernel(clock=clock) as kernel, left, right:
        got = kernel.spawn(reader())
        kernel.spawn(writer())
        drive(kernel, lambda: got.done)
        assert got.result == b"late" and clock() == 30


def test_a_virtual_clock_does_not_jump_to_a_timer_set_for_ever():
    # sleep(inf): no timer to jump to.  The round waits for I/O as asked
    # (here: bytes already sent), and the clock stays where it is.
    clock = VirtualClock()
    left, right = socket.socketpair()

    def forever():
        yield sleep(float("inf"))

    def reader():
        return (yield read(left, 100))

    with Kernel(clock=clock) as kernel, left, right:
        kernel.spawn(forever())
        got = kernel.spawn(reader())
        kernel.run_once()                       # both run, and park
        right.send(b"now")
        drive(kernel, lambda: got.done)         # (the only timer is the inf one)
        assert got.result == b"now" and clock() == 0


# ------------------------------------------- run until a task is done

def test_a_host_loop_blocking_until_its_task_is_done_returns_once_it_is():
    # asyncio's run_until_complete and curio's Kernel.run return as the main
    # task ends; the host loop's form is "while not task.done:
    # run_once(None)".  The round that ran the task to its end then blocked
    # in the poller -- for an hour, nothing else being due -- before the
    # host could see it was done.
    left, right = socket.socketpair()
    seen = []

    def main():
        yield sleep(0.01)
        return "done"

    def reports_then_waits():
        seen.append("reported")             # what the host waits for ...
        yield read(left, 1)                 # ... then a wait nothing ends

    with Kernel() as kernel, left, right:
        task = kernel.spawn(main())
        while not task.done:
            kernel.run_once(None)
        assert task.result == "done"
        kernel.spawn(reports_then_waits())
        while not seen:
            kernel.run_once(kernel.next_deadline())
        assert seen == ["reported"]


# -------------------------------- a deadline moved by the host's own code

def napper(scopes):
    """Sleeps 50 s under a 100 s ignore_after, whose scope the host moves."""
    with ignore_after(100) as scope:
        scopes.append(scope)
        yield sleep(50)
        return "slept"                      # pragma: no cover - it never does
    return "woke"


def test_a_deadline_moved_between_rounds_wakes_a_host_blocked_on_fileno():
    # trio's test_host_altering_deadlines_wakes_trio_up: a scope's deadline
    # moved by the host's code between rounds (a "cancel" button) -- the host
    # loop, blocked on fileno() until the old deadline, slept on.
    scopes = []
    with Kernel() as kernel, selectors.DefaultSelector() as selector:
        selector.register(kernel.fileno(), selectors.EVENT_READ)
        task = kernel.spawn(napper(scopes))
        while not scopes:
            kernel.run_once(0)
        wait = kernel.next_deadline()       # the host sets its timer (tkinter's after())
        assert 49 < wait <= 50
        scopes[0].deadline = kernel.time()  # then its own code (a button) moves it
        assert selector.select(min(wait, 5)), "the host loop was not woken"
        while not task.done:
            kernel.run_once(kernel.next_deadline())
        assert task.result == "woke"


def test_a_deadline_moved_by_asyncio_code_wakes_the_asyncio_driver():
    scopes = []

    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                outcome = asyncio.ensure_future(driver.run(napper(scopes)))
                while not scopes:
                    await asyncio.sleep(0)
                scopes[0].deadline = kernel.time()
                return await asyncio.wait_for(outcome, 5)

    assert asyncio_run(main()) == "woke"


# ------------------------------------------------ the environment switches

@pytest.mark.parametrize("name", ["TRAMPOLINE_DEBUG", "TRAMPOLINE_TRACE"])
@pytest.mark.parametrize("value", ["false", "no", "Off"])
def test_a_switch_set_to_a_word_for_off_is_refused_naming_it(monkeypatch, name, value):
    # Any value but 0 switches debug mode or the trace on: "false" did, in
    # silence.  The monitor's TRAMPOLINE_MONITOR refuses such words already.
    monkeypatch.setenv(name, value)
    ran = []

    def main():
        ran.append(True)                # pragma: no cover - never runs
        yield sleep(0)                  # pragma: no cover

    coro = main()
    with pytest.raises(ValueError, match=r"^%s=%r reads as 'off'.* set it to 0"
                       % (name, value)):
        run(coro)
    assert not ran and coro.gi_frame is None        # closed: no "never awaited" warning
    monkeypatch.setenv(name, "0")

    def fine():
        yield sleep(0)
        return "ran"
    assert run(fine()) == "ran"


# ------------------------------------------------- other threads, the host

def test_cancel_from_another_thread_is_refused_and_call_threadsafe_does_it_at_once():
    # Kernel.cancel() from a thread while the host blocks in run_once(None)
    # changed the kernel's queues under it, and woke nothing: the task was
    # cancelled only when its 30 s sleep ended.  (asyncio checks such calls
    # in debug mode; trio raises outside its thread.)  It is refused, as
    # spawn() is, naming call_threadsafe, which wakes the kernel.
    started = threading.Event()
    outcome = []

    def napper():
        started.set()
        try:
            yield sleep(30)
        except Cancelled:
            outcome.append("cancelled")
            raise

    with Kernel() as kernel:
        task = kernel.spawn(napper())

        def host_loop():
            while not task.done:
                kernel.run_once(None)

        host = threading.Thread(target=host_loop, name="host loop")
        host.start()
        try:
            assert started.wait(10)
            with pytest.raises(RuntimeError, match=r"^Kernel.cancel\(\) called from another "
                               r"thread.*kernel.call_threadsafe\(kernel.cancel, task\)"):
                kernel.cancel(task)
            began = time.monotonic()
            kernel.call_threadsafe(kernel.cancel, task)
        finally:
            host.join(10)
        assert not host.is_alive() and time.monotonic() - began < 5
        assert outcome == ["cancelled"] and task.cancelled
        kernel.cancel(task)                 # this thread drives it now: harmless, done


def test_run_from_another_thread_between_a_host_loops_rounds_is_refused():
    # run() checked only that no round was under way: between the host
    # loop's rounds it ran, the loop's next run_once() failed ("running in
    # another thread"), and run()'s shutdown cancelled the loop's tasks.
    between_rounds, go_on = threading.Event(), threading.Event()

    def job():
        yield sleep(0)
        return "ran"

    def host_loop(kernel, task):
        kernel.run_once(0)
        between_rounds.set()
        go_on.wait(10)                      # (a watchdog, not a pause)
        while not task.done:
            kernel.run_once(kernel.next_deadline())

    with Kernel() as kernel:
        hosted = kernel.spawn(job())
        host = threading.Thread(target=host_loop, args=(kernel, hosted), name="host loop")
        host.start()
        try:
            assert between_rounds.wait(10)
            coro = job()
            with pytest.raises(RuntimeError, match=r"^run\(\): this kernel is driven by "
                               r"thread 'host loop' with run_once\(\).*spawn_threadsafe"):
                kernel.run(coro)
            assert coro.gi_frame is None    # closed, not left to warn
        finally:
            go_on.set()
            host.join(10)
        assert not host.is_alive() and hosted.result == "ran"
        assert kernel.run(job()) == "ran"   # that thread is gone: this one may run it


# ------------------------------------------------------- run()'s options

@pytest.mark.parametrize("returns, error, says", [
    ("12:00", TypeError, r"returned '12:00'"),
    (None, TypeError, r"returned None"),
    (True, TypeError, r"returned True"),
    (float("nan"), ValueError, r"returned nan"),
])
def test_a_clock_that_gives_no_time_is_refused_when_the_kernel_is_made(returns, error, says):
    # It was taken, and the first sleep failed in its task with "can only
    # concatenate str (not "float") to str", naming neither the clock nor
    # the option.
    def clock():
        return returns

    def main():
        yield sleep(0.01)               # pragma: no cover - never runs

    coro = main()
    with pytest.raises(error, match=r"^Kernel\(clock=\.\.\.\) needs a function returning "
                                    r"the time in seconds.*<function .*clock.*> " + says):
        run(coro, clock=clock)
    assert coro.gi_frame is None        # closed: no "never awaited" warning


@pytest.mark.parametrize("instruments, says", [
    ("trace", r"needs an iterable of instruments, got 'trace'"),
    ([print], r"<built-in function print> is not an instrument: it has none of the "
              r"methods task_spawned, .*timer_fired"),
    (["TextTrace"], r"'TextTrace' is not an instrument"),
])
@pytest.mark.parametrize("traced", [False, True])
def test_what_is_no_instrument_is_refused_naming_it(monkeypatch, instruments, says, traced):
    # A string was taken letter by letter, an object with no hook at all
    # as an instrument: the program ran, and nothing was traced.  (With
    # TRAMPOLINE_TRACE, run() adds its trace to the list it is given.)
    if traced:
        monkeypatch.setenv("TRAMPOLINE_TRACE", "1")

    def main():
        yield sleep(0)                  # pragma: no cover - never runs

    coro = main()
    with pytest.raises(TypeError, match=r"^Kernel\(instruments=\.\.\.\)[: ].*" + says):
        run(coro, instruments=instruments)
    assert coro.gi_frame is None


# ------------------------------------------- closing with tasks still alive

def test_closing_a_host_driven_kernel_with_tasks_alive_warns_naming_each_and_where_it_waits(
        caplog):
    """asyncio's "Task was destroyed but it is pending!": closing a loop
    with tasks alive drops them, and asyncio says so.  ``Kernel.close()``
    dropped them without a word -- a host loop that forgot to cancel its
    server found out only from a socket never closed.  Now one WARNING
    names each task (five at most) and where it waits; a kernel whose
    tasks were cancelled and reaped, or that ``run()`` ran, says nothing."""
    a, b = socket.socketpair()

    def reader():
        yield read(a, 100)

    def sleeper():
        yield sleep(3600)

    kernel = Kernel()
    kernel.spawn(reader(), name="reader")
    for _ in range(6):
        kernel.spawn(sleeper(), name="sleeper")
    kernel.run_once(0)
    with caplog.at_level("WARNING", logger="trampoline"):
        kernel.close()
    fd = a.fileno()
    a.close()
    b.close()
    records = [r for r in caplog.records if r.name == "trampoline"]
    assert len(records) == 1 and records[0].levelname == "WARNING"
    message = records[0].getMessage()
    assert message.startswith("Kernel.close() dropped 7 tasks still alive, never to run "
                              "again (for their cleanup, cancel them and run rounds before "
                              "closing): task 1 reader waits in <read fd=%d nbytes=100>, "
                              "called at %s:" % (fd, __file__)), message
    assert message.count("sleeper waits in <sleep seconds=3600>") == 4
    assert message.endswith("; ...")
    caplog.clear()

    kernel = Kernel()
    tasks = [kernel.spawn(sleeper()) for _ in range(3)]
    kernel.run_once(0)
    for task in tasks:
        kernel.cancel(task)
    while not all(task.done for task in tasks):
        kernel.run_once(0)
    with caplog.at_level("WARNING", logger="trampoline"):
        kernel.close()
        run(main_leaving_a_task_asleep(sleeper))   # run() cancels it
    assert not [r for r in caplog.records if r.name == "trampoline"]


def main_leaving_a_task_asleep(sleeper):
    yield spawn(sleeper())
    yield sleep(0)
