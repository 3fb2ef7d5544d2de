"""Behaviour of timeouts and task groups that no other test pinned.

Found by mutation testing: each test here fails on a one-line change to
``trampoline/timeouts.py`` or ``trampoline/taskgroup.py`` that the rest of
the suite let through (the change is named in the test's docstring).
Public API only, virtual time throughout.
"""

import gc
import sys

import pytest

# Each test runs on a VirtualClock of its own: test_timeouts' run() and
# its autouse fixture.
from test_timeouts import run, virtual_clock  # noqa: F401 (virtual_clock: autouse)
from trampoline import (Cancelled, Event, TaskGroup, TaskGroupError, TaskTimeout,
                        TimeoutCancelled, cancel, current, current_time, disable_cancellation,
                        ignore_at, sleep, spawn, timeout_after)
from trampoline.kernel import BUDGET


async def nap(seconds, result=None):
    await sleep(seconds)
    return result


async def fail_after(seconds, exc):
    await sleep(seconds)
    raise exc


async def fetch():
    await sleep(10)


async def never():
    await Event().wait()


# ============================================================= timeouts

def test_a_deadline_set_on_a_scope_entered_without_one_names_its_scope():
    """A scope entered with ``seconds=None`` and given a deadline later
    delivers a ``TimeoutCancelled`` whose ``scope`` is that scope (how code
    inside tells its own timeout from an outer one), with a message naming
    the deadline.  Mutant: the exception made then was not tied to the scope
    (``scope`` None, an empty message)."""
    async def main():
        seen = []
        with pytest.raises(TaskTimeout):
            async with timeout_after(None) as scope:
                scope.deadline = current_time() + 1
                try:
                    await sleep(10)
                except TimeoutCancelled as exc:
                    seen.append((exc.scope is scope, str(exc)))
                    raise
        return seen

    [(own, message)] = run(main())
    assert own
    assert message == "timed out: not finished by its deadline (1 on the kernel's clock)"


def test_ignore_at_gives_its_default_when_the_work_is_too_slow():
    """``ignore_at(deadline, coro, default)`` returns ``default`` on expiry,
    as ``ignore_after`` does (curio's ``ignore_at(..., timeout_result=)``).
    Mutant: the default dropped (None returned)."""
    async def main():
        late = await ignore_at(current_time() + 1, nap(5, "done"), "too slow")
        early = await ignore_at(current_time() + 10, nap(5, "done"), "too slow")
        return late, early

    assert run(main()) == ("too slow", "done")


def test_a_timeout_wrapper_names_its_limit_as_the_message_does():
    """The wrapper ``timeout_after(0.1 + 0.2, fetch())`` makes is named
    ``timeout_after(0.3, fetch)`` -- the limit written as the ``TaskTimeout``
    message writes it -- in a task name or a traceback.  Mutant: ``%s``
    (``timeout_after(0.30000000000000004, fetch)``)."""
    coro = fetch()
    wrapper = timeout_after(0.1 + 0.2, coro)
    try:
        assert wrapper.__name__ == "timeout_after(0.3, fetch)"
    finally:
        wrapper.close()
        coro.close()


# ========================================================== task groups

def test_a_task_group_error_has_no_task_as_join_s_errors_have():
    """``TaskGroupError`` is a ``TaskError``, whose ``.task`` is the task
    that failed: for a group's error, which gathers several, it is None (on
    every Python version: on 3.11+ it is also an ``ExceptionGroup``, built
    another way).  Mutant: ``.task`` not set there (AttributeError)."""
    async def main():
        async with TaskGroup() as group:
            await group.spawn(fail_after(1, KeyError("x")))

    with pytest.raises(TaskGroupError) as info:
        run(main())
    assert info.value.task is None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_splitting_a_task_group_error_keeps_its_type():
    """``except* KeyError`` and ``split`` give back ``TaskGroupError``s
    (``derive``), so the part re-raised is still caught as one.  Mutant:
    plain ``ExceptionGroup``s."""
    async def main():
        async with TaskGroup() as group:
            await group.spawn(fail_after(1, KeyError("k")))
            await group.spawn(fail_after(1, ValueError("v")))

    with pytest.raises(TaskGroupError) as info:
        run(main())
    keys, rest = info.value.split(KeyError)
    assert type(keys) is TaskGroupError and type(rest) is TaskGroupError
    assert [type(e) for e in keys.exceptions] == [KeyError]
    assert [type(e) for e in rest.errors] == [ValueError]


def test_next_done_gives_children_in_the_order_they_finished():
    """Children that all finished before anyone asked come out of
    ``next_done()`` in the order they finished (curio's ``next_done``).
    Mutant: the last to finish first."""
    async def main():
        group = TaskGroup()
        for seconds in (3, 1, 2):
            await group.spawn(nap(seconds, seconds))
        await sleep(5)                          # all three have finished
        order = []
        while True:
            task = await group.next_done()
            if task is None:
                return order
            order.append(task.result)

    assert run(main()) == [1, 2, 3]


def test_cancel_remaining_logs_an_untold_failure_once(caplog):
    """A failure ``cancel_remaining()`` logged is told: a second
    ``cancel_remaining()`` does not log it again.  Mutant: it did."""
    async def main():
        group = TaskGroup()
        await group.spawn(fail_after(1, KeyError("once")))
        await group.spawn(never())
        await sleep(2)
        await group.cancel_remaining()
        await group.cancel_remaining()
        with pytest.raises(TaskGroupError):
            await group.join()

    with caplog.at_level("ERROR", logger="trampoline"):
        run(main())
    logged = [r for r in caplog.records if "join() would have raised it" in r.getMessage()]
    assert len(logged) == 1


@pytest.mark.parametrize("how", ["cancel_remaining", "parent cancelled"])
def test_a_group_cancelling_its_children_refuses_a_sibling_from_their_cleanup(how):
    """A group that is cancelling its children -- by ``cancel_remaining()``,
    or because the task waiting in ``join()`` was cancelled -- refuses a new
    child (``RuntimeError``), even one a cancelled child's cleanup spawns:
    the new child would not be cancelled, and the wait would last as long
    as it runs.  Mutants: the group not marked as cancelling there."""
    refused = []

    async def child(group):
        try:
            await never()
        finally:
            try:
                await group.spawn(nap(100))
            except RuntimeError as exc:
                refused.append(str(exc))

    async def main():
        group = TaskGroup()
        await group.spawn(child(group))
        await sleep(1)
        if how == "cancel_remaining":
            await group.cancel_remaining()
        else:
            waiter = await spawn(group.join())
            await sleep(1)
            await cancel(waiter)
        return current_time(), [t.state for t in group.tasks]

    now, states = run(main())
    assert refused and "cancelled its children" in refused[0]
    assert states == ["cancelled"] and now < 100


def test_a_group_s_own_cancel_outlasting_a_timeout_in_the_body_is_no_timeout():
    """A child fails; the group cancels the body, whose cleanup runs inside
    a timeout block and outlasts it.  "A cancel stays a cancel": the block
    passes the group's cancellation on, and the group raises the child's
    failure alone -- not a ``TaskTimeout`` beside it.  Mutant: every
    ``TaskGroupCancelled`` taken as spent before its group exits."""
    async def main():
        async with TaskGroup() as group:
            await group.spawn(fail_after(1, KeyError("child")))
            async with timeout_after(5):
                try:
                    await sleep(10)
                finally:
                    await sleep(10)             # cleanup past the deadline

    with pytest.raises(TaskGroupError) as info:
        run(main())
    assert [type(e) for e in info.value.errors] == [KeyError]


def test_a_cancel_that_cuts_a_group_spawn_short_is_not_lost():
    """``group.spawn`` is two traps (the child, then its watcher).  A cancel
    from another task that lands between them -- the parent's budget ran
    out, the kernel deferred the second -- is raised from ``spawn`` (the
    child is watched all the same).  Mutant: swallowed there, the parent
    went on and waited for ever.  Every budget position is tried."""
    async def body(burn):
        me = await current()

        async def canceller():
            await cancel(me, wait=False)

        await spawn(canceller())
        group = TaskGroup()
        with pytest.raises(Cancelled):
            async with group:
                for _ in range(burn):
                    await current()
                await group.spawn(never())
                await Event().wait()
        return [t.state for t in group.tasks]

    for burn in range(BUDGET - 6, BUDGET + 2):
        assert run(body(burn)) in ([], ["cancelled"])



def test_a_task_group_error_s_message_counts_failures_and_children():
    """The message says how many children failed, of how many, and the
    first failure: what a log line shows.  Mutants: "1 failures"; the
    failures counted as the children."""
    async def main():
        async with TaskGroup() as group:
            await group.spawn(fail_after(1, KeyError("first")))
            await group.spawn(never())
            await group.spawn(never())

    with pytest.raises(TaskGroupError) as info:
        run(main())
    assert str(info.value).startswith(
        "1 failure in a TaskGroup of 3 tasks; first: KeyError('first')")


def test_a_group_s_tasks_is_a_snapshot():
    """``group.tasks`` is a list of the children at that moment, the
    caller's to keep or change: the group's own record is not touched.
    Mutant: the group's own list (a later spawn showed in it; clearing it
    lost the children's results)."""
    async def main():
        group = TaskGroup()
        await group.spawn(nap(1, "a"))
        before = group.tasks
        await group.spawn(nap(1, "b"))
        assert len(before) == 1
        before.clear()
        return await group.join()

    assert run(main()) == ["a", "b"]


def test_a_group_whose_block_raised_says_it_has_finished():
    """After an ``async with`` block that ended with an error, the group
    refuses a new child as a finished group, not as one still cancelling.
    Mutant: not marked finished there."""
    async def main():
        group = TaskGroup()
        with pytest.raises(KeyError):
            async with group:
                await group.spawn(never())
                raise KeyError("body")
        with pytest.raises(RuntimeError, match="has finished"):
            await group.spawn(nap(1))

    run(main())


def test_the_group_s_late_cancel_of_its_body_does_not_cancel_the_children_again():
    """A child fails while the body defers cancellation: the group's cancel
    of the body comes at the body's next blocking trap -- the wait at the
    block's end.  The other children were cancelled already; their cleanup
    is not cut short by a second cancel.  Mutant: the late cancel taken for
    an outside one (every child cancelled again)."""
    log = []

    async def slow_cleanup():
        try:
            await never()
        finally:
            await sleep(1)
            log.append("cleaned up")

    async def main():
        async with TaskGroup() as group:
            await group.spawn(slow_cleanup())
            await group.spawn(fail_after(1, KeyError("child")))
            with disable_cancellation():
                await sleep(1.5)
            log.append("body done")

    with pytest.raises(TaskGroupError) as info:
        run(main())
    assert [type(e) for e in info.value.errors] == [KeyError]
    assert log == ["body done", "cleaned up"]


def test_a_failure_the_block_reported_is_not_logged_again(caplog):
    """The ``async with`` exit reported the children's failures (in its
    ``TaskGroupError``): a ``cancel_remaining()`` afterwards logs nothing.
    Mutant: they stayed "untold", and were logged a second time."""
    async def main():
        group = TaskGroup()
        with pytest.raises(TaskGroupError):
            async with group:
                await group.spawn(fail_after(1, KeyError("child")))
                with disable_cancellation():
                    await sleep(2)
                raise ValueError("body")
        await group.cancel_remaining()

    with caplog.at_level("ERROR", logger="trampoline"):
        run(main())
    assert not caplog.records


def test_a_group_s_repr_counts_its_children_running_and_failed():
    """Mutant: every child counted as running."""
    async def main():
        group = TaskGroup()
        await group.spawn(nap(1))
        await group.spawn(never())
        await sleep(2)
        shown = repr(group)
        await group.cancel_remaining()
        return shown

    assert run(main()) == "<TaskGroup tasks=2 running=1 failed=0>"


@pytest.mark.parametrize("how", ["never joined", "ended by the kernel's shutdown"])
def test_a_failure_in_a_group_nobody_joined_is_logged(caplog, how):
    """A child's failure in a group nobody joins -- the task that held it
    went on without ``join()``, or ended while a child's cleanup failed as
    the kernel's shutdown cancelled it -- is logged, with its traceback,
    once the group is dropped (as a plain task that crashed and was never
    joined is).  It was dropped in silence: the group's watcher had joined
    the child, which took the kernel's report away.  (Found as the mutant
    "the watcher may be cancelled by the shutdown", which logged it.)"""
    async def fails_in_cleanup():
        try:
            await never()
        finally:
            await sleep(1)
            raise KeyError("lost")

    async def main():
        group = TaskGroup()
        if how == "never joined":
            await group.spawn(fail_after(1, KeyError("lost")))
            await sleep(2)
        else:
            await group.spawn(fails_in_cleanup())
            await sleep(1)

    with caplog.at_level("ERROR", logger="trampoline"):
        run(main())
        gc.collect()
    logged = [r for r in caplog.records if "dropped without a join()" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info[0] is KeyError
