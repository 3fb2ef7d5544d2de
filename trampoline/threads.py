"""Threads: blocking calls run off the loop, in a bounded pool of workers.

Some calls block and have no non-blocking form: ``getaddrinfo`` (DNS), a
read from a regular file, a C library that knows nothing of us.  Called
from a task they would stop every task.  ``run_in_thread(func, *args)``
hands such a call to a worker thread and parks the task until the result
comes back; meanwhile the kernel runs everybody else.

The idea: the task puts a *job* on the pool's queue and parks on a
``WaitQueue(threadsafe=True)`` of its own.  A worker thread runs the job
and hands it back with ``Kernel.call_threadsafe`` -- the kernel's one door
between threads -- so the wake-up happens in the kernel's thread, between
tasks.  The task never touches the thread; the thread never touches a task.
The pool is bounded (``max_workers``): jobs beyond it wait their turn, so a
burst of slow look-ups cannot start a thousand threads.  Workers start on
demand and end after ``idle_timeout`` seconds without work.

What it must never do: block the kernel's thread (no ``Thread.join``, no
lock held across a ``yield``), kill a thread (a cancelled task leaves its
call running; the outcome is dropped), or reach into the kernel's insides
(only the ``sleep``, ``current_kernel`` and ``park`` traps and
``call_threadsafe``).
"""

import contextvars
import os
import threading
import time
import weakref
from collections import deque
from types import CoroutineType, coroutine
from typing import Any, Callable, Deque, Generator, List, Optional, TypeVar

from .kernel import WaitQueue
from .traps import _describe, current_kernel, park, sleep

__all__ = ["run_in_thread", "WorkerPool", "DEFAULT_MAX_WORKERS"]

T = TypeVar("T")

#: How many worker threads the default pool may run at once (the rule of
#: ``concurrent.futures.ThreadPoolExecutor``: enough for blocking I/O, not
#: so many that a burst exhausts the process).
DEFAULT_MAX_WORKERS = min(32, (os.cpu_count() or 1) + 4)


class _Job:
    """One call handed to a worker: the function, and its outcome."""

    __slots__ = ("func", "args", "context", "kernel", "finished", "result", "error",
                 "abandoned")

    def __init__(self, func, args, kernel):
        self.func = func
        self.args = args
        self.context = contextvars.copy_context()  # the calling task's: the call runs in it
        self.kernel = kernel                        # whose thread to hand it back to
        # The task parks here.  keep=True: a task woken with the outcome and
        # cancelled before it runs still gets the outcome (the cancellation
        # comes at its next blocking trap): what the call made is not lost.
        self.finished = WaitQueue(threadsafe=True, keep=True)
        self.result = None
        self.error = None
        self.abandoned = False                      # the task gave up (cancelled)

    def run(self):
        """In a worker thread: make the call.  Returns whether it did (then
        ``hand_back`` must follow)."""
        func, args, context = self.func, self.args, self.context
        # Once taken, the job keeps neither the call nor (once the task has
        # it) its outcome: the worker holds the job until its next one.
        self.func = self.args = self.context = None
        if self.abandoned or self.kernel.closed:    # cancelled while queued, or its
            return False                            # kernel closed: nobody waits, do not start
        try:
            result = context.run(func, *args)
            if type(result) is CoroutineType:   # an async def: nothing ran
                result.close()                  # (no "never awaited" warning)
                raise TypeError("run_in_thread(%s): that is an async function -- the call "
                                "made a coroutine, not a result; await it in the task "
                                "instead" % (getattr(func, "__qualname__", None)
                                             or repr(func)))
            self.result = result
        except BaseException as exc:    # everything goes back to the task
            self.error = exc
        return True

    def hand_back(self):
        """In the worker thread, after ``run``: wake the task (in its kernel's thread)."""
        try:
            self.kernel.call_threadsafe(self._deliver)
        except RuntimeError:            # the kernel was closed meanwhile: nobody waits
            pass

    def _deliver(self):
        """In the kernel's thread: wake the task that waits for this job.
        (It parked in the same step that submitted the job, so it is there.)"""
        if self.abandoned:              # nobody waits: the outcome is dropped
            self.result = self.error = None
        else:
            self.finished.wake(1)


class WorkerPool:
    """At most ``max_workers`` threads running blocking calls for tasks.

    ``result = yield pool.run(func, *args)`` (or ``await pool.run(...)``).
    Threads start when there is work and no idle worker to take it, up to
    ``max_workers``; further jobs wait in line (first come, first served).
    ``max_workers=None`` (the default) is ``DEFAULT_MAX_WORKERS``, as for
    ``concurrent.futures.ThreadPoolExecutor``.  A worker idle for
    ``idle_timeout`` seconds ends (``None``: never).  A ``max_workers``
    that is no int >= 1 (a bool, a float), or an ``idle_timeout`` that is
    no finite number >= 0, raises ``ValueError``.  Workers are daemon
    threads: a call still blocked when the program ends does not keep it
    alive.  One pool may serve several kernels, in several threads.

    A process forked from this one starts with no workers and no jobs (the
    parent's are the parent's), and starts workers of its own as it needs
    them.
    """

    def __init__(self, max_workers: Optional[int] = None, *,
                 idle_timeout: Optional[float] = 10.0,
                 name: str = "trampoline-worker") -> None:
        if max_workers is None:             # (not in the signature: it is this machine's)
            max_workers = DEFAULT_MAX_WORKERS
        if type(max_workers) is not int or max_workers < 1:
            raise ValueError("WorkerPool: max_workers must be an int >= 1, got %r"
                             % (max_workers,))
        if idle_timeout is not None and not (
                type(idle_timeout) in (int, float) and 0 <= idle_timeout < float("inf")):
            raise ValueError("WorkerPool: idle_timeout must be a number of seconds >= 0 "
                             "(or None: never), got %r" % (idle_timeout,))
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self.name = name
        self._started = 0                   # threads ever started (names them)
        self._reset()
        _pools.add(self)

    def _reset(self) -> None:
        """No workers, no jobs: a new pool (and, after a fork, the child's:
        the parent's threads are not there, and a lock one of them held
        would stay held)."""
        self._jobs = deque()                # type: Deque[_Job]  # no worker has taken them yet
        self._lock = threading.Lock()
        self._work_to_do = threading.Condition(self._lock)
        self._workers = 0                   # threads alive
        self._idle = 0                      # of which waiting for a job
        self._retiring = False              # (see _retire)
        self._retired = threading.Condition(self._lock)
        self._gone = []                     # type: List[threading.Thread]  # retired, to join

    @property
    def workers(self) -> int:
        """How many worker threads are alive now."""
        return self._workers

    @coroutine
    def run(self, func: Callable[..., T], *args: Any) -> Generator[Any, Any, T]:
        """``result = yield pool.run(func, *args)``

        Call ``func(*args)`` in a worker thread and return its result; its
        exception is raised here (but a ``StopIteration`` comes as the
        ``RuntimeError`` "generator raised StopIteration": no generator may
        raise it, PEP 479).  The task waits, the kernel does not.  If
        the task is cancelled (or times out) while waiting, the thread is
        not stopped -- the call runs to its end and its outcome is dropped
        -- but the task moves on at once; a call that had not started yet
        never starts (nor does one whose kernel is closed before it starts:
        ``close()`` drops the task that waits).  It begins with a
        checkpoint, as trio's ``to_thread.run_sync``: a task already
        cancelled, or past its deadline, gets its cancellation there and
        the call never starts.  A cancellation that comes once the outcome is back
        (the task woken, not yet run) waits for the task's next blocking
        trap: the outcome is not lost.  Raises ``TypeError`` if ``func`` is
        not callable, or is an async function (its call returns a
        coroutine: closed, not returned).
        """
        if not callable(func):
            raise TypeError("run_in_thread() needs a function to call, got %s"
                            % _describe(func))
        # The checkpoint: a cancellation already pending, or an alarm whose
        # deadline has passed (it goes off as the loop comes round), comes
        # here -- not at the park below, after a worker may have started the call.
        yield sleep(0)
        kernel = yield current_kernel()
        job = _Job(func, args, kernel)
        self._submit(job)
        try:
            yield park(job.finished)
        except BaseException:
            job.abandoned = True
            raise
        error = job.error
        if error is not None:
            # No cycle through the traceback, which holds this frame: neither
            # the job nor a local may keep the error (as concurrent.futures).
            job.error = None
            try:
                raise error
            finally:
                del error
        result, job.result = job.result, None
        return result

    def _submit(self, job):
        with self._lock:
            if len(self._jobs) >= self._idle and self._workers < self.max_workers:
                self._started += 1
                thread = threading.Thread(target=self._work, daemon=True,
                                          name="%s-%d" % (self.name, self._started))
                thread.start()          # it waits for the lock we hold
                self._workers += 1
            self._jobs.append(job)
            self._work_to_do.notify()

    def _work(self):
        """A worker thread: take jobs until none comes for idle_timeout
        (or, while the pool retires its workers, until none is left).

        It counts as idle from *before* it hands an outcome back until it
        takes its next job: the task it wakes may submit its next call at
        once, and must find this worker idle, not start another thread."""
        jobs = self._jobs
        idle = False                        # counted in self._idle
        while True:
            with self._lock:
                while not jobs:
                    if not idle:
                        self._idle += 1
                        idle = True
                    if self._retiring:
                        self._leave()
                        return
                    woken = self._work_to_do.wait(self.idle_timeout)
                    if not woken and not jobs:
                        self._leave()
                        return
                if idle:
                    self._idle -= 1
                    idle = False
                job = jobs.popleft()
            if job.run():
                with self._lock:
                    self._idle += 1
                    idle = True
                job.hand_back()
            job = None                      # (idle, it holds no job)

    def _leave(self):
        """A worker ends (the lock held; it was counted idle)."""
        self._idle -= 1
        self._workers -= 1
        if self._retiring:
            self._gone.append(threading.current_thread())
            self._retired.notify_all()

    def _retire(self, timeout):
        """End every worker as soon as it has no job, and wait (at most
        ``timeout`` seconds) until their threads are gone.  For a fork
        (``run_server(workers=N)``): a child gets only the forking thread,
        and a lock another thread held then would stay held in the child.
        Workers start again with the next job."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._retiring = True
            self._work_to_do.notify_all()
            try:
                while self._workers and self._retired.wait(
                        max(deadline - time.monotonic(), 0)):
                    pass
            finally:
                self._retiring = False
            gone, self._gone = self._gone, []
        for thread in gone:             # (out of the lock: they are returning now)
            thread.join(timeout)

    def __repr__(self):
        return "<WorkerPool workers=%d/%d idle=%d queued=%d>" % (
            self._workers, self.max_workers, self._idle, len(self._jobs))


_default_pool = None
_default_pool_lock = threading.Lock()

#: Every pool, for retire_workers and for a forked child to reset.
_pools = weakref.WeakSet()  # type: weakref.WeakSet[WorkerPool]


def _retire_workers(timeout: float = 2.0) -> None:
    """End the worker threads of every pool that have no job, and wait
    until they are gone: a process about to fork (``run_server``) must not
    count trampoline's own idle threads as threads running.  (Threads
    still busy with a call stay.)"""
    for pool in list(_pools):
        pool._retire(timeout)


def _after_fork_in_child():
    global _default_pool_lock
    _default_pool_lock = threading.Lock()
    for pool in list(_pools):
        pool._reset()


if hasattr(os, "register_at_fork"):    # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_pool():
    """The process-wide pool ``run_in_thread`` uses (made on first use)."""
    global _default_pool
    with _default_pool_lock:
        if _default_pool is None:
            _default_pool = WorkerPool(DEFAULT_MAX_WORKERS)
        return _default_pool


def run_in_thread(func: Callable[..., T], *args: Any) -> Generator[Any, Any, T]:
    """``result = yield run_in_thread(func, *args)``

    Call ``func(*args)`` in a worker thread of the default pool (at most
    ``DEFAULT_MAX_WORKERS`` threads) and return its result, without blocking
    the loop: for blocking calls such as DNS look-ups or file reads.  The
    exception ``func`` raises is raised here (a ``StopIteration`` as
    ``RuntimeError``, PEP 479's for a generator).  Cancelling the waiting task
    does not kill the thread: the task moves on at once and the result is
    discarded (once the result is back, it is returned, and the cancellation
    comes at the task's next blocking trap).  A task already cancelled or
    past its deadline is cancelled before the call starts (it never does).
    Keyword arguments: pass ``functools.partial(func, key=...)``.  An async function raises
    ``TypeError`` (await it in the task instead).
    ``func`` runs in a copy of the calling task's ``contextvars`` context.
    Awaitable in an ``async def``.
    """
    return default_pool().run(func, *args)
