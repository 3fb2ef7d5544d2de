"""What the kernel does that only a mutation showed no test pinned.

A mutation run over ``kernel.py`` and ``descriptors.py`` (each comparison
flipped, each statement dropped in turn) left these changes unnoticed by
the kernel's own test files: each test here fails on one of them and
passes on the kernel as it is.  Most went unnoticed by the whole suite;
three were caught elsewhere only in passing -- the full-duplex one by a
trace test's wording, its mirror (a write parking beside a parked read)
by test_tls's watchdog, the join's result by some seeds of test_property
-- and are pinned here by name.  Through the public API, over real TCP
connections on 127.0.0.1:

* a socket read by one task while another task's write to it is parked
  midway -- full duplex on one socket -- loses neither direction;
* bytes a cancelled reader had been handed come back to the next read of
  the socket even when it names the socket by its descriptor number;
* a task cancelled after a ``join`` woke it with the joined task's result
  gives that result to nobody -- not to the socket it read from earlier;
* while tasks are ready, the kernel asks the poller without waiting;
* bytes held for a socket closed since are not reported as held for the
  new socket that takes its number;
* a ``write`` that fails at its first ``send`` says it wrote nothing;
* ``spawn_threadsafe`` starts its task in the calling thread's context;
* a task that caught its alarm's exception and returns, the alarm not
  cleared, returns its value: an alarm comes again at a blocking trap, and
  returning is none;
* ``holds_input`` is False for a reader handed the end of the stream, and
  ``writes`` is False once a write woken to go on was cancelled before it
  ran;
* a task failed by ``notify_closing`` is ready, not parked, and cancelling
  it then is no error;
* a socket that turns readable with nobody reading it is reported once,
  not at every poll (the kernel stops watching it);
* a task cancelled twice before it runs gets one ``Cancelled``: its cleanup
  may block;
* a virtual clock stands still while a thread may still wake a task;
* of two timeouts gone off while a task deferred them, the outer scope's
  comes first, though the inner's deadline passed first;
* a task that caught a cancel thrown in at its blocking trap is ready, not
  parked there, and may be cancelled again;
* a finished task lets go of the tasks that joined it;
* a task that cancels itself has that cancel as its ``last_cancel``;
* a virtual clock's threshold of quiet real time starts again after each
  event, and after waiters failed by a closed socket;
* a read whose buffer came back full tries the next at once, down the
  whole backlog;
* a write woken and cancelled before it ran leaves the socket to the next
  writer, on the fast path and through the trap table;
* a write that parks while a read is parked on the same socket leaves the
  read waiting (the mirror of the first).
"""

import contextvars
import errno
import gc
import platform
import selectors
import socket
import threading
import time
import weakref

import pytest

from trampoline import (Cancelled, Event, Kernel, TaskError, TaskTimeout, TimeoutCancelled,
                        VirtualClock, WaitQueue, cancel, current, disable_cancellation, join,
                        read, sleep, spawn, timeout_after, write)
from trampoline.kernel import running_kernel
from trampoline.traps import park, set_alarm

import net_helpers
from drop_helpers import collect_harder

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test)


@pytest.fixture
def tcp_pair():
    """``tcp_pair()``: two connected TCP sockets on 127.0.0.1; all closed after."""
    made = []

    def make():
        near, far = net_helpers.tcp_pair()
        made.extend((near, far))
        return near, far

    yield make
    for sock in made:
        sock.close()


def until(condition):
    """Let the other tasks run until ``condition()`` holds."""
    for _ in range(10000):
        if condition():
            return
        yield sleep(0)
    raise AssertionError("still not true: %s" % condition)


def read_exactly(sock, n):
    got = bytearray()
    while len(got) < n:
        data = yield read(sock, n - len(got))
        if not data:
            break
        got += data
    return bytes(got)


# ------------------------------------------------- full duplex on one socket

def throttled(tcp_pair):
    """A TCP pair with 64 KiB buffers (smaller ones make loopback TCP
    crawl), and a 4 MiB payload: a write of it parks midway."""
    near, far = tcp_pair()
    near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    return near, far, b"x" * (4 << 20)


def writes_and_reads(sock, payload):
    """The two sides of a full-duplex test: ``writer()`` writes ``payload``
    to ``sock`` and returns "written"; ``reader()`` reads 100 bytes."""
    def writer():
        yield write(sock, payload)
        return "written"

    def reader():
        return (yield read(sock, 100))

    return writer, reader


def test_a_read_that_parks_while_a_write_is_parked_on_the_same_socket_leaves_the_write_waiting(
        run, tcp_pair):
    """The read adds its interest to the write's, it does not replace it:
    the write goes on once the peer drains it, and the read gets the
    peer's answer (a reader parking second dropped the writer's interest,
    and both hung)."""
    near, far, payload = throttled(tcp_pair)
    writer, reader = writes_and_reads(near, payload)

    def peer():
        got = yield read_exactly(far, len(payload))
        yield write(far, b"done")
        return len(got)

    def main():
        writing = yield spawn(writer())
        yield until(lambda: writing.state == "parked")     # its buffer full, midway
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        draining = yield spawn(peer())
        return (yield join(writing)), (yield join(reading)), (yield join(draining))

    def bounded():
        return (yield timeout_after(5, main()))

    assert run(bounded()) == ("written", b"done", len(payload))


# ------------------------------------------- bytes given back, by any name

def read_then_cancelled_once_woken(sock, nbytes, woken):
    """A reader and a task that cancels it right after the poll handed it
    its bytes and before it ran: the bytes are given back to the kernel."""
    def reader():
        try:
            return (yield read(sock, nbytes))
        except Cancelled:
            woken.append("cancelled with its bytes in hand")
            raise

    task = yield spawn(reader())
    yield until(lambda: task.state == "parked")
    return task


def test_bytes_a_cancelled_reader_was_handed_come_to_a_read_by_the_descriptor_number(
        run, tcp_pair):
    """The kernel knows one descriptor under several names (the socket, its
    number): the bytes it holds for the socket are the next read's whatever
    name that read uses (they were lost when the registration changed
    name)."""
    near, far = tcp_pair()
    cancelled = []

    def main():
        reading = yield read_then_cancelled_once_woken(near, 100, cancelled)
        far.sendall(b"first")
        yield until(lambda: reading.state == "ready")       # handed its bytes, not run
        yield cancel(reading)
        assert running_kernel().holds_input(near)
        first = yield read(near.fileno(), 100)
        far.sendall(b"second")
        far.shutdown(socket.SHUT_WR)
        rest = yield read_exactly(near.fileno(), 100)
        return first, rest

    def bounded():
        return (yield timeout_after(5, main()))

    assert run(bounded()) == (b"first", b"second")
    assert cancelled == ["cancelled with its bytes in hand"]


# --------------------------------- what a task is handed goes where it came from

def test_a_task_cancelled_after_a_join_woke_it_hands_the_result_to_no_socket(run, tcp_pair):
    """A task that read a socket (its bytes handed to it as the poller found
    them) and then joins another task: cancelled after that task has ended
    and before it runs, the joined task's result is dropped -- it does not
    turn up as the socket's next bytes (the kernel took it for bytes read
    for the task, and gave it back to the socket)."""
    near, far = tcp_pair()
    go = Event()
    progress = []

    def other():
        yield go.wait()
        return b"the other task's result"

    def reader(joined):
        progress.append((yield read(near, 100)))    # handed its bytes by the poller
        return (yield join(joined))

    def main():
        ended = yield spawn(other())
        reading = yield spawn(reader(ended))
        yield until(lambda: reading.state == "parked")
        far.sendall(b"hello")
        yield until(lambda: progress and reading.state == "parked")     # in the join
        go.set()
        yield until(lambda: ended.done and reading.state == "ready")
        yield cancel(reading)
        held = running_kernel().holds_input(near)
        far.sendall(b"from the socket")
        return held, (yield read(near, 100)), reading.state

    def bounded():
        return (yield timeout_after(5, main()))

    assert run(bounded()) == (False, b"from the socket", "cancelled")
    assert progress == [b"hello"]


# ------------------------------------------------------------ the poll

class IOWaits:
    """An instrument noting how long each poll may wait."""

    def __init__(self):
        self.timeouts = []

    def io_wait(self, timeout):
        self.timeouts.append(timeout)


def test_while_tasks_are_ready_the_kernel_polls_without_waiting():
    """Tasks that keep passing the processor on (``sleep(0)``) are never
    ready to run and held up by a poll that waits for I/O: every poll made
    meanwhile asks for what is ready now, timeout 0."""
    waits = IOWaits()

    def busy():
        for _ in range(500):
            yield sleep(0)

    def main():
        tasks = []
        for _ in range(3):
            tasks.append((yield spawn(busy())))
        for task in tasks:
            yield join(task)

    with Kernel(instruments=[waits]) as kernel:
        kernel.run(main())
    assert len(waits.timeouts) >= 10        # (every POLL_EVERY steps)
    assert set(waits.timeouts) == {0}


# ---------------------------------------- a number reused after a close

def test_bytes_held_for_a_closed_socket_are_not_held_for_the_next_one_with_its_number(
        run, tcp_pair):
    """A reader cancelled with its bytes in hand closes its socket (a plain
    ``close``, which tells the kernel nothing) and ends.  The next socket
    opened takes the number: the kernel holds no input for it, and its
    reads get its own bytes (the registration of the closed one, kept
    for its bytes, answered for the new one until the sweep)."""
    near, far = tcp_pair()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    closed = []

    def reader():
        try:
            return (yield read(near, 100))
        except Cancelled:
            closed.append(near.fileno())
            near.close()                    # under the bytes the kernel holds
            raise

    def main():
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        far.sendall(b"for the closed socket")
        yield until(lambda: reading.state == "ready")       # handed its bytes, not run
        yield cancel(reading)
        fresh = socket.create_connection(listener.getsockname())    # (the lowest number free)
        fresh_peer, _ = listener.accept()
        with fresh, fresh_peer:
            held = running_kernel().holds_input(fresh)
            fresh_peer.sendall(b"fresh")
            fresh_peer.shutdown(socket.SHUT_WR)
            return fresh.fileno() in closed, held, (yield read_exactly(fresh, 100))

    with listener:
        reused, held, data = run(main())
    if not reused:                          # pragma: no cover - the system chose another number
        pytest.skip("the new socket did not get the closed one's number")
    assert (held, data) == (False, b"fresh")


# ------------------------------------------------- a write's error says how much went

def test_a_write_refused_at_once_on_a_known_socket_says_it_wrote_nothing(run, tcp_pair):
    """``write``'s exception carries ``bytes_written``, however it fails --
    here at its first ``send`` (the socket shut for writing), on a socket
    the kernel knows from an earlier read, which the kernel sends on at
    once without the trap table (that path's error said nothing)."""
    near, far = tcp_pair()

    def main():
        far.sendall(b"hello")
        greeting = yield read(near, 100)        # (now the kernel knows the socket)
        near.shutdown(socket.SHUT_WR)
        try:
            yield write(near, b"too late")
        except OSError as error:
            return greeting, type(error), getattr(error, "bytes_written", "not set")

    assert run(main()) == (b"hello", BrokenPipeError, 0)


# --------------------------------------------------------- another thread's task

WHO = contextvars.ContextVar("WHO", default="nobody")


def test_a_task_spawned_from_another_thread_runs_in_a_copy_of_that_threads_context():
    """``spawn_threadsafe``'s promise (and asyncio's ``run_coroutine_threadsafe``,
    whose task copies the context current where it is made): the task sees
    what the calling thread had set, not the kernel thread's context."""
    seen = WaitQueue(threadsafe=True)

    def child():
        seen.wake(1, WHO.get())
        yield sleep(0)

    def main(kernel):
        WHO.set("the kernel's main task")

        def from_thread():
            WHO.set("the thread")
            kernel.spawn_threadsafe(child())

        thread = threading.Thread(target=from_thread)
        thread.start()
        value = yield park(seen)
        thread.join()
        return value

    with Kernel() as kernel:
        assert kernel.run(main(kernel)) == "the thread"


# ------------------------------------------------------------- alarms

def test_a_task_that_caught_its_alarm_and_returns_without_clearing_it_returns_its_value():
    """An alarm (``set_alarm``, under every timeout) is level-triggered: it
    comes again at every *blocking* trap until cleared.  Returning is no
    trap: the task's value stands (a cancel that came too late to be thrown
    in is another matter -- it ends the task cancelled, asyncio's rule).
    The alarm was taken for such a cancel, and the task ended with it."""
    def catches_its_alarm():
        yield set_alarm(1, Cancelled("the alarm"))
        try:
            yield sleep(5)
        except Cancelled as exc:
            caught = str(exc)
        return "returned after " + caught

    def main():
        task = yield spawn(catches_its_alarm())
        return (yield join(task))

    with Kernel(clock=VirtualClock()) as kernel:
        assert kernel.run(main()) == "returned after the alarm"


# ----------------------------------------- what the kernel says of a descriptor

def test_holds_input_is_false_for_a_reader_handed_the_end_of_the_stream(run, tcp_pair):
    """``holds_input`` counts bytes a read received for a task that has not
    run since; the end of the stream (``b""``) is no bytes -- the socket
    says it again to the next read -- so ``Stream.at_eof`` may look."""
    near, far = tcp_pair()

    def reader():
        return (yield read(near, 100))

    def main():
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        far.shutdown(socket.SHUT_WR)
        yield until(lambda: reading.state == "ready")       # handed b"", not run
        held = running_kernel().holds_input(near)
        return held, (yield join(reading))

    assert run(main()) == (False, b"")


def big_write(tcp_pair):
    """A TCP pair with 64 KiB buffers and a 4 MiB write that parks midway:
    ``(near, far, payload, written, writer, drain)`` -- ``writer()`` writes
    ``payload`` to ``near`` and notes the ``bytes_written`` of a Cancelled
    in ``written``; ``drain()`` reads what ``far`` has now, and says how
    much."""
    near, far, payload = throttled(tcp_pair)
    far.setblocking(False)
    written = []

    def writer():
        try:
            yield write(near, payload)
        except Cancelled as exc:
            written.append(exc.bytes_written)
            raise

    def drain():
        got = 0
        while True:
            try:
                data = far.recv(1 << 20)
            except BlockingIOError:
                return got
            got += len(data)

    return near, far, payload, written, writer, drain


def test_writes_is_false_once_a_write_woken_to_go_on_was_cancelled_before_it_ran(run, tcp_pair):
    """``writes`` says whether a write is under way, for code that acts on
    the socket outside the traps (``Stream.write_eof``).  A write parked
    midway, woken by room in the buffer and cancelled before it ran, is
    over: its exception says how much went, and nothing writes now --
    while the socket stays known to the kernel (read by another task)."""
    near, far, payload, written, writer, drain = big_write(tcp_pair)

    def main():
        kernel = running_kernel()
        far.send(b"hello")
        assert (yield read(near, 100)) == b"hello"      # (this task's: it outlives the write)
        writing = yield spawn(writer())
        yield until(lambda: writing.state == "parked")     # midway: the buffer is full
        during = kernel.writes(near)
        received = drain()
        yield until(lambda: writing.state == "ready")       # room: woken, not run
        yield cancel(writing)
        after = kernel.writes(near)
        near.shutdown(socket.SHUT_WR)
        far.setblocking(True)
        while True:
            data = far.recv(1 << 20)
            if not data:
                break
            received += len(data)
        return during, after, received

    during, after, received = run(main())
    assert (during, after) == (True, False)
    assert 0 < written[0] == received < len(payload)


def test_a_reader_failed_by_notify_closing_is_ready_and_may_be_cancelled_then(run, tcp_pair):
    """``notify_closing`` fails a parked reader with ``OSError(EBADF)``: it is
    ready (not "parked" on a descriptor the kernel has forgotten), and a
    cancel before it runs is no error in the canceller -- it reaches the
    reader at its next blocking trap."""
    near, far = tcp_pair()
    got = []

    def reader():
        try:
            yield read(near, 100)
        except OSError as exc:
            got.append(exc.errno)
        try:
            yield sleep(10)
        except Cancelled:
            got.append("cancelled")
            raise

    def main():
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        running_kernel().notify_closing(near)
        state = reading.state
        yield cancel(reading)
        near.close()
        return state, reading.state

    assert run(main()) == ("ready", "cancelled")
    assert got == [errno.EBADF, "cancelled"]


# ------------------------------------------------ readiness nobody waits for

class ReadyReports:
    """An instrument counting the polls that reported each descriptor ready."""

    def __init__(self):
        self.reports = {}

    def io_ready(self, events):
        for fd, _ in events:
            self.reports[fd] = self.reports.get(fd, 0) + 1


def test_a_socket_readable_with_nobody_reading_it_is_reported_once_not_at_every_poll(tcp_pair):
    """The kernel keeps watching a socket after a read (a system call saved
    per read); bytes arriving when no task reads it are reported once, and
    then it stops watching -- a level-triggered poller would report them at
    every poll, and the loop would spin while the tasks sleep."""
    near, far = tcp_pair()
    reports = ReadyReports()

    def main():
        far.sendall(b"one")
        first = yield read(near, 100)           # (now the kernel watches it)
        far.sendall(b"nobody reads these yet")
        yield sleep(0.1)                        # the loop waits; the bytes wait
        return first, (yield read(near, 100))

    with Kernel(instruments=[reports]) as kernel:
        assert kernel.run(main()) == (b"one", b"nobody reads these yet")
    assert reports.reports.get(near.fileno(), 0) <= 3


# ------------------------------------------------------------ cancellation

def test_a_task_cancelled_twice_before_it_runs_gets_one_cancelled_and_its_cleanup_may_block():
    """A second plain cancel of a task that has the first on its way in adds
    nothing (trio's and curio's cancel is idempotent): the task's cleanup,
    which blocks, is not cut short by a second ``Cancelled``."""
    queue = WaitQueue()
    done = []

    def victim():
        try:
            yield park(queue)
        except Cancelled:
            yield sleep(0)                  # cleanup that blocks (a blocking trap)
            done.append("cleanup finished")
            raise

    def main():
        task = yield spawn(victim())
        yield until(lambda: task.state == "parked")
        yield cancel(task, wait=False)
        yield cancel(task, wait=False)      # again, before it ran
        yield cancel(task)
        return task.state

    assert run_plain(main()) == "cancelled"
    assert done == ["cleanup finished"]


def run_plain(coro):
    with Kernel() as kernel:
        return kernel.run(coro)


# ------------------------------------------------------- virtual time, threads

def test_a_virtual_clock_stands_still_while_a_thread_may_still_wake_a_task():
    """With a task parked on a threadsafe ``WaitQueue`` a thread may wake at
    any moment, so autojump gives the thread its threshold of real time
    before it jumps to the next timer: the thread's wake-up comes first, at
    virtual time 0 (the clock jumped at once, past the sleeper's 1000 s)."""
    clock = VirtualClock(autojump_threshold=5.0)
    queue = WaitQueue(threadsafe=True)

    def main():
        def sleeper():
            yield sleep(1000)

        task = yield spawn(sleeper())
        thread = threading.Thread(target=queue.wake_threadsafe, args=(1, "from the thread"))

        def start_later():
            yield sleep(0)
            thread.start()

        yield spawn(start_later())
        got = yield park(queue)
        woke_at = clock()
        thread.join()
        yield join(task)
        return got, woke_at

    with Kernel(clock=clock) as kernel:
        assert kernel.run(main()) == ("from the thread", 0)


# ------------------------------------------------- more than one alarm due

def test_of_two_alarms_due_at_once_the_outer_scopes_comes_first_though_the_inner_went_off_first():
    """A task that defers cancellation while both its timeouts go off gets,
    at its next blocking trap, the outermost one's exception -- the scope
    set first, not the deadline that passed first: the inner scope's body
    sees the outer scope's ``TimeoutCancelled``."""
    def main():
        try:
            with timeout_after(2) as outer:
                with timeout_after(1) as inner:
                    with disable_cancellation():
                        yield sleep(5)          # both go off; they wait, pending
                    try:
                        yield sleep(0)
                    except TimeoutCancelled as exc:
                        whose = {outer: "outer", inner: "inner"}.get(exc.scope)
                        raise
        except TaskTimeout:
            return whose, outer.expired, inner.expired

    with Kernel(clock=VirtualClock()) as kernel:
        assert kernel.run(main()) == ("outer", True, True)


# ------------------------------------------- a pending cancel thrown at a trap

def test_a_task_that_caught_a_cancel_thrown_at_its_trap_is_ready_and_may_be_cancelled_again():
    """A cancel that waited (the task deferred it) is thrown in at the
    task's next blocking trap, which the task then no longer waits in: if
    it catches it and passes the processor on, it is "ready", not "parked"
    on that trap, and a second cancel reaches it (it was taken off a wait
    queue it was no longer on: ValueError in the canceller)."""
    queue = WaitQueue()
    got = []

    def victim(started):
        kernel = running_kernel()
        me = yield current()
        kernel.defer_cancellation(me)
        started.set()
        yield sleep(0)                      # the cancel comes: it waits
        kernel.defer_cancellation(me, False)
        try:
            yield park(queue)               # thrown in here
        except Cancelled:
            got.append("first")
        try:
            yield sleep(0)
            yield sleep(10)
        except Cancelled:
            got.append("second")
            raise

    def main():
        started = Event()
        task = yield spawn(victim(started))
        yield started.wait()
        yield cancel(task, wait=False)
        yield until(lambda: got)
        state = task.state
        yield cancel(task)
        return state, task.state

    assert run_plain(main()) == ("ready", "cancelled")
    assert got == ["first", "second"]


# ------------------------------------------------------ a joiner let go

def test_a_finished_task_keeps_no_hold_on_the_tasks_that_joined_it():
    """The tasks parked in ``join`` on a task are woken when it ends and
    then forgotten by it: a finished task a program keeps (in a registry,
    a result list) does not keep every task that once waited for it."""
    def worker(go):
        yield go.wait()
        return "done"

    def joiner(task):
        return (yield join(task))

    def main():
        go = Event()
        target = yield spawn(worker(go))
        waiting = yield spawn(joiner(target))
        yield until(lambda: waiting.state == "parked")
        go.set()
        result = yield join(waiting)
        return target, weakref.ref(waiting), result

    target, joined_it, result = run_plain(main())
    collect_harder()
    assert (target.state, result, joined_it()) == ("done", "done", None)


class Failure(Exception):
    """(Unlike the built-in errors, it takes a weak reference.)"""


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="freed at once by reference counting only on CPython")
def test_an_error_a_task_handled_is_freed_at_once_not_by_the_cycle_collector():
    """An error a subroutine raised, or a trap failed with, is thrown into
    the task; once the task has handled it, nothing in the kernel keeps it
    -- nor so the frames of its traceback, and what they hold (a buffer, a
    socket) -- until the cycle collector runs.  (On 3.12+ the kernel's own
    frame outlives its step as the ``f_back`` of a frame in the traceback,
    and it kept the error it had thrown in.)"""
    def fails():
        yield sleep(0)
        raise Failure("boom")

    def main():
        handled = []
        try:
            yield fails()
        except Failure as exc:
            handled.append(weakref.ref(exc))
        failed = yield spawn(fails())
        try:
            yield join(failed)                  # (a trap that fails)
        except TaskError as exc:
            handled.append(weakref.ref(exc))
        yield sleep(0)
        return [ref() for ref in handled]

    gc.collect()
    gc.disable()
    try:
        assert run_plain(main()) == [None, None]
    finally:
        gc.enable()


def test_a_task_that_cancels_itself_and_waits_has_that_cancel_as_its_last_cancel():
    """``cancel(me)`` raises ``Cancelled`` at once in the task itself; it is
    the task's ``last_cancel`` -- what a timeout scope, ``shield`` and
    ``select`` look at to tell a cancel from their own deadline's exception."""
    def main():
        me = yield current()
        before = me.last_cancel
        try:
            yield cancel(me)
        except Cancelled as exc:
            return before, me.last_cancel is exc

    assert run_plain(main()) == (None, True)


# ------------------------------------------- virtual time, I/O keeps it still

def echo_in_a_thread(sock, delay=0.0):
    """Answer each chunk that comes on ``sock`` with itself, ``delay``
    seconds later, from a thread, until the peer shuts its side; return
    the thread."""
    def echo():
        sock.setblocking(True)
        while True:
            data = sock.recv(100)
            if not data:
                break
            time.sleep(delay)           # (a peer that takes its time to answer)
            sock.sendall(data)

    thread = threading.Thread(target=echo)
    thread.start()
    return thread


def sleeper():
    yield sleep(1000)


def test_a_virtual_clock_stands_still_while_io_goes_on_for_longer_than_its_threshold(tcp_pair):
    """The autojump threshold is real time with *nothing* happening: each
    answer from a peer starts it again, so a conversation that lasts longer
    than the threshold in all, each answer well within it, never moves the
    clock (the sleeper's 1000 s do not come).  Counting it from the first
    wait jumped in the middle of the conversation.  (A threshold of 1 s:
    with 0.5 s a loaded machine now and then left one answer -- the thread
    and the loop of one process -- waiting longer than that, and the clock
    rightly jumped.)"""
    near, far = tcp_pair()
    clock = VirtualClock(autojump_threshold=1.0)
    peer = echo_in_a_thread(far)

    def main():
        sleeping = yield spawn(sleeper())
        rounds = 0
        began = time.monotonic()
        while time.monotonic() - began < 1.5:       # (real time)
            yield write(near, b"ping")
            assert (yield read_exactly(near, 4)) == b"ping"
            rounds += 1
        near.shutdown(socket.SHUT_WR)
        yield cancel(sleeping)
        return clock(), rounds

    with Kernel(clock=clock) as kernel:
        now, rounds = kernel.run(main())
    peer.join()
    assert now == 0 and rounds > 1


def test_a_virtual_clock_gives_io_its_full_threshold_after_waiters_failed_by_a_close(tcp_pair):
    """A task parked on a socket closed under it is failed with EBADF (here
    by select(), at once) -- something happened: the wait that follows gets
    the clock's whole threshold of real time again, counted from its own
    start, not from the one the failure ended (long past after a slow
    step): the peer's answer, 50 ms on, comes before the clock moves."""
    doomed, _ = tcp_pair()
    near, far = tcp_pair()
    clock = VirtualClock(autojump_threshold=0.5)
    peer = echo_in_a_thread(far, delay=0.05)

    def reader():
        try:
            yield read(doomed, 100)
        except OSError as exc:
            return exc.errno

    def main():
        sleeping = yield spawn(sleeper())
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        doomed.close()                      # (a plain close: the kernel is not told)
        failed = yield join(reading)
        time.sleep(0.6)                     # a slow step, longer than the threshold
        yield write(near, b"ping")
        answer = yield read_exactly(near, 4)
        near.shutdown(socket.SHUT_WR)
        yield cancel(sleeping)
        return failed, answer, clock()

    with Kernel(selector=selectors.SelectSelector(), clock=clock) as kernel:
        result = kernel.run(main())
    peer.join()
    assert result == (errno.EBADF, b"ping", 0)


# ---------------------------------------------- reads that need no poll

def test_reads_of_a_socket_with_more_waiting_than_each_takes_do_not_wait_for_the_poller(
        tcp_pair):
    """A read whose buffer came back full tries the next read at once (more
    is probably waiting) -- and so on down the whole backlog, not every
    other read: reading 64 KiB in 1 KiB reads waits for the poller once
    or so, not 32 times (a system call and a loop turn saved per read)."""
    near, far = tcp_pair()
    reports = ReadyReports()
    backlog = bytes(range(256)) * 256

    def main():
        far.sendall(backlog)
        got = b""
        while len(got) < len(backlog):
            got += yield read(near, 1024)
        return got

    with Kernel(instruments=[reports]) as kernel:
        assert kernel.run(main()) == backlog
    assert reports.reports.get(near.fileno(), 0) <= 3


# ------------------------------------------ a write cancelled before it ran

class TrapsSeen:
    """An instrument watching every trap (the kernel's fast paths are off)."""

    def __init__(self):
        self.traps = 0

    def task_trap(self, task, trap):
        self.traps += 1


@pytest.mark.parametrize("watched", [False, True], ids=["fast", "every-trap-watched"])
def test_a_write_woken_to_go_on_and_cancelled_before_it_ran_leaves_the_socket_to_the_next(
        run, tcp_pair, watched):
    """A write parked midway, woken by room in the buffer and cancelled
    before it ran, is over at once: another task's write of that socket,
    before the cancelled task has run, goes through (it is no second
    write slipping into the middle of a first: ResourceBusy is for those)
    -- on the fast path and through the trap table alike."""
    near, far, payload, written, writer, drain = big_write(tcp_pair)

    def main():
        writing = yield spawn(writer())
        yield until(lambda: writing.state == "parked")     # midway: the buffer is full
        received = drain()
        yield until(lambda: writing.state == "ready")       # room: woken, not run
        yield cancel(writing, wait=False)
        yield write(near, b"after")         # before the cancelled one has run
        yield cancel(writing)
        near.shutdown(socket.SHUT_WR)
        far.setblocking(True)
        tail = b""
        while True:
            data = far.recv(1 << 20)
            if not data:
                break
            received += len(data)
            tail = (tail + data)[-5:]
        return received, tail

    instruments = [TrapsSeen()] if watched else []
    assert run(main(), instruments=instruments) == (written[0] + 5, b"after")



def test_a_write_that_parks_while_a_read_is_parked_on_the_same_socket_leaves_the_read_waiting(
        run, tcp_pair):
    """The mirror of the first test: the write adds its interest to the
    parked read's, it does not replace it -- the read gets the peer's
    answer while the write is still parked (the peer drains it only
    then)."""
    near, far, payload = throttled(tcp_pair)
    writer, reader = writes_and_reads(near, payload)

    def main():
        reading = yield spawn(reader())
        yield until(lambda: reading.state == "parked")
        writing = yield spawn(writer())
        yield until(lambda: writing.state == "parked")     # its buffer full, midway
        yield write(far, b"answer")
        answer = yield join(reading)        # while the write is still parked
        got = yield read_exactly(far, len(payload))
        return (yield join(writing)), answer, len(got)

    def bounded():
        return (yield timeout_after(5, main()))

    assert run(bounded()) == ("written", b"answer", len(payload))
