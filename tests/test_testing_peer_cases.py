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
