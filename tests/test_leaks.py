"""No leaks: thousands of connections, ended every way a connection ends,
leave nothing behind.

One kernel runs an echo server and its clients.  Every cycle is one
connection: connect, talk, end -- the client closing first, the server
closing first, either side resetting (RST), the client cancelling its own
read, or its own write in the middle of the buffer, the server's read timing
out.  Afterwards the process has the descriptors it had, the kernel's
tables (registered descriptors, live tasks, live timers) are back where
they were, and tracemalloc sees no growth.

2,000 cycles in CI; TRAMPOLINE_LONG=1 runs 20,000.  The kernel's tables
are private attributes, read here for the leak check only
(reliability_helpers.kernel_tables).
"""

import gc
import logging
import os
import signal
import socket
import struct
import threading
import warnings

import pytest

import trampoline

from net_helpers import watchdog  # noqa: F401 (an autouse fixture)
from reliability_helpers import (LONG, Countdown, MemoryReadings, kernel_tables, needs_fd_count,
                                 open_fds, scale, timer_heap)
from trampoline import (Event, Kernel, TaskTimeout, cancel, connect, current, join, listen,
                        open_connection, read, serve, sleep, spawn, timeout_after, write)

CYCLES = scale(2000, 20000)
WARM_UP = 140                       # cycles before the first reading (20 of each kind)
CLIENTS = 8                         # cycles running at once
WATCHDOG_SECONDS = scale(30.0, 600.0)

#: How much traced memory may grow over all the cycles: well below one
#: object per cycle (a leaked socket, task or registration is hundreds of
#: bytes; 2,000 of them would be far over).
GROWTH_ALLOWED = 64 * 1024 + 8 * CYCLES

KINDS = ["client closes", "server closes", "client resets", "server resets",
         "client read cancelled", "client write cancelled", "server read times out"]


def noop():
    return
    yield


def settle():
    """Return once every task that was ready has run to its next wait
    (a fresh task runs after them: spawn is FIFO)."""
    yield join((yield spawn(noop())))


def reset(sock):
    """Close ``sock`` with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class EchoServer:
    """The server side.  The first line a client sends says how its
    connection is to end: "E" echo until the client hangs up, "S" echo one
    line and close, "X" reset, "H" hold (read nothing more) until the client
    says so, "T" wait for a line that never comes, under a timeout."""

    def __init__(self):
        self.finished = Countdown()         # handlers that have returned
        self.resets_seen = 0                # ConnectionErrors in handlers
        self.releases = {}                  # client port -> Event ("H")

    def handler(self, stream, address):
        try:
            mode = yield stream.readline()
            if mode == b"E\n":
                yield stream.write(mode)
                while True:
                    data = yield stream.read(65536)
                    if not data:
                        return
                    yield stream.write(data)
            elif mode == b"S\n":
                yield stream.write(mode)
            elif mode == b"X\n":
                reset(stream.sock)
            elif mode == b"H\n":
                yield self.releases.setdefault(address[1], Event()).wait()
                del self.releases[address[1]]
            elif mode == b"T\n":
                try:
                    yield timeout_after(0.002, stream.readline())
                except TaskTimeout:
                    yield stream.write(b"timed out\n")
            else:
                raise AssertionError("unexpected first line %r" % mode)
        except ConnectionError:
            self.resets_seen += 1               # the client reset: fine, in the task
        finally:
            self.finished.add()


def cycle(kind, port, server):
    """One connection, ended the way ``kind`` says; checks what it sees."""
    if kind == "client write cancelled":
        yield write_cancelled(port, server)
        return
    stream = yield open_connection("127.0.0.1", port)
    with stream:
        if kind == "client closes":
            yield stream.write(b"E\nhello\n")
            assert (yield stream.readexactly(8)) == b"E\nhello\n"
        elif kind == "server closes":
            yield stream.write(b"S\n")
            assert (yield stream.readline()) == b"S\n"
            assert (yield stream.read()) == b""
        elif kind == "client resets":
            yield stream.write(b"E\n")
            assert (yield stream.readline()) == b"E\n"
            reset(stream.sock)
        elif kind == "server resets":
            yield stream.write(b"X\n")
            with pytest.raises(ConnectionError):
                yield stream.read()
        elif kind == "client read cancelled":
            reader = yield spawn(stream.read())
            yield settle()                      # it waits in read() now
            yield cancel(reader)
            assert reader.cancelled
            yield stream.write(b"E\nafter\n")   # the stream still works
            assert (yield stream.readexactly(8)) == b"E\nafter\n"
        elif kind == "server read times out":
            yield stream.write(b"T\n")
            assert (yield stream.readline()) == b"timed out\n"
            assert (yield stream.read()) == b""


def write_cancelled(port, server):
    """A write cancelled in the middle of its buffer: it reports how much
    went out.  Small socket buffers on both sides make it wait."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    yield connect(sock, ("127.0.0.1", port))
    with sock:
        yield write(sock, b"H\n")
        payload = b"w" * (256 * 1024)
        writer = yield spawn(write_task(sock, payload))
        yield settle()                          # it waits for room now
        yield cancel(writer)
        sent = writer.exception.bytes_written
        assert 0 < sent < len(payload), sent
        server.releases.setdefault(sock.getsockname()[1], Event()).set()
        # The server closes with our bytes unread: RST, or plain EOF.
        try:
            assert (yield read(sock, 100)) == b""
        except ConnectionError:
            pass


def write_task(sock, payload):
    yield write(sock, payload)


def client(kinds, port, server):
    """Run cycles one after another, each in a task of its own (as a
    server's connection tasks are)."""
    for kind in kinds:
        yield join((yield spawn(cycle(kind, port, server))))


def run_cycles(count, port, server):
    """``count`` cycles, CLIENTS at a time, every kind equally often."""
    kinds = [KINDS[n % len(KINDS)] for n in range(count)]
    share = [kinds[n::CLIENTS] for n in range(CLIENTS)]
    tasks = []
    for n in range(CLIENTS):
        tasks.append((yield spawn(client(share[n], port, server))))
    for task in tasks:
        yield join(task)


@needs_fd_count
def test_connection_cycles_leave_no_descriptor_task_timer_or_memory_behind(caplog):
    """CYCLES connect/talk/end cycles, every way of ending equally often:
    afterwards the open descriptors, the kernel's registered descriptors,
    live tasks and live timers are what they were after the warm-up,
    the timer heap holds no more than a bounded number of dead entries,
    traced memory has not grown, and nothing was logged."""
    caplog.set_level(logging.WARNING, logger="trampoline")
    server = EchoServer()
    listener = listen(("127.0.0.1", 0))
    # Small receive buffers on every accepted socket, so that a client's
    # big write has to wait ("client write cancelled").
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    port = listener.getsockname()[1]
    found = {}

    def main(kernel, memory):
        server_task = yield spawn(serve(listener, server.handler))
        yield run_cycles(WARM_UP, port, server)
        yield server.finished.reached(WARM_UP)
        memory.read()       # (first: its full collection closes what garbage held open)
        found["before"] = dict(kernel_tables(kernel), open=open_fds())
        for part in range(4):                   # readings along the way: a trend shows
            yield run_cycles(CYCLES // 4, port, server)
            memory.read()
        yield server.finished.reached(WARM_UP + 4 * (CYCLES // 4))
        memory.read()
        found["after"] = dict(kernel_tables(kernel), open=open_fds())
        found["heap"] = timer_heap(kernel)
        yield cancel(server_task)

    with MemoryReadings() as memory, Kernel() as kernel:
        kernel.run(main(kernel, memory))
    if LONG:
        print("\n%d cycles (%d warm-up), %d of each kind; resets seen by handlers %d; "
              "before %r; after %r; timer heap %d; %s" % (
                  WARM_UP + CYCLES, WARM_UP, (WARM_UP + CYCLES) // len(KINDS),
                  server.resets_seen, found["before"], found["after"], found["heap"],
                  memory.describe()))
    assert found["after"] == found["before"], (found["before"], found["after"])
    assert found["heap"] < 200, "dead timers pile up: %d" % found["heap"]
    assert memory.growth() < GROWTH_ALLOWED, memory.describe()
    assert server.resets_seen > 0               # the resets did happen, and were the task's
    assert not caplog.records, [record.getMessage() for record in caplog.records]


def test_a_long_lived_task_that_opens_many_connections_does_not_grow():
    """One task -- a proxy, a load generator, a client with a pool --
    connects, talks and closes 1,000 times in a row: afterwards neither it
    nor the kernel holds anything for the sockets it closed."""
    listener = listen(("127.0.0.1", 0))
    found = {}

    def echo(stream, address):
        data = yield stream.read(100)
        yield stream.write(data)

    def main(kernel):
        server = yield spawn(serve(listener, echo))
        yield settle()
        me = yield current()
        before = kernel_tables(kernel)
        for _ in range(1000):
            stream = yield open_connection("127.0.0.1", listener.getsockname()[1])
            with stream:
                yield stream.write(b"x")
                assert (yield stream.read(100)) == b"x"
        owned = me._fds                 # private (None, one int, or a set): the leak check
        found["task records"] = 0 if owned is None else 1 if type(owned) is int else len(owned)
        found["tables"] = (before, kernel_tables(kernel))
        yield cancel(server)

    with Kernel() as kernel:
        kernel.run(main(kernel))
    before, after = found["tables"]
    assert after["tasks"] == before["tasks"], found
    assert found["task records"] <= 2, found
    # The registration of the socket closed last is forgotten at the next
    # closed-descriptor sweep (the kernel cannot see a close): at most that
    # one is left over, not one per connection.
    assert after["fds"] - before["fds"] <= 1, found


# ------------------------------------------- what a failed start leaves

async def coroutine():
    await sleep(0)


def bad_kernel_options():
    return [("instruments", dict(instruments=5), TypeError,
             r"Kernel\(instruments=\.\.\.\) needs an iterable of instruments, got 5"),
            ("monitor", dict(monitor="localhost:port"), ValueError,
             r"monitor='localhost:port' is not a monitor address"),
            ("selector", dict(selector="epoll"), TypeError, "selector must be a selectors")]


@needs_fd_count
@pytest.mark.parametrize("option, kwargs, error, message", bad_kernel_options(),
                         ids=[each[0] for each in bad_kernel_options()])
def test_a_kernel_that_cannot_be_made_leaves_nothing_open(option, kwargs, error, message):
    """Kernel() raises, naming what was wrong, having closed what it had
    opened (its poller, its wake-up socket pair); run() closes the
    coroutine it will never run, so that it does not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)     # (an unclosed kernel's)
        before = open_fds()
        with pytest.raises(error, match=message):
            Kernel(**kwargs)
        assert open_fds() == before
        main = coroutine()
        with pytest.raises(error, match=message):
            trampoline.run(main, **kwargs)
        assert main.cr_frame is None and open_fds() == before


@needs_fd_count
def test_a_kernel_out_of_descriptors_closes_its_poller():
    """The socket pair fails after the poller opened: that is closed too."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = set(int(fd) for fd in os.listdir("/proc/self/fd"))
    free = [fd for fd in range(soft) if fd not in used][:2]
    before = open_fds()
    resource.setrlimit(resource.RLIMIT_NOFILE, (free[1], hard))     # room for one more
    try:
        with pytest.raises(OSError, match="Too many open files") as info:
            Kernel()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert open_fds() == before             # (while its traceback holds the half-made kernel)
    del info


@pytest.mark.parametrize("where", ["bad signal", "not the main thread"])
def test_run_closes_the_main_coroutine_when_its_signals_cannot_be_handled(where):
    main = coroutine()
    if where == "bad signal":
        with pytest.raises(ValueError, match="99999"):
            trampoline.run(main, shutdown_signals=[99999])
    else:
        errors = []

        def in_a_thread():
            try:
                trampoline.run(main, shutdown_signals=[signal.SIGINT])
            except RuntimeError as exc:
                errors.append(exc)
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
        assert "only in the main thread" in str(errors[0])
    assert main.cr_frame is None            # closed: no "never awaited" warning


@needs_fd_count
def test_a_kernel_nobody_closed_says_so_when_collected_and_closes():
    before = open_fds()
    kernel = Kernel()
    fd = kernel.fileno()
    assert open_fds() == before + 3         # its poller and wake-up socket pair
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del kernel
        gc.collect()
    assert [str(each.message) for each in caught] == ["unclosed <Kernel <EpollPoller fd=%d> "
                                                      "tasks=0>" % fd]
    assert open_fds() == before
