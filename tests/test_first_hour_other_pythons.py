"""The first hour on a Python the developers do not use every day: CPython
3.8, 3.12+ and PyPy differ from 3.11 in the words of their errors, their
frames and when they free things.  Each test runs what a learner or an
embedder runs -- an example script, a README snippet, debug mode -- in the
interpreter running the tests (``sys.executable``), so CI's run of the
suite under every Python checks it on each."""

import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def run_example(name, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name)] + list(args),
                          input="", capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("cafile", ["missing.pem", "a-directory"])
@pytest.mark.parametrize("command", [
    ["echo_client.py", "--tls", "--port", "9", "--count", "1", "--cafile"],
    ["telnet.py", "--tls", "127.0.0.1", "9", "--cafile"],
    ["crawler.py", "https://127.0.0.1:9/", "--cafile"],
], ids=lambda command: command[0])
def test_a_cafile_that_cannot_be_read_is_named_with_the_systems_reason(tmp_path, command,
                                                                        cafile):
    """On PyPy, ssl's OSError carries no reason: the clients said "cannot
    load CA certificates from missing.pem: [Errno 2] " and stopped there.
    Now the reason is there on every Python, in the system's words."""
    path = tmp_path / cafile
    if cafile == "a-directory":
        path.mkdir()
    reason = os.strerror(2 if cafile == "missing.pem" else 21)
    done = run_example(*command, str(path))
    assert done.returncode in (1, 2), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.endswith("cannot load CA certificates from %s: [Errno %d] %s"
                         % (path, 2 if cafile == "missing.pem" else 21, reason)), line


@pytest.mark.parametrize("how", ["run(main(), debug=True)", "TRAMPOLINE_DEBUG=1"])
def test_debug_modes_warning_that_a_check_is_off_names_the_programs_line(tmp_path, how):
    """Where debug mode cannot watch for a trap made but never yielded
    (PyPy: on CPython the test switches that check off the same way), it
    says so once, with a RuntimeWarning.  The warning named trampoline's
    own line, "trampoline/debug.py:105: ... _hook_traps()", a line the
    program's author never wrote; now it names the line that turned debug
    mode on, as a warning about a program's call should."""
    program = tmp_path / "program.py"
    program.write_text(
        "import trampoline, trampoline.debug\n"
        "trampoline.debug._NEVER_YIELDED_CHECK = False   # (as on PyPy)\n"
        "def main():\n"
        "    yield trampoline.sleep(0)\n"
        "trampoline.run(main()%s)\n" % (", debug=True" if "debug=True" in how else ""))
    env = dict(os.environ, PYTHONPATH=ROOT, TRAMPOLINE_DEBUG="1" if "=1" in how else "0")
    done = subprocess.run([sys.executable, str(program)], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(said) == 1 and "not detected on PyPy" in said[0], done.stderr
    assert said[0].startswith("%s:5: RuntimeWarning: " % program), done.stderr
    assert "trampoline" + os.sep not in done.stderr, done.stderr


def test_a_crash_nobody_joins_is_reported_when_the_readme_says_on_this_python():
    """README's PyPy section: at once on CPython up to 3.11; within about a
    second on PyPy and on CPython 3.12+ (whose traceback frames keep, through
    f_back, the kernel's frame that ran the task: only a collection frees
    it).  It said "at once on CPython", which 3.12 and 3.13 do not do."""
    from trampoline import run, sleep, spawn
    from trampoline.task import add_crash_hook, remove_crash_hook

    reported = []

    def crashes():
        yield sleep(0)
        raise ValueError("nobody joins me")

    def main():
        start = time.monotonic()
        yield spawn(crashes())
        yield sleep(0)                  # it runs, and crashes
        yield sleep(0)
        at_once = bool(reported)
        while not reported and time.monotonic() - start < 10:
            yield sleep(0.05)
        return at_once, time.monotonic() - start

    hook = lambda *report: reported.append(report)  # noqa: E731
    add_crash_hook(hook)
    try:
        at_once, after = run(main())
    finally:
        remove_crash_hook(hook)
    assert len(reported) == 1 and reported[0][1] == "crashes", reported
    readme = open(os.path.join(ROOT, "README.rst"), encoding="utf-8").read()
    if sys.implementation.name == "cpython" and sys.version_info < (3, 12):
        assert at_once
        assert "On\n  CPython up to 3.11 it comes at once" in readme
    else:
        assert after < 2.5, after       # a sweep comes every second
        assert "3.12 and newer too free such a task\n  only at a collection" in readme
