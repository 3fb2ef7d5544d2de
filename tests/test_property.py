"""A property test with a seeded random scheduler: many producers and
consumers over a bounded Queue, random interleavings (``sleep(0)`` chosen by
``random.Random(seed)``), random cancellations of producers and consumers,
random ``timeout_after`` around ``get`` and ``put``.

Invariant, for every seed: each item whose put completed (``put`` returned,
or ``put_nowait`` did not raise) is got exactly once -- by a consumer whose
``get`` returned it (even if that consumer was cancelled right after), or
left in the queue at the end.  A put that was cancelled or timed out before
completing does not count, and its item must appear nowhere.  And every
cancellation takes effect: a cancelled task ends.

The kernel itself is deterministic; the random choices of the tasks make
the schedule.  Timeouts are 0 (the deadline passes at the end of the
current kernel turn -- deterministic) or 10 s (never, but the alarm must be
cleared); no real time passes, so thousands of seeds run in seconds.  A
failure names its seed: ``check_seed(seed)`` reproduces it.
"""

import random
import time
from collections import Counter

from trampoline import (Kernel, Queue, QueueEmpty, QueueFull, TaskTimeout, cancel, sleep,
                        spawn, timeout_after)

SEEDS = 5000
TIME_LIMIT = 30.0           # seconds, for all seeds together


def check_seed(seed):
    """Run one random scenario; raise AssertionError (naming the seed) if the
    invariant breaks.  Returns counts, for the sanity checks."""
    rng = random.Random(seed)
    maxsize = rng.choice([1, 1, 2, 3, 4, 8, 20])
    q = Queue(maxsize=maxsize)
    n_producers = rng.randint(1, 4)
    n_consumers = rng.randint(1, 4)
    per_producer = rng.randint(1, 15)
    n_cancels = rng.randint(0, 6)
    timeouts = [0, 0, 10]

    put_ok = []             # items whose put completed
    attempted = set()       # every item any producer tried to put
    got = []                # items a get returned
    cancelled = []          # tasks the chaos task cancelled
    stats = Counter()

    def pause():
        """The random scheduler: give way to the others 0-3 times."""
        r = rng.random()
        if r < 0.45:
            return
        for _ in range(1 if r < 0.85 else rng.randint(2, 3)):
            yield sleep(0)

    def producer(pid):
        for i in range(per_producer):
            item = (pid, i)
            attempted.add(item)
            yield pause()
            mode = rng.random()
            if mode < 0.15:
                try:
                    q.put_nowait(item)
                except QueueFull:
                    stats["put full"] += 1
                    continue
            elif mode < 0.45:
                try:
                    yield timeout_after(rng.choice(timeouts), q.put(item))
                except TaskTimeout:
                    stats["put timeout"] += 1
                    continue
            else:
                yield q.put(item)
            put_ok.append(item)         # same step as the put: no yield between

    def consumer():
        while True:
            yield pause()
            mode = rng.random()
            if mode < 0.15:
                try:
                    item = q.get_nowait()
                except QueueEmpty:
                    yield sleep(0)
                    continue
            elif mode < 0.45:
                try:
                    item = yield timeout_after(rng.choice(timeouts), q.get())
                except TaskTimeout:
                    stats["get timeout"] += 1
                    continue
            else:
                item = yield q.get()
            got.append(item)            # same step as the get

    def chaos(producers, consumers):
        for _ in range(n_cancels):
            for _ in range(rng.randint(0, 6)):
                yield sleep(0)
            alive = [t for t in producers + consumers if not t.done and t not in cancelled]
            if not alive:
                return
            victim = rng.choice(alive)
            yield cancel(victim, wait=False)
            cancelled.append(victim)
            stats["cancels"] += 1
            if victim in consumers:     # keep the queue drained
                consumers.append((yield spawn(consumer())))

    def settle(tasks, what):
        for _ in range(2000):
            if all(t.done for t in tasks):
                return
            yield sleep(0)
        stuck = [t for t in tasks if not t.done]
        raise AssertionError("seed %d: %s never ended: %r" % (seed, what, stuck))

    def main():
        producers, consumers = [], []
        for pid in range(n_producers):
            producers.append((yield spawn(producer(pid))))
        for _ in range(n_consumers):
            consumers.append((yield spawn(consumer())))
        c = yield spawn(chaos(producers, consumers))
        yield settle([c], "the chaos task")
        yield settle(producers, "producers")
        # Every task the chaos task cancelled must have ended by now.
        yield settle(cancelled, "cancelled tasks")
        for t in consumers:
            yield cancel(t, wait=False)
        yield settle(consumers, "consumers")
        left = []
        while True:
            try:
                left.append(q.get_nowait())
            except QueueEmpty:
                break
        return left

    with Kernel() as kernel:
        left = kernel.run(main())
        live_alarms = [e for e in kernel._timers if e[2] is not None]

    where = "seed %d (maxsize=%d)" % (seed, maxsize)
    assert len(set(put_ok)) == len(put_ok), "%s: an item was put twice" % where
    counted = Counter(got) + Counter(left)
    duplicated = [item for item, n in counted.items() if n > 1]
    assert not duplicated, "%s: got more than once: %r" % (where, duplicated)
    never_put = set(counted) - set(put_ok)
    assert not never_put, "%s: got but its put did not complete: %r" % (where, sorted(never_put))
    lost = set(put_ok) - set(counted)
    assert not lost, "%s: put but never got nor left in the queue: %r" % (where, sorted(lost))
    assert set(put_ok) <= attempted
    assert live_alarms == [], "%s: alarms left armed: %r" % (where, live_alarms)
    stats["put"] += len(put_ok)
    stats["got"] += len(got)
    stats["left"] += len(left)
    return stats


def test_seeded_random_producers_consumers_cancellations_timeouts():
    start = time.monotonic()
    totals = Counter()
    failures = []
    for seed in range(SEEDS):
        try:
            totals += check_seed(seed)
        except AssertionError as exc:
            failures.append(str(exc))
            if len(failures) >= 5:
                break
    elapsed = time.monotonic() - start
    assert not failures, "%d seed(s) failed, first ones:\n%s" % (
        len(failures), "\n".join(failures))
    assert elapsed < TIME_LIMIT, "%d seeds took %.1f s" % (SEEDS, elapsed)
    # The scenarios really exercised what they claim to.
    assert totals["put"] > 10 * SEEDS
    assert totals["cancels"] > SEEDS
    assert totals["get timeout"] > 100 and totals["put timeout"] > 100
    assert totals["got"] > totals["left"]


def test_one_seed_is_reproducible():
    assert check_seed(12345) == check_seed(12345)
