"""timeout_after, ignore_after and how they nest.

The cases curio's issue tracker discusses: inner shorter, outer shorter,
both equal (the outer wins), a timeout during cleanup (the outer deadline
expiring inside the inner scope's cleanup), and an outer expiry that must
never be caught by an ``except TaskTimeout`` inside the inner scope.  Also:
a timeout on a single trap leaves no registration and no live alarm behind,
and expiries that land on a task just woken with a value.

The tests run on a ``VirtualClock``: sleeps and deadlines take no real
time, and every run goes the same way.  Where two things must happen "in
the same kernel turn", a task moves the clock forward without yielding
(``clock.advance``), so every deadline has passed when the kernel next looks
at its timers.  The two tests of a timeout on a socket trap use real time.
"""

import socket

import pytest

import trampoline
from trampoline import (Cancelled, Event, Kernel, Queue, TaskError, TaskTimeout,
                        TimeoutCancelled, VirtualClock, cancel, current, current_time,
                        disable_cancellation, ignore_after, ignore_at, join, read, shield,
                        sleep, spawn, timeout_after)
from trampoline.traps import current_kernel
from task_helpers import parked


# ------------------------------------------------------------- helpers

clock = None                        # this test's VirtualClock


@pytest.fixture(autouse=True)
def virtual_clock():
    global clock
    clock = VirtualClock()
    yield clock
    clock = None


def run(coro):
    """trampoline.run on this test's virtual clock."""
    return trampoline.run(coro, clock=clock)


def value(x):
    return x
    yield  # pragma: no cover


def slow(seconds, log=None, result="slow"):
    try:
        yield sleep(seconds)
    except BaseException as exc:
        if log is not None:
            log.append(("slow interrupted by", type(exc).__name__))
        raise
    finally:
        if log is not None:
            log.append("slow finally")
    return result


def live_alarms(kernel):
    """Timer-heap entries that can still go off (alarms have 4 fields)."""
    return [e for e in kernel._timers if e[2] is not None and len(e) == 4]


# ============================================================ basics

def test_task_timeout_is_a_timeout_error():
    assert issubclass(TaskTimeout, TimeoutError)
    assert issubclass(TimeoutCancelled, Cancelled)
    assert not issubclass(TimeoutCancelled, Exception)


def test_a_timeout_cancelled_made_by_hand_says_its_own_message():
    """Made by hand (no scope delivered it) it reads as any exception."""
    assert str(TimeoutCancelled("mine")) == "mine"
    assert str(TimeoutCancelled()) == ""
    assert TimeoutCancelled("mine").scope is None


def test_timeout_after_returns_the_result_when_fast():
    def main():
        a = yield timeout_after(1, value(42))
        b = yield timeout_after(1, slow(0.001))
        c = yield timeout_after(0, value("zero is fine when nothing blocks"))
        return a, b, c

    assert run(main()) == (42, "slow", "zero is fine when nothing blocks")


def test_timeout_after_raises_and_cancels_the_work_inside():
    log = []

    def main():
        start = clock()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.02, slow(1, log))
        return clock() - start

    elapsed = run(main())
    assert elapsed == pytest.approx(0.02)    # virtual time: exactly the deadline
    # Inside, the work saw a cancellation (not TaskTimeout) and cleaned up.
    assert log == [("slow interrupted by", "TimeoutCancelled"), "slow finally"]


def test_what_the_interrupted_work_sees_says_which_timeout_and_the_wrapper_is_named():
    """The cancellation thrown into the work names its limit (its message
    is made only when read), and ``timeout_after(s, coro)`` is a subroutine
    named after the timeout and the work -- what a task spawned with it is
    called."""
    seen = []

    def work():
        try:
            yield sleep(1)
        except TimeoutCancelled as exc:
            seen.extend([str(exc), repr(exc), exc.scope.deadline])
            raise

    def main():
        wrapped = timeout_after(0.25, work())
        task = yield spawn(wrapped)
        try:
            yield join(task)
        except TaskError as exc:
            assert isinstance(exc.__cause__, TaskTimeout)
        return task.name, ignore_after(None, work()).__qualname__

    name, other = run(main())
    assert name.endswith("timeout_after(0.25, work)")
    assert other.startswith("ignore_after(None, test_") and other.endswith(".<locals>.work)")
    assert seen == ["timed out: not finished within 0.25 s",
                    "TimeoutCancelled('timed out: not finished within 0.25 s')",
                    pytest.approx(0.25)]


def test_the_work_cannot_catch_the_timeout_with_except_exception():
    log = []

    def work():
        try:
            yield sleep(1)
        except Exception:               # must not see the timeout
            log.append("swallowed")
        return "finished"

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, work())

    run(main())
    assert log == []


def test_alarm_is_cleared_when_the_work_finishes_in_time():
    def main():
        k = yield current_kernel()
        for _ in range(50):
            yield timeout_after(0.02, slow(0))
        assert live_alarms(k) == []
        yield sleep(0.04)               # past every deadline: nothing goes off
        return "alive"

    assert run(main()) == "alive"


def test_alarm_is_cleared_when_the_work_fails():
    def failing():
        yield sleep(0)
        raise KeyError("boom")

    def main():
        k = yield current_kernel()
        with pytest.raises(KeyError):
            yield timeout_after(0.02, failing())
        assert live_alarms(k) == []
        yield sleep(0.04)
        return "alive"

    assert run(main()) == "alive"


def test_ignore_after_default_is_none():
    def main():
        return (yield ignore_after(0.01, slow(1)))

    assert run(main()) is None


def test_ignore_after_custom_default_and_result():
    def main():
        a = yield ignore_after(0.01, slow(1), default="gave up")
        b = yield ignore_after(1, value("done"), default="gave up")
        return a, b

    assert run(main()) == ("gave up", "done")


def test_ignore_after_cancels_the_work():
    log = []

    def main():
        yield ignore_after(0.01, slow(1, log))

    run(main())
    assert log == [("slow interrupted by", "TimeoutCancelled"), "slow finally"]


def test_explicit_cancel_inside_a_timeout_is_a_cancel_not_a_timeout():
    outcome = []

    def victim():
        try:
            yield timeout_after(1, sleep(1))
        except TaskTimeout:
            outcome.append("timeout")
        except Cancelled as exc:
            outcome.append(type(exc).__name__)
            raise

    def main():
        k = yield current_kernel()
        v = yield spawn(victim())
        yield parked(v)
        yield cancel(v)
        assert v.cancelled
        assert live_alarms(k) == []

    run(main())
    assert outcome == ["Cancelled"]


def test_timeouts_from_async_def():
    async def aslow(seconds):
        await sleep(seconds)
        return "aslow"

    async def main():
        with pytest.raises(TaskTimeout):
            await timeout_after(0.01, aslow(1))
        a = await timeout_after(1, aslow(0))
        b = await ignore_after(0.01, aslow(1), default="default")
        c = await ignore_after(0.01, sleep(1))
        d = await timeout_after(1, slow(0))     # a generator, from async def
        return a, b, c, d

    assert run(main()) == ("aslow", "default", None, "slow")


# ======================================================== a single trap

def test_timeout_on_a_single_read_trap_leaves_no_registration():
    a, b = socket.socketpair()
    try:
        def reader(sock):
            return (yield read(sock, 10))

        def main():
            k = yield current_kernel()
            with pytest.raises(TaskTimeout):
                yield timeout_after(0.05, read(a, 10))
            fd = a.fileno()
            reg = k._fds.get(fd)
            assert reg is None or (reg.reader is None and reg.writer is None)
            assert live_alarms(k) == []
            # Nobody is still waiting on it: another task may read it now.
            t = yield spawn(reader(a))
            yield parked(t)
            b.send(b"hello")
            data = yield join(t)
            assert (yield ignore_after(0.02, read(a, 10))) is None
            return data

        with Kernel() as k:
            assert k.run(main()) == b"hello"
            assert k._fds == {}
            assert live_alarms(k) == []
    finally:
        a.close()
        b.close()


def test_timeout_on_a_single_trap_returns_its_value():
    a, b = socket.socketpair()
    try:
        def main():
            b.send(b"ready")
            return (yield timeout_after(0.5, read(a, 10)))

        with Kernel() as k:
            assert k.run(main()) == b"ready"
            assert k._fds == {}
    finally:
        a.close()
        b.close()


def test_timeout_on_a_sleep_trap():
    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, sleep(1))
        return (yield timeout_after(1, sleep(0)))

    assert run(main()) is None


# ============================================================= nesting

def test_nested_inner_shorter_raises_in_the_inner_scope():
    log = []

    def middle():
        try:
            yield timeout_after(0.01, slow(1))
        except TaskTimeout:
            log.append("inner timeout")
        yield sleep(0)
        return "middle finished"

    def main():
        result = yield timeout_after(0.5, middle())
        yield sleep(0.01)               # the outer alarm was cleared too
        return result

    assert run(main()) == "middle finished"
    assert log == ["inner timeout"]


def test_nested_outer_shorter_is_never_caught_by_the_inner_scope():
    log = []

    def middle():
        try:
            yield timeout_after(1, slow(1, log))
        except TaskTimeout:
            log.append("inner scope caught TaskTimeout")
            return "wrong"
        except Exception:
            log.append("inner scope caught Exception")
            return "wrong"
        return "finished"

    def main():
        try:
            yield timeout_after(0.01, middle())
        except TaskTimeout:
            return "outer timeout"
        return "no timeout"

    assert run(main()) == "outer timeout"
    assert log == [("slow interrupted by", "TimeoutCancelled"), "slow finally"]


def test_nested_outer_shorter_through_ignore_after():
    """An inner ignore_after must not turn the outer expiry into its default."""
    log = []

    def middle():
        result = yield ignore_after(1, slow(1), default="inner default")
        log.append(result)
        return result

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, middle())

    run(main())
    assert log == []


def test_nested_equal_deadlines_the_outer_wins():
    log = []

    def middle():
        try:
            yield timeout_after(0.02, slow(1))
        except TaskTimeout:
            log.append("inner")
            return "inner"
        return "finished"

    def main():
        try:
            yield timeout_after(0.02, middle())
        except TaskTimeout:
            return "outer"
        return "none"

    assert run(main()) == "outer"
    assert log == []


def test_nested_equal_deadlines_expiring_in_the_same_turn_the_outer_wins():
    """Both deadlines are certainly past when the kernel next looks: the
    outer (set first) must win, and the inner must not fire afterwards."""
    log = []

    def middle():
        try:
            yield timeout_after(0.01, blocked_then_wait())
        except TaskTimeout:
            log.append("inner")
            return "inner"
        return "finished"

    def blocked_then_wait():
        clock.advance(0.03)             # both deadlines pass, kernel stuck
        yield sleep(0)
        yield sleep(1)

    def main():
        try:
            yield timeout_after(0.01, middle())
        except TaskTimeout:
            yield sleep(0.02)           # no stray inner expiry arrives here
            return "outer"
        return "none"

    assert run(main()) == "outer"
    assert log == []


def test_cleanup_that_blocks_inside_an_expired_scope_is_cancelled_again():
    """Level-triggered: the inner scope has expired, so a blocking trap in
    the inner work's cleanup is interrupted at once by the same scope's
    cancellation -- the cleanup cannot outlast the inner deadline, and the
    inner scope raises its TaskTimeout at 0.01 (the outer never expires)."""
    log = []

    def work():
        try:
            yield sleep(1)
        finally:
            log.append("cleanup start")
            yield sleep(0.5)            # interrupted at once: the scope expired
            log.append("cleanup end")

    def middle():
        try:
            yield timeout_after(0.01, work())
        except TaskTimeout:
            log.append("inner TaskTimeout")
            return "inner"
        return "finished"

    def main():
        start = clock()
        try:
            result = yield timeout_after(0.05, middle())
        except TaskTimeout:
            return "outer", clock() - start
        return result, clock() - start

    result, elapsed = run(main())
    assert result == "inner"
    assert log == ["cleanup start", "inner TaskTimeout"]
    assert elapsed == pytest.approx(0.01)


def test_timeout_during_cleanup_outer_expires_in_inner_fallback():
    """The inner scope's ``except TaskTimeout`` handler does slow fallback
    work; the outer deadline expires there and is not swallowed."""
    log = []

    def middle():
        try:
            yield timeout_after(0.01, slow(1))
        except TaskTimeout:
            log.append("fallback")
            try:
                yield sleep(0.5)        # outer expires here
            except TaskTimeout:
                log.append("outer caught as TaskTimeout inside")
                return "wrong"
            log.append("fallback finished")
        return "finished"

    def main():
        try:
            yield timeout_after(0.05, middle())
        except TaskTimeout:
            return "outer"
        return "none"

    assert run(main()) == "outer"
    assert log == ["fallback"]


def test_three_levels_the_middle_expires():
    log = []

    def innermost():
        try:
            yield timeout_after(1, slow(1))
        except TaskTimeout:
            log.append("innermost caught")
            raise

    def middle():
        try:
            yield timeout_after(0.02, innermost())
        except TaskTimeout:
            log.append("middle caught")
            return "middle"

    def main():
        result = yield timeout_after(1, middle())
        yield sleep(0.02)
        return result

    assert run(main()) == "middle"
    assert log == ["middle caught"]


def test_inner_timeout_retried_inside_an_outer_deadline():
    """The classic retry loop: short inner attempts, an outer budget."""
    attempts = []

    def attempt_loop():
        for _ in range(50):             # bounded: ~0.5 s, far past the outer budget
            try:
                yield timeout_after(0.01, slow(1))
            except TaskTimeout:
                attempts.append("retry")
        return "outer deadline never came"

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.06, attempt_loop())

    run(main())
    assert len(attempts) >= 2


def test_outer_expiry_while_the_inner_expiry_is_pending_is_not_lost():
    """The task is woken with an item (a queue put) in the same kernel turn
    as both its inner and its outer deadline pass.  The inner scope may
    return the item it got; but the outer deadline has passed, so the next
    blocking call in the outer scope must be interrupted."""
    log = []

    def work(q):
        item = yield timeout_after(0.01, q.get())     # inner
        log.append(("inner returned", item))
        yield sleep(0.1)                # outer deadline long past
        log.append("outer deadline ignored")

    def outer(q):
        try:
            yield timeout_after(0.02, work(q))
        except TaskTimeout:
            return "outer timeout"
        return "no timeout"

    def main():
        q = Queue()
        t = yield spawn(outer(q))
        yield parked(t)
        clock.advance(0.04)             # both deadlines pass, kernel stuck
        q.put_nowait("item")            # wakes t with the item, same turn
        return (yield join(t)), q.qsize()

    result, left = run(main())
    assert "outer deadline ignored" not in log
    assert result == "outer timeout"
    assert left + len([e for e in log if e[0] == "inner returned"]) == 1


def test_cancel_arriving_after_a_pending_expiry_is_not_lost():
    """A task is woken with an item as its timeout expires (the expiry is
    then pending); a cancel() that arrives next must still cancel it.  It
    came inside the scope, so the scope raises it at its exit (a cancel
    stays a cancel, as asyncio's timeout lets a second cancel out): the
    ``except TaskTimeout`` does not see a timeout first."""
    log = []

    def victim(q):
        try:
            item = yield timeout_after(0.01, q.get())
            log.append(("got", item))
        except TaskTimeout:
            log.append("timeout")
        try:
            yield sleep(0.1)
        except Cancelled:
            log.append("cancelled")
            raise
        log.append("cancel lost")

    def canceller(ev, target):
        yield ev.wait()
        yield cancel(target, wait=False)

    def main():
        q = Queue()
        ev = Event()
        v = yield spawn(victim(q))
        yield parked(v)
        c = yield spawn(canceller(ev, v))
        yield parked(c)
        clock.advance(0.03)             # the victim's deadline passes
        ev.set()                        # the canceller runs first next turn
        q.put_nowait("item")            # the victim is woken with the item
        yield join(c)
        try:
            yield join(v)
        except TaskError:
            pass
        return v.cancelled

    assert run(main()) is True
    assert log == []                    # ("cancel lost" would be in it)


def test_timeout_inside_spawned_tasks_are_independent():
    """Each task's alarms are its own: one task's expiry never lands in another."""
    def quick():
        return (yield timeout_after(1, slow(0.01, result="quick")))

    def doomed():
        try:
            yield timeout_after(0.01, slow(1))
        except TaskTimeout:
            return "doomed timed out"

    def main():
        a = yield spawn(quick())
        b = yield spawn(doomed())
        return (yield join(a)), (yield join(b))

    assert run(main()) == ("quick", "doomed timed out")


def test_timeout_is_exported():
    for name in ["timeout_after", "ignore_after", "TaskTimeout", "TimeoutCancelled"]:
        assert hasattr(trampoline, name)


def test_nested_timeouts_in_async_def():
    async def inner():
        try:
            await timeout_after(0.01, sleep(1))
        except TaskTimeout:
            return "inner expired"
        return "inner finished"

    async def outer_shorter():
        await timeout_after(1, sleep(1))

    async def main():
        a = await timeout_after(0.5, inner())
        try:
            await timeout_after(0.01, outer_shorter())
        except TaskTimeout:
            b = "outer expired"
        return a, b

    assert run(main()) == ("inner expired", "outer expired")


# ============================================ changing a scope's deadline
#
# trio's CancelScope.deadline (test_run.py, test_basic_timeout: "changing
# deadline") and asyncio's Timeout.reschedule (test_timeouts.py,
# test_reschedule): a scope's deadline may be moved while the block runs.

def test_a_deadline_moved_into_the_past_interrupts_the_next_blocking_trap():
    def main():
        start = current_time()
        with ignore_after(None) as scope:
            yield sleep(0)
            scope.deadline = start + 10
            yield sleep(5)
            scope.deadline = start + 1          # already past
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)
            with pytest.raises(TimeoutCancelled):
                yield sleep(0)                  # and again: level-triggered
        return scope.expired, scope.deadline, current_time() - start

    assert run(main()) == (True, 1, 5)


def test_a_deadline_moved_earlier_or_later_is_the_one_that_goes_off():
    def moved(to):
        start = current_time()
        with pytest.raises(TaskTimeout):
            with timeout_after(10) as scope:
                scope.deadline = start + to
                yield sleep(100)
        return current_time() - start

    def main():
        return (yield moved(2)), (yield moved(30))

    assert run(main()) == (2, 30)


def test_a_deadline_rescheduled_by_another_task_then_removed():
    """asyncio's test_reschedule: another task moves the deadline later,
    then takes it away; the block is cancelled instead, not expired."""
    entered = Event()
    scopes = []

    def f(deadline):
        with ignore_at(deadline) as scope:
            scopes.append(scope)
            entered.set()
            yield sleep(50)

    def main():
        deadline1 = current_time() + 10
        task = yield spawn(f(deadline1))
        yield entered.wait()
        scope = scopes[0]
        assert scope.deadline == deadline1
        scope.deadline = deadline1 + 20
        assert scope.deadline == deadline1 + 20
        scope.deadline = None
        yield sleep(40)                     # both deadlines are long past
        assert task.state == "parked"
        yield cancel(task)
        kernel = yield current_kernel()
        return task.cancelled, scope.expired, live_alarms(kernel)

    assert run(main()) == (True, False, [])


def test_a_scope_set_before_its_block_keeps_the_deadline_it_was_given():
    def main():
        scope = timeout_after(100)
        scope.deadline = current_time() + 1     # (now absolute)
        yield sleep(3)
        with pytest.raises(TaskTimeout, match="deadline"):
            with scope:
                yield sleep(10)
        return current_time()

    assert run(main()) == 3


def test_a_deadline_that_went_off_stays_gone_off_wherever_it_is_moved():
    """trio's rule: once a scope's deadline has passed and it has begun
    cancelling, moving the deadline later (or away) does not undo it."""
    def main():
        log = []
        with ignore_after(1) as scope:
            try:
                yield sleep(5)
            except TimeoutCancelled:
                log.append("interrupted")
            scope.deadline = None
            try:
                yield sleep(5)
            except TimeoutCancelled:
                log.append("interrupted again")
        kernel = yield current_kernel()
        return log, scope.expired, live_alarms(kernel)

    assert run(main()) == (["interrupted", "interrupted again"], True, [])


@pytest.mark.parametrize("moved_by", [100, None])
def test_a_swallowed_expiry_is_reported_at_the_exit_after_the_deadline_moved(moved_by):
    def main():
        with pytest.raises(TaskTimeout, match=r"deadline \(1 on"):
            with timeout_after(1) as scope:
                try:
                    yield sleep(5)
                except TimeoutCancelled:
                    pass
                scope.deadline = moved_by and scope.deadline + moved_by
        return scope.expired

    assert run(main()) is True


@pytest.mark.parametrize("order", ["shield, then move", "move, then shield"])
def test_a_swallowed_expiry_stays_reported_when_a_shield_and_a_move_come_after(order):
    """The work swallows its scope's cancellation, then shields some work
    (which hands back the cancellation that came at its wait) and moves the
    deadline, in either order: the block is timed out all the same, as
    without the move.  The first delivery's mark was on the alarm the move
    replaced -- or on the exception's frames, which the shield then wiped --
    and the block ended as finished."""
    def body(scope):
        try:
            yield sleep(2)
        except TimeoutCancelled:
            pass
        for step in order.split(", then "):
            if step == "shield":
                assert (yield shield(value(42))) == 42
            else:
                scope.deadline = scope.deadline + 10

    def main():
        with ignore_after(1) as scope:
            yield from body(scope)
        with pytest.raises(TaskTimeout):
            with timeout_after(1) as failing:
                yield from body(failing)
        return scope.expired, current_time()

    assert run(main()) == (True, 2)


@pytest.mark.parametrize("first, blocks_between", [(10, False), (None, True)])
def test_a_deadline_that_went_off_interrupts_every_blocking_trap_however_often_it_is_moved(
        first, blocks_between):
    """trio's rule (a cancelled scope stays cancelled, wherever its deadline
    goes): moved twice after it went off -- later or away, then later --
    the deadline still interrupts every blocking trap.  The second move set
    an alarm at the first move's deadline: the block slept 5 s through
    (or, the first move having been to None, the second raised TypeError
    from set_alarm)."""
    def main():
        interrupted = []
        with ignore_after(1) as scope:
            try:
                yield sleep(2)
            except TimeoutCancelled:
                interrupted.append(current_time())
            scope.deadline = first
            if blocks_between:
                try:
                    yield sleep(0)
                except TimeoutCancelled:
                    interrupted.append(current_time())
            scope.deadline = 20
            try:
                yield sleep(5)
            except TimeoutCancelled:
                interrupted.append(current_time())
        return interrupted, scope.expired

    assert run(main()) == ([1, 1, 1] if blocks_between else [1, 1], True)


def test_a_scope_whose_deadline_went_off_and_was_moved_away_still_takes_its_cancellation():
    """The deadline goes off, and while its cancellation unwinds the block a
    ``finally`` moves the deadline later, then away: the scope still owns
    the cancellation at its exit (``ignore_after`` expires, nothing goes
    on).  Its own ``TimeoutCancelled`` escaped the block: the second move
    cleared the alarm the first had set, and the scope forgot it had one."""
    def main():
        with ignore_after(1) as scope:
            try:
                yield sleep(5)
            finally:
                scope.deadline = 100
                scope.deadline = None
        return scope.expired, current_time()

    assert run(main()) == (True, 1)


def test_an_outer_deadline_that_went_off_still_comes_first_after_it_is_moved():
    """Both deadlines pass while the work defers cancellation; the outer
    scope's deadline is then moved.  At the next blocking trap the outer
    one's cancellation is thrown in (the outer owns an expiry: trio's rule,
    and ours without the move).  The move took the outer alarm out of the
    pending ones until the next turn: the inner's was thrown in."""
    def main():
        got = []
        with ignore_after(1) as outer:
            with ignore_after(2):
                with disable_cancellation():
                    yield sleep(3)
                outer.deadline = 50
                try:
                    yield sleep(0)
                except TimeoutCancelled as exc:
                    got.append("outer's" if exc.scope is outer else "inner's")
                    raise
        return got, outer.expired

    assert run(main()) == (["outer's"], True)


@pytest.mark.parametrize("first", ["a deadline", "a deadline moved to None", "no deadline"])
def test_an_outer_deadline_moved_before_it_went_off_still_comes_first(first):
    """The outer scope's deadline is moved (earlier; or to None, then set
    again; or set, the scope entered with none) before it goes off, while
    an inner scope is open; both then pass as the work defers cancellation.
    The outer one's cancellation is the one thrown in: the outer scope owns
    the expiry (trio's rule, for which a scope with no deadline is one whose
    deadline is infinite), as without the move.  The moved deadline's new
    alarm ranked after the inner scope's (alarms ranked by when they were
    set): the inner one's was thrown in (seed 61666 of
    test_timeouts_random_vs_trio's extended programs; with a move to None
    first, seed 232823's case; a scope entered with no deadline got no
    place in that order until it had one)."""
    def main():
        got = []
        with ignore_after(None if first == "no deadline" else 10) as outer:
            with ignore_after(2) as inner:
                if first == "a deadline moved to None":
                    outer.deadline = None
                outer.deadline = current_time() + 1
                with disable_cancellation():
                    yield sleep(3)
                try:
                    yield sleep(0)
                except TimeoutCancelled as exc:
                    got.append("outer's" if exc.scope is outer else "inner's")
                    raise
            got.append("after the inner block")
        return got, outer.expired, inner.expired

    assert run(main()) == (["outer's"], True, True)     # (as without the move)


def test_a_bad_deadline_is_refused_and_changes_nothing():
    def main():
        with ignore_after(1) as scope:
            with pytest.raises(TypeError):
                scope.deadline = "soon"
            with pytest.raises(ValueError):
                scope.deadline = float("nan")
            yield sleep(5)
        return scope.expired, scope.deadline

    assert run(main()) == (True, 1)


def test_an_inner_timeout_left_uncaught_passes_an_outer_scope_unchanged():
    """curio's test_nested_timeout_uncaught, where this is an
    UncaughtTimeoutError; here, as in asyncio and trio, the inner scope's
    TaskTimeout reaches the caller, and the outer scope has not expired."""
    def child():
        yield timeout_after(1, slow(5))

    def main():
        with pytest.raises(TaskTimeout, match="within 1 s") as caught:
            with timeout_after(10) as outer:
                yield child()
        return outer.expired, type(caught.value.__cause__)

    assert run(main()) == (False, TimeoutCancelled)


def test_a_timeout_in_the_cleanup_after_a_caught_cancel_is_a_timeout():
    """asyncio's test_timeout_after_cancellation and
    test_cancel_in_timeout_after_cancellation: a cancel caught earlier does
    not make a later scope's expiry a cancel; a new cancel inside it does."""
    def cleanup_after_a_cancel(cancel_again):
        me = yield current()
        try:
            yield cancel(me, wait=False)
            yield sleep(1)              # work which will be cancelled
        except Cancelled:
            pass
        try:
            with timeout_after(0.5):
                if cancel_again:
                    yield cancel(me, wait=False)
                yield sleep(1)          # some cleanup
        except TaskTimeout:
            return "timeout"
        except Cancelled:
            return "cancelled"

    def main():
        return (yield cleanup_after_a_cancel(False)), (yield cleanup_after_a_cancel(True))

    assert run(main()) == ("timeout", "cancelled")


@pytest.mark.parametrize("make", [
    lambda coro: timeout_after(5, coro),
    lambda coro: ignore_after(5, coro),
    lambda coro: trampoline.timeout_at(1e9, coro),
    lambda coro: ignore_at(1e9, coro),
], ids=["timeout_after", "ignore_after", "timeout_at", "ignore_at"])
def test_a_timeout_dropped_before_it_ran_closes_its_coroutine(make):
    """Yielded as its task's budget ran out, then dropped by a cancellation
    (an expired outer timeout) before it ran: its coroutine never started,
    and was left for Python to warn "coroutine ... was never awaited".  It
    is closed now, as a dropped spawn's is.  One made and forgotten (no
    ``yield``) still leaves its coroutine to that warning."""
    import gc
    import warnings

    from trampoline.kernel import BUDGET

    async def work():                   # pragma: no cover - never runs
        await sleep(1)

    made = []

    def main():
        try:
            with timeout_after(0):
                for _ in range(BUDGET - 1):
                    yield current()
                made.append(work())
                yield make(made[0])     # the budget's last trap: deferred, dropped
        except TaskTimeout:
            pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(main())
        closed = made[0].cr_frame is None
        made.clear()
        for _ in range(3):
            gc.collect()
    assert closed
    assert not [w for w in caught if "never awaited" in str(w.message)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make(work())                    # forgotten: no yield
        for _ in range(3):              # (PyPy: the timeout's generator, then its coroutine)
            gc.collect()
    assert ["coroutine 'test_a_timeout_dropped_before_it_ran_closes_its_coroutine.<locals>."
            "work' was never awaited" in str(w.message) for w in caught] == [True]


def test_an_expired_timeout_delivered_again_carries_only_its_last_delivery_s_frames():
    """An expired timeout's exception comes at every blocking trap of its
    scope, the same object each time.  Its traceback is that of where it came
    last -- not every earlier delivery's frames stacked up before it, which
    read as one impossible call chain and kept those frames alive."""
    import traceback

    def nap(seconds):
        yield sleep(seconds)

    def main():
        depths = []
        with pytest.raises(TaskTimeout) as raised:
            with timeout_after(1):
                for _ in range(3):
                    try:
                        yield nap(10)
                    except TimeoutCancelled as exc:
                        depths.append(len(traceback.extract_tb(exc.__traceback__)))
                yield sleep(10)                 # LAST-DELIVERY
        return depths, raised.value.__cause__

    depths, cause = run(main())
    assert depths == [2, 2, 2]
    [frame] = traceback.extract_tb(cause.__traceback__)
    assert "LAST-DELIVERY" in frame.line


# ------------------------------------- what the work got stands (trio's rule)

def test_a_select_whose_branch_won_as_the_deadline_passed_returns_the_item_through_the_timeout():
    """The deadline passes while ``select`` waits; a branch takes the queued
    item before ``select`` sees the cancellation.  ``select`` returns the
    item (it is not lost), and the timeout around it returns it too: it
    raised ``TaskTimeout``, and the item was gone from the queue and from
    everyone's hands."""
    def main():
        queue = Queue()
        yield queue.put("item")
        got = yield timeout_after(0, trampoline.select(queue.get(), sleep(10)))
        return got, queue.qsize()

    assert run(main()) == ((0, "item"), 0)


def test_a_timeout_deferred_to_the_end_of_its_block_does_not_undo_the_block():
    """The deadline passes while the work defers cancellation, and the block
    ends without blocking again: the cancellation never reached the work, so
    the block ends as finished (trio's shielded scope, curio's rule), not
    expired.  One more blocking trap in the block, and it is thrown in
    there: level-triggered as ever."""
    def main():
        log = []
        with ignore_after(1) as scope:
            with trampoline.disable_cancellation():
                yield sleep(2)
            log.append("block done")
        log.append(("expired", scope.expired, current_time()))
        with ignore_after(1) as scope:
            with trampoline.disable_cancellation():
                yield sleep(2)
            log.append("block goes on")
            yield sleep(0)                  # the deadline comes here
            log.append("not reached")
        log.append(("expired", scope.expired, current_time()))
        return log

    assert run(main()) == ["block done", ("expired", False, 2),
                           "block goes on", ("expired", True, 4)]


def test_a_swallowed_timeout_still_times_the_block_out():
    """The rule above is for a cancellation that never reached the work:
    work that catches it and ends the block quietly still raises
    ``TaskTimeout`` (this library's stricter rule)."""
    def main():
        with timeout_after(1):
            try:
                yield sleep(10)
            except TimeoutCancelled:
                pass
        return "finished"

    with pytest.raises(TaskTimeout):
        run(main())
