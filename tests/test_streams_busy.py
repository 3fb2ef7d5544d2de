"""One reader and one writer per Stream at a time, over real sockets.

A read method that may wait holds the stream's reading for as long as it
runs (its scan of the buffer counts on nobody else taking from it); a
second reader meanwhile gets ``ResourceBusy`` naming the stream, even one
the buffer alone could answer.  The same for writes over TLS, before any
byte reaches OpenSSL.  Tasks synchronise through data, joins and the
kernel's scheduling -- never through sleeps.
"""

import re
import socket

import pytest

from net_helpers import (MiB, client_context, server_context, stalled, start_server, tcp_pair,
                         watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Event, Future, ResourceBusy, TaskError, TaskTimeout, cancel, join,
                        sleep, spawn, timeout_after, write)
from trampoline.streams import (IncompleteReadError, LimitOverrunError, Stream,
                                open_connection)


def pair():
    ours, theirs = tcp_pair()
    return Stream(ours), theirs


def holding(stream, n):
    """Subroutine: return once the reader of ``stream`` has ``n`` bytes in
    its buffer (it has received them and gone back to waiting)."""
    while len(stream._buffer) < n:
        yield sleep(0)


def other_reads(stream):
    """Every read method, as a second reader would call it."""
    return [("read", lambda: stream.read(3)), ("read", lambda: stream.read(4096)),
            ("read", lambda: stream.read()), ("readexactly", lambda: stream.readexactly(1)),
            ("readline", lambda: stream.readline()),
            ("readuntil", lambda: stream.readuntil(b"o")),
            ("readuntil", lambda: stream.readuntil((b"o", b";"))),
            ("each_line", lambda: stream.each_line(lambda line: None))]


def test_a_second_reader_is_busy_while_a_line_is_read(run):
    """A task waits in readline with half a line buffered; another task's
    reads -- even read(3), which the buffer could answer -- are refused,
    and take nothing: the line comes whole."""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"hello wor")
            reader = yield spawn(stream.readline())
            yield holding(stream, 9)            # it holds b"hello wor" and waits
            for method, call in other_reads(stream):
                with pytest.raises(ResourceBusy, match=r"%s\(\): another read of <Stream "
                                   r".*buffered=9> is under way" % method):
                    yield call()
            yield write(peer, b"ld\n")
            return (yield join(reader))

    assert run(main()) == b"hello world\n"


def test_a_second_reader_is_busy_while_an_exact_read_waits_on_an_empty_buffer(run):
    """readexactly has taken nothing yet: a read that would go straight to
    the socket is refused by the stream too."""
    stream, peer = pair()

    def main():
        with stream, peer:
            reader = yield spawn(stream.readexactly(4))
            yield sleep(0)                      # it runs, and waits to read
            for method, call in other_reads(stream):
                with pytest.raises(ResourceBusy, match="another read of"):
                    yield call()
            yield write(peer, b"abcd")
            return (yield join(reader))

    assert run(main()) == b"abcd"


def test_reading_is_free_again_after_every_way_out(run):
    """Cancelled, over the limit, at the end of the stream: the next read
    runs, and finds every byte the last one left."""
    stream, peer = pair()

    def main():
        with stream:
            yield write(peer, b"hello wor")
            reader = yield spawn(stream.readline())
            yield holding(stream, 9)
            yield cancel(reader)
            assert (yield stream.read(5)) == b"hello"
            yield write(peer, b"ld, far too long\n")
            with pytest.raises(LimitOverrunError):
                yield stream.readline(limit=8)
            assert (yield stream.readuntil(b",")) == b" world,"
            peer.shutdown(socket.SHUT_WR)
            with pytest.raises(IncompleteReadError):
                yield stream.readexactly(100)
            assert (yield stream.read()) == b""
            peer.close()

    run(main())


def test_each_line_lets_its_function_read_and_holds_the_rest(run):
    """each_line's func runs between two reads: it may read the stream
    itself; another task reading while each_line waits is refused."""
    stream, peer = pair()
    seen = []

    def body(line):
        seen.append(line)
        if line == b"body\n":
            seen.append((yield stream.readexactly(3)))

    def main():
        with stream:
            yield write(peer, b"body\nxyzend\n")
            lines = yield spawn(stream.each_line(body))
            yield sleep(0)                      # it reads (or waits to)
            with pytest.raises(ResourceBusy, match=r"read\(\): another read of"):
                yield stream.read(1)
            peer.close()
            return (yield join(lines))

    assert run(main()) == 2
    assert seen == [b"body\n", b"xyz", b"end\n"]


def test_a_crashed_reader_frees_the_stream(run):
    """A read that fails with the socket's error frees the stream too."""
    stream, peer = pair()

    def main():
        reader = yield spawn(stream.readline())
        yield sleep(0)
        stream.close()                          # under the waiting reader
        with pytest.raises(TaskError):
            yield join(reader)
        with pytest.raises(OSError) as info:
            yield stream.readline()
        assert not isinstance(info.value, ResourceBusy)
        peer.close()

    run(main())


# ==================================================================== TLS writes

def stalled_tls_pair():
    """Subroutine: ``(stream, server, received, go)`` -- a TLS client stream
    whose server does not read until ``go`` is set, then reads to the end
    and sets ``received`` to everything."""
    received = Future()
    go = Event()

    def late_reader(stream, address):
        yield go.wait()
        received.set_result((yield stream.read()))

    server, port = yield start_server(late_reader, ssl=server_context())
    stream = yield open_connection("127.0.0.1", port, ssl=client_context())
    return stream, server, received, go


def test_a_second_tls_writer_is_busy_before_it_sends_a_byte(run):
    """One task's TLS write waits (its peer does not read); a second
    task's write is refused before it reaches OpenSSL -- which would have
    flushed the first one's pending record and sent its own bytes after it
    -- and the peer gets the first write's bytes alone, in order."""
    def main():
        stream, server, received, go = yield stalled_tls_pair()
        first = yield spawn(stream.write(b"A" * 8 * MiB))
        yield stalled(stream)
        refused = []
        for call in (lambda: stream.write(b"B" * MiB), lambda: stream.writelines([b"B"] * 10)):
            with pytest.raises(ResourceBusy) as info:
                yield call()
            refused.append(str(info.value))
        go.set()
        yield join(first)
        yield stream.close()
        data = yield received
        yield cancel(server)
        return len(data), data.count(b"A"), refused

    length, a_count, refused = run(main())
    assert (length, a_count) == (8 * MiB, 8 * MiB)
    for method, message in zip(("write", "writelines"), refused):     # (each names its call)
        assert re.match(r"%s\(\): another write of <Stream TLS fd=\d+ .*> is under way; "
                        r"only one task may write" % method, message), message


def test_an_interrupted_tls_write_says_what_it_wrote_and_the_next_goes_on_from_there(run):
    """A TLS write cancelled while it waits (its peer does not read) leaves
    a chunk half in OpenSSL's records; bytes_written counts it, and the
    next write sends the rest of it before its own bytes (OpenSSL would
    have finished the old record with the new bytes, or refused them:
    BAD_LENGTH).  Timed out, the same; a write interrupted before that
    chunk could go says it wrote nothing of its own."""
    def main():
        stream, server, received, go = yield stalled_tls_pair()
        first = yield spawn(stream.write(b"A" * 8 * MiB))
        yield stalled(stream)
        yield cancel(first)
        with pytest.raises(TaskError) as info:
            yield join(first)
        written_a = info.value.__cause__.bytes_written
        with pytest.raises(TaskTimeout) as info:
            yield timeout_after(0.05, stream.write(b"B" * MiB))   # room for none of it
        written_b = info.value.__cause__.bytes_written
        go.set()
        yield stream.write(b"C" * MiB)
        yield stream.close()
        data = yield received
        yield cancel(server)
        return written_a, written_b, data

    written_a, written_b, data = run(main())
    assert 0 < written_a < 8 * MiB and written_b == 0
    assert data == b"A" * written_a + b"C" * MiB
