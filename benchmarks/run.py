#!/usr/bin/env python3
"""The trampoline benchmark suite: the same loads against several servers,
in one run, side by side.

    python3 benchmarks/run.py                 # the full run (~15 min), writes RESULTS.md
    python3 benchmarks/run.py --quick         # a short run (< 1 min)
    python3 benchmarks/run.py --smoke         # tiny: does the suite still work? (~7 s)
    python3 benchmarks/run.py --only echo-1k,trampoline,asyncio-protocols
    python3 benchmarks/run.py --python pypy3  # trampoline (and asyncio) under PyPy too
    python3 benchmarks/run.py --profile       # cProfile of the trampoline server and micros

Servers (``benchmarks/servers/``): trampoline; asyncio streams and protocols;
and, when importable, uvloop (streams and protocols), curio, trio, gevent --
a missing one is skipped with a message.  Each server is a fresh process per
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

Each figure is the median of ``--rounds`` rounds, run interleaved (A B C A B
C ...), and the table gives the spread ((max - min) / median) and the ratio
to asyncio-protocols (micro: to asyncio).  Timing is never a test assertion.

On a shared machine other processes steal CPU from the server or the client.
The suite watches /proc/stat: before a round it waits (briefly) for both CPUs
to be idle, and a round during which others used more than 10% of either CPU
is run again (a bounded number of times); RESULTS.md says how often.

Every server frees one 1 MiB block at start-up so that glibc's malloc is in
the state a long-running process reaches (see ``servers/common.py``);
``--stock-malloc`` skips that, and asyncio then pays an mmap/munmap per read.
"""

import argparse
import ctypes
import json
import os
import platform
import re
import resource
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SERVERS_DIR = os.path.join(HERE, "servers")
BUILD = os.path.join(HERE, "build")
LOGS = os.path.join(BUILD, "logs")
ECHOLOAD_SRC = os.path.join(HERE, "echoload.c")
ECHOLOAD = os.path.join(BUILD, "echoload")
RESULTS = os.path.join(HERE, "RESULTS.md")
SCALING = os.path.join(HERE, "scaling.md")
BASELINE = "asyncio-protocols"
MICRO_BASELINE = "asyncio"

# ------------------------------------------------------------------ what

class Workload:
    def __init__(self, key, title, kind, size=0, conns=0, baseline=None):
        self.key, self.title, self.kind, self.size, self.conns = key, title, kind, size, conns
        self.baseline = baseline or BASELINE    # what the × columns divide by


WORKLOADS = [
    Workload("echo-1k", "echo 1 KiB × 100", "echo", 1024, 100),
    Workload("echo-10k", "echo 10 KiB × 100", "echo", 10240, 100),
    Workload("echo-100k", "echo 100 KiB × 10", "echo", 102400, 10),
    Workload("echo-c10k", "echo 64 B × 10,000 conns", "echo", 64, 10000),
    Workload("http", "HTTP hello, wrk -c100", "http", 0, 100),
    Workload("kv", "Redis protocol, redis-benchmark -c50 -P16 (ping, set, get, incr, mset)",
             "resp", 0, 50, baseline="redis-server"),
    Workload("micro", "micro benchmarks", "micro"),
]


class Server:
    """One server to measure: a script under servers/, an interpreter, and
    the module it needs (checked before the run)."""

    def __init__(self, name, script, args=(), needs=None, python=None, workloads=None,
                 pinned=True, note=None):
        self.name, self.script, self.args, self.needs = name, script, list(args), needs
        self.python = python or sys.executable
        self.version = ""
        self.workloads = workloads      # the workload keys it serves (None: echo and http)
        self.pinned = pinned            # on the server CPU (False: wherever the OS likes)
        self.note = note                # said under the table

    def serves(self, workload):
        if self.workloads is None:
            return workload.kind in ("echo", "http")
        return workload.key in self.workloads

    def command(self, mode):
        return [self.python, os.path.join(SERVERS_DIR, self.script), "--mode", mode] + self.args


def default_servers():
    return [
        Server("trampoline", "trampoline_server.py", needs="trampoline"),
        Server("asyncio-protocols", "asyncio_server.py", ["--api", "protocols"], needs="asyncio"),
        Server("asyncio-streams", "asyncio_server.py", ["--api", "streams"], needs="asyncio"),
        Server("uvloop-protocols", "asyncio_server.py", ["--api", "protocols", "--loop", "uvloop"], needs="uvloop"),
        Server("uvloop-streams", "asyncio_server.py", ["--api", "streams", "--loop", "uvloop"], needs="uvloop"),
        Server("curio", "curio_server.py", needs="curio"),
        Server("trio", "trio_server.py", needs="trio"),
        Server("gevent", "gevent_server.py", needs="gevent"),
        # trampoline's own programs: the examples' real protocol code, and
        # the echo server on every core.
        Server("trampoline-http_server", "trampoline_app_server.py", needs="trampoline",
               workloads={"http"}, note="trampoline-http_server is examples/http_server.py's "
               "handler: its real HTTP/1.1 parser, router and limits, not a fixed response"),
        Server("trampoline-2workers", "trampoline_app_server.py", ["--workers", "2"],
               needs="trampoline", workloads={"echo-1k"}, pinned=False,
               note="trampoline-2workers is run_server(workers=2), NOT pinned: two worker "
               "processes share the machine's two CPUs with the load client; its CPU and "
               "RSS figures are the supervisor's alone"),
        Server("trampoline-kv_server", "trampoline_app_server.py", needs="trampoline",
               workloads={"kv"}),
        Server("redis-server", "redis_server.py", needs="redis-server", workloads={"kv"}),
    ]


# Micro benchmarks: (key, title, micro.py bench, with tracemalloc?, what it gives)
MICRO = [
    ("spawn", "spawn+join {n} tasks", "spawn", False, "rate"),
    ("switch", "task switches, sleep(0) ping-pong", "switch", False, "rate"),
    ("parked-rss", "memory per parked task (RSS)", "parked", False, "bytes"),
    ("parked-tm", "memory per parked task (tracemalloc)", "parked", True, "bytes"),
    ("idle-rss", "memory per idle connection (RSS)", "idle", False, "bytes"),
    ("idle-tm", "memory per idle connection (tracemalloc)", "idle", True, "bytes"),
]

# The spec's targets: (workload, what, compared with, at least / at most, bound)
TARGETS = [
    ("echo-1k", "rate", "asyncio-protocols", ">=", 1.10),
    ("echo-1k", "rate", "asyncio-streams", ">=", 1.6),
    ("echo-1k", "rate", "curio", ">=", 2.0),
    ("echo-10k", "rate", "asyncio-protocols", ">=", 1.05),
    ("echo-100k", "rate", "asyncio-protocols", ">=", 1.0),
    ("echo-c10k", "rate", "asyncio-protocols", ">=", 1.25),
    ("echo-c10k", "kib_per_conn", None, "<=", 2.5),
    ("http", "rate", "asyncio-protocols", ">=", 1.0),
    ("spawn", "rate", "asyncio", ">=", 2.5),
    ("switch", "rate", "asyncio", ">=", 5.0),
]


# A round in which other processes (this may be a shared machine) used more
# than this fraction of the server's or the client's CPU is run again, up to
# RETRIES times (and RETRY_BUDGET times in all, so that the run stays bounded).
DISTURBED = 0.10
RETRIES = 2
RETRY_BUDGET = 40


def disturbed(outcome, settings):
    """Should this round run again?  (Takes one re-run from the budget.)"""
    if max(outcome.foreign_server or 0, outcome.foreign_client or 0) <= DISTURBED:
        return False
    if settings.retry_budget <= 0:
        return False
    settings.retry_budget -= 1
    return True


def wait_quiet(settings):
    """Before a round: wait (up to settings.patience seconds) until the two
    CPUs are idle, i.e. until other processes leave them alone.  Returns the
    seconds waited."""
    if settings.server_cpu is None or settings.patience <= 0 or settings.patience_budget <= 0:
        return 0.0
    started = time.monotonic()
    cpus = (settings.server_cpu, settings.client_cpu)
    while True:
        before = cpu_busy()
        time.sleep(0.2)
        after = cpu_busy()
        load = max((after.get(c, 0) - before.get(c, 0)) / 0.2 for c in cpus)
        waited = time.monotonic() - started
        if load <= DISTURBED or waited >= min(settings.patience, settings.patience_budget):
            settings.patience_budget -= waited
            settings.waited += waited
            return waited
        time.sleep(0.5)


# ------------------------------------------------------------ processes

_children = set()       # processes running now: killed on the way out, whatever happens


def _pin_and_tie(cpu):
    """preexec_fn: pin the child to ``cpu`` and have it killed if we die."""
    def setup():
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        try:        # PR_SET_PDEATHSIG = 1: SIGKILL the child when run.py dies
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
        except Exception:
            pass
    return setup


def repo_env(env=None):
    """``env`` (default: ours) with this checkout first on PYTHONPATH: how
    the servers and micro.py find ``trampoline`` without installing it."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    return env


def spawn(cmd, cpu, **kwargs):
    kwargs["env"] = repo_env(kwargs.get("env"))
    proc = subprocess.Popen(cmd, preexec_fn=_pin_and_tie(cpu), **kwargs)
    _children.add(proc)
    return proc


def stop(proc):
    """Stop a process we started: SIGTERM, then SIGKILL after 3 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _children.discard(proc)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            stream.close()


def stop_all():
    for proc in list(_children):
        stop(proc)


def run_client(cmd, cpu, timeout):
    """Run a load client to completion: (returncode, stdout, stderr, cpu seconds).
    Its CPU time comes from RUSAGE_CHILDREN (no other child is reaped meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = spawn(cmd, cpu, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err = (err or b"") + b"\nclient killed: no result after %.0f s" % timeout
    finally:
        _children.discard(proc)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), used


def proc_status(pid, field):
    """A field of /proc/PID/status in bytes (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def proc_cpu(pid):
    """CPU seconds (user + system) a live process has used."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def cpu_busy():
    """Busy seconds of every CPU so far (from /proc/stat): {cpu: seconds}."""
    busy = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                if line.startswith("cpu") and line[3].isdigit():
                    fields = line.split()
                    values = [int(v) for v in fields[1:]]
                    idle = values[3] + (values[4] if len(values) > 4 else 0)   # idle + iowait
                    busy[int(fields[0][3:])] = (sum(values[:8]) - idle) / tick
    except OSError:
        pass
    return busy


def wait_ready(proc, timeout):
    """Wait for the server's "READY <port>" line: the port, or an error string."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            return "server exited (status %s) before it was ready" % proc.wait()
        buffer += chunk
        match = re.search(rb"READY (\d+)\n", buffer)
        if match:
            return int(match.group(1))
    return "server not ready after %.0f s" % timeout


# ---------------------------------------------------------------- a run

class Outcome:
    """One round of one workload against one server."""

    def __init__(self, error=None, **figures):
        self.error = error
        self.rate = self.p50 = self.p99 = None      # requests/s, seconds
        self.rss_peak = self.rss_idle = None        # bytes
        self.client_cpu = self.server_cpu = None    # fraction of one CPU
        self.min_conn = self.max_conn = None
        self.client_cpu_seconds = 0.0
        self.foreign_server = self.foreign_client = None   # others' load on our CPUs
        self.notes = []
        for name, value in figures.items():
            setattr(self, name, value)

    @property
    def ok(self):
        return self.error is None


def run_load(workload, server, settings, round_no):
    """Start ``server``, drive ``workload`` at it, stop it: an Outcome."""
    os.makedirs(LOGS, exist_ok=True)
    log_path = os.path.join(LOGS, "%s-%s-r%d.log" % (
        re.sub(r"[^\w.-]+", "_", server.name).strip("_"), workload.key, round_no))
    mode = workload.kind
    env = dict(os.environ)
    if settings.stock_malloc:
        env["BENCH_STOCK_MALLOC"] = "1"     # see servers/common.py: steady_malloc
    with open(log_path, "wb") as log:
        proc = spawn(server.command(mode), settings.server_cpu if server.pinned else None,
                     stdout=subprocess.PIPE, stderr=log, cwd=SERVERS_DIR, env=env)
    outcome = None
    try:
        port = wait_ready(proc, 15)
        if isinstance(port, str):
            outcome = Outcome(port + _log_tail(log_path))
            return outcome
        time.sleep(0.05)
        rss_idle = proc_status(proc.pid, "VmRSS")
        cpu_before = proc_cpu(proc.pid)
        busy_before = cpu_busy()
        started = time.monotonic()
        if workload.kind == "echo":
            outcome = drive_echo(workload, port, settings)
        elif workload.kind == "resp":
            outcome = drive_resp(port, settings)
        else:
            outcome = drive_http(port, settings)
        wall = time.monotonic() - started
        cpu_after = proc_cpu(proc.pid)
        busy_after = cpu_busy()
        # What else ran on the two CPUs meanwhile (other processes on a
        # shared machine): busy time of the CPU minus our process's.
        if (settings.server_cpu is not None and server.pinned and cpu_before is not None
                and cpu_after is not None):
            cpu = settings.server_cpu
            outcome.foreign_server = max(0.0, (busy_after.get(cpu, 0) - busy_before.get(cpu, 0)
                                               - (cpu_after - cpu_before)) / wall)
            cpu = settings.client_cpu
            if outcome.client_cpu is not None:
                outcome.foreign_client = max(0.0, (busy_after.get(cpu, 0) - busy_before.get(cpu, 0)) / wall
                                             - outcome.client_cpu_seconds / wall)
        # VmHWM is updated lazily (per-thread RSS counters are folded in now
        # and then): never report a peak below an RSS actually seen.
        outcome.rss_peak = max(filter(None, (proc_status(proc.pid, "VmHWM"),
                                             proc_status(proc.pid, "VmRSS"), rss_idle)), default=None)
        outcome.rss_idle = rss_idle
        if cpu_before is not None and cpu_after is not None and wall > 0 and server.pinned:
            outcome.server_cpu = (cpu_after - cpu_before) / wall
        if proc.poll() is not None and outcome.ok:
            outcome.error = "server died (status %s) during the run%s" % (
                proc.returncode, _log_tail(log_path))
        return outcome
    finally:
        stop(proc)
        if os.path.getsize(log_path):
            with open(log_path, "rb") as log:
                lines = log.read().decode(errors="replace").splitlines()
            if lines and outcome is not None:
                outcome.notes.append("server stderr: %d line(s), e.g. %r (%s)"
                                     % (len(lines), lines[-1][:100], os.path.relpath(log_path, REPO)))
        else:
            os.unlink(log_path)


def _log_tail(path):
    try:
        with open(path, "rb") as log:
            text = log.read().decode(errors="replace").strip()
    except OSError:
        return ""
    return (": " + text.splitlines()[-1][:200]) if text else ""


def drive_echo(workload, port, settings):
    conns = settings.conns(workload)
    cmd = [ECHOLOAD, "127.0.0.1", str(port), str(conns), str(workload.size),
           str(settings.seconds), str(settings.warmup), str(settings.grace)]
    timeout = 30 + settings.warmup + settings.seconds + settings.grace + conns / 1000
    code, out, err, cpu = run_client(cmd, settings.client_cpu, timeout)
    figures = dict(re.findall(r"(\w+)=([-\d.]+)", out))
    if code != 0 or "rate" not in figures:
        detail = err.strip().splitlines()
        return Outcome("echoload: %s" % ("; ".join(detail[:3]) or out.strip() or "exit status %s" % code))
    seconds = float(figures["seconds"]) or 1.0
    return Outcome(rate=float(figures["rate"]), p50=float(figures["p50_us"]) / 1e6,
                   p99=float(figures["p99_us"]) / 1e6, client_cpu=cpu / seconds,
                   client_cpu_seconds=cpu,
                   min_conn=int(figures["min_conn"]), max_conn=int(figures["max_conn"]))


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def drive_http(port, settings):
    url = "http://127.0.0.1:%d/" % port
    wrk = shutil.which("wrk")
    # wrk takes whole seconds only.
    warmup = int(round(settings.warmup))
    seconds = max(1, int(round(settings.seconds)))
    warmup_cpu = 0.0
    if warmup >= 1:
        warmup_cpu = run_client([wrk, "-t1", "-c100", "-d%ds" % warmup, "--timeout", "5s", url],
                                settings.client_cpu, warmup + 30)[3]
    cmd = [wrk, "-t1", "-c100", "-d%ds" % seconds, "--timeout", "5s", "--latency", url]
    code, out, err, cpu = run_client(cmd, settings.client_cpu, seconds + 30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if code != 0 or not rate:
        return Outcome("wrk: %s" % ((err.strip() or out.strip() or "exit status %s" % code)[:200]))
    errors = []
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        counts = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", socket_errors.group(1)))
        if any(counts.values()):
            errors.append("socket errors: " + socket_errors.group(1).strip())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx and int(non2xx.group(1)):
        errors.append("%s non-2xx responses" % non2xx.group(1))
    if errors:
        return Outcome("wrk: " + "; ".join(errors))

    def percentile(p):
        match = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, out, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else None

    return Outcome(rate=float(rate.group(1)), p50=percentile(50), p99=percentile(99),
                   client_cpu=cpu / seconds, client_cpu_seconds=cpu + warmup_cpu)


def drive_resp(port, settings):
    """redis-benchmark, 50 clients with 16 requests in flight each (one
    client alone cannot keep a server busy otherwise), each of its tests
    with the same number of requests; the rate is all requests over the
    time all the tests took."""
    tests = "ping,set,get,incr,mset"
    requests = max(10000, int(150000 * settings.seconds))
    cmd = [shutil.which("redis-benchmark"), "-h", "127.0.0.1", "-p", str(port), "-c", "50",
           "-P", "16", "-n", str(requests), "-t", tests, "-q"]
    code, out, err, cpu = run_client(cmd, settings.client_cpu, 120 + 10 * settings.seconds)
    out = out.replace("\r", "\n")
    found = re.findall(r"^(\S+): ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?", out, re.M)
    if code != 0 or not found or re.search(r"error", out + err, re.I):
        detail = [line for line in (err + out).splitlines() if "error" in line.lower()]
        return Outcome("redis-benchmark: %s" % ((detail[0] if detail else (err.strip() or out.strip()
                                                 or "exit status %s" % code))[:200]))
    seconds = sum(requests / float(rate) for _, rate, _ in found)
    p50s = [float(p50) / 1e3 for _, _, p50 in found if p50]
    return Outcome(rate=requests * len(found) / seconds, p50=median(p50s) if p50s else None,
                   client_cpu=cpu / seconds, client_cpu_seconds=cpu)


def run_micro(bench, impl, python, n, tracemalloc, settings, profile=None):
    cmd = [python, os.path.join(HERE, "micro.py"), bench, impl, str(n)]
    if tracemalloc:
        cmd.append("--tracemalloc")
    if profile:
        cmd += ["--profile", profile]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = cpu_busy()
    started = time.monotonic()
    proc = spawn(cmd, settings.server_cpu, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=HERE)
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        stop(proc)
        return {"error": "no result after 180 s"}
    _children.discard(proc)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after = cpu_busy()
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            figures = json.loads(line)
            cpu = settings.server_cpu
            if cpu is not None and wall > 0:
                used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                figures["foreign"] = max(0.0, (busy_after.get(cpu, 0) - busy_before.get(cpu, 0)
                                               - used) / wall)
            return figures
    tail = err.decode(errors="replace").strip().splitlines()
    return {"error": (tail[-1] if tail else "exit status %s" % proc.returncode)[:200]}


# ------------------------------------------------------------ settings

class Settings:
    def __init__(self, args):
        if args.smoke:
            args.quick = True
        self.quick = args.quick
        self.rounds = args.rounds or (1 if args.quick else 5)
        self.seconds = args.seconds or (0.2 if args.smoke else 0.5 if args.quick else 2.0)
        default_warmup = 0.1 if args.smoke else 0.2 if args.quick else (2.0 if args.python else 1.0)
        self.warmup = default_warmup if args.warmup is None else args.warmup
        self.grace = 5.0
        self.stock_malloc = args.stock_malloc
        # On a shared machine: wait up to `patience` s for quiet CPUs before a
        # round, and run a disturbed round again up to `retries` times.
        # (At most `patience_budget` s of waiting in all, so the run stays bounded.)
        self.patience = 0.0 if args.quick else 20.0
        self.patience_budget = 300.0
        self.waited = 0.0
        self.retries = 0 if args.quick else RETRIES
        self.retry_budget = RETRY_BUDGET
        self.c10k = 500 if args.smoke else 2000 if args.quick else 10000
        self.micro_n = {"spawn": 100000, "switch": 200000, "parked": 100000, "idle": 10000}
        if args.quick:
            self.micro_n = {"spawn": 20000, "switch": 20000, "parked": 10000, "idle": 1000}
        if args.smoke:
            self.micro_n = {"spawn": 2000, "switch": 2000, "parked": 1000, "idle": 100}
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) >= 2:
            self.server_cpu, self.client_cpu = cpus[0], cpus[1]
        else:
            self.server_cpu = self.client_cpu = None

    def conns(self, workload):
        return self.c10k if workload.key == "echo-c10k" else workload.conns


def raise_nofile(needed):
    """Raise RLIMIT_NOFILE (children inherit it) as far as the hard limit
    allows.  Returns (message, how many connections fit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed + 1000)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
    message = "RLIMIT_NOFILE: %s -> %s (hard limit %s)" % (
        soft, target, "unlimited" if hard == resource.RLIM_INFINITY else hard)
    fits = needed
    if target < needed + 200:
        fits = max(100, target - 200)
        message += ("; TOO LOW for %d connections: the 10,000-connection workload runs "
                    "with %d (raise the hard limit: ulimit -Hn)" % (needed, fits))
    return message, fits


def build_echoload():
    """Build echoload if it is missing or older than its source: None, or why not."""
    if os.path.exists(ECHOLOAD) and os.path.getmtime(ECHOLOAD) >= os.path.getmtime(ECHOLOAD_SRC):
        return None
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        return "no C compiler (cc) to build benchmarks/echoload.c"
    os.makedirs(BUILD, exist_ok=True)
    result = subprocess.run([cc, "-O2", "-o", ECHOLOAD, ECHOLOAD_SRC],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode:
        return "building echoload failed: %s" % result.stdout.decode(errors="replace")[-300:]
    return None


def check_server(server):
    """Can ``server`` run here?  Sets server.version; returns None or why not."""
    if server.needs == "redis-server":
        path = shutil.which("redis-server")
        if path is None:
            return "redis-server is not installed (apt-get install redis-server)"
        out = subprocess.run([path, "--version"], stdout=subprocess.PIPE).stdout.decode()
        match = re.search(r"v=([\d.]+)", out)
        server.version = match.group(1) if match else ""
        return None
    if server.needs == "trampoline":
        code = "import trampoline as m"
    else:
        code = "import %s as m" % server.needs
    code += "; import sys; print(getattr(m, '__version__', '') or sys.version.split()[0])"
    try:
        result = subprocess.run([server.python, "-c", code], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=60, env=repo_env())
    except (OSError, subprocess.TimeoutExpired) as error:
        return "%s cannot run: %s" % (server.python, error)
    if result.returncode:
        return "%s is not importable under %s" % (server.needs, server.python)
    server.version = result.stdout.decode().strip()
    return None


def interpreter_tag(python):
    try:
        out = subprocess.run([python, "-c", "import sys, platform; print(platform.python_implementation(), "
                              "'.'.join(map(str, sys.version_info[:3])))"],
                             stdout=subprocess.PIPE, timeout=60).stdout.decode().split()
        return out[0].lower() + out[1], " ".join(out)
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return os.path.basename(python), python


# ----------------------------------------------------------- the tables

def median(values):
    return statistics.median(values) if values else None


def spread(values):
    if len(values) < 2:
        return None
    mid = statistics.median(values)
    return (max(values) - min(values)) / mid if mid else None


def fmt_rate(value):
    if value is None:
        return "–"
    if value >= 1e6:
        return "%.2f M" % (value / 1e6)
    return "{:,.0f}".format(value)


def fmt_ratio(value, base):
    if value is None or not base:
        return "–"
    return "%.2f" % (value / base)


def fmt_pct(value):
    return "–" if value is None else "%.0f%%" % (value * 100)


def fmt_ms(value):
    return "–" if value is None else ("%.2f" % (value * 1e3) if value < 0.01 else "%.1f" % (value * 1e3))


class Cell:
    """All rounds of one (workload, server): the medians the table shows."""

    def __init__(self, outcomes, conns):
        self.outcomes = outcomes
        self.failed = [o for o in outcomes if not o.ok]
        good = [o for o in outcomes if o.ok]
        pick = lambda name: [getattr(o, name) for o in good if getattr(o, name) is not None]
        self.rates = pick("rate")
        self.rate = median(self.rates)
        self.p50 = median(pick("p50"))
        self.p99 = median(pick("p99"))
        self.rss_peak = median(pick("rss_peak"))
        self.client_cpu = median(pick("client_cpu"))
        self.server_cpu = median(pick("server_cpu"))
        growth = [(o.rss_peak - o.rss_idle) / conns for o in good
                  if o.rss_peak is not None and o.rss_idle is not None]
        self.kib_per_conn = median(growth) / 1024 if growth else None
        mins = pick("min_conn")
        self.min_conn = min(mins) if mins else None
        notes = []
        for o in outcomes:
            for note in o.notes:
                if note not in notes:
                    notes.append(note)
        self.notes = notes

    @property
    def ok(self):
        return not self.failed and self.rate is not None


def load_table(results, workloads, servers):
    head = ("| workload | server | req/s | spread | × base | p50 ms | × base | p99 ms "
            "| × base | peak RSS MiB | × base | ΔRSS KiB/conn |")
    lines = [head, "|" + "---|" * 12]
    for workload in workloads:
        base = results.get((workload.key, workload.baseline))
        base_ok = base is not None and base.ok
        for server in servers:
            cell = results.get((workload.key, server.name))
            if cell is None:
                continue
            if not cell.ok:
                lines.append("| %s | %s | **FAILED** (%d/%d rounds) | – | – | – | – | – | – | – | – | – |"
                             % (workload.title, server.name, len(cell.failed), len(cell.outcomes)))
                continue
            b = base if base_ok else None
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                workload.title, server.name, fmt_rate(cell.rate), fmt_pct(spread(cell.rates)),
                fmt_ratio(cell.rate, b and b.rate), fmt_ms(cell.p50), fmt_ratio(cell.p50, b and b.p50),
                fmt_ms(cell.p99), fmt_ratio(cell.p99, b and b.p99),
                "–" if cell.rss_peak is None else "%.1f" % (cell.rss_peak / 2**20),
                fmt_ratio(cell.rss_peak, b and b.rss_peak),
                "–" if cell.kib_per_conn is None else "%.2f" % cell.kib_per_conn))
    return lines


def micro_table(micro, settings):
    lines = ["| micro benchmark | implementation | result | spread | × asyncio |", "|---|---|---|---|---|"]
    for key, title, bench, _tm, what in MICRO:
        title = title.format(n="{:,}".format(settings.micro_n[bench]))
        base_name = BASELINE if bench == "idle" else MICRO_BASELINE
        base = micro.get((key, base_name))
        base_value = median(base["values"]) if base and not base["errors"] else None
        for (row_key, label), entry in micro.items():       # in the order they ran
            if row_key != key:
                continue
            impl = MicroImpl(label, None, None)
            if entry["errors"]:
                unavailable = all("not available" in e for e in entry["errors"])
                lines.append("| %s | %s | %s | – | – |" % (
                    title, impl.label, "n/a (no tracemalloc)" if unavailable else "**FAILED**"))
                continue
            value = median(entry["values"])
            if what == "rate":
                text = "%s %s" % (fmt_rate(value), entry["unit"])
            else:
                text = "{:,.0f} B".format(value)
            lines.append("| %s | %s | %s | %s | %s |" % (
                title, impl.label, text, fmt_pct(spread(entry["values"])), fmt_ratio(value, base_value)))
    return lines


def targets_table(results, micro, trampoline_name, micro_trampoline):
    lines = ["| target | measured | holds |", "|---|---|---|"]
    titles = {w.key: w.title for w in WORKLOADS}
    titles.update({"spawn": "spawn+join", "switch": "task switch"})
    for key, what, other, op, bound in TARGETS:
        if key in ("spawn", "switch"):
            mine, theirs = micro.get((key, micro_trampoline)), micro.get((key, other))
            ok = mine and theirs and not mine["errors"] and not theirs["errors"]
            value = median(mine["values"]) / median(theirs["values"]) if ok else None
            failed = bool(mine and mine["errors"])
        elif what == "kib_per_conn":
            cell = results.get((key, trampoline_name))
            value = cell.kib_per_conn if cell is not None and cell.ok else None
            failed = cell is not None and not cell.ok
        else:
            mine, theirs = results.get((key, trampoline_name)), results.get((key, other))
            value = mine.rate / theirs.rate if mine and theirs and mine.ok and theirs.ok else None
            failed = bool(mine and not mine.ok)
        if what == "kib_per_conn":
            target = "%s: server RSS ≤ %.1f KiB per connection above idle" % (titles[key], bound)
            shown = "–" if value is None else "%.2f KiB" % value
        else:
            target = "%s: ≥ %.2f × %s" % (titles[key], bound, other)
            shown = "–" if value is None else "%.2f ×" % value
        if value is None:
            verdict = "FAILED run" if failed else "not measured"
        else:
            verdict = "yes" if (value >= bound if op == ">=" else value <= bound) else "**MISS**"
        lines.append("| %s | %s | %s |" % (target, shown, verdict))
    return lines


# --------------------------------------------------------------- main

class MicroImpl:
    def __init__(self, label, impl, python):
        self.label, self.impl, self.python = label, impl, python


def source_digest():
    """A digest of trampoline/*.py: did the code under test change mid-run?"""
    import hashlib
    digest = hashlib.sha1()
    package = os.path.join(REPO, "trampoline")
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            with open(os.path.join(package, name), "rb") as source:
                digest.update(name.encode() + b"\0" + source.read())
    return digest.hexdigest()


def git_revision():
    """The repository's commit, and whether trampoline/ differs from it."""
    try:
        head = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "trampoline"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "(not a git checkout)"
    if head.returncode:
        return "(not a git checkout)"
    line = head.stdout.decode(errors="replace").strip()
    text = "commit %s" % (line if len(line) <= 80 else line[:77] + "...")
    if dirty.stdout.strip():
        text += " + uncommitted changes in trampoline/"
    return text


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model


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
                        help="where to write the results (default benchmarks/RESULTS.md for a "
                             "full run, RESULTS-<interpreter>.md with --python; --quick and "
                             "--only runs write under benchmarks/build/)")
    parser.add_argument("--stock-malloc", action="store_true",
                        help="do not put glibc malloc in its steady state in the servers (see "
                             "servers/common.py): asyncio then maps and unmaps every read buffer")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the suite: profile (cProfile) the trampoline echo server "
                             "under echo-1k and the trampoline micro benchmarks; print the top "
                             "functions by tottime")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds must be positive")
    only = set()
    if args.only:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = only - set(names)
        if unknown:
            parser.error("--only: unknown name(s) %s; choose from %s"
                         % (", ".join(sorted(unknown)), ", ".join(names)))
    args.only_set = only
    if args.python:
        found = shutil.which(args.python)
        if not found:
            parser.error("--python: %s not found" % args.python)
        args.python = found
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = Settings(args)
    command = " ".join(shlex.quote(a) for a in ["python3", os.path.relpath(os.path.abspath(sys.argv[0]))]
                       + (sys.argv[1:] if argv is None else list(argv)))
    # run.py itself sits on the client's CPU: it sleeps while a load runs.
    if settings.client_cpu is not None:
        os.sched_setaffinity(0, {settings.client_cpu})
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    try:
        if args.profile:
            return profile(settings)
        return suite(args, settings, command)
    finally:
        stop_all()


def suite(args, settings, command):
    started = time.monotonic()
    messages = []
    digest = source_digest()
    revision = git_revision()

    def say(text):
        print(text, flush=True)
        messages.append(text)

    if settings.server_cpu is None:
        say("only one CPU: server and client are NOT pinned apart; figures compare poorly")
    else:
        print("server on CPU %d, client on CPU %d" % (settings.server_cpu, settings.client_cpu))

    workload_names = {w.key for w in WORKLOADS}
    only_workloads = args.only_set & workload_names
    only_servers = args.only_set - workload_names
    workloads = [w for w in WORKLOADS if not only_workloads or w.key in only_workloads]

    # Servers: what is importable runs, the rest is skipped with a message.
    tag, interpreter_name = interpreter_tag(args.python) if args.python else ("", "")
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
    trampoline_name = "trampoline [%s]" % tag if args.python else "trampoline"

    load = [w for w in workloads if w.kind in ("echo", "http", "resp")]
    if any(w.kind == "echo" for w in load):
        why = build_echoload()
        if why:
            say("skipping the echo workloads: %s" % why)
            load = [w for w in load if w.kind != "echo"]
    if any(w.kind == "http" for w in load) and not shutil.which("wrk"):
        say("skipping the HTTP workload: wrk is not installed (apt-get install wrk)")
        load = [w for w in load if w.kind != "http"]
    if any(w.kind == "resp" for w in load) and not shutil.which("redis-benchmark"):
        say("skipping the Redis-protocol workload: redis-benchmark is not installed "
            "(apt-get install redis-tools)")
        load = [w for w in load if w.kind != "resp"]
    if any(w.key == "echo-c10k" for w in load):
        message, fits = raise_nofile(settings.c10k)
        say(message)
        if fits < settings.c10k:
            settings.c10k = fits
    for w in load:
        if w.key == "echo-c10k" and settings.c10k != 10000:
            w.title = "echo 64 B × {:,} conns".format(settings.c10k)
            if settings.quick:
                say("--quick/--smoke: echo-c10k runs with {:,} connections".format(settings.c10k))

    # The loads: for each workload, rounds of A B C ... interleaved.
    results = {}
    for workload in load:
        outcomes = {server.name: [] for server in servers}
        retried = {server.name: 0 for server in servers}
        for round_no in range(1, settings.rounds + 1):
            for server in servers:
                if not server.serves(workload):
                    continue
                for attempt in range(1 + settings.retries):
                    wait_quiet(settings)
                    outcome = run_load(workload, server, settings, round_no)
                    if not outcome.ok or attempt == settings.retries or not disturbed(outcome, settings):
                        break
                    print("  %-10s round %d/%d  %-28s others used %s/%s of the server/client "
                          "CPU: again" % (workload.key, round_no, settings.rounds, server.name,
                                          fmt_pct(outcome.foreign_server),
                                          fmt_pct(outcome.foreign_client)), flush=True)
                    retried[server.name] += 1
                outcomes[server.name].append(outcome)
                status = ("FAILED: " + outcome.error) if not outcome.ok else (
                    "%s req/s  p50 %s ms  p99 %s ms  peak RSS %.1f MiB  cpu srv %s cli %s  others %s/%s%s" % (
                        fmt_rate(outcome.rate), fmt_ms(outcome.p50), fmt_ms(outcome.p99),
                        (outcome.rss_peak or 0) / 2**20, fmt_pct(outcome.server_cpu),
                        fmt_pct(outcome.client_cpu), fmt_pct(outcome.foreign_server),
                        fmt_pct(outcome.foreign_client),
                        "" if outcome.min_conn is None else "  per conn %d..%d" % (
                            outcome.min_conn, outcome.max_conn)))
                print("  %-10s round %d/%d  %-28s %s" % (workload.key, round_no, settings.rounds,
                                                       server.name, status), flush=True)
        for server in servers:
            if not server.serves(workload):
                continue
            cell = Cell(outcomes[server.name], settings.conns(workload))
            kept = [o for o in cell.outcomes if o.ok and
                    max(o.foreign_server or 0, o.foreign_client or 0) > DISTURBED]
            if retried[server.name] or kept:
                cell.notes.append(
                    "other processes used over %.0f%% of a CPU: %d round(s) re-run, %d of the %d "
                    "kept still disturbed%s" % (
                        DISTURBED * 100, retried[server.name], len(kept), len(cell.outcomes),
                        " (others up to %s / %s of the server / client CPU)" % (
                            fmt_pct(max(o.foreign_server or 0 for o in kept)),
                            fmt_pct(max(o.foreign_client or 0 for o in kept))) if kept else ""))
            results[(workload.key, server.name)] = cell

    # The micro benchmarks.
    micro = {}
    impls = []
    micro_trampoline = "trampoline"
    if any(w.kind == "micro" for w in workloads):
        impls = [MicroImpl("trampoline", "trampoline", sys.executable),
                 MicroImpl("asyncio", "asyncio", sys.executable)]
        uvloop_ok = any(s.name.startswith("uvloop") for s in servers)
        if uvloop_ok:
            impls.append(MicroImpl("uvloop", "uvloop", sys.executable))
        if args.python:
            micro_trampoline = "trampoline [%s]" % tag
            impls.insert(1, MicroImpl(micro_trampoline, "trampoline", args.python))
            impls.append(MicroImpl("asyncio [%s]" % tag, "asyncio", args.python))
        run_micro_suite(micro, impls, settings)

    if source_digest() != digest:
        messages.append("trampoline/ CHANGED during the run (someone edited it): the rounds may "
                        "have measured different code")
    settings.revision = revision
    elapsed = time.monotonic() - started
    report = render(args, settings, command, messages, load, servers, results, micro, impls,
                    trampoline_name, micro_trampoline, interpreter_name, elapsed)
    print()
    print(report)
    output = args.output
    if output is None:
        if settings.quick or args.only_set:
            output = os.path.join(BUILD, "RESULTS-quick.md" if settings.quick else "RESULTS-partial.md")
        elif args.python:
            output = os.path.join(HERE, "RESULTS-%s.md" % re.sub(r"[^\w.-]", "", tag))
        else:
            output = RESULTS
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "w") as out:
        out.write(report)
    print("written to %s (%.0f s)" % (os.path.relpath(output), elapsed))
    failed = any(not cell.ok for cell in results.values()) or any(
        entry["errors"] and not all("not available" in e for e in entry["errors"])
        for entry in micro.values())
    return 1 if failed else 0


def run_micro_suite(micro, impls, settings):
    for key, _title, bench, tracemalloc, what in MICRO:
        # Memory barely varies between rounds; three are plenty.
        rounds = settings.rounds if what == "rate" else min(settings.rounds, 3)
        bench_impls = list(impls)
        if bench == "idle":     # asyncio has two server APIs: measure both
            bench_impls = []
            for impl in impls:
                if impl.impl == "asyncio":
                    suffix = impl.label[len("asyncio"):]
                    bench_impls.append(MicroImpl("asyncio-protocols" + suffix, "asyncio-protocols", impl.python))
                    bench_impls.append(MicroImpl("asyncio-streams" + suffix, "asyncio-streams", impl.python))
                elif impl.impl == "trampoline":
                    bench_impls.append(impl)
        for impl in bench_impls:
            micro[(key, impl.label)] = {"values": [], "errors": [], "unit": ""}
        for round_no in range(1, rounds + 1):
            for impl in bench_impls:
                entry = micro[(key, impl.label)]
                for attempt in range(1 + settings.retries):
                    if what == "rate":
                        wait_quiet(settings)
                    figures = run_micro(bench, impl.impl, impl.python, settings.micro_n[bench],
                                        tracemalloc, settings)
                    # (Memory does not depend on who else runs: no re-runs.)
                    if (what != "rate" or figures.get("foreign", 0) <= DISTURBED
                            or attempt == settings.retries or settings.retry_budget <= 0):
                        break
                    settings.retry_budget -= 1
                    print("  %-10s round %d/%d  %-28s others used %s of the CPU: again" % (
                        key, round_no, rounds, impl.label, fmt_pct(figures["foreign"])), flush=True)
                if "error" in figures:
                    entry["errors"].append(figures["error"])
                    shown = "FAILED: " + figures["error"]
                else:
                    value = figures["rate"] if what == "rate" else figures["bytes"]
                    entry["values"].append(value)
                    entry["unit"] = figures.get("unit", "")
                    shown = ("%s %s" % (fmt_rate(value), entry["unit"]) if what == "rate"
                             else "{:,.0f} B".format(value))
                print("  %-10s round %d/%d  %-28s %s" % (key, round_no, rounds, impl.label, shown),
                      flush=True)


def render(args, settings, command, messages, load, servers, results, micro, impls,
           trampoline_name, micro_trampoline, interpreter_name, elapsed):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    versions = ", ".join(sorted({"%s %s" % (s.needs, s.version) for s in servers
                                 if s.needs not in ("trampoline", "asyncio") and s.version}))
    wrk_version = ""
    if shutil.which("wrk"):
        probe = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wrk_version = probe.stdout.decode(errors="replace").split("[")[0].strip()
    out = ["# trampoline benchmark results", ""]
    out.append("- command: `%s`" % command)
    out.append("- trampoline: %s" % settings.revision)
    out.append("- date: %s; the run took %.0f s" % (now, elapsed))
    out.append("- machine: %s, %d cores; %s; Linux %s" % (
        machine_info(), os.cpu_count() or 0, platform.python_implementation() + " " +
        platform.python_version(), platform.release()))
    if interpreter_name:
        out.append("- `--python`: %s (rows marked [%s])" % (interpreter_name, trampoline_name.split("[")[1][:-1]))
    if versions:
        out.append("- also: %s" % versions)
    if wrk_version:
        out.append("- HTTP client: %s (-t1 -c100)" % wrk_version)
    out.append("- settings: %d round(s) per figure, interleaved; %.1f s measured after %.1f s "
               "of warm-up per round (wrk: whole seconds); server on CPU %s, client on CPU %s"
               % (settings.rounds, settings.seconds, settings.warmup,
                  settings.server_cpu, settings.client_cpu))
    if settings.waited >= 1:
        out.append("- note: waited %.0f s in all for other processes to leave the CPUs idle "
                   "before rounds" % settings.waited)
    out.append("- malloc: %s" % (
        "stock (--stock-malloc): glibc's mmap threshold starts at 128 KiB in every server"
        if settings.stock_malloc else
        "every server frees one 1 MiB block at start, as a long-running process has, so glibc "
        "has raised its mmap threshold (otherwise asyncio's 256 KiB recv buffers cost an "
        "mmap/munmap per read; see servers/common.py; --stock-malloc to compare)"))
    for message in messages:
        out.append("- note: %s" % message)
    out.append("")
    if load:
        out.append("## Load")
        out.append("")
        out += load_table(results, load, servers)
        out.append("")
        out.append("req/s, p50 and p99 round-trip latency (as the client saw it) and peak RSS "
                   "(VmHWM) are medians over the rounds; spread is (max − min) / median of req/s; "
                   "× base is each figure divided by asyncio-protocols' (redis-server's for the "
                   "Redis-protocol workload; higher is better for req/s, lower for the rest); ΔRSS KiB/conn is (peak RSS − RSS when idle) / "
                   "connections.  A workload on which some round failed (client errors, a stall, "
                   "a crash) gets no number: its row says so.")
        out.append("")
        for server in servers:
            if server.note and any((w.key, server.name) in results for w in load):
                out.append("- %s." % server.note)
                out.append("")
    if micro:
        out.append("## Micro benchmarks")
        out.append("")
        out += micro_table(micro, settings)
        out.append("")
        out.append("Each in its own process, pinned to the server CPU, timed inside the running "
                   "loop; medians over the rounds (memory: up to 3).  × asyncio is the ratio to "
                   "asyncio (idle connections: to asyncio-protocols).")
        out.append("")
    if any(w.key == "echo-1k" for w in load) and os.path.exists(SCALING):
        with open(SCALING) as text:         # the argument behind the workers row
            out.append(text.read().rstrip())
        out.append("")
    out.append("## Targets (from the spec, for %s)" % trampoline_name)
    out.append("")
    out += targets_table(results, micro, trampoline_name, micro_trampoline)
    out.append("")
    notes = []
    for (key, name), cell in sorted(results.items()):
        for outcome in cell.failed:
            notes.append("%s / %s: FAILED: %s" % (key, name, outcome.error))
        if cell.ok and cell.client_cpu is not None and cell.client_cpu > 0.9:
            notes.append("%s / %s: the client used %.0f%% of its CPU: this figure may be "
                         "client-bound" % (key, name, cell.client_cpu * 100))
        if cell.ok and cell.server_cpu is not None and cell.server_cpu < 0.8:
            notes.append("%s / %s: the server used only %.0f%% of its CPU" % (key, name, cell.server_cpu * 100))
        if cell.ok and cell.min_conn == 0:
            notes.append("%s / %s: some connection completed no round trip in a measured "
                         "window (starved)" % (key, name))
        for note in cell.notes:
            notes.append("%s / %s: %s" % (key, name, note))
    for (key, label), entry in sorted(micro.items()):
        for error in entry["errors"]:
            if "not available" not in error:
                notes.append("micro %s / %s: FAILED: %s" % (key, label, error))
    if notes:
        out.append("## Notes")
        out.append("")
        out += ["- " + note for note in notes]
        out.append("")
    return "\n".join(out)


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
    sys.exit(main())
