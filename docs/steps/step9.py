"""Step 9: fairness and speed -- what the real kernel does beyond the steps.

What this step adds
    Nothing new for tasks: the traps mean what they meant.  Four changes
    make the step 8 kernel fair and fast, and the demo measures them:

    1. *Run a task on while its traps complete at once.*  A ``write`` that
       fits in the buffer, ``current()``, a subroutine call: the task gets
       its result and runs on at once, instead of queueing behind every
       other task for each trap.
    2. *A budget per turn.*  That alone would let a task that never waits
       run forever and starve the rest.  After ``BUDGET`` traps in a row
       it goes to the back of the ready queue.
    3. *Wait before reading.*  ``read`` no longer tries ``recv`` first: on
       a server the next request is rarely there yet, and a ``recv`` that
       finds nothing raises ``BlockingIOError`` -- an exception per read.
       (``accept`` and ``write`` still try first: under load connections
       queue up, and the send buffer usually has room.)
    4. *Keep sockets registered across waits.*  Registering and
       unregistering a socket is a system call each; a connection is read
       over and over, so it stays registered, and the kernel keeps its own
       table of who waits on what (``io_waiters``).  A registration nobody
       waits on is dropped when it shows up ready, and a task's sockets are
       released when it ends.

Why
    Steps 1-8 are correct, but each trap took a trip through the ready
    queue and each wait cost two system calls and often an exception.
    That is most of the difference between a kernel for reading and a fast
    one.  None of it changes what tasks see -- which is why it comes last.

In trampoline/
    The first two live in ``trampoline.kernel.Kernel._run_until``: its
    inner ``while True`` runs a task on, ``trampoline.kernel.BUDGET``
    bounds it.
    Waiting first is ``trampoline.kernel.Kernel._trap_read`` with
    ``trampoline.traps.read.waited`` (``trampoline.kernel.Kernel._trap_accept``
    tries first).  Registrations are ``trampoline.kernel._Registration``
    records in ``trampoline.kernel.Kernel._fds``, made by
    ``trampoline.kernel.Kernel._register`` and
    ``trampoline.kernel.Kernel._wait_readable``, dropped by
    ``trampoline.kernel.Kernel._drop_idle`` and
    ``trampoline.kernel.Kernel._release``; the real table keeps a reader
    *and* a writer per descriptor, where this one allows one waiter per
    socket.  The real loop also hoists attributes into local variables,
    and uses epoll without ``selectors`` (``trampoline.poller.EpollPoller``).

Run it: python3 docs/steps/step9.py   (it imports step8.py, to compare)
"""

import heapq
import itertools
import selectors
import socket
import sys
import time
import types
from collections import deque

PARKED = object()
BUDGET = 50             # NEW: traps a task may complete in one turn


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
        self.error = None               # or an exception to throw in instead
        self.waiting = None
        self.trap = None
        self.done = False               # finished?
        self.result = None              # what it returned
        self.exception = None           # or the exception it ended with
        self.joiners = []               # tasks parked in join() on it
        self.sockets = []               # NEW: sockets it registered (released at its end)


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
        self.waited = False             # NEW: has it waited for data yet?


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
        self.io_waiters = {}            # NEW: socket -> the task waiting on it now
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
        # A task waiting for I/O keeps it going too.
        while self.ready or self.sleeping or self.io_waiters:
            # 1. Every task ready now runs: until it parks, or for BUDGET traps.
            for _ in range(len(self.ready)):
                task = self.ready.popleft()
                budget = BUDGET
                while self.step(task):      # NEW: its trap is done: run it on, now
                    budget -= 1
                    if budget == 0:         # NEW: its fair share is used: to the back
                        self.ready.append(task)
                        break
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
        elif self.io_waiters:
            timeout = None                  # only I/O can wake anyone: wait for it
        else:
            return                          # nothing to wait for: the loop ends
        for key, events in self.selector.select(timeout):
            task = self.io_waiters.pop(key.fileobj, None)
            if task is None:                # NEW: ready, but nobody waits on it now:
                self.forget(key.fileobj)    # stop watching, or select() says so every turn
                continue
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
                else:                       # raise the error at its yield
                    error, task.error = task.error, None
                    trap = task.coro.throw(error)
            except StopIteration as stop:
                return self.returned(task, stop.value, None)
            # it raised.  (Not KeyboardInterrupt: Ctrl-C should stop the kernel.)
            except (Exception, Cancelled) as error:
                return self.returned(task, None, error)
        handler = self.handlers.get(type(trap), self.trap_bad_yield)
        try:
            result = handler(task, trap)
        except Exception as error:          # the trap failed: the task gets the error
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
        for sock in task.sockets:           # NEW: its registrations end with it
            if sock not in self.io_waiters:  # (unless another task waits on one now)
                self.forget(sock)

    def park(self, task, trap):
        """Note what ``task`` waits on, and tell the loop not to requeue it."""
        task.waiting = trap
        return PARKED

    def resume(self, task, value=None, error=None):
        """Wake a parked task: on its next turn ``value`` comes out of its
        yield -- or ``error`` is raised there."""
        task.waiting = None
        task.value = value
        task.error = error                  # wake it with an error instead
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
            del self.io_waiters[trap.sock]  # NEW: its registration stays, for next time

    def wait_for(self, task, trap, sock, event):
        """Park ``task`` until ``sock`` is ready for ``event`` (read or write).
        NEW: the socket stays registered after the wait, so waiting on it
        again costs no system call."""
        if sock in self.io_waiters:         # (step 8's register() refused this too)
            raise RuntimeError("another task is already waiting on %r" % sock)
        key = self.selector.get_map().get(sock.fileno())
        if key is not None and key.fileobj is not sock:   # the number of a closed
            self.forget(key.fileobj)                       # socket, reused: start over
            key = None
        if key is None:
            self.selector.register(sock, event)     # the first wait: a system call
            task.sockets.append(sock)
        elif key.events != event:
            self.selector.modify(sock, event)       # the other direction: a system call
        self.io_waiters[sock] = task
        return self.park(task, trap)

    def forget(self, sock):
        """Stop watching ``sock``, if the selector still does."""
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):      # already forgotten
            pass

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
                raise failed(target)        # thrown into the joiner
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
        # NEW: wait first, then read.  The data is rarely there yet, and a
        # recv that finds none costs an exception.
        if not trap.waited:
            trap.waited = True
            return self.wait_for(task, trap, trap.sock, selectors.EVENT_READ)
        try:
            return trap.sock.recv(trap.nbytes)
        except BlockingIOError:             # woken, but no data after all: wait again
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


# === Demo: measure step 8 against step 9 ===
# Both kernels run the same tasks.  The counting is done from outside, by
# stand-ins for the selector, the sockets and the ready queue, so neither
# kernel carries any counting code.  Each function takes the step's module
# (step8, or this file) to use its Kernel and traps.

import collections

import step8                            # docs/steps/step8.py, next to this file

this_step = sys.modules[__name__]       # this file as a module: its Kernel, read, ...


class Spy:
    """Stands in for ``target``, counting calls to its methods, and the
    calls that would have blocked (BlockingIOError)."""

    def __init__(self, target, counts):
        self.target = target
        self.counts = counts

    def __getattr__(self, name):
        method = getattr(self.target, name)

        def counted(*args):
            self.counts[name] += 1
            try:
                return method(*args)
            except BlockingIOError:
                self.counts[name + " would block"] += 1
                raise
        return counted


class CountingQueue(collections.deque):
    """A ready queue that counts the tasks put on it."""

    def __init__(self, counts):
        super().__init__()
        self.counts = counts

    def append(self, task):
        self.counts["trips through the ready queue"] += 1
        super().append(task)


def pinger(module, sock, rounds):
    for _ in range(rounds):
        yield module.write(sock, b"ping")
        yield module.read(sock, 4)


def ponger(module, sock, rounds):
    for _ in range(rounds):
        yield module.read(sock, 4)
        yield module.write(sock, b"pong")


def hog(module, log):
    for _ in range(120):
        log.append("hog")
        yield module.current()          # completes at once: never waits


def ticker(module, log):
    for _ in range(3):
        log.append("ticker")
        yield module.sleep(0)


def gather(module, *coros):
    """Spawn every coroutine, then join them all."""
    tasks = []
    for coro in coros:
        tasks.append((yield module.spawn(coro)))
    for task in tasks:
        yield module.join(task)


def measure_ping_pong(module, rounds):
    counts = collections.Counter()
    kernel = module.Kernel()
    kernel.ready = CountingQueue(counts)
    kernel.selector = Spy(kernel.selector, counts)
    # A Unix socket pair: what one end sends is readable at the other end
    # at once, so every run counts the same.
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    left_spy, right_spy = Spy(left, counts), Spy(right, counts)
    kernel.run(gather(module, pinger(module, left_spy, rounds),
                      ponger(module, right_spy, rounds)))
    left.close()
    right.close()
    return counts


def who_ran(module):
    log = []
    module.Kernel().run(gather(module, hog(module, log), ticker(module, log)))
    runs = []                           # "hog x50", "ticker", ...
    for name, group in itertools.groupby(log):
        n = len(list(group))
        runs.append(name if n == 1 else "%s x%d" % (name, n))
    return ", ".join(runs)


def main():
    rounds = 100
    old = measure_ping_pong(step8, rounds)
    new = measure_ping_pong(this_step, rounds)
    print("ping-pong over a socket pair, %d round trips:" % rounds)
    print("%-34s %7s %7s" % ("", "step 8", "step 9"))
    rows = [
        ("trips through the ready queue", ["trips through the ready queue"]),
        ("recv calls", ["recv"]),
        ("recv calls that would block", ["recv would block"]),
        ("register + modify + unregister", ["register", "modify", "unregister"]),
        ("select calls", ["select"]),
    ]
    for label, names in rows:
        print("%-34s %7d %7d" % (label, sum(old[n] for n in names), sum(new[n] for n in names)))
    print()
    print("who ran, in order: a task that never waits, and one that sleeps(0)")
    print("step 8:", who_ran(step8))
    print("step 9:", who_ran(this_step))


if __name__ == "__main__":
    main()
