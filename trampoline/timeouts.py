"""Timeouts: give up on work that takes too long.

A timeout is a *scope* with a deadline, built on one kernel primitive, the
*alarm*: "at this time, throw this exception into this task -- and again at
each of its blocking traps, until the alarm is cleared".  Two ways to use it::

    result = yield timeout_after(5, fetch(url))     # a coroutine, or a trap

    with timeout_after(5):                          # a block (generator code)
        data = yield stream.read()
    async with timeout_after(5):                    # the same in async def
        data = await stream.read()

When the deadline passes, the scope's own exception -- a ``Cancelled`` of
its own, a ``TimeoutCancelled`` -- lands at the trap where the work is
blocked, the work's ``finally`` blocks run, and the scope turns it into
``TaskTimeout`` for its caller (``ignore_after`` swallows it, and its
``expired`` says so).

The rules, as in curio and trio except where said:

* **Level-triggered.**  Once its deadline has passed, *every* blocking trap
  inside the scope raises the scope's cancellation, until the scope exits:
  work that catches it and carries on is cancelled again at its next
  blocking trap.  A scope whose deadline passed raises ``TaskTimeout`` at
  its exit even if the work inside swallowed the cancellation (and
  ``ignore_after(seconds, work)`` returns its default, not the work's
  value), however the block goes on after -- a ``shield`` that hands a
  later delivery back included.  (Stricter than curio, trio and asyncio,
  which let such a block end as if it had finished in time: here work
  that ignores its deadline cannot look as if it met it.)
* **What the work got stands.**  A deadline that passes while its
  cancellation cannot reach the work -- the task was handed something it
  must keep (a thread's result, a ``select``'s winner) and has not run yet,
  or it defers cancellation -- is thrown in at the next blocking trap.  If
  the block ends before that, it ends as finished (not ``expired``), with
  its result: a timeout never drops what the work already holds (trio's
  rule; curio's too).
* **Nested scopes compose.**  ``TimeoutCancelled`` is a ``BaseException``,
  so it passes through ordinary ``except`` clauses, and through every inner
  scope, up to the scope that owns it.  An outer deadline that passes while
  an inner scope is expiring wins: the inner scope passes the outer one's
  cancellation on instead of raising its own ``TaskTimeout``.  When two
  deadlines pass at once -- equal, or both past when the kernel looks --
  the outer one wins: its cancellation is the one thrown in (trio's rule).
* **A cancel stays a cancel.**  If the task is cancelled inside the scope
  and its cleanup then outlasts the deadline, the scope raises the
  cancellation, not ``TaskTimeout``.  So it does if the cancel comes after
  the deadline, as the expired work's cleanup defers it (a TaskGroup
  waiting for its children does): the code after the scope does not run
  (as in asyncio and trio).
* **An inner ``TaskTimeout`` is an ordinary error.**  Left uncaught, it
  passes through the scopes around it unchanged, as asyncio's
  ``TimeoutError`` and trio's ``TooSlowError`` do (curio makes it an
  ``UncaughtTimeoutError`` at an outer scope that has not expired).
* ``seconds=None`` means no deadline at all.

This module never touches the kernel's insides: it uses the kernel's public
``set_alarm``, ``clear_alarm``, ``alarm_gone_off``, ``alarm_taken``,
``due_alarm``, ``take_cancel`` and ``time``, the ``current_task``
primitive and ``hostloop.running`` (the kernel running in this thread).
"""

import sys
from functools import lru_cache
from types import CoroutineType, GeneratorType, coroutine
from weakref import ref as _weak_reference

from typing import Any, Awaitable, Generator, Optional, TypeVar, overload

from .combinators import _check_work
from .errors import Cancelled, TrampolineError
from .hostloop import running
from .kernel import CoroutineLike, current_task, running_kernel
from .traps import Trap, _close_dropped

__all__ = ["TaskTimeout", "TimeoutCancelled", "TimeoutScope", "timeout_after", "ignore_after",
           "timeout_at", "ignore_at", "current_time"]

T = TypeVar("T")


class TaskTimeout(TrampolineError, TimeoutError):
    """``timeout_after`` gave up: the work took longer than allowed."""


class TimeoutCancelled(Cancelled):
    """The cancellation a timeout delivers into the work it interrupts;
    ``scope`` is the ``TimeoutScope`` it belongs to."""

    # A slot, not a __dict__ (a scope per request makes one of these), set
    # by the scope; read as ``scope``.
    __slots__ = ("_scope",)

    @property
    def scope(self) -> "Optional[TimeoutScope]":
        """The ``TimeoutScope`` that delivered it (None for one made by hand)."""
        return getattr(self, "_scope", None)

    def __str__(self) -> str:
        # Its message is made only if someone reads it: most deadlines
        # are met, and a scope per request should cost no formatting.
        if not self.args and self.scope is not None:
            return self.scope._message()
        return super().__str__()

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, str(self))


def current_time() -> float:
    """The running kernel's clock (``time.monotonic``, or the ``clock`` the
    kernel was given): what ``timeout_at`` and ``ignore_at`` deadlines are
    measured on.  Raises ``RuntimeError`` outside a running kernel."""
    kernel = running_kernel()
    if kernel is None:
        raise RuntimeError("current_time() needs a running kernel")
    return kernel.time()


class TimeoutScope:
    """A block with a deadline: what ``timeout_after(seconds)``,
    ``ignore_after(seconds)``, ``timeout_at(deadline)`` and
    ``ignore_at(deadline)`` return when given no coroutine.

    ``with scope:`` in generator code, ``async with scope:`` in ``async
    def``; either way inside a task.  ``expired`` is True once the block has
    ended past its deadline (not if the deadline never reached the work,
    which then ended: see the module's rules); ``deadline`` is on the kernel's clock (None:
    no deadline).  A scope is used once.

    ``deadline`` may be changed, from any task in the kernel's thread (as
    trio's ``CancelScope.deadline`` and asyncio's ``Timeout.reschedule``):
    before the block, or while it runs -- later, earlier (a time already
    past: the block is interrupted at its next blocking trap), or None (no
    deadline).  Once the deadline has gone off, the block stays expired
    whatever the deadline becomes (trio's rule): its cancellation comes at
    every blocking trap, and what the work did with it stands.  A deadline
    goes off when the kernel next looks -- as the task blocks, at the end of
    the loop's turn -- not as it is set: one moved into the past and away
    again before then never went off (as asyncio's ``reschedule``; trio
    cancels the scope at once).
    """

    # Until the block runs (class defaults: a scope per request sets only
    # what it must).
    expired = False
    _task = _kernel = _alarm = _exception = None    # type: Any
    _cancel_before = None           # type: Optional[BaseException]
    _used = False
    _went_off = None    # type: Optional[float]  # the deadline that went off, if moved after
    _placed = None      # type: Any  # its last alarm, cleared by a move to None: its rank

    def __init__(self, seconds: Optional[float] = None, *, deadline: Optional[float] = None,
                 ignore: bool = False, what: Optional[str] = None) -> None:
        if seconds is not None:
            if (type(seconds) is not float and (type(seconds) is not int or seconds > _FLOAT_MAX)
                    or seconds != seconds):
                _check_number(seconds, "seconds")
            if seconds < 0:
                raise ValueError("a timeout needs seconds >= 0 (or None), got %r" % (seconds,))
        if deadline is not None:
            _check_number(deadline, "deadline")
            if seconds is not None:
                raise ValueError("a timeout takes seconds or a deadline, not both: got seconds=%r, "
                                 "deadline=%r" % (seconds, deadline))
        self._seconds = seconds
        self._deadline = deadline
        self._ignore = ignore
        self._what = what               # the work's name, for the message

    def __enter__(self) -> "TimeoutScope":
        task = current_task()
        if task is None:
            raise RuntimeError("a timeout block runs inside a task: 'with timeout_after(...)' "
                               "in a generator task, 'async with' in an async def")
        if self._used:
            raise RuntimeError("%r has been used; make a new one for each block" % self)
        self._used = True
        kernel = running.kernel         # (a task runs: so does a kernel)
        if self._seconds is not None:
            self._deadline = kernel.time() + self._seconds
        self._task, self._kernel = task, kernel     # (active: see the deadline setter)
        self._cancel_before = task.last_cancel
        if self._deadline is not None:      # (_arm, written out: once per scope)
            self._exception = TimeoutCancelled()
            self._exception._scope = self
            self._alarm = kernel.set_alarm(task, self._deadline, self._exception)
        else:                               # its place among the task's scopes, for when
            self._placed = kernel.set_alarm(task, None, None)   # it is given a deadline
        return self

    def _arm(self, deadline, replacing=None):
        exception = self._exception
        if exception is None:
            exception = self._exception = TimeoutCancelled()
            exception._scope = self
        self._alarm = self._kernel.set_alarm(self._task, deadline, exception, replacing)

    @property
    def deadline(self) -> Optional[float]:
        """When the block is interrupted, on the kernel's clock (None: never;
        None too for a ``timeout_after`` scope not yet entered).  Settable:
        see the class's docstring."""
        return self._deadline

    @deadline.setter
    def deadline(self, deadline: Optional[float]) -> None:
        if deadline is not None:
            _check_number(deadline, "deadline")
        gone_off = self._deadline           # (a time already past, if it went off)
        self._deadline = deadline
        self._seconds = None                # (its message names the deadline now)
        task = self._task
        if task is None:                    # not entered yet, or done with
            return
        alarm = self._alarm
        if alarm is not None and self._kernel.alarm_gone_off(alarm):
            if self._went_off is None:      # it went off: it stays expired, its alarm
                self._went_off = gone_off   # pending (at every blocking trap) and
            return                          # marked with what the work took of it
        if alarm is not None:
            self._kernel.clear_alarm(task, alarm)
        else:
            alarm = self._placed            # (moved to None before, or None from the start)
        if deadline is not None:            # the new alarm ranks as the old: after the
            self._arm(deadline, alarm)      # outer scopes', before the inner ones'
        else:
            self._alarm, self._placed = None, alarm

    def __exit__(self, kind: Any, exc: Any, traceback: Any) -> bool:
        task, kernel, alarm = self._task, self._kernel, self._alarm
        self._task = self._alarm = None
        if alarm is None:                   # no deadline
            return False
        if kernel.clear_alarm(task, alarm):
            return False                    # in time: whatever happened goes on
        mine = self._exception
        if exc is None and not kernel.alarm_taken(alarm):
            # It went off, but never reached the work: the task held what it
            # must keep, or deferred cancellation, and the block then ended
            # without blocking again.  The work finished; undoing it would
            # lose what it got.
            return False
        self.expired = True
        if exc is not None and exc is not mine:
            return False                    # someone else's exception goes on
        # Our deadline passed.  Something more senior may be under way.
        last = task.last_cancel
        while getattr(last, "_absorbed", False):    # a TaskGroup inside took back its
            last = last._before                     # own: spent, the one before counts
        if last is not self._cancel_before and last is not None:
            raise last                  # a cancel stays a cancel
        last = kernel.take_cancel(task)
        if last is not None:
            raise last                  # one that came as the work deferred it: the same
        outer = kernel.due_alarm(task)
        if outer is not None:
            raise outer                     # an outer deadline passed too: its turn
        if self._ignore:
            return True
        raise TaskTimeout(self._message(did_not_finish=True)) from exc

    @coroutine
    def __aenter__(self) -> Generator[Any, Any, "TimeoutScope"]:
        return self.__enter__()
        yield                               # a generator, so it is awaitable (never reached)

    @coroutine
    def __aexit__(self, kind: Any, exc: Any, traceback: Any) -> Generator[Any, Any, bool]:
        return self.__exit__(kind, exc, traceback)
        yield                               # (never reached)

    def _message(self, did_not_finish=False):
        if self._seconds is not None:
            limit = "within %g s" % self._seconds
        else:
            deadline = self._deadline if self._went_off is None else self._went_off
            limit = "by its deadline (%g on the kernel's clock)" % deadline
        if did_not_finish:
            return "%s did not finish %s" % (self._what or "the block", limit)
        return "timed out: not finished %s" % limit

    def __repr__(self) -> str:
        state = ("expired" if self.expired else "active" if self._task
                 else "finished" if self._used else "idle")
        return "<TimeoutScope deadline=%s %s>" % (self._deadline, state)


_FLOAT_MAX = sys.float_info.max


def _check_number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("the timeout's %s must be a number or None, got %r" % (name, value))
    if value != value:
        raise ValueError("the timeout's %s must not be NaN" % name)
    if isinstance(value, int) and abs(value) > _FLOAT_MAX:
        # (it would fail later, as an OverflowError naming nothing: at the
        # block's entry, or in the message)
        raise ValueError("the timeout's %s must be a number a float can hold (None: no deadline), "
                         "got an int of %d bits" % (name, value.bit_length()))


@coroutine
def _run_in(itself, scope, coro, default, delegate):
    try:
        yield                               # primed (traps._prime): here until it runs
    except GeneratorExit:                   # dropped before it ran (a cancellation
        _close_dropped(itself, coro)        # came first): its work is closed too
        raise
    with scope:
        if delegate:                        # a generator or coroutine: run right here
            result = yield from coro        # (not a second call through the kernel)
        else:
            result = yield coro             # a trap, or another awaitable
    # Expired (ignore_* swallowed it, or the work swallowed its cancellation
    # and returned: the block is timed out all the same): the default.
    return default if scope.expired else result


@overload
def timeout_after(seconds: Optional[float]) -> "TimeoutScope": ...
@overload
def timeout_after(seconds: Optional[float], coro: "CoroutineLike[T]") -> Awaitable[T]: ...
@overload
def timeout_after(seconds: Optional[float], coro: Trap) -> Awaitable[Any]: ...
def timeout_after(seconds: Optional[float], coro: Any = None) -> Any:
    """``result = yield timeout_after(seconds, coro)``, or as a block:
    ``with timeout_after(seconds):`` / ``async with timeout_after(seconds):``

    Run ``coro`` (a generator, coroutine or single trap) and return its
    result, or raise ``TaskTimeout`` if it has not finished after
    ``seconds`` -- by then it has been cancelled and its cleanup has run.
    Without ``coro``, return a ``TimeoutScope`` for a ``with`` block, which
    raises ``TaskTimeout`` at its exit if the deadline passed.
    ``seconds=None``: no deadline.  Awaitable in an ``async def``.  Nested
    timeouts compose (see the module's docstring).
    """
    return _timeout(coro, None, "timeout_after", seconds, seconds)


@overload
def ignore_after(seconds: Optional[float]) -> "TimeoutScope": ...
@overload
def ignore_after(seconds: Optional[float], coro: "CoroutineLike[T]", default: Any = None) -> Awaitable[Any]: ...
@overload
def ignore_after(seconds: Optional[float], coro: Trap, default: Any = None) -> Awaitable[Any]: ...
def ignore_after(seconds: Optional[float], coro: Any = None, default: Any = None) -> Any:
    """``result = yield ignore_after(seconds, coro, default=None)``, or
    ``with ignore_after(seconds) as scope: ...`` then ``scope.expired``.

    Like ``timeout_after``, but on expiry return ``default`` (the block form:
    go on after the block, with ``scope.expired`` True) instead of raising.
    """
    return _timeout(coro, default, "ignore_after", seconds, seconds, ignore=True)


@overload
def timeout_at(deadline: Optional[float]) -> "TimeoutScope": ...
@overload
def timeout_at(deadline: Optional[float], coro: "CoroutineLike[T]") -> Awaitable[T]: ...
@overload
def timeout_at(deadline: Optional[float], coro: Trap) -> Awaitable[Any]: ...
def timeout_at(deadline: Optional[float], coro: Any = None) -> Any:
    """``timeout_after`` with an absolute ``deadline`` on the kernel's clock
    (see ``current_time()``)."""
    return _timeout(coro, None, "timeout_at", deadline, deadline=deadline)


@overload
def ignore_at(deadline: Optional[float]) -> "TimeoutScope": ...
@overload
def ignore_at(deadline: Optional[float], coro: "CoroutineLike[T]", default: Any = None) -> Awaitable[Any]: ...
@overload
def ignore_at(deadline: Optional[float], coro: Trap, default: Any = None) -> Awaitable[Any]: ...
def ignore_at(deadline: Optional[float], coro: Any = None, default: Any = None) -> Any:
    """``ignore_after`` with an absolute ``deadline`` on the kernel's clock."""
    return _timeout(coro, default, "ignore_at", deadline, deadline=deadline, ignore=True)


def _timeout(coro, default, function, limit, seconds=None, deadline=None, ignore=False):
    """The scope, or with ``coro`` the scope running it (what the four
    functions above return)."""
    if coro is None:
        return TimeoutScope(seconds, deadline=deadline, ignore=ignore)
    name = getattr(coro, "__qualname__", None)     # (a trap has none)
    delegate = name is not None and (type(coro) is GeneratorType or type(coro) is CoroutineType)
    if not delegate and not isinstance(coro, Trap):
        _check_work(coro, function + "()")  # (a function, 42: a TypeError at this line)
    if name is None:
        name = type(coro).__name__
    itself = []                         # type: list  # (traps._prime, written out)
    gen = _run_in(itself, TimeoutScope(seconds, deadline=deadline, ignore=ignore, what=name),
                  coro, default, delegate)
    itself.append(_weak_reference(gen))
    next(gen)
    # What a traceback, a task name or an outer timeout's message shows.
    gen.__qualname__ = gen.__name__ = _label(function, limit) + name + ")"
    return gen


@lru_cache(maxsize=64)
def _label(function, limit):
    """``"timeout_after(5, "``: a timeout's name but for its work's (made
    once per function and limit: a timeout per request reuses it)."""
    return "%s(%s, " % (function, "None" if limit is None else "%g" % limit)
