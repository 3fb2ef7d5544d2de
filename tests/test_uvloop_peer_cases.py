"""uvloop's own TCP and Unix-socket tests, and asyncio's server and
low-level socket tests, translated to our servers, streams and traps.

Where the cases come from:

* uvloop's ``tests/test_tcp.py`` and ``tests/test_unix.py`` (the non-TLS
  cases): many clients each sending a mebibyte, a listener made before its
  server starts, a socket of the wrong kind, a closed socket, a server
  whose peer closes early, many small writes, ``pathlib`` paths, a client
  that hangs up right after its last bytes (``test_epollhup``);
* asyncio's ``Lib/test/test_asyncio/test_server.py``: ``serve_forever``
  stopped from a handler, a server closed with clients connected --
  ``abort_clients``, a writer blocked on a client that reads nothing;
* asyncio's ``test_sock_lowlevel.py``: an ``accept`` that timed out, then
  the listener closed.

Cases the other peer-case files already cover are not repeated here (the
trio and asyncio stream cases: ``test_stream_peer_cases.py``; opening
connections: ``test_net_peer_cases.py``; the raw traps:
``test_sock_peers.py``; several addresses: ``test_server_addresses.py``),
nor those of ``test_streams.py`` and ``test_io.py`` (a refused connection
named, IPv6, ``reuse_port``, abstract names, a stale or replaced socket
file, a Unix socket file removed when its server ends).  asyncio's
``sock_recv_into`` has no counterpart: the ``read`` trap returns new bytes.

Where our documented rule differs from a peer's, the docstring says so and
the test asserts ours.  Over real sockets on 127.0.0.1 and in a temporary
directory; synchronised by Futures, Events and joins, never sleeps.
"""

import errno
import gc
import logging
import os
import pathlib
import socket
import typing

import pytest

import trampoline
from net_helpers import stalled, start_server, watchdog  # noqa: F401 (watchdog: autouse)
from trampoline import (Event, Future, TaskGroup, TaskTimeout, accept, cancel, connect, join,
                        sleep, spawn, timeout_after)
from trampoline.net import listen
from trampoline.streams import (IncompleteReadError, Stream, open_connection,
                                open_unix_connection, serve, tcp_server, unix_server)

WATCHDOG_SECONDS = 30.0

MiB = 1 << 20


def echo(stream, address):
    while True:
        data = yield stream.read(65536)
        if not data:
            return
        yield stream.write(data)


def unix_path(tmp_path):
    return str(tmp_path / "s.sock")


def serving(kind, tmp_path, handler, **kwargs):
    """Subroutine: a server of ``kind`` ("tcp" or "unix") running
    ``handler``; returns ``(task, connect)``, ``connect`` a subroutine
    function opening a client Stream to it."""
    ready = Future()
    if kind == "tcp":
        task = yield spawn(tcp_server("127.0.0.1", 0, handler, ready=ready, **kwargs))
        port = (yield ready)[1]
        return task, lambda: open_connection("127.0.0.1", port)
    path = unix_path(tmp_path)
    task = yield spawn(unix_server(path, handler, ready=ready, **kwargs))
    yield ready
    return task, lambda: open_unix_connection(path)


# ------------------------------------------------ sockets of the wrong kind

@pytest.mark.parametrize("family", ["inet", "unix"])
def test_serve_refuses_a_datagram_socket_instead_of_spinning(family, tmp_path):
    """uvloop's ``test_create_server_wrong_sock`` ("A Stream Socket was
    expected") and ``test_create_unix_server_path_dgram``: ``serve`` of a
    datagram socket raises ``ValueError`` naming it, at once, and leaves
    the socket to its owner.  accept() of one says EOPNOTSUPP, an error
    the accept loop takes for one connection's own and skips: the server
    spun on it, a whole core, for ever."""
    if family == "inet":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(unix_path(tmp_path))

    def main():
        with pytest.raises(ValueError) as info:
            yield timeout_after(5, serve(sock, echo))
        return str(info.value)

    with sock:
        message = trampoline.run(main())
        assert sock.fileno() >= 0                   # not closed: not taken over
    assert "serve()" in message and "SOCK_DGRAM" in message and "stream socket" in message


def test_a_stream_refuses_a_datagram_socket():
    """uvloop's ``test_create_connection_wrong_sock`` ("A Stream Socket was
    expected"): ``Stream(sock)`` of a UDP socket raises ``ValueError``
    naming it.  It made a Stream whose first write said "[Errno 89]
    Destination address required" -- and a connected one would have
    merged datagrams into a byte stream and lost their boundaries."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(ValueError) as info:
            Stream(sock)
        assert "Stream()" in str(info.value) and "SOCK_DGRAM" in str(info.value)
        assert sock.fileno() >= 0


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_UNIX], ids=["inet", "unix"])
def test_a_stream_of_a_closed_socket_is_ebadf_naming_it(family):
    """uvloop's ``test_create_connection_4`` and
    ``test_create_unix_connection_4``: a closed socket given where a
    connected one is wanted is ``OSError`` "Bad file descriptor".  Ours
    says so naming ``Stream()``; it was the bare "[Errno 9] Bad file
    descriptor" of ``setblocking``."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.close()
    with pytest.raises(OSError) as info:
        Stream(sock)
    assert info.value.errno == errno.EBADF
    assert "Stream()" in str(info.value) and "closed" in str(info.value)


# ------------------------------------------------ Unix socket paths

def test_a_unix_path_too_long_to_connect_to_is_named(tmp_path):
    """A Unix socket's path holds about a hundred bytes (108 on Linux, with
    its NUL): ``open_unix_connection`` and the ``connect`` trap given a
    longer one raise the system's ``OSError`` naming the path and its
    length -- it was "AF_UNIX path too long" alone, where ``listen`` and
    ``unix_server`` already named it.  (uvloop's and asyncio's servers
    and connections take a path as the system does.)"""
    path = str(tmp_path / ("x" * 200))

    def main():
        with pytest.raises(OSError) as opened:
            yield open_unix_connection(path)
        with socket.socket(socket.AF_UNIX) as sock:
            with pytest.raises(OSError) as connected:
                yield connect(sock, path)
        with pytest.raises(OSError) as served:
            yield unix_server(path, echo)
        return opened.value, connected.value, served.value

    for error in trampoline.run(main()):
        assert "too long" in str(error) and repr(path) in str(error), error


def test_a_pathlib_path_serves_and_connects_and_type_checks(tmp_path):
    """uvloop's ``test_create_unix_server_pathlib`` and
    ``test_create_unix_connection_pathlib``: ``unix_server`` and
    ``open_unix_connection`` take a ``pathlib.Path`` (``ready`` gets the
    path as a ``str``, and the socket file goes with the server) -- and so
    does ``mypy --strict`` now: their ``path`` was typed ``str | bytes``,
    and a typed program passing a ``Path`` (or ``run_server(unix=...)``)
    failed its check though it ran."""
    path = tmp_path / "s.sock"

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready))
        assert (yield ready) == str(path)
        stream = yield open_unix_connection(path)
        with stream:
            yield stream.write(b"path\n")
            got = yield stream.readline()
        yield cancel(server)
        return got

    assert trampoline.run(main()) == b"path\n"
    assert not path.exists()

    mypy = pytest.importorskip("mypy.api")
    program = tmp_path / "typed.py"
    program.write_text(
        "import pathlib\n"
        "from typing import Any, Generator\n"
        "from trampoline import Stream, open_unix_connection, run_server, unix_server\n\n"
        "def handler(stream: Stream, address: Any) -> Generator[Any, Any, None]:\n"
        "    yield stream.write(b'x')\n\n"
        "def main(path: pathlib.Path) -> Generator[Any, Any, Stream]:\n"
        "    yield unix_server(path, handler)\n"
        "    stream: Stream = yield open_unix_connection(path)\n"
        "    return stream\n\n"
        "def serve_forever(path: pathlib.Path) -> None:\n"
        "    run_server(None, None, handler, unix=path)\n")
    out, err, status = mypy.run(["--strict", "--cache-dir", os.devnull, str(program)])
    assert status == 0, out + err



def test_serve_leaves_a_unix_listener_s_socket_file_to_whoever_made_it(tmp_path):
    """asyncio's ``test_unix_server_sock_cleanup`` (3.13: a server given a
    bound Unix socket, ``start_unix_server(sock=...)``, removes its file
    when closed) -- where ``create_server(sock=...)`` leaves it, as uvloop's
    ``test_create_unix_server_1`` checks.  Our rule, documented: ``serve``
    takes any listener, one inherited too (systemd's socket, whose file
    outlives the process), and leaves the file; ``unix_server`` removes
    its own; ``listen`` on the path later replaces the stale file."""
    path = unix_path(tmp_path)

    def main():
        server = yield spawn(serve(listen(path), echo))
        stream = yield open_unix_connection(path)
        with stream:
            yield stream.write(b"x")
            assert (yield stream.read(1)) == b"x"
        yield cancel(server)
        assert os.path.exists(path)                 # stale now: refused
        with pytest.raises(ConnectionRefusedError):
            yield open_unix_connection(path)
        listen(path).close()                        # replaced

    trampoline.run(main())

