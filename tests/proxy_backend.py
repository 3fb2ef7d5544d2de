"""A backend for test_haproxy.py: run_server(proxy_protocol=True) answering HTTP.

    python3 tests/proxy_backend.py NAME [--workers N] [--delay SECONDS] [--grace SECONDS]

Listens on 127.0.0.1 on a free port and prints "listening on HOST:PORT".
Each request (its head read up to the blank line; no body) is answered,
after ``--delay`` seconds, with ``200`` and the body ``NAME HOST PORT\\n``
-- the client's address as the handler got it, which behind a balancer
sending the PROXY protocol is the original client's -- and the connection
is closed.  A request for ``/health`` is answered at once.  SIGTERM stops
it gracefully; it prints "stopped" and exits 0.
"""

import argparse
import logging

from trampoline import sleep
from trampoline.workers import run_server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--grace", type=float, default=5.0)
    args = parser.parse_args()

    def answer(stream, address):
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = yield stream.readline()
            if not line:
                return                      # the client (or the drain) ended it
            head += line
        if not head.startswith(b"GET /health "):
            yield sleep(args.delay)
        body = ("%s %s %d\n" % (args.name, address[0], address[1])).encode()
        yield stream.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                           % len(body) + body)

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_server("127.0.0.1", 0, answer, workers=args.workers, grace=args.grace,
               proxy_protocol=True,
               ready=lambda address: print("listening on %s:%d" % address, flush=True))
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
