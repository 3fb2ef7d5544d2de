"""Debug mode: every warning it gives, that it gives none for correct code,
and that it leaves nothing behind once the debug kernel has stopped."""

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback

import pytest

from trampoline import (Kernel, TaskError, current, join, read, run, select, shield, sleep,
                        spawn, timeout_after, write)
import trampoline.kernel
from trampoline import debug, traps
from trampoline.kernel import WaitQueue
from trampoline.sync import Event, Lock, Queue
from trampoline.taskgroup import TaskGroup
from trampoline.traps import Trap, park
from task_helpers import marked_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The "made but never yielded" warning hangs on ``Trap.__del__``, added to
#: the class while debug mode is on; PyPy only finalizes objects whose class
#: had a ``__del__`` when it was created, so there the warning never comes
#: (the README says so, under PyPy).
needs_late_del = pytest.mark.skipif(
    sys.implementation.name == "pypy",
    reason="PyPy ignores a __del__ added to an existing class: no never-yielded warning there")


def warnings_of(caplog, level=logging.WARNING):
    return [record.getMessage() for record in caplog.records
            if record.name == "trampoline" and record.levelno == level]


def line_of(marker):
    return marked_line(__file__, marker)


# ------------------------------------------------------ a forgotten yield

def forgets_to_yield():
    sleep(0.5)                          # FORGOT-GENERATOR
    yield sleep(0)


async def forgets_to_await():
    current()                           # FORGOT-ASYNC
    await sleep(0)


@needs_late_del
def test_a_trap_made_but_never_yielded_is_named_with_its_line(caplog):
    def main():
        yield forgets_to_yield()
        yield join((yield spawn(forgets_to_await())))

    run(main(), debug=True)
    warnings = warnings_of(caplog)
    assert len(warnings) == 2, warnings
    for marker, trap, function in [("FORGOT-GENERATOR", "<sleep seconds=0.5>", "forgets_to_yield"),
                                   ("FORGOT-ASYNC", "<current>", "forgets_to_await")]:
        where = "%s:%d: %s was made but never yielded" % (__file__, line_of(marker), trap)
        message = [warning for warning in warnings if warning.startswith(where)]
        assert message and "(in %s)" % function in message[0]


def forgets_to_yield_a_switch():
    for _ in range(3):
        sleep(0)                        # FORGOT-SWITCH
        yield sleep(0)


@needs_late_del
def test_a_forgotten_sleep_0_is_named_though_sleep_0_is_one_shared_trap(caplog):
    # sleep(0) is one shared trap, which never dies; the check makes each
    # its own while it runs, and shares it again after.
    run(forgets_to_yield_a_switch(), debug=True)
    where = "%s:%d: <sleep seconds=0> was made but never yielded" % (__file__,
                                                                    line_of("FORGOT-SWITCH"))
    said = [warning for warning in warnings_of(caplog) if warning.startswith(where)]
    assert len(said) == 3 and "(in forgets_to_yield_a_switch)" in said[0], warnings_of(caplog)
    assert sleep(0) is sleep(0)
    assert sleep(0.0) is not sleep(0.0) and sleep(0.0).seconds == 0.0


def test_where_the_never_yielded_check_cannot_work_debug_mode_says_so_once():
    # On PyPy a __del__ added to Trap is never called: debug mode must not
    # add one (PyPy's own RuntimeWarning about it points into trampoline),
    # but say once, in the user's terms, that this check is off there.
    script = ("import trampoline, warnings\n"
              "warnings.simplefilter('always')\n"
              "def main():\n"
              "    yield trampoline.sleep(0)\n"
              "trampoline.run(main(), debug=True)\n"
              "trampoline.run(main(), debug=True)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "__del__ method added" not in done.stderr
    said = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    if sys.implementation.name == "pypy":
        assert len(said) == 1, done.stderr
        assert "never yielded" in said[0] and "not detected on PyPy" in said[0]
    else:
        assert said == [], done.stderr


def test_no_warning_without_debug_mode(caplog):
    run(forgets_to_yield())
    assert warnings_of(caplog) == []


def test_correct_code_gets_no_warning(caplog):
    """Traps yielded, awaited, handed to select, shield and timeouts, and a
    select whose losing branches are cancelled before they ever ran."""
    a, b = socket.socketpair()

    async def awaiting():
        await sleep(0)
        return await current()

    def main():
        yield sleep(0)
        yield spawn(awaiting())
        trap = sleep(0)                 # made here, yielded later: fine
        spare = [sleep(1)]              # made, kept, dropped elsewhere: not the mistake
        yield current()
        yield trap
        del spare
        yield write(b, b"x")
        index, _ = yield select(read(a, 10), sleep(3600), sleep(3600))
        assert index == 0
        yield select(current(), read(a, 10), sleep(5))
        yield shield(sleep(0))
        try:
            yield timeout_after(0.001, Event().wait())
        except Exception:
            pass
        for _ in range(3):
            yield sleep(0)

    with a, b:
        run(main(), debug=True)
    assert warnings_of(caplog) == []


# ------------------------------------------------------- a wrong yield

def yields_a_number():
    yield 42                            # WRONG-YIELD


def calls_the_wrong_one():
    yield yields_a_number()             # WRONG-CALLER


def test_a_wrong_yield_in_debug_mode_shows_the_task_stack():
    def main():
        try:
            yield calls_the_wrong_one()
        except TypeError as error:
            return str(error)

    message = run(main(), debug=True)
    assert "yielded int 42" in message
    assert "the task's stack, outermost call first:" in message
    stack = message.split("outermost call first:\n")[1].splitlines()
    assert stack[0].endswith("in main")
    assert stack[2] == '  File "%s", line %d, in calls_the_wrong_one' % (
        __file__, line_of("WRONG-CALLER"))
    assert stack[4] == '  File "%s", line %d, in yields_a_number' % (
        __file__, line_of("WRONG-YIELD"))
    assert stack[5].strip() == "yield 42                            # WRONG-YIELD"

    plain = run(main())                 # without debug mode: the short message
    assert "yielded int 42" in plain and "stack" not in plain


def test_a_wrong_yield_in_code_without_source_and_with_a_trace():
    from trampoline.trace import TextTrace
    import io
    namespace = {}
    exec(compile("def bad():\n    yield 'oops'\n", "<no source>", "exec"), namespace)

    def main():
        try:
            yield namespace["bad"]()
        except TypeError as error:
            return str(error)

    out = io.StringIO()
    message = run(main(), debug=True, instruments=[TextTrace(out)])
    assert message.endswith('  File "<no source>", line 2, in bad')
    assert "-> call bad()" in out.getvalue()


def test_an_awaitable_still_works_in_debug_mode():
    from trampoline import Future

    def main():
        future = Future()
        future.set_result("done")
        return (yield future)

    assert run(main(), debug=True) == "done"


# ----------------------------------------------- crashes, slow steps

def crashes():
    raise ValueError("boom")
    yield                               # pragma: no cover - (a generator)


def test_a_crashed_task_nobody_joined_is_logged(caplog):
    def main():
        yield spawn(crashes())
        yield sleep(0)

    run(main(), debug=True)
    errors = warnings_of(caplog, logging.ERROR)
    assert len(errors) == 1 and "crashes crashed and was never joined" in errors[0]
    records = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert records[0].exc_info[0] is ValueError


def test_a_joined_crash_is_not_logged(caplog):
    def main():
        task = yield spawn(crashes())
        with pytest.raises(TaskError):
            yield join(task)

    run(main(), debug=True)
    assert warnings_of(caplog, logging.ERROR) == []


def test_a_slow_step_is_named(caplog):
    def hog():
        started = time.perf_counter()
        while time.perf_counter() - started < 0.02:     # busy: the slowness under test
            pass
        yield sleep(0)

    with Kernel(debug=True) as kernel:
        kernel.slow_step = 0.01

        def main():
            yield join((yield spawn(hog(), name="the-hog")))

        kernel.run(main())
    warnings = warnings_of(caplog)
    assert len(warnings) == 1 and "the-hog" in warnings[0] and "without yielding" in warnings[0]


class Released(logging.Handler):
    """Sets the first of ``events`` not set yet each time trampoline logs
    a record saying ``words`` (from the watchdog's thread)."""

    def __init__(self, events, words):
        super().__init__()
        self.events, self.words = events, words

    def emit(self, record):
        if self.words in record.getMessage():
            for event in self.events:
                if not event.is_set():
                    event.set()
                    break


def run_watched(blocker, slow_step, *events):
    """Run ``blocker()`` in debug mode, the watchdog's ``slow_step`` set:
    each time it names a step that blocks, the next of ``events`` is set
    (the step waits for it: named while it blocks, no sleep)."""
    handler = Released(events, "without yielding")
    logging.getLogger("trampoline").addHandler(handler)
    try:
        with Kernel(debug=True) as kernel:
            kernel.slow_step = slow_step
            kernel.run(blocker())
    finally:
        logging.getLogger("trampoline").removeHandler(handler)


def blocking_helper(released):
    released.wait(10)                   # BLOCKING-CALL


def test_a_slow_step_names_the_line_that_blocks_while_it_blocks(caplog):
    """The watchdog names the blocking call itself (not the next yield),
    while the step is still blocked: the step ends only once it has."""
    released = threading.Event()
    caplog.set_level(logging.INFO, logger="trampoline")

    def blocker():
        yield sleep(0)
        blocking_helper(released)       # THE-TASK-LINE
        yield sleep(0)

    run_watched(blocker, 0.02, released)
    assert released.is_set()
    warnings = warnings_of(caplog)
    assert len(warnings) == 1, warnings             # not again when the step ends
    message = warnings[0]
    assert message.startswith("task 1 blocker has run for ")
    # ... but then, as asyncio's "took 0.300 seconds", how long it took in all
    [total] = [r.getMessage() for r in caplog.records
               if r.levelno == logging.INFO and "in all" in r.getMessage()]
    seconds = float(re.search(r"ended after ([\d.]+) s in all", total).group(1))
    assert total.startswith("<Task 1 blocker") and seconds >= 0.02, total
    assert "blocked at %s:%d in blocking_helper: released.wait(10)" % (
        __file__, line_of("BLOCKING-CALL")) in message
    assert "yield run_in_thread(func, *args)" in message
    assert 'line %d, in blocker' % line_of("THE-TASK-LINE") in message   # the way there
    # ... from the task's generator: not the kernel's frames that step it
    stack = message.split("('yield sleep(...)').\n")[1]
    assert stack.startswith('  File "%s", line %d, in blocker' % (
        __file__, line_of("THE-TASK-LINE"))), stack


def test_an_async_def_step_that_blocks_is_named_too(caplog):
    released = threading.Event()

    async def blocker():
        await sleep(0)
        released.wait(10)               # ASYNC-BLOCKING-CALL

    run_watched(blocker, 0.02, released)
    message, = warnings_of(caplog)
    assert "blocked at %s:%d in blocker: released.wait(10)" % (
        __file__, line_of("ASYNC-BLOCKING-CALL")) in message


# ------------------------------------- yield from a trap, a bare yield

def test_yield_from_a_trap_works_as_yield_and_await_do():
    def gen():
        slept = yield from sleep(0.001)
        me = yield from current()
        return slept, me.id

    async def coro():
        return await sleep(0.001), (await current()).id

    def main():
        slept = yield sleep(0.001)
        by_yield = slept, (yield current()).id
        return by_yield, (yield gen()), (yield coro())

    assert run(main()) == ((None, 1), (None, 1), (None, 1))


def test_a_bare_yield_is_told_to_yield_sleep_0():
    def main():
        yield                           # BARE-YIELD

    with pytest.raises(TypeError) as caught:
        run(main())
    message = str(caught.value)
    assert "yielded None (a bare 'yield') at %s:%d" % (__file__, line_of("BARE-YIELD")) in message
    assert "to let the other tasks run, yield sleep(0)" in message


def test_yielding_what_a_plain_call_returned_is_told_to_drop_the_yield():
    """``yield lock.release()`` (a curio habit: its release is awaited)
    yields the None that the plain method returned: the message names the
    call, not a "bare yield" that is not in the program."""
    lock = Lock()

    def main():
        yield lock.acquire()
        yield lock.release()            # PLAIN-CALL

    with pytest.raises(TypeError) as caught:
        run(main())
    message = str(caught.value)
    assert ("yielded None (what lock.release() returned) at %s:%d"
            % (__file__, line_of("PLAIN-CALL"))) in message
    assert "make it without 'yield'" in message and "bare" not in message


# ------------------------------------ messages in the program's terms

def divides_by_zero():
    yield sleep(0)
    return 1 / 0


def test_a_task_error_names_the_exception_once():
    def main():
        task = yield spawn(divides_by_zero())
        with pytest.raises(TaskError) as caught:
            yield join(task)
        return str(caught.value)

    assert run(main()) == "task 2 divides_by_zero failed: ZeroDivisionError: division by zero"


def test_a_deadlock_names_the_library_call_and_the_line_not_the_wait_queue():
    def consumer(queue):
        yield queue.get()               # DEADLOCKED-GET

    def locker(lock):
        yield lock.acquire()            # DEADLOCKED-ACQUIRE

    def grouped(queue):
        yield timeout_after(None, queue.get())      # DEADLOCKED-TIMEOUT

    def iterated(other):
        # (below it, an iterator that is no generator)
        yield from iter([join(other)])  # DEADLOCKED-ITERATOR

    def main():
        queue, lock = Queue(), Lock()
        yield lock.acquire()
        tasks = [(yield spawn(consumer(queue))), (yield spawn(locker(lock)))]
        group = TaskGroup()
        yield group.spawn(grouped(queue))
        tasks.append((yield spawn(iterated(tasks[0]))))
        for task in tasks:
            yield join(task)            # DEADLOCKED-JOIN

    with pytest.raises(RuntimeError) as caught:
        run(main())
    message = str(caught.value)
    assert "WaitQueue" not in message and "<park" not in message
    assert "task 2 consumer waits in Queue.get, called at %s:%d (in consumer)" % (
        __file__, line_of("DEADLOCKED-GET")) in message
    assert "task 3 locker waits in Lock.acquire, called at %s:%d (in locker)" % (
        __file__, line_of("DEADLOCKED-ACQUIRE")) in message
    assert "called at %s:%d (in main)" % (__file__, line_of("DEADLOCKED-JOIN")) in message
    assert "task 4 grouped waits in timeout_after(None, Queue.get), called at %s:%d" % (
        __file__, line_of("DEADLOCKED-TIMEOUT")) in message
    assert "<Task 5 trampoline: watching grouped parked on <join" in message   # its own
    assert "task 6 iterated waits in <join task=<Task 2 consumer>>, called at %s:%d" % (
        __file__, line_of("DEADLOCKED-ITERATOR")) in message


# --------------------------------------------- tracebacks, plain

def level_c():
    yield sleep(0)
    return 1 / 0


def level_b():
    return (yield level_c())


def level_a():
    return (yield level_b())


def test_a_traceback_shows_the_calls_in_order_without_the_kernel_between_them():
    def main():
        yield level_a()

    with pytest.raises(ZeroDivisionError) as caught:
        run(main())
    entries = traceback.extract_tb(caught.value.__traceback__)
    names = [entry.name for entry in entries if entry.filename == __file__]
    assert names[-4:] == ["main", "level_a", "level_b", "level_c"]
    import trampoline.lifetime
    import trampoline.runner
    loop_files = {trampoline.lifetime.__file__, trampoline.runner.__file__}
    # Only run() on the way in; nothing of the loop between the calls.
    assert [entry.name for entry in entries if entry.filename in loop_files] == ["run", "run"]


def test_a_joined_tasks_error_and_a_failed_trap_are_plain_too():
    def main():
        task = yield spawn(level_a())
        try:
            yield join(task)
        except TaskError as error:
            cause = error.__cause__
        a, b = socket.socketpair()
        a.close()
        try:
            yield read(a, 10)           # a failed trap: EBADF
        except OSError as error:
            failed = error
        b.close()
        return cause, failed

    cause, failed = run(main())
    kernel_file = trampoline.kernel.__file__
    assert [e.name for e in traceback.extract_tb(cause.__traceback__)] == [
        "level_a", "level_b", "level_c"]
    assert all(e.filename != kernel_file for e in traceback.extract_tb(failed.__traceback__))


def test_the_kernels_frames_stay_when_asked_for(monkeypatch):
    monkeypatch.setattr(trampoline.kernel, "KERNEL_FRAMES", True)

    def main():
        task = yield spawn(level_a())
        try:
            yield join(task)
        except TaskError as error:
            return error.__cause__

    names = [e.name for e in traceback.extract_tb(run(main()).__traceback__)]
    assert names[:2] == ["step", "level_a"] and names.count("step") == 3


def test_the_environment_asks_for_the_kernels_frames():
    script = ("from trampoline import run\n"     # (found through PYTHONPATH: conftest)
              "def main():\n"
              "    yield from ()\n"
              "    return 1 / 0\n"
              "run(main())\n")
    for env, shown in (({}, False), ({"TRAMPOLINE_KERNEL_FRAMES": "1"}, True)):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=dict(os.environ, **env), timeout=30)
        assert "ZeroDivisionError" in done.stderr
        assert ("in step" in done.stderr) is shown, done.stderr


# -------------------------------------------- hooks come and go with it

def test_debug_mode_puts_everything_back():
    inits = {cls: cls.__dict__.get("__init__") for cls in debug._trap_classes()}
    seen = {}

    def main():
        kernel = yield traps.current_kernel()
        seen["del"] = "__del__" in Trap.__dict__
        seen["init"] = traps.read.__init__ is not inits[traps.read]
        seen["current"] = "__init__" in traps.current.__dict__
        seen["other"] = "_trap_other" in vars(kernel)
        seen["kernel"] = kernel

    run(main(), debug=True)
    hooked = debug._NEVER_YIELDED_CHECK     # (not on PyPy, where a late __del__ is never called)
    assert seen == dict(seen, **{"del": hooked, "init": hooked, "current": hooked, "other": True})
    assert "__del__" not in Trap.__dict__
    assert {cls: cls.__dict__.get("__init__") for cls in debug._trap_classes()} == inits
    assert "_trap_other" not in vars(seen["kernel"])
    assert debug._made == {} and debug._users == 0
    with pytest.raises(TypeError):
        traps.current(1)                # the constructors behave as before


@needs_late_del
def test_hooks_stay_while_another_debug_kernel_runs(caplog):
    """Two debug kernels in two threads: the first to stop leaves the hooks
    for the other."""
    finished = WaitQueue(threadsafe=True)

    def other_thread(kernel):
        run(sleeps(), debug=True)
        # (In the kernel's thread, so after main has parked: wake_threadsafe
        # now could come before the park, and be lost.)
        kernel.call_threadsafe(finished.wake)

    def sleeps():
        yield sleep(0)

    def main():
        kernel = yield traps.current_kernel()
        thread = threading.Thread(target=other_thread, args=(kernel,))
        thread.start()
        yield park(finished)
        thread.join()
        yield forgets_to_yield()        # still caught: this kernel still runs

    run(main(), debug=True)
    assert len(warnings_of(caplog)) == 1
    assert debug._users == 0


@needs_late_del
def test_the_environment_turns_it_on(monkeypatch, caplog):
    monkeypatch.setenv("TRAMPOLINE_DEBUG", "1")
    run(forgets_to_yield())
    assert len(warnings_of(caplog)) == 1


@needs_late_del
def test_the_environment_turns_it_on_in_a_subprocess(tmp_path):
    script = tmp_path / "forgetful.py"
    script.write_text(
        "from trampoline import run, sleep\n"
        "def main():\n"
        "    sleep(1)\n"
        "    yield sleep(0)\n"
        "run(main())\n")
    for value, warned in [("1", True), ("0", False)]:
        env = dict(os.environ, PYTHONPATH=ROOT, TRAMPOLINE_DEBUG=value)
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert ("forgetful.py:3: <sleep seconds=1> was made but never yielded"
                in done.stderr) is warned


def test_an_error_from_a_descriptor_trap_shows_no_frame_of_the_kernels_io_layer():
    import trampoline.descriptors
    from trampoline import cancel

    def reader(sock):
        yield read(sock, 10)

    def main():
        a, b = socket.socketpair()
        with a, b:
            first = yield spawn(reader(a))
            yield sleep(0)
            try:
                yield read(a, 10)           # a second reader: ResourceBusy
            except Exception as exc:
                error = exc
            yield cancel(first)
        return error

    files = {entry.filename for entry in traceback.extract_tb(run(main()).__traceback__)}
    assert trampoline.descriptors.__file__ not in files


def test_debug_mode_adds_no_frame_of_its_own_to_a_tasks_traceback():
    """Debug mode wraps every trap handler; those wrappers' frames (and,
    behind them, the kernel's handler) stayed at the front of a failed
    trap's traceback, so a learner's first error in debug mode showed
    trampoline's insides that the same error without it does not."""
    from trampoline import descriptors
    loop_files = {trampoline.kernel.__file__, descriptors.__file__, debug.__file__}

    def main():
        errors = []
        a, b = socket.socketpair()
        b.close()
        with a:
            try:
                yield write(a, b"x")        # BROKEN-PIPE
            except OSError as error:
                errors.append(error)
        try:
            yield calls_the_wrong_one()
        except TypeError as error:
            errors.append(error)
        return errors

    for debug_mode in (False, True):
        broken, wrong = run(main(), debug=debug_mode)
        entries = traceback.extract_tb(broken.__traceback__)
        assert [e.filename for e in entries if e.filename in loop_files] == [], debug_mode
        assert (entries[-1].filename, entries[-1].lineno) == (__file__, line_of("BROKEN-PIPE"))
        entries = traceback.extract_tb(wrong.__traceback__)
        assert [e.filename for e in entries if e.filename in loop_files] == [], debug_mode
        assert [e.name for e in entries] == ["main", "calls_the_wrong_one", "yields_a_number"]
