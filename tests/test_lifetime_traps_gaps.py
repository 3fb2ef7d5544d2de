"""What the kernel's smaller modules do that only a mutation showed no test pinned.

A mutation run over ``lifetime.py`` (run, close, shutdown), ``traps.py``
(each trap's argument checks and their wording), ``waitqueue.py`` and
``poller.py`` -- each comparison flipped, each statement dropped in turn
-- left these changes unnoticed by the test files that exercise those
modules (and by the files that name what each one changes).  Each test
here fails on one of them and passes on the code as it is, through the
public API:

* ``run()`` that refuses a coroutine (a closed kernel, a running one)
  closes it, as ``asyncio.run`` does: it never runs, and is not left to
  warn that it was never awaited;
* the thread that drove a kernel with ``run_once()`` may then ``run()`` it
  (test_embedding_peer_cases has another thread refused), and once
  ``run()`` has returned, any thread may;
* ``run()`` reports a crash nobody joined as it returns, though the Task
  is still held and the kernel not closed;
* the shutdown lets a dropped async generator's ``aclose()`` finish; one
  dropped between two runs of a kernel is closed at once;
* the shutdown cancels a stubborn task again each ``shutdown_grace``
  seconds, then closes it, its calls' ``finally`` blocks innermost first;
* ``close()`` of a kernel with tasks alive says "1 task" in the singular,
  and names five tasks without a "; ..." that says more were;
* a trap's repr shows a field of up to 60 characters whole, and cuts a
  longer one to 57 and "...";
* ``spawn_threadsafe()`` of a coroutine a task is awaiting is refused in
  the caller (resuming it would take it over);
* ``connect()`` of an address that is no (host, port) pair raises the
  socket's own error, not one of the host-name check's; ``set_alarm``
  checks its seconds as ``sleep`` does; ``call(f)`` says to call ``f``;
* a write parked on a pipe whose reader closes gets its BrokenPipeError
  (the poller's error bits wake writers too; test_process_peer_cases saw
  it only through a child's stdin);
* ``close()`` closes the selector the kernel was given;
* a wait on a Future that ended (set, or its waiter cancelled) no longer
  counts as a wait on another thread: a deadlock after it is reported.
"""

import gc
import os
import selectors
import socket
import threading

import pytest

from trampoline import (Cancelled, Event, Future, Kernel, TaskError, VirtualClock, call, cancel,
                        connect, join, sleep, spawn, timeout_after, write)
from trampoline.traps import set_alarm
import trampoline

import net_helpers
from task_helpers import parked

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test)


def fresh():
    """A generator that has not started (closed: its frame is gone)."""
    yield sleep(0)
    return "ran"


# ------------------------------------------------ run() that refuses closes

def test_run_on_a_closed_kernel_closes_the_coroutine_it_refuses():
    """As ``asyncio.run`` closes the coroutine it refuses: it never runs,
    and nothing later resumes it or warns it was never awaited."""
    kernel = Kernel()
    kernel.close()
    refused = fresh()
    with pytest.raises(RuntimeError, match="this Kernel is closed"):
        kernel.run(refused)
    assert refused.gi_frame is None


def test_run_inside_a_running_kernel_closes_the_coroutine_it_refuses():
    refused = fresh()

    def main():
        with pytest.raises(RuntimeError, match="inside a running kernel"):
            Kernel().run(refused)           # (closed: never ran, so holds nothing)
        yield sleep(0)
        return refused.gi_frame

    assert trampoline.run(main()) is None


# ------------------------------------------ run() after a host loop's rounds

def run_once_then_run(kernel):
    """Drive ``kernel`` a round with ``run_once()`` here, then ``run()`` a main
    task here too; return its value."""
    kernel.run_once()
    return kernel.run(fresh())


def in_another_thread(func, *args):
    """``func(*args)`` in a thread of its own: what it returned, or the
    RuntimeError it raised."""
    outcome = []

    def other():
        try:
            outcome.append(func(*args))
        except RuntimeError as error:
            outcome.append(error)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(60)                     # (a bound: it returns at once)
    assert not thread.is_alive()
    return outcome[0]


def test_the_thread_that_drove_run_once_may_then_run_the_kernel():
    """A program that drove the kernel a round at a time, and then hands
    it a main task with ``run()`` in the same thread, is no other thread."""
    with Kernel() as kernel:
        early = kernel.spawn(fresh())
        assert run_once_then_run(kernel) == "ran"
        assert early.result == "ran"


def test_after_run_no_host_loop_drives_the_kernel_and_another_thread_may_run_it():
    """``run()`` ends the host loop's claim: once it returns, the kernel is
    nobody's, and another thread may run it while the first one lives."""
    with Kernel() as kernel:
        assert run_once_then_run(kernel) == "ran"
        assert in_another_thread(kernel.run, fresh()) == "ran"


# ------------------------------------------------------------ traps' reprs

def test_a_trap_repr_cuts_a_field_longer_than_60_characters_to_57_and_dots():
    """A trace or the monitor shows a trap's fields, each cut to 60
    characters: one of 60 whole, one of 61 as its first 57 and "..."."""
    with socket.socket(socket.AF_UNIX) as sock:
        whole = "/" + "a" * 57                      # repr(): 60 characters
        cut = "/" + "b" * 58                        # 61
        assert len(repr(whole)) == 60
        assert repr(connect(sock, whole)).endswith("address=%r>" % whole)
        assert repr(connect(sock, cut)).endswith("address=%s...>" % repr(cut)[:57])


# ---------------------------- spawn_threadsafe() of a coroutine a task awaits

def test_spawn_threadsafe_of_a_coroutine_a_task_is_awaiting_is_refused_in_the_caller():
    """``spawn_threadsafe(coro)`` of a coroutine one of the kernel's tasks
    awaits: resuming it in a task of its own would take it over (the
    awaiting task's ``await`` would never end) -- refused at once, in the
    thread that called (not later, in the kernel's, where nobody hears of
    it but the log), and the coroutine left to the task that awaits it."""
    gate = Event()

    async def waits():
        await gate.wait()
        return "done"

    shared = waits()

    async def holder():
        return await shared

    with Kernel() as kernel:
        task = kernel.spawn(holder())
        kernel.run_once()                   # it awaits the shared coroutine now
        with pytest.raises(RuntimeError, match=r"waits\(\) is being awaited already"):
            kernel.spawn_threadsafe(shared)
        gate.set()
        while not task.done:
            kernel.run_once()
        assert task.result == "done"


# ------------------------------------------------ crashes reported by run()

def test_run_reports_crashes_nobody_joined_though_their_tasks_are_still_held(caplog):
    """The reports come as run() returns -- not when the Tasks are freed,
    nor when the kernel is closed, maybe after more runs: a main task that
    hands back the Tasks of crashes it never joined has them reported all
    the same, the first spawned first."""
    def crashes():
        yield sleep(0)
        raise ValueError("unjoined")

    def main():
        tasks = [(yield spawn(crashes())), (yield spawn(crashes()))]
        while not all(task.done for task in tasks):
            yield sleep(0)
        return tasks

    with Kernel() as kernel:            # (close() would report them too)
        held = kernel.run(main())
        said = [r.getMessage() for r in caplog.records if "never joined" in r.getMessage()]
        assert said == ["Task %d crashes crashed and was never joined" % task.id
                        for task in held]


# -------------------------------------- async generators a task drops

async def begun(make, kept):
    """A task's body: begin the async generator ``make()`` and keep it in
    ``kept`` (unfinished: at its first ``yield``)."""
    kept.append(make())
    await kept[-1].__anext__()


def cleanup_logged(log, awaits):
    """An async generator function whose ``finally`` logs "begins" and
    "ends" in ``log``, awaiting ``awaits`` times between the two."""
    async def values():
        try:
            yield 1
        finally:
            log.append("begins")
            for _ in range(awaits):
                await sleep(0)
            log.append("ends")
    return values


def test_the_shutdown_lets_the_cleanup_of_a_dropped_async_generator_finish():
    """Its ``aclose()`` runs in a task the shutdown does not cancel, as
    asyncio's ``shutdown_asyncgens`` and trio's finalizer let it finish:
    an ``await`` in its ``finally`` is not where a Cancelled cuts it."""
    log, kept = [], []

    async def main():
        await begun(cleanup_logged(log, awaits=3), kept)
        del kept[:]                         # dropped: its aclose() task starts
        gc.collect()                        # (PyPy: now; the shutdown collects too)

    trampoline.run(main())
    assert log == ["begins", "ends"]


def test_an_async_generator_dropped_between_runs_of_a_kernel_is_closed_at_once():
    """Dropped after ``run()`` has returned, the kernel not closed (it may
    run again later, or never): closed there and then, as Python closes
    one with no loop -- not left for a next run that may never come."""
    log, kept = [], []
    with Kernel() as kernel:
        kernel.run(begun(cleanup_logged(log, awaits=0), kept))
        del kept[:]
        gc.collect()
        assert log == ["begins", "ends"]


# ------------------------------------------ close() with tasks still alive

def asleep():
    yield sleep(3600)


def dropped_warning(caplog, tasks):
    """What ``close()`` says of a host-driven kernel with ``tasks`` tasks
    alive, each asleep."""
    kernel = Kernel()
    for _ in range(tasks):
        kernel.spawn(asleep(), name="asleep")
    kernel.run_once(0)
    with caplog.at_level("WARNING", logger="trampoline"):
        kernel.close()
    [record] = [r for r in caplog.records if r.name == "trampoline"]
    return record.getMessage()


def test_close_names_one_task_dropped_in_the_singular(caplog):
    message = dropped_warning(caplog, 1)
    assert message.startswith("Kernel.close() dropped 1 task still alive, never to run again")
    assert message.endswith("task 1 asleep waits in <sleep seconds=3600>, called at %s:%d "
                            "(in asleep)"
                            % (__file__, asleep.__code__.co_firstlineno + 1))


def test_close_names_five_tasks_dropped_each_and_no_more_to_come(caplog):
    """Five at most are named: five are, and no "; ..." says more were."""
    message = dropped_warning(caplog, 5)
    assert message.startswith("Kernel.close() dropped 5 tasks still alive")
    assert message.count("asleep waits in <sleep seconds=3600>") == 5
    assert not message.endswith("...")


# ------------------------------------- connect() of an address that is no pair

@pytest.mark.parametrize("address", [(), (None, 80), (1234, 80)], ids=["empty", "None", "int"])
def test_connect_of_a_malformed_address_raises_what_the_socket_itself_says(address):
    """Only a host *name* is the trap's to refuse (its lookup would block);
    an address that is no (host, port) pair at all is the socket's: its
    own error (a TypeError; PyPy's ValueError for a tuple too short), naming
    the address -- not an IndexError, or a TypeError about ``inet_pton``,
    from the name check."""
    with socket.socket() as sock:
        with pytest.raises((TypeError, ValueError)) as own:
            sock.connect(address)

    async def main():
        with socket.socket() as sock:
            await connect(sock, address)

    with pytest.raises(own.type) as error:
        trampoline.run(main())
    said = "connect(): cannot take the address %r: %s" % (address, own.value)
    assert str(error.value) == said     # (PyPy's ValueError too: it said neither)


# ------------------------------------------- the shutdown's grace period

def test_the_shutdown_cancels_a_stubborn_task_again_each_shutdown_grace_seconds(caplog):
    """A task that swallows the shutdown's cancellation is cancelled again
    ``shutdown_grace`` seconds later, and once more, then closed another
    grace later: here cancelled at 1, 3 and 5 virtual seconds with a grace
    of 2 (not at 1, 5, 9), and closed at 7."""
    clock = VirtualClock()
    cancelled_at = []

    def stubborn():
        try:
            while True:
                try:
                    yield sleep(3600)
                except Cancelled:
                    cancelled_at.append(clock())
        finally:
            cancelled_at.append(("closed", clock()))

    def main():
        task = yield spawn(stubborn())
        yield sleep(1)
        return task

    with Kernel(clock=clock) as kernel:
        kernel.shutdown_grace = 2
        task = kernel.run(main())
    assert cancelled_at == [1, 3, 5, ("closed", 7)]
    assert any("did not finish after cancellation; closing it" in r.getMessage()
               for r in caplog.records)
    assert task.cancelled and repr(task.exception) == "Cancelled('abandoned at shutdown')"


def test_a_task_closed_at_shutdown_runs_its_cleanup_innermost_call_first():
    """Closed at the shutdown, a task in a chain of generator calls
    (``yield sub()``) has each ``finally`` run from the innermost call out,
    as an exception unwinds them -- not the outermost before the middle."""
    order = []

    def level(depth):
        try:
            if depth == 3:
                while True:
                    try:
                        yield sleep(3600)
                    except Cancelled:
                        pass                # stubborn: swallows every cancel
            yield level(depth + 1)
        finally:
            order.append(depth)

    def main():
        yield spawn(level(1))
        yield sleep(1)

    with Kernel(clock=VirtualClock()) as kernel:
        kernel.shutdown_grace = 1
        kernel.run(main())
    assert order == [3, 2, 1]


def test_a_task_cancelled_at_shutdown_is_not_cancelled_again_when_its_cleanup_spawns():
    """The shutdown cancels each task once per round: a task whose cleanup
    spawns a helper -- which the shutdown cancels before it runs -- and
    then blocks finishes that cleanup, though it was the newest task when
    the round began (it got a second Cancelled there)."""
    log = []

    def helper():
        yield sleep(0)

    def cleans_up_slowly():
        try:
            yield sleep(3600)
        except Cancelled:
            yield spawn(helper())
            yield sleep(1)              # not past the grace of 5
            log.append("cleaned up")
            raise

    def main():
        yield spawn(cleans_up_slowly())
        yield sleep(0)

    with Kernel(clock=VirtualClock()) as kernel:
        kernel.run(main())
    assert log == ["cleaned up"]


# ------------------------------------------------ traps' argument checks

def test_set_alarm_checks_its_seconds_as_sleep_does():
    """``set_alarm`` (the trap timeouts are built on) refuses, at the line
    that made it, what ``sleep`` refuses -- in its own name (it said
    "sleep() needs seconds >= 0")."""
    for seconds, error in [(-1, ValueError), (float("nan"), ValueError), ("soon", TypeError),
                           (True, TypeError), (10 ** 400, ValueError)]:
        with pytest.raises(error) as made:
            set_alarm(seconds, Cancelled())
        with pytest.raises(error) as slept:
            sleep(seconds)
        assert str(made.value) == str(slept.value).replace("sleep()", "set_alarm()")
        assert str(made.value).startswith("set_alarm() needs ")


def test_call_of_a_function_instead_of_its_call_says_to_call_it():
    def sub():
        yield sleep(0)

    with pytest.raises(TypeError, match=r"call\(\) needs a generator or coroutine object, got "
                                        r"the function .*sub itself; call it: call\(sub\(...\)\)"):
        call(sub)


# ------------------------------------------------------------ the poller

def test_a_write_parked_on_a_pipe_gets_broken_pipe_once_its_reader_closes(run):
    """A pipe whose reader goes reports an error -- not writability -- to
    the poller (epoll: EPOLLERR alone): that wakes the parked writer too,
    which then gets the write's BrokenPipeError at once, not never."""
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    try:
        while True:
            os.write(writer, b"x" * 65536)
    except BlockingIOError:
        pass                            # full: the next write parks

    def writes():
        yield write(writer, b"more")

    def main():
        task = yield spawn(writes())
        yield parked(task)
        os.close(reader)
        with pytest.raises(TaskError) as failed:
            yield timeout_after(60, join(task))     # (a bound: it comes at once)
        return failed.value.__cause__

    try:
        assert isinstance(run(main()), BrokenPipeError)
    finally:
        os.close(writer)


def test_closing_a_kernel_closes_the_selector_it_was_given():
    """``Kernel(selector=...)`` takes the selector over: ``close()`` closes
    it (an epoll or kqueue selector holds a descriptor of its own)."""
    for make in (selectors.DefaultSelector, selectors.SelectSelector):
        selector = make()
        Kernel(selector=selector).close()
        assert selector.get_map() is None         # (what a closed selector answers)


# ----------------------------------------------------------- wait queues

@pytest.mark.parametrize("ends", ["set", "cancelled"])
def test_a_wait_on_a_future_that_ended_leaves_a_deadlock_after_it_reported(ends):
    """A task parked on a Future -- which another thread may set, so the
    kernel waits for it rather than call a deadlock -- is woken by the
    Future, or cancelled: the kernel stops counting it as waiting on a
    thread then, and a deadlock after that is reported, not waited out
    for ever."""
    async def main():
        future = Future()

        async def waits():
            return await future

        task = await spawn(waits())
        await sleep(0)                  # parked on the Future
        if ends == "set":
            future.set_result("set")
            assert await join(task) == "set"
        else:
            await cancel(task)
        await Event().wait()            # nothing will ever set it

    with pytest.raises(RuntimeError, match="^deadlock: every task is waiting"):
        trampoline.run(main())
