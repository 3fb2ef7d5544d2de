"""How TLS streams close, over real loopback sockets: close_notify each way,
``aclose``, ``close``, an end without close_notify, and a TLS server's
handlers -- with trampoline, Python's blocking ``ssl`` and asyncio as the
peer, over TLS 1.3 and 1.2.

Where the cases come from: the lead's note (a client's ``aclose`` waited
for a handler that lingered after the end), asyncio's
``Lib/test/test_asyncio/test_ssl.py`` and uvloop's ``tests/test_tcp.py``
(their SSL shutdown cases), and trio's ``_tests/test_ssl.py`` (its
close_notify and EOF cases).

The rule these pin: a TLS stream that reads the peer's close_notify
answers it with its own at once, as asyncio does -- after a write under
way, never in the middle of one -- so a peer's graceful close never waits
for our handler to end; and from then on it writes nothing (a TLS stream
does not half-close, either way).
"""

import errno
import os
import socket
import ssl
import sys
import threading
import time

import pytest

from net_helpers import (MiB, asyncio_run, client_context, server_context, stalled,
                         start_server, unread, watchdog)  # noqa: F401 (watchdog: autouse)
from task_helpers import until
from trampoline import (Event, Future, TaskError, VirtualClock, cancel, current_time, join,
                        spawn)
from trampoline.streams import TLS_CLOSE_TIMEOUT, open_connection
from trampoline.threads import run_in_thread

WATCHDOG_SECONDS = 30.0

VERSIONS = ["1.3", "1.2"]


def tls_server_context(version):
    """The test server's context, TLS 1.2 at most if ``version`` says so."""
    context = server_context()
    if version == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def blocking_client(port, timeout=5.0):
    """A blocking ``ssl`` client of 127.0.0.1:``port`` (for a worker
    thread), its socket's operations bounded by ``timeout`` seconds."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return client_context().wrap_socket(raw, server_hostname="localhost")


def lingering(got, release, meet_the_end="read"):
    """A handler that reads to the peer's end into ``got`` -- with a read,
    or with ``at_eof()`` after the bytes -- then stays until ``release``."""
    def handler(stream, address):
        if meet_the_end == "read":
            got.set_result((yield stream.read()))
        else:
            data = yield stream.readexactly(7)
            yield until(stream.at_eof)
            got.set_result(data)
        yield release.wait()
    return handler


# ====================================================== answering close_notify

@pytest.mark.parametrize("meet_the_end", ["read", "at_eof"])
@pytest.mark.parametrize("version", VERSIONS)
def test_aclose_against_a_handler_that_lingers_after_the_end_takes_no_time(run, version,
                                                                           meet_the_end):
    """The lead's note: a client's aclose() waited for the server's handler
    to end -- up to TLS_CLOSE_TIMEOUT, 10 s -- because the server's stream
    read our close_notify and did not answer it until it closed.  It
    answers as it reads it (asyncio's rule), whether a read or at_eof()
    meets it: no timer fires on the kernel's virtual clock."""
    got, release = Future(), Event()

    def main():
        server, port = yield start_server(lingering(got, release, meet_the_end),
                                          ssl=tls_server_context(version))
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"request")
        began = current_time()
        yield stream.aclose()
        waited = current_time() - began
        request = yield got
        release.set()
        yield cancel(server)
        return waited, request, stream.closed

    # (A real second with nothing to do and the clock jumps to the next
    # timer: aclose's own, TLS_CLOSE_TIMEOUT away.)
    waited, request, closed = run(main(), clock=VirtualClock(autojump_threshold=1.0))
    assert (waited, request, closed) == (0, b"request", True)
    assert TLS_CLOSE_TIMEOUT >= 10


@pytest.mark.parametrize("version", VERSIONS)
def test_a_blocking_ssl_client_unwraps_at_once_against_a_lingering_handler(run, version):
    """Python's blocking ssl client: unwrap() sends close_notify and waits
    for the server's; it came only when the handler ended (here: never --
    a socket timeout)."""
    got, release = Future(), Event()

    def client(port):
        with blocking_client(port) as tls:
            tls.sendall(b"request")
            began = time.monotonic()
            plain = tls.unwrap()
            waited = time.monotonic() - began
            plain.close()
        return waited

    def main():
        server, port = yield start_server(lingering(got, release),
                                          ssl=tls_server_context(version))
        waited = yield run_in_thread(client, port)
        request = yield got
        release.set()
        yield cancel(server)
        return waited, request

    waited, request = run(main())
    assert request == b"request"
    assert waited < 2


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio's TLS close waits for the "
                    "peer's close_notify with a timeout from 3.11 (ssl_shutdown_timeout)")
def test_an_asyncio_client_closes_at_once_against_a_lingering_handler(run):
    """asyncio's client: writer.close() sends close_notify and wait_closed()
    waits for the server's (ssl_shutdown_timeout, 30 s by default)."""
    import asyncio
    got, release = Future(), Event()

    async def client(port):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_context(), ssl_shutdown_timeout=5)
        writer.write(b"request")
        began = asyncio.get_running_loop().time()
        writer.close()
        await writer.wait_closed()
        return asyncio.get_running_loop().time() - began

    def main():
        server, port = yield start_server(lingering(got, release), ssl=server_context())
        waited = yield run_in_thread(asyncio_run, client(port))
        request = yield got
        release.set()
        yield cancel(server)
        return waited, request

    waited, request = run(main())
    assert request == b"request"
    assert waited < 2


@pytest.mark.parametrize("version", VERSIONS)
def test_after_answering_close_notify_a_write_is_refused_and_the_session_stays(run, version):
    """Once the handler has read (and so answered) the peer's close_notify,
    a write is a BrokenPipeError saying why, before anything is sent -- a
    TLS stream does not half-close -- and the socket is still the TLS
    one: version() and cipher() answer (SSLSocket.unwrap() would have
    turned it into a plain socket, which sends in clear text).  The peer
    gets nothing more, then the end as the handler returns."""
    got = Future()

    def handler(stream, address):
        assert (yield stream.read()) == b"request"
        assert (yield stream.read()) == b""
        try:
            yield stream.write(b"late reply")
        except OSError as exc:
            got.set_result((exc, stream.sock.version(), stream.sock.cipher() is not None))

    def client(port):
        with blocking_client(port) as tls:
            tls.sendall(b"request")
            plain = tls.unwrap()
            after = plain.recv(100)         # nothing more, in clear or not: the end
            plain.close()
        return after

    def main():
        server, port = yield start_server(handler, ssl=tls_server_context(version))
        after = yield run_in_thread(client, port)
        refused = yield got
        yield cancel(server)
        return after, refused

    after, (error, tls_version, has_cipher) = run(main())
    assert after == b""
    assert isinstance(error, BrokenPipeError), repr(error)
    assert "write() after the peer's close_notify" in str(error), error
    assert "do not half-close" in str(error), error
    assert tls_version == "TLSv" + version and has_cipher


def test_a_write_under_way_goes_out_whole_before_the_answer(run):
    """uvloop / asyncio's test_remote_shutdown_receives_trailing_data: the
    peer's close_notify read while another task's write waits for room:
    the answer waits for that write (asyncio flushes its buffer first
    too), so the peer reads every byte, then our close_notify --
    not a close_notify cutting a record in two, nor none at all while the
    handler lingers."""
    size = 16 * MiB
    written, release = Future(), Event()
    ours_sent, end_read = threading.Event(), threading.Event()

    def handler(stream, address):
        yield run_in_thread(ours_sent.wait, 10)     # the client has sent close_notify
        writer = yield spawn(stream.write(b"w" * size))
        yield stalled(stream)                       # the client reads nothing yet
        assert (yield stream.read()) == b""         # its close_notify, under the write
        end_read.set()
        yield join(writer)
        written.set_result(True)
        yield release.wait()

    def client(port):
        with blocking_client(port) as tls:
            tls.setblocking(False)
            try:
                tls.unwrap()                        # (tls stays TLS: the answer is to come)
            except ssl.SSLWantReadError:
                pass                                # ours is sent
            tls.settimeout(5)
            ours_sent.set()
            end_read.wait(10)
            received = 0
            try:
                while True:
                    received += len(tls.recv(MiB))
            except ssl.SSLZeroReturnError:          # the server's close_notify
                return received

    def main():
        server, port = yield start_server(handler, ssl=server_context())
        received = yield run_in_thread(client, port)
        done = yield written
        release.set()
        yield cancel(server)
        return received, done

    assert run(main()) == (size, True)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_server_that_closes_first_gets_our_answer_as_we_read_its_close_notify(run, version):
    """uvloop / asyncio's test_shutdown_cleanly: a blocking ssl server reads
    1 MiB, sends OK, then unwrap()s -- its close_notify, then a wait for
    ours.  Our client reads OK, then the end: that read answers, and the
    server's unwrap() is done while our stream is still open (it waited
    for our close, here never: a socket timeout).  Three clients at once."""
    def server(listener):
        conn, _ = listener.accept()
        with tls_server_context(version).wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(5)
            received = 0
            while received < MiB:
                received += len(tls.recv(MiB))
            tls.sendall(b"OK")
            tls.unwrap().close()
            return received

    def client():
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            peer = yield spawn(run_in_thread(server, listener))
            stream = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                           ssl=client_context())
            yield stream.write(b"A" * MiB)
            ok = yield stream.readexactly(2)
            end = yield stream.read()
            received = yield join(peer)         # its unwrap() is done: our stream is open
            still_open = not stream.closed
            yield stream.aclose()
            return ok, end, received, still_open

    def main():
        clients = []
        for _ in range(3):
            clients.append((yield spawn(client())))
        results = []
        for task in clients:
            results.append((yield join(task)))
        return results

    assert run(main()) == [(b"OK", b"", MiB, True)] * 3


def test_both_ends_aclose_at_once_and_neither_waits(run):
    """trio's test_closing_nice_case: the client acloses while the server
    reads the end (twice: b"" both times), then acloses too -- it has
    answered already, and returns at once.  No timer fires on the virtual
    clock.  Then every use of the closed client is EBADF, and closing
    again is quiet."""
    got = Future()

    def server(stream, address):
        ends = [(yield stream.read(10)), (yield stream.read(10))]
        yield stream.aclose()
        got.set_result(ends)

    def main():
        server_task, port = yield start_server(server, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        began = current_time()
        yield stream.aclose()
        ends = yield got
        waited = current_time() - began
        errors = []
        for call in (lambda: stream.write(b"123"), lambda: stream.read(10)):
            try:
                yield call()
            except OSError as exc:
                errors.append(exc.errno)
        yield stream.aclose()
        stream.close()
        yield cancel(server_task)
        return waited, ends, errors

    assert run(main(), clock=VirtualClock(autojump_threshold=1.0)) == (
        0, [b"", b""], [errno.EBADF, errno.EBADF])


# ================================================================ aclose

@pytest.mark.parametrize("version", VERSIONS)
def test_aclose_with_the_peers_data_unread_still_waits_so_the_peer_gets_every_byte(run,
                                                                                  version):
    """asyncio / uvloop's test_remote_shutdown_receives_trailing_data, from
    the other end: the server has sent data we never read, and reads
    nothing of our 1 MiB before we aclose.  unwrap() sends close_notify
    and then reads for the peer's -- and OpenSSL gives up for good on the
    application data in its way ("APPLICATION_DATA_AFTER_CLOSE_NOTIFY"):
    aclose closed at once, the unread data made that a reset, and the
    server lost what it had not read of ours.  It reads and drops that
    data first: the server gets every byte, then a clean end."""
    received, go, sent = Future(), Event(), Event()

    def talker(stream, address):
        yield stream.write(b"t" * 100000)
        sent.set()
        yield go.wait()
        try:
            received.set_result(len((yield stream.read())))
        except OSError as exc:
            received.set_result(exc)

    def main():
        server, port = yield start_server(talker, ssl=tls_server_context(version))
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"c" * MiB)
        yield sent.wait()
        yield until(lambda: unread(stream.sock) > 0)     # its data waits, unread
        closer = yield spawn(stream.aclose(timeout=5))
        yield until(lambda: closer.done or closer.state == "parked")
        go.set()
        got = yield received
        yield join(closer)
        yield cancel(server)
        return got, stream.closed

    assert run(main()) == (MiB, True)


def test_aclose_against_a_peer_still_sending_reads_it_all_and_the_peer_sees_a_clean_end(run):
    """uvloop's test_flush_before_shutdown, from the other end: a peer (a
    blocking ssl server in a thread) streams 32 MiB we do not want, then
    reads.  aclose must read and drop all of it -- closing with its data
    unread resets the connection: the peer's send fails -- and the peer
    then reads our close_notify: a clean end.  Data that comes while
    unwrap() runs makes OpenSSL give up (APPLICATION_DATA_AFTER_CLOSE_NOTIFY;
    now and then: a race with the peer's thread): aclose then drops the
    rest of the connection unread, to its end.  Ten connections."""
    def streaming_peer(listener):
        conn, _ = listener.accept()
        with server_context().wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(5)
            try:
                tls.sendall(b"s" * 32 * MiB)
                return tls.recv(100)        # our close_notify: b""
            except OSError as exc:
                return exc

    def main():
        outcomes = []
        for _ in range(10):
            with socket.socket() as listener:
                listener.bind(("127.0.0.1", 0))
                listener.listen()
                peer = yield spawn(run_in_thread(streaming_peer, listener))
                stream = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                               ssl=client_context())
                yield stream.readexactly(65536)     # it streams
                yield stream.aclose(timeout=5)
                outcomes.append((yield join(peer)))
        return outcomes

    assert run(main()) == [b""] * 10


# ================================================================ unclean ends

def test_a_write_after_an_end_without_close_notify_is_a_broken_pipe_saying_so(run):
    """trio's test_ssl_bad_shutdown: a peer that ends its TCP connection
    without close_notify (a FIN) -- our read gives the end, and the TLS
    session is over: a write raised OpenSSL's ssl.SSLEOFError "EOF occurred
    in violation of protocol", which names no peer and is no
    ConnectionError (a server reported it as its handler's crash).  It is
    a BrokenPipeError saying why, before anything is sent."""
    got = Future()

    def handler(stream, address):
        request = yield stream.read()
        try:
            yield stream.write(b"reply")
        except Exception as exc:
            got.set_result((request, exc))

    def main():
        server, port = yield start_server(handler, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"request")
        raw = socket.socket(fileno=os.dup(stream.sock.fileno()))
        raw.shutdown(socket.SHUT_WR)                # FIN, no close_notify
        result = yield got
        raw.close()
        stream.close()
        yield cancel(server)
        return result

    request, error = run(main())
    assert request == b"request"
    assert type(error) is BrokenPipeError, repr(error)
    # (Python 3.8 and 3.9 on OpenSSL 3 ignore an unexpected EOF by default:
    # it reads as a close_notify there, and is answered as one.)
    assert ("write() after the peer ended the TLS connection without close_notify" in str(error)
            or "write() after the peer's close_notify" in str(error)), error


# ================================================================ a server's leave

def test_a_draining_tls_handler_that_reads_the_end_may_still_say_goodbye(run):
    """run_server's graceful leave half-closes an idle connection for
    reading: its handler reads the end -- the server's own doing, not the
    client's close_notify (under OP_IGNORE_UNEXPECTED_EOF, which run_server
    sets, OpenSSL tells them apart no more than we can) -- and may still
    write its last words before it returns.  That end is not answered
    with close_notify, nor is the write refused: the client reads the
    goodbye, then the end."""
    from trampoline import workers
    from trampoline.net import listen
    wrote = Future()

    def polite(stream, address):
        yield stream.write(b"hi\n")
        assert (yield stream.read(100)) == b""      # the leave's end of stream
        try:
            yield stream.write(b"bye\n")
        except OSError as exc:
            wrote.set_result(exc)
            raise
        wrote.set_result(None)

    def main():
        context = server_context()
        context.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
        listener = listen(("127.0.0.1", 0))
        worker = yield spawn(workers._worker([listener], polite, context, 5.0))
        client = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                       ssl=client_context())
        assert (yield client.readline()) == b"hi\n"
        yield cancel(worker, wait=False)            # a stop signal's drain
        rest = yield client.read()
        error = yield wrote
        with pytest.raises(TaskError):
            yield join(worker)                      # (cancelled, as asked)
        yield client.aclose()
        return rest, error

    assert run(main()) == (b"bye\n", None)
