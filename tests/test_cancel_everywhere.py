"""Cancellation everywhere: a task cancelled at any point where it can
block cleans up, and leaves nothing behind in the kernel.

One table, ``CASES``: each entry makes a task block in one way -- every
descriptor trap, sleep, join, every synchronisation primitive, a timeout,
select, a task group, a thread, a subprocess, a signal, a TLS handshake.
The test runs it on each poller backend, checks the task is parked there,
cancels it, and checks that:

* it ended cancelled, and its ``finally`` ran;
* the kernel's registered descriptors, live tasks and live timers are back
  to what they were before it started (private tables, read for this
  check only: reliability_helpers.kernel_tables);
* what it was waiting on is intact: data not lost, a lock not leaked, an
  item not swallowed, a write's ``bytes_written`` exactly what arrived
  (each case's own ``after`` check).

Finer points (a wake-up racing a cancellation, nested timeouts) are in
test_sync, test_timeouts, test_select and test_io.
"""

import os
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from net_helpers import unread, watchdog  # noqa: F401 (watchdog: an autouse fixture)
from reliability_helpers import MiB, kernel_tables
from trampoline import (BoundedSemaphore, Condition, Event, Future, Kernel, LifoQueue, Lock,
                        PriorityQueue, Queue, Semaphore, TaskGroup, accept, cancel, connect,
                        join, listen, read, read_wait, recvfrom, run_in_thread, select,
                        sleep, spawn, timeout_after, write, write_wait)
from trampoline.streams import open_connection

WATCHDOG_SECONDS = 10.0

SELECTORS = {
    "epoll": lambda: None,
    "poll": getattr(selectors, "PollSelector", None),
    "select": selectors.SelectSelector,
}

CASES = {}


def case(name):
    """Register ``make(resources) -> (blocking coroutine, after)``: the
    coroutine blocks; ``after(victim)``, a generator, checks afterwards."""
    def register(make):
        CASES[name] = make
        return make
    return register


def nothing_more(victim):
    return
    yield


# ------------------------------------------------------------- descriptors

@case("read")
def _(res):
    a, b = res.socketpair()

    def after(victim):
        yield write(a, b"kept")
        assert (yield read(b, 100)) == b"kept"  # nothing was read and lost
    return read(b, 100), after


@case("write mid-buffer")
def _(res):
    a, b = res.socketpair()
    payload = b"w" * (8 * MiB)

    def after(victim):
        written = victim.exception.bytes_written
        assert 0 < written < len(payload)
        assert unread(b) == written             # exactly that much went out
        yield sleep(0)
    return write(a, payload), after


@case("accept")
def _(res):
    listener = res.add(listen(("127.0.0.1", 0)))

    def after(victim):
        client = res.add(socket.socket())
        yield connect(client, listener.getsockname())
        conn, _ = yield accept(listener)        # the listener still works
        conn.close()
    return accept(listener), after


def full_listener(res):
    """The address of a TCP listener whose backlog is full: a connect to it
    stays under way (with backlog 0 one connection is queued, and the SYNs
    after it are dropped; over loopback the handshake is over when connect
    returns).  A Unix listener cannot be used: a Unix connect to a full
    backlog fails at once (EAGAIN), it never waits."""
    listener = res.add(listen(("127.0.0.1", 0), backlog=0))
    for _ in range(2):
        filler = res.add(socket.socket())
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
    return listener.getsockname()


@case("connect")
def _(res):
    address = full_listener(res)
    sock = res.add(socket.socket())
    return connect(sock, address), nothing_more


@case("read_wait")
def _(res):
    a, b = res.socketpair()
    return read_wait(b), nothing_more


@case("write_wait")
def _(res):
    a, b = res.socketpair()
    a.setblocking(False)
    try:
        while True:
            a.send(b"f" * 65536)
    except BlockingIOError:
        pass
    return write_wait(a), nothing_more


@case("recvfrom")
def _(res):
    sock = res.add(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    sock.bind(("127.0.0.1", 0))
    return recvfrom(sock, 100), nothing_more


@case("open_connection in the TLS handshake")
def _(res):
    listener = res.add(listen(("127.0.0.1", 0)))    # accepts (backlog), never answers
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    context = ssl.create_default_context()

    def after(victim):
        if before is not None:                      # the socket was closed
            assert len(os.listdir("/proc/self/fd")) == before
        yield sleep(0)
    return open_connection("127.0.0.1", listener.getsockname()[1], ssl=context), after


@case("open_connection while connecting")
def _(res):
    return open_connection(*full_listener(res)), nothing_more


# ------------------------------------------------------- time, other tasks

@case("sleep")
def _(res):
    return sleep(60), nothing_more


@case("join")
def _(res):
    release = Event()
    joined = res.spawn_later(release.wait())

    def after(victim):
        assert not joined[0].done               # the joined task is untouched
        release.set()
        assert (yield join(joined[0])) is True
    return joined_by(joined), after


def joined_by(holder):
    return (yield join(holder[0]))


@case("cancel, waiting for the target's cleanup")
def _(res):
    release = Event()
    target = res.spawn_later(slow_cleanup(release))

    def after(victim):
        release.set()                           # its cleanup finishes on its own
        yield join_quietly(target[0])
        assert target[0].cancelled
    return cancel_of(target), after


def slow_cleanup(release):
    try:
        yield Event().wait()
    finally:
        yield release.wait()


def cancel_of(holder):
    yield cancel(holder[0])


def join_quietly(task):
    try:
        yield join(task)
    except Exception:
        pass


@case("timeout_after")
def _(res):
    return timeout_after(60, Event().wait()), nothing_more


@case("select")
def _(res):
    a, b = res.socketpair()
    return select(read(a, 10), read(b, 10), sleep(60)), nothing_more


@case("TaskGroup.join")
def _(res):
    children = []

    def parent():
        group = TaskGroup()
        for _ in range(3):
            children.append((yield group.spawn(Event().wait())))
        yield group.join()

    def after(victim):
        assert len(children) == 3 and all(child.cancelled for child in children)
        yield sleep(0)
    return parent(), after


# ------------------------------------------------------------ sync primitives

@case("Event.wait")
def _(res):
    event = Event()

    def after(victim):
        assert len(event._waiting) == 0         # (private: no stale waiter)
        event.set()
        yield sleep(0)
    return event.wait(), after


def held(make_primitive):
    """The primitive is held (acquired before the victim comes), the
    victim blocks acquiring it; afterwards it is released and is free --
    not handed to the dead -- and still usable."""
    def make(res):
        primitive = make_primitive()
        res.acquire_first(primitive)

        def after(victim):
            primitive.release()
            assert not primitive.locked()
            yield primitive.acquire()
            primitive.release()
        return primitive.acquire(), after
    return make


CASES["Lock.acquire"] = held(Lock)
CASES["Semaphore.acquire"] = held(Semaphore)
CASES["BoundedSemaphore.acquire"] = held(BoundedSemaphore)


@case("Condition.wait")
def _(res):
    condition = Condition()

    def waiter():
        with (yield condition.acquire()):
            yield condition.wait()

    def after(victim):
        assert not condition.locked()           # the lock was taken back, then let go
        with (yield condition.acquire()):
            condition.notify()                  # nobody left to notify
    return waiter(), after


@case("Condition.wait_for")
def _(res):
    condition = Condition()

    def waiter():
        with (yield condition.acquire()):
            yield condition.wait_for(lambda: False)

    def after(victim):
        assert not condition.locked()
        yield sleep(0)
    return waiter(), after


def queue_get(make_queue):
    def make(res):
        queue = make_queue()

        def after(victim):
            queue.put_nowait(1)
            assert queue.get_nowait() == 1      # not swallowed by the dead
            yield sleep(0)
        return queue.get(), after
    return make


CASES["Queue.get"] = queue_get(Queue)
CASES["PriorityQueue.get"] = queue_get(PriorityQueue)
CASES["LifoQueue.get"] = queue_get(LifoQueue)


@case("Queue.put on a full queue")
def _(res):
    queue = Queue(1)
    queue.put_nowait("first")

    def after(victim):
        assert queue.get_nowait() == "first"
        assert queue.empty()                    # the cancelled put put nothing
        yield sleep(0)
    return queue.put("second"), after


@case("Queue.join")
def _(res):
    queue = Queue()
    queue.put_nowait("work")

    def after(victim):
        queue.get_nowait()
        queue.task_done()
        yield queue.join()                      # returns at once now
    return queue.join(), after


@case("Future.wait")
def _(res):
    future = Future()

    def after(victim):
        future.set_result(1)
        assert (yield future) == 1
    return future.wait(), after


# ----------------------------------------------- threads, processes, signals

@case("run_in_thread")
def _(res):
    release = threading.Event()
    res.on_close(release.set)

    def after(victim):
        release.set()                           # the thread ends; its result is dropped
        yield sleep(0)
    return run_in_thread(release.wait, 30), after


@case("Process.wait")
def _(res):
    from trampoline.subprocess import Process
    process = Process([sys.executable, "-c", "import time; time.sleep(60)"],
                      stdin=subprocess.DEVNULL)
    res.on_close(lambda: (process.kill(), process._popen.wait()))

    def after(victim):
        assert process.returncode is None       # a cancelled wait leaves the child alone
        process.kill()
        assert (yield process.wait()) == -signal.SIGKILL
    return process.wait(), after


@case("Process.wait, polling (no pidfd)")
def _(res):
    from trampoline import subprocess as trampoline_subprocess
    res.on_close(lambda: setattr(trampoline_subprocess, "USE_PIDFD", True))
    trampoline_subprocess.USE_PIDFD = False
    blocking, after = CASES["Process.wait"](res)
    return blocking, after


@case("run_process")
def _(res):
    from trampoline.subprocess import run_process
    marker = "cancel-everywhere-%d-%d" % (os.getpid(), id(res))

    def after(victim):
        assert not processes_named(marker)      # the child was killed and reaped
        yield sleep(0)
    return run_process([sys.executable, "-c", "import time; time.sleep(60)", marker]), after


def processes_named(marker):
    """The pids whose command line has ``marker`` (Linux; [] elsewhere)."""
    found = []
    if os.path.isdir("/proc/self"):
        for pid in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as cmdline:
                    if marker.encode() in cmdline.read() and int(pid) != os.getpid():
                        found.append(int(pid))
            except (OSError, ValueError):
                pass
    return found


@case("signal_wait")
def _(res):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are for the main thread")
    from trampoline.signals import signal_wait
    before = signal.getsignal(signal.SIGUSR1)

    def after(victim):
        assert signal.getsignal(signal.SIGUSR1) == before      # handler restored
        yield sleep(0)
    return signal_wait(signal.SIGUSR1), after


# ==================================================================== the test

class Resources:
    """What a case opens; closed after the test."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self._close = []
        self._later = []                # coroutines to spawn before the victim
        self._first = []                # primitives to acquire before the victim

    def add(self, thing):
        self._close.append(thing.close)
        return thing

    def on_close(self, func):
        self._close.append(func)

    def socketpair(self):
        a, b = socket.socketpair()
        return self.add(a), self.add(b)

    def spawn_later(self, coro):
        holder = []
        self._later.append((coro, holder))
        return holder

    def acquire_first(self, primitive):
        self._first.append(primitive)

    def close(self):
        for close in reversed(self._close):
            try:
                close()
            except OSError:
                pass


def noop():
    return
    yield


def settle():
    yield join((yield spawn(noop())))


#: The cases that wait on a descriptor run on every poller backend; the
#: others do not touch the poller, and run on the default one.
ON_DESCRIPTORS = ["read", "write mid-buffer", "accept", "connect", "read_wait", "write_wait",
                  "recvfrom", "open_connection in the TLS handshake",
                  "open_connection while connecting",
                  "select", "Process.wait"]
RUNS = [(name, backend) for name in CASES
        for backend in (SELECTORS if name in ON_DESCRIPTORS else ["epoll"])
        if SELECTORS[backend] is not None]


@pytest.mark.parametrize("name, backend", RUNS)
def test_cancelled_where_it_blocks_it_cleans_up_and_leaves_nothing(name, backend, tmp_path):
    """(See the module's docstring.)"""
    res = Resources(tmp_path)
    cleanup_ran = []

    def victim(blocking):
        try:
            yield blocking
        finally:
            cleanup_ran.append(True)

    def main(kernel):
        blocking, after = CASES[name](res)
        for primitive in res._first:
            yield primitive.acquire()
        for coro, holder in res._later:
            holder.append((yield spawn(coro)))
        yield settle()
        before = kernel_tables(kernel)
        task = yield spawn(victim(blocking))
        yield settle()
        yield settle()
        assert task.state == "parked", task     # blocked where the case says
        yield cancel(task)
        assert task.cancelled and cleanup_ran == [True], task
        assert kernel_tables(kernel) == before
        yield after(task)

    try:
        with Kernel(selector=SELECTORS[backend]()) as kernel:
            kernel.run(main(kernel))
    finally:
        res.close()
