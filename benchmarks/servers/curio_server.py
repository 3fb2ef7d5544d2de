#!/usr/bin/env python3
"""The curio benchmark server: a task per connection, recv/sendall."""

import socket

import curio
from curio import socket as csocket

from common import BACKLOG, HOST, READ_SIZE, RESPONSE, parse_args, ready, responses, serve


async def echo(client):
    async with client:
        try:
            while True:
                data = await client.recv(READ_SIZE)
                if not data:
                    break
                await client.sendall(data)
        except OSError:
            pass


async def http(client):
    async with client:
        buffer = b""
        try:
            while True:
                data = await client.recv(READ_SIZE)
                if not data:
                    break
                count, buffer = responses(buffer + data)
                if count:
                    await client.sendall(RESPONSE * count)
        except OSError:
            pass


async def main(args):
    handler = echo if args.mode == "echo" else http
    sock = csocket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, args.port))
    sock.listen(BACKLOG)
    ready(sock.getsockname()[1])
    async with sock:
        while True:
            client, _ = await sock.accept()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await curio.spawn(handler, client, daemon=True)


if __name__ == "__main__":
    args = parse_args(__doc__)
    serve(lambda: curio.run(main, args), args)
