"""TaskGroup: children whose parent waits for them.

Structured concurrency in the small, after curio, trio and asyncio: a
group's children are spawned through it, and the parent does not go on past
the group until every child has finished.  The rules:

* **A failure cancels the rest.**  When a child fails, the group cancels the
  other children -- and, inside ``async with TaskGroup()``, the parent's
  body too, at its next blocking trap -- and the group raises one
  ``TaskGroupError`` carrying every failure, in the order they happened.
* **Errors are never dropped.**  If the body itself raises while children
  fail, the error carries the body's exception first, then the children's.
  If the parent is cancelled, the cancellation propagates (a cancel stays a
  cancel) and the children's failures are logged -- the body's error too,
  if it had failed before; so are those that
  ``cancel_remaining()``, which raises nothing, finds untold, and those of
  a group dropped without a ``join()``.
* **The body's cancellation ends with the body.**  The group cancels its
  body with a ``TaskGroupCancelled`` of its own, which the group absorbs; if
  the body never reached a blocking trap to get it, the group takes it back
  at its exit.  A cancel from outside that arrives meanwhile is kept, and
  comes at the parent's next blocking trap.
* **A cancelled child is no failure.**  Cancel one child (or call
  ``cancel_remaining()``) and the group goes on; ``join()`` gives ``None``
  as that child's result.
* **Open until its last child ends.**  A child may spawn a sibling into the
  group while the parent waits at the end of the block; a group that has
  finished, or is cancelling its children, refuses new ones
  (``RuntimeError``, and the refused coroutine is closed).  A group is
  one ``async with`` block: entering it again is a ``RuntimeError``.
* **It keeps what it started.**  Each child, with its result, stays in the
  group until the group is dropped -- ``join()`` gives every result -- so a
  group that lives as long as a server and spawns a child per connection
  grows by a finished task per connection (about 250 bytes): there, let
  ``run_server`` own the connections' tasks, or use a group per batch.

On Python 3.11+ ``TaskGroupError`` is also an ``ExceptionGroup``, so
``except* ValueError:`` works; on every version it has ``.errors``.  There,
a failure that is not an ``Exception`` (a ``BaseException`` of the program's
own, or pytest's ``fail()``) cannot go into an ``ExceptionGroup``: the group
raises a ``BaseExceptionGroup`` of the failures instead, as asyncio does.

In generator code::

    group = TaskGroup()
    yield group.spawn(fetch(a))
    yield group.spawn(fetch(b))
    results = yield group.join()        # [result of a, result of b]

If the parent's own code may fail between ``spawn`` and ``join``, make sure
the children do not outlive it: ``try: ... except BaseException: yield
group.cancel_remaining(); raise``.  ``async with TaskGroup() as group:``
does all of that by itself.  Results can also be taken one by one, as the
children finish, with ``next_done()``.

Built from traps only (``spawn``, ``join``, ``cancel``, ``current``, ``park``).
"""

import logging
import sys
from collections import deque
from types import CoroutineType, GeneratorType, coroutine

from typing import Any, Deque, Generator, List, Optional, Set, Tuple

from .combinators import disable_cancellation
from .errors import Cancelled, TaskError
from .hostloop import running
from .kernel import CoroutineLike, WaitQueue
from .task import Task
from .traps import _close_dropped, _prime, cancel, current, join, park, spawn

__all__ = ["TaskGroup", "TaskGroupError", "TaskGroupCancelled"]

log = logging.getLogger("trampoline")


def _group_error_init(self, message, errors):
    TaskError.__init__(self, message)
    self.errors = list(errors)


if sys.version_info >= (3, 11):
    class TaskGroupError(TaskError, ExceptionGroup):   # noqa: F821 - 3.11+ builtin
        """One or more children of a TaskGroup failed (or the body failed as
        they did).  ``errors`` holds every failure, in the order they
        happened; ``__cause__`` is the first.  On Python 3.11 and newer it
        is also an ``ExceptionGroup`` (``except*`` sees the failures)."""

        def __new__(cls, message, errors):
            return super().__new__(cls, message, list(errors))

        def __init__(self, message, errors):
            self.task = None
            self.errors = list(errors)

        def derive(self, errors):
            """What ``ExceptionGroup.split`` and ``subgroup`` make: the same
            message, these errors."""
            return TaskGroupError(self.message, errors)
else:
    class TaskGroupError(TaskError):
        """One or more children of a TaskGroup failed (or the body failed as
        they did).  ``errors`` holds every failure, in the order they
        happened; ``__cause__`` is the first.  On Python 3.11 and newer it
        is also an ``ExceptionGroup`` (``except*`` sees the failures)."""

        __init__ = _group_error_init


class TaskGroupCancelled(Cancelled):
    """What a TaskGroup throws into its ``async with`` body when a child
    fails: a ``Cancelled`` of its own, so that the group knows it (and
    absorbs it) and a cancel from outside is never mistaken for it."""

    # True once its group has exited: it is spent, and a timeout scope
    # around the group that expires later does not take it for a cancel
    # still on its way (Task.last_cancel is still this one).
    _absorbed = False
    # A cancellation the body had when this one cut its group's wait short.
    _hid = None                     # type: Optional[BaseException]
    # The task's last_cancel when this was sent: what a timeout scope around
    # sees instead of this one once it is spent (a cancel stays a cancel).
    _before = None                  # type: Optional[BaseException]


class TaskGroup:
    """A set of child tasks the parent waits for.  See the module docstring."""

    _logged = ()                    # type: Tuple[BaseException, ...]  # failures logged already

    def __init__(self) -> None:
        self._tasks = []            # type: List[Task]  # every child, in spawn order
        self._running = set()       # type: Set[Task]  # children not finished yet
        self._finished = deque()    # type: Deque[Task]  # finished, not yet taken by next_done
        self._errors = []           # type: List[BaseException]  # failures, in order
        self._unseen = []           # type: List[Task]  # failed children nobody was told of
        self._changed = WaitQueue()  # the parent waits here for a child to finish
        self._cancelling = False    # a child failed, or cancel_remaining: no new children
        self._closed = False        # joined, every child done: no new children
        self._entered = False       # its ``async with`` block has begun: one block only
        self._parent = None         # type: Optional[Task]  # running the ``async with`` body
        self._body_cancel = None    # type: Optional[TaskGroupCancelled]  # thrown into that body

    def spawn(self, coro: "CoroutineLike[Any]", *,
              name: Optional[str] = None) -> Generator[Any, Any, Task]:
        """``task = yield group.spawn(coro)``: start a child in the group.
        Raises ``RuntimeError`` (and closes ``coro``) if the group has
        finished or is cancelling its children."""
        itself = []                     # type: List[Any]
        return _prime(self._spawn(itself, coro, name), itself)

    @coroutine
    def _spawn(self, itself: List[Any], coro: "CoroutineLike[Any]",
               name: Optional[str]) -> Generator[Any, Any, Task]:
        try:
            yield                       # primed (traps._prime): here until it runs
        except GeneratorExit:           # dropped before it ran (a cancellation came
            _close_dropped(itself, coro)    # first): as a dropped spawn's, coro is closed
            raise
        if self._closed or self._cancelling:
            if type(coro) is GeneratorType or type(coro) is CoroutineType:
                coro.close()            # (a trap -- spawn(sleep(1)) -- has nothing to close)
            raise RuntimeError("%r has %s; it takes no more children" % (
                self, "finished" if self._closed else "cancelled its children"))
        task = yield spawn(coro, name=name)
        self._tasks.append(task)
        self._running.add(task)
        # A watcher joins the child, so the group learns of its end however
        # it ends -- even cancelled before its first step, when none of its
        # own code runs.
        name = "trampoline: watching %s" % task.name
        try:
            yield spawn(self._watch(task), name=name)
        except BaseException:
            # A cancellation dropped the trap (the kernel had deferred it: our
            # budget was used up).  The child runs: it needs its watcher, or
            # the group would wait for it for ever.
            with disable_cancellation():
                yield spawn(self._watch(task), name=name)
            raise
        return task

    def _watch(self, task):
        failure = None
        # Bookkeeping that must not be cut short (the kernel's shutdown
        # cancels every task, watchers too): the child ends in any case.
        with disable_cancellation():
            try:
                yield join(task)
            except TaskError:
                if not task.cancelled:
                    failure = task.exception
        self._finished.append(task)
        if failure is not None:
            self._errors.append(failure)
            self._unseen.append(task)
            if len(self._errors) == 1:      # the first failure cancels the rest
                self._cancelling = True
                for other in list(self._running):
                    if other is not task:
                        yield cancel(other, wait=False)
                if self._parent is not None and not self._parent.done:
                    self._body_cancel = TaskGroupCancelled(
                        "a child of the TaskGroup failed: %r" % (failure,))
                    before = self._parent.last_cancel
                    while getattr(before, "_absorbed", False):  # (spent: no chain of
                        before = before._before                 # them grows in a task)
                    self._body_cancel._before = before
                    yield cancel(self._parent, wait=False, exception=self._body_cancel)
        # Only now is the child off the books: these cancels are traps, which
        # the kernel may defer (a task's budget), and the group must not end
        # -- its parent go on -- before they are done.
        self._running.discard(task)
        self._changed.wake_all()

    @coroutine
    def _wait_children(self, me=None):
        """Wait until no child is running.  If the waiting task is cancelled
        meanwhile, cancel the children, wait for them all the same, then
        raise that cancellation.  (The group's own cancellation of the body,
        arriving late, is absorbed: the children are being cancelled.)

        ``me``, a child of the group (in ``cancel_remaining``), waits for
        its siblings only -- not for itself -- and, cancelled meanwhile,
        goes at once: the parent waits for them all in any case."""
        try:
            while len(self._running) > (me in self._running):     # (me aside: 1 or 0)
                yield park(self._changed)
        except BaseException as exc:
            if me is not None and me in self._running:
                raise
            with disable_cancellation():    # (an expired timeout fires at every wait)
                if exc is not self._body_cancel:
                    self._cancelling = True
                    for task in list(self._running):
                        yield cancel(task, wait=False)
                while self._running:
                    yield park(self._changed)
            if exc is not self._body_cancel:
                # The cancellation goes on; the failures it cut off from
                # join (an inner group's, cancelled by an outer group) are
                # logged, not dropped.
                self._log_untold("whose parent was cancelled while it waited for them")
                raise

    @coroutine
    def next_done(self) -> Generator[Any, Any, Optional[Task]]:
        """``task = yield group.next_done()``: the next child to finish (in
        the order they finish), or ``None`` when there are no more."""
        while not self._finished:
            if not self._running:
                return None
            yield park(self._changed)
        task = self._finished.popleft()
        if task in self._unseen:        # its failure is the caller's to see now
            self._unseen.remove(task)
        return task

    @coroutine
    def join(self) -> Generator[Any, Any, List[Any]]:
        """``results = yield group.join()``: wait for every child -- children
        may add siblings meanwhile; return their results in spawn order
        (``None`` for a child cancelled on purpose), or raise
        ``TaskGroupError`` if any failed (the others were cancelled).
        Cancelling the caller while it waits here cancels the children,
        waits for them, and logs their failures (the cancellation goes on)."""
        yield from self._wait_children()
        self._closed = True
        return self._outcome()

    @coroutine
    def cancel_remaining(self) -> Generator[Any, Any, None]:
        """``yield group.cancel_remaining()``: cancel every child still
        running and wait until they have finished.  Not a failure: ``join``
        afterwards gives ``None`` for each of them.  A child may call it (the
        first to finish stops the others): it cancels and waits for its
        siblings, not itself, and goes on.  It raises nothing (it
        is for cleanup: ``finally``, ``except``); a child that had *failed*
        and that nobody was told of yet -- by ``join``, ``next_done`` or the
        ``async with`` exit -- is logged, with its traceback, not dropped
        (``join`` afterwards still raises ``TaskGroupError``)."""
        yield from self._cancel_all()
        self._log_untold("whose children were then cancelled (join() would have raised it)")

    def __del__(self):
        # Dropped with a failure nobody was told of -- never joined, or its
        # task ended (the kernel's shutdown cancelling it) before it could
        # join: the failure is logged, as the kernel logs a task that crashed
        # and was never joined (the watcher's join took that report away).
        if self._unseen:
            try:
                self._log_untold("and the group was dropped without a join()")
            except Exception:           # pragma: no cover - the interpreter's exit
                pass

    def _log_untold(self, why):
        """Log each failed child nobody was told of, with its traceback."""
        for task in self._unseen:
            log.error("%r failed in %r, %s", task, self, why, exc_info=task.exception)
            self._logged += (task.exception,)
        self._unseen = []

    @coroutine
    def _cancel_all(self):
        self._cancelling = True
        # A child may call it (the first to finish stops the others): it
        # cancels and waits for its siblings, not itself.
        me = yield current()
        # Every child gets its cancel: these traps do not block, but past our
        # budget the kernel defers them, and a cancellation arriving then (an
        # expired timeout: at every one) would drop the rest.  It comes at
        # the wait below instead, where _wait_children sees to it.
        with disable_cancellation():
            for task in list(self._running):
                if task is not me:
                    yield cancel(task, wait=False)
        yield from self._wait_children(me)

    def _outcome(self):
        for task in self._tasks:
            task.exception              # looked at: no "never joined" report
        if self._errors:
            self._unseen = []
            raise self._error(self._errors)
        return [None if task.cancelled else task.result for task in self._tasks]

    def _error(self, errors):
        message = "%d failure%s in a TaskGroup of %d tasks; first: %r" % (
            len(errors), "" if len(errors) == 1 else "s", len(self._tasks), errors[0])
        if sys.version_info >= (3, 11) and not all(isinstance(e, Exception) for e in errors):
            error = BaseExceptionGroup(message, errors)     # noqa: F821 - 3.11+ builtin
            error.errors = list(errors)
        else:
            error = TaskGroupError(message, errors)
        error.__cause__ = errors[0]
        return error

    @property
    def tasks(self) -> List[Task]:
        """Every child, in spawn order."""
        return list(self._tasks)

    @coroutine
    def __aenter__(self) -> Generator[Any, Any, "TaskGroup"]:
        if self._entered or self._closed:
            # Entered again, its first exit would join and close it under
            # the outer block (whose spawns then failed, "has finished").
            raise RuntimeError("%r has %s; a TaskGroup is for one 'async with' block: make "
                               "a new one" % (self, "already been entered" if self._entered
                                              else "finished"))
        self._entered = True
        self._parent = yield current()
        return self

    @coroutine
    def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Generator[Any, Any, bool]:
        parent, self._parent = self._parent, None   # the body is over: no more cancelling it
        try:
            return (yield from self._exit(exc))
        finally:
            kernel = getattr(running, "kernel", None)  # (None: closed by the collector)
            if self._body_cancel is not None:
                self._body_cancel._absorbed = True
                if kernel is not None:
                    kernel.withdraw(parent, self._body_cancel)  # sent, perhaps never received

    def _exit(self, exc):
        hidden = getattr(exc, "_hid", None)
        if exc is self._body_cancel and hidden is not None and not getattr(
                hidden, "_absorbed", False):        # (an inner group's is spent by now)
            # Our cancellation came as an inner group waited, and took the
            # place of one the body had already -- a group's around, or a
            # cancel from outside: that one goes on, as if the body had it.
            yield from self._exit(hidden)
            raise hidden
        if exc is None or exc is self._body_cancel:
            yield from self.join()      # raises TaskGroupError on a failure
            return False
        try:
            yield from self._cancel_all()
        except BaseException as cut:
            # Cancelled as it waited for the children: the cancellation goes
            # on, and the body's own error, cut off, is logged, not dropped.
            # A cancel the body had (a group's, or from outside), cut off by
            # a group's around, goes with it: that group takes it up (above).
            # (A timeout's is its scope's: the scope sees to it.)
            if isinstance(cut, TaskGroupCancelled) and (
                    type(exc) is Cancelled or isinstance(exc, TaskGroupCancelled)):
                cut._hid = exc
            if not isinstance(exc, Cancelled):
                log.error("the body of %r failed, then its parent was cancelled while it waited "
                          "for the children", self, exc_info=(type(exc), exc, exc.__traceback__))
            raise
        self._closed = True
        self._unseen = []               # (reported below)
        for task in self._tasks:
            task.exception              # looked at here, reported below
        if not self._errors:
            return False                # the body's exception goes on
        if isinstance(exc, Exception):
            raise self._error([exc] + self._errors) from exc
        # A cancellation (or KeyboardInterrupt...) goes on as it is: the
        # children's failures are logged, not lost.
        for error in self._errors:
            if not any(error is logged for logged in self._logged):   # (cancel_remaining may have)
                log.error("a child of %r failed while its parent was being cancelled", self,
                          exc_info=(type(error), error, error.__traceback__))
        return False

    def __repr__(self):
        return "<TaskGroup tasks=%d running=%d failed=%d>" % (
            len(self._tasks), len(self._running), len(self._errors))


# Its generators keep the public name: what the diagnostics of a task show.
TaskGroup._spawn.__name__, TaskGroup._spawn.__qualname__ = "spawn", "TaskGroup.spawn"
