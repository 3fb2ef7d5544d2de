#!/usr/bin/env python3
"""trampoline's own programs as benchmark servers: the examples' real
protocol code rather than the fixed-response servers of
trampoline_server.py.

    --mode http           examples/http_server.py's handler (its sans-I/O
                          parser, router and limits) serving "/"
    --mode resp           examples/kv_server.py (the Redis-protocol store)
    --mode echo --workers N
                          the echo handler under run_server(workers=N):
                          N processes, one kernel each
"""

import os
import sys

from common import HOST, parse_args, ready, repo_on_path, serve

repo_on_path()
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples")
sys.path.insert(0, EXAMPLES)

from trampoline import run  # noqa: E402
from trampoline.streams import tcp_server  # noqa: E402
from trampoline.workers import run_server  # noqa: E402


def extra(parser):
    parser.add_argument("--workers", type=int, default=1)


def echo(stream, address):
    while True:
        data = yield stream.read(262144)
        if not data:
            break
        yield stream.write(data)


def main(args):
    if args.mode == "http":
        import http_server
        handler = http_server.make_handler(http_server.make_router())
        run(tcp_server(HOST, args.port, handler, backlog=4096, ready=lambda a: ready(a[1])))
    elif args.mode == "resp":
        import kv_server
        run(kv_server.kv_server(HOST, args.port, ready=lambda a: ready(a[1])))
    else:
        run_server(HOST, args.port, echo, workers=args.workers, backlog=4096,
                   ready=lambda a: ready(a[1]))


if __name__ == "__main__":
    args = parse_args(__doc__, extra)
    serve(lambda: main(args), args)
