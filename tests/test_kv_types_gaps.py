"""What the lists, hashes, sets and sorted sets (kv_types.py) do that no
other test pinned -- found by mutation testing -- against a real
redis-server (7.0.15) where Redis is the yardstick.

The servers and the comparison are tests/test_kv_vs_redis.py's.
"""

import socket

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import (Pair, _both_send, assert_same, decoded, ours, pair,  # noqa: F401
                              redis)
from test_kv_types_vs_redis import Client
from trampoline.protocols import kv_types
from trampoline.protocols.kv import Session, Store
from trampoline.protocols.kv_types import BLOCKED, ScanSnapshots
from trampoline.protocols.resp import ReplyError

WATCHDOG_SECONDS = 60.0


# ================================================================ WATCH

#: (what the key ``k`` holds, the command another client sends, whether a
#: transaction WATCHing ``k`` then fails) -- Redis's ``signalModifiedKey``
#: calls: a command that changes nothing (SADD of a member there, ZADD of
#: the same score, LPOP 0) leaves a watcher alone; LTRIM and HSET tell it
#: whatever they did.
WATCH_CASES = [
    (["SADD", "k", "a"], ["SADD", "k", "b"], True),
    (["SADD", "k", "a"], ["SADD", "k", "a"], False),
    (["SADD", "k", "a"], ["SREM", "k", "zz"], False),
    (["SADD", "k", "a"], ["SMOVE", "k", "k", "a"], False),
    (["SADD", "k", "a"], ["SMOVE", "o", "k", "a"], False),
    (["SADD", "o", "a", "b"], ["SMOVE", "o", "k", "a"], True),
    ([["SADD", "o", "a", "b"], ["SADD", "k", "x"]], ["SMOVE", "o", "k", "a"], True),
    (["SADD", "k", "a", "b"], ["SMOVE", "k", "o", "a"], True),
    (["SADD", "k", "a"], ["SPOP", "k", "0"], False),
    (["SADD", "k", "a", "b"], ["SPOP", "k", "1"], True),
    (["SADD", "k", "a"], ["SINTERSTORE", "k", "k"], True),
    (["SET", "x", "1"], ["SUNIONSTORE", "k", "nx"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "1", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "CH", "1", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "NX", "2", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "GT", "0", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "XX", "5", "zz"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "INCR", "0", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "2", "a"], True),
    (["ZADD", "k", "1", "a"], ["ZADD", "k", "LT", "1", "a", "2", "b"], True),
    (["ZADD", "k", "inf", "a"], ["ZADD", "k", "INCR", "-inf", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZINCRBY", "k", "0", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZINCRBY", "k", "1", "a"], True),
    (["ZADD", "k", "inf", "a"], ["ZINCRBY", "k", "-inf", "a"], False),
    (["ZADD", "k", "1", "a"], ["ZREM", "k", "zz"], False),
    (["ZADD", "k", "1", "a"], ["ZPOPMIN", "k", "0"], False),
    (["RPUSH", "k", "a"], ["LPOP", "k", "0"], False),
    (["RPUSH", "k", "a"], ["RPOP", "k", "0"], False),
    (["RPUSH", "k", "a", "b"], ["RPOP", "k", "1"], True),
    (["RPUSH", "k", "a"], ["LTRIM", "k", "0", "-1"], True),
    (["RPUSH", "k", "a", "b"], ["LTRIM", "k", "5", "6"], True),
    (["RPUSH", "k", "a"], ["LREM", "k", "0", "zz"], False),
    (["RPUSH", "k", "a"], ["LSET", "k", "0", "a"], True),
    (["RPUSH", "k", "a"], ["LINSERT", "k", "BEFORE", "zz", "x"], False),
    (["RPUSH", "o", "a"], ["LMOVE", "o", "k", "LEFT", "RIGHT"], True),
    (["RPUSH", "k", "a"], ["RPUSHX", "k", "b"], True),
    (["HSET", "k", "f", "v"], ["HSET", "k", "f", "v"], True),
    (["HSET", "k", "f", "v"], ["HSETNX", "k", "f", "w"], False),
    (["HSET", "k", "f", "v"], ["HDEL", "k", "zz"], False),
    (["HSET", "k", "f", "v"], ["HINCRBY", "k", "n", "0"], True),
]


def test_watch_fails_on_what_redis_calls_a_change_and_only_that(redis, ours):
    """Two connections to each server; one WATCHes ``k``, the other sends a
    collection command, then the first runs MULTI, PING, EXEC: nil
    (``*-1``) where Redis signals ``k`` modified, the PING's reply where it
    does not -- the same bytes from both servers, and the ones expected."""
    one, other = Pair(redis, ours), Pair(redis, ours)
    try:
        for setup, change, fails in WATCH_CASES:
            setup = setup if isinstance(setup[0], list) else [setup]
            _both_send(one, ["FLUSHALL"], *setup, ["WATCH", "k"])
            theirs, mine = other.same([change])
            if change[0] == "SPOP":         # (a member at random: the same how many)
                theirs, mine = [len(decoded(theirs[0]))], [len(decoded(mine[0]))]
            assert mine == theirs, change
            theirs, mine = one.same([["MULTI"], ["PING"], ["EXEC"]])
            assert (theirs[2], mine[2]) == ((b"*-1\r\n",) * 2 if fails else
                                            (b"*1\r\n+PONG\r\n",) * 2), (setup, change)
    finally:
        one.close()
        other.close()


# ================================================================ sets of integers

def test_a_set_of_512_integers_answers_in_numeric_order_and_of_513_does_not(pair):
    """Redis keeps a set of at most 512 integers in an intset, read in
    numeric order; one more member makes it a hash table, in hash order.
    SMEMBERS, SINTER and SSCAN (whole, cursor 0) answer so on both servers."""
    numbers = [(i * 37) % 600 - 300 for i in range(513)]
    assert len(set(numbers)) == 513
    words = [str(n) for n in numbers]
    theirs, mine = pair.same([["SADD", "s"] + words[:512], ["SMEMBERS", "s"],
                              ["SINTER", "s", "s"], ["SSCAN", "s", "0", "COUNT", "1000"]])
    in_order = sorted(numbers[:512])
    for replies in (theirs, mine):
        assert [int(m) for m in decoded(replies[1])] == in_order
        assert [int(m) for m in decoded(replies[2])] == in_order
        cursor, members = decoded(replies[3])
        assert cursor == b"0" and [int(m) for m in members] == in_order
    theirs, mine = pair.same([["SADD", "s", words[512]], ["SMEMBERS", "s"], ["SINTER", "s", "s"]])
    for replies in (theirs, mine):
        assert replies[0] == b":1\r\n"
        for reply in replies[1:]:
            got = [int(m) for m in decoded(reply)]
            assert sorted(got) == sorted(numbers) and got != sorted(numbers)


# ================================================================ picks with repeats

@pytest.mark.parametrize("command", [["SRANDMEMBER", "s"], ["HRANDFIELD", "h"],
                                     ["ZRANDMEMBER", "z"]])
def test_exactly_max_picks_with_repeats_are_allowed_and_one_more_refused(ours, monkeypatch,
                                                                         command):
    """``MAX_PICKS`` is the most members a negative count picks: that many
    are answered, one more is refused (with MAX_PICKS made small here, read
    where the commands check it)."""
    monkeypatch.setattr(kv_types, "MAX_PICKS", 5)
    client = Client(socket.AF_INET, ("127.0.0.1", ours))
    try:
        client.ask("FLUSHALL")
        client.ask("SADD", "s", "a", "b"), client.ask("HSET", "h", "a", "1", "b", "2")
        client.ask("ZADD", "z", "1", "a", "2", "b")
        got = client.ask(*command, "-5")
        assert len(got) == 5 and set(got) <= {b"a", b"b"}
        refused = client.ask(*command, "-6")
        assert isinstance(refused, ReplyError), refused
        assert "the most members picked with repeats is 5" in str(refused)
    finally:
        client.close()


# ================================================================ HSCAN, SSCAN, ZSCAN

def test_a_hash_with_a_64_byte_value_is_scanned_whole_as_redis_answers(pair):
    """A value of 64 bytes is still small (Redis's hash-max-listpack-value):
    HSCAN answers the whole hash, in insertion order, cursor 0 -- the same
    bytes as Redis; so does a field of 64 bytes."""
    fields = []
    for i in range(20):
        fields += ["f%d" % i, "v" * 64 if i == 7 else "x%d" % i]
    assert_same(pair, [["HSET", "h"] + fields, ["HSCAN", "h", "0"],
                       ["HSCAN", "h", "0", "COUNT", "1"], ["HSET", "h", "g" * 64, "y"],
                       ["HSCAN", "h", "0", "MATCH", "g*"]])


def test_members_of_one_place_are_returned_together_each_once():
    """``ScanSnapshots.walk`` with members that share a place (their hash):
    a call that reaches one of them takes all of that place, and the next
    cursor goes past it -- every member returned once, the walk ends.
    (Python hashes the ints i and i + 2**61 - 1 alike.)"""
    modulus = 2**61 - 1
    members = set(range(1, 30)) | {i + modulus for i in range(1, 30, 3)}
    assert len({hash(m) for m in members}) < len(members)
    snapshots = ScanSnapshots()
    for count in (1, 2, 5):
        cursor, returned, calls = 0, [], 0
        while True:
            found, cursor = snapshots.walk(members, cursor, count)
            returned += found
            calls += 1
            assert calls <= len(members), "the walk goes round in circles"
            if cursor == 0:
                break
        assert sorted(returned) == sorted(members), count


# ================================================================ empty values

def test_a_field_holding_the_empty_string_is_there_to_delete(pair):
    """HDEL counts a field whose value is "" as there (removed: 1), and a
    hash left empty is gone."""
    assert_same(pair, [["HSET", "h", "f", "", "g", "x"], ["HDEL", "h", "f", "nx"],
                       ["HGETALL", "h"], ["HSET", "h", "e", ""], ["HDEL", "h", "e", "g"],
                       ["EXISTS", "h"]])


# ================================================================ numbers at the edges

def test_hincrby_reaches_the_least_integer_and_no_further(pair):
    """HINCRBY may make a field -2**63 (and 2**63 - 1), not one beyond."""
    assert_same(pair, [["HSET", "h", "lo", str(-2**63 + 1), "hi", str(2**63 - 2)],
                       ["HINCRBY", "h", "lo", "-1"], ["HINCRBY", "h", "lo", "-1"],
                       ["HINCRBY", "h", "hi", "1"], ["HINCRBY", "h", "hi", "1"],
                       ["HGETALL", "h"]])



def test_zadd_gt_or_lt_with_incr_of_an_equal_score_answers_nil(pair):
    """ZADD GT (LT) INCR whose new score equals the old one updates
    nothing: nil, as Redis; a greater (less) one answers the new score."""
    assert_same(pair, [["ZADD", "z", "1", "a"], ["ZADD", "z", "GT", "INCR", "0", "a"],
                       ["ZADD", "z", "LT", "INCR", "0", "a"], ["ZADD", "z", "GT", "CH", "1", "a"],
                       ["ZADD", "z", "GT", "INCR", "2", "a"],
                       ["ZADD", "z", "LT", "INCR", "-1", "a"],
                       ["ZRANGE", "z", "0", "-1", "WITHSCORES"]])


def test_an_option_word_is_read_up_to_a_nul_byte_as_redis_reads_it(pair):
    """Redis compares option names with strcasecmp, which stops at a NUL:
    ``WITHSCORES\0junk`` is WITHSCORES to ZUNION, ZINTER and ZDIFF,
    ``AGGREGATE\0x MAX\0y`` AGGREGATE MAX, ``LIMIT\0`` to ZINTERCARD and
    SINTERCARD LIMIT."""
    assert_same(pair, [["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "y", "5", "a"],
                       ["SADD", "s", "a", "b"], ["SADD", "t", "a", "b"],
                       ["ZUNION", "1", "z", "WITHSCORES\0junk"],
                       ["ZINTER", "2", "z", "y", "AGGREGATE\0x", "MAX\0y", "WITHSCORES"],
                       ["ZUNION", "2", "z", "y", "WEIGHTS\0", "2", "3", "withscores\0"],
                       ["ZDIFF", "2", "z", "y", "WITHSCORES\0"],
                       ["ZINTERCARD", "1", "z", "LIMIT\0junk", "1"],
                       ["SINTERCARD", "2", "s", "t", "limit\0", "1"],
                       ["ZUNIONSTORE", "d", "2", "z", "y", "AGGREGATE", "MIN\0"],
                       ["ZRANGE", "d", "0", "-1", "WITHSCORES"]])

# ================================================================ blocking pops

def test_a_waiter_is_not_served_from_a_list_past_its_deadline():
    """A list pushed onto in a transaction that also gave it 1.5 seconds
    to live, then served after EXEC when (on this store's clock, a second
    a reading) it has expired: gone, as Redis's lookupKeyWrite finds it --
    the BLPOP client stays blocked and gets nothing."""
    now = [1000.0]

    def clock():
        now[0] += 1.0
        return now[0]
    store = Store(clock)
    waiting, other = Session(), Session()
    assert store.execute([b"BLPOP", b"k", b"0"], waiting) == BLOCKED
    waiter = waiting.blocked
    for command in ([b"MULTI"], [b"RPUSH", b"k", b"a"], [b"PEXPIRE", b"k", b"1500"]):
        store.execute(command, other)
    assert store.execute([b"EXEC"], other) == b"*2\r\n:1\r\n:1\r\n"
    assert waiter.reply is None and waiting.blocked is waiter
    assert store.execute([b"EXISTS", b"k"]) == b":0\r\n"
    store.unblock(waiter)


def test_a_blocking_timeout_is_rounded_up_to_a_millisecond_as_redis_reads_it(pair):
    """Redis 7.0 reads a timeout as a long double, times 1000 in long
    doubles, rounded up to whole milliseconds in a C long long: 0.001 and
    0.0001 (and 1e-30) wait a millisecond and answer nil -- not for ever;
    a timeout whose milliseconds round to 2**63 or beyond wraps to
    negative: 'timeout is negative'."""
    assert_same(pair, [["BLPOP", "nx", "0.001"], ["BRPOP", "nx", "0.0001"],
                       ["BLMOVE", "nx", "d", "LEFT", "LEFT", "1e-30"],
                       ["BZPOPMIN", "nx", "0.0009"],
                       ["BLPOP", "nx", "9223372036854775.808"],
                       ["BLPOP", "nx", "9223372036854775.8074"],
                       ["BLPOP", "nx", "-0.0011"], ["BLPOP", "nx", "1e4000"]])


def test_a_timeout_of_less_than_a_millisecond_below_zero_is_for_ever():
    """Redis's ``ceill(ftval * 1000.0)`` in long doubles: -0.0001 and
    -0.001 (-0.99999999999999999995 ms) round up to 0 milliseconds: for
    ever; 0.0001 is a millisecond; 0.007 is 7 ms (its long double times
    1000 rounds to 7.0, where the exact product is a little above 7); 1.5 is
    1.5 s on the store's clock."""
    store = Store(lambda: 100.0)
    for timeout, deadline in ((b"-0.0001", None), (b"-0.001", None), (b"0", None),
                              (b"0.0001", 100.0 + 1 / 1000), (b"0.007", 100.0 + 7 / 1000),
                              (b"1.5", 100.0 + 1500 / 1000)):
        session = Session()
        assert store.execute([b"BLPOP", b"k", timeout], session) == BLOCKED
        assert session.blocked.deadline == deadline, timeout
        store.unblock(session.blocked)


# ================================================================ HRANDFIELD, ZRANDMEMBER

HALF = 2**63 // 2                       # Redis's LONG_MAX / 2, rounded up


@pytest.mark.parametrize("command", [["HRANDFIELD", "h"], ["ZRANDMEMBER", "z"]])
def test_a_count_with_values_is_in_range_up_to_half_the_greatest_integer(pair, command):
    """With WITHVALUES (WITHSCORES) a count within -(2**63 - 1) // 2 ..
    (2**63 - 1) // 2 is in range, one beyond either 'value is out of
    range' -- as Redis; a positive count that great answers every member."""
    word = "WITHVALUES" if command[0] == "HRANDFIELD" else "WITHSCORES"
    assert_same(pair, [["HSET", "h", "f", "v"], ["ZADD", "z", "1", "m"],
                       command + [str(HALF - 1), word], command + [str(HALF), word],
                       command + [str(-HALF), word]])


@pytest.mark.parametrize("command", [["HRANDFIELD", "h"], ["ZRANDMEMBER", "z"]])
def test_the_least_count_with_values_in_range_meets_the_picks_limit(ours, command):
    """-(2**63 - 1) // 2 with WITHVALUES is in Redis's range (which would
    build the reply until out of memory): ours refuses it as more than
    ``MAX_PICKS`` picks -- the error that says so, not 'out of range'."""
    word = "WITHVALUES" if command[0] == "HRANDFIELD" else "WITHSCORES"
    client = Client(socket.AF_INET, ("127.0.0.1", ours))
    try:
        client.ask("HSET", "h", "f", "v"), client.ask("ZADD", "z", "1", "m")
        reply = client.ask(*command, str(-HALF + 1), word)
        assert isinstance(reply, ReplyError), reply
        assert "the most members picked with repeats is %d" % kv_types.MAX_PICKS in str(reply)
    finally:
        client.close()
