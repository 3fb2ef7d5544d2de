"""Timeouts: give up on work that takes too long.

``timeout_after(seconds, coro)`` runs ``coro`` as a subroutine under an
*alarm* (a kernel primitive: "in so many seconds, deliver this exception into
this task").  When the alarm goes off, the exception -- a ``Cancelled`` of
this scope's own, a ``TimeoutCancelled`` -- lands at the trap where the work
is blocked, the work's ``finally`` blocks run, and ``timeout_after`` turns
its *own* ``TimeoutCancelled`` into ``TaskTimeout`` for its caller.

Why not raise ``TaskTimeout`` directly inside the work?  Because timeouts
nest.  An outer timeout that expires inside an inner one must not look like
the inner one expiring (code that catches the inner ``TaskTimeout`` to try
something else would swallow the outer deadline).  ``TimeoutCancelled`` is
a ``BaseException`` like every cancellation, so it passes through ordinary
``except`` clauses -- and through every inner ``timeout_after``, which
re-raises any ``TimeoutCancelled`` that is not its own -- up to the scope
that owns it.  When two deadlines are equal the outer one wins: it was set
first, so it goes off first, and the inner alarm, cleared on the way out,
never delivers.

This module never touches the kernel's insides: only the ``set_alarm`` and
``clear_alarm`` traps.
"""

from types import coroutine

from .errors import Cancelled, TrampolineError
from .traps import clear_alarm, set_alarm

__all__ = ["TaskTimeout", "TimeoutCancelled", "timeout_after", "ignore_after"]


class TaskTimeout(TrampolineError, TimeoutError):
    """``timeout_after`` gave up: the work took longer than allowed."""


class TimeoutCancelled(Cancelled):
    """The cancellation a timeout delivers into the work it interrupts;
    ``scope`` says which ``timeout_after`` it belongs to."""


@coroutine
def _under_alarm(seconds, coro, on_timeout):
    scope = TimeoutCancelled("timed out after %g s" % seconds)
    alarm = yield set_alarm(seconds, scope)
    try:
        result = yield coro
    except TimeoutCancelled as exc:
        if exc is not scope:
            raise                   # an outer timeout's: on up to its owner
        return on_timeout(exc)
    finally:
        yield clear_alarm(alarm)
    return result


def timeout_after(seconds, coro):
    """``result = yield timeout_after(seconds, coro)``

    Run ``coro`` (a generator or coroutine object) and return its result,
    or raise ``TaskTimeout`` if it has not finished after ``seconds`` -- by
    then it has been cancelled and its cleanup has run.  Awaitable in an
    ``async def``.  Nested timeouts compose (see the module's docstring).
    """
    def expired(exc):
        raise TaskTimeout("%s did not finish within %g s" % (_name(coro), seconds)) from exc
    return _named(_under_alarm(seconds, coro, expired), "timeout_after", seconds, coro)


def ignore_after(seconds, coro, default=None):
    """``result = yield ignore_after(seconds, coro, default=None)``

    Like ``timeout_after``, but on expiry return ``default`` instead of
    raising.
    """
    return _named(_under_alarm(seconds, coro, lambda exc: default), "ignore_after", seconds, coro)


def _name(coro):
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def _named(gen, function, seconds, coro):
    # What a traceback, a task name or an outer timeout's message shows.
    gen.__qualname__ = gen.__name__ = "%s(%g, %s)" % (function, seconds, _name(coro))
    return gen
