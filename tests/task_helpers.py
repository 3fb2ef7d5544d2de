"""Helpers for tests that drive tasks turn by turn: wait, inside a task,
until the others have got somewhere -- no ``sleep`` as synchronisation;
and find the line of a test file a message should name."""

from trampoline import sleep


def until(predicate, limit=1000):
    """``yield until(lambda: ...)``: let the other ready tasks run until
    ``predicate()`` holds (``AssertionError`` if it never does)."""
    for _ in range(limit):
        if predicate():
            return
        yield sleep(0)
    raise AssertionError("condition never became true")


def parked(*tasks):
    """``yield parked(t1, t2)``: wait until every task is blocked."""
    return until(lambda: all(t.state == "parked" for t in tasks))


def marked_line(path, marker):
    """The number of the line of ``path`` that ends with ``# marker``
    (what a traceback or a warning should name)."""
    with open(path) as source:
        for number, line in enumerate(source, 1):
            if line.rstrip().endswith("# " + marker):
                return number
    raise AssertionError(marker)        # pragma: no cover
