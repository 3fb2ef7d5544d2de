"""UDP over loopback: udp_socket with the recvfrom and sendto traps.

Round trips, message boundaries, truncation, oversize datagrams, IPv6,
unbound sockets, and udp_socket's errors.
"""

import errno
import socket

import pytest

from net_helpers import needs_ipv6, watchdog  # noqa: F401 (autouse fixture)
from trampoline import join, read, recvfrom, select, sendto, spawn
from trampoline.udp import udp_socket


def upper_echo(sock, count):
    """Task: answer ``count`` datagrams with their upper-case copy."""
    for _ in range(count):
        data, address = yield recvfrom(sock, 65535)
        yield sendto(sock, data.upper(), address)


def test_round_trips(run):
    server = udp_socket(("127.0.0.1", 0))
    client = udp_socket()
    messages = [b"one", b"two", b"x" * 60000]

    def main():
        with server, client:
            echo = yield spawn(upper_echo(server, len(messages)))
            replies = []
            for message in messages:
                sent = yield sendto(client, message, server.getsockname())
                assert sent == len(message)
                data, address = yield recvfrom(client, 65535)
                assert address == server.getsockname()
                replies.append(data)
            yield join(echo)
            return replies

    assert run(main()) == [m.upper() for m in messages]


def test_message_boundaries_and_truncation(run):
    """Three datagrams sent before any is read come back as three; a read
    smaller than a datagram truncates it (and drops the rest of it)."""
    a = udp_socket(("127.0.0.1", 0))
    b = udp_socket(("127.0.0.1", 0))

    def main():
        with a, b:
            for message in (b"first", b"second", b"third"):
                yield sendto(a, message, b.getsockname())
            got = []
            for nbytes in (100, 3, 100):
                data, _ = yield recvfrom(b, nbytes)
                got.append(data)
            return got

    assert run(main()) == [b"first", b"sec", b"third"]


def test_a_select_over_two_udp_reads_leaves_the_losers_datagrams_whole(run):
    """``select`` over ``read`` on two connected UDP sockets readable in the
    same poll: the loser's datagrams are all still there, each whole, for
    ``recvfrom`` with its sender and for ``read``.  (The kernel read the
    loser's first datagram as its socket turned up ready and kept it as
    stream bytes: ``recvfrom`` then returned None for ever, and ``read``
    would have merged datagrams.)"""
    a, b = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    sender = udp_socket(("127.0.0.1", 0))

    def main():
        with a, b, sender:
            a.connect(sender.getsockname())
            b.connect(sender.getsockname())
            for sock, tag in ((a, b"a"), (b, b"b")):
                for number in (b"1", b"2", b"3"):
                    yield sendto(sender, tag + number, sock.getsockname())
            index, data = yield select(read(a, 100), read(b, 100))
            loser = (b, a)[index]
            rest = [(yield recvfrom(loser, 100)), (yield read(loser, 100)),
                    (yield recvfrom(loser, 100))]
            return index, data, rest, sender.getsockname()

    index, data, rest, sent_from = run(main())
    tag = (b"a", b"b")[1 - index]
    assert data == (b"a1", b"b1")[index]
    assert rest == [(tag + b"1", sent_from), tag + b"2", (tag + b"3", sent_from)]


def test_broadcast_needs_the_option_and_then_reaches_the_listener(run):
    """``broadcast=True`` (asyncio's ``allow_broadcast``): a datagram to the
    loopback network's broadcast address reaches a socket listening on
    every interface; without it, that ``sendto`` is refused."""
    listener = udp_socket(("0.0.0.0", 0))
    plain, broadcaster = udp_socket(), udp_socket(broadcast=True)
    target = ("127.255.255.255", listener.getsockname()[1])

    def main():
        with listener, plain, broadcaster:
            try:
                yield sendto(plain, b"refused", target)
            except PermissionError:
                refused = True
            else:
                refused = False
            yield sendto(broadcaster, b"to all", target)
            data, _ = yield recvfrom(listener, 100)
            return refused, data

    assert run(main()) == (True, b"to all")


def test_oversize_datagram(run):
    sock = udp_socket(("127.0.0.1", 0))

    def main():
        with sock:
            with pytest.raises(OSError) as info:
                yield sendto(sock, b"x" * 70000, sock.getsockname())
            return info.value.errno

    assert run(main()) == errno.EMSGSIZE


@needs_ipv6
def test_ipv6(run):
    server = udp_socket(("::1", 0))
    client = udp_socket(family=socket.AF_INET6)     # unbound until it sends

    def main():
        with server, client:
            assert server.family == client.family == socket.AF_INET6
            yield spawn(upper_echo(server, 1))
            yield sendto(client, b"six", server.getsockname())
            data, _ = yield recvfrom(client, 100)
            return data

    assert run(main()) == b"SIX"


def test_udp_socket_options_and_errors():
    with udp_socket() as sock:
        assert sock.family == socket.AF_INET and sock.type == socket.SOCK_DGRAM
        assert sock.gettimeout() == 0.0             # non-blocking
    with udp_socket(("127.0.0.1", 0), family=socket.AF_INET) as sock:
        assert sock.getsockname()[0] == "127.0.0.1"
    with pytest.raises(TypeError, match=r"needs a \(host, port\) address"):
        udp_socket("127.0.0.1:53")
    with udp_socket(("127.0.0.1", 0)) as taken:
        with pytest.raises(OSError) as info:
            udp_socket(taken.getsockname())
        assert info.value.errno == errno.EADDRINUSE
    with udp_socket(("127.0.0.1", 0), reuse_port=True) as first:
        with udp_socket(first.getsockname(), reuse_port=True) as second:
            assert second.getsockname() == first.getsockname()


def test_udp_socket_bad_host_names_the_address():
    """A host that is not a string (None, as asyncio's local_addr=(None, 0)
    might suggest), or an IPv4 address with four fields: TypeError naming
    udp_socket and the address (socket's own said only "str, bytes or
    bytearray expected, not NoneType")."""
    with pytest.raises(TypeError, match=r"udp_socket\(\): cannot bind to \(None, 0\)"):
        udp_socket((None, 0))
    with pytest.raises(TypeError, match=r"udp_socket\(\): cannot bind to \('127.0.0.1', 0, 0, 0\)"):
        udp_socket(("127.0.0.1", 0, 0, 0))
