"""TaskGroup: join results in spawn order, the first failure cancels the
rest (every failure kept on TaskGroupError.errors), next_done in finishing
order, cancelling the parent cancels the children, ``async with``.

Children that must outlive the moment are parked on an Event nobody sets:
if the group fails to cancel them, the kernel reports a deadlock at once
(the test fails fast instead of hanging).
"""

import pytest

import trampoline
from trampoline import (Cancelled, Event, TaskError, TaskGroup, TaskGroupError, cancel, join,
                        run, sleep, spawn)
from trampoline.kernel import BUDGET
from task_helpers import parked, until


# ------------------------------------------------------------- helpers

def after(ev, result, log=None, name=None):
    """Wait for ``ev``, then return ``result``; note a cancellation."""
    try:
        yield ev.wait()
    except Cancelled:
        if log is not None:
            log.append(name + " cancelled")
        raise
    if log is not None:
        log.append(name + " finished")
    return result


def fail_after(ev, exc):
    yield ev.wait()
    raise exc


def fail_now(exc):
    raise exc
    yield  # pragma: no cover


def value(x):
    return x
    yield  # pragma: no cover


def never(log=None, name=None):
    """Park until cancelled (on an Event nobody sets)."""
    try:
        yield Event().wait()
    finally:
        if log is not None:
            log.append(name + " cleaned up")


# ================================================================ join

def test_join_returns_results_in_spawn_order():
    """Children finish in the reverse of spawn order; join still lists
    results in spawn order."""
    def main():
        group = TaskGroup()
        events = [Event() for _ in range(4)]
        finished = []
        for i, ev in enumerate(events):
            yield group.spawn(after(ev, "r%d" % i, finished, "r%d" % i))
        yield parked(*group.tasks)
        for i, ev in reversed(list(enumerate(events))):
            ev.set()
            yield until(lambda: group.tasks[i].done)
        assert finished == ["r3 finished", "r2 finished", "r1 finished", "r0 finished"]
        return (yield group.join())

    assert run(main()) == ["r0", "r1", "r2", "r3"]


def test_join_waits_for_every_child():
    log = []

    def child(name, steps):
        for _ in range(steps):
            yield sleep(0)
        log.append(name)
        return name

    def main():
        group = TaskGroup()
        for name, steps in [("a", 5), ("b", 1), ("c", 10)]:
            yield group.spawn(child(name, steps))
        results = yield group.join()
        assert sorted(log) == ["a", "b", "c"]
        assert all(t.done for t in group.tasks)
        return results

    assert run(main()) == ["a", "b", "c"]


def test_empty_group_joins_at_once():
    def main():
        return (yield TaskGroup().join())

    assert run(main()) == []


def test_spawn_returns_the_task_and_tasks_lists_them():
    def main():
        group = TaskGroup()
        a = yield group.spawn(value(1))
        b = yield group.spawn(value(2), name="second")
        assert group.tasks == [a, b]
        assert b.name == "second"
        yield group.join()
        return a.result, b.result

    assert run(main()) == (1, 2)


def test_spawn_after_join_is_refused():
    def main():
        group = TaskGroup()
        yield group.spawn(value(1))
        yield group.join()
        with pytest.raises(RuntimeError):
            yield group.spawn(value(2))
        # A trap, which spawn takes too (a task performing it), has nothing
        # to close: the same error, not "'sleep' object has no attribute 'close'".
        with pytest.raises(RuntimeError, match="has finished; it takes no more children"):
            yield group.spawn(sleep(1))

    run(main())


# ============================================================= failure

def test_first_failure_cancels_the_rest_and_join_raises():
    log = []

    def main():
        group = TaskGroup()
        go = Event()
        a = yield group.spawn(never(log, "a"))
        b = yield group.spawn(fail_after(go, KeyError("b failed")))
        c = yield group.spawn(never(log, "c"))
        yield parked(a, b, c)
        go.set()
        with pytest.raises(TaskGroupError) as info:
            yield group.join()
        assert a.cancelled and c.cancelled
        return info.value

    error = run(main())
    assert sorted(log) == ["a cleaned up", "c cleaned up"]
    assert len(error.errors) == 1
    assert isinstance(error.errors[0], KeyError)
    assert error.__cause__ is error.errors[0]
    assert isinstance(error, TaskError)


def test_failure_on_first_step_cancels_siblings_spawned_alongside():
    """A child that fails at once, spawned back to back with others that
    have not run yet: those are cancelled before their first step, and
    join() still finishes (with TaskGroupError) instead of waiting forever."""
    def main():
        group = TaskGroup()
        yield group.spawn(fail_now(ValueError("early")))
        later = yield group.spawn(never())
        also = yield group.spawn(value("quick"))
        with pytest.raises(TaskGroupError) as info:
            yield group.join()
        assert later.done and later.cancelled
        assert also.done
        return [type(e) for e in info.value.errors]

    assert run(main()) == [ValueError]


def test_every_failure_is_kept_on_the_error():
    """Two children fail on the same wake-up: both failures are on .errors,
    in the order they happened; the third child is cancelled."""
    log = []

    def main():
        group = TaskGroup()
        go = Event()
        a = yield group.spawn(fail_after(go, KeyError("a")))
        b = yield group.spawn(fail_after(go, ValueError("b")))
        c = yield group.spawn(never(log, "c"))
        yield parked(a, b, c)
        go.set()                        # wakes a and b together
        try:
            yield group.join()
        except TaskGroupError as exc:
            return exc, b.cancelled

    error, b_cancelled = run(main())
    # a failed first; b, woken by the same set(), either failed too (then
    # its failure is kept) or was cancelled before it could.
    expected = [KeyError] if b_cancelled else [KeyError, ValueError]
    assert [type(e) for e in error.errors] == expected
    assert error.__cause__ is error.errors[0]
    assert log == ["c cleaned up"]


def test_failure_during_cleanup_is_kept_too():
    def bad_cleanup():
        try:
            yield Event().wait()
        finally:
            raise OSError("cleanup failed")

    def main():
        group = TaskGroup()
        go = Event()
        c = yield group.spawn(bad_cleanup())
        f = yield group.spawn(fail_after(go, KeyError("first")))
        yield parked(c, f)
        go.set()
        try:
            yield group.join()
        except TaskGroupError as exc:
            return exc.errors

    errors = run(main())
    assert [type(e) for e in errors] == [KeyError, OSError]


def test_failing_group_in_async_def():
    async def bad():
        await sleep(0)
        raise LookupError("async child")

    async def main():
        group = TaskGroup()
        await group.spawn(bad())
        await group.spawn(never())
        try:
            await group.join()
        except TaskGroupError as exc:
            return [type(e) for e in exc.errors]

    assert run(main()) == [LookupError]


# =========================================================== next_done

def test_next_done_gives_children_in_finishing_order():
    def main():
        group = TaskGroup()
        events = {name: Event() for name in "abc"}
        tasks = {}
        for name in "abc":
            tasks[name] = yield group.spawn(after(events[name], name))
        yield parked(*tasks.values())
        order = []
        for name in "cab":
            events[name].set()
            done = yield group.next_done()
            order.append(done.result)
        assert (yield group.next_done()) is None
        return order

    assert run(main()) == ["c", "a", "b"]


def test_next_done_waits_for_the_next_child():
    def main():
        group = TaskGroup()
        ev = Event()
        t = yield group.spawn(after(ev, "late"))
        waiter = yield spawn(group.next_done())
        yield parked(waiter, t)
        assert not waiter.done
        ev.set()
        done = yield join(waiter)
        return done is t, done.result

    assert run(main()) == (True, "late")


def test_next_done_then_join():
    def main():
        group = TaskGroup()
        fast = Event()
        slow = Event()
        yield group.spawn(after(slow, "slow"))
        yield group.spawn(after(fast, "fast"))
        fast.set()
        first = yield group.next_done()
        slow.set()
        results = yield group.join()
        return first.result, results

    assert run(main()) == ("fast", ["slow", "fast"])


def test_next_done_from_async_def():
    async def child(ev, name):
        await ev.wait()
        return name

    async def main():
        group = TaskGroup()
        evs = [Event(), Event()]
        await group.spawn(child(evs[0], "x"))
        await group.spawn(child(evs[1], "y"))
        evs[1].set()
        first = await group.next_done()
        evs[0].set()
        second = await group.next_done()
        third = await group.next_done()
        return first.result, second.result, third

    assert run(main()) == ("y", "x", None)


# ======================================================== cancellation

def test_cancelling_the_parent_in_join_cancels_the_children():
    log = []

    def parent(group):
        yield group.spawn(never(log, "a"))
        yield group.spawn(never(log, "b"))
        yield group.join()

    def main():
        group = TaskGroup()
        p = yield spawn(parent(group))
        yield until(lambda: len(group.tasks) == 2)
        yield parked(p, *group.tasks)
        yield cancel(p)
        assert p.cancelled
        assert all(t.done and t.cancelled for t in group.tasks)

    run(main())
    assert sorted(log) == ["a cleaned up", "b cleaned up"]


def test_cancel_remaining():
    log = []

    def main():
        group = TaskGroup()
        yield group.spawn(never(log, "a"))
        done = yield group.spawn(value("v"))
        yield sleep(0)
        yield group.cancel_remaining()
        assert all(t.done for t in group.tasks)
        return done.result

    assert run(main()) == "v"
    assert log == ["a cleaned up"]


# ========================================================== async with

def test_async_with_joins_on_exit():
    async def child(n):
        await sleep(0)
        return n * 10

    async def main():
        async with TaskGroup() as group:
            for n in range(3):
                await group.spawn(child(n))
        assert all(t.done for t in group.tasks)
        return [t.result for t in group.tasks]

    assert run(main()) == [0, 10, 20]


def test_async_with_body_error_cancels_children():
    log = []

    async def main():
        with pytest.raises(ZeroDivisionError):
            async with TaskGroup() as group:
                await group.spawn(never(log, "a"))
                await group.spawn(never(log, "b"))
                await sleep(0)
                1 / 0
        assert all(t.cancelled for t in group.tasks)

    run(main())
    assert sorted(log) == ["a cleaned up", "b cleaned up"]


def test_async_with_child_failure_raises_task_group_error():
    log = []

    async def main():
        with pytest.raises(TaskGroupError) as info:
            async with TaskGroup() as group:
                await group.spawn(never(log, "a"))
                await group.spawn(fail_now(KeyError("child")))
        return info.value.errors

    errors = run(main())
    assert [type(e) for e in errors] == [KeyError]
    assert log == ["a cleaned up"]


@pytest.mark.parametrize("others", range(BUDGET - 3, BUDGET + 2))
def test_the_body_cancel_of_a_busy_watcher_never_outlives_the_group(others):
    """A child fails as ~BUDGET siblings finish: its watcher's cancels (one
    trap per sibling, then the body's) use up its budget, and the kernel
    defers the body's.  The group must not end before it is done -- else
    it lands on the parent after the group, a stray TaskGroupCancelled."""
    async def main(body_steps):
        ev = Event()
        try:
            async with TaskGroup() as group:
                await group.spawn(fail_after(ev, KeyError("child")))
                for _ in range(others):
                    await group.spawn(after(ev, None))
                for _ in range(3):
                    await sleep(0)
                ev.set()
                for _ in range(body_steps):
                    await sleep(0)
        except TaskGroupError as error:
            assert [type(e) for e in error.errors] == [KeyError]
        for _ in range(5):
            await sleep(0)              # no cancel comes after the group
        return "after the group"

    for body_steps in range(5):
        assert run(main(body_steps)) == "after the group"


def test_a_child_spawned_as_a_timeout_cuts_the_spawn_short_is_still_watched():
    """``group.spawn`` is two traps: spawn the child, spawn its watcher.
    When the parent's budget runs out between them, the kernel defers the
    second, and a timeout that expires meanwhile drops it: the child ran
    with no watcher, and the group waited for it for ever (a deadlock)."""
    async def body(burn):
        async with trampoline.ignore_after(0) as scope:
            async with TaskGroup() as group:
                for _ in range(burn):
                    await trampoline.current()
                await group.spawn(never())
                await Event().wait()
        assert all(t.cancelled for t in group.tasks)
        return scope.expired

    for burn in range(BUDGET - 6, BUDGET + 2):
        assert run(body(burn), clock=trampoline.VirtualClock()) is True


@pytest.mark.parametrize("how", ["async with", "cancel_remaining"])
def test_a_timed_out_group_cancels_more_children_than_a_budget_of_traps(how):
    """Cancelling the children is a trap per child; past the parent's
    budget the kernel defers the rest, and the expired timeout (thrown in
    at every blocking trap until its scope ends) dropped them: the group
    ended with the children past the budget neither cancelled nor waited
    for -- running on after it."""
    async def main():
        group = TaskGroup()
        async with trampoline.ignore_after(1) as scope:
            if how == "async with":
                async with group:
                    for _ in range(BUDGET + 10):
                        await group.spawn(never())
                    await sleep(5)
            else:
                for _ in range(BUDGET + 10):
                    await group.spawn(never())
                try:
                    await sleep(5)
                finally:
                    await group.cancel_remaining()
        assert scope.expired
        return [t.state for t in group.tasks]

    assert set(run(main(), clock=trampoline.VirtualClock())) == {"cancelled"}


def test_cancelling_the_parent_inside_async_with_cancels_children():
    log = []

    groups = []

    async def parent():
        async with TaskGroup() as group:
            groups.append(group)
            await group.spawn(never(log, "a"))
            await group.spawn(never(log, "b"))

    def main():
        p = yield spawn(parent())
        yield until(lambda: groups and len(groups[0].tasks) == 2)
        yield parked(p, *groups[0].tasks)
        yield cancel(p)
        assert p.cancelled
        assert all(t.cancelled for t in groups[0].tasks)

    run(main())
    assert sorted(log) == ["a cleaned up", "b cleaned up"]


def test_taskgroup_is_exported():
    assert trampoline.TaskGroup is TaskGroup
    assert trampoline.TaskGroupError is TaskGroupError


# ----------------------------------------------------- cancel_remaining

def test_cancel_remaining_logs_a_failure_nobody_was_told_of(caplog):
    """cancel_remaining() raises nothing (it is for cleanup), but a child
    that had failed is not dropped in silence: it is logged, with its
    traceback.  join() afterwards still raises it."""
    def main():
        group = TaskGroup()
        failed = yield group.spawn(fail_now(KeyError("lost?")))
        yield group.spawn(never())
        yield until(lambda: failed.done)
        yield group.cancel_remaining()
        with pytest.raises(TaskGroupError):
            yield group.join()

    with caplog.at_level("ERROR", logger="trampoline"):
        run(main())
    logged = [r for r in caplog.records if "join() would have raised it" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info[0] is KeyError


@pytest.mark.parametrize("told_by", ["join", "next_done"])
def test_cancel_remaining_logs_nothing_the_caller_was_told_of(caplog, told_by):
    def main():
        group = TaskGroup()
        yield group.spawn(fail_now(KeyError("seen")))
        if told_by == "join":
            with pytest.raises(TaskGroupError):
                yield group.join()
        else:
            task = yield group.next_done()
            assert isinstance(task.exception, KeyError)
        yield group.cancel_remaining()

    with caplog.at_level("ERROR", logger="trampoline"):
        run(main())
    assert not [r for r in caplog.records if "join() would have raised it" in r.getMessage()]



def test_a_group_spawn_dropped_before_it_ran_closes_its_coroutine():
    """``group.spawn(coro)`` yielded as its task's budget ran out, then
    dropped as another task cancelled that task before it ran: ``coro``
    never started, and was left for Python to warn "coroutine ... was never
    awaited".  It is closed now, as a dropped plain ``spawn``'s is."""
    from drop_helpers import drop_unrun

    async def work():                   # pragma: no cover - never runs
        await sleep(1)

    made = [work()]
    closed, never_awaited = drop_unrun(lambda: TaskGroup().spawn(made[0]), made)
    assert closed == [True] and never_awaited == []