"""trampoline/protocols/kv.py against a real redis-server, reply for reply.

The same commands go over raw sockets to redis-server and to our
kv_server, and the reply bytes must be the same: scripted corner cases of
every command kv.py implements, then a few thousand commands from a
seeded random generator, in RESP2 and after ``HELLO 3``.  Compared against
Debian 12's redis-server 7.0 (7.0.15); nothing here depends on what later
versions changed.

The differences allowed are the documented ones: HELLO's server, version
and id, CLIENT ID, COMMAND's table, CONFIG GET beyond the few names we
answer, one database (SELECT 0 only, COPY ... DB 0 only), KEYS and CONFIG
GET in another order (Redis's is its hash table's, seeded at random), a
TTL or PTTL (EXPIRETIME or PEXPIRETIME) read a moment apart (a second,
half a second at most), a DBSIZE that does not count the keys past their
deadline (Redis's counts those its sweep has not dropped yet), SCAN's
order and cursors (Redis's are its hash table's: what SCAN promises is
tested instead) and RANDOMKEY's pick (compared where there is one key or
none; test_kv_server.py checks the rest). Where our
parser refuses on purpose what Redis reads on (a bulk string not followed
by CRLF: resp.py's docstring), no case is sent.
"""

import os
import random
import re
import shutil
import socket
import subprocess
import threading

import pytest

from net_helpers import ServerThread, read_to_end, watchdog  # noqa: F401 (autouse)
from net_helpers import stop_process
from trampoline.protocols.kv import Store, kv_server
from trampoline.protocols.resp import ReplyError, ReplyParser, encode_command

WATCHDOG_SECONDS = 30.0
INT_MAX, INT_MIN = 2**63 - 1, -2**63


# ================================================================ the two servers

@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    """A real redis-server on a Unix socket (no port to clash); yields its path."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: no reference to compare with")
    path = str(tmp_path_factory.mktemp("redis") / "redis.sock")
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", path, "--save", "",
                             "--appendonly", "no"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killer = threading.Timer(10, proc.kill)        # (module fixtures have no watchdog)
    killer.start()
    try:
        for line in proc.stdout:
            if "ready to accept connections" in line.lower():
                break
        killer.cancel()
        assert proc.poll() is None, "redis-server did not start"
        yield path
    finally:
        killer.cancel()
        stop_process(proc)


@pytest.fixture(scope="module")
def ours():
    """kv_server on a free port, in a thread of this process; yields the port."""
    running = ServerThread(lambda ready: kv_server("127.0.0.1", 0, Store(), ready=ready))
    try:
        yield running.port
    finally:
        assert running.running(), "the server died: %r" % running.error
        running.stop()


class Pair:
    """A connection to each server; ``same(commands)`` sends them to both as
    one pipeline and returns the two lists of raw replies."""

    def __init__(self, redis, ours):
        self.addresses = (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours))
        self.socks = [self._connect(family, address) for family, address in self.addresses]

    @staticmethod
    def _connect(family, address):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(10)
        sock.connect(address)
        return sock

    def close(self):
        for sock in self.socks:
            sock.close()

    def raw(self, data, count):
        """Send ``data`` to both; return each one's ``count`` raw replies."""
        for sock in self.socks:
            sock.sendall(data)
        return [self._read(sock, count) for sock in self.socks]

    @staticmethod
    def _read(sock, count):
        buf = b""
        parser = ReplyParser()
        got = 0
        while got < count:
            data = sock.recv(65536)
            if not data:
                raise EOFError("closed after %d of %d replies: %r" % (got, count, buf[-200:]))
            # A reply's raw bytes: parse and remember where each one ends.
            got += len(parser.feed(data))
            buf += data
        return _split_replies(buf)

    def same(self, commands):
        data = b"".join(encode_command(*command) for command in commands)
        return self.raw(data, len(commands))


def _split_replies(buf):
    """The raw bytes of each whole reply in ``buf``."""
    replies = []
    start = 0
    while start < len(buf):
        end = _reply_end(buf, start)
        replies.append(buf[start:end])
        start = end
    return replies


def _reply_end(buf, pos):
    line_end = buf.index(b"\r\n", pos)
    kind, header = buf[pos:pos + 1], buf[pos + 1:line_end]
    after = line_end + 2
    if kind in b"$=!" and header != b"-1":
        return after + int(header) + 2
    if kind in b"*%~>" and header != b"-1":
        items = int(header) * (2 if kind == b"%" else 1)
        for _ in range(items):
            after = _reply_end(buf, after)
    return after


@pytest.fixture
def pair(redis, ours):
    both = Pair(redis, ours)
    assert both.same([["FLUSHALL"]]) == [[b"+OK\r\n"]] * 2
    yield both
    both.close()


def words(command):
    return [word if isinstance(word, bytes) else str(word).encode() for word in command]


def decoded(reply):
    (value,) = ReplyParser().feed(reply)
    return value


def _as_dict(value):
    return value if isinstance(value, dict) else dict(zip(value[::2], value[1::2]))


#: Commands whose reply is an array in no particular order (Redis's hash
#: table's): compared sorted.
UNORDERED = {b"KEYS", b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"}


def assert_same(pair, commands, before=()):
    """Each command's reply from redis-server and from ours: the same bytes
    (KEYS: the same keys; TTL, PTTL: a moment apart).  ``before``: the commands
    sent before these, shown (the last 30) when a reply differs."""
    commands = [words(command) for command in commands]
    theirs, mine = pair.same(commands)
    for command, real, got in zip(commands, theirs, mine):
        name = command[0].upper()
        if name in UNORDERED and real[:1] == got[:1] and real[:1] in b"*~" and real[1:2] != b"-":
            # KEYS, and a set's members: Redis's order is its hash table's.
            real, got = sorted(decoded(real)), sorted(decoded(got))
        elif name == b"CONFIG" and real[:1] == got[:1] and real[:1] in b"*%":
            # Several names: Redis's order is its hash table's, seeded at random.
            real, got = _as_dict(decoded(real)), _as_dict(decoded(got))
        elif name in (b"PTTL", b"TTL", b"PEXPIRETIME", b"EXPIRETIME") and real[:1] == got[:1] == b":" \
                and real != got:
            # Each server counts from its own SET: a slow moment under load
            # can put a TTL (or a deadline set by EXPIRE) at a rounding edge
            # on one side only.
            real, got = decoded(real), decoded(got)
            assert min(real, got) >= 0 and abs(real - got) <= (500 if name[:1] == b"P" else 1), command
            continue
        elif name == b"DBSIZE" and real[:1] == got[:1] == b":" and real != got:
            # Redis counts the keys past their deadline that its sweep
            # has not dropped yet (SET ... EXAT 1); we sweep first.
            assert decoded(got) < decoded(real), command
            continue
        assert got == real, "%r after:\n%s" % (command, "\n".join(
            repr(sent) for sent in (list(before) + commands)[-30:]))


# ================================================================ scripted corner cases

I = str(INT_MAX)
M = str(INT_MIN)

STRINGS = [
    ["SET", "k", "v"], ["GET", "k"], ["get", "k"], ["gEt", "k"], ["GET", "K"], ["SeT", "k", "w"],
    ["SET", "", ""], ["GET", ""], ["EXISTS", ""], ["DEL", ""], ["GET", ""],
    ["SET", b"\x00k\xff", b"\x00v\xff\xfe"], ["GET", b"\x00k\xff"], ["MGET", b"\x00k\xff", b"\x00k"],
    ["SET", "big", "x" * 100000], ["GET", "big"], ["SET", "huge", b"\r\n" * 600000],
    ["MGET", "huge", "big", "huge"], ["ECHO", "z" * 1100000], ["ECHO", "y" * 70000], ["ECHO", b"\x00\xff"],
    ["ECHO", ""], ["PING", ""], ["PING", b"\r\n"],
    # SET's options and their conflicts
    ["SET", "k", "v", "EX", "10", "PX", "10"], ["SET", "k", "v", "EX", "10", "KEEPTTL"],
    ["SET", "k", "v", "KEEPTTL", "EX", "10"], ["SET", "k", "v", "EX", "10", "EX", "20"], ["TTL", "k"],
    ["SET", "k", "v", "PX", "10", "PX", "20000"], ["TTL", "k"], ["SET", "k", "v", "EXAT", "1", "PXAT", "1"],
    ["SET", "k", "v", "NX", "NX"], ["SET", "k", "v", "XX", "XX"], ["SET", "k", "v", "GET", "GET"],
    ["SET", "k", "v", "KEEPTTL", "KEEPTTL"], ["SET", "k", "v", "NX", "XX"], ["SET", "k", "v", "XX", "NX"],
    ["SET", "k", "v", "nx", "get"], ["SET", "fresh", "v", "NX", "GET"], ["SET", "fresh2", "v", "XX", "GET"],
    ["GET", "fresh2"], ["SET", "k", "v2", "xx", "get"], ["SET", "k", "v", "ex", "10"], ["TTL", "k"],
    ["SET", "k", "v", "KEEPTTL"], ["TTL", "k"], ["SET", "k", "v"], ["TTL", "k"],
    ["SET", "k", "v", "EX"], ["SET", "k", "v", "PX", "1", "EX"], ["SET", "k", "v", "FOO"],
    ["SET", "k", "v", "EX", "abc", "NX", "XX"], ["SET", "k", "v", "EX", "0", "FOO"],
    ["SET", "k", "v", "EX", "-1"], ["SET", "k", "v", "PX", "0"], ["SET", "k", "v", "PXAT", "0"],
    ["SET", "k", "v", "EXAT", "-1"], ["SET", "k", "v", "EX", "1.5"], ["SET", "k", "v", "EX", ""],
    ["SET", "k", "v", "EX", "+5"], ["SET", "k", "v", "EX", "05"],
    ["SET", "k", "v", "PX", I], ["SET", "k", "v", "EX", "9223372036854775"], ["TTL", "k"],
    ["SET", "k", "v", "EX", "9223372036854776"], ["SET", "k", "v", "EXAT", "9223372036854775"],
    ["SET", "k", "v", "EXAT", "9223372036854776"], ["SET", "k", "v", "PXAT", I], ["TTL", "k"],
    ["SET", "k", "v", "EX", "99999999999999999999"],
    ["SET", "k", "v", "GET", "EX", "-5"], ["SET", "k", "v", "EXAT", "1"], ["GET", "k"],
    ["SET", "n", "5"], ["SET", "n", "6", "GET", "EX", "100"], ["TTL", "n"],
    ["SET", "k"], ["SET"], ["GET"], ["GET", "a", "b"],
    # counters at the limits
    ["SET", "n", I], ["INCR", "n"], ["INCRBY", "n", "0"], ["INCRBY", "n", "1"], ["GET", "n"],
    ["DECRBY", "n", M], ["DECRBY", "n", "-1"], ["DECRBY", "n", I], ["GET", "n"],
    ["SET", "m", M], ["DECR", "m"], ["DECRBY", "m", "1"], ["INCRBY", "m", I], ["INCRBY", "m", I],
    ["INCRBY", "x", str(2**63)], ["INCRBY", "x", "-9223372036854775809"], ["INCRBY", "x", M],
    ["DECRBY", "x", M], ["DECRBY", "y", "1"], ["INCRBY", "c", I], ["INCRBY", "c", "1"],
    ["DECRBY", "c", "-" + I], ["DECRBY", "d", I], ["DECRBY", "d", "1"], ["DECRBY", "d", "1"], ["GET", "d"],
    ["DECR", "z"], ["INCRBY", "x", "1.5"],
    ["INCRBY", "x", ""], ["INCRBY", "x", "-0"], ["INCRBY", "x", "+1"], ["INCRBY", "x", "1 "],
    ["INCRBY", "x", "00"], ["INCRBY", "x", "99999999999999999999"], ["INCR", "k"],
    ["SET", "e", ""], ["INCR", "e"], ["GET", "e"], ["SET", "f", "1e3"], ["INCR", "f"],
    ["SET", "f", "0x10"], ["INCR", "f"], ["SET", "f", "12345678901234567890123"], ["INCR", "f"],
    ["SET", "f", "-0"], ["INCR", "f"], ["SET", "f", "007"], ["DECR", "f"], ["SET", "f", "\t1"],
    ["INCR", "f"], ["SET", "f", "1\x00"], ["INCR", "f"], ["SET", "f", "-"], ["INCR", "f"],
    ["SET", "f", "10"], ["EXPIRE", "f", "100"], ["INCR", "f"], ["TTL", "f"],
    ["INCR"], ["INCR", "a", "b"], ["INCRBY", "n"], ["DECRBY"], ["DECR", "a", "b"],
    # MSET, MGET, DEL, EXISTS with repeated keys
    ["MSET", "a", "1", "a", "2"], ["GET", "a"], ["MGET", "a", "a", "zz"], ["MSET"], ["MSET", "a"],
    ["MSET", "a", "1", "b"], ["MGET"], ["MGET", "a"], ["EXISTS", "a", "a", "zz"], ["DEL", "a", "a"],
    ["EXISTS", "a", "a"], ["SET", "a", "1"], ["EXISTS", "a", "a", "a"], ["DEL", "a", "a", "a", "zz"],
    ["UNLINK"], ["UNLINK", "zz", "zz"], ["SET", "a", "1"], ["UNLINK", "a", "a"], ["DEL"], ["EXISTS"],
    ["SET", "t", "v", "EX", "100"], ["MSET", "t", "w"], ["TTL", "t"],
]

EXPIRY = [
    ["TTL", "nokey"], ["PTTL", "nokey"], ["SET", "p", "v"], ["TTL", "p"], ["PTTL", "p"],
    ["PERSIST", "p"], ["PERSIST", "nokey"], ["EXPIRE", "nokey", "10"], ["PEXPIRE", "nokey", "10"],
    ["EXPIRE", "p", "100", "nx"], ["EXPIRE", "p", "200", "NX"], ["EXPIRE", "p", "50", "GT"],
    ["EXPIRE", "p", "500", "gt"], ["TTL", "p"], ["EXPIRE", "p", "50", "LT"], ["TTL", "p"],
    ["EXPIRE", "p", "500", "lt"], ["TTL", "p"], ["PERSIST", "p"], ["PERSIST", "p"],
    ["EXPIRE", "p", "50", "LT"], ["TTL", "p"], ["PERSIST", "p"], ["EXPIRE", "p", "50", "GT"],
    ["TTL", "p"], ["EXPIRE", "p", "50", "XX"], ["TTL", "p"], ["PERSIST", "p"], ["EXPIRE", "p", "60", "XX"],
    ["EXPIRE", "p", "50", "XX", "XX"], ["EXPIRE", "p", "50", "NX", "NX"], ["EXPIRE", "p", "55", "GT", "GT"],
    ["EXPIRE", "p", "50", "XX", "GT"], ["EXPIRE", "p", "50", "XX", "LT"], ["TTL", "p"],
    ["EXPIRE", "p", "50", "NX", "XX"], ["EXPIRE", "p", "50", "LT", "NX"], ["EXPIRE", "p", "50", "LT", "GT"],
    ["EXPIRE", "p", "50", "BOGUS"], ["EXPIRE", "p", "x", "BOGUS"], ["EXPIRE", "p", "x", "NX", "XX"],
    ["EXPIRE", "nokey", "x"], ["EXPIRE", "p", "1.0"], ["EXPIRE", "p", ""], ["EXPIRE", "p"],
    ["EXPIRE", "p", "0"], ["EXISTS", "p"], ["SET", "p", "v"], ["PEXPIRE", "p", "-1"], ["GET", "p"],
    ["SET", "p", "v"], ["EXPIRE", "p", "9223372036854775"], ["EXPIRE", "p", "9223372036854776"],
    ["EXPIRE", "p", M], ["EXISTS", "p"], ["SET", "p", "v"], ["EXPIRE", "p", "-9223372036854775"],
    ["EXISTS", "p"], ["SET", "p", "v"], ["EXPIRE", "p", "-9223372036854776"], ["PEXPIRE", "p", M],
    ["PEXPIRE", "p", I], ["EXISTS", "p"], ["SET", "p", "v"], ["PEXPIRE", "p", "100000", "GT"],
    ["PEXPIRE", "p", "100000", "LT"], ["TTL", "p"], ["PEXPIRE", "p", "0", "XX"], ["EXISTS", "p"],
    ["TTL"], ["TTL", "a", "b"], ["PTTL"], ["PERSIST"], ["PERSIST", "a", "b"], ["PEXPIRE", "p"],
    # a key whose deadline has passed (PXAT 1) is not there for any command
    ["SET", "k", "v", "PXAT", "1"], ["MGET", "k", "k"], ["EXISTS", "k"], ["DEL", "k"],
    ["SET", "k", "5", "PXAT", "1"], ["INCR", "k"], ["TTL", "k"], ["SET", "k", "5", "PXAT", "1"],
    ["KEYS", "*"], ["SET", "k", "5", "PXAT", "1"], ["SET", "k", "6", "XX"], ["SET", "k", "7", "NX", "GET"],
    ["TTL", "k"], ["SET", "k", "v", "PXAT", "1", "GET"], ["PERSIST", "k"], ["EXPIRE", "k", "10"],
    ["SET", "k", "v", "EXAT", "1", "KEEPTTL"], ["SET", "k", "v", "KEEPTTL", "PX", "5"],
    ["SET", "k", "v", "GET", "KEEPTTL", "GET"], ["EXPIRE", "k", "10", "nx", "XX"],
    ["EXPIRE", "k", "10", "lt", "gt"], ["EXPIRE", "k", "10", "Gt", "LT", "NX"],
    ["SET", "k", "v", "px", "100000", "nx"], ["SET", "k", "v", "PX", "100000", "XX", "GET"],
    ["PEXPIRE", "k", "100", "GT", "XX"], ["EXPIRE", "k", "-5", "LT"], ["EXISTS", "k"],
    # EXPIREAT, PEXPIREAT (as EXPIRE, absolute), EXPIRETIME, PEXPIRETIME
    # (rounded as Redis rounds), TOUCH, RANDOMKEY of nothing or one key
    ["SET", "a", "1"], ["EXPIRETIME", "a"], ["PEXPIRETIME", "a"], ["EXPIRETIME", "nokey"],
    ["PEXPIRETIME", "nokey"], ["EXPIREAT", "a", "99999999999"], ["EXPIRETIME", "a"],
    ["PEXPIRETIME", "a"], ["PEXPIREAT", "a", "99999999999999"], ["EXPIRETIME", "a"],
    ["PEXPIREAT", "a", "99999999999499"], ["EXPIRETIME", "a"], ["PEXPIREAT", "a", "99999999999500"],
    ["EXPIRETIME", "a"], ["PEXPIRETIME", "a"], ["expireat", "a", "99999999990", "gt"],
    ["EXPIREAT", "a", "99999999990", "LT"], ["PEXPIRETIME", "a"], ["EXPIREAT", "a", "1", "NX"],
    ["PEXPIREAT", "a", "99999999999999", "XX"], ["EXPIREAT", "a", "1"], ["EXISTS", "a"],
    ["EXPIREAT", "a", "99999999999"], ["SET", "a", "1"], ["EXPIREAT", "a", "9223372036854775"],
    ["EXPIRETIME", "a"], ["PEXPIRETIME", "a"], ["EXPIREAT", "a", "9223372036854776"],
    ["PEXPIREAT", "a", I], ["PEXPIRETIME", "a"], ["EXPIREAT", "a", "-9223372036854776"],
    ["EXPIREAT", "a", "-9223372036854775"], ["EXISTS", "a"], ["SET", "a", "1"], ["PEXPIREAT", "a", "-1"],
    ["SET", "a", "1"], ["PEXPIREAT", "a", M], ["SET", "a", "1"], ["EXPIREAT", "a", "x"],
    ["EXPIREAT", "a", "1", "BAD"], ["PEXPIREAT", "a", "x", "NX", "XX"], ["EXPIREAT", "a", "1", "GT", "LT"],
    ["EXPIREAT", "nokey", "99999999999"], ["PEXPIREAT", "nokey", "1"], ["EXPIREAT", "a"],
    ["PEXPIREAT"], ["EXPIRETIME"], ["PEXPIRETIME", "a", "b"], ["SET", "c", "v", "PXAT", "1"],
    ["EXPIRETIME", "c"], ["TOUCH", "a", "a", "nokey", "c"], ["TOUCH", "c"], ["TOUCH"], ["touch", "a"],
    ["FLUSHALL"], ["RANDOMKEY"], ["SET", "gone", "v", "PXAT", "1"], ["RANDOMKEY"], ["SET", "r", "1"],
    ["RANDOMKEY"], ["SET", "gone", "v", "PXAT", "1"], ["RANDOMKEY"], ["randomkey"], ["RANDOMKEY", "x"],
    ["DEL", "r"], ["RANDOMKEY"],
]

KEYS_AND_SERVER = [
    ["MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5", "h*llo", "6",
     "h?llo", "7", "h[a]llo", "8", "a\\b", "9", b"\x00z", "10", b"z\xff", "11", "", "12"],
    ["KEYS", "*"], ["KEYS", "h?llo"], ["KEYS", "h*llo"], ["KEYS", "h[ae]llo"], ["KEYS", "h[^e]llo"],
    ["KEYS", "h[a-b]llo"], ["KEYS", "h[b-a]llo"], ["KEYS", "h\\*llo"], ["KEYS", "h\\?llo"],
    ["KEYS", "h\\[a]llo"], ["KEYS", "a\\\\b"], ["KEYS", "a\\b"], ["KEYS", "[a"], ["KEYS", "h[a"],
    ["KEYS", "h[\\]]llo"], ["KEYS", b"\x00*"], ["KEYS", b"*\xff"], ["KEYS", ""], ["KEYS", "\\"],
    ["KEYS", "*\\"], ["KEYS", "[]"], ["KEYS", "[^]"], ["KEYS", "**"], ["KEYS", "?"], ["KEYS", "h*"],
    ["KEYS", "a", "b"], ["KEYS"], ["DBSIZE"], ["DBSIZE", "x"],
    ["SELECT", "0"], ["SELECT", "-1"], ["SELECT", "16"], ["SELECT", ""], ["SELECT", "00"],
    ["SELECT", "x"], ["SELECT", "a", "b"], ["SELECT"], ["SELECT", "2147483648"],
    ["SELECT", I], ["SELECT", "-2147483648"], ["SELECT", "2147483647"], ["SELECT", "0", "x"],
    ["FLUSHALL", "ASYNC", "SYNC"], ["client", "setname"], ["Client", "GetName", "x"], ["config", "get"],
    ["Command", "Count", "x"],
    ["FLUSHDB", "bogus"], ["FLUSHALL", "async", "x"], ["FLUSHALL", "x"], ["flushdb", "Async"],
    ["DBSIZE"], ["SET", "a", "1"], ["FLUSHALL", "SYNC"], ["DBSIZE"], ["SET", "a", "1"], ["FLUSHDB"],
    ["KEYS", "*"],
    ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "n1"],
    ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"], ["client", "setname", "A-b_c"],
    ["CLIENT", "getname"], ["CLIENT", "getname", "x"], ["CLIENT", "SETNAME", "\xe9"],
    ["CLIENT", "SETNAME", "a\nb"], ["CLIENT", "SETNAME"], ["CLIENT", "ID", "x"], ["CLIENT"],
    ["CLIENT", "NOSUCH"], ["CLIENT", ""],
    ["ECHO"], ["ECHO", "a", "b"], ["PING", "a", "b"], ["PING"], ["PING", "hi"], ["ping", "hi"],
    ["HELLO", "x"], ["HELLO", "1"], ["HELLO", "-1"], ["HELLO", "3.0"], ["HELLO", "4"],
    ["HELLO", "2", "AUTH"], ["HELLO", "2", "AUTH", "x"], ["HELLO", "2", "SETNAME"], ["HELLO", "2", "foo"],
    ["HELLO", "2", "SETNAME", "a b"], ["HELLO", "2", "AUTH", "nobody", "pw"],
    ["CONFIG"], ["CONFIG", "GET"], ["CONFIG", "GET", "save"], ["CONFIG", "GET", "SAVE"],
    ["CONFIG", "GET", "appendonly", "save"], ["CONFIG", "GET", "nosuch"], ["CONFIG", "NOSUCH"],
    ["COMMAND", "NOSUCH"], ["COMMAND", "COUNT", "x"], ["COMMAND", "INFO", "nosuchcommand"],
    ["NOSUCH"], ["nosuch", "a", "b"], ["NOSUCH", "x" * 200], ["NOSUCH", "x" * 100, "y" * 100, "z"],
    ["NOSUCH", "a\nb"], [""], ["INFO", "nosuch"], ["info", "x", "y", ""],
    ["INFO", ""], ["INFO", "*"],
]


MORE_STRINGS = [
    # STRLEN, APPEND, GETRANGE (SUBSTR), SETRANGE: offsets past the end,
    # negative, at Redis's 512 MB limit (proto-max-bulk-len), beyond 64 bits
    ["STRLEN", "s"], ["SET", "s", "hello"], ["STRLEN", "s"], ["STRLEN"], ["STRLEN", "a", "b"],
    ["APPEND", "s", " world"], ["GET", "s"], ["APPEND", "new", ""], ["EXISTS", "new"],
    ["APPEND", "new2", "x"], ["APPEND"], ["APPEND", "a"], ["SET", "s", "Hello World"],
    ["GETRANGE", "s", "0", "4"], ["GETRANGE", "s", "-5", "-1"], ["GETRANGE", "s", "-1", "-5"],
    ["GETRANGE", "s", "5", "3"], ["GETRANGE", "s", "0", "-100"], ["GETRANGE", "s", "-100", "-100"],
    ["GETRANGE", "s", "-100", "100"], ["GETRANGE", "s", "100", "200"], ["GETRANGE", "s", "0", I],
    ["GETRANGE", "s", M, I], ["GETRANGE", "s", "x", "1"], ["GETRANGE", "s", "1", "x"],
    ["GETRANGE", "nokey", "0", "1"], ["GETRANGE", "nokey", "x", "1"], ["GETRANGE", "s", "0"],
    ["GETRANGE", "s", "-3", "-4"], ["GETRANGE", "s", "-1", "-1"], ["SET", "e", ""],
    ["GETRANGE", "e", "0", "-1"], ["GETRANGE", "e", "-1", "0"], ["SUBSTR", "s", "1", "3"],
    ["SETRANGE", "s", "6", "Redis"], ["GET", "s"], ["SETRANGE", "s", "20", "x"], ["GET", "s"],
    ["SETRANGE", "s", "-1", "x"], ["SETRANGE", "s", "x", "x"], ["SETRANGE", "s", "-1", ""],
    ["SETRANGE", "nokey", "5", ""], ["EXISTS", "nokey"], ["SETRANGE", "nokey", "0", ""],
    ["SETRANGE", "nokey", "3", "ab"], ["GET", "nokey"], ["SETRANGE", "s", "0", ""],
    ["SETRANGE", "s", "536870912", "x"], ["SETRANGE", "s", "536870911", "xx"],
    ["SETRANGE", "s", "536870912", ""], ["SETRANGE", "z", "536870912", ""],
    ["SETRANGE", "z", "536870912", "a"], ["SETRANGE", "s", I, "x"],
    ["SETRANGE", "s", "99999999999999999999", "x"], ["SETRANGE", "s", "1"],
    # values changed in place by APPEND and SETRANGE: copied, renamed, counted on
    ["SET", "lg", "ab"], ["APPEND", "lg", "cd"], ["COPY", "lg", "lg2"], ["APPEND", "lg2", "ef"],
    ["SETRANGE", "lg", "1", "X"], ["GET", "lg"], ["GET", "lg2"], ["RENAME", "lg", "lg3"],
    ["APPEND", "lg3", "g"], ["GET", "lg3"], ["SET", "num", "1"], ["APPEND", "num", "5"], ["INCR", "num"],
    ["APPEND", "num", "0"], ["INCRBYFLOAT", "num", "0.5"], ["SETRANGE", "num", "0", "9"],
    ["INCRBY", "num", "1"], ["GETRANGE", "num", "0", "-1"], ["SETRANGE", "lg4", "3", "x"],
    ["APPEND", "lg4", "y"], ["SETRANGE", "lg4", "10", "z"], ["GET", "lg4"], ["STRLEN", "lg4"],
    ["SETRANGE", "lg4", "2", "abcdefghijklmnop"], ["MGET", "lg4", "lg3"], ["GETDEL", "lg4"], ["SET", "n", "10"],
    ["EXPIRE", "n", "100"], ["SETRANGE", "n", "0", "2"], ["TTL", "n"], ["APPEND", "n", "5"],
    ["TTL", "n"], ["GET", "n"], ["INCRBYFLOAT", "n", "0.5"], ["TTL", "n"],
    # INCRBYFLOAT: long double sums printed "%.17Lf", trimmed; what strtold
    # reads and what it refuses; overflow, subnormals, a rounding tie
    ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "0.2"], ["GET", "f"],
    ["INCRBYFLOAT", "f", "-0.3"], ["INCRBYFLOAT", "f", "1e300"], ["INCRBYFLOAT", "f", "-1e300"],
    ["INCRBYFLOAT", "g", "3.0e3"], ["INCRBYFLOAT", "g", "5.0e3"], ["INCRBYFLOAT", "g", "0x1p-2"],
    ["INCRBYFLOAT", "g", "inf"], ["INCRBYFLOAT", "g", "-inf"], ["INCRBYFLOAT", "g", "nan"],
    ["INCRBYFLOAT", "g", "infinity"], ["INCRBYFLOAT", "g", ""], ["INCRBYFLOAT", "g", " 1"],
    ["INCRBYFLOAT", "g", "1 "], ["INCRBYFLOAT", "g", "1e5000"], ["INCRBYFLOAT", "g", "1e-5000"],
    ["INCRBYFLOAT", "g", "1e-4940"], ["INCRBYFLOAT", "h", "1e-4940"], ["INCRBYFLOAT", "h2", "1e4932"],
    ["INCRBYFLOAT", "h2", "1e4932"], ["INCRBYFLOAT", "g", "abc"], ["INCRBYFLOAT", "g", "1.5e"],
    ["INCRBYFLOAT", "g", b"\x00"], ["INCRBYFLOAT", "g", b"2\x00x"], ["INCRBYFLOAT", "g", "+.5"],
    ["INCRBYFLOAT", "g", "5."], ["INCRBYFLOAT", "g", "."], ["INCRBYFLOAT", "g", "-0"],
    ["SET", "t", "0.000003814697265625"], ["INCRBYFLOAT", "t", "0"],
    ["INCRBYFLOAT", "t2", "0.000003814697265625"], ["INCRBYFLOAT", "t3", "-0.000000000000000001"],
    ["INCRBYFLOAT", "t4", "1234567890123456789.123"], ["INCRBYFLOAT", "t5", "0.1"],
    ["INCRBYFLOAT", "t5", "0.1"], ["INCRBYFLOAT", "t5", "0.1"], ["SET", "w", "abc"],
    ["INCRBYFLOAT", "w", "1"], ["SET", "w", ""], ["INCRBYFLOAT", "w", "1"], ["SET", "w", " 1"],
    ["INCRBYFLOAT", "w", "1"], ["INCRBYFLOAT", "w", "x"], ["SET", "w", I], ["INCRBYFLOAT", "w", "1"],
    ["INCRBYFLOAT", "w2", "1" * 5119], ["INCRBYFLOAT", "w2", "1" * 5120],
    ["INCRBYFLOAT", "w3", "0." + "0" * 5000 + "1"], ["INCRBYFLOAT", "w4", "1e99999999999999999999"],
    ["INCRBYFLOAT", "w4", "0e99999999999999999999"], ["INCRBYFLOAT", "w4", "-1e-99999999999999"],
    ["INCRBYFLOAT"], ["INCRBYFLOAT", "a"], ["INCRBYFLOAT", "a", "1", "2"],
    ["INCRBYFLOAT", "big", "1.18973149535723176502e+4932"],
    ["INCRBYFLOAT", "big2", "1.18973149535723176509e+4932"],
    ["INCRBYFLOAT", "hx", "0x1.fffffffffffffffep16383"],
    ["INCRBYFLOAT", "hx2", "0x1.ffffffffffffffffp16383"], ["INCRBYFLOAT", "hx3", "0x1p-16445"],
    ["INCRBYFLOAT", "hx4", "0x1p-16446"], ["INCRBYFLOAT", "hx5", "0x1.8p-16446"],
    # GETDEL, GETEX (the key looked up before its number is read), SETNX,
    # SETEX, PSETEX, MSETNX, GETSET, TYPE, RENAME, RENAMENX, COPY (DB 0)
    ["GETDEL", "s"], ["GETDEL", "s"], ["GETDEL"], ["GETDEL", "a", "b"], ["SET", "x", "1"],
    ["GETEX", "x"], ["GETEX", "x", "EX", "100"], ["TTL", "x"], ["GETEX", "x", "PERSIST"], ["TTL", "x"],
    ["GETEX", "x", "PX", "100000"], ["PTTL", "x"], ["GETEX", "x", "EX", "0"],
    ["GETEX", "x", "EX", "-1"], ["GETEX", "x", "EX", "x"], ["GETEX", "nokey", "EX", "x"],
    ["GETEX", "nokey", "BAD"], ["GETEX", "x", "BAD"], ["GETEX", "x", "EX"],
    ["GETEX", "x", "EX", "10", "PX", "10"], ["GETEX", "x", "EX", "10", "EX", "20"], ["TTL", "x"],
    ["GETEX", "x", "PERSIST", "EX", "10"], ["GETEX", "x", "EX", "10", "PERSIST"],
    ["GETEX", "x", "PERSIST", "PERSIST"], ["GETEX", "x", "KEEPTTL"], ["GETEX", "x", "NX"],
    ["GETEX", "x", "GET"], ["GETEX", "x", "EXAT", "1"], ["EXISTS", "x"], ["SET", "x", "1"],
    ["GETEX", "x", "PXAT", I], ["GETEX", "x", "EX", I], ["GETEX", "x", "EX", "9223372036854775"],
    ["GETEX", "x", "EX", "9223372036854776"], ["GETEX", "x", "PX", I], ["GETEX"], ["SETNX", "k", "1"],
    ["SETNX", "k", "2"], ["GET", "k"], ["SETNX", "k"], ["SETEX", "k", "100", "v"], ["TTL", "k"],
    ["SETEX", "k", "0", "v"], ["SETEX", "k", "-1", "v"], ["SETEX", "k", "x", "v"],
    ["SETEX", "k", "9223372036854776", "v"], ["PSETEX", "k", "100000", "v"], ["PTTL", "k"],
    ["PSETEX", "k", "0", "v"], ["PSETEX", "k", I, "v"], ["SETEX", "k", "1"], ["PSETEX", "k"],
    ["SETNX", "k", "v", "x"], ["MSETNX", "a", "1", "b", "2"], ["MSETNX", "a", "1", "c", "3"],
    ["EXISTS", "c"], ["MSETNX", "d", "1", "d", "2"], ["GET", "d"], ["MSETNX", "a"],
    ["MSETNX", "q", "1", "r"], ["MSETNX"], ["SET", "k", "v", "EX", "100"], ["GETSET", "k", "w"],
    ["TTL", "k"], ["GETSET", "nokey2", "w"], ["GETSET", "k"], ["TYPE", "k"], ["TYPE", "nokey9"],
    ["TYPE"], ["SET", "r", "1", "EX", "100"], ["RENAME", "r", "r2"], ["TTL", "r2"], ["EXISTS", "r"],
    ["RENAME", "r", "r3"], ["RENAME", "r2", "r2"], ["RENAMENX", "r2", "r2"], ["RENAMENX", "nokey", "x"],
    ["SET", "r", "2"], ["RENAMENX", "r", "r2"], ["RENAME", "r", "r2"], ["TTL", "r2"], ["GET", "r2"],
    ["SET", "r", "3"], ["RENAMENX", "r", "r4"], ["GET", "r4"], ["RENAME"], ["RENAME", "a"],
    ["RENAMENX", "a", "b", "c"], ["SET", "c1", "v", "EX", "100"], ["COPY", "c1", "c2"], ["TTL", "c2"],
    ["COPY", "c1", "c2"], ["COPY", "c1", "c2", "REPLACE"], ["COPY", "c1", "c1"],
    ["COPY", "nokey", "c1"], ["COPY", "c1", "c3", "DB", "0"], ["COPY", "c1", "c4", "DB", "x"],
    ["COPY", "c1", "c5", "DB"], ["COPY", "c1", "c5", "BAD"], ["COPY", "c1", "c6", "DB", "2147483648"],
    ["COPY", "c1", "c1", "DB", "0"], ["COPY", "nokey", "nokey"],
    ["COPY", "c1", "c7", "replace", "db", "0", "REPLACE"], ["COPY", "c1"], ["SET", "p", "1"],
    ["COPY", "c1", "p", "REPLACE"], ["TTL", "p"], ["COPY", "p", "c1", "REPLACE"], ["TTL", "c1"],
    ["COPY", "c1", "c8", "DB", "-1"], ["COPY", "c1", "c8", "DB", "16"], ["COPY", "c1", "c8", "DB", "00"],
    # a key past its deadline is not there for any of them
    ["SET", "old", "abc", "PXAT", "1"], ["STRLEN", "old"], ["SET", "old", "abc", "PXAT", "1"],
    ["APPEND", "old", "d"], ["TTL", "old"], ["SET", "old", "abc", "PXAT", "1"],
    ["GETRANGE", "old", "0", "-1"], ["SETRANGE", "old", "1", "x"], ["GET", "old"],
    ["SET", "old", "1", "PXAT", "1"], ["INCRBYFLOAT", "old", "1.5"], ["SET", "old", "1", "PXAT", "1"],
    ["GETDEL", "old"], ["GETEX", "old", "PERSIST"], ["SETNX", "old", "2"], ["TTL", "old"],
    ["SET", "old", "1", "PXAT", "1"], ["MSETNX", "old", "3", "new3", "4"], ["GET", "old"],
    ["SET", "old", "1", "PXAT", "1"], ["RENAME", "old", "r5"], ["COPY", "old", "r5"],
    ["SET", "old", "1", "PXAT", "1"], ["RENAME", "r4", "old"], ["TTL", "old"], ["TYPE", "old"],
    ["SET", "old", "1", "PXAT", "1"], ["COPY", "old", "old"], ["COPY", "r4", "old"], ["GETSET", "old", "5"],
    ["SCAN", "x"], ["SCAN", "-"], ["SCAN", "18446744073709551616"], ["SCAN", " 0"],
    ["SCAN", "0", "COUNT", "0"], ["SCAN", "0", "COUNT", "x"], ["SCAN", "0", "COUNT"],
    ["SCAN", "0", "BAD", "x"], ["SCAN", "0", "MATCH"], ["SCAN", "x", "BAD"],
    ["SCAN", "0", "COUNT", "-1"], ["SCAN", "0", "TYPE", "list", "COUNT", "0"], ["SCAN"],
]


TRANSACTIONS = [
    # MULTI ... EXEC: QUEUED, then the replies as one array, errors among them
    ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["MGET", "a", "nokey"], ["EXEC"],
    ["MULTI"], ["EXEC"], ["multi"], ["set", "a", "x"], ["INCR", "a"], ["APPEND", "a", "y"],
    ["GET", "a"], ["GETDEL", "nokey"], ["exec"], ["GET", "a"],
    # refused while queueing (unknown, wrong arity): EXECABORT, nothing runs
    ["MULTI"], ["SET", "b", "1"], ["NOSUCH", "x"], ["SET", "b", "2"], ["EXEC"], ["GET", "b"],
    ["MULTI"], ["SET", "b"], ["EXEC"], ["MULTI"], ["MULTI", "x"], ["EXEC"], ["MULTI"],
    ["DISCARD", "x"], ["EXEC"], ["MULTI"], ["WATCH"], ["EXEC"], ["MULTI"], ["UNWATCH", "x"], ["EXEC"],
    ["MULTI"], ["GET"], ["DISCARD"], ["EXEC"],
    # EXEC with arguments ends the transaction, whatever came before
    ["MULTI"], ["SET", "b", "3"], ["EXEC", "x"], ["EXEC"], ["GET", "b"], ["EXEC", "x"],
    ["MULTI"], ["NOSUCH"], ["EXEC", "x", "y"], ["DISCARD"],
    # not nested; without MULTI; WATCH refused inside (neither aborts)
    ["MULTI"], ["MULTI"], ["SET", "b", "4"], ["WATCH", "b"], ["EXEC"], ["GET", "b"],
    ["EXEC"], ["DISCARD"], ["Exec"], ["discard"], ["UNWATCH"], ["WATCH"],
    ["MULTI"], ["SET", "b", "5"], ["DISCARD"], ["GET", "b"], ["DISCARD"],
    # what clients say inside: HELLO switches the protocol mid-EXEC, nils
    # follow it; UNWATCH, PING, CLIENT, CONFIG, SELECT, FLUSHDB are queued
    ["MULTI"], ["GET", "nokey"], ["PING"], ["ECHO", "e"], ["CLIENT", "SETNAME", "t"],
    ["CLIENT", "GETNAME"], ["CONFIG", "GET", "save"], ["SELECT", "0"], ["SELECT", "x"],
    ["UNWATCH"], ["DBSIZE"], ["TYPE", "a"], ["EXEC"],
    ["MULTI"], ["SET", "c", "1", "EX", "100"], ["PERSIST", "c"], ["TTL", "c"], ["RENAME", "c", "d"],
    ["COPY", "d", "e"], ["EXISTS", "c", "d", "e"], ["FLUSHDB"], ["DBSIZE"], ["EXEC"],
    # WATCH: a change by this client too (SET, APPEND "", INCRBY 0, EXPIRE,
    # DEL, FLUSHALL of a key there) makes EXEC answer nil and forget the keys
    ["SET", "w", "1"], ["WATCH", "w"], ["SET", "w", "1"], ["MULTI"], ["SET", "x", "1"], ["EXEC"],
    ["GET", "x"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["APPEND", "w", ""], ["MULTI"], ["EXEC"], ["WATCH", "w"], ["INCRBY", "w", "0"],
    ["MULTI"], ["EXEC"], ["WATCH", "w", "w", "nokey"], ["EXPIRE", "w", "100"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["DEL", "w"], ["MULTI"], ["EXEC"], ["SET", "w", "1"], ["WATCH", "w"],
    ["FLUSHALL"], ["MULTI"], ["EXEC"], ["WATCH", "nokey2"], ["SET", "nokey2", "v"], ["MULTI"], ["EXEC"],
    ["SET", "w", "1"], ["WATCH", "w"], ["RENAME", "w", "w2"], ["MULTI"], ["EXEC"],
    ["WATCH", "w2"], ["COPY", "x", "w2", "REPLACE"], ["MULTI"], ["EXEC"],
    ["WATCH", "w2"], ["GETEX", "w2", "EX", "100"], ["MULTI"], ["EXEC"],
    ["WATCH", "w2"], ["GETEX", "w2", "PERSIST"], ["MULTI"], ["EXEC"],
    ["WATCH", "w2"], ["SETRANGE", "w2", "0", "z"], ["MULTI"], ["EXEC"],
    # ... and what changes nothing does not (SET NX, GETEX and PERSIST of
    # nothing, SETRANGE "", DEL and FLUSHALL of no key, RENAME to itself,
    # EXPIRE GT refused, MSETNX refused, reads); UNWATCH, DISCARD, a failed
    # EXEC and EXEC x forget the keys
    ["SET", "w", "1"], ["WATCH", "w", "nokey"], ["SET", "w", "2", "NX"], ["GETEX", "w"],
    ["PERSIST", "w"], ["GETEX", "w", "PERSIST"], ["SETRANGE", "w", "0", ""], ["DEL", "nokey"],
    ["RENAME", "w", "w"], ["EXPIRE", "w", "100", "GT"], ["MSETNX", "w", "3"], ["GET", "w"],
    ["TTL", "w"], ["EXISTS", "w"], ["MULTI"], ["GET", "w"], ["EXEC"],
    ["WATCH", "nokey"], ["FLUSHALL"], ["DEL", "nokey"], ["MULTI"], ["EXEC"],
    ["SET", "w", "1"], ["WATCH", "w"], ["SET", "w", "2"], ["UNWATCH"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["MULTI"], ["DISCARD"], ["SET", "w", "3"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["SET", "w", "4"], ["MULTI"], ["EXEC"], ["SET", "w", "5"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["EXEC", "x"], ["SET", "w", "6"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["MULTI"], ["NOSUCH"], ["EXEC"], ["SET", "w", "7"], ["MULTI"], ["EXEC"],
    # a dirty session stays dirty through another WATCH; EXECABORT comes first
    ["WATCH", "w"], ["SET", "w", "8"], ["WATCH", "other"], ["MULTI"], ["EXEC"],
    ["WATCH", "w"], ["SET", "w", "9"], ["MULTI"], ["NOSUCH"], ["EXEC"], ["MULTI"], ["EXEC"],
    # a key past its deadline when watched: its dropping is no change
    # (a read drops it); its writing is one
    ["SET", "gone", "v", "PXAT", "1"], ["WATCH", "gone"], ["GET", "gone"], ["MULTI"], ["EXEC"],
    ["SET", "gone", "v", "PXAT", "1"], ["WATCH", "gone"], ["MULTI"], ["EXEC"],
    ["SET", "gone", "v", "PXAT", "1"], ["WATCH", "gone"], ["FLUSHALL"], ["MULTI"], ["EXEC"],
    ["SET", "gone", "v", "PXAT", "1"], ["WATCH", "gone"], ["SET", "gone", "w"], ["MULTI"], ["EXEC"],
    ["MULTI"], ["SET", "gone", "v", "PXAT", "1"], ["GET", "gone"], ["EXEC"],
]


@pytest.mark.parametrize("script", [STRINGS, EXPIRY, KEYS_AND_SERVER, MORE_STRINGS, TRANSACTIONS],
                         ids=["strings", "expiry", "keys-and-server", "more-strings", "transactions"])
@pytest.mark.parametrize("protocol", [2, 3])
def test_scripted_commands_reply_as_redis(pair, script, protocol):
    """Every command kv.py implements, with its options, conflicts, limits
    and wrong arities: the same reply bytes as redis-server's, one at a
    time and then all of them again as one pipeline."""
    if protocol == 3:
        theirs, mine = pair.same([["HELLO", "3"]])
        assert decoded(theirs[0])[b"proto"] == decoded(mine[0])[b"proto"] == 3
    for command in script:
        assert_same(pair, [command])
    assert_same(pair, [["FLUSHALL"]] + script)


def test_hello_answers_the_same_fields(pair):
    """HELLO's reply: the same keys in the same order, in RESP2 and RESP3;
    the values differ only in server, version and id."""
    for command in (["HELLO"], ["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "x"],
                    ["HELLO", "3"], ["HELLO"], ["HELLO", "2"]):
        theirs, mine = pair.same([command])
        real, got = decoded(theirs[0]), decoded(mine[0])
        if isinstance(real, list):          # RESP2: a flat list of names and values
            real, got = dict(zip(real[::2], real[1::2])), dict(zip(got[::2], got[1::2]))
        assert list(real) == list(got), command
        for field in (b"server", b"version", b"id"):
            del real[field], got[field]
        assert real == got, command
        assert theirs[0][:1] == mine[0][:1], command
    theirs, mine = pair.same([["CLIENT", "GETNAME"]])
    assert theirs == mine == [b"$1\r\nx\r\n"]


# ================================================================ the wire

INLINE = [
    b'SET a "b c"\r\nGET a\r\n', b"ECHO 'a\\'b'\r\n", b'ECHO "\\x4g"\r\n', b'ECHO "\\xZZ"\r\n',
    b'ECHO "\\t\\r\\n\\b\\a\\\\"\r\n', b"  PING   \r\n", b"set k v ex 10\r\nttl k\r\n",
    b'ECHO "\\xff\\x00"\r\n', b"ECHO ''\r\n", b'ECHO ""\r\n', b"ECHO a\tb\r\n",
    b'ECHO "a\\"b"\r\n', b"ECHO \\x41\r\n", b"GET\r\n", b"\r\nPING\n", b"gEt a\r\nInCr a\r\n",
    b"SET k v\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nGET k\r\n", b"*1\r\n$0\r\n\r\n", b"*-5\r\nPING\r\n",
    b"*2\r\n$4\r\nPING\r\n$-1\r\n", b'ECHO "abc\r\n', b"ECHO 'abc\r\n", b'ECHO "a""b"\r\n',
    b"ECHO 'a'b\r\n", b"QUIT\r\nPING\r\n", b"quit extra\r\nPING\r\n", b"*1\r\n:1\r\n",
    b"*1\r\n$ 1\r\nx\r\n", b"*1\r\n$+1\r\nx\r\n",
    # QUIT is not queued after MULTI: it answers and closes; a transaction inline
    b"MULTI\r\nSET q 1\r\nQUIT\r\nEXEC\r\n", b"multi\r\nincr q\r\nget q\r\nexec\r\nexec\r\n",
    # a protocol error inside a transaction: the queued commands never run
    b"MULTI\r\nSET q 1\r\n*1\r\n$x\r\nEXEC\r\n",
    # a pipeline mixing good and bad commands, then a protocol error
    b"SET x 1\r\nBOGUS\r\nINCR x\r\nIncr x y\r\nGET x\r\nSET x\r\nDEL x x\r\n*1\r\n$x\r\nPING\r\n",
]


@pytest.mark.parametrize("data", INLINE)
@pytest.mark.parametrize("protocol", [2, 3])
def test_inline_commands_and_pipelines_reply_as_redis(redis, ours, data, protocol):
    """What a telnet user or a pipelining client sends, then a half-close:
    the same bytes back from both, up to the same close (after HELLO 3,
    whose own reply is left out: it names the server)."""
    got = []
    for family, address in (socket.AF_UNIX, redis), (socket.AF_INET, ("127.0.0.1", ours)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(10)
        try:
            sock.connect(address)
            sock.sendall((b"HELLO 3\r\n" if protocol == 3 else b"") + b"FLUSHALL\r\n" + data)
            sock.shutdown(socket.SHUT_WR)
            replies = _split_replies(read_to_end(sock))
            if protocol == 3:
                assert replies[0].startswith(b"%7\r\n")
            got.append(b"".join(replies[protocol - 2:]))
        finally:
            sock.close()
    assert got[0] == got[1]


# ================================================================ seeded random sequences

KEYS = ["a", "b", "n", "", b"\x00\xff", "K"]
VALUES = ["1", "0", "-1", "v", "", "01", "1.5", " 2", str(INT_MAX), str(INT_MIN), str(INT_MAX - 1),
          str(INT_MIN + 1), "9223372036854775808", b"\x00\xfe", "x" * 300]
FLOATS = ["0.1", "-0.3", "1e3", "3.0e-5", "0x10", "inf", "-inf", "1e4932", "-1.5", "nan", " 1"]
OFFSETS = ["0", "1", "-1", "3", "-100", "100", "x", str(INT_MAX), str(INT_MIN)]
NUMBERS = ["0", "1", "-1", "5", "100", "-100", str(INT_MAX), str(INT_MIN), "abc", "", "1.0",
           "+1", "9223372036854775808", "4611686018427387904"]


def _random_command(rng):
    key = rng.choice(KEYS)
    name = rng.choice(["SET", "SET", "GET", "GET", "INCR", "DECR", "INCRBY", "DECRBY", "DEL",
                       "UNLINK", "EXISTS", "MGET", "MSET", "EXPIRE", "PEXPIRE", "TTL", "PTTL",
                       "PERSIST", "KEYS", "DBSIZE", "ECHO", "PING", "FLUSHDB", "SELECT",
                       "STRLEN", "APPEND", "GETRANGE", "SETRANGE", "INCRBYFLOAT", "INCRBYFLOAT",
                       "GETDEL", "GETEX", "GETSET", "SETNX", "SETEX", "PSETEX", "MSETNX", "TYPE",
                       "RENAME", "RENAMENX", "COPY", "EXPIREAT", "PEXPIREAT", "EXPIRETIME",
                       "PEXPIRETIME", "TOUCH"])
    if name == "SET":
        args = [key, rng.choice(VALUES)]
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            option = rng.choice(["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "BAD"])
            args.append(option)
            if option in ("EX", "PX", "EXAT", "PXAT") and rng.random() < 0.9:
                args.append(rng.choice(
                    {"EX": ["100", "1000", "0", "-1", "x", str(INT_MAX)],
                     "PX": ["200000", "3000000", "0", "-5", "1e3"],
                     "EXAT": ["1", "99999999999", "0", "-2"],
                     "PXAT": ["1", "99999999999999", str(INT_MAX), "0"]}[option]))
    elif name in ("INCRBY", "DECRBY"):
        args = [key, rng.choice(NUMBERS)]
    elif name == "INCRBYFLOAT":
        args = [key, rng.choice(FLOATS + NUMBERS)]
    elif name in ("GETRANGE", "SETRANGE"):
        args = [key, rng.choice(OFFSETS)]
        args.append(rng.choice(OFFSETS) if name == "GETRANGE" else rng.choice(VALUES))
    elif name == "GETEX":
        args = [key] + rng.choice([[], ["PERSIST"], ["EX", "100"], ["PX", "-5"], ["EXAT", "1"],
                                   ["PXAT", "99999999999999"], ["EX", "x"], ["BAD"], ["EX"]])
    elif name in ("SETEX", "PSETEX"):
        args = [key, rng.choice(["100", "200000", "0", "-1", "x"]), rng.choice(VALUES)]
    elif name in ("APPEND", "GETSET", "SETNX"):
        args = [key, rng.choice(VALUES)]
    elif name in ("RENAME", "RENAMENX", "COPY"):
        args = [key, rng.choice(KEYS)] + (["REPLACE"] if name == "COPY" and rng.random() < 0.5 else [])
    elif name in ("EXPIRE", "PEXPIRE"):
        number = rng.choice(["1000", "5000", "200000", "-1", "0", "x", str(INT_MAX), str(INT_MIN)])
        args = [key, number] + rng.sample(["NX", "XX", "GT", "LT", "nx", "BAD"], rng.choice([0, 0, 1, 1, 2]))
    elif name in ("EXPIREAT", "PEXPIREAT"):
        number = rng.choice(["1", "0", "-1", "99999999999", "99999999999999", "x", str(INT_MAX), str(INT_MIN)])
        args = [key, number] + rng.sample(["NX", "XX", "GT", "LT", "BAD"], rng.choice([0, 0, 1, 2]))
    elif name in ("DEL", "UNLINK", "EXISTS", "MGET", "TOUCH"):
        args = [rng.choice(KEYS) for _ in range(rng.randrange(0, 4))]
    elif name in ("MSET", "MSETNX"):
        args = [rng.choice(KEYS + VALUES) for _ in range(rng.randrange(0, 6))]
    elif name == "KEYS":
        args = [rng.choice(["*", "?", "[ab]", "[^a]*", "*\\*", "", "n*", "\\a"])]
    elif name == "SELECT":
        args = [rng.choice(["0", "00", "x", "-1", ""])]
    elif name in ("ECHO", "PING"):
        args = [rng.choice(VALUES)] * rng.randrange(0, 3)
    elif name in ("DBSIZE", "FLUSHDB"):
        args = [] if rng.random() < 0.8 else ["x"]
    else:
        args = [key]
    if rng.random() < 0.03:                 # now and then, a wrong arity
        args = args[:-1] if args and rng.random() < 0.5 else args + ["extra"]
    if rng.random() < 0.2:
        name = "".join(rng.choice([c.lower(), c]) for c in name)
    return [name] + args


#: Commands whose replies are compared with a tolerance (assert_same):
#: not inside a transaction, whose EXEC reply is compared as bytes.
NOT_IN_EXEC = {"KEYS", "TTL", "PTTL", "DBSIZE", "EXPIRETIME", "PEXPIRETIME"}


def _random_transaction(rng):
    """WATCH now and then, a command or two (which may change a watched
    key), MULTI, a few commands, then EXEC, DISCARD or (rarely) EXEC x."""
    commands = []
    if rng.random() < 0.5:
        commands.append(["WATCH"] + rng.sample(KEYS, rng.randrange(1, 3)))
    commands += [_random_command(rng) for _ in range(rng.choice([0, 0, 1, 2]))]
    commands.append(["MULTI"])
    while len(commands) < 12 and rng.random() < 0.8:
        command = _random_command(rng)
        if command[0].upper() not in NOT_IN_EXEC:
            commands.append(command)
    commands.append(rng.choice([["EXEC"]] * 6 + [["DISCARD"], ["exec"], ["EXEC", "x"]]))
    return commands


@pytest.mark.parametrize("protocol", [2, 3])
def test_random_command_sequences_reply_as_redis(pair, protocol):
    """2000 commands from a seeded generator -- keys that collide, values
    at the integer limits and beside them, options in every order, a wrong
    arity now and then, transactions (WATCH, MULTI ... EXEC or DISCARD)
    -- sent in pipelines of up to 30: each reply the same bytes as
    redis-server's.  (``KV_SEED=n`` in the environment tries another seed.)"""
    rng = random.Random(int(os.environ.get("KV_SEED", 1000)) + protocol)
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    send_random(pair, rng, 2000, 30, _random_command, _random_transaction)


def send_random(pair, rng, total, most, command, transaction):
    """Send ``total`` commands or more, made by ``command(rng)`` -- and now
    and then (3 in 100) a transaction, ``transaction(rng)`` -- in pipelines
    of 1 to ``most`` - 1, each reply checked against redis-server's."""
    sent = []
    while len(sent) < total:
        batch = []
        for _ in range(rng.randrange(1, most)):
            if rng.random() < 0.03:
                batch += transaction(rng)
            else:
                batch.append(command(rng))
        assert_same(pair, batch, sent)
        sent += batch



@pytest.mark.parametrize("command", ["CLIENT", "CONFIG", "COMMAND"])
def test_help_answers_as_redis_for_the_subcommands_we_have(pair, command):
    """``CLIENT NOSUCH`` says "Try CLIENT HELP."; HELP answers, framed as
    Redis frames it (the same first and last lines), its other lines
    Redis's own for the subcommands we have, in Redis's order."""
    theirs, mine = pair.same([[command, "NOSUCH"], [command, "help"], [command, "HELP", "x"]])
    assert mine[0] == theirs[0]
    assert mine[2] == theirs[2] == b"-ERR wrong number of arguments for '%s|help' command\r\n" \
        % command.lower().encode()
    real, got = decoded(theirs[1]), decoded(mine[1])
    assert got[:1] == real[:1] and got[-2:] == real[-2:] == ["HELP", "    Prints this help."]
    assert len(got) > 3
    lines = iter(real)
    assert all(line in lines for line in got), got      # a subsequence of Redis's
    assert mine[1].count(b"\r\n+") == len(got)           # status lines, as Redis sends them


# ================================================================ SCAN: its promise, not its bytes

def _scan_all(sock_pair, index, options=(), between=None, scan=(b"SCAN",)):
    """A whole SCAN iteration on one of the pair's servers: the keys
    returned (a list, repeats kept) and the number of calls; ``between(n)``
    runs after the n-th call (it may add and delete keys).  ``scan``: the
    command before the cursor (``(b"HSCAN", key)`` ...)."""
    returned, cursor, calls = [], b"0", 0
    while True:
        command = encode_command(*scan, cursor, *options)
        sock = sock_pair.socks[index]
        sock.sendall(command)
        (reply,) = Pair._read(sock, 1)
        cursor, keys = decoded(reply)
        returned += keys
        calls += 1
        assert calls < 10000, "SCAN does not end"
        if cursor == b"0":
            return returned, calls
        if between is not None:
            between(calls)


def _send(pair, index, *commands):
    sock = pair.socks[index]
    sock.sendall(b"".join(encode_command(*words(command)) for command in commands))
    return Pair._read(sock, len(commands))


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("server", ["redis", "ours"])
def test_scan_returns_every_key_there_for_the_whole_iteration(pair, server, protocol):
    """SCAN's replies come in Redis's hash-table order, which we do not
    copy: this test checks what Redis promises instead, on both servers
    alike.  A full iteration (until the cursor 0) returns every key there
    from its start to its end at least once -- while other keys are
    deleted and added between the calls -- and nothing that was never
    there; MATCH, TYPE and COUNT filter and bound as Redis's do."""
    index = 0 if server == "redis" else 1
    if protocol == 3:
        _send(pair, index, ["HELLO", "3"])
    _send(pair, index, ["MSET"] + [b"k%d" % i if j == 0 else b"v" for i in range(400) for j in (0, 1)])
    _send(pair, index, ["SET", "gone", "v", "PXAT", "1"])       # past its deadline: never returned
    everything = {b"k%d" % i for i in range(400)}
    assert set(_scan_all(pair, index)[0]) == everything

    # Keys deleted and keys added between the calls: every key untouched
    # is returned; a key returned was there at some moment.
    deleted = {b"k%d" % i for i in range(0, 400, 3)}
    added = set()

    def churn(call):
        victims = sorted(deleted)[call * 4:call * 4 + 4]
        fresh = [b"new%d-%d" % (call, i) for i in range(6)]
        added.update(fresh)
        _send(pair, index, ["DEL"] + victims, ["MSET"] + [x for key in fresh for x in (key, b"v")])
    returned, calls = _scan_all(pair, index, ["COUNT", "7"], churn)
    assert calls > 10
    assert everything - deleted <= set(returned)
    assert set(returned) <= everything | added

    # MATCH and TYPE filter; a COUNT beyond the keys answers in one call.
    _send(pair, index, ["FLUSHALL"], ["MSET", "kx", "1", "ky", "2", "other", "3", "k", "4"])
    assert sorted(_scan_all(pair, index, ["MATCH", "k?"])[0]) == [b"kx", b"ky"]
    assert sorted(_scan_all(pair, index, ["MATCH", "k*", "COUNT", "1"])[0]) == [b"k", b"kx", b"ky"]
    assert sorted(_scan_all(pair, index, ["TYPE", "STRING"])[0]) == [b"k", b"kx", b"ky", b"other"]
    assert _scan_all(pair, index, ["TYPE", "list", "MATCH", "*"])[0] == []
    assert _scan_all(pair, index, ["TYPE", "nosuchtype"])[0] == []        # 7.0: no error
    returned, calls = _scan_all(pair, index, ["COUNT", "1000"])
    assert calls == 1 and sorted(returned) == [b"k", b"kx", b"ky", b"other"]
    _send(pair, index, ["FLUSHALL"])
    assert _scan_all(pair, index) == ([], 1)


def test_scan_cursor_survives_a_keyspace_many_times_rewritten(redis, ours):
    """Our cursor is a place in the order the keys were created: with
    far more keys made and deleted between the calls than there are (the
    order compacted meanwhile), a key there all along is still returned,
    and the iteration ends -- the keys made after it began are not waited
    for."""
    both = Pair(redis, ours)
    try:
        stay = [b"stay%d" % i for i in range(50)]
        _send(both, 1, ["FLUSHALL"], ["MSET"] + [x for key in stay for x in (key, b"v")])

        def churn(call):
            fresh = [b"t%d-%d" % (call, i) for i in range(300)]
            _send(both, 1, ["MSET"] + [x for key in fresh for x in (key, b"v")], ["DEL"] + fresh[1:])
        returned, calls = _scan_all(both, 1, ["COUNT", "2", "MATCH", "stay*"], churn)
        assert set(returned) == set(stay)
        assert 10 < calls < 50          # compacted many times over; and it ended
    finally:
        both.close()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_redis_cli_scan_lists_the_matching_keys(redis, ours):
    """``redis-cli --scan --pattern 'k*'`` -- a real client's loop over
    SCAN cursors -- lists the same keys from both servers."""
    both = Pair(redis, ours)
    try:
        keys = [b"k%d" % i for i in range(250)] + [b"other%d" % i for i in range(50)]
        for index in (0, 1):
            _send(both, index, ["FLUSHALL"], ["MSET"] + [x for key in keys for x in (key, b"1")])
    finally:
        both.close()
    listed = []
    for where in (["-s", redis], ["-p", str(ours)]):
        result = subprocess.run(["redis-cli"] + where + ["--scan", "--pattern", "k*"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        assert result.returncode == 0 and result.stderr == b"", result
        listed.append(sorted(set(result.stdout.split())))
    assert listed[0] == listed[1] == sorted(key for key in keys if key.startswith(b"k"))


# ================================================================ transactions between clients

def _both_send(pair, *commands):
    """``commands`` to both servers on ``pair``'s connections; the two
    lists of raw replies, which must be the same bytes."""
    theirs, mine = pair.same([words(command) for command in commands])
    assert mine == theirs, commands
    return mine


def _wait_until_gone(pair, key):
    """Until ``key`` (set to expire soon) has expired on both servers."""
    for _ in range(1000):
        theirs, mine = pair.same([["PTTL", key]])
        if theirs == mine == [b":-2\r\n"]:
            return
        threading.Event().wait(0.005)   # (real time must pass: the servers' own clocks)
    raise AssertionError("%r never expired" % key)


@pytest.mark.parametrize("protocol", [2, 3])
def test_watch_sees_other_clients_changes_and_expiry(redis, ours, protocol):
    """Two connections to each server.  What one WATCHes the other changes:
    EXEC answers nil (``*-1``, RESP3 ``_``) and runs nothing; a read or a
    change of another key is no change; a watched key that expires before
    EXEC -- not read by anyone, so dropped by the servers' sweeps or not at
    all -- fails it too.  Then optimistic locking as redis-py's
    ``transaction(func, key)`` does it: two clients increment a counter by
    WATCH, GET, MULTI, SET, EXEC, retrying on nil -- one retry, the counter
    right.  Every reply the same bytes on both servers."""
    one, other = Pair(redis, ours), Pair(redis, ours)
    try:
        if protocol == 3:
            one.same([["HELLO", "3"]])
        _both_send(one, ["FLUSHALL"], ["SET", "k", "1"], ["WATCH", "k"])
        _both_send(other, ["SET", "k", "2"])
        replies = _both_send(one, ["MULTI"], ["INCR", "k"], ["EXEC"], ["GET", "k"])
        assert replies[2] == (b"_\r\n" if protocol == 3 else b"*-1\r\n")
        _both_send(one, ["WATCH", "k", "nokey"])
        _both_send(other, ["GET", "k"], ["SET", "k2", "x"], ["DEL", "nokey"], ["EXPIRE", "nokey", "5"])
        assert _both_send(one, ["MULTI"], ["INCR", "k"], ["EXEC"])[2] == b"*1\r\n:3\r\n"
        _both_send(one, ["WATCH", "nokey"])
        _both_send(other, ["SET", "nokey", "now"])
        _both_send(one, ["MULTI"], ["GET", "nokey"], ["EXEC"])
        _both_send(one, ["WATCH", "k"])
        _both_send(other, ["FLUSHDB"])
        _both_send(one, ["MULTI"], ["GET", "k"], ["EXEC"])

        # Expiry: "e" goes first, then "marker"; once "marker" is gone, so is "e".
        _both_send(one, ["SET", "e", "v", "PX", "200"], ["WATCH", "e"], ["SET", "marker", "v", "PX", "220"])
        _wait_until_gone(other, "marker")
        assert _both_send(one, ["MULTI"], ["SET", "x", "1"], ["EXEC"], ["EXISTS", "x"])[3] == b":0\r\n"

        # Two optimistic increments, interleaved: the second one retries.
        _both_send(one, ["SET", "counter", "10"])
        first = _both_send(one, ["WATCH", "counter"], ["GET", "counter"])
        second = _both_send(other, ["WATCH", "counter"], ["GET", "counter"])
        assert first[1] == second[1] == b"$2\r\n10\r\n"
        assert _both_send(other, ["MULTI"], ["SET", "counter", "11"], ["EXEC"])[2] == b"*1\r\n+OK\r\n"
        assert _both_send(one, ["MULTI"], ["SET", "counter", "11"], ["EXEC"])[2] != b"*1\r\n+OK\r\n"
        retry = _both_send(one, ["WATCH", "counter"], ["GET", "counter"], ["MULTI"],
                           ["SET", "counter", "12"], ["EXEC"], ["GET", "counter"])
        assert retry[4] == b"*1\r\n+OK\r\n" and retry[5] == b"$2\r\n12\r\n"
    finally:
        one.close()
        other.close()


def test_a_pipelined_transaction_as_client_libraries_send_it(redis, ours):
    """What redis-py's ``pipeline()`` sends: MULTI, the commands and EXEC
    written at once, the replies read after -- OK, QUEUED for each, the
    array; and what ``pipeline(transaction=False)`` sends: the commands
    alone.  The same bytes from both servers, in one write each."""
    both = Pair(redis, ours)
    try:
        commands = [["MULTI"], ["SET", "p", "1"], ["INCR", "p"], ["GET", "p"], ["INCR", "nokey"],
                    ["NOSUCHCMD", "l", "x"], ["EXEC"]]
        replies = _both_send(both, ["FLUSHALL"], *commands)[1:]
        assert replies[-1].startswith(b"-EXECABORT")        # a command unknown to both
        replies = _both_send(both, *(commands[:5] + commands[6:]))
        assert replies == [b"+OK\r\n"] + [b"+QUEUED\r\n"] * 4 + [b"*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n:1\r\n"]
        replies = _both_send(both, ["SET", "p", "x"], ["INCR", "p"], ["GET", "p"])
        assert replies == [b"+OK\r\n", b"-ERR value is not an integer or out of range\r\n",
                           b"$1\r\nx\r\n"]
    finally:
        both.close()


def test_hello_inside_a_transaction_switches_the_protocol_mid_exec(redis, ours):
    """HELLO 3 queued in a transaction: EXEC's array is RESP2's ``*``, its
    HELLO reply a RESP3 map, and the replies after it -- in the array and
    after EXEC -- RESP3 (``_`` for nil), as Redis answers.  (HELLO's
    server, version and id differ: compared without them.)"""
    both = Pair(redis, ours)
    try:
        theirs, mine = both.same([["FLUSHALL"], ["MULTI"], ["HELLO", "3"], ["GET", "nokey"],
                                  ["MGET", "nokey"], ["EXEC"], ["GET", "nokey"]])
        del theirs[0], mine[0]
        assert mine[:4] == theirs[:4] == [b"+OK\r\n"] + [b"+QUEUED\r\n"] * 3
        assert mine[5] == theirs[5] == b"_\r\n"
        for reply in (theirs[4], mine[4]):
            assert reply.startswith(b"*3\r\n%7\r\n") and reply.endswith(b"*0\r\n_\r\n*1\r\n_\r\n")
        real, got = decoded(theirs[4])[0], decoded(mine[4])[0]
        for field in (b"server", b"version", b"id"):
            del real[field], got[field]
        assert real == got
    finally:
        both.close()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_cli_runs_transactions(redis, ours, protocol):
    """``redis-cli`` reading commands from its stdin on one connection:
    MULTI, QUEUED, EXEC's array, an error inside it, EXECABORT, WATCH
    and a nil EXEC, DISCARD -- printed the same from both servers."""
    script = b"".join(line + b"\n" for line in [
        b"FLUSHALL", b"MULTI", b"SET a 1", b"INCR a", b"GET nokey", b"INCR nokey2 x", b"EXEC",
        b"MULTI", b"SET a x", b"INCR a", b"GET a", b"EXEC", b"WATCH a", b"SET a 5", b"MULTI",
        b"GET a", b"EXEC", b"DISCARD", b"MULTI", b"SET b 1", b"DISCARD", b"GET b", b"EXEC"])
    printed = []
    for where in (["-s", redis], ["-p", str(ours)]):
        result = subprocess.run(["redis-cli", "-%d" % protocol] + where, input=script,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
        assert result.returncode == 0 and result.stderr == b"", result
        printed.append(result.stdout)
    assert printed[0] == printed[1]
    assert b"QUEUED" in printed[1] and b"EXECABORT" in printed[1]


# ================================================================ INFO: its format and our fields

def _info_sections(text):
    """INFO's text as [(title, [(field, value), ...]), ...], checking its
    framing: "# Title" lines, "field:value" lines, a blank line between."""
    if not text:
        return []
    assert text.endswith(b"\r\n") and not text.endswith(b"\r\n\r\n"), text[-20:]
    sections = []
    for block in text[:-2].split(b"\r\n\r\n"):
        lines = block.split(b"\r\n")
        assert lines[0].startswith(b"# "), lines[0]
        fields = [tuple(line.split(b":", 1)) for line in lines[1:]]
        assert all(len(field) == 2 for field in fields), lines
        sections.append((lines[0][2:], fields))
    return sections


def _is_subsequence(part, whole):
    rest = iter(whole)
    return all(item in rest for item in part)


@pytest.mark.parametrize("protocol", [2, 3])
def test_info_reads_as_redis_for_the_fields_we_give(pair, protocol):
    """INFO, framed as Redis's (a bulk string; RESP3 a verbatim ``txt``
    one): "# Title" lines, "field:value" lines, a blank line between the
    sections, the sections asked for in Redis's order (a name twice or
    in any case; none for an unknown name).  We give the sections Server,
    Clients, Memory, Stats, Replication and Keyspace, with these fields, a
    subsequence of Redis's: redis_version (7.0.15, the Redis whose
    replies these are), redis_mode, os, arch_bits, process_id, run_id,
    server_time_usec, uptime_in_seconds, uptime_in_days; connected_clients,
    blocked_clients; used_memory (our resident memory), used_memory_human,
    used_memory_rss, used_memory_rss_human, maxmemory, maxmemory_human,
    maxmemory_policy; total_connections_received, total_commands_processed,
    rejected_connections, expired_keys, evicted_keys, pubsub_channels,
    pubsub_patterns (test_kv_admin_vs_redis.py checks their counts); role,
    connected_slaves; db0 (keys, expires and an
    estimated avg_ttl).  Their values: the same as Redis's where they
    describe what both servers are (the version, the OS, the role, the
    keys), in the same format elsewhere."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    same_values = {b"redis_version", b"redis_mode", b"os", b"arch_bits", b"blocked_clients",
                   b"maxmemory", b"maxmemory_human", b"maxmemory_policy", b"role",
                   b"connected_slaves", b"evicted_keys", b"pubsub_channels", b"pubsub_patterns"}
    formats = {b"run_id": rb"[0-9a-f]{40}", b"used_memory_human": rb"\d+B|\d+\.\d\d[KMGTP]",
               b"used_memory_rss_human": rb"\d+B|\d+\.\d\d[KMGTP]",
               b"db0": rb"keys=\d+,expires=\d+,avg_ttl=\d+"}
    for setup in ([], [["SET", "a", "1"], ["SET", "b", "2", "EX", "100"], ["SET", "c", "3"]]):
        pair.same([["FLUSHALL"]] + setup)
        for args in ([], ["server"], ["KEYSPACE", "Server", "nosuch", "keyspace"], ["clients"],
                     ["memory"], ["replication"], ["keyspace"], ["nosuch"], ["default"], ["all"],
                     ["everything"], ["stats"],
                     ["server", "clients", "memory", "stats", "replication", "keyspace"]):
            (theirs,), (mine,) = pair.same([["INFO"] + args])
            assert mine[:1] == theirs[:1] == (b"=" if protocol == 3 else b"$"), args
            real, got = _info_sections(decoded(theirs)), _info_sections(decoded(mine))
            assert _is_subsequence([title for title, _ in got], [title for title, _ in real]), args
            assert [title for title, _ in got] == [title for title, _ in real if title in (
                b"Server", b"Clients", b"Memory", b"Stats", b"Replication", b"Keyspace")], args
            for (title, fields), (_, their_fields) in zip(got, (section for section in real
                                                                 if section[0] in dict(got))):
                their_values = dict(their_fields)
                assert _is_subsequence([name for name, _ in fields], list(their_values)), title
                for name, value in fields:
                    if name in same_values:
                        assert value == their_values[name], name
                    elif name in formats:
                        assert re.fullmatch(formats[name], value), (name, value)
                    else:
                        assert value.isdigit(), (name, value)
                    if name == b"db0":          # the same keys; the average time left: about
                        assert value.split(b",")[:2] == their_values[name].split(b",")[:2]
                if title == b"Keyspace":
                    assert bool(fields) == bool(setup)
