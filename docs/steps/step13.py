"""Step 13: ``await`` -- async def on the same kernel.

What this step adds
    ``async def`` functions run on this kernel beside generators, with no
    new machinery in the loop: the one idea is that an ``await`` hands the
    kernel what a ``yield`` hands it.  Seen from each side:

    1. *Every trap is awaitable.*  ``await x`` calls ``x.__await__()``,
       which must return an iterator, and runs it as ``yield from`` would:
       whatever it yields goes straight out to whoever resumes the
       coroutine -- the kernel.  So a trap's ``__await__`` is a generator
       that yields the trap itself and returns what the kernel sends back::

           def __await__(self):
               return (yield self)

       ``await sleep(1)`` in an ``async def`` hands the kernel exactly what
       ``yield sleep(1)`` hands it in a generator.
    2. *A coroutine is called like a generator.*  An ``async def``
       function makes a coroutine object, which has ``send`` and ``throw``
       like a generator.  The kernel puts ``types.CoroutineType`` in its
       table beside ``types.GeneratorType``: a generator task can ``yield``
       a coroutine to call it, and a coroutine can be a task.

Why
    Most Python code that waits is written with ``async``/``await`` now.
    The kernel sees traps either way, so both kinds of code share one
    kernel, one scheduler, one set of tools.

In trampoline/
    ``trampoline.traps.Trap`` has the same ``__await__``.  The kernel's
    loop treats ``types.CoroutineType`` like ``types.GeneratorType`` (the
    "a subroutine call" lines of ``trampoline.kernel.Kernel._stepper``),
    and an awaitable object that is neither -- a ``trampoline.future.Future``,
    a ``trampoline.taskgroup.TaskGroup`` -- is awaited by running its
    ``__await__()`` as a subroutine (``trampoline.kernel.Kernel._trap_other``).

Run it: python3 docs/steps/step13.py   (it builds on step12.py)
"""

import types

import step7
import step12
from step12 import (PARKED, Cancelled, TaskError, Trap, accept, cancel, current,  # noqa: F401
                    join, read, sleep, spawn, write)


# === Traps: awaitable ===

def trap_await(self):
    """``await trap`` in an async def: yield the trap itself to the kernel,
    return what the kernel sends back."""
    return (yield self)


Trap.__await__ = trap_await             # NEW: every trap class is awaitable now


# === The kernel ===

class Kernel(step12.Kernel):
    def __init__(self):
        super().__init__()
        self.handlers[types.CoroutineType] = self.trap_call   # NEW: call an async def too


# === Demo ===

async def fetch(name, seconds):
    me = await current()                # a trap, awaited
    await sleep(seconds)
    return "%s fetched by task %d" % (name, me.id)


def old_style(name):
    text = yield fetch(name, 0.01)      # a generator calls an async def: yield it
    return text.upper()


def by_hand():
    """Drive a coroutine the way the kernel does, and show what comes out."""
    coro = fetch("plums", 0.5)
    trap = coro.send(None)              # runs it up to its first await
    print("by hand: send(None) gives a %s trap" % type(trap).__name__)
    trap = coro.send(step7.Task(None, 7))       # what current() would answer
    print("by hand: send(task 7) gives a %s trap, seconds=%s" % (type(trap).__name__, trap.seconds))
    try:
        coro.send(None)                 # the sleep is over
    except StopIteration as stop:
        print("by hand: send(None) raises StopIteration(%r)" % stop.value)


async def main():
    task = await spawn(fetch("pears", 0.02))
    print("main:", await join(task))
    print("main:", await spawn_and_join(old_style("apples")))


async def spawn_and_join(coro):
    task = await spawn(coro)
    return await join(task)


if __name__ == "__main__":
    by_hand()
    Kernel().run(main())
