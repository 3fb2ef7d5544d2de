"""What the kernel lets go of once the program is done with it.

A long-lived holder -- the kernel's loop between turns, its table of
registered descriptors, a finished task that something keeps -- must not
keep alive what the program has dropped: a socket dropped unclosed (its
peer waits for an end that never comes), a task's result, the frames a
caught exception's traceback holds.  (test_leaks counts tables and memory
over many connections; test_threads has the worker threads' case.)

Each test holds a weak reference (or a ``weakref.finalize``) to what was
dropped, and collects the garbage (``collect_harder``: on PyPy an object
is freed only by a collection) before it looks -- from another thread,
with a bounded wait, while the kernel sits in its poller.
"""

import asyncio
import gc
import logging
import socket
import threading
import time
import warnings
import weakref

from drop_helpers import collect_harder
from net_helpers import watchdog  # noqa: F401 (autouse fixture)
from task_helpers import parked, until
from trampoline import (Cancelled, Event, Kernel, accept, cancel, connect, join, listen, read,
                        run_in_thread, sleep, spawn, timeout_after, write)
from trampoline.aio import AsyncioDriver


class Precious:
    """What a task makes or holds (a weak reference tells when it is freed)."""


def wait_freed(freed, seconds=3.0):
    """In a worker thread: collect the garbage until ``freed`` (a
    threading.Event a ``weakref.finalize`` sets) is set; whether it was
    within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if freed.wait(0.01):
            return True
        gc.collect()
    return freed.is_set()


def test_a_socket_a_living_task_dropped_unclosed_is_freed_and_its_peer_sees_the_end(
        run, quick_sweep):
    """A task reads a socket, then drops it without closing it and lives
    on (a client that gives up on a connection, a pool's manager).  The
    kernel's registration of it -- kept for the task's next wait -- held
    the socket until the task ended: it was never freed, never closed, and
    the peer waited for an end that did not come.  Now the sweep forgets a
    descriptor nobody waits on: the socket is freed, and closed, as with
    trio (whose waits register a socket only while they wait)."""
    listener = listen(("127.0.0.1", 0))
    freed = threading.Event()

    def client(done, got):
        sock = socket.socket()
        sock.setblocking(False)
        yield connect(sock, listener.getsockname())
        # (Two reads: once the connect's interest in writing is gone, the
        # second read's registration is a reader's alone, and it stays.)
        got.append((yield read(sock, 10)))
        got.append((yield read(sock, 10)))
        weakref.finalize(sock, freed.set)
        del sock                            # dropped, not closed
        yield done.wait()                   # the task lives on

    def main():
        done, got = Event(), []
        task = yield spawn(client(done, got))
        peer, _ = yield accept(listener)
        with peer:
            yield write(peer, b"hi")
            yield until(lambda: got and type(task.waiting) is read)
            yield write(peer, b"there")
            yield until(lambda: len(got) == 2)
            assert got == [b"hi", b"there"]
            dropped = yield run_in_thread(wait_freed, freed)
            end = (yield timeout_after(5, read(peer, 10))) if dropped else None
        done.set()
        yield sleep(0)
        return dropped, end, task.done

    with listener:
        assert run(main()) == (True, b"", True)


def test_the_last_task_the_kernel_ran_is_not_kept_while_it_waits(run):
    """The loop kept the last task it had run in a turn in a local until its
    next turn: while the kernel waited in its poller -- for the next
    request, maybe for hours -- that task lived on, and with it its result
    (or its exception, its traceback's frames and what they held; and a
    crash nobody joined was reported only then).  Now it is let go as the
    turn ends, as asyncio's loop lets go of a handle it has run."""
    freed = threading.Event()

    def fire_and_forget():
        result = Precious()
        weakref.finalize(result, freed.set)
        return result
        yield                               # (a generator)

    def main():
        checker = yield spawn(run_in_thread(wait_freed, freed))
        yield parked(checker)
        yield spawn(fire_and_forget())      # it runs after main parks: the turn's last
        return (yield join(checker))

    assert run(main()) is True


def catches_a_cancel(refs):
    """Subroutine: wait, with a ``Precious`` in the frame (a weak reference
    to it appended to ``refs``), until a cancel comes; catch it, and return."""
    def waits():
        buffer = Precious()
        refs.append(weakref.ref(buffer))
        yield sleep(3600)

    try:
        yield waits()
    except Cancelled:
        pass


def test_a_finished_task_keeps_no_cancel_it_caught_nor_the_frames_it_was_thrown_into(run):
    """A task catches a cancel, cleans up and returns.  Its ``last_cancel``
    kept that ``Cancelled`` after it had finished, and the traceback the
    frames it was thrown into, with their locals -- for as long as the task
    was kept (a TaskGroup keeps every child).  A finished task keeps only
    the ``Cancelled`` it ended with, as asyncio's keeps only the exception
    it ended with."""
    refs = []

    def child():
        yield catches_a_cancel(refs)
        return "cleaned up"

    def ended_by_it():
        yield sleep(3600)

    def main():
        caught = yield spawn(child())
        ended = yield spawn(ended_by_it())
        yield sleep(0)
        yield cancel(caught)
        yield cancel(ended)
        return caught, ended

    caught, ended = run(main())
    collect_harder()
    assert refs[0]() is None
    assert caught.result == "cleaned up" and caught.last_cancel is None
    assert ended.cancelled and ended.last_cancel is ended.exception


def test_a_timeout_that_ended_in_time_keeps_nothing_in_the_kernel_until_its_deadline(run):
    """A timeout whose block ends in time leaves its alarm in the kernel's
    heap, dead, until its deadline comes (an hour, here) or the heap is
    rebuilt.  The dead alarm kept its exception, and through it the scope
    and what the scope held: the cancel the task had caught before it,
    with the frames of its traceback and their locals.  A cleared alarm now
    keeps neither task nor exception, as asyncio's ``TimerHandle.cancel()``
    drops its callback and arguments at once."""
    refs = []

    def child():
        yield catches_a_cancel(refs)
        with timeout_after(3600) as scope:  # (it notes the task's last cancel)
            yield sleep(0)
        refs.append(weakref.ref(scope))

    def main():
        task = yield spawn(child())
        yield sleep(0)
        yield cancel(task)
        del task
        collect_harder()
        return [ref() is None for ref in refs]

    assert run(main()) == [True, True]


def test_a_kernel_and_its_asyncio_driver_dropped_unclosed_are_freed_and_said_so():
    """A program drops a kernel and the ``AsyncioDriver`` that drove it
    from its asyncio loop without closing either, and the loop ends.  The
    table of drivers -- weak in the kernel, but holding the driver, which
    holds its kernel -- kept both for ever: the kernel's three descriptors
    and the driver's stayed open, and no "unclosed" warning ever came.  Now
    they are freed, and the kernel says it was not closed, as an asyncio
    loop dropped unclosed does."""
    refs = []

    async def main():
        kernel = Kernel()
        driver = AsyncioDriver(kernel)
        refs.extend([weakref.ref(kernel), weakref.ref(driver)])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        collect_harder()
    assert [ref() for ref in refs] == [None, None]
    assert [w for w in caught if str(w.message).startswith("unclosed <Kernel")]


class Named(logging.Handler):
    """Sets ``event`` once debug mode's watchdog names a blocked step."""

    def __init__(self, event):
        super().__init__()
        self.event = event

    def emit(self, record):
        if "without yielding" in record.getMessage():
            self.event.set()


def test_debug_modes_watchdog_keeps_nothing_of_a_step_it_named():
    """Debug mode's watchdog thread names a step that blocks the loop.  It
    kept what it had looked at -- the task, and the frames of the loop's
    thread, with their locals -- in its loop's variables until the next
    slow step, maybe never: what the blocked task held outlived it.  Now
    each look is a call of its own, and lets go as it returns."""
    named, freed = threading.Event(), threading.Event()

    def blocker():
        held = Precious()
        weakref.finalize(held, freed.set)
        assert named.wait(10)               # blocks the loop until named
        yield sleep(0)

    def main():
        yield join((yield spawn(blocker())))
        return (yield run_in_thread(wait_freed, freed))

    handler = Named(named)
    logging.getLogger("trampoline").addHandler(handler)
    try:
        with Kernel(debug=True) as kernel:
            kernel.slow_step = 0.02
            assert kernel.run(main()) is True
    finally:
        logging.getLogger("trampoline").removeHandler(handler)


def test_a_task_that_runs_group_after_failing_group_keeps_no_chain_of_their_cancels(run):
    """A long-lived task runs one TaskGroup after another, each with a
    child that fails, so that each group cancels the body.  The spent
    cancellation of a group remembers the task's cancel before it (for a
    timeout scope around: a cancel stays a cancel), but not one spent
    already: each would keep the one before, with the frames its traceback
    holds, and a server's task the whole chain of its groups."""
    from trampoline import TaskGroup, TaskGroupError

    async def fails():
        raise KeyError("child")

    seen = []

    async def one_group():
        try:
            async with TaskGroup() as group:
                await group.spawn(fails())
                try:
                    await sleep(10)
                except Cancelled as exc:
                    seen.append(weakref.ref(exc))
                    raise
        except TaskGroupError:
            pass

    async def main():
        for _ in range(3):
            await one_group()
        collect_harder()
        return [ref() is None for ref in seen]

    assert run(main()) == [True, True, False]   # (the last is the task's last_cancel)
