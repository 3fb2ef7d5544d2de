#!/usr/bin/env python3
"""The floor: the smallest honest generator kernel, a measuring stick for
what a pure-Python generator kernel costs per request at the least.

Tasks are generators yielding two traps, Read and Write.  One ready deque;
one level-triggered epoll, in which a connection is registered (for reading)
once, when it is accepted, and stays until it is closed; one dict of the
parked tasks by descriptor.  A read waits first and receives once epoll says
the socket is readable; a write sends at once, and parks (for writability)
only for the rest of a partial send.  No timers, no cancellation, no
fairness, no error handling beyond what correctness needs: a reset reads as
the end of the stream, a send that fails closes the task.
"""

import select
import socket
from collections import deque

from common import BACKLOG, HOST, READ_SIZE, RESPONSE, parse_args, ready, responses, serve


class Read:
    __slots__ = ("sock", "data")

    def __init__(self, sock, data=None):
        self.sock, self.data = sock, data


class Write(Read):
    __slots__ = ()


def echo(client):
    with client:
        while True:
            data = yield Read(client)
            if not data:
                return
            yield Write(client, data)


def http(client):
    with client:
        buffer = b""
        while True:
            data = yield Read(client)
            if not data:
                return
            count, buffer = responses(buffer + data)
            if count:
                yield Write(client, RESPONSE * count)


def run(listener, handler):
    poller, parked, tasks = select.epoll(), {}, deque()

    def step(task, value, trap=None):
        """Run ``task`` until it parks or ends (``trap``: a write to finish first)."""
        while True:
            if trap is None:
                try:
                    trap = task.send(value)
                except StopIteration:
                    return
            if trap.__class__ is Read:
                parked[trap.sock.fileno()] = task, trap
                return
            try:
                sent = trap.sock.send(trap.data)
            except BlockingIOError:
                sent = 0
            except OSError:             # the peer has gone
                return task.close()
            if sent < len(trap.data):
                trap.data = memoryview(trap.data)[sent:]
                parked[trap.sock.fileno()] = task, trap
                return poller.modify(trap.sock.fileno(), select.EPOLLOUT)
            trap = value = None

    poller.register(listener.fileno(), select.EPOLLIN)
    while True:
        while tasks:
            step(*tasks.popleft())
        for fd, _ in poller.poll():
            if fd == listener.fileno():
                accept(listener, poller, tasks, handler)
                continue
            task, trap = parked.pop(fd)
            if trap.__class__ is Write:
                poller.modify(fd, select.EPOLLIN)
                step(task, None, trap)
                continue
            try:
                data = trap.sock.recv(READ_SIZE)
            except OSError:             # reset by the peer: the end
                data = b""
            step(task, data)


def accept(listener, poller, tasks, handler):
    while True:
        try:
            client, _ = listener.accept()
        except BlockingIOError:
            return
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        poller.register(client.fileno(), select.EPOLLIN)
        tasks.append((handler(client), None))


def main(args):
    listener = socket.create_server((HOST, args.port), backlog=BACKLOG)
    listener.setblocking(False)
    ready(listener.getsockname()[1])
    run(listener, echo if args.mode == "echo" else http)


if __name__ == "__main__":
    args = parse_args(__doc__)
    serve(lambda: main(args), args)
