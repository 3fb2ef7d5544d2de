"""Stream writing and closing behaviour that mutation testing found no test
pinning.

Each test here was written against a mutant of ``trampoline/streams.py``
(its write side, closing, TLS, the servers' helpers) that every other
test let pass: a change a user would see, which no test noticed.  Real
sockets on 127.0.0.1; tasks synchronise through data, joins and the
kernel's scheduling (the drain's tests: the virtual clock), never
through real sleeps.
"""

import errno
import logging
import socket
import ssl
import types

import pytest

from net_helpers import (MiB, client_context, echo, read_to_end, server_context, start_server,
                         watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Event, Future, TaskError, VirtualClock, cancel, join, read_wait, sleep,
                        spawn)
from trampoline import streams, workers
from trampoline.net import listen
from trampoline.streams import open_connection
from test_stream_gaps import pair, tls_pair
from test_tls_answer_gives_up import answer_tasks


def read_all(stream):
    """Everything ``stream`` reads until its end."""
    data = bytearray()
    while True:
        chunk = yield stream.read(MiB)
        if not chunk:
            return bytes(data)
        data += chunk


# ------------------------------------------------------------ writelines

def written_then_closed(run, lines):
    """``(error, what the peer got)``: ``writelines(lines)`` on a plain
    stream, its ``TypeError``, and every byte the peer received before the
    stream was closed."""
    stream, peer = pair()
    with peer:
        with stream:
            with pytest.raises(TypeError) as info:
                run(stream.writelines(lines))
        return info.value, read_to_end(peer)


def test_writelines_of_a_tuple_with_a_line_not_bytes_sends_nothing(run):
    """A tuple, like a list, is joined before anything is sent: a line that
    is not bytes-like raises TypeError and the peer gets none of the lines
    before it (a generator's lines go out first; a tuple's do not)."""
    _, got = written_then_closed(run, (b"one\n", b"two\n", "three\n"))
    assert got == b""


def test_writelines_of_a_generator_with_a_line_neither_bytes_nor_str_names_it(run):
    """A generator's line that is no bytes-like object -- an int, not only a
    str -- is writelines' own TypeError naming it, after the lines before
    it went out (not bytes.join's error, with the batch before it lost)."""
    error, got = written_then_closed(run, (line for line in [b"one\n", b"two\n", 3, b"four\n"]))
    assert "writelines() needs bytes-like lines, got int 3" in str(error)
    assert got == b"one\ntwo\n"


# ------------------------------------------------------------ aclose

def test_aclose_of_a_plain_stream_fails_a_parked_reader_at_once_and_says_closed(run):
    """aclose() of a plain stream is close(): a task parked reading it gets
    OSError(EBADF) by the closer's next turn (not at the kernel's sweep, a
    second later), and a write after it names the method and the stream
    as closed (not the kernel's bare "Bad file descriptor")."""
    stream, peer = pair()
    port = peer.getsockname()[1]

    def main():
        with peer:
            reader = yield spawn(stream.readexactly(10))
            yield sleep(0)
            yield sleep(0)              # it waits in readexactly() now
            yield stream.aclose()
            yield sleep(0)              # it ran, with the error
            assert reader.done
            with pytest.raises(TaskError) as parked:
                yield join(reader)
            with pytest.raises(OSError) as info:
                yield stream.write(b"x")
            return parked.value.__cause__, info.value

    parked_error, write_error = run(main())
    assert parked_error.errno == errno.EBADF and "was closed while" in str(parked_error)
    assert write_error.errno == errno.EBADF
    assert str(write_error) == ("[Errno 9] write(): <Stream closed peer=('127.0.0.1', %d) "
                                "buffered=0> is closed" % port)


# ------------------------------------------------------------ aclose over TLS

def raw_bytes_to_the_end(sock):
    """Subroutine: how many bytes the TLS socket ``sock`` receives, read
    under its TLS layer (which has sent its close_notify: OpenSSL reads no
    more data), until the end of the connection."""
    count = 0
    while True:
        yield read_wait(sock)
        chunk = socket.socket.recv(sock, MiB)
        if not chunk:
            return count
        count += len(chunk)


def test_aclose_after_the_peers_close_notify_under_a_stalled_write_is_alone(run, caplog):
    """The peer sent close_notify while a write to it waited for room (it
    reads nothing yet); our reader met it, and the answer waits behind the
    write.  aclose() then takes over: the writer, woken with EBADF, leaves
    its chunk for aclose to finish -- and starts no answer task of its own
    that would wait on the socket beside aclose (one of them then got
    ResourceBusy, and crashed).  aclose raises nothing, and no task
    fails.  (The peer reads the rest under its TLS layer: OpenSSL takes no
    data once it has sent its own close_notify.  On PyPy the read of its
    close_notify raised the error of the peer's unwrap(),
    APPLICATION_DATA_AFTER_CLOSE_NOTIFY: see the failed handshake's test.)"""
    def main():
        stream, client, task, done = yield tls_pair()
        with client:
            writer = yield spawn(stream.write(b"A" * 8 * MiB))
            yield sleep(0)                  # it sends what fits, and waits: nobody reads
            try:
                client.sock.unwrap()        # its close_notify (then it finds our data)
            except ssl.SSLError:
                pass
            assert (yield stream.read()) == b""     # the answer must wait for the write
            closer = yield spawn(stream.aclose(timeout=None))
            with pytest.raises(TaskError) as info:
                yield join(writer)
            yield sleep(0)
            yield sleep(0)                  # aclose waits for room for the chunk, alone
            received = yield raw_bytes_to_the_end(client.sock)
            yield join(closer)
            done.set()
        yield cancel(task)
        return info.value.__cause__, received, answer_tasks()

    error, received, tasks = run(main())
    assert error.errno == errno.EBADF and 0 < error.bytes_written
    assert received > 0 and tasks == []
    assert [record.getMessage() for record in caplog.records
            if record.levelno >= logging.ERROR] == []


# ------------------------------------------------------------ a server's log

def failed_handshake(port):
    """Subroutine: a client that speaks plain HTTP to the TLS server on
    ``port`` and reads until the server has dropped it (its handshake
    failed, and was reported or counted, in the step that closed it)."""
    stream = yield open_connection("127.0.0.1", port)
    with stream:
        yield stream.write(b"GET / HTTP/1.0\r\n\r\n")
        try:
            while (yield stream.read()):
                pass
        except ConnectionResetError:
            pass                        # (the server closed with our bytes unread)


def test_a_flood_of_failed_handshakes_logs_the_first_then_one_a_second_with_a_count(
        run, caplog, monkeypatch):
    """A TLS server logs the first client whose handshake fails, then at
    most one a second, saying how many it left out since the last report
    -- and the count starts again after each.  (Its clock is made to stand
    still and step here: real seconds would race a loaded machine.)"""
    now = [1000.0]
    monkeypatch.setattr(streams, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    caplog.set_level(logging.INFO, logger="trampoline")

    def main():
        task, port = yield start_server(echo, ssl=server_context())
        for step in (0, 0, 0, streams._ACCEPT_REPORT_EVERY, 0, streams._ACCEPT_REPORT_EVERY):
            now[0] += step
            yield failed_handshake(port)
        yield cancel(task)

    run(main())
    lines = [record.getMessage() for record in caplog.records
             if "TLS handshake with" in record.getMessage()]
    assert len(lines) == 3, lines
    assert "more like it" not in lines[0]
    assert lines[1].endswith(" (and 2 more like it since the last report)")
    assert lines[2].endswith(" (and 1 more like it since the last report)")


def test_a_failed_handshake_leaves_no_error_behind_for_the_other_tls_streams(run):
    """A TLS server's failed handshake (a client speaking plain HTTP) is
    that connection's alone: the other TLS streams go on.  (PyPy's ssl
    leaves the error it raised in OpenSSL's error queue -- one per thread,
    every connection's -- and OpenSSL gave it as the result of the next
    call of any connection that found nothing to read: the TLS client's
    next read failed with "[SSL: HTTP_REQUEST] http request".)"""
    def main():
        task, port = yield start_server(echo, ssl=server_context())
        client = yield open_connection("127.0.0.1", port, ssl=client_context())
        with client:
            yield client.write(b"one\n")
            first = yield client.readline()
            yield failed_handshake(port)
            yield client.write(b"two\n")
            second = yield client.readline()
        yield cancel(task)
        return first, second

    assert run(main()) == (b"one\n", b"two\n")


# ------------------------------------------------------------ TLS writes

@pytest.mark.skipif(
    client_context().options & getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0),
    reason="this Python's ssl ignores an unexpected end (Python 3.8 and 3.9, PyPy): "
    "OpenSSL reads it as a close_notify")
def test_a_write_after_the_peer_ended_tls_without_close_notify_says_so(run):
    """A TLS server that ends its side of the connection without
    close_notify (a FIN; its socket stays open) ends the stream; a write
    after that is refused with BrokenPipeError saying that the peer ended
    the TLS session without close_notify -- not that we answered a
    close_notify that never came."""
    done = Event()

    def answer_then_end(stream, address):
        yield stream.write(b"the answer")
        socket.socket.shutdown(stream.sock, socket.SHUT_WR)    # FIN: no close_notify
        yield done.wait()

    def main():
        server, port = yield start_server(answer_then_end, ssl=server_context())
        with (yield open_connection("127.0.0.1", port, ssl=client_context())) as stream:
            received = yield read_all(stream)
            with pytest.raises(BrokenPipeError) as info:
                yield stream.write(b"more")
        done.set()
        yield cancel(server)
        return received, info.value

    received, error = run(main())
    assert received == b"the answer"
    assert error.errno == errno.EPIPE
    assert "after the peer ended the TLS connection without close_notify" in str(error)


# ------------------------------------------------------------ run_server's drain

def test_a_drain_that_runs_out_of_grace_counts_only_the_connections_still_served(
        run, caplog):
    """run_server's drain (its accept loop and hand-over, as
    test_proxy_server drives them) that runs out of grace says how many
    connections are still busy: the one whose handler lingers -- not also
    the one that came and went before (its stream stayed counted, and
    held, for the server's whole life)."""
    caplog.set_level(logging.WARNING, logger="trampoline")

    def stay_or_go(stream, address):
        if (yield stream.readline()) == b"stay\n":
            yield stream.write(b"staying\n")
            yield Event().wait()

    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        ready = Future()
        server = yield spawn(streams._serve(listener, stay_or_go, None, ready,
                                            handover=handover))
        address = yield ready
        with (yield open_connection(*address)) as gone:
            yield gone.write(b"go\n")
            assert (yield gone.read()) == b""       # its handler has returned
        with (yield open_connection(*address)) as busy:
            yield busy.write(b"stay\n")
            assert (yield busy.readline()) == b"staying\n"
            yield workers._drain([server], handover, 1.0)

    run(main(), clock=VirtualClock())
    assert [record.getMessage().split(": ", 1)[1] for record in caplog.records
            if "still busy" in record.getMessage()] == [
        "1 connection(s) still busy after 1 s; cancelling them"]


def test_a_connection_new_when_the_drain_looks_has_its_whole_grace(run):
    """The drain's sweep lets a connection that is still new -- in its
    handler, nothing received or written yet -- go only once it has been
    new for a whole NEW_CONNECTION_GRACE: one whose PROXY header came just
    before the sweep's look is seen there, not cut off, and its first
    request, sent right after, is answered (it was given the end of its
    stream at once)."""
    def answer_lines(stream, address):
        while True:
            line = yield stream.readline()
            if not line:
                return
            yield stream.write(b"got " + line)

    def main():
        handover = streams._HandOver()
        listener = listen(("127.0.0.1", 0))
        ready = Future()
        server = yield spawn(streams._serve(listener, answer_lines, None, ready, True,
                                            handover=handover))
        address = yield ready
        with (yield open_connection(*address)) as client:
            yield sleep(0.1)                # accepted: its task waits for the header
            drain = yield spawn(workers._drain([server], handover, 5.0))
            yield sleep(streams.NEW_CONNECTION_GRACE - 0.1)
            yield client.write(b"PROXY TCP4 10.0.0.1 10.0.0.2 1111 2222\r\n")
            yield sleep(0.2)                # the sweep looked meanwhile
            yield client.write(b"one\n")
            answer = yield client.read()
            rest = yield client.read()
        yield join(drain)
        return answer, rest

    assert run(main(), clock=VirtualClock()) == (b"got one\n", b"")
