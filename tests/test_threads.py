"""run_in_thread and WorkerPool: blocking calls in worker threads.

Results and exceptions come back; the loop runs while a thread blocks; the
pool is bounded; a cancelled (or timed-out) task moves on at once while
its thread finishes and the outcome is dropped; a job cancelled before it
started never runs; idle workers end.  Threads and tasks synchronise with
threading.Event (thread side) and Futures (task side), never with sleeps.
"""

import gc
import os
import re
import subprocess
import sys
import threading
import weakref

import pytest

from drop_helpers import collect_harder
from net_helpers import watchdog  # noqa: F401 (autouse fixture)
from trampoline import (Future, Kernel, TaskError, TaskTimeout, cancel, current, join, spawn,
                        timeout_after)
from trampoline.threads import DEFAULT_MAX_WORKERS, WorkerPool, default_pool, run_in_thread


def test_result_and_exception(run):
    def fails(x):
        raise KeyError(x)

    def main():
        value = yield run_in_thread(pow, 2, 10)
        with pytest.raises(KeyError, match="boom"):
            yield run_in_thread(fails, "boom")
        return value

    assert run(main()) == 1024


def test_async_def(run):
    async def main():
        return await run_in_thread(sorted, [3, 1, 2])

    assert run(main()) == [1, 2, 3]


def test_the_loop_runs_while_a_thread_blocks(run):
    """The call blocks its thread until a *task* lets it go: that can only
    happen if the kernel went on running tasks meanwhile."""
    started = Future()                      # set by the thread
    release = threading.Event()             # set by a task

    def blocking():
        started.set_result(threading.current_thread().name)
        assert release.wait(5), "the loop was blocked"
        return "done"

    def releaser():
        name = yield started
        release.set()
        return name

    def main():
        helper = yield spawn(releaser())
        result = yield run_in_thread(blocking)
        return result, (yield join(helper))

    result, thread_name = run(main())
    assert result == "done"
    assert thread_name.startswith("trampoline-worker-")


def test_the_pool_is_bounded():
    """Five jobs on a pool of two: never more than two run at once, and
    only two threads are made."""
    import trampoline
    pool = WorkerPool(2)
    lock = threading.Lock()
    running = [0, 0]                        # now, most ever
    two_running = Future()
    gate = threading.Event()

    def job(i):
        with lock:
            running[0] += 1
            running[1] = max(running)
            if running[0] == 2 and not two_running.done():
                two_running.set_result(None)
        gate.wait(5)
        with lock:
            running[0] -= 1
        return i

    def main():
        tasks = []
        for i in range(5):
            tasks.append((yield spawn(pool.run(job, i))))
        yield two_running
        assert pool.workers == 2 and "queued=3" in repr(pool)
        gate.set()
        results = []
        for task in tasks:
            results.append((yield join(task)))
        return results

    assert trampoline.run(main()) == [0, 1, 2, 3, 4]
    assert running[1] == 2
    assert pool.workers == 2


def test_cancelled_task_moves_on_and_the_result_is_dropped(run):
    """Cancelling the waiting task returns at once, while the thread is still
    blocked; the thread finishes later and its result goes nowhere.  A job
    still queued when its task is cancelled is never started."""
    pool = WorkerPool(1)
    started = Future()
    gate = threading.Event()
    finished = threading.Event()
    calls = []

    def slow():
        started.set_result(None)
        gate.wait(5)
        finished.set()
        return "late"

    def main():
        waiting = yield spawn(pool.run(slow))
        yield started
        queued = yield spawn(pool.run(calls.append, "never"))
        me = yield current()
        yield cancel(waiting)
        yield cancel(queued)
        assert waiting.cancelled and queued.cancelled
        assert not finished.is_set()            # the thread is still at it
        gate.set()
        # The worker runs jobs in order: when this one comes back, the slow
        # one's outcome has been handed back (and dropped) before it.
        assert (yield pool.run(calls.append, "after")) is None
        return me

    run(main())
    assert finished.is_set()
    assert calls == ["after"]


def test_timeout_while_a_thread_blocks(run):
    gate = threading.Event()

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.05, run_in_thread(gate.wait, 5))
        gate.set()
        return (yield run_in_thread(gate.wait, 5))

    assert run(main()) is True


def test_kernel_ends_while_a_thread_still_runs():
    """The main task returns while another waits for a thread: the waiter
    is cancelled at shutdown; the thread's late hand-back to the closed
    kernel is harmless, and the worker goes on to idle out normally."""
    import trampoline
    pool = WorkerPool(1, idle_timeout=0.01, name="late-worker")
    started = Future()
    gate = threading.Event()

    def slow():
        started.set_result(None)
        gate.wait(5)

    def main():
        yield spawn(pool.run(slow))
        yield started

    trampoline.run(main())
    worker = [t for t in threading.enumerate() if t.name.startswith("late-worker")]
    gate.set()
    worker[0].join(5)
    assert not worker[0].is_alive()
    assert pool.workers == 0                    # it ended through its idle timeout


def test_a_call_queued_for_a_task_whose_kernel_is_closed_never_starts():
    """A job waiting for a busy pool when its kernel is closed: close()
    drops the task that waits, nobody will take the outcome, so the call
    never starts -- as for a cancelled task, and as ``await_asyncio``
    cancels its coroutine then.  It ran, for nobody (a write, a query)."""
    import trampoline
    pool = WorkerPool(1, name="closed-kernel-worker")
    busy, gate = threading.Event(), threading.Event()
    ran = []

    def blocker():
        busy.set()
        gate.wait(10)

    def waiter(func):
        yield pool.run(func)

    kernel = Kernel()
    tasks = [kernel.spawn(waiter(blocker)), kernel.spawn(waiter(lambda: ran.append("for nobody")))]
    while any(task.state != "parked" for task in tasks):
        kernel.run_once(0)                      # (a checkpoint first, then submitted)
    # both submitted; the second waits
    assert busy.wait(10)
    kernel.close()
    gate.set()

    def after():                                # the one worker takes jobs in order
        return (yield pool.run(lambda: "next"))

    assert trampoline.run(after()) == "next"
    assert ran == []


def test_idle_workers_end_and_new_ones_start():
    import trampoline
    pool = WorkerPool(1, idle_timeout=0.01, name="idle-test")

    def main():
        return (yield pool.run(threading.current_thread))

    first = trampoline.run(main())
    first.join(5)
    assert not first.is_alive() and pool.workers == 0
    second = trampoline.run(main())
    assert second is not first and second.name == "idle-test-2"


def test_argument_errors(run):
    def main():
        with pytest.raises(TypeError, match="needs a function to call"):
            yield run_in_thread(42)

    run(main())
    with pytest.raises(ValueError, match="max_workers must be an int >= 1"):
        WorkerPool(0)
    # A bad idle_timeout used to kill the first worker once it was idle,
    # still counted as alive and idle: the next job waited for ever.
    for bad in ("10", -1, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match=r"idle_timeout must be a number of seconds >= 0 "
                                             r"\(or None: never\), got %s" % re.escape(repr(bad))):
            WorkerPool(2, idle_timeout=bad)
    for good in (0, 0.5, None):
        assert WorkerPool(2, idle_timeout=good).idle_timeout == good
    assert default_pool() is default_pool()
    assert default_pool().max_workers == DEFAULT_MAX_WORKERS


def test_exception_from_the_thread_propagates_through_join(run):
    def main():
        task = yield spawn(run_in_thread(int, "not a number"))
        with pytest.raises(TaskError) as info:
            yield join(task)
        return info.value.__cause__

    assert isinstance(run(main()), ValueError)


FORKED_CHILD = r"""
import os, time
from trampoline import run, run_in_thread, timeout_after
from trampoline.threads import default_pool

def job():
    return (yield run_in_thread(os.getpid))

assert run(job()) == os.getpid()
deadline = time.monotonic() + 10        # until its worker waits for the next job
while "idle=1" not in repr(default_pool()):
    assert time.monotonic() < deadline, repr(default_pool())
    time.sleep(0.001)
pid = os.fork()
if pid == 0:
    try:
        print("child:", run(timeout_after(5, job())) == os.getpid(), flush=True)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print("parent:", run(job()) == os.getpid(), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_its_calls_in_threads_of_its_own():
    """The child of a fork has none of its parent's worker threads: its
    pool must not count the parent's idle worker as its own and wait for it."""
    done = subprocess.run([sys.executable, "-c", FORKED_CHILD], capture_output=True,
                          text=True, timeout=30)
    assert done.stdout == "child: True\nparent: True\n", done.stdout + done.stderr


def test_call_threadsafe_refuses_what_is_not_callable_at_once():
    with Kernel() as kernel:
        with pytest.raises(TypeError, match=r"call_threadsafe\(\): func must be callable, "
                           r"got 'print'"):
            kernel.call_threadsafe("print", "hello")
        assert kernel.next_deadline() is None   # nothing queued


def test_a_call_that_came_back_is_not_lost_to_a_cancellation_that_comes_after():
    """The thread has finished and its outcome was handed back (the task is
    ready), then a timeout fires before the task runs: the task gets the
    outcome -- the timeout would come at its next blocking trap -- as with
    trio, once a thread's result is on its way; and the call then returns
    it, so the timeout returns it too, not ``TaskTimeout`` (trio's rule: the
    cancellation never reached the work).  (It was dropped: a socket or file
    the call opened was lost.)  Deterministic: a virtual clock, and the
    kernel driven a round at a time, its fileno() readable once the thread
    handed the outcome back."""
    import select
    from trampoline.clock import VirtualClock

    class Precious:
        pass

    pool = WorkerPool(1)
    got = []
    release = threading.Event()             # the call ends once the task has parked

    def make():
        assert release.wait(10)
        return Precious()

    def call():
        result = yield pool.run(make)
        got.append(result)
        return result

    def task():
        try:
            got.append(("returned", (yield timeout_after(10, call()))))
        except TaskTimeout:
            got.append("timed out")

    clock = VirtualClock(autojump_threshold=float("inf"))
    with Kernel(clock=clock) as kernel:
        waiting = kernel.spawn(task())
        kernel.run_once(0)                  # run_in_thread's checkpoint, then
        kernel.run_once(0)                  # it parks; the thread runs the call
        assert waiting.state == "parked"
        release.set()
        readable, _, _ = select.select([kernel.fileno()], [], [], 5)
        assert readable                     # the outcome was handed back
        clock.advance(10)                   # and the timeout is due
        kernel.run_once(0)                  # the task is woken, then its alarm fires
        assert waiting.state == "ready"
        kernel.run_once(0)
        assert waiting.state == "done"
    assert len(got) == 2 and isinstance(got[0], Precious) and got[1] == ("returned", got[0])


def test_an_async_function_is_refused_with_what_to_do(run, recwarn):
    """As trio's to_thread.run_sync: a function that returns a coroutine (an
    async def, directly or through a partial) raises TypeError in the task,
    and its coroutine is closed -- no "never awaited" warning.  (The task
    got the coroutine object as the result, and a warning came later.)"""
    import functools
    import gc

    async def fetch(x):
        return x

    def main():
        for func in (fetch, functools.partial(fetch)):
            with pytest.raises(TypeError, match=r"run_in_thread\(.*fetch.*\): that is an async "
                                                r"function .* await it in the task instead"):
                yield run_in_thread(func, 1)
        return (yield run_in_thread(iter, [1]))     # a plain function's result stays

    assert list(run(main())) == [1]
    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


class Precious:
    """What a call takes or makes (a weak reference tells when it is freed)."""


def test_an_idle_worker_keeps_nothing_of_the_call_it_ran(run):
    """As concurrent.futures' workers (CPython's bpo-16284): once the task
    has its result, neither the call's arguments nor its result live on in
    the worker that ran it, idle until its next job.  (The worker held its
    last job, and the job all of it: a TLS socket made in a worker stayed
    open after its stream was dropped, until that worker's next job.)"""
    pool = WorkerPool(1, idle_timeout=None)

    def make(arg):
        return Precious()

    def main():
        arg = Precious()
        result = yield pool.run(make, arg)
        refs = [weakref.ref(arg), weakref.ref(result)]
        del arg, result
        return refs

    refs = run(main())
    collect_harder()
    assert [ref() for ref in refs] == [None, None]
    assert pool.workers == 1                # idle, not gone


def test_the_result_of_a_call_its_task_gave_up_on_is_freed_when_it_comes_back(run):
    """The task is cancelled while the worker runs the call; the call ends
    later and its result, handed back to nobody, is freed -- not kept by the
    job the idle worker holds."""
    pool = WorkerPool(1, idle_timeout=None)
    started, freed = Future(), threading.Event()
    release = threading.Event()

    def make():
        started.set_result(None)
        assert release.wait(10)
        result = Precious()
        weakref.finalize(result, freed.set)
        return result

    def wait_freed():
        for _ in range(500):                # 5 s
            if freed.wait(0.01):
                return True
            gc.collect()
        return False

    def main():
        waiting = yield spawn(pool.run(make))
        yield started
        yield cancel(waiting)
        release.set()
        return (yield run_in_thread(wait_freed))

    assert run(main()) is True
    assert pool.workers == 1
