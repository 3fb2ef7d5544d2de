"""Exercise 1: make the scheduler LIFO, and watch it stop taking turns.

Take the newest task from the ready queue instead of the oldest
(``ready.pop()`` for ``ready.popleft()``).  The task that just ran is
the newest, so it runs again, and again: one task runs to its end before
the other starts.  Round-robin is what makes "let the others run" true.

Prints:
    pears 2
    pears 1
    pears done
    apples 3
    apples 2
    apples 1
    apples done
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step1


class Kernel(step1.Kernel):
    def run(self):
        while self.ready:
            task = self.ready.pop()         # the newest, not the oldest
            if self.step(task):
                self.ready.append(task)


if __name__ == "__main__":
    kernel = Kernel()
    kernel.spawn(step1.countdown("apples", 3))
    kernel.spawn(step1.countdown("pears", 2))
    kernel.run()
