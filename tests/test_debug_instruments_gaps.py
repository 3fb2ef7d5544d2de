"""Debug mode and the kernel's instrument hooks: behaviour that mutation
testing of trampoline/debug.py and trampoline/instruments.py found no test
pinning (each test fails with the fault it names put back)."""

import logging
import sys
import threading
import time
from types import GeneratorType

import pytest

from trampoline import Kernel, join, run, sleep, spawn, timeout_after
from trampoline import debug, traps
from trampoline.kernel import WaitQueue
from trampoline.traps import Trap, park
from task_helpers import marked_line
from test_debug import run_watched

needs_late_del = pytest.mark.skipif(
    sys.implementation.name == "pypy",
    reason="PyPy ignores a __del__ added to an existing class: debug mode hooks no trap there")


def counts():
    yield sleep(0)
    return 3


async def counts_async():
    await sleep(0)
    return 3


# ------------------------------------------- a coroutine or generator reused

def test_debug_mode_names_a_finished_coroutine_yielded_again():
    """Without the check Python's own "cannot reuse already awaited
    coroutine" came out, naming neither the task nor the line."""
    def main():
        coro = counts_async()
        assert (yield coro) == 3
        try:
            yield coro
        except RuntimeError as error:
            return str(error)

    message = run(main(), debug=True)
    assert message.startswith("task 1 main yielded the coroutine ")
    assert "counts_async() at %s:" % __file__ in message
    assert message.endswith("which has already run to its end: a generator or coroutine runs "
                            "once, in one task; call counts_async(...) again for another")


def test_debug_mode_names_a_finished_generator_given_to_call_again():
    """``call(g)`` is how async code calls generator code; without the check
    a finished generator 'returned' None at once."""
    async def main():
        gen = counts()
        assert (await traps.call(gen)) == 3
        try:
            await traps.call(gen)
        except RuntimeError as error:
            return str(error)

    message = run(main(), debug=True)
    assert message.startswith("task 1 main called the generator counts() at %s:" % __file__)
    assert "which has already run to its end" in message


# ---------------------------------------------- everything put back, always

def restored_as_before(inits):
    return ("__del__" not in Trap.__dict__
            and {cls: cls.__dict__.get("__init__") for cls in debug._trap_classes()} == inits
            and debug._made == {} and debug._users == 0)


@needs_late_del
def test_two_debug_kernels_at_once_put_every_trap_class_back():
    """The second debug kernel to start must not wrap the constructors a
    second time: the last to stop put back the first wrapper, and outside
    debug mode every trap went on noting where it was made, for ever."""
    inits = {cls: cls.__dict__.get("__init__") for cls in debug._trap_classes()}
    other_started, finished = threading.Event(), WaitQueue(threadsafe=True)

    def other_thread(kernel):
        def other_main():
            other_started.set()
            yield sleep(0)
        run(other_main(), debug=True)
        kernel.call_threadsafe(finished.wake)

    def main():
        kernel = yield traps.current_kernel()
        thread = threading.Thread(target=other_thread, args=(kernel,))
        thread.start()
        yield park(finished)
        thread.join()
        return other_started.is_set()

    assert run(main(), debug=True)
    assert restored_as_before(inits)


@needs_late_del
def test_a_trap_still_alive_when_debug_mode_stops_is_forgotten():
    """A trap made (not yet yielded) in debug mode and kept past the end of
    ``run()``: nothing about it stays behind once the hooks are gone."""
    inits = {cls: cls.__dict__.get("__init__") for cls in debug._trap_classes()}
    kept = []

    def main():
        kept.append(sleep(1))           # made for later, never yielded in this run
        yield sleep(0)

    run(main(), debug=True)
    assert kept and restored_as_before(inits)


# ------------------------------------------------- no false never-yielded

def warnings_of(caplog):
    return [record.getMessage() for record in caplog.records
            if record.name == "trampoline" and record.levelno >= logging.WARNING]


@needs_late_del
def test_a_trap_made_inside_a_traps_constructor_is_not_the_users(caplog):
    """``set_alarm`` checks its delay with a ``sleep`` that it drops on the
    line that made it: not a forgotten yield of the program's."""
    def main():
        alarm = yield traps.set_alarm(5, RuntimeError("never"))
        yield traps.clear_alarm(alarm)
        assert (yield timeout_after(5, counts())) == 3

    run(main(), debug=True)
    assert warnings_of(caplog) == []


def makes_a_trap():
    return sleep(1)                     # MADE-HERE


@needs_late_del
def test_a_trap_dying_on_the_same_line_number_of_other_code_is_not_named(caplog):
    """The trap made on line N of one function and dropped on line N of
    another code object was handed on, not forgotten."""
    line = line_of("MADE-HERE")
    other = compile("\n" * (line - 1) + "makes_a_trap()\n", "<other code>", "exec")

    def main():
        exec(other, {"makes_a_trap": makes_a_trap})
        yield sleep(0)

    run(main(), debug=True)
    assert warnings_of(caplog) == []


def line_of(marker):
    return marked_line(__file__, marker)


# -------------------------------------------------- the slow-step watchdog


def test_each_slow_step_is_named_while_it_blocks(caplog):
    """The second blocked step of a run is caught in the act too, not only
    the first: each step is a step of its own to the watchdog.  (Each step
    blocks until the watchdog has named it.)"""
    first, second = threading.Event(), threading.Event()

    def blocker():
        yield sleep(0)
        first.wait(10)                  # FIRST-BLOCK
        yield sleep(0)
        second.wait(10)                 # SECOND-BLOCK
        yield sleep(0)

    run_watched(blocker, 0.02, first, second)
    assert first.is_set() and second.is_set()
    named = [message for message in warnings_of(caplog) if "without yielding" in message]
    assert len(named) == 2, named
    for message, marker in zip(named, ["FIRST-BLOCK", "SECOND-BLOCK"]):
        assert "blocked at %s:%d in blocker" % (__file__, line_of(marker)) in message
        stack = message.split("('yield sleep(...)').\n")[1]     # down to the blocking line
        assert stack.startswith('  File "%s", line %d, in blocker\n' % (
            __file__, line_of(marker))), stack


def test_a_kernel_waiting_for_a_timer_is_not_a_slow_step(caplog):
    """Once a step has yielded, the time the kernel then waits (for a
    timer, for I/O) is nobody's step: the watchdog must not name the
    selector's wait as a step that blocks."""
    with Kernel(debug=True) as kernel:
        kernel.slow_step = 0.1

        def main():
            yield sleep(0)
            yield sleep(0.5)            # the kernel idles, looked at 20 times

        kernel.run(main())
    assert warnings_of(caplog) == []


def busy(seconds):
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        pass


@pytest.mark.skipif(sys.implementation.name == "pypy",
                    reason="holds the watchdog out through CPython's GIL switch interval")
def test_a_slow_step_the_watchdog_missed_is_named_where_the_task_now_is(caplog):
    """A step over ``slow_step`` that the watchdog did not catch in the act
    is reported once it ends, with where the task now waits -- or "its
    end" for a task that ended in that step.  (The switch interval keeps
    the watchdog's thread from running during the busy step.)"""
    def slow_then_waits():
        yield sleep(0)
        busy(0.05)
        yield sleep(0)                  # WAITS-HERE

    def slow_then_ends():
        yield sleep(0)
        busy(0.05)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100)
    try:
        for coro in [slow_then_waits(), slow_then_ends()]:
            with Kernel(debug=True) as kernel:
                kernel.slow_step = 0.01
                kernel.run(coro)
    finally:
        sys.setswitchinterval(interval)
    waits, ends = warnings_of(caplog)
    assert "ran for" in waits and "(it is now at %s:%d" % (__file__, line_of("WAITS-HERE")) \
        in waits, waits
    assert "slow_then_ends" in ends and "(it is now at its end)" in ends, ends


def test_the_watchdog_looks_several_times_per_slow_step(caplog):
    """A blocked step is named soon after it passes ``slow_step`` (the
    watchdog looks a few times per ``slow_step``), not several
    ``slow_step``s later.  (The step blocks until it is named; the bound is
    generous, yet below a watchdog that waited for three ``slow_step``s, or
    looked once per four.)"""
    released = threading.Event()

    def blocker():
        yield sleep(0)
        released.wait(10)

    run_watched(blocker, 0.5, released)
    message, = warnings_of(caplog)
    seconds = float(message.split("has run for ")[1].split(" s")[0])
    assert 0.5 <= seconds < 1.4, message


def test_a_step_that_goes_on_blocking_is_named_once(caplog):
    """The watchdog looks every ``slow_step / 4``: a step still blocked at
    its next looks is not named again at each (then once more, at INFO,
    with how long it took in all, when it ends)."""
    named = threading.Event()
    caplog.set_level(logging.INFO, logger="trampoline")

    def blocker():
        yield sleep(0)
        named.wait(10)
        time.sleep(0.2)                 # blocking on: some forty looks more

    run_watched(blocker, 0.02, named)
    assert named.is_set()
    assert len(warnings_of(caplog)) == 1, warnings_of(caplog)
    [total] = [record.getMessage() for record in caplog.records
               if record.levelno == logging.INFO and "in all" in record.getMessage()]
    assert total.startswith("<Task 1 blocker"), total


# ------------------------------------------- the kernel's hooks (instruments.py)

def yields_a_generator_twice():
    gen = counts()
    assert (yield gen) == 3
    return (yield gen)


def test_a_kernel_run_again_without_debug_mode_has_no_debug_checks_left():
    """``wrap_handlers``' undo puts back the table as it was: the subroutine
    entries debug mode added go too, so that the same kernel run again with
    ``debug`` off does what a kernel without debug mode does (a finished
    generator yielded again 'returns' None, as the module docstring of
    trampoline.debug says)."""
    with Kernel(debug=True) as kernel:
        with pytest.raises(RuntimeError, match="already run to its end"):
            kernel.run(yields_a_generator_twice())
        kernel.debug = False
        assert kernel.run(yields_a_generator_twice()) is None


def test_wrap_handlers_undo_leaves_no_wrapped_handler():
    seen = []

    def wrap(kind, handler):
        def wrapped(task, trap):
            seen.append(kind)
            return handler(task, trap)
        return wrapped

    def main():
        return (yield counts())

    with Kernel() as kernel:
        unwrap = kernel.wrap_handlers(wrap)
        assert kernel.run(main()) == 3 and GeneratorType in seen
        unwrap()
        del seen[:]
        assert kernel.run(main()) == 3 and seen == []


def test_a_string_given_as_instruments_is_named_whole():
    """``Kernel(instruments="trace")`` is a mistake about the argument, not
    five letters that are no instruments."""
    with pytest.raises(TypeError, match="needs an iterable of instruments, got 'trace'"):
        Kernel(instruments="trace")


class Counts:
    """An instrument counting the tasks it sees spawned; all compare equal."""

    def __init__(self):
        self.spawned = 0

    def task_spawned(self, task):
        self.spawned += 1

    def __eq__(self, other):
        return isinstance(other, Counts)

    __hash__ = object.__hash__


def spawns_two():
    yield join((yield spawn(counts())))
    yield join((yield spawn(counts())))


def test_one_instrument_given_twice_is_told_each_event_once():
    counter = Counts()
    with Kernel(instruments=[counter, counter]) as kernel:
        kernel.run(spawns_two())
    assert counter.spawned == 3         # main and its two
    assert kernel.instruments == [counter]


def test_two_equal_instruments_are_two():
    """Instruments are told apart by identity, as trio does: two that
    compare equal both hear every event, given at construction or added."""
    first, second, third = Counts(), Counts(), Counts()
    with Kernel(instruments=[first, second]) as kernel:
        kernel.add_instrument(third)
        kernel.run(spawns_two())
        kernel.remove_instrument(third)
        assert len(kernel.instruments) == 2
    assert first.spawned == second.spawned == third.spawned == 3


def test_an_instrument_added_twice_is_told_each_event_once():
    counter = Counts()
    with Kernel() as kernel:
        kernel.add_instrument(counter)
        kernel.add_instrument(counter)
        kernel.run(spawns_two())
        assert kernel.instruments == [counter]
    assert counter.spawned == 3


def test_add_instrument_refuses_an_object_with_no_hook():
    with Kernel() as kernel:
        with pytest.raises(TypeError, match=r"Kernel.add_instrument\(\): .* is not an "
                                            r"instrument: it has none of the methods"):
            kernel.add_instrument(object())
        assert kernel.instruments == []


class Interrupts:
    """An instrument whose hook ``name`` raises ``exception`` the first time."""

    def __init__(self, name, exception):
        self.exception = exception
        setattr(self, name, self.raises)

    def raises(self, *args):
        exception, self.exception = self.exception, None
        if exception is not None:
            raise exception


@pytest.mark.parametrize("name, exception", [
    ("task_step", KeyboardInterrupt), ("task_exited", SystemExit),
    ("task_spawned", SystemExit)])
def test_a_keyboardinterrupt_or_systemexit_from_a_hook_still_goes_out(name, exception):
    """Only an ``Exception`` from a hook is the tool's bug, logged and the
    instrument taken out; Ctrl-C or an exit in a hook stops the program as
    anywhere else (the module docstring says so) -- the main task's own
    ``task_spawned`` too: Kernel.run spawned it before its ``try``, so the
    kernel stayed marked running (close() then raised RuntimeError), its
    asyncgen hooks and watchers in place (h44)."""
    outcome = []

    def in_a_thread():      # (a kernel left marked running stays in that thread)
        try:
            with Kernel(instruments=[Interrupts(name, exception)]) as kernel:
                with pytest.raises(exception):
                    kernel.run(spawns_two())
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    if outcome[0] is not None:
        raise outcome[0]


def test_remove_instrument_refuses_one_not_installed():
    installed, other = Counts(), Counts()       # (equal, yet not the one installed)
    with Kernel(instruments=[installed]) as kernel:
        with pytest.raises(ValueError, match=r"Kernel.remove_instrument\(\): .* is not "
                                             r"installed in this kernel"):
            kernel.remove_instrument(other)
        assert kernel.instruments == [installed]


def test_an_instrument_taken_out_for_raising_leaves_kernel_instruments(caplog):
    failing, counter = Interrupts("task_spawned", ValueError("a bug in the tool")), Counts()
    with Kernel(instruments=[failing, counter]) as kernel:
        kernel.run(spawns_two())
        assert kernel.instruments == [counter]
    assert counter.spawned == 3
