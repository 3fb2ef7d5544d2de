"""Stream behaviour that mutation testing found no test pinning.

Each test here was written against a mutant of ``trampoline/streams.py``
that every other test let pass: a change a user would see, which no test
noticed.  Real sockets on 127.0.0.1 (and TLS through ``tcp_server`` and
``open_connection``); tasks synchronise through data, joins and the
kernel's scheduling, never through sleeps.
"""

import errno
import socket
import struct

from net_helpers import (client_context, drained, server_context, start_server, tcp_pair,
                         watchdog)  # noqa: F401 (watchdog: autouse fixture)
from trampoline import (Event, Future, ResourceBusy, TaskError, cancel, ignore_after, join,
                        read_wait, spawn)
from trampoline.streams import (SMALL_WRITE, IncompleteReadError, LimitOverrunError, Stream,
                                open_connection, open_unix_connection)

import test_fast_paths


def pair():
    """``(stream, peer)``: a Stream over one end of a TCP connection on
    127.0.0.1, and the plain socket at the other end."""
    ours, theirs = tcp_pair()
    return Stream(ours), theirs


def tls_pair():
    """Subroutine: ``(server's stream, client's stream, server task, done)``
    over TLS on 127.0.0.1; the handler holds its stream until ``done`` is
    set."""
    served = Future()
    done = Event()

    def handler(stream, address):
        served.set_result(stream)
        yield done.wait()

    task, port = yield start_server(handler, ssl=server_context())
    client = yield open_connection("127.0.0.1", port, ssl=client_context())
    stream = yield served
    return stream, client, task, done


# ------------------------------------------------------------- at_eof

def test_at_eof_over_tls_takes_nothing_from_under_a_read_that_is_waiting(run):
    """Over TLS at_eof looks with a receive of its own -- but not while
    another task's read of the stream is under way: the bytes it took
    would go to the buffer, under the nose of a reader parked on the
    socket, which would then wait for ever for what it no longer shows.
    at_eof says False; the waiting readline gets the line."""
    def main():
        stream, client, task, done = yield tls_pair()
        with client:
            reader = yield spawn(stream.readline())
            yield test_fast_paths.until_parked([reader])
            yield client.write(b"line\n")   # (into the server's socket at once)
            said = stream.at_eof()          # before the poll wakes the reader
            got = yield ignore_after(2, join(reader), "still waiting")
            if got == "still waiting":
                yield cancel(reader)
            done.set()
        yield cancel(task)
        return said, got

    assert run(main()) == (False, b"line\n")


def test_a_reset_at_eof_took_is_raised_once_then_the_end_as_the_socket_says(run):
    """A reset that at_eof's look took from the socket is the next read's
    error -- once: the read after it returns the end, as the socket itself
    does (Linux reports a reset once), and as the same reads do when
    at_eof never looked."""
    def reads(look):
        stream, peer = pair()
        with stream:
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            peer.close()                    # RST, not FIN
            yield read_wait(stream.sock)
            if look:
                assert stream.at_eof() is False
            seen = []
            for _ in range(2):
                try:
                    seen.append((yield stream.read(100)))
                except ConnectionResetError:
                    seen.append("reset")
            seen.append(stream.at_eof())
            return seen

    def main():
        return (yield reads(False)), (yield reads(True))

    assert run(main()) == (["reset", b"", True], ["reset", b"", True])


# ------------------------------------------------------------- read

def test_read_n_after_write_eof_returns_at_most_n_bytes(run):
    """A half-closed stream's ``read(n)`` (off the direct path: it checks
    the stream first) still asks the socket for at most ``n`` bytes: the
    rest stays for the next read, in order."""
    stream, peer = pair()
    sent = bytes(range(250)) * 20               # 5,000 bytes

    def main():
        with stream, peer:
            yield stream.write_eof()
            peer.sendall(sent)
            peer.shutdown(socket.SHUT_WR)
            yield read_wait(stream.sock)
            first = yield stream.read(2000)
            rest = yield stream.read()
            return first, rest

    first, rest = run(main())
    assert (len(first), first + rest) == (2000, sent)


def test_a_read_after_the_socket_was_closed_behind_the_stream_fails_at_once(run):
    """``stream.sock.close()`` (not ``stream.close()``): the stream's next
    buffered read must not hand the kernel its old ``read`` trap, made for
    the descriptor number the socket had -- which a new socket may have
    taken meanwhile.  It fails at once with ``EBADF``, naming the closed
    stream, and reads nothing of the socket that took the number."""
    ours, peer = tcp_pair()
    stream = Stream(ours)

    def main():
        peer.sendall(b"first\n")
        seen = [(yield stream.readline())]      # (the stream's read trap, now free)
        number = stream.sock.fileno()
        stream.sock.close()                     # behind the stream's back
        a, b = socket.socketpair()              # (the lowest free numbers: ours again)
        with a, b:
            b.sendall(b"secret\n")
            try:
                seen.append((yield stream.readline()))
            except OSError as exc:
                seen.append((exc.errno, "is closed" in str(exc)))
            return seen, number in (a.fileno(), b.fileno())

    with peer:
        seen, reused = run(main())
    assert seen == [b"first\n", (errno.EBADF, True)]
    assert reused        # (else the test proves less: the number went elsewhere)


def test_each_line_runs_an_async_def_func_before_the_next_line(run):
    """``each_line(func)`` with an ``async def`` func: each call's
    coroutine is run (awaited) before the next line is read -- as a
    generator function's is -- so a func that reads the stream itself
    (a body after its header line) gets the bytes after its line."""
    stream, peer = pair()
    seen = []

    async def func(line):
        seen.append(line)
        if line == b"body 3\n":
            seen.append(await stream.readexactly(3))

    def main():
        with stream, peer:
            peer.sendall(b"one\nbody 3\nxyztwo\n")
            peer.shutdown(socket.SHUT_WR)
            return (yield stream.each_line(func))

    assert run(main()) == 3
    assert seen == [b"one\n", b"body 3\n", b"xyz", b"two\n"]


# ------------------------------------------------------------- limits

def test_a_last_line_of_exactly_limit_bytes_at_the_end_is_within_the_limit(run):
    """``limit`` counts the separator: a last line without one, of just
    ``limit`` bytes, is within it -- ``readline`` returns it, then ``b""``,
    and ``readuntil`` (one separator or several) raises
    ``IncompleteReadError`` with it, as asyncio's ``readuntil`` does, not
    ``LimitOverrunError``.  One byte more is too long."""
    def ends(sent, read):
        stream, peer = pair()
        with stream, peer:
            peer.sendall(sent)
            peer.shutdown(socket.SHUT_WR)
            try:
                got = [(yield read(stream))]
                got.append((yield stream.read()))
            except IncompleteReadError as exc:
                got = ["incomplete", exc.partial]
            except LimitOverrunError as exc:
                got = ["overrun", exc.buffered, exc.consumed]
            return got

    def main():
        return [(yield ends(b"12345678", lambda s: s.readline(limit=8))),
                (yield ends(b"12345678", lambda s: s.readuntil(b"\r\n", limit=8))),
                (yield ends(b"12345678", lambda s: s.readuntil((b"\r\n", b";"), limit=8))),
                (yield ends(b"123456789", lambda s: s.readline(limit=8))),
                (yield ends(b"123456789", lambda s: s.readuntil((b"\r\n", b";"), limit=8)))]

    assert run(main()) == [[b"12345678", b""], ["incomplete", b"12345678"],
                           ["incomplete", b"12345678"], ["overrun", 9, 9], ["overrun", 9, 8]]


def test_just_limit_bytes_without_a_separator_wait_for_what_decides(run):
    """With ``limit`` bytes buffered and no separator the line is not yet
    too long -- the end may come next: the read waits.  The next bytes
    decide: a separator (or any other byte) makes it one byte too long,
    and the overrun leaves every byte in the buffer."""
    stream, peer = pair()

    def main():
        with stream, peer:
            peer.sendall(b"12345678")
            reader = yield spawn(stream.readline(limit=8))
            yield drained(stream.sock)          # the reader has the 8 bytes
            yield test_fast_paths.until(lambda: reader.done or reader.state == "parked")
            peer.sendall(b"\nrest\n")
            try:
                yield join(reader)
            except TaskError as exc:
                error = exc.__cause__
            return type(error).__name__, error.buffered, (yield stream.readexactly(9))

    assert run(main()) == ("LimitOverrunError", 14, b"12345678\n")


def test_separators_that_end_together_count_the_shortest_whatever_their_order(run):
    """``readuntil`` with a tuple: of two separators that end at the same
    byte (``b"\\r\\n"`` and ``b"\\n"``), the shortest is the one found,
    in either order in the tuple (asyncio sorts them by length) -- which
    a line too long shows: ``consumed`` is where that one begins."""
    def consumed(separators):
        stream, peer = pair()
        with stream, peer:
            peer.sendall(b"abcd\r\n")
            try:
                yield stream.readuntil(separators, limit=4)
            except LimitOverrunError as exc:
                return exc.consumed, (yield stream.readexactly(exc.consumed))

    def main():
        return [(yield consumed((b"\n", b"\r\n"))), (yield consumed((b"\r\n", b"\n")))]

    assert run(main()) == [(5, b"abcd\r"), (5, b"abcd\r")]


def test_a_longer_separator_of_several_split_across_two_receives_is_found(run):
    """``readuntil((b"\\r\\n", b";"))``: a ``b"\\r\\n"`` whose ``b"\\r"``
    came at the end of one receive and ``b"\\n"`` at the start of the
    next is found -- the scan of the next receive goes back as far as
    the *longest* separator needs -- not passed over for a ``b";"``
    further on."""
    stream, peer = pair()

    def main():
        with stream, peer:
            peer.sendall(b"abc\r")
            reader = yield spawn(stream.readuntil((b"\r\n", b";")))
            yield drained(stream.sock)          # the reader has b"abc\r"
            yield test_fast_paths.until_parked([reader])
            peer.sendall(b"\nxyz;")
            peer.shutdown(socket.SHUT_WR)
            return (yield join(reader)), (yield stream.read())

    assert run(main()) == (b"abc\r\n", b"xyz;")


def test_a_line_of_exactly_limit_bytes_with_one_of_several_separators_is_returned(run):
    """``limit`` counts the separator, for a tuple of them as for one: a
    line that ends just at ``limit`` bytes is returned, not refused."""
    stream, peer = pair()

    def main():
        with stream, peer:
            peer.sendall(b"abc\r\nde;")
            return [(yield stream.readuntil((b"\r\n", b";"), limit=5)),
                    (yield stream.readuntil((b"\r\n", b";"), limit=3))]

    assert run(main()) == [b"abc\r\n", b"de;"]


# ------------------------------------------------------------- write

def test_a_second_writer_while_a_small_write_is_parked_midway_is_refused(run):
    """A plain stream hands the kernel the same ``write`` trap again for
    small writes -- but not while a write holds it, parked with part of
    its bytes sent: a second task's ``write`` then gets a trap of its own,
    which the kernel refuses (``ResourceBusy``), and the first write's
    bytes all arrive.  Handed the parked trap, the second write would put
    its bytes in the place of the rest of the first's."""
    a, peer = socket.socketpair()
    test_fast_paths.small_buffers(a, peer)
    stream = Stream(a)
    chunk = test_fast_paths.pattern(SMALL_WRITE, b"A")  # (two pieces in a small buffer)

    def writer():
        for _ in range(20):             # a write parks midway
            yield stream.write(chunk)

    def intruder():
        yield stream.write(b"B" * 10)

    def main():
        task = yield spawn(writer())
        yield test_fast_paths.until_parked([task])
        refused = yield test_fast_paths.outcome_of((yield spawn(intruder())))
        reader = yield spawn(test_fast_paths.drain_with_read(peer))
        yield join(task)
        a.shutdown(socket.SHUT_WR)
        return refused, (yield join(reader))

    with a, peer:
        (how, error), received = run(main())
    assert how == "raised" and isinstance(error, ResourceBusy)
    assert received == chunk * 20


# ------------------------------------------------------------- clients

def test_a_unix_tls_connection_without_server_hostname_is_refused_before_connecting(run):
    """``open_unix_connection(path, ssl=context)`` with a context that
    checks host names and no ``server_hostname`` (a path is no host name):
    ``ValueError`` saying to give one, before any connect -- not the
    connect's error, nor ssl's own once connected."""
    def main():
        try:
            yield open_unix_connection("/nonexistent/h25.sock", ssl=client_context())
        except Exception as exc:
            return type(exc).__name__, "server_hostname=" in str(exc)

    assert run(main()) == ("ValueError", True)
