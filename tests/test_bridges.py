"""The bridges between trampoline and the rest of the world, at their edges:
an asyncio outcome racing a cancellation, a driver where the kernel cannot
run or whose loop is gone, a UniversalQueue shut down with threads and tasks
waiting (trampoline.aio, trampoline.universal)."""

import asyncio
import contextvars
import linecache
import logging
import re
import select
import threading
import time

import pytest

from trampoline import (Kernel, QueueShutDown, UniversalQueue, VirtualClock, join, run, sleep,
                        spawn, timeout_after)
from trampoline.aio import AsyncioDriver, AsyncioThread, await_asyncio, run_trampoline
from trampoline.threads import run_in_thread

from net_helpers import watchdog  # noqa: F401 (autouse: a hang fails)

WATCHDOG_SECONDS = 30


@pytest.fixture
def asyncio_thread():
    thread = AsyncioThread(name="test-bridges")
    yield thread
    thread.close()


def _gate(loop):
    """An asyncio.Event made on ``loop`` (3.8's binds to the loop it is made on)."""
    async def make():
        return asyncio.Event()
    return asyncio.run_coroutine_threadsafe(make(), loop).result(5)


@pytest.mark.parametrize("outcome", ["result", "error"])
def test_an_asyncio_outcome_back_when_a_timeout_fires_is_kept(asyncio_thread, outcome):
    """The asyncio coroutine has finished (an INSERT made, say) and its
    outcome is back in the kernel, the task woken, when its timeout fires in
    the same round: the task gets the outcome, as ``run_in_thread``'s does
    (the cancellation waits for its next blocking trap).  It got
    ``TaskTimeout`` and the row id was lost."""
    loop = asyncio_thread.loop
    gate = _gate(loop)
    made = []

    async def insert():
        await gate.wait()
        made.append("row")
        if outcome == "error":
            raise ValueError("constraint failed")
        return "row-id"

    got = []

    def task():
        try:
            got.append((yield timeout_after(5, await_asyncio(insert(), loop=loop))))
        except Exception as exc:
            got.append(exc)

    clock = VirtualClock(autojump_threshold=float("inf"))
    with Kernel(clock=clock) as kernel:
        waiter = kernel.spawn(task())
        kernel.run_once(0)                  # it parks, awaiting asyncio
        assert not got
        loop.call_soon_threadsafe(gate.set)
        # The outcome is handed back: a call waits in the kernel.
        assert select.select([kernel.fileno()], [], [], 10)[0]
        clock.advance(10)                   # and its timeout is due
        while waiter.state in ("ready", "parked"):
            kernel.run_once(0)
    assert made == ["row"]
    if outcome == "result":
        assert got == ["row-id"]
    else:
        assert type(got[0]) is ValueError and str(got[0]) == "constraint failed"


# ================================ a driver where the kernel cannot run

def _inner():
    yield sleep(0)
    return "inner"


def test_run_trampoline_in_an_asyncio_loop_run_inside_a_task_raises_at_once(caplog):
    """An asyncio loop run (blocking) inside a trampoline task cannot drive
    another kernel: ``run_once()`` refuses to run inside a running kernel.
    ``run_trampoline`` raises that, as ``asyncio.run`` inside a running loop
    does.  It logged "Exception in callback AsyncioDriver.step()" again and
    again, the kernel's descriptor readable, spinning, and waited for ever
    (a timeout's cancellation then waited for a cleanup nothing would run)."""
    def task():
        async def main():
            return await asyncio.wait_for(run_trampoline(_inner()), 10)
        try:
            asyncio.run(main())
        except RuntimeError as exc:
            return exc
        yield sleep(0)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        error = run(task())
    assert isinstance(error, RuntimeError)
    assert "cannot drive" in str(error) and "inside a running kernel" in str(error)
    assert not [r for r in caplog.records if r.name == "asyncio"]


def _running_loop_of_asyncio():
    async def loop():
        return asyncio.get_running_loop()
    return (yield await_asyncio(loop()))


def test_a_driver_whose_loop_was_closed_lets_the_kernel_go():
    """A driver never closed, its loop closed (``asyncio.run()`` ended):
    it drives nothing.  The kernel may be run, its tasks awaiting asyncio on
    the process's asyncio thread, or driven by another loop -- the dead
    driver refused the new one ("already driven"), and ``await_asyncio``
    sent its coroutines to the closed loop (``RuntimeError``)."""
    with Kernel() as kernel:
        async def forgets_to_close():
            AsyncioDriver(kernel)

        asyncio.run(forgets_to_close())
        loop = kernel.run(_running_loop_of_asyncio())
        assert loop.is_running() and not loop.is_closed()      # the asyncio thread's

        async def drives_again():
            async with AsyncioDriver(kernel) as driver:
                return await driver.run(_running_loop_of_asyncio()), asyncio.get_running_loop()

        there, here = asyncio.run(drives_again())
        assert there is here


# ====================================== UniversalQueue.shutdown, both sides

def _thread(target, *args):
    outcome = []

    def body():
        try:
            outcome.append(target(*args))
        except BaseException as exc:
            outcome.append(exc)
    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, outcome


def _until_waiting(queue, what, count):
    """In a task: until ``count`` waiters are in ``queue``'s ``what`` line."""
    while not re.search(r"\b%s=%d\b" % (what, count), repr(queue)):
        yield sleep(0.001)


def test_universal_queue_shutdown_releases_the_getters_waiting_threads_and_tasks():
    """``shutdown()`` (queue.Queue and asyncio.Queue 3.13, trampoline.Queue):
    a thread and a task waiting in ``get()`` on the empty queue raise
    ``QueueShutDown`` -- with no way to wake them but one sentinel item per
    consumer, a consumer thread blocked for ever.  ``get`` and ``put``
    afterwards raise it too, from both sides."""
    queue = UniversalQueue()
    thread, outcome = _thread(queue.get)

    def getter():
        try:
            yield queue.get()
        except QueueShutDown as exc:
            return exc

    def main():
        task = yield spawn(getter())
        yield from _until_waiting(queue, "getters", 2)
        queue.shutdown()
        error = yield join(task)
        with pytest.raises(QueueShutDown):
            yield queue.get()
        with pytest.raises(QueueShutDown):
            yield queue.put(1)
        return error

    assert isinstance(run(main()), QueueShutDown)
    thread.join(10)
    assert isinstance(outcome[0], QueueShutDown), outcome
    for call in (queue.get, queue.get_nowait, lambda: queue.put(1), lambda: queue.put_nowait(1)):
        with pytest.raises(QueueShutDown, match="shut down"):
            call()


def test_universal_queue_shutdown_fails_the_putters_and_get_drains_what_is_left():
    queue = UniversalQueue(maxsize=1)
    queue.put_nowait("left")
    thread, outcome = _thread(queue.put, "from a thread")

    def putter():
        try:
            yield queue.put("from a task")
        except QueueShutDown as exc:
            return exc

    def main():
        task = yield spawn(putter())
        yield from _until_waiting(queue, "putters", 2)
        queue.shutdown()
        error = yield join(task)
        assert (yield queue.get()) == "left"        # what is left is still given
        with pytest.raises(QueueShutDown):
            yield queue.get()
        return error

    assert isinstance(run(main()), QueueShutDown)
    thread.join(10)
    assert isinstance(outcome[0], QueueShutDown), outcome
    with pytest.raises(QueueShutDown):
        queue.get(timeout=0)
    queue.task_done()
    queue.join()                                    # nothing outstanding


def test_universal_queue_shutdown_immediate_drops_what_is_left_and_lets_join_go():
    """``shutdown(immediate=True)``: the items left are dropped, each
    counting as done, so a thread in ``join()`` returns, as in queue.Queue."""
    queue = UniversalQueue()
    for n in range(3):
        queue.put_nowait(n)
    assert queue.get_nowait() == 0
    queue.task_done()
    thread, outcome = _thread(queue.join)

    def main():
        yield from _until_waiting(queue, "joiners", 1)
        queue.shutdown(immediate=True)
        queue.shutdown()                            # twice: harmless

    run(main())
    thread.join(10)
    assert outcome == [None]
    assert queue.qsize() == 0
    with pytest.raises(QueueShutDown):
        queue.get_nowait()
    with pytest.raises(ValueError):                 # the dropped ones were counted done
        queue.task_done()


# ================================================ contextvars, every way

_where = contextvars.ContextVar("where", default="unset")


def test_context_variables_cross_every_bridge():
    """What a task or an asyncio task set is seen on the other side, as
    ``asyncio.to_thread`` and ``create_task`` have it: a trampoline task's
    in the asyncio coroutine it awaits and in its thread call; an asyncio
    task's in the trampoline coroutine it runs (``run_trampoline``)."""
    async def asyncio_side():
        return _where.get()

    def trampoline_side():
        yield sleep(0)
        return _where.get()

    def task():
        _where.set("trampoline task")
        return ((yield await_asyncio(asyncio_side())),
                (yield run_in_thread(_where.get)),
                (yield await_asyncio(run_trampoline(trampoline_side()))))

    assert run(task()) == ("trampoline task",) * 3

    async def main():
        _where.set("asyncio task")
        return await run_trampoline(trampoline_side()), await run_trampoline(task())

    assert asyncio.run(main()) == ("asyncio task", ("trampoline task",) * 3)
    assert _where.get() == "unset"


def test_a_fork_s_retire_never_stops_the_asyncio_thread_under_a_coroutine_being_sent():
    """``run_server(workers=N)`` retires an idle AsyncioThread before it
    forks.  A retire that came between ``await_asyncio`` taking the thread's
    loop and its start reaching the loop saw no task there and stopped the
    loop: the start was lost with it (the await failed, "the asyncio loop
    ... is closed", or waited for ever).  The retire is made to come at that
    very moment: in another thread, as the coroutine is sent."""
    import sys
    from trampoline import aio

    def blocked_or_done(thread):
        """Wait until ``thread`` has ended or waits for the AsyncioThread's
        lock (held by the sender: the retire comes after the send)."""
        for _ in range(10000):
            if not thread.is_alive():
                return
            frame = sys._current_frames().get(thread.ident)
            while frame is not None and frame.f_code.co_name != "_retire":
                frame = frame.f_back
            if frame is not None and "with self._lock" in linecache.getline(
                    frame.f_code.co_filename, frame.f_lineno):
                return
            time.sleep(0.001)           # (polling the other thread's state, 10 s at most)
        raise AssertionError("the retire neither ended nor waited for the lock")

    def sending(frame, event, arg):
        if event == "call" and frame.f_code is aio._submit.__code__:
            sys.setprofile(None)
            retire = threading.Thread(target=aio._retire_asyncio_threads)
            retire.start()
            retired.append(retire)
            blocked_or_done(retire)

    async def answer():
        return 42

    def main():
        aio._default_thread.loop            # started, idle: a retire would stop it
        sys.setprofile(sending)
        try:
            return (yield await_asyncio(answer()))
        finally:
            sys.setprofile(None)

    retired = []
    assert run(main()) == 42
    retired[0].join()
