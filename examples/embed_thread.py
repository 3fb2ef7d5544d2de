#!/usr/bin/env python3
"""A blocking program that hands its network work to a kernel thread.

    printf 'hello\\nworld\\n' | python3 examples/embed_thread.py
    python3 examples/embed_thread.py --count 1000 --workers 20
    python3 examples/embed_thread.py --port 25000 --count 10   # an echo server of yours

The main thread is ordinary blocking code -- think of a command-line tool
or a thread of a web framework.  It starts a trampoline kernel in a thread
of its own and talks to it in two ways:

* ``call_in_kernel(kernel, coro)`` runs one coroutine as a task in the
  kernel's thread (``spawn_threadsafe``) and blocks until its result comes
  back through a ``concurrent.futures.Future`` -- here, to start a small
  upper-casing line server and learn its address;
* two ``UniversalQueue`` s: the main thread ``put`` s jobs on one, worker
  tasks ``yield jobs.get()`` them, make a network round trip each (all at
  once, one connection per worker), and ``yield results.put(...)`` the
  answers, which the main thread ``get`` s.  The jobs queue is bounded:
  when the workers fall behind, the main thread's ``put`` blocks.

Without ``--count`` each line of stdin makes one round trip and its answer
is printed; with ``--count N`` N messages go out at once and a summary is
printed; the exit status is 1 if a round trip failed.  If the server cannot
start (``--host`` not found, not an address of this machine), that is one
line, exit status 1.  At the end the main thread tells the kernel to stop
(a trampoline ``Future`` set from this thread) and joins its thread.
"""

import argparse
import concurrent.futures
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from trampoline import Future, Kernel, TaskError, join, select, spawn  # noqa: E402
from trampoline.net import check_port, format_address  # noqa: E402
from trampoline.streams import open_connection, tcp_server  # noqa: E402
from trampoline.universal import UniversalQueue  # noqa: E402


# ------------------------------------------------- in the kernel's thread

def upper(stream, address):
    """The service: every line comes back in capitals."""
    while True:
        line = yield stream.readline()
        if not line:
            break
        yield stream.write(line.upper())


def start_server(host):
    """Start the line server as a task of its own; return its address, or
    raise why it could not listen (a host not found ...).  ``select``
    waits for whichever comes first: the address, or the server's end."""
    listening = Future()
    server = yield spawn(tcp_server(host, 0, upper, ready=listening))
    try:
        _, address = yield select(listening, join(server))
    except TaskError as exc:
        raise exc.__cause__ from None       # the server's own error
    return address


def worker(address, jobs, results):
    """Take jobs for ever (the kernel cancels it at the end); one
    connection, one round trip a job.  Every job gets an answer -- an error
    too -- so the main thread never waits for one that will not come."""
    stream = error = None
    try:
        stream = yield open_connection(*address[:2])   # (IPv6: 4 items, host and port first)
    except Exception as exc:                # refused, host not found ...
        error = exc
    try:
        while True:
            job = yield jobs.get()
            try:
                if error is not None:
                    raise error
                yield stream.write(job.encode() + b"\n")
                reply = yield stream.readline()
                if not reply:
                    raise ConnectionError("the server closed the connection")
                answer = (job, reply.decode().rstrip("\n"), None)
            except Exception as exc:        # an answer all the same: the error
                if isinstance(exc, OSError):
                    error = exc             # the connection is broken: every later job's too
                answer = (job, None, exc)
            yield results.put(answer)
    finally:
        if stream is not None:
            stream.close()


def kernel_main(stop):
    """The kernel's main task: wait until the main thread says stop.  The
    server and the workers run beside it; when it returns, run() cancels
    them, and their cleanup runs."""
    yield stop


# -------------------------------------------------- in the main thread

def call_in_kernel(kernel, coro):
    """Run ``coro`` as a task of ``kernel`` (running in another thread);
    block until it returns, and return its result or raise its error."""
    outcome = concurrent.futures.Future()

    def task():
        try:
            result = yield coro
        except BaseException as exc:
            outcome.set_exception(exc)      # the error is the caller's now ...
            if not isinstance(exc, Exception):
                raise                       # ... but a cancellation goes on
            return
        outcome.set_result(result)

    kernel.spawn_threadsafe(task())
    return outcome.result()


def stop_kernel(kernel, stop, engine):
    """Tell the kernel's main task to return, wait for its thread, close it."""
    if not stop.done():
        stop.set_result(None)                   # (any thread may set a Future)
    engine.join(10)
    kernel.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="a blocking program using a kernel thread")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address of the line server (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0,
                        help="talk to this server (an echo server, say); 0, the default, "
                             "starts an upper-casing server in the kernel thread")
    parser.add_argument("--count", type=int, metavar="N",
                        help="send N messages at once instead of the lines of stdin")
    parser.add_argument("--workers", type=int, default=4,
                        help="worker tasks, each with its own connection (default 4)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1, got %d" % args.workers)
    if args.count is not None and args.count < 0:
        parser.error("--count must be at least 0, got %d" % args.count)
    try:
        check_port(args.port, "--port")
    except ValueError as exc:               # 99999: one line naming --port, as elsewhere
        print("embed_thread: %s" % exc, file=sys.stderr)
        return 1

    if sys.stdout is None:                      # ``>&-``: answers would go nowhere
        print("embed_thread: stdout is closed", file=sys.stderr)
        return 1

    kernel = Kernel()
    stop = Future()
    engine = threading.Thread(target=kernel.run, args=(kernel_main(stop),),
                              name="trampoline", daemon=True)
    engine.start()
    jobs = UniversalQueue(maxsize=2 * args.workers)
    results = UniversalQueue()
    failed = 0
    try:
        address = (args.host, args.port)
        if not args.port:
            address = call_in_kernel(kernel, start_server(args.host))
        print("round trips to %s" % format_address(address), file=sys.stderr, flush=True)
        for _ in range(args.workers):
            kernel.spawn_threadsafe(worker(address, jobs, results))

        if args.count is None:                  # one line at a time, as typed
            # (bytes: not UTF-8 is no error; stdin closed, ``<&-``: no lines)
            for line in sys.stdin.buffer if sys.stdin is not None else ():
                jobs.put(line.decode(errors="replace").rstrip("\n"))
                job, reply, error = results.get()
                failed += error is not None
                print("%s -> %s" % (job, reply if error is None else "error: %s" % error),
                      flush=True)
        else:                                   # all at once
            started = time.monotonic()
            for n in range(args.count):
                jobs.put("message %d" % n)      # blocks while the workers are behind
            answers = [results.get() for _ in range(args.count)]
            errors = [error for _, _, error in answers if error is not None]
            wrong = [job for job, reply, error in answers
                     if error is None and reply not in (job, job.upper())]
            failed = len(errors) + len(wrong)
            print("%d round trips by %d worker tasks in %.3f s: %d wrong, %d failed%s"
                  % (args.count, args.workers, time.monotonic() - started, len(wrong),
                     len(errors), " (%s)" % errors[0] if errors else ""), flush=True)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        failed = 130
    except OSError as exc:                      # the server could not start
        print("embed_thread: %s" % exc, file=sys.stderr)
        failed = 1
    finally:
        try:
            stop_kernel(kernel, stop, engine)
        except KeyboardInterrupt:   # a Ctrl-C handled only now: it came as stdin
            print("interrupted", file=sys.stderr)   # ended (its writer stopped
            failed = 130                            # by the same Ctrl-C)
            stop_kernel(kernel, stop, engine)
    if failed == 130:
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
