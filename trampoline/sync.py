"""Synchronisation between tasks: Event, Lock, Semaphore, Condition, Queue.

Every primitive here is a little state plus a ``WaitQueue`` from the kernel:
a task that must wait does ``yield park(wait_queue)``; whoever changes the
state calls ``wait_queue.wake(n)``.  Nothing here touches the kernel's
insides, and nothing blocks the thread.

Methods that can block (``wait``, ``acquire``, ``get``, ``put``...) are
generators marked with ``types.coroutine``, so they work both ways::

    yield event.wait()              # in a generator task
    await event.wait()              # in an async def

Waiters are served first come, first served: what a waiter waits for -- a
lock, a semaphore slot, an item, room in a queue -- is *handed* to it when it
is woken, so a task that comes later cannot take it first.  No wake-up is
lost: a waiter cancelled while parked is taken off the queue, and one
cancelled after it was handed something but before it ran passes it on to
the next waiter (the kernel's ``WaitQueue`` does that), or gives it back.

Holding a lock in generator code -- the release is guaranteed, the yield is
in plain sight::

    with (yield lock.acquire()):
        ...                         # released however this block ends

(``acquire`` returns the lock, whose ``with`` releases it.)  In ``async def``
code: ``async with lock: ...``.  The long form works everywhere::

    yield lock.acquire()
    try:
        ...
    finally:
        lock.release()
"""

import heapq
from collections import deque
from types import coroutine

from .errors import Cancelled, TrampolineError
from .kernel import WaitQueue
from .traps import park

__all__ = [
    "Event", "Lock", "Semaphore", "BoundedSemaphore", "Condition",
    "Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull",
]


class QueueEmpty(TrampolineError):
    """``get_nowait()`` on an empty queue."""


class QueueFull(TrampolineError):
    """``put_nowait()`` on a full queue."""


# ================================================================= Event

class Event:
    """A flag tasks can wait for.  ``set()`` wakes every waiter."""

    def __init__(self):
        self._flag = False
        self._waiting = WaitQueue()

    def is_set(self):
        return self._flag

    def set(self):
        """Set the flag and wake every task waiting for it."""
        self._flag = True
        self._waiting.wake_all()

    def clear(self):
        self._flag = False

    @coroutine
    def wait(self):
        """``yield event.wait()``: return ``True`` once the flag is set (at
        once if it is)."""
        if not self._flag:
            yield park(self._waiting)
        return True

    def __repr__(self):
        return "<Event %s waiting=%d>" % ("set" if self._flag else "clear", len(self._waiting))


# ========================================================== Lock, Semaphore

class _Acquirable:
    """What Lock, Semaphore and Condition share: ``with``/``async with``.
    ``with (yield x.acquire()):`` -- ``acquire`` returns ``x``, whose
    ``with`` only releases."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.release()

    @coroutine
    def __aenter__(self):
        yield from self.acquire()
        return self

    @coroutine
    def __aexit__(self, *exc_info):
        self.release()
        return False
        yield   # a generator, so that it is awaitable (never reached)


class Semaphore(_Acquirable):
    """A counter of free slots.  ``acquire`` takes one (waiting while none is
    free); ``release`` gives one back, handing it straight to the first
    waiter if there is one."""

    def __init__(self, value=1):
        if type(value) is not int or value < 0:
            raise ValueError("%s needs an int value >= 0, got %r" % (type(self).__name__, value))
        self._value = value
        # A slot handed to a waiter that is cancelled before it runs goes to
        # the next waiter, or back to the count.
        self._waiting = WaitQueue(on_unclaimed=self._slot_returned)

    def _slot_returned(self, value):
        self._value += 1

    def locked(self):
        """True when ``acquire`` would wait."""
        return self._value == 0

    @property
    def value(self):
        return self._value

    @coroutine
    def acquire(self):
        """``yield sem.acquire()``: take a slot; returns the semaphore."""
        if self._value > 0 and not self._waiting:
            self._value -= 1
        else:
            # Wait; release() hands its slot to us directly, so a task that
            # comes later cannot take it first (FIFO).
            yield park(self._waiting)
        return self

    def release(self):
        """Give a slot back (to the first waiter, if any).  Never blocks."""
        if not self._waiting.wake(1):
            self._value += 1

    def __repr__(self):
        return "<%s value=%d waiting=%d>" % (type(self).__name__, self._value, len(self._waiting))


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to be released more often than acquired."""

    def __init__(self, value=1):
        super().__init__(value)
        self._bound = value

    def release(self):
        if self._value >= self._bound and not self._waiting:
            raise ValueError("%r released more times than it was acquired" % self)
        super().release()


class Lock(Semaphore):
    """Mutual exclusion: one holder at a time, waiters served in order."""

    def __init__(self):
        super().__init__(1)

    def __enter__(self):
        if not self.locked():
            raise RuntimeError("%r: use 'with (yield lock.acquire()):' -- a plain "
                               "'with lock:' would not acquire it" % self)
        return self

    def release(self):
        if self._value:
            raise RuntimeError("release() of an unlocked Lock")
        super().release()

    def __repr__(self):
        return "<Lock %s waiting=%d>" % ("locked" if self.locked() else "unlocked",
                                         len(self._waiting))


class Condition(_Acquirable):
    """Wait until another task says something changed.

    ``wait()`` (with the lock held) releases the lock, waits for a
    ``notify``, and takes the lock back before it returns -- even when it is
    cancelled, so the caller's ``finally: release()`` stays right.
    """

    def __init__(self, lock=None):
        self._lock = Lock() if lock is None else lock
        self._waiting = WaitQueue()     # a notify for a cancelled waiter goes on

    def __enter__(self):
        return self._lock.__enter__() and self

    def locked(self):
        return self._lock.locked()

    def acquire(self):
        return self._lock.acquire()

    def release(self):
        self._lock.release()

    @coroutine
    def wait(self):
        """``yield cond.wait()``: wait for ``notify``; the lock must be held."""
        if not self._lock.locked():
            raise RuntimeError("wait() on a Condition whose lock is not held")
        self._lock.release()
        try:
            yield park(self._waiting)
        finally:
            # Take the lock back whatever happened; a cancellation that
            # arrives meanwhile is kept and raised once we hold it.
            cancelled = None
            while True:
                try:
                    yield from self._lock.acquire()
                    break
                except Cancelled as exc:
                    cancelled = cancelled or exc
            if cancelled is not None:
                raise cancelled
        return True

    @coroutine
    def wait_for(self, predicate):
        """``yield cond.wait_for(predicate)``: wait until ``predicate()`` is
        true; returns its value."""
        result = predicate()
        while not result:
            yield from self.wait()
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up to ``n`` waiting tasks (they still need the lock)."""
        self._waiting.wake(n)

    def notify_all(self):
        self._waiting.wake_all()

    def __repr__(self):
        return "<Condition %r waiting=%d>" % (self._lock, len(self._waiting))


# ================================================================= Queues

class Queue:
    """A FIFO queue between tasks; with ``maxsize`` > 0 it is bounded, and
    ``put`` waits while it is full -- the tool for backpressure.

    An item put while getters wait is handed straight to the first of them;
    room freed while putters wait is reserved for the first of them.  So
    getters and putters are served in order, and a newcomer never jumps the
    line.  ``task_done()`` and ``join()`` work as in ``queue.Queue``.
    """

    def __init__(self, maxsize=0):
        if type(maxsize) is not int or maxsize < 0:
            raise ValueError("maxsize must be an int >= 0, got %r" % (maxsize,))
        self.maxsize = maxsize
        self._items = self._make()
        # An item handed to a getter cancelled before it ran goes to the next
        # getter, or back into the queue; likewise a reserved slot.
        self._getters = WaitQueue(on_unclaimed=self._put_back)
        self._putters = WaitQueue(on_unclaimed=self._unreserve)
        self._reserved = 0              # free slots promised to woken putters
        self._unfinished = 0
        self._all_done = WaitQueue()    # tasks in join()

    # How items are stored: overridden by PriorityQueue and LifoQueue.
    def _make(self):
        return deque()

    def _put(self, item):
        self._items.append(item)

    def _put_back(self, item):          # an item nobody took after all: first out
        self._items.appendleft(item)

    def _get(self):
        return self._items.popleft()

    def _unreserve(self, value):
        self._reserved -= 1

    def qsize(self):
        return len(self._items)

    def empty(self):
        return not self._items

    def full(self):
        return 0 < self.maxsize <= len(self._items) + self._reserved

    @coroutine
    def put(self, item):
        """``yield q.put(item)``: add ``item``, waiting while the queue is full."""
        if self.full() or len(self._putters):
            yield park(self._putters)   # woken with a slot reserved for us
            self._reserved -= 1
        self._store(item)
        self._admit_putters()           # (if a getter took it, the slot is free)

    def put_nowait(self, item):
        """Add ``item`` or raise ``QueueFull``.  Never blocks."""
        if self.full() or len(self._putters):
            raise QueueFull("%r is full" % self)
        self._store(item)

    def _store(self, item):
        self._unfinished += 1
        if not self._getters.wake(1, item):     # handed to a waiting getter, or kept
            self._put(item)

    @coroutine
    def get(self):
        """``item = yield q.get()``: take the next item, waiting while empty."""
        if self._items:
            return self.get_nowait()
        return (yield park(self._getters))      # put() hands us the item

    def get_nowait(self):
        """Take the next item or raise ``QueueEmpty``.  Never blocks."""
        if not self._items:
            raise QueueEmpty("%r is empty" % self)
        item = self._get()
        self._admit_putters()
        return item

    def _admit_putters(self):
        """Room for waiting putters: reserve it for them, in order."""
        while len(self._putters) and not self.full():
            self._reserved += 1
            self._putters.wake(1)

    def task_done(self):
        """Mark one item got earlier as processed (for ``join``)."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called more times than there were items")
        self._unfinished -= 1
        if self._unfinished == 0:
            self._all_done.wake_all()

    @coroutine
    def join(self):
        """``yield q.join()``: wait until every item put was marked done."""
        while self._unfinished:
            yield park(self._all_done)

    def __repr__(self):
        return "<%s size=%d maxsize=%d getters=%d putters=%d>" % (
            type(self).__name__, len(self._items), self.maxsize,
            len(self._getters), len(self._putters))


class PriorityQueue(Queue):
    """A Queue that gives the smallest item first (items are compared)."""

    def _make(self):
        return []

    def _put(self, item):
        heapq.heappush(self._items, item)

    _put_back = _put

    def _get(self):
        return heapq.heappop(self._items)


class LifoQueue(Queue):
    """A Queue that gives the newest item first (a stack)."""

    def _make(self):
        return []

    def _put_back(self, item):          # it was the newest: it goes on top
        self._items.append(item)

    def _get(self):
        return self._items.pop()
