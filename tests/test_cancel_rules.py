"""The cancellation rules of issue 13, and the API that came with them.

* Timeouts are level-triggered: once a scope's deadline has passed, every
  blocking trap inside it raises, until the scope exits.
* A child's failure cancels the parent's body; errors are never dropped;
  ``except*`` works on 3.11+.
* Each task runs in its own ``contextvars`` context.
* ``with``/``async with timeout_after(...)``, ``ignore_after``,
  ``timeout_at``, ``ignore_at``, ``seconds=None``; ``RLock``, ``Barrier``,
  ``Queue.shutdown``; ``disable_cancellation``.

Each rule is tried in generator code and in ``async def`` code.  Virtual
time throughout, except for the thread in ``run_in_thread``.
"""

import contextvars
import sys
import textwrap

import pytest

import trampoline
from trampoline import (Barrier, BrokenBarrierError, Cancelled, Queue, QueueShutDown,
                        RLock, TaskError, TaskGroup, TaskGroupError, TaskTimeout, TimeoutScope,
                        VirtualClock, call, cancel, current_time, disable_cancellation,
                        ignore_after, ignore_at, join, run_in_thread, sleep, spawn,
                        timeout_after, timeout_at)


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


def nap(seconds):
    yield sleep(seconds)


# ===================================================== level-triggered

def test_work_that_swallows_the_timeout_is_cancelled_again_at_its_next_blocking_trap():
    log = []

    def stubborn():
        try:
            yield sleep(10)
        except Cancelled:
            log.append("swallowed at %g" % current_time())
        try:
            yield sleep(10)             # the scope has expired: interrupted at once
        except Cancelled:
            log.append("again at %g" % current_time())
            raise
        log.append("never")             # pragma: no cover

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(1, stubborn())
        return current_time()

    assert run(main()) == 1
    assert log == ["swallowed at 1", "again at 1"]


def test_a_block_whose_deadline_passed_raises_at_its_exit_even_if_the_work_swallowed_it():
    async def main():
        with pytest.raises(TaskTimeout):
            async with timeout_after(1):
                try:
                    await sleep(10)
                except Cancelled:
                    pass                # swallowed; no blocking trap after it
        return current_time()

    assert run(main()) == 1


def test_an_outer_deadline_is_not_lost_when_inner_code_swallows_its_cancellation():
    log = []

    def inner():
        with ignore_after(100) as scope:
            try:
                yield sleep(10)         # the outer deadline (1) passes here
            except Cancelled:
                log.append("swallowed")
        log.append(("inner expired", scope.expired))
        return "inner returned"

    def main():
        with pytest.raises(TaskTimeout):
            with timeout_after(1):
                yield inner()
        return current_time()

    assert run(main()) == 1
    assert log == ["swallowed", ("inner expired", False)]


def test_nested_blocks_the_inner_expires_and_the_outer_goes_on():
    async def main():
        async with timeout_after(10) as outer:
            async with ignore_after(1) as inner:
                await sleep(5)
            await sleep(2)              # the outer scope is still good
        return inner.expired, outer.expired, current_time()

    assert run(main()) == (True, False, 3)


def test_an_outer_scope_expiring_inside_an_inner_one_is_reported_by_the_outer():
    def main():
        with ignore_after(1) as outer:
            with timeout_after(5):
                yield sleep(10)
        return outer.expired, current_time()

    assert run(main()) == (True, 1)


# ====================================================== task groups

def test_a_failing_child_cancels_the_parents_body_at_its_next_blocking_trap():
    log = []

    def failing():
        yield sleep(1)
        raise ValueError("child failed")

    async def main():
        try:
            async with TaskGroup() as group:
                await group.spawn(failing())
                try:
                    await sleep(100)
                except Cancelled:
                    log.append("body cancelled at %g" % current_time())
                    raise
        except TaskGroupError as error:
            return [type(e).__name__ for e in error.errors]

    assert run(main()) == ["ValueError"]
    assert log == ["body cancelled at 1"]


def test_every_childs_error_is_kept_when_several_fail():
    def failing(seconds, kind):
        try:
            yield sleep(seconds)
        finally:
            raise kind("failed")

    async def main():
        async with TaskGroup() as group:
            await group.spawn(failing(1, KeyError))
            await group.spawn(failing(100, ValueError))     # fails in its cleanup

    with pytest.raises(TaskGroupError) as caught:
        run(main())
    assert [type(e) for e in caught.value.errors] == [KeyError, ValueError]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+ syntax")
def test_except_star_catches_a_childs_error_on_python_3_11():
    source = textwrap.dedent('''
        def failing():
            yield sleep(1)
            raise ValueError("child")

        async def main():
            messages = []
            try:
                async with TaskGroup() as group:
                    await group.spawn(failing())
                    await sleep(10)
            except* ValueError as caught:
                messages = [str(e) for e in caught.exceptions]
            return messages
    ''')
    namespace = {"sleep": sleep, "TaskGroup": TaskGroup}
    exec(compile(source, "<except-star>", "exec"), namespace)
    assert run(namespace["main"]()) == ["child"]
    assert issubclass(TaskGroupError, ExceptionGroup)  # noqa: F821 - 3.11+ builtin


def test_a_cancel_from_outside_while_the_groups_own_is_on_its_way_is_kept():
    """The group's cancellation of its body is its own (and it absorbs it);
    a cancel from outside that arrives meanwhile must not be merged into it
    and lost: it comes at the parent's next blocking trap after the group."""
    log = []

    def failing():
        yield sleep(1)
        raise ValueError("child failed")

    async def supervisor():
        try:
            async with TaskGroup() as group:
                await group.spawn(failing())
                async with disable_cancellation():
                    await sleep(3)          # both cancels arrive meanwhile
                await sleep(0)              # the group's own comes here
        except TaskGroupError:
            log.append("group failed")
        try:
            await sleep(10)                 # the one from outside comes here
        except Cancelled:
            log.append("cancelled at %g" % current_time())
            raise
        log.append("not cancelled")

    async def main():
        task = await spawn(supervisor())
        await sleep(2)                      # the child has failed
        await cancel(task, wait=False)
        await join(task)

    with pytest.raises(TaskError):
        run(main())
    assert log == ["group failed", "cancelled at 3"]


@pytest.mark.parametrize("how", ["deferring", "woken with an error"])
def test_the_groups_cancellation_of_its_body_does_not_outlive_the_group(how):
    """A child fails while the body cannot take the cancellation yet; the body
    then ends without another blocking trap.  The group raises the failure,
    and the parent's next blocking trap is not cancelled by a stale leftover."""
    def failing(seconds):
        yield sleep(seconds)
        raise ValueError("failed")

    async def main():
        try:
            async with TaskGroup() as group:
                await group.spawn(failing(1))
                if how == "deferring":
                    async with disable_cancellation():
                        await sleep(2)
                else:                       # the child and `other` fail in one turn
                    other = await spawn(failing(1))
                    with pytest.raises(TaskError):
                        await join(other)
        except TaskGroupError as error:
            caught = [str(e) for e in error.errors]
        await sleep(1)                      # must not raise
        return caught

    assert run(main()) == ["failed"]


def test_a_child_failing_with_a_base_exception_is_not_lost():
    """An exception group that is an Exception cannot hold a BaseException
    (Python 3.11+): the group raises a BaseExceptionGroup there, as asyncio
    does -- not a TypeError that hides the failure."""
    class Stop(BaseException):
        pass

    def failing():
        yield sleep(1)
        raise Stop("out")

    async def main():
        async with TaskGroup() as group:
            await group.spawn(failing())
            await group.spawn(nap(10))

    with pytest.raises(BaseException) as caught:
        run(main())
    error = caught.value
    assert [type(e) for e in error.errors] == [Stop]
    assert isinstance(error.__cause__, Stop)
    if sys.version_info >= (3, 11):
        assert type(error) is BaseExceptionGroup    # noqa: F821 - 3.11+ builtin
        assert [str(e) for e in error.exceptions] == ["out"]
    else:
        assert type(error) is TaskGroupError


def test_a_group_error_keeps_errors_on_every_python():
    error = TaskGroupError("two failed", [KeyError("a"), ValueError("b")])
    assert [type(e) for e in error.errors] == [KeyError, ValueError]
    assert isinstance(error, TaskError)


# ======================================================= contextvars

request_id = contextvars.ContextVar("request_id", default="unset")


def test_each_task_has_its_own_context_copied_from_its_parent():
    def child(name, seen):
        seen.append((name, "inherited", request_id.get()))
        request_id.set(name)
        yield sleep(1)
        seen.append((name, "kept", request_id.get()))

    def main():
        request_id.set("parent")
        seen = []
        a = yield spawn(child("a", seen))
        b = yield spawn(child("b", seen))
        yield join(a)
        yield join(b)
        seen.append(("parent", "after", request_id.get()))
        return seen

    assert run(main()) == [
        ("a", "inherited", "parent"), ("b", "inherited", "parent"),
        ("a", "kept", "a"), ("b", "kept", "b"), ("parent", "after", "parent")]


def test_run_leaves_the_callers_context_untouched():
    async def main():
        request_id.set("inside")
        return request_id.get()

    request_id.set("outside")
    assert run(main()) == "inside"
    assert request_id.get() == "outside"


def test_run_in_thread_runs_the_function_in_the_calling_tasks_context():
    def worker(name):
        request_id.set(name)
        return (yield run_in_thread(request_id.get))

    def main():
        a = yield spawn(worker("a"))
        b = yield spawn(worker("b"))
        return (yield join(a)), (yield join(b))

    assert trampoline.run(main()) == ("a", "b")


# ============================================== timeouts: the new API

def test_a_with_block_in_generator_code_finishes_in_time():
    def main():
        with timeout_after(5) as scope:
            yield sleep(1)
        return scope.expired, current_time()

    assert run(main()) == (False, 1)


def test_a_with_block_in_generator_code_times_out():
    def main():
        with pytest.raises(TaskTimeout, match="within 2 s"):
            with timeout_after(2):
                yield sleep(10)
        return current_time()

    assert run(main()) == 2


def test_an_async_with_block_times_out():
    async def main():
        with pytest.raises(TaskTimeout):
            async with timeout_after(2):
                await sleep(10)
        return current_time()

    assert run(main()) == 2


@pytest.mark.parametrize("style", ["generator", "async"])
def test_ignore_after_says_whether_it_expired(style):
    if style == "generator":
        def main():
            with ignore_after(1) as late:
                yield sleep(10)
            with ignore_after(10) as early:
                yield sleep(1)
            return late.expired, early.expired
    else:
        async def main():
            async with ignore_after(1) as late:
                await sleep(10)
            async with ignore_after(10) as early:
                await sleep(1)
            return late.expired, early.expired

    assert run(main()) == (True, False)


@pytest.mark.parametrize("style", ["generator", "async"])
def test_none_means_no_timeout(style):
    if style == "generator":
        def main():
            with timeout_after(None) as scope:
                yield sleep(3600)
            value = yield timeout_after(None, nap(1))
            other = yield ignore_after(None, nap(1), default="no")
            return scope.expired, value, other
    else:
        async def main():
            async with ignore_after(None) as scope:
                await sleep(3600)
            value = await timeout_after(None, nap(1))
            return scope.expired, value, None

    assert run(main()) == (False, None, None)


@pytest.mark.parametrize("style", ["generator", "async"])
def test_timeout_at_and_ignore_at_use_the_kernels_clock(style):
    if style == "generator":
        def main():
            deadline = current_time() + 5
            with ignore_at(deadline) as scope:
                yield sleep(10)
            with pytest.raises(TaskTimeout):
                yield timeout_at(current_time() + 1, nap(10))
            return scope.expired, current_time()
    else:
        async def main():
            async with ignore_at(current_time() + 5) as scope:
                await sleep(10)
            with pytest.raises(TaskTimeout):
                async with timeout_at(current_time() + 1):
                    await sleep(10)
            return scope.expired, current_time()

    assert run(main()) == (True, 6)


def test_a_timeout_block_outside_a_task_says_so():
    with pytest.raises(RuntimeError, match="inside a task"):
        with timeout_after(1):
            pass


def test_a_timeout_scope_is_used_once():
    def main():
        scope = timeout_after(1)
        with scope:
            yield sleep(0)
        with pytest.raises(RuntimeError, match="used"):
            with scope:
                pass

    run(main())


@pytest.mark.parametrize("bad, error", [("5", TypeError), (float("nan"), ValueError),
                                        (-1, ValueError), (True, TypeError)])
def test_a_bad_timeout_is_refused_where_it_is_made(bad, error):
    with pytest.raises(error):
        TimeoutScope(bad)


def test_current_time_outside_a_kernel_says_so():
    with pytest.raises(RuntimeError, match="running kernel"):
        current_time()


# ===================================================== RLock, Barrier

@pytest.mark.parametrize("style", ["generator", "async"])
def test_an_rlock_is_taken_again_by_its_holder_and_excludes_others(style):
    lock = RLock()
    log = []

    if style == "generator":
        def holder():
            with (yield lock.acquire()):
                with (yield lock.acquire()):
                    log.append("holder twice")
                    yield sleep(1)
                log.append(("still held", lock.locked()))
                yield sleep(1)
    else:
        async def holder():
            async with lock:
                async with lock:
                    log.append("holder twice")
                    await sleep(1)
                log.append(("still held", lock.locked()))
                await sleep(1)

    def other():
        yield lock.acquire()
        log.append("other at %g" % current_time())
        lock.release()

    def main():
        first = yield spawn(holder())
        yield sleep(0)
        second = yield spawn(other())
        yield join(first)
        yield join(second)

    run(main())
    assert log == ["holder twice", ("still held", True), "other at 2"]


def test_an_rlock_released_by_another_task_raises():
    lock = RLock()

    def main():
        yield lock.acquire()
        errors = []

        def thief():
            try:
                lock.release()
            except RuntimeError as exc:
                errors.append(str(exc))
            yield sleep(0)

        yield join((yield spawn(thief())))
        lock.release()
        return errors, lock.locked()

    errors, locked = run(main())
    assert "does not hold it" in errors[0] and locked is False


def test_a_barrier_releases_its_parties_together_each_with_its_own_index():
    barrier = Barrier(3)
    log = []

    def party(delay):
        yield sleep(delay)
        index = yield barrier.wait()
        log.append((index, current_time()))

    async def async_party():
        async with barrier as index:
            log.append((index, current_time()))

    def main():
        tasks = [(yield spawn(party(1))), (yield spawn(party(2))), (yield spawn(async_party()))]
        for task in tasks:
            yield join(task)

    run(main())
    assert sorted(log) == [(0, 2), (1, 2), (2, 2)]


def test_a_barrier_aborted_or_reset_breaks_its_waiters():
    def waiter(barrier):
        try:
            yield barrier.wait()
        except BrokenBarrierError:
            return "broken"

    def main():
        aborted = Barrier(2)
        task = yield spawn(waiter(aborted))
        yield sleep(1)
        aborted.abort()
        first = yield join(task)
        with pytest.raises(BrokenBarrierError):
            yield aborted.wait()
        reset = Barrier(2)
        task = yield spawn(waiter(reset))
        yield sleep(1)
        reset.reset()
        second = yield join(task)
        return first, second, reset.broken, reset.n_waiting

    assert run(main()) == ("broken", "broken", False, 0)


def test_a_task_cancelled_at_a_barrier_leaves_the_round():
    barrier = Barrier(2)

    def main():
        task = yield spawn(barrier.wait())
        yield sleep(1)
        yield cancel(task)
        assert barrier.n_waiting == 0
        other = yield spawn(barrier.wait())
        index = yield barrier.wait()
        return index, (yield join(other))

    assert run(main()) == (0, 1)


def test_a_barrier_round_after_a_cancelled_waiter_gives_each_party_its_own_index():
    """A task cancelled at a barrier leaves the round; the indices of that
    round are still 0 .. parties-1, each once -- "if index == 0:" runs in
    exactly one task (asyncio numbers by the count at arrival, giving two
    parties the same index and none 0)."""
    barrier = Barrier(4)

    def main():
        first = yield spawn(barrier.wait())
        yield sleep(1)
        second = yield spawn(barrier.wait())
        yield sleep(1)
        third = yield spawn(barrier.wait())
        yield sleep(1)
        yield cancel(second)            # it arrived second, with index 1
        fourth = yield spawn(barrier.wait())
        yield sleep(1)
        last = yield barrier.wait()
        return (yield join(first)), (yield join(third)), (yield join(fourth)), last

    assert run(main()) == (0, 1, 2, 3)


def test_a_barrier_reset_or_aborted_then_reset_is_used_again_by_the_same_tasks():
    """asyncio's test_reset_barrier_while_tasks_waiting_and_waiting_again
    and test_abort_barrier_when_exception_then_resetting: the waiters that
    a reset broke wait again and, with one newcomer, make a full round; an
    aborted barrier refuses every wait until reset() makes it whole."""
    barrier = Barrier(3)
    log = []

    def party(name):
        try:
            yield barrier.wait()
        except BrokenBarrierError:
            log.append(name + " broken")
        log.append((name, (yield barrier.wait())))

    def main():
        a = yield spawn(party("a"))
        b = yield spawn(party("b"))
        yield sleep(1)
        barrier.reset()
        yield sleep(1)
        assert barrier.n_waiting == 2 and not barrier.broken
        log.append(("c", (yield barrier.wait())))
        yield join(a)
        yield join(b)
        barrier.abort()
        with pytest.raises(BrokenBarrierError):
            yield barrier.wait()
        barrier.reset()
        others = [(yield spawn(barrier.wait())), (yield spawn(barrier.wait()))]
        last = yield barrier.wait()
        return sorted([(yield join(others[0])), (yield join(others[1])), last])

    assert run(main()) == [0, 1, 2]
    assert log == ["a broken", "b broken", ("c", 2), ("a", 0), ("b", 1)]


# ==================================================== Queue.shutdown

@pytest.mark.parametrize("style", ["generator", "async"])
def test_shutdown_wakes_waiting_getters_and_putters_with_queue_shut_down(style):
    def waiting(coro):
        try:
            yield coro
        except QueueShutDown as exc:
            return str(exc)

    async def async_get(queue):
        try:
            await queue.get()
        except QueueShutDown as exc:
            return str(exc)

    def main():
        empty, full = Queue(), Queue(maxsize=1)
        full.put_nowait("x")
        getter = yield spawn(async_get(empty) if style == "async" else waiting(empty.get()))
        putter = yield spawn(waiting(full.put("y")))
        yield sleep(1)
        empty.shutdown()
        full.shutdown()
        return (yield join(getter)), (yield join(putter)), full.qsize()

    got, put, left = run(main())
    assert "shut down while get() waited" in got
    assert "shut down while put() waited" in put
    assert left == 1


def test_after_shutdown_get_drains_what_is_left_then_raises():
    def main():
        queue = Queue()
        queue.put_nowait(1)
        queue.put_nowait(2)
        queue.shutdown()
        with pytest.raises(QueueShutDown):
            yield queue.put(3)
        with pytest.raises(QueueShutDown):
            queue.put_nowait(3)
        items = [(yield queue.get()), queue.get_nowait()]
        with pytest.raises(QueueShutDown):
            yield queue.get()
        with pytest.raises(QueueShutDown):
            queue.get_nowait()
        return items

    assert run(main()) == [1, 2]


def test_an_immediate_shutdown_drops_what_is_left_and_unblocks_join():
    def main():
        queue = Queue()
        for item in range(3):
            queue.put_nowait(item)
        joiner = yield spawn(queue.join())
        yield sleep(1)
        queue.shutdown(immediate=True)
        yield join(joiner)
        with pytest.raises(QueueShutDown):
            yield queue.get()
        return queue.qsize()

    assert run(main()) == 0


def test_an_immediate_shutdown_after_an_early_task_done_still_shuts_down():
    """asyncio 3.13's rule: the dropped items count as done, but never below
    zero -- a task_done() that came early is no reason to fail half shut."""
    def main():
        queue = Queue(maxsize=1)
        yield queue.put("a")
        queue.task_done()               # early: "a" is still queued
        putter = yield spawn(queue.put("b"))
        yield sleep(1)                  # it waits: the queue is full
        queue.shutdown(immediate=True)
        with pytest.raises(TaskError) as caught:
            yield join(putter)
        assert isinstance(caught.value.__cause__, QueueShutDown)
        yield queue.join()              # nothing unfinished: at once
        return queue.qsize()

    assert run(main()) == 0


# ============================================= disable_cancellation

@pytest.mark.parametrize("style", ["generator", "async"])
def test_a_cancel_during_disable_cancellation_comes_at_the_first_blocking_trap_after(style):
    log = []

    if style == "generator":
        def worker():
            with disable_cancellation():
                yield sleep(5)
                log.append("block finished")
            try:
                yield sleep(0)
            except Cancelled:
                log.append("cancelled after")
                raise
    else:
        async def worker():
            async with disable_cancellation():
                await sleep(5)
                log.append("block finished")
            try:
                await sleep(0)
            except Cancelled:
                log.append("cancelled after")
                raise

    def main():
        task = yield spawn(worker())
        yield sleep(1)
        yield cancel(task)
        return task.cancelled, current_time()

    assert run(main()) == (True, 5)
    assert log == ["block finished", "cancelled after"]


def test_cancel_refuses_an_exception_that_is_not_a_cancellation():
    def main():
        task = yield spawn(nap(1))
        with pytest.raises(TypeError, match="Cancelled"):
            cancel(task, exception=ValueError("no"))
        yield cancel(task, exception=Cancelled("mine"))
        return str(task.exception)

    assert run(main()) == "mine"


def test_a_call_inside_a_timeout_block_in_async_code():
    async def main():
        async with timeout_after(1) as scope:
            await call(nap(0.5))
        return scope.expired

    assert run(main()) is False


# ======================================== the kernel's rarer paths

def test_a_task_that_cancels_itself_and_never_blocks_is_cancelled_within_a_budget():
    from trampoline import current
    from trampoline.kernel import BUDGET

    def spinner(count):
        me = yield current()
        yield cancel(me, wait=False)    # at its next blocking trap -- or budget's end
        while True:
            count.append(1)
            yield current()

    def main():
        count = []
        task = yield spawn(spinner(count))
        try:
            yield join(task)
        except TaskError:
            pass
        return task.cancelled, len(count)

    cancelled, traps = run(main())
    assert cancelled and traps <= BUDGET


def test_a_subroutine_call_dropped_by_a_cancellation_is_closed_not_left_to_warn():
    import gc
    import warnings

    async def instant():
        return "done"

    def spinner():
        while True:
            yield instant()             # every trap is a coroutine called as a subroutine

    def main():
        task = yield spawn(spinner())
        yield sleep(0)                  # it spins a budget, then waits at a call
        yield cancel(task)
        return task.cancelled

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run(main()) is True
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_raw_alarm_traps_fire_until_cleared_and_clearing_twice_is_harmless():
    from trampoline.traps import clear_alarm, set_alarm

    class Alarm(Cancelled):
        pass

    def main():
        alarm = yield set_alarm(1, Alarm("ring"))
        fired = []
        for _ in range(2):
            try:
                yield sleep(5)
            except Alarm:
                fired.append(current_time())    # level-triggered: again at once
        first = yield clear_alarm(alarm)
        second = yield clear_alarm(alarm)
        yield sleep(1)                  # cleared: nothing more arrives
        unfired = yield set_alarm(10, Alarm("never"))
        return fired, first, second, (yield clear_alarm(unfired))

    assert run(main()) == ([1, 1], False, False, True)


def test_disable_cancellation_outside_a_task_says_so():
    """It said "disable_cancellation() is used inside a task" -- read where
    it shows up most (a dropped task's generator closed by the garbage
    collector after its kernel was closed), the wrong way round."""
    with pytest.raises(RuntimeError, match=r"works only in a running task, and no task runs "
                                           r"here \(a task's generator closed after its kernel"):
        with disable_cancellation():
            pass


def test_a_plain_with_on_an_rlock_not_held_says_how_to_acquire_it():
    def main():
        lock = RLock()
        with pytest.raises(RuntimeError, match="yield rlock.acquire"):
            with lock:
                pass
        yield lock.acquire()
        text = repr(lock)
        lock.release()
        return text, repr(lock)

    held, free = run(main())
    assert "held 1 time(s)" in held and "unlocked" in free
