"""Exercise 11: make accept wait first too, and see why it tries first.

Give ``accept`` a ``waited`` flag and a handler that waits before it
accepts, as step 11's ``read`` does, then let a server take a burst of
five connections that are already queued.  Trying first takes them all
in one turn: five ``accept`` calls, and not one ``select``.  Waiting
first pays a ``select`` -- a turn of the loop -- and a registration for
each, to learn what trying would have found at once.  Under load
connections queue up, so ``accept`` (and ``write``) still try first.

Prints:
    a server accepts 5 connections, queued before it starts:
                            tries first  waits first
    accept calls                      5            5
    register + unregister             0           10
    select calls                      0            5
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import collections
import selectors
import socket

import step11
from step11 import Spy


class accept(step11.accept):
    """conn, address = yield accept(listener), waiting first."""

    def __init__(self, listener):
        super().__init__(listener)
        self.waited = False


class WaitingAccept(step11.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[accept] = self.trap_accept

    def trap_accept(self, task, trap):
        if isinstance(trap, accept) and not trap.waited:
            trap.waited = True              # wait first, as read does
            return self.wait_for(task, trap, trap.sock, selectors.EVENT_READ)
        return super().trap_accept(task, trap)


def server(accept_trap, listener, connections):
    for _ in range(connections):
        conn, address = yield accept_trap(listener)
        conn.close()


def measure(kernel_class, accept_trap, connections=5):
    counts = collections.Counter()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(connections)
    listener.setblocking(False)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(connections)]
    kernel = kernel_class()
    kernel.selector = Spy(kernel.selector, counts)
    kernel.run(server(accept_trap, Spy(listener, counts), connections))
    kernel.selector.close()
    for sock in clients + [listener]:
        sock.close()
    return counts


def main():
    first = measure(step11.Kernel, step11.accept)
    waits = measure(WaitingAccept, accept)
    print("a server accepts 5 connections, queued before it starts:")
    print("%-22s %12s %12s" % ("", "tries first", "waits first"))
    for label, names in [("accept calls", ["accept"]),
                         ("register + unregister", ["register", "unregister"]),
                         ("select calls", ["select"])]:
        print("%-22s %12d %12d" % (label, sum(first[n] for n in names),
                                   sum(waits[n] for n in names)))


if __name__ == "__main__":
    main()
