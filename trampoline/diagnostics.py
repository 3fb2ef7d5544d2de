"""What the kernel says when something goes wrong, in the program's terms.

A kernel is only as teachable as its error messages.  This module turns
the kernel's view of a failure -- a task, a trap, a frame -- into what the
programmer wrote: ``task 3 fetch failed: ZeroDivisionError: division by
zero``; a deadlock as "task 2 waits in Queue.get, called at app.py:12"; a
wrong ``yield`` with the value, the line and what to write instead; and
tracebacks without the loop's own frames between the program's (unless
``TRAMPOLINE_KERNEL_FRAMES=1`` asks for them).

Plain functions of a task or an exception; this module never imports the
kernel, never blocks, and changes nothing but a traceback's links.
"""

import contextvars
import linecache
import os
import sys
from types import AsyncGeneratorType, CoroutineType, GeneratorType, ModuleType

from .errors import TaskError
from .traps import Trap, _describe, _short

__all__ = ["KERNEL_FRAMES"]

# The interpreter's command, as the messages that say what to type name it:
# ``pypy3`` under PyPy (where ``python3`` may not have trampoline at all).
# (Not in __all__: the reference page would show this interpreter's value.)
PYTHON = "pypy3" if sys.implementation.name == "pypy" else "python3"


def _task_error(task):
    exc = task._exception
    if task.cancelled:
        message = "task %d %s was cancelled" % (task.id, task.name)
    else:
        message = "task %d %s failed: %s" % (task.id, task.name, _exception_text(exc))
    error = TaskError(message, task)
    error.__cause__ = exc
    return error


#: Keep the kernel's own frames in the tracebacks of the tasks' exceptions
#: (``TRAMPOLINE_KERNEL_FRAMES=1``): for debugging the kernel itself.  By
#: default they are trimmed, so that an error raised three subroutine calls
#: deep shows those three calls, in order, as a plain call stack would --
#: not the loop's ``throw`` between every two of them.
KERNEL_FRAMES = os.environ.get("TRAMPOLINE_KERNEL_FRAMES", "") not in ("", "0")

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep

# The files whose frames are the loop's own: the kernel and its mixins, and
# debug mode, whose wrappers stand around every trap handler while it is on
# (so a failed trap's traceback is the same with debug mode as without).
_KERNEL_FILES = frozenset([os.path.join(os.path.dirname(__file__), name)
                           for name in ("kernel.py", "descriptors.py", "hostloop.py",
                                        "lifetime.py", "instruments.py", "timers.py",
                                        "debug.py")]
                          # (PyPy: Context.run, through which the loop steps a
                          # task, is Python code of its own, in _contextvars.py)
                          + [code.co_filename for code in
                             [getattr(contextvars.Context.run, "__code__", None)] if code])


def _trim_kernel_frames(exc):
    """Cut the loop's own entries off the front of ``exc``'s traceback.
    Each level of the trampoline an exception goes through puts its entries
    in front (the loop's frame, then the generator it threw into), so
    trimming the front at every level leaves none in between -- and costs
    the same at every level, however deep the calls (trimming the whole
    chain each time would cost the square of the depth)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _KERNEL_FILES:
        tb = tb.tb_next
    exc.__traceback__ = tb
    if type(exc) is TypeError and exc.args == _AWAITED_GENERATOR:
        exc.args = (_awaited_generator(tb),)


#: How the kernel's deadlock error begins (``_deadlock``, timers.py).
DEADLOCK = "deadlock: every task is waiting on another task, and nothing can wake any of them"


def _is_deadlock(error):
    """Whether ``error`` is the kernel's deadlock error: what ``run()`` and
    the pytest plugin show by its message alone, which says where each task
    waits (the loop's frames say nothing)."""
    return type(error) is RuntimeError and str(error).startswith(DEADLOCK)


#: Python's words for ``await f()`` where ``f`` is a generator function.
_AWAITED_GENERATOR = ("object generator can't be used in 'await' expression",)


def _awaited_generator(tb):
    """Python's message, then what it means in a task: a generator
    function is called with ``yield``, or awaited through ``call``."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    line = "" if tb is None else linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno)
    awaited = line.partition("await ")[2].split("#")[0].strip()
    if not awaited.endswith(")"):
        awaited = "f(...)"
    return ("%s: %s is a generator (a def with yield), not a coroutine; in an async def, "
            "await it with 'await call(%s)', or make it an async def"
            % (_AWAITED_GENERATOR[0], awaited, awaited))


def _exception_text(exc):
    """``ZeroDivisionError: division by zero``, as a traceback's last line."""
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def _waiting_in(task):
    """What a parked task waits in, in the program's terms: the library
    call it made (``Queue.get``, ``Lock.acquire``...) and the line that
    made it -- not the wait queue underneath."""
    calls = []                          # (generator or coroutine, its frame), outermost first
    for coro in [*task._stack, task._coro]:
        while coro is not None:
            frame = getattr(coro, "gi_frame", None) or getattr(coro, "cr_frame", None)
            if frame is None:           # (an iterator that is no generator: its end)
                break
            calls.append((coro, frame))
            coro = getattr(coro, "gi_yieldfrom", None) or getattr(coro, "cr_await", None)
    own = [i for i, (_, frame) in enumerate(calls)
           if not frame.f_code.co_filename.startswith(_PACKAGE)]
    if not own:                         # one of trampoline's own tasks
        return "%r" % task
    caller = calls[own[-1]][1]
    if own[-1] + 1 < len(calls):        # the library's call, outermost: Queue.get
        coro, frame = calls[own[-1] + 1]
        owner = frame.f_locals.get("self")
        if owner is not None:           # a method: named after the object's class
            what = "%s.%s" % (type(owner).__name__, frame.f_code.co_name)
        else:                           # a function: its name, as the call made it
            what = coro.__qualname__
    else:                               # a trap yielded by the program itself
        what = "%r" % (task._waiting,)
    return "task %d %s waits in %s, called at %s:%d (in %s)" % (
        task.id, task.name, what, caller.f_code.co_filename, caller.f_lineno,
        caller.f_code.co_name)


def _yielding_frames(task):
    """The frames from the task's current generator to the one that yielded
    now, through its ``yield from`` and ``await`` chain (without the trap's
    own ``__await__`` under every ``await sleep(1)``)."""
    return _yielding_frames_of(task._coro)


def _yielding_frames_of(coro):
    frames = []
    while coro is not None:
        frame = coro.gi_frame if type(coro) is GeneratorType else getattr(coro, "cr_frame", None)
        if frame is None:               # (an iterator that is no generator: its end)
            break
        if not (frame.f_code.co_name == "__await__"
                and frame.f_globals.get("__name__") == "trampoline.traps"):
            frames.append(frame)
        coro = getattr(coro, "gi_yieldfrom", None) or getattr(coro, "cr_await", None)
    return frames


def _yielded_expression(task):
    """What the line where the task yielded yields ("lock.release()"), or
    "" for a bare ``yield`` (or a line that cannot be read)."""
    frame = _yielding_frames(task)[-1]
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    _, found, after = line.partition("yield ")
    return after.split("#")[0].strip() if found else ""


def _where(task):
    """file:line where the task yielded: the innermost frame of its ``yield
    from`` / ``await`` chain -- the line that yielded, not the ``yield
    from`` above it."""
    frame = _yielding_frames(task)[-1]
    return "%s:%d" % (frame.f_code.co_filename, frame.f_lineno)


def _is_asyncio(frame):
    return frame.f_globals.get("__name__", "").partition(".")[0] == "asyncio"


_USE_AWAIT_ASYNCIO = (
    "asyncio code waits on an asyncio event loop, and trampoline's kernel is none: use "
    "trampoline's own calls (sleep, open_connection, Queue...), or run the asyncio code "
    "on an asyncio loop with 'result = yield await_asyncio(coro)' ('await "
    "await_asyncio(coro)' in an async def; from trampoline.aio)")


def _asyncio_message(task, value):
    """The message for asyncio code awaited in a task (``await
    asyncio.sleep(0)``, an asyncio ``Future``), or None if it is not that."""
    frames = _yielding_frames(task)
    inside = [index for index, frame in enumerate(frames) if _is_asyncio(frame)]
    if inside and inside[0] > 0:        # awaited from the program: its line, then asyncio's
        caller, entered = frames[inside[0] - 1], frames[inside[0]]
        owner = entered.f_locals.get("self")
        if entered.f_code.co_name == "__await__" and owner is not None:
            what = "the asyncio %s" % type(owner).__name__      # (pure-Python asyncio)
        else:
            what = "asyncio's %s()" % entered.f_code.co_name
        return ("task %d %s awaited %s at %s:%d, which yielded %s to asyncio's "
                "event loop (at %s:%d); %s" % (
                    task.id, task.name, what,
                    caller.f_code.co_filename, caller.f_lineno,
                    "None" if value is None else _describe(value),
                    frames[-1].f_code.co_filename, frames[-1].f_lineno, _USE_AWAIT_ASYNCIO))
    if getattr(type(value), "_asyncio_future_blocking", None) is not None:
        return ("task %d %s yielded the asyncio %s %s at %s; %s" % (
            task.id, task.name, type(value).__name__, _short(value), _where(task),
            _USE_AWAIT_ASYNCIO))
    return None


def _bad_yield_message(task, value):
    asyncio_message = _asyncio_message(task, value)
    if asyncio_message is not None:
        return asyncio_message
    where = "task %d %s yielded %%s at %s" % (task.id, task.name, _where(task))
    if isinstance(value, type) and issubclass(value, Trap):
        return (where % ("the trap function %s itself" % value.__name__)
                + "; call it to make a trap: yield %s(...)" % value.__name__)
    if callable(value) and not isinstance(value, Trap):
        name = getattr(value, "__qualname__", repr(value))
        kind = "function"
        # As the program wrote it: "lock.acquire" rather than "Lock.acquire".
        written = _yielded_expression(task)
        if (written.rpartition(".")[2] == getattr(value, "__name__", None)
                and written.replace(".", "").replace("_", "").isalnum()):
            name = written
            if not isinstance(getattr(value, "__self__", None), (type(None), ModuleType)):
                kind = "method"
        return (where % ("the %s %s" % (kind, name))
                + "; yield a trap or a generator: call it, yield %s(...)" % name)
    if value is None:
        call = _yielded_expression(task)
        if call:                        # "yield lock.release()": a plain call
            return (where % ("None (what %s returned)" % call)
                    + ", which is not a trap: %s is a plain call, not a trap or a "
                      "coroutine; make it without 'yield'" % call)
        return (where % "None (a bare 'yield')"     # as in a plain generator
                + ", which is not a trap: to let the other tasks run, yield sleep(0) "
                  "(await sleep(0) in an async def)")
    if type(value) in (list, tuple, set) and value and all(
            isinstance(each, Trap) or type(each) in (GeneratorType, CoroutineType)
            for each in value):       # tornado's "yield [a, b]"
        return (where % _describe(value)
                + ", which is not a trap: a list of traps or coroutines is not waited "
                  "for here; to run them at once, spawn each ('yield spawn(...)') and join "
                  "them, or use a TaskGroup; select(...) waits for the first")
    if type(value) is AsyncGeneratorType:
        return (where % _describe(value)
                + ", which is not a trap: an async generator (an async def with a yield in "
                  "it) cannot run as a subroutine or a task; iterate it with 'async for' in "
                  "an async def")
    subroutine = _subroutine_of(task)
    if subroutine:
        return (where % _describe(value) + ", which is not a trap; " + subroutine)
    return (where % _describe(value)
            + ", which is not a trap; yield a trap (read, write, sleep, spawn, ...) "
              "or a generator to call it as a subroutine")


def _subroutine_of(task):
    """For a value yielded by a generator of the program's that runs as a
    subroutine (``yield numbers()``): what that means, as a hint; else ""."""
    if not task._stack or type(task._coro) is not GeneratorType:
        return ""
    code = task._coro.gi_code
    if code.co_filename.startswith(_PACKAGE) or code is not _yielding_frames(task)[-1].f_code:
        return ""
    caller = _yielding_frames_of(task._stack[-1])
    if not caller:
        return ""                       # pragma: no cover - a caller is suspended
    frame = caller[-1]
    if code.co_name.startswith("<"):    # <genexpr>
        what, loop = "the generator expression", "for x in (... for ...)"
    else:
        what, loop = code.co_name + "()", "for x in %s(...)" % code.co_name
    return ("%s runs as a subroutine of the task, as %s yielded it at %s:%d (yielding a "
            "generator calls it), so each of its yields goes to the kernel and must be a "
            "trap; to loop over a plain generator's values, iterate it without 'yield' "
            "('%s')" % (what, frame.f_code.co_name, frame.f_code.co_filename, frame.f_lineno,
                        loop))
