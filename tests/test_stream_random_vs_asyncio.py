"""Stream's reads against asyncio's StreamReader, on seeded random cases.

asyncio is the oracle: its ``StreamReader`` is fed the bytes directly
(``feed_data``, ``feed_eof``), with no network on its side.  The Stream
gets the same bytes over a real socket (a Unix socket pair, or TCP on
127.0.0.1), from a peer that sends them in the same chunks -- each one only
once the reader waits for it (its task parked, nothing in the socket), as
asyncio's feeder feeds the next chunk only once a read waits
(``reader._waiter``): both see the same chunk boundaries, with no sleeps.
Each case is a random sequence of reads -- ``read(n)``, ``readexactly``,
``readuntil``, ``readline``, ``each_line`` (one whose ``func`` reads a
body too), ``at_eof``, and a read cancelled while it waits -- over random
bytes of a small alphabet full of separators, in random chunks, with the
end or not; each read's result or error (``partial``, ``expected``,
``consumed``, and how many bytes stay buffered) must be asyncio's, and so
must every read after an error.

Where trampoline's documented rules differ from asyncio's, the oracle
follows trampoline's (streams.py, docs/reference.rst):

* ``limit`` is per call, and counts the separator: asyncio's limit (the
  reader's) counts only the bytes before it -- so the oracle runs
  asyncio's ``readuntil`` with a limit of ``limit - len(separator)``.  A
  result of exactly ``limit`` bytes without a separator is not too long:
  the read waits to see whether the stream ends there (asyncio's, with
  that limit, raises at once).  Limits below the separator's length (no
  call can succeed) are left out: there trampoline raises
  ``LimitOverrunError`` as soon as more than ``limit`` bytes are buffered,
  even before a whole separator's worth came, where asyncio waits (and at
  the end raises ``IncompleteReadError``).
* ``readline`` raises ``LimitOverrunError`` and leaves the line in the
  buffer; asyncio's drops it (and raises ``ValueError``).  The oracle's
  readline is asyncio's ``readuntil(b"\\n")`` that returns the
  ``partial`` at the end, as asyncio's readline does.
* A cancelled ``read()`` to the end loses nothing; asyncio's drops the
  blocks it took: not among the cancelled reads here.
* A tuple of separators (asyncio's since 3.13: compared there only) has
  a limit only if they are all of one length: asyncio's one limit, which
  leaves the separator out, cannot say trampoline's, which counts
  whichever one matched.

The oracle reaches into the StreamReader for that (``_limit``,
``_waiter``, ``_buffer``, ``_eof``, ``_wait_for_data``): the same in
Python 3.8 to 3.13, and in PyPy's.  The exploration behind this file ran
tens of thousands of cases on CPython 3.11, 3.8, 3.13 (with tuples of
separators) and PyPy, and found no difference beyond those rules.
"""

import asyncio
import random
import select
import socket
import sys

from net_helpers import tcp_pair, watchdog  # noqa: F401 (watchdog: autouse fixture)
from task_helpers import until
from trampoline import cancel, join, spawn
from trampoline.streams import IncompleteReadError, LimitOverrunError, Stream

#: A limit no case reaches (asyncio's reader keeps it between calls).
NO_LIMIT = 1 << 16
#: The bytes of every case: separators, and what surrounds them.
ALPHABET = b"ab\r\n"
#: Seeds per selector backend (the ``run`` fixture runs three).
CASES = 150


# ================================================================ the cases

def random_case(rng, nested=False):
    """``(chunks, end, ops)``: the bytes in the chunks the peer sends,
    ``end`` -- ``"none"``, ``"after"`` (the end once the reader waits
    after the last chunk) or ``"with_last"`` (right behind it) -- and the
    reads.  ``nested``: one read that may wait, to cancel."""
    big = rng.random() < 0.2            # kilobytes, in chunks around DIRECT_READ
    data = random_bytes(rng, rng.randint(0, 4000 if big else 40))
    chunks = []
    done = 0
    while done < len(data):
        if big:
            size = rng.choice([1, 5, rng.randint(800, 3000), rng.randint(800, 3000)])
        else:
            size = rng.choice([1, 1, 2, 3, rng.randint(1, 12)])
        chunks.append(data[done:done + size])
        done += size
    ops = []
    kinds = ["read", "readexactly", "readuntil", "readline", "at_eof", "each_line",
             "each_line_body", "cancelled"]
    if sys.version_info >= (3, 13):     # asyncio's readuntil takes a tuple
        kinds.append("readuntil_any")
    count = 1 if nested else rng.randint(1, 12)
    while len(ops) < count:
        kind = rng.choice(kinds)
        if kind == "read":
            n = (rng.choice([rng.randint(1, 4000), rng.randint(1024, 2000)]) if big
                 else rng.choice([-1, 0, 1, 2, 3, 5, 10, 1024, 2000]))
            if not (nested and n < 0):
                ops.append((kind, n))
        elif kind == "readexactly":
            n = rng.randint(1, 4000) if big else rng.choice([-1, 0, 1, 2, 3, 5, 13])
            ops.append((kind, n))
        elif kind == "readuntil":
            separator = random_bytes(rng, rng.randint(1, 3))
            limit = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, NO_LIMIT])
            ops.append((kind, separator, max(limit, len(separator))))
        elif kind == "readline":
            ops.append((kind, rng.choice([1, 2, 3, 4, 5, 6, 8, 12, NO_LIMIT])))
        elif kind == "readuntil_any":
            if rng.random() < 0.5:      # separators of one length: with a limit
                size = rng.randint(1, 3)
                separators = tuple(random_bytes(rng, size) for _ in range(rng.randint(1, 3)))
                limit = max(size, rng.choice([0, 2, 3, 4, 6, 8, 12, NO_LIMIT]))
            else:                       # of several lengths: without
                separators = tuple(random_bytes(rng, rng.randint(1, 3))
                                   for _ in range(rng.randint(1, 3)))
                limit = NO_LIMIT
            ops.append((kind, separators, limit))
        elif nested:
            continue
        elif kind == "each_line":
            ops.append((kind, rng.choice([1, 2, 3, 5, 8, NO_LIMIT])))
        elif kind == "each_line_body":          # a line that begins with "a" has a body
            ops.append((kind, rng.choice([0, 1, 2, 3])))
        elif kind == "cancelled":
            ops.append((kind, random_case(rng, nested=True)[2][0]))
        else:
            ops.append((kind,))
    return chunks, rng.choice(["none", "after", "with_last"]), ops


def random_bytes(rng, size):
    """``size`` bytes of ``ALPHABET``."""
    return bytes(rng.choice(ALPHABET) for _ in range(size))


# ================================================================ asyncio

def failure(exc, buffered):
    """A read's error, as the two sides are compared."""
    if isinstance(exc, (IncompleteReadError, asyncio.IncompleteReadError)):
        return ("incomplete", exc.partial, exc.expected)
    if isinstance(exc, (LimitOverrunError, asyncio.LimitOverrunError)):
        return ("overrun", exc.consumed, buffered)
    return (type(exc).__name__,)


class Oracle:
    """asyncio's StreamReader, fed the chunks while a read waits."""

    def __init__(self, chunks, end):
        self.reader = None              # (made in its loop: see run)
        self.chunks, self.end = list(chunks), end
        self.holding = False            # a read to cancel waits: feed nothing

    def run(self, ops):
        async def main():
            self.reader = asyncio.StreamReader(limit=NO_LIMIT)
            reading = asyncio.ensure_future(self.all(ops, results))
            ended = False
            while not reading.done():
                await asyncio.sleep(0)
                if reading.done() or self.reader._waiter is None or self.holding:
                    continue
                if self.chunks:
                    self.reader.feed_data(self.chunks.pop(0))
                    ended = not self.chunks and self.end == "with_last"
                elif self.end != "none" and not ended:
                    ended = True
                else:                   # it waits for ever
                    reading.cancel()
                    results.append(("waits",))
                if ended:
                    self.reader.feed_eof()
            try:
                await reading
            except asyncio.CancelledError:
                pass

        results = []                    # type: list
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
        return results

    async def all(self, ops, results):
        for op in ops:
            results.append((await self.op(op, results)))

    async def op(self, op, results):
        reader, kind = self.reader, op[0]
        try:
            if kind == "read":
                return await reader.read(op[1])
            if kind == "readexactly":
                return await reader.readexactly(op[1])
            if kind in ("readuntil", "readuntil_any"):
                return await self.readuntil(op[1], op[2])
            if kind == "readline":
                return await self.readline(op[1])
            if kind == "at_eof":
                return reader.at_eof()
            if kind in ("each_line", "each_line_body"):
                lines = []
                results.append(lines)   # (what a read that waits for ever saw)
                limit = op[1] if kind == "each_line" else NO_LIMIT
                count = 0
                while True:
                    line = await self.readline(limit)
                    if not line:
                        return results.pop(), count
                    count += 1
                    lines.append(line)
                    if kind == "each_line_body" and line.startswith(b"a"):
                        lines.append((await self.op(("readexactly", op[1]), results)))
            if kind == "cancelled":
                self.holding = True
                try:
                    waiting = asyncio.ensure_future(self.op(op[1], results))
                    while not waiting.done() and reader._waiter is None:
                        await asyncio.sleep(0)
                    if waiting.done():
                        return ("done", waiting.result())
                    waiting.cancel()
                    await asyncio.gather(waiting, return_exceptions=True)
                    return "cancelled"
                finally:
                    self.holding = False
        except (ValueError, EOFError, asyncio.LimitOverrunError) as exc:
            return failure(exc, len(reader._buffer))
        raise AssertionError(op)        # pragma: no cover

    async def readline(self, limit):
        """trampoline's readline: its readuntil that returns the partial
        line at the end (as asyncio's readline does) and keeps an overlong
        line in the buffer (which asyncio's drops)."""
        try:
            return await self.readuntil(b"\n", limit)
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    async def readuntil(self, separator, limit):
        """asyncio's readuntil, with trampoline's limit (see the module)."""
        reader = self.reader
        separators = separator if type(separator) is tuple else (separator,)
        reader._limit = limit - len(separators[0])     # (all of one length, or no limit)
        try:
            return await reader.readuntil(separator)
        except asyncio.LimitOverrunError:
            if len(reader._buffer) != limit or any(each in reader._buffer for each in separators):
                raise
            # Just ``limit`` bytes, no separator: it waits for what decides.
            if not reader._eof:
                await reader._wait_for_data("readuntil")
            if len(reader._buffer) == limit:   # the end: it was the last of them
                raise asyncio.IncompleteReadError(await reader.read(limit), None)
            return await reader.readuntil(separator)    # too long, now
        finally:
            reader._limit = NO_LIMIT


# ================================================================ the Stream

def nothing_to_read(sock):
    """Neither bytes nor the end wait in ``sock`` (a peek, taking nothing)."""
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    return False


def arrived(sock):
    """Wait (at most 5 s: this task holds the kernel, so nobody reads) until
    what the peer just sent has arrived in ``sock`` -- at once over a Unix
    socket pair; over TCP the loopback device may hand it over a little
    later, and the next chunk must not overtake it.  (Over TCP, no case
    sends the end right behind its last chunk: ``at_eof`` could look
    before it arrived.)"""
    assert select.select([sock], [], [], 5.0)[0], "the bytes sent never arrived"


def stream_op(stream, op, results, holding):
    """Subroutine: one read of ``stream``, as ``Oracle.op`` gives it."""
    kind = op[0]
    try:
        if kind == "read":
            return (yield stream.read(op[1]))
        if kind == "readexactly":
            return (yield stream.readexactly(op[1]))
        if kind in ("readuntil", "readuntil_any"):
            return (yield stream.readuntil(*op[1:]))
        if kind == "readline":
            return (yield stream.readline(op[1]))
        if kind == "at_eof":
            return stream.at_eof()
        if kind in ("each_line", "each_line_body"):
            lines = []
            results.append(lines)

            def func(line):
                lines.append(line)
                if kind == "each_line_body" and line.startswith(b"a"):
                    def body():
                        lines.append((yield from stream_op(stream, ("readexactly", op[1]),
                                                           results, holding)))
                    return body()
            count = yield stream.each_line(func, op[1] if kind == "each_line" else NO_LIMIT)
            return results.pop(), count
        if kind == "cancelled":
            holding[0] = True
            try:
                waiting = yield spawn(stream_op(stream, op[1], results, holding))
                yield until(lambda: waiting.done or (waiting.state == "parked"
                                                     and nothing_to_read(stream.sock)))
                if waiting.done:
                    return ("done", (yield join(waiting)))
                yield cancel(waiting)
                return "cancelled"
            finally:
                holding[0] = False
    except (ValueError, EOFError) as exc:
        return failure(exc, getattr(exc, "buffered", None))
    raise AssertionError(op)            # pragma: no cover


def stream_reads(run, chunks, end, ops, tcp):
    """The results of ``ops`` on a Stream whose peer sends ``chunks``."""
    ours, theirs = tcp_pair() if tcp else socket.socketpair()
    stream = Stream(ours)
    results = []                        # type: list
    holding = [False]                   # a read to cancel waits: send nothing

    def reading():
        for op in ops:
            results.append((yield from stream_op(stream, op, results, holding)))

    def main():
        task = yield spawn(reading())

        def waits():
            """The reader waits for bytes, and has taken all that came."""
            return not holding[0] and (task.done or (task.state == "parked"
                                                     and nothing_to_read(ours)))
        for chunk in chunks:
            yield until(waits)
            if task.done:
                break
            theirs.sendall(chunk)
            arrived(ours)
        if end == "with_last" and chunks:
            theirs.shutdown(socket.SHUT_WR)
        elif end != "none":
            yield until(waits)
            theirs.shutdown(socket.SHUT_WR)
            arrived(ours)
        yield until(waits)
        if not task.done:               # it waits for ever
            yield cancel(task)
            results.append(("waits",))

    with stream, theirs:
        run(main())
    return results


# ================================================================ the test

def test_random_reads_over_a_socket_return_what_asyncio_s_stream_reader_returns(run):
    """Seeded random cases (see the module): every read's result or error,
    and what the next read finds after an error, are what asyncio's
    StreamReader gives for the same bytes in the same chunks -- but for
    trampoline's documented rules (the limit counts the separator, is
    per call, and readline keeps an overlong line).  A failure names the
    seed and the first read that differs."""
    for seed in range(CASES):
        chunks, end, ops = random_case(random.Random(seed))
        expected = Oracle(chunks, end).run(ops)
        got = stream_reads(run, chunks, end, ops, tcp=seed % 4 == 0 and end != "with_last")
        if got != expected:
            first = next(i for i, (x, y) in enumerate(zip(got + [None], expected + [None]))
                         if x != y)
            raise AssertionError(
                "seed %d: %r, end %r\nreads %r\nread %d %r: asyncio %r, trampoline %r"
                % (seed, chunks, end, ops, first, (ops + [None])[first],
                   (expected + [None])[first], (got + [None])[first]))
