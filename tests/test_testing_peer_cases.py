"""The pytest plugin (trampoline.testing) and the VirtualClock, case by case
against what users of pytest-trio, pytest-asyncio and trio's testing module
rely on (their own tests: pytest_trio/_tests/, pytest-asyncio's tests/,
trio's _core/_tests/test_mock_clock.py).  Each test names the peer case;
where our documented rule differs, it says so and checks ours.

The plugin runs in an inner pytest session, as in test_testing_plugin.py
(whose ``run_pytest`` is used here): one file of user tests per case."""

import math
import socket

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
