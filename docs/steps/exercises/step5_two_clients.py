"""Exercise 5: serve two clients at once.

The step's server accepts one connection.  Let it accept two, each echoed
by a task of its own, and connect the second client while the first is
still talking: the second is served at once, without waiting for the
first to finish.  (The server never waits for one client in particular;
only its tasks do.)

Prints:
    first: sending b'hello'
    first: got b'hello' back
    second: sending b'world'
    second: got b'world' back
    first: sending b'again'
    first: got b'again' back
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import socket

import step5
from step5 import Kernel, read, sleep, spawn, write


def echo(conn):
    while True:
        data = yield read(conn, 1024)
        if not data:
            break
        yield write(conn, data)
    conn.close()


def server(listener, connections):
    for _ in range(connections):
        conn, address = yield step5.accept(listener)
        yield spawn(echo(conn))         # one task per connection: accept goes on
    listener.close()


def client(name, address, words, pause):
    sock = socket.create_connection(address)
    sock.setblocking(False)
    for word in words:
        yield sleep(pause)
        print("%s: sending %r" % (name, word))
        yield write(sock, word)
        print("%s: got %r back" % (name, (yield read(sock, 1024))))
    sock.close()


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    address = listener.getsockname()
    yield spawn(server(listener, 2))
    # first speaks at 0.2 s and 0.4 s, second at 0.3 s: 0.1 s apart, so a
    # busy machine keeps the order.  (At 0.01 s apart it did not.)
    yield spawn(client("first", address, [b"hello", b"again"], 0.2))
    yield sleep(0.1)
    yield spawn(client("second", address, [b"world"], 0.2))


if __name__ == "__main__":
    Kernel().run(main())
