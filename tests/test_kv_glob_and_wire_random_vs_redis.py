"""Glob patterns and hostile bytes on the wire, against a real
redis-server (7.0.15), reply for reply: seeded random cases, and what
they found, pinned one case at a time.

The servers are tests/test_kv_vs_redis.py's (``redis``, ``ours``), both
live: redis-server is in CI (.ci/run), and these tests skip without it.

Glob patterns (kv_glob.py): random keys over a small alphabet full of
the pattern's own bytes (``*?[]^-\\``, a NUL, high bytes, a space), and
random patterns of ``*``, ``?``, sets (``[abc]``, ``[^a]``, ``[a-z]``,
reversed ``[z-a]``, ``[-a]``, ``[a-]``, ``[]``, ``[^]``, unterminated
``[ab``), escapes anywhere (last, inside a set), NULs, high bytes, and a
thousand runs of stars or so with keys long enough to reach Redis's
nesting limit -- each pattern through KEYS, SCAN ... MATCH, PUBSUB
CHANNELS, and PSUBSCRIBE (PUBLISH's count of receivers, each key a
channel; PUBSUB NUMPAT).  Explored: 11,500 seeds of 12 or 13 patterns
(keys up to 30 bytes and patterns up to 40 tokens in 2,000 of them):
none differs.

Hostile requests (resp.py): valid pipelines, multibulk and inline, then
one to three mutations -- a length replaced by -1, 0, "+1", "01", past
proto-max-bulk-len, past 2**31 or 2**63, a byte flipped, deleted or
inserted (``*-1``, ``$-1``, quotes, backslashes), a bulk length bigger
than the data before the close, headers and inline lines at and past
64 KiB without a line end -- each sent on a fresh connection to both,
half-closed: the same bytes back, up to the same close, and ours still
answers another client.  Left out: the differences resp.RequestParser's
docstring documents (a CR not followed by LF, a bulk string not followed
by CRLF, a NUL in a line -- Redis's C string search stops at it and
waits --, an inline line over 64 KiB that has its line end); a header
line over 64 KiB that has its CRLF (no difference of rule: each server
refuses a line with no end past 64 KiB, "too big", and reads on
otherwise, "invalid bulk length" -- which one depends on where its
reads end); and two long lines' replies in one case (Redis drops what
it has not sent yet at the half-close).  Explored: 6,000 cases, and
3,000 more with NULs and lone CRs in: none differs but by those rules.
"""

import random
import re
import socket

import pytest

from net_helpers import read_to_end, watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import ours, redis  # noqa: F401
from trampoline.protocols.resp import (ProtocolError, ReplyParser, RequestParser,
                                       encode_command)

WATCHDOG_SECONDS = 30.0


def _connect(address):
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(address)
    return sock


class _Client:
    def __init__(self, address):
        self.sock, self.parser, self.replies = _connect(address), ReplyParser(), []

    def send(self, commands):
        self.sock.sendall(b"".join(encode_command(*command) for command in commands))

    def read(self, count):
        while len(self.replies) < count:
            data = self.sock.recv(1 << 20)
            assert data, "closed with %d of %d replies" % (len(self.replies), count)
            self.replies += self.parser.feed(data)
        got, self.replies = self.replies[:count], self.replies[count:]
        return got

    def ask(self, commands):
        self.send(commands)
        return self.read(len(commands))


def _addresses(redis, ours):
    return [redis, ("127.0.0.1", ours)]


# ================================================================ glob patterns

ALPHABET = [b"a", b"b", b"c", b"z", b"-", b"^", b"]", b"[", b"\\", b"*", b"?", b"\x00", b"\xff",
            b"\x80", b"A", b" "]
TOKENS = [b"*", b"**", b"?", b"[abc]", b"[^a]", b"[a-z]", b"[z-a]", b"[-a]", b"[a-]", b"[]", b"[^]",
          b"[", b"]", b"\\", b"\\*", b"\\[", b"[\\]]", b"[\\", b"[a\\-z]", b"[^\\^]", b"\x00",
          b"\xff", b"[\x80-a]", b"[a-\xff]", b"[\x00-\x7f]", b"^", b"-", b"[]a]", b"[!a]",
          b"[a-b-c]", b"[^-]"]


def _random_glob_case(rng):
    """Keys (none empty: MSET takes them all) and patterns."""
    keys = sorted({b"".join(rng.choice(ALPHABET) for _ in range(rng.choice([1, 1, 2, 3, 5, 8, 13])))
                   for _ in range(rng.randrange(1, 25))})
    patterns = [b"".join(rng.choice(TOKENS) if rng.random() < 0.6 else rng.choice(ALPHABET)
                         for _ in range(rng.choice([0, 1, 2, 3, 4, 6, 10, 20])))
                for _ in range(12)]
    # At and past Redis's nesting limit: a thousand runs of stars or so,
    # and keys long enough to get that far.
    patterns.append(rng.choice([b"*", b"a*", b"?*", b"[a]*"]) * rng.choice([999, 1000, 1001, 1002])
                    + rng.choice([b"", b"a", b"*a", b"\\", b"b"]))
    keys += [b"a" * rng.choice([999, 1000, 1001, 1002, 1003, 1100]), b"a" * 1001 + b"b"]
    return keys, patterns


def _glob_replies(address, keys, patterns):
    """What a server answers to each pattern: KEYS (sorted), SCAN's one
    call over the whole table (sorted), PUBSUB CHANNELS (sorted), then, with
    the patterns subscribed, PUBLISH to each key, and NUMPAT."""
    client, subscriber, listener = _Client(address), _Client(address), _Client(address)
    try:
        channels = keys[:8]
        subscriber.ask([["PSUBSCRIBE"] + patterns])     # one confirmation a pattern
        subscriber.read(len(patterns) - 1)
        listener.ask([["SUBSCRIBE"] + channels])
        listener.read(len(channels) - 1)
        commands = [["FLUSHALL"], ["MSET"] + [word for key in keys for word in (key, b"v")]]
        for pattern in patterns:
            commands += [["KEYS", pattern], ["SCAN", "0", "MATCH", pattern, "COUNT", "10000"],
                         ["PUBSUB", "CHANNELS", pattern]]
        commands += [["PUBLISH", key, b"m"] for key in keys] + [["PUBSUB", "NUMPAT"]]
        replies = client.ask(commands)
        return [sorted(reply) if isinstance(reply, list) and command[0] != "SCAN"
                else [reply[0], sorted(reply[1])] if command[0] == "SCAN" else reply
                for command, reply in zip(commands, replies)]
    finally:
        for each in client, subscriber, listener:
            each.sock.close()


def test_random_glob_patterns_match_as_redis(redis, ours):
    """60 seeded cases of keys and patterns (the module's docstring says
    which): KEYS, SCAN ... MATCH, PUBSUB CHANNELS, and PUBLISH to
    PSUBSCRIBEd patterns answer as redis-server's, pattern for pattern."""
    for seed in range(60):
        keys, patterns = _random_glob_case(random.Random(seed))
        theirs, mine = (_glob_replies(address, keys, patterns)
                        for address in _addresses(redis, ours))
        assert mine == theirs, "seed %d: keys %r, patterns %r" % (seed, keys, patterns)


# ================================================================ hostile requests

def _command(rng):
    return rng.choice([
        encode_command("PING"), encode_command("ECHO", rng.choice(["x", "", "a b", "\r\n"])),
        encode_command("SET", "k", rng.choice(["v", "1"])), encode_command("GET", "k"),
        encode_command("INCR", "k"), b"PING\r\n", b"ECHO hi\r\n", b'SET k "a b"\r\n', b"GET k\n",
        b"\r\n", b"*0\r\n", b"*-1\r\n"])


NUMBERS = [b"-1", b"0", b"1", b"2", b"3", b"-2", b"+1", b" 1", b"01", b"-0", b"x", b"", b"1x",
           b"536870912", b"536870913", b"1048576", b"1048577", b"2147483647", b"2147483648",
           b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
           b"99999999999999999999", b"4294967296"]


def _mutate(rng, data):
    kind = rng.randrange(13)
    size = len(data)
    at = rng.randrange(size + 1)
    if kind == 0 and size:              # a byte flipped
        at = min(at, size - 1)
        return data[:at] + bytes([rng.randrange(1, 256)]) + data[at + 1:]
    if kind == 1:                       # a header's number replaced
        heads = [i for i in range(size) if data[i:i + 1] in b"*$"]
        if heads:
            start = end = rng.choice(heads) + 1
            while end < size and data[end:end + 1] in b"-0123456789":
                end += 1
            return data[:start] + rng.choice(NUMBERS) + data[end:]
        return data
    if kind == 2:                       # cut short: the close comes mid-command
        return data[:at]
    if kind == 3:                       # a byte gone
        return data[:at] + data[at + 1:]
    if kind == 4:                       # something inserted
        return data[:at] + rng.choice([b"\n", b"\xff", b'"', b"'", b"\\", b"*", b"$", b"$-1\r\n",
                                       b"*-1\r\n", b"*0\r\n", b" "]) + data[at:]
    if kind == 5:                       # inline lines with quotes, balanced or not
        return data + rng.choice([
            b'ECHO "a', b"ECHO 'a", b'ECHO "a"b', b"ECHO 'a'b", b'ECHO "\\x4', b'ECHO "a\\"',
            b"ECHO 'a\\'", b'ECHO "\\', b'ECHO ""', b"ECHO ''x", b'ECHO a"b"', b'ECHO "a\\xzz"',
            b'"ECHO" x', b"'' ''"]) + rng.choice([b"\r\n", b"\n", b""])
    if kind == 6:                       # long inline lines: those past 64 KiB unended
        length = rng.choice([100, 65530, 65531, 65532, 65533, 70000])
        return data + b"ECHO " + b"x" * length + rng.choice([b"\r\n", b"\n", b"", b"\r"])
    if kind == 7:                       # long headers, unended
        return data + rng.choice([b"*", b"*1\r\n$"]) + b"1" * rng.choice([65534, 65535, 65536, 70000])
    if kind == 8:                       # a bulk longer than what comes before the close
        return data + b"*1\r\n$" + rng.choice([b"10", b"100000", b"536870912"]) + b"\r\nabc"
    if kind == 9:                       # past proto-max-bulk-len
        return data + b"*2\r\n$4\r\nECHO\r\n$" + rng.choice([b"536870913", b"536870912",
                                                            b"9999999999"]) + b"\r\n"
    if kind == 10:                      # many arguments announced
        return data + b"*" + rng.choice([b"1048577", b"2147483647", b"2147483648"]) + b"\r\n$4\r\nPING\r\n"
    if kind == 11:                      # a null, an array, a number where a bulk string goes
        return data + rng.choice([b"*2\r\n$4\r\nECHO\r\n$-1\r\n", b"*2\r\n$4\r\nECHO\r\n*-1\r\n",
                                  b"*1\r\n*1\r\n", b"*1\r\n:1\r\n", b"*1\r\n+PING\r\n", b"*1\r\n:1",
                                  b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", b"*2\r\n54"])
    return data + data                  # the pipeline twice


_LONE_CR = re.compile(rb"\r(?!\n)").search


def _documented_difference(data):
    """Whether ``data`` falls under a difference resp.RequestParser's
    docstring documents (the module's docstring lists them)."""
    if b"\x00" in data or _LONE_CR(data) or max(map(len, data.split(b"\n")[:-1]), default=0) > 65536:
        return True
    try:
        RequestParser().feed(data)
    except ProtocolError as error:
        return "not followed by CRLF" in str(error)
    return False


def _random_hostile_request(rng):
    while True:
        data = b"".join(_command(rng) for _ in range(rng.randrange(1, 6)))
        for _ in range(rng.choice([1, 1, 2, 3])):
            data = _mutate(rng, data)
        # (Two long lines answered: Redis drops the replies it has not
        # sent when the half-close comes, and a reply of 64 KiB is half
        # its socket's buffer.)
        if not _documented_difference(data) and sum(
                len(line) > 60000 for line in data.split(b"\n")[:-1]) < 2:
            return data


def _answer(address, data):
    """``data`` sent on a fresh connection, half-closed: all the server
    sends back before it closes."""
    sock = _connect(address)
    try:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:                 # (closed already: a protocol error)
            pass
        try:
            return read_to_end(sock)
        except ConnectionResetError:    # (closed with bytes unread: no more to read)
            return None
    finally:
        sock.close()


def _both_answer(redis, ours, data):
    for address in _addresses(redis, ours):
        client = _Client(address)
        assert client.ask([["FLUSHALL"]]) == ["OK"]
        client.sock.close()
    return [_answer(address, data) for address in _addresses(redis, ours)]


def test_random_hostile_requests_are_answered_as_redis(redis, ours):
    """400 seeded malformed pipelines (the module's docstring says
    which), each on fresh connections: the same replies as redis-server's
    up to the same close -- the same "Protocol error: ..." last, or none --
    and ours still serves the next client."""
    for seed in range(400):
        data = _random_hostile_request(random.Random(seed))
        theirs, mine = _both_answer(redis, ours, data)
        if theirs is not None and mine is not None:
            assert mine == theirs, "seed %d: %r" % (seed, data[:300])
        client = _Client(("127.0.0.1", ours))
        assert client.ask([["PING"]]) == ["PONG"], seed
        client.sock.close()


# ================================================================ what the cases found

WHAT_THEY_FOUND = [
    # A header that is no "$": Redis says so once its line has come (a
    # CR and a byte after it), not at its first byte.
    b"*2\r\n$4\r\nECHO\r\n54",
    b"*1\r\n$4\r\nPING\r\n*1\r\n:1",
    b"*2\r\n$4\r\nECHO\r\n54\r",
    b"*2\r\n$4\r\nECHO\r\n54\r\n",
    # A line of more than 64 KiB with no end yet: refused at 65,537 bytes.
    b"*1\r\n$" + b"1" * 65536,
    b"*" + b"1" * 65536,
    b"PING\r\n" + b"x" * 65537,
    b"*1\r\n$" + b"1" * 65535 + b"\r",
]


@pytest.mark.parametrize("data", WHAT_THEY_FOUND, ids=range(len(WHAT_THEY_FOUND)))
def test_what_hostile_requests_found_is_answered_as_redis(redis, ours, data):
    """Each case the random requests found, minimised: the same bytes as
    redis-server's up to the close.  ``*2 $4 ECHO`` then ``54`` and a
    half-close got "expected '$', got '5'" at once (Redis waits for the
    line to end: nothing); a header or inline line of 65,537 bytes and no
    line end waited for one more byte (Redis: "too big bulk count
    string", "too big mbulk count string", "too big inline request")."""
    theirs, mine = _both_answer(redis, ours, data)
    assert mine == theirs


def test_a_header_with_no_dollar_is_refused_once_its_line_has_come():
    """The parser's side of the first cases above, whatever the reads."""
    parser = RequestParser()
    assert parser.feed(b"*2\r\n$4\r\nECHO\r\n54") == []
    assert parser.feed(b"\r") == []
    with pytest.raises(ProtocolError, match="expected '\\$', got '5'"):
        parser.feed(b"\n")
    with pytest.raises(ProtocolError, match="expected '\\$', got '5'"):
        RequestParser().feed(b"*2\r\n$4\r\nECHO\r\n5\rx")


@pytest.mark.parametrize("line, what", [
    (b"*1\r\n$12345678901", "too big bulk count string"),
    (b"*12345678901", "too big mbulk count string"),
    (b"ECHO 123456", "too big inline request"),
])
def test_a_line_without_its_end_is_refused_once_longer_than_max_inline(line, what):
    """``max_inline`` bytes, then a CR: it waits (for the LF); one byte
    more than ``max_inline`` with no line end: refused, as Redis refuses a
    buffer of more than 64 KiB with no line end in it."""
    start = line.rindex(b"\n") + 1 if b"\n" in line else 0
    waiting = RequestParser(max_inline=10)
    assert waiting.feed(line[:start + 10] + b"\r") == []
    with pytest.raises(ProtocolError, match=what):
        RequestParser(max_inline=10).feed(line[:start + 11])
