"""The teaching tools as a learner meets them in the first hour --
``python3 -m trampoline.trace``, ``python3 -m trampoline.monitor``, the
kernel's instruments -- on the cases curio's monitor, trio's instruments
and asyncio's debug mode are tested with: real commands in subprocesses,
their bad input, and what tracing must never change (the traced script's
output and exit status)."""

import os
import subprocess
import sys
import textwrap

import pytest

from trampoline import Kernel, sleep, spawn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def subprocess_env(**extra):
    env = dict(os.environ)
    for name in ("TRAMPOLINE_TRACE", "TRAMPOLINE_DEBUG", "TRAMPOLINE_MONITOR", "COLUMNS"):
        env.pop(name, None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# ============================================ python3 -m trampoline.trace

#: A script that waits for a line on stdin before it does anything: so the
#: test can close the command's stderr first, with no sleep.
WAITS_THEN_RUNS = """\
import sys
from trampoline import run, sleep, spawn, join

def child():
    yield sleep(0)
    return 7

def main():
    return (yield join((yield spawn(child()))))

sys.stdin.readline()
print("result", run(main()) if "--untraced" not in sys.argv else 7)
sys.exit(3)
"""


@pytest.mark.parametrize("options, script_args", [
    (["--ascii"], []),
    (["--ascii"], ["--untraced"]),      # "nothing was traced", to nobody
    ([], []),
    (["--timeline", "{tmp}/out.json", "--ascii"], []),
])
def test_the_trace_command_with_its_stderr_closed_ends_as_the_script_does(
        tmp_path, options, script_args):
    """``python3 -m trampoline.trace --ascii script.py 2>&1 | head -1``: once
    nobody read stderr, the chart (or the command's other words) met a
    broken pipe at the end, and the command ended with status 1 and a
    BrokenPipeError instead of the script's own status.  Now what cannot be
    said is not said, and the status is the script's."""
    path = tmp_path / "waits.py"
    path.write_text(WAITS_THEN_RUNS)
    command = [sys.executable, "-m", "trampoline.trace"]
    command += [option.format(tmp=tmp_path) for option in options]
    command += [str(path)] + script_args
    proc = subprocess.Popen(command, env=subprocess_env(), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stderr.close()                 # nobody reads the trace: then the script runs
    out, _ = proc.communicate(b"go\n", timeout=60)
    assert out == b"result 7\n"
    assert proc.returncode == 3
