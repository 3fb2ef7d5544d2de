"""The report: RESULTS.md, from the cells and the micro benchmarks' entries.

Four parts: a header (command, commit, machine, settings, anything the run
had to say), the load table (req/s beside the server's CPU µs per request,
user and sys, latencies, memory; each with its ratio to the workload's
baseline), the micro benchmarks, and the targets, each checked: "yes",
"**MISS**", "FAILED run" or "not measured".  Nothing here measures; it only
formats what the rounds found.
"""

import hashlib
import os
import platform
import shutil
import statistics
import subprocess
from datetime import datetime, timezone

from .plan import BASELINE, FLOOR, MICRO, MICRO_BASELINE, REPO, SCALING, TARGETS, WORKLOADS

WORKERS = "trampoline-2workers"     # the row scaling.md speaks of

# ------------------------------------------------------------- figures

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


def fmt_us(value):
    return "–" if value is None else "%.1f" % (value * 1e6)


# --------------------------------------------------------------- a run

class RunRecord:
    """Everything the report says, gathered by run.py: the command line and
    settings, what the run had to say (``messages``), the workloads and
    servers, the results ({(workload key, server name): Cell}), the micro
    entries ({(key, label): entry}), and which rows are "trampoline"."""

    def __init__(self, **fields):
        self.args = self.settings = self.command = self.revision = None
        self.messages, self.load, self.servers = [], [], []
        self.results, self.micro = {}, {}
        self.trampoline_name = self.micro_trampoline = "trampoline"
        self.interpreter_name, self.elapsed = "", 0.0
        for name, value in fields.items():
            setattr(self, name, value)


def render(record):
    out = header(record)
    if record.load:
        out += load_section(record)
    if record.micro:
        out += ["## Micro benchmarks", ""] + micro_table(record.micro, record.settings) + [
            "", "Each in its own process, pinned to the server CPU, timed inside the running "
            "loop; medians over the rounds (memory: up to 3).  × asyncio is the ratio to "
            "asyncio (idle connections: to asyncio-protocols).", ""]
    if ("echo-1k", WORKERS) in record.results and os.path.exists(SCALING):
        with open(SCALING) as text:         # the argument behind the workers row
            out += [text.read().rstrip().replace("{measured}", scaling_measured(record)), ""]
    out += ["## Targets (issue 14's, and the first spec's req/s ones, for %s)"
            % record.trampoline_name, ""]
    out += targets_table(record.results, record.micro,
                         {"load": record.trampoline_name, "micro": record.micro_trampoline})
    out.append("")
    floor = floor_lines(record.results, record.micro)
    if floor:
        out += floor + [""]
    notes = run_notes(record.results, record.micro)
    if notes:
        out += ["## Notes", ""] + ["- " + note for note in notes] + [""]
    return "\n".join(out)


def scaling_measured(record):
    """What this run's workers row served beside one pinned process's, in
    words (scaling.md's {measured}): more, fewer, or not compared."""
    two = record.results.get(("echo-1k", WORKERS))
    one = record.results.get(("echo-1k", record.trampoline_name))
    if not (two and one and two.rate and one.rate):
        return "This run has no figure to compare it with one pinned process's."
    ratio = two.rate / one.rate
    return ("In the run above it served %s one pinned process (%.2f ×)."
            % ("more requests than" if ratio > 1 else "fewer requests than" if ratio < 1
               else "as many requests as", ratio))


def header(record):
    settings = record.settings
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# trampoline benchmark results", ""]
    out.append("- command: `%s`" % record.command)
    out.append("- trampoline: %s" % record.revision)
    out.append("- date: %s; the run took %.0f s" % (now, record.elapsed))
    out.append("- machine: %s, %d cores; %s; Linux %s" % (
        machine_info(), os.cpu_count() or 0, platform.python_implementation() + " " +
        platform.python_version(), platform.release()))
    if record.interpreter_name:
        out.append("- `--python`: %s (rows marked [%s])" % (
            record.interpreter_name, record.trampoline_name.split("[")[1][:-1]))
    versions = ", ".join(sorted({"%s %s" % (s.needs, s.version) for s in record.servers
                                 if s.needs not in ("trampoline", "asyncio", "select")
                                 and s.version}))
    if versions:
        out.append("- also: %s" % versions)
    wrk = wrk_version() if any(w.kind == "http" for w in record.load) else ""
    if wrk:
        out.append("- HTTP client: %s (-t1 -c100)" % wrk)
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
    out += ["- note: %s" % message for message in record.messages]
    return out + [""]


def wrk_version():
    if not shutil.which("wrk"):
        return ""
    probe = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return probe.stdout.decode(errors="replace").split("[")[0].strip()


# ----------------------------------------------------------- the loads

LOAD_EXPLAINED = (
    "req/s, the server's CPU µs per request (user + sys; then user and sys apart), p50 and "
    "p99 round-trip latency (as the client saw it) and peak RSS (VmHWM) are medians over the "
    "rounds; spread is (max − min) / median of req/s.  CPU per request is the server's "
    "utime + stime from /proc/PID/stat (with all its child processes: a supervisor and its "
    "workers count together) over the client's measured window only, divided by the "
    "requests completed in it (echoload marks its window -- should the suite see a mark late, "
    "the server's CPU per second between the samples times the window's length, and a note "
    "says so; wrk's and redis-benchmark's window is their whole measured run); its resolution is one clock tick per window.  × base is each "
    "figure divided by asyncio-protocols' (redis-server's for the Redis-protocol workload; "
    "higher is better for req/s, lower for the rest); ΔRSS KiB/conn is (peak RSS − RSS when "
    "idle) / connections.  A workload on which some round failed (client errors, a stall, "
    "a crash, no request completed in the measured window) gets no number: its row says so, "
    "and why.")


def load_section(record):
    out = ["## Load", ""] + load_table(record.results, record.load, record.servers)
    out += ["", LOAD_EXPLAINED, ""]
    for server in record.servers:
        if server.note and any((w.key, server.name) in record.results for w in record.load):
            out += ["- %s." % server.note, ""]
    return out


LOAD_HEAD = ("| workload | server | req/s | spread | × base | CPU µs/req | user µs | sys µs "
             "| × base | p50 ms | × base | p99 ms | × base | peak RSS MiB | × base | ΔRSS KiB/conn |")
LOAD_COLUMNS = LOAD_HEAD.count("|") - 1


def load_table(results, workloads, servers):
    lines = [LOAD_HEAD, "|" + "---|" * LOAD_COLUMNS]
    for workload in workloads:
        base = results.get((workload.key, workload.baseline))
        base = base if base is not None and base.ok else None
        for server in servers:
            cell = results.get((workload.key, server.name))
            if cell is not None:
                lines.append(load_row(workload, server, cell, base))
    return lines


def load_row(workload, server, cell, base):
    if not cell.ok:
        return failed_row(workload, server, cell)
    figure = lambda name: getattr(base, name) if base is not None else None
    cells = [workload.title, server.name, fmt_rate(cell.rate), fmt_pct(spread(cell.rates)),
             fmt_ratio(cell.rate, figure("rate")),
             fmt_us(cell.cpu), fmt_us(cell.cpu_user), fmt_us(cell.cpu_sys),
             fmt_ratio(cell.cpu, figure("cpu")),
             fmt_ms(cell.p50), fmt_ratio(cell.p50, figure("p50")),
             fmt_ms(cell.p99), fmt_ratio(cell.p99, figure("p99")),
             "–" if cell.rss_peak is None else "%.1f" % (cell.rss_peak / 2**20),
             fmt_ratio(cell.rss_peak, figure("rss_peak")),
             "–" if cell.kib_per_conn is None else "%.2f" % cell.kib_per_conn]
    return "| " + " | ".join(cells) + " |"


def failed_row(workload, server, cell):
    """A row with no figures: how many rounds failed, and why the first
    did (the notes list every failed round)."""
    why = ""
    if cell.failed:
        why = ": " + " ".join(cell.failed[0].error.split()).replace("|", "\\|")
        if len(why) > 120:
            why = why[:119] + "…"
        if len(cell.failed) > 1:
            why += " (and %d more; see the notes)" % (len(cell.failed) - 1)
    return "| %s | %s | **FAILED** (%d/%d rounds)%s |%s" % (
        workload.title, server.name, len(cell.failed), len(cell.outcomes), why,
        " – |" * (LOAD_COLUMNS - 3))


# ---------------------------------------------------------------- micro

def micro_table(micro, settings):
    lines = ["| micro benchmark | implementation | result | spread | × asyncio |", "|---|---|---|---|---|"]
    for key, title, bench, _tm, what in MICRO:
        title = title.format(n="{:,}".format(settings.micro_n[bench]))
        base = micro.get((key, BASELINE if bench == "idle" else MICRO_BASELINE))
        base_value = median(base["values"]) if base and not base["errors"] else None
        for (row_key, label), entry in micro.items():       # in the order they ran
            if row_key == key:
                lines.append(micro_row(title, label, entry, what, base_value))
    return lines


def micro_row(title, label, entry, what, base_value):
    if entry["errors"]:
        unavailable = all("not available" in e for e in entry["errors"])
        return "| %s | %s | %s | – | – |" % (
            title, label, "n/a (no tracemalloc)" if unavailable else "**FAILED**")
    value = median(entry["values"])
    if what == "rate":
        text = "%s %s" % (fmt_rate(value), entry["unit"])
    else:
        text = "{:,.0f} B".format(value)
    return "| %s | %s | %s | %s | %s |" % (
        title, label, text, fmt_pct(spread(entry["values"])), fmt_ratio(value, base_value))


# -------------------------------------------------------------- targets

TITLES = dict({w.key: w.title for w in WORKLOADS}, spawn="spawn+join", switch="task switch")


def targets_table(results, micro, trampoline):
    """``trampoline``: {"load": row name, "micro": row name} of the
    trampoline being judged (they differ with --python)."""
    lines = ["| target | from | measured | holds |", "|---|---|---|---|"]
    for target in TARGETS:
        value, failed = target_value(target, results, micro, trampoline)
        shown = "–" if value is None else (
            "%.2f KiB" % value if target.what == "kib_per_conn" else "%.2f ×" % value)
        if value is None:
            verdict = "FAILED run" if failed else "not measured"
        else:
            verdict = "yes" if target.holds(value) else "**MISS**"
        mine = trampoline["micro" if target.workload in ("spawn", "switch") else "load"]
        name = mine if target.server == "trampoline" else target.server
        lines.append("| %s | %s | %s | %s |" % (target_text(target, name), target.source, shown, verdict))
    return lines


def target_value(target, results, micro, trampoline):
    """(the figure the target bounds, or None; did the run fail?)"""
    if target.workload in ("spawn", "switch"):
        mine = micro.get((target.workload, trampoline["micro"]))
        theirs = micro.get((target.workload, target.other))
        if not (mine and theirs and not mine["errors"] and not theirs["errors"]):
            return None, bool(mine and mine["errors"])
        return median(mine["values"]) / median(theirs["values"]), False
    name = trampoline["load"] if target.server == "trampoline" else target.server
    mine = results.get((target.workload, name))
    if mine is None or not mine.ok:
        return None, mine is not None
    if target.what == "kib_per_conn":
        return mine.kib_per_conn, False
    theirs = results.get((target.workload, target.other))
    figure = {"rate": "rate", "cpu": "cpu"}[target.what]
    if theirs is None or not theirs.ok or not getattr(theirs, figure) or getattr(mine, figure) is None:
        return None, False
    return getattr(mine, figure) / getattr(theirs, figure), False


def target_text(target, name):
    what = "%s, %s" % (TITLES[target.workload], name)
    bound = "%s %.2f" % ("≥" if target.op == ">=" else "≤", target.bound)
    if target.what == "kib_per_conn":
        return "%s: server RSS %s KiB per connection above idle" % (what, bound)
    if target.what == "cpu":
        return "%s: server CPU per request %s × %s" % (what, bound, target.other)
    return "%s: %s %s × %s" % (what, "req/s" if target.workload not in ("spawn", "switch")
                               else "rate", bound, target.other)


def floor_lines(results, micro):
    """Where the generator floor ran beside the baseline: its CPU per
    request as a ratio to the baseline's, next to the CPU targets of that
    workload -- a target below the floor cannot be met by a kernel in
    pure Python, however lean."""
    lines = []
    for workload in WORKLOADS:
        mine, theirs = results.get((workload.key, FLOOR)), results.get((workload.key, BASELINE))
        if not (mine and theirs and mine.ok and theirs.ok and mine.cpu and theirs.cpu):
            continue
        bounds = ["%s ≤ %.2f ×" % (t.server, t.bound) for t in TARGETS
                  if t.workload == workload.key and t.what == "cpu" and t.other == BASELINE]
        lines.append("- floor, %s: %s's CPU per request is **%.2f ×** %s' (%s µs: user %s, "
                     "sys %s; %s: %s µs, user %s, sys %s)%s." % (
                         workload.title, FLOOR, mine.cpu / theirs.cpu, BASELINE,
                         fmt_us(mine.cpu), fmt_us(mine.cpu_user), fmt_us(mine.cpu_sys),
                         BASELINE, fmt_us(theirs.cpu), fmt_us(theirs.cpu_user),
                         fmt_us(theirs.cpu_sys),
                         "; the targets: " + ", ".join(bounds) if bounds else ""))
    lines += micro_floor_lines(micro)
    if not lines:
        return []
    return ["The floor (not a target): %s (servers/floor_server.py) is the smallest honest "
            "generator kernel, the least a kernel in pure Python costs per request here.  Most "
            "of it is sys time -- recv, send and epoll in the Linux kernel -- which every "
            "server pays; a CPU target below the floor is out of reach of any such kernel.  "
            "Likewise for the micro targets: a rate target above the floor's is out of reach."
            % FLOOR, ""] + lines


def micro_floor_lines(micro):
    """The same for the micro targets: the floor's rate as a ratio to
    asyncio's (micro.py's floor_bench), next to the target."""
    lines = []
    for target in TARGETS:
        mine, theirs = micro.get((target.workload, FLOOR)), micro.get((target.workload, target.other))
        if target.what != "rate" or not (mine and theirs and mine["values"] and theirs["values"]):
            continue
        lines.append("- floor, %s: %s's rate is **%.2f ×** %s's (micro.py's floor_bench: a task "
                     "object, a trap object per operation, one ready deque, a context per task, "
                     "nothing else); the target: %s ≥ %.2f ×." % (
                         TITLES[target.workload], FLOOR,
                         median(mine["values"]) / median(theirs["values"]), target.other,
                         target.server, target.bound))
    return lines


# ---------------------------------------------------------------- notes

def run_notes(results, micro):
    """What the reader should know about single figures: failures, a
    client-bound or idle server, starved connections, disturbed rounds."""
    notes = []
    for (key, name), cell in sorted(results.items()):
        notes += ["%s / %s: FAILED: %s" % (key, name, o.error) for o in cell.failed]
        if cell.ok and cell.client_cpu is not None and cell.client_cpu > 0.9:
            notes.append("%s / %s: the client used %.0f%% of its CPU: this figure may be "
                         "client-bound" % (key, name, cell.client_cpu * 100))
        if cell.ok and cell.server_cpu is not None and cell.server_cpu < 0.8:
            notes.append("%s / %s: the server used only %.0f%% of its CPU"
                         % (key, name, cell.server_cpu * 100))
        if cell.ok and cell.min_conn == 0:
            notes.append("%s / %s: some connection completed no round trip in a measured "
                         "window (starved)" % (key, name))
        notes += ["%s / %s: %s" % (key, name, note) for note in cell.notes]
    for (key, label), entry in sorted(micro.items()):
        notes += ["micro %s / %s: FAILED: %s" % (key, label, error)
                  for error in entry["errors"] if "not available" not in error]
    return notes


# ------------------------------------------------------------- the run

def source_digest():
    """A digest of trampoline/*.py: did the code under test change mid-run?"""
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
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
