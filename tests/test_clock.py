"""The virtual clock: an hour of timeouts in milliseconds, always the same
way; real I/O beside it; time standing still while a task waits on a socket."""

import socket
import threading
import time

import pytest

from trampoline import (Kernel, TaskTimeout, VirtualClock, cancel, current_time, ignore_after, join,
                        read, run, sleep, spawn, timeout_after, write)
from trampoline.sync import Event


def run_virtual(coro, clock=None, **kwargs):
    clock = clock or VirtualClock()
    with Kernel(clock=clock, **kwargs) as kernel:
        return kernel.run(coro), clock


@pytest.mark.trampoline(virtual_clock=True)
def test_an_hour_long_timeout_takes_no_time(trampoline_clock):
    """(On the test plugin's virtual clock, trampoline.testing.)"""
    started = time.monotonic()
    with pytest.raises(TaskTimeout):
        yield timeout_after(3600, Event().wait())
    assert trampoline_clock() == 3600.0
    assert time.monotonic() - started < 0.5


@pytest.mark.trampoline(virtual_clock=True)
def test_timers_wake_at_exactly_their_deadlines_in_order(trampoline_clock):
    woke = []

    def sleeper(seconds, name):
        yield sleep(seconds)
        woke.append((name, trampoline_clock()))

    tasks = []
    for seconds, name in [(3, "third"), (1, "first"), (2.5, "second")]:
        tasks.append((yield spawn(sleeper(seconds, name))))
    for task in tasks:
        yield join(task)
    assert woke == [("first", 1.0), ("second", 2.5), ("third", 3.0)]
    assert (yield ignore_after(10, sleep(60))) is None
    assert trampoline_clock() == 13.0


def test_a_clock_may_start_anywhere():
    def main():
        yield sleep(1)

    _, clock = run_virtual(main(), VirtualClock(start=100))
    assert clock() == 101.0


def test_real_io_works_beside_it():
    """An hour-long sleeper and a real socket conversation, together."""
    a, b = socket.socketpair()

    def echo():
        while True:
            data = yield read(b, 100)
            if not data:
                return
            yield write(b, data)

    def sleeper():
        yield sleep(3600)
        return clock()

    def main():
        napper = yield spawn(sleeper())
        echoer = yield spawn(echo())
        replies = []
        for i in range(3):
            yield write(a, b"ping %d" % i)
            replies.append((yield read(a, 100)))
        a.shutdown(socket.SHUT_WR)
        yield join(echoer)
        return replies, (yield join(napper))

    clock = VirtualClock()
    started = time.monotonic()
    with a, b:
        (replies, woke_at), _ = run_virtual(main(), clock)
    assert replies == [b"ping 0", b"ping 1", b"ping 2"]
    assert woke_at == 3600.0
    assert time.monotonic() - started < 0.5


class PollWatcher:
    """An instrument that tells a thread when the kernel waits in its poller."""

    def __init__(self):
        self.polling = threading.Event()

    def io_wait(self, timeout):
        if timeout:
            self.polling.set()


def test_time_stands_still_while_a_task_waits_on_a_socket():
    """A task waits on a socket that only a thread will write to: the
    clock does not jump to the sleeper's deadline meanwhile."""
    a, b = socket.socketpair()
    watcher = PollWatcher()

    def writer_thread():
        watcher.polling.wait(10)        # the kernel is blocked in the poller
        b.send(b"from a thread")

    def sleeper():
        yield sleep(5)
        return clock()

    def main():
        napper = yield spawn(sleeper())
        thread = threading.Thread(target=writer_thread)
        thread.start()
        data = yield read(a, 100)
        read_at = clock()
        thread.join()
        return data, read_at, (yield join(napper))

    clock = VirtualClock()
    with a, b:
        (data, read_at, woke_at), _ = run_virtual(main(), clock, instruments=[watcher])
    assert data == b"from a thread"
    assert read_at == 0.0               # five virtual seconds were due: time stood still
    assert woke_at == 5.0


def test_the_clock_by_hand():
    clock = VirtualClock(start=1)
    assert clock() == 1.0 and type(clock()) is float and clock.autojump
    clock.advance(2.5)
    assert clock() == 3.5
    clock.jump(2)                       # never backwards
    assert clock() == 3.5
    clock.jump(10)
    assert clock() == 10.0
    clock.jump(9.5)                     # not even a little
    clock.advance(0)                    # (standing still is moving forward by nothing)
    assert clock() == 10.0
    with pytest.raises(ValueError):
        clock.advance(-1)
    assert repr(clock) == "<VirtualClock now=10>"


def test_virtual_time_jumps_when_io_waits_on_a_timer():
    """A read that a sleeping peer task will satisfy: time stands still for
    the clock's threshold of real time, then jumps -- it does not hang."""
    import socket
    from trampoline import Kernel, VirtualClock, read, sleep, spawn, write
    a, b = socket.socketpair()

    def writer():
        yield sleep(10)
        yield write(b, b"x")

    def main():
        yield spawn(writer())
        return (yield read(a, 10))

    clock = VirtualClock(autojump_threshold=0.01)
    with a, b, Kernel(clock=clock) as kernel:
        assert kernel.run(main()) == b"x"
    assert clock() == 10



@pytest.mark.usefixtures("quick_sweep")
def test_a_threshold_past_a_second_is_kept():
    """The kernel polls at most a second at a time while descriptors are
    watched; the threshold is real time with nothing happening over as many
    polls as it takes (it was cut to that one poll: an infinite threshold,
    trio's "wait for the I/O however long", jumped after a second).  (With
    quick_sweep a poll is at most 50 ms: the peer's 0.2 s spans four.)"""
    a, b = socket.socketpair()
    peer = threading.Timer(0.2, b.send, (b"late",))   # a slow peer, in real time

    def main():
        peer.start()
        return (yield timeout_after(10, read(a, 100)))

    clock = VirtualClock(autojump_threshold=float("inf"))
    with a, b:
        try:
            assert run_virtual(main(), clock)[0] == b"late"
        finally:
            peer.join()
    assert clock() == 0.0                   # time stood still while the read waited

@pytest.mark.parametrize("make, error, message", [
    (lambda: VirtualClock(start="5"), TypeError, "VirtualClock(start=...) needs a number"),
    (lambda: VirtualClock(start=True), TypeError,
     "VirtualClock(start=...) needs a number of seconds, got True"),
    (lambda: setattr(VirtualClock(), "autojump_threshold", -1), ValueError,
     "VirtualClock.autojump_threshold needs seconds >= 0"),
    (lambda: VirtualClock(start=float("nan")), ValueError, "VirtualClock(start=...) needs a finite"),
    (lambda: VirtualClock(autojump_threshold=None), TypeError,
     "VirtualClock(autojump_threshold=...) needs a number of seconds, got None"),
    (lambda: VirtualClock(autojump_threshold=-1), ValueError,
     "VirtualClock(autojump_threshold=...) needs seconds >= 0"),
    (lambda: VirtualClock().advance("1"), TypeError,
     "VirtualClock.advance() needs a number of seconds, got '1'"),
    (lambda: VirtualClock().advance(float("nan")), ValueError,
     "VirtualClock.advance() needs a finite number of seconds, got nan"),
    (lambda: VirtualClock(autojump_threshold=float("nan")), ValueError,
     "VirtualClock(autojump_threshold=...) needs a number of seconds, got nan"),
    (lambda: VirtualClock(start=10 ** 400), ValueError,
     "VirtualClock(start=...) needs a number of seconds a float can hold, got an int of 1329 bits"),
    (lambda: VirtualClock().advance(-10 ** 400), ValueError,
     "VirtualClock.advance() needs a number of seconds a float can hold, got an int of 1329 bits"),
    (lambda: VirtualClock().jump(float("inf")), ValueError,
     "VirtualClock.jump() needs a finite number of seconds, got inf"),
    (lambda: VirtualClock().jump(float("nan")), ValueError,
     "VirtualClock.jump() needs a finite number of seconds, got nan"),
    (lambda: Kernel(clock=5), TypeError,
     "Kernel(clock=...) needs a function returning the time in seconds"),
])
def test_the_clock_refuses_what_is_not_seconds(make, error, message):
    """Each of these was taken: a negative threshold made the poller wait
    for ever (poll(-1)) as soon as a task waited on I/O, and a NaN or None
    failed deep in the kernel's loop, naming none of these."""
    with pytest.raises(error) as caught:
        make()
    assert message in str(caught.value)



def test_a_timer_at_infinity_is_never_jumped_to():
    """``sleep(inf)`` and ``timeout_after(inf)`` wait for ever on a virtual
    clock too: it does not jump to infinity (the sleep returned at once,
    the timeout went off, and the clock stayed at infinity).  With nothing
    else to wake anyone, it is a deadlock, said as such."""
    def forever():
        yield sleep(float("inf"))

    def main():
        waited = yield ignore_after(5, forever())       # a finite timer beside it
        return waited, current_time()

    assert run_virtual(main())[0] == (None, 5)
    with pytest.raises(RuntimeError, match=r"deadlock(.|\n)*sleep seconds=inf"):
        run_virtual(forever())



def test_a_deadlock_after_a_timeout_that_ended_in_time_is_found_at_once():
    """A timeout that ended in time leaves a dead alarm in the heap; a
    deadlock after it is reported then and there, not once the clock has
    reached that alarm's deadline (an hour later, on a real clock)."""
    def main():
        with timeout_after(3600):
            yield sleep(0)
        yield Event().wait()

    clock = VirtualClock()
    with pytest.raises(RuntimeError, match="deadlock"):
        run(main(), clock=clock)
    assert clock() == 0

def test_a_timer_at_infinity_beside_a_socket_waits_for_the_socket():
    """With only ``sleep(inf)`` on the heap and a task waiting on a socket,
    the kernel waits for I/O (a bounded poll), not for the timer and not
    as a deadlock: the read that comes is served; time does not move."""
    a, b = socket.socketpair()

    def reader():
        return (yield read(a, 100))

    def main():
        sleeper = yield spawn(forever_sleeping())
        got = yield join((yield spawn(reader())))
        yield cancel(sleeper)
        return got, current_time()

    def forever_sleeping():
        yield sleep(float("inf"))

    with a, b:
        b.sendall(b"here")                  # waiting already: the poll sees it at once
        assert run_virtual(main())[0] == (b"here", 0)
