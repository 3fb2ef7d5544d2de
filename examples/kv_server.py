#!/usr/bin/env python3
"""A key-value store that speaks the Redis protocol, RESP2 and RESP3.

    python3 examples/kv_server.py [--host 127.0.0.1] [--port 6380]
    redis-cli -p 6380 SET greeting hello EX 60      # in another terminal
    redis-cli -p 6380 GET greeting
    redis-cli -3 -p 6380 MGET greeting nothing      # RESP3, as redis-py 8 speaks it
    redis-benchmark -p 6380 -q                      # its default tests, lists and sets too
    redis-cli -p 6380 subscribe news                # waits; prints each message published
    redis-cli -p 6380 publish news hi               # in a third terminal: 1 receiver
    redis-cli -p 6380 CLIENT LIST                   # who is connected, and doing what
    redis-cli -p 6380 CLIENT KILL ID 3              # close one of them; the others go on

The store and its commands (strings, counters, expiry, KEYS patterns and
SCAN, lists, hashes, sets, sorted sets -- HSCAN, ZUNIONSTORE ... -- the
blocking pops -- BLPOP, BRPOP, BLMOVE, BZPOPMIN ... -- transactions --
MULTI, EXEC, DISCARD, WATCH -- pub/sub -- SUBSCRIBE, PSUBSCRIBE, PUBLISH,
PUBSUB -- SORT, OBJECT ENCODING, CLIENT LIST, INFO, CLIENT KILL -- and
what clients ask on connecting) are ``trampoline.protocols.kv``'s;
its replies and errors read as Redis 7's, word for word.  This program puts a
``Store`` on the network with ``kv_server``: a ``tcp_server`` whose
handler, ``serve_client(store)``, reads what its client sent, runs every
complete command in it and answers the whole pipelined batch with one
write, beside a task that drops the expired keys nobody touches.

It also shows how to add a command: Redis's ``TIME`` below is a method on
a ``Store`` subclass, registered under its name with its Redis arity.

Ctrl-C, SIGTERM or a hang-up (SIGHUP, unless under ``nohup``) stops it
gracefully (exit status 0).  A port out of
range or an address in use: one line saying which, exit status 1.
"""

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from trampoline import run  # noqa: E402
from trampoline.net import check_port, format_address  # noqa: E402
from trampoline.protocols.kv import Store, kv_server  # noqa: E402
from trampoline.protocols.resp import encode_array  # noqa: E402
from trampoline.signals import stop_signals  # noqa: E402


class TimedStore(Store):
    """The store, plus Redis's ``TIME``: the server's clock as two bulk
    strings, seconds and microseconds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands[b"TIME"] = (self.cmd_time, 1, b"time")    # name -> (function, arity, name)

    def cmd_time(self, args, session):
        micros = int(self.clock() * 1000000)
        return encode_array([b"%d" % (micros // 1000000), b"%d" % (micros % 1000000)])


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
    parser = argparse.ArgumentParser(description="trampoline key-value server (Redis protocol)")
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=6380,
        help="port; 0 picks one (default 6380, next to Redis's 6379)")
    add("--proxy-protocol", action="store_true",
        help="behind a load balancer: read a PROXY header (v1 or v2) first")
    args = parser.parse_args(argv)
    # What the library logs (out of descriptors, a handler's crash), named as ours.
    logging.basicConfig(level=logging.WARNING, format="kv server: %(message)s")

    def ready(address):
        say("kv server listening on %s" % format_address(address))     # ([::1]:6380)

    try:
        check_port(args.port, "--port")     # 99999: named as --port, as the clients do
        # Until SIGINT, SIGTERM or SIGHUP: then the server stops accepting, its
        # connections are closed, and run() returns.
        run(kv_server(args.host, args.port, TimedStore(), ready=ready,
                      proxy_protocol=args.proxy_protocol),
            shutdown_signals=stop_signals())
    except (OSError, ValueError) as exc:        # the port, the address: named
        print("kv server: %s" % exc, file=sys.stderr)
        return 1
    say("kv server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
