"""The sync primitives against the peers' own test suites: cases from
cpython's ``test_asyncio/test_locks.py`` and ``test_queues.py``, curio's
``tests/test_sync.py`` and ``tests/test_queue.py`` (its ``UniversalQueue``
cases), and trio's ``_tests/test_sync.py``, translated to our API (each
test's docstring names the peer's case).

Tasks wait for each other with joins, ``parked`` and ``until`` -- never a
timed sleep -- and on the virtual clock where time matters.
"""

import threading

import pytest

import trampoline
from trampoline import (Cancelled, Condition, Lock, Queue, QueueShutDown, RLock, Semaphore,
                        TaskError, TaskTimeout, VirtualClock, cancel, join, sleep, spawn,
                        timeout_after)
from trampoline.universal import UniversalQueue
from task_helpers import parked, until


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


# ================================================================== Lock

def test_a_lock_acquired_again_by_its_holder_raises_instead_of_waiting_for_ever():
    """trio's ``test_Lock_and_StrictFIFOLock``: ``acquire`` by the task that
    holds the lock raises ``RuntimeError`` -- it could only wait for ever
    (asyncio and curio hang there).  The lock stays held, and others still
    get it in turn."""
    log = []

    def other(lock):
        with (yield lock.acquire()):
            log.append("other")

    def main():
        lock = Lock()
        yield lock.acquire()
        waiter = yield spawn(other(lock))
        yield parked(waiter)
        with pytest.raises(RuntimeError, match="held by this very task"):
            yield timeout_after(1, lock.acquire())
        assert lock.locked()
        log.append("main")
        lock.release()
        yield join(waiter)
        assert not lock.locked()
        yield lock.acquire()            # free again: no refusal
        lock.release()

    run(main())
    assert log == ["main", "other"]


def test_a_lock_handed_to_a_waiter_may_be_acquired_again_by_its_old_holder():
    """The refusal is for the holder only: once it released the lock (handed
    to a waiter that has not run yet) its ``acquire`` waits in line."""
    log = []

    def other(lock):
        with (yield lock.acquire()):
            log.append("other")

    def main():
        lock = Lock()
        yield lock.acquire()
        waiter = yield spawn(other(lock))
        yield parked(waiter)
        lock.release()
        with (yield lock.acquire()):
            log.append("main again")
        yield join(waiter)

    run(main())
    assert log == ["other", "main again"]
