"""VirtualClock: time that tests control.

``Kernel(clock=VirtualClock())`` makes ``sleep``, timeouts and alarms run on
virtual time.  Whenever every task waits only on timers -- nothing ready, no
task waiting on a descriptor or on another thread -- the kernel moves the
clock straight to the next timer (trio's "autojump"), so a test of a
one-hour timeout takes microseconds and always goes the same way.  Real I/O
still works beside it: while a task waits on a socket, virtual time stands
still -- for at most ``autojump_threshold`` real seconds with nothing
happening, after which it jumps anyway (the socket may be waiting for that
very timer: a peer task that sleeps, then writes); ``float("inf")`` waits
for the I/O however long it takes.

A clock serves one kernel at a time.  Handed to kernels one after another,
it goes on from where the last left it; shared by two running at once,
each moves the other's time (a sleep may end later than asked, in virtual
seconds) -- give each its own.
"""

import math

__all__ = ["VirtualClock"]


class VirtualClock:
    """A clock for ``Kernel(clock=...)``: call it for the time; the kernel
    ``jump``\\ s it forward; ``advance`` moves it by hand."""

    autojump = True

    def __init__(self, start: float = 0.0, autojump_threshold: float = 0.1) -> None:
        self._now = float(_seconds("VirtualClock(start=...)", start))
        self._threshold = _threshold("VirtualClock(autojump_threshold=...)", autojump_threshold)

    @property
    def autojump_threshold(self) -> float:
        """Real seconds with nothing happening, while a task waits on I/O,
        before time jumps to the next timer; set it at any time (it counts
        from the next wait), to seconds >= 0 or ``inf``."""
        return self._threshold

    @autojump_threshold.setter
    def autojump_threshold(self, seconds: float) -> None:
        self._threshold = _threshold("VirtualClock.autojump_threshold", seconds)

    def __call__(self) -> float:
        return self._now

    def jump(self, when: float) -> None:
        """Move to ``when`` (never backwards).  A ``TypeError`` or
        ``ValueError`` for what is not a finite time, as ``advance``."""
        _seconds("VirtualClock.jump()", when)
        if when > self._now:
            self._now = when

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        if _seconds("VirtualClock.advance()", seconds) < 0:
            raise ValueError("time only goes forward; got %r" % (seconds,))
        self._now += seconds

    def __repr__(self) -> str:
        return "<VirtualClock now=%g>" % self._now


def _seconds(what: str, value: float, infinite: bool = False) -> float:
    """``value``, if it is a number of seconds (not NaN; infinite only if
    ``infinite``); else a TypeError or ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s needs a number of seconds, got %r" % (what, value))
    try:
        seconds = float(value)
    except OverflowError:
        raise ValueError("%s needs a number of seconds a float can hold, got an int "
                         "of %d bits" % (what, int(value).bit_length())) from None
    if math.isnan(seconds) or (math.isinf(seconds) and not infinite):
        raise ValueError("%s needs a %snumber of seconds, got %r"
                         % (what, "" if infinite else "finite ", value))
    return value


def _threshold(what: str, value: float) -> float:
    if _seconds(what, value, infinite=True) < 0:
        raise ValueError("%s needs seconds >= 0 (inf: wait for the I/O however long), "
                         "got %r" % (what, value))
    return value
