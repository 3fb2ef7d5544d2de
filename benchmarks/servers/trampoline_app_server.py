#!/usr/bin/env python3
"""trampoline's own programs as benchmark servers: the examples' real
protocol code rather than the fixed-response servers of
trampoline_server.py.

    --mode http           trampoline.protocols.http_server (its sans-I/O
                          parser, router and limits) serving "/", as
                          examples/http_server.py does
    --mode resp           trampoline.protocols.kv (the Redis-protocol store)
    --mode echo --workers N
                          the echo handler under run_server(workers=N):
                          N processes, one kernel each
"""

from common import HOST, need_trampoline, parse_args, ready, serve

need_trampoline()

from trampoline import run  # noqa: E402
from trampoline.protocols.http_server import Response, Router, make_handler  # noqa: E402
from trampoline.protocols.kv import kv_server  # noqa: E402
from trampoline.streams import tcp_server  # noqa: E402
from trampoline.workers import run_server  # noqa: E402

HELLO = Response(b"Hello, world!\n")


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
        router = Router()
        router.add("/", lambda request: HELLO)           # examples/http_server.py's "/"
        handler = make_handler(router)
        run(tcp_server(HOST, args.port, handler, backlog=4096, ready=lambda a: ready(a[1])))
    elif args.mode == "resp":
        run(kv_server(HOST, args.port, ready=lambda a: ready(a[1])))
    else:
        run_server(HOST, args.port, echo, workers=args.workers, backlog=4096,
                   ready=lambda a: ready(a[1]))


if __name__ == "__main__":
    args = parse_args(__doc__, extra)
    serve(lambda: main(args), args)
