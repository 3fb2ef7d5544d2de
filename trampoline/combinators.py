"""select and shield: combining waits, after mioco's ``select!`` and curio.

``select(*branches)`` waits for several things at once -- traps, generators,
coroutines -- and returns ``(index, value)`` of the first to complete.  Each
branch runs in a child task; the winner cancels the others on the spot, so a
branch woken at the same moment never performs its I/O (a ``read`` whose
descriptor became readable is cancelled before it reads: no data is lost),
and ``select`` returns only once every loser has finished its cleanup and
left no registration behind.

``shield(coro)`` runs ``coro`` to completion even if the caller is cancelled
meanwhile, and returns its result; the caller's cancellation comes after, at
its next blocking trap.

``with disable_cancellation():`` (curio's name; ``async with`` in an
``async def``) defers every cancellation and timeout of the running task
until the block ends: they come at its first blocking trap after.  Cleanup
that must block -- wait for children, take a lock back -- uses it, since a
timeout that has expired interrupts *every* blocking trap in its scope.

Built from traps, and the kernel's public ``defer_cancellation``.
"""

import logging
from types import CoroutineType, GeneratorType, coroutine
from typing import Any, Generator, List, Optional, Tuple

from .errors import Cancelled, TaskError
from .kernel import WaitQueue, current_task, running_kernel
from .task import Task
from .traps import Trap, _close_dropped, _prime, cancel, current, join, park, spawn

__all__ = ["select", "shield", "disable_cancellation"]

log = logging.getLogger("trampoline")


class disable_cancellation:
    """``with disable_cancellation(): ...`` (``async with`` in an ``async
    def``), inside a task: no cancellation or timeout interrupts the block;
    those that arrive meanwhile are delivered at the task's first blocking
    trap after it.  Blocks nest."""

    __slots__ = ("_task", "_kernel")

    def __enter__(self):
        task = current_task()
        if task is None:
            raise RuntimeError("disable_cancellation() works only in a running task, and no "
                               "task runs here (a task's generator closed after its kernel "
                               "was, by the garbage collector, say)")
        self._task, self._kernel = task, running_kernel()
        self._kernel.defer_cancellation(task)
        return self

    def __exit__(self, *exc_info):
        self._kernel.defer_cancellation(self._task, False)
        return False

    @coroutine
    def __aenter__(self):
        return self.__enter__()
        yield                               # a generator, so it is awaitable (never reached)

    @coroutine
    def __aexit__(self, *exc_info):
        return self.__exit__(*exc_info)
        yield                               # (never reached)


def select(*branches: Any) -> Generator[Any, Any, Tuple[int, Any]]:
    """``index, value = yield select(read(a, 1024), read(b, 1024), sleep(5))``

    Wait for the first of ``branches`` (traps, generators or coroutine
    objects) to complete and return its position and result; the others are
    cancelled, and have finished when ``select`` returns.  If the first to
    complete raised, ``select`` raises that; if it returned but a loser
    failed as it was cancelled (its cleanup raised), ``select`` raises the
    loser's error (and logs any more).  If the caller is cancelled as or
    after a branch wins -- even while ``select`` is cancelling the others --
    it still gets the result (an item taken is not lost), and the
    cancellation at its next blocking trap (or, should it return before
    blocking again, it ends cancelled: see ``cancel``).  Cancelled before
    any branch won, it raises the cancellation once every branch has
    finished: a branch that catches the cancellation sent it and returns
    a value wins nothing (one that hands it back, as ``shield`` does,
    still wins: it ends cancelled).  A timeout's
    deadline likewise: a timeout whose block ends before blocking again
    returns the result.
    """
    itself = []                         # type: List[Any]
    return _prime(_select(itself, branches), itself)


@coroutine
def _select(itself: List[Any],
            branches: Tuple[Any, ...]) -> Generator[Any, Any, Tuple[int, Any]]:
    try:
        yield                           # primed (traps._prime): here until it runs
    except GeneratorExit:               # dropped before it ran (a cancellation
        _close_dropped(itself, *branches)   # came first): the branches are closed too
        raise
    if not branches:
        raise ValueError("select() needs at least one trap or coroutine")
    for index, item in enumerate(branches):
        _check_work(item, "select() branch %d" % index)
    decided = WaitQueue(keep=True)      # woken with the result: keep it
    # The branches of trampoline's own task are trampoline's own (the
    # monitor's ``ps`` leaves them out): named so.
    me = current_task()
    internal = "trampoline: " if me is not None and me.name.startswith("trampoline: ") else ""
    outcome = []                        # type: List[Tuple[int, Any, Optional[BaseException]]]
    tasks = []                          # type: List[Task]
    cancelled = []                      # type: List[Task]  # those sent their cancel
    interrupted = None                  # type: Optional[Cancelled]

    def branch(index, item):
        try:
            value = yield item
        except Cancelled:
            raise
        except BaseException as exc:
            result = (index, None, exc)
        else:
            result = (index, value, None)
        outcome.append(result)          # (a loser's too: its cleanup may have failed)
        if len(outcome) == 1:           # first to finish: the others lose at once
            for task in tasks:          # (those spawned later: select cancels them)
                if task is not tasks[index] and task not in cancelled:
                    yield cancel(task, wait=False)
                    cancelled.append(task)
            decided.wake(1)

    try:
        # (Spawning many may use up this task's budget: it can be cancelled
        # at a spawn, with branches already running.)
        # A branch may even win meanwhile: the rest are not spawned then.
        for index, item in enumerate(branches):
            if outcome:
                break
            tasks.append((yield spawn(branch(index, item), name="%sselect branch %d"
                                      % (internal, index))))
        if not outcome:
            yield park(decided)
    except Cancelled as exc:
        interrupted = exc               # (a branch may win yet: see below)
        won_first = bool(outcome)
    finally:
        # The losers have been cancelled (or, if we were, are now: all at
        # once, so that none of them wins while another is cancelled): wait
        # until each has finished its cleanup; what arrives meanwhile waits.
        with disable_cancellation():
            winner = tasks[outcome[0][0]] if outcome else None
            for task in tasks:
                if not (task.done or task in cancelled or task is winner):
                    yield cancel(task, wait=False)
                    cancelled.append(task)
            for task in tasks:
                if not task.done:
                    try:
                        yield join(task)
                    except TaskError:
                        pass
        for index, item in enumerate(branches):
            if type(item) is CoroutineType and (index >= len(tasks) or tasks[index].done):
                item.close()            # never started, if it lost first: no "never awaited"
    if interrupted is not None:
        if not won_first:               # cancelled first: a branch that caught the
            outcome = [o for o in outcome   # cancel sent it and returned a value
                       if o[2] is not None or tasks[o[0]].cancelled]   # wins nothing
        if not outcome:
            raise interrupted
        # A branch won as we were cancelled: what it got (an item, a
        # datagram) is returned, not lost; a cancel comes again at the next
        # blocking trap (a timeout's alarm does so by itself).  Handed back
        # unreceived, as the kernel keeps one not yet thrown in (without a
        # traceback): a timeout around us that ends now returns our result.
        interrupted.__traceback__ = None
        me = yield current()
        if interrupted is me.last_cancel:
            yield cancel(me, wait=False, exception=interrupted)
    index, value, error = outcome[0]    # (the winner's)
    # A loser that failed, not as cancelled (its cleanup raised): its error
    # is raised if the winner's is not; any other is logged, never dropped.
    failed = [(i, failure) for i, _, failure in outcome[1:] if failure is not None]
    if error is None and failed:
        error = failed.pop(0)[1]
    for i, failure in failed:
        log.error("select branch %d failed after another had won (select raised the "
                  "first error)", i, exc_info=(type(failure), failure, failure.__traceback__))
    if error is not None:
        raise error
    return index, value


def _check_work(item, who):
    """A generator, coroutine, trap or awaitable; else a TypeError naming
    ``who`` (checked before anything is spawned)."""
    kind = type(item)
    if kind is GeneratorType or kind is CoroutineType or isinstance(item, Trap) or (
            hasattr(kind, "__await__") and not isinstance(item, type)):
        return
    if isinstance(item, Task):
        raise TypeError("%s needs a generator, coroutine or trap, got the task %r; to wait "
                        "for a task, give join(task) (cancelling the caller never cancels "
                        "the task it joins)" % (who, item))
    if callable(item):
        raise TypeError("%s needs a generator, coroutine or trap, got the function %s "
                        "itself; call it" % (who, getattr(item, "__qualname__", item)))
    raise TypeError("%s needs a generator, coroutine or trap, got %s %r"
                    % (who, kind.__name__, item))


def _perform(trap):
    """A generator that performs one trap: a trap made into a task."""
    return (yield trap)


def shield(coro: Any) -> Generator[Any, Any, Any]:
    """``result = yield shield(coro)``

    Run ``coro`` (a generator, coroutine, or a single trap) to completion
    even if the calling task is cancelled; return its result (or raise its
    exception).  A cancellation of the caller meanwhile comes after: at the
    caller's next blocking trap, so that the result is not lost (trio's and
    curio's rule for work done with cancellation held off) -- or, if the
    work failed, as the ``Cancelled`` raised here, the work's error its
    cause.  A timeout whose deadline passed meanwhile, and whose block ends
    with the shield, returns the result (see ``timeout_after``).
    """
    itself = []                         # type: List[Any]
    return _prime(_shield(itself, coro), itself)


@coroutine
def _shield(itself: List[Any], coro: Any) -> Generator[Any, Any, Any]:
    try:
        yield                           # primed (traps._prime): here until it runs
    except GeneratorExit:               # dropped before it ran: its work is closed too
        _close_dropped(itself, coro)
        raise
    _check_work(coro, "shield()")
    if type(coro) is not GeneratorType and type(coro) is not CoroutineType:
        coro = _perform(coro)
    task = yield spawn(coro)
    try:
        return (yield join(task))
    except TaskError as exc:
        error = exc.__cause__           # (a TaskError's is set)
    except Cancelled as exc:    # keep it for later; wait for the work to end
        with disable_cancellation():
            try:
                result = yield join(task)
            except TaskError as failed:
                raise exc from failed.__cause__
        # The work ended well as we were cancelled: its result is returned,
        # not lost, and the cancel comes again at the next blocking trap,
        # as select hands back one that came as a branch won (a timeout
        # around us that ends now returns the result: see select).
        exc.__traceback__ = None
        me = yield current()
        if exc is me.last_cancel:
            yield cancel(me, wait=False, exception=exc)
        return result
    # The work's error, raised outside the except clause: its __context__
    # stays the work's own, not the TaskError that carried it here.
    raise error                         # type: ignore[misc]


# Their generators keep the public names: what a task's name, the trace and
# the diagnostics of a waiting task show.
_select.__name__ = _select.__qualname__ = "select"
_shield.__name__ = _shield.__qualname__ = "shield"
