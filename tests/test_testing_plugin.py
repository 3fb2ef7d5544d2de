"""The pytest plugin (trampoline.testing), as a user meets it: pytest runs in
a subprocess, in an empty directory, on a test file written here, with the
plugin loaded by ``-p trampoline.testing`` (what the ``pytest11`` entry
point does once the package is installed; .ci/run checks that path from an
installed wheel)."""

import os
import re
import subprocess
import textwrap
import time

import pytest

from coverage_helpers import run_python
from trampoline import sleep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

USER_TESTS = '''
    import logging
    import time
    import pytest
    from trampoline import Queue, sleep, spawn

    @pytest.fixture
    def seven():
        return 7

    @pytest.mark.trampoline
    def test_a_generator_test_runs_as_a_task(seven):
        queue = Queue()

        def producer():
            yield queue.put(seven)

        yield spawn(producer())
        assert (yield queue.get()) == 7

    @pytest.mark.trampoline
    async def test_an_async_def_test_runs_as_a_task(seven):
        await sleep(0.001)
        assert seven == 7

    @pytest.mark.trampoline(virtual_clock=True)
    def test_an_hour_on_the_virtual_clock(trampoline_clock):
        started = time.monotonic()
        yield sleep(3600)
        assert trampoline_clock() == 3600.0
        assert time.monotonic() - started < 1

    @pytest.mark.trampoline(virtual_clock=True)
    async def test_an_hour_on_the_virtual_clock_async():
        started = time.monotonic()
        await sleep(3600)
        assert time.monotonic() - started < 1

    @pytest.mark.parametrize("n", [1, 2])
    @pytest.mark.trampoline
    def test_parametrized(n):
        yield sleep(0)
        assert n in (1, 2)

    @pytest.mark.trampoline
    def test_a_failing_generator_test():
        yield sleep(0)
        assert 1 + 1 == 3

    @pytest.mark.trampoline
    async def test_a_failing_async_test():
        await sleep(0)
        raise ValueError("from inside the kernel")

    @pytest.mark.trampoline(virtual_clock=True)
    def test_a_failing_virtual_clock_test():
        yield sleep(10)
        raise KeyError("after ten virtual seconds")

    @pytest.mark.trampoline(virtual_clock=True, timeout=60)
    def test_a_test_past_its_timeout():
        yield sleep(3600)

    @pytest.mark.trampoline(clock=True)
    def test_an_unknown_option():
        yield sleep(0)

    @pytest.mark.trampoline(timeout="5")
    def test_a_timeout_that_is_no_number():
        yield sleep(0)

    @pytest.mark.trampoline(virtual_clock="no")
    def test_a_virtual_clock_that_is_no_bool():
        yield sleep(0)

    @pytest.mark.trampoline(5)
    def test_an_option_without_a_name():
        yield sleep(0)

    @pytest.mark.trampoline
    def test_an_error_logged_is_no_crash():
        logging.getLogger("trampoline").error("an error, logged")
        yield sleep(0)

    def test_a_plain_test_still_runs():
        assert True
'''


def run_pytest(tmp_path, source, *options):
    """Run pytest on ``source`` (a test file) in a subprocess, in
    ``tmp_path``, with command-line ``options`` added: ``(result, {test
    name: outcome}, seconds)``.  (Measured by coverage when this run is:
    the plugin's code runs there.)"""
    path = tmp_path / "test_user.py"
    path.write_text(textwrap.dedent(source))
    # (Without CI's variables: pytest does not cut the short summary's
    # lines short under CI, and the output is to read the same everywhere.)
    env = {name: value for name, value in os.environ.items() if name not in ("CI", "BUILD_NUMBER")}
    env.update(PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1")
    # (hypothesis's pytest plugin -- importing hypothesis, 0.4 s of each
    # run's 0.7 -- is left out of the runs whose tests do not use hypothesis:
    # its hooks pass through tests that are not @given, so it changes nothing
    # there; the cases that use hypothesis run with it, as a user's would.)
    if "hypothesis" not in source:
        options = ("-p", "no:hypothesispytest") + options
    started = time.monotonic()
    result = run_python(
        ["-m", "pytest", "-p", "trampoline.testing", "-p", "no:cacheprovider",
         "-rA", "-q", "--rootdir", str(tmp_path), *options, str(path)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=120)
    outcomes = dict((name, outcome) for outcome, name in re.findall(
        r"^(PASSED|FAILED|ERROR) test_user\.py::(\S+)", result.stdout, re.M))
    return result, outcomes, time.monotonic() - started


def test_marked_generator_and_async_tests_pass_and_fail_as_they_should(tmp_path):
    result, outcomes, _ = run_pytest(tmp_path, USER_TESTS)
    text = result.stdout
    assert outcomes == {
        "test_a_generator_test_runs_as_a_task": "PASSED",
        "test_an_async_def_test_runs_as_a_task": "PASSED",
        "test_an_hour_on_the_virtual_clock": "PASSED",
        "test_an_hour_on_the_virtual_clock_async": "PASSED",
        "test_parametrized[1]": "PASSED",
        "test_parametrized[2]": "PASSED",
        "test_a_failing_generator_test": "FAILED",
        "test_a_failing_async_test": "FAILED",
        "test_a_failing_virtual_clock_test": "FAILED",
        "test_a_test_past_its_timeout": "FAILED",
        "test_an_unknown_option": "FAILED",
        "test_a_timeout_that_is_no_number": "FAILED",
        "test_a_virtual_clock_that_is_no_bool": "FAILED",
        "test_an_option_without_a_name": "FAILED",
        "test_an_error_logged_is_no_crash": "PASSED",
        "test_a_plain_test_still_runs": "PASSED",
    }, text
    assert result.returncode == 1, text
    assert "assert (1 + 1) == 3" in text or "assert 2 == 3" in text   # pytest's rewriting
    assert "ValueError: from inside the kernel" in text
    assert "KeyError: 'after ten virtual seconds'" in text
    assert "did not finish within 60 s" in text
    assert "unknown option(s) clock of @pytest.mark.trampoline" in text
    assert "@pytest.mark.trampoline(timeout=...) takes seconds > 0 (or None), got '5'" in text
    assert "@pytest.mark.trampoline(virtual_clock=...) takes True or False, got 'no'" in text
    assert ("@pytest.mark.trampoline takes keyword options only (virtual_clock, debug, "
            "timeout), got (5,)") in text
    assert "yield tests were removed" not in text and "not natively supported" not in text


def test_a_marked_module_runs_every_task_test_in_it(tmp_path):
    result, outcomes, _ = run_pytest(tmp_path, '''
        import pytest
        from trampoline import sleep

        pytestmark = pytest.mark.trampoline(virtual_clock=True)

        def test_one():
            yield sleep(86400)

        async def test_two():
            await sleep(86400)

        def test_plain():
            pass
    ''')
    assert outcomes == {"test_one": "PASSED", "test_two": "PASSED", "test_plain": "PASSED"}, \
        result.stdout
    assert result.returncode == 0


def test_a_task_that_crashed_unjoined_fails_the_test(tmp_path):
    """run() only logs such a crash; a test that passed over it would hide
    a broken server handler, say (pytest-trio fails it too)."""
    result, outcomes, _ = run_pytest(tmp_path, '''
        import logging
        import pytest
        from trampoline import Event, sleep, spawn

        @pytest.mark.trampoline
        def test_a_child_crashes():
            crashed = Event()

            def child():
                yield sleep(0)
                try:
                    raise ValueError("from the child")
                finally:
                    crashed.set()

            yield spawn(child())
            yield crashed.wait()
            yield sleep(0)

        @pytest.mark.trampoline
        async def test_a_child_is_left_running():
            async def child():
                await Event().wait()

            await spawn(child())

        @pytest.mark.trampoline
        def test_a_crash_under_a_silenced_logger():
            # The program's own logging set-up does not hide the crash.
            logging.getLogger("trampoline").setLevel(logging.CRITICAL)
            try:
                yield spawn(crash_at_once())
                yield sleep(0)
                yield sleep(0)
            finally:
                logging.getLogger("trampoline").setLevel(logging.NOTSET)

        def crash_at_once():
            raise KeyError("silenced")
            yield
    ''')
    assert outcomes == {"test_a_child_crashes": "FAILED",
                        "test_a_child_is_left_running": "PASSED",
                        "test_a_crash_under_a_silenced_logger": "FAILED"}, result.stdout
    assert ("test_a_child_crashes passed, but 1 task(s) it spawned crashed and were "
            "never joined" in result.stdout), result.stdout
    assert "ValueError: from the child" in result.stdout
    assert "KeyError: 'silenced'" in result.stdout, result.stdout
    assert "TypeError" not in result.stdout, result.stdout


def test_a_marked_plain_function_runs_with_a_warning(tmp_path):
    """A test marked itself that is no generator has likely forgotten its
    yield: it runs, and pytest says so (pytest-asyncio does the same); a
    plain function in a marked module is not warned about."""
    result, outcomes, _ = run_pytest(tmp_path, '''
        import pytest
        from trampoline import sleep

        pytestmark = pytest.mark.trampoline

        @pytest.mark.trampoline
        def test_forgot_to_yield():
            sleep(3600)                     # a trap, made and dropped

        def test_plain_in_a_marked_module():
            pass
    ''')
    assert outcomes == {"test_forgot_to_yield": "PASSED",
                        "test_plain_in_a_marked_module": "PASSED"}, result.stdout
    assert ("PytestWarning: test_forgot_to_yield is marked @pytest.mark.trampoline but "
            "is neither a generator function nor an async def" in result.stdout), result.stdout
    assert "1 warning" in result.stdout and "test_plain_in_a_marked_module is" not in \
        result.stdout


def test_the_marker_is_registered_for_strict_markers(tmp_path):
    path = tmp_path / "test_strict.py"
    path.write_text(textwrap.dedent('''
        import pytest
        from trampoline import sleep

        @pytest.mark.trampoline
        def test_strict():
            yield sleep(0)
    '''))
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1")
    result = run_python(
        ["-m", "pytest", "-p", "trampoline.testing", "-p", "no:cacheprovider",
         "--strict-markers", "-q", "--rootdir", str(tmp_path), str(path)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


def test_the_readme_example_passes(tmp_path):
    """The README's plugin example, as written there."""
    readme = open(os.path.join(ROOT, "README.rst"), encoding="utf-8").read()
    blocks = [re.sub(r"(?m)^    ", "", block) for block in
              re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", readme)
              if "@pytest.mark.trampoline" in block]
    assert len(blocks) == 1
    result, outcomes, _ = run_pytest(tmp_path, blocks[0])
    assert len(outcomes) == 3 and set(outcomes.values()) == {"PASSED"}, result.stdout



def test_async_fixtures_run_in_the_tests_kernel(tmp_path):
    """An async def fixture, or an async generator one, is set up in the
    test's own kernel -- deepest dependency first, autouse ones too -- so
    it can start a server task the test talks to; its teardown runs after
    the test body, in that kernel, while the server still runs."""
    result, outcomes, _ = run_pytest(tmp_path, """
        import time
        import pytest
        from trampoline import Queue, cancel, current_task, sleep, spawn

        log = []

        @pytest.fixture
        def prefix():
            return "echo: "

        @pytest.fixture
        async def queues():
            return Queue(), Queue()

        @pytest.fixture
        async def echo_server(queues, prefix):
            requests, answers = queues

            async def serve():
                while True:
                    await answers.put(prefix + await requests.get())

            task = await spawn(serve())
            log.append("server up")
            yield requests, answers
            await requests.put("bye")                # the server still runs
            assert await answers.get() == "echo: bye"
            await cancel(task)
            log.append("server down")

        @pytest.fixture
        async def task_of_fixture():
            return current_task()

        @pytest.mark.trampoline
        class TestEcho:
            @pytest.fixture(autouse=True)
            async def first(self):
                log.append("first up")

            async def test_async_test(self, echo_server, task_of_fixture):
                requests, answers = echo_server
                assert current_task() is task_of_fixture          # the test's own task
                await requests.put("hello")
                assert await answers.get() == "echo: hello"
                log.append("test")

            def test_generator_test(self, echo_server):
                requests, answers = echo_server
                yield requests.put("hi")
                assert (yield answers.get()) == "echo: hi"
                log.append("test")

        @pytest.fixture
        async def an_hour():
            await sleep(3600)
            return "an hour later"

        @pytest.mark.trampoline(virtual_clock=True)
        async def test_on_the_virtual_clock(an_hour, trampoline_clock):
            assert an_hour == "an hour later" and trampoline_clock() == 3600

        def test_the_order():
            assert log == ["first up", "server up", "test", "server down"] * 2
    """)
    assert outcomes == {"TestEcho::test_async_test": "PASSED",
                        "TestEcho::test_generator_test": "PASSED",
                        "test_on_the_virtual_clock": "PASSED", "test_the_order": "PASSED"}, \
        result.stdout
    assert "async fixture" not in result.stdout, result.stdout


def test_async_fixture_failures_and_misuses_name_the_fixture(tmp_path):
    result, outcomes, _ = run_pytest(tmp_path, """
        import pytest
        from trampoline import sleep

        torn_down = []

        @pytest.fixture
        async def broken():
            await sleep(0)
            raise ValueError("no database")

        @pytest.fixture
        async def bad_teardown():
            yield 1
            raise KeyError("left a mess")

        @pytest.fixture
        async def tidy():
            yield
            torn_down.append("tidy")

        @pytest.fixture
        async def never_yields():
            return
            yield

        @pytest.fixture
        async def yields_twice():
            yield 1
            yield 2

        @pytest.fixture(scope="module")
        async def wide():
            return 1

        @pytest.fixture
        async def plain_value():
            return 1

        @pytest.fixture
        def sync_on_async(plain_value):
            return plain_value

        @pytest.mark.trampoline
        async def test_setup_fails(broken):
            pass

        @pytest.mark.trampoline
        async def test_teardown_fails(bad_teardown):
            raise LookupError("the test, too")

        @pytest.mark.trampoline
        async def test_fails_and_tidy_still_tears_down(tidy):
            raise RuntimeError("the test itself")

        def test_tidy_was_torn_down():
            assert torn_down == ["tidy"]

        @pytest.mark.trampoline
        async def test_twice(yields_twice):
            pass

        @pytest.mark.trampoline
        async def test_never(never_yields):
            pass

        @pytest.mark.trampoline
        async def test_module_scope(wide):
            pass

        def test_not_trampoline(plain_value):
            pass

        @pytest.mark.trampoline
        async def test_sync_fixture_on_async(sync_on_async):
            pass

        @pytest.mark.trampoline
        async def test_asked_for_inside(request):
            request.getfixturevalue("plain_value")
    """)
    text = result.stdout
    assert outcomes == {
        "test_setup_fails": "FAILED",
        "test_teardown_fails": "FAILED",
        "test_fails_and_tidy_still_tears_down": "FAILED",
        "test_tidy_was_torn_down": "PASSED",
        "test_twice": "FAILED",
        "test_never": "FAILED",
        "test_module_scope": "ERROR",
        "test_not_trampoline": "ERROR",
        "test_sync_fixture_on_async": "ERROR",
        "test_asked_for_inside": "FAILED",
    }, text
    assert "ValueError: no database" in text
    assert "async fixture 'broken' of test_setup_fails raised in its setup" in text, text
    assert "KeyError: 'left a mess'" in text and "LookupError: the test, too" in text
    assert "async fixture 'bad_teardown' of test_teardown_fails raised in its teardown" in text
    assert "RuntimeError: the test itself" in text
    assert "async fixture 'yields_twice' of test_twice yielded twice" in text
    assert "async fixture 'never_yields' of test_never did not yield a value" in text
    assert ("async fixture 'wide' has scope 'module': an async fixture runs in the "
            "test's kernel, one per test, so its scope must be 'function'") in text
    assert ("async fixture 'plain_value' is used by test_not_trampoline, which is not a "
            "@pytest.mark.trampoline generator or async def test") in text
    assert ("fixture 'sync_on_async' of test_sync_fixture_on_async uses the async fixture "
            "'plain_value' but is not async def itself") in text
    assert ("async fixture 'plain_value' was requested inside test_asked_for_inside, "
            "while it runs") in text



def test_a_parametrized_case_marked_trampoline_runs_in_a_kernel(tmp_path):
    """pytest.param(..., marks=pytest.mark.trampoline) marks one case; a
    generator function with such a case is collected (pytest refused the
    whole module), and a case of it left unmarked fails, saying so."""
    result, outcomes, _ = run_pytest(tmp_path, """
        import time
        import pytest
        from trampoline import sleep

        @pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.trampoline)])
        def test_one_case(x):
            yield sleep(0)
            assert x == 1

        @pytest.mark.parametrize("seconds", [
            pytest.param(3600, marks=pytest.mark.trampoline(virtual_clock=True)),
            pytest.param(0, marks=[pytest.mark.trampoline]),
            5,
        ])
        def test_some_cases(seconds):
            started = time.monotonic()
            yield sleep(seconds)
            assert time.monotonic() - started < 1

        @pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.trampoline)])
        async def test_async_case(x):
            await sleep(0)

        def test_the_rest_of_the_module_is_collected():
            pass
    """)
    text = result.stdout
    assert outcomes == {
        "test_one_case[1]": "PASSED",
        "test_some_cases[3600]": "PASSED",
        "test_some_cases[0]": "PASSED",
        "test_some_cases[5]": "FAILED",
        "test_async_case[1]": "PASSED",
        "test_the_rest_of_the_module_is_collected": "PASSED",
    }, text
    assert ("test_some_cases[5] is a generator function, but this case of it is not marked "
            "@pytest.mark.trampoline") in text, text


def test_a_generator_test_with_no_case_marked_is_left_to_pytest_which_refuses_it(tmp_path):
    """Parametrized without a case marked trampoline, a generator function
    is not the plugin's: pytest refuses it, naming it, as without the
    plugin."""
    result, outcomes, _ = run_pytest(tmp_path, """
        import pytest
        from trampoline import sleep

        @pytest.mark.parametrize("x", [1, 2])
        def test_plain_cases(x):
            yield sleep(0)
    """)
    text = result.stdout
    # pytest's own refusal, which depends on its version: an error in
    # collection (pytest 8.4 and later), or a case it never runs, reported
    # as an xfail (before: the pytest that Python 3.8 gets).  Not a pass.
    assert ("'yield' keyword is allowed in fixtures, but not in tests (test_plain_cases)"
            in text or "yield tests were removed in pytest 4.0 - test_plain_cases will be "
            "ignored" in text), text
    assert "passed" not in text.strip().splitlines()[-1], text


# The plugin is loaded in this very run too (setup.cfg's addopts), so these
# run as tasks here: the options at work, in this process.

@pytest.mark.trampoline(virtual_clock=True, timeout=7200, debug=True)
async def test_options_together_run_in_debug_mode_under_a_timeout():
    started = time.monotonic()
    await sleep(3600)                       # within the (virtual) timeout
    assert time.monotonic() - started < 1


@pytest.mark.trampoline
def test_without_a_virtual_clock_the_clock_fixture_is_none(trampoline_clock):
    assert trampoline_clock is None
    yield sleep(0)


def test_trampoline_debug_in_the_environment_turns_debug_mode_on_for_every_test(
        tmp_path, monkeypatch):
    """``TRAMPOLINE_DEBUG=1 pytest`` -- what one tries first to find a
    forgotten yield in a test -- turns debug mode on, as it does for run()
    (and as PYTHONASYNCIODEBUG=1 does for pytest-asyncio's loops)."""
    monkeypatch.setenv("TRAMPOLINE_DEBUG", "1")
    result, outcomes, _ = run_pytest(tmp_path, '''
        import sys
        import pytest
        from trampoline import sleep

        @pytest.mark.trampoline
        def test_a_wrong_yield():
            yield 42

        @pytest.mark.trampoline(debug=False)
        async def test_a_forgotten_sleep():
            sleep(1)
            await sleep(0)
            if sys.implementation.name == "pypy":   # (no such check there)
                pytest.skip("debug mode does not see a forgotten trap on PyPy")
    ''')
    assert outcomes.get("test_a_wrong_yield") == "FAILED", result.stdout
    assert "the task's stack, outermost call first" in result.stdout, result.stdout
    if outcomes.get("test_a_forgotten_sleep") == "PASSED":
        assert "<sleep seconds=1> was made but never yielded" in result.stdout, result.stdout


def test_the_trace_and_monitor_switches_of_the_environment_reach_every_test(
        tmp_path, monkeypatch):
    """``TRAMPOLINE_TRACE=1 pytest`` traces each test's kernel, and
    ``TRAMPOLINE_MONITOR=host:port`` gives it a monitor, as they do for
    ``run()``: a failing test's captured stderr shows its trace."""
    monkeypatch.setenv("TRAMPOLINE_TRACE", "1")
    monkeypatch.setenv("TRAMPOLINE_MONITOR", "127.0.0.1:0")
    result, outcomes, _ = run_pytest(tmp_path, '''
        import pytest
        from trampoline import sleep
        from trampoline.traps import current_kernel

        @pytest.mark.trampoline
        def test_traced_and_monitored():
            kernel = yield current_kernel()
            yield sleep(0)
            assert kernel.monitor is not None
            host, port = kernel.monitor.address     # listening: a port was chosen
            assert host == "127.0.0.1" and port != 0
            assert False, "look at the trace"
    ''')
    assert outcomes == {"test_traced_and_monitored": "FAILED"}, result.stdout
    assert "look at the trace" in result.stdout, result.stdout
    # (a name over the trace's 28 columns is cut there, and given whole when spawned)
    assert re.search(r"task \d+ test_traced_and_mo\.\.\. +-> sleep\(0\)", result.stdout), \
        result.stdout
    assert re.search(r"spawned \(in full: task \d+ test_traced_and_monitored\)", result.stdout)


def test_a_test_past_its_timeout_shows_where_it_was_stuck_not_the_plugin(tmp_path):
    """The mark's timeout fails the test with the line it was stuck on and
    one line saying why -- not pages of the plugin's, the kernel's and the
    timeout scope's source (as pytest-timeout shows the stuck stack and
    one "Timeout" line)."""
    result, outcomes, _ = run_pytest(tmp_path, '''
        import pytest
        from trampoline import Event

        @pytest.fixture
        async def stuck_in_setup():
            await Event().wait()                    # STUCK-IN-FIXTURE
            yield 1

        @pytest.mark.trampoline(virtual_clock=True, timeout=60)
        async def test_stuck():
            await Event().wait()                    # STUCK-HERE

        @pytest.mark.trampoline(virtual_clock=True, timeout=60)
        def test_stuck_in_a_fixture(stuck_in_setup):
            yield Event().wait()
    ''')
    text = result.stdout
    assert outcomes == {"test_stuck": "FAILED", "test_stuck_in_a_fixture": "FAILED"}, text
    assert ("TaskTimeout: test_stuck did not finish within 60 s (the timeout of its "
            "@pytest.mark.trampoline)") in text, text
    assert "TaskTimeout: test_stuck_in_a_fixture did not finish within 60 s" in text, text
    assert "# STUCK-HERE" in text and "# STUCK-IN-FIXTURE" in text, text
    for internal in ("testing.py", "def pytest_pyfunc_call", "lifetime.py", "def __exit__",
                     "timeouts.py"):
        assert internal not in text, (internal, text)
