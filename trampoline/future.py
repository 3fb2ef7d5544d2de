"""Future: a result that one side sets and the other waits for.

rotor's idea: one task (or a plain callback, or another thread) produces a
value, another waits for it.  ``set_result``/``set_exception`` may be called
from any thread -- the waiting task is woken through the kernel's
``call_threadsafe`` -- which makes a Future the hand-off point between a
trampoline program and the blocking world around it.

Waiting is ``result = yield fut`` (a Future is awaitable, so the kernel runs
its ``__await__`` as a subroutine), ``yield fut.wait()``, ``yield from fut``
or ``await fut``.
A Future is set once; an exception set and never retrieved is logged
when the Future is freed (asyncio's rule).  Built on a ``WaitQueue(threadsafe=True)`` and the
``current_kernel`` trap (a WaitQueue per kernel: tasks of several kernels,
in several threads, may wait for one Future); never blocks a thread.
"""

import logging
import threading
import traceback
import weakref
from types import coroutine
from typing import Any, Dict, Generator, Generic, Optional, TypeVar

from .kernel import WaitQueue
from .task import _bare
from .traps import current_kernel, park

__all__ = ["Future"]

T = TypeVar("T")

log = logging.getLogger("trampoline")

#: How an exception nobody retrieved is logged, as the Future is freed.
UNRETRIEVED_REPORT = "Future exception was never retrieved: %s"


class Future(Generic[T]):
    """A value to come.  ``set_result(v)`` / ``set_exception(e)`` once;
    tasks ``yield fut`` (or ``yield fut.wait()``) to get it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()   # set_* may come from another thread
        self._done = False
        self._result = None             # type: Optional[T]
        self._exception = None          # type: Optional[BaseException]
        # Its traceback when it was set: each raise starts from that again
        # (as asyncio's), so one waiter's frames never show in another's,
        # nor pile up with every result().
        self._traceback = None          # type: Any
        # The tasks waiting, a WaitQueue per kernel (a WaitQueue belongs to
        # one kernel; tasks of several kernels, in several threads, may wait).
        self._waiting = {}              # type: Dict[Any, WaitQueue]
        # An exception set and not yet retrieved (result(), a wait) is
        # logged when the Future is freed, as asyncio's is: the error a
        # thread handed over is not lost when nobody waited.
        self._unretrieved = None        # type: Optional[weakref.finalize]

    def done(self) -> bool:
        """True once a result or an exception is set."""
        return self._done

    def set_result(self, value: T) -> None:
        """Set the result and wake the waiters.  Any thread.  A Future is
        set once: a second set raises ``RuntimeError``."""
        self._finish(value, None)

    def set_exception(self, exception: BaseException) -> None:
        """Make waiters raise ``exception``.  Any thread.  An exception
        that nobody retrieves -- no ``result()``, no wait -- is logged
        ("Future exception was never retrieved") when the Future is freed,
        as asyncio's is.  A
        ``StopIteration`` is refused with ``TypeError``, as by asyncio: raised
        in a waiting generator it would come out as "generator raised
        StopIteration" (PEP 479)."""
        if not isinstance(exception, BaseException):
            raise TypeError("set_exception() needs an exception, got %r" % (exception,))
        if isinstance(exception, StopIteration):
            raise TypeError("set_exception(%r): a StopIteration cannot be raised in the "
                            "tasks that wait (PEP 479 turns it into RuntimeError); set "
                            "another exception" % (exception,))
        self._finish(None, exception)

    def _finish(self, value: Optional[T], exception: Optional[BaseException]) -> None:
        with self._lock:
            if self._done:
                raise RuntimeError("%r is already done" % self)
            if exception is not None:   # (before _done: another thread may look)
                self._traceback = exception.__traceback__
                # The report is written now, the traceback at hand; the
                # finalizer keeps its text and a bare copy (the exception's
                # frames may hold the Future, which would never be freed).
                text = "".join(traceback.format_exception(type(exception), exception,
                                                          exception.__traceback__))
                self._unretrieved = weakref.finalize(
                    self, _log_unretrieved, "<Future exception=%r>" % (exception,),
                    type(exception), _bare(exception), text.rstrip())
            self._result, self._exception, self._done = value, exception, True
            waiting, self._waiting = self._waiting, {}
        for kernel, queue in waiting.items():
            if kernel.owns_thread():
                queue.wake_all()
            else:
                try:
                    kernel.call_threadsafe(queue.wake_all)
                except RuntimeError:    # its kernel is closed: nobody waits there now
                    pass

    def result(self) -> T:
        """The result now (raises the exception; ``RuntimeError`` if not done)."""
        if not self._done:
            raise RuntimeError("%r has no result yet" % self)
        if self._exception is not None:
            unretrieved = self._unretrieved
            if unretrieved is not None:
                unretrieved.detach()
            raise self._exception.with_traceback(self._traceback)
        return self._result            # type: ignore[return-value]

    @coroutine
    def wait(self) -> Generator[Any, Any, T]:
        """``value = yield fut.wait()``: wait until it is set; return the
        result or raise the exception."""
        if not self._done:
            kernel = yield current_kernel()
            with self._lock:
                # Tell a setter in another thread whom to wake -- under the
                # lock, so it cannot set the result between our check and this.
                queue = None
                if not self._done:
                    queue = self._waiting.get(kernel)
                    if queue is None:
                        queue = self._waiting[kernel] = WaitQueue(threadsafe=True)
            if queue is not None:
                try:
                    yield park(queue)
                except GeneratorExit:   # a dropped task, closed (by the garbage
                    raise               # collector, perhaps while this thread holds
                                        # the lock): still parked, nothing to drop
                except BaseException:   # cancelled, timed out: the last of its
                    with self._lock:    # kernel to wait drops the kernel's WaitQueue
                        if not len(queue) and self._waiting.get(kernel) is queue:
                            del self._waiting[kernel]
                    raise
        return self.result()

    def __await__(self) -> Generator[Any, Any, T]:
        return (yield from self.wait())

    # ``yield from fut`` in a generator, as ``yield from sleep(1)``.
    __iter__ = __await__

    def __repr__(self) -> str:
        if not self._done:
            state = "pending"
        elif self._exception is not None:
            state = "exception=%r" % (self._exception,)
        else:
            state = "result=%r" % (self._result,)
        return "<Future %s>" % state


def _log_unretrieved(what: str, kind: Any, exc: Any, text: str) -> None:
    if log.isEnabledFor(logging.ERROR):
        record = log.makeRecord(log.name, logging.ERROR, __file__, 0, UNRETRIEVED_REPORT,
                                (what,), (kind, exc, None))
        record.exc_text = text          # what formatters print for exc_info
        log.handle(record)
