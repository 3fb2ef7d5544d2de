"""What every benchmark server shares: its command line, the HTTP response,
and the line that tells run.py it is listening.

Every server listens on 127.0.0.1 (port 0: the kernel picks one), prints
``READY <port>`` on stdout once it accepts connections, and serves until it
is killed.  ``--mode echo`` sends every byte back; ``--mode http`` reads
HTTP/1.1 requests up to their blank line and answers each with RESPONSE
(keep-alive; request bodies are not supported, wrk sends none).
"""

import argparse
import importlib.util
import os
import signal
import sys

HOST = "127.0.0.1"
BACKLOG = 4096          # the 10,000-connection workload connects in a burst
# Every server that picks its own read size reads up to 256 KiB: what asyncio's
# and uvloop's transports read with, so that no server needs more reads (and
# trips through its loop) per message than another.  (With 64 KiB, trampoline,
# curio, trio and gevent need two reads or more per 100 KiB message.)
READ_SIZE = 262144

BODY = b"Hello, world!"
RESPONSE = (b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: text/plain\r\n"
            b"Content-Length: %d\r\n"
            b"\r\n" % len(BODY)) + BODY
END = b"\r\n\r\n"


CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def need_trampoline():
    """Exit with one line saying what to do if ``trampoline`` cannot be
    imported: run.py puts its checkout first on PYTHONPATH; a server started
    by hand needs the same (it was a ModuleNotFoundError traceback)."""
    if importlib.util.find_spec("trampoline") is None:
        sys.exit("%s: cannot import trampoline: run it with PYTHONPATH=%s, as run.py does"
                 % (os.path.basename(sys.argv[0]), CHECKOUT))


def steady_malloc():
    """Put glibc's malloc in the state a long-running server reaches.

    glibc serves a request above its mmap threshold (128 KiB at start) with
    its own mmap(), and *raises* the threshold the first time such a block
    is freed whole.  asyncio's transports read with recv(256 KiB): until some
    256 KiB block has been freed whole (a recv that raised EAGAIN, say), every
    read is an mmap + mremap + munmap and page faults -- a fresh asyncio echo
    server runs at a third of its speed, and flips to full speed at the first
    spurious wake-up.  A server that has run for a while is always past that
    point, so every benchmark server (whatever its framework) frees one 1 MiB
    block at start.  run.py --stock-malloc skips this, to see the difference.
    """
    if not os.environ.get("BENCH_STOCK_MALLOC"):
        bytearray(1 << 20)      # allocated (mmap) and freed at once


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--mode", choices=("echo", "http", "resp"), default="echo")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--profile", metavar="FILE",
                        help="run under cProfile; write the stats to FILE on SIGTERM")
    if extra:
        extra(parser)
    steady_malloc()
    return parser.parse_args()


def ready(port):
    print("READY %d" % port, flush=True)


def responses(buffer):
    """Split complete requests off ``buffer``: (how many, the rest)."""
    count = buffer.count(END)
    if count:
        buffer = buffer[buffer.rindex(END) + 4:]
    return count, buffer


def serve(main, args):
    """Run ``main()``; with --profile, under cProfile until SIGTERM."""
    if not args.profile:
        main()
        return
    import cProfile

    profiler = cProfile.Profile()

    def stop(signum, frame):
        profiler.disable()
        profiler.dump_stats(args.profile)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    profiler.enable()
    try:
        main()
    finally:
        stop(None, None)


