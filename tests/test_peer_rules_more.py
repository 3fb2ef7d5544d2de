"""More of what users of curio, trio and asyncio rely on: cases found by
an audit of cancellation, timeouts, task groups and the sync primitives
against the peers' behaviour (see each test's docstring for the peer).

Virtual time throughout: no test sleeps for real.
"""

import pytest

import trampoline
from trampoline import (Cancelled, Event, LifoQueue, PriorityQueue, Queue, TaskError, TaskGroup,
                        TaskGroupError, TaskTimeout, VirtualClock, cancel, ignore_after, join,
                        sleep, spawn, timeout_after)


def run(coro, clock=None):
    return trampoline.run(coro, clock=clock or VirtualClock())


def fails(seconds=0):
    if seconds:
        yield sleep(seconds)
    raise ValueError("boom")
    yield                               # pragma: no cover (a generator)


# ------------------------- a group's own cancellation is spent with the group

def test_a_timeout_after_a_group_that_absorbed_its_cancellation_is_a_timeout():
    """A TaskGroup cancels its body when a child fails, and absorbs that
    cancellation at its exit.  A timeout around the group that expires
    later, after the group is gone, raises TaskTimeout (ignore_after: returns)
    -- not the group's spent TaskGroupCancelled, as if the task had been
    cancelled from outside.  (trio's nursery and asyncio's TaskGroup leave no
    trace of their own cancellation behind them either.)"""
    log = []

    async def body():
        try:
            async with TaskGroup() as group:
                await group.spawn(fails())
                await sleep(10)
        except TaskGroupError as exc:
            log.append(type(exc.errors[0]).__name__)
        await sleep(10)                 # the deadline passes here

    async def main():
        try:
            async with timeout_after(1):
                await body()
        except TaskTimeout:
            log.append("timed out")
        async with ignore_after(1) as scope:
            await body()
        log.append("expired" if scope.expired else "in time")
        return log

    assert run(main()) == ["ValueError", "timed out", "ValueError", "expired"]


# ------------------------------ cancel_remaining() called by one of the children

def racer(group, seconds, log):
    yield sleep(seconds)
    yield group.cancel_remaining()      # the first to finish stops the others
    log.append(seconds)
    return seconds


def test_a_child_that_calls_cancel_remaining_cancels_its_siblings_and_goes_on():
    """The "first one wins" pattern: a child cancels its siblings and
    returns its result.  trio's ``nursery.cancel_scope.cancel()`` and curio's
    ``cancel_remaining()`` are called so from a child; the group's waited for
    the child itself, which was waiting for them: a deadlock."""
    log = []

    def generator_style():
        group = TaskGroup()
        for seconds in (3, 1, 2):
            yield group.spawn(racer(group, seconds, log))
        return (yield group.join())

    async def async_style():
        async with TaskGroup() as group:
            for seconds in (3, 1, 2):
                await group.spawn(racer(group, seconds, log))
        return [task.state for task in group.tasks]

    assert run(generator_style()) == [None, 1, None]
    assert run(async_style()) == ["cancelled", "done", "cancelled"]
    assert log == [1, 1]


def test_two_children_calling_cancel_remaining_at_once_both_end():
    """Two children that cancel the rest in the same turn cancel each other:
    both end (cancelled, or returned), and so does the group."""
    log = []

    def main():
        group = TaskGroup()
        for seconds in (1, 1, 5):
            yield group.spawn(racer(group, seconds, log))
        results = yield group.join()
        return results, [task.state for task in group.tasks]

    results, states = run(main())
    assert states[2] == "cancelled"
    assert "done" in states[:2] or states[:2] == ["cancelled", "cancelled"]
    assert results == [1 if state == "done" else None for state in states]


def test_a_child_cancelled_while_it_waits_in_cancel_remaining_goes_at_once():
    """A child waiting in cancel_remaining() for a sibling whose cleanup is
    slow, and cancelled meanwhile (here: the parent's timeout cancels every
    child), ends at once; the parent still waits for the slow sibling."""
    log = []

    def slow_to_die():
        try:
            yield sleep(10)
        finally:
            with trampoline.disable_cancellation():
                yield sleep(3)          # cleanup, t = 1 .. 4
            log.append("slow sibling done")

    def stopper(group):
        yield sleep(1)
        try:
            yield group.cancel_remaining()
        except Cancelled:
            log.append("stopper cancelled at %g" % trampoline.current_time())
            raise

    async def main():
        try:
            async with timeout_after(2):
                async with TaskGroup() as group:
                    await group.spawn(slow_to_die())
                    await group.spawn(stopper(group))
        except TaskTimeout:
            log.append("timed out at %g" % trampoline.current_time())
        return [task.state for task in group.tasks]

    assert run(main()) == ["cancelled", "cancelled"]
    assert log == ["stopper cancelled at 2", "slow sibling done", "timed out at 4"]


# ------------------------------ a cancel that comes as a timeout has gone off

@pytest.mark.parametrize("scope", ["timeout_after", "ignore_after"])
def test_a_cancel_arriving_as_the_timeout_goes_off_is_not_lost(scope):
    """The deadline of a task's timeout has gone off (its TimeoutCancelled is
    on its way in) when another task cancels it, before it has run.  The
    task handles the timeout and returns without blocking again: the cancel
    must not be lost.  asyncio: ``asyncio.timeout`` sees the second
    ``cancel()`` (``uncancel()`` > 0) and lets CancelledError out, and
    ``await task`` raises CancelledError; trio: the cancelled outer scope
    wins over the expired inner one (``fail_after`` does not catch a
    Cancelled its parent's cancellation can see).  The cancel was lost:
    ``cancel(task)`` returned, the task's result was "fallback" (or "gave
    up") and ``task.cancelled`` False."""
    clock = VirtualClock()

    def worker():
        if scope == "ignore_after":
            with ignore_after(1):
                yield sleep(10)
            return "gave up"
        try:
            yield timeout_after(1, sleep(10))
        except TaskTimeout:
            return "fallback"

    def canceller(go, target):
        yield go.wait()
        yield cancel(target)

    def main():
        go = Event()
        task = yield spawn(worker())
        stopper = yield spawn(canceller(go, task))
        yield sleep(0)                  # both parked
        clock.advance(1.5)              # the deadline passes: the alarm goes off at the
        go.set()                        # end of this turn, and the canceller runs first
        yield join(stopper)             # in the next one, before the worker
        try:
            result = yield join(task)
        except TaskError as exc:
            result = exc.__cause__
        return task.cancelled, result

    cancelled, result = run(main(), clock)
    assert cancelled and isinstance(result, Cancelled)



def test_a_task_that_cancels_itself_without_waiting_and_returns_ends_cancelled():
    """``cancel(me, wait=False)`` puts the cancel off to the task's next
    blocking trap; a task that returns first ends cancelled all the same,
    its value dropped -- as an asyncio task that calls ``cancel()`` on itself
    and returns does.  (It used to end well, the cancel forgotten.)"""
    def worker():
        me = yield trampoline.current()
        yield cancel(me, wait=False)
        return "done anyway"

    def main():
        task = yield spawn(worker())
        try:
            result = yield join(task)
        except TaskError as exc:
            result = exc.__cause__
        return task.cancelled, result

    cancelled, result = run(main())
    assert cancelled and type(result) is Cancelled, result
    assert "cancelled itself" in str(result)


# ------------------ items put while getters wait: a priority or LIFO order still

def waiting_getters(kind, items, cancel_first=False):
    """Two getters parked on an empty ``kind()``; ``items`` put at once (the
    first getter cancelled then, before it has run, if asked); what each
    getter got, and what is left in the order ``get`` gives it."""
    def main():
        queue = kind()
        got = []

        def getter(name):
            got.append((name, (yield queue.get())))

        tasks = []
        for name in (1, 2):
            tasks.append((yield spawn(getter(name))))
        yield sleep(0)                  # both parked
        for item in items:
            queue.put_nowait(item)
        if cancel_first:
            yield cancel(tasks[0])
        for task in tasks[cancel_first:]:
            yield join(task)
        return got, [queue.get_nowait() for _ in range(queue.qsize())]

    return run(main())


def test_a_priority_queue_gives_a_waiting_getter_the_smallest_item():
    """Items put while getters wait: each getter gets the smallest item there
    when it runs, as with asyncio's and curio's PriorityQueue.  Here the
    first items put went to the waiting getters whatever their priority
    (5 and 3, with 1 left for later)."""
    assert waiting_getters(PriorityQueue, [5, 3, 1, 4]) == ([(1, 1), (2, 3)], [4, 5])
    assert waiting_getters(PriorityQueue, [5, 3, 1, 4], cancel_first=True) == (
        [(2, 1)], [3, 4, 5])


def test_a_lifo_queue_gives_a_waiting_getter_the_newest_item():
    """The same for a LifoQueue: the newest item there when the getter runs
    (asyncio's LifoQueue: "c", then "b"; it gave "a" and "b")."""
    assert waiting_getters(LifoQueue, "abc") == ([(1, "c"), (2, "b")], ["a"])
    assert waiting_getters(LifoQueue, "abc", cancel_first=True) == ([(2, "c")], ["b", "a"])


@pytest.mark.parametrize("kind", [Queue, PriorityQueue, LifoQueue])
@pytest.mark.parametrize("cancelled", [False, True])
def test_an_item_put_for_a_waiting_getter_outlives_an_immediate_shutdown(kind, cancelled):
    """Every kind of queue alike: an item put while a getter waits is that
    getter's -- the one it would have got, the first in the queue's order
    (LIFO: the newest) -- even if the queue is shut down at once before it
    has run.  If the getter is cancelled then, that item is dropped with
    what was left, counted done (join() returns)."""
    def main():
        queue = kind()
        getter = yield spawn(queue.get())
        yield sleep(0)                  # parked
        queue.put_nowait(1)             # for the getter, which has not run
        queue.put_nowait(2)
        queue.shutdown(immediate=True)  # 2 is dropped
        if cancelled:
            yield cancel(getter)
        else:
            assert (yield join(getter)) == (2 if kind is LifoQueue else 1)
            queue.task_done()
        yield timeout_after(5, queue.join())
        return queue.qsize(), queue.empty()

    assert run(main()) == (0, True)
