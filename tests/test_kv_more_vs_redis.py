"""HSCAN, SSCAN, ZSCAN, ZREMRANGEBY..., ZMSCORE, ZRANDMEMBER, HRANDFIELD,
ZUNION, ZINTER, ZDIFF (and their STORE forms), ZINTERCARD and SINTERCARD
against a real redis-server (7.0.15), reply for reply, in RESP2 and RESP3.

The servers and the comparison are tests/test_kv_vs_redis.py's.  What is
compared otherwise: the random picks by what is certain (how many, from
what, distinct or not, with the right values); the SCAN commands on large
collections, which Redis walks in its hash table's order, by what Redis
promises (a full iteration returns every member there all along; here,
unchanged, exactly once) -- small ones answer whole, in Redis's order,
and are compared byte for byte; a set's members, in Redis's hash order,
sorted.
"""

import socket

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_types_vs_redis import (Client, _assert_same_pick, blocked_clients,  # noqa: F401
                                    connect, wait_blocked)
from test_kv_vs_redis import (_scan_all, _send, assert_same, decoded, ours,  # noqa: F401
                              pair, redis, words)
from trampoline.protocols.kv import Store
from trampoline.protocols.kv_types import MAX_PICKS, ScanSnapshots
from trampoline.protocols.resp import ReplyError, encode_command

WATCHDOG_SECONDS = 60.0
I, M = str(2**63 - 1), str(-2**63)
HALF = str(2**62)                       # beyond it, a count WITH... is out of range

SCANS = [
    ["HSET", "h", "a", "1", "b", "2", "c", "3"], ["HSCAN", "h", "0"], ["HSCAN", "h", "5"],
    ["HSCAN", "h", "0", "MATCH", "a*"], ["HSCAN", "h", "0", "match", "[b-c]", "COUNT", "1"],
    ["HSCAN", "h", "0", "COUNT", "0"], ["HSCAN", "h", "0", "COUNT", "-1"],
    ["HSCAN", "h", "0", "COUNT", "x"], ["HSCAN", "h", "x"], ["HSCAN", "h", "-1"],
    ["HSCAN", "h", "18446744073709551616"], ["HSCAN", "h", ""], ["HSCAN", "h", "0", "MATCH"],
    ["HSCAN", "h", "0", "BAD", "1"], ["HSCAN", "h", "0", "TYPE", "string"],
    ["HSCAN", "h", "0", "NOVALUES"], ["HSCAN", "nx", "0"], ["HSCAN", "nx", "x"],
    ["HSCAN", "nx", "0", "COUNT", "0"], ["HSCAN", "nx", "0", "BAD"], ["SET", "str", "v"],
    ["HSCAN", "str", "0"], ["HSCAN", "str", "x"], ["SSCAN", "str", "0"],
    ["ZSCAN", "str", "0", "COUNT", "0"], ["HSET", "h", "b", "22", "d", "4"], ["HDEL", "h", "a"],
    ["HSCAN", "h", "0"],
    ["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "-0", "d", "123456789012345678", "e",
     "1e20", "f", "4611686018427387904", "g", "4611686018427387905", "h",
     "-4611686018427387904", "i", "0.1", "j", "inf", "k", "1e-300", "l"],
    ["ZSCAN", "z", "0"], ["ZSCAN", "z", "0", "match", "[a-e]", "count", "1"],
    ["SADD", "s", "3", "1", "2", "-7", I, M, "10"], ["SSCAN", "s", "0"],
    ["SSCAN", "s", "0", "MATCH", "1*"], ["SSCAN", "s", "0", "MATCH", "*7"],
    ["SSCAN", "s", "0", "COUNT", "1"], ["SADD", "t", "x", "y", "1"], ["SSCAN", "t", "0"],
    ["SSCAN", "t", "0", "MATCH", "[xy]"],
    ["HSET", "big"] + ["f%d" % (i * 7 % 500) if j == 0 else str(i)
                       for i in range(500) for j in (0, 1)],
    ["HSCAN", "big", "0", "COUNT", "3"], ["HDEL", "big", "f7", "f14"], ["HSET", "big", "f7", "x"],
    ["HSCAN", "big", "0", "MATCH", "f1*"],
    ["ZADD", "bz"] + [str(i % 7) if j == 0 else "m%d" % i for i in range(128) for j in (0, 1)],
    ["ZSCAN", "bz", "0"], ["SADD", "bs"] + [str(i * 37 % 512 - 256) for i in range(512)],
    ["SSCAN", "bs", "0", "COUNT", "1"],
    ["HSCAN"], ["HSCAN", "h"], ["SSCAN", "s"], ["ZSCAN", "z"],
]

ZSET_EDITS = [
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
    ["ZREMRANGEBYRANK", "z", "1", "x"], ["ZREMRANGEBYRANK", "z", "x", "1"],
    ["ZREMRANGEBYRANK", "nx", "x", "1"], ["ZREMRANGEBYRANK", "nx", "0", "1"],
    ["ZREMRANGEBYRANK", "z", "5", "1"], ["ZREMRANGEBYRANK", "z", "3", "1"],
    ["ZREMRANGEBYRANK", "z", "-2", "-1"], ["ZREMRANGEBYRANK", "z", M, "0"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZREMRANGEBYRANK", "z", "-100", I],
    ["EXISTS", "z"], ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
    ["ZREMRANGEBYSCORE", "z", "(1", "x"], ["ZREMRANGEBYSCORE", "nx", "x", "1"],
    ["ZREMRANGEBYSCORE", "z", "(1", "2"], ["ZREMRANGEBYSCORE", "z", "4", "3"],
    ["ZREMRANGEBYSCORE", "z", "(3", "(3"], ["ZREMRANGEBYSCORE", "z", "3", "3"],
    ["ZREMRANGEBYSCORE", "nx", "0", "1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"], ["EXISTS", "z"],
    ["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d"],
    ["ZREMRANGEBYLEX", "z", "a", "b"], ["ZREMRANGEBYLEX", "nx", "a", "b"],
    ["ZREMRANGEBYLEX", "z", "(a", "[b"], ["ZREMRANGEBYLEX", "z", "[d", "(d"],
    ["ZREMRANGEBYLEX", "z", "+", "-"], ["ZREMRANGEBYLEX", "nx", "-", "+"],
    ["ZRANGE", "z", "0", "-1"], ["ZREMRANGEBYLEX", "z", "-", "+"], ["EXISTS", "z"],
    ["SET", "str", "v"], ["ZREMRANGEBYRANK", "str", "x", "1"], ["ZREMRANGEBYRANK", "str", "0", "1"],
    ["ZREMRANGEBYSCORE", "str", "x", "1"], ["ZREMRANGEBYLEX", "str", "x", "1"],
    ["ZREMRANGEBYSCORE", "str", "0", "1"], ["ZREMRANGEBYLEX", "str", "-", "+"],
    ["ZADD", "w", "1", "a"], ["EXPIRE", "w", "100"], ["ZREMRANGEBYRANK", "w", "1", "1"],
    ["TTL", "w"], ["ZREMRANGEBYRANK", "w", "0", "0"], ["EXISTS", "w"],
    ["ZADD", "m", "123456789012345678", "a", "-inf", "b", "0.1", "c"],
    ["ZMSCORE", "m", "a", "nx", "b", "c", "a"], ["ZMSCORE", "nx", "a"], ["ZMSCORE", "str", "a"],
    ["ZREMRANGEBYRANK", "z", "0"], ["ZREMRANGEBYSCORE", "z", "0", "1", "2"],
    ["ZREMRANGEBYLEX", "z"], ["ZMSCORE", "m"],
]

RANDOM_ERRORS = [
    ["HSET", "h", "a", "1", "b", "2", "c", "3"], ["ZADD", "z", "1", "a", "2", "b"],
    ["SET", "str", "v"],
    ["HRANDFIELD", "nx"], ["HRANDFIELD", "nx", "2"], ["HRANDFIELD", "nx", "x"],
    ["HRANDFIELD", "nx", "2", "WITHVALUES"], ["HRANDFIELD", "nx", "2", "BAD"],
    ["HRANDFIELD", "h", "0"], ["HRANDFIELD", "h", "0", "WITHVALUES"], ["HRANDFIELD", "h", M],
    ["HRANDFIELD", "h", I, "WITHVALUES"], ["HRANDFIELD", "h", "-" + HALF, "WITHVALUES"],
    ["HRANDFIELD", "h", HALF, "WITHVALUES"], ["HRANDFIELD", "h", "2", "WITHVALUES", "x"],
    ["HRANDFIELD", "h", "2", "BAD"], ["HRANDFIELD", "h", "x", "BAD"],
    ["HRANDFIELD", "h", "1", "withvaluesx"], ["HRANDFIELD", "str"], ["HRANDFIELD", "str", "1"],
    ["HRANDFIELD", "str", "x"], ["HRANDFIELD", "str", "0"], ["HRANDFIELD", "str", "0", "BAD"],
    ["ZRANDMEMBER", "nx"], ["ZRANDMEMBER", "nx", "2"], ["ZRANDMEMBER", "nx", "2", "WITHSCORES"],
    ["ZRANDMEMBER", "z", "0", "WITHSCORES"], ["ZRANDMEMBER", "z", "1", "BAD"],
    ["ZRANDMEMBER", "z", I, "WITHSCORES"], ["ZRANDMEMBER", "z", M],
    ["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], ["ZRANDMEMBER", "z", "1.5"],
    ["ZRANDMEMBER", "str", "0"], ["ZRANDMEMBER", "str"], ["ZRANDMEMBER", "h", "1"],
    ["HRANDFIELD"], ["ZRANDMEMBER"], ["HRANDFIELD", "h", "1", "WITHVALUES", "1", "2"],
    ["ZADD", "one", "123456789012345678", "m"], ["HSET", "one-h", "f", "v"],
    ["ZRANDMEMBER", "one", "1", "WITHSCORES"], ["ZRANDMEMBER", "one", "-1", "WITHSCORES"],
    ["ZRANDMEMBER", "one", "5", "withscores"], ["ZRANDMEMBER", "one"], ["ZRANDMEMBER", "one", "1"],
    ["HRANDFIELD", "one-h", "-1", "WITHVALUES"], ["HRANDFIELD", "one-h", "3", "withvalues"],
    ["HRANDFIELD", "one-h"], ["HRANDFIELD", "one-h", "-2"],
]

OPERATIONS = [
    ["ZADD", "a", "1", "x", "2", "y", "3", "z"], ["ZADD", "b", "10", "y", "20", "z", "30", "w"],
    ["SADD", "s", "y", "w", "q"], ["SET", "str", "v"],
    ["ZUNION", "2", "a", "b"], ["ZUNION", "2", "a", "b", "WITHSCORES"],
    ["ZUNION", "3", "a", "b", "s", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "weights", "2", "3", "aggregate", "min", "withscores"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "2", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "2", "x"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "2"], ["ZUNION", "2", "a", "b", "AGGREGATE", "avg"],
    ["ZUNION", "2", "a", "b", "AGGREGATE"], ["ZUNION", "0", "a", "b"], ["ZUNION", "-1", "a"],
    ["ZUNION", "x", "a"], ["ZUNION", "3", "a", "b"], ["ZUNION", "1", "a", "b"],
    ["ZUNION", "2", "a", "str"], ["ZUNION", "2", "a", "str", "WEIGHTS", "x"],
    ["ZUNION", "2", "a", "nx", "WITHSCORES"], ["ZUNION", "1", "nx"],
    ["ZINTER", "2", "a", "b", "WITHSCORES"], ["ZINTER", "2", "a", "s", "WITHSCORES"],
    ["ZINTER", "2", "a", "nx"], ["ZINTER", "2", "s", "s", "WITHSCORES"],
    ["ZINTER", "2", "a", "b", "WEIGHTS", "1", "-1", "AGGREGATE", "MIN", "WITHSCORES"],
    ["ZINTER", "2", "b", "str"], ["ZINTER", "0", "a"],
    ["ZDIFF", "2", "a", "b", "WITHSCORES"], ["ZDIFF", "2", "a", "s", "WITHSCORES"],
    ["ZDIFF", "1", "a", "WITHSCORES"], ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"],
    ["ZDIFF", "2", "a", "b", "AGGREGATE", "SUM"], ["ZDIFF", "2", "nx", "a"],
    ["ZDIFF", "2", "s", "a", "WITHSCORES"], ["ZDIFF", "2", "a", "str"], ["ZDIFF", "0", "a"],
    ["ZUNIONSTORE", "d", "2", "a", "b"], ["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZUNIONSTORE", "str", "1", "a"], ["TYPE", "str"],
    ["ZRANGE", "str", "0", "-1"], ["SET", "str", "v"], ["ZUNIONSTORE", "d", "2", "a", "str"],
    ["ZRANGE", "d", "0", "-1"], ["ZINTERSTORE", "d", "2", "a", "nx"], ["EXISTS", "d"],
    ["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "0.5", "2", "AGGREGATE", "MAX"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZDIFFSTORE", "d", "2", "a", "b"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZDIFFSTORE", "d", "2", "a", "a"], ["EXISTS", "d"],
    ["ZDIFFSTORE", "d", "0", "a"], ["ZUNIONSTORE", "d", "0", "a"], ["ZUNIONSTORE", "d", "x", "a"],
    ["ZINTERSTORE", "d", "3", "a"], ["ZDIFFSTORE", "d", "1", "a", "WITHSCORES"],
    ["HSET", "hash", "f", "v"], ["ZDIFFSTORE", "hash", "1", "s"], ["TYPE", "hash"],
    ["ZRANGE", "hash", "0", "-1", "WITHSCORES"], ["RPUSH", "list", "x"],
    ["ZINTERSTORE", "list", "2", "nx", "a"], ["EXISTS", "list"], ["SADD", "set", "x"],
    ["EXPIRE", "set", "100"], ["ZUNIONSTORE", "set", "1", "a"], ["TTL", "set"],
    ["ZUNIONSTORE", "a2", "2", "a", "a2"], ["ZRANGE", "a2", "0", "-1", "WITHSCORES"],
    ["ZINTERSTORE", "a2", "2", "a2", "b"], ["ZRANGE", "a2", "0", "-1", "WITHSCORES"],
    ["ZINTERCARD", "2", "a", "b"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
    ["ZINTERCARD", "2", "a", "b", "LIMIT", "0"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"],
    ["ZINTERCARD", "2", "a", "b", "LIMIT", "x"], ["ZINTERCARD", "2", "a", "b", "LIMIT"],
    ["ZINTERCARD", "2", "a", "b", "BAD", "1"], ["ZINTERCARD", "2", "a", "b", "WITHSCORES"],
    ["ZINTERCARD", "2", "a", "b", "WEIGHTS", "1", "1"], ["ZINTERCARD", "0", "a"],
    ["ZINTERCARD", "3", "a", "b"], ["ZINTERCARD", "2", "a", "s"], ["ZINTERCARD", "2", "a", "str"],
    ["ZINTERCARD", "2", "nx", "str"], ["ZINTERCARD", "1", "a", "LIMIT", "5", "LIMIT", "2"],
    ["SINTERCARD", "2", "s", "s"], ["SINTERCARD", "1", "s", "LIMIT", "2"],
    ["SINTERCARD", "1", "s", "LIMIT", "2", "LIMIT", "0"], ["SINTERCARD", "1", "s", "LIMIT"],
    ["SINTERCARD", "1", "s", "LIMIT", "-1"], ["SINTERCARD", "1", "s", "LIMIT", "x"],
    ["SINTERCARD", "1", "s", "BAD", "1"], ["SINTERCARD", "2", "s", "nx"],
    ["SINTERCARD", "2", "s", "str"], ["SINTERCARD", "2", "nx", "str"], ["SINTERCARD", "0", "s"],
    ["SINTERCARD", "x", "s"], ["SINTERCARD", "-1", "s"], ["SINTERCARD", "3", "s", "a"],
    ["SINTERCARD", "2", "s", "a"], ["SADD", "s2", "q", "w", "e"], ["SINTERCARD", "2", "s", "s2"],
    ["SINTERCARD", "2", "s", "s2", "LIMIT", "1"],
    ["ZADD", "n", "1", "x"], ["ZADD", "m", "-inf", "x"], ["ZADD", "p", "inf", "x"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "inf", "AGGREGATE", "SUM", "WITHSCORES"],
    ["ZUNION", "2", "n", "m", "WEIGHTS", "inf", "0", "WITHSCORES"],
    ["ZUNION", "2", "m", "p", "WITHSCORES"], ["ZINTER", "2", "m", "p", "WITHSCORES"],
    ["ZUNION", "2", "m", "m", "WEIGHTS", "-1", "1", "WITHSCORES"],
    ["ZINTER", "2", "m", "m", "WEIGHTS", "-1", "1", "WITHSCORES"],
    ["ZINTER", "2", "m", "n", "WEIGHTS", "0", "1", "WITHSCORES"],
    ["ZINTER", "2", "n", "m", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"],
    ["ZINTER", "2", "n", "m", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"],
    ["ZINTER", "2", "n", "m", "WEIGHTS", "1", "0", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "WITHSCORES", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "WEIGHTS", "3", "4", "WITHSCORES"],
    ["ZUNION", "2", "a", "b", "aggregate", "min", "aggregate", "max", "withscores"],
    ["ZUNIONSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN", "WEIGHTS", "1", "1e400"],
    ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "0x10"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZUNION", "1", "a", "WEIGHTS", "nan"], ["ZUNION", "1", "a", "WEIGHTS", " 1"],
    ["ZADD", "f1", "0.1", "x", "0.2", "y"], ["ZADD", "f2", "0.2", "x", "0.3", "y", "1", "z"],
    ["ZADD", "f3", "0.3", "x", "0.1", "y"], ["ZUNION", "3", "f2", "f1", "f3", "WITHSCORES"],
    ["ZINTER", "3", "f2", "f1", "f3", "WEIGHTS", "3", "0.7", "1.1", "WITHSCORES"],
    ["ZUNION", "3", "f3", "f1", "f2", "WEIGHTS", "0.3", "0.1", "0.7", "WITHSCORES"],
    ["ZUNIONSTORE", "f1", "2", "f1", "f2"], ["ZRANGE", "f1", "0", "-1", "WITHSCORES"],
    ["EXPIRE", "f2", "100"], ["ZINTERSTORE", "f2", "2", "f2", "f3"], ["TTL", "f2"],
    ["ZUNION", "2"], ["ZUNIONSTORE", "d", "1"], ["ZINTERCARD", "1"], ["SINTERCARD", "1"],
    ["ZDIFF"], ["ZINTERSTORE", "d"],
]


def _random(command):
    """A pick at random: HRANDFIELD or ZRANDMEMBER of several from more than one."""
    return command[0] in ("HRANDFIELD", "ZRANDMEMBER") and len(command) > 2 \
        and command[2] not in ("0", "x", "1.5") and not command[1].startswith("one")


def _hashed(command):
    """An SSCAN of a set of strings: Redis answers in its hash table's order."""
    return command[:2] == ["SSCAN", "t"]


def _assert_same_members(pair, command):
    theirs, mine = pair.same([words(command)])
    if theirs[0][:1] == b"-":
        assert theirs == mine, command
        return
    (real_cursor, real), (got_cursor, got) = decoded(theirs[0]), decoded(mine[0])
    assert (real_cursor, sorted(real)) == (got_cursor, sorted(got)), command


def _check_same(pair, script):
    for command in script:
        if _random(command):
            _assert_same_pick(pair, command)
        elif _hashed(command):
            _assert_same_members(pair, command)
        else:
            assert_same(pair, [command])


@pytest.mark.parametrize("script", [SCANS, ZSET_EDITS, RANDOM_ERRORS, OPERATIONS],
                         ids=["scans", "zset_edits", "random_errors", "operations"])
@pytest.mark.parametrize("protocol", [2, 3])
def test_scripted_commands_reply_as_redis(pair, script, protocol):
    """Every new command with its options, limits, errors and wrong
    arities: the same reply bytes as redis-server's, one at a time, then
    all again as one pipeline (the random picks of several: the same kind
    and size of reply)."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    _check_same(pair, script)
    assert_same(pair, [["FLUSHALL"]] + [c for c in script if not _random(c) and not _hashed(c)])


def _members(reply, paired):
    """A SCAN reply's members (and values or scores) as a list of tuples."""
    return list(zip(reply[::2], reply[1::2])) if paired else [(m,) for m in reply]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("server", ["redis", "ours"])
def test_a_full_scan_of_a_large_collection_returns_each_member_once(pair, server, protocol):
    """Large collections (Redis's hash tables) come in pieces of about
    COUNT: a full iteration returns every member exactly once while the
    collection does not change, with its value or score; while members
    come and go between the calls, each one there all along is returned
    at least once, and nothing never there is."""
    index = 0 if server == "redis" else 1
    if protocol == 3:
        _send(pair, index, ["HELLO", "3"])
    fields = [b"f%d" % i for i in range(600)]          # beyond a listpack's 512 (128: zset)
    _send(pair, index,
          ["HSET", "h"] + [x for f in fields for x in (f, b"v" + f)],
          ["SADD", "s"] + fields[:300],
          ["SADD", "i"] + [str(i) for i in range(600)],        # beyond an intset's 512
          ["ZADD", "z"] + [x for i, f in enumerate(fields) for x in (str(i / 4), f)],
          ["HSET", "long"] + [b"a", b"x" * 65, b"b", b"y"])   # a value beyond 64 bytes
    expected = {
        "h": [(f, b"v" + f) for f in fields], "s": [(f,) for f in fields[:300]],
        "i": [(b"%d" % i,) for i in range(600)],
        "z": [(f, b"%.17g" % (i / 4)) for i, f in enumerate(fields)],
        "long": [(b"a", b"x" * 65), (b"b", b"y")]}
    for key, members in expected.items():
        scan = (b"SSCAN" if key in ("s", "i") else b"ZSCAN" if key == "z" else b"HSCAN", key)
        paired = scan[0] != b"SSCAN"
        returned, calls = _scan_all(pair, index, ["COUNT", "20"], scan=scan)
        assert sorted(_members(returned, paired)) == sorted(members), key
        assert calls > 5 or key == "long", (key, calls)
        returned, calls = _scan_all(pair, index, ["MATCH", "*1", "COUNT", "30"], scan=scan)
        assert sorted(_members(returned, paired)) == sorted(
            m for m in members if m[0].endswith(b"1")), key

    # Members removed and added between the calls.
    fields = fields[:300]
    removed = set(fields[::3])
    added = set()

    def churn(call):
        gone = sorted(removed)[call * 3:call * 3 + 3]
        fresh = [b"new%d-%d" % (call, i) for i in range(5)]
        added.update(fresh)
        _send(pair, index, ["SREM", "s"] + gone, ["SADD", "s"] + fresh)
    returned, calls = _scan_all(pair, index, ["COUNT", "10"], churn, scan=(b"SSCAN", b"s"))
    assert calls > 10
    assert set(fields) - removed <= set(returned) <= set(fields) | added


def _pick(pair, index, *command):
    (reply,) = _send(pair, index, command)
    return decoded(reply)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("server", ["redis", "ours"])
def test_random_picks_are_what_redis_promises(pair, server, protocol):
    """HRANDFIELD and ZRANDMEMBER, small and large: a positive count
    gives that many distinct members (all of them if there are fewer), a
    negative one that many, repeats allowed; with their values or scores
    (in RESP3 as pairs)."""
    index = 0 if server == "redis" else 1
    if protocol == 3:
        _send(pair, index, ["HELLO", "3"])
    for size in (5, 200):
        _send(pair, index, ["FLUSHALL"],
              ["HSET", "h"] + [x for i in range(size) for x in (b"f%d" % i, b"v%d" % i)],
              ["ZADD", "z"] + [x for i in range(size) for x in (b"%d.5" % i, b"m%d" % i)])
        fields = {b"f%d" % i: b"v%d" % i for i in range(size)}
        scores = {b"m%d" % i: i + 0.5 for i in range(size)}
        assert _pick(pair, index, "HRANDFIELD", "h") in fields
        assert _pick(pair, index, "ZRANDMEMBER", "z") in scores
        for count in (1, 3, size - 1, size, size + 7, -1, -3, -(size + 7)):
            for key, word, values in (("h", "WITHVALUES", fields), ("z", "WITHSCORES", scores)):
                plain = _pick(pair, index, "HRANDFIELD" if key == "h" else "ZRANDMEMBER",
                              key, str(count))
                with_values = _pick(pair, index, "HRANDFIELD" if key == "h" else "ZRANDMEMBER",
                                    key, str(count), word)
                if protocol == 3:
                    assert all(len(pair_) == 2 for pair_ in with_values)
                    pairs = [tuple(pair_) for pair_ in with_values]
                else:
                    pairs = list(zip(with_values[::2], with_values[1::2]))
                wanted = min(count, size) if count > 0 else -count
                assert len(plain) == len(pairs) == wanted, (key, count)
                assert set(plain) <= set(values)
                for member, value in pairs:
                    assert value == values[member] or float(value) == values[member]
                if count > 0:
                    assert len(set(plain)) == len(plain)
                    assert len({member for member, _ in pairs}) == len(pairs)


SCORE_BOUNDS = [
    ["ZADD", "z", "0", "a", "1", "b", "2", "c"], ["ZCOUNT", "z", "-", "1"],
    ["ZCOUNT", "z", "0", "+"],
    ["ZCOUNT", "z", "", "1"], ["ZCOUNT", "z", "  ", "1"], ["ZCOUNT", "z", " 1", "2"],
    ["ZCOUNT", "z", "(", "1"], ["ZCOUNT", "z", "( ", "1"], ["ZCOUNT", "z", " -", "1"],
    ["ZCOUNT", "z", "1 ", "1"], ["ZCOUNT", "z", "-.", "1"], ["ZCOUNT", "z", ".", "1"],
    ["ZCOUNT", "z", "0x", "1"], ["ZCOUNT", "z", "0x1p0", "2"], ["ZRANGEBYSCORE", "z", "-", "+"],
    ["ZRANGE", "z", "(", "+", "BYSCORE"], ["ZREMRANGEBYSCORE", "z", "+", "2"],
    ["ZREMRANGEBYSCORE", "z", "(", "(1"], ["ZRANGE", "z", "0", "-1"],
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_score_bound_of_a_sign_or_spaces_alone_is_not_a_float(pair, protocol):
    """``ZCOUNT z - +`` (a sign alone: strtod reads nothing) is "min or
    max is not a float", as spaces alone are; an empty bound is 0.  It
    raised ValueError inside the server."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    _check_same(pair, SCORE_BOUNDS)


MIXED_LEX = [
    ["ZADD", "z", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e", "6", "a2"],
    ["ZRANGEBYLEX", "z", "-", "+"], ["ZRANGEBYLEX", "z", "[b", "+"],
    ["ZRANGEBYLEX", "z", "-", "[b"],
    ["ZRANGEBYLEX", "z", "(a", "[c"], ["ZRANGEBYLEX", "z", "[c", "[d"],
    ["ZRANGEBYLEX", "z", "[d", "[d"], ["ZRANGEBYLEX", "z", "[d", "(d"],
    ["ZREVRANGEBYLEX", "z", "+", "-"], ["ZREVRANGEBYLEX", "z", "[c", "-"],
    ["ZREVRANGEBYLEX", "z", "+", "[b"], ["ZREVRANGEBYLEX", "z", "(e", "(a"],
    ["ZRANGE", "z", "[b", "[d", "BYLEX"], ["ZRANGE", "z", "[d", "[b", "BYLEX", "REV"],
    ["ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "2"],
    ["ZRANGE", "z", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
    ["ZLEXCOUNT", "z", "[b", "+"], ["ZLEXCOUNT", "z", "-", "[b"], ["ZLEXCOUNT", "z", "[a", "[a"],
    ["ZLEXCOUNT", "z", "[c", "(c"], ["ZLEXCOUNT", "z", "-", "-"], ["ZLEXCOUNT", "z", "+", "+"],
    ["ZLEXCOUNT", "z", "+", "-"], ["ZLEXCOUNT", "z", "[e", "[a"],
    ["ZRANGESTORE", "d", "z", "[b", "[e", "BYLEX"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZREMRANGEBYLEX", "z", "[b", "[c"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZREMRANGEBYLEX", "z", "(a", "+"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_bylex_on_mixed_scores_walks_as_redis(pair, protocol):
    """BYLEX is meant for members of one score; on a small sorted set of
    mixed scores Redis walks its listpack from the first member at least
    the minimum, on while members are at most the maximum (the
    reverse for REV), and so do ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANGE
    BYLEX, ZLEXCOUNT, ZRANGESTORE and ZREMRANGEBYLEX here now -- they
    took every member in range, wherever it stood."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    _check_same(pair, MIXED_LEX)


BLOCKING = [
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4.5", "d"], ["SET", "str", "v"],
    ["BZPOPMIN", "z", "0"], ["BZPOPMAX", "z", "0"], ["BZPOPMIN", "nx", "z", "0"],
    ["BZPOPMIN", "str", "z", "0"], ["BZPOPMAX", "z", "str", "0"], ["BZPOPMIN", "z", "x"],
    ["BZPOPMIN", "z", "-1"], ["BZPOPMIN", "z"], ["BZPOPMAX"], ["EXISTS", "z"],
    ["RPUSH", "l", "a", "b", "c"], ["BRPOPLPUSH", "l", "d", "0"], ["BRPOPLPUSH", "l", "str", "0"],
    ["BRPOPLPUSH", "l", "l", "0"], ["LRANGE", "l", "0", "-1"], ["LRANGE", "d", "0", "-1"],
    ["BRPOPLPUSH", "nx", "d", "x"], ["BRPOPLPUSH", "nx", "d", "-1"], ["BRPOPLPUSH", "nx", "d"],
    ["BZPOPMIN", "l", "0"], ["BRPOPLPUSH", "str", "d", "0"],
    ["MULTI"], ["BZPOPMIN", "nx", "0"], ["BZPOPMAX", "nx", "z", "0"],
    ["BRPOPLPUSH", "nx", "d", "0"],
    ["ZADD", "m", "7", "x"], ["BZPOPMAX", "nx", "m", "0"], ["EXEC"],
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_blocking_commands_that_need_not_wait_reply_as_redis(pair, protocol):
    """BZPOPMIN, BZPOPMAX and BRPOPLPUSH on keys with something to pop, or
    inside MULTI (no waiting: nil), their errors and arities: the same
    bytes as redis-server's."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    _check_same(pair, BLOCKING)


def test_sorted_set_waiters_are_served_in_arrival_order(connect):
    """Clients block in BZPOPMIN (one on two keys), BZPOPMAX and BLPOP on
    the same key; a ZADD serves the sorted-set waiters first come first
    served, one member each, and leaves the list waiter blocked -- as
    Redis does; a push serves it; a BRPOPLPUSH waiter is served by a push
    too.  The same steps against redis-server and ours."""
    control = connect()
    first, second, third, fourth = (connect() for _ in range(4))
    first.send("BZPOPMIN", "z", "0")
    wait_blocked(control, 1)
    second.send("BLPOP", "z", "0")
    wait_blocked(control, 2)
    third.send("BZPOPMAX", "other", "z", "0")
    wait_blocked(control, 3)
    fourth.send("BZPOPMIN", "z", "10")
    wait_blocked(control, 4)
    assert control.ask("ZADD", "z", "1", "a", "2", "b") == 2
    assert first.reply() == [b"z", b"a", b"1"]
    assert third.reply() == [b"z", b"b", b"2"]
    wait_blocked(control, 2)
    assert control.ask("ZADD", "z", "3", "c", "4", "d") == 2
    assert fourth.reply() == [b"z", b"c", b"3"]
    assert control.ask("ZRANGE", "z", "0", "-1") == [b"d"]
    assert control.ask("DEL", "z") == 1
    assert blocked_clients(control) == 1
    assert control.ask("RPUSH", "z", "x") == 1
    assert second.reply() == [b"z", b"x"]
    # A ZUNIONSTORE creating the key serves too; BRPOPLPUSH by a push.
    first.send("BZPOPMAX", "u", "0")
    wait_blocked(control, 1)
    third.send("BRPOPLPUSH", "q", "dest", "0")
    wait_blocked(control, 2)
    assert control.ask("ZADD", "src", "5", "m", "6", "n") == 2
    assert control.ask("ZUNIONSTORE", "u", "1", "src") == 2
    assert first.reply() == [b"u", b"n", b"6"]
    assert control.ask("RPUSH", "q", "a", "b") == 2
    assert third.reply() == b"b"
    assert control.ask("LRANGE", "dest", "0", "-1") == [b"b"]
    assert blocked_clients(control) == 0


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_blocking_zpop_times_out_with_nil(connect, protocol):
    """BZPOPMIN and BRPOPLPUSH with a timeout answer a nil array after it
    (``*-1``, RESP3 ``_``), and no longer count as blocked."""
    control, client = connect(), connect()
    if protocol == 3:
        client.ask("HELLO", "3")
    client.sock.sendall(encode_command("BZPOPMIN", "nx", "0.05"))
    data = client.sock.recv(100)
    assert data == (b"*-1\r\n" if protocol == 2 else b"_\r\n")
    client.sock.sendall(encode_command("BRPOPLPUSH", "nx", "d", "0.05"))
    assert client.sock.recv(100) == data
    assert blocked_clients(control) == 0


def test_a_client_that_leaves_while_blocked_in_bzpopmin_is_forgotten(connect):
    """A client that disconnects while blocked takes nothing: the next
    member goes to the client after it, or stays."""
    control, leaving, staying = connect(), connect(), connect()
    leaving.send("BZPOPMIN", "z", "0")
    wait_blocked(control, 1)
    staying.send("BZPOPMAX", "z", "0")
    wait_blocked(control, 2)
    leaving.close()
    wait_blocked(control, 1)
    assert control.ask("ZADD", "z", "1", "a", "2", "b") == 2
    assert staying.reply() == [b"z", b"b", b"2"]
    assert control.ask("ZRANGE", "z", "0", "-1") == [b"a"]
    assert blocked_clients(control) == 0


def test_interleaved_scans_of_more_collections_than_are_kept_return_each_member_once():
    """Iterations over more large collections than ``ScanSnapshots``
    keeps, interleaved (each call may find its list gone and make it
    again) and two at once on one collection, while members come and go:
    every member there all along is returned exactly once by each, and
    each one returned was there at some moment."""
    store = Store()
    names = [b"s%d" % i for i in range(ScanSnapshots.KEEP + 3)]
    for name in names:
        store.execute([b"SADD", name] + [b"m%d" % i for i in range(1000)])
    iterations = [(name, b"0") for name in names] + [(names[0], b"0")]
    returned = [[] for _ in iterations]
    ever = {name: {b"m%d" % i for i in range(1000)} for name in names}
    removed = {name: set() for name in names}
    calls = 0
    while any(cursor is not None for _, cursor in iterations):
        for index, (name, cursor) in enumerate(iterations):
            if cursor is None:
                continue
            reply = decoded(store.execute([b"SSCAN", name, cursor, b"COUNT", b"13"]))
            returned[index] += reply[1]
            iterations[index] = (name, None if reply[0] == b"0" else reply[0])
            calls += 1
            fresh, gone = b"new%d" % calls, b"m%d" % (calls * 7 % 1000)
            store.execute([b"SADD", name, fresh])
            store.execute([b"SREM", name, gone])
            ever[name].add(fresh)
            removed[name].add(gone)
    for (name, _), members in zip(iterations, returned):
        assert len(members) == len(set(members)), name
        assert ever[name] - removed[name] - {m for m in ever[name] if m.startswith(b"new")} \
            <= set(members) <= ever[name], name


@pytest.mark.parametrize("command", [["SRANDMEMBER", "s"], ["HRANDFIELD", "h"],
                                     ["ZRANDMEMBER", "z"], ["HRANDFIELD", "h", "WITHVALUES"]])
def test_a_negative_count_of_billions_is_refused_not_served(ours, command):
    """``HRANDFIELD h -9223372036854775807`` makes redis-server 7.0 build
    a reply until it runs out of memory, answering nobody meanwhile; ours
    refuses a negative count beyond ``MAX_PICKS`` picks (a reply of 100 MB
    and more) with an error, and goes on serving -- up to it, it answers."""
    client = Client(socket.AF_INET, ("127.0.0.1", ours))
    try:
        client.ask("FLUSHALL")
        client.ask("SADD", "s", "a", "b"), client.ask("HSET", "h", "f", "v")
        client.ask("ZADD", "z", "1", "m")
        key, rest = command[:2], command[2:]
        for count in (str(-MAX_PICKS - 1), "-9223372036854775807"):
            reply = client.ask(*(key + [count] + rest))
            assert isinstance(reply, ReplyError) and "out of range" in str(reply), reply
        assert len(client.ask(*(key + ["-1000"] + rest))) == 1000 * (1 + bool(rest))
        assert client.ask("PING") == "PONG"
    finally:
        client.close()


NEGATIVE_ZERO = [
    ["ZADD", "z", "-0", "a"], ["ZSCORE", "z", "a"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZINCRBY", "z", "-0", "a"], ["ZADD", "w", "1", "a"], ["ZINCRBY", "w", "-1", "a"],
    ["ZSCORE", "w", "a"], ["ZUNION", "1", "z", "WEIGHTS", "-1", "WITHSCORES"],
    ["ZMSCORE", "z", "a"],
    ["ZADD", "u", "-0", "a", "0", "b"], ["ZUNIONSTORE", "d", "1", "u", "WEIGHTS", "-1"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZINTER", "2", "u", "u", "WEIGHTS", "-1", "1", "AGGREGATE", "MIN", "WITHSCORES"],
    ["ZSCAN", "u", "0"], ["ZRANGEBYSCORE", "u", "-0", "0", "WITHSCORES"], ["ZPOPMIN", "z"],
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_score_of_minus_zero_is_kept_as_zero(pair, protocol):
    """Redis keeps a small sorted set's scores as text in a listpack, an
    integral one as an integer: ``ZADD z -0 a`` then ``ZSCORE z a`` is
    "0", and ZUNION's weight -1 makes that "-0".  Ours said "-0", then "0"."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    _check_same(pair, NEGATIVE_ZERO)
