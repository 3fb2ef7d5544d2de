#!/usr/bin/env python3
"""A UDP echo server, and its client.

    python3 examples/udp_echo.py [--host 127.0.0.1] [--port 25001]      # the server
    python3 examples/udp_echo.py --client [--host ...] [--port ...]     # each line of stdin

The server is one task: ``recvfrom`` a datagram, ``sendto`` it straight
back to whoever sent it, forever -- no connections, so no task per client.
A datagram whose sender cannot be answered (a forged source address) is
dropped; the server goes on.
The client sends each line of stdin as one datagram and prints the reply;
UDP may lose datagrams, so it waits at most ``--timeout`` seconds for
each (exit status 1 if one never came); where no server listens at all
the system says so at once ("no server at ...", exit status 1).  Both
resolve ``--host`` once, off the loop, with ``getaddrinfo``, and use its
first address: the client connects its socket there, so it takes
replies only from there (a name such as ``localhost`` never matches the
address a reply comes from).  Ctrl-C,
SIGTERM or a hang-up (SIGHUP, unless under ``nohup``) stops the server
(exit status 0); Ctrl-C stops the client.  A port
out of range, a host not found or an address in use: one line saying
which, exit status 1.
"""

import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import (TaskTimeout, connect, getaddrinfo, read, recvfrom, run,  # noqa: E402
                        sendto, timeout_after)
from trampoline.net import check_port, format_address  # noqa: E402
from trampoline.signals import stop_signals  # noqa: E402
from trampoline.udp import udp_socket  # noqa: E402


def resolve(host, port, flags=0):
    """``(family, address)``: the first UDP address of ``host`` (a name is
    looked up in a worker thread, so the loop does not block)."""
    infos = yield getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=flags)
    family, _, _, _, address = infos[0]
    return family, address


def say(line):
    """Print ``line`` on stdout, unless nobody reads it any more (``| head
    -1`` has exited, the terminal is gone, the disk is full): a server goes
    on serving, and stops with status 0, without it."""
    try:
        print(line, flush=True)
    except OSError:                     # EPIPE, EIO, ENOSPC
        write_nowhere()


def write_nowhere():
    """From now on stdout goes to /dev/null (the last flush at exit too)."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


def serve(host, port):
    family, address = yield resolve(host or None, port, socket.AI_PASSIVE)
    sock = udp_socket(address, family=family)
    say("udp echo server listening on %s" % format_address(sock.getsockname()))  # ([::1]:25001)
    with sock:
        while True:
            data, address = yield recvfrom(sock, 65535)
            try:
                yield sendto(sock, data, address)
            except OSError:
                # No answer can go there: a forged source (port 0: EINVAL;
                # a broadcast address: EACCES), a route or a firewall that
                # refuses it.  That datagram goes unanswered; the others
                # are still served (one sender must not stop the server).
                continue


def client(host, port, timeout):
    # stdin closed (``<&-``): no input, as from /dev/null.  (Its descriptor 0
    # may be the socket by now: never read it then.)
    stdin = sys.stdin.fileno() if sys.stdin is not None else None
    family, server = yield resolve(host, port)
    sock = udp_socket(family=family)
    with sock:
        # Connected, the socket hears of an ICMP "port unreachable": with no
        # server there, the reply's wait ends at once, not after --timeout.
        yield connect(sock, server)
        pending = b""
        while True:
            data = (yield read(stdin, 4096)) if stdin is not None else b""
            pending += data
            *lines, pending = pending.split(b"\n")
            if not data and pending:
                lines.append(pending)       # the end of stdin: a last line without "\n"
            for line in lines:
                try:
                    yield sendto(sock, line, server)
                    reply, _ = yield timeout_after(timeout, recvfrom(sock, 65535))
                except ConnectionRefusedError:
                    print("udp echo client: no server at %s (connection refused)"
                          % format_address(server), file=sys.stderr)
                    return 1
                try:
                    print(reply.decode(errors="replace"), flush=True)
                except BrokenPipeError:     # nobody reads the replies any more (| head -1)
                    write_nowhere()         # stop, quietly, as telnet.py does
                    return 0
            if not data:
                return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline UDP echo server (and client)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="name or address to serve on / send to (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25001,
                        help="port; 0 picks one for the server (default 25001)")
    parser.add_argument("--client", action="store_true",
                        help="be the client: send each line of stdin")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="client: seconds to wait for each reply (default 2)")
    args = parser.parse_args(argv)
    if not args.timeout > 0:            # (NaN too)
        parser.error("--timeout must be a number of seconds above 0, got %s" % args.timeout)
    if args.client and args.port == 0:  # (sendto port 0: "[Errno 22] Invalid argument")
        parser.error("--port 0 picks a port for the server; the client needs the server's port")
    if args.client and sys.stdout is None:  # ``>&-``: replies would go nowhere
        print("udp echo client: stdout is closed", file=sys.stderr)
        return 1
    try:
        check_port(args.port, "--port")     # 99999: named here, not an OverflowError
        if args.client:
            return run(client(args.host, args.port, args.timeout))
        run(serve(args.host, args.port), shutdown_signals=stop_signals())
    except KeyboardInterrupt:           # (the client)
        return 130
    except TaskTimeout:
        print("udp echo client: no reply within %g s" % args.timeout, file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:        # the port, the host, the address: named
        print("udp echo: %s" % exc, file=sys.stderr)
        return 1
    say("udp echo server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
