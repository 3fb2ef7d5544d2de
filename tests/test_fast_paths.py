"""The guarantees the kernel's fast paths must keep (issue 14).

The kernel may take shortcuts on its hot path: finish a ``read`` inline when
the poller reports its descriptor readable (and give the bytes back -- a
pushback the next read sees first -- if the task is cancelled before it
runs), send at once in ``write``, handle both without the trap table, check
trap arguments only when a fast check fails.  None of that may change what a
program sees.  These tests say what it sees, through the public API over
real sockets, and hold on the kernel before the fast paths and after:

1. a reader cancelled (or timed out) after the poll found its data but
   before it ran loses no byte and gets none twice, and still gets its
   cancellation -- whoever reads next, with ``read``, ``read_wait`` then a
   raw ``recv``, or a ``Stream``;
2. ``select`` over two sockets readable in the same poll takes the winner's
   bytes only: the loser's are all still there;
3. bytes given back after such a cancellation come first, whatever reads
   next, and make ``read_wait`` return even though the socket itself is
   empty; they never leak into a new socket that reuses the number;
4. a second writer is refused (``ResourceBusy``) while a first write is
   parked midway, so the bytes never interleave, and writes after it;
5. a socket closed under a parked reader or writer fails it with
   ``OSError(EBADF)``; the kernel and the other tasks go on;
6. traced runs (a ``task_trap`` instrument, the text trace, wrapped
   handlers) give the same results as untraced ones, and the tracer sees
   every ``read`` and ``write`` trap the program yields;
7. a bad ``read`` or ``write`` argument is refused, naming the culprit, in
   the task that made the trap, wherever the check happens;
8. a ``Stream`` hands the kernel the same ``read`` trap, and the same
   ``write`` trap for small ``bytes``, call after call -- but never one a
   task still holds: reads and writes made before either is yielded keep
   their own size and bytes, a write cut short leaves nothing to the next,
   a socket closed under the stream is EBADF at once, and a big write's
   bytes are not kept.

How the race of (1) is built, deterministically: two readers park in
``read`` on two socket pairs; then one task step sends to both peers, so
the next poll reports both readable and wakes both.  Whichever runs first --
the poller's order, which a test cannot choose -- cancels the other, which
was woken (its data found) but has not run: its state is still "ready",
and the tests assert so.  Both orders are the same test, so it does not
matter which one the poller picks.  Socket pairs (AF_UNIX) put sent bytes
in the peer's buffer before ``send`` returns, so "sent in one step" is
"readable at the next poll".

Data are numbered lines (``a0000001\\n``...), so a byte lost, doubled or
out of place breaks the comparison with what was sent.
"""

import errno
import functools
import hashlib
import io
import re
import selectors
import socket
import sys
from types import coroutine

import pytest

from trampoline import (Cancelled, Kernel, ResourceBusy, Stream, TaskError, TaskTimeout,
                        VirtualClock, cancel, current, ignore_after, join, read, read_wait, select,
                        sleep, spawn, timeout_after, write, write_wait)
from trampoline.kernel import BUDGET, POLL_EVERY, running_kernel
from trampoline.trace import TextTrace

import net_helpers
from drop_helpers import collect_harder

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test)


# ------------------------------------------------------------- helpers

@functools.lru_cache(maxsize=None)
def pattern(size, tag=b"a"):
    """``size`` bytes of numbered lines, each ``tag`` + 7 digits + newline."""
    return b"".join(b"%s%07d\n" % (tag, line) for line in range(size // 9 + 1))[:size]


@pytest.fixture
def socketpair():
    """``socketpair()`` makes a connected pair; all are closed after the test."""
    made = []

    def make():
        pair = socket.socketpair()
        made.extend(pair)
        return pair

    yield make
    for sock in made:
        sock.close()


@coroutine
def until(condition, turns=1000):
    """Let the other tasks run until ``condition()`` holds."""
    for _ in range(turns):
        if condition():
            return
        yield sleep(0)
    raise AssertionError("still not true after %d turns: %s" % (turns, condition))


def all_others_parked(me):
    """Is every task but ``me`` parked -- ``select``'s, which a test cannot
    name, included?"""
    others = [task for task in running_kernel().tasks() if task is not me]
    return len(others) > 1 and all(task.state == "parked" for task in others)


def until_parked(tasks):
    return until(lambda: all(task.state == "parked" for task in tasks))


@coroutine
def outcome_of(task):
    """``join`` ``task``: ("returned", value), or ("raised", its exception)."""
    try:
        return "returned", (yield join(task))
    except TaskError as error:
        return "raised", error.__cause__


class ReadyEvents:
    """An instrument noting which descriptors each poll reported ready, and
    when.  It has no ``task_trap`` hook, so the fast paths stay on."""

    def __init__(self, clock=None):
        self.clock = clock
        self.polls = []                 # [(time or None, {fd, ...}), ...]

    def io_ready(self, events):
        self.polls.append((self.clock() if self.clock else None, {fd for fd, _ in events}))

    def together(self, *fds):
        """Did one poll report all of ``fds`` ready?"""
        return any(set(fds) <= ready for _, ready in self.polls)


# Four ways to read a socket to its end.  Each returns every byte read.

@coroutine
def drain_with_read(sock, nbytes=4096):
    got = bytearray()
    while True:
        data = yield read(sock, nbytes)
        if not data:
            return bytes(got)
        got += data


def drain_with_read_wait_and_recv(sock, nbytes):
    """``read_wait``, then ``read`` once, then ``read_wait`` + raw ``recv``.

    The contract this follows: bytes a cancelled ``read`` had already taken
    from the socket are held by the kernel, and a raw ``sock.recv`` cannot
    see them -- only the next ``read`` (or ``Stream`` read) can.  So code
    that mixes the two after a cancellation reads once with ``read``, at
    least as many bytes as the cancelled read asked for (``nbytes``), and
    then may use raw ``recv``: no byte is lost, none comes twice, the order
    is kept.  ``read_wait`` must return while such bytes are held, even if
    the socket itself is empty."""
    yield read_wait(sock)
    got = bytearray((yield read(sock, nbytes)))
    if not got:
        return b""
    idle = 0
    while True:
        yield read_wait(sock)
        try:
            data = sock.recv(4096)
        except BlockingIOError:         # readable said the kernel, empty said the socket
            idle += 1
            assert idle < 100, "read_wait keeps returning, recv finds nothing: bytes held back?"
            continue
        if not data:
            return bytes(got)
        got += data


async def drain_with_stream(sock, size):
    """``Stream.readexactly`` what is expected, then ``read()`` to the end
    (which must find nothing more)."""
    stream = Stream(sock)
    head = await stream.readexactly(size) if size else b""
    return head + await stream.read()


async def drain_with_lines(sock, size):
    """``async for line in Stream(sock)``."""
    got = bytearray()
    async for line in Stream(sock):
        got += line
    return bytes(got)


DRAINS = {
    "read": lambda sock, nbytes, size: drain_with_read(sock),
    "read_wait+recv": lambda sock, nbytes, size: drain_with_read_wait_and_recv(sock, nbytes),
    "stream": lambda sock, nbytes, size: drain_with_stream(sock, size),
    "lines": lambda sock, nbytes, size: drain_with_lines(sock, size),
}


def race_two_readers(socks, peers, sent, nbytes, survivor=False, close_peers=True):
    """Two readers park in ``read(socks[i], nbytes)``; one step sends
    ``sent[i]`` to ``peers[i]``, so one poll wakes both; the first to run
    cancels the other, which has not run yet.  Returns ``(results, tasks,
    states)``: each reader's ``outcome_of`` -- ("returned", ("read", its
    data)) for the winner, ("raised", the Cancelled) for the loser or, with
    ``survivor``, ("returned", ("cancelled", everything it read after)) --
    the two tasks, and the loser's state when it was cancelled.  With
    ``close_peers`` the peers are closed once the race is decided: the end
    of both streams."""
    tasks, states = [], []

    def reader(index):
        try:
            data = yield read(socks[index], nbytes)
        except Cancelled:
            if not survivor:
                raise
            return "cancelled", (yield drain_with_read(socks[index]))
        other = tasks[1 - index]
        states.append(other.state)      # "ready": woken by the poll, not yet run
        yield cancel(other, wait=False)
        return "read", data

    for index in (0, 1):
        tasks.append((yield spawn(reader(index))))
    yield until_parked(tasks)
    for peer, data in zip(peers, sent):
        peer.sendall(data)              # both in this one step: one poll sees both
    yield until(lambda: states)
    if close_peers:
        for peer in peers:
            peer.close()
    results = []
    for task in tasks:
        results.append((yield outcome_of(task)))
    return results, tasks, states


# ====================================== 1. cancelled between wake and run

RACE_SIZES = [                          # (bytes sent, bytes the cancelled read asks for)
    (1, 1),
    (10, 4096),                         # the read takes everything: the socket is empty
    (3000, 1000),
    (70000, 65536),                     # more than one read, and than a Stream's chunk
    (150000, 4096),
]


@pytest.mark.parametrize("style", sorted(DRAINS))
@pytest.mark.parametrize("size, nbytes", RACE_SIZES)
def test_a_reader_cancelled_after_its_data_arrived_but_before_it_ran_loses_no_byte(
        run, socketpair, size, nbytes, style):
    """Whoever reads next, in whatever style, gets exactly what was sent."""
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    sent = [pattern(size, b"a"), pattern(size, b"b")]

    def main():
        results, tasks, states = yield race_two_readers([a, b], [peer_a, peer_b], sent, nbytes)
        rest = []
        for (how, value), sock, data in zip(results, (a, b), sent):
            first = value[1] if how == "returned" else b""
            rest.append((yield DRAINS[style](sock, nbytes, len(data) - len(first))))
        return results, [task.state for task in tasks], states, rest

    results, final, states, rest = run(main())
    assert states == ["ready"]                      # the race happened
    assert sorted(final) == ["cancelled", "done"]   # the loser got its cancellation
    for (how, value), data, left in zip(results, sent, rest):
        if how == "returned":
            assert value[0] == "read"
            assert value[1] + left == data          # the winner's, then the rest
        else:
            assert isinstance(value, Cancelled)
            assert left == data                     # every byte, once, in order


@pytest.mark.parametrize("size, nbytes", [(10, 4096), (150000, 4096), (70000, 65536)])
def test_a_reader_that_survives_its_cancellation_reads_its_bytes_next(run, socketpair, size,
                                                                        nbytes):
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    sent = [pattern(size, b"a"), pattern(size, b"b")]

    def main():
        results, tasks, states = yield race_two_readers(
            [a, b], [peer_a, peer_b], sent, nbytes, survivor=True)
        received = []
        for (how, (kind, data)), sock in zip(results, (a, b)):
            if kind == "read":          # the winner read one chunk: the rest is there
                data += yield drain_with_read(sock)
            received.append((kind, data))
        return received, states

    received, states = run(main())
    assert states == ["ready"]
    assert sorted(kind for kind, _ in received) == ["cancelled", "read"]
    assert [data for _, data in received] == sent


@pytest.mark.parametrize("trap", ["read", "sleep(0)"])
def test_a_trap_made_with_a_cancellation_pending_is_where_it_comes_and_loses_nothing(
        run, socketpair, trap):
    """A cancellation waiting for the task's next blocking trap (a task that
    cancelled itself with ``wait=False``) comes at a ``read`` the fast path
    parks, or at a ``sleep(0)`` it passes on: the read took nothing, so the
    bytes sent after are all there for the next one."""
    sock, peer = socketpair()
    sock.setblocking(False)

    def main():
        peer.sendall(b"first")
        first = yield read(sock, 100)           # (the poller knows the socket now)
        me = yield current()
        yield cancel(me, wait=False)            # pending: nothing blocked yet
        try:
            yield read(sock, 100) if trap == "read" else sleep(0)
        except Cancelled:
            caught = True
        else:
            caught = False
        peer.sendall(b"after")
        peer.close()
        return first, caught, (yield drain_with_read(sock))

    assert run(main()) == (b"first", True, b"after")


@pytest.mark.parametrize("who_reads_next", ["the timed-out task", "another task"])
@pytest.mark.parametrize("size, nbytes", [(10, 4096), (3000, 1000), (150000, 65536)])
def test_a_timeout_expiring_as_the_data_arrives_loses_nothing(run, socketpair, size, nbytes,
                                                              who_reads_next):
    """The deadline passes and the data comes in the same poll: the reader
    is woken with its data, and timed out before it runs.  (A virtual
    clock, moved past the deadline in the step that sends, puts both in one
    turn of the loop.)  It gets ``TaskTimeout``, and the bytes are all still
    there for the next read -- a read that delivered them would lose them,
    since the expired scope raises ``TaskTimeout`` anyway."""
    a, peer = socketpair()
    data = pattern(size)
    clock = VirtualClock()
    ready = ReadyEvents(clock)

    def reader():
        try:
            return "read", (yield timeout_after(5, read(a, nbytes)))
        except TaskTimeout:
            if who_reads_next != "the timed-out task":
                raise
        return "timed out", (yield drain_with_read(a))

    def main():
        task = yield spawn(reader())
        yield until_parked([task])
        peer.sendall(data)
        peer.close()
        clock.advance(10)               # past the deadline, in the same step
        how, value = yield outcome_of(task)     # (parks: no task is ready, so the
        if how == "raised":                     # next poll sees both at once)
            assert isinstance(value, TaskTimeout)
            value = "timed out", (yield drain_with_read(a))
        return value

    kind, got = run(main(), clock=clock, instruments=[ready])
    assert any(when == 10 and a.fileno() in fds for when, fds in ready.polls)   # one poll
    assert kind == "timed out"
    assert got == data                  # every byte, once, in order: then the end


def test_an_async_reader_cancelled_as_its_data_arrives_loses_nothing(run, socketpair):
    """The race of the tests above in ``async def`` code, read with a Stream."""
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    sent = [pattern(5000, b"a"), pattern(5000, b"b")]
    tasks, states = [], []

    async def reader(index):
        data = await read((a, b)[index], 100)
        other = tasks[1 - index]
        states.append(other.state)
        await cancel(other)             # waits until it has finished
        return data

    async def main():
        for index in (0, 1):
            tasks.append(await spawn(reader(index)))
        await until_parked(tasks)
        peer_a.sendall(sent[0])
        peer_b.sendall(sent[1])
        peer_a.close()
        peer_b.close()
        firsts = []
        for task in tasks:
            how, value = await outcome_of(task)
            firsts.append(value if how == "returned" else b"")
        rests = [await drain_with_stream(sock, 0) for sock in (a, b)]
        return firsts, rests, [task.state for task in tasks]

    firsts, rests, final = run(main())
    assert states == ["ready"]
    assert sorted(final) == ["cancelled", "done"]
    assert [first + rest for first, rest in zip(firsts, rests)] == sent
    assert sorted(len(first) for first in firsts) == [0, 100]


# ================================= 2. select over two readable sockets

@pytest.mark.parametrize("style", ["read", "stream"])
@pytest.mark.parametrize("nbytes", [1, 1000, 65536])
def test_select_over_two_sockets_readable_in_one_poll_takes_only_the_winners_bytes(
        run, socketpair, nbytes, style):
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    sent = [pattern(3000, b"a"), pattern(3000, b"b")]
    fds = a.fileno(), b.fileno()
    ready = ReadyEvents()

    def chooser():
        return (yield select(read(a, nbytes), read(b, nbytes)))

    def main():
        me = running_kernel().tasks()[0]
        task = yield spawn(chooser())
        yield until(lambda: all_others_parked(me))
        peer_a.sendall(sent[0])         # both in one step: one poll sees both
        peer_b.sendall(sent[1])
        index, value = yield join(task)
        peer_a.close()
        peer_b.close()
        rest = []
        for sock in (a, b):
            rest.append((yield DRAINS[style](sock, nbytes, 0)))
        return index, value, rest

    index, value, rest = run(main(), instruments=[ready])
    assert ready.together(*fds)         # both were readable in the same poll
    assert value + rest[index] == sent[index]
    assert rest[1 - index] == sent[1 - index]       # the loser's bytes, all of them


def test_select_over_two_streams_leaves_the_losers_line_in_its_stream(run, socketpair):
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    streams = [Stream(a), Stream(b)]
    lines = [[b"a first\n", b"a second\n"], [b"b first\n", b"b second\n"]]
    ready = ReadyEvents()

    async def main():
        me = running_kernel().tasks()[0]
        chooser = await spawn(select(streams[0].readline(), streams[1].readline()))
        await until(lambda: all_others_parked(me))
        peer_a.sendall(b"".join(lines[0]))
        peer_b.sendall(b"".join(lines[1]))
        index, line = await join(chooser)
        loser = streams[1 - index]
        async with timeout_after(2):    # (lost bytes would be waited for forever)
            return index, line, await loser.readline(), await loser.readline()

    index, line, first, second = run(main(), instruments=[ready])
    assert ready.together(a.fileno(), b.fileno())
    assert line == lines[index][0]
    assert [first, second] == lines[1 - index]


# ====================================== 3. pushback, whatever reads next

@pytest.mark.parametrize("style", ["read", "read_wait then read", "stream readexactly",
                                   "stream readline"])
def test_bytes_a_cancelled_read_took_come_first_and_read_wait_sees_them(run, socketpair, style):
    """The cancelled read asked for more than was sent: if the kernel read
    early, the socket itself is now empty -- the bytes are in the kernel's
    hands -- and the peer is still open, so nothing else makes it readable.
    Yet ``read_wait`` must return at once, and the next read of any style
    gets the bytes.  (Not a raw ``recv``: it cannot see what the kernel
    holds; see drain_with_read_wait_and_recv.)  Afterwards the socket is
    empty and the next read finds the end of the stream: nothing twice."""
    pairs = [socketpair(), socketpair()]
    socks, peers = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
    sent = [b"line one for a\nline two for a\n", b"line one for b\nline two for b\n"]

    def main():
        results, tasks, states = yield race_two_readers(socks, peers, sent, 65536,
                                                        close_peers=False)
        loser = [how for how, _ in results].index("raised")
        sock = socks[loser]
        # (Each read under a timeout: a kernel that lost the bytes would
        # wait for them forever, the peer being open.)
        if style == "read":
            got = yield timeout_after(2, read(sock, 65536))
        elif style == "read_wait then read":
            waited = yield ignore_after(2, read_wait(sock), default="still waiting")
            assert waited is None
            got = yield timeout_after(2, read(sock, 65536))
        elif style == "stream readexactly":
            got = yield timeout_after(2, Stream(sock).readexactly(len(sent[loser])))
        else:
            stream = Stream(sock)
            with timeout_after(2):
                got = (yield stream.readline()) + (yield stream.readline())
        try:
            sock.recv(100)
            left = "something"
        except BlockingIOError:
            left = "nothing"            # the peer is open: the socket is simply empty
        for peer in peers:
            peer.close()
        end = yield read(sock, 100)
        return states, got, sent[loser], left, end

    states, got, expected, left, end = run(main())
    assert states == ["ready"]
    assert got == expected
    assert left == "nothing"
    assert end == b""


def test_bytes_given_back_do_not_leak_into_a_new_socket_with_the_same_number(run):
    """A cancelled read's bytes belong to its socket: once that is closed,
    a new socket that gets the same descriptor number starts empty."""
    pairs = [socket.socketpair(), socket.socketpair()]
    made = [sock for pair in pairs for sock in pair]

    def main():
        socks, peers = [p[0] for p in pairs], [p[1] for p in pairs]
        results, tasks, states = yield race_two_readers(socks, peers, [b"old a", b"old b"], 65536)
        assert states == ["ready"]
        loser = socks[[how for how, _ in results].index("raised")]
        number = loser.fileno()
        for sock in made:
            sock.close()
        for _ in range(2):              # four numbers were freed: two pairs take them
            new, new_peer = socket.socketpair()
            made.extend((new, new_peer))
            if number in (new.fileno(), new_peer.fileno()):
                break
        assert number in (new.fileno(), new_peer.fileno())  # the number is reused
        if new_peer.fileno() == number:
            new, new_peer = new_peer, new
        new_peer.sendall(b"new")
        return (yield read(new, 65536))

    try:
        assert run(main()) == b"new"
    finally:
        for sock in made:
            sock.close()


# ================================== 4. a second writer, a partial send

def small_buffers(sock, peer):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)


@pytest.mark.parametrize("second_writer", ["write trap", "async Stream.write"])
def test_a_second_writer_is_refused_while_a_first_write_is_parked_midway(run, socketpair,
                                                                         second_writer):
    """The second writer comes when the buffer has room again (a raw
    ``recv`` on the peer) but the first has not run yet: a write that sent
    at once, without asking who is midway, would put its bytes into the
    middle of the first's."""
    a, peer = socketpair()
    small_buffers(a, peer)
    first, second = pattern(262144, b"A"), pattern(9000, b"B")

    def writer(data):
        yield write(a, data)
        return "written"

    async def stream_writer(data):
        await Stream(a).write(data)
        return "written"

    intruder = writer if second_writer == "write trap" else stream_writer

    def main():
        task = yield spawn(writer(first))
        yield until_parked([task])      # midway: the buffer is full
        head = peer.recv(65536)         # room again, before the first writer runs
        refused = yield outcome_of((yield spawn(intruder(second))))
        reader = yield spawn(drain_with_read(peer))
        finished = yield join(task)
        again = yield spawn(intruder(second))       # its turn now
        after = yield join(again)
        a.shutdown(socket.SHUT_WR)
        return refused, finished, after, head + (yield join(reader))

    (how, error), finished, after, received = run(main())
    assert how == "raised" and isinstance(error, ResourceBusy)
    assert finished == after == "written"
    assert received == first + second   # complete, not interleaved, in order


def test_a_writer_cancelled_midway_says_how_much_went_and_the_next_writers_bytes_follow(
        run, socketpair):
    a, peer = socketpair()
    small_buffers(a, peer)
    first, second = pattern(262144, b"A"), pattern(9000, b"B")
    written = []

    def writer():
        try:
            yield write(a, first)
        except Cancelled as exc:
            written.append(exc.bytes_written)
            raise

    def main():
        task = yield spawn(writer())
        yield until_parked([task])
        yield cancel(task)
        reader = yield spawn(drain_with_read(peer))
        yield write(a, second)
        a.shutdown(socket.SHUT_WR)
        return (yield join(reader))

    received = run(main())
    [sent] = written
    assert 0 < sent < len(first)
    assert received == first[:sent] + second


class Payload(bytearray):
    """Bytes a weak reference can follow (a bytes subclass cannot have one)."""


@pytest.mark.parametrize("end", ["written", "cancelled"])
def test_a_write_that_parked_midway_lets_go_of_its_data_once_it_is_over(run, socketpair, end):
    """A write that parked keeps its trap on the descriptor, for a second
    writer to see; once it has ended (written, or cancelled) the kernel
    holds its data no more -- it held the last such buffer, megabytes maybe,
    for as long as the connection lived (and on PyPy every 100 KiB echo
    paid for it in major collections)."""
    import weakref

    from trampoline import Event

    a, peer = socketpair()
    small_buffers(a, peer)
    payload = [Payload(pattern(262144, b"A"))]
    alive = weakref.ref(payload[0])
    ended, hold = Event(), Event()

    def writer(data):
        try:
            yield write(a, data)
        except Cancelled:
            pass
        del data
        ended.set()
        yield hold.wait()               # the connection lives on, its task too

    def main():
        task = yield spawn(writer(payload.pop()))   # (the writer's is the one reference)
        yield until_parked([task])      # midway: the buffer is full
        if end == "cancelled":
            yield cancel(task, wait=False)
        else:
            reader = yield spawn(drain_with_read(peer))
        yield ended.wait()
        collect_harder()
        freed = alive() is None
        hold.set()
        yield join(task)
        if end == "written":
            a.shutdown(socket.SHUT_WR)
            assert len((yield join(reader))) == 262144
        return freed

    assert run(main())


# ========================= 5. a descriptor closed under a parked task

def tick_until(task):
    """Let virtual time pass (the kernel looks for closed descriptors once
    in a while, on its clock) until ``task`` has ended."""
    while not task.done:
        yield sleep(0.25)


def echo(sock):
    while True:
        data = yield read(sock, 4096)
        if not data:
            return
        yield write(sock, data)


@pytest.mark.parametrize("style", ["generator", "async"])
@pytest.mark.parametrize("parked_in", ["read", "write"])
def test_a_socket_closed_under_a_parked_task_fails_it_with_ebadf_and_the_rest_go_on(
        run, socketpair, parked_in, style):
    victim_sock, peer = socketpair()
    x, y = socketpair()                 # made before the close: no number is reused
    small_buffers(victim_sock, peer)
    payload = pattern(262144)

    def victim():
        if parked_in == "read":
            yield read(victim_sock, 100)
        else:
            yield write(victim_sock, payload)

    async def async_victim():
        if parked_in == "read":
            await read(victim_sock, 100)
        else:
            await write(victim_sock, payload)

    def main():
        server = yield spawn(echo(y))
        task = yield spawn(victim() if style == "generator" else async_victim())
        yield until_parked([task, server])
        victim_sock.close()
        yield spawn(tick_until(task))
        how, error = yield timeout_after(60, outcome_of(task))
        yield write(x, b"still here")   # the kernel, and the echo task, go on
        echoed = yield read(x, 100)
        x.shutdown(socket.SHUT_WR)
        yield join(server)
        return how, error, echoed

    how, error, echoed = run(main(), clock=VirtualClock(autojump_threshold=0.01))
    assert how == "raised"
    assert isinstance(error, OSError) and error.errno == errno.EBADF, error
    assert echoed == b"still here"


@pytest.mark.usefixtures("quick_sweep")
def test_a_socket_closed_under_a_parked_reader_is_found_while_a_virtual_clock_stands_still(
        run, socketpair):
    """No timer at all, so a virtual clock never moves: the sweep for closed
    descriptors goes by real time, and still finds the closed socket."""
    sock, peer = socketpair()

    def victim():
        yield read(sock, 100)

    def main():
        task = yield spawn(victim())
        yield until_parked([task])
        for _ in range(2 * POLL_EVERY):
            yield sleep(0)              # a poll, and its sweep, come first
        sock.close()
        return (yield outcome_of(task))

    how, error = run(main(), clock=VirtualClock())
    assert how == "raised"
    assert isinstance(error, OSError) and error.errno == errno.EBADF, error


def test_a_reader_cancelled_with_the_end_of_the_stream_in_hand_sees_it_again(run, socketpair):
    """The end of the stream is not bytes to give back: the next read of
    that socket says it again; the other socket's bytes are all there."""
    (a, peer_a), (b, peer_b) = socketpair(), socketpair()
    tasks, states = [], []

    def reader(index):
        data = yield read((a, b)[index], 100)
        other = tasks[1 - index]
        states.append(other.state)
        yield cancel(other, wait=False)
        return data

    def main():
        for index in (0, 1):
            tasks.append((yield spawn(reader(index))))
        yield until_parked(tasks)
        peer_a.sendall(b"bytes for a")
        peer_b.close()                  # the end of b's stream, in the same poll
        yield until(lambda: states)
        results = []
        for task in tasks:
            results.append((yield outcome_of(task)))
        peer_a.close()
        return results, states, (yield drain_with_read(a)), (yield drain_with_read(b))

    results, states, rest_a, rest_b = run(main())
    assert states == ["ready"]
    first_a = results[0][1] if results[0][0] == "returned" else b""
    assert first_a + rest_a == b"bytes for a"
    assert results[1][0] == "raised" or results[1][1] == b""
    assert rest_b == b""


# ============================================ 6. traced and untraced

class TrapRecorder:
    """A ``task_trap`` instrument keeping every read and write trap it sees."""

    def __init__(self):
        self.seen = {}

    def task_trap(self, task, trap):
        if type(trap) in (read, write):
            self.seen[id(trap)] = trap


def digest(data):
    return len(data), hashlib.sha1(data).hexdigest()[:12]


def scenario(made):
    """An echo with several reads and writes, a cancel between wake and run,
    a timeout, a select.  Every read and write trap it yields goes into
    ``made``.  Returns what it saw, in terms that do not depend on which of
    two sockets ready in one poll the poller names first."""
    def rd(sock, nbytes):
        made.append(read(sock, nbytes))
        return made[-1]

    def wr(sock, data):
        made.append(write(sock, data))
        return made[-1]

    pairs = [socket.socketpair() for _ in range(6)]
    (x, y), (a, pa), (b, pb), (q, pq), (s1, p1), (s2, p2) = pairs
    seen = {}
    try:
        # An echo: a server, a client writing while another task reads back.
        def server():
            while True:
                data = yield rd(y, 4096)
                if not data:
                    y.shutdown(socket.SHUT_WR)
                    return
                yield wr(y, data)

        def client_reader():
            got = bytearray()
            while True:
                data = yield rd(x, 8192)
                if not data:
                    return bytes(got)
                got += data

        messages = [b"hello", pattern(1000, b"e"), pattern(100000, b"f"), b"bye"]
        yield spawn(server())
        reader = yield spawn(client_reader())
        for message in messages:
            yield wr(x, message)
        x.shutdown(socket.SHUT_WR)
        seen["echo"] = digest((yield join(reader)))

        # A cancel between wake and run (the race of test 1).
        tasks, states = [], []

        def racer(index):
            data = yield rd((a, b)[index], 10)
            states.append(tasks[1 - index].state)
            yield cancel(tasks[1 - index])
            return data

        for index in (0, 1):
            tasks.append((yield spawn(racer(index))))
        yield until_parked(tasks)
        pa.sendall(pattern(50, b"a"))
        pb.sendall(pattern(50, b"b"))
        pa.close()
        pb.close()
        totals = []
        for task, sock in zip(tasks, (a, b)):
            how, value = yield outcome_of(task)
            first = value if how == "returned" else b""
            rest = bytearray()
            while True:
                data = yield rd(sock, 7)
                if not data:
                    break
                rest += data
            totals.append((how, digest(first + rest)))
        seen["race"] = states, sorted(how for how, _ in totals), [total for _, total in totals]

        # A timeout, then the data after all.
        seen["timeout"] = yield ignore_after(0.02, rd(q, 10), default="timed out")
        pq.sendall(b"late")
        seen["after the timeout"] = yield rd(q, 10)

        # A select: only the second socket has data.
        p2.sendall(b"second")
        seen["select"] = yield select(rd(s1, 100), rd(s2, 100))
        p1.sendall(b"first")
        seen["select's loser"] = yield rd(s1, 100)
        return seen
    finally:
        for pair in pairs:
            for sock in pair:
                sock.close()


EXPECTED = {
    "echo": digest(b"hello" + pattern(1000, b"e") + pattern(100000, b"f") + b"bye"),
    "race": (["ready"], ["raised", "returned"], [digest(pattern(50, b"a")),
                                                 digest(pattern(50, b"b"))]),
    "timeout": "timed out",
    "after the timeout": b"late",
    "select": (1, b"second"),
    "select's loser": b"first",
}


def test_a_traced_run_gives_the_same_results_and_sees_every_read_and_write(run):
    untraced_made = []
    untraced = run(scenario(untraced_made))

    recorder = TrapRecorder()
    traced_made = []
    traced = run(scenario(traced_made), instruments=[recorder])

    text = io.StringIO()
    text_made = []
    text_traced = run(scenario(text_made), instruments=[TextTrace(file=text)])

    assert untraced == traced == text_traced == EXPECTED
    assert len(traced_made) > 20
    assert {id(trap) for trap in traced_made} == set(recorder.seen)     # every one, no other
    assert text.getvalue().count("-> read") >= len([t for t in text_made if type(t) is read])
    assert text.getvalue().count("-> write") >= len([t for t in text_made if type(t) is write])


def test_wrapped_handlers_see_every_read_and_write_and_change_nothing():
    """``Kernel.wrap_handlers`` is the public hook for tools that watch every
    trap (debug mode uses it): a fast path that skips the trap table must
    not skip the wrapped handlers."""
    seen = {}

    def wrap(kind, handler):
        def watched(task, trap):
            if kind in (read, write):
                seen[id(trap)] = trap
            return handler(task, trap)
        return watched

    made = []
    with Kernel() as kernel:
        kernel.wrap_handlers(wrap)
        result = kernel.run(scenario(made))
    assert result == EXPECTED
    assert {id(trap) for trap in made} == set(seen)


# ============================== 7. arguments checked, fast path or not

BAD_ARGUMENTS = {
    "read of 0 bytes": (lambda sock: read(sock, 0), ValueError, "nbytes must be at least 1"),
    "read of a str size": (lambda sock: read(sock, "10"), TypeError, "nbytes must be an int"),
    "read of a float size": (lambda sock: read(sock, 10.0), TypeError, "nbytes must be an int"),
    "read of a bool size": (lambda sock: read(sock, True), TypeError, "nbytes must be an int"),
    "read of no socket": (lambda sock: read("not a socket", 10), TypeError,
                          "read.. needs a socket"),
    "write of a str": (lambda sock: write(sock, "text"), TypeError, "encode it first"),
    "write of a list": (lambda sock: write(sock, [1, 2]), TypeError, "write.. needs bytes"),
    "write to no socket": (lambda sock: write(None, b"x"), TypeError, "write.. needs a socket"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_a_bad_read_or_write_is_refused_in_its_task_and_the_socket_still_works(
        run, socketpair, case):
    """Wherever the check happens -- where the trap is made, or when the
    kernel meets it -- the error names the culprit, is raised in the task
    that made the trap, and leaves the socket as it was."""
    make, kind, words = BAD_ARGUMENTS[case]
    a, peer = socketpair()

    def main():
        try:
            yield make(a)
        except Exception as exc:
            error = exc
        else:
            error = None
        yield write(a, b"ping")
        return error, (yield read(a, 100))

    peer.sendall(b"pong")
    error, got = run(main())
    assert isinstance(error, kind), error
    assert re.search(words, str(error)), error
    assert got == b"pong"
    assert peer.recv(100) == b"ping"


def test_a_read_or_write_on_a_closed_socket_is_ebadf_in_its_task(run, socketpair):
    a, peer = socketpair()
    a.close()

    def attempt(trap_maker):
        try:
            yield trap_maker()
        except OSError as exc:
            return exc.errno

    def main():
        return (yield attempt(lambda: read(a, 10))), (yield attempt(lambda: write(a, b"x")))

    assert run(main()) == (errno.EBADF, errno.EBADF)


def test_a_write_dropped_for_an_expired_timeout_says_it_wrote_nothing(run, socketpair):
    """A timeout's exception comes again at every blocking trap of its
    scope (level-triggered), the same exception each time.  A write it cut
    midway set its ``bytes_written``; a later write in that scope, dropped
    unperformed because the task's budget ran out just there, must say 0 --
    not repeat the count of the first."""
    a, peer = socketpair()
    small_buffers(a, peer)
    counts = []

    def main():
        with pytest.raises(TaskTimeout):
            with timeout_after(0.05):
                try:
                    yield write(a, pattern(262144))     # parks midway; the timeout cuts it
                except Cancelled as exc:      # (inside its scope: TimeoutCancelled)
                    counts.append(exc.bytes_written)
                for _ in range(BUDGET - 1):             # the budget runs out at the write
                    yield current()
                try:
                    yield write(a, b"never sent")
                except Cancelled as exc:
                    counts.append(exc.bytes_written)
                    raise

    run(main())
    assert counts[0] > 0 and counts[1] == 0, counts


def test_a_task_that_catches_its_timeout_at_every_read_still_shares_the_processor(
        run, socketpair):
    """A timeout is level-triggered: once gone off, it comes again at every
    blocking trap of its scope.  A task that catches it there and reads
    again, round and round, must still use up its budget and go to the back
    of the queue, as at any trap: a read that parks costs no budget only
    when nothing is pending.  (Else it spun in one step, and the task
    beside it never ran again: the kernel hung.)"""
    a, peer = socketpair()
    caught, turns = [], []          # (each catch notes how often the other had run)

    def spinner():
        with pytest.raises(TaskTimeout):
            with timeout_after(0.01):
                while len(caught) < 4 * BUDGET:
                    try:
                        yield read(a, 10)           # parks: nothing is sent
                    except Cancelled:
                        caught.append(len(turns))

    def beside(spun):
        while not spun.done:
            turns.append(1)
            yield sleep(0)

    def main():
        spun = yield spawn(spinner())
        yield spawn(beside(spun))
        yield join(spun)

    run(main())
    longest = max(caught.count(value) for value in set(caught))
    assert longest <= BUDGET, "%d catches in one step (budget %d)" % (longest, BUDGET)


def test_a_spurious_read_wake_up_still_wakes_the_writer_of_the_same_poll(socketpair):
    """A poll may report a socket readable whose bytes are gone by the time
    the kernel reads inline (another process sharing the socket took them):
    its reader parks on, and a writer that the same poll found room for
    wakes all the same -- after that poll, not the next one."""
    a, peer = socketpair()
    thief = a.dup()
    thief.setblocking(False)
    peer.setblocking(False)

    class Stealing(selectors.DefaultSelector):
        """Before the poll it is armed for: a byte for ``a``'s reader and
        room for its writer; after it, the byte taken through ``thief``."""
        polls = 0
        armed = False
        stolen_at = None

        def select(self, timeout=None):
            armed, self.armed = self.armed, False
            if armed:
                peer.send(b"x")
                while True:
                    try:
                        peer.recv(1 << 20)
                    except BlockingIOError:
                        break
            events = super().select(timeout)
            self.polls += 1
            if armed:
                assert thief.recv(10) == b"x"
                self.stolen_at = self.polls
            return events

    def writer():
        yield write_wait(a)
        return selector.polls       # the poll it woke after

    def main():
        a.setblocking(False)
        try:
            while True:             # a's buffer full: the writer must wait
                a.send(b"f" * 65536)
        except BlockingIOError:
            pass
        reader = yield spawn(read(a, 100))
        waiting = yield spawn(writer())
        yield until_parked([reader, waiting])
        selector.armed = True
        woke_after = yield join(waiting)
        assert (woke_after, reader.state) == (selector.stolen_at, "parked")
        peer.send(b"late")
        assert (yield join(reader)) == b"late"

    selector = Stealing()
    with Kernel(selector=selector) as kernel:
        kernel.run(main())
    thief.close()


# ======================================= 8. a stream's reused traps

def test_stream_reads_made_before_either_is_yielded_keep_their_own_sizes(run, socketpair):
    """The stream's read trap is handed out again only once the kernel is
    done with it: a second read made while the first is still in hand is a
    trap of its own (one trap for both would read 2048 bytes twice)."""
    a, peer = socketpair()
    peer.sendall(pattern(5000))

    def main():
        stream = Stream(a)
        first, second = stream.read(1024), stream.read(2048)
        assert first is not second
        got = [(yield first), (yield second)]
        got.append((yield stream.read(4096)))       # the stream's trap, free again
        return got

    assert run(main()) == [pattern(5000)[:1024], pattern(5000)[1024:3072],
                           pattern(5000)[3072:]]


@pytest.mark.parametrize("how", ["in one task", "in two tasks"])
def test_stream_writes_made_before_either_is_yielded_each_send_their_own_bytes(
        run, socketpair, how):
    """A write trap reused while another write still holds it would send
    the second write's bytes twice and the first's never."""
    a, peer = socketpair()
    first, second, third = b"A" * 100, b"B" * 200, b"C" * 300

    def main():
        stream = Stream(a)
        if how == "in one task":
            pending = stream.write(first)
            yield stream.write(second)
            yield pending
        else:
            from trampoline import Event
            made = Event()

            def holder():
                trap = stream.write(first)
                yield made.wait()
                yield trap

            task = yield spawn(holder())
            yield until_parked([task])
            yield stream.write(second)
            made.set()
            yield join(task)
        yield stream.write(third)
        a.shutdown(socket.SHUT_WR)
        return (yield from drain_with_read(peer))

    assert run(main()) == second + first + third


def test_a_stream_write_cancelled_midway_leaves_nothing_to_the_next_one(run, socketpair):
    """A small write cut short by a cancellation is done with: the next
    write sends its own bytes, after what the first one sent."""
    a, peer = socketpair()
    small_buffers(a, peer)
    a.setblocking(False)
    filled = bytearray()
    while True:                         # fill the send buffer: the next write parks
        try:
            filled += pattern(1000)[:a.send(pattern(1000))]
        except BlockingIOError:
            break
    small, after = pattern(4000, b"S"), pattern(3000, b"T")
    written = []

    def writer(stream):
        try:
            yield stream.write(small)
        except Cancelled as exc:
            written.append(exc.bytes_written)
            raise

    def main():
        stream = Stream(a)
        task = yield spawn(writer(stream))
        yield until_parked([task])
        head = peer.recv(2000)          # some room: the writer is woken, not yet run
        yield cancel(task)
        reader = yield spawn(drain_with_read(peer))
        yield stream.write(after)
        yield stream.write(after)
        a.shutdown(socket.SHUT_WR)
        return head + (yield join(reader))

    received = run(main())
    [sent] = written
    assert received == bytes(filled) + small[:sent] + after + after


def test_a_stream_read_timed_out_again_and_again_then_reads_its_bytes(run, socketpair):
    """A read trap unparked by a timeout is free again; the read after it
    gets the bytes, none lost."""
    a, peer = socketpair()

    def main():
        stream = Stream(a)
        for _ in range(3):
            assert (yield ignore_after(0.001, stream.read(1024))) is None
        peer.sendall(pattern(3000))
        peer.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            data = yield stream.read(1024)
            if not data:
                return bytes(got)
            got += data

    assert run(main()) == pattern(3000)


def test_a_stream_whose_socket_was_closed_under_it_fails_at_once_with_ebadf(run, socketpair):
    """The reused traps hold the socket's number: once the socket is closed
    (``stream.sock.close()``, not ``stream.close()``) a read or write makes
    a trap again, which says EBADF at once -- rather than wait on a number
    now closed until the kernel's sweep finds it."""
    a, peer = socketpair()
    peer.sendall(b"x")

    def attempt(trap):
        try:
            yield trap()
        except OSError as exc:
            return exc.errno, str(exc)

    def main():
        stream = Stream(a)
        yield stream.read(1024)
        yield stream.write(b"y")
        stream.sock.close()
        return (yield from attempt(lambda: stream.read(1024))), \
            (yield from attempt(lambda: stream.write(b"z")))

    (read_errno, read_says), (write_errno, write_says) = run(main())
    assert read_errno == write_errno == errno.EBADF
    assert re.match(r"\[Errno \d+\] read\(\): .* is closed$", read_says), read_says
    assert re.match(r"\[Errno \d+\] write\(\): .* is closed$", write_says), write_says


@pytest.mark.skipif(not hasattr(sys, "getrefcount") or sys.implementation.name != "cpython",
                    reason="counts references: CPython")
def test_a_stream_keeps_a_small_writes_bytes_until_the_next_write_and_a_big_ones_not(
        run, socketpair):
    """The reused write trap may hold its bytes until the next write: so
    only a write of at most SMALL_WRITE bytes reuses it; a bigger one's
    bytes are let go of once written."""
    from trampoline.streams import SMALL_WRITE

    a, peer = socketpair()
    small = bytes(pattern(SMALL_WRITE))
    big = bytes(pattern(SMALL_WRITE + 1))
    counts = {}

    def main():
        stream = Stream(a)
        reader = yield spawn(drain_with_read(peer))
        before = sys.getrefcount(big)
        yield stream.write(big)
        counts["big"] = sys.getrefcount(big) - before
        before = sys.getrefcount(small)
        yield stream.write(small)
        counts["small"] = sys.getrefcount(small) - before
        yield stream.write(b"next")
        counts["small after the next write"] = sys.getrefcount(small) - before
        a.shutdown(socket.SHUT_WR)
        return (yield join(reader))

    assert run(main()) == big + small + b"next"
    assert counts["big"] == 0 and counts["small after the next write"] == 0, counts



@pytest.mark.skipif(sys.implementation.name != "cpython", reason="tracemalloc: CPython")
def test_a_served_stream_with_its_reused_traps_stays_small(run):
    """What a server's Stream allocates as it echoes once: the two traps it
    keeps (136 bytes; CPython 3.8-3.13).  Traps set after the stream was
    made put its attributes out of the order other streams' share, and its
    ``__dict__`` is then a table of its own: 500 bytes more, each."""
    import gc
    import tracemalloc

    from trampoline.streams import Stream as Streams

    pairs = [socket.socketpair() for _ in range(300)]
    try:
        def main():
            streams = [Streams._accepted_plain(sock, ("127.0.0.1", 1)) for sock, _ in pairs]
            for _, peer in pairs:
                peer.send(pattern(64))
            gc.collect()
            tracemalloc.start()
            try:
                before = tracemalloc.take_snapshot()
                for stream in streams:
                    yield stream.write((yield stream.read(65536)))
                gc.collect()
                after = tracemalloc.take_snapshot()
            finally:
                tracemalloc.stop()
            here = [tracemalloc.Filter(True, Streams.read.__code__.co_filename)]
            grown = after.filter_traces(here).compare_to(before.filter_traces(here), "filename")
            return sum(stat.size_diff for stat in grown) / len(streams)

        grown = run(main())
        assert grown < 300, grown
    finally:
        for pair in pairs:
            for sock in pair:
                sock.close()
