"""What users of curio, trio and asyncio rely on: the seven bugs of issue 13.

Each case was translated from one of the peers' own test suites and failed
before the rules changed: a cancel that stays a cancel inside a timeout, a
cancelled child that is no failure, children's errors that never vanish, a
group that stays open while its children spawn siblings, a Condition that
insists on its lock, a notify that is never lost, and a task that never
blocks but can still be cancelled and timed out.

Virtual time throughout (no test sleeps for real), except where a real
descriptor (/dev/null, /dev/zero) is the point.
"""

import logging

import pytest

import trampoline
from trampoline import (Cancelled, Condition, call, TaskError, TaskGroup, TaskGroupError,
                        TaskTimeout, VirtualClock, cancel, current, ignore_after, join,
                        read, sleep, spawn, timeout_after, write)


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


def nap(seconds):
    yield sleep(seconds)


def settle(turns=20):
    """Let every other ready task run until it blocks."""
    for _ in range(turns):
        yield sleep(0)


# ------------------------------------------- 1. a cancel stays a cancel

def test_a_cancel_inside_timeout_after_whose_cleanup_outlasts_the_deadline_stays_a_cancel():
    log = []

    def work():
        try:
            yield sleep(10)
        except Cancelled:
            log.append("cancelled")
            yield sleep(5)          # cleanup that blocks past the deadline (t=1)
            log.append("cleanup finished")
            raise

    def guarded():
        return (yield timeout_after(1, work()))

    def main():
        task = yield spawn(guarded())
        yield sleep(0.5)
        yield cancel(task)
        return task

    task = run(main())
    assert task.cancelled
    assert isinstance(task.exception, Cancelled)
    assert not isinstance(task.exception, TaskTimeout)
    assert log == ["cancelled"]     # the deadline interrupted the cleanup


def test_a_cancel_inside_a_with_timeout_block_stays_a_cancel():
    def guarded():
        with timeout_after(1):
            try:
                yield sleep(10)
            finally:
                yield sleep(5)
        return "returned normally"

    def main():
        task = yield spawn(guarded())
        yield sleep(0.5)
        yield cancel(task)
        return task

    task = run(main())
    assert task.cancelled


# ------------------------------------- 2. a cancelled child is no failure

def test_cancelling_one_child_of_a_group_is_not_a_failure_of_the_group():
    def child(n):
        yield sleep(n)
        return n

    async def main():
        async with TaskGroup() as group:
            quick = await group.spawn(child(1))
            slow = await group.spawn(child(100))
            await sleep(2)
            await cancel(slow)
        return quick.result, slow.cancelled

    assert run(main()) == (1, True)


def test_cancel_remaining_inside_the_block_is_not_a_failure():
    async def main():
        async with TaskGroup() as group:
            await group.spawn(nap(100))
            await group.spawn(nap(100))
            await sleep(1)
            await group.cancel_remaining()
        return [task.cancelled for task in group.tasks]

    assert run(main()) == [True, True]


def test_join_returns_none_for_a_cancelled_child_in_generator_code():
    def child():
        yield sleep(1)
        return "done"

    def main():
        group = TaskGroup()
        done = yield group.spawn(child())
        doomed = yield group.spawn(nap(100))
        yield cancel(doomed)
        return (yield group.join()), done.result

    assert run(main()) == ([("done"), None], "done")


# ------------------------------------------- 3. children's errors vanish

def test_a_childs_error_is_raised_with_the_bodys_own_exception():
    def failing():
        yield sleep(1)
        raise ZeroDivisionError("child")

    async def main():
        async with TaskGroup() as group:
            await group.spawn(failing())
            await group.spawn(nap(100))
            try:
                await sleep(50)     # cancelled by the child's failure at t=1
            finally:
                raise KeyError("body")

    with pytest.raises(TaskGroupError) as caught:
        run(main())
    kinds = sorted(type(error).__name__ for error in caught.value.errors)
    assert kinds == ["KeyError", "ZeroDivisionError"]


def test_a_childs_error_is_logged_when_the_parent_is_cancelled(caplog):
    def failing():
        try:
            yield sleep(100)
        finally:
            raise ValueError("failed in cleanup")

    async def body():
        async with TaskGroup() as group:
            await group.spawn(failing())
            await sleep(100)

    def main():
        task = yield spawn(body())
        yield sleep(1)
        yield cancel(task)
        return task

    with caplog.at_level(logging.ERROR, logger="trampoline"):
        task = run(main())
    assert task.cancelled           # the cancel stays a cancel ...
    assert "failed in cleanup" in caplog.text   # ... and the error is not lost


# ---------------------------------- 4. a child can spawn a sibling at the end

def test_a_child_can_add_a_sibling_while_the_parent_waits_at_the_end_of_the_block():
    log = []

    def sibling():
        yield sleep(1)
        log.append("sibling ran")
        return "sibling"

    def child(group):
        yield sleep(1)
        yield group.spawn(sibling())
        return "child"

    async def main():
        async with TaskGroup() as group:
            await group.spawn(child(group))
        return [task.result for task in group.tasks]

    assert run(main()) == ["child", "sibling"]
    assert log == ["sibling ran"]


def test_a_group_that_has_finished_refuses_children_and_closes_them():
    def late():
        yield sleep(0)              # pragma: no cover - never runs

    async def main():
        async with TaskGroup() as group:
            pass
        coro = late()
        with pytest.raises(RuntimeError, match="finished"):
            await group.spawn(coro)
        return coro.gi_frame is None    # closed, not left to warn

    assert run(main()) is True


# ------------------------------------ 5. notify needs the lock, as everywhere

@pytest.mark.parametrize("method", ["notify", "notify_all"])
def test_notify_without_holding_the_lock_raises(method):
    def main():
        condition = Condition()
        with pytest.raises(RuntimeError, match="lock"):
            getattr(condition, method)()
        yield sleep(0)

    run(main())


# -------------------------------------------------- 6. no lost notify

def test_a_notified_waiter_cancelled_while_taking_the_lock_back_passes_the_notify_on():
    condition = Condition()
    woken = []

    async def waiter(name):
        async with condition:
            await condition.wait()
            woken.append(name)

    async def main():
        first = await spawn(waiter("first"))
        second = await spawn(waiter("second"))
        await call(settle())
        async with condition:
            condition.notify(1)         # wakes "first", which then waits for the lock
            await call(settle())
            await cancel(first, wait=False)     # cancelled while taking the lock back
        await join(second)
        return first.cancelled

    assert run(main()) is True
    assert woken == ["second"]


# ----------------------------------------- 7. a task that never blocks

def spinner(kind, log):
    if kind == "current":
        while True:
            yield current()
    elif kind == "dev-null":
        with open("/dev/null", "wb") as sink:
            while True:
                yield write(sink, b"x" * 64)
    else:
        with open("/dev/zero", "rb") as source:
            while True:
                log.append(len((yield read(source, 64))))


KINDS = ["current", "dev-null", "dev-zero"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_task_whose_traps_never_block_can_be_cancelled(kind):
    def main():
        task = yield spawn(spinner(kind, []))
        yield sleep(0)
        yield cancel(task)
        return task

    assert run(main()).cancelled


@pytest.mark.parametrize("kind", KINDS)
def test_a_task_whose_traps_never_block_can_be_timed_out(kind):
    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, spinner(kind, []))
        return "timed out"

    # Real time: the spinner never lets virtual time jump.
    assert trampoline.run(main()) == "timed out"


@pytest.mark.parametrize("kind", KINDS)
def test_a_spinning_task_is_cancelled_within_one_budget(kind):
    from trampoline.kernel import BUDGET
    log = []

    def main():
        task = yield spawn(spinner(kind, log))
        yield sleep(0)              # it runs one budget's worth
        before = len(log)
        yield cancel(task)
        return len(log) - before, task

    extra, task = run(main())
    assert task.cancelled
    assert extra <= BUDGET


def test_a_server_with_a_spinning_task_can_be_shut_down():
    def main():
        yield spawn(spinner("current", []))
        yield sleep(0)
        return "main returned"

    assert run(main()) == "main returned"      # shutdown cancels the spinner


def test_ignore_after_stops_a_spinning_task_in_async_code():
    async def main():
        async with ignore_after(0.01) as scope:
            while True:
                await current()
        return scope.expired

    assert trampoline.run(main()) is True


def test_cancelling_a_spinning_task_does_not_break_the_kernel():
    def main():
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(spinner("current", []))))
        yield sleep(0)
        for task in tasks:
            yield cancel(task, wait=False)
        for task in tasks:
            try:
                yield join(task)
            except TaskError:
                pass
        return [task.cancelled for task in tasks]

    assert run(main()) == [True, True, True]


def test_a_spinning_task_is_timed_out_within_one_budget_of_its_deadline():
    from trampoline.kernel import BUDGET
    clock = VirtualClock()
    after_deadline = []

    def spinner():
        while True:
            yield current()
            clock.advance(0.001)        # time passes only as the spinner spins
            if clock() > 1:
                after_deadline.append(clock())

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(1, spinner())

    trampoline.run(main(), clock=clock)
    assert 0 < len(after_deadline) <= BUDGET


def test_a_ctrl_c_in_the_middle_of_a_step_still_lets_that_task_clean_up(caplog):
    log = []

    class Interrupter:
        """An instrument that presses Ctrl-C as the worker's second step starts."""

        def __init__(self):
            self.steps = 0

        def task_step(self, task, value):
            if task.name == "worker":
                self.steps += 1
                if self.steps == 2:
                    raise KeyboardInterrupt

    def worker():
        try:
            yield sleep(1)
            yield sleep(1)
        except Cancelled:
            log.append("cancelled, cleaning up")
            raise

    def main():
        yield spawn(worker())
        yield sleep(10)

    with pytest.raises(KeyboardInterrupt):
        trampoline.run(main(), clock=VirtualClock(), instruments=[Interrupter()])
    assert log == ["cancelled, cleaning up"]
    assert "did not finish" not in caplog.text      # not abandoned after the grace
