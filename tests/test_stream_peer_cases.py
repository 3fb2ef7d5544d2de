"""The peers' own stream tests, translated to Stream, over real sockets.

Where the cases come from:

* trio's generic conformance checks (``trio/testing/_check_streams.py``:
  ``check_one_way_stream``, ``check_two_way_stream``,
  ``check_half_closeable_stream``): empty and bytes-like sends, a peer that
  closed, use after close, closing under a blocked reader or writer, a
  cancelled ``aclose``, a graceful close after cancelled operations, full
  duplex with random chunk sizes, half-close (twice; under a write);
* asyncio's ``Lib/test/test_asyncio/test_streams.py``: ``readuntil`` across
  chunks, at the end, over its limit; ``readexactly`` of 0, of less than
  zero, at the end; ``read(0)``; ``at_eof``; ``drain`` with a slow reader
  (our ``write`` waits as ``write`` + ``drain`` do);
* curio's ``tests/test_io.py``: reads and writes under timeouts lose no
  byte (curio hands the partial bytes back on the exception; here they stay
  in the stream for the next read), ``writelines`` of an endless generator
  timed out; its file streams: ``PipeStream`` (a child's pipes).

Each runs over plain TCP and TLS where both apply (the timeouts over TLS
1.2 and a pipe too).  Where our documented
rule differs from a peer's, the test pins ours and says so:

* ``read(0)`` returns ``b""`` and takes nothing (asyncio; trio's
  ``receive_some(0)`` is a ``ValueError``);
* a line over the limit stays in the buffer (asyncio's ``readline`` drops
  it), and the limit counts the separator (asyncio's does not: with
  ``limit=7``, asyncio takes ``b"1234567\\n"``; ours needs ``limit=8``);
* a write to a closed stream is ``OSError(EBADF)`` naming the stream, and
  one to a stream whose peer went ``BrokenPipeError`` or
  ``ConnectionResetError`` (trio: ``ClosedResourceError``,
  ``BrokenResourceError``);
* a TLS stream cannot half-close (trio's ``SSLStream`` is no
  ``HalfCloseableStream`` either);
* ``aclose`` of a TLS stream waits for the peer's close_notify (asyncio's
  close does too); a trampoline peer answers one as it reads it, as
  asyncio's does, so these tests have the peer read the end.
"""

import errno
import os
import random
import select
import signal
import socket
import ssl
import struct
import sys

import pytest

import trampoline
from net_helpers import (MiB, client_context, server_context, stalled, start_server,
                         tcp_pair, watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Event, Future, ResourceBusy, TaskTimeout, cancel, join, sleep, spawn,
                        timeout_after)
from trampoline.streams import (IncompleteReadError, LimitOverrunError, Stream,
                                open_connection)
from trampoline.subprocess import PIPE, PipeStream, Process

WATCHDOG_SECONDS = 30.0

TRANSPORTS = ["tcp", "tls"]


def connected(transport, client_ssl=None):
    """Subroutine: ``(ours, theirs, finish)`` -- two Streams, the two ends of
    one connection (TLS: ``theirs`` is a server's), and a subroutine that
    closes both and stops the server."""
    if transport == "tcp":
        one, other = tcp_pair()
        ours, theirs = Stream(one), Stream(other)
        server = None
    else:
        handed, done = Future(), Event()

        def handler(stream, address):
            handed.set_result(stream)
            yield done.wait()

        server, port = yield start_server(handler, ssl=server_context())
        ours = yield open_connection("127.0.0.1", port, ssl=client_ssl or client_context())
        theirs = yield handed

    def finish():
        ours.close()
        theirs.close()
        if server is not None:
            yield cancel(server)

    return ours, theirs, finish


def outcome(call):
    """Subroutine: what ``yield call()`` returned, or the exception it
    raised."""
    try:
        return (yield call())
    except Exception as exc:
        return exc


def to_the_end(stream):
    """A peer's reading: everything until the end of the stream, then close
    (over TLS, reading the end answers our close_notify, which ``aclose``
    waits for)."""
    data = yield stream.read()
    stream.close()
    return data


def stalled_pipe(stream):
    """Subroutine: return once a write to the pipe of ``stream`` waits for
    room (``stalled`` for a pipe: the child has not read it yet)."""
    while select.select([], [stream.pipe], [], 0)[1]:
        yield sleep(0)


# ================================================================ trio's checks

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_empty_write_means_nothing_and_every_bytes_like_is_sent(run, transport):
    """trio: a stream tolerates sending b"" without giving it any meaning;
    bytearray and memoryview are sent as bytes are."""
    def main():
        ours, theirs, finish = yield connected(transport)
        yield ours.write(b"")
        yield ours.write(bytearray(b"y"))
        yield ours.write(b"")
        yield ours.write(memoryview(b"z"))
        yield ours.writelines([b"", bytearray(b"1"), memoryview(b"2")])
        got = yield theirs.readexactly(4)
        yield finish()
        return got

    assert run(main()) == b"yz12"


@pytest.mark.parametrize("read_the_end", [False, True])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_writer_whose_peer_closed_gets_an_error_and_keeps_getting_it(run, transport,
                                                                       read_the_end):
    """trio: closing the receiving side leads to an error on the sending
    side (eventually: the first write may fit in the socket's buffer), and
    once detected the stream stays broken: BrokenPipeError or
    ConnectionResetError, as over plain TCP -- also over TLS once the
    peer's close_notify has been read (a read returned b""), where
    OpenSSL's ssl.SSLZeroReturnError ("TLS/SSL connection has been
    closed") came out, which a server logged as its handler's crash."""
    def main():
        ours, theirs, finish = yield connected(transport)
        theirs.close()
        if read_the_end:
            assert (yield ours.read(10)) == b""
        errors = []
        for _ in range(100):
            try:
                yield ours.write(b"x" * 100)
            except OSError as exc:
                errors.append(exc)
                break
        errors.append((yield outcome(lambda: ours.write(b"x" * 100))))
        yield finish()
        return errors

    first, second = run(main())
    for error in (first, second):
        assert isinstance(error, (BrokenPipeError, ConnectionResetError)), repr(error)


@pytest.mark.parametrize("size", [1, 100])
def test_a_tls_write_after_a_reset_and_the_end_read_after_it_is_a_broken_pipe(run, size):
    """trio: once broken, a stream stays broken.  A TLS peer resets; a read
    raises ConnectionResetError, the next one reads the end; then a write
    is BrokenPipeError naming the peer, as over plain TCP (and as a longer
    write's was already).  A write of one byte raised ssl.SSLError
    "[SSL: BAD_LENGTH] bad length": OpenSSL's word for it there."""
    def main():
        ours, theirs, finish = yield connected("tls")
        theirs.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        socket.socket.close(theirs.sock)        # a reset, no close_notify
        got = [(yield outcome(lambda: ours.read(10))), (yield outcome(lambda: ours.read(10)))]
        for _ in range(2):
            got.append((yield outcome(lambda: ours.write(b"x" * size))))
        yield finish()
        return got, ours.peername[1]

    (reset, end, first, second), port = run(main())
    assert isinstance(reset, ConnectionResetError) and end == b""
    for error in (first, second):
        assert isinstance(error, BrokenPipeError), repr(error)
        assert str(error).endswith(" (write() to 127.0.0.1:%d)" % port), error
        assert error.bytes_written == 0


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_closed_stream_refuses_every_read_and_write_and_closes_again_quietly(run, transport):
    """trio: after close, sending raises -- even an empty send -- and so
    does receiving; closing again (close or aclose) is fine.  Ours:
    OSError(EBADF) naming the method and the stream."""
    def main():
        ours, theirs, finish = yield connected(transport)
        yield theirs.write(b"buffered\nand more")
        assert (yield ours.readline()) == b"buffered\n"    # (the rest stays buffered)
        yield spawn(to_the_end(theirs))     # (over TLS, aclose waits for it to close)
        yield ours.aclose()
        calls = [("write", lambda: ours.write(b"x")), ("write", lambda: ours.write(b"")),
                 ("write", lambda: ours.writelines([b"x"])),
                 ("read", lambda: ours.read(3)), ("read", lambda: ours.read(65536)),
                 ("read", lambda: ours.read()), ("readline", lambda: ours.readline()),
                 ("readexactly", lambda: ours.readexactly(1)),
                 ("readuntil", lambda: ours.readuntil(b"x"))]
        results = []
        for method, call in calls:
            results.append((method, (yield outcome(call))))
        yield ours.aclose()
        yield ours.close()
        ours.close()
        yield ours.aclose()
        yield finish()
        return results

    for method, error in run(main()):
        assert isinstance(error, OSError) and error.errno == errno.EBADF, (method, error)
        assert "is closed" in str(error), (method, error)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_what_was_written_before_the_close_arrives_then_the_end(run, transport):
    """trio: send then graceful close -- the receiver, reading only after
    the sender has closed, gets the data, then b"" (and again b"")."""
    def main():
        ours, theirs, finish = yield connected(transport)

        def send_then_close():
            yield ours.write(b"y")
            yield ours.aclose()             # (over TLS it waits for theirs to close)

        closer = yield spawn(send_then_close())
        yield sleep(0)                      # it has gone as far as it can
        assert ours.closed or not closer.done
        got = [(yield theirs.read(1)), (yield theirs.read(1)), (yield theirs.read(1))]
        theirs.close()
        yield join(closer)
        yield finish()
        return got

    assert run(main()) == [b"y", b"", b""]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_closing_a_stream_under_a_blocked_writer_wakes_it_with_ebadf(run, transport):
    """trio: a task blocked in send_all wakes up when the stream is closed.
    Ours: at once, with OSError(EBADF) and bytes_written."""
    def main():
        ours, theirs, finish = yield connected(transport)
        writer = yield spawn(outcome(lambda: ours.write(b"x" * 64 * MiB)))
        yield stalled(ours)
        ours.close()
        yield sleep(0)
        woken = writer.done
        error = yield join(writer)
        yield finish()
        return woken, error

    woken, error = run(main())
    assert woken
    assert isinstance(error, OSError) and error.errno == errno.EBADF, repr(error)
    assert 0 < error.bytes_written < 64 * MiB


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_closing_one_end_ends_a_read_waiting_at_the_other(run, transport):
    """trio (two-way): s1.aclose() while s2 waits in receive_some: s2 gets
    b""."""
    def main():
        ours, theirs, finish = yield connected(transport)
        reader = yield spawn(theirs.read(10))
        yield sleep(0)
        closer = yield spawn(ours.aclose())
        got = yield join(reader)
        theirs.close()
        yield join(closer)
        yield finish()
        return got

    assert run(main()) == b""


def test_a_cancelled_aclose_still_closes(run):
    """trio: a cancelled aclose still closes.  A TLS peer that never answers
    our close_notify (it does not read) keeps aclose(timeout=None) waiting;
    cancelled there, the stream is closed all the same."""
    def main():
        ours, theirs, finish = yield connected("tls")
        closer = yield spawn(ours.aclose(timeout=None))
        yield sleep(0)
        yield sleep(0)
        waited = not closer.done
        yield cancel(closer)
        yield finish()
        return waited, closer.cancelled, ours.closed

    assert run(main()) == (True, True, True)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_after_a_cancelled_write_and_read_both_ends_still_close_gracefully(run, transport):
    """trio: a stream can still be closed gracefully after an operation was
    cancelled -- for TLS, in the middle of a send.  Both ends aclose at
    once; neither waits past the other."""
    def main():
        ours, theirs, finish = yield connected(transport)
        writer = yield spawn(ours.write(b"x" * 16 * MiB))
        reader = yield spawn(ours.readexactly(10))
        yield stalled(ours)
        yield cancel(writer)
        yield cancel(reader)
        closers = [(yield spawn(ours.aclose())), (yield spawn(theirs.aclose()))]
        for closer in closers:
            yield timeout_after(5, join(closer))
        yield finish()
        return writer.cancelled, reader.cancelled, ours.closed, theirs.closed

    assert run(main()) == (True, True, True, True)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_full_duplex_with_random_chunk_and_read_sizes(run, transport):
    """trio (two-way): 1 MiB each way at once, written in random chunks of
    up to 16 KiB and read with random sizes of up to 16 KiB: each side gets
    the other's bytes, in order."""
    size, biggest = MiB, 1 << 14
    rand = random.Random(0)
    data = rand.getrandbits(8 * size).to_bytes(size, "little")

    def sender(stream, payload, seed):
        chooser = random.Random(seed)
        view = memoryview(payload)
        while view:
            n = chooser.randint(1, biggest)
            yield stream.write(view[:n])
            view = view[n:]

    def receiver(stream, seed):
        chooser = random.Random(seed)
        got = bytearray()
        while len(got) < size:
            chunk = yield stream.read(chooser.randint(1, biggest))
            assert chunk
            got += chunk
        return bytes(got)

    def main():
        ours, theirs, finish = yield connected(transport)
        tasks = [(yield spawn(sender(ours, data, 0))),
                 (yield spawn(sender(theirs, data[::-1], 1))),
                 (yield spawn(receiver(ours, 2))), (yield spawn(receiver(theirs, 3)))]
        results = []
        for task in tasks:
            results.append((yield join(task)))
        yield finish()
        return results[2:]

    at_ours, at_theirs = run(main())
    assert at_ours == data[::-1] and at_theirs == data


# ================================================================ half-close

def test_write_eof_then_the_peer_reads_the_end_and_answers(run):
    """trio (half-closeable): send b"x" then send_eof; the peer receives
    b"x" then b""; sending is refused from then on; the other way still
    works, and its own send_eof ends it."""
    def main():
        ours, theirs, finish = yield connected("tcp")
        yield ours.write(b"x")
        yield ours.write_eof()
        got = [(yield theirs.read(10)), (yield theirs.read(10))]
        refused = yield outcome(lambda: ours.write(b"y"))
        yield theirs.write(b"back")
        yield theirs.write_eof()
        got += [(yield ours.read(10)), (yield ours.read(10))]
        yield finish()
        return got, refused

    got, refused = run(main())
    assert got == [b"x", b"", b"back", b""]
    assert isinstance(refused, BrokenPipeError) and "after write_eof()" in str(refused)


def test_write_eof_again_does_nothing_even_once_both_ends_are_shut(run):
    """trio: "we can do send_eof again" (asyncio's write_eof also returns
    quietly).  A second write_eof once the peer's end had come too raised
    ``OSError(ENOTCONN)`` -- "Transport endpoint is not connected" -- from
    a second shutdown(): a cleanup path that half-closes twice crashed."""
    def main():
        ours, theirs, finish = yield connected("tcp")
        yield ours.write_eof()
        yield ours.write_eof()                  # (one end shut: the system allows it)
        yield theirs.write_eof()
        assert (yield ours.read(10)) == b""     # both ends shut now
        again = yield outcome(ours.write_eof)
        yield finish()
        return again

    assert run(main()) is None


def test_write_eof_while_another_task_writes_is_busy_and_cuts_nothing(run):
    """trio: send_all and send_eof at once is a BusyResourceError.  Here
    write_eof shut the socket under a write waiting for room: the writer
    got a bare "[Errno 32] Broken pipe", the rest of its data unsent, and
    the peer an end in the middle of it.  Now write_eof raises
    ResourceBusy, changes nothing, and the write goes on to the end."""
    data = bytes(range(256)) * (16 * MiB // 256)

    def main():
        ours, theirs, finish = yield connected("tcp")
        writer = yield spawn(ours.write(data))
        yield stalled(ours)
        refused = yield outcome(ours.write_eof)
        received = yield spawn(theirs.read())       # to the end
        yield join(writer)
        yield ours.write_eof()                      # now it may
        got = yield join(received)
        yield finish()
        return refused, got

    refused, got = run(main())
    assert isinstance(refused, ResourceBusy), repr(refused)
    assert "write_eof(): a write of <Stream" in str(refused)
    assert got == data


# ================================================================ asyncio's cases

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_asyncio_s_readuntil_readexactly_and_read_cases(run, transport):
    """asyncio's test_streams: readuntil across chunks (``QWEaa``,
    ``XYaa``, ``a`` up to ``aaa``); over its limit the bytes stay; readline
    then read(7); readexactly(0) and read(0) take nothing, readexactly(-1)
    is a ValueError; at the end readexactly raises IncompleteReadError with
    the partial bytes (taken out of the buffer); then at_eof, and every
    read returns b""."""
    def main():
        ours, theirs, finish = yield connected(transport)
        results = []
        for chunk in (b"QWEaa", b"XYaa", b"a"):
            yield ours.write(chunk)
        results.append((yield theirs.readuntil(b"aaa")))
        yield ours.write(b"some dataAA")
        with pytest.raises(LimitOverrunError) as info:
            yield theirs.readuntil(b"AAA", limit=3)
        results.append((info.value.consumed, bytes(theirs._buffer)))
        yield ours.write(b"A")
        results.append((yield theirs.readuntil(b"AAA")))
        assert (yield theirs.readexactly(0)) == b""
        assert (yield theirs.read(0)) == b""
        with pytest.raises(ValueError):
            yield theirs.readexactly(-1)
        yield ours.write(b"line1\nline2\nline3")
        results.append((yield theirs.readline()))
        results.append((yield theirs.read(7)))
        closer = yield spawn(ours.aclose())     # (over TLS it waits for theirs to close)
        with pytest.raises(IncompleteReadError) as info:
            yield theirs.readexactly(100)
        results.append((info.value.partial, info.value.expected, len(theirs._buffer)))
        results.append((theirs.at_eof(), (yield theirs.readline()), (yield theirs.read()),
                        (yield theirs.read(10)), (yield theirs.readexactly(0))))
        with pytest.raises(IncompleteReadError) as info:
            yield theirs.readuntil(b"\n")
        results.append((info.value.partial, info.value.expected))
        theirs.close()
        yield join(closer)
        yield finish()
        return results

    assert run(main()) == [
        b"QWEaaXYaaa", (9, b"some dataAA"), b"some dataAAA", b"line1\n", b"line2\nl",
        (b"ine3", 100, 0), (True, b"", b"", b"", b""), (b"", None)]


def test_a_line_over_the_limit_stays_and_the_limit_counts_the_newline(run):
    """Where we differ from asyncio, on purpose (documented): the limit
    counts the separator -- ``b"1234567\\n"`` is over ``limit=7`` (asyncio
    takes it) -- and the overlong line stays in the buffer (asyncio's
    readline drops it), for ``readexactly(consumed)`` to skip or a larger
    limit to take."""
    def main():
        ours, theirs, finish = yield connected("tcp")
        yield ours.write(b"1234567\nnext\n")
        with pytest.raises(LimitOverrunError) as info:
            yield theirs.readline(limit=7)
        kept = bytes(theirs._buffer)
        line = yield theirs.readline(limit=8)
        after = yield theirs.readline()
        yield finish()
        return info.value.consumed, kept, line, after

    assert run(main()) == (7, b"1234567\nnext\n", b"1234567\n", b"next\n")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_write_to_a_slow_reader_waits_for_it_and_arrives_whole(run, transport):
    """asyncio: drain() with a slow reader.  Ours: write returns once the
    kernel has every byte -- 8 MiB to a reader taking 1,000 bytes at a
    time -- and the reader gets them all, in order."""
    data = bytes(range(256)) * (8 * MiB // 256)

    def reader(stream):
        got = bytearray()
        while len(got) < len(data):
            got += yield stream.read(1000)
            yield sleep(0)                  # (slow: others run between reads)
        return bytes(got)

    def main():
        ours, theirs, finish = yield connected(transport)
        task = yield spawn(reader(theirs))
        yield ours.write(data)
        got = yield join(task)
        yield finish()
        return got == data

    assert run(main())


# ================================================================ curio's timeouts

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_timed_out_writelines_of_an_endless_generator_says_what_the_peer_gets(
        run, transport):
    """curio's test_writelines_timeout: writelines of a generator that never
    ends, to a peer that reads nothing yet, times out; its bytes_written is
    exactly what the peer then reads before the end (over TLS, the chunk
    OpenSSL held goes out with aclose)."""
    def lines():
        n = 0
        while True:
            yield b"Msg%d\n" % n
            n += 1

    def main():
        ours, theirs, finish = yield connected(transport)
        with pytest.raises(TaskTimeout) as info:
            yield timeout_after(0.05, ours.writelines(lines()))
        written = info.value.__cause__.bytes_written
        reader = yield spawn(to_the_end(theirs))
        yield ours.aclose()
        received = yield join(reader)
        yield finish()
        return written, received

    written, received = run(main())
    assert 0 < written == len(received)
    expected = b"".join(b"Msg%d\n" % n for n in range(len(received) // 4 + 1))
    assert received == expected[:len(received)]



def tls12_context():
    context = client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


PRINTABLE = range(32, 127)


def random_lines(rand, size):
    """About ``size`` bytes of lines of random printable text."""
    lines, total = [], 0
    while total < size:
        line = bytes(rand.choices(PRINTABLE, k=rand.randrange(0, 200))) + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines)


def timed_out_everywhere(ours, theirs, seed, size=256 * 1024):
    """Subroutine: ``ours`` sends ``size`` bytes of lines in random chunks,
    each write (or writelines) under a tiny timeout, going on from its
    ``bytes_written``; ``theirs`` reads with every read method under tiny
    timeouts, until the end.  Returns ``(sent, received, timeouts)``: what
    each side saw, and how many writes and reads timed out."""
    rand = random.Random(seed)
    data = random_lines(rand, size)
    timeouts = [0, 0]                       # (writes, reads)
    if isinstance(ours.sock, socket.socket):    # small buffers: writes wait, and time out
        ours.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        theirs.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)

    def sender():
        view = memoryview(data)
        while view:
            chunk = view[:rand.randrange(1, 70000) if rand.random() < 0.2
                         else rand.randrange(1, 3000)]
            if rand.random() < 0.3:         # writelines of a generator: a batch at a time
                cuts = sorted(rand.randrange(len(chunk) + 1) for _ in range(3))
                pieces = [chunk[a:b] for a, b in zip([0] + cuts, cuts + [len(chunk)])]
                writing = ours.writelines(piece for piece in pieces)
            else:
                writing = ours.write(chunk)
            try:
                yield timeout_after(rand.choice([0.0001, 0.001, 0.01]), writing)
                view = view[len(chunk):]
            except TaskTimeout as exc:
                timeouts[0] += 1
                view = view[exc.__cause__.bytes_written:]
            if rand.random() < 0.3:         # (pacing, so that reads wait and time out)
                yield sleep(rand.choice([0, 0.0002, 0.001]))
        yield ours.aclose()

    reads = [lambda: theirs.read(rand.randrange(1, 100000)),
             lambda: theirs.read(rand.randrange(1, 1000)),
             lambda: theirs.readline(),
             lambda: theirs.readexactly(rand.randrange(0, 5000)),
             lambda: theirs.readuntil(rand.choice([b"\n", b"ab", (b"a", b"\n")])),
             lambda: theirs.read()]

    task = yield spawn(sender())
    received = bytearray()
    while True:
        try:
            with timeout_after(rand.choice([0.00001, 0.0001, 0.001])):
                received += yield rand.choice(reads)()
        except TaskTimeout:
            timeouts[1] += 1
        except IncompleteReadError as exc:  # (the end, inside readexactly or readuntil)
            received += exc.partial
        except LimitOverrunError as exc:
            received += yield theirs.readexactly(exc.consumed)
        if theirs.at_eof():
            break
        if rand.random() < 0.05:            # (a slow reader now and then: writes wait)
            yield sleep(rand.choice([0.001, 0.005]))
    theirs.close()                          # (over TLS the sender's aclose waits for it)
    yield join(task)
    return data, bytes(received), timeouts


@pytest.mark.parametrize("transport", ["tcp", "tls", "tls1.2", "pipe"])
def test_reads_and_writes_under_random_timeouts_lose_and_repeat_no_byte(transport):
    """curio: a read or write that times out loses nothing (curio hands back
    what it had on the exception).  Ours: every read method and write, each
    under a timeout of 10 us to 10 ms, at random points of a 256 KiB
    transfer (a write going on from its ``bytes_written``) -- over TCP,
    TLS 1.3 and 1.2, and a pipe: the reader gets the sender's bytes
    exactly, neither lost nor read twice."""
    def main():
        if transport == "pipe":
            r, w = os.pipe()
            ours = PipeStream(os.fdopen(w, "wb", buffering=0))
            theirs = PipeStream(os.fdopen(r, "rb", buffering=0))
            finish = None
        else:
            ours, theirs, finish = yield connected(
                transport[:3], tls12_context() if transport == "tls1.2" else None)
        results = []
        for seed in range(2):
            if seed:                        # (a new connection each round)
                if finish is None:
                    r, w = os.pipe()
                    ours = PipeStream(os.fdopen(w, "wb", buffering=0))
                    theirs = PipeStream(os.fdopen(r, "rb", buffering=0))
                else:
                    yield finish()
                    ours, theirs, finish = yield connected(
                        transport[:3], tls12_context() if transport == "tls1.2" else None)
            results.append((yield timed_out_everywhere(ours, theirs, seed)))
        if finish is not None:
            yield finish()
        return results

    timeouts = [0, 0]
    for sent, received, counts in trampoline.run(main()):
        assert len(received) == len(sent) and received == sent
        timeouts = [a + b for a, b in zip(timeouts, counts)]
    assert timeouts[1] > 0                  # (reads did time out)
    assert timeouts[0] > 0 or transport == "pipe"   # (and writes: small socket buffers)


def test_a_closed_pipe_stream_drops_its_buffer_and_every_read_fails(run):
    """trio: after close, receiving raises.  A PipeStream (curio's file
    streams: a child's output) closed by another task while this one works
    through lines it has buffered went on returning them -- then failed
    once they ran out -- where a Stream's next read fails at once (its
    close() drops the buffer).  Now a PipeStream's does too."""
    r, w = os.pipe()
    stream = PipeStream(os.fdopen(r, "rb", buffering=0))

    def main():
        with os.fdopen(w, "wb", buffering=0) as writer:
            writer.write(b"one\ntwo\nthree\n")
            first = yield stream.readline()             # the rest is buffered
            yield join((yield spawn(stream.close())))
            calls = [lambda: stream.readline(), lambda: stream.read(65536),
                     lambda: stream.read(3), lambda: stream.read(),
                     lambda: stream.readexactly(1)]
            errors = []
            for call in calls:
                errors.append((yield outcome(call)))
            return first, errors, repr(stream)

    first, errors, shown = run(main())
    assert first == b"one\n" and "closed" in shown and "buffered=0" in shown
    for error in errors:
        assert isinstance(error, OSError) and error.errno == errno.EBADF, repr(error)
        assert "closed" in str(error), repr(error)


def test_a_child_s_stdin_write_eof_while_another_task_writes_it_is_busy(run):
    """write_eof on a child's stdin (which closes the pipe) while another
    task writes it: ResourceBusy, as for a Stream, and the write goes on
    to the end -- the child reads every byte.  (The writer got "fd N was
    closed while ... waited on it", the child's input cut short.)"""
    data = b"x" * (4 * MiB)

    def main():
        with Process([sys.executable, "-c", "import sys; "
                      "print(len(sys.stdin.buffer.read()))"],
                     stdin=PIPE, stdout=PIPE) as child:
            child.send_signal(signal.SIGSTOP)      # (it reads nothing until SIGCONT)
            writer = yield spawn(child.stdin.write(data))
            yield stalled_pipe(child.stdin)
            refused = yield outcome(child.stdin.write_eof)
            child.send_signal(signal.SIGCONT)
            yield join(writer)
            yield child.stdin.write_eof()
            counted = yield child.stdout.read()
            yield child.wait()
            return refused, counted

    refused, counted = run(main())
    assert isinstance(refused, ResourceBusy), repr(refused)
    assert "write_eof(): a write of <PipeStream" in str(refused)
    assert counted == b"%d\n" % len(data)
