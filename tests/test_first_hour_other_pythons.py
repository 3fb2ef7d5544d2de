"""The first hour on a Python the developers do not use every day: CPython
3.8, 3.12+ and PyPy differ from 3.11 in the words of their errors, their
frames and when they free things.  Each test runs what a learner or an
embedder runs -- an example script, a README snippet, debug mode -- in the
interpreter running the tests (``sys.executable``), so CI's run of the
suite under every Python checks it on each."""

import os
import subprocess
import sys

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
