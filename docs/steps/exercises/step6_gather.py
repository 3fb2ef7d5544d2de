"""Exercise 6: write ``gather(*coros)``: run them all at once, return every result.

Step 6 has no subroutine calls yet (step 7 brings them), so ``gather`` is
a task of its own: spawn it and join it, and its return value is the list.
It spawns each, then joins each, in order.  Joining in order costs nothing:
a task that finished first simply answers at once.  The three sleeps
overlap, so the whole takes as long as the longest.

Prints:
    gather: [9, 16, 25] after 0.04 s, not 0.09 s
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import time

import step6
from step6 import Kernel, join, spawn


def gather(*coros):
    """results = yield join((yield spawn(gather(a, b)))): every result, in order."""
    tasks = []
    for coro in coros:
        tasks.append((yield spawn(coro)))
    results = []
    for task in tasks:
        results.append((yield join(task)))
    return results


def main():
    started = time.monotonic()
    squares = [quiet_square(n, seconds) for n, seconds in [(3, 0.04), (4, 0.02), (5, 0.03)]]
    results = yield join((yield spawn(gather(*squares))))
    print("gather: %s after %.2f s, not 0.09 s" % (results, time.monotonic() - started))


def quiet_square(n, seconds):
    yield step6.sleep(seconds)
    return n * n


if __name__ == "__main__":
    Kernel().run(main())
