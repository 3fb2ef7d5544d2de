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
import signal
import socket
import subprocess
import sys

import pytest

import trampoline
from net_helpers import (echo, stalled, start_server, stop_process,  # noqa: F401 (autouse fixture)
                         watchdog)
from trampoline import (Future, TaskGroup, TaskTimeout, accept, cancel, connect, join, spawn,
                        timeout_after)
from trampoline.net import listen
from trampoline.streams import (IncompleteReadError, Stream, open_connection,
                                open_unix_connection, serve, tcp_server, unix_server)

WATCHDOG_SECONDS = 30.0

MiB = 1 << 20


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


def test_a_pathlib_path_serves_and_connects(tmp_path):
    """uvloop's ``test_create_unix_server_pathlib`` and
    ``test_create_unix_connection_pathlib``: ``unix_server`` and
    ``open_unix_connection`` take a ``pathlib.Path`` (``ready`` gets the
    path as a ``str``, and the socket file goes with the server).  Their
    types say so too: .ci/installed/user_program.py, which CI checks with
    ``mypy --strict`` against the installed wheel, passes a ``Path`` to
    both and to ``run_server(unix=...)``."""
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



def test_a_stale_socket_file_is_replaced_and_a_live_one_is_not(tmp_path):
    """uvloop's ``test_create_unix_server_existing_path_sock``: a socket
    file left by a listener that is gone (bound, listened, closed) is
    removed and the server starts.  asyncio removes *any* socket file
    there, a live server's too; our documented rule (``listen``) removes
    only a stale one: with a server answering there, ``unix_server``
    raises ``EADDRINUSE`` naming the path, and that server goes on."""
    path = unix_path(tmp_path)
    with socket.socket(socket.AF_UNIX) as gone:
        gone.bind(path)
        gone.listen(1)

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready))
        yield ready
        with pytest.raises(OSError) as info:
            yield unix_server(path, echo)
        assert info.value.errno == errno.EADDRINUSE and repr(path) in str(info.value)
        stream = yield open_unix_connection(path)   # the first one still serves
        with stream:
            yield stream.write(b"x")
            assert (yield stream.read(1)) == b"x"
        yield cancel(server)

    trampoline.run(main())



RUN_SERVER_ON = r"""
import sys
from trampoline import run_server

def greet(stream, address):
    yield stream.write(b"hi")

run_server(None, None, greet, unix="\0" + sys.argv[1],
           ready=lambda address: print("listening on %r" % (address,), flush=True))
print("stopped", flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux abstract names")
def test_run_server_on_an_abstract_unix_name(tmp_path):
    """uvloop's and asyncio's Unix servers take a Linux abstract name
    (``"\\0name"``: no file), as ``unix_server`` does.
    ``run_server(None, None, handler, unix="\\0name")`` died as it started,
    with "ValueError: stat: embedded null character in path" (it looked
    for the socket file to remove later), its listener left open.  Now
    it serves there and stops on SIGTERM, exit status 0."""
    name = "trampoline-run-server-%d" % os.getpid()
    proc = subprocess.Popen([sys.executable, "-c", RUN_SERVER_ON, name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line + proc.stderr.read()
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect("\0" + name)
            assert sock.recv(2) == b"hi"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read()
        assert proc.stdout.read() == "stopped\n"
    finally:
        stop_process(proc)


# ------------------------------------------------ many clients, big and small writes

@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_many_clients_each_sending_a_mebibyte_both_ways_are_all_served(kind, tmp_path):
    """uvloop's ``test_create_server_1`` and ``test_create_unix_server_1``:
    25 clients at once each send 1 MiB, get "OK", send another MiB and get
    "SPAM" written as ``writelines``, a ``bytearray`` and a ``memoryview``;
    every byte arrives, each accepted TCP socket has ``TCP_NODELAY``.
    Cancelled, the server closes its listener -- a new client is refused
    -- and a Unix server removes its socket file (asyncio 3.13's
    ``cleanup_socket``)."""
    first, second = b"A" * MiB, b"B" * MiB
    served = []

    def handler(stream, address):
        assert (yield stream.readexactly(len(first))) == first
        yield stream.write(b"OK")
        assert (yield stream.readexactly(len(second))) == second
        yield stream.writelines([b"S", b"P"])
        yield stream.write(bytearray(b"A"))
        yield stream.write(memoryview(b"M"))
        if kind == "tcp":
            assert stream.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        served.append(address)

    def main():
        server, connect_to = yield serving(kind, tmp_path, handler)

        def client():
            stream = yield connect_to()
            with stream:
                yield stream.write(first)
                assert (yield stream.readexactly(2)) == b"OK"
                yield stream.write(second)
                assert (yield stream.readexactly(4)) == b"SPAM"
                assert (yield stream.read()) == b""     # the handler returned: closed
        group = TaskGroup()
        for _ in range(25):
            yield group.spawn(client())
        yield group.join()
        yield cancel(server)
        with pytest.raises((ConnectionRefusedError, FileNotFoundError)):
            yield connect_to()

    trampoline.run(main())
    assert len(served) == 25
    assert not os.path.exists(unix_path(tmp_path))


def test_many_small_writes_arrive_whole_and_a_str_between_them_is_refused():
    """uvloop's ``test_many_small_writes``: thousands of writes in a row,
    each followed by a ``str`` written by mistake (``TypeError``, nothing
    sent), reach a server counting bytes: every byte, no more (uvloop
    counts 10,000 writes of 100 KB, twice; 3,000 of 10 KiB here).  The
    client's socket has ``TCP_NODELAY``, as uvloop's
    ``test_create_connection_open_con_addr`` checks."""
    total = Future()
    data = b"x" * 10240

    def counting(stream, address):
        count = 0
        while True:
            chunk = yield stream.read(10000)
            if not chunk:
                break
            count += len(chunk)
        total.set_result(count)

    def main():
        server, port = yield start_server(counting)
        stream = yield open_connection("127.0.0.1", port)
        assert stream.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        with stream:
            for _ in range(3000):
                yield stream.write(data)
                with pytest.raises(TypeError):
                    yield stream.write("a")
        count = yield total
        yield cancel(server)
        return count

    assert trampoline.run(main()) == 3000 * len(data)


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_clients_of_a_server_that_hangs_up_early_get_an_incomplete_read(kind, tmp_path):
    """uvloop's ``test_create_connection_3`` and
    ``test_create_unix_connection_3``: 100 clients each send 4 bytes to a
    server that reads them and closes; each client's ``readexactly(10)``
    raises ``IncompleteReadError`` with the nothing it got, and a Unix
    client's socket is ``AF_UNIX``."""
    def hang_up(stream, address):
        yield stream.readexactly(4)

    def main():
        server, connect_to = yield serving(kind, tmp_path, hang_up)

        def client():
            stream = yield connect_to()
            with stream:
                if kind == "unix":
                    assert stream.sock.family == socket.AF_UNIX
                yield stream.write(b"AAAA")
                with pytest.raises(IncompleteReadError) as info:
                    yield stream.readexactly(10)
                assert info.value.partial == b"" and info.value.expected == 10
        group = TaskGroup()
        for _ in range(100):
            yield group.spawn(client())
        yield group.join()
        yield cancel(server)

    trampoline.run(main())


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_UNIX], ids=["inet", "unix"])
def test_a_stream_of_a_socket_connected_or_accepted_by_hand(family, tmp_path):
    """uvloop's ``test_create_connection_open_con_sock``,
    ``test_create_unix_connection_open_unix_con_sock`` and
    ``test_connect_accepted_socket``: a blocking socket connected by plain
    ``connect``, and one accepted by a plain blocking ``accept``, each
    wrapped in ``Stream``: it is made non-blocking and talks both ways."""
    if family == socket.AF_INET:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
    else:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(unix_path(tmp_path))
    listener.listen(1)
    client = socket.socket(family)
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    listener.close()

    def main():
        ours, theirs = Stream(client), Stream(accepted)
        assert client.gettimeout() == 0.0 and accepted.gettimeout() == 0.0
        with ours, theirs:
            yield ours.write(b"AAAA")
            assert (yield theirs.readexactly(4)) == b"AAAA"
            yield theirs.write(b"roger")
            assert (yield ours.readexactly(5)) == b"roger"

    trampoline.run(main())


def test_the_peer_s_address_outlives_the_close():
    """uvloop's ``test_transport_get_extra_info``: the peer's address is
    there after the stream is closed (``peername``), and a handler whose
    client writes 2 bytes and closes gets ``IncompleteReadError`` from
    ``readexactly(4)``, then its stream's end is seen by the client."""
    seen = Future()

    def handler(stream, address):
        with pytest.raises(IncompleteReadError):
            yield stream.readexactly(4)
        stream.close()
        seen.set_result((stream.peername, address))

    def main():
        server, port = yield start_server(handler)
        stream = yield open_connection("127.0.0.1", port)
        name, peer = stream.sock.getsockname(), stream.peername
        yield stream.write(b"OK")
        stream.close()
        assert stream.peername == peer == ("127.0.0.1", port)
        peername, address = yield seen
        yield cancel(server)
        assert peername == address == name

    trampoline.run(main())


# ------------------------------------------------ servers: starting, stopping

def test_clients_queued_before_serve_starts_are_served_and_serve_closes_the_listener():
    """uvloop's ``test_create_server_9`` and ``_10``, asyncio's
    ``start_serving=False`` then ``serve_forever``: ``listen()`` first, a
    client connects (it waits in the listener's queue), then
    ``serve(listener, ...)`` serves it; cancelled, ``serve`` closes the
    listener (uvloop checks the server's sockets' ``fileno() == -1``).
    ``serve`` of that closed listener again raises ``OSError(EBADF)``
    naming it (asyncio: ``RuntimeError`` "... is closed")."""
    def main():
        listener = listen(("127.0.0.1", 0))
        address = listener.getsockname()
        early = yield open_connection(*address)     # queued: nobody accepts yet
        ready = Future()
        server = yield spawn(serve(listener, echo, ready=ready))
        assert (yield ready) == address
        with early:
            yield early.write(b"queued")
            assert (yield early.readexactly(6)) == b"queued"
        yield cancel(server)
        assert listener.fileno() == -1
        with pytest.raises(OSError) as info:
            yield serve(listener, echo)
        assert info.value.errno == errno.EBADF and "closed" in str(info.value)

    trampoline.run(main())


@pytest.mark.skipif(not hasattr(socket, "SOCK_NONBLOCK"), reason="Linux's SOCK_NONBLOCK")
def test_a_listener_made_with_sock_nonblock_is_served():
    """uvloop's ``test_create_server_stream_bittype`` and
    ``test_create_unix_server_path_stream_bittype``: a listener made as
    ``SOCK_STREAM | SOCK_NONBLOCK`` is a stream socket all the same."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def main():
        server = yield spawn(serve(listener, echo))
        stream = yield open_connection(*listener.getsockname())
        with stream:
            yield stream.write(b"x")
            got = yield stream.read(1)
        yield cancel(server)
        return got

    assert trampoline.run(main()) == b"x"


def test_a_port_of_none_and_a_backlog_that_is_no_int_are_named():
    """uvloop's ``test_create_server_3`` (port ``None`` or 0: an ephemeral
    port) and ``test_create_server_float_backlog`` (1.1, "1":
    ``TypeError``).  Our documented rule differs: the port is an int from
    0 to 65535 -- 0 picks a free one, ``None`` is refused -- and a backlog
    an int >= 0; each is a ``ValueError`` naming the call and the value."""
    def main():
        with pytest.raises(ValueError, match=r"tcp_server\(\): port .* got None"):
            yield tcp_server("127.0.0.1", None, echo)
        for backlog in (1.1, "1"):
            with pytest.raises(ValueError, match=r"tcp_server\(\): backlog .* got %r"
                               % (backlog,)):
                yield tcp_server("127.0.0.1", 0, echo, backlog=backlog)
        server, port = yield start_server(echo)         # port 0: a free one
        assert port != 0
        yield cancel(server)

    trampoline.run(main())


def test_a_server_task_nobody_holds_keeps_serving():
    """uvloop's ``test_create_server_7``: the server object is kept alive
    by the loop, with no reference left in the program.  A server task
    spawned and forgotten serves after a garbage collection."""
    def greet(stream, address):
        yield stream.write(b"hello")

    def main():
        ready = Future()
        yield spawn(tcp_server("127.0.0.1", 0, greet, ready=ready))
        port = (yield ready)[1]
        gc.collect()
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            got = yield stream.read()
        return got                                      # (run() ends the server)

    assert trampoline.run(main()) == b"hello"


def test_a_server_cancelled_under_a_handler_blocked_writing_ends_at_once():
    """asyncio's ``test_abort_clients``: a handler is stuck writing 64 MiB
    to a client that reads nothing (its buffers full); closing the server
    must not wait for it.  Ours: cancelling the server cancels the
    handler in its write and closes its stream (asyncio's ``close()``
    leaves the connections, ``abort_clients()`` resets them); the server's
    task ends at once, and the client reads what had reached it, then the
    end -- fewer bytes than were being written."""
    handed = Future()

    def flood(stream, address):
        handed.set_result(stream)
        yield stream.write(b"x" * (64 * MiB))

    def main():
        server, port = yield start_server(flood)
        stream = yield open_connection("127.0.0.1", port)
        yield stalled((yield handed))               # its write waits for room
        yield timeout_after(5, cancel(server))
        received = 0
        with stream:
            while True:
                data = yield stream.read(MiB)
                if not data:
                    break
                received += len(data)
        return received

    assert 0 < trampoline.run(main()) < 64 * MiB


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_clients_of_a_closed_server_get_what_its_handlers_write_as_they_end(kind, tmp_path):
    """asyncio's ``test_close_clients`` (``close()`` then
    ``close_clients()``: each connection is closed).  Ours: cancelling the
    server cancels every handler where it waits; its ``finally`` runs and
    may still write -- a goodbye reaches each of three idle clients --
    then its stream is closed, and the clients read the end."""
    waiting = []
    all_in = Future()

    def idle(stream, address):
        try:
            waiting.append(address)
            if len(waiting) == 3:
                all_in.set_result(None)
            yield stream.readline()
        finally:
            yield stream.write(b"server going down\n")

    def main():
        server, connect_to = yield serving(kind, tmp_path, idle)
        clients = []
        for _ in range(3):
            clients.append((yield connect_to()))
        yield all_in
        yield cancel(server)
        said = []
        for stream in clients:
            with stream:
                said.append((yield stream.read()))
        return said

    assert trampoline.run(main()) == [b"server going down\n"] * 3


def test_a_handler_that_stops_its_own_server_does_not_hang():
    """asyncio's ``test_start_server_1``: a handler reads a line and
    cancels the task serving it (``main_task.cancel()``).  Ours: the
    server stops accepting and cancels its connections -- this handler
    too, in its ``cancel``, which would otherwise wait for the server
    that waits for it -- so everything ends: the server task cancelled,
    the client seeing the end, a new client refused."""
    box = {}

    def stopper(stream, address):
        yield stream.readline()
        yield cancel(box["server"])
        box["after"] = True                         # never: cancelled in the cancel

    def main():
        box["server"], port = yield start_server(stopper)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            yield stream.write(b"1" * 5120 + b"\n")
            assert (yield timeout_after(5, stream.read())) == b""
        with pytest.raises(trampoline.TaskError):
            yield join(box["server"])
        assert box["server"].cancelled and "after" not in box
        with pytest.raises(ConnectionRefusedError):
            yield open_connection("127.0.0.1", port)

    trampoline.run(main())


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_a_peer_that_closes_mid_write_is_one_debug_line_and_the_server_goes_on(
        kind, tmp_path, caplog):
    """uvloop's ``test_create_unix_connection_5`` (the peer closed, a
    write then fails with ``BrokenPipeError`` or ``ConnectionResetError``)
    on a server: a handler writing 32 MiB to a client that reads a little
    and closes gets that error in its write; the server logs one DEBUG
    line naming the peer -- what a peer does is no crash -- and serves the
    next client."""
    failed = Future()

    def flood(stream, address):
        try:
            yield stream.write(b"x" * (32 * MiB))
        except OSError as exc:
            failed.set_result(exc)
            raise

    def main():
        server, connect_to = yield serving(kind, tmp_path, flood)
        stream = yield connect_to()
        assert (yield stream.read(1000))
        stream.close()                              # unread bytes: a reset
        error = yield failed
        again = yield connect_to()                  # the server goes on
        with again:
            assert (yield again.read(1000))
        yield cancel(server)
        return error

    with caplog.at_level(logging.DEBUG, logger="trampoline"):
        error = trampoline.run(main())
    assert isinstance(error, (BrokenPipeError, ConnectionResetError))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    ended = [r.getMessage() for r in caplog.records if "ended:" in r.getMessage()]
    assert len(ended) >= 1 and all(r.startswith("connection from ") for r in ended), ended


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_everything_a_client_sent_before_hanging_up_is_read(kind, tmp_path):
    """uvloop's ``test_epollhup``: the client reads the server's greeting,
    sends one byte more than the server's first read takes, and closes at
    once; the server reads every byte, then the end, with no error
    (epoll reports the hang-up with the data: none of it may be lost)."""
    got = Future()

    def greet(stream, address):
        yield stream.write(b"hello")
        data = b""
        while True:
            chunk = yield stream.read(50)
            if not chunk:
                break
            data += chunk
        got.set_result(data)

    def main():
        server, connect_to = yield serving(kind, tmp_path, greet)
        stream = yield connect_to()
        assert (yield stream.readexactly(5)) == b"hello"
        yield stream.write(b"a" * 51)
        stream.close()
        data = yield got
        yield cancel(server)
        return data

    assert trampoline.run(main()) == b"a" * 51


def test_write_eof_over_a_unix_socket_ends_one_way_only(tmp_path):
    """uvloop's ``test_transport_shutdown`` (``write_eof`` twice, then
    close) over a Unix socket, 100 clients: each client half-closes after
    its request; the server reads to the end, answers, half-closes twice
    and returns; each client reads the answer, then the end."""
    def answer(stream, address):
        request = yield stream.read()               # to the client's end
        yield stream.write(request[::-1])
        yield stream.write_eof()
        yield stream.write_eof()

    def main():
        server, connect_to = yield serving("unix", tmp_path, answer)

        def client(n):
            stream = yield connect_to()
            with stream:
                yield stream.write(b"request %d" % n)
                yield stream.write_eof()
                assert (yield stream.read()) == (b"request %d" % n)[::-1]
        group = TaskGroup()
        for n in range(100):
            yield group.spawn(client(n))
        yield group.join()
        yield cancel(server)

    trampoline.run(main())


def test_an_accept_that_timed_out_leaves_a_listener_that_closes_and_refuses():
    """asyncio's ``test_cancel_sock_accept``: ``accept`` under a timeout
    with nobody connecting times out; the listener, closed then, refuses
    the next connection (no registration keeps it open)."""
    def main():
        listener = listen(("127.0.0.1", 0))
        address = listener.getsockname()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.05, accept(listener))
        listener.close()
        with socket.socket() as sock:
            with pytest.raises(ConnectionRefusedError):
                yield connect(sock, address)

    trampoline.run(main())


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_UNIX], ids=["inet", "unix"])
def test_blocking_sockets_in_debug_mode_are_made_non_blocking(family, tmp_path):
    """asyncio's ``test_sock_client_ops`` and ``test_unix_sock_client_ops``:
    in debug mode ``sock_connect``, ``sock_sendall``, ``sock_recv`` and
    ``sock_accept`` of a *blocking* socket raise ``ValueError``.  Our
    documented rule differs (README, the traps), as curio's and trio's:
    the traps make such a socket non-blocking and go on, in debug mode
    too -- ``connect``, ``write``, ``read`` and ``accept`` all work, and
    each socket is left non-blocking."""
    address = ("127.0.0.1", 0) if family == socket.AF_INET else unix_path(tmp_path)
    listener = socket.socket(family)
    listener.bind(address)
    listener.listen()
    client = socket.socket(family)

    def main():
        yield connect(client, listener.getsockname())
        conn, _ = yield accept(listener)
        with conn:
            yield trampoline.write(client, b"GET / HTTP/1.0\r\n\r\n")
            assert (yield trampoline.read(conn, 1024)) == b"GET / HTTP/1.0\r\n\r\n"
        assert (yield trampoline.read(client, 1024)) == b""

    with listener, client:
        trampoline.run(main(), debug=True)
        assert listener.gettimeout() == 0.0 and client.gettimeout() == 0.0
