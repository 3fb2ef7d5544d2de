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
from trampoline import (Cancelled, Condition, Lock, PriorityQueue, Queue, QueueShutDown, RLock,
                        Semaphore, TaskError, TaskTimeout, VirtualClock, cancel, join, sleep, spawn,
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


# ============================================================= Semaphore

@pytest.mark.parametrize("kind", [Semaphore, trampoline.BoundedSemaphore])
def test_a_plain_with_after_an_acquire_and_release_is_refused_and_makes_no_slot(kind):
    """asyncio's and trio's ``with sem:`` without the acquire is refused
    (ours: ``RuntimeError``, saying what to write) -- also after the long
    form ``yield sem.acquire() ... sem.release()`` was used: that acquire's
    mark was left behind, the plain ``with`` was let in, took no slot, and
    its exit gave one back -- a Semaphore(1) then let two tasks in."""
    def main():
        sem = kind(1)
        yield sem.acquire()
        sem.release()
        with pytest.raises(RuntimeError, match="plain 'with sem:'"):
            with sem:
                pass                    # pragma: no cover
        assert sem.value == 1
        with (yield sem.acquire()):     # the right form still works after it
            assert sem.value == 0
        return sem.value

    assert run(main()) == 1


def test_two_slots_handed_to_two_waiters_both_cancelled_go_to_the_next_two():
    """asyncio's ``test_acquire_cancel_before_awoken``: two releases hand
    their slots to the first two waiters, both cancelled before they run;
    the slots go to the next two, in order, and none is left over."""
    got = []

    def waiter(sem, name):
        yield sem.acquire()
        got.append(name)

    def main():
        sem = Semaphore(0)
        tasks = []
        for name in "abcd":
            tasks.append((yield spawn(waiter(sem, name))))
        yield parked(*tasks)
        sem.release()
        sem.release()
        yield cancel(tasks[0], wait=False)
        yield cancel(tasks[1], wait=False)
        yield join(tasks[2])
        yield join(tasks[3])
        assert tasks[0].cancelled and tasks[1].cancelled
        return sem.value

    assert run(main()) == 0
    assert got == ["c", "d"]


def test_a_waiter_cancelled_by_the_holder_leaves_the_slot_free():
    """asyncio's ``test_acquire_no_hang``: the holder cancels the task
    waiting for its slot, then leaves; the slot is free, not lost."""
    def first(sem, second):
        with (yield sem.acquire()):
            yield sleep(0)
            yield cancel(second[0])

    def other(sem):
        with (yield sem.acquire()):
            raise AssertionError("a cancelled waiter got the slot")

    def main():
        sem = Semaphore(1)
        box = []
        one = yield spawn(first(sem, box))
        box.append((yield spawn(other(sem))))
        yield join(one)
        assert box[0].cancelled
        yield timeout_after(1, sem.acquire())
        return sem.value

    assert run(main()) == 0


# ========================================================= PriorityQueue

def test_a_priority_queue_refuses_an_item_it_cannot_order_and_stays_as_it_was():
    """asyncio's and ``queue``'s PriorityQueue push with ``heapq``, whose
    comparison failing half-way leaves the refused item in the heap, or one
    of the items in two places, and (ours) counted unfinished, so ``join``
    waited for ever.  Ours refuses it with ``TypeError`` naming it, before
    anything moves: the queue holds what it held, in order, once each."""
    def main():
        q = PriorityQueue()
        for item in [(1, "a"), (5, "x"), (3, "y"), (7, "z")]:
            q.put_nowait(item)
        with pytest.raises(TypeError, match=r"cannot put \(1, <object"):
            q.put_nowait((1, object()))         # (1, ...) < (5, "x"), then "a" vs object
        with pytest.raises(TypeError, match="does not compare"):
            yield q.put((1, object()))
        assert q.qsize() == 4
        got = [q.get_nowait() for _ in range(4)]
        for _ in got:
            q.task_done()
        yield timeout_after(1, q.join())        # nothing left unfinished
        return got

    assert run(main()) == [(1, "a"), (3, "y"), (5, "x"), (7, "z")]


def test_a_putter_whose_item_is_refused_frees_its_slot_for_the_next_putter():
    """A putter given room in a full PriorityQueue whose item is then
    refused gives the room to the next putter in line."""
    def main():
        q = PriorityQueue(2)
        q.put_nowait((0, "first"))
        q.put_nowait((2, "second"))
        bad = yield spawn(q.put((2, object())))
        good = yield spawn(q.put((1, "good")))
        yield parked(bad, good)
        assert q.get_nowait() == (0, "first")   # room, for bad: refused when it runs
        with pytest.raises(TaskError) as failed:
            yield join(bad)
        assert isinstance(failed.value.__cause__, TypeError)
        yield timeout_after(1, join(good))
        return [q.get_nowait() for _ in range(2)], q.qsize(), q.full()

    assert run(main()) == ([(1, "good"), (2, "second")], 0, False)


def test_a_priority_queue_whose_items_do_not_compare_says_so_and_loses_none():
    """Items that each compare with the one above them in the heap can still
    fail against each other as ``get`` moves them (equal priorities, dict
    payloads: the classic); ``heapq.heappop`` then lost the first item and
    left another in two places.  Ours raises ``TypeError`` and keeps them
    all, in place."""
    q = PriorityQueue()
    for item in [(0, {"job": 0}), (1, {"job": 1}), (1, {"job": 2})]:
        q.put_nowait(item)
    with pytest.raises(TypeError, match="do not compare"):
        q.get_nowait()
    assert q.qsize() == 3
    assert sorted(q._items, key=lambda item: item[1]["job"]) == [
        (0, {"job": 0}), (1, {"job": 1}), (1, {"job": 2})]


class Touchy:
    """An item whose comparison fails with something else than TypeError
    (as a numpy array's does: "the truth value ... is ambiguous")."""

    def __init__(self, fail):
        self.fail = fail

    def __lt__(self, other):
        if self.fail or other.fail:
            raise ValueError("ambiguous")
        return False


def test_a_priority_queue_whose_comparison_fails_otherwise_loses_no_item():
    """Any exception from a comparison -- not only TypeError -- leaves the
    items in place, and goes to the caller as it is."""
    q = PriorityQueue()
    items = [Touchy(False), Touchy(False), Touchy(False)]
    for item in items:
        q.put_nowait(item)
    items[1].fail = True
    with pytest.raises(ValueError, match="ambiguous"):
        q.get_nowait()
    with pytest.raises(ValueError, match="ambiguous"):
        q.put_nowait(Touchy(True))
    assert q.qsize() == 3 and sorted(map(id, q._items)) == sorted(map(id, items))


def test_an_immediate_shutdown_drops_items_that_do_not_compare():
    """``shutdown(immediate=True)`` drops what is left without ordering it:
    a PriorityQueue whose items do not compare is emptied, and ``join``
    goes (it popped them one by one, and failed half-way)."""
    def main():
        q = PriorityQueue()
        for item in [(0, {"job": 0}), (1, {"job": 1}), (1, {"job": 2})]:
            q.put_nowait(item)
        q.shutdown(immediate=True)
        assert q.empty()
        yield timeout_after(1, q.join())
        with pytest.raises(QueueShutDown):
            q.get_nowait()

    run(main())
