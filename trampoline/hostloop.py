"""From outside the tasks: other threads, and a host loop that drives the kernel.

Two kinds of code talk to a kernel without being one of its tasks:

* **Other threads.**  ``call_threadsafe(func, *args)`` hands the kernel a
  call to make in its own thread, between tasks; ``spawn_threadsafe`` starts
  a task.  The calls wait in a list behind a lock, and one byte written to a
  socket pair wakes a kernel blocked in its poller (the poller watches the
  other end).  ``WaitQueue.wake_threadsafe`` and ``Future.set_result`` are
  built on this.
* **A host loop** -- a GUI's, a game's, asyncio's -- that runs the kernel a
  round at a time instead of calling ``run()``: it starts tasks with
  ``spawn()``, watches ``fileno()`` for I/O, and calls ``run_once()`` when
  that is readable or when ``next_deadline()`` says a timer is due.

It is a mixin of ``Kernel``.  What it uses of the kernel: ``_poller``,
``_ready``, ``_fds``, ``_next_sweep``, ``_clock``,
``_autojump``, ``_closed``, ``_running``, ``_spawn``, ``_run_until``,
``_wait_time``, ``_next_timer`` (timers.py), ``_poll`` and
``_watch_host_loop`` (lifetime.py: what ``debug=`` and ``monitor=`` start,
on the first ``run_once()``, until ``close()``).  This module must never
import the kernel (the kernel imports it).
"""

import contextvars
import logging
import numbers
import socket
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Optional, Tuple  # noqa: F401 (type comments)

from .task import CoroutineLike, Task
from .timers import MAX_TIMEOUT
from .traps import _check_coro

__all__ = ["running", "running_kernel", "current_task"]  # (FromOutside: documented as Kernel's)

log = logging.getLogger("trampoline")

#: Which kernel, if any, is running in this thread (``running.kernel``):
#: ``run()`` inside a running kernel is an error, not a silent deadlock, and
#: ``current_task()`` needs no trap to answer.
running = threading.local()


class FromOutside:
    """The thread-safe and host-loop part of ``Kernel`` (see the module
    docstring)."""

    # What it uses of the kernel (declared for type checkers; set by Kernel).
    _poller: Any
    _ready: Any
    _fds: Any
    _next_sweep: float
    _clock: Callable[[], float]
    _autojump: bool
    _closed: bool
    _running: bool
    _spawn: Callable[..., Task]
    _run_until: Callable[..., None]
    _poll: Callable[[float], None]
    _wait_time: Callable[[Optional[float]], float]
    _next_timer: Callable[[], Optional[float]]
    _host_watchers: Any
    _watch_host_loop: Callable[[], None]

    def _open_wake_channel(self):
        # Other threads hand calls to the kernel through _calls and wake it by
        # writing a byte to _wake_send; the poller watches _wake_recv.
        self._calls = deque()               # type: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]]
        self._calls_lock = threading.Lock()
        try:
            self._wake_recv, self._wake_send = socket.socketpair()
        except BaseException:           # (out of descriptors): Kernel() fails, and
            self._poller.close()        # must not leave the poller open
            raise
        self._wake_recv.setblocking(False)
        self._wake_send.setblocking(False)
        self._wake_fd = self._wake_recv.fileno()
        self._poller.register(self._wake_fd, self._poller.READ)

    def _close_wake_channel(self):
        """``close()``: no more calls from other threads.  Those still
        waiting are dropped; the coroutines of the spawns among them are
        closed (they never started: nothing to clean up, nothing to warn)."""
        with self._calls_lock:
            self._closed = True
            calls, self._calls = self._calls, deque()
            self._wake_recv.close()
            self._wake_send.close()
        for func, args in calls:
            if func == self._spawn:
                args[0].close()

    def call_threadsafe(self, func: Callable[..., Any], *args: Any) -> None:
        """From any thread: have the kernel call ``func(*args)`` soon, in its
        own thread, between tasks.  Returns at once; wakes a kernel blocked
        in its poller.  An exception ``func`` raises is logged.  Raises
        ``TypeError`` if ``func`` is not callable (here, not later in the
        kernel's thread), ``RuntimeError`` if the kernel is closed (it would
        never be called).  A call handed in while ``run()`` runs is made,
        at its end too; one still unmade when a host loop closes the
        kernel is dropped (as closing an asyncio loop drops its callbacks)."""
        if not callable(func):
            raise TypeError("call_threadsafe(): func must be callable, got %r" % (func,))
        with self._calls_lock:
            if self._closed:
                raise RuntimeError("call_threadsafe(): this Kernel is closed")
            self._calls.append((func, args))
            if len(self._calls) == 1:   # one byte wakes it; more would pile up
                try:
                    self._wake_send.send(b"\0")
                except OSError:         # pragma: no cover - full of wake-ups: at most one
                    pass                # is left unread per round, so it never fills

    @property
    def wake_fd(self) -> int:
        """The descriptor another thread makes readable to wake the kernel
        (``call_threadsafe``; the poller watches it from the start).  For
        tools that report the poller's events (trampoline.trace): readiness
        on it is a wake-up from another thread, not a task's I/O.  Read-only."""
        return self._wake_fd

    def owns_thread(self) -> bool:
        """True when called from the thread this kernel is running in."""
        return getattr(running, "kernel", None) is self

    def spawn_threadsafe(self, coro: "CoroutineLike[Any]", *, name: Optional[str] = None) -> None:
        """From any thread: start ``coro`` as a new task, in a copy of the
        calling thread's context.  Returns at once.  Raises ``RuntimeError``
        if the kernel is closed."""
        _check_coro(coro, "spawn_threadsafe")
        if name is not None and not isinstance(name, str):  # (here, not in the kernel's thread)
            coro.close()
            raise TypeError("spawn_threadsafe(): name must be a string or None, got %r" % (name,))
        try:
            self.call_threadsafe(self._spawn, coro, name, contextvars.copy_context())
        except RuntimeError:
            coro.close()
            raise RuntimeError("spawn_threadsafe(): this Kernel is closed") from None

    # ------------------------------------------- driven by a host loop
    #
    # A program with a loop of its own (a GUI, a game, asyncio) runs the
    # kernel a round at a time instead of calling run(): it starts tasks with
    # spawn(), watches fileno() for I/O and calls run_once() when that is
    # readable or when next_deadline() says a timer is due.

    def spawn(self, coro: "CoroutineLike[Any]", *, name: Optional[str] = None) -> Task:
        """Start ``coro`` as a new task and return its Task, from the
        kernel's own thread when no task is running (inside a task, yield the
        ``spawn`` trap -- or call this where the task cannot yield, as a
        stream's ``at_eof`` does; from another thread, use spawn_threadsafe).  The
        kernel's own thread is the one running it, or the one that last
        drove it with ``run_once()`` while that thread lives: from any other,
        ``RuntimeError`` -- the new task would not wake a host loop blocked
        on ``fileno()``."""
        _check_coro(coro, "spawn")
        if self._closed:
            coro.close()
            raise RuntimeError("this Kernel is closed")
        try:
            self._refuse_other_threads("Kernel.spawn()", "the task",
                                       "kernel.spawn_threadsafe(coro)")
        except RuntimeError:
            coro.close()
            raise
        task = self._spawn(coro, name)
        if not self._running:
            self._nudge()
        return task

    def _refuse_other_threads(self, call: str, what: str, instead: str) -> None:
        """``RuntimeError`` for ``call`` (made from outside the tasks) in
        another thread than the kernel's own -- the one running it, or the
        one that last drove it with ``run_once()`` while that thread lives:
        the kernel's state is its thread's alone, and ``what`` it changes
        would not wake a kernel blocked in its poller (or a host loop on
        ``fileno()``) there.  ``instead`` says what to call."""
        if self._running and not self.owns_thread():
            raise RuntimeError("%s called from another thread while the kernel runs; "
                               "use %s" % (call, instead))
        host = self._host_thread
        if host is not None and host is not threading.current_thread() and host.is_alive():
            raise RuntimeError("%s called from another thread than %r, which drives the "
                               "kernel with run_once(); %s would not wake it: use %s"
                               % (call, host.name, what, instead))

    #: A byte written by ``_nudge`` waits on the wake channel (reset by
    #: ``_run_calls``, which reads it): one is enough.
    _nudged = False

    def _nudge(self) -> None:
        """A task was made ready between a host loop's rounds -- by its own
        code: ``spawn()``, an ``Event.set()``, a ``Queue.put_nowait()``,
        ``cancel()`` -- so ``fileno()`` becomes readable, as for a call
        handed in by another thread: a host loop that watches it (the
        asyncio driver) comes back for the task, which otherwise waited
        for unrelated I/O or a timer.  (Harmless on a closed kernel.)"""
        if self._nudged:
            return
        with self._calls_lock:
            if self._closed:
                return
            self._nudged = True
            try:
                self._wake_send.send(b"\0")
            except OSError:             # pragma: no cover - full of wake-ups
                pass

    #: The thread that last drove the kernel with ``run_once()`` (None:
    #: none, or ``run()`` since), for ``spawn()`` to refuse the others.
    _host_thread = None         # type: Optional[threading.Thread]

    def run_once(self, timeout: Optional[float] = 0) -> None:
        """One round of the loop: run the tasks that are ready (each until it
        blocks, or for its budget), wait for I/O and make its waiters ready,
        then fire due timers.  Tasks still alive afterwards stay alive for
        the next round; ``close()`` drops them, their cleanup never run,
        so let them finish (or cancel them and run rounds) first -- code
        outside that waits on them hears of it through ``on_close``.  The first round
        starts what ``Kernel(debug=..., monitor=...)`` asked for; ``close()``
        stops it, and logs the crashes nobody joined, as ``run()`` does at
        its end.

        The wait for I/O (a call or task handed in by another thread counts)
        lasts at most ``timeout`` seconds, and not past the next timer: not
        at all in a round that ran tasks -- what they did (a task that
        ended, a result set) is the host's to see before it blocks, so
        ``while not task.done: kernel.run_once(None)`` returns once the
        task has ended.  ``None`` (or ``inf``) sets no limit but the timers
        -- a host loop with nothing else to do blocks with
        ``run_once(kernel.next_deadline())``.  One round waits at most
        an hour (``timers.MAX_TIMEOUT``; pollers overflow on much longer
        waits), then returns: a host loop just calls it again.

        With a ``VirtualClock`` the timers' seconds are virtual: a round
        whose ``timeout`` is at least ``next_deadline()`` (or None) moves
        the clock to the next timer instead of waiting for it, as ``run()``
        does (at once if only timers can wake a task; after the clock's
        ``autojump_threshold`` of real time with nothing happening, while
        tasks wait on I/O).  A shorter round -- ``run_once()``, a frame's
        -- leaves the clock alone: ``clock.advance()`` moves it by hand
        (``virtual_time`` says whether the clock is virtual)."""
        if timeout is not None and not (type(timeout) is int or type(timeout) is float
                                        and timeout == timeout):
            timeout = _seconds(timeout)
        if self._closed:
            raise RuntimeError("this Kernel is closed")
        if getattr(running, "kernel", None) is not None:
            raise RuntimeError("run_once() called inside a running kernel")
        if self._running:
            raise RuntimeError("run_once(): this kernel is running in another thread")
        running.kernel = self
        self._running = True
        self._host_thread = threading.current_thread()
        try:
            if self._host_watchers is None:     # the first round: debug=, monitor=
                self._watch_host_loop()
            if self._ready:                 # runs the ready tasks once; then the
                self._run_until(_OneTurn)   # host sees what they did before it blocks
                self._poll(0)
                return
            wait = self.next_deadline()
            if self._autojump and wait and (timeout is None or timeout >= wait):
                wait = self._virtual_wait(wait)
            if wait is None or (timeout is not None and wait > timeout):
                wait = timeout
            self._poll(MAX_TIMEOUT if wait is None or wait > MAX_TIMEOUT else max(wait, 0))
        finally:
            running.kernel = None
            self._running = False

    def _virtual_wait(self, wait: float) -> float:
        """run_once() with a VirtualClock, for a host that waits as long as
        ``next_deadline()`` asked (or longer): as in ``run()``, the wait for
        the next timer takes no real time -- the clock jumps to it at once
        when only timers can wake a task, or after its
        ``autojump_threshold`` of real time with nothing happening while
        tasks wait on I/O.  Returns how long to poll."""
        if self._next_timer() in (None, float("inf")):  # (sleep(inf): nothing to jump to)
            return wait
        return self._wait_time(None)

    def next_deadline(self) -> Optional[float]:
        """Seconds until the kernel wants ``run_once()`` again even if no I/O
        arrives: 0 while tasks are ready, the time to the next timer, or None
        if nothing but I/O (or another thread) can wake a task.  While
        descriptors are registered it is at most SWEEP_INTERVAL, for the
        closed-descriptor sweep.  ``RuntimeError`` once the kernel is closed."""
        if self._closed:
            raise RuntimeError("next_deadline(): this Kernel is closed")
        if self._ready:
            return 0.0
        wake_at = self._next_timer()
        wait = None if wake_at is None else wake_at - self._clock()
        if self._fds:                   # (the sweep goes by real time)
            sweep = self._next_sweep - time.monotonic()
            if wait is None or sweep < wait:
                wait = sweep
        return None if wait is None else max(wait, 0.0)

    def fileno(self) -> int:
        """A descriptor that becomes readable when the kernel has I/O to
        process (including calls and tasks handed in by other threads, and
        tasks made ready between rounds by the host loop's own code:
        ``spawn()``, an ``Event.set()``, a ``put_nowait()``, ``cancel()``,
        and a timeout whose ``deadline`` it moved):
        the epoll (or kqueue) descriptor itself.  Watch it from a host loop
        and call run_once() when it is readable."""
        if self._closed:
            raise RuntimeError("Kernel.fileno(): this Kernel is closed")
        try:
            return self._poller.fileno()
        except AttributeError:
            raise RuntimeError("Kernel.fileno() needs an epoll or kqueue poller; this "
                               "kernel polls with %r: drive it with run_once() on a "
                               "timer instead" % self._poller) from None

    def _run_calls(self):
        """Run the calls other threads handed in (see call_threadsafe)."""
        self._nudged = False            # (its byte is read here)
        try:
            while self._wake_recv.recv(4096):   # pragma: no branch - the socket closes only with us
                pass
        except BlockingIOError:
            pass
        with self._calls_lock:
            calls, self._calls = self._calls, deque()
        while calls:
            func, args = calls.popleft()
            try:
                func(*args)
            except Exception:
                log.exception("call_threadsafe(%r) raised", func)
            except BaseException:       # Ctrl-C, SystemExit: out of the loop, but
                self._put_back(calls)   # the calls after it are not lost
                raise

    def _put_back(self, calls):
        """Queue ``calls`` again, first, and wake the kernel for them."""
        if not calls:
            return
        with self._calls_lock:          # (not closed: it is running)
            if not self._calls:         # (else the byte of those queued since is there)
                try:
                    self._wake_send.send(b"\0")
                except OSError:         # pragma: no cover - full of wake-ups
                    pass
            calls.extend(self._calls)
            self._calls = calls


class _OneTurn:
    """``_run_until``'s ``until`` for ``run_once``: done after one turn."""
    done = True


def _seconds(timeout):
    """run_once's ``timeout``, when not a plain int or float: a number of
    seconds it must be, and not NaN."""
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError("run_once(): timeout must be a number of seconds or None, got %r"
                        % (timeout,))
    timeout = float(timeout)
    if timeout != timeout:
        raise ValueError("run_once(): timeout must be a number of seconds or None, got nan")
    return timeout


def running_kernel() -> Any:
    """The ``Kernel`` running in this thread, or None."""
    return getattr(running, "kernel", None)


def current_task() -> Optional[Task]:
    """The ``Task`` running now in this thread, or None outside a task.

    For code that runs inside a task but cannot yield a trap: a ``with``
    block's ``__enter__`` (``with timeout_after(5):``), a plain method such as
    ``RLock.release``.  In a task, ``yield current()`` says the same."""
    kernel = getattr(running, "kernel", None)
    return None if kernel is None else kernel._current
