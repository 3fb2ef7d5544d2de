#!/usr/bin/env python3
"""An echo server: every byte a client sends comes straight back.

    python3 examples/echo_server.py [--host 127.0.0.1] [--port 25000]
    python3 examples/echo_server.py --workers 0            # one process per CPU
    python3 examples/echo_server.py --tls tests/tls_cert.pem tests/tls_key.pem
    python3 examples/echo_server.py --unix /tmp/echo.sock

Try it with ``python3 examples/echo_client.py --count 3`` (or ``nc 127.0.0.1
25000``).  ``run_server`` listens and gives each connection a task of its
own running ``echo``, which reads and writes back until the client hangs
up.  With ``--workers N`` it forks N processes, each with its own kernel,
sharing the listening socket, and replaces any that dies.  With ``--tls``
every connection is TLS (the handshake runs inside the kernel, without
blocking the other clients).  Ctrl-C (or SIGTERM) stops it gracefully: no
new connections, each open one ends once it has echoed what it received,
and the process exits with status 0.  A second Ctrl-C stops it at once.
"""

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline.net import check_port, format_address, server_context  # noqa: E402
from trampoline.workers import CrashLoopError, run_server  # noqa: E402


def echo(stream, address):
    """Echo one connection until the peer closes it."""
    while True:
        data = yield stream.read(65536)
        if not data:
            break
        yield stream.write(data)


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


def announce(tls):
    def ready(address):
        # host:port ([::1]:25000 for IPv6), or a Unix socket's path
        where = format_address(address) if isinstance(address, tuple) else address
        say("echo server%s listening on %s" % (" (TLS)" if tls else "", where))
    return ready


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline echo server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25000, help="port to listen on; 0 picks one (default 25000)")
    parser.add_argument("--unix", metavar="PATH", help="listen on a Unix socket at PATH instead of TCP")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                        help="serve TLS with this certificate and private key (PEM files)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="worker processes (POSIX); 0: one per CPU (default 1: no fork)")
    parser.add_argument("--proxy-protocol", action="store_true",
                        help="behind a load balancer: read a PROXY header (v1 or v2) first")
    args = parser.parse_args(argv)
    if args.unix == "":                 # (--unix "$UNSET"): not TCP, not "give host and port"
        parser.error("--unix needs a path, got an empty one")
    if args.workers < 0:
        parser.error("--workers must be 0 or more, got %d" % args.workers)
    # The supervisor says which workers start and stop (on stderr).
    logging.basicConfig(level=logging.INFO, format="echo server: %(message)s")
    try:
        context = server_context(*args.tls) if args.tls else None
        if args.unix:
            host, port = None, None
        else:                           # (99999: named as --port, as the clients do)
            host, port = args.host, check_port(args.port, "--port")
        run_server(host, port, echo, workers=args.workers, ssl=context, unix=args.unix,
                   ready=announce(context), proxy_protocol=args.proxy_protocol)
    except (OSError, ValueError, CrashLoopError) as exc:    # port, address, file: named
        print("echo server: %s" % exc, file=sys.stderr)
        return 1
    say("echo server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
