"""The sync primitives against the peers' own test suites: cases from
cpython's ``test_asyncio/test_locks.py`` and ``test_queues.py``, curio's
``tests/test_sync.py`` and ``tests/test_queue.py`` (its ``UniversalQueue``
cases), and trio's ``_tests/test_sync.py``, translated to our API (each
test's docstring names the peer's case).

Tasks wait for each other with joins and ``parked`` -- never a
timed sleep -- and on the virtual clock where time matters.
"""

import threading

import pytest

import trampoline
from trampoline import (Cancelled, Condition, Lock, PriorityQueue, Queue, QueueShutDown, RLock,
                        Semaphore, TaskError, VirtualClock, cancel, join, sleep, spawn,
                        timeout_after)
from trampoline.universal import UniversalQueue
from task_helpers import parked


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


# ================================================================= Queue

def test_a_getter_emptying_the_queue_with_get_nowait_lets_every_putter_in():
    """asyncio's ``test_why_are_putters_waiting``: four putters on a queue
    of two, one getter that takes what is there with ``get_nowait``; each
    ``get_nowait`` makes room for the next putter, and none is left
    waiting."""
    def getter(q):
        yield sleep(0)
        return [q.get_nowait() for _ in range(q.qsize())]

    def main():
        q = Queue(2)
        taker = yield spawn(getter(q))
        putters = []
        for item in range(4):
            putters.append((yield spawn(q.put(item))))
        for putter in putters:
            yield timeout_after(1, join(putter))
        return (yield join(taker)), [q.get_nowait() for _ in range(q.qsize())]

    assert run(main()) == ([0, 1], [2, 3])


def test_a_putter_given_room_then_cancelled_leaves_the_room_free():
    """asyncio's ``test_cancelled_put_silence_value_error_exception`` and
    ``test_put_cancel_drop``: the room a ``get_nowait`` gives a waiting
    putter, cancelled before it runs, is free again -- no error, no slot
    held for nobody."""
    def main():
        q = Queue(1)
        q.put_nowait(1)
        putter = yield spawn(q.put(2))
        yield parked(putter)
        assert q.get_nowait() == 1
        yield cancel(putter)
        assert putter.cancelled and q.empty() and not q.full()
        q.put_nowait(3)
        return q.get_nowait()

    assert run(main()) == 3


def test_an_immediate_shutdown_still_waits_for_the_items_already_taken():
    """asyncio 3.13's ``test_shutdown_immediate_with_unfinished``: the items
    dropped count as done, the one a consumer took still counts until its
    ``task_done``; a ``task_done`` more is a ``ValueError``; ``get`` and
    ``put`` raise ``QueueShutDown``."""
    def main():
        q = Queue()
        q.put_nowait(1)
        q.put_nowait(2)
        assert q.get_nowait() == 1
        q.shutdown(immediate=True)
        joiner = yield spawn(q.join())
        yield parked(joiner)
        q.task_done()
        yield join(joiner)
        with pytest.raises(ValueError):
            q.task_done()
        with pytest.raises(QueueShutDown):
            yield q.get()
        with pytest.raises(QueueShutDown):
            yield q.put(3)

    run(main())


def test_a_shutdown_that_is_not_immediate_lets_join_wait_for_what_is_left():
    """asyncio 3.13: ``shutdown()`` keeps what is left for ``get``, and
    ``join`` waits until each of those is done."""
    def main():
        q = Queue()
        q.put_nowait(1)
        q.shutdown()
        joiner = yield spawn(q.join())
        yield parked(joiner)
        assert q.get_nowait() == 1
        q.task_done()
        yield join(joiner)

    run(main())


# ============================================================= Condition

def test_a_condition_wait_on_an_rlock_cancelled_as_notified_takes_it_back_as_often():
    """asyncio's ``test_cancelled_error_re_aquire`` with curio's RLock: a
    waiter holding an RLock twice, notified and cancelled while the notifier
    holds the lock, sees the cancellation only once it holds the RLock again,
    twice, so its two releases are right."""
    log = []

    def waiter(cond, lock):
        yield cond.acquire()
        yield cond.acquire()
        try:
            yield cond.wait()
        except Cancelled:
            log.append(("cancelled, held", lock._count))
            raise
        finally:
            cond.release()
            cond.release()

    def main():
        lock = RLock()
        cond = Condition(lock)
        task = yield spawn(waiter(cond, lock))
        yield parked(task)
        yield cond.acquire()
        cond.notify()
        yield cancel(task, wait=False)
        yield sleep(0)
        cond.release()
        with pytest.raises(TaskError):
            yield join(task)
        assert task.cancelled and not cond.locked()

    run(main())
    assert log == [("cancelled, held", 2)]


@pytest.mark.parametrize("kind", [Lock, RLock])
def test_a_condition_wait_by_a_task_that_does_not_hold_the_lock_raises_there(kind):
    """trio's ``test_Condition``: ``wait()`` without the lock raises -- also
    while another task holds it.  A plain Lock's was let go for that holder,
    which went on unprotected and failed later, far from the cause
    ("notify() on a Condition whose lock is not held").  Now the waiter
    gets ``RuntimeError`` naming the lock and itself, as with an RLock; the
    holder keeps the lock."""
    def intruder(cond):
        yield cond.wait()

    def main():
        cond = Condition(kind())
        yield cond.acquire()
        task = yield spawn(intruder(cond))
        with pytest.raises(TaskError) as failed:
            yield join(task)
        assert cond.locked()
        cond.notify()                   # still ours
        cond.release()
        assert not cond.locked()
        return str(failed.value.__cause__)

    message = run(main())
    assert message.startswith("wait() on a Condition whose <%s" % kind.__name__)
    assert "held by another task than <Task" in message


def test_an_rlock_released_by_no_task_holding_it_raises():
    """curio's ``test_rlock_notowner``: ``release`` of an RLock nobody holds
    raises ``RuntimeError``."""
    def main():
        lock = RLock()
        with pytest.raises(RuntimeError, match="does not hold it"):
            lock.release()
        yield sleep(0)

    run(main())


# ======================================================== UniversalQueue

def test_a_task_get_cancelled_as_a_thread_puts_loses_no_item():
    """curio's ``test_univ_queue_cancel``: a task's ``get`` is cancelled
    while a thread puts the item it would get; the item is either the
    task's (it returned it) or still in the queue -- never lost."""
    def main():
        for _ in range(30):
            q = UniversalQueue()
            getter = yield spawn(q.get())
            yield parked(getter)
            thread = threading.Thread(target=q.put, args=("x",))
            thread.start()
            yield cancel(getter)
            thread.join()
            if getter.cancelled:
                assert q.get_nowait() == "x"
            else:
                assert (yield join(getter)) == "x" and q.empty()

    trampoline.run(main())


def test_tasks_of_two_kernels_in_two_threads_share_a_bounded_queue():
    """curio's ``test_univ_queue_multiple_kernels``: a producer task on one
    kernel, a consumer task on another, a queue of three between them:
    every item arrives once, in order."""
    q = UniversalQueue(maxsize=3)
    got = []

    def producer():
        for item in range(200):
            yield q.put(item)
        yield q.put(None)

    def consumer():
        while True:
            item = yield q.get()
            if item is None:
                return
            got.append(item)

    thread = threading.Thread(target=trampoline.run, args=(producer(),))
    thread.start()
    trampoline.run(consumer())
    thread.join()
    assert got == list(range(200))


def test_a_with_ending_elsewhere_leaves_a_selected_slot_its_with():
    """A slot taken through ``select`` is held for its caller, whose
    ``with`` comes later; another task's ``with`` ending meanwhile, or its
    long-form ``release``, does not make that ``with`` refused."""
    def other(sem, go):
        with (yield sem.acquire()):
            yield go.wait()

    def main():
        sem = Semaphore(3)
        go = trampoline.Event()
        inside = yield spawn(other(sem, go))
        yield parked(inside)
        yield sem.acquire()             # long form
        index, got = yield trampoline.select(sem.acquire(), go.wait())
        assert index == 0 and got is sem
        go.set()
        yield join(inside)              # its with ended
        sem.release()                   # the long form's release
        with got:                       # the select's slot
            assert sem.value == 2
        return sem.value

    assert run(main()) == 3
