"""Plain socket helpers (no traps, no yields): listening sockets, ports, TLS contexts.

This module makes sockets ready for the kernel: non-blocking, with the
options a server wants; it checks what a user gives (a port, a certificate)
and says what is wrong with it by name.  It never blocks and never touches
the kernel -- but for one word: a socket it makes (a ``Socket``) tells the
kernel of its thread when it is closed, so that a task waiting on it hears
of it at once (``kernel.notify_closing``).
"""

import errno
import os
import socket
import ssl
import stat
from typing import Any, Optional

__all__ = ["listen", "Socket", "check_port", "server_context", "client_context", "format_address"]


def check_port(port: Any, who: str = "port") -> int:
    """``port`` if it is a TCP/UDP port number (an int from 0 to 65535),
    else ``ValueError`` naming it and ``who`` asked (a function's name).
    (The socket module would take 99999 as 99999 % 65536 in some calls and
    raise ``OverflowError`` in others.)"""
    if type(port) is not int or not 0 <= port <= 65535:
        raise ValueError("%s: port must be an int from 0 to 65535, got %r" % (who, port))
    return port


class Socket(socket.socket):
    """The socket ``listen()`` and ``udp_socket()`` make: a ``socket.socket``
    whose ``close()`` first tells the kernel running in this thread, if
    any, that it is closing (``kernel.notify_closing``).  A task parked in
    ``accept`` or ``recvfrom`` on it -- or in ``read``, ``sendto`` -- gets
    ``OSError(EBADF)`` at once, when another task closes it, as trio's
    sockets do; a plain socket closed under a waiter is found by the
    kernel's sweep, up to a second later (epoll forgets a closed descriptor
    without a word).  Closed from another thread, or while ``makefile()``
    objects keep it open, it says nothing: the sweep sees to it then."""

    __slots__ = ()

    def close(self) -> None:
        """Close the socket -- first waking, with ``OSError(EBADF)``, a task
        of this thread's kernel that waits on it."""
        from .hostloop import running   # (here: hostloop imports timers, which import
        #                                 descriptors, which import this module)
        kernel = getattr(running, "kernel", None)   # (running_kernel(), less a call)
        if kernel is not None and not self._closed and self._io_refs <= 0:  # type: ignore
            kernel.notify_closing(self)
        super().close()


def _check_numeric_host(host: Any, who: str, instead: Optional[str] = None) -> None:
    """Nothing if ``host`` (a ``str`` or ``bytes``) is a numeric address --
    IPv4, IPv6 (``"fe80::1%lo"`` too), ``""`` (every interface) or
    ``"<broadcast>"`` -- else ``ValueError`` naming it and ``who`` was
    given it: ``bind`` would look a name up right there, and every task
    would wait for DNS to answer (or not, for seconds).  ``instead`` names
    what resolves it off the loop, if anything does.  An IPv6 address in
    brackets, as in a URL, is said to need none."""
    text = host.decode("ascii", "replace") if isinstance(host, (bytes, bytearray)) else host
    if text in ("", "<broadcast>"):     # (Python's own: the wildcard, the broadcast address)
        return
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
            return
        except (OSError, ValueError):
            pass
    try:                                # "127.1", "fe80::1%lo": numeric too
        socket.getaddrinfo(text, None, 0, 0, 0, socket.AI_NUMERICHOST)
        return
    except (OSError, UnicodeError, ValueError):
        pass
    if text.startswith("[") and text.endswith("]"):
        raise ValueError("%s: the host %r is in brackets, as in a URL; give the IPv6 "
                         "address without them: %r" % (who, host, text[1:-1]))
    raise ValueError("%s: %r is a host name, not a numeric address: %s does not look "
                     "names up (that would block every task); give an address "
                     "(127.0.0.1, ::1), or resolve the name first -- yield "
                     "getaddrinfo(host, port) looks it up in a worker thread%s"
                     % (who, host, who, ", and %s does it for you" % instead if instead else ""))


def server_context(certfile: str, keyfile: Optional[str] = None) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for a server, holding the certificate chain in
    ``certfile`` and its private key in ``keyfile`` (PEM files; the key may
    be in ``certfile``), speaking TLS 1.2 or later.  Raises
    ``FileNotFoundError`` naming the missing file, ``PermissionError``
    naming one it may not read, and ``ssl.SSLError`` naming both files when
    OpenSSL refuses them (not PEM, the key does not match the certificate,
    swapped)."""
    for path in (certfile, keyfile):
        if path is None:
            continue
        try:                            # (OpenSSL's own error would not name it)
            os.close(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)))
        except FileNotFoundError:
            pass                        # said below
        except OSError as exc:          # a key only root may read, as is usual...
            raise type(exc)(exc.errno, "cannot read the certificate or key file %s: %s"
                            % (path, exc.strerror)) from None
        if not os.path.isfile(path):
            raise FileNotFoundError(2, "no such certificate or key file: %s" % path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # TLS 1.2 at least, as Python 3.10+ has it by default (3.8, 3.9 and
    # PyPy 3.9 would still speak TLS 1.0 and 1.1).
    if context.minimum_version < ssl.TLSVersion.TLSv1_2:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except ssl.SSLError as exc:
        raise ssl.SSLError(exc.errno, "cannot load the certificate %s with the private key %s "
                           "(PEM files, the key the certificate's?): %s"
                           % (certfile, keyfile or certfile, exc)) from None
    return context


def client_context(cafile: Optional[str] = None) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for a client: it checks the server's certificate
    and name against the certificate authorities in ``cafile`` (a PEM file)
    or, without one, the system's.  Raises ``ValueError`` naming ``cafile``
    when it cannot be loaded (missing, unreadable, not PEM)."""
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ValueError) as exc:    # (OpenSSL's words would not name it)
        if cafile is None:
            raise
        why = str(exc)
        if isinstance(exc, OSError) and exc.errno and not exc.strerror:
            # (PyPy's ssl leaves strerror empty: "[Errno 2] " and no reason)
            why = "[Errno %d] %s" % (exc.errno, os.strerror(exc.errno))
        raise ValueError("cannot load CA certificates from %s: %s" % (cafile, why)) from None


def listen(address: Any, *, backlog: int = 1024,
           reuse_port: bool = False) -> socket.socket:
    """A non-blocking listening socket bound to ``address`` (a ``Socket``:
    closing it wakes a task waiting in ``accept`` at once).

    ``address`` is ``(host, port)`` for TCP -- IPv6 when ``host`` contains a
    colon, IPv4 otherwise; port 0 picks a free port (read it back with
    ``sock.getsockname()``) -- or a path (``str`` or ``bytes``) for a Unix
    socket.  A socket file already at that path is replaced only if it is
    stale (connecting to it is refused: its server died without removing
    it); if a server answers there, or the file is not a socket, it is left
    alone and ``OSError(EADDRINUSE)`` says so, naming the path, as for a
    TCP port in use.  ``SO_REUSEADDR`` is set for TCP, so a restarted
    server can bind at once; ``reuse_port`` sets ``SO_REUSEPORT`` (several
    processes sharing one port).  A host of ``""`` or ``None`` is every
    IPv4 interface, as ``socket.create_server(("", port))`` has it: one
    socket has one family.  (``tcp_server`` and ``run_server`` listen on
    every IPv6 interface too, with a second socket.  ``("::", port)`` is
    one socket for both where the system maps IPv4 into IPv6 -- but an IPv4
    client's address then reads ``::ffff:127.0.0.1``.)  A ``backlog`` above
    what the system allows is capped.  The host must be numeric: a name
    (``"localhost"``) raises ``ValueError`` naming it -- binding it would
    look it up right there, every task waiting for DNS; ``tcp_server``
    resolves one off the loop, or ``yield getaddrinfo(...)`` does.
    """
    if isinstance(address, (str, bytes, os.PathLike)):
        family = socket.AF_UNIX
        address = os.fspath(address)
    elif isinstance(address, tuple) and len(address) in (2, 4):
        check_port(address[1], "listen()")
        if address[0] is None:          # every IPv4 interface (one socket: one family)
            address = ("",) + address[1:]
        elif not isinstance(address[0], (str, bytes, bytearray)):
            raise TypeError("listen(): the host must be a str, got %r" % (address[0],))
        else:
            _check_numeric_host(address[0], "listen()", "tcp_server(host, port, handler)")
        family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    else:
        raise TypeError("listen() needs (host, port) or a Unix socket path, got %r" % (address,))
    if type(backlog) is not int or backlog < 0:
        raise ValueError("listen(): backlog must be an int >= 0, got %r" % (backlog,))
    return _listening(family, address, backlog, reuse_port)


def _listening(family, address, backlog, reuse_port, v6only=False):
    """``listen()`` once its arguments are checked; ``v6only`` sets
    ``IPV6_V6ONLY`` on an IPv6 socket, so that an IPv4 one can have the same
    port (``tcp_server`` on several addresses)."""
    sock = Socket(family, socket.SOCK_STREAM)
    try:
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        else:
            _remove_stale_socket(address)
        if v6only and family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if reuse_port:
            if not hasattr(socket, "SO_REUSEPORT"):   # pragma: no cover - not Linux
                raise OSError("listen(): SO_REUSEPORT is not supported here")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            # Say where: "Address already in use" alone does not.  (Some
            # errors have no errno: "AF_UNIX path too long".)
            message = "%s: cannot listen on %s" % (exc.strerror or exc, format_address(address))
            raise (type(exc)(exc.errno, message) if exc.errno is not None
                   else type(exc)(message)) from None
        except (TypeError, ValueError, OverflowError) as exc:   # flowinfo 2**20, a str port
            raise type(exc)("listen(): cannot listen on %r: %s" % (address, exc)) from None
        sock.listen(min(backlog, 0x7FFFFFFF))   # (the system caps it lower anyway)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _remove_stale_socket(path):
    """Unlink the socket file at ``path`` if it is stale (its server is
    gone: connecting is refused).  ``OSError(EADDRINUSE)`` naming the path
    if a server answers there, or if the file there is not a socket (it is
    never removed); nothing if there is no file."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):       # nothing there, or an abstract name: bind decides
        return
    if not stat.S_ISSOCK(mode):
        raise _in_use(path, "a file that is not a socket is there (it is not removed)")
    # A non-blocking connect to a Unix socket never waits: it is accepted
    # into the backlog (a server), refused (stale), or EAGAIN (a server
    # whose backlog is full).  A live server sees a client come and go.
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.setblocking(False)
        probe.connect(path)
    except ConnectionRefusedError:
        try:
            os.unlink(path)             # stale: its server died without removing it
        except FileNotFoundError:       # pragma: no cover - a race: removed meanwhile
            pass
        return
    except FileNotFoundError:           # pragma: no cover - a race: removed meanwhile
        return
    except BlockingIOError:
        raise _in_use(path, "a server is listening there (its backlog is full)") from None
    except OSError as exc:              # a datagram socket (EPROTOTYPE), no permission...
        raise _in_use(path, "a socket file is there, and connecting to it says: %s "
                      "(it is not removed)" % (exc.strerror or exc)) from None
    finally:
        probe.close()
    raise _in_use(path, "a server is listening there")


def _in_use(path, why):
    return OSError(errno.EADDRINUSE, "%s: cannot listen on %s: %s"
                   % (os.strerror(errno.EADDRINUSE), format_address(path), why))


def format_address(address: Any) -> str:
    """An address as a person would type it: ``host:port``, an IPv6 host in
    brackets as in a URL (``[::1]:8080``), an empty host (every interface)
    as ``*``; anything else -- a Unix socket's path -- as its ``repr``."""
    if isinstance(address, tuple):
        host, port = address[:2]
        if isinstance(host, (bytes, bytearray)):
            host = host.decode("ascii", "replace")
        return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host or "*", port)
    return repr(address)
