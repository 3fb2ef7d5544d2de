#!/usr/bin/env python3
"""A real redis-server as a benchmark server, for the kv workload: this
process becomes redis-server (exec, so the suite measures redis itself),
after a forked helper has waited for it to answer and printed READY."""

import os
import socket
import sys
import time

from common import HOST, parse_args


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def announce_when_up(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    print("READY %d" % port, flush=True)
                    return
        except OSError:
            time.sleep(0.01)
    print("redis-server did not answer within 10 s", file=sys.stderr)


if __name__ == "__main__":
    args = parse_args(__doc__)
    port = args.port or free_port()
    if os.fork() == 0:                  # the helper: not the measured process
        announce_when_up(port)
        os._exit(0)
    os.execvp("redis-server", ["redis-server", "--bind", HOST, "--port", str(port),
                               "--save", "", "--appendonly", "no", "--daemonize", "no",
                               "--loglevel", "warning", "--logfile", "/dev/null"])
