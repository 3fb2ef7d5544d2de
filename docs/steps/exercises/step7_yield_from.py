"""Exercise 7: nest the calls with ``yield from`` instead, and hit the limit.

``yield from`` chains generators in Python itself: every level is a
level of the Python stack, and ten thousand of them do not fit.  The
trampoline's stack is a list, and does.

Prints:
    trampoline: depth(10000) returned 10000
    yield from: depth(10000) raised RecursionError
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step7
from step7 import Kernel


def depth_yield_from(n):
    if n == 0:
        return 0
    below = yield from depth_yield_from(n - 1)
    return below + 1


def main():
    print("trampoline: depth(10000) returned", (yield step7.depth(10000)))


if __name__ == "__main__":
    Kernel().run(main())
    try:                                # (step 7 cannot yet raise errors in tasks:
        Kernel().run(depth_yield_from(10000))   # this one escapes the kernel)
    except RecursionError:
        print("yield from: depth(10000) raised RecursionError")
