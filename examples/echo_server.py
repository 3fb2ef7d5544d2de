#!/usr/bin/env python3
"""An echo server: every byte a client sends comes straight back.

    python3 examples/echo_server.py [--host 127.0.0.1] [--port 25000]

One task accepts connections; each connection gets a task of its own that
reads and writes back until the client hangs up.  Ctrl-C stops it: every
connection task is cancelled, its socket closed, and the process exits.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import accept, listen, read, run, spawn, write  # noqa: E402


def echo(client, address):
    """Echo one connection until the peer closes it."""
    with client:
        while True:
            data = yield read(client, 65536)
            if not data:
                break
            yield write(client, data)


def serve(host, port):
    listener = listen((host, port))
    host, port = listener.getsockname()[:2]
    print("echo server listening on %s:%d" % (host, port), flush=True)
    with listener:
        while True:
            client, address = yield accept(listener)
            yield spawn(echo(client, address))


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline echo server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25000, help="port to listen on; 0 picks one (default 25000)")
    args = parser.parse_args(argv)
    try:
        run(serve(args.host, args.port))
    except KeyboardInterrupt:
        print("echo server stopped", flush=True)
        return 130
    except OSError as exc:
        print("echo server: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
