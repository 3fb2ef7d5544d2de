"""What the suite can run: workloads, servers, targets, and the settings.

A *workload* is a load (echo of so many bytes over so many connections,
HTTP hello under wrk, the Redis protocol under redis-benchmark, or the micro
benchmarks); a *server* is a program that serves some of them.  The targets
are the figures the spec (issue 14, "The speed we want") asks of trampoline,
each a ratio to asyncio's protocols (or a bound in KiB).  Nothing here starts
a process except the checks that a server can run at all.
"""

import os
import re
import resource
import shutil
import subprocess
import sys

from .processes import REPO, repo_env

HERE = os.path.join(REPO, "benchmarks")
SERVERS_DIR = os.path.join(HERE, "servers")
BUILD = os.path.join(HERE, "build")
LOGS = os.path.join(BUILD, "logs")
ECHOLOAD_SRC = os.path.join(HERE, "echoload.c")
ECHOLOAD = os.path.join(BUILD, "echoload")
RESULTS = os.path.join(HERE, "RESULTS.md")
SCALING = os.path.join(HERE, "scaling.md")
BASELINE = "asyncio-protocols"
FLOOR = "generator-floor"       # the least a pure-Python generator kernel costs
MICRO_BASELINE = "asyncio"
READY = r"READY (\d+)\n"        # what a server under servers/ prints once it listens

# A round in which other processes (this may be a shared machine) used more
# than this fraction of the server's or the client's CPU is run again, up to
# RETRIES times (and RETRY_BUDGET times in all, so that the run stays bounded).
# A disturbed round that measured no request at all (a server crowded off its
# CPU before it answered once) is run again up to RETRIES times even with
# --quick or --smoke, which otherwise keep every round.
DISTURBED = 0.10
RETRIES = 2
RETRY_BUDGET = 40


# ------------------------------------------------------------ workloads

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


# -------------------------------------------------------------- servers

class Server:
    """One server to measure: a program (a script under servers/, or one of
    the repository's own), an interpreter, and the module it needs (checked
    before the run).  ``ready`` is the pattern of the line the program prints
    once it listens, its group the port."""

    def __init__(self, name, script, args=(), needs=None, python=None, workloads=None,
                 pinned=True, note=None, program=None, ready=READY):
        self.name, self.script, self.args, self.needs = name, script, list(args), needs
        self.python = python or sys.executable
        self.version = ""
        self.workloads = workloads      # the workload keys it serves (None: echo and http)
        self.pinned = pinned            # on the server CPU (False: wherever the OS likes)
        self.note = note                # said under the table
        self.program = program          # a whole program, run as it is (no --mode)
        self.ready = ready

    def serves(self, workload):
        if self.workloads is None:
            return workload.kind in ("echo", "http")
        return workload.key in self.workloads

    def command(self, mode):
        if self.program:
            return [self.python, self.program] + self.args
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
        Server(FLOOR, "floor_server.py", needs="select", workloads={"echo-1k", "echo-c10k", "http"},
               note=FLOOR + " is not a framework but a measuring stick: the smallest honest "
               "generator kernel (servers/floor_server.py, ~80 lines of code: generators yielding read "
               "and write traps, one ready deque, one level-triggered epoll with each "
               "connection registered once, reads that wait for readability first, sends at "
               "once; no timers, cancellation, fairness or error handling).  Its CPU per "
               "request is the floor under what a pure-Python generator kernel can reach "
               "here; the Targets section sets it beside the targets"),
    ] + application_servers()


def application_servers():
    """trampoline's own programs: the examples' real protocol code, and the
    echo server on every core."""
    return [
        Server("trampoline-echo_server", None, ["--port", "0"], needs="trampoline",
               workloads={"echo-1k", "echo-c10k"},
               program=os.path.join(REPO, "examples", "echo_server.py"),
               ready=r"listening on [\d.]+:(\d+)\n",
               note="trampoline-echo_server is examples/echo_server.py itself (streams, "
               "run_server), run as a user runs it"),
        Server("trampoline-http_server", "trampoline_app_server.py", needs="trampoline",
               workloads={"http"}, note="trampoline-http_server is examples/http_server.py's "
               "handler: its real HTTP/1.1 parser, router and limits, not a fixed response"),
        Server("trampoline-2workers", "trampoline_app_server.py", ["--workers", "2"],
               needs="trampoline", workloads={"echo-1k"}, pinned=False,
               note="trampoline-2workers is run_server(workers=2), NOT pinned: two worker "
               "processes share the machine's two CPUs with the load client; its CPU per "
               "request is the supervisor's and the workers' together, its RSS the "
               "supervisor's alone"),
        Server("trampoline-kv_server", "trampoline_app_server.py", needs="trampoline",
               workloads={"kv"}),
        Server("redis-server", "redis_server.py", needs="redis-server", workloads={"kv"}),
    ]


class MicroImpl:
    def __init__(self, label, impl, python):
        self.label, self.impl, self.python = label, impl, python


# Micro benchmarks: (key, title, micro.py bench, with tracemalloc?, what it gives)
MICRO = [
    ("spawn", "spawn+join {n} tasks", "spawn", False, "rate"),
    ("switch", "task switches, sleep(0) ping-pong", "switch", False, "rate"),
    ("parked-rss", "memory per parked task (RSS)", "parked", False, "bytes"),
    ("parked-tm", "memory per parked task (tracemalloc)", "parked", True, "bytes"),
    ("idle-rss", "memory per idle connection (RSS)", "idle", False, "bytes"),
    ("idle-tm", "memory per idle connection (tracemalloc)", "idle", True, "bytes"),
]


# -------------------------------------------------------------- targets

class Target:
    """One figure the spec asks for: ``server``'s ``what`` on ``workload``,
    divided by ``other``'s (None: the figure itself), ``op`` ("<=" or ">=")
    ``bound``.  ``what`` is "rate" (req/s), "cpu" (server CPU per request),
    or "kib_per_conn".  ``server`` "trampoline" means the trampoline row of
    the run (trampoline [pypy3.9] with --python)."""

    def __init__(self, workload, server, what, other, op, bound, source):
        self.workload, self.server, self.what, self.other = workload, server, what, other
        self.op, self.bound, self.source = op, bound, source

    def holds(self, value):
        return value >= self.bound if self.op == ">=" else value <= self.bound


ECHO_SERVER = "trampoline-echo_server"
TARGETS = [
    # issue 14, "The speed we want"
    Target("echo-1k", "trampoline", "cpu", BASELINE, "<=", 0.85, "issue 14"),
    Target("echo-1k", ECHO_SERVER, "cpu", BASELINE, "<=", 1.0, "issue 14"),
    Target("echo-c10k", "trampoline", "cpu", BASELINE, "<=", 0.70, "issue 14"),
    Target("echo-c10k", ECHO_SERVER, "cpu", BASELINE, "<=", 0.90, "issue 14"),
    Target("echo-c10k", "trampoline", "kib_per_conn", None, "<=", 2.5, "issue 14"),
    Target("echo-c10k", ECHO_SERVER, "kib_per_conn", None, "<=", 2.5, "issue 14"),
    Target("http", "trampoline", "rate", BASELINE, ">=", 1.1, "issue 14"),
    Target("http", "trampoline", "cpu", BASELINE, "<=", 0.9, "issue 14"),
    Target("spawn", "trampoline", "rate", MICRO_BASELINE, ">=", 2.5, "issue 14"),
    Target("switch", "trampoline", "rate", MICRO_BASELINE, ">=", 5.0, "issue 14"),
    # the first spec's req/s targets, still shown
    Target("echo-1k", "trampoline", "rate", BASELINE, ">=", 1.10, "first spec"),
    Target("echo-1k", "trampoline", "rate", "asyncio-streams", ">=", 1.6, "first spec"),
    Target("echo-1k", "trampoline", "rate", "curio", ">=", 2.0, "first spec"),
    Target("echo-10k", "trampoline", "rate", BASELINE, ">=", 1.05, "first spec"),
    Target("echo-100k", "trampoline", "rate", BASELINE, ">=", 1.0, "first spec"),
    Target("echo-c10k", "trampoline", "rate", BASELINE, ">=", 1.25, "first spec"),
]


# ------------------------------------------------------------- settings

def usable_cpus():
    """The CPUs this process may run on, in order.  PyPy has no
    os.sched_getaffinity: then every CPU the machine has."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return list(range(os.cpu_count() or 1))


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
        self.micro_n = micro_sizes(args)
        cpus = usable_cpus()
        if len(cpus) >= 2:
            self.server_cpu, self.client_cpu = cpus[0], cpus[1]
        else:
            self.server_cpu = self.client_cpu = None

    def conns(self, workload):
        return self.c10k if workload.key == "echo-c10k" else workload.conns


def micro_sizes(args):
    """N for each micro benchmark."""
    if args.smoke:
        return {"spawn": 2000, "switch": 2000, "parked": 1000, "idle": 100}
    if args.quick:
        return {"spawn": 20000, "switch": 20000, "parked": 10000, "idle": 1000}
    return {"spawn": 100000, "switch": 200000, "parked": 100000, "idle": 10000}


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


# --------------------------------------------------------------- checks

def build_echoload():
    """Build echoload if it is missing, older than its source, or does not
    run (a binary from another machine, a truncated build): None, or why not."""
    if (os.path.exists(ECHOLOAD) and os.path.getmtime(ECHOLOAD) >= os.path.getmtime(ECHOLOAD_SRC)
            and _echoload_runs()):
        return None
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        return "no C compiler (cc) to build benchmarks/echoload.c"
    os.makedirs(BUILD, exist_ok=True)
    # Built under a name of its own, then renamed into place: another run
    # starting echoload meanwhile finds the old binary or the whole new one,
    # never a half-written file ("Exec format error").
    building = "%s.%d" % (ECHOLOAD, os.getpid())
    result = subprocess.run([cc, "-O2", "-o", building, ECHOLOAD_SRC],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode:
        if os.path.exists(building):
            os.remove(building)
        return "building echoload failed: %s" % result.stdout.decode(errors="replace")[-300:]
    os.replace(building, ECHOLOAD)
    return None


def _echoload_runs():
    """Does the built echoload run?  (Without arguments it prints its usage
    and exits with status 2.)"""
    try:
        probe = subprocess.run([ECHOLOAD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 2 and probe.stderr.startswith(b"usage: echoload ")


def output_problem(path):
    """Why the report cannot be written to ``path`` (checked before a run,
    which takes minutes), or None.  A missing folder is fine: it is made."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return "%s is a directory" % path
    folder = os.path.dirname(path)
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return "%s is not a directory" % existing
    if existing != folder:
        if not os.access(existing, os.W_OK | os.X_OK):
            return "cannot make a folder in %s" % existing
        return None
    there = os.path.exists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as error:
        return "cannot write %s: %s" % (path, error.strerror or error)
    if not there:
        os.unlink(path)
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
    if server.program and not os.path.exists(server.program):
        return "%s is missing" % os.path.relpath(server.program, REPO)
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
    """(tag, name) of a Python interpreter, e.g. ("pypy3.9.16", "PyPy 3.9.16"),
    or None if ``python`` does not run as one."""
    try:
        out = subprocess.run([python, "-c", "import sys, platform; print(platform.python_implementation(), "
                              "'.'.join(map(str, sys.version_info[:3])))"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=60).stdout.decode(errors="replace").split()
        return out[0].lower() + out[1], " ".join(out)
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None
