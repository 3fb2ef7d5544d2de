"""Exercise 12: forget nothing when a task ends, and count what stays watched.

Take out the release in ``exit``: every socket a task ever waited on
stays registered after it ends, closed or not -- and the loop, which runs
while the selector watches anything, would never end.  Here the demo only
counts, after the tasks are done.

Prints:
    step 12: 0 sockets still watched after the tasks ended
    without the release: 2 sockets still watched after the tasks ended
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import socket

import step12
from step12 import gather, pinger, ponger


class Forgetful(step12.Kernel):
    def exit(self, task, result, error=None):
        step12.step11.Kernel.exit(self, task, result, error)    # the release skipped

    def run(self, main):
        """Only until main is done: the selector would keep the loop going."""
        main = self.spawn(main)
        while not main.done:
            for _ in range(len(self.ready)):
                task = self.ready.popleft()
                while self.step(task):
                    pass
            self.wait_for_io()
            self.fire_timers()


def watched_after(kernel_class):
    kernel = kernel_class()
    left, right = socket.socketpair()
    left.setblocking(False)
    right.setblocking(False)
    kernel.run(gather(step12, pinger(step12, left, 3), ponger(step12, right, 3)))
    count = len(kernel.selector.get_map())
    kernel.selector.close()
    left.close()
    right.close()
    return count


if __name__ == "__main__":
    print("step 12: %d sockets still watched after the tasks ended" % watched_after(step12.Kernel))
    print("without the release: %d sockets still watched after the tasks ended"
          % watched_after(Forgetful))
