#!/usr/bin/env python3
"""An echo client: send lines, print what comes back.

    python3 examples/echo_client.py                 # each line of stdin
    python3 examples/echo_client.py --count 3       # "message 1" ... "message 3"
    python3 examples/echo_client.py --count 100 --connections 1000   # load
    python3 examples/echo_client.py --tls --cafile tests/tls_cert.pem --host localhost
    python3 examples/echo_client.py --unix /tmp/echo.sock --count 3

``open_connection`` resolves the host (off the loop), connects and returns a
``Stream``; ``readexactly`` collects each reply however the network splits
it.  With several connections every one runs in its own task, all at once,
and checks each reply byte for byte; the client prints a summary and exits
1 if anything went wrong.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import join, read, run, spawn  # noqa: E402
from trampoline.net import check_port, client_context  # noqa: E402
from trampoline.streams import (IncompleteReadError, open_connection,  # noqa: E402
                                open_unix_connection)


def connect(args, context):
    # A failed handshake -- a server that speaks no TLS, a certificate not
    # trusted -- raises an error that says with whom: "... (TLS handshake
    # with 127.0.0.1:25000)".
    if args.unix:
        return (yield open_unix_connection(args.unix, ssl=context,
                                           server_hostname=args.host if context else None))
    return (yield open_connection(args.host, args.port, ssl=context))


def round_trip(stream, message):
    """Send ``message`` and read until the same number of bytes came back."""
    yield stream.write(message)
    try:
        return (yield stream.readexactly(len(message)))
    except IncompleteReadError as exc:
        raise ConnectionError("server closed the connection after %d of %d bytes"
                              % (len(exc.partial), len(message))) from None


def interactive(args, context):
    # stdin closed (``<&-``): no input, as from /dev/null.  (Its descriptor 0
    # may be the socket by now: never read it then.)
    stdin = sys.stdin.fileno() if sys.stdin is not None else None
    stream = yield connect(args, context)
    with stream:
        pending = b""
        while True:
            data = (yield read(stdin, 4096)) if stdin is not None else b""
            pending += data
            *lines, pending = pending.split(b"\n")
            if not data and pending:
                lines.append(pending)       # the end of stdin: a last line without "\n"
            for line in lines:
                reply = yield round_trip(stream, line + b"\n")
                print(reply.decode(errors="replace"), end="", flush=True)
            if not data:
                return 0


def client(args, context, verbose):
    """One connection sending ``args.count`` numbered messages; returns errors."""
    stream = yield connect(args, context)
    errors = 0
    with stream:
        for i in range(1, args.count + 1):
            message = b"message %d\n" % i
            reply = yield round_trip(stream, message)
            if reply != message:
                errors += 1
            if verbose:
                print(reply.decode(errors="replace"), end="", flush=True)
    return errors


def load(args, context):
    started = time.monotonic()
    connections = args.connections
    tasks = []
    for _ in range(connections):
        tasks.append((yield spawn(client(args, context, connections == 1))))
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
                  connections, args.count, (connections - failed) * args.count, elapsed,
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
    parser.add_argument("--host", default="127.0.0.1", help="server name or address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25000, help="server port (default 25000)")
    parser.add_argument("--unix", metavar="PATH", help="connect to a Unix socket at PATH instead of TCP")
    parser.add_argument("--tls", action="store_true",
                        help="speak TLS; the certificate must match --host")
    parser.add_argument("--cafile", metavar="PEM",
                        help="with --tls: trust this certificate (default: the system's CAs)")
    parser.add_argument("--count", type=int, default=None,
                        help="send this many numbered messages instead of reading stdin")
    parser.add_argument("--connections", type=int,
                        help="with --count: this many connections at once (default 1)")
    args = parser.parse_args(argv)
    if args.unix == "":                 # (--unix "$UNSET"): not TCP, not "give host and port"
        parser.error("--unix needs a path, got an empty one")
    if args.connections is not None and args.count is None:     # (stdin is one connection)
        parser.error("--connections needs --count")
    if args.connections is None:
        args.connections = 1
    if args.connections < 1:
        parser.error("--connections must be at least 1, got %d" % args.connections)
    if args.count is not None and args.count < 0:
        parser.error("--count must be at least 0, got %d" % args.count)
    if args.cafile and not args.tls:
        parser.error("--cafile needs --tls")
    if sys.stdout is None:                      # ``>&-``: replies would go nowhere
        print("echo client: stdout is closed", file=sys.stderr)
        return 1
    raise_fd_limit(args.connections + 64)
    try:
        check_port(args.port, "--port")         # 99999: named here, not a traceback
        context = client_context(args.cafile) if args.tls else None
        if args.count is None:
            return run(interactive(args, context))
        return run(load(args, context))
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:        # the port, refused, DNS, TLS ...
        print("echo client: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
