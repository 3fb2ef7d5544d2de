"""select and shield.

select: ``(index, value)`` of the first branch to complete, over traps,
generators and coroutines; the losers are cancelled (their cleanup done)
before select returns; no data is lost when two sockets are readable at
once; no registration, task or live timer is left behind; a raising branch
raises.  shield: the work runs to completion although the caller is
cancelled, and the caller's cancellation is delivered afterwards.
"""

import gc
import selectors
import socket
import time

import pytest

import trampoline
from trampoline import (Cancelled, Event, Kernel, Lock, Queue, TaskError, TaskTimeout,
                        VirtualClock, call, cancel, current_time, disable_cancellation,
                        ignore_after, join, read, read_wait, run, select, shield, sleep, spawn,
                        timeout_after)
from trampoline.kernel import BUDGET
from trampoline.traps import current_kernel
from task_helpers import parked, until

SELECTORS = {
    "default": lambda: None,
    "poll": getattr(selectors, "PollSelector", None),
    "select": selectors.SelectSelector,
}
BACKENDS = [name for name, make in SELECTORS.items() if make is not None]


# ------------------------------------------------------------- helpers

def value(x):
    return x
    yield  # pragma: no cover


def after(ev, result):
    yield ev.wait()
    return result


def never(log=None, name=None):
    try:
        yield Event().wait()
    finally:
        if log is not None:
            log.append(name + " cleaned up")


def live_timers(kernel):
    return [e for e in kernel._timers if e[2] is not None]


def other_tasks(kernel, me):
    return [t for t in kernel._tasks.values() if t is not me]


@pytest.fixture
def pairs():
    made = [socket.socketpair() for _ in range(2)]
    yield made
    for a, b in made:
        a.close()
        b.close()


# =============================================================== select

def test_select_over_coroutines_returns_index_and_value():
    log = []

    def main():
        go = Event()
        me = yield trampoline.current()
        k = yield current_kernel()
        t = yield spawn(_set_later(go))
        result = yield select(never(log, "first"), after(go, "second won"), never(log, "third"))
        # every loser finished its cleanup before select returned
        assert sorted(log) == ["first cleaned up", "third cleaned up"]
        yield join(t)
        assert other_tasks(k, me) == []
        return result

    assert run(main()) == (1, "second won")


def _set_later(ev):
    yield sleep(0)
    ev.set()


def test_select_branch_that_finishes_at_once_wins():
    log = []

    def main():
        return (yield select(never(log, "slow"), value("instant")))

    assert run(main()) == (1, "instant")
    assert log == ["slow cleaned up"]


def test_select_over_sleep_traps():
    def main():
        k = yield current_kernel()
        start = time.monotonic()
        result = yield select(sleep(1), sleep(0.01), sleep(2))
        elapsed = time.monotonic() - start
        assert live_timers(k) == []     # the losing sleeps left nothing armed
        return result, elapsed

    result, elapsed = run(main())
    assert result == (1, None)
    assert elapsed < 0.5


def test_select_single_branch():
    def main():
        return (yield select(value(3)))

    assert run(main()) == (0, 3)


def test_select_needs_a_branch():
    def main():
        with pytest.raises(ValueError):
            yield select()

    run(main())


def test_select_of_a_raising_branch_raises():
    log = []

    def bad():
        yield sleep(0)
        raise KeyError("bad branch")

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        with pytest.raises(KeyError):
            yield select(never(log, "a"), bad(), never(log, "c"))
        assert other_tasks(k, me) == []

    run(main())
    assert sorted(log) == ["a cleaned up", "c cleaned up"]


def test_select_losers_blocking_cleanup_completes_before_select_returns():
    log = []

    def loser():
        try:
            yield Event().wait()
        finally:
            log.append("cleanup start")
            yield sleep(0.01)           # cleanup that blocks
            log.append("cleanup end")

    def main():
        result = yield select(loser(), value("winner"))
        log.append("select returned")
        return result

    assert run(main()) == (1, "winner")
    assert log == ["cleanup start", "cleanup end", "select returned"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_select_two_sockets_readable_at_once_loses_no_data(backend, pairs):
    (a, a_peer), (b, b_peer) = pairs
    a_peer.sendall(b"data for a")
    b_peer.sendall(b"data for b")

    def main():
        k = yield current_kernel()
        index, data = yield select(read(a, 1024), read(b, 1024))
        # select's branches are gone, and with them every registration but
        # one holding bytes the loser read before it was cancelled, if any
        assert all(reg.pushback for reg in k._fds.values())
        loser = b if index == 0 else a
        left = yield timeout_after(1, read(loser, 1024))
        return index, data, left

    with Kernel(selector=SELECTORS[backend]()) as k:
        index, data, left = k.run(main())
        assert k._fds == {}
    expected = [b"data for a", b"data for b"]
    assert data == expected[index]
    assert left == expected[1 - index]      # the loser's data is still there


@pytest.mark.parametrize("backend", BACKENDS)
def test_select_reads_and_sleep_leave_no_registration(backend, pairs):
    (a, a_peer), (b, b_peer) = pairs

    def writer():
        yield sleep(0.01)
        b_peer.sendall(b"hello b")

    def main():
        k = yield current_kernel()
        w = yield spawn(writer())
        result = yield select(read(a, 1024), read(b, 1024), sleep(5))
        yield join(w)
        assert k._fds == {}
        assert live_timers(k) == []
        # a can still be read by somebody else: nobody is left waiting on it
        a_peer.sendall(b"later")
        assert (yield timeout_after(1, read(a, 1024))) == b"later"
        return result

    with Kernel(selector=SELECTORS[backend]()) as k:
        assert k.run(main()) == (1, b"hello b")
        assert k._fds == {}


def test_select_over_read_wait_traps():
    a, a_peer = socket.socketpair()
    b, b_peer = socket.socketpair()
    try:
        def main():
            k = yield current_kernel()
            b_peer.sendall(b"x")
            result = yield select(read_wait(a), read_wait(b))
            assert k._fds == {}
            return result, b.recv(10)

        with Kernel() as k:
            assert k.run(main()) == ((1, None), b"x")
            assert k._fds == {}
    finally:
        for s in (a, a_peer, b, b_peer):
            s.close()


def test_select_over_queue_gets_loses_no_item():
    """Two queues get items in the same turn; the loser's item stays."""
    def main():
        q1, q2 = Queue(), Queue()
        t = yield spawn(_put_both(q1, q2))
        index, item = yield select(q1.get(), q2.get())
        yield join(t)
        left = [q.get_nowait() for q in (q1, q2) if not q.empty()]
        return index, item, left

    index, item, left = run(main())
    assert sorted([item] + left) == ["one", "two"]


def _put_both(q1, q2):
    yield sleep(0)
    q1.put_nowait("one")
    q2.put_nowait("two")


def test_select_over_lock_acquires_released_together_leaks_no_lock():
    """Both locks are handed over in the same turn; select returns the one
    it won (the caller releases it).  The other must not stay locked by a
    branch that lost."""
    def selector(l1, l2):
        index, lock = yield select(l1.acquire(), l2.acquire())
        lock.release()
        return index

    def main():
        l1, l2 = Lock(), Lock()
        yield l1.acquire()
        yield l2.acquire()
        s = yield spawn(selector(l1, l2))
        yield until(lambda: "waiting=1" in repr(l1) and "waiting=1" in repr(l2))
        l1.release()
        l2.release()
        index = yield join(s)
        return index, l1.locked(), l2.locked()

    index, l1_locked, l2_locked = run(main())
    assert index in (0, 1)
    assert (l1_locked, l2_locked) == (False, False)


def test_cancelling_the_selecting_task_cancels_every_branch():
    log = []

    def selector():
        yield select(never(log, "a"), never(log, "b"), sleep(5))

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        s = yield spawn(selector())
        yield until(lambda: len(k._tasks) == 5)     # main, selector, 3 branches
        yield parked(*other_tasks(k, me))
        yield cancel(s)
        assert s.cancelled
        assert other_tasks(k, me) == []
        assert live_timers(k) == []

    run(main())
    assert sorted(log) == ["a cleaned up", "b cleaned up"]


def test_select_cancelled_just_after_a_branch_won_keeps_the_item():
    """A get() branch wins (it has taken an item), and the selecting task is
    cancelled before it runs again.  The item must not vanish: select
    returns it (the cancellation comes later), or it is back in the queue."""
    log = []

    def loser():
        try:
            yield Event().wait()
        finally:
            yield sleep(0)              # a loser whose cleanup blocks

    def selector(q):
        try:
            result = yield select(q.get(), loser())
        except Cancelled:
            log.append("select raised Cancelled")
            raise
        log.append(("select returned", result))
        yield sleep(0)

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        q = Queue()
        s = yield spawn(selector(q))
        yield until(lambda: len(k._tasks) == 4)
        yield parked(*other_tasks(k, me))
        q.put_nowait("item")            # wakes the get() branch
        yield sleep(0)                  # it runs: takes the item, wins
        yield cancel(s, wait=False)     # before the selector runs again
        try:
            yield join(s)
        except TaskError:
            pass
        return q.qsize()

    left = run(main())
    returned = [entry for entry in log if entry[0] == "select returned"]
    assert returned == [("select returned", (0, "item"))] or left == 1, (log, left)


def test_select_under_a_timeout():
    log = []

    def main():
        k = yield current_kernel()
        me = yield trampoline.current()
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.01, select(never(log, "a"), sleep(1)))
        assert other_tasks(k, me) == []
        assert live_timers(k) == []

    run(main())
    assert log == ["a cleaned up"]


def test_select_from_async_def():
    async def slow():
        await sleep(1)
        return "slow"

    async def fast():
        await sleep(0)
        return "fast"

    async def main():
        return await select(slow(), fast(), sleep(2))

    assert run(main()) == (1, "fast")


def test_select_repeatedly_leaves_nothing_behind():
    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        wins = []
        for i in range(100):
            index, _ = yield select(sleep(1), value(i), never())
            wins.append(index)
        assert other_tasks(k, me) == []
        assert live_timers(k) == []
        return wins

    assert run(main()) == [1] * 100


# =============================================================== shield

def test_shield_returns_the_result():
    def work():
        yield sleep(0)
        return "shielded"

    def main():
        return (yield shield(work()))

    assert run(main()) == "shielded"


def test_shield_raises_the_work_exception():
    def work():
        yield sleep(0)
        raise KeyError("inner")

    def main():
        with pytest.raises(KeyError):
            yield shield(work())

    run(main())


def test_shield_raises_the_work_exception_with_its_own_context_and_cause():
    """The error is the work's own, as if the work had been called: its
    ``__context__`` and ``__cause__`` are what the work gave them, not the
    TaskError that carried it out of the shielded task."""
    def work():
        try:
            raise KeyError("first")
        except KeyError:
            yield sleep(0)
            raise ValueError("then")

    def caused():
        yield sleep(0)
        raise ValueError("caused") from OSError("root")

    def main():
        with pytest.raises(ValueError) as caught:
            yield shield(work())
        with pytest.raises(ValueError) as caused_by:
            yield shield(caused())
        return caught.value.__context__, caused_by.value.__cause__

    context, cause = run(main())
    assert type(context) is KeyError and context.args == ("first",)
    assert type(cause) is OSError and cause.args == ("root",)


def test_shield_finishes_the_work_then_delivers_the_cancel():
    log = []

    def work(go):
        yield go.wait()
        yield sleep(0)
        log.append("work done")
        return "result"

    def caller(go):
        try:
            result = yield shield(work(go))
            log.append(("caller got", result))      # not lost: trio's, curio's rule
            yield sleep(0)                          # the cancel, at the next blocking trap
            log.append("not cancelled")
        except Cancelled:
            log.append("caller cancelled")
            raise

    def releaser(go, target):
        # release the work only once the caller's cancel is under way
        yield until(lambda: target.state != "parked")
        go.set()

    def main():
        go = Event()
        c = yield spawn(caller(go))
        yield parked(c)
        yield spawn(releaser(go, c))
        yield cancel(c)                 # returns once the caller has finished
        assert c.cancelled
        log.append("cancel returned")

    run(main())
    assert log == ["work done", ("caller got", "result"), "caller cancelled", "cancel returned"]


def test_a_cancel_that_comes_as_the_caller_returns_still_ends_it_cancelled():
    """The shielded work's result is returned; a caller that then returns
    without blocking again ends cancelled all the same (its value dropped:
    asyncio's rule for a cancel still pending at the end)."""
    def work(go):
        yield go.wait()
        return "result"

    def caller(go, got):
        got.append((yield shield(work(go))))
        return "finished"

    def main():
        go, got = Event(), []
        c = yield spawn(caller(go, got))
        yield parked(c)
        yield cancel(c, wait=False)
        go.set()
        try:
            yield join(c)
        except TaskError:
            pass
        return got, c.cancelled

    assert run(main()) == (["result"], True)


def test_shield_under_timeout_completes_and_the_block_returns_its_result():
    """The deadline passes while the shielded work runs: the work finishes,
    and the block, which ends with it, returns its result (trio: a shielded
    block that never reached a checkpoint after is not "cancelled_caught");
    it raised TaskTimeout, the result lost.  Work left in the block after
    the shield gets the TaskTimeout at its first blocking trap."""
    log = []

    def work():
        yield sleep(0.03)
        log.append("work done")
        return "result"

    def more():
        got = yield shield(work())
        log.append(("got", got))
        yield sleep(0)
        log.append("not timed out")     # pragma: no cover - must not run

    def main():
        start = time.monotonic()
        got = yield timeout_after(0.005, shield(work()))
        elapsed = time.monotonic() - start
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.005, more())
        return got, elapsed

    got, elapsed = run(main())
    assert got == "result" and elapsed >= 0.025
    assert log == ["work done", "work done", ("got", "result")]


def test_shield_work_fails_while_caller_cancelled_caller_gets_cancelled():
    def work(go):
        yield go.wait()
        raise KeyError("work failed")

    def caller(go, out):
        try:
            yield shield(work(go))
        except BaseException as exc:
            out.append(type(exc))
            raise

    def main():
        go = Event()
        out = []
        c = yield spawn(caller(go, out))
        yield parked(c)
        yield cancel(c, wait=False)
        go.set()
        try:
            yield join(c)
        except TaskError:
            pass
        return out, c.cancelled

    out, cancelled = run(main())
    assert cancelled
    assert out and issubclass(out[0], Cancelled)


def test_shield_from_async_def():
    async def work(log):
        await sleep(0)
        log.append("async work done")
        return 5

    async def caller(log):
        try:
            return await shield(work(log))
        finally:
            log.append("caller finally")

    async def main():
        log = []
        c = await spawn(caller(log))
        await call(parked(c))
        await cancel(c)
        return log, c.cancelled

    log, cancelled = run(main())
    assert log == ["async work done", "caller finally"]
    assert cancelled


def test_shield_of_a_trap():
    def main():
        start = time.monotonic()
        yield shield(sleep(0.01))
        return time.monotonic() - start

    assert run(main()) >= 0.009


def test_select_and_shield_are_exported():
    assert trampoline.select is select
    assert trampoline.shield is shield


# ====================================== select across the end of a budget

def test_select_cancelled_while_spawning_its_branches_leaves_no_branch():
    """More branches than a task's budget of traps: the selecting task goes
    to the back of the ready queue in the middle of spawning them, and is
    cancelled there.  The branches spawned so far are cancelled too."""
    log = []

    def selector():
        yield select(*[never(log, "branch") for _ in range(BUDGET + 10)])

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        s = yield spawn(selector())
        yield sleep(0)                  # s runs, and stops half-way through its spawns
        assert 0 < len(k._tasks) - 2 < BUDGET + 10
        yield cancel(s, wait=False)
        with pytest.raises(TaskError):
            yield join(s)
        assert s.cancelled
        assert other_tasks(k, me) == []
        return len(log)

    assert 0 < run(main()) < BUDGET + 10


def test_select_won_while_spawning_its_branches_cancels_the_rest():
    """A branch that finishes at once wins while the selecting task, out of
    budget, has not spawned every branch yet.  The branches spawned after
    the win lose too: select returns, it does not wait for them for ever."""
    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        release = Event()               # (lets the losers end if select hangs)
        s = yield spawn(select(value("won"), *[after(release, "lost")
                                               for _ in range(BUDGET + 10)]))
        try:
            result = yield timeout_after(10, join(s))
        except TaskTimeout:
            release.set()
            yield join(s)
            raise AssertionError("select waited for branches nobody cancelled")
        assert other_tasks(k, me) == []
        return result

    assert trampoline.run(main(), clock=trampoline.VirtualClock()) == (0, "won")


def test_select_cancelled_as_a_branch_wins_returns_the_item_then_the_cancel():
    """An item is put (a get() branch is woken with it) and the selecting
    task is cancelled, in one step: the branch runs first and wins with the
    item.  select returns it; the cancellation comes at the next blocking
    trap.  (It raised Cancelled, and the item was gone.)"""
    log = []

    def selector(q):
        result = yield select(q.get(), never())
        log.append(("select returned", result))
        try:
            yield sleep(0)
        except Cancelled:
            log.append("then cancelled")
            raise

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        q = Queue()
        s = yield spawn(selector(q))
        yield until(lambda: len(k._tasks) == 4)
        yield parked(*other_tasks(k, me))
        q.put_nowait("item")
        yield cancel(s, wait=False)
        with pytest.raises(TaskError):
            yield join(s)
        assert s.cancelled
        assert other_tasks(k, me) == []
        return q.qsize()

    assert run(main()) == 0
    assert log == [("select returned", (0, "item")), "then cancelled"]


def _cleanup_fails(error):
    try:
        yield Event().wait()
    finally:
        raise error


@pytest.mark.parametrize("cancelled_by", ["a timeout", "cancel"])
def test_select_cancelled_before_any_branch_won_raises_though_a_later_branch_wins_at_once(
        cancelled_by):
    """The selecting task's cancellation (a timeout's, or a ``cancel``) is
    pending as ``select`` begins: it raises it, and no branch runs -- the
    cancellation came before any branch won (select's docstring: only one
    that comes as or after a branch wins lets the result through).  select
    cancelled its branches one at a time, waiting for each: the second,
    which wins at once, ran meanwhile and select returned its value."""
    log = []

    def selector():
        with disable_cancellation():
            yield sleep(1)              # the cancellation comes: it waits
        try:
            got = yield select(sleep(5), value(7))
        except Cancelled:
            log.append("select raised")
            raise
        log.append(("select returned", got))    # pragma: no cover - the fault

    def main():
        if cancelled_by == "a timeout":
            with ignore_after(0.5) as scope:
                yield selector()
            assert scope.expired
        else:
            task = yield spawn(selector())
            yield sleep(0.5)
            yield cancel(task)
            assert task.cancelled
        return log

    assert trampoline.run(main(), clock=VirtualClock()) == ["select raised"]


def test_select_loser_whose_cleanup_fails_is_not_swallowed():
    """A loser that fails as it is cancelled (its cleanup raises): select
    raises that error, as trio's nursery would.  It returned the winner's
    value as if nothing had happened -- even for a SystemExit."""
    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        with pytest.raises(OSError, match="cleanup failed"):
            yield select(_cleanup_fails(OSError("cleanup failed")), value("won"))
        with pytest.raises(SystemExit):
            yield select(_cleanup_fails(SystemExit(3)), value("won"))
        assert other_tasks(k, me) == []

    run(main())


def test_select_winner_and_loser_fail_the_winners_error_is_raised_the_losers_logged(caplog):
    def fails_now():
        raise KeyError("winner")
        yield  # pragma: no cover

    def main():
        with pytest.raises(KeyError, match="winner"):
            yield select(_cleanup_fails(OSError("loser")), fails_now())

    run(main())
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], OSError)]
    assert len(logged) == 1 and "select branch 0" in logged[0].getMessage()


def test_select_loser_coroutine_that_never_started_is_closed(recwarn):
    """A branch that wins at once cancels the others before they start: an
    ``async def`` loser's coroutine is closed, not left for the garbage
    collector to warn "coroutine ... was never awaited"."""
    async def fast():
        return "fast"

    async def slow():
        await sleep(1)

    def main():
        return (yield select(fast(), slow()))

    assert run(main()) == (0, "fast")
    gc.collect()
    assert [str(w.message) for w in recwarn if "never awaited" in str(w.message)] == []


def test_select_and_shield_name_a_bad_argument():
    """A Task (asyncio.shield takes one), a function not called, a number:
    TypeError naming select's branch or shield, before anything runs.
    (shield's said "task 3 _perform yielded Task ...".)"""
    def work():
        yield sleep(0)

    def main():
        me = yield trampoline.current()
        k = yield current_kernel()
        t = yield spawn(work())
        with pytest.raises(TypeError, match=r"shield\(\) needs .* the task .*join\(task\)"):
            yield shield(t)
        with pytest.raises(TypeError, match=r"select\(\) branch 1 needs .* the task"):
            yield select(sleep(1), t)
        with pytest.raises(TypeError, match=r"shield\(\) needs .* the function .*work itself"):
            yield shield(work)
        with pytest.raises(TypeError, match=r"select\(\) branch 0 needs .* got int 5"):
            yield select(5)
        assert other_tasks(k, me) == [t]
        yield join(t)

    run(main())


@pytest.mark.parametrize("combinator", ["select", "shield"])
def test_a_select_or_shield_dropped_before_it_ran_closes_its_coroutines(combinator):
    """Yielded as its task's budget ran out, then dropped as another task
    cancelled that task before it ran: the work it was given never started,
    and was left unclosed -- Python warned "coroutine ... was never
    awaited" (a generator was just leaked).  It is closed now, as a dropped
    spawn's coroutine is (a trap has nothing to close)."""
    from drop_helpers import drop_unrun

    async def work():                   # pragma: no cover - never runs
        await sleep(1)

    def gen_work():                     # pragma: no cover - never runs
        yield sleep(1)

    if combinator == "select":
        made = [work(), gen_work()]
        last = lambda: select(made[0], made[1], sleep(1))  # noqa: E731
    else:
        made = [work()]
        last = lambda: shield(made[0])  # noqa: E731
    closed, never_awaited = drop_unrun(last, made)
    assert closed == [True] * len(closed) and closed and never_awaited == []

def _swallows_its_cancel(log, name):
    try:
        yield sleep(5)
    except Cancelled:
        log.append(name + " swallowed its cancel")
        return name + "'s value"
    return name + " slept"                      # pragma: no cover - never: 5 s


@pytest.mark.parametrize("cancelled_by", ["timeout_after", "ignore_after", "cancel"])
def test_a_loser_that_swallows_the_cancel_of_a_cancelled_select_does_not_win(cancelled_by):
    """The selecting task is cancelled (a timeout, or ``cancel``) while no
    branch has won; a branch catches the cancellation ``select`` sends it
    and returns a value.  That is no win: ``select`` raises the
    cancellation, so ``timeout_after`` raises ``TaskTimeout`` and
    ``ignore_after`` says ``expired`` -- as ``asyncio.wait`` cancelled
    (asyncio.timeout then raises TimeoutError) and trio's cancel scope
    (``cancelled_caught``) do, and as select's docstring says (only a
    cancellation that comes as or after a branch wins lets a result
    through).  select returned the swallower's value, and a timeout around
    ended as if in time.  Found by differential testing against asyncio."""
    log = []

    def selector():
        try:
            got = yield select(_swallows_its_cancel(log, "a"), _swallows_its_cancel(log, "b"))
        except Cancelled:
            log.append(("select raised", current_time()))
            raise
        log.append(("select returned", got))    # pragma: no cover - the fault

    def main():
        if cancelled_by == "timeout_after":
            with pytest.raises(TaskTimeout):
                yield timeout_after(1, selector())
        elif cancelled_by == "ignore_after":
            with ignore_after(1) as scope:
                yield selector()
            assert scope.expired
        else:
            task = yield spawn(selector())
            yield sleep(1)
            yield cancel(task)
            assert task.cancelled
        return log

    assert trampoline.run(main(), clock=VirtualClock()) == [
        "a swallowed its cancel", "b swallowed its cancel", ("select raised", 1.0)]


def test_a_shielded_branch_of_a_select_cancelled_before_any_win_keeps_its_result():
    """The selecting task is cancelled while no branch has won; a branch is
    a ``shield``, whose work ends after: the shield hands the cancellation
    back (its task ends cancelled), so the work's result is a win and
    ``select`` returns it, the cancellation coming at the caller's next
    blocking trap -- shield's and select's rule that a result handed back
    is not lost (trio lets shielded work's value through its cancel scope
    likewise).  Pins the line between this and a branch that swallows the
    cancel (the test above)."""
    log = []

    def shielded():
        yield sleep(2)
        return "shielded work's value"

    def selector():
        got = yield select(shield(shielded()), sleep(5))
        log.append(("select returned", got, current_time()))
        try:
            yield sleep(1)
        except Cancelled:
            log.append("then cancelled")
            raise

    def main():
        task = yield spawn(selector())
        yield sleep(1)
        yield cancel(task)
        assert task.cancelled
        return log

    assert trampoline.run(main(), clock=VirtualClock()) == [
        ("select returned", (0, "shielded work's value"), 2.0), "then cancelled"]
