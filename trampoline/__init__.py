"""trampoline: asynchronous network I/O on plain generator coroutines.

A task is a generator that yields *traps* -- ``read``, ``write``, ``accept``,
``sleep``, ``spawn``, ``join`` ... -- to a small kernel, which performs them
and sends the results back.  Yielding a generator calls it as a subroutine.
Standard library only; importing this package has no side effects.

    from trampoline import run, sleep

    def hello():
        yield sleep(0.1)
        return "hello"

    print(run(hello()))
"""

from .errors import Cancelled, ResourceBusy, TaskError, TrampolineError
from .kernel import Kernel, run
from .net import listen
from .task import Task
from .traps import (Trap, accept, call, cancel, connect, current, join, read,
                    read_wait, sleep, spawn, write, write_wait)

__version__ = "0.1.0"

__all__ = [
    "run", "Kernel", "Task", "Trap",
    "read", "write", "accept", "connect", "sleep", "spawn", "join", "cancel",
    "current", "read_wait", "write_wait", "call",
    "listen",
    "TrampolineError", "TaskError", "Cancelled", "ResourceBusy",
]
