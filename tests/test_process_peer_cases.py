"""Cases from the peers' own tests of subprocesses, pipes, signals and
threads that our other test files did not cover: uvloop's
``tests/test_process.py``, ``test_pipes.py`` and ``test_signals.py``,
asyncio's ``Lib/test/test_asyncio/test_subprocess.py``, trio's
``src/trio/_tests/test_subprocess.py`` and ``test_threads.py``.  Each
docstring names the peer case it comes from.  Real children (sh, cat,
the running Python), synchronised through pipes and sockets, never by
sleeping."""

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

import pytest

import trampoline
import trampoline.subprocess as tsub
from trampoline import (Event, SignalSet, TaskTimeout, cancel, join, run,
                        signal_wait, sleep, spawn, timeout_after, timeout_at)
from trampoline.clock import VirtualClock
from trampoline.subprocess import PIPE, CalledProcessError, Process, TimeoutExpired, run_process
from trampoline.threads import WorkerPool, run_in_thread
from trampoline.timeouts import TimeoutCancelled
from trampoline.traps import current_kernel

from net_helpers import MiB, watchdog  # noqa: F401  (autouse fixture)
from task_helpers import parked
from test_subprocess import has_pidfd, open_fds, read_line, reaped

WATCHDOG_SECONDS = 20.0

TOOLS = ("sh", "cat")
pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not all(shutil.which(tool) for tool in TOOLS),
    reason="needs a POSIX system with sh and cat")


# ================================================================= threads

@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_a_thread_call_under_an_expired_deadline_never_starts(clock):
    """trio's ``test_threads.py::test_run_in_worker_thread_cancellation``
    (and ``to_thread.run_sync``'s opening ``checkpoint_if_cancelled``): a
    task already past its deadline is cancelled before the call starts.
    ``timeout_after(0, run_in_thread(f))`` started ``f`` about one time in
    four: the job went to a worker before the task parked, and the alarm
    went off only as the loop came round.  Each way of being past the
    deadline, 500 times, on the default pool and on a pool of one worker;
    then one more call on each pool, which runs after anything queued
    before it -- nothing was."""
    started = []
    pool = WorkerPool(1)

    def call():
        started.append(1)

    def by_timeout_after_zero(submit):
        yield timeout_after(0, submit(call))

    def by_a_deadline_already_past(submit):
        kernel = yield current_kernel()
        yield timeout_at(kernel.time() - 1, submit(call))

    def by_an_alarm_gone_off_and_caught(submit):
        with timeout_after(0):              # its cancellation caught: it comes
            try:                            # again at every blocking trap
                yield sleep(1)
            except TimeoutCancelled:
                pass
            yield submit(call)

    def main():
        timeouts = 0
        for submit in (run_in_thread, pool.run):
            for _ in range(500):
                for way in (by_timeout_after_zero, by_a_deadline_already_past,
                            by_an_alarm_gone_off_and_caught):
                    try:
                        yield way(submit)
                    except TaskTimeout:
                        timeouts += 1
            assert (yield submit(len, "done")) == 4   # after every job queued before
        return timeouts

    kwargs = {"clock": VirtualClock()} if clock == "virtual" else {}
    assert run(main(), **kwargs) == 2 * 500 * 3
    assert started == []


# ============================================================ subprocesses

@pytest.fixture(params=["pidfd", "polling"])
def wait_mode(request, monkeypatch):
    """wait() on a pidfd, and wait() polling (as in test_subprocess.py)."""
    if request.param == "pidfd" and not has_pidfd():
        pytest.skip("no pidfd here (Python < 3.9 or Linux < 5.3)")
    monkeypatch.setattr(tsub, "USE_PIDFD", request.param == "pidfd")
    return request.param


def python(code):
    return [sys.executable, "-c", code]


def test_a_huge_stdin_write_to_a_child_that_reads_slowly():
    """uvloop's ``test_write_huge_stdin_219264`` (asyncio's
    ``test_stdin_stdout`` with a big input): one ``write`` of 1 MiB to a
    child that reads 4 KiB at a time and pauses between reads.  Every byte
    arrives, in order (the child sends back a digest), and the loop runs
    other tasks while the write waits for the pipe to drain."""
    payload = os.urandom(MiB)
    child = python("import hashlib, sys, time\n"
                   "h = hashlib.sha256(); n = 0\n"
                   "while True:\n"
                   "    chunk = sys.stdin.buffer.read1(4096)\n"
                   "    if not chunk: break\n"
                   "    h.update(chunk); n += len(chunk)\n"
                   "    if n % 65536 < 4096: time.sleep(0.001)\n"
                   "print(n, h.hexdigest())")
    ticks = []

    def ticker(stop):
        while not stop.is_set():
            ticks.append(1)
            yield sleep(0.001)

    def main():
        stop = Event()
        task = yield spawn(ticker(stop))
        with Process(child, stdin=PIPE, stdout=PIPE) as process:
            yield process.stdin.write(payload)
            written_after = len(ticks)
            yield process.stdin.close()
            said = yield process.stdout.read()
            code = yield process.wait()
        stop.set()
        yield join(task)
        return said, code, written_after

    said, code, ticks_during_write = run(main())
    import hashlib
    assert said.split() == [b"%d" % MiB, hashlib.sha256(payload).hexdigest().encode()]
    assert code == 0
    assert ticks_during_write > 0             # the loop ran on while the write waited


def test_a_child_that_closes_its_stdin_early():
    """trio's ``test_run_with_broken_pipe`` and asyncio's
    ``test_stdin_broken_pipe`` / ``test_communicate_ignore_broken_pipe``:
    ``run_process`` with 128 KiB of input for a child that closes its stdin
    at once returns the child's status, no error; a plain
    ``stdin.write`` to it -- more than a pipe holds, the child gone
    meanwhile -- raises ``BrokenPipeError`` (EPIPE) in the writing task,
    at once, and this process lives on (Python ignores SIGPIPE); the
    kernel and its other tasks go on."""
    close_and_go = python("import os, sys; sys.stdin.close(); os.write(1, b'closed\\n')")

    def main():
        result = yield run_process(close_and_go, input=b"x" * 131072)
        with Process(close_and_go, stdin=PIPE, stdout=PIPE) as process:
            assert (yield process.stdout.readline()) == b"closed\n"
            with pytest.raises(BrokenPipeError) as info:
                yield timeout_after(5, process.stdin.write(b"y" * MiB))
            assert info.value.errno == errno.EPIPE
            code = yield process.wait()
        with Process(python("import os; os.read(0, 10)"), stdin=PIPE) as process:
            with pytest.raises(BrokenPipeError):    # under way when the child exits
                yield timeout_after(5, process.stdin.write(b"z" * MiB))
            code2 = yield process.wait()
        return result, code, code2

    assert run(main()) == ((0, b"closed\n", b""), 0, 0)


def test_communicate_with_megabytes_on_stdin_stdout_and_stderr_at_once():
    """asyncio's ``test_communicate`` and uvloop's
    ``test_communicate_large_stdout_1000000``, both ways at once: a child
    that reads 2 MiB and, as it reads, writes each piece to stdout and its
    reverse to stderr, before it has read the rest.  communicate() neither
    deadlocks nor mixes the two up."""
    payload = os.urandom(2 * MiB)
    child = python("import sys\n"
                   "while True:\n"
                   "    chunk = sys.stdin.buffer.read(65536)\n"
                   "    if not chunk: break\n"
                   "    sys.stdout.buffer.write(chunk); sys.stdout.flush()\n"
                   "    sys.stderr.buffer.write(chunk[::-1]); sys.stderr.flush()\n")

    def main():
        with Process(child, stdin=PIPE, stdout=PIPE, stderr=PIPE) as process:
            out, err = yield timeout_after(15, process.communicate(payload))
            return out, err, (yield process.wait())

    out, err, code = run(main())
    assert code == 0
    assert out == payload
    assert err == b"".join(payload[at:at + 65536][::-1] for at in range(0, len(payload), 65536))


def test_a_child_killed_by_a_signal_has_a_negative_status(wait_mode):
    """trio's ``test_signals`` and asyncio's ``test_kill`` /
    ``test_terminate`` / ``test_send_signal``, from the child's side: a
    child that dies of a signal it sends itself -- SIGTERM, SIGUSR1,
    SIGKILL (none that dumps a core) -- gives ``-N``; ``check=True`` says which
    signal killed it, as ``subprocess.run`` does."""
    def main():
        codes = []
        for name in ("SIGTERM", "SIGUSR1", "SIGKILL"):
            result = yield run_process(["sh", "-c", "kill -%s $$" % name[3:]])
            codes.append(result.returncode)
        with pytest.raises(CalledProcessError) as info:
            yield run_process(python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"),
                              check=True)
        return codes, info.value

    codes, error = run(main())
    assert codes == [-signal.SIGTERM, -signal.SIGUSR1, -signal.SIGKILL]
    assert error.returncode == -signal.SIGTERM
    assert "died with <Signals.SIGTERM" in str(error)


def test_a_child_that_exits_while_its_grandchild_holds_the_pipe(wait_mode):
    """asyncio's ``test_process_exited_pipe_still_open`` case (and
    subprocess's communicate under a timeout): the child exits at once,
    its grandchild keeps the child's stdout open.  ``wait()`` returns the
    child's status without waiting for the pipe; a read of stdout ends
    when the grandchild goes; ``run_process`` under a timeout, whose
    communicate waits for the pipe as subprocess's does, raises
    ``TimeoutExpired`` with the output so far and does not hang."""
    spawner = ["sh", "-c", "sleep 30 & echo $!; exit 3"]

    def main():
        with Process(spawner, stdout=PIPE) as process:
            code = yield timeout_after(5, process.wait())
            grandchild = int((yield process.stdout.readline()))
            os.kill(grandchild, signal.SIGKILL)
            rest = yield timeout_after(5, process.stdout.read())
        with pytest.raises(TimeoutExpired) as info:
            yield run_process(spawner, timeout=0.5)     # (its echo comes in ms)
        os.kill(int(info.value.output), signal.SIGKILL)
        return code, rest

    assert run(main()) == (3, b"")


def test_pass_fds_and_nothing_else_reaches_the_child(tmp_path):
    """uvloop's ``test_process_streams_pass_fds`` and
    ``test_subprocess_fd_leak_1/2``: a socket named in ``pass_fds`` is
    open in the child, at the same number; a socket not named, and our
    ends of another child's pipes, are not (close_fds, as subprocess)."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd")
    ours, theirs = socket.socketpair()
    other, not_passed = socket.socketpair()
    lister = python("import os, sys; os.write(int(sys.argv[1]), b'hello\\n'); "
                    "print(' '.join(sorted(os.listdir('/proc/self/fd'), key=int)))")

    def main():
        with Process(["cat"], stdin=PIPE, stdout=PIPE) as neighbour:
            code, out, _ = yield run_process(lister + [str(theirs.fileno())],
                                             pass_fds=[theirs.fileno()])
            said = yield read_line(ours)
            yield neighbour.stdin.close()
            yield neighbour.wait()
        return code, said, [int(fd) for fd in out.split()]

    try:
        code, said, fds = run(main())
        assert (code, said) == (0, b"hello\n")
        # 0, 1, 2, the socket passed, and the directory listdir had open: no more
        assert fds[:3] == [0, 1, 2] and theirs.fileno() in fds and len(fds) == 5
    finally:
        for sock in (ours, theirs, other, not_passed):
            sock.close()


def test_a_missing_or_unrunnable_program_is_named(tmp_path):
    """uvloop's ``test_process_executable_2``-like and asyncio's
    ``test_create_subprocess_exec_with_path``: the error for a program not
    there names it (FileNotFoundError with its ``filename``), the same for
    one not on PATH and for ``executable=``; a file without the execute
    bit is a PermissionError naming it; nothing is left running."""
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\necho hi\n")
    missing = str(tmp_path / "missing-program")

    def main():
        errors = []
        for args, kwargs in (([missing], {}), (["no-such-program-here-xyz"], {}),
                             (["ignored"], {"executable": missing}), ([str(script)], {})):
            with pytest.raises(OSError) as info:
                yield run_process(args, **kwargs)
            errors.append(info.value)
        return errors

    before = open_fds()
    errors = run(main())
    assert [type(error) for error in errors] == [FileNotFoundError] * 3 + [PermissionError]
    for error, name in zip(errors, (missing, "no-such-program-here-xyz", missing, str(script))):
        assert error.filename == name and name in str(error)
    assert open_fds() == before


def test_two_tasks_wait_and_one_is_cancelled(wait_mode):
    """trio's ``test_multi_wait`` and asyncio's ``test_cancel_process_wait``
    (uvloop's too): of two tasks waiting for one child, one is cancelled;
    the other still gets the status, the child is not killed (the
    cancelled wait leaves it alone, as in trio and asyncio) and is reaped
    by the wait that returns; no descriptor is left open."""
    def waiter(process):
        return (yield process.wait())

    def main():
        kernel = yield current_kernel()
        process = Process(["cat"], stdin=PIPE)
        first = yield spawn(waiter(process))
        second = yield spawn(waiter(process))
        yield parked(first, second)
        yield cancel(first)
        assert first.cancelled and process.returncode is None
        yield process.stdin.close()             # cat exits by itself
        code = yield join(second)
        return code, process.pid, kernel._fds

    before = open_fds()
    code, pid, fds = run(main())
    assert (code, fds) == (0, {})
    assert reaped(pid)
    assert open_fds() == before


@pytest.mark.skipif(not hasattr(signal, "SIGCHLD"), reason="POSIX signals only")
def test_wait_when_sigchld_is_ignored_returns_zero(wait_mode):
    """trio's ``test_wait_reapable_fails`` (and ``_no_pidfd``): with
    SIGCHLD ignored the system reaps children itself and ``waitpid`` fails
    with ECHILD; ``wait()`` returns 0 (the status is unknowable), as
    subprocess and trio do, without hanging."""
    def main():
        with Process(["sleep", "30"]) as process:
            waiting = yield spawn(process.wait())
            yield parked(waiting)
            process.kill()
            return (yield timeout_after(5, join(waiting)))

    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert run(main()) == 0
    finally:
        signal.signal(signal.SIGCHLD, before)


def test_stdout_read_after_the_child_exited_and_pipes_not_inherited_by_a_sibling():
    """asyncio's ``test_read_stdout_after_process_exit``: what a child
    wrote before it exited 1 (60 KiB: the pipe holds it) is all read after
    ``wait()`` returned -- the child's exit is not the pipe's end.
    asyncio's ``test_stdin_not_inheritable`` (issue #209): with
    ``close_fds=False`` a second child started while the first's stdin is
    open does not get a copy of our end, so closing it is the first
    child's end of input."""
    writer = python("import sys\nfor _ in range(15): sys.stdout.write('x' * 4096)\n"
                    "sys.stdout.flush(); sys.exit(1)")

    def main():
        with Process(writer, stdout=PIPE) as process:
            code = yield process.wait()
            data = yield process.stdout.read()
        with Process(["cat"], stdin=PIPE, stdout=PIPE, close_fds=False) as first_child:
            with Process(["cat"], stdin=PIPE, stdout=PIPE, close_fds=False) as sibling:
                out, _ = yield timeout_after(5, first_child.communicate(b"abc"))
                yield sibling.stdin.close()
                yield sibling.wait()
        return code, len(data), out

    assert run(main()) == (1, 15 * 4096, b"abc")


def test_run_process_from_a_kernel_in_another_thread(wait_mode):
    """asyncio's ``test_create_subprocess_with_pidfd`` (``asyncio.run`` in
    ``to_thread``): a kernel running in a thread that is not the main one
    starts, talks to and waits for children as in the main thread (no
    SIGCHLD handler needed), and cancelling one there still kills and
    reaps it."""
    ours, theirs = socket.socketpair()
    outcome = []

    def main():
        result = yield run_process(["cat"], input=b"from a thread")
        task = yield spawn(run_process(["sh", "-c", "echo $$; exec sleep 30"], stdout=theirs))
        pid = int((yield read_line(ours)))
        yield cancel(task)
        return result, task.cancelled, pid

    def in_thread():
        try:
            outcome.append(run(main()))
        except BaseException as error:       # (shown by the assertion below)
            outcome.append(error)

    thread = threading.Thread(target=in_thread)
    try:
        thread.start()
        thread.join(15)
    finally:
        ours.close()
        theirs.close()
    [(result, cancelled, pid)] = outcome
    assert (result, cancelled) == ((0, b"from a thread", b""), True)
    assert reaped(pid)


# ================================================================= signals

@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals only")
def test_signals_that_come_while_their_reader_is_busy_wait_for_it():
    """uvloop's ``test_signals_coro_callback`` / ``test_signals_and_custom_
    handler_1`` and trio's ``test_open_signal_receiver`` (signals that
    arrive while nobody waits are kept): the task that reads the set is
    busy -- waiting for something else, then handling the first signal --
    while signals come from another task; it gets each, in the order they
    came, once it waits again."""
    def sender(reader, busy_done, got_first):
        yield parked(reader)                    # busy, not in signals.wait()
        for signo in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1):
            os.kill(os.getpid(), signo)
        busy_done.set()
        yield got_first.wait()
        os.kill(os.getpid(), signal.SIGUSR2)    # while it handles the first

    def main():
        busy_done, got_first = Event(), Event()
        with SignalSet(signal.SIGUSR1, signal.SIGUSR2) as signals:
            reader = trampoline.current_task()
            task = yield spawn(sender(reader, busy_done, got_first))
            yield busy_done.wait()
            got = [(yield signals.wait())]
            got_first.set()
            yield join(task)
            for _ in range(3):
                got.append((yield signals.wait()))
        return got

    assert run(main()) == [signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1, signal.SIGUSR2]


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals only")
def test_signal_wait_in_a_kernel_in_another_thread_is_a_clear_error_in_that_task():
    """uvloop's ``test_signals_fork_in_thread`` / asyncio's
    ``add_signal_handler`` outside the main thread (trio:
    ``open_signal_receiver`` raises RuntimeError there): ``signal_wait``
    in a kernel run in a worker thread raises a ``RuntimeError`` saying
    why, in the task that asked; the kernel and its other tasks go on, and
    no handler changed."""
    before = signal.getsignal(signal.SIGUSR1)
    outcome = []

    def asker():
        return (yield signal_wait(signal.SIGUSR1))

    def other():
        yield sleep(0)
        return "ran"

    def main():
        asking, running = (yield spawn(asker())), (yield spawn(other()))
        with pytest.raises(trampoline.TaskError) as info:
            yield join(asking)
        return str(info.value.__cause__), (yield join(running))

    def in_thread():
        try:
            outcome.append(run(main()))
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=in_thread, name="not-main")
    thread.start()
    thread.join(10)
    [(message, ran)] = outcome
    assert "only in the main thread" in message and "not-main" in message
    assert ran == "ran"
    assert signal.getsignal(signal.SIGUSR1) == before


class CountingPopen(subprocess.Popen):
    """subprocess.Popen, counting the children it starts."""

    started = 0

    def __init__(self, *args, **kwargs):
        CountingPopen.started += 1
        super().__init__(*args, **kwargs)


def test_run_process_under_an_expired_deadline_starts_no_child(monkeypatch, wait_mode):
    """trio's ``run_process`` (its ``open_process`` starts the child through
    ``to_thread.run_sync``, whose checkpoint comes first): a task already
    past its deadline starts no child.  ``timeout_after(0,
    run_process(...))`` started the child every time -- it ran, did what
    it does, and was killed at the first wait.  Each way of being past the
    deadline, 20 times; then a run in time starts its child."""
    monkeypatch.setattr(tsub.subprocess, "Popen", CountingPopen)
    monkeypatch.setattr(CountingPopen, "started", 0)
    args = ["sh", "-c", "exit 3"]

    def by_an_alarm_gone_off_and_caught():
        with timeout_after(0):
            try:
                yield sleep(1)
            except TimeoutCancelled:
                pass
            yield run_process(args)

    def main():
        kernel = yield current_kernel()
        timeouts = 0
        for _ in range(20):
            for way in (timeout_after(0, run_process(args)),
                        timeout_at(kernel.time() - 1, run_process(args)),
                        by_an_alarm_gone_off_and_caught()):
                try:
                    yield way
                except TaskTimeout:
                    timeouts += 1
        assert CountingPopen.started == 0
        return timeouts, (yield run_process(args)).returncode, CountingPopen.started

    assert run(main()) == (60, 3, 1)


def test_a_stdin_stdout_or_stderr_that_is_no_open_descriptor_is_named(tmp_path):
    """uvloop's ``test_subprocess_invalid_stdin``: a descriptor number not
    open, given as stdin, stdout or stderr, is an ``OSError(EBADF)``; Popen's
    said only "Bad file descriptor", naming neither the argument nor the
    number.  A closed file, or one with no descriptor (``io.BytesIO``),
    was "I/O operation on closed file" and "fileno": now named too.
    Nothing starts, nothing is left open."""
    import io
    closed = 1000 + max(int(fd) for fd in os.listdir(
        "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))
    file = open(str(tmp_path / "out"), "wb")
    file.close()

    def main():
        for name in ("stdin", "stdout", "stderr"):
            with pytest.raises(OSError) as info:
                yield run_process(["true"], **{name: closed})
            assert info.value.errno == errno.EBADF
            assert str(info.value) == "[Errno 9] Process(%s=%d): descriptor %d is not open" % (
                name, closed, closed)
        with pytest.raises(ValueError, match=r"Process\(stdout=...\): .* has no descriptor to "
                                             r"give the child \(I/O operation on closed file"):
            Process(["true"], stdout=file)
        with pytest.raises(io.UnsupportedOperation, match=r"Process\(stdin=...\): BytesIO"):
            Process(["cat"], stdin=io.BytesIO(b"data"))
        return (yield run_process(["true"])).returncode

    before = open_fds()
    assert run(main()) == 0
    assert open_fds() == before


def test_a_child_reaped_behind_our_back_is_not_signalled_again(wait_mode):
    """asyncio's ``test_close_dont_kill_finished`` (and trio's
    ``test_wait_reapable_fails``): a child killed and reaped by someone
    else (``os.waitpid``): ``wait()`` returns 0 at once (its status went to
    that someone), and ``kill()``, ``terminate()`` and leaving ``with``
    send nothing -- its pid may belong to another process by now."""
    def main():
        with Process(["sleep", "30"]) as process:
            os.kill(process.pid, signal.SIGKILL)
            os.waitpid(process.pid, 0)              # behind our back
            code = yield timeout_after(5, process.wait())
            process.kill()
            process.terminate()
            process.send_signal(signal.SIGUSR1)
        return code, process.returncode

    assert run(main()) == (0, 0)


# =================================================================== pipes

def test_pipe_streams_over_plain_pipes_and_a_socket():
    """uvloop's ``test_pipes.py``: ``test_read_pipe`` (a ``PipeStream`` over
    the read end of ``os.pipe()`` gets what is written, then the end of
    stream when the writer closes), ``test_write_pipe`` and
    ``test_write_buffer_full`` (1 MiB written into a pipe that holds
    64 KiB: the write waits for the reader, another task of ours, and
    every byte arrives in order), ``test_write_pipe_disconnect_on_close``
    (the far end -- here a socket -- closed: the write is a
    ``BrokenPipeError``, the kernel goes on)."""
    payload = os.urandom(MiB)

    def reader(stream):
        return (yield stream.read())

    def main():
        read_fd, write_fd = os.pipe()
        incoming = tsub.PipeStream(os.fdopen(read_fd, "rb", 0))
        outgoing = tsub.PipeStream(os.fdopen(write_fd, "wb", 0))
        yield outgoing.write(b"1")
        assert (yield incoming.read(10)) == b"1"
        task = yield spawn(reader(incoming))
        yield outgoing.write(b"2345")
        yield outgoing.write(payload)
        yield outgoing.close()
        received = yield join(task)
        yield incoming.close()

        ours, theirs = socket.socketpair()
        outgoing = tsub.PipeStream(os.fdopen(ours.detach(), "wb", 0))
        yield outgoing.write(b"1")
        assert theirs.recv(10) == b"1"
        theirs.close()
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            yield outgoing.write(b"x" * MiB)
        yield outgoing.close()
        return received

    assert run(main()) == b"2345" + payload
