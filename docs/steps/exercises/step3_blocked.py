"""Exercise 3: block the loop with time.sleep, and watch every alarm ring late.

Add a task that calls ``time.sleep(0.1)`` -- a blocking call -- where it
should have yielded ``sleep(0.1)``.  While it sleeps, the loop cannot
run: every alarm rings after it, however short it was.  (trampoline's
debug mode names such a line, and says "A blocking call belongs in a
thread": ``run_in_thread``.)

Prints:
    main: three alarms set, and a task that blocks
    blocker: calling time.sleep(0.1), which blocks the whole loop
    fast asked for 0.02 s, woke up after 0.11 s
    medium asked for 0.04 s, woke up after 0.11 s
    slow asked for 0.06 s, woke up after 0.11 s
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import time

import step3
from step3 import sleep, spawn


def blocker():
    yield sleep(0.01)
    print("blocker: calling time.sleep(0.1), which blocks the whole loop")
    time.sleep(0.1)


def main():
    for name, seconds in [("slow", 0.06), ("fast", 0.02), ("medium", 0.04)]:
        yield spawn(step3.alarm(name, seconds))
    yield spawn(blocker())
    print("main: three alarms set, and a task that blocks")


if __name__ == "__main__":
    step3.Kernel().run(main())
