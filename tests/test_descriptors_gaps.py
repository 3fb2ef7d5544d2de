"""What descriptor waiting does that only a mutation showed no test pinned.

A mutation run over ``descriptors.py`` (comparisons flipped, statements
dropped, one at a time) left these changes unnoticed by the test files
that exercise it.  Each test here fails on one of them and passes on the
kernel as it is.  Most went unnoticed by the whole suite; two were caught
elsewhere only in passing -- the write to a reused number by a test of a
connection reset (test_misbehaving), the clock's late jump by a resolver
test's timing (test_net_peer_cases) -- and are pinned here by name.
Through the public API, over real sockets on 127.0.0.1:

* a task waiting to read a socket by its object while another's write
  to it by its descriptor number is parked gets its bytes when they come
  (the registration kept the number as its name, and the kernel tried to
  ``recv`` from an int);
* a write to a socket that took the number of one closed (a plain close,
  which tells the kernel nothing) waits for its own socket's room and
  completes;
* a virtual clock with a task waiting on I/O jumps as soon as its
  threshold of quiet real time has passed, not later;
* ``connect`` and ``sendto`` to port 65536 say the port is out of range;
* a task that read two sockets lets go of both when it ends -- also when
  it closed one of them first;
* a task that crashed and that nobody holds is reported while the kernel
  goes on waiting on I/O, not only when it ends (PyPy: the sweep collects
  the garbage for the report).
"""

import logging
import socket
import time
import weakref

import pytest

import trampoline
from trampoline import Kernel, VirtualClock, connect, join, read, sendto, spawn, write
from trampoline.kernel import running_kernel

import net_helpers
from drop_helpers import collect_harder
from task_helpers import parked

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test)


def do(trap):
    return (yield trap)


def drain(sock, nbytes):
    """Read exactly ``nbytes`` from ``sock`` with the kernel's ``read``."""
    got = 0
    while got < nbytes:
        data = yield read(sock, 1 << 20)
        assert data, "the peer closed early"
        got += len(data)
    return got


# ------------------------------------------------ one descriptor, two names

def test_a_reader_by_object_beside_a_writer_by_number_gets_its_bytes(run):
    """A write parked midway on a socket's number, then a reader parked on
    the socket object: the registration now answers to the object, and the
    reader gets the peer's bytes as they come (the kernel kept the number
    as its name and tried to ``recv`` from an int: the run crashed)."""
    near, far = net_helpers.tcp_pair()
    near.setblocking(False)                 # (a number's write: os.write, all it can)
    near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    payload = b"x" * (4 << 20)              # (more than the buffers: the write parks)

    def main():
        writer = yield spawn(do(write(near.fileno(), payload)))
        yield parked(writer)
        reader = yield spawn(do(read(near, 100)))
        yield parked(reader)
        far.sendall(b"hello")
        data = yield join(reader)
        drained = yield drain(far, len(payload))
        yield join(writer)
        return data, drained

    with near, far:
        assert run(main()) == (b"hello", len(payload))


# ------------------------------------------------- a number reused after a close

def test_a_write_to_a_socket_that_took_a_closed_ones_number_waits_for_its_own_room(
        run, quick_sweep):
    """A socket read (its registration kept for the next wait) and closed
    with a plain ``close``; the next socket opened takes its number and a
    big write to it parks.  The write waits on the new socket and
    completes once the peer drains it -- it was parked on the closed
    socket's registration: epoll refused to watch it, and the sweep failed
    it with ``EBADF``."""
    near, far = net_helpers.tcp_pair()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    payload = b"x" * (4 << 20)

    def main():
        far.sendall(b"x")
        assert (yield read(near, 100)) == b"x"
        number = near.fileno()
        near.close()                        # the kernel is not told
        fresh = socket.create_connection(listener.getsockname())   # (the lowest number free)
        fresh_peer, _ = listener.accept()
        with fresh, fresh_peer:
            if fresh.fileno() != number:    # pragma: no cover - the system chose another
                return None
            fresh.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
            writer = yield spawn(do(write(fresh, payload)))
            yield parked(writer)
            yield trampoline.sleep(0.2)     # the sweep (every 50 ms here) passes by
            drained = yield drain(fresh_peer, len(payload))
            yield join(writer)
            return drained

    with listener, near, far:
        drained = run(main())
    if drained is None:                     # pragma: no cover
        pytest.skip("the new socket did not get the closed one's number")
    assert drained == len(payload)


# ------------------------------------------------------- the virtual clock

def test_a_virtual_clock_jumps_once_its_threshold_of_quiet_has_passed_not_later():
    """With a task waiting on a socket, the clock jumps to the next timer
    after its threshold of quiet real time -- here none: ten sleeps of a
    minute take next to no real time (each took half a second more, the
    loop spinning through it).  The bound is generous: a mere 2.5 s for
    what takes milliseconds."""
    near, far = net_helpers.tcp_pair()
    clock = VirtualClock(autojump_threshold=0.0)

    def main():
        reader = yield spawn(do(read(near, 100)))    # waits on I/O all along
        began = time.monotonic()
        for _ in range(10):
            yield trampoline.sleep(60)
        spent = time.monotonic() - began
        far.sendall(b"bye")
        return clock(), spent, (yield join(reader))

    with near, far, Kernel(clock=clock) as kernel:
        now, spent, data = kernel.run(main())
    assert (now, data) == (600, b"bye")
    assert spent < 2.5


# ------------------------------------------------------------ a bad port

@pytest.mark.parametrize("kind, trap", [
    (socket.SOCK_STREAM, lambda sock: connect(sock, ("127.0.0.1", 65536))),
    (socket.SOCK_DGRAM, lambda sock: sendto(sock, b"x", ("127.0.0.1", 65536))),
], ids=["connect", "sendto"])
def test_port_65536_is_named_as_out_of_range(kind, trap):
    """65535 is the last port: 65536 gets the message that names the port
    and the range, as 70000 does (it got "cannot take the address")."""
    def main():
        with pytest.raises(OverflowError) as caught:
            yield trap(sock)
        return str(caught.value)

    with socket.socket(socket.AF_INET, kind) as sock:
        message = trampoline.run(main())
    assert "the port must be an int from 0 to 65535, got 65536" in message


# ------------------------------------------------------- letting go

@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("closes_one", [False, True], ids=["both-open", "one-closed"])
def test_a_task_that_read_two_sockets_lets_go_of_both_when_it_ends(closes_one):
    """A task reads two sockets -- each registered for it, the second
    beside the first -- and ends, having closed the first (telling the
    kernel, as ``Stream.close`` does) or not: the kernel keeps neither
    socket alive.  (It forgot that it had registered the first when it
    registered the second, or the second when the first was closed, and
    kept that registration -- and the socket -- as long as it ran.)"""
    def main():
        pairs = [net_helpers.tcp_pair() for _ in range(2)]
        refs = [weakref.ref(near) for near, _ in pairs]
        peers = [far for _, far in pairs]   # (open: an end of stream would make news)

        def reader():
            for near, far in pairs:
                far.sendall(b"x")
                assert (yield read(near, 10)) == b"x"
            if closes_one:
                running_kernel().notify_closing(pairs[0][0])
                pairs[0][0].close()

        yield join((yield spawn(reader())))
        del pairs[:]                        # the only references left: the kernel's
        collect_harder()
        let_go = [ref() is None for ref in refs]
        for far in peers:
            far.close()
        return let_go

    assert trampoline.run(main()) == [True, True]


# ------------------------------------------------- crashes reported meanwhile

def crashes():
    raise LookupError("nobody will join me")
    yield


def test_a_crash_nobody_holds_is_reported_while_the_kernel_waits_on_io(caplog):
    """A task crashes and its handle is dropped while another waits on a
    socket: "crashed and was never joined" is logged while the kernel runs
    on -- at once on CPython (reference counting frees the task), within
    a sweep on PyPy, whose sweep collects the garbage for such reports (it
    came only at the end of the run).  The wait for the report is bounded
    by real time, generously: a sweep comes every second."""
    near, far = net_helpers.tcp_pair()

    def reported():
        return any("never joined" in record.getMessage() for record in caplog.records)

    def main():
        reader = yield spawn(do(read(near, 100)))    # the kernel waits on I/O
        yield spawn(crashes())                      # (its handle dropped at once)
        began = time.monotonic()
        while not reported() and time.monotonic() - began < 5.0:
            yield trampoline.sleep(0.05)
        seen = reported()
        far.sendall(b"bye")
        yield join(reader)
        return seen

    with near, far, caplog.at_level(logging.ERROR, logger="trampoline"):
        assert trampoline.run(main()) is True
