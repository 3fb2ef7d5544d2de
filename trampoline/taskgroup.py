"""TaskGroup: children whose parent waits for them.

Structured concurrency in the small, after curio and trio: a group's
children are spawned through it, and the parent does not go on past
``join()`` until every child has finished.  When a child fails, the group
cancels the others, and ``join()`` raises ``TaskGroupError`` carrying every
failure.  Cancel the parent while it waits in ``join()`` and the children
are cancelled too.  Results can also be taken one by one, as the children
finish, with ``next_done()``.

In generator code::

    group = TaskGroup()
    yield group.spawn(fetch(a))
    yield group.spawn(fetch(b))
    results = yield group.join()        # [result of a, result of b]

If the parent's own code may fail between ``spawn`` and ``join``, make sure
the children do not outlive it: ``try: ... except BaseException: yield
group.cancel_remaining(); raise``.  ``async with TaskGroup() as group:``
does all of that by itself.

Built from traps only (``spawn``, ``join``, ``cancel``, ``park``).
"""

from types import coroutine

from .errors import TaskError
from .kernel import WaitQueue
from .traps import cancel, join, park, spawn

__all__ = ["TaskGroup", "TaskGroupError"]


class TaskGroupError(TaskError):
    """One or more children of a TaskGroup failed.  ``errors`` holds every
    failure (exceptions, in the order they happened); ``__cause__`` is the
    first."""

    def __init__(self, message, errors):
        super().__init__(message)
        self.errors = errors


class TaskGroup:
    """A set of child tasks the parent waits for.  See the module docstring."""

    def __init__(self):
        self._tasks = []            # every child, in spawn order
        self._running = set()       # children not finished yet
        self._finished = []         # children finished, not yet taken by next_done
        self._errors = []           # failures, in order
        self._changed = WaitQueue()  # the parent waits here for a child to finish
        self._joined = False

    @coroutine
    def spawn(self, coro, *, name=None):
        """``task = yield group.spawn(coro)``: start a child in the group."""
        if self._joined:
            raise RuntimeError("%r has been joined; it takes no more children" % self)
        task = yield spawn(coro, name=name)
        self._tasks.append(task)
        self._running.add(task)
        # A watcher joins the child, so the group learns of its end however
        # it ends -- even cancelled before its first step, when none of its
        # own code runs.
        yield spawn(self._watch(task), name="watching %s" % task.name)
        return task

    def _watch(self, task):
        failure = None
        try:
            yield join(task)
        except TaskError:
            if not task.cancelled:
                failure = task.exception
        self._running.discard(task)
        self._finished.append(task)
        if failure is not None:
            self._errors.append(failure)
            if len(self._errors) == 1:      # the first failure cancels the others
                for other in list(self._running):
                    yield cancel(other, wait=False)
        self._changed.wake_all()

    @coroutine
    def next_done(self):
        """``task = yield group.next_done()``: the next child to finish (in
        the order they finish), or ``None`` when there are no more."""
        while not self._finished:
            if not self._running:
                return None
            yield park(self._changed)
        return self._finished.pop(0)

    @coroutine
    def join(self):
        """``results = yield group.join()``: wait for every child; return
        their results in spawn order, or raise ``TaskGroupError`` if any
        failed (the others were cancelled).  Cancelling the caller while it
        waits here cancels the children."""
        self._joined = True
        try:
            while self._running:
                yield park(self._changed)
        except BaseException:
            yield from self.cancel_remaining()
            raise
        return self._outcome()

    @coroutine
    def cancel_remaining(self):
        """``yield group.cancel_remaining()``: cancel every child still
        running and wait until they have finished."""
        self._joined = True
        for task in list(self._running):
            yield cancel(task)

    def _outcome(self):
        for task in self._tasks:
            task.exception              # looked at: no "never joined" report
        if self._errors:
            error = TaskGroupError("%d of %d tasks in the group failed; first: %r" % (
                len(self._errors), len(self._tasks), self._errors[0]), self._errors)
            error.__cause__ = self._errors[0]
            raise error
        return [task.result for task in self._tasks]

    @property
    def tasks(self):
        """Every child, in spawn order."""
        return list(self._tasks)

    @coroutine
    def __aenter__(self):
        return self
        yield   # a generator, so that it is awaitable (never reached)

    @coroutine
    def __aexit__(self, exc_type, exc, tb):
        if exc_type is not None:
            yield from self.cancel_remaining()
            return False
        yield from self.join()
        return False

    def __repr__(self):
        return "<TaskGroup tasks=%d running=%d failed=%d>" % (
            len(self._tasks), len(self._running), len(self._errors))
