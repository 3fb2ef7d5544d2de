"""Step 5: an echo server -- traps that wait, then act.

What this step adds
    Three I/O traps that do the work themselves: ``accept(listener)``,
    ``read(sock, nbytes)`` and ``write(sock, data)``.  Each handler first
    just tries: the sockets are non-blocking, so ``recv`` either returns
    data at once or raises ``BlockingIOError``.  If it would block, the
    handler parks the task on the selector, as ``read_wait`` did.  When the
    socket is ready the kernel does not send ``None`` into the task: it
    *runs the same trap again* (``Task.trap``), and this time ``recv``
    succeeds.  The task only ever sees the finished result::

        data = yield read(sock, 1024)   # like a blocking recv, but only this task waits

    ``read_wait`` from step 4 is gone: it is the waiting half of every
    I/O trap now (``wait_for``).

Why
    With these three traps a server reads like plain blocking code -- one
    task per connection, top to bottom -- while one thread serves them all.
    Retrying the trap keeps the kernel honest: a wake-up is only a hint
    ("probably ready"); the retry does the real work or waits again.

In trampoline/
    ``trampoline.descriptors.DescriptorWaiting._trap_accept``,
    ``trampoline.descriptors.DescriptorWaiting._trap_read`` and
    ``trampoline.descriptors.DescriptorWaiting._trap_write`` (which also
    copes with a partial send, and with pipes).  The retry is
    ``trampoline.task.Task._next_trap``: when the poller says the socket is
    ready, ``trampoline.descriptors.DescriptorWaiting._wake_io_waiters``
    sets it from ``trampoline.task.Task._waiting``, and the task's next
    step performs it.  Listening sockets come from
    ``trampoline.net.listen``; clients connect with the
    ``trampoline.traps.connect`` trap (here the demo's client connects
    with a blocking call, which on this machine is instant).

Run it: python3 docs/steps/step5.py
"""

import heapq
import itertools
import selectors
import socket
import time
from collections import deque

PARKED = object()


# === Tasks ===

class Task:
    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro
        self.value = None
        self.waiting = None
        self.trap = None                # NEW: a woken I/O trap, to run again


# === Traps ===

class Trap:
    """Base of every trap: a request a task yields to the kernel."""


class current(Trap):
    """me = yield current(): the task that is running."""


class spawn(Trap):
    """task = yield spawn(coro): start coro as a new task."""

    def __init__(self, coro):
        self.coro = coro


class sleep(Trap):
    """yield sleep(seconds): wait that long."""

    def __init__(self, seconds):
        self.seconds = seconds


class accept(Trap):
    """conn, address = yield accept(listener): the next connection."""

    def __init__(self, listener):
        self.sock = listener


class read(Trap):
    """data = yield read(sock, nbytes): some bytes; b"" at the end."""

    def __init__(self, sock, nbytes):
        self.sock = sock
        self.nbytes = nbytes


class write(Trap):
    """yield write(sock, data): send all of data."""

    def __init__(self, sock, data):
        self.sock = sock
        self.data = data                # what is still to send


# === The kernel ===

class Kernel:
    def __init__(self):
        self.ready = deque()
        self.sleeping = []
        self.sequence = itertools.count()
        self.selector = selectors.DefaultSelector()
        self.next_id = 1
        self.handlers = {
            current: self.trap_current,
            spawn: self.trap_spawn,
            sleep: self.trap_sleep,
            accept: self.trap_accept,
            read: self.trap_read,
            write: self.trap_write,
        }

    def spawn(self, coro):
        task = Task(coro, self.next_id)
        self.next_id += 1
        self.ready.append(task)
        return task

    def run(self, main):
        """Run ``main`` -- and every task it spawns -- until all are done."""
        self.spawn(main)
        # A registered socket is a task waiting for I/O: keep going for it too.
        while self.ready or self.sleeping or len(self.selector.get_map()):
            # 1. Every task ready now runs once.
            for _ in range(len(self.ready)):
                task = self.ready.popleft()
                if self.step(task):
                    self.ready.append(task)
            # 2. Wait for sockets, not past the first timer; wake their tasks.
            self.wait_for_io()
            # 3. Wake the tasks whose time has come.
            now = time.monotonic()
            while self.sleeping and self.sleeping[0][0] <= now:
                _, _, task = heapq.heappop(self.sleeping)
                self.resume(task, None)

    def wait_for_io(self):
        """Ask the selector what is ready; wake the tasks waiting on it."""
        if self.ready:
            timeout = 0                     # tasks want to run: just look
        elif self.sleeping:                 # wait, but not past the first timer
            timeout = max(0, self.sleeping[0][0] - time.monotonic())
        elif len(self.selector.get_map()):
            timeout = None                  # only I/O can wake anyone: wait for it
        else:
            return                          # nothing to wait for: the loop ends
        for key, events in self.selector.select(timeout):
            self.selector.unregister(key.fileobj)   # one wait, one registration
            task = key.data                 # the waiting task
            task.trap = task.waiting        # NEW: on its turn, its trap runs again
            task.waiting = None
            self.ready.append(task)

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True: it may run
        again; False: it parked, or it ended."""
        trap = task.trap                    # NEW: a woken I/O trap goes first
        task.trap = None
        if trap is None:
            try:
                trap = task.coro.send(task.value)
            except StopIteration:
                return False
        handler = self.handlers[type(trap)]
        result = handler(task, trap)
        if result is PARKED:
            return False
        task.value = result
        return True

    def park(self, task, trap):
        """Note what ``task`` waits on, and tell the loop not to requeue it."""
        task.waiting = trap
        return PARKED

    def resume(self, task, value):
        """Wake a parked task: on its next turn ``value`` comes out of its yield."""
        task.waiting = None
        task.value = value
        self.ready.append(task)

    def wait_for(self, task, trap, sock, event):
        """Park ``task`` until ``sock`` is ready for ``event`` (read or write)."""
        self.selector.register(sock, event, task)
        return self.park(task, trap)

    # --- the handlers: each returns the trap's result, or PARKED

    def trap_current(self, task, trap):
        return task

    def trap_spawn(self, task, trap):
        return self.spawn(trap.coro)

    def trap_sleep(self, task, trap):
        wake_at = time.monotonic() + trap.seconds
        heapq.heappush(self.sleeping, (wake_at, next(self.sequence), task))
        return self.park(task, trap)

    def trap_accept(self, task, trap):
        try:
            conn, address = trap.sock.accept()
        except BlockingIOError:             # nobody has connected yet
            return self.wait_for(task, trap, trap.sock, selectors.EVENT_READ)
        conn.setblocking(False)             # a blocking socket would stall every task
        return conn, address

    def trap_read(self, task, trap):
        try:
            return trap.sock.recv(trap.nbytes)
        except BlockingIOError:             # no data yet
            return self.wait_for(task, trap, trap.sock, selectors.EVENT_READ)

    def trap_write(self, task, trap):
        try:
            sent = trap.sock.send(trap.data)
        except BlockingIOError:             # the send buffer is full
            sent = 0
        trap.data = trap.data[sent:]        # send() may take only part of it
        if trap.data:
            return self.wait_for(task, trap, trap.sock, selectors.EVENT_WRITE)
        return None


# === Demo ===

def echo(conn):
    while True:
        data = yield read(conn, 1024)
        if not data:                        # b"": the client has closed
            print("echo: the client closed; closing too")
            break
        print("echo: got %r, sending it back" % data)
        yield write(conn, data)
    conn.close()


def server(listener, connections):
    for _ in range(connections):            # a real server loops forever
        conn, address = yield accept(listener)
        print("server: accepted a connection")
        yield spawn(echo(conn))             # one task per connection
    listener.close()


def client(address, words):
    sock = socket.create_connection(address)    # blocking, but instant here
    sock.setblocking(False)
    for word in words:
        print("client: sending %r" % word)
        yield write(sock, word)
        reply = yield read(sock, 1024)
        print("client: got %r back" % reply)
    sock.close()


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))         # port 0: any free port
    listener.listen()
    listener.setblocking(False)
    yield spawn(server(listener, 1))
    yield spawn(client(listener.getsockname(), [b"hello", b"world"]))


if __name__ == "__main__":
    Kernel().run(main())
