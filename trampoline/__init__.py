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

from .clock import VirtualClock
from .combinators import disable_cancellation, select, shield
from .errors import Cancelled, ResourceBusy, TaskError, TrampolineError
from .future import Future
from .kernel import Kernel, WaitQueue, current_task
from .runner import run
from .net import listen
from .sync import (Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event,
                   LifoQueue, Lock, PriorityQueue, Queue, QueueEmpty, QueueFull, QueueShutDown,
                   RLock, Semaphore)
from .signals import SignalSet, signal_wait
from .streams import (IncompleteReadError, LimitOverrunError, Stream, getaddrinfo,
                      open_connection, open_unix_connection, serve, tcp_server, unix_server)
from .task import Task
from .taskgroup import TaskGroup, TaskGroupError
from .threads import WorkerPool, run_in_thread
from .timeouts import (TaskTimeout, TimeoutCancelled, TimeoutScope, current_time, ignore_after,
                       ignore_at, timeout_after, timeout_at)
from .traps import (Trap, accept, call, cancel, connect, current, join, read,
                    read_wait, recvfrom, sendto, sleep, spawn, write, write_wait)
from .udp import udp_socket
from .universal import UniversalQueue
from .workers import CrashLoopError, run_server

__version__ = "0.1.0"

__all__ = [
    "run", "Kernel", "Task", "Trap", "current_task",
    "read", "write", "accept", "connect", "sleep", "spawn", "join", "cancel",
    "current", "read_wait", "write_wait", "call", "recvfrom", "sendto",
    "listen", "udp_socket",
    "Stream", "open_connection", "open_unix_connection", "tcp_server", "unix_server",
    "serve", "getaddrinfo", "IncompleteReadError", "LimitOverrunError",
    "run_in_thread", "WorkerPool", "run_server", "CrashLoopError",
    "Event", "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition",
    "Barrier", "BrokenBarrierError",
    "Queue", "PriorityQueue", "LifoQueue", "QueueEmpty", "QueueFull", "QueueShutDown",
    "Future", "TaskGroup", "TaskGroupError", "WaitQueue", "UniversalQueue",
    "timeout_after", "ignore_after", "timeout_at", "ignore_at", "current_time",
    "TimeoutScope", "TaskTimeout", "TimeoutCancelled",
    "select", "shield", "disable_cancellation", "VirtualClock", "SignalSet", "signal_wait",
    "TrampolineError", "TaskError", "Cancelled", "ResourceBusy",
]
