#!/usr/bin/env python3
"""The trampoline benchmark suite: the same loads against several servers,
in one run, side by side.

    python3 benchmarks/run.py                 # the full run (~15 min), writes RESULTS.md
    python3 benchmarks/run.py --quick         # a short run (< 1 min)
    python3 benchmarks/run.py --smoke         # tiny: does the suite still work? (~7 s)
    python3 benchmarks/run.py --only echo-1k,trampoline,asyncio-protocols
    python3 benchmarks/run.py --python pypy3  # trampoline (and asyncio) under PyPy too
    python3 benchmarks/run.py --profile       # cProfile of the trampoline server and micros

Servers (``benchmarks/servers/``): trampoline (raw traps, as the README's
first example); asyncio streams and protocols; and, when importable, uvloop
(streams and protocols), curio, trio, gevent -- a missing one is skipped with
a message (if that leaves nothing to measure, run.py says so, writes no
report and exits with status 1); and generator-floor, the smallest honest generator kernel
(``servers/floor_server.py``: a measuring stick, not a framework), whose CPU
per request the report sets beside the targets as the floor a pure-Python
kernel cannot go below.  Then trampoline's own programs: ``examples/echo_server.py`` as it
is (streams, ``run_server``), the HTTP server's handler, the kv server next to
a real redis-server, and the echo server on two worker processes.  Each server is a fresh process per
round, pinned to one CPU; the load client is pinned to the other.

Workloads:

  echo-1k     echo, 1 KiB messages, 100 connections, one message in flight each
  echo-10k    echo, 10 KiB, 100 connections
  echo-100k   echo, 100 KiB, 10 connections
  echo-c10k   echo, 64 B, 10,000 concurrent connections
  http        HTTP/1.1 keep-alive "Hello, world!" under wrk -t1 -c100
  micro       spawn+join, sleep(0) task switches, memory per parked task and
              per idle connection, trampoline vs asyncio (micro.py)

The echo client is ``echoload`` (``echoload.c``, built with ``cc`` into
``benchmarks/build/`` on first use): it checks every echoed byte, and a run
with any error -- a wrong byte, a reset, a stall -- is reported as FAILED,
not as a number.  HTTP uses ``wrk`` when it is installed.

Beside req/s, every server's CPU time per request, user and sys apart: its
utime and stime (/proc/PID/stat, the supervisor and its workers summed) over
the client's measured window only, divided by the requests completed in
that window.  On a shared machine req/s swings by a third between runs; CPU
per request much less, and the targets check it.

Each figure is the median of ``--rounds`` rounds, run interleaved (A B C A B
C ...), and the table gives the spread ((max - min) / median) and the ratio
to asyncio-protocols (micro: to asyncio).  Timing is never a test assertion.

The harness is split by concern under ``harness/``: ``plan`` (what can run,
the targets, the settings), ``processes`` (starting, stopping, /proc),
``loads`` (one round: server, client, measurement), ``rounds`` (interleaved
rounds and their medians), ``report`` (RESULTS.md).  This file is the
command line and the order of things.

On a shared machine other processes steal CPU from the server or the client.
The suite watches /proc/stat: before a round it waits (briefly) for both CPUs
to be idle, and a round during which others used more than 10% of either CPU
is run again (a bounded number of times; with --quick and --smoke only a
round that measured no request at all); RESULTS.md says how often.  A CPU
figure from under five clock ticks of the server's CPU is noted as coarse.

Every server frees one 1 MiB block at start-up so that glibc's malloc is in
the state a long-running process reaches (see ``servers/common.py``);
``--stock-malloc`` skips that, and asyncio then pays an mmap/munmap per read.
"""


import argparse
import os
import re
import shlex
import shutil
import sys
import time

from harness.loads import run_load, run_micro
from harness.plan import (BUILD, FLOOR, HERE, RESULTS, WORKLOADS, MicroImpl, Server, Settings,
                          build_echoload, check_server, default_servers, interpreter_tag,
                          output_problem, raise_nofile)
from harness.processes import end_interrupted, handle_signals, pin_self, stop_all
from harness.report import RunRecord, fmt_rate, git_revision, render, source_digest
from harness.rounds import run_loads, run_micro_suite


# --------------------------------------------------------- command line

def parse_args(argv=None):
    names = [w.key for w in WORKLOADS] + [s.name for s in default_servers()]
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="NAMEs: " + ", ".join(names),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: 1 round of 0.5 s, 2,000 connections for "
                             "echo-c10k, small micro benchmarks (under a minute)")
    parser.add_argument("--smoke", action="store_true",
                        help="--quick on tiny settings (0.2 s rounds, 500 connections, tiny micro "
                             "benchmarks): checks that the suite works, measures nothing")
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help="run only these workloads and/or servers (the others are left out)")
    parser.add_argument("--rounds", type=int, help="rounds per figure (default 5; --quick 1)")
    parser.add_argument("--seconds", type=float, help="measured seconds per round (default 2; --quick 0.5)")
    parser.add_argument("--warmup", type=float,
                        help="seconds of load before measuring (default 1, 2 with --python; --quick 0.2)")
    parser.add_argument("--python", metavar="PATH",
                        help="also run the trampoline and asyncio-protocols servers (and the "
                             "micro benchmarks) under this interpreter, e.g. pypy3")
    parser.add_argument("--output", metavar="FILE",
                        help="where to write the results (default, the first that "
                             "applies: --quick or --smoke: benchmarks/build/RESULTS-quick.md; "
                             "--only: benchmarks/build/RESULTS-partial.md; --python: "
                             "benchmarks/RESULTS-<implementation><version>.md, e.g. "
                             "RESULTS-pypy3.9.16.md; else benchmarks/RESULTS.md)")
    parser.add_argument("--stock-malloc", action="store_true",
                        help="do not put glibc malloc in its steady state in the servers (see "
                             "servers/common.py): asyncio then maps and unmaps every read buffer")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the suite: profile (cProfile) the trampoline echo server "
                             "under echo-1k and the trampoline micro benchmarks; print the top "
                             "functions by tottime")
    args = parser.parse_args(argv)
    check_args(parser, args, names)
    return args


def check_args(parser, args, names):
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.seconds is not None and not 0 < args.seconds < float("inf"):    # (NaN too)
        parser.error("--seconds must be a positive number, got %s" % args.seconds)
    if args.warmup is not None and not 0 <= args.warmup < float("inf"):
        parser.error("--warmup must be a number of seconds >= 0, got %s" % args.warmup)
    only = set()
    if args.only is not None:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        if not only:        # (it ran everything: a full run, RESULTS.md overwritten)
            parser.error("--only: no name given; choose from %s" % ", ".join(names))
        unknown = only - set(names)
        if unknown:
            parser.error("--only: unknown name(s) %s; choose from %s"
                         % (", ".join(sorted(unknown)), ", ".join(names)))
    args.only_set = only
    if args.output is not None:             # (not after a run of minutes)
        why = output_problem(args.output)
        if why:
            parser.error("--output: %s" % why)
    args.interpreter = None
    if args.python:
        found = shutil.which(args.python)
        if not found:
            parser.error("--python: %s not found (or not executable)" % args.python)
        args.interpreter = interpreter_tag(found)
        if args.interpreter is None:    # (its servers were skipped or failed, one by one)
            parser.error("--python: %s does not run as a Python interpreter" % found)
        args.python = found


def main(argv=None):
    args = parse_args(argv)
    settings = Settings(args)
    command = " ".join(shlex.quote(a) for a in ["python3", os.path.relpath(os.path.abspath(sys.argv[0]))]
                       + (sys.argv[1:] if argv is None else list(argv)))
    # run.py itself sits on the client's CPU: it sleeps while a load runs.
    pin_self(settings.client_cpu)
    handle_signals()
    try:
        if args.profile:
            return profile(settings)
        return suite(args, settings, command)
    finally:
        stop_all()


# ------------------------------------------------------------ the suite

def suite(args, settings, command):
    started = time.monotonic()
    record = RunRecord(args=args, settings=settings, command=command, revision=git_revision())
    digest = source_digest()

    def say(text):
        print(text, flush=True)
        record.messages.append(text)

    if settings.server_cpu is None:
        say("only one CPU: server and client are NOT pinned apart; figures compare poorly")
    else:
        print("server on CPU %d, client on CPU %d" % (settings.server_cpu, settings.client_cpu))
    tag, record.interpreter_name = args.interpreter or ("", "")
    if args.python:
        record.trampoline_name = record.micro_trampoline = "trampoline [%s]" % tag
    workload_names = {w.key for w in WORKLOADS}
    only_workloads = args.only_set & workload_names
    workloads = [w for w in WORKLOADS if not only_workloads or w.key in only_workloads]
    record.servers = choose_servers(args, tag, args.only_set - workload_names, say)
    record.load = choose_loads(workloads, settings, say)
    why = nothing_to_measure(record, workloads, args.only_set - workload_names)
    if why:
        print("run.py: nothing measured: %s; no report written" % why, file=sys.stderr)
        return 1

    record.results = run_loads(record.load, record.servers, settings)
    if any(w.kind == "micro" for w in workloads):
        record.micro = run_micro_suite(micro_impls(args, tag, record.servers), settings)

    if source_digest() != digest:
        record.messages.append("trampoline/ CHANGED during the run (someone edited it): the "
                               "rounds may have measured different code")
    record.elapsed = time.monotonic() - started
    report = render(record)
    print()
    print(report)
    write_report(report, output_path(args, settings, tag), record.elapsed)
    return 1 if failed(record) else 0


def choose_servers(args, tag, only_servers, say):
    """The servers to run: what is importable runs, the rest is skipped
    with a message."""
    candidates = default_servers()
    if args.python:
        candidates.insert(1, Server("trampoline [%s]" % tag, "trampoline_server.py",
                                    needs="trampoline", python=args.python))
        candidates.insert(3, Server("asyncio-protocols [%s]" % tag, "asyncio_server.py",
                                    ["--api", "protocols"], needs="asyncio", python=args.python))
    servers = []
    for server in candidates:
        if only_servers and server.name.split(" [")[0] not in only_servers:
            continue
        why = check_server(server)
        if why:
            say("skipping %s: %s" % (server.name, why))
        else:
            servers.append(server)
    return servers


def nothing_to_measure(record, workloads, only_servers):
    """Why the chosen servers and workloads measure nothing (a report of
    empty tables, exit status 0, would pass for a run), or None."""
    if any(w.kind == "micro" for w in workloads) or (record.load and record.servers):
        return None
    if not record.servers:
        return "every chosen server was skipped (%s)" % (
            ", ".join(sorted(only_servers)) or "all of them")
    return "every chosen workload was skipped (%s)" % ", ".join(w.key for w in workloads)


def choose_loads(workloads, settings, say):
    """The load workloads whose client can run here (the others skipped
    with a message); raises RLIMIT_NOFILE for echo-c10k."""
    load = [w for w in workloads if w.kind in ("echo", "http", "resp")]
    missing = {"echo": build_echoload() if any(w.kind == "echo" for w in load) else None,
               "http": None if shutil.which("wrk") else
               "wrk is not installed (apt-get install wrk)",
               "resp": None if shutil.which("redis-benchmark") else
               "redis-benchmark is not installed (apt-get install redis-tools)"}
    names = {"echo": "the echo workloads", "http": "the HTTP workload",
             "resp": "the Redis-protocol workload"}
    for kind, why in missing.items():
        if why and any(w.kind == kind for w in load):
            say("skipping %s: %s" % (names[kind], why))
            load = [w for w in load if w.kind != kind]
    for workload in load:
        if workload.key == "echo-c10k":
            fit_c10k(workload, settings, say)
    return load


def fit_c10k(workload, settings, say):
    """Raise RLIMIT_NOFILE for the 10,000 connections (or as many as fit)."""
    message, fits = raise_nofile(settings.c10k)
    say(message)
    settings.c10k = min(settings.c10k, fits)
    if settings.c10k != 10000:
        workload.title = "echo 64 B × {:,} conns".format(settings.c10k)
        if settings.quick:
            say("--quick/--smoke: echo-c10k runs with {:,} connections".format(settings.c10k))


def micro_impls(args, tag, servers):
    impls = [MicroImpl("trampoline", "trampoline", sys.executable),
             MicroImpl("asyncio", "asyncio", sys.executable)]
    if any(s.name.startswith("uvloop") for s in servers):
        impls.append(MicroImpl("uvloop", "uvloop", sys.executable))
    if any(s.name == FLOOR for s in servers):       # (spawn and switch only)
        impls.append(MicroImpl(FLOOR, "floor", sys.executable))
    if args.python:
        impls.insert(1, MicroImpl("trampoline [%s]" % tag, "trampoline", args.python))
        impls.append(MicroImpl("asyncio [%s]" % tag, "asyncio", args.python))
    return impls


def output_path(args, settings, tag):
    if args.output is not None:
        return args.output
    if settings.quick or args.only_set:
        return os.path.join(BUILD, "RESULTS-quick.md" if settings.quick else "RESULTS-partial.md")
    if args.python:
        return os.path.join(HERE, "RESULTS-%s.md" % re.sub(r"[^\w.-]", "", tag))
    return RESULTS


def write_report(report, output, elapsed):
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w", encoding="utf-8") as out:
        out.write(report)
    print("written to %s (%.0f s)" % (os.path.relpath(output), elapsed))


def failed(record):
    """Did any load round or micro benchmark fail (not merely "not available")?"""
    return any(not cell.ok for cell in record.results.values()) or any(
        entry["errors"] and not all("not available" in e for e in entry["errors"])
        for entry in record.micro.values())


# ------------------------------------------------------------- profile

def profile(settings):
    """cProfile the trampoline echo server under echo-1k, then the trampoline
    micro benchmarks; print the top functions by tottime."""
    import pstats

    why = build_echoload()
    if why:
        print(why)
        return 1
    os.makedirs(BUILD, exist_ok=True)
    stats_path = os.path.join(BUILD, "profile-echo-1k.prof")
    server = Server("trampoline", "trampoline_server.py", ["--profile", stats_path], needs="trampoline")
    workload = WORKLOADS[0]
    outcome = run_load(workload, server, settings, 0)
    print("== trampoline echo server under %s (cProfile on; %s)" % (
        workload.title, "FAILED: " + outcome.error if not outcome.ok else
        "%s req/s under the profiler" % fmt_rate(outcome.rate)))
    if os.path.exists(stats_path):
        pstats.Stats(stats_path).sort_stats("tottime").print_stats(25)
    for bench in ("spawn", "switch"):
        path = os.path.join(BUILD, "profile-%s.prof" % bench)
        figures = run_micro(bench, "trampoline", sys.executable, settings.micro_n[bench],
                            False, settings, profile=path)
        print("== micro %s (cProfile on): %s" % (bench, figures))
        if os.path.exists(path):
            pstats.Stats(path).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:       # (main has stopped every server and client)
        end_interrupted("run.py", "no report written")
    sys.exit(status)
