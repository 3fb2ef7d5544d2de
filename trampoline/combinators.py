"""select and shield: combining waits, after mioco's ``select!`` and curio.

``select(*branches)`` waits for several things at once -- traps, generators,
coroutines -- and returns ``(index, value)`` of the first to complete.  Each
branch runs in a child task; the winner cancels the others on the spot, so a
branch woken at the same moment never performs its I/O (a ``read`` whose
descriptor became readable is cancelled before it reads: no data is lost),
and ``select`` returns only once every loser has finished its cleanup and
left no registration behind.

``shield(coro)`` runs ``coro`` to completion even if the caller is cancelled
meanwhile; the caller's cancellation is delivered once ``coro`` is done.

Built from traps only.
"""

from types import CoroutineType, GeneratorType, coroutine

from .errors import Cancelled, TaskError
from .kernel import WaitQueue
from .traps import cancel, current, join, park, spawn

__all__ = ["select", "shield"]


@coroutine
def select(*branches):
    """``index, value = yield select(read(a, 1024), read(b, 1024), sleep(5))``

    Wait for the first of ``branches`` (traps, generators or coroutine
    objects) to complete and return its position and result; the others are
    cancelled, and have finished when ``select`` returns.  If the first to
    complete raised, ``select`` raises that.  If the caller is cancelled
    after a branch won, it still gets the result, and the cancellation at
    its next blocking trap.
    """
    if not branches:
        raise ValueError("select() needs at least one trap or coroutine")
    decided = WaitQueue(keep=True)      # woken with the result: keep it
    outcome = []                        # [(index, value, exception)] of the winner
    tasks = []

    def branch(index, item):
        try:
            value = yield item
        except Cancelled:
            raise
        except BaseException as exc:
            result = (index, None, exc)
        else:
            result = (index, value, None)
        if not outcome:                 # first to finish: the others lose at once
            outcome.append(result)
            for task in tasks:
                if task is not tasks[index]:
                    yield cancel(task, wait=False)
            decided.wake(1)

    for index, item in enumerate(branches):
        tasks.append((yield spawn(branch(index, item), name="select branch %d" % index)))
    try:
        if not outcome:
            yield park(decided)
    finally:
        # The losers have been cancelled (or, if we were, are now): wait
        # until each has finished its cleanup, whatever arrives meanwhile.
        cancelled = None
        for task in tasks:
            while not task.done:
                try:
                    if outcome:
                        yield join(task)
                    else:
                        yield cancel(task)
                except TaskError:
                    pass
                except Cancelled as exc:
                    cancelled = cancelled or exc
        if cancelled is not None:
            if not outcome:
                raise cancelled
            yield cancel((yield current()), wait=False)     # at our next block
    index, value, exc = outcome[0]
    if exc is not None:
        raise exc
    return index, value


def _perform(trap):
    """A generator that performs one trap: a trap made into a task."""
    return (yield trap)


@coroutine
def shield(coro):
    """``result = yield shield(coro)``

    Run ``coro`` (a generator, coroutine, or a single trap) to completion
    even if the calling task is cancelled; return its result (or raise its
    exception), and only then deliver the caller's cancellation.
    """
    if type(coro) is not GeneratorType and type(coro) is not CoroutineType:
        coro = _perform(coro)
    task = yield spawn(coro)
    cancelled = None
    while True:
        try:
            result = yield join(task)
            break
        except Cancelled as exc:    # keep it for later; go on waiting
            cancelled = cancelled or exc
        except TaskError as exc:
            if cancelled is not None:
                raise cancelled from exc.__cause__
            raise exc.__cause__
    if cancelled is not None:
        raise cancelled
    return result
