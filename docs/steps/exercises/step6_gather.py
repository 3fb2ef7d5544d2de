"""Exercise 6: write ``gather(*coros)``: run them all at once, return every result.

A subroutine-free version: spawn each, then join each, in order.  Joining
in order costs nothing: a task that finished first simply answers at once.
The three sleeps overlap, so the whole takes as long as the longest.

Prints:
    gather: [9, 16, 25] after 0.04 s, not 0.09 s
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import time

import step6
from step6 import Kernel, join, spawn


def main():
    started = time.monotonic()
    tasks = []
    for n, seconds in [(3, 0.04), (4, 0.02), (5, 0.03)]:
        tasks.append((yield spawn(quiet_square(n, seconds))))
    results = []
    for task in tasks:
        results.append((yield join(task)))
    print("gather: %s after %.2f s, not 0.09 s" % (results, time.monotonic() - started))


def quiet_square(n, seconds):
    yield step6.sleep(seconds)
    return n * n


if __name__ == "__main__":
    Kernel().run(main())
