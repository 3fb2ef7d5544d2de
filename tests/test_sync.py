"""Event, Lock, Semaphore, BoundedSemaphore, Condition, Queue, PriorityQueue,
LifoQueue: normal use, cancellation while blocked (no lost wake-ups, no
leaked locks), FIFO wake order, timeouts, and use from ``async def``.

Tasks never use timed sleeps to wait for each other: they join, wait on
events, or poll a condition with ``until`` (which only yields ``sleep(0)``).
A task's ``state`` (``"parked"``) says when it is blocked.
"""

import time

import pytest

import trampoline
from trampoline import (BoundedSemaphore, Cancelled, Condition, Event, LifoQueue, Lock,
                        PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown, RLock,
                        Semaphore, TaskError, TaskTimeout, VirtualClock, call, cancel, current, join, run,
                        sleep, spawn, timeout_after)
from task_helpers import parked, until


# ------------------------------------------------------------- helpers

def drain(q):
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except QueueEmpty:
            return items


def finished(task):
    """Join ``task``; return ("ok", value) or ("cancelled"/"failed", exc)."""
    try:
        return ("ok", (yield join(task)))
    except TaskError as exc:
        return ("cancelled" if task.cancelled else "failed", exc.__cause__)


# =============================================================== Event

def test_event_wait_returns_at_once_when_set():
    def main():
        ev = Event()
        assert not ev.is_set()
        ev.set()
        assert ev.is_set()
        return (yield ev.wait())

    assert run(main()) is True


def test_event_set_wakes_every_waiter_in_fifo_order():
    order = []

    def waiter(ev, name):
        yield ev.wait()
        order.append(name)

    def main():
        ev = Event()
        tasks = []
        for name in "abcd":
            tasks.append((yield spawn(waiter(ev, name))))
            yield parked(tasks[-1])
        assert order == []
        ev.set()
        for t in tasks:
            yield join(t)

    run(main())
    assert order == list("abcd")


def test_event_clear_after_set_does_not_lose_the_wakeup():
    """Waiters woken by set() return even if the flag is cleared before they run."""
    woke = []

    def waiter(ev):
        woke.append((yield ev.wait()))

    def main():
        ev = Event()
        t = yield spawn(waiter(ev))
        yield parked(t)
        ev.set()
        ev.clear()
        assert not ev.is_set()
        yield join(t)

    run(main())
    assert woke == [True]


def test_event_wait_blocks_again_after_clear():
    def main():
        ev = Event()
        ev.set()
        ev.clear()
        t = yield spawn(ev.wait())
        yield parked(t)
        assert not t.done
        ev.set()
        return (yield join(t))

    assert run(main()) is True


def test_event_waiter_woken_then_cancelled_wakes_no_later_waiter():
    """set() then clear() (a pulse) wakes the tasks waiting then; one of them
    cancelled before it runs must not pass its wake-up on to a task that
    began waiting after the clear() -- that task waits for the next set(),
    as in asyncio, trio and curio."""
    woke = []

    def waiter(ev, name):
        yield ev.wait()
        woke.append((name, ev.is_set()))

    def main():
        ev = Event()
        a = yield spawn(waiter(ev, "a"))
        yield parked(a)

        def cancel_a():
            assert b.state == "parked" and a.state == "ready"   # b waits since the clear()
            yield cancel(a)

        b = yield spawn(waiter(ev, "b"))        # runs (and waits) after the pulse,
        c = yield spawn(cancel_a())             # then c cancels a, woken but not run
        ev.set()
        ev.clear()
        yield join(c)
        yield sleep(0)
        assert a.cancelled
        assert b.state == "parked", woke
        ev.set()
        yield join(b)

    run(main())
    assert woke == [("b", True)]


def test_event_waiter_cancelled_while_blocked_leaves_the_queue():
    log = []

    def waiter(ev, name):
        try:
            yield ev.wait()
            log.append(name)
        except Cancelled:
            log.append(name + " cancelled")
            raise

    def main():
        ev = Event()
        a = yield spawn(waiter(ev, "a"))
        b = yield spawn(waiter(ev, "b"))
        yield parked(a, b)
        yield cancel(a)
        assert "waiting=1" in repr(ev)
        ev.set()
        yield join(b)

    run(main())
    assert log == ["a cancelled", "b"]


def test_event_from_async_def():
    async def waiter(ev):
        return await ev.wait()

    async def main():
        ev = Event()
        t = await spawn(waiter(ev))
        await call(parked(t))
        ev.set()
        return await join(t)

    assert run(main()) is True


# ================================================================ Lock

def test_lock_acquire_release_locked():
    def main():
        lock = Lock()
        assert not lock.locked()
        got = yield lock.acquire()
        assert got is lock
        assert lock.locked()
        lock.release()
        assert not lock.locked()
        with pytest.raises(RuntimeError):
            lock.release()

    run(main())


def test_lock_gives_mutual_exclusion_across_yields():
    inside = [0]
    most = [0]

    def worker(lock):
        for _ in range(5):
            yield lock.acquire()
            try:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                yield sleep(0)
                yield sleep(0)
                inside[0] -= 1
            finally:
                lock.release()
            yield sleep(0)

    def main():
        lock = Lock()
        tasks = []
        for _ in range(6):
            tasks.append((yield spawn(worker(lock))))
        for t in tasks:
            yield join(t)
        assert not lock.locked()

    run(main())
    assert most[0] == 1


def test_lock_waiters_acquire_in_fifo_order():
    order = []

    def waiter(lock, name):
        yield lock.acquire()
        try:
            order.append(name)
            yield sleep(0)
        finally:
            lock.release()

    def main():
        lock = Lock()
        yield lock.acquire()
        tasks = []
        for name in "abcde":
            tasks.append((yield spawn(waiter(lock, name))))
            yield parked(tasks[-1])
        lock.release()
        for t in tasks:
            yield join(t)

    run(main())
    assert order == list("abcde")


def test_lock_release_cannot_be_stolen_by_a_newcomer():
    """The lock goes to the first waiter, not to a task that asks after release()."""
    order = []

    def waiter(lock, name):
        yield lock.acquire()
        order.append(name)
        lock.release()

    def main():
        lock = Lock()
        yield lock.acquire()
        a = yield spawn(waiter(lock, "waiter"))
        yield parked(a)
        lock.release()
        yield lock.acquire()            # a newcomer: must queue behind "waiter"
        order.append("newcomer")
        lock.release()
        yield join(a)

    run(main())
    assert order == ["waiter", "newcomer"]


def test_with_yield_acquire_idiom_releases_on_exception():
    def main():
        lock = Lock()
        with pytest.raises(KeyError):
            with (yield lock.acquire()):
                assert lock.locked()
                yield sleep(0)
                raise KeyError("inside")
        assert not lock.locked()
        with (yield lock.acquire()) as held:
            assert held is lock
            assert lock.locked()
        assert not lock.locked()

    run(main())


def test_plain_with_lock_without_acquire_is_refused():
    def main():
        lock = Lock()
        with pytest.raises(RuntimeError):
            with lock:
                pass                    # pragma: no cover
        assert not lock.locked()
        yield sleep(0)

    run(main())


@pytest.mark.parametrize("kind", [Semaphore, BoundedSemaphore])
def test_plain_with_semaphore_without_acquire_is_refused(kind):
    """A plain ``with sem:`` took no slot and gave one back at its end: the
    count grew by one each time (asyncio, trio and curio refuse it).  With
    ``yield sem.acquire()``, ``async with`` and a later ``with`` of a slot
    acquired first, it works as before."""
    def main():
        sem = kind(2)
        with pytest.raises(RuntimeError, match="plain 'with sem:'"):
            with sem:
                pass                    # pragma: no cover
        assert sem.value == 2
        for _ in range(3):
            with (yield sem.acquire()) as held:
                assert held is sem and sem.value == 1
        assert sem.value == 2
        yield sem.acquire()
        with sem:                       # the slot acquired above
            assert sem.value == 1
        with pytest.raises(RuntimeError):
            with sem:                   # no slot left unentered
                pass                    # pragma: no cover
        assert sem.value == 2
        yield using_async_with(sem)
        assert sem.value == 2

    async def using_async_with(sem):
        async with sem:
            assert sem.value == 1
        with pytest.raises(RuntimeError):
            with sem:
                pass                    # pragma: no cover

    run(main())


def test_plain_with_lock_held_by_another_task_is_refused():
    """``with lock:`` without ``yield lock.acquire()``, while another task
    holds the lock, would run its block beside that task and then release
    that task's lock: refused too (in asyncio and trio a plain ``with lock:``
    is always an error)."""
    def holder(lock, go):
        with (yield lock.acquire()):
            yield go.wait()

    def main():
        lock, go = Lock(), Event()
        h = yield spawn(holder(lock, go))
        yield parked(h)
        for plain in (lock, Condition(lock)):
            with pytest.raises(RuntimeError, match="held by another task"):
                with plain:
                    pass                # pragma: no cover
            assert lock.locked()
        go.set()
        yield join(h)
        assert not lock.locked()

    run(main())


def test_async_with_lock():
    order = []

    async def worker(lock, name):
        async with lock:
            order.append(name + " in")
            await sleep(0)
            order.append(name + " out")

    async def main():
        lock = Lock()
        a = await spawn(worker(lock, "a"))
        b = await spawn(worker(lock, "b"))
        await join(a)
        await join(b)
        assert not lock.locked()

    run(main())
    assert order == ["a in", "a out", "b in", "b out"]


def test_async_with_lock_releases_on_exception():
    async def main():
        lock = Lock()
        with pytest.raises(ValueError):
            async with lock:
                assert lock.locked()
                raise ValueError
        assert not lock.locked()
        return await lock.acquire()

    # the lock was free again: acquire() returned at once with the lock
    assert isinstance(run(main()), Lock)


def test_lock_waiter_cancelled_while_blocked_does_not_take_the_lock():
    log = []

    def waiter(lock, name):
        yield lock.acquire()
        try:
            log.append(name)
        finally:
            lock.release()

    def main():
        lock = Lock()
        yield lock.acquire()
        a = yield spawn(waiter(lock, "a"))
        b = yield spawn(waiter(lock, "b"))
        yield parked(a, b)
        yield cancel(a)
        lock.release()
        yield join(b)
        assert not lock.locked()
        assert a.cancelled

    run(main())
    assert log == ["b"]


def test_lock_handed_to_waiter_then_cancelled_before_it_runs_is_not_leaked():
    """release() hands the lock to a waiter; cancelling that waiter before it
    runs must neither leak the lock nor skip the next waiter."""
    log = []

    def waiter(lock, name):
        with (yield lock.acquire()):
            log.append(name + " holds")
            yield sleep(0)
            log.append(name + " done")

    def main():
        lock = Lock()
        yield lock.acquire()
        a = yield spawn(waiter(lock, "a"))
        b = yield spawn(waiter(lock, "b"))
        yield parked(a, b)
        lock.release()                  # hands the lock to a...
        yield cancel(a)                 # ...which is cancelled before it runs
        yield join(b)
        assert a.cancelled
        assert not lock.locked()
        yield lock.acquire()            # free: returns at once
        lock.release()

    run(main())
    assert "b holds" in log and "b done" in log
    assert "a done" not in log


def test_a_second_release_while_the_lock_is_on_its_way_to_a_waiter_raises():
    """release() hands the lock to a waiter that has not run yet; releasing
    again then is the caller's bug, and must say so there -- not let a
    second waiter in beside the first (asyncio and trio raise too)."""
    holders, most = [], []

    def worker(lock, name):
        with (yield lock.acquire()):
            holders.append(name)
            most.append(len(holders))
            yield sleep(0)
            holders.remove(name)

    def main():
        lock = Lock()
        yield lock.acquire()
        b = yield spawn(worker(lock, "b"))
        c = yield spawn(worker(lock, "c"))
        yield parked(b, c)
        lock.release()                  # to b, which has not run yet
        with pytest.raises(RuntimeError, match="not run yet"):
            lock.release()
        yield join(b)
        yield join(c)
        assert not lock.locked()
        with pytest.raises(RuntimeError, match="unlocked Lock"):
            lock.release()

    run(main())
    assert most == [1, 1]


def test_lock_acquire_timeout_does_not_leak_the_lock():
    def holder(lock, done):
        with (yield lock.acquire()):
            yield done.wait()

    def main():
        lock, done = Lock(), Event()
        task = yield spawn(holder(lock, done))
        yield until(lock.locked)
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, lock.acquire())
        assert lock.locked()            # still the holder's
        done.set()
        yield join(task)
        assert not lock.locked()
        assert "waiting=0" in repr(lock)

    run(main())


def test_lock_handed_over_as_the_timeout_expires_is_not_leaked():
    """The holder releases (handing the lock over) in the same kernel turn as
    the waiter's timeout expires: the waiter either gets the lock (and
    releases it) or gets TaskTimeout without it -- never a leaked lock."""
    outcome = []

    def waiter(lock):
        try:
            yield timeout_after(0.01, lock.acquire())
        except TaskTimeout:
            outcome.append("timeout")
            return
        outcome.append("acquired")
        lock.release()

    def main():
        lock = Lock()
        yield lock.acquire()
        w = yield spawn(waiter(lock))
        yield parked(w)
        time.sleep(0.03)                # the kernel is stuck past the deadline
        lock.release()                  # hand-off and expiry in the same turn
        yield join(w)
        assert not lock.locked(), "lock leaked after %r" % outcome
        yield timeout_after(1, lock.acquire())
        lock.release()

    run(main())
    assert len(outcome) == 1


# =========================================================== Semaphore

def test_semaphore_limits_concurrency():
    inside = [0]
    most = [0]

    def worker(sem):
        yield sem.acquire()
        try:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            yield sleep(0)
            yield sleep(0)
            inside[0] -= 1
        finally:
            sem.release()

    def main():
        sem = Semaphore(3)
        tasks = []
        for _ in range(10):
            tasks.append((yield spawn(worker(sem))))
        for t in tasks:
            yield join(t)
        return sem.value

    assert run(main()) == 3
    assert most[0] == 3


def test_with_yield_acquire_idiom_on_a_semaphore_with_slots_left():
    """The documented ``with (yield sem.acquire()):`` idiom works while other
    slots are still free, and gives the slot back afterwards."""
    def main():
        sem = Semaphore(2)
        with (yield sem.acquire()) as held:
            assert held is sem
            assert sem.value == 1
        return sem.value

    assert run(main()) == 2


def test_semaphore_value_locked_and_zero():
    def main():
        sem = Semaphore(2)
        yield sem.acquire()
        assert sem.value == 1 and not sem.locked()
        yield sem.acquire()
        assert sem.value == 0 and sem.locked()
        sem.release()
        sem.release()
        sem.release()                   # a plain Semaphore may go above its start
        assert sem.value == 3
        zero = Semaphore(0)
        t = yield spawn(zero.acquire())
        yield parked(t)
        zero.release()
        yield join(t)
        assert zero.value == 0

    run(main())


def test_semaphore_rejects_bad_values():
    with pytest.raises(ValueError):
        Semaphore(-1)
    with pytest.raises(ValueError):
        BoundedSemaphore(-2)


def test_semaphore_fifo_order():
    order = []

    def waiter(sem, name):
        yield sem.acquire()
        order.append(name)

    def main():
        sem = Semaphore(0)
        tasks = []
        for name in "abcd":
            tasks.append((yield spawn(waiter(sem, name))))
            yield parked(tasks[-1])
        for _ in "abcd":
            sem.release()
            yield sleep(0)
        for t in tasks:
            yield join(t)

    run(main())
    assert order == list("abcd")


def test_semaphore_cancelled_waiter_does_not_eat_a_slot():
    def main():
        sem = Semaphore(1)
        yield sem.acquire()
        a = yield spawn(sem.acquire())
        b = yield spawn(sem.acquire())
        yield parked(a, b)
        yield cancel(a)
        sem.release()                   # goes to b
        yield join(b)
        assert sem.value == 0
        sem.release()
        assert sem.value == 1

    run(main())


def test_semaphore_slot_handed_to_cancelled_waiter_is_returned():
    def waiter(sem, log):
        with (yield sem.acquire()):
            log.append("got")
            yield sleep(0)              # the cancellation lands here
            log.append("not cancelled")

    def main():
        log = []
        sem = Semaphore(1)
        yield sem.acquire()
        a = yield spawn(waiter(sem, log))
        yield parked(a)
        sem.release()                   # handed to a
        yield cancel(a)                 # before a runs
        assert a.cancelled
        assert "not cancelled" not in log
        return sem.value

    assert run(main()) == 1


def test_bounded_semaphore_refuses_extra_release():
    def main():
        sem = BoundedSemaphore(2)
        with pytest.raises(ValueError):
            sem.release()
        yield sem.acquire()
        sem.release()
        with pytest.raises(ValueError):
            sem.release()
        assert sem.value == 2
        # releasing to a waiter is fine even at the bound
        yield sem.acquire()
        yield sem.acquire()
        t = yield spawn(sem.acquire())
        yield parked(t)
        sem.release()
        yield join(t)
        assert sem.value == 0

    run(main())


def test_bounded_semaphore_second_release_while_the_slot_is_on_its_way_is_refused():
    """release() hands the slot to a waiter that has not run yet; a second
    release() then is one more than were acquired and must raise -- not
    free a slot that lets a second holder into a BoundedSemaphore(1), as
    the Lock refuses its second release (asyncio's, trio's and curio's
    bounded semaphores let it through)."""
    holders, most = [], []

    def worker(sem, name):
        with (yield sem.acquire()):
            holders.append(name)
            most.append(len(holders))
            yield sleep(0)
            holders.remove(name)

    def main():
        sem = BoundedSemaphore(1)
        yield sem.acquire()
        b = yield spawn(worker(sem, "b"))
        yield parked(b)
        sem.release()                   # to b, which has not run yet
        with pytest.raises(ValueError, match="released more times"):
            sem.release()
        c = yield spawn(worker(sem, "c"))
        yield join(b)
        yield join(c)
        with pytest.raises(ValueError):
            sem.release()
        return sem.value

    assert run(main()) == 1
    assert most == [1, 1]


def test_semaphore_async_with_and_await():
    async def worker(sem, log):
        async with sem:
            log.append(sem.value)
            await sleep(0)

    async def main():
        log = []
        sem = BoundedSemaphore(2)
        tasks = []
        for _ in range(4):
            tasks.append(await spawn(worker(sem, log)))
        for t in tasks:
            await join(t)
        await sem.acquire()
        sem.release()
        return log, sem.value

    log, value = run(main())
    assert value == 2
    assert min(log) == 0 and len(log) == 4


# =========================================================== Condition

def test_condition_notify_wakes_one_in_fifo_order():
    order = []

    def waiter(cond, name):
        with (yield cond.acquire()):
            yield cond.wait()
            assert cond.locked()
            order.append(name)

    def main():
        cond = Condition()
        tasks = []
        for name in "abc":
            tasks.append((yield spawn(waiter(cond, name))))
            yield parked(tasks[-1])
        for expected in range(1, 4):
            with (yield cond.acquire()):
                cond.notify()
            yield until(lambda: len(order) == expected)
        for t in tasks:
            yield join(t)

    run(main())
    assert order == list("abc")


def test_condition_notify_all_and_wait_for():
    state = {"n": 0}
    seen = []

    def waiter(cond):
        with (yield cond.acquire()):
            value = yield cond.wait_for(lambda: state["n"] >= 3 and state["n"])
            seen.append(value)

    def main():
        cond = Condition()
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(waiter(cond))))
        yield parked(*tasks)
        for _ in range(3):
            with (yield cond.acquire()):
                state["n"] += 1
                cond.notify_all()
            yield sleep(0)
        for t in tasks:
            yield join(t)
        assert not cond.locked()

    run(main())
    assert seen == [3, 3, 3]


def test_condition_wait_without_lock_is_an_error():
    def main():
        cond = Condition()
        with pytest.raises(RuntimeError):
            yield cond.wait()

    run(main())


def test_condition_wait_on_an_rlock_another_task_holds_is_an_error_naming_both():
    """The RLock is locked -- by another task: wait() must not release it
    for that task (threading.Condition refuses a wait by a non-owner too).
    The error names the lock and the waiting task; the lock stays with its
    holder.  The Condition's repr shows its lock and who waits."""
    def holder(lock, go):
        with (yield lock.acquire()):
            yield go.wait()

    def main():
        lock = RLock()
        cond = Condition(lock)
        go = Event()
        task = yield spawn(holder(lock, go))
        yield parked(task)
        me = yield current()
        with pytest.raises(RuntimeError) as error:
            yield cond.wait()
        seen = (str(error.value), lock.locked(), repr(cond), repr(lock), repr(me))
        go.set()
        yield join(task)
        return seen

    message, still, cond_text, lock_text, me_text = run(main())
    assert message == ("wait() on a Condition whose %s is held by another task than %s"
                       % (lock_text, me_text))
    assert "held 1 time(s) by <Task" in lock_text and still is True
    assert cond_text == "<Condition %s waiting=0>" % lock_text


def test_condition_shares_a_given_lock():
    def main():
        lock = Lock()
        cond = Condition(lock)
        yield cond.acquire()
        assert lock.locked()
        cond.release()
        assert not lock.locked()

    run(main())


def test_condition_refuses_what_is_not_a_lock():
    """trio's rule: a Semaphore (which has no holder, and is "locked" only
    when every slot is taken) cannot be a Condition's lock."""
    for bad in (Semaphore(1), BoundedSemaphore(1), "lock"):
        with pytest.raises(TypeError, match="Lock or an RLock"):
            Condition(bad)


def test_condition_wait_releases_an_rlock_held_several_times_and_restores_it():
    """As threading.Condition does: wait() frees an RLock however many times
    its task holds it -- else the notifier could never take it -- and gives
    it back held as many times."""
    log = []

    def waiter(cond, lock):
        with (yield lock.acquire()):
            with (yield cond.acquire()):
                yield cond.wait()
                log.append(("woken", lock.locked()))
            log.append(("once", lock.locked()))
        log.append(("free", lock.locked()))

    def main():
        lock = RLock()
        cond = Condition(lock)
        w = yield spawn(waiter(cond, lock))
        yield parked(w)
        yield timeout_after(1, cond.acquire())      # free while w waits
        cond.notify()
        cond.release()
        yield join(w)
        with pytest.raises(RuntimeError, match="does not hold it"):
            lock.release()

    run(main(), clock=VirtualClock())
    assert log == [("woken", True), ("once", True), ("free", False)]


def test_condition_wait_cancelled_reacquires_the_lock_before_raising():
    """A waiter cancelled while the lock is held elsewhere only sees the
    cancellation once it holds the lock again."""
    log = []

    def waiter(cond):
        yield cond.acquire()
        try:
            yield cond.wait()
        except Cancelled:
            log.append(("waiter cancelled", cond.locked()))
            raise
        finally:
            cond.release()              # must be right: we hold it again

    def main():
        cond = Condition()
        w = yield spawn(waiter(cond))
        yield parked(w)
        yield cond.acquire()
        yield cancel(w, wait=False)
        for _ in range(5):
            yield sleep(0)
        log.append("holder releases")
        cond.release()
        result = yield finished(w)
        assert result[0] == "cancelled", result
        assert not cond.locked()

    run(main())
    assert log == ["holder releases", ("waiter cancelled", True)]


def test_condition_wait_timeout_reacquires_the_lock():
    def main():
        cond = Condition()
        yield cond.acquire()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, cond.wait())
        assert cond.locked()
        cond.release()                  # ours: no RuntimeError
        assert not cond.locked()

    run(main())


def test_condition_notified_waiter_cancelled_before_it_runs_loses_no_notify():
    """notify(1) picks the first waiter; that waiter is cancelled before it
    gets the lock back.  Either its wait() still returns (it consumed the
    notification) or the notification passes to the next waiter -- it must
    not vanish, leaving the second waiter asleep with a notify outstanding."""
    log = []

    def waiter(cond, name):
        yield cond.acquire()
        try:
            yield cond.wait()
            log.append(name + " returned from wait")
        finally:
            cond.release()

    def main():
        cond = Condition()
        a = yield spawn(waiter(cond, "a"))
        yield parked(a)
        b = yield spawn(waiter(cond, "b"))
        yield parked(b)
        yield cond.acquire()
        cond.notify(1)                  # picks a
        yield cancel(a, wait=False)     # a is cancelled before it runs
        for _ in range(5):
            yield sleep(0)              # a tries to take the lock back
        cond.release()
        try:
            yield until(lambda: log, limit=100)
        finally:
            yield cancel(b)
        assert not cond.locked()

    run(main())
    assert log in (["a returned from wait"], ["b returned from wait"])


def test_condition_from_async_def():
    async def consumer(cond, items, got):
        async with cond:
            await cond.wait_for(lambda: items)
            got.append(items.pop(0))

    async def main():
        cond = Condition()
        items, got = [], []
        t = await spawn(consumer(cond, items, got))
        await call(parked(t))
        async with cond:
            items.append("x")
            cond.notify()
        await join(t)
        return got

    assert run(main()) == ["x"]


# ============================================================= Barrier

@pytest.mark.parametrize("parties", [0, -1, 2.0, "2", None, True])
def test_a_barrier_refuses_a_number_of_parties_that_is_not_an_int_of_at_least_one(parties):
    with pytest.raises(ValueError) as error:
        trampoline.Barrier(parties)
    assert str(error.value) == ("Barrier needs an int number of parties >= 1, got %r"
                                % (parties,))


def test_a_task_cancelled_at_a_barrier_leaves_the_round_before_it_runs():
    """A waiter cancelled at a Barrier is out of the round at once, not
    once it has run: a task arriving in between must still wait for a real
    second party (it passed a Barrier(2) alone, the cancelled task's place
    counted), and the round it makes numbers its parties 0, 1."""
    barrier = trampoline.Barrier(2)

    def main():
        gone = yield spawn(barrier.wait())
        yield parked(gone)
        yield cancel(gone, wait=False)          # it has not run yet
        assert barrier.n_waiting == 0
        with pytest.raises(TaskTimeout):
            yield timeout_after(5, barrier.wait())      # alone: nobody comes
        other = yield spawn(barrier.wait())
        index = yield barrier.wait()
        assert gone.cancelled
        return index, (yield join(other))

    assert run(main(), clock=trampoline.VirtualClock()) == (0, 1)


# =============================================================== Queue

def test_queue_fifo_and_sizes():
    def main():
        q = Queue(maxsize=3)
        assert q.empty() and not q.full() and q.qsize() == 0
        for i in range(3):
            yield q.put(i)
        assert q.full() and q.qsize() == 3
        with pytest.raises(QueueFull):
            q.put_nowait(99)
        got = []
        for _ in range(3):
            got.append((yield q.get()))
        with pytest.raises(QueueEmpty):
            q.get_nowait()
        return got

    assert run(main()) == [0, 1, 2]


def test_queue_rejects_bad_maxsize():
    with pytest.raises(ValueError):
        Queue(-1)
    with pytest.raises(ValueError):
        Queue(1.5)


def test_unbounded_queue_is_never_full():
    q = Queue()
    for i in range(1000):
        q.put_nowait(i)
    assert not q.full() and q.qsize() == 1000


def test_queue_get_blocks_until_put():
    def consumer(q, got):
        got.append((yield q.get()))

    def main():
        q = Queue()
        got = []
        t = yield spawn(consumer(q, got))
        yield parked(t)
        assert got == []
        yield q.put("hello")
        yield join(t)
        return got

    assert run(main()) == ["hello"]


def test_bounded_queue_put_blocks_while_full():
    """Backpressure: the producer cannot run more than maxsize ahead."""
    progress = []

    def producer(q):
        for i in range(5):
            yield q.put(i)
            progress.append(i)

    def main():
        q = Queue(maxsize=2)
        p = yield spawn(producer(q))
        yield parked(p)
        assert progress == [0, 1] and q.full()
        got = []
        for _ in range(5):
            got.append((yield q.get()))
            yield sleep(0)
            assert q.qsize() <= 2
        yield join(p)
        return got

    assert run(main()) == [0, 1, 2, 3, 4]
    assert progress == [0, 1, 2, 3, 4]


def test_queue_getters_woken_in_fifo_order():
    got = []

    def getter(q, name):
        got.append((name, (yield q.get())))

    def main():
        q = Queue()
        tasks = []
        for name in "abcd":
            tasks.append((yield spawn(getter(q, name))))
            yield parked(tasks[-1])
        for i in range(4):
            q.put_nowait(i)
        for t in tasks:
            yield join(t)

    run(main())
    assert got == [("a", 0), ("b", 1), ("c", 2), ("d", 3)]


def test_queue_putters_woken_in_fifo_order():
    def putter(q, item):
        yield q.put(item)

    def main():
        q = Queue(maxsize=1)
        q.put_nowait("first")
        tasks = []
        for name in "abcd":
            tasks.append((yield spawn(putter(q, name))))
            yield parked(tasks[-1])
        got = []
        for _ in range(5):
            got.append((yield q.get()))
        for t in tasks:
            yield join(t)
        return got

    assert run(main()) == ["first", "a", "b", "c", "d"]


def test_queue_getter_robbed_by_a_newcomer_keeps_its_place_in_line():
    """A getter woken for an item that a newcomer takes first must still be
    served before getters that started waiting after it (FIFO)."""
    got = []

    def getter(q, name):
        got.append((name, (yield q.get())))

    def main():
        q = Queue()
        a = yield spawn(getter(q, "a"))
        yield parked(a)
        b = yield spawn(getter(q, "b"))
        yield parked(b)
        q.put_nowait(1)                 # wakes a...
        try:
            q.get_nowait()              # ...but a newcomer asks before a runs
        except QueueEmpty:
            pass                        # (or the item was reserved for a)
        yield sleep(0)
        yield sleep(0)
        q.put_nowait(2)
        q.put_nowait(3)
        yield join(a)
        yield join(b)

    run(main())
    assert [name for name, _ in got] == ["a", "b"], got


def test_queue_getter_cancelled_while_blocked_swallows_nothing():
    got = []

    def getter(q, name):
        got.append((name, (yield q.get())))

    def main():
        q = Queue()
        a = yield spawn(getter(q, "a"))
        b = yield spawn(getter(q, "b"))
        yield parked(a, b)
        yield cancel(a)
        q.put_nowait("x")
        q.put_nowait("y")
        yield join(b)
        return drain(q)

    assert run(main()) == ["y"]
    assert got == [("b", "x")]


def test_queue_getter_woken_then_cancelled_before_it_runs_keeps_the_item():
    """put() hands an item to the parked getter; the getter is cancelled
    before it runs.  The item is either got by it (the cancellation then
    lands at its next blocking trap) or still in the queue -- exactly once."""
    got = []

    def getter(q):
        item = yield q.get()
        got.append(item)
        yield sleep(0)                  # the cancellation lands here
        got.append("not cancelled")

    def main():
        q = Queue()
        g = yield spawn(getter(q))
        yield parked(g)
        q.put_nowait("item")
        yield cancel(g)
        assert g.cancelled
        return drain(q)

    left = run(main())
    assert "not cancelled" not in got
    assert got + left == ["item"]


def test_queue_two_woken_getters_one_cancelled_no_item_lost():
    got = []

    def getter(q, name):
        got.append((name, (yield q.get())))
        yield sleep(0)

    def main():
        q = Queue()
        a = yield spawn(getter(q, "a"))
        b = yield spawn(getter(q, "b"))
        yield parked(a, b)
        q.put_nowait(1)
        q.put_nowait(2)
        yield cancel(a, wait=False)
        yield finished(a)
        yield join(b)
        return drain(q)

    left = run(main())
    items = sorted([item for _, item in got] + left)
    assert items == [1, 2]
    assert ("b", 2) in got or ("b", 1) in got


def test_queue_putter_cancelled_while_blocked_puts_nothing():
    def putter(q, item):
        yield q.put(item)

    def main():
        q = Queue(maxsize=1)
        q.put_nowait("first")
        a = yield spawn(putter(q, "a"))
        b = yield spawn(putter(q, "b"))
        yield parked(a, b)
        yield cancel(a)
        assert (yield q.get()) == "first"
        yield join(b)
        return drain(q)

    assert run(main()) == ["b"]


def test_queue_putter_woken_then_cancelled_reports_truthfully():
    """A putter woken for room and cancelled before it runs: if put()
    returned, the item is in the queue; if it raised, the item is not."""
    outcome = []

    def putter(q):
        try:
            yield q.put("late")
        except Cancelled:
            outcome.append("put raised")
            raise
        outcome.append("put returned")
        yield sleep(0)

    def main():
        q = Queue(maxsize=1)
        q.put_nowait("first")
        p = yield spawn(putter(q))
        yield parked(p)
        assert q.get_nowait() == "first"   # wakes p
        yield cancel(p)
        return drain(q)

    left = run(main())
    assert len(outcome) == 1
    assert left == (["late"] if outcome == ["put returned"] else [])


@pytest.mark.parametrize("immediate", [False, True])
def test_queue_putter_given_room_then_shut_down_before_it_runs_raises(immediate):
    """A putter is woken for room; the queue is shut down before it runs.
    It was one of "the putters waiting now": its put() raises QueueShutDown
    and puts nothing (asyncio 3.13), and the room it was promised is not
    left counted -- even an immediate shutdown leaves nothing to get."""
    def main():
        q = Queue(maxsize=1)
        q.put_nowait("first")
        p = yield spawn(q.put("late"))
        yield parked(p)
        assert q.get_nowait() == "first"    # room for p, which has not run
        q.shutdown(immediate=immediate)
        outcome = yield finished(p)
        assert outcome[0] == "failed" and isinstance(outcome[1], QueueShutDown), outcome
        assert not q.full() and "size=0" in repr(q)
        with pytest.raises(QueueShutDown):
            q.get_nowait()
        q.task_done()                   # "first" was got: the only item unfinished
        yield q.join()

    run(main())


@pytest.mark.parametrize("immediate", [False, True])
def test_queue_item_left_by_a_getter_cancelled_after_a_shutdown(immediate):
    """An item is handed to a waiting getter; the queue is shut down, and
    the getter cancelled, before it runs.  A plain shutdown keeps the item
    for the next get; an immediate one drops it, as what was left, counting
    it done -- it was put back, unfinished, and join() waited for ever."""
    def main():
        q = Queue()
        getter = yield spawn(q.get())
        yield parked(getter)
        q.put_nowait("x")               # handed to the getter, which has not run
        q.shutdown(immediate=immediate)
        yield cancel(getter)
        left = [q.get_nowait()] if q.qsize() else []
        if left:
            q.task_done()
        yield timeout_after(5, q.join())
        return left

    assert run(main(), clock=trampoline.VirtualClock()) == ([] if immediate else ["x"])


def test_bounded_queue_never_holds_more_than_maxsize_when_a_woken_getter_is_cancelled():
    """Queue(1): an item handed to a parked getter keeps its slot until the
    getter has it (asyncio keeps it in the queue until then), so a putter
    that comes meanwhile waits.  The getter cancelled before it runs puts
    the item back first in line -- the queue held it and the newcomer's
    item at once, two in a Queue(1).  No task ever sees more than maxsize;
    nothing lost or doubled; order kept: a, then b."""
    sizes = []

    def watch(q):                       # looks between every other task's steps
        while True:
            sizes.append(q.qsize())
            yield sleep(0)

    def main():
        q = Queue(1)
        watcher = yield spawn(watch(q))
        getter = yield spawn(q.get())
        yield parked(getter)
        q.put_nowait("a")               # handed to the getter, which has not run
        assert q.full() and q.qsize() == 0
        with pytest.raises(QueueFull):  # "a" keeps its slot (it went in, and
            q.put_nowait("b")           # the queue held two below)
        putter = yield spawn(q.put("b"))    # waits its turn
        yield cancel(getter)            # before it has run: "a" goes back, first
        assert getter.cancelled         # in line
        sizes.append(q.qsize())
        assert q.qsize() <= 1 and q.full()
        got = [(yield q.get()), (yield q.get())]
        yield join(putter)
        yield cancel(watcher)
        return got, q.qsize(), q.full()

    assert run(main()) == (["a", "b"], 0, False)
    assert max(sizes) <= 1, sizes


def test_queue_slot_of_a_handed_item_is_free_once_its_getter_has_it():
    """The slot an item handed to a getter keeps is freed when the getter
    has run: a putter waiting for it is let in then."""
    def main():
        q = Queue(1)
        getter = yield spawn(q.get())
        yield parked(getter)
        q.put_nowait("a")               # handed to the getter, which has not run
        yield q.put("b")                # waits until the getter has "a"
        assert getter.state == "done"
        return (yield join(getter)), q.get_nowait(), q.full()

    assert run(main()) == ("a", "b", False)


def test_queue_get_timeout_then_item_goes_to_the_next_getter():
    def main():
        q = Queue()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, q.get())
        t = yield spawn(q.get())
        yield parked(t)
        q.put_nowait("x")
        return (yield join(t)), q.qsize()

    assert run(main()) == ("x", 0)


def test_queue_item_arriving_as_get_times_out_is_not_lost():
    """The item is put in the same kernel turn the getter's timeout expires:
    the getter returns it, or it stays in the queue."""
    outcome = []

    def getter(q):
        try:
            outcome.append(("got", (yield timeout_after(0.01, q.get()))))
        except TaskTimeout:
            outcome.append("timeout")

    def main():
        q = Queue()
        g = yield spawn(getter(q))
        yield parked(g)
        time.sleep(0.03)                # past the deadline, kernel stuck
        q.put_nowait("item")
        yield join(g)
        return drain(q)

    left = run(main())
    assert outcome in ([("got", "item")], ["timeout"])
    assert (left == []) == (outcome == [("got", "item")])


def test_queue_put_timeout_when_full():
    def main():
        q = Queue(maxsize=1)
        yield q.put(1)
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, q.put(2))
        return drain(q)

    assert run(main()) == [1]


def test_queue_task_done_and_join():
    log = []

    def worker(q):
        while True:
            item = yield q.get()
            yield sleep(0)
            log.append(item)
            q.task_done()

    def main():
        q = Queue()
        w = yield spawn(worker(q))
        for i in range(5):
            yield q.put(i)
        yield q.join()
        assert log == [0, 1, 2, 3, 4]
        yield q.join()                  # nothing unfinished: at once
        yield cancel(w)
        with pytest.raises(ValueError):
            q.task_done()

    run(main())


def test_queue_join_waits_for_the_last_task_done():
    def main():
        q = Queue()
        q.put_nowait("a")
        q.put_nowait("b")
        j = yield spawn(q.join())
        yield parked(j)
        q.get_nowait()
        q.task_done()
        yield sleep(0)
        assert not j.done
        q.get_nowait()
        q.task_done()
        yield join(j)

    run(main())


def test_priority_queue_gives_smallest_first():
    def main():
        q = PriorityQueue()
        for item in [5, 1, 4, 2, 3]:
            yield q.put(item)
        got = []
        for _ in range(5):
            got.append((yield q.get()))
        return got

    assert run(main()) == [1, 2, 3, 4, 5]


def test_lifo_queue_gives_newest_first():
    def main():
        q = LifoQueue()
        for item in "abc":
            yield q.put(item)
        got = []
        for _ in range(3):
            got.append((yield q.get()))
        return got

    assert run(main()) == ["c", "b", "a"]


def test_lifo_queue_item_of_a_cancelled_getter_goes_under_the_newer_ones():
    """An item handed to a getter that is cancelled before it runs goes
    back where it would be had it stayed in the queue: under every item
    put after it (as in asyncio's LifoQueue)."""
    def main():
        q = LifoQueue()
        g = yield spawn(q.get())
        yield parked(g)
        q.put_nowait("a")               # handed to g...
        q.put_nowait("b")
        yield cancel(g)                 # ...which never takes it
        assert g.cancelled
        return drain(q)

    assert run(main()) == ["b", "a"]


@pytest.mark.parametrize("kind", [Queue, PriorityQueue, LifoQueue])
def test_bounded_queues_of_every_kind_block_and_wake(kind):
    def producer(q):
        for i in range(10):
            yield q.put(i)

    def main():
        q = kind(maxsize=2)
        p = yield spawn(producer(q))
        got = []
        for _ in range(10):
            got.append((yield q.get()))
        yield join(p)
        return got

    assert sorted(run(main())) == list(range(10))


def test_queue_from_async_def():
    async def producer(q, n):
        for i in range(n):
            await q.put(i)
        await q.put(None)

    async def consumer(q):
        got = []
        while True:
            item = await q.get()
            q.task_done()
            if item is None:
                return got
            got.append(item)

    async def main():
        q = Queue(maxsize=2)
        p = await spawn(producer(q, 6))
        c = await spawn(consumer(q))
        await join(p)
        await q.join()
        return await join(c)

    assert run(main()) == list(range(6))


def test_priority_and_lifo_queues_from_async_def():
    async def consume(q, n):
        got = []
        for _ in range(n):
            got.append(await q.get())
        return got

    async def main():
        results = []
        for kind, items in ((PriorityQueue, [3, 1, 2]), (LifoQueue, ["a", "b", "c"])):
            q = kind(maxsize=3)
            for item in items:
                await q.put(item)
            results.append(await consume(q, 3))
        return results

    assert run(main()) == [[1, 2, 3], ["c", "b", "a"]]


def test_many_producers_and_consumers_every_item_once():
    def producer(q, base):
        for i in range(50):
            yield q.put(base + i)

    def consumer(q, got):
        while True:
            got.append((yield q.get()))

    def main():
        q = Queue(maxsize=3)
        got = []
        producers = []
        consumers = []
        for p in range(5):
            producers.append((yield spawn(producer(q, p * 1000))))
        for _ in range(3):
            consumers.append((yield spawn(consumer(q, got))))
        for t in producers:
            yield join(t)
        yield until(lambda: q.empty())
        for t in consumers:
            yield cancel(t)
        return got

    got = run(main())
    assert sorted(got) == sorted(p * 1000 + i for p in range(5) for i in range(50))


def test_primitives_are_exported():
    for name in ["Event", "Lock", "Semaphore", "BoundedSemaphore", "Condition",
                 "Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull"]:
        assert hasattr(trampoline, name)


@pytest.mark.parametrize("offset", range(4))
def test_woken_getter_cancelled_then_busy_loses_no_item(offset):
    """A getter woken with an item and cancelled before it runs goes on
    taking items that are already there (no blocking trap for dozens of
    steps).  Wherever the cancellation finally lands -- ``offset`` shifts it
    across the steps of ``timeout_after(q.get())`` -- no item is taken from
    the queue without being returned to the caller."""
    got = []

    def getter(q):
        got.append((yield q.get()))
        for _ in range(offset):
            yield trampoline.current()  # a non-blocking trap, to shift the count
        while True:
            got.append((yield timeout_after(10, q.get())))

    def main():
        q = Queue()
        g = yield spawn(getter(q))
        yield parked(g)
        for i in range(100):
            q.put_nowait(i)             # the first wakes g
        yield cancel(g, wait=False)     # before g runs
        yield finished(g)
        return drain(q)

    left = run(main())
    assert sorted(got + left) == list(range(100))


def test_every_queue_kind_takes_a_type_argument():
    """``PriorityQueue[Tuple[int, str]]`` in an annotation, as with asyncio's
    and queue's (mypy checks the same in .ci/installed/user_program.py)."""
    for kind in (Queue, PriorityQueue, LifoQueue):
        assert kind[int]().maxsize == 0
