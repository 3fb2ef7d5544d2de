"""What no other test pinned in signals.py and threads.py (found by mutating
them): how a SignalSet shares the process's wake-up fd with whoever else
holds it and gives back what it received, and how the worker pool counts
its threads, makes the default pool in a forked child, and lets go of an error's
traceback."""

import contextlib
import gc
import os
import platform
import signal
import socket
import sys
import threading
import time
import weakref

import pytest

import trampoline
from drop_helpers import collect_harder
from net_helpers import watchdog  # noqa: F401  (autouse)
from trampoline import Future, SignalSet, cancel, join, sleep, spawn
from trampoline.signals import MAX_UNREAD
from trampoline.threads import WorkerPool

posix_signals = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals only")


def kill(signo):
    os.kill(os.getpid(), signo)


@contextlib.contextmanager
def someone_elses_wakeup_fd():
    """The process's wake-up fd taken by someone else (an asyncio loop's
    self-pipe, say): yields the socket that fd wakes, and gives the old
    one back after."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    old = signal.set_wakeup_fd(writer.fileno())
    try:
        yield reader, writer
    finally:
        signal.set_wakeup_fd(old)
        reader.close()
        writer.close()


def unread(sock):
    try:
        return sock.recv(4096)
    except BlockingIOError:
        return b""


# ------------------------------------------------------------- signals

def test_a_set_keeps_as_many_unread_signals_as_its_docstring_says():
    """SignalSet's docstring promises 1,024 unread signals before a flood
    is merged (test_signals uses the constant, whatever its value)."""
    assert MAX_UNREAD == 1024


@posix_signals
def test_a_signal_another_thread_catches_as_a_set_is_entered_still_wakes_the_fds_owner():
    """To learn whether the wake-up fd is free, a SignalSet puts its own in
    place and, if there was another, puts that back.  A signal caught in
    another thread in between -- one the fd's owner handles, as asyncio's
    add_signal_handler does, with a no-op handler and its wake-up fd --
    wrote its byte to the set's socket: it must be passed on to the owner,
    or asyncio never hears of its signal."""
    fired = []

    def caught_by_another_thread():
        # (threads inherit the mask: the set blocks signals in the main
        # thread while it swaps the wake-up fds)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGUSR1])
        signal.raise_signal(signal.SIGUSR1)         # its C handler runs here, now

    def between_the_swaps(frame, event, arg):
        if event == "c_return" and arg is signal.set_wakeup_fd and not fired:
            fired.append(True)
            thread = threading.Thread(target=caught_by_another_thread)
            thread.start()
            thread.join()

    before = signal.signal(signal.SIGUSR1, lambda signo, frame: None)
    try:
        with someone_elses_wakeup_fd() as (reader, writer):
            sys.setprofile(between_the_swaps)
            try:
                with SignalSet(signal.SIGUSR2):
                    sys.setprofile(None)
            finally:
                sys.setprofile(None)
            if not fired:                           # pragma: no cover - PyPy
                pytest.skip("no profile event for a call of a builtin here")
            assert unread(reader) == bytes((signal.SIGUSR1,))
    finally:
        signal.signal(signal.SIGUSR1, before)


@posix_signals
def test_wakeup_bytes_a_set_already_had_do_not_go_to_whoever_took_the_fd_since():
    """A set holds the wake-up fd; then someone else takes it (an asyncio
    loop started while the set is open).  On leaving, the set gives bytes
    caught meanwhile to the new owner -- but not the bytes of signals it
    received itself, already queued and taken: the new owner would see a
    signal it never got."""
    def main(writer):
        with SignalSet(signal.SIGUSR2) as signals:
            kill(signal.SIGUSR2)                    # its wake-up bytes wait unread
            assert (yield signals.wait()) == signal.SIGUSR2     # (queued: no read)
            signal.set_wakeup_fd(writer.fileno())   # someone else takes the fd now

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        trampoline.run(main(writer))
        assert signal.set_wakeup_fd(-1) == writer.fileno()     # theirs stays theirs
        assert unread(reader) == b""
    finally:
        signal.set_wakeup_fd(-1)
        reader.close()
        writer.close()


@posix_signals
def test_different_signals_left_unread_are_each_raised_again_in_the_order_they_came():
    """As trio's open_signal_receiver on leaving: every signal the set
    received and nobody read goes to the handler it had replaced -- each
    one, once, in the order they came (not only the first, nor the last
    twice)."""
    got = []

    def previous(signo, frame):
        got.append(signo)

    def main():
        with SignalSet(signal.SIGUSR1, signal.SIGUSR2):
            kill(signal.SIGUSR2)
            kill(signal.SIGUSR1)
            kill(signal.SIGUSR2)                    # (already unread: once is enough)
            yield sleep(0)
        return list(got)

    before = [signal.signal(signo, previous) for signo in (signal.SIGUSR1, signal.SIGUSR2)]
    try:
        assert trampoline.run(main()) == [signal.SIGUSR2, signal.SIGUSR1]
    finally:
        for signo, handler in zip((signal.SIGUSR1, signal.SIGUSR2), before):
            signal.signal(signo, handler)


@posix_signals
def test_a_set_left_is_not_kept_alive_by_its_kernel():
    """A set entered in a running kernel asks to be told if the kernel
    closes first; leaving it takes that back -- else a server that waits
    for SIGHUP in a loop (a SignalSet a time) kept every one of them alive
    in its kernel until the end."""
    def main():
        left = []
        for _ in range(3):
            with SignalSet(signal.SIGUSR1) as signals:
                kill(signal.SIGUSR1)
                yield signals.wait()
            left.append(weakref.ref(signals))
        del signals
        collect_harder()
        return [ref() for ref in left]

    assert trampoline.run(main()) == [None, None, None]


@posix_signals
def test_a_set_entered_again_does_not_give_a_signal_it_already_passed_on():
    """A signal left unread when a set's block is left goes to the handler
    before it -- and is gone from the set: entered again, the set gives
    only what comes next (not that one a second time)."""
    got = []

    def main():
        signals = SignalSet(signal.SIGUSR1, signal.SIGUSR2)
        with signals:
            kill(signal.SIGUSR1)                    # left unread
            yield sleep(0)
        assert got == [signal.SIGUSR1]              # passed on to the handler before
        with signals:
            kill(signal.SIGUSR2)
            first = yield signals.wait()
        return first, repr(signals)

    pair = (signal.SIGUSR1, signal.SIGUSR2)
    before = [signal.signal(signo, lambda signo, frame: got.append(signo)) for signo in pair]
    try:
        assert trampoline.run(main()) == (signal.SIGUSR2,
                                          "<SignalSet SIGUSR1 SIGUSR2 pending=0>")
    finally:
        for signo, handler in zip(pair, before):
            signal.signal(signo, handler)
    assert got == [signal.SIGUSR1]


# ------------------------------------------------------------- threads

def test_max_workers_that_is_a_bool_or_a_float_is_refused():
    """As the docstring says: True is no count of threads, nor is 2.0."""
    for wrong in (True, 2.0):
        with pytest.raises(ValueError, match=r"max_workers must be an int >= 1, got %r"
                                             % (wrong,)):
            WorkerPool(wrong)


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="freed at once by reference counting only on CPython")
def test_an_error_from_a_thread_does_not_keep_what_its_frames_held_alive():
    """The exception raised in the task carries the worker's frames in its
    traceback; once the task is done with it, what those frames held (a
    buffer, an open file) is freed at once -- no cycle through the job
    keeps it until the cycle collector runs."""
    pool = WorkerPool(1, name="error-frames")

    class Held:
        pass

    held = []

    def fails():
        thing = Held()
        held.append(weakref.ref(thing))
        raise KeyError("boom")

    def main():
        try:
            yield pool.run(fails)
        except KeyError:
            pass
        yield sleep(0)          # (the kernel's own reference to what it threw in goes)
        return held[0]() is None

    gc.collect()
    gc.disable()
    try:
        assert trampoline.run(main())
    finally:
        gc.enable()


def test_a_worker_whose_queued_call_was_dropped_counts_as_idle_again():
    """A call still queued when its task is cancelled never starts; the
    worker that finds it dropped waits for the next job, counted idle (else
    the pool thought itself busier than it is, and started threads it did
    not need)."""
    pool = WorkerPool(1, name="dropped-job")
    started = Future()
    gate = threading.Event()
    ran = []

    def blocker():
        started.set_result(None)
        gate.wait(10)

    def main():
        busy = yield spawn(pool.run(blocker))
        yield started
        queued = yield spawn(pool.run(ran.append, "never"))
        while "queued=1" not in repr(pool):         # it has handed its call in
            yield sleep(0)
        yield cancel(queued)
        gate.set()
        yield join(busy)

    trampoline.run(main())
    deadline = time.monotonic() + 5
    while "idle=1 queued=0" not in repr(pool) and time.monotonic() < deadline:
        os.sched_yield()                            # (the worker drops the call)
    assert repr(pool) == "<WorkerPool workers=1/1 idle=1 queued=0>"
    assert ran == []


FORK_INSIDE_DEFAULT_POOL = r"""
import os, sys, threading
import trampoline
from trampoline import run, run_in_thread, timeout_after
from trampoline.threads import WorkerPool

inside, forked = threading.Event(), threading.Event()

def held_inside(frame, event, arg):     # stops the thread as it makes the default pool
    if event == "call" and frame.f_code is WorkerPool.__init__.__code__:
        sys.setprofile(None)
        inside.set()
        forked.wait(10)

def first_call():
    sys.setprofile(held_inside)
    run(run_in_thread(os.getpid))

thread = threading.Thread(target=first_call)
thread.start()
assert inside.wait(10)
pid = os.fork()
if pid == 0:
    try:
        print("child:", run(timeout_after(5, run_in_thread(os.getpid))) == os.getpid(), flush=True)
    finally:
        os._exit(0)
forked.set()
_, status = os.waitpid(pid, 0)
thread.join(10)
print("parent:", status, flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_thread_makes_the_default_pool_can_still_make_its_own():
    """Forked while another thread was making the default pool (its lock
    held): the child has no such thread, and its first run_in_thread must
    not wait for ever on a lock nobody will let go."""
    import subprocess
    done = subprocess.run([sys.executable, "-c", FORK_INSIDE_DEFAULT_POOL],
                          capture_output=True, text=True, timeout=30)
    assert done.stdout == "child: True\nparent: 0\n", done.stdout + done.stderr
