"""trampoline/protocols/resp.py: the sans-I/O RESP parser, driven without a network.

Messages and splitting rules were taken from a real Redis 7 server
(test_kv_server.py compares the two byte for byte when redis-server is here).
"""

import os
import random
import time

import pytest

from trampoline.protocols.resp import (MAX_BULK, MAX_INLINE, MAX_MULTIBULK, ProtocolError,
                                       ReplyError, ReplyParser, RequestParser, encode_array,
                                       encode_bulk, encode_command, encode_error,
                                       encode_integer, encode_simple, split_inline)


def parse(data):
    return RequestParser().feed(data)


def parse_in_pieces(data, cuts):
    """Feed ``data`` cut at ``cuts``; return (commands, error message or None)."""
    return feed_in_pieces(RequestParser(), data, cuts)


def protocol_error(data):
    with pytest.raises(ProtocolError) as info:
        parse(data)
    return info.value


# ================================================================ good requests

def test_multibulk_inline_and_a_pipelined_batch():
    """Both request forms; a batch comes back whole and in order."""
    data = (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
            b"GET k\r\n"
            b"*1\r\n$4\r\nPING\r\n"
            b"  ECHO   x\n")                      # a bare \n ends an inline line too
    assert parse(data) == [[b"SET", b"k", b"hello"], [b"GET", b"k"], [b"PING"], [b"ECHO", b"x"]]


def test_binary_safe_bulk_strings():
    """A bulk string may hold CR, LF, NUL and any byte; empty is fine."""
    value = bytes(range(256)) + b"\r\n\r\n"
    assert parse(encode_command(b"SET", b"", value)) == [[b"SET", b"", value]]


def test_empty_things_are_skipped_as_redis_does():
    """Empty lines, blank lines, "*0" and "*-1" produce no command."""
    assert parse(b"\r\n\n   \r\n*0\r\n*-1\r\n*-7\r\nPING\r\n") == [[b"PING"]]


def test_incomplete_input_waits_and_nothing_is_lost():
    """Every split point of a pipelined stream -- and byte by byte -- gives
    exactly the commands of the whole stream."""
    data = (encode_command("SET", "key", "x" * 20) + b"MGET a b\r\n"
            + encode_command("ECHO", "a\r\nb") + b"PING \"q w\"\r\n" + encode_command("DEL", "z"))
    whole = parse(data)
    assert len(whole) == 5
    for cut in range(len(data) + 1):
        assert parse_in_pieces(data, [cut]) == (whole, None), cut
    assert parse_in_pieces(data, range(1, len(data))) == (whole, None)


@pytest.mark.parametrize("data, commands", [
    (b"*1\r\n$8\r\nab\r\n$2\r\n\r\n", [[b"ab\r\n$2\r\n"]]),        # CRLF inside a string
    (b"*2\r\n$2\r\na\r\r\n$0\r\n\r\n", [[b"a\r", b""]]),
    (b"*1\r\n$4\r\n\r\n\r\n\r\n", [[b"\r\n\r\n"]]),
    (b"*2\r\n$5000\r\n" + b"x" * 5000 + b"\r\n$1\r\ny\r\n", [[b"x" * 5000, b"y"]]),
])
def test_the_fast_path_never_misreads(data, commands):
    """Whole buffers of multibulk commands are read by splitting at CRLF
    (the fast path); strings holding CRLF, or long ones, go the careful way."""
    assert parse(data) == commands
    assert parse_in_pieces(data, range(1, len(data))) == (commands, None)


def test_fast_and_careful_paths_agree():
    """2,000 random pipelined batches: the split-at-CRLF fast path, when it
    accepts a batch, reads exactly what the careful parser reads."""
    rng = random.Random(5)
    accepted = 0
    for _ in range(2000):
        data = b"".join(encode_command(*[bytes(rng.choice(b"ab\r\n$*0123")
                                               for _ in range(rng.randrange(6)))
                                         for _ in range(rng.randrange(1, 4))])
                        for _ in range(rng.randrange(1, 4)))
        fast = RequestParser()._parse_simple(data)
        careful, end = RequestParser()._parse(data)
        assert end == len(data)
        if fast is not None:
            accepted += 1
            assert fast == careful, data
    assert accepted > 200


class CarefulParser(RequestParser):
    """The parser without its fast paths: every byte read by ``_parse``."""

    def _parse_simple(self, buf):
        return None

    def _parse_simple_inline(self, buf):
        return None


class CountingParser(RequestParser):
    """The parser, counting the batches its fast paths read."""

    taken = 0

    def _parse_simple(self, buf):
        commands = super()._parse_simple(buf)
        CountingParser.taken += commands is not None
        return commands

    def _parse_simple_inline(self, buf):
        commands = super()._parse_simple_inline(buf)
        CountingParser.taken += commands is not None
        return commands


def random_pipeline(rng):
    """A pipelined batch as clients send them -- multibulk commands all of
    one arity, or of mixed arities, or inline lines -- sometimes damaged."""
    words = [bytes(rng.choice(b"ab \t\r\n$*\"'0\x0b")
                   for _ in range(rng.choice((0, 1, 1, 3, 6))))
             for _ in range(6)]
    kind = rng.randrange(3)
    if kind == 0:                                   # one arity: the column-wise path
        arity = rng.randrange(1, 4)
        data = b"".join(encode_command(*rng.sample(words, arity))
                        for _ in range(rng.randrange(1, 6)))
    elif kind == 1:
        data = b"".join(encode_command(*rng.sample(words, rng.randrange(1, 4)))
                        for _ in range(rng.randrange(1, 6)))
    else:                                           # inline lines, a multibulk among them
        data = b"".join(b" ".join(rng.sample(words, rng.randrange(4))) + rng.choice(
            (b"\r\n", b"\n", b"\r\r\n")) for _ in range(rng.randrange(1, 6)))
        if rng.random() < 0.2:
            data += encode_command(b"PING")
    for _ in range(rng.choice((0, 0, 1, 2)) if len(data) > 2 else 0):
        at = rng.randrange(len(data))             # damage: a byte changed, lost or added
        damage = rng.randrange(3)
        byte = bytes([rng.choice(b"*$\r\n0x\"")])
        data = data[:at] + (byte if damage < 2 else b"") + data[at + (damage > 0):]
    return data


def feed_in_pieces(parser, data, cuts):
    """Feed ``parser`` ``data`` cut at ``cuts``; return (commands, (error
    message, offset) or None)."""
    commands = []
    bounds = [0] + sorted(cuts) + [len(data)]
    for start, end in zip(bounds, bounds[1:]):
        try:
            commands += parser.feed(data[start:end])
        except ProtocolError as error:
            return commands + error.commands, (str(error), error.offset)
    return commands, None


def test_the_fast_paths_answer_as_the_careful_parser_does():
    """6,000 random pipelines (one arity, mixed, inline; some damaged) fed
    in random pieces: the parser with its fast paths -- split at CRLF,
    check a column of arguments at a time, split inline lines in one go --
    gives the commands, error and offset the careful parser gives."""
    rng = random.Random(11)
    CountingParser.taken = 0
    for case in range(6000):
        data = random_pipeline(rng)
        cuts = rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(3))) \
            if len(data) > 1 else []
        assert (feed_in_pieces(CountingParser(), data, cuts)
                == feed_in_pieces(CarefulParser(), data, cuts)), (case, data, cuts)
    assert CountingParser.taken > 1000              # the fast paths did read most batches


def test_a_big_bulk_arriving_in_small_pieces_costs_linear_time():
    """8 MiB in 4 KiB pieces: the parser does not re-scan or re-copy what
    it holds (quadratic would be gigabytes of copying here)."""
    value = os.urandom(8 << 20)
    data = encode_command(b"SET", b"big", value)
    parser = RequestParser()
    started = time.perf_counter()
    commands = []
    for i in range(0, len(data), 4096):
        commands += parser.feed(data[i:i + 4096])
    assert commands == [[b"SET", b"big", value]]
    assert time.perf_counter() - started < 2.0


def test_a_line_dripped_byte_by_byte_is_not_rescanned():
    """An inline line of 60,000 bytes fed one byte at a time parses, fast."""
    line = b"ECHO " + b"y" * 60000 + b"\r\n"
    parser = RequestParser()
    started = time.perf_counter()
    commands = []
    for i in range(len(line)):
        commands += parser.feed(line[i:i + 1])
    assert commands == [[b"ECHO", b"y" * 60000]]
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("line, args", [
    (b'SET k "hello world"', [b"SET", b"k", b"hello world"]),
    (b'a"foo bar" b', [b"afoo bar", b"b"]),                 # a quote may open mid-word
    (b'"\\x4g\\x41"', [b"x4gA"]),                           # \xHH needs two hex digits
    (b"'it\\'s' \"\\q\"", [b"it's", b"q"]),
    (b'"\\n\\r\\t\\b\\a\\"\\\\"', [b"\n\r\t\b\a\"\\"]),
    (b"'\\n'", [b"\\n"]),                                    # single quotes: only \'
    (b'"a\'b" \'a"b\'', [b"a'b", b'a"b']),
    (b'""', [b""]),
    (b"ECHO \x0bx\x0c", [b"ECHO", b"x\x0c"]),               # \v \f: blanks between words only
    (b"ECHO a\x0bb", [b"ECHO", b"a\x0bb"]),
    (b"ECHO 'a'\x0b", [b"ECHO", b"a"]),
    (b"ECHO a\x00b", [b"ECHO", b"a\x00b"]),                 # NUL: an ordinary byte
    (b" \t ", []),
])
def test_inline_splitting_follows_redis(line, args):
    """Inline commands are split as Redis splits them (sdssplitargs)."""
    assert split_inline(line) == args
    assert parse(line + b"\r\n") == ([args] if args else [])


@pytest.mark.parametrize("line", [b'PING "a', b'"foo"x', b"'a'b", b'ECHO "a\\"', b"'"])
def test_unbalanced_quotes(line):
    assert split_inline(line) is None
    assert str(protocol_error(line + b"\r\n")) == "Protocol error: unbalanced quotes in request"


# ================================================================ bad requests

@pytest.mark.parametrize("data, message, offset", [
    (b"*x\r\n", "invalid multibulk length", 0),
    (b"*1x\r\n", "invalid multibulk length", 0),
    (b"*+1\r\n", "invalid multibulk length", 0),
    (b"*01\r\n", "invalid multibulk length", 0),
    (b"* 1\r\n", "invalid multibulk length", 0),
    (b"*\r\n", "invalid multibulk length", 0),
    (b"*99999999999999999999\r\n", "invalid multibulk length", 0),
    (b"*2147483648\r\n", "invalid multibulk length", 0),      # > INT_MAX, as Redis 7
    (b"*1\r\nx\r\n", "expected '$', got 'x'", 4),
    (b"*2\r\n$4\r\nPING\r\n:1\r\n", "expected '$', got ':'", 14),
    (b"*1\r\n$x\r\n", "invalid bulk length", 4),
    (b"*1\r\n$-1\r\n", "invalid bulk length", 4),
    (b"*1\r\n$-0\r\n", "invalid bulk length", 4),
    (b"*1\r\n$04\r\nPING\r\n", "invalid bulk length", 4),
    (b"*1\r\n$\r\n", "invalid bulk length", 4),
    (b"*1\r\n$536870913\r\n", "invalid bulk length", 4),
    (b"*1\r\n$4\r\nPINGxx\r\n", "bulk string of 4 bytes not followed by CRLF", 12),
    (b"PING\r\n*1\r\n$4\r\nPING\n\r", "bulk string of 4 bytes not followed by CRLF", 18),
])
def test_malformed_multibulk_gets_redis_message(data, message, offset):
    """Each error reads as Redis's, and says where the bad bytes are."""
    error = protocol_error(data)
    assert str(error) == "Protocol error: " + message
    assert error.offset == offset


def test_the_commands_before_an_error_are_kept_and_the_parser_stays_failed():
    """Commands before the bad bytes are on the error (to be answered
    first); feeding more raises the same error again."""
    parser = RequestParser()
    assert parser.feed(b"PING\r\n") == [[b"PING"]]
    with pytest.raises(ProtocolError) as info:
        parser.feed(b"*1\r\n$4\r\nPING\r\nECHO hi\r\n*x\r\nPING\r\n")
    assert info.value.commands == [[b"PING"], [b"ECHO", b"hi"]]
    assert info.value.offset == 6 + 14 + 9
    with pytest.raises(ProtocolError) as again:
        parser.feed(b"PING\r\n")
    assert again.value is info.value


def test_limits_are_redis_limits():
    """Bulk strings up to 512 MB and 1M arguments are accepted (the parser
    waits for them); one more is a protocol error at once."""
    parser = RequestParser()
    assert parser.feed(b"*1\r\n$%d\r\n" % MAX_BULK) == []
    assert str(protocol_error(b"*1\r\n$%d\r\n" % (MAX_BULK + 1))) == \
        "Protocol error: invalid bulk length"
    assert RequestParser().feed(b"*%d\r\n" % MAX_MULTIBULK) == []
    assert str(protocol_error(b"*%d\r\n" % (MAX_MULTIBULK + 1))) == \
        "Protocol error: invalid multibulk length"


@pytest.mark.parametrize("pieces", [1, 7, 4096])
def test_inline_line_limit_holds_however_the_line_arrives(pieces):
    """A line of 64 KiB is a command; one byte more is "too big inline
    request" -- whether it arrives whole or in pieces."""
    def feed(data):
        parser = RequestParser()
        step = -(-len(data) // pieces)
        out = []
        for i in range(0, len(data), step):
            out += parser.feed(data[i:i + step])
        return out

    longest = b"ECHO " + b"z" * (MAX_INLINE - 5)
    assert feed(longest + b"\r\n") == [[b"ECHO", b"z" * (MAX_INLINE - 5)]]
    assert feed(longest + b"\n") == [[b"ECHO", b"z" * (MAX_INLINE - 5)]]
    for too_long in (longest + b"z\r\n", longest + b"zz"):
        with pytest.raises(ProtocolError, match="too big inline request"):
            feed(too_long)


def test_endless_header_lines_are_refused():
    """A "*" or "$" line that never ends is cut off after 64 KiB, as Redis does."""
    with pytest.raises(ProtocolError, match="too big mbulk count string"):
        parse(b"*" + b"1" * (MAX_INLINE + 10))
    with pytest.raises(ProtocolError, match="too big bulk count string"):
        parse(b"*1\r\n$" + b"1" * (MAX_INLINE + 10))
    parser = RequestParser()
    parser.feed(b"*1\r\n$")
    with pytest.raises(ProtocolError, match="too big bulk count string"):
        for _ in range(100):
            parser.feed(b"9" * 1000)


# ================================================================ the fuzzer

def good_frame(rng):
    """A random well-formed request: multibulk or inline."""
    words = [bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 3, 10))))
             for _ in range(rng.randrange(1, 5))]
    if rng.random() < 0.7:
        return encode_command(*words)
    words = [bytes(b for b in word if b > 0x20 and b not in b"*\"'\x7f") or b"w" for word in words]
    return b" ".join(words) + rng.choice((b"\r\n", b"\n"))


def bad_frame(rng):
    """A random malformed or truncated request."""
    frame = good_frame(rng)
    kind = rng.randrange(8)
    if kind == 0:                                   # truncated
        return frame[:rng.randrange(len(frame))]
    if kind == 1:                                   # one byte replaced
        i = rng.randrange(len(frame))
        return frame[:i] + bytes([rng.randrange(256)]) + frame[i + 1:]
    if kind == 2:                                   # a wrong count or length
        return rng.choice((b"*", b"*1\r\n$")) + rng.choice(
            (b"-2", b"x", b"", b"1x", b"+3", b"007", b"99999999999", b"1 ")) + b"\r\n" + frame
    if kind == 3:                                   # a bulk shorter than it says
        return b"*1\r\n$%d\r\nab\r\n" % rng.choice((1, 3, 5))
    if kind == 4:                                   # unbalanced quotes inline
        return b"SET k \"v" + rng.choice((b"\r\n", b"'\r\n", b"\"x\r\n"))
    if kind == 5:                                   # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    if kind == 6:                                   # garbage where "$" belongs
        return b"*2\r\n$4\r\nECHO\r\n" + bytes([rng.choice(b"+-:*x ")]) + b"3\r\nabc\r\n"
    return b"*1\r\n$%d\r\n" % (MAX_BULK + rng.randrange(1, 1000))


def test_fuzz_malformed_and_truncated_frames():
    """5,000 seeded streams (good frames around a bad one), each fed whole
    and cut at random places: only ProtocolError is ever raised, its message
    is Redis's form, the outcome does not depend on where the stream was
    cut, and the good frames before the bad one come out as commands."""
    rng = random.Random(8)
    errors = 0
    for case in range(5000):
        before = [good_frame(rng) for _ in range(rng.randrange(3))]
        data = b"".join(before) + bad_frame(rng) + good_frame(rng)
        whole = parse_in_pieces(data, [])
        cuts = rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(1, 6)))
        assert parse_in_pieces(data, cuts) == whole, (case, data, cuts)
        commands, error = whole
        assert commands[:len(before)] == [parse(frame)[0] for frame in before], (case, data)
        assert all(isinstance(c, list) and c and all(type(a) is bytes for a in c)
                   for c in commands)
        if error is not None:
            errors += 1
            message, offset = error
            assert message.startswith("Protocol error: ") and 0 <= offset < len(data)
    assert errors > 2000                        # the generator does make bad frames


# ================================================================ replies and encoders

def test_encoders():
    assert encode_simple("OK") == b"+OK\r\n"
    assert encode_error("ERR bad\r\nthing\n") == b"-ERR bad  thing \r\n"   # one line, always
    assert encode_integer(-3) == b":-3\r\n"
    assert encode_bulk(b"a\r\nb") == b"$4\r\na\r\nb\r\n"
    assert encode_bulk(None) == b"$-1\r\n"
    assert encode_array([b"a", None, b""]) == b"*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n"
    assert encode_array(None) == b"*-1\r\n"
    assert encode_command("SET", b"k", 10) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n10\r\n"


def test_reply_parser_reads_every_reply_type_in_pieces():
    """What a client sees: status, error, integer, bulk, nil, nested arrays;
    split anywhere, the same replies."""
    data = (b"+OK\r\n-ERR no\r\n:42\r\n$3\r\na\r\n\r\n$-1\r\n*-1\r\n"
            b"*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+s\r\n*0\r\n")
    expected = ["OK", ReplyError("ERR no"), 42, b"a\r\n", None, None, [1, [b"x", None], "s"], []]
    assert ReplyParser().feed(data) == expected
    for cut in range(len(data) + 1):
        parser = ReplyParser()
        assert parser.feed(data[:cut]) + parser.feed(data[cut:]) == expected, cut


def test_reply_parser_reads_resp3s_verbatim_strings_big_numbers_blob_errors_and_pushes():
    """The RESP3 types Redis 7 sends that RESP2 has no word for: a
    verbatim string (INFO, CLIENT INFO) is its text, a big number an int,
    a blob error a ReplyError, a push (what a subscriber gets) a list;
    split anywhere, the same replies."""
    data = (b"=15\r\ntxt:Some string\r\n(3492890328409238509324850943850943825024385\r\n"
            b"(-1\r\n!21\r\nSYNTAX invalid syntax\r\n>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
    expected = [b"Some string", 3492890328409238509324850943850943825024385, -1,
                ReplyError("SYNTAX invalid syntax"), [b"subscribe", b"ch", 1]]
    assert ReplyParser().feed(data) == expected
    for cut in range(len(data) + 1):
        parser = ReplyParser()
        assert parser.feed(data[:cut]) + parser.feed(data[cut:]) == expected, cut


@pytest.mark.parametrize("data", [b"?x\r\n", b":x\r\n", b"$3\r\nabcd\r\n", b"*y\r\n", b"(1.5\r\n",
                                  b"=3\r\nabcd\r\n"])
def test_reply_parser_refuses_what_is_not_resp(data):
    with pytest.raises(ProtocolError):
        ReplyParser().feed(data)
