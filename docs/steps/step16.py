"""Step 16: task groups -- children that end together.

What this step adds
    No kernel change at all: a ``TaskGroup`` is built from the traps and
    the wait queue of the steps before.  A group spawns children
    (``yield group.spawn(coro)``) and ``yield group.join()`` waits for all
    of them and returns their results, in order.  If one fails, the group
    cancels the others -- at once, not after they finish -- and ``join``
    raises that first error.  Each child runs inside a small wrapper
    (``run_child``) that notes how it ended and wakes the group's
    ``WaitQueue``; ``join`` parks on that queue until every child is done
    or one has failed.

Why
    Structured concurrency: a task that starts others also answers for
    them.  Nothing it spawned outlives the group, an error is never
    silently lost in a task nobody joins, and "do these three things at
    once; if one fails, stop the others" is one block of code.

In trampoline/
    ``trampoline.taskgroup.TaskGroup``, built the same way on traps and a
    wait queue, never touching the kernel; it adds an ``async with`` block,
    whose end waits for every child (and cancels them only if the block
    itself fails), ``next_done`` to take the children as they finish, and
    one ``trampoline.taskgroup.TaskGroupError`` carrying every failure.

Run it: python3 docs/steps/step16.py   (it builds on step15.py)
"""

import step15
from step15 import (Cancelled, TaskError, WaitQueue, cancel, join, park, sleep,  # noqa: F401
                    spawn)

Kernel = step15.Kernel                  # NEW: nothing -- the kernel is done


class TaskGroup:
    """Children that end together.  The first to fail cancels the rest."""

    def __init__(self):
        self.tasks = []
        self.running = 0
        self.error = None               # the first child's exception, if any
        self.changed = WaitQueue()      # woken whenever a child ends

    def spawn(self, coro):
        """``task = yield group.spawn(coro)``: start a child."""
        self.running += 1
        task = yield spawn(self.run_child(coro))
        self.tasks.append(task)
        return task

    def run_child(self, coro):
        try:
            return (yield coro)         # the child's own code, as a subroutine
        except Exception as error:
            if self.error is None:
                self.error = error      # the first failure is the group's error
            raise
        finally:
            self.running -= 1
            self.changed.wake(len(self.changed.waiters))

    def join(self):
        """``results = yield group.join()``: wait for every child; their
        results in order.  If one failed: cancel the rest, raise its error."""
        while self.running and self.error is None:
            yield park(self.changed)
        if self.error is not None:
            for task in self.tasks:
                yield cancel(task)      # (a child that is done is left alone)
            raise self.error
        results = []
        for task in self.tasks:
            results.append((yield join(task)))
        return results


# === Demo ===

def fetch(name, seconds, fail=False):
    try:
        yield sleep(seconds)
        if fail:
            raise ConnectionError("%s: connection refused" % name)
        print("%s: done" % name)
        return name
    except Cancelled:
        print("%s: cancelled, cleaning up" % name)
        raise


def main():
    group = TaskGroup()
    for name, seconds in [("a", 0.02), ("b", 0.01), ("c", 0.03)]:
        yield group.spawn(fetch(name, seconds))
    print("main: all done:", (yield group.join()))

    group = TaskGroup()
    yield group.spawn(fetch("slow", 3600))
    yield group.spawn(fetch("broken", 0.01, fail=True))
    yield group.spawn(fetch("slower", 7200))
    try:
        yield group.join()
    except ConnectionError as error:
        print("main: the group failed: %r" % error)


if __name__ == "__main__":
    Kernel().run(main())
