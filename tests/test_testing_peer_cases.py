"""The pytest plugin (trampoline.testing) and the VirtualClock, case by case
against what users of pytest-trio, pytest-asyncio and trio's testing module
rely on (their own tests: pytest_trio/_tests/, pytest-asyncio's tests/,
trio's _core/_tests/test_mock_clock.py).  Each test names the peer case;
where our documented rule differs, it says so and checks ours.

The plugin runs in an inner pytest session, as in test_testing_plugin.py
(whose ``run_pytest`` is used here): one file of user tests per case."""

import socket
import textwrap

import pytest

from test_testing_plugin import run_pytest
from trampoline import Kernel, VirtualClock, current_time, read, sleep, spawn, write


def outcomes_of(tmp_path, source):
    """``({test name: outcome}, output)`` of pytest run on ``source``."""
    result, outcomes, _ = run_pytest(tmp_path, source)
    return outcomes, result.stdout


# ------------------------------------------------------------ the test's task


def test_the_tests_task_is_named_for_the_test_whatever_wraps_it(tmp_path):
    """pytest-trio's test_fixture_names (the test's task is named for the
    test).  With an async fixture or a timeout the main task was named for
    the plugin's wrapper -- "_with_fixtures", "_within" -- in a deadlock's
    report, a trace and the monitor; it is named for the test function, as
    without them (and as run() names its main task)."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import Event, current_task, sleep

        @pytest.fixture
        async def value(request):
            assert current_task().name == request.function.__qualname__
            yield 1
            assert current_task().name == request.function.__qualname__

        @pytest.mark.trampoline
        async def test_with_a_fixture(value):
            assert current_task().name == "test_with_a_fixture"

        @pytest.mark.trampoline(timeout=60)
        def test_with_a_timeout():
            assert (yield sleep(0)) is None
            assert current_task().name == "test_with_a_timeout"

        class TestInAClass:
            @pytest.mark.trampoline(timeout=60)
            async def test_both(self, value):
                assert current_task().name == "TestInAClass.test_both"

        @pytest.mark.trampoline
        async def test_deadlocked(value):
            await Event().wait()
    """)
    assert outcomes == {"test_with_a_fixture": "PASSED", "test_with_a_timeout": "PASSED",
                        "TestInAClass::test_both": "PASSED",
                        "test_deadlocked": "FAILED"}, text
    assert "task 1 test_deadlocked waits in Event.wait, called at" in text, text


def test_a_deadlocked_test_shows_where_each_task_waits_not_the_plugin(tmp_path):
    """pytest-trio's test_fixtures_crash_and_hang_concurrently (issue 120):
    a fixture that hangs beside one that explodes must not hang the run.
    Our rule differs in the means: fixtures are set up one at a time, in
    the test's order, so one that explodes first fails the test at once,
    and one that hangs first is a deadlock, found at once (or the mark's
    timeout).  A deadlocked test showed some 120 lines of the plugin's and
    the kernel's source before the message; it shows the message, which
    says where each task waits, as run() does."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import Event, spawn

        @pytest.fixture
        async def hanging_fixture():
            await Event().wait()                            # HANGS-HERE

        @pytest.fixture
        async def exploding_fixture():
            raise Exception("EXPLODES")

        @pytest.mark.trampoline
        async def test_fails_right_away(exploding_fixture):
            pass

        @pytest.mark.trampoline
        async def test_explodes_first(exploding_fixture, hanging_fixture):
            pass

        @pytest.mark.trampoline
        async def test_hangs_first(hanging_fixture, exploding_fixture):
            pass

        @pytest.mark.trampoline
        def test_the_body_deadlocks():
            async def helper():
                await Event().wait()
            yield spawn(helper())
            yield Event().wait()
    """)
    assert outcomes == {"test_fails_right_away": "FAILED", "test_explodes_first": "FAILED",
                        "test_hangs_first": "FAILED", "test_the_body_deadlocks": "FAILED"}, text
    assert text.count("Exception: EXPLODES") == 2, text
    assert text.count("RuntimeError: deadlock: every task is waiting") == 2, text
    assert "task 1 test_hangs_first waits in Event.wait, called at" in text, text
    assert "test_user.py:7 (in hanging_fixture)" in text, text
    assert "task 1 test_the_body_deadlocks waits in Event.wait" in text, text
    assert "(in test_the_body_deadlocks)" in text and "(in helper)" in text, text
    for internal in ("testing.py", "def pytest_pyfunc_call", "lifetime.py", "def run("):
        assert internal not in text, (internal, text)



def test_a_marked_method_of_a_plain_class_runs_with_its_async_fixture(tmp_path):
    """pytest-trio's test_async_test_is_executed and
    test_async_test_as_class_method, and pytest-asyncio's
    test_strict_mode_method_fixture and test_asyncio_marker_with_default_param:
    a marked method of an unmarked class runs, with an async fixture that
    is a method of the class (bound to the test's own instance) and a
    module-level one; an argument with a default is no fixture."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep

        called = []

        @pytest.fixture
        async def fix():
            await sleep(0)
            return "fix"

        class TestInClass:
            @pytest.fixture
            async def method_fixture(self):
                await sleep(0)
                self.seen = "set by the fixture"
                return 1

            @pytest.mark.trampoline
            async def test_base(self, fix, method_fixture, a_param=None):
                assert (fix, method_fixture, a_param) == ("fix", 1, None)
                assert self.seen == "set by the fixture"
                await sleep(0)
                called.append("async")

            @pytest.mark.trampoline
            def test_generator(self, fix):
                yield sleep(0)
                called.append(fix)

        def test_check_async_tests_called():
            assert called == ["async", "fix"]
    """)
    assert outcomes == {"TestInClass::test_base": "PASSED",
                        "TestInClass::test_generator": "PASSED",
                        "test_check_async_tests_called": "PASSED"}, text


def test_skip_and_xfail_inside_a_trampoline_test(tmp_path):
    """pytest-trio's test_skip_and_xfail, pytest-asyncio's test_skips and
    test_asyncio_marker_compatibility_with_xfail: ``pytest.skip()`` and
    ``pytest.xfail()`` inside the test (async or generator) skip it and
    xfail it; ``@pytest.mark.xfail(strict=True)`` over a failing test is an
    xfail, over a passing one a failure; skip and skipif marks leave it
    unrun.  Called in a task the test spawned, our rule differs from
    pytest-trio's (whose nursery hands the one outcome on): it is that
    task's exception -- unjoined, a crash that fails the test, naming it;
    joined, the ``TaskError`` of ``join``, which fails it too."""
    outcomes, text = outcomes_of(tmp_path, """
        import sys
        import pytest
        from trampoline import join, sleep, spawn

        @pytest.mark.trampoline
        async def test_xfail():
            await sleep(0)
            pytest.xfail("XFAIL-INSIDE")

        @pytest.mark.trampoline
        def test_skip():
            yield sleep(0)
            pytest.skip("SKIP-INSIDE")

        @pytest.mark.xfail(reason="need a failure", strict=True)
        @pytest.mark.trampoline
        async def test_marked_xfail_that_fails():
            await sleep(0)
            raise AssertionError

        @pytest.mark.xfail(reason="it passes", strict=True)
        @pytest.mark.trampoline
        def test_marked_xfail_that_passes():
            yield sleep(0)

        @pytest.mark.skipif(sys.version_info > (3,), reason="SKIPIF-MARK")
        @pytest.mark.trampoline
        def test_skipif():
            raise AssertionError("never runs")
            yield

        async def callback(outcome):
            await sleep(0)
            outcome("FROM-A-CHILD")

        @pytest.mark.trampoline
        async def test_skip_in_an_unjoined_child():
            await spawn(callback(pytest.skip))
            await sleep(0)
            await sleep(0)

        @pytest.mark.trampoline
        async def test_xfail_in_a_joined_child():
            await join(await spawn(callback(pytest.xfail)))
    """)
    assert outcomes == {"test_marked_xfail_that_passes": "FAILED",
                        "test_skip_in_an_unjoined_child": "FAILED",
                        "test_xfail_in_a_joined_child": "FAILED"}, text
    summary = text.strip().splitlines()[-1]
    assert "3 failed" in summary and "2 skipped" in summary and "2 xfailed" in summary, text
    assert "SKIP-INSIDE" in text and "XFAIL-INSIDE" in text and "SKIPIF-MARK" in text
    assert ("test_skip_in_an_unjoined_child passed, but 1 task(s) it spawned crashed and "
            "were never joined") in text, text
    assert "Skipped: FROM-A-CHILD" in text, text
    assert "TaskError: task 2 callback failed: XFailed: FROM-A-CHILD" in text, text


def test_a_module_skipped_at_import_skips_its_trampoline_tests(tmp_path):
    """pytest-asyncio's test_asyncio_strict_mode_module_level_skip."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep

        pytest.skip("Skip all tests", allow_module_level=True)

        @pytest.mark.trampoline
        def test_is_skipped():
            yield sleep(0)
    """)
    assert outcomes == {}, text
    assert "1 skipped" in text.strip().splitlines()[-1], text


def test_exitfirst_and_last_failed_take_trampoline_tests_as_any(tmp_path):
    """pytest's -x and --lf over trampoline tests (pytest-trio's and
    pytest-asyncio's tests run under them too): -x stops at the first
    failing one; --lf reruns only the failed ones -- generator tests too,
    which the plugin collects itself."""
    source = """
        import pytest
        from trampoline import sleep

        @pytest.mark.trampoline
        def test_a_generator_fails():
            yield sleep(0)
            assert 0

        @pytest.mark.trampoline
        async def test_passes():
            await sleep(0)

        @pytest.mark.trampoline
        async def test_async_fails():
            await sleep(0)
            assert 0
    """
    result, outcomes, _ = run_pytest(tmp_path, source, "-x")
    assert outcomes == {"test_a_generator_fails": "FAILED"}, result.stdout
    assert "stopping after 1 failures" in result.stdout, result.stdout
    cache = ("-p", "cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")
    result, outcomes, _ = run_pytest(tmp_path, source, *cache)
    assert len(outcomes) == 3, result.stdout
    result, outcomes, _ = run_pytest(tmp_path, source, "--lf", *cache)
    assert outcomes == {"test_a_generator_fails": "FAILED", "test_async_fails": "FAILED"}, \
        result.stdout
    assert "1 deselected" in result.stdout, result.stdout


# ------------------------------------------------------------ async fixtures


def test_async_fixtures_set_up_in_order_torn_down_in_reverse_each_test_its_own(tmp_path):
    """pytest-trio's test_nested_async_yield_fixture (the one used set up
    first, torn down last), test_async_fixture_recomputed_for_each_test,
    test_nested_async_fixture (a fixture asked for by the test and by
    another fixture is one value) and
    test_async_yield_fixture_crashed_teardown_allow_other_teardowns (a
    teardown that raises leaves the others to run, whichever way round);
    pytest-asyncio's async_fixtures/test_nested.  A plain yield fixture
    (pytest-trio's test_single_yield_fixture) is set up before the kernel
    starts and torn down after it ends."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep

        events = []
        counter = []

        @pytest.fixture
        def plain():
            events.append("plain setup")
            yield "plain"
            events.append("plain teardown")

        @pytest.fixture
        async def fix2():
            events.append("fix2 setup")
            await sleep(0)
            counter.append(1)
            yield len(counter)
            await sleep(0)
            events.append("fix2 teardown")

        @pytest.fixture
        async def fix1(fix2):
            events.append("fix1 setup")
            await sleep(0)
            yield "fix1(%d)" % fix2
            events.append("fix1 teardown")

        @pytest.fixture
        async def bad():
            events.append("bad setup")
            yield
            events.append("bad teardown")
            raise RuntimeError("CRASH-IN-TEARDOWN")

        @pytest.mark.trampoline
        async def test_nested(plain, fix1, fix2):
            assert (plain, fix1, fix2) == ("plain", "fix1(1)", 1)
            assert events == ["plain setup", "fix2 setup", "fix1 setup"]
            events.append("test")

        def test_after_nested():
            assert events == ["plain setup", "fix2 setup", "fix1 setup", "test",
                              "fix1 teardown", "fix2 teardown", "plain teardown"]
            events.clear()

        @pytest.mark.trampoline
        async def test_recomputed(fix1):
            assert fix1 == "fix1(2)"
            events.clear()

        @pytest.mark.trampoline
        async def test_bad_first(bad, fix2):
            pass

        @pytest.mark.trampoline
        async def test_bad_last(fix2, bad):
            pass

        def test_after_bad():
            assert events == ["fix1 teardown", "fix2 teardown",
                              "bad setup", "fix2 setup", "fix2 teardown", "bad teardown",
                              "fix2 setup", "bad setup", "bad teardown", "fix2 teardown"]
    """)
    assert outcomes == {"test_nested": "PASSED", "test_after_nested": "PASSED",
                        "test_recomputed": "PASSED", "test_bad_first": "FAILED",
                        "test_bad_last": "FAILED", "test_after_bad": "PASSED"}, text
    assert text.count("RuntimeError: CRASH-IN-TEARDOWN") == 2, text
    assert "async fixture 'bad' of test_bad_last raised in its teardown" in text, text


def test_tasks_left_running_are_cancelled_after_every_async_teardown(tmp_path):
    """pytest-trio's test_nursery_fixture_teardown_ordering: there, the
    tasks a fixture started in its nursery are cancelled as that fixture
    is torn down.  Our rule differs: the tasks the test and its fixtures
    left running are cancelled when the test's main task ends -- after
    every async fixture's teardown (so a server a fixture started still
    runs while the fixtures it serves are torn down), oldest first -- and
    plain fixtures are torn down after that, the kernel gone."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import Event, sleep, spawn

        events = []

        async def record_cancel(msg):
            try:
                await Event().wait()
            finally:
                events.append(msg)

        @pytest.fixture
        def fix0():
            yield
            events.append("fix0 teardown")

        @pytest.fixture
        async def fix1():
            await spawn(record_cancel("fix1 cancel"))
            yield
            events.append("fix1 teardown")

        @pytest.fixture
        async def fix2(fix1):
            await spawn(record_cancel("fix2 cancel"))
            yield
            events.append("fix2 teardown")

        @pytest.mark.trampoline
        async def test_root(fix0, fix2):
            await spawn(record_cancel("test cancel"))
            await sleep(0)
            events.append("test")

        def test_the_order():
            assert events == ["test", "fix2 teardown", "fix1 teardown", "fix1 cancel",
                              "fix2 cancel", "test cancel", "fix0 teardown"]
    """)
    assert outcomes == {"test_root": "PASSED", "test_the_order": "PASSED"}, text


def test_a_crash_in_a_fixtures_task_or_its_setup_or_teardown_is_reported(tmp_path):
    """pytest-trio's test_error_collection and
    test_background_crash_cancellation_propagation.  Setups run one at a
    time (pytest-trio runs them at once): one that raises stops the rest
    and the test, and those set up are torn down -- a teardown that raises
    then is shown too, after the setup's error.  A task a fixture spawned
    that crashes does not cancel the test (our rule, curio's: nothing is
    cancelled by a crash nobody joined; pytest-trio cancels the test): the
    test runs to its end, then fails, naming the crash."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep, spawn

        test_started = []

        @pytest.fixture
        async def crash_late_agen():
            yield
            raise RuntimeError("CRASH_LATE_AGEN")

        @pytest.fixture
        async def crash_nongen():
            await sleep(2)
            raise RuntimeError("CRASH_NONGEN")

        @pytest.fixture
        async def crash_background():
            async def crash():
                await sleep(1)
                raise RuntimeError("CRASH_BACKGROUND")
            await spawn(crash())

        @pytest.mark.trampoline(virtual_clock=True)
        async def test_all_the_crashes(crash_late_agen, crash_nongen, crash_background):
            test_started.append(True)

        @pytest.mark.trampoline(virtual_clock=True)
        async def test_a_background_crash(crash_background, trampoline_clock):
            await sleep(5)
            test_started.append(trampoline_clock())

        def test_followup():
            assert test_started == [5]
    """)
    assert outcomes == {"test_all_the_crashes": "FAILED", "test_a_background_crash": "FAILED",
                        "test_followup": "PASSED"}, text
    assert "async fixture 'crash_nongen' of test_all_the_crashes raised in its setup" in text
    assert ("async fixture 'crash_late_agen' of test_all_the_crashes raised in its teardown"
            in text), text
    assert "RuntimeError: CRASH_NONGEN" in text and "RuntimeError: CRASH_LATE_AGEN" in text
    assert ("test_a_background_crash passed, but 1 task(s) it spawned crashed and were "
            "never joined") in text, text
    assert "RuntimeError: CRASH_BACKGROUND" in text, text


def test_a_fixture_whose_timeout_cuts_the_test_short_fails_it(tmp_path):
    """pytest-trio's test_fixture_cancels_test_but_doesnt_raise: a fixture
    whose timeout (``ignore_after``, trio's CancelScope) went off while the
    test ran must not let the test pass: it fails, with the timeout at the
    line it cut short (``timeout_after``: the fixture fails, naming it); and
    the mark's timeout covers a teardown that hangs (pytest-trio has no
    timeout of its own; pytest-timeout's would end the whole run)."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import Event, ignore_after, sleep, timeout_after

        ran = []

        @pytest.fixture
        async def ignoring():
            with ignore_after(1):
                yield

        @pytest.fixture
        async def timing_out():
            with timeout_after(1):
                yield

        @pytest.fixture
        async def hangs_in_teardown():
            yield
            await Event().wait()

        @pytest.mark.trampoline(virtual_clock=True)
        async def test_cut_short(ignoring):
            await sleep(10)                         # CUT-SHORT-HERE
            ran.append("the end of the test")

        @pytest.mark.trampoline(virtual_clock=True)
        def test_timed_out(timing_out):
            yield sleep(10)
            ran.append("the end of the test")

        @pytest.mark.trampoline(virtual_clock=True, timeout=5)
        async def test_teardown_hangs(hangs_in_teardown):
            pass

        def test_neither_ran_to_its_end():
            assert ran == []
    """)
    assert outcomes == {"test_cut_short": "FAILED", "test_timed_out": "FAILED",
                        "test_teardown_hangs": "FAILED",
                        "test_neither_ran_to_its_end": "PASSED"}, text
    assert "TimeoutCancelled: timed out: not finished within 1 s" in text, text
    assert "# CUT-SHORT-HERE" in text, text
    assert "async fixture 'timing_out' of test_timed_out raised in its teardown" in text, text
    assert ("TaskTimeout: test_teardown_hangs did not finish within 5 s (the timeout of its "
            "@pytest.mark.trampoline)") in text, text


@pytest.mark.parametrize("scope", ["module", "class", "session", "package"])
def test_an_async_fixture_of_a_wider_scope_is_an_error_for_every_test_not_a_hang(
        tmp_path, scope):
    """pytest-trio's test_trio_fixture_with_wrong_scope_without_trio_mode
    (class scope, the class marked) and ..._in_trio_mode (session scope);
    pytest-asyncio's test_shared_module_fixture: there one loop serves the
    module (``loop_scope``).  Our rule differs: one kernel per test, so an
    async fixture of a scope wider than the function is an error naming it
    -- for each test that uses it, each test on its own (a plain test too),
    never a hang, never a pass; the other tests run."""
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.fixture(scope=%r)
        async def shared():
            return True
    """ % scope))
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep

        pytestmark = pytest.mark.trampoline

        async def test_a(shared):
            pass

        class TestB:
            def test_b(self, shared):
                yield sleep(0)

        def test_plain(shared):
            pass

        async def test_other():
            await sleep(0)
    """)
    assert outcomes == {"test_a": "ERROR", "TestB::test_b": "ERROR", "test_plain": "ERROR",
                        "test_other": "PASSED"}, text
    assert text.count("async fixture 'shared' has scope %r: an async fixture runs in the "
                      "test's kernel, one per test, so its scope must be 'function'"
                      % scope) >= 3, text


def test_parametrized_async_fixtures_and_cases(tmp_path):
    """pytest-trio's and pytest-asyncio's parametrize cases: an async
    fixture with ``params`` (``request.param``), one parametrized
    indirectly, and a parametrized test, each case its own kernel and its
    own fixture values."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep
        from trampoline.traps import current_kernel

        kernels = []                # (the kernels themselves: a freed one's id comes again)

        @pytest.fixture(params=[1, 2])
        async def tens(request):
            await sleep(0)
            return request.param * 10

        @pytest.fixture
        async def plus_one(request):
            return request.param + 1

        @pytest.mark.trampoline
        async def test_params(tens):
            assert tens in (10, 20)
            kernels.append(await current_kernel())

        @pytest.mark.parametrize("plus_one, expected", [(1, 2), (5, 6)], indirect=["plus_one"])
        @pytest.mark.trampoline
        def test_indirect(plus_one, expected):
            assert plus_one == expected
            kernels.append((yield current_kernel()))

        def test_a_kernel_each():
            assert len(kernels) == 4 and len(set(map(id, kernels))) == 4
    """)
    assert outcomes == {"test_params[1]": "PASSED", "test_params[2]": "PASSED",
                        "test_indirect[1-2]": "PASSED", "test_indirect[5-6]": "PASSED",
                        "test_a_kernel_each": "PASSED"}, text



def test_context_variables_flow_from_fixtures_to_the_test_and_stay_inside(tmp_path):
    """pytest-trio's test_contextvars and pytest-asyncio's
    async_fixtures/test_async_fixtures_contextvars: what a plain fixture
    sets is seen by the async fixtures and the test; what an async fixture
    sets is seen by the test and by its own teardown; and it stays inside
    the test's kernel (run() runs the main task in a copy of the context):
    the next test does not see it."""
    outcomes, text = outcomes_of(tmp_path, """
        import contextvars
        import pytest
        from trampoline import sleep

        cv = contextvars.ContextVar("cv", default=None)

        @pytest.fixture
        def plain_setter():
            token = cv.set("plain")
            yield
            assert cv.get() == "plain"
            cv.reset(token)

        @pytest.fixture
        async def async_setter(plain_setter):
            assert cv.get() == "plain"
            cv.set("async")
            yield
            await sleep(0)
            assert cv.get() == "async"

        @pytest.mark.trampoline
        async def test_contextvars(async_setter):
            assert cv.get() == "async"

        def test_nothing_leaked():
            assert cv.get() is None
    """)
    assert outcomes == {"test_contextvars": "PASSED", "test_nothing_leaked": "PASSED"}, text



def test_a_plain_fixture_over_an_async_one_is_refused_naming_both(tmp_path):
    """pytest-trio's test_async_within_sync_fixture,
    test_async_yield_fixture_within_sync_yield_fixture and
    test_single_yield_fixture_with_async_deps (and pytest-asyncio's auto
    mode) run a plain fixture that uses an async one inside the loop.  Our
    documented rule differs: pytest sets a plain fixture up before any
    kernel runs, so one that uses an async fixture is an error naming both,
    saying to make it async def -- for each test, never a hang -- and the
    async def version works."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import sleep

        events = []

        @pytest.fixture
        async def fix2():
            await sleep(0)
            yield "fix2"
            events.append("fix2 teardown")

        @pytest.fixture
        def fix1(fix2):
            yield "fix1"

        @pytest.fixture
        async def fix1_async(fix2):
            events.append("fix1 setup")
            yield "fix1 over " + fix2
            events.append("fix1 teardown")

        @pytest.mark.trampoline
        async def test_plain_over_async(fix1):
            pass

        @pytest.mark.trampoline
        def test_plain_over_async_again(fix1):
            yield sleep(0)

        @pytest.mark.trampoline
        async def test_async_over_async(fix1_async):
            assert fix1_async == "fix1 over fix2"

        def test_after():
            assert events == ["fix1 setup", "fix1 teardown", "fix2 teardown"]
    """)
    assert outcomes == {"test_plain_over_async": "ERROR", "test_plain_over_async_again": "ERROR",
                        "test_async_over_async": "PASSED", "test_after": "PASSED"}, text
    assert ("fixture 'fix1' of test_plain_over_async uses the async fixture 'fix2' but is "
            "not async def itself: make it async def too") in text, text


# ------------------------------------------------------------ marks and modes


def test_marks_at_module_and_class_level_and_the_closest_wins(tmp_path):
    """pytest-asyncio's markers/test_class_scope and test_module_scope,
    pytest-trio's test_closest_explicit_run_wins: a mark on the class (by
    decorator or its ``pytestmark``) makes its generator and async methods
    tasks; a module's list of marks works; the closest mark is the one
    used, whole -- its options are not merged with an outer mark's."""
    outcomes, text = outcomes_of(tmp_path, """
        import time
        import pytest
        from trampoline import sleep

        pytestmark = [pytest.mark.trampoline(virtual_clock=True), pytest.mark.filterwarnings("error")]

        def test_module_level():
            started = time.monotonic()
            yield sleep(3600)
            assert time.monotonic() - started < 1

        class TestByPytestmark:
            pytestmark = pytest.mark.trampoline(timeout=30)

            def test_generator_method(self, trampoline_clock):
                assert trampoline_clock is None         # the class's mark: no virtual clock
                yield sleep(0)

        @pytest.mark.trampoline
        class TestByDecorator:
            async def test_async_method(self, trampoline_clock):
                assert trampoline_clock is None
                await sleep(0)

            @pytest.mark.trampoline(virtual_clock=True)
            async def test_the_methods_own_mark(self, trampoline_clock):
                await sleep(60)
                assert trampoline_clock() == 60

            def test_plain_method(self):
                assert True
    """)
    assert outcomes == {"test_module_level": "PASSED",
                        "TestByPytestmark::test_generator_method": "PASSED",
                        "TestByDecorator::test_async_method": "PASSED",
                        "TestByDecorator::test_the_methods_own_mark": "PASSED",
                        "TestByDecorator::test_plain_method": "PASSED"}, text


def test_an_unmarked_task_test_is_left_to_pytest_which_does_not_pass_it(tmp_path):
    """pytest-asyncio's test_strict_mode_ignores_unmarked_coroutine; the
    trio_mode and asyncio_mode=auto of the peers.  Our rule: there is no
    auto mode -- a test runs in a kernel only if marked (by itself, its
    class, its module's ``pytestmark`` or a ``pytest.param`` case).  An
    unmarked ``async def`` test is pytest's, which fails it (skips it
    before pytest 8.4), saying "async def functions are not natively
    supported"; never a pass."""
    outcomes, text = outcomes_of(tmp_path, """
        async def test_anything():
            pass
    """)
    assert outcomes.get("test_anything") != "PASSED", text
    assert "async def functions are not natively supported" in text, text
    assert "passed" not in text.strip().splitlines()[-1], text


def test_a_module_scoped_plain_fixture_is_shared_by_tests_each_in_its_kernel(tmp_path):
    """pytest-trio's and pytest-asyncio's fixtures shared between tests,
    and pytest-asyncio's "event loop per test": a module-scoped plain
    fixture (sockets made outside any kernel) serves test after test, each
    in a kernel of its own -- one that left a task reading the socket does
    not keep it from the next -- and a task one test left running is
    cancelled, its cleanup run, before the next starts.  A cleanup that
    raises then fails its test (pytest-asyncio's
    test_task_is_cancelled_when_abandoned_by_test passes it; our rule:
    that error is the task's crash)."""
    outcomes, text = outcomes_of(tmp_path, """
        import socket
        import pytest
        from trampoline import read, sleep, spawn, write

        pytestmark = pytest.mark.trampoline
        cleaned = []

        @pytest.fixture(scope="module")
        def pair():
            a, b = socket.socketpair()
            with a, b:
                yield a, b

        async def send_later(sock, data):
            await sleep(0.01)
            await write(sock, data)

        async def test_one(pair):
            a, b = pair
            await spawn(send_later(b, b"one"))
            assert await read(a, 10) == b"one"

        async def test_leaves_a_reader(pair):
            a, b = pair

            async def reader():
                try:
                    await read(a, 10)
                finally:
                    cleaned.append("reader")

            await spawn(reader())
            await sleep(0)

        async def test_two(pair):
            assert cleaned == ["reader"]
            a, b = pair
            await spawn(send_later(b, b"two"))
            assert await read(a, 10) == b"two"

        async def test_abandons_a_task_whose_cleanup_raises():
            async def coroutine():
                try:
                    while True:
                        await sleep(0)
                finally:
                    raise RuntimeError("RAISED-IN-CLEANUP")

            await spawn(coroutine())
            await sleep(0)
    """)
    assert outcomes == {"test_one": "PASSED", "test_leaves_a_reader": "PASSED",
                        "test_two": "PASSED",
                        "test_abandons_a_task_whose_cleanup_raises": "FAILED"}, text
    assert "RuntimeError: RAISED-IN-CLEANUP" in text, text



def test_hypothesis_given_runs_each_example_in_a_kernel_of_its_own(tmp_path):
    """pytest-trio's test_hypothesis_interaction (test_mark_inner,
    test_mark_outer, test_mark_and_parametrize) and pytest-asyncio's
    hypothesis/test_base: ``@given`` over a marked generator or async def
    test -- the mark inside it or outside, with parametrize, a method --
    runs each example as a task, in a fresh kernel, its async fixtures set
    up and torn down for it; a falsifying example fails the test.  It ran
    none: the test, wrapped by Hypothesis in a plain function, was taken
    for one that forgot its yield ("neither a generator function nor an
    async def"), and Hypothesis refused the coroutine it got; an async
    fixture was refused as used by no trampoline test."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from hypothesis import HealthCheck, given, settings, strategies as st
        from trampoline import sleep
        from trampoline.traps import current_kernel

        our_settings = settings(deadline=None, max_examples=5, database=None,
                                suppress_health_check=[HealthCheck.function_scoped_fixture])
        kernels = []
        fixture_log = []

        @pytest.fixture
        async def fix(request):
            fixture_log.append("up")
            yield request.node.name
            fixture_log.append("down")

        @our_settings
        @given(st.integers())
        @pytest.mark.trampoline
        async def test_mark_inner(n):
            await sleep(0)
            kernels.append(await current_kernel())

        @our_settings
        @pytest.mark.trampoline
        @given(st.integers())
        def test_mark_outer(n):
            yield sleep(0)
            assert isinstance(n, int)

        @our_settings
        @pytest.mark.parametrize("y", [1, 2])
        @given(x=st.integers())
        @pytest.mark.trampoline(virtual_clock=True)
        async def test_mark_and_parametrize(x, y, fix):
            assert y in (1, 2) and fix == "test_mark_and_parametrize[%d]" % y
            await sleep(10)

        class TestInAClass:
            @our_settings
            @given(st.integers())
            @pytest.mark.trampoline
            async def test_method(self, n):
                await sleep(0)

        @our_settings
        @given(st.integers(min_value=5))   # (every example fails: five random ones may not)
        @pytest.mark.trampoline
        async def test_falsified(n):
            await sleep(0)
            assert n < 5

        def test_after():
            assert len(kernels) >= 2 and len(set(map(id, kernels))) == len(kernels)
            assert len(fixture_log) >= 4
            assert fixture_log == ["up", "down"] * (len(fixture_log) // 2)
    """)
    assert outcomes == {"test_mark_inner": "PASSED", "test_mark_outer": "PASSED",
                        "test_mark_and_parametrize[1]": "PASSED",
                        "test_mark_and_parametrize[2]": "PASSED",
                        "TestInAClass::test_method": "PASSED",
                        "test_falsified": "FAILED", "test_after": "PASSED"}, text
    assert ("Falsifying example" in text or "Failing test case" in text) and \
        "assert 5 < 5" in text, text            # (the words of Hypothesis's versions)
    assert "neither a generator function nor an async def" not in text, text


# ------------------------------------------------------------ the clock


@pytest.mark.parametrize("value, error, message", [
    (float("nan"), ValueError, "VirtualClock.autojump_threshold needs a number of seconds, got nan"),
    (None, TypeError, "VirtualClock.autojump_threshold needs a number of seconds, got None"),
    ("0.1", TypeError, "VirtualClock.autojump_threshold needs a number of seconds, got '0.1'"),
    (-1, ValueError, "VirtualClock.autojump_threshold needs seconds >= 0 (inf: wait for the "
                     "I/O however long), got -1"),
])
def test_an_autojump_threshold_set_later_is_checked_as_the_constructors(value, error, message):
    """trio's test_mock_clock ("rate must be >= 0", refused as it is set,
    the clock unchanged) and its autojump_threshold setter.  Set after the
    clock was made, a NaN, a None or a string was taken, and the kernel
    died in its loop at the first wait on I/O ("unsupported operand
    type(s) for +: 'float' and 'NoneType'", "Invalid value NaN"), every
    task lost; it is refused there and then, naming it, as the
    constructor refuses it."""
    clock = VirtualClock()
    with pytest.raises(error) as caught:
        clock.autojump_threshold = value
    assert str(caught.value) == message
    assert clock.autojump_threshold == 0.1
    a, b = socket.socketpair()

    def writer():
        yield sleep(10)
        yield write(b, b"x")

    def main():
        yield spawn(writer())
        return (yield read(a, 1))

    with a, b, Kernel(clock=clock) as kernel:
        assert kernel.run(main()) == b"x"
    assert clock() == 10


@pytest.mark.trampoline(virtual_clock=True)
async def test_the_threshold_changed_while_running_counts_from_the_next_wait(trampoline_clock):
    """trio's test_mock_clock_autojump: a threshold of 10000 set while the
    test runs, then 0 before a wait: that wait jumps at once (were the
    10000 still in force, the read would wait nearly three hours)."""
    trampoline_clock.autojump_threshold = 10000
    assert trampoline_clock.autojump_threshold == 10000
    a, b = socket.socketpair()
    with a, b:
        async def writer():
            await sleep(100000)
            await write(b, b"x")

        await spawn(writer())
        await sleep(0)                      # everyone has blocked: no time passed
        assert current_time() == 0
        trampoline_clock.autojump_threshold = 0
        assert await read(a, 1) == b"x"
        assert current_time() == 100000


def test_an_async_generator_fixture_that_hangs_is_found_on_its_line(tmp_path):
    """pytest-trio's test_fixtures_crash_and_hang_concurrently, whose
    hanging fixture is an async generator: the deadlock's report said the
    test's task was "parked on <park queue=<WaitQueue waiting=1>>" -- not
    which fixture, nor which line (``__anext__``'s awaitable shows no
    frame) -- in its setup and in its teardown alike; it names the line."""
    outcomes, text = outcomes_of(tmp_path, """
        import pytest
        from trampoline import Event

        @pytest.fixture
        async def hanging_fixture():
            await Event().wait()                            # line 7
            yield

        @pytest.fixture
        async def hanging_teardown():
            yield
            await Event().wait()                            # line 13

        @pytest.mark.trampoline
        async def test_hangs_in_setup(hanging_fixture):
            pass

        @pytest.mark.trampoline
        async def test_hangs_in_teardown(hanging_teardown):
            pass
    """)
    assert outcomes == {"test_hangs_in_setup": "FAILED", "test_hangs_in_teardown": "FAILED"}, text
    assert ("task 1 test_hangs_in_setup waits in Event.wait, called at" in text
            and "test_user.py:7 (in hanging_fixture)" in text), text
    assert ("task 1 test_hangs_in_teardown waits in Event.wait, called at" in text
            and "test_user.py:13 (in hanging_teardown)" in text), text
    assert "parked on" not in text, text


@pytest.mark.trampoline(virtual_clock=True)
async def test_advancing_by_hand_wakes_the_sleepers_whose_time_has_come(trampoline_clock):
    """trio's test_mock_clock (``jump``: time moves by hand, the sleepers
    due wake).  Our names differ: ``advance(seconds)`` moves by hand,
    ``jump(when)`` is the kernel's, to a time, never back.  A sleeper whose
    deadline the advance passed wakes at the next turn, reading the
    advanced time; one due later still sleeps to its own deadline."""
    woke = []

    async def sleeper(seconds):
        await sleep(seconds)
        woke.append((seconds, current_time()))

    await spawn(sleeper(5))
    await spawn(sleeper(50))
    await sleep(0)                          # both asleep
    trampoline_clock.advance(20)
    trampoline_clock.jump(10)               # (never back)
    assert current_time() == 20
    await sleep(0)
    await sleep(0)
    assert woke == [(5, 20)]
    await sleep(40)
    assert woke == [(5, 20), (50, 50)] and current_time() == 60


@pytest.mark.trampoline(virtual_clock=True)
async def test_virtual_time_has_no_rate_it_moves_only_by_jumps(trampoline_clock):
    """trio's MockClock ``rate`` (virtual time may run at a multiple of
    real time; 0 by default).  Our rule: there is no rate -- virtual time
    stands still while tasks run, however long in real time, and moves
    only when the kernel jumps it to a timer, or by hand."""
    import time
    started = time.monotonic()
    while time.monotonic() - started < 0.05:
        await sleep(0)
    assert current_time() == 0
    assert not hasattr(trampoline_clock, "rate")


def test_a_clock_shared_by_two_kernels_in_turn_goes_on_from_where_it_was():
    """trio's test_mock_clock_autojump_interference (a clock that is not
    the kernel's does nothing to it) and a clock handed to two kernels one
    after the other: the second goes on from the time the first left it,
    its timers counted from there; another clock's threshold set meanwhile
    changes nothing.  (Shared by two kernels running at once, each would
    move the other's time: the clock's docstring says to give each its
    own.)"""
    clock = VirtualClock(start=100)

    def main(seconds):
        yield sleep(seconds)
        return current_time()

    with Kernel(clock=clock) as kernel:
        assert kernel.run(main(10)) == 110
    VirtualClock().autojump_threshold = float("inf")        # not the kernel's
    with Kernel(clock=clock) as kernel:
        assert kernel.run(main(5)) == 115
    assert clock() == 115


@pytest.mark.parametrize("call, error, message", [
    (lambda clock: clock.jump("5"), TypeError, "VirtualClock.jump() needs a number of seconds, "
                                               "got '5'"),
    (lambda clock: clock.jump(True), TypeError, "VirtualClock.jump() needs a number of seconds, "
                                                "got True"),
    (lambda clock: clock.advance(float("inf")), ValueError,
     "VirtualClock.advance() needs a finite number of seconds, got inf"),
    (lambda clock: clock.advance(-0.5), ValueError, "time only goes forward; got -0.5"),
    (lambda clock: setattr(clock, "autojump_threshold", float("-inf")), ValueError,
     "VirtualClock.autojump_threshold needs seconds >= 0 (inf: wait for the I/O however "
     "long), got -inf"),
])
def test_the_clock_names_a_bad_value_and_stays_where_it_was(call, error, message):
    """trio's test_mock_clock: ``jump(-1)`` raises "time can't go
    backwards", ``rate = -1`` "rate must be >= 0", the clock unchanged.
    (A negative ``start`` is a time like any: trio's clock starts
    anywhere too.)"""
    clock = VirtualClock(start=-5)
    assert clock() == -5.0
    with pytest.raises(error) as caught:
        call(clock)
    assert str(caught.value) == message
    assert clock() == -5.0 and clock.autojump_threshold == 0.1


def test_a_test_that_fails_and_a_task_it_left_that_crashed_are_both_reported(tmp_path):
    """pytest-trio's test_error_collection (every error reported, the
    test's and its tasks'): a test that failed itself while a task it
    spawned crashed unjoined showed its own error alone -- the crash only
    in the captured log, where the program's logging set-up could hide it
    (the plugin reports crashes whatever the logger's level, for a test
    that passed); the crash is reported beside the test's error."""
    outcomes, text = outcomes_of(tmp_path, """
        import logging
        import pytest
        from trampoline import sleep, spawn

        @pytest.mark.trampoline
        async def test_fails_and_its_child_crashed():
            logging.getLogger("trampoline").setLevel(logging.CRITICAL)
            try:
                async def child():
                    raise KeyError("CHILD" + "CRASH")

                await spawn(child())
                await sleep(0)
                await sleep(0)
                raise ValueError("TEST" + "FAILS")
            finally:
                logging.getLogger("trampoline").setLevel(logging.NOTSET)
    """)
    assert outcomes == {"test_fails_and_its_child_crashed": "FAILED"}, text
    assert "ValueError: TESTFAILS" in text, text
    assert ("test_fails_and_its_child_crashed failed, and 1 task(s) it spawned crashed and "
            "were never joined") in text, text
    assert "KeyError: 'CHILDCRASH'" in text, text
