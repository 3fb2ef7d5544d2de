"""Step 2: traps -- the system calls a task yields to the kernel.

What this step adds
    A task asks the kernel for something by yielding a *trap*: a small
    object that names the request and holds its arguments.  The kernel looks
    the trap's type up in a table of handlers and calls the handler; what
    the handler returns is sent back into the task, where it becomes the
    value of the ``yield`` expression::

        me = yield current()            # "which task am I?"
        child = yield spawn(work())     # "start this as a new task"

    (``yield`` is an expression: ``gen.send(x)`` resumes the generator and
    makes the paused ``yield`` evaluate to ``x``.)

Why
    A task cannot see the kernel, and should not: it would then depend on
    the kernel's insides.  Traps are the one narrow door between them, like
    system calls between a program and its operating system.  Adding a
    trap is adding a class and a handler; the loop does not change.

In trampoline/
    ``trampoline.traps.Trap`` is the base class; each trap there
    (``trampoline.traps.current``, ``trampoline.traps.spawn``, ...) checks
    its arguments and holds them, nothing more.  The table is
    ``trampoline.kernel.Kernel._handlers``; each handler is a method named
    after its trap: ``trampoline.kernel.Kernel._trap_current``,
    ``trampoline.kernel.Kernel._trap_spawn``.

Run it: python3 docs/steps/step2.py
"""

from collections import deque


# === Tasks ===

class Task:
    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro
        self.value = None               # NEW: what to send in when it next runs


# === Traps ===
# Lower-case names, like functions: in a task, "yield spawn(x)" reads like a call.

class Trap:
    """Base of every trap: a request a task yields to the kernel."""


class current(Trap):
    """me = yield current(): the task that is running."""


class spawn(Trap):
    """task = yield spawn(coro): start coro as a new task."""

    def __init__(self, coro):
        self.coro = coro


# === The kernel ===

class Kernel:
    def __init__(self):
        self.ready = deque()
        self.next_id = 1
        # NEW: one handler per trap type.  A new trap is one more line here.
        self.handlers = {
            current: self.trap_current,
            spawn: self.trap_spawn,
        }

    def spawn(self, coro):
        task = Task(coro, self.next_id)
        self.next_id += 1
        self.ready.append(task)
        return task

    def run(self, main):
        """Run ``main`` -- and every task it spawns -- until all are done."""
        self.spawn(main)                # NEW: the program is one main task
        while self.ready:
            task = self.ready.popleft()
            if self.step(task):
                self.ready.append(task)

    def step(self, task):
        """Resume ``task`` and perform the trap it yields.  True if it may run again."""
        try:
            trap = task.coro.send(task.value)   # NEW: the last trap's result goes in
        except StopIteration:
            return False
        handler = self.handlers[type(trap)]     # which system call is it?
        task.value = handler(task, trap)        # do it; the task gets this next time
        return True

    # --- the handlers: each gets the task and its trap, returns the result

    def trap_current(self, task, trap):
        return task

    def trap_spawn(self, task, trap):
        return self.spawn(trap.coro)


# === Demo ===

def child(word):
    me = yield current()
    print("task %d says %s" % (me.id, word))


def main():
    me = yield current()
    print("main is task", me.id)
    for word in ("hello", "world"):
        task = yield spawn(child(word))
        print("main spawned task", task.id)


if __name__ == "__main__":
    Kernel().run(main())
