"""Servers with proxy_protocol=True, and the graceful hand-over, over real loopback sockets.

tcp_server / unix_server / serve read a PROXY header (version 1 or 2) off
each connection before the handler runs, and take from the socket only
the header's bytes; a missing, malformed, slow or cut-off header closes
the connection with one log line and never reaches the handler.  The
hand-over (what run_server's drain asks of the accept loop) serves the
clients already queued in the listener and lets connections finish their
header.  HAProxy itself sends the headers in test_haproxy.py.
"""

import logging
import select
import socket
import ssl
import struct
import time

import pytest

from net_helpers import (client_context, read_to_end, server_context, start_server,  # noqa: F401
                         watchdog)
from trampoline import Future, TaskError, cancel, join, run_in_thread, sleep, spawn
from trampoline.traps import current_kernel
from trampoline import streams, workers
from trampoline.protocols.proxy import V2_SIGNATURE, ProxyHeader
from trampoline.streams import (open_connection, open_unix_connection, serve, tcp_server,
                                unix_server)
from trampoline.net import listen

V1 = b"PROXY TCP4 198.51.100.9 192.0.2.1 40000 80\r\n"
V2_TCP6 = (V2_SIGNATURE + b"\x21\x21" + struct.pack("!H", 36 + 7)
           + socket.inet_pton(socket.AF_INET6, "2001:db8::9")
           + socket.inet_pton(socket.AF_INET6, "2001:db8::1") + struct.pack("!HH", 40001, 443)
           + b"\x01\x00\x04h2h2")                          # an ALPN TLV


def who(stream, address):
    """Handler: answer each line with the client's address and the line."""
    while True:
        line = yield stream.readline()
        if not line:
            return
        yield stream.write(("%r %s\n" % (address, line.decode().strip())).encode())


def exchange(port, *pieces):
    """Subroutine: connect, send ``pieces`` one write each, then half-close;
    return everything the server sent until it closed."""
    client = yield open_connection("127.0.0.1", port)
    with client:
        for piece in pieces:
            yield client.write(piece)
        client.write_eof()
        try:
            return (yield client.read())
        except ConnectionResetError:    # closed with our bytes unread: the same to us
            return b""


def test_the_handler_sees_the_v1_client_address_and_every_byte_after_the_header(run):
    seen = []

    def handler(stream, address):
        seen.append(stream.proxy_header)
        yield who(stream, address)

    def main():
        server, port = yield start_server(handler, proxy_protocol=True)
        reply = yield exchange(port, V1 + b"hello\nworld\n")       # one packet
        yield cancel(server)
        return reply

    assert run(main()) == (b"('198.51.100.9', 40000) hello\n"
                           b"('198.51.100.9', 40000) world\n")
    assert seen == [ProxyHeader(1, "PROXY", socket.AF_INET, socket.SOCK_STREAM,
                                ("198.51.100.9", 40000), ("192.0.2.1", 80))]


def test_a_v2_header_sent_byte_by_byte_then_data_reaches_the_handler_intact(run):
    def main():
        server, port = yield start_server(who, proxy_protocol=True)
        pieces = [V2_TCP6[i:i + 1] for i in range(len(V2_TCP6))] + [b"one\n", b"two\n"]
        reply = yield exchange(port, *pieces)
        yield cancel(server)
        return reply

    assert run(main()) == (b"('2001:db8::9', 40001, 0, 0) one\n"
                           b"('2001:db8::9', 40001, 0, 0) two\n")


def test_a_long_v2_header_is_read_whole_and_not_a_byte_further(run):
    tlvs = b"\x04" + struct.pack("!H", 20000) + b"\x00" * 20000      # a NOOP TLV
    header = (V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", 12 + len(tlvs))
              + socket.inet_pton(socket.AF_INET, "203.0.113.5") + b"\x7f\x00\x00\x01"
              + struct.pack("!HH", 5555, 80) + tlvs)

    def main():
        server, port = yield start_server(who, proxy_protocol=True)
        reply = yield exchange(port, header[:100], header[100:9000], header[9000:] + b"x\n")
        yield cancel(server)
        return reply

    assert run(main()) == b"('203.0.113.5', 5555) x\n"


@pytest.mark.parametrize("header", [b"PROXY UNKNOWN\r\n",
                                    V2_SIGNATURE + b"\x20\x00\x00\x00",          # LOCAL
                                    V2_SIGNATURE + b"\x21\x00\x00\x03abc"])      # UNSPEC
def test_local_and_unknown_headers_leave_the_real_peer_address(run, header):
    def main():
        server, port = yield start_server(who, proxy_protocol=True)
        client = yield open_connection("127.0.0.1", port)
        with client:
            yield client.write(header + b"hi\n")
            reply = yield client.readline()
            mine = client.sock.getsockname()
        yield cancel(server)
        return reply, mine

    reply, mine = run(main())
    assert reply == ("%r hi\n" % (mine,)).encode()


@pytest.mark.parametrize("first, logged", [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a PROXY protocol header"),
    (b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\nhi\n", "bad port"),
    (b"PROXY TCP4 1.2.3", "ended after"),
    (V2_SIGNATURE + b"\x21\x11\x00\x0c\x01\x02", "ended after 18 bytes"),
])
def test_a_bad_or_cut_off_header_closes_the_connection_with_one_log_line(run, caplog, first,
                                                                         logged):
    handled = []

    def handler(stream, address):
        handled.append(address)
        yield stream.write(b"should never be sent")

    def main():
        server, port = yield start_server(handler, proxy_protocol=True)
        reply = yield exchange(port, first)
        yield cancel(server)
        return reply, port

    with caplog.at_level(logging.INFO, logger="trampoline"):
        reply, port = run(main())
    assert reply == b"" and handled == []
    lines = [r for r in caplog.records if "closing the connection" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert logged in lines[0].getMessage() and "127.0.0.1:" in lines[0].getMessage()


def test_a_connection_closed_before_its_first_byte_is_logged_at_info(run, caplog):
    """What a balancer's plain TCP health check does: connect, close."""
    def main():
        server, port = yield start_server(who, proxy_protocol=True)
        reply = yield exchange(port)
        yield cancel(server)
        return reply

    with caplog.at_level(logging.INFO, logger="trampoline"):
        assert run(main()) == b""
    assert [(r.levelno, r.getMessage().split(": ", 1)[1]) for r in caplog.records] == [
        (logging.INFO, "the connection ended before its PROXY header")]


def test_a_connection_reset_in_its_header_is_logged_and_closed(run, caplog):
    def main():
        server, port = yield start_server(who, proxy_protocol=True)
        client = yield open_connection("127.0.0.1", port)
        yield client.write(b"PROXY ")
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()                                      # an RST
        while not caplog.records:
            yield sleep(0)
        yield cancel(server)

    with caplog.at_level(logging.INFO, logger="trampoline"):
        run(main())
    message = caplog.records[0].getMessage()
    assert "before its PROXY header was complete" in message
    assert "reset" in message or "ended after 6 bytes" in message


def test_a_header_that_does_not_come_in_time_closes_the_connection(run, caplog, monkeypatch):
    monkeypatch.setattr(streams, "PROXY_HEADER_TIMEOUT", 0.2)
    handled = []

    def handler(stream, address):
        handled.append(address)
        yield stream.write(b"should never be sent")

    def main():
        server, port = yield start_server(handler, proxy_protocol=True)
        client = yield open_connection("127.0.0.1", port)
        with client:
            yield client.write(b"PROXY TCP4 1.2.")                  # and then nothing
            started = time.monotonic()
            reply = yield client.read()
            waited = time.monotonic() - started
        yield cancel(server)
        return reply, waited

    with caplog.at_level(logging.INFO, logger="trampoline"):
        reply, waited = run(main())
    assert reply == b"" and handled == []
    assert 0.15 < waited < 5
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records
            if "closing the connection" in r.getMessage()] == ["no PROXY header within 0.2 s"]


def test_a_proxy_protocol_that_is_not_a_bool_is_refused_naming_it(run, tmp_path):
    def main():
        with pytest.raises(TypeError, match="proxy_protocol= must be True or False, got str 'yes'"):
            yield tcp_server("127.0.0.1", 0, who, proxy_protocol="yes")
        with pytest.raises(TypeError, match="got int 1"):
            yield unix_server(str(tmp_path / "u.sock"), who, proxy_protocol=1)
        listener = listen(("127.0.0.1", 0))
        with pytest.raises(TypeError, match="got None"):
            yield serve(listener, who, proxy_protocol=None)
        assert listener.fileno() == -1                      # not left open

    run(main())
    with pytest.raises(TypeError, match=r"run_server\(\): proxy_protocol= .* got str 'on'"):
        workers.run_server("127.0.0.1", 0, who, proxy_protocol="on")
    assert not (tmp_path / "u.sock").exists()


def test_without_proxy_protocol_a_header_is_just_data(run):
    def main():
        server, port = yield start_server(who)
        reply = yield exchange(port, b"PROXY UNKNOWN\r\n")
        yield cancel(server)
        return reply

    assert run(main()).endswith(b" PROXY UNKNOWN\n")


def test_tls_after_the_proxy_header(run):
    """HAProxy's send-proxy with ssl: the header comes in clear, then the
    TLS handshake -- which must find every one of its bytes."""
    def client(port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(V1)
            with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"secret\n")
                return tls.recv(100)

    def main():
        server, port = yield start_server(who, proxy_protocol=True, ssl=server_context())
        reply = yield run_in_thread(client, port)
        yield cancel(server)
        return reply

    assert run(main()) == b"('198.51.100.9', 40000) secret\n"


def test_unix_server_and_serve_take_proxy_protocol_too(run, tmp_path):
    path = str(tmp_path / "s.sock")
    header = (V2_SIGNATURE + b"\x21\x31" + struct.pack("!H", 216)
              + b"/client".ljust(108, b"\x00") + path.encode().ljust(108, b"\x00"))

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, who, ready=ready, proxy_protocol=True))
        yield ready
        client = yield open_unix_connection(path)
        with client:
            yield client.write(header + b"u\n")
            first = yield client.readline()
        yield cancel(server)
        ready = Future()
        server = yield spawn(serve(listen(("127.0.0.1", 0)), who, ready=ready,
                                   proxy_protocol=True))
        port = (yield ready)[1]
        second = yield exchange(port, V1 + b"s\n")
        yield cancel(server)
        return first, second

    assert run(main()) == (b"'/client' u\n", b"('198.51.100.9', 40000) s\n")


# ================================================================ the hand-over

def queued_clients(port, count, data):
    """``count`` blocking clients connected -- the kernel completes the
    handshake, nobody has accepted them -- each having sent ``data``."""
    clients = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(data)
        clients.append(sock)
    return clients


@pytest.mark.parametrize("draining", [True, False])
def test_a_hand_over_serves_the_clients_queued_in_the_listener(run, draining):
    """Cancelled while ``draining``, the accept loop accepts what is
    queued, closes the listener, and waits for those connections to be
    served.  A plain cancellation drops them (the difference this makes)."""
    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        ready = Future()
        server = yield spawn(streams._serve(listener, who, None, ready, True, handover))
        yield ready                                         # it waits in accept now
        # No yield from here to the cancel: the server cannot accept meanwhile.
        clients = queued_clients(port, 3, V1 + b"queued\n")
        handover.draining = draining
        yield cancel(server, wait=False)
        replies = []
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_WR)
                replies.append((yield run_in_thread(read_to_end, sock)))
            except OSError:                                 # reset (ENOTCONN, ECONNRESET)
                replies.append(b"reset")
            sock.close()
        with pytest.raises(TaskError):
            yield join(server)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=10)
        return replies

    replies = run(main())
    if draining:
        assert replies == [b"('198.51.100.9', 40000) queued\n"] * 3
    else:
        assert b"('198.51.100.9', 40000) queued\n" not in replies


def test_a_hand_over_serves_the_clients_queued_on_a_unix_socket_too(run, tmp_path):
    path = str(tmp_path / "h.sock")

    def main():
        handover = streams._HandOver()
        listener = listen(path)
        ready = Future()
        server = yield spawn(streams._serve(listener, who, None, ready, False, handover))
        yield ready
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)                                # queued: nobody accepts it yet
        client.sendall(b"unix\n")
        client.shutdown(socket.SHUT_WR)
        handover.draining = True
        yield cancel(server, wait=False)
        reply = yield run_in_thread(read_to_end, client)
        client.close()
        with pytest.raises(TaskError):
            yield join(server)
        return reply

    assert run(main()) == b"'' unix\n"


def test_a_handler_failing_during_a_hand_over_is_reported_and_the_rest_go_on(run, caplog):
    def picky(stream, address):
        line = yield stream.readline()
        if line == b"bad\n":
            raise ValueError("this handler fails on purpose")
        yield stream.write(b"fine\n")

    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        ready = Future()
        server = yield spawn(streams._serve(listener, picky, None, ready, False, handover))
        yield ready
        bad, good = queued_clients(listener.getsockname()[1], 2, b"")
        bad.sendall(b"bad\n")
        good.sendall(b"good\n")
        handover.draining = True
        yield cancel(server, wait=False)
        replies = []
        for sock in (bad, good):
            replies.append((yield run_in_thread(read_to_end, sock)))
            sock.close()
        with pytest.raises(TaskError):
            yield join(server)
        return replies

    with caplog.at_level(logging.ERROR, logger="trampoline"):
        assert run(main()) == [b"", b"fine\n"]
    assert "this handler fails on purpose" in caplog.text


def test_a_hand_over_lets_a_connection_finish_its_header_and_a_second_cancel_ends_it(run):
    """A client in the middle of its PROXY header when the hand-over starts
    gets served; then one that never completes it is cancelled by a second
    cancellation."""
    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        ready = Future()
        server = yield spawn(streams._serve(listener, who, None, ready, True, handover))
        yield ready                                         # it waits in accept now
        slow = yield open_connection("127.0.0.1", port)
        stuck = yield open_connection("127.0.0.1", port)
        yield slow.write(V1[:10])
        yield stuck.write(V1[:10])
        while len((yield connection_tasks())) < 2:         # both accepted, in their header
            yield sleep(0)
        handover.draining = True
        yield cancel(server, wait=False)
        yield slow.write(V1[10:] + b"late\n")
        slow.write_eof()
        assert (yield slow.read()) == b"('198.51.100.9', 40000) late\n"
        assert not server.done                              # still waiting for `stuck`
        yield cancel(server)
        assert (yield stuck.read()) == b""
        slow.close()
        stuck.close()
        with pytest.raises(TaskError):
            yield join(server)

    run(main())


def connection_tasks():
    """Subroutine: the live tasks named after the ``who`` handler, i.e. the
    server's connection tasks (the kernel's table, as the monitor reads it)."""
    kernel = yield current_kernel()
    return [task for task in kernel._tasks.values() if (task.name or "").startswith("who ")]


def test_run_servers_drain_serves_queued_clients_even_one_whose_request_comes_late(run):
    """workers._drain, the real thing: a client queued with its request
    sent, and one queued whose request arrives only after the drain began
    (its connection is not half-closed before the request is there), are
    both answered; the drain then ends -- well within its grace."""
    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        ready = Future()
        server = yield spawn(streams._serve(listener, who, None, ready, True,
                                            handover=handover))
        yield ready
        early, late = queued_clients(port, 2, V1)
        early.sendall(b"early\n")
        drain = yield spawn(workers._drain([server], handover, 5.0))
        name = "who 127.0.0.1:%d" % late.getsockname()[1]
        # The late one accepted, past its header, waiting for its request --
        # or (what a drain must not do) closed already:
        while not ((yield settled(name)) or select.select([late], [], [], 0)[0]):
            yield sleep(0)
        try:
            late.sendall(b"late\n")
        except OSError:
            pass                                            # closed: the assert says so
        started = time.monotonic()
        yield join(drain)
        replies = []
        for sock in (early, late):
            replies.append((yield run_in_thread(read_to_end, sock)))
            sock.close()
        return replies, time.monotonic() - started

    replies, took = run(main())
    assert replies == [b"('198.51.100.9', 40000) early\n", b"('198.51.100.9', 40000) late\n"]
    assert took < 4.0


def settled(name):
    """Subroutine: whether the connection task ``name`` is parked in a
    ``read`` (over TLS a ``read_wait``): past its header, in its handler,
    waiting for its client's request."""
    kernel = yield current_kernel()
    tasks = [task for task in kernel._tasks.values() if task.name == name]
    return bool(tasks) and type(tasks[0]._waiting).__name__ in ("read", "read_wait")


@pytest.mark.parametrize("tls", [False, True])
def test_a_drain_lets_a_new_connection_send_its_first_request(run, tls, monkeypatch):
    """Go's rule: a new connection is not idle.  Two clients are in their
    handlers when the drain begins: one answered once and now idle sees
    the end of its stream at once; one that has sent nothing yet (a
    balancer's connection whose request is on its way; a TLS client one
    round trip after its handshake) is not cut off -- its request, sent
    after the stop, is answered, and then it too sees the end.  A third
    that never speaks is let go after NEW_CONNECTION_GRACE (at most twice
    that), well within the drain's grace."""
    grace = 0.3
    monkeypatch.setattr(streams, "NEW_CONNECTION_GRACE", grace)

    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        ready = Future()
        context = None
        if tls:                                 # as run_server makes it
            context = server_context()
            context.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
        server = yield spawn(streams._serve(listener, who, context, ready, False,
                                            handover=handover))
        yield ready
        context = client_context() if tls else None
        idle = yield open_connection("127.0.0.1", port, ssl=context)
        new = yield open_connection("127.0.0.1", port, ssl=context)
        silent = yield open_connection("127.0.0.1", port, ssl=context)
        yield idle.write(b"one\n")
        first = yield idle.readline()
        for client in (new, silent):            # in its handler, waiting for a request
            while not (yield settled("who 127.0.0.1:%d" % client.sock.getsockname()[1])):
                yield sleep(0)
        started = time.monotonic()
        drain = yield spawn(workers._drain([server], handover, 5.0))
        at_once = yield idle.read()             # the idle one: let go now
        yield new.write(b"two\n")               # the new one: heard
        second = yield new.read()
        nothing = yield silent.read()           # the silent one: after a while
        silent_at = time.monotonic() - started
        yield join(drain)
        for client in (idle, new, silent):
            client.close()
        return first, at_once, second, nothing, silent_at, time.monotonic() - started

    first, at_once, second, nothing, silent_at, took = run(main())
    assert first.endswith(b") one\n")
    assert at_once == b""
    assert second.endswith(b") two\n")
    assert nothing == b""
    assert grace <= silent_at < 2 * grace + 1.0
    assert took < 4.0
