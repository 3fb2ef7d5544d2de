"""Step 14: timeouts -- alarms that raise where the task waits.

What this step adds
    ``alarm = yield set_alarm(seconds)`` sets an alarm on the running
    task: if it is still set ``seconds`` from now, the kernel raises
    ``TaskTimeout`` in the task, at whatever ``yield`` it waits -- a read,
    a sleep, a join.  ``yield clear_alarm(alarm)`` takes it back.  The
    alarm lives in the same heap as the sleepers, so the loop's "how long
    may I wait?" sees it too; when it goes off, the kernel does what
    ``cancel`` does (``interrupt``: unpark, throw) with another error.
    A cleared alarm stays in the heap, marked, and is skipped when its
    time comes: cheaper than cutting it out.

    A timeout around any call is then three lines of an ordinary
    subroutine, ``timeout_after(seconds, coro)``: set, call, clear.

Why
    Every network program needs "give up after N seconds", around a whole
    operation, not just one read.  Because the error is raised at the
    ``yield``, the code inside needs no timeout logic of its own, and its
    ``finally`` blocks run.

In trampoline/
    The traps ``trampoline.traps.set_alarm`` and
    ``trampoline.traps.clear_alarm``, handled by
    ``trampoline.timers.Timers._trap_set_alarm`` and
    ``trampoline.timers.Timers._trap_clear_alarm``; alarms go off in
    ``trampoline.timers.Timers._fire_timers``.  ``trampoline.timeouts``
    builds ``timeout_after`` and ``ignore_after`` on them, and raises
    ``trampoline.timeouts.TaskTimeout``.

Run it: python3 docs/steps/step14.py   (it builds on step13.py)
"""

import heapq
import socket
import time

import step13
from step13 import (PARKED, Cancelled, TaskError, Trap, accept, cancel, current,  # noqa: F401
                    join, read, sleep, spawn, write)


# === Errors ===

class TaskTimeout(Exception):
    """Raised in a task whose alarm went off."""


# === Traps ===

class set_alarm(Trap):
    """alarm = yield set_alarm(seconds): TaskTimeout in this task, in
    seconds' time, wherever it waits then -- unless cleared first."""

    def __init__(self, seconds):
        self.seconds = seconds


class clear_alarm(Trap):
    """yield clear_alarm(alarm): the alarm will not go off."""

    def __init__(self, alarm):
        self.alarm = alarm


class Alarm:
    """An alarm set on ``task``: what set_alarm returns."""

    def __init__(self, task, seconds):
        self.task = task
        self.error = TaskTimeout("timed out after %s s" % seconds)
        self.cleared = False


# === The kernel ===

class Kernel(step13.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[set_alarm] = self.trap_set_alarm      # NEW
        self.handlers[clear_alarm] = self.trap_clear_alarm  # NEW

    def trap_set_alarm(self, task, trap):
        alarm = Alarm(task, trap.seconds)
        wake_at = time.monotonic() + trap.seconds
        heapq.heappush(self.sleeping, (wake_at, next(self.sequence), alarm))
        return alarm                        # the task runs on

    def trap_clear_alarm(self, task, trap):
        trap.alarm.cleared = True           # it stays in the heap, and is skipped

    def fire_timers(self):
        """Wake the sleepers whose time has come.  NEW: and ring the alarms."""
        now = time.monotonic()
        while self.sleeping and self.sleeping[0][0] <= now:
            _, _, what = heapq.heappop(self.sleeping)
            if not isinstance(what, Alarm):
                self.resume(what, None)     # a sleeper, as before
            elif not what.cleared and not what.task.done:
                self.interrupt(what.task, what.error)   # NEW: as cancel does


def timeout_after(seconds, coro):
    """``result = yield timeout_after(seconds, coro)``: call ``coro``; raise
    TaskTimeout in it if it takes longer than ``seconds``."""
    alarm = yield set_alarm(seconds)
    try:
        return (yield coro)
    finally:
        yield clear_alarm(alarm)            # done (or failed) in time: no alarm


# === Demo ===

def read_reply(sock):
    try:
        return (yield read(sock, 100))
    finally:
        print("read_reply: finally runs, as for a cancel")


def answer(seconds):
    yield sleep(seconds)
    return 42


def main():
    sock, other = socket.socketpair()
    sock.setblocking(False)
    print("main: waiting 0.05 s for a reply that never comes")
    started = time.monotonic()
    try:
        yield timeout_after(0.05, read_reply(sock))
    except TaskTimeout as error:
        print("main: %r, after %.2f s" % (error, time.monotonic() - started))
    sock.close()
    other.close()
    result = yield timeout_after(0.05, answer(0.01))
    print("main: answer() returned %d in time; its alarm is cleared" % result)
    yield sleep(0.1)
    print("main: slept past the cleared alarm, and nothing went off")


if __name__ == "__main__":
    Kernel().run(main())
