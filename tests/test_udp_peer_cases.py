"""Datagram sockets against the peers' own test cases.

Each test translates one case of cpython's test_asyncio (test_sock_lowlevel,
test_base_events, test_selector_events, test_events), uvloop's
tests/test_udp.py, trio's _tests/test_socket.py or curio's
tests/test_socket.py -- named in its docstring -- into trampoline's terms:
``udp_socket`` and the ``recvfrom``/``sendto`` traps (plus ``connect``,
``read`` and ``write`` for a connected datagram socket), over real sockets
on 127.0.0.1 (and ::1 where the machine has it).  Where trampoline's rule
deliberately differs from a peer's, the docstring says so and the test
asserts our rule.
"""

import errno
import os
import socket
import subprocess
import sys
import tempfile

import pytest

from net_helpers import EXAMPLES, needs_ipv6, watchdog  # noqa: F401 (autouse fixture)
from task_helpers import parked
from trampoline import (ResourceBusy, TaskTimeout, cancel, connect, join, listen, read, read_wait,
                        recvfrom, sendto, spawn, timeout_after, write)
from trampoline.udp import udp_socket


def echo_once(sock, count=1):
    """Task: send ``count`` datagrams straight back to their senders."""
    for _ in range(count):
        data, address = yield recvfrom(sock, 65535)
        yield sendto(sock, data, address)


def refused_address():
    """A loopback UDP address nobody listens on (bound, then closed)."""
    with udp_socket(("127.0.0.1", 0)) as gone:
        return gone.getsockname()


def full_datagram_queue(path):
    """An AF_UNIX datagram receiver bound at ``path`` and a non-blocking
    sender that has filled its queue: ``(receiver, sender, datagrams
    queued)``, each datagram ``b"q<n>"``."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender.setblocking(False)
    queued = 0
    try:
        while True:
            sender.sendto(b"q%d" % queued, path)
            queued += 1
    except BlockingIOError:
        pass
    return receiver, sender, queued


# ------------------------------------------------------------ cpython: test_sock_lowlevel

def test_recvfrom_gives_the_datagram_and_the_senders_address(run):
    """cpython test_sock_lowlevel test_recvfrom (_basetest_datagram_recvfrom):
    4096 bytes to a UDP echo server come back whole, from the server's
    address."""
    server, client = udp_socket(("127.0.0.1", 0)), udp_socket()
    server_address = server.getsockname()

    def main():
        with server, client:
            yield spawn(echo_once(server))
            sent = yield sendto(client, b"\x01" * 4096, server.getsockname())
            data, address = yield recvfrom(client, 4096)
            return sent, data, address

    assert run(main()) == (4096, b"\x01" * 4096, server_address)


def test_recvfrom_into_is_read_wait_then_the_sockets_own(run):
    """cpython test_sock_lowlevel test_recvfrom_into (sock_recvfrom_into,
    trio's recvfrom_into).  Our rule: there is no recvfrom_into trap; a
    task that wants the datagram in its own buffer waits with
    ``read_wait`` and calls the (non-blocking) socket's ``recvfrom_into``,
    which fills the buffer and gives the size and sender."""
    server, client = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    server_address = server.getsockname()

    def main():
        with server, client:
            yield spawn(echo_once(server, 2))
            results = []
            for size, nbytes in ((4096, 0), (8192, 4096)):
                yield sendto(client, b"\x01" * 4096, server.getsockname())
                buf = bytearray(size)
                yield read_wait(client)
                count, address = client.recvfrom_into(buf, nbytes)
                results.append((count, bytes(buf[:count]) == b"\x01" * 4096, address))
            return results

    assert run(main()) == [(4096, True, server_address)] * 2


def test_sendto_waits_while_the_receivers_queue_is_full(run):
    """cpython test_sock_lowlevel test_sendto_blocking (sock_sendto when
    ``sendto`` raises BlockingIOError) and test_selector_events'
    "sendto while the buffer is full": over loopback UDP, Linux drops
    rather than block, so this uses an AF_UNIX datagram pair, whose
    sender blocks while the receiver's queue is full.  ``sendto`` waits
    (parked, the kernel running other tasks) and sends the datagram whole
    once the receiver has read; nothing is lost or reordered."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rx")
        receiver, sender, queued = full_datagram_queue(path)

        def late():
            return (yield sendto(sender, b"late", path))

        def main():
            with receiver, sender:
                task = yield spawn(late())
                yield parked(task)
                got = []
                for _ in range(queued + 1):
                    data, _ = yield recvfrom(receiver, 100)
                    got.append(data)
                return (yield join(task)), got

        sent, got = run(main())
    assert sent == 4 and queued > 0
    assert got == [b"q%d" % n for n in range(queued)] + [b"late"]


# ------------------------------------------------------------ trio: test_socket.py

def test_send_recv_variants_sendto_counts_and_recvfrom_names_the_sender(run):
    """trio test_send_recv_variants: ``sendto`` returns the bytes sent,
    ``recvfrom`` the sender's own ``getsockname()``; on a connected
    datagram socket each ``write`` is one datagram and each ``read`` one
    datagram.  Our rule differs on a host name (trio resolves
    ``("localhost", port)``): ``sendto`` refuses it with ValueError, as
    the kernel never waits on DNS."""
    a, b = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))

    def main():
        with a, b:
            assert (yield sendto(a, b"xxx", b.getsockname())) == 3
            assert (yield recvfrom(b, 10)) == (b"xxx", a.getsockname())
            with pytest.raises(ValueError, match="'localhost' is a host name"):
                yield sendto(a, b"xxx", ("localhost", b.getsockname()[1]))
            yield connect(a, b.getsockname())
            yield write(a, b"xxx")
            yield write(a, b"yyy")
            return [(yield read(b, 10)), (yield read(b, 10))]

    assert run(main()) == [b"xxx", b"yyy"]


def test_interrupted_by_close_wakes_recvfrom_at_once(run):
    """trio test_interrupted_by_close (there a ClosedResourceError): a
    task waiting in ``recvfrom`` on a ``udp_socket`` that another task
    closes is woken at once with OSError(EBADF) naming the trap -- not
    after the kernel's one-second sweep -- and the kernel goes on."""
    sock = udp_socket(("127.0.0.1", 0))

    def waiter():
        with pytest.raises(OSError) as info:
            yield recvfrom(sock, 100)
        return info.value.errno, str(info.value)

    def main():
        task = yield spawn(waiter())
        yield parked(task)
        sock.close()
        return (yield timeout_after(0.5, join(task)))

    number, message = run(main())
    assert number == errno.EBADF and "recvfrom" in message


# ------------------------------------------------------------ curio: test_socket.py

def test_recvfrom_timeout_loses_no_later_datagram(run):
    """curio test_recvfrom_timeout: ``recvfrom`` under ``timeout_after``
    raises TaskTimeout when nothing comes; the socket is still good, and
    the next datagram reaches the next ``recvfrom``."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    peer_address = peer.getsockname()

    def main():
        with sock, peer:
            with pytest.raises(TaskTimeout):
                yield timeout_after(0.05, recvfrom(sock, 8192))
            yield sendto(peer, b"Msg1", sock.getsockname())
            return (yield recvfrom(sock, 8192))

    assert run(main()) == (b"Msg1", peer_address)


def test_recvfrom_cancel(run):
    """curio test_recvfrom_cancel: a task cancelled in ``recvfrom`` ends
    cancelled; the socket's next reader gets the next datagram."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    peer_address = peer.getsockname()

    def main():
        with sock, peer:
            task = yield spawn(recvfrom(sock, 8192))
            yield parked(task)
            yield cancel(task)
            yield sendto(peer, b"after", sock.getsockname())
            return task.cancelled, (yield recvfrom(sock, 8192))

    assert run(main()) == (True, (b"after", peer_address))


def test_two_readers_of_one_socket_the_second_is_busy(run):
    """curio's rule, which trampoline keeps (README: one reader per
    descriptor): a second task's ``recvfrom`` on a socket another task
    waits on raises ResourceBusy in that task; the first still gets the
    datagram."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    peer_address = peer.getsockname()

    def main():
        with sock, peer:
            first = yield spawn(recvfrom(sock, 100))
            yield parked(first)
            with pytest.raises(ResourceBusy):
                yield recvfrom(sock, 100)
            yield sendto(peer, b"one", sock.getsockname())
            return (yield join(first))

    assert run(main()) == (b"one", peer_address)


# ------------------------------------------------------------ asyncio / uvloop: endpoints

def test_connected_udp_socket_gets_connection_refused_and_goes_on(run):
    """test_selector_events test_sendto_error_received_connected and
    test_read_ready_err, test_events' connected datagram endpoint
    (remote_addr): a datagram from a *connected* UDP socket to a port
    where nobody listens comes back as an ICMP "port unreachable", and
    the socket's next ``recvfrom`` raises ConnectionRefusedError.
    asyncio hands it to ``error_received`` and keeps the transport;
    trampoline raises it in the task, as curio and trio do -- and the
    socket stays good: the next datagram from a server that has started
    there arrives."""
    target = refused_address()
    sock = udp_socket(("127.0.0.1", 0))

    def main():
        with sock:
            yield connect(sock, target)
            yield write(sock, b"anyone?")
            with pytest.raises(ConnectionRefusedError):
                yield timeout_after(5, recvfrom(sock, 100))
            with udp_socket(target) as server:      # now somebody listens there
                yield spawn(echo_once(server))
                yield write(sock, b"hello")
                return (yield timeout_after(5, recvfrom(sock, 100)))

    assert run(main()) == (b"hello", target)


def test_sendto_after_a_refused_datagram_names_the_address(run):
    """test_selector_events test_sendto_error_received_connected: the
    refusal can surface at the next ``sendto`` as well.  It says which
    address and what happened ("Connection refused" alone named
    neither)."""
    target = refused_address()
    sock = udp_socket(("127.0.0.1", 0))

    def main():
        with sock:
            yield connect(sock, target)
            yield sendto(sock, b"anyone?", target)
            yield read_wait(sock)                   # the ICMP error has come back
            with pytest.raises(ConnectionRefusedError) as info:
                yield sendto(sock, b"again", target)
            return str(info.value)

    message = run(main())
    assert "sendto() of 5 bytes to %r" % (target,) in message
    assert "refused" in message


def test_broadcast_without_the_option_names_the_address_and_the_option(run):
    """cpython test_base_events test_create_datagram_endpoint_sockopts
    (allow_broadcast) and uvloop test_udp_sendto_broadcast (the
    ``"<broadcast>"`` address is taken, not refused as a host name):
    without ``broadcast=True`` a ``sendto`` to a broadcast address is
    PermissionError -- naming the address and ``broadcast=True`` (it said
    only "Permission denied") -- and the socket goes on sending."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    sock_address = sock.getsockname()

    def main():
        with sock, peer:
            messages = []
            for target in (("<broadcast>", 9), ("127.255.255.255", 9)):
                with pytest.raises(PermissionError) as info:
                    yield sendto(sock, b"to all", target)
                messages.append(str(info.value))
            yield sendto(sock, b"still here", peer.getsockname())
            return messages, (yield recvfrom(peer, 100))

    messages, received = run(main())
    assert "('<broadcast>', 9)" in messages[0] and "('127.255.255.255', 9)" in messages[1]
    assert all("broadcast=True" in message for message in messages)
    assert received == (b"still here", sock_address)


def test_sendto_port_0_names_the_address(run):
    """cpython test_selector_events test_sendto_exception (an OSError of
    sendto): port 0 -- the echo example's ``--client --port 0`` once
    printed "[Errno 22] Invalid argument" -- names the address and says
    port 0 is the trouble."""
    sock = udp_socket()

    def main():
        with sock:
            with pytest.raises(OSError) as info:
                yield sendto(sock, b"x", ("127.0.0.1", 0))
            return info.value.errno, str(info.value)

    number, message = run(main())
    assert number == errno.EINVAL
    assert "('127.0.0.1', 0)" in message and "port 0" in message


def test_sendto_of_a_too_big_datagram_says_the_limit(run):
    """test_selector_events' sendto of a too-big datagram (EMSGSIZE to
    error_received): EMSGSIZE in the task, naming the size and the most
    one datagram holds; a datagram of exactly that most goes through."""
    sock = udp_socket(("127.0.0.1", 0))

    def main():
        with sock:
            with pytest.raises(OSError) as info:
                yield sendto(sock, b"x" * 65508, sock.getsockname())
            sent = yield sendto(sock, b"x" * 65507, sock.getsockname())
            data, _ = yield recvfrom(sock, 65535)
            return info.value.errno, str(info.value), sent, len(data)

    number, message, sent, size = run(main())
    assert number == errno.EMSGSIZE and "65508 bytes" in message and "65,507" in message
    assert sent == size == 65507


def test_an_empty_datagram_is_a_datagram(run):
    """cpython test_selector_events test_sendto_no_data (gh-issue: an
    empty ``sendto`` sends an empty datagram): ``sendto`` of b"" returns
    0, and ``recvfrom`` gets b"" with the sender -- not an end of
    stream."""
    a, b = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    a_address = a.getsockname()

    def main():
        with a, b:
            sent = yield sendto(a, b"", b.getsockname())
            yield sendto(a, b"next", b.getsockname())
            return sent, (yield recvfrom(b, 10)), (yield recvfrom(b, 10))

    assert run(main()) == (0, (b"", a_address), (b"next", a_address))


def test_sendto_bad_arguments_are_named(run):
    """uvloop test_udp_sendto_dns ("DNS lookup", "socket family
    mismatch") and test_selector_events test_sendto_str: a host name is
    ValueError, an IPv6 address from an IPv4 socket names both families,
    a str payload is TypeError, a port out of range names the port --
    each raised in the task, which goes on."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    sock_address = sock.getsockname()

    def main():
        with sock, peer:
            with pytest.raises(ValueError, match="'example.com' is a host name"):
                yield sendto(sock, b"aaaa", ("example.com", 80))
            with pytest.raises(OSError, match="AF_INET socket to \\('::1', 80\\)"):
                yield sendto(sock, b"aaaa", ("::1", 80))
            with pytest.raises(TypeError, match="got str 'aaaa'"):
                yield sendto(sock, "aaaa", peer.getsockname())
            with pytest.raises(OverflowError, match="got 70000"):
                yield sendto(sock, b"aaaa", ("127.0.0.1", 70000))
            yield sendto(sock, b"ok", peer.getsockname())
            return (yield recvfrom(peer, 10))

    assert run(main()) == (b"ok", sock_address)


def test_send_after_close_names_the_socket(run):
    """uvloop test_send_after_close (a closed transport's sendto is
    ignored there): our rule is the socket's -- ``sendto`` on a closed
    socket raises OSError(EBADF) saying it is closed."""
    sock = udp_socket(("127.0.0.1", 0))
    sock.close()

    def main():
        with pytest.raises(OSError) as info:
            yield sendto(sock, b"aaaa", ("127.0.0.1", 80))
        return info.value.errno, str(info.value)

    number, message = run(main())
    assert number == errno.EBADF and "closed" in message


def test_udp_socket_address_in_use_names_it_and_reuse_port_shares():
    """test_base_events test_create_datagram_endpoint_cant_bind ("address
    already in use") and test_create_datagram_endpoint_sockopts /
    uvloop's reuse_port: a second bind of a taken port is EADDRINUSE
    naming the address; with ``reuse_port`` on both, both bind."""
    with udp_socket(("127.0.0.1", 0)) as taken:
        with pytest.raises(OSError) as info:
            udp_socket(taken.getsockname())
        assert info.value.errno == errno.EADDRINUSE
        assert "127.0.0.1:%d" % taken.getsockname()[1] in str(info.value)
    with udp_socket(("127.0.0.1", 0), reuse_port=True) as first:
        with udp_socket(first.getsockname(), reuse_port=True) as second:
            assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
            assert second.getsockname() == first.getsockname()


def test_udp_socket_bad_local_addresses_are_named():
    """test_base_events test_create_datagram_endpoint_addr_error,
    _no_matching_family, _wrong_sock (uvloop's too): a local address that
    is no tuple is TypeError, a port out of range or a host name
    ValueError (our rule: asyncio resolves "localhost", we never block on
    DNS), an address of the other family than ``family`` an error naming
    the address -- each naming the value."""
    with pytest.raises(TypeError, match="'localhost'"):
        udp_socket("localhost")
    with pytest.raises(ValueError, match="got 70000"):
        udp_socket(("127.0.0.1", 70000))
    with pytest.raises(ValueError, match="'localhost' is a host name"):
        udp_socket(("localhost", 0))
    with pytest.raises(OSError, match=r"\[::1\]:0"):
        udp_socket(("::1", 0), family=socket.AF_INET)


@needs_ipv6
def test_ipv6_endpoints_echo_and_recvfrom_gives_the_four_tuple(run):
    """uvloop test_create_datagram_endpoint_addrs_ipv6 and
    test_create_datagram_endpoint_ipv6_family (an unbound AF_INET6
    socket): an echo over ::1; the sender's address is IPv6's 4-tuple,
    which ``sendto`` takes back as it is."""
    server, client = udp_socket(("::1", 0)), udp_socket(family=socket.AF_INET6)
    server_address = server.getsockname()

    def main():
        with server, client:
            yield spawn(echo_once(server))
            yield sendto(client, b"resp", server.getsockname())
            return (yield recvfrom(client, 100))

    data, address = run(main())
    assert data == b"resp" and address == server_address and len(address) == 4


def test_unix_datagram_sockets_name_their_senders(run):
    """uvloop test_create_datagram_endpoint_sock_unix_domain and
    test_socketpair (cpython test_create_datagram_endpoint_existing_sock_unix):
    ``recvfrom`` and ``sendto`` work on AF_UNIX datagram sockets too; the
    sender's path is its address, an unbound sender's is None (Linux),
    and over a connected pair each ``write`` is one datagram."""
    with tempfile.TemporaryDirectory() as tmp:
        one = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        two = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        one.bind(os.path.join(tmp, "one"))
        two.bind(os.path.join(tmp, "two"))
        left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

        def main():
            with one, two, left, right:
                yield sendto(two, b"STOP", one.getsockname())
                named = yield recvfrom(one, 100)
                yield write(left, b"hello, ")
                yield write(left, b"socketpair")
                unnamed = yield recvfrom(right, 100)
                return named, unnamed, (yield read(right, 100))

        named, unnamed, second = run(main())
    assert named == (b"STOP", os.path.join(tmp, "two"))
    assert unnamed[0] == b"hello, " and unnamed[1] in (None, "")
    assert second == b"socketpair"


def test_unix_datagram_sendto_a_path_nobody_binds_names_it(run, tmp_path):
    """uvloop test_create_datagram_endpoint_sock_unix_domain, its error
    side: ``sendto`` to the path of a Unix datagram socket since closed
    is ConnectionRefusedError naming the path and saying nobody is bound
    there (not that an earlier datagram was refused, as over UDP)."""
    path = str(tmp_path / "gone")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
        gone.bind(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def main():
        with sock:
            with pytest.raises(ConnectionRefusedError) as info:
                yield sendto(sock, b"anyone?", path)
            return str(info.value)

    message = run(main())
    assert repr(path) in message and "no socket is bound to that path" in message


@pytest.mark.parametrize("trap", [recvfrom, read])
def test_connection_refused_names_the_socket_and_its_peer(run, trap):
    """test_selector_events test_read_ready_err / test_events'
    connected datagram endpoint, whose ``error_received`` gets the
    ConnectionRefusedError: in the task, its message names the trap, the
    socket and the address it is connected to (it said only "[Errno 111]
    Connection refused", naming nothing)."""
    target = refused_address()
    sock = udp_socket(("127.0.0.1", 0))
    sock_address = sock.getsockname()

    def main():
        with sock:
            yield connect(sock, target)
            yield write(sock, b"anyone?")
            with pytest.raises(ConnectionRefusedError) as info:
                yield timeout_after(5, trap(sock, 100))
            return str(info.value)

    message = run(main())
    assert "%s() of the datagram socket 127.0.0.1:%d, connected to 127.0.0.1:%d" % (
        trap.__name__, sock_address[1], target[1]) in message


def test_udp_socket_a_family_that_does_not_fit_is_named():
    """test_base_events test_create_datagram_endpoint_no_matching_family
    and _socket_err (socket() itself failing): an address of the other
    family than ``family`` says which family to give (it said "Address
    family for hostname not supported", naming neither), and a family the
    system cannot make is named (it said only "Address family not
    supported by protocol")."""
    with pytest.raises(OSError, match=r"\[::1\]:0, an IPv6 address, with family=socket.AF_INET: "
                                      r"give family=socket.AF_INET6"):
        udp_socket(("::1", 0), family=socket.AF_INET)
    with pytest.raises(OSError, match=r"127.0.0.1:0, an IPv4 address, with "
                                      r"family=socket.AF_INET6: give family=socket.AF_INET"):
        udp_socket(("127.0.0.1", 0), family=socket.AF_INET6)
    with pytest.raises(OSError, match="cannot make a socket of family 12345"):
        udp_socket(family=12345)


def test_the_echo_client_says_at_once_that_no_server_listens():
    """The connected-socket ECONNREFUSED case, as a user of
    examples/udp_echo.py meets it: ``--client`` to a port where nothing
    listens waited the whole ``--timeout`` on each line and then said "no
    reply within 5 s".  Its socket is connected now, so the refusal
    comes back at once: "no server at 127.0.0.1:PORT", exit status 1."""
    port = refused_address()[1]
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "udp_echo.py"), "--client",
                          "--port", str(port), "--timeout", "5"],
                         input="anyone?\n", capture_output=True, text=True, timeout=20)
    assert out.returncode == 1, out.stderr
    assert out.stderr == "udp echo client: no server at 127.0.0.1:%d (connection refused)\n" % port
    assert out.stdout == ""


def test_recvfrom_of_a_tcp_listener_says_to_accept(run):
    """uvloop test_create_datagram_endpoint_wrong_sock ("A UDP Socket was
    expected"): ``recvfrom`` of a listening TCP socket -- it waits, as
    ``read`` does, until the listener turns readable with a connection --
    raises OSError(ENOTCONN) naming the trap and the socket and saying to
    accept() (it said "[Errno 107] Transport endpoint is not connected"
    alone); the listener still works."""
    listener = listen(("127.0.0.1", 0))
    where = "127.0.0.1:%d" % listener.getsockname()[1]
    client = socket.create_connection(listener.getsockname())

    def main():
        with pytest.raises(OSError) as info:
            yield recvfrom(listener, 100)
        return info.value.errno, str(info.value)

    with listener, client:
        number, message = run(main())
        listener.accept()[0].close()
    assert number == errno.ENOTCONN
    assert "(recvfrom() of the listening socket %s): accept() its connections instead" % where \
        in message


def test_a_blocking_socket_is_made_non_blocking_not_refused(run):
    """cpython test_sock_lowlevel _basetest_sock_client_ops: asyncio in
    debug mode refuses a blocking socket (ValueError).  Our rule: the
    traps take a plain blocking ``socket.socket`` and make it
    non-blocking, so that no call of theirs can stall the other tasks."""
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    a_address = a.getsockname()

    def main():
        with a, b:
            reader = yield spawn(recvfrom(b, 100))
            yield parked(reader)
            yield sendto(a, b"plain", b.getsockname())
            return (yield join(reader)), a.gettimeout(), b.gettimeout()

    assert run(main()) == ((b"plain", a_address), 0.0, 0.0)


def test_a_cancelled_sendto_sends_nothing(run, tmp_path):
    """cpython test_sock_lowlevel's racing cases (a cancelled
    sock_sendall): a ``sendto`` parked on a full AF_UNIX datagram queue
    and cancelled ends cancelled and sends nothing; the receiver gets the
    queued datagrams, then the next one sent, whole."""
    path = str(tmp_path / "rx")
    receiver, sender, queued = full_datagram_queue(path)

    def main():
        with receiver, sender:
            task = yield spawn(sendto(sender, b"cancelled", path))
            yield parked(task)
            yield cancel(task)
            got = []
            for _ in range(queued):
                data, _ = yield recvfrom(receiver, 100)
                got.append(data)
            yield sendto(sender, b"next", path)
            got.append((yield recvfrom(receiver, 100))[0])
            return task.cancelled, got

    cancelled, got = run(main())
    assert cancelled
    assert got == [b"q%d" % n for n in range(queued)] + [b"next"]


def test_a_too_big_write_of_a_connected_udp_socket_says_the_limit(run):
    """test_selector_events' sendto of a too-big datagram, through a
    connected socket (asyncio's ``transport.sendto(data)`` with
    remote_addr): ``write`` raises EMSGSIZE naming the size, the socket,
    its peer and the most one datagram holds, as ``sendto`` does (it said
    "[Errno 90] Message too long" alone); nothing was sent, and the
    socket goes on."""
    a, b = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    a_address, b_address = a.getsockname(), b.getsockname()

    def main():
        with a, b:
            yield connect(a, b.getsockname())
            with pytest.raises(OSError) as info:
                yield write(a, b"x" * 70000)
            yield write(a, b"small")
            return info.value, (yield recvfrom(b, 65535))

    error, received = run(main())
    assert error.errno == errno.EMSGSIZE and error.bytes_written == 0
    assert ("(write() of 70000 bytes, one datagram, from the datagram socket 127.0.0.1:%d to "
            "127.0.0.1:%d: one UDP datagram over IPv4 holds at most 65,507 bytes)"
            % (a_address[1], b_address[1])) in str(error)
    assert received == (b"small", a_address)


def test_the_readmes_trap_table_has_a_row_for_each_public_trap():
    """The datagram traps as README.rst documents them: its trap table
    had no row for ``recvfrom`` or ``sendto`` (what they return, raise and
    wait for), though both are public traps; every trap the kernel knows
    and ``trampoline`` exports has its row now."""
    import trampoline
    from trampoline.kernel import TRAPS
    with open(os.path.join(os.path.dirname(EXAMPLES), "README.rst"), encoding="utf-8") as f:
        readme = f.read()
    missing = [trap.__name__ for trap in TRAPS if trap.__name__ in trampoline.__all__
               and "   * - ``%s(" % trap.__name__ not in readme]
    assert missing == []


def test_recvfrom_of_a_huge_size_takes_the_datagram_or_names_the_size(run):
    """trio's and curio's ``recvfrom(bufsize)`` pass the size to the
    socket, which allocates it first.  ``recvfrom(sock, 1 << 50)`` over
    UDP was a MemoryError with no message: no UDP datagram is longer than
    65,535 bytes, so that is all it asks for now, and the datagram comes
    whole.  On a Unix datagram socket (no such bound) the MemoryError
    names the size, in the task; the datagram is still there for the next
    ``recvfrom``."""
    sock = udp_socket(("127.0.0.1", 0))
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

    def main():
        with sock, left, right:
            yield sendto(sock, b"x" * 65507, sock.getsockname())
            data, _ = yield recvfrom(sock, 1 << 50)
            yield write(left, b"kept")
            with pytest.raises(MemoryError) as info:
                yield recvfrom(right, 1 << 50)
            return len(data), str(info.value), (yield recvfrom(right, 100))[0]

    size, message, kept = run(main())
    assert size == 65507 and kept == b"kept"
    assert "recvfrom() of up to %d bytes" % (1 << 50) in message


def test_a_connected_socket_takes_only_its_peers_datagrams(run):
    """uvloop _test_create_datagram_endpoint_addrs (remote_addr): asyncio
    and uvloop refuse ``transport.sendto(data, other_address)`` on a
    connected transport with ValueError.  Our rule is the socket's, as in
    curio and trio: ``sendto`` to another address goes there (Linux);
    ``recvfrom`` gets only the peer's datagrams, a stranger's being
    dropped by the system."""
    a, peer, other = (udp_socket(("127.0.0.1", 0)) for _ in range(3))
    a_address, peer_address = a.getsockname(), peer.getsockname()

    def main():
        with a, peer, other:
            yield connect(a, peer.getsockname())
            yield sendto(a, b"elsewhere", other.getsockname())
            elsewhere = yield recvfrom(other, 100)
            yield sendto(other, b"stranger", a.getsockname())
            yield sendto(peer, b"peer", a.getsockname())
            return elsewhere, (yield recvfrom(a, 100))

    assert run(main()) == ((b"elsewhere", a_address), (b"peer", peer_address))


def test_what_only_a_datagram_socket_explains_is_left_as_it_is_on_other_sockets(run):
    """The words a connected datagram socket's errors get (the refused
    earlier datagram, the most one datagram holds) are not for other
    sockets: a TCP socket whose connect was refused, read, and a
    too-big message on a Unix SOCK_SEQPACKET pair, keep their own."""
    with socket.socket() as gone:                   # a loopback TCP port nobody listens on
        gone.bind(("127.0.0.1", 0))
        target = gone.getsockname()
    tcp = socket.socket()
    tcp.setblocking(False)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def main():
        with tcp, a, b:
            assert tcp.connect_ex(target) in (errno.EINPROGRESS, errno.ECONNREFUSED)
            with pytest.raises(ConnectionRefusedError) as refused:
                yield timeout_after(5, read(tcp, 100))
            with pytest.raises(OSError) as too_big:
                yield timeout_after(5, write(a, b"x" * (64 << 20)))
            return str(refused.value), too_big.value

    refused, too_big = run(main())
    assert "datagram" not in refused
    assert too_big.errno == errno.EMSGSIZE and "datagram" not in str(too_big)
