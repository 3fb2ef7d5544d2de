"""Step 11: wait before reading -- no exception for data not there yet.

What this step adds
    Nothing new for tasks again: the traps mean what they meant.  Until
    now ``read`` tried ``recv`` first and waited only if it found nothing.
    Now it waits first, and reads when the selector says the socket is
    readable.  (``accept`` and ``write`` still try first: under load
    connections queue up, and the send buffer usually has room.)

Why
    On a server the next request is rarely there yet when the task asks
    for it, and a ``recv`` that finds nothing raises ``BlockingIOError``:
    a system call and an exception per read, for nothing.

In trampoline/
    ``trampoline.descriptors.DescriptorWaiting._trap_read`` waits first,
    with the trap's own flag ``trampoline.traps.read.waited``; its
    ``trampoline.descriptors.DescriptorWaiting._trap_accept`` tries first.

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
        self.handlers[read] = self.trap_read

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


# === Demo: step 10 against step 11 ===
# Stand-ins for the selector and the sockets count the system calls.
# Step 12 measures with the same ping-pong.

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


def compare(old_step, new_step, names, rows, rounds=100):
    """Print the counts of ``rows`` ((label, [names]) pairs) for two steps."""
    old = measure_ping_pong(old_step, rounds)
    new = measure_ping_pong(new_step, rounds)
    print("ping-pong over a socket pair, %d round trips:" % rounds)
    print("%-34s %7s %7s" % ("", names[0], names[1]))
    for label, names in rows:
        print("%-34s %7d %7d" % (label, sum(old[n] for n in names), sum(new[n] for n in names)))


def main():
    compare(step10, this_step, ["step 10", "step 11"], [
        ("recv calls", ["recv"]),
        ("recv calls that would block", ["recv would block"]),
        ("select calls", ["select"]),
    ])


if __name__ == "__main__":
    main()
