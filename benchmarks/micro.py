#!/usr/bin/env python3
"""Micro benchmarks, one per process: run.py starts this file once per
(benchmark, implementation, round) and reads the JSON line it prints.

    PYTHONPATH=. python3 benchmarks/micro.py BENCH IMPL N [--tracemalloc] [--profile FILE]

(``PYTHONPATH`` names the checkout whose ``trampoline`` is measured, as
run.py sets it; another one found on the path is measured, with a warning
naming both.)

BENCH is one of

* ``spawn``    -- spawn N tasks that return at once, then join each one
                  (asyncio: ``create_task`` + ``await``).  Result: tasks/s.
* ``switch``   -- two tasks ping-pong N times each with ``sleep(0)``
                  (asyncio: ``asyncio.sleep(0)``).  Result: switches/s.
* ``parked``   -- N tasks each parked in ``sleep(3600)``.  Result: bytes per
                  task, from RSS (``/proc/self/status``) or, with
                  --tracemalloc, from tracemalloc (Python allocations only).
* ``idle``     -- a server holding N idle connections, each with a task (or
                  protocol) blocked reading.  A helper process opens the
                  connections.  Result: bytes per connection, as ``parked``.

IMPL is ``trampoline``, ``asyncio``, ``uvloop`` (asyncio on uvloop),
``floor`` (spawn and switch only: the smallest generator kernel that has
them, see floor_bench), or for
``idle`` ``asyncio-streams`` / ``asyncio-protocols`` (``asyncio`` means
streams).  The figures are taken inside the running loop, so interpreter
and loop start-up are not counted.
"""

import argparse
import contextvars
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections import deque

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)

clock = time.perf_counter


def rss():
    """This process's resident set size now, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0                    # pragma: no cover - not Linux


class Meter:
    """Memory now: tracemalloc's traced total, or RSS."""

    def __init__(self, use_tracemalloc):
        self.tracemalloc = None
        if use_tracemalloc:
            try:
                import tracemalloc
                tracemalloc.start()
            except ImportError:     # PyPy has no tracemalloc
                print(json.dumps({"error": "tracemalloc is not available on this interpreter"}))
                sys.exit(0)
            self.tracemalloc = tracemalloc

    def __call__(self):
        if self.tracemalloc is not None:
            return self.tracemalloc.get_traced_memory()[0]
        return rss()


PROFILER = None


def report(**figures):
    if PROFILER is not None:
        PROFILER.disable()
        PROFILER.dump_stats(PROFILER.path)
    print(json.dumps(figures), flush=True)
    # Exit at once: tearing down (cancelling) N tasks is not what is measured.
    sys.stdout.flush()
    os._exit(0)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


# ------------------------------------------------------------ trampoline

def this_checkouts_trampoline():
    """Import trampoline, saying so if it is not this checkout's (whose
    figures are wanted: run.py puts it first on PYTHONPATH), or if there is
    none to import."""
    try:
        import trampoline
    except ImportError as error:
        sys.exit("micro.py: cannot import trampoline (%s): run it with PYTHONPATH=%s, as "
                 "run.py does" % (error, CHECKOUT))
    found = os.path.dirname(os.path.dirname(os.path.abspath(trampoline.__file__)))
    if os.path.realpath(found) != os.path.realpath(CHECKOUT):
        print("micro.py: measuring the trampoline in %s, not this checkout's "
              "(PYTHONPATH=%s measures that)" % (found, CHECKOUT), file=sys.stderr)


def trampoline_bench(bench, n, meter):
    this_checkouts_trampoline()
    from trampoline import run, sleep, spawn, join

    def child():
        return 1
        yield                   # a generator that returns at once

    def pinger(count):
        for _ in range(count):
            yield sleep(0)

    def parked():
        yield sleep(3600)

    def spawn_join():
        started = clock()
        tasks = []
        for _ in range(n):
            tasks.append((yield spawn(child())))
        for task in tasks:
            yield join(task)
        report(rate=n / (clock() - started), unit="tasks/s")

    def switch():
        started = clock()
        a = yield spawn(pinger(n))
        b = yield spawn(pinger(n))
        yield join(a)
        yield join(b)
        report(rate=2 * n / (clock() - started), unit="switches/s")

    def park():
        yield sleep(0)
        before = meter()
        for _ in range(n):
            yield spawn(parked())
        yield sleep(0)          # every new task runs once and parks
        yield sleep(0)
        report(bytes=(meter() - before) / n)

    if bench == "idle":
        run(trampoline_idle(n, meter))
        return
    main = {"spawn": spawn_join, "switch": switch, "parked": park}[bench]
    run(main())


def trampoline_idle(n, meter):
    """A server holding ``n`` idle connections, each with a task blocked
    reading: bytes per connection."""
    from trampoline import accept, listen, read, sleep, spawn

    accepted = [0]

    def handler(conn):
        accepted[0] += 1
        with conn:
            while True:
                data = yield read(conn, 65536)
                if not data:
                    break

    def acceptor(listener):
        while True:
            conn, _ = yield accept(listener)
            yield spawn(handler(conn))

    listener = listen(("127.0.0.1", 0), backlog=4096)
    yield spawn(acceptor(listener))
    helper = start_holder(listener.getsockname()[1], n)
    yield sleep(0.05)
    before = meter()
    helper.stdin.write(b"go\n")
    helper.stdin.flush()
    deadline = clock() + 60
    while accepted[0] < n and clock() < deadline:
        yield sleep(0.01)
    yield sleep(0.05)       # every handler is parked in read
    figures = dict(bytes=(meter() - before) / n, connections=accepted[0])
    helper.kill()
    report(**figures)


# ---------------------------------------------------------------- asyncio

def asyncio_bench(bench, n, meter, api):
    import asyncio

    async def child():
        return 1

    async def pinger(count):
        sleep = asyncio.sleep
        for _ in range(count):
            await sleep(0)

    async def parked():
        await asyncio.sleep(3600)

    async def spawn_join():
        create_task = asyncio.get_running_loop().create_task
        started = clock()
        tasks = [create_task(child()) for _ in range(n)]
        for task in tasks:
            await task
        report(rate=n / (clock() - started), unit="tasks/s")

    async def switch():
        started = clock()
        a = asyncio.ensure_future(pinger(n))
        b = asyncio.ensure_future(pinger(n))
        await a
        await b
        report(rate=2 * n / (clock() - started), unit="switches/s")

    async def park():
        await asyncio.sleep(0)
        before = meter()
        tasks = [asyncio.ensure_future(parked()) for _ in range(n)]
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        report(bytes=(meter() - before) / n, tasks=len(tasks))

    if bench == "idle":
        asyncio.run(asyncio_idle(n, meter, api))
        return
    main = {"spawn": spawn_join, "switch": switch, "parked": park}[bench]
    asyncio.run(main())


async def asyncio_idle(n, meter, api):
    """``trampoline_idle`` for asyncio: streams or (``api``) protocols."""
    import asyncio


    accepted = [0]
    loop = asyncio.get_running_loop()

    async def handler(reader, writer):
        accepted[0] += 1
        while await reader.read(65536):
            pass
        writer.close()

    class Idle(asyncio.Protocol):
        def connection_made(self, transport):
            accepted[0] += 1
            self.transport = transport

        def data_received(self, data):
            pass

    if api == "protocols":
        server = await loop.create_server(Idle, "127.0.0.1", 0, backlog=4096)
    else:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, backlog=4096)
    helper = start_holder(server.sockets[0].getsockname()[1], n)
    await asyncio.sleep(0.05)
    before = meter()
    helper.stdin.write(b"go\n")
    helper.stdin.flush()
    deadline = clock() + 60
    while accepted[0] < n and clock() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    figures = dict(bytes=(meter() - before) / n, connections=accepted[0])
    helper.kill()
    report(**figures)


# ------------------------------------------------------- the idle clients

# ---------------------------------------------------------------- floor

class FloorTask:
    """The floor kernel's task: a generator, its context, and what it ends with."""
    __slots__ = ("coro", "context", "value", "done", "result", "joiner")

    def __init__(self, coro):
        self.coro, self.context = coro, contextvars.copy_context()
        self.value = self.done = self.result = self.joiner = None


class Spawn:
    __slots__ = ("coro",)

    def __init__(self, coro):
        self.coro = coro


class Join(Spawn):
    __slots__ = ()


class Sleep0:
    __slots__ = ()


def floor_kernel():
    """The floor kernel: its ready deque, and the step that runs a task
    until it parks (join), passes (Sleep0) or ends."""
    ready = deque()

    def step(task):
        """Run ``task`` until it parks (join), passes (Sleep0) or ends."""
        value = task.value
        while True:
            try:
                trap = task.coro.send(value)
            except StopIteration as stop:
                task.done, task.result = True, stop.value
                task.coro = task.context = None     # (as trampoline lets go of them)
                if task.joiner is not None:
                    task.joiner.value = stop.value
                    ready.append(task.joiner)
                return
            kind = trap.__class__
            if kind is Spawn:
                value = FloorTask(trap.coro)
                ready.append(value)
            elif kind is Join:
                if not trap.coro.done:
                    trap.coro.joiner = task
                    return
                value = trap.coro.result
            else:                       # Sleep0
                task.value = None
                ready.append(task)
                return

    return ready, step


def floor_bench(bench, n):
    """The generator floor of spawn+join and of a task switch: the least a
    pure-Python generator kernel can do for them -- a task object, a trap
    object per operation, one ready deque, a contextvars context per task
    (as asyncio and trampoline give), and nothing else: no budget, no
    cancellation, no instruments, no error handling (FloorTask, floor_kernel).
    Not a framework: a measuring stick for the micro targets, as
    servers/floor_server.py is for the load ones."""
    def child():
        return 1
        yield

    def pinger(count):
        for _ in range(count):
            yield Sleep0()

    def spawn_join():
        started = clock()
        tasks = []
        for _ in range(n):
            tasks.append((yield Spawn(child())))
        for task in tasks:
            yield Join(task)
        report(rate=n / (clock() - started), unit="tasks/s")

    def switch():
        started = clock()
        a = yield Spawn(pinger(n))
        b = yield Spawn(pinger(n))
        yield Join(a)
        yield Join(b)
        report(rate=2 * n / (clock() - started), unit="switches/s")

    if bench not in ("spawn", "switch"):
        report(error="not available: the floor measures spawn and switch only")
    ready, step = floor_kernel()
    ready.append(FloorTask(spawn_join() if bench == "spawn" else switch()))
    while ready:
        task = ready.popleft()
        task.context.run(step, task)


def start_holder(port, n):
    """A helper process that opens ``n`` connections to ``port`` when told
    "go" on stdin, and holds them until it is killed."""
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), "hold", str(port), str(n)],
                            stdin=subprocess.PIPE)


def hold(port, n):
    raise_nofile(n)
    if not sys.stdin.readline():    # the benchmark died before "go"
        return
    held = []
    for _ in range(n):
        sock = socket.socket()
        sock.connect(("127.0.0.1", port))
        held.append(sock)
    sys.stdin.readline()        # until killed


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "hold":
        hold(int(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", choices=("spawn", "switch", "parked", "idle"))
    parser.add_argument("impl", choices=("trampoline", "asyncio", "uvloop", "floor",
                                         "asyncio-streams", "asyncio-protocols"))
    parser.add_argument("n", type=int, help="tasks, switches or connections (at least 1)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="parked and idle: bytes from tracemalloc (Python allocations "
                             "only), not from RSS")
    parser.add_argument("--profile", metavar="FILE", help="run under cProfile, stats to FILE")
    args = parser.parse_args()
    if args.n < 1:                      # (0: a division by zero; -1: a negative rate)
        parser.error("n must be at least 1, got %d" % args.n)
    if args.bench == "idle":
        raise_nofile(args.n)
    meter = Meter(args.tracemalloc)
    if args.profile:
        import cProfile
        global PROFILER
        PROFILER = cProfile.Profile()
        PROFILER.path = args.profile
        PROFILER.enable()
    if args.impl == "trampoline":
        trampoline_bench(args.bench, args.n, meter)
        return
    if args.impl == "floor":
        floor_bench(args.bench, args.n)
        return
    if args.impl == "uvloop":
        import asyncio
        try:
            import uvloop
        except ImportError:             # an optional peer: said as run.py reads it
            print(json.dumps({"error": "not available: uvloop is not installed"}))
            return
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    api = "protocols" if args.impl == "asyncio-protocols" else "streams"
    asyncio_bench(args.bench, args.n, meter, api)


if __name__ == "__main__":
    main()
