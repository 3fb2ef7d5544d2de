"""Synchronisation between tasks: Event, Lock, RLock, Semaphore, Condition,
Barrier, Queue.

Every primitive here is a little state plus a ``WaitQueue`` from the kernel:
a task that must wait does ``await park(wait_queue)``; whoever changes the
state calls ``wait_queue.wake(n)``.  Nothing here touches the kernel's
insides, and nothing blocks the thread.

Methods that can block (``wait``, ``acquire``, ``get``, ``put``...) are
``async def`` coroutines, and the kernel runs a yielded coroutine as a
call, so they work both ways::

    yield event.wait()              # in a generator task
    await event.wait()              # in an async def

Being coroutines, they cannot be forgotten silently: ``lock.acquire()``
without its ``yield`` (or ``await``) acquires nothing, and Python warns
when the coroutine is dropped -- ``RuntimeWarning: coroutine
'Lock.acquire' was never awaited`` -- naming the line.  (In a plain
generator, ``yield from lock.acquire()`` is refused by Python; write
``yield lock.acquire()``.)

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

import types
from collections import deque
from typing import Any, Callable, Generic, Optional, TypeVar, Union

from .combinators import disable_cancellation
from .errors import Cancelled, TrampolineError
from .kernel import WaitQueue, current_task
from .traps import current, park

__all__ = [
    "Event", "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Barrier",
    "BrokenBarrierError", "Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull",
    "QueueShutDown",
]

T = TypeVar("T")


class QueueEmpty(TrampolineError):
    """``get_nowait()`` on an empty queue."""


class QueueFull(TrampolineError):
    """``put_nowait()`` on a full queue."""


class QueueShutDown(TrampolineError):
    """``put`` on a queue that was shut down, or ``get`` on one that was
    shut down and is empty (asyncio 3.13's rule)."""


class BrokenBarrierError(TrampolineError):
    """A ``Barrier`` was reset or aborted while tasks waited at it."""


# ================================================================= Event

class Event:
    """A flag tasks can wait for.  ``set()`` wakes every waiter."""

    def __init__(self) -> None:
        self._flag = False
        # set() wakes every waiter: one cancelled before it runs passes its
        # wake-up to nobody (a task waiting since a clear() waits on).
        self._waiting = WaitQueue(broadcast=True)

    def is_set(self) -> bool:
        """True while the flag is set."""
        return self._flag

    def set(self) -> None:
        """Set the flag and wake every task waiting for it.  From the
        kernel's thread: from another while the kernel runs and a task
        waits, ``RuntimeError``, the flag left as it was (there, use
        ``kernel.call_threadsafe(event.set)``)."""
        self._waiting.wake_all()        # (first: if it raises, nothing changed)
        self._flag = True

    def clear(self) -> None:
        """Clear the flag: ``wait`` waits again."""
        self._flag = False

    async def wait(self) -> bool:
        """``yield event.wait()``: return ``True`` once the flag is set (at
        once if it is)."""
        if not self._flag:
            await park(self._waiting)
        return True

    def __repr__(self):
        return "<Event %s waiting=%d>" % ("set" if self._flag else "clear", len(self._waiting))


# ========================================================== Lock, Semaphore

class _Acquirable:
    """What Lock, Semaphore and Condition share: ``with``/``async with``.
    ``with (yield x.acquire()):`` -- ``acquire`` returns ``x``, whose
    ``with`` only releases."""

    def __enter__(self: T) -> T:
        return self

    def __exit__(self: Any, *exc_info: Any) -> None:
        self.release()

    async def __aenter__(self: Any) -> Any:
        await self.acquire()
        return self.__enter__()

    async def __aexit__(self: Any, *exc_info: Any) -> bool:
        self.release()
        return False


class Semaphore(_Acquirable):
    """A counter of free slots.  ``acquire`` takes one (waiting while none is
    free); ``release`` gives one back, handing it straight to the first
    waiter if there is one.  ``with (yield sem.acquire()):`` gives it back
    at the block's end; a plain ``with sem:``, which would take none, raises
    ``RuntimeError``."""

    def __init__(self, value: int = 1) -> None:
        if type(value) is not int or value < 0:
            raise ValueError("%s needs an int value >= 0, got %r" % (type(self).__name__, value))
        self._value = value
        self._handed = 0                # slots released to waiters that have not run yet
        self._unentered = 0             # slots acquired whose ``with`` has not begun
                                        # (nor been released: a later plain ``with`` is refused)
        # A slot handed to a waiter that is cancelled before it runs goes to
        # the next waiter, or back to the count.
        self._waiting = WaitQueue(on_unclaimed=self._slot_returned)

    def __enter__(self):
        if not self._unentered:
            raise RuntimeError("%r: use 'with (yield sem.acquire()):' -- a plain 'with sem:' "
                               "would not take a slot, and would give one back" % self)
        self._unentered -= 1
        return self

    def __exit__(self, *exc_info: Any) -> None:
        # The with's own release, for the acquire its __enter__ took the mark
        # of: it must not take another's (one a select made for its caller,
        # say), as a release with no with does.
        self._unentered += 1
        try:
            self.release()
        except BaseException:
            self._unentered -= 1
            raise

    async def __aexit__(self, *exc_info: Any) -> bool:
        self.__exit__()
        return False

    def _slot_returned(self, value):
        self._handed -= 1
        self._value += 1

    def locked(self) -> bool:
        """True when ``acquire`` would wait."""
        return self._value == 0

    @property
    def value(self) -> int:
        """How many slots are free now."""
        return self._value

    async def acquire(self) -> "Semaphore":
        """``yield sem.acquire()``: take a slot; returns the semaphore."""
        if self._value > 0 and not self._waiting:
            self._value -= 1
        else:
            # Wait; release() hands its slot to us directly, so a task that
            # comes later cannot take it first (FIFO).
            await park(self._waiting)
            self._handed -= 1
        self._unentered += 1            # (for the ``with`` that may follow)
        return self

    def release(self) -> None:
        """Give a slot back (to the first waiter, if any).  Never blocks."""
        if self._unentered:             # the long form's release: no ``with`` to come
            self._unentered -= 1
        if self._waiting.wake(1):
            self._handed += 1
        else:
            self._value += 1

    def __repr__(self):
        return "<%s value=%d waiting=%d>" % (type(self).__name__, self._value, len(self._waiting))


def _named(method, owner):
    """``method`` again, named ``owner.method`` -- the name Python's "never
    awaited" warning gives the coroutines it makes (a forgotten
    ``lock.acquire()`` is then called ``Lock.acquire``, not
    ``Semaphore.acquire``)."""
    renamed = types.FunctionType(method.__code__, method.__globals__, method.__name__,
                                 method.__defaults__, method.__closure__)
    renamed.__qualname__ = "%s.%s" % (owner, method.__name__)
    renamed.__doc__ = method.__doc__
    return renamed


class BoundedSemaphore(Semaphore):
    """A Semaphore that refuses to be released more often than acquired
    (``ValueError``) -- also while a released slot is on its way to a
    waiter that has not run yet."""

    acquire = _named(Semaphore.acquire, "BoundedSemaphore")

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._bound = value

    def release(self) -> None:
        if self._value + self._handed >= self._bound:
            raise ValueError("%r released more times than it was acquired" % self)
        super().release()


class Lock(Semaphore):
    """Mutual exclusion: one holder at a time, waiters served in order.

    ``release`` raises ``RuntimeError`` when the lock is not held -- also
    while it is on its way to a waiter that has not run yet (a second
    ``release`` then would let two tasks in).  So does ``acquire`` by the
    task that holds it, which would otherwise wait for ever (trio's rule;
    an ``RLock`` may be taken again)."""

    def __init__(self) -> None:
        super().__init__(1)
        self._holder = None             # type: Any  # the task that acquired it

    async def acquire(self) -> "Lock":
        """``yield lock.acquire()``: take the lock, waiting while it is held;
        returns the lock."""
        if self._value and not self._waiting:
            self._value = 0
        else:
            if self._holder is not None and self._holder is current_task():
                raise RuntimeError(
                    "%r is held by this very task, %r: acquiring it again would wait for "
                    "ever (an RLock may be taken again by its holder)" % (self, self._holder))
            await park(self._waiting)   # release() hands the lock to us
            self._handed -= 1
        self._holder = current_task()
        return self

    def __enter__(self):
        if not self.locked():
            raise RuntimeError("%r: use 'with (yield lock.acquire()):' -- a plain "
                               "'with lock:' would not acquire it" % self)
        if self._holder is not current_task():
            raise RuntimeError("%r is held by another task: use 'with (yield lock.acquire()):' "
                               "-- a plain 'with lock:' would not wait for it, and would "
                               "release it" % self)
        return self

    def release(self) -> None:
        """Free the lock (handing it to the first waiter, if any).  Raises
        ``RuntimeError`` if it is not held.  Never blocks."""
        if self._value or self._handed:
            raise RuntimeError("release() of an unlocked Lock%s" % (
                " (already released, to a task that has not run yet)" if self._handed else ""))
        super().release()               # (first: if it raises, nothing changed)
        self._holder = None

    # What Condition.wait does to its lock (an RLock has its own).
    def _release_save(self) -> Any:
        me = current_task()
        if self._holder is not me:      # (not let go for it: the holder would go on
            raise RuntimeError(         # unprotected, and fail far from here)
                "wait() on a Condition whose %r is held by another task than %r"
                % (self, me))
        self.release()

    async def _acquire_restore(self, saved: Any) -> None:
        await self.acquire()

    def __repr__(self):
        return "<Lock %s waiting=%d>" % ("locked" if self.locked() else "unlocked",
                                         len(self._waiting))


class RLock(_Acquirable):
    """A lock its holder may take again.  ``acquire`` by the task that holds
    it only counts; the lock is free once that task has called ``release``
    as many times.  Only the holder may release it (``RuntimeError``).
    Waiters are served in order, as with ``Lock``."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._owner = None              # type: Any  # the task holding it
        self._count = 0                 # how many times it holds it

    def locked(self) -> bool:
        """True while a task holds it."""
        return self._lock.locked()

    async def acquire(self) -> "RLock":
        """``yield rlock.acquire()``: take it (at once if this task holds
        it already); returns the lock."""
        me = await current()
        if self._owner is me:
            self._count += 1
            return self
        await self._lock.acquire()
        self._owner = me
        self._count = 1
        return self

    def release(self) -> None:
        """Undo one ``acquire`` of the task that holds it.  Never blocks."""
        me = current_task()
        if me is None or self._owner is not me:
            raise RuntimeError("release() of %r by %r, which does not hold it" % (self, me))
        self._count -= 1
        if not self._count:
            self._owner = None
            self._lock.release()

    def _release_save(self) -> int:
        """Condition.wait: release it however many times this task holds it
        (as threading.Condition does); returns that count."""
        me = current_task()
        if me is None or self._owner is not me:
            raise RuntimeError("wait() on a Condition whose %r is held by another task than %r"
                               % (self, me))
        count = self._count
        self._owner = None
        self._count = 0
        self._lock.release()
        return count

    async def _acquire_restore(self, count: int) -> None:
        """Condition.wait: take it back, held ``count`` times."""
        await self._lock.acquire()
        self._owner = current_task()
        self._count = count

    def __enter__(self):
        if self._owner is None or self._owner is not current_task():
            raise RuntimeError("%r: use 'with (yield rlock.acquire()):' -- a plain "
                               "'with rlock:' would not acquire it" % self)
        return self

    def __repr__(self):
        return "<RLock %s waiting=%d>" % (
            "held %d time(s) by %r" % (self._count, self._owner) if self._owner else "unlocked",
            len(self._lock._waiting))


class Condition(_Acquirable):
    """Wait until another task says something changed.

    ``wait()`` (with the lock held) releases the lock, waits for a
    ``notify``, and takes the lock back before it returns -- even when it is
    cancelled, so the caller's ``finally: release()`` stays right.  A task
    that does not hold the lock gets ``RuntimeError`` from ``wait()``, also
    while another task holds it (trio's rule).

    Its lock is a new ``Lock``, or the ``Lock`` or ``RLock`` given
    (``TypeError`` otherwise); ``wait()`` releases an ``RLock`` however many
    times its task holds it, and gives it back held as many times.
    """

    def __init__(self, lock: Optional[Union["Lock", "RLock"]] = None) -> None:
        if lock is None:
            lock = Lock()
        elif not isinstance(lock, (Lock, RLock)):
            raise TypeError("a Condition's lock must be a Lock or an RLock, got %r" % (lock,))
        self._lock = lock   # type: Union[Lock, RLock]
        self._waiting = WaitQueue()     # a notify for a cancelled waiter goes on

    def __enter__(self):
        return self._lock.__enter__() and self

    def locked(self) -> bool:
        """True while its lock is held."""
        return self._lock.locked()

    def acquire(self) -> Any:
        """``yield cond.acquire()``: take its lock."""
        return self._lock.acquire()

    def release(self) -> None:
        """Release its lock."""
        self._lock.release()

    async def wait(self) -> bool:
        """``yield cond.wait()``: wait for ``notify``; the lock must be held."""
        if not self._lock.locked():
            raise RuntimeError("wait() on a Condition whose lock is not held")
        held = self._lock._release_save()
        notified = False
        try:
            await park(self._waiting)
            notified = True
        finally:
            # Take the lock back whatever happened.  A cancellation that
            # arrives meanwhile is raised once we hold it -- and if we had
            # been notified, the notify goes on to the next waiter: a task
            # that will not act on it must not swallow it.
            cancelled = None
            try:
                await self._lock._acquire_restore(held)
            except Cancelled as exc:
                cancelled = exc
                with disable_cancellation():    # (an expired timeout fires at every wait)
                    await self._lock._acquire_restore(held)
            if cancelled is not None:
                if notified:
                    self._waiting.wake(1)
                raise cancelled
        return True

    async def wait_for(self, predicate: Callable[[], T]) -> T:
        """``yield cond.wait_for(predicate)``: wait until ``predicate()`` is
        true; returns its value."""
        result = predicate()
        while not result:
            await self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiting tasks (they still need the lock, which
        the caller must hold: ``RuntimeError`` otherwise)."""
        if not self._lock.locked():
            raise RuntimeError("notify() on a Condition whose lock is not held")
        self._waiting.wake(n)

    def notify_all(self) -> None:
        """Wake every waiting task (the caller must hold the lock)."""
        if not self._lock.locked():
            raise RuntimeError("notify_all() on a Condition whose lock is not held")
        self._waiting.wake_all()

    def __repr__(self):
        return "<Condition %r waiting=%d>" % (self._lock, len(self._waiting))


# ================================================================ Barrier

# What the waiters of a Barrier's round are woken with when it breaks (else
# each is woken with its index).
_BROKEN = object()


class Barrier:
    """``parties`` tasks wait for each other (asyncio's ``Barrier``).

    ``index = yield barrier.wait()`` parks until ``parties`` tasks are
    waiting, then all go on, each with its own index (0 for the first to
    arrive); the barrier is then ready for the next round.  A task
    cancelled while it waits leaves the round, and the indices close up:
    a round's are always 0 .. ``parties`` - 1, each once.  ``abort()``
    breaks the barrier for good, ``reset()`` breaks the current round only:
    the tasks waiting then, and (after ``abort``) every later ``wait``,
    raise ``BrokenBarrierError``.  ``async with barrier as index:`` waits too.
    """

    def __init__(self, parties: int) -> None:
        if type(parties) is not int or parties < 1:
            raise ValueError("Barrier needs an int number of parties >= 1, got %r" % (parties,))
        self.parties = parties
        self._broken = False
        # The tasks waiting in this round, in order of arrival (a task
        # cancelled there is taken off at once: it leaves the round).  Each
        # is woken with its index when the round completes, or _BROKEN; a
        # task woken and then cancelled keeps its wake-up: the round happened.
        self._waiting = WaitQueue(keep=True)

    @property
    def n_waiting(self) -> int:
        """How many tasks wait in the current round."""
        return len(self._waiting)

    @property
    def broken(self) -> bool:
        """True once the barrier is broken (until ``reset``)."""
        return self._broken

    async def wait(self) -> int:
        """``index = yield barrier.wait()``: see the class docstring."""
        if self._broken:
            raise BrokenBarrierError("%r is broken" % self)
        waiting = self._waiting
        arrived = len(waiting)
        if arrived + 1 == self.parties:     # the last one: the round is complete
            for index in range(arrived):
                waiting.wake(1, index)      # (first come, first woken)
            return arrived
        index = await park(waiting)
        if index is _BROKEN:
            raise BrokenBarrierError("%r was reset or aborted while this task waited" % self)
        return index

    def reset(self) -> None:
        """Break the current round (its waiters raise BrokenBarrierError) and
        make the barrier usable again."""
        self._waiting.wake_all(_BROKEN)     # (first: if it raises, nothing changed)
        self._broken = False

    def abort(self) -> None:
        """Break the barrier: every waiting and later ``wait`` raises
        BrokenBarrierError (until ``reset``)."""
        self._waiting.wake_all(_BROKEN)     # (first: if it raises, nothing changed)
        self._broken = True

    async def __aenter__(self):
        return await self.wait()

    async def __aexit__(self, *exc_info):
        return False

    def __repr__(self):
        return "<Barrier %s waiting=%d/%d>" % ("broken" if self._broken else "ok",
                                               len(self._waiting), self.parties)


# ================================================================= Queues

# What getters and putters waiting on a queue are woken with when it shuts down.
_SHUT_DOWN = object()
# What a getter of a PriorityQueue or LifoQueue is woken with: an item is
# kept for it in the queue, and it takes the first in the queue's order --
# the smallest, the newest -- when it runs.
_CLAIM = object()


class Queue(Generic[T]):
    """A FIFO queue between tasks; with ``maxsize`` > 0 it is bounded, and
    ``put`` waits while it is full -- the tool for backpressure.

    An item put while getters wait is handed straight to the first of them;
    room freed while putters wait is reserved for the first of them.  So
    getters and putters are served in order, and a newcomer never jumps the
    line.  An item handed to a getter keeps its slot until the getter has
    it (as asyncio's stays in the queue until then): a getter cancelled
    before it runs puts it back first in line, and the queue never holds
    more than ``maxsize``.  ``task_done()`` and ``join()`` work as in
    asyncio (and ``queue.Queue``, but for one point: the last
    ``task_done()`` lets a ``join`` go even if new items come before it
    runs); ``shutdown()`` as in asyncio 3.13.

    (A ``PriorityQueue`` or ``LifoQueue`` keeps the item in the queue for
    the woken getter instead, which takes the smallest, or the newest, item
    there when it runs -- as asyncio's and curio's do.)
    """

    # Whether a woken getter takes the first item in the queue's order when
    # it runs (PriorityQueue, LifoQueue) rather than the item put as it was
    # woken (FIFO: the same item, handed over at once).
    _claims = False

    def __init__(self, maxsize: int = 0) -> None:
        if type(maxsize) is not int or maxsize < 0:
            raise ValueError("maxsize must be an int >= 0, got %r" % (maxsize,))
        self.maxsize = maxsize
        self._items = self._make()
        # An item handed to a getter cancelled before it ran goes to the next
        # getter, or back into the queue; likewise a reserved slot.
        self._getters = WaitQueue(on_unclaimed=self._item_unclaimed)
        self._putters = WaitQueue(on_unclaimed=self._slot_unclaimed)
        self._reserved = 0              # free slots promised to woken putters
        self._handed = 0                # items handed to woken getters, not yet taken
        self._claimed = 0               # items kept in the queue for woken getters (_claims)
        self._unfinished = 0
        # Tasks in join(): the last task_done() lets every one of them go.
        # One cancelled before it runs passes that on to nobody (a task
        # joining since then waits for the items put meanwhile).
        self._all_done = WaitQueue(broadcast=True)
        self._shut_down = False
        self._dropping = False          # shut down with immediate=True

    # How items are stored: overridden by PriorityQueue and LifoQueue.
    def _make(self):
        return deque()

    def _put(self, item):
        self._items.append(item)

    def _put_back(self, item):          # an item nobody took after all: first out
        self._items.appendleft(item)    # (only without _claims)

    def _get(self):
        return self._items.popleft()

    def _item_unclaimed(self, item):
        if item is _SHUT_DOWN:
            return
        if item is _CLAIM:              # the item kept for it stays in the queue
            self._claimed -= 1
            if self._dropping:          # (or is dropped, as what was left at the shutdown)
                self._get()
                self._dropped()
                if self._unfinished == 0:
                    self._all_done.wake_all()
            return
        self._handed -= 1               # (its slot: the item's again, or free)
        if self._dropping:              # dropped, as what was left at the shutdown
            self._dropped()
            if self._unfinished == 0:
                self._all_done.wake_all()
        else:
            self._put_back(item)

    def _dropped(self):
        if self._unfinished > 0:        # (task_done() may have come early)
            self._unfinished -= 1

    def _slot_unclaimed(self, value):
        if value is not _SHUT_DOWN:
            self._reserved -= 1

    def qsize(self) -> int:
        """How many items are in the queue now."""
        return len(self._items) - self._claimed

    def empty(self) -> bool:
        """True if the queue holds no item now."""
        return len(self._items) <= self._claimed

    def full(self) -> bool:
        """True if ``put`` would wait now (an item handed to a getter that
        has not run yet, or room promised to a waiting putter, takes a slot)."""
        return 0 < self.maxsize <= len(self._items) + self._reserved + self._handed

    async def put(self, item: T) -> None:
        """``yield q.put(item)``: add ``item``, waiting while the queue is
        full.  Raises ``QueueShutDown`` once the queue is shut down."""
        if self._shut_down:
            raise QueueShutDown("put() on %r, which was shut down" % self)
        if self.full() or len(self._putters):
            if (await park(self._putters)) is _SHUT_DOWN:   # else a slot reserved for us
                raise QueueShutDown("%r was shut down while put() waited" % self)
            self._reserved -= 1
            if self._shut_down:         # shut down after the slot was reserved
                raise QueueShutDown("%r was shut down while put() waited" % self)
        try:
            self._store(item)
        finally:                        # (if a getter took it, or it was refused --
            self._admit_putters()       # an item a PriorityQueue cannot order -- the slot is free)

    def put_nowait(self, item: T) -> None:
        """Add ``item`` or raise ``QueueFull`` (``QueueShutDown`` once shut
        down).  Never blocks."""
        if self._shut_down:
            raise QueueShutDown("put_nowait() on %r, which was shut down" % self)
        if self.full() or len(self._putters):
            raise QueueFull("%r is full" % self)
        self._store(item)

    def _store(self, item):
        # Nothing changes if this raises: a wake-up from another thread is
        # refused first (check_thread, or the wake itself), and an item a
        # PriorityQueue cannot order is refused before it is counted.
        if self._claims:                        # kept, for a waiting getter or anyone
            self._getters.check_thread()
            self._put(item)
            self._unfinished += 1
            if self._getters.wake(1, _CLAIM):   # (the getter runs after the put)
                self._claimed += 1
        elif self._getters.wake(1, item):       # handed to a waiting getter, or kept
            self._unfinished += 1
            self._handed += 1
        else:
            self._put(item)
            self._unfinished += 1

    async def get(self) -> T:
        """``item = yield q.get()``: take the next item, waiting while empty.
        Raises ``QueueShutDown`` once the queue is shut down and empty."""
        if len(self._items) > self._claimed or self._shut_down:
            return self.get_nowait()
        item = await park(self._getters)        # put() hands us the item
        if item is _SHUT_DOWN:
            raise QueueShutDown("%r was shut down while get() waited" % self)
        if item is _CLAIM:                      # one is kept for us: the first now
            self._claimed -= 1
            item = self._get()
        else:
            self._handed -= 1                   # taken: its slot is free
        self._admit_putters()
        return item

    def get_nowait(self) -> T:
        """Take the next item or raise ``QueueEmpty`` (``QueueShutDown`` if
        the queue is shut down and empty).  Never blocks."""
        if len(self._items) <= self._claimed:   # (those kept are for woken getters)
            if self._shut_down:
                raise QueueShutDown("get() on %r, which was shut down and is empty" % self)
            raise QueueEmpty("%r is empty" % self)
        item = self._get()
        self._admit_putters()
        return item

    def _admit_putters(self):
        """Room for waiting putters: reserve it for them, in order."""
        while len(self._putters) and not self.full() and not self._shut_down:
            self._reserved += 1
            self._putters.wake(1)

    def task_done(self) -> None:
        """Mark one item got earlier as processed (for ``join``)."""
        if self._unfinished <= 0:
            raise ValueError("task_done() called more times than there were items")
        if self._unfinished == 1:
            self._all_done.wake_all()   # (first: if it raises, nothing changed)
        self._unfinished -= 1

    async def join(self) -> None:
        """``yield q.join()``: wait until every item put was marked done
        (at once if none is unfinished).  The ``task_done()`` that marks the
        last one lets every waiting ``join`` go: it returns even if new
        items were put before it ran, as asyncio's and curio's do."""
        if self._unfinished:
            await park(self._all_done)

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down (asyncio 3.13's rule).  From now on ``put``
        raises ``QueueShutDown``, and so do the putters waiting now; ``get``
        goes on giving what is left, then raises ``QueueShutDown`` -- at once
        in the getters waiting now.  With ``immediate=True`` what is left is
        dropped first, each dropped item counting as done for ``join`` --
        and so, later, is an item handed to a getter that is cancelled
        before it takes it."""
        for waiting in (self._getters, self._putters, self._all_done):
            waiting.check_thread()      # (from another thread: refused, nothing changed)
        self._shut_down = True
        try:
            if immediate:
                self._dropping = True   # (so is an item a cancelled getter leaves)
                # The items kept for woken getters are theirs: the first ones.
                kept = [self._get() for _ in range(self._claimed)]
                for _ in range(len(self._items)):
                    self._dropped()
                self._items.clear()     # (what is dropped need not be ordered)
                for item in reversed(kept):
                    self._put(item)
                if self._unfinished == 0:
                    self._all_done.wake_all()
        finally:                        # (a PriorityQueue whose items do not compare)
            self._getters.wake_all(_SHUT_DOWN)
            self._putters.wake_all(_SHUT_DOWN)
        # (A putter woken for a reserved slot raises QueueShutDown when it
        # runs, giving the slot back; one cancelled before, on_unclaimed.)

    def __repr__(self):
        return "<%s size=%d maxsize=%d getters=%d putters=%d>" % (
            type(self).__name__, len(self._items), self.maxsize,
            len(self._getters), len(self._putters))


class PriorityQueue(Queue[T]):
    """A Queue that gives the smallest item first (items are compared) --
    also to a getter that was waiting: the smallest there when it runs.
    An item that does not compare with those in the queue is refused with
    ``TypeError``, naming it; the queue is left as it was."""

    _claims = True

    def _make(self):
        return []

    def _put(self, item):
        # heapq.heappush, but comparing before anything moves: its
        # comparison failing half-way up left the item in the heap, or a
        # parent in two places (asyncio's and queue.Queue's do that).
        heap = self._items
        pos = len(heap)
        try:
            while pos:
                parent = (pos - 1) >> 1
                if not item < heap[parent]:
                    break
                pos = parent
        except TypeError as exc:
            raise TypeError("%r: cannot put %r, which does not compare with the items "
                            "queued (%s)" % (self, item, exc)) from exc
        heap.append(item)
        hole = len(heap) - 1
        while hole > pos:               # move the parents on its path down one
            parent = (hole - 1) >> 1
            heap[hole] = heap[parent]
            hole = parent
        heap[pos] = item

    def _get(self):
        # heapq.heappop, but comparing before anything moves (see _put): the
        # heap's last item goes in the first's place, sifted down the path of
        # smaller children, then up to where it belongs.
        heap = self._items
        last = heap.pop()
        if not heap:
            return last
        first = heap[0]
        size = len(heap)
        path = [0]
        try:
            child = 1
            while child < size:
                if child + 1 < size and not heap[child] < heap[child + 1]:
                    child += 1
                path.append(child)
                child = 2 * child + 1
            # The items on the path move up one place; ``last`` stops where it
            # is not smaller than the item that moved up to above it.
            stop = len(path) - 1
            while stop and last < heap[path[stop]]:
                stop -= 1
        except BaseException as exc:
            heap.append(last)           # untouched: the items stay, in order
            if isinstance(exc, TypeError):
                raise TypeError("%r: its items do not compare with each other, so none is "
                                "the smallest (%s)" % (self, exc)) from exc
            raise
        for above, below in zip(path[:stop], path[1:stop + 1]):
            heap[above] = heap[below]
        heap[path[stop]] = last
        return first


class LifoQueue(Queue[T]):
    """A Queue that gives the newest item first (a stack) -- also to a
    getter that was waiting: the newest there when it runs."""

    _claims = True

    def _make(self):
        return []

    def _get(self):
        return self._items.pop()
