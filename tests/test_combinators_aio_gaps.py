"""What mutation testing of trampoline.combinators and trampoline.aio found
no test pinning.  select: its losers cancelled all at once, which error it
raises and which it logs, a cancel that came as a branch won handed back
as the same exception, no branch spawned after a win, the name of a task
spawned on it.  shield: a trap's value, the work's error as the cause of
the caller's cancel.  ``disable_cancellation`` as a ``with`` target.
AsyncioDriver: its first round, ``step`` never waiting, a driver left
behind by a closed loop, a run whose task is cancelled from the
trampoline side -- before its first step too (it waited for ever) -- or
after the driver closed."""

import asyncio
import inspect
import logging
import os
import socket
import time

import pytest

from trampoline import (Cancelled, Event, Kernel, Queue, TaskError, cancel, join, read, run,
                        select, shield, sleep, spawn, timeout_after)
from trampoline.aio import AsyncioDriver
from trampoline.combinators import disable_cancellation
from trampoline.kernel import BUDGET
from trampoline.traps import current_kernel

from net_helpers import asyncio_run, watchdog  # noqa: F401 (autouse: a hang fails)
from task_helpers import parked, until

WATCHDOG_SECONDS = 30


def _open_descriptors():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


def _after_a_moment(result, seconds=0.01):
    yield sleep(seconds)
    return result


def _at_once(result):
    return result
    yield  # pragma: no cover


# ================================================================ select

def test_select_cancels_every_loser_at_once_so_their_cleanups_may_wait_for_each_other():
    """The winner cancels the others on the spot, all of them, before any
    has finished its cleanup (curio's and trio's losers are cancelled
    together): a loser whose cleanup waits for another loser's cleanup
    ends.  Cancelled one after another -- each cleanup waited out before
    the next loser heard of it -- the first waited for ever."""
    log = []
    second_cleaning = Event()

    def first_loser():
        try:
            yield Event().wait()
        finally:
            log.append("first cleaning")
            yield second_cleaning.wait()    # (a cleanup may block: it is cancelled once)
            log.append("first done")

    def second_loser():
        try:
            yield Event().wait()
        finally:
            log.append("second cleaning")
            second_cleaning.set()

    def winner():
        yield sleep(0.01)
        return "won"

    def main():
        return (yield timeout_after(5, select(winner(), first_loser(), second_loser())))

    assert run(main()) == (0, "won")
    assert sorted(log) == ["first cleaning", "first done", "second cleaning"]
    assert log.index("second cleaning") < log.index("first done")


def test_disable_cancellation_gives_itself_to_with_and_async_with():
    """``with disable_cancellation() as blocked`` binds the block itself, in
    a generator task and in an ``async def`` (curio's returns itself too)."""
    def generator_task():
        with disable_cancellation() as blocked:
            assert isinstance(blocked, disable_cancellation)
        return "ok"
        yield  # pragma: no cover

    async def async_task():
        async with disable_cancellation() as blocked:
            assert isinstance(blocked, disable_cancellation)
        return "ok"

    assert run(generator_task()) == "ok"
    assert run(async_task()) == "ok"


# ========================================================= AsyncioDriver

def test_a_driver_made_for_a_kernel_with_a_timer_pending_keeps_that_timer():
    """A kernel run a round before a driver takes it, one task asleep:
    the driver's first round asks the kernel's next deadline, and the
    sleeper wakes on time, no ``schedule()`` asked for (else nothing woke
    it until some I/O came)."""
    async def main():
        with Kernel() as kernel:
            woke = asyncio.get_running_loop().create_future()

            def sleeper():
                yield sleep(0.05)
                woke.set_result("woke")

            kernel.spawn(sleeper())
            kernel.run_once(0)              # it runs, and sleeps
            driver = AsyncioDriver(kernel)
            try:
                return await asyncio.wait_for(woke, 5)
            finally:
                driver.close()

    assert asyncio_run(main()) == "woke"


def test_step_on_a_kernel_with_nothing_to_do_returns_at_once():
    """``step()`` is one round that never waits: asyncio calls it when the
    kernel has work (its descriptor readable, its timer due), and a user may
    call it any time -- the asyncio loop is never blocked by it."""
    async def main():
        with Kernel() as kernel:
            kernel.spawn(_after_a_moment(None, 60))
            async with AsyncioDriver(kernel) as driver:
                await asyncio.sleep(0)
                began = time.monotonic()
                for _ in range(3):
                    driver.step()
                return time.monotonic() - began

    assert asyncio_run(main()) < 1.5        # (three rounds waiting 1 s each took 3 s)


def test_a_driver_whose_loop_was_closed_is_closed_when_another_takes_its_kernel(caplog):
    """A driver never closed, its loop closed: the next driver of its
    kernel closes it (its duplicate descriptor too), and the kernel's
    close later finds nothing of it to undo (no error logged)."""
    with Kernel() as kernel:
        kernel.spawn(_after_a_moment(None))
        forgotten = []

        async def forgets_to_close():
            forgotten.append(AsyncioDriver(kernel))

        asyncio.run(forgets_to_close())
        assert "driving" in repr(forgotten[0])

        async def drives_again():
            async with AsyncioDriver(kernel) as driver:
                assert "closed" in repr(forgotten[0])
                return await driver.run(_after_a_moment("again"))

        with caplog.at_level(logging.DEBUG, logger="trampoline"):
            assert asyncio.run(drives_again()) == "again"
            kernel.close()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.skipif(_open_descriptors() is None, reason="counts /proc/self/fd")
def test_a_driver_refused_by_a_closed_loop_leaves_no_descriptor_open():
    """``AsyncioDriver(kernel, loop)`` on a closed loop raises, and takes
    back the duplicate of the kernel's descriptor it had made; the kernel
    stays free for another loop."""
    loop = asyncio.new_event_loop()
    loop.close()
    with Kernel() as kernel:
        before = _open_descriptors()
        for _ in range(3):
            with pytest.raises(RuntimeError):
                AsyncioDriver(kernel, loop)
        assert _open_descriptors() == before

        async def drives():
            async with AsyncioDriver(kernel) as driver:
                return await driver.run(_after_a_moment("free"))

        assert asyncio_run(drives()) == "free"


def test_select_won_while_spawning_spawns_no_more_branches():
    """A branch that wins while the selecting task, out of budget, has not
    spawned every branch yet: no task is made for the rest (as the comment
    in select promises), rather than made only to be cancelled."""
    class Spawns:
        def __init__(self):
            self.names = []

        def task_spawned(self, task):
            self.names.append(task.name)

    spawns = Spawns()
    count = BUDGET + 10

    async def never():
        await Event().wait()        # pragma: no cover - never started

    def main():
        return (yield select(_at_once("won"), *[never() for _ in range(count)]))

    assert run(main(), instruments=[spawns]) == (0, "won")
    branches = [name for name in spawns.names if "select branch" in name]
    assert 1 < len(branches) < count + 1


class _Deadline(Cancelled):
    """A cancellation of the user's own kind, with what it carries."""


def test_a_cancel_that_came_as_a_branch_won_comes_again_as_the_same_exception():
    """The selecting task is cancelled, with an exception of the canceller's
    own, in the step a branch wins: select returns the result, and the
    cancellation comes at the next blocking trap -- the very exception the
    canceller gave, not a plain ``Cancelled`` in its place."""
    seen = []

    def selector(queue):
        result = yield select(queue.get(), Event().wait())
        seen.append(result)
        try:
            yield sleep(0)
        except Cancelled as exc:
            seen.append(exc)
            raise

    def main():
        kernel = yield current_kernel()
        queue = Queue()
        selecting = yield spawn(selector(queue))
        yield until(lambda: len(kernel.tasks()) == 4)
        yield parked(*[task for task in kernel.tasks() if task is not selecting and
                       "select branch" in task.name] + [selecting])
        queue.put_nowait("item")
        mine = _Deadline("mine")
        yield cancel(selecting, wait=False, exception=mine)
        with pytest.raises(TaskError):
            yield join(selecting)
        return mine

    mine = run(main())
    assert seen == [(0, "item"), mine]


def test_run_on_a_closed_driver_closes_the_coroutine_it_refuses():
    """The coroutine handed to a closed driver's ``run()`` is closed, never
    started: no "coroutine was never awaited" warning later."""
    async def work():                               # pragma: no cover - never runs
        await sleep(0)

    async def main():
        with Kernel() as kernel:
            driver = AsyncioDriver(kernel)
            driver.close()
            refused = work()
            with pytest.raises(RuntimeError, match="is closed"):
                await driver.run(refused)
            return inspect.getcoroutinestate(refused)

    assert asyncio_run(main()) == inspect.CORO_CLOSED


def test_cancelling_a_run_after_its_driver_was_closed_goes_on_at_once():
    """The driver closed (the kernel not), an awaiting ``run()`` cancelled:
    nothing will run the trampoline task's cleanup now, so
    ``CancelledError`` goes on at once rather than waiting for it."""
    async def main():
        with Kernel() as kernel:
            driver = AsyncioDriver(kernel)
            started = asyncio.get_running_loop().create_future()

            def waits():
                started.set_result(None)
                yield Event().wait()

            awaiting = asyncio.ensure_future(driver.run(waits()))
            await started
            driver.close()
            awaiting.cancel()
            await asyncio.wait([awaiting], timeout=5)
            return awaiting.cancelled()

    assert asyncio_run(main()) is True


def test_a_winner_that_raised_is_raised_and_not_also_logged(caplog):
    """The first branch to finish raised: select raises that error, and logs
    nothing -- the log is for losers' errors select could not raise."""
    def fails():
        yield sleep(0.01)
        raise ValueError("the winner's own")

    def main():
        with pytest.raises(ValueError, match="the winner's own"):
            yield select(Event().wait(), fails())
        return "raised"

    with caplog.at_level(logging.DEBUG, logger="trampoline"):
        assert run(main()) == "raised"
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_run_cancelled_while_its_task_finishes_regardless_logs_no_error(caplog):
    """The asyncio side cancelled while the trampoline task holds its
    cancellation off and then returns: ``CancelledError`` goes on after the
    task's end, and the task ends well -- its result goes nowhere, quietly
    (it crashed putting it into a cancelled future)."""
    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                started = asyncio.get_running_loop().create_future()
                release = Event()

                def holds_off():
                    with disable_cancellation():
                        started.set_result(None)
                        yield release.wait()
                    return "done anyway"

                awaiting = asyncio.ensure_future(driver.run(holds_off()))
                await started
                awaiting.cancel()
                await asyncio.sleep(0)
                release.set()
                await asyncio.wait([awaiting], timeout=5)
                return awaiting.cancelled()

    with caplog.at_level(logging.DEBUG, logger="trampoline"):
        assert asyncio_run(main()) is True
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_two_losers_cleanups_failed_select_raises_the_first_and_logs_the_second(caplog):
    """The winner returned; two losers' cleanups raised, one after the
    other: select raises the first loser's error and logs the second's
    (the log says select raised the first)."""
    first_failed = Event()

    def first_loser():
        try:
            yield Event().wait()
        finally:
            first_failed.set()
            raise KeyError("first")

    def second_loser():
        try:
            yield Event().wait()
        finally:
            yield first_failed.wait()
            raise LookupError("second")

    def main():
        with pytest.raises(LookupError) as raised:
            yield select(_after_a_moment("won"), second_loser(), first_loser())
        return raised.value

    with caplog.at_level(logging.DEBUG, logger="trampoline"):
        error = run(main())
    assert type(error) is KeyError and error.args == ("first",)
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in logged] == [
        "select branch 1 failed after another had won (select raised the first error)"]
    assert logged[0].exc_info[1].args == ("second",)


def test_a_run_whose_task_another_task_cancelled_raises_cancelled_error():
    """The trampoline task ``run()`` waits for is cancelled from the
    trampoline side (another task cancels it): the awaiting asyncio code
    gets ``CancelledError``, rather than waiting for ever for a result."""
    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                def waits():
                    yield Event().wait()

                def canceller():
                    victim = next(task for task in kernel.tasks() if task.name.endswith("waits"))
                    yield cancel(victim)

                awaiting = asyncio.ensure_future(driver.run(waits()))
                await asyncio.sleep(0)
                await driver.run(canceller())
                await asyncio.wait([awaiting], timeout=5)
                return awaiting.cancelled()

    assert asyncio_run(main()) is True


def test_a_run_whose_task_was_cancelled_before_it_ever_ran_raises_cancelled_error():
    """The trampoline task ``run()`` spawned is cancelled before its first
    step (a supervisor task cancels every task it finds): the awaiting
    asyncio code gets ``CancelledError`` at once, and the coroutine, never
    started, is closed.  (The cancellation was raised at the task's first
    step without a line of its body run, and ``run()`` waited for ever.)"""
    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                cancelled = []

                async def waits():                  # pragma: no cover - never runs
                    await Event().wait()

                def supervisor():
                    while not cancelled:
                        for task in kernel.tasks():
                            if task.name.endswith("waits"):
                                cancelled.append(task.state)
                                yield cancel(task)
                        yield sleep(0)

                kernel.spawn(supervisor())
                coro = waits()
                awaiting = asyncio.ensure_future(driver.run(coro))
                await asyncio.wait([awaiting], timeout=5)
                return cancelled, awaiting.cancelled(), inspect.getcoroutinestate(coro)

    assert asyncio_run(main()) == (["ready"], True, inspect.CORO_CLOSED)


# ================================================================ shield

def test_shield_of_a_single_trap_returns_the_traps_result():
    """``yield shield(read(sock, n))`` returns what the read got: a trap
    shielded is run as a task of its own, and its value comes back."""
    def main(ours, theirs):
        theirs.sendall(b"data")
        return (yield shield(read(ours, 4)))

    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        assert run(main(ours, theirs)) == b"data"


def test_shielded_work_failing_after_its_caller_was_cancelled_is_the_cancels_cause():
    """The caller is cancelled while the shielded work runs, and the work
    then fails: the caller gets its ``Cancelled`` with the work's error as
    ``__cause__`` (shield's promise), so the failure is not lost."""
    release = Event()
    got = []

    def work():
        yield release.wait()
        raise ValueError("the work failed")

    def caller():
        try:
            yield shield(work())
        except Cancelled as exc:
            got.append(exc)
            raise

    def main():
        kernel = yield current_kernel()
        calling = yield spawn(caller())
        yield until(lambda: len(kernel.tasks()) == 3)
        yield parked(*[task for task in kernel.tasks() if task.name.endswith(("caller", "work"))])
        yield cancel(calling, wait=False)
        release.set()
        with pytest.raises(TaskError):
            yield join(calling)

    run(main())
    [cancelled] = got
    assert type(cancelled.__cause__) is ValueError
    assert cancelled.__cause__.args == ("the work failed",)


def test_a_task_spawned_on_select_or_shield_is_named_for_it():
    """``spawn(select(...))`` and ``spawn(shield(...))`` make tasks named
    "select" and "shield" (what the trace, the monitor and the diagnostics
    of a waiting task show), not for the generators inside."""
    def main():
        release = Event()
        selecting = yield spawn(select(release.wait(), Event().wait()))
        shielding = yield spawn(shield(release.wait()))
        names = selecting.name, shielding.name
        release.set()
        yield join(selecting)
        yield join(shielding)
        return names

    assert run(main()) == ("select", "shield")
