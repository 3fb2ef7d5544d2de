"""Opening connections and datagram sockets as users of trio, asyncio and
curio expect: names, numeric addresses, address families, bad arguments.

Each case is one a peer's own tests try (trio's test_socket.py and
test_highlevel_open_tcp_*.py, asyncio's test_base_events.py and
test_sock_lowlevel.py, curio's test_network.py), over real sockets on the
loopback; nothing here needs the outside network.
"""

import errno
import os
import socket
import threading

import pytest

from net_helpers import (free_port, needs_ipv6, open_fds, tcp_pair,  # noqa: F401 (autouse fixture)
                         watchdog)
from task_helpers import parked, until
from trampoline import (TaskError, TaskTimeout, VirtualClock, accept, connect, join, read,
                        recvfrom, sendto, sleep, spawn, write)
from trampoline.net import listen
from trampoline.traps import cancel, current_kernel
from trampoline.streams import open_connection, tcp_server
from trampoline.udp import udp_socket

WATCHDOG_SECONDS = 5.0


# ------------------------------------------------ names where a number is needed

@pytest.mark.parametrize("make, who", [
    (lambda host: listen((host, 0)), "listen()"),
    (lambda host: udp_socket((host, 0)), "udp_socket()"),
], ids=["listen", "udp_socket"])
def test_a_host_name_to_bind_is_refused_naming_it_not_looked_up_on_the_loop(make, who):
    """``listen`` and ``udp_socket`` are plain calls made by tasks: a name
    they bound was looked up right there, by ``bind`` -- every task waited
    for DNS (seconds, for a slow or absent resolver), against the rule of
    both modules ("never blocks"; udp: "give numeric addresses").  trio's
    ``bind`` and asyncio's ``create_server`` resolve off the loop; here a
    name is a ``ValueError`` naming it and saying what resolves it, and
    numeric hosts are taken as before."""
    with pytest.raises(ValueError) as info:
        make("localhost")
    message = str(info.value)
    assert message.startswith("%s: 'localhost' is a host name, not a numeric address" % who)
    assert "yield getaddrinfo(host, port)" in message
    for host in ("127.0.0.1", "127.1", b"127.0.0.1", ""):
        make(host).close()


@needs_ipv6
@pytest.mark.parametrize("make, who", [
    (lambda host: listen((host, 0)), "listen()"),
    (lambda host: udp_socket((host, 0)), "udp_socket()"),
], ids=["listen", "udp_socket"])
def test_an_ipv6_address_in_brackets_is_told_to_lose_them(make, who):
    """``"[::1]"``, as in a URL, is no address to bind: the error says so
    and names the address without them (it was looked up as a name:
    "Name or service not known: cannot listen on [[::1]]:0")."""
    with pytest.raises(ValueError) as info:
        make("[::1]")
    assert str(info.value) == ("%s: the host '[::1]' is in brackets, as in a URL; give "
                               "the IPv6 address without them: '::1'" % who)
    sock = make("::1")
    with sock:
        assert sock.getsockname()[0] == "::1"


# ------------------------------------------------ an address of the other family

@needs_ipv6
@pytest.mark.parametrize("family, address, needed", [
    (socket.AF_INET, ("::1", 9), "an IPv6 address: it needs an AF_INET6 socket"),
    (socket.AF_INET6, ("127.0.0.1", 9), "an IPv4 address: it needs an AF_INET socket"),
], ids=["ipv6-from-ipv4", "ipv4-from-ipv6"])
def test_an_address_of_the_other_family_names_it_and_the_family_needed(run, family, address,
                                                                       needed):
    """``sendto`` and ``connect`` to an IPv6 address from an IPv4 socket
    (``udp_socket()`` is IPv4 unless told) or the other way round: the
    error (CPython's ``socket.gaierror``, same errno; PyPy's ``OSError``)
    names the call, the socket's family, the address and the family it
    needs -- "Address family for hostname not supported" alone named
    nothing, and the host is no host name."""
    udp = udp_socket(family=family)
    tcp = socket.socket(family)

    def main():
        errors = []
        for trap in (sendto(udp, b"x", address), connect(tcp, address)):
            with pytest.raises(OSError) as info:
                yield trap
            errors.append(info.value)
        return errors

    with udp, tcp:
        errors = run(main())
    for error, name in zip(errors, ("sendto", "connect")):
        if type(error) is socket.gaierror:                  # (CPython; PyPy: OSError)
            assert error.errno == socket.EAI_ADDRFAMILY
        assert str(error).endswith("(%s() of an %s socket to %r, %s)" % (
            name, socket.AddressFamily(family).name, address, needed))


# ------------------------------------------------ local_addr

def test_a_local_addr_that_cannot_be_bound_is_named_as_such(run):
    """``open_connection(..., local_addr=...)`` whose local port is taken
    (a listener holds it): the ``OSError`` (same class, errno) says it was
    binding ``local_addr`` that failed, as asyncio's "error while
    attempting to bind on address" does -- it said "Address already in use
    (connecting to 127.0.0.1:P)", as if the server's port were the one in
    use.  With several addresses, that one's reason says so too."""
    taken = listen(("127.0.0.1", 0))
    server = listen(("127.0.0.1", 0))
    local = taken.getsockname()
    port = server.getsockname()[1]

    def main():
        errors = []
        for host in ("127.0.0.1", None):    # one address; ::1 and 127.0.0.1
            with pytest.raises(OSError) as info:
                yield open_connection(host, port, local_addr=local)
            errors.append(info.value)
        return errors

    with taken, server:
        one, several = run(main())
    assert one.errno == errno.EADDRINUSE
    assert str(one) == ("[Errno 98] Address already in use: cannot bind to local_addr "
                        "127.0.0.1:%d (connecting to 127.0.0.1:%d)" % (local[1], port))
    assert several.errno == errno.EADDRINUSE
    assert "cannot bind to local_addr 127.0.0.1:%d" % local[1] in str(several)


# ------------------------------------------------ closed under a waiting task

def test_a_datagram_socket_closed_under_recvfrom_wakes_the_waiter_at_once(run):
    """Another task closes the ``udp_socket`` a task waits on in
    ``recvfrom``: the waiter gets ``OSError(EBADF)`` naming the descriptor
    at once, as trio's sockets do -- it waited for the kernel's sweep, up
    to a second (epoll forgets a closed descriptor silently).  A new
    socket given the same descriptor number is a socket of its own: a
    datagram sent to it is its reader's."""
    sock = udp_socket(("127.0.0.1", 0))
    fd = sock.fileno()

    def waiter():
        yield recvfrom(sock, 100)

    def main():
        task = yield spawn(waiter())
        yield parked(task)
        sock.close()
        yield until(lambda: task.done, limit=20)
        with pytest.raises(TaskError) as info:
            yield join(task)
        again = udp_socket(("127.0.0.1", 0))
        with again:
            reader = yield spawn(recvfrom(again, 100))
            yield parked(reader)
            with udp_socket() as sender:
                yield sendto(sender, b"new", again.getsockname())
            data, _ = yield join(reader)
        return info.value.__cause__, data

    error, data = run(main())
    assert isinstance(error, OSError) and error.errno == errno.EBADF
    assert "fd %d was closed while" % fd in str(error)
    assert data == b"new"


def test_a_listener_closed_under_accept_wakes_the_waiter_at_once(run):
    """The same for ``listen()``'s socket and a task parked in ``accept``
    (trio's ``SocketListener.aclose``)."""
    listener = listen(("127.0.0.1", 0))

    def waiter():
        yield accept(listener)

    def main():
        task = yield spawn(waiter())
        yield parked(task)
        listener.close()
        yield until(lambda: task.done, limit=20)
        with pytest.raises(TaskError) as info:
            yield join(task)
        return info.value.__cause__

    error = run(main())
    assert isinstance(error, OSError) and error.errno == errno.EBADF


# ------------------------------------------------ ports the traps cannot take

@pytest.mark.parametrize("port, error", [("80", TypeError), (70000, OverflowError),
                                         (-1, OverflowError)])
def test_a_port_the_connect_and_sendto_traps_cannot_take_is_named(run, port, error):
    """A port read from a config file (``"80"``), or out of range: the
    ``connect`` and ``sendto`` traps raise the class Python raises, its
    message naming the trap, the port and the address -- it was
    "'str' object cannot be interpreted as an integer", naming neither
    (asyncio and trio resolve a string port, so there it works; our traps
    take numbers only, as the docs say, and now say so)."""
    udp = udp_socket()
    tcp = socket.socket()
    address = ("127.0.0.1", port)

    def main():
        messages = []
        for trap in (sendto(udp, b"x", address), connect(tcp, address)):
            with pytest.raises(error) as info:
                yield trap
            messages.append(str(info.value))
        return messages

    with udp, tcp:
        messages = run(main())
    assert messages == ["%s(): the port must be an int from 0 to 65535, got %r, in the "
                        "address %r" % (name, port, address) for name in ("sendto", "connect")]


def both_refuse(host, error):
    """What ``open_connection(host, 80)`` and ``tcp_server(host, 0, ...)``
    raise, each an ``error``: their messages, in that order."""
    def handler(stream, address):
        yield stream.close()

    messages = []
    for call in (open_connection(host, 80), tcp_server(host, 0, handler)):
        with pytest.raises(error) as info:
            yield call
        messages.append(str(info.value))
    return messages


def test_an_ipv6_address_in_brackets_is_no_host_to_open_connection_or_tcp_server(run):
    """``open_connection("[::1]", port)`` and ``tcp_server("[::1]", ...)``
    -- an address copied from a URL -- raise ``socket.gaierror`` saying to
    drop the brackets, before any look-up.  The resolver was asked for a
    host named "[::1]": "Name or service not known (looking up '[::1]')"."""
    assert run(both_refuse("[::1]", socket.gaierror)) == [
        "[Errno %d] not a host name: '[::1]' is in brackets, as in a URL; "
        "give the IPv6 address without them: '::1'" % socket.EAI_NONAME] * 2


# ------------------------------------------------ what already holds (kept so)

def test_a_resolver_that_hangs_holds_up_only_the_task_that_asked(run, monkeypatch):
    """A look-up the resolver sits on (a dead DNS server) runs in a worker
    thread: other tasks go on meanwhile, the asking task's ``timeout``
    ends its wait on time with no descriptor left behind, and a look-up
    that is answered connects.  (The stand-in resolver blocks on an event
    the test sets; a numeric look-up, tried first on the loop, goes to the
    real one.)"""
    real = socket.getaddrinfo
    answer = threading.Event()

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host == "slow.test" and not flags & socket.AI_NUMERICHOST:
            answer.wait(5)
            host = "127.0.0.1"
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server = listen(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def main():
        before = open_fds()
        hung = yield spawn(open_connection("slow.test", port, timeout=0.2))
        ticks = 0
        while not hung.done:                    # the loop runs while the look-up hangs
            ticks += 1
            yield sleep(0.01)
        with pytest.raises(TaskError) as info:
            yield join(hung)
        answered = yield spawn(open_connection("slow.test", port))
        answer.set()
        stream = yield join(answered)
        yield stream.close()
        return ticks, info.value.__cause__, open_fds() - before

    # (On a virtual clock that jumps whenever the loop waits: the 0.2 s and
    # the ticks' 10 ms pass only while the look-up hangs.  On the real one a
    # loaded machine ran the loop fewer than 5 times in 0.2 s.)
    with server:
        ticks, error, leaked = run(main(), clock=VirtualClock(autojump_threshold=0))
    assert ticks >= 5
    assert isinstance(error, TaskTimeout)
    assert leaked == 0


def test_icmp_port_unreachable_is_connection_refused_on_a_connected_udp_socket(run):
    """A datagram sent from a connected UDP socket to a port nobody has:
    the system's ICMP answer wakes the task waiting in ``recvfrom`` with
    ``ConnectionRefusedError`` (asyncio hands it to ``error_received``;
    trio raises it from ``recv``), and the socket stays usable: the next
    datagram from its peer is received."""
    peer = udp_socket(("127.0.0.1", 0))
    address = peer.getsockname()
    peer.close()                                # nobody there now
    sock = udp_socket(("127.0.0.1", 0))
    sock.connect(address)

    def main():
        reader = yield spawn(recvfrom(sock, 100))
        yield parked(reader)
        yield sendto(sock, b"anyone?", address)
        with pytest.raises(TaskError) as info:
            yield join(reader)
        with udp_socket(address) as back:       # someone there again
            yield sendto(back, b"here", sock.getsockname())
            data, sender = yield recvfrom(sock, 100)
        return info.value.__cause__, data, sender

    with sock:
        error, data, sender = run(main())
    assert isinstance(error, ConnectionRefusedError)
    assert (data, sender) == (b"here", address)


def test_a_resolver_that_answers_with_no_address_is_a_gaierror_naming_the_host(run, monkeypatch):
    """A resolver (an NSS module, a test's stand-in) that answers with an
    empty list: ``open_connection`` and ``tcp_server`` raise
    ``socket.gaierror`` naming the host, as asyncio's "getaddrinfo()
    returned empty list" and trio's "no results found" -- both died of
    ``IndexError: list index out of range``."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host == "empty.test" and not flags & socket.AI_NUMERICHOST:
            return []
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert run(both_refuse("empty.test", socket.gaierror)) == [
        "[Errno %d] the resolver gave no address (looking up 'empty.test')"
        % socket.EAI_NONAME] * 2


@pytest.mark.usefixtures("quick_sweep")
def test_a_socket_closed_under_its_reader_and_its_writer_fails_both_not_its_successor(run):
    """A plain socket (not ours: no word to the kernel on ``close``) is
    closed by a third task while one task waits to read it and another to
    write it (its send buffer full); a new socket takes the same
    descriptor number at once.  Both waiters get ``OSError(EBADF)`` naming
    the descriptor -- within the kernel's sweep, a second -- and the new
    socket's reader gets its own bytes, not the old socket's error."""
    ours, theirs = tcp_pair()
    ours.setblocking(False)
    try:
        while True:                             # fill the send buffer: a writer waits
            ours.send(b"x" * 65536)
    except BlockingIOError:
        pass
    fd = ours.fileno()

    def reader():
        yield read(ours, 10)

    def writer():
        # (More than the buffers ever take: Linux may still be moving the
        # bytes sent above to the peer's buffer, and make room again.)
        yield write(ours, b"y" * (64 << 20))

    def main():
        tasks = [(yield spawn(reader())), (yield spawn(writer()))]
        yield parked(*tasks)
        ours.close()
        new = socket.socket()                   # (the lowest free number: fd)
        new.connect(listener.getsockname())
        peer, _ = listener.accept()
        with new, peer:
            errors = []
            for task in tasks:
                with pytest.raises(TaskError) as info:
                    yield join(task)
                errors.append(info.value.__cause__)
            peer.send(b"fresh")
            data = yield read(new, 10)
            return errors, new.fileno(), data

    with theirs, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        errors, new_fd, data = run(main())
    assert new_fd == fd
    for error in errors:
        assert isinstance(error, OSError) and error.errno == errno.EBADF
        assert "fd %d " % fd in str(error) and "closed" in str(error)
    assert data == b"fresh"


@pytest.mark.usefixtures("quick_sweep")
def test_a_descriptor_number_never_open_is_named_on_every_backend(run):
    """``read`` of a bare descriptor number nobody has open (a stale one,
    kept after its file was closed): an ``OSError(EBADF)`` naming it, as
    poll and select say -- epoll's refusal to watch it was the bare
    "[Errno 9] Bad file descriptor"."""
    fd = 1000
    while True:                             # (a number not open here)
        try:
            os.fstat(fd)
        except OSError:
            break
        fd += 1

    def main():
        with pytest.raises(OSError) as info:
            yield read(fd, 10)
        return info.value

    error = run(main())
    assert error.errno == errno.EBADF
    assert "fd %d " % fd in str(error) and "closed" in str(error)


@pytest.mark.parametrize("host", [["127.0.0.1", "::1"], 1234])
def test_a_host_that_is_no_string_is_named(run, host):
    """A list of hosts (asyncio's ``create_server`` takes one) or a number,
    given to ``open_connection`` or ``tcp_server``: ``TypeError`` naming
    it.  It was "getaddrinfo() argument 1 must be string or None"."""
    assert run(both_refuse(host, TypeError)) == [
        "getaddrinfo(): the host must be a str (a name or an address), bytes or None, got %r"
        % (host,)] * 2


def test_a_datagram_too_big_says_how_big_it_is_and_may_be(run):
    """``sendto`` of more than one UDP datagram holds: the same
    ``OSError(EMSGSIZE)``, its message naming the size, the address and
    the limit -- it was "Message too long" alone.  (65,507 bytes still
    go.)"""
    sock = udp_socket(("127.0.0.1", 0))
    address = sock.getsockname()

    def main():
        sent = yield sendto(sock, b"x" * 65507, address)
        with pytest.raises(OSError) as info:
            yield sendto(sock, b"x" * 65508, address)
        return sent, info.value

    with sock:
        sent, error = run(main())
    assert sent == 65507
    assert error.errno == errno.EMSGSIZE
    assert str(error).endswith("(sendto() of 65508 bytes to %r: one UDP datagram over IPv4 "
                               "holds at most 65,507 bytes)" % (address,))


def test_a_refused_bytes_host_reads_as_its_str_twin(run):
    """``open_connection(b"127.0.0.1", port)`` (bytes, as trio and asyncio
    take it) refused: the same message as for ``"127.0.0.1"`` -- it added
    "; tried 127.0.0.1", as if a name had been resolved to it."""
    unused = free_port()
    port = unused.getsockname()[1]

    def main():
        messages = []
        for host in ("127.0.0.1", b"127.0.0.1"):
            with pytest.raises(ConnectionRefusedError) as info:
                yield open_connection(host, port)
            messages.append(str(info.value))
        return messages

    with unused:
        text, raw = run(main())
    assert raw == text == "[Errno 111] Connection refused (connecting to 127.0.0.1:%d)" % port


# ------------------------------------------------ the kernel's edges, reached

def test_the_kernel_knows_of_no_write_on_a_closed_file_or_an_unknown_descriptor(run):
    """``Kernel.writes`` (what ``Stream.write_eof`` asks): False for a file
    object already closed (its ``fileno()`` raises) and for a descriptor
    number the kernel does not watch; True while a write waits for room."""
    ours, theirs = tcp_pair()
    ours.setblocking(False)
    try:
        while True:                             # fill the send buffer: a writer waits
            ours.send(b"x" * 65536)
    except BlockingIOError:
        pass
    closed = open(os.devnull, "rb")
    closed.close()

    def writer():
        yield write(ours, b"y" * 65536)

    def main():
        kernel = yield current_kernel()
        before = kernel.writes(ours)
        task = yield spawn(writer())
        yield parked(task)
        during = kernel.writes(ours), kernel.writes(ours.fileno())
        yield cancel(task)
        return before, during, kernel.writes(closed), kernel.writes(theirs.fileno() + 1000)

    with ours, theirs:
        assert run(main()) == (False, (True, True), False, False)


@pytest.mark.usefixtures("quick_sweep")
def test_a_connect_whose_socket_is_closed_under_it_names_the_trap(run):
    """A connect still under way (to a listener whose queue is full: the
    SYN goes unanswered) whose socket another task closes: on the poll and
    select backends the closed descriptor reports an event, the connect
    looks at the socket's error and gets EBADF -- named, as for a read; on
    epoll the kernel's sweep finds it.  Either way the task is not left
    waiting."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued = []
        for _ in range(8):                      # fill the accept queue
            extra = socket.socket()
            extra.setblocking(False)
            queued.append(extra)
            try:
                extra.connect(listener.getsockname())
            except BlockingIOError:
                pass
        sock = socket.socket()

        def connector():
            yield connect(sock, listener.getsockname())

        def main():
            task = yield spawn(connector())
            yield parked(task)
            if task.done:                       # (the queue had room after all)
                return None
            sock.close()
            with pytest.raises(TaskError) as info:
                yield join(task)
            return info.value.__cause__

        try:
            error = run(main())
        finally:
            sock.close()
            for extra in queued:
                extra.close()
    if error is None:
        pytest.skip("the listener's queue took the connection: nothing was under way")
    assert isinstance(error, OSError) and error.errno == errno.EBADF, error
    assert "connect" in str(error), error


@needs_ipv6
@pytest.mark.parametrize("host, family", [(b"::1", socket.AF_INET),
                                          ("<broadcast>", socket.AF_INET6)])
def test_a_sendto_of_the_other_family_by_bytes_or_broadcast_host(run, host, family):
    """The family-mismatch message decodes a bytes host (``b"::1"``) to
    name it; ``"<broadcast>"`` from an IPv6 socket is no address of the
    other family (IPv6 has no broadcast), so the system's own error goes
    out as it is: "address family mismatched"."""
    def main():
        with udp_socket(("127.0.0.1" if family == socket.AF_INET else "::1", 0)) as sock:
            with pytest.raises(OSError) as info:
                yield sendto(sock, b"x", (host, 9))
            return info.value

    error = run(main())
    if family == socket.AF_INET:
        assert "::1" in str(error) and "an AF_INET socket" in str(error), error
    else:
        assert "AF_INET6 socket" not in str(error), error
