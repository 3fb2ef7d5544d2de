"""The kernel driven a round at a time: spawn, run_once, next_deadline, fileno."""

import select
import selectors
import socket
import threading
import time
from fractions import Fraction

import pytest

from trampoline import Event, Future, Kernel, VirtualClock, read, sleep, spawn, timeout_after

from net_helpers import watchdog  # noqa: F401  (autouse)


def test_run_once_runs_ready_tasks_fires_timers_and_reports_deadlines():
    clock = VirtualClock()
    steps = []

    def ticker():
        steps.append("start")
        yield sleep(5)
        steps.append("woke")
        return "done"

    with Kernel(clock=clock) as kernel:
        assert kernel.next_deadline() is None       # nothing to do at all
        task = kernel.spawn(ticker(), name="ticker")
        assert task.name == "ticker" and kernel.next_deadline() == 0
        kernel.run_once()
        assert steps == ["start"] and not task.done
        assert kernel.next_deadline() == 5
        kernel.run_once()                           # not due: nothing happens
        assert steps == ["start"]
        clock.advance(5)
        kernel.run_once()                           # the timer fires ...
        assert kernel.next_deadline() == 0          # ... and the task is ready
        kernel.run_once()
        assert steps == ["start", "woke"] and task.result == "done"


def test_run_once_waits_for_io_up_to_its_timeout_and_fileno_tells_when():
    left, right = socket.socketpair()
    got = []

    def reader():
        got.append((yield read(left, 100)))

    with Kernel() as kernel, left, right:
        kernel.spawn(reader())
        kernel.run_once()                   # it parks on the socket
        assert not select.select([kernel.fileno()], [], [], 0)[0]
        right.send(b"hello")
        assert select.select([kernel.fileno()], [], [], 5)[0]
        kernel.run_once(timeout=5)          # the poll makes it ready
        kernel.run_once()                   # and it runs
        assert got == [b"hello"]


def test_a_call_from_another_thread_makes_fileno_readable():
    with Kernel() as kernel:
        done = []
        thread = threading.Thread(target=kernel.call_threadsafe, args=(done.append, 1))
        thread.start()
        thread.join()
        assert select.select([kernel.fileno()], [], [], 5)[0]
        kernel.run_once()
        assert done == [1]


def test_next_deadline_includes_the_closed_descriptor_sweep():
    left, right = socket.socketpair()

    def reader():
        yield read(left, 1)

    with Kernel() as kernel, left, right:
        kernel.spawn(reader())
        kernel.run_once()
        # A descriptor is registered: the sweep wants a round within a second.
        assert 0 <= kernel.next_deadline() <= 1.0



def test_next_deadline_forgets_a_timeout_that_ended_in_time():
    """A timeout whose block ended before its deadline leaves a dead entry
    in the timer heap: next_deadline() must not ask the host to come back
    for it (asyncio drops cancelled handles at the head of its heap too)."""
    clock = VirtualClock()
    event = Event()

    def waiter():
        with timeout_after(30):
            yield sleep(0)
        yield event.wait()
        return "woken"

    with Kernel(clock=clock) as kernel:
        task = kernel.spawn(waiter())
        while kernel.next_deadline() == 0:
            kernel.run_once()
        assert kernel.next_deadline() is None       # it waited for the dead alarm (30)
        event.set()
        kernel.run_once()
        assert task.result == "woken" and clock() == 0

def test_misuse_is_a_clear_error():
    def task():
        yield sleep(0)

    with Kernel(selector=selectors.SelectSelector()) as kernel:
        with pytest.raises(RuntimeError, match="needs an epoll or kqueue poller"):
            kernel.fileno()
        with pytest.raises(TypeError, match="call it"):
            kernel.spawn(task)

        def nested():
            kernel.run_once()
            yield sleep(0)

        crashed = kernel.spawn(nested())
        kernel.run_once()                   # the error is the task's, not ours
        assert "run_once() called inside a running kernel" in str(crashed.exception)
    with pytest.raises(RuntimeError, match="closed"):
        kernel.run_once()
    coro = task()
    with pytest.raises(RuntimeError, match="closed"):
        kernel.spawn(coro)
    assert coro.gi_frame is None            # closed, not left to warn


def test_spawn_or_run_once_from_another_thread_while_running_is_refused():
    errors = []

    def main(kernel):
        def other_thread():
            try:
                kernel.spawn(sleep_a_bit())
            except RuntimeError as exc:
                errors.append(str(exc))
            try:
                kernel.run_once()
            except RuntimeError as exc:
                errors.append(str(exc))
        thread = threading.Thread(target=other_thread)
        thread.start()
        while thread.is_alive():
            yield sleep(0.001)

    def sleep_a_bit():
        yield sleep(0)

    with Kernel() as kernel:
        kernel.run(main(kernel))
    assert len(errors) == 2 and "spawn_threadsafe" in errors[0]
    assert "running in another thread" in errors[1]


@pytest.mark.parametrize("selector", [None, selectors.PollSelector], ids=["epoll", "poll"])
def test_a_closed_kernel_says_so_in_its_repr_and_has_no_fileno(selector):
    with Kernel(selector=selector and selector()) as kernel:
        assert not repr(kernel).endswith(" closed>")
    assert repr(kernel).endswith(" closed>")
    assert "closed" in "%s %r" % (kernel, kernel._poller)     # print(), logging's %r
    with pytest.raises(RuntimeError, match="Kernel.fileno\\(\\): this Kernel is closed"):
        kernel.fileno()
    with pytest.raises(RuntimeError, match="next_deadline\\(\\): this Kernel is closed"):
        kernel.next_deadline()          # (it said None: "wait for I/O", for ever)


def test_a_ctrl_c_from_a_call_threadsafe_loses_none_of_the_calls_after_it():
    """A KeyboardInterrupt out of one call handed in by call_threadsafe goes
    out of run_once(), as it must -- and the calls queued after it run in
    the next round (they were dropped: a spawn_threadsafe's task never
    started, nor was its coroutine closed)."""
    done = []

    def interrupt():
        raise KeyboardInterrupt

    def child():
        done.append("child")
        yield sleep(0)

    with Kernel() as kernel:
        kernel.call_threadsafe(done.append, 1)
        kernel.call_threadsafe(kernel.call_threadsafe, done.append, "queued meanwhile")
        kernel.call_threadsafe(interrupt)
        kernel.call_threadsafe(done.append, 2)
        kernel.spawn_threadsafe(child())
        with pytest.raises(KeyboardInterrupt):
            kernel.run_once()
        assert done == [1]
        kernel.call_threadsafe(done.append, 3)
        while len(done) < 5:
            kernel.run_once(kernel.next_deadline())
        assert done[:4] == [1, 2, "queued meanwhile", 3]   # the ones put back first
        assert done[4] == "child"
        kernel.call_threadsafe(interrupt)   # nothing queued meanwhile: it wakes itself
        kernel.call_threadsafe(done.append, 4)
        with pytest.raises(KeyboardInterrupt):
            kernel.run_once()
        kernel.run_once(None)               # (woken by the byte it sent: no wait for ever)
        kernel.call_threadsafe(interrupt)   # the last of its batch: nothing to put back
        with pytest.raises(KeyboardInterrupt):
            kernel.run_once()
        kernel.call_threadsafe(done.append, 5)
        kernel.run_once(None)
    assert done[5:] == [4, 5]


@pytest.mark.parametrize("selector", [None, selectors.PollSelector, selectors.SelectSelector],
                         ids=["epoll", "poll", "select"])
def test_a_host_loop_blocks_until_io_a_thread_or_a_timer_wakes_the_kernel(selector):
    """run_once(None) (what next_deadline() says when only I/O or another
    thread can wake a task) waits for that; a huge timeout waits as long
    as it must and no error comes of its size."""
    answer = Future()
    got = []

    def waiter():
        got.append((yield answer))

    def nap():
        yield sleep(0.01)

    with Kernel(selector=selector and selector()) as kernel:
        task = kernel.spawn(waiter())
        kernel.run_once()
        assert kernel.next_deadline() is None
        thread = threading.Thread(target=answer.set_result, args=(42,))
        thread.start()
        while not task.done:            # (a round for the wake-up, one for the task)
            kernel.run_once(kernel.next_deadline())
        thread.join()
        assert got == [42]
        for timeout in (float("inf"), 1e10, 3e6):
            napper = kernel.spawn(nap())
            kernel.run_once(timeout)    # it starts its nap; the round waits for its timer,
            while kernel.next_deadline() != 0:      # not for the timeout
                kernel.run_once(timeout)
            kernel.call_threadsafe(got.append, timeout)
            kernel.run_once(timeout)    # it ends; then the call wakes the poller
            assert napper.done and got[-1] == timeout
        assert kernel.next_deadline() is None


def test_a_bad_run_once_timeout_is_named():
    with Kernel() as kernel:
        with pytest.raises(TypeError, match=r"run_once\(\): timeout must be a number of seconds "
                                            r"or None, got '1'"):
            kernel.run_once("1")
        with pytest.raises(ValueError, match="got nan"):
            kernel.run_once(float("nan"))
        kernel.run_once(Fraction(1, 1000))     # other kinds of number are fine
        kernel.run_once(-1)                     # in the past: no wait at all


def test_run_or_close_from_another_thread_while_it_runs_is_refused():
    """Another thread's run() would cancel the running kernel's tasks at
    its shutdown; its close() would pull the poller from under it."""
    inside, release = threading.Event(), Future()
    outcome = []

    async def say_inside():
        inside.set()

    def main():
        # "inside" only once main waits for release: were it set before,
        # the test could set release first, main would end in its first
        # round, and a host loop's run_once(None) would wait for ever.
        yield spawn(say_inside())
        return (yield release)

    def other():
        yield sleep(0)

    def in_a_thread(kernel, host_loop):
        if host_loop:
            task = kernel.spawn(main())
            while not task.done:        # main waits in the poller until release is set
                kernel.run_once(kernel.next_deadline())
            outcome.append(task.result)
        else:
            outcome.append(kernel.run(main()))

    for host_loop in (False, True):
        inside.clear()
        release = Future()
        with Kernel() as kernel:
            thread = threading.Thread(target=in_a_thread, args=(kernel, host_loop))
            thread.start()
            assert inside.wait(10)
            coro = other()
            with pytest.raises(RuntimeError, match=r"run\(\): this kernel is running in "
                                                   r"another thread .*spawn_threadsafe"):
                kernel.run(coro)
            assert coro.gi_frame is None            # closed, not left to warn
            with pytest.raises(RuntimeError, match=r"Kernel.close\(\) called from another "
                                                   r"thread while the kernel runs"):
                kernel.close()
            release.set_result(host_loop)
            thread.join(10)
        assert outcome.pop() is host_loop and repr(kernel).endswith(" closed>")


def test_debug_mode_and_the_monitor_watch_a_host_loop_from_its_first_round_to_close(caplog):
    """Kernel(debug=True, monitor=...) driven by run_once: both start on the
    first round and stop at close(), as run() starts and stops them."""
    from trampoline.monitor import PROMPT

    def blocks():
        time.sleep(0.05)                # a slow step: what debug mode is for
        yield sleep(0)

    def nap():
        yield sleep(3600)

    def read_reply(sock):
        reply = b""
        while not reply.endswith(PROMPT):
            data = sock.recv(65536)
            assert data, reply
            reply += data
        return reply.decode()

    def ps(address, answer):
        with socket.create_connection(address, timeout=10) as sock:
            read_reply(sock)
            sock.sendall(b"ps\n")
            answer.append(read_reply(sock))

    names = ("trampoline slow-step watchdog", "trampoline monitor")
    with Kernel(debug=True, monitor=("127.0.0.1", 0)) as kernel:
        kernel.slow_step = 0.01
        kernel.spawn(blocks())
        napper = kernel.spawn(nap(), name="napper")
        kernel.run_once()
        assert "without yielding" in caplog.text
        assert {thread.name for thread in threading.enumerate()} >= set(names)
        address, answer = kernel.monitor.address, []
        client = threading.Thread(target=ps, args=(address, answer))
        client.start()
        while client.is_alive():        # the kernel answers in its rounds
            kernel.run_once(0.01)
        assert "napper" in answer[0]
        kernel.cancel(napper)
        kernel.run_once()
    assert not {thread.name for thread in threading.enumerate()} & set(names)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=10)


def test_the_monitor_of_a_host_loop_knows_its_first_task_as_the_main_one():
    """The monitor starts on the first round, after the host spawned its
    first task: that one stays the main task, and a task spawned later is
    not taken for it (cancelling it does not say the program stops)."""
    from trampoline.monitor import PROMPT

    def nap():
        yield sleep(3600)

    def cancel_by_monitor(address, task_id, answer):
        with socket.create_connection(address, timeout=10) as sock:
            reply = b""
            for command in (None, b"cancel %d\n" % task_id):
                if command:
                    sock.sendall(command)
                reply = b""
                while not reply.endswith(PROMPT):
                    data = sock.recv(65536)
                    assert data, reply
                    reply += data
            answer.append(reply.decode())

    with Kernel(monitor=("127.0.0.1", 0)) as kernel:
        first = kernel.spawn(nap(), name="first")
        kernel.run_once()                   # the monitor starts here
        later = kernel.spawn(nap(), name="later")
        answer = []
        client = threading.Thread(target=cancel_by_monitor,
                                  args=(kernel.monitor.address, later.id, answer))
        client.start()
        while client.is_alive():
            kernel.run_once(0.01)
        assert "cancelled task %d later" % later.id in answer[0]
        assert "main task" not in answer[0]
        kernel.cancel(first)
        while not (first.done and later.done):
            kernel.run_once(0.01)


def test_close_reports_the_crashes_of_a_host_loop_nobody_looked_at(caplog):
    """What run() does at its end, close() does for a host loop: a task
    that crashed and that nobody joined (or asked for its outcome) is
    logged, even if the host still holds it."""
    def crashes(what):
        yield sleep(0)
        raise ValueError(what)

    with Kernel() as kernel:
        unseen = kernel.spawn(crashes("unseen"), name="unseen")
        seen = kernel.spawn(crashes("seen"), name="seen")
        while not (unseen.done and seen.done):
            kernel.run_once()
        assert isinstance(seen.exception, ValueError)   # looked at: not a report
        assert "never joined" not in caplog.text        # (the host may still look)
    reports = [record.getMessage() for record in caplog.records
               if "never joined" in record.getMessage()]
    assert reports == ["Task 1 unseen crashed and was never joined"]


def test_on_close_calls_back_once_the_kernel_is_closed(caplog):
    """close() drops the tasks still alive; code outside that waits on one
    hears of it through on_close: each callback once, in order, after the
    kernel is closed.  One that raises is logged and the others still run;
    one taken back is not called, and one may take itself back meanwhile."""
    calls = []
    kernel = Kernel()

    def sleeper():
        yield sleep(3600)

    kernel.spawn(sleeper())
    kernel.run_once()

    def first():
        calls.append(("first", kernel.closed, len(kernel.tasks())))
        forget_first()                      # (as AsyncioDriver.close() does)
        forget_first()

    def fails():
        raise ValueError("from a callback")

    forget_first = kernel.on_close(first)
    forget = kernel.on_close(lambda: calls.append("taken back"))
    kernel.on_close(fails)
    kernel.on_close(lambda: calls.append("last"))
    forget()
    forget()                                # twice: harmless
    assert calls == [] and not kernel.closed
    kernel.close()
    kernel.close()                          # twice: called once
    assert calls == [("first", True, 1), "last"]    # the task dropped, not ended
    assert "on_close(" in caplog.text and "from a callback" in caplog.text
    forget()                                # after the close: harmless
    with pytest.raises(RuntimeError, match=r"on_close\(\): this Kernel is closed"):
        kernel.on_close(print)


def test_spawn_from_another_thread_between_a_host_loops_rounds_is_refused():
    # A host loop in a thread of its own blocks on fileno() between rounds;
    # a task Kernel.spawn() queued from here would not wake it (the kernel
    # is not running then).  spawn() says to use spawn_threadsafe, which does.
    between_rounds, go_on = threading.Event(), threading.Event()
    ran = threading.Event()

    def job():
        yield sleep(0)
        ran.set()

    def host_loop(kernel):
        kernel.run_once(0)
        between_rounds.set()
        go_on.wait(10)                      # (a watchdog, not a pause)
        while not ran.is_set():
            deadline = kernel.next_deadline()
            select.select([kernel.fileno()], [], [], 10 if deadline is None else deadline)
            kernel.run_once(0)

    with Kernel() as kernel:
        host = threading.Thread(target=host_loop, args=(kernel,), name="host loop")
        host.start()
        try:
            assert between_rounds.wait(10)
            coro = job()
            with pytest.raises(RuntimeError, match=r"Kernel.spawn\(\) called from another "
                               r"thread than 'host loop'.*spawn_threadsafe"):
                kernel.spawn(coro)
            assert coro.gi_frame is None    # closed, not left to warn
            kernel.spawn_threadsafe(job())  # the way: it wakes the host loop
        finally:
            go_on.set()
            host.join(10)
        assert not host.is_alive() and ran.is_set()
        ran.clear()
        task = kernel.spawn(job())          # that thread is gone: this one may drive it
        while not task.done:
            kernel.run_once(0)
        assert ran.is_set()


def test_a_task_made_ready_between_rounds_makes_fileno_readable():
    """A host loop watching ``fileno()`` comes back for a task its own code
    made ready between rounds -- ``spawn()``, ``Event.set()``, a
    ``Queue.put_nowait()``, ``kernel.cancel()`` -- as it does for a call
    from another thread.  fileno() stayed quiet: the task waited for
    unrelated I/O or a timer (under asyncio's driver: for ever)."""
    from trampoline import Cancelled, Event, Queue

    def readable(kernel):
        return bool(select.select([kernel.fileno()], [], [], 1)[0])

    def wait_for(what):
        yield what
        return "woken"

    def sleeper():
        try:
            yield sleep(3600)
        except Cancelled:
            return "cancelled"

    with Kernel() as kernel:
        event, queue = Event(), Queue()
        kernel.run_once()
        assert not select.select([kernel.fileno()], [], [], 0)[0]   # quiet when idle
        tasks = [kernel.spawn(wait_for(event.wait())), kernel.spawn(wait_for(queue.get())),
                 kernel.spawn(sleeper())]
        assert readable(kernel)             # spawn()
        while kernel.next_deadline() == 0:
            kernel.run_once()
        assert not select.select([kernel.fileno()], [], [], 0)[0]   # all parked
        for wake in (event.set, lambda: queue.put_nowait(1), lambda: kernel.cancel(tasks[2])):
            wake()
            assert readable(kernel)
            kernel.run_once()
        while kernel.next_deadline() == 0:
            kernel.run_once()
        assert [task.result for task in tasks] == ["woken", "woken", "cancelled"]
        assert not select.select([kernel.fileno()], [], [], 0)[0]   # the byte was read


def test_waking_a_task_of_a_closed_kernel_is_harmless():
    """An Event set by the host's code after the kernel it was waited on in
    has been closed: nothing to run, no fileno() to make readable (it is
    gone) -- and no error for the host."""
    from trampoline import Event
    event = Event()

    def waiter():
        yield event.wait()

    kernel = Kernel()
    kernel.spawn(waiter())
    kernel.run_once()                   # it waits on the event
    kernel.close()
    event.set()                         # (no error: the kernel is closed)
    with pytest.raises(RuntimeError, match="closed"):
        kernel.fileno()

