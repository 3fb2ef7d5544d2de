"""The pytest plugin (trampoline.testing), as a user meets it: pytest runs in
a subprocess, in an empty directory, on a test file written here, with the
plugin loaded by ``-p trampoline.testing`` (what the ``pytest11`` entry
point does once the package is installed; .ci/run checks that path from an
installed wheel)."""

import os
import re
import subprocess
import sys
import textwrap
import time

import pytest

from trampoline import sleep

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

USER_TESTS = '''
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

    def test_a_plain_test_still_runs():
        assert True
'''


def run_pytest(tmp_path, source):
    path = tmp_path / "test_user.py"
    path.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONDONTWRITEBYTECODE="1")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "trampoline.testing", "-p", "no:cacheprovider",
         "-rA", "-q", "--rootdir", str(tmp_path), str(path)],
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
    ''')
    assert outcomes == {"test_a_child_crashes": "FAILED",
                        "test_a_child_is_left_running": "PASSED"}, result.stdout
    assert ("test_a_child_crashes passed, but 1 task(s) it spawned crashed and were "
            "never joined" in result.stdout), result.stdout
    assert "ValueError: from the child" in result.stdout
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
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "trampoline.testing", "-p", "no:cacheprovider",
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
    assert len(outcomes) == 2 and set(outcomes.values()) == {"PASSED"}, result.stdout



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
