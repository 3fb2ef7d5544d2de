#!/usr/bin/env python3
"""An echo server: every byte a client sends comes straight back.

    python3 examples/echo_server.py [--host 127.0.0.1] [--port 25000]
    python3 examples/echo_server.py --tls tests/tls_cert.pem tests/tls_key.pem
    python3 examples/echo_server.py --unix /tmp/echo.sock

``tcp_server`` (or ``unix_server``) accepts connections and gives each one
a task of its own running ``echo``, which reads and writes back until the
client hangs up.  With ``--tls`` every connection is TLS (the handshake runs
inside the kernel, without blocking the other clients).  Ctrl-C stops it:
every connection task is cancelled, its socket closed, and the process
exits.
"""

import argparse
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import run  # noqa: E402
from trampoline.streams import tcp_server, unix_server  # noqa: E402


def echo(stream, address):
    """Echo one connection until the peer closes it."""
    while True:
        data = yield stream.read(65536)
        if not data:
            break
        yield stream.write(data)


def announce(tls):
    def ready(address):
        where = "%s:%d" % address[:2] if isinstance(address, tuple) else address
        print("echo server%s listening on %s" % (" (TLS)" if tls else "", where), flush=True)
    return ready


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline echo server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=25000, help="port to listen on; 0 picks one (default 25000)")
    parser.add_argument("--unix", metavar="PATH", help="listen on a Unix socket at PATH instead of TCP")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                        help="serve TLS with this certificate and private key (PEM files)")
    args = parser.parse_args(argv)
    try:
        context = None
        if args.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*args.tls)
        if args.unix:
            server = unix_server(args.unix, echo, ssl=context, ready=announce(context))
        else:
            server = tcp_server(args.host, args.port, echo, ssl=context, ready=announce(context))
        run(server)
    except KeyboardInterrupt:
        print("echo server stopped", flush=True)
        return 130
    except OSError as exc:                  # address in use, bad certificate file ...
        print("echo server: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
