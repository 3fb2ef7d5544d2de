"""Embedding: the kernel among threads and inside other loops (issue 6).

* ``call_threadsafe`` / ``spawn_threadsafe`` from many threads at once:
  nothing lost, in order per thread, a kernel blocked in its poller woken;
* ``UniversalQueue`` between threads and tasks, both ways, bounded: threads
  block and tasks park when it is full, nothing is lost, FIFO per producer,
  no busy waiting, cancellation gives back what a waiter was handed;
  ``task_done``/``join`` from either side, a joiner cancelled, timed out or
  of a closed kernel leaving the queue as it was;
* ``run_once`` / ``fileno`` / ``next_deadline`` driving a kernel from an
  asyncio loop, both loops serving sockets at once;
* two kernels in two threads at once, no global state touched;
* the two examples, run as a user runs them.

Threads and tasks hand-shake through events, futures and the queue itself
(or poll a condition they can see), never by sleeping for a guessed time.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from net_helpers import stop_process, watchdog  # noqa: F401 (autouse fixture)
from trampoline import (Future, Kernel, QueueEmpty, QueueFull, TaskTimeout, cancel, join,
                        run, sleep, spawn, timeout_after)
from trampoline.streams import tcp_server
from trampoline.kernel import WaitQueue
from trampoline.traps import current_kernel, park
from trampoline.universal import UniversalQueue

WATCHDOG_SECONDS = 10.0
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


# ------------------------------------------------------------- helpers

class Thread(threading.Thread):
    """A daemon thread that keeps its exception for the test to re-raise."""

    def __init__(self, target, *args):
        super().__init__(daemon=True)
        self._call = (target, args)
        self.error = None
        self.result = None

    def run(self):
        target, args = self._call
        try:
            self.result = target(*args)
        except BaseException as exc:
            self.error = exc

    def check(self, timeout=10):
        self.join(timeout)
        assert not self.is_alive(), "%r is still running" % self
        if self.error is not None:
            raise self.error
        return self.result


def until(predicate, limit=5.0):
    """Subroutine: poll ``predicate()`` between the other tasks' turns (and
    other threads' time slices) until it holds, for at most ``limit`` s."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition never became true"
        yield sleep(0.0005)


def waiting(queue):
    """How many getters and putters wait in ``queue``'s lines (from its repr)."""
    found = re.search(r"getters=(\d+) putters=(\d+)", repr(queue))
    return int(found.group(1)), int(found.group(2))


def canceller(task):
    """A task that cancels ``task`` (to spawn from outside any task)."""
    yield cancel(task)


# ============================================= call/spawn from threads

THREADS = 8
CALLS = 10000


@pytest.mark.parametrize("how", ["call_threadsafe", "spawn_threadsafe"])
def test_threadsafe_calls_under_contention(how, watchdog):
    """8 threads x 10,000 calls (or spawns) each, while the kernel runs:
    every one arrives, and each thread's arrive in the order it made them.
    (A call lost hangs it; the watchdog gives it a minute: 80,000 spawns
    took 5.5 s on a loaded machine, and past the module's 10 s in a loaded
    suite run.)"""
    watchdog(60)
    seen = [[] for _ in range(THREADS)]
    total = THREADS * CALLS
    done = Future()
    count = [0]

    def record(thread, n):
        seen[thread].append(n)
        count[0] += 1
        if count[0] == total:
            done.set_result(None)

    def task(thread, n):
        record(thread, n)
        return
        yield

    def caller(kernel, thread, go):
        go.wait(5)
        for n in range(CALLS):
            if how == "call_threadsafe":
                kernel.call_threadsafe(record, thread, n)
            else:
                kernel.spawn_threadsafe(task(thread, n))

    def main():
        kernel = yield current_kernel()
        go = threading.Event()
        threads = [Thread(caller, kernel, i, go) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        go.set()                        # all at once
        yield done
        return threads

    for thread in run(main()):
        thread.check()
    for thread in range(THREADS):
        assert seen[thread] == list(range(CALLS))


def test_a_call_wakes_a_kernel_blocked_in_its_poller():
    """The kernel waits in its poller with a long timeout (nothing else to
    do); a call from a thread wakes it at once -- the watchdog fails the
    test otherwise."""

    class PollWatch:
        def __init__(self):
            self.blocked = threading.Event()

        def io_wait(self, timeout):
            if timeout >= 1:
                self.blocked.set()

    watch = PollWatch()
    answer = Future()

    def caller(kernel):
        assert watch.blocked.wait(5), "the kernel never blocked in its poller"
        kernel.call_threadsafe(answer.set_result, "woken")

    def main():
        thread = Thread(caller, (yield current_kernel()))
        thread.start()
        result = yield answer
        thread.check()
        return result

    with Kernel(instruments=[watch]) as kernel:
        assert kernel.run(main()) == "woken"



def test_a_closed_kernel_refuses_calls_and_spawns_and_closes_those_still_queued():
    """A call or spawn handed to a closed kernel would never happen: it is
    refused (a spawn's coroutine closed, not left to warn it was never
    awaited).  Those queued when it closes are dropped, their coroutines
    closed."""
    queued = []

    async def job():
        queued.append("ran")            # (never)

    def handing_in(kernel, coro):
        kernel.spawn_threadsafe(coro)
        kernel.call_threadsafe(queued.append, "called")

    kernel = Kernel()
    first, second = job(), job()
    thread = Thread(handing_in, kernel, first)
    thread.start()
    thread.check()
    kernel.close()                      # before any round took them in
    assert first.cr_frame is None and queued == []
    thread = Thread(kernel.spawn_threadsafe, second)
    thread.start()
    with pytest.raises(RuntimeError, match=r"spawn_threadsafe\(\): this Kernel is closed"):
        thread.check()
    assert second.cr_frame is None
    with pytest.raises(RuntimeError, match=r"call_threadsafe\(\): this Kernel is closed"):
        kernel.call_threadsafe(queued.append, "late")
    assert queued == []


def test_a_thread_waking_a_task_of_a_closed_kernel_is_harmless():
    """Future.set_result, UniversalQueue.put and WaitQueue.wake_threadsafe
    from a thread, after the kernel whose task waited was closed: its tasks
    are gone, nothing to do, no error."""
    future, queue, waitqueue = Future(), UniversalQueue(), WaitQueue(threadsafe=True)

    def waits_for(what):
        yield what

    def gets():
        yield queue.get()

    with Kernel() as kernel:
        kernel.spawn(waits_for(future))
        kernel.spawn(gets())
        kernel.spawn(waits_for(park(waitqueue)))
        kernel.run_once()               # all three park
    for set_from_a_thread in (lambda: future.set_result(1), lambda: queue.put(2),
                              waitqueue.wake_threadsafe):
        thread = Thread(set_from_a_thread)
        thread.start()
        thread.check()
    assert future.result() == 1



# ======================================================= UniversalQueue

def test_thread_to_task_and_back_in_order():
    """A thread feeds tasks through one bounded queue and tasks answer through
    another: every item arrives, in order, both ways."""
    jobs, results = UniversalQueue(maxsize=3), UniversalQueue(maxsize=3)

    def feeder():
        for n in range(2000):
            jobs.put(n)
        jobs.put(None)

    def reader():
        return [results.get() for _ in range(2000)]

    def server():
        while True:
            n = yield jobs.get()
            if n is None:
                return
            yield results.put(n * n)

    def main():
        threads = [Thread(feeder), Thread(reader)]
        for thread in threads:
            thread.start()
        yield server()
        return threads

    feeding, reading = run(main())
    feeding.check()
    assert reading.check() == [n * n for n in range(2000)]
    assert jobs.empty() and results.empty()


def test_a_thread_blocks_while_the_queue_is_full():
    """put() in a thread waits in line while the queue is full, and goes on
    when a task makes room; its item comes after the ones before it."""
    queue = UniversalQueue(maxsize=2)
    queue.put(0)
    queue.put(1)                        # (no kernel here: plain blocking calls)
    assert queue.full() and queue.qsize() == 2
    finished = Future()

    def producer():
        queue.put(2)                    # blocks
        finished.set_result(None)

    def main():
        thread = Thread(producer)
        thread.start()
        yield until(lambda: waiting(queue) == (0, 1))
        assert not finished.done()      # it is in line, blocked
        assert (yield queue.get()) == 0
        yield finished                  # room: it went on
        thread.check()
        return [(yield queue.get()), (yield queue.get())]

    assert run(main()) == [1, 2]


def test_a_thread_put_or_get_gives_up_after_its_timeout():
    queue = UniversalQueue(maxsize=1)
    queue.put("only")
    started = time.monotonic()
    with pytest.raises(QueueFull, match="still full after 0.05 seconds"):
        queue.put("more", timeout=0.05)
    assert time.monotonic() - started >= 0.05
    assert queue.get(timeout=0.05) == "only"
    with pytest.raises(QueueEmpty, match="still empty after 0.05 seconds"):
        queue.get(timeout=0.05)
    assert waiting(queue) == (0, 0) and queue.empty()
    queue.put("again", timeout=0)       # room: no waiting at all
    assert queue.get_nowait() == "again"


def test_a_thread_interrupted_while_it_waits_leaves_the_line(watchdog):
    """Ctrl-C (here: a SIGALRM handler that raises) in a thread blocked in
    get() or put(): the exception goes through, and the thread is no
    longer in line to be handed anything."""
    queue = UniversalQueue(maxsize=1)

    class Interrupted(Exception):
        pass

    def interrupt(signo, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        with pytest.raises(Interrupted):
            queue.get()
        assert waiting(queue) == (0, 0)
        queue.put("x")
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        with pytest.raises(Interrupted):
            queue.put("y")
        assert waiting(queue) == (0, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
        watchdog(WATCHDOG_SECONDS)
    assert queue.get_nowait() == "x" and queue.empty()


def test_tasks_park_while_the_queue_is_full_and_a_thread_makes_room():
    queue = UniversalQueue(maxsize=1)

    def producer(n):
        yield queue.put(n)

    def main():
        yield queue.put("first")
        producers = []
        for n in range(3):
            producers.append((yield spawn(producer(n))))
        yield until(lambda: all(task.state == "parked" for task in producers))
        assert waiting(queue) == (0, 3)
        consumed = Future()
        consumer = Thread(lambda: consumed.set_result([queue.get() for _ in range(4)]))
        consumer.start()
        for task in producers:
            yield join(task)
        items = yield consumed
        consumer.check()
        return items

    assert run(main()) == ["first", 0, 1, 2]


def test_put_from_a_thread_wakes_a_parked_task_without_busy_waiting():
    """A task parked in get() costs nothing: its kernel sleeps in its poller
    (a few polls, no CPU) until a thread's put() wakes it."""

    class Watch:
        polls = 0

        def __init__(self):
            self.blocked = threading.Event()

        def io_wait(self, timeout):
            self.polls += 1
            if timeout >= 1:
                self.blocked.set()

    watch = Watch()
    queue = UniversalQueue()

    def producer():
        assert watch.blocked.wait(5), "the kernel never blocked in its poller"
        threading.Event().wait(0.2)     # the idle time we measure
        queue.put("hello")

    def main():
        thread = Thread(producer)
        thread.start()
        polls, cpu = watch.polls, time.thread_time()
        item = yield queue.get()
        polls, cpu = watch.polls - polls, time.thread_time() - cpu
        thread.check()
        return item, polls, cpu

    with Kernel(instruments=[watch]) as kernel:
        item, polls, cpu = kernel.run(main())
    assert item == "hello"
    assert polls <= 3, "the kernel polled %d times while it waited" % polls
    assert cpu < 0.1, "the kernel used %.3f s of CPU while it waited" % cpu


def test_many_producers_and_consumers_of_both_kinds_on_two_kernels():
    """Threads, tasks of a kernel in the main thread and tasks of a kernel in
    another thread all put and get on one small queue at once: every item is
    got exactly once, and each consumer sees each producer's items in order."""
    queue = UniversalQueue(maxsize=4)
    ITEMS = 1500
    KINDS = ("thread", "main-task", "other-task")
    producers = [(kind, n) for kind in KINDS for n in range(3)]
    consumers = [(kind, n) for kind in KINDS for n in range(3)]
    got = {}
    all_put = threading.Event()
    left = [len(producers)]
    left_lock = threading.Lock()

    def produced():
        with left_lock:
            left[0] -= 1
            if left[0] == 0:
                all_put.set()

    def thread_producer(name):
        for seq in range(ITEMS):
            queue.put((name, seq))
        produced()

    def task_producer(name):
        for seq in range(ITEMS):
            yield queue.put((name, seq))
        produced()

    def thread_consumer(name):
        got[name] = mine = []
        while True:
            item = queue.get()
            if item is None:
                return
            mine.append(item)

    def task_consumer(name):
        got[name] = mine = []
        while True:
            item = yield queue.get()
            if item is None:
                return
            mine.append(item)

    def kernel_main(kind):
        tasks = []
        for name in producers:
            if name[0] == kind:
                tasks.append((yield spawn(task_producer(name))))
        for name in consumers:
            if name[0] == kind:
                tasks.append((yield spawn(task_consumer(name))))
        for task in tasks:
            yield join(task)

    def stopper():
        """When every producer is done: one None per consumer, to stop it.
        (Put by a thread of its own: produced() runs in tasks too.)"""
        assert all_put.wait(15)
        for _ in consumers:
            queue.put(None)

    threads = [Thread(thread_producer, name) for name in producers if name[0] == "thread"]
    threads += [Thread(thread_consumer, name) for name in consumers if name[0] == "thread"]
    threads.append(Thread(run, kernel_main("other-task")))
    threads.append(Thread(stopper))
    for thread in threads:
        thread.start()
    run(kernel_main("main-task"))
    for thread in threads:
        thread.check(15)
    everything = sorted(item for items in got.values() for item in items)
    assert everything == sorted((name, seq) for name in producers for seq in range(ITEMS))
    for items in got.values():
        for name in producers:
            mine = [seq for producer, seq in items if producer == name]
            assert mine == sorted(mine)


def test_a_getter_cancelled_after_it_was_handed_an_item_gives_it_back():
    """Woken with an item, cancelled before it ran: the item goes first in
    line again -- to the next getter -- and nothing is lost."""
    queue = UniversalQueue()

    def getter():
        return (yield queue.get())

    def main():
        first = yield spawn(getter())
        second = yield spawn(getter())
        yield until(lambda: waiting(queue) == (2, 0))
        queue.put_nowait("a")           # handed to first, which is now ready
        yield cancel(first)             # ... and cancelled before it runs
        queue.put_nowait("b")
        return first.cancelled, (yield join(second)), queue.get_nowait()

    assert run(main()) == (True, "a", "b")


def test_a_wake_up_from_another_thread_racing_a_cancellation_loses_nothing():
    """The kernel is driven by run_once(), so the test decides what happens
    between rounds: a thread's put() hands the parked getter its item and
    asks the kernel to wake it, but the getter is cancelled first.  The
    item comes back to the queue; the late wake-up does nothing."""
    queue = UniversalQueue()

    def get():
        return (yield queue.get())

    with Kernel() as kernel:
        getter = kernel.spawn(get())
        kernel.run_once()
        assert getter.state == "parked"
        putter = Thread(queue.put, "item")      # (a thread: the wake-up is a call
        putter.start()                          #  handed to the kernel, run next round)
        putter.check()
        assert waiting(queue) == (0, 0)         # handed over
        kernel.spawn(canceller(getter))
        while not getter.done:
            kernel.run_once()
        kernel.run_once()                       # the wake-up arrives, finds nobody
        assert getter.cancelled
        assert queue.get_nowait() == "item"


def test_a_putter_cancelled_holding_a_slot_passes_it_on():
    queue = UniversalQueue(maxsize=1)

    def putter(item):
        yield queue.put(item)

    def main():
        yield queue.put("first")
        first = yield spawn(putter("x"))
        second = yield spawn(putter("y"))
        yield until(lambda: waiting(queue) == (0, 2))
        assert queue.get_nowait() == "first"    # room: a slot is reserved for first
        assert queue.full()
        yield cancel(first)                     # ... which gives it up
        yield join(second)
        return queue.get_nowait(), queue.empty()

    assert run(main()) == ("y", True)


def test_a_task_of_a_kernel_closed_while_it_waits_is_passed_over():
    """close() does not end a kernel's tasks: a getter or putter parked
    there stays in the queue's line.  What a thread puts or frees after
    that goes to the next waiter or stays in the queue -- not to the
    task that will never run (the item was lost, the slot held for ever)."""
    def getter(queue):
        yield queue.get()

    def putter(queue):
        yield queue.put("never")

    items = UniversalQueue()
    kernel = Kernel()
    kernel.spawn(getter(items))
    kernel.run_once(0)
    assert waiting(items) == (1, 0)
    kernel.close()
    items.put("kept")
    assert items.get(timeout=5) == "kept"

    slots = UniversalQueue(maxsize=1)
    slots.put("first")
    kernel = Kernel()
    kernel.spawn(putter(slots))
    kernel.run_once(0)
    assert waiting(slots) == (0, 1)
    kernel.close()
    assert slots.get(timeout=5) == "first"
    assert not slots.full()
    slots.put("second", timeout=5)
    assert slots.get(timeout=5) == "second"
    assert waiting(items) == waiting(slots) == (0, 0)


def test_a_dropped_getter_closed_by_a_collection_inside_a_queue_call_does_not_deadlock():
    """A task parked in get() whose kernel was closed is passed over, then
    dropped.  The garbage collector closes its generator wherever a
    collection starts -- here in the very thread that holds the queue's
    lock, as inside a put() or a get().  Closing it must not take that lock
    (not reentrant: the thread waited for itself, for ever)."""
    import gc
    import weakref

    def getter():
        yield queue.get()

    queue = UniversalQueue()
    kernel = Kernel()
    dropped = weakref.ref(kernel.spawn(getter()))
    kernel.run_once(0)
    assert waiting(queue) == (1, 0)
    kernel.close()
    queue.put("kept")                   # passes the getter over: it is garbage now
    del kernel

    def collect_inside_a_queue_call():
        with queue._lock:               # what put() and get() hold
            gc.collect()
            gc.collect()                # (PyPy: the finalizers of the first)

    gc.disable()                        # no collection before the lock is held
    try:
        collector = Thread(collect_inside_a_queue_call)
        collector.start()
        collector.check(timeout=5)
    finally:
        gc.enable()
    assert dropped() is None
    assert queue.get_nowait() == "kept" and waiting(queue) == (0, 0)


def test_a_waiter_closed_while_its_kernel_lives_is_passed_over():
    """A parked task's coroutine closed (dropped) while its kernel is still
    open: its waiter stays in the line -- closing takes no lock -- and is
    passed over.  The next item is not handed to it (lost), nor the next
    slot (the queue full for ever)."""
    async def getter():
        await items.get()

    async def putter():
        await slots.put("never")

    items = UniversalQueue()
    slots = UniversalQueue(maxsize=1)
    slots.put("first")
    kernel = Kernel()
    closed = [getter(), putter()]
    for coro in closed:
        kernel.spawn(coro)
    kernel.run_once(0)
    assert waiting(items) == (1, 0) and waiting(slots) == (0, 1)
    for coro in closed:
        coro.close()
    items.put("kept")
    assert items.get_nowait() == "kept"
    assert slots.get_nowait() == "first"
    slots.put_nowait("second")
    assert slots.get_nowait() == "second"
    assert waiting(items) == waiting(slots) == (0, 0)
    kernel.close()


def test_a_task_get_under_a_timeout():
    """timeout_after works on a task's get(); the timed-out getter leaves the
    line, and the next item goes to the next getter."""
    queue = UniversalQueue()

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, queue.get())
        assert waiting(queue) == (0, 0)
        feeder = Thread(queue.put, "late")
        feeder.start()
        item = yield timeout_after(5, queue.get())
        feeder.check()
        return item

    assert run(main()) == "late"


def test_async_def_tasks_await_it():
    queue = UniversalQueue(maxsize=1)

    async def main():
        thread = Thread(lambda: [queue.get() for _ in range(3)])
        thread.start()
        for n in range(3):
            await queue.put(n)
        return thread

    assert run(main()).check() == [0, 1, 2]


def test_nowait_methods_and_sizes():
    queue = UniversalQueue(maxsize=2)
    assert queue.empty() and not queue.full() and queue.qsize() == 0
    with pytest.raises(QueueEmpty, match="UniversalQueue.*is empty"):
        queue.get_nowait()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.full() and queue.qsize() == 2 and not queue.empty()
    with pytest.raises(QueueFull, match="UniversalQueue.*is full"):
        queue.put_nowait(3)
    assert [queue.get_nowait(), queue.get_nowait()] == [1, 2]
    unbounded = UniversalQueue()
    for n in range(1000):
        unbounded.put_nowait(n)
    assert not unbounded.full() and unbounded.qsize() == 1000


@pytest.mark.parametrize("maxsize", [-1, 1.5, "2", None])
def test_a_bad_maxsize_is_refused(maxsize):
    with pytest.raises(ValueError, match="maxsize must be an int >= 0, got"):
        UniversalQueue(maxsize)


def test_a_blocking_call_in_a_kernels_thread_is_refused():
    """A plain function in the kernel's thread that would block (a callback,
    a helper that forgot it is in a task) gets a clear error, and the kernel
    and its tasks go on."""
    queue = UniversalQueue()
    errors = []

    def callback():
        try:
            queue.get()
        except RuntimeError as exc:
            errors.append(exc)

    def helper():
        return queue.put("x")

    def main():
        (yield current_kernel()).call_threadsafe(callback)
        yield until(lambda: errors)
        with pytest.raises(RuntimeError, match=r"UniversalQueue.put\(\) called from a plain "
                                               r"function in the thread of a running kernel"):
            helper()
        with pytest.raises(TypeError, match=r"timeout_after\(1, q.get\(...\)\)"):
            yield queue.get(timeout=1)
        yield queue.put("still fine")
        return (yield queue.get())

    assert run(main()) == "still fine"
    assert "UniversalQueue.get() called from a plain function" in str(errors[0])
    assert "get_nowait()" in str(errors[0])


def test_a_blocking_call_in_an_asyncio_loop_is_refused():
    queue = UniversalQueue()

    async def main():
        with pytest.raises(RuntimeError, match="would block the thread of a running asyncio loop"):
            queue.get()
        queue.put("no wait needed")         # put with room never blocks: allowed
        return queue.get_nowait()

    assert asyncio.run(main()) == "no wait needed"


# ================================== UniversalQueue: task_done and join

def unfinished(queue):
    """How many items are unfinished, and how many joiners wait (from its repr)."""
    found = re.search(r"unfinished=(\d+) joiners=(\d+)", repr(queue))
    return int(found.group(1)), int(found.group(2))


def test_a_thread_join_returns_after_the_tasks_task_done():
    """A thread puts items and joins; tasks consume them.  The thread stays
    in join() while one item is unfinished, and returns at the tasks' last
    task_done()."""
    queue = UniversalQueue()
    ITEMS = 200
    done = []
    go = Future()

    async def consumer():
        for _ in range(ITEMS // 2):
            item = await queue.get()
            await sleep(0)              # the work, in slices
            done.append(item)
            if len(done) == ITEMS:
                await go                # the last task_done(): when the test says
            queue.task_done()

    def producer():
        for n in range(ITEMS):
            queue.put(n)
        queue.join()
        return len(done)

    def main():
        thread = Thread(producer)
        thread.start()
        yield until(lambda: unfinished(queue) == (ITEMS, 1))    # it put them all, and joined
        consumers = [(yield spawn(consumer())), (yield spawn(consumer()))]
        yield until(lambda: len(done) == ITEMS)
        assert unfinished(queue) == (1, 1) and thread.is_alive()
        go.set_result(None)
        for task in consumers:
            yield join(task)
        return thread

    assert run(main()).check() == ITEMS
    assert sorted(done) == list(range(ITEMS))
    assert unfinished(queue) == (0, 0)


def test_a_task_join_returns_only_after_the_last_task_done_from_a_thread():
    """A thread consumes what a task put; the task's join() stays parked
    while one item is unfinished, and returns at the thread's last
    task_done()."""
    queue = UniversalQueue(maxsize=2)
    joined, last = threading.Event(), threading.Event()

    def consumer():
        got = [queue.get() for _ in range(5)]
        assert joined.wait(5)
        for _ in range(4):
            queue.task_done()
        assert last.wait(5)
        queue.task_done()
        return got

    async def joiner():
        await queue.join()

    def main():
        thread = Thread(consumer)
        thread.start()
        for n in range(5):
            yield queue.put(n)
        task = yield spawn(joiner())
        yield until(lambda: unfinished(queue) == (5, 1))
        joined.set()
        yield until(lambda: unfinished(queue)[0] == 1)
        assert unfinished(queue) == (1, 1) and task.state == "parked"
        last.set()
        yield join(task)
        return thread.check(), unfinished(queue)

    assert run(main()) == ([0, 1, 2, 3, 4], (0, 0))


def test_join_with_nothing_outstanding_returns_at_once():
    """Nothing put, or everything put marked done: a thread's join() does
    not block, a task's does not even park (one round of the kernel)."""
    queue = UniversalQueue()
    queue.join()                        # (a wait here would be for ever: the watchdog)
    queue.put("x")
    queue.get()
    queue.task_done()
    queue.join()

    def joiner():
        yield queue.join()
        return "joined"

    with Kernel() as kernel:
        task = kernel.spawn(joiner())
        kernel.run_once(0)
        assert task.done and task.result == "joined"


def test_task_done_more_times_than_items_put_is_a_value_error():
    queue = UniversalQueue()
    with pytest.raises(ValueError, match=r"<UniversalQueue .*>: task_done\(\) called more "
                                         r"times than there were items"):
        queue.task_done()
    queue.put_nowait("x")
    queue.get_nowait()
    queue.task_done()

    def task():
        with pytest.raises(ValueError, match="task_done"):
            queue.task_done()
        yield sleep(0)

    run(task())
    assert unfinished(queue) == (0, 0)  # the count did not go below zero
    queue.put_nowait("y")
    assert unfinished(queue) == (1, 0)


def test_an_item_given_back_by_a_cancelled_getter_counts_once():
    """A getter handed an item and cancelled before it ran gives the item
    back: still one unfinished item, not two."""
    queue = UniversalQueue()

    def main():
        getter = yield spawn(queue.get())
        yield until(lambda: waiting(queue) == (1, 0))
        queue.put_nowait("item")
        yield cancel(getter)
        assert unfinished(queue) == (1, 0)
        assert (yield queue.get()) == "item"
        queue.task_done()
        yield timeout_after(5, queue.join())

    run(main())


def test_a_cancelled_task_join_leaves_the_queue_consistent():
    """A joiner cancelled while it waits leaves the line; one cancelled
    after task_done() handed it its wake-up gives nothing back (a bounded
    queue's room is as it was).  The others are woken as usual."""
    queue = UniversalQueue(maxsize=1)

    def joiner():
        yield queue.join()
        return "joined"

    def main():
        yield queue.put("x")
        tasks = [(yield spawn(joiner())), (yield spawn(joiner())), (yield spawn(joiner()))]
        yield until(lambda: unfinished(queue) == (1, 3))
        yield cancel(tasks[0])          # waiting: it leaves the line
        assert unfinished(queue) == (1, 2)
        assert (yield queue.get()) == "x"
        queue.task_done()               # hands both the others their wake-up...
        assert unfinished(queue) == (0, 0)
        yield cancel(tasks[1])          # ... and one is cancelled before it runs
        yield queue.put("y")            # the room is the queue's own: one item fills it
        assert queue.full()
        return [task.cancelled for task in tasks], (yield join(tasks[2]))

    assert run(main()) == ([True, True, False], "joined")


def test_a_task_join_under_a_timeout():
    """timeout_after works on a task's join(): TaskTimeout, the joiner leaves
    the line, and a later join returns at the thread's task_done()."""
    queue = UniversalQueue()

    def consumer():
        queue.get()
        queue.task_done()

    def main():
        yield queue.put("work")
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, queue.join())
        assert unfinished(queue) == (1, 0)
        thread = Thread(consumer)
        thread.start()
        yield timeout_after(5, queue.join())
        thread.check()
        return unfinished(queue)

    assert run(main()) == (0, 0)


def test_a_joiner_of_a_kernel_closed_while_it_waits_is_passed_over():
    """A task parked in join() whose kernel was closed never runs again: the
    last task_done() passes it over (no error, nothing left in line)."""
    def joiner():
        yield queue.join()

    queue = UniversalQueue()
    queue.put("x")
    kernel = Kernel()
    kernel.spawn(joiner())
    kernel.run_once(0)
    assert unfinished(queue) == (1, 1)
    kernel.close()
    queue.get()
    queue.task_done()
    assert unfinished(queue) == (0, 0)
    queue.join()


def test_a_blocking_join_in_a_kernels_thread_or_an_asyncio_loop_is_refused():
    queue = UniversalQueue()
    queue.put("unfinished")

    def helper():
        return queue.join()

    def main():
        with pytest.raises(RuntimeError, match=r"UniversalQueue.join\(\) called from a plain "
                                               r"function .* elsewhere call it from another"):
            helper()
        yield sleep(0)

    async def in_asyncio():
        with pytest.raises(RuntimeError, match=r"UniversalQueue.join\(\) would block the "
                                               r"thread of a running asyncio loop; call it"):
            queue.join()

    run(main())
    asyncio.run(in_asyncio())
    assert unfinished(queue) == (1, 0)


# ================================== run_once: a kernel inside asyncio

class AsyncioDriver:
    """What examples/embed_asyncio.py does: asyncio calls run_once() when
    the kernel's descriptor is readable or its next timer is due."""

    def __init__(self, kernel, loop):
        self.kernel, self.loop, self.timer = kernel, loop, None
        self.rounds = 0
        loop.add_reader(kernel.fileno(), self.step)
        self.schedule()

    def step(self):
        self.rounds += 1
        self.kernel.run_once(0)
        self.schedule()

    def schedule(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        delay = self.kernel.next_deadline()
        if delay is not None:
            self.timer = self.loop.call_later(delay, self.step)

    def close(self):
        self.loop.remove_reader(self.kernel.fileno())
        if self.timer is not None:
            self.timer.cancel()


def echo(stream, address):
    while True:
        data = yield stream.read(65536)
        if not data:
            break
        yield stream.write(data)


async def asyncio_echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


def test_run_once_driven_by_asyncio_both_servers_answer():
    """One thread, two loops: an asyncio echo server and a trampoline echo
    server (started through a worker thread's DNS look-up, so a call from
    another thread must wake the kernel through fileno()) both answer
    clients of both kinds -- asyncio coroutines, and trampoline tasks that
    sleep on a timer first (next_deadline brings asyncio back for it)."""

    def trampoline_client(port, n):
        yield sleep(0.01 * (n % 3))
        from trampoline.streams import open_connection
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            yield stream.write(b"tramp %d\n" % n)
            return (yield stream.readline())

    def gather(coros, future):
        """A trampoline task: run ``coros`` at once, give their results to
        the asyncio ``future``."""
        tasks = []
        for coro in coros:
            tasks.append((yield spawn(coro)))
        results = []
        for task in tasks:
            results.append((yield join(task)))
        future.set_result(results)

    async def asyncio_client(port, n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"asyncio %d\n" % n)
        reply = await reader.readline()
        writer.close()
        return reply

    async def main():
        loop = asyncio.get_running_loop()
        server = await asyncio.start_server(asyncio_echo, "127.0.0.1", 0)
        asyncio_port = server.sockets[0].getsockname()[1]
        with Kernel() as kernel:
            listening = loop.create_future()
            # Where localhost is ::1 too (Debian's /etc/hosts), the server
            # listens on both, on one port, and calls ready once for each.
            tramp_server = kernel.spawn(tcp_server(
                "localhost", 0, echo,
                ready=lambda address: listening.done() or listening.set_result(address[1])))
            driver = AsyncioDriver(kernel, loop)
            trampoline_port = await asyncio.wait_for(listening, 5)
            # Trampoline tasks may resolve asyncio futures: same thread.
            tramp_replies = loop.create_future()
            kernel.spawn(gather([trampoline_client(port, n) for port in (asyncio_port,
                                 trampoline_port) for n in range(5)], tramp_replies))
            driver.schedule()               # tasks are ready: a round soon
            replies = await asyncio.gather(*(asyncio_client(port, n)
                                             for port in (asyncio_port, trampoline_port)
                                             for n in range(5)))
            tramp_replies = await tramp_replies
            stopped = loop.create_future()
            kernel.spawn(gather([canceller(tramp_server)], stopped))
            driver.schedule()
            await stopped
            driver.close()
        server.close()
        await server.wait_closed()
        return replies, tramp_replies, tramp_server.cancelled, driver.rounds

    replies, tramp_replies, cancelled, rounds = asyncio.run(main())
    assert replies == [b"asyncio %d\n" % n for n in range(5)] * 2
    assert tramp_replies == [b"tramp %d\n" % n for n in range(5)] * 2
    assert cancelled and rounds > 0


# ============================================= two kernels, two threads

def test_two_kernels_in_two_threads_at_once():
    """Each kernel serves echo in its own thread and is a client of the
    other's server at the same time: neither could finish alone.  Neither
    touches process-wide state: signal handlers, the wakeup fd, logging."""
    import logging
    signals = {signo: signal.getsignal(signo) for signo in signal.valid_signals()
               if signo not in (signal.SIGKILL, signal.SIGSTOP)}
    root_handlers = list(logging.getLogger().handlers)
    wakeup_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup_fd)
    addresses = {"a": Future(), "b": Future()}
    finished = {"a": Future(), "b": Future()}
    threads_seen = set()

    def side(me, other):
        threads_seen.add(threading.get_ident())
        server = yield spawn(tcp_server("127.0.0.1", 0, echo, ready=addresses[me]))
        host, port = yield addresses[other]         # set in the other thread
        from trampoline.streams import open_connection
        stream = yield open_connection(host, port)
        replies = []
        with stream:
            for n in range(50):
                yield stream.write(b"%s %d\n" % (me.encode(), n))
                replies.append((yield stream.readline()))
        finished[me].set_result(None)
        yield finished[other]                       # the other may still need our server
        yield cancel(server)
        return replies

    first = Thread(run, side("a", "b"))
    second = Thread(run, side("b", "a"))
    first.start()
    second.start()
    assert first.check() == [b"a %d\n" % n for n in range(50)]
    assert second.check() == [b"b %d\n" % n for n in range(50)]
    assert len(threads_seen) == 2
    assert {signo: signal.getsignal(signo) for signo in signals} == signals
    assert signal.set_wakeup_fd(wakeup_fd) == wakeup_fd
    assert logging.getLogger().handlers == root_handlers


def test_importing_has_no_side_effects():
    """Importing every trampoline module starts no thread, opens no
    descriptor, installs no signal handler or wakeup fd, configures no
    logging, and imports no event loop (but the asyncio bridge, aio, and the
    pytest plugin, testing, which import asyncio and pytest by design)."""
    code = r"""
import logging, os, pkgutil, signal, sys, threading
fds = sorted(os.listdir("/proc/self/fd"))
handlers = {s: signal.getsignal(s) for s in signal.valid_signals()
            if s not in (signal.SIGKILL, signal.SIGSTOP)}
before = set(sys.modules)
import trampoline
bridges = ("aio", "testing")
for module in pkgutil.iter_modules(trampoline.__path__):
    if module.name not in bridges:
        __import__("trampoline." + module.name)
assert "asyncio" not in set(sys.modules) - before, "asyncio was imported"
for name in bridges:
    __import__("trampoline." + name)
assert sorted(os.listdir("/proc/self/fd")) == fds, "descriptors opened"
assert threading.active_count() == 1, threading.enumerate()
assert {s: signal.getsignal(s) for s in handlers} == handlers, "signal handlers changed"
assert signal.set_wakeup_fd(-1) == -1, "a wakeup fd was set"
assert not logging.getLogger().handlers, "root logging configured"
assert not logging.getLogger("trampoline").handlers, "trampoline logging configured"
print("clean")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                         cwd=os.path.dirname(EXAMPLES))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "clean\n"


# ================================================= the two examples

def example(name):
    return [sys.executable, os.path.join(EXAMPLES, name)]


@pytest.mark.parametrize("name", ["embed_asyncio.py", "embed_thread.py"])
def test_the_examples_explain_themselves(name):
    out = subprocess.run(example(name) + ["--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "--host" in out.stdout and "-port" in out.stdout


def test_embed_asyncio_serves_on_both_loops_and_stops_cleanly():
    """Both servers answer the same clients at once; SIGINT stops both,
    status 0, no traceback."""
    import socket
    proc = subprocess.Popen(example("embed_asyncio.py") + ["--asyncio-port", "0",
                                                           "--trampoline-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ports = {}
        for _ in range(2):
            line = proc.stdout.readline()
            found = re.match(r"(asyncio|trampoline) echo server listening on 127.0.0.1:(\d+)$",
                             line.strip())
            assert found, line + proc.stderr.read() if proc.poll() is not None else line
            ports[found.group(1)] = int(found.group(2))
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10)
                   for port in ports.values() for _ in range(3)]
        for n, client in enumerate(clients):
            client.sendall(b"ping %d" % n)
        for n, client in enumerate(clients):
            expected = b"ping %d" % n
            reply = b""
            while len(reply) < len(expected):
                reply += client.recv(100)
            assert reply == expected
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        for client in clients:          # their connections were closed
            assert client.recv(100) == b""
            client.close()
        rest = proc.stdout.read()
        assert rest == "both servers stopped\n"
        assert proc.stderr.read() == ""
    finally:
        stop_process(proc)


def test_embed_thread_answers_each_line_of_stdin():
    out = subprocess.run(example("embed_thread.py"), input="hello\nworld\n",
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello -> HELLO\nworld -> WORLD\n"
    assert re.match(r"round trips to 127.0.0.1:\d+\n$", out.stderr)


def test_embed_thread_many_jobs_at_once_and_a_server_that_is_not_there():
    out = subprocess.run(example("embed_thread.py") + ["--count", "500", "--workers", "8"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert re.match(r"500 round trips by 8 worker tasks in [\d.]+ s: 0 wrong, 0 failed\n$",
                    out.stdout)
    import socket
    with socket.socket() as nobody:     # bound, not listening: refused
        nobody.bind(("127.0.0.1", 0))
        out = subprocess.run(example("embed_thread.py") + ["--count", "3", "--port",
                                                            str(nobody.getsockname()[1])],
                             capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "0 wrong, 3 failed ([Errno 111]" in out.stdout or "3 failed" in out.stdout


@pytest.mark.parametrize("bad, error", [("1", TypeError), (True, TypeError), (-1, ValueError),
                                        (float("nan"), ValueError)])
def test_a_bad_timeout_is_refused_before_the_thread_joins_a_line(bad, error):
    """A thread's put or get with a timeout that is no number of seconds >= 0
    raises at once, as in queue.Queue, and leaves no trace in the queue: it
    used to fail after joining the line, and stayed there -- the next item
    put went to that getter nobody was, a putter's slot was held for ever
    (a queue of maxsize 1 then full with nothing in it)."""
    items = UniversalQueue()
    with pytest.raises(error, match=r"UniversalQueue.get\(\): timeout must be a number of "
                                    r"seconds"):
        items.get(timeout=bad)
    items.put("kept")
    assert items.get(timeout=5) == "kept"

    slots = UniversalQueue(maxsize=1)
    slots.put("first")
    with pytest.raises(error, match=r"UniversalQueue.put\(\): timeout must be a number of "
                                    r"seconds"):
        slots.put("never", timeout=bad)
    assert slots.get(timeout=5) == "first"
    assert not slots.full()
    slots.put("second", timeout=5)
    assert slots.get_nowait() == "second"
    assert waiting(items) == waiting(slots) == (0, 0)


def test_an_infinite_or_huge_timeout_waits_like_none():
    """timeout=inf (or beyond threading.TIMEOUT_MAX) waits until an item
    comes: it used to raise OverflowError from the lock."""
    queue = UniversalQueue()
    for timeout in (float("inf"), 1e300):
        getter = Thread(queue.get, timeout)
        getter.start()
        while waiting(queue) != (1, 0):             # until it waits in line
            assert getter.is_alive(), getter.error
            getter.join(0.001)
        queue.put(timeout)
        assert getter.check() == timeout
