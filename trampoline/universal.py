"""UniversalQueue: one queue between threads and tasks, in both directions.

What it is for: handing work and results between the blocking world
(threads) and trampoline tasks, either way, with backpressure.  A thread
calls ``q.put(x)`` / ``x = q.get()`` and blocks; a task does
``yield q.put(x)`` / ``x = yield q.get()`` (or ``await``) and parks while
its kernel runs everybody else.  Any mix of producers and consumers of both
kinds may share one queue, tasks on several kernels in several threads
included.

The idea: one ``threading.Lock`` guards the items and two lines of waiters,
getters and putters, served first come, first served, threads and tasks
alike.  Each waiter is woken its own way: a thread through a
``threading.Condition`` on the queue's lock, a task through a
``WaitQueue(threadsafe=True)`` of its own, in its kernel's thread --
directly when the waker is that thread, else with ``call_threadsafe``, which
also wakes a kernel blocked in its poller.  As in ``trampoline.sync.Queue``,
what a waiter waits for is *handed* to it by whoever makes it possible: an
item to a getter, a reserved slot to a putter, so a newcomer never jumps the
line.  A waiter that gives up after it was handed something (a cancelled
task, a thread interrupted) gives it back: the item goes first in line
again, the slot to the next putter.  A task whose kernel was closed while it
waited (``close()`` does not end tasks), or whose coroutine was closed, is
passed over.  Nothing is lost -- except what was handed to a task before it
was dropped (its kernel closed before it ran): that goes with the task, as
what it had already taken would.

``task_done()`` and ``join()`` work as in ``queue.Queue``: every item put
counts as unfinished until a ``task_done()`` call for it, and the one that
brings the count to zero hands each waiting joiner its leave to go (a
third line, woken the same way).  A joiner so woken returns even if new
items came before it ran, as in ``asyncio.Queue``.  ``shutdown()`` hands
every getter and putter waiting a mark that makes it raise
``QueueShutDown`` (a putter already given a slot gives it back).

Which side a call is on: ``get()``, ``put()`` and ``join()`` made by a
generator or coroutine in the thread of a running kernel are the task's
(they return a coroutine to ``yield``); anywhere else they block the
calling thread.

What it must never do: block a kernel's thread (a blocking call there, or in
a running asyncio loop's thread, is refused with ``RuntimeError``), hold its
lock across a ``yield`` or a wait, take it while a task's coroutine is
being closed (the garbage collector may do that in a thread that holds
it), poll in a loop, or reach into a kernel
(it uses only the ``park`` trap, ``WaitQueue``, ``call_threadsafe`` and
``owns_thread``).
"""

import numbers
import sys
import threading
import time
from collections import deque
from types import coroutine
from typing import Any, Deque, Generic, Optional, TypeVar

from .kernel import WaitQueue, running_kernel
from .sync import QueueEmpty, QueueFull, QueueShutDown
from .traps import park

__all__ = ["UniversalQueue"]

T = TypeVar("T")

#: What a waiter is handed when the queue is shut down: it raises
#: ``QueueShutDown`` (a getter, a putter not yet given a slot).
_SHUT_DOWN = object()

# co_flags of the frames that are tasks' code: generator, coroutine,
# types.coroutine generator, async generator (values of inspect.CO_*).
_TASK_CODE = 0x20 | 0x80 | 0x100 | 0x200


class _Waiter:
    """One thread or task waiting in a line: what wakes it, what it got."""

    __slots__ = ("kernel", "wake_up", "handed", "item", "closed")

    def __init__(self, kernel, wake_up):
        self.kernel = kernel        # the task's kernel; None for a thread
        self.wake_up = wake_up      # a WaitQueue (task) or a Condition (thread)
        self.handed = False         # given its item (getter) or a slot (putter)
        self.item = None
        self.closed = False         # a task whose coroutine was closed: never runs again


class UniversalQueue(Generic[T]):
    """A FIFO queue that threads and tasks share, both ways.

    ``maxsize`` > 0 bounds it: ``put`` waits while it is full (a thread
    blocks, a task parks).  Threads: ``q.put(item, timeout=None)``,
    ``q.get(timeout=None)`` (``QueueFull``/``QueueEmpty`` when the timeout
    passes; a timeout that is no number of seconds >= 0 is a ``TypeError``
    or ``ValueError``, as in ``queue.Queue``).  Tasks: ``yield
    q.put(item)``, ``item = yield q.get()`` (for a timeout,
    ``timeout_after``).  Both: ``put_nowait``, ``get_nowait``,
    ``qsize``, ``empty``, ``full``, ``task_done`` -- never block, from
    anywhere.  ``q.join()`` (thread) / ``yield q.join()`` (task) waits until
    every item put was marked done with ``task_done()``.  ``shutdown()``
    as in ``queue.Queue`` and ``asyncio.Queue`` 3.13 (and
    ``trampoline.Queue``): ``put`` raises ``QueueShutDown`` from then on,
    ``get`` once the queue is empty.
    """

    def __init__(self, maxsize: int = 0) -> None:
        if type(maxsize) is not int or maxsize < 0:
            raise ValueError("UniversalQueue: maxsize must be an int >= 0, got %r" % (maxsize,))
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._items = deque()       # type: Deque[T]
        self._getters = deque()     # type: Deque[_Waiter]  # _Waiters for an item; only while _items is empty
        self._putters = deque()     # type: Deque[_Waiter]  # _Waiters for room
        self._reserved = 0          # free slots promised to woken putters
        self._unfinished = 0        # items put and not yet marked done
        self._joiners = deque()     # type: Deque[_Waiter]  # _Waiters in join()
        self._shut_down = False
        self._dropping = False      # shut down with immediate=True: what is left goes

    # ------------------------------------------------------- never block

    def qsize(self) -> int:
        """How many items wait in the queue now."""
        return len(self._items)

    def empty(self) -> bool:
        """True if no item waits in the queue now."""
        return not self._items

    def full(self) -> bool:
        """True when ``put`` would wait (slots promised to woken putters count)."""
        return 0 < self.maxsize <= len(self._items) + self._reserved

    def put_nowait(self, item: T) -> None:
        """Add ``item`` or raise ``QueueFull``.  Any thread, any task."""
        with self._lock:
            if self._shut_down:
                raise QueueShutDown("put_nowait() on %r, which was shut down" % self)
            if self.full() or self._putters:
                raise QueueFull("%r is full" % self)
            self._store(item)

    def get_nowait(self) -> T:
        """Take the next item or raise ``QueueEmpty``.  Any thread, any task."""
        with self._lock:
            if not self._items:
                if self._shut_down:
                    raise QueueShutDown("get_nowait() on %r, which was shut down and is "
                                        "empty" % self)
                raise QueueEmpty("%r is empty" % self)
            return self._take()

    def task_done(self) -> None:
        """Mark one item got earlier as processed (for ``join``).  Any
        thread, any task.  ``ValueError`` if called more times than there
        were items put."""
        with self._lock:
            if self._unfinished <= 0:
                raise ValueError("%r: task_done() called more times than there were items" % self)
            self._done_one()

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down, as ``queue.Queue.shutdown`` (3.13) does.
        Any thread, any task.  From now on ``put`` raises ``QueueShutDown``,
        and so do the putters waiting now (threads and tasks); ``get`` goes
        on giving what is left, then raises ``QueueShutDown`` -- at once in
        the getters waiting now.  With ``immediate=True`` what is left is
        dropped first, each dropped item counting as done for ``join`` (as
        is, later, an item handed to a getter that gives up before it takes
        it).  Shutting down twice is harmless."""
        with self._lock:
            self._shut_down = True
            if immediate:
                self._dropping = True
                while self._items:
                    self._items.popleft()
                    self._done_one()
            for line in (self._getters, self._putters):
                while line:                 # (a task of a closed kernel: passed over)
                    self._hand(line.popleft(), _SHUT_DOWN)

    def _done_one(self):
        """Lock held: one unfinished item fewer; the last lets the joiners go."""
        if self._unfinished > 0:
            self._unfinished -= 1
            if self._unfinished == 0:
                while self._joiners:        # (a task of a closed kernel: passed over)
                    self._hand(self._joiners.popleft(), None)

    # ------------------------------------------------- either side

    def put(self, item: T, timeout: Optional[float] = None) -> Any:
        """In a thread: add ``item``, blocking while the queue is full (at
        most ``timeout`` seconds, then ``QueueFull``).  In a task:
        ``yield q.put(item)`` parks instead."""
        if _called_by_task("put", timeout):
            return self._task_put(item)
        timeout = _thread_timeout("put", timeout)
        with self._lock:
            self._refuse_if_shut_down("put")
            if not (self.full() or self._putters):
                self._store(item)
                return
            waiter = self._wait_in_thread(self._putters, "put", timeout)
            if waiter is None:
                raise QueueFull("%r: still full after %r seconds" % (self, timeout))
            self._fill_slot(waiter, item)

    def get(self, timeout: Optional[float] = None) -> Any:
        """In a thread: take the next item, blocking while the queue is empty
        (at most ``timeout`` seconds, then ``QueueEmpty``).  In a task:
        ``item = yield q.get()`` parks instead."""
        if _called_by_task("get", timeout):
            return self._task_get()
        timeout = _thread_timeout("get", timeout)
        with self._lock:
            if self._items:
                return self._take()
            self._refuse_if_shut_down("get")
            waiter = self._wait_in_thread(self._getters, "get", timeout)
            if waiter is None:
                raise QueueEmpty("%r: still empty after %r seconds" % (self, timeout))
            return self._got(waiter)

    def join(self) -> Any:
        """In a thread: block until every item put was marked done with
        ``task_done()`` (return at once if none is outstanding).  In a task:
        ``yield q.join()`` parks instead (for a timeout, ``timeout_after``)."""
        if _called_by_task("join", None):
            return self._task_join()
        with self._lock:
            if self._unfinished:
                self._wait_in_thread(self._joiners, "join", None)

    # ------------------------------------------------------ the thread side

    def _wait_in_thread(self, line, what, timeout):
        """Lock held: join ``line`` and block until handed what we wait for.
        Returns the waiter, or None if ``timeout`` passed first."""
        _refuse_to_block_a_loop(what)
        waiter = _Waiter(None, threading.Condition(self._lock))
        line.append(waiter)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not waiter.handed:
                if deadline is None:
                    waiter.wake_up.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        line.remove(waiter)
                        return None
                    waiter.wake_up.wait(min(remaining, threading.TIMEOUT_MAX))
        except BaseException:           # Ctrl-C in the main thread, say
            self._give_up(waiter, line)
            raise
        return waiter

    # -------------------------------------------------------- the task side

    # The kernel a task runs on is the one running in this thread (run()
    # and run_once() say so: trampoline.kernel.running_kernel()): no trap needed
    # to ask, so checking, joining the line and parking are one step.

    @coroutine
    def _task_put(self, item):
        with self._lock:
            self._refuse_if_shut_down("put")
            if not (self.full() or self._putters):
                self._store(item)
                return
            waiter = _Waiter(running_kernel(), WaitQueue(threadsafe=True))
            self._putters.append(waiter)
        yield from self._park(waiter, self._putters)
        with self._lock:
            self._fill_slot(waiter, item)

    @coroutine
    def _task_get(self):
        with self._lock:
            if self._items:
                return self._take()
            self._refuse_if_shut_down("get")
            waiter = _Waiter(running_kernel(), WaitQueue(threadsafe=True))
            self._getters.append(waiter)
        yield from self._park(waiter, self._getters)
        return self._got(waiter)

    @coroutine
    def _task_join(self):
        with self._lock:
            if not self._unfinished:
                return
            waiter = _Waiter(running_kernel(), WaitQueue(threadsafe=True))
            self._joiners.append(waiter)
        yield from self._park(waiter, self._joiners)

    def _park(self, waiter, line):
        """Park the task until ``waiter`` is handed something.  Joining the
        line and parking happen in one step of the task, so a wake-up from
        another thread (run by its kernel between steps) finds it parked."""
        try:
            yield park(waiter.wake_up)
        except GeneratorExit:           # a dropped task, closed -- by the garbage
            waiter.closed = True        # collector, perhaps in a thread that holds
            raise                       # the lock: no lock here.  Still in line, it
                                        # is passed over (_hand); handed something
                                        # already, it is dropped with it
        except BaseException:           # cancelled, timed out
            with self._lock:
                self._give_up(waiter, line)
            raise

    # -------------------------------------------- moving things (lock held)

    def _store(self, item):
        """A new item (unfinished until its task_done): hand it to the first
        waiting getter, or keep it."""
        self._unfinished += 1
        if not self._to_a_getter(item):
            self._items.append(item)

    def _to_a_getter(self, item):
        """Hand ``item`` to the first getter still waiting; False if none is."""
        while self._getters:
            if self._hand(self._getters.popleft(), item):
                return True
        return False

    def _fill_slot(self, waiter, item):
        """A putter woken with a slot reserved for it puts its item there.
        (If a waiting getter takes the item instead, the slot is free again:
        the next putter may have it.)  Shut down meanwhile: the slot is
        given back, and it raises ``QueueShutDown``, as ``trampoline.Queue``'s."""
        if waiter.item is _SHUT_DOWN:       # shut down before it had a slot
            raise QueueShutDown("%r was shut down while put() waited" % self)
        self._reserved -= 1
        if self._shut_down:
            raise QueueShutDown("%r was shut down while put() waited" % self)
        self._store(item)
        self._admit_putters()

    def _got(self, waiter):
        """A woken getter's item (``QueueShutDown`` if it was woken by the
        shutdown)."""
        if waiter.item is _SHUT_DOWN:
            raise QueueShutDown("%r was shut down while get() waited" % self)
        return waiter.item

    def _refuse_if_shut_down(self, what):
        """Lock held: ``put``, or ``get`` on the empty queue, once shut down."""
        if self._shut_down:
            raise QueueShutDown("%s() on %r, which was shut down%s"
                                % (what, self, " and is empty" if what == "get" else ""))

    def _take(self):
        item = self._items.popleft()
        self._admit_putters()
        return item

    def _admit_putters(self):
        """Room for waiting putters: reserve it for them, in order."""
        while self._putters and not self.full():
            if self._hand(self._putters.popleft(), None):
                self._reserved += 1

    def _give_up(self, waiter, line):
        """``waiter`` stops waiting.  Still in line: it leaves.  Handed an
        item: the item goes first in line again (the queue may hold one item
        over ``maxsize`` for a while).  Handed a slot: the slot goes on.
        Handed its leave to go (a joiner): nothing to give back."""
        if not waiter.handed:
            if waiter in line:          # (else passed over: its kernel was closed)
                line.remove(waiter)
        elif waiter.item is _SHUT_DOWN:
            pass                        # woken by the shutdown: nothing to give back
        elif line is self._getters:
            item, waiter.item = waiter.item, None
            if self._dropping:          # shut down with immediate=True: it goes, done
                self._done_one()
            elif not self._to_a_getter(item):
                self._items.appendleft(item)
        elif line is self._putters:
            self._reserved -= 1
            self._admit_putters()

    @staticmethod
    def _hand(waiter, item):
        """Give ``waiter`` its item (or slot, or leave to go) and wake it.
        False if it is a task whose kernel was closed while it waited
        (``close()`` does not end tasks), or whose coroutine was closed: it
        will never run, so it must not be handed anything -- the item would
        be lost, the slot held for ever."""
        if waiter.closed:
            return False
        waiter.item = item
        waiter.handed = True
        kernel = waiter.kernel
        if kernel is None:
            waiter.wake_up.notify()                 # a thread, in Condition.wait
        elif kernel.owns_thread():
            waiter.wake_up.wake()                   # a task of this very kernel
        else:
            try:
                kernel.call_threadsafe(waiter.wake_up.wake)
            except RuntimeError:                    # its kernel is closed
                waiter.item, waiter.handed = None, False
                return False
        return True

    def __repr__(self) -> str:
        return ("<UniversalQueue size=%d maxsize=%d getters=%d putters=%d "
                "unfinished=%d joiners=%d>" % (
                    len(self._items), self.maxsize, len(self._getters), len(self._putters),
                    self._unfinished, len(self._joiners)))


def _called_by_task(what, timeout):
    """Is ``put``/``get``/``join`` being called by a task (not a thread)?

    Yes when a kernel runs in this thread and the caller's code is a
    generator or coroutine.  A plain function in a running kernel's thread
    would block the kernel: refused, with what to do instead.
    """
    kernel = running_kernel()
    if kernel is None:
        return False
    if not sys._getframe(2).f_code.co_flags & _TASK_CODE:
        raise RuntimeError(
            "UniversalQueue.%s() called from a plain function in the thread of a "
            "running kernel (%r): blocking there would freeze every task.  In a task "
            "write 'yield q.%s(...)' (or 'await'); elsewhere %s"
            % (what, kernel, what, _instead(what)))
    if timeout is not None:
        raise TypeError("UniversalQueue.%s(timeout=...) is for threads; in a task "
                        "write 'yield timeout_after(%r, q.%s(...))'" % (what, timeout, what))
    return True


def _thread_timeout(what, timeout):
    """A thread's ``timeout``: None or seconds >= 0 (``inf``: None).  Checked
    before the call joins a line: one that failed there stayed in it, and
    swallowed the next item (or held a slot for ever)."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError("UniversalQueue.%s(): timeout must be a number of seconds or None, "
                        "got %r" % (what, timeout))
    seconds = float(timeout)
    if not seconds >= 0:                # (negative, or NaN)
        raise ValueError("UniversalQueue.%s(): timeout must be a number of seconds >= 0 "
                         "or None, got %r" % (what, timeout))
    return None if seconds == float("inf") else seconds


def _refuse_to_block_a_loop(what):
    """A blocking call in the thread of a running asyncio loop (perhaps the
    one driving a kernel with run_once) would freeze that loop."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None and asyncio._get_running_loop() is not None:
        raise RuntimeError(
            "UniversalQueue.%s() would block the thread of a running asyncio loop; %s"
            % (what, _instead(what)))


def _instead(what):
    """What a refused blocking call may do instead (join has no _nowait)."""
    if what == "join":
        return "call it from another thread"
    return "use %s_nowait(), or call it from another thread" % what
