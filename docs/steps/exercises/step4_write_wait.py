"""Exercise 4: add ``write_wait(sock)``, and fill a socket until it is full.

The same as ``read_wait`` with ``selectors.EVENT_WRITE``.  The demo sends
until the kernel's send buffer is full, waits until the reader has made
room, and sends the rest.

Prints:
    writer: the send buffer is full; waiting for room
    reader: reading, which makes room
    writer: room again; 1000000 bytes sent in all
    reader: got 1000000 bytes
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import selectors
import socket

import step4
from step4 import Trap, read_wait, spawn


class write_wait(Trap):
    """yield write_wait(sock): wait until sock has room to send."""

    def __init__(self, sock):
        self.sock = sock


class Kernel(step4.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[write_wait] = self.trap_write_wait

    def trap_write_wait(self, task, trap):
        self.selector.register(trap.sock, selectors.EVENT_WRITE, task)
        return self.park(task, trap)


def writer(sock, data):
    sent = waits = 0
    while sent < len(data):
        try:
            sent += sock.send(data[sent:])
        except BlockingIOError:
            if not waits:
                print("writer: the send buffer is full; waiting for room")
            waits += 1
            yield write_wait(sock)
    print("writer: room again; %d bytes sent in all" % sent)
    sock.close()


def reader(sock):
    print("reader: reading, which makes room")
    got = 0
    while True:
        yield read_wait(sock)
        data = sock.recv(1 << 20)
        if not data:
            break
        got += len(data)
    print("reader: got %d bytes" % got)
    sock.close()


def main():
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    yield spawn(writer(left, b"x" * 1000000))
    yield spawn(reader(right))


if __name__ == "__main__":
    Kernel().run(main())
