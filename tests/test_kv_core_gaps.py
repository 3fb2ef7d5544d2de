"""What the store's core (kv.py: dispatch, strings, keys, expiry,
transactions) and its numbers (kv_numbers.py) do that no other test
pinned -- found by mutation testing -- against a real redis-server
(7.0.15) where Redis is the yardstick.

The servers and the comparison are tests/test_kv_vs_redis.py's.
"""

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import Pair, _both_send, assert_same, ours, pair, redis  # noqa: F401
from trampoline.protocols import kv
from trampoline.protocols.kv import Store

WATCHDOG_SECONDS = 60.0


# ================================================================ strings

def _redis_config(pair, name, value):
    """CONFIG SET on the real redis-server only."""
    sock = pair.socks[0]
    sock.sendall(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                 % (len(name), name, len(value), value))
    assert Pair._read(sock, 1) == [b"+OK\r\n"]


def test_append_and_setrange_reach_the_greatest_string_and_no_further(pair, monkeypatch):
    """A string may be exactly the greatest size (Redis's proto-max-bulk-len,
    512 MB; here both lowered to 1 MB, Redis's least): APPEND and SETRANGE
    that reach it are done, one byte more is refused."""
    size = 1 << 20
    monkeypatch.setattr(kv, "MAX_STRING", size)
    _redis_config(pair, b"proto-max-bulk-len", b"%d" % size)
    try:
        assert_same(pair, [["SET", "k", "x" * (size - 2)], ["APPEND", "k", "y"],
                           ["APPEND", "k", "y"], ["STRLEN", "k"], ["APPEND", "k", "z"],
                           ["STRLEN", "k"],
                           ["SETRANGE", "s", size - 1, "a"], ["STRLEN", "s"],
                           ["SETRANGE", "s", size, "b"], ["SETRANGE", "s", size - 1, "ab"],
                           ["SETRANGE", "t", size - 2, "ab"], ["SETRANGE", "t", size - 2, "abc"],
                           ["STRLEN", "t"]])
    finally:
        _redis_config(pair, b"proto-max-bulk-len", b"%d" % (512 << 20))


# ================================================================ numbers

def test_a_float_of_5120_characters_or_more_is_not_read(pair):
    """Redis reads a long double from fewer than MAX_LONG_DOUBLE_CHARS (5120)
    bytes (string2ld's buffer): one more, and it is not a valid float."""
    assert_same(pair, [["INCRBYFLOAT", "k", "0" * 5118 + "1"], ["GET", "k"],
                       ["INCRBYFLOAT", "k", "0" * 5119 + "1"], ["GET", "k"],
                       ["SET", "k", "0" * 5119 + "1"], ["INCRBYFLOAT", "k", "1"], ["GET", "k"]])


# ================================================================ time to live

@pytest.mark.parametrize("fails", [True, False])
def test_persist_of_a_watched_key_fails_exec_if_it_had_a_deadline(redis, ours, fails):
    """PERSIST that drops a deadline changes the key (Redis's signalModifiedKey):
    a transaction WATCHing it answers nil; PERSIST of a key with no deadline
    changes nothing, and the transaction runs."""
    one, other = Pair(redis, ours), Pair(redis, ours)
    try:
        setup = ["SET", "k", "v", "EX", "1000"] if fails else ["SET", "k", "v"]
        _both_send(one, ["FLUSHALL"], setup, ["WATCH", "k"])
        assert _both_send(other, ["PERSIST", "k"]) == [b":1\r\n" if fails else b":0\r\n"]
        theirs, mine = one.same([["MULTI"], ["PING"], ["EXEC"]])
        assert theirs[2] == mine[2] == (b"*-1\r\n" if fails else b"*1\r\n+PONG\r\n")
    finally:
        one.close()
        other.close()


def test_expire_gt_or_lt_of_the_same_deadline_changes_nothing(pair):
    """GT sets a deadline only if it is later than the key's, LT only if
    earlier: the same deadline is neither, 0 (Redis's ``when <=
    current_expire`` and ``when >= current_expire``)."""
    at = "%d" % (4102444800 * 1000)                 # 2100-01-01, in ms
    assert_same(pair, [["SET", "k", "v", "PXAT", at],
                       ["PEXPIREAT", "k", at, "GT"], ["PEXPIREAT", "k", at, "LT"],
                       ["EXPIREAT", "k", "4102444800", "GT"], ["EXPIREAT", "k", "4102444800", "LT"],
                       ["PEXPIRETIME", "k"]])


@pytest.mark.parametrize("option, when", [("PXAT", "1000000"), ("EXAT", "1000")])
def test_getex_at_this_very_moment_deletes_the_key(option, when):
    """GETEX ... PXAT (or EXAT) of the time it is now: the key is already
    expired (Redis's checkAlreadyExpired: ``when <= now``) -- its value
    answered, the key gone -- as EXPIREAT of now deletes it."""
    store = Store(lambda: 1000.0)                   # the clock stands still
    assert store.execute([b"SET", b"k", b"v"]) == b"+OK\r\n"
    assert store.execute([b"GETEX", b"k", option.encode(), when.encode()]) == b"$1\r\nv\r\n"
    assert store.execute([b"EXISTS", b"k"]) == b":0\r\n"
    assert store.execute([b"GET", b"k"]) == b"$-1\r\n"
