#!/usr/bin/env python3
"""Instructions per request: a figure this noisy machine cannot move.

    python3 benchmarks/instructions.py [--only NAME,...] [--size 1024] [--conns 100]
                                       [--conn-n 2000] [--micro-n 20000] [--output FILE]

run.py measures CPU time, which other tenants of a shared machine push up
and down by 10-30% between runs: too coarse to tell whether a change to the
kernel saved 3%.  This script counts, with valgrind's cachegrind, the
instructions the server executes in user space -- the same on every run to
within a fraction of a percent -- for each echo request, each HTTP request
(wrk's hello load, when wrk is installed), each short-lived connection
(accept, one 64-byte echo, close: what a server pays per client that
connects once -- its task, its stream, its accept and close), and the same
for the micro benchmarks' operations.  It leaves out what cachegrind cannot see:
the time spent in the Linux kernel (recv, send, epoll: most of a request's
CPU time, and about the same for every server) and cache and branch
behaviour.  So it is the tool for A/B-ing a change to the Python side, not a
replacement for run.py's side-by-side CPU figures.

How: each server is started twice under cachegrind (about 50x slower),
echoload (or wrk) drives it for a short and a long window, and the difference of the
two instruction totals over the difference of the two request counts is
what one more request costs -- start-up, imports and connection set-up
cancel out.  The connection table likewise serves N and 2N connections
(``echoload --sequential``: one at a time, each connect, 64 bytes, the
echo checked byte for byte, a half-close, the server's close awaited,
close), and (I(2N) - I(N)) / N is what one more client costs.  Micro
benchmarks likewise run N and 2N operations.

Tables: echo, http, conn (the servers' tables, in that order) and micro.
``--only`` takes server names and/or table names: the tables named (a
server but no server table named: echo, http and conn), for the servers
named (none named: each table's default servers).  So ``--only conn`` is
the connection table alone, ``--only trampoline`` every server table for
trampoline, ``--only micro`` the micro benchmarks.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

from harness.plan import ECHOLOAD, build_echoload, default_servers, output_problem
from harness.processes import end_interrupted, handle_signals, spawn, stop, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
#: The servers counted by default (names as in run.py), for echo and for HTTP.
DEFAULT = ("trampoline", "trampoline-echo_server", "asyncio-protocols", "generator-floor")
HTTP_DEFAULT = ("trampoline", "trampoline-http_server", "asyncio-protocols", "generator-floor")
#: The tables, in the order they run: each server table's default servers, then micro.
DEFAULTS = {"echo": list(DEFAULT), "http": list(HTTP_DEFAULT), "conn": list(DEFAULT)}
TABLES = tuple(DEFAULTS) + ("micro",)
#: The workload a server must serve to have a row in a table (conn: an echo server).
WORKLOAD = {"echo": "echo-1k", "http": "http", "conn": "echo-1k"}
#: The connection table: N and 2N short-lived connections of one CONN_SIZE-byte echo each.
CONN_N, CONN_SIZE = 2000, 64
#: echoload's two windows, seconds (under cachegrind a server does ~1-2 k requests/s).
WINDOWS = (2, 6)


class Failed(Exception):
    """A figure that could not be counted; the message says which and why.
    Its row says "failed" and the run goes on to the next (exit status 1)."""


def cachegrind(cmd, out):
    return ["valgrind", "--tool=cachegrind", "--cache-sim=no",
            "--cachegrind-out-file=" + out] + cmd


def last_words(path):
    """The last line of a failed program's standard error (valgrind's or
    its program's), as ": LINE" -- or nothing."""
    try:
        with open(path, errors="replace") as errors:
            lines = [line.strip() for line in errors
                     if line.strip() and "Use --help for more information" not in line]
    except OSError:
        return ""
    return ": " + lines[-1][:300].lstrip("=0123456789 ") if lines else ""


def instructions(out):
    """The total instruction count (Ir) cachegrind wrote to ``out``."""
    with open(out) as results:
        for line in results:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise Failed("no summary in %s" % out)


def under_cachegrind(server, mode, out, client, timeout=120):
    """Start ``server`` (in ``mode``) under cachegrind, writing to ``out``;
    run the command ``client(port)`` against it to the end; stop the server:
    (the client's output, the server's instructions).  A client that fails
    is an error naming the server and the client's complaint."""
    with open(out + ".stderr", "w+") as errors:
        proc = spawn(cachegrind(server.command(mode), out), None,
                     stdout=subprocess.PIPE, stderr=errors)
    try:
        port = wait_ready(proc, server.ready, 120)
        if isinstance(port, str):
            raise Failed("%s: %s%s" % (server.name, port, last_words(out + ".stderr")))
        command = client(port)
        load = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
        if load.returncode != 0:
            raise Failed("%s: %s: %s" % (server.name, os.path.basename(command[0]),
                                               (load.stderr or load.stdout).strip()))
    finally:
        stop(proc)              # SIGTERM: the servers exit, and cachegrind writes its file
    return load.stdout, instructions(out)


def one_window(server, mode, seconds, args, scratch):
    """Serve ``seconds`` of echo (``mode``: or http) load under cachegrind:
    (requests, instructions)."""
    out = os.path.join(scratch, "%s-%s-%d.cg" % (server.name, mode, seconds))
    if mode == "http":
        pattern = r"(\d+) requests in"

        def client(port):
            return ["wrk", "-t1", "-c%d" % args.conns, "-d%ds" % seconds,
                    "http://127.0.0.1:%d/" % port]
    else:
        pattern = r"\brequests=(\d+)"

        def client(port):
            return [ECHOLOAD, "127.0.0.1", str(port), str(args.conns), str(args.size),
                    str(seconds), "0", "1"]
    output, total = under_cachegrind(server, mode, out, client)
    match = re.search(pattern, output)
    if not match:
        raise Failed("%s: no request count in the client's output: %s"
                           % (server.name, output.strip()))
    return int(match.group(1)), total


def per_request(server, mode, args, scratch):
    (r1, i1), (r2, i2) = (one_window(server, mode, seconds, args, scratch) for seconds in WINDOWS)
    if r2 <= r1:
        raise Failed("%s: the long window served no more requests (%d, %d)" % (server.name, r1, r2))
    return (i2 - i1) / (r2 - r1), r2 - r1


def connection_client(count):
    """echoload's command for ``count`` short-lived connections, one after
    another (each: connect, a CONN_SIZE-byte echo, every byte checked,
    close), as a function of the port."""
    return lambda port: [ECHOLOAD, "--sequential", "127.0.0.1", str(port), str(count),
                         str(CONN_SIZE)]


def per_connection(server, args, scratch):
    """What one more short-lived client costs ``server``: instructions for
    2N sequential connections less those for N, over N."""
    totals = []
    for count in (args.conn_n, 2 * args.conn_n):
        out = os.path.join(scratch, "%s-conn-%d.cg" % (server.name, count))
        output, total = under_cachegrind(server, "echo", out, connection_client(count), 600)
        if "connections=%d " % count not in output:
            raise Failed("%s: echoload did not complete %d connections: %s"
                               % (server.name, count, output.strip()))
        totals.append(total)
    return (totals[1] - totals[0]) / args.conn_n, args.conn_n


MICRO = {
    # (bench, impl): the program micro.py runs; instructions per operation.
    "switch": "sleep(0) ping-pong: one operation is one task switch",
    "spawn": "spawn a task that returns at once, then join it",
}


def per_operation(bench, impl, n, scratch):
    """Instructions per operation of micro.py's ``bench`` for ``impl``."""
    totals = []
    for count in (n, 2 * n):
        out = os.path.join(scratch, "%s-%s-%d.cg" % (bench, impl, count))
        # (spawn: tied to us, killed should we die -- it ran on for minutes)
        with open(out + ".stderr", "w+") as errors:
            proc = spawn(cachegrind([sys.executable, os.path.join(HERE, "micro.py"), bench, impl,
                                     str(count)], out), None,
                         stdout=subprocess.DEVNULL, stderr=errors)
        try:
            status = proc.wait(600)
        finally:
            stop(proc)
        if status:
            raise Failed("micro.py %s %s %d under cachegrind: exit status %s%s"
                         % (bench, impl, count, status, last_words(out + ".stderr")))
        totals.append(instructions(out))
    # micro.py's switch makes 2N switches for N; spawn makes N tasks.
    ops = 2 * n if bench == "switch" else n
    return (totals[1] - totals[0]) / ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="these servers and/or tables (%s), comma-separated"
                        % ", ".join(TABLES))
    parser.add_argument("--size", type=int, default=1024, help="echo message size (default 1024)")
    parser.add_argument("--conns", type=int, default=100, help="the echo and HTTP loads' connections (default 100)")
    parser.add_argument("--conn-n", type=int, default=CONN_N, help="the connection table's N: "
                        "N and 2N connections (default %d)" % CONN_N)
    parser.add_argument("--micro-n", type=int, default=20000, help="micro operations (default 20000)")
    parser.add_argument("--output", metavar="FILE", help="also write the tables, with the command, "
                        "commit and date, to FILE (e.g. benchmarks/INSTRUCTIONS.md)")
    args = parser.parse_args()
    for option, value in (("--size", args.size), ("--conns", args.conns),
                          ("--conn-n", args.conn_n), ("--micro-n", args.micro_n)):
        if value < 1:                   # (--micro-n 0: a division by zero after minutes)
            parser.error("%s must be at least 1, got %d" % (option, value))
    if args.output is not None:             # (not after minutes of cachegrind)
        why = output_problem(args.output)
        if why:
            parser.error("--output: %s" % why)
    servers = {server.name: server for server in default_servers()}
    chosen = choose(parser, args.only, servers)
    check_tools(chosen)
    handle_signals()
    lines = []

    def say(line):
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as scratch:
        for table, names in chosen.items():
            if table == "micro":
                micro_table(args, scratch, say)
            elif names:
                server_table(table, [servers[name] for name in names], args, scratch, say)
    if args.output:
        write_report(args.output, lines, args.conn_n)
    if FAILURES:
        print("instructions.py: %d figure(s) not counted (their rows say failed)" % len(FAILURES),
              file=sys.stderr)
        return 1
    return 0


def choose(parser, only, servers):
    """The tables to run, in TABLES' order: {table: server names} (micro's
    list is empty).  ``only`` names servers and/or tables: the tables named
    (a server named but no server table: echo, http and conn), for the
    servers named that serve them (none named: each table's defaults)."""
    if only is None:
        return dict(DEFAULTS, micro=[])
    wanted = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in servers and name not in TABLES]
    if unknown or not wanted:
        parser.error("%s (known: %s; tables: %s)"
                     % ("unknown server(s): " + ", ".join(unknown) if unknown else
                        "--only: no name given", ", ".join(servers), ", ".join(TABLES)))
    names = [name for name in wanted if name in servers]
    tables = [table for table in DEFAULTS if table in wanted] or (list(DEFAULTS) if names else [])
    chosen = {table: [name for name in names if _serves(servers[name], WORKLOAD[table])]
              if names else list(DEFAULTS[table]) for table in tables}
    if not any(chosen.values()) and "micro" not in wanted:
        parser.error("nothing to count: %s has no row in the table(s) %s"
                     % (", ".join(names), ", ".join(tables)))
    if "micro" in wanted:
        chosen["micro"] = []
    return chosen


def check_tools(chosen):
    """Exit if valgrind or echoload is missing; without wrk, no HTTP table."""
    if not shutil.which("valgrind"):
        sys.exit("instructions.py needs valgrind (apt-get install valgrind)")
    if chosen.get("http") and not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): no HTTP table", flush=True)
        chosen["http"] = []
    if chosen.get("echo") or chosen.get("conn"):
        why = build_echoload()
        if why:
            sys.exit("instructions.py: %s" % why)


def server_table(table, servers, args, scratch, say):
    """One table of instructions per request (per connection for conn), a
    row a server, with its ratio to asyncio-protocols' when that is a row."""
    title, unit = {"echo": ("echo %d B × %d" % (args.size, args.conns), "request"),
                   "http": ("HTTP hello, wrk -c%d" % args.conns, "request"),
                   "conn": ("connection: accept, %d B echo, close" % CONN_SIZE, "connection")}[table]
    say("| %s: server | instructions per %s | × asyncio-protocols |" % (title, unit))
    say("|---|---|---|")
    rows = [(server.name, attempt(per_connection, server, args, scratch) if table == "conn"
             else attempt(per_request, server, table, args, scratch)) for server in servers]
    base = dict(rows).get("asyncio-protocols")
    base = base[0] if base else None
    for name, counted in rows:
        if counted is None:
            say("| %s | failed (above) | – |" % name)
        else:
            say("| %s | %.0f | %s |" % (name, counted[0], "%.2f" % (counted[0] / base) if base else "–"))
    say("")


FAILURES = []


def attempt(measure, *args):
    """``measure(*args)``, or None when it failed: the failure is printed
    (one line naming the server or benchmark and why) and remembered."""
    try:
        return measure(*args)
    except Failed as failure:
        print("instructions.py: %s" % failure, file=sys.stderr, flush=True)
        FAILURES.append(str(failure))
        return None


def micro_table(args, scratch, say):
    say("| micro benchmark | trampoline | asyncio | asyncio ÷ trampoline "
        "| generator-floor (micro.py floor) | asyncio ÷ floor |")
    say("|---|---|---|---|---|---|")
    for bench, what in MICRO.items():
        ours, theirs, floor = (attempt(per_operation, bench, impl, args.micro_n, scratch)
                               for impl in ("trampoline", "asyncio", "floor"))
        if None in (ours, theirs, floor):
            say("| %s (%s) | failed (above) | | | | |" % (bench, what))
            continue
        say("| %s (%s) | %.0f | %.0f | %.2f | %.0f | %.2f |"
            % (bench, what, ours, theirs, theirs / ours, floor, theirs / floor))


def _serves(server, key):
    return key in server.workloads if server.workloads else key in ("echo-1k", "http")


def write_report(path, tables, conn_n):
    commit = subprocess.run(["git", "-C", HERE, "log", "-1", "--format=%h %s"],
                            stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    head = ["# Instructions per request (cachegrind)", "",
            "- command: `python3 benchmarks/instructions.py %s`" % " ".join(sys.argv[1:]),
            "- trampoline: commit %s" % (commit[:80] + ("..." if len(commit) > 80 else "")),
            "- date: %s; %s %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                   platform.python_implementation(), platform.python_version()),
            "- what: user-space instructions the server executes per echo or HTTP request (the "
            "difference of a %d s and a %d s window under echoload or wrk, over the difference "
            "of their requests), per short-lived connection (N = %d and 2N connections one "
            "after another, each connect, %d B echo, close), and per micro operation (N and "
            "2N).  Deterministic to a fraction "
            "of a percent; it leaves out time in the Linux kernel (most of a request's CPU, "
            "about the same for every server) and cache and branch effects: see "
            "benchmarks/instructions.py and, for CPU time, RESULTS.md."
            % (WINDOWS + (conn_n, CONN_SIZE)), ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as report:
        report.write("\n".join(head + tables) + "\n")


if __name__ == "__main__":
    try:
        status = main()
    except KeyboardInterrupt:       # (under_cachegrind has stopped its server)
        end_interrupted("instructions.py", "no table finished since the last one printed")
    sys.exit(status)
