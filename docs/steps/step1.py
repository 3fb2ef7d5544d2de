"""Step 1: generators as tasks, and a round-robin loop.

What this step adds
    A task is a generator.  Calling a generator function runs none of its
    body: it makes a generator object.  Each ``send(None)`` runs the body up
    to its next ``yield`` and stops there, every local variable kept.  So a
    loop that holds many generators and resumes them in turn runs many tasks
    at once, in one thread.  That loop is the kernel.

Why
    ``yield`` is the only place a task lets go; between two yields it runs
    alone and nothing can interrupt it.  That is cooperative multitasking,
    and everything later in this tutorial grows out of this one loop.

In trampoline/
    ``trampoline.task.Task`` wraps the generator (``trampoline.task.Task._coro``).
    ``trampoline.kernel.Kernel._spawn`` puts a new task on the ready queue
    (``trampoline.kernel.Kernel._ready``).  The loop is
    ``trampoline.kernel.Kernel._run_until`` ("Run the tasks ready now"):
    its part 1 is this step.  It runs each task with the ``step`` that
    ``trampoline.kernel.Kernel._stepper`` makes.

Run it: python3 docs/steps/step1.py
"""

from collections import deque


# === Tasks ===

class Task:
    """One generator, and a number to tell it apart."""

    def __init__(self, coro, task_id):
        self.id = task_id
        self.coro = coro                # the generator; the kernel resumes it


# === The kernel ===

class Kernel:
    def __init__(self):
        self.ready = deque()            # tasks waiting for their turn, oldest first
        self.next_id = 1

    def spawn(self, coro):
        """Make ``coro`` a task and queue it.  Nothing runs yet."""
        task = Task(coro, self.next_id)
        self.next_id += 1
        self.ready.append(task)
        return task

    def run(self):
        """Give every ready task a turn, round and round, until none is left."""
        while self.ready:
            task = self.ready.popleft()
            if self.step(task):
                self.ready.append(task)     # not finished: back of the queue

    def step(self, task):
        """Run ``task`` up to its next ``yield``.  True if it may run again."""
        try:
            task.coro.send(None)            # runs the body until it yields
        except StopIteration:               # the body ended: the task is over
            return False
        return True


# === Demo ===

def countdown(name, n):
    while n > 0:
        print(name, n)
        yield                           # let the others run
        n -= 1
    print(name, "done")


if __name__ == "__main__":
    kernel = Kernel()
    kernel.spawn(countdown("apples", 3))
    kernel.spawn(countdown("pears", 2))
    kernel.run()
