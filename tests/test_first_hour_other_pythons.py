"""The first hour on a Python the developers do not use every day: CPython
3.8, 3.12+ and PyPy differ from 3.11 in the words of their errors, their
frames and when they free things.  Each test runs what a learner or an
embedder runs -- an example script, a README snippet, debug mode -- in the
interpreter running the tests (``sys.executable``), so CI's run of the
suite under every Python checks it on each."""

import os
import platform
import signal
import socket
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
    """README's PyPy section: a crash nobody joins is reported at once on
    CPython -- 3.12+ too, whose finished generator frames keep, through
    f_back, the kernel's frame that ran the task (that frame must hold
    neither the task nor its error) -- and within about a second on PyPy."""
    from trampoline import run, sleep, spawn
    from trampoline.task import add_crash_hook, remove_crash_hook

    reported = []

    def inner():
        yield sleep(0)
        raise ValueError("nobody joins me")

    def crashes():
        yield inner()                   # (from a subroutine: deeper frames)

    def main():
        start = time.monotonic()
        yield spawn(crashes())
        for _ in range(3):
            yield sleep(0)              # it runs, and crashes
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
    assert "within about a second (at once\n  on CPython)" in readme
    if sys.implementation.name == "cpython":
        assert at_once
    else:
        assert after < 2.5, after       # a sweep comes every second


#: The number of read(2) on this machine, as /proc/PID/syscall shows it.
READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())


def wait_until_reading_stdin(proc):
    """Until ``proc``'s main thread is blocked in read(2) on descriptor 0
    (Linux: /proc/PID/syscall), so that a signal finds it there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open("/proc/%d/syscall" % proc.pid) as f:
            if f.read().split()[:2] == [READ_SYSCALL, "0x0"]:
                return
        time.sleep(0.001)
    raise AssertionError("the program never read its stdin")


@pytest.mark.skipif(READ_SYSCALL is None or not os.path.exists("/proc/self/syscall"),
                    reason="needs Linux's /proc/PID/syscall on x86_64 or aarch64")
@pytest.mark.parametrize("client", [
    ["embed_thread.py"],
    ["echo_client.py", "--port", "{port}"],
    ["telnet.py", "127.0.0.1", "{port}"],
], ids=lambda client: client[0])
def test_ctrl_c_as_stdin_ends_is_a_quiet_exit_130(client):
    """``producer | python3 examples/embed_thread.py``, then Ctrl-C: the
    terminal stops both, so the end of stdin and the SIGINT come together.
    CPython then raised the KeyboardInterrupt only after the loop over stdin
    had ended, in the cleanup after it: a traceback and status -2 (most
    runs on 3.11 and 3.13).  Now "interrupted" and 130, like a Ctrl-C
    while it waits for a line.  (The clients with a loop of their own,
    which read stdin through it, too.)"""
    listener, accepted = None, []
    if client[0] != "embed_thread.py":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(10)
        client = [arg.format(port=listener.getsockname()[1]) for arg in client]
    try:
        for _ in range(8):
            proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, client[0])]
                                    + client[1:], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if client[0] == "embed_thread.py":
                assert "round trips to" in proc.stderr.readline()
                wait_until_reading_stdin(proc)
            else:
                accepted.append(listener.accept()[0])   # connected (and left open)
            proc.send_signal(signal.SIGINT)
            proc.stdin.close()
            proc.wait(30)
            err = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
            assert proc.returncode == 130 and "Traceback" not in err, (proc.returncode, err)
    finally:
        for sock in accepted + [listener]:
            if sock is not None:
                sock.close()
