#!/usr/bin/env python3
"""A multi-user chat over TCP.

    python3 examples/chat_server.py [--host 127.0.0.1] [--port 25001]
    python3 examples/telnet.py 127.0.0.1 25001        # in other terminals

The first line a client sends is its name; every line after that goes to
everybody else as "name: line".  "/quit" leaves.

Each client has an outbox: a bounded ``Queue`` and a task that writes it to
the socket.  A message is delivered with ``put_nowait``, so one slow client
never holds up the others -- and a client too slow to keep up, whose outbox
is full, is told so and disconnected, instead of making the server's memory
grow without bound.

``run_server`` accepts the clients (and, out of descriptors, waits a
little and tries again rather than dying); Ctrl-C or SIGTERM stops it
gracefully -- every client sees the end of its stream and leaves -- with
exit status 0.  A port out of range or an address in use: one line
saying which, exit status 1.
"""

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import Event, Queue, QueueFull, TaskGroup, ignore_after, sleep  # noqa: E402
from trampoline.net import check_port, format_address  # noqa: E402
from trampoline.workers import run_server  # noqa: E402

LINE_LIMIT = 65536


class Client:
    def __init__(self, stream, address, outbox_size):
        self.stream = stream
        self.address = address
        self.name = "%s:%d" % address[:2]
        self.outbox = Queue(outbox_size)
        self.dropped = False
        self.farewell = None        # the last word the reader asks to send, if any
        self.gone = Event()         # set when either side ends, or on a drop


class ChatRoom:
    def __init__(self, outbox_size):
        self.outbox_size = outbox_size
        self.clients = set()

    def broadcast(self, line, sender=None):
        """Give ``line`` to every client but ``sender``; never blocks."""
        for client in list(self.clients):
            if client is sender or client.dropped:
                continue
            try:
                client.outbox.put_nowait(line)
            except QueueFull:
                self.drop(client)

    def drop(self, client):
        """A client too slow to keep up: let it go (serve says why)."""
        client.dropped = True
        self.clients.discard(client)
        client.gone.set()

    def serve(self, stream, address):
        """One client's connection: the handler ``run_server`` runs."""
        client = Client(stream, address, self.outbox_size)
        with stream:
            group = TaskGroup()
            yield group.spawn(self.ended(self.reader(client), client))
            yield group.spawn(self.ended(self.writer(client), client))
            try:
                yield client.gone.wait()
            finally:
                yield group.cancel_remaining()      # the writer may be stuck
                if client.dropped:
                    client.farewell = b"* you are too slow to keep up; disconnected\n"
                elif client in self.clients:
                    self.clients.discard(client)
                    self.broadcast(b"* %s left\n" % client.name.encode())
                if client.farewell is not None:     # one last word, if it fits
                    # Written here, once the writer is gone: two tasks may
                    # not write one socket at once (ResourceBusy).
                    try:
                        yield ignore_after(1, stream.write(client.farewell))
                        yield ignore_after(1, linger(stream))
                    except OSError:
                        pass                        # the client is gone already

    def ended(self, coro, client):
        try:
            yield coro
        except OSError:                     # reset, broken pipe: the client is gone,
            pass                            # as if it had hung up
        finally:
            client.gone.set()

    def reader(self, client):
        stream = client.stream
        yield stream.write(b"Welcome! Your name? ")
        pending = b""
        named = False
        while True:
            data = yield stream.read(65536)
            if not data:
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            if len(pending) > LINE_LIMIT:
                lines.append(pending)       # too long already, its end or not
            for line in lines:
                # (Every line, not only the unfinished one: a line whose
                # end comes in the read after its first 64 KiB is whole.)
                if len(line) > LINE_LIMIT:
                    # Not written here: the writer may be in the middle of a
                    # write to this socket (serve says it, once it is gone).
                    client.farewell = b"* line too long; goodbye\n"
                    return
                line = line.rstrip(b"\r")
                if not named:
                    client.name = line.decode(errors="replace").strip() or client.name
                    named = True
                    self.clients.add(client)
                    self.broadcast(b"* %s joined\n" % client.name.encode(), sender=client)
                    client.outbox.put_nowait(b"* hello %s; %d here\n" % (
                        client.name.encode(), len(self.clients)))
                elif line == b"/quit":
                    return
                else:
                    self.broadcast(b"%s: %s\n" % (client.name.encode(), line), sender=client)
                    # The others' writers take it before the next line: many
                    # lines in one packet fill only the outboxes of clients
                    # that really are too slow, not of everyone.
                    yield sleep(0)

    def writer(self, client):
        while True:
            line = yield client.outbox.get()
            yield client.stream.write(line)


def linger(stream):
    """Close gently: say we are done, then read and drop what the client
    still sends.  Closing a socket with bytes unread resets the connection,
    and a reset can destroy the last words before the client reads them
    (``nc`` quits as its send fails)."""
    yield stream.write_eof()
    while (yield stream.read(65536)):
        pass

def say(line):
    """Print ``line`` on stdout, unless nobody reads it any more (``| head
    -1`` has exited, the terminal is gone, the disk is full): a server goes
    on serving, and stops with status 0, without it."""
    try:
        print(line, flush=True)
    except OSError:                     # EPIPE, EIO, ENOSPC: from now on, write nowhere
        null = os.open(os.devnull, os.O_WRONLY)     # (the last flush at exit too)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline chat server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25001, help="port; 0 picks one (default 25001)")
    parser.add_argument("--outbox", type=int, default=256,
                        help="lines queued per client before it counts as too slow (default 256)")
    parser.add_argument("--proxy-protocol", action="store_true",
                        help="behind a load balancer: read a PROXY header (v1 or v2) first")
    args = parser.parse_args(argv)
    # What the library logs (out of descriptors, a handler's crash), named as ours.
    logging.basicConfig(level=logging.WARNING, format="chat server: %(message)s")
    if args.outbox < 1:
        parser.error("--outbox must be at least 1, got %d" % args.outbox)

    def ready(address):
        say("chat server listening on %s" % format_address(address))   # ([::1]:8000)

    try:
        check_port(args.port, "--port")     # 99999: named as --port, as the clients do
        run_server(args.host, args.port, ChatRoom(args.outbox).serve, ready=ready,
                   proxy_protocol=args.proxy_protocol)
    except (OSError, ValueError) as exc:        # the port, the address: named
        print("chat server: %s" % exc, file=sys.stderr)
        return 1
    say("chat server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
