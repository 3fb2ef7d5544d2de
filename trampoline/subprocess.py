"""Subprocesses: run a program, talk to it through pipes, wait for it -- all
without blocking the loop.

``yield run_process(args)`` runs a program to the end and returns
``(returncode, stdout, stderr)``.  ``Process(args, stdin=PIPE, ...)``
starts one and gives its pipes as streams, to talk to it while it runs.

The idea.  The standard ``subprocess`` module starts the child (fork, exec,
and every platform detail it knows); this module only does the waiting.
Our ends of the pipes are made non-blocking and read and written with the
``read`` and ``write`` traps, which use ``os.read``/``os.write`` for a
pipe.  Waiting for the child to exit needs a descriptor the kernel can
watch: on Linux 5.3+ with Python 3.9+ that is a *pidfd*
(``os.pidfd_open``), readable once the child has exited, so ``wait()`` is
one ``read_wait`` and a ``waitpid`` that cannot block.  Elsewhere ``wait()``
polls ``Popen.poll()`` with a sleep that grows from 1 ms to 50 ms.
``communicate`` writes stdin and reads stdout and stderr in tasks of their
own, so a child that writes a lot before it has read all its input never
deadlocks against us.

Owning a child.  ``run_process`` and ``with Process(...)`` own their child:
however the work ends -- error, timeout, cancellation at any ``yield`` --
a child still running is killed and reaped (no zombie left behind), and
the pipes are closed.

What this module must never do: block the loop waiting for a child that
has not been killed, touch process-wide state (no SIGCHLD handler, no
signal mask, no global child watcher: other libraries in the process may
have children of their own), or reach into the kernel's insides (traps
only).
"""

import errno
import os
import subprocess
from collections import namedtuple
from subprocess import DEVNULL, PIPE, STDOUT, CalledProcessError
from types import coroutine
from typing import Any, Awaitable, Generator, List, Optional, Tuple, cast

from .combinators import disable_cancellation
from .errors import ResourceBusy, TaskError
from .hostloop import running_kernel
from .streams import CHUNK, Stream, _notify_closing
from .timeouts import TaskTimeout, timeout_after
from .traps import _describe, cancel, join, read_wait, sleep, spawn

__all__ = [
    "run_process", "Process", "PipeStream", "ProcessResult",
    "TimeoutExpired", "CalledProcessError", "PIPE", "STDOUT", "DEVNULL",
]

#: Wait for children with a pidfd when the system has them (Linux 5.3+,
#: Python 3.9+).  False makes ``wait()`` poll instead -- for tests, and for
#: anyone who wants to see the fallback work.
USE_PIDFD = True
#: The polling fallback's first sleep, and its longest (it doubles between).
POLL_FIRST = 0.001
POLL_LONGEST = 0.05
#: ``communicate`` writes its input to the child this many bytes at a time
#: (a Linux pipe holds 64 KiB).
FEED_CHUNK = 65536


# ================================================================ errors

class TimeoutExpired(TaskTimeout, subprocess.TimeoutExpired):
    """``run_process(..., timeout=)`` gave up: the child ran too long, and
    has been killed and reaped.

    Both a ``TaskTimeout`` (so ``except TaskTimeout`` catches it, as every
    other trampoline timeout) and a ``subprocess.TimeoutExpired`` (so code
    written for ``subprocess.run`` catches it too).  ``cmd``, ``timeout``;
    ``output``/``stdout`` and ``stderr`` hold what the child had written by
    then (``None`` if it was not captured).
    """

    def __init__(self, cmd: Any, timeout: float, output: Optional[bytes] = None,
                 stderr: Optional[bytes] = None) -> None:
        subprocess.TimeoutExpired.__init__(self, cmd, timeout, output, stderr)
        self.args = (str(self),)

    def __str__(self) -> str:
        return subprocess.TimeoutExpired.__str__(self) + "; it was killed"

    def __reduce__(self) -> Any:
        # (pickle would call TimeoutExpired(*self.args): the message alone)
        return type(self), (self.cmd, self.timeout, self.output, self.stderr)


#: What ``run_process`` returns: a named tuple, so ``code, out, err = ...``
#: works, and so does ``result.stdout``.
ProcessResult = namedtuple("ProcessResult", "returncode stdout stderr")


# ============================================================== the pipes

class PipeStream(Stream):
    """Our end of a pipe to a child: a ``Stream`` over a pipe.

    ``process.stdout`` and ``process.stderr`` read: ``read(n)``,
    ``read()`` (everything, to the end), ``readline()``,
    ``readexactly(n)``, ``readuntil(sep)``, ``each_line(func)``, ``async
    for line in ...``.  ``process.stdin`` writes: ``write(data)``; its
    ``close()`` (or ``write_eof()``) is the child's end of input.  Reading
    and writing wait in the kernel; the pipe is non-blocking.  ``pipe`` is
    the file object underneath.
    """

    def __init__(self, pipe: Any) -> None:
        # Stream.__init__ wants a socket; a pipe needs the same state -- the
        # read buffer and the end-of-stream flag -- and no more.  Stream's
        # methods read and write through ``self.sock`` with the read and
        # write traps, which use os.read/os.write for anything not a socket.
        os.set_blocking(pipe.fileno(), False)
        self.sock = self.pipe = pipe
        self._buffer = bytearray()
        self._eof = False
        self._tls = False
        self._direct = True
        self.peername = None

    def __repr__(self):
        state = "closed" if self.closed else "fd=%d" % self.pipe.fileno()
        if self._eof:
            state += " eof"
        return "<PipeStream %s buffered=%d>" % (state, len(self._buffer))

    @property
    def closed(self) -> bool:
        """True once ``close`` has run."""
        return bool(self.pipe.closed)

    def close(self) -> Awaitable[None]:
        """``yield stream.close()``: close our end of the pipe.  Takes effect
        at once (the ``yield`` is optional); closing twice is harmless.  A
        task parked reading or writing it gets ``OSError(EBADF)`` at once.
        Bytes still in the buffer are dropped: a read after the close
        fails, as a ``Stream``'s does."""
        if not self.pipe.closed:
            _notify_closing(self.pipe)
        self._drop_buffer()
        # The next read or write makes a trap, which says EBADF (Stream reuses
        # its traps while their fd is the socket's: a closed file's fileno() raises).
        self._read_trap = self._write_trap = None
        self.pipe.close()
        return _done()

    def write_eof(self) -> Awaitable[None]:
        """``yield process.stdin.write_eof()``: a pipe cannot half-close, so
        this closes it -- the child reads end of file.  While another
        task's write of the pipe is under way it raises ``ResourceBusy``
        and does nothing, as ``Stream.write_eof``: the end would cut that
        write short (``close()`` would not wait: the writer gets
        ``OSError(EBADF)``)."""
        kernel = running_kernel()
        if not self.pipe.closed and kernel is not None and kernel.writes(self.pipe):
            raise ResourceBusy("write_eof(): a write of %r is under way; the end of the "
                               "stream would cut it short: write_eof once it is done"
                               % (self,))
        return self.close()


@coroutine
def _done() -> Generator[Any, Any, None]:
    """An empty subroutine: what ``close`` returns, so that ``yield
    stream.close()`` reads like every other method."""
    return None
    yield   # pragma: no cover - never reached; makes this a generator


# =============================================================== Process

class Process:
    """``process = Process(args, *, stdin=None, stdout=None, stderr=None, **popen_kwargs)``

    Start ``args`` (a list, or a string with ``shell=True``) as a child
    process, at once, with ``subprocess.Popen``.  ``stdin``, ``stdout``,
    ``stderr``: ``PIPE`` for a pipe to talk through, ``DEVNULL``, a file
    or descriptor, ``None`` to share ours; ``stderr=STDOUT`` sends it into
    stdout.  Another ``Process``'s ``PipeStream`` (``stdin=first.stdout``)
    connects the two children, as a shell's ``|``: the pipe goes to the
    child, blocking again, and our end is closed, as a shell closes its
    copy (so that ``yes`` in ``yes | head -n 1`` gets its SIGPIPE when
    ``head`` exits); one closed, or with bytes already read ahead here, is
    refused (``ValueError``).
    Other keywords (``cwd``, ``env``, ``start_new_session``, ``pass_fds``
    ...) go to ``Popen``; ``text``, ``encoding`` and
    ``bufsize`` are refused: the pipes carry bytes (``ValueError``).
    Raises what ``Popen`` raises (``FileNotFoundError`` for a program not
    found, or a ``cwd`` -- which its message says ...), and errors that
    name what is wrong where Popen's do not: ``TypeError`` for an argument
    in ``args`` that is not ``str``, ``bytes`` or ``os.PathLike``
    (``args[1] is int 1``), for an ``env`` entry that is not ``str`` or
    ``bytes``, a ``cwd`` that is no path, a ``stdin``/``stdout``/``stderr``
    of no kind Popen takes; ``ValueError`` for an empty ``args``, an
    argument, an ``env`` entry or a ``cwd`` holding a NUL, an ``env`` name
    holding ``=``, a file given as ``stdin``/``stdout``/``stderr`` that is
    closed (``io.UnsupportedOperation`` for one with no descriptor, an
    ``io.BytesIO``); ``OSError(EBADF)`` naming a ``stdin``/``stdout``/
    ``stderr`` or ``pass_fds`` descriptor not open.

    Attributes: ``args``, ``pid``, ``stdin``/``stdout``/``stderr`` (a
    ``PipeStream`` for each ``PIPE``, else ``None``), ``returncode``
    (``None`` while it runs; ``-N`` if signal N ended it).  Methods that
    wait are generators -- ``yield`` them, or ``await`` in an ``async
    def``: ``wait()``, ``communicate(input)``.  ``send_signal``,
    ``terminate``, ``kill`` do not wait.

    ``with Process(...) as process:`` (or ``async with``) owns the child:
    on the way out the pipes are closed and a child still running is
    killed and reaped -- so ``wait()`` inside the block for a child you
    want to finish.  (The plain ``with`` reaps the killed child with a
    blocking ``waitpid``: a child sent SIGKILL is gone within
    microseconds, so the loop stalls no longer than that.  ``async with``
    waits without blocking.)  Without ``with``, the child is yours to wait
    for, and cancelling a ``wait()`` leaves it running.
    """

    def __init__(self, args: Any, *, stdin: Any = None, stdout: Any = None, stderr: Any = None,
                 **popen_kwargs: Any) -> None:
        for name, allowed in (("text", False), ("universal_newlines", False),
                              ("encoding", None), ("errors", None), ("bufsize", 0)):
            value = popen_kwargs.pop(name, allowed)
            if value != allowed:
                raise ValueError(
                    "Process(%s=%r): the pipes carry bytes, unbuffered; encode what you "
                    "write and decode what you read" % (name, value))
        args = _check_args(args, popen_kwargs.get("executable"))
        for name, stream in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
            _check_stdio(name, stream)
        _check_env(popen_kwargs.get("env"))
        _check_cwd(popen_kwargs.get("cwd"))
        handed = [stream for stream in (stdin, stdout, stderr) if isinstance(stream, PipeStream)]
        for stream in handed:
            _check_hand_over(stream)
        try:
            stdin, stdout, stderr = _hand_over(stdin), _hand_over(stdout), _hand_over(stderr)
            popen = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr,
                                     bufsize=0, **popen_kwargs)
        except OSError as error:
            _take_back(handed)
            _name_a_closed_stdio(error, (("stdin", stdin), ("stdout", stdout),
                                         ("stderr", stderr)))
            _name_a_closed_fd(error, popen_kwargs.get("pass_fds"))
            cwd = popen_kwargs.get("cwd")
            if cwd is None or error.filename != cwd or error.errno is None:
                raise
            # (Popen's message for a cwd that is not there reads as a program not found)
            raise type(error)(error.errno, "%s (the cwd= given)" % error.strerror,
                              error.filename) from None
        except BaseException:
            _take_back(handed)
            raise
        # The child has its copy of a pipe handed over; ours goes, as a
        # shell's does: held here, it would keep the pipe open after the
        # child at the other end exits -- ``yes`` in ``yes | head -n 1``
        # would never get its SIGPIPE, a reader never its end of file.
        for stream in handed:
            stream.close()
        self._popen = popen
        self.args = args
        self.pid = popen.pid
        self.stdin = PipeStream(popen.stdin) if popen.stdin is not None else None
        self.stdout = PipeStream(popen.stdout) if popen.stdout is not None else None
        self.stderr = PipeStream(popen.stderr) if popen.stderr is not None else None

    def __repr__(self):
        code = self._popen.returncode
        state = "running" if code is None else "returncode=%d" % code
        return "<Process pid=%d %s args=%s>" % (self.pid, state, _describe(self.args))

    @property
    def returncode(self) -> Optional[int]:
        """The exit status, or ``None`` while the child runs (asks the system:
        a child that has just exited is reaped here)."""
        return self._popen.poll()

    # --------------------------------------------------------- waiting

    @coroutine
    def wait(self) -> Generator[Any, Any, int]:
        """``returncode = yield process.wait()``

        Wait until the child exits and return its exit status (``-N`` if
        signal N ended it).  Never blocks the loop: a pidfd's ``read_wait``
        where the system has them, else polling (see ``USE_PIDFD``).
        Several tasks may wait at once.  Cancelling the wait leaves the
        child alone (unless ``with``/``run_process`` owns it).  Returns at
        once if the child has already been reaped.
        """
        popen = self._popen
        if popen.poll() is not None:
            return popen.returncode
        pidfd = _open_pidfd(self.pid)
        if pidfd is None:
            return (yield _poll_until_exit(popen))
        try:
            while popen.poll() is None:
                yield read_wait(pidfd)      # readable: the child has exited
        finally:
            pidfd.close()
        return popen.returncode

    @coroutine
    def communicate(self, input: Optional[bytes] = None
                    ) -> Generator[Any, Any, Tuple[Optional[bytes], Optional[bytes]]]:
        """``stdout, stderr = yield process.communicate(input=None)``

        Write ``input`` (bytes) to the child's stdin and close it, read its
        stdout and stderr to the end, wait for it to exit; return what it
        wrote on each (``None`` for one that is not a ``PIPE``).  All at
        once, in tasks of their own: a big input and a big output never
        deadlock.  A child that exits without reading all its input is not
        an error, and an output pipe the caller has closed is skipped
        (``b""`` for it), as with ``subprocess``.  Raises ``ValueError`` for
        ``input`` without ``stdin=PIPE``, or for ``input`` when the caller
        has closed stdin (as ``subprocess`` does: nothing starts; asyncio
        drops the input), ``TypeError`` for ``input`` that is not
        bytes-like, the pipes' ``OSError``.

        Cancelled (or timed out), it stops its helper tasks and leaves the
        child and its pipes as they are; what it had read is kept, and the
        next ``communicate()`` writes what is left of the input and returns
        the whole output -- ``subprocess``'s way after a timeout::

            try:
                out, err = yield timeout_after(15, process.communicate(data))
            except TaskTimeout:
                process.kill()
                out, err = yield process.communicate()

        Called again once it has finished, it returns the same again.  A
        second call with ``input`` raises ``ValueError``: the first has
        begun writing its own.
        """
        input = _check_input(input, self.stdin)
        if input is not None and self._output is not None:
            raise ValueError("communicate(input=...): an earlier communicate() has begun "
                             "writing its input to the child; call it again without input "
                             "to go on with what is left of that")
        if input and self.stdin is not None and self.stdin.closed:
            raise ValueError("communicate(input=...): %r, the child's stdin, was closed "
                             "before: the input cannot reach the child" % (self.stdin,))
        yield self._communicate(input)
        return self._outputs()

    #: What communicate() has read of stdout and of stderr (two lists of
    #: chunks, kept for the next call), and what is left of its input to
    #: write; None until it begins.
    _output = None                  # type: Optional[Tuple[List[bytes], List[bytes]]]
    _unwritten = None               # type: Any

    def _outputs(self):
        out, err = self._output or ([], [])
        return (b"".join(out) if self.stdout is not None else None,
                b"".join(err) if self.stderr is not None else None)

    @coroutine
    def _communicate(self, input):
        """``communicate``, putting what it reads into ``_output`` as it
        comes (so that a caller sees what came before a timeout, and the
        next call all of it).  Returns the exit status."""
        if self._output is None:
            self._output = out, err = [], []
            self._unwritten = _byte_view(input) if input else None
        else:
            out, err = self._output
        helpers = []
        try:
            if self.stdin is not None:
                helpers.append((yield spawn(self._feed(),
                                            name="stdin of pid %d" % self.pid)))
            if self.stderr is not None:
                helpers.append((yield spawn(_drain(self.stderr, err),
                                            name="stderr of pid %d" % self.pid)))
            if self.stdout is not None:
                yield _drain(self.stdout, out)
            for task in helpers:
                try:
                    yield join(task)
                except TaskError as error:
                    raise error.__cause__   # the pipe's own error, not a wrapper
        except GeneratorExit:
            raise               # closed at shutdown: no more yielding (nor helpers)
        except BaseException:
            # (Cancellation deferred: an expired timeout would come again at
            # the first of these waits, and the other helpers run on.)
            with disable_cancellation():
                for task in helpers:
                    yield cancel(task)      # (a finished one: nothing to do)
                    task.exception          # (seen: one error is raised, not each logged)
            raise
        return (yield self.wait())

    @coroutine
    def _feed(self):
        """Write what is left of communicate's input into the child's stdin,
        then close it.  Cancelled midway, stdin stays open and ``_unwritten``
        keeps the rest, for the next communicate."""
        stream, data = self.stdin, self._unwritten
        done = 0
        if data:
            try:
                # A piece at a time: a pipe takes about this much per write
                # anyway, and on PyPy every write of a cast memoryview copies
                # all of it -- the whole input at each write was quadratic.
                while done < len(data):
                    yield stream.write(data[done:done + FEED_CHUNK])
                    done += FEED_CHUNK
            except BrokenPipeError:
                pass        # the child stopped reading, or exited: its business
            except BaseException as exc:
                self._unwritten = data[done + getattr(exc, "bytes_written", 0):]
                raise
        self._unwritten = None
        stream.close()

    # --------------------------------------------------------- signals

    def send_signal(self, signum: int) -> None:
        """Send signal ``signum`` to the child (nothing if it has been reaped)."""
        self._popen.send_signal(signum)

    def terminate(self) -> None:
        """Ask the child to stop: SIGTERM."""
        self._popen.terminate()

    def kill(self) -> None:
        """Stop the child: SIGKILL.  ``yield process.wait()`` then reaps it."""
        self._popen.kill()

    # ------------------------------------------------------- ownership

    def _close_pipes(self):
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()

    # The owner's way out: kill first (closing stdin first could let the
    # child exit by itself, or not -- a race), then close the pipes, then reap.

    def _kill_now(self):
        """Kill a child still running and reap it, blocking: for where no
        ``yield`` is possible.  A child sent SIGKILL is gone in microseconds
        (a child stuck in the kernel -- a dead NFS mount -- is the rare
        exception)."""
        popen = self._popen
        if popen.poll() is None:
            popen.kill()
        self._close_pipes()
        popen.wait()

    @coroutine
    def _kill_and_reap(self):
        """Kill a child still running and reap it, without blocking the loop
        -- unless this wait is itself interrupted, then as ``_kill_now``."""
        popen = self._popen
        if popen.poll() is None:
            popen.kill()
        self._close_pipes()
        try:
            yield self.wait()
        except BaseException:
            popen.wait()
            raise

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._kill_now()

    async def __aenter__(self) -> "Process":
        return self

    async def __aexit__(self, kind: Any, exc: Any, traceback: Any) -> None:
        if kind is GeneratorExit:       # closed at shutdown: no more awaiting
            self._kill_now()
        else:
            await self._kill_and_reap()


# ============================================================ run_process

_UNSET = object()


@coroutine
def run_process(args: Any, input: Optional[bytes] = None, capture: bool = True,
                timeout: Optional[float] = None, check: bool = False, *, stdin: Any = _UNSET,
                stdout: Any = _UNSET, stderr: Any = _UNSET,
                **popen_kwargs: Any) -> Generator[Any, Any, Any]:
    """``code, out, err = yield run_process(args, input=None, capture=True,
    timeout=None, check=False, *, stdin=, stdout=, stderr=, **popen_kwargs)``

    Run ``args`` to the end and return a ``ProcessResult``: the named
    tuple ``(returncode, stdout, stderr)``.  ``input`` (bytes) is written to
    the child's stdin, which is then closed; without it the child shares
    our stdin.  ``capture=True`` collects stdout and stderr as bytes;
    ``capture=False`` lets them through to ours (and they are ``None``).
    ``stdin``, ``stdout``, ``stderr`` given explicitly win
    (``stderr=STDOUT`` merges the two; ``stdout=DEVNULL`` drops it); other
    keywords (``cwd``, ``env`` ...) go to ``Process``.

    Raises ``TimeoutExpired`` -- a ``TaskTimeout`` and a
    ``subprocess.TimeoutExpired`` -- if the child runs longer than
    ``timeout`` seconds; with ``check=True``, ``subprocess.CalledProcessError``
    if it exits with a status other than 0.  Either carries the output so
    far.  However it ends -- timeout, error, cancellation -- the child is
    killed if still running, and reaped.  It begins with a checkpoint, as
    trio's: a task already cancelled or past its deadline starts no child.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("run_process(): timeout must be a number of seconds or None, "
                            "got %s" % _describe(timeout))
        if not timeout >= 0:            # (NaN too)
            raise ValueError("run_process(): timeout must be >= 0, got %r" % (timeout,))
    if input is not None:
        if stdin is not _UNSET and stdin is not PIPE:
            raise ValueError("run_process(): input= and stdin=%r both say what the child "
                             "reads; give one" % (stdin,))
        stdin = PIPE
    elif stdin is _UNSET:
        stdin = None
    if stdout is _UNSET:
        stdout = PIPE if capture else None
    if stderr is _UNSET:
        stderr = PIPE if capture else None
    if stdin is PIPE:
        _check_input(input, True)
    # A checkpoint first: a task past its deadline or cancelled already gets
    # that here, before a child starts -- and does what it does -- only to be
    # killed at the first wait.
    yield sleep(0)
    process = Process(args, stdin=stdin, stdout=stdout, stderr=stderr, **popen_kwargs)
    try:
        work = process._communicate(input)
        if timeout is None:
            returncode = yield work
        else:
            returncode = yield timeout_after(timeout, work)
    except TaskTimeout as exc:
        yield process._kill_and_reap()
        raise TimeoutExpired(process.args, cast(float, timeout),
                             *process._outputs()) from exc
    except GeneratorExit:               # closed at shutdown: no more yielding
        process._kill_now()
        raise
    except BaseException:
        yield process._kill_and_reap()
        raise
    finally:
        process._close_pipes()
    stdout, stderr = process._outputs()
    if check and returncode:
        raise CalledProcessError(returncode, process.args, stdout, stderr)
    return ProcessResult(returncode, stdout, stderr)


def _check_args(args, executable):
    """``args`` as Popen wants it, or an error that names the argument that
    is wrong (Popen's own name neither it nor its place: "expected str,
    bytes or os.PathLike object, not int", "list index out of range").
    An iterator is made a list (as Popen would): ``Process.args`` and the
    errors of ``run_process`` show that list, not a spent iterator."""
    one = isinstance(args, (str, bytes, os.PathLike))
    if one:
        items = [args]
    else:
        try:
            items = args if isinstance(args, (list, tuple)) else list(args)
        except TypeError:
            raise TypeError("Process(args): args must be a list of str, bytes or os.PathLike "
                            "(or one str: a program, or a command line with shell=True), "
                            "got %s" % _describe(args)) from None
        if not items and executable is None:
            raise ValueError("Process(args): args is empty: there is no program to run")
        args = items
    for index, item in enumerate(items):
        where = "args" if one else "args[%d]" % index
        if not isinstance(item, (str, bytes, os.PathLike)):
            raise TypeError("Process(args): %s is %s; each argument must be str, bytes or "
                            "os.PathLike" % (where, _describe(item)))
        text = os.fspath(item)
        if (b"\0" if isinstance(text, bytes) else "\0") in text:
            raise ValueError("Process(args): %s holds a NUL character, which no program "
                             "argument can: %r" % (where, item))
    return args


def _check_stdio(name, stream):
    """Popen's error for a stdin, stdout or stderr of the wrong kind names
    neither ("'str' object has no attribute 'fileno'"), nor does its error
    for a file that is closed ("I/O operation on closed file") or has no
    descriptor (an ``io.BytesIO``: "fileno")."""
    if stream is None or isinstance(stream, PipeStream):
        return
    if hasattr(stream, "fileno"):
        try:
            stream.fileno()
        except (OSError, ValueError) as error:  # (io.UnsupportedOperation is both)
            raise type(error)("Process(%s=...): %s has no descriptor to give the child (%s)"
                              % (name, _describe(stream), error)) from None
        return
    if isinstance(stream, int) and not isinstance(stream, bool):
        if stream >= 0 or stream in (PIPE, DEVNULL) or (stream == STDOUT and name == "stderr"):
            return
        raise ValueError("Process(%s=%d): not a descriptor, nor PIPE or DEVNULL%s" % (
            name, stream, " (STDOUT is for stderr)" if stream == STDOUT else ""))
    raise TypeError("Process(%s=...) must be PIPE, DEVNULL, a file or a descriptor, or None, "
                    "got %s" % (name, _describe(stream)))


def _name_a_closed_stdio(error, stdio):
    """Popen's EBADF for a ``stdin``, ``stdout`` or ``stderr`` descriptor
    that is not open names neither it nor the argument: raise one that
    does.  ``stdio``: (name, what was given) pairs."""
    if error.errno != errno.EBADF:
        return
    for name, stream in stdio:
        if isinstance(stream, int) and not isinstance(stream, bool) and stream >= 0:
            try:
                os.fstat(stream)
            except OSError:
                raise OSError(errno.EBADF, "Process(%s=%d): descriptor %d is not open"
                              % (name, stream, stream)) from None


def _name_a_closed_fd(error, pass_fds):
    """Popen's EBADF for a ``pass_fds`` descriptor that is not open names
    none: raise one that does."""
    if error.errno != errno.EBADF or not pass_fds:
        return
    for fd in pass_fds:
        try:
            os.fstat(fd)
        except (OSError, TypeError, ValueError):
            raise OSError(errno.EBADF, "Process(pass_fds=...): descriptor %r is not open"
                          % (fd,)) from None


def _check_env(env):
    """Popen's errors for a bad ``env`` name neither it nor the entry."""
    if env is None:
        return
    if not hasattr(env, "items"):
        raise TypeError("Process(env=...) must be a mapping of names to values, got %s"
                        % _describe(env))
    for name, value in env.items():
        for what, item in (("a name", name), ("the value of %r" % (name,), value)):
            if not isinstance(item, (str, bytes, os.PathLike)):
                raise TypeError("Process(env=...): %s is %s; names and values are str or "
                                "bytes" % (what, _describe(item)))
            # (Popen's "embedded null byte", "illegal environment variable
            # name" name neither the entry nor env)
            text = os.fspath(item)
            if (b"\0" if isinstance(text, bytes) else "\0") in text:
                raise ValueError("Process(env=...): %s holds a NUL character, which no "
                                 "environment entry can: %r" % (what, item))
        text = os.fspath(name)
        if (b"=" if isinstance(text, bytes) else "=") in text:
            raise ValueError("Process(env=...): the name %r holds '=', which ends a "
                             "name in the environment" % (name,))


def _check_cwd(cwd):
    """Popen's errors for a bad ``cwd`` do not name it ("expected str, bytes
    or os.PathLike object, not int", "embedded null byte")."""
    if cwd is None:
        return
    if not isinstance(cwd, (str, bytes, os.PathLike)):
        raise TypeError("Process(cwd=...) must be a path (str, bytes or os.PathLike), got %s"
                        % _describe(cwd))
    path = os.fspath(cwd)
    if (b"\0" if isinstance(path, bytes) else "\0") in path:
        raise ValueError("Process(cwd=...) holds a NUL character, which no path can: %r"
                         % (cwd,))


def _check_hand_over(stream):
    """A PipeStream that cannot go to a child: refused before anything changes."""
    if stream.closed:
        raise ValueError("%r is closed: it cannot be handed to a child (one handed over "
                         "is closed here, as a shell closes its copy)" % (stream,))
    if stream._buffer:
        raise ValueError("%r holds %d bytes already read from it, which the child would "
                         "never see; hand it over before reading" % (stream, len(stream._buffer)))


def _hand_over(stream):
    """What Popen gets for a stdin, stdout or stderr that may be a PipeStream
    of another child: its pipe, blocking again -- O_NONBLOCK belongs to the
    pipe, which the child shares, and a child reading a non-blocking stdin
    gets EAGAIN and gives up."""
    if not isinstance(stream, PipeStream):
        return stream
    os.set_blocking(stream.pipe.fileno(), True)
    return stream.pipe


def _take_back(streams):
    """Popen failed: the PipeStreams ``_hand_over`` made blocking for the
    child that never started are ours again, non-blocking (a blocking read
    would stall the loop)."""
    for stream in streams:
        os.set_blocking(stream.pipe.fileno(), False)


def _check_input(input, stdin):
    if input is None:
        return None
    if stdin is None:
        raise ValueError("communicate(input=...) needs a pipe to write it to: "
                         "start the Process with stdin=PIPE")
    if not isinstance(input, (bytes, bytearray, memoryview)):
        raise TypeError("input must be bytes, bytearray or memoryview, got %s%s" % (
            _describe(input), "; encode it first" if isinstance(input, str) else ""))
    return input


# ================================================================ helpers

def _byte_view(input):
    """``input`` as a memoryview of bytes, cast only if it must be (items
    wider than a byte, more than one dimension): on PyPy a cast view is
    slow to write -- each write copies all of it, a byte at a time."""
    view = memoryview(input)
    if view.itemsize != 1 or view.ndim != 1:
        view = view.cast("B")
    return view


@coroutine
def _drain(stream, chunks):
    """Read ``stream`` to its end into the list ``chunks``, then close it.
    One closed already has nothing more to give: read to its end by an
    earlier communicate, or closed by the caller, who wanted no more of it
    (subprocess's communicate skips it too)."""
    if stream.closed:
        return
    while True:
        data = yield stream.read(CHUNK)
        if not data:
            break
        chunks.append(data)
    stream._eof = True
    stream.close()


class _PidFD:
    """A pidfd as the traps want it: an object with ``fileno()``, -1 once
    closed.  (Not the bare int: the kernel tells a reused descriptor number
    from the old one by the object the traps name.)"""

    __slots__ = ("fd",)

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def close(self):
        os.close(self.fd)
        self.fd = -1


def _open_pidfd(pid):
    """A pidfd for ``pid`` -- readable once the child has exited -- or None
    where there are none: Python before 3.9, Linux before 5.3, a sandbox
    that forbids the call, or ``USE_PIDFD`` False."""
    if not USE_PIDFD or not hasattr(os, "pidfd_open"):
        return None
    try:
        return _PidFD(os.pidfd_open(pid))
    except OSError:     # pragma: no cover - ENOSYS, EPERM: an old or sandboxed kernel
        return None


@coroutine
def _poll_until_exit(popen):
    """``wait()`` without a pidfd: ask, sleep, ask again -- 1 ms at first,
    twice as long each time, at most 50 ms (a child that exits at once is
    seen at once; one that runs long costs 20 wake-ups a second)."""
    delay = POLL_FIRST
    while popen.poll() is None:
        yield sleep(delay)
        delay = min(delay * 2, POLL_LONGEST)
    return popen.returncode
