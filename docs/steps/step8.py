"""Step 8: exceptions -- errors raised at the yield.

What this step adds
    A generator can be resumed two ways: ``send(value)`` makes its paused
    ``yield`` return ``value``; ``throw(error)`` makes it *raise* ``error``
    right there.  The kernel now uses both (``Task.error``), so every error
    lands in the task that caused it, as if the ``yield`` were a call:

    * a failed trap (``recv`` on a closed socket, a bad yield such as
      ``yield 42``) raises at the ``yield`` that made it;
    * an exception escaping a subroutine pops its frame and is raised in
      the caller, at the ``yield`` that called it -- the trampoline now
      carries errors up the task's stack as it carries return values;
    * an exception escaping the task itself ends the task; ``join`` raises
      ``TaskError`` (its ``__cause__`` the task's error).

    From this step on, a step no longer copies the kernel: it imports the
    step before (``import step7``) and adds its one idea to it, in a
    subclass.  The file is the difference.

Why
    A kernel that swallowed errors, or crashed on them, would be useless:
    one bad connection must not take down the others.  Raising at the
    ``yield`` makes async code handle errors exactly like ordinary code:
    ``try``, ``except``, ``finally``, ``with``.

In trampoline/
    The ``step`` that ``trampoline.kernel.Kernel._stepper`` makes: its
    ``throw``, and its two ``except BaseException`` blocks.  The first
    carries an error out of a generator to its caller, or ends the task
    with it (``trampoline.kernel.Kernel._exit``); the second throws a
    handler's error into the task at its ``yield``.  (The ``except
    BaseException`` in ``trampoline.kernel.Kernel._run_until`` is not for
    task errors: it lets Ctrl-C, or a fault in the kernel, out of the
    loop.)  ``trampoline.kernel.Kernel._trap_other`` turns a bad yield into
    a ``TypeError`` that names the task, the value and the line; the error
    ``join`` raises is ``trampoline.errors.TaskError``.  The real kernel
    also logs a crash nobody joined
    (``trampoline.task.Task._crashed_unseen``).

Run it: python3 docs/steps/step8.py   (it builds on step7.py, next to it)
"""

import errno
import socket

import step7                            # docs/steps/step7.py: the kernel so far
from step7 import PARKED, Trap, accept, current, join, read, sleep, spawn, write  # noqa: F401


# === Errors ===

class TaskError(Exception):
    """join() raises this when the task failed; __cause__ says why."""


# === Tasks ===

class Task(step7.Task):
    def __init__(self, coro, task_id):
        super().__init__(coro, task_id)
        self.error = None               # NEW: an exception to throw in instead of a value
        self.exception = None           # NEW: the exception it ended with, if it failed


# === The kernel ===

class Kernel(step7.Kernel):
    def spawn(self, coro):
        task = Task(coro, self.next_id) # this step's Task
        self.next_id += 1
        self.ready.append(task)
        return task

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True: it may run
        again; False: it parked, or it ended."""
        trap = task.trap                    # a woken I/O trap goes first
        task.trap = None
        if trap is None:
            try:
                if task.error is None:
                    trap = task.coro.send(task.value)
                else:                       # NEW: raise the error at its yield
                    error, task.error = task.error, None
                    trap = task.coro.throw(error)
            except StopIteration as stop:
                return self.returned(task, stop.value, None)
            except (KeyboardInterrupt, SystemExit):
                raise                       # Ctrl-C and exit() stop the whole kernel
            except BaseException as error:  # NEW: it raised
                return self.returned(task, None, error)
        # NEW: a value that is no trap gets an error too (trap_bad_yield)
        handler = self.handlers.get(type(trap), self.trap_bad_yield)
        try:
            result = handler(task, trap)
        except Exception as error:          # NEW: the trap failed: the task gets the error
            task.error = error
            return True
        if result is PARKED:
            return False
        task.value = result
        return True

    def returned(self, task, value, error):
        """The running generator returned ``value`` or raised ``error``."""
        if task.stack:                      # a subroutine: its caller goes on,
            task.coro = task.stack.pop()
            task.value = value              # and gets the value --
            task.error = error              # or the error, raised at its yield
            return True
        self.exit(task, value, error)
        return False

    def exit(self, task, result, error=None):
        """``task`` has ended: keep the outcome, wake whoever joins it --
        with the result, or with a TaskError."""
        task.done = True
        task.result = result
        task.exception = error
        for joiner in task.joiners:
            if error is None:
                self.resume(joiner, result)
            else:
                self.resume(joiner, error=failed(task))
        task.joiners = []

    def resume(self, task, value=None, error=None):
        """Wake a parked task: on its next turn ``value`` comes out of its
        yield -- or ``error`` is raised there."""
        task.waiting = None
        task.value = value
        task.error = error                  # NEW: wake it with an error instead
        self.ready.append(task)

    # --- the handlers

    def trap_join(self, task, trap):
        target = trap.task
        if target.done:                     # already finished: answer at once
            if target.exception is not None:
                raise failed(target)        # NEW: thrown into the joiner
            return target.result
        target.joiners.append(task)         # exit() will wake this task
        return self.park(task, trap)

    def trap_bad_yield(self, task, value):
        raise TypeError("task %d yielded %r, which is not a trap" % (task.id, value))


def failed(task):
    """The error join raises for a task that ended with an exception."""
    error = TaskError("task %d failed" % task.id)
    error.__cause__ = task.exception        # shown as "the direct cause" in a traceback
    return error


# === Demo ===

def parse(text):
    yield sleep(0)
    return int(text)                    # raises ValueError for "forty-two"


def divide(a, b):
    yield sleep(0.01)
    return a / b


def main():
    # 1. An error in a subroutine comes out of the yield that called it.
    try:
        yield parse("forty-two")
    except ValueError as error:
        print("main: parse() raised", repr(error))

    # 2. A failed trap raises at the yield that made it.
    sock, other = socket.socketpair()
    sock.close()
    try:
        yield read(sock, 100)
    except OSError as error:
        print("main: read() on a closed socket raised", errno.errorcode[error.errno])
    other.close()
    try:
        yield 42
    except TypeError as error:
        print("main: yield 42 raised TypeError:", error)

    # 3. An error that ends a task reaches whoever joins it.
    task = yield spawn(divide(1, 0))
    try:
        yield join(task)
    except TaskError as error:
        print("main: join() raised TaskError: %s, caused by %r" % (error, error.__cause__))


if __name__ == "__main__":
    Kernel().run(main())
