"""UDP: datagram sockets ready for the ``recvfrom`` and ``sendto`` traps.

Datagrams need no buffering layer: each ``recvfrom`` is one whole message
and each ``sendto`` sends one, so the two traps are the whole API.  This
module only makes the socket -- non-blocking, bound where you say -- the
datagram sibling of ``listen()``::

    sock = udp_socket(("127.0.0.1", 9999))
    while True:
        data, address = yield recvfrom(sock, 65535)
        yield sendto(sock, data, address)

It never blocks and never touches the kernel (the socket's ``close()``
tells it, so that a task waiting in ``recvfrom`` hears of it at once: see
``net.Socket``).  Host names are not resolved
here (that could block): give numeric addresses, or resolve first with
``yield getaddrinfo(...)`` from ``trampoline.streams``.
"""

import socket
from typing import Optional, Tuple

from .net import Socket, _check_numeric_host, format_address, check_port

__all__ = ["udp_socket"]


def udp_socket(address: Optional[Tuple[str, int]] = None, *, family: Optional[int] = None,
               reuse_port: bool = False, broadcast: bool = False) -> socket.socket:
    """A non-blocking UDP socket, bound to ``address`` if one is given
    (a ``net.Socket``: closing it wakes a task waiting in ``recvfrom`` at
    once, with ``OSError(EBADF)``).

    ``address`` is ``(host, port)`` with a numeric host -- IPv6 when it
    contains a colon, IPv4 otherwise; port 0 picks a free port (read it
    back with ``sock.getsockname()``).  Without an address the socket is
    unbound (the system binds it on the first ``sendto``); ``family`` then
    picks IPv4 (the default) or IPv6 (``socket.AF_INET6``).
    ``reuse_port`` sets ``SO_REUSEPORT`` (several sockets sharing a port);
    ``broadcast`` sets ``SO_BROADCAST``, without which a ``sendto`` to a
    broadcast address fails with ``PermissionError`` (asyncio's
    ``allow_broadcast``).
    Raises ``OSError`` naming ``family`` for one the system cannot make,
    ``TypeError`` for an address that is not a tuple (or that
    ``bind`` refuses as such: a host None),
    ``ValueError`` for a port out of range or a host name (``"localhost"``:
    binding it would look it up right there, every task waiting for DNS),
    and the ``OSError`` of ``bind``
    (``EADDRINUSE`` ..., naming the address; for an address of the other
    family than ``family``, saying which to give).
    """
    if address is not None:
        if not isinstance(address, tuple) or len(address) not in (2, 4):
            raise TypeError("udp_socket() needs a (host, port) address, got %r" % (address,))
        check_port(address[1], "udp_socket()")
        if isinstance(address[0], (str, bytes, bytearray)):
            _check_numeric_host(address[0], "udp_socket()")
        if family is None:
            family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    elif family is None:
        family = socket.AF_INET
    try:
        sock = Socket(family, socket.SOCK_DGRAM)
    except OSError as exc:              # family=12345, or AF_INET6 with IPv6 off
        raise type(exc)(exc.errno, "%s: udp_socket() cannot make a socket of family %r"
                        % (exc.strerror, family)) from None
    try:
        sock.setblocking(False)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if address is not None:
            try:
                sock.bind(address)
            except OSError as exc:
                raise type(exc)(exc.errno, "%s: cannot bind to %s%s" % (
                    exc.strerror, format_address(address), _mismatch(exc, family))) from None
            except (TypeError, ValueError) as exc:  # a host None, a 4-tuple for IPv4
                raise TypeError("udp_socket(): cannot bind to %r: %s" % (address, exc)) from None
            except OverflowError as exc:            # flowinfo out of range
                raise OverflowError("udp_socket(): cannot bind to %r: %s"
                                    % (address, exc)) from None
    except BaseException:
        sock.close()
        raise
    return sock


def _mismatch(exc, family):
    """For the error of binding an address of the other IP family than
    ``family`` (``("::1", 0)`` with ``family=socket.AF_INET``), what to
    change; else nothing."""
    if not isinstance(exc, socket.gaierror) and exc.errno is not None:
        return ""                       # (EADDRINUSE, EADDRNOTAVAIL...: they say)
    wanted = {socket.AF_INET: "AF_INET6", socket.AF_INET6: "AF_INET"}.get(family)
    if wanted is None:
        return ""
    return (", an %s address, with family=socket.%s: give family=socket.%s, or leave "
            "family out" % ("IPv4" if wanted == "AF_INET" else "IPv6",
                            socket.AddressFamily(family).name, wanted))
