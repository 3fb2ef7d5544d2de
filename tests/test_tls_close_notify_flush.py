"""Our answer to a TLS peer's close_notify when the socket has no room for
it, over real sockets, against Python's blocking ``ssl`` as the peer.

The defect (a note left by an earlier session): a TLS stream answers the
peer's close_notify as soon as a read meets it -- but when the socket's
send buffer is full at that moment (we wrote a lot, and the peer has not
read it yet), OpenSSL keeps our close_notify in a buffer of its own, and
sent it only at ``close()``.  A peer that sends close_notify and then reads
to ours -- trio's and asyncio's clients, ``openssl s_client``, Python's
``unwrap()`` -- read every byte, then waited for our handler to close, or
timed out.  The rule these pin: the answer goes out as soon as the socket
has room for it, whatever the handler does meanwhile, after every byte
written before it (a cancelled write's chunk too); the read that met the
close_notify never waits for that; and ``aclose`` sends it too.

How the send buffer is made full with no write under way: over a Unix
socket, whose every send is a buffer of its own (TCP would add our
close_notify to its last unsent segment if that has room), the handler's
write is done, then it shrinks the socket's SO_SNDBUF below what waits
unread in it: a send of even one byte would wait.  Over TCP: a write
cancelled while it waits for room, which leaves its chunk with OpenSSL.
"""

import select
import socket
import ssl
import threading

import pytest

from net_helpers import (MiB, client_context, server_context, stalled,  # noqa: F401
                         watchdog)  # (watchdog: autouse)
from task_helpers import until
from trampoline import Cancelled, Event, Future, cancel, join, spawn
from trampoline.streams import tcp_server, unix_server
from trampoline.threads import run_in_thread

VERSIONS = ["1.3", "1.2"]

#: Seconds the client waits for a byte before it calls the server silent.
PATIENCE = 3.0


def tls_server_context(version):
    """The test server's context, TLS 1.2 at most if ``version`` says so."""
    context = server_context()
    if version == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def closing_first_client(connect, ours_sent, go):
    """A blocking ssl client (for a worker thread) that sends close_notify
    at once, says so (``ours_sent``), waits for ``go``, then reads to the
    server's close_notify: ``(bytes received, how it ended)`` -- "close_notify",
    or what ended it instead (a timeout: the server said nothing more)."""
    raw = connect()
    with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
        tls.setblocking(False)
        try:
            tls.unwrap()                # (tls stays TLS: the answer is to come)
        except ssl.SSLWantReadError:
            pass                        # ours is sent
        tls.settimeout(PATIENCE)
        ours_sent.set()
        go.wait(10)
        received = 0
        try:
            while True:
                data = tls.recv(MiB)
                if not data:
                    return received, "an end without close_notify"
                received += len(data)
        except ssl.SSLZeroReturnError:
            return received, "close_notify"
        except (OSError, ssl.SSLError) as exc:
            return received, repr(exc)


def full_send_buffer(stream):
    """Shrink the Unix ``stream``'s send buffer below what it holds unread:
    no send has room now, nor until the peer reads."""
    stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
    assert not select.select([], [stream.sock], [], 0)[1]


def unix_server_and_client(run, path, handler, version):
    """Serve ``handler(stream, address, ours_sent)`` over TLS on the Unix
    socket ``path``; run ``closing_first_client`` against it, letting it
    read once the handler's ``ready`` (a Future it is given) is set.
    Returns ``(handler's value for ready, client's outcome)``."""
    ready, release = Future(), Event()
    ours_sent, go = threading.Event(), threading.Event()

    def serving(stream, address):
        yield run_in_thread(ours_sent.wait, 10)     # the client's close_notify is sent
        yield handler(stream, ready, release)

    def connect():
        raw = socket.socket(socket.AF_UNIX)
        raw.settimeout(PATIENCE)
        raw.connect(path)
        return raw

    def main():
        listening = Future()
        server = yield spawn(unix_server(path, serving, ssl=tls_server_context(version),
                                         ready=listening))
        yield listening
        client = yield spawn(run_in_thread(closing_first_client, connect, ours_sent, go))
        value = yield ready                 # the handler has read the end, and lingers
        go.set()
        outcome = yield join(client)
        release.set()
        yield cancel(server)
        return value, outcome

    return run(main())


def tcp_server_and_client(run, version, handler, ready, release, ours_sent, go):
    """Serve ``handler`` over TLS on TCP; run ``closing_first_client``
    against it, letting it read once ``ready`` is set.  Returns ``ready``'s
    value followed by the client's outcome."""

    def main():
        listening = Future()
        server = yield spawn(tcp_server("127.0.0.1", 0, handler,
                                        ssl=tls_server_context(version), ready=listening))
        port = (yield listening)[1]

        def connect():
            return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)

        client = yield spawn(run_in_thread(closing_first_client, connect, ours_sent, go))
        try:
            value = yield ready
        finally:
            go.set()
            outcome = yield join(client)
            release.set()
            yield cancel(server)
        return value + (outcome,)

    return run(main())


def cancelled_write(stream, size):
    """Subroutine: write ``size`` bytes to ``stream`` from a task of its own,
    which is cancelled once the write waits for room (the peer reads
    nothing): OpenSSL keeps the rest of its chunk.  Returns the
    ``Cancelled``'s ``bytes_written``."""

    def writing():
        try:
            yield stream.write(b"w" * size)
        except Cancelled as exc:
            return exc.bytes_written

    writer = yield spawn(writing())
    yield stalled(stream)
    yield until(lambda: writer.state == "parked")
    yield cancel(writer)
    return writer.result


# ======================================= a full send buffer, no write under way

@pytest.mark.parametrize("meet_the_end", ["read", "at_eof"])
@pytest.mark.parametrize("version", VERSIONS)
def test_the_answer_goes_out_once_the_peer_reads_while_the_handler_lingers(run, tmp_path,
                                                                           version,
                                                                           meet_the_end):
    """The defect: the handler wrote 64 KiB the client has not read, and
    its socket has no room left; it reads the client's close_notify (with
    a read, or at_eof()) -- which returns at once -- then lingers without
    closing.  The client reads the 64 KiB, then must get our close_notify
    (it came only when the handler closed: here a timeout)."""
    size = 64 * 1024

    def handler(stream, ready, release):
        yield stream.write(b"d" * size)
        full_send_buffer(stream)
        if meet_the_end == "read":
            end = yield stream.read()
        else:
            yield until(stream.at_eof)
            end = b""
        ready.set_result((end, stream.closed))
        yield release.wait()

    got = unix_server_and_client(run, str(tmp_path / "tls.sock"), handler, version)
    assert got == ((b"", False), (size, "close_notify"))


@pytest.mark.parametrize("version", VERSIONS)
def test_aclose_sends_the_answer_the_full_socket_held_back(run, tmp_path, version):
    """The handler reads the client's close_notify with no room to answer
    it, then acloses: aclose saw both close_notify "sent" (OpenSSL had ours
    in its own buffer) and closed the socket at once -- the client read
    the 64 KiB, then an end without close_notify.  It waits for room and
    sends ours, then closes."""
    size = 64 * 1024
    closed = Future()

    def handler(stream, ready, release):
        yield stream.write(b"d" * size)
        full_send_buffer(stream)
        ready.set_result((yield stream.read()))
        yield stream.aclose(timeout=5)
        closed.set_result(stream.closed)

    got = unix_server_and_client(run, str(tmp_path / "tls.sock"), handler, version)
    assert got == (b"", (size, "close_notify"))
    assert closed.done() and closed.result() is True


# ====================================== a cancelled write's chunk with OpenSSL

@pytest.mark.parametrize("version", VERSIONS)
def test_a_cancelled_writes_chunk_then_the_answer_go_out_once_the_peer_reads(run, version):
    """Over TCP: a write of 16 MiB waits for room (the client reads
    nothing) and is cancelled; OpenSSL holds the rest of its chunk.  The
    handler then reads the client's close_notify and lingers.  The answer
    must wait for that chunk -- but it waited for a write that never came
    (a write is refused after the peer's close_notify) and went nowhere
    until the handler closed: the client got part of the chunk, then
    nothing.  Now the client gets every byte the Cancelled's
    bytes_written counts, then our close_notify."""
    ready, release = Future(), Event()
    ours_sent, go = threading.Event(), threading.Event()
    size = 16 * MiB

    def handler(stream, address):
        yield run_in_thread(ours_sent.wait, 10)     # the client's close_notify is sent
        written = yield cancelled_write(stream, size)
        end = yield stream.read()
        ready.set_result((written, end))
        yield release.wait()

    written, end, outcome = tcp_server_and_client(run, version, handler, ready, release,
                                                  ours_sent, go)
    assert 0 < written < size and end == b""
    assert outcome == (written, "close_notify")
