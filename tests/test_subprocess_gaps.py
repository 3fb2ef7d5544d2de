"""trampoline.subprocess: behaviour that mutation testing of the module
found no test pinning -- each test here fails on a mutant of
``trampoline/subprocess.py`` that every other test let through.  Real
children (sh, sleep, cat, the running Python), synchronised through pipes
and task states, never by sleeping."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from trampoline import run
from trampoline.subprocess import PIPE, Process, TimeoutExpired, run_process

from net_helpers import watchdog  # noqa: F401  (autouse fixture)

TOOLS = ("sh", "cat", "sleep")
pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not all(shutil.which(tool) for tool in TOOLS),
    reason="needs a POSIX system with sh, cat and sleep")


# =========================================================== run_process

def test_a_timeout_error_s_args_and_repr_carry_its_message():
    """``TimeoutExpired.args`` is its message, as for any exception made
    from one: ``repr`` and a log show what ran and that it was killed --
    not the bare ``(cmd, timeout, output, stderr)`` that
    ``subprocess.TimeoutExpired`` leaves in ``args``."""
    def main():
        with pytest.raises(TimeoutExpired) as info:
            yield run_process(["sleep", "10"], timeout=0.05)
        return info.value

    error = run(main())
    assert error.args == (str(error),)
    assert "it was killed" in error.args[0]
    assert repr(error) == "TimeoutExpired(%r)" % (str(error),)



def test_run_process_timeout_zero_times_out_and_a_bool_is_refused():
    """``timeout=0`` is a timeout, as ``subprocess.run``'s: the child is
    killed and ``TimeoutExpired`` raised -- not refused as out of range;
    ``timeout=True`` is refused (``TypeError``), not taken for 1 second,
    and so is a NaN (``ValueError``): no deadline is ever past it."""
    def main():
        with pytest.raises(TypeError, match="timeout must be a number"):
            yield run_process(["true"], timeout=True)
        with pytest.raises(ValueError, match="timeout must be >= 0"):
            yield run_process(["true"], timeout=float("nan"))
        with pytest.raises(TimeoutExpired) as info:
            yield run_process(["sleep", "10"], timeout=0)
        return info.value

    assert run(main()).timeout == 0



def test_run_process_without_input_shares_our_stdin():
    """Without ``input`` (nor ``stdin=``) the child reads our stdin, as
    ``subprocess.run``'s does -- not ``/dev/null``."""
    reader, writer = os.pipe()
    saved = os.dup(0)
    try:
        os.dup2(reader, 0)
        os.write(writer, b"ours\n")
        os.close(writer)
        result = run(run_process(["cat"]))
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        os.close(reader)
    assert result == (0, b"ours\n", b"")


# =============================================================== Process

def test_a_bad_program_run_in_a_good_cwd_is_not_blamed_on_the_cwd(tmp_path):
    """A program not found, run with a ``cwd`` that is there: Popen's own
    error, naming the program -- the "(the cwd= given)" note is only for
    an error about the cwd itself."""
    with pytest.raises(FileNotFoundError) as info:
        Process(["/nonexistent/program"], cwd=str(tmp_path))
    assert info.value.filename == "/nonexistent/program"
    assert "cwd" not in str(info.value)
    with pytest.raises(FileNotFoundError) as info:
        Process(["true"], cwd=str(tmp_path / "missing"))
    assert info.value.filename == str(tmp_path / "missing")
    assert "(the cwd= given)" in str(info.value)


def test_descriptor_0_is_a_descriptor_like_any_other():
    """``stdin=0`` (or ``stdout=0``) is our descriptor 0, as for Popen: not
    refused as "not a descriptor"."""
    def main():
        with Process(["true"], stdin=0) as process:
            return (yield process.wait())

    assert run(main()) == 0


def test_a_bool_for_stdin_stdout_or_stderr_is_refused_by_name():
    """``stdin=True`` is no descriptor (a bool is an int to Popen, which
    would give the child our descriptor 1): refused, naming the argument."""
    for name in ("stdin", "stdout", "stderr"):
        with pytest.raises(TypeError, match=r"Process\(%s=\.\.\.\) must be PIPE" % name):
            Process(["true"], **{name: True})


def test_communicate_leaves_the_pipes_it_read_at_their_end():
    """The output pipes ``communicate`` read to their end say so after:
    ``at_eof()`` is True, and their repr shows ``eof``; and they are
    closed, as ``subprocess``'s communicate closes them: a child waited
    for without ``with`` holds no descriptor of ours."""
    def main():
        with Process(["sh", "-c", "echo out; echo err >&2"], stdout=PIPE,
                     stderr=PIPE) as process:
            assert (yield process.communicate()) == (b"out\n", b"err\n")
            return [(stream.at_eof(), "eof" in repr(stream), stream.closed)
                    for stream in (process.stdout, process.stderr)]

    assert run(main()) == [(True, True, True)] * 2


def test_async_with_closes_the_pipes_and_reaps_the_child():
    """``async with Process(...)`` owns the child as the plain ``with``
    does: on the way out a child still running is killed and reaped, and
    every pipe is closed -- also those of a child that had exited."""
    async def main():
        async with Process(["sleep", "10"], stdin=PIPE, stdout=PIPE, stderr=PIPE) as running:
            pass
        async with Process(["true"], stdin=PIPE, stdout=PIPE) as done:
            assert await done.wait() == 0
        return running, done

    running, done = run(main())
    assert running.returncode == -signal.SIGKILL
    assert [stream.closed for stream in (running.stdin, running.stdout, running.stderr,
                                         done.stdin, done.stdout)] == [True] * 5


def test_communicate_with_input_called_again_returns_the_same_again():
    """``communicate(input)`` once it has finished, called again (without
    input), returns the same again -- it does not try to write the input
    a second time into the stdin it closed."""
    def main():
        with Process(["cat"], stdin=PIPE, stdout=PIPE, stderr=PIPE) as process:
            first = yield process.communicate(b"once\n")
            again = yield process.communicate()
            return first, again, process.returncode

    assert run(main()) == ((b"once\n", b""), (b"once\n", b""), 0)


def test_a_child_that_fails_to_start_for_any_reason_gives_a_pipe_back_non_blocking():
    """A ``PipeStream`` handed to a child that fails to start is ours
    again, non-blocking, whatever the error: an ``OSError`` (program not
    found) or another (``preexec_fn`` raising: ``SubprocessError``).  A
    blocking one would stall the loop at its next read."""
    def fail():
        raise RuntimeError("no")

    def main():
        with Process(["sh", "-c", "read go; echo hello"], stdin=PIPE, stdout=PIPE) as first:
            with pytest.raises(subprocess.SubprocessError):
                Process(["cat"], stdin=first.stdout, preexec_fn=fail)
            assert not first.stdout.closed
            assert not os.get_blocking(first.stdout.pipe.fileno())
            yield first.stdin.write(b"go\n")
            return (yield first.stdout.readline())

    assert run(main()) == b"hello\n"
