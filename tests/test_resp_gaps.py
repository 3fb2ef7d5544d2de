"""What mutation testing of protocols/resp.py and protocols/kv_admin.py
found no test pinning: each test here fails on a small change to those
modules (a comparison moved by one, a check dropped) that every other test
let through.

The yardstick is a real redis-server 7.0: the replies here were read from
one, and the tests that go over the wire compare our kv_server with it
byte for byte (tests/test_kv_vs_redis.py's servers and comparison).
"""

import socket
import time

import pytest

from net_helpers import read_to_end, watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import _split_replies, assert_same, ours, pair, redis  # noqa: F401
from trampoline.protocols.kv import Store
from trampoline.protocols.resp import (ProtocolError, ReplyError, ReplyParser, RequestParser,
                                       encode_command, encode_error, encode_simple,
                                       split_inline)

WATCHDOG_SECONDS = 30.0


def both_answer(redis, ours, data):
    """Send ``data`` to redis-server and to ours, half-close, and return
    each one's replies up to its close."""
    got = []
    for family, address in (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(address)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            got.append(_split_replies(read_to_end(sock)))
        finally:
            sock.close()
    return got


# ================================================================ resp.py: requests

@pytest.mark.parametrize("line, args", [
    (b"ECHO a\x0cb", [b"ECHO", b"a\x0cb"]),     # \f without \v or quotes: still not a blank
    (b'ECHO "\\x4', None),                      # \x and one digit, then the line ends
    (b'ECHO "a\\', None),                       # a backslash, then the line ends
])
def test_inline_lines_at_the_edges_of_sdssplitargs(line, args):
    """A form feed inside a word is part of it, even on a line with no
    quote and no vertical tab (bytes.split would cut there); an escape cut
    off by the end of the line leaves the quotes unbalanced -- not an
    IndexError.  Redis answers ``$3 a\\fb`` and "unbalanced quotes"."""
    assert split_inline(line) == args
    if args is None:
        with pytest.raises(ProtocolError, match="unbalanced quotes in request"):
            RequestParser().feed(line + b"\r\n")
    else:
        assert RequestParser().feed(line + b"\r\n") == [args]


@pytest.mark.parametrize("data", [b"ECHO a\x0cb\r\nPING\r\n", b'ECHO "\\x4\r\nPING\r\n',
                                  b'ECHO "a\\\r\nPING\r\n'])
def test_those_inline_lines_reply_as_redis(redis, ours, data):
    theirs, mine = both_answer(redis, ours, data)
    assert theirs == mine


def test_an_empty_first_line_does_not_reach_back_to_the_end_of_the_data():
    """``\\n`` first, then a line whose CR has come but not its LF: the
    empty line is no command, and the other waits for its LF (a look at
    the byte before the empty line must not wrap round to the last one)."""
    parser = RequestParser()
    assert parser.feed(b"\nPING\r") == []
    assert parser.feed(b"\n") == [[b"PING"]]


def test_a_smaller_multibulk_limit_holds_for_whole_commands_too():
    """``max_multibulk`` below the fast path's counts: a whole command of
    more arguments is refused as one arriving in pieces is."""
    data = encode_command("MSET", "a", "1", "b", "2")
    for pieces in ([data], [data[:3], data[3:]]):
        parser = RequestParser(max_multibulk=4)
        with pytest.raises(ProtocolError, match="invalid multibulk length"):
            for piece in pieces:
                parser.feed(piece)
    assert RequestParser(max_multibulk=5).feed(data) == [[b"MSET", b"a", b"1", b"b", b"2"]]


def test_a_longest_line_may_wait_for_the_lf_of_its_crlf():
    """An inline line of ``max_inline`` bytes whose CR came in one read
    and its LF in the next is a command, not "too big"."""
    parser = RequestParser(max_inline=10)
    assert parser.feed(b"ECHO 12345") == []
    assert parser.feed(b"\r") == []
    assert parser.feed(b"\n") == [[b"ECHO", b"12345"]]
    with pytest.raises(ProtocolError, match="too big inline request"):
        RequestParser(max_inline=10).feed(b"ECHO 1234567")


# ================================================================ resp.py: replies

def test_a_big_number_may_carry_a_plus_sign():
    """RESP3's big number is ``([+|-]<digits>``: both signs are read."""
    assert ReplyParser().feed(b"(+12\r\n(-12\r\n(12\r\n") == [12, -12, 12]


def test_resp3_booleans_are_read_and_nothing_else_is_one():
    assert ReplyParser().feed(b"#t\r\n#f\r\n") == [True, False]
    for bad in (b"#x\r\n", b"#\r\n", b"#tt\r\n"):
        with pytest.raises(ProtocolError, match="bad boolean"):
            ReplyParser().feed(bad)


def test_an_integer_reply_is_64_bits_and_no_more():
    """``:`` carries a signed 64-bit integer (beyond it Redis sends a big
    number): the two ends are read, one past the top is not RESP."""
    assert ReplyParser().feed(b":9223372036854775807\r\n:-9223372036854775808\r\n") == \
        [2**63 - 1, -2**63]
    with pytest.raises(ProtocolError, match="bad number"):
        ReplyParser().feed(b":9223372036854775808\r\n")


def test_a_bad_reply_is_placed_in_the_stream():
    """The error's offset is where the bad bytes are in the whole stream,
    past the replies read before them, in this call and earlier ones."""
    parser = ReplyParser()
    assert parser.feed(b"+OK\r\n") == ["OK"]
    with pytest.raises(ProtocolError, match="bulk reply not followed by CRLF") as info:
        parser.feed(b":1\r\n$3\r\nabcX\r\n")
    assert info.value.offset == 5 + 4 + 4 + 3
    parser = ReplyParser()
    assert parser.feed(b"+OK\r\n") == ["OK"]
    with pytest.raises(ProtocolError, match="unknown reply type '\\?'") as info:
        parser.feed(b"?1\r\n")
    assert info.value.offset == 5


def test_reply_errors_are_equal_only_if_their_messages_are():
    assert ReplyError("ERR a") == ReplyError("ERR a")
    assert ReplyError("ERR a") != ReplyError("ERR b")
    assert ReplyError("ERR a") != "ERR a"
    assert len({ReplyError("ERR a"), ReplyError("ERR a"), ReplyError("ERR b")}) == 2


def test_a_map_whose_key_is_an_array_names_that_key():
    """The error names the culprit: the key that is a list, not the first key."""
    parser = ReplyParser()
    assert parser.feed(b"+OK\r\n") == ["OK"]
    assert parser.feed(b"%2\r\n$1\r\na\r\n") == []
    with pytest.raises(ProtocolError) as info:
        parser.feed(b":1\r\n*1\r\n:7\r\n:2\r\n")
    assert str(info.value).endswith("cannot hold: [[7]]")
    assert info.value.offset == 5                   # where the map began, in the stream


# ================================================================ resp.py: encoders

def test_a_carriage_return_alone_is_a_line_break_too():
    """Status and error lines never carry a CR: a lone one becomes a space
    (Redis: ``-ERR unknown command 'a b c'`` for the command ``a\\rb\\nc``)."""
    assert encode_error("ERR a\rb") == b"-ERR a b\r\n"
    assert encode_simple(b"a\rb") == b"+a b\r\n"


def test_an_unknown_command_with_a_lone_cr_is_named_as_redis_names_it(pair):
    assert_same(pair, [[b"a\rb", b"x"], [b"a\rb\nc", b"x"], ["PING"]])


# ================================================================ kv_admin.py

OBJECT_EDGES = [
    # Each encoding threshold exactly, and one past where no other test goes.
    ["SADD", "s512"] + [str(i) for i in range(512)], ["OBJECT", "ENCODING", "s512"],
    ["HSET", "h512"] + ["f%d" % (i // 2) for i in range(1024)], ["OBJECT", "ENCODING", "h512"],
    ["HSET", "hf64", "f" * 64, "v"], ["OBJECT", "ENCODING", "hf64"],
    ["HSET", "hf65", "f" * 65, "v"], ["OBJECT", "ENCODING", "hf65"],
    ["HSET", "hv64", "f", "v" * 64], ["OBJECT", "ENCODING", "hv64"],
    ["ZADD", "z128"] + [str(i // 2) if i % 2 == 0 else "m%d" % i for i in range(256)],
    ["OBJECT", "ENCODING", "z128"],
    ["ZADD", "zm64", "1", "m" * 64], ["OBJECT", "ENCODING", "zm64"],
    # Redis shares the integers 0..9999.
    ["SET", "r0", "0"], ["OBJECT", "REFCOUNT", "r0"],
    ["SET", "r9999", "9999"], ["OBJECT", "REFCOUNT", "r9999"],
    ["SET", "r10000", "10000"], ["OBJECT", "REFCOUNT", "r10000"],
]

SORT_EDGES = [
    # A weight is read as strtod reads a C string: up to a NUL; "(" is no number.
    ["RPUSH", "n", b"3\x00x", "1"], ["SORT", "n"], ["RPUSH", "p", "(1"], ["SORT", "p"],
    # Exact subnormals in hexadecimal, a fraction longer than the whole part and none.
    ["RPUSH", "hx", "0x0.0000000000001p-1022", "0x10p-1078", "0"], ["SORT", "hx"],
    # A pattern that starts with its "*"; "->" with no field after is part of the key name.
    ["RPUSH", "l", "3", "1", "2"], ["SORT", "l", "DESC", "ASC"],
    ["MSET", "3_w", "1", "1_w", "3", "2_w", "2"],
    ["SORT", "l", "BY", "*_w"], ["SORT", "l", "GET", "*_w"],
    ["HSET", "h_1", "f", "9"], ["SET", "h_1->", "v"], ["SORT", "l", "GET", "h_*->"],
    # A weight (or a GET) that APPEND grew is a string like any other.
    ["SET", "g_1", "9"], ["APPEND", "g_1", "0"], ["SET", "g_2", "50"], ["SET", "g_3", "7"],
    ["SORT", "l", "BY", "g_*"], ["SORT", "l", "GET", "g_*"],
]


@pytest.mark.parametrize("script", [OBJECT_EDGES, SORT_EDGES], ids=["object", "sort"])
def test_object_and_sort_at_their_edges_reply_as_redis(pair, script):
    for command in script:
        assert_same(pair, [command])


def test_the_client_asking_is_idle_for_zero_seconds(pair):
    """CLIENT INFO, and the asking client's line of CLIENT LIST, say
    ``idle=0`` and name the command it is running -- not the last of its
    batch (a PING pipelined after it)."""
    for command in (["CLIENT", "INFO"], ["CLIENT", "LIST"]):
        theirs, mine = pair.same([["CLIENT", "SETNAME", "me"], command, ["PING"]])
        for replies in theirs, mine:
            (text,) = ReplyParser().feed(replies[1])
            (line,) = [line for line in text.split(b"\n") if b" name=me " in line]
            assert b" idle=0 " in line, (command, line)
            assert b" cmd=client|%s " % command[1].lower().encode() in line, (command, line)


def test_idletime_is_never_negative_when_the_wall_clock_steps_back():
    """The store's clock is the wall clock (as Redis's LRU clock): set back
    a few seconds (NTP), a key just used is idle 0 seconds, not -5."""
    now = [1000.0]
    store = Store(lambda: now[0])
    assert store.execute([b"SET", b"k", b"v"]) == b"+OK\r\n"
    now[0] = 995.0
    assert store.execute([b"OBJECT", b"IDLETIME", b"k"]) == b":0\r\n"
    now[0] = 1003.0
    assert store.execute([b"OBJECT", b"IDLETIME", b"k"]) == b":3\r\n"


def test_a_subscriber_that_does_not_read_shows_its_backlog_in_omem(redis, ours):
    """CLIENT LIST's ``omem``: the messages a subscriber has not taken yet
    (Redis counts its reply list; here the bytes queued and being written)."""
    for family, address in (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours)):
        listener, other = socket.socket(family), socket.socket(family)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            for sock in listener, other:
                sock.settimeout(10)
                sock.connect(address)
            listener.sendall(encode_command("CLIENT", "SETNAME", "deaf")
                             + encode_command("SUBSCRIBE", "news"))
            parser, replies = ReplyParser(), []
            while len(replies) < 2:
                replies += parser.feed(listener.recv(4096))
            # 6 MB: more than the kernel's buffers hold (4 MB at most for TCP).
            other.sendall(encode_command("PUBLISH", "news", b"x" * 65536) * 96
                          + encode_command("CLIENT", "LIST"))
            parser, replies = ReplyParser(), []
            while len(replies) < 97:
                replies += parser.feed(other.recv(65536))
            (line,) = [line for line in replies[-1].split(b"\n") if b" name=deaf " in line]
            omem = int(line.split(b" omem=")[1].split(b" ")[0])
            assert omem > 0, (family, line)
        finally:
            listener.close()
            other.close()


#: SORT's patterns hold a NUL: Redis reads BY's, GET's ``#``, ``*`` and
#: ``->`` as C strings (strchr, strstr), so what follows a NUL is only a
#: byte of the name -- a BY pattern with its ``*`` after one sorts nothing.
SORT_NUL_PATTERNS = [
    ["RPUSH", "l", "3", "1", "2"], ["SET", b"x\x003", "v"], ["HSET", b"h_3\x00", "f", "hash"],
    ["SET", b"h_3->\x00f", "str"], ["HSET", "h_3", b"\x00f", "nul", b"f\x00z", "fz"],
    ["SORT", "l", "GET", b"x\x00*"], ["SORT", "l", "GET", b"#\x00x"],
    ["SORT", "l", "GET", b"h_*\x00->f"], ["SORT", "l", "GET", b"h_*->\x00f"],
    ["SORT", "l", "GET", b"h_*->f\x00z"], ["SORT", "l", "BY", b"x\x00*", "GET", b"#\x00"],
]


def test_sort_reads_its_patterns_up_to_a_nul_as_redis_does(pair):
    for command in SORT_NUL_PATTERNS:
        assert_same(pair, [command])


def test_a_killed_client_has_no_command_run_after_the_kill(redis, ours):
    """CLIENT KILL closes the target's connection both ways, as Redis
    frees the client: what the target sends after it has seen its end of
    file is never read, let alone run."""
    for family, address in (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours)):
        control, victim = socket.socket(family), socket.socket(family)
        try:
            for sock in control, victim:
                sock.settimeout(10)
                sock.connect(address)
            victim.sendall(encode_command("CLIENT", "ID"))
            (victim_id,) = ReplyParser().feed(victim.recv(100))
            control.sendall(encode_command("DEL", "after")
                            + encode_command("CLIENT", "KILL", "ID", victim_id))
            assert control.recv(100) == b":0\r\n:1\r\n"
            assert victim.recv(100) == b""
            # Send until the closed connection refuses (a reset, a broken pipe).
            deadline = time.monotonic() + 10
            with pytest.raises(OSError):
                while time.monotonic() < deadline:
                    victim.sendall(encode_command("SET", "after", "1"))
                    victim.recv(100)
            control.sendall(encode_command("GET", "after"))
            assert control.recv(100) == b"$-1\r\n", family
        finally:
            control.close()
            victim.close()


def flags(line):
    """The flags of a CLIENT LIST line (Redis's ``U``: a Unix socket)."""
    return line.split(b" flags=")[1].split(b" ")[0]


def test_a_watcher_whose_key_changed_is_flagged_d(redis, ours):
    """CLIENT LIST's and INFO's ``d``: a key the client WATCHes has been
    written since, so its EXEC will fail."""
    for family, address in (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours)):
        watcher, other = socket.socket(family), socket.socket(family)
        try:
            for sock in watcher, other:
                sock.settimeout(10)
                sock.connect(address)
            watcher.sendall(encode_command("WATCH", "w") + encode_command("CLIENT", "INFO"))
            parser, replies = ReplyParser(), []
            while len(replies) < 2:
                replies += parser.feed(watcher.recv(65536))
            assert b"d" not in flags(replies[1]), family
            other.sendall(encode_command("SET", "w", "1"))
            assert other.recv(100) == b"+OK\r\n"
            watcher.sendall(encode_command("CLIENT", "INFO"))
            parser, replies = ReplyParser(), []
            while not replies:
                replies += parser.feed(watcher.recv(65536))
            assert b"d" in flags(replies[0]), family
        finally:
            watcher.close()
            other.close()
