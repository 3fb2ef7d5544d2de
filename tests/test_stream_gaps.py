"""Stream behaviour that mutation testing found no test pinning.

Each test here was written against a mutant of ``trampoline/streams.py``
that every other test let pass: a change a user would see, which no test
noticed.  Real sockets on 127.0.0.1 (and TLS through ``tcp_server`` and
``open_connection``); tasks synchronise through data, joins and the
kernel's scheduling, never through sleeps.
"""

import socket

from net_helpers import drained, tcp_pair, watchdog  # noqa: F401 (watchdog: autouse fixture)
from trampoline import TaskError, join, spawn
from trampoline.streams import IncompleteReadError, LimitOverrunError, Stream

import test_fast_paths


def pair():
    """``(stream, peer)``: a Stream over one end of a TCP connection on
    127.0.0.1, and the plain socket at the other end."""
    ours, theirs = tcp_pair()
    return Stream(ours), theirs


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
