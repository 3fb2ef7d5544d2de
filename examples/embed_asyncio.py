#!/usr/bin/env python3
"""Trampoline tasks inside an asyncio program: two echo servers, one thread.

    python3 examples/embed_asyncio.py [--host 127.0.0.1] [--asyncio-port 25001]
                                      [--trampoline-port 25002] [--grace 2]

then, from other terminals, talk to either (both echo)::

    python3 examples/echo_client.py --port 25001     # served by asyncio
    python3 examples/echo_client.py --port 25002     # served by trampoline

asyncio owns the thread and its loop runs as usual.  The trampoline kernel
does not get a thread or a ``run()`` of its own: asyncio drives it, a round
at a time, with ``trampoline.aio.AsyncioDriver`` (its module says how:
``add_reader`` on ``kernel.fileno()``, ``run_once``, an asyncio timer for
``next_deadline()``).  So neither loop blocks the other.  Ctrl-C (or
SIGTERM, or a hang-up unless under ``nohup``) stops both servers cleanly:
asyncio's closes, trampoline's is cancelled -- by a trampoline task, which
then sets an ``asyncio.Event`` (the two share the thread, so it may).
asyncio's connections get ``--grace`` seconds to finish; then those still
open (a client that sends and never reads) are aborted.  A second Ctrl-C
aborts them at once.  A port out of range or in use, a host not found: one
line naming it, exit status 1.
"""

import argparse
import asyncio
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import Kernel, cancel  # noqa: E402
from trampoline.aio import AsyncioDriver  # noqa: E402
from trampoline.net import check_port, format_address  # noqa: E402
from trampoline.signals import stop_signals  # noqa: E402
from trampoline.streams import tcp_server  # noqa: E402


# ------------------------------------------------- the trampoline side

def echo(stream, address):
    while True:
        data = yield stream.read(65536)
        if not data:
            break
        yield stream.write(data)


def trampoline_server(args, stop):
    """Serve until cancelled.  If it cannot even start (the port is taken),
    the whole program stops: ``stop`` is an asyncio.Event, and a trampoline
    task may set it, for the two loops share this thread."""
    def listening(address):
        print("trampoline echo server listening on %s" % format_address(address),
              flush=True)               # ([::1]:8000 for IPv6)

    try:
        yield tcp_server(args.host, args.trampoline_port, echo, ready=listening)
    finally:
        stop.set()


def stop_server(server):
    """Cancel the server (its connections close); asyncio awaits this with
    ``driver.run``."""
    yield cancel(server)


# ---------------------------------------------------- the asyncio side

class AsyncioEcho:
    """The asyncio echo server's connection handler.  It keeps a list of
    open connections, so that stopping can close them and wait until their
    handlers have finished."""

    def __init__(self):
        self.connections = {}           # writer -> its handler's task

    async def __call__(self, reader, writer):
        self.connections[writer] = asyncio.current_task()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            del self.connections[writer]

    async def close_all(self, grace):
        handlers = list(self.connections.values())
        for writer in list(self.connections):
            writer.close()              # the handler reads EOF and returns ...
        if handlers:
            await asyncio.wait(handlers, timeout=grace)
        self.abort_all()                # ... unless it waits on a client that never reads
        await asyncio.gather(*handlers, return_exceptions=True)

    def abort_all(self):
        for writer in list(self.connections):
            writer.transport.abort()    # (close() would wait to send what is buffered)


async def main(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handler = AsyncioEcho()

    def interrupted():
        if stop.is_set():               # a second Ctrl-C: no more grace
            handler.abort_all()
        stop.set()
    for signo in stop_signals():        # SIGINT, SIGTERM, SIGHUP (unless under nohup)
        loop.add_signal_handler(signo, interrupted)

    try:
        server = await asyncio.start_server(handler, args.host, args.asyncio_port)
    except socket.gaierror as exc:      # asyncio's does not say which name: as tcp_server's
        raise socket.gaierror(exc.errno, "%s: cannot listen on %s (the name %r did not resolve)"
                              % (exc.strerror, format_address((args.host, args.asyncio_port)),
                                 args.host)) from None
    except UnicodeError as exc:         # "a..b": IDNA refuses it
        raise socket.gaierror(socket.EAI_NONAME, "not a valid host name: %r (%s)"
                              % (args.host, exc)) from None
    port = server.sockets[0].getsockname()[1]
    print("asyncio echo server listening on %s" % format_address((args.host, port)), flush=True)

    with Kernel() as kernel:
        tramp_server = kernel.spawn(trampoline_server(args, stop))
        async with AsyncioDriver(kernel, loop) as driver:
            try:
                await stop.wait()
            finally:
                server.close()
                await handler.close_all(args.grace)
                await server.wait_closed()
                if not tramp_server.done:
                    await driver.run(stop_server(tramp_server))
        if tramp_server.exception is not None and not tramp_server.cancelled:
            raise tramp_server.exception    # it could not listen, say
    print("both servers stopped", flush=True)


def run_main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline tasks inside an asyncio program")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--asyncio-port", type=int, default=25001,
                        help="port of the asyncio echo server; 0 picks one (default 25001)")
    parser.add_argument("--trampoline-port", type=int, default=25002,
                        help="port of the trampoline echo server; 0 picks one (default 25002)")
    parser.add_argument("--grace", type=float, default=2.0,
                        help="seconds connections may take to finish at a stop (default 2)")
    args = parser.parse_args(argv)
    if not args.grace >= 0:             # (NaN too)
        parser.error("--grace must be a number of seconds >= 0, got %s" % args.grace)
    try:
        check_port(args.asyncio_port, "--asyncio-port")
        check_port(args.trampoline_port, "--trampoline-port")
        asyncio.run(main(args))
    except (OSError, ValueError) as exc:        # a port out of range, in use ...
        print("embed_asyncio: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run_main())
