"""The synchronisation layer against what users of asyncio, trio and curio
rely on: cases found by an audit of sync.py, future.py, combinators.py and
threads.py against the peers' own test suites (each test's docstring names
the peer's rule).

Virtual time throughout: no test sleeps for real, tasks wait for each other
with events, joins and ``sleep(0)``.
"""

import traceback

import trampoline
from trampoline import Future, Queue, VirtualClock, cancel, join, sleep, spawn
from task_helpers import parked, until


def run(coro, clock=None):
    return trampoline.run(coro, clock=clock or VirtualClock())


def frames(exc):
    """The names of the functions in ``exc``'s traceback, outermost first."""
    return [frame.name for frame in traceback.extract_tb(exc.__traceback__)]


# -------------------------------------------- Future: one traceback per raise

def test_a_futures_exception_shows_each_waiter_only_its_own_frames():
    """A Future's exception is raised in every task that waits for it, and
    by every ``result()``: each time with the traceback it had when it was
    set, plus the frames of that raise only -- not those of every earlier
    waiter, piling up with each raise (asyncio's Future keeps the traceback
    it was set with and raises ``with_traceback`` it)."""
    def origin():
        raise ValueError("boom")
        yield                           # pragma: no cover (a generator)

    def waiter(fut):
        try:
            yield fut
        except ValueError as exc:
            return frames(exc)

    def main():
        fut = Future()
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(waiter(fut))))
        yield sleep(0)
        try:
            yield origin()
        except ValueError as exc:
            fut.set_exception(exc)
        seen = []
        for task in tasks:
            seen.append((yield join(task)))
        for _ in range(3):
            try:
                fut.result()
            except ValueError as exc:
                seen.append(frames(exc))
        return seen

    seen = run(main())
    # Each waiter: its own frames, then where the exception was raised.
    for names in seen[:3]:
        assert names[0] == "waiter" and names.count("waiter") == 1, names
        assert names[-1] == "origin" and "main" not in names[:-2], names
    # result(): the same length every time.
    assert seen[3] == seen[4] == seen[5]
    assert seen[3][:2] == ["main", "result"] and seen[3][-2:] == ["main", "origin"]
    assert seen[3].count("result") == 1


# ------------------------------------ Queue.join: the last task_done lets go

def test_a_join_let_go_by_the_last_task_done_returns_though_an_item_came_since():
    """The ``task_done()`` that marks the last unfinished item lets every
    waiting ``join`` go, even if a new item is put before the joiner runs
    (asyncio's ``join`` waits for an Event that ``task_done`` sets and
    ``put`` clears; curio's is woken the same way).  It waited on for the
    new item -- so a joiner could wait for ever behind a worker that, as it
    finishes one item, queues the next."""
    def main():
        queue = Queue()
        queue.put_nowait("a")
        joiner = yield spawn(queue.join())
        yield parked(joiner)
        queue.get_nowait()
        queue.task_done()               # nothing unfinished: the joiner may go
        queue.put_nowait("b")           # ... and it does, though "b" came since
        yield until(lambda: joiner.done or joiner.state == "parked")
        done = joiner.done
        if not done:
            yield cancel(joiner)
        return done

    assert run(main()) is True


def test_a_joiner_let_go_then_cancelled_lets_no_later_joiner_go():
    """A joiner let go by the last ``task_done()`` and cancelled before it
    runs does not pass its leave on to a task that began joining after a
    new item came: that one waits for the new item (asyncio's ``join``
    waits for an Event, whose ``set`` a cancelled waiter passes on to
    nobody)."""
    def main():
        queue = Queue()
        queue.put_nowait("a")
        log = []
        first = yield spawn(queue.join())
        yield parked(first)

        def canceller():
            yield cancel(first, wait=False)     # let go, not run yet: cancelled
            for _ in range(10):                 # (main, if let go, returns)
                yield sleep(0)
            log.append("b done")
            queue.get_nowait()
            queue.task_done()

        other = yield spawn(canceller())        # (ready before first is let go)
        queue.get_nowait()
        queue.task_done()                       # first is let go
        queue.put_nowait("b")
        yield queue.join()                      # joins after "b" came: waits for it
        log.append("joined")
        yield join(other)
        return log, first.cancelled

    assert run(main()) == (["b done", "joined"], True)
