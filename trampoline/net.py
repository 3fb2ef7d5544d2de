"""Plain socket helpers (no traps, no yields): listening sockets.

This module makes sockets ready for the kernel: non-blocking, with the
options a server wants.  It never blocks and never touches the kernel.
"""

import os
import socket

__all__ = ["listen"]


def listen(address, *, backlog=1024, reuse_port=False):
    """A non-blocking listening socket bound to ``address``.

    ``address`` is ``(host, port)`` for TCP -- IPv6 when ``host`` contains a
    colon, IPv4 otherwise; port 0 picks a free port (read it back with
    ``sock.getsockname()``) -- or a path (``str`` or ``bytes``) for a Unix
    socket (a stale socket file at that path is replaced).  ``SO_REUSEADDR``
    is set for TCP, so a restarted server can bind at once; ``reuse_port``
    sets ``SO_REUSEPORT`` (several processes sharing one port).
    """
    if isinstance(address, (str, bytes, os.PathLike)):
        family = socket.AF_UNIX
        address = os.fspath(address)
    elif isinstance(address, tuple) and len(address) in (2, 4):
        family = socket.AF_INET6 if ":" in str(address[0]) else socket.AF_INET
    else:
        raise TypeError("listen() needs (host, port) or a Unix socket path, got %r" % (address,))
    if type(backlog) is not int or backlog < 0:
        raise ValueError("listen(): backlog must be an int >= 0, got %r" % (backlog,))
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family != socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        elif _is_socket_file(address):
            os.unlink(address)
        if reuse_port:
            if not hasattr(socket, "SO_REUSEPORT"):   # pragma: no cover - not Linux
                raise OSError("listen(): SO_REUSEPORT is not supported here")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _is_socket_file(path):
    import stat
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
