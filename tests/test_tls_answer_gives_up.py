"""The task that answers a TLS peer's close_notify once the socket has
room gives up after ``TLS_CLOSE_TIMEOUT`` seconds, over real sockets,
against Python's blocking ``ssl`` as the peer (the helpers of
test_tls_close_notify_flush.py, which shows how the send buffer is made
full).

The defect (a note left by an earlier session): a peer that sent its
close_notify and then never read (nor reset) kept that task waiting for
room for ever -- and with it the stream and its socket, after the
stream's owner had dropped it unclosed: a descriptor and a task leaked
per such connection until ``run()`` ended.  asyncio bounds the same flush
by ``ssl_shutdown_timeout`` (30 s), our ``aclose`` its exchange by
``TLS_CLOSE_TIMEOUT``.  The rules these pin: the task ends after
``TLS_CLOSE_TIMEOUT`` (shortened here), closing nothing; a dropped stream
is then freed and its socket closed (the peer reads every byte, then the
end), with the ResourceWarning any socket dropped unclosed gets; an owner
that still holds the stream and closes it later sends what the socket has
room for (``close``) or waits for room (``aclose``).  And a write under
way when the close_notify is read -- cancelled midway, its chunk with
OpenSSL -- hands the answer to the same task.
"""

import fcntl
import gc
import socket
import termios
import threading
import warnings

import pytest

import trampoline.streams
from net_helpers import MiB, stalled, watchdog  # noqa: F401  (watchdog: autouse)
from task_helpers import until
from test_tls_close_notify_flush import (VERSIONS, cancelled_write, closing_first_client,
                                         full_send_buffer, tcp_server_and_client,
                                         tls_server_context, unix_server_and_client)
from trampoline import (Cancelled, Event, Future, Stream, TaskTimeout, cancel, join, sleep,
                        spawn, timeout_after)
from trampoline.kernel import running_kernel
from trampoline.threads import run_in_thread

#: The answer task's limit here (TLS_CLOSE_TIMEOUT, 10 s by default).
GIVE_UP = 0.2


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(trampoline.streams, "TLS_CLOSE_TIMEOUT", GIVE_UP)


def answer_tasks():
    """The tasks that send our answer to the peer's close_notify (trampoline's
    own: the monitor's ps leaves them out)."""
    return [task for task in running_kernel().tasks()
            if task.name.startswith("trampoline: close_notify to ")]


def answer_task():
    """The task that sends our answer to the peer's close_notify (there is
    one: the socket had no room for it)."""
    tasks = answer_tasks()
    assert len(tasks) == 1, running_kernel().tasks()
    return tasks[0]


def gave_up(task):
    """Subroutine: return once the answer ``task`` has ended by itself --
    within two seconds, ten times its limit (``AssertionError`` if not)."""
    try:
        yield timeout_after(10 * GIVE_UP, join(task))
    except TaskTimeout:
        raise AssertionError("the answer task %r did not give up" % (task,)) from None
    assert task not in running_kernel().tasks()


def unsent(sock):
    """Bytes sent over the Unix socket ``sock`` that its peer has not read
    (Linux's SIOCOUTQ: the memory they take, 0 once all are read)."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"),
                          "little", signed=True)


def read_out(sock):
    """Subroutine: return once the peer of the Unix socket ``sock`` has
    read every byte sent to it (it reads once told to go)."""
    while unsent(sock):
        yield sleep(0)


# ==================================================== nobody holds the stream

@pytest.mark.parametrize("version", VERSIONS)
def test_a_dropped_streams_answer_task_gives_up_and_python_closes_its_socket(run, version,
                                                                              short_limit):
    """The defect: our end of a Unix socket pair, a TLS Stream, wrote
    64 KiB the peer does not read, read the peer's close_notify with no
    room to answer it, and was dropped unclosed.  The answer task waited
    for room for ever, holding the stream: the peer, reading at last, got
    our close_notify -- long after the owner was gone.  Now the task ends
    after the limit, the stream is freed, and Python closes its socket (a
    ResourceWarning says so): the peer reads the 64 KiB, then the end."""
    size = 64 * 1024
    ours, theirs = socket.socketpair()
    ours_sent, go = threading.Event(), threading.Event()

    def main():
        client = yield spawn(run_in_thread(closing_first_client, lambda: theirs,
                                           ours_sent, go))
        tls = yield run_in_thread(tls_server_context(version).wrap_socket, ours,
                                  True)             # (server_side: the handshake)
        stream = Stream(tls)
        fds.append(tls.fileno())
        del tls
        yield run_in_thread(ours_sent.wait, 10)     # the peer's close_notify is sent
        yield stream.write(b"d" * size)
        full_send_buffer(stream)
        try:
            end = yield stream.read()
            answer = answer_task()
            del stream                              # dropped, unclosed
            yield gave_up(answer)
            del answer
            gc.collect()                            # (PyPy: the stream's turn to go)
        finally:
            go.set()
        return end, (yield join(client))

    fds = []
    gc.collect()                                    # (earlier tests' garbage: not ours)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        end, outcome = run(main())
        gc.collect()
    assert (end, outcome) == (b"", (size, "an end without close_notify"))
    ours_unclosed = "unclosed <ssl.SSLSocket fd=%d," % fds[0]
    assert [str(w.message).startswith(ours_unclosed) for w in caught
            if issubclass(w.category, ResourceWarning)].count(True) == 1


# ================================================== the owner closes it later

@pytest.mark.skipif(not hasattr(termios, "TIOCOUTQ"), reason="no SIOCOUTQ to see the peer read")
@pytest.mark.parametrize("pending", [False, True], ids=["close_notify", "chunk+close_notify"])
@pytest.mark.parametrize("version", VERSIONS)
def test_close_after_the_task_gave_up_sends_what_the_socket_has_room_for(run, tmp_path,
                                                                           version, pending,
                                                                           short_limit):
    """The handler's socket had no room for our answer -- behind 64 KiB
    the client has not read, or behind the rest of a 1 MiB write's chunk,
    the write cancelled -- and the answer task gave up.  The handler still
    holds the stream; the client reads at last, and the handler's
    ``close()`` (which waits for nothing) sends the rest of that chunk if
    need be, then close_notify: the client gets every byte, then ours.
    (Before, close() left a chunk OpenSSL held unsent, and close_notify
    with it: OpenSSL refuses it before the chunk, "bad write retry".)"""
    size = MiB if pending else 64 * 1024

    def handler(stream, ready, release):
        try:
            if pending:
                written = yield cancelled_write(stream, size)
            else:
                yield stream.write(b"d" * size)
                full_send_buffer(stream)
                written = size
            end = yield stream.read()
            yield gave_up(answer_task())
        except BaseException as exc:
            ready.set_exception(exc)
            raise
        ready.set_result((written, end))
        yield read_out(stream.sock)                 # the client has read all: room now
        yield stream.close()
        yield release.wait()

    (written, end), outcome = unix_server_and_client(run, str(tmp_path / "tls.sock"),
                                                     handler, version)
    assert 0 < written <= size and end == b""
    assert outcome == (written, "close_notify")


@pytest.mark.parametrize("version", VERSIONS)
def test_aclose_after_the_task_gave_up_waits_for_room_and_sends_the_chunk_and_ours(
        run, version, short_limit):
    """Over TCP: a 16 MiB write waits for room and is cancelled, OpenSSL
    holding the rest of its chunk; the handler reads the client's
    close_notify and the answer task gives up.  The handler's ``aclose``
    then waits for room (within its own timeout): once the client reads,
    it gets every byte the Cancelled counts, then our close_notify."""
    ready, release = Future(), Event()
    ours_sent, go = threading.Event(), threading.Event()

    def handler(stream, address):
        yield run_in_thread(ours_sent.wait, 10)     # the client's close_notify is sent
        try:
            written = yield cancelled_write(stream, 16 * MiB)
            end = yield stream.read()
            yield gave_up(answer_task())
        except BaseException as exc:
            ready.set_exception(exc)
            raise
        ready.set_result((written, end))
        yield stream.aclose(timeout=5)
        yield release.wait()

    written, end, outcome = tcp_server_and_client(run, version, handler, ready, release,
                                                  ours_sent, go)
    assert 0 < written < 16 * MiB and end == b""
    assert outcome == (written, "close_notify")


# ============================ a write under way when the close_notify comes

@pytest.mark.parametrize("version", VERSIONS)
def test_a_write_under_way_cancelled_after_the_close_notify_hands_the_answer_to_the_task(
        run, version):
    """Over TCP: a 16 MiB write waits for room (the client reads nothing)
    when the handler reads the client's close_notify -- the answer waits
    for that write -- and is then cancelled, OpenSSL holding the rest of
    its chunk: the write's end starts the answer task (the socket has no
    room).  Once the client reads, it gets every byte the Cancelled
    counts, then our close_notify, while the handler lingers."""
    ready, release = Future(), Event()
    ours_sent, go = threading.Event(), threading.Event()

    def handler(stream, address):
        yield run_in_thread(ours_sent.wait, 10)     # the client's close_notify is sent

        def writing():
            try:
                yield stream.write(b"w" * (16 * MiB))
            except Cancelled as exc:
                return exc.bytes_written

        try:
            writer = yield spawn(writing())
            yield stalled(stream)
            yield until(lambda: writer.state == "parked")
            end = yield stream.read()               # while the write waits
            assert writer.state == "parked"
            yield cancel(writer)
        except BaseException as exc:
            ready.set_exception(exc)
            raise
        answers = len(answer_tasks())               # (1: the socket had no room)
        ready.set_result((writer.result, end, answers))
        yield release.wait()

    written, end, answers, outcome = tcp_server_and_client(run, version, handler, ready,
                                                           release, ours_sent, go)
    assert 0 < written < 16 * MiB and end == b""
    assert (answers, outcome) == (1, (written, "close_notify"))
