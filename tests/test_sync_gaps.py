"""Rules of the sync primitives that no other test pinned, found by mutation
testing ``trampoline/sync.py``: each test here fails on a small change to
the module that every other test let through (its docstring ends with that
change, "Mutant: ..."), and states the rule asyncio, curio or trio users
rely on.

Tasks wait for each other with joins, events and ``parked`` -- never a
timed sleep -- on the virtual clock.
"""

import heapq
import random

import pytest

import trampoline
from trampoline import (Barrier, BoundedSemaphore, Condition, LifoQueue, Lock, PriorityQueue,
                        Queue, QueueEmpty, QueueFull, QueueShutDown, RLock, TaskError,
                        VirtualClock, cancel, join, spawn, timeout_after)
from trampoline.threads import run_in_thread
from task_helpers import parked


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


def drain(q):
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except QueueEmpty:
            return items


# ============================================================ Semaphores

def test_a_with_whose_release_is_refused_leaves_a_plain_with_refused():
    """A ``with`` over a BoundedSemaphore whose body released the slot
    already ends in ``ValueError`` -- and leaves no mark behind: a later
    plain ``with sem:`` (no acquire) is still refused with ``RuntimeError``
    before its body runs, the count unchanged.  Mutant: ``__exit__`` kept
    the mark of the refused release, and the plain ``with`` ran."""
    ran = []

    def main():
        sem = BoundedSemaphore(1)
        with pytest.raises(ValueError, match="released more times"):
            with (yield sem.acquire()):
                sem.release()
        assert sem.value == 1
        with pytest.raises(RuntimeError, match="plain 'with sem:'"):
            with sem:
                ran.append("body")      # pragma: no cover
        assert sem.value == 1

    run(main())
    assert ran == []


# ================================================================ Locks

def test_a_plain_with_on_a_free_lock_says_it_would_not_acquire_it():
    """A plain ``with lock:`` on a lock nobody holds is refused saying what
    is wrong -- it would not acquire the lock -- not that another task
    holds it, which is false.  Mutant: the first check of ``Lock.__enter__``
    dropped (the second then refused it with the wrong reason)."""
    def main():
        lock = Lock()
        with pytest.raises(RuntimeError) as error:
            with lock:
                pass                    # pragma: no cover
        assert "would not acquire it" in str(error.value)
        assert "another task" not in str(error.value)
        assert not lock.locked()
        yield lock.acquire()
        lock.release()

    run(main())


def test_an_rlock_let_go_by_a_condition_wait_is_shown_unlocked():
    """While its holder waits on a Condition, an RLock is free: its repr --
    which the errors of a wrong ``release`` quote -- says ``unlocked``, not
    held by the waiting task.  Mutant: ``RLock._release_save`` left
    ``_owner`` set."""
    def waiter(cond):
        with (yield cond.acquire()):
            yield cond.wait()

    def main():
        rlock = RLock()
        cond = Condition(rlock)
        task = yield spawn(waiter(cond))
        yield parked(task)
        assert not rlock.locked()
        assert "unlocked" in repr(rlock)
        with pytest.raises(RuntimeError) as error:
            rlock.release()
        assert "unlocked" in str(error.value)
        with (yield cond.acquire()):
            cond.notify()
        yield join(task)

    run(main())


# ============================================================ Condition

def test_a_condition_wait_without_its_lock_says_the_lock_is_not_held():
    """``wait()`` on a Condition whose lock nobody holds says so -- not that
    another task holds it (asyncio: "cannot wait on un-acquired lock").  Mutant: the
    check in ``Condition.wait`` dropped (``Lock._release_save`` then
    refused it, blaming another task)."""
    def main():
        for lock in (None, Lock(), RLock()):
            cond = Condition(lock)
            with pytest.raises(RuntimeError, match="lock is not held"):
                yield cond.wait()
            assert not cond.locked()

    run(main())


def test_notify_n_wakes_the_first_n_waiters_and_no_more():
    """``notify(2)`` wakes two waiters, the first two in order; the third
    waits on until the next notify (asyncio's ``test_notify``, trio's
    ``Condition.notify(n)``).  Mutant: ``notify(n)`` woke one."""
    woken = []

    def waiter(cond, name):
        with (yield cond.acquire()):
            yield cond.wait()
            woken.append(name)

    def main():
        cond = Condition()
        tasks = []
        for name in "abc":
            tasks.append((yield spawn(waiter(cond, name))))
            yield parked(tasks[-1])
        with (yield cond.acquire()):
            cond.notify(2)
        yield join(tasks[0])
        yield join(tasks[1])
        assert woken == ["a", "b"]
        assert tasks[2].state == "parked"
        with (yield cond.acquire()):
            cond.notify(5)              # more than wait: wakes who there is
        yield join(tasks[2])

    run(main())
    assert woken == ["a", "b", "c"]


# ============================================================== Barrier

def test_an_exception_in_an_async_with_barrier_block_propagates():
    """``async with barrier as index:`` waits at the barrier; an exception
    raised in its block goes on out of it (asyncio's ``Barrier.__aexit__``
    swallows nothing).  Mutant: ``Barrier.__aexit__`` returned True."""
    barrier = Barrier(2)

    async def party(name):
        async with barrier as index:
            raise ValueError("%s at %d" % (name, index))

    def main():
        a = yield spawn(party("a"))
        b = yield spawn(party("b"))
        errors = []
        for task in (a, b):
            try:
                yield join(task)
            except TaskError as exc:
                errors.append(str(exc.__cause__))
        return errors

    assert sorted(run(main())) == ["a at 0", "b at 1"]


# ================================================================ Queue

def test_an_item_left_by_a_cancelled_getter_is_still_first_in_line():
    """An item handed to a waiting getter that is cancelled before it runs
    goes back *first* in line: items put after it still come after it
    (asyncio keeps it in the queue until the getter has it).  Mutants:
    ``_put_back`` appended; ``_item_unclaimed`` called ``_put``."""
    def getter(q):
        return (yield q.get())

    def main():
        q = Queue()
        task = yield spawn(getter(q))
        yield parked(task)
        q.put_nowait(1)                 # handed to the parked getter
        q.put_nowait(2)
        q.put_nowait(3)
        yield cancel(task)
        assert task.cancelled
        return drain(q)

    assert run(main()) == [1, 2, 3]


@pytest.mark.parametrize("kind", [Queue, PriorityQueue, LifoQueue])
def test_the_item_a_cancelled_getter_leaves_after_an_immediate_shutdown_lets_join_go(kind):
    """``shutdown(immediate=True)`` leaves an item already handed to (or
    kept for) a woken getter alone; when that getter is cancelled before it
    takes it, the item is dropped, counted done -- and, the last one
    unfinished, lets the tasks in ``join()`` go (asyncio 3.13 drops, and
    counts done, every item not yet taken: ``join`` never waits for items
    nobody will take).
    Mutants: either ``_all_done.wake_all()`` in ``_item_unclaimed`` dropped,
    or its test made ``== 1``."""
    def getter(q):
        return (yield q.get())

    def main():
        q = kind()
        q.put_nowait(0)
        joiner = yield spawn(q.join())
        yield parked(joiner)
        assert q.get_nowait() == 0
        task = yield spawn(getter(q))
        yield parked(task)
        q.put_nowait(1)                 # handed to it, or kept for it
        q.task_done()                   # 0's: 1 is left unfinished
        q.shutdown(immediate=True)
        yield cancel(task, wait=False)  # before it runs
        with pytest.raises(TaskError):
            yield join(task)
        assert task.cancelled
        yield timeout_after(10, join(joiner))
        assert q.qsize() == 0 and q.empty()
        with pytest.raises(QueueShutDown):
            q.get_nowait()

    run(main())


@pytest.mark.parametrize("kind", [Queue, PriorityQueue, LifoQueue])
def test_an_item_on_its_way_to_a_woken_getter_is_not_counted_in_the_queue(kind):
    """An item put while a getter waits is that getter's: until it runs,
    ``qsize()`` does not count it, ``empty()`` agrees with ``qsize()``, and
    ``get_nowait()`` by another task cannot take it.  Mutant: ``qsize``
    counted the items kept for woken getters."""
    def getter(q):
        return (yield q.get())

    def main():
        q = kind()
        task = yield spawn(getter(q))
        yield parked(task)
        q.put_nowait(7)
        assert (q.qsize(), q.empty()) == (0, True)
        with pytest.raises(QueueEmpty):
            q.get_nowait()
        q.put_nowait(8)
        assert (q.qsize(), q.empty()) == (1, False)
        got = yield join(task)
        return got, drain(q)

    got, left = run(main())
    assert sorted([got] + left) == [7, 8]


def test_room_promised_to_a_waiting_putter_is_not_taken_by_a_newcomer():
    """A bounded queue made room while a putter waits: the room is that
    putter's.  Until it runs the queue stays ``full()``, a ``put_nowait``
    by another task raises ``QueueFull``, and the queue never holds more
    than ``maxsize`` (asyncio, curio: putters are served in order).
    Mutant: ``full()`` left out the room reserved for woken putters."""
    def putter(q):
        yield q.put("waited")

    def main():
        q = Queue(maxsize=1)
        q.put_nowait("first")
        task = yield spawn(putter(q))
        yield parked(task)
        assert q.get_nowait() == "first"        # room: promised to the putter
        assert q.full()
        with pytest.raises(QueueFull):
            q.put_nowait("newcomer")
        yield join(task)
        assert q.qsize() == 1
        return drain(q)

    assert run(main()) == ["waited"]


def test_a_full_queue_shut_down_while_a_putter_waits_is_still_full():
    """The putter waiting on a full queue raises ``QueueShutDown`` at the
    shutdown, and takes nothing with it: the queue, its item still in it,
    stays ``full()`` and gives that item.  Mutant: the putter woken by
    the shutdown went on to give back a slot it was never given."""
    def putter(q):
        yield q.put("never")

    def main():
        q = Queue(maxsize=1)
        q.put_nowait("kept")
        task = yield spawn(putter(q))
        yield parked(task)
        q.shutdown()
        with pytest.raises(TaskError) as error:
            yield join(task)
        assert isinstance(error.value.__cause__, QueueShutDown)
        assert q.full() and q.qsize() == 1
        assert q.get_nowait() == "kept"
        assert not q.full()

    run(main())


@pytest.mark.parametrize("kind", [Queue, PriorityQueue, LifoQueue])
def test_a_put_refused_from_another_thread_leaves_no_item_behind(kind):
    """A ``put_nowait`` from a worker thread while a task waits to get is
    refused (it would not wake the kernel) -- and changes nothing: no item
    is left in the queue, none counted unfinished for ``join``, the getter
    still waits.  (A PriorityQueue's or LifoQueue's, which keeps the item in
    the queue for the getter, stored it before the refusal.)  Mutant:
    ``_store`` without its ``check_thread()``."""
    def getter(q):
        return (yield q.get())

    def main():
        q = kind()
        task = yield spawn(getter(q))
        yield parked(task)
        with pytest.raises(RuntimeError, match="woken from thread"):
            yield run_in_thread(q.put_nowait, "wrong")
        assert (q.qsize(), q.empty(), task.state) == (0, True, "parked")
        yield q.join()                  # nothing unfinished: at once
        q.put_nowait("right")
        got = yield join(task)
        q.task_done()
        yield q.join()
        return got, drain(q)

    assert trampoline.run(main()) == ("right", [])


@pytest.mark.parametrize("immediate", [False, True])
def test_an_immediate_shutdown_changes_nothing_the_woken_getters_of_a_lifo_queue_get(immediate):
    """Getters woken by items put into a LifoQueue take the newest items
    there, in the order they were woken -- and an immediate shutdown
    before they run, which drops only the rest, does not change which
    getter gets which.  Mutant: ``shutdown`` put the kept items back in
    the reverse order."""
    def getter(q):
        return (yield q.get())

    def main():
        q = LifoQueue()
        a = yield spawn(getter(q))
        b = yield spawn(getter(q))
        yield parked(a, b)
        for item in (1, 2, 3):
            q.put_nowait(item)          # a and b woken; 1 nobody's
        if immediate:
            q.shutdown(immediate=True)  # drops 1
        return (yield join(a)), (yield join(b)), q.qsize()

    assert run(main()) == (3, 2, 0 if immediate else 1)


def test_a_priority_queue_of_many_items_gives_them_in_order():
    """Deep heaps too: a PriorityQueue given a shuffled hundred items, and
    then puts and gets mixed, gives what ``heapq`` gives, every time the
    smallest there (the small cases in test_sync fill two levels only).
    Mutant: ``_get`` went down the path ``2 * child + 2``."""
    rng = random.Random(24)
    items = list(range(100))
    rng.shuffle(items)
    q = PriorityQueue()
    oracle = []
    for item in items:
        q.put_nowait(item)
        heapq.heappush(oracle, item)
    got, expected = [], []
    for _ in range(300):
        if oracle and rng.random() < 0.55:
            got.append(q.get_nowait())
            expected.append(heapq.heappop(oracle))
        else:
            item = rng.randrange(1000)
            q.put_nowait(item)
            heapq.heappush(oracle, item)
    got += drain(q)
    expected += sorted(oracle)
    assert got == expected
