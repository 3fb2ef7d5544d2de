"""Random command sequences over a few colliding keys, against a real
redis-server (7.0.15), reply for reply -- and what such sequences found,
pinned one case at a time.

The servers and the comparison are tests/test_kv_vs_redis.py's (the
fixtures ``redis``, ``ours``, ``pair`` and ``assert_same``, with its
allowed differences: KEYS and a set's members sorted, TTLs a moment
apart, DBSIZE without the keys past their deadline).  The generator here
mixes every type on the same five keys (a string, then a list, a hash, a
set, a sorted set), with values at and past the integer limits, empty,
binary, holding a NUL, not numbers at all; edge indexes; wrong arities;
any command of ours with arguments drawn at random; unknown commands;
transactions.  Left out: what picks at random (SPOP, SRANDMEMBER ...),
what blocks, SCAN's cursors, OBJECT ENCODING (kv_admin's essay: from the
value as it is, not its history), CLIENT, CONFIG, COMMAND, INFO and
HELLO (each server's own), SELECT of another database (we have one) --
and SORT: Redis 7.0's reads a stale errno, so after a strtod that set
ERANGE (``ZCOUNT k -1e-400 1``) it refuses "One or more scores can't be
converted into double" on a pipelined SORT of string elements it sorts
otherwise.  Hash values stay under 65 bytes and collections small, so
that Redis keeps them in listpacks, in insertion order, as ours are.
"""

import os
import random

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import UNORDERED, assert_same, ours, pair, redis  # noqa: F401
from test_kv_vs_redis import send_random
from trampoline.protocols.kv import Store

WATCHDOG_SECONDS = 60.0
I, M = str(2**63 - 1), str(-2**63)


def _hello(pair, protocol):
    if protocol == 3:
        pair.same([["HELLO", "3"]])


# ================================================================ what the sequences found

#: A score bound is read as C reads a string: up to its first NUL.
NUL_SCORE_BOUNDS = [
    ["ZADD", "z", "0", "a", "1", "b", "2", "c"],
    ["ZCOUNT", "z", b"1\x00x", "+inf"], ["ZCOUNT", "z", b"\x00junk", b"(2\x00"],
    ["ZCOUNT", "z", b"(\x001", "1"], ["ZCOUNT", "z", b"\x00(1", "1"],
    ["ZCOUNT", "nx", "+3", b"\x00\xfe\r\n"], ["ZRANGEBYSCORE", "z", b"1\x002", "inf", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "+inf", b"(1\x00x"], ["ZRANGE", "z", b"0\x00", b"1\x00", "BYSCORE"],
    ["ZRANGESTORE", "d", "z", b"1\x00", "2", "BYSCORE"], ["ZRANGE", "d", "0", "-1"],
    ["ZREMRANGEBYSCORE", "z", b"2\x00", "+inf"], ["ZRANGE", "z", "0", "-1"],
    ["SET", "s", "v"], ["ZCOUNT", "s", b"1\x00", "2"], ["ZRANGEBYSCORE", "s", b"\x00", "1"],
    ["ZCOUNT", "z", "x\x00", "1"],
]

#: ZINCRBY is ZADD ... INCR in Redis: a first increment of -0 answers -0
#: (the score kept is 0), and ZADD's flags where the increment goes are
#: read as flags, leaving no score -- a syntax error, before the key is looked at.
ZINCRBY_EDGES = [
    ["ZINCRBY", "z", "-0", "m"], ["ZSCORE", "z", "m"], ["ZINCRBY", "z", "-0", "m"],
    ["ZINCRBY", "z", "-0.0", "n"], ["ZADD", "z", "INCR", "-0", "o"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZINCRBY", "z", "NX", "m"], ["ZINCRBY", "z", "xx", "m"], ["ZINCRBY", "z", "Gt", "m"],
    ["ZINCRBY", "z", "lt", "m"], ["ZINCRBY", "z", "CH", "m"], ["ZINCRBY", "z", "incr", "m"],
    ["SET", "s", "v"], ["ZINCRBY", "s", "NX", "m"], ["ZINCRBY", "s", "1", "m"],
    ["ZINCRBY", "z", "NXX", "m"], ["ZINCRBY", "z", "x", "m"],
]

#: An infinity stored as the value, and an increment beyond the doubles
#: (not beyond the long doubles INCRBYFLOAT reads): the error, as Redis --
#: the server raised OverflowError and closed the connection.
INFINITE_FLOAT_INCREMENTS = [
    ["SET", "a", "inf"], ["INCRBYFLOAT", "a", "1e400"], ["INCRBYFLOAT", "a", "-1e400"],
    ["SET", "b", "1e400"], ["INCRBYFLOAT", "b", "inf"], ["INCRBYFLOAT", "b", "-inf"],
    ["SET", "c", "-inf"], ["INCRBYFLOAT", "c", "-1e4000"],
    ["HSET", "h", "f", "inf", "g", "1e400"], ["HINCRBYFLOAT", "h", "f", "1e400"],
    ["HINCRBYFLOAT", "h", "g", "inf"], ["HINCRBYFLOAT", "h", "g", "1"], ["GET", "b"], ["PING"],
]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("script", [NUL_SCORE_BOUNDS, ZINCRBY_EDGES, INFINITE_FLOAT_INCREMENTS],
                         ids=["nul_score_bounds", "zincrby_edges", "infinite_float_increments"])
def test_what_random_sequences_found_replies_as_redis(pair, script, protocol):
    """Each case a random sequence found, minimised: the same reply bytes
    as redis-server's.  A score bound with a NUL in it was "min or max is
    not a float" (Redis's strtod stops at the NUL); ``ZINCRBY z -0 m``
    answered "0" (Redis: "-0"), ``ZINCRBY z NX m`` "value is not a valid
    float" (Redis: a syntax error); ``INCRBYFLOAT`` of 1e400 on "inf"
    crashed the client's connection."""
    _hello(pair, protocol)
    assert_same(pair, script)


#: Redis checks a subcommand -- that there is one of that name, and its
#: number of arguments -- as the command arrives: in MULTI it is refused
#: there (and EXEC aborts), to a RESP2 subscriber it is refused naming
#: it (``client|list``).
SUBCOMMAND_CHECKS = [
    ["SET", "k", "v"], ["MULTI"], ["SET", "k", "w"], ["OBJECT", "FOO", "k"],
    ["OBJECT", "ENCODING"], ["OBJECT", "HELP", "x"], ["PUBSUB", "NUMPAT", "x"],
    ["PUBSUB", b"\x00\xff"], ["CONFIG", "GET"], ["CONFIG", "foo"], ["CLIENT", "bar"],
    ["COMMAND", "xyz"], ["CLIENT", "ID", "x"], ["CLIENT", "KILL"], ["COMMAND"],
    ["OBJECT", "ENCODING", "k"], ["PUBSUB", "NUMPAT"], ["EXEC"], ["GET", "k"],
    ["MULTI"], ["OBJECT", "freq"], ["DISCARD"], ["MULTI"], ["GET", "k"], ["EXEC"],
]

SUBSCRIBED_REFUSALS = [
    ["SUBSCRIBE", "ch"], ["CLIENT", "LIST"], ["CLIENT", "INFO"], ["CLIENT", "KILL", "x"],
    ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "ID"], ["OBJECT", "ENCODING"],
    ["OBJECT", "ENCODING", "k"], ["OBJECT", "foo"], ["CLIENT", "NO-EVICT"], ["CLIENT", "KILL"],
    ["CLIENT", "INFO", "x"], ["CONFIG", "GET", "x"], ["PUBSUB", "NUMPAT"], ["GET", "k"],
]


def test_a_subcommand_is_checked_before_it_is_queued(pair):
    """``MULTI`` then ``OBJECT FOO k`` (or ``PUBSUB NUMPAT x``, ``CLIENT
    bar`` ...): refused at once with Redis's error, and EXEC aborts the
    transaction, as for an unknown command.  We queued it, and EXEC ran
    the rest of the transaction (in RESP2 and RESP3 alike: one protocol)."""
    assert_same(pair, SUBCOMMAND_CHECKS)


def test_a_subscriber_is_refused_client_list_by_its_name(pair):
    """A RESP2 subscriber that sends ``CLIENT LIST`` (INFO, KILL,
    NO-EVICT, OBJECT ENCODING k) is refused as Redis refuses it: "Can't
    execute 'client|list'" -- or, for a wrong number of arguments, that
    error.  We answered "unknown subcommand 'LIST'" (a table of
    subcommands that had fallen behind the commands) and named OBJECT's
    refusal 'object'."""
    assert_same(pair, SUBSCRIBED_REFUSALS)


# ================================================================ seeded random sequences

KEYS = ["a", "b", "c", "", b"\x00\xff"]
VALUES = ["1", "0", "-1", "7", "v", "", "01", "1.5", " 2", "+3", "-0", I, M, str(2**63),
          str(-2**63 - 1), b"\x00\xfe\r\n", "abc", "1e3", "inf", "nan", "0x10", b"1\x00",
          b"1\x002", b"(1\x00x", "1e400", "(2", ".5", "5."]
HASH_INCREMENTS = [value for value in VALUES if value != "1e400"]     # (LEFT_OUT)
INDEXES = ["0", "1", "-1", "2", "-2", "3", "5", "-5", "100", "-100", I, M, str(2**63), "x", "",
           "1.0", " 1", "+1", "-0", "4294967296"]
MEMBERS = ["x", "y", "z", "1", "", b"\xff\x00", "10", "-2", b"3\x00"]
#: Arguments for a command picked at random (and its options' words).
WORDS = KEYS + VALUES + INDEXES + MEMBERS + [
    "WITHSCORES", "LIMIT", "NX", "XX", "GT", "COUNT", "RANK", "MAXLEN", "BEFORE", "LEFT", "REV",
    "BYSCORE", "BYLEX", "STORE", "MATCH", "ENCODING", "HELP", "NUMSUB", "a'b", "sp ace"]
#: Ours, less what picks at random, blocks, walks a hash table, is each
#: server's own, opens a transaction or a subscription, or sorts (above);
#: and less, with random arguments, what could set a deadline a few
#: milliseconds away (one server past it, the other not yet) or make a
#: hash value longer than 64 bytes (HINCRBYFLOAT of 1e400: Redis's hash is
#: then a hash table, in its own order) -- those are in the table below.
LEFT_OUT = {"SET", "GETEX", "SETEX", "PSETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT",
            "HINCRBYFLOAT",
            "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "SCAN", "HSCAN",
            "SSCAN", "ZSCAN", "RANDOMKEY", "SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER",
            "OBJECT", "CLIENT", "CONFIG", "COMMAND", "INFO", "HELLO", "QUIT", "RESET",
            "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "MULTI", "EXEC", "DISCARD",
            "WATCH", "UNWATCH", "SORT", "SORT_RO", "SELECT"}
ANY = sorted(name.decode() for name in Store().commands if name.decode() not in LEFT_OUT)
UNKNOWN = ["FOO", "fOo", "GETT", "set x", b"\xff", ""]
#: Not in a transaction: compared with a tolerance, or sorted, out of one.
NOT_IN_EXEC = {name.decode() for name in UNORDERED} | {"TTL", "PTTL", "EXPIRETIME",
                                                       "PEXPIRETIME", "DBSIZE"}


def _random_command(rng):
    key, other, value = rng.choice(KEYS), rng.choice(KEYS), rng.choice(VALUES)
    index, index2 = rng.choice(INDEXES), rng.choice(INDEXES)
    member, member2 = rng.choice(MEMBERS), rng.choice(MEMBERS)
    pick = rng.random()
    if pick < 0.08:
        command = [rng.choice(ANY)] + [rng.choice(WORDS) for _ in range(rng.choice([0, 1, 1, 2, 3, 4]))]
    elif pick < 0.10:
        command = [rng.choice(UNKNOWN)] + [rng.choice(WORDS + ["x" * 200])  # (cut at 128)
                                           for _ in range(rng.randrange(3))]
    else:
        command = rng.choice([
            # strings, counters, keys
            ["SET", key, value], ["SET", key, rng.choice([value, "x" * 70])] + rng.sample(
                ["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "100000", "0", "-1", "x", I], rng.randrange(1, 4)),
            ["GET", key], ["GETSET", key, value], ["SETNX", key, value], ["STRLEN", key],
            ["GETDEL", key], ["GETEX", key] + rng.choice([[], ["PERSIST"], ["EX", "100"], ["EX", I], ["PX", "x"]]),
            ["MSET", key, value, other, value], ["MSETNX", key, value, other, member],
            ["MGET", key, other, "nx"], ["APPEND", key, rng.choice([value, "x" * 70])],
            ["GETRANGE", key, index, index2], ["SUBSTR", key, index, index2],
            ["SETRANGE", key, rng.choice(INDEXES + ["536870912"]), rng.choice([value, "", "ab"])],
            ["INCR", key], ["DECR", key], ["INCRBY", key, value], ["DECRBY", key, value],
            ["INCRBYFLOAT", key, value], ["DEL", key, other], ["UNLINK", key], ["EXISTS", key, other, key],
            ["TYPE", key], ["RENAME", key, other], ["RENAMENX", key, other],
            ["COPY", key, other] + rng.choice([[], ["REPLACE"], ["DB", "0"], ["BAD"]]),
            # (GT and LT against deadlines in the future only: a relative
            # one compared with another set a moment before is a race.)
            ["EXPIRE", key, rng.choice(["1000", "-1", "0", "x", I, M])]
            + rng.sample(["NX", "XX", "nx"], rng.choice([0, 0, 1, 2])),
            ["EXPIREAT", key, rng.choice(["99999999999", "99999999990", "1", "x", I, M])]
            + rng.sample(["NX", "XX", "GT", "LT", "lt"], rng.choice([0, 1, 1, 2])),
            ["PEXPIREAT", key, rng.choice(["1", "99999999999999", I, M])], ["PERSIST", key],
            ["TTL", key], ["PTTL", key], ["EXPIRETIME", key], ["TOUCH", key, other],
            ["SETEX", key, rng.choice(["100", "0", "-1", "x", I]), value],
            # lists
            ["LPUSH", key, member, member2], ["RPUSH", key, member], ["LPUSHX", key, member],
            ["RPUSHX", key, member2], ["LPOP", key] + rng.choice([[], [index]]),
            ["RPOP", key] + rng.choice([[], [index]]), ["LRANGE", key, index, index2],
            ["LINDEX", key, index], ["LSET", key, index, member], ["LREM", key, index, member],
            ["LTRIM", key, index, index2], ["LLEN", key],
            ["LINSERT", key, rng.choice(["BEFORE", "after", "x"]), member, member2],
            ["LPOS", key, member] + rng.sample(["RANK", index, "COUNT", index2, "MAXLEN", index],
                                               rng.choice([0, 2, 4])),
            ["LMOVE", key, other, rng.choice(["LEFT", "RIGHT", "UP"]), rng.choice(["LEFT", "right"])],
            ["RPOPLPUSH", key, other],
            # hashes
            ["HSET", key, member, member2], ["HSET", key, member, value, member2, value],
            ["HSET", key, member], ["HGET", key, member], ["HMGET", key, member, member2],
            ["HDEL", key, member, member2], ["HINCRBY", key, member, value],
            ["HINCRBYFLOAT", key, member, rng.choice(HASH_INCREMENTS)], ["HGETALL", key], ["HLEN", key], ["HKEYS", key],
            ["HVALS", key], ["HEXISTS", key, member], ["HSTRLEN", key, member],
            ["HSETNX", key, member, value],
            # sets
            ["SADD", key, member, member2], ["SREM", key, member], ["SMEMBERS", key],
            ["SISMEMBER", key, member], ["SMISMEMBER", key, member, member2], ["SCARD", key],
            ["SINTER", key, other], ["SUNION", key, other], ["SDIFF", key, other],
            ["SMOVE", key, other, member], ["SINTERSTORE", key, other, key],
            ["SINTERCARD", rng.choice(["1", "2", "0", "x"]), key, other]
            + rng.choice([[], ["LIMIT", index], ["LIMIT"]]),
            # sorted sets
            ["ZADD", key] + rng.sample(["NX", "XX", "GT", "LT", "CH", "INCR"], rng.choice([0, 0, 1, 2]))
            + [rng.choice(VALUES + ["-inf", "+inf"]), member],
            ["ZINCRBY", key, rng.choice(VALUES + ["NX", "ch"]), member], ["ZSCORE", key, member],
            ["ZCARD", key], ["ZREM", key, member], ["ZRANK", key, member], ["ZMSCORE", key, member, member2],
            ["ZRANGE", key, index, index2] + rng.choice([[], ["WITHSCORES"], ["REV"], ["BYSCORE"]]),
            ["ZCOUNT", key, value, rng.choice(VALUES + ["+inf"])],
            ["ZRANGEBYSCORE", key, value, rng.choice(VALUES)] + rng.choice([[], ["WITHSCORES"]]),
            ["ZREVRANGEBYSCORE", key, value, rng.choice(VALUES)],
            ["ZREMRANGEBYSCORE", key, value, rng.choice(VALUES)],
            ["ZPOPMIN", key] + rng.choice([[], [index]]), ["ZREMRANGEBYRANK", key, index, index2],
            ["ZUNIONSTORE", key, rng.choice(["1", "2", "0", "x"]), key, other],
            # the rest
            ["KEYS", rng.choice(["*", "?", "[ab]", "\\", "a*"])], ["DBSIZE"], ["ECHO", value],
            ["PING"] + [value] * rng.randrange(0, 3), ["SELECT", rng.choice(["0", "x", "-1"])],
            ["PUBSUB", rng.choice(["NUMPAT", "numsub", "x", ""])] + [key] * rng.randrange(2),
        ])
    if rng.random() < 0.05:                 # a wrong arity, now and then
        command = command[:-1] if len(command) > 1 and rng.random() < 0.6 else command + [value]
    if rng.random() < 0.15 and isinstance(command[0], str):
        command[0] = "".join(rng.choice([c.lower(), c]) for c in command[0])
    return command


def _random_transaction(rng):
    """WATCH now and then, MULTI, a few commands, EXEC or DISCARD."""
    commands = [["WATCH", rng.choice(KEYS)]] if rng.random() < 0.3 else []
    commands.append(["MULTI"])
    while len(commands) < 10 and rng.random() < 0.8:
        command = _random_command(rng)
        if command[0].upper() not in NOT_IN_EXEC:
            commands.append(command)
    return commands + [rng.choice([["EXEC"]] * 4 + [["DISCARD"], ["exec"]])]


@pytest.mark.parametrize("protocol", [2, 3])
def test_random_sequences_over_colliding_keys_reply_as_redis(pair, protocol):
    """3000 commands from a seeded generator, in pipelines of up to 25: the
    same five keys taken by every type in turn, values at and past the
    limits, binary and holding NULs, edge indexes, wrong arities, any of
    our commands with random arguments, unknown commands, transactions --
    each reply the same bytes as redis-server's (errors word for word).
    ``KV_SEED=n`` in the environment tries another seed."""
    rng = random.Random(int(os.environ.get("KV_SEED", 53)) * 10 + protocol)
    _hello(pair, protocol)
    send_random(pair, rng, 3000, 25, _random_command, _random_transaction)
