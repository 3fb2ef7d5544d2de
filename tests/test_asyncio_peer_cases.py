"""run(), Future, context variables and ``async def`` against asyncio's
own test suite: cases from CPython's ``Lib/test/test_asyncio/``
``test_runners.py``, ``test_futures.py`` and ``test_futures2.py``,
``test_context.py``, the contextvars cases of ``test_tasks.py``
(``test_context_1`` ... ``_6``) and ``test_pep492.py``, translated to our
API.  Each test's docstring names the peer's case; where our documented
rule differs, it says so and the test asserts our rule.

Not translated, for they have no counterpart here: event loop policies,
``Runner.get_loop``/``close``, a loop factory, ``loop.call_exception_handler``,
``Future.cancel``/``add_done_callback``/``remove_done_callback``/``get_loop``
and a Future's ``_source_traceback``, ``wrap_future``/``isfuture``, the C
and Python Future classes' internals.  Already translated elsewhere and not
repeated: run()'s return value and exception (test_task_peer_cases.py),
run() inside a task, the cancellation of tasks left running and their
cleanup (test_tasks.py), a Future set twice, before its wait, from a
thread, awaited by many tasks, its waiter cancelled
(test_future.py), each task's own context and run_in_thread's
(test_cancel_rules.py, test_bridges.py).
"""

import collections.abc
import decimal
import gc
import io
import logging
import random
import signal
import sys
import threading
import types
import warnings

import pytest

import trampoline
from trampoline import (BoundedSemaphore, Cancelled, Condition, Event, Future, Kernel, Lock,
                        Semaphore, VirtualClock, join, sleep, spawn,
                        timeout_after)
import trampoline.trace
from trampoline.traps import Sleep, call, current_kernel
from task_helpers import parked


def run(coro, **options):
    options.setdefault("clock", VirtualClock())
    return trampoline.run(coro, **options)


def never_awaited(record):
    """The "never awaited" RuntimeWarnings among ``record``'s warnings."""
    gc.collect()
    return [str(w.message) for w in record if "never awaited" in str(w.message)]


# ================================================================= run()

def test_run_of_a_future_a_trap_or_another_awaitable_says_to_await_it_in_a_coroutine():
    """asyncio ``test_asyncio_run_only_coro``, ``RunnerTests.test_run_future``
    and ``test_run_non_coro``: run() of something that is no coroutine is
    refused.  asyncio raises ValueError "a coroutine was expected"; our
    rule is TypeError (the README's table), naming the awaitable and how to
    run it -- it said "a function with no yield in it runs when called",
    which a Future, a trap or an object with ``__await__`` is not."""
    class Awaitable:
        def __await__(self):
            return (yield from sleep(0).__await__()) or "awaited"

    for awaitable in (Future(), sleep(1), Awaitable()):
        with pytest.raises(TypeError, match=r"got the awaitable %s .*async def main\(\): "
                                            r"return await it" % type(awaitable).__name__):
            run(awaitable)

    async def main(awaitable):
        return await awaitable

    assert run(main(Awaitable())) == "awaited"
    with pytest.raises(TypeError, match=r"got int 1 "):
        run(1)

    def spawner():                      # spawn() says the same, naming itself
        with pytest.raises(TypeError, match=r"spawn\(\) needs .* got the awaitable Future "
                                            r".*return await it -- and give spawn\(\) that"):
            yield spawn(Future())

    run(spawner())


def test_run_of_another_librarys_coroutine_object_says_to_await_it_in_one_of_ours():
    """asyncio ``test_pep492.CoroutineTests.test_iscoroutine`` and
    ``test_tasks``' ``test_create_task_with_asynclike_function``: asyncio
    runs any ``collections.abc.Coroutine`` (Cython's, say).  Ours differs:
    run() takes a generator or coroutine object; another kind is refused
    with a TypeError that says to await it in an ``async def`` -- which
    works, for ``await`` takes it."""
    class CoroLike(collections.abc.Coroutine):
        def send(self, value):
            raise StopIteration(42)

        def throw(self, *args):
            raise args[0]

        def close(self):
            pass

        def __await__(self):
            return self

        def __next__(self):
            return self.send(None)

    with pytest.raises(TypeError, match="got the awaitable CoroLike .*await it"):
        run(CoroLike())

    async def main():
        return await CoroLike()

    assert run(main()) == 42


def test_run_of_a_finished_coroutine_or_generator_is_refused():
    """asyncio (``asyncio.run`` of a coroutine that was run) ends in
    Python's "cannot reuse already awaited coroutine"; a generator already
    run to its end made our run() return None, as if it had run.  Both are
    a RuntimeError naming the function and saying to call it again."""
    def gen_main():
        yield sleep(0)
        return 5

    async def async_main():
        await sleep(0)
        return 6

    for make in (gen_main, async_main):
        coro = make()
        assert run(coro) in (5, 6)
        with pytest.raises(RuntimeError, match=r"the \w+ \S*%s\(\) has already finished; "
                                               r"run\(\) needs a new one: call %s\(\) again"
                                               % (make.__name__, make.__name__)):
            run(coro)


def test_run_of_a_coroutine_that_something_else_runs_is_refused_and_left_alone():
    """asyncio ``test_pep492.test_double_await`` ("coroutine is being
    awaited already") at run(): a coroutine another loop has started -- it
    waits at an ``await`` -- was taken over, and the trap it waited on
    answered None (here the sleep "returned" at once).  It is refused, and
    left as it was.  A generator at a bare ``yield`` -- how
    ``timeout_after(5, coro)`` and the other combinators hand over their
    work -- still runs."""
    async def started():
        await sleep(10)
        return "slept"

    coro = started()
    trap = coro.send(None)              # as another loop would
    assert isinstance(trap, Sleep)      # (the class of what sleep() makes)
    with pytest.raises(RuntimeError, match=r"the coroutine \S*started\(\) has started and "
                                           r"waits at line \d+ .*call started\(\) again"):
        run(coro)
    assert coro.cr_frame is not None and coro.cr_await is not None    # not closed
    coro.close()

    def gen():
        yield from sleep(10)

    g = gen()
    next(g)
    with pytest.raises(RuntimeError, match=r"the generator \S*gen\(\) has started"):
        run(g)
    g.close()

    assert run(timeout_after(20, started())) == "slept"



def test_run_debug_flag_and_the_environment_switch_debug_mode_on():
    """asyncio ``test_asyncio_run_debug`` (and ``RunnerTests.test_debug`` /
    ``test_non_debug``): ``run(debug=True)`` runs in debug mode, and so does
    ``TRAMPOLINE_DEBUG=1`` (asyncio's PYTHONASYNCIODEBUG).  Our rule
    differs in one point: the environment switches on what the code did
    not, so ``debug=False`` does not turn it off (asyncio's does); "0" or
    empty leaves it off."""
    async def debug_mode():
        await sleep(0)
        return (await current_kernel()).debug

    assert run(debug_mode()) is False
    assert run(debug_mode(), debug=True) is True
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.setenv("TRAMPOLINE_DEBUG", "1")
        assert run(debug_mode()) is True
        assert run(debug_mode(), debug=False) is True
        monkeypatch.setenv("TRAMPOLINE_DEBUG", "0")
        assert run(debug_mode()) is False
    finally:
        monkeypatch.undo()


def test_async_def_coroutines_run_the_same_in_debug_mode_which_tracks_their_origin():
    """asyncio ``test_pep492.test_async_def_coroutines`` and
    ``test_debug_mode_manages_coroutine_origin_tracking``: an ``async def``
    awaiting another gives its value with and without debug mode; debug
    mode tracks where coroutines are made while it runs (so a "never
    awaited" warning says where) and puts the depth back after."""
    import sys

    async def bar():
        await sleep(0)
        return "spam"

    async def foo():
        return await bar(), sys.get_coroutine_origin_tracking_depth() > 0

    before = sys.get_coroutine_origin_tracking_depth()
    assert run(foo()) == ("spam", before > 0)
    assert run(foo(), debug=True) == ("spam", True)
    assert sys.get_coroutine_origin_tracking_depth() == before


def test_each_run_of_a_kernel_starts_from_the_callers_context():
    """asyncio ``RunnerTests.test_run_keeps_context``: asyncio's Runner runs
    each coroutine in one context it keeps, so what the first set, the
    second sees.  Our documented rule differs: each ``Kernel.run`` runs its
    main task in a copy of the caller's context, so what one run sets stays
    inside it, and the next starts from the caller's values again."""
    import contextvars
    cvar = contextvars.ContextVar("cvar", default=-1)

    async def f(val):
        old = cvar.get()
        await sleep(0)
        cvar.set(val)
        return old

    with Kernel(clock=VirtualClock()) as kernel:
        assert kernel.run(f(1)) == -1
        assert kernel.run(f(2)) == -1
    assert cvar.get() == -1


def test_run_inside_a_task_is_refused_and_closes_the_coroutine_it_was_given():
    """asyncio ``test_asyncio_run_from_running_loop`` and
    ``RunnerTests.test_recursive_run``: run() inside a running task raises
    RuntimeError there.  asyncio's Runner leaves the coroutine to warn it
    was never awaited; ours closes it, as asyncio.run's test does by hand."""
    async def inner():
        pass

    async def main():
        try:
            trampoline.run(inner())
        except RuntimeError as exc:
            return str(exc)

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert "inside a running kernel" in run(main())
        assert never_awaited(record) == []


def test_a_leftover_tasks_cleanup_that_fails_is_logged_and_run_returns_mains_value(caplog):
    """asyncio ``test_asyncio_run_reports_hanging_tasks_errors``: a task left
    running when main returns is cancelled; its cleanup raises
    ZeroDivisionError.  run() still returns main's value, and the error is
    logged (asyncio: "unhandled exception during asyncio.run() shutdown";
    ours: the task's crash report, naming it)."""
    async def leftover():
        try:
            await sleep(10)
        except Cancelled:
            1 / 0

    async def main():
        task = await spawn(leftover())
        await call(parked(task))
        return 123, task

    caplog.set_level(logging.ERROR, logger="trampoline")
    value, task = run(main())
    assert value == 123 and task.done and isinstance(task.exception, ZeroDivisionError)
    [record] = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert record.getMessage() == "Task %d leftover crashed and was never joined" % task.id
    assert record.exc_info[0] is ZeroDivisionError


def test_a_task_that_a_leftover_tasks_cleanup_spawns_is_cancelled_too():
    """asyncio ``test_asyncio_run_cancels_hanging_tasks``, with the cleanup
    spawning more (asyncio cancels only the tasks alive as the shutdown
    begins; one spawned by a cleanup is then destroyed pending): the task a
    cleanup spawns is cancelled before it runs, and run() returns."""
    spawned = []

    async def late():
        spawned.append("late ran")          # never: cancelled before it runs

    async def leftover():
        try:
            await sleep(10)
        finally:
            spawned.append((await spawn(late())))
            await sleep(0)

    async def main():
        task = await spawn(leftover())
        await call(parked(task))
        return 123

    assert run(main()) == 123
    [task] = spawned
    assert task.done and task.cancelled


def test_an_async_generator_that_a_leftover_task_iterates_is_finished_by_its_cancellation():
    """asyncio ``test_asyncio_run_closes_gens_after_hanging_tasks_errors``:
    main fails; a task left running iterates an async generator that
    waits inside; the shutdown's cancellation comes through the generator,
    which finishes, and the task's cleanup error does not hide main's."""
    class FancyExit(Exception):
        pass

    spinner = []

    async def fidget():
        while True:
            yield 1
            await sleep(1)

    async def spin():
        spinner.append(fidget())
        try:
            async for _ in spinner[0]:
                pass
        except Cancelled:
            1 / 0

    async def main():
        task = await spawn(spin())
        await call(parked(task))
        raise FancyExit

    with pytest.raises(FancyExit):
        run(main())
    assert spinner[0].ag_frame is None and not spinner[0].ag_running


def test_an_async_generator_dropped_at_a_yield_has_its_cleanup_run_by_the_kernel():
    """asyncio (``shutdown_asyncgens``, the loop's asyncgen hooks) and trio
    run an async generator's ``aclose()`` as a task when it is dropped
    unfinished, and at the end of run() for those still alive: a
    ``finally`` in it may await.  Here a task is cancelled while the
    generator it iterates waits at its ``yield``: the generator's cleanup
    needs the kernel (an ``await``), and Python said "async generator
    ignored GeneratorExit", its cleanup cut short."""
    log = []

    async def ticks():
        try:
            while True:
                yield 1
        finally:
            log.append("cleanup begins")
            await sleep(0)
            log.append("cleanup ends")

    async def consumer():
        async for _ in ticks():
            await sleep(10)

    async def main():
        task = await spawn(consumer())
        await call(parked(task))

    run(main())
    gc.collect()
    assert log == ["cleanup begins", "cleanup ends"]



def test_an_async_generator_dropped_in_another_thread_is_closed_by_a_task_of_the_kernel():
    """The same, the generator's last reference dropped in a worker thread
    (``run_in_thread``) while the kernel runs: its cleanup is handed to the
    kernel, and runs there, awaits and all."""
    log = []

    async def ticks():
        try:
            while True:
                yield 1
        finally:
            await sleep(0)
            log.append(threading.current_thread() is threading.main_thread())

    async def main():
        holder = [ticks()]
        await holder[0].__anext__()
        await trampoline.run_in_thread(holder.clear)
        gc.collect()
        for _ in range(100):
            if log:
                break
            await sleep(0.01)
        return log

    assert run(main()) == [True]


def test_an_async_generator_dropped_after_run_is_closed_and_told_if_its_cleanup_awaits():
    """An async generator a task began, left unfinished and dropped after
    run() has ended: a cleanup that does not await runs, as Python's own
    finalization would; one that awaits is cut short, and an error
    ("Exception ignored in", as Python's own "async generator ignored
    GeneratorExit") says why and what to do."""
    log, kept, reported = [], [], []

    async def quiet():
        try:
            yield 1
        finally:
            log.append("quiet cleaned up")

    async def awaiting():
        try:
            yield 1
        finally:
            log.append("awaiting cleanup begins")
            await sleep(0)
            log.append("never")

    async def main():
        for make in (quiet, awaiting):
            kept.append(make())
            await kept[-1].__anext__()

    run(main())
    assert log == []
    before, sys.unraisablehook = sys.unraisablehook, reported.append
    try:
        del kept[:]
        gc.collect()
    finally:
        sys.unraisablehook = before
    assert sorted(log) == ["awaiting cleanup begins", "quiet cleaned up"]
    [report] = reported
    assert isinstance(report.exc_value, RuntimeError)
    assert str(report.exc_value).startswith(
        "async generator %s awaited in its cleanup after its kernel's run() had ended"
        % awaiting.__qualname__)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no signal.setitimer")
def test_a_ctrl_c_while_main_waits_for_a_future_cancels_it_runs_its_cleanup_and_leaves_run():
    """asyncio ``RunnerTests.test_interrupt_wait`` (and
    ``test_interrupt_call_soon``): a Ctrl-C while main waits on a Future
    cancels main at its wait -- its cleanup runs, and may block -- then
    KeyboardInterrupt comes out of run().  (asyncio also cancels the
    Future; ours has no cancel: it stays pending.)  A second Ctrl-C during
    that cleanup ends it at once: the cleanup sees GeneratorExit."""
    log = []

    def interrupt(signo, frame):
        raise KeyboardInterrupt

    async def main(future):
        try:
            await future
        except Cancelled:
            log.append("main cancelled")
            await sleep(0.001)
            log.append("main's cleanup done")
            raise

    async def stubborn(started):
        try:
            started.set()
            await sleep(100)
        finally:
            log.append("cleanup begins")
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            try:
                await Event().wait()
            except BaseException as exc:
                log.append("cleanup got %s" % type(exc).__name__)
                raise

    async def main2():
        started = Event()
        await spawn(stubborn(started))
        await started.wait()
        return "main's value"

    before = signal.signal(signal.SIGALRM, interrupt)
    try:
        future = Future()
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(KeyboardInterrupt):
            trampoline.run(main(future))
        assert log == ["main cancelled", "main's cleanup done"]
        assert not future.done()
        del log[:]
        with pytest.raises(KeyboardInterrupt):
            trampoline.run(main2())
        assert log == ["cleanup begins", "cleanup got GeneratorExit"]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_run_in_another_thread_touches_no_signal_and_refuses_shutdown_signals_there():
    """asyncio ``RunnerTests.test_signal_install_not_supported_ok``: asyncio
    installs its SIGINT handler in the main thread only, and runs on
    where it cannot.  Ours installs none unless asked: run() in another
    thread works; asked for ``shutdown_signals`` there, it raises
    RuntimeError naming the thread, and closes the coroutine unrun."""
    async def main():
        await sleep(0)
        return 5

    outcome = []

    def thread():
        outcome.append(run(main()))
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            try:
                run(main(), shutdown_signals=(signal.SIGINT,))
            except RuntimeError as exc:
                outcome.append(str(exc))
            outcome.append(never_awaited(record))

    worker = threading.Thread(target=thread, name="not-main")
    worker.start()
    worker.join()
    assert outcome[0] == 5
    assert "only in the main thread" in outcome[1] and "not-main" in outcome[1]
    assert outcome[2] == []


# ================================================================ Future

def _unretrieved(caplog):
    gc.collect()
    return [r for r in caplog.records if "never retrieved" in r.getMessage()]


def test_an_exception_nobody_retrieved_is_logged_when_the_future_is_freed(caplog):
    """asyncio ``test_tb_logger_exception_unretrieved`` and
    ``test_future_exception_never_retrieved``: a Future whose exception
    nobody looked at logs "Future exception was never retrieved" with the
    exception's traceback when it is freed.  An error a thread handed over
    to a task that had gone (cancelled, timed out) was lost without a word."""
    def fail(future):
        try:
            raise MemoryError("out of it")
        except MemoryError as exc:
            future.set_exception(exc)

    def abandoned_waiter():
        future = Future()
        try:
            yield timeout_after(1, future)      # gives up before the thread's answer
        except trampoline.TaskTimeout:
            pass
        thread = threading.Thread(target=fail, args=(future,))
        thread.start()
        thread.join()

    caplog.set_level(logging.ERROR, logger="trampoline")
    run(abandoned_waiter())
    [record] = _unretrieved(caplog)
    assert record.getMessage() == ("Future exception was never retrieved: "
                                   "<Future exception=MemoryError('out of it')>")
    assert record.exc_info[0] is MemoryError
    assert "in fail" in record.exc_text and "MemoryError: out of it" in record.exc_text


def test_an_exception_retrieved_or_a_result_is_not_logged(caplog):
    """asyncio ``test_tb_logger_abandoned``, ``test_tb_logger_result_unretrieved``,
    ``test_tb_logger_result_retrieved``, ``test_tb_logger_exception_retrieved``
    and ``test_tb_logger_exception_result_retrieved``: a Future left
    pending, one with a result, read or not, and one whose exception was
    raised by ``result()`` or in a waiting task, log nothing.  (asyncio's
    ``exception()`` also counts as retrieving it; ours has none:
    ``result()`` raises it.)"""
    caplog.set_level(logging.ERROR, logger="trampoline")
    Future()
    Future().set_result(42)
    future = Future()
    future.set_result(42)
    assert future.result() == 42
    future = Future()
    future.set_exception(RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        future.result()
    del future

    def waiter(future):
        try:
            yield future
        except RuntimeError as exc:
            return str(exc)

    def main():
        future = Future()
        task = yield spawn(waiter(future))
        yield parked(task)
        future.set_exception(RuntimeError("boom"))
        return (yield join(task))

    assert run(main()) == "boom"
    assert _unretrieved(caplog) == []


def test_yield_from_a_future_twice_waits_once_and_gives_the_result_both_times():
    """asyncio ``test_yield_from_twice`` and ``test_future_stop_iteration_args``:
    ``yield from fut`` in a generator waits until the Future is set and
    gives its result -- a tuple as it is -- and a second ``yield from`` of
    the set Future gives it at once.  It raised "TypeError: 'Future' object
    is not iterable", where ``yield from sleep(1)`` works."""
    def waiter(future, seen):
        seen.append("A")
        x = yield from future
        seen.append(("B", x))
        y = yield from future
        seen.append(("C", y))
        return x is y

    def main():
        future, seen = Future(), []
        task = yield spawn(waiter(future, seen))
        yield parked(task)
        assert seen == ["A"]
        future.set_result((1, 2))
        return (yield join(task)), seen

    assert run(main()) == (True, ["A", ("B", (1, 2)), ("C", (1, 2))])



def test_a_future_awaited_twice_after_failing_raises_with_its_own_traceback_each_time():
    """asyncio ``test_futures2.test_future_traceback``: awaiting a failed
    Future five times, each TypeError's traceback shows the ``await``
    line once -- the frames of earlier raises do not pile up."""
    import traceback

    async def main():
        future = Future()
        future.set_exception(TypeError(42))
        counts = []
        for _ in range(5):
            try:
                await future
            except TypeError as exc:
                tb = "".join(traceback.format_tb(exc.__traceback__))
                counts.append(tb.count("await future"))
        return counts

    assert run(main()) == [1] * 5


def test_a_futures_repr_says_its_state():
    """asyncio ``test_future_repr``: pending, result, exception.  asyncio
    writes "finished result=4"; ours "result=4".  (No "cancelled": a
    Future of ours is not cancelled, its waiters are.)"""
    future = Future()
    assert repr(future) == "<Future pending>"
    future.set_result(4)
    assert repr(future) == "<Future result=4>"
    future = Future()
    future.set_exception(RuntimeError())
    assert repr(future) == "<Future exception=RuntimeError()>"
    with pytest.raises(RuntimeError):
        future.result()



def test_set_exception_of_an_exception_class_is_refused():
    """asyncio ``test_exception_class``: ``set_exception(RuntimeError)``, a
    class, is made an instance.  Our documented rule differs: it needs an
    exception (an instance) and says so with TypeError; the Future stays
    pending."""
    future = Future()
    with pytest.raises(TypeError, match="needs an exception, got <class 'RuntimeError'>"):
        future.set_exception(RuntimeError)      # type: ignore[arg-type]
    assert not future.done()


# ======================================================== context variables

import contextvars  # noqa: E402

cvar = contextvars.ContextVar("cvar", default="nope")


def test_a_task_gets_a_copy_of_its_spawners_context_as_it_was_at_the_spawn():
    """asyncio ``test_tasks.test_context_1``: the child's context is copied
    when it is spawned -- what the parent sets after the spawn, before the
    child runs, the child does not see -- and what the child sets, the
    parent does not see."""
    async def sub():
        await sleep(0.01)
        assert cvar.get() == "nope"
        cvar.set("something else")
        return cvar.get()

    async def main():
        assert cvar.get() == "nope"
        subtask = await spawn(sub())
        cvar.set("yes")
        assert cvar.get() == "yes"
        assert await join(subtask) == "something else"
        return cvar.get()

    assert run(main()) == "yes"
    assert cvar.get() == "nope"


def test_a_task_keeps_its_own_values_across_a_future_set_by_a_task_with_others():
    """asyncio ``test_tasks.test_context_2``: a task sets a value, waits for
    a Future that another task -- which set its own -- completes, and
    after the wait (and after sleeps) still sees its own.  (asyncio's done
    callback has no counterpart.)"""
    async def setter(future, j):
        cvar.set("the setter's %d" % j)
        future.set_result(None)

    async def main():
        for j in range(2):
            future = Future()
            cvar.set("yes%d" % j)
            await spawn(setter(future, j))
            await future
            assert cvar.get() == "yes%d" % j
            for i in range(3):
                cvar.set("yes%d-%d" % (i, j))
                await sleep(0.001)
                assert cvar.get() == "yes%d-%d" % (i, j)
        return "checked"

    assert run(main()) == "checked"
    assert cvar.get() == "nope"


def test_a_hundred_tasks_each_keep_their_own_value_across_sleeps():
    """asyncio ``test_tasks.test_context_3``: a hundred tasks each set a
    value ten times and sleep a (seeded) random while between; each
    sees its own every time."""
    numbers = contextvars.ContextVar("numbers", default=-1)
    rng = random.Random(3)

    async def sub(num, pauses):
        for i in range(10):
            numbers.set(num + i)
            await sleep(pauses[i])
            assert numbers.get() == num + i
        return num

    async def main():
        tasks = []
        for _ in range(100):
            pauses = [rng.uniform(0.001, 0.05) for _ in range(10)]
            tasks.append(await spawn(sub(rng.randint(0, 10), pauses)))
        return [await join(task) for task in tasks]

    assert len(run(main())) == 100
    assert numbers.get() == -1


def test_spawn_takes_no_context_argument_each_task_runs_in_a_copy():
    """asyncio ``test_tasks.test_context_4``/``_5``/``_6``: ``create_task(coro,
    context=ctx)`` runs tasks in a context the caller holds, and sees
    what they set there.  Our rule differs: ``spawn`` has no ``context=``;
    each task runs in a copy of its spawner's, and gives back what it
    wants seen as its result."""
    async def coro(val):
        await sleep(0)
        cvar.set(val)
        return cvar.get()

    async def main():
        with pytest.raises(TypeError):
            spawn(coro(1), context=contextvars.copy_context())     # type: ignore[call-arg]
        values = [await join(await spawn(coro(v))) for v in (1, 2)]
        return values, cvar.get()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # (the coro(1) never run)
        assert run(main()) == ([1, 2], "nope")
        gc.collect()


def test_each_task_keeps_its_own_decimal_context():
    """asyncio ``test_context.test_asyncio_task_decimal_context``: decimal's
    context is a context variable, so two tasks computing at different
    precisions across a sleep each keep their own."""
    async def fractions(pause, precision, x, y):
        with decimal.localcontext() as ctx:
            ctx.prec = precision
            a = decimal.Decimal(x) / decimal.Decimal(y)
            await sleep(pause)
            b = decimal.Decimal(x) / decimal.Decimal(y ** 2)
            return str(a), str(b)

    async def main():
        one = await spawn(fractions(0.1, 3, 1, 3))
        two = await spawn(fractions(0.2, 6, 1, 3))
        return await join(one), await join(two)

    assert run(main()) == (("0.333", "0.111"), ("0.333333", "0.111111"))


def test_a_crash_report_is_logged_in_the_crashed_tasks_context(caplog):
    """asyncio ``test_futures2.test_task_exc_handler_correct_context``
    (gh-96704): the exception handler that reports a task's unretrieved
    error runs in the task's context, so a logging filter that adds a
    request id from a context variable names the right request.  Ours was
    logged in the context of whatever freed the task (or of run()'s end)."""
    seen = []

    class RequestId(logging.Filter):
        def filter(self, record):
            seen.append(cvar.get())
            return True

    async def crasher():
        cvar.set("bar")
        await sleep(0)
        1 / 0

    async def main():
        await spawn(crasher())
        await sleep(1)

    caplog.set_level(logging.ERROR, logger="trampoline")
    logger = logging.getLogger("trampoline")
    request_id = RequestId()
    logger.addFilter(request_id)
    try:
        run(main())
        gc.collect()
    finally:
        logger.removeFilter(request_id)
    assert seen == ["bar"]


# ================================================ async def, await, PEP 492

@pytest.mark.parametrize("make", [Lock, Condition, Semaphore, BoundedSemaphore])
def test_async_with_holds_each_lock_for_the_block(make):
    """asyncio ``test_pep492.LockTests.test_context_manager_async_with``:
    ``async with`` on a Lock, Condition, Semaphore or BoundedSemaphore holds
    it for the block, across an await, and releases it after.  asyncio's
    ``as`` gives None; ours gives the primitive itself."""
    primitive = make()

    async def main():
        await sleep(0.01)
        assert not primitive.locked()
        async with primitive as held:
            assert held is primitive
            assert primitive.locked()
            await sleep(0.01)
            assert primitive.locked()
        return primitive.locked()

    assert run(main()) is False


def test_types_coroutine_wrappers_and_generators_are_awaited():
    """asyncio ``test_pep492.test_types_coroutine``: ``await`` of what a
    ``types.coroutine`` function returns -- a wrapper around a generator
    that yields traps, or a decorated generator itself -- gives its value;
    run() takes the decorated generator too."""
    def gen():
        yield sleep(0)
        return "spam"

    @types.coroutine
    def wrapped():
        return gen()

    @types.coroutine
    def decorated():
        yield sleep(0)
        return "eggs"

    async def main():
        wrapper = wrapped()
        assert type(wrapper).__name__ == "_GeneratorWrapper"
        return await wrapper, await decorated()

    assert run(main()) == ("spam", "eggs")
    assert run(decorated()) == "eggs"


def test_awaiting_a_coroutine_another_task_is_running_is_a_runtime_error():
    """asyncio ``test_pep492.test_double_await``: ``await coro`` of a
    coroutine a task is running raises Python's RuntimeError "coroutine is
    being awaited already"; the task running it goes on unharmed."""
    async def afunc():
        await sleep(0.1)
        return "slept"

    async def runner():
        coro = afunc()
        task = await spawn(coro)
        await sleep(0)
        with pytest.raises(RuntimeError, match="coroutine is being awaited already"):
            await coro
        return await join(task)

    assert run(runner()) == "slept"


@pytest.mark.parametrize("how", ["yield", "call", "spawn", "traced"])
def test_yielding_a_coroutine_another_task_is_running_is_a_runtime_error(how):
    """asyncio ``test_pep492.test_double_await``, in a generator task:
    ``yield coro`` of a coroutine another task is running took it over --
    the trap it waited on answered None in this task, which then ran it to
    its end -- and the task that was running it crashed, "cannot reuse
    already awaited coroutine".  Now it is the RuntimeError ``await``
    gives, in the task that yielded it, and the other task goes on: so
    for ``call(coro)``, ``spawn(coro)`` and a traced run (instruments take
    the subroutine call through the trap table)."""
    async def afunc():
        await sleep(0.1)
        return "slept"

    def runner():
        coro = afunc()
        task = yield spawn(coro)
        yield sleep(0)
        with pytest.raises(RuntimeError) as raised:
            if how == "call":
                yield call(coro)
            elif how == "spawn":
                yield spawn(coro)
            else:
                yield coro
        assert str(raised.value).startswith(
            "coroutine test_yielding_a_coroutine_another_task_is_running_is_a_runtime_error."
            "<locals>.afunc() is being awaited already -- another task is running it")
        return (yield join(task))

    instruments = [trampoline.trace.TextTrace(io.StringIO())] if how == "traced" else []
    assert trampoline.run(runner(), clock=VirtualClock(), instruments=instruments) == "slept"


def test_a_coroutine_never_awaited_in_a_task_warns_and_says_where_in_debug_mode():
    """asyncio's "coroutine ... was never awaited" (``test_pep492``'s
    debug-mode origin tracking): a coroutine made in a task and dropped
    unawaited warns; in debug mode the warning says where it was made."""
    async def forgotten():
        pass

    async def main():
        forgotten()
        await sleep(0)

    for debug in (False, True):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            run(main(), debug=debug)
            messages = never_awaited(record)
        assert len(messages) == 1 and "forgotten" in messages[0]
        assert ("Coroutine created at" in messages[0]) is debug
