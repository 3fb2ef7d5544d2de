"""Tasks, the trampoline, spawn/join/cancel, errors and run() semantics.

Everything here goes through the public API.  Tasks never use timed sleeps
to wait for each other: they join, or poll a flag with ``until`` (which only
yields ``sleep(0)``, i.e. lets the other ready tasks run).  Long sleeps
(``FOREVER``) only park a task that is meant to be cancelled.
"""

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import traceback

import pytest

import trampoline
from trampoline import (Cancelled, Event, Kernel, ResourceBusy, Task, TaskError,
                        TrampolineError, call, cancel, current, join, read,
                        run, sleep, spawn)

#: A sleep that only ever ends by cancellation (if the kernel is right).
FOREVER = 5


# ------------------------------------------------------------- helpers

def value(x):
    """A subroutine / task that returns ``x`` without blocking."""
    return x
    yield  # pragma: no cover - makes this a generator


def record(log, item):
    """A task that appends ``item`` to ``log``."""
    log.append(item)
    return item
    yield  # pragma: no cover


def crasher():
    raise ValueError("boom")
    yield  # pragma: no cover


def worker():
    yield sleep(0)
    return "worked"


async def async_worker():
    await sleep(0)
    return "async worked"


def wait_forever(log=None, name=None):
    """Sleep until cancelled; note the cleanup in ``log``."""
    try:
        yield sleep(FOREVER)
    finally:
        if log is not None:
            log.append(name)


def until(predicate):
    """Let the other ready tasks run until ``predicate()`` holds."""
    for _ in range(1000):
        if predicate():
            return
        yield sleep(0)
    raise AssertionError("condition never became true")


def some_function():
    pass  # pragma: no cover


def trampoline_records(caplog, level):
    return [r for r in caplog.records if r.name == "trampoline" and r.levelno >= level]


# ------------------------------------------------------- the trampoline

def test_yielding_a_generator_returns_its_value():
    """``value = yield sub()`` runs sub in the same task and gives its return value."""
    def add(a, b):
        yield sleep(0)
        return a + b

    def main():
        me = yield current()
        x = yield add(1, 2)
        same = (yield current()) is me
        return x, same

    assert run(main()) == (3, True)


def test_exception_in_subroutine_is_thrown_into_caller():
    """An exception raised in sub is thrown into the caller at its yield, where it can be caught."""
    def failing():
        yield sleep(0)
        raise KeyError("inner")

    def main():
        try:
            yield failing()
        except KeyError as exc:
            caught = exc
        after = yield value("still going")
        return caught.args, after

    assert run(main()) == (("inner",), "still going")


def test_uncaught_subroutine_exception_unwinds_all_frames():
    """An exception no frame catches unwinds every caller and ends the task."""
    cleaned = []

    def level(n):
        try:
            if n == 0:
                raise ZeroDivisionError("deep")
            yield level(n - 1)
        finally:
            cleaned.append(n)

    with pytest.raises(ZeroDivisionError, match="deep"):
        run(level(3))
    assert cleaned == [0, 1, 2, 3]


def test_nesting_ten_thousand_levels_deep():
    """Subroutine calls nest 10,000 deep, past Python's recursion limit."""
    def depth(n):
        if n == 0:
            yield sleep(0)
            return 0
        return (yield depth(n - 1)) + 1

    assert run(depth(10_000)) == 10_000


def test_exception_ten_thousand_levels_deep_reaches_top():
    """An exception raised 10,000 frames down is caught at the top."""
    def depth(n):
        if n == 0:
            raise LookupError("bottom")
        yield depth(n - 1)

    def main():
        try:
            yield depth(10_000)
        except LookupError as exc:
            return str(exc)

    assert run(main()) == "bottom"


def test_yield_from_subroutine_works():
    """``yield from sub()`` works, including traps and subroutine calls inside sub."""
    def sub():
        yield sleep(0)
        inner = yield value(20)
        return inner + 1

    def main():
        return (yield from sub()) * 2

    assert run(main()) == 42


def test_call_trap_runs_a_subroutine():
    """``yield call(gen)`` returns the generator's return value, like ``yield gen``."""
    def main():
        return (yield call(worker()))

    assert run(main()) == "worked"


def test_cancel_lands_in_innermost_frame_and_unwinds_every_finally():
    """Cancellation is raised in the innermost frame, then every frame's finally runs, innermost first."""
    log = []

    def level(n):
        try:
            if n == 0:
                try:
                    log.append("blocked")
                    yield sleep(FOREVER)
                except Cancelled:
                    log.append("cancelled at innermost")
                    raise
            else:
                yield level(n - 1)
        finally:
            log.append("finally %d" % n)

    def main():
        t = yield spawn(level(3))
        yield until(lambda: "blocked" in log)
        yield cancel(t)
        return t.cancelled

    assert run(main()) is True
    assert log == ["blocked", "cancelled at innermost",
                   "finally 0", "finally 1", "finally 2", "finally 3"]


def test_cancel_ten_thousand_levels_deep_runs_every_finally():
    """Cancelling a task 10,000 frames deep runs all 10,001 finally blocks."""
    unwound = []
    bottom = []

    def level(n):
        try:
            if n == 0:
                bottom.append(True)
                yield sleep(FOREVER)
            else:
                yield level(n - 1)
        finally:
            unwound.append(n)

    def main():
        t = yield spawn(level(10_000))
        yield until(lambda: bottom)
        yield cancel(t)

    run(main())
    assert unwound == list(range(10_001))


# ------------------------------------------------------ async def support

def test_traps_are_awaitable_and_run_accepts_a_coroutine():
    """In ``async def``, traps are awaited and run() takes the coroutine object."""
    async def main():
        me = await current()
        t = await spawn(async_worker())
        result = await join(t)
        await sleep(0)
        return isinstance(me, Task), result

    assert run(main()) == (True, "async worked")


def test_spawn_accepts_a_coroutine_object():
    """spawn() starts an ``async def`` coroutine as a task from generator code."""
    def main():
        t = yield spawn(async_worker())
        return t.name, (yield join(t))

    assert run(main()) == ("async_worker", "async worked")


def test_async_def_calls_generator_code_with_call():
    """``await call(gen())`` runs generator code from an ``async def``."""
    def gen_sub():
        yield sleep(0)
        return "from a generator"

    async def main():
        return await call(gen_sub())

    assert run(main()) == "from a generator"


def test_generator_calls_async_def_by_yielding_it():
    """A generator calls an ``async def`` with ``yield coro()`` and gets its value."""
    async def async_sub(x):
        await sleep(0)
        return x * 2

    def main():
        return (yield async_sub(21))

    assert run(main()) == 42


def test_call_accepts_a_coroutine_object():
    """``await call(coro())`` also works with an ``async def`` coroutine."""
    async def main():
        return await call(async_worker())

    assert run(main()) == "async worked"


# ------------------------------------------------------------------ spawn

def test_spawn_returns_a_task():
    """spawn() returns a Task at once, before the new task has run."""
    def main():
        t = yield spawn(worker())
        started = t.done
        yield join(t)
        return t, started

    t, started = run(main())
    assert isinstance(t, Task)
    assert started is False


def test_spawned_task_starts_after_spawner_blocks():
    """The new task runs only once the spawner blocks, not at the spawn."""
    log = []

    def main():
        t = yield spawn(record(log, "child"))
        log.append("spawned")
        yield current()                     # a trap that does not block
        log.append("still running")
        yield join(t)
        log.append("joined")

    run(main())
    assert log == ["spawned", "still running", "child", "joined"]


def test_spawn_name_defaults_to_function_name():
    """A spawned task is named after its function unless ``name=`` is given."""
    def main():
        a = yield spawn(worker())
        b = yield spawn(worker(), name="custom")
        yield join(a)
        yield join(b)
        return a.name, b.name

    assert run(main()) == ("worker", "custom")


def test_spawn_refuses_a_name_that_is_not_a_string():
    """spawn(coro, name=5) is a TypeError where the trap is made, and the
    coroutine is closed (it will never run): a task named 5 broke its own
    repr and its crash report.  Task.name refuses one too."""
    def main():
        coro = worker()
        try:
            yield spawn(coro, name=5)
        except TypeError as error:
            message = str(error)
        task = yield spawn(worker(), name="w")
        try:
            task.name = b"w"
        except TypeError:
            refused = True
        yield join(task)
        return message, coro.gi_frame is None, refused, repr(task)

    message, closed, refused, text = run(main())
    assert "name must be a string or None, got int 5" in message
    assert closed and refused and "<Task 2 w done>" == text


def test_spawn_takes_a_name_of_a_str_subclass():
    """A name that is a str subclass (an enum.StrEnum member, say) is a
    string: the task gets it."""
    class Label(str):
        pass

    def main():
        task = yield spawn(worker(), name=Label("labelled"))
        yield join(task)
        return task.name

    assert run(main()) == "labelled"


def test_current_returns_the_running_task():
    """current() gives each task its own Task object."""
    def who():
        return (yield current())

    def main():
        me = yield current()
        t = yield spawn(who())
        child = yield join(t)
        return me, t, child

    me, t, child = run(main())
    assert child is t
    assert me is not t and isinstance(me, Task)


# ------------------------------------------------------------------- join

def test_join_returns_the_task_value():
    """join() waits for the task and returns its return value."""
    def main():
        t = yield spawn(worker())
        return (yield join(t))

    assert run(main()) == "worked"


def test_join_crashed_task_raises_task_error_with_cause():
    """Joining a task that raised gives TaskError whose __cause__ is the task's exception."""
    def main():
        t = yield spawn(crasher())
        try:
            yield join(t)
        except TaskError as exc:
            return t, exc

    t, exc = run(main())
    assert isinstance(exc.__cause__, ValueError)
    assert str(exc.__cause__) == "boom"
    assert exc.task is t


def test_join_cancelled_task_raises_task_error_with_cancelled_cause():
    """Joining a cancelled task gives TaskError whose __cause__ is Cancelled."""
    def main():
        t = yield spawn(wait_forever())
        yield cancel(t)
        try:
            yield join(t)
        except TaskError as exc:
            return exc

    exc = run(main())
    assert isinstance(exc.__cause__, Cancelled)


def test_join_a_finished_task_returns_at_once():
    """Joining a task that has already finished returns its value, again and again."""
    def main():
        t = yield spawn(value("v"))
        yield until(lambda: t.done)
        return (yield join(t)), (yield join(t))

    assert run(main()) == ("v", "v")


def test_join_a_finished_crashed_task_raises_task_error():
    """Joining an already crashed task raises TaskError with the cause."""
    def main():
        t = yield spawn(crasher())
        yield until(lambda: t.done)
        try:
            yield join(t)
        except TaskError as exc:
            return exc

    assert isinstance(run(main()).__cause__, ValueError)


def test_task_joining_itself_gets_runtime_error():
    """A task that joins itself gets RuntimeError instead of waiting forever."""
    def main():
        me = yield current()
        try:
            yield join(me)
        except RuntimeError as exc:
            return str(exc)

    assert "itself" in run(main())


# ----------------------------------------------------------------- cancel

@pytest.mark.parametrize("kind", ["sleep", "join", "read"])
def test_cancel_raises_cancelled_at_the_blocking_trap(run, kind):
    """Cancelled is raised inside the target at the trap it is blocked in (sleep, join, read)."""
    log = []
    a, b = socket.socketpair()

    def target():
        if kind == "sleep":
            trap = sleep(FOREVER)
        elif kind == "join":
            trap = join((yield spawn(wait_forever())))
        else:
            trap = read(a, 100)
        try:
            log.append("blocked")
            yield trap
            log.append("trap returned")
        except Cancelled:
            log.append("cancelled at trap")
            raise

    def main():
        t = yield spawn(target())
        yield until(lambda: "blocked" in log)
        yield cancel(t)
        return t

    with a, b:
        t = run(main())
    assert log == ["blocked", "cancelled at trap"]
    assert t.cancelled and t.done


def test_cancelled_reader_frees_the_socket(run):
    """After a blocked reader is cancelled, another task can read the same socket."""
    a, b = socket.socketpair()
    first_read = []

    def reader():
        first_read.append(True)
        return (yield read(a, 100))

    def main():
        first = yield spawn(reader())
        yield until(lambda: first_read)
        yield cancel(first)
        second = yield spawn(reader())
        b.sendall(b"hello")
        return (yield join(second))

    with a, b:
        assert run(main()) == b"hello"


def test_cancel_runs_finally_and_with_blocks():
    """A cancelled task's finally blocks and context managers run."""
    log = []

    @contextlib.contextmanager
    def resource():
        log.append("enter")
        try:
            yield
        finally:
            log.append("exit")

    def target():
        with resource():
            try:
                yield sleep(FOREVER)
            finally:
                log.append("finally")

    def main():
        t = yield spawn(target())
        yield until(lambda: "enter" in log)
        yield cancel(t)

    run(main())
    assert log == ["enter", "finally", "exit"]


def test_cancelled_derives_from_base_exception_and_escapes_except_exception():
    """``except Exception`` in a task does not swallow Cancelled."""
    swallowed = []
    started = []

    def target():
        try:
            started.append(True)
            yield sleep(FOREVER)
        except Exception:
            swallowed.append(True)
        return "should not get here"

    def main():
        t = yield spawn(target())
        yield until(lambda: started)
        yield cancel(t)
        return t

    t = run(main())
    assert t.cancelled
    assert swallowed == []
    assert issubclass(Cancelled, BaseException)
    assert not issubclass(Cancelled, Exception)


def test_cancel_a_finished_task_is_a_no_op():
    """Cancelling a task that already finished returns None and changes nothing."""
    def main():
        t = yield spawn(value(5))
        yield join(t)
        returned = yield cancel(t)
        return t, returned

    t, returned = run(main())
    assert returned is None
    assert t.result == 5
    assert not t.cancelled


def test_cancel_a_task_that_never_ran():
    """A task cancelled before its first step never runs its body and ends cancelled."""
    ran = []

    def main():
        t = yield spawn(record(ran, "ran"))
        yield cancel(t)
        return t

    t = run(main())
    assert ran == []
    assert t.done and t.cancelled
    assert isinstance(t.exception, Cancelled)


def test_cancel_returns_only_after_the_target_finished():
    """cancel() waits for the target's cleanup, even cleanup that blocks."""
    log = []

    def target():
        try:
            log.append("started")
            yield sleep(FOREVER)
        finally:
            yield sleep(0.01)               # cleanup that itself waits
            log.append("cleanup done")

    def main():
        t = yield spawn(target())
        yield until(lambda: log)
        yield cancel(t)
        log.append("cancel returned")
        return t.done

    assert run(main()) is True
    assert log == ["started", "cleanup done", "cancel returned"]


def test_target_that_catches_cancelled_and_returns_a_value():
    """A target may catch Cancelled and return: it then counts as finished, not cancelled."""
    def stubborn():
        try:
            yield sleep(FOREVER)
        except Cancelled:
            return "caught it"

    def main():
        t = yield spawn(stubborn())
        yield sleep(0)
        returned = yield cancel(t)
        return returned, (yield join(t)), t.cancelled

    assert run(main()) == (None, "caught it", False)


def test_task_cancelling_itself():
    """A task that cancels itself gets Cancelled at that yield; its finally runs."""
    log = []

    def selfish():
        me = yield current()
        try:
            yield cancel(me)
            log.append("after cancel")
        finally:
            log.append("finally")

    def main():
        t = yield spawn(selfish())
        try:
            yield join(t)
        except TaskError as exc:
            return t, exc

    t, exc = run(main())
    assert log == ["finally"]
    assert t.cancelled
    assert isinstance(exc.__cause__, Cancelled)


# ------------------------------------------------------------ Task objects

def test_task_ids_are_distinct_ints():
    """Each task has its own integer id."""
    def main():
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(worker())))
        for t in tasks:
            yield join(t)
        return [t.id for t in tasks]

    ids = run(main())
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 3


def test_result_and_exception_before_done_raise_runtime_error():
    """A running task's result and exception raise RuntimeError; done is False."""
    def main():
        t = yield spawn(worker())
        errors = []
        for attribute in ("result", "exception"):
            try:
                getattr(t, attribute)
            except RuntimeError:
                errors.append(attribute)
        done = t.done
        yield join(t)
        return errors, done

    assert run(main()) == (["result", "exception"], False)


def test_result_and_exception_of_a_finished_task():
    """A finished task's result is its value and exception is None."""
    def main():
        t = yield spawn(worker())
        yield join(t)
        return t

    t = run(main())
    assert t.done and not t.cancelled
    assert t.result == "worked"
    assert t.exception is None


def test_result_of_a_crashed_task_raises_task_error():
    """A crashed task's result raises TaskError (cause attached); exception is the error."""
    def main():
        t = yield spawn(crasher())
        yield until(lambda: t.done)
        return t

    t = run(main())
    with pytest.raises(TaskError) as info:
        t.result
    assert isinstance(info.value.__cause__, ValueError)
    assert isinstance(t.exception, ValueError)
    assert not t.cancelled


def test_task_repr_names_function_id_and_state():
    """repr(task) shows its function name, its id and its state as it changes."""
    def main():
        t = yield spawn(wait_forever())
        fresh = repr(t)
        yield sleep(0)
        waiting = repr(t)
        yield cancel(t)
        ok = yield spawn(value(1))
        yield join(ok)
        bad = yield spawn(crasher())
        yield until(lambda: bad.done)
        bad.exception                       # looked at: no crash report
        return t, fresh, waiting, repr(t), ok, repr(ok), bad, repr(bad)

    t, fresh, waiting, cancelled, ok, done, bad, crashed = run(main())
    for text, task in [(fresh, t), (waiting, t), (cancelled, t), (done, ok), (crashed, bad)]:
        assert re.search(r"\b%d\b" % task.id, text)
    assert "wait_forever" in fresh and "ready" in fresh
    assert "wait_forever" in waiting and "parked" in waiting and "sleep" in waiting
    assert "wait_forever" in cancelled and "cancelled" in cancelled
    assert "value" in done and "done" in done
    assert "crasher" in crashed and "crashed" in crashed


def test_error_hierarchy():
    """TaskError and ResourceBusy are TrampolineErrors; TrampolineError is an Exception."""
    assert issubclass(TaskError, TrampolineError)
    assert issubclass(ResourceBusy, TrampolineError)
    assert issubclass(TrampolineError, Exception)


# ------------------------------------------------------------ wrong yields

def without_location(message):
    """The message minus the ``file.py:line`` it points at."""
    return re.sub(r"\S+\.py:\d+", "", message)


@pytest.mark.parametrize("bad, named", [
    (42, "42"),
    (None, "None"),
    (read, "read"),
    (some_function, "some_function"),
], ids=["int", "None", "trap-class", "function"])
def test_wrong_yield_raises_type_error_at_the_yield(bad, named):
    """Yielding a non-trap raises TypeError at that yield, naming the value and what was expected; the task goes on."""
    def task():
        try:
            yield bad
        except TypeError as exc:
            message = str(exc)
        yield sleep(0)
        return message

    message = without_location(run(task()))
    assert named in message
    assert "trap" in message


@pytest.mark.parametrize("bad", [read, some_function], ids=["trap-class", "function"])
def test_wrong_yield_of_a_function_says_to_call_it(bad):
    """Yielding a function (or trap class) instead of its result says to call it."""
    def task():
        try:
            yield bad
        except TypeError as exc:
            return str(exc)

    assert "call it" in run(task())


def test_wrong_yield_in_a_subroutine_is_raised_in_that_subroutine():
    """A bad yield deep in a subroutine raises in the innermost frame, not the caller."""
    def sub():
        try:
            yield 42
        except TypeError:
            return "handled in sub"

    def main():
        return (yield sub())

    assert run(main()) == "handled in sub"


def test_wrong_yield_crashes_only_its_task():
    """A task that does not catch its wrong yield dies with TypeError; a sibling completes."""
    def bad():
        yield 42

    def main():
        b = yield spawn(bad())
        s = yield spawn(worker())
        sibling = yield join(s)
        try:
            yield join(b)
        except TaskError as exc:
            return sibling, exc.__cause__

    sibling, cause = run(main())
    assert sibling == "worked"
    assert isinstance(cause, TypeError)


@pytest.mark.parametrize("make_trap, error, words", [
    (lambda: spawn(worker), TypeError, ["worker", "call it"]),
    (lambda: sleep(-1), ValueError, ["-1", ">= 0"]),
    (lambda: sleep("x"), TypeError, ["'x'", "number"]),
    (lambda: join(42), TypeError, ["42", "Task"]),
], ids=["spawn-function", "sleep-negative", "sleep-str", "join-int"])
def test_wrong_trap_arguments_raise_in_the_task(make_trap, error, words):
    """A trap made with a wrong argument raises a clear error in the task; a sibling still completes."""
    def offender():
        yield make_trap()

    def main():
        o = yield spawn(offender())
        s = yield spawn(worker())
        sibling = yield join(s)
        try:
            yield join(o)
        except TaskError as exc:
            return sibling, exc.__cause__

    sibling, cause = run(main())
    assert sibling == "worked"
    assert type(cause) is error
    for word in words:
        assert word in str(cause)


# ------------------------------------------------------------ crash logging

def test_unjoined_crash_is_logged_with_task_name(caplog):
    """A crashed task nobody joins is logged on "trampoline" with its name and traceback; others go on."""
    caplog.set_level(logging.ERROR, logger="trampoline")

    def main():
        c = yield spawn(crasher(), name="doomed")
        s = yield spawn(worker())
        result = yield join(s)
        return c.done, result

    assert run(main()) == (True, "worked")
    records = trampoline_records(caplog, logging.ERROR)
    assert len(records) == 1
    assert "doomed" in records[0].getMessage()
    assert records[0].exc_info[0] is ValueError
    text = logging.Formatter().format(records[0])     # the traceback, as printed
    assert "in crasher" in text and "boom" in text


@pytest.mark.parametrize("crash_first", [False, True], ids=["join-then-crash", "crash-then-join"])
def test_joined_crash_is_not_logged(caplog, crash_first):
    """A crashed task that is joined (before or after its crash) is not logged."""
    caplog.set_level(logging.DEBUG, logger="trampoline")

    def main():
        c = yield spawn(crasher())
        if crash_first:
            yield until(lambda: c.done)
        try:
            yield join(c)
        except TaskError:
            return "joined"

    assert run(main()) == "joined"
    assert trampoline_records(caplog, logging.ERROR) == []


def test_outcome_tells_how_a_task_ended_and_a_crash_read_so_is_still_reported(caplog):
    """``Task.outcome``, what the trace shows at a task's end: returned,
    raised or cancelled, None while it runs; reading it is not looking, so
    a crash nobody joins is still logged (``exception`` would silence it)."""
    caplog.set_level(logging.ERROR, logger="trampoline")

    def main():
        ok = yield spawn(worker())
        bad = yield spawn(crasher(), name="doomed")
        stuck = yield spawn(wait_forever())
        yield sleep(0)
        running = stuck.outcome
        yield cancel(stuck)
        yield join(ok)
        yield until(lambda: bad.done)
        return running, ok.outcome, bad.outcome, stuck.outcome

    running, ok, bad, stuck = run(main())
    assert running is None
    assert ok == ("returned", "worked")
    assert bad[0] == "raised" and isinstance(bad[1], ValueError)
    assert stuck[0] == "cancelled" and isinstance(stuck[1], Cancelled)
    records = trampoline_records(caplog, logging.ERROR)
    assert [r.exc_info[0] for r in records] == [ValueError]
    assert "doomed" in records[0].getMessage()


def test_cancelled_task_is_not_logged(caplog):
    """A cancelled task is not reported as a crash, nor is one cancelled at shutdown."""
    caplog.set_level(logging.DEBUG, logger="trampoline")

    def main():
        t = yield spawn(wait_forever())
        yield spawn(wait_forever())               # left for run() to cancel
        yield sleep(0)
        yield cancel(t)

    run(main())
    assert trampoline_records(caplog, logging.ERROR) == []


# ---------------------------------------------------------- run semantics

def test_run_returns_the_main_value():
    """run() returns what the main coroutine returns."""
    assert run(value("main value")) == "main value"


def explode():
    raise ValueError("exploded")


def test_main_exception_propagates_with_original_traceback():
    """run() raises main's exception with the traceback down to the raising function."""
    def helper():
        yield sleep(0)
        explode()

    def main():
        yield helper()

    with pytest.raises(ValueError, match="exploded") as info:
        run(main())
    names = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert "explode" in names
    assert "helper" in names


def test_main_exception_is_raised_not_logged_as_a_crash(caplog):
    """main's exception goes to run()'s caller only; it is not also logged as an unjoined crash."""
    caplog.set_level(logging.DEBUG, logger="trampoline")

    def main():
        yield sleep(0)
        explode()

    with pytest.raises(ValueError, match="exploded"):
        run(main())
    assert trampoline_records(caplog, logging.ERROR) == []


def test_remaining_tasks_are_cancelled_when_main_returns():
    """When main returns, run() cancels the other tasks and their finally blocks run."""
    cleaned = []

    def main():
        yield spawn(wait_forever(cleaned, "a"))
        yield spawn(wait_forever(cleaned, "b"))
        yield sleep(0)
        return "main done"

    assert run(main()) == "main done"
    assert sorted(cleaned) == ["a", "b"]


def test_cleanup_that_blocks_completes_when_main_returns():
    """A remaining task whose finally waits briefly still completes its cleanup at shutdown."""
    log = []

    def slow_cleanup():
        try:
            log.append("started")
            yield sleep(FOREVER)
        finally:
            yield sleep(0.01)
            log.append("cleanup done")

    def main():
        yield spawn(slow_cleanup())
        yield until(lambda: log)

    run(main())
    assert log == ["started", "cleanup done"]


def test_run_inside_a_running_task_raises_runtime_error():
    """Calling run() inside a task raises RuntimeError there; the kernel keeps going."""
    def main():
        inner = value(1)
        try:
            trampoline.run(inner)
        except RuntimeError as exc:
            message = str(exc)
        yield sleep(0)
        return message

    assert "inside a running kernel" in run(main())


def test_kernel_runs_several_coroutines_as_a_context_manager():
    """One Kernel, used as a context manager, runs several coroutines one after another."""
    with Kernel() as kernel:
        first = kernel.run(worker())
        second = kernel.run(async_worker())
        third = kernel.run(value(3))
    assert (first, second, third) == ("worked", "async worked", 3)


def test_closed_kernel_refuses_to_run():
    """A closed kernel raises RuntimeError instead of running."""
    with Kernel() as kernel:
        kernel.run(value(1))
    with pytest.raises(RuntimeError, match="closed"):
        kernel.run(value(2))


def test_keyboard_interrupt_in_a_task_cancels_the_rest_and_reraises():
    """KeyboardInterrupt in a task: every other task's finally runs, then run() re-raises it."""
    cleaned = []

    def interrupter():
        raise KeyboardInterrupt
        yield  # pragma: no cover

    def main():
        a = yield spawn(wait_forever(cleaned, "a"))
        yield spawn(wait_forever(cleaned, "b"))
        yield spawn(interrupter())
        try:
            yield join(a)
        finally:
            cleaned.append("main")

    with pytest.raises(KeyboardInterrupt):
        run(main())
    assert sorted(cleaned) == ["a", "b", "main"]


def test_keyboard_interrupt_in_a_joined_task_still_reraises():
    """KeyboardInterrupt in a task that main joins is re-raised by run(), not wrapped in TaskError."""
    cleaned = []

    def interrupter():
        yield sleep(0)
        raise KeyboardInterrupt

    def main():
        yield spawn(wait_forever(cleaned, "other"))
        t = yield spawn(interrupter())
        yield join(t)

    with pytest.raises(KeyboardInterrupt):
        run(main())
    assert cleaned == ["other"]


def _traceback_files(error):
    return [os.path.basename(frame.filename) for frame in traceback.extract_tb(error.__traceback__)]


def _package_files(error):
    """The traceback's frames in trampoline's own files, by file name."""
    package = os.path.dirname(os.path.abspath(trampoline.__file__)) + os.sep
    return [os.path.basename(frame.filename) for frame in traceback.extract_tb(error.__traceback__)
            if os.path.abspath(frame.filename).startswith(package)]


def test_a_ctrl_c_traceback_shows_where_the_task_was_without_the_loops_frames():
    """A Ctrl-C between two lines of a task: run()'s traceback goes from
    the caller's line through run() to the task's line, as python3 shows a
    Ctrl-C in a plain program and as run() shows the main task's error --
    it had the loop's three frames (_run_until, step, _exit) in between."""
    def main():
        yield sleep(0)
        raise KeyboardInterrupt         # (where the signal's handler raises it)

    with pytest.raises(KeyboardInterrupt) as caught:
        run(main())
    assert _traceback_files(caught.value) == ["test_tasks.py", "runner.py", "lifetime.py",
                                              "test_tasks.py"]
    assert traceback.extract_tb(caught.value.__traceback__)[-1].name == "main"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no signal.setitimer")
def test_a_ctrl_c_while_the_loop_waits_shows_no_loop_frames():
    """A Ctrl-C while the loop waits in its poller: the traceback ends in
    run() (the program was waiting), not in four more of the loop's frames."""
    def interrupt(signo, frame):
        raise KeyboardInterrupt

    def main():
        yield sleep(30)

    before = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt) as caught:
            run(main())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert _package_files(caught.value) == ["runner.py", "lifetime.py"]



def test_a_deadlocks_traceback_shows_run_not_the_loops_frames():
    """A deadlock: run()'s traceback ends in run() -- where the program
    waited -- as a Ctrl-C's does; its message says where each task waits.
    It had the loop's three frames (_run_until, _wait_time, _deadlock)."""
    def main():
        yield Event().wait()

    with pytest.raises(RuntimeError, match="deadlock") as caught:
        run(main())
    assert _package_files(caught.value) == ["runner.py", "lifetime.py"]
    assert "test_tasks.py:" in str(caught.value)        # (where main waits)

def test_keyboard_interrupt_closes_the_kernel():
    """After a KeyboardInterrupt the kernel is closed and refuses to run again."""
    def interrupted():
        yield sleep(0)
        raise KeyboardInterrupt

    kernel = Kernel()
    with pytest.raises(KeyboardInterrupt):
        kernel.run(interrupted())
    with pytest.raises(RuntimeError, match="closed"):
        kernel.run(value(1))


# ----------------------------------------------------------- scheduling

def test_sleep_zero_lets_every_other_ready_task_run_first():
    """After sleep(0), every task that was ready has run before the sleeper resumes."""
    log = []

    def main():
        for name in "abc":
            yield spawn(record(log, name))
        log.append("main before")
        yield sleep(0)
        log.append("main after")

    run(main())
    assert log == ["main before", "a", "b", "c", "main after"]


def test_sleep_zero_round_robin():
    """Two tasks looping on sleep(0) take turns."""
    log = []

    def looper(name):
        for i in range(3):
            log.append(name + str(i))
            yield sleep(0)

    def main():
        a = yield spawn(looper("a"))
        b = yield spawn(looper("b"))
        yield join(a)
        yield join(b)

    run(main())
    assert log == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_timers_fire_in_deadline_order():
    """Sleepers wake in the order of their deadlines, not the order they slept."""
    woke = []

    def sleeper(seconds, name):
        yield sleep(seconds)
        woke.append(name)

    def main():
        tasks = []
        for seconds, name in [(0.03, "third"), (0.01, "first"), (0.02, "second")]:
            tasks.append((yield spawn(sleeper(seconds, name))))
        for t in tasks:
            yield join(t)

    run(main())
    assert woke == ["first", "second", "third"]


def test_a_task_that_never_blocks_lets_others_run():
    """A task whose traps all complete at once still yields to other ready tasks."""
    flag = []

    def spinner():
        for i in range(100_000):
            if flag:
                return i
            yield current()                 # completes at once, never blocks
        return None

    def main():
        s = yield spawn(spinner())
        yield spawn(record(flag, True))
        return (yield join(s))

    assert run(main()) is not None


def test_debug_warns_about_a_slow_step(caplog):
    """With debug=True a task step that blocks 0.15 s logs a warning naming the task."""
    caplog.set_level(logging.WARNING, logger="trampoline")

    def hog():
        time.sleep(0.15)                    # the blocking step under test
        yield sleep(0)

    def main():
        t = yield spawn(hog(), name="the-hog")
        yield join(t)

    run(main(), debug=True)
    warnings = [r for r in trampoline_records(caplog, logging.WARNING)
                if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "the-hog" in warnings[0].getMessage()


def test_spawn_of_a_trap_performs_it_in_a_task_of_its_own():
    """``spawn(read(sock, n))`` (or a Stream's read/write, which may be
    traps) runs the trap in the new task, which returns its result."""
    from trampoline import read
    a, b = socket.socketpair()

    def main():
        reader = yield spawn(read(a, 100))
        b.send(b"hello")
        return (yield join(reader)), reader.name

    with a, b:
        data, name = trampoline.run(main())
    assert data == b"hello"
    assert name == "read"


def test_a_long_task_name_is_read_in_linear_time():
    """``Task.name`` drops ``outer.<locals>.`` parts; on a long name without
    any it took quadratic time (200,000 letters: minutes -- and the monitor's
    ``ps`` reads every name).  In a child process, so a regression fails
    here on its timeout instead of hanging the suite."""
    code = ("from trampoline import run, spawn\n"
            "def main():\n"
            "    task = yield spawn(main_child(), name='a' * 200000)\n"
            "    assert task.name == 'a' * 200000\n"
            "def main_child():\n"
            "    return\n"
            "    yield\n"
            "run(main())\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20,
                   env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(
                       os.path.abspath(__file__)))))


def test_a_task_says_what_it_waits_on_and_which_generator_it_runs():
    """``Task.waiting`` and ``Task.coro``: what the monitor and the trace
    read, public (they read the task's private fields)."""
    from trampoline import trace

    def inner():
        yield sleep(3600)

    def outer():
        yield inner()                   # a subroutine call: coro is inner's

    def main():
        task = yield spawn(outer())
        yield sleep(0)
        seen = (trace.describe_wait(task.waiting), task.coro.gi_code.co_name)
        yield cancel(task)
        return seen, task.waiting, task.coro

    (waits, running), waiting, coro = run(main())
    assert (waits, running) == ("3600 s to pass", "inner")
    assert waiting is None and coro is None
