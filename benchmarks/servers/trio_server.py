#!/usr/bin/env python3
"""The trio benchmark server: ``serve_tcp``, receive_some/send_all."""

from functools import partial

import trio

from common import BACKLOG, HOST, READ_SIZE, RESPONSE, parse_args, ready, responses, serve


async def echo(stream):
    try:
        while True:
            data = await stream.receive_some(READ_SIZE)
            if not data:
                break
            await stream.send_all(data)
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def http(stream):
    buffer = b""
    try:
        while True:
            data = await stream.receive_some(READ_SIZE)
            if not data:
                break
            count, buffer = responses(buffer + data)
            if count:
                await stream.send_all(RESPONSE * count)
    except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def main(args):
    handler = echo if args.mode == "echo" else http
    async with trio.open_nursery() as nursery:
        # serve_tcp's SocketStreams set TCP_NODELAY themselves.
        listeners = await nursery.start(
            partial(trio.serve_tcp, handler, args.port, host=HOST, backlog=BACKLOG))
        ready(listeners[0].socket.getsockname()[1])


if __name__ == "__main__":
    args = parse_args(__doc__)
    serve(lambda: trio.run(main, args), args)
