"""Step 6: spawn and join -- waiting for another task, and its return value.

What this step adds
    ``spawn`` (step 2) starts a task and hands back its ``Task``.  Now a
    task can also *end* with a value: a generator's ``return x`` raises
    ``StopIteration(x)`` out of ``send``, and the kernel keeps ``x`` as the
    task's result.  ``yield join(task)`` waits for a task to finish and
    returns that result::

        task = yield spawn(square(3))
        nine = yield join(task)         # parked until square() returns

    If the task is already done, ``join`` answers at once.  If not, the
    joiner parks in the task's list of ``joiners``, and ``exit`` wakes them
    all when it ends.  ``run(main)`` now returns what ``main`` returned.

Why
    Spawning alone is fire-and-forget.  Real programs fan work out to tasks
    and gather the answers; ``join`` is the smallest primitive for that,
    and waiting on a *task* uses the same parking as waiting on a timer or
    a socket: a list of who to wake, and ``resume``.

In trampoline/
    ``trampoline.kernel.Kernel._trap_join`` and
    ``trampoline.kernel.Kernel._exit``; the list is
    ``trampoline.task.Task._joiners``.  The real ``run`` is
    ``trampoline.lifetime.Lifetime.run``, and a real ``Task`` shows
    ``trampoline.task.Task.done`` and ``trampoline.task.Task.result``.

Run it: python3 docs/steps/step6.py
"""

import heapq
import itertools
import selectors
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
        self.trap = None
        self.done = False               # NEW: finished?
        self.result = None              # NEW: what it returned
        self.joiners = []               # NEW: tasks parked in join() on it


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


class join(Trap):
    """value = yield join(task): wait for task to finish; its return value."""

    def __init__(self, task):
        self.task = task


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
            join: self.trap_join,
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
        """Run ``main`` and every task it spawns; return what ``main`` returned."""
        main = self.spawn(main)             # NEW: kept, for its result
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
        return main.result                  # NEW

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
            task.trap = task.waiting        # on its turn, its trap runs again
            task.waiting = None
            self.ready.append(task)

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True: it may run
        again; False: it parked, or it ended."""
        trap = task.trap                    # a woken I/O trap goes first
        task.trap = None
        if trap is None:
            try:
                trap = task.coro.send(task.value)
            except StopIteration as stop:   # NEW: return x raises StopIteration(x)
                self.exit(task, stop.value)
                return False
        handler = self.handlers[type(trap)]
        result = handler(task, trap)
        if result is PARKED:
            return False
        task.value = result
        return True

    def exit(self, task, result):
        """``task`` has returned ``result``: keep it, wake whoever joins it."""
        task.done = True
        task.result = result
        for joiner in task.joiners:
            self.resume(joiner, result)
        task.joiners = []

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

    def trap_join(self, task, trap):
        target = trap.task
        if target.done:                     # already finished: answer at once
            return target.result
        target.joiners.append(task)         # exit() will wake this task
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

def square(n, seconds):
    yield sleep(seconds)                # pretend to work
    print("square(%d) finished" % n)
    return n * n


def main():
    slow = yield spawn(square(3, 0.04))
    fast = yield spawn(square(4, 0.02))
    print("main: joining square(3) first")
    nine = yield join(slow)             # parks: square(3) is still running
    print("main: square(3) ->", nine)
    sixteen = yield join(fast)          # answers at once: it finished already
    print("main: square(4) ->", sixteen)
    return nine + sixteen


if __name__ == "__main__":
    print("run() returned", Kernel().run(main()))
