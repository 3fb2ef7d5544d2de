"""Step 12: keep sockets registered -- no system calls for a wait again.

What this step adds
    Nothing new for tasks again.  Until now every wait on a socket was a
    registration with the selector, and every wake-up an unregistration:
    a system call each.  A connection is read over and over, so now it
    stays registered across waits, and the kernel keeps its own table of
    who waits on what now (``io_waiters``).  A registration nobody waits
    on is dropped when it shows up ready, and a task's sockets are
    released when it ends.

Why
    Each wait cost two system calls (and ``select`` itself a third).  With
    step 11 that is most of the difference between a kernel for reading
    and a fast one.

In trampoline/
    Registrations are ``trampoline.descriptors._Registration`` records in
    ``trampoline.kernel.Kernel._fds``, made by
    ``trampoline.descriptors.DescriptorWaiting._register``, dropped by
    ``trampoline.descriptors.DescriptorWaiting._drop_idle`` and
    ``trampoline.descriptors.DescriptorWaiting._release``; the real table
    keeps a reader *and* a writer per descriptor, where this one allows one
    waiter per socket.  It uses epoll without ``selectors``
    (``trampoline.poller.EpollPoller``).

Run it: python3 docs/steps/step12.py   (it builds on step11.py, and compares)
"""

import sys
import time

import step11
from step11 import (PARKED, Cancelled, TaskError, Trap, accept, cancel, current, join,  # noqa: F401
                    read, sleep, spawn, write, gather, pinger, ponger)


# === The kernel ===

class Kernel(step11.Kernel):
    def __init__(self):
        super().__init__()
        self.io_waiters = {}            # NEW: socket -> the task waiting on it now

    def spawn(self, coro):
        task = super().spawn(coro)
        task.sockets = []               # NEW: sockets it registered (released at its end)
        return task

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
            timeout = max(0, self.sleeping[0][0] - time.monotonic())
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
        if isinstance(trap, (accept, read, write)):
            del self.io_waiters[trap.sock]  # NEW: its registration stays, for next time
        else:
            super().unpark(task)

    def exit(self, task, result, error=None):
        super().exit(task, result, error)
        for sock in task.sockets:           # NEW: its registrations end with it
            if sock not in self.io_waiters:  # (unless another task waits on one now)
                self.forget(sock)


# === Demo: step 11 against step 12 ===
# The same ping-pong as step 11's, counting the selector's system calls.

this_step = sys.modules[__name__]


def main():
    step11.compare(step11, this_step, ["step 11", "step 12"], [
        ("register + modify + unregister", ["register", "modify", "unregister"]),
        ("select calls", ["select"]),
    ])


if __name__ == "__main__":
    main()
