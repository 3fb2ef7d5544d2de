"""The I/O traps over real sockets, pipes and files.

read, write, accept, connect, read_wait and write_wait: normal use, large
transfers, end of stream, the errors each raises *in the task* (while other
tasks keep running), fairness, idling, and descriptor registrations.  Every
test that runs a kernel uses the ``run`` fixture (conftest.py), so it runs on
the default poller (epoll) and on the PollSelector and SelectSelector
fallbacks.  Tasks synchronise through joins, data and flags, never sleeps.
"""

import errno
import io
import os
import selectors
import socket
import struct
import threading
import time

import pytest

from trampoline import (Cancelled, Kernel, ResourceBusy, Stream, TaskError, accept, cancel,
                        connect, current, disable_cancellation, join, listen, read, read_wait,
                        sleep, spawn, timeout_after, write, write_wait)
from trampoline.traps import current_kernel

MiB = 1 << 20

# The same backends as conftest.py's ``run`` fixture, for the tests that need
# a Kernel object (to look at its registrations afterwards).
SELECTORS = {
    "default": lambda: None,
    "poll": getattr(selectors, "PollSelector", None),
    "select": selectors.SelectSelector,
}


# ---------------------------------------------------------------- watchdog

from net_helpers import free_port, watchdog  # noqa: E402,F401 (watchdog: an autouse fixture)

WATCHDOG_SECONDS = 5.0                  # a hang (or a starved task) fails fast


# ----------------------------------------------------------------- helpers

def do(trap):
    """A task (or subroutine) that performs one trap and returns its result."""
    return (yield trap)


def noop():
    return
    yield


def settle():
    """Subroutine: return once every task that was ready has run up to its
    next wait.  It joins a fresh task, which runs after them: spawn is FIFO."""
    yield join((yield spawn(noop())))


def close(fileobj):
    if type(fileobj) is int:
        os.close(fileobj)
    else:
        fileobj.close()


def read_all(fileobj, nbytes=65536):
    """Subroutine: read until end of stream; return everything."""
    chunks = []
    while True:
        data = yield read(fileobj, nbytes)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def read_all_of(fileobj, nbytes):
    """Task: read exactly ``nbytes`` bytes (or until end of stream)."""
    got = 0
    while got < nbytes:
        data = yield read(fileobj, 65536)
        if not data:
            break
        got += len(data)
    return got


def write_and_close(fileobj, data):
    """Task: write all of ``data``, then close ``fileobj`` (even if cancelled)."""
    try:
        yield write(fileobj, data)
    finally:
        close(fileobj)


def echo(conn):
    """Task: echo everything ``conn`` receives until end of stream; close it."""
    with conn:
        while True:
            data = yield read(conn, 65536)
            if not data:
                return
            yield write(conn, data)


def serve(listener):
    """Task: accept connections forever, one echo task each."""
    while True:
        conn, _ = yield accept(listener)
        yield spawn(echo(conn))


def echo_round_trip(family, address, message):
    """Subroutine: connect a new socket to an echo server, send ``message``,
    return the whole reply."""
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        yield connect(sock, address)
        yield write(sock, message)
        sock.shutdown(socket.SHUT_WR)
        return (yield read_all(sock))


def start_bystander():
    """Subroutine: spawn a task that waits in read() on a fresh socketpair.
    Returns a subroutine that later checks the task is still served."""
    a, b = socket.socketpair()

    def reader():
        with b:
            return (yield read(b, 100))

    task = yield spawn(reader())

    def check():
        with a:
            yield write(a, b"still served")
            assert (yield join(task)) == b"still served"
    return check


def error_in_task(run, make):
    """Run ``yield make()`` in a task while a bystander task waits on I/O.
    Return the exception the task caught at that yield, after checking that
    the bystander was still served.  ``make`` is called inside the task."""
    def victim():
        try:
            yield make()
        except Exception as exc:
            return exc
        return "no error"

    def main():
        check = yield start_bystander()
        error = yield join((yield spawn(victim())))
        yield check()
        return error

    error = run(main())
    assert isinstance(error, Exception), "the trap did not raise"
    return error


def tcp_pair(buffer_size=None):
    """A connected pair of (blocking) TCP sockets on 127.0.0.1, made outside
    any kernel; with ``buffer_size``, small kernel buffers."""
    with socket.socket() as listener:
        client = socket.socket()
        for sock in (listener, client):
            if buffer_size:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_size)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_size)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client.connect(listener.getsockname())
        server, _ = listener.accept()
    return client, server


def reset(sock):
    """Close ``sock`` so that its peer gets a TCP RST."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def closed_socket():
    sock = socket.socket()
    sock.close()
    return sock


def closed_fd():
    """The number of a descriptor just closed (call it inside the task, so
    nothing reuses the number before the trap sees it)."""
    r, w = os.pipe()
    os.close(w)
    os.close(r)
    return r


def ipv6_available():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def registrations(kernel):
    """How many descriptors the kernel (its table, and its poller) still
    watches, besides its own wake-up socket (for other threads).  Internals,
    for leak checks only."""
    poller = kernel._poller
    if hasattr(poller, "selector"):
        in_poller = len(poller.selector.get_map())
    else:                                   # epoll: ask Linux
        with open("/proc/self/fdinfo/%d" % poller.fileno()) as info:
            in_poller = sum(line.startswith("tfd:") for line in info)
    return len(kernel._fds), in_poller - 1


def assert_same(received, expected):
    """Compare two byte strings; on a mismatch say where (no huge repr)."""
    if received == expected:
        return
    received, expected = bytes(received), bytes(expected)
    offset = next((i for i, (x, y) in enumerate(zip(received, expected)) if x != y),
                  min(len(received), len(expected)))
    pytest.fail("got %d bytes, expected %d; first difference at offset %d"
                % (len(received), len(expected), offset))


IO_TRAPS = {
    "read": lambda f: read(f, 10),
    "write": lambda f: write(f, b"x"),
    "accept": lambda f: accept(f),
    "connect": lambda f: connect(f, ("127.0.0.1", 9)),
    "read_wait": lambda f: read_wait(f),
    "write_wait": lambda f: write_wait(f),
}
FD_TRAPS = ["read", "write", "read_wait", "write_wait"]


# ============================================================ normal use

def test_read_returns_at_most_nbytes_and_the_rest_next_time(run):
    """read() returns at most nbytes of what is there; the next read the rest."""
    a, b = socket.socketpair()

    def main():
        yield write(a, b"0123456789")
        first = yield read(b, 4)
        return first, (yield read(b, 100))

    with a, b:
        assert run(main()) == (b"0123", b"456789")


@pytest.mark.parametrize("kind", ["socketpair", "tcp", "pipe"])
def test_read_returns_empty_bytes_at_end_of_stream(run, kind):
    """Once the peer has closed, read() gives the last data, then b"" (again and again)."""
    if kind == "pipe":
        r, w = os.pipe()
    elif kind == "tcp":
        w, r = tcp_pair()
    else:
        w, r = socket.socketpair()

    def main():
        yield spawn(write_and_close(w, b"last words"))
        data = yield read_all(r)
        return data, (yield read(r, 10)), (yield read(r, 10))

    try:
        assert run(main()) == (b"last words", b"", b"")
    finally:
        close(r)


def test_large_transfer_through_a_socketpair_keeps_every_byte(run):
    """8 MiB from a writer task to a reader task through a socketpair arrive intact."""
    payload = os.urandom(8 * MiB)
    a, b = socket.socketpair()

    def main():
        writer = yield spawn(write_and_close(a, payload))
        received = yield read_all(b)
        assert (yield join(writer)) is None
        return received

    with a, b:
        received = run(main())
    assert_same(received, payload)


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "memoryview of int32"])
def test_write_sends_every_byte_of_any_bytes_like_payload(run, kind):
    """write() returns None after sending all of a 4 MiB bytes/bytearray/memoryview,
    whatever the memoryview's item size."""
    raw = os.urandom(4 * MiB)
    payload = {"bytes": raw, "bytearray": bytearray(raw), "memoryview": memoryview(raw),
               "memoryview of int32": memoryview(raw).cast("i")}[kind]
    a, b = socket.socketpair()

    def writer():
        with a:
            return (yield write(a, payload))

    def main():
        task = yield spawn(writer())
        received = yield read_all(b)
        return (yield join(task)), received

    with a, b:
        result, received = run(main())
    assert result is None
    assert_same(received, raw)


def test_one_task_writes_while_another_reads_the_same_tcp_socket(run):
    """Full duplex: 4 MiB written into a TCP socket by one task and read back
    (echoed) from it by another arrive intact."""
    payload = os.urandom(4 * MiB)
    with listen(("127.0.0.1", 0)) as listener, socket.socket() as client:
        def send_all():
            yield write(client, payload)
            client.shutdown(socket.SHUT_WR)

        def main():
            server = yield spawn(serve(listener))
            yield connect(client, listener.getsockname())
            sender = yield spawn(send_all())
            echoed = yield read_all(client)
            yield join(sender)
            yield cancel(server)
            return echoed

        assert_same(run(main()), payload)


@pytest.mark.parametrize("blocking", [True, False], ids=["blocking", "non-blocking"])
def test_pipe_carries_many_times_its_buffer_between_two_tasks(run, blocking):
    """os.pipe() int fds use os.read/os.write: 1 MiB (many times the pipe buffer)
    goes from a writer task to a draining reader task; a blocking pipe does not
    block the kernel (that would deadlock the two tasks)."""
    payload = os.urandom(MiB)
    r, w = os.pipe()
    os.set_blocking(r, blocking)
    os.set_blocking(w, blocking)
    try:
        import fcntl
        assert len(payload) > 4 * fcntl.fcntl(w, fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError):   # pragma: no cover - before 3.10 / not Linux
        pass

    def main():
        writer = yield spawn(write_and_close(w, payload))
        received = yield read_all(r)
        yield join(writer)
        return received

    try:
        received = run(main())
    finally:
        os.close(r)
    assert_same(received, payload)


@pytest.mark.parametrize("kind", ["pipe file objects", "socket int fds"])
def test_file_objects_and_int_fds_are_read_and_written(run, kind):
    """Anything with fileno() (a pipe wrapped by os.fdopen) and plain int fds
    (a socketpair's numbers) work with read() and write()."""
    if kind == "pipe file objects":
        r, w = os.pipe()
        reader, writer = os.fdopen(r, "rb", buffering=0), os.fdopen(w, "wb", buffering=0)
        keep = (reader, writer)
    else:
        keep = socket.socketpair()
        writer, reader = keep[0].fileno(), keep[1].fileno()

    def main():
        yield write(writer, b"through " + kind.encode())
        return (yield read(reader, 100))

    try:
        assert run(main()) == b"through " + kind.encode()
    finally:
        for f in keep:
            f.close()


def test_regular_file_takes_a_large_write_and_reads_back_whole(run, tmp_path):
    """A regular file (epoll refuses to poll it): an 8 MiB write() completes,
    and read() gives it all back, then b""."""
    payload = os.urandom(8 * MiB)
    path = str(tmp_path / "data")

    def main():
        with open(path, "wb", buffering=0) as f:
            yield write(f, payload)
        with open(path, "rb", buffering=0) as f:
            return (yield read_all(f, MiB))

    assert_same(run(main()), payload)


def test_accept_returns_a_nonblocking_connection_with_nodelay(run):
    """accept() gives (conn, addr): conn non-blocking with TCP_NODELAY, addr the client's."""
    with listen(("127.0.0.1", 0)) as listener, socket.socket() as client:
        def main():
            server = yield spawn(do(accept(listener)))
            yield connect(client, listener.getsockname())
            conn, addr = yield join(server)
            with conn:
                return (conn.getblocking(),
                        conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), addr)

        blocking, nodelay, addr = run(main())
        assert blocking is False
        assert nodelay != 0
        assert addr == client.getsockname()


def test_accept_on_a_blocking_listener_does_not_stall_other_tasks(run, watchdog):
    """accept() on a plain (blocking) listening socket waits like any trap:
    the other tasks run meanwhile and the connection arrives."""
    watchdog(1.0)
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)                  # left blocking, unlike listen()'s

        def main():
            server = yield spawn(do(accept(listener)))
            yield settle()                  # the server waits in accept()
            yield connect(client, listener.getsockname())
            conn, addr = yield join(server)
            conn.close()
            return addr

        assert run(main()) == client.getsockname()


def test_connect_then_talk_both_ways(run):
    """connect() returns None once a plain socket is connected; data then flows both ways."""
    with listen(("127.0.0.1", 0)) as listener, socket.socket() as client:
        def main():
            server = yield spawn(serve(listener))
            result = yield connect(client, listener.getsockname())
            yield write(client, b"ping")
            reply = yield read(client, 100)
            yield cancel(server)
            return result, client.getpeername(), reply

        assert run(main()) == (None, listener.getsockname(), b"ping")


def test_connect_to_a_closed_port_raises_connection_refused_in_the_task(run):
    """connect() to a port nobody listens on raises ConnectionRefusedError,
    naming the address, in the task; the others keep running.  (The port
    stays bound, not listening, till the end: nothing else can listen
    there meanwhile, nor can the connect pick it as its own local port.)"""
    unused = free_port()
    port = unused.getsockname()[1]

    def refused():
        with socket.socket() as sock:
            yield connect(sock, ("127.0.0.1", port))

    with unused:
        error = error_in_task(run, refused)
    assert isinstance(error, ConnectionRefusedError)
    assert str(port) in str(error)


def test_read_wait_returns_once_data_has_arrived(run):
    """read_wait() returns only once the socket is readable: a recv() after it gets data."""
    a, b = socket.socketpair()
    b.setblocking(False)

    def waiter():
        yield read_wait(b)
        return b.recv(100)      # raises BlockingIOError if read_wait returned early

    def main():
        task = yield spawn(waiter())
        yield settle()          # it waits now
        yield write(a, b"ready")
        return (yield join(task))

    with a, b:
        assert run(main()) == b"ready"


def test_write_wait_returns_once_the_buffer_has_room(run):
    """write_wait() on a full socket returns only after another task drained it."""
    a, b = socket.socketpair()
    a.setblocking(False)
    filled = 0
    while True:                 # fill a's buffer, outside the kernel
        try:
            filled += a.send(b"x" * 65536)
        except BlockingIOError:
            break
    drained = []

    def waiter():
        yield write_wait(a)
        return sum(drained), a.send(b"y")

    def drainer():
        while sum(drained) < filled:
            drained.append(len((yield read(b, 65536))))

    def main():
        task = yield spawn(waiter())
        yield settle()          # it waits now
        yield spawn(drainer())
        return (yield join(task))

    with a, b:
        drained_before, sent = run(main())
    assert drained_before > 0
    assert sent == 1


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback here")
def test_listen_on_ipv6_serves_an_echo(run):
    """listen(("::1", 0)) makes an IPv6 listener that accept/connect/echo work on."""
    with listen(("::1", 0)) as listener:
        assert listener.family == socket.AF_INET6

        def main():
            server = yield spawn(serve(listener))
            reply = yield echo_round_trip(socket.AF_INET6, listener.getsockname()[:2], b"v6")
            yield cancel(server)
            return reply

        assert run(main()) == b"v6"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_on_a_unix_path_serves_an_echo(run, tmp_path):
    """listen(path) makes a Unix-socket listener that accept/connect/echo work on."""
    path = str(tmp_path / "echo.sock")
    with listen(path) as listener:
        assert listener.family == socket.AF_UNIX

        def main():
            server = yield spawn(serve(listener))
            reply = yield echo_round_trip(socket.AF_UNIX, path, b"unix")
            yield cancel(server)
            return reply

        assert run(main()) == b"unix"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_replaces_a_stale_unix_socket_file(tmp_path):
    """listen(path) again after a server died (its socket file left behind) works."""
    path = str(tmp_path / "stale.sock")
    listen(path).close()
    assert os.path.exists(path)
    with listen(path) as listener:
        assert listener.getsockname() == path


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_leaves_a_live_unix_socket_alone(tmp_path):
    """listen(path) where a server listens: OSError(EADDRINUSE) naming the
    path, as a TCP port in use says; the first server keeps its socket
    file and its clients (the second used to unlink it and take over)."""
    path = str(tmp_path / "live.sock")
    with listen(path) as first:
        with pytest.raises(OSError) as error:
            listen(path)
        assert error.value.errno == errno.EADDRINUSE
        assert "cannot listen on %r: a server is listening there" % path in str(error.value)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)                # still the first server's path
            client.sendall(b"still here")
            first.settimeout(5)
            got = b""
            while not got:                      # (the check's connection came first: empty)
                peer, _ = first.accept()
                with peer:
                    peer.settimeout(5)
                    got = peer.recv(100)
            assert got == b"still here"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_leaves_a_live_unix_socket_with_a_full_backlog_alone(tmp_path):
    """A server too busy to accept: its path is still in use (the check
    that it is alive does not wait for it)."""
    path = str(tmp_path / "busy.sock")
    fillers = []
    with listen(path, backlog=0):
        try:
            while True:                         # fill the backlog
                filler = socket.socket(socket.AF_UNIX)
                fillers.append(filler)
                filler.setblocking(False)
                filler.connect(path)
        except BlockingIOError:
            pass
        with pytest.raises(OSError) as error:
            listen(path)
        assert error.value.errno == errno.EADDRINUSE
        assert str(error.value).endswith(
            "cannot listen on %r: a server is listening there (its backlog is full)" % path)
        assert os.path.exists(path)
    for filler in fillers:
        filler.close()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_leaves_a_live_datagram_socket_alone(tmp_path):
    """A live Unix datagram socket at the path (a stream connect to it is
    refused with EPROTOTYPE, not ECONNREFUSED): in use, not removed."""
    path = str(tmp_path / "dgram.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as other:
        other.bind(path)
        with pytest.raises(OSError) as error:
            listen(path)
        assert error.value.errno == errno.EADDRINUSE
        assert str(error.value).endswith(
            "cannot listen on %r: a socket file is there, and connecting to it says: %s "
            "(it is not removed)" % (path, os.strerror(errno.EPROTOTYPE)))
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"still mine", path)
            assert other.recv(100) == b"still mine"


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_on_a_unix_path_too_long_says_so(tmp_path):
    """bind's error without an errno ("AF_UNIX path too long") keeps its
    words; it read "[Errno None] None: cannot listen on ..."."""
    path = str(tmp_path / ("x" * 200 + ".sock"))
    with pytest.raises(OSError) as error:
        listen(path)
    message = str(error.value)
    assert message.endswith(": cannot listen on %r" % path) and "too long" in message, message
    assert "None" not in message


def test_listen_takes_none_as_every_interface_and_caps_a_huge_backlog():
    """``(None, port)`` is every IPv4 interface, as ``("", port)`` (a
    bare TypeError from bind before; one socket, one family: tcp_server
    adds an IPv6 one); a backlog over what ``listen(2)``
    takes is capped, as the system caps it (an unnamed OverflowError
    before); a host that is not a string is named."""
    with listen((None, 0)) as listener:
        assert listener.getsockname()[0] == "0.0.0.0"
    with listen(("127.0.0.1", 0), backlog=2 ** 40) as listener:
        assert listener.getsockname()[0] == "127.0.0.1"
    with pytest.raises(TypeError, match=r"listen\(\): the host must be a str, got 127"):
        listen((127, 0))
    with listen((b"127.0.0.1", 0)) as taken:    # a bytes host, as bind takes it
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1:%d" % port):
            listen((b"127.0.0.1", port))


def test_listen_never_removes_a_file_that_is_not_a_socket(tmp_path):
    """A regular file at the path: OSError(EADDRINUSE) saying it is not a
    socket; the file is untouched."""
    path = tmp_path / "notes.txt"
    path.write_text("keep me")
    with pytest.raises(OSError) as error:
        listen(str(path))
    assert error.value.errno == errno.EADDRINUSE
    assert "%r: a file that is not a socket is there" % str(path) in str(error.value)
    assert path.read_text() == "keep me"


def test_listen_gives_a_nonblocking_reusable_tcp_listener():
    """listen(("127.0.0.1", 0)) is non-blocking, SO_REUSEADDR, bound to a free port."""
    with listen(("127.0.0.1", 0)) as listener:
        assert listener.getblocking() is False
        assert listener.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0
        assert listener.getsockname()[1] != 0


def test_io_traps_are_awaitable_in_async_def(run):
    """data = await read(...), await write(...) work in async def tasks."""
    a, b = socket.socketpair()

    async def shout():
        data = await read(b, 100)
        await write(b, data.upper())

    async def main():
        task = await spawn(shout())
        await write(a, b"hello")
        reply = await read(a, 100)
        await join(task)
        return reply

    with a, b:
        assert run(main()) == b"HELLO"


def test_io_trap_reprs_name_the_descriptor():
    """Traps have a readable repr: <read fd=7 nbytes=1024> and the like."""
    a, b = socket.socketpair()
    with a, b:
        fd = a.fileno()
        assert repr(read(a, 1024)) == "<read fd=%d nbytes=1024>" % fd
        assert repr(write(a, b"abc")) == "<write fd=%d nbytes=3>" % fd
        assert repr(read_wait(a)) == "<read_wait fd=%d>" % fd
        assert repr(write_wait(a)) == "<write_wait fd=%d>" % fd
        assert repr(accept(a)) == "<accept fd=%d>" % fd


# ================================================== errors, in the task

@pytest.mark.parametrize("trap", IO_TRAPS)
def test_closed_socket_raises_ebadf_in_the_task(run, trap):
    """Every I/O trap on a closed socket raises OSError(EBADF) saying so, in the task."""
    error = error_in_task(run, lambda: IO_TRAPS[trap](closed_socket()))
    assert isinstance(error, OSError)
    assert error.errno == errno.EBADF
    assert "closed" in str(error)


@pytest.mark.parametrize("trap", FD_TRAPS)
def test_closed_int_fd_raises_ebadf_in_the_task(run, trap):
    """read/write/read_wait/write_wait on a closed int fd raise OSError(EBADF) in the task."""
    error = error_in_task(run, lambda: IO_TRAPS[trap](closed_fd()))
    assert isinstance(error, OSError)
    assert error.errno == errno.EBADF


@pytest.mark.parametrize("trap", FD_TRAPS)
def test_closed_file_object_raises_ebadf_in_the_task(run, trap):
    """The traps on a closed file object raise OSError(EBADF) saying it is closed."""
    def make():
        f = open(os.devnull, "rb")
        f.close()
        return IO_TRAPS[trap](f)

    error = error_in_task(run, make)
    assert isinstance(error, OSError)
    assert error.errno == errno.EBADF
    assert "closed" in str(error)


@pytest.mark.usefixtures("quick_sweep")
def test_socket_closed_under_a_waiting_reader_raises_ebadf_in_it(run, watchdog):
    """A task waiting in read() on a socket that another task closes gets
    OSError(EBADF) -- not a hang; the others keep running.  (epoll forgets a
    closed fd silently; the kernel's sweep finds it within a second.)"""
    watchdog(3.0)
    a, b = socket.socketpair()

    def main():
        check = yield start_bystander()
        reader = yield spawn(do(read(b, 10)))
        yield settle()              # it waits in read() now
        b.close()
        try:
            yield join(reader)
        except TaskError as exc:
            error = exc.__cause__
        else:
            error = None
        yield check()
        return error

    with a, b:
        error = run(main())
    assert isinstance(error, OSError)
    assert error.errno == errno.EBADF


def test_notify_closing_fails_the_reader_and_the_writer_at_once(run):
    """Kernel.notify_closing(sock), then close: the task parked reading it
    and the one parked writing it get OSError(EBADF) at once -- both have
    ended by the closer's next turn, not at the sweep a second later -- and
    the writer's error says how many bytes went out, every one of which
    the peer reads."""
    a, b = socket.socketpair()
    b.setblocking(False)

    def main():
        kernel = yield current_kernel()
        reader = yield spawn(do(read(a, 10)))
        writer = yield spawn(do(write(a, bytes(8 * MiB))))
        yield settle()              # both wait now: nothing to read, no room
        kernel.notify_closing(a)
        a.close()
        kernel.notify_closing(a)    # closed already: ignored
        kernel.notify_closing(b)    # a socket it never saw: ignored
        r, w = os.pipe()
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            pass
        kernel.notify_closing(pipe)     # a closed file object (its fileno() raises)
        yield settle()
        ended = reader.done, writer.done
        errors = []
        for task in (reader, writer):
            try:
                yield join(task)
            except TaskError as exc:
                errors.append(exc.__cause__)
        received = 0
        while True:
            try:
                data = b.recv(MiB)
            except BlockingIOError:     # (the peer closed: recv says b"" first)
                break
            if not data:
                break
            received += len(data)
        return ended, errors, received

    with a, b:
        ended, errors, received = run(main())
    assert ended == (True, True)
    assert [error.errno for error in errors] == [errno.EBADF, errno.EBADF]
    assert "was closed while" in str(errors[0])
    assert 0 < errors[1].bytes_written == received < 8 * MiB


@pytest.mark.usefixtures("quick_sweep")
def test_closed_descriptor_fails_a_reader_that_defers_cancellation(run, watchdog):
    """EBADF for a descriptor closed under its reader finishes the read
    like any error of the read; it is not a cancellation, so it comes even
    inside ``disable_cancellation()`` (it used to wait for the end of the
    block, which the reader never reached)."""
    watchdog(3.0)
    a, b = socket.socketpair()

    def reader():
        with disable_cancellation():
            try:
                yield read(b, 10)
            except OSError as exc:
                return exc

    def main():
        task = yield spawn(reader())
        yield settle()
        b.close()                   # no notice: the sweep finds it
        return (yield join(task))

    with a, b:
        error = run(main())
    assert error.errno == errno.EBADF


@pytest.mark.parametrize("nbytes, kind", [
    (-1, ValueError), (0, ValueError), (1.5, TypeError), ("10", TypeError), (None, TypeError)])
def test_bad_read_size_raises_in_the_task(run, nbytes, kind):
    """read() with a size below 1 raises ValueError, a non-int size TypeError,
    naming nbytes, in the task."""
    a, b = socket.socketpair()
    with a, b:
        error = error_in_task(run, lambda: read(b, nbytes))
    assert type(error) is kind
    assert "nbytes" in str(error)


@pytest.mark.parametrize("payload", ["text", 42, [1, 2], None])
def test_non_bytes_payload_raises_type_error_in_the_task(run, payload):
    """write() of something not bytes-like raises TypeError in the task; for a
    str the message says to encode it."""
    a, b = socket.socketpair()
    with a, b:
        error = error_in_task(run, lambda: write(a, payload))
    assert type(error) is TypeError
    assert "bytes" in str(error)
    if isinstance(payload, str):
        assert "encode" in str(error)


@pytest.mark.parametrize("thing", [object(), None, "a string"], ids=["object", "None", "str"])
@pytest.mark.parametrize("trap", IO_TRAPS)
def test_object_without_a_file_descriptor_raises_type_error_in_the_task(run, trap, thing):
    """An I/O trap on something with no fileno() raises TypeError saying what it
    needs, in the task."""
    error = error_in_task(run, lambda: IO_TRAPS[trap](thing))
    assert type(error) is TypeError
    assert "needs a" in str(error)


@pytest.mark.parametrize("trap", IO_TRAPS)
def test_in_memory_file_raises_type_error_not_closed_in_the_task(run, trap):
    """An open io.BytesIO has no descriptor (its fileno() raises
    UnsupportedOperation): TypeError like any non-file, not a claim that it
    is closed."""
    error = error_in_task(run, lambda: IO_TRAPS[trap](io.BytesIO(b"data")))
    assert type(error) is TypeError, repr(error)
    assert "needs a" in str(error)


def test_connect_on_a_file_that_is_not_a_socket_raises_type_error(run):
    """connect() on a file object (a descriptor, but no socket) raises TypeError."""
    with open(os.devnull, "rb") as f:
        error = error_in_task(run, lambda: connect(f, ("127.0.0.1", 9)))
    assert type(error) is TypeError
    assert "socket" in str(error)


def system_error(code, text):
    """The message of an ``OSError(code)`` whose words are the system's and then ``text``."""
    return "[Errno %d] %s %s" % (code, os.strerror(code), text)


@pytest.mark.parametrize("kind", ["unbound", "bound", "connected", "datagram"])
def test_accept_on_a_socket_that_is_not_listening_says_so_naming_it(run, kind):
    """accept() of a socket that is not listening raises, in the task, the
    OSError of accept -- its class and errno (EINVAL; EOPNOTSUPP for a
    datagram socket) -- saying what was wrong, with the socket's address;
    it said "[Errno 22] Invalid argument" alone.  The kernel and the other
    tasks go on (error_in_task's bystander)."""
    if kind == "connected":
        sock, peer = tcp_pair()
        peer.close()
    else:
        sock = socket.socket(type=socket.SOCK_DGRAM if kind == "datagram" else socket.SOCK_STREAM)
        if kind != "unbound":
            sock.bind(("127.0.0.1", 0))
    with sock:
        where = "%s:%d" % sock.getsockname()
        error = error_in_task(run, lambda: accept(sock))
    assert type(error) is OSError
    if kind == "datagram":
        assert error.errno == errno.EOPNOTSUPP
        assert str(error) == system_error(errno.EOPNOTSUPP, (
            "(accept() of the datagram socket %s): it has no connections to accept; "
            "recvfrom() its datagrams" % where))
    else:
        assert error.errno == errno.EINVAL
        assert str(error) == system_error(errno.EINVAL, (
            "(accept() of %s, which is not listening): accept() takes a listening socket "
            "-- trampoline.listen(address) makes one" % where))


@pytest.mark.parametrize("kind", ["socket", "int fd", "Stream.read", "Stream.readline"])
def test_read_of_a_listening_socket_says_to_accept_its_connections(run, kind):
    """read() of a listening socket -- the socket, its descriptor's number, a
    Stream made of it -- raises, in the task, OSError(ENOTCONN) naming the
    trap and the socket and saying to accept() instead; it said "[Errno
    107] Transport endpoint is not connected" alone.  (read waits first: a
    listening socket turns readable when a connection comes; one is
    queued here.)  The listener is left open and working."""
    listener = listen(("127.0.0.1", 0))
    where = "127.0.0.1:%d" % listener.getsockname()[1]
    client = socket.create_connection(listener.getsockname())
    if kind == "socket":
        make = lambda: read(listener, 100)                      # noqa: E731
    elif kind == "int fd":
        make = lambda: read(listener.fileno(), 100)             # noqa: E731
    elif kind == "Stream.read":
        make = lambda: Stream(listener).read(100)               # noqa: E731
    else:
        make = lambda: Stream(listener).readline()              # noqa: E731
    with listener, client:
        error = error_in_task(run, make)
        conn, _ = listener.accept()     # (still open: the error closed nothing)
        conn.close()
    assert type(error) is OSError and error.errno == errno.ENOTCONN
    assert str(error) == system_error(errno.ENOTCONN, (
        "(read() of the listening socket %s): accept() its connections instead" % where))


def test_read_of_a_socket_never_connected_says_so(run):
    """read() of a TCP socket that was never connected (it polls as hung
    up): OSError(ENOTCONN) naming it and saying to connect() it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        where = "127.0.0.1:%d" % sock.getsockname()[1]
        error = error_in_task(run, lambda: read(sock, 100))
    assert type(error) is OSError and error.errno == errno.ENOTCONN
    assert str(error) == system_error(errno.ENOTCONN, (
        "(read() of %s, which is not connected): connect() it first" % where))


@pytest.mark.parametrize("second_trap", ["read", "read_wait"])
def test_second_task_reading_a_busy_descriptor_gets_resource_busy(run, second_trap):
    """Two tasks waiting to read one socket: the second gets ResourceBusy with a
    clear message; the first still gets the data."""
    a, b = socket.socketpair()

    def second():
        try:
            yield IO_TRAPS[second_trap](b)
        except ResourceBusy as exc:
            return exc

    def main():
        first = yield spawn(do(read(b, 100)))
        yield settle()              # the first waits in read() now
        error = yield join((yield spawn(second())))
        yield write(a, b"for the first")
        return error, (yield join(first))

    with a, b:
        error, data = run(main())
    assert isinstance(error, ResourceBusy)
    assert "already waiting to read" in str(error)
    assert data == b"for the first"


def test_second_writer_during_an_unfinished_write_gets_resource_busy(run):
    """While one task's big write() is unfinished, a second task writing the same
    socket gets ResourceBusy; its bytes never land inside the first's stream."""
    payload = os.urandom(4 * MiB)
    a, b = socket.socketpair()
    b.setblocking(False)

    def second():
        try:
            yield write(a, b"INTERLOPER")
        except ResourceBusy as exc:
            return exc

    def main():
        first = yield spawn(write_and_close(a, payload))
        yield read_wait(b)          # the first has written, and waits for room
        head = []
        while True:                 # make room, within this one step
            try:
                head.append(b.recv(MiB))
            except BlockingIOError:
                break
        error = yield join((yield spawn(second())))
        rest = yield read_all(b)
        yield join(first)
        return error, b"".join(head) + rest

    with a, b:
        error, received = run(main())
    assert isinstance(error, ResourceBusy), "the second write went through: %r" % (error,)
    assert_same(received, payload)


@pytest.mark.parametrize("kind", ["socketpair", "blocking pipe"])
def test_write_cancelled_midway_reports_bytes_written(run, kind):
    """A write() cancelled while the reader does not read raises Cancelled with
    bytes_written: more than 0, less than all, and exactly what the reader gets."""
    payload = os.urandom(4 * MiB)
    if kind == "socketpair":
        w, r = socket.socketpair()
    else:
        r, w = os.pipe()

    def main():
        writer = yield spawn(write_and_close(w, payload))
        yield read_wait(r)          # it has written something
        yield cancel(writer)        # its finally closes w
        received = yield read_all(r)
        return writer.exception, received

    try:
        cancelled, received = run(main())
    finally:
        close(r)
    assert isinstance(cancelled, Cancelled)
    assert 0 < cancelled.bytes_written < len(payload)
    assert_same(received, payload[:cancelled.bytes_written])


def test_peer_reset_during_read_raises_connection_error_in_the_task(run):
    """A TCP reset from the peer raises ConnectionError in the task waiting in read()."""
    client, server = tcp_pair()

    def main():
        check = yield start_bystander()
        reader = yield spawn(do(read(server, 100)))
        yield settle()              # it waits in read() now
        reset(client)
        try:
            yield join(reader)
        except TaskError as exc:
            error = exc.__cause__
        else:
            error = None
        yield check()
        return error

    with client, server:
        error = run(main())
    assert isinstance(error, ConnectionError)


def test_peer_reset_during_write_raises_connection_error_with_bytes_written(run):
    """A TCP reset while a big write() waits for room raises ConnectionError in
    the writing task, with bytes_written > 0."""
    client, server = tcp_pair(buffer_size=65536)
    payload = b"x" * (16 * MiB)

    def main():
        check = yield start_bystander()
        writer = yield spawn(do(write(server, payload)))
        yield read_wait(client)     # it has written something
        reset(client)
        try:
            yield join(writer)
        except TaskError as exc:
            error = exc.__cause__
        else:
            error = None
        yield check()
        return error

    with client, server:
        error = run(main())
    assert isinstance(error, ConnectionError)
    assert 0 < error.bytes_written < len(payload)


def test_cancelled_reader_loses_no_data(run):
    """Cancelling a task waiting in read() leaves the data for the next reader."""
    a, b = socket.socketpair()

    def main():
        reader = yield spawn(do(read(b, 100)))
        yield settle()              # it waits in read() now
        yield write(a, b"kept")
        yield cancel(reader)
        assert reader.cancelled
        return (yield read(b, 100))

    with a, b:
        assert run(main()) == b"kept"


# =============================================================== fairness

def test_task_whose_writes_never_block_does_not_starve_a_sleeper(run):
    """A task looping on write(sock, b"x") into a socketpair whose other end it
    drains (so no write ever waits) still lets another task's sleep() end; the
    sleeper stops it through a flag."""
    a, b = socket.socketpair()
    b.setblocking(False)
    stop = []

    def busy_writer():
        written = drained = 0
        while not stop:
            yield write(a, b"x")
            written += 1
            drained += len(b.recv(65536))
        return written, drained

    def sleeper():
        started = time.monotonic()
        yield sleep(0.02)
        stop.append(True)
        return time.monotonic() - started

    def main():
        writer = yield spawn(busy_writer())
        slept = yield join((yield spawn(sleeper())))
        return slept, (yield join(writer))

    with a, b:
        slept, (written, drained) = run(main())
    assert written > 100                # it really was busy
    assert drained == written
    assert slept < 1.0


def test_task_looping_on_current_does_not_starve_socket_io(run):
    """A task looping forever on current() (never blocks) still lets two other
    tasks ping-pong over a socketpair; the pinger stops it through a flag."""
    a, b = socket.socketpair()
    stop = []

    def busy():
        count = 0
        while not stop:
            yield current()
            count += 1
        return count

    def pinger():
        for _ in range(20):
            yield write(a, b"ping")
            assert (yield read(a, 4)) == b"pong"
        stop.append(True)

    def ponger():
        for _ in range(20):
            assert (yield read(b, 4)) == b"ping"
            yield write(b, b"pong")

    def main():
        spinner = yield spawn(busy())
        tasks = [(yield spawn(pinger())), (yield spawn(ponger()))]
        for task in tasks:
            yield join(task)
        return (yield join(spinner))

    with a, b:
        assert run(main()) > 20


@pytest.mark.parametrize("spinners", [2, 300])
def test_a_reader_wakes_within_a_bounded_number_of_steps_of_busy_tasks(run, spinners):
    """With tasks always ready, the kernel polls for I/O once POLL_EVERY task
    steps have run since the last poll (and at the end of a turn): a reader
    whose bytes have arrived waits out at most that many steps and one
    turn -- however many busy tasks there are.  Counting polls by turns
    instead would keep it waiting eight turns of 300 tasks."""
    from trampoline.kernel import POLL_EVERY
    a, b = socket.socketpair()
    steps, stop = [0], []

    def busy():
        while not stop:
            steps[0] += 1
            yield sleep(0)

    def reader():
        data = yield read(a, 10)
        stop.append(True)
        return data, steps[0]

    def main():
        task = yield spawn(reader())
        yield sleep(0)                  # it parks in read
        busies = []
        for _ in range(spinners):
            busies.append((yield spawn(busy())))
        yield sleep(0)                  # every busy task is running
        b.send(b"ready")
        steps[0] = 0
        result = yield join(task)
        for each in busies:
            yield join(each)
        return result

    with a, b:
        data, waited = run(main())
    assert data == b"ready"
    assert waited <= POLL_EVERY + 2 * spinners, waited

# =================================================================== idle

@pytest.mark.parametrize("timer", [True, False], ids=["with a timer", "no timer"])
def test_idle_kernel_uses_almost_no_cpu(run, timer):
    """With every task waiting (read, accept, sleep -- and a socket that had to
    wait for room before) the kernel blocks in the poller: CPU time stays far
    below wall time.  Without a timer, a thread sends the byte that ends it."""
    a, b = socket.socketpair()
    wake_a, wake_b = socket.socketpair()
    with a, b, wake_a, wake_b, listen(("127.0.0.1", 0)) as listener:
        def main():
            # First a write that has to wait for room: a keeps write interest.
            drainer = yield spawn(read_all_of(b, 2 * MiB))
            yield write(a, b"z" * (2 * MiB))
            yield join(drainer)
            # Now everybody waits.
            yield spawn(do(read(a, 10)))
            yield spawn(do(read(b, 10)))
            yield spawn(do(accept(listener)))
            cpu, wall = time.process_time(), time.monotonic()
            if timer:
                yield spawn(do(sleep(0.3)))
                yield sleep(0.3)
            else:
                threading.Timer(0.3, wake_a.send, [b"!"]).start()
                yield read(wake_b, 1)
            return time.process_time() - cpu, time.monotonic() - wall

        cpu, wall = run(main())
    assert wall >= 0.29
    assert cpu < 0.2 * wall, "%.3f s of CPU in %.3f s idle" % (cpu, wall)


# ========================================================== registrations

def test_no_registrations_left_after_many_echo_cycles(run):
    """After 200 connect/echo/close cycles, and after a second run on the same
    kernel, the kernel watches no descriptor at all."""
    with listen(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()

        def main():
            server = yield spawn(serve(listener))
            for i in range(200):
                message = b"message %d" % i
                assert (yield echo_round_trip(socket.AF_INET, address, message)) == message
            yield cancel(server)

        with Kernel(selector=SELECTORS[run.backend]()) as kernel:
            kernel.run(main())
            assert registrations(kernel) == (0, 0)
            kernel.run(main())
            assert registrations(kernel) == (0, 0)


def test_no_registrations_left_after_errors_and_cancellations(run):
    """Refused connects, cancelled readers and writers, ResourceBusy and peer
    resets leave no descriptor registered once run() ends (the sockets stay
    open till then, so only the kernel's bookkeeping can forget them)."""
    unused = free_port()                # (held: bound, not listening, so refused)
    port = unused.getsockname()[1]
    sockets = [unused]

    def refused():
        with socket.socket() as sock:
            try:
                yield connect(sock, ("127.0.0.1", port))
            except ConnectionRefusedError:
                pass

    def main():
        for _ in range(20):
            yield refused()
            a, b = socket.socketpair()
            reader = yield spawn(do(read(b, 10)))
            writer = yield spawn(do(write(a, b"w" * (4 * MiB))))
            busy = yield spawn(do(read(b, 10)))
            yield settle()
            yield cancel(reader)
            yield cancel(writer)
            assert isinstance(busy.exception, ResourceBusy)
            client, server = tcp_pair()
            reader = yield spawn(do(read(server, 10)))
            yield settle()
            reset(client)
            with pytest.raises(TaskError):
                yield join(reader)
            sockets.extend([a, b, server])

    try:
        with Kernel(selector=SELECTORS[run.backend]()) as kernel:
            kernel.run(main())
            assert registrations(kernel) == (0, 0)
    finally:
        for sock in sockets:
            sock.close()


def test_a_pipe_read_by_its_int_after_the_number_was_closed_and_reused(run):
    """An int descriptor cannot say it was closed and its number reused
    (epoll forgets closed descriptors silently): the read still wakes."""
    def main():
        r, w = os.pipe()
        os.write(w, b"x")
        first = yield read(r, 10)
        os.close(r)
        os.close(w)
        r2, w2 = os.pipe()
        try:
            os.write(w2, b"y")
            second = yield timeout_after(5, read(r2, 10))
        finally:
            os.close(r2)
            os.close(w2)
        return first, second, (r2, w2) == (r, w)

    first, second, reused = run(main())
    assert (first, second) == (b"x", b"y")
    assert reused                       # (or the test proved nothing)
