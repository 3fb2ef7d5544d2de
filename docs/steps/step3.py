"""Step 3: sleeping, and a heap of timers.

What this step adds
    A trap whose handler cannot answer at once: ``yield sleep(seconds)``.
    The handler *parks* the task -- it returns ``PARKED`` instead of a
    result, so the task is not put back on the ready queue -- and files it
    in a heap ordered by wake-up time.  The loop now goes in *turns*:

    1. run every task that is ready now, once each;
    2. if none is ready, sleep until the earliest timer is due;
    3. wake every task whose time has come: back on the ready queue.

Why
    A parked task costs nothing: the kernel never looks at it until its
    time comes.  A heap keeps the earliest deadline at ``sleeping[0]``, so
    "when must I wake up next?" is one look, and adding or removing a
    timer is O(log n) however many tasks sleep.

In trampoline/
    ``trampoline.timers.Timers._trap_sleep`` pushes onto the heap
    ``trampoline.kernel.Kernel._timers``, and
    ``trampoline.timers.Timers._fire_timers`` pops it: part 3 of the loop
    in ``trampoline.kernel.Kernel._run_until`` ("Fire due timers").
    ``PARKED`` is ``trampoline.traps.PARKED``, and ``Task.waiting`` is
    ``trampoline.task.Task._waiting``.  (There ``sleep(0)`` skips the heap
    and goes straight to the back of the ready queue.)

Run it: python3 docs/steps/step3.py
"""

import heapq
import itertools
import time
from collections import deque

PARKED = object()       # NEW: a handler returns this when the task must wait


# === Tasks ===

class Task:
    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro
        self.value = None
        self.waiting = None             # NEW: the trap it is parked on, if any


# === Traps ===

class Trap:
    """Base of every trap: a request a task yields to the kernel."""


class current(Trap):
    """me = yield current(): the task that is running."""


class spawn(Trap):
    """task = yield spawn(coro): start coro as a new task."""

    def __init__(self, coro):
        self.coro = coro


class sleep(Trap):
    """yield sleep(seconds): wait that long."""

    def __init__(self, seconds):
        self.seconds = seconds


# === The kernel ===

class Kernel:
    def __init__(self):
        self.ready = deque()
        self.sleeping = []              # NEW: heap of (wake-up time, sequence, task)
        self.sequence = itertools.count()   # breaks ties: tasks cannot be compared
        self.next_id = 1
        self.handlers = {
            current: self.trap_current,
            spawn: self.trap_spawn,
            sleep: self.trap_sleep,
        }

    def spawn(self, coro):
        task = Task(coro, self.next_id)
        self.next_id += 1
        self.ready.append(task)
        return task

    def run(self, main):
        """Run ``main`` -- and every task it spawns -- until all are done."""
        self.spawn(main)
        while self.ready or self.sleeping:      # NEW: in turns, sleepers too
            # 1. Every task ready now runs once.  Tasks that become ready
            #    meanwhile wait for the next turn.
            for _ in range(len(self.ready)):
                task = self.ready.popleft()
                if self.step(task):
                    self.ready.append(task)
            # 2. Nothing to run?  Then nothing can happen before the first timer.
            if not self.ready and self.sleeping:
                time.sleep(max(0, self.sleeping[0][0] - time.monotonic()))
            # 3. Wake the tasks whose time has come.
            now = time.monotonic()
            while self.sleeping and self.sleeping[0][0] <= now:
                _, _, task = heapq.heappop(self.sleeping)
                self.resume(task, None)

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True: it may run
        again; False: it parked, or it ended."""
        try:
            trap = task.coro.send(task.value)
        except StopIteration:
            return False
        handler = self.handlers[type(trap)]
        result = handler(task, trap)
        if result is PARKED:                # NEW: it waits; whoever wakes it requeues it
            return False
        task.value = result
        return True

    def park(self, task, trap):
        """Note what ``task`` waits on, and tell the loop not to requeue it."""
        task.waiting = trap
        return PARKED

    def resume(self, task, value):
        """Wake a parked task: on its next turn ``value`` comes out of its yield."""
        task.waiting = None
        task.value = value
        self.ready.append(task)

    # --- the handlers: each returns the trap's result, or PARKED

    def trap_current(self, task, trap):
        return task

    def trap_spawn(self, task, trap):
        return self.spawn(trap.coro)

    def trap_sleep(self, task, trap):
        wake_at = time.monotonic() + trap.seconds
        heapq.heappush(self.sleeping, (wake_at, next(self.sequence), task))
        return self.park(task, trap)


# === Demo ===

def alarm(name, seconds):
    started = time.monotonic()
    yield sleep(seconds)
    # What happened, not what was asked: a task that blocks the loop (with
    # time.sleep, say) would make every alarm ring late, and this shows it.
    print("%s asked for %.2f s, woke up after %.2f s" % (name, seconds, time.monotonic() - started))


def main():
    # Spawned slowest first: they wake in order of time, not of spawning.
    for name, seconds in [("slow", 0.06), ("fast", 0.02), ("medium", 0.04)]:
        yield spawn(alarm(name, seconds))
    print("main: three alarms set, main is done")


if __name__ == "__main__":
    Kernel().run(main())
