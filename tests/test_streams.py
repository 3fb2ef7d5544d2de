"""Streams, clients and servers over real loopback sockets (TCP, IPv6, Unix).

Stream's reads (partial reads, lines split across many packets, limits, end
of stream, cancellation losing nothing), writes and closing; open_connection
(DNS in a worker thread, every address tried, refused, reset, timeout,
local_addr); tcp_server / unix_server / serve (ready, cancellation, errors).
Most tests run on every poller backend (the ``run`` fixture of conftest.py).
Tasks synchronise through data, joins, Futures and the kernel's own
scheduling -- never through sleeps.
"""

import copy
import errno
import logging
import os
import pickle
import socket
import struct
import sys
import time

import pytest

from net_helpers import (MiB, drained, echo, free_port, needs_ipv6, start_server,
                         tcp_pair, watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Cancelled, Event, Future, TaskError, TaskTimeout, cancel, join,
                        read, read_wait, sleep, spawn, timeout_after, write)
from trampoline.streams import (IncompleteReadError, LimitOverrunError, Stream, getaddrinfo,
                                open_connection, open_unix_connection, serve, tcp_server,
                                unix_server)
from trampoline.net import listen
from trampoline.subprocess import PipeStream
from trampoline import streams


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def pair():
    """``(stream, peer)``: a Stream over one end of a TCP connection, and the
    plain socket at the other end."""
    ours, theirs = tcp_pair()
    return Stream(ours), theirs


# ================================================================ reading

def test_read_returns_what_is_there_and_keeps_the_rest(run):
    """read(n) returns at most n bytes without waiting for more; what it
    does not return stays for the next call, in order."""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"hello world")
            first = yield stream.read(5)
            second = yield stream.read(100)            # the rest of that packet
            yield write(peer, b"!")
            third = yield stream.read(100)             # waits for the next one
            return first, second, third

    assert run(main()) == (b"hello", b" world", b"!")


def test_read_all_until_eof_then_empty(run):
    """read() reads until the peer closes; afterwards read returns b""."""
    stream, peer = pair()

    def sender():
        with peer:
            for i in range(10):
                yield write(peer, b"%d," % i)
                yield drained(stream.sock)

    def main():
        with stream:
            yield spawn(sender())
            everything = yield stream.read()
            assert " eof" in repr(stream)
            after = yield stream.read(10)
            again = yield stream.read()
            return everything, after, again

    assert run(main()) == (b"0,1,2,3,4,5,6,7,8,9,", b"", b"")


def test_read_zero_and_bad_sizes(run):
    stream, peer = pair()

    def main():
        with stream, peer:
            assert (yield stream.read(0)) == b""
            with pytest.raises(TypeError, match="n must be an int"):
                yield stream.read(1.5)
            with pytest.raises(ValueError, match="n must be >= 0"):
                yield stream.readexactly(-1)
            with pytest.raises(TypeError, match=r"readexactly\(\): n must be an int, got str '4'"):
                yield stream.readexactly("4")
            with pytest.raises(ValueError, match=r"^readline\(\): limit must be an int >= 1, "
                                                 r"got 0$"):
                stream.readline(limit=0)
            for call in (lambda: stream.readuntil(b"\n", -1),
                         lambda: stream.readuntil((b"\n",), True),
                         lambda: stream.each_line(print, 1.0)):
                with pytest.raises(ValueError, match=r"^(readuntil|each_line)\(\): limit must be"):
                    yield call()
            with pytest.raises(ValueError, match="separator must be non-empty bytes"):
                stream.readuntil(b"")
            with pytest.raises(ValueError, match="separator must be non-empty bytes"):
                stream.readuntil("\n")
            with pytest.raises(TypeError, match="needs a connected socket"):
                Stream(peer.fileno())

    run(main())


def test_readexactly_across_many_packets(run):
    """readexactly collects bytes from many receives; what follows stays."""
    stream, peer = pair()
    message = bytes(range(256)) * 40

    def sender():
        for i in range(0, len(message), 997):
            yield write(peer, message[i:i + 997])
            yield drained(stream.sock)
        yield write(peer, b"tail")

    def main():
        with stream, peer:
            yield spawn(sender())
            header = yield stream.readexactly(4)
            body = yield stream.readexactly(len(message) - 4)
            tail = yield stream.readexactly(4)
            nothing = yield stream.readexactly(0)
            return header + body, tail, nothing

    assert run(main()) == (message, b"tail", b"")


def test_readexactly_eof_carries_the_partial_data(run):
    """EOF before n bytes: IncompleteReadError (an EOFError) with the bytes
    that came -- taken out of the buffer, so they are not read twice."""
    stream, peer = pair()

    def main():
        with stream:
            yield write(peer, b"12345")
            peer.close()
            with pytest.raises(IncompleteReadError) as info:
                yield stream.readexactly(8)
            return info.value, (yield stream.read())

    error, rest = run(main())
    assert isinstance(error, EOFError)
    assert error.partial == b"12345" and error.expected == 8
    assert "after 5 bytes, before 8 bytes" in str(error)
    assert rest == b""


def test_line_split_across_many_packets(run):
    """A line delivered a few bytes per packet -- each packet a separate
    receive -- comes back whole; two lines in one packet come back as two."""
    stream, peer = pair()
    line = b"the quick brown fox jumps over the lazy dog\n"

    def sender():
        for i in range(0, len(line), 3):
            yield write(peer, line[i:i + 3])
            yield drained(stream.sock)          # the reader took it: next is separate
        yield write(peer, b"one\ntwo\nlast without newline")
        peer.close()

    def main():
        with stream:
            yield spawn(sender())
            lines = []
            while True:
                got = yield stream.readline()
                if not got:
                    return lines
                lines.append(got)

    assert run(main()) == [line, b"one\n", b"two\n", b"last without newline"]


def test_readline_over_the_limit_leaves_the_data_intact(run):
    """A line longer than the limit raises LimitOverrunError, a ValueError
    naming the limit; every byte stays in the buffer for the next call."""
    stream, peer = pair()
    long_line = b"x" * 100 + b"\n"

    def main():
        with stream, peer:
            yield write(peer, long_line + b"short\n")
            with pytest.raises(LimitOverrunError) as info:
                yield stream.readline(limit=50)
            again = yield stream.readline(limit=101)
            short = yield stream.readline(limit=50)
            return info.value, again, short

    error, again, short = run(main())
    assert isinstance(error, ValueError)
    assert error.limit == 50 and "limit=50" in str(error)
    assert again == long_line and short == b"short\n"


def test_readline_limit_without_any_newline(run):
    """No newline at all in more than ``limit`` bytes: the error comes once
    the buffer is over the limit, without waiting for the rest."""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"y" * 300)
            with pytest.raises(LimitOverrunError) as info:
                yield stream.readline(limit=200)
            assert info.value.buffered == 300
            return (yield stream.read(1000))

    assert run(main()) == b"y" * 300


def test_limit_overrun_says_how_much_to_drop_to_skip_the_line(run):
    """LimitOverrunError.consumed, as asyncio's: how many bytes can be read
    and dropped without losing a separator -- where it begins, if it came,
    else all but what may be its start -- so that an overlong line can be
    skipped and the next one read (the error leaves every byte in place;
    ``buffered`` counts the lines after it too)."""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"x" * 100 + b"\nshort\n")
            with pytest.raises(LimitOverrunError) as found:
                yield stream.readline(limit=50)
            yield stream.readexactly(found.value.consumed + 1)     # the line and its b"\n"
            short = yield stream.readline(limit=50)
            yield write(peer, b"z" * 299 + b"\r")
            with pytest.raises(LimitOverrunError) as missing:
                yield stream.readuntil(b"\r\n", limit=200)
            yield stream.readexactly(missing.value.consumed)
            yield write(peer, b"\nnext\r\n")
            rest = yield stream.readuntil(b"\r\n", limit=200)
            nxt = yield stream.readuntil(b"\r\n", limit=200)
            return found.value, short, missing.value, rest, nxt

    found, short, missing, rest, nxt = run(main())
    assert (found.consumed, found.buffered, short) == (100, 107, b"short\n")
    assert (missing.consumed, missing.buffered) == (299, 300)
    assert (rest, nxt) == (b"\r\n", b"next\r\n")


def test_read_errors_survive_pickle_and_copy(run):
    """IncompleteReadError and LimitOverrunError, as reads raise them,
    can be pickled (to another process) and copied, attributes and message
    intact.  (Their args is the message alone: unpickling called
    __init__ with it and failed with a TypeError, as did copy.copy.)  The
    message names the peer: "the stream ended" said not which of a
    server's connections."""
    stream, peer = pair()
    port = peer.getsockname()[1]

    def main():
        with stream:
            yield write(peer, b"x" * 20 + b"\n" + b"12345")
            peer.close()
            errors = []
            for attempt in (lambda: stream.readline(limit=10),
                            lambda: stream.readexactly(21 + 8),
                            lambda: stream.readuntil(b"\r\n")):
                try:
                    yield attempt()
                except (LimitOverrunError, IncompleteReadError) as exc:
                    errors.append(exc)
            return errors

    overrun, short, until = run(main())
    assert isinstance(overrun, LimitOverrunError) and isinstance(short, IncompleteReadError)
    assert isinstance(until, IncompleteReadError) and until.expected is None
    for error in (overrun, short, until):
        for twin in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
            assert type(twin) is type(error) and str(twin) == str(error)
            assert vars(twin) == vars(error)
    assert short.partial == b"x" * 20 + b"\n12345" and short.expected == 29
    assert overrun.limit == 10 and overrun.buffered == 26
    assert str(overrun) == ("no b'\\n' within limit=10 bytes from 127.0.0.1:%d (26 bytes "
                            "buffered; they stay in the stream)" % port)
    assert str(short) == ("the stream from 127.0.0.1:%d ended after 26 bytes, before 29 "
                          "bytes" % port)


def test_a_closed_stream_says_so(run):
    """Every read and write of a closed stream raises OSError(EBADF)
    naming the method, the stream and its peer, as a TLS stream's do; a
    plain one's named only the closed socket ("read(): <socket.socket
    [closed] fd=-1, family=2, type=1, proto=6> is closed")."""
    stream, peer = pair()
    port = peer.getsockname()[1]
    calls = [("read", lambda: stream.read(10)), ("read", lambda: stream.read(65536)),
             ("readline", lambda: stream.readline()),
             ("readexactly", lambda: stream.readexactly(5)),
             ("write", lambda: stream.write(b"x")),
             ("writelines", lambda: stream.writelines([b"x"]))]

    def main():
        with peer:
            stream.close()
            errors = []
            for method, attempt in calls:
                with pytest.raises(OSError) as info:
                    yield attempt()
                errors.append((method, info.value))
            return errors

    for method, error in run(main()):
        assert error.errno == errno.EBADF
        assert str(error) == ("[Errno 9] %s(): <Stream closed peer=('127.0.0.1', %d) "
                              "buffered=0> is closed" % (method, port))


def in_pieces(peer, stream, pieces):
    """Write ``pieces`` to ``peer``, each a receive of its own for
    ``stream`` (the next goes once it has taken the last), then close."""
    for piece in pieces:
        yield write(peer, piece)
        yield drained(stream.sock)
    peer.close()


def test_readuntil_separator_split_between_packets(run):
    """A multi-byte separator cut in two by packet boundaries is found; EOF
    before it raises IncompleteReadError with the partial data."""
    stream, peer = pair()

    def main():
        with stream:
            yield spawn(in_pieces(peer, stream, (b"GET / HTTP/1.1\r", b"\nHost: x\r\n\r",
                                                 b"\n", b"body")))
            head = yield stream.readuntil(b"\r\n\r\n")
            with pytest.raises(IncompleteReadError) as info:
                yield stream.readuntil(b"\r\n\r\n")
            return head, info.value

    head, error = run(main())
    assert head == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert error.partial == b"body" and error.expected is None
    assert "before b'\\r\\n\\r\\n'" in str(error)


def test_readuntil_takes_a_tuple_of_separators(run):
    """readuntil((sep1, sep2, ...)), as Python 3.13's asyncio: the bytes up
    to whichever separator ends first, wherever the packets split them;
    over the limit LimitOverrunError (consumed: where that separator
    begins, or what no separator can start in); at the end of the stream
    IncompleteReadError naming them all.  It was a ValueError ("the
    separator must be non-empty bytes")."""
    stream, peer = pair()

    def main():
        with stream:
            yield spawn(in_pieces(peer, stream, (b"line 1\nline 2\r", b"ABC", b"DEFG", b"xx\r",
                                                 b"\n", b"q" * 30 + b"END", b"tail")))
            got = [(yield stream.readuntil((b"\r", b"\n"))),
                   (yield stream.readuntil((bytearray(b"\n"), b"\r"))),
                   (yield stream.readuntil((b"DEF", b"BCDE"))),     # BCDE ends first
                   (yield stream.readuntil((b"\r\n", b"\r"))),      # b"\\r" ends first
                   (yield stream.readexactly(1))]
            with pytest.raises(LimitOverrunError) as over:
                yield stream.readuntil((b"END", b"!"), limit=20)
            with pytest.raises(LimitOverrunError) as tie:
                yield stream.readuntil((b"qEND", b"END"), limit=20)   # same end
            got.append((yield stream.readexactly(over.value.consumed)))
            got.append((yield stream.readuntil((b"END", b"!"), limit=20)))
            with pytest.raises(LimitOverrunError) as none:
                yield stream.readuntil((b"!!", b"?"), limit=3)  # none in b"tail"
            with pytest.raises(IncompleteReadError) as short:
                yield stream.readuntil((b"!", b"?"))
            return got, over.value, tie.value, none.value, short.value

    got, over, tie, none, short = run(main())
    assert got == [b"line 1\n", b"line 2\r", b"ABCDE", b"FGxx\r", b"\n", b"q" * 30, b"END"]
    assert (over.consumed, over.buffered) == (30, 33) and tie.consumed == 30
    assert "no b'END' or b'!' within limit=20" in str(over)
    assert (none.consumed, none.buffered) == (3, 4)     # (b"!!" could begin in the last byte)
    assert "no b'!!' or b'?' within limit=3" in str(none)
    assert short.partial == b"tail" and "before b'!' or b'?'" in str(short)
    for twin in (pickle.loads(pickle.dumps(over)), copy.copy(over)):
        assert str(twin) == str(over) and vars(twin) == vars(over)


def test_readuntil_refuses_an_empty_tuple_or_separator(run):
    stream, peer = pair()
    with stream, peer:
        for bad in ((), (b"\n", b""), (b"\n", "\r"), [b"\n"]):
            with pytest.raises(ValueError, match="separator"):
                stream.readuntil(bad)


def test_cancelled_read_loses_nothing(run):
    """A reader cancelled in the middle of readexactly, and one that times
    out in readline, leave every byte they had received in the stream."""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"abc")
            reader = yield spawn(stream.readexactly(6))
            yield drained(stream.sock)          # it has taken "abc" and waits
            yield cancel(reader)
            with pytest.raises(TaskTimeout):
                yield timeout_after(0.05, stream.readline())
            yield write(peer, b"def\n")
            return (yield stream.readline()), reader.cancelled

    assert run(main()) == (b"abcdef\n", True)


def test_read_with_an_empty_buffer_is_the_read_trap_itself(run):
    """Issue 14: when the buffer cannot answer, read(n) hands the kernel
    the read trap with no call in between (at most CHUNK bytes); when it
    can, or n is small, the buffer answers first, in order."""
    stream, peer = pair()

    def main():
        with stream, peer:
            direct = stream.read(1 << 20)
            assert type(direct) is read and direct.nbytes == streams.CHUNK
            assert type(stream.read(streams.DIRECT_READ)) is read
            small = stream.read(streams.DIRECT_READ - 1)
            assert type(small) is not read
            small.close()                           # (never run: takes nothing)
            yield write(peer, b"line one\nline two\n")
            first = yield direct                    # the trap: up to CHUNK bytes
            yield write(peer, b"tail\nmore")
            line = yield stream.readline()          # what read left: the buffer's
            buffered = stream.read(65536)
            assert type(buffered) is not read       # the buffer answers
            rest = yield buffered
            peer.shutdown(socket.SHUT_WR)
            end = yield stream.read(65536)          # the trap again: end of stream
            assert end == b"" and (yield stream.read(65536)) == b""
            assert (yield stream.readline()) == b""
            return first, line, rest

    first, line, rest = run(main())
    assert first == b"line one\nline two\n"
    assert (line, rest) == (b"tail\n", b"more")


def test_a_direct_read_cancelled_or_timed_out_loses_nothing(run):
    """A task cancelled in read(n)'s trap, and a read timed out, took no
    byte: the next read gets them all, in order."""
    stream, peer = pair()

    def main():
        with stream, peer:
            reader = yield spawn(stream.read(65536))
            yield sleep(0)                          # it waits in the trap
            yield cancel(reader)
            with pytest.raises(TaskTimeout):
                yield timeout_after(0.01, stream.read(65536))
            yield write(peer, b"abc")
            return (yield stream.read(65536)), reader.cancelled

    assert run(main()) == (b"abc", True)


def test_each_line_calls_plain_and_generator_functions(run):
    """each_line runs func for every line until EOF, yielding it when it is
    a generator; returns the count."""
    stream, peer = pair()
    seen = []

    def plain(line):
        seen.append(("plain", line))

    def replying(line):
        seen.append(("gen", line))
        yield stream.write(line.upper())

    def main():
        with stream:
            yield write(peer, b"a\nb\n")
            peer.shutdown(socket.SHUT_WR)
            count = yield stream.each_line(replying)
            return count

    assert run(main()) == 2
    assert peer.recv(10) == b"A\nB\n"
    peer.close()

    stream, peer = pair()

    def main2():
        with stream:
            yield write(peer, b"x\ny")
            peer.close()
            return (yield stream.each_line(plain, limit=10))

    assert run(main2()) == 2
    assert seen[-2:] == [("plain", b"x\n"), ("plain", b"y")]


def test_each_line_refuses_a_non_function_before_taking_a_line(run):
    """each_line(func) with func not callable: TypeError naming it, and no
    line taken from the stream.  (It read the first line, then failed
    calling it: that line was lost.)"""
    stream, peer = pair()

    def main():
        with stream, peer:
            yield write(peer, b"first\nsecond\n")
            with pytest.raises(TypeError, match="each_line.*needs a function.*str 'print'"):
                yield stream.each_line("print")
            return (yield stream.readline())

    assert run(main()) == b"first\n"


def test_async_def_users(run):
    """In an async def: await the methods; async for iterates over lines."""
    stream, peer = pair()

    async def main():
        with stream:
            await write(peer, b"1\n2\n3")
            peer.close()
            first = await stream.readexactly(2)
            return [first] + [line async for line in stream]

    assert run(main()) == [b"1\n", b"2\n", b"3"]


# ================================================================ writing

def test_write_and_writelines(run):
    stream, peer = pair()

    def main():
        with stream:
            yield stream.write(b"abc")
            yield stream.write(memoryview(b"def"))
            yield stream.writelines([b"g", bytearray(b"h"), b"i\n"])
            with pytest.raises(TypeError, match="encode it first"):
                yield stream.write("text")
        with peer:
            data = b""
            while len(data) < 10:
                data += yield read(peer, 100)
            return data

    assert run(main()) == b"abcdefghi\n"


def test_writelines_takes_an_endless_generator_a_batch_at_a_time(run):
    """writelines(generator) writes as it goes, as curio's does: it holds at
    most a batch of the lines at once, so a generator that never ends (or
    is huge) is written until the task is cancelled -- whose Cancelled
    carries bytes_written over all the lines, exactly what the peer gets.
    It joined the whole iterable first: memory without bound, and a
    generator that never ends never let the task yield, so no timeout
    could stop it."""
    ours, theirs = socket.socketpair()
    stream = Stream(ours)
    cap = 32 * MiB                  # (a safety net: the old join stops here)
    pulled = [0]

    def lines():
        n = 0
        while pulled[0] < cap:
            line = b"%07d" % n + b"." * 1016 + b"\n"
            pulled[0] += len(line)
            n += 1
            yield line

    def writer():
        try:
            yield stream.writelines(lines())
        finally:
            stream.close()

    def main():
        task = yield spawn(writer())
        yield read_wait(theirs)         # it has written something; the peer reads nothing
        yield cancel(task)
        held = pulled[0]
        data = []
        while True:
            chunk = yield read(theirs, 65536)
            if not chunk:
                return task.exception, held, b"".join(data)
            data.append(chunk)

    with theirs:
        cancelled, held, received = run(main())
    assert isinstance(cancelled, Cancelled)
    assert 0 < cancelled.bytes_written == len(received) < cap
    assert held - cancelled.bytes_written <= MiB, "writelines joined the iterable ahead"
    expected = b"".join(b"%07d" % n + b"." * 1016 + b"\n" for n in range(len(received) // 1024 + 1))
    assert received == expected[:len(received)]


def test_writelines_of_a_generator_that_fails_sends_the_lines_before_it(run):
    """A generator's own exception, or a line that is not bytes-like (a
    TypeError naming it), comes after every line before it is sent; from a
    list, the TypeError comes before anything is sent."""
    stream, peer = pair()

    def failing():
        yield b"one\n"
        yield bytearray(b"two\n")
        raise KeyError("the generator's own")

    def main():
        with stream, peer:
            with pytest.raises(KeyError, match="the generator's own"):
                yield stream.writelines(failing())
            with pytest.raises(TypeError, match="got str 'four'; encode it first"):
                yield stream.writelines(line for line in [b"three\n", "four"])
            with pytest.raises(TypeError):
                yield stream.writelines([b"five\n", "six"])
            yield stream.writelines(iter([memoryview(b"seven\n")]))
            yield stream.write_eof()
            data = b""
            while True:
                chunk = yield read(peer, 100)
                if not chunk:
                    return data
                data += chunk

    assert run(main()) == b"one\ntwo\nthree\nseven\n"


def test_ten_mebibytes_both_ways(run):
    """10 MiB to an echo server and back through Streams, checked byte for
    byte, while both directions are busy at once."""
    payload = os.urandom(MiB) * 10

    def main():
        server, port = yield start_server(echo)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            writer = yield spawn(stream.write(payload))
            echoed = yield stream.readexactly(len(payload))
            yield join(writer)
        yield cancel(server)
        return echoed == payload

    assert run(main()) is True


def test_half_close_peer_eof_while_we_still_write(run):
    """The client sends its request and half-closes (write_eof); the server
    reads to EOF and only then writes its (large) reply; the client gets all."""
    reply = b"r" * (3 * MiB)

    def upper_after_eof(stream, address):
        request = yield stream.read()               # until the peer's EOF
        yield stream.write(request.upper())
        yield stream.write(reply)

    def main():
        server, port = yield start_server(upper_after_eof)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            yield stream.write(b"request")
            yield stream.write_eof()
            response = yield stream.read()
        yield cancel(server)
        return response

    assert run(main()) == b"REQUEST" + reply


@pytest.mark.parametrize("debug", [False, True])
def test_write_after_write_eof_says_so(run, debug):
    """write() or writelines() after write_eof(): a BrokenPipeError (EPIPE,
    as the socket's own) that says "after write_eof()" and names the stream
    and its peer -- the socket's was a bare "[Errno 32] Broken pipe".  The
    peer got nothing; reading goes on, with the read trap itself.  (In
    debug mode too, where write is a coroutine.)"""
    stream, peer = pair()
    port = stream.sock.getpeername()[1]

    def main():
        with stream, peer:
            yield write(peer, b"question")
            assert (yield stream.read(100)) == b"question"
            yield stream.write_eof()
            errors = []
            for method, attempt in (("write", lambda: stream.write(b"more")),
                                    ("writelines", lambda: stream.writelines([b"more"]))):
                with pytest.raises(BrokenPipeError) as info:
                    yield attempt()
                errors.append((method, info.value))
            assert (yield read(peer, 100)) == b""   # our end, and nothing after it
            yield write(peer, b"answer")
            direct = stream.read(65536)
            assert type(direct) is read             # half-closed, still the trap
            return errors, (yield direct)

    errors, answer = run(main(), debug=debug)
    assert answer == b"answer"
    for method, error in errors:
        assert error.errno == errno.EPIPE
        assert "%s() after write_eof()" % method in str(error)
        assert "<Stream fd=" in str(error) and "%d)" % port in str(error)


def test_close_is_immediate_and_idempotent(run):
    """close() takes effect without a yield and twice is fine; with closes;
    reading a closed stream raises EBADF."""
    stream, peer = pair()

    def main():
        assert not stream.closed and "peer=" in repr(stream)
        stream.close()
        assert stream.closed and "closed" in repr(stream)
        yield stream.close()
        with pytest.raises(OSError) as info:
            yield stream.read(1)
        assert info.value.errno == errno.EBADF
        assert peer.recv(1) == b""
        peer.close()
        ours, theirs = tcp_pair()
        with Stream(ours) as other:
            pass
        assert other.closed and theirs.recv(1) == b""
        theirs.close()

    run(main())


def test_write_eof_on_a_closed_stream_names_it(run):
    """write_eof() after close(): OSError(EBADF) naming the stream, not
    the socket's bare "[Errno 9] Bad file descriptor"."""
    stream, peer = pair()

    def main():
        with peer:
            stream.close()
            with pytest.raises(OSError) as info:
                yield stream.write_eof()
            return info.value

    error = run(main())
    assert error.errno == errno.EBADF
    assert "write_eof(): <Stream closed peer=" in str(error) and "is closed" in str(error)


def test_close_drops_the_buffer_a_later_read_fails(run):
    """Another task closes the stream while this one works through lines
    it has buffered: its next readline raises OSError(EBADF), as the
    docstring of close() says (the buffer is dropped).  (It went on
    returning the buffered lines after the close, then failed.)"""
    stream, peer = pair()

    def closer():
        yield stream.close()

    def main():
        with peer:
            yield write(peer, b"one\ntwo\nthree\n")
            first = yield stream.readline()
            yield join((yield spawn(closer())))
            with pytest.raises(OSError) as info:
                yield stream.readline()
            assert info.value.errno == errno.EBADF
            with pytest.raises(OSError):
                yield stream.read(3)
            return first, repr(stream)

    first, shown = run(main())
    assert first == b"one\n" and "closed" in shown and "buffered=0" in shown


@pytest.mark.parametrize("kind", ["stream", "pipe"])
def test_close_fails_a_task_reading_the_stream_at_once(run, kind):
    """close() while another task waits in read(): that task gets
    OSError(EBADF) right away -- it has ended by the closer's next turn --
    not at the kernel's sweep for closed descriptors, a second later.  The
    same for a subprocess pipe's stream."""
    if kind == "stream":
        stream, peer = pair()
    else:
        r, w = os.pipe()
        stream, peer = PipeStream(os.fdopen(r, "rb", buffering=0)), os.fdopen(w, "wb")

    def reader():
        try:
            yield stream.read(10)
        except OSError as exc:
            return exc

    def main():
        task = yield spawn(reader())
        yield sleep(0)
        yield sleep(0)                  # it waits in read() now
        stream.close()
        yield sleep(0)                  # it ran, with the error
        assert task.done
        return (yield join(task))

    with peer:
        error = run(main())
    assert error.errno == errno.EBADF and "was closed while" in str(error)


def test_unconnected_socket_has_no_peername():
    with socket.socket() as sock:
        assert Stream(sock).peername is None


# ================================================================ clients

def test_connection_refused(run):
    with free_port() as sock:
        port = sock.getsockname()[1]

        def main():
            with pytest.raises(ConnectionRefusedError):
                yield open_connection("127.0.0.1", port)

        run(main())


def test_every_address_is_tried_in_turn():
    """getaddrinfo(None) gives the loopback addresses, ::1 and 127.0.0.1; a
    server listening on the last one only is found after the first is
    refused."""
    import trampoline
    addresses = loopback_addresses(None)
    if len(addresses) < 2:
        pytest.skip("the loopback has a single address family here")
    last = addresses[-1]
    # The port is held, not listening, on the other addresses: a port free
    # on one family may be another program's listener on the other.
    port, sockets = on_one_port(lambda port: [listen((last, port))],
                                *[refusing(host) for host in addresses[:-1]])

    def main():
        server = yield spawn(serve(sockets[0], echo))
        stream = yield open_connection(None, port)
        with stream:
            yield stream.write(b"ping")
            assert (yield stream.readexactly(4)) == b"ping"
            peer = stream.peername[0]
        yield cancel(server)
        with pytest.raises(ConnectionRefusedError):
            yield open_connection(None, port)       # all refused: the last error
        return peer

    try:
        assert trampoline.run(main()) == last
    finally:
        for sock in sockets:
            sock.close()


def loopback_addresses(host):
    """The addresses getaddrinfo gives ``host`` here, in its order."""
    return [info[4][0] for info in socket.getaddrinfo(host, 0, type=socket.SOCK_STREAM)]


def refusing(host):
    """A maker for ``on_one_port``: a socket bound to ``(host, port)``, not
    listening -- a connection there is refused, and nobody else can listen
    there while it is held."""
    def make(port):
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        return [sock]
    return make


def test_a_refused_connection_names_the_host_the_port_and_every_address_tried(run):
    """When every address fails, the error (the last one's class and
    errno) says what was asked and what was tried: the name and port, and
    each address -- for a name with ::1 and 127.0.0.1, both (the last
    error alone said "connecting to ('127.0.0.1', port)", as if the name
    had one address and ::1 had never been tried)."""
    # Held on every address tried (bound, not listening): nobody else takes
    # the port meanwhile, on either family.
    hosts = sorted(set(["127.0.0.1"] + loopback_addresses("localhost")
                       + loopback_addresses(None)))
    port, held = on_one_port(*[refusing(host) for host in hosts])

    def refused(host):
        with pytest.raises(ConnectionRefusedError) as info:
            yield open_connection(host, port)
        assert info.value.errno == errno.ECONNREFUSED
        return str(info.value)

    def main():
        return ((yield refused("127.0.0.1")), (yield refused("localhost")),
                (yield refused(None)))

    try:
        numeric, name, both = run(main())
    finally:
        for sock in held:
            sock.close()
    assert numeric == "[Errno 111] Connection refused (connecting to 127.0.0.1:%d)" % port
    assert name == ("[Errno 111] Connection refused (connecting to localhost:%d; tried %s)"
                    % (port, ", ".join(loopback_addresses("localhost"))))
    assert both == ("[Errno 111] Connection refused (connecting to port %d; tried %s)"
                    % (port, ", ".join(loopback_addresses(None))))


def test_addresses_that_fail_differently_each_say_why(run):
    """local_addr is IPv4: the IPv6 loopback cannot be tried from it, and
    the IPv4 one is refused -- the error names both reasons."""
    addresses = loopback_addresses(None)
    if len(addresses) < 2:
        pytest.skip("the loopback has a single address family here")
    unused = free_port()
    port = unused.getsockname()[1]

    def main():
        with pytest.raises(ConnectionRefusedError) as info:
            yield open_connection(None, port, local_addr=("127.0.0.1", 0))
        return str(info.value)

    with unused:
        message = run(main())
    assert "(connecting to port %d; tried " % port in message
    assert "::1 (local_addr has no address of family AF_INET6: [('127.0.0.1', 0)])" in message
    assert "127.0.0.1 (Connection refused)" in message


def unanswering(host, port=0):
    """A listener on ``(host, port)`` whose backlog is full: a connect's
    SYN goes unanswered, as to a server whose IPv6 is dropped on the way.
    Returns the sockets to close (the listener first)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(0)
    except OSError:
        listener.close()
        raise
    sockets = [listener]
    for _ in range(4):                              # more than the backlog holds
        sock = socket.socket(family)
        sock.setblocking(False)
        sock.connect_ex(listener.getsockname()[:2])
        sockets.append(sock)
    return sockets


def on_one_port(*makers):
    """``(port, sockets)``: each of ``makers`` called on one port -- the
    first with 0, the others with the port it got -- each returning a list
    of sockets.  Another port is tried if that one is in use on another
    address (another program's socket has it there)."""
    for _ in range(20):
        sockets = makers[0](0)
        port = sockets[0].getsockname()[1]
        try:
            for make in makers[1:]:
                sockets += make(port)
        except OSError as exc:
            for sock in sockets:
                sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        return port, sockets
    raise OSError(errno.EADDRINUSE, "no port free on every address")


def both_loopbacks():
    """The loopback addresses of getaddrinfo(None), ::1 first; else skip."""
    addresses = loopback_addresses(None)
    if addresses[:1] != ["::1"] or "127.0.0.1" not in addresses:
        pytest.skip("getaddrinfo(None) does not give ::1 then 127.0.0.1 here")
    return addresses


@needs_ipv6
def test_an_address_that_never_answers_does_not_hold_up_the_next(run):
    """::1 never answers and 127.0.0.1 listens, on the same port: the
    connection is made to 127.0.0.1 once ::1 has had HAPPY_EYEBALLS_DELAY
    alone (trio's happy eyeballs), and the ::1 attempt's socket is closed.
    Tried one after the other, ::1 held the connection up until the system
    gave up on it (two minutes), or until timeout= expired -- with
    127.0.0.1 never tried."""
    both_loopbacks()
    port, sockets = on_one_port(lambda port: unanswering("::1", port),
                                lambda port: [listen(("127.0.0.1", port))])

    def main():
        before = open_fds()
        start = time.monotonic()
        stream = yield open_connection(None, port, timeout=5)
        took = time.monotonic() - start
        with stream:
            peer = stream.peername[0]
        return peer, took, open_fds() - before

    try:
        peer, took, leaked = run(main())
    finally:
        for sock in sockets:
            sock.close()
    assert peer == "127.0.0.1"
    assert streams.HAPPY_EYEBALLS_DELAY <= took < 2.5
    assert leaked == 0


@needs_ipv6
def test_a_timeout_while_several_addresses_are_being_tried_closes_every_socket(run, monkeypatch):
    """Neither ::1 nor 127.0.0.1 answers: both attempts are under way when
    timeout= expires; TaskTimeout, and no socket is left behind.  (The
    second attempt starts HAPPY_EYEBALLS_DELAY after the first: 50 ms here,
    not 0.25 s -- the same two attempts, the timeout after both began.)"""
    both_loopbacks()
    monkeypatch.setattr(streams, "HAPPY_EYEBALLS_DELAY", 0.05)
    port, sockets = on_one_port(lambda port: unanswering("::1", port),
                                lambda port: unanswering("127.0.0.1", port))

    def main():
        before = open_fds()
        with pytest.raises(TaskTimeout):
            yield open_connection(None, port, timeout=2 * streams.HAPPY_EYEBALLS_DELAY + 0.1)
        return open_fds() - before

    try:
        assert run(main()) == 0
    finally:
        for sock in sockets:
            sock.close()


LOCAL_PORT = []


def test_local_addr(run):
    """local_addr binds the client's end: the server sees that port."""
    def who(stream, address):
        yield stream.write(("%s %d" % address).encode())

    def main():
        server, port = yield start_server(who)
        for _ in range(20):
            with free_port() as sock:
                LOCAL_PORT[:] = [sock.getsockname()[1]]
            try:
                stream = yield open_connection("127.0.0.1", port,
                                               local_addr=("127.0.0.1", LOCAL_PORT[0]))
            except OSError as exc:
                # Free a moment ago, the port may be another program's by
                # now (bind: EADDRINUSE): another one then.
                if exc.errno != errno.EADDRINUSE:
                    raise
            else:
                break
        else:
            raise AssertionError("local_addr: EADDRINUSE on 20 ports just found free")
        with stream:
            seen = yield stream.read()
        yield cancel(server)
        return seen

    assert run(main()) == b"127.0.0.1 %d" % LOCAL_PORT[0]


def test_local_addr_of_another_family_is_an_error(run):
    def main():
        server, port = yield start_server(echo)
        with pytest.raises(OSError, match="local_addr has no address of family AF_INET"):
            yield open_connection("127.0.0.1", port, local_addr=("::1", 0))
        yield cancel(server)

    run(main())


@pytest.mark.parametrize("local_addr, error, message", [
    (("127.0.0.1", 99999), ValueError, "local_addr: port must be an int from 0 to 65535, "
                                       "got 99999"),
    (("127.0.0.1", -1), ValueError, "got -1"),
    (("127.0.0.1", True), ValueError, "got True"),
    ("127.0.0.1", TypeError, r"local_addr must be \(host, port\), got '127.0.0.1'"),
    (("127.0.0.1",), TypeError, r"local_addr must be \(host, port\)"),
])
def test_local_addr_is_checked_before_connecting(run, local_addr, error, message):
    """A local_addr that is not (host, port) with a real port is refused,
    naming it -- before anything is bound.  (Port 99999 bound port 34463,
    99999 % 65536, silently; a string bound host "1" port "2"; a 1-tuple
    raised IndexError.)"""
    def main():
        server, port = yield start_server(echo)
        try:
            with pytest.raises(error, match=message):
                yield open_connection("127.0.0.1", port, local_addr=local_addr)
        finally:
            yield cancel(server)

    run(main())


def test_dns_name_is_resolved_off_the_loop(run):
    """A host name goes through getaddrinfo (in a worker thread).  (The
    server is on 127.0.0.1; where "localhost" is ::1 too, the port is held
    there, not listening, so that the connection tried there first is
    refused -- not made to another program listening on [::1]:port.)"""
    others = [host for host in loopback_addresses("localhost") if host != "127.0.0.1"]
    port, sockets = on_one_port(lambda port: [listen(("127.0.0.1", port))],
                                *[refusing(host) for host in others])

    def main():
        server = yield spawn(serve(sockets[0], echo))
        stream = yield open_connection("localhost", port)
        with stream:
            yield stream.write(b"hi")
            got = yield stream.readexactly(2)
        yield cancel(server)
        infos = yield getaddrinfo("127.0.0.1", "80", type=socket.SOCK_STREAM)
        return got, infos[0][4]

    try:
        assert run(main()) == (b"hi", ("127.0.0.1", 80))
    finally:
        for sock in sockets:
            sock.close()


def test_dns_failure():
    import trampoline

    def main():
        with pytest.raises(socket.gaierror) as info:
            yield open_connection("no-such-host.invalid", 80)
        return str(info.value)

    assert "'no-such-host.invalid'" in trampoline.run(main())


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".example"])
def test_a_host_that_is_no_host_name_is_a_gaierror_naming_it(host):
    """IDNA refuses an empty label or one over 63 characters with a
    UnicodeError; a caller handling OSError for a name it cannot reach must
    not get a codec's message instead."""
    import trampoline

    def main():
        with pytest.raises(socket.gaierror) as info:
            yield open_connection(host, 80)
        return str(info.value)

    assert "not a valid host name: %r" % host in trampoline.run(main())


def test_peer_resets_mid_message(run):
    """The peer sends half a message and resets the connection (RST): the
    reader waiting in readexactly gets ConnectionResetError; a later write
    fails too."""
    stream, peer = pair()

    def main():
        with stream:
            reader = yield spawn(stream.readexactly(100))
            yield write(peer, b"half a mess")
            yield drained(stream.sock)              # the reader holds those bytes
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            peer.close()                            # RST, not FIN
            with pytest.raises(TaskError) as info:
                yield join(reader)
            assert isinstance(info.value.__cause__, ConnectionResetError)
            with pytest.raises((BrokenPipeError, ConnectionResetError)):
                yield stream.write(b"x" * MiB)

    run(main())


def reset(sock):
    """Close ``sock`` with a reset (RST), not a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("method", ["read", "readline", "readexactly", "readuntil",
                                    "each_line"])
def test_a_reset_names_the_peer(run, method):
    """A reset read through the stream's buffer: the same class and errno
    (``except ConnectionResetError`` and ``.errno`` work as before), its
    message naming the method and the peer, which getpeername() no longer
    knows once the connection is reset; the socket's was a bare "[Errno
    104] Connection reset by peer"."""
    stream, peer = pair()
    port = peer.getsockname()[1]
    calls = {"read": lambda: stream.read(10), "readline": lambda: stream.readline(),
             "readexactly": lambda: stream.readexactly(5),
             "readuntil": lambda: stream.readuntil(b"\r\n"),
             "each_line": lambda: stream.each_line(print)}

    def main():
        with stream:
            reset(peer)
            with pytest.raises(ConnectionResetError) as info:
                yield calls[method]()
            return info.value

    error = run(main())
    assert type(error) is ConnectionResetError and error.errno == errno.ECONNRESET
    assert str(error) == ("[Errno 104] Connection reset by peer (%s() from 127.0.0.1:%d)"
                          % (method, port))


def test_a_reset_names_the_peer_in_writes_and_write_eof(run):
    """A write to a reset connection (debug mode: write is a coroutine)
    and write_eof() on one: the socket's error, same class and errno, with
    the peer named ("to 127.0.0.1:port")."""
    stream, peer = pair()
    port = peer.getsockname()[1]

    def main():
        with stream:
            reset(peer)
            errors = []
            with pytest.raises((BrokenPipeError, ConnectionResetError)) as info:
                yield stream.write(b"x" * MiB)
            errors.append(info.value)
            with pytest.raises(OSError) as info:
                yield stream.write_eof()
            errors.append(info.value)
            return errors

    write_error, eof_error = run(main(), debug=True)
    assert write_error.errno in (errno.EPIPE, errno.ECONNRESET)
    assert str(write_error).endswith(" (write() to 127.0.0.1:%d)" % port), write_error
    assert type(eof_error) is OSError and eof_error.errno == errno.ENOTCONN
    assert str(eof_error).endswith(" (write_eof() to 127.0.0.1:%d)" % port), eof_error


def test_a_reset_over_a_unix_socket_names_its_path(run, tmp_path):
    """Over a Unix socket the peer is its path -- or, for a client that did
    not bind (the usual case: its address is ""), the path of our end."""
    path = str(tmp_path / "s")

    def connection():
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)
        accepted, _ = listener.accept()
        return Stream(accepted), Stream(client)

    def reset_reading(reader, other):
        """The error ``reader`` gets once ``other`` closes with bytes unread
        (which resets a Unix connection)."""
        with reader, other:
            yield reader.write(b"left unread")
            other.close()
            with pytest.raises(ConnectionResetError) as info:
                yield reader.readline()
            return info.value

    with listen(path) as listener:
        server_side, client_side = connection()
        server_error = run(reset_reading(server_side, client_side))
        server_side, client_side = connection()
        client_error = run(reset_reading(client_side, server_side))
    assert str(server_error).endswith("(readline() from an unnamed peer on %r)" % path)
    assert str(client_error).endswith("(readline() from %r)" % path)


def test_open_connection_timeout(run):
    """A server that never answers the TLS handshake: timeout= gives up
    with TaskTimeout, and the socket is closed."""
    from net_helpers import client_context
    listener = listen(("127.0.0.1", 0))         # connects, never accepts

    def main():
        with listener:
            with pytest.raises(TaskTimeout):
                yield open_connection("127.0.0.1", listener.getsockname()[1],
                                      ssl=client_context(), timeout=0.1)

    run(main())


def test_connect_timeout_closes_the_socket(run):
    """A connect that cannot complete (the listener's backlog is full, so
    the SYN goes unanswered) gives up after timeout= with TaskTimeout, and
    leaves no socket behind."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):                              # more than the backlog holds
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(listener.getsockname())
        fillers.append(sock)

    def main():
        before = open_fds()
        port = listener.getsockname()[1]
        with pytest.raises(TaskTimeout) as caught:
            yield open_connection("127.0.0.1", port, timeout=0.2)
        assert open_fds() == before
        # The user's call is named, not the helper behind it.
        assert str(caught.value) == (
            "open_connection('127.0.0.1', %d) did not finish within 0.2 s" % port)

    try:
        run(main())
    finally:
        for sock in fillers + [listener]:
            sock.close()


def test_client_argument_errors(run):
    def main():
        with pytest.raises(ValueError, match="server_hostname is only meaningful with ssl"):
            yield open_connection("127.0.0.1", 1, server_hostname="x")
        with pytest.raises(TypeError, match="ssl= needs an ssl.SSLContext"):
            yield open_connection("127.0.0.1", 1, ssl="yes")

    run(main())


@needs_ipv6
def test_ipv6_loopback(run):
    def main():
        server, port = yield start_server(echo, host="::1")
        stream = yield open_connection("::1", port)
        with stream:
            assert stream.sock.family == socket.AF_INET6
            yield stream.write(b"six")
            got = yield stream.readexactly(3)
        yield cancel(server)
        return got

    assert run(main()) == b"six"


# ================================================================ servers

def test_server_cancelled_stops_everything(run):
    """Cancelling the server: it stops accepting (connections are refused),
    cancels its connection tasks -- their cleanup runs, their streams are
    closed, so the clients see EOF -- and closes the listener."""
    cleaned = []
    started = Future()
    connected = []

    def waiting(stream, address):
        try:
            connected.append(address)
            if len(connected) == 2:
                started.set_result(None)
            yield stream.read(1)                    # blocks: the client sends nothing
        finally:
            cleaned.append(address)

    def main():
        server, port = yield start_server(waiting)
        clients = []
        for _ in range(2):
            clients.append((yield open_connection("127.0.0.1", port)))
        yield started
        yield cancel(server)
        assert server.cancelled and len(cleaned) == 2
        for client in clients:
            assert (yield client.read()) == b""      # their side was closed
            client.close()
        with pytest.raises(ConnectionRefusedError):
            yield open_connection("127.0.0.1", port)

    run(main())


def test_server_cancelled_before_a_connection_task_ran(run):
    """A connection accepted but whose task never ran is closed all the same
    (the server closes what its tasks did not): no descriptor leaks."""
    def main():
        before = open_fds()
        listener = listen(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname())   # in the backlog
        server = yield spawn(serve(listener, echo))
        # The server runs first (FIFO): accepts the connection at once and
        # spawns its task, which is queued behind this one.  Cancel now.
        yield sleep(0)
        yield cancel(server)
        client.settimeout(5)
        assert client.recv(1) == b""                # closed, not just dropped
        client.close()
        assert open_fds() == before

    run(main())


def test_ready_callback_future_and_event(run):
    """ready= is a callback (called with the address), a Future (its result)
    or an Event (just set)."""
    got = []
    called = Future()

    def callback(address):
        got.append(address)
        called.set_result(None)

    def main():
        server = yield spawn(tcp_server("127.0.0.1", 0, echo, ready=callback))
        yield called
        event = Event()
        server2 = yield spawn(tcp_server("", 0, echo, ready=event))
        yield event.wait()
        yield cancel(server)
        yield cancel(server2)

    run(main())
    assert got[0][0] == "127.0.0.1" and got[0][1] > 0


def test_server_argument_errors(run):
    def main():
        with pytest.raises(TypeError, match="handler must be a function"):
            yield tcp_server("127.0.0.1", 0, "echo")
        with pytest.raises(TypeError, match="a server's ssl= needs an ssl.SSLContext"):
            yield tcp_server("127.0.0.1", 0, echo, ssl=True)
        with pytest.raises(TypeError, match="ready= needs a callback, a Future or an Event"):
            yield tcp_server("127.0.0.1", 0, echo, ready=42)
        listener = listen(("127.0.0.1", 0))
        with listener:
            with pytest.raises(TypeError, match="handler must be a function"):
                yield serve(listener, None)
            with pytest.raises(OSError) as info:
                yield tcp_server("127.0.0.1", listener.getsockname()[1], echo)
            assert info.value.errno == errno.EADDRINUSE

    run(main())


def test_handler_errors_are_logged_and_the_server_goes_on(run, caplog):
    """A handler that raises, or one that is not a generator function, ends
    its own connection (closed, error logged); the server keeps serving."""
    def broken(stream, address):
        line = yield stream.readline()
        if line == b"crash\n":
            raise RuntimeError("handler bug")
        yield stream.write(b"fine\n")

    def not_a_generator(stream, address):
        return 42

    def main():
        server, port = yield start_server(broken)
        for message in (b"crash\n", b"hello\n"):
            stream = yield open_connection("127.0.0.1", port)
            with stream:
                yield stream.write(message)
                reply = yield stream.read()
        yield cancel(server)
        server, port = yield start_server(not_a_generator)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            assert (yield stream.read()) == b""
        yield cancel(server)
        return reply

    with caplog.at_level(logging.ERROR, logger="trampoline"):
        assert run(main()) == b"fine\n"
    text = caplog.text
    assert "handler bug" in text
    assert "returned int 42; it must be a generator function or an async def" in text


def test_a_handler_whose_own_connect_is_refused_is_reported_as_a_crash(run, caplog):
    """ConnectionRefusedError comes from a connect, and the accepted peer
    made none: a proxy handler whose backend refuses is a crash, logged at
    ERROR with its traceback (it was taken for the peer's doing: one DEBUG
    line); a peer's reset stays one DEBUG line."""
    refused = free_port()
    backend = refused.getsockname()[1]

    def proxy(stream, address):
        request = yield stream.readline()
        if request == b"reset\n":
            raise ConnectionResetError(errno.ECONNRESET, "as if the peer reset")
        upstream = yield open_connection("127.0.0.1", backend)
        yield upstream.write(request)

    def main():
        server, port = yield start_server(proxy)
        for request in (b"GET\n", b"reset\n"):
            stream = yield open_connection("127.0.0.1", port)
            with stream:
                yield stream.write(request)
                try:
                    yield stream.read()
                except ConnectionResetError:
                    pass
        yield cancel(server)

    with refused, caplog.at_level(logging.DEBUG, logger="trampoline"):
        run(main())
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(crashes) == 1 and crashes[0].exc_info is not None
    assert crashes[0].exc_info[0] is ConnectionRefusedError
    assert "proxy" in crashes[0].getMessage()
    assert any(r.levelno == logging.DEBUG and "as if the peer reset" in r.getMessage()
               for r in caplog.records)


def test_a_peer_that_hangs_up_mid_message_is_one_info_line_not_a_crash(run, caplog):
    """``readexactly`` in a handler whose client closes after 5 of the 8
    bytes: the peer's doing, as a reset is -- one INFO line naming the
    peer; it was logged at ERROR with a traceback, as the handler's bug."""
    def handler(stream, address):
        yield stream.readexactly(8)

    def main():
        server, port = yield start_server(handler)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            yield stream.write(b"12345")
            yield stream.write_eof()
            assert (yield stream.read()) == b""     # the server closed its end
            mine = "%s:%d" % stream.sock.getsockname()
        yield cancel(server)
        return mine

    with caplog.at_level(logging.DEBUG, logger="trampoline"):
        client = run(main())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    ended = [r.getMessage() for r in caplog.records
             if r.levelno == logging.INFO and "IncompleteReadError" in r.getMessage()]
    assert ended == ["connection from %s ended: IncompleteReadError: the stream from %s "
                     "ended after 5 bytes, before 8 bytes" % (client, client)]


def test_async_def_handler(run):
    async def shout(stream, address):
        async for line in stream:
            await stream.write(line.upper())

    def main():
        server, port = yield start_server(shout)
        stream = yield open_connection("127.0.0.1", port)
        with stream:
            yield stream.write(b"quiet\n")
            got = yield stream.readline()
        yield cancel(server)
        return got

    assert run(main()) == b"QUIET\n"


def test_servers_sharing_a_port(run):
    """reuse_port=True: two servers on one port (SO_REUSEPORT)."""
    def main():
        first, port = yield start_server(echo, reuse_port=True)
        ready = Future()
        second = yield spawn(tcp_server("127.0.0.1", port, echo, reuse_port=True,
                                        backlog=16, ready=ready))
        assert (yield ready)[1] == port
        yield cancel(first)
        stream = yield open_connection("127.0.0.1", port)   # the second one answers
        with stream:
            yield stream.write(b"2")
            got = yield stream.read(1)
        yield cancel(second)
        return got

    assert run(main()) == b"2"


def test_server_on_a_name(run):
    """tcp_server resolves a host name (off the loop) before it binds."""
    def main():
        ready = Future()
        server = yield spawn(tcp_server("localhost", 0, echo, ready=ready))
        host, port = (yield ready)[:2]
        stream = yield open_connection(host, port)
        with stream:
            yield stream.write(b"x")
            got = yield stream.read(1)
        yield cancel(server)
        return got

    assert run(main()) == b"x"


# =========================================================== Unix sockets

def test_unix_server_and_connection(run, tmp_path):
    """Round trip over a Unix socket; the socket file is removed when the
    server is cancelled; connecting to a missing path is FileNotFoundError."""
    path = str(tmp_path / "echo.sock")

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready))
        assert (yield ready) == path
        stream = yield open_unix_connection(path)
        with stream:
            yield stream.write(b"unix\n")
            got = yield stream.readline()
        yield cancel(server)
        assert not os.path.exists(path)
        with pytest.raises(FileNotFoundError):
            yield open_unix_connection(path)
        return got

    assert run(main()) == b"unix\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux abstract names")
@pytest.mark.parametrize("kind", [str, bytes])
def test_unix_server_on_an_abstract_name(run, kind):
    """A Linux abstract name ("\\0name", str or bytes) is no file: the
    server serves there (it crashed on stat() after listening, and left
    the listener open for clients to queue on forever), and when
    cancelled it stops listening."""
    name = "\0trampoline-test-%d-%s" % (os.getpid(), kind.__name__)
    path = name if kind is str else name.encode()

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready))
        assert (yield ready) == name.encode()
        stream = yield open_unix_connection(path)
        with stream:
            yield stream.write(b"abstract\n")
            got = yield stream.readline()
        yield cancel(server)
        with pytest.raises(ConnectionRefusedError):
            yield open_unix_connection(path)
        return got

    assert run(main()) == b"abstract\n"


def test_unix_server_leaves_a_replacement_socket_alone(run, tmp_path):
    """If another server took the path meanwhile, its socket file stays."""
    path = str(tmp_path / "s.sock")

    def main():
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready))
        yield ready
        os.unlink(path)                             # somebody removed it and
        other = listen(path)                        # started another server there
        yield cancel(server)
        assert os.path.exists(path)
        other.close()
        os.unlink(path)
        ready = Future()
        server = yield spawn(unix_server(path, echo, ready=ready.set_result))
        yield ready
        os.unlink(path)                             # somebody removed it
        yield cancel(server)                        # no error

    run(main())


def test_unix_connection_refused(run, tmp_path):
    path = str(tmp_path / "dead.sock")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)                                 # a socket file, nobody listening

    def main():
        with pytest.raises(ConnectionRefusedError):
            yield open_unix_connection(path)

    with sock:
        run(main())


def test_cancelled_while_connecting_closes_the_socket(run):
    """A connect that is cancelled does not leak its socket."""
    listener = listen(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []

    def main():
        before = open_fds()
        # Fill the listener's backlog so that the next connect must wait:
        # with backlog 0 one connection is queued, and the SYNs after it are
        # dropped (over loopback the handshake is over when connect returns).
        for _ in range(2):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            fillers.append(sock)
        task = yield spawn(open_connection("127.0.0.1", port))
        yield sleep(0)                              # it runs (FIFO), and must wait
        assert len(fillers) + 1 == open_fds() - before
        assert task.state == "parked"
        yield cancel(task)
        assert len(fillers) == open_fds() - before
        return task.cancelled

    with listener:
        assert run(main()) is True
    for sock in fillers:
        sock.close()


def test_a_server_left_by_an_expired_timeout_ends_every_connection(run):
    """``tcp_server`` under a timeout that expires: every connection task is
    cancelled and waited for, and every client sees its connection end --
    however many there are.  (The expired timeout came again at the
    server's first join, and, past its budget of traps, at one of its
    cancels: the connections after it ran on.)"""
    from trampoline import VirtualClock, ignore_after
    from trampoline.kernel import BUDGET, running_kernel

    count = BUDGET + 20
    started = []
    all_in = Event()

    def handler(stream, address):
        started.append(address)
        if len(started) == count:
            all_in.set()
        yield stream.read()             # until cancelled

    def main():
        port = Future()
        server = yield spawn(ignore_after(60, streams.tcp_server("127.0.0.1", 0, handler,
                                                                 ready=port)))
        address = yield port
        clients = [socket.create_connection(address) for _ in range(count)]
        try:
            yield all_in.wait()
            yield join(server)          # the virtual clock reaches the deadline
            left = [task for task in running_kernel().tasks()
                    if task.name.startswith("handler")]
            ended = []
            for client in clients:
                client.settimeout(5)
                ended.append(client.recv(1) == b"")
            return len(left), ended.count(True)
        finally:
            for client in clients:
                client.close()

    assert run(main(), clock=VirtualClock()) == (0, count)
