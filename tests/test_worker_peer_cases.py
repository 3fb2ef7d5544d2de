"""Blocking work off the loop, as users of curio's workers, trio.to_thread
and asyncio's to_thread / concurrent.futures expect it to behave.

Threads (run_in_thread, WorkerPool): a worker thread calling back into the
kernel, contextvars, the thread's traceback, many calls on a small pool,
reuse of idle workers, Ctrl-C while a call runs.  Processes (run_server's
workers): a worker that dies in the middle of a request -- ``os._exit``,
SIGKILL, a segfault -- is named in the log and replaced, and the other
connections go on.  Synchronised with threading.Event, Futures and the
server's log lines, never with sleeps.
"""

import concurrent.futures
import contextvars
import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback

import pytest

from net_helpers import ask_line, stop_process, watchdog  # noqa: F401 (watchdog: autouse fixture)
from task_helpers import parked
from test_workers import scripts, server  # noqa: F401 (fixtures)
from trampoline import Barrier, Future, Lock, Queue, join, spawn
from trampoline.sync import Event
from trampoline.threads import WorkerPool, run_in_thread
from trampoline.traps import current_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ================================================================ a thread calls back in

def test_event_set_from_a_worker_thread_is_refused_and_call_threadsafe_does_it(run):
    """trio refuses a trio.Event.set() from another thread; ours went
    through, made the waiting task ready behind the kernel's back, and did
    not wake the kernel: the task waited until something else did (for
    ever, if nothing did).  Now the thread gets RuntimeError naming it and
    what to use instead, the event is left clear, and
    ``kernel.call_threadsafe(event.set)`` wakes the task."""
    event = Event()

    def waiter():
        return (yield event.wait())

    def main():
        kernel = yield current_kernel()
        task = yield spawn(waiter())
        yield parked(task)

        def wrong():
            event.set()

        with pytest.raises(RuntimeError, match=r"woken from thread 'trampoline-worker-\d+', "
                                               r"while its kernel runs in another.*"
                                               r"kernel\.call_threadsafe\(event\.set\)"):
            yield run_in_thread(wrong)
        assert not event.is_set() and task.state == "parked"    # nothing changed

        def right():
            kernel.call_threadsafe(event.set)

        yield run_in_thread(right)
        return (yield join(task))

    assert run(main()) is True


def test_queue_put_from_a_worker_thread_is_refused(run):
    """The same for a Queue a task waits on: the putter learns at once."""
    queue = Queue()

    def getter():
        return (yield queue.get())

    def main():
        kernel = yield current_kernel()
        task = yield spawn(getter())
        yield parked(task)
        with pytest.raises(RuntimeError, match="woken from thread"):
            yield run_in_thread(queue.put_nowait, "wrong")
        assert queue.empty() and task.state == "parked"     # nothing changed
        yield run_in_thread(kernel.call_threadsafe, queue.put_nowait, "right")
        got = yield join(task)
        queue.task_done()
        yield queue.join()                      # one item put, one done
        return got

    assert run(main()) == "right"


def test_lock_release_from_a_worker_thread_is_refused_and_the_lock_stays_held(run):
    """asyncio lets any code release a lock; handing ours to a waiting task
    from another thread would not wake the kernel: refused, and the lock
    is still held by its holder, who releases it to the waiter."""
    lock = Lock()

    def waiter():
        yield lock.acquire()
        lock.release()
        return "got it"

    def main():
        yield lock.acquire()
        task = yield spawn(waiter())
        yield parked(task)
        with pytest.raises(RuntimeError, match="woken from thread"):
            yield run_in_thread(lock.release)
        assert lock.locked() and task.state == "parked"
        lock.release()
        return (yield join(task))

    assert run(main()) == "got it"


def test_queue_shutdown_task_done_and_barrier_abort_from_a_worker_thread_change_nothing(run):
    """Those that change their object before they wake anybody check
    first: refused from another thread, the queue is not shut down, its
    count of unfinished items is as it was, the barrier not broken."""
    queue = Queue()
    barrier = Barrier(2)

    def getter():
        return (yield queue.get())

    def joiner():
        yield queue.join()
        return "all done"

    def main():
        kernel = yield current_kernel()
        getting = yield spawn(getter())
        crossing = yield spawn(barrier.wait())
        yield parked(getting, crossing)
        for wrong in (queue.shutdown, barrier.abort, barrier.reset):
            with pytest.raises(RuntimeError, match="woken from thread"):
                yield run_in_thread(wrong)
        assert not barrier.broken and getting.state == crossing.state == "parked"
        queue.put_nowait("not shut down")       # (here, in the kernel's thread)
        got = yield join(getting)
        joining = yield spawn(joiner())
        yield parked(joining)
        with pytest.raises(RuntimeError, match="woken from thread"):
            yield run_in_thread(queue.task_done)
        yield run_in_thread(kernel.call_threadsafe, queue.task_done)
        last = yield barrier.wait()
        return got, (yield join(joining)), (yield join(crossing)), last

    assert run(main()) == ("not shut down", "all done", 0, 1)   # (first come, index 0)


def test_a_worker_thread_runs_a_task_and_waits_for_its_result(run):
    """trio.from_thread.run's round trip, with our thread-safe hooks: a call
    in a worker thread starts a task in the kernel (spawn_threadsafe) and
    blocks on a concurrent.futures.Future for its result, while the kernel
    goes on; a trampoline Future set from the thread wakes a task."""
    told = Future()

    def double(n, answer):
        yield told                              # runs while the thread blocks
        answer.set_result(2 * n)

    def in_thread(kernel):
        answer = concurrent.futures.Future()
        kernel.spawn_threadsafe(double(21, answer))
        told.set_result(None)                   # from this thread: wakes the task
        return answer.result(timeout=10)

    def main():
        return (yield run_in_thread(in_thread, (yield current_kernel())))

    assert run(main()) == 42


# ================================================================ what the call sees, and returns

REQUEST = contextvars.ContextVar("REQUEST", default=None)


def test_the_call_runs_in_a_copy_of_the_tasks_context(run):
    """asyncio.to_thread's rule: the function sees the task's context
    variables; what it sets stays in its copy."""
    def in_thread():
        seen = REQUEST.get()
        REQUEST.set("changed in the thread")
        return seen

    def main():
        REQUEST.set("request 7")
        seen = yield run_in_thread(in_thread)
        return seen, REQUEST.get()

    assert run(main()) == ("request 7", "request 7")
    assert REQUEST.get() is None                # run() leaves the caller's alone


def test_an_exception_in_the_thread_comes_with_the_threads_traceback(run):
    """What concurrent.futures' _RemoteTraceback gives a process pool's
    caller, a thread's exception has itself: the lines that raised it, in
    the thread, after the caller's."""
    def parse(text):
        return int(text)                        # the line that fails

    def main():
        try:
            yield run_in_thread(parse, "seven")
        except ValueError as exc:
            return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    text = run(main())
    assert "in parse" in text and "return int(text)" in text
    assert text.index("in main") < text.index("in parse")
    assert "invalid literal for int() with base 10: 'seven'" in text


def test_calls_beyond_the_pool_start_in_the_order_they_came():
    """Twenty calls on a pool of two: two run at once, the others wait in
    line and start first come, first served (concurrent.futures' queue,
    trio's CapacityLimiter).  (Call 0 holds its worker to the end, so the
    other one takes the line alone and the order it starts them in is the
    line's: two free workers may start two calls in either order.)"""
    import trampoline
    pool = WorkerPool(2)
    gate, held = threading.Event(), threading.Event()
    started = []
    both_busy = Future()

    def job(i):
        started.append(i)
        if len(started) == 2:
            both_busy.set_result(None)
        assert (held if i == 0 else gate).wait(10)
        return i

    def main():
        tasks = []
        for i in range(20):
            tasks.append((yield spawn(pool.run(job, i))))
        yield both_busy
        assert "workers=2/2" in repr(pool) and "queued=18" in repr(pool)
        gate.set()
        results = []
        for task in tasks[1:]:
            results.append((yield join(task)))
        held.set()
        return [(yield join(tasks[0]))] + results

    assert trampoline.run(main()) == list(range(20))
    assert sorted(started[:2]) == [0, 1] and started[2:] == list(range(2, 20))
    assert pool.workers == 2


def test_calls_one_after_another_reuse_one_idle_worker(run):
    """concurrent.futures' test_idle_thread_reuse: a caller that waits for
    each call before the next keeps one thread.  The worker counted itself
    idle only once back in its wait: a caller woken by its hand-back that
    submitted the next call first (now and then on PyPy) started a thread."""
    pool = WorkerPool(8)

    def main():
        threads = set()
        for _ in range(2000):
            threads.add((yield pool.run(threading.current_thread)))
        return threads

    assert len(run(main())) == 1 and pool.workers == 1


# ================================================================ Ctrl-C

CTRL_C = textwrap.dedent(r"""
    import signal, threading
    from trampoline import run, run_in_thread

    stuck = threading.Event()

    def blocking():
        print("blocked", flush=True)            # the test sends SIGINT now
        stuck.wait()                            # and this call never ends

    try:
        run(run_in_thread(blocking))
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    print(run(run_in_thread(lambda: "the pool still works")), flush=True)
""")


def test_ctrl_c_while_a_thread_call_runs_stops_the_kernel_and_the_program_can_exit():
    """The main thread gets KeyboardInterrupt at once (the call cannot be
    interrupted; it is left to run, its outcome dropped); the next run()
    gets its calls done on the pool's other workers; and the program exits
    though the call still blocks (worker threads are daemons, as trio's
    are -- asyncio.run would wait for it)."""
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert proc.stdout.readline() == "blocked\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        stop_process(proc)
    assert out == "KeyboardInterrupt\nthe pool still works\n", out + err
    assert proc.returncode == 0, err


CTRL_C_IN_THE_THREAD = textwrap.dedent(r"""
    import signal, threading
    from trampoline import run, run_in_thread

    stuck = threading.Event()

    def blocking():
        # Ctrl-C, taken by this thread: the OS may hand a signal for the
        # process to any thread, the main one sleeping in its poller or not.
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        if not stuck.wait(10):
            print("the call ended first", flush=True)

    print(run(run_in_thread(blocking), shutdown_signals=(signal.SIGINT,)), flush=True)
""")


def test_ctrl_c_caught_by_a_worker_thread_stops_a_kernel_with_shutdown_signals_at_once():
    """Python runs the handler in the main thread, but only once that
    thread runs: asleep in the poller, it does not know a worker thread
    took the signal until something wakes it -- for a plain run() (and
    asyncio.run), when the call ends.  With shutdown_signals the signal's
    byte on the process's wake-up fd wakes the kernel (trio always does
    this): run() returns at once, the call left to block."""
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_IN_THE_THREAD],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        stop_process(proc)
    assert out == "None\n", out + err
    assert proc.returncode == 0, err


# ================================================================ a worker process dies

DYING = {
    "exit": ("os._exit(7)", r"exited with status 7"),
    "kill": ("os.kill(os.getpid(), signal.SIGKILL)", r"was killed by SIGKILL"),
    "segfault": ("ctypes.memset(0, 0, 1)", r"was killed by SIGSEGV"),    # (a write to NULL)
}

DYING_SERVER = textwrap.dedent(r"""
    import ctypes, logging, os, signal, sys
    from trampoline.workers import run_server

    def handler(stream, address):
        while True:
            line = yield stream.readline()
            if not line:
                return
            if line == b"pid\n":
                yield stream.write(b"%d\n" % os.getpid())
            elif line == b"hold\n":
                # This whole worker blocks until the next line, so that the
                # next connection goes to the other one; then it dies.
                stream.sock.setblocking(True)
                stream.sock.sendall(b"holding\n")
                if stream.sock.recv(100) == b"die\n":
                    DIE
                yield stream.write(b"survived\n")  # (the test fails, not hangs)
            else:
                yield stream.write(line)

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_server("127.0.0.1", 0, handler, workers=2,
               ready=lambda address: print("listening on %s:%d" % address, flush=True))
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="run_server(workers=N) forks")
@pytest.mark.parametrize("how", sorted(DYING))
def test_a_worker_that_dies_in_the_middle_of_a_request_is_named_and_replaced(
        server, tmp_path, how):
    """As curio's and concurrent.futures' process pools: a worker that dies
    in the middle of its work -- it exits, is killed, segfaults -- ends the
    connections it served (the client sees the end of the stream, nothing
    hangs), the log says how it died, another worker takes its place, and
    the other worker's connections go on."""
    statement, said = DYING[how]
    script = tmp_path / "dying_server.py"
    script.write_text(DYING_SERVER.replace("DIE", statement))
    srv = server([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=ROOT))
    pids = srv.started(2)
    victim = srv.connect()
    other = None
    try:
        victim_pid = int(ask_line(victim, b"pid\n"))
        assert ask_line(victim, b"hold\n") == b"holding\n"
        other = srv.connect()                   # so the other worker takes it
        assert int(ask_line(other, b"pid\n")) not in (victim_pid, 0)
        victim.sendall(b"die\n")
        assert victim.recv(100) == b""           # the end of the stream, not a hang
        found = srv.expect(r"worker (\d) \(pid (\d+)\) %s; starting another" % said)
        assert int(found.group(2)) == victim_pid and pids[int(found.group(1))] == victim_pid
        assert ask_line(other, b"still here\n") == b"still here\n"
        srv.started(1)                          # its replacement
        fresh = srv.connect()
        assert ask_line(fresh, b"hello\n") == b"hello\n"
        fresh.close()
    finally:
        victim.close()
        if other is not None:
            other.close()
