"""Helpers shared by the reliability tests (test_leaks, test_misbehaving,
test_cancel_everywhere, test_soak): how long to run, and how to count what
a leak would leave behind -- open descriptors, memory, the kernel's tables.

Every test there has a short version, for CI, and a long one selected by
the environment: ``TRAMPOLINE_LONG=1`` (cycles, connections, bytes) and
``TRAMPOLINE_SOAK_SECONDS=60`` (the soak's length).  See
docs/reliability.rst.

The kernel's tables are private attributes (``_fds``, ``_tasks``,
``_timers``).  They are read here, for leak checks only, and never
changed: a test of behaviour goes through the public API.
"""

import gc
import os
import resource

import pytest

try:
    import tracemalloc
except ImportError:             # PyPy: no tracemalloc (its GC is not CPython's)
    tracemalloc = None

from trampoline import Event

#: The long versions run when TRAMPOLINE_LONG is set (and not "0").
LONG = os.environ.get("TRAMPOLINE_LONG", "") not in ("", "0")

MiB = 1 << 20


def scale(short, long):
    """``short`` in CI, ``long`` when TRAMPOLINE_LONG=1."""
    return long if LONG else short


# ------------------------------------------------------------ descriptors

FD_DIR = "/proc/self/fd"

needs_fd_count = pytest.mark.skipif(
    not os.path.isdir(FD_DIR), reason="counting open descriptors needs /proc/self/fd (Linux)")


def open_fds():
    """How many descriptors this process has open now."""
    return len(os.listdir(FD_DIR))


def raise_fd_limit(wanted):
    """Raise RLIMIT_NOFILE's soft limit towards its hard limit (child
    processes inherit it); skip the test if ``wanted`` descriptors still
    do not fit.  Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip("needs %d open descriptors; RLIMIT_NOFILE's hard limit is %d"
                    % (wanted, hard))
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


# ------------------------------------------------------ the kernel's tables

def kernel_tables(kernel):
    """What the kernel holds on behalf of tasks: registered descriptors
    (``_fds``), live tasks (``_tasks``) and live timers (entries of the
    ``_timers`` heap whose task slot is not None -- a cancelled sleep or a
    cleared alarm stays in the heap, dead, until its deadline comes up or
    the heap is rebuilt; ``timer_heap`` counts those too).  Private
    attributes, read for leak checks only."""
    return {
        "fds": len(kernel._fds),
        "tasks": len(kernel._tasks),
        "timers": sum(1 for entry in kernel._timers if entry[2] is not None),
    }


def timer_heap(kernel):
    """The timer heap's length, dead entries included (private)."""
    return len(kernel._timers)


# ------------------------------------------------------------------ memory

class MemoryReadings:
    """Python's heap, read with ``tracemalloc`` at chosen moments.

    ``with MemoryReadings() as memory: ... memory.read() ...``; then
    ``memory.growth()`` is the last reading minus the first (after a full
    garbage collection each time); ``watch_peak()`` then ``peak_rise()``
    says how high the heap went in between.  Tracing starts on entering, so what was
    allocated before is not counted.

    Where there is no ``tracemalloc`` (PyPy), ``traced`` is False and every
    reading is 0: the memory bounds hold trivially there (they are checked
    on CPython), and the rest of what each test checks -- descriptors, the
    kernel's tables, the replies -- still runs.
    """

    #: Whether the heap is really measured here (False on PyPy).
    traced = tracemalloc is not None

    def __init__(self):
        self.readings = []
        self._peak_base = 0
        self._was_tracing = True

    def __enter__(self):
        if not self.traced:
            return self
        self._was_tracing = tracemalloc.is_tracing()
        if not self._was_tracing:
            tracemalloc.start()
        return self

    def __exit__(self, *exc_info):
        if self.traced and not self._was_tracing:
            tracemalloc.stop()

    def read(self):
        gc.collect()
        current = tracemalloc.get_traced_memory()[0] if self.traced else 0
        self.readings.append(current)
        return current

    def watch_peak(self):
        """Start watching for a peak: ``peak_rise()`` later says how far
        above the traced size of this moment the heap went meanwhile."""
        if not self.traced:
            return
        if hasattr(tracemalloc, "reset_peak"):
            tracemalloc.reset_peak()
            self._peak_base = tracemalloc.get_traced_memory()[0]
        else:                                   # Python 3.8: restarting resets it
            tracemalloc.stop()
            tracemalloc.start()
            self._peak_base = 0
            self.readings = []                  # (earlier readings no longer compare)

    def peak_rise(self):
        if not self.traced:
            return 0
        return tracemalloc.get_traced_memory()[1] - self._peak_base

    def growth(self):
        return self.readings[-1] - self.readings[0]

    def describe(self):
        if not self.traced:
            return "no tracemalloc on this interpreter: memory not measured"
        return "traced memory readings (KiB): %s" % ", ".join(
            "%d" % (reading // 1024) for reading in self.readings)


# ------------------------------------------------------------ coordination

class Countdown:
    """Counts events (handlers that finished, requests served) and lets a
    task wait until the count reaches a number: ``yield count.reached(n)``."""

    def __init__(self):
        self.value = 0
        self._waiters = []              # (target, Event)

    def add(self, n=1):
        self.value += n
        if self._waiters:
            for target, event in self._waiters:
                if self.value >= target:
                    event.set()
            self._waiters = [(t, e) for t, e in self._waiters if not e.is_set()]

    def reached(self, target):
        event = Event()
        if self.value >= target:
            event.set()
        else:
            self._waiters.append((target, event))
        return event.wait()
