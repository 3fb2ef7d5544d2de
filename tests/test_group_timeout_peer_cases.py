"""The peers' own test cases for task groups and timeouts, translated.

Each test names the case it comes from: curio's ``tests/test_task.py`` and
``tests/test_kernel.py``, trio's ``_core/_tests/test_run.py`` and
``_tests/test_timeouts.py``, CPython's ``test_asyncio/test_taskgroups.py``
and ``test_timeouts.py``.  Only cases with an equivalent in our API are
here (no ``wait=any``, daemon children or ``add_task``: we have none);
where our documented rule differs from a peer's, the test checks ours and
says so.  Virtual time throughout: no test sleeps for real.
"""

import math
import sys
from contextlib import ExitStack

import pytest

import trampoline
from trampoline import (Cancelled, Event, TaskError, TaskGroup, TaskGroupError, TaskTimeout,
                        TimeoutCancelled, TimeoutScope, VirtualClock, cancel, current, current_time,
                        disable_cancellation, ignore_after, ignore_at, join, shield, sleep,
                        spawn, timeout_after, timeout_at)
from task_helpers import parked, until

clock = None                        # this test's VirtualClock


@pytest.fixture(autouse=True)
def virtual_clock():
    global clock
    clock = VirtualClock()
    yield clock
    clock = None


def run(coro):
    return trampoline.run(coro, clock=clock)


def add(x, y, seconds=0):
    if seconds:
        yield sleep(seconds)
    return x + y
    yield                               # pragma: no cover (a generator)


def waits_for(ev, log=None, name=None):
    try:
        yield ev.wait()
    except Cancelled:
        if log is not None:
            log.append(name)
        raise


def crash_after(seconds, exc):
    yield sleep(seconds)
    raise exc


# ================================================================ curio: test_task.py

def test_curio_task_group_results_in_spawn_order():
    """curio test_task_group: ``g.results == [2, 4, 6]`` after the block."""
    async def main():
        async with TaskGroup() as g:
            t1 = await g.spawn(add(1, 1))
            t2 = await g.spawn(add(2, 2, seconds=1))
            t3 = await g.spawn(add(3, 3))
        assert (t1.result, t2.result, t3.result) == (2, 4, 6)
        return await g.join()          # joining a finished group again: its results
    assert run(main()) == [2, 4, 6]


def test_curio_task_group_iter_with_next_done():
    """curio test_task_group_iter (``async for task in g``): next_done in
    the order the children finish, then None."""
    def main():
        g = TaskGroup()
        for n, seconds in ((1, 3), (2, 1), (3, 2)):
            yield g.spawn(add(n, n, seconds))
        order = []
        while True:
            task = yield g.next_done()
            if task is None:
                break
            order.append(task.result)
        assert (yield g.join()) == [2, 4, 6]
        return order
    assert run(main()) == [4, 6, 2]


def test_curio_task_group_error_cancels_the_others():
    """curio test_task_group_error: a child's TypeError cancels its
    siblings; the group raises it."""
    async def main():
        ev = Event()
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as g:
                t1 = await g.spawn(waits_for(ev))
                t2 = await g.spawn(waits_for(ev))
                t3 = await g.spawn(add(3, "bad"))
        assert [type(e) for e in info.value.errors] == [TypeError]
        assert isinstance(t3.exception, TypeError)
        assert t1.cancelled and t2.cancelled
    run(main())


def test_curio_task_group_error_block_cancels_every_child():
    """curio test_task_group_error_block: the body raises; every child is
    cancelled and the body's error goes on as it is."""
    async def main():
        ev = Event()
        with pytest.raises(RuntimeError):
            async with TaskGroup() as g:
                tasks = [await g.spawn(waits_for(ev)) for _ in range(3)]
                raise RuntimeError()
        assert all(t.cancelled for t in tasks)
    run(main())


def test_curio_a_child_joined_in_the_body_still_fails_the_group():
    """curio test_task_group_join: curio lets the body ``join`` a failed
    child and so take its error, and the siblings run on.  Ours (trio's and
    asyncio's rule): a failure cancels the rest whoever joins it; the body's
    join raises TaskError, and the group still raises the failure."""
    async def main():
        ev = Event()
        log = []
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as g:
                t1 = await g.spawn(add(1, "foo", seconds=1))
                t2 = await g.spawn(waits_for(ev, log, "t2"))
                with pytest.raises(TaskError) as joined:
                    await join(t1)
                assert isinstance(joined.value.__cause__, TypeError)
                await sleep(1)              # the group's cancel comes here
        assert [type(e) for e in info.value.errors] == [TypeError]
        assert t2.cancelled and log == ["t2"]
    run(main())


def test_curio_task_group_cancelled_from_outside_cancels_every_child():
    """curio test_task_group_cancel: the parent, cancelled in the group's
    block, cancels each child, and the cancellation goes on."""
    ev, started = Event(), Event()
    log = []

    async def coro():
        async with TaskGroup() as g:
            for name in "abc":
                await g.spawn(waits_for(ev, log, name))
            started.set()
            await sleep(100)

    async def main():
        task = await spawn(coro())
        await started.wait()
        await cancel(task)
        assert task.cancelled
        return sorted(log)
    assert run(main()) == ["a", "b", "c"]


def test_curio_task_group_inside_a_timeout():
    """curio test_task_group_timeout: children parked for ever; the timeout
    around the group cancels them all, and the block raises TaskTimeout."""
    log = []

    async def main():
        ev = Event()
        with pytest.raises(TaskTimeout):
            async with timeout_after(0.25):
                try:
                    async with TaskGroup() as g:
                        for name in "abc":
                            await g.spawn(waits_for(ev, log, name))
                except Cancelled:
                    assert all(t.cancelled for t in g.tasks)
                    raise
        return current_time()
    assert run(main()) == 0.25
    assert sorted(log) == ["a", "b", "c"]


def test_curio_cancel_remaining_after_next_done():
    """curio test_task_group_cancel_remaining: take two finished children,
    cancel the rest; they are cancelled, not failures."""
    async def main():
        ev = Event()
        async with TaskGroup() as g:
            t0 = await g.spawn(add(1, 1))
            await g.spawn(add(2, 2, seconds=1))
            t2 = await g.spawn(waits_for(ev))
            t3 = await g.spawn(waits_for(ev))
            assert (await g.next_done()) is t0
            assert (await g.next_done()).result == 4
            await g.cancel_remaining()
        assert t2.cancelled and t3.cancelled
        return await g.join()
    assert run(main()) == [2, 4, None, None]


def test_curio_spawn_into_a_finished_group_is_refused():
    """curio test_task_group_use_error: spawning after the block ended is a
    RuntimeError naming the group, and the coroutine is closed."""
    async def main():
        async with TaskGroup() as g:
            await g.spawn(sleep(0))
        work = add(1, 1)
        with pytest.raises(RuntimeError, match="finished"):
            await g.spawn(work)
        assert work.gi_frame is None    # closed, never run
    run(main())


def test_curio_an_empty_group():
    """curio test_task_group_empty / test_taskgroup_misc: an empty group
    joins at once, and cancel_remaining on it does nothing."""
    async def main():
        async with TaskGroup() as g:
            pass
        assert await g.join() == []
        g = TaskGroup()
        await g.cancel_remaining()
        g = TaskGroup()
        await g.spawn(sleep(0))
        await g.cancel_remaining()
        return await g.join()
    assert run(main()) == [None]


def test_curio_a_child_joined_in_the_body_keeps_its_result_in_join():
    """curio test_task_group_join_done: a child joined in the body still
    gives its result in the group's results (curio drops it from
    ``results``; ours keeps every child, in spawn order)."""
    async def main():
        async with TaskGroup() as g:
            await g.spawn(add(1, 1))
            await g.spawn(add(2, 2))
            t3 = await g.spawn(add(3, 3))
            assert await join(t3) == 6
        return await g.join()
    assert run(main()) == [2, 4, 6]


def test_curio_each_child_has_its_own_context():
    """curio test_contextvars: two children counting down in one variable
    interleave without seeing each other's values."""
    import contextvars
    x = contextvars.ContextVar("x", default=0)
    events = []

    async def countdown(n):
        x.set(n)
        while x.get() > 0:
            events.append(x.get())
            x.set(x.get() - 1)
            await sleep(0)

    async def main():
        async with TaskGroup() as g:
            await g.spawn(countdown(3))
            await g.spawn(countdown(6))
    run(main())
    assert events == [3, 6, 2, 5, 1, 4, 3, 2, 1]


def test_curio_a_task_that_cancels_itself_gets_it_at_its_next_block():
    """curio test_self_cancellation."""
    def main():
        me = yield current()
        yield cancel(me, wait=False)
        with pytest.raises(Cancelled):
            yield sleep(0)
    run(main())


def test_curio_disable_cancellation_defers_to_the_next_blocking_trap():
    """curio test_defer_cancellation: a cancel arriving inside
    disable_cancellation comes at the first blocking trap after it."""
    e1, e2 = Event(), Event()
    log = []

    def cancel_me():
        with disable_cancellation():
            e1.set()
            yield e2.wait()
            log.append("block done")
        try:
            yield sleep(0)
        except Cancelled:
            log.append("cancelled after")
            raise

    def main():
        task = yield spawn(cancel_me())
        yield e1.wait()
        yield cancel(task, wait=False)
        e2.set()
        with pytest.raises(TaskError):
            yield join(task)
        return task.cancelled
    assert run(main()) is True
    assert log == ["block done", "cancelled after"]


# ================================================================ curio: test_kernel.py

def test_curio_sleep_timeout_and_ignore():
    """curio test_sleep_timeout / test_sleep_ignore_timeout /
    test_sleep_notimeout."""
    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.1, sleep(1))
        assert (yield ignore_after(0.1, sleep(1))) is None
        with ignore_after(0.1) as scope:
            yield sleep(1)
        assert scope.expired
        assert (yield timeout_after(0.5, add(1, 2, seconds=0.1))) == 3
        yield sleep(0.5)                # the cleared alarm does not go off later
        return current_time()
    assert run(main()) == pytest.approx(0.1 + 0.1 + 0.1 + 0.1 + 0.5)


@pytest.mark.parametrize("form", ["call", "block"])
def test_curio_nested_timeout_the_outer_expires_first(form):
    """curio test_nested_timeout / test_nested_context_timeout: the inner
    scope (5 s) does not catch the outer's (0.75 s) cancellation -- curio's
    TimeoutCancellationError, our outer TimeoutCancelled -- and the outer
    scope raises TaskTimeout."""
    results = []

    def coro(name):
        results.append(name + " start")
        yield sleep(1)
        results.append(name + " done")

    def child():
        try:
            if form == "call":
                yield timeout_after(5, coro("coro1"))
            else:
                with timeout_after(5):
                    yield coro("coro1")
            results.append("coro1 success")
        except TaskTimeout:
            results.append("coro1 timeout")
        except TimeoutCancelled:
            results.append("coro1 timeout cancel")
            raise
        yield coro("coro2")
        results.append("coro2 success")

    def parent():
        try:
            yield timeout_after(0.75, child())
        except TaskTimeout:
            results.append("parent timeout")
    run(parent())
    assert results == ["coro1 start", "coro1 timeout cancel", "parent timeout"]


def test_curio_three_nested_scopes_the_outermost_fires():
    """curio test_nested_context_timeout2/3: only the outermost (0.1 s)
    expires; each inner scope sees its cancellation pass, and the outermost
    raises TaskTimeout."""
    seen = []

    def coro1():
        try:
            with timeout_after(10):
                yield sleep(5)
        except Cancelled as e:
            seen.append(type(e))
            raise

    def coro2():
        try:
            yield timeout_after(15, coro1())
        except Cancelled as e:
            seen.append(type(e))
            raise

    def parent():
        with pytest.raises(TaskTimeout):
            with timeout_after(0.1):
                yield coro2()
    run(parent())
    assert seen == [TimeoutCancelled, TimeoutCancelled]


def test_curio_nested_timeout_uncaught_passes_through():
    """curio test_nested_timeout_uncaught: an inner TaskTimeout left
    uncaught passes the outer scope (not expired) unchanged (curio makes it
    an UncaughtTimeoutError; ours, as asyncio and trio, leaves it)."""
    def child():
        yield timeout_after(1, sleep(5))

    def parent():
        with pytest.raises(TaskTimeout) as info:
            yield timeout_after(10, child())
        return str(info.value)
    assert "within 1 s" in run(parent())


def test_curio_nested_timeout_none_inside_a_deadline():
    """curio test_nested_timeout_none: timeout_after(None) inside a 1 s
    deadline is no shelter: the outer deadline ends it."""
    results = []

    def coro1():
        results.append("coro1 start")
        yield sleep(2)
        results.append("coro1 done")

    def child():
        yield timeout_after(None, coro1())
        results.append("coro1 success")

    def parent():
        try:
            yield timeout_after(1, child())
        except TaskTimeout:
            results.append("parent timeout")
    run(parent())
    assert results == ["coro1 start", "parent timeout"]


def test_curio_a_cancel_during_a_timeout_is_a_cancel():
    """curio test_task_cancel_timeout: cancelled at 0.5 s, its cleanup
    sleeping past the 1 s deadline; the task ends cancelled, no timeout."""
    results = []

    def coro():
        try:
            yield sleep(5)
        except Cancelled:
            results.append("cancelled")
            with disable_cancellation():
                yield sleep(1)
            results.append("done cancel")
            raise

    def child():
        results.append("child")
        try:
            with timeout_after(1):
                yield coro()
        except TaskTimeout:
            results.append("timeout")

    def main():
        task = yield spawn(child())
        yield sleep(0.5)
        yield cancel(task)
        return task.cancelled
    assert run(main()) is True
    assert results == ["child", "cancelled", "done cancel"]


def test_curio_timeout_badness_a_block_that_never_blocks_ends_normally():
    """curio test_timeout_badness: the deadline passes while the block
    runs without a blocking trap (a long computation); nothing could be
    cancelled, so the block ends normally -- and nothing comes later."""
    def main():
        with timeout_after(0.1) as scope:
            clock.advance(0.2)          # time.sleep(0.2): the kernel never looks
        assert not scope.expired
        yield sleep(1)                  # no stray cancellation afterwards
        return "made it"
    assert run(main()) == "made it"


# ================================================================ trio: test_timeouts.py

def test_trio_move_on_at_now_cancels_even_sleep_zero():
    """trio test_sleep: ``with move_on_at(current_time()): await sleep(0)``
    raises Cancelled inside; the scope absorbs it."""
    def main():
        with ignore_at(current_time()) as scope:
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)
        assert scope.expired
        with timeout_at(current_time() + 100):
            yield sleep(0)
        with timeout_after(100):
            yield sleep(0)
        return current_time()
    assert run(main()) == 0


@pytest.mark.parametrize("make, value, error, words", [
    (timeout_after, -1, ValueError, "-1"),
    (ignore_after, -0.5, ValueError, "-0.5"),
    (timeout_after, math.nan, ValueError, "NaN"),
    (ignore_after, math.nan, ValueError, "NaN"),
    (timeout_at, math.nan, ValueError, "NaN"),
    (ignore_at, math.nan, ValueError, "NaN"),
    (timeout_after, "5", TypeError, "'5'"),
    (timeout_at, "5", TypeError, "'5'"),
    (timeout_after, True, TypeError, "True"),
    (ignore_at, [1], TypeError, r"\[1\]"),
    pytest.param(timeout_after, 10 ** 400, ValueError, "a float can hold.*1329 bits",
                 id="timeout_after-huge"),
    pytest.param(ignore_after, 10 ** 400, ValueError, "a float can hold.*1329 bits",
                 id="ignore_after-huge"),
    pytest.param(timeout_at, 10 ** 400, ValueError, "a float can hold.*1329 bits",
                 id="timeout_at-huge"),
    pytest.param(ignore_at, -10 ** 400, ValueError, "a float can hold.*1329 bits",
                 id="ignore_at-huge"),
])
def test_trio_bad_timeouts_are_refused_naming_the_value(make, value, error, words):
    """trio test_timeouts_raise_value_error: a negative delay and NaN
    anywhere are ValueErrors (asyncio takes a negative delay as "already
    past"; ours, as trio, refuses it); a non-number a TypeError.  Each names
    the value, raised at the call, before any block or work runs."""
    with pytest.raises(error, match=words):
        make(value)
    work = add(1, 1)
    with pytest.raises(error, match=words):
        make(value, work)


@pytest.mark.parametrize("value, error", [(-1, ValueError), (math.nan, ValueError),
                                          ("1", TypeError)])
def test_trio_bad_sleeps_are_refused_naming_the_value(value, error):
    """trio test_timeouts_raise_value_error: sleep(-1), sleep(nan)."""
    with pytest.raises(error, match="nan|-1|'1'"):
        sleep(value)


@pytest.mark.parametrize("make", [timeout_after, ignore_after, timeout_at, ignore_at])
def test_curio_style_work_given_as_a_function_is_refused_at_the_call(make):
    """curio's ``timeout_after(1, func, *args)`` calls ``func``; ours takes
    the coroutine: a function (or a number) is a TypeError naming it, at
    the line that made the timeout -- not "task 1 yielded the function ..."
    from inside timeouts.py once the task ran it."""
    with pytest.raises(TypeError, match=r"%s\(\) needs a generator, coroutine or trap, got "
                       r"the function add itself; call it" % make.__name__):
        make(1, add)
    with pytest.raises(TypeError, match=r"%s\(\) .* got int 42" % make.__name__):
        make(1, 42)

    def main():
        task = yield spawn(sleep(1))
        with pytest.raises(TypeError, match="got the task .*join"):
            make(2, task)
        return (yield make(2, join(task)))
    assert run(main()) is None


def test_a_deadline_too_large_for_a_float_is_refused_when_moved_too():
    """The deadline setter checks as the constructors do (it was an
    OverflowError naming nothing when the block began or timed out)."""
    def main():
        with ignore_after(1) as scope:
            with pytest.raises(ValueError, match="deadline.*a float can hold"):
                scope.deadline = 10 ** 400
            yield sleep(2)
        return scope.expired, scope.deadline
    assert run(main()) == (True, 1)


def test_a_sleep_too_large_for_a_float_is_refused_naming_it():
    """sleep(10 ** 400) raised OverflowError ("int too large to convert to
    float") at the yield, naming nothing; inf still sleeps for ever."""
    def main():
        with pytest.raises(ValueError, match="sleep.. needs seconds a float can hold, got an "
                                             "int of 1329 bits"):
            yield sleep(10 ** 400)
        return (yield ignore_after(1, sleep(math.inf)))
    assert run(main()) is None


def test_trio_a_scope_given_both_seconds_and_a_deadline_is_refused():
    """trio test_cancel_scope_validation ("Cannot specify both a deadline
    and a relative deadline"): TimeoutScope(5, deadline=1) took the
    seconds and dropped the deadline without a word."""
    with pytest.raises(ValueError, match="not both.*seconds=5, deadline=1"):
        TimeoutScope(5, deadline=1)
    assert TimeoutScope(None, deadline=1).deadline == 1
    assert TimeoutScope(5, deadline=None).deadline is None     # (set at entry)


def test_trio_a_relative_deadline_counts_from_entry():
    """trio test_timeout_deadline_on_entry: a scope made, then entered 3 s
    later, has its deadline 5 s after the entry; moved, it is the new one."""
    def main():
        scope = timeout_after(5)
        yield sleep(3)
        start = current_time()
        with scope:
            assert scope.deadline == start + 5
            scope.deadline = start + 3
            assert scope.deadline == start + 3
        return start
    assert run(main()) == 3


# ================================================================ trio: test_run.py

def test_trio_basic_timeout():
    """trio test_basic_timeout: a deadline set inside, left in time, never
    fires later; one that passes ends the block (expired); one moved to an
    earlier time already past fires at every following trap."""
    def main():
        start = current_time()
        with ignore_at(None) as scope:
            assert scope.deadline is None
            scope.deadline = start + 1
            assert scope.deadline == start + 1
        clock.advance(2)
        for _ in range(3):
            yield sleep(0)
        assert not scope.expired

        start = current_time()
        with ignore_at(start + 1) as scope:
            clock.advance(2)
            yield Event().wait()
        assert scope.expired

        start = current_time()
        with ignore_at(None) as scope:
            yield sleep(0)
            scope.deadline = start + 10
            yield sleep(0)
            clock.advance(5)
            yield sleep(0)
            scope.deadline = start + 1
            for _ in range(2):
                with pytest.raises(TimeoutCancelled):
                    yield sleep(0)
        assert scope.expired
    run(main())


def test_trio_yield_briefly_checks_for_timeout():
    """trio test_yield_briefly_checks_for_timeout: past the deadline, even
    ``sleep(0)`` raises."""
    def main():
        with ignore_after(5) as scope:
            yield sleep(0)
            clock.advance(10)
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)
        return scope.expired
    assert run(main()) is True


def test_trio_two_scopes_going_off_at_once_the_outer_wins():
    """trio test_cancel_scope_nesting: scope3 and scope2 both cancelled;
    the outer (scope2) catches it, scope1 sees nothing."""
    def main():
        with ignore_after(100) as scope1:
            with ignore_after(100) as scope2:
                with ignore_after(100) as scope3:
                    now = current_time()
                    scope3.deadline = now
                    scope2.deadline = now
                    yield Event().wait()
                raise AssertionError("scope3 caught the outer's cancellation")
        return scope1.expired, scope2.expired
    assert run(main()) == (False, True)


def test_trio_an_outer_scope_rescheduled_after_the_inner_entered_still_wins():
    """trio test_cancel_scope_nesting, with the outer's deadline moved
    after the inner was entered (asyncio's reschedule): when both pass in
    the same turn, the outer still wins."""
    def main():
        with ignore_after(100) as outer:
            with ignore_after(1):
                outer.deadline = current_time() + 1
                clock.advance(2)
                yield Event().wait()
            raise AssertionError("the inner scope caught the outer's cancellation")
        return outer.expired
    assert run(main()) is True


def test_trio_a_pending_scope_popped_off_is_not_delivered():
    """trio test_cancel_scope_nesting (last case): a scope that goes off
    while the task defers cancellation, and ends before it blocks again,
    delivers nothing afterwards."""
    def main():
        with ignore_after(1) as scope:
            with disable_cancellation():
                yield sleep(2)
        yield sleep(0)
        yield sleep(1)
        return scope.expired
    assert run(main()) is False


def test_trio_a_deadline_set_in_the_past_before_entry_cancels_the_block():
    """trio test_cancel_unbound ("cancel before entry"): a scope whose
    deadline is already past when it is entered interrupts the first
    blocking trap."""
    def worker(scope):
        with scope:
            yield Event().wait()

    def main():
        scope = ignore_at(100)
        scope.deadline = current_time() - 1
        task = yield spawn(worker(scope))
        yield join(task)
        return scope.expired
    assert run(main()) is True


def test_trio_a_deadline_moved_from_another_task_cancels_a_waiting_block():
    """trio test_cancel_unbound ("cancel after entry"), from another task."""
    def worker(scope):
        with scope:
            yield Event().wait()

    def main():
        scope = ignore_after(None)
        task = yield spawn(worker(scope))
        yield parked(task)
        scope.deadline = current_time()
        yield join(task)
        return scope.expired
    assert run(main()) is True


def test_trio_a_scope_cannot_be_reused_reentered_or_shared():
    """trio test_cancel_unbound: "can't reuse", "can't reenter", "can't
    enter from multiple tasks" -- a RuntimeError each (asyncio's
    test_timeout_already_entered / test_timeout_double_enter too)."""
    def other(scope):
        with pytest.raises(RuntimeError, match="used"):
            with scope:
                pass                        # pragma: no cover
        yield sleep(0)

    def main():
        with timeout_after(1) as scope:
            yield sleep(0)
        with pytest.raises(RuntimeError, match="used"):
            with scope:
                pass                        # pragma: no cover
        with timeout_after(1) as scope:
            with pytest.raises(RuntimeError, match="used"):
                with scope:
                    pass                    # pragma: no cover
            task = yield spawn(other(scope))
            yield join(task)
    run(main())


def test_trio_very_deep_nesting():
    """trio test_very_deep_cancel_scope_nesting: 5000 nested scopes, the
    outermost goes off; it alone reports it."""
    def main():
        with ExitStack() as stack:
            outermost = stack.enter_context(ignore_after(1))
            inner = [stack.enter_context(ignore_after(1000 + i)) for i in range(5000)]
            yield sleep(10)
        return outermost.expired, any(s.expired for s in inner), current_time()
    assert run(main()) == (True, False, 1)


def test_trio_a_deadline_moved_many_times_leaves_no_timers_behind():
    """trio test_cancel_scope_deadline_duplicates: a deadline moved
    thousands of times, then met, leaves the kernel with no timer of it."""
    def main():
        kernel = yield trampoline.traps.current_kernel()
        now = current_time()
        with timeout_after(None) as scope:
            for _ in range(2000):
                scope.deadline = now + 9998
                scope.deadline = now + 9999
            yield sleep(0.01)
        return len(kernel._timers)
    assert run(main()) < 100


def test_trio_a_shield_lets_work_finish_inside_an_expired_scope():
    """trio test_cancel_shielding / test_context_shields_from_outer (our
    shield is a call, not a scope): the work under shield runs to its end
    though the scope around expired, and, as in trio, the code after the
    shielded work runs on to its next blocking trap: a block that ends
    there returns as finished (trio: not cancelled_caught)."""
    log = []

    def work():
        yield sleep(2)
        log.append("work done")
        return 42

    def main():
        with timeout_after(1) as scope:
            log.append((yield shield(work())))
        with pytest.raises(TaskTimeout):
            with timeout_after(1):
                log.append((yield shield(work())))
                yield sleep(0)
                log.append("not timed out")     # pragma: no cover - must not run
        return current_time(), scope.expired
    assert run(main()) == (4, False)
    assert log == ["work done", 42, "work done", 42]


# ================================================================ asyncio: test_timeouts.py

def test_asyncio_timeout_basic_and_when():
    """asyncio test_timeout_basic / test_timeout_at_basic / test_timeout_not_called
    / test_timeout_disabled: expired and deadline (asyncio's when())."""
    def main():
        with pytest.raises(TaskTimeout):
            with timeout_after(0.01) as cm:
                yield sleep(10)
        assert cm.expired
        deadline = current_time() + 0.01
        with pytest.raises(TaskTimeout):
            with timeout_at(deadline) as cm:
                yield sleep(10)
        assert cm.expired and cm.deadline == deadline
        with timeout_after(10) as cm:
            yield sleep(0.01)
        assert not cm.expired and cm.deadline > current_time()
        for make in (timeout_after, timeout_at):
            with make(None) as cm:
                yield sleep(0.01)
            assert not cm.expired and cm.deadline is None
    run(main())


def test_asyncio_nested_timeouts_with_the_same_deadline():
    """asyncio test_nested_timeouts: only the outer raises TaskTimeout; the
    inner sees the cancellation pass through."""
    def main():
        cancelled = False
        deadline = current_time() + 0.01
        with pytest.raises(TaskTimeout):
            with timeout_at(deadline) as cm1:
                try:
                    with timeout_at(deadline) as cm2:
                        yield sleep(10)
                except Cancelled:
                    cancelled = True
                    raise
        return cancelled, cm1.expired, cm2.expired
    assert run(main()) == (True, True, True)


@pytest.mark.parametrize("work", [sleep(10), sleep(0)])
def test_asyncio_a_zero_timeout(work):
    """asyncio test_timeout_zero / test_timeout_zero_sleep_zero: even
    sleep(0) times out; the deadline is the entry time."""
    def main():
        t0 = current_time()
        with pytest.raises(TaskTimeout) as info:
            with timeout_after(0) as cm:
                yield work
        assert cm.expired and cm.deadline == t0
        # test_timeout_exception_cause: the cancellation it gave the work
        assert isinstance(info.value.__cause__, TimeoutCancelled)
    run(main())


def test_asyncio_foreign_exceptions_pass():
    """asyncio test_foreign_exception_passed / test_foreign_exception_on_timeout:
    an error of the work goes on unchanged, at the deadline too."""
    def crash():
        try:
            yield sleep(1)
        finally:
            1 / 0

    def main():
        with pytest.raises(KeyError):
            with timeout_after(0.01) as cm:
                raise KeyError
        assert not cm.expired
        with pytest.raises(ZeroDivisionError):
            with timeout_after(0.01):
                yield crash()
    run(main())


def test_asyncio_a_foreign_cancel_is_not_a_timeout():
    """asyncio test_foreign_cancel_doesnt_timeout_if_not_expired."""
    scopes = []

    def main():
        with timeout_after(10) as cm:
            scopes.append(cm)
            me = yield current()
            yield cancel(me, wait=False)
            yield sleep(10)

    def outer():
        task = yield spawn(main())
        with pytest.raises(TaskError):
            yield join(task)
        return task.cancelled, scopes[0].expired
    assert run(outer()) == (True, False)


def test_asyncio_the_task_of_a_timeout_is_not_cancelled():
    """asyncio test_outer_task_is_not_cancelled."""
    def inner():
        with pytest.raises(TaskTimeout):
            with timeout_after(0.001):
                yield sleep(10)
        return "ok"

    def main():
        task = yield spawn(inner())
        assert (yield join(task)) == "ok"
        return task.cancelled
    assert run(main()) is False


def test_asyncio_nested_timeouts_the_inner_expired_during_a_busy_loop():
    """asyncio test_nested_timeouts_concurrent: the outer (0.002) passes
    while the loop is busy; the inner (0.1) has not: the outer raises."""
    def main():
        with pytest.raises(TaskTimeout, match="0.002"):
            with timeout_after(0.002):
                with timeout_after(0.1) as inner:
                    clock.advance(0.01)
                    yield sleep(1)
        return inner.expired
    assert run(main()) is False


def test_asyncio_nested_timeouts_loop_busy_the_outer_wins():
    """asyncio test_nested_timeouts_loop_busy: both deadlines pass while
    the loop is busy.  asyncio lets the inner raise TimeoutError, then the
    outer interrupts the next sleep; ours (trio's rule) lets the outer win
    at once: its cancellation passes the inner scope."""
    def main():
        with pytest.raises(TaskTimeout, match="0.1 s"):
            with timeout_after(0.1):
                with timeout_after(0.01):
                    clock.advance(0.1)
                    yield sleep(1)
                raise AssertionError("the inner scope caught the outer's deadline")
        return current_time()
    assert run(main()) == pytest.approx(0.1)


def test_asyncio_reschedule_from_another_task_then_cancel():
    """asyncio test_reschedule: moved later, then to None, from another
    task; a cancel then is a cancel, not expired."""
    got = []

    def f(deadline1):
        with timeout_at(deadline1) as cm:
            got.append(cm)
            yield sleep(50)

    def main():
        deadline1 = current_time() + 10
        task = yield spawn(f(deadline1))
        yield until(lambda: got)
        cm = got[0]
        assert cm.deadline == deadline1
        cm.deadline = deadline1 + 20
        assert cm.deadline == deadline1 + 20
        cm.deadline = None
        assert cm.deadline is None
        yield sleep(40)                 # past both deadlines: nothing fires
        yield cancel(task)
        return task.cancelled, cm.expired
    assert run(main()) == (True, False)


def test_asyncio_repr_of_a_scope():
    """asyncio test_repr_active / _expired / _finished / _disabled."""
    def main():
        cm = timeout_after(10)
        assert repr(cm) == "<TimeoutScope deadline=None idle>"
        with cm:
            assert repr(cm) == "<TimeoutScope deadline=10.0 active>"
        assert repr(cm) == "<TimeoutScope deadline=10.0 finished>"  # (it said "idle")
        with pytest.raises(TaskTimeout):
            with timeout_after(0.01) as cm:
                yield sleep(10)
        assert "expired" in repr(cm)
        with timeout_after(None) as cm:
            assert "deadline=None active" in repr(cm)
    run(main())


def test_asyncio_a_nested_timeout_in_finally_of_an_expired_scope():
    """asyncio test_nested_timeout_in_finally: asyncio's inner timeout in
    the cleanup raises its own TimeoutError; ours is level-triggered (trio):
    the outer scope has expired, so the cleanup's inner block is interrupted
    by the outer's cancellation at once, and the outer raises TaskTimeout."""
    def main():
        with pytest.raises(TaskTimeout, match="0.01 s"):
            with timeout_after(0.01):
                try:
                    yield sleep(1)
                finally:
                    with pytest.raises(TimeoutCancelled):
                        with timeout_after(0.01):
                            yield sleep(10)
        return current_time()
    assert run(main()) == 0.01


def test_asyncio_a_timeout_in_cleanup_after_a_caught_cancel():
    """asyncio test_timeout_after_cancellation /
    test_cancel_in_timeout_after_cancellation."""
    def main():
        me = yield current()
        try:
            yield cancel(me, wait=False)
            yield sleep(1)
        except Cancelled:
            pass
        finally:
            with pytest.raises(TaskTimeout):
                with timeout_after(0.0):
                    yield sleep(1)
            with pytest.raises(Cancelled):
                with timeout_after(1.0):
                    yield cancel(me, wait=False)
                    yield sleep(2)
    run(main())


def test_asyncio_a_timeout_block_outside_a_task():
    """asyncio test_timeout_without_task: entered outside a task, a
    RuntimeError that says so."""
    with pytest.raises(RuntimeError, match="inside a task"):
        with timeout_after(0.01):
            pass                            # pragma: no cover


# ================================================================ asyncio: test_taskgroups.py

def test_asyncio_taskgroup_01_02_03_spawn_late_and_cancel_one():
    """asyncio test_taskgroup_01..03: children spawned later in the body;
    one cancelled on purpose is no failure."""
    async def main():
        async with TaskGroup() as g:
            t1 = await g.spawn(add(42, 0, seconds=1))
            await sleep(0.15)
            await cancel(t1)
            t2 = await g.spawn(add(11, 0, seconds=0.2))
        assert t1.cancelled and t2.result == 11
        return await g.join()
    assert run(main()) == [None, 11]


def test_asyncio_cancel_children_on_child_error():
    """asyncio test_taskgroup_04 / test_cancel_children_on_child_error:
    three children fail at 0.1; the fourth and the body are cancelled; the
    code after the block does not run."""
    log = []

    async def runner():
        async with TaskGroup() as g:
            for _ in range(3):
                await g.spawn(crash_after(0.1, ZeroDivisionError()))
            await g.spawn(waits_for(Event(), log, "t2"))
            try:
                await sleep(10)
            except Cancelled:
                log.append("runner")
                raise
        log.append("after")             # pragma: no cover

    with pytest.raises(TaskGroupError) as info:
        run(runner())
    assert {type(e) for e in info.value.errors} == {ZeroDivisionError}
    assert sorted(log) == ["runner", "t2"]


@pytest.mark.parametrize("body_waits", [False, True])
def test_asyncio_cancellation_of_the_parent_while_the_group_waits(body_waits):
    """asyncio test_cancellation / test_taskgroup_07 / test_taskgroup_17 /
    test_taskgroup_22: the parent cancelled (in the body, or at the end of
    the block) cancels every child; the cancellation goes on, the same
    exception."""
    log = []

    async def runner():
        async with TaskGroup() as g:
            for n in range(5):
                await g.spawn(waits_for(Event(), log, n))
            if body_waits:
                try:
                    await sleep(10)
                except Cancelled:
                    log.append("body")
                    raise

    async def main():
        r = await spawn(runner())
        await sleep(0.1)
        assert not r.done
        mine = Cancelled("test")
        await cancel(r, exception=mine)
        assert r.cancelled and r.exception is mine
        return sorted(log, key=str)
    assert run(main()) == [0, 1, 2, 3, 4] + (["body"] if body_waits else [])


def test_asyncio_cancellation_in_body_while_children_fail():
    """asyncio test_cancellation_in_body: the parent is cancelled as its
    children fail at the same time: a cancel stays a cancel (the failures
    are logged)."""
    async def runner():
        async with TaskGroup() as g:
            for _ in range(5):
                await g.spawn(crash_after(0.1, ZeroDivisionError()))
            await sleep(10)

    async def main():
        r = await spawn(runner())
        await sleep(0.1)                # the children fail in this turn too
        mine = Cancelled("test")
        await cancel(r, exception=mine)
        return r.exception is mine
    assert run(main()) is True


@pytest.mark.parametrize("after", [0, 0.1])
def test_asyncio_taskgroup_09_10_the_body_fails(after):
    """asyncio test_taskgroup_09 / _10: the body raises (after a wait, or
    at once) while children sleep: they are cancelled; the body's error
    goes on as it is (asyncio wraps it in an ExceptionGroup; ours wraps
    only when children failed too)."""
    groups = []

    async def runner():
        async with TaskGroup() as g:
            groups.append(g)
            await g.spawn(add(42, 0, seconds=1))
            await g.spawn(add(11, 0, seconds=2))
            if after:
                await sleep(after)
            1 / 0

    async def main():
        with pytest.raises(ZeroDivisionError):
            await runner()
        return [t.cancelled for t in groups[0].tasks], current_time()
    assert run(main()) == ([True, True], after)


@pytest.mark.parametrize("outer_child", [False, True])
def test_asyncio_taskgroup_11_12_nested_groups_cancelled_from_outside(outer_child):
    """asyncio test_taskgroup_11 / _12: the parent of nested groups,
    cancelled as the inner group's children fail, ends cancelled."""
    async def runner():
        async with TaskGroup() as g1:
            if outer_child:
                await g1.spawn(sleep(10))
            async with TaskGroup() as g2:
                for _ in range(5):
                    await g2.spawn(crash_after(0.1, ZeroDivisionError()))
                await sleep(10)

    async def main():
        r = await spawn(runner())
        await sleep(0.1)
        assert not r.done
        await cancel(r)
        return r.cancelled
    assert run(main()) is True


def test_asyncio_taskgroup_13_the_outer_group_fails_first():
    """asyncio test_taskgroup_13: the outer group's child fails while the
    inner group waits: the inner group is cancelled, the outer raises the
    one ValueError."""
    async def runner():
        async with TaskGroup() as g1:
            await g1.spawn(crash_after(0.1, ValueError(0.1)))
            async with TaskGroup() as g2:
                await g2.spawn(crash_after(10, ValueError(10)))
    with pytest.raises(TaskGroupError) as info:
        run(runner())
    assert [e.args for e in info.value.errors] == [(0.1,)]


def test_asyncio_taskgroup_14_the_inner_group_fails_first():
    """asyncio test_taskgroup_14: the inner group's failure is the outer
    body's error.  asyncio nests it in a second ExceptionGroup; ours, no
    child of the outer group having failed (its one child is cancelled),
    lets the inner group's error go on as it is."""
    async def runner():
        async with TaskGroup() as g1:
            children.append(await g1.spawn(crash_after(10, ValueError(10))))
            async with TaskGroup() as g2:
                await g2.spawn(crash_after(0.1, ValueError(0.1)))
        raise AssertionError("not reached")         # pragma: no cover

    async def main():
        with pytest.raises(TaskGroupError) as info:
            await runner()
        return [e.args for e in info.value.errors], children[0].cancelled, current_time()
    children = []
    assert run(main()) == ([(0.1,)], True, pytest.approx(0.1))


@pytest.mark.parametrize("nested_task", [False, True])
def test_asyncio_taskgroup_15_16_a_cancelled_body_that_blocks_in_cleanup(nested_task):
    """asyncio test_taskgroup_15 / _16: cancelled at 0.1, the body sleeps
    0.5 in its cleanup (under disable_cancellation: ours is level-triggered)
    while a child fails at 0.3: the parent ends cancelled."""
    async def nested_runner():
        async with TaskGroup() as g1:
            await g1.spawn(crash_after(0.3, ZeroDivisionError()))
            try:
                await sleep(10)
            except Cancelled:
                async with disable_cancellation():
                    await sleep(0.5)
                raise

    async def runner():
        if nested_task:
            await join(await spawn(nested_runner()))
        else:
            await nested_runner()

    async def main():
        r = await spawn(runner())
        await sleep(0.1)
        await cancel(r)
        return r.cancelled
    assert run(main()) is True


def test_asyncio_taskgroup_18_a_cancelled_body_raising_its_own_error():
    """asyncio test_taskgroup_18: the body, cancelled from outside, raises
    an error of its own instead: that error goes on (asyncio wraps it in an
    ExceptionGroup; ours raises it as it is, no child having failed)."""
    class MyExc(Exception):
        pass

    async def runner():
        async with TaskGroup():
            try:
                await sleep(10)
            except Cancelled:
                raise MyExc

    async def main():
        r = await spawn(runner())
        await sleep(0.1)
        await cancel(r, wait=False)
        with pytest.raises(TaskError) as info:
            await join(r)
        return type(info.value.__cause__)
    assert run(main()).__name__ == "MyExc"


def test_asyncio_taskgroup_19_the_cleanup_of_the_body_fails():
    """asyncio test_taskgroup_19: the body's cleanup raises as the group
    cancels it: the error carries both, the body's first."""
    class MyExc(Exception):
        pass

    async def nested():
        try:
            await sleep(10)
        finally:
            raise MyExc

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(crash_after(0.1, ZeroDivisionError()))
            await nested()
    with pytest.raises(TaskGroupError) as info:
        run(runner())
    assert [type(e) for e in info.value.errors] == [MyExc, ZeroDivisionError]


def test_asyncio_taskgroup_20_a_keyboard_interrupt_in_the_body_goes_on(caplog):
    """asyncio test_taskgroup_20: KeyboardInterrupt in the body's cleanup
    goes on as it is; the child's failure is logged."""
    async def nested():
        try:
            await sleep(10)
        finally:
            raise KeyboardInterrupt

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(crash_after(0.1, ZeroDivisionError()))
            await nested()
    with pytest.raises(KeyboardInterrupt):
        run(runner())
    assert "ZeroDivisionError" in caplog.text


@pytest.mark.skipif(sys.version_info < (3, 11), reason="BaseExceptionGroup: 3.11+")
def test_asyncio_taskgroup_21a_a_child_base_exception_and_a_body_error():
    """asyncio test_taskgroup_21a: a child raises a BaseException of the
    program's own, the body's cleanup a TypeError: a BaseExceptionGroup of
    both."""
    class MyBaseExc(BaseException):
        pass

    async def nested():
        try:
            await sleep(10)
        finally:
            raise TypeError

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(crash_after(0.1, MyBaseExc()))
            await nested()
    with pytest.raises(BaseExceptionGroup) as info:   # noqa: F821 - 3.11+ builtin
        run(runner())
    assert {type(e) for e in info.value.exceptions} == {MyBaseExc, TypeError}


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize("form", ["async with", "join"])
def test_asyncio_taskgroup_21_a_keyboard_interrupt_in_a_child(exc, form):
    """asyncio _test_taskgroup_21 (disabled there: asyncio's loop crashes
    on it): a child's KeyboardInterrupt or SystemExit reaches run()'s
    caller as it is, and the other tasks' cleanup runs on the way."""
    log = []

    def sibling():
        try:
            yield Event().wait()
        finally:
            log.append("sibling cleaned up")

    async def nested():
        try:
            await sleep(10)
        finally:
            log.append("body cleaned up")

    async def runner():
        if form == "async with":
            async with TaskGroup() as g:
                await g.spawn(crash_after(0.1, exc()))
                await g.spawn(sibling())
                await nested()
        else:
            g = TaskGroup()
            await g.spawn(crash_after(0.1, exc()))
            await g.spawn(sibling())
            await g.join()
    with pytest.raises(exc):
        run(runner())
    assert "sibling cleaned up" in log
    assert ("body cleaned up" in log) == (form == "async with")


def test_asyncio_taskgroup_24_a_child_spawns_siblings_after_a_wait():
    """asyncio test_taskgroup_24."""
    async def root(g):
        await sleep(0.1)
        await g.spawn(sleep(0.1))
        await g.spawn(sleep(0.2))
        return "root"

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(root(g))
        return await g.join(), current_time()
    assert run(runner()) == (["root", None, None], pytest.approx(0.3))


def test_asyncio_taskgroup_25_hydra_and_hercules():
    """asyncio test_taskgroup_25: children that keep spawning siblings,
    until another fails: the group raises that one failure only."""
    heads = 0

    async def hydra(g):
        nonlocal heads
        heads += 1
        await sleep(0.01)
        await g.spawn(hydra(g))
        await g.spawn(hydra(g))

    async def hercules():
        while heads < 10:
            await sleep(0.015)
        1 / 0

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(hydra(g))
            await g.spawn(hercules())

    with pytest.raises(TaskGroupError) as info:
        run(runner())
    assert {type(e) for e in info.value.errors} == {ZeroDivisionError}
    assert heads >= 10


def test_asyncio_taskgroup_task_name():
    """asyncio test_taskgroup_task_name."""
    async def main():
        async with TaskGroup() as g:
            t = await g.spawn(sleep(0), name="yolo")
            assert t.name == "yolo"
    run(main())


# ---------------------------------------- asyncio's later cases (3.12, 3.13)

def test_asyncio_no_spawn_after_failure():
    """asyncio test_taskgroup_no_create_task_after_failure: a child being
    cancelled by its sibling's failure cannot spawn: a RuntimeError naming
    the group, and the coroutine is closed."""
    refused = []

    async def coro2(g):
        try:
            await sleep(1)
        except Cancelled:
            work = crash_after(0, ZeroDivisionError())
            with pytest.raises(RuntimeError, match="TaskGroup.*cancelled its children"):
                await g.spawn(work)
            refused.append(work.gi_frame is None)
            raise

    async def main():
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as g:
                await g.spawn(crash_after(0.001, ZeroDivisionError()))
                await g.spawn(coro2(g))
        return [type(e) for e in info.value.errors]
    assert run(main()) == [ZeroDivisionError]
    assert refused == [True]


def test_asyncio_a_context_manager_in_the_body_whose_exit_raises():
    """asyncio test_taskgroup_context_manager_exit_raises: the body's own
    context manager raises as the group cancels the body: both errors, and
    no cancellation left over after the block."""
    import contextlib

    class CustomException(Exception):
        pass

    @contextlib.asynccontextmanager
    async def database():
        try:
            yield
        finally:
            raise CustomException

    async def main():
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as tg:
                async with database():
                    await tg.spawn(crash_after(0, CustomException()))
                    await sleep(1)
        await sleep(0)
        await sleep(1)                  # no stray cancellation
        return len(info.value.errors), current_time()
    assert run(main()) == (2, 1)


def test_asyncio_a_child_spawned_by_a_child_fails_at_once():
    """asyncio test_cancels_task_if_created_during_creation: the sibling
    fails on its first step; the child that spawned it is cancelled at its
    next blocking trap."""
    ran = []

    async def third():
        raise ValueError("third")

    async def second(tg):
        await tg.spawn(third())
        try:
            await sleep(0)
            await sleep(0)
        except Cancelled:
            ran.append("cancelled")
            raise

    async def main():
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as tg:
                await tg.spawn(second(tg))
        await sleep(0)                  # test_cancellation_does_not_leak_out_of_tg
        return [str(e) for e in info.value.errors]
    assert run(main()) == ["third"]
    assert ran == ["cancelled"]


def test_asyncio_error_and_cancel():
    """asyncio test_error_and_cancel: a child fails and the parent is
    cancelled from outside in the same turn.  asyncio raises the group's
    error, the cancel coming at the next await; ours (a cancel stays a
    cancel) raises the cancellation and logs the failure.  Either way the
    task ends cancelled and the code after the group never runs."""
    event = Event()
    log = []

    async def raise_error():
        event.set()
        await sleep(0)
        raise RuntimeError("child")

    async def inner():
        try:
            async with TaskGroup() as tg:
                await tg.spawn(raise_error())
                await sleep(1)
                log.append("sleep in group not cancelled")  # pragma: no cover
        except TaskGroupError:          # pragma: no cover (asyncio's way)
            pass
        await sleep(1)
        log.append("sleep after group not cancelled")       # pragma: no cover

    async def main():
        t = await spawn(inner())
        await event.wait()
        await cancel(t)
        return t.cancelled
    assert run(main()) is True
    assert log == []


@pytest.mark.parametrize("how", ["async with", "join"])
def test_asyncio_nested_groups_both_fail_the_inner_errors_are_not_dropped(how, caplog):
    """asyncio test_nested_groups_both_cancelled: the inner group's child
    and the outer group's child fail in the same turn, while the parent
    waits at the end of the inner block.  The outer group cancels the
    parent there: it goes on (a cancel stays a cancel), the outer group
    raises its ValueError -- and the inner group's RuntimeError, which
    nobody was told of, is logged.  (It was dropped without a word.)"""
    async def inner_block(outer_tg):
        if how == "async with":
            async with TaskGroup() as inner_tg:
                await inner_tg.spawn(crash_after(0, RuntimeError("inner child")))
                await outer_tg.spawn(crash_after(0, ValueError("outer child")))
        else:
            inner_tg = TaskGroup()
            await inner_tg.spawn(crash_after(0, RuntimeError("inner child")))
            await outer_tg.spawn(crash_after(0, ValueError("outer child")))
            await inner_tg.join()
        raise AssertionError("not reached")         # pragma: no cover

    async def main():
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as outer_tg:
                await inner_block(outer_tg)
        await sleep(0)
        await sleep(5)                  # no cancellation left over
        return [str(e) for e in info.value.errors], current_time()
    assert run(main()) == (["outer child"], 5)
    assert "inner child" in caplog.text



def test_asyncio_taskgroup_double_enter_is_refused():
    """asyncio test_taskgroup_already_entered / test_taskgroup_double_enter:
    a group is one block: entering it again -- inside its block or after it
    -- is a RuntimeError naming it, at the ``async with``."""
    async def main():
        tg = TaskGroup()
        async with tg:
            with pytest.raises(RuntimeError, match="TaskGroup.*already been entered"):
                async with tg:
                    pass                            # pragma: no cover
            await tg.spawn(sleep(1))    # the group still works
        assert await tg.join() == [None]
        with pytest.raises(RuntimeError, match="TaskGroup.*already been entered"):
            async with tg:
                pass                                # pragma: no cover
        joined = TaskGroup()            # used without a block, and joined
        assert await joined.join() == []
        with pytest.raises(RuntimeError, match="TaskGroup.*finished"):
            async with joined:
                pass                                # pragma: no cover
        return current_time()
    assert run(main()) == 1


def test_asyncio_taskgroup_20a_a_base_exception_of_the_body_goes_on(caplog):
    """asyncio test_taskgroup_20a: the body's cleanup raises a
    BaseException of the program's own as a child fails.  asyncio raises a
    BaseExceptionGroup of both; ours lets a body's non-Exception go on as it
    is (as it does a cancellation or KeyboardInterrupt) and logs the
    child's failure -- nothing is dropped."""
    class MyBaseExc(BaseException):
        pass

    async def nested():
        try:
            await sleep(10)
        finally:
            raise MyBaseExc

    async def runner():
        async with TaskGroup() as g:
            await g.spawn(crash_after(0.1, ZeroDivisionError("child")))
            await nested()
    with pytest.raises(MyBaseExc):
        run(runner())
    assert "ZeroDivisionError: child" in caplog.text


def test_trio_cancel_inheritance_through_nested_groups():
    """trio test_cancel_inheritance: cancelling the task at the top reaches
    every leaf of the groups nested below it."""
    record = set()

    async def leaf(ident):
        try:
            await Event().wait()
        except Cancelled:
            record.add(ident)
            raise

    async def worker(ident):
        async with TaskGroup() as g:
            await g.spawn(leaf(ident + "-l1"))
            await g.spawn(leaf(ident + "-l2"))

    async def top():
        async with TaskGroup() as g:
            await g.spawn(worker("w1"))
            await g.spawn(worker("w2"))

    async def main():
        t = await spawn(top())
        await sleep(1)
        await cancel(t)
        return t.cancelled
    assert run(main()) is True
    assert record == {"w1-l1", "w1-l2", "w2-l1", "w2-l2"}


def test_trio_cancel_shielding_with_disable_cancellation():
    """trio test_cancel_shielding / test_cancel_scope_nesting ("shielding"),
    with our disable_cancellation for the shield: an expired scope cannot
    interrupt the block; it comes at the first blocking trap after.  trio's
    shield does not protect from a scope opened inside it; ours defers
    every cancellation, an inner scope's too: that inner block, ended
    without blocking again after its deadline went off, is not expired."""
    def main():
        with ignore_after(1) as outer:
            clock.advance(2)
            with disable_cancellation():
                yield sleep(1)          # not interrupted
                with ignore_after(0.5) as inner:
                    yield sleep(1)      # nor by its own scope
                assert not inner.expired
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)          # level-triggered
        return outer.expired, current_time()
    assert run(main()) == (True, 4)


@pytest.mark.parametrize("cancels", [1, 2])
def test_a_failure_cancel_remaining_logged_is_not_logged_again_at_the_exit(cancels, caplog):
    """The body's ``finally: await g.cancel_remaining()`` (asyncio's and
    curio's cleanup idiom) as the parent is cancelled -- once, or again
    while cancel_remaining waits: a child failing in its cleanup is logged
    once, not a second time by the group's exit."""
    def failing_cleanup():
        try:
            yield sleep(100)
        finally:
            with disable_cancellation():
                yield sleep(1)
            raise ValueError("cleanup failed")

    async def body():
        async with TaskGroup() as g:
            await g.spawn(failing_cleanup())
            try:
                await sleep(100)
            finally:
                await g.cancel_remaining()

    async def main():
        t = await spawn(body())
        await sleep(1)
        if cancels == 2:
            await cancel(t, wait=False)
            await sleep(0.5)
        await cancel(t)
        return t.cancelled
    assert run(main()) is True
    logged = [r for r in caplog.records if r.exc_info and "cleanup failed" in str(r.exc_info[1])]
    assert len(logged) == 1
