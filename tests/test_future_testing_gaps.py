"""What mutation testing of trampoline/future.py and trampoline/testing.py
(the pytest plugin) found that no test pinned: each test here failed on a
mutant of the module that every other test passed."""

import logging
import re
import weakref

from drop_helpers import collect_harder
from test_testing_plugin import run_pytest
from trampoline import Future, Kernel, join, sleep, spawn


# ------------------------------------------------------------ Future


def test_a_future_set_while_tasks_waited_lets_their_kernel_go():
    """A long-lived Future (a "stop" signal shared by several programs, say)
    that tasks of a kernel waited for until it was set: once that kernel is
    closed it can be freed, though the Future lives on.  (Setting it woke the
    waiters but kept the kernel, and its WaitQueue, for as long as the
    Future lived.)"""
    fut = Future()

    def waiter():
        return (yield fut)

    def main():
        first = yield spawn(waiter())
        second = yield spawn(waiter())
        yield sleep(0)                  # both wait now
        fut.set_result("go")
        return [(yield join(first)), (yield join(second))]

    with Kernel() as kernel:
        assert kernel.run(main()) == ["go", "go"]
    ref = weakref.ref(kernel)
    del kernel
    collect_harder()
    assert ref() is None
    assert fut.result() == "go"



def test_an_unretrieved_exception_is_not_logged_under_a_logger_set_above_error():
    """The "never retrieved" report is an ERROR record of the "trampoline"
    logger: a program that set that logger to CRITICAL does not get it (the
    record is handed to the handlers directly, so the level is checked by
    hand), and one that left it at ERROR does."""
    class Keep(logging.Handler):
        def emit(self, record):
            if "never retrieved" in record.getMessage():
                records.append(record)

    def unretrieved_future():
        fut = Future()
        fut.set_exception(ValueError("nobody looks"))

    records = []
    logger = logging.getLogger("trampoline")
    handler = Keep()                    # (level NOTSET: it keeps what it is handed)
    level = logger.level
    logger.addHandler(handler)
    try:
        logger.setLevel(logging.CRITICAL)
        unretrieved_future()
        collect_harder()
        assert records == []
        logger.setLevel(logging.ERROR)
        unretrieved_future()
        collect_harder()
        [record] = records
        assert record.levelno == logging.ERROR
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ------------------------------------------------------------ the pytest plugin

PLUGIN_CASES = '''
    import pytest
    from trampoline import Event, sleep, spawn

    @pytest.mark.parametrize("x", argvalues=[pytest.param(1, marks=pytest.mark.trampoline)])
    def test_a_case_marked_among_argvalues_given_by_keyword(x):
        yield sleep(0)
        assert x == 1

    @pytest.mark.trampoline(timeout=0)
    def test_a_timeout_of_zero():
        yield sleep(0)

    @pytest.mark.trampoline
    def test_passes_but_its_child_crashed():
        crashed = Event()

        def child():
            try:
                raise ValueError("from the child")
            finally:
                crashed.set()
            yield

        yield spawn(child())
        yield crashed.wait()
        yield sleep(0)

    @pytest.mark.trampoline
    async def test_raises_a_runtime_error_of_its_own():
        await sleep(0)
        raise RuntimeError("no deadlock, the test's own error")

    closed = []

    @pytest.fixture
    async def yields_twice():
        try:
            yield 1
            yield 2
        finally:
            await sleep(0)              # (in the kernel: a garbage collector's close cannot)
            closed.append("yields_twice")

    @pytest.mark.trampoline
    async def test_uses_a_fixture_that_yields_twice(yields_twice):
        pass

    def test_the_fixture_that_yielded_twice_was_closed_in_the_kernel():
        assert closed == ["yields_twice"]

    @pytest.fixture
    async def one():
        return 1

    async def test_unmarked_async_def(one):
        pass
'''


def test_the_plugin_cases_mutation_testing_found_unpinned(tmp_path):
    """One inner pytest session for them all (each session costs a second):

    - a generator test whose ``parametrize`` names its cases by keyword
      (``argvalues=[pytest.param(..., marks=pytest.mark.trampoline)]``) is
      collected and runs in a kernel, as with the cases given by position;
    - ``timeout=0`` is refused as the docstring's "seconds > 0" says (a test
      could never run in no time at all; it ran and failed on its timeout);
    - a test that passed itself, a task it spawned crashed, fails saying it
      "passed, but", and only that (it was also said to have "failed, and");
    - a test's own ``RuntimeError`` keeps its traceback, the line that raised
      it shown (only a deadlock's is cut, its message saying where each task
      waits);
    - an async generator fixture that yielded twice fails its test and is
      closed there, in the kernel, its ``finally`` run (not left to the
      garbage collector, whose close cannot await);
    - an ``async def`` test left unmarked that uses an async fixture is told
      the fixture needs a trampoline test (not only pytest's "async def
      functions are not natively supported")."""
    result, outcomes, _ = run_pytest(tmp_path, PLUGIN_CASES)
    text = result.stdout
    assert outcomes == {
        "test_a_case_marked_among_argvalues_given_by_keyword[1]": "PASSED",
        "test_a_timeout_of_zero": "FAILED",
        "test_passes_but_its_child_crashed": "FAILED",
        "test_raises_a_runtime_error_of_its_own": "FAILED",
        "test_uses_a_fixture_that_yields_twice": "FAILED",
        "test_the_fixture_that_yielded_twice_was_closed_in_the_kernel": "PASSED",
        "test_unmarked_async_def": "ERROR",
    }, text
    assert "@pytest.mark.trampoline(timeout=...) takes seconds > 0 (or None), got 0" in text
    assert ("test_passes_but_its_child_crashed passed, but 1 task(s) it spawned crashed and "
            "were never joined") in text, text
    assert "ValueError: from the child" in text, text
    assert "test_passes_but_its_child_crashed failed, and" not in text, text
    assert re.search(r'^>\s+raise RuntimeError\("no deadlock, the test\'s own error"\)$', text,
                     re.M), text
    assert ("async fixture 'one' is used by test_unmarked_async_def, which is not a "
            "@pytest.mark.trampoline generator or async def test") in text, text
