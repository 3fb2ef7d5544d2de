"""Streams: buffered connections over TCP, Unix sockets and TLS -- clients and servers.

The traps are the system calls; this module is the C library above them:
what you reach for to write a client or a server in ten lines.
``open_connection`` and ``open_unix_connection`` connect and return a
``Stream``; ``tcp_server``, ``unix_server`` and ``serve`` accept
connections and run a handler task for each.

The idea.  A ``Stream`` wraps a connected socket and keeps one buffer: bytes
received but not yet asked for.  Every read method takes what it needs
from the front of that buffer and receives more (one ``read`` trap, up to
64 KiB) only when the buffer cannot answer.  Bytes enter the buffer only
after a trap has returned, so a read that is cancelled or times out loses
nothing: the next call finds every byte, in order.  The hot path costs
nothing above the traps: ``read(n)`` with an empty buffer, and ``write``,
return the ``read`` or ``write`` trap itself, which the kernel performs
with no generator in between.  Host names are resolved
by ``getaddrinfo`` in a worker thread (see ``threads.py``), so the loop
never waits for DNS.

TLS.  A TLS stream's socket is an ``ssl.SSLSocket`` in non-blocking mode,
made with ``do_handshake_on_connect=False``.  Every TLS operation --
handshake, receive, send, whatever it is -- goes through one loop
(``_tls_io``): try it; on ``SSLWantReadError`` wait with the ``read_wait``
trap, on ``SSLWantWriteError`` with ``write_wait``, then try again.  That
covers the cases that surprise people: a read that must first write (a
handshake message, a key update) and a write that must first read.  An
operation is always *tried* before any wait, because OpenSSL may hold
decrypted bytes the socket no longer shows as readable.  Why an
``SSLSocket`` and not ``ssl.MemoryBIO``: the ``ssl`` module already runs
OpenSSL over the socket's own descriptor, the one the kernel waits on, and
says exactly which wait it needs; with a ``MemoryBIO`` we would carry every
encrypted byte between OpenSSL's buffers and the socket ourselves -- more
code, one more copy, and the same waits in the end.  (A ``MemoryBIO`` is
the tool for TLS over something that is not a socket; nothing here needs
that.)  A peer that ends its TCP connection without TLS's closing message
(``close_notify``) reads as the end of the stream, as many servers do;
one that resets it raises ``ConnectionResetError``, as without TLS.  A
stream that reads the peer's ``close_notify`` answers it with its own at
once (after a write under way), as asyncio does: the peer's ``aclose``
need not wait for our handler to end.  A socket with no room for the
answer then (the peer has not read what we sent) gets it as soon as it
has, from a task of the stream's own -- no read waits for it, and no
handler that lingers holds it back; the task gives up after
``TLS_CLOSE_TIMEOUT`` seconds, closing nothing.  A TLS stream does not
half-close, either way: ``write_eof`` is refused, and so is a write once
the peer's ``close_notify`` has been read.

What this module must never do: block the thread (no DNS, no handshake, no
``sendall`` outside the kernel), reach into the kernel's insides (traps
only), or lose, duplicate or reorder a byte between calls.
"""

import errno
import fcntl
import logging
import os
import select
import socket
import ssl as ssl_module
import sys
import termios
import time
from types import CoroutineType, GeneratorType, coroutine
from typing import (TYPE_CHECKING, Any, Awaitable, Callable, Generator, Iterable, List,
                    Optional, Tuple, Union, cast)

from . import traps
from .combinators import disable_cancellation, select as select_first
from .errors import Cancelled, ResourceBusy, TaskError, TrampolineError
from .hostloop import running, running_kernel
from .net import _listening, check_port, format_address, listen
from .threads import run_in_thread
from .protocols.proxy import ProxyProtocolError, header_length, parse_header
from .timeouts import TaskTimeout, ignore_after, timeout_after
from .sync import Event
from .traps import _describe, accept, cancel, connect, join, sleep, spawn

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer    # (what socket.send takes)
    # A Unix socket's path: a str, bytes or path-like object (pathlib.Path).
    UnixPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

__all__ = [
    "Stream", "IncompleteReadError", "LimitOverrunError",
    "open_connection", "open_unix_connection", "getaddrinfo",
    "tcp_server", "unix_server", "serve",
]

log = logging.getLogger("trampoline")

# Does Python track where coroutines are made?  Debug mode turns it on (so
# does asyncio's); Stream.write is then a coroutine, whose forgotten
# ``yield`` Python reports.  (A C function: cheap enough for every write.)
_tracking_coroutines = sys.get_coroutine_origin_tracking_depth

#: How much one read asks of the socket.
CHUNK = 65536
#: ``read(n)`` with an empty buffer and ``n`` at least this big is one
#: ``read`` trap of ``min(n, CHUNK)`` bytes, handed to the kernel as it is;
#: a smaller one receives a whole ``CHUNK`` into the buffer (a system call
#: per few bytes would cost more than the call it saves).
DIRECT_READ = 1024
#: A plain stream hands the kernel the same ``read`` trap each time, and the
#: same ``write`` trap for ``bytes`` of at most this many -- once the kernel
#: is done with it -- instead of making one per call (which costs more than
#: the rest of ``read`` or ``write``).  The reused write trap keeps its
#: bytes until the next write: hence a bound, and a big write (whose send
#: costs far more than a trap) gets a trap of its own, let go of once done.
SMALL_WRITE = 4096
#: A Stream's buffer until it needs one (see Stream._buffered).
_NO_BUFFER = b""
#: How much one TLS send hands to OpenSSL (a retry must repeat the same call).
TLS_CHUNK = 262144
#: Seconds ``aclose`` waits, at most, for a TLS peer's own closing message
#: (or the end of its connection) after sending ours; and seconds the task
#: that answers a peer's close_notify waits, at most, for room to send our
#: answer (see _answer_when_there_is_room) -- it then gives up, so that a
#: peer that never reads holds no dropped stream.  Each reads it when it
#: starts.  (asyncio: 30 s, its ssl_shutdown_timeout, for both.)
TLS_CLOSE_TIMEOUT = 10.0
#: The default longest line for readline / readuntil, separator included.
LINE_LIMIT = 65536
#: How much one peek at a PROXY header asks for (a version 1 header is at
#: most 107 bytes; a longer version 2 one takes several peeks).
PROXY_PEEK = 536
#: Seconds a server with ``proxy_protocol=True`` waits for a connection's
#: PROXY header (a balancer sends it at once) before closing it.
PROXY_HEADER_TIMEOUT = 3.0
#: Seconds a TLS server gives a new connection's handshake before closing
#: it (asyncio's ``ssl_handshake_timeout`` default): a client that connects
#: and never says hello must not hold a connection for ever.
TLS_HANDSHAKE_TIMEOUT = 60.0
#: Seconds ``open_connection`` gives a connect to one of a name's addresses
#: before it tries the next one too (RFC 8305's Connection Attempt Delay,
#: trio's ``happy_eyeballs_delay``): the first to answer wins.
HAPPY_EYEBALLS_DELAY = 0.25

#: How long, at least, ``run_server``'s graceful leave waits for the first
#: byte of a new connection before it treats it as idle (at most twice
#: this; see ``_HandOver``).  Go's ``Shutdown`` waits 5 s.
NEW_CONNECTION_GRACE = 1.0


# ================================================================ errors

class IncompleteReadError(TrampolineError, EOFError):
    """The stream ended before ``readexactly`` or ``readuntil`` was done.

    ``partial`` holds the bytes that did arrive (they are taken out of the
    stream's buffer: not lost, and not read twice); ``expected`` is the
    number of bytes asked for, or ``None`` for ``readuntil``.  The message
    names the stream's peer when it is known (``peer``: ``127.0.0.1:54321``).
    """

    def __init__(self, partial: bytes, expected: Any, what: Optional[str] = None,
                 peer: Optional[str] = None) -> None:
        self.partial = partial
        self.expected = expected
        self._what = what
        self._peer = peer
        if what is None:
            what = "%d bytes" % expected
        super().__init__("the stream%s ended after %d bytes, before %s"
                         % (" from %s" % peer if peer else "", len(partial), what))

    def __reduce__(self) -> Any:        # (pickle and copy: args is the message)
        return type(self), (self.partial, self.expected, self._what, self._peer)


class LimitOverrunError(TrampolineError, ValueError):
    """A line (or a ``readuntil`` chunk) is longer than the limit allowed.

    The bytes stay in the stream's buffer, untouched: read them with
    ``read(n)`` or give up on the connection.  ``limit`` is the limit;
    ``buffered`` how many bytes were in the buffer when it was hit.
    ``consumed``, as asyncio's: how many of them can be read and dropped
    without losing a separator -- where the separator begins, if it came;
    else all but the last ``len(separator) - 1`` (of the longest, for a
    tuple of separators) -- so that ``readexactly(consumed)`` skips an
    overlong line (then its separator or its rest).  The message names
    the stream's peer when it is known (``peer``, as for
    ``IncompleteReadError``).
    """

    def __init__(self, separator: Union[bytes, Tuple[bytes, ...]], limit: int,
                 buffered: int, peer: Optional[str] = None,
                 consumed: Optional[int] = None) -> None:
        self.limit = limit
        self.buffered = buffered
        if isinstance(separator, tuple):    # (readuntil's choice of separators)
            self._separator = tuple(bytes(each) for each in separator)  # type: Any
            longest = max(len(each) for each in separator)
        else:
            self._separator = bytes(separator)
            longest = len(separator)
        if consumed is None:            # (no separator among them)
            consumed = max(0, buffered - longest + 1)
        self.consumed = consumed
        self._peer = peer
        super().__init__("no %s within limit=%d bytes%s (%d bytes buffered; they stay "
                         "in the stream)" % (_separators_text(self._separator), limit,
                                             " from %s" % peer if peer else "", buffered))

    def __reduce__(self) -> Any:
        return type(self), (self._separator, self.limit, self.buffered, self._peer,
                            self.consumed)


def _separators_text(separator):
    """``b'\\n'``, or for a tuple of separators ``b'\\r' or b'\\n'``."""
    if type(separator) is tuple:
        return " or ".join(repr(bytes(each)) for each in separator)
    return repr(bytes(separator))


# ================================================================ Stream

class Stream:
    """A connected socket with a read buffer: ``Stream(sock)``.

    ``sock`` is a connected stream socket (TCP or Unix), or an
    ``ssl.SSLSocket`` whose handshake is done; it is made non-blocking.
    A datagram socket raises ``ValueError``; a closed one ``OSError(EBADF)``.
    Every method that waits returns something to ``yield`` (or ``await``
    in an ``async def``) -- a generator, or the kernel's trap itself::

        line = yield stream.readline()
        yield stream.write(b"hello\\n")

    Attributes: ``sock``, the socket; ``peername``, the peer's address (or
    ``None`` if the socket was not connected).  ``with stream:`` closes it
    on the way out.  One task may read while another writes; two tasks
    reading (or two writing) at once get ``ResourceBusy``.  (Over TLS a
    read that must first write waits like a writer: in the rare case that
    it must -- a key update under a full send buffer -- while another task
    is waiting to write, it too gets ``ResourceBusy``.)  Reading lines
    until the end: ``yield stream.each_line(func)``, or ``async for line in
    stream`` in an ``async def``.  ``stream.at_eof()`` (no ``yield``) is
    True once the peer's end has come and every byte before it was read,
    whichever read met it -- even a ``read(n)`` that was the kernel's
    trap itself (see ``at_eof``).  Over TLS, the read that meets the
    peer's ``close_notify`` (the end) answers it with ours at once, as
    asyncio does -- after the write under way, if one is; if the socket
    has no room for it, a task of its own sends it as soon as it has (the
    read does not wait; the task gives up after ``TLS_CLOSE_TIMEOUT``
    seconds, closing nothing) -- and a write after that raises
    ``BrokenPipeError`` saying so: a TLS stream does not half-close.
    """

    #: The PROXY protocol header this connection came with (a server's
    #: ``proxy_protocol=True``): a ``trampoline.protocols.proxy.ProxyHeader``.
    proxy_header = None             # type: Any

    # run_server's graceful leave (a _HandOver) while this connection is
    # new -- nothing written, no receive come back yet -- and whether a
    # receive has been asked for (see _HandOver and _begun).
    _new_in = None                  # type: Any
    _asked = False
    # A read that may wait is under way (read, readexactly, readuntil,
    # readline): another read is ResourceBusy until it ends (see _busy).
    _reading = False
    # run_server's graceful leave half-closed the socket for reading: over
    # TLS, the end a read meets is ours, not the peer's close_notify.
    _reading_stopped = False
    # (TLS) the peer ended the connection without close_notify: OpenSSL
    # will send nothing more (see _tls_end).
    _tls_unclean = False
    # A TLS write is under way: another is ResourceBusy before it reaches
    # OpenSSL.  (A plain write is the kernel's trap, which refuses a second
    # writer itself before it sends a byte.)
    _writing = False
    # The chunk of an interrupted TLS write that OpenSSL holds part of: the
    # next write sends it first (see _tls_write).
    _tls_pending = None             # type: Any
    # write_eof() has run, or (TLS) the peer's close_notify has been read
    # and answered: a write is refused, before the socket (whose own
    # "[Errno 32] Broken pipe" would not say why).
    _eof_written = False
    # (TLS) who sends our answer to the peer's close_notify, which waits
    # for room in the socket: None (nobody: sent, or not owed), the token
    # of the task that sends it once there is (see _answer_now_or_later),
    # or _CLOSING once close or aclose has begun (aclose sends it).
    _tls_answer = None              # type: Any
    # The socket's error (a reset...) that at_eof's look at the socket took
    # from it: the next receive raises it (see at_eof).
    _failure = None                 # type: Optional[OSError]
    # The traps this stream hands the kernel again and again (see
    # SMALL_WRITE): a read trap is free once the kernel set its ``waited``
    # back to False (None: handed out, not yet performed; True: waiting);
    # a write trap once it has sent something (``sent``) and waits no more.
    _read_trap = None               # type: Any
    _write_trap = None              # type: Any

    def __init__(self, sock: Any) -> None:     # a socket.socket or ssl.SSLSocket
        if not isinstance(sock, socket.socket):
            raise TypeError("Stream() needs a connected socket, got %s" % _describe(sock))
        _check_stream_socket(sock, "Stream()")
        if sock.fileno() < 0:           # (setblocking's own error would name nothing)
            raise OSError(errno.EBADF, "Stream() needs a connected socket, got a closed "
                          "one: %r" % (sock,))
        try:
            peername = sock.getpeername()
        except OSError:
            peername = None
        self._attach(sock, peername)

    @classmethod
    def _accepted(cls, sock, address):
        """The Stream a server makes of a socket ``accept`` returned, with
        the peer's ``address`` it gave (a system call and a copy saved)."""
        stream = cls.__new__(cls)
        stream._attach(sock, address)
        return stream

    @classmethod
    def _accepted_plain(cls, sock, address):
        """``_accepted`` for a plain socket the accept trap made, non-blocking
        already: ``_attach``'s attributes set with no look at the socket
        (~2,000 instructions a connection).  Keep the two in step."""
        stream = _new_stream(cls)
        stream.sock = sock
        stream._buffer = _NO_BUFFER
        stream._eof = False
        stream._tls = False
        stream._direct = True
        stream._reading = False
        stream.peername = address
        # (Every attribute set here, in _attach's order: the instances then
        # share their dicts' keys, a few hundred bytes less a connection.)
        stream._read_trap = stream._write_trap = None
        return stream

    def _attach(self, sock, peername):  # (a server's plain socket: _accepted_plain)
        if sock.gettimeout() != 0.0:    # (accept and connect leave it non-blocking)
            sock.setblocking(False)
        self.sock = sock
        self._buffer = _NO_BUFFER       # received, not yet asked for (see _buffered)
        self._eof = False               # the peer will send no more
        self._tls = isinstance(sock, ssl_module.SSLSocket)
        if self._tls:
            sock.suppress_ragged_eofs = False   # (_tls_receive tells a reset from an end)
        self._direct = not self._tls    # read and write may hand out the kernel's trap
        self._reading = False           # (an instance attribute: read() checks it)
        self.peername = peername
        self._read_trap = self._write_trap = None   # (see SMALL_WRITE)

    def __repr__(self):
        state = "closed" if self.closed else "fd=%d" % self.sock.fileno()
        if self._tls:
            state = "TLS " + state
        if self._eof:
            state += " eof"
        return "<Stream %s peer=%r buffered=%d>" % (state, self.peername, len(self._buffer))

    @property
    def closed(self) -> bool:
        """True once ``close`` has run."""
        return self.sock.fileno() < 0

    # ---------------------------------------------------------- reading

    def at_eof(self) -> bool:
        """``stream.at_eof()``: True when the buffer is empty and the peer's
        end of the stream has been received -- a read now returns ``b""``
        at once (asyncio's ``StreamReader.at_eof``).  A plain method: no
        ``yield``; it never waits.  ``while not stream.at_eof(): data =
        yield stream.read(65536)`` ends, each byte read once.

        The stream records the end whenever one of its reads meets it.
        But ``read(n)`` may hand out the kernel's ``read`` trap itself
        (see ``read``), whose ``b""`` the stream never sees; and the end
        may have come right behind the last bytes a read took.  So, with
        the buffer empty and no end recorded, ``at_eof`` looks: at the
        socket, taking nothing from it (``MSG_PEEK``; a ``PipeStream``'s
        pipe: ``poll`` and ``FIONREAD``) -- the end counts only if no bytes
        a cancelled read received wait in the kernel (see the ``read``
        trap) -- or, over TLS, with one receive that does not wait, into
        the buffer (while no other task's read is under way).
        ``False`` while bytes may still come, while another task's read of
        this stream is under way, and if the connection failed (a reset):
        the next read raises that error.

        """
        if self._buffer:
            return False
        if self._eof:
            return True
        sock = self.sock                # type: Any  # (an SSLSocket when _tls)
        if self.closed or self._failure is not None or self._reading:
            # (a PipeStream's says it too.  A read under way may have been
            # woken with bytes it has not returned -- the socket then shows
            # only the end -- and over TLS its receive must take what comes
            # first.)
            return False
        try:
            if self._tls:
                data = _tls_try_receive(self)
                if data:
                    self._buffered().extend(data)
                    return False
            else:
                if isinstance(sock, socket.socket):
                    data = sock.recv(1, _PEEK)
                elif not _pipe_at_end(sock.fileno()):   # (a PipeStream's pipe)
                    return False
                else:
                    data = b""
                if not data:            # the end, unless the kernel has bytes before it
                    kernel = running_kernel()
                    if kernel is not None and kernel.holds_input(sock):
                        return False
        except (BlockingIOError, InterruptedError):
            return False                # nothing there yet
        except OSError as exc:
            # Looking took the socket's error with it (Linux reports a reset
            # once, then reads the end): keep it for the next receive, off
            # the direct path, which would read that end.
            self._failure = exc
            self._direct = False
            return False
        if data is None or data:
            return False
        self._eof = True
        return True

    def _receive(self, method):
        """What ``method`` yields to receive the next chunk: the ``read``
        trap, or for TLS the try-and-wait loop."""
        if not self._direct:            # TLS, new (see _HandOver), half-closed, closed,
            if self._new_in is not None:    # or with an error at_eof took
                self._asking()
            if self.sock.fileno() < 0:
                raise self._closed_error(method)
            failure = self._failure
            if failure is not None:
                self._failure = None    # (once, as the socket says it: then the end)
                raise failure
            if self._tls:
                return _tls_receive(self)
        trap = self._read_trap          # (see SMALL_WRITE)
        if trap is None or trap.waited is not False or trap.fd != self.sock.fileno():
            trap = self._read_trap = traps.read(self.sock, CHUNK)
        trap.nbytes = CHUNK
        trap.waited = None              # handed out
        return trap

    def _receive_into(self, buffer, method):
        """Receive the next chunk into ``buffer`` (the stream's own), or
        mark the end of the stream; a failure of the connection names
        ``method`` and the peer.  (``yield from``: no trampoline call.)"""
        try:
            data = yield self._receive(method)
        except OSError as exc:
            raise self._failed(exc, method)
        if data:
            buffer += data
        else:
            self._eof = True

    def _asking(self):
        """A new connection's handler asks for input.  The second time, the
        first receive has come back (one task reads a stream at a time):
        the connection has begun.  (A first receive cancelled and asked
        again counts too.)"""
        if self._asked:
            self._begun()
        else:
            self._asked = True

    def _begun(self):
        """The first byte has come, or is going: the connection is no
        longer new (see ``_HandOver``)."""
        handover = self._new_in
        if handover is None:
            return                      # (the drain's sweep said so already)
        self._new_in = None
        self._direct = not (self._tls or self._eof_written or self.sock.fileno() < 0
                            or self._failure is not None)   # (closed, less a call)
        if handover.draining:
            self._reading_stopped = True    # (see _answer_close_notify)
            _stop_reading(self.sock)

    def read(self, n: int = -1) -> Awaitable[bytes]:
        """``data = yield stream.read(n=-1)``

        Up to ``n`` bytes: what the buffer holds, or else what one receive
        brings -- it waits only if nothing at all is there.  ``b""`` means
        end of stream.  With ``n < 0``, everything until the end of the
        stream.  Raises ``TypeError`` for a size that is not an int, the
        socket's ``OSError`` (``ConnectionResetError`` ...), and
        ``ResourceBusy`` while another task's read of this stream is under
        way (as do the other read methods).  A failure of the connection
        keeps its class and errno, and its message names the method and
        the peer: ``[Errno 104] Connection reset by peer (readline() from
        127.0.0.1:54321)``.

        When the buffer is empty and ``n`` is at least ``DIRECT_READ``,
        what it returns is the ``read`` trap itself: the kernel receives
        straight into the result, with no call in between -- and raises
        the socket's error as it is, without the peer (``peername`` has it).
        It is the stream's own trap, handed out again by the next read
        once the kernel is done with it (a read made while another is still
        in hand, not yet yielded, gets a trap of its own).
        """
        if type(n) is not int:
            raise TypeError("read(): n must be an int, got %s" % _describe(n))
        if n >= DIRECT_READ and not self._buffer and not self._eof and not self._reading:
            if self._direct:
                trap = self._read_trap      # (_receive's, written out: a call less)
                if trap is None or trap.waited is not False or trap.fd != self.sock.fileno():
                    trap = self._read_trap = traps.read(self.sock, CHUNK)
                trap.nbytes = n if n < CHUNK else CHUNK
                trap.waited = None          # handed out
                return trap
            if not self._tls and self.sock.fileno() >= 0 and self._failure is None:
                # (new, see _HandOver; half-closed)
                if self._new_in is not None:
                    self._asking()
                return traps.read(self.sock, n if n < CHUNK else CHUNK)
        return self._read(n)

    @coroutine
    def _read(self, n):
        """``read`` when the buffer can answer, or must keep what a receive
        brings beyond ``n``, or for TLS, or to the end of the stream."""
        if self._reading:
            raise self._busy("read")
        buffer = self._buffered()
        if n == 0:
            return b""
        self._reading = True
        try:
            if n < 0:
                while not self._eof:
                    yield from self._receive_into(buffer, "read")
                return self._take(len(buffer))
            if not buffer:
                if self._eof:
                    return b""
                try:
                    data = yield self._receive("read")
                except OSError as exc:
                    raise self._failed(exc, "read")
                if not data:
                    self._eof = True
                if len(data) <= n:      # the common case: no copy into the buffer
                    return data
                buffer += data
            return self._take(n)
        finally:
            self._reading = False

    @coroutine
    def readexactly(self, n: int) -> Generator[Any, Any, bytes]:
        """``data = yield stream.readexactly(n)``

        Exactly ``n`` bytes, waiting as long as it takes.  Raises
        ``IncompleteReadError`` (an ``EOFError``) if the stream ends first:
        its ``partial`` holds what came.  ``ValueError`` for ``n < 0``.
        """
        _check_size(n, "readexactly")
        if n < 0:
            raise ValueError("readexactly(): n must be >= 0, got %d" % n)
        if self._reading:
            raise self._busy("readexactly")
        buffer = self._buffered()
        self._reading = True
        try:
            while len(buffer) < n:
                if self._eof:
                    raise IncompleteReadError(self._take(len(buffer)), n,
                                              peer=self._peer_text())
                yield from self._receive_into(buffer, "readexactly")
            return self._take(n)
        finally:
            self._reading = False

    def readuntil(self, separator: Union[bytes, Tuple[bytes, ...]] = b"\n",
                  limit: int = LINE_LIMIT) -> Awaitable[bytes]:
        """``data = yield stream.readuntil(separator=b"\\n", limit=65536)``

        The bytes up to and including the next ``separator``.  Raises
        ``LimitOverrunError`` (a ``ValueError``) if that would be more than
        ``limit`` bytes -- the data stays in the buffer; the error's
        ``consumed`` says how much of it to drop to skip it -- and
        ``IncompleteReadError`` (an ``EOFError``, with the bytes that came
        as ``partial``) if the stream ends first.  ``separator`` may be a
        tuple of them, as in Python 3.13's asyncio: the bytes up to
        whichever ends first (``(b"\\r\\n", b"\\n")``: either kind of line).
        """
        if type(separator) is tuple:
            return self._read_until_any(_check_separators(separator),
                                        _check_limit(limit, "readuntil"))
        return self._read_until(_check_separator(separator), _check_limit(limit, "readuntil"),
                                False, "readuntil")

    def readline(self, limit: int = LINE_LIMIT) -> Awaitable[bytes]:
        """``line = yield stream.readline(limit=65536)``

        The next line, ``b"\\n"`` included.  At the end of the stream, the
        last bytes without a newline, then ``b""``.  Raises
        ``LimitOverrunError`` (a ``ValueError``) for a line longer than
        ``limit`` bytes; the line stays in the buffer (the error's
        ``consumed`` says how much of it to drop to skip it).
        """
        return self._read_until(b"\n", _check_limit(limit, "readline"), True, "readline")

    @coroutine
    def _read_until(self, separator: bytes, limit: int, partial_ok: bool,
                    method: str) -> Generator[Any, Any, bytes]:
        if self._reading:
            raise self._busy(method)
        buffer = self._buffered()
        start = 0                       # where the separator may begin
        self._reading = True            # (start counts on the buffer staying ours)
        try:
            while True:
                end = buffer.find(separator, start)
                if end >= 0:
                    end += len(separator)
                    if end > limit:
                        break
                    return self._take(end)
                # (No separator: more than ``limit`` bytes are too long; just
                # ``limit`` are not if the stream ends there, as in asyncio.)
                if len(buffer) > limit:
                    break
                if self._eof:
                    partial = self._take(len(buffer))
                    if partial_ok:
                        return partial
                    raise IncompleteReadError(partial, None, repr(bytes(separator)),
                                              self._peer_text())
                start = max(0, len(buffer) - len(separator) + 1)
                yield from self._receive_into(buffer, method)
        finally:
            self._reading = False
        raise LimitOverrunError(separator, limit, len(buffer), self._peer_text(),
                                end - len(separator) if end >= 0 else None)

    @coroutine
    def _read_until_any(self, separators, limit):
        """``readuntil`` with a tuple of ``separators``: ``_read_until``,
        finding the one that ends first (at the same end the shortest, as
        asyncio: the error's ``consumed`` is where it begins)."""
        if self._reading:
            raise self._busy("readuntil")
        buffer = self._buffered()
        longest = max(len(separator) for separator in separators)
        start = 0                       # where a separator may begin
        self._reading = True
        try:
            while True:
                found = end = -1
                for separator in separators:
                    at = buffer.find(separator, start)
                    if at >= 0 and (end < 0 or at + len(separator) < end
                                    or at + len(separator) == end and at > found):
                        found, end = at, at + len(separator)
                if end >= 0:
                    if end > limit:
                        break
                    return self._take(end)
                # (No separator: more than ``limit`` bytes are too long; just
                # ``limit`` are not if the stream ends there, as in asyncio.)
                if len(buffer) > limit:
                    break
                if self._eof:
                    raise IncompleteReadError(self._take(len(buffer)), None,
                                              _separators_text(separators),
                                              self._peer_text())
                start = max(0, len(buffer) - longest + 1)
                yield from self._receive_into(buffer, "readuntil")
        finally:
            self._reading = False
        raise LimitOverrunError(separators, limit, len(buffer), self._peer_text(),
                                found if end >= 0 else None)

    def _closed_error(self, method):
        """The error of a stream used after close, naming it (the socket
        alone would say "Bad file descriptor")."""
        return OSError(errno.EBADF, "%s(): %r is closed" % (method, self))

    def _failed(self, exc, method):
        """The error path: ``exc``, an ``OSError`` that ``method`` of this
        stream met, as the caller gets it.  A failure of the connection --
        reset, broken pipe, aborted, timed out... -- comes back as the same
        class with the same errno, its message naming the peer (captured
        when the stream was made: ``getpeername`` fails once the
        connection is reset).  (Not a subclass, whose constructor may
        differ -- ``ssl.SSLError``, ``TaskTimeout`` -- nor EBADF, our own
        close, said where it happens.)"""
        if type(exc) not in _CONNECTION_ERRORS or exc.errno is None or exc.errno == errno.EBADF:
            return exc
        peer = self._peer_text()
        if peer is None:
            return exc
        error = type(exc)(exc.errno, "%s (%s() %s %s)" % (
            exc.strerror or os.strerror(exc.errno), method,
            "to" if method.startswith("write") else "from", peer))
        error.__suppress_context__ = True   # (raise ... from None: the original is __context__)
        if hasattr(exc, "bytes_written"):
            error.bytes_written = exc.bytes_written
        return error

    def _peer_text(self):
        """The peer, as an error message names it: ``127.0.0.1:54321``,
        ``[::1]:8080``, a Unix socket's path; or ``None`` if unknown."""
        peer = self.peername
        if isinstance(peer, tuple):
            return format_address(peer)
        if peer:
            return repr(peer)
        if peer is None:
            return None
        try:                            # a Unix client that did not bind: our end says which
            own = self.sock.getsockname()
        except OSError:
            own = None
        return "an unnamed peer on %r" % (own,) if own else "an unnamed peer"

    def _write_refused(self, method):
        """The error of a write after ``close``, or after ``write_eof``: a
        ``BrokenPipeError`` (EPIPE), as the socket's own, that says why and
        names the stream."""
        if self.closed:
            return self._closed_error(method)
        if self._tls_unclean:
            return BrokenPipeError(errno.EPIPE, "%s() after the peer ended the TLS connection "
                                   "without close_notify, which ends the TLS session: %r can "
                                   "send nothing more" % (method, self))
        if self._tls:
            return BrokenPipeError(errno.EPIPE, "%s() after the peer's close_notify: %r has "
                                   "answered it with its own (TLS streams do not half-close); "
                                   "it can send nothing more" % (method, self))
        return BrokenPipeError(errno.EPIPE, "%s() after write_eof(): %r has sent its end "
                                            "of the stream; it can send nothing more"
                               % (method, self))

    def _busy(self, method, what="read"):
        """The error of a read (or write) begun while another is under way."""
        return ResourceBusy("%s(): another %s of %r is under way; only one task may "
                            "%s a stream at a time" % (method, what, self, what))

    @coroutine
    def each_line(self, func: Callable[[bytes], Any],
                  limit: int = LINE_LIMIT) -> Generator[Any, Any, int]:
        """``count = yield stream.each_line(func, limit=65536)``

        The ``for`` loop over lines: call ``func(line)`` for every line
        until the end of the stream (the last one may lack its newline);
        if ``func`` returns a generator or coroutine, it is run (yielded)
        before the next line is read.  Returns how many lines there were.
        Raises like ``readline``; ``TypeError``, before reading, for a
        ``func`` that is not callable.  In an ``async def``: ``async for
        line in stream``.  ``func`` runs between two reads, so it may read
        the stream itself (a body after its header line, say).
        """
        limit = _check_limit(limit, "each_line")
        if not callable(func):          # (before a line is taken: it would be lost)
            raise TypeError("each_line() needs a function func(line), got %s"
                            % _describe(func))
        count = 0
        while True:
            line = yield self._read_until(b"\n", limit, True, "each_line")
            if not line:
                return count
            count += 1
            result = func(line)
            if type(result) is GeneratorType or type(result) is CoroutineType:
                yield result

    def __aiter__(self) -> "Stream":
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if not line:
            raise StopAsyncIteration
        return line

    def _buffered(self):
        """The buffer, to add to: made on first need -- a stream whose
        reads all go straight to the socket (an echo, a proxy) never has
        one, and saves its 56 bytes."""
        buffer = self._buffer
        if buffer is _NO_BUFFER:
            buffer = self._buffer = bytearray()
        return buffer

    def _take(self, n):
        """The first ``n`` bytes of the buffer, removed from it."""
        buffer = self._buffer
        if n >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:n])
            del buffer[:n]              # cheap: bytearray trims its front in place
        return data

    # ---------------------------------------------------------- writing

    def write(self, data: "ReadableBuffer") -> Awaitable[None]:
        """``yield stream.write(data)``

        Send all of ``data`` (bytes-like) and return ``None`` once the
        kernel has it all.  Raises ``TypeError`` for ``str`` and other
        non-bytes, the socket's ``OSError`` (``BrokenPipeError``,
        ``ConnectionResetError`` ...) otherwise.  Over TLS (and in debug
        mode) its message names the peer, as a read's does; a plain write
        is the trap itself (below), whose error is the socket's own,
        without the peer (``peername`` has it).

        What it returns is the ``write`` trap itself, handed to the kernel
        with no call in between (for ``bytes`` of at most ``SMALL_WRITE``,
        the stream's own, handed out again once the kernel is done with it)
        -- so a forgotten ``yield``
        (``stream.write(data)`` alone) sends nothing, silently.  Debug mode
        (``run(..., debug=True)``, ``TRAMPOLINE_DEBUG=1``) finds it: there
        (and whenever Python tracks where coroutines are made) ``write`` is
        a coroutine, and Python warns "coroutine 'Stream.write' was never
        awaited", naming the line.  Over TLS it is always a coroutine.
        A second task's write while one is under way raises
        ``ResourceBusy`` before it sends a byte.  An empty write touches
        nothing (as trio's ``send_all(b"")``): on a broken connection it
        raises nothing -- the next write that sends a byte meets the error
        -- where asyncio's ``drain`` raises the error its transport kept.

        Cancelled or timed out midway, the ``Cancelled`` (a
        ``TaskTimeout``'s ``__cause__``) carries ``bytes_written``: the peer
        gets ``data[:bytes_written]`` before anything written after.  Over
        TLS that is the bytes of ``data`` OpenSSL accepted, the last chunk
        (at most ``TLS_CHUNK`` bytes) included if it was handed to OpenSSL
        and is still partly in its hands: the stream's next write sends the
        rest of that chunk before its own bytes -- so ``write(data[
        bytes_written:])`` goes on where it stopped.
        """
        if not self._direct or _tracking_coroutines():
            if self._new_in is not None:
                self._begun()
            if self._tls:
                return self._write(data)
            if self._eof_written or self.closed:   # (write_eof and close: off the direct path)
                raise self._write_refused("write")
            if _tracking_coroutines():
                return self._write(data)
        if type(data) is not bytes or not data or len(data) > SMALL_WRITE:
            trap = traps.write(self.sock, data)     # (TypeError for a str...)
            return trap if trap.data else self._write_nothing()
        trap = self._write_trap         # (see SMALL_WRITE)
        if trap is None or not trap.sent or trap.waited or trap.fd != self.sock.fileno():
            trap = self._write_trap = traps.write(self.sock, data)
            return trap
        trap.data = data
        trap.sent = 0                   # handed out
        return trap

    async def _write(self, data, method="write"):
        """``write`` as a coroutine: over TLS, and in debug mode (a coroutine
        never awaited is one Python warns about).  ``method``: the call an
        error names (a TLS stream's ``writelines`` too)."""
        if not self._tls:
            trap = traps.write(self.sock, data)
            if not trap.data:
                return await self._write_nothing()
            try:
                return await trap
            except OSError as exc:
                raise self._failed(exc, "write")
        if type(data) is not bytes:     # (any bytes-like, as the write trap takes)
            data = traps._check_data(data)
        if self.sock.fileno() < 0:
            raise self._closed_error(method)
        if self._eof_written:
            raise self._write_refused(method)
        if self._writing:
            # (Before any send: a second SSL_write would flush the first
            # one's pending record and slip its own bytes in after it.)
            raise self._busy(method, "write")
        self._writing = True
        try:
            await _tls_write(self, data)
        except OSError as exc:
            raise self._failed(exc, method)
        finally:
            self._writing = False
            if self._eof_written and not self._tls_unclean:
                _answer_now_or_later(self)      # the answer this write held back

    _write.__qualname__ = "Stream.write"    # what Python's warning names

    def _write_nothing(self):
        """``write`` of no bytes (a plain stream's): it touches nothing, as
        asyncio's and trio's do and as a TLS stream's does -- a ``send`` of
        nothing raised the socket's error on a broken connection, and took
        a reset with it.  Another task's write under way: ``ResourceBusy``,
        as for any write."""
        kernel = running_kernel()
        if kernel is not None and kernel.writes(self.sock):
            raise self._busy("write", "write")
        return _already_done()

    def writelines(self, lines: Iterable[bytes]) -> Awaitable[None]:
        """``yield stream.writelines(iterable_of_bytes)``: write them all.

        A list or tuple is joined and written in one go (a line that is
        not bytes-like: ``TypeError``, before anything is sent).  Any other
        iterable -- a generator -- is taken a batch of about ``CHUNK``
        bytes at a time, each written before the next lines are taken, as
        curio does: a generator that never ends is written until the task
        is cancelled, in bounded memory.  Then an exception -- the
        iterable's own, or ``TypeError`` for a line that is not bytes-like
        -- comes after every line before it is written.  Cancelled midway,
        the ``Cancelled`` carries ``bytes_written`` counted over all the
        lines, as for ``write``.
        """
        if not self._direct and not self._tls and (self._eof_written or self.closed):
            raise self._write_refused("writelines")     # (not write's name)
        if type(lines) is list or type(lines) is tuple:
            return self._write_lines(b"".join(lines))
        return self._writelines(lines)

    def _write_lines(self, data):
        """``write(data)`` for ``writelines``: over TLS, its errors name
        ``writelines()``, not ``write()``."""
        if not self._tls:
            return self.write(data)
        if self._new_in is not None:
            self._begun()
        return self._write(data, "writelines")

    async def _writelines(self, lines):
        """``writelines`` of an iterable that is not a list or tuple: a batch
        at a time (see ``writelines``)."""
        lines = iter(lines)
        written = 0                     # by the batches before this one
        while lines is not None:
            batch = []
            size = 0
            error = None
            try:
                for line in lines:
                    if not isinstance(line, (bytes, bytearray, memoryview)):
                        raise TypeError("writelines() needs bytes-like lines, got %s%s" % (
                            _describe(line), "; encode it first" if isinstance(line, str)
                            else ""))
                    batch.append(line)
                    size += len(line)
                    if size >= CHUNK:
                        break
                else:
                    lines = None        # all taken
            except Exception as exc:    # (the lines before it go out first)
                error = exc
                lines = None
            if batch:
                data = b"".join(batch)
                try:
                    await self._write_lines(data)
                except BaseException as exc:
                    if written and hasattr(exc, "bytes_written"):
                        exc.bytes_written += written
                    raise
                written += len(data)
            if error is not None:
                raise error

    _writelines.__qualname__ = "Stream.writelines"  # what Python's warning names

    def write_eof(self) -> Awaitable[None]:
        """``yield stream.write_eof()``: half-close -- tell the peer we will
        send no more (TCP ``shutdown(SHUT_WR)``) while still reading what it
        sends.  Takes effect at once, so the ``yield`` is optional; a second
        call does nothing (as trio's ``send_eof`` and asyncio's
        ``write_eof``).  A ``write`` (or ``writelines``) after it raises
        ``BrokenPipeError`` saying so.  While another task's write of the
        stream is under way it raises ``ResourceBusy`` and does nothing:
        the end would cut that write short.  On a connection the peer has
        reset it raises the socket's ``OSError`` (ENOTCONN), naming the call
        and the peer, each time until one succeeds, as trio's ``send_eof``
        does (asyncio's is silent once its transport has seen the connection
        fail).  A TLS stream cannot half-close
        (``NotImplementedError``), as trio's ``SSLStream`` and asyncio's TLS
        transports cannot; nor does it write once it has read the peer's
        ``close_notify``, which it answers with its own at once (or as
        soon as the socket has room for it).
        """
        if self._tls:
            raise NotImplementedError(
                "a TLS stream cannot half-close (write_eof); close it instead")
        if self.sock.fileno() < 0:
            raise self._closed_error("write_eof")
        if self._eof_written:           # (a second shutdown fails once the peer's end came too)
            return cast(Awaitable[None], _already_done())
        kernel = running_kernel()
        if kernel is not None and kernel.writes(self.sock):
            # (The writer would get a bare "Broken pipe" with the rest of
            # its data unsent, and the peer an end in the middle of it.)
            raise ResourceBusy("write_eof(): a write of %r is under way; the end of the "
                               "stream would cut it short: half-close once it is done"
                               % (self,))
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:          # (ENOTCONN: reset already)
            raise self._failed(exc, "write_eof")
        self._eof_written = True
        self._direct = False            # (write checks _eof_written off the direct path)
        return cast(Awaitable[None], _already_done())   # (mypy: see _already_done)

    # ---------------------------------------------------------- closing

    def close(self) -> Awaitable[None]:
        """``yield stream.close()``: close the connection.

        Takes effect at once and never blocks, so the ``yield`` is
        optional; closing twice is harmless.  A TLS stream first sends its
        closing message (``close_notify``) if the socket has room for it --
        after the rest of a cancelled write's chunk (see ``write``), if it
        has room for that too -- without waiting for the peer's.  Bytes
        still in the buffer are dropped.  A task parked reading or writing the stream gets
        ``OSError(EBADF)`` at once.  Over TLS, what the peer sends after that (a TLS 1.3
        server's session tickets, right after the handshake) finds the
        socket closed and resets the connection, which can take the end
        of what we wrote with it: ``aclose`` waits for the peer.
        """
        self._close()
        return _already_done()

    def _close(self):
        """``close()``, returning nothing."""
        sock = self.sock                # type: Any  # (an SSLSocket when _tls)
        if sock.fileno() >= 0:
            if self._buffer:            # (_drop_buffer written out: a call less)
                self._buffer.clear()
            self._direct = False        # (read and write then say it is closed)
            _notify_closing(sock)
            if self._tls:
                self._tls_answer = _CLOSING     # (the task sending it got EBADF, above)
                try:
                    if self._tls_pending is not None:
                        # (A cancelled write's chunk, if it fits now: OpenSSL
                        # refuses close_notify before it -- BAD_WRITE_RETRY.)
                        sock.send(self._tls_pending)
                        self._tls_pending = None
                    sock.unwrap()           # sends close_notify, waits for nothing
                except (OSError, ValueError):
                    pass                    # no room, peer gone, or no TLS yet
            sock.close()

    @coroutine
    def aclose(self, timeout: Optional[float] = TLS_CLOSE_TIMEOUT) -> Generator[Any, Any, None]:
        """``yield stream.aclose(timeout=TLS_CLOSE_TIMEOUT)``: close a TLS
        stream gracefully, as asyncio does.

        Finish the chunk of a cancelled write that OpenSSL still holds
        (see ``write``), send ``close_notify`` -- or, once the peer's has
        been read, the answer the socket had no room for yet -- waiting
        for room if need be, then read and drop what the peer sends until
        its own ``close_notify`` or the end of its connection -- at most
        ``timeout`` seconds (``None``: no limit) -- and close.  Until then
        every byte the peer sends is read: nothing comes back to a closed
        socket, which would reset the connection and make the peer drop
        what it had not read yet of ours.  Raises nothing: a peer gone or
        too slow ends it just the same.  A task parked reading or writing
        the stream gets ``OSError(EBADF)`` at once, as from ``close()``.
        Not TLS, or closed already: ``close()``.  A trampoline peer
        answers as its handler reads the end (asyncio's does too): one
        that never reads it keeps ``aclose`` waiting.
        """
        sock = self.sock                # type: Any
        try:
            if self._tls and sock.fileno() >= 0:
                # Another task parked reading or writing gets EBADF now, as
                # from close(): the exchange below waits on the socket itself.
                # A writer runs first, leaving its chunk pending (_tls_send);
                # so does the task that was to send our answer to the peer's
                # close_notify (_answer_when_there_is_room): it is ours now.
                self._tls_answer = _CLOSING
                _notify_closing(sock)
                if self._writing:
                    yield sleep(0)
                yield ignore_after(timeout, _tls_shutdown(self))
        except (OSError, ValueError):
            pass                        # peer gone: nothing more to wait for
        finally:
            self._tls_pending = None
            self._drop_buffer()
            self._direct = False
            _notify_closing(sock)
            sock.close()

    def _drop_buffer(self):
        """Closing: what is buffered is dropped, so that a read after the
        close fails as closed instead of returning it.  (In place: a reader
        woken with data before the close adds to this same buffer.)"""
        if self._buffer:
            self._buffer.clear()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


_new_stream = object.__new__            # (Stream has no __new__ of its own)

#: A TLS stream's ``_tls_answer`` once ``close`` or ``aclose`` has begun:
#: no task may start sending the answer to the peer's close_notify then --
#: the rest of a cancelled write's chunk with it, which ``aclose`` sends.
_CLOSING = object()


def _notify_closing(sock: Any) -> None:
    """A task of this thread's kernel parked reading or writing ``sock``
    gets ``OSError(EBADF)`` at once, not at the kernel's next sweep."""
    kernel = getattr(running, "kernel", None)   # (running_kernel(), less a call)
    if kernel is not None:
        kernel.notify_closing(sock)


@coroutine
def _already_done() -> Generator[Any, Any, None]:
    """What ``close`` and ``write_eof`` return: an empty subroutine, so that
    ``yield stream.close()`` reads like every other method."""
    return None
    yield   # pragma: no cover - never reached; makes this a generator


def _check_size(n, method):
    if type(n) is not int:
        raise TypeError("%s(): n must be an int, got %s" % (method, _describe(n)))


def _check_limit(limit, method):
    if type(limit) is not int or limit < 1:
        raise ValueError("%s(): limit must be an int >= 1, got %r" % (method, limit))
    return limit


def _check_separator(separator):
    if not isinstance(separator, (bytes, bytearray)) or not separator:
        raise ValueError("readuntil(): the separator must be non-empty bytes, got %r"
                         % (separator,))
    return separator


def _check_separators(separators):
    """A tuple of separators for ``readuntil``: at least one, each one
    non-empty bytes."""
    if not separators:
        raise ValueError("readuntil(): a tuple of separators must hold at least one")
    for separator in separators:
        if not isinstance(separator, (bytes, bytearray)) or not separator:
            raise ValueError("readuntil(): each separator must be non-empty bytes, got %r "
                             "among %r" % (separator, separators))
    return separators


# ====================================================================== TLS

# PyPy's ssl (7.3) leaves an error it raised in OpenSSL's error queue, which
# is the thread's, every connection's; and OpenSSL reports the queue's error
# for the next call of any connection that returns nothing -- a receive that
# would wait, the peer's close_notify, a send with no room: another
# connection's failed handshake failed this one's read.  (CPython's ssl
# empties the queue when it raises.)  So on PyPy each TLS call below
# empties it first, as OpenSSL's SSL_get_error(3) asks (elsewhere a no-op).
def _no_tls_errors_to_clear() -> None:
    pass


_clear_tls_errors = _no_tls_errors_to_clear     # type: Callable[[], None]
if sys.implementation.name == "pypy":       # (its _ssl module is Python, over cffi)
    _clear_tls_errors = getattr(getattr(ssl_module._ssl, "lib", None),  # type: ignore
                                "ERR_clear_error", _no_tls_errors_to_clear)


@coroutine
def _tls_io(sock, operation, *args):
    """Call ``operation(*args)`` (a method of the non-blocking SSLSocket
    ``sock``) until it succeeds, waiting for whatever OpenSSL says it
    needs -- readable or writable, whichever the operation.  A retry
    repeats the same call with the same arguments, as OpenSSL requires."""
    while True:
        _clear_tls_errors()
        try:
            return operation(*args)
        except ssl_module.SSLWantReadError:
            yield traps.read_wait(sock)
        except ssl_module.SSLWantWriteError:
            yield traps.write_wait(sock)


@coroutine
def _tls_receive(stream):
    """Receive up to ``CHUNK`` bytes over the TLS ``stream``: ``_tls_io``
    with ``sock.recv``; the peer's close_notify answered at once (see
    ``_answer_close_notify``); and an end of the TCP connection without it
    read as the end of the stream -- unless it was reset, which raises
    ``ConnectionResetError`` as it does without TLS."""
    sock = stream.sock
    while True:
        _clear_tls_errors()
        try:
            data = sock.recv(CHUNK)
        except ssl_module.SSLWantReadError:
            yield traps.read_wait(sock)
            continue
        except ssl_module.SSLWantWriteError:
            yield traps.write_wait(sock)
            continue
        except ssl_module.SSLEOFError as exc:
            return _tls_end(stream, exc)
        if not data:
            _answer_close_notify(stream)
        return data


def _tls_try_receive(stream):
    """``_tls_receive`` without waiting (``at_eof``): the bytes, ``b""`` at
    the end, or ``None`` if OpenSSL must wait for the socket first."""
    _clear_tls_errors()
    try:
        data = stream.sock.recv(CHUNK)
    except (ssl_module.SSLWantReadError, ssl_module.SSLWantWriteError):
        return None
    except ssl_module.SSLEOFError as exc:
        return _tls_end(stream, exc)
    if not data:
        _answer_close_notify(stream)
    return data


def _answer_close_notify(stream):
    """A receive over the TLS ``stream`` met the peer's close_notify (or,
    with ``OP_IGNORE_UNEXPECTED_EOF``, the end of its connection): answer
    with ours now, as asyncio does -- the peer may be in ``aclose``, waiting
    for it -- not when the handler ends, however long it lingers.  A write
    under way goes out first (it sends the answer when it is done, see
    ``Stream.write``), and so does the rest of the chunk a cancelled one
    left with OpenSSL; a socket with no room for the answer now gets it as
    soon as it has (``_answer_now_or_later``).  No write may start after
    this (``_eof_written``): TLS streams do not half-close, in either
    direction.  (Unless the end is our own: a server
    leaving stopped the stream's reading, see ``_stop_reading``.)"""
    if stream._reading_stopped:
        return
    try:
        # (Where OpenSSL ignores an unexpected EOF -- Python 3.8 and 3.9,
        # PyPy -- the end after a reset reads as a close_notify too: a
        # write then meets the socket's own error, naming the peer.)
        socket.socket.send(stream.sock, b"", _NO_SIGNAL)
    except OSError:
        return
    stream._eof_written = True
    if not stream._writing:
        _answer_now_or_later(stream)


def _answer_now_or_later(stream):
    """Send our answer to the peer's close_notify over the TLS ``stream``
    now, if nothing is in its way: the socket has room for it, and OpenSSL
    holds no chunk of a cancelled write (which must go out first, whole).
    Else start a task that sends them both as soon as the socket has room
    (``_answer_when_there_is_room``), whatever the stream's owner does
    meanwhile: the peer may be waiting for ours, having read what we
    sent -- asyncio's transport, too, sends it from its buffer as soon as
    it can.  No read waits for it.  The task waits ``TLS_CLOSE_TIMEOUT``
    seconds at most (its value now): a peer that never reads must not keep
    a stream its owner dropped, and its socket, for as long as the kernel
    runs.  (Outside a running kernel -- ``at_eof`` called by plain code --
    ``aclose`` sends it, or ``close`` if it can.)"""
    if stream._tls_answer is not None:
        return                          # (a task sends it already; or we are closing)
    if stream._tls_pending is None and _send_close_notify(stream.sock):
        return
    kernel = running_kernel()
    if kernel is None:
        return
    token = stream._tls_answer = object()
    # (The kernel's spawn() method, not the trap: at_eof cannot yield, and
    # a write's finally should not meet a cancellation at one.)
    kernel.spawn(_answer_when_there_is_room(stream, token, TLS_CLOSE_TIMEOUT),
                 name="trampoline: close_notify to %s" % (stream._peer_text() or "the peer"))


@coroutine
def _answer_when_there_is_room(stream, token, timeout):
    """The task that answers the peer's close_notify over the TLS
    ``stream`` once the socket has room: first the rest of the chunk of a
    cancelled write that OpenSSL holds (``_tls_pending``), then our
    close_notify.  It ends when both are out; when the stream is closed,
    or ``aclose`` takes over (they wake it with EBADF, and ``_tls_answer``
    is no longer its ``token``); when the connection fails (nothing can
    be sent then); or after ``timeout`` seconds (``None``: never), as
    asyncio's ``ssl_shutdown_timeout`` bounds its own flush -- a peer that
    never reads gets no more.  It never ends with an error of its own.

    Giving up, it lets go of the stream and closes nothing: the owner may
    still hold the stream.  Its ``close()`` then sends what it can without
    waiting, its ``aclose()`` waits for room as ever (within its own
    timeout); a stream nobody holds is freed, and its socket closed, by
    Python -- with the ``ResourceWarning`` (``unclosed <ssl.SSLSocket
    ...>``) that any socket dropped unclosed gets."""
    try:
        yield ignore_after(timeout, _answer_once_there_is_room(stream, token))
    except (OSError, ValueError, AttributeError):
        pass                            # closed (EBADF), reset; unwrapped
    finally:
        if stream._tls_answer is token:
            stream._tls_answer = None   # (close and aclose send it, if they can)


@coroutine
def _answer_once_there_is_room(stream, token):
    """``_answer_when_there_is_room``'s sending, without its time limit."""
    sock = stream.sock
    while stream._tls_answer is token and sock.fileno() >= 0:
        pending = stream._tls_pending
        if pending is None:
            if _send_close_notify(sock):
                return
            yield traps.write_wait(sock)
            continue
        _clear_tls_errors()
        try:
            sock.send(pending)          # (OpenSSL's rule: the same call again)
            stream._tls_pending = None
        except ssl_module.SSLWantWriteError:
            yield traps.write_wait(sock)
        except ssl_module.SSLWantReadError:
            yield traps.read_wait(sock)


def _send_close_notify(sock):
    """Send our close_notify over the TLS socket ``sock`` if it has room,
    waiting for nothing.  Returns False if it has none: OpenSSL keeps the
    message, and the next call sends it (True: sent, or nothing can be --
    the peer gone, the session over).  (``SSLSocket.unwrap()`` is this
    same call, then drops the TLS object: the socket would go on in plain
    text, and ``getpeercert()`` fail.)"""
    _clear_tls_errors()
    try:
        sock._sslobj.shutdown()
    except ssl_module.SSLWantWriteError:
        return False                    # no room
    except (OSError, ValueError, AttributeError):
        # (sent, the peer's yet to come; the peer gone; unwrapped)
        pass
    return True


def _tls_end(stream, exc):
    """OpenSSL met the end of the TCP connection under the TLS ``stream``
    without the peer's close_notify (its ``SSLEOFError`` ``exc``): ``b""``,
    the end of the stream -- or ``ConnectionResetError`` if the connection
    was reset.  OpenSSL's session is over: after an end, a write is
    refused (``_write_refused``) -- OpenSSL's own ``SSLEOFError`` named
    no peer, and is no ``ConnectionError``, which a server logs as the
    peer's doing (a reset says it itself: see ``_tls_send_failed``)."""
    sock = stream.sock
    # OpenSSL 3 tells a FIN by its reason: the receive read 0 bytes.  (It
    # then sends the peer an alert; a peer that closed its socket answers
    # that with a reset, so the test below would take a FIN for one.)
    fin = getattr(exc, "reason", None) == "UNEXPECTED_EOF_WHILE_READING"
    # Else OpenSSL says EOF for both (Python loses the errno of a reset), and
    # the socket's error is gone with it.  But a reset TCP socket refuses
    # to send, even nothing; one whose peer sent its FIN does not.  (A Unix
    # socket refuses once its peer is gone, either way: an end it is.)
    try:
        socket.socket.send(sock, b"", _NO_SIGNAL)
    except OSError:
        if not fin and sock.family != socket.AF_UNIX:
            raise ConnectionResetError(
                errno.ECONNRESET, "%s: the peer reset the TLS connection"
                % os.strerror(errno.ECONNRESET)) from None
        return b""                      # (a write meets the socket's own error)
    if not stream._reading_stopped:     # (else the end is ours: see _stop_reading)
        stream._eof_written = stream._tls_unclean = True
    return b""


def _pipe_at_end(fd):
    """Is the pipe ``fd`` at its end -- readable, with nothing in it?  Looked
    at without reading: ``poll`` and ``FIONREAD``."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if not poller.poll(0):
        return False
    waiting = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return int.from_bytes(waiting, sys.byteorder, signed=True) == 0


_NO_SIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)
# at_eof's look at a socket: take nothing, never wait.
_PEEK = socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0)

# The errors of a connection that Stream._failed names the peer in: these
# exact classes (their constructor is OSError's).
_CONNECTION_ERRORS = frozenset((OSError, ConnectionResetError, ConnectionAbortedError,
                                BrokenPipeError, TimeoutError))


@coroutine
def _tls_shutdown(stream):
    """``aclose``'s exchange of ``close_notify``: the pending chunk of a
    cancelled write first, then ours, then read (dropping it) until the
    peer's, or its end of the connection."""
    sock = stream.sock
    pending = stream._tls_pending
    if pending is not None:
        yield _tls_send(stream, pending, 0, 0)
        stream._tls_pending = None
    # unwrap() sends ours, then at once reads for the peer's -- and OpenSSL
    # gives up for good on application data in its way (its error
    # APPLICATION_DATA_AFTER_CLOSE_NOTIFY): drop what has come first.
    _clear_tls_errors()
    try:
        while sock.recv(CHUNK):
            pass                        # (b"": the peer's came; unwrap sends ours)
    except _TLS_WANTS:
        pass
    except ssl_module.SSLZeroReturnError:
        pass                            # both came and went -- ours perhaps only into
                                        # OpenSSL's buffer, for lack of room: unwrap sends it
    except ssl_module.SSLEOFError:
        return                          # its end, without one
    while True:
        _clear_tls_errors()
        try:
            sock.unwrap()               # both sent: done
            return
        except ssl_module.SSLWantWriteError:
            yield traps.write_wait(sock)
        except ssl_module.SSLWantReadError:
            break                       # ours is sent; the peer's is to come
        except ssl_module.SSLError:
            # More came in between all the same, and OpenSSL gave up (ours
            # is sent): drop the rest of the connection unread.
            yield _drop_to_the_end(sock)
            return
    while True:
        _clear_tls_errors()
        try:
            if not sock.recv(CHUNK):    # (after ours, OpenSSL still reads)
                return
        except ssl_module.SSLWantReadError:
            yield traps.read_wait(sock)
        except ssl_module.SSLWantWriteError:
            yield traps.write_wait(sock)
        except (ssl_module.SSLZeroReturnError, ssl_module.SSLEOFError):
            return                      # the peer's close_notify; or its end without it
        except ssl_module.SSLError:
            yield _drop_to_the_end(sock)
            return


@coroutine
def _drop_to_the_end(sock):
    """Read the TLS socket ``sock`` under its TLS layer, which has failed,
    dropping it all, until the end of the connection."""
    while True:
        try:
            if not socket.socket.recv(sock, CHUNK):
                return
        except BlockingIOError:
            yield traps.read_wait(sock)


@coroutine
def _tls_write(stream, data):
    """Send ``data`` over the TLS ``stream``, ``TLS_CHUNK`` bytes per
    ``send``.  A ``send`` that had to wait left its chunk in OpenSSL's
    hands: part of it is in records already, and the call must be repeated
    with that chunk alone.  If the wait is interrupted (cancelled, timed
    out...), the chunk stays on the stream (``_tls_pending``) and the next
    write completes it before anything else; the exception's
    ``bytes_written`` counts it (see ``Stream.write``)."""
    sock = stream.sock
    pending = stream._tls_pending
    if pending is not None:             # an interrupted write's chunk: it goes first
        yield _tls_send(stream, pending, 0, 0)
        stream._tls_pending = None
    view = memoryview(data)             # (bytes, a bytearray or a view of bytes: _write)
    sent = 0
    while sent < len(view):
        chunk = view[sent:sent + TLS_CHUNK]
        _clear_tls_errors()
        try:
            sent += sock.send(chunk)
            continue
        except _TLS_WANTS as exc:
            want = type(exc)
        except OSError as exc:
            raise _tls_send_failed(sock, exc, sent)
        sent += yield _tls_send(stream, chunk, sent, sent + len(chunk), want)


_TLS_WANTS = (ssl_module.SSLWantReadError, ssl_module.SSLWantWriteError)


@coroutine
def _tls_send(stream, chunk, sent, committed, want=None):
    """Repeat the ``send`` of ``chunk`` that OpenSSL holds (``want``: what
    it said the last time) until it is done; return its length.  Whatever
    interrupts a wait leaves ``chunk`` pending on ``stream`` and says that
    ``committed`` bytes are written (the chunk's own, if it is the
    write's); an error of the connection itself, that ``sent`` are."""
    sock = stream.sock
    while True:
        if want is not None:
            try:
                if want is ssl_module.SSLWantReadError:
                    yield traps.read_wait(sock)
                else:
                    yield traps.write_wait(sock)
            except BaseException as exc:
                stream._tls_pending = chunk
                exc.bytes_written = committed
                raise
        _clear_tls_errors()
        try:
            return sock.send(chunk)
        except _TLS_WANTS as exc:
            want = type(exc)
        except OSError as exc:
            raise _tls_send_failed(sock, exc, sent)


def _tls_send_failed(sock, exc, sent):
    """The error a TLS write raises for ``exc``, its ``send``'s error after
    ``sent`` bytes (its ``bytes_written``).  OpenSSL words a send the
    connection refused -- the peer reset it, or closed it after its
    close_notify -- as ``SSLEOFError``, ``SSLZeroReturnError`` ("TLS/SSL
    connection has been closed"), or, for a send of one byte once a
    receive has met a reset, ``SSLError`` ``BAD_LENGTH``; on PyPy, a big
    send after sends the connection refused, ``OSError`` errno 0
    ("Success"): none of them a ``ConnectionError``, which a server logs
    as the peer's doing.  For
    those, the socket's own error, found by sending nothing, as a plain
    stream raises it (``BrokenPipeError``); else (the socket takes it)
    ``exc``."""
    exc.bytes_written = sent
    if (not isinstance(exc, _TLS_REFUSED) and getattr(exc, "reason", None) != "BAD_LENGTH"
            and (type(exc) is not OSError or exc.errno)):
        return exc
    try:
        socket.socket.send(sock, b"", _NO_SIGNAL)
    except OSError as error:
        error.bytes_written = sent
        error.__suppress_context__ = True   # (raise ... from None)
        return error
    return exc


_TLS_REFUSED = (ssl_module.SSLEOFError, ssl_module.SSLZeroReturnError)


def _client_context(ssl, server_hostname):
    """The SSLContext a client should use (``ssl=True``: the default one)."""
    if ssl is None or ssl is False:
        if server_hostname is not None:
            raise ValueError("server_hostname is only meaningful with ssl")
        return None
    if ssl is True:
        return ssl_module.create_default_context()
    if isinstance(ssl, ssl_module.SSLContext):
        return ssl
    raise TypeError("ssl= needs an ssl.SSLContext (or True for the default "
                    "client context), got %s" % _describe(ssl))


def _check_server_hostname(context, server_hostname, who):
    """A context that checks host names needs one: ``ValueError`` before
    connecting (ssl's "check_hostname requires server_hostname" came once
    connected, naming neither the call nor what to do)."""
    if context is not None and context.check_hostname and not server_hostname:
        raise ValueError("%s: the ssl context checks the server's certificate against a "
                         "host name, and there is none: give server_hostname=" % who)


def _close_half_wrapped(exc):
    """``wrap_socket`` failed with ``exc`` after the ``SSLSocket`` it was
    making had taken the descriptor over (the socket given to it is
    detached): a peer that reset the connection before the handshake makes
    its check for early data (``recv(1)``) raise, and ssl closes nothing.
    Close that ``SSLSocket``, found in the traceback -- CPython would close
    it once the traceback is gone (with a ``ResourceWarning``), PyPy only
    when its collector runs, the descriptor open meanwhile."""
    tb = exc.__traceback__
    while tb is not None:
        made = tb.tb_frame.f_locals.get("self")
        if isinstance(made, ssl_module.SSLSocket):
            made.close()
        tb = tb.tb_next


def _name_the_peer(exc, where):
    """Add `` (where)`` to the message of ``exc``, an ``OSError`` -- an
    ``ssl.SSLError`` (a certificate not trusted, a server that speaks no
    TLS), a reset -- whose words (OpenSSL's, the system's) name no one.  It
    is changed in place: its class and attributes (``errno``, ``reason``,
    ``verify_code`` ...) stay what ``except`` and handlers look at."""
    suffix = " (%s)" % where
    if isinstance(exc.strerror, str):   # what str() shows: SSLError's own, or "[Errno n] ..."
        exc.strerror += suffix
        if len(exc.args) >= 2:
            exc.args = (exc.args[0], exc.strerror) + exc.args[2:]
    else:                               # no errno: the message is the only argument
        exc.args = (str(exc) + suffix,)


@coroutine
def _start_stream(sock, context, server_hostname=None, accepted_from=None, peer=None):
    """A Stream over the connected ``sock``; with a context, after the TLS
    handshake (run without blocking).  ``sock`` is closed if that fails.
    ``accepted_from``: a server's socket, the peer's address as ``accept``
    gave it.  ``peer``: for a client, the server as its user named it
    (``host:port``, a path), which a failed handshake's error names."""
    if context is not None:
        try:
            sock = context.wrap_socket(sock, server_side=accepted_from is not None,
                                       server_hostname=server_hostname,
                                       do_handshake_on_connect=False)
            yield _tls_io(sock, sock.do_handshake)
        except BaseException as exc:
            if sock.fileno() == -1 and not isinstance(sock, ssl_module.SSLSocket):
                _close_half_wrapped(exc)    # wrap_socket failed, sock detached
            else:
                sock.close()
            if peer is not None and isinstance(exc, OSError):
                _name_the_peer(exc, "TLS handshake with %s" % peer)
            raise
    if accepted_from is None:
        return Stream(sock)
    return Stream._accepted(sock, accepted_from)


# ================================================================ clients

@coroutine
def getaddrinfo(host: Optional[str], port: Union[int, str, None], family: int = 0, type: int = 0,
                proto: int = 0, flags: int = 0) -> Generator[Any, Any, List[Tuple[Any, ...]]]:
    """``infos = yield getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)``

    ``socket.getaddrinfo`` without blocking the loop: a numeric address is
    converted at once, a name is resolved in a worker thread
    (``run_in_thread``).  Returns the same list of ``(family, type, proto,
    canonname, sockaddr)``.  Raises ``socket.gaierror`` naming the host
    that could not be resolved, or that is no host name at all (``"a..b"``;
    ``"[::1]"``, an address in brackets, as in a URL); ``TypeError`` naming
    a host that is no ``str``, ``bytes`` or ``None`` (a list of hosts).
    """
    return (yield from _lookup(host, port, family, type, proto, flags, _looking_up))


def _looking_up(exc, host, port):
    """A name the resolver did not know, as ``getaddrinfo`` (and a client)
    says it."""
    return socket.gaierror(exc.errno, "%s (looking up %r)" % (exc.strerror, host))


def _cannot_listen_on(exc, host, port):
    """A name to listen on that the resolver did not know, as ``tcp_server``
    and ``run_server`` say it -- the host, the port, and that the name did
    not resolve, after the resolver's words (redis-server: "Could not
    create server TCP listening socket nosuch.invalid:6379: Name or service
    not known")."""
    return socket.gaierror(exc.errno, "%s: cannot listen on %s (the name %r did not resolve)"
                           % (exc.strerror, format_address((host, port)), host))


def _lookup(host, port, family, type, proto, flags, not_found):
    """``getaddrinfo``, the resolver's own error made by ``not_found(exc,
    host, port)``."""
    try:
        return socket.getaddrinfo(host, port, family, type, proto,
                                  flags | socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
    except (socket.gaierror, UnicodeError):
        pass                            # a name: ask the resolver, off the loop
    except TypeError:                   # ("argument 1 must be string or None": which?)
        if host is not None and not isinstance(host, (str, bytes, bytearray)):
            raise TypeError("getaddrinfo(): the host must be a str (a name or an address), "
                            "bytes or None, got %r" % (host,)) from None
        raise
    if isinstance(host, str) and host[:1] == "[" and host[-1:] == "]":
        # "[::1]", as in a URL: the resolver would take it for a name.
        raise socket.gaierror(socket.EAI_NONAME, "not a host name: %r is in brackets, as in a "
                              "URL; give the IPv6 address without them: %r" % (host, host[1:-1]))
    try:
        return (yield run_in_thread(socket.getaddrinfo, host, port, family, type, proto, flags))
    except socket.gaierror as exc:
        raise not_found(exc, host, port) from None
    except UnicodeError as exc:         # "a..b", a label over 63 characters: IDNA refuses it
        raise socket.gaierror(socket.EAI_NONAME, "not a valid host name: %r (%s)"
                              % (host, exc)) from None


@coroutine
def open_connection(host: str, port: int, *, ssl: Any = None,
                    server_hostname: Optional[str] = None, timeout: Optional[float] = None,
                    local_addr: Optional[Tuple[str, int]] = None) -> Generator[Any, Any, Stream]:
    """``stream = yield open_connection(host, port, *, ssl=None,
    server_hostname=None, timeout=None, local_addr=None)``

    Connect to ``host`` (a name or an address) on ``port`` and return a
    ``Stream``.  The name is resolved in a worker thread; every address it
    has is tried in turn, IPv6 and IPv4 alike (the first of the other
    family second), each one ``HAPPY_EYEBALLS_DELAY`` seconds (0.25) after
    the one before -- which goes on meanwhile -- or at once when that one
    fails: the first to connect wins, and the others are closed (RFC 8305's
    happy eyeballs: an address that never answers holds nothing up).
    If all fail, the error is
    the last one's class and errno (``ConnectionRefusedError`` ...), its
    message naming the host and port and each address tried ("Connection
    refused (connecting to localhost:8080; tried ::1, 127.0.0.1)");
    ``socket.gaierror`` if the name does not resolve.

    ``ssl``: an ``ssl.SSLContext`` (or ``True`` for
    ``ssl.create_default_context()``) makes it a TLS connection; the
    handshake runs without blocking the loop.  The certificate is checked
    against ``server_hostname``, which defaults to ``host`` (failure:
    ``ssl.SSLCertVerificationError``).  A failed handshake raises OpenSSL's
    error (an ``ssl.SSLError``) or the socket's (``ConnectionResetError``
    ...), its message naming the server: "... (TLS handshake with
    localhost:8443)".  ``timeout`` (seconds) bounds the
    whole thing -- look-up, connection, handshake -- and raises
    ``TaskTimeout``.  ``local_addr``, a ``(host, port)`` tuple: bind there
    first (``ValueError`` for a port that is not an int from 0 to 65535).
    """
    check_port(port, "open_connection()")
    if local_addr is not None:
        if not isinstance(local_addr, tuple) or len(local_addr) != 2:
            raise TypeError("open_connection(): local_addr must be (host, port), got %r"
                            % (local_addr,))
        check_port(local_addr[1], "open_connection(): local_addr")
    context = _client_context(ssl, server_hostname)
    if server_hostname is None:
        server_hostname = host
    _check_server_hostname(context, server_hostname, "open_connection()")
    connecting = _connect_tcp(host, port, context, server_hostname, local_addr)
    if timeout is None:
        return (yield connecting)
    # What a timeout names: the user's call, not the helper behind it.
    name = "open_connection(%r, %r)" % (host, port)
    connecting.__qualname__ = name      # type: ignore[attr-defined]
    return (yield timeout_after(timeout, connecting))


@coroutine
def _connect_tcp(host, port, context, server_hostname, local_addr):
    addresses = yield getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not addresses:
        raise _no_address(host)
    local = None
    if local_addr is not None:
        local = yield getaddrinfo(local_addr[0], local_addr[1], type=socket.SOCK_STREAM,
                                  flags=socket.AI_PASSIVE)
    sock = yield _connect_first(_interleave(addresses), local, host, port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    where = format_address((host, port)) if host is not None else "port %d" % port
    return (yield _start_stream(sock, context, server_hostname, peer=where))


def _no_address(host):
    """The error for a resolver that answered with no address at all (as
    asyncio's "getaddrinfo() returned empty list")."""
    return socket.gaierror(socket.EAI_NONAME, "the resolver gave no address (looking up %r)"
                           % (host,))


def _interleave(addresses):
    """``addresses`` with the first of another family second, when the
    first two are of one family (RFC 8305 4): [v6, v6, v4] -> [v6, v4, v6],
    so a network that drops IPv6 costs one ``HAPPY_EYEBALLS_DELAY``."""
    if len(addresses) > 2 and addresses[0][0] == addresses[1][0]:
        for i, info in enumerate(addresses):
            if info[0] != addresses[0][0]:
                return [addresses[0], info] + addresses[1:i] + addresses[i + 1:]
    return addresses


@coroutine
def _connect_first(addresses, local, host, port):
    """A socket connected to the first of ``addresses`` that answers.

    They are tried in turn, each connect in a task of its own; the next
    starts when the one before has failed, or has had
    ``HAPPY_EYEBALLS_DELAY`` seconds without an answer -- it goes on
    meanwhile (RFC 8305's staggered race: an address that never answers,
    a server's IPv6 dropped on the way, does not hold the next one up until
    the system gives up on it, two minutes later).  The first to connect
    wins; every other attempt is cancelled and its socket closed, and so
    are they all if this is cancelled.  (A single address -- a numeric
    host, most often -- is connected to right here: nothing to race.)"""
    if len(addresses) == 1:
        family, kind, proto, _, address = addresses[0]
        try:
            sock = socket.socket(family, kind, proto)
        except OSError as exc:          # (EAFNOSUPPORT: no IPv6 in this system)
            raise _connect_error(host, port, [(address, exc)])
        try:
            if local is not None:
                _bind_local(sock, local)
            yield connect(sock, address)
        except BaseException as exc:
            sock.close()
            if isinstance(exc, OSError):
                raise _connect_error(host, port, [(address, exc)])
            raise
        return sock
    errors = {}                         # index -> its OSError
    ended = []                          # (index, error or None), as attempts end
    woken = Event()
    tasks = []
    sockets = {}                        # index -> its socket: all but the winner are closed
    winner = None

    def attempt(index, sock, address):
        try:
            yield connect(sock, address)
        except Exception as exc:        # (an OSError: the next address is tried)
            ended.append((index, exc))
        else:
            ended.append((index, None))
        woken.set()

    try:
        next_index = 0
        running = 0                     # attempts started that have not ended
        start = True                    # start the next address now
        while True:
            while ended:                # what has ended since the last look
                index, failure = ended.pop(0)
                running -= 1
                if failure is None:
                    winner = sockets[index]
                    return winner
                if not isinstance(failure, OSError):
                    raise failure
                errors[index] = failure
                start = True            # a failure: the next address at once
            if next_index < len(addresses) and (start or not running):
                family, kind, proto, _, address = addresses[next_index]
                try:
                    sock = sockets[next_index] = socket.socket(family, kind, proto)
                    if local is not None:
                        _bind_local(sock, local)
                except OSError as exc:
                    errors[next_index] = exc
                else:
                    tasks.append((yield spawn(attempt(next_index, sock, address),
                                              name="connect %s" % format_address(address))))
                    running += 1
                    start = False
                next_index += 1
                continue
            if not running:
                raise _connect_error(host, port, [(addresses[i][4], errors[i])
                                                  for i in sorted(errors)])
            woken.clear()
            if next_index < len(addresses):
                start = (yield ignore_after(HAPPY_EYEBALLS_DELAY, woken.wait(), False)) is False
            else:
                yield woken.wait()
    finally:
        with disable_cancellation():    # (their sockets are closed once they are gone)
            for task in tasks:
                if not task.done:
                    yield cancel(task)
        for sock in sockets.values():
            if sock is not winner:
                sock.close()


def _connect_error(host, port, errors):
    """The error of a connection that failed at every address: the last
    one's class and errno (what ``except ConnectionRefusedError`` and
    ``.errno`` look at), its message naming ``host`` and ``port`` and each
    address tried with its own error -- not only the last, which for a name
    with an IPv6 and an IPv4 address hid why the first failed."""
    def reason(exc):                    # (the trap's strerror names the address: cut)
        if exc.errno is None:
            return str(exc)
        return (exc.strerror or os.strerror(exc.errno)).split(" (connecting to ")[0]

    last = errors[-1][1]
    where = format_address((host, port)) if host is not None else "port %d" % port
    asked = host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host
    if [address[0] for address, _ in errors] != [asked]:    # a name, or several addresses
        if all(reason(exc) == reason(last) for _, exc in errors):
            where += "; tried " + ", ".join(address[0] for address, _ in errors)
        else:
            where += "; tried " + ", ".join("%s (%s)" % (address[0], reason(exc))
                                            for address, exc in errors)
    message = "%s (connecting to %s)" % (reason(last), where)
    error = type(last)(last.errno, message) if last.errno is not None else type(last)(message)
    error.__suppress_context__ = True   # (raise ... from None: all is said)
    return error


def _bind_local(sock, local):
    """Bind ``sock`` to the first of the ``local`` addresses in its family."""
    for family, _, _, _, address in local:
        if family == sock.family:
            try:
                sock.bind(address)
            except OSError as exc:      # (say it was local_addr, not the server)
                raise type(exc)(exc.errno, "%s: cannot bind to local_addr %s" % (
                    exc.strerror, format_address(address))) from None
            return
    raise OSError("local_addr has no address of family %s: %r"
                  % (socket.AddressFamily(sock.family).name, [info[4] for info in local]))


@coroutine
def open_unix_connection(path: "UnixPath", *, ssl: Any = None,
                         server_hostname: Optional[str] = None) -> Generator[Any, Any, Stream]:
    """``stream = yield open_unix_connection(path, *, ssl=None, server_hostname=None)``

    Connect to the Unix socket at ``path`` (a ``str``, ``bytes`` or
    path-like object: a ``pathlib.Path``) and return a ``Stream``.  Raises
    ``FileNotFoundError`` if nothing is there, ``ConnectionRefusedError``
    if nobody listens, ``BlockingIOError`` if the listener's backlog is
    full (it does not wait for room).  ``ssl`` as for ``open_connection`` (a failed
    handshake's error names ``path``); a context that checks host names needs
    ``server_hostname``.
    """
    context = _client_context(ssl, server_hostname)
    _check_server_hostname(context, server_hostname, "open_unix_connection()")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        yield connect(sock, os.fspath(path))
    except BaseException:
        sock.close()
        raise
    return (yield _start_stream(sock, context, server_hostname,
                                peer=format_address(os.fspath(path))))


# ================================================================ servers

@coroutine
def tcp_server(host: Optional[str], port: int, handler: Callable[[Stream, Any], Any], *,
               ssl: Any = None, backlog: int = 1024, reuse_port: bool = False,
               ready: Any = None, proxy_protocol: bool = False) -> Generator[Any, Any, None]:
    """``yield tcp_server(host, port, handler, *, ssl=None, backlog=1024,
    reuse_port=False, ready=None, proxy_protocol=False)``

    Listen on ``host`` and ``port`` (0: any free port), and serve forever:
    each connection gets a task of its own running
    ``handler(stream, address)`` -- a generator function or an ``async
    def`` -- and the stream is closed when it returns.  ``ssl``, an
    ``ssl.SSLContext`` with the server's certificate, makes every
    connection TLS; a client whose handshake fails, or has not finished
    within ``TLS_HANDSHAKE_TIMEOUT`` seconds, is logged (INFO, on the
    ``trampoline`` logger) and dropped, and the server goes on.  So does
    a handler's error: logged at ERROR with its traceback -- or, for what
    the peer did (a reset or a broken pipe: DEBUG; a timeout, or an
    ``IncompleteReadError`` from a peer that hung up in the middle of a
    message: INFO), in one line.

    ``host`` is an address, or a name resolved off the loop; the server
    listens on every address it resolves to (``"localhost"``: 127.0.0.1
    and ::1, where both are listed), one accept loop each, as asyncio's
    ``create_server`` and trio's ``open_tcp_listeners`` do.  ``""`` or
    ``None`` is every interface, IPv4 and IPv6 (``"0.0.0.0"``: IPv4 only;
    ``"::"`` alone: IPv6, and IPv4 too where the system maps it).  On
    several addresses the IPv6 sockets are ``IPV6_V6ONLY`` (so that an
    IPv4 one may have the same port), all of them have the same port --
    with port 0, the one the first address got (trio and asyncio give
    each its own) -- and an address of a family the system lacks (no
    IPv6) is skipped, with an INFO log line, as long as another one
    listens.

    ``ready`` learns the bound address (``(host, port)``: the real port,
    when 0 was asked) once the server listens: a callback is called with
    it, a ``Future`` gets it as its result, an ``Event`` is just set.  On
    several addresses, once it listens on them all: a callback is called
    with each in turn, a ``Future`` gets the first.

    ``proxy_protocol=True``: the server sits behind a balancer that sends
    the PROXY protocol (HAProxy's ``send-proxy`` or ``send-proxy-v2``).
    Each connection must begin with that header, version 1 or 2 (before
    TLS, if any); the handler's ``address`` is then the original client's,
    and ``stream.proxy_header`` the whole header (the connection's own
    addresses when it says LOCAL or UNKNOWN).  A connection whose header is
    missing, malformed, or not there within ``PROXY_HEADER_TIMEOUT``
    seconds is closed with one log line (WARNING), before the handler runs.

    Runs until cancelled; then it stops accepting, cancels the connection
    tasks (their cleanup runs; each stream is closed), and closes the
    listening sockets.  Raises the ``OSError`` of ``bind`` (``EADDRINUSE``
    ...) at the start, naming the host, the port and the address that
    failed: ``Address already in use: cannot listen on [::1]:8080
    (tcp_server('localhost', 8080), which is 127.0.0.1, ::1)``; and
    ``socket.gaierror`` for a host that does not resolve: ``Name or
    service not known: cannot listen on nosuch.invalid:8080 (the name
    'nosuch.invalid' did not resolve)``, as ``run_server`` says it.
    """
    _check_server_args(handler, ssl, ready)
    check_port(port, "tcp_server()")
    if type(backlog) is not int or backlog < 0:
        raise ValueError("tcp_server(): backlog must be an int >= 0, got %r" % (backlog,))
    infos = yield from _lookup(host or None, port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE,
                               _cannot_listen_on)
    listeners = _listen_on_all(host, port, infos, backlog, reuse_port)
    if len(listeners) == 1:             # (as it always was: one accept loop, this task)
        return (yield _serve(listeners[0], handler, ssl, ready, proxy_protocol))
    try:
        if ready is not None:
            _report_ready_all(ready, [listener.getsockname() for listener in listeners])
        # One accept loop per listener, each in a task of its own: if one
        # fails, select cancels the others (which end their connections)
        # and raises its error; cancelled, it cancels them all.
        yield select_first(*[_serve(listener, handler, ssl, None, proxy_protocol)
                       for listener in listeners])
    finally:
        for listener in listeners:      # (those whose loop never ran; twice is harmless)
            listener.close()


#: How many times ``tcp_server`` on several addresses with port 0 tries a
#: new port, when the one the first address got is taken on another.
SHARED_PORT_TRIES = 10

# A family this system lacks (no IPv6: the socket, or ::1, cannot be had).
_NO_SUCH_FAMILY = {errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL}


def _listen_on_all(host, port, infos, backlog, reuse_port, who="tcp_server"):
    """The listening sockets of ``tcp_server(host, port)`` (or of ``who``:
    ``run_server``) on every address of ``infos`` (what ``getaddrinfo``
    said ``host`` is), each once, all on one port: with port 0, the first
    one's, tried again on a new one (``SHARED_PORT_TRIES``) when another
    address has it taken.  With several addresses, IPv6 sockets are
    ``IPV6_V6ONLY`` (an IPv4 one shares the port), and an address of a
    family the system lacks is skipped, with a log line, if another one
    listens.  An error names the call, the host, the port, and the address."""
    addresses = []                      # (family, sockaddr), each once, in the resolver's order
    for family, _, _, _, sockaddr in infos:
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise _no_address(host)
    several = len(addresses) > 1
    for _ in range(SHARED_PORT_TRIES):
        listeners = []
        skipped = []
        chosen = port
        try:
            for family, sockaddr in addresses:
                sockaddr = (sockaddr[0], chosen) + tuple(sockaddr[2:])
                try:
                    listener = _listening(family, sockaddr, backlog, reuse_port, several)
                except OSError as exc:
                    if several and exc.errno in _NO_SUCH_FAMILY:
                        skipped.append((sockaddr, exc))
                        continue
                    if port == 0 and listeners and exc.errno == errno.EADDRINUSE:
                        break           # the first one's port is taken here: another
                    raise _listen_error(exc, host, port, sockaddr, addresses, who) from None
                listeners.append(listener)
                chosen = listener.getsockname()[1]
            else:
                if not listeners:
                    raise _listen_error(skipped[-1][1], host, port, skipped[-1][0],
                                        addresses, who) from None
                for lacking, error in skipped:
                    log.info("%s(%r, %d): not listening on %s: %s", who, host, port,
                             format_address(lacking), error.strerror or error)
                return listeners
        except BaseException:
            for listener in listeners:
                listener.close()
            raise
        for listener in listeners:
            listener.close()
    raise _listen_error(OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE)), host, port,
                        None, addresses, who, "no port free on every address in %d tries"
                        % SHARED_PORT_TRIES)


def _listen_error(exc, host, port, sockaddr, addresses, who, why=None):
    """``exc``, an ``OSError`` of listening on ``sockaddr`` (one of
    ``addresses``), as ``tcp_server(host, port)`` (``who``) raises it: the
    same class and errno, its message naming all three."""
    where = ", ".join(_format_host(address[0]) for _, address in addresses)
    message = "%s%s (%s(%r, %d)%s%s)" % (
        exc.strerror or exc,
        "" if sockaddr is None or "cannot listen on" in str(exc.strerror)
        else ": cannot listen on %s" % format_address(sockaddr),
        who, host, port,
        ": %s" % why if why else "",
        ", which is %s" % where if host != where else "")
    return type(exc)(exc.errno, message) if exc.errno is not None else type(exc)(message)


def _format_host(host):
    return "every IPv4 interface" if host == "0.0.0.0" else \
        "every IPv6 interface" if host == "::" else host


def _report_ready_all(ready, addresses):
    """``ready`` of a server on several ``addresses``: a callback is called
    with each, a ``Future`` gets the first, an ``Event`` is set."""
    if hasattr(ready, "set_result") or hasattr(ready, "set"):
        _report_ready(ready, addresses[0])
    else:
        for address in addresses:
            ready(address)


@coroutine
def unix_server(path: "UnixPath", handler: Callable[[Stream, Any], Any], *, ssl: Any = None,
                backlog: int = 1024, ready: Any = None,
                proxy_protocol: bool = False) -> Generator[Any, Any, None]:
    """``yield unix_server(path, handler, *, ssl=None, backlog=1024, ready=None,
    proxy_protocol=False)``

    ``tcp_server`` on a Unix socket at ``path`` (a ``str``, ``bytes`` or
    path-like object; a stale socket file there is replaced), or on Linux at an abstract name (``"\\0name"``: no
    file).  ``ready`` gets the path; the handler gets the peer's address
    (usually ``""``: clients are rarely bound).  When cancelled it also
    removes the socket file, unless another server has replaced it.
    """
    _check_server_args(handler, ssl, ready)
    listener = listen(os.fspath(path), backlog=backlog)
    socket_file = _socket_file(listener)
    try:
        return (yield _serve(listener, handler, ssl, ready, proxy_protocol))
    finally:
        _remove_socket_file(socket_file)


def _socket_file(listener):
    """``(path, inode)`` of the socket file a Unix ``listener`` is bound
    to, for ``_remove_socket_file`` to remove it later if it is still
    this one; ``None`` for a Linux abstract name (``"\0name"``, or
    autobind's): no file (or none left)."""
    bound = listener.getsockname()
    if not bound or bound[:1] in ("\0", b"\0"):
        return None
    try:
        return bound, os.stat(bound).st_ino
    except OSError:                     # pragma: no cover - a race: removed right after bind
        return None


def _remove_socket_file(socket_file):
    """Remove the socket file ``_socket_file`` noted, unless it is gone or
    another server has replaced it meanwhile."""
    if socket_file is None:
        return
    path, inode = socket_file
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError:
        pass                            # already gone


@coroutine
def serve(listener: socket.socket, handler: Callable[[Stream, Any], Any], *, ssl: Any = None,
          ready: Any = None, proxy_protocol: bool = False) -> Generator[Any, Any, None]:
    """``yield serve(listener, handler, *, ssl=None, ready=None, proxy_protocol=False)``

    The server loop of ``tcp_server`` and ``unix_server``, on a listening
    socket you made (with ``listen()``, or inherited): accept forever, one
    ``handler(stream, address)`` task per connection.  It owns the
    listener from then on and closes it when cancelled -- but a Unix
    listener's socket file stays where it is: whoever made it removes it
    (the socket may be inherited, as systemd hands one over, and its file
    kept for the next process); ``unix_server`` removes its own, and
    ``listen`` replaces a stale one.  A socket that is not a stream socket
    (a datagram one: nothing to accept) raises ``ValueError`` naming it,
    and is left to its owner.
    """
    _check_server_args(handler, ssl, ready)
    _check_stream_socket(listener, "serve()")
    return (yield _serve(listener, handler, ssl, ready, proxy_protocol))


def _check_stream_socket(sock, who):
    """``ValueError`` naming ``sock`` and ``who`` was given it, if it is a
    socket but not a stream one (TCP, Unix): a datagram socket has no
    connections to accept and no stream to read.  (Something that is no
    socket at all the traps name.)"""
    if isinstance(sock, socket.socket) and sock.type != socket.SOCK_STREAM:
        kind = sock.type.name if isinstance(sock.type, socket.SocketKind) else sock.type
        raise ValueError("%s needs a stream socket (TCP or Unix, SOCK_STREAM), got a %s "
                         "socket: %r%s" % (who, kind, sock,
                                           "; udp_socket() and the recvfrom and sendto "
                                           "traps serve datagrams"
                                           if sock.type == socket.SOCK_DGRAM else ""))


def _check_server_args(handler, ssl, ready):
    if not callable(handler):
        raise TypeError("the handler must be a function handler(stream, address), got %s"
                        % _describe(handler))
    if ssl is not None and not isinstance(ssl, ssl_module.SSLContext):
        raise TypeError("a server's ssl= needs an ssl.SSLContext holding its "
                        "certificate, got %s" % _describe(ssl))
    if ready is not None and not (hasattr(ready, "set_result") or hasattr(ready, "set")
                                  or callable(ready)):
        raise TypeError("ready= needs a callback, a Future or an Event, got %s"
                        % _describe(ready))


def _report_ready(ready, address):
    if hasattr(ready, "set_result"):        # a Future
        ready.set_result(address)
    elif hasattr(ready, "set"):             # an Event: no room for the address
        ready.set()
    else:
        ready(address)


# accept() errors a server lives through: out of descriptors or memory
# (wait a little, then try again) ...
_ACCEPT_RETRY = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
# ... and one connection's own failure before it was accepted -- reset,
# aborted, or a network error Linux hands to accept() (see accept(2)), a
# firewall's EPERM: that connection is gone, the next one is taken at once,
# and nothing is logged (trio's list).
_ACCEPT_SKIP = {getattr(errno, name) for name in (
    "ECONNABORTED", "ECONNRESET", "EPROTO", "EPERM", "ETIMEDOUT", "ENETDOWN", "ENETUNREACH",
    "EHOSTDOWN", "EHOSTUNREACH", "ENONET", "ENOPROTOOPT", "EOPNOTSUPP", "ENOSR",
    "ESOCKTNOSUPPORT", "EPROTONOSUPPORT") if hasattr(errno, name)}
_ACCEPT_REPORT_EVERY = 1.0       # seconds: at most one log line per this, about those failures


class _Reporter:
    """One server's log lines about the clients that failed before their
    handler ran (a TLS handshake, a PROXY header): of each kind and level,
    the first is logged, and then at most one every
    ``_ACCEPT_REPORT_EVERY`` seconds, saying how many were not -- a flood
    of bad clients (a scanner, plain HTTP sent to a TLS port) must not
    flood the log."""

    __slots__ = ("kinds",)

    def __init__(self):
        self.kinds = {}                 # (kind, level) -> [when last logged, how many since]

    def __call__(self, kind, level, message, *args):
        now = time.monotonic()
        state = self.kinds.get((kind, level))
        if state is None:
            state = self.kinds[kind, level] = [now - _ACCEPT_REPORT_EVERY, 0]
        if now - state[0] < _ACCEPT_REPORT_EVERY:
            state[1] += 1
            return
        if state[1]:
            message += " (and %d more like it since the last report)"
            args += (state[1],)
        log.log(level, message, *args)
        state[0], state[1] = now, 0


@coroutine
def _serve(listener, handler, context, ready, proxy_protocol=False, handover=None):
    """The accept loop.  ``handover``, if given, is a ``_HandOver``: when
    its ``draining`` is true a cancellation means "leave gracefully"
    (``run_server``'s drain): then the connections already queued in the
    listener are accepted and served too, and the connection tasks are
    waited for rather than cancelled -- until a second cancellation, which
    cancels them."""
    if type(proxy_protocol) is not bool:
        listener.close()
        raise TypeError("proxy_protocol= must be True or False, got %s"
                        % _describe(proxy_protocol))
    connections = {}                    # socket -> its connection's task, while it runs
    report = _Reporter()                # its clients' failed handshakes and PROXY headers
    name = getattr(handler, "__name__", "handler")
    # Every peer an IPv4 listener accepts is (dotted quad, port): its task's
    # name is made without a look at the address first (a few hundred
    # instructions).  (getattr: a listener that is no socket is the accept
    # trap's to name.)
    ipv4 = getattr(listener, "family", None) == socket.AF_INET

    def start(conn, address):           # spawn a connection's task (the hand-over's)
        return spawn(_connection(conn, address, handler, context, connections,
                                 proxy_protocol, handover, report),
                     name="%s %s" % (name, format_address(address)))
    try:
        if ready is not None:
            _report_ready(ready, listener.getsockname())
        backoff = 0.0
        reported = None                 # when the last failure was logged
        unreported = 0                  # failures since then
        while True:
            try:
                conn, address = yield accept(listener)
            except OSError as exc:
                if exc.errno in _ACCEPT_SKIP:
                    continue
                if exc.errno not in _ACCEPT_RETRY:
                    raise
                # Out of descriptors (or memory): the connections we have go
                # on being served; wait, a little longer each time, and try
                # again -- neither crash nor spin.  (Each connection that
                # leaves lets one in, and the next accept fails again: said
                # at most once every _ACCEPT_REPORT_EVERY seconds.)
                backoff = min(max(backoff * 2, 0.01), 1.0)
                now = time.monotonic()
                if reported is None or now - reported >= _ACCEPT_REPORT_EVERY:
                    # (Which server: several may share the process and its log.)
                    log.warning("accept() on %s failed: %s; retrying in %.2f s%s",
                                _where(listener), exc, backoff,
                                " (failed %d more times since the last report)" % unreported
                                if unreported else "")
                    reported, unreported = now, 0
                else:
                    unreported += 1
                yield sleep(backoff)
                continue
            backoff = 0.0
            # start(conn, address), written out: a call less per connection;
            # and an IPv4 peer's name in one f-string, with no format string
            # to parse and no format_address call (~1,000 instructions).
            if ipv4:
                task_name = f"{name} {address[0]}:{address[1]}"
            else:
                task_name = "%s %s" % (name, format_address(address))
            # (Its task runs only after this: the entry is there before it ends.)
            connections[conn] = yield spawn(
                _connection(conn, address, handler, context, connections, proxy_protocol,
                            handover, report), name=task_name)
    finally:
        if handover is not None and handover.draining:
            yield _hand_over(listener, start, connections)
        listener.close()                # no more connections
        tasks = list(connections.items())
        # Cancellation deferred: left by an expired timeout, this task would
        # get it again at every join, and at one of these cancels once past
        # its budget -- and the connections after it would run on.
        with disable_cancellation():
            for _, task in tasks:
                yield cancel(task, wait=False)
            for conn, task in tasks:
                try:
                    yield join(task)
                except TaskError:
                    pass                # cancelled, as asked
                conn.close()            # if it never ran, nobody else will


def _where(listener):
    """Where ``listener`` listens, for a log line: host:port, or a path."""
    try:
        address = listener.getsockname()
    except OSError:
        return "a closed socket"
    return format_address(address)


@coroutine
def _hand_over(listener, start, connections):
    """A graceful leave: serve what the listener has queued (those clients
    are connected already: closing the listener would reset them), close
    it, and let every connection finish -- until cancelled again."""
    listener.setblocking(False)
    while True:
        try:
            conn, address = listener.accept()
        except OSError:                 # BlockingIOError: the queue is empty
            break
        conn.setblocking(False)         # as the accept trap leaves it
        if conn.family != socket.AF_UNIX:
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:             # pragma: no cover - macOS: one reset already
                pass
        connections[conn] = yield start(conn, address)
    listener.close()
    try:
        for task in list(connections.values()):
            yield _join_reporting(task)
    except Cancelled:
        pass                            # the grace is over: the caller cancels the rest


def _join_reporting(task):
    """Wait for a connection task; if it crashed, log it (joining it took
    the report the kernel would have written)."""
    try:
        yield join(task)
    except TaskError as exc:
        if not task.cancelled:
            log.error("Task %d %s crashed while its server was leaving", task.id, task.name,
                      exc_info=exc.__cause__)


class _HandOver:
    """What ``run_server``'s graceful leave shares with its accept loop
    (``_serve``'s ``handover``) and its connections.

    ``draining`` says that a cancellation of the accept loop is a hand-over
    (see ``_serve``); ``serving`` holds the streams of the connections whose
    handler runs.  ``stop()`` starts the leave: every handler, the next time
    it waits for input with nothing left to read, sees the end of the
    stream (``_stop_reading``) -- the waiting client is idle, between two
    requests.  Except on a *new* connection, one that has not received or
    written a byte yet: its first request is on its way (a balancer sends
    it right after connecting; a TLS client one round trip after the
    handshake), and an end of stream now would drop it unanswered.  Such a
    stream stops its reading itself once it has begun (``Stream._begun``:
    its handler writes, or asks for input a second time) -- so does every
    connection that gets to its handler from then on (a client queued in
    the listener, one still in its PROXY header or TLS handshake).  This is Go's ``Shutdown`` rule: a
    new connection is not idle -- for a while: ``sweep`` stops the reading
    of one that is still new after ``NEW_CONNECTION_GRACE`` seconds (it may
    never speak; or its handler reads and writes the socket with the traps
    themselves, which its stream does not see).  The connection tasks run
    their handlers themselves: a hand-over needs no task of its own per
    connection.
    """

    def __init__(self):
        self.draining = False
        self.serving = set()

    def stop(self):
        self.draining = True
        for stream in self.serving:
            if stream._new_in is None:
                stream._reading_stopped = True
                _stop_reading(stream.sock)

    def sweep(self):
        """The drain's task beside ``stop()``: every ``NEW_CONNECTION_GRACE``
        seconds, stop the reading of the connections that were new at the
        last look and still are.  Runs until cancelled."""
        seen = set()                    # type: set
        while True:
            yield sleep(NEW_CONNECTION_GRACE)
            new = {stream for stream in self.serving if stream._new_in is not None}
            for stream in new & seen:
                stream._begun()         # (draining: its reading stops)
            seen = new - seen

    def admit(self, stream):
        """A connection gets to its handler: it is new until its first
        byte comes or goes (see ``Stream._begun``)."""
        if not stream._buffer:          # (bytes in hand: the client has spoken)
            stream._new_in = self
            stream._direct = False      # (its reads and writes see to that until it begins)
        self.serving.add(stream)


def _stop_reading(sock):
    """Half-close ``sock`` for reading: a reader waiting on it, or the next
    one that finds nothing left to read, gets the end of the stream.  (A
    stream whose reading a server's leave stops is marked
    ``_reading_stopped``: over TLS it does not answer that end as the
    peer's close_notify, and its handler may still write.)
    (``socket.socket.shutdown``, not ``SSLSocket.shutdown``, which would
    also drop the TLS session that the reply still needs.  OpenSSL sees that
    end of stream without the client's close_notify: with
    ``OP_IGNORE_UNEXPECTED_EOF``, set by ``run_server``, it just says so.)"""
    try:
        socket.socket.shutdown(sock, socket.SHUT_RD)
    except OSError:
        pass                            # closed or reset already: nothing to stop


@coroutine
def _connection(conn, address, handler, context, connections, proxy_protocol, handover,
                report):
    """One connection's task: the PROXY header and TLS handshake if any,
    then the handler -- run right here, as a subroutine of this task."""
    peer = address                      # the socket's peer (address: the client's)
    try:
        header = None
        if proxy_protocol:
            header = yield _proxy_header(conn, address, report)
            if header is None:
                return
            if header.source is not None:
                address = header.source
        if context is None:
            stream = Stream._accepted_plain(conn, peer)
        else:
            try:
                stream = yield timeout_after(TLS_HANDSHAKE_TIMEOUT,
                                             _start_stream(conn, context, accepted_from=peer))
            except TaskTimeout:         # (first: it is a TimeoutError, an OSError)
                report("tls", logging.INFO, "TLS handshake with %s failed: not finished "
                       "within %g s", format_address(address), TLS_HANDSHAKE_TIMEOUT)
                return
            except OSError as exc:
                report("tls", logging.INFO, "TLS handshake with %s failed: %s",
                       format_address(address), exc)
                return
        if header is not None:
            stream.proxy_header = header
        # (try/finally, not "with stream": a with statement would hold a
        # bound __exit__ for the connection's whole life, 64 bytes each.)
        try:
            coro = handler(stream, address)
            if type(coro) is not GeneratorType and type(coro) is not CoroutineType:
                raise TypeError(
                    "the handler %s returned %s; it must be a generator function "
                    "or an async def" % (getattr(handler, "__qualname__", handler),
                                         _describe(coro)))
            if handover is not None:        # (run_server: see _HandOver)
                handover.admit(stream)
            try:
                # The handler runs as the kernel's subroutine call, not
                # delegated to (yield from): then every trap it yields,
                # every request, would pass through this frame too (~250
                # instructions each); the call costs once per connection.
                yield coro
            except _PEER_TROUBLE as exc:
                if isinstance(exc, ConnectionRefusedError):
                    raise               # the handler's own connect: a crash, reported
                _log_peer_trouble(address, exc)
            finally:
                if handover is not None:
                    handover.serving.discard(stream)
        finally:
            stream._close()             # (close(), less the generator it returns)
    finally:
        connections.pop(conn, None)


# What one connection's peer can do to it -- reset it, close it under a
# write, stop answering, hang up in the middle of a message -- is ordinary
# network life, not a bug in the handler: one line in the log (DEBUG for a
# reset or a broken pipe, INFO for the others), never a crash report.
# Anything else a handler raises is still reported, with its traceback -- ConnectionRefusedError too: only a connect gets it, and the
# accepted peer made none (the handler's own backend refused).
_PEER_TROUBLE = (ConnectionError, TimeoutError, IncompleteReadError)


def _log_peer_trouble(address, exc):
    level = logging.DEBUG if isinstance(exc, ConnectionError) else logging.INFO
    log.log(level, "connection from %s ended: %s: %s", format_address(address),
            type(exc).__name__, exc)


@coroutine
def _proxy_header(conn, address, report):
    """The PROXY header ``conn`` begins with, read within
    ``PROXY_HEADER_TIMEOUT`` seconds; or ``None``, once ``conn`` is closed
    and the reason logged (at most once a second, the next line counting
    the others): at WARNING, or at INFO for a connection that closed
    without sending a byte (a balancer's plain TCP health check)."""
    level = logging.WARNING
    try:
        return (yield timeout_after(PROXY_HEADER_TIMEOUT, _read_proxy_header(conn)))
    except TaskTimeout:
        reason = "no PROXY header within %g s" % PROXY_HEADER_TIMEOUT
    except ProxyProtocolError as exc:
        reason = str(exc)
        if exc.offset is None:          # it ended before sending anything
            level = logging.INFO
    except OSError as exc:
        reason = "%s, before its PROXY header was complete" % exc
    report("proxy", level, "closing the connection from %s: %s", format_address(address),
           reason)
    conn.close()
    return None


@coroutine
def _read_proxy_header(sock):
    """Read the PROXY header at the start of ``sock`` and not one byte
    more: peek at what has come, and take off the socket only the bytes
    that belong to the header -- what follows (a TLS handshake, a request)
    stays for whoever reads next.  (Once a version 2 header has told its
    length, the rest is simply read.)"""
    received = bytearray()
    needed = None                       # the header's whole length, once known
    while True:
        try:
            if needed is None:
                data = sock.recv(PROXY_PEEK, socket.MSG_PEEK)
            else:
                data = sock.recv(needed - len(received))
        except BlockingIOError:
            yield traps.read_wait(sock)
            continue
        if not data:
            if not received:
                raise ProxyProtocolError("the connection ended before its PROXY header",
                                         None)
            raise ProxyProtocolError("the connection ended after %d bytes, before its "
                                     "PROXY header was complete: %r"
                                     % (len(received), bytes(received[:40])), len(received))
        if needed is not None:
            received += data
            if len(received) < needed:
                continue
            return parse_header(received)[0]
        result = parse_header(received + data)
        if result is None:              # every byte seen is the header's: take them all
            received += _recv_exactly(sock, len(data))
            needed = header_length(received)
            continue
        header, length = result
        _recv_exactly(sock, length - len(received))
        return header


def _recv_exactly(sock, n):
    """Take ``n`` bytes that a peek has shown are there."""
    chunks = []
    while n > 0:
        chunk = sock.recv(n)
        if not chunk:                   # pragma: no cover - a peek showed them
            raise ProxyProtocolError("the connection ended inside its PROXY header")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)
