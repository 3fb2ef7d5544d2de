#!/usr/bin/env python3
"""An HTTP/1.1 server: a few pages, static files, limits, TLS, several workers.

    python3 examples/http_server.py [--host 127.0.0.1] [--port 8080] [--static DIR]
    curl -v http://127.0.0.1:8080/                       # Hello, world!
    curl -d 'some data' http://127.0.0.1:8080/echo       # the body back
    curl 'http://127.0.0.1:8080/sleep?s=1'               # answers after a second
    curl http://127.0.0.1:8080/static/README.rst         # a file under --static
    curl http://127.0.0.1:8080/stats                     # counters, as JSON
    wrk -c100 -d5s http://127.0.0.1:8080/                # load

The protocol -- parsing, keep-alive, pipelining, limits, timeouts, static
files -- is ``trampoline.protocols.http_server``'s; this program is the
application and the command line.  A handler is a plain function of the
request that returns a ``Response`` (``hello``, ``echo``), or a generator
that yields traps first (``slow`` sleeps); a ``Router`` maps paths to them;
``make_handler`` makes that the per-connection handler ``run_server``
runs.  ``--workers N`` runs N processes sharing the port.

Bad input is answered with its status (400, 408, 413, 414, 431, 501) and
the connection closed; a client too slow to send or to read is let go.
SIGTERM, Ctrl-C or a hang-up (SIGHUP, unless under ``nohup``): the
server stops accepting, idle connections close,
requests being handled get ``--grace`` seconds to finish, and it exits
with status 0.  A port out of range, a missing certificate or static
directory, an address in use, a limit below zero: one line saying which,
exit status 1.
"""

import argparse
import collections
import json
import logging
import os
import ssl
import sys
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from trampoline import run, sleep  # noqa: E402
from trampoline.net import check_port, format_address, server_context  # noqa: E402
from trampoline.protocols.http import MAX_BODY  # noqa: E402
from trampoline.protocols.http_server import (Limits, Response, Router,  # noqa: E402
                                              error_response, make_handler, static_files)
from trampoline.signals import stop_signals  # noqa: E402
from trampoline.streams import tcp_server  # noqa: E402
from trampoline.workers import CrashLoopError, run_server  # noqa: E402

# ============================================================ the application

HELLO = Response(b"Hello, world!\n")        # encoded once, sent to every request


def hello(request):
    return HELLO


def echo(request):
    """The request's body, back, with its Content-Type."""
    content_type = request.header(b"content-type", b"application/octet-stream")
    return Response(request.body, content_type=content_type.decode("latin-1"))


def slow(request):
    """``/sleep?s=0.5``: answer after that many seconds (at most 60)."""
    try:
        seconds = float(parse_qs(request.query).get("s", ["1"])[0])
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 60:
        return error_response(400, "s must be a number of seconds from 0 to 60")
    return sleep_then_answer(seconds)


def sleep_then_answer(seconds):
    yield sleep(seconds)                    # other requests go on meanwhile
    return Response("slept %g s\n" % seconds)


def stats_page(stats):
    """``/stats``: the counters, as JSON."""
    def stats_handler(request):
        return Response(json.dumps(dict(stats), sort_keys=True) + "\n",
                        content_type="application/json")
    return stats_handler


def make_router(static_root=None, stats=None):
    """The application: ``/``, ``/echo``, ``/sleep?s=``, ``/stats`` (when
    given the Counter) and ``/static/`` (when given a directory)."""
    router = Router()
    router.add("/", hello)
    router.add("/echo", echo, methods=("GET", "POST", "PUT"))
    router.add("/sleep", slow)
    if stats is not None:
        router.add("/stats", stats_page(stats))
    if static_root is not None:
        router.mount("/static/", static_files(static_root))
        router.add("/static", lambda request: Response("see /static/\n", 301,
                                                        [("Location", "/static/")]))
    return router


# ============================================================ the program

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


def announce(what, tls=False):
    def ready(address):
        say("%s%s listening on %s" % (what, " (TLS)" if tls else "",
                                      format_address(address)))     # ([::1]:8080 for IPv6)
    return ready


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="trampoline HTTP/1.1 server")
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8080, help="port; 0 picks one (default 8080)")
    add("--static", metavar="DIR", default=".",
        help="directory served under /static/ (default: the current one)")
    add("--tls", nargs=2, metavar=("CERT", "KEY"),
        help="serve HTTPS with this certificate and private key (PEM files)")
    add("--max-body", type=int, default=MAX_BODY,
        help="largest request body in bytes, else 413 (default %d)" % MAX_BODY)
    add("--header-timeout", type=float, default=10.0,
        help="seconds for a request's head to arrive, else 408 (default 10)")
    add("--body-timeout", type=float, default=60.0,
        help="seconds for a request's body to arrive, else 408 (default 60)")
    add("--idle-timeout", type=float, default=15.0,
        help="seconds a keep-alive connection may idle (default 15)")
    add("--send-timeout", type=float, default=60.0,
        help="seconds a client may take to read an answer (default 60)")
    add("--grace", type=float, default=10.0,
        help="seconds requests may still take at shutdown (default 10)")
    add("--workers", type=int, default=1, metavar="N",
        help="worker processes sharing the port (POSIX); 0: one per CPU "
             "(default 1: no fork).  Each keeps its own /stats.")
    add("--proxy-protocol", action="store_true",
        help="behind a load balancer: read a PROXY header (v1 or v2) first")
    add("--access-log", action="store_true",
        help="log one line per answer on stderr, with the client's address")
    args = parser.parse_args(argv)
    if args.workers < 0:
        parser.error("--workers must be 0 or more, got %d" % args.workers)
    for name in ("max_body", "header_timeout", "body_timeout", "idle_timeout", "send_timeout",
                 "grace"):
        value = getattr(args, name)
        if not value >= 0:              # (nan too)
            parser.error("--%s must be 0 or more, got %s" % (name.replace("_", "-"), value))
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    stats = collections.Counter()
    try:
        check_port(args.port, "--port")     # 99999: named as --port, as the clients do
        limits = Limits(max_body=args.max_body, header_timeout=args.header_timeout,
                        body_timeout=args.body_timeout, idle_timeout=args.idle_timeout,
                        send_timeout=args.send_timeout, grace=args.grace)     # (checked)
        access_log = logging.getLogger("http.access") if args.access_log else None
        if access_log is not None:
            access_log.setLevel(logging.INFO)
        handler = make_handler(make_router(args.static, stats), limits, stats, access_log)
        context = server_context(*args.tls) if args.tls else None
        # The server's options from the command line, in one place.
        options = dict(ssl=context, ready=announce("http server", bool(context)),
                       proxy_protocol=args.proxy_protocol)
        if args.workers == 1:
            # SIGINT/SIGTERM/SIGHUP cancel the server: it stops accepting, idle
            # connections close, handlers at work get --grace seconds and
            # answer with "Connection: close".
            run(tcp_server(args.host, args.port, handler, **options),
                shutdown_signals=stop_signals())
        else:
            # N processes, each with its kernel, sharing the listening
            # socket; they stop the same way (trampoline.workers).
            run_server(args.host, args.port, handler, workers=args.workers, grace=args.grace,
                       **options)
    except (OSError, ValueError, ssl.SSLError, CrashLoopError) as exc:
        print("http server: %s" % exc, file=sys.stderr)     # port, file, address: named
        return 1
    say("http server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
