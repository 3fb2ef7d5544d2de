#!/usr/bin/env python3
"""One kernel, three servers: echo, HTTP and chat on three ports at once.

    python3 examples/compose.py [--host 127.0.0.1] [--echo-port 25000]
                                [--http-port 8080] [--chat-port 25001]
    nc 127.0.0.1 25000                          # echo: type, it comes back
    nc 127.0.0.1 25001                          # chat: your name, then lines
    curl http://127.0.0.1:8080/stats            # what all three have served

rotor's idea: servers are values you compose, not programs that own the
process.  Here the echo handler of ``echo_server.py``, the chat room of
``chat_server.py`` and the HTTP application of ``http_server.py`` are
imported as they are and served side by side by one kernel, in one thread,
each by its own ``tcp_server`` task in one ``TaskGroup``.  They share one
in-process ``Counter``: echo and chat count their connections (and chat its
lines), HTTP its requests, and ``GET /stats`` on the HTTP port shows it all
-- no locks, because every task runs on the same thread and switches only
at a ``yield``.

SIGTERM, Ctrl-C or a hang-up (SIGHUP, unless under ``nohup``) stops all
three (exit status 0).  If one server cannot
start (a port in use), the others are stopped and the error is printed, one
line per server that failed, naming it; a --host that does not resolve (it
is looked up once, before any server starts), a port out of range or a
missing --static directory: one line, exit status 1.
"""

import argparse
import collections
import logging
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))       # a checkout (examples/ is on the path already)

import chat_server  # noqa: E402
import echo_server  # noqa: E402
import http_server  # noqa: E402
from trampoline import TaskGroup, TaskGroupError, getaddrinfo, run  # noqa: E402
from trampoline.net import check_port  # noqa: E402
from trampoline.signals import stop_signals  # noqa: E402
from trampoline.streams import tcp_server  # noqa: E402


def counted(handler, key, stats):
    """``handler(stream, address)`` that first counts the connection."""
    def counting_handler(stream, address):
        stats[key] += 1
        return handler(stream, address)
    counting_handler.__name__ = getattr(handler, "__name__", key)
    return counting_handler


def chat_handler(room, stats):
    """The chat room's ``serve(sock, address)`` as a ``tcp_server`` handler,
    counting the lines said as it goes."""
    broadcast = room.broadcast

    def counting_broadcast(line, sender=None):
        if sender is not None and not line.startswith(b"* "):
            stats["chat_lines"] += 1
        broadcast(line, sender)
    room.broadcast = counting_broadcast

    def chat(stream, address):
        stats["chat_connections"] += 1
        return room.serve(stream, address)
    return chat


def servers(host, ports, stats, static_root=None, limits=None):
    """``(name, port, handler)`` for the three servers, sharing ``stats``."""
    echo_port, http_port, chat_port = ports
    router = http_server.make_router(static_root, stats)
    return [
        ("echo", echo_port, counted(echo_server.echo, "echo_connections", stats)),
        ("http", http_port, http_server.make_handler(router, limits, stats)),
        ("chat", chat_port, chat_handler(chat_server.ChatRoom(outbox_size=256), stats)),
    ]


class ServerError(Exception):
    """One of the servers could not start; the message names it."""


def named(name, server):
    """``server``, whose ``OSError`` (a port in use ...) names it: the
    servers fail side by side, and their errors alike would be duplicates."""
    try:
        return (yield server)
    except OSError as exc:
        raise ServerError("%s: %s" % (name, exc)) from exc


def resolve(host):
    """``--host`` as an address, looked up once for the three servers (each
    of them looking it up would fail as many times, as a race decides)."""
    if not host:
        return host                     # "": every interface, IPv4 and IPv6 (tcp_server)
    try:
        infos = yield getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise OSError("--host: %s" % exc) from None
    return infos[0][4][0]


def serve_all(host, ports, stats, static_root=None, limits=None):
    """The main task: every server in one TaskGroup, until cancelled."""
    host = yield resolve(host)
    group = TaskGroup()
    for name, port, handler in servers(host, ports, stats, static_root, limits):
        yield group.spawn(named("%s server" % name,
                                tcp_server(host, port, handler,
                                           ready=http_server.announce("%s server" % name))),
                          name="%s server" % name)
    yield group.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description="echo, HTTP and chat in one trampoline kernel")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--echo-port", type=int, default=25000, help="echo port; 0 picks one (default 25000)")
    parser.add_argument("--http-port", type=int, default=8080, help="HTTP port; 0 picks one (default 8080)")
    parser.add_argument("--chat-port", type=int, default=25001, help="chat port; 0 picks one (default 25001)")
    parser.add_argument("--static", metavar="DIR", help="directory served under /static/ (default: none)")
    args = parser.parse_args(argv)
    # What the library logs (out of descriptors, a handler's crash), named as ours.
    logging.basicConfig(level=logging.WARNING, format="compose: %(message)s")
    stats = collections.Counter()
    try:
        for option, port in (("--echo-port", args.echo_port), ("--http-port", args.http_port),
                             ("--chat-port", args.chat_port)):
            check_port(port, option)        # 99999: named here
        run(serve_all(args.host, (args.echo_port, args.http_port, args.chat_port), stats,
                      args.static),
            shutdown_signals=stop_signals())
    except TaskGroupError as exc:           # a server could not start: port in use ...
        for error in exc.errors:            # each names its server
            print("compose: %s" % error, file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:    # a port out of range, no --static directory
        print("compose: %s" % exc, file=sys.stderr)
        return 1
    http_server.say("stopped; served %s" % dict(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
