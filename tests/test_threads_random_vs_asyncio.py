"""Worker threads against asyncio's executor, on seeded random programs.

Each case is a random program: a pool of 1 to 4 workers (``WorkerPool``;
asyncio's side, ``loop.run_in_executor`` with a
``concurrent.futures.ThreadPoolExecutor`` of the same size) and 1 to 8
calls handed to it at once, one task each, in order.  A call returns a
value, raises (``ValueError``, and ``BaseException``s that are no
``Exception``: ``KeyboardInterrupt``, ``SystemExit``; and
``StopIteration``), returns a large object, returns the ``contextvars``
value it sees (the task's), calls back into the loop from its thread
(``call_threadsafe`` / ``call_soon_threadsafe``), runs a coroutine there
and waits for it (``spawn_threadsafe`` with a ``concurrent.futures.Future``
/ ``run_coroutine_threadsafe``), or blocks on a ``threading.Event`` the
program sets later and then returns, raises, or calls back into the loop
(which may have ended by then).  The task waiting for a blocking call may
be cancelled (while its call runs, or while it still waits for a worker)
or time out (while its call runs).  The program
releases the blocked calls one at a time, in a random order; it may end
with some still blocked, and others waiting behind them.  Its last step
hands a call in from another thread (and joins that thread) just before
the main task returns.

The trace: each call's outcome in its task (value, or exception type and
message, or cancelled / timed out); which calls had started at each point
the program looked (after each release, once what a FIFO pool would start
by then has started, and a released call nobody waits for any more has
ended -- bounded waits on Futures the calls set and on Events, never
sleeps; what started must also be what the model says); the
calls made back in the loop; which calls ran to their end (a cancelled
task's call goes on; a queued one never starts); WARNINGs logged; worker
threads left over at the end.  It must be asyncio's, live (asyncio is
always there).

Where trampoline's documented rules differ from asyncio's, the oracle
follows ours:

* A call raising ``StopIteration`` raises ``RuntimeError("generator raised
  StopIteration")`` in its task (``run_in_thread``'s and
  ``WorkerPool.run``'s docstrings, PEP 479).  asyncio's
  ``Future.set_exception`` refuses a ``StopIteration``: the executor's
  outcome never reaches the task, which waits for ever (the refusal is
  logged).  The oracle's thread catches it and applies our rule.
* Idle workers end after ``idle_timeout`` (``WorkerPool``'s docstring);
  an executor's threads live until ``shutdown()``.  "Left over" is
  counted after the pool's idle timeout (0 or 10 ms here) on our side,
  after ``shutdown(wait=True)`` on asyncio's.
* The end of ``run()`` does not wait for calls still running (workers are
  daemon threads: ``WorkerPool``'s docstring); ``asyncio.run`` waits for
  its *default* executor's.  The oracle uses an executor of its own, which
  it does not wait for either; the program sets every Event afterwards.
* How many threads a burst of quick calls starts is timing on both sides
  (a worker that finished may or may not be idle again when the next call
  comes), so it is not compared; one caller's calls one after another
  reusing one thread is ``test_worker_peer_cases``'.

Found so (and fixed): a call another thread handed in with
``call_threadsafe`` while the main task took its last step was never made
-- ``run()``'s end closed the kernel and dropped it, though
``call_threadsafe`` had accepted it; asyncio's loop makes the callbacks
queued before it stops.
"""

import asyncio
import concurrent.futures
import contextvars
import logging
import random
import threading

import trampoline
from trampoline import Cancelled, Future, TaskTimeout, cancel, join, spawn, timeout_after
from trampoline.threads import WorkerPool
from trampoline.traps import current_kernel

#: Seeded cases the test runs (thousands agreed, on 3.11, when it was made).
CASES = 40
KINDS = ("ret", "raise", "kbd", "sysexit", "stop", "block", "big", "ctx",
         "callback", "spawnback")
WAIT = 10.0                 # bounded waits: only a broken program waits so long
VAR = contextvars.ContextVar("VAR", default="unset")


def random_program(seed):
    """(workers, idle_timeout, jobs, release, leave): jobs are (kind, how
    the task waits, what a blocking call does once released); ``release``
    the order the Events are set in; the last ``leave`` of them only
    after the loop has ended."""
    r = random.Random(seed)
    workers, n = r.randint(1, 4), r.randint(1, 8)
    jobs = []
    for i in range(n):
        # (Blocking calls often: those fill the pool, so that others wait in line.)
        kind = "block" if r.random() < 0.3 else r.choice(KINDS)
        mode, then = "await", None
        if kind == "block":
            # A timeout only for a call sure to be running when it fires
            # (one of the first ``workers``): in line, it is a cancellation.
            mode = r.choice(("await", "cancel", "timeout") if i < workers
                            else ("await", "cancel"))
            then = r.choice(("ret", "raise", "callback"))
        jobs.append((kind, mode, then))
    release = [i for i, job in enumerate(jobs) if job[0] == "block"]
    r.shuffle(release)
    leave = r.randint(1, len(release)) if release and r.random() < 0.3 else 0
    return workers, r.choice((0, 0.01)), jobs, release, leave


def fifo_model(workers, jobs, release, leave):
    """Which calls have started at each point the program looks, in a pool
    of ``workers`` that starts calls first come, first served: [after the
    submission, after the cancellations, after each release]."""
    queue, running, started, released, points = list(range(len(jobs))), set(), [], set(), []
    cancelled = set()

    def settle():
        while queue and len(running) < workers:
            j = queue.pop(0)
            if j not in cancelled:
                started.append(j)
                if jobs[j][0] == "block" and j not in released:
                    running.add(j)
        points.append(sorted(started))

    settle()
    cancelled.update(i for i, job in enumerate(jobs) if job[1] == "cancel" and i not in started)
    settle()
    for g in release[:len(release) - leave]:
        if g not in cancelled:
            released.add(g)
            running.discard(g)
            settle()
    return points


class Big:
    """A large result (a megabyte)."""

    def __init__(self):
        self.data = bytearray(1 << 20)

    def __repr__(self):
        return "Big(%d)" % len(self.data)


def outcome(error):
    if isinstance(error, StopIteration):    # our documented rule (see the module)
        return ("raised", "RuntimeError", "generator raised StopIteration")
    return ("raised", type(error).__name__, str(error))


class Record(logging.Handler):
    """One program's shared state: the calls' Events, what they did, and
    the WARNINGs logged meanwhile."""

    def __init__(self, n):
        super().__init__(logging.WARNING)
        self.lock = threading.Lock()
        self.starts, self.callbacks, self.logs = [], [], []
        self.gates = [threading.Event() for _ in range(n)]
        self.done = [threading.Event() for _ in range(n)]

    def emit(self, record):
        if record.name.split(".")[0] in ("trampoline", "asyncio", "concurrent"):
            self.logs.append((record.name, record.getMessage()[:80]))

    def job(self, i, kind, then, started, call_back, run_back):
        def call():
            try:
                with self.lock:
                    self.starts.append(i)
                started(i)
                if kind == "ret":
                    return i * 10
                if kind == "raise":
                    raise ValueError("call %d" % i)
                if kind == "kbd":
                    raise KeyboardInterrupt("call %d" % i)
                if kind == "sysexit":
                    raise SystemExit(i)
                if kind == "stop":
                    raise StopIteration("call %d" % i)
                if kind == "big":
                    return Big()
                if kind == "ctx":
                    return VAR.get()
                if kind == "callback":
                    call_back(self.callbacks.append, i)
                    return "called back %d" % i
                if kind == "spawnback":
                    return run_back(i)
                assert kind == "block"
                if not self.gates[i].wait(WAIT):
                    return "never released"
                if then == "raise":
                    raise OSError("late %d" % i)
                if then == "callback":      # (the loop may have ended: RuntimeError)
                    call_back(self.callbacks.append, "late %d" % i)
                return "late %d" % i
            finally:
                self.done[i].set()
        return call

    def late_call(self, call_back):
        """A thread hands a call in and ends, just before main returns."""
        thread = threading.Thread(target=call_back, args=(self.callbacks.append, "late"))
        thread.start()
        thread.join(WAIT)

    def trace(self, end, points, prefix, before):
        for i in range(len(self.gates)):    # the ones left blocked, and then all
            self.gates[i].set()
        for i in range(len(self.gates)):
            if i in self.starts:
                assert self.done[i].wait(WAIT)
        for thread in threading.enumerate():
            if thread.name.startswith(prefix):
                thread.join(WAIT)
        left = [t.name for t in set(threading.enumerate()) - before
                if t.name.startswith(prefix) and t.is_alive()]
        return {"end": end, "points": points, "callbacks": sorted(map(str, self.callbacks)),
                "done": [i for i, done in enumerate(self.done) if done.is_set()],
                "logs": self.logs, "left": left}


def run_program(seed, side):
    """The program of ``seed`` on ``side`` ("trampoline" or "asyncio"): its trace."""
    workers, idle_timeout, jobs, release, leave = random_program(seed)
    expected = fifo_model(workers, jobs, release, leave)
    n = len(jobs)
    record = Record(n)
    outcomes = {}
    points = []
    prefix = "vs-asyncio-%s-%d." % (side, seed)
    before = set(threading.enumerate())
    logging.getLogger().addHandler(record)
    try:
        if side == "trampoline":
            end = _trampoline(seed, workers, idle_timeout, jobs, release, leave, expected,
                              record, outcomes, points, prefix)
        else:
            end = _asyncio(seed, workers, jobs, release, leave, expected,
                           record, outcomes, points, prefix)
    finally:
        logging.getLogger().removeHandler(record)
    trace = record.trace(end, points, prefix, before)
    trace["outcomes"] = [outcomes.get(i, ("no outcome",)) for i in range(n)]
    trace["model"] = expected
    return trace


def _trampoline(seed, workers, idle_timeout, jobs, release, leave, expected,
                record, outcomes, points, prefix):
    pool = WorkerPool(workers, idle_timeout=idle_timeout, name=prefix)
    started = [Future() for _ in jobs]
    kernel = []

    def run_back(i):
        answer = concurrent.futures.Future()

        async def back():
            answer.set_result(("in the loop", i, VAR.get()))
        kernel[0].spawn_threadsafe(back())
        return answer.result(WAIT)

    def call_back(func, *args):
        kernel[0].call_threadsafe(func, *args)

    async def waiter(i, kind, mode, then):
        call = record.job(i, kind, then, lambda i: started[i].set_result(None),
                          call_back, run_back)
        try:
            if mode == "timeout":
                value = await timeout_after(0.02, pool.run(call))
            else:
                value = await pool.run(call)
            outcomes[i] = ("returned", repr(value))
        except TaskTimeout:
            outcomes[i] = ("timed out",)
        except Cancelled:
            outcomes[i] = ("cancelled",)
            raise
        except BaseException as error:
            outcomes[i] = outcome(error)

    async def settled(k):
        for j in expected[k]:
            try:
                await timeout_after(WAIT, started[j])
            except TaskTimeout:
                points.append(("never started", j))
        points.append(sorted(record.starts))

    async def main():
        kernel.append(await current_kernel())
        VAR.set("main %d" % seed)
        tasks = []
        for i, job in enumerate(jobs):
            tasks.append(await spawn(waiter(i, *job)))
        await settled(0)
        for i, task in enumerate(tasks):
            if jobs[i][1] == "timeout":
                await join(task)
        for i, task in enumerate(tasks):
            if jobs[i][1] == "cancel":
                await cancel(task)
        await settled(1)
        k = 2
        for g in release[:len(release) - leave]:
            if jobs[g][1] == "cancel" and g not in expected[0]:
                continue                    # (cancelled in line: it never starts)
            record.gates[g].set()
            if jobs[g][1] != "await":       # nobody waits for it: its call back
                record.done[g].wait(WAIT)   # comes now (it needs no loop)
            await settled(k)
            k += 1
        for i, task in enumerate(tasks):
            if jobs[i][1] == "await" and i in expected[-1] \
                    and i not in release[len(release) - leave:]:
                await join(task)
        record.late_call(call_back)
        return "returned"

    try:
        return trampoline.run(main())
    except BaseException as error:
        return outcome(error)


def _asyncio(seed, workers, jobs, release, leave, expected, record, outcomes, points, prefix):
    executor = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix=prefix)
    loop_box = []
    started = []

    def run_back(i):
        async def back():
            return ("in the loop", i, VAR.get())
        return asyncio.run_coroutine_threadsafe(back(), loop_box[0]).result(WAIT)

    def call_back(func, *args):
        loop_box[0].call_soon_threadsafe(func, *args)

    def set_started(i):
        loop_box[0].call_soon_threadsafe(started[i].set_result, None)

    async def waiter(i, kind, mode, then):
        call = record.job(i, kind, then, set_started, call_back, run_back)

        def stop_caught():              # (see the module: asyncio would hang)
            try:
                return call()
            except StopIteration as error:
                return ("StopIteration", error)
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(executor, contextvars.copy_context().run,
                                          stop_caught)
            if mode == "timeout":
                value = await asyncio.wait_for(future, 0.02)
            else:
                value = await future
            if type(value) is tuple and value[0] == "StopIteration":
                outcomes[i] = outcome(value[1])
            else:
                outcomes[i] = ("returned", repr(value))
        except asyncio.TimeoutError:
            outcomes[i] = ("timed out",)
        except asyncio.CancelledError:
            outcomes[i] = ("cancelled",)
            raise
        except BaseException as error:
            outcomes[i] = outcome(error)

    async def settled(k):
        for j in expected[k]:
            try:
                await asyncio.wait_for(asyncio.shield(started[j]), WAIT)
            except asyncio.TimeoutError:
                points.append(("never started", j))
        points.append(sorted(record.starts))

    async def main():
        loop_box.append(asyncio.get_running_loop())
        started.extend(loop_box[0].create_future() for _ in jobs)
        VAR.set("main %d" % seed)
        tasks = [asyncio.ensure_future(waiter(i, *job)) for i, job in enumerate(jobs)]
        await settled(0)
        for i, task in enumerate(tasks):
            if jobs[i][1] == "timeout":
                await asyncio.wait([task])
        for i, task in enumerate(tasks):
            if jobs[i][1] == "cancel":
                task.cancel()
                await asyncio.wait([task])
        await settled(1)
        k = 2
        for g in release[:len(release) - leave]:
            if jobs[g][1] == "cancel" and g not in expected[0]:
                continue                    # (cancelled in line: it never starts)
            record.gates[g].set()
            if jobs[g][1] != "await":       # nobody waits for it: its call back
                record.done[g].wait(WAIT)   # comes now (it needs no loop)
            await settled(k)
            k += 1
        for i, task in enumerate(tasks):
            if jobs[i][1] == "await" and i in expected[-1] \
                    and i not in release[len(release) - leave:]:
                await asyncio.wait([task])
        record.late_call(call_back)
        return "returned"

    try:
        return asyncio.run(main())
    except BaseException as error:
        return outcome(error)
    finally:
        for gate in record.gates:
            gate.set()
        executor.shutdown(wait=True)


# ================================================================ the tests

def test_random_programs_of_worker_calls_end_as_with_asyncio_s_executor():
    """Seeded random programs (see the module): every call's outcome in
    its task, which calls had started when, the calls made back in the
    loop, which calls ran to their end, what was logged and the threads
    left over are what asyncio's ``run_in_executor`` on a
    ``ThreadPoolExecutor`` of the same size gives, live -- but for our
    documented rules (StopIteration; idle workers end).  What started
    must also be what a first come, first served pool starts.  A failure
    names the seed, the program and the first part that differs."""
    for seed in range(CASES):
        ours, theirs = run_program(seed, "trampoline"), run_program(seed, "asyncio")
        for key in ("outcomes", "end", "points", "callbacks", "done", "logs", "left"):
            assert ours[key] == theirs[key], (
                "seed %d: %r\n%s: asyncio %r, trampoline %r"
                % (seed, random_program(seed), key, theirs[key], ours[key]))
        assert ours["points"] == ours["model"], (seed, ours["points"], ours["model"])


def test_a_call_handed_in_from_a_thread_while_main_returns_is_made():
    """``call_threadsafe`` accepted a call from another thread while the
    main task took its last step, and ``run()``'s end dropped it: nothing
    was alive to cancel, so no round ran again, and ``close()`` threw the
    queued call away -- a thread's last word (a result delivered, a
    resource given back) lost in silence, where ``call_threadsafe`` raises
    ``RuntimeError`` only once the kernel is closed.  asyncio's loop makes
    the callbacks ``call_soon_threadsafe`` queued before it stops; so does
    run()'s end now.  A task ``spawn_threadsafe`` started then is cancelled
    before it runs a line, as asyncio cancels one made then."""
    made = []

    async def child():
        made.append("the child ran")

    async def main():
        kernel = await current_kernel()
        for target, args in ((kernel.call_threadsafe, (made.append, "the call")),
                             (kernel.spawn_threadsafe, (child(),))):
            thread = threading.Thread(target=target, args=args)
            thread.start()
            thread.join(WAIT)
        return "returned"

    async def asyncio_main():
        loop = asyncio.get_running_loop()
        for target, args in ((loop.call_soon_threadsafe, (theirs.append, "the call")),
                             (asyncio.run_coroutine_threadsafe, (asyncio_child(), loop))):
            thread = threading.Thread(target=target, args=args)
            thread.start()
            thread.join(WAIT)
        return "returned"

    theirs = []

    async def asyncio_child():
        theirs.append("the child ran")

    assert asyncio.run(asyncio_main()) == "returned"
    assert trampoline.run(main()) == "returned"
    assert made == theirs == ["the call"]
