"""Exercise 9: a cleanup that takes time -- the canceller waits for it.

Give the worker a ``finally`` that itself waits (``yield sleep(0.05)``:
say, telling a server goodbye).  A cancelled task may still yield while it
unwinds, and ``cancel`` returns only once the task has really ended.

Prints:
    worker: cancelled; saying goodbye first
    worker: goodbye said
    main: cancel() returned after 0.05 s, the worker done: True
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import time

from step9 import Kernel, cancel, sleep, spawn


def worker():
    try:
        yield sleep(3600)
    finally:
        print("worker: cancelled; saying goodbye first")
        yield sleep(0.05)
        print("worker: goodbye said")


def main():
    task = yield spawn(worker())
    yield sleep(0)
    started = time.monotonic()
    yield cancel(task)
    print("main: cancel() returned after %.2f s, the worker done: %s"
          % (time.monotonic() - started, task.done))


if __name__ == "__main__":
    Kernel().run(main())
