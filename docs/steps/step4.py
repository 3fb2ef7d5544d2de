"""Step 4: waiting for I/O with a selector.

What this step adds
    ``yield read_wait(sock)`` parks the task until ``sock`` has data.  The
    handler registers the socket with a selector (epoll, kqueue, poll or
    select, behind the standard ``selectors`` module), remembering the task
    in the registration.  Part 2 of the loop changes: instead of
    ``time.sleep`` until the next timer, it asks the selector "which sockets
    are ready?", waiting at most until the next timer -- or not at all if
    tasks are ready to run.  Each ready socket's task goes back on the
    ready queue.

Why
    One ``select()`` call watches every socket of every task at once and
    sleeps in the operating system until something happens.  That is the
    whole trick of async I/O: many connections, one thread, no busy
    waiting.  The timer heap still sets how long ``select()`` may wait.

In trampoline/
    Part 2 of the loop in ``trampoline.kernel.Kernel._run_until``
    ("Wait for I/O") calls ``trampoline.kernel.Kernel._poll``, which asks
    the poller (``trampoline.descriptors.DescriptorWaiting._wait_for_io``)
    and wakes the waiters
    (``trampoline.descriptors.DescriptorWaiting._wake_io_waiters``).
    ``trampoline.descriptors.DescriptorWaiting._trap_read_wait`` and
    ``trampoline.descriptors.DescriptorWaiting._wait_readable`` park the
    task.  The real kernel talks to epoll directly
    (``trampoline.poller.EpollPoller``) instead of through ``selectors``
    (``trampoline.poller.SelectorPoller``) to save an object per ready
    socket.

Run it: python3 docs/steps/step4.py
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


class read_wait(Trap):
    """yield read_wait(sock): wait until sock has data to read."""

    def __init__(self, sock):
        self.sock = sock


# === The kernel ===

class Kernel:
    def __init__(self):
        self.ready = deque()
        self.sleeping = []
        self.sequence = itertools.count()
        self.selector = selectors.DefaultSelector()    # NEW: epoll on Linux
        self.next_id = 1
        self.handlers = {
            current: self.trap_current,
            spawn: self.trap_spawn,
            sleep: self.trap_sleep,
            read_wait: self.trap_read_wait,
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
            self.wait_for_io()              # NEW: instead of time.sleep
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
            self.resume(key.data, None)             # key.data is the waiting task

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True: it may run
        again; False: it parked, or it ended."""
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

    # --- the handlers: each returns the trap's result, or PARKED

    def trap_current(self, task, trap):
        return task

    def trap_spawn(self, task, trap):
        return self.spawn(trap.coro)

    def trap_sleep(self, task, trap):
        wake_at = time.monotonic() + trap.seconds
        heapq.heappush(self.sleeping, (wake_at, next(self.sequence), task))
        return self.park(task, trap)

    def trap_read_wait(self, task, trap):
        # "Tell me when this socket is readable; this task is waiting for it."
        self.selector.register(trap.sock, selectors.EVENT_READ, task)
        return self.park(task, trap)


# === Demo ===

def reader(sock):
    print("reader: waiting for data")
    yield read_wait(sock)               # parked; other tasks run meanwhile
    print("reader: got", sock.recv(100))    # cannot block: data is there
    sock.close()


def writer(sock):
    for n in range(3):
        print("writer: busy with something else, part", n + 1)
        yield sleep(0.01)
    print("writer: sending b'ping'")
    sock.send(b"ping")
    sock.close()


def main():
    left, right = socket.socketpair()   # two connected sockets
    yield spawn(reader(left))
    yield spawn(writer(right))


if __name__ == "__main__":
    Kernel().run(main())
