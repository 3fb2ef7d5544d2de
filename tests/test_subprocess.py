"""trampoline.subprocess: real children (cat, sh, sleep, false) talked to
through pipes, waited for with a pidfd and by polling, killed and reaped
when their owner gives up on them."""

import errno
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

import trampoline.subprocess as tsub
from trampoline import (Cancelled, Event, Kernel, TaskError, TaskGroup, TaskTimeout, cancel, join,
                        read, run, spawn, timeout_after, write)
from trampoline.subprocess import (DEVNULL, PIPE, STDOUT, CalledProcessError, Process,
                                   TimeoutExpired, run_process)
from trampoline.traps import current_kernel

from net_helpers import MiB, watchdog  # noqa: F401  (autouse fixture)

WATCHDOG_SECONDS = 10.0

TOOLS = ("sh", "cat", "sleep", "true", "false")
pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not all(shutil.which(tool) for tool in TOOLS),
    reason="needs a POSIX system with sh, cat, sleep, true and false")


def has_pidfd():
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


@pytest.fixture(params=["pidfd", "polling"])
def wait_mode(request, monkeypatch):
    """Each test that takes this runs twice: wait() on a pidfd, and wait()
    polling (the fallback for systems without pidfds)."""
    if request.param == "pidfd" and not has_pidfd():
        pytest.skip("no pidfd here (Python < 3.9 or Linux < 5.3)")
    monkeypatch.setattr(tsub, "USE_PIDFD", request.param == "pidfd")
    return request.param


def reaped(pid):
    """True if ``pid`` is no longer a child of ours: it exited and was
    reaped -- no zombie left."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def open_fds():
    return len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))


def read_line(sock):
    """Subroutine: read a line a child writes on ``sock``."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = yield read(sock, 100)
        assert chunk, "the child closed the socket before writing a line"
        data += chunk
    return data


def read_pid(sock):
    """Subroutine: read the pid a child writes on ``sock`` (a line)."""
    return int((yield from read_line(sock)))


# ============================================================ round trips

def test_run_process_cat_echoes_1_mib(run, wait_mode):
    """1 MiB through cat with communicate: every byte back, in order --
    the input is written while the output is read, so nothing deadlocks."""
    payload = os.urandom(MiB)

    def main():
        return (yield run_process(["cat"], input=payload))

    code, out, err = run(main())
    assert code == 0
    assert out == payload
    assert err == b""


def test_process_streams_cat_echoes_1_mib(run, wait_mode):
    """1 MiB through cat with the streams: one task writes stdin and closes
    it, the other reads stdout to its end, then wait() gives 0."""
    payload = os.urandom(MiB)

    def writer(process):
        yield process.stdin.write(payload)
        yield process.stdin.close()

    def main():
        with Process(["cat"], stdin=PIPE, stdout=PIPE) as process:
            task = yield spawn(writer(process))
            echoed = yield process.stdout.read()
            yield join(task)
            return echoed, (yield process.wait()), process.returncode

    echoed, code, returncode = run(main())
    assert echoed == payload
    assert code == returncode == 0


# Under PyPy (run here, or as a child if pypy3 is installed): communicate
# feeds 3 MiB -- bytes, and an array of ints whose view must be cast to
# bytes -- through cat, each checked, and says how much CPU that took.
# (CPU, not real time: the copies a quadratic feed makes are this process's
# CPU; real time grew past the bound on a loaded machine, with no copy.)
FEED_ON_PYPY = """
import array, sys, time
from trampoline import run
from trampoline.subprocess import run_process
def main():
    started = time.process_time()
    for data in (bytes(range(256)) * 12288, memoryview(array.array("i", range(786432)))):
        code, out, _ = yield run_process(["cat"], input=data)
        assert (code, out) == (0, memoryview(data).tobytes()), (code, len(out))
    return time.process_time() - started
print(run(main()))
"""


@pytest.mark.skipif(sys.implementation.name != "pypy" and not shutil.which("pypy3"),
                    reason="needs PyPy (pypy3)")
def test_communicate_feeds_a_big_input_in_linear_time_on_pypy(watchdog):
    """On PyPy each write of a cast memoryview copies all of it: the input
    was cast and handed whole to every write, so feeding it was quadratic
    -- 5 MB took 10 s (CPython: 5 ms).  Now it goes in pieces, and a view
    of bytes is not cast.  (The child's CPU is measured, not real time; a
    loaded machine gets a minute to start PyPy and run it.)"""
    watchdog(60)
    python = sys.executable if sys.implementation.name == "pypy" else shutil.which("pypy3")
    done = subprocess.run([python, "-c", FEED_ON_PYPY], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=59)
    assert done.returncode == 0, done.stderr.decode()
    assert float(done.stdout) < 2.0         # (about 0.1 s of CPU; it was 7)


WRITE_A_CAST_VIEW_ON_PYPY = """
import sys, time
from trampoline import run
from trampoline.subprocess import PIPE, Process
def main():
    with Process(["wc", "-c"], stdin=PIPE, stdout=PIPE) as process:
        started = time.process_time()
        yield process.stdin.write(memoryview(bytes(3000000)).cast("B"))
        yield process.stdin.close()
        assert (yield process.stdout.read()) == b"3000000\\n"
        return time.process_time() - started
print(run(main()))
"""


@pytest.mark.skipif(sys.implementation.name != "pypy" and not shutil.which("pypy3"),
                    reason="needs PyPy (pypy3)")
def test_a_stream_write_of_a_cast_view_is_linear_on_pypy(watchdog):
    """``process.stdin.write(view)`` of a 3 MB ``memoryview.cast("B")``
    under PyPy: about 0.01 s of CPU (CPython: 4 ms), not 4 s.  (CPU, as
    above.)"""
    watchdog(60)
    python = sys.executable if sys.implementation.name == "pypy" else shutil.which("pypy3")
    done = subprocess.run([python, "-c", WRITE_A_CAST_VIEW_ON_PYPY], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=59)
    assert done.returncode == 0, done.stderr.decode()
    assert float(done.stdout) < 1.0


def test_a_conversation_line_by_line():
    """Talk to a child while it runs: each line written is read back
    before the next is sent (the pipes are not buffered on our side)."""
    def main():
        with Process(["cat"], stdin=PIPE, stdout=PIPE) as process:
            replies = []
            for word in (b"one", b"two", b"three"):
                yield process.stdin.write(word + b"\n")
                replies.append((yield process.stdout.readline()))
            assert process.returncode is None           # still running
            yield process.stdin.write_eof()
            assert (yield process.stdout.readline()) == b""
            assert "eof" in repr(process.stdout)
            assert (yield process.wait()) == 0
            return replies

    assert run(main()) == [b"one\n", b"two\n", b"three\n"]


def test_exit_codes(wait_mode):
    """The exit status comes back as it is: 3 from sh, 1 from false, 0
    from true, -9 for a child killed with SIGKILL."""
    def main():
        codes = [(yield run_process(["sh", "-c", "exit 3"])).returncode,
                 (yield run_process(["false"])).returncode,
                 (yield run_process(["true"])).returncode]
        for stop in ("kill", "terminate", "send_signal"):
            process = Process(["sleep", "10"])
            if stop == "send_signal":
                process.send_signal(signal.SIGUSR1)
            else:
                getattr(process, stop)()
            codes.append((yield process.wait()))
        return codes

    assert run(main()) == [3, 1, 0, -signal.SIGKILL, -signal.SIGTERM, -signal.SIGUSR1]


def test_check_raises_called_process_error_with_the_output():
    """check=True: a failing child raises subprocess.CalledProcessError,
    with its status, its command and what it wrote."""
    args = ["sh", "-c", "echo partial; echo oops >&2; exit 4"]

    def main():
        with pytest.raises(CalledProcessError) as info:
            yield run_process(args, check=True)
        assert (yield run_process(["true"], check=True)) == (0, b"", b"")
        return info.value

    error = run(main())
    assert (error.returncode, error.cmd) == (4, args)
    assert (error.stdout, error.stderr) == (b"partial\n", b"oops\n")
    assert "exit status 4" in str(error)


def test_stderr_is_captured_apart_or_merged():
    """stdout and stderr come back apart; stderr=STDOUT merges them (and
    the result's stderr is None); DEVNULL drops one."""
    script = "echo out; echo err >&2; exit 2"

    def main():
        apart = yield run_process(["sh", "-c", script])
        merged = yield run_process(["sh", "-c", "echo out; echo err >&2"], stderr=STDOUT)
        dropped = yield run_process(["sh", "-c", script], stdout=DEVNULL)
        return apart, merged, dropped

    apart, merged, dropped = run(main())
    assert apart == (2, b"out\n", b"err\n")
    assert apart.stdout == b"out\n" and apart.stderr == b"err\n"
    assert merged == (0, b"out\nerr\n", None)
    assert dropped == (2, None, b"err\n")


def test_cwd_and_env_reach_the_child(tmp_path):
    """cwd= and env= go to the child as with subprocess."""
    def main():
        return (yield run_process(["sh", "-c", 'pwd; echo "$GREETING"'], cwd=str(tmp_path),
                                  env={"GREETING": "hello", "PATH": os.environ["PATH"]}))

    code, out, _ = run(main())
    assert code == 0
    assert out.decode().splitlines() == [os.path.realpath(str(tmp_path)), "hello"]


def test_capture_false_and_no_pipes():
    """capture=False: nothing is collected (stdout and stderr are None);
    a Process without pipes has no streams, and communicate just waits."""
    def main():
        result = yield run_process(["true"], capture=False)
        assert (yield run_process(["cat"], stdin=DEVNULL)) == (0, b"", b"")
        assert (yield run_process(["cat"], input=b"")) == (0, b"", b"")
        process = Process(["sh", "-c", "exit 5"])
        assert process.stdin is process.stdout is process.stderr is None
        return result, (yield process.communicate()), process.returncode

    assert run(main()) == ((0, None, None), (None, None), 5)


def test_a_child_that_ignores_its_input_is_not_an_error():
    """A child that exits without reading its (large) input: the broken
    pipe is ignored, as subprocess.communicate does."""
    def main():
        return (yield run_process(["sh", "-c", "echo done"], input=b"x" * MiB))

    assert run(main()) == (0, b"done\n", b"")


def test_communicate_skips_an_output_pipe_the_caller_closed():
    """stdout closed by its reader before communicate(): communicate failed
    with "read(): <_io.FileIO [closed]> is closed (EBADF)"; subprocess's
    communicate skips a closed pipe and gives b"" for it."""
    def main():
        process = Process(["sh", "-c", "echo err >&2; echo out"], stdout=PIPE, stderr=PIPE)
        yield process.stdout.close()
        out, err = yield process.communicate()
        return out, err, (yield process.wait())

    out, err, code = run(main())
    assert (out, err) == (b"", b"err\n")
    assert code in (0, -signal.SIGPIPE)       # (echo out meets the closed pipe)


def test_communicate_with_streams_and_async_def(wait_mode):
    """communicate() on a Process; the same from an async def, with
    ``async with`` and ``await``."""
    def main():
        with Process(["cat"], stdin=PIPE, stdout=PIPE, stderr=PIPE) as process:
            return (yield process.communicate(b"generator\n"))

    async def async_main():
        async with Process(["cat"], stdin=PIPE, stdout=PIPE) as process:
            out, err = await process.communicate(b"async\n")
        result = await run_process(["sh", "-c", "exit 7"])
        return out, err, result

    assert run(main()) == (b"generator\n", b"")
    assert run(async_main()) == (b"async\n", None, (7, b"", b""))


def test_several_tasks_wait_for_one_child(wait_mode):
    """Three tasks wait on one child at once; each gets its status."""
    def waiter(process):
        return (yield process.wait())

    def main():
        with Process(["sh", "-c", "read line; exit 6"], stdin=PIPE) as process:
            tasks = []
            for _ in range(3):
                tasks.append((yield spawn(waiter(process))))
            yield process.stdin.write(b"go\n")
            codes = []
            for task in tasks:
                codes.append((yield join(task)))
            return codes

    assert run(main()) == [6, 6, 6]


def test_fifty_children_at_once(wait_mode):
    """50 children run concurrently, each with its own output and status."""
    def child(n):
        return (yield run_process(["sh", "-c", "echo $0; exit $1", str(n), str(n % 5)]))

    def main():
        group = TaskGroup()
        for n in range(50):
            yield group.spawn(child(n))
        return (yield group.join())

    before = open_fds()
    results = run(main())
    assert results == [(n % 5, b"%d\n" % n, b"") for n in range(50)]
    assert open_fds() == before             # every pipe and pidfd closed


def test_a_pipe_stream_connects_two_children(wait_mode):
    """stdin=first.stdout connects two children as a shell's | does: the
    second gets the pipe itself, blocking again, so it waits for the first
    to write instead of failing with EAGAIN.  A PipeStream with bytes read
    ahead here (which the child would never see) is refused."""
    def main():
        with Process(["sh", "-c", "read go; echo hello; read done; true"],
                     stdin=PIPE, stdout=PIPE) as first:
            with Process(["cat"], stdin=first.stdout, stdout=PIPE, stderr=PIPE) as second:
                yield first.stdin.write(b"go\n")
                line = yield second.stdout.readline()   # cat waits for more now
                yield first.stdin.close()               # the first exits: cat reads EOF
                rest, err = yield second.communicate()
                codes = (yield second.wait()), (yield first.wait())
        with Process(["sh", "-c", "printf 'one\\ntwo\\n'"], stdout=PIPE) as first:
            assert (yield first.stdout.readline()) == b"one\n"
            with pytest.raises(ValueError, match="4 bytes already read"):
                Process(["cat"], stdin=first.stdout)
        return line, rest, err, codes

    assert run(main()) == (b"hello\n", b"", b"", (0, 0))


def test_a_pipeline_ends_when_its_reader_does(wait_mode):
    """``yes | head -n 1``: our end of the pipe handed to ``head`` is closed
    here, as a shell closes its copy, so ``yes`` gets SIGPIPE once ``head``
    has exited (ours kept the pipe open: ``yes`` wrote on for ever).  The
    same for a stdin handed over as a child's stdout: its reader sees the
    end of file when the writer exits."""
    def main():
        with Process(["yes"], stdout=PIPE) as first:
            with Process(["head", "-n", "1"], stdin=first.stdout, stdout=PIPE) as second:
                assert first.stdout.closed
                out, _ = yield second.communicate()
                codes = (yield second.wait()), (yield timeout_after(5, first.wait()))
        with Process(["cat"], stdin=PIPE, stdout=PIPE) as reader:
            with Process(["echo", "hi"], stdout=reader.stdin) as writer:
                assert (yield timeout_after(5, reader.stdout.read())) == b"hi\n"
                assert (yield writer.wait()) == 0
        return out, codes

    assert run(main()) == (b"y\n", (0, -signal.SIGPIPE))


def test_a_pipe_stream_not_handed_over_stays_ours(wait_mode):
    """A child that fails to start gives a PipeStream handed to it back as
    it was: non-blocking (else a read of it would stall the loop), and
    open; one handed over already (closed here) is refused by name."""
    def main():
        with Process(["sh", "-c", "read go; echo hello"], stdin=PIPE, stdout=PIPE) as first:
            with pytest.raises(FileNotFoundError):
                Process(["/nonexistent/program"], stdin=first.stdout)
            assert not first.stdout.closed
            assert not os.get_blocking(first.stdout.pipe.fileno())
            with Process(["cat"], stdin=first.stdout, stdout=PIPE) as second:
                with pytest.raises(ValueError, match="is closed: it cannot be handed"):
                    Process(["cat"], stdin=first.stdout)
                yield first.stdin.write(b"go\n")
                return (yield second.communicate())

    assert run(main()) == (b"hello\n", None)


def test_wait_uses_a_pidfd_or_polls(monkeypatch):
    """With pidfds wait() is one read_wait; without, it polls with sleeps
    (and no read_wait).  Seen through a tracing instrument."""
    class Traps:
        def __init__(self):
            self.seen = []

        def task_trap(self, task, trap):
            self.seen.append(type(trap).__name__)

    def main():
        process = Process(["sleep", "0.05"])
        return (yield process.wait())

    modes = [False] + ([True] if has_pidfd() else [])
    for use_pidfd in modes:
        monkeypatch.setattr(tsub, "USE_PIDFD", use_pidfd)
        traps = Traps()
        with Kernel(instruments=[traps]) as kernel:
            assert kernel.run(main()) == 0
        if use_pidfd:
            assert "read_wait" in traps.seen and "sleep" not in traps.seen
        else:
            assert "read_wait" not in traps.seen
            assert 2 <= traps.seen.count("sleep") <= 20     # backoff: not a spin


# ======================================================= timeouts, cancel

def test_timeout_kills_and_reaps_the_child(run, wait_mode):
    """timeout=: a sleeping child is killed well under a second after the
    deadline, and reaped; the error is both a TaskTimeout and a
    subprocess.TimeoutExpired, and carries the output so far."""
    args = ["sh", "-c", "echo $$; exec sleep 10"]

    def main():
        started = time.monotonic()
        with pytest.raises(TimeoutExpired) as info:
            yield run_process(args, timeout=0.2)
        return info.value, time.monotonic() - started

    error, elapsed = run(main())
    assert elapsed < 0.7
    assert isinstance(error, TaskTimeout) and isinstance(error, subprocess.TimeoutExpired)
    assert (error.cmd, error.timeout, error.stderr) == (args, 0.2, b"")
    assert "timed out after 0.2 seconds; it was killed" in str(error)
    assert reaped(int(error.output))
    copy = pickle.loads(pickle.dumps(error))    # as a process pool sends it back
    assert (type(copy), str(copy), copy.output, copy.stderr) == (
        TimeoutExpired, str(error), error.output, b"")


def test_a_timed_out_communicate_stops_every_helper_task(run):
    """``communicate()`` under a timeout that expires stops the tasks that
    feed stdin and drain stderr, as it says: the expired timeout came again
    at its first wait for one, and the stderr drain ran on after it."""
    def main():
        process = Process(["sh", "-c", "exec sleep 30"], stdin=PIPE, stdout=PIPE, stderr=PIPE)
        try:
            with pytest.raises(TaskTimeout):
                yield timeout_after(0.2, process.communicate(b"input"))
            kernel = yield current_kernel()
            return [task.name for task in kernel.tasks() if "pid" in task.name]
        finally:
            process.kill()
            yield process.wait()
            for pipe in (process.stdin, process.stdout, process.stderr):
                pipe.close()

    assert run(main()) == []


def test_communicate_again_after_a_timeout_gets_everything(run, wait_mode):
    """subprocess's way after a timeout -- kill, then communicate() again --
    returns all the output, what the first call had read included (it was
    dropped), and writes the rest of the input, stdin left open (it was
    closed: the child read a truncated input and its end)."""
    ours, theirs = socket.socketpair()
    fd = theirs.fileno()
    # Writes 200 kB (more than a pipe holds: the first call has read some
    # when the child says "ready"), then waits to be killed.
    talker = [sys.executable, "-c", "import os, sys; sys.stdout.buffer.write(bytes(200000)); "
              "sys.stdout.flush(); os.write(2, b'e1\\n'); os.write(%d, b'ready\\n'); "
              "os.read(%d, 1)" % (fd, fd)]
    # Reads 70 kB of its 200 kB input, says "ready", waits for "go", reads the rest.
    reader = [sys.executable, "-c", "import os, sys; n = len(sys.stdin.buffer.read(70000)); "
              "os.write(%d, b'ready\\n'); os.read(%d, 3); "
              "print(n + len(sys.stdin.buffer.read()))" % (fd, fd)]

    def stop_when_ready(process, data=None):
        task = yield spawn(process.communicate(data))
        assert (yield read_line(ours)) == b"ready\n"
        yield cancel(task)
        assert task.cancelled

    def main():
        with Process(talker, stdin=DEVNULL, stdout=PIPE, stderr=PIPE, pass_fds=[fd]) as process:
            yield stop_when_ready(process)
            process.kill()
            out, err = yield process.communicate()
            again = yield process.communicate()
        with Process(reader, stdin=PIPE, stdout=PIPE, pass_fds=[fd]) as process:
            yield stop_when_ready(process, b"x" * 200000)
            still_open = not process.stdin.closed
            with pytest.raises(ValueError, match="an earlier communicate.. has begun"):
                yield process.communicate(b"more")
            yield write(ours, b"go\n")
            counted, _ = yield process.communicate()
            code = yield process.wait()
        return (len(out), out.count(b"\0"), err, again == (out, err), still_open, counted, code)

    try:
        assert run(main()) == (200000, 200000, b"e1\n", True, True, b"200000\n", 0)
    finally:
        ours.close()
        theirs.close()


def test_communicate_failing_on_two_pipes_raises_one_error_and_logs_none(caplog):
    """stdout and stderr both failing in communicate() (here: a directory
    put in their place, EISDIR): one OSError is raised, and the helper
    task's own is not logged as a crash nobody joined."""
    def main():
        with Process(["sh", "-c", "echo out; echo err >&2"], stdin=PIPE, stdout=PIPE,
                     stderr=PIPE) as process:
            directory = os.open("/", os.O_RDONLY)
            try:
                os.dup2(directory, process.stdout.pipe.fileno())
                os.dup2(directory, process.stderr.pipe.fileno())
            finally:
                os.close(directory)
            with pytest.raises(OSError) as raised:
                yield process.communicate()
            assert raised.value.errno == errno.EISDIR
        return "done"

    assert run(main()) == "done"
    assert "never joined" not in caplog.text


def test_cancelled_in_wait_the_child_is_killed_and_reaped(run, wait_mode):
    """A task owning a child (with Process) is cancelled in wait(): the
    child is killed and reaped, and the kernel watches no descriptor."""
    def owner(pids, started):
        with Process(["sleep", "10"]) as process:
            pids.append(process.pid)
            started.set()
            yield process.wait()

    def main():
        kernel = yield current_kernel()
        pids, started = [], Event()
        task = yield spawn(owner(pids, started))
        yield started.wait()
        yield cancel(task)
        assert task.cancelled
        assert kernel._fds == {}            # no registration left behind
        return pids[0]

    before = open_fds()
    assert reaped(run(main()))
    assert open_fds() == before             # nor a descriptor


def test_cancelled_run_process_kills_and_reaps(wait_mode):
    """run_process cancelled while the child runs -- by cancel, and by an
    outer timeout -- kills and reaps it and leaves no registration."""
    ours, theirs = socket.socketpair()
    args = ["sh", "-c", "echo $$; exec sleep 10"]       # its stdout: a socket of ours

    def main():
        kernel = yield current_kernel()
        pids = []
        task = yield spawn(run_process(args, stdout=theirs))
        pids.append((yield read_pid(ours)))
        yield cancel(task)
        assert task.cancelled
        assert kernel._fds.keys() <= {ours.fileno()}    # only the socket we read
        outer = yield spawn(timeout_after(0.2, run_process(args, stdout=theirs)))
        pids.append((yield read_pid(ours)))
        with pytest.raises(TaskError) as info:
            yield join(outer)
        assert type(info.value.__cause__) is TaskTimeout    # the outer one's
        return pids

    try:
        with Kernel() as kernel:
            pids = kernel.run(main())
            assert kernel._fds == {}
    finally:
        ours.close()
        theirs.close()
    assert all(reaped(pid) for pid in pids)


def test_cancelled_while_reading_a_stream(run):
    """Cancelled in stdout.readline() inside ``with Process``: the child is
    killed and reaped and its pipes are closed."""
    def owner(box, started):
        with Process(["cat"], stdin=PIPE, stdout=PIPE) as process:
            box.append(process)
            started.set()
            yield process.stdout.readline()

    def main():
        box, started = [], Event()
        task = yield spawn(owner(box, started))
        yield started.wait()
        yield cancel(task)
        return box[0]

    process = run(main())
    assert process.returncode == -9
    assert process.stdin.closed and process.stdout.closed
    assert reaped(process.pid)
    assert "returncode=-9" in repr(process) and "closed" in repr(process.stdout)


def test_cancelled_in_async_with():
    """The same from an async def: ``async with`` kills and reaps the
    child without blocking."""
    pids = []

    async def owner(started):
        async with Process(["sleep", "10"]) as process:
            pids.append(process.pid)
            started.set()
            await process.wait()

    async def main():
        started = Event()
        task = await spawn(owner(started))
        await started.wait()
        await cancel(task)

    run(main())
    assert reaped(pids[0])


def test_cancelling_a_plain_wait_leaves_the_child_alone():
    """Without ``with`` the child is the caller's: a wait() that times out
    leaves it running, and it can be waited for again."""
    def main():
        process = Process(["cat"], stdin=PIPE, stdout=DEVNULL)
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.05, process.wait())
        assert process.returncode is None
        yield process.stdin.close()
        return (yield process.wait()), (yield process.wait())

    assert run(main()) == (0, 0)


def test_a_task_that_will_not_die_leaves_no_child_behind(caplog):
    """At shutdown, tasks that swallow their cancellation are closed by the
    kernel after their grace; every child they started -- in run_process,
    in ``async with Process`` -- is killed and reaped all the same."""
    ours, theirs = socket.socketpair()
    args = ["sh", "-c", "echo $$; exec sleep 10"]       # its stdout: a socket of ours

    def stubborn():
        while True:
            try:
                yield run_process(args, stdout=theirs)
            except Cancelled:
                pass                # wrong, but it happens

    async def stubborn_async():
        while True:
            try:
                async with Process(args, stdout=theirs) as process:
                    await process.wait()
            except Cancelled:
                pass

    said = []                                   # what the children said: their pids

    def main():
        tasks = [(yield spawn(stubborn())), (yield spawn(stubborn_async()))]
        while b"".join(said).count(b"\n") < 2:     # both children are running
            said.append((yield read(ours, 100)))
        for task in tasks:                          # each swallows it and starts another
            yield cancel(task, wait=False)
        while b"".join(said).count(b"\n") < 4:     # (waited for here: not left to a
            said.append((yield read(ours, 100)))    # grace a loaded machine may outrun)

    try:
        with Kernel() as kernel:
            kernel.shutdown_grace = 0.2         # they swallow run()'s cancellation too
            kernel.run(main())
        theirs.close()
        ours.setblocking(True)
        said.append(ours.makefile("rb").read())     # those started at the shutdown
        pids = [int(pid) for pid in b"".join(said).split()]
    finally:
        ours.close()
        theirs.close()
    assert len(pids) >= 4                       # new children after each cancellation
    assert [pid for pid in pids if not reaped(pid)] == []
    assert "closing it" in caplog.text          # the kernel did close them


# =================================================================== errors

def test_bad_arguments_raise_clear_errors():
    """Mistakes are told in the task that made them, and nothing starts."""
    def main():
        with Process(["true"]) as process:
            with pytest.raises(ValueError, match="stdin=PIPE"):
                yield process.communicate(b"data")
        with pytest.raises(TypeError, match="encode it first"):
            yield run_process(["cat"], input="text")
        with pytest.raises(ValueError, match="give one"):
            yield run_process(["cat"], input=b"x", stdin=DEVNULL)
        with pytest.raises(ValueError, match="timeout must be >= 0"):
            yield run_process(["true"], timeout=-1)
        with pytest.raises(TypeError, match="timeout must be a number"):
            yield run_process(["true"], timeout="5")
        with pytest.raises(ValueError, match="carry bytes"):
            Process(["cat"], stdout=PIPE, text=True)
        with pytest.raises(ValueError, match="encoding='utf-8'"):
            Process(["cat"], stdout=PIPE, encoding="utf-8")
        assert (yield run_process(["true"], text=False, bufsize=0)) == (0, b"", b"")
        with pytest.raises(FileNotFoundError):
            yield run_process(["/nonexistent/program"])
        with Process(["sh", "-c", "echo err >&2"], stderr=PIPE) as process:
            directory = os.open("/", os.O_RDONLY)     # (reading it: EISDIR)
            os.dup2(directory, process.stderr.pipe.fileno())
            os.close(directory)
            with pytest.raises(OSError) as info:
                yield process.communicate()     # the pipe's own error, not a TaskError
            assert info.value.errno == errno.EISDIR
        return "still running"

    assert run(main()) == "still running"


def test_a_wrong_argument_is_named():
    """An argument Popen refuses is named, with its place, where Popen's
    own error named neither ("expected str, bytes or os.PathLike object,
    not int", "list index out of range", "'str' object has no attribute
    'fileno'", "Bad file descriptor"); nothing starts.  An iterator of
    arguments works, and the error of check=True shows them as a list; one
    str is the whole command line (shell=True), named as args."""
    def main():
        closed = 1000 + max(int(fd) for fd in os.listdir("/proc/self/fd" if os.path.isdir(
            "/proc/self/fd") else "/dev/fd"))         # no descriptor of ours
        with pytest.raises(TypeError, match=r"args\[1\] is int 1; each argument must be str"):
            yield run_process(["sh", 1])
        with pytest.raises(TypeError, match="args must be a list.*got NoneType None"):
            yield run_process(None)
        with pytest.raises(ValueError, match="args is empty: there is no program to run"):
            yield run_process([])
        with pytest.raises(ValueError, match=r"args\[2\] holds a NUL character"):
            yield run_process(["sh", "-c", "true\0"])
        with pytest.raises(ValueError, match=r"Process\(args\): args holds a NUL character"):
            yield run_process("true\0", shell=True)     # one str: the whole command line
        assert (yield run_process("echo one line", shell=True)) == (0, b"one line\n", b"")
        with pytest.raises(TypeError, match=r"Process\(stdout=...\) must be PIPE.*got str 'out'"):
            Process(["true"], stdout="out")
        with pytest.raises(ValueError, match=r"stdin=-2.*STDOUT is for stderr"):
            Process(["cat"], stdin=STDOUT)
        with pytest.raises(OSError, match="pass_fds=...\\): descriptor %d is not open" % closed):
            Process(["true"], pass_fds=[closed])
        with pytest.raises(CalledProcessError) as info:
            yield run_process(iter(["sh", "-c", "exit 3"]), check=True)
        return info.value.cmd

    assert run(main()) == ["sh", "-c", "exit 3"]


def test_a_bad_cwd_or_env_is_named(tmp_path):
    """A cwd that is not there says so (Popen's message read as a program
    not found); an env entry that is not str or bytes, or an env that is no
    mapping, is named (Popen named neither)."""
    missing = str(tmp_path / "missing")

    def main():
        with pytest.raises(FileNotFoundError, match=r"\(the cwd= given\)") as info:
            yield run_process(["true"], cwd=missing)
        assert info.value.filename == missing
        with pytest.raises(TypeError, match="env=.*the value of 'PORT' is int 8080"):
            yield run_process(["true"], env={"PATH": os.environ["PATH"], "PORT": 8080})
        with pytest.raises(TypeError, match="env=.*a name is int 1"):
            yield run_process(["true"], env={1: "x"})
        with pytest.raises(TypeError, match="env=.*must be a mapping"):
            yield run_process(["true"], env=[("A", "b")])
        return (yield run_process(["sh", "-c", 'echo "$A"'], env={b"A": b"bytes"})).stdout

    assert run(main()) == b"bytes\n"


def test_a_nul_or_an_equals_sign_in_env_or_cwd_is_named(tmp_path):
    """An env value or name holding a NUL, a name holding '=', a cwd
    holding a NUL or that is no path: each is named, with the entry, where
    Popen said only "embedded null byte", "illegal environment variable
    name", "expected str, bytes or os.PathLike object, not int"; nothing
    starts."""
    path = os.environ["PATH"]

    def main():
        with pytest.raises(ValueError, match=r"env=.*the value of 'A' holds a NUL.*'x\\x00y'"):
            yield run_process(["true"], env={"PATH": path, "A": "x\0y"})
        with pytest.raises(ValueError, match=r"env=.*a name holds a NUL.*b'A\\x00'"):
            yield run_process(["true"], env={b"A\0": b"x"})
        with pytest.raises(ValueError, match=r"env=.*the name 'A=B' holds '='"):
            yield run_process(["true"], env={"PATH": path, "A=B": "x"})
        with pytest.raises(ValueError, match=r"cwd=.*holds a NUL.*'/tmp\\x00x'"):
            yield run_process(["true"], cwd="/tmp\0x")
        with pytest.raises(TypeError, match=r"cwd=.*must be a path.*got int 123"):
            Process(["true"], cwd=123)
        return (yield run_process(["sh", "-c", 'echo "$A" && pwd'], cwd=tmp_path,
                                  env={"PATH": path, "A": "a=b"})).stdout

    assert run(main()) == b"a=b\n" + os.path.realpath(str(tmp_path)).encode() + b"\n"
