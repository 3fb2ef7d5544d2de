"""Step 11: wait before reading, and keep sockets registered.

What this step adds
    Nothing new for tasks again; two changes to the I/O waits:

    1. *Wait before reading.*  ``read`` no longer tries ``recv`` first: on
       a server the next request is rarely there yet, and a ``recv`` that
       finds nothing raises ``BlockingIOError`` -- an exception per read.
       (``accept`` and ``write`` still try first: under load connections
       queue up, and the send buffer usually has room.)
    2. *Keep sockets registered across waits.*  Registering and
       unregistering a socket is a system call each; a connection is read
       over and over, so it stays registered, and the kernel keeps its own
       table of who waits on what (``io_waiters``).  A registration nobody
       waits on is dropped when it shows up ready, and a task's sockets are
       released when it ends.

Why
    Each wait cost two system calls and often an exception.  That is most
    of the difference between a kernel for reading and a fast one.

In trampoline/
    Waiting first is ``trampoline.descriptors.DescriptorWaiting._trap_read``
    with ``trampoline.traps.read.waited``
    (``trampoline.descriptors.DescriptorWaiting._trap_accept`` tries first).
    Registrations are ``trampoline.descriptors._Registration`` records in
    ``trampoline.kernel.Kernel._fds``, made by
    ``trampoline.descriptors.DescriptorWaiting._register``, dropped by
    ``trampoline.descriptors.DescriptorWaiting._drop_idle`` and
    ``trampoline.descriptors.DescriptorWaiting._release``; the real table
    keeps a reader *and* a writer per descriptor, where this one allows one
    waiter per socket.  It uses epoll without ``selectors``
    (``trampoline.poller.EpollPoller``).

Run it: python3 docs/steps/step11.py   (it builds on step10.py, and compares)
"""

import collections
import selectors
import socket
import sys

import step10
from step10 import (PARKED, Cancelled, TaskError, Trap, accept, cancel, current, join,  # noqa: F401
                    sleep, spawn, write, gather)


# === Traps ===

class read(step10.read):
    """data = yield read(sock, nbytes): some bytes; b"" at the end."""

    def __init__(self, sock, nbytes):
        super().__init__(sock, nbytes)
        self.waited = False             # NEW: has it waited for data yet?


# === The kernel ===

class Kernel(step10.Kernel):
    def __init__(self):
        super().__init__()
        self.io_waiters = {}            # NEW: socket -> the task waiting on it now
        self.handlers[read] = self.trap_read

    def spawn(self, coro):
        task = super().spawn(coro)
        task.sockets = []               # NEW: sockets it registered (released at its end)
        return task

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

    def wait_for(self, task, trap, sock, event):
        """Park ``task`` until ``sock`` is ready for ``event`` (read or write).
        NEW: the socket stays registered after the wait, so waiting on it
        again costs no system call."""
        if sock in self.io_waiters:
            raise RuntimeError("another task is already waiting on %r" % sock)
        key = self.selector.get_map().get(sock.fileno())
        if key is not None and key.fileobj is not sock:   # the number of a closed
            self.forget(key.fileobj)                       # socket, reused: start over
            key = None
        if key is None:
            self.selector.register(sock, event)     # the first wait: a system call
        elif key.events != event:
            self.selector.modify(sock, event)       # the other direction: a system call
        if sock not in task.sockets:
            task.sockets.append(sock)       # it lets go of the registration when it ends
        self.io_waiters[sock] = task
        return self.park(task, trap)

    def forget(self, sock):
        """Stop watching ``sock``, if the selector still does."""
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):      # already forgotten
            pass

    def wait_for_io(self):
        """Ask the selector what is ready; wake the tasks waiting on it."""
        if self.ready:
            timeout = 0
        elif self.sleeping:
            timeout = max(0, self.sleeping[0][0] - step10.time.monotonic())
        elif self.io_waiters:               # NEW: a registration alone is no reason to wait
            timeout = None
        else:
            return
        for key, events in self.selector.select(timeout):
            task = self.io_waiters.pop(key.fileobj, None)
            if task is None:                # NEW: ready, but nobody waits on it now:
                self.forget(key.fileobj)    # stop watching, or select() says so every turn
                continue
            task.trap = task.waiting        # on its turn, its trap runs again
            task.waiting = None
            self.ready.append(task)

    def unpark(self, task):
        trap = task.waiting
        if isinstance(trap, (step10.accept, read, write)):
            del self.io_waiters[trap.sock]  # NEW: its registration stays, for next time
        else:
            super().unpark(task)

    def exit(self, task, result, error=None):
        super().exit(task, result, error)
        for sock in task.sockets:           # NEW: its registrations end with it
            if sock not in self.io_waiters:  # (unless another task waits on one now)
                self.forget(sock)


# === Demo: step 10 against step 11 ===
# Stand-ins for the selector and the sockets count the system calls.

this_step = sys.modules[__name__]


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


def pinger(module, sock, rounds):
    for _ in range(rounds):
        yield module.write(sock, b"ping")
        yield module.read(sock, 4)


def ponger(module, sock, rounds):
    for _ in range(rounds):
        yield module.read(sock, 4)
        yield module.write(sock, b"pong")


def measure_ping_pong(module, rounds):
    counts = collections.Counter()
    kernel = module.Kernel()
    kernel.selector = Spy(kernel.selector, counts)
    # A Unix socket pair: what one end sends is readable at the other end
    # at once, so every run counts the same.
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    kernel.run(gather(module, pinger(module, Spy(left, counts), rounds),
                      ponger(module, Spy(right, counts), rounds)))
    left.close()
    right.close()
    return counts


def main():
    rounds = 100
    old = measure_ping_pong(step10, rounds)
    new = measure_ping_pong(this_step, rounds)
    print("ping-pong over a socket pair, %d round trips:" % rounds)
    print("%-34s %7s %7s" % ("", "step 10", "step 11"))
    rows = [
        ("recv calls", ["recv"]),
        ("recv calls that would block", ["recv would block"]),
        ("register + modify + unregister", ["register", "modify", "unregister"]),
        ("select calls", ["select"]),
    ]
    for label, names in rows:
        print("%-34s %7d %7d" % (label, sum(old[n] for n in names), sum(new[n] for n in names)))


if __name__ == "__main__":
    main()
