"""Task semantics against the peers' own test suites: cases from curio's
``tests/test_kernel.py`` and ``tests/test_task.py`` and trio's
``_core/_tests/test_run.py`` (the parts about tasks, checkpoints, the order
of scheduling, errors in tasks and KeyboardInterrupt), translated to our
API.  Each test's docstring names the peer's case.

Cases already translated elsewhere are not repeated here; the report that
came with this file maps them (test_tasks.py, test_peer_rules*.py,
test_cancel_rules.py, test_kernel*.py).  Tasks wait for each other with
events, joins and ``parked`` -- never a timed sleep -- and on the virtual
clock where time matters.
"""

import contextvars
import logging
import socket
import sys
import weakref

import pytest

import trampoline
from trampoline import (Cancelled, Event, Queue, TaskError, TaskTimeout, VirtualClock, cancel,
                        current, current_task, current_time, disable_cancellation, join, read,
                        sleep, spawn, timeout_after, write)
from trampoline.task import CRASH_REPORT
from drop_helpers import collect_harder
from task_helpers import parked, until


#: Whether generator.throw() chains the exception thrown in to the one the
#: generator is handling (CPython 3.9+, bpo-29587; not 3.8 nor PyPy 3.9).
THROW_CHAINS = sys.version_info >= (3, 9) and sys.implementation.name == "cpython"


def run(coro, clock=None):
    return trampoline.run(coro, clock=clock or VirtualClock())


# ============================================================ running main

def test_run_returns_mains_value_and_raises_its_exact_exception():
    """curio ``test_hello``, ``test_raise``, ``test_task_run_error``; trio
    ``test_basic``, ``test_initial_task_error``: the main coroutine's value
    comes back from run(), its exception comes out as itself, args intact."""
    def trivial(x):
        yield sleep(0)
        return x

    class Error(Exception):
        pass

    def boom(x):
        raise Error(x)
        yield

    assert run(trivial(8)) == 8
    with pytest.raises(Error) as info:
        run(boom(17))
    assert info.value.args == (17,)


def test_run_of_something_not_a_coroutine_is_a_type_error():
    """trio ``test_basic`` / ``test_nice_error_on_bad_calls_to_run_or_spawn``:
    run(lambda: None) and run(an async function not called) are TypeErrors
    naming what was given (trio asks for the function; we for its call)."""
    async def f():
        pass

    with pytest.raises(TypeError, match=r"got the function \S*<lambda> itself; call it"):
        run(lambda: None)
    with pytest.raises(TypeError,
                       match=r"got the function \S*\bf itself; call it: run\(f\(...\)\)"):
        run(f)


def test_run_or_spawn_of_an_async_generator_says_it_is_one():
    """trio ``test_nice_error_on_bad_calls_to_run_or_spawn``: run() or spawn()
    of an async generator (an ``async def`` with a ``yield``) is a TypeError
    that says it is an async generator -- not that its function had no
    yield in it, as it said."""
    async def agen(x):
        yield x

    for make in (lambda: agen(0), lambda: _spawns(agen(0))):
        with pytest.raises(TypeError) as info:
            run(make())
        assert "async generator" in str(info.value)
        assert "no yield" not in str(info.value)


def _spawns(coro):
    yield spawn(coro)


def test_an_async_generator_yielded_in_a_task_is_told_how_to_iterate_it():
    """trio ``test_nice_error_on_bad_calls_to_run_or_spawn``, for the
    trampoline's own way in: an async generator yielded as if it were a
    subroutine is a TypeError at that yield, saying what it is and that it
    is iterated with ``async for``."""
    async def agen(x):
        yield x

    def main():
        with pytest.raises(TypeError, match=r"an async generator \(an async def with a yield "
                           r"in it\) cannot run as a subroutine or a task; iterate it with "
                           r"'async for'"):
            yield agen(0)
        return "went on"

    assert run(main()) == "went on"

def test_system_exit_from_main_comes_out_of_run():
    """curio ``test_kernel_exit``: ``raise SystemExit`` in main leaves run()
    as SystemExit, and the kernel is closed."""
    def main():
        yield sleep(0)
        raise SystemExit(3)

    kernel = trampoline.Kernel(clock=VirtualClock())
    with pytest.raises(SystemExit) as info:
        with kernel:
            kernel.run(main())
    assert info.value.code == 3


def test_system_exit_in_a_child_task_cancels_the_rest_and_comes_out_of_run():
    """trio ``test_system_task_crash_KeyboardInterrupt`` (a task other than
    main raises a BaseException that stops the program), with SystemExit: it
    leaves run() as itself, and every other task's cleanup runs first.
    (The KeyboardInterrupt form is in test_tasks.py.)"""
    log = []

    def bystander():
        try:
            yield sleep(100)
        finally:
            log.append("bystander cleaned up")

    def quitter():
        yield sleep(1)
        raise SystemExit("bye")

    def main():
        yield spawn(bystander())
        yield spawn(quitter())
        try:
            yield sleep(100)
        finally:
            log.append("main cleaned up")

    with pytest.raises(SystemExit, match="bye"):
        run(main())
    assert sorted(log) == ["bystander cleaned up", "main cleaned up"]


# ============================================================ time

def test_sleep_and_current_time_on_the_virtual_clock():
    """curio ``test_sleep``, ``test_clock``; trio
    ``test_current_time_with_mock_clock``: a sleep moves the kernel's clock
    on by at least its time; a clock moved by hand is what current_time()
    says."""
    clock = VirtualClock()

    def main():
        start = current_time()
        assert start == clock()
        yield sleep(0.5)
        assert current_time() - start >= 0.5
        clock.advance(3.15)
        assert current_time() == clock() == pytest.approx(start + 0.5 + 3.15)

    run(main(), clock)


def test_a_block_that_overran_its_deadline_without_blocking_is_not_timed_out():
    """curio ``test_timeout_badness``: a ``timeout_after`` block whose body
    never blocks but takes longer than the deadline (a blocking call) ends
    normally -- there was no blocking trap to interrupt (trio and asyncio
    agree: no checkpoint, no Cancelled)."""
    clock = VirtualClock()

    def main():
        with timeout_after(0.1):
            clock.advance(0.2)          # time.sleep(0.2): the loop is blocked
        yield sleep(0)                  # and nothing is pending after the block
        return "went on"

    assert run(main(), clock) == "went on"


def test_the_first_checkpoint_after_the_deadline_raises():
    """trio ``test_yield_briefly_checks_for_timeout``: inside a deadline,
    a ``sleep(0)`` after the clock has passed it raises -- the task's own
    passing of the processor is a checkpoint, though it went straight back
    on the ready queue."""
    clock = VirtualClock()

    def main():
        with pytest.raises(TaskTimeout):
            with timeout_after(5):
                yield sleep(0)
                clock.advance(10)
                yield sleep(0)
                raise AssertionError("the second sleep(0) did not raise")

    run(main(), clock)


def test_a_sleep_that_ended_as_the_deadline_passed_is_not_timed_out_after_the_block():
    """curio ``test_kernel_multischedule``: the loop was blocked past both
    the end of a sleep and the deadline of the block around it; the block
    may end either way, but the task's next sleep outside the block must not
    be interrupted by that stale deadline."""
    clock = VirtualClock()

    def sleeper():
        try:
            with timeout_after(0.5):
                yield sleep(0.25)
        except TaskTimeout:
            pass                        # (either outcome of the race is fine)
        yield sleep(0.1)                # must not be hit by the old deadline
        return True

    def main():
        task = yield spawn(sleeper())
        yield sleep(0.1)
        clock.advance(1)                # time.sleep(1): both timers are due
        return (yield join(task))

    assert run(main(), clock) is True


# ============================================================ cancel

def test_cancel_without_waiting_then_join_gets_the_cancellation_after_the_cleanup():
    """curio ``test_task_cancel_not_blocking``: ``cancel(wait=False)``
    returns while the target's cleanup is still blocked; the join that
    follows waits for the cleanup and raises TaskError from Cancelled."""
    def child(started, release):
        started.set()
        try:
            yield sleep(1000)
        except Cancelled:
            yield release.wait()
            raise

    def main():
        started, release = Event(), Event()
        task = yield spawn(child(started, release))
        yield started.wait()
        yield cancel(task, wait=False)
        assert not task.done
        release.set()
        with pytest.raises(TaskError) as info:
            yield join(task)
        assert isinstance(info.value.__cause__, Cancelled)

    run(main())


def test_cancel_without_waiting_then_cancel_again_waits_for_the_end():
    """curio ``test_cancel_noblock``: a second, waiting cancel after
    ``cancel(wait=False)`` returns once the target has ended; its finally
    ran after the first cancel returned."""
    log = []

    def child():
        try:
            yield sleep(10)
        finally:
            log.append("child finally")

    def main():
        task = yield spawn(child())
        yield sleep(0)
        yield cancel(task, wait=False)
        log.append("first cancel returned")
        yield cancel(task)
        log.append("second cancel returned")
        assert task.cancelled

    run(main())
    assert log == ["first cancel returned", "child finally", "second cancel returned"]


def test_a_task_cancelled_by_another_task_is_seen_cancelled_by_a_later_join():
    """curio ``test_task_cancel_join_wait``: a third task cancels the
    target; the main task, joining the canceller and then the target, gets
    TaskError from Cancelled -- the event the target waited on never set."""
    def child(event):
        yield event.wait()

    def canceller(task):
        yield cancel(task)

    def main():
        event = Event()
        target = yield spawn(child(event))
        other = yield spawn(canceller(target))
        yield join(other)
        assert not event.is_set()
        with pytest.raises(TaskError) as info:
            yield join(target)
        assert isinstance(info.value.__cause__, Cancelled)

    run(main())


def test_cancellation_cascades_through_parents_that_cancel_their_children():
    """curio ``test_task_child_cancel``: cancelling a grandparent, which
    cancels its parent in its handler, which cancels its child: every level
    sees Cancelled, innermost first, and the outer cancel returns last."""
    log = []

    def child():
        log.append("start")
        try:
            yield sleep(0.5)
            log.append("end")
        except Cancelled:
            log.append("child cancelled")

    def parent():
        child_task = yield spawn(child())
        try:
            yield sleep(0.5)
            log.append("end parent")
        except Cancelled:
            yield cancel(child_task)
            log.append("parent cancelled")

    def grandparent():
        parent_task = yield spawn(parent())
        try:
            yield sleep(0.5)
            log.append("end grandparent")
        except Cancelled:
            yield cancel(parent_task)
            log.append("grandparent cancelled")

    def main():
        task = yield spawn(grandparent())
        yield sleep(0.1)
        log.append("cancel start")
        yield sleep(0.1)
        log.append("cancelling")
        yield cancel(task)
        log.append("done")

    run(main())
    assert log == ["start", "cancel start", "cancelling", "child cancelled",
                   "parent cancelled", "grandparent cancelled", "done"]


def test_a_task_woken_from_a_sleep_and_cancelled_before_it_runs_gets_it_at_that_sleep():
    """curio ``test_task_ready_cancel``, where we differ on purpose: two
    sleepers are woken in the same turn (the loop was blocked), and the first
    cancels the second, which is on the ready queue with its sleep over.
    curio delivers the cancel at the second's *next* blocking call (it logs
    "child slept" first); our rule (README, "Cancellation"; asyncio's) throws
    it in at once, at the sleep that had just ended -- nothing it was handed
    is lost, for a sleep hands nothing."""
    clock = VirtualClock()
    log = []

    def child():
        try:
            log.append("child sleep")
            yield sleep(1.0)
            log.append("child slept")
            yield sleep(1.0)
            log.append("should not see this")
        except Cancelled:
            log.append("child cancelled")

    def parent():
        task = yield spawn(child())
        log.append("parent sleep")
        yield sleep(0.5)
        log.append("cancel start")
        yield cancel(task)
        log.append("cancel done")

    def main():
        task = yield spawn(parent())
        yield sleep(0.1)
        clock.advance(1)                # time.sleep(1): both wake in one turn
        yield join(task)

    run(main(), clock)
    assert log == ["parent sleep", "child sleep", "cancel start", "child cancelled",
                   "cancel done"]


def test_a_second_cancel_interrupts_the_cleanup_of_the_first():
    """curio ``test_double_cancel``, where we differ on purpose: the target
    catches Cancelled and blocks in its cleanup; the canceller gives up
    waiting (a timeout) and cancels again.  curio's second cancel only waits
    (the task is already being cancelled); ours, like asyncio's
    ``task.cancel()`` and our own shutdown (``Kernel.shutdown_grace``),
    throws a new Cancelled into the cleanup."""
    log = []

    def sleeper():
        log.append("start")
        try:
            yield sleep(1)
            log.append("not here")
        except Cancelled:
            log.append("cancel request")
            try:
                yield sleep(5)
                log.append("cleanup finished")
            except Cancelled:
                log.append("cleanup cancelled")
                raise

    def main():
        task = yield spawn(sleeper())
        yield sleep(0.5)
        try:
            yield timeout_after(1, cancel(task))
        except TaskTimeout:
            log.append("retry")
            yield cancel(task)
            log.append("done cancel")
        assert task.cancelled

    run(main())
    assert log == ["start", "cancel request", "retry", "cleanup cancelled", "done cancel"]


def test_a_cancel_with_a_cancelled_subclass_delivers_that_very_instance():
    """curio ``test_custom_cancel``, ``test_cancel_custom_exception_instance``:
    ``cancel(task, exception=...)`` throws in the instance given; the target
    catches it by its class.  (curio's ``test_cancel_custom_exception``, with
    an exception that is no Cancelled, is refused here on purpose: see
    test_cancel_rules.py.)"""
    class CustomCancelled(Cancelled):
        pass

    mine = CustomCancelled("custom")
    seen = []

    def child(event):
        try:
            yield event.wait()
        except CustomCancelled as error:
            seen.append(error)
            return "caught"

    def main():
        task = yield spawn(child(Event()))
        yield parked(task)
        yield cancel(task, exception=mine)
        return task

    task = run(main())
    assert seen == [mine]
    assert not task.cancelled and task.result == "caught"


def test_a_task_that_catches_cancelled_and_keeps_going_holds_the_canceller():
    """A target that swallows Cancelled and goes back to work is not done:
    the waiting cancel returns only when it ends, and a second cancel is
    thrown in again (curio's and asyncio's tests of tasks that refuse; ours
    is level with asyncio: each cancel is one Cancelled)."""
    log = []

    def stubborn():
        for n in range(2):
            try:
                yield sleep(100)
            except Cancelled:
                log.append("swallowed %d" % n)
        return "finished"

    def main():
        task = yield spawn(stubborn())
        yield parked(task)
        canceller = yield spawn(cancel(task))
        yield until(lambda: log)        # it caught it,
        yield parked(task)              # and sleeps again
        assert log == ["swallowed 0"] and not canceller.done
        yield cancel(task)
        yield join(canceller)
        return task

    task = run(main())
    assert log == ["swallowed 0", "swallowed 1"]
    assert not task.cancelled and task.result == "finished"


def test_a_cancelled_subclass_raised_inside_disable_cancellation_propagates():
    """curio ``test_disable_cancellation_explicit_raise``: disabling
    cancellation holds off cancellations that *arrive*; a Cancelled the code
    raises itself goes out as any exception does."""
    def main():
        with pytest.raises(Cancelled):
            with disable_cancellation():
                raise Cancelled("by hand")
        yield sleep(0)                  # nothing pending afterwards
        return "went on"

    assert run(main()) == "went on"


def test_a_cancelled_tasks_locals_are_freed_once_nobody_holds_the_task():
    """trio ``test_locals_destroyed_promptly_on_cancel``: a task cancelled
    at a checkpoint lets its locals go once it is forgotten -- the kernel
    keeps no reference to its frames (on CPython without a garbage
    collection: on 3.12+ a finished generator's frame keeps its caller's, the
    kernel's step, whose locals must not hold the task)."""
    class Local:
        pass

    destroyed = []

    def child(started):
        local = Local()
        weakref.finalize(local, destroyed.append, True)
        started.set()
        yield sleep(100)

    def main():
        started = Event()
        task = yield spawn(child(started))
        yield started.wait()
        yield cancel(task)
        assert task.cancelled
        del task
        if sys.implementation.name == "cpython":
            assert destroyed == [True]
        else:
            collect_harder()            # PyPy frees at a collection
            assert destroyed == [True]

    run(main())



def test_a_crashed_tasks_locals_are_freed_once_its_error_is_dropped():
    """The same for a task that ended by its own error, from a subroutine:
    once the joiner drops the task and the error, the locals go (CPython:
    at once, no collection; the error's traceback is the only path to them)."""
    class Local:
        pass

    destroyed = []

    def fail():
        local = Local()
        weakref.finalize(local, destroyed.append, True)
        yield sleep(0)
        raise ValueError("boom")

    def child():
        yield fail()

    def main():
        task = yield spawn(child())
        with pytest.raises(TaskError) as caught:
            yield join(task)
        assert isinstance(caught.value.__cause__, ValueError)
        assert destroyed == []
        del task, caught
        yield sleep(0)                  # (what the kernel threw in, it holds until then)
        if sys.implementation.name != "cpython":
            collect_harder()            # PyPy frees at a collection
        assert destroyed == [True]

    run(main())

def test_a_cleanup_that_fails_after_a_cancel_is_a_crash_the_canceller_does_not_see(caplog):
    """curio's ``task.cancel()`` returns once the task has ended, whatever
    it ended with: a target whose cleanup raises (a ValueError while
    handling the Cancelled) has crashed -- not cancelled -- with the
    Cancelled as the error's context; the canceller gets None, and the
    crash, unseen, is reported."""
    caplog.set_level(logging.ERROR, logger="trampoline")

    def bad_cleanup():
        try:
            yield sleep(10)
        except Cancelled:
            raise ValueError("cleanup failed")

    def main():
        task = yield spawn(bad_cleanup(), name="bad_cleanup")
        yield parked(task)
        assert (yield cancel(task)) is None
        assert task.state == "crashed" and not task.cancelled

    run(main())
    records = [r for r in caplog.records if r.name == "trampoline"]
    assert [r.getMessage() for r in records] == [CRASH_REPORT % (2, "bad_cleanup")]
    error = records[0].exc_info[1]
    assert type(error) is ValueError

# ============================================================ scheduling

def test_a_task_in_a_sleep_zero_loop_starves_no_io_and_can_be_cancelled():
    """curio ``test_sleep_0_starvation``: a task looping on ``sleep(0)`` for
    ever (always ready) neither starves two tasks talking over a socket pair
    nor resists cancellation."""
    def loop_forever():
        while True:
            yield sleep(0)

    def io1(sock):
        assert (yield read(sock, 1)) == b"x"
        yield write(sock, b"x")
        assert (yield read(sock, 1)) == b"x"

    def io2(sock):
        yield write(sock, b"x")
        assert (yield read(sock, 1)) == b"x"
        yield write(sock, b"x")

    def main():
        looper = yield spawn(loop_forever())
        yield sleep(0)
        a, b = socket.socketpair()
        with a, b:
            first = yield spawn(io1(a))
            second = yield spawn(io2(b))
            yield join(first)
            yield join(second)
        yield cancel(looper)
        assert looper.cancelled

    trampoline.run(main())


def test_two_tasks_ping_ponging_through_queues_do_not_starve_a_third():
    """curio ``test_ping_pong_starvation``: two tasks handing one item back
    and forth through two queues are never without work; a third task that
    only passes the processor still gets its turns."""
    def pingpong(inq, outq):
        while True:
            yield outq.put((yield inq.get()))

    def survivor():
        for _ in range(10):
            yield sleep(0)
        return "i survived!"

    def main():
        q1, q2 = Queue(), Queue()
        yield q1.put("something")
        pp1 = yield spawn(pingpong(q1, q2))
        pp2 = yield spawn(pingpong(q2, q1))
        iws = yield spawn(survivor())
        assert (yield join(iws)) == "i survived!"
        yield cancel(pp1)
        yield cancel(pp2)

    run(main())


def test_ready_tasks_take_turns_in_spawn_order_each_in_its_own_context():
    """curio ``test_contextvars`` (with its ContextTask): two countdowns that
    each set a context variable and pass the processor interleave strictly,
    in spawn order, and neither sees the other's value; trio
    ``test_basic_interleave`` likewise."""
    var = contextvars.ContextVar("x", default=0)
    events = []

    def countdown(n):
        var.set(n)
        while var.get() > 0:
            events.append(var.get())
            var.set(var.get() - 1)
            yield sleep(0)

    def main():
        first = yield spawn(countdown(3))
        second = yield spawn(countdown(6))
        yield join(first)
        yield join(second)
        assert var.get() == 0

    run(main())
    assert events == [3, 6, 2, 5, 1, 4, 3, 2, 1]


# ============================================================ current task, errors

def test_current_task_agrees_with_the_current_trap_and_is_none_outside():
    """trio ``test_current_task`` and ``test_trio_context_detection``:
    inside a task ``current_task()`` is the task ``current()`` returns;
    outside any kernel, and in a worker thread, it is None."""
    def main():
        me = yield current()
        assert current_task() is me
        in_thread = yield trampoline.run_in_thread(current_task)
        assert in_thread is None
        return me

    assert current_task() is None
    task = run(main())
    assert task.done and current_task() is None


def test_each_task_keeps_its_own_handled_exception_across_switches():
    """trio ``test_exc_info``: two tasks each block inside an ``except``
    block; each sees its own ``sys.exc_info()`` when it resumes (none in a
    task that handles nothing), and a bare ``raise`` re-raises its own
    exception, its ``__context__`` not the other's."""
    record = []

    def child1(me_first, then):
        try:
            raise ValueError("child1")
        except ValueError:
            record.append("child1 sleep")
            me_first.set()
            yield then.wait()
            assert sys.exc_info()[0] is ValueError
            record.append("child1 re-raise")
            raise

    def child2(me_first, then):
        yield me_first.wait()
        assert sys.exc_info() == (None, None, None)
        try:
            raise KeyError("child2")
        except KeyError:
            record.append("child2 sleep")
            then.set()
            yield sleep(0)
            assert sys.exc_info()[0] is KeyError
            record.append("child2 re-raise")
            raise

    def main():
        me_first, then = Event(), Event()
        t1 = yield spawn(child1(me_first, then))
        t2 = yield spawn(child2(me_first, then))
        for task, kind in ((t1, ValueError), (t2, KeyError)):
            with pytest.raises(TaskError) as info:
                yield join(task)
            assert type(info.value.__cause__) is kind
            assert info.value.__cause__.__context__ is None

    run(main())
    assert record == ["child1 sleep", "child2 sleep", "child1 re-raise", "child2 re-raise"]


def test_a_cancel_swallowed_inside_an_except_block_leaves_the_handled_exception():
    """trio ``test_exc_info_after_throw_suppressed``: a task blocked in an
    ``except KeyError`` block swallows the Cancelled thrown in there; its
    bare ``raise`` then re-raises the KeyError, with no ``__context__``."""
    def child(started):
        try:
            raise KeyError("mine")
        except KeyError:
            try:
                started.set()
                yield sleep(100)
            except Cancelled:
                pass
            raise

    def main():
        started = Event()
        task = yield spawn(child(started))
        yield started.wait()
        yield cancel(task)
        return task

    task = run(main())
    assert type(task.exception) is KeyError
    assert task.exception.__context__ is None


def test_a_cancel_thrown_into_an_except_block_is_chained_to_the_handled_exception():
    """trio ``test_exception_chaining_after_throw``: the Cancelled thrown in
    at a trap inside an ``except KeyError`` block gets the KeyError as its
    ``__context__``, as if raised there."""
    def child(started):
        try:
            raise KeyError("mine")
        except KeyError:
            started.set()
            yield sleep(100)

    def main():
        started = Event()
        task = yield spawn(child(started))
        yield started.wait()
        yield cancel(task)
        return task

    task = run(main())
    assert task.cancelled
    if THROW_CHAINS:                    # (else the interpreter's throw() does not chain)
        assert isinstance(task.exception.__context__, KeyError)


def test_a_crashed_tasks_traceback_starts_in_the_task_not_in_the_kernel():
    """trio ``test_traceback_frame_removal``: the traceback of a task's
    exception, as its joiner gets it, has the task's own frame on top -- no
    frame of the kernel or of contextvars above it."""
    def my_child_task():
        yield sleep(0)
        raise KeyError()

    def main():
        task = yield spawn(my_child_task())
        with pytest.raises(TaskError) as info:
            yield join(task)
        return info.value.__cause__

    error = run(main())
    assert error.__traceback__.tb_frame.f_code is my_child_task.__code__
    assert error.__traceback__.tb_next is None


def test_a_cancelled_task_reports_its_state_and_where_it_was():
    """curio ``test_task_diag`` and ``test_late_join``: a task's repr and
    ``where()`` while it waits; a task cancelled after it had finished keeps
    its result and is not cancelled."""
    def child():
        yield sleep(0.25)

    def quick():
        return "early"
        yield

    def main():
        task = yield spawn(child())
        yield parked(task)
        assert "parked" in repr(task) and "child" in repr(task)
        assert task.where()[-1][2] == "child"
        yield cancel(task)
        assert task.state == "cancelled" and task.where() == []
        done = yield spawn(quick())
        yield sleep(0.1)
        yield cancel(done)
        assert done.state == "done" and not done.cancelled and done.result == "early"

    run(main())


# ============================================================ join

def test_a_joiner_cancelled_or_timed_out_leaves_the_task_it_joined_running():
    """curio's ``task.join()`` under a cancel or ``timeout_after`` (its
    test_task.py joins under timeouts throughout): giving up on a join gives
    up the waiting only -- the task joined runs on and is joined later.
    (asyncio differs: cancelling ``await task`` cancels the task too; curio
    and we leave it, as a task has no single owner here.)"""
    def slow(value):
        yield sleep(1)
        return value

    def main():
        first = yield spawn(slow(5))
        joiner = yield spawn(join(first))
        yield parked(joiner)
        yield cancel(joiner)
        assert joiner.cancelled and not first.done
        assert (yield join(first)) == 5
        second = yield spawn(slow(6))
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.1, join(second))
        assert second.state == "parked"
        assert (yield join(second)) == 6

    run(main())


def test_every_joiner_of_a_crashed_task_gets_its_error_and_nothing_is_logged(caplog):
    """Several tasks joining one that crashes (curio's tasks joined by a
    group and by hand, ``test_task_group_join``): each gets TaskError from
    the same exception, and the crash, seen, is not reported."""
    caplog.set_level(logging.ERROR, logger="trampoline")

    def crasher():
        yield sleep(1)
        raise ValueError("boom")

    def main():
        target = yield spawn(crasher())
        joiners = []
        for _ in range(3):
            joiners.append((yield spawn(join(target))))
        causes = []
        for joiner in joiners:
            with pytest.raises(TaskError) as info:
                yield join(joiner)
            causes.append(info.value.__cause__.__cause__)
        assert all(cause is target.exception for cause in causes)

    run(main())
    assert not [r for r in caplog.records if r.name == "trampoline"]


def test_a_crash_whose_only_joiner_gave_up_is_reported(caplog):
    """The joiner was cancelled before the task crashed: nobody saw the
    crash, so it is reported as any unjoined crash is (asyncio's "exception
    was never retrieved")."""
    caplog.set_level(logging.ERROR, logger="trampoline")

    def crasher():
        yield sleep(1)
        raise ValueError("boom")

    def main():
        target = yield spawn(crasher(), name="unseen")
        joiner = yield spawn(join(target))
        yield parked(joiner)
        yield cancel(joiner)
        yield sleep(2)
        assert target.state == "crashed"

    run(main())
    reports = [r.getMessage() for r in caplog.records if r.name == "trampoline"]
    assert reports == [CRASH_REPORT % (2, "unseen")]


def test_keyboard_interrupt_deep_in_subroutines_unwinds_every_level_and_leaves_run():
    """trio ``test_system_task_crash_KeyboardInterrupt``, raised three
    subroutine calls down in a task other than main: every level's finally
    runs, main's too, and run() raises the KeyboardInterrupt itself."""
    log = []

    def level(n):
        try:
            if n == 0:
                yield sleep(0)
                raise KeyboardInterrupt
            yield level(n - 1)
        finally:
            log.append(n)

    def main():
        yield spawn(level(3))
        try:
            yield sleep(10)
        finally:
            log.append("main")

    with pytest.raises(KeyboardInterrupt):
        run(main())
    assert log == [0, 1, 2, 3, "main"]


# ============================================================ subroutines and exception chaining

def test_an_exception_keeps_its_context_through_a_yield_from():
    """trio ``test_exception_chaining_after_throw_to_inner`` for ``yield
    from`` (and ``await`` of an async def): a ValueError raised while an
    IndexError is handled, in a subroutine called while a KeyError is
    handled, chains ValueError -> IndexError -> KeyError, as plain calls do."""
    def inner():
        try:
            raise IndexError
        except IndexError:
            yield sleep(0)
            raise ValueError

    def outer():
        try:
            raise KeyError
        except KeyError:
            yield from inner()

    with pytest.raises(ValueError) as info:
        run(outer())
    assert _chain(info.value) == ["ValueError", "IndexError", "KeyError"]


def test_a_subroutine_called_by_yield_does_not_see_its_callers_handled_exception():
    """trio ``test_exc_info_after_throw_to_inner_suppressed``, where the
    trampoline differs by design: a subroutine called with ``yield sub()``
    runs in a frame of its own, not under its caller's (the kernel resumes
    it), so inside it ``sys.exc_info()`` does not show the exception its
    caller is handling, and a bare ``raise`` there has nothing to re-raise.
    ``yield from sub()`` runs it under the caller (README: "One thing
    differs from a plain call")."""
    def inner(seen):
        seen.append(sys.exc_info()[1])
        yield sleep(0)

    def outer():
        seen = []
        try:
            raise KeyError("handled")
        except KeyError as error:
            yield inner(seen)
            yield from inner(seen)
            assert sys.exc_info()[1] is error     # the caller's own is intact
            return seen, error

    seen, error = run(outer())
    assert seen == [None, error]


def test_an_exception_from_a_subroutine_keeps_its_own_context_through_a_caller_in_an_except():
    """trio ``test_exception_chaining_after_throw_to_inner``, with ``yield
    inner()``: the ValueError that ``inner`` raised while handling an
    IndexError keeps the IndexError as its ``__context__`` after it has gone
    up through ``outer``, which called ``inner`` while handling a KeyError
    (a plain call gives ValueError -> IndexError -> KeyError; the
    trampoline cannot link IndexError to KeyError, see above, but must not
    lose the IndexError).  On CPython 3.9+ the kernel's ``throw`` of the
    ValueError into ``outer`` overwrote it with the KeyError; the kernel
    now puts the subroutine's context back."""
    with pytest.raises(ValueError) as info:
        run(_outer())
    assert _chain(info.value)[:2] == ["ValueError", "IndexError"]


def test_a_cancel_thrown_into_a_subroutine_keeps_its_context_through_a_caller_in_an_except():
    """trio ``test_exception_chaining_after_throw_to_inner``: a Cancelled
    thrown in at a trap in ``inner``, inside its ``except IndexError``, is
    chained to the IndexError, and keeps it on its way up through
    ``outer``."""
    if not THROW_CHAINS:
        pytest.skip("this Python's generator.throw() chains nothing (bpo-29587)")

    def main():
        started = Event()
        task = yield spawn(_outer(started))
        yield started.wait()
        yield cancel(task)
        return task.exception

    assert _chain(run(main()))[:2] == ["Cancelled", "IndexError"]


def _inner(started=None):
    try:
        raise IndexError
    except IndexError:
        if started is None:
            yield sleep(0)
            raise ValueError
        started.set()
        yield sleep(100)


def _outer(started=None):
    try:
        raise KeyError
    except KeyError:
        yield _inner(started)


def _chain(error):
    """The names of ``error`` and its ``__context__`` chain."""
    names = []
    while error is not None:
        names.append(type(error).__name__)
        error = error.__context__
    return names
