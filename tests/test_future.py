"""Future: set once, waited for by tasks; set from another thread wakes a
parked task (the kernel is not in "deadlock" while a thread may still set it).

Threads hand-shake with the task through the Future itself and through
``threading.Event``; a thread that must set the Future only *after* the task
is parked waits until the task's state says "parked".
"""

import threading
import time

import pytest

import trampoline
from trampoline import (Cancelled, Future, Kernel, TaskError, TaskTimeout, cancel, join, run,
                        sleep, spawn, timeout_after)
from drop_helpers import collect_harder
from task_helpers import parked


# ------------------------------------------------------------- helpers

def wait_in_thread(predicate, timeout=5.0):
    """From a plain thread: wait until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        time.sleep(0.0005)


class Thread(threading.Thread):
    """A thread that keeps its exception for the test to re-raise."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self._target_fn = target
        self.error = None

    def run(self):
        try:
            self._target_fn()
        except BaseException as exc:    # pragma: no cover - reported by check()
            self.error = exc

    def check(self):
        self.join(5)
        assert not self.is_alive()
        if self.error is not None:
            raise self.error


# ================================================================ basics

def test_future_state_and_result():
    fut = Future()
    assert not fut.done()
    with pytest.raises(RuntimeError):
        fut.result()
    fut.set_result(5)
    assert fut.done()
    assert fut.result() == 5
    assert "result=5" in repr(fut)


def test_set_twice_is_a_runtime_error():
    fut = Future()
    fut.set_result(1)
    with pytest.raises(RuntimeError):
        fut.set_result(2)
    with pytest.raises(RuntimeError):
        fut.set_exception(ValueError())
    assert fut.result() == 1

    fut = Future()
    fut.set_exception(KeyError("k"))
    with pytest.raises(RuntimeError):
        fut.set_result(2)
    with pytest.raises(KeyError):
        fut.result()


def test_set_exception_needs_an_exception():
    fut = Future()
    with pytest.raises(TypeError):
        fut.set_exception("not an exception")
    assert not fut.done()


def test_set_before_wait_all_three_ways():
    def main():
        fut = Future()
        fut.set_result("early")
        a = yield fut
        b = yield fut.wait()
        return a, b

    async def amain():
        fut = Future()
        fut.set_result("early")
        return (await fut), (await fut.wait())

    assert run(main()) == ("early", "early")
    assert run(amain()) == ("early", "early")


def test_set_after_wait_by_another_task():
    def setter(fut, waiter):
        yield parked(waiter)
        fut.set_result("late")

    def waiter(fut):
        return (yield fut)

    def main():
        fut = Future()
        w = yield spawn(waiter(fut))
        yield spawn(setter(fut, w))
        return (yield join(w))

    assert run(main()) == "late"


def test_yield_fut_wait_and_await_fut_after_set():
    async def await_it(fut):
        return await fut

    async def await_wait(fut):
        return await fut.wait()

    def yield_wait(fut):
        return (yield fut.wait())

    def yield_fut(fut):
        return (yield fut)

    def main():
        fut = Future()
        tasks = []
        for make in (await_it, await_wait, yield_wait, yield_fut):
            tasks.append((yield spawn(make(fut))))
        yield parked(*tasks)
        fut.set_result("all")
        results = []
        for t in tasks:
            results.append((yield join(t)))
        return results

    assert run(main()) == ["all"] * 4


def test_set_exception_is_raised_in_every_waiter():
    def waiter(fut):
        try:
            yield fut
        except KeyError as exc:
            return "raised %s" % exc.args[0]

    async def awaiter(fut):
        try:
            await fut
        except KeyError as exc:
            return "araised %s" % exc.args[0]

    def main():
        fut = Future()
        a = yield spawn(waiter(fut))
        b = yield spawn(awaiter(fut))
        yield parked(a, b)
        fut.set_exception(KeyError("k"))
        return (yield join(a)), (yield join(b))

    assert run(main()) == ("raised k", "araised k")


def test_waiter_cancelled_while_waiting_then_future_set():
    log = []

    def waiter(fut, name):
        try:
            log.append((name, (yield fut)))
        except Cancelled:
            log.append((name, "cancelled"))
            raise

    def main():
        fut = Future()
        a = yield spawn(waiter(fut, "a"))
        b = yield spawn(waiter(fut, "b"))
        yield parked(a, b)
        yield cancel(a)
        fut.set_result(7)
        yield join(b)

    run(main())
    assert log == [("a", "cancelled"), ("b", 7)]


def test_wait_for_future_with_timeout():
    def main():
        fut = Future()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, fut.wait())
        fut.set_result("after")
        return (yield fut)

    assert run(main()) == "after"


# ============================================================== threads

def test_set_result_from_a_thread_wakes_a_parked_task():
    """The only task waits on the Future; no timer, no descriptor.  The
    kernel must wait for the thread rather than declare a deadlock, and wake
    promptly when the thread sets the result."""
    fut = Future()
    state = {}

    def setter():
        wait_in_thread(lambda: state.get("task") is not None
                       and state["task"].state == "parked")
        state["set_at"] = time.monotonic()
        fut.set_result(threading.current_thread().name)

    thread = Thread(setter)

    def main():
        from trampoline import current
        state["task"] = yield current()
        thread.start()
        result = yield fut
        return result, time.monotonic() - state["set_at"]

    result, delay = run(main())
    thread.check()
    assert result == thread.name
    assert delay < 1.0


def test_set_exception_from_a_thread():
    fut = Future()
    ready = threading.Event()

    def setter():
        ready.wait(5)
        fut.set_exception(ValueError("from thread"))

    thread = Thread(setter)

    async def main():
        thread.start()
        ready.set()
        try:
            await fut
        except ValueError as exc:
            return str(exc)

    assert run(main()) == "from thread"
    thread.check()


def test_set_from_a_thread_before_the_task_waits():
    fut = Future()
    thread = Thread(lambda: fut.set_result("before"))
    thread.start()
    thread.check()

    def main():
        return (yield fut.wait())

    assert run(main()) == "before"


def test_set_from_a_thread_racing_the_wait():
    """Whichever comes first -- the thread's set or the task's wait -- the
    task gets the result; repeated to shake out a lost wake-up."""
    def main():
        results = []
        for i in range(200):
            fut = Future()
            thread = Thread(lambda fut=fut, i=i: fut.set_result(i))
            thread.start()
            if i % 2:
                yield sleep(0)
            results.append((yield fut))
            thread.check()
        return results

    assert run(main()) == list(range(200))


def test_many_threads_many_futures():
    futures = [Future() for _ in range(20)]
    go = threading.Event()

    def setter(fut, i):
        go.wait(5)
        fut.set_result(i * i)

    threads = [Thread(lambda f=f, i=i: setter(f, i)) for i, f in enumerate(futures)]

    def waiter(fut):
        return (yield fut)

    def main():
        tasks = []
        for fut in futures:
            tasks.append((yield spawn(waiter(fut))))
        yield parked(*tasks)
        for t in threads:
            t.start()
        go.set()
        results = []
        for t in tasks:
            results.append((yield join(t)))
        return results

    assert run(main()) == [i * i for i in range(20)]
    for t in threads:
        t.check()


def test_tasks_of_two_kernels_wait_for_one_future():
    """One Future (a "stop" signal, say) waited for by a task of each of two
    kernels, set from another thread: each kernel wakes its own task.  (A
    Future knew one kernel: both tasks were woken in the last one, and the
    other's task ran there and broke it.)"""
    fut = Future()
    got = []

    def waiter(name):
        got.append((name, (yield fut)))

    kernels = [Kernel(), Kernel()]
    tasks = [kernel.spawn(waiter(name)) for kernel, name in zip(kernels, "ab")]
    for kernel in kernels:
        kernel.run_once(0)
    assert [t.state for t in tasks] == ["parked", "parked"]
    setter = Thread(lambda: fut.set_result(42))
    setter.start()
    setter.check()
    for kernel in kernels:
        kernel.run_once(5)              # the thread's call (already there) wakes its task
    for kernel in kernels:
        kernel.run_once(0)              # which runs
        kernel.close()
    assert sorted(got) == [("a", 42), ("b", 42)]
    assert [t.state for t in tasks] == ["done", "done"]


def test_future_waiter_cancelled_leaves_kernel_able_to_detect_deadlock():
    """A task that stopped waiting on a Future no longer counts as "a thread
    may still wake it": later, a real deadlock is reported, not waited on
    forever."""
    from trampoline import Event

    def main():
        fut = Future()
        w = yield spawn(fut.wait())
        yield parked(w)
        yield cancel(w)
        yield Event().wait()            # nothing can ever set this

    start = time.monotonic()
    with Kernel() as k:
        with pytest.raises(RuntimeError, match="deadlock"):
            k.run(main())
    assert time.monotonic() - start < 2


def test_thread_set_wakes_a_kernel_blocked_on_a_long_timer():
    fut = Future()
    state = {}

    def setter():
        wait_in_thread(lambda: "task" in state and state["task"].state == "parked")
        fut.set_result("woken")

    thread = Thread(setter)

    def sleeper():
        yield sleep(5)

    def main():
        from trampoline import current
        s = yield spawn(sleeper())      # the poller would otherwise sleep 5 s
        state["task"] = yield current()
        thread.start()
        start = time.monotonic()
        result = yield fut
        elapsed = time.monotonic() - start
        yield cancel(s)
        return result, elapsed

    result, elapsed = run(main())
    thread.check()
    assert result == "woken"
    assert elapsed < 1.0


def test_future_is_exported():
    assert trampoline.Future is Future


def test_joining_a_task_that_failed_on_a_future():
    def waiter(fut):
        yield fut

    def main():
        fut = Future()
        w = yield spawn(waiter(fut))
        yield parked(w)
        fut.set_exception(OSError("io"))
        try:
            yield join(w)
        except TaskError as exc:
            return type(exc.__cause__)

    assert run(main()) is OSError


def test_set_exception_refuses_stop_iteration():
    """As asyncio does: a StopIteration raised in a waiting generator comes
    out as "generator raised StopIteration" (PEP 479), which says nothing of
    the Future -- so it is refused when set, and the Future stays pending."""
    fut = Future()
    for stop in (StopIteration(), StopIteration("value")):
        with pytest.raises(TypeError, match="a StopIteration cannot be raised"):
            fut.set_exception(stop)
    assert not fut.done()
    fut.set_exception(StopAsyncIteration())     # (no generator turns that one)
    with pytest.raises(StopAsyncIteration):
        fut.result()


def test_a_waiter_that_gives_up_leaves_no_trace_of_its_kernel():
    """A long-lived Future (a "stop" signal, say) waited for under a timeout
    by a task of one short-lived kernel after another: each kernel, once
    closed, can be freed.  (The Future kept every kernel whose task had ever
    waited for it, until it was set.)"""
    import weakref

    fut = Future()

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.001, fut.wait())

    kernels = []
    for _ in range(3):
        with Kernel() as kernel:
            kernel.run(main())
        kernels.append(weakref.ref(kernel))
        del kernel
    collect_harder()
    assert [ref() for ref in kernels] == [None, None, None]

    def main2():                        # gives up, then waits again: still woken
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.001, fut.wait())
        setter = Thread(lambda: fut.set_result("still works"))
        setter.start()
        result = yield fut
        setter.check()
        return result

    assert run(main2()) == "still works"
