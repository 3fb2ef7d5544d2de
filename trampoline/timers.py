"""Timers: the heap of sleeps and alarms, and how long the poller may wait.

A task that sleeps, and every timeout (an *alarm*), is an entry in one heap
ordered by deadline: ``[deadline, seq, task]`` for a sleep,
``[deadline, seq, task, exception]`` for an alarm -- ``seq`` breaks ties in
the order they were set.  A sleep or alarm cancelled before its time has
``task`` (and its exception) set to None and is skipped when it comes up
(the heap is rebuilt once most of it is dead); an alarm that went off gets
a fifth field, True, once its task took it and went on (``alarm_taken``).
Each turn the loop fires what is due (``_fire_timers``): a sleeper goes
back on the ready queue; an alarm's exception is thrown into its task as
``cancel`` does (of a task's alarms that go off in one turn, the
outermost's), and stays in the task's ``_pending`` -- thrown in again at
every blocking trap (it is *level-triggered*: the outermost gone off
first) until the scope that set it clears it.

A mixin of ``Kernel``.  The public methods are for code in the kernel's
thread that cannot yield a trap (a ``with`` block's __enter__ and __exit__:
timeouts; a task group's exit takes back its cancellation with
``withdraw``).  What it uses of the kernel: ``_timers``, ``_timer_seq``,
``_dead_timers``, ``_clock``, ``_jump_to``, ``_quiet_until``, ``_ready``,
``_fds``, ``_interrupt``, ``_deadlock``, ``_io_waiters``, ``_on_timer``,
``_on_alarm``, ``_running`` and ``_nudge`` (hostloop.py).
"""

import heapq
import numbers
import time
from typing import Any, Optional

from .descriptors import SWEEP_INTERVAL
from .diagnostics import DEADLOCK, _waiting_in
from .errors import Cancelled
from .traps import PARKED

__all__ = []  # type: list  # (Timers: documented as Kernel's)

#: The longest single wait in the poller (a sleep of inf waits in pieces).
MAX_TIMEOUT = 3600.0
_INF = float("inf")


class Timers:
    """The timer part of ``Kernel`` (see the module docstring)."""

    def time(self: Any) -> float:
        """The kernel's clock now (seconds; ``time.monotonic`` unless a
        ``clock`` was given): what deadlines are measured on."""
        return self._clock()

    @property
    def virtual_time(self: Any) -> bool:
        """True if the kernel's clock is one it moves itself (a
        ``VirtualClock``): ``next_deadline()``'s seconds are then virtual,
        and a host loop should not wait them out in real time but call
        ``run_once(next_deadline())`` at once, which moves the clock."""
        return self._autojump

    def set_alarm(self, task, deadline, exception, replacing=None):
        """At ``deadline`` (on the kernel's clock) throw ``exception`` into
        ``task`` as ``cancel`` does -- and again at each of its blocking traps
        after that, until the alarm is cleared.  Returns the alarm, for
        ``clear_alarm``.  Timeouts are built on this.

        Of a task's alarms that have gone off, the one set first is thrown
        in (the outermost scope's).  ``replacing``, an alarm of the task's
        that this one replaces (a moved deadline), gives it that alarm's
        place in that order instead of the last.  A ``deadline`` of None
        makes an alarm that never goes off and only holds its place, for a
        scope that has no deadline yet."""
        seq = next(self._timer_seq)
        if deadline is None:
            return [None, seq, None, None, seq if replacing is None else replacing[4]]
        if type(deadline) is not float and type(deadline) is not int or deadline != deadline:
            deadline = _checked_deadline(deadline)  # (NaN, a str: it would break the heap)
        alarm = [deadline, seq, task, exception, seq if replacing is None else replacing[4]]
        heapq.heappush(self._timers, alarm)
        if not self._running:   # between a host loop's rounds (a scope's deadline moved
            self._nudge()       # there): fileno() says so, for it waits for the old one
        return alarm

    def clear_alarm(self, task, alarm):
        """Disarm ``alarm``, set for ``task``.  Returns True if this disarmed
        it before it went off, False if it had gone off (its exception is
        thrown in no more) or was cleared already (twice is harmless)."""
        if alarm[2] is not None:        # not gone off: the heap drops it later, and
            alarm[2] = alarm[3] = None  # meanwhile holds neither task nor exception
            self._dead_timers += 1      # (_timer_died, inline: a timeout per request)
            if self._dead_timers > 64:
                self._timer_died(0)
            return True
        self.withdraw(task, alarm)          # (alarms differ in their sequence number)
        return False

    def withdraw(self, task, exc):
        """Take back ``exc``, thrown at ``task`` (by ``cancel``, or a gone-off
        alarm) but still pending -- waiting for its next blocking trap.
        Returns True if it was.  For a scope whose own cancellation of its
        body must not outlive it (a TaskGroup's, as an alarm's)."""
        pending = task._pending
        if pending and exc in pending:
            pending.remove(exc)
            return True
        return False

    def alarm_gone_off(self, alarm):
        """True if ``alarm`` has gone off (cleared since or not); False while
        it waits for its deadline, or if it was cleared before.  A timeout
        whose deadline is moved asks it: one that went off stays, as it is."""
        return alarm[2] is None and alarm[3] is not None

    def alarm_taken(self, alarm):
        """True if ``alarm`` has gone off and its task took its exception:
        thrown in at a blocking trap, at least once, and not handed back
        unreceived (``shield`` and ``select`` hand back one that came as
        their work won, by clearing its traceback; one taken before stays
        taken).  What a timeout whose block ends quietly asks: work that
        swallowed its cancellation is timed out all the same."""
        exception = alarm[3]            # (None once cleared before it went off)
        return len(alarm) > 5 or (exception is not None and exception.__traceback__ is not None)

    def take_cancel(self, task):
        """Take the first cancel thrown at ``task`` that is still pending --
        it came as the task deferred cancellation, or had an exception on
        its way in already -- as its next blocking trap would (it becomes
        ``task.last_cancel``), and return it; None if there is none.  For a
        timeout scope that ends expiring with one on its way (its own
        cancellation reached the work: the task no longer defers): a cancel
        stays a cancel."""
        cancels = [item for item in task._pending or () if isinstance(item, Cancelled)]
        if not cancels:                 # (an alarm is a list)
            return None
        task._pending.remove(cancels[0])
        task._last_cancel = cancels[0]
        return cancels[0]

    def due_alarm(self, task):
        """The exception of ``task``'s outermost alarm that has gone off and
        is not cleared yet, or None: what a timeout scope that is expiring
        must let pass, for the scope around it."""
        alarms = [item for item in task._pending or () if type(item) is list]
        return min(alarms, key=_alarm_order)[3] if alarms else None

    def timers(self):
        """``{task: (sleep_ends, alarm_goes_off)}``, for each task with a
        timer to come: when its ``sleep`` ends and when the nearest of its
        alarms (a timeout's) goes off, on the kernel's clock, or None.  For
        tools that show them (the monitor's ``ps``); it reads every timer."""
        found = {}                      # type: dict
        for entry in self._timers:
            task = entry[2]
            if task is None or entry[0] == _INF:    # cleared; a scope with no deadline
                continue
            ends, alarm = found.get(task, (None, None))
            if len(entry) == 3:
                ends = entry[0]
            elif alarm is None or entry[0] < alarm:
                alarm = entry[0]
            found[task] = (ends, alarm)
        return found

    def _fire_timers(self, now):
        """Wake the sleepers whose time has come; deliver due alarms."""
        timers = self._timers
        gone_off = None
        while timers and timers[0][0] <= now:
            entry = heapq.heappop(timers)
            task = entry[2]
            if task is None:            # cancelled sleep or cleared alarm
                self._dead_timers -= 1
            elif len(entry) == 3:       # a sleep is over
                task._timer = None
                task._waiting = None
                self._ready.append(task)
                for hook in self._on_timer:
                    hook(task)
            else:                       # an alarm goes off: its exception
                entry[2] = None         # now, and at every blocking trap until cleared
                if not task.done:
                    if task._pending is None:
                        task._pending = []
                    task._pending.append(entry)
                    if gone_off is None:
                        gone_off = []
                    gone_off.append((task, entry[3]))
        if gone_off is not None:
            # Thrown in once every alarm due has gone off: a task whose inner
            # and outer deadlines passed in the same turn gets the outer's,
            # its outermost, as at each blocking trap after (trio's rule: the
            # outer scope's cancellation passes the inner ones).
            for task, exception in gone_off:
                self._interrupt(task, self.due_alarm(task))
                for hook in self._on_alarm:
                    hook(task, exception)

    def _timer_died(self, died=1):
        """One more dead entry in the timer heap; rebuild it once most are."""
        self._dead_timers += died
        if self._dead_timers > 64 and self._dead_timers * 2 > len(self._timers):
            self._timers[:] = [entry for entry in self._timers if entry[2] is not None]
            heapq.heapify(self._timers)
            self._dead_timers = 0

    #: With a virtual clock and tasks waiting on I/O: the real time at which
    #: the autojump threshold is up if nothing happens before (None: no such
    #: wait under way).  See _wait_time.
    _quiet_until = None         # type: Optional[float]

    def _wait_time(self, deadline):
        """How long the poller may wait when no task is ready: until the next
        timer (or ``deadline``), at most SWEEP_INTERVAL while descriptors are
        registered (see _sweep_closed)."""
        wake_at = self._next_timer()
        if wake_at is None or deadline is not None and deadline < wake_at:
            wake_at = deadline
        longest = SWEEP_INTERVAL if self._fds else MAX_TIMEOUT
        if wake_at is None:
            if not self._fds and not self._foreign_waits:
                self._deadlock()
            return longest
        timeout = min(max(wake_at - self._clock(), 0), longest)
        if self._autojump and timeout > 0:
            if wake_at == _INF:             # sleep(inf): a timer that never comes,
                if not self._fds and not self._foreign_waits:   # not one to jump to
                    self._deadlock()
                return longest
            if not self._io_waiters():
                # Virtual time: only timers can wake anyone, so go straight there.
                self._clock.jump(wake_at)
                return 0
            # Tasks wait on I/O too: give it the clock's threshold of real
            # time with nothing happening, then jump (the I/O may itself
            # wait on that timer).  That may take more than one poll, each
            # at most ``longest``: _wait_for_io jumps once it is up.
            now = time.monotonic()
            if self._quiet_until is None:
                self._quiet_until = now + self._clock.autojump_threshold
            self._jump_to = wake_at
            return min(max(self._quiet_until - now, 0), longest)
        return timeout

    def _next_timer(self):
        """When the first live timer is due, or None: a cancelled sleep or a
        cleared alarm at the head of the heap (a timeout that ended in time)
        is dropped here, so that nobody waits for it -- or counts on it to
        wake a task that nothing else can wake (a deadlock)."""
        timers = self._timers
        while timers and timers[0][2] is None:
            heapq.heappop(timers)
            self._dead_timers -= 1
        return timers[0][0] if timers else None

    def _unpark_sleeper(self, task, trap, exc):
        task._timer[2] = None           # the heap drops the entry when it comes up
        task._timer = None
        self._timer_died()

    def _trap_sleep(self, task, trap):
        seconds = trap.seconds
        if seconds == 0:                # behind every ready task
            task._value = None
            self._ready.append(task)
            return PARKED
        entry = [self._clock() + seconds, next(self._timer_seq), task]
        heapq.heappush(self._timers, entry)
        task._timer = entry
        task._waiting = trap
        return PARKED

    def _trap_set_alarm(self, task, trap):
        return self.set_alarm(task, self._clock() + trap.seconds, trap.exception)

    def _trap_clear_alarm(self, task, trap):
        return self.clear_alarm(task, trap.alarm)

    def _deadlock(self):
        """Nothing is ready, no timer is set, no descriptor is watched: every
        task waits on another task, and none ever will run again."""
        waits = "\n".join("  " + _waiting_in(task) for task in self._tasks.values())
        raise RuntimeError("%s:\n%s" % (DEADLOCK, waits))


def _alarm_order(alarm):
    return alarm[4]         # the outermost scope set its alarm first (see set_alarm)


def _again(alarm):
    """The exception of ``alarm`` (gone off), to throw into its task once
    more: with the frames of this trap only, not of every delivery before.
    Frames of the last delivery still on it mean the task took that one and
    went on (its work swallowed it, or blocks in its cleanup): the alarm
    keeps that fact (see ``alarm_taken``), which no later delivery handed
    back unreceived (a shield's, a select's) can undo."""
    exception = alarm[3]
    if exception.__traceback__ is not None:
        exception.__traceback__ = None
        if len(alarm) == 5:
            alarm.append(True)          # taken
    return exception


def _checked_deadline(deadline):
    """An alarm's deadline as a float, or a TypeError or ValueError."""
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)):
        raise TypeError("set_alarm(): the deadline must be a number on the kernel's clock, "
                        "got %r" % (deadline,))
    if deadline != deadline:
        raise ValueError("set_alarm(): the deadline must not be NaN")
    return float(deadline)


def _clock_of(clock):
    """``Kernel(clock=...)``: the real monotonic clock for None, else a
    callable (a ``VirtualClock``) that returns a number of seconds -- or a
    TypeError (a ValueError for NaN) now, naming it, not one at a sleep
    about adding a str to a float."""
    if clock is None:
        return time.monotonic
    if not callable(clock):
        raise TypeError("Kernel(clock=...) needs a function returning the time in seconds "
                        "(a VirtualClock, say), got %r" % (clock,))
    now = clock()
    if isinstance(now, bool) or not isinstance(now, numbers.Real):
        raise TypeError("Kernel(clock=...) needs a function returning the time in seconds "
                        "(a VirtualClock, say); %r returned %r" % (clock, now))
    if now != now:
        raise ValueError("Kernel(clock=...) needs a function returning the time in seconds; "
                         "%r returned nan" % (clock,))
    return clock
