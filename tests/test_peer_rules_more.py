"""More of what users of curio, trio and asyncio rely on: cases found by
an audit of cancellation, timeouts, task groups and the sync primitives
against the peers' behaviour (see each test's docstring for the peer).

Virtual time throughout: no test sleeps for real.
"""

import trampoline
from trampoline import (Cancelled, TaskGroup, TaskGroupError, TaskTimeout, VirtualClock,
                        ignore_after, sleep, timeout_after)


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
