"""Cases from the peers' own tests of subprocesses, pipes, signals and
threads that our other test files did not cover: uvloop's
``tests/test_process.py``, ``test_pipes.py`` and ``test_signals.py``,
asyncio's ``Lib/test/test_asyncio/test_subprocess.py``, trio's
``src/trio/_tests/test_subprocess.py`` and ``test_threads.py``.  Each
docstring names the peer case it comes from.  Real children (sh, cat,
the running Python), synchronised through pipes and sockets, never by
sleeping."""

import os
import shutil
import signal
import sys
import threading

import pytest

import trampoline
from trampoline import TaskTimeout, run, timeout_after, timeout_at
from trampoline.clock import VirtualClock
from trampoline.threads import WorkerPool, run_in_thread
from trampoline.timeouts import TimeoutCancelled
from trampoline.traps import current_kernel

from net_helpers import watchdog  # noqa: F401  (autouse fixture)

WATCHDOG_SECONDS = 20.0

TOOLS = ("sh", "cat")
pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not all(shutil.which(tool) for tool in TOOLS),
    reason="needs a POSIX system with sh and cat")


# ================================================================= threads

@pytest.mark.parametrize("clock", ["real", "virtual"])
def test_a_thread_call_under_an_expired_deadline_never_starts(clock):
    """trio's ``test_threads.py::test_run_in_worker_thread_cancellation``
    (and ``to_thread.run_sync``'s opening ``checkpoint_if_cancelled``): a
    task already past its deadline is cancelled before the call starts.
    ``timeout_after(0, run_in_thread(f))`` started ``f`` about one time in
    four: the job went to a worker before the task parked, and the alarm
    went off only as the loop came round.  Each way of being past the
    deadline, 500 times, on the default pool and on a pool of one worker;
    then one more call on each pool, which runs after anything queued
    before it -- nothing was."""
    started = []
    pool = WorkerPool(1)

    def call():
        started.append(1)

    def by_timeout_after_zero(submit):
        yield timeout_after(0, submit(call))

    def by_a_deadline_already_past(submit):
        kernel = yield current_kernel()
        yield timeout_at(kernel.time() - 1, submit(call))

    def by_an_alarm_gone_off_and_caught(submit):
        with timeout_after(0):              # its cancellation caught: it comes
            try:                            # again at every blocking trap
                yield trampoline.sleep(1)
            except TimeoutCancelled:
                pass
            yield submit(call)

    def main():
        timeouts = 0
        for submit in (run_in_thread, pool.run):
            for _ in range(500):
                for way in (by_timeout_after_zero, by_a_deadline_already_past,
                            by_an_alarm_gone_off_and_caught):
                    try:
                        yield way(submit)
                    except TaskTimeout:
                        timeouts += 1
            assert (yield submit(len, "done")) == 4   # after every job queued before
        return timeouts

    kwargs = {"clock": VirtualClock()} if clock == "virtual" else {}
    assert run(main(), **kwargs) == 2 * 500 * 3
    assert started == []
