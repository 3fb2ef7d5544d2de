"""Signals: SignalSet, signal_wait, and run(..., shutdown_signals=...)."""

import asyncio
import contextlib
import errno
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

import trampoline.signals
import trampoline.timers
from trampoline import (Cancelled, Kernel, SignalSet, TaskError, cancel, join, run, signal_wait,
                        sleep, spawn, timeout_after)
from trampoline.aio import AsyncioDriver
from trampoline.signals import MAX_UNREAD
from trampoline.sync import Event

from net_helpers import asyncio_run, watchdog  # noqa: F401  (watchdog: autouse)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals only")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kill(signo):
    os.kill(os.getpid(), signo)


def test_signals_are_queued_in_order_and_everything_is_restored():
    before = signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2)

    def main():
        with SignalSet(signal.SIGUSR1, signal.SIGUSR2) as signals:
            kill(signal.SIGUSR2)            # before anyone waits: queued
            kill(signal.SIGUSR1)
            kill(signal.SIGUSR2)
            got = []
            for _ in range(3):
                got.append((yield signals.wait()))
            return got

    assert run(main()) == [signal.SIGUSR2, signal.SIGUSR1, signal.SIGUSR2]
    assert (signal.getsignal(signal.SIGUSR1), signal.getsignal(signal.SIGUSR2)) == before
    old = signal.set_wakeup_fd(-1)          # nobody's wakeup fd is left behind
    signal.set_wakeup_fd(old)
    assert old == -1


def test_a_flood_of_signals_nobody_reads_stops_growing_the_queue():
    """Past MAX_UNREAD signals unread, a signal already queued is not queued
    again (the system merges a pending signal too; trio keeps one of each):
    the queue of a set whose reader is busy grew by one entry per signal for
    ever.  A signal not yet among them is still queued, after the others."""
    def main():
        with SignalSet(signal.SIGUSR1, signal.SIGUSR2) as signals:
            for _ in range(MAX_UNREAD + 200):
                kill(signal.SIGUSR1)
            kill(signal.SIGUSR2)
            kill(signal.SIGUSR1)            # already queued: merged
            got = []
            while not got or got[-1] != signal.SIGUSR2:
                got.append((yield signals.wait()))
            left = repr(signals)
            kill(signal.SIGUSR1)            # read down: queued again
            got.append((yield signals.wait()))
            return got, left

    # (a handler that counts: what is left unread goes to it on leaving)
    unread = []
    before = signal.signal(signal.SIGUSR1, lambda signo, frame: unread.append(signo))
    try:
        got, left = run(main())
    finally:
        signal.signal(signal.SIGUSR1, before)
    assert got == [signal.SIGUSR1] * MAX_UNREAD + [signal.SIGUSR2, signal.SIGUSR1]
    assert left.endswith("pending=0>") and unread == []


def test_a_signal_goes_to_every_set_that_names_it():
    def waiter(signo):
        return (yield signal_wait(signo))

    def main():
        first = yield spawn(waiter(signal.SIGUSR1))
        second = yield spawn(waiter(signal.SIGUSR1))
        other = yield spawn(waiter(signal.SIGUSR2))
        yield sleep(0)                      # all three are waiting now
        kill(signal.SIGUSR1)
        got = [(yield join(first)), (yield join(second))]
        assert not other.done               # SIGUSR2 never came
        kill(signal.SIGUSR2)
        got.append((yield join(other)))
        return got

    assert run(main()) == [signal.SIGUSR1, signal.SIGUSR1, signal.SIGUSR2]


def test_cancelling_the_task_reading_the_signals_hands_the_reading_on():
    def waiter(signo, started=None):
        if started:
            started.set()
        return (yield signal_wait(signo))

    def main():
        reader = yield spawn(waiter(signal.SIGUSR1))
        yield sleep(0)                      # it reads the wakeup socket now
        other = yield spawn(waiter(signal.SIGUSR2))
        yield sleep(0)                      # it parks behind the reader
        yield cancel(reader)
        kill(signal.SIGUSR2)
        return reader.cancelled, (yield join(other))

    assert run(main()) == (True, signal.SIGUSR2)
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


@pytest.mark.skipif(not hasattr(signal, "SIGRTMIN"), reason="no real-time signals here")
def test_real_time_signals_are_taken_too():
    """A real-time signal (SIGRTMIN+n: signal.signal takes it, the Signals
    enum does not name it) in a SignalSet and in shutdown_signals."""
    realtime = signal.SIGRTMIN + 1
    before = signal.getsignal(realtime)

    def main():
        with SignalSet(realtime, signal.SIGUSR1) as signals:
            assert "SIGRTMIN+1 SIGUSR1" in repr(signals)
            kill(realtime)
            kill(signal.SIGUSR1)
            return [(yield signals.wait()), (yield signals.wait())]

    def stopped():
        kill(realtime)
        yield sleep(60)

    assert run(main()) == [realtime, signal.SIGUSR1]
    assert run(stopped(), shutdown_signals=[realtime]) is None
    assert signal.getsignal(realtime) == before


@pytest.mark.parametrize("beside", ["alone", "beside another set"])
def test_a_set_left_while_tasks_wait_on_it_is_a_clear_error_at_once(beside, monkeypatch):
    """Another task leaves the block of a set two tasks wait on (one reads
    the wake-up socket, one is parked): both get RuntimeError at once.  (The
    set alone: the socket was closed under them, and the kernel's sweep gave
    a cryptic EBADF; beside a set that keeps the machinery up: they waited
    forever.)  No sweep here to help: a hang would be a timeout."""
    monkeypatch.setattr(trampoline.timers, "SWEEP_INTERVAL", trampoline.timers.MAX_TIMEOUT)

    def waiter(signals):
        return (yield signals.wait())

    def main():
        with SignalSet(signal.SIGUSR2) if beside != "alone" else contextlib.nullcontext():
            with SignalSet(signal.SIGUSR1) as signals:
                tasks = [(yield spawn(waiter(signals))), (yield spawn(waiter(signals)))]
                yield sleep(0)              # both wait now
            errors = []
            for task in tasks:
                with pytest.raises(TaskError) as info:
                    yield timeout_after(5, join(task))
                errors.append(info.value.__cause__)
            return errors

    errors = run(main())
    assert [type(error) for error in errors] == [RuntimeError, RuntimeError]
    assert all("was left while this task waited" in str(error) for error in errors)


def test_signals_left_unread_in_a_set_go_to_the_handler_it_replaced():
    """As trio's open_signal_receiver: a signal the set received but no task
    took from it before the block was left -- it came just too late -- is
    not lost; it goes to the handler the set had replaced, once for each
    signal (in the order they came).  One still taken by another set, which
    has its own copy, is not: nor is one a task did take."""
    got = []

    def previous(signo, frame):
        got.append(signo)

    def main():
        with SignalSet(signal.SIGUSR2):
            with SignalSet(signal.SIGUSR1, signal.SIGUSR2) as signals:
                kill(signal.SIGUSR1)
                assert (yield signals.wait()) == signal.SIGUSR1     # read: not passed on
                kill(signal.SIGUSR2)        # the outer set has it too
                kill(signal.SIGUSR1)
                kill(signal.SIGUSR1)
                yield sleep(0)
            assert got == [signal.SIGUSR1]
        return got

    before = [signal.signal(signo, previous) for signo in (signal.SIGUSR1, signal.SIGUSR2)]
    try:
        assert run(main()) == [signal.SIGUSR1, signal.SIGUSR2]
    finally:
        for signo, handler in zip((signal.SIGUSR1, signal.SIGUSR2), before):
            signal.signal(signo, handler)


def test_a_ctrl_c_left_unread_in_a_set_is_a_keyboard_interrupt():
    """SIGINT received by a set just before its block is left, under the
    default handler: the program gets its KeyboardInterrupt (and cleanup
    runs), as if the set had not been there; it was lost, and the program
    went on as if nobody had pressed Ctrl-C."""
    cleaned = []

    def main():
        try:
            with SignalSet(signal.SIGINT):
                kill(signal.SIGINT)
                yield sleep(0)
            yield sleep(0)
        finally:
            cleaned.append("main")

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        run(main())
    assert cleaned == ["main"]


def test_a_signal_caught_as_the_set_is_entered_is_not_lost():
    """A signal that comes just after the set's handler is in place, before
    ``__enter__`` has returned, is the set's (it was queued on no set, and
    lost: a server stopped as it started ran on)."""
    def send_it_as_the_handler_goes_in(frame, event, arg):
        if event == "return" and frame.f_code is signal.signal.__code__:
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGUSR1)

    def main():
        sys.setprofile(send_it_as_the_handler_goes_in)
        try:
            with SignalSet(signal.SIGUSR1) as signals:
                sys.setprofile(None)
                return (yield timeout_after(5, signals.wait()))
        finally:
            sys.setprofile(None)

    assert run(main()) == signal.SIGUSR1


def test_a_signal_caught_as_the_set_is_left_is_not_lost():
    """A signal that comes as the block is left, once the set is no longer
    among those the handler queues on but before the handler it replaced is
    back: it was queued nowhere and raised again for nobody -- lost.  Now
    the old handler goes back first, so the set has it (and raises it
    again) or the old handler does."""
    got = []

    def previous(signo, frame):
        got.append(signo)

    def send_it_as_the_set_is_left(frame, event, arg):
        if event == "call" and frame.f_code is trampoline.signals._Hub.give_back.__code__:
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGUSR1)

    def main():
        try:
            with SignalSet(signal.SIGUSR1):
                sys.setprofile(send_it_as_the_set_is_left)
            yield sleep(0)
        finally:
            sys.setprofile(None)

    before = signal.signal(signal.SIGUSR1, previous)
    try:
        run(main())
    finally:
        signal.signal(signal.SIGUSR1, before)
    assert got == [signal.SIGUSR1]


def test_misuse_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one signal"):
        SignalSet()
    with pytest.raises(ValueError):
        SignalSet(12345)

    def outside():
        return (yield SignalSet(signal.SIGUSR1).wait())

    with pytest.raises(RuntimeError, match="outside its 'with' block"):
        run(outside())

    signals = SignalSet(signal.SIGUSR1)
    with signals:
        with pytest.raises(RuntimeError, match="already entered"):
            signals.__enter__()

    errors = []

    def in_a_thread():
        try:
            SignalSet(signal.SIGUSR1).__enter__()
        except RuntimeError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert errors and "only in the main thread" in errors[0]


@pytest.mark.parametrize("signo", [signal.SIGWINCH, signal.SIGCHLD, signal.SIGTSTP])
def test_a_signal_that_would_not_end_the_process_is_no_shutdown_signal(signo):
    """The second shutdown signal is re-sent with its default action, to
    end a program whose cleanup hangs: for SIGWINCH, SIGCHLD (ignored) or
    SIGTSTP (stops) it did nothing.  Refused, naming it, before anything
    runs."""
    before = signal.getsignal(signo)
    coro = main_that_never_runs()
    with pytest.raises(ValueError, match="%s cannot be a shutdown signal" % signo.name):
        run(coro, shutdown_signals=[signal.SIGTERM, signo])
    assert coro.gi_frame is None            # closed: no "never awaited" later
    assert signal.getsignal(signo) is before


def main_that_never_runs():
    raise AssertionError("it ran")          # pragma: no cover
    yield


def test_shutdown_signals_outside_the_main_thread_is_an_error_naming_them():
    """run(..., shutdown_signals=...) in another thread says so in its own
    terms, before anything runs (it spoke of a SignalSet the caller never
    made, from inside the kernel)."""
    outcome = []

    def main():
        yield sleep(0)

    def in_a_thread():
        coro = main()
        try:
            run(coro, shutdown_signals=[signal.SIGTERM])
        except RuntimeError as exc:
            outcome.append(str(exc))
        outcome.append(coro.gi_frame is None)

    thread = threading.Thread(target=in_a_thread, name="not-main")
    thread.start()
    thread.join()
    assert len(outcome) == 2 and outcome[1], outcome
    assert "shutdown_signals" in outcome[0] and "only in the main thread" in outcome[0]
    assert "not-main" in outcome[0]


def test_a_signal_that_is_not_an_int_is_a_type_error_naming_it():
    """As asyncio's add_signal_handler: a name or a float is a TypeError
    that names it (a name was "not a signal number on this system", and
    15.0 was taken as SIGTERM); shutdown_signals given one signal, or a
    name, says what it takes (it said "'Signals' object is not iterable",
    or "'S' is not a signal number")."""
    with pytest.raises(TypeError, match=r"'SIGUSR1' .*signal\.SIGUSR1"):
        SignalSet("SIGUSR1")
    with pytest.raises(TypeError, match=r"15\.0"):
        SignalSet(signal.SIGUSR1, 15.0)

    def main():
        yield sleep(0)

    for wrong in (signal.SIGTERM, "SIGTERM"):
        coro = main()
        with pytest.raises(TypeError, match=r"shutdown_signals.*\(signal\.SIGINT, signal\.SIGTERM\)"
                           r".*got " + re.escape(repr(wrong))):
            run(coro, shutdown_signals=wrong)
        assert coro.gi_frame is None        # closed, not left to warn
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("name", ["SIGKILL", "SIGSTOP"])
def test_a_signal_that_cannot_be_caught_leaves_everything_as_it_was(name):
    """Refused on every interpreter -- PyPy 3.9's signal.signal takes a
    handler for SIGKILL or SIGSTOP (it never runs), and a set holding one
    entered there and waited forever."""
    before = signal.getsignal(signal.SIGUSR1)
    with pytest.raises(OSError, match="%s cannot be caught" % name) as raised:
        SignalSet(signal.SIGUSR1, getattr(signal, name)).__enter__()
    assert raised.value.errno == errno.EINVAL
    assert signal.getsignal(signal.SIGUSR1) == before
    old = signal.set_wakeup_fd(-1)          # not left to a set that never was
    signal.set_wakeup_fd(old)
    assert old == -1


def test_shutdown_signal_cancels_the_main_task_and_run_returns_none():
    cleaned = []

    def child(started):
        try:
            started.set()
            yield sleep(60)
        finally:
            cleaned.append("child")

    def main():
        started = Event()
        task = yield spawn(child(started))
        yield started.wait()
        try:
            kill(signal.SIGTERM)
            yield sleep(60)
        finally:
            yield sleep(0.01)               # cleanup may block
            cleaned.append("main")
            yield cancel(task)

    before = signal.getsignal(signal.SIGTERM)
    assert run(main(), shutdown_signals=(signal.SIGINT, signal.SIGTERM)) is None
    assert cleaned == ["main", "child"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_with_shutdown_signals_results_and_errors_pass_through():
    def returns():
        yield sleep(0)
        return 42

    def raises():
        yield sleep(0)
        raise KeyError("boom")

    def catches():
        try:
            kill(signal.SIGINT)
            yield sleep(60)
        except Cancelled:
            return "stopped politely"

    assert run(returns(), shutdown_signals=[signal.SIGTERM]) == 42
    with pytest.raises(KeyError, match="boom"):
        run(raises(), shutdown_signals=[signal.SIGTERM])
    assert run(catches(), shutdown_signals=[signal.SIGINT]) == "stopped politely"


def test_a_second_signal_kills_a_process_whose_cleanup_hangs():
    script = textwrap.dedent("""
        import os, signal, sys
        from trampoline import run, sleep

        def main():
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                yield sleep(60)
            finally:
                print("cleaning up", flush=True)
                yield sleep(60)             # a cleanup that never ends

        run(main(), shutdown_signals=(signal.SIGINT, signal.SIGTERM))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"cleaning up\n"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_a_crash_is_still_a_task_error_for_joiners():
    # (TaskError is what join gives for a crashed task, shutdown_signals or not.)
    def crash():
        yield sleep(0)
        raise ValueError("x")

    def main():
        task = yield spawn(crash())
        with pytest.raises(TaskError):
            yield join(task)
        return "ok"

    assert run(main(), shutdown_signals=[signal.SIGTERM]) == "ok"


def test_a_kernel_closed_with_a_set_still_entered_gives_its_signals_back():
    """A host loop closes its kernel while a task waits in a SignalSet: the
    task is dropped, its ``with`` block never left -- and the set's handler
    stayed, swallowing the signal (a Ctrl-C, say) for the rest of the
    process.  As asyncio's loop.close() removes its signal handlers, the
    kernel's close gives them back, and the wake-up fd; the task's frame,
    closed later (by the GC), finds nothing left to do."""
    before = signal.getsignal(signal.SIGUSR1)

    def waiter():
        with SignalSet(signal.SIGUSR1) as signals:
            yield signals.wait()

    coro = waiter()
    kernel = Kernel()
    try:
        kernel.spawn(coro)
        kernel.run_once(0)                  # it waits in the set now
        assert signal.getsignal(signal.SIGUSR1) is not before
    finally:
        kernel.close()
    assert signal.getsignal(signal.SIGUSR1) is before
    old = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(old)
    assert old == -1
    coro.close()                            # as the GC would: harmless
    assert signal.getsignal(signal.SIGUSR1) is before


# ------------------------------------------ a kernel blocked in its poller

def _blocked_in_poller(native_id):
    """Whether that thread of ours sleeps in the kernel's poller: its wait
    channel names a poll (do_epoll_wait, ep_poll ...); where the channel is
    not shown, at least asleep."""
    task = "/proc/self/task/%d/" % native_id
    with open(task + "wchan") as f:
        wchan = f.read().strip()
    if wchan and wchan != "0":
        return "poll" in wchan
    with open(task + "stat") as f:
        return f.read().rpartition(")")[2].split()[0] == "S"


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs /proc (Linux)")
@pytest.mark.parametrize("caught_by", ["main thread", "other thread"])
def test_a_signal_wakes_a_kernel_blocked_in_its_poller_with_no_timer(caught_by, monkeypatch):
    """The signal comes while the kernel has nothing to do but wait in its
    poller, with no timeout (not even the sweep's, once a second while a
    descriptor is watched: a wake-up lost would be a hang).  Caught by the
    main thread, it interrupts the poll (EINTR), Python runs the handler,
    which writes the wake-up byte, and the poll, retried, returns.  Caught
    by another thread, nothing interrupts the main thread's poll: the byte
    the interpreter writes to the wake-up fd (ours, as nobody else had one)
    wakes it."""
    monkeypatch.setattr(trampoline.timers, "SWEEP_INTERVAL", trampoline.timers.MAX_TIMEOUT)
    errors = []

    def send(main_thread):
        try:
            while not _blocked_in_poller(main_thread):
                os.sched_yield()
            if caught_by == "main thread":
                signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])     # not here
                kill(signal.SIGUSR1)
            else:
                signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)    # only here
        except BaseException as exc:        # pragma: no cover - the test fails with it
            errors.append(exc)

    def main():
        with SignalSet(signal.SIGUSR1) as signals:
            sender = threading.Thread(target=send, args=(threading.main_thread().native_id,))
            sender.start()
            try:
                return (yield signals.wait())
            finally:
                sender.join()

    assert run(main()) == signal.SIGUSR1
    assert not errors


# ------------------------------------------ beside asyncio's signal handlers

@pytest.mark.parametrize("entered", ["after asyncio's handler", "before asyncio's handler"])
def test_a_signal_set_leaves_asyncio_its_own_signals_and_wakeup_fd(entered):
    """asyncio's add_signal_handler relies on the process's wake-up fd (its
    Python-level handler does nothing).  A SignalSet entered before or after
    it, in a kernel the same loop drives, neither swallows asyncio's signal
    while it is open nor leaves asyncio's handler dead once it is left."""
    before = {signo: signal.getsignal(signo) for signo in (signal.SIGUSR1, signal.SIGTERM)}

    def takes_sigusr1(entered_future):
        with SignalSet(signal.SIGUSR1) as signals:
            entered_future.set_result(None)
            return (yield signals.wait())

    async def main():
        loop = asyncio.get_running_loop()
        got = asyncio.Queue()

        def asyncio_takes_sigterm():
            loop.add_signal_handler(signal.SIGTERM, got.put_nowait, "asyncio: SIGTERM")

        async def asyncio_gets_sigterm():
            kill(signal.SIGTERM)
            return await asyncio.wait_for(got.get(), 5)

        seen = []
        if entered == "after asyncio's handler":
            asyncio_takes_sigterm()
        try:
            with Kernel() as kernel:
                async with AsyncioDriver(kernel) as driver:
                    in_set = loop.create_future()
                    trampoline_side = asyncio.ensure_future(driver.run(takes_sigusr1(in_set)))
                    await in_set
                    if entered == "before asyncio's handler":
                        asyncio_takes_sigterm()
                    seen.append(await asyncio_gets_sigterm())       # while the set is open
                    kill(signal.SIGUSR1)
                    seen.append(signal.Signals(await asyncio.wait_for(trampoline_side, 5)).name)
            seen.append(await asyncio_gets_sigterm())               # once it is left
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
        return seen

    assert asyncio_run(main()) == ["asyncio: SIGTERM", "SIGUSR1", "asyncio: SIGTERM"]
    assert {signo: signal.getsignal(signo) for signo in before} == before
    old = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(old)
    assert old == -1


def test_a_stop_signal_that_comes_as_the_run_ends_is_not_raised_again():
    """run(..., shutdown_signals=...) whose main task ends just as a stop
    signal comes, before the watcher has read it (a worker told to stop by
    its supervisor and by the terminal's Ctrl-C at once): the signal asked
    for what is happening, so the run ends cleanly -- it is not raised
    again for the default handler as the set is left, which made a
    KeyboardInterrupt traceback and exit status 1 after a clean stop."""
    script = textwrap.dedent("""
        import os, signal, trampoline
        def main():
            yield trampoline.sleep(0)
            os.kill(os.getpid(), signal.SIGINT)     # queued; nobody reads it now
            return "done"
        print(trampoline.run(main(), shutdown_signals=(signal.SIGINT, signal.SIGTERM)))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


def test_stop_signals_leave_out_a_hang_up_this_process_ignores():
    """stop_signals(): SIGINT, SIGTERM and SIGHUP -- less SIGHUP while the
    process ignores it, as under nohup (a hang-up asked to be survived)."""
    from trampoline.signals import stop_signals
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        assert stop_signals() == (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        assert stop_signals() == (signal.SIGINT, signal.SIGTERM)
    finally:
        signal.signal(signal.SIGHUP, before)
