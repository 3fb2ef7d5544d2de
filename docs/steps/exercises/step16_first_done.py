"""Exercise 16: a race -- the first child to finish wins, the others are cancelled.

Add ``first()`` to the TaskGroup: park until a child has ended, cancel
the rest, return the winner's result.  (Ask three mirrors for the same
file; take the fastest.)

Prints:
    mirror b: cancelled
    mirror c: cancelled
    main: the winner is 'a'
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step16
from step16 import Cancelled, Kernel, cancel, park, sleep


class TaskGroup(step16.TaskGroup):
    def first(self):
        """``result = yield group.first()``: the first child's result; the
        others are cancelled."""
        total = len(self.tasks)
        while self.running == total:    # nobody has finished yet
            yield park(self.changed)
        winner = next(task for task in self.tasks if task.done)
        for task in self.tasks:
            yield cancel(task)
        return (yield step16.join(winner))


def mirror(name, seconds):
    try:
        yield sleep(seconds)
        return name
    except Cancelled:
        print("mirror %s: cancelled" % name)
        raise


def main():
    group = TaskGroup()
    for name, seconds in [("a", 0.01), ("b", 0.05), ("c", 3600)]:
        yield group.spawn(mirror(name, seconds))
    print("main: the winner is %r" % (yield group.first()))


if __name__ == "__main__":
    Kernel().run(main())
