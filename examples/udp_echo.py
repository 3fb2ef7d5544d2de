#!/usr/bin/env python3
"""A UDP echo server, and its client.

    python3 examples/udp_echo.py [--host 127.0.0.1] [--port 25001]      # the server
    python3 examples/udp_echo.py --client [--host ...] [--port ...]     # each line of stdin

The server is one task: ``recvfrom`` a datagram, ``sendto`` it straight
back to whoever sent it, forever -- no connections, so no task per client.
The client sends each line of stdin as one datagram and prints the reply;
UDP may lose datagrams, so it waits at most ``--timeout`` seconds for
each (exit status 1 if one never came).  Ctrl-C or SIGTERM stops the
server (exit status 0); Ctrl-C stops the client.  A port out of range or
an address in use: one line saying which, exit status 1.
"""

import argparse
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import TaskTimeout, read, recvfrom, run, sendto, timeout_after  # noqa: E402
from trampoline.udp import udp_socket  # noqa: E402


def serve(host, port):
    sock = udp_socket((host, port))
    host, port = sock.getsockname()[:2]
    print("udp echo server listening on %s:%d" % (host, port), flush=True)
    with sock:
        while True:
            data, address = yield recvfrom(sock, 65535)
            yield sendto(sock, data, address)


def client(host, port, timeout):
    server = (host, port)
    sock = udp_socket(family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    with sock:
        pending = b""
        while True:
            data = yield read(sys.stdin.fileno(), 4096)
            if not data:
                return 0
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield sendto(sock, line, server)
                while True:
                    reply, sender = yield timeout_after(timeout, recvfrom(sock, 65535))
                    if sender[:2] == server[:2]:
                        break               # a stray datagram from elsewhere: ignore it
                print(reply.decode(errors="replace"), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline UDP echo server (and client)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on / send to (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25001,
                        help="port; 0 picks one for the server (default 25001)")
    parser.add_argument("--client", action="store_true",
                        help="be the client: send each line of stdin")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="client: seconds to wait for each reply (default 2)")
    args = parser.parse_args(argv)
    if not args.timeout > 0:            # (NaN too)
        parser.error("--timeout must be a number of seconds above 0, got %s" % args.timeout)
    try:
        if args.client:
            return run(client(args.host, args.port, args.timeout))
        run(serve(args.host, args.port), shutdown_signals=(signal.SIGINT, signal.SIGTERM))
    except KeyboardInterrupt:           # (the client)
        return 130
    except TaskTimeout:
        print("udp echo client: no reply within %g s" % args.timeout, file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:        # the port, the address: named
        print("udp echo: %s" % exc, file=sys.stderr)
        return 1
    print("udp echo server stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
