"""The rounds: every server in turn, round after round, and their medians.

Rounds are interleaved (A B C A B C ...), not run in blocks (A A A B B B),
so that a slow minute on a shared machine falls on every server alike.
Before a round the suite waits, briefly, for both CPUs to be idle; a round
during which other processes used more than DISTURBED of the server's or
the client's CPU is run again, a bounded number of times, and the report
says how often.  A Cell holds the rounds of one (workload, server) and the
medians the tables show.
"""

import time

from .loads import run_load, run_micro
from .plan import BASELINE, DISTURBED, MICRO, RETRIES, MicroImpl
from .processes import cpu_busy
from .report import fmt_ms, fmt_pct, fmt_rate, fmt_us, median


# ---------------------------------------------------------- quiet CPUs

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


# ----------------------------------------------------------- the cells

class Cell:
    """All rounds of one (workload, server): the medians the table shows.
    CPU per request: the median of the rounds' user + sys, and the medians
    of user and of sys on their own (which need not add up to it)."""

    def __init__(self, outcomes, conns):
        self.outcomes = outcomes
        self.failed = [o for o in outcomes if not o.ok]
        good = [o for o in outcomes if o.ok]
        pick = lambda name: [getattr(o, name) for o in good if getattr(o, name) is not None]
        self.rates = pick("rate")
        self.rate = median(self.rates)
        self.cpu = median(pick("cpu_per_request"))
        self.cpu_user = median(pick("cpu_user"))
        self.cpu_sys = median(pick("cpu_sys"))
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
        self.notes = []
        for o in outcomes:
            self.notes += [note for note in o.notes if note not in self.notes]

    @property
    def ok(self):
        return not self.failed and self.rate is not None


# ----------------------------------------------------------- the loads

def run_loads(load, servers, settings):
    """Every workload of ``load`` against every server that serves it, in
    interleaved rounds: {(workload key, server name): Cell}."""
    results = {}
    for workload in load:
        serving = [server for server in servers if server.serves(workload)]
        outcomes = {server.name: [] for server in serving}
        retried = {server.name: 0 for server in serving}
        for round_no in range(1, settings.rounds + 1):
            for server in serving:
                outcome, retries = one_round(workload, server, settings, round_no)
                retried[server.name] += retries
                outcomes[server.name].append(outcome)
                print("  %-10s round %d/%d  %-28s %s" % (workload.key, round_no, settings.rounds,
                                                       server.name, progress(outcome)), flush=True)
        for server in serving:
            cell = Cell(outcomes[server.name], settings.conns(workload))
            note_disturbance(cell, retried[server.name])
            results[(workload.key, server.name)] = cell
    return results


def one_round(workload, server, settings, round_no):
    """One round, run again while others disturb it: (Outcome, re-runs)."""
    retries = 0
    for attempt in range(1 + max(RETRIES, settings.retries)):
        wait_quiet(settings)
        outcome = run_load(workload, server, settings, round_no)
        empty = not outcome.ok and outcome.requests == 0        # (measured nothing)
        limit = RETRIES if empty else settings.retries
        if (not outcome.ok and not empty) or attempt >= limit or not disturbed(outcome, settings):
            break
        print("  %-10s round %d/%d  %-28s others used %s/%s of the server/client "
              "CPU: again" % (workload.key, round_no, settings.rounds, server.name,
                              fmt_pct(outcome.foreign_server), fmt_pct(outcome.foreign_client)),
              flush=True)
        retries += 1
    return outcome, retries


def progress(outcome):
    """One round's line on the console."""
    if not outcome.ok:
        return "FAILED: " + outcome.error
    cpu = outcome.cpu_per_request
    return ("%s req/s  cpu/req %s µs (user %s sys %s)  p50 %s ms  p99 %s ms  peak RSS %.1f MiB  "
            "cpu srv %s cli %s  others %s/%s%s" % (
                fmt_rate(outcome.rate), fmt_us(cpu), fmt_us(outcome.cpu_user),
                fmt_us(outcome.cpu_sys), fmt_ms(outcome.p50), fmt_ms(outcome.p99),
                (outcome.rss_peak or 0) / 2**20, fmt_pct(outcome.server_cpu),
                fmt_pct(outcome.client_cpu), fmt_pct(outcome.foreign_server),
                fmt_pct(outcome.foreign_client),
                "" if outcome.min_conn is None else "  per conn %d..%d" % (
                    outcome.min_conn, outcome.max_conn)))


def note_disturbance(cell, retried):
    """Say under the table how many rounds others disturbed."""
    kept = [o for o in cell.outcomes if o.ok and
            max(o.foreign_server or 0, o.foreign_client or 0) > DISTURBED]
    if not retried and not kept:
        return
    worst = ""
    if kept:
        worst = " (others up to %s / %s of the server / client CPU)" % (
            fmt_pct(max(o.foreign_server or 0 for o in kept)),
            fmt_pct(max(o.foreign_client or 0 for o in kept)))
    cell.notes.append(
        "other processes used over %.0f%% of a CPU: %d round(s) re-run, %d of the %d "
        "kept still disturbed%s" % (DISTURBED * 100, retried, len(kept), len(cell.outcomes), worst))


# ---------------------------------------------------------------- micro

def run_micro_suite(impls, settings):
    """Every micro benchmark, interleaved rounds: {(key, label): entry},
    each entry {"values": [...], "errors": [...], "unit": str}."""
    micro = {}
    for key, _title, bench, tracemalloc, what in MICRO:
        # Memory barely varies between rounds; three are plenty.
        rounds = settings.rounds if what == "rate" else min(settings.rounds, 3)
        bench_impls = idle_impls(impls) if bench == "idle" else [
            impl for impl in impls if impl.impl != "floor" or what == "rate"]
        for impl in bench_impls:
            micro[(key, impl.label)] = {"values": [], "errors": [], "unit": ""}
        for round_no in range(1, rounds + 1):
            for impl in bench_impls:
                figures = one_micro_round(key, bench, impl, tracemalloc, what, settings,
                                          "round %d/%d" % (round_no, rounds))
                shown = record_micro(micro[(key, impl.label)], figures, what)
                print("  %-10s round %d/%d  %-28s %s" % (key, round_no, rounds, impl.label, shown),
                      flush=True)
    return micro


def idle_impls(impls):
    """asyncio has two server APIs: idle connections measure both."""
    chosen = []
    for impl in impls:
        if impl.impl == "asyncio":
            suffix = impl.label[len("asyncio"):]
            chosen.append(MicroImpl(BASELINE + suffix, BASELINE, impl.python))
            chosen.append(MicroImpl("asyncio-streams" + suffix, "asyncio-streams", impl.python))
        elif impl.impl == "trampoline":
            chosen.append(impl)
    return chosen


def one_micro_round(key, bench, impl, tracemalloc, what, settings, which):
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
        print("  %-10s %s  %-28s others used %s of the CPU: again" % (
            key, which, impl.label, fmt_pct(figures["foreign"])), flush=True)
    return figures


def record_micro(entry, figures, what):
    """Add one round's figures to its entry: what the console shows."""
    if "error" in figures:
        entry["errors"].append(figures["error"])
        if "not available" in figures["error"]:     # (no tracemalloc on PyPy)
            return "n/a: " + figures["error"]
        return "FAILED: " + figures["error"]
    value = figures["rate"] if what == "rate" else figures["bytes"]
    entry["values"].append(value)
    entry["unit"] = figures.get("unit", "")
    if what == "rate":
        return "%s %s" % (fmt_rate(value), entry["unit"])
    return "{:,.0f} B".format(value)
