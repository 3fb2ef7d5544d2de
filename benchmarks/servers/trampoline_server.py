#!/usr/bin/env python3
"""The trampoline benchmark server: echo or HTTP hello, one task per
connection, written the way the README writes it."""

from common import (BACKLOG, HOST, READ_SIZE, RESPONSE, need_trampoline, parse_args, ready,
                    responses, serve)

need_trampoline()

from trampoline import accept, listen, read, run, spawn, write  # noqa: E402


def echo(client):
    with client:
        try:
            while True:
                data = yield read(client, READ_SIZE)
                if not data:
                    break
                yield write(client, data)
        except OSError:         # the client reset the connection
            pass


def http(client):
    with client:
        buffer = b""
        try:
            while True:
                data = yield read(client, READ_SIZE)
                if not data:
                    break
                count, buffer = responses(buffer + data)
                if count:
                    yield write(client, RESPONSE * count)
        except OSError:
            pass


def main(args):
    handler = echo if args.mode == "echo" else http
    listener = listen((HOST, args.port), backlog=BACKLOG)
    ready(listener.getsockname()[1])
    while True:
        client, _ = yield accept(listener)
        yield spawn(handler(client))


if __name__ == "__main__":
    args = parse_args(__doc__)
    serve(lambda: run(main(args)), args)
