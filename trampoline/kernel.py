"""The kernel: runs tasks, performs their traps, waits on the selector.

How it works
------------
A task is a generator.  The kernel resumes it with ``send(value)`` (or
``throw(error)``) and gets back the next *trap* it yields.  It looks the
trap's type up in one table (``self._handlers``) and calls the handler, a
method named ``_trap_<name>``.  A handler either finishes the operation at
once and returns its result -- the task then keeps running, no trip through
the ready queue -- or *parks* the task (returns ``PARKED``) on what it waits
for: a file descriptor, the timer heap, another task.  When that is ready
the task goes back on the ready queue, and the loop comes round to it.

Yielding a generator (or coroutine) instead of a trap *calls* it: the kernel
pushes the caller on the task's own stack and resumes the callee; when the
callee returns, its value is sent to the caller, its exception thrown into
the caller.  That is the trampoline.  It keeps the Python stack flat, so
calls nest as deep as memory allows, not as deep as the recursion limit.

One turn of the loop (``_run_until``):

1. run every task that is ready now, each until it parks (or until it has
   used its budget of ``BUDGET`` traps, so nobody starves the others);
2. ask the poller which descriptors are ready and put their waiters on the
   ready queue -- with no task ready, waiting until the next timer; with
   tasks ready, not waiting, and only every ``POLL_EVERY`` task steps;
3. move tasks whose sleep is over onto the ready queue, deliver due alarms.

Cancellation
------------
``cancel`` (and a timeout's alarm) throws an exception into a task *at the
trap where it is blocked*: a parked task is taken off what it waits on
(``_unpark``) and made ready with the exception.  A task already on the
ready queue gets it at once too, unless that would lose something it was
given: a task woken by a ``WaitQueue(keep=True)``, or with an exception
already on its way in, gets it at its next blocking trap instead
(``_pending``).  What a task was handed and will not now receive -- a lock,
an item, bytes already read for it -- goes back where it came from (its
``_woken``: the next waiter, the descriptor's pushback).  Nothing is lost.

Every trap is a cancellation point.  A task that uses up its budget (a
socket's read that parks at once, nothing pending, costs none) goes to the
back of the ready queue with its next trap not yet performed -- but a
``park``, whose task has just seen that it must wait, is performed; a
cancellation that arrives meanwhile drops that trap (nothing was done) and
is thrown in at its ``yield``.  An alarm (``set_alarm``, under every
timeout) is *level-triggered*: once it has gone off it is thrown in at every
blocking trap, until the scope that set it clears it.

Each task runs in a copy of its parent's ``contextvars`` context, made as it is spawned.

Where the rest is
-----------------
``Kernel`` is this file and five mixins, each a module named for what it
is: ``descriptors.py`` (registrations, the descriptor traps, the sweep for
closed descriptors: the I/O layer), ``timers.py`` (the heap of sleeps and
alarms), ``lifetime.py`` (``run``, the shutdown, crash reports),
``hostloop.py`` (calls from other threads, ``run_once`` for a host loop)
and ``instruments.py`` (the hooks tools plug into).  Each mixin's handlers
sit in the one trap table as bound methods, so the split costs nothing.
Beside them: ``waitqueue.py`` (under every sync object), ``diagnostics.py``
(messages in the program's terms) and ``runner.py`` (``run()`` and the
options served from above: debug, monitor, signals).

Design rules
------------
* The kernel is small and knows nothing above it.  Streams, synchronisation,
  tracing and examples are built *on* traps, never wired into these files.
  A new need gets one small general primitive here.
* Speed comes from doing less: a task runs on while its traps complete at
  once; a read completes as its socket turns up ready (one dispatch, not
  two); the loop itself parks a read, sends a write and passes on a
  ``sleep(0)``; the poller is asked only every ``POLL_EVERY`` steps while
  tasks are ready; the hot path's names live in locals.
* Errors are the task's: a bad trap, a bad argument, a failed system call is
  thrown into the task that caused it, at its ``yield``.  The kernel and
  every other task keep running.
"""

import contextvars
import logging
import weakref
from collections import deque
from itertools import count
from types import CoroutineType, GeneratorType
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional  # noqa: F401

from .descriptors import DescriptorWaiting, _Registration  # noqa: F401 (typing)
from .diagnostics import KERNEL_FRAMES, _bad_yield_message, _task_error, _trim_kernel_frames
from .errors import Cancelled
from .hostloop import FromOutside, current_task, running_kernel  # noqa: F401 (re-exported)
from .instruments import Instrumented
from .lifetime import Lifetime
from .poller import default_poller
from .task import CoroutineLike, T, Task  # noqa: F401 (CoroutineLike, T: re-exported)
from .timers import Timers, _again, _alarm_order, _clock_of
from .traps import (PARKED, Sleep, _awaited_already, accept, call, cancel, clear_alarm, connect,
                    current, current_kernel, join, park, read, read_wait, recvfrom, sendto,
                    set_alarm, spawn, write, write_wait)
from .waitqueue import WaitQueue

__all__ = ["Kernel", "WaitQueue", "current_task", "running_kernel", "PARKED", "BUDGET"]

log = logging.getLogger("trampoline")

#: How many traps a task may complete in one turn before it goes to the back
#: of the ready queue.  Bounds how long one busy task delays the others.
BUDGET = 50

#: While tasks are ready, the kernel polls for I/O once this many task steps
#: have run since the last poll (a step runs one task until it parks).
POLL_EVERY = 64

#: Every trap the kernel knows; each has its handler, ``_trap_<name>``.
TRAPS = (read, write, accept, connect, read_wait, write_wait, recvfrom, sendto, Sleep, spawn,
         join, cancel, current, call, park, set_alarm, clear_alarm, current_kernel)


class Kernel(Lifetime, Timers, DescriptorWaiting, FromOutside, Instrumented):
    """Runs tasks.  ``with Kernel() as kernel: kernel.run(main())``.

    ``selector`` is any ``selectors`` selector (default: epoll on Linux,
    ``selectors.DefaultSelector`` elsewhere).  ``debug=True`` turns on debug
    mode (trampoline.debug): warnings for a step that runs longer than
    ``slow_step`` seconds and for a trap made but never yielded, and the
    task's stack on a wrong yield.  ``instruments`` are told what the kernel
    does (trampoline.trace); ``clock`` replaces the real clock (a
    ``VirtualClock`` for tests); ``monitor=True`` (or an address) serves the
    monitor (trampoline.monitor).  One kernel may ``run`` several coroutines,
    one after another."""

    slow_step = 0.1         #: debug=True warns of a task step longer than this (seconds)
    shutdown_grace = 5.0    #: how long cleanup may take at shutdown before a new cancel

    def __init__(self, selector: Any = None, debug: bool = False, instruments: Iterable[Any] = (),
                 clock: Optional[Callable[[], float]] = None, monitor: Any = False) -> None:
        self._ready = deque()               # type: Deque[Task]  # to run this turn or the next
        self._timers = []                   # type: List[list]  # heap of sleeps and alarms
        self._timer_seq = count()           # breaks deadline ties in FIFO order
        self._dead_timers = 0               # cancelled entries still in the heap
        self._fds = {}                      # type: Dict[int, _Registration]
        self._tasks = {}                    # type: Dict[int, Task]  # every live one, by id
        self._task_ids = count(1)
        self._last_id = 0                   # the newest task's id
        self._crashed = weakref.WeakValueDictionary()  # type: weakref.WeakValueDictionary[int, Task]
        self._crashes_to_collect = False    # (crashes nobody joined: see lifetime.py)
        self._foreign_waits = 0             # tasks a thread may wake (WaitQueue(threadsafe))
        # Time: the real clock, or a VirtualClock the loop moves to the next timer when idle.
        self._clock = _clock_of(clock)
        self._autojump = getattr(clock, "autojump", False)
        self._jump_to = None                # see _wait_time
        self._next_sweep = 0.0              # when to look for closed fds next (real time)
        self._running = False
        self._current = None                # the task running now (see current_task)
        self._fast_paths = True             # off while every trap is watched
        self.debug = debug
        # The trap table (a new trap: add it to TRAPS, write its _trap_<name>).
        self._handlers = {kind: getattr(self, "_trap_" + kind.__name__) for kind in TRAPS}
        # How to take a parked task off what it waits on (for cancel).
        self._unparkers = {park: self._unpark_parked, Sleep: self._unpark_sleeper,
                           join: self._unpark_joiner, cancel: self._unpark_joiner}
        for kinds, unpark in (((read, read_wait, accept, recvfrom), self._unpark_reader),
                              ((write, write_wait, connect, sendto), self._unpark_writer)):
            self._unparkers.update(dict.fromkeys(kinds, unpark))
        # The monitor, if asked for: a thread serving `ps` and `where`, and an instrument.
        self.monitor = None
        if monitor:
            self.monitor = self._extension("monitor")(self, monitor)
            instruments = [*instruments, self.monitor]
        self._instrument(instruments)
        # Last, what must be closed: a bad option above leaves nothing open.
        self._poller = default_poller(selector)
        self._open_wake_channel()           # for other threads (see FromOutside)
        self._closed = False

    # --------------------------------------------------------- the loop

    def _run_until(self, until, deadline=None):
        """Turn the loop until ``until.done`` (a task's, or any object's: it
        is read once a turn), or until the clock passes ``deadline``."""
        ready = self._ready
        ready_popleft = ready.popleft
        timers = self._timers
        clock = self._clock
        step = self._stepper()
        watched_step, on_step, on_step_done = self._watched(step), self._on_step, self._on_step_done
        skipped = 0                         # steps since the last poll
        while True:
            # 1. Run the tasks ready now (those they wake run next turn).
            stepper = watched_step if on_step or on_step_done else step
            left = len(ready)               # (a countdown: cheaper than a range)
            skipped += left
            while left:
                left -= 1
                try:
                    task = ready_popleft()
                    task._context.run(stepper, task)
                except BaseException:           # Ctrl-C, SystemExit, a fault
                    self._orphaned()
                    raise
            self._current = task = None     # (the last task run: kept by nobody)
            if until.done:
                return
            # 2. Wait for I/O: with tasks ready, without waiting and only every POLL_EVERY
            #    steps (passing the processor on needs no system call).  3. Fire due timers.
            if ready:
                if skipped < POLL_EVERY:
                    if timers and timers[0][0] <= clock():
                        self._fire_timers(clock())
                    continue
                timeout = 0
            else:
                timeout = self._wait_time(deadline)
            skipped = 0
            self._poll(timeout)
            if deadline is not None and clock() >= deadline:
                return

    def _stepper(self):
        """Make ``step(task)``: run ``task`` until it parks, ends or has used
        its budget of traps.  The hot path: what it uses is in the closure."""
        kernel = self
        handlers_get, write_handler = self._handlers.get, self._handlers[write]
        trap_other = self._trap_other
        trim = not KERNEL_FRAMES            # (see _trim_kernel_frames)
        fast_read, fast_write, fast_sleep = (read, write, Sleep) if self._fast_paths else [None] * 3
        fds_get, ready_append = self._fds.get, self._ready.append
        READ = self._poller.READ

        def step(task):
            kernel._current = task
            trap = task._next_trap
            if trap is None:
                value = task._value
                exc = task._exc
                task._value = task._exc = task._woken = None
            else:
                task._next_trap = value = exc = None    # perform the trap it was woken for
            budget, rethrown = BUDGET, None
            while True:
                if trap is None:
                    try:
                        if exc is None:
                            trap = task._coro.send(value)
                        else:       # (3.12+: the frame outlives step, see below)
                            trap, exc, rethrown = task._coro.throw(exc), None, None
                    except StopIteration as stop:
                        value, exc = stop.value, None
                        if task._stack:     # a subroutine returned
                            task._coro = task._stack.pop()
                            continue
                        kernel._exit(task, value, None)
                        break
                    except BaseException as error:
                        value, exc = None, error
                        if rethrown and error is rethrown[0]:   # throw() re-chained it
                            error.__context__ = rethrown[1]
                        if trim:
                            _trim_kernel_frames(error)
                        if task._stack:     # a subroutine raised
                            task._coro, rethrown = task._stack.pop(), (error, error.__context__)
                            continue
                        kernel._exit(task, None, error)
                        task = exc = rethrown = None    # (3.12+: the frame outlives step)
                        break
                kind = type(trap)
                try:
                    # The fast paths (off: fast_* None), for a socket the poller knows and
                    # sleep(0), anything unusual to the handler; a read that parks with
                    # nothing pending is free (a pending alarm comes again at every read).
                    if kind is fast_sleep and not trap.seconds:     # pass the processor on
                        ready_append(task)
                        if not task._pending:
                            break
                        value = PARKED
                    elif kind is fast_read and not task._pending and (reg := fds_get(trap.fd)) \
                            is not None and reg.plain is trap.fileobj and reg.events & READ \
                            and reg.reader is None and not reg.full and not reg.pushback:
                        reg.reader = task
                        task._waiting = trap
                        trap.waited = True
                        break
                    elif (budget := budget - 1) <= 0 and kind is not park:  # (see "Cancellation")
                        kernel._defer(task, trap)     # fair share used: to the back
                        break
                    elif kind is fast_write and (reg := fds_get(trap.fd)) is not None \
                            and reg.plain is trap.fileobj \
                            and not (reg.writing and reg.writing.waited):
                        try:
                            trap.sent = trap.fileobj.send(trap.data)
                        except BlockingIOError:
                            pass
                        except OSError as error:
                            error.bytes_written = 0
                            raise
                        if trap.sent == len(trap.data):     # all sent: on to the next trap
                            trap = value = exc = None
                            continue
                        value = write_handler(task, trap)
                    elif (handler := handlers_get(kind)) is not None:
                        value = handler(task, trap)
                    elif kind is GeneratorType or kind is CoroutineType:
                        if kind is CoroutineType and trap.cr_await is not None:
                            raise _awaited_already(trap)    # (another task runs it)
                        if not task._stack:             # a subroutine call
                            task._stack = [task._coro]
                        else:
                            task._stack.append(task._coro)
                        task._coro = trap
                        trap = value = exc = None
                        continue
                    else:
                        value = trap_other(task, trap)
                except BaseException as error:
                    exc = error
                    if trim:
                        _trim_kernel_frames(error)
                    value = trap = None
                    continue
                if value is PARKED:
                    if not task._pending:
                        break
                    exc = kernel._deliver_pending(task)     # (see _cancel)
                    if exc is None:
                        break               # deferred: it stays parked
                    value = trap = None
                    continue
                trap = exc = None

        return step

    def _orphaned(self):
        """An exception left the loop, in a task's step or as ``popleft`` returned (a Ctrl-C
        comes as a call returns): queue each task it left nowhere, for the shutdown to cancel."""
        queued = set(self._ready)
        for task in self._tasks.values():
            if task._waiting is None and task not in queued:
                if task is self._current:   # (its step began: drop the trap it had yet to do)
                    task._next_trap = None
                self._ready.append(task)

    def _defer(self, task, trap):
        """``task`` has used its budget: to the back of the ready queue, to perform
        ``trap`` when it next runs (or to get a pending cancellation there)."""
        if task._pending and not task._deferring:
            task._exc = self._take_pending(task)
            _drop(trap, task._exc)
        else:
            task._next_trap = trap
        self._ready.append(task)

    def _poll(self, timeout):
        """Steps 2 and 3 of a turn: wait up to ``timeout`` seconds for I/O, wake
        ready descriptors' waiters (now and then sweep closed ones), fire timers."""
        if self._wait_for_io(timeout) and self._crashes_to_collect:  # (it swept: see
            self._collect_for_reports()                 # pragma: no cover (PyPy) lifetime.py)
        now = self._clock()
        if self._timers and self._timers[0][0] <= now:
            self._fire_timers(now)

    # ------------------------------------------------------ task life

    def _spawn(self, coro, name, context=None):
        """A new task, spawned by run(), Kernel.spawn or another thread."""
        trap = spawn(coro, name=name)       # (handed to the handler: debug mode's
        return self._trap_spawn(None, trap, context)    # never-yielded check is content)

    def _trap_spawn(self, spawner, trap, context=None):
        self._last_id = task_id = next(self._task_ids)
        task = Task(trap.coro, task_id, trap.name)
        # A copy of the spawner's context: what the task sets is its own.
        task._context = contextvars.copy_context() if context is None else context
        self._tasks[task_id] = task
        self._ready.append(task)
        if self._on_spawned:
            for hook in self._on_spawned:
                hook(task)
        return task

    def _exit(self, task, value, exc):
        """``task`` has returned ``value`` or raised ``exc``: record it, wake
        whoever joins or cancels it, forget its descriptors.  A cancel that
        came too late to be thrown in ends it all the same (asyncio's rule)."""
        if exc is None and task._pending and any(type(e) is not list for e in task._pending):
            value, exc = None, self._take_pending(task)     # (a list: an alarm, not a cancel)
        task.done = True
        task._coro = task._context = None   # (nor a cancel it caught: its traceback's frames)
        task._last_cancel = exc if task._last_cancel is exc else None
        del self._tasks[task.id]
        if task._fds is not None:
            self._release_all(task)
        task._result, task._exception = value, exc
        if self._on_exited:
            for hook in self._on_exited:
                hook(task)
        if exc is not None and isinstance(exc, (KeyboardInterrupt, SystemExit)):
            # Not a crash: the program is stopping.  Out of the loop it goes;
            # run() cancels every task (joiners included) and re-raises it.
            raise exc
        joined = False
        if task._joiners:
            for waiter in task._joiners:
                if type(waiter._waiting) is join:
                    joined = True
                    if exc is None:
                        waiter._value = value
                    else:
                        waiter._exc = _task_error(task)
                waiter._waiting = None      # a canceller just gets None
                self._ready.append(waiter)
            task._joiners = None
        if exc is not None and not joined and not task.cancelled:
            task._crashed_unseen()
            self._crashed[task.id] = task   # (gone by itself once the task is freed)
            self._crashes_to_collect = self._COLLECT_FOR_REPORTS

    # ----------------------------------------------------- cancellation

    def defer_cancellation(self, task, defer=True):
        """While ``task`` defers cancellation (each ``defer=True`` undone by
        one ``defer=False``: they nest), cancellations and alarms do not
        interrupt its blocking traps: they wait, pending, and come at its
        first blocking trap after.  For cleanup that must block (take a lock
        back, wait for children) under a timeout that keeps firing."""
        task._deferring += 1 if defer else -1

    def _cancel(self, task, exc):
        """Deliver ``exc`` into ``task`` at the trap where it is blocked: at
        once if that loses nothing (``_interrupt``), else at its next blocking
        trap, from ``_pending`` (see "Cancellation" above)."""
        if self._interrupt(task, exc):
            if isinstance(exc, Cancelled):
                task._last_cancel = exc     # (see Task.last_cancel)
            return
        pending = task._pending
        if pending is None:
            pending = task._pending = []
        if type(exc) is Cancelled and (type(task._exc) is Cancelled or any(
                type(other) is Cancelled for other in pending)):
            return                          # one plain cancellation is enough
        pending.append(exc)

    def _interrupt(self, task, exc):
        """Throw ``exc`` into ``task`` when it next runs, if that loses
        nothing (see _cancel); return whether it will."""
        if task._deferring:
            return False
        if task._waiting is not None:
            self._unpark(task, exc)
            task._waiting, task._exc = None, exc
            self._ready.append(task)
            return True
        trap = task._next_trap
        if trap is not None:                # ready, trap not performed: drop it
            _drop(trap, exc)
            task._next_trap = None
            task._exc = exc
            return True
        woken = task._woken
        if task._exc is not None or (woken is not None and woken.keep):
            return False
        if woken is not None:               # what it was handed goes back
            task._woken = None
            woken._pass_on(task._value)
        task._value, task._exc = None, exc
        return True

    def _take_pending(self, task):
        """The exception ``task`` gets at this blocking trap: the first
        one-off (a cancel) in order of arrival, else the outermost alarm that
        has gone off -- which stays pending, to come again (level-triggered)."""
        pending = task._pending
        for index, item in enumerate(pending):
            if type(item) is not list:      # not an alarm: delivered once
                del pending[index]
                if isinstance(item, Cancelled):     # pragma: no branch - only a cancel waits
                    task._last_cancel = item        # here (a bad fd's waiter is parked)
                return item
        return _again(min(pending, key=_alarm_order))   # (it stays pending: timers._again)

    def _deliver_pending(self, task):
        """``task`` just blocked with an exception pending: unblock it and
        return the exception to throw in (None while it defers them)."""
        if task._deferring:
            return None
        exc = self._take_pending(task)
        if task._waiting is not None:
            self._unpark(task, exc)
            task._waiting = None
        else:                               # sleep(0): it queued itself
            self._ready.remove(task)
        return exc

    # A parked task is always where its trap says: a descriptor's slot, the
    # timer heap, a wait queue, a task's joiners.  These take it off again.

    def _unpark(self, task, exc):
        waiting = task._waiting
        self._unparkers[type(waiting)](task, waiting, exc)

    def _unpark_parked(self, task, trap, exc):
        trap.queue._remove(task)

    def _unpark_joiner(self, task, trap, exc):
        trap.task._joiners.remove(task)

    # ------------------------------------------------------ the traps
    # Each handler gets the task and its trap, and returns the trap's result
    # (the task goes on running) or PARKED (the task waits; whatever wakes it
    # puts it back on the ready queue).  An exception a handler raises is thrown
    # into the task at its yield.  (The descriptor traps are in descriptors.py.)

    def _trap_join(self, task, trap):
        target = trap.task
        if target.done:
            if target._unreported is not None:
                target._mark_retrieved()
            if target._exception is not None:
                raise _task_error(target)
            return target._result
        if target is task:
            raise RuntimeError("%r cannot join itself: it would wait forever" % task)
        return self._wait_for_end(task, target, trap)

    def _trap_cancel(self, task, trap):
        target = trap.task
        if target.done:
            return None
        if target is task:
            exc = trap.exception or Cancelled("%r cancelled itself" % task)
            if trap.wait:
                task._last_cancel = exc
                raise exc
            if task._pending is None:       # at its next blocking trap
                task._pending = []
            task._pending.append(exc)
            return None
        self._cancel(target, trap.exception or Cancelled("cancelled by %r" % task))
        if not trap.wait:
            return None
        return self._wait_for_end(task, target, trap)   # woken with None when it has ended

    def _wait_for_end(self, task, target, trap):
        if target._joiners is None:
            target._joiners = []
        target._joiners.append(task)
        task._waiting = trap
        return PARKED

    def _trap_park(self, task, trap):
        queue = trap.queue
        queue._kernel = self
        queue._waiters.append(task)
        if queue.threadsafe:
            self._foreign_waits += 1
        task._waiting = trap
        return PARKED

    def _trap_current(self, task, trap):
        return task

    def _trap_current_kernel(self, task, trap):
        return self

    def _trap_call(self, task, trap):
        # The same as yielding the coroutine: push the caller, run the callee.
        return self._trap_subroutine(task, trap.coro)

    def _trap_subroutine(self, task, coro):
        # In the table only while instruments are installed (else: the loop).
        if type(coro) is CoroutineType and coro.cr_await is not None:
            raise _awaited_already(coro)
        task._stack = [*task._stack, task._coro]
        task._coro = coro
        return None

    def _trap_other(self, task, value):
        """Not a trap, not a coroutine.  An awaitable object (a ``Future``, a
        ``TaskGroup``...; not asyncio's) is awaited: its ``__await__()`` generator
        runs as a subroutine.  Anything else is a mistake, said in the task."""
        if hasattr(type(value), "__await__") and not isinstance(value, type) \
                and not hasattr(value, "_asyncio_future_blocking"):     # (it yields itself)
            iterator = value.__await__()
            if type(iterator) is GeneratorType:
                return self._trap_subroutine(task, iterator)
        raise TypeError(_bad_yield_message(task, value))


def _drop(trap, exc):
    """``trap`` will not be performed after all: a cancellation came first."""
    kind = type(trap)
    if kind is GeneratorType or kind is CoroutineType or kind is spawn or kind is call:
        (trap.coro if kind is spawn or kind is call else trap).close()  # never begun
        return
    if kind is write and exc is not None:
        exc.bytes_written = trap.sent
    if hasattr(trap, "waited"):         # a trap parked on a descriptor
        trap.waited = False
