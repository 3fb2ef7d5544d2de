"""The synchronisation layer against what users of asyncio, trio and curio
rely on: cases found by an audit of sync.py, future.py, combinators.py and
threads.py against the peers' own test suites (each test's docstring names
the peer's rule).

Virtual time throughout: no test sleeps for real, tasks wait for each other
with events, joins and ``sleep(0)``.
"""

import traceback

import trampoline
from trampoline import Future, TaskError, VirtualClock, join, sleep, spawn


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
