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
import logging
import random
import signal
import threading
import types
import warnings

import pytest

import trampoline
from trampoline import (BoundedSemaphore, Cancelled, Condition, Event, Future, Kernel, Lock,
                        Semaphore, VirtualClock, join, sleep, spawn,
                        timeout_after)
from trampoline.traps import current_kernel
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
    assert isinstance(trap, sleep)
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
