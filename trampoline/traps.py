"""Traps: the system calls of trampoline.

A task is a generator.  When it wants something from the outside world it
``yield``\\ s a *trap*: a small object that names an operation and holds its
arguments, nothing more.  The kernel (``kernel.py``) looks the trap's type up
in one table, performs the operation, and sends the result back in at the
``yield`` -- or throws the error in there.  So, inside a task::

    data = yield read(sock, 65536)

reads like a blocking call, yet the kernel runs other tasks while this one
waits.  ``await read(sock, 65536)`` works the same in an ``async def``.

Each trap is a class whose constructor checks its arguments, so a wrong
argument raises right at the line that made the trap, in the task that made
it.  (``sleep``, the commonest, is a function that makes a ``Sleep``: a
call of a function costs less than half of a class's, and every task
switch makes one.)  Traps hold data only: what they *do* lives in the kernel, one handler per
trap (``Kernel._trap_read`` and so on).  This module must never import the
kernel, touch a socket, or block.
"""

import errno
import io
import socket
import sys
import weakref
from types import AsyncGeneratorType, CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any, Generator, Optional, Tuple

if TYPE_CHECKING:                       # (what socket.send takes: bytes, bytearray,
    from _typeshed import ReadableBuffer  # memoryview, array.array, mmap...)

from .errors import Cancelled
from .task import Task

_PYPY = sys.implementation.name == "pypy"

__all__ = [
    "Trap", "read", "write", "accept", "connect", "sleep", "Sleep", "spawn", "join",
    "cancel", "current", "read_wait", "write_wait", "call", "recvfrom", "sendto",
    "park", "set_alarm", "clear_alarm", "current_kernel", "PARKED",
]


#: What a trap handler returns when the task must wait (the kernel's
#: handlers, and the descriptor layer's).  Anything else a handler returns is
#: the trap's result, sent straight back into the task.
PARKED = object()


class Trap:
    """Base class of every trap.

    A trap is awaitable, so ``async def`` code can ``await`` it: its
    ``__await__`` yields the trap itself to the kernel and returns whatever
    the kernel sends back.
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield self)

    # ``yield from sleep(1)`` in a generator, as ``yield sleep(1)`` and
    # ``await sleep(1)``: the same generator, which yields the trap itself.
    __iter__ = __await__

    def __repr__(self) -> str:
        fields = " ".join("%s=%s" % (name, _short(getattr(self, name)))
                          for name in self._shown)
        return "<%s %s>" % (type(self).__name__, fields) if fields else "<%s>" % type(self).__name__

    _shown = ()                 # type: Tuple[str, ...]


def _short(value):
    if isinstance(value, Task):     # not its full repr: that may name this trap
        return "<Task %d %s>" % (value.id, value.name)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fileno(fileobj, trap_name):
    """The file descriptor behind ``fileobj`` (a socket, anything with a
    ``fileno()`` method, or an int), or a clear error naming the trap."""
    if type(fileobj) is int:
        fd = fileobj
    else:
        try:
            fd = fileobj.fileno()
        except (AttributeError, io.UnsupportedOperation):
            raise TypeError(
                "%s() needs a socket, a file object or a file descriptor "
                "(int), got %s" % (trap_name, _describe(fileobj))) from None
        except ValueError as exc:  # a closed io file: "I/O operation on closed file"
            raise OSError(errno.EBADF, "%s(): %r is closed (%s)" % (trap_name, fileobj, exc)) from None
    if fd < 0:
        raise OSError(errno.EBADF, "%s(): %r is closed" % (trap_name, fileobj))
    return fd


def _describe(value):
    return "%s %s" % (type(value).__name__, _short(value))


def _awaited_already(coro):
    """The error for a coroutine yielded (called) while it waits in another
    task: resuming it would take it over.  ``await`` gives Python's own."""
    return RuntimeError(
        "coroutine %s() is being awaited already -- another task is running it: a coroutine "
        "runs once, in one task; call %s(...) again for another"
        % (coro.__qualname__, coro.__name__))


def _check_coro(coro, trap_name):
    """A generator or coroutine object, or a TypeError that says what to do."""
    kind = type(coro)
    if kind is GeneratorType or kind is CoroutineType:
        if kind is CoroutineType and coro.cr_await is not None:
            raise _awaited_already(coro)
        return coro
    if callable(coro):
        raise TypeError(
            "%s() needs a generator or coroutine object, got the function %s "
            "itself; call it: %s(%s(...))" % (
                trap_name, getattr(coro, "__qualname__", coro), trap_name,
                getattr(coro, "__name__", "f")))
    if kind is AsyncGeneratorType:      # (an async def with a yield in it)
        raise TypeError("%s() needs a generator or coroutine object, got the async generator "
                        "%s: it is no task, but a stream of values -- iterate it with "
                        "'async for' in an async def" % (trap_name, _short(coro)))
    if hasattr(coro, "__await__"):      # a Future, a trap, another library's coroutine
        raise TypeError("%s() needs a generator or coroutine object, got the awaitable %s: "
                        "await it in a coroutine of your own -- async def main(): return "
                        "await it -- and give %s() that" % (trap_name, _describe(coro),
                                                            trap_name))
    # (The commonest way to get here: main() whose body has no yield yet
    # runs when called, and run() gets what it returned.)
    raise TypeError("%s() needs a generator or coroutine object, got %s (a function "
                    "with no yield in it runs when called and returns that: a task's "
                    "function needs a yield, or async def)" % (trap_name, _describe(coro)))


# A generator that is handed work (a coroutine to run) and is yielded as a
# trap -- timeout_after(5, coro), shield(coro), select(...) -- may be
# dropped by the kernel before it ever runs: a cancellation came first, as
# its task's budget ran out.  The kernel closes it then, as it closes a
# dropped spawn's coroutine; but closing a generator that has not started
# runs none of its code, and the work it holds would be left to warn that
# it was never awaited.  So such a generator is made *primed*: run to a
# first bare ``yield`` before it is handed out, where closing it reaches
# its code.  Its body begins:
#
#     try:
#         yield                       # primed: here until its task runs it
#     except GeneratorExit:
#         _close_dropped(itself, coro)     # dropped before it ran
#         raise

def _prime(gen, itself):
    """Run ``gen``, a generator begun as above and handed ``itself``, an
    empty list, to its first ``yield``; ``itself`` then holds a weak
    reference to it.  (``itself = []; return _prime(body(itself, ...),
    itself)``: a call with no ``*args``, as this is on the way of every
    call of these functions.)"""
    itself.append(weakref.ref(gen))
    next(gen)
    return gen


def _close_dropped(itself, *work):
    """A primed generator was closed before it ran: close the generators and
    coroutines in ``work`` -- if someone closed it (the kernel dropping it,
    whose weak reference ``itself`` is alive then).  Freed unused instead (a
    forgotten ``yield``; its weak reference died first), it leaves them be,
    for Python to warn that they were never awaited."""
    if itself[0]() is None:
        return
    for each in work:
        if type(each) is GeneratorType or type(each) is CoroutineType:
            each.close()


# ===================================================================== I/O

class read(Trap):
    """``data = yield read(fileobj, nbytes)``

    Wait until ``fileobj`` is readable, then read at most ``nbytes`` bytes.
    Returns them (``bytes``); ``b""`` means end of stream.  Sockets are read
    with ``recv``; pipes, ttys and other descriptors (anything with
    ``fileno()``, or an int) with ``os.read``.

    Raises ``ValueError`` for a size below 1, ``TypeError`` for something
    that is not a file, ``OSError`` (``EBADF``) for a closed one, the
    ``OSError`` of the read itself (``ConnectionResetError``...), and
    ``ResourceBusy`` if another task is already reading this descriptor.
    Blocks while no data is available.  A socket that is listening, or
    was never connected, raises ``OSError(ENOTCONN)`` naming it and saying
    so ("read() of the listening socket 127.0.0.1:8000: accept() its
    connections instead") -- a listening one once a connection comes: that
    is when it turns readable (``read`` waits first; asyncio and trio,
    which try first, raise the bare error at once).

    A socket is read as soon as the poller reports it readable, before its
    reader runs.  If the reader is cancelled (or timed out) in between, the
    bytes are not lost: the kernel keeps them, and the next ``read`` of that
    socket returns them first (``read_wait`` returns at once meanwhile; the
    socket's own ``recv`` does not see them).
    """

    __slots__ = ("fileobj", "fd", "nbytes", "waited")
    _shown = ("fd", "nbytes")

    def __init__(self, fileobj: Any, nbytes: int) -> None:
        if type(nbytes) is not int or nbytes < 1:
            _bad_size("read", nbytes)
        try:                            # (inline: the common case costs no call)
            fd = fileobj.fileno()
        except Exception:
            fd = -1
        self.fd = fd if fd >= 0 else _fileno(fileobj, "read")
        self.fileobj = fileobj
        self.nbytes = nbytes
        # Set by the kernel once this trap has waited for readiness: from then
        # on the read itself is tried.  Reading *before* waiting would mostly
        # fail with an exception (the data is not there yet), so we wait first.
        self.waited = False


def _bad_size(trap_name, nbytes):
    if type(nbytes) is not int:
        raise TypeError("%s(): nbytes must be an int, got %s" % (trap_name, _describe(nbytes)))
    raise ValueError("%s(): nbytes must be at least 1, got %d" % (trap_name, nbytes))


class write(Trap):
    """``yield write(fileobj, data)``

    Write all of ``data`` (``bytes``, ``bytearray``, ``memoryview``, or
    any other bytes-like object: an ``array.array``, an ``mmap``... as
    ``socket.send`` takes), waiting whenever the descriptor's buffer is
    full.  Returns ``None`` once everything is written.

    If the task is cancelled midway, the ``Cancelled`` (or other) exception
    raised carries ``bytes_written``: how much of ``data`` went out.  Raises
    ``TypeError`` for a payload that is not bytes-like (``str`` must be
    encoded first), ``OSError`` for a closed descriptor or a failed write
    (``BrokenPipeError``, ``ConnectionResetError``...), ``ResourceBusy`` if
    another task is already writing this descriptor.
    """

    __slots__ = ("fileobj", "fd", "data", "sent", "waited")
    _shown = ("fd", "nbytes")

    def __init__(self, fileobj: Any, data: "ReadableBuffer") -> None:
        if type(data) is not bytes:     # (the common case checks nothing more)
            data = _check_data(data)
        try:
            fd = fileobj.fileno()
        except Exception:
            fd = -1
        self.fd = fd if fd >= 0 else _fileno(fileobj, "write")
        self.fileobj = fileobj
        self.data = data
        self.sent = 0           # bytes written so far (the kernel updates it)
        self.waited = False     # parked until writable (the kernel sets it)

    @property
    def nbytes(self) -> int:
        """How many bytes there are to write, in all."""
        return memoryview(self.data).nbytes


def _check_data(data, trap_name="write"):
    """``data`` as ``write`` and ``sendto`` send it -- bytes, a bytearray,
    or a memoryview counted in bytes -- or a TypeError saying what it is.
    Any object with the buffer protocol is taken (an ``array.array``, a
    ``ctypes`` array, an ``mmap``: what ``socket.send`` takes), as a flat
    view of its bytes; one that is not contiguous is copied (under PyPy,
    every one)."""
    if type(data) is bytes or type(data) is bytearray:
        return data
    try:
        view = data if type(data) is memoryview else memoryview(data)
    except TypeError:
        raise TypeError(
            "%s() needs bytes, a bytearray, a memoryview or another bytes-like object, "
            "got %s%s" % (
                trap_name, _describe(data),
                "; encode it first" if isinstance(data, str) else "")) from None
    if not view.c_contiguous:
        return view.tobytes()           # (send() takes only a contiguous buffer)
    if view.itemsize != 1 or view.ndim != 1:
        view = view.cast("B")           # count bytes, not items
    if _PYPY:                           # pragma: no cover - PyPy reads a slice of a cast
        # view (the rest of a write done in part) item by item -- 3 MB took 4 s --
        # and the view given may be a cast one: one copy instead.
        return view.tobytes()
    return view


class accept(Trap):
    """``conn, addr = yield accept(listener)``

    Wait for a connection on a listening socket and accept it.  ``conn`` is
    non-blocking, with ``TCP_NODELAY`` set for TCP.  Raises the ``OSError``
    of ``accept`` itself (``EMFILE`` when out of descriptors...); of a
    socket that is not listening (``EINVAL``; ``EOPNOTSUPP`` for a
    datagram socket), naming it and saying so.  Blocks while no connection
    is pending.
    """

    __slots__ = ("fileobj", "fd", "waited")
    _shown = ("fd",)

    def __init__(self, listener: Any) -> None:
        self.fd = _fileno(listener, "accept")
        if not hasattr(listener, "accept"):
            raise TypeError("accept() needs a listening socket, got %s" % _describe(listener))
        self.fileobj = listener
        self.waited = False


class connect(Trap):
    """``yield connect(sock, address)``

    Connect ``sock`` (made non-blocking) to ``address`` and return ``None``
    once connected.  Raises the connection's ``OSError``
    (``ConnectionRefusedError``, ``TimeoutError``...; ``BlockingIOError``
    naming the path when a Unix listener's backlog is full -- asyncio and
    trio return as if connected then).  Blocks while the connection is in
    progress.  ``address`` must be numeric: a host name
    raises ``ValueError`` (looking it up would block every task; asyncio
    and trio resolve it for you) -- resolve it first with ``yield
    getaddrinfo(...)``, or use ``open_connection``.

    A connect cancelled (or timed out) midway goes on in the system: close
    the socket then, and connect a new one.  A second ``connect`` of the
    same socket waits for that first attempt and reports its outcome as its
    own -- connected to the first address, maybe.  (trio closes the socket
    for you; asyncio behaves as trampoline does.)
    """

    __slots__ = ("fileobj", "fd", "address", "waited")
    _shown = ("fd", "address")

    def __init__(self, sock: Any, address: Any) -> None:
        self.fd = _fileno(sock, "connect")
        if not hasattr(sock, "connect_ex"):
            raise TypeError("connect() needs a socket, got %s" % _describe(sock))
        _check_numeric(sock, address, "connect")
        self.fileobj = sock
        self.address = address
        self.waited = False


def _check_numeric(sock, address, trap_name):
    """Refuse an IP address whose host is a name: ``sock.connect`` or
    ``sendto`` would look it up right there, blocking every task while DNS
    answers (or does not).  A numeric host costs one ``inet_pton``."""
    if type(address) is not tuple or not address:
        return                      # (a Unix path; a bad address: the call says so)
    host = address[0]
    if getattr(sock, "family", None) not in _IP_FAMILIES or not isinstance(host, (str, bytes)):
        return
    if type(host) is bytes:
        host = host.decode("ascii", "replace")
    for family in _IP_FAMILIES:
        try:
            socket.inet_pton(family, host)
            return
        except (OSError, ValueError):
            pass
    if host in ("", "<broadcast>"):     # (Python's own: the wildcard, the broadcast address)
        return
    try:                            # "fe80::1%eth0", "127.1": numeric too
        socket.getaddrinfo(host, None, 0, 0, 0, socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        raise ValueError(
            "%s(): %r is a host name, not a numeric address, in %r: the kernel does not "
            "look names up (that would block every task); resolve it first -- yield "
            "getaddrinfo(host, port) looks it up in a worker thread" % (
                trap_name, address[0], address)) from None


_IP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class read_wait(Trap):
    """``yield read_wait(fileobj)``

    Wait until ``fileobj`` is readable; return ``None``.  The low level
    beneath ``read``: for stdin, pipes, and foreign libraries that do their
    own non-blocking reads.  Raises like ``read``.
    """

    __slots__ = ("fileobj", "fd", "waited")
    _shown = ("fd",)

    def __init__(self, fileobj: Any) -> None:
        self.fd = _fileno(fileobj, "read_wait")
        self.fileobj = fileobj
        self.waited = False


class write_wait(Trap):
    """``yield write_wait(fileobj)``

    Wait until ``fileobj`` is writable; return ``None``.  Raises like
    ``write``.
    """

    __slots__ = ("fileobj", "fd", "waited")
    _shown = ("fd",)

    def __init__(self, fileobj: Any) -> None:
        self.fd = _fileno(fileobj, "write_wait")
        self.fileobj = fileobj
        self.waited = False


# ==================================================================== time

def sleep(seconds: float) -> "Sleep":
    """``yield sleep(seconds)``

    Park the task for ``seconds`` (an int or float, at least 0) and return
    ``None``.  ``sleep(0)`` parks it behind every other ready task: the way
    to let others run (it is one object, made once: passing the processor
    allocates nothing).  Raises ``ValueError`` for a negative or NaN delay
    (or an int too large for a float), ``TypeError`` for something that is
    not a number.

    A function, as curio's, trio's and asyncio's ``sleep`` are, that makes
    the trap: a ``Sleep`` (``isinstance(trap, Sleep)``).  Each task switch
    calls it: a call of a function costs less than half of a class's.
    """
    if seconds is _ZERO and _sharing_zero:
        return SLEEP_ZERO               # (see below)
    return Sleep(seconds)


class Sleep(Trap):
    """The trap ``sleep(seconds)`` makes: ``seconds``, checked."""

    __slots__ = ("seconds",)
    _shown = ("seconds",)
    seconds: float

    def __new__(cls, seconds: float) -> "Sleep":
        if type(seconds) is not int and type(seconds) is not float:
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise TypeError("sleep() needs a number of seconds, got %s" % _describe(seconds))
        if not seconds >= 0:                # also catches NaN
            raise ValueError("sleep() needs seconds >= 0, got %r" % (seconds,))
        if seconds > _FLOAT_MAX and not isinstance(seconds, float):    # (inf is a float)
            raise ValueError("sleep() needs seconds a float can hold, got an int of %d bits"
                             % seconds.bit_length())
        self = object.__new__(cls)
        self.seconds = seconds
        return self

    def __reduce__(self) -> Tuple[Any, Tuple[float]]:  # (copy, pickle: through sleep())
        return sleep, (self.seconds,)


# Named as the trap is written -- <sleep seconds=1> in a repr, a trace, the
# monitor; its handler is the kernel's _trap_sleep -- though the name
# sleep is the function's.
Sleep.__name__ = Sleep.__qualname__ = "sleep"

# ``sleep(0)``, the commonest trap (each task switch makes one), is one
# object made once: nothing changes a sleep trap after it is made, so one
# can serve every task.  Debug mode's never-yielded check, which watches
# each trap die, turns the sharing off while it runs.
_ZERO = 0                               # (small ints are cached: every int 0 is this one)
_FLOAT_MAX = sys.float_info.max
SLEEP_ZERO = object.__new__(Sleep)
SLEEP_ZERO.seconds = 0
_sharing_zero = True                    # whether sleep(0) is SLEEP_ZERO


def share_sleep_zero(share: bool) -> None:
    """Whether ``sleep(0)`` returns ``SLEEP_ZERO`` (the default) or a new
    trap each time (debug mode's never-yielded check)."""
    global _sharing_zero
    _sharing_zero = share


# =================================================================== tasks

class spawn(Trap):
    """``task = yield spawn(coro, name=None)``

    Start ``coro`` (a generator or coroutine object) as a new task and
    return its ``Task`` at once; the new task runs soon, after the tasks
    already ready.  ``name`` defaults to the function's name.  A trap
    (``spawn(stream.write(data))``) is performed in the new task, which
    returns its result.  Raises ``TypeError`` for something that is not a
    generator, coroutine or trap (a function instead of its call, say), and
    for a ``name`` that is not a string (the coroutine is closed then).
    Never blocks.
    """

    __slots__ = ("coro", "name")
    _shown = ("coro",)

    def __init__(self, coro: Any, *, name: Optional[str] = None) -> None:
        if name is not None and type(name) is not str:
            _check_name(coro, name)
        kind = type(coro)               # (the common case calls nothing)
        if kind is not GeneratorType:
            if kind is CoroutineType:
                if coro.cr_await is not None:   # (another task runs it)
                    raise _awaited_already(coro)
            elif isinstance(coro, Trap):
                name = name or type(coro).__name__
                coro = _perform(coro)
            else:
                coro = _check_coro(coro, "spawn")
        self.coro = coro
        self.name = name


def _check_name(coro, name):
    """A task's ``name`` must be a string: a TypeError (and ``coro``, which
    will never run, closed: not left to warn it was never awaited)."""
    if isinstance(name, str):
        return
    if type(coro) is GeneratorType or type(coro) is CoroutineType:
        coro.close()
    raise TypeError("spawn(): name must be a string or None, got %s" % _describe(name))


def _perform(trap):
    """A task that performs one trap and returns its result."""
    return (yield trap)


class join(Trap):
    """``value = yield join(task)``

    Wait for ``task`` to finish and return its return value.  If it raised
    or was cancelled, raises ``TaskError`` whose ``__cause__`` is that
    exception.  A task may not join itself (``RuntimeError``).  Blocks
    until the task is done.
    """

    __slots__ = ("task",)
    _shown = ("task",)

    def __init__(self, task: Task) -> None:
        self.task = task if type(task) is Task else _check_task(task, "join")


class cancel(Trap):
    """``yield cancel(task, wait=True, exception=None)``

    Cancel ``task`` and wait until it has finished.  ``Cancelled`` is
    raised inside it at the trap where it is blocked (or at its first step
    if it never ran; or, if it was just handed a value it must keep, at its
    next blocking trap, so nothing handed to it is lost), so its ``finally``
    and ``with`` blocks run.  A task that never blocks gets it once it has
    used its budget of traps: every trap is a cancellation point.  A task
    that returns before the ``Cancelled`` could be thrown in ends cancelled
    all the same (its value dropped: asyncio's rule).  Returns ``None``;
    cancelling a finished task does nothing.  With ``wait=False`` it
    returns at once.  A task that cancels itself gets ``Cancelled`` at
    once -- or, with ``wait=False``, at its next blocking trap.
    ``exception`` (an instance of ``Cancelled`` or a subclass) is delivered
    instead of a new ``Cancelled``, for a library that must recognise its
    own cancellation (a TaskGroup cancelling its parent's body).
    """

    __slots__ = ("task", "wait", "exception")
    _shown = ("task",)

    def __init__(self, task: Task, *, wait: bool = True,
                 exception: Optional[BaseException] = None) -> None:
        self.task = _check_task(task, "cancel")
        self.wait = wait
        if exception is not None and not isinstance(exception, Cancelled):
            raise TypeError("cancel() delivers a Cancelled; exception= must be an instance "
                            "of Cancelled or a subclass, got %s" % _describe(exception))
        self.exception = exception


def _check_task(task, trap_name):
    if not isinstance(task, Task):
        raise TypeError("%s() needs a Task (as returned by spawn), got %s"
                        % (trap_name, _describe(task)))
    return task


class current(Trap):
    """``task = yield current()``

    Return the ``Task`` that is running.  Never blocks.
    """

    __slots__ = ()


class call(Trap):
    """``value = yield call(coro)``

    Run ``coro`` (a generator or an ``async def`` coroutine object) as a
    subroutine of the current task and return its return value; its
    exception is raised here.  A generator gets the same by yielding the
    subroutine itself (``value = yield sub()``); ``call`` is how an
    ``async def`` calls generator code (``await call(sub())``).
    """

    __slots__ = ("coro",)
    _shown = ("coro",)

    def __init__(self, coro: Any) -> None:
        self.coro = _check_coro(coro, "call")


# ====================================================== datagrams (UDP)

class recvfrom(Trap):
    """``data, address = yield recvfrom(sock, nbytes)``

    Wait until a datagram arrives on ``sock`` and return it (at most
    ``nbytes`` bytes; the rest of a longer datagram is discarded, as with
    ``socket.recvfrom``) with the sender's address.  Raises like ``read``.
    """

    __slots__ = ("fileobj", "fd", "nbytes", "waited")
    _shown = ("fd", "nbytes")

    def __init__(self, sock: Any, nbytes: int) -> None:
        if type(nbytes) is not int or nbytes < 1:
            _bad_size("recvfrom", nbytes)
        self.fd = _fileno(sock, "recvfrom")
        if not hasattr(sock, "recvfrom"):
            raise TypeError("recvfrom() needs a socket, got %s" % _describe(sock))
        self.fileobj = sock
        self.nbytes = nbytes
        self.waited = False


class sendto(Trap):
    """``yield sendto(sock, data, address)``

    Send one datagram to ``address``, waiting while the socket's buffer is
    full; returns the number of bytes sent.  Raises ``TypeError`` for a
    payload that is not bytes-like, ``ValueError`` for a host name in
    ``address`` (resolve it first, as for ``connect``), the ``OSError`` of
    the send otherwise.  A connected socket sends to ``address`` all the
    same, as ``socket.sendto`` does (asyncio's ``transport.sendto``
    refuses an address other than the peer's, with ``ValueError``); it
    sends to its peer with ``write(sock, data)``, one datagram -- an
    ``address`` of None (asyncio's ``transport.sendto(data)``) is a
    ``TypeError`` saying so.
    """

    __slots__ = ("fileobj", "fd", "data", "address", "waited")
    _shown = ("fd", "address")

    def __init__(self, sock: Any, data: "ReadableBuffer", address: Any) -> None:
        if type(data) is not bytes:
            data = _check_data(data, "sendto")
        self.fd = _fileno(sock, "sendto")
        if not hasattr(sock, "sendto"):
            raise TypeError("sendto() needs a socket, got %s" % _describe(sock))
        _check_numeric(sock, address, "sendto")
        self.fileobj = sock
        self.data = data
        self.address = address
        self.waited = False


# ============================================ the low level: for libraries
#
# Synchronisation primitives, timeouts and thread hand-offs are built from
# these four.  Application code rarely needs them.

class park(Trap):
    """``value = yield park(wait_queue)``

    Park the task on ``wait_queue`` (a ``trampoline.kernel.WaitQueue``)
    until ``wait_queue.wake()`` picks it (first come, first woken); return
    the value passed to ``wake``.  Cancellation takes it off the queue.
    """

    __slots__ = ("queue",)
    _shown = ("queue",)

    def __init__(self, queue: Any) -> None:
        self.queue = queue


class set_alarm(Trap):
    """``alarm = yield set_alarm(seconds, exception)``

    In ``seconds``, deliver ``exception`` into the current task, as
    ``cancel`` does (at the trap where it is blocked then, or at its next
    blocking trap).  Returns a handle for ``clear_alarm``.  Timeouts are
    built on this.
    """

    __slots__ = ("seconds", "exception")
    _shown = ("seconds",)

    def __init__(self, seconds: float, exception: BaseException) -> None:
        try:
            self.seconds = sleep(seconds).seconds   # the same checks as sleep
        except (TypeError, ValueError) as error:    # ... in set_alarm's name
            raise type(error)(str(error).replace("sleep()", "set_alarm()", 1)) from None
        self.exception = exception


class clear_alarm(Trap):
    """``yield clear_alarm(alarm)``

    Disarm an alarm of the current task.  If it already went off and its
    exception has not been delivered yet, it never will be.  Returns
    ``True`` if this disarmed it before it went off, ``False`` if it had
    gone off or was cleared already (clearing twice is harmless).
    """

    __slots__ = ("alarm",)
    _shown = ()                 # type: Tuple[str, ...]

    def __init__(self, alarm: Any) -> None:
        self.alarm = alarm


class current_kernel(Trap):
    """``kernel = yield current_kernel()``: the ``Kernel`` running this task."""

    __slots__ = ()
