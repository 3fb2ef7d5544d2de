"""What the kernel does that only a mutation showed no test pinned.

A mutation run over ``kernel.py`` and ``descriptors.py`` (each comparison
flipped, each statement dropped in turn) left these changes unnoticed by
the kernel's own test files: each test here fails on one of them and
passes on the kernel as it is.  Most went unnoticed by the whole suite;
two were caught elsewhere only in passing -- the full-duplex one by a
trace test's wording, the join's result by some seeds of test_property --
and are pinned here by name.  Through the public API, over real TCP
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
* a virtual clock stands still while a thread may still wake a task.
"""

import contextvars
import errno
import socket
import threading

import pytest

from trampoline import (Cancelled, Event, Kernel, VirtualClock, WaitQueue, cancel, join, read,
                        sleep, spawn, timeout_after, write)
from trampoline.kernel import running_kernel
from trampoline.traps import park, set_alarm

import net_helpers

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

def test_a_read_that_parks_while_a_write_is_parked_on_the_same_socket_leaves_the_write_waiting(
        run, tcp_pair):
    """The read adds its interest to the write's, it does not replace it:
    the write goes on once the peer drains it, and the read gets the
    peer's answer (a reader parking second dropped the writer's interest,
    and both hung)."""
    near, far = tcp_pair()
    near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)    # (smaller ones make
    far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)     # loopback TCP crawl)
    payload = b"x" * (4 << 20)

    def writer():
        yield write(near, payload)
        return "written"

    def reader():
        return (yield read(near, 100))

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


def test_writes_is_false_once_a_write_woken_to_go_on_was_cancelled_before_it_ran(run, tcp_pair):
    """``writes`` says whether a write is under way, for code that acts on
    the socket outside the traps (``Stream.write_eof``).  A write parked
    midway, woken by room in the buffer and cancelled before it ran, is
    over: its exception says how much went, and nothing writes now --
    while the socket stays known to the kernel (read by another task)."""
    near, far = tcp_pair()
    near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    far.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    far.setblocking(False)
    payload = b"x" * (4 << 20)
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
