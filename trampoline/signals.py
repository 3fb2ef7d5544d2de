"""Unix signals as something a task waits for.

``SignalSet(SIGHUP, SIGUSR1)`` takes those signals over while its ``with``
block runs; a task gets each one, in order, from ``yield signals.wait()``
(up to ``MAX_UNREAD`` unread; past that, one already queued is not queued
again: trio keeps one of each, and the system merges a signal that comes
again before it is handled)::

    with SignalSet(signal.SIGHUP) as signals:
        while True:
            signo = yield signals.wait()
            reload_configuration()

``signal_wait(*signums)`` is the one-shot form, and ``run(coro,
shutdown_signals=(SIGINT, SIGTERM))`` uses the same machinery for a graceful
shutdown (``_shutdown_on`` below).

The idea: Python runs signal handlers in the main thread between bytecodes,
where they must not touch the kernel.  So the handler installed here only
queues the signal's number on each set that names it and writes a byte to
a socket; a task waiting for a signal reads that socket with the ordinary
``read`` trap.  The kernel knows nothing of signals.  A signal that comes
while the kernel is blocked in its poller interrupts the system call
(EINTR): Python runs the handler there, retries the call, and the byte
makes it return at once.

The process's wake-up fd (``signal.set_wakeup_fd``, one per process) is
left to whoever has it -- an asyncio loop's ``add_signal_handler`` relies
on its own, so a kernel driven by asyncio must not take it.  If nobody has
one, the socket becomes it while a set is entered (and stops being it on
the way out, if it still is): the interpreter then writes the byte itself,
from the C-level handler, which also wakes the poller when the signal came
just before its system call began or went to another thread -- cases in
which the Python-level handler runs only after the call returns.

It never touches process-global state unless asked: handlers (and the
wake-up fd, if free) are installed when a ``SignalSet`` is entered and
restored when the last one is left.  Signals are a main-thread affair:
anywhere else this raises ``RuntimeError``.
"""

import errno
import os
import signal
import socket
import threading
from collections import deque
from contextlib import contextmanager
from typing import Any, Deque, Generator, List, Tuple

from .errors import TaskError
from .hostloop import running_kernel
from .kernel import WaitQueue
from .streams import _notify_closing
from .traps import cancel, join, park, read, spawn

__all__ = ["SignalSet", "signal_wait", "stop_signals"]


def stop_signals() -> Tuple[int, ...]:
    """The signals that tell a server to stop, for ``run(main(),
    shutdown_signals=stop_signals())``: SIGINT (Ctrl-C), SIGTERM (``kill``,
    systemd, ``docker stop``) and SIGHUP (its terminal went away) -- less
    SIGHUP if this process ignores it, as under ``nohup``, which asked for
    a hang-up to be survived.  ``run_server`` stops on these."""
    hangup = getattr(signal, "SIGHUP", None)
    stop = [signal.SIGINT, signal.SIGTERM]     # type: List[int]
    if hangup is not None and signal.getsignal(hangup) != signal.SIG_IGN:
        stop.append(hangup)
    return tuple(stop)


#: A SignalSet queues each signal, in order, up to this many unread; beyond
#: that, a signal already among them is not queued again (as the operating
#: system itself merges a signal that comes again before it is handled), so
#: a flood that nobody reads cannot grow the queue without end.
MAX_UNREAD = 1024


def _queue(signo, frame):
    """The Python-level handler of every signal a SignalSet takes (main
    thread, between bytecodes): queue it on each set that names it, and
    wake the task reading the hub's socket."""
    hub = _hub
    if hub is None:     # pragma: no cover - left in place by give_back, all sets gone
        return
    for each in hub.sets:
        if signo in each.signums and (len(each._pending) < MAX_UNREAD
                                      or signo not in each._pending):
            each._pending.append(signo)
    try:
        hub.send.send(bytes((signo,)))
    except OSError:
        # BlockingIOError: thousands of wake-ups already wait, and one is
        # enough (the numbers are queued above).
        pass


class _Hub:
    """The SignalSets entered, the handlers they replaced, and the socket
    that wakes a task waiting for a signal."""

    def __init__(self):
        self.recv, self.send = socket.socketpair()
        self.recv.setblocking(False)
        self.send.setblocking(False)
        self.sets = []              # the SignalSets entered and not yet left
        self.handlers = {}          # signum -> [handler before us, sets using it]
        self.reading = False        # a waiting task is reading self.recv
        self.waiters = WaitQueue()  # the other waiting tasks
        # The process's wake-up fd, if it is free (see the module's docstring).
        self.owns_wakeup_fd = self._try_wakeup_fd() in (-1, self.send.fileno())

    def _try_wakeup_fd(self):
        """Make our socket the process's wake-up fd, and return the one
        that was there: if that was someone else's (not -1, not ours), it is
        back in place, and any byte written to ours meanwhile has been passed
        on to it.  (Python can only tell by replacing it.)"""
        ours = self.send.fileno()
        # (A full buffer would mean thousands of unread signals: dropping
        # more bytes is the right thing, and not worth a warning.)
        with _signals_blocked():
            before = signal.set_wakeup_fd(ours, warn_on_full_buffer=False)
            if before in (-1, ours):
                return before
            signal.set_wakeup_fd(before)
        try:            # a signal caught in another thread while ours was in place
            os.write(before, self.recv.recv(4096))
        except OSError:                 # (none: BlockingIOError)
            pass
        return before

    def close(self):
        if self.owns_wakeup_fd:
            _drain(self.recv)
            if self._try_wakeup_fd() in (-1, self.send.fileno()):
                signal.set_wakeup_fd(-1)
            # else: someone took it since -- asyncio's add_signal_handler,
            # say; it stays theirs.
        _notify_closing(self.recv)      # a task still reading it: EBADF, now
        self.recv.close()
        self.send.close()

    def take(self, signums):
        """Handle ``signums`` -- all of them, or (an error: SIGKILL cannot
        be caught) none."""
        taken = []
        try:
            for signo in signums:
                entry = self.handlers.get(signo)
                if entry is None:
                    try:
                        if signo in _UNCATCHABLE:   # (PyPy sets a handler for them, never run)
                            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
                        before = signal.signal(signo, _queue)
                    except OSError as error:    # (EINVAL, and no word of which)
                        raise OSError(error.errno, "SignalSet: %s cannot be caught: %s" % (
                            _name(signo), error.strerror)) from None
                    self.handlers[signo] = [before, 1]
                else:
                    entry[1] += 1
                taken.append(signo)
        except BaseException:
            self.give_back(taken)
            raise

    def give_back(self, signums):
        """Stop handling ``signums`` for one set; return those whose handler
        before us is back in place (no other set takes them now)."""
        restored = set()
        for signo in signums:
            entry = self.handlers[signo]
            entry[1] -= 1
            if not entry[1]:
                del self.handlers[signo]
                if entry[0] is not None:    # None: not set from Python; ours stays,
                    signal.signal(signo, entry[0])  # doing nothing once we are gone
                    restored.add(signo)
        return restored

    def wait_for(self, signals):
        """Until ``signals`` has a signal pending.  One waiting task reads the
        socket (the bytes only wake it: the handler has queued the numbers
        already); the others park, and whenever the reader wakes or leaves
        (with its signal, or cancelled) they are woken too, to look at their
        own queue, and one of them reads next if need be.  If ``signals``
        is left meanwhile (by another task), ``RuntimeError``."""
        while not signals._pending:
            if not signals._entered:
                raise RuntimeError("%r was left while this task waited for a signal" % signals)
            if self.reading:
                yield park(self.waiters)
                continue
            self.reading = True
            try:
                yield read(self.recv, 4096)
            except OSError:
                if signals._entered:    # else: closed as the last set was left
                    raise
            finally:
                self.reading = False
                self.waiters.wake_all()


def _redeliver(signums):
    """Raise each of ``signums`` again, now that its handler before us is
    back: it gets the signals a set received but nobody read.  Each is
    raised even if a handler before it raises (KeyboardInterrupt): the last
    error propagates, the earlier ones its ``__context__``."""
    if signums:
        try:
            signal.raise_signal(signums[0])     # (its handler runs before it returns)
        finally:
            _redeliver(signums[1:])


def _drain(sock):
    try:
        while sock.recv(4096):
            pass
    except BlockingIOError:
        pass


@contextmanager
def _signals_blocked():
    """This thread receives no signal inside (they wait until the end)."""
    if not hasattr(signal, "pthread_sigmask"):      # pragma: no cover - not POSIX
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


_hub = None  # type: Any           # the _Hub, while any SignalSet is entered

#: The signals no handler ever sees.  CPython's ``signal.signal`` refuses
#: them (EINVAL); PyPy 3.9's takes them and the handler never runs, so a
#: ``SignalSet`` would wait forever: refused here, on every interpreter.
_UNCATCHABLE = frozenset(getattr(signal, name) for name in ("SIGKILL", "SIGSTOP")
                         if hasattr(signal, name))


def _signal(signo):
    """``signo`` as a ``signal.Signals``, or as an int for a real-time
    signal (which the enum does not name but ``signal.signal`` takes);
    ``ValueError`` for a number that is no signal here, ``TypeError`` for
    what is no number (a name: ``signal.SIGTERM``, not ``"SIGTERM"``)."""
    if not isinstance(signo, int):
        named = isinstance(signo, str) and signo in signal.Signals.__members__
        hint = " (signal.%s is)" % signo if named else ""
        raise TypeError("a signal is an int such as signal.SIGTERM, not %r%s" % (signo, hint))
    try:
        return signal.Signals(signo)
    except ValueError:
        if signo in signal.valid_signals():
            return int(signo)
        raise ValueError("%r is not a signal number on this system" % (signo,)) from None


def _name(signo):
    if isinstance(signo, signal.Signals):
        return signo.name
    return "SIGRTMIN+%d" % (signo - signal.SIGRTMIN)   # (only real-time ones have no name)


class SignalSet:
    """``with SignalSet(*signums) as signals: signo = yield signals.wait()``

    While the block runs, these signals no longer go to their handlers (or
    kill the process): each is queued here, and ``wait()`` returns the next
    one's number.  (A flood nobody reads: past ``MAX_UNREAD`` (1,024)
    unread, a signal already queued is not queued again.)  Leaving the block restores what was there before, and a
    signal still queued then (it came after the last ``wait()``) is not
    lost: it is raised again, once, for the handler now in place, as trio
    does.  Sets may nest or overlap; a signal goes to every set that names
    it (so one left unread while another set still takes the signal is not
    raised again: that set has its own).  A kernel closed while one of its
    tasks is in the block (dropped by a host loop) leaves the set then.
    """

    def __init__(self, *signums: int) -> None:
        if not signums:
            raise ValueError("SignalSet() needs at least one signal number")
        self.signums = frozenset(_signal(signo) for signo in signums)
        self._pending = deque()         # type: Deque[int]
        self._entered = False
        self._forget_close = None       # type: Any  # (see _kernel_closed)
        self._raise_unread = True       # (see _run_stopping_on)

    def __repr__(self) -> str:
        return "<SignalSet %s pending=%d>" % (
            " ".join(sorted(_name(signo) for signo in self.signums)), len(self._pending))

    def __enter__(self) -> "SignalSet":
        global _hub
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("SignalSet works only in the main thread (Python delivers "
                               "signals there); this is %s" % threading.current_thread().name)
        if self._entered:
            raise RuntimeError("%r is already entered" % self)
        if _hub is None:
            _hub = _Hub()
        # In the sets first: a signal caught as soon as our handler is in
        # place (before take returns) is queued here, not lost.
        _hub.sets.append(self)
        try:
            _hub.take(self.signums)
        except BaseException:
            _hub.sets.remove(self)
            if not _hub.sets:           # (nothing of ours is left in place)
                _hub.close()
                _hub = None
            raise
        self._entered = True
        kernel = running_kernel()
        if kernel is not None:
            self._forget_close = kernel.on_close(self._kernel_closed)
        return self

    def _kernel_closed(self):
        """The kernel whose task entered this set was closed while it was
        entered: the task was dropped, and its block will not be left until
        the GC closes its frame (PyPy: who knows when).  Leave it now, as
        asyncio's loop.close() removes its handlers.  (Only in the main
        thread: elsewhere signal.signal fails, and the frame's close will
        have to do.)"""
        if self._entered and threading.current_thread() is threading.main_thread():
            self.__exit__(None, None, None)

    def __exit__(self, *exc_info: Any) -> None:
        global _hub
        if not self._entered:       # (left when its kernel was closed: _kernel_closed)
            return
        self._entered = False
        if self._forget_close is not None:
            self._forget_close()
            self._forget_close = None
        # The handlers before us back first, then out of the sets: a signal
        # caught in between goes to one or the other (the other way round,
        # it was queued nowhere and raised again for nobody).
        restored = _hub.give_back(self.signums)
        _hub.sets.remove(self)
        unread = [signo for signo in dict.fromkeys(self._pending)
                  if signo in restored and self._raise_unread]
        self._pending.clear()
        if not _hub.sets:
            _hub.close()
            _hub = None
        else:       # wake a task waiting on this set (see wait_for): the reader
            try:    # wakes, then the others
                _hub.send.send(b"\0")
            except OSError:             # (full: the reader has bytes to wake it)
                pass
        _redeliver(unread)

    def wait(self) -> Generator[Any, Any, int]:
        """``signo = yield signals.wait()``: the next signal received (an
        ``int``), waiting for it if none is queued yet.  ``RuntimeError``
        outside the ``with`` block, and if another task leaves the block
        while this one waits."""
        if not self._entered:
            raise RuntimeError("wait() on %r outside its 'with' block" % self)
        if not self._pending:
            yield from _hub.wait_for(self)
        return self._pending.popleft()


def signal_wait(*signums: int) -> Generator[Any, Any, int]:
    """``signo = yield signal_wait(*signums)``: wait for one of these
    signals and return its number (main thread only)."""
    with SignalSet(*signums) as signals:
        return (yield signals.wait())


# ----------------------------------------------------- graceful shutdown

# Signals whose default action ignores or stops the process: the second
# shutdown signal, re-sent with the default action (see _watch), would
# not end it.
_NOT_FATAL = frozenset(getattr(signal, name) for name in (
    "SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH", "SIGTSTP", "SIGTTIN", "SIGTTOU")
    if hasattr(signal, name))


def _shutdown_on(signums, coro):
    """What ``run(coro, shutdown_signals=signums)`` runs: ``coro`` as a task
    of its own, beside a watcher.  The first of these signals cancels it --
    servers stop accepting, connection tasks run their cleanup -- and if it
    ends because of that, ``run`` returns None.  A second signal, while the
    cleanup is still running, kills the process with it.

    The two tasks around the user's are trampoline's own, and named so
    ("trampoline: ..."; the monitor's ``ps`` leaves them out); the user's
    task keeps its function's name, as the main task of any run."""
    names = ", ".join(_name(_signal(signo)) for signo in signums)
    for signo in signums:
        if signo in _NOT_FATAL:
            raise ValueError("%s cannot be a shutdown signal: by default it does not end a "
                             "process, so a second one could not stop the program if its "
                             "cleanup hangs (SIGTERM, SIGINT and SIGHUP can)"
                             % _name(_signal(signo)))
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("run(..., shutdown_signals=(%s)) works only in the main thread "
                           "(Python delivers signals there); this is %s"
                           % (names, threading.current_thread().name))
    outer = _run_stopping_on(signums, names, coro)
    outer.__qualname__ = "trampoline: run, stopping on %s" % names     # the task's name
    return outer


def _run_stopping_on(signums, names, coro):
    received = []
    with SignalSet(*signums) as signals:
        # A stop signal that comes as the run ends, unread, asked for what
        # is happening: it is not raised again on leaving (that would be a
        # KeyboardInterrupt, or death by SIGTERM, after a clean stop -- a
        # worker told to stop by its supervisor and by the terminal at once).
        signals._raise_unread = False
        main = yield spawn(coro)
        watcher = yield spawn(_watch(signals, main, received),
                              name="trampoline: waiting for %s" % names)
        try:
            yield join(main)
        except TaskError:
            pass                        # its own error is raised below
        finally:
            yield cancel(watcher)
    if received and main.cancelled:
        return None
    if main.exception is not None:
        raise main.exception            # as if it had been the main task
    return main.result


def _watch(signals, main, received):
    signo = yield signals.wait()
    received.append(signo)
    yield cancel(main, wait=False)
    signo = yield signals.wait()
    # Cleanup is taking too long for whoever sent this: go, now.
    signal.signal(signo, signal.SIG_DFL)
    os.kill(os.getpid(), signo)
