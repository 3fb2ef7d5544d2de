"""run(): a kernel with the options a program asks for.

The kernel (``kernel.py``) runs tasks and knows nothing above it.  The
conveniences a program wants on top -- debug mode (trampoline.debug), the
monitor (trampoline.monitor), a graceful stop on signals
(trampoline.signals), a trace switched on from the environment
(trampoline.trace) -- are wired in here: this module registers them as the
kernel's ``extensions`` (how ``Kernel(debug=True)``, ``Kernel(monitor=...)``
and ``kernel.run(coro, shutdown_signals=...)`` are served), and ``run()``
reads the environment switches.  The package imports it, so every kernel
made after ``import trampoline`` has them; debug mode, the monitor and the
trace are themselves imported only when asked for.
"""

import os
import sys
from types import CoroutineType, GeneratorType
from typing import Any, Callable, Iterable, Optional

from .kernel import Kernel
from .signals import _shutdown_on
from .task import CoroutineLike, T

__all__ = ["run"]


# Debug mode and the monitor are imported only when a kernel asks for them:
# a program that uses neither loads neither.

def _debug_checks(kernel):
    from .debug import DebugChecks
    return DebugChecks(kernel)


def _monitor(kernel, address):
    from .monitor import Monitor
    return Monitor(kernel, address)


Kernel.extensions.update(debug=_debug_checks, monitor=_monitor, shutdown_signals=_shutdown_on)


def run(coro: "CoroutineLike[T]", *, selector: Any = None, debug: bool = False,
        instruments: Iterable[Any] = (), clock: Optional[Callable[[], float]] = None,
        monitor: Any = False, shutdown_signals: Iterable[int] = ()) -> T:
    """Run ``coro`` in a new kernel and return its result.

    The kernel is closed afterwards.  ``shutdown_signals`` is passed to
    ``Kernel.run``, the other keywords to ``Kernel``.
    The environment switches on what the code did not: ``TRAMPOLINE_DEBUG=1``
    debug mode, ``TRAMPOLINE_MONITOR=1`` (or ``=host:port``) the monitor,
    ``TRAMPOLINE_TRACE=1`` a text trace on stderr -- as does running the
    program under ``python3 -m trampoline.trace``.  ``0`` or an empty
    value leaves each off; a value that reads as off (``false``, ``no``,
    ``off``) is a ``ValueError`` naming the variable, for it would switch
    the thing on.
    """
    try:
        debug, monitor, instruments = _with_environment(debug, monitor, instruments)
        kernel = Kernel(selector=selector, debug=debug, instruments=instruments, clock=clock,
                        monitor=monitor)
    except BaseException:
        if isinstance(coro, (GeneratorType, CoroutineType)):
            coro.close()                # not left to warn it was never awaited
        raise
    with kernel:
        return kernel.run(coro, shutdown_signals=shutdown_signals)


def _with_environment(debug, monitor, instruments):
    """``debug``, ``monitor`` and ``instruments``, with what the environment
    switches on added (run()'s rule; the pytest plugin's too)."""
    debug = _switched_on("TRAMPOLINE_DEBUG", True) is not None or debug
    monitor = monitor or _switched_on("TRAMPOLINE_MONITOR")
    if _switched_on("TRAMPOLINE_TRACE", True) or "trampoline.trace" in sys.modules:
        from .trace import environment_instruments     # imported only when asked for
        try:
            if isinstance(instruments, (str, bytes)):
                raise TypeError         # (not one instrument per letter)
            instruments = list(instruments)
        except TypeError:
            pass                        # (Kernel() says what is wrong)
        else:
            instruments += environment_instruments()
    return debug, monitor, instruments


def _switched_on(name, off_words_too=False):
    """The value of environment variable ``name``, or ``None`` if it is
    unset, empty or "0".  With ``off_words_too``, a value that reads as
    "off" (false, no, off) is a ``ValueError`` naming the variable, as the
    monitor's address parser says (TRAMPOLINE_MONITOR): it would have
    switched the thing on."""
    value = os.environ.get(name, "")
    if value in ("", "0"):
        return None
    if off_words_too and value.strip().lower() in ("false", "no", "off"):
        raise ValueError("%s=%r reads as 'off', but any value other than 0 switches it "
                         "on: to run without it, leave %s out, or set it to 0"
                         % (name, value, name))
    return value
