"""The kernel's rarer paths, each through the public API: wake-ups and calls
from threads, alarms outliving their task, shutdown of tasks that resist,
cancellation of a task woken but not yet run, odd traps and odd awaitables.
(The coverage gate asks 99% of the kernel's own modules: these are the
corners the rest of the suite does not reach.)"""

import copy
import io
import linecache
import logging
import os
import selectors
import socket
import threading

import pytest

import trampoline

from trampoline import (Cancelled, Kernel, VirtualClock, WaitQueue, cancel, current, ignore_after,
                        join, read, read_wait, recvfrom, run, sendto, sleep, spawn,
                        timeout_after)
import trampoline.trace
from trampoline.traps import call, current_kernel, park, set_alarm

from net_helpers import watchdog  # noqa: F401  (autouse)


def test_a_thread_wakes_a_task_parked_on_a_threadsafe_wait_queue():
    queue = WaitQueue(threadsafe=True)

    def main():
        thread = threading.Thread(target=lambda: queue.wake_threadsafe(1, "from a thread"))
        started = [False]

        def starter():
            yield sleep(0)
            thread.start()
            started[0] = True

        yield spawn(starter())
        value = yield park(queue)           # not a deadlock: a thread may wake it
        thread.join()
        return value, started[0]

    assert run(main()) == ("from a thread", True)


def test_wake_threadsafe_before_anyone_parked_is_not_remembered():
    """A wake-up with nobody parked (no kernel has seen the queue yet) does
    nothing: it is not kept for a task that parks later."""
    queue = WaitQueue(threadsafe=True)
    queue.wake_threadsafe(1, "too early")

    def main():
        return (yield ignore_after(1, park(queue), default="still parked"))

    with Kernel(clock=VirtualClock()) as kernel:
        assert kernel.run(main()) == "still parked"


def test_a_call_from_a_thread_that_raises_is_logged_and_the_kernel_goes_on(caplog):
    caplog.set_level(logging.ERROR, logger="trampoline")

    def broken():
        raise ValueError("broken call")

    def main(kernel):
        done = WaitQueue(threadsafe=True)
        thread = threading.Thread(target=lambda: (kernel.call_threadsafe(broken),
                                                  done.wake_threadsafe(1, "still here")))

        def start_later():
            yield sleep(0)
            thread.start()

        yield spawn(start_later())
        result = yield park(done)
        thread.join()
        return result

    with Kernel() as kernel:
        assert kernel.run(main(kernel)) == "still here"
    messages = [r.getMessage() for r in caplog.records if r.name == "trampoline"]
    assert any("call_threadsafe" in m and "broken" in m for m in messages)


def test_an_alarm_whose_task_has_ended_does_nothing():
    clock = VirtualClock()

    def sets_an_alarm_and_leaves():
        yield set_alarm(1, Cancelled("too late"))
        return "left"

    def main():
        task = yield spawn(sets_an_alarm_and_leaves())
        assert (yield join(task)) == "left"
        yield sleep(2)                      # the alarm goes off meanwhile
        return task.state

    with Kernel(clock=clock) as kernel:
        assert kernel.run(main()) == "done"


def test_virtual_time_waits_for_a_thread_before_jumping():
    """With a task parked on a threadsafe queue, autojump gives a thread
    real time to act before it jumps to the next timer."""
    clock = VirtualClock()
    queue = WaitQueue(threadsafe=True)

    def main():
        def sleeper():
            yield sleep(1000)
            return "slept"

        task = yield spawn(sleeper())
        thread = threading.Thread(target=queue.wake_threadsafe, args=(1, "thread first"))

        def start_later():
            yield sleep(0)
            thread.start()

        yield spawn(start_later())
        got = yield park(queue)
        thread.join()
        return got, (yield join(task))

    with Kernel(clock=clock) as kernel:
        assert kernel.run(main()) == ("thread first", "slept")
    assert clock() >= 1000


def test_shutdown_cancels_again_a_task_that_resists_then_closes_one_that_never_stops(caplog):
    caplog.set_level(logging.WARNING, logger="trampoline")
    clock = VirtualClock()
    log = []

    def resists_once():
        try:
            yield sleep(1000)
        except Cancelled:
            log.append("resisted once")
            yield sleep(1000)               # cancelled again after the grace period

    def never_stops():
        while True:
            try:
                yield sleep(1000)
            except Cancelled:
                log.append("ignored")
            except GeneratorExit:
                log.append("closing")
                yield "a yield while being closed"      # makes close() itself fail

    def main():
        yield spawn(resists_once())
        yield spawn(never_stops())
        yield sleep(0)

    with Kernel(clock=clock) as kernel:
        kernel.shutdown_grace = 1.0
        kernel.run(main())
    assert "resisted once" in log and "closing" in log
    assert log.count("ignored") == 3        # three rounds of cancellation, then closed
    assert any("did not finish after cancellation" in r.getMessage() for r in caplog.records)


def test_a_task_spawned_by_cleanup_at_shutdown_is_cancelled_before_it_runs():
    """Shutdown: a task that a cancelled task's cleanup spawns is cancelled
    at the end of that turn, before its first step -- not left to run until
    the grace period is over (virtual clock: no time passes at all)."""
    clock = VirtualClock()
    log, spawned = [], []

    def late():
        log.append("late ran")
        yield sleep(1000)

    def cleans_up():
        try:
            yield sleep(1000)
        finally:
            spawned.append((yield spawn(late())))

    def main():
        yield spawn(cleans_up())
        yield sleep(0)

    with Kernel(clock=clock) as kernel:
        started = clock()
        kernel.run(main())
    assert log == [] and spawned[0].cancelled   # it never ran a step
    assert clock() == started                   # and nobody waited for the grace


def test_cancelling_a_task_woken_from_read_wait_before_it_runs(run):
    a, b = socket.socketpair()

    def waiter():
        yield read_wait(a)
        return "not reached"

    def main():
        task = yield spawn(waiter())
        while task.state != "parked":
            yield sleep(0)
        b.send(b"x")
        while task.state != "ready":        # the poll woke it; it has not run
            yield sleep(0)
        yield cancel(task)
        return task.state

    try:
        assert run(main()) == "cancelled"
        assert a.recv(1) == b"x"            # nothing was read for it
    finally:
        a.close()
        b.close()


def test_a_task_that_cancels_itself_twice_without_waiting_gets_one_cancellation():
    def main():
        me = yield current()
        yield cancel(me, wait=False)
        yield cancel(me, wait=False)
        caught = 0
        for _ in range(3):
            try:
                yield sleep(0.001)
            except Cancelled:
                caught += 1
        return caught

    assert run(main()) == 2                 # both delivered, each at a blocking trap


def test_sendto_makes_a_blocking_socket_non_blocking():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    assert sender.gettimeout() is None      # blocking, as made

    def main():
        sent = yield sendto(sender, b"datagram", receiver.getsockname())
        data, _ = yield recvfrom(receiver, 100)
        return sent, data, sender.gettimeout()

    try:
        assert run(main()) == (8, b"datagram", 0.0)
    finally:
        receiver.close()
        sender.close()


class AwaitsAList:
    def __await__(self):
        return iter([])                     # an iterator, but not a generator


def test_an_awaitable_whose_await_is_not_a_generator_is_a_clear_error():
    def main():
        yield AwaitsAList()

    with pytest.raises(TypeError, match="AwaitsAList"):
        run(main())


def test_a_crash_report_copes_with_an_exception_that_will_not_copy(caplog):
    caplog.set_level(logging.ERROR, logger="trampoline")

    class Stubborn(Exception):
        def __init__(self, required, also_required):
            super().__init__(required)

    with pytest.raises(TypeError):
        copy.copy(Stubborn(1, 2))

    def crashes():
        yield sleep(0)
        raise Stubborn("stubborn", 2)

    def main():
        yield spawn(crashes())
        yield sleep(0.001)

    run(main())
    records = [r for r in caplog.records if "never joined" in r.getMessage()]
    assert len(records) == 1
    assert "Stubborn: stubborn" in logging.Formatter().format(records[0])


def test_crash_reports_respect_the_log_level(caplog):
    caplog.set_level(logging.CRITICAL, logger="trampoline")

    def crashes():
        yield sleep(0)
        raise ValueError("quiet")

    def main():
        yield spawn(crashes())
        yield sleep(0.001)

    run(main())
    assert not [r for r in caplog.records if "never joined" in r.getMessage()]


def test_a_crash_hook_hears_of_every_unjoined_crash_whatever_the_log_level(caplog):
    """The pytest plugin's way in: a silenced logger hides no crash from it,
    and a hook that fails is logged without keeping the report from the rest."""
    caplog.set_level(logging.CRITICAL, logger="trampoline")
    heard = []

    def broken(task_id, name, exc, text):
        raise RuntimeError("the hook is broken")

    def listening(task_id, name, exc, text):
        heard.append((task_id, name, exc, text))

    def crashes():
        raise ValueError("quiet")
        yield

    def joined():
        raise KeyError("seen")
        yield

    def main():
        yield spawn(crashes())
        task = yield spawn(joined())
        with pytest.raises(trampoline.TaskError):
            yield join(task)

    trampoline.task.add_crash_hook(broken)
    trampoline.task.add_crash_hook(listening)
    try:
        run(main())
    finally:
        trampoline.task.remove_crash_hook(broken)
        trampoline.task.remove_crash_hook(listening)
    [(task_id, name, exc, text)] = heard
    assert (task_id, name) == (2, "crashes")
    assert type(exc) is ValueError and exc.args == ("quiet",) and exc.__traceback__ is None
    assert text.startswith("Task 2 crashes crashed and was never joined\nTraceback")
    assert text.rstrip().endswith("ValueError: quiet")
    caplog.set_level(logging.ERROR, logger="trampoline")
    trampoline.task.add_crash_hook(broken)
    try:
        run(main())
    finally:
        trampoline.task.remove_crash_hook(broken)
    failed = [r for r in caplog.records if "crash hook" in r.getMessage()]
    assert len(failed) == 1 and "on the report of task 2" in failed[0].getMessage()
    assert "the hook is broken" in logging.Formatter().format(failed[0])
    with pytest.raises(ValueError):
        trampoline.task.remove_crash_hook(broken)


def test_the_poll_selector_has_no_descriptor_to_watch():
    with Kernel(selector=selectors.PollSelector()) as kernel:
        with pytest.raises(RuntimeError, match="needs an epoll or kqueue poller"):
            kernel.fileno()
    with Kernel(selector=selectors.EpollSelector()) as kernel:
        assert kernel.fileno() >= 0


def test_trap_arguments_of_the_right_kind_but_unusual_types():
    class Seconds(int):
        pass

    def main():
        yield sleep(Seconds(0))             # an int subclass is a number of seconds
        return "slept"

    assert run(main()) == "slept"
    with pytest.raises(TypeError, match="sleep"):
        sleep(True)
    with open(__file__) as not_a_socket:
        with pytest.raises(TypeError, match="recvfrom.. needs a socket"):
            recvfrom(not_a_socket, 10)
        with pytest.raises(TypeError, match="sendto.. needs a socket"):
            sendto(not_a_socket, b"x", ("127.0.0.1", 9))


def test_a_task_can_be_renamed_and_a_finished_one_is_nowhere():
    def main():
        me = yield current()
        me.name = "renamed"
        return me

    task = run(main())
    assert task.name == "renamed" and "renamed" in repr(task)
    assert task.where() == []


def test_bad_datagram_trap_arguments():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(ValueError, match="recvfrom"):
            recvfrom(sock, 0)
        with pytest.raises(TypeError, match="sendto.. needs bytes"):
            sendto(sock, "text", ("127.0.0.1", 9))
    finally:
        sock.close()


class Delegate:
    """A plain iterator (no generator) that a task delegates to with
    ``yield from``: it yields one trap, then ends."""

    def __init__(self):
        self.started = False

    def __iter__(self):
        return self

    def __next__(self):
        if not self.started:
            self.started = True
            return sleep(1000)
        raise StopIteration


def test_where_looks_through_a_yield_from_of_a_plain_iterator():
    def parked():
        yield from Delegate()

    def main():
        task = yield spawn(parked())
        yield sleep(0)                      # it is parked in the delegate's sleep
        frames = task.where()
        yield cancel(task)
        return [name for _, _, name in frames]

    assert run(main()) == ["parked"]


def test_where_of_an_async_task_ends_at_the_line_that_awaits():
    """Not in the trap's own ``__await__`` (traps.py), which the monitor's
    ``where`` and debug mode showed as the innermost frame of every async
    task."""
    async def napping():
        await sleep(1000)                   # NAPPING

    def main():
        task = yield spawn(napping())
        yield sleep(0)
        frames = task.where()
        yield cancel(task)
        return frames

    [(filename, lineno, name)] = run(main())
    assert (filename, name) == (__file__, "napping")
    assert "NAPPING" in linecache.getline(filename, lineno)


def test_a_kernel_option_whose_extension_is_missing_says_what_provides_it(monkeypatch):
    """The kernel imports nothing above it: debug mode is served by an
    extension that trampoline.runner registers.  Without it, the option
    says where it comes from instead of failing obscurely."""
    from trampoline.kernel import Kernel
    monkeypatch.delitem(Kernel.extensions, "debug")

    def main():
        yield sleep(0)

    with Kernel(debug=True) as kernel:
        coro = main()
        with pytest.raises(RuntimeError, match="trampoline.runner"):
            kernel.run(coro)
        assert coro.gi_frame is None    # closed, not left to warn
    monkeypatch.undo()
    assert trampoline.run(main()) is None   # and the thread runs kernels as before


def test_run_refusing_its_options_closes_the_coroutine_it_was_given():
    async def async_main():
        pass

    coro = async_main()                 # not left to warn it was never awaited
    with pytest.raises(TypeError, match=r"Kernel\(clock=\.\.\.\)"):
        trampoline.run(coro, clock=5)
    assert coro.cr_frame is None


def test_a_wait_queue_says_how_many_wait():
    from trampoline.waitqueue import WaitQueue
    assert repr(WaitQueue()) == "<WaitQueue waiting=0>"


def test_a_host_loop_lists_the_live_tasks_and_cancels_one_outside_any_task():
    log = []

    def worker(name):
        try:
            yield sleep(3600)
        except Cancelled as exc:
            log.append((name, str(exc)))
            raise

    with Kernel(clock=VirtualClock()) as kernel:
        first = kernel.spawn(worker("first"), name="first")
        second = kernel.spawn(worker("second"), name="second")
        kernel.run_once()
        assert kernel.tasks() == [first, second]
        kernel.cancel(first)                            # a new Cancelled
        kernel.cancel(second, Cancelled("by the tool"))
        kernel.run_once()
        thrown = first.last_cancel
        kernel.cancel(first)                            # done: nothing happens
        assert kernel.tasks() == []
        assert first.last_cancel is thrown and first.cancelled      # (not a second cancel)
    assert log == [("first", "cancelled from outside the tasks"), ("second", "by the tool")]


def test_handlers_wrapped_twice_count_every_trap_and_unwrap_in_turn():
    seen = []

    def counting(label):
        def wrap(kind, handler):
            def counted(task, trap):
                seen.append((label, kind.__name__ if kind else "other"))
                return handler(task, trap)
            return counted
        return wrap

    def main():
        yield sleep(0)

    with Kernel() as kernel:
        unwrap_outer = kernel.wrap_handlers(counting("outer"))
        unwrap_inner = kernel.wrap_handlers(counting("inner"))
        kernel.run(main())
        unwrap_inner()
        assert "_trap_other" in vars(kernel)        # the outer wrapper's, still
        unwrap_outer()
        assert "_trap_other" not in vars(kernel)    # the method again
        kernel.run(main())
    assert seen == [("inner", "sleep"), ("outer", "sleep")]


def test_an_instrument_added_while_running_sees_the_steps_and_a_trap_hook_is_refused():
    class Steps:
        def __init__(self):
            self.steps = []

        def task_step_done(self, task, seconds):
            self.steps.append((task.name, seconds >= 0))

    class Traps:
        def task_trap(self, task, trap):
            pass                        # pragma: no cover - refused before it could run

    steps = Steps()

    def main():
        kernel = yield trampoline.traps.current_kernel()
        kernel.add_instrument(steps)    # mid-step: this step is not timed
        yield sleep(0)
        yield sleep(0)                  # the one step it sees ends here
        kernel.remove_instrument(steps)
        yield sleep(0)

    with Kernel() as kernel:
        with pytest.raises(ValueError, match="task_trap"):
            kernel.add_instrument(Traps())
        kernel.run(main())
    assert steps.steps == [("main", True)]


@pytest.mark.parametrize("primitive", ["Event", "Queue", "Semaphore", "Future"])
def test_a_wait_whose_park_comes_as_the_budget_runs_out_is_not_missed(primitive):
    """A task checks that it must wait (``Event.wait``: the flag is clear)
    and yields its ``park`` just as its budget of traps runs out.  Deferred
    to the back of the ready queue, the park came after the wake-up of the
    task queued behind it (``set``, ``put``, ``release``), which found
    nobody waiting: the task waited for ever.  A park is performed at once."""
    from trampoline import Event, Future, Queue, Semaphore, TaskTimeout, timeout_after
    from trampoline.kernel import BUDGET

    make, wait, wake = {
        "Event": (Event, lambda e: e.wait(), lambda e: e.set()),
        "Queue": (Queue, lambda q: q.get(), lambda q: q.put_nowait("item")),
        "Semaphore": (lambda: Semaphore(0), lambda s: s.acquire(), lambda s: s.release()),
        "Future": (Future, lambda f: f.wait(), lambda f: f.set_result("done")),
    }[primitive]

    def waiter(traps_before, thing):
        for _ in range(traps_before):
            yield current()                 # each uses one of the budget's traps
        yield wait(thing)

    def waker(thing):
        wake(thing)
        yield sleep(0)

    def main():
        missed = []
        for traps_before in range(BUDGET + 3):
            thing = make()
            task = yield spawn(waiter(traps_before, thing))
            yield spawn(waker(thing))       # runs right after the waiter's first step
            try:
                yield timeout_after(1, join(task))
            except TaskTimeout:
                missed.append(traps_before)
                yield cancel(task)
        return missed

    assert run(main(), clock=VirtualClock()) == []


@pytest.mark.parametrize("trap", [spawn, call])
def test_a_spawn_dropped_by_a_cancellation_closes_its_coroutine(trap):
    """A ``spawn`` (or a ``call``) deferred as its task's budget runs out,
    then dropped by a cancellation (an expired timeout), never started its
    coroutine: it is closed, so Python does not warn that it was never
    awaited (and a generator's ``finally`` has nothing to run)."""
    import gc
    import warnings

    from trampoline import TaskTimeout, timeout_after
    from trampoline.kernel import BUDGET

    async def child():
        pass

    made = []

    async def main():
        try:
            async with timeout_after(0):
                for _ in range(BUDGET - 1):
                    await current()
                coro = child()
                made.append(coro)
                await trap(coro)            # the budget's last trap: deferred, dropped
        except TaskTimeout:
            pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(main(), clock=VirtualClock())
        closed = made[0].cr_frame is None
        made.clear()
        gc.collect()
    assert closed
    assert not [w for w in caught if "never awaited" in str(w.message)]


def test_kernel_methods_refuse_what_would_break_the_kernel_later():
    """Each of these was taken, and failed later, elsewhere: ``close()``
    from a task of the running kernel (its run() then failed on a closed
    epoll object), a NaN deadline for ``set_alarm`` (it broke the timer heap
    and run() failed out of the loop), a name that is no string for
    ``spawn_threadsafe`` (refused in the kernel's thread, only logged)."""
    errors = []

    def closer(kernel):
        try:
            kernel.close()
        except RuntimeError as error:
            errors.append(str(error))
        me = yield current()
        try:
            kernel.set_alarm(me, float("nan"), Cancelled())
        except ValueError as error:
            errors.append(str(error))
        try:
            kernel.set_alarm(me, "soon", Cancelled())
        except TypeError as error:
            errors.append(str(error))
        return "still running"

    with Kernel() as kernel:
        assert kernel.run(closer(kernel)) == "still running"
        assert not kernel.closed
        coro = closer(kernel)
        with pytest.raises(TypeError, match=r"spawn_threadsafe\(\): name must be a string"):
            kernel.spawn_threadsafe(coro, name=5)
        assert coro.gi_frame is None            # closed: it will never run
    assert "Kernel.close() called while the kernel runs" in errors[0]
    assert errors[1:] == ["set_alarm(): the deadline must not be NaN",
                          "set_alarm(): the deadline must be a number on the kernel's clock, "
                          "got 'soon'"]


def test_set_alarm_takes_a_number_of_a_float_subclass_as_a_float():
    """A deadline of a subclass of float (a unit type, say) is a number:
    taken, as a plain float in the heap."""
    class Seconds(float):
        pass

    def main():
        kernel, me = (yield current_kernel()), (yield current())
        alarm = kernel.set_alarm(me, Seconds(1e9), Cancelled("never"))
        kernel.clear_alarm(me, alarm)
        return type(alarm[0])

    assert run(main()) is float


@pytest.mark.parametrize("where", ["woken", "at once", "pipe", "traced"])
def test_a_read_of_more_than_memory_holds_is_a_memory_error_in_the_task_and_loses_no_byte(where):
    """``read(sock, 1 << 40)``: the socket allocates ``nbytes`` before it
    reads.  Where the poller wakes the reader and reads for it, the bare
    MemoryError went out of the loop and ended the kernel (every task
    with it); elsewhere it said nothing.  Now it is the reader's error,
    naming the size, and the bytes are still there for the next read --
    a socket's when it wakes the reader, when it is read at once (a
    traced run reads in the trap), and a pipe's."""
    huge = 1 << 40
    if where == "pipe":
        r, w = os.pipe()
        a, b = os.fdopen(r, "rb", buffering=0), os.fdopen(w, "wb", buffering=0)
        send = b.write
    else:
        a, b = socket.socketpair()
        send = b.send

    def reader():
        try:
            yield read(a, huge)
        except MemoryError as error:
            return str(error)

    def main():
        if where != "woken":
            send(b"x")
        task = yield spawn(reader())
        yield sleep(0)
        if where == "woken":
            send(b"x")
        message = yield join(task)
        send(b"yz")
        return message, (yield read(a, 10))

    instruments = [trampoline.trace.TextTrace(io.StringIO())] if where == "traced" else []
    with a, b:
        message, data = trampoline.run(main(), instruments=instruments)
    assert message == ("read() of up to %d bytes: no memory for a buffer that big (a read "
                       "allocates nbytes first); ask for less" % huge)
    assert data == b"xyz"


def test_kernel_timers_say_when_each_sleep_ends_and_each_task_s_nearest_timeout_comes():
    """``Kernel.timers()``: what the monitor's ps shows (a sleep's time
    left, a timeout's), through a public method rather than the heap."""
    def sleeper():
        yield trampoline.sleep(10)

    def under_timeouts():
        with timeout_after(float("inf")):          # no deadline: not shown
            with timeout_after(50):
                with timeout_after(5):              # the nearest
                    yield trampoline.sleep(100)

    def main():
        kernel = yield current_kernel()
        yield trampoline.sleep(1)
        with timeout_after(3):                      # cleared: not shown
            pass
        first = yield spawn(sleeper())
        second = yield spawn(under_timeouts())
        yield trampoline.sleep(0)
        timers = kernel.timers()
        yield cancel(first)
        yield cancel(second)
        return timers, first, second

    timers, first, second = trampoline.run(main(), clock=VirtualClock())
    assert timers == {first: (11, None), second: (101, 6)}, timers
