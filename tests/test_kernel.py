"""The kernel's own machinery: shutdown, deadlock, descriptor bookkeeping,
backends -- the paths a program only meets when something goes wrong."""

import copy
import errno
import pickle
import selectors
import signal
import socket
import subprocess
import sys

import pytest

import trampoline
from trampoline import (Cancelled, Kernel, ResourceBusy, TaskError, accept, cancel,
                        connect, current, join, read, read_wait, sleep, spawn, write,
                        write_wait)
from trampoline.poller import EpollPoller, SelectorPoller

import net_helpers

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test, not the run)


def do(trap):
    return (yield trap)


def noop():
    return
    yield


def settle():
    """Return once every task that was ready has run up to its next wait."""
    yield join((yield spawn(noop())))


def fill(sock):
    """Fill ``sock``'s send buffer (and its peer's receive buffer) completely."""
    sock.setblocking(False)
    total = 0
    try:
        while True:
            total += sock.send(b"x" * 65536)
    except BlockingIOError:
        return total


def drain(sock, nbytes):
    """Read exactly ``nbytes`` with plain blocking recv (outside the kernel)."""
    sock.setblocking(True)
    got = 0
    while got < nbytes:
        got += len(sock.recv(1 << 20))
    return got


# ------------------------------------------------------------- shutdown

def test_a_parked_task_that_swallows_cancellation_is_closed_at_shutdown(caplog):
    """A task that catches every Cancelled and sleeps again cannot hang run():
    after the grace rounds its frames are closed (its finally runs) and a
    warning names it."""
    log = []

    def stubborn():
        try:
            while True:
                try:
                    yield sleep(10)
                except Cancelled:
                    log.append("ignored")
        finally:
            log.append("closed")

    def main():
        yield spawn(stubborn())
        yield settle()
        return "main done"

    with Kernel() as kernel:
        kernel.shutdown_grace = 0.01
        assert kernel.run(main()) == "main done"
    assert log == ["ignored", "ignored", "ignored", "closed"]
    assert "stubborn" in caplog.text and "did not finish" in caplog.text


def test_a_busy_task_that_swallows_cancellation_is_closed_at_shutdown(caplog):
    """The same for a task that never parks: it is taken off the ready queue."""
    closed = []

    def spinner():
        try:
            while True:
                try:
                    yield current()
                except Cancelled:
                    pass
        finally:
            closed.append(True)

    def main():
        yield spawn(spinner())
        yield sleep(0)

    with Kernel() as kernel:
        kernel.shutdown_grace = 0.01
        kernel.run(main())
    assert closed == [True]
    assert "spinner" in caplog.text


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "shutdown_signals"])
def test_a_main_task_that_ignores_its_close_does_not_hide_the_ctrl_c(caplog, wrapped):
    """A Ctrl-C, and a main task that swallows every cancellation and then
    its close too (its handler yields again): the shutdown abandons it and
    says so, and run() raises the KeyboardInterrupt -- the exit Python
    gives a Ctrl-C (130), not a RuntimeError("generator ignored
    GeneratorExit") from closing that same coroutine once more at the end
    (the telnet example's Ctrl-C on 3.13 showed only that)."""
    swallowed = []
    stubborn = [True]

    def ctrl_c():
        raise KeyboardInterrupt
        yield

    def main():
        yield spawn(ctrl_c())
        while stubborn:
            try:
                yield sleep(60)
            except BaseException as exc:       # Cancelled, then GeneratorExit
                swallowed.append(type(exc).__name__)

    coro = main()
    with Kernel() as kernel:
        kernel.shutdown_grace = 0.01
        with pytest.raises(KeyboardInterrupt) as raised:
            kernel.run(coro, shutdown_signals=[signal.SIGTERM] if wrapped else ())
    stubborn.clear()
    coro.close()                        # (it gives in now: no warning when it is freed)
    assert raised.value.__context__ is None
    assert swallowed[:3] == ["Cancelled"] * 3 and "GeneratorExit" in swallowed
    assert "did not finish" in caplog.text and "ignored GeneratorExit" in caplog.text


@pytest.mark.parametrize("nth", [3, 4, 7, 8])   # (both tasks have begun)
def test_a_ctrl_c_just_after_the_loop_takes_a_task_off_the_ready_queue_loses_no_task(
        caplog, nth):
    """A signal handler's exception (Ctrl-C) comes at whatever instruction
    Python is at: here, just as the loop has taken a task off the ready
    queue, before the task's step began (Python checks for signals as a C
    call returns).  That task is not lost: the shutdown cancels it like the
    others and its cleanup runs; run() raises the KeyboardInterrupt and
    nothing else.  (It was lost: the shutdown waited three graces for it,
    then failed with "... is not in deque" -- CI's telnet Ctrl-C test.)
    The Ctrl-C is raised by a profile function, at the ``nth`` return from
    the loop's ``popleft``."""
    cleaned = []

    def spinner(name):
        try:
            while True:
                yield sleep(0)
        finally:
            cleaned.append(name)

    def main():
        yield spawn(spinner("child"))
        yield spinner("main")

    returns = []

    def profile(frame, event, arg):
        if (event == "c_return" and getattr(arg, "__name__", None) == "popleft"
                and frame.f_code.co_name == "_run_until"):
            returns.append(1)
            if len(returns) == nth:
                raise KeyboardInterrupt

    with Kernel() as kernel:
        kernel.shutdown_grace = 0.01
        sys.setprofile(profile)
        try:
            with pytest.raises(KeyboardInterrupt):
                kernel.run(main())
        finally:
            sys.setprofile(None)
    assert sorted(cleaned) == ["child", "main"]
    assert "did not finish" not in caplog.text


def test_tasks_spawned_during_cleanup_are_cancelled_too():
    """Cleanup that spawns a new task (which would wait forever) does not
    keep run() alive: the newcomer is cancelled as well."""
    log = []
    spawned = []

    def late():
        yield sleep(3600)

    def worker():
        try:
            yield sleep(3600)
        finally:
            spawned.append((yield spawn(late())))
            yield sleep(0)
            log.append("worker cleaned up")

    def main():
        yield spawn(worker())
        yield settle()

    trampoline.run(main())
    assert log == ["worker cleaned up"]
    assert spawned[0].cancelled


# ------------------------------------------------------------- deadlock

def test_deadlock_is_an_error_not_a_hang():
    """Every task waiting on another, nothing else to wait for: run() raises a
    RuntimeError naming the tasks instead of blocking forever."""
    def partner(other):
        yield join(other)

    def main():
        me = yield current()
        other = yield spawn(partner(me))
        yield join(other)

    with pytest.raises(RuntimeError, match="deadlock") as info:
        trampoline.run(main())
    assert "partner" in str(info.value)


# ------------------------------------------------------------- timers

def test_a_cancelled_sleeper_leaves_nothing_behind_in_the_timer_heap():
    """A cancelled sleep's timer is dropped when it comes up; the other timers
    still fire in order."""
    fired = []

    def sleeper(name, seconds):
        yield sleep(seconds)
        fired.append(name)

    def main():
        doomed = yield spawn(sleeper("doomed", 0.01))
        kept = yield spawn(sleeper("kept", 0.02))
        yield settle()
        yield cancel(doomed)
        yield join(kept)

    with Kernel() as kernel:
        kernel.run(main())
        assert kernel._timers == []
    assert fired == ["kept"]


# -------------------------------------------------------- descriptors

def test_a_spurious_wakeup_makes_read_wait_again():
    """Readiness reported, then the data taken by someone else before the
    reader runs: its recv would block, so it waits again and gets the next data."""
    a, b = socket.socketpair()

    def main():
        reader = yield spawn(do(read(b, 10)))
        yield settle()                  # parked in read(b)
        a.send(b"stolen")
        yield sleep(0)                  # the poll wakes the reader, behind us
        assert b.recv(10) == b"stolen"  # we run first and take the data
        yield sleep(0)                  # the reader finds nothing, waits again
        a.send(b"fresh")
        return (yield join(reader))

    with a, b:
        assert trampoline.run(main()) == b"fresh"


def test_write_into_a_full_buffer_waits_then_completes():
    """write() when not a single byte fits: it parks, and finishes once the
    peer drains."""
    a, b = socket.socketpair()

    def main():
        stuffed = fill(a)
        writer = yield spawn(do(write(a, b"tail")))
        yield settle()
        assert not writer.done          # nothing fitted: it waits
        b.setblocking(False)
        yield read_wait(b)
        drain(b, stuffed)
        yield join(writer)
        return b.recv(4)

    with a, b:
        assert trampoline.run(main()) == b"tail"


def test_second_write_wait_on_the_same_fd_is_busy():
    """Two tasks waiting to write one descriptor: ResourceBusy in the second."""
    a, b = socket.socketpair()

    def main():
        stuffed = fill(a)
        first = yield spawn(do(write_wait(a)))
        yield settle()
        with pytest.raises(ResourceBusy, match="already waiting to write"):
            yield write_wait(a)
        drain(b, stuffed)
        yield join(first)

    with a, b:
        trampoline.run(main())


def test_one_socket_named_by_object_and_by_fd_works_in_two_tasks():
    """A reader naming the socket object and a writer naming its int fd share
    one registration; both complete."""
    a, b = socket.socketpair()

    def main():
        stuffed = fill(b)
        reader = yield spawn(do(read(b, 5)))
        yield settle()
        writer = yield spawn(do(write_wait(b.fileno())))
        yield settle()
        a.send(b"hello")
        data = yield join(reader)
        a.setblocking(True)
        drain(a, stuffed)
        yield join(writer)
        return data

    with a, b:
        assert trampoline.run(main()) == b"hello"


def test_registration_outlives_its_first_user_while_another_task_waits():
    """Task A registers a socket and ends while task B still waits on it to be
    writable: B keeps its registration and completes."""
    a, b = socket.socketpair()

    def main():
        a.send(b"x")
        first = yield spawn(do(read(b, 1)))     # registers b, then ends
        stuffed = fill(b)
        second = yield spawn(do(write(b, b"more")))
        yield settle()
        assert (yield join(first)) == b"x"
        assert not second.done
        drain(a, stuffed)
        yield join(second)
        return a.recv(4)

    with a, b:
        assert trampoline.run(main()) == b"more"


def test_readiness_nobody_waits_for_is_dropped_without_disturbing_the_writer():
    """Data arriving for a socket whose reader has moved on does not wake the
    task waiting to write it, and does not make the kernel spin."""
    a, b = socket.socketpair()

    def main():
        a.send(b"1")
        assert (yield read(b, 1)) == b"1"       # read interest stays registered
        stuffed = fill(b)
        writer = yield spawn(do(write(b, b"done")))
        yield settle()
        a.send(b"unread")                       # readable, but nobody reads
        yield sleep(0.01)
        assert not writer.done
        drain(a, stuffed)
        yield join(writer)
        return a.recv(4)

    with a, b:
        assert trampoline.run(main()) == b"done"


def test_new_socket_on_a_reused_fd_fails_the_old_waiter():
    """A socket closed under a waiting reader, its fd number reused by a new
    socket that another task reads: the old waiter gets EBADF at once, the
    new reader works."""
    a, b = socket.socketpair()
    fd = b.fileno()

    def main():
        old = yield spawn(do(read(b, 1)))
        yield settle()
        b.close()
        c, d = socket.socketpair()
        new_sock = c if c.fileno() == fd else d if d.fileno() == fd else None
        if new_sock is None:
            c.close()
            d.close()
            pytest.skip("the system did not reuse the descriptor number")
        peer = d if new_sock is c else c
        with c, d:
            new = yield spawn(do(read(new_sock, 5)))
            yield settle()
            with pytest.raises(TaskError) as info:
                yield join(old)
            assert info.value.__cause__.errno == errno.EBADF
            peer.send(b"fresh")
            return (yield join(new))

    with a:
        assert trampoline.run(main()) == b"fresh"


@pytest.mark.usefixtures("quick_sweep")
def test_file_object_closed_under_read_wait_raises_ebadf():
    """A buffered file object closed while a task waits on it: the sweep finds
    it (fileno() now fails) and the waiter gets EBADF."""
    import os
    r, w = os.pipe()
    reader_file = os.fdopen(r, "rb")

    def main():
        waiter = yield spawn(do(read_wait(reader_file)))
        yield settle()
        reader_file.close()
        with pytest.raises(TaskError) as info:
            yield join(waiter)
        return info.value.__cause__

    try:
        error = trampoline.run(main())
    finally:
        os.close(w)
    assert error.errno == errno.EBADF


def test_connect_with_an_already_non_blocking_socket():
    """connect() works whether or not the socket was made non-blocking first."""
    listener = trampoline.listen(("127.0.0.1", 0))

    def main():
        sock = socket.socket()
        sock.setblocking(False)
        with sock:
            yield connect(sock, listener.getsockname())
            conn, _ = yield accept(listener)
            conn.close()
            return sock.getpeername()

    with listener:
        assert trampoline.run(main()) == listener.getsockname()


# ----------------------------------------------------------- backends

class FailingSelector(selectors.SelectSelector):
    """A selector whose select() fails, with an error that is not EBADF, as
    soon as the kernel really waits in it."""

    def select(self, timeout=None):
        if timeout is None or timeout > 0:
            raise OSError(errno.EIO, "the poller broke")
        return super().select(timeout)


def test_a_poller_failure_other_than_ebadf_propagates():
    """A broken poller is not hidden: run() raises its OSError (after
    cleaning up the tasks)."""
    a, b = socket.socketpair()
    cleaned = []

    def waiter():
        try:
            yield read(b, 1)
        finally:
            cleaned.append(True)

    def main():
        yield spawn(waiter())
        yield settle()
        yield sleep(3600)

    with a, b, pytest.raises(OSError, match="the poller broke"):
        trampoline.run(main(), selector=FailingSelector())
    assert cleaned == [True]


def test_selector_must_be_a_selector():
    """Kernel(selector=...) takes a selectors selector, clearly refused otherwise."""
    with pytest.raises(TypeError, match="selectors.BaseSelector"):
        Kernel(selector=object())


def test_reprs_name_the_backend():
    """Kernel, EpollPoller and SelectorPoller say what they are."""
    with Kernel(selector=selectors.PollSelector()) as kernel:
        assert "PollSelector" in repr(kernel) and "tasks=0" in repr(kernel)
    assert "closed" in repr(kernel)
    poller = EpollPoller()
    try:
        assert repr(poller).startswith("<EpollPoller fd=")
    finally:
        poller.close()
    assert "SelectSelector" in repr(SelectorPoller(selectors.SelectSelector()))


def test_notify_closing_after_close_is_ignored():
    """A kernel closed while a task waited on a socket (a host loop's):
    notify_closing(sock) then is ignored, as for any descriptor it no
    longer watches -- the epoll poller raised ValueError (closed epoll)
    from its unregister, where SelectorPoller's said nothing."""
    a, b = socket.socketpair()
    with a, b:
        for selector in (None, selectors.PollSelector()):
            kernel = Kernel(selector=selector)
            kernel.spawn(do(read(a, 10)))
            kernel.run_once()           # the reader waits on a: registered
            kernel.close()              # (and dropped)
            kernel.notify_closing(a)
        poller = EpollPoller()
        poller.register(a.fileno(), poller.READ)
        poller.close()
        poller.unregister(a.fileno())   # "already gone is fine"


# ------------------------------------------------------------- traps

@pytest.mark.parametrize("make, message", [
    (lambda: spawn(42), "generator or coroutine object, got int"),
    (lambda: accept(0), "listening socket"),
    (lambda: sleep(True), "number of seconds"),
])
def test_more_bad_trap_arguments(make, message):
    """Arguments of the wrong kind are refused where the trap is made."""
    with pytest.raises(TypeError, match=message):
        make()



def test_run_of_what_a_function_with_no_yield_returned_says_so(tmp_path):
    """A first program's commonest slip: ``def main(): ... return 1`` with no
    ``yield`` in it, then ``run(main())`` -- main ran at once, and run() got
    its return value.  The error says what happened and what to do (it
    said only "needs a generator or coroutine object, got int 1")."""
    script = tmp_path / "first.py"
    script.write_text("import trampoline\n\n"
                      "def main():\n    print('hello')\n    return 1\n\n"
                      "trampoline.run(main())\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60)           # (trampoline: through PYTHONPATH, conftest)
    assert proc.returncode == 1 and proc.stdout == "hello\n"
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("TypeError: run() needs a generator or coroutine object, got int 1")
    assert "a function with no yield in it runs when called" in last
    assert "needs a yield, or async def" in last

def test_a_sleep_trap_copies_and_pickles_as_every_trap_does():
    """sleep(0) is one shared trap, made by sleep's __new__: copy and pickle
    still make a sleep of the same seconds, as they make any other trap."""
    for trap in (sleep(0), sleep(1.5), sleep(0.0), current()):
        for again in (copy.copy(trap), copy.deepcopy(trap), pickle.loads(pickle.dumps(trap))):
            assert type(again) is type(trap) and repr(again) == repr(trap)
    assert pickle.loads(pickle.dumps(sleep(0))) is sleep(0)


def test_listen_refuses_bad_arguments():
    """listen() says what it wanted."""
    with pytest.raises(TypeError, match=r"\(host, port\)"):
        trampoline.listen(25000)
    with pytest.raises(ValueError, match="backlog"):
        trampoline.listen(("127.0.0.1", 0), backlog=-1)


def test_listen_closes_the_socket_when_bind_fails():
    """A port in use: OSError, and no socket left open behind it."""
    with trampoline.listen(("127.0.0.1", 0)) as taken:
        with pytest.raises(OSError):
            trampoline.listen(taken.getsockname())


def test_listen_reuse_port():
    """reuse_port=True lets two listeners share one port."""
    with trampoline.listen(("127.0.0.1", 0), reuse_port=True) as first:
        with trampoline.listen(first.getsockname(), reuse_port=True) as second:
            assert second.getsockname() == first.getsockname()


def test_task_exited_hook_sees_the_outcome():
    """An instrument's task_exited is called once the task's result or
    exception is recorded, so it can report how the task ended."""
    seen = []

    class Outcomes:
        def task_exited(self, task):
            seen.append((task.name, task._result, repr(task._exception)))

    def ok():
        return 42
        yield

    def bad():
        raise ValueError("no")
        yield

    def main():
        yield join((yield spawn(ok())))
        try:
            yield join((yield spawn(bad())))
        except TaskError:
            pass

    trampoline.run(main(), instruments=[Outcomes()])
    assert ("ok", 42, "None") in seen
    assert ("bad", None, "ValueError('no')") in seen


def test_slow_step_warning_says_where(caplog):
    """debug=True: the warning about a step that did not yield names the file
    and line where the task went on."""
    import time

    def hog():
        time.sleep(0.15)
        yield sleep(0)

    trampoline.run(hog(), debug=True)
    assert "hog" in caplog.text and "test_kernel.py:" in caplog.text
