"""UniversalQueue: what mutation testing of trampoline/universal.py found
unpinned.

* ``shutdown(immediate=True)`` drops what is left, each item counting as
  done -- and so, later, an item already handed to a getter that gives up
  (cancelled) before it took it: the item is dropped, not put back in a
  queue that was emptied on purpose, and ``join()`` may go;
* that count never goes below zero, even when ``task_done()`` was called
  for the handed item before its getter gave up: a ``join()`` afterwards
  returns at once;
* a getter woken by ``shutdown()`` and cancelled before it ran has nothing
  to give back: the queue stays empty (no shutdown mark left in it for the
  next ``get`` to return);
* one item taken from a full bounded queue lets one waiting putter in, not
  all of them: ``maxsize`` holds;
* ``get`` on a queue shut down says it is empty; ``put`` does not;
* an item a cancelled getter gives back goes first in line (FIFO);
* a putter given a slot but shut down before it ran raises
  ``QueueShutDown`` and puts nothing.

Tasks and the test hand-shake through the queue's own lines (seen in its
repr), never by sleeping for a guessed time.
"""

import re

import pytest

from task_helpers import until
from trampoline import QueueShutDown, cancel, run, sleep, spawn, timeout_after
from trampoline.universal import UniversalQueue


def getters_waiting(queue):
    return int(re.search(r"getters=(\d+)", repr(queue)).group(1))


def putters_waiting(queue):
    return int(re.search(r"putters=(\d+)", repr(queue)).group(1))


def unfinished(queue):
    return int(re.search(r"unfinished=(-?\d+)", repr(queue)).group(1))


def test_an_item_handed_to_a_getter_cancelled_after_an_immediate_shutdown_is_dropped():
    """The getter was handed "a" and is cancelled before it runs, after
    ``shutdown(immediate=True)``: "a" is dropped as the items left in the
    queue were (not put back first in line), and counts as done, so
    ``join()`` returns and ``get`` raises ``QueueShutDown``."""
    queue = UniversalQueue()

    def main():
        getter = yield spawn(queue.get())
        yield until(lambda: getters_waiting(queue) == 1)
        queue.put_nowait("a")           # handed to the getter, now ready to run
        queue.put_nowait("b")           # left in the queue
        queue.shutdown(immediate=True)  # "b" dropped, counted done
        yield cancel(getter)            # ... and the getter gives "a" up
        assert getter.cancelled
        assert queue.qsize() == 0 and queue.empty()
        assert unfinished(queue) == 0
        with pytest.raises(QueueShutDown):
            queue.get_nowait()
        with pytest.raises(QueueShutDown):
            yield queue.get()
        yield timeout_after(5, queue.join())
        with pytest.raises(ValueError):     # both counted done already
            queue.task_done()

    run(main())


def test_the_unfinished_count_never_goes_below_zero():
    """``task_done()`` called for the item handed to a getter before that
    getter gave it up after an immediate shutdown: dropping the item does
    not count it done a second time -- ``join()`` returns at once, as with
    nothing outstanding (a count of -1 made it wait for ever)."""
    queue = UniversalQueue()

    def main():
        getter = yield spawn(queue.get())
        yield until(lambda: getters_waiting(queue) == 1)
        queue.put_nowait("a")           # handed to the getter
        queue.task_done()               # the one item put: marked done
        queue.shutdown(immediate=True)
        yield cancel(getter)            # gives "a" up: dropped, already done
        assert unfinished(queue) == 0
        yield timeout_after(5, queue.join())
        with pytest.raises(ValueError):
            queue.task_done()

    run(main())


def test_a_getter_woken_by_shutdown_and_cancelled_gives_nothing_back():
    """Woken by ``shutdown()`` (to raise ``QueueShutDown``) and cancelled
    before it ran: the queue stays empty -- a later ``get`` raises
    ``QueueShutDown``, it does not return the mark the getter was woken
    with."""
    queue = UniversalQueue()

    def main():
        getter = yield spawn(queue.get())
        yield until(lambda: getters_waiting(queue) == 1)
        queue.shutdown()                # wakes the getter with the mark ...
        yield cancel(getter)            # ... and it is cancelled before it runs
        assert getter.cancelled
        assert queue.empty() and queue.qsize() == 0
        with pytest.raises(QueueShutDown):
            queue.get_nowait()
        assert unfinished(queue) == 0

    run(main())


def test_one_item_taken_from_a_full_queue_lets_one_putter_in():
    """``maxsize=1``, full, two putters waiting: ``get`` makes room for one.
    The first putter's item goes in; the second waits on, and the queue never
    holds more than ``maxsize`` items."""
    queue = UniversalQueue(maxsize=1)

    def putter(item):
        yield queue.put(item)

    def main():
        yield queue.put("first")
        first = yield spawn(putter("x"))
        second = yield spawn(putter("y"))
        yield until(lambda: putters_waiting(queue) == 2)
        assert queue.get_nowait() == "first"
        assert putters_waiting(queue) == 1      # room for one: one let in
        yield until(lambda: first.done)
        for _ in range(5):                      # give the second every chance
            yield sleep(0)
        assert not second.done
        assert queue.qsize() == 1 and queue.full()
        assert queue.get_nowait() == "x"
        yield until(lambda: second.done)
        assert queue.get_nowait() == "y"

    run(main())


def test_a_shut_down_queue_says_why_get_and_put_fail():
    """``QueueShutDown`` from ``get`` says the queue is also empty (it
    raises only then); from ``put`` it does not (it raises at once)."""
    queue = UniversalQueue()
    queue.shutdown()
    with pytest.raises(QueueShutDown, match="shut down and is empty"):
        queue.get(timeout=1)
    with pytest.raises(QueueShutDown) as info:
        queue.put("x", timeout=1)
    assert "empty" not in str(info.value)

    def main():
        with pytest.raises(QueueShutDown, match="shut down and is empty"):
            yield queue.get()
        with pytest.raises(QueueShutDown) as info:
            yield queue.put("x")
        assert "empty" not in str(info.value)

    run(main())


def test_an_item_a_cancelled_getter_gives_back_goes_first_in_line():
    """Handed "a", cancelled before it ran, while "b" was put after it:
    "a" goes back first in line, before "b" -- FIFO holds."""
    queue = UniversalQueue()

    def main():
        getter = yield spawn(queue.get())
        yield until(lambda: getters_waiting(queue) == 1)
        queue.put_nowait("a")           # handed to the getter
        queue.put_nowait("b")           # kept in the queue
        yield cancel(getter)            # "a" comes back
        return queue.get_nowait(), queue.get_nowait()

    assert run(main()) == ("a", "b")


def test_a_putter_given_a_slot_then_shut_down_raises_and_puts_nothing():
    """A putter handed a slot (room was made) but not yet run when the
    queue is shut down raises ``QueueShutDown`` and its item does not go in,
    as asyncio.Queue's put() checks for shutdown once woken."""
    queue = UniversalQueue(maxsize=1)

    def putter():
        yield queue.put("late")

    def main():
        yield queue.put("first")
        task = yield spawn(putter())
        yield until(lambda: putters_waiting(queue) == 1)
        assert queue.get_nowait() == "first"    # a slot for the putter ...
        queue.shutdown()                        # ... shut down before it runs
        yield until(lambda: task.done)
        assert isinstance(task.exception, QueueShutDown)
        assert queue.empty()
        with pytest.raises(QueueShutDown):
            queue.get_nowait()

    run(main())
