"""trampoline/protocols/kv.py: INFO's keyspace_hits and keyspace_misses,
counted where Redis counts them; and the sweep's queue let go of soon
after a mass DEL or PERSIST.

The counts are compared with a real redis-server's (7.0.15) after each
step of a script that goes through every kind of lookup: a read command's
(GET, MGET's each key, EXISTS, TYPE, TTL, OBJECT, SCAN's TYPE filter,
SORT's BY and GET keys, SINTER's and ZUNION's each key up to a wrong
type, the STORE forms' sources ...), counted whether the key is there or
not, and a write command's or an iteration's (SET, DEL, EXPIRE, INCR,
KEYS, RANDOMKEY, WATCH ...), never counted.  The servers and their pair
of connections are test_kv_vs_redis's.

The queue: after a DEL (or PERSIST) of 20,000 keys with a deadline, with
20 left and no deadline set since, the next sweep makes the queue again
from the table of deadlines -- it kept the 20,000 entries (and the keys)
until the sweep had gone round them, 2,000 a tenth of a second: 50 s for
a million.  Through the server on a VirtualClock.
"""

import pytest

from net_helpers import ask, watchdog, with_kv_server  # noqa: F401 (watchdog: autouse)
from test_kv_vs_redis import assert_same, decoded, ours, pair, redis  # noqa: F401 (fixtures)
from trampoline import VirtualClock, sleep
from trampoline.protocols.kv import SWEEP_INTERVAL, Store

WATCHDOG_SECONDS = 30.0


# ================================================================ keyspace_hits, keyspace_misses

#: Steps: (what it shows, the commands sent as one pipeline).  After each,
#: both servers' counts must have moved by the same amounts.
SCRIPT = [
    ("GET: a miss, then a hit", [["GET", "k"], ["SET", "k", "v"], ["GET", "k"]]),
    ("a write's lookup counts nothing",
     [["SET", "k", "w"], ["SET", "k", "x", "NX"], ["SET", "k", "y", "XX"], ["SETNX", "n", "1"],
      ["INCR", "n"], ["APPEND", "k", "z"], ["SETRANGE", "k", "1", "q"], ["EXPIRE", "k", "100"],
      ["PERSIST", "k"], ["INCRBYFLOAT", "f", "1.5"], ["MSETNX", "a", "1", "b", "2"],
      ["RENAME", "a", "c"], ["RENAMENX", "c", "d"], ["DEL", "b", "missing"],
      ["PEXPIRE", "missing", "5"], ["UNLINK", "missing"]]),
    ("SET ... GET and GETSET look up as GET does",
     [["SET", "k", "v", "GET"], ["SET", "nothing", "v", "GET"], ["GETSET", "k", "w"],
      ["GETSET", "other", "v"]]),
    ("GETDEL, GETEX, STRLEN, GETRANGE",
     [["GETDEL", "other"], ["GETDEL", "other"], ["GETEX", "k", "EX", "100"], ["GETEX", "no"],
      ["STRLEN", "k"], ["STRLEN", "no"], ["GETRANGE", "k", "0", "-1"],
      ["GETRANGE", "no", "0", "1"]]),
    ("MGET: each key, there or not", [["MGET", "k", "no", "n", "no", "k"]]),
    ("EXISTS and TOUCH: each key", [["EXISTS", "k", "no", "k"], ["TOUCH", "no", "n"]]),
    ("TYPE, TTL and its kin",
     [["TYPE", "k"], ["TYPE", "no"], ["TTL", "k"], ["PTTL", "no"], ["EXPIRETIME", "n"],
      ["PEXPIRETIME", "no"]]),
    ("a key past its deadline is a miss",
     [["SET", "gone", "v", "PXAT", "1"], ["GET", "gone"], ["SET", "gone", "v", "PXAT", "1"],
      ["EXISTS", "gone"]]),
    ("OBJECT: a lookup, even when the answer is an error",
     [["OBJECT", "ENCODING", "k"], ["OBJECT", "ENCODING", "no"], ["OBJECT", "REFCOUNT", "n"],
      ["OBJECT", "FREQ", "k"], ["OBJECT", "HELP"]]),
    ("KEYS, RANDOMKEY, DBSIZE and SCAN without TYPE look nothing up",
     [["KEYS", "*"], ["DBSIZE"], ["SCAN", "0", "COUNT", "100"], ["SCAN", "0", "MATCH", "k*"]]),
    ("SCAN TYPE: each key MATCH lets through",
     [["SCAN", "0", "COUNT", "100", "TYPE", "string"],
      ["SCAN", "0", "COUNT", "100", "MATCH", "k", "TYPE", "hash"]]),
    ("a wrong type is a hit", [["HSET", "h", "f", "v"], ["GET", "h"], ["STRLEN", "h"],
                               ["LLEN", "k"], ["SMEMBERS", "h"]]),
    ("lists: the reads count, the writes and pops not",
     [["RPUSH", "l", "3", "1", "2"], ["LRANGE", "l", "0", "-1"], ["LRANGE", "no", "0", "-1"],
      ["LLEN", "l"], ["LINDEX", "l", "0"], ["LINDEX", "no", "0"], ["LPOS", "l", "2"],
      ["LSET", "l", "0", "3"], ["LINSERT", "l", "BEFORE", "3", "4"], ["LREM", "l", "1", "4"],
      ["RPUSH", "m", "x"], ["LMOVE", "m", "m2", "LEFT", "RIGHT"], ["RPOPLPUSH", "m2", "m"],
      ["LPOP", "m"], ["LPOP", "no"], ["BLPOP", "l", "0"], ["RPUSH", "l", "1"]]),
    ("hashes",
     [["HGET", "h", "f"], ["HGET", "no", "f"], ["HMGET", "h", "f", "g"], ["HLEN", "h"],
      ["HEXISTS", "no", "f"], ["HSTRLEN", "h", "f"], ["HGETALL", "h"], ["HKEYS", "no"],
      ["HVALS", "h"], ["HSCAN", "h", "0"], ["HSCAN", "no", "0"], ["HRANDFIELD", "h"],
      ["HRANDFIELD", "h", "2"], ["HINCRBY", "h", "n", "1"], ["HDEL", "h", "n"],
      ["HSETNX", "h", "f", "w"]]),
    ("sets: every source key of SINTER, SUNION, SDIFF and their STORE forms",
     [["SADD", "s", "a", "b"], ["SADD", "t", "b", "c"], ["SMEMBERS", "s"], ["SISMEMBER", "s", "a"],
      ["SMISMEMBER", "no", "a", "b"], ["SCARD", "s"], ["SRANDMEMBER", "no"],
      ["SINTER", "s", "no", "t"], ["SUNION", "s", "t"], ["SDIFF", "no", "s"],
      ["SINTERSTORE", "d", "s", "t"], ["SUNIONSTORE", "d", "s", "no"],
      ["SDIFFSTORE", "d", "t", "s"],
      ["SINTERCARD", "2", "s", "t"], ["SSCAN", "s", "0"], ["SMOVE", "s", "t", "a"],
      ["SREM", "t", "zz"], ["SINTER", "s", "k", "t"]]),
    ("sorted sets: every source key of ZUNION, ZINTER, ZDIFF, ZRANGESTORE ...",
     [["ZADD", "z", "1", "a", "2", "b"], ["ZSCORE", "z", "a"], ["ZSCORE", "no", "a"],
      ["ZCARD", "z"], ["ZRANK", "z", "b"], ["ZREVRANK", "no", "b"], ["ZMSCORE", "z", "a", "x"],
      ["ZRANGE", "z", "0", "-1"], ["ZRANGEBYSCORE", "z", "0", "5"], ["ZREVRANGE", "no", "0", "1"],
      ["ZRANGEBYLEX", "z", "-", "+"], ["ZCOUNT", "z", "0", "5"], ["ZLEXCOUNT", "no", "-", "+"],
      ["ZRANGESTORE", "zd", "z", "0", "-1"], ["ZRANGESTORE", "zd", "no", "0", "-1"],
      ["ZUNION", "2", "z", "s"], ["ZINTER", "3", "z", "no", "s"], ["ZDIFF", "2", "z", "no"],
      ["ZUNIONSTORE", "zd", "2", "z", "s"], ["ZINTERCARD", "2", "z", "s"], ["ZSCAN", "z", "0"],
      ["ZRANDMEMBER", "z"], ["ZRANDMEMBER", "no", "2"], ["ZINCRBY", "z", "1", "a"],
      ["ZREM", "z", "x"], ["ZPOPMIN", "zd"], ["ZREMRANGEBYRANK", "zd", "0", "0"],
      ["ZUNION", "3", "z", "k", "s"]]),
    ("SORT: the key, then each BY key and each GET key",
     [["RPUSH", "ids", "2", "1", "3"], ["SET", "w_1", "30"], ["SET", "w_2", "20"],
      ["HSET", "o_1", "name", "one"], ["SET", "o_3", "three"], ["SORT", "ids"],
      ["SORT", "ids", "BY", "w_*", "GET", "o_*->name", "GET", "#", "GET", "o_*"],
      ["SORT", "ids", "BY", "nosort", "LIMIT", "0", "2", "GET", "w_*"],
      ["SORT_RO", "ids", "BY", "w_*", "LIMIT", "1", "1", "GET", "w_*"], ["SORT", "no"],
      ["SORT", "ids", "BY", "w_*", "STORE", "sorted"], ["SORT", "k"]]),
    ("COPY: the source only; and a transaction's commands count as they run",
     [["COPY", "k", "k2"], ["COPY", "no", "k3"], ["COPY", "k", "k2"], ["WATCH", "k", "no"],
      ["MULTI"], ["GET", "k"], ["GET", "no"], ["EXEC"], ["UNWATCH"]]),
    ("RANDOMKEY and FLUSHALL", [["RANDOMKEY"], ["FLUSHALL"], ["RANDOMKEY"], ["GET", "k"]]),
]


#: Replies in each server's own order (compared sorted), or picked at
#: random (compared by kind).
SCANS = ("SCAN", "SSCAN", "HSCAN", "ZSCAN")
PICKS = ("RANDOMKEY", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER")


def keyspace_counts(pair):
    """(keyspace_hits, keyspace_misses) of redis-server and of ours."""
    counts = []
    for reply in pair.same([["INFO", "stats"]]):
        fields = dict(line.split(b":", 1) for line in decoded(reply[0]).split(b"\r\n")
                      if b":" in line)
        counts.append((int(fields[b"keyspace_hits"]), int(fields[b"keyspace_misses"])))
    return counts


def test_keyspace_hits_and_misses_move_as_redis_servers_step_by_step(pair):
    """Each step of ``SCRIPT`` replies as redis-server does, and moves
    keyspace_hits and keyspace_misses by as much as it moves Redis's.
    (No CONFIG RESETSTAT here: the counts are compared from where they
    were.)"""
    start_theirs, start_mine = keyspace_counts(pair)
    sent = []
    for what, commands in SCRIPT:
        for command in commands:
            if command[0] in SCANS + PICKS:
                # Each server's order, and pick, are its own: the same keys.
                theirs, mine = (decoded(reply[0]) for reply in pair.same([command]))
                if command[0] in SCANS:
                    assert theirs[0] == mine[0] == b"0", (command, theirs, mine)
                    assert sorted(theirs[1]) == sorted(mine[1]), (command, theirs, mine)
                else:
                    assert type(theirs) is type(mine), (command, theirs, mine)
            else:
                assert_same(pair, [command], sent)
            sent.append(command)
        theirs, mine = keyspace_counts(pair)
        moved = [(theirs[i] - start_theirs[i], mine[i] - start_mine[i]) for i in (0, 1)]
        assert moved[0][0] == moved[0][1] and moved[1][0] == moved[1][1], \
            "after %r: Redis's hits, misses moved %d, %d from the start; ours %d, %d" % (
                what, moved[0][0], moved[1][0], moved[0][1], moved[1][1])
    assert moved[0][0] > 100 and moved[1][0] > 40     # (the script does count)


#: The counts CONFIG RESETSTAT starts from zero again, in Redis's INFO stats
#: and ours.  (total_commands_processed too, but Redis counts a command as
#: it ends and we count a pipeline as it is read: not compared.)
RESET = (b"total_connections_received", b"rejected_connections", b"expired_keys",
         b"evicted_keys", b"keyspace_hits", b"keyspace_misses")


def test_config_resetstat_counts_from_zero_as_redis_server_does(pair):
    """``CONFIG RESETSTAT`` replies +OK (a wrong arity, Redis's error) and
    INFO's counts start again from zero: a hit, a miss and an expired key
    before it are gone from them, and those after it counted, on both
    servers alike.  (We answered "unknown subcommand".)"""

    def stats():
        counts = []
        for reply in pair.same([["INFO", "stats"]]):
            fields = dict(line.split(b":", 1) for line in decoded(reply[0]).split(b"\r\n")
                          if b":" in line)
            counts.append({name: int(fields[name]) for name in RESET})
        return counts

    before = [["SET", "k", "v"], ["GET", "k"], ["GET", "no"], ["SET", "gone", "v", "PXAT", "1"],
              ["GET", "gone"]]
    assert_same(pair, before)
    assert all(count[b"keyspace_hits"] and count[b"expired_keys"] for count in stats())
    assert_same(pair, [["CONFIG", "RESETSTAT", "now"], ["CONFIG", "RESETSTAT"]], before)
    theirs, mine = stats()
    assert theirs == mine == dict.fromkeys(RESET, 0)
    assert_same(pair, [["GET", "k"], ["MGET", "no", "k"]], before)
    theirs, mine = stats()
    assert theirs == mine and mine[b"keyspace_hits"] == 2 and mine[b"keyspace_misses"] == 1


# ================================================================ the sweep's queue

KEPT, DROPPED = 20, 20000


@pytest.mark.parametrize("removal", ["DEL", "PERSIST"])
def test_the_sweeps_queue_lets_go_of_a_mass_removal_within_a_sweep_interval(removal):
    """The server on a VirtualClock: 20 keys with PX 5000, then 20,000 with
    EX 1000, which a DEL (or PERSIST) takes their deadline from, 1,000 a
    command.  One sweep interval later the sweep's queue holds the 20 keys
    that have a deadline and no more (it held the 20,000 entries until the
    sweep went round them: 18,000 after that interval); and those 20 are
    still dropped at their deadline, INFO counting them."""
    clock = VirtualClock(autojump_threshold=0)
    store = Store(clock)
    seen = {}

    def client(stream):
        yield ask(stream, *[["SET", "kept:%d" % i, "v", "PX", "5000"] for i in range(KEPT)])
        yield ask(stream, *[["SET", "key:%d" % i, "v", "EX", "1000"] for i in range(DROPPED)])
        assert len(store.expiring) == KEPT + DROPPED
        if removal == "DEL":
            removals = [["DEL"] + ["key:%d" % i for i in range(start, start + 1000)]
                        for start in range(0, DROPPED, 1000)]
        else:
            removals = [["PERSIST", "key:%d" % i] for i in range(DROPPED)]
        removed = yield ask(stream, *removals)
        assert sum(removed) == DROPPED
        yield sleep(SWEEP_INTERVAL + 0.01)
        seen["queue"] = len(store.expiring)
        yield sleep(5.0)
        seen["stats"] = (yield ask(stream, ["INFO", "stats"]))[0]
        seen["after"] = len(store.expiring), len(store.expires)

    with_kv_server(store, client, clock=clock)
    assert seen["queue"] == KEPT, "the queue still holds %d entries" % seen["queue"]
    assert b"expired_keys:%d\r\n" % KEPT in seen["stats"], seen["stats"]
    assert seen["after"] == (0, 0)
