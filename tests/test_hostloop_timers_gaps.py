"""Gaps found by mutation testing hostloop.py and timers.py: what a host loop
(run_once, next_deadline) and the timer heap promise, pinned through the
public API."""

import gc
import platform
import select
import socket
import weakref
from fractions import Fraction

import pytest

from trampoline import (Cancelled, Kernel, TaskTimeout, TimeoutCancelled, VirtualClock,
                        cancel, disable_cancellation, join, read, sleep, spawn, timeout_after)
from trampoline.descriptors import SWEEP_INTERVAL
from trampoline.traps import clear_alarm, set_alarm

from net_helpers import watchdog  # noqa: F401  (autouse)


def test_a_round_never_asks_the_poller_for_more_than_an_hour():
    """run_once() with a huge timeout, or with a timer years away, polls for
    at most timers.MAX_TIMEOUT: epoll, poll and select overflow on much
    longer waits (an OverflowError out of run_once on CPython).  A call
    queued first makes each round return at once."""
    calls = []

    def far():
        yield sleep(1e9)                # some thirty years

    with Kernel() as kernel:
        kernel.call_threadsafe(calls.append, "huge timeout")
        kernel.run_once(1e10)           # nothing else to wait for but the timeout
        assert calls == ["huge timeout"]
        task = kernel.spawn(far())
        kernel.run_once()               # it starts its sleep
        assert kernel.next_deadline() > 1e8
        kernel.call_threadsafe(calls.append, "far timer")
        kernel.run_once(None)           # waits for the timer, so at most an hour
        assert calls[-1] == "far timer" and not task.done
        kernel.cancel(task)
        while not task.done:
            kernel.run_once()


def test_a_host_loop_with_a_virtual_clock_and_a_task_asleep_for_ever_is_no_deadlock():
    """With a VirtualClock, a task in sleep(inf) has no timer to jump to: a
    host loop that waits as asked (run_once(None)) waits for I/O or another
    thread -- it does not fail with the deadlock run() would report (the
    host may spawn more work in its next round)."""
    clock = VirtualClock()
    calls = []

    def forever():
        yield sleep(float("inf"))

    with Kernel(clock=clock) as kernel:
        task = kernel.spawn(forever())
        kernel.run_once()
        kernel.call_threadsafe(calls.append, "woken")
        kernel.run_once(None)
        assert calls == ["woken"] and not task.done and clock() == 0
        kernel.call_threadsafe(calls.append, "again")
        kernel.run_once(kernel.next_deadline())
        assert calls == ["woken", "again"] and clock() == 0
        kernel.cancel(task)
        while not task.done:
            kernel.run_once()


def test_a_cancel_between_a_host_loops_rounds_makes_fileno_readable():
    """Kernel.cancel() from the host's code between rounds readies the task:
    fileno() says so, as for spawn() or Event.set(), or a host loop that
    waits on it sleeps through the cancel (here: for an hour)."""
    def napper():
        yield sleep(3600)

    with Kernel() as kernel:
        task = kernel.spawn(napper())
        kernel.run_once()                   # it starts its hour's sleep
        assert not select.select([kernel.fileno()], [], [], 0)[0]
        kernel.cancel(task)
        assert select.select([kernel.fileno()], [], [], 5)[0]
        kernel.run_once(kernel.next_deadline())
        assert task.cancelled

def test_next_deadline_is_the_nearest_of_a_timer_and_the_descriptor_sweep():
    """While a descriptor is watched, next_deadline() is at most the sweep's
    second -- and a timer due sooner than that still comes first."""
    clock = VirtualClock()
    left, right = socket.socketpair()

    def reader():
        yield read(left, 1)

    def napper():
        yield sleep(0.25)

    with Kernel(clock=clock) as kernel, left, right:
        reading = kernel.spawn(reader())
        kernel.spawn(napper())
        kernel.run_once()
        assert kernel.next_deadline() == 0.25       # (virtual: no real time passes)
        right.send(b"x")
        while not reading.done:
            kernel.run_once(kernel.next_deadline())


def test_next_deadline_is_never_negative_for_an_overdue_timer():
    """A timer whose time has passed but which no round has fired yet is due
    now: 0 seconds, not a negative wait a host loop would hand to its own
    timer API (asyncio's call_later and tkinter's after() expect >= 0)."""
    clock = VirtualClock()
    steps = []

    def ticker():
        yield sleep(5)
        steps.append("woke")

    with Kernel(clock=clock) as kernel:
        kernel.spawn(ticker())
        kernel.run_once()
        assert kernel.next_deadline() == 5
        clock.advance(12)
        assert kernel.next_deadline() == 0
        while not steps:
            kernel.run_once()


def test_a_bool_is_not_a_run_once_timeout():
    """run_once(True) is a mistake, not a one-second round (as everywhere
    seconds are taken: a bool is refused, other numbers are fine)."""
    with Kernel() as kernel:
        for wrong in (True, False):
            with pytest.raises(TypeError, match="timeout must be a number of seconds"):
                kernel.run_once(wrong)
        kernel.run_once(Fraction(0))


def test_timers_leaves_out_what_never_comes():
    """Kernel.timers() (the monitor's ps) shows no sleep(inf) and no
    timeout without a deadline: a task waiting for ever has no timer."""
    clock = VirtualClock()

    def forever():
        with timeout_after(float("inf")):
            yield sleep(float("inf"))

    with Kernel(clock=clock) as kernel:
        task = kernel.spawn(forever())
        kernel.run_once()
        assert kernel.timers() == {}
        kernel.cancel(task)
        while not task.done:
            kernel.run_once()


class AlarmsFired:
    """An instrument: the ``alarm_fired`` calls."""

    def __init__(self):
        self.fired = []

    def alarm_fired(self, task, exception):
        self.fired.append((task.name, task.state, str(exception)))


def test_an_alarm_left_behind_by_a_task_that_ended_fires_for_nobody():
    """An alarm set with the set_alarm trap and never cleared outlives its
    task: when its time comes the task has ended, so nothing is thrown in
    and no instrument is told an alarm went off in it -- while one that
    goes off in a live task is told."""
    clock = VirtualClock()
    alarms = AlarmsFired()

    def leaves_an_alarm():
        yield set_alarm(1, Cancelled("left behind"))
        return "left"

    def main():
        task = yield spawn(leaves_an_alarm(), name="leaver")
        assert (yield join(task)) == "left"
        yield sleep(2)                      # the alarm's time comes meanwhile
        assert alarms.fired == []
        try:
            yield timeout_after(1, sleep(5))
        except TaskTimeout:
            pass
        return task.state

    with Kernel(clock=clock, instruments=[alarms]) as kernel:
        assert kernel.run(main()) == "done"
    assert [name == "leaver" for name, _, _ in alarms.fired] == [False]


class Marker(Exception):
    """An alarm's exception a test can hold a weak reference to."""


def test_alarms_cleared_in_time_do_not_pile_up_until_their_deadline():
    """A timeout per request, with a deadline an hour away, that ends in
    time: its disarmed alarm must not stay in the timer heap (with its
    exception) for the hour -- the heap is rebuilt once most of it is
    dead, so a server does not grow with every request."""
    refs = []

    def main():
        for _ in range(400):
            marker = Marker()
            refs.append(weakref.ref(marker))
            alarm = yield set_alarm(3600, marker)
            del marker
            assert (yield clear_alarm(alarm)) is True
        gc.collect()
        return sum(ref() is not None for ref in refs)

    with Kernel() as kernel:
        alive = kernel.run(main())
    assert alive <= 200, "%d of 400 cleared alarms still held" % alive


class PollWaits:
    """An instrument: how long each poll may wait (``io_wait``)."""

    def __init__(self):
        self.waits = []

    def io_wait(self, timeout):
        self.waits.append(timeout)


def test_a_timer_already_due_under_a_virtual_clock_is_not_held_back_for_the_autojump():
    """With a VirtualClock moved past a sleeper's time by hand while another
    task waits on I/O, the timer is due now: the poller is asked not to
    wait at all -- not for the clock's autojump threshold of real time,
    which is for jumping to a timer still to come."""
    clock = VirtualClock(autojump_threshold=0.5)
    polls = PollWaits()
    left, right = socket.socketpair()

    def reader():
        yield read(left, 1)

    def sleeper():
        yield sleep(5)

    def main():
        reading = yield spawn(reader())
        sleeping = yield spawn(sleeper())
        yield sleep(0)                      # both park
        clock.advance(10)                   # the sleeper's time has come
        del polls.waits[:]
        yield join(sleeping)
        right.send(b"x")
        yield join(reading)

    with Kernel(clock=clock, instruments=[polls]) as kernel, left, right:
        kernel.run(main())
    assert polls.waits and polls.waits[0] == 0, polls.waits


def test_a_timeout_ending_while_outer_ones_went_off_too_hands_on_the_outermost():
    """The innermost scope went off and its body, cleaning up with
    cancellation deferred, outlived the two around it: what comes out of
    it is the outermost scope's TimeoutCancelled (the scope set first, as
    at a blocking trap), not the middle one's."""
    seen = []

    def main():
        try:
            with timeout_after(3) as outer:
                with timeout_after(2) as middle:
                    try:
                        with timeout_after(1) as inner:
                            try:
                                yield sleep(10)         # inner goes off
                            finally:
                                with disable_cancellation():
                                    yield sleep(10)     # middle and outer too
                    except TimeoutCancelled as exc:
                        seen.append({outer: "outer", middle: "middle", inner: "inner"}
                                    .get(exc.scope))
                        raise
        except TaskTimeout:
            return outer.expired, middle.expired, inner.expired

    with Kernel(clock=VirtualClock()) as kernel:
        assert kernel.run(main()) == (True, True, True)
    assert seen == ["outer"]


class WakeOnFirstWait(PollWaits):
    """PollWaits that, at the first poll allowed to block, makes ``sock``
    readable: the poll returns at once, whatever its timeout."""

    def __init__(self, sock):
        super().__init__()
        self.sock = sock

    def io_wait(self, timeout):
        super().io_wait(timeout)
        if timeout and not any(self.waits[:-1]):       # the first that may block
            self.sock.send(b"x")


def test_the_autojump_wait_still_polls_at_most_a_sweep_interval_at_a_time():
    """While a task waits on I/O under a VirtualClock, the kernel gives the
    I/O the clock's autojump threshold of real time before it jumps -- but
    in polls of at most SWEEP_INTERVAL while descriptors are watched, so
    the closed-descriptor sweep still runs (the threshold may be long, or
    inf)."""
    clock = VirtualClock(autojump_threshold=float("inf"))
    left, right = socket.socketpair()
    polls = WakeOnFirstWait(right)

    def reader():
        return (yield read(left, 1))

    def sleeper():
        yield sleep(100)

    def main():
        reading = yield spawn(reader())
        sleeping = yield spawn(sleeper())
        got = yield join(reading)
        yield cancel(sleeping)
        return got

    with Kernel(clock=clock, instruments=[polls]) as kernel, left, right:
        assert kernel.run(main()) == b"x"
    blocking = [wait for wait in polls.waits if wait]
    assert blocking and max(blocking) <= SWEEP_INTERVAL, polls.waits
    assert clock() == 0


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="relies on reference counting freeing a task at once")
def test_a_task_that_slept_is_freed_with_its_result_once_nobody_holds_it():
    """A sleep that is over leaves no reference cycle between the task and
    its timer: the task, and the result it returned, go as soon as the last
    reference does, not at the next cyclic garbage collection."""
    refs = []

    class Result:
        pass

    def napper():
        yield sleep(1)
        return Result()

    def main():
        task = yield spawn(napper())
        result = yield join(task)
        refs.extend([weakref.ref(task), weakref.ref(result)])
        del task, result
        yield sleep(0)

    enabled = gc.isenabled()
    gc.disable()
    try:
        with Kernel(clock=VirtualClock()) as kernel:
            kernel.run(main())
        assert [ref() for ref in refs] == [None, None]
    finally:
        if enabled:
            gc.enable()
