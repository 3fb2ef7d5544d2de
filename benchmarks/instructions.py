#!/usr/bin/env python3
"""Instructions per request: a figure this noisy machine cannot move.

    python3 benchmarks/instructions.py [--only NAME,...] [--size 1024] [--conns 100]

run.py measures CPU time, which other tenants of a shared machine push up
and down by 10-30% between runs: too coarse to tell whether a change to the
kernel saved 3%.  This script counts, with valgrind's cachegrind, the
instructions the server executes in user space -- the same on every run to
within a fraction of a percent -- for each echo request, each HTTP request
(wrk's hello load, when wrk is installed), and the same for the micro
benchmarks' operations.  It leaves out what cachegrind cannot see:
the time spent in the Linux kernel (recv, send, epoll: most of a request's
CPU time, and about the same for every server) and cache and branch
behaviour.  So it is the tool for A/B-ing a change to the Python side, not a
replacement for run.py's side-by-side CPU figures.

How: each server is started twice under cachegrind (about 50x slower),
echoload (or wrk) drives it for a short and a long window, and the difference of the
two instruction totals over the difference of the two request counts is
what one more request costs -- start-up, imports and connection set-up
cancel out.  Micro benchmarks likewise run N and 2N operations.
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

from harness.plan import ECHOLOAD, build_echoload, default_servers
from harness.processes import repo_env, spawn, stop, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
#: The servers counted by default (names as in run.py), for echo and for HTTP.
DEFAULT = ("trampoline", "trampoline-echo_server", "asyncio-protocols", "generator-floor")
HTTP_DEFAULT = ("trampoline", "trampoline-http_server", "asyncio-protocols", "generator-floor")
#: echoload's two windows, seconds (under cachegrind a server does ~1-2 k requests/s).
WINDOWS = (2, 6)


def cachegrind(cmd, out):
    return ["valgrind", "--tool=cachegrind", "--cache-sim=no",
            "--cachegrind-out-file=" + out] + cmd


def instructions(out):
    """The total instruction count (Ir) cachegrind wrote to ``out``."""
    with open(out) as results:
        for line in results:
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("no summary in %s" % out)


def one_window(server, mode, seconds, args, scratch):
    """Serve ``seconds`` of echo (``mode``: or http) load under cachegrind:
    (requests, instructions)."""
    out = os.path.join(scratch, "%s-%s-%d.cg" % (server.name, mode, seconds))
    proc = spawn(cachegrind(server.command(mode), out), None,
                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = wait_ready(proc, server.ready, 120)
        if isinstance(port, str):
            raise RuntimeError("%s: %s" % (server.name, port))
        if mode == "http":
            command = ["wrk", "-t1", "-c%d" % args.conns, "-d%ds" % seconds,
                       "http://127.0.0.1:%d/" % port]
            pattern = r"(\d+) requests in"
        else:
            command = [ECHOLOAD, "127.0.0.1", str(port), str(args.conns), str(args.size),
                       str(seconds), "0", "1"]
            pattern = r"\brequests=(\d+)"
        load = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        match = re.search(pattern, load.stdout)
        if load.returncode != 0 or not match:
            raise RuntimeError("%s: %s: %s" % (server.name, command[0],
                                               (load.stderr or load.stdout).strip()))
    finally:
        stop(proc)              # SIGTERM: the servers exit, and cachegrind writes its file
    return int(match.group(1)), instructions(out)


def per_request(server, mode, args, scratch):
    (r1, i1), (r2, i2) = (one_window(server, mode, seconds, args, scratch) for seconds in WINDOWS)
    if r2 <= r1:
        raise RuntimeError("%s: the long window served no more requests (%d, %d)" % (server.name, r1, r2))
    return (i2 - i1) / (r2 - r1), r2 - r1


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
        subprocess.run(cachegrind([sys.executable, os.path.join(HERE, "micro.py"), bench, impl,
                                   str(count)], out),
                       env=repo_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True, timeout=600)
        totals.append(instructions(out))
    # micro.py's switch makes 2N switches for N; spawn makes N tasks.
    ops = 2 * n if bench == "switch" else n
    return (totals[1] - totals[0]) / ops


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="these servers and/or 'micro' (comma-separated)")
    parser.add_argument("--size", type=int, default=1024, help="echo message size (default 1024)")
    parser.add_argument("--conns", type=int, default=100, help="connections (default 100)")
    parser.add_argument("--micro-n", type=int, default=20000, help="micro operations (default 20000)")
    parser.add_argument("--output", metavar="FILE", help="also write the tables, with the command, "
                        "commit and date, to FILE (e.g. benchmarks/INSTRUCTIONS.md)")
    args = parser.parse_args()
    for option, value in (("--size", args.size), ("--conns", args.conns),
                          ("--micro-n", args.micro_n)):
        if value < 1:                   # (--micro-n 0: a division by zero after minutes)
            parser.error("%s must be at least 1, got %d" % (option, value))
    servers = {server.name: server for server in default_servers()}
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = [name for name in wanted if name not in servers and name != "micro"]
        if unknown or not wanted:
            parser.error("unknown server(s): %s (known: %s, micro)"
                         % (", ".join(unknown) or repr(args.only), ", ".join(servers)))
        echo = [name for name in wanted if name in servers and _serves(servers[name], "echo-1k")]
        http = [name for name in wanted if name in servers and _serves(servers[name], "http")]
    else:
        wanted, echo, http = ["micro"], list(DEFAULT), list(HTTP_DEFAULT)
    if not shutil.which("valgrind"):
        sys.exit("instructions.py needs valgrind (apt-get install valgrind)")
    if http and not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk): no HTTP table", flush=True)
        http = []
    build_echoload()
    lines = []

    def say(line):
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as scratch:
        for mode, names, title in (("echo", echo, "echo %d B × %d" % (args.size, args.conns)),
                                   ("http", http, "HTTP hello, wrk -c%d" % args.conns)):
            if not names:
                continue
            say("| %s: server | instructions per request | × asyncio-protocols |" % title)
            say("|---|---|---|")
            rows = [(name, per_request(servers[name], mode, args, scratch)) for name in names]
            base = dict(rows).get("asyncio-protocols", (None,))[0]
            for name, (count, requests) in rows:
                say("| %s | %.0f | %s |" % (name, count, "%.2f" % (count / base) if base else "–"))
            say("")
        if "micro" in wanted:
            say("| micro benchmark | trampoline | asyncio | asyncio ÷ trampoline "
                "| generator-floor (micro.py floor) | asyncio ÷ floor |")
            say("|---|---|---|---|---|---|")
            for bench, what in MICRO.items():
                ours, theirs, floor = (per_operation(bench, impl, args.micro_n, scratch)
                                       for impl in ("trampoline", "asyncio", "floor"))
                say("| %s (%s) | %.0f | %.0f | %.2f | %.0f | %.2f |"
                    % (bench, what, ours, theirs, theirs / ours, floor, theirs / floor))
    if args.output:
        write_report(args.output, lines)


def _serves(server, key):
    return key in server.workloads if server.workloads else key in ("echo-1k", "http")


def write_report(path, tables):
    commit = subprocess.run(["git", "-C", HERE, "log", "-1", "--format=%h %s"],
                            stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    head = ["# Instructions per request (cachegrind)", "",
            "- command: `python3 benchmarks/instructions.py %s`" % " ".join(sys.argv[1:]),
            "- trampoline: commit %s" % (commit[:80] + ("..." if len(commit) > 80 else "")),
            "- date: %s; %s %s" % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                   platform.python_implementation(), platform.python_version()),
            "- what: user-space instructions the server executes per echo or HTTP request (the "
            "difference of a %d s and a %d s window under echoload or wrk, over the difference "
            "of their requests), and per micro operation (N and 2N).  Deterministic to a fraction "
            "of a percent; it leaves out time in the Linux kernel (most of a request's CPU, "
            "about the same for every server) and cache and branch effects: see "
            "benchmarks/instructions.py and, for CPU time, RESULTS.md." % WINDOWS, ""]
    with open(path, "w") as report:
        report.write("\n".join(head + tables) + "\n")


if __name__ == "__main__":
    main()
