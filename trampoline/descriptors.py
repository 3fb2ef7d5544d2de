"""Descriptor waiting: the kernel's I/O layer.

The run loop (``kernel.py``) knows tasks, traps and cancellation, and
``timers.py`` the timers; this module knows file descriptors.  It keeps one
``_Registration`` per descriptor the poller watches -- who waits to read it,
who waits to write it -- performs the descriptor traps (``read``, ``write``, ``accept``,
``connect``, ``read_wait``, ``write_wait``, ``recvfrom``, ``sendto``), wakes
their waiters when the poller reports them ready, and sweeps for
descriptors closed under a waiting task.  (trio keeps its epoll layer apart
from its run loop in the same way.)

It is a mixin of ``Kernel``: its handlers sit in the kernel's one trap table
as bound methods, so the split costs nothing on the hot path.  What it uses
of the kernel, and nothing more: ``_fds`` (descriptor -> registration),
``_poller``, ``_ready``, ``_unpark`` (to fail a waiter), ``_fast_paths``,
the instruments' I/O hooks, the clock (``_clock``, ``_jump_to``, ``_quiet_until``), ``_wake_fd``
and ``_run_calls`` (another thread's wake-up byte).

The rules it keeps:

* ``read`` and ``recvfrom`` *wait first*: the data is usually not there
  yet, and a failed ``recv`` costs an exception.  ``write``, ``sendto``,
  ``accept`` and ``connect`` *try first*.  A trap that had to park is
  dispatched again when its descriptor is ready; its ``waited`` flag tells
  the handler which time this is.  Except the commonest: a socket's
  ``read`` is done right as the poller reports it ready, and the reader
  queued with the bytes (``_wake_io_waiters``).  A reader cancelled before
  it runs gives them back: they wait in the registration's ``pushback``
  for the next ``read``, and make the descriptor count as readable.
* A descriptor stays registered across the waits of a task (a system call
  saved per wait) until its owner ends, it is found closed, it turns up
  ready with nobody waiting, or a sweep finds nobody waiting on it.
* One reader and one writer per descriptor at a time (``ResourceBusy``).

This module must never import the kernel (the kernel imports it), block,
or know anything above the traps.
"""

import errno
import os
import select
import _socket
import socket
import time
from typing import Any, Dict

from .errors import ResourceBusy
from .net import Socket, format_address
from .traps import PARKED, read, write

__all__ = ["PIPE_CHUNK", "SWEEP_INTERVAL"]  # (DescriptorWaiting: documented as Kernel's)

#: The longest a write to a *blocking* pipe may be, so that it cannot block:
#: once a pipe is writable there is room for at least this much.
PIPE_CHUNK = getattr(select, "PIPE_BUF", 512)

#: How often the kernel looks for descriptors closed under a waiting task
#: (see DescriptorWaiting._sweep_closed); while descriptors are registered,
#: the poller wakes at least this often.
SWEEP_INTERVAL = 1.0


# A socket's family and type as plain ints.  (socket.socket's properties
# make an enum member of each, at ~0.5 microseconds a time: several per
# connection.)
_family_of = _socket.socket.family.__get__
_type_of = _socket.socket.type.__get__


def _plain(fileobj):
    """``fileobj`` if it is a plain stream socket, else None.  A plain one's
    reads may be completed as it turns up ready, and its bytes a cancelled
    reader gives back -- not a datagram socket's (that would merge
    datagrams and lose their senders).  (The socket itself, not True: the
    fast paths' ``reg.plain is trap.fileobj`` is one test for both.)"""
    if type(fileobj) is socket.socket and _type_of(fileobj) == socket.SOCK_STREAM:
        return fileobj
    return None


class _Registration:
    """One descriptor known to the poller: who waits on it, for what."""

    __slots__ = ("fileobj", "reader", "writer", "events", "owner", "writing", "full",
                 "plain", "pushback", "table")

    def __init__(self, fileobj, owner, table):
        self.fileobj = fileobj      # the object the traps name (identity tells reuse)
        self.reader = None          # the task parked until it is readable
        self.writer = None          # the task parked until it is writable
        self.events = 0             # the poller's event mask registered now
        self.owner = owner          # the task that registered it (cleans up)
        self.writing = None         # the write trap last parked on it
        self.full = False           # the last read filled its buffer: try the next
        self.plain = _plain(fileobj)    # fileobj, if the fast paths may take it
        self.pushback = b""         # bytes read for a reader cancelled before it ran
        self.table = table          # the kernel's registrations, fd -> this

    # A reader whose read was completed as its descriptor turned up ready
    # (see _wake_io_waiters) has its bytes in hand before it runs.  If it is
    # cancelled then, the kernel gives them back here (as a WaitQueue passes
    # on what it handed out: Kernel._interrupt), and the next read takes them
    # first.
    keep = False

    def _pass_on(self, data):
        fd = self.fileobj.fileno()
        if fd < 0 or not data:      # closed since: nobody can read them (or the end
            return                  # of the stream: the next recv says it again)
        self.pushback += data
        if self.table.get(fd) is not self:  # dropped meanwhile (its owner ended, a
            self.events = 0                 # hang-up...): back in the table, out of
            self.owner = None               # the poller, until someone reads
            other = self.table.setdefault(fd, self)
            if other is not self:           # pragma: no cover - the same socket renamed
                other.pushback += self.pushback     # (by its fd) while these were in flight

    def _take_pushback(self, nbytes):
        data = self.pushback
        self.pushback = data[nbytes:]
        return data[:nbytes]


class DescriptorWaiting:
    """The descriptor part of ``Kernel`` (see the module docstring)."""

    #: The registrations nobody waited on at the last sweep: descriptor ->
    #: id() of its registration (replaced, never changed in place; see
    #: _sweep_closed).
    _idle_fds = {}              # type: Dict[int, int]

    def _wait_readable(self, task, trap):
        """Park ``task`` until ``trap.fd`` is readable.  Returns PARKED, or
        None if the descriptor cannot be polled (a regular file: always
        ready)."""
        fd = trap.fd
        reg = self._fds.get(fd)
        if reg is None or reg.fileobj is not trap.fileobj or type(reg.fileobj) is int:
            # (A bare int cannot tell us that it was closed and its number
            # reused -- epoll forgets closed descriptors silently -- so its
            # registration is renewed on every wait.)
            reg = self._register(task, trap.fileobj, fd, self._poller.READ)
            if reg is None:
                return None
        elif reg.full and type(trap) is read:
            reg.full = False            # the last read filled its buffer: try now
            return None
        if reg.pushback:                # bytes are waiting here already
            return None
        if reg.reader is not None:
            raise ResourceBusy(
                "%r: %r cannot wait to read fd %d, %r is already waiting to read it; "
                "only one task may read a descriptor at a time" % (trap, task, fd, reg.reader))
        if not reg.events & self._poller.READ:
            self._watch(fd, reg, reg.events | self._poller.READ)
        reg.reader = task
        task._waiting = trap
        return PARKED

    def _wait_writable(self, task, trap):
        """Park ``task`` until ``trap.fd`` is writable (see _wait_readable)."""
        fd = trap.fd
        reg = self._fds.get(fd)
        if reg is None or reg.fileobj is not trap.fileobj or type(reg.fileobj) is int:
            reg = self._register(task, trap.fileobj, fd, self._poller.WRITE)
            if reg is None:
                return None
        if reg.writer is not None:
            raise ResourceBusy(
                "%r: %r cannot wait to write fd %d, %r is already waiting to write it; "
                "only one task may write a descriptor at a time" % (trap, task, fd, reg.writer))
        if not reg.events & self._poller.WRITE:
            self._watch(fd, reg, reg.events | self._poller.WRITE)
        reg.writer = task
        task._waiting = trap
        return PARKED

    def _register(self, task, fileobj, fd, events):
        """The slow path: ``fd`` is new to the poller, or now stands for a
        different object (the old one was closed and its number reused)."""
        old = self._fds.get(fd)
        pushback = b""
        if old is not None:
            if old.reader is not None or old.writer is not None:
                if _is_closed(old.fileobj):
                    self._fail_waiters(fd, old)
                else:                   # the same descriptor under another name
                    old.fileobj = fileobj
                    old.plain = _plain(fileobj)
                    return old
            else:
                if not _is_closed(old.fileobj):     # the same descriptor under another
                    pushback = old.pushback         # name: its bytes go on waiting
                old.pushback = b""
                self._release(fd, old)
        if isinstance(fileobj, socket.socket) and fileobj.gettimeout() != 0.0:
            fileobj.setblocking(False)  # a blocking socket would stall every task
        try:
            self._poller.register(fd, events)
        except PermissionError:         # epoll refuses regular files: always ready
            return None
        except OSError as error:        # (epoll: a bare number never open, or closed)
            if error.errno != errno.EBADF:
                raise                   # pragma: no cover - ENOMEM, ENOSPC (max_user_watches)
            raise OSError(errno.EBADF, "fd %d is closed: the kernel cannot wait on it"
                          % fd) from None
        reg = _Registration(fileobj, task, self._fds)
        reg.events = events
        reg.pushback = pushback
        self._fds[fd] = reg
        _own(task, fd)
        return reg

    def _release_all(self, task):
        """``task`` has ended: release the descriptors it registered."""
        fds, task._fds = task._fds, None
        for fd in (fds,) if type(fds) is int else fds:
            reg = self._fds.get(fd)
            if reg is not None and reg.owner is task:
                self._release(fd, reg)

    def _release(self, fd, reg):
        """Forget ``fd`` unless a task still waits on it (then it owns it)."""
        _disown(reg.owner, fd)
        waiter = reg.reader or reg.writer
        if waiter is not None:
            reg.owner = waiter
            _own(waiter, fd)
            return
        if reg.pushback and not _is_closed(reg.fileobj):
            reg.owner = None            # its bytes wait for the next reader (the sweep
            return                      # forgets it once it is closed)
        del self._fds[fd]
        self._poller.unregister(fd)

    def _drop_idle(self, fd, reg):
        """Stop polling ``fd`` for events nobody waits on any more."""
        events = 0
        if reg.reader is not None:
            events |= self._poller.READ
        if reg.writer is not None:
            events |= self._poller.WRITE
        if events == reg.events:        # pragma: no cover - needs HUP/ERR on a one-way registration
            return
        if events or reg.pushback:      # (bytes given back wait in the registration,
            self._watch(fd, reg, events)    # out of the poller if nobody waits)
        else:
            del self._fds[fd]
            self._poller.unregister(fd)

    def _watch(self, fd, reg, events):
        """Have the poller watch ``fd`` for ``events`` (0: not at all)."""
        if not events:
            self._poller.unregister(fd)
        elif reg.events:
            self._poller.modify(fd, events)
        else:
            self._poller.register(fd, events)
        reg.events = events

    def notify_closing(self, fileobj):
        """``fileobj`` (a socket, file or descriptor number) is about to be
        closed: a task waiting to read or write it gets ``OSError(EBADF)``
        now -- not at the next sweep, up to a second later -- and the
        poller forgets it.  Call it from the kernel's own thread (a task),
        right before closing: ``Stream.close()`` does.  A descriptor the
        kernel does not know, or one closed already, is ignored.  (trio's
        ``notify_closing``.)"""
        try:
            fd = fileobj if type(fileobj) is int else fileobj.fileno()
        except (OSError, ValueError):
            return                      # closed already: the sweep sees to it
        reg = self._fds.get(fd)
        if reg is not None:
            self._fail_waiters(fd, reg)

    def holds_input(self, fileobj):
        """Does the kernel hold bytes of ``fileobj`` (a socket, file or
        descriptor number) that no read has taken yet -- those a ``read``
        received for a task that has not run since, or that was cancelled
        (or timed out) before it ran?  That task's read, or the next one,
        returns them; the descriptor itself no longer shows them.  For code
        that looks at the descriptor without a trap: ``Stream.at_eof`` must
        not take the end its socket shows for the end of the stream while
        these wait.  False for a descriptor the kernel does not know, or a
        closed one.  (It looks through the ready tasks: ask it seldom.)"""
        try:
            fd = fileobj if type(fileobj) is int else fileobj.fileno()
        except (OSError, ValueError):
            return False
        reg = self._fds.get(fd)
        return reg is not None and (bool(reg.pushback) or any(
            task._woken is reg and task._value for task in self._ready))

    def writes(self, fileobj):
        """Is a task's ``write`` of ``fileobj`` (a socket, file or descriptor
        number) under way -- parked until there is room, or woken and not
        yet run?  For code that acts on the descriptor outside the traps:
        ``Stream.write_eof`` must not shut a socket down under a write that
        has sent part of its data.  False for a descriptor the kernel does
        not know, or a closed one."""
        try:
            fd = fileobj if type(fileobj) is int else fileobj.fileno()
        except (OSError, ValueError):
            return False
        reg = self._fds.get(fd)
        return reg is not None and reg.writing is not None and reg.writing.waited

    def _fail_waiters(self, fd, reg):
        """``fd`` was closed (or is closing) under its waiters: wake them
        with an error, and forget it.  The error finishes their trap, as a
        trap's own error would: it is not a cancellation, so it comes even
        while a task defers those."""
        for waiter in (reg.reader, reg.writer):
            if waiter is not None:
                exc = OSError(errno.EBADF, "fd %d was closed while %r waited on it" % (fd, waiter))
                self._unpark(waiter, exc)
                waiter._waiting = None
                waiter._exc = exc
                self._ready.append(waiter)
        reg.reader = reg.writer = None
        reg.pushback = b""
        self._quiet_until = None        # (tasks woken: a virtual clock's wait starts again)
        _disown(reg.owner, fd)
        del self._fds[fd]
        self._poller.unregister(fd)

    def _sweep_closed(self):
        """Fail the waiters of descriptors closed under them; forget closed
        descriptors nobody waits on.

        Closing a socket removes it from epoll without a word, so a task
        parked on it would wait forever.  Once a second (``SWEEP_INTERVAL``)
        the kernel looks for waiters whose descriptor is closed and throws
        ``OSError(EBADF)`` into them.  (select() and poll() report a closed
        descriptor themselves; this catches it on every backend.)  A closed
        descriptor with no waiter is simply forgotten: a long-lived task
        that opens and closes sockets would otherwise keep every one's
        registration until it ends.

        An open descriptor that nobody waited on at this sweep and the one
        before (no write under way, no bytes read for a task or given back)
        is forgotten too: its registration holds the socket, which a
        program that dropped it unclosed expects to be freed -- closed, its
        peer told -- as trio's is.  (That costs a descriptor used again one
        more system call, at most once a sweep.)
        """
        # (Idle at one look only, it may have a waiter just woken, its trap
        # to finish.  The last look's are kept by id(), not the registration
        # itself, which holds the socket; a new registration that gets an
        # old one's id is forgotten a sweep early: a system call, no harm.)
        closed, idle, idle_before, self._idle_fds = [], [], self._idle_fds, {}
        busy = set(task._woken for task in self._ready)     # (bytes read for a task)
        for fd, reg in self._fds.items():
            if _is_closed(reg.fileobj):
                closed.append((fd, reg))
            elif reg.reader is None and reg.writer is None and reg.writing is None \
                    and not reg.pushback and reg not in busy:
                if idle_before.get(fd) == id(reg):
                    idle.append((fd, reg))
                else:
                    self._idle_fds[fd] = id(reg)
        for fd, reg in closed:
            self._fail_waiters(fd, reg)
        for fd, reg in idle:
            _disown(reg.owner, fd)
            del self._fds[fd]
            if reg.events:              # (0: a pushback's, taken since, never polled)
                self._poller.unregister(fd)

    def _poll_failed(self, error):
        """The poller failed.  With select() that means a registered
        descriptor was closed: find it and fail its waiters."""
        if error.errno != errno.EBADF:
            raise error
        for fd, reg in list(self._fds.items()):
            try:
                os.fstat(fd)
            except OSError:
                self._fail_waiters(fd, reg)

    def _wait_for_io(self, timeout):
        """Wait up to ``timeout`` seconds for I/O, then make the waiters of
        the descriptors that are ready ready (the loop's step 2); once every
        SWEEP_INTERVAL, sweep for closed descriptors.  Returns whether it swept."""
        for hook in self._on_io_wait:
            hook(timeout)
        try:
            events = self._poller.poll(timeout)
        except OSError as error:
            self._poll_failed(error)
            return False
        if self._jump_to is not None:       # virtual time, waited for I/O
            if events:
                self._quiet_until = None    # something happened: time stands still again
            elif time.monotonic() >= self._quiet_until:
                self._clock.jump(self._jump_to)     # nothing, for the whole threshold
                self._quiet_until = None
            self._jump_to = None
        if events:
            for hook in self._on_io_ready:
                hook(events)
            self._wake_io_waiters(events)
        now = time.monotonic()          # (real time: a virtual clock may stand still)
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL
            self._sweep_closed()
            return True                 # (see Kernel._poll)
        return False

    def _wake_io_waiters(self, events):
        """The poller says these descriptors are ready: make their waiters
        ready, to finish the trap they are parked in (``_trap``) -- or, for a
        ``read`` of a socket, read now and make the reader ready with the
        bytes (one dispatch per read instead of two; off while something
        watches every trap, see Kernel.wrap_handlers)."""
        fds_get = self._fds.get
        ready_append = self._ready.append
        READY_READ = self._poller.READY_READ
        READY_WRITE = self._poller.READY_WRITE
        inline_read = read if self._fast_paths else None
        for fd, mask in events:
            reg = fds_get(fd)
            if reg is None:
                if fd == self._wake_fd:     # pragma: no branch - the poller reports nothing else unknown
                    self._run_calls()
                continue
            if mask & READY_READ:
                waiter = reg.reader
                if waiter is not None:
                    reg.reader = None
                    trap = waiter._waiting
                    waiter._waiting = None
                    if type(trap) is inline_read and reg.plain is not None:
                        trap.waited = False
                        nbytes = trap.nbytes
                        try:
                            data = reg.fileobj.recv(nbytes)
                        except BlockingIOError:     # a spurious wake-up: it waits on
                            reg.reader = waiter
                            waiter._waiting = trap
                            trap.waited = True
                            waiter = None
                        except OSError as error:
                            waiter._exc = _misused(error, trap.fileobj, fd, "read") \
                                if error.errno == errno.ENOTCONN \
                                else _closed_under(error, trap)
                        except MemoryError:         # read(sock, 1 << 40): the task's error
                            waiter._exc = _no_buffer("read", nbytes)
                        else:
                            waiter._value = data
                            waiter._woken = reg     # (its bytes come back if cancelled)
                            if len(data) == nbytes:
                                reg.full = True     # more is probably there: try at once
                    else:
                        waiter._next_trap = trap    # finish its trap
                    if waiter is not None:
                        ready_append(waiter)
                    if not mask & READY_WRITE:
                        continue            # (the common case: nothing more to do)
                    idle = False
                else:
                    idle = True
            else:
                idle = False
            if mask & READY_WRITE:
                waiter = reg.writer
                if waiter is not None:
                    reg.writer = None
                    waiter._next_trap = waiter._waiting
                    waiter._waiting = None
                    ready_append(waiter)
                else:
                    idle = True
            if idle:
                # Readiness nobody waits for: the interest was kept from an
                # earlier wait.  Drop it, or a level-triggered poller would
                # report it on every turn.
                self._drop_idle(fd, reg)

    def _io_waiters(self):
        """Is any task waiting on a descriptor (or on another thread)?"""
        if self._foreign_waits:
            return True
        for reg in self._fds.values():
            if reg.reader is not None or reg.writer is not None:
                return True
        return False

    # A task parked on a descriptor is in its slot; these take it off again.

    def _unpark_reader(self, task, trap, exc):
        self._fds[trap.fd].reader = None    # the registration stays, for next time
        trap.waited = False

    def _unpark_writer(self, task, trap, exc):
        reg = self._fds[trap.fd]
        reg.writer = None
        if reg.writing is trap:
            reg.writing = None          # (and with it its data: see _trap_write)
        trap.waited = False
        if type(trap) is write:
            exc.bytes_written = trap.sent

    # ------------------------------------------------- the I/O traps

    def _trap_read(self, task, trap):
        if not trap.waited:
            trap.waited = True
            if self._wait_readable(task, trap) is PARKED:
                return PARKED
        trap.waited = False
        reg = self._fds.get(trap.fd)
        if reg is not None and reg.pushback:
            if reg.owner is None:           # (see _release)
                reg.owner = task
                _own(task, trap.fd)
            return reg._take_pushback(trap.nbytes)
        fileobj = trap.fileobj
        nbytes = trap.nbytes
        try:
            if isinstance(fileobj, socket.socket):
                data = fileobj.recv(nbytes)
            else:
                data = os.read(trap.fd, nbytes)
        except BlockingIOError:         # no data after all: wait for it
            trap.waited = True
            return self._wait_readable(task, trap)
        except MemoryError:
            raise _no_buffer("read", nbytes) from None
        except OSError as error:
            if error.errno == errno.ENOTCONN:   # listening, or never connected: say so
                raise _misused(error, fileobj, trap.fd, "read") from None
            raise _closed_under(error, trap) from None
        if len(data) == nbytes:
            # The buffer came back full: more is probably waiting, so the
            # next read tries at once instead of waiting for a poll first.
            reg = self._fds.get(trap.fd)
            if reg is not None:
                reg.full = True
        return data

    def _trap_write(self, task, trap):
        fd = trap.fd
        fileobj = trap.fileobj
        if not trap.waited:
            reg = self._fds.get(fd)
            if reg is not None and reg.fileobj is fileobj:
                # One writer at a time: a second write must not slip its
                # bytes into the middle of a first one still in progress.
                other = reg.writing
                if other is not None and other is not trap and other.waited:
                    raise ResourceBusy(
                        "%r: %r cannot write fd %d while an earlier write of %d bytes "
                        "is only %d bytes in; only one task may write a descriptor at "
                        "a time" % (trap, task, fd, len(other.data), other.sent))
            elif isinstance(fileobj, socket.socket) and fileobj.gettimeout() != 0.0:
                # (A registered socket was made non-blocking then.)
                fileobj.setblocking(False)      # or send() could stall everyone
        data = trap.data
        sent = trap.sent
        while True:
            try:
                if isinstance(fileobj, socket.socket):
                    sent += fileobj.send(memoryview(data)[sent:] if sent else data)
                elif trap.waited or not os.get_blocking(fd):
                    # A blocking pipe is only written once it is writable, and
                    # a little at a time, so the write itself cannot block.
                    chunk = memoryview(data)[sent:]
                    if os.get_blocking(fd):
                        chunk = chunk[:PIPE_CHUNK]
                    sent += os.write(fd, chunk)
            except BlockingIOError:
                pass
            except OSError as error:
                self._done_writing(trap)
                error = _closed_under(error, trap)
                error.bytes_written = sent
                raise error from None
            trap.sent = sent
            if sent >= len(data):
                self._done_writing(trap)
                return None
            trap.waited = True
            if self._wait_writable(task, trap) is PARKED:
                self._fds[fd].writing = trap
                return PARKED
            # Not pollable (a regular file): always writable, go on writing.

    def _trap_accept(self, task, trap):
        # Try first: under load connections queue up, and waiting before each
        # accept would cost a poll per connection.
        listener = trap.fileobj
        if listener.gettimeout() != 0.0:
            listener.setblocking(False)     # or accept() could stall everyone
        try:
            if type(listener) in _PLAIN_SOCKETS:    # (what its accept() does, less
                fd, address = listener._accept()    # two enums: see _family_of)
                family = _family_of(listener)
                conn = socket.socket(family, _type_of(listener), listener.proto, fd)
            else:                                   # (an SSLSocket...)
                conn, address = listener.accept()
                family = conn.family
        except BlockingIOError:
            return self._wait_readable(task, trap)
        except OSError as error:
            if error.errno in _NOT_LISTENING:   # not a listening socket: say so
                raise _misused(error, listener, trap.fd, "accept") from None
            raise _closed_under(error, trap) from None
        conn.setblocking(False)
        if family in _TCP_FAMILIES:
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:     # pragma: no cover - macOS: EINVAL for one reset already;
                pass            # its first read will say so, to its own task
        return conn, address

    def _trap_connect(self, task, trap):
        sock = trap.fileobj
        if trap.waited:                 # writable: the connection is settled
            trap.waited = False
            try:
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            except OSError as error:
                raise _closed_under(error, trap) from None
        else:
            if sock.gettimeout() != 0.0:
                sock.setblocking(False)
            try:
                err = sock.connect_ex(trap.address)
            except OSError as error:    # (an address of the other family?)
                raise _other_family(error, sock, trap.address, "connect") from None
            except (TypeError, ValueError, OverflowError) as error:  # port "80", 70000; host None
                raise _bad_address(error, trap.address, "connect") from None
            if err in _IN_PROGRESS:
                trap.waited = True
                return self._wait_writable(task, trap)
        if err:
            why = _AGAIN.get(sock.family, "") if err == errno.EAGAIN else ""
            raise OSError(err, "%s (connecting to %r)%s" % (os.strerror(err), trap.address, why))
        return None

    def _trap_read_wait(self, task, trap):
        if trap.waited:                 # dispatched again: it is readable
            trap.waited = False
            _check_open(trap)           # (poll() calls a closed fd "ready")
            return None
        parked = self._wait_readable(task, trap)
        trap.waited = parked is PARKED
        return parked

    def _done_writing(self, trap):
        """``trap`` has written all it will.  If it parked, its descriptor's
        ``writing`` holds it (for a second writer to see): let go of it
        now, or its data -- megabytes, maybe -- would live as long as the
        connection does."""
        if trap.waited:
            trap.waited = False
            reg = self._fds.get(trap.fd)
            if reg is not None and reg.writing is trap:
                reg.writing = None

    def _trap_write_wait(self, task, trap):
        if trap.waited:
            trap.waited = False
            _check_open(trap)
            return None
        parked = self._wait_writable(task, trap)
        trap.waited = parked is PARKED
        return parked

    def _trap_recvfrom(self, task, trap):
        if trap.waited:                 # readable: a datagram is there
            trap.waited = False
            sock = trap.fileobj
            nbytes = trap.nbytes
            if nbytes > _UDP_MOST and _family_of(sock) in _TCP_FAMILIES:
                nbytes = _UDP_MOST      # (no UDP datagram is longer: no buffer of 1 GiB)
            try:
                return sock.recvfrom(nbytes)
            except BlockingIOError:     # pragma: no cover - a spurious wake-up (another reader took it)
                pass
            except MemoryError:         # (a Unix datagram socket's recvfrom(sock, 1 << 40))
                raise _no_buffer("recvfrom", nbytes) from None
            except OSError as error:
                if error.errno == errno.ENOTCONN:   # a TCP listener, or never connected
                    raise _misused(error, trap.fileobj, trap.fd, "recvfrom") from None
                raise _closed_under(error, trap) from None
        trap.waited = True
        return self._wait_readable(task, trap)

    def _trap_sendto(self, task, trap):
        trap.waited = False
        sock = trap.fileobj
        if sock.gettimeout() != 0.0:
            sock.setblocking(False)
        try:
            return sock.sendto(trap.data, trap.address)
        except BlockingIOError:         # pragma: no cover - Linux drops datagrams rather than block
            trap.waited = True
            return self._wait_writable(task, trap)
        except OSError as error:        # (an address of the other family? too big?)
            if error.errno == errno.EMSGSIZE:   # (say how big, and how big it may be)
                raise OSError(errno.EMSGSIZE, "%s (sendto() of %d bytes to %r%s)" % (
                    error.strerror, len(trap.data), trap.address,
                    _UDP_LIMIT.get(_family_of(sock), ""))) from None
            raise _sent_nowhere(_other_family(error, sock, trap.address, "sendto"),
                                trap) from None
        except (TypeError, ValueError, OverflowError) as error:  # port "80", 70000; host None
            raise _bad_address(error, trap.address, "sendto") from None


_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)
# The listeners accept() takes the short way with: plain sockets, listen()'s.
_PLAIN_SOCKETS = (socket.socket, Socket)
# A connection under way.  Not EAGAIN: from a Unix socket's connect() it
# means the listener's backlog is full -- nothing is under way, and the
# socket turns writable unconnected (asyncio and trio wait and call that
# connected; so did we).  Over IP, that no local port is free.  (Windows
# says WSAEWOULDBLOCK, not EAGAIN, for a connection under way.)
_IN_PROGRESS = (errno.EINPROGRESS, errno.EALREADY) + (
    (errno.EWOULDBLOCK,) if errno.EWOULDBLOCK != errno.EAGAIN else ())
_AGAIN: Dict[Any, str] = {family: ": no local port is free" for family in _TCP_FAMILIES}
_AGAIN[getattr(socket, "AF_UNIX", None)] = ": the listener's backlog is full; try again later"
# What accept() of a socket that is not listening says: EINVAL (a stream
# socket: not listening yet, or connected), EOPNOTSUPP (a datagram socket).
_NOT_LISTENING = (errno.EINVAL, errno.EOPNOTSUPP)


def _misused(error, fileobj, fd, trap_name):
    """``error`` -- ENOTCONN from ``read`` or ``recvfrom``, EINVAL or EOPNOTSUPP from
    ``accept`` -- as the task gets it: the same class and errno, its
    message naming the trap and the socket (its address) and saying what
    was wrong with it: "Transport endpoint is not connected (read() of the
    listening socket 127.0.0.1:8000): accept() its connections instead".
    (The system's message alone names neither.)  Only on the error path:
    the system call has failed already, so the look at the socket costs a
    working one nothing.  ``fileobj`` may be the descriptor ``fd`` itself."""
    sock = fileobj if isinstance(fileobj, socket.socket) else socket.socket(fileno=fd)
    try:
        where = format_address(sock.getsockname())
        if trap_name == "accept" and error.errno == errno.EINVAL:
            what = "accept() of %s, which is not listening" % where
            hint = "accept() takes a listening socket -- trampoline.listen(address) makes one"
        elif trap_name == "accept":
            what = "accept() of the datagram socket %s" % where
            hint = "it has no connections to accept; recvfrom() its datagrams"
        elif sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            what = "%s() of the listening socket %s" % (trap_name, where)
            hint = "accept() its connections instead"
        else:
            what = "%s() of %s, which is not connected" % (trap_name, where)
            hint = "connect() it first"
    finally:
        if sock is not fileobj:
            sock.detach()               # (the descriptor stays its owner's)
    return type(error)(error.errno, "%s (%s): %s" % (error.strerror, what, hint))


def _closed_under(error, trap):
    """``error``, an ``OSError`` of ``trap``'s system call, as its task gets
    it.  ``EBADF`` from a descriptor closed while the task waited on it --
    poll and select report a closed descriptor ready, or the new socket
    that took its number -- or from one never open (a bare number) names
    the trap and the descriptor, as ``_check_open`` does: the bare "Bad
    file descriptor" named nothing.  ``ECONNREFUSED`` and ``EMSGSIZE`` on a
    datagram socket: see ``_refused`` and ``_too_big``.  Any other error
    as it is."""
    if error.errno != errno.EBADF or not _is_closed(trap.fileobj):
        if error.errno == errno.ECONNREFUSED:
            return _refused(error, trap)
        if error.errno == errno.EMSGSIZE:
            return _too_big(error, trap)
        return error
    return OSError(errno.EBADF, "%r: fd %d is closed" % (trap, trap.fd))


def _no_buffer(trap_name, nbytes):
    """The ``MemoryError`` of a read that asked for more than memory holds:
    the socket (or ``os.read``) allocates ``nbytes`` first.  Bare, it said
    nothing -- and, raised where the poller woke the reader, it ended the
    kernel."""
    return MemoryError("%s() of up to %d bytes: no memory for a buffer that big (a read "
                       "allocates nbytes first); ask for less" % (trap_name, nbytes))


def _refused(error, trap):
    """``ECONNREFUSED`` from a ``recvfrom``, ``read`` or ``write`` of a
    connected datagram socket -- an earlier datagram it sent came back
    "port unreachable" -- as the task gets it: the same class and errno,
    its message naming the trap, the socket and its peer, and saying the
    socket goes on (asyncio hands it to ``error_received`` and keeps the
    transport).  "[Errno 111] Connection refused" alone, from a read,
    named nothing.  A stream socket's, as it is."""
    sock = trap.fileobj
    if not isinstance(sock, socket.socket) or _type_of(sock) != socket.SOCK_DGRAM:
        return error
    try:
        where, peer = format_address(sock.getsockname()), format_address(sock.getpeername())
    except OSError:                     # pragma: no cover - (not connected after all)
        return error
    return type(error)(error.errno, "%s (%s() of the datagram socket %s, connected to %s): an "
                       "earlier datagram it sent there was refused -- nothing listens there; "
                       "the socket can go on" % (error.strerror, type(trap).__name__, where, peer))


def _too_big(error, trap):
    """``EMSGSIZE`` from a ``write`` of a connected datagram socket, as the
    task gets it: the same class and errno, its message naming the size,
    the socket and its peer, and for UDP the most one datagram holds (as
    ``sendto``'s does).  "[Errno 90] Message too long" alone named
    nothing.  Any other's, as it is."""
    sock = trap.fileobj
    if (not isinstance(sock, socket.socket) or _type_of(sock) != socket.SOCK_DGRAM
            or not hasattr(trap, "data")):
        return error
    try:
        here, peer = sock.getsockname(), format_address(sock.getpeername())
    except OSError:                     # pragma: no cover - (not connected after all)
        return error
    where = format_address(here) if here else "(unbound)"     # (a Unix socket's "")
    return type(error)(error.errno, "%s (%s() of %d bytes, one datagram, from the datagram "
                       "socket %s to %s%s)" % (error.strerror, type(trap).__name__,
                                               len(trap.data), where, peer,
                                               _UDP_LIMIT.get(_family_of(sock), "")))


def _other_family(error, sock, address, trap_name):
    """``error``, an ``OSError`` of ``connect`` or ``sendto``, as the task
    gets it.  For an ``address`` of the other IP family than ``sock``'s (an
    IPv6 address from an IPv4 socket...) -- CPython's ``socket.gaierror``
    "Address family for hostname not supported", PyPy's ``OSError``
    "address family mismatched" -- the same class and errno, its message
    naming the address, the socket's family and the one it needs (the
    system's named neither).  A Unix path too long for a socket address
    ("AF_UNIX path too long", no errno) is named with its length.  Any
    other error as it is."""
    family = _family_of(sock)
    if error.errno is None and family == _AF_UNIX and isinstance(address, (str, bytes)):
        return type(error)("%s (%s() to %r, a path of %d bytes)"
                           % (error, trap_name, address, len(os.fsencode(address))))
    if family not in _TCP_FAMILIES or not (
            error.errno is None if type(error) is OSError else
            type(error) is socket.gaierror and error.errno == _EAI_ADDRFAMILY):
        return error
    host = address[0] if type(address) is tuple and address else ""
    if isinstance(host, (bytes, bytearray)):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str) or host in ("", "<broadcast>"):
        return error                    # (not a plain address of the other family)
    ipv6 = ":" in host
    why = error.strerror if error.errno is not None else str(error)
    message = "%s (%s() of an %s socket to %r, an %s address: it needs an %s socket)" % (
        why, trap_name, socket.AddressFamily(family).name, address,
        "IPv6" if ipv6 else "IPv4", "AF_INET6" if ipv6 else "AF_INET")
    return type(error)(error.errno, message) if error.errno is not None else type(error)(message)


def _sent_nowhere(error, trap):
    """``error``, an ``OSError`` of ``sendto`` with an errno, as the task
    gets it: the same class and errno, its message naming the trap, the
    size and the address ("Permission denied" alone named none of them),
    and saying what to do where that is known: ``EACCES`` (a broadcast
    address from a socket without ``SO_BROADCAST``), ``EINVAL`` for port 0,
    ``ECONNREFUSED`` (a connected socket's earlier datagram to its peer
    refused: the peer is named, and that this datagram was not sent --
    the system fails the send that finds the error).  An error already
    explained (``_other_family``'s) or without an errno, as it is."""
    if error.errno is None or type(error) is socket.gaierror or "(sendto()" in str(error):
        return error
    hint = _SENDTO_HINTS.get(error.errno, "")
    if error.errno == errno.ECONNREFUSED and _family_of(trap.fileobj) == _AF_UNIX:
        hint = ": no socket is bound to that path (any more)"
    elif error.errno == errno.ECONNREFUSED:     # (of a datagram to its peer: see _refused)
        try:
            hint = (": an earlier datagram from this socket to its peer %s was refused "
                    "-- nothing listens there; this one was not sent"
                    % format_address(trap.fileobj.getpeername()))
        except OSError:                 # not connected: one with IP_RECVERR set hears too
            pass
    elif error.errno == errno.EINVAL:     # (also a bad flag, an unbound Unix socket...)
        port = trap.address[1] if type(trap.address) is tuple and len(trap.address) > 1 else None
        hint = ": port 0 is no place to send to" if port == 0 else ""
    return type(error)(error.errno, "%s (sendto() of %d bytes to %r)%s" % (
        error.strerror, len(trap.data), trap.address, hint))


_SENDTO_HINTS = {
    errno.EACCES: ": to a broadcast address, only from a socket allowed to broadcast -- "
                  "udp_socket(broadcast=True) sets SO_BROADCAST",
    errno.ECONNREFUSED: ": an earlier datagram from this socket was refused "
                        "(nobody listens where it went)",
}


_EAI_ADDRFAMILY = getattr(socket, "EAI_ADDRFAMILY", None)
_AF_UNIX = getattr(socket, "AF_UNIX", None)
# The longest UDP datagram: its length field's 16 bits (payload: less).
_UDP_MOST = 65535
# The most one UDP datagram carries: 65,535 bytes less the IP and UDP headers.
_UDP_LIMIT = {socket.AF_INET: ": one UDP datagram over IPv4 holds at most 65,507 bytes",
              socket.AF_INET6: ": one UDP datagram over IPv6 holds at most 65,527 bytes"}


def _bad_address(error, address, trap_name):
    """``error``, the ``TypeError``, ``ValueError`` (PyPy's, for a tuple too
    short) or ``OverflowError`` of ``connect`` or ``sendto`` given an IP
    ``address`` it cannot take, as the task gets it: the same class, its
    message naming the trap and the address -- and, for a port that is no
    int from 0 to 65535 (``"80"`` from a config file, 70000), the port.
    ("'str' object cannot be interpreted as an integer" named neither.)
    ``sendto``'s address None (asyncio's ``transport.sendto(data)`` on a
    connected endpoint) is told to ``write`` to the peer instead."""
    if type(address) is tuple and len(address) >= 2:
        port = address[1]
        if type(port) is not int or not 0 <= port <= 65535:
            return type(error)("%s(): the port must be an int from 0 to 65535, got %r, in "
                               "the address %r" % (trap_name, port, address))
    if address is None and trap_name == "sendto":   # (asyncio's transport.sendto(data))
        return type(error)("sendto() needs an address, got None: write(sock, data) sends "
                           "one datagram to a connected socket's peer")
    return type(error)("%s(): cannot take the address %r: %s" % (trap_name, address, error))


def _own(task, fd):
    """Note that ``task`` owns ``fd``'s registration (released when it ends).
    One descriptor is kept as the int itself (most tasks own one socket: a
    set would cost 216 bytes a connection), more in a set."""
    owned = task._fds
    if owned is None or owned == fd:
        task._fds = fd
    elif type(owned) is int:
        task._fds = {owned, fd}
    else:
        owned.add(fd)


def _disown(task, fd):
    if task is None:                # (a registration kept for its pushback)
        return
    owned = task._fds
    if owned == fd:
        task._fds = None
    elif owned is not None and type(owned) is not int:
        owned.discard(fd)


def _is_closed(fileobj):
    if type(fileobj) is int:
        try:
            os.fstat(fileobj)
        except OSError:
            return True
        return False
    try:
        return fileobj.fileno() < 0
    except (OSError, ValueError):
        return True


def _check_open(trap):
    if _is_closed(trap.fileobj):
        raise OSError(errno.EBADF, "%r: fd %d was closed while waiting" % (trap, trap.fd))
