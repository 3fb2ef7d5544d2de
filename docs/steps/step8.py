"""Step 8: exceptions and cancellation -- errors raised at the yield.

What this step adds
    A generator can be resumed two ways: ``send(value)`` makes its paused
    ``yield`` return ``value``; ``throw(error)`` makes it *raise* ``error``
    right there.  The kernel now uses both (``Task.error``), so every error
    lands in the task that caused it, as if the ``yield`` were a call:

    * a failed trap (``recv`` on a closed socket, a bad yield such as
      ``yield 42``) raises at the ``yield`` that made it;
    * an exception escaping a subroutine pops its frame and is raised in
      the caller, at the ``yield`` that called it -- the trampoline now
      carries errors up the task's stack as it carries return values;
    * an exception escaping the task itself ends the task; ``join`` raises
      ``TaskError`` (its ``__cause__`` the task's error).

    Cancellation is one more case of the same thing: ``yield
    cancel(task)`` throws ``Cancelled`` into ``task`` at the ``yield``
    where it is parked.  The kernel first takes it off whatever it waits
    on (``unpark``: the timer heap, the selector, a join), so nothing wakes
    it twice.  Its ``finally`` and ``with`` blocks run as the exception
    unwinds, and the canceller waits until the task has ended.

Why
    A kernel that swallowed errors, or crashed on them, would be useless:
    one bad connection must not take down the others, and a task that is
    stopped must still close its sockets.  Raising at the ``yield`` makes
    async code handle errors exactly like ordinary code: ``try``,
    ``except``, ``finally``, ``with``.

In trampoline/
    The ``throw`` and ``except BaseException`` parts of
    ``trampoline.kernel.Kernel._run_until``.
    ``trampoline.kernel.Kernel._trap_cancel`` and
    ``trampoline.kernel.Kernel._cancel`` deliver the exception;
    ``trampoline.kernel.Kernel._unpark`` finds how to unpark in the table
    ``trampoline.kernel.Kernel._unparkers`` (a timer is marked dead rather
    than cut out of the heap: ``trampoline.kernel.Kernel._unpark_sleeper``).
    ``trampoline.kernel.Kernel._trap_other`` turns a bad yield into a
    ``TypeError`` that names the task, the value and the line.  The errors
    are ``trampoline.errors.Cancelled`` and ``trampoline.errors.TaskError``.

    The real kernel does more.  A task woken *with* a value (a lock handed
    over, an item from a queue) keeps it, and the ``Cancelled`` waits in
    ``trampoline.task.Task._pending`` for its next blocking trap, so no
    wake-up is lost; here the ``Cancelled`` simply replaces the value.  It
    logs a crash nobody joined (``trampoline.task.Task._crashed_unseen``),
    and when ``run`` ends it cancels every task still alive
    (``trampoline.kernel.Kernel._shutdown``).

Run it: python3 docs/steps/step8.py
"""

import errno
import heapq
import itertools
import selectors
import socket
import time
import types
from collections import deque

PARKED = object()


# === Errors ===

class Cancelled(BaseException):
    """Raised inside a task, at its yield, to stop it.  Not an Exception,
    so a task's "except Exception:" does not swallow it by mistake."""


class TaskError(Exception):
    """join() raises this when the task failed; __cause__ says why."""


# === Tasks ===

class Task:
    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro                # the generator running now: the innermost call
        self.stack = []                 # its callers, outermost first
        self.value = None
        self.error = None               # NEW: or an exception to throw in instead
        self.waiting = None
        self.trap = None
        self.done = False               # finished?
        self.result = None              # what it returned
        self.exception = None           # NEW: or the exception it ended with
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


class cancel(Trap):
    """yield cancel(task): raise Cancelled in task, wait until it has ended."""

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
            cancel: self.trap_cancel,
            types.GeneratorType: self.trap_call,   # yield a generator: call it
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
                if task.error is None:
                    trap = task.coro.send(task.value)
                else:                       # NEW: raise the error at its yield
                    error, task.error = task.error, None
                    trap = task.coro.throw(error)
            except StopIteration as stop:
                return self.returned(task, stop.value, None)
            # NEW: it raised.  (Not KeyboardInterrupt: Ctrl-C should stop the kernel.)
            except (Exception, Cancelled) as error:
                return self.returned(task, None, error)
        # NEW: a value that is no trap gets an error too (trap_bad_yield)
        handler = self.handlers.get(type(trap), self.trap_bad_yield)
        try:
            result = handler(task, trap)
        except Exception as error:          # NEW: the trap failed: the task gets the error
            task.error = error
            return True
        if result is PARKED:
            return False
        task.value = result
        return True

    def returned(self, task, value, error):
        """The running generator returned ``value`` or raised ``error``."""
        if task.stack:                      # a subroutine: its caller goes on,
            task.coro = task.stack.pop()
            task.value = value              # and gets the value --
            task.error = error              # or the error, raised at its yield
            return True
        self.exit(task, value, error)
        return False

    def exit(self, task, result, error):
        """``task`` has ended: keep the outcome, wake whoever waits for it."""
        task.done = True
        task.result = result
        task.exception = error
        for waiter in task.joiners:
            if not isinstance(waiter.waiting, join):
                self.resume(waiter)         # a canceller: it only waited for the end
            elif error is None:
                self.resume(waiter, result)
            else:
                self.resume(waiter, error=failed(task))
        task.joiners = []

    def park(self, task, trap):
        """Note what ``task`` waits on, and tell the loop not to requeue it."""
        task.waiting = trap
        return PARKED

    def resume(self, task, value=None, error=None):
        """Wake a parked task: on its next turn ``value`` comes out of its
        yield -- or ``error`` is raised there."""
        task.waiting = None
        task.value = value
        task.error = error                  # NEW: wake it with an error instead
        self.ready.append(task)

    def unpark(self, task):
        """Take a parked task off whatever it waits on."""
        trap = task.waiting
        if isinstance(trap, sleep):         # rebuild the heap without it (simple, O(n))
            self.sleeping = [entry for entry in self.sleeping if entry[2] is not task]
            heapq.heapify(self.sleeping)
        elif isinstance(trap, (join, cancel)):
            trap.task.joiners.remove(task)
        else:                               # accept, read, write: the selector
            self.selector.unregister(trap.sock)

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
            if target.exception is not None:
                raise failed(target)        # NEW: thrown into the joiner
            return target.result
        target.joiners.append(task)         # exit() will wake this task
        return self.park(task, trap)

    def trap_cancel(self, task, trap):
        target = trap.task
        if target.done:
            return None
        if target is task:
            raise Cancelled()               # cancelling yourself: at once
        if target.waiting is not None:      # parked: unpark it, wake it with the error
            self.unpark(target)
            self.resume(target, error=Cancelled())
        else:                               # on the ready queue already:
            target.trap = None              # drop a woken I/O trap, never run it
            target.error = Cancelled()      # and throw instead of sending
        target.joiners.append(task)         # wait until it has finished cleaning up
        return self.park(task, trap)

    def trap_bad_yield(self, task, value):
        raise TypeError("task %d yielded %r, which is not a trap" % (task.id, value))

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


def failed(task):
    """The error join raises for a task that ended with an exception."""
    error = TaskError("task %d failed" % task.id)
    error.__cause__ = task.exception        # shown as "the direct cause" in a traceback
    return error


# === Demo ===

def parse(text):
    yield sleep(0)
    return int(text)                    # raises ValueError for "forty-two"


def worker():
    try:
        print("worker: sleeping for an hour")
        yield sleep(3600)
        print("worker: this line never runs")
    finally:
        print("worker: cleaning up in finally")


def main():
    # 1. An error in a subroutine comes out of the yield that called it.
    try:
        yield parse("forty-two")
    except ValueError as error:
        print("main: parse() raised", repr(error))

    # 2. A failed trap raises at the yield that made it.
    sock, other = socket.socketpair()
    sock.close()
    try:
        yield read(sock, 100)
    except OSError as error:
        print("main: read() on a closed socket raised", errno.errorcode[error.errno])
    other.close()
    try:
        yield 42
    except TypeError as error:
        print("main: yield 42 raised TypeError:", error)

    # 3. Cancellation: Cancelled is raised where the worker waits.
    task = yield spawn(worker())
    yield sleep(0.01)
    yield cancel(task)
    print("main: the worker ended with", repr(task.exception))
    try:
        yield join(task)
    except TaskError as error:
        print("main: join() raised TaskError: %s, caused by %r" % (error, error.__cause__))


if __name__ == "__main__":
    Kernel().run(main())
