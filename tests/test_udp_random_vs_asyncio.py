"""UDP -- ``udp_socket`` and the ``recvfrom``/``sendto`` traps, ``connect``
and ``write`` of a connected datagram socket -- against asyncio's datagram
endpoints and plain blocking sockets, on seeded random programs; and what
the exploration behind them found.

Each program has four sockets on 127.0.0.1 (or ::1, a quarter of them,
where the machine has it): E0 and E1 unbound to any peer, E2 connected to
E0, E3 connected to the port D, where a plain socket is bound or not as
the program goes ("toggle": nothing listens there now, so a datagram from
E3 comes back as ICMP "port unreachable").  Its steps send datagrams --
0 bytes to just over the most one holds (65,507 over IPv4, 65,527 over
IPv6: ``EMSGSIZE``), in bursts before any is read -- from any socket to
any of them, to D, to its peer without an address (``write``), or to an
address of the other family; and "sync": every socket reads until a
sentinel datagram sent to it last, so each has read all that came.  A
socket's trace is what each send returned or raised (class, errno), and
each datagram it read (its bytes' CRC and length, its sender) or error.

* Trampoline, one task doing it all, reading with ``recvfrom(sock,
  nbytes)`` of random sizes (1 byte to more than any datagram: the rest
  of a longer datagram is dropped) -- every other read of a connected
  socket a ``read``, which gives ``b""`` for an empty datagram and raises
  its refusal too -- must give the trace of plain blocking
  sockets doing the same calls -- the connected socket's refusal seen,
  once, by whichever call comes next, a ``sendto`` or a ``recvfrom``.
* The same with a reader task per socket parked in ``recvfrom``, and
  readers cancelled at random -- parked, or woken with a datagram there --
  and replaced: no datagram is lost or read twice.
* asyncio's endpoints (``create_datagram_endpoint``, ``local_addr`` and
  ``remote_addr``; ``transport.sendto(data, addr)``, ``sendto(data)`` for
  the peer; ``datagram_received`` and ``error_received``) run live and
  must give the blocking sockets' trace (an error handed to
  ``error_received`` during a ``sendto`` counts as that send's), except
  where their rules differ from trampoline's documented ones, which
  those steps leave out:

  - a connected endpoint's ``sendto`` to another address than its peer
    raises ``ValueError``; a connected socket's ``sendto`` sends there,
    as ``socket.sendto`` does (the ``sendto`` trap's docstring);
  - before Python 3.13 ``transport.sendto(b"")`` sends nothing; an empty
    datagram is a datagram (README's trap table).

  Errors are raised in the task that made the call, where asyncio hands
  them to ``error_received`` (README: "like ``read``").

The exploration behind this file ran these three comparisons on 3,000
programs on CPython 3.11, 1,000 on 3.8 and 800 on each of 3.9, 3.10,
3.12, 3.13 and PyPy (of the cancels, about one in fourteen hit a reader
woken with its datagram there, not yet run); and 1,500 programs through
asyncio's ``sock_sendto``, ``sock_recvfrom``, ``sock_recv`` and
``sock_sendall`` (3.11+; 800 on 3.12 and 3.13), which agree with the
blocking sockets, truncation and refusals included: no difference
beyond those rules.  (A second reader of one socket -- ``ResourceBusy``,
README's one reader per descriptor -- and a socket closed under its
reader -- ``EBADF`` at once -- are trampoline's own rules, pinned in
test_udp_peer_cases.py; the reader closed under as its datagram woke it,
at the end here.)  What it did find:
``sendto(sock, data, None)`` -- asyncio's ``transport.sendto(data)``,
sending to a connected endpoint's peer -- raised socket's "AF_INET
address must be tuple, not NoneType", which did not say that ``write`` is
how a connected socket sends to its peer; and a connected socket's
``sendto`` to another address, failing with the refusal of an earlier
datagram to its peer, named only its own address, as if that had refused
it (the tests at the end).
"""

import asyncio
import random
import socket
import sys
import zlib

import pytest

from net_helpers import has_ipv6, watchdog  # noqa: F401 (watchdog: autouse fixture)
from task_helpers import until
from trampoline import (Event, TaskError, cancel, connect, join, read, recvfrom, run, sendto,
                        sleep, spawn, write)
from trampoline.udp import udp_socket

SENTINEL = b"\xffsentinel"
NAMES = ("E0", "E1", "E2", "E3")
SIZES = (0, 1, 7, 100, 1400, 9000, 65507, 65508, 65527, 65528, 70000)
IPV6 = has_ipv6()
# Each connected socket's peer: every other of its reads is a ``read``
# (``recv``), whose datagram is from there.
CONNECTED = {}


def program(seed, cancels=False):
    """The seeded program: its family, whether D listens at first, its
    steps, and each socket's ``nbytes`` for its successive reads."""
    rng = random.Random(seed)
    family = socket.AF_INET6 if IPV6 and rng.random() < 0.25 else socket.AF_INET
    steps = []
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.65:
            source = rng.choice(NAMES)
            to = rng.choice(["E0", "E1", "E2", "E3", "D", "D", "other", "peer", "peer"])
            if rng.random() < 0.8:
                size = rng.choice([0, 1, 5, 30, 200, 1400])
            else:
                size = rng.choice(SIZES)
            steps.append(("send", source, to, size))
        elif r < 0.8:
            steps.append(("toggle",))
        else:
            steps.append(("sync",))
        if cancels and rng.random() < 0.4:
            steps.append(("cancel", rng.choice(NAMES), rng.random() < 0.5))
    steps.append(("sync",))
    nbytes = {n: [rng.choice([1, 3, 10, 65535, 65535, 1 << 20]) for _ in range(40)]
              for n in NAMES}
    return family, rng.random() < 0.5, steps, nbytes


def payload(step, size):
    return (b"%d:" % step + b"x" * size)[:size]


def error(exc):
    return ("error", type(exc).__name__, getattr(exc, "errno", None))


class World:
    """What every run shares: D (a plain socket, bound or not), the helper
    that sends E0 and E1 their sentinels, the names of the addresses, and
    what D received."""

    def __init__(self, family, d_listens):
        self.family = family
        self.host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.d = socket.socket(family, socket.SOCK_DGRAM)
        self.d.bind((self.host, 0))
        self.d.setblocking(False)
        self.d_address = self.d.getsockname()       # (4 fields over IPv6: asyncio's peer)
        self.d_listens = d_listens
        self.helper = socket.socket(family, socket.SOCK_DGRAM)
        self.helper.bind((self.host, 0))
        self.d_trace = []

    def start(self, addresses):
        """The sockets are made (their ports taken): name them; D stops
        listening now if it starts so (before, a socket could get its port)."""
        self.addresses = addresses
        self.names = {a[:2]: n for n, a in addresses.items()}
        self.names[self.d_address[:2]] = "D"
        self.names[self.helper.getsockname()[:2]] = "H"
        CONNECTED.update(E2=addresses["E0"], E3=self.d_address)
        if not self.d_listens:
            self.d.close()
            self.d = None

    def name(self, address):
        return self.names.get(address[:2], address)

    def to(self, source, to):
        """The address a step sends to; None: the connected socket's peer."""
        if to in NAMES:
            return self.addresses[to]
        if to == "D":
            return self.d_address[:2]
        if to == "other":
            return ("127.0.0.1", 9) if self.family == socket.AF_INET6 else ("::1", 9)
        return {"E2": None, "E3": None}.get(source, self.addresses["E1"])

    def toggle(self):
        if self.d is None:
            self.d = socket.socket(self.family, socket.SOCK_DGRAM)
            self.d.bind(self.d_address)
            self.d.setblocking(False)
        else:
            self.read_d()
            self.d.close()
            self.d = None

    def read_d(self):
        while self.d is not None:
            try:
                data, address = self.d.recvfrom(70000)
            except BlockingIOError:
                return
            self.d_trace.append((zlib.crc32(data), len(data), self.name(address)))

    def sentinel_to_e3(self):
        """E3 takes datagrams from D's port only: bind it for a moment if
        nothing listens there."""
        if self.d is not None:
            self.d.sendto(SENTINEL, self.addresses["E3"])
            return
        with socket.socket(self.family, socket.SOCK_DGRAM) as d:
            d.bind(self.d_address)
            d.sendto(SENTINEL, self.addresses["E3"])

    def is_sentinel(self, data, address, nbytes=1 << 20):
        return (data == SENTINEL[:nbytes] and self.name(address) in ("H", "E0", "D"))

    def close(self, trace):
        trace["D"] = self.d_trace
        if self.d is not None:
            self.d.close()
        self.helper.close()
        return trace


def plain_run(prog):
    """The oracle: blocking sockets, one call at a time."""
    family, d_listens, steps, nbytes = prog
    world = World(family, d_listens)
    socks = {}
    for n in NAMES:
        socks[n] = socket.socket(family, socket.SOCK_DGRAM)
        socks[n].bind((world.host, 0))
    world.start({n: s.getsockname() for n, s in socks.items()})
    socks["E2"].connect(world.addresses["E0"])
    socks["E3"].connect(world.d_address)
    trace = {n: [] for n in NAMES}
    reads = dict.fromkeys(NAMES, 0)
    for i, step in enumerate(steps):
        if step[0] == "send":
            _, source, to, size = step
            address = world.to(source, to)
            try:
                if address is None:
                    sent = socks[source].send(payload(i, size))
                else:
                    sent = socks[source].sendto(payload(i, size), address)
                trace[source].append(("sent", i, sent))
            except OSError as exc:
                trace[source].append(("send", i) + error(exc))
        elif step[0] == "toggle":
            world.toggle()
        elif step[0] == "sync":
            world.read_d()
            for n in NAMES:
                if n == "E2":
                    socks["E0"].sendto(SENTINEL, world.addresses["E2"])
                elif n == "E3":
                    world.sentinel_to_e3()
                else:
                    world.helper.sendto(SENTINEL, world.addresses[n])
                while True:
                    size = nbytes[n][reads[n] % 40]
                    reads[n] += 1
                    try:
                        if n in CONNECTED and reads[n] % 2:
                            data, address = socks[n].recv(min(size, 65535)), CONNECTED[n]
                        else:
                            data, address = socks[n].recvfrom(min(size, 65535))
                    except OSError as exc:
                        trace[n].append(error(exc))
                        continue
                    if world.is_sentinel(data, address, size):
                        break
                    trace[n].append((zlib.crc32(data), len(data), world.name(address)))
    for sock in socks.values():
        sock.close()
    return world.close(trace)


def trampoline_run(prog, readers=False):
    """The program on trampoline: one task; or (``readers``) a task per
    socket parked in ``recvfrom``, cancelled and replaced where the
    program says."""
    family, d_listens, steps, nbytes = prog
    world = World(family, d_listens)
    socks = {n: udp_socket((world.host, 0)) for n in NAMES}
    world.start({n: s.getsockname() for n, s in socks.items()})
    trace = {n: [] for n in NAMES}
    reads = dict.fromkeys(NAMES, 0)
    synced = {}
    tasks = {}

    def read_one(n):
        """One ``recvfrom``: True for the sentinel."""
        size = nbytes[n][reads[n] % 40]
        try:
            if n in CONNECTED and (reads[n] + 1) % 2:
                data, address = (yield read(socks[n], size)), CONNECTED[n]
            else:
                data, address = yield recvfrom(socks[n], size)
        except OSError as exc:
            reads[n] += 1
            assert "() of the datagram socket" in str(exc), exc
            trace[n].append(error(exc))
            return False
        reads[n] += 1               # (a cancelled recvfrom read nothing: the next takes its size)
        if world.is_sentinel(data, address, size):
            return True
        trace[n].append((zlib.crc32(data), len(data), world.name(address)))
        return False

    def reader(n):
        while True:
            if (yield read_one(n)):
                synced[n].set()

    def main():
        yield connect(socks["E2"], world.addresses["E0"])
        yield connect(socks["E3"], world.d_address)
        if readers:
            for n in NAMES:
                tasks[n] = yield spawn(reader(n))
        for i, step in enumerate(steps):
            if step[0] == "send":
                _, source, to, size = step
                address = world.to(source, to)
                try:
                    if address is None:
                        yield write(socks[source], payload(i, size))
                        sent = size
                    else:
                        sent = yield sendto(socks[source], payload(i, size), address)
                    trace[source].append(("sent", i, sent))
                except OSError as exc:
                    trace[source].append(("send", i) + error(exc))
            elif step[0] == "toggle":
                world.toggle()
            elif step[0] == "cancel":
                _, n, let_it_wake = step
                if let_it_wake:
                    yield sleep(0)      # (the poller may wake it: its datagram is there)
                yield cancel(tasks[n])
                tasks[n] = yield spawn(reader(n))
            elif step[0] == "sync":
                world.read_d()
                for n in NAMES:
                    synced[n] = Event()
                    if n == "E2":
                        yield sendto(socks["E0"], SENTINEL, world.addresses["E2"])
                    elif n == "E3":
                        world.sentinel_to_e3()
                    else:
                        world.helper.sendto(SENTINEL, world.addresses[n])
                    if not readers:
                        while not (yield read_one(n)):
                            pass
                for n in NAMES if readers else ():
                    yield synced[n].wait()
        for task in tasks.values():
            yield cancel(task)

    try:
        run(main())
    finally:
        for sock in socks.values():
            sock.close()
    return world.close(trace)


class Endpoint(asyncio.DatagramProtocol):
    def __init__(self, name, world, trace, sending):
        self.name, self.world, self.trace, self.sending = name, world, trace, sending
        self.synced = None

    def datagram_received(self, data, address):
        if self.world.is_sentinel(data, address):
            self.synced.set_result(None)
        else:
            self.trace[self.name].append((zlib.crc32(data), len(data), self.world.name(address)))

    def error_received(self, exc):
        if self.sending.get("socket") == self.name:
            self.sending["error"] = exc
        else:
            self.trace[self.name].append(error(exc))


def asyncio_run(prog):
    """The program on asyncio's datagram endpoints, run live."""
    family, d_listens, steps, _ = prog
    world = World(family, d_listens)
    trace = {n: [] for n in NAMES}
    sending = {}

    async def main():
        loop = asyncio.get_running_loop()
        transports, endpoints = {}, {}

        async def endpoint(n, **where):
            transports[n], endpoints[n] = await loop.create_datagram_endpoint(
                lambda: Endpoint(n, world, trace, sending), local_addr=(world.host, 0), **where)

        await endpoint("E0")
        await endpoint("E1")
        await endpoint("E2", remote_addr=transports["E0"].get_extra_info("sockname")[:2])
        await endpoint("E3", remote_addr=world.d_address[:2])
        world.start({n: t.get_extra_info("sockname") for n, t in transports.items()})
        for i, step in enumerate(steps):
            if step[0] == "send":
                _, source, to, size = step
                sending.update(socket=source, error=None)
                try:
                    transports[source].sendto(payload(i, size), world.to(source, to))
                except OSError as exc:
                    sending["error"] = exc
                sending["socket"] = None
                trace[source].append(("sent", i, size) if sending["error"] is None
                                     else ("send", i) + error(sending["error"]))
            elif step[0] == "toggle":
                world.toggle()
            elif step[0] == "sync":
                world.read_d()
                for n in NAMES:
                    endpoints[n].synced = loop.create_future()
                    if n == "E2":
                        transports["E0"].sendto(SENTINEL, world.addresses["E2"])
                    elif n == "E3":
                        world.sentinel_to_e3()
                    else:
                        world.helper.sendto(SENTINEL, world.addresses[n])
                for n in NAMES:
                    await asyncio.wait_for(endpoints[n].synced, 5)
        for transport in transports.values():
            transport.close()

    asyncio.run(main())
    return world.close(trace)


def asyncio_steps(steps):
    """The steps asyncio's own rules (the module's docstring) leave out."""
    return [("nop",) if step[0] == "send" and (
        step[1] in ("E2", "E3") and step[2] != "peer"
        or step[3] == 0 and sys.version_info < (3, 13)) else step for step in steps]


def full_reads(prog):
    """``prog`` with every read of 65,535 bytes (asyncio's endpoints read
    whole datagrams)."""
    family, d_listens, steps, _ = prog
    return family, d_listens, steps, {n: [65535] * 40 for n in NAMES}


@pytest.mark.parametrize("first", range(0, 120, 30))
def test_recvfrom_and_sendto_do_what_blocking_sockets_do(first):
    """Seeded programs on one trampoline task give the trace blocking
    sockets give: the datagrams read (cut to ``nbytes``), from whom, in
    order; each send's result or error; the connected socket's refusal
    once, at its next call; ``EMSGSIZE`` just over the limit; the other
    family's address refused."""
    for seed in range(first, first + 30):
        prog = program(seed)
        assert trampoline_run(prog) == plain_run(prog), (seed, prog[2])


@pytest.mark.parametrize("first", range(0, 120, 30))
def test_a_cancelled_recvfrom_loses_no_datagram(first):
    """The same programs, each socket read by its own task parked in
    ``recvfrom``, readers cancelled and replaced at random -- parked, or
    woken by their datagram's arrival and not yet run: the trace is the
    blocking sockets' still (curio's ``test_recvfrom_cancel``, at every
    point of the read's life)."""
    for seed in range(first, first + 30):
        prog = program(seed, cancels=True)
        plain = plain_run((prog[0], prog[1], [s if s[0] != "cancel" else ("nop",)
                                              for s in prog[2]], prog[3]))
        assert trampoline_run(prog, readers=True) == plain, (seed, prog[2])


@pytest.mark.parametrize("first", range(0, 120, 30))
def test_asyncio_endpoints_see_what_blocking_sockets_see(first):
    """The oracle checked: asyncio's endpoints, run live, give the
    blocking sockets' trace (full-size reads), less the steps where its
    rules differ from trampoline's documented ones (the module's
    docstring) -- so that trampoline, matching the blocking sockets,
    matches asyncio's endpoints."""
    for seed in range(first, first + 30):
        family, d_listens, steps, nbytes = program(seed)
        prog = full_reads((family, d_listens, asyncio_steps(steps), nbytes))
        assert asyncio_run(prog) == plain_run(prog), (seed, prog[2])
        assert trampoline_run(prog) == plain_run(prog), (seed, prog[2])


# ------------------------------------------------------------ what the exploration found

def test_sendto_with_no_address_says_that_write_sends_to_the_peer(run):
    """asyncio's ``transport.sendto(data)`` -- no address -- sends to a
    connected endpoint's peer; the ``sendto`` trap needs an address, as
    ``socket.sendto`` does, and a connected socket sends to its peer with
    ``write``.  ``sendto(sock, data, None)`` said socket's "AF_INET
    address must be tuple, not NoneType" (PyPy: "'NoneType' object is not
    iterable"), which did not say so; now its ``TypeError`` does."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    here = sock.getsockname()

    def main():
        with sock, peer:
            yield connect(sock, peer.getsockname())
            with pytest.raises(TypeError) as refused:
                yield sendto(sock, b"to the peer?", None)
            yield write(sock, b"to the peer")
            return str(refused.value), (yield recvfrom(peer, 100))

    message, got = run(main())
    assert message == ("sendto() needs an address, got None: write(sock, data) sends one "
                       "datagram to a connected socket's peer")
    assert got == (b"to the peer", here)


def test_a_connected_sockets_sendto_another_address_sends_there(run):
    """A connected socket's ``sendto`` to an address other than its peer's
    sends there, as ``socket.sendto`` (and so trio's and curio's) does --
    the ``sendto`` trap's docstring says so; asyncio's connected endpoint
    raises ``ValueError`` ("Invalid address: must be None or ...").  Its
    peer gets nothing of it, and the other one's reply is filtered out by
    the connection, as the system does."""
    sock, peer, other = (udp_socket(("127.0.0.1", 0)) for _ in range(3))
    here, there = sock.getsockname(), peer.getsockname()

    def main():
        with sock, peer, other:
            yield connect(sock, peer.getsockname())
            sent = yield sendto(sock, b"elsewhere", other.getsockname())
            data, address = yield recvfrom(other, 100)
            yield sendto(other, b"reply", address)          # (dropped: not the peer)
            yield sendto(peer, b"from the peer", sock.getsockname())
            return sent, data, address, (yield recvfrom(sock, 100))

    assert run(main()) == (9, b"elsewhere", here, (b"from the peer", there))


def test_a_refused_sendto_names_the_peer_that_refused_and_says_nothing_was_sent(run):
    """A connected socket whose datagram to its peer came back "port
    unreachable" fails its next send with ConnectionRefusedError, and
    the system sends nothing then -- a ``sendto`` to another address too
    (the programs above: the blocking sockets do the same; asyncio hands
    the error to ``error_received``).  The message named only this
    ``sendto``'s address, "an earlier datagram from this socket was
    refused (nobody listens where it went)", as if that address had
    refused it; it names the peer, and says this datagram was not sent."""
    sock, other = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))
    with udp_socket(("127.0.0.1", 0)) as gone:
        dead = gone.getsockname()

    def main():
        with sock, other:
            yield connect(sock, dead)
            yield write(sock, b"anyone?")
            with pytest.raises(ConnectionRefusedError) as refused:
                yield sendto(sock, b"lost", other.getsockname())
            yield sendto(sock, b"sent", other.getsockname())    # (the error was taken)
            return str(refused.value), (yield recvfrom(other, 100))[0]

    message, got = run(main())
    assert message.endswith(
        ": an earlier datagram from this socket to its peer 127.0.0.1:%d was refused -- "
        "nothing listens there; this one was not sent" % dead[1])
    assert got == b"sent"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="IP_RECVERR is Linux's")
def test_a_refused_sendto_of_an_unconnected_socket_names_no_peer(run):
    """An unconnected socket hears of refusals only with Linux's
    ``IP_RECVERR`` set (11; Python has no name for it): its refused
    ``sendto`` has no peer to name, and says what it did before."""
    sock = udp_socket(("127.0.0.1", 0))
    sock.setsockopt(socket.IPPROTO_IP, 11, 1)
    with udp_socket(("127.0.0.1", 0)) as gone:
        dead = gone.getsockname()

    def main():
        with sock:
            yield sendto(sock, b"anyone?", dead)
            with pytest.raises(ConnectionRefusedError) as refused:
                yield sendto(sock, b"again", dead)
            return str(refused.value)

    assert run(main()).endswith("(sendto() of 5 bytes to %r): an earlier datagram from this "
                                "socket was refused (nobody listens where it went)" % (dead,))


def test_a_reader_woken_by_its_datagram_and_closed_under_before_it_runs_gets_ebadf(run):
    """A socket closed by another task after the poller woke its reader
    (its datagram there) but before the reader ran: the reader gets
    ``OSError(EBADF)`` naming its trap and descriptor, as one closed under
    while parked does (trio's ``test_interrupted_by_close``: closed means
    closed) -- not the datagram, and not the bare "Bad file descriptor"."""
    sock, peer = udp_socket(("127.0.0.1", 0)), udp_socket(("127.0.0.1", 0))

    def main():
        with peer:
            reader = yield spawn(recvfrom(sock, 100))
            yield until(lambda: reader.state == "parked")
            yield sendto(peer, b"too late", sock.getsockname())
            yield until(lambda: reader.state == "ready")    # woken, not yet run
            fd = sock.fileno()
            sock.close()
            with pytest.raises(TaskError) as failed:
                yield join(reader)
            return fd, failed.value.__cause__

    fd, error = run(main())
    assert type(error) is OSError and error.errno == 9
    assert str(error) == "[Errno 9] <recvfrom fd=%d nbytes=100>: fd %d is closed" % (fd, fd)
