"""What the kernel's messages (diagnostics.py) say that no other test
pinned -- found by mutation testing: a join's error for a cancelled task
and for an exception with no message, where a deadlocked task waits, and
the wrong things a task can yield that had no case of their own."""

import time

import pytest

from trampoline import Event, TaskError, cancel, join, run, sleep, spawn

from task_helpers import marked_line


def line_of(marker):
    return marked_line(__file__, marker)


def sleeper():
    yield sleep(3600)


def fails_quietly():
    raise ValueError()
    yield                                               # pragma: no cover


@pytest.mark.parametrize("target, words", [
    (sleeper, "task 2 sleeper was cancelled"),
    (fails_quietly, "task 2 fails_quietly failed: ValueError"),
])
def test_a_joins_error_says_how_the_task_ended(target, words):
    """Cancelled: "was cancelled", not "failed"; an exception with no
    message: its name alone, not "ValueError: "."""
    def main():
        task = yield spawn(target())
        yield sleep(0)
        if target is sleeper:
            yield cancel(task)
        with pytest.raises(TaskError) as error:
            yield join(task)
        return str(error.value)

    assert run(main()) == words


class Gate(Event):
    """The program's own kind of Event."""


def waits_at_the_gate(gate):
    yield gate.wait()                                   # GATE-WAIT


def waits_through_a_helper():
    yield waits_at_the_gate(Gate())                     # HELPER-CALL


def test_a_deadlock_names_the_programs_innermost_call_and_the_objects_own_class():
    """The deadlock says where the program waits: the innermost of its own
    calls (the helper's line, not the task's outermost one), the library
    method by the class of the object it was called on."""
    with pytest.raises(RuntimeError) as error:
        run(waits_through_a_helper())
    assert ("task 1 waits_through_a_helper waits in Gate.wait, called at %s:%d "
            "(in waits_at_the_gate)" % (__file__, line_of("GATE-WAIT"))) in str(error.value)


class YieldsFive:
    """An awaitable of the program's own whose ``__await__`` yields what is
    no trap."""

    def __await__(self):
        yield 5                                         # AWAIT-YIELDS-FIVE


async def awaits_five():
    await YieldsFive()


def yields_an_async_subroutine():
    yield sleep(0)
    yield awaits_five()


def yields_a_trap_class():
    yield sleep(0)
    yield spawn                                         # TRAP-CLASS


def yields_a_module_function():
    yield sleep(0)
    yield time.sleep                                    # MODULE-FUNCTION


def yields_an_empty_list():
    yield sleep(0)
    yield []                                            # EMPTY-LIST


def yields_a_set_of_traps():
    yield sleep(0)
    yield {sleep(0)}                                    # SET-OF-TRAPS


def failure_of(coro):
    def main():
        failing = yield spawn(coro)
        with pytest.raises(TaskError) as raised:
            yield join(failing)
        return raised.value.__cause__

    error = run(main())
    assert isinstance(error, TypeError), error
    return str(error)


@pytest.mark.parametrize("coro, marker, words", [
    # The program's own __await__ is the line that yielded (not the await
    # above it); a coroutine called as a generator's subroutine gets no
    # generator's hint (its making failed: a coroutine has no gi_code).
    (yields_an_async_subroutine, "AWAIT-YIELDS-FIVE",
     "yielded int 5 at {where}, which is not a trap; yield a trap (read, write, sleep, "
     "spawn, ...) or a generator to call it as a subroutine"),
    (yields_a_trap_class, "TRAP-CLASS",
     "yielded the trap function spawn itself at {where}; call it to make a trap: "
     "yield spawn(...)"),
    # A module's function is a function, as written (time.sleep), not a method.
    (yields_a_module_function, "MODULE-FUNCTION",
     "yielded the function time.sleep at {where}; yield a trap or a generator: call it, "
     "yield time.sleep(...)"),
    # An empty list is no list of traps to run at once.
    (yields_an_empty_list, "EMPTY-LIST",
     "yielded list [] at {where}, which is not a trap; yield a trap"),
    # A set of traps is told what a list is (tornado's "yield [a, b]").
    (yields_a_set_of_traps, "SET-OF-TRAPS",
     "yielded set {{<sleep seconds=0>}} at {where}, which is not a trap: a list of traps or "
     "coroutines is not waited for here"),
])
def test_a_wrong_yield_is_named_as_written(coro, marker, words):
    message = failure_of(coro())
    expected = words.format(where="%s:%d" % (__file__, line_of(marker)))
    assert message.startswith("task 2 %s %s" % (coro.__name__, expected)), message
