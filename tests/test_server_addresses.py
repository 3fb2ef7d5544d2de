"""tcp_server on a host of several addresses, over real loopback sockets.

``None`` (every interface) resolves to 0.0.0.0 and :: -- the name this
machine surely has for two addresses ("localhost" is 127.0.0.1 alone in
many /etc/hosts).  The server must listen on each, with one port, serve
connections on both, report each address to ``ready``, end them all when
cancelled, and name the host, the port and the address that failed.  The
IPv6 half is skipped only where ::1 cannot be had (then the IPv4 half is
still checked).  Synchronised by Futures and joins, never sleeps.
"""

import errno
import os
import socket
import sys

import pytest

from net_helpers import echo, has_ipv6, ipv6_port_taken, watchdog  # noqa: F401 (watchdog: autouse fixture)
from trampoline import Event, Future, cancel, spawn, timeout_after
from trampoline import streams
from trampoline.streams import open_connection, tcp_server

IPV6 = has_ipv6()


def every_interface():
    """What getaddrinfo says ``None`` is: one address per family."""
    return [info[4][0] for info in socket.getaddrinfo(None, 0, 0, socket.SOCK_STREAM, 0,
                                                      socket.AI_PASSIVE)]


def connect_refused(host, port):
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_server_on_every_interface_serves_ipv4_and_ipv6_on_one_port(run):
    """``tcp_server(None, 0)``: a callback ``ready`` hears of each address,
    all with the port the first one got; a client of either family is
    served at once, each by a connection task of the same server; cancelled,
    the server ends both connections and listens nowhere."""
    reported = []
    heard = Future()

    def ready(address):
        reported.append(address)
        if len(reported) == len(every_interface()):
            heard.set_result(None)

    def main():
        server = yield spawn(tcp_server(None, 0, echo, ready=ready))
        yield heard
        port = reported[0][1]
        streams = []
        replies = []
        for host in ("127.0.0.1", "::1") if IPV6 else ("127.0.0.1",):
            stream = yield open_connection(host, port)
            streams.append(stream)
            yield stream.write(host.encode())
            replies.append((yield stream.read(100)))
        yield cancel(server)
        ends = []
        for stream in streams:
            with stream:
                ends.append((yield stream.read(100)))   # its handler was cancelled
        return port, replies, ends

    port, replies, ends = run(main())
    assert [address[:2] for address in reported] == [(host, port) for host in every_interface()]
    assert replies == ([b"127.0.0.1", b"::1"] if IPV6 else [b"127.0.0.1"])
    assert ends == [b""] * len(replies)
    assert connect_refused("127.0.0.1", port)
    if IPV6:
        assert connect_refused("::1", port)


def test_on_several_addresses_a_future_gets_the_first_and_an_event_is_set(run):
    """The Future of a single-address caller still gets one address, the
    first: ``(host, port)`` as before."""
    def main():
        future = Future()
        event = Event()
        first = yield spawn(tcp_server("", 0, echo, ready=future))
        second = yield spawn(tcp_server(None, 0, echo, ready=event))
        address = yield future
        yield event.wait()
        stream = yield open_connection("::1" if IPV6 else "127.0.0.1", address[1])
        with stream:
            yield stream.write(b"x")
            got = yield stream.read(1)
        yield cancel(first)
        yield cancel(second)
        return address, got

    address, got = run(main())
    assert address[0] == every_interface()[0] and got == b"x"


@pytest.mark.skipif(not IPV6, reason="no IPv6 loopback (::1) here")
def test_a_port_taken_on_one_address_is_an_error_naming_the_host_the_port_and_it(run):
    """[::]:P is held by another socket (IPv6 only): ``tcp_server(None, P)``
    raises EADDRINUSE naming the host, the port and the address that
    failed, and does not keep the IPv4 socket it had bound (P is free
    there again)."""
    taken = ipv6_port_taken()
    port = taken.getsockname()[1]

    def main():
        with pytest.raises(OSError) as info:
            yield timeout_after(10, tcp_server(None, port, echo))
        return info.value

    try:
        error = run(main())
        assert error.errno == errno.EADDRINUSE, error
        assert str(error) == (
            "[Errno 98] Address already in use: cannot listen on [::]:%d (tcp_server(None, %d), "
            "which is every IPv4 interface, every IPv6 interface)" % (port, port))
        with socket.socket() as again:
            again.bind(("0.0.0.0", port))       # closed: nothing holds it
    finally:
        taken.close()


def test_a_single_address_error_names_the_call_too(run):
    """One address, as before, but the message names the call as well."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        def main():
            with pytest.raises(OSError) as info:
                yield timeout_after(10, tcp_server("127.0.0.1", port, echo))
            return info.value

        error = run(main())
    assert error.errno == errno.EADDRINUSE
    assert str(error) == ("[Errno 98] Address already in use: cannot listen on 127.0.0.1:%d "
                          "(tcp_server('127.0.0.1', %d))" % (port, port))


# A name the resolver answers with the addresses a test needs: this machine
# has no name for two addresses that cannot both listen (its /etc/hosts is
# not ours to change), so the test answers for it -- the resolver's part
# only: the sockets, binds and errors are real.

def resolving(monkeypatch, name, *hosts):
    """Make ``name`` resolve to ``hosts`` (numeric), in that order."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host != name or flags & socket.AI_NUMERICHOST:
            return real(host, port, family, type, proto, flags)
        infos = []
        for each in hosts:
            infos += real(each, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        return infos
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_an_address_that_cannot_be_had_here_is_skipped_with_a_log_line(run, monkeypatch, caplog):
    """A name that is 127.0.0.1 and 2001:db8::1 (a documentation address no
    host has: bind says EADDRNOTAVAIL, as it says for ::1 where IPv6 is
    off; no IPv6 at all says EAFNOSUPPORT, skipped the same), and
    127.0.0.1 again: the server listens on 127.0.0.1 alone, once, says at
    INFO which address it skipped and why, and ``ready`` hears of the one
    it listens on."""
    resolving(monkeypatch, "two.test", "127.0.0.1", "2001:db8::1", "127.0.0.1")
    reported = []
    heard = Future()

    def ready(address):
        reported.append(address)
        heard.set_result(None)

    def main():
        server = yield spawn(tcp_server("two.test", 0, echo, ready=ready))
        yield heard
        stream = yield open_connection("127.0.0.1", reported[0][1])
        with stream:
            yield stream.write(b"ping")
            reply = yield stream.read(100)
        yield cancel(server)
        return reply

    caplog.set_level("INFO", logger="trampoline")
    assert run(main()) == b"ping"
    port = reported[0][1]
    assert reported == [("127.0.0.1", port)]
    skipped = [r.getMessage() for r in caplog.records if "not listening on" in r.getMessage()]
    assert len(skipped) == 1, skipped
    assert skipped[0].startswith("tcp_server('two.test', 0): not listening on [2001:db8::1]:%d: "
                                 % port), skipped


def test_when_every_address_is_skipped_the_last_ones_error_is_raised(run, monkeypatch):
    """Neither address can be had here: nothing listens, and the error
    (EADDRNOTAVAIL; EAFNOSUPPORT without IPv6) names the last address,
    the call and what the name is."""
    resolving(monkeypatch, "none.test", "192.0.2.1", "2001:db8::1")

    def main():
        with pytest.raises(OSError) as info:
            yield timeout_after(10, tcp_server("none.test", 0, echo))
        return info.value

    error = run(main())
    assert error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT), error
    assert str(error).endswith(
        ": cannot listen on [2001:db8::1]:0 (tcp_server('none.test', 0), which is 192.0.2.1, "
        "2001:db8::1)"), error


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="Linux refuses 0.0.0.0:P beside a listening 127.0.0.1:P")
def test_port_0_tries_a_new_port_while_another_address_has_it_taken_then_gives_up(
        run, monkeypatch):
    """With port 0 every address gets the first one's port; when another
    address has it taken (EADDRINUSE), the sockets are closed and a new
    port is tried, ``SHARED_PORT_TRIES`` times.  127.0.0.1 then 0.0.0.0
    clash on every port (a listening socket on one address holds the port
    on the wildcard), so every try fails: the error says how many were
    made, and no socket is left open.  (That a retry *succeeds* cannot be
    forced: the port bind(0) picks is random, so no other socket can hold
    it in advance.)"""
    resolving(monkeypatch, "clash.test", "127.0.0.1", "0.0.0.0")
    monkeypatch.setattr(streams, "SHARED_PORT_TRIES", 3)
    before = len(os.listdir("/proc/self/fd"))

    def main():
        with pytest.raises(OSError) as info:
            yield timeout_after(10, tcp_server("clash.test", 0, echo))
        return info.value

    error = run(main())
    assert error.errno == errno.EADDRINUSE
    assert str(error) == (
        "[Errno %d] %s (tcp_server('clash.test', 0): no port free on every address in 3 "
        "tries, which is 127.0.0.1, every IPv4 interface)"
        % (errno.EADDRINUSE, os.strerror(errno.EADDRINUSE)))
    assert len(os.listdir("/proc/self/fd")) == before
