#!/usr/bin/env python3
"""The gevent benchmark server: ``StreamServer``, a greenlet per
connection, blocking-style recv/sendall on gevent sockets."""

import socket

from gevent.server import StreamServer

from common import BACKLOG, HOST, READ_SIZE, RESPONSE, parse_args, ready, responses, serve


def echo(client, address):
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = client.recv(READ_SIZE)
            if not data:
                break
            client.sendall(data)
    except OSError:
        pass
    finally:
        client.close()


def http(client, address):
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    try:
        while True:
            data = client.recv(READ_SIZE)
            if not data:
                break
            count, buffer = responses(buffer + data)
            if count:
                client.sendall(RESPONSE * count)
    except OSError:
        pass
    finally:
        client.close()


def main(args):
    server = StreamServer((HOST, args.port), echo if args.mode == "echo" else http,
                          backlog=BACKLOG)
    server.start()
    ready(server.address[1])
    server.serve_forever()


if __name__ == "__main__":
    args = parse_args(__doc__)
    serve(lambda: main(args), args)
