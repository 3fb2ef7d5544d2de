"""The kernel: runs tasks, performs their traps, waits on the selector.

How it works
------------
A task is a generator.  The kernel resumes it with ``send(value)`` (or
``throw(error)``) and gets back the next *trap* it yields.  It looks the trap's
type up in one table (``self._handlers``) and calls the handler, a method named
``_trap_<name>``.  A handler either finishes the operation at once and returns
its result -- the task then keeps running, no trip through the ready queue --
or *parks* the task (returns ``PARKED``) on whatever it waits for: a file
descriptor, the timer heap, another task.  When that is ready the task goes
back on the ready queue, and the loop comes round to it.

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
   tasks ready, not waiting, and only every ``POLL_EVERY`` turns;
3. move tasks whose sleep is over onto the ready queue, deliver due alarms.

Cancellation
------------
``cancel`` (and a timeout's alarm) throws an exception into a task *at the
trap where it is blocked*: a parked task is taken off what it waits on
(``_unpark``) and made ready with the exception.  A task already on the
ready queue gets it at once too, unless that would lose something it was
given: a task woken by a ``WaitQueue(keep=True)``, or with an exception
already on its way in, gets it at its next blocking trap instead
(``_pending``).  A task woken by an ordinary ``WaitQueue`` -- handed a lock,
an item -- gets it at once, and the queue passes what it was handed to the
next waiter.  So nothing is ever lost either way.  (``Kernel._cancel`` has
the whole rule.)

Every trap is a cancellation point.  A task that uses up its budget of
``BUDGET`` traps without blocking goes to the back of the ready queue with
its next trap not yet performed; a cancellation that arrives meanwhile
drops that trap (nothing was done) and is thrown in at its ``yield``.  So
even a task that never blocks is cancelled, or timed out, within a budget.

An alarm (``set_alarm``, under every timeout) is *level-triggered*: once it
has gone off it is thrown in at every blocking trap, until the scope that
set it clears it -- work that catches a timeout and carries on is
interrupted again.

Each task runs in a ``contextvars`` context of its own, copied from its
parent's when it is spawned (asyncio's rule).

Where the rest is
-----------------
The kernel is this file and two mixins of ``Kernel``, each a module of its
own: ``descriptors.py`` (registrations, the descriptor traps, the
closed-descriptor sweep: the I/O layer) and ``hostloop.py`` (calls from
other threads, the wake-up socket pair, ``run_once`` for a host loop).
Beside them: ``waitqueue.py`` (``WaitQueue``, under every sync object),
``diagnostics.py`` (error messages in the program's terms) and
``runner.py`` (``run()``, and the options served from above: debug mode,
the monitor, shutdown signals).

Design rules
------------
* The kernel is small and knows nothing above it.  Sockets helpers,
  synchronisation, tracing and examples are built *on* traps, never wired
  into this file.  A new need gets one small general primitive here.
* Speed comes from doing less: a task runs on while its traps complete at
  once; the poller is asked only every ``POLL_EVERY`` turns while tasks are
  ready; state lives in attributes, and the hot path's names in locals.
* Errors are the task's: a bad trap, a bad argument, a failed system call is
  thrown into the task that caused it, at its ``yield``.  The kernel and every
  other task keep running.
"""

import contextvars
import gc
import heapq
import logging
import sys
import time
import weakref
from collections import deque
from itertools import count
from types import CoroutineType, GeneratorType
from typing import (Any, Callable, Deque, Dict, Iterable, List,  # noqa: F401 (type comments)
                    Optional)

from .descriptors import SWEEP_INTERVAL, DescriptorWaiting, _Registration  # noqa: F401 (typing)
from .diagnostics import (KERNEL_FRAMES, _bad_yield_message, _task_error, _trim_kernel_frames,
                          _waiting_in)
from .errors import Cancelled
from .hostloop import FromOutside, running as _running
from .poller import default_poller
from .task import CoroutineLike, T, Task
from .traps import (PARKED, _check_coro, accept, call, cancel, clear_alarm,
                    connect, current, current_kernel, join, park, read, read_wait,
                    recvfrom, sendto, set_alarm, sleep, spawn, write, write_wait)
from .waitqueue import WaitQueue

__all__ = ["Kernel", "WaitQueue", "current_task", "running_kernel", "PARKED", "BUDGET"]

log = logging.getLogger("trampoline")

#: How many traps a task may complete in one turn before it goes to the back
#: of the ready queue.  Bounds how long one busy task delays the others and
#: the I/O poll.
BUDGET = 50

#: While tasks are ready, the kernel polls for I/O once every this many
#: turns (each turn runs every ready task once).
POLL_EVERY = 8

#: The longest single wait in the poller (a sleep of inf waits in pieces).
MAX_TIMEOUT = 3600.0

#: CPython frees a task the moment its last reference goes, and a crash
#: nobody joined is reported then; PyPy frees it only when its GC runs.
#: There the kernel collects, while crash reports wait, at each sweep and
#: before run() returns, so the reports come within a SWEEP_INTERVAL.
_COLLECT_FOR_REPORTS = sys.implementation.name != "cpython"



class Kernel(DescriptorWaiting, FromOutside):
    """Runs tasks.  ``with Kernel() as kernel: kernel.run(main())``.

    ``selector`` is any ``selectors`` selector (default: epoll on Linux,
    ``selectors.DefaultSelector`` elsewhere).  ``debug=True`` turns on debug
    mode (trampoline.debug): warnings for a task step that runs longer than
    ``slow_step`` seconds without yielding and for a trap made but never
    yielded, and the task's stack on a wrong yield.  ``instruments`` are told
    what the kernel does (trampoline.trace); ``clock`` replaces the real
    clock (a ``VirtualClock`` for tests); ``monitor=True`` (or an address)
    serves the monitor (trampoline.monitor).  One kernel may ``run`` several
    coroutines, one after another.
    """

    #: debug=True warns about a task step longer than this (seconds).
    slow_step = 0.1
    #: How long cleanup may take at shutdown before it is cancelled again.
    shutdown_grace = 5.0

    def __init__(self, selector: Any = None, debug: bool = False, instruments: Iterable[Any] = (),
                 clock: Optional[Callable[[], float]] = None, monitor: Any = False) -> None:
        self._poller = default_poller(selector)
        self._ready = deque()               # type: Deque[Task]  # to run this turn or the next
        self._sleeping = []                 # type: List[list]  # heap: [deadline, seq, task]
        self._sleep_seq = count()           # breaks deadline ties in FIFO order
        self._fds = {}                      # type: Dict[int, _Registration]
        self._tasks = {}                    # type: Dict[int, Task]  # every live one, by id
        self._task_ids = count(1)
        self._last_id = 0                   # the newest task's id
        # Crashed tasks nobody joined yet, by id:
        self._crashed = weakref.WeakValueDictionary()  # type: weakref.WeakValueDictionary[int, Task]
        self._crashes_to_collect = False    # PyPy: collect for their reports (see below)
        self._dead_timers = 0               # cancelled entries still in the heap
        self._foreign_waits = 0             # tasks a thread may wake (WaitQueue(threadsafe))
        # Time: the real monotonic clock, or a VirtualClock that the loop
        # moves straight to the next timer when nothing else can happen.
        self._clock = time.monotonic if clock is None else clock
        self._autojump = getattr(clock, "autojump", False)
        self._jump_to = None                # see _wait_time
        self._next_sweep = 0.0              # when to look for closed fds next
        self._running = False
        self._current = None                # the task running now (see current_task)
        self._open_wake_channel()           # for other threads (see FromOutside)
        self._closed = False
        self._fast_paths = True             # off while every trap is watched
        self.debug = debug
        # The trap table: one handler per trap type.  Adding a trap is adding
        # a line here and a _trap_<name> method below.
        self._handlers = {
            read: self._trap_read,
            write: self._trap_write,
            accept: self._trap_accept,
            connect: self._trap_connect,
            read_wait: self._trap_read_wait,
            write_wait: self._trap_write_wait,
            sleep: self._trap_sleep,
            spawn: self._trap_spawn,
            join: self._trap_join,
            cancel: self._trap_cancel,
            current: self._trap_current,
            call: self._trap_call,
            recvfrom: self._trap_recvfrom,
            sendto: self._trap_sendto,
            park: self._trap_park,
            set_alarm: self._trap_set_alarm,
            clear_alarm: self._trap_clear_alarm,
            current_kernel: self._trap_current_kernel,
        }
        # How to take a parked task off what it waits on (for cancel).
        self._unparkers = {
            read: self._unpark_reader, read_wait: self._unpark_reader,
            accept: self._unpark_reader, recvfrom: self._unpark_reader,
            write: self._unpark_writer, write_wait: self._unpark_writer,
            connect: self._unpark_writer, sendto: self._unpark_writer,
            park: self._unpark_parked,
            sleep: self._unpark_sleeper,
            join: self._unpark_joiner, cancel: self._unpark_joiner,
        }
        # The monitor (trampoline.monitor), when asked for: a thread serving
        # `ps` and `where`, and an instrument noting when each task last ran.
        self.monitor = None
        if monitor:
            self.monitor = self._extension("monitor")(self, monitor)
            instruments = list(instruments) + [self.monitor]
        self._instrument(instruments)

    # ------------------------------------------------------ extensions

    #: What serves the options that layers above the kernel provide -- the
    #: constructor's ``debug=`` and ``monitor=``, ``run``'s
    #: ``shutdown_signals=`` -- by name: ``extensions["debug"](kernel)``
    #: (trampoline.debug), ``extensions["monitor"](kernel, address)``
    #: (trampoline.monitor), ``extensions["shutdown_signals"](signals,
    #: coro)`` (trampoline.signals).  Filled in by trampoline.runner, which
    #: the package imports, so that the kernel imports none of them.
    extensions = {}                 # type: Dict[str, Callable[..., Any]]

    def _extension(self, name):
        try:
            return self.extensions[name]
        except KeyError:
            raise RuntimeError("the kernel's %r option needs trampoline.runner, which "
                               "'import trampoline' loads" % name) from None

    def wrap_handlers(self, wrap):
        """Replace every trap handler by ``wrap(kind, handler)`` -- ``kind``
        the trap's class, or None for the handler of a value that is no trap
        (an awaitable, or a mistake) -- for tools that watch every trap (debug
        mode).  Call it before ``run()``; returns a function that puts the
        handlers back."""
        handlers, other = dict(self._handlers), self._trap_other
        fast, self._fast_paths = self._fast_paths, False
        wrapped_before = "_trap_other" in vars(self)
        for kind, handler in handlers.items():
            self._handlers[kind] = wrap(kind, handler)
        self._trap_other = wrap(None, other)

        def unwrap():
            self._handlers.update(handlers)
            self._fast_paths = fast
            if wrapped_before:
                self._trap_other = other
            else:
                del self._trap_other        # the method again, as before
        return unwrap

    # ----------------------------------------------------- instruments

    def _instrument(self, instruments):
        """Install instruments: objects with any of the methods
        ``task_spawned(task)``, ``task_step(task, value)``,
        ``task_step_done(task, seconds)``, ``task_trap(task, trap)``,
        ``task_exited(task)``, ``io_wait(timeout)``, ``io_ready(events)``,
        ``timer_fired(task)`` (see trampoline.trace).

        With none installed they cost nothing: the loop tests an empty list
        once a turn, and ``task_trap`` is done by wrapping the handlers in
        the trap table -- the table is left alone when nobody listens.
        """
        self.instruments = list(instruments)

        def hooks(name):
            return [getattr(each, name) for each in self.instruments if hasattr(each, name)]

        self._on_spawned = hooks("task_spawned")
        self._on_step = hooks("task_step")
        self._on_step_done = hooks("task_step_done")   # (each step is timed for them)
        self._on_exited = hooks("task_exited")
        self._on_io_wait = hooks("io_wait")
        self._on_io_ready = hooks("io_ready")
        self._on_timer = hooks("timer_fired")
        on_trap = hooks("task_trap")
        if on_trap:
            self._fast_paths = False        # so that every dispatch is seen
            # Subroutine calls go through the table too, so they are seen.
            self._handlers[GeneratorType] = self._handlers[CoroutineType] = self._trap_subroutine
            for kind, handler in list(self._handlers.items()):
                self._handlers[kind] = _traced(handler, on_trap)

    #: The hooks add_instrument can install while the kernel runs (the
    #: loop holds these lists, so they change in place).
    _LIVE_HOOKS = {"task_spawned": "_on_spawned", "task_step": "_on_step",
                   "task_step_done": "_on_step_done", "task_exited": "_on_exited",
                   "io_wait": "_on_io_wait", "io_ready": "_on_io_ready",
                   "timer_fired": "_on_timer"}

    def add_instrument(self, instrument):
        """Install one more instrument, even while the kernel runs (debug
        mode's watchdog does).  Any hook but ``task_trap``, which needs the
        instrument at construction (``Kernel(instruments=...)``)."""
        if hasattr(instrument, "task_trap"):
            raise ValueError("%r has a task_trap hook: give it to Kernel(instruments=...)"
                             % (instrument,))
        self.instruments.append(instrument)
        for name, hooks in self._LIVE_HOOKS.items():
            if hasattr(instrument, name):
                getattr(self, hooks).append(getattr(instrument, name))

    def remove_instrument(self, instrument):
        """Take out an instrument ``add_instrument`` installed."""
        self.instruments.remove(instrument)
        for name, hooks in self._LIVE_HOOKS.items():
            if hasattr(instrument, name):
                getattr(self, hooks).remove(getattr(instrument, name))

    # ------------------------------------------------------------ public

    def run(self, coro: "CoroutineLike[T]", *, shutdown_signals: Iterable[int] = ()) -> T:
        """Run ``coro`` (a generator or coroutine object) as the main task
        until it returns, and return its value; its exception propagates.
        Tasks still running then are cancelled and their cleanup runs.  The
        main task runs in a copy of the caller's ``contextvars`` context, so
        what it sets stays inside.

        ``shutdown_signals`` (say ``(SIGINT, SIGTERM)``; main thread only)
        turn the first such signal into cancellation of the main task, and
        ``run`` then returns None; a second one kills the process with it
        (trampoline.signals)."""
        coro = _check_coro(coro, "run")
        if shutdown_signals:
            coro = self._extension("shutdown_signals")(tuple(shutdown_signals), coro)
        if self._closed:
            coro.close()
            raise RuntimeError("this Kernel is closed")
        if getattr(_running, "kernel", None) is not None:
            coro.close()
            raise RuntimeError(
                "run() called inside a running kernel; a task calls another "
                "coroutine with 'yield coro' (or 'await call(coro)'), or starts "
                "one with 'yield spawn(coro)'")
        # What runs beside the loop while it turns, only when asked for: the
        # monitor's thread and debug mode's checks (trampoline.debug).
        watchers = [self.monitor] if self.monitor else []   # type: List[Any]
        if self.debug:
            try:
                watchers.append(self._extension("debug")(self))
            except BaseException:
                coro.close()
                raise
        _running.kernel = self
        self._running = True
        for watcher in watchers:
            watcher.start()
        main = self._spawn(coro, None)
        try:
            try:
                self._run_until(lambda: main.done)
            finally:
                self._shutdown()
        except BaseException:
            # Ctrl-C, SystemExit, or a kernel fault: every task was cancelled
            # and cleaned up above; close and let the error go on.
            self.close()
            raise
        finally:
            _running.kernel = None
            self._running = False
            main._mark_retrieved()          # its outcome is what run() gives
            for watcher in watchers:
                watcher.stop()
            self._report_crashes()
        if main._exception is not None:
            raise main._exception
        return main._result

    def close(self) -> None:
        """Release the poller.  Closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._poller.close()
            self._wake_recv.close()
            self._wake_send.close()

    # --------------------------------------------- time and alarms
    #
    # Plain methods, for code that runs in the kernel's thread but cannot
    # yield a trap (a ``with`` block's __enter__ and __exit__): timeouts.

    def time(self) -> float:
        """The kernel's clock now (seconds; ``time.monotonic`` unless a
        ``clock`` was given): what deadlines are measured on."""
        return self._clock()

    def set_alarm(self, task, deadline, exception):
        """At ``deadline`` (on the kernel's clock) throw ``exception`` into
        ``task`` as ``cancel`` does -- and again at each of its blocking traps
        after that, until the alarm is cleared.  Returns the alarm, for
        ``clear_alarm``.  Timeouts are built on this."""
        alarm = [deadline, next(self._sleep_seq), task, exception]
        heapq.heappush(self._sleeping, alarm)
        return alarm

    def clear_alarm(self, task, alarm):
        """Disarm ``alarm``, set for ``task``.  Returns True if it had not
        gone off; if it had, its exception is thrown in no more."""
        if alarm[2] is not None:        # not gone off: the heap drops it later
            alarm[2] = None
            self._timer_died()
            return True
        pending = task._pending
        if pending and alarm in pending:    # (alarms differ in their sequence number)
            pending.remove(alarm)
        return False

    def tasks(self) -> List[Task]:
        """Every task alive now, in the order they were spawned: for tools
        that look at a running program (the monitor, a test's teardown)."""
        return list(self._tasks.values())

    def cancel(self, task: Task, exception: Optional[BaseException] = None) -> None:
        """From the kernel's thread, outside any task (a tool, a host loop's
        callback): throw ``exception`` (a new ``Cancelled`` by default) into
        ``task`` as the ``cancel`` trap does, without waiting.  Inside a
        task, ``yield cancel(task)`` instead."""
        if not task.done:
            self._cancel(task, Cancelled("cancelled from outside the tasks")
                         if exception is None else exception)

    def defer_cancellation(self, task, defer=True):
        """While ``task`` defers cancellation (each ``defer=True`` undone by
        one ``defer=False``: they nest), cancellations and alarms do not
        interrupt its blocking traps: they wait, pending, and come at its
        first blocking trap after.  For cleanup that must block (take a lock
        back, wait for children) under a timeout that keeps firing."""
        task._deferring += 1 if defer else -1

    def due_alarm(self, task):
        """The exception of ``task``'s outermost alarm that has gone off and
        is not cleared yet, or None: what a timeout scope that is expiring
        must let pass, for the scope around it."""
        alarms = [item for item in task._pending or () if type(item) is list]
        return min(alarms, key=_alarm_order)[3] if alarms else None

    def __enter__(self) -> "Kernel":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self):
        return "<Kernel %s tasks=%d%s>" % (
            self._poller, len(self._tasks), " closed" if self._closed else "")

    # --------------------------------------------------------- the loop

    def _run_until(self, finished, deadline=None):
        """Turn the loop until ``finished()`` says so (it is asked once a
        turn), or until the clock passes ``deadline``."""
        ready = self._ready
        ready_popleft = ready.popleft
        sleeping = self._sleeping
        clock = self._clock
        step = self._stepper()
        skipped = 0                         # turns since the last poll

        while True:
            # 1. Run the tasks that are ready now, each in its own context.
            #    Tasks they wake go behind them and run on the next turn,
            #    after the poll.
            for _ in range(len(ready)):
                task = ready_popleft()
                try:
                    task._context.run(step, task)
                except BaseException:           # Ctrl-C, SystemExit, a fault
                    self._orphaned(task)
                    raise
            self._current = None

            if finished():
                return

            # 2. Wait for I/O -- not at all if tasks are ready -- and make the
            #    waiters of ready descriptors ready.  3. Fire due timers.
            if ready:
                # Tasks are ready: look at I/O without waiting, but only
                # every POLL_EVERY turns -- a poll is a system call, and
                # tasks passing the processor among themselves (sleep(0),
                # spawn, join) need none.  The poll still comes at bounded
                # intervals, so a busy kernel never starves the descriptors.
                skipped += 1
                if skipped < POLL_EVERY:
                    if sleeping and sleeping[0][0] <= clock():
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
        """Make ``step(task)``: run ``task`` until it parks, ends, or has
        used its budget of traps.  The hot path: what it uses is hoisted into
        the closure, each a lookup saved per use."""
        kernel = self
        handlers_get = self._handlers.get
        trap_other = self._trap_other
        on_step = self._on_step
        on_step_done = self._on_step_done
        trim = not KERNEL_FRAMES            # (see _trim_kernel_frames)

        def step(task):
            kernel._current = task
            trap = task._trap
            if trap is None:
                value = task._value
                exc = task._exc
                task._value = task._exc = task._woken = None
            else:
                task._trap = None           # dispatch the pending trap
                value = exc = None
            budget = BUDGET
            if on_step:
                for hook in on_step:
                    hook(task, value if exc is None else exc)
            started = time.perf_counter() if on_step_done else None
            while True:
                if trap is None:
                    try:
                        if exc is None:
                            trap = task._coro.send(value)
                        else:
                            trap = task._coro.throw(exc)
                    except StopIteration as stop:
                        value = stop.value
                        exc = None
                        if task._stack:     # a subroutine returned
                            task._coro = task._stack.pop()
                            continue
                        kernel._exit(task, value, None)
                        break
                    except BaseException as error:
                        value = None
                        exc = error
                        if trim:
                            _trim_kernel_frames(error)
                        if task._stack:     # a subroutine raised
                            task._coro = task._stack.pop()
                            continue
                        kernel._exit(task, None, error)
                        break
                    budget -= 1
                    if not budget:
                        # Fair share used: to the back of the queue, this
                        # trap not yet performed -- a cancellation point.
                        kernel._defer(task, trap)
                        break
                handler = handlers_get(type(trap))
                if handler is None:
                    kind = type(trap)
                    if kind is GeneratorType or kind is CoroutineType:
                        task._stack.append(task._coro)     # a subroutine call
                        task._coro = trap
                        trap = value = exc = None
                        continue
                    handler = trap_other
                try:
                    value = handler(task, trap)
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
            if started is not None:         # (an instrument added mid-step waits)
                elapsed = time.perf_counter() - started
                for hook in on_step_done:
                    hook(task, elapsed)

        return step

    def _orphaned(self, task):
        """An exception went out of the loop through ``task``'s step.  If it
        left the task neither finished nor waiting anywhere, put it back on
        the ready queue, so that the shutdown cancels it and its cleanup
        runs (instead of waiting for it in vain)."""
        if not task.done and task._waiting is None and task not in self._ready:
            task._trap = None
            self._ready.append(task)

    def _defer(self, task, trap):
        """``task`` has used its budget: it goes to the back of the ready
        queue, to perform ``trap`` when it next runs -- or to have a pending
        cancellation thrown in at that trap instead."""
        if task._pending and not task._deferring:
            _drop(trap, None)
            task._exc = self._take_pending(task)
        else:
            task._trap = trap
        self._ready.append(task)

    def _poll(self, timeout):
        """Steps 2 and 3 of a turn: wait up to ``timeout`` seconds for I/O,
        make the waiters of ready descriptors ready, then fire due timers
        (and, once every SWEEP_INTERVAL, sweep for closed descriptors)."""
        for hook in self._on_io_wait:
            hook(timeout)
        try:
            events = self._poller.poll(timeout)
        except OSError as error:
            self._poll_failed(error)
            return
        if self._jump_to is not None:       # virtual time, waited for I/O
            if not events:
                self._clock.jump(self._jump_to)
            self._jump_to = None
        if events:
            for hook in self._on_io_ready:
                hook(events)
            self._wake_io_waiters(events)
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL
            self._sweep_closed()
            if self._crashes_to_collect:                 # pragma: no cover (PyPy)
                self._collect_for_reports()
        sleeping = self._sleeping
        if sleeping and sleeping[0][0] <= now:
            self._fire_timers(now)

    def _wait_time(self, deadline):
        """How long the poller may wait when no task is ready: until the next
        timer (or ``deadline``), at most SWEEP_INTERVAL while descriptors are
        registered (see _sweep_closed)."""
        sleeping = self._sleeping
        wake_at = sleeping[0][0] if sleeping else deadline
        if deadline is not None and deadline < wake_at:
            wake_at = deadline
        longest = SWEEP_INTERVAL if self._fds else MAX_TIMEOUT
        if wake_at is None:
            if not self._fds and not self._foreign_waits:
                self._deadlock()
            return longest
        timeout = min(max(wake_at - self._clock(), 0), longest)
        if self._autojump and timeout > 0:
            if not self._io_waiters():
                # Virtual time: only timers can wake anyone, so there is
                # nothing to wait for -- go straight there.
                self._clock.jump(wake_at)
                return 0
            # Tasks wait on I/O too: give it the clock's threshold of real
            # time, then jump (the I/O may itself wait on that timer).
            self._jump_to = wake_at
            return min(self._clock.autojump_threshold, longest)
        return timeout

    def _fire_timers(self, now):
        """Wake the sleepers whose time has come; deliver due alarms.

        The heap holds two kinds of entry: ``[deadline, seq, task]`` for a
        sleep, ``[deadline, seq, task, exception]`` for an alarm (see
        set_alarm).  A cancelled one has ``task`` None and is skipped.
        """
        sleeping = self._sleeping
        while sleeping and sleeping[0][0] <= now:
            entry = heapq.heappop(sleeping)
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
                    self._interrupt(task, entry[3])

    def _deadlock(self):
        """Nothing is ready, no timer is set, no descriptor is watched: every
        task waits on another task, and none ever will run again."""
        waits = "\n".join("  " + _waiting_in(task) for task in self._tasks.values())
        raise RuntimeError("deadlock: every task is waiting on another task, and "
                           "nothing can wake any of them:\n%s" % waits)

    # ------------------------------------------------------ task life

    def _spawn(self, coro, name, context=None):
        self._last_id = task_id = next(self._task_ids)
        task = Task(coro, task_id, name)
        # A copy of the spawner's context (the running task's, or the
        # caller's outside any task): what it sets is its own.
        task._context = contextvars.copy_context() if context is None else context
        self._tasks[task.id] = task
        self._ready.append(task)
        for hook in self._on_spawned:
            hook(task)
        return task

    def _exit(self, task, value, exc):
        """``task`` has returned ``value`` or raised ``exc``: record it, wake
        whoever joins or cancels it, forget its descriptors."""
        task.done = True
        task._coro = None
        del self._tasks[task.id]
        if task._fds:
            fds, task._fds = task._fds, None
            for fd in fds:
                reg = self._fds.get(fd)
                if reg is not None and reg.owner is task:
                    self._release(fd, reg)
        if exc is None:
            task._result = value
        else:
            task._exception = exc
            task.cancelled = isinstance(exc, Cancelled)
        for hook in self._on_exited:
            hook(task)
        if exc is not None and isinstance(exc, (KeyboardInterrupt, SystemExit)):
            # Not a crash: the program is stopping.  Out of the loop it goes;
            # run() cancels every task (joiners included) and re-raises it.
            raise exc
        joined = False
        for waiter in task._joiners or ():
            if type(waiter._waiting) is join:
                joined = True
                if exc is None:
                    waiter._value = value
                else:
                    waiter._exc = _task_error(task)
            waiter._waiting = None          # a canceller just gets None
            self._ready.append(waiter)
        task._joiners = None
        if exc is not None and not joined and not task.cancelled:
            task._crashed_unseen()
            self._crashed[task.id] = task   # (gone by itself once the task is freed)
            self._crashes_to_collect = _COLLECT_FOR_REPORTS

    def _shutdown(self):
        """Cancel every task still alive and let its cleanup run.

        Cleanup may block (flush a write, cancel a child, say goodbye), so the
        loop keeps turning, timers and I/O included, until every task is done
        -- tasks spawned during cleanup are cancelled too.  A task still alive
        ``shutdown_grace`` seconds after its cancellation is cancelled again;
        after three rounds its frames are closed.  Another Ctrl-C during
        shutdown closes them at once.
        """
        try:
            for _ in range(3):
                if not self._tasks:
                    return
                cancelled_up_to = [0]       # the highest task id cancelled

                def finished():
                    if self._last_id > cancelled_up_to[0]:
                        for task in list(self._tasks.values()):
                            if task.id > cancelled_up_to[0]:
                                self._cancel(task, Cancelled("the kernel is shutting down"))
                        cancelled_up_to[0] = self._last_id
                    return not self._tasks

                finished()                  # cancels every task alive now
                self._run_until(finished, self._clock() + self.shutdown_grace)
        finally:
            for task in list(self._tasks.values()):
                self._abandon(task)

    def _abandon(self, task):
        """Close a task that will not finish: its ``finally`` blocks run, but
        without the kernel (a yield there fails)."""
        log.warning("%r did not finish after cancellation; closing it", task)
        if task._waiting is not None:
            self._unpark(task, Cancelled())
            task._waiting = None
        else:
            self._ready.remove(task)
        for frame in [task._coro] + task._stack[::-1]:
            try:
                frame.close()
            except BaseException:
                pass
        self._exit(task, None, Cancelled("abandoned at shutdown"))

    def _collect_for_reports(self):     # pragma: no cover (PyPy)
        """PyPy: free the crashed tasks nobody holds, so that their reports
        come now -- a collection also runs the reports of tasks an earlier
        one freed, which PyPy may otherwise hold back for a while."""
        gc.collect()
        self._crashes_to_collect = bool(self._crashed)

    def _report_crashes(self):
        """run() is ending: log every crash nobody has looked at."""
        if self._crashes_to_collect:                     # pragma: no cover (PyPy)
            self._collect_for_reports()
        for task in sorted(self._crashed.values(), key=lambda task: task.id):
            if task._unreported is not None:
                task._unreported()
                task._unreported = None
        self._crashed.clear()

    # ----------------------------------------------------- cancellation

    def _cancel(self, task, exc):
        """Deliver ``exc`` into ``task`` at the trap where it is blocked.

        A parked task is taken off what it waits on and made ready, to have
        ``exc`` thrown in.  A task already on the ready queue gets it at once
        too if that loses nothing: a trap not yet performed is dropped (the
        budget's cancellation point, or a descriptor ready but not yet read),
        a plain wake-up (a sleep ended, a joined task ended) is forgotten, a
        wake-up from a ``WaitQueue`` is passed on to the next waiter.  But a
        wake-up from a ``WaitQueue(keep=True)`` is kept: ``exc`` waits in
        ``_pending`` and is thrown in at the task's next blocking trap (or at
        its budget's end).  So does an exception that arrives while another
        is already on its way in: none is ever dropped.
        """
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
            task._waiting = None
            task._exc = exc
            self._ready.append(task)
            return True
        trap = task._trap
        if trap is not None:                # ready, trap not performed: drop it
            _drop(trap, exc)
            task._trap = None
            task._exc = exc
            return True
        woken = task._woken
        if task._exc is not None or (woken is not None and woken.keep):
            return False
        if woken is not None:               # the wake-up goes to someone else
            task._woken = None
            woken._pass_on(task._value)
        task._value = None
        task._exc = exc
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
        return min(pending, key=_alarm_order)[3]

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

    def _unpark(self, task, exc):
        waiting = task._waiting
        self._unparkers[type(waiting)](task, waiting, exc)

    # A parked task is always where its trap says: a descriptor's slot, the
    # sleep heap, a joined task's list.  These take it off again.

    def _unpark_sleeper(self, task, trap, exc):
        task._timer[2] = None           # the heap drops the entry when it comes up
        task._timer = None
        self._timer_died()

    def _timer_died(self):
        """One more dead entry in the timer heap; rebuild it once most are."""
        self._dead_timers += 1
        if self._dead_timers > 64 and self._dead_timers * 2 > len(self._sleeping):
            self._sleeping[:] = [entry for entry in self._sleeping if entry[2] is not None]
            heapq.heapify(self._sleeping)
            self._dead_timers = 0

    def _unpark_parked(self, task, trap, exc):
        trap.queue._remove(task)

    def _unpark_joiner(self, task, trap, exc):
        trap.task._joiners.remove(task)

    # ------------------------------------------------------ the traps
    #
    # Each handler gets the task and its trap, and returns the trap's result
    # (the task goes on running) or PARKED (the task waits; whatever wakes it
    # puts it back on the ready queue).  An exception a handler raises is
    # thrown into the task at its yield.

    def _trap_sleep(self, task, trap):
        seconds = trap.seconds
        if seconds == 0:                # behind every ready task
            task._value = None
            self._ready.append(task)
            return PARKED
        entry = [self._clock() + seconds, next(self._sleep_seq), task]
        heapq.heappush(self._sleeping, entry)
        task._timer = entry
        task._waiting = trap
        return PARKED

    def _trap_spawn(self, task, trap):
        return self._spawn(trap.coro, trap.name)

    def _trap_join(self, task, trap):
        target = trap.task
        if target.done:
            target._mark_retrieved()
            if target._exception is not None:
                raise _task_error(target)
            return target._result
        if target is task:
            raise RuntimeError("%r cannot join itself: it would wait forever" % task)
        if target._joiners is None:
            target._joiners = []
        target._joiners.append(task)
        task._waiting = trap
        return PARKED

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
        if target._joiners is None:
            target._joiners = []
        target._joiners.append(task)    # woken (with None) when it has finished
        task._waiting = trap
        return PARKED

    def _trap_current(self, task, trap):
        return task

    def _trap_subroutine(self, task, coro):
        # Only in the table while instruments are installed; else the loop
        # pushes the subroutine itself.
        task._stack.append(task._coro)
        task._coro = coro
        return None

    def _trap_call(self, task, trap):
        # The same as yielding the coroutine: push the caller, run the callee.
        task._stack.append(task._coro)
        task._coro = trap.coro
        return None

    def _trap_park(self, task, trap):
        queue = trap.queue
        queue._kernel = self
        queue._waiters.append(task)
        if queue.threadsafe:
            self._foreign_waits += 1
        task._waiting = trap
        return PARKED

    def _trap_set_alarm(self, task, trap):
        return self.set_alarm(task, self._clock() + trap.seconds, trap.exception)

    def _trap_clear_alarm(self, task, trap):
        return self.clear_alarm(task, trap.alarm)

    def _trap_current_kernel(self, task, trap):
        return self

    def _trap_other(self, task, value):
        """Not a trap, not a coroutine.  An awaitable object (a ``Future``, a
        ``TaskGroup``...) is awaited: its ``__await__()`` generator runs as a
        subroutine.  Anything else is a mistake, said in the task."""
        if hasattr(type(value), "__await__") and not isinstance(value, type):
            iterator = value.__await__()
            if type(iterator) is GeneratorType:
                task._stack.append(task._coro)
                task._coro = iterator
                return None
        raise TypeError(_bad_yield_message(task, value))


def _drop(trap, exc):
    """``trap`` will not be performed after all: a cancellation came first."""
    kind = type(trap)
    if kind is GeneratorType or kind is CoroutineType:
        trap.close()                    # a subroutine never called
        return
    if kind is write and exc is not None:
        exc.bytes_written = trap.sent
    if hasattr(trap, "waited"):         # a trap parked on a descriptor
        trap.waited = False


def _alarm_order(alarm):
    return alarm[1]                     # the outermost scope set its alarm first


def running_kernel() -> Optional["Kernel"]:
    """The ``Kernel`` running in this thread, or None."""
    return getattr(_running, "kernel", None)


def current_task() -> Optional[Task]:
    """The ``Task`` running now in this thread, or None outside a task.

    For code that runs inside a task but cannot yield a trap: a ``with``
    block's ``__enter__`` (``with timeout_after(5):``), a plain method such as
    ``RLock.release``.  In a task, ``yield current()`` says the same."""
    kernel = getattr(_running, "kernel", None)
    return None if kernel is None else kernel._current


def _traced(handler, hooks):
    """``handler``, telling every ``task_trap`` hook first."""
    def traced_handler(task, trap):
        for hook in hooks:
            hook(task, trap)
        return handler(task, trap)
    traced_handler.__wrapped__ = handler
    return traced_handler

