"""Instruments and extensions: what tools above the kernel plug into it.

The kernel imports nothing above it, yet tracing, debug mode, the monitor
and shutdown signals all watch or change what it does.  They come in
through the small general hooks here, a mixin of ``Kernel``:

* *instruments* -- objects told what the kernel does, one method per event
  (``task_spawned``, ``task_step``, ``task_trap``...: see ``_instrument``);
  with none installed they cost nothing;
* ``wrap_handlers`` -- every trap handler wrapped, for a tool that watches
  every trap (debug mode);
* ``extensions`` -- the constructor's and ``run``'s options that layers
  above serve (``debug=``, ``monitor=``, ``shutdown_signals=``), filled in
  by trampoline.runner.

While anything watches every trap (a ``task_trap`` hook, a wrapped table),
the kernel's fast paths are off (``_fast_paths``), so that every dispatch
of every trap is seen.

An instrument is a tool watching the program, never part of it: one whose
hook raises (a bug in the tool) is logged once, at ERROR with its
traceback and its name, and taken out; the kernel and the tasks go on, as
trio does with a failing instrument.  (A ``KeyboardInterrupt`` or
``SystemExit`` from a hook still goes out, as from anywhere.)
"""

import logging
import time
from types import CoroutineType, GeneratorType
from typing import Any, Callable, Dict, List, Optional  # noqa: F401 (type comments)

from .errors import Cancelled
from .task import Task

__all__ = []  # type: list  # (Instrumented: documented as Kernel's)

log = logging.getLogger("trampoline")


class Instrumented:
    """The hooks part of ``Kernel`` (see the module docstring)."""

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
        the trap's class; ``GeneratorType`` or ``CoroutineType`` for a
        subroutine call, which then goes through the table too; or None for
        the handler of a value that is no trap (an awaitable, or a mistake)
        -- for tools that watch every trap (debug mode).  Call it before
        ``run()``; returns a function that puts the handlers back."""
        handlers, other = dict(self._handlers), self._trap_other
        fast, self._fast_paths = self._fast_paths, False
        wrapped_before = "_trap_other" in vars(self)
        table = dict.fromkeys((GeneratorType, CoroutineType), self._trap_subroutine)
        table.update(handlers)
        for kind, handler in table.items():
            self._handlers[kind] = wrap(kind, handler)
        self._trap_other = wrap(None, other)

        def unwrap():
            self._handlers.clear()      # (the same dict: the loop holds its get)
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
        ``timer_fired(task)``, ``alarm_fired(task, exception)`` (see
        trampoline.trace).

        With none installed they cost nothing: the loop tests an empty list
        once a turn, and ``task_trap`` is done by wrapping the handlers in
        the trap table -- the table is left alone when nobody listens.
        """
        try:
            if isinstance(instruments, (str, bytes)):   # ("trace": one per letter)
                raise TypeError
            self.instruments = list(instruments)
        except TypeError:
            raise TypeError("Kernel(instruments=...) needs an iterable of instruments, "
                            "got %r" % (instruments,)) from None
        unique = []                     # (one given twice is told each event once)
        for each in self.instruments:
            _check_instrument(each, "Kernel(instruments=...)")
            if not _installed(each, unique):
                unique.append(each)
        self.instruments = unique

        self._instrument_hooks = {}     # type: Dict[int, Any]
        self._hooks_freed = False       # a hook was taken out while the kernel ran

        def hooks(name):
            return [self._guarded(each, name) for each in self.instruments
                    if hasattr(each, name)]

        self._on_spawned = hooks("task_spawned")
        self._on_step = hooks("task_step")
        self._on_step_done = hooks("task_step_done")   # (each step is timed for them)
        self._on_exited = hooks("task_exited")
        self._on_io_wait = hooks("io_wait")
        self._on_io_ready = hooks("io_ready")
        self._on_timer = hooks("timer_fired")
        self._on_alarm = hooks("alarm_fired")
        self._on_trap = on_trap = hooks("task_trap")     # (in the wrapped handlers)
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
                   "timer_fired": "_on_timer", "alarm_fired": "_on_alarm"}

    def _watched(self, step):
        """``step`` with the ``task_step`` and ``task_step_done`` hooks
        around it: the loop's stepper while any is installed (chosen once a
        turn, so an instrument added mid-turn waits for the next)."""
        if self._hooks_freed:
            self._tidy_hooks(True)         # (no list of hooks is being walked now)
        kernel, on_step, on_step_done = self, self._on_step, self._on_step_done

        def watched_step(task):
            kernel._current = task
            sent = task._exc if task._exc is not None else task._value
            for hook in on_step:
                hook(task, None if task._next_trap is not None else sent)
            started = time.perf_counter()
            step(task)
            elapsed = time.perf_counter() - started
            for hook in on_step_done:
                hook(task, elapsed)
        return watched_step

    def add_instrument(self, instrument):
        """Install one more instrument, even while the kernel runs (debug
        mode's watchdog does), from a task or from inside another
        instrument's hook.  Any hook but ``task_trap``, which needs the
        instrument at construction (``Kernel(instruments=...)``).  One
        installed already is left as it is (told each event once), as in
        trio; an object with no hook is a ``TypeError``."""
        if _installed(instrument, self.instruments):
            return
        if hasattr(instrument, "task_trap"):
            raise ValueError("%r has a task_trap hook: give it to Kernel(instruments=...)"
                             % (instrument,))
        _check_instrument(instrument, "Kernel.add_instrument()")
        # Every hook looked up before anything changes: one whose lookup
        # raises (a property) leaves no half-installed instrument behind.
        try:
            hooks = [(getattr(self, hooks), self._guarded(instrument, name))
                     for name, hooks in self._LIVE_HOOKS.items() if hasattr(instrument, name)]
        except BaseException:
            self._instrument_hooks.pop(id(instrument), None)
            raise
        self._tidy_hooks()
        self.instruments.append(instrument)
        for hook_list, hook in hooks:
            if _removed in hook_list:   # (a slot freed during this run)
                hook_list[hook_list.index(_removed)] = hook
            else:
                hook_list.append(hook)

    def remove_instrument(self, instrument):
        """Take out an instrument ``add_instrument`` installed (even from
        inside one of its own hooks: the others still see that event).  One
        not installed is a ``ValueError`` naming it."""
        if not _installed(instrument, self.instruments):
            raise ValueError("Kernel.remove_instrument(): %r is not installed in this "
                             "kernel (see kernel.instruments)" % (instrument,))
        self.instruments[:] = [each for each in self.instruments if each is not instrument]
        self._unhook(instrument)

    def _guarded(self, instrument, name):
        """``instrument``'s hook ``name``, which logs and takes the
        instrument out if it raises (see the module docstring)."""
        method = getattr(instrument, name)
        kernel = self

        if name in _TWO_ARGUMENTS:
            def guarded_hook(first, second):
                try:
                    method(first, second)
                except Exception:
                    kernel._instrument_failed(instrument, name)
        else:
            def guarded_hook(first):     # type: ignore[misc]
                try:
                    method(first)
                except Exception:
                    kernel._instrument_failed(instrument, name)
        guarded_hook.__wrapped__ = method
        self._instrument_hooks.setdefault(id(instrument), []).append(guarded_hook)
        return guarded_hook

    def _instrument_failed(self, instrument, name):
        log.exception("instrument %r raised in its %s hook, so it is taken out; the "
                      "kernel and the tasks go on without it", instrument, name)
        if instrument in self.instruments:
            self.instruments.remove(instrument)
        self._unhook(instrument)

    def _unhook(self, instrument):
        """Take ``instrument``'s hooks out of the lists the loop calls.  While
        the kernel runs, each is replaced by a no-op in place (a list being
        walked through must not shift under its walker, or the hook after it
        would miss that event); the no-ops go when the loop next starts or
        once it has stopped."""
        hooks = self._instrument_hooks.pop(id(instrument), ())
        for name in [*self._LIVE_HOOKS.values(), "_on_trap"]:
            hook_list = getattr(self, name)
            for index, hook in enumerate(hook_list):
                if hook in hooks:
                    hook_list[index] = _removed
                    self._hooks_freed = True
        self._tidy_hooks()

    def _tidy_hooks(self, now=False):
        if now or not self._running:
            self._hooks_freed = False
            for name in [*self._LIVE_HOOKS.values(), "_on_trap"]:
                hook_list = getattr(self, name)
                hook_list[:] = [hook for hook in hook_list if hook is not _removed]

    def tasks(self: Any) -> List[Task]:
        """Every task alive now, in the order they were spawned: for tools
        that look at a running program (the monitor, a test's teardown)."""
        return list(self._tasks.values())

    def cancel(self: Any, task: Task, exception: Optional[BaseException] = None) -> None:
        """From the kernel's thread, outside any task (a tool, a host loop's
        callback): throw ``exception`` (a new ``Cancelled`` by default) into
        ``task`` as the ``cancel`` trap does, without waiting.  Inside a
        task, ``yield cancel(task)`` instead.  From another thread,
        ``RuntimeError`` (as for ``spawn``): have the kernel's thread do it,
        ``kernel.call_threadsafe(kernel.cancel, task)``."""
        self._refuse_other_threads("Kernel.cancel()", "the cancellation",
                                   "kernel.call_threadsafe(kernel.cancel, task)")
        if not task.done:
            self._cancel(task, Cancelled("cancelled from outside the tasks")
                         if exception is None else exception)
            if not self._running:       # between a host loop's rounds: fileno()
                self._nudge()           # says a task is ready (hostloop.py)


#: The methods an instrument has (one at least).
_HOOKS = ("task_spawned", "task_step", "task_step_done", "task_trap", "task_exited",
          "io_wait", "io_ready", "timer_fired", "alarm_fired")
#: The hooks called with two arguments (the others with one).
_TWO_ARGUMENTS = frozenset(["task_step", "task_step_done", "task_trap", "alarm_fired"])


def _check_instrument(instrument, where):
    if not any(hasattr(instrument, name) for name in _HOOKS):
        raise TypeError("%s: %r is not an instrument: it has none of the methods %s (see "
                        "trampoline.trace)" % (where, instrument, ", ".join(_HOOKS)))


def _installed(instrument, instruments):
    """Whether ``instrument`` itself is in ``instruments`` (by identity:
    two equal instruments are two)."""
    return any(each is instrument for each in instruments)


def _removed(*args):
    """In the place of a hook taken out while the kernel runs."""


def _traced(handler, hooks):
    """``handler``, telling every ``task_trap`` hook first."""
    def traced_handler(task, trap):
        for hook in hooks:
            hook(task, trap)
        return handler(task, trap)
    traced_handler.__wrapped__ = handler
    return traced_handler
