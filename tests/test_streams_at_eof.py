"""Stream.at_eof() over real loopback sockets (TCP on 127.0.0.1, and TLS).

asyncio's ``StreamReader.at_eof``: True when the buffer is empty and the
peer's end has been received.  What makes it more than ``self._eof and not
self._buffer`` here: ``read(n)`` with an empty buffer hands out the
kernel's ``read`` trap itself, whose ``b""`` the stream never sees -- yet a
loop ``while not stream.at_eof(): yield stream.read(65536)`` must end.  And
an end that came right behind the last line a ``readline`` took counts, as
in asyncio's own test (test_streams.py, ``test_at_eof``).  Tasks wait for
the socket with ``read_wait`` (the peer's FIN makes it readable), never
with sleeps.
"""

import errno
import socket
import struct
import sys

import pytest

from net_helpers import (client_context, server_context, start_server, tcp_pair,
                         watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import Future, cancel, join, read_wait, spawn, write
from trampoline.hostloop import running_kernel
from trampoline.streams import IncompleteReadError, Stream, open_connection
from trampoline.subprocess import PIPE, Process

import test_fast_paths


def pair():
    """``(stream, peer)``: a Stream over one end of a TCP connection on
    127.0.0.1, and the plain socket at the other end."""
    ours, theirs = tcp_pair()
    return Stream(ours), theirs


def test_at_eof_as_asyncio_tests_it(run):
    """asyncio's test_at_eof over a real connection: False while the peer
    is open, with or without data on the way; True after the readline
    that took the last line, once the peer's end is there -- no read has
    met it yet."""
    stream, peer = pair()

    def main():
        with stream, peer:
            seen = [stream.at_eof()]
            yield write(peer, b"some data\n")
            yield read_wait(stream.sock)
            seen.append(stream.at_eof())            # bytes in the socket: False
            seen.append((yield stream.readline()))
            seen.append(stream.at_eof())            # the peer is open: False
            yield write(peer, b"some data\n")
            peer.shutdown(socket.SHUT_WR)
            seen.append((yield stream.readline()))
            yield read_wait(stream.sock)            # (the FIN is readable)
            seen.append(stream.at_eof())
            seen.append((yield stream.read(100)))
            seen.append(stream.at_eof())
            return seen

    assert run(main()) == [False, False, b"some data\n", False, b"some data\n", True, b"",
                           True]


def test_a_loop_on_at_eof_with_reads_the_kernel_answers_directly_ends(run):
    """``read(65536)`` with an empty buffer is the kernel's trap itself:
    the stream never sees its ``b""``.  The loop still ends, with every
    byte read once and at most one ``b""``."""
    stream, peer = pair()
    sent = bytes(range(256)) * 1000             # 256,000 bytes: several reads

    def sender():
        with peer:
            yield write(peer, sent)

    def main():
        with stream:
            task = yield spawn(sender())
            got = []
            while not stream.at_eof():
                got.append((yield stream.read(65536)))
                assert len(got) < 1000, "at_eof() never became True"
            yield cancel(task)
            return got

    got = run(main())
    assert b"".join(got) == sent
    assert got.count(b"") <= 1 and b"" not in got[:-1]


def test_at_eof_after_a_direct_read_returned_the_end(run):
    """The direct read's ``b""`` went past the stream: at_eof says True
    all the same, and a read after it returns ``b""`` again."""
    stream, peer = pair()

    def main():
        with stream:
            peer.close()
            first = yield stream.read(65536)
            assert type(stream.read(65536)).__name__ == "read"    # (the trap itself)
            return first, stream.at_eof(), (yield stream.read(65536)), stream.at_eof()

    assert run(main()) == (b"", True, b"", True)


READS = {
    "read(100)": lambda stream: stream.read(100),
    "read()": lambda stream: stream.read(),
    "readline": lambda stream: stream.readline(),
    "readexactly": lambda stream: stream.readexactly(10),
    "readuntil": lambda stream: stream.readuntil(b"\r\n"),
    "each_line": lambda stream: stream.each_line(lambda line: None),
}


@pytest.mark.parametrize("method", sorted(READS))
def test_every_read_that_meets_the_end_makes_at_eof_true(run, method):
    """Whichever read meets the end (a partial line, an incomplete
    readexactly...), at_eof is True after it; False before, while the
    bytes are in the buffer."""
    stream, peer = pair()

    def main():
        with stream:
            yield write(peer, b"abc")
            peer.close()
            first = yield stream.read(1)            # b"a"; "bc" stay in the buffer
            before = stream.at_eof()
            try:
                while (yield READS[method](stream)):
                    pass
            except IncompleteReadError:
                pass
            return first, before, stream.at_eof()

    assert run(main()) == (b"a", False, True)


def test_at_eof_leaves_a_reset_to_the_next_read(run):
    """Looking at a reset socket takes its error (Linux reports it once,
    then reads the end): at_eof says False, and the next read -- even
    one the kernel would answer directly -- raises the reset, naming the
    peer, instead of returning a clean end."""
    stream, peer = pair()
    port = peer.getsockname()[1]

    def main():
        with stream:
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            peer.close()                            # RST, not FIN
            yield read_wait(stream.sock)
            seen = [stream.at_eof(), stream.at_eof()]
            with pytest.raises(ConnectionResetError) as info:
                yield stream.read(65536)
            return seen, info.value

    seen, error = run(main())
    assert seen == [False, False]
    assert error.errno == errno.ECONNRESET
    assert str(error) == ("[Errno 104] Connection reset by peer (read() from 127.0.0.1:%d)"
                          % port)


def test_at_eof_does_not_skip_bytes_a_cancelled_read_left_with_the_kernel(run):
    """A read cancelled after the poll found its data (but before it ran)
    leaves the bytes with the kernel, and the socket empty: with the peer
    closed, the socket shows only the end.  at_eof must say False until
    those bytes are read."""
    (a, peer_a), (b, peer_b) = tcp_pair(), tcp_pair()
    sent = [b"for a", b"for b"]

    def main():
        results, tasks, states = yield test_fast_paths.race_two_readers(
            [a, b], [peer_a, peer_b], sent, 65536)
        loser = [how for how, _ in results].index("raised")
        sock = (a, b)[loser]
        stream = Stream(sock)
        with stream:
            before = stream.at_eof()
            got = yield stream.read(65536)
            return states, before, got == sent[loser], stream.at_eof()

    try:
        assert run(main()) == (["ready"], False, True, True)
    finally:
        for sock in (a, b, peer_a, peer_b):
            sock.close()


def test_at_eof_over_tls(run):
    """Over TLS the stream looks with one receive that does not wait, into
    its buffer: False while the server is open (and its bytes go on to the
    next read, in order), True once its close_notify came behind the last
    line."""
    go = Future()

    def server(stream, address):
        yield stream.write(b"first\n")
        yield go
        yield stream.write(b"second\nthird\n")
        yield stream.aclose(timeout=5)

    def main():
        task, port = yield start_server(server, ssl=server_context())
        stream = yield open_connection("127.0.0.1", port, ssl=client_context())
        with stream:
            seen = [(yield stream.readline()), stream.at_eof()]
            go.set_result(None)
            yield read_wait(stream.sock)
            seen.append(stream.at_eof())            # takes what came: False
            seen.append((yield stream.readline()))
            seen.append((yield stream.readline()))
            while not stream.at_eof():              # until the close_notify is in
                yield read_wait(stream.sock)
            seen.append((yield stream.read(100)))
        yield cancel(task)
        return seen

    assert run(main()) == [b"first\n", False, False, b"second\n", b"third\n", b""]


def test_at_eof_is_false_on_a_closed_stream():
    """A closed stream is not at the end of its data: a read fails (EBADF)."""
    stream, peer = pair()
    peer.close()
    stream.close()
    assert stream.at_eof() is False


def test_at_eof_of_a_child_s_output_pipe(run):
    """A PipeStream is a Stream over a pipe: the same loop ends there, its
    direct reads answered by ``os.read``; at_eof looks at the pipe without
    reading it."""
    def main():
        code = "import sys; sys.stdout.buffer.write(b'x' * 200000)"
        with Process([sys.executable, "-c", code], stdout=PIPE) as process:
            got = []
            while not process.stdout.at_eof():
                got.append((yield process.stdout.read(65536)))
                assert len(got) < 1000, "at_eof() never became True"
            yield process.wait()
        return got

    got = run(main())
    assert b"".join(got) == b"x" * 200000
    assert got.count(b"") <= 1 and b"" not in got[:-1]


def test_at_eof_of_a_closed_pipe_and_what_the_kernel_holds_of_closed_or_unknown_files(run):
    """A closed PipeStream is not at its end either (its pipe's fileno()
    raises); ``Kernel.holds_input`` is False for a closed file, a number
    it does not know, and a socket it holds nothing of."""
    def main():
        with Process([sys.executable, "-c", "print('x')"], stdout=PIPE) as process:
            pipe = process.stdout
            yield process.wait()
            pipe.close()
            kernel = running_kernel()
            ours, theirs = tcp_pair()
            with ours, theirs:
                return (pipe.at_eof(), kernel.holds_input(pipe.pipe), kernel.holds_input(10**6),
                        kernel.holds_input(ours))

    assert run(main()) == (False, False, False, False)



def race_at_eof(run, method):
    """Two streams, a reader parked in each (``method``); one step sends a
    line to both peers and closes them, so one poll wakes both readers with
    their bytes, the end right behind them in the socket.  The first reader
    to run asks the other's stream ``at_eof()`` while that reader has been
    woken but has not run.  Returns ``(the other's state then, what at_eof
    said, what each read, at_eof of each after)``."""
    pairs = [tcp_pair(), tcp_pair()]
    streams = [Stream(ours) for ours, _ in pairs]
    tasks, seen = [], []

    def reader(index):
        data = yield method(streams[index])
        if not seen:                    # the first to run: the other has not
            seen.append((tasks[1 - index].state, streams[1 - index].at_eof()))
        return data

    def main():
        for index in (0, 1):
            tasks.append((yield spawn(reader(index))))
        yield test_fast_paths.until_parked(tasks)
        for _, peer in pairs:
            peer.sendall(b"line\n")     # both in this one step: one poll sees both
            peer.shutdown(socket.SHUT_WR)
        got = []
        for task in tasks:
            got.append((yield join(task)))
        return got, [stream.at_eof() for stream in streams]

    try:
        got, after = run(main())
    finally:
        for stream, (_, peer) in zip(streams, pairs):
            stream.close()
            peer.close()
    (state, said), = seen
    return state, said, got, after


@pytest.mark.parametrize("method", [
    lambda stream: stream.readline(),
    lambda stream: stream.read(100),            # (below DIRECT_READ: through the buffer)
    lambda stream: stream.readexactly(5),
    lambda stream: stream.readuntil((b"\n", b";")),
    lambda stream: stream.read(65536),          # (the kernel's read trap itself)
], ids=["readline", "read(100)", "readexactly", "readuntil-any", "direct-read"])
def test_at_eof_is_false_while_another_task_s_read_holds_bytes_it_has_not_returned(
        run, method):
    """The peer's line and its end arrive while a read of the stream is
    under way: the kernel wakes that reader with the line, so the socket
    shows only the end -- but the read has not returned the line yet.
    at_eof must say False (a read would still return data), as it does
    over TLS; True once that read has run and the end is all that is
    left."""
    assert race_at_eof(run, method) == ("ready", False, [b"line\n"] * 2, [True, True])
