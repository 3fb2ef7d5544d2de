"""A kernel's lifetime: ``run`` a main task, shut down, report crashes, close.

``Kernel.run(coro)`` spawns the main task and turns the loop
(``_run_until``) until it is done.  Then comes the shutdown: every task
still alive is cancelled and the loop turns on while their cleanup runs
(``_shutdown``); a task that will not finish is closed (``_abandon``).
Crashes nobody joined are reported last (``_report_crashes``).

A mixin of ``Kernel``.  What it uses of the kernel: ``_spawn``,
``_run_until``, ``_cancel``, ``_unpark``, ``_exit``, ``_tasks``,
``_ready``, ``_crashed``, ``_poller``, ``_close_wake_channel``,
``_calls_lock``, ``_calls`` and ``_run_calls`` (hostloop.py), and the
extensions (debug mode, shutdown signals).

``close()`` does not end the tasks still alive: it drops them, as closing
an asyncio loop does (their cleanup is ``run()``'s, or a host loop's before
it closes), and says so in a WARNING naming them.  Code outside the kernel
that waits on them hears of the close through ``on_close`` --
``AsyncioDriver.run()`` raises then -- so that it does not wait for ever.
"""

import gc
import logging
import sys
import threading
import warnings
from types import CoroutineType, GeneratorType
from typing import (Any, Callable, Dict, Iterable, List, Optional,  # noqa: F401 (type comments)
                    TypeVar)

from .diagnostics import KERNEL_FRAMES, _is_deadlock, _trim_kernel_frames, _waiting_in
from .errors import Cancelled
from .hostloop import running as _running
from .task import CoroutineLike, T  # noqa: F401 (annotations)
from .traps import _check_coro

__all__ = []  # type: list  # (Lifetime: documented as Kernel's)

log = logging.getLogger("trampoline")

_K = TypeVar("_K", bound="Lifetime")


def _fresh(coro):
    """``coro``, given to run(): a coroutine (or generator) that no task is
    running and that has not finished, else an error saying what it is.
    A finished generator would have made run() return None, and one that a
    task is awaiting would have been taken from it, its trap answered None
    (a generator at a bare ``yield``, as ``timeout_after(5, coro)`` is
    handed over, is let through)."""
    kind = type(coro)
    if kind is CoroutineType:
        frame, inside = coro.cr_frame, coro.cr_await
    elif kind is GeneratorType:
        frame, inside = coro.gi_frame, coro.gi_yieldfrom
    else:
        return _check_coro(coro, "run")     # (its TypeError)
    if frame is None:
        raise RuntimeError("run(): the %s %s() has already finished; run() needs a new one: "
                           "call %s() again" % (kind.__name__, coro.__qualname__, coro.__name__))
    if inside is not None:
        raise RuntimeError("run(): the %s %s() has started and waits at line %d (another task "
                           "or loop runs it); run() needs a new one: call %s() again"
                           % (kind.__name__, coro.__qualname__, frame.f_lineno, coro.__name__))
    return coro


def _aclose(agen):
    """A task: close the async generator ``agen``."""
    yield from agen.aclose().__await__()


def _close_without_kernel(agen):
    """Close ``agen`` with no kernel to run it (its run() had ended), as
    Python would: a cleanup that awaits is cut short, and said so."""
    closer = agen.aclose().__await__()
    try:
        closer.send(None)
    except StopIteration:
        return
    closer.close()
    raise RuntimeError("async generator %s awaited in its cleanup after its kernel's run() "
                       "had ended, with nothing to run it: close it inside the run "
                       "(await it.aclose())" % (agen.__qualname__,))


class Lifetime:
    """The lifetime part of ``Kernel`` (see the module docstring)."""

    #: CPython frees a task the moment its last reference goes, and a crash
    #: nobody joined is reported then (on 3.12+ a crashed task's traceback
    #: holds, through ``f_back``, the kernel's frame that ran it: that frame
    #: lets go of the task before it returns, see _stepper).  PyPy frees it
    #: only when its GC runs: there the kernel collects, while crash reports
    #: wait, at each sweep and before run() returns, so the reports come
    #: within a SWEEP_INTERVAL.
    _COLLECT_FOR_REPORTS = sys.implementation.name != "cpython"

    _host_thread = None     # type: Any  # (hostloop.py's: run() releases it)

    def run(self: Any, coro: "CoroutineLike[T]", *, shutdown_signals: Iterable[int] = ()) -> T:
        """Run ``coro`` (a generator or coroutine object) as the main task
        until it returns, and return its value; its exception propagates.
        One that has finished, or that another task or loop runs (it waits
        at an ``await``), is a ``RuntimeError``; any other awaitable (a
        ``Future``, a trap) a ``TypeError``: await it in an ``async def``.
        An async generator that a task drops before it has finished is
        closed by a task of its own, which runs its ``aclose()`` (so its
        ``finally`` may await) and which the shutdown does not cancel, as
        asyncio's and trio's loops do; one dropped after run() has ended
        is closed without a kernel, as Python would (an ``await`` in its
        cleanup is then an error, reported as Python reports one).
        Tasks still running then are cancelled and their cleanup runs;
        calls other threads handed in (``call_threadsafe``) before the end
        are made first, as asyncio's loop makes them.  The main task runs
        in a copy of the caller's ``contextvars`` context, so what it sets
        stays inside.

        ``shutdown_signals`` (say ``(SIGINT, SIGTERM)``; main thread only)
        turn the first such signal into cancellation of the main task, and
        ``run`` then returns None; a second one kills the process with it
        (trampoline.signals)."""
        coro = _fresh(coro)
        if self._closed:
            coro.close()
            raise RuntimeError("this Kernel is closed")
        if getattr(_running, "kernel", None) is not None:
            coro.close()
            raise RuntimeError(
                "run() called inside a running kernel; a task calls another "
                "coroutine with 'yield coro' (or 'await call(coro)'), or starts "
                "one with 'yield spawn(coro)'")
        if self._running:
            coro.close()
            raise RuntimeError(
                "run(): this kernel is running in another thread (its run(), or a host "
                "loop's run_once()); start a task there with kernel.spawn_threadsafe(coro)")
        host = self._host_thread
        if host is not None and host is not threading.current_thread() and host.is_alive():
            coro.close()                    # (between that loop's rounds: its next would fail,
            raise RuntimeError(             # and run()'s end would cancel its tasks)
                "run(): this kernel is driven by thread %r with run_once(); start a task "
                "there with kernel.spawn_threadsafe(coro)" % (host.name,))
        users = coro
        try:
            if isinstance(shutdown_signals, (int, str)):
                raise TypeError("shutdown_signals takes a collection of signal numbers, as "
                                "(signal.SIGINT, signal.SIGTERM); got %r" % (shutdown_signals,))
            if shutdown_signals:
                coro = self._extension("shutdown_signals")(tuple(shutdown_signals), coro)
            # What runs beside the loop while it turns, only when asked
            # for: the monitor's thread and debug mode's checks -- unless a
            # host loop's run_once() started them already (see close).
            watchers = [] if self._host_watchers is not None else self._watchers()
        except BaseException:
            users.close()
            raise
        _running.kernel = self
        self._running = True
        # An async generator a task drops unfinished is closed by a task of
        # its own (its finally may await), as asyncio's and trio's are.
        hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(finalizer=self._finalize_async_generator,
                               firstiter=self._async_generator_begun if
                               self._COLLECT_FOR_REPORTS else hooks.firstiter)
        self._host_thread = None            # (no host loop drives it now: see spawn)
        for watcher in watchers:
            watcher.start()
        main = None
        try:
            try:
                main = self._spawn(coro, None)  # (its task_spawned hook may raise Ctrl-C)
                self._run_until(main)
            finally:
                self._shutdown()
        except BaseException as error:
            # Ctrl-C, SystemExit, a deadlock or a kernel fault: every task was
            # cancelled and cleaned up above; close and let the error go on --
            # a Ctrl-C's traceback, as python3 shows it, from where the program
            # was (a task's line, or the poller) without the loop's frames; a
            # deadlock's, from run() alone (its message says where each task waits).
            self._running = False
            self.close()
            if not KERNEL_FRAMES and (type(error) is KeyboardInterrupt or _is_deadlock(error)):
                _trim_kernel_frames(error)
                raise error             # (a bare raise keeps them, before 3.11)
            raise
        finally:
            _running.kernel = None
            self._running = False
            sys.set_asyncgen_hooks(*hooks)
            if main is not None:
                main._mark_retrieved()      # its outcome is what run() gives
            for watcher in watchers:
                watcher.stop()
            try:
                users.close()               # (run, or never started: the signals'
            except Exception as error:      # wrapper failed first, outside the main thread)
                # Abandoned at shutdown, it ignored its close (its handler
                # yields again) or its cleanup failed: said, not raised in
                # place of the error that ended run() (Python's rule too).
                log.warning("closing %r: %r", users, error)
            self._report_crashes()
        if main._exception is not None:
            raise main._exception
        return main._result

    def _finalize_async_generator(self: Any, agen: Any) -> None:
        """Python's finalizer hook, while run() runs: ``agen``, dropped
        before it finished, is closed by a task that runs its ``aclose()``
        -- its ``finally`` may await -- uncancellable, so that the shutdown
        lets it finish.  (Called where the last reference went: in a task's
        step, or in another thread.)"""
        if self.owns_thread():
            task = self._spawn(_aclose(agen), "aclose(%s)" % agen.__qualname__)
            self.defer_cancellation(task)
        elif not self._running:         # (dropped after run() had ended)
            _close_without_kernel(agen)
        else:
            try:
                self.call_threadsafe(self._finalize_async_generator, agen)
            except RuntimeError:        # pragma: no cover - closed, in a race with the end
                _close_without_kernel(agen)

    #: PyPy: whether a task began an async generator since the last
    #: collection (see _collect_async_generators).
    _async_generators_begun = False

    def _async_generator_begun(self: Any, agen: Any) -> None:  # pragma: no cover (PyPy)
        self._async_generators_begun = True

    def _collect_async_generators(self: Any) -> None:  # pragma: no cover (PyPy)
        """PyPy frees a dropped async generator only when its GC runs: at
        the shutdown, collect, so that those the tasks dropped are closed
        while the kernel still runs (CPython closed them as they went)."""
        self._async_generators_begun = False
        gc.collect()

    def close(self: Any) -> None:
        """Release the poller.  Closing twice is harmless.  Not while the
        kernel runs (``RuntimeError``): end its run() first (from another
        thread, have ``call_threadsafe`` cancel its main task, say).

        Tasks still alive are dropped, not cancelled: nothing runs them, or
        their cleanup, again (``run()`` cancels and cleans up its tasks
        before it returns; a host loop cancels them and runs rounds first).
        A WARNING names them (five at most) and where each waits, as
        asyncio's "Task was destroyed but it is pending!" does.
        What waits on them from outside hears of it: the ``on_close``
        callbacks are called last.

        For a kernel driven by a host loop, this is where what ``run()``
        does at its end happens: the monitor and debug mode's checks stop,
        and crashes nobody joined are logged."""
        if self._running and not self.owns_thread():
            raise RuntimeError(
                "Kernel.close() called from another thread while the kernel runs there; "
                "end its run() first -- kernel.call_threadsafe(kernel.cancel, main_task), "
                "say -- or stop driving it with run_once(), then close it")
        if self._running:
            raise RuntimeError(
                "Kernel.close() called while the kernel runs (from one of its tasks?); "
                "return from the main task (or cancel it), and close it once run() or "
                "run_once() has returned")
        if not self._closed:
            watchers, self._host_watchers = self._host_watchers or (), None
            for watcher in watchers:
                watcher.stop()
            self._close_wake_channel()      # (sets _closed, under its lock)
            self._poller.close()
            self._report_crashes()
            self._report_dropped()
            callbacks, self._close_callbacks = list((self._close_callbacks or {}).values()), None
            for callback in callbacks:
                try:
                    callback()
                except Exception:
                    log.exception("on_close(%r) raised", callback)

    def _report_dropped(self: Any) -> None:
        """``close()`` with tasks alive: they are dropped, their cleanup never
        run -- say so, naming them, as asyncio says "Task was destroyed but
        it is pending!" (one WARNING, at most five tasks named)."""
        alive = list(self._tasks.values())
        if alive:
            log.warning("Kernel.close() dropped %d task%s still alive, never to run again "
                        "(for their cleanup, cancel them and run rounds before closing): %s%s",
                        len(alive), "" if len(alive) == 1 else "s",
                        "; ".join(map(_waiting_in, alive[:5])), "; ..." if len(alive) > 5 else "")

    #: The ``on_close`` callbacks, in order, each under a key of its own
    #: (None: none yet, or closed).
    _close_callbacks = None     # type: Optional[Dict[object, Callable[[], Any]]]

    def on_close(self: Any, callback: "Callable[[], Any]") -> "Callable[[], None]":
        """Have ``close()`` call ``callback()`` once the kernel is closed,
        in the thread that closes it, after the callbacks registered
        before; an exception it raises is logged.  For code outside the
        kernel that waits on its tasks (``AsyncioDriver.run()``): ``close()``
        drops the tasks still alive, and the wait would never end.

        Returns a function that takes the callback back (harmless once it
        was called).  Raises ``RuntimeError`` if the kernel is closed."""
        with self._calls_lock:          # (close() sets _closed under it)
            if self._closed:
                raise RuntimeError("on_close(): this Kernel is closed")
            if self._close_callbacks is None:
                self._close_callbacks = {}
            callbacks, key = self._close_callbacks, object()
            callbacks[key] = callback

        def forget() -> None:
            with self._calls_lock:
                callbacks.pop(key, None)
        return forget

    #: The watchers a host loop's first ``run_once()`` started (None: not
    #: yet), for ``close()`` to stop.
    _host_watchers = None       # type: Optional[List[Any]]

    def _watchers(self: Any) -> "List[Any]":
        """What ``debug=`` and ``monitor=`` asked to run beside the loop,
        not yet started: the monitor, debug mode's checks."""
        watchers = [self.monitor] if self.monitor else []   # type: List[Any]
        if self.debug:
            watchers.append(self._extension("debug")(self))
        return watchers

    def _watch_host_loop(self: Any) -> None:
        """The first ``run_once()``: start the watchers, until ``close()``."""
        watchers = self._watchers()
        for watcher in watchers:
            watcher.start()
        self._host_watchers = watchers

    def __del__(self, _warn=warnings.warn):
        # A kernel nobody closed holds a poller and a socket pair (three
        # descriptors) until it is collected; say so, as an unclosed file
        # does, and close them.  (A Kernel() that failed never opened them.)
        if getattr(self, "_closed", True):
            return
        try:
            _warn("unclosed %r" % (self,), ResourceWarning, source=self)
            self.close()
        except Exception:               # pragma: no cover - at interpreter exit
            pass

    @property
    def closed(self: Any) -> bool:
        """True once ``close()`` has run (for code beside the kernel that
        must not wait on it then: ``AsyncioDriver``).  Read-only."""
        return bool(self._closed)

    def __repr__(self: Any):
        return "<Kernel %s tasks=%d%s>" % (
            self._poller, len(self._tasks), " closed" if self._closed else "")

    def __enter__(self: _K) -> _K:
        return self

    def __exit__(self: Any, *exc_info: Any) -> None:
        self.close()


    def _shutdown(self):
        """Cancel every task still alive and let its cleanup run.

        Cleanup may block (flush a write, cancel a child, say goodbye), so the
        loop keeps turning, timers and I/O included, until every task is done
        -- tasks spawned during cleanup are cancelled too.  A task still alive
        ``shutdown_grace`` seconds after its cancellation is cancelled again;
        after three rounds its frames are closed.  Another Ctrl-C during
        shutdown closes them at once.  Calls other threads handed in with
        ``call_threadsafe`` before the end are made first, as asyncio's
        loop makes those queued before it stops (``close()`` would drop
        them, and ``call_threadsafe`` had accepted them).
        """
        try:
            for _ in range(3):
                if self._calls:
                    self._run_calls()
                if not self._tasks and self._async_generators_begun:  # pragma: no cover (PyPy)
                    self._collect_async_generators()
                if not self._tasks:
                    return
                every = _EveryTaskCancelled(self)
                every.cancel_new()          # cancels every task alive now
                self._run_until(every, self._clock() + self.shutdown_grace)
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
        for frame in [task._coro, *task._stack[::-1]]:
            try:
                frame.close()
            except BaseException:
                pass
        self._exit(task, None, Cancelled("abandoned at shutdown"))

    def _collect_for_reports(self):     # pragma: no cover (PyPy)
        """PyPy: free the crashed tasks nobody holds, so that
        their reports come now -- a collection also runs the reports of tasks
        an earlier one freed, which PyPy may otherwise hold back for a while."""
        gc.collect()
        self._crashes_to_collect = bool(self._crashed)

    def _report_crashes(self):
        """run() is ending: log every crash nobody has looked at."""
        if self._crashes_to_collect:        # pragma: no cover (PyPy)
            self._collect_for_reports()
        for task in sorted(self._crashed.values(), key=lambda task: task.id):
            if task._unreported is not None:
                task._unreported()
                task._unreported = None
        self._crashed.clear()


class _EveryTaskCancelled:
    """Where a shutdown round ends (``_run_until``'s ``until``): ``done`` once
    no task is left.  Each time it is read, it first cancels every task
    spawned since it last looked -- a task a cancelled one's cleanup spawns
    is cancelled before it runs."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.cancelled_up_to = 0            # the highest task id cancelled

    def cancel_new(self):
        kernel = self.kernel
        if kernel._last_id > self.cancelled_up_to:
            for task in list(kernel._tasks.values()):
                if task.id > self.cancelled_up_to:
                    kernel._cancel(task, Cancelled("the kernel is shutting down"))
            self.cancelled_up_to = kernel._last_id

    @property
    def done(self):
        self.cancel_new()
        return not self.kernel._tasks
