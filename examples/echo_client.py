#!/usr/bin/env python3
"""An echo client: send lines, print what comes back.

    python3 examples/echo_client.py                 # each line of stdin
    python3 examples/echo_client.py --count 3       # "message 1" ... "message 3"
    python3 examples/echo_client.py --count 100 --connections 1000   # load

With several connections every one runs in its own task, all at once, and
checks each reply byte for byte; the client prints a summary and exits 1 if
anything went wrong.
"""

import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import connect, join, read, run, spawn, write  # noqa: E402


def open_connection(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def round_trip(sock, message):
    """Send ``message`` and read until the same number of bytes came back."""
    yield write(sock, message)
    reply = b""
    while len(reply) < len(message):
        data = yield read(sock, 65536)
        if not data:
            raise ConnectionError("server closed the connection after %d of %d bytes"
                                  % (len(reply), len(message)))
        reply += data
    return reply


def interactive(host, port):
    sock = yield open_connection(host, port)
    with sock:
        pending = b""
        while True:
            data = yield read(sys.stdin.fileno(), 4096)
            if not data:
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                reply = yield round_trip(sock, line + b"\n")
                print(reply.decode(errors="replace"), end="", flush=True)
    return 0


def client(host, port, count, verbose):
    """One connection sending ``count`` numbered messages; returns errors."""
    sock = yield open_connection(host, port)
    errors = 0
    with sock:
        for i in range(1, count + 1):
            message = b"message %d\n" % i
            reply = yield round_trip(sock, message)
            if reply != message:
                errors += 1
            if verbose:
                print(reply.decode(errors="replace"), end="", flush=True)
    return errors


def load(host, port, count, connections):
    started = time.monotonic()
    tasks = []
    for _ in range(connections):
        tasks.append((yield spawn(client(host, port, count, connections == 1))))
    errors = failed = 0
    first_failure = None
    for task in tasks:
        try:
            errors += yield join(task)
        except Exception as exc:
            failed += 1
            first_failure = first_failure or exc.__cause__ or exc
    elapsed = time.monotonic() - started
    if connections > 1 or failed:
        print("%d connections x %d messages: %d round trips in %.2f s, "
              "%d wrong replies, %d failed connections%s" % (
                  connections, count, (connections - failed) * count, elapsed,
                  errors, failed, " (first: %s)" % first_failure if first_failure else ""))
    return 1 if errors or failed else 0


def raise_fd_limit(wanted):
    try:
        import resource
    except ImportError:         # pragma: no cover - not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline echo client")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25000, help="server port (default 25000)")
    parser.add_argument("--count", type=int, default=None,
                        help="send this many numbered messages instead of reading stdin")
    parser.add_argument("--connections", type=int, default=1,
                        help="with --count: this many connections at once (default 1)")
    args = parser.parse_args(argv)
    if args.connections < 1 or (args.count is not None and args.count < 0):
        parser.error("--connections must be at least 1 and --count at least 0")
    raise_fd_limit(args.connections + 64)
    try:
        if args.count is None:
            return run(interactive(args.host, args.port))
        return run(load(args.host, args.port, args.count, args.connections))
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print("echo client: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
