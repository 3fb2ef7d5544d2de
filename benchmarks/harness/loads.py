"""One round: start a server, drive one workload at it, measure, stop it.

The figure to watch is the server's CPU time per request: its user and sys
time (``/proc/PID/stat``, summed over the server's whole process tree, so a
supervisor and its workers count together) over the client's *measured
window* only, divided by the requests the client completed in that window.
On a shared machine req/s swings by a third from run to run; CPU per
request much less.

The window is the client's own: echoload prints ``window-start`` and
``window-end`` as its measured window opens and closes (warm-up and the
grace period after it are outside), and the suite samples the server's CPU
at each (should it see a mark late -- it shares the client's CPU -- the
figure is the server's CPU per second between the samples times the
window's length, and the report notes it); wrk and redis-benchmark count every request of a run, so their
window is the measured run itself (wrk's warm-up is a run of its own,
outside it).

Each driver returns an Outcome; a client that reports any error (a wrong
byte, a reset, a stall, a non-2xx answer) makes the Outcome an error, not a
figure.  So does a round in which the client completed no request in its
measured window (a cold server that had not answered once by its end): it
measured nothing, and its figures would be zeros and blanks.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import time

from .plan import ECHOLOAD, HERE, LOGS, REPO, SERVERS_DIR
from .processes import TICK, cpu_busy, proc_status, run_client, spawn, stop, tree_cpu, wait_ready

#: Fewer clock ticks of server CPU than this in a window make its CPU figure
#: coarse (one tick either way is 20% or more of it); the report says so.
#: A full run's 2 s window at full speed is ~200; --smoke's 0.2 s is ~20,
#: and under five only when others crowd the server off its CPU.
COARSE_TICKS = 5


class Outcome:
    """One round of one workload against one server."""

    def __init__(self, error=None, **figures):
        self.error = error
        self.rate = self.p50 = self.p99 = None      # requests/s, seconds
        self.requests = None                        # completed in the measured window
        self.window = None                          # its length, seconds
        self.cpu_user = self.cpu_sys = None         # server CPU seconds per request
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

    @property
    def cpu_per_request(self):
        if self.cpu_user is None or self.cpu_sys is None:
            return None
        return self.cpu_user + self.cpu_sys


class Window:
    """The server's CPU time over the client's measured window: ``open``
    and ``close`` sample it; ``charge`` divides it among the requests."""

    def __init__(self, pid):
        self.pid = pid
        self.start = self.end = None        # (user, sys) CPU seconds
        self.opened = self.closed = None    # time.monotonic()

    def open(self):
        self.start, self.opened = tree_cpu(self.pid), time.monotonic()

    def close(self):
        self.end, self.closed = tree_cpu(self.pid), time.monotonic()

    def check(self, outcome, seconds):
        """Note it if the samples were not taken about ``seconds`` apart
        (the suite was slow to see a mark: the CPU figure is then scaled
        from a window that is not quite the client's)."""
        if self.opened is None or self.closed is None:
            outcome.notes.append("no CPU window: the client marked no measured window")
        elif abs((self.closed - self.opened) - seconds) > max(0.02, 0.05 * seconds):
            outcome.notes.append("the CPU samples were %.3f s apart for a %.3f s window "
                                 "(CPU per request scaled to the window)"
                                 % (self.closed - self.opened, seconds))
        return outcome

    def charge(self, outcome, requests, seconds=None):
        """Set outcome.requests, and its cpu_user and cpu_sys per request.

        With ``seconds`` (the client's window, which the samples should
        bracket): the server's CPU per second between the samples, times
        ``seconds``, divided by the requests -- the same figure when the
        samples are exactly ``seconds`` apart, and still right when the
        suite saw a mark a little late (the load is steady in the window)."""
        outcome.requests = requests
        if self.start is None or self.end is None or not requests:
            return outcome
        scale = 1.0
        if seconds is not None and self.closed > self.opened:
            scale = seconds / (self.closed - self.opened)
        user, system = self.end[0] - self.start[0], self.end[1] - self.start[1]
        outcome.cpu_user, outcome.cpu_sys = user * scale / requests, system * scale / requests
        if round((user + system) * TICK) < COARSE_TICKS:
            outcome.notes.append("CPU figure coarse: the server used under %d clock ticks "
                                 "of CPU in the measured window, and /proc counts whole "
                                 "ticks of %.0f ms (measure longer: --seconds)"
                                 % (COARSE_TICKS, 1000.0 / TICK))
        return outcome


class Sample:
    """The server's CPU seconds, every CPU's busy seconds, and the time."""

    def __init__(self, pid):
        used = tree_cpu(pid)
        self.cpu = None if used is None else sum(used)
        self.busy = cpu_busy()
        self.when = time.monotonic()


# ---------------------------------------------------------- one round

def run_load(workload, server, settings, round_no):
    """Start ``server``, drive ``workload`` at it, stop it: an Outcome."""
    log_path = _log_path(server, workload, round_no)
    proc = _start(server, workload, settings, log_path)
    outcome = None
    try:
        port = wait_ready(proc, server.ready, 15)
        if isinstance(port, str):
            outcome = Outcome(port + _log_tail(log_path))
            return outcome
        outcome = _measure(proc, workload, server, settings, port)
        if proc.poll() is not None and outcome.ok:
            outcome.error = "server died (status %s) during the run%s" % (
                proc.returncode, _log_tail(log_path))
        elif outcome.ok and outcome.requests == 0:
            outcome.error = "no request completed in the %.1f s window of round %d" % (
                outcome.window, round_no)
        return outcome
    finally:
        stop(proc)
        _keep_log(log_path, outcome)


def _log_path(server, workload, round_no):
    """Where the server's stderr goes: named for this run too (its pid), so
    that two runs from one checkout do not write, or delete, each other's."""
    os.makedirs(LOGS, exist_ok=True)
    return os.path.join(LOGS, "%s-%s-r%d-%d.log" % (
        re.sub(r"[^\w.-]+", "_", server.name).strip("_"), workload.key, round_no, os.getpid()))


def _start(server, workload, settings, log_path):
    env = dict(os.environ)
    if settings.stock_malloc:
        env["BENCH_STOCK_MALLOC"] = "1"     # see servers/common.py: steady_malloc
    with open(log_path, "wb") as log:
        return spawn(server.command(workload.kind), settings.server_cpu if server.pinned else None,
                     stdout=subprocess.PIPE, stderr=log, cwd=SERVERS_DIR, env=env)


def _measure(proc, workload, server, settings, port):
    """Drive the load at a ready server and take its figures."""
    time.sleep(0.05)        # let it settle: RSS "when idle" is read now
    rss_idle = proc_status(proc.pid, "VmRSS")
    window = Window(proc.pid)
    before = Sample(proc.pid)
    outcome = DRIVERS[workload.kind](workload, port, settings, window)
    after = Sample(proc.pid)
    if server.pinned and before.cpu is not None and after.cpu is not None:
        _server_load(outcome, before, after, settings)
    # VmHWM is updated lazily (per-thread RSS counters are folded in now
    # and then): never report a peak below an RSS actually seen.
    outcome.rss_peak = max(filter(None, (proc_status(proc.pid, "VmHWM"),
                                         proc_status(proc.pid, "VmRSS"), rss_idle)), default=None)
    outcome.rss_idle = rss_idle
    return outcome


def _server_load(outcome, before, after, settings):
    """The share of its CPU the server used, and what else ran on the two
    CPUs meanwhile (other processes on a shared machine): the CPU's busy
    time minus our processes'."""
    wall = after.when - before.when
    if wall <= 0:
        return
    used = after.cpu - before.cpu
    outcome.server_cpu = used / wall
    if settings.server_cpu is None:
        return
    cpu = settings.server_cpu
    outcome.foreign_server = max(0.0, (after.busy.get(cpu, 0) - before.busy.get(cpu, 0) - used) / wall)
    cpu = settings.client_cpu
    if outcome.client_cpu is not None:
        outcome.foreign_client = max(0.0, (after.busy.get(cpu, 0) - before.busy.get(cpu, 0)
                                           - outcome.client_cpu_seconds) / wall)


def _keep_log(log_path, outcome):
    """Keep a server's stderr only if it said something (noted in the outcome)."""
    if not os.path.getsize(log_path):
        os.unlink(log_path)
        return
    with open(log_path, "rb") as log:
        lines = log.read().decode(errors="replace").splitlines()
    if lines and outcome is not None:
        outcome.notes.append("server stderr: %d line(s), e.g. %r (%s)"
                             % (len(lines), lines[-1][:100], os.path.relpath(log_path, REPO)))


def _log_tail(path):
    try:
        with open(path, "rb") as log:
            text = log.read().decode(errors="replace").strip()
    except OSError:
        return ""
    return (": " + text.splitlines()[-1][:200]) if text else ""


# -------------------------------------------------------------- drivers

def drive_echo(workload, port, settings, window):
    """echoload: every byte checked; the window is the one it marks."""
    conns = settings.conns(workload)
    cmd = [ECHOLOAD, "127.0.0.1", str(port), str(conns), str(workload.size),
           str(settings.seconds), str(settings.warmup), str(settings.grace)]
    timeout = 30 + settings.warmup + settings.seconds + settings.grace + conns / 1000
    run = run_client(cmd, settings.client_cpu, timeout,
                     marks={"window-start": window.open, "window-end": window.close})
    figures = dict(re.findall(r"(\w+)=([-\d.]+)", run.out))
    if run.code != 0 or "rate" not in figures:
        detail = run.err.strip().splitlines()
        return Outcome("echoload: %s" % ("; ".join(detail[:3]) or run.out.strip()
                                         or "exit status %s" % run.code))
    seconds = float(figures["seconds"]) or 1.0
    outcome = Outcome(rate=float(figures["rate"]), p50=float(figures["p50_us"]) / 1e6,
                      p99=float(figures["p99_us"]) / 1e6, client_cpu=run.cpu / seconds,
                      client_cpu_seconds=run.cpu, window=settings.seconds,
                      min_conn=int(figures["min_conn"]), max_conn=int(figures["max_conn"]))
    window.check(outcome, settings.seconds)
    return window.charge(outcome, int(figures["requests"]), settings.seconds)


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def drive_http(workload, port, settings, window):
    """wrk -t1 -c100: a warm-up run, then the measured run (the window)."""
    url = "http://127.0.0.1:%d/" % port
    wrk = shutil.which("wrk")
    # wrk takes whole seconds only.
    warmup = int(round(settings.warmup))
    seconds = max(1, int(round(settings.seconds)))
    warmup_cpu = 0.0
    if warmup >= 1:
        warmup_cpu = run_client([wrk, "-t1", "-c100", "-d%ds" % warmup, "--timeout", "5s", url],
                                settings.client_cpu, warmup + 30).cpu
    cmd = [wrk, "-t1", "-c100", "-d%ds" % seconds, "--timeout", "5s", "--latency", url]
    window.open()
    run = run_client(cmd, settings.client_cpu, seconds + 30)
    window.close()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", run.out)
    count = re.search(r"(\d+) requests in ", run.out)
    if run.code != 0 or not rate or not count:
        return Outcome("wrk: %s" % ((run.err.strip() or run.out.strip()
                                     or "exit status %s" % run.code)[:200]))
    errors = wrk_errors(run.out)
    if errors:
        return Outcome("wrk: " + "; ".join(errors))

    def percentile(p):
        match = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % p, run.out, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else None

    outcome = Outcome(rate=float(rate.group(1)), p50=percentile(50), p99=percentile(99),
                      client_cpu=run.cpu / seconds, client_cpu_seconds=run.cpu + warmup_cpu,
                      window=seconds)
    return window.charge(outcome, int(count.group(1)))


def wrk_errors(out):
    """What wrk's report says went wrong: socket errors, non-2xx answers."""
    errors = []
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        counts = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+)", socket_errors.group(1)))
        if any(counts.values()):
            errors.append("socket errors: " + socket_errors.group(1).strip())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx and int(non2xx.group(1)):
        errors.append("%s non-2xx responses" % non2xx.group(1))
    return errors


def drive_resp(workload, port, settings, window):
    """redis-benchmark, 50 clients with 16 requests in flight each (one
    client alone cannot keep a server busy otherwise), each of its tests
    with the same number of requests; the rate is all requests over the
    time all the tests took, and the window the whole run."""
    tests = "ping,set,get,incr,mset"
    requests = max(10000, int(150000 * settings.seconds))
    cmd = [shutil.which("redis-benchmark"), "-h", "127.0.0.1", "-p", str(port), "-c", "50",
           "-P", "16", "-n", str(requests), "-t", tests, "-q"]
    window.open()
    run = run_client(cmd, settings.client_cpu, 120 + 10 * settings.seconds)
    window.close()
    out = run.out.replace("\r", "\n")
    found = re.findall(r"^(\S+): ([\d.]+) requests per second(?:, p50=([\d.]+) msec)?", out, re.M)
    if run.code != 0 or not found or re.search(r"error", out + run.err, re.I):
        detail = [line for line in (run.err + out).splitlines() if "error" in line.lower()]
        return Outcome("redis-benchmark: %s" % ((detail[0] if detail else (
            run.err.strip() or out.strip() or "exit status %s" % run.code))[:200]))
    seconds = sum(requests / float(rate) for _, rate, _ in found)
    p50s = [float(p50) / 1e3 for _, _, p50 in found if p50]
    outcome = Outcome(rate=requests * len(found) / seconds,
                      p50=statistics.median(p50s) if p50s else None,
                      client_cpu=run.cpu / seconds, client_cpu_seconds=run.cpu, window=seconds)
    return window.charge(outcome, requests * len(found))


DRIVERS = {"echo": drive_echo, "http": drive_http, "resp": drive_resp}


# ---------------------------------------------------------------- micro

def run_micro(bench, impl, python, n, tracemalloc, settings, profile=None):
    """One micro benchmark in a process of its own (micro.py): its figures
    as a dict ("error" if it failed), with "foreign", what other processes
    used of its CPU meanwhile."""
    cmd = [python, os.path.join(HERE, "micro.py"), bench, impl, str(n)]
    if tracemalloc:
        cmd.append("--tracemalloc")
    if profile:
        cmd += ["--profile", profile]
    busy_before = cpu_busy()
    started = time.monotonic()
    run = run_client(cmd, settings.server_cpu, 180, cwd=HERE)
    wall = time.monotonic() - started
    busy_after = cpu_busy()
    for line in reversed(run.out.splitlines()):
        if line.startswith("{"):
            figures = json.loads(line)
            cpu = settings.server_cpu
            if cpu is not None and wall > 0:
                figures["foreign"] = max(0.0, (busy_after.get(cpu, 0) - busy_before.get(cpu, 0)
                                               - run.cpu) / wall)
            return figures
    tail = run.err.strip().splitlines()
    return {"error": (tail[-1] if tail else "exit status %s" % run.code)[:200]}
