"""Exercise 2: add a trap, ``ready_count()``, that says how many tasks wait.

A trap is a class and a handler in the table: nothing else changes.  The
answers show the queue at work: every trap sends main to the back, behind
the child it has just spawned, so each child has run by main's next turn.

Prints:
    main: tasks waiting for their turn: 0
    task 2 says hello
    main: tasks waiting for their turn: 1
    task 3 says world
    main: tasks waiting for their turn: 1
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step2
from step2 import Trap, spawn


class ready_count(Trap):
    """n = yield ready_count(): how many tasks wait on the ready queue."""


class Kernel(step2.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[ready_count] = self.trap_ready_count

    def trap_ready_count(self, task, trap):
        return len(self.ready)


def main():
    for word in ("hello", "world", None):
        n = yield ready_count()
        print("main: tasks waiting for their turn: %d" % n)
        if word:
            yield spawn(step2.child(word))


if __name__ == "__main__":
    Kernel().run(main())
