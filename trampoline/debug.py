"""Debug mode: the checks ``Kernel(debug=True)`` (or ``TRAMPOLINE_DEBUG=1``)
turns on, for the mistakes every newcomer to generator tasks makes.

* A step that runs too long without yielding (``Kernel.slow_step``, 0.1 s):
  a watchdog thread notices it *while* it runs, looks at the loop thread's
  stack (``sys._current_frames``) and names the line that is blocking --
  ``time.sleep(0.3)``, ``requests.get(...)`` -- and suggests
  ``run_in_thread``; once that step ends, one INFO line says how long it
  took in all.  A step that ends between two looks is still reported when
  it ends, naming the task.
* A trap made but never yielded -- ``sleep(1)`` where ``yield sleep(1)`` was
  meant.  The trap is made, nothing happens, and the program goes on as if
  it had slept.  Debug mode warns, naming the file and line that made it.
  (The library's own calls that wait -- ``lock.acquire()``,
  ``queue.put(x)``, ``stream.write(data)`` -- are coroutines, so Python
  itself warns about one never yielded or awaited, debug mode or not; debug
  mode turns on coroutine origin tracking, so that the warning also says
  where the call was made -- on PyPy, where the warning comes at a garbage
  collection, the only place it says.)
* A wrong yield (``yield 42``, ``yield sleep``): the ``TypeError`` thrown
  into the task gets the task's whole generator stack in its message.
* A generator or coroutine handed to a second task while the first still
  runs it (``g = worker(); yield spawn(g); yield spawn(g)``), or one that
  has already run to its end, spawned or yielded again: a ``RuntimeError``
  in the task that did it, naming the generator.  Without debug mode both
  tasks step the same generator by turns, and a finished generator
  "returns" None at once (a coroutine waiting in another task is refused
  always: the kernel sees it waits, from its ``cr_await``).
* A task that crashed and that nobody joined: always logged at ERROR,
  debug mode or not (see ``Task._crashed_unseen``), when the last
  reference to the task goes or when ``run()`` ends.

The idea for the forgotten ``yield``: while a debug kernel runs, every trap
class notes where each trap is made (its ``__init__`` is wrapped), the
kernel's trap table notes each trap it is handed, and a finalizer
(``Trap.__del__``) looks, when a trap dies, whether it was ever handed over.
A trap that dies unyielded *on the line that made it* is the mistake: a
trap handed to something else (``select``, a list for later) dies
elsewhere, and is left alone.  All of it is put back as it was when the
last debug kernel stops, so outside debug mode a trap costs what it always
did.  What this module must never do: change what a correct program does,
or cost anything when debug mode is off (the kernel imports it only then).
"""

import linecache
import logging
import os
import sys
import sysconfig
import threading
import time
import warnings
import weakref
from types import CoroutineType, GeneratorType

from . import traps
from .diagnostics import _bad_yield_message, _where
from .traps import Trap

__all__ = ["DebugChecks", "format_stack", "format_frames"]

log = logging.getLogger("trampoline")

_lock = threading.Lock()
_users = 0              # debug kernels running now (the hooks stay while any does)
_made = {}  # type: dict # id(trap) -> (code, lineno) that made it, until it is yielded
_saved = []  # type: list # (trap class, its own __init__ or None): to put back


def format_stack(task):
    """A task's generator stack, outermost first, as a traceback prints it."""
    return format_frames(task.where())


def format_frames(frames):
    """``(filename, lineno, function)`` triples as a traceback prints them."""
    lines = []
    for filename, lineno, function in frames:
        lines.append('  File "%s", line %d, in %s' % (filename, lineno, function))
        source = linecache.getline(filename, lineno).strip()
        if source:
            lines.append("    " + source)
    return "\n".join(lines)


class DebugChecks:
    """Debug mode's checks for one kernel, from ``start()`` to ``stop()``
    (``Kernel.run`` calls both when ``kernel.debug`` is true)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self._unwrap = None
        self._watchdog = None

    def start(self):
        """Turn the checks on for this kernel (``run()`` calls it)."""
        kernel = self.kernel
        # A library call never yielded nor awaited (``lock.acquire()``
        # alone) is a coroutine Python warns about when it is dropped; with
        # this, the warning also says where it was made (on PyPy, where it
        # comes at a garbage collection, that is the only place it says).
        self._origin_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._origin_depth, 4))
        self._watchdog = SlowStepWatchdog(kernel)
        self._watchdog.start()
        _hook_traps()
        self._unwrap = kernel.wrap_handlers(_checking)  # (subroutine calls too)

    def stop(self):
        """Turn them off again and put the kernel's tables back."""
        sys.set_coroutine_origin_tracking_depth(self._origin_depth)
        self._watchdog.stop()
        self._unwrap()
        _unhook_traps()


def _checking(kind, handler):
    """Debug mode's wrapper for each trap handler (see Kernel.wrap_handlers):
    note every trap the kernel is handed; add the task's stack to the
    TypeError of a wrong yield."""
    if kind is None:
        return _with_stack(handler)
    if kind is GeneratorType or kind is CoroutineType:
        return _checking_owner(handler, lambda coro: coro, "yielded")
    if kind is traps.spawn or kind is traps.call:
        return _noting_yielded(_checking_owner(
            handler, lambda trap: trap.coro, "spawned" if kind is traps.spawn else "called"))
    if isinstance(kind, type) and issubclass(kind, Trap):
        return _noting_yielded(handler)
    return handler


#: The task each generator or coroutine was handed to (spawned or called
#: as a subroutine), while debug mode is on.
_owners = weakref.WeakKeyDictionary()  # type: weakref.WeakKeyDictionary


def _checking_owner(handler, coro_of, verb):
    """``handler``, refusing a generator or coroutine that another task
    still runs, or that has run to its end (see the module docstring)."""
    def handler_checking_owner(task, trap):
        coro = coro_of(trap)
        owner = _owners.get(coro)
        finished = (coro.gi_frame if type(coro) is GeneratorType else coro.cr_frame) is None
        if finished or (owner is not None and owner is not task and not owner.done):
            name = "%s %s()" % ("coroutine" if type(coro) is CoroutineType else "generator",
                                coro.__qualname__)
            if finished:
                why = "which has already run to its end"
            else:
                why = "which task %d %s is running already" % (owner.id, owner.name)
            raise RuntimeError(
                "task %d %s %s the %s at %s, %s: a generator or coroutine runs once, in one "
                "task; call %s(...) again for another" % (
                    task.id, task.name, verb, name, _where(task), why, coro.__name__))
        result = handler(task, trap)
        _owners[coro] = result if verb == "spawned" else task
        return result
    return handler_checking_owner


def _noting_yielded(handler):
    made_pop = _made.pop

    def handler_noting_yielded(task, trap):
        made_pop(id(trap), None)
        return handler(task, trap)
    return handler_noting_yielded


def _with_stack(trap_other):
    def trap_other_with_stack(task, value):
        try:
            if hasattr(value, "_asyncio_future_blocking"):
                # An asyncio Future: no awaitable of ours.  (Where its
                # __await__ is a generator -- PyPy, no C accelerator -- the
                # kernel would run it, get the future back, and so for ever.)
                raise TypeError(_bad_yield_message(task, value))
            return trap_other(task, value)
        except TypeError as error:
            error.args = ("%s\nthe task's stack, outermost call first:\n%s"
                          % (error, format_stack(task)),) + error.args[1:]
            raise
    return trap_other_with_stack


# ========================================== where traps are made and die

def _trap_classes():
    found = []
    todo = [Trap]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


#: PyPy only finalizes objects whose class had ``__del__`` when it was made
#: (a ``__del__`` added later gets a RuntimeWarning and is never called), so
#: the never-yielded check is off there, and a warning says so, once.
_NEVER_YIELDED_CHECK = sys.implementation.name != "pypy"
_said_off = False


def _hook_traps():
    global _users, _said_off
    with _lock:
        _users += 1
        if _users > 1:
            return
        if not _NEVER_YIELDED_CHECK:        # pragma: no cover - PyPy
            if not _said_off:
                _said_off = True
                warnings.warn("debug mode: a trap made but never yielded ('sleep(1)' for "
                              "'yield sleep(1)') is not detected on PyPy, which calls no "
                              "__del__ added to a class after it was made; debug mode's "
                              "other checks are on", RuntimeWarning,
                              stacklevel=_program_level())
            return
        traps.share_sleep_zero(False)      # each sleep(0) its own, to watch it die
        for cls in _trap_classes()[1:]:     # (Trap itself is never made)
            own = cls.__dict__.get("__init__")
            _saved.append((cls, own))
            cls.__init__ = _noting_maker(cls, own)
        Trap.__del__ = _trap_died


def _program_level():
    """The ``stacklevel`` that names, for a warning given by its caller, the
    program's line that turned debug mode on (``run(main(), debug=True)``):
    the first frame outside trampoline."""
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and _in_package(frame):
        frame, level = frame.f_back, level + 1
    return level


def _unhook_traps():
    global _users
    with _lock:
        _users -= 1
        if _users or not _NEVER_YIELDED_CHECK:
            return
        del Trap.__del__
        traps.share_sleep_zero(True)
        for cls, own in _saved:
            if own is None:
                del cls.__init__
            else:
                cls.__init__ = own
        del _saved[:]
        _made.clear()


_TRAPS_MODULE = vars(traps)
_SLEEP_CODE = traps.sleep.__code__


def _noting_maker(cls, own):
    """``cls.__init__`` that also notes the line that made the trap.  (Traps
    made inside another trap's constructor -- ``set_alarm`` checks its
    delay with a ``sleep`` -- are not the user's.)"""
    if own is None and cls.__new__ is object.__new__:     # a trap that takes nothing
        def __init__(self):
            _note_maker(self, sys._getframe(1))
    elif own is None:                   # its __new__ takes the arguments (sleep)
        def __init__(self, *args, **kwargs):  # type: ignore[misc]
            _note_maker(self, sys._getframe(1))
    else:
        def __init__(self, *args, **kwargs):  # type: ignore[misc]  # (either form)
            own(self, *args, **kwargs)
            _note_maker(self, sys._getframe(1))
        __init__.__doc__ = own.__doc__
    return __init__


def _note_maker(trap, frame):
    if frame.f_code is _SLEEP_CODE:     # (made by the function sleep(): its caller made it)
        frame = frame.f_back
    if frame.f_globals is not _TRAPS_MODULE:
        _made[id(trap)] = (frame.f_code, frame.f_lineno)


def _trap_died(trap):
    """``Trap.__del__`` in debug mode: a trap never yielded, dying on the
    very line that made it, is a forgotten ``yield``."""
    made = _made.pop(id(trap), None)
    if made is None:
        return
    code, lineno = made
    frame = sys._getframe(1)
    if frame.f_code is code and frame.f_lineno == lineno:
        log.warning("%s:%d: %r was made but never yielded, so it did nothing (in %s); "
                    "did you mean 'yield %s(...)' (or 'await %s(...)')?",
                    code.co_filename, lineno, trap, code.co_name,
                    type(trap).__name__, type(trap).__name__)


# ================================================ the slow-step watchdog

_STDLIB = tuple(os.path.normcase(os.path.realpath(path)) + os.sep for path in {
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})
_PACKAGE = os.path.normcase(os.path.dirname(os.path.realpath(__file__))) + os.sep


class SlowStepWatchdog:
    """A thread that looks, a few times per ``kernel.slow_step``, whether
    the task step running now has run longer than that; if so it reads the
    loop thread's stack and logs, once per step, the line that blocks.

    The kernel tells it when a step starts and ends: it is an instrument
    (``task_step``, ``task_step_done``), installed with
    ``Kernel.add_instrument``.  A step it did not catch in the act but that
    ran too long is still reported, once it is over.  Only the loop thread
    writes ``_step``; the watchdog only reads it (one tuple, replaced
    whole)."""

    def __init__(self, kernel):
        self.kernel = kernel
        self._step = None           # (serial, task, perf_counter at its start), or None
        self._serial = 0
        self._reported = -1         # the serial of the last step reported
        self._stopped = threading.Event()
        self._thread = None
        self._loop_thread = None

    def start(self):
        kernel = self.kernel
        self._loop_thread = threading.get_ident()
        kernel.add_instrument(self)
        self._stopped.clear()
        self._thread = threading.Thread(target=self._watch, daemon=True,
                                        name="trampoline slow-step watchdog")
        self._thread.start()

    def stop(self):
        self._stopped.set()
        self._thread.join()
        self.kernel.remove_instrument(self)

    # ------------------------------------------------- the loop thread

    def task_step(self, task, value):
        self._serial += 1
        self._step = (self._serial, task, time.perf_counter())

    def task_step_done(self, task, elapsed):
        serial = self._step[0] if self._step is not None else None
        self._step = None
        if elapsed <= self.kernel.slow_step:
            return
        if serial != self._reported:
            # Too quick for the watchdog to see: say it now, after the fact.
            log.warning("%r ran for %.3f s without yielding (it is now at %s); "
                        "it blocks every other task meanwhile", task, elapsed,
                        _where(task) if task.coro is not None else "its end")
        else:                           # named while it blocked: now how long, in all
            log.info("%r: the step reported blocked above ended after %.3f s in all",
                     task, elapsed)

    # ---------------------------------------------------- its own thread

    def _watch(self):
        while not self._stopped.wait(max(self.kernel.slow_step / 4, 0.002)):
            self._look()

    def _look(self):
        """One look at the step under way.  (A call of its own: its locals
        -- the task, the loop thread's frames -- go as it returns, not
        kept by the watching thread until a next slow step.)"""
        step = self._step
        if step is None or step[0] == self._reported:
            return
        serial, task, started = step
        elapsed = time.perf_counter() - started
        if elapsed <= self.kernel.slow_step:
            return
        frame = sys._current_frames().get(self._loop_thread)
        frames = _task_frames(frame)
        if not frames or self._step is not step:    # it yielded meanwhile
            return
        self._reported = serial
        log.warning(_blocked_message(task, elapsed, frames))


def _task_frames(frame):
    """The frames of the running task's step, outermost first: those inside
    the kernel's loop (``_run_until``) -- empty if it is not in one."""
    frames = []
    while frame is not None:
        if frame.f_code.co_name == "_run_until" and _in_package(frame):
            return frames[::-1]
        frames.append(frame)
        frame = frame.f_back
    return []


def _in_package(frame):
    return os.path.normcase(os.path.realpath(frame.f_code.co_filename)).startswith(_PACKAGE)


def _in_stdlib(frame):
    return os.path.normcase(os.path.realpath(frame.f_code.co_filename)).startswith(_STDLIB)


def _blocked_message(task, elapsed, frames):
    """Where the step blocks: the innermost line of the program's own code
    (not the standard library's, not trampoline's), with the stack that
    leads there from the task's generator."""
    coro = task.coro                    # (None if it has ended since)
    code = getattr(coro, "gi_code", None) or getattr(coro, "cr_code", None)
    for index, frame in enumerate(frames):
        if frame.f_code is code:        # (not the kernel's frames that step it)
            frames = frames[index:]
            break
    own = [frame for frame in frames if not _in_stdlib(frame) and not _in_package(frame)]
    culprit = own[-1] if own else frames[-1]
    where = [(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
             for frame in frames[:frames.index(culprit) + 1]]
    source = linecache.getline(culprit.f_code.co_filename, culprit.f_lineno).strip()
    return ("task %d %s has run for %.2f s without yielding, blocked at %s:%d in %s: %s\n"
            "Every other task waits meanwhile.  A blocking call belongs in a thread: "
            "'result = yield run_in_thread(func, *args)' ('await run_in_thread(...)' "
            "in an async def); a wait belongs in a trap ('yield sleep(...)').\n%s"
            % (task.id, task.name, elapsed, culprit.f_code.co_filename, culprit.f_lineno,
               culprit.f_code.co_name, source or "?", format_frames(where)))
