#!/usr/bin/env python3
"""asyncio benchmark servers: streams (``start_server``, read/write/drain)
or protocols (``create_server``, ``data_received`` writes straight back),
on the default event loop or on uvloop (``--loop uvloop``)."""

import asyncio

from common import BACKLOG, END, HOST, READ_SIZE, RESPONSE, parse_args, ready, responses, serve


async def echo_stream(reader, writer):
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def http_stream(reader, writer):
    try:
        while True:
            try:
                await reader.readuntil(END)
            except asyncio.IncompleteReadError:
                break
            writer.write(RESPONSE)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


class HttpProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        count, self.buffer = responses(self.buffer + data)
        if count:
            self.transport.write(RESPONSE * count)


async def main(args):
    if args.api == "streams":
        handler = echo_stream if args.mode == "echo" else http_stream
        server = await asyncio.start_server(handler, HOST, args.port, backlog=BACKLOG)
    else:
        protocol = EchoProtocol if args.mode == "echo" else HttpProtocol
        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, HOST, args.port, backlog=BACKLOG)
    ready(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def options(parser):
    parser.add_argument("--api", choices=("streams", "protocols"), default="protocols")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")


if __name__ == "__main__":
    args = parse_args(__doc__, options)
    if args.loop == "uvloop":
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    serve(lambda: asyncio.run(main(args)), args)
