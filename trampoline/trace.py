"""Tracing: watch the kernel work, as text, as a timeline, or as ASCII art.

The kernel tells *instruments* what it does (``Kernel(instruments=[...])``,
see ``Kernel._instrument``): a task was spawned, is resumed, yielded a trap,
exited; the kernel waits in its poller, descriptors became ready, a timer
fired.  This module turns those calls into something a person can read:

* ``TextTrace(file)`` -- one line per event, as it happens::

      0.000412  task 3 echo(client, address)  -> read(fd=7, 65536)   [parked: fd 7 readable]

* ``Timeline(path)`` -- the Chrome/Perfetto trace-event JSON format: one
  track per task, a slice for each stretch it ran and for each wait
  (labelled with the trap).  Open it in https://ui.perfetto.dev or
  ``chrome://tracing`` and *see* the tasks interleave.  ``Timeline.ascii()``
  draws the same as a chart for a terminal or a slide.

* ``python3 -m trampoline.trace [--timeline OUT.json] [--ascii] script.py
  args...`` (or ``-m module args...``, as ``python3 -m``) runs a script
  with an instrument installed in every ``run()`` it calls;
  ``TRAMPOLINE_TRACE=1`` does the same for the text trace without changing
  a line.

A script that forks (``run_server(workers=N)``: the parent runs no kernel,
the workers do the work) is traced in every process, as ``strace -ff``
does: a process forked after a ``Timeline`` was made starts a timeline of
its own at its first run and writes it to ``OUT.<pid>.json``, never over
its parent's file; under the command, each forked process draws its chart
when a run of its ends (a worker ends with ``os._exit`` and never comes back
to the command), and the parent says at the end where they went.

The idea: an instrument only *looks*.  When a step ends (the next event
comes) it reads the task's state -- parked on which trap, back on the ready
queue, done -- and so learns what the trap did without the kernel saying.
What it must never do: change a task, a trap or the kernel, or cost a thing
when it is not installed (``run()`` imports this module only when asked to).
"""

import argparse
import json
import logging
import math
import os
import re
import runpy
import signal
import sys
import textwrap
import time
import traceback
import types
import unicodedata
import zipfile

from .diagnostics import PYTHON
from .hostloop import running_kernel
from .traps import (Trap, accept, cancel, connect, join, park, read, read_wait, recvfrom,
                    sendto, Sleep, spawn, write, write_wait)

__all__ = ["TextTrace", "Timeline", "describe_trap", "describe_wait", "main"]

log = logging.getLogger("trampoline")

# ================================================== words for what tasks do

#: What kind of wait each trap is, as the ASCII timeline draws it.
_WAIT_KINDS = {
    read: "r", read_wait: "r", accept: "r", recvfrom: "r",
    write: "w", write_wait: "w", connect: "w", sendto: "w",
    Sleep: "z",
}

#: Traps the kernel dispatches a second time once their descriptor is ready
#: (the read happens then): that second dispatch is not a new request.
_REDISPATCHED = (read, write, accept, connect, read_wait, write_wait, recvfrom, sendto)


def _short(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _coro_name(coro):
    """``echo()`` for a generator or coroutine -- or its name as it is when
    that is a call already (``timeout_after(5, fetch)``): no second ``()``."""
    name = _LOCALS.sub("", getattr(coro, "__qualname__", type(coro).__name__))
    return name if name.endswith(")") else name + "()"


#: ``main.<locals>.`` in a qualified name, wherever it is (a timeout's name
#: has its work's inside it: ``timeout_after(5, main.<locals>.fetch)``).
_LOCALS = re.compile(r"[\w.]*<locals>\.")


def _field(trap, name):
    value = getattr(trap, name)
    if name == "fd":
        return "fd=%d" % value
    if name == "nbytes" and type(trap) is write:
        return "%d bytes" % value
    if name == "coro":
        return _coro_name(value)
    if name == "task":
        return "task %d %s" % (value.id, value.name)
    if name == "queue":
        return "a wait queue"
    return _short(value)


def describe_trap(trap):
    """A trap (or a subroutine call) as a person would write it:
    ``read(fd=7, 65536)``, ``sleep(0.5)``, ``join(task 3 echo)``,
    ``spawn(fetch(), name='fetch 1')`` (the name given, which the task is
    called by from then on, when it is not the function's)."""
    if not isinstance(trap, Trap):
        return "call " + _coro_name(trap)
    if type(trap) is spawn:
        return _describe_spawn(trap)
    return "%s(%s)" % (type(trap).__name__,
                       ", ".join(_field(trap, name) for name in trap._shown))


def _describe_spawn(trap):
    """``spawn(worker())`` -- and the name given, when it is not the
    function's own: ``spawn(TaskGroup._watch(), name='trampoline:
    watching g')``, for every later line calls the task by its name ("task
    7 trampoline: watching g").  A trap spawned as a task is that trap:
    ``spawn(sleep(0))``, not the helper that performs it."""
    coro = trap.coro
    performed = _performed(coro)
    if performed is not None:
        what, own = describe_trap(performed), type(performed).__name__
    else:
        what = _coro_name(coro)
        own = _LOCALS.sub("", getattr(coro, "__qualname__", ""))   # (what Task.name is)
    if not trap.name or trap.name == own:
        return "spawn(%s)" % what
    return "spawn(%s, name=%r)" % (what, trap.name)


def _performed(coro):
    """The trap a task spawned with ``spawn(trap)`` performs (it has not run
    yet: the argument of traps' ``_perform``), or None."""
    frame = getattr(coro, "gi_frame", None)
    if frame is None or frame.f_code.co_name != "_perform" \
            or frame.f_globals.get("__name__") != "trampoline.traps":
        return None
    trap = frame.f_locals.get("trap")
    return trap if isinstance(trap, Trap) else None


def describe_wait(trap):
    """What a task parked on ``trap`` waits for: ``fd 7 readable``."""
    kind = _WAIT_KINDS.get(type(trap))
    if kind == "r":
        return "fd %d readable" % trap.fd
    if kind == "w":
        return "fd %d writable" % trap.fd
    if kind == "z":
        return "%g s to pass" % trap.seconds
    if type(trap) is join:
        return "task %d %s to finish" % (trap.task.id, trap.task.name)
    if type(trap) is cancel:
        return "task %d %s to finish cancelling" % (trap.task.id, trap.task.name)
    if type(trap) is park:
        return "somebody to wake it (an event, a lock, a queue...)"
    return describe_trap(trap)      # pragma: no cover - every parking trap is above


def _how_it_ended(task):
    """``returned 2``, ``raised KeyError('k')``, ``cancelled``: from
    ``task.outcome``, never ``exception`` (which would mark a crash as
    seen, and nobody would be told of it)."""
    how, what = task.outcome
    return how if how == "cancelled" else how + " " + _short(what)


def _task_label(task):
    return "task %d %s" % (task.id, task.name)


#: Poller event bits.  epoll and ``selectors`` number them differently, but
#: never clash on the ones the kernel asks for: 1 is readable in both, 2 or
#: 4 writable, 8 or 16 an error or a hang-up (which wakes both directions).
_READABLE, _WRITABLE, _BROKEN = 1, 2 | 4, 8 | 16


def _char_cells(char):
    if unicodedata.combining(char) or unicodedata.category(char) in ("Me", "Cf"):
        return 0                    # (an accent on the letter before it)
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cells(text):
    """How many columns of a terminal ``text`` takes: a CJK character or
    an emoji two, a combining accent none."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(char) for char in text)


def _fit(text, width):
    """``text`` cut to ``width`` terminal columns at most, then padded with
    spaces to exactly that: a column after it lines up however wide its
    characters are."""
    if text.isascii():
        return text[:width].ljust(width)
    kept, used = [], 0
    for char in text:
        cells = _char_cells(char)
        if used + cells > width:
            break
        kept.append(char)
        used += cells
    return "".join(kept) + " " * (width - used)


# ================================================================ TextTrace

def _as_shown(text, file):
    """``text`` as ``file`` will show it: what its encoding cannot encode
    escaped, as Python's stderr escapes it (``caf\\xe9`` on an ASCII
    terminal) -- so that a column padded to its length lines up."""
    encoding = getattr(file, "encoding", None)
    if not isinstance(encoding, str) or text.isascii():
        return text
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding, "replace")
    except LookupError:             # (an encoding Python does not know)
        return text


#: How many columns of a terminal a text trace gives the task a line is
#: about: a longer "task N name" is cut to fit, with "...", and its
#: "spawned" line says it whole -- the events stay in one column.
_WHO_COLUMNS = 28


class TextTrace:
    """An instrument that writes one line per event to ``file`` (default:
    ``sys.stderr`` at the time of writing).  Times are seconds since the
    first event, on ``clock`` (default ``time.perf_counter``).  The task
    a line is about takes 28 columns, so that the events line up: a longer
    "task N name" is cut to fit ("..."), and its "spawned" line gives it
    in full.

    A write that fails (a closed file, a broken pipe) is logged, once, on
    the "trampoline" logger, and the trace stops: an instrument never raises
    into the kernel, where the error would end the run it watches.  In a
    process forked after it was made (``run_server(workers=N)``) each line
    starts with ``[pid N]``, as ``strace -f`` marks its children's lines."""

    def __init__(self, file=None, clock=time.perf_counter):
        self.file = file
        self._maker = os.getpid()   # the process that made it: its lines go unmarked
        self._clock = clock
        self._start = None
        self._labels = {}           # task -> its label, while it lives
        self._pending = None        # (task, trap, line, when): a trap line not yet written
                                    # (line None: a parked trap performed again)
        self._parked = {}           # task -> the trap it parked on
        self._failed = False        # a write failed: the trace has stopped

    def _write(self, who, text, now=None, in_full=False):
        """A line: the time, ``who`` in a column of _WHO_COLUMNS (cut to fit,
        and then -- ``in_full`` -- said whole after ``text``), ``text``."""
        if now is None:
            now = self._clock()
        if self._start is None:
            self._start = now
        if self._failed:
            return
        file = self.file if self.file is not None else sys.stderr
        pid = os.getpid()
        try:
            shown = _as_shown(who, file)    # (padded to _WHO_COLUMNS of a terminal)
            cells = _cells(shown)
            if cells > _WHO_COLUMNS:
                if in_full:
                    text += " (in full: %s)" % shown
                shown = _fit(shown, _WHO_COLUMNS - 3).rstrip() + "..."
                cells = _cells(shown)
            file.write("%s%.6f  %s%s %s\n" % (
                "" if pid == self._maker else "[pid %d] " % pid, now - self._start,
                shown, " " * (_WHO_COLUMNS - cells), text))
        except (OSError, ValueError) as error:     # (ValueError: a closed file)
            self._failed = True
            log.error("TextTrace: cannot write to %r (%s); the trace stops here", file, error)

    def _flush(self, same_step=False):
        """Write the trap line held back until now: the task's state tells
        what became of the trap (unless the step goes on: it was done)."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        task, trap, line, when = pending
        if line is None:            # the trap it was parked on, performed again
            line = "runs: %s " % describe_trap(trap)
            if not same_step and task.waiting is trap:     # not done: parked again
                if type(trap) is write:
                    line += "is not done (%d bytes sent so far)" % trap.sent
                else:
                    line += "is not done"
                line += "   [parked again: %s]" % describe_wait(trap)
            else:
                del self._parked[task]
                line += "is done waiting"
        elif not same_step and not task.done:
            if task.waiting is trap:
                self._parked[task] = trap
                line += "   [parked: %s]" % describe_wait(trap)
            else:
                line += "   [back of the ready queue: others run first]"
        self._write(self._labels[task], line, when)

    def task_spawned(self, task):
        """Instrument hook: ``task`` was just spawned (it has not run yet)."""
        self._flush(same_step=True)
        self._labels[task] = _task_label(task)
        self._write(self._labels[task], "spawned", in_full=True)

    def task_step(self, task, value):
        """Instrument hook: ``task`` runs a step; ``value`` is what it is
        sent (or the exception thrown in)."""
        self._flush()
        if isinstance(value, BaseException):
            self._parked.pop(task, None)
            line = "runs: %s thrown in" % _short(value)
        else:
            parked = self._parked.get(task)
            line = "runs"
            if parked is not None:
                if type(parked) in _REDISPATCHED and value is None:
                    # The kernel performs it now: whether that finishes it
                    # or it parks again shows when the step ends (_flush).
                    self._pending = (task, parked, None, self._clock())
                    return
                del self._parked[task]
                line = "runs: %s is done waiting" % describe_trap(parked)
            if value is not None:
                line += " <- %s" % _short(value)
        self._write(self._labels[task], line)

    def task_trap(self, task, trap):
        """Instrument hook: ``task`` yielded ``trap``, about to be handled."""
        pending = self._pending
        if pending is not None and pending[1] is trap and pending[2] is None:
            return                  # performed again, as task_step said: not a new request
        self._flush(same_step=True)
        self._pending = (task, trap, "-> " + describe_trap(trap), self._clock())

    def task_exited(self, task):
        """Instrument hook: ``task`` finished (returned, raised or was cancelled)."""
        self._flush(same_step=True)
        self._parked.pop(task, None)
        self._write(self._labels.pop(task), "exits: " + _how_it_ended(task))

    def io_wait(self, timeout):
        """Instrument hook: the kernel polls for I/O, waiting at most ``timeout`` seconds."""
        self._flush()
        if timeout:
            self._write("kernel", "polls: nothing to run; waits for I/O, at most %.3f s" % timeout)

    def io_ready(self, events):
        """Instrument hook: the poll returned ``events``, a list of ``(fd, mask)``."""
        self._flush()
        wake_fd = getattr(running_kernel(), "wake_fd", None)
        waiters = {}                # (fd, "r" or "w") -> the task parked on it
        for task, trap in self._parked.items():
            kind = _WAIT_KINDS.get(type(trap))
            if kind in ("r", "w"):
                waiters[trap.fd, kind] = task
        for fd, mask in events:
            if fd == wake_fd:       # (Kernel.call_threadsafe: no task's descriptor)
                self._write("kernel", "ready: fd %d, the kernel's wake-up channel: another "
                                      "thread woke it (call_threadsafe), or a host loop's own "
                                      "code made a task ready between rounds" % fd)
                continue
            words = []
            for kind, word, bits in (("r", "readable", _READABLE), ("w", "writable", _WRITABLE)):
                if mask & (bits | _BROKEN):
                    waiter = waiters.get((fd, kind))
                    words.append("%s -> wakes %s" % (word, self._labels[waiter]) if waiter else
                                 "%s (no task waits for that: the kernel stops asking)" % word)
            if mask & _BROKEN:
                words.insert(0, "error or hang-up")
            self._write("kernel", "ready: fd %d %s" % (fd, ", ".join(words)))

    def timer_fired(self, task):
        """Instrument hook: ``task``'s sleep is over.  (A timeout's alarm:
        ``alarm_fired``.)"""
        self._flush()
        self._write("kernel", "timer: %s has slept enough" % self._labels[task])

    def alarm_fired(self, task, exception):
        """Instrument hook: a timeout's alarm went off for ``task``:
        ``exception`` is thrown in at its blocking trap (at once if it is
        parked, unless a shield holds it back)."""
        self._flush()
        self._write("kernel", "timer: %s's time is up: %s" % (
            self._labels.get(task) or _task_label(task), _short(exception)))


# ================================================================= Timeline

class _Track:
    """One task's row: its slices, and the state it is in now."""

    __slots__ = ("task", "pid", "tid", "label", "slices", "since", "state", "name", "args",
                 "timeline", "saved")

    def __init__(self, task, pid, label, now, timeline):
        self.timeline = timeline    # (whose room for slices it takes from)
        self.task = task            # None once it has exited
        self.pid = pid
        self.tid = task.id
        self.label = label
        self.slices = []            # (start, end, state, name, args)
        self.since = now            # when the current state began
        self.state = "-"            # "-" ready, "#" running, r w z . waiting
        self.name = "ready"
        self.args = None
        self.saved = None           # slices in the file so far (None: not even its name)

    def enter(self, now, state, name, args=None):
        if (now > self.since or self.state == "#") and self.timeline._room():
            self.slices.append((self.since, now, self.state, self.name, self.args))
        self.since = now
        self.state = state
        self.name = name
        self.args = args


class Timeline:
    """An instrument that records when each task ran and what it waited on.

    ``write(path)`` saves it in the Chrome/Perfetto trace-event format (done
    by itself, to the ``path`` given here, whenever the last task of a run
    exits); ``ascii(width)`` draws it as text.  Times come from ``clock``
    (default ``time.perf_counter``).  The file is whole JSON after each
    run, to open while the program goes on; each run adds only its own
    events to it, before the closing brackets, so that a program of a
    thousand short runs writes each event once, not a thousand times.

    A ``path`` that cannot be written is an error here, before anything
    runs: the file is opened (and created, empty, if it is new) at once.
    A relative ``path`` is taken from the directory of that moment: a
    program that changes directory afterwards still writes there.
    The writes done by themselves happen inside the kernel, at the end of a
    run, where an exception would take the place of the run's result; so a
    failure there (a full disk...) is logged as an error naming the path,
    on the "trampoline" logger, and the run ends as it would have.
    ``write()`` called by you raises.

    It keeps at most ``max_slices`` slices (a million: some hundred
    megabytes of JSON, about what a trace viewer opens), so that a server
    traced for hours does not grow without end: after that it records no
    more, logs a warning once, and says where it stopped -- a line of the
    chart, an instant event in the JSON.

    In a process forked after it was made, it starts empty at that
    process's first run, and writes to ``path`` with the process id before
    the extension (``out.json``: ``out.4242.json``): a forked worker's
    timeline is its own, and never overwrites its parent's.
    """

    #: The most slices (runs, waits, the kernel's polls) it keeps.
    max_slices = 1000000

    def __init__(self, path=None, clock=time.perf_counter):
        if path is not None:            # (absolute: a script may change directory)
            path = os.path.abspath(os.fspath(path))
            open(path, "a").close()     # (an OSError naming the path, before the run)
        self.path = path
        self._clock = clock
        self._maker = os.getpid()   # the process that made it: it writes to path itself
        self._forget()

    def _forget(self):
        """Hold nothing yet: a new timeline, for this process."""
        self._pid = os.getpid()     # the process whose runs it holds
        self._start = None
        self._tracks = {}           # task -> its _Track, while it lives
        self._order = []            # the tracks, in spawn order
        self._running = None        # the _Track running now
        self._polls = []            # (pid, start, end, timeout): waits in the poller
        self._polling = None        # (start, timeout) of the poll going on
        self._runs = 0              # kernel runs seen: one trace "process" each
        self._live = 0
        self._kept = 0              # slices kept (at most max_slices)
        self._cut = None            # when it stopped keeping them (None: it has not)
        self._cut_run = None        # and in which run
        # What this process's file holds (see _save): its size when written,
        # then how many runs, polls, whether the cut is in it, and the
        # tracks with something not yet in it -- the new, and the living.
        self._saved_size = None     # (None: nothing written yet: a whole write next)
        self._saved_runs = self._saved_polls = 0
        self._saved_cut = False
        self._unsaved = []

    def _room(self):
        """Whether one more slice may be kept; if not, say so, once."""
        if self._kept < self.max_slices:
            self._kept += 1
            return True
        if self._cut is None:
            self._cut = self._clock()
            self._cut_run = max(self._runs, 1)      # (the run it stopped in)
            log.warning("Timeline: %d slices recorded, the most it keeps (Timeline.max_slices);"
                        " what follows is not recorded", self.max_slices)
        return False

    def _now(self, step_over=True):
        """The time, closing what the event that asks for it ends: the
        running task's stretch (unless the step goes on), the kernel's
        wait in the poller."""
        now = self._clock()
        if self._start is None:
            self._start = now
        running = self._running
        if running is not None and step_over:
            self._running = None
            self._step_ended(running, now)
        if self._polling is not None:
            start, timeout = self._polling
            self._polling = None
            if self._room():
                self._polls.append((self._runs, start, now, timeout))
        return now

    def _step_ended(self, track, now):
        waiting = track.task.waiting       # (an exiting task is no longer running)
        if waiting is None:
            track.enter(now, "-", "ready")
        else:
            track.enter(now, _WAIT_KINDS.get(type(waiting), "."), describe_trap(waiting),
                        {"waiting for": describe_wait(waiting)})

    def task_spawned(self, task):
        """Instrument hook: ``task`` was just spawned (it has not run yet)."""
        if task.id == 1 and not self._live and os.getpid() != self._pid:
            self._forget()          # a forked process's first run: its own timeline
        now = self._now(step_over=False)    # (the spawner goes on running)
        if task.id == 1:
            self._runs += 1
        track = _Track(task, max(self._runs, 1), _task_label(task), now, self)
        self._tracks[task] = track
        if self._cut is None:       # (once cut short, no new rows)
            self._order.append(track)
            self._unsaved.append(track)
        self._live += 1

    def task_step(self, task, value):
        """Instrument hook: ``task`` runs a step; ``value`` is what it is
        sent (or the exception thrown in)."""
        now = self._now()
        track = self._tracks[task]
        track.enter(now, "#", "run")
        self._running = track

    def task_trap(self, task, trap):
        """Instrument hook: ``task`` yielded ``trap``, about to be handled."""
        track = self._tracks[task]
        if track.args is None:
            track.args = {"yielded": []}
        yielded = track.args["yielded"]
        if len(yielded) < 10:
            yielded.append(describe_trap(trap))

    def task_exited(self, task):
        """Instrument hook: ``task`` finished (returned, raised or was cancelled)."""
        track = self._tracks.pop(task)
        if self._running is track:
            self._running = None
        now = self._now()
        track.enter(now, None, None)
        track.task = None
        self._live -= 1
        if not self._live:
            self._run_ended()

    def _run_ended(self):
        """The last task of a run has exited: write the trace, if to a path.
        Inside the kernel: a failure is logged, never raised into it."""
        if self.path is None:
            return
        try:
            self._save()
        except OSError as error:
            log.error("Timeline: cannot write the trace to %s: %s", self._own_path(),
                      error.strerror or error)

    def io_wait(self, timeout):
        """Instrument hook: the kernel polls for I/O, waiting at most ``timeout`` seconds."""
        now = self._now()
        if timeout:
            self._polling = (now, timeout)

    def io_ready(self, events):
        """Instrument hook: the poll returned ``events``, a list of ``(fd, mask)``."""
        self._now()

    def timer_fired(self, task):
        """Instrument hook: ``task``'s sleep is over."""
        now = self._now()
        track = self._tracks[task]
        track.enter(now, "-", "ready")

    def alarm_fired(self, task, exception):
        """Instrument hook: a timeout's alarm went off for ``task``: if that
        woke it (it was parked, and no shield held it back), it stands ready
        from now, as after a sleep."""
        now = self._now()
        track = self._tracks.get(task)
        if track is not None and track.state not in ("-", "#") and task.waiting is None:
            track.enter(now, "-", "ready")

    # ------------------------------------------------------------ output

    def slices(self):
        """Every track's finished slices, as ``(label, [(start, end, state,
        name), ...])`` in spawn order; times in seconds from the first
        event.  ``state`` is ``#`` for a run, ``r`` ``w`` ``z`` ``.`` for a
        wait, ``-`` while ready to run."""
        start = self._start or 0.0
        return [(track.label, [(begin - start, end - start, state, name)
                               for begin, end, state, name, args in track.slices])
                for track in self._order]

    def events(self):
        """The trace as a list of Chrome trace-event dicts."""
        return list(self._events(0, 0, self._order, {}, True))

    def _events(self, runs, polls, tracks, saved, cut):
        """The trace's events from the ``runs``-th run's names, the
        ``polls``-th poll and each track's ``saved.get(track, 0)``-th slice
        on (a track not in ``saved`` named too); the cut if ``cut``."""
        start = self._start or 0.0
        for pid in range(runs + 1, max(self._runs, 1) + 1):
            yield {"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                   "args": {"name": "trampoline run %d" % pid}}
            yield {"ph": "M", "name": "thread_name", "pid": pid, "tid": 0,
                   "args": {"name": "kernel (waiting in the poller)"}}
        for pid, begin, end, timeout in self._polls[polls:]:
            yield _slice("poll", "kernel", pid, 0, begin - start, end - begin,
                         {"timeout": timeout})
        for track in tracks:
            first = saved.get(track)
            if first is None:
                first = 0
                yield {"ph": "M", "name": "thread_name", "pid": track.pid,
                       "tid": track.tid, "args": {"name": track.label}}
                yield {"ph": "M", "name": "thread_sort_index", "pid": track.pid,
                       "tid": track.tid, "args": {"sort_index": track.tid}}
            for begin, end, state, name, args in track.slices[first:]:
                category = {"#": "run", "-": "ready"}.get(state, "wait")
                yield _slice(name, category, track.pid, track.tid, begin - start,
                             end - begin, args)
        if cut and self._cut is not None:
            yield {"ph": "i", "s": "g", "name": _cut_short(self.max_slices),
                   "cat": "trace", "pid": self._cut_run, "tid": 0,
                   "ts": round((self._cut - start) * 1e6, 3)}

    def _own_path(self):
        """This process's file: ``path``, or in a process forked since the
        timeline was made, ``path`` with its process id."""
        pid = os.getpid()
        if self.path is None or pid == self._maker:
            return self.path
        return _pid_path(self.path, pid)

    def write(self, path=None):
        """Write the trace-event JSON to ``path`` (default: the one given
        to the constructor; in a forked process, that with its process id:
        see the class)."""
        own = self._own_path()
        path = path or own
        if path is None:
            raise ValueError("Timeline.write() needs a path: none was given to it "
                             "or to Timeline()")
        if path != own:
            _write_events(path, self.events())
            return
        self._saved_size = None         # (if the write fails: a whole one next time)
        size = _write_events(path, self.events())
        self._saved(size)

    def _save(self):
        """Bring this process's file up to date, as ``write()`` would, in
        time proportional to what is new since the last write: the new
        events go in before the closing ``]}``, and the file is whole JSON
        again.  (Rewritten whole, a program of a thousand short runs wrote
        the first run's events a thousand times.)  A file that is not as it
        was left (another program wrote it) is written whole."""
        path = self._own_path()
        if self._saved_size is None:
            self.write()
            return
        saved = {track: track.saved for track in self._unsaved}
        events = self._events(self._saved_runs, self._saved_polls, self._unsaved, saved,
                              not self._saved_cut)
        self._saved_size, size = None, self._saved_size
        try:
            size = _append_events(path, events, size)
        except FileNotFoundError:       # (removed since: written whole again)
            size = None
        if size is None:
            self.write()
        else:
            self._saved(size)

    def _saved(self, size):
        """The file is ``size`` bytes, and holds all there is to hold now."""
        self._saved_size = size
        self._saved_runs = max(self._runs, 1)
        self._saved_polls = len(self._polls)
        self._saved_cut = self._cut is not None
        for track in self._unsaved:
            track.saved = len(track.slices)
        self._unsaved = [track for track in self._unsaved if track.task is not None]

    def ascii(self, width=64, rows=None):
        """The timeline as text: one row per task, time across.

        A column where the task ran is shaded by how much of the column it
        ran: ``#`` for more than nine tenths, a digit ``1``-``9`` for up to
        that many tenths -- so a task that runs microseconds per column
        shows ``1``, not a solid bar.  Otherwise a column shows what the
        task did there: waited (``r`` ``w`` ``z`` ``.``) or stood ready
        (``-``).  ``width``: a whole number of columns, at least 1.
        ``rows``: at most that many tasks are drawn (the first spawned),
        and a line says how many more there were; None for every one.
        After more than one ``run()``, each row starts with its run's
        number (``run 2: task 1 main``): each run numbers its tasks from 1."""
        for name, value, least in (("width", width, 1), ("rows", rows, 1)):
            if value is None and name == "rows":
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError("Timeline.ascii(%s): %s is a whole number of %s, not %r"
                                % (name, name, "columns" if name == "width" else "tasks",
                                   value))
            if value < least:
                raise ValueError("Timeline.ascii(%s): %s must be at least 1 %s, got %d"
                                 % (name, name, "column" if name == "width" else "task",
                                    value))
        every = self.slices()
        if self._runs > 1:          # the rows of each run: "task 1 main" is in every one
            every = [("run %d: %s" % (track.pid, label), slices)
                     for track, (label, slices) in zip(self._order, every)]
        end = max([stop for label, slices in every for _, stop, _, _ in slices] or [0.0])
        drawn = every if rows is None else every[:rows]
        step = end / width or 1.0
        label_width = min(max([_cells(label) for label, _ in drawn] or [4]), 32)
        lines = ["%-*s  0%s%s" % (label_width, "", " " * max(1, width - 1 - len(_ms(end))),
                                  _ms(end))]       # (narrower than the end: still apart)
        for label, slices in drawn:
            lines.append("%s |%s|" % (_fit(label, label_width),
                                      "".join(_row(slices, width, step, end))))
        if self._cut is not None:
            lines.append("%-*s  %s at %s" % (label_width, "", _cut_short(self.max_slices),
                                             _ms(self._cut - (self._start or 0.0))))
        if len(every) > len(drawn):
            more = len(every) - len(drawn)
            lines.append("%-*s  ... and %d more task%s, not drawn (the first %d are)"
                         % (label_width, "", more, "" if more == 1 else "s", len(drawn)))
        lines.append("%-*s  %s" % (label_width, "", ASCII_LEGEND))
        return "\n".join(lines)


#: How a trace file begins and ends (see _write_events).
_HEAD = b'{"displayTimeUnit": "ms", "traceEvents": [\n'
_TAIL = b"\n]}\n"


def _write_events(path, events):
    """Write a trace-event file of ``events`` (dicts) to ``path``; return its size."""
    with open(path, "wb") as out:
        out.write(_HEAD)
        out.write(",\n".join(json.dumps(event) for event in events).encode("ascii"))
        out.write(_TAIL)
        return out.tell()


def _append_events(path, events, size):
    """Put ``events`` into the trace-event file ``path`` of ``size`` bytes,
    before its closing ``]}``; return its new size -- or None, leaving it
    as it is, if it is not ``size`` bytes ending in that ``]}``."""
    with open(path, "r+b") as out:
        if out.seek(0, os.SEEK_END) != size or size < len(_HEAD) + len(_TAIL):
            return None
        out.seek(size - len(_TAIL))
        if out.read(len(_TAIL)) != _TAIL:
            return None
        text = ",\n".join(json.dumps(event) for event in events).encode("ascii")
        if not text:
            return size
        out.seek(size - len(_TAIL))
        out.write((b",\n" if size > len(_HEAD) + len(_TAIL) else b"") + text + _TAIL)
        return out.tell()


def _cut_short(max_slices):
    return ("the timeline stops here: it keeps %d slices (Timeline.max_slices), and "
            "recorded no more" % max_slices)


#: The last line of ``Timeline.ascii``.
ASCII_LEGEND = ("# running (all of the column; 1-9: that many tenths of it)  "
                ". waiting (join, lock, queue...)  r read-wait  w write-wait  "
                "z sleeping  - ready")


def _row(slices, width, step, end):
    """One task's cells: the running share of each column, or its state."""
    cells = [" "] * width
    ran = [0.0] * width             # seconds of each column the task ran
    for begin, stop, state, _ in slices:
        first = min(int(begin / step), width - 1)
        last = max(first, min(int(stop / step - 1e-9), width - 1))
        for column in range(first, last + 1):
            if state == "#" and end > 0:
                left, right = column * step, (column + 1) * step
                ran[column] += max(0.0, min(stop, right) - max(begin, left))
            elif _PRIORITY[state] > _PRIORITY[cells[column]]:
                cells[column] = state
    for column, seconds in enumerate(ran):
        if seconds > 0:
            # Rounded up (any run shows), less a hair for float error.
            tenths = max(1, math.ceil(seconds * 10 / step - 1e-6))
            cells[column] = "#" if tenths >= 10 else str(tenths)
    return cells


#: When several states share one column, the one drawn.
_PRIORITY = {" ": 0, "-": 1, ".": 2, "z": 3, "w": 4, "r": 5, "#": 6}


def _ms(seconds):
    return "%.1f ms" % (seconds * 1000) if seconds < 1 else "%.2f s" % seconds


def _pid_path(path, pid):
    """``path`` with ``pid`` before its extension: ``out.json`` -> ``out.4242.json``."""
    root, extension = os.path.splitext(path)
    middle = ".%s" % pid
    return root + (middle.encode() if isinstance(root, bytes) else middle) + extension


def _slice(name, category, pid, tid, begin, duration, args):
    event = {"ph": "X", "name": name, "cat": category, "pid": pid, "tid": tid,
             "ts": round(begin * 1e6, 3), "dur": round(duration * 1e6, 3)}
    if args:
        event["args"] = args
    return event


# ==================================================== the command line

#: The narrowest chart ``--width`` asks for: its header (0 ... "1234.56 s") fits.
_MIN_WIDTH = 16


def _chart_width(text):
    """``--width``: a whole number of columns, at least _MIN_WIDTH (argparse
    names the option in the error)."""
    try:
        width = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a whole number of columns, not %r" % text) from None
    if width < _MIN_WIDTH:
        raise argparse.ArgumentTypeError("at least %d columns, not %d" % (_MIN_WIDTH, width))
    return width


#: The most tasks the command's chart draws: a script that spawns ten
#: thousand would print ten thousand rows (the JSON timeline has them all).
_CHART_ROWS = 100


class _CommandTimeline(Timeline):
    """The timeline of ``python3 -m trampoline.trace``.  In a process the
    script forked it also draws its chart (``width`` columns, if asked for)
    when a run ends: a forked worker ends with ``os._exit``, and never comes
    back to the command, which draws the parent's when the script ends."""

    def __init__(self, path, width, fit=False):
        Timeline.__init__(self, path)
        self.width = width
        self.fit = fit              # no --width given: fit a narrower terminal

    def slices(self):
        """Timeline's, each label as stderr will show it (see _as_shown)."""
        return [(_as_shown(label, sys.stderr), slices) for label, slices in Timeline.slices(self)]

    def _run_ended(self):
        Timeline._run_ended(self)
        pid = os.getpid()
        if self.width is not None and pid != self._maker:
            try:
                print("%s: process %d (forked by %d):\n%s" % (
                    _PROG, pid, self._maker, self.chart()), file=sys.stderr, flush=True)
            except (OSError, ValueError) as error:  # (never into the kernel)
                log.error("Timeline: cannot draw the chart of process %d: %s", pid, error)

    def chart(self):
        """The chart, ``width`` columns wide -- or, with no ``--width``
        given and a terminal narrower than that chart (``COLUMNS``, or
        stderr's terminal), as many columns as fit it (at least
        _MIN_WIDTH), its legend wrapped to it: rows that wrap are no chart."""
        terminal = _terminal_columns() if self.fit else None
        if terminal is None:
            return self.ascii(self.width, _CHART_ROWS)
        label_width = min(max([_cells(label) for label, _ in self.slices()[:_CHART_ROWS]]
                              or [4]), 32)
        width = max(_MIN_WIDTH, min(self.width, terminal - label_width - 3))  # (" |", "|")
        chart, _, legend = self.ascii(width, _CHART_ROWS).rpartition("\n")
        lines, indent = [], legend[:len(legend) - len(legend.lstrip())]
        for item in [item.strip() for item in legend.split("  ") if item.strip()]:
            if lines and len(lines[-1]) + 2 + len(item) <= terminal:
                lines[-1] += "  " + item
            elif len(indent) + len(item) <= terminal:
                lines.append(indent + item)
            else:                           # (too long for the terminal on its own)
                lines.extend(textwrap.wrap(item, terminal))
        return chart + "\n" + "\n".join(lines)


def _terminal_columns():
    """How wide the terminal is: ``COLUMNS`` if set, else stderr's
    terminal's width; None if stderr is no terminal (a file, a pipe)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        if not sys.stderr.isatty():
            return None
        return os.get_terminal_size(sys.stderr.fileno()).columns or None
    except (OSError, ValueError, AttributeError):   # (no descriptor, or closed)
        return None


_PROG = PYTHON + " -m trampoline.trace"

#: Instruments that ``python3 -m trampoline.trace`` asks every run() to use.
_cli_instruments = None

#: While the command runs a script: how many processes it has forked.
_cli_forks = None
_counting_forks = False

#: While the command runs a script: how many run() calls it has traced.
_cli_runs = 0

#: A KeyboardInterrupt (Ctrl-C) ended the script the command ran.
_interrupted = False


def _count_fork():
    global _cli_forks
    if _cli_forks is not None:
        _cli_forks += 1


def environment_instruments():
    """The instruments ``trampoline.run()`` adds by itself: those of
    ``python3 -m trampoline.trace``, else a ``TextTrace`` on stderr when
    ``TRAMPOLINE_TRACE`` is set (and not "0")."""
    global _cli_runs
    if _cli_instruments is not None:
        _cli_runs += 1
        return list(_cli_instruments)
    if os.environ.get("TRAMPOLINE_TRACE", "0") not in ("", "0"):
        return [TextTrace()]
    return []


def main(argv=None):
    """``python3 -m trampoline.trace [--timeline OUT.json] [--ascii] script.py args...``
    (or ``-m module args...``)."""
    global _cli_instruments, _cli_forks, _counting_forks, _cli_runs, _interrupted
    parser = argparse.ArgumentParser(
        prog=_PROG,
        usage="%(prog)s [-h] [--timeline OUT.json] [--ascii] [--width WIDTH]\n"
              + " " * len("usage: " + _PROG) + " script [args ...]\n"
              + "       %(prog)s [options] -m module [args ...]",
        description="Run a Python script with every trampoline.run() in it traced: a line "
                    "per event on stderr, or a timeline (JSON for a trace viewer, or ASCII).")
    parser.add_argument("--timeline", metavar="OUT.json",
                        help="write a Chrome/Perfetto trace-event file (open it in "
                             "ui.perfetto.dev)")
    parser.add_argument("--ascii", action="store_true",
                        help="print an ASCII timeline on stderr when the script ends")
    parser.add_argument("--width", type=_chart_width,
                        help="with --ascii: columns of the timeline (at least %d; default 64, "
                             "fewer on a terminal too narrow for that)" % _MIN_WIDTH)
    parser.add_argument("script", nargs="?", help="the Python script to run (or -m module, "
                                                  "as python3 -m module runs it)")
    parser.add_argument("args", nargs="*", help="its arguments, if any")
    # The command's own options, then the script and its arguments, passed
    # on as they are ("--" included: argparse would take it for its own).
    options, command = _split_command(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(options)
    if not command:
        parser.error("the script to run is missing")
    if args.width is not None and not args.ascii:   # (a text trace has no columns)
        parser.error("--width needs --ascii")
    fit = args.width is None
    if fit:
        args.width = 64
    module = None
    if command[0] == "-m":              # -m module, as python3 -m module
        if len(command) < 2:
            parser.error("argument -m: the module to run is missing")
        module, command = command[1], command[1:]
        _check_module(parser, module)
    args.script, args.args = command[0], command[1:]
    if module is not None:
        pass
    elif not os.path.isdir(args.script):  # (a directory with a __main__.py runs too)
        try:                            # (as python3 does: exit status 2, no traceback)
            open(args.script, "rb").close()
        except OSError as error:
            parser.error("cannot open the script %s: %s"
                         % (args.script, error.strerror or error))
    elif not any(os.path.isfile(os.path.join(args.script, name))
                 for name in ("__main__.py", "__main__.pyc")):
        parser.error("cannot run %s: a directory with no __main__.py (give the script "
                     "in it to run)" % args.script)
    timeline = None
    if args.timeline or args.ascii:
        try:
            timeline = _CommandTimeline(args.timeline,      # (tries the path: before
                                        args.width if args.ascii else None,     # the script runs)
                                        fit)
        except OSError as error:
            parser.error("argument --timeline: cannot write %s: %s"
                         % (args.timeline, error.strerror or error))
        _cli_instruments = [timeline]
    else:
        _cli_instruments = [TextTrace()]
    if not _counting_forks and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_parent=_count_fork)    # (once: it cannot be undone)
        _counting_forks = True
    _cli_forks = _cli_runs = 0
    _interrupted = False
    saved_argv, saved_path = sys.argv, sys.path[0]
    sys.argv = [args.script] + args.args
    if module is None:                  # (-m: the current directory, as python3 -m has it)
        sys.path[0] = os.path.dirname(os.path.abspath(args.script))
    code = 0
    failed = False
    try:
        if module is not None:          # (sys.argv[0] becomes its file, as under python3 -m)
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            _run_script(args.script)
    except SystemExit as exit:
        code = exit.code
    except Exception as error:          # the script's own: its traceback, as python3 prints it
        _print_script_traceback(error)
        code, failed = 1, True
    except KeyboardInterrupt as error:  # Ctrl-C: the same; then python3's exit (see _exit)
        _print_script_traceback(error)
        code, failed, _interrupted = 130, True, True
    finally:
        _cli_instruments = None
        forks, _cli_forks = _cli_forks, None
        sys.argv, sys.path[0] = saved_argv, saved_path
        traced = _cli_runs or forks
        if not (traced or failed) and (timeline is None or os.getpid() == timeline._maker):
            _say(_NOTHING_TRACED)
        # (A forked process that comes back here drew and wrote its own already.)
        if timeline is not None and os.getpid() == timeline._maker:
            if forks:
                _say(_forks_note(forks, args))
            if args.timeline:
                try:
                    timeline.write()
                except OSError as error:
                    _say("%s: cannot write the timeline to %s: %s"
                         % (_PROG, args.timeline, error.strerror or error))
                    code = code or 1
            if args.ascii and traced:
                _say(timeline.chart())
    return code


def _run_script(path):
    """Run the script ``path`` as ``python3 path`` runs it: ``sys.argv[0]``
    as given, and from Python 3.9 on an absolute ``__file__`` (and so
    absolute file names in its tracebacks).  ``runpy.run_path`` gives both
    the path as given: a script that changes directory and then finds a
    file beside itself (``os.path.dirname(__file__)``) failed only when
    traced.  A directory or a zip file: runpy, as python3 does."""
    if sys.version_info < (3, 9) or not os.path.isfile(path) or zipfile.is_zipfile(path):
        runpy.run_path(path, run_name="__main__")
        return
    filename = os.path.abspath(path)
    with open(filename, "rb") as source:        # (compile reads its coding line)
        code = compile(source.read(), filename, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=filename, __cached__=None, __loader__=None,
                         __package__=None, __spec__=None)   # (what runpy sets)
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main      # (pickle, multiprocessing find it there)
    try:
        exec(code, main.__dict__)
    finally:
        if saved is None:               # pragma: no cover - python3 always has one
            del sys.modules["__main__"]
        else:
            sys.modules["__main__"] = saved


def _exit(code):
    """End the command with ``main``'s status, as python3 ends a script:
    after a KeyboardInterrupt (``main`` returns 130, the shell's status for
    it), killed by SIGINT, so that a shell loop running the command stops
    too."""
    if _interrupted and hasattr(os, "kill"):
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    sys.exit(code)


def _split_command(argv):
    """``argv`` split into the command's options and the script's command
    line: the script is the first word that is neither an option nor an
    option's value (or the word after ``--``)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return argv[:i], argv[i + 1:]
        if word == "-m":                # -m module: the command line from here on
            break
        if not word.startswith("-") or word == "-":
            break
        name = word.split("=", 1)[0]
        if "=" not in word and len(name) > 2 and ("--timeline".startswith(name)
                                                  or "--width".startswith(name)):
            i += 1                      # (its value is the next word)
        i += 1
    return argv[:i], argv[i:]


def _check_module(parser, name):
    """``-m name``: a module python3 -m could run, or the error python3
    would give (status 2, before anything runs)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            if importlib.util.find_spec(name + ".__main__") is None:
                parser.error("argument -m: %s is a package with no __main__ module, and "
                             "cannot be run" % name)
    except (ImportError, ValueError) as error:     # (a parent package missing; "")
        parser.error("argument -m: cannot find the module %r: %s" % (name, error))
    if spec is None:
        parser.error("argument -m: no module named %r" % name)


#: What the command says when the script called no ``trampoline.run()``.
_NOTHING_TRACED = (
    "%s: nothing was traced: the script never called trampoline.run() (a Kernel it "
    "makes itself has only the instruments it is given: Kernel(instruments=[TextTrace()]); "
    "the tutorial's step files build kernels of their own, without trampoline)" % _PROG)


def _print_script_traceback(error):
    """The traceback of an exception out of the script, from the script's
    own frame on: without this command's and runpy's frames in front of it."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") in (__name__, "runpy"):
        tb = tb.tb_next
    _say("".join(traceback.format_exception(type(error), error, tb)),  # (none: a SyntaxError)
         end="")


def _say(text, end="\n"):
    """Print the command's own words on stderr.  If nobody reads them any
    more (``2>&1 | head -1``, a closed stderr), stop saying anything, quietly:
    the traced script's exit status is its own, never the pipe's."""
    try:
        print(text, end=end, file=sys.stderr, flush=True)
    except (OSError, ValueError):       # (ValueError: a closed file)
        _silence_stderr()


def _silence_stderr():
    """Point stderr at the null device: else Python reports the broken pipe
    again when it flushes stderr at exit, and ends with status 120."""
    try:
        fd = sys.stderr.fileno()
    except (OSError, ValueError, AttributeError):   # (no real descriptor)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _forks_note(forks, args):
    """Where the timelines of the processes the script forked went."""
    theirs, mine = [], []
    if args.ascii:
        theirs.append("its chart was drawn above as each run of its ended")
        mine.append("the chart below")
    if args.timeline:
        theirs.append("its timeline is in " + _pid_path(args.timeline, "<pid>"))
        mine.append(args.timeline)
    return ("%s: the script forked %d process%s: each traced its own trampoline.run() calls "
            "(%s).  This process's (pid %d) alone: %s." % (
                _PROG, forks, "" if forks == 1 else "es", "; ".join(theirs), os.getpid(),
                ", ".join(mine)))


if __name__ == "__main__":     # pragma: no cover - run as a command in the tests
    import trampoline.trace as _module      # the module run() looks at, not __main__
    _module._exit(_module.main())
