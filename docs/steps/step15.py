"""Step 15: wait queues -- locks and queues without lost wake-ups.

What this step adds
    One primitive for every kind of "wait until another task says so":
    a ``WaitQueue``.  ``value = yield park(wait_queue)`` parks the task on
    it; plain code -- not a trap: ``release()`` never waits -- calls
    ``wait_queue.wake(n, value)`` to make the first ``n`` ready, each
    getting ``value`` out of its ``yield``.  A ``Lock`` is a flag and a
    wait queue, and ``release`` *hands* the lock to the first waiter
    instead of unlocking, so a task that comes later cannot take it
    first.

    The subtle part is cancellation.  A task cancelled while parked is
    taken off the queue (``unpark``).  But a task can be woken -- handed
    the lock -- and cancelled *before it runs*.  If the kernel simply threw
    ``Cancelled`` in, the lock would die with it, held by nobody, and every
    other waiter would wait for ever: a lost wake-up.  So the kernel
    remembers who woke a task (``woken_by``) until it runs, and a task
    interrupted in between passes its wake-up on to the next waiter
    (``pass_on``) -- or, if nobody waits, gives it back (the lock unlocks).

Why
    Events, locks, semaphores, conditions, queues and futures are all
    "some state, and a queue of tasks waiting for it to change".  With
    one primitive that never loses a wake-up, each of them is a few lines
    that never touch the kernel's insides.

In trampoline/
    ``trampoline.waitqueue.WaitQueue`` and the trap ``trampoline.traps.park``
    (``trampoline.kernel.Kernel._trap_park``).  A woken task's
    ``trampoline.task.Task._woken`` is what ``woken_by`` is here, and
    ``trampoline.waitqueue.WaitQueue._pass_on`` passes a wake-up on.  The
    primitives are in ``trampoline/sync.py``: ``trampoline.sync.Lock``,
    ``trampoline.sync.Event``, ``trampoline.sync.Queue`` ...

Run it: python3 docs/steps/step15.py   (it builds on step14.py)
"""

from collections import deque

import step14
from step14 import (PARKED, Cancelled, TaskError, TaskTimeout, Trap, accept, cancel,  # noqa: F401
                    clear_alarm, current, join, read, set_alarm, sleep, spawn,
                    timeout_after, write)


# === Wait queues ===

class WaitQueue:
    """Tasks parked until plain code wakes them, first come first served."""

    def __init__(self, on_unclaimed=None):
        self.waiters = deque()
        self.kernel = None              # set by the first park
        self.on_unclaimed = on_unclaimed  # who takes back a wake-up nobody claims

    def wake(self, n=1, value=True):
        """Make the first ``n`` waiters ready; returns how many it woke."""
        woken = 0
        while self.waiters and woken < n:
            task = self.waiters.popleft()
            self.kernel.resume(task, value)
            task.woken_by = self        # until it runs: see Kernel.interrupt
            woken += 1
        return woken

    def pass_on(self, value):
        """A woken task was interrupted before it ran: its wake-up goes on."""
        if not self.wake(1, value) and self.on_unclaimed is not None:
            self.on_unclaimed(value)


class park(Trap):
    """value = yield park(wait_queue): wait until wait_queue.wake() picks you."""

    def __init__(self, queue):
        self.queue = queue


# === The kernel ===

class Kernel(step14.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[park] = self.trap_park            # NEW

    def trap_park(self, task, trap):
        trap.queue.kernel = self
        trap.queue.waiters.append(task)
        return self.park(task, trap)

    def step(self, task):
        task.woken_by = None            # NEW: it runs: its wake-up is claimed
        return super().step(task)

    def unpark(self, task):
        if isinstance(task.waiting, park):
            task.waiting.queue.waiters.remove(task)     # NEW: off the wait queue
        else:
            super().unpark(task)

    def interrupt(self, target, error):
        queue = getattr(target, "woken_by", None)
        if target.waiting is None and queue is not None:
            target.woken_by = None      # NEW: woken, but it will never see it:
            queue.pass_on(target.value)  # the next waiter gets the wake-up
        super().interrupt(target, error)


# === A lock, from a wait queue ===

class Lock:
    def __init__(self):
        self.locked = False
        self.waiting = WaitQueue(on_unclaimed=self.unclaimed)

    def acquire(self):
        """``yield lock.acquire()``: wait until this task holds the lock."""
        if self.locked:
            yield park(self.waiting)    # release() hands it to us: it stays locked
        else:
            self.locked = True

    def release(self):
        """Hand the lock to the first waiter, or unlock it.  Never waits."""
        if not self.waiting.wake(1):
            self.locked = False

    def unclaimed(self, value):
        self.locked = False             # handed to a task that was cancelled


# === Demo ===

def user(name, lock):
    print("%s: waiting for the lock" % name)
    try:
        yield lock.acquire()
    except Cancelled:
        print("%s: cancelled before it ran; its wake-up goes on" % name)
        raise
    print("%s: has the lock" % name)
    lock.release()


def main():
    lock = Lock()
    yield lock.acquire()
    print("main: has the lock")
    b = yield spawn(user("b", lock))
    c = yield spawn(user("c", lock))
    yield sleep(0.01)                   # b and c park, in that order
    lock.release()                      # handed to b: b is ready, not yet run
    print("main: released it to b, and cancels b before b runs")
    yield cancel(b)
    yield join(c)                       # without pass_on, this would wait for ever
    print("main: c had the lock; locked now: %s" % lock.locked)


if __name__ == "__main__":
    Kernel().run(main())
