"""Step 10: run on, within a budget -- fewer trips through the queue, fairly.

What this step adds
    Nothing new for tasks: the traps mean what they meant.  Until now a
    task went to the back of the ready queue after *every* trap, even one
    that completed at once (``current()``, a subroutine call, a ``write``
    that fits in the buffer).  Now the kernel runs a task on while its
    traps complete at once -- and, so that a task that never waits cannot
    starve the rest, only for ``BUDGET`` traps in a row; then it goes to
    the back of the queue.

Why
    Each trip through the queue costs a turn of the loop, and each turn a
    ``select``.  Running a task on saves both; the budget keeps it fair.

In trampoline/
    ``trampoline.kernel.Kernel._stepper`` ("Fair share used"): the inner
    ``while True`` of the ``step`` it makes runs a task on,
    ``trampoline.kernel.BUDGET`` bounds it, and
    ``trampoline.kernel.Kernel._defer`` puts a task that has used it up at
    the back of the ready queue.  The real ``step`` also keeps what it uses
    in local variables of the closure (each a lookup saved per use).

Run it: python3 docs/steps/step10.py   (it builds on step9.py, and compares)
"""

import collections
import heapq
import itertools
import sys
import time

import step9
from step9 import PARKED, Cancelled, TaskError, Trap, accept, cancel, current, join, read, sleep, spawn, write  # noqa: F401

BUDGET = 50             # NEW: traps a task may complete in one turn


# === The kernel ===

class Kernel(step9.Kernel):
    def run(self, main):
        """Run ``main`` and every task it spawns; return what ``main`` returned."""
        main = self.spawn(main)
        while self.ready or self.sleeping or len(self.selector.get_map()):
            # 1. Every task ready now runs: until it parks, or for BUDGET traps.
            for _ in range(len(self.ready)):
                task = self.ready.popleft()
                budget = BUDGET
                while self.step(task):      # NEW: its trap is done: run it on, now
                    budget -= 1
                    if budget == 0:         # NEW: its fair share is used: to the back
                        self.ready.append(task)
                        break
            # 2. Wait for sockets, not past the first timer; wake their tasks.
            self.wait_for_io()
            # 3. Wake the tasks whose time has come.
            self.fire_timers()
        return main.result

    def fire_timers(self):
        """Part 3 of the loop, as before.  (A method now: step 14 adds to it.)"""
        now = time.monotonic()
        while self.sleeping and self.sleeping[0][0] <= now:
            _, _, task = heapq.heappop(self.sleeping)
            self.resume(task, None)


# === Demo: step 9 against step 10 ===
# Both kernels run the same tasks.  The counting is done from outside, by a
# stand-in for the ready queue, so neither kernel carries counting code.
# Each function takes a step's module (step9, or this file) for its Kernel
# and traps.

this_step = sys.modules[__name__]       # this file as a module: its Kernel, current, ...


class CountingQueue(collections.deque):
    """A ready queue that counts the tasks put on it."""

    def __init__(self, counts):
        super().__init__()
        self.counts = counts

    def append(self, task):
        self.counts["trips through the ready queue"] += 1
        super().append(task)


def hog(module, log):
    for _ in range(120):
        log.append("hog")
        yield module.current()          # completes at once: never waits


def ticker(module, log):
    for _ in range(3):
        log.append("ticker")
        yield module.sleep(0)


def gather(module, *coros):
    """Spawn every coroutine, then join them all."""
    tasks = []
    for coro in coros:
        tasks.append((yield module.spawn(coro)))
    for task in tasks:
        yield module.join(task)


def who_ran(module):
    """Who ran, in order ("hog x50, ticker, ..."), and the trips through the queue."""
    log = []
    counts = collections.Counter()
    kernel = module.Kernel()
    kernel.ready = CountingQueue(counts)
    kernel.run(gather(module, hog(module, log), ticker(module, log)))
    runs = []
    for name, group in itertools.groupby(log):
        n = len(list(group))
        runs.append(name if n == 1 else "%s x%d" % (name, n))
    return ", ".join(runs), counts["trips through the ready queue"]


def main():
    print("a task that never waits (hog), and one that sleeps(0) (ticker):")
    for name, module in [("step 9", step9), ("step 10", this_step)]:
        runs, trips = who_ran(module)
        print("%s: %s" % (name, runs))
        print("%s: %d trips through the ready queue" % (name, trips))


if __name__ == "__main__":
    main()
