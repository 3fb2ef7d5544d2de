"""WaitQueue: tasks parked until something wakes them.

The one primitive that events, locks, queues, futures and thread hand-offs
are built from.  A task parks with ``value = yield park(wait_queue)``; plain
code wakes the first ``n`` with ``wait_queue.wake(n, value)``.  It belongs
to the kernel's core (``kernel.py`` imports it and knows its two private
methods, ``_pass_on`` and ``_remove``), and it touches the kernel only to
put a woken task on the ready queue, to count waits another thread may
end, and to refuse a wake-up from another thread while the kernel runs
(``hostloop.running`` says which kernel runs in this thread).

This module must never import anything above the kernel, or block.
"""

import threading
from collections import deque
from typing import Any, Callable, Deque, Optional

from .hostloop import running
from .task import Task

__all__ = ["WaitQueue"]

_FOREIGN_WAKE = (
    "a task waiting on an Event, Lock, Queue, Semaphore or Condition (a WaitQueue) was "
    "woken from thread %r, while its kernel runs in another: it would have waited until "
    "something else woke the kernel.  From another thread, go through the kernel: "
    "kernel.call_threadsafe(event.set), a trampoline Future (set_result works from any "
    "thread) or a UniversalQueue")


class WaitQueue:
    """Tasks parked until something wakes them: the one primitive that
    events, locks, queues and futures are built from.

    A task parks with ``value = yield park(wait_queue)``; plain code (not a
    generator: ``Event.set`` is a plain method) wakes the first ``n`` with
    ``wait_queue.wake(n, value)``, which returns how many it woke.  FIFO.

    Cancellation never loses a wake-up.  A task cancelled while parked is
    taken off the queue.  A task woken and then cancelled before it runs
    gets the cancellation at once, and its wake-up -- with its value: an
    item, a lock slot -- passes to the next task parked here; if none is,
    ``on_unclaimed(value)`` gets it back (a semaphore takes its slot back).
    With ``keep=True`` the woken task keeps what it was given instead, and
    the cancellation waits for its next blocking trap.  With
    ``broadcast=True`` -- for a wake-up that goes to every task parked at
    the time, as ``Event.set`` does -- it is not passed on (to
    ``on_unclaimed`` only): every task parked then was woken too, so it
    could only wake, for nothing, a task that came later.

    With ``threadsafe=True`` another thread may wake it, with
    ``wake_threadsafe``; the kernel then knows a thread may still come, so
    a kernel whose tasks all wait on such a queue is not in deadlock.  A
    plain ``wake`` from another thread while the kernel runs raises
    ``RuntimeError``: it would not wake the kernel.
    """

    __slots__ = ("_waiters", "_kernel", "threadsafe", "keep", "on_unclaimed", "broadcast")

    def __init__(self, threadsafe: bool = False, keep: bool = False,
                 on_unclaimed: Optional[Callable[[Any], None]] = None,
                 broadcast: bool = False) -> None:
        self._waiters = deque()     # type: Deque[Task]
        self._kernel = None         # type: Any  # set by the first park
        self.threadsafe = threadsafe
        self.keep = keep
        self.on_unclaimed = on_unclaimed
        self.broadcast = broadcast

    def __len__(self) -> int:
        return len(self._waiters)

    def __repr__(self) -> str:
        return "<WaitQueue waiting=%d>" % len(self._waiters)

    def wake(self, n: int = 1, value: Any = True) -> int:
        """Make the first ``n`` parked tasks ready; ``park`` returns ``value``
        in each.  Returns how many were woken.  From the kernel's thread
        only: from another thread while the kernel runs, ``RuntimeError``
        (the task woken would wait until something else woke the kernel;
        use ``wake_threadsafe``)."""
        waiters = self._waiters
        if not waiters:
            return 0
        kernel = self._kernel
        if kernel._running and getattr(running, "kernel", None) is not kernel:
            raise RuntimeError(_FOREIGN_WAKE % threading.current_thread().name)
        woken = 0
        while waiters and woken < n:
            task = waiters.popleft()
            task._waiting = None
            task._value = value
            task._woken = self
            self._kernel._ready.append(task)
            woken += 1
        if woken:
            if self.threadsafe:
                kernel._foreign_waits -= woken
            if not kernel._running:     # woken between a host loop's rounds:
                kernel._nudge()         # fileno() says so (hostloop.py)
        return woken

    def check_thread(self) -> None:
        """Raise the ``RuntimeError`` ``wake`` would raise here, if any: a
        task is parked and its kernel runs in another thread.  For code that
        changes its object before it wakes (``Queue.shutdown``): called
        first, a wake-up refused leaves the object as it was."""
        if self._waiters:
            kernel = self._kernel
            if kernel._running and getattr(running, "kernel", None) is not kernel:
                raise RuntimeError(_FOREIGN_WAKE % threading.current_thread().name)

    def wake_all(self, value: Any = True) -> int:
        """Make every parked task ready (``wake(len(self), value)``)."""
        return self.wake(len(self._waiters), value)

    def wake_threadsafe(self, n: int = 1, value: Any = True) -> None:
        """``wake`` from another thread: done by the kernel, soon (if it is
        closed, nobody waits: nothing to do)."""
        kernel = self._kernel
        if kernel is not None:
            try:
                kernel.call_threadsafe(self.wake, n, value)
            except RuntimeError:        # closed
                pass

    def _pass_on(self, value):
        """A woken task was cancelled before it ran: its wake-up goes on
        (unless it was a broadcast)."""
        if (self.broadcast or not self.wake(1, value)) and self.on_unclaimed is not None:
            self.on_unclaimed(value)

    def _remove(self, task):
        self._waiters.remove(task)
        if self.threadsafe:
            self._kernel._foreign_waits -= 1
