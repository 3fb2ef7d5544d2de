"""TLS streams over real loopback sockets.

The certificate (tests/tls_cert.pem, key tests/tls_key.pem) is self-signed
for localhost, 127.0.0.1 and ::1; it was made once with

    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \\
        -keyout tls_key.pem -out tls_cert.pem -days 36500 -subj "/CN=localhost" \\
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"

(tests/tls_big_cert.pem, the same key with 2,000 filler names, makes the
handshake big enough to have to wait for writability; its header says how
it was made.)  The handshake and every read and write run non-blocking
inside the kernel; these tests check round trips, 10 MiB both ways, host
name verification, failed handshakes (the server goes on), TLS over Unix
sockets, closing, and a handshake that must wait to write.
"""

import array
import errno
import logging
import os
import socket
import ssl
import struct
import warnings

import pytest

from net_helpers import (HERE, KEY, MiB, client_context, echo, needs_ipv6, server_context,
                         start_server, watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Event, Future, TaskError, VirtualClock, cancel, current_time, join,
                        read, sleep, spawn)
from trampoline import streams
from trampoline.threads import run_in_thread
from trampoline.net import listen
from trampoline.streams import (Stream, open_connection, open_unix_connection, serve,
                                unix_server)


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_round_trip_with_hostname_verified(run):
    """Client and server both TLS; the certificate is checked against the
    host name given (by default, the host connected to)."""
    def main():
        # On every address of localhost (::1 too, where it has it): the
        # client may try any, and must find this server there.
        server, port = yield start_server(echo, host="localhost", ssl=server_context())
        results = []
        for host in ("localhost", "127.0.0.1"):
            stream = yield open_connection(host, port, ssl=client_context())
            with stream:
                assert stream.sock.version().startswith("TLS")
                assert "TLS" in repr(stream)
                yield stream.write(b"secret line\n")
                yield stream.writelines([b"two ", b"parts\n"])
                results.append((yield stream.readline()))
                results.append((yield stream.readline()))
                yield stream.write(memoryview(b"wide").cast("H"))   # 2 items, 4 bytes
                assert (yield stream.readexactly(4)) == b"wide"
        yield cancel(server)
        return results

    assert run(main()) == [b"secret line\n", b"two parts\n"] * 2


def test_ten_mebibytes_both_ways_through_tls(run):
    payload = os.urandom(MiB) * 10

    def main():
        server, port = yield start_server(echo, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        with stream:
            writer = yield spawn(stream.write(memoryview(payload)))
            echoed = yield stream.readexactly(len(payload))
            yield join(writer)
        yield cancel(server)
        return echoed == payload

    assert run(main()) is True


def test_wrong_hostname_is_refused_and_the_server_goes_on(run, caplog):
    """A certificate that does not match server_hostname fails the client's
    handshake; the server logs its side's failure and serves the next."""
    def main():
        server, port = yield start_server(echo, ssl=server_context())
        with pytest.raises(ssl.SSLCertVerificationError, match="example.org"):
            yield open_connection("127.0.0.1", port, ssl=client_context(),
                                  server_hostname="example.org")
        stream = yield open_connection("127.0.0.1", port, ssl=client_context(),
                                       server_hostname="localhost")
        with stream:
            yield stream.write(b"still here")
            got = yield stream.readexactly(10)
        yield cancel(server)
        return got

    with caplog.at_level(logging.INFO, logger="trampoline"):
        assert run(main()) == b"still here"
    assert "TLS handshake with 127.0.0.1:" in caplog.text


def test_untrusted_certificate_with_the_default_context(run):
    """ssl=True means ssl.create_default_context(): the system's CAs, which
    do not know our self-signed certificate."""
    def main():
        server, port = yield start_server(echo, host="localhost", ssl=server_context())
        with pytest.raises(ssl.SSLCertVerificationError, match="self.signed"):
            yield open_connection("localhost", port, ssl=True)
        yield cancel(server)

    run(main())


def test_plain_client_to_a_tls_server(run):
    """A client that speaks plain TCP fails the handshake: its connection is
    closed; the server goes on."""
    def main():
        server, port = yield start_server(echo, ssl=server_context())
        plain = yield open_connection("127.0.0.1", port)
        with plain:
            yield plain.write(b"GET / HTTP/1.0\r\n\r\n")
            try:
                answer = yield plain.read()         # an alert, then EOF...
            except ConnectionResetError:            # ... or a reset, if the server
                answer = b""                        # closed with bytes unread
            assert b"GET" not in answer
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        with stream:
            yield stream.write(b"ok")
            got = yield stream.readexactly(2)
        yield cancel(server)
        return got

    assert run(main()) == b"ok"


def plain_text_server(stream, address):
    """A server's handler that speaks no TLS: it reads the ClientHello and
    answers in plain text."""
    yield stream.read(65536)
    yield stream.write(b"220 plain text here\r\n")


def resetting_server(stream, address):
    """A server's handler that reads the ClientHello and resets."""
    yield stream.read(65536)
    stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stream.close()


@pytest.mark.parametrize("kind", ["untrusted", "wrong name", "plain text", "reset", "unix",
                                  "no host"])
def test_a_failed_handshake_names_the_server(run, tmp_path, kind):
    """A client's failed handshake raises the error it did -- its class,
    errno and OpenSSL's attributes as they were, what ``except`` looks at
    -- its message ending "(TLS handshake with host:port)": OpenSSL's words
    alone named no one, and every client had to say whom itself."""
    path = str(tmp_path / "tls.sock")

    def main():
        if kind == "unix":
            ready = Future()
            server = yield spawn(unix_server(path, echo, ssl=server_context(), ready=ready))
            yield ready
            where = repr(path)
            connecting = open_unix_connection(path, ssl=True, server_hostname="localhost")
        else:
            handler = {"plain text": plain_text_server, "reset": resetting_server,
                       "no host": plain_text_server}.get(kind, echo)
            server, port = yield start_server(
                handler, ssl=server_context() if handler is echo else None)
            where = "127.0.0.1:%d" % port
            context = client_context() if kind in ("wrong name", "no host") else True
            if kind == "no host":       # (None: the loopback; no name to check)
                context.check_hostname = False
                where = "port %d" % port
            connecting = open_connection(
                None if kind == "no host" else "127.0.0.1", port, ssl=context,
                server_hostname="example.org" if kind == "wrong name" else None)
        try:
            yield connecting
        except OSError as exc:
            return exc, where
        finally:
            yield cancel(server)

    error, where = run(main())
    assert str(error).endswith(" (TLS handshake with %s)" % where), repr(error)
    assert len(str(error).split("TLS handshake")) == 2, error      # said once
    if kind == "reset":
        assert type(error) is ConnectionResetError and error.errno == errno.ECONNRESET, error
        assert str(error).startswith("[Errno %d] " % errno.ECONNRESET), error
    elif kind in ("plain text", "no host"):
        assert isinstance(error, ssl.SSLError), repr(error)
        assert error.reason is not None and error.library == "SSL", repr(error)
    else:
        assert type(error) is ssl.SSLCertVerificationError, repr(error)
        assert error.reason == "CERTIFICATE_VERIFY_FAILED" and error.verify_code in (18, 62)
        said = "example.org" if kind == "wrong name" else "self-signed"
        assert said in str(error).replace("self signed", "self-signed"), error
    assert error.args[1:] == (error.strerror,) and str(error.args[1]).endswith(where + ")")


def test_tls_over_a_unix_socket(run, tmp_path):
    path = str(tmp_path / "tls.sock")

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ssl=server_context(), ready=ready))
        yield ready
        stream = yield open_unix_connection(path, ssl=client_context(),
                                            server_hostname="localhost")
        with stream:
            yield stream.write(b"over unix\n")
            got = yield stream.readline()
        yield cancel(server)
        return got

    assert run(main()) == b"over unix\n"


@pytest.mark.parametrize("kind", ["no host", "empty server_hostname", "unix"])
def test_a_context_that_checks_host_names_and_none_to_check_is_refused_before_connecting(
        run, tmp_path, kind):
    """ssl with check_hostname and no name to check (host None, or
    server_hostname "", or a Unix socket without one): ValueError naming
    the call and server_hostname=, before any connection is made (ssl's
    "check_hostname requires server_hostname" came once connected)."""
    if kind == "unix":
        listener = listen(str(tmp_path / "s"))
        call = open_unix_connection(str(tmp_path / "s"), ssl=client_context())
    else:
        listener = listen(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        call = (open_connection(None, port, ssl=client_context()) if kind == "no host" else
                open_connection("127.0.0.1", port, ssl=True, server_hostname=""))

    def main():
        with pytest.raises(ValueError) as info:
            yield call
        return str(info.value)

    with listener:
        message = run(main())
        with pytest.raises(BlockingIOError):
            listener.accept()[0].close()        # no connection was made
    assert message.startswith("open_unix_connection(): " if kind == "unix"
                              else "open_connection(): ")
    assert message.endswith("give server_hostname=")


@needs_ipv6
def test_tls_over_ipv6(run):
    def main():
        server, port = yield start_server(echo, host="::1", ssl=server_context())
        stream = yield open_connection("::1", port, ssl=client_context())
        with stream:
            yield stream.write(b"v6")
            got = yield stream.readexactly(2)
        yield cancel(server)
        return got

    assert run(main()) == b"v6"


def test_close_sends_close_notify_and_peer_sees_eof(run):
    """Closing a TLS stream sends close_notify: the peer reads a clean b"".
    A peer that just drops the TCP connection (no close_notify) reads as
    end of stream too.  write_eof is refused; write wants bytes."""
    seen = []
    done = Future()

    def reader(stream, address):
        seen.append((yield stream.read()))
        if len(seen) == 2:
            done.set_result(None)

    def main():
        server, port = yield start_server(reader, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        with pytest.raises(NotImplementedError, match="cannot half-close"):
            stream.write_eof()
        with pytest.raises(TypeError, match="encode it first"):
            yield stream.write("text")
        yield stream.write(array.array("B", b"by"))     # any bytes-like, as over TCP
        yield stream.write(memoryview(b"e"))
        yield stream.close()
        assert stream.closed
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"dropped")
        raw = socket.socket(fileno=os.dup(stream.sock.fileno()))
        stream.sock.close()                         # nothing sent: raw still open
        # FIN, no close_notify.  (Not raw.close(): with the server's session
        # tickets unread, that would be a reset.)
        raw.shutdown(socket.SHUT_WR)
        yield done
        raw.close()
        yield cancel(server)

    run(main())
    assert seen == [b"bye", b"dropped"]


def test_close_fails_a_task_reading_the_tls_stream_at_once(run):
    """close() of a TLS stream while another task waits in read(): that
    task gets OSError(EBADF) right away (it has ended by the closer's next
    turn), not at the kernel's sweep a second later."""
    release = Event()

    def silent(stream, address):
        yield release.wait()

    def reader(stream):
        try:
            yield stream.read(10)
        except OSError as exc:
            return exc

    def main():
        server, port = yield start_server(silent, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        task = yield spawn(reader(stream))
        yield sleep(0)
        yield sleep(0)                  # it waits in read() now
        stream.close()
        yield sleep(0)                  # it ran, with the error
        assert task.done
        error = yield join(task)
        release.set()
        yield cancel(server)
        return error

    error = run(main())
    assert error.errno == errno.EBADF and "was closed while" in str(error)


def test_a_reset_is_an_error_not_an_end(run):
    """A TLS peer whose TCP connection is reset (no close_notify, no FIN)
    makes the read raise ConnectionResetError, as without TLS -- not the
    clean end of stream a truncated message would pass for."""
    got = Future()

    def reader(stream, address):
        yield stream.write(b"go")
        received = b""
        try:
            while True:
                data = yield stream.read(65536)
                if not data:
                    break
                received += data
            got.set_result(("end", received))
        except OSError as exc:
            got.set_result((exc, received))

    def main():
        server, port = yield start_server(reader, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        assert (yield stream.readexactly(2)) == b"go"  # both handshakes done
        yield stream.write(b"half a request")
        stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(stream.sock)            # RST: no close_notify, no FIN
        result = yield got
        yield cancel(server)
        return result

    error, received = run(main())
    assert isinstance(error, ConnectionResetError), error
    assert received in (b"", b"half a request")


def test_a_peer_that_closes_without_close_notify_ends_the_stream(run):
    """A TLS server that closes its socket after its answer without
    close_notify -- a FIN, as many HTTP servers end a response -- ends the
    stream: b"" after the answer.  (OpenSSL answers that end with an alert,
    which the closed peer resets; the read said "Connection reset by peer".)"""
    def answer_then_close(stream, address):
        assert (yield stream.readexactly(3)) == b"GET"
        yield stream.write(b"the answer")
        socket.socket.close(stream.sock)            # FIN: no close_notify, nothing unread

    def main():
        server, port = yield start_server(answer_then_close, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"GET")
        received = yield stream.read()              # (to the end)
        assert stream.at_eof()
        stream.close()
        yield cancel(server)
        return received

    assert run(main()) == b"the answer"


def reset_by_the_client(handler, got):
    """Serve ``handler`` over TLS; connect, read its "go" (both handshakes
    done), then reset the connection from our end (RST: no close_notify,
    no FIN).  Returns what the handler put into ``got``, and our port."""
    server, port = yield start_server(handler, ssl=server_context())
    stream = yield open_connection("127.0.0.1", port, ssl=client_context())
    assert (yield stream.readexactly(2)) == b"go"
    ours = stream.sock.getsockname()[1]
    stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    socket.socket.close(stream.sock)
    error = yield got
    yield cancel(server)
    return error, ours


def test_a_reset_names_the_peer(run):
    """A TLS stream's read that meets a reset raises ConnectionResetError
    (ECONNRESET), its message naming the method and the peer: the bare
    "Connection reset by peer" said neither."""
    got = Future()

    def reader(stream, address):
        yield stream.write(b"go")
        try:
            while (yield stream.read(65536)):
                pass
        except Exception as exc:
            got.set_result(exc)
        else:
            got.set_result(None)

    error, port = run(reset_by_the_client(reader, got))
    assert type(error) is ConnectionResetError and error.errno == errno.ECONNRESET, error
    assert str(error).endswith(" (read() from 127.0.0.1:%d)" % port), error


def test_a_write_to_a_reset_connection_is_a_broken_pipe_naming_the_peer(run):
    """A TLS write once the peer has reset: BrokenPipeError (a
    ConnectionError: a server logs it as the peer's doing, not as its
    handler's crash), naming the peer, with bytes_written -- as over plain
    TCP.  (With OpenSSL 3 on Python 3.10+ it was ssl.SSLEOFError "EOF
    occurred in violation of protocol", which said neither.)"""
    got = Future()

    def writer(stream, address):
        yield stream.write(b"go")
        try:
            while (yield stream.read(65536)):       # until the reset has come
                pass
        except ConnectionResetError:
            pass
        try:
            yield stream.write(b"x" * MiB)
        except Exception as exc:
            got.set_result(exc)
        else:
            got.set_result(None)

    error, port = run(reset_by_the_client(writer, got))
    assert isinstance(error, (BrokenPipeError, ConnectionResetError)), repr(error)
    assert error.errno in (errno.EPIPE, errno.ECONNRESET)
    assert str(error).endswith(" (write() to 127.0.0.1:%d)" % port), error
    assert error.bytes_written == 0


def test_closing_a_stream_whose_peer_is_gone(run):
    """close() on a TLS stream whose peer has reset: no error."""
    def main():
        server, port = yield start_server(echo, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"x")
        assert (yield stream.read(1)) == b"x"
        yield cancel(server)                        # the server side closes
        assert (yield stream.read()) == b""
        stream.close()

    run(main())


def test_server_cancelled_during_a_handshake(run):
    """A client that connects and never says hello holds a handshake open;
    cancelling the server ends it and closes the socket."""
    def main():
        before = open_fds()
        started = Future()

        def waiting(stream, address):
            yield stream.write((yield stream.readline()))
            yield stream.read()

        listener = listen(("127.0.0.1", 0))
        server = yield spawn(serve(listener, waiting, ssl=server_context(),
                                   ready=started))
        yield started
        silent = socket.create_connection(listener.getsockname())
        # Connections are accepted in order: once this later one is served
        # (a round trip: its handshake is done on both sides), the silent
        # one's task is parked in its handshake.
        stream = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                       ssl=client_context())
        yield stream.write(b"hello\n")
        assert (yield stream.readline()) == b"hello\n"
        yield cancel(server)
        silent.settimeout(5)
        assert silent.recv(1) == b""
        silent.close()
        assert (yield stream.read()) == b""
        stream.close()
        assert open_fds() == before

    run(main())


def test_a_client_reset_before_the_handshake_leaves_no_descriptor_open(run, caplog):
    """Clients that reset their connection while it waits in the listener's
    queue: ssl's ``wrap_socket`` fails (ECONNRESET, from its check for
    early data) once the SSLSocket it made holds the descriptor, and closes
    nothing.  The server closes it at once.  (On PyPy each stayed open until
    a garbage collection -- a flood of them could use up the server's
    descriptors; on CPython it was closed as garbage, with a
    ResourceWarning.)"""
    caplog.set_level(logging.INFO, logger="trampoline")

    def main():
        before = open_fds()
        listener = listen(("127.0.0.1", 0))
        for _ in range(3):                  # reset before they are accepted
            early = socket.create_connection(listener.getsockname())
            early.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            early.close()
        started = Future()
        server = yield spawn(serve(listener, echo, ssl=server_context(), ready=started))
        yield started
        # Connections are accepted in order: once this later one is served,
        # the early ones' handshakes have failed.
        stream = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                       ssl=client_context())
        yield stream.write(b"hello\n")
        assert (yield stream.readline()) == b"hello\n"
        stream.close()
        yield cancel(server)
        return open_fds() - before

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert run(main()) == 0             # no collection ran meanwhile
    # One line: the server says the first failure; the two after it, in
    # the same second, are counted for its next line (no flood of them).
    assert caplog.text.count("TLS handshake with 127.0.0.1:") == 1, caplog.text
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_client_that_never_finishes_its_handshake_is_dropped_in_time(run, caplog):
    """A client that connects and never says hello does not hold its
    connection for ever: after ``TLS_HANDSHAKE_TIMEOUT`` seconds (virtual
    here) it is closed, with one INFO line; a client that does say hello is
    served meanwhile and after."""
    caplog.set_level(logging.INFO, logger="trampoline")

    def main():
        started = Future()
        listener = listen(("127.0.0.1", 0))
        server = yield spawn(serve(listener, echo, ssl=server_context(), ready=started))
        yield started
        silent = socket.create_connection(listener.getsockname())
        silent.setblocking(False)
        began = current_time()
        assert (yield read(silent, 100)) == b""         # closed by the server
        waited = current_time() - began
        stream = yield open_connection("127.0.0.1", listener.getsockname()[1],
                                       ssl=client_context())
        yield stream.write(b"still serving\n")
        echoed = yield stream.readline()
        stream.close()
        silent.close()
        yield cancel(server)
        return waited, echoed

    waited, echoed = run(main(), clock=VirtualClock(autojump_threshold=0.01))
    assert streams.TLS_HANDSHAKE_TIMEOUT <= waited < streams.TLS_HANDSHAKE_TIMEOUT + 1
    assert echoed == b"still serving\n"
    assert "TLS handshake with 127.0.0.1:" in caplog.text
    assert "not finished within 60 s" in caplog.text


def test_handshake_that_must_wait_to_write(run):
    """A certificate of ~42 KB with small socket buffers: the server's
    handshake cannot send its flight at once and waits for writability
    (SSLWantWriteError -> write_wait) in the middle of a handshake that
    also reads; the client here is a blocking ssl socket in a thread."""
    big_cert = os.path.join(HERE, "tls_big_cert.pem")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(big_cert, KEY)

    def blocking_client(port):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        trusting = ssl.create_default_context(cafile=big_cert)
        with trusting.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(b"ping")
            return tls.recv(4)

    def main():
        listener = listen(("127.0.0.1", 0))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        server = yield spawn(serve(listener, echo, ssl=context))
        got = yield run_in_thread(blocking_client, listener.getsockname()[1])
        yield cancel(server)
        return got

    assert run(main()) == b"ping"


def test_stream_over_an_already_wrapped_socket(run):
    """Stream(sock) accepts an SSLSocket whose handshake is done."""
    def main():
        server, port = yield start_server(echo, ssl=server_context())
        raw = socket.create_connection(("127.0.0.1", port))
        tls = client_context().wrap_socket(raw, server_hostname="localhost",
                                           do_handshake_on_connect=False)
        yield run_in_thread(tls.do_handshake)       # blocking, in a worker thread
        with Stream(tls) as stream:
            yield stream.write(b"wrapped")
            got = yield stream.readexactly(7)
        yield cancel(server)
        return got

    assert run(main()) == b"wrapped"


def late_reader_server(received, go, linger=False):
    """A handler that reads nothing until ``go`` is set, then everything,
    into ``received``; then returns (its stream is closed).  With
    ``linger``, ``go`` is a Future of how many bytes to read: it reads
    those and waits forever, never reading the close_notify behind them
    (which it would answer at once)."""
    def late_reader(stream, address):
        if linger:
            received.set_result((yield stream.readexactly((yield go))))
            yield Event().wait()
        yield go.wait()
        received.set_result((yield stream.read()))
    return late_reader


def test_aclose_waits_for_the_peer_so_it_gets_every_byte(run):
    """A client writes 1 MB and closes while its server (TLS 1.3: it sends
    session tickets after the handshake) has read none of it.  close()
    alone let the tickets reach a closed socket, whose reset made the
    server drop what it had not read; aclose() sends close_notify and
    reads on until the server's, so the server gets every byte, then a
    clean end."""
    received, go, closing = Future(), Event(), Event()

    def client(port):
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        yield stream.write(b"x" * MiB)
        closing.set()
        yield stream.aclose(timeout=60)     # (the watchdog fails it long before)
        return stream.closed

    def main():
        server, port = yield start_server(late_reader_server(received, go),
                                          ssl=server_context())
        closer = yield spawn(client(port))
        yield closing.wait()
        yield sleep(0)                      # the client waits in aclose
        go.set()
        data = yield received
        closed = yield join(closer)
        yield cancel(server)
        return len(data), closed

    assert run(main()) == (MiB, True)


def test_aclose_gives_up_after_its_timeout_and_finishes_a_cancelled_write(run):
    """A peer that never answers close_notify (it reads what came before
    it, not the close_notify itself): aclose closes after its timeout all
    the same.  The chunk a cancelled write left with OpenSSL goes out
    first: the peer gets data[:bytes_written].  (On the virtual clock: its
    0.2 s run only while nothing happens, so a slow machine still flushes
    the chunk before they are up.)"""
    received, go = Future(), Future()

    def main():
        server, port = yield start_server(late_reader_server(received, go, linger=True),
                                          ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        writer = yield spawn(stream.write(b"A" * 8 * MiB))
        yield sleep(0)                  # it sends what fits, and waits: nobody reads
        yield cancel(writer)
        try:
            yield join(writer)
            written = 8 * MiB
        except TaskError as exc:
            written = exc.__cause__.bytes_written
        go.set_result(written)
        started = current_time()
        yield stream.aclose(timeout=0.2)    # the server's handler never closes
        waited = current_time() - started
        assert stream.closed
        data = yield received
        yield cancel(server)
        return written, data, waited

    written, data, waited = run(main(), clock=VirtualClock())
    assert 0 < written < 8 * MiB
    assert data == b"A" * written
    assert 0.2 <= waited < 0.3


def test_aclose_while_another_task_reads_fails_the_reader_not_aclose(run):
    """aclose() while another task waits to read the TLS stream: that task
    gets OSError(EBADF), as from close(), and aclose raises nothing (it
    raised ResourceBusy: its own wait for the peer's close_notify found the
    reader there) and still exchanges close_notify: the peer reads a
    clean end."""
    ended = Future()

    def until_the_end(stream, address):
        yield stream.write(b"hi")               # (the client knows the handshake is done)
        ended.set_result((yield stream.read()))

    def reader(stream):
        try:
            yield stream.readline()
        except OSError as exc:
            return exc

    def main():
        server, port = yield start_server(until_the_end, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        assert (yield stream.readexactly(2)) == b"hi"
        task = yield spawn(reader(stream))
        yield sleep(0)
        yield sleep(0)                          # it waits in readline() now
        assert not task.done
        yield stream.aclose(timeout=5)
        error = yield join(task)
        end = yield ended
        yield cancel(server)
        return error, end, stream.closed

    error, end, closed = run(main())
    assert isinstance(error, OSError) and error.errno == errno.EBADF, error
    assert end == b"" and closed


def test_aclose_while_another_task_writes_finishes_its_chunk(run):
    """aclose() while another task's write waits for room: the writer gets
    OSError(EBADF) with bytes_written, aclose raises nothing, and the peer
    gets exactly data[:bytes_written], then a clean end.  (aclose raised
    ResourceBusy: its own wait found the writer there.)"""
    received, go = Future(), Event()

    def main():
        server, port = yield start_server(late_reader_server(received, go),
                                          ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        writer = yield spawn(stream.write(b"A" * 8 * MiB))
        yield sleep(0)                  # it sends what fits, and waits: nobody reads
        assert not writer.done
        go.set()
        yield stream.aclose(timeout=5)
        with pytest.raises(TaskError) as caught:
            yield join(writer)
        data = yield received
        yield cancel(server)
        return caught.value.__cause__, data

    error, data = run(main())
    assert isinstance(error, OSError) and error.errno == errno.EBADF, error
    assert 0 < error.bytes_written < 8 * MiB
    assert data == b"A" * error.bytes_written


def test_a_closed_tls_stream_says_so(run):
    """read, readline and write on a closed TLS stream raise OSError(EBADF)
    naming the stream and its peer, as a plain stream's do -- not the bare
    "[Errno 9] Bad file descriptor" of the SSLSocket underneath."""
    release = Event()

    def hold(stream, address):
        yield release.wait()

    def main():
        server, port = yield start_server(hold, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        stream.close()
        errors = []
        for attempt in (lambda: stream.read(10), lambda: stream.readline(),
                        lambda: stream.write(b"x")):
            with pytest.raises(OSError) as info:
                yield attempt()
            errors.append(info.value)
        release.set()
        yield cancel(server)
        return errors

    for error in run(main()):
        assert error.errno == errno.EBADF
        assert "<Stream TLS closed peer=('127.0.0.1', " in str(error), error
        assert "is closed" in str(error)
