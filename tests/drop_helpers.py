"""Things dropped: a trap dropped before it ran -- the helper shared by the
tests that check what such a trap does with the work it was handed
(test_aio, test_select, test_taskgroup) -- and ``collect_harder()`` for the
tests that check something let go is freed."""

import gc
import warnings

from trampoline import cancel, current, run, sleep, spawn
from trampoline.kernel import BUDGET


def collect_harder():
    """Collect the garbage until what is unreachable has surely gone.  One
    ``gc.collect()`` is not enough on PyPy: an object reachable from one
    with a finalizer survives the collection that runs the finalizer, and
    so does a weakref callback's work queued behind it (trio's
    ``gc_collect_harder`` does the same)."""
    for _ in range(5):
        gc.collect()


def drop_unrun(last_trap, work):
    """Run a task that spends its budget of traps and then yields
    ``last_trap()`` -- deferred, the budget's last trap -- and cancel it
    while it waits its turn, so that trap is dropped unperformed.  Returns
    which items of ``work`` (the coroutines and generators ``last_trap``
    was handed) were closed, and the "never awaited" warnings Python gave
    once ``work`` was let go (emptied) and the garbage collected."""

    def spinner():
        for _ in range(BUDGET - 1):
            yield current()
        yield last_trap()

    def main():
        task = yield spawn(spinner())
        yield sleep(0)                  # it spins its budget, then waits behind us
        yield cancel(task)              # ...and its last trap is dropped
        return task.cancelled

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run(main()) is True
        closed = [getattr(each, "cr_frame", getattr(each, "gi_frame", None)) is None
                  for each in work]
        del work[:]
        collect_harder()                # (PyPy: its warnings come at a collection)
    return closed, [w for w in caught if "never awaited" in str(w.message)]
