"""What a programmer sees when the program is wrong, case by case: the
wrong things a task can yield, a generator spawned twice, an instrument
that raises or comes and goes while the kernel runs."""

import asyncio
import logging
import os
import types

import pytest

from trampoline import Kernel, Lock, TaskError, call, cancel, join, run, sleep, spawn
from trampoline.traps import current_kernel

from task_helpers import marked_line, until


def records_of(caplog, level=logging.ERROR):
    return [record for record in caplog.records
            if record.name == "trampoline" and record.levelno == level]


def child(n):
    yield sleep(0.001)                  # (a timer: every hook but io_ready is called)
    return n


def parent():
    first = yield spawn(child(1))
    second = yield spawn(child(2))
    return (yield join(first)) + (yield join(second))


# --------------------------------------------------- an instrument that raises

HOOKS = ["task_spawned", "task_step", "task_step_done", "task_trap", "task_exited",
         "io_wait", "timer_fired"]


class Failing:
    """An instrument whose one hook ``hook`` raises, each time it is called."""

    def __init__(self, hook):
        self.calls = 0
        setattr(self, hook, self.fail)

    def fail(self, *args):
        self.calls += 1
        raise ValueError("a bug in the instrument")

    def __repr__(self):
        return "<Failing instrument>"


class Steps:
    """An instrument that counts the steps it sees."""

    def __init__(self):
        self.steps = 0

    def task_step(self, task, value):
        self.steps += 1


@pytest.mark.parametrize("hook", HOOKS)
def test_an_instrument_that_raises_is_logged_once_and_taken_out(hook, caplog):
    """A bug in a tool watching the program must not stop the program: the
    kernel raised the instrument's error out of run() (for task_spawned,
    as a confusing 'Kernel.close() called while the kernel runs')."""
    failing, steps = Failing(hook), Steps()
    with caplog.at_level(logging.ERROR, logger="trampoline"):
        assert run(parent(), instruments=[failing, steps]) == 3
    assert failing.calls == 1
    [record] = records_of(caplog)
    message = record.getMessage()
    assert "<Failing instrument>" in message and hook in message
    assert "taken out" in message
    assert record.exc_info[0] is ValueError     # with its traceback
    assert steps.steps >= 6                     # the other instrument saw every step


def test_a_keyboard_interrupt_from_an_instrument_still_stops_the_program():
    class CtrlC:
        def task_step(self, task, value):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(parent(), instruments=[CtrlC()])


def test_an_instrument_that_removes_itself_from_its_hook_takes_no_event_from_the_next():
    """Taken out from inside its own hook, while the loop walks the list of
    hooks: the instrument after it in the list still gets that event."""
    seen = []

    class Once:
        def task_step(self, task, value):
            seen.append("once")
            kernel.remove_instrument(self)

    class Every:
        def task_step(self, task, value):
            seen.append("every")

    def main():
        once, every = Once(), Every()
        kernel.add_instrument(once)
        kernel.add_instrument(every)
        yield sleep(0)
        yield sleep(0)

    with Kernel() as kernel:
        kernel.run(main())
        assert seen == ["once", "every", "every"]
        kernel.run(child(0))
        assert kernel._on_step == [kernel._on_step[0]] and seen[-1] == "every"


def test_an_instrument_added_from_another_instruments_hook_sees_the_next_events():
    added = Steps()

    class Adder:
        def task_spawned(self, task):
            if task.name == "child":
                kernel.add_instrument(added)

    with Kernel(instruments=[Adder()]) as kernel:
        assert kernel.run(parent()) == 3
    assert added.steps >= 4                     # both children's steps, and main's


def test_an_instrument_added_and_removed_again_and_again_leaves_no_trail():
    def main():
        kernel = yield current_kernel()
        for _ in range(100):
            steps = Steps()
            kernel.add_instrument(steps)
            yield sleep(0)
            kernel.remove_instrument(steps)
            assert len(kernel._on_step) <= 1    # a freed slot is reused

    with Kernel() as kernel:
        kernel.run(main())
        kernel.run(child(0))                    # the next run starts without the no-ops
        assert kernel._on_step == []


# ------------------------------------- a generator handed out twice (debug mode)

def counts(n):
    for _ in range(n):
        yield sleep(0)
    return n


def spawns_one_generator_twice():
    work = counts(3)
    first = yield spawn(work)
    try:
        yield spawn(work)                               # SPAWNED-TWICE
    except RuntimeError as error:
        return (yield join(first)), str(error)
    raise AssertionError("spawned twice")               # pragma: no cover


def yields_a_finished_generator():
    work = counts(1)
    assert (yield work) == 1
    try:
        yield work                                      # YIELDED-AGAIN
    except RuntimeError as error:
        return str(error)
    raise AssertionError("yielded again")               # pragma: no cover


def spawns_a_finished_generator():
    work = counts(1)
    assert (yield work) == 1
    try:
        yield spawn(work)                               # SPAWNED-FINISHED
    except RuntimeError as error:
        return str(error)
    raise AssertionError("spawned again")               # pragma: no cover


def line_of(marker):
    return marked_line(__file__, marker)


def test_debug_mode_refuses_a_generator_spawned_while_a_task_runs_it():
    """Without the check both tasks stepped the one generator by turns: one
    got its result, the other None, and nothing said why."""
    result, message = run(spawns_one_generator_twice(), debug=True)
    assert result == 3                  # the first task goes on unharmed
    assert message == (
        "task 1 spawns_one_generator_twice spawned the generator counts() at %s:%d, "
        "which task 2 counts is "
        "running already: a generator or coroutine runs once, in one task; call "
        "counts(...) again for another" % (__file__, line_of("SPAWNED-TWICE")))


@pytest.mark.parametrize("main, verb, marker", [
    (yields_a_finished_generator, "yielded", "YIELDED-AGAIN"),
    (spawns_a_finished_generator, "spawned", "SPAWNED-FINISHED")])
def test_debug_mode_refuses_a_generator_that_has_run_to_its_end(main, verb, marker):
    """Without the check it 'returned' None at once (or its task did)."""
    assert run(main(), debug=True) == (
        "task 1 %s %s the generator counts() at %s:%d, which has already run to its "
        "end: a generator or coroutine runs once, in one task; call counts(...) again "
        "for another" % (main.__name__, verb, __file__, line_of(marker)))


def test_debug_mode_refuses_a_coroutine_spawned_twice():
    async def work():
        await sleep(0)
        return "done"

    async def main():
        coro = work()
        first = await spawn(coro)
        with pytest.raises(RuntimeError, match=r"the coroutine .*work\(\) at .*, which task "
                                               r"2 work is running already"):
            await spawn(coro)
        return await join(first)

    assert run(main(), debug=True) == "done"


# ------------------------------------------------- a wrong yield, and its line

def yields_42():
    yield sleep(0)
    yield 42                                            # YIELDS-42


def delegates():
    yield from yields_42()


@types.coroutine
def awaitable_42():
    yield 42                                            # AWAITABLE-42


async def awaits_42():
    await sleep(0)
    await awaitable_42()


def failure_of(coro, debug=False):
    """The message of the exception ``coro``'s task ended with; the task
    beside it still ran to its end."""
    def beside():
        for _ in range(3):
            yield sleep(0)
        return "beside"

    def main():
        other = yield spawn(beside())
        failing = yield spawn(coro)
        with pytest.raises(TaskError) as raised:
            yield join(failing)
        assert (yield join(other)) == "beside"
        return raised.value.__cause__

    error = run(main(), debug=debug)
    return str(error).split("\n")[0]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("coro, marker", [(delegates, "YIELDS-42"), (awaits_42, "AWAITABLE-42")])
def test_a_wrong_yield_through_yield_from_or_await_names_the_line_that_yielded(coro, marker,
                                                                                debug):
    """It named the line of the ``yield from`` (or ``await``) above it."""
    message = failure_of(coro(), debug)
    assert message.startswith("task 3 %s yielded int 42 at %s:%d, which is not a trap" % (
        coro.__name__, __file__, line_of(marker)))


# --------------------------------------------- asyncio code awaited in a task

async def awaits_asyncio_sleep():
    await sleep(0)
    await asyncio.sleep(0)                              # ASYNCIO-SLEEP


def yields_an_asyncio_future(future):
    yield future                                        # ASYNCIO-FUTURE


@pytest.mark.parametrize("debug", [False, True])
def test_asyncio_sleep_awaited_in_a_task_is_named_as_asyncio_code(debug):
    """It said "yielded None (a bare 'yield') at .../asyncio/tasks.py:634 ...
    to let the other tasks run, yield sleep(0)": asyncio's line, and a
    hint about something else."""
    message = failure_of(awaits_asyncio_sleep(), debug)
    assert message.startswith(
        "task 3 awaits_asyncio_sleep awaited asyncio's sleep() at %s:%d, which yielded None "
        "to asyncio's event loop (at %s" % (__file__, line_of("ASYNCIO-SLEEP"),
                                             os.path.dirname(asyncio.__file__)))
    assert message.endswith("or run the asyncio code on an asyncio loop with 'result = "
                            "yield await_asyncio(coro)' ('await await_asyncio(coro)' in an "
                            "async def; from trampoline.aio)")


@pytest.mark.parametrize("pure_python, debug", [(False, False), (False, True),
                                                 (True, False), (True, True)])
def test_an_asyncio_future_yielded_in_a_task_is_named_as_asyncio_code(pure_python, debug):
    """An asyncio Future is no awaitable of trampoline's: a TypeError naming
    it.  The pure-Python Future (PyPy's; CPython's without its accelerator)
    had the task spin for ever, its stack growing, every other task slowed."""
    loop = asyncio.new_event_loop()
    future = asyncio.futures._PyFuture(loop=loop) if pure_python else loop.create_future()

    def main():
        failing = yield spawn(yields_an_asyncio_future(future))
        try:
            yield until(lambda: failing.done, limit=200)
        finally:
            if not failing.done:
                yield cancel(failing)
        return failing.exception

    try:
        error = run(main(), debug=debug)
    finally:
        loop.close()
    assert isinstance(error, TypeError), error
    assert str(error).startswith(
        "task 2 yields_an_asyncio_future yielded the asyncio Future <Future pending> at "
        "%s:%d; asyncio code waits on an asyncio event loop, and trampoline's kernel is "
        "none" % (__file__, line_of("ASYNCIO-FUTURE")))


async def awaits_an_asyncio_future(future):
    return await future                                 # AWAITS-ASYNCIO-FUTURE


@pytest.mark.parametrize("pure_python", [False, True])
def test_an_asyncio_future_awaited_in_an_async_def_is_named_at_the_await(pure_python):
    """Awaited (not yielded) in an async def: the message names the line of
    the ``await`` -- through the pure-Python Future's own ``__await__``, or
    past the C one's iterator, which has no frame to show."""
    loop = asyncio.new_event_loop()
    future = asyncio.futures._PyFuture(loop=loop) if pure_python else loop.create_future()

    def main():
        failing = yield spawn(awaits_an_asyncio_future(future))
        yield until(lambda: failing.done, limit=200)
        return failing.exception

    try:
        error = run(main())
    finally:
        loop.close()
    assert isinstance(error, TypeError), error
    where = "%s:%d" % (__file__, line_of("AWAITS-ASYNCIO-FUTURE"))
    assert where in str(error), error
    if pure_python:                     # its __await__ has a frame: named by its class
        assert ("awaits_an_asyncio_future awaited the asyncio Future at %s, which yielded"
                % where) in str(error), error
    assert "asyncio code waits on an asyncio event loop" in str(error), error


# ------------------------------------------ a function or method not called

def yields_a_method_uncalled():
    lock = Lock()
    yield sleep(0)
    yield lock.acquire                                  # METHOD-UNCALLED


def yields_a_function_uncalled():
    yield sleep(0)
    yield counts                                        # FUNCTION-UNCALLED


def test_a_method_yielded_uncalled_is_named_as_the_program_wrote_it():
    """It said 'call it, yield Lock.acquire(...)': the class's function,
    which called so would miss its self."""
    assert failure_of(yields_a_method_uncalled()) == (
        "task 3 yields_a_method_uncalled yielded the method lock.acquire at %s:%d; yield a "
        "trap or a generator: call it, yield lock.acquire(...)"
        % (__file__, line_of("METHOD-UNCALLED")))


def test_a_function_yielded_uncalled_is_told_to_call_it():
    assert failure_of(yields_a_function_uncalled()) == (
        "task 3 yields_a_function_uncalled yielded the function counts at %s:%d; yield a "
        "trap or a generator: call it, yield counts(...)"
        % (__file__, line_of("FUNCTION-UNCALLED")))


# ------------------------------- a plain generator's values, a list of traps

def numbers():
    yield 1                                             # A-NUMBER
    yield 2


def loops_over_numbers():
    yield sleep(0)
    total = 0
    for number in (yield numbers()):                    # YIELDED-NUMBERS
        total += number                                 # pragma: no cover - never here
    return total                                        # pragma: no cover


def test_a_plain_generator_yielded_is_explained_as_a_subroutine():
    """It said only 'yielded int 1 at <a line in numbers()>, which is not a
    trap': numbers() was never called by the program's line, as it thought."""
    assert failure_of(loops_over_numbers()) == (
        "task 3 loops_over_numbers yielded int 1 at %s:%d, which is not a trap; numbers() "
        "runs as a subroutine of the task, as loops_over_numbers yielded it at %s:%d "
        "(yielding a generator calls it), so each of its yields goes to the kernel and must "
        "be a trap; to loop over a plain generator's values, iterate it without 'yield' "
        "('for x in numbers(...)')"
        % (__file__, line_of("A-NUMBER"), __file__, line_of("YIELDED-NUMBERS")))


def loops_over_a_generator_expression():
    yield sleep(0)
    for number in (yield (n for n in (1, 2))):          # YIELDED-GENEXPR
        return number                                   # pragma: no cover - never here


def numbers_from_further_down():
    yield from numbers()


def loops_over_numbers_further_down():
    yield sleep(0)
    for number in (yield numbers_from_further_down()):
        return number                                   # pragma: no cover - never here


def test_a_generator_expression_yielded_is_explained_too():
    message = failure_of(loops_over_a_generator_expression())
    assert ("the generator expression runs as a subroutine of the task, as "
            "loops_over_a_generator_expression yielded it at %s:%d" % (
                __file__, line_of("YIELDED-GENEXPR"))) in message, message
    assert message.endswith("('for x in (... for ...)')"), message


def test_a_value_from_deeper_in_a_subroutine_gets_no_hint_about_the_wrong_one():
    """The value came from ``numbers()``, reached by ``yield from`` inside
    the subroutine the task yielded: the hint would name the wrong
    generator, so there is none -- the line is named all the same."""
    message = failure_of(loops_over_numbers_further_down())
    assert message.startswith("task 3 loops_over_numbers_further_down yielded int 1 at "
                              "%s:%d, which is not a trap; yield a trap"
                              % (__file__, line_of("A-NUMBER"))), message
    assert "runs as a subroutine" not in message


def yields_a_list_of_traps():
    yield sleep(0)
    yield [sleep(0), counts(2)]                         # A-LIST


def test_a_list_of_traps_yielded_is_told_how_to_run_them_at_once():
    """Tornado's 'yield [a, b]' waits for both; here it is not a trap."""
    message = failure_of(yields_a_list_of_traps())
    assert message.startswith("task 3 yields_a_list_of_traps yielded list [<sleep seconds=0>, "
                              "<generator object counts at ")
    assert message.endswith(
        "at %s:%d, which is not a trap: a list of traps or coroutines is not waited for "
        "here; to run them at once, spawn each ('yield spawn(...)') and join them, or use "
        "a TaskGroup; select(...) waits for the first" % (__file__, line_of("A-LIST")))


# ----------------------------------- a generator function awaited in async def

async def awaits_a_generator():
    await sleep(0)
    return await counts(2)                              # AWAITS-A-GENERATOR


@pytest.mark.parametrize("debug", [False, True])
def test_a_generator_awaited_in_an_async_def_is_told_to_use_call(debug):
    """Python's 'object generator can't be used in 'await' expression' said
    nothing of what to write instead."""
    assert failure_of(awaits_a_generator(), debug) == (
        "object generator can't be used in 'await' expression: counts(2) is a generator "
        "(a def with yield), not a coroutine; in an async def, await it with 'await "
        "call(counts(2))', or make it an async def")


async def awaits_it_by_name():
    generator = counts(2)
    return await generator


async def awaits_deeper():
    await sleep(0)
    return await awaits_it_by_name()


def test_a_generator_awaited_by_name_a_call_deeper_is_told_the_same():
    """Awaited through a name (no call on the line to quote: "f(...)"),
    in an async def another one awaits (the line is the innermost's)."""
    assert failure_of(awaits_deeper(), False) == (
        "object generator can't be used in 'await' expression: f(...) is a generator "
        "(a def with yield), not a coroutine; in an async def, await it with 'await "
        "call(f(...))', or make it an async def")


def test_what_the_message_says_to_write_works():
    async def main():
        return await call(counts(2))

    assert run(main()) == 2
