"""asyncio, both ways: a kernel inside an asyncio loop, and asyncio code
awaited from trampoline tasks.

**trampoline inside asyncio.**  An asyncio program does not give the
kernel a thread or a ``run()`` of its own: ``AsyncioDriver(kernel)`` has
the running asyncio loop drive it, a round at a time.  The loop watches
``kernel.fileno()`` (readable when the kernel has I/O to process, or a call
handed in by another thread) and calls ``kernel.run_once()`` then; after
each round the driver asks ``kernel.next_deadline()`` when the kernel needs
another round even if no I/O comes, and sets an asyncio timer for it.
Neither loop blocks the other, and they share the thread, so a trampoline
task may touch asyncio objects (set an ``asyncio.Event``) and asyncio code
may ``await driver.run(coro)`` for a trampoline coroutine's result.
``run_trampoline(coro)`` is the short form: a fresh kernel, driven until
``coro`` is done.

**asyncio inside trampoline.**  An asyncio-only library (a database
driver, an HTTP client) runs on an asyncio loop.
``result = yield await_asyncio(coro)`` runs the asyncio coroutine ``coro``
on such a loop and parks the task until it is done: on the loop that drives
this kernel, if an ``AsyncioDriver`` does, else on a loop of its own in a
daemon thread (``AsyncioThread``; one per process by default, started on
first use).  The outcome comes back through ``call_threadsafe``, the
kernel's one door between threads.  Cancelling the waiting task cancels
the asyncio task, and so does closing the kernel while it waits
(``Kernel.on_close``).

What it must never do: import asyncio into the kernel (this module is a
layer above it, on public API: ``run_once``, ``next_deadline``,
``fileno``, ``call_threadsafe``, traps), block either loop, or leave an
asyncio task running for a trampoline task that has gone.
"""

import asyncio
import os
import threading
import weakref
from types import CoroutineType, GeneratorType, coroutine
from typing import (Any, Awaitable, Callable, Coroutine, Dict, Generator, List, Optional,
                    Set, Tuple, TypeVar, Union, cast)

from .combinators import disable_cancellation
from .errors import Cancelled
from .kernel import Kernel, WaitQueue
from .task import Task
from .traps import _close_dropped, _describe, _prime, call, cancel, current, current_kernel, park

__all__ = ["AsyncioDriver", "run_trampoline", "await_asyncio", "AsyncioThread"]

T = TypeVar("T")

#: A trampoline coroutine: a generator yielding traps, or an ``async def``
#: coroutine object.
TrampolineCoroutine = Union[Generator[Any, Any, T], Coroutine[Any, Any, T]]

# The driver of each kernel driven by an asyncio loop (await_asyncio then
# uses that loop).  Weak: a kernel that goes away takes its entry along --
# and each entry holds its driver weakly, for a driver holds its kernel: an
# entry holding it would keep its kernel, never closed, for ever.
_drivers = weakref.WeakKeyDictionary()  # type: weakref.WeakKeyDictionary[Kernel, Any]



def _driver_of(kernel: Kernel) -> "Optional[AsyncioDriver]":
    """The driver of ``kernel``, if one drives it.  One whose loop was
    closed (``asyncio.run()`` ended, the driver never closed) drives
    nothing: it is closed now, and the kernel free for another loop (a
    closed loop claimed it for ever, and ``await_asyncio`` sent coroutines
    there, to fail)."""
    entry = _drivers.get(kernel)
    driver = None if entry is None else entry()
    if driver is not None and driver.loop.is_closed():
        driver.close()
        driver = None
    return driver


# =============================================== trampoline inside asyncio

class AsyncioDriver:
    """Drives ``kernel`` from the asyncio ``loop`` (default: the running
    one; without ``loop``, make it inside a coroutine), a round at a time,
    until ``close()``.

    ``async with AsyncioDriver(kernel) as driver: ...`` closes it on the
    way out.  Start tasks with ``kernel.spawn(coro)`` followed by
    ``driver.schedule()`` (so that the new task runs at once), or await
    a result with ``await driver.run(coro)``.  Raises ``RuntimeError`` if
    the kernel is already driven (by a loop not closed: a driver whose loop
    was closed is closed then).  Once the kernel is closed, the driver
    closes too (``Kernel.on_close``).  A kernel on a ``VirtualClock`` keeps
    its virtual time: its timers take no real time, as under ``run()``
    (while its tasks also wait on I/O, the round that moves the clock
    waits for the clock's ``autojump_threshold`` first, the asyncio loop
    with it).
    """

    def __init__(self, kernel: Kernel, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        if _driver_of(kernel) is not None:
            raise RuntimeError("%r is already driven by an asyncio loop" % (kernel,))
        self.kernel = kernel
        self.loop = loop if loop is not None else asyncio.get_running_loop()
        self._timer = None              # type: Optional[asyncio.Handle]
        self._closed = False
        self._failure = None            # type: Optional[Exception]  # why run_once() refused
        # run()'s waits for a cancelled task's cleanup (close() ends them).
        self._cleanups = set()          # type: Set[asyncio.Future[None]]
        # run()'s waits for a result, and what each runs (for the
        # RuntimeError if the kernel is closed meanwhile).
        self._waiting = {}              # type: Dict[asyncio.Future[Any], str]
        # A duplicate of the kernel's descriptor, ours until close(): a
        # kernel closed first closes its own, and the loop must not watch
        # that number, which the next socket opened gets.
        self._fd = os.dup(kernel.fileno())
        try:
            self.loop.add_reader(self._fd, self.step)
            self._forget_close = kernel.on_close(self._kernel_closed)
        except BaseException:
            self.loop.remove_reader(self._fd)
            os.close(self._fd)
            raise
        _drivers[kernel] = weakref.ref(self)
        self.schedule()

    def step(self) -> None:
        """One round of the kernel, then the timer for the next.  asyncio
        calls it; call it yourself after ``kernel.spawn`` if you like.
        Once the kernel is closed it does nothing (the driver closes).  A
        round the kernel refuses (``run_once()`` raises: this loop runs
        inside one of a kernel's tasks) fails the ``run()`` awaits with that
        error, and closes the driver."""
        self._round(0)

    def _round(self, timeout: float) -> None:
        """``step`` with a ``run_once(timeout)`` round (see ``schedule``)."""
        if self._closed:
            return
        if self.kernel.closed:         # closed under us: stop driving it
            self.close()
            return
        try:
            self.kernel.run_once(timeout)
        except Exception as exc:        # it cannot run here (the loop runs inside a
            self._cannot_drive(exc)     # task of a kernel, or the kernel in another thread)
            return
        self.schedule()

    def _cannot_drive(self, exc: Exception) -> None:
        """``run_once()`` refused to run: fail the ``run()`` awaits with
        why, and close.  (Else asyncio logged the error, the kernel's
        descriptor stayed readable, and the loop called ``step`` again and
        again while ``run()`` waited for ever.)"""
        for future, what in list(self._waiting.items()):
            if not future.done():
                error = RuntimeError("AsyncioDriver.run(%s()): this loop cannot drive %r: "
                                     "%s" % (what, self.kernel, exc))
                error.__cause__ = exc
                future.set_exception(error)
        self._failure = exc
        self.close()

    def schedule(self) -> None:
        """Be back when the kernel's next timer is due (at once, if tasks
        are ready); I/O brings the loop back through its reader anyway."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._closed or self.kernel.closed:
            return
        delay = self.kernel.next_deadline()
        if delay and self.kernel.virtual_time:
            # Virtual seconds, not to be waited out: a round that moves the
            # clock to the next timer, as run() does -- at once if only timers
            # can wake a task; else after the clock's autojump threshold of
            # real time with nothing happening (the loop waits in that round).
            self._timer = self.loop.call_soon(self._round, delay)
        elif delay is not None:
            self._timer = self.loop.call_later(delay, self.step)

    async def run(self, coro: "TrampolineCoroutine[T]", *, name: Optional[str] = None) -> T:
        """Run the trampoline coroutine ``coro`` as a task of the kernel and
        return its result (its exception is raised here).  The task is
        named ``name``, by default as ``spawn`` names one: for the
        coroutine's function (``fetch``).  Cancelling the
        awaiting asyncio task cancels the trampoline task (its ``finally``
        blocks run) before ``CancelledError`` goes on -- even if the asyncio
        task is cancelled again meanwhile (a timeout, then the shutdown), as
        long as the driver is not closed.  Once the driver or the kernel is
        closed, nothing runs the trampoline task: ``CancelledError`` goes on
        at once.  Raises ``RuntimeError`` if the driver is closed, and if
        the kernel is closed while this waits for the result (``close()``
        drops the tasks still alive: nothing will run this one again)."""
        if self._closed:
            if hasattr(coro, "close"):
                coro.close()            # (never started: no "never awaited" warning)
            raise RuntimeError("AsyncioDriver.run(): %r is closed%s" % (
                self, "" if self._failure is None else
                " (the kernel could not run here: %s)" % (self._failure,))) from self._failure
        future = self.loop.create_future()
        what = getattr(coro, "__name__", None) or type(coro).__name__
        # Named for the work, not for the wrapper (the trace, the monitor
        # and errors showed "task 1 _outcome_into").
        task = self.kernel.spawn(_primed_outcome_into(future, coro),
                                 name=_name_of(coro) if name is None else name)
        self._waiting[future] = what
        self.schedule()
        try:
            return cast(T, await asyncio.shield(future))
        except asyncio.CancelledError:
            if self._closed or self.kernel.closed:
                raise                   # nothing will run the task's cleanup now
            stopped = self.loop.create_future()     # (cancelling a finished task
            helper = self.kernel.spawn(_cancel_then_set(task, stopped),     # does nothing)
                                       name="trampoline: cancelling task %d" % task.id)
            _bookkeeping.add(helper)                # (run_trampoline's end leaves it be)
            self.schedule()
            self._cleanups.add(stopped)
            try:
                while not stopped.done():
                    try:
                        await asyncio.shield(stopped)
                    except asyncio.CancelledError:
                        pass            # cancelled again: the cleanup still runs
            finally:
                self._cleanups.discard(stopped)
            raise
        finally:
            del self._waiting[future]

    def _kernel_closed(self) -> None:
        """``Kernel.on_close``, in the thread that closed the kernel: stop,
        in the loop's thread."""
        try:
            here = asyncio.get_running_loop() is self.loop
        except RuntimeError:            # no loop running in this thread
            here = False
        if here:
            self._stop_for_closed_kernel()
            return
        try:
            self.loop.call_soon_threadsafe(self._stop_for_closed_kernel)
        except RuntimeError:            # the loop is closed: nobody awaits there now
            self.close()

    def _stop_for_closed_kernel(self) -> None:
        """The kernel was closed: fail the ``run()`` awaits (nothing will
        run their tasks again), and close."""
        for future, what in list(self._waiting.items()):
            if not future.done():
                future.set_exception(RuntimeError(
                    "AsyncioDriver.run(%s()): %r was closed while this waited for the task "
                    "(close() drops the tasks still alive: cancel them, or let them end, "
                    "first)" % (what, self.kernel)))
        self.close()

    def close(self) -> None:
        """Stop driving the kernel (it is not closed: its tasks stay as
        they are).  Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for stopped in list(self._cleanups):    # nothing will run those cleanups now
            if not stopped.done():
                stopped.set_result(None)
        self.loop.remove_reader(self._fd)
        os.close(self._fd)
        _drivers.pop(self.kernel, None)     # (gone: the kernel is being collected)
        self._forget_close()

    async def __aenter__(self) -> "AsyncioDriver":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<AsyncioDriver %s %r>" % ("closed" if self._closed else "driving", self.kernel)


def _name_of(coro: Any) -> str:
    """The name ``spawn(coro)`` would give its task (``Task.name``)."""
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def _primed_outcome_into(future: "asyncio.Future[Any]",
                         coro: "TrampolineCoroutine[Any]") -> Generator[Any, Any, None]:
    """``_outcome_into``, run to its first ``yield``: a task cancelled
    before its first step has ``Cancelled`` thrown in there, inside its
    ``try`` (a generator never started would raise it without running a
    line, and the awaiting ``run()`` heard nothing, for ever)."""
    outcome = _outcome_into(future, coro)
    next(outcome)
    return outcome


def _outcome_into(future: "asyncio.Future[Any]",
                  coro: "TrampolineCoroutine[Any]") -> Generator[Any, Any, None]:
    """A trampoline task: run ``coro`` and put its outcome into the asyncio
    ``future`` (the two loops share the thread, so it may)."""
    # Only this task sets ``future`` (the awaiting side shields it) -- and
    # the driver, if the kernel is closed first (this frame may be closed
    # later, when the dropped task is collected).
    started = False
    try:
        yield                           # primed (_primed_outcome_into): here until it runs
        started = True
        result = yield call(coro)
    except (Cancelled, GeneratorExit):  # (GeneratorExit: the task was dropped, and is
        future.cancel()                 # collected; a cancelled future logs nothing)
        raise
    except BaseException as exc:
        if not future.done():
            future.set_exception(exc)
    else:
        future.set_result(result)
    finally:
        if not started and isinstance(coro, (GeneratorType, CoroutineType)):
            coro.close()                # (never started: no "never awaited" warning)


#: The tasks ``AsyncioDriver.run()`` spawns to cancel a task and say when it
#: has ended: bookkeeping, which ``run_trampoline``'s end leaves alone (one
#: waits for the main task's end; cancelled, it never says so, and
#: ``AsyncioDriver.run()`` waited for ever).
_bookkeeping = weakref.WeakSet()  # type: weakref.WeakSet[Task]


def _cancel_then_set(task: Task, stopped: "asyncio.Future[None]") -> Generator[Any, Any, None]:
    yield cancel(task)
    if not stopped.done():              # (done: the driver was closed meanwhile)
        stopped.set_result(None)


async def run_trampoline(coro: "TrampolineCoroutine[T]", **kernel_options: Any) -> T:
    """From asyncio code: run the trampoline coroutine ``coro`` in a fresh
    ``Kernel(**kernel_options)`` driven by the running loop, and return its
    result.  The tasks it spawned and left running are cancelled (their
    cleanup runs) before it returns; the kernel is then closed.
    ``await run_trampoline(main())`` is to asyncio what ``run(main())`` is
    to a program of its own."""
    try:
        kernel = Kernel(**kernel_options)
    except BaseException:
        if isinstance(coro, (GeneratorType, CoroutineType)):
            coro.close()                # not left to warn it was never awaited
        raise
    try:
        driver = AsyncioDriver(kernel, asyncio.get_running_loop())
        try:
            return await driver.run(_main_then_cancel_the_rest(coro), name=_name_of(coro))
        finally:
            driver.close()
    finally:
        kernel.close()


def _main_then_cancel_the_rest(coro: "TrampolineCoroutine[T]") -> Generator[Any, Any, T]:
    """Run ``coro``; then cancel the other tasks still alive, as ``run``
    does at its end."""
    try:
        return (yield call(coro))
    finally:
        # Cancellation deferred: one still pending as ``coro`` ended (or
        # one arriving meanwhile) would come at the first of these traps
        # that blocks (or at one past the budget), and the tasks after it
        # would be left running -- then dropped by the kernel's close,
        # their cleanup never run.
        with disable_cancellation():
            me = yield current()
            kernel = yield current_kernel()
            while True:                 # (again for those a cleanup spawned)
                others = [task for task in kernel.tasks()
                          if task is not me and task not in _bookkeeping]
                if not others:
                    break
                for task in others:
                    yield cancel(task)  # (returns once it has ended; at once if it had)


# =============================================== asyncio inside trampoline

class AsyncioThread:
    """An asyncio loop running in a daemon thread of its own, for
    ``await_asyncio``.  Started on first use; ``close()`` stops it (the
    asyncio tasks still running there are cancelled first).  One may serve
    several kernels.  In a process forked from this one it starts a loop
    of its own on first use (the parent's thread is not there).
    ``run_server(workers=N)`` stops it before it forks if no asyncio task
    runs there; it starts again on next use (ask ``loop`` again)."""

    def __init__(self, name: str = "trampoline-asyncio") -> None:
        self.name = name
        self._forget()
        _asyncio_threads.add(self)

    def _forget(self) -> None:
        """Not started (and, in a forked child, the parent's loop forgotten:
        its thread is not there, and a lock held then would stay held)."""
        loop = getattr(self, "_loop", None)
        if loop is not None:            # kept, so that it never warns it was not closed:
            _left_in_parent.append(loop)    # it cannot be closed here, as it "runs"
        self._lock = threading.Lock()
        self._loop = None               # type: Optional[asyncio.AbstractEventLoop]
        self._thread = None             # type: Optional[threading.Thread]

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, started (with its thread) if it was not yet."""
        with self._lock:
            return self._started()

    def _started(self) -> asyncio.AbstractEventLoop:
        """``loop``, the lock held."""
        if self._loop is None or self._loop.is_closed():
            started = threading.Event()
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=self._serve, args=(loop, started),
                                      name=self.name, daemon=True)
            thread.start()
            started.wait()
            self._loop, self._thread = loop, thread
        return self._loop

    def _submit(self, coro: Awaitable[Any], when_done: Callable[["asyncio.Future[Any]"], None]
                ) -> "Tuple[asyncio.AbstractEventLoop, Callable[[], None]]":
        """``_submit`` on the loop, the lock held: a ``_retire`` never stops
        the loop between our taking it and our start reaching it (its check
        for tasks would see none, and the start would be run, then dropped
        with the loop)."""
        with self._lock:
            loop = self._started()
            return loop, _submit(loop, coro, when_done)

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop) if hasattr(asyncio, "all_tasks") else set()
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def close(self) -> None:
        """Stop the loop and wait for its thread (from any thread but the
        loop's own).  Closing twice, or before first use, is harmless."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()

    def _retire(self, timeout: float) -> None:
        """Stop the loop and wait for its thread (at most ``timeout``
        seconds each) if no asyncio task runs there; else leave it running.
        For a fork, as ``WorkerPool._retire``: the loop starts again on
        next use."""
        with self._lock:                # (held: nobody gets the loop meanwhile)
            loop, thread = self._loop, self._thread
            if loop is None or thread is None or loop.is_closed():
                return                  # (closed: its thread has stopped it)
            stopped = []                # type: List[bool]
            answered, gave_up = threading.Event(), threading.Event()

            def stop_if_idle() -> None:     # in the loop's thread: no task starts meanwhile
                if not gave_up.is_set() and not asyncio.all_tasks(loop):
                    loop.stop()
                    stopped.append(True)
                answered.set()

            loop.call_soon_threadsafe(stop_if_idle)
            if not answered.wait(timeout):  # pragma: no cover - a loop blocked that long
                gave_up.set()
            if not stopped:
                return
            self._loop = self._thread = None
        thread.join(timeout)

    def __repr__(self) -> str:
        return "<AsyncioThread %s>" % ("running" if self._loop is not None else "idle")


#: Every AsyncioThread, for a forked child to reset; and the loops a
#: forked child inherited from its parent's AsyncioThreads.
_asyncio_threads = weakref.WeakSet()   # type: weakref.WeakSet[AsyncioThread]
_left_in_parent = []                    # type: List[asyncio.AbstractEventLoop]


def _retire_asyncio_threads(timeout: float = 2.0) -> None:
    """Stop every AsyncioThread that has no asyncio task running, and wait
    until its thread is gone: a process about to fork (``run_server``)
    must not count it as a thread running.  (Busy ones stay.)"""
    for each in list(_asyncio_threads):
        each._retire(timeout)


def _after_fork_in_child() -> None:
    for each in list(_asyncio_threads):
        each._forget()


if hasattr(os, "register_at_fork"):    # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)

_default_thread = AsyncioThread()


def await_asyncio(coro: Awaitable[T], *, loop: Optional[asyncio.AbstractEventLoop] = None
                  ) -> Generator[Any, Any, T]:
    """``result = yield await_asyncio(coro)`` (or ``await`` in ``async def``)

    Run the asyncio coroutine (or awaitable) ``coro`` on an asyncio loop and
    return its result; its exception is raised here.  The loop is ``loop``
    if given; else the loop driving this kernel (``AsyncioDriver``); else
    the process's ``AsyncioThread``, a loop in a daemon thread started on
    first use.  The task waits, the kernel does not.  Cancelling the task
    (or a timeout) cancels the asyncio task and moves on at once (once the
    outcome is back, it is returned, and the cancellation comes at the
    task's next blocking trap, as for ``run_in_thread``); so does
    closing the kernel while the task waits (``Kernel.close()`` drops the
    task: nobody is left to wait for the result).  Raises ``TypeError`` for
    something asyncio cannot await, ``RuntimeError`` if ``loop`` is closed.
    """
    itself = []                         # type: List[Any]
    return _prime(_await_asyncio(itself, coro, loop), itself)


@coroutine
def _await_asyncio(itself: List[Any], coro: Awaitable[T],
                   loop: Optional[asyncio.AbstractEventLoop]) -> Generator[Any, Any, T]:
    try:
        yield                           # primed (traps._prime): here until it runs
    except GeneratorExit:               # dropped before it ran (a cancellation came
        _close_dropped(itself, coro)    # first): the coroutine is closed too
        raise
    if not (asyncio.iscoroutine(coro) or asyncio.isfuture(coro)
            or hasattr(coro, "__await__")):
        raise TypeError("await_asyncio() needs an asyncio coroutine or awaitable, got %s"
                        % _describe(coro))
    kernel = yield current_kernel()
    thread = None                       # (the AsyncioThread whose loop it runs on)
    if loop is None:
        driver = _driver_of(kernel)
        if driver is not None:
            loop = driver.loop
        else:
            thread = _default_thread
    # keep=True: a task woken with the outcome and cancelled (timed out)
    # before it runs still gets it, as run_in_thread's does -- the asyncio
    # coroutine has done its work (an INSERT's row id must not be lost);
    # the cancellation comes at the task's next blocking trap.
    done = WaitQueue(threadsafe=True, keep=True)
    outcome = {}                        # type: dict
    try:
        def when_done(future: "asyncio.Future[Any]") -> None:
            _hand_back(kernel, done, outcome, future)
        if thread is not None:
            on, cancel_it = thread._submit(coro, when_done)
        else:
            on = cast(asyncio.AbstractEventLoop, loop)
            cancel_it = _submit(on, coro, when_done)
    except RuntimeError:                # closed: it would never run
        if asyncio.iscoroutine(coro):
            coro.close()                # (no "never awaited" warning)
        raise RuntimeError("await_asyncio(): the asyncio loop %r is closed" % (loop,)) from None

    def abandon() -> None:
        """Nobody will wait for it now: cancel it there (from any thread)."""
        outcome["abandoned"] = True
        try:
            on.call_soon_threadsafe(cancel_it)
        except RuntimeError:            # the loop is closed: its tasks are gone with it
            pass

    # A kernel closed while this waits drops the task: nothing runs its
    # except below (not until the garbage collector closes it, if ever: the
    # asyncio task holds it, through its done callback), and the asyncio
    # task would run on for nobody.
    forget = kernel.on_close(abandon)
    try:
        yield park(done)
    except BaseException:
        abandon()
        raise
    finally:
        forget()
    future = outcome["future"]
    return cast(T, future.result())


# Its generators keep the public name: what the diagnostics of a waiting task show.
_await_asyncio.__name__ = _await_asyncio.__qualname__ = "await_asyncio"


def _submit(loop: asyncio.AbstractEventLoop, coro: Awaitable[Any],
            when_done: Callable[["asyncio.Future[Any]"], None]) -> Callable[[], None]:
    """Start ``coro`` on ``loop`` (from any thread) and have ``when_done``
    called with its future, in the loop's thread, when it ends.  Returns a
    function that cancels it, to be called in the loop's thread (after the
    start, then: the loop runs its callbacks in order)."""
    started = []                        # type: List[asyncio.Future[Any]]

    def start() -> None:
        try:
            task = asyncio.ensure_future(coro, loop=loop)   # type: asyncio.Future[Any]
        except Exception as exc:        # (a future of another loop): the waiter gets it
            if asyncio.iscoroutine(coro):
                coro.close()            # (no "never awaited" warning)
            task = loop.create_future()
            task.set_exception(exc)
        task.add_done_callback(when_done)
        started.append(task)

    def cancel() -> None:
        for task in started:
            task.cancel()

    loop.call_soon_threadsafe(start)
    return cancel


def _hand_back(kernel: Kernel, done: WaitQueue, outcome: dict,
               future: "asyncio.Future[Any]") -> None:
    """In the asyncio loop's thread: hand the outcome to the kernel."""
    if outcome.get("abandoned"):        # nobody waits: mark its exception
        future.cancelled() or future.exception()    # retrieved (asyncio logs nothing)
        return
    outcome["future"] = future
    try:
        kernel.call_threadsafe(done.wake, 1)
    except RuntimeError:                # the kernel was closed: nobody waits
        future.cancelled() or future.exception()
