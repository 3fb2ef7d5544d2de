"""Step 7: the trampoline -- subroutines that return values.

What this step adds
    A task is one generator, but programs are made of functions that call
    functions.  ``result = yield subroutine(args)`` *calls* a generator
    function from inside a task: the kernel sees a generator come out
    instead of a trap, pushes the caller onto the task's own ``stack`` and
    runs the callee in its place (``trap_call``).  When the callee returns,
    the kernel pops the caller and sends it the return value.  The callee
    can yield traps of its own -- ``read``, ``sleep``, deeper calls -- and
    they reach the kernel directly, not through its callers::

        def read_line(sock):            # a subroutine: a generator function
            ...
            return line

        line = yield read_line(sock)    # a call that may wait, many times

    The kernel bounces control between caller and callee like a ball on a
    trampoline -- hence the name.

Why
    Without it, every helper that does I/O would have to be its own task.
    (``yield from`` chains generators too, but each level is a level of
    the Python stack.)  Here the stack stays flat: the kernel resumes only
    the innermost generator, and calls nest ten thousand deep in the demo.

In trampoline/
    The generator case in the ``step`` made by
    ``trampoline.kernel.Kernel._stepper`` ("a subroutine call", "a
    subroutine returned"), and ``trampoline.kernel.Kernel._trap_call``: how
    an ``async def`` calls generator code.  The callers wait in
    ``trampoline.task.Task._stack``; the callee is ``trampoline.task.Task._coro``.

Run it: python3 docs/steps/step7.py
"""

import heapq
import itertools
import selectors
import sys
import time
import types
from collections import deque

PARKED = object()


# === Tasks ===

class Task:
    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro                # the generator running now: the innermost call
        self.stack = []                 # NEW: its callers, outermost first
        self.value = None
        self.waiting = None
        self.trap = None
        self.done = False               # finished?
        self.result = None              # what it returned
        self.joiners = []               # tasks parked in join() on it


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
            types.GeneratorType: self.trap_call,   # NEW: yield a generator: call it
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
        main = self.spawn(main)
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
        return main.result

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
            except StopIteration as stop:   # return x raises StopIteration(x)
                if task.stack:              # NEW: a subroutine returned:
                    task.coro = task.stack.pop()    # its caller goes on,
                    task.value = stop.value         # and gets the return value
                    return True
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

    def trap_call(self, task, callee):
        task.stack.append(task.coro)        # the caller waits on the task's stack
        task.coro = callee                  # the callee runs in its place
        return None                         # a new generator must be sent None first

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

def add_slowly(a, b):
    yield sleep(0.01)                   # a subroutine may use traps, like a task
    return a + b


def depth(n):
    """n nested calls deep, then back up: returns n."""
    if n == 0:
        return 0
    below = yield depth(n - 1)          # a call, not a new task
    return below + 1


def main():
    total = yield add_slowly(2, 3)
    print("add_slowly(2, 3) returned", total)
    n = yield depth(10000)
    print("depth(10000) returned", n)
    print("(the recursion limit for ordinary calls is %d)" % sys.getrecursionlimit())


if __name__ == "__main__":
    Kernel().run(main())
