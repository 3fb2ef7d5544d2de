"""Step 9: cancellation -- Cancelled, raised where the task waits.

What this step adds
    ``yield cancel(task)`` stops another task.  It is the last step's
    mechanism once more: the kernel throws ``Cancelled`` into ``task`` at
    the ``yield`` where it is parked (``interrupt``).  First it takes the
    task off whatever it waits on (``unpark``: the timer heap, the
    selector, a join), so that nothing wakes it a second time.  The task's
    ``finally`` and ``with`` blocks run as the exception unwinds, and the
    canceller waits until the task has ended.

    ``Cancelled`` derives from ``BaseException``, not ``Exception``, so a
    task's ``except Exception:`` does not swallow it by mistake.

Why
    A server must be able to stop a connection's task -- the client went
    away, the server shuts down, a timeout ran out -- and the task must
    still close its sockets.  Raising at the ``yield`` gives the task the
    chance to clean up with plain ``try``/``finally``.

In trampoline/
    ``trampoline.kernel.Kernel._trap_cancel`` and
    ``trampoline.kernel.Kernel._cancel`` deliver the exception;
    ``trampoline.kernel.Kernel._unpark`` finds how to unpark in the table
    ``trampoline.kernel.Kernel._unparkers`` (a timer is marked dead rather
    than cut out of the heap: ``trampoline.timers.Timers._unpark_sleeper``).
    The error is ``trampoline.errors.Cancelled``.  The real kernel does
    more: what a task cancelled before it runs was woken with is not lost
    -- a lock handed over goes on to the next waiter (step 15); a task
    that must keep its wake-up (a ``trampoline.sync.Barrier``'s round)
    gets the ``Cancelled`` at its next blocking trap instead, from
    ``trampoline.task.Task._pending`` -- and when ``run`` ends it cancels
    every task still alive (``trampoline.lifetime.Lifetime._shutdown``).

Run it: python3 docs/steps/step9.py   (it builds on step8.py)
"""

import heapq
import socket

import step8
from step8 import PARKED, TaskError, Trap, accept, current, join, read, sleep, spawn, write  # noqa: F401


# === Errors ===

class Cancelled(BaseException):
    """Raised inside a task, at its yield, to stop it.  Not an Exception,
    so a task's "except Exception:" does not swallow it by mistake."""


# === Traps ===

class cancel(Trap):
    """yield cancel(task): raise Cancelled in task, wait until it has ended."""

    def __init__(self, task):
        self.task = task


# === The kernel ===

class Kernel(step8.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[cancel] = self.trap_cancel    # NEW

    def trap_cancel(self, task, trap):
        target = trap.task
        if target.done:
            return None
        if target is task:
            raise Cancelled()               # cancelling yourself: at once
        self.interrupt(target, Cancelled())
        target.joiners.append(task)         # wait until it has finished cleaning up
        return self.park(task, trap)

    def interrupt(self, target, error):
        """Raise ``error`` in ``target`` at its yield, wherever it is."""
        if target.waiting is not None:      # parked: unpark it, wake it with the error
            self.unpark(target)
            self.resume(target, error=error)
        else:                               # on the ready queue already:
            target.trap = None              # drop a woken I/O trap, never run it
            target.error = error            # and throw instead of sending

    def unpark(self, task):
        """Take a parked task off whatever it waits on."""
        trap = task.waiting
        if isinstance(trap, sleep):         # rebuild the heap without it (simple, O(n))
            self.sleeping = [entry for entry in self.sleeping if entry[2] is not task]
            heapq.heapify(self.sleeping)
        elif isinstance(trap, (join, cancel)):
            trap.task.joiners.remove(task)
        else:                               # accept, read, write: the selector
            self.selector.unregister(trap.sock)

    def exit(self, task, result, error=None):
        """``task`` has ended.  NEW: its cancellers only waited for the end:
        they are woken with None, whatever the outcome."""
        cancellers = [t for t in task.joiners if isinstance(t.waiting, cancel)]
        task.joiners = [t for t in task.joiners if t not in cancellers]
        super().exit(task, result, error)   # wakes the joiners, as before
        for canceller in cancellers:
            self.resume(canceller)


# === Demo ===

def worker():
    try:
        print("worker: sleeping for an hour")
        yield sleep(3600)
        print("worker: this line never runs")
    finally:
        print("worker: cleaning up in finally")


def reader(sock):
    try:
        print("reader: waiting for data that never comes")
        yield read(sock, 100)
    except Exception:
        print("reader: this line never runs: Cancelled is no Exception")
    finally:
        sock.close()
        print("reader: closed its socket")


def main():
    task = yield spawn(worker())
    yield sleep(0.01)
    yield cancel(task)
    print("main: the worker ended with", repr(task.exception))
    try:
        yield join(task)
    except TaskError as error:
        print("main: join() raised TaskError: %s, caused by %r" % (error, error.__cause__))

    sock, other = socket.socketpair()
    sock.setblocking(False)
    task = yield spawn(reader(sock))
    yield sleep(0.01)
    yield cancel(task)              # unpark: the socket leaves the selector first
    print("main: the reader ended; the selector watches %d sockets" % len(kernel.selector.get_map()))
    other.close()


if __name__ == "__main__":
    kernel = Kernel()
    kernel.run(main())
