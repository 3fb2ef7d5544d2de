"""Task: one generator coroutine and its trampoline call stack.

A task is what the kernel schedules.  It wraps the coroutine it was spawned
with and, while that coroutine calls subroutines (``value = yield sub()``),
the stack of generators below it: ``_coro`` is the innermost frame, the one
the kernel resumes; ``_stack`` holds its callers.  Everything else here is
bookkeeping the kernel reads and writes directly (attribute access is the
cheapest thing CPython does); users see the read-only surface: ``id``,
``name``, ``done``, ``cancelled``, ``result``, ``exception``.

This module knows nothing of sockets or selectors and never blocks.
"""

import contextvars
import copy
import logging
import re
import traceback
import weakref
from typing import Any, Callable, Coroutine, Generator, List, Optional, Tuple, TypeVar, Union

from .errors import Cancelled, TaskError

__all__ = ["Task", "add_crash_hook", "remove_crash_hook"]

# "outer.<locals>." in a qualified name: what Task.name leaves out.
_LOCALS = re.compile(r"[\w.]*<locals>\.")

T = TypeVar("T")

#: What a task runs: a generator that yields traps, or an ``async def``
#: coroutine object, returning a ``T``.
CoroutineLike = Union[Generator[Any, Any, T], Coroutine[Any, Any, T]]

log = logging.getLogger("trampoline")


class Task:
    """A running coroutine.  Made by the ``spawn`` trap (or by ``run``)."""

    __slots__ = (
        "id", "_name", "_coro", "_stack",
        "_value", "_exc", "_next_trap", # what to do when it next runs
        "_pending",                     # exceptions for its next blocking trap (a list)
        "_woken",                       # what made it ready with a value (see Kernel._cancel)
        "_waiting",                     # the trap it is parked on, or None
        "_timer",                       # its entry in the sleep heap, or None
        "_joiners",                     # tasks parked in join/cancel on it
        "_fds",                         # descriptors it registered (an int, a set)
        "_context",                     # its contextvars.Context (set by the kernel)
        "_last_cancel",                 # the last Cancelled thrown in by cancel()
        "_deferring",                   # > 0: cancellations wait (Kernel.defer_cancellation)
        "done", "_result", "_exception",
        "_unreported",                  # a crash report waiting to be logged
        "__weakref__",
    )

    def __init__(self, coro, task_id, name=None):
        self.id = task_id
        # The function's qualified name unless given one (spawn lets in only
        # a generator or coroutine); see ``name``.
        self._name = name or coro.__qualname__
        self._coro = coro
        self._stack = ()                # a list from its first subroutine call
        self._value = None
        self._exc = None
        self._next_trap = None
        self._pending = None
        self._woken = None
        self._waiting = None
        self._timer = None
        self._joiners = None            # made when the first one comes
        self._fds = None                # likewise
        self._context = None
        self._last_cancel = None
        self._deferring = 0
        self.done = False
        self._result = None
        self._exception = None
        self._unreported = None

    @property
    def name(self) -> str:
        """The function's qualified name, without the "outer.<locals>." of
        a function defined inside another ("Server.handle", "echo"; and
        "timeout_after(5, fetch)"), or the name given to ``spawn``.  It may
        be set, to a string (else ``TypeError``).
        (Worked out when asked: spawning is hot.)"""
        name = self._name               # (the test first: the pattern is slow on a long name)
        return _LOCALS.sub("", name) if "<locals>" in name else name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Task.name must be a string, got %s %r"
                            % (type(value).__name__, value))
        self._name = value

    @property
    def result(self) -> Any:
        """The task's return value.  Raises ``TaskError`` (its ``__cause__``
        the task's exception) if it failed or was cancelled, and
        ``RuntimeError`` if it has not finished."""
        if not self.done:
            raise RuntimeError("%r has not finished; join it first" % self)
        self._mark_retrieved()
        if self._exception is not None:
            raise TaskError("%r failed" % self, self) from self._exception
        return self._result

    @property
    def exception(self) -> Optional[BaseException]:
        """The exception the task ended with, or ``None``.  Raises
        ``RuntimeError`` if it has not finished."""
        if not self.done:
            raise RuntimeError("%r has not finished; join it first" % self)
        self._mark_retrieved()
        return self._exception

    @property
    def cancelled(self) -> bool:
        """Whether the task ended by a ``Cancelled`` (a cancel, or a
        timeout's, that it did not catch)."""
        return isinstance(self._exception, Cancelled)

    @property
    def last_cancel(self) -> Optional[BaseException]:
        """The ``Cancelled`` most recently thrown into this task by ``cancel``
        (or by the kernel's shutdown), or None.  A timeout scope looks at it,
        so that a cancel thrown in inside the scope stays a cancel.  Once
        the task has finished, only the ``Cancelled`` it ended with: one it
        caught is let go, and with it the frames its traceback holds."""
        return self._last_cancel

    @property
    def outcome(self) -> Optional[Tuple[str, Any]]:
        """How the task ended, for tools that show it (the trace, the
        monitor): ``("returned", value)``, ``("raised", exception)`` or
        ``("cancelled", the Cancelled)``; None while it runs.  Unlike
        ``exception`` and ``result``, it does not count as looking: a crash
        nobody else sees is still reported."""
        if not self.done:
            return None
        exc = self._exception
        if exc is None:
            return ("returned", self._result)
        return ("cancelled" if isinstance(exc, Cancelled) else "raised", exc)

    @property
    def waiting(self) -> Any:
        """The trap the task is parked on (a ``read``, a ``sleep``...), or
        None while it is ready, running or done: what ``ps`` and the trace
        show it waits for (``trace.describe_wait(task.waiting)``)."""
        return self._waiting

    @property
    def coro(self) -> Any:
        """The generator or coroutine the task runs now -- the innermost of
        its trampoline's subroutine calls -- or None once it has finished."""
        return self._coro

    @property
    def state(self) -> str:
        """A word for a person: ready, parked, done, crashed or cancelled."""
        if self.done:
            if self.cancelled:
                return "cancelled"
            return "crashed" if self._exception is not None else "done"
        return "parked" if self._waiting is not None else "ready"

    def __repr__(self) -> str:
        state = self.state
        if state == "parked":
            state = "parked on %r" % (self._waiting,)
        elif state == "crashed":
            state = "crashed with %r" % (self._exception,)
        return "<Task %d %s %s>" % (self.id, self.name, state)

    def where(self) -> List[Tuple[str, int, str]]:
        """The task's call stack, outermost first, as ``(filename, lineno,
        function)``: through the trampoline's stack of subroutines and, in
        each, through ``yield from`` / ``await`` chains.  Empty when done.
        (The trap's own ``__await__``, under every ``await sleep(1)``, is
        left out: the stack ends at the line that awaits.)"""
        frames = []
        for coro in [*self._stack, self._coro]:
            while coro is not None:
                frame = getattr(coro, "gi_frame", None) or getattr(coro, "cr_frame", None)
                if frame is not None and not (frame.f_code.co_name == "__await__" and
                                              frame.f_globals.get("__name__") == "trampoline.traps"):
                    frames.append((frame.f_code.co_filename, frame.f_lineno,
                                   frame.f_code.co_name))
                coro = getattr(coro, "gi_yieldfrom", None) or getattr(coro, "cr_await", None)
        return frames

    def _mark_retrieved(self):
        """Somebody looked at the outcome: a crash needs no report."""
        if self._unreported is not None:
            self._unreported.detach()
            self._unreported = None

    def _crashed_unseen(self):
        """Arrange for this crash to be logged unless somebody looks at it.

        asyncio's rule: the report comes when the last reference to the task
        goes (CPython frees a fire-and-forget task as soon as it ends), or
        when the kernel's run() ends, whichever is first.  A finalizer, not
        ``__del__``, so tasks that end well cost nothing.
        """
        exc = self._exception
        # The report is written now, while the traceback is at hand, and the
        # finalizer keeps only its text and a bare copy of the exception.
        # Holding the exception itself would hold the task's frames, and
        # through them often the task (``me = yield current()``): the task
        # would never be freed, nor its crash reported, until run() ends.
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        # Logged in the task's own context (the kernel ends a task in it), as
        # asyncio does: a logging filter reading a context variable -- a
        # request's id -- sees the task's, not that of whatever frees it.
        context = contextvars.copy_context()
        self._unreported = weakref.finalize(self, context.run, _log_crash, self.id, self.name,
                                            type(exc), _bare(exc), text.rstrip())


def _bare(exc):
    """A copy of ``exc`` without its traceback (None if it will not copy)."""
    try:
        return copy.copy(exc)
    except Exception:
        return None


#: How a crash nobody joined is logged (trampoline.testing looks for it).
CRASH_REPORT = "Task %d %s crashed and was never joined"


# (task_id, name, exception or None, the report's text): see add_crash_hook.
CrashHook = Callable[[int, str, Optional[BaseException], str], Any]
_crash_hooks = []  # type: List[CrashHook]


def add_crash_hook(hook: CrashHook) -> None:
    """Call ``hook(task_id, name, exc, text)`` for each crash nobody joined,
    when it is reported (see ``Task``), beside the log's ERROR record --
    whatever the ``trampoline`` logger's level.  ``exc`` is a copy of the
    exception without its traceback (None if it would not copy); ``text``
    is the whole report, its first line "Task 7 handler crashed and was
    never joined", then the traceback.  For every kernel, in every thread,
    as a logging handler is; ``remove_crash_hook`` undoes it.  An error in
    a hook is logged, and the report goes on to the other hooks.  The
    pytest plugin fails a test with it."""
    _crash_hooks.append(hook)


def remove_crash_hook(hook: CrashHook) -> None:
    """Undo ``add_crash_hook(hook)`` (ValueError if it was not added)."""
    _crash_hooks.remove(hook)


def _log_crash(task_id, name, kind, exc, text):
    if log.isEnabledFor(logging.ERROR):
        record = log.makeRecord(log.name, logging.ERROR, __file__, 0, CRASH_REPORT,
                                (task_id, name), (kind, exc, None))
        record.exc_text = text          # what formatters print for exc_info
        log.handle(record)
    report = "%s\n%s" % (CRASH_REPORT % (task_id, name), text)
    for hook in list(_crash_hooks):
        try:
            hook(task_id, name, exc, report)
        except Exception:
            log.exception("crash hook %r failed on the report of task %d", hook, task_id)
