"""Lists, hashes, sets, sorted sets and the blocking pops of kv.py against
a real redis-server (7.0.15), reply for reply -- and redis-benchmark's
default test list against our server.

The servers and the comparison are tests/test_kv_vs_redis.py's (the
fixtures ``redis``, ``ours``, ``pair`` and ``assert_same``).  Allowed
differences, beside that file's: a set's members come in Redis's hash
table order there (compared sorted), SPOP and SRANDMEMBER pick at random
(compared by the kind and size of reply), and BYLEX is compared on members
of one score only (what it is for; Redis's answer for mixed scores follows
its skiplist).  The blocking pops are driven with real clients, the same
steps against each server; a test waits for a client to be blocked by
polling INFO's ``blocked_clients``, never by sleeping.
"""

import os
import random
import shutil
import socket
import subprocess

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import UNORDERED, assert_same, decoded, ours, pair, redis  # noqa: F401
from trampoline.protocols.kv import Session, Store
from trampoline.protocols.kv_types import BLOCKED
from trampoline.protocols.resp import ReplyParser, encode_command

WATCHDOG_SECONDS = 60.0
I, M = str(2**63 - 1), str(-2**63)


LISTS = [
    ["LPUSH", "l", "a", "b", "c"], ["RPUSH", "l", "d", "e"], ["LRANGE", "l", "0", "-1"],
    ["LLEN", "l"], ["LLEN", "nx"], ["LPUSHX", "nx", "a"], ["RPUSHX", "nx", "a"], ["EXISTS", "nx"],
    ["LPUSHX", "l", "x"], ["RPUSHX", "l", "y", "z"], ["LRANGE", "l", "0", "-1"],
    ["LRANGE", "l", "-3", "-2"], ["LRANGE", "l", "5", "2"], ["LRANGE", "l", "-100", "100"],
    ["LRANGE", "l", "100", "200"], ["LRANGE", "l", "x", "1"], ["LRANGE", "nx", "0", "-1"],
    ["LRANGE", "l", M, I], ["LINDEX", "l", "0"], ["LINDEX", "l", "-1"], ["LINDEX", "l", "99"],
    ["LINDEX", "l", "-99"], ["LINDEX", "l", "x"], ["LINDEX", "nx", "0"],
    ["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l", "2"], ["RPOP", "l", "0"], ["LPOP", "l", "-1"],
    ["LPOP", "l", "x"], ["LPOP", "l", "1", "2"], ["LPOP", "nx"], ["LPOP", "nx", "1"],
    ["RPOP", "nx", "0"], ["LRANGE", "l", "0", "-1"], ["RPOP", "l", "100"], ["EXISTS", "l"],
    ["TYPE", "l"], ["RPUSH", "l", "a", "b", "a", "c", "a", "b"], ["LSET", "l", "1", "B"],
    ["LSET", "l", "-1", "Z"], ["LSET", "l", "10", "x"], ["LSET", "nx", "0", "x"],
    ["LSET", "l", "x", "y"], ["LRANGE", "l", "0", "-1"], ["LREM", "l", "1", "a"],
    ["LREM", "l", "-1", "a"], ["LRANGE", "l", "0", "-1"], ["RPUSH", "l", "a", "a"],
    ["LREM", "l", "0", "a"], ["LREM", "l", "0", "nothing"], ["LREM", "nx", "0", "a"],
    ["LREM", "l", "x", "a"], ["LRANGE", "l", "0", "-1"],
    ["LINSERT", "l", "BEFORE", "c", "1"], ["LINSERT", "l", "after", "c", "2"],
    ["LINSERT", "l", "before", "none", "x"], ["LINSERT", "l", "middle", "c", "x"],
    ["LINSERT", "nx", "BEFORE", "c", "x"], ["LRANGE", "l", "0", "-1"],
    ["LTRIM", "l", "0", "-1"], ["LTRIM", "l", "1", "-2"], ["LRANGE", "l", "0", "-1"], ["LTRIM", "l", "x", "1"],
    ["LTRIM", "nx", "0", "1"], ["LTRIM", "l", "5", "1"], ["EXISTS", "l"],
    ["RPUSH", "p", "a", "b", "c", "a", "b", "c", "a"], ["LPOS", "p", "a"], ["LPOS", "p", "c"],
    ["LPOS", "p", "z"], ["LPOS", "p", "a", "RANK", "2"], ["LPOS", "p", "a", "RANK", "-1"],
    ["LPOS", "p", "a", "RANK", "-2", "COUNT", "0"], ["LPOS", "p", "a", "COUNT", "0"],
    ["LPOS", "p", "a", "COUNT", "2"], ["LPOS", "p", "a", "COUNT", "0", "MAXLEN", "4"],
    ["LPOS", "p", "a", "RANK", "0"], ["LPOS", "p", "a", "COUNT", "-1"],
    ["LPOS", "p", "a", "MAXLEN", "-1"], ["LPOS", "p", "a", "RANK"], ["LPOS", "p", "a", "BAD", "1"],
    ["LPOS", "p", "a", "RANK", "x"], ["LPOS", "nx", "a"], ["LPOS", "nx", "a", "COUNT", "1"],
    ["LPOS", "p", "z", "COUNT", "1"], ["LPOS", "p", "a", "RANK", "5"],
    ["LPOS", "p", "a", "RANK", M], ["LPOS", "p", "a", "RANK", M, "COUNT", "0"],
    ["LPOS", "p", "b", "RANK", M], ["LPOS", "p", "a", "RANK", "-" + I], ["LPOS", "p", "a", "RANK", I],
    ["LPOS", "p", "a", "COUNT", "x"], ["LPOS", "p", "a", "MAXLEN", "1.5"], ["LPOS", "p", "a", "RANK", "1.5"],
    ["LMOVE", "p", "q", "LEFT", "RIGHT"], ["LMOVE", "p", "q", "right", "left"],
    ["LMOVE", "p", "p", "LEFT", "RIGHT"], ["LRANGE", "p", "0", "-1"], ["LRANGE", "q", "0", "-1"],
    ["LMOVE", "p", "q", "UP", "LEFT"], ["LMOVE", "nx", "q", "LEFT", "LEFT"],
    ["RPOPLPUSH", "p", "q"], ["RPOPLPUSH", "nx", "q"], ["LRANGE", "q", "0", "-1"],
    ["RPUSH", "big"] + [str(i) for i in range(600)], ["LRANGE", "big", "550", "-1"],
    ["LRANGE", "big", "-10", "-5"], ["LRANGE", "big", "0", "99"], ["LRANGE", "big", "100", "500"],
    ["LRANGE", "big", "-600", "-300"], ["LINDEX", "big", "-300"], ["LREM", "big", "-2", "599"],
    ["LTRIM", "big", "-300", "-200"], ["LRANGE", "big", "0", "-1"], ["LINSERT", "big", "AFTER", "350", "x"],
    ["LPOS", "big", "x", "RANK", "-1"], ["LPOP", "big", "50"], ["LRANGE", "big", "40", "60"],
] + [["LPUSH", "grow", str(i)] for i in range(130)] + [
    ["LRANGE", "grow", "0", "-1"], ["LPOP", "grow", "3"], ["RPOP", "grow", "3"],
    ["LPOS", "grow", "64", "RANK", "-1"], ["LINDEX", "grow", "60"], ["LLEN", "grow"],
] + [["LMOVE", "grow", "moved", "RIGHT", "LEFT"] for _ in range(129)] + [
    ["LRANGE", "moved", "0", "-1"], ["EXISTS", "grow"], ["LPOP", "moved", "200"],
    ["SET", "s", "v"], ["LMOVE", "p", "s", "LEFT", "LEFT"], ["LRANGE", "p", "0", "-1"],
    ["LMOVE", "s", "p", "LEFT", "LEFT"], ["LMOVE", "nx", "s", "LEFT", "LEFT"],
    ["LPUSH", "l"], ["LPUSH"], ["LPOP"], ["LLEN"], ["LRANGE", "l", "0"], ["LINDEX", "l"],
    ["LSET", "l", "0"], ["LREM", "l"], ["LTRIM", "l", "0"], ["LINSERT", "l", "BEFORE", "a"],
    ["LPOS", "l"], ["LMOVE", "a", "b", "LEFT"], ["LPUSHX", "l"], ["RPOPLPUSH", "a"],
    ["BLPOP", "l"], ["BRPOP"], ["BLMOVE", "a", "b", "LEFT", "LEFT"],
]

HASHES = [
    ["HSET", "h", "f", "v"], ["HSET", "h", "f", "w", "g", "x"], ["HGET", "h", "f"],
    ["HGET", "h", "nx"], ["HGET", "nx", "f"], ["HMGET", "h", "f", "nx", "g"], ["HMGET", "nx", "f"],
    ["HLEN", "h"], ["HLEN", "nx"], ["HEXISTS", "h", "f"], ["HEXISTS", "h", "nx"],
    ["HEXISTS", "nx", "f"], ["HGETALL", "h"], ["HGETALL", "nx"], ["HKEYS", "h"], ["HVALS", "h"],
    ["HKEYS", "nx"], ["HVALS", "nx"], ["HSTRLEN", "h", "f"], ["HSTRLEN", "h", "nx"],
    ["HSTRLEN", "nx", "f"], ["HSETNX", "h", "f", "z"], ["HSETNX", "h", "n", "z"],
    ["HSETNX", "nx2", "f", "z"], ["HMSET", "h", "a", "1", "b", "2"], ["HGETALL", "h"],
    ["HDEL", "h", "a", "a", "nx"], ["HDEL", "nx", "a"], ["HSET", "h", "a", "3"], ["HKEYS", "h"],
    ["HINCRBY", "h", "n2", "5"], ["HINCRBY", "h", "n2", "-7"], ["HINCRBY", "h", "f", "1"],
    ["HINCRBY", "h", "n2", "x"], ["HINCRBY", "h", "n2", I], ["HSET", "h", "big", I],
    ["HINCRBY", "h", "big", "1"], ["HINCRBY", "nx3", "f", "2"], ["HGETALL", "nx3"],
    ["HINCRBYFLOAT", "h", "fl", "1.5"], ["HINCRBYFLOAT", "h", "fl", "0.1"],
    ["HINCRBYFLOAT", "h", "f", "1"], ["HINCRBYFLOAT", "h", "fl", "x"],
    ["HINCRBYFLOAT", "h", "fl", "inf"], ["HINCRBYFLOAT", "hf", "huge", "1e4932"],
    ["HINCRBYFLOAT", "hf", "huge", "1e4932"], ["HGET", "hf", "huge"], ["HINCRBYFLOAT", "h", "n2", "1e3"], ["HGETALL", "h"],
    ["HDEL", "nx3", "f"], ["EXISTS", "nx3"], ["TYPE", "h"],
    ["HSET", "h"], ["HSET", "h", "f"], ["HSET", "h", "f", "v", "g"], ["HMSET", "h", "f"],
    ["HGET", "h"], ["HMGET", "h"], ["HDEL", "h"], ["HLEN"], ["HGETALL", "h", "x"],
    ["HINCRBY", "h", "f"], ["HSETNX", "h", "f"], ["HSTRLEN", "h"], ["HEXISTS", "h"],
]

SETS = [
    ["SADD", "s", "a", "b", "c", "a"], ["SADD", "s", "a"], ["SCARD", "s"], ["SCARD", "nx"],
    ["SMEMBERS", "s"], ["SMEMBERS", "nx"], ["SISMEMBER", "s", "a"], ["SISMEMBER", "s", "z"],
    ["SISMEMBER", "nx", "a"], ["SMISMEMBER", "s", "a", "z", "b"], ["SMISMEMBER", "nx", "a"],
    ["SREM", "s", "a", "z", "a"], ["SREM", "nx", "a"], ["SMEMBERS", "s"],
    ["SADD", "i", "3", "1", "2", "10", "-5"], ["SMEMBERS", "i"], ["SADD", "t", "b", "c", "d"],
    ["SINTER", "s", "t"], ["SINTER", "s", "nx"], ["SUNION", "s", "t", "i"], ["SUNION", "nx"],
    ["SDIFF", "t", "s"], ["SDIFF", "s", "nx"], ["SDIFF", "nx", "s"], ["SINTER", "i"],
    ["SPOP", "nx"], ["SPOP", "nx", "2"], ["SPOP", "s", "0"], ["SPOP", "s", "-1"],
    ["SPOP", "s", "x"], ["SPOP", "s", "1", "2"], ["SRANDMEMBER", "nx"],
    ["SRANDMEMBER", "nx", "2"], ["SRANDMEMBER", "s", "0"], ["SRANDMEMBER", "s", "x"],
    ["SRANDMEMBER", "s", M], ["SRANDMEMBER", "s", "1", "2"], ["SRANDMEMBER", "s"],
    ["SRANDMEMBER", "s", "-5"], ["SRANDMEMBER", "s", "5"], ["SRANDMEMBER", "s", "1"], ["SPOP", "i", "10"], ["EXISTS", "i"],
    ["SREM", "s", "b", "c"], ["EXISTS", "s"], ["TYPE", "t"],
    ["SADD", "s"], ["SREM", "s"], ["SCARD"], ["SMEMBERS", "s", "x"], ["SISMEMBER", "s"],
    ["SMISMEMBER", "s"], ["SINTER"], ["SUNION"], ["SDIFF"], ["SPOP"], ["SRANDMEMBER"],
]

ZSETS = [
    ["ZADD", "z", "1", "a", "2", "b", "1.5", "c"], ["ZADD", "z", "0.1", "d", "-inf", "e"],
    ["ZRANGE", "z", "0", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZRANGE", "z", "1", "2", "withscores"], ["ZRANGE", "z", "0", "-1", "REV"],
    ["ZRANGE", "z", "-2", "-1", "REV", "WITHSCORES"], ["ZRANGE", "z", "5", "1"],
    ["ZRANGE", "nx", "0", "-1"], ["ZRANGE", "z", "x", "1"], ["ZRANGE", "z", "0", "1", "BAD"],
    ["ZRANGE", "z", "0", "1", "REV", "REV"], ["ZRANGE", "z", "0", "1", "WITHSCORES", "WITHSCORES"],
    ["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"], ["ZRANGE", "z", "a", "b", "BYSCORE"],
    ["ZRANGE", "z", "(1", "2", "BYSCORE"], ["ZRANGE", "z", "2", "(1", "BYSCORE", "REV"],
    ["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"],
    ["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"], ["ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"],
    ["ZRANGE", "z", "0", "1", "LIMIT", "0"], ["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"],
    ["ZRANGE", "z", "0", "4", "BYSCORE", "LIMIT", "0", "-1"],
    ["ZRANGE", "z", "0", "4", "BYSCORE", "LIMIT", "-1", "2"], ["ZRANGE", "z", "(", "1", "BYSCORE"],
    ["ZRANGE", "z", "", "1", "BYSCORE"], ["ZRANGE", "z", " 1", "1e400", "BYSCORE"],
    ["ZRANGE", "z", "(inf", "+inf", "BYSCORE"], ["ZRANGE", "z", "nan", "1", "BYSCORE"],
    ["ZRANGE", "z", "0x1", "0X2p0", "BYSCORE"], ["ZRANGE", "z", "1", "1", "BYSCORE"],
    ["ZRANGE", "z", "(1", "(1", "BYSCORE"], ["ZRANGE", "z", "2", "1", "BYSCORE"],
    ["ZRANGE", "nx", "x", "1", "BYSCORE"], ["ZRANGE", "nx", "0", "1", "BYSCORE"],
    ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
    ["ZRANGE", "lex", "-", "+", "BYLEX"], ["ZRANGE", "lex", "[b", "(d", "BYLEX"],
    ["ZRANGE", "lex", "(b", "[d", "BYLEX", "LIMIT", "1", "5"], ["ZRANGE", "lex", "+", "-", "BYLEX", "REV"],
    ["ZRANGE", "lex", "[d", "[b", "BYLEX", "REV", "LIMIT", "0", "2"], ["ZRANGE", "lex", "a", "c", "BYLEX"],
    ["ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"], ["ZRANGE", "lex", "+", "-", "BYLEX"],
    ["ZRANGE", "lex", "[", "(c", "BYLEX"], ["ZRANGE", "lex", "(c", "(c", "BYLEX"],
    ["ZCARD", "z"], ["ZCARD", "nx"], ["ZSCORE", "z", "a"], ["ZSCORE", "z", "d"],
    ["ZSCORE", "z", "e"], ["ZSCORE", "z", "nx"], ["ZSCORE", "nx", "a"], ["ZRANK", "z", "c"],
    ["ZRANK", "z", "nx"], ["ZRANK", "nx", "a"], ["ZADD", "z", "1", "b", "1", "a"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZADD", "z", "NX", "5", "a", "6", "f"],
    ["ZADD", "z", "XX", "5", "a", "6", "g"], ["ZADD", "z", "XX", "CH", "7", "a", "7", "b"],
    ["ZADD", "z", "GT", "CH", "1", "a", "9", "b"], ["ZADD", "z", "LT", "CH", "1", "a", "9", "b"],
    ["ZADD", "z", "INCR", "2", "a"], ["ZADD", "z", "INCR", "NX", "2", "a"],
    ["ZADD", "z", "INCR", "XX", "2", "new"], ["ZADD", "z", "incr", "GT", "-1", "a"],
    ["ZADD", "z", "NX", "XX", "1", "a"], ["ZADD", "z", "GT", "LT", "1", "a"],
    ["ZADD", "z", "NX", "GT", "1", "a"], ["ZADD", "z", "INCR", "1", "a", "2", "b"],
    ["ZADD", "z", "1", "a", "2"], ["ZADD", "z", "x", "a"], ["ZADD", "z", "nan", "a"],
    ["ZADD", "z", "1e400", "big"], ["ZADD", "z", "1e-400", "tiny"], ["ZADD", "z", "0x1p3", "hex"],
    ["ZADD", "z", "0x", "hex"], ["ZADD", "z", "-0X10", "hex2"], ["ZADD", "z", "0.0e5", "zero"],
    ["ZADD", "z", "4.9e-324", "least"], ["ZADD", "z", "1.", "dot"], ["ZADD", "z", ".5", "dot2"],
    ["ZADD", "z", "-INF", "bottom"], ["ZADD", "z", "Infinity", "top2"], ["ZADD", "z", "1e", "x"],
    ["ZADD", "z", "CH", "1", "dot"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZADD", "z", "+inf", "top"], ["ZADD", "z", " 1", "a"],
    ["ZADD", "z", "XX", "1", "nx"], ["ZADD", "nxz", "XX", "1", "a"], ["EXISTS", "nxz"],
    ["ZADD", "z", "INCR", "inf", "top"], ["ZADD", "z", "INCR", "-inf", "top"],
    ["ZINCRBY", "z", "2.5", "a"], ["ZINCRBY", "z", "1", "new2"], ["ZINCRBY", "z", "x", "a"],
    ["ZINCRBY", "z", "-inf", "top"], ["ZINCRBY", "nx2", "3", "m"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZREM", "z", "a", "nx", "a"], ["ZREM", "nx", "a"],
    ["ZPOPMIN", "z"], ["ZPOPMAX", "z"], ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z", "0"],
    ["ZPOPMIN", "z", "-1"], ["ZPOPMIN", "nx"], ["ZPOPMIN", "nx", "2"], ["ZPOPMIN", "z", "x"],
    ["ZPOPMAX", "z", "100"], ["ZPOPMIN", "z", "1", "2"], ["EXISTS", "z"], ["TYPE", "nx2"],
    ["ZADD", "z"], ["ZADD", "z", "1"], ["ZSCORE", "z"], ["ZCARD"], ["ZREM", "z"],
    ["ZRANGE", "z", "0"], ["ZPOPMIN"], ["ZINCRBY", "z", "1"], ["ZRANK", "z"],
]

# ZRANGE's kin: ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
# ZREVRANGEBYLEX, ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREVRANK.
ZRANGES = [
    ["ZADD", "z", "1", "a", "2", "b", "1.5", "c", "-inf", "lo", "+inf", "hi", "2", "b2"],
    ["ZREVRANGE", "z", "0", "-1"], ["ZREVRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZREVRANGE", "z", "1", "2", "withscores"], ["ZREVRANGE", "z", "-2", "-1"],
    ["ZREVRANGE", "z", "5", "1"], ["ZREVRANGE", "z", "-100", "100"], ["ZREVRANGE", "z", M, I],
    ["ZREVRANGE", "nx", "0", "-1"], ["ZREVRANGE", "nx", "0", "-1", "WITHSCORES"],
    ["ZREVRANGE", "z", "x", "1"], ["ZREVRANGE", "z", "0", "1", "REV"],
    ["ZREVRANGE", "z", "0", "1", "BYSCORE"], ["ZREVRANGE", "z", "0", "1", "BAD"],
    ["ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1"], ["ZREVRANGE", "z", "0", "1", "LIMIT", "3", "-1"],
    ["ZRANGE", "z", "0", "1", "LIMIT", "3", "-1"], ["ZREVRANGE", "z", "0", "1", "LIMIT", "x", "1"],
    ["ZREVRANGE", "z", "0", "1", "WITHSCORES", "WITHSCORES"], ["ZREVRANGE", "z", "0", "1", "LIMIT", "0"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf"], ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
    ["ZRANGEBYSCORE", "z", "(1", "2"], ["ZRANGEBYSCORE", "z", "1", "(2"],
    ["ZRANGEBYSCORE", "z", "(1", "(2", "withscores"], ["ZRANGEBYSCORE", "z", "2", "1"],
    ["ZRANGEBYSCORE", "z", "(-inf", "(+inf"], ["ZRANGEBYSCORE", "z", "-inf", "-inf"],
    ["ZRANGEBYSCORE", "z", "inf", "inf"], ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "2"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "-1", "WITHSCORES"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "0"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "10", "2"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "x", "2"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0"], ["ZRANGEBYSCORE", "z", "-inf", "+inf", "REV"],
    ["ZRANGEBYSCORE", "z", "-inf", "+inf", "BYSCORE"], ["ZRANGEBYSCORE", "z", "a", "1"],
    ["ZRANGEBYSCORE", "z", "1", "nan"], ["ZRANGEBYSCORE", "z", "(", "2"], ["ZRANGEBYSCORE", "z", "", "2"],
    ["ZRANGEBYSCORE", "z", "1.5", "1.5"], ["ZRANGEBYSCORE", "nx", "0", "1"],
    ["ZRANGEBYSCORE", "nx", "x", "1"], ["ZRANGEBYSCORE", "z", "0", "1", "BAD"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"], ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "2", "(1"], ["ZREVRANGEBYSCORE", "z", "(2", "1", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "1", "2"], ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "3"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "2", "-1", "withscores"],
    ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "REV"], ["ZREVRANGEBYSCORE", "z", "x", "1"],
    ["ZREVRANGEBYSCORE", "nx", "+inf", "-inf"],
    ["ZCOUNT", "z", "-inf", "+inf"], ["ZCOUNT", "z", "(1", "2"], ["ZCOUNT", "z", "(1", "(2"],
    ["ZCOUNT", "z", "2", "1"], ["ZCOUNT", "z", "inf", "inf"], ["ZCOUNT", "nx", "0", "1"],
    ["ZCOUNT", "z", "x", "1"], ["ZCOUNT", "nx", "x", "1"], ["ZCOUNT", "z", "1"],
    ["ZCOUNT", "z", "1", "2", "3"],
    ["ZREVRANK", "z", "a"], ["ZREVRANK", "z", "hi"], ["ZREVRANK", "z", "lo"], ["ZREVRANK", "z", "b2"],
    ["ZREVRANK", "z", "nx"], ["ZREVRANK", "nx", "a"], ["ZREVRANK", "z"],
    ["ZREVRANK", "z", "a", "WITHSCORE"],
    ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"],
    ["ZRANGEBYLEX", "lex", "-", "+"], ["ZRANGEBYLEX", "lex", "[b", "(d"],
    ["ZRANGEBYLEX", "lex", "(b", "[d", "LIMIT", "1", "5"], ["ZRANGEBYLEX", "lex", "+", "-"],
    ["ZRANGEBYLEX", "lex", "a", "c"], ["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
    ["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "x", "1"], ["ZRANGEBYLEX", "lex", "-", "+", "REV"],
    ["ZRANGEBYLEX", "nx", "-", "+"], ["ZRANGEBYLEX", "lex", "[", "(c"],
    ["ZREVRANGEBYLEX", "lex", "+", "-"], ["ZREVRANGEBYLEX", "lex", "[d", "(b"],
    ["ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "1", "2"], ["ZREVRANGEBYLEX", "lex", "-", "+"],
    ["ZREVRANGEBYLEX", "lex", "[d", "x"],
    ["ZLEXCOUNT", "lex", "-", "+"], ["ZLEXCOUNT", "lex", "[b", "(d"], ["ZLEXCOUNT", "lex", "+", "-"],
    ["ZLEXCOUNT", "nx", "-", "+"], ["ZLEXCOUNT", "lex", "a", "+"], ["ZLEXCOUNT", "nx", "a", "+"],
    ["ZRANGESTORE", "d", "z", "0", "-1"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "d", "z", "1", "2", "REV"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2"],
    ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "d", "z", "+inf", "1", "BYSCORE", "REV"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "d", "lex", "[b", "[c", "BYLEX"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
    ["ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"], ["ZRANGESTORE", "d", "z", "0", "1", "LIMIT", "0", "1"],
    ["ZRANGESTORE", "d", "z", "x", "1"], ["ZRANGESTORE", "d", "z", "0", "1", "REV", "REV"],
    ["ZRANGESTORE", "d", "z", "5", "1"], ["EXISTS", "d"], ["ZRANGESTORE", "d", "z", "0", "0"],
    ["ZRANGESTORE", "d", "nx", "0", "-1"], ["EXISTS", "d"], ["ZRANGESTORE", "d", "nx", "0", "-1"],
    ["ZRANGESTORE", "z", "z", "0", "1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["SET", "str", "v", "EX", "100"], ["ZRANGESTORE", "str", "lex", "0", "1"], ["TYPE", "str"],
    ["TTL", "str"], ["RPUSH", "list", "a"], ["ZRANGESTORE", "list", "lex", "0", "-1"], ["TYPE", "list"],
    ["SADD", "set", "a"], ["ZRANGESTORE", "set", "nx", "0", "-1"], ["EXISTS", "set"],
    ["ZRANGESTORE", "d", "str", "0", "-1"], ["SET", "str", "v"], ["ZRANGESTORE", "d", "str", "0", "-1"],
    ["ZRANGESTORE", "d", "str", "x", "-1"],
    ["ZREVRANGE", "z", "0"], ["ZRANGEBYSCORE", "z", "0"], ["ZREVRANGEBYSCORE", "z"],
    ["ZRANGEBYLEX", "z", "-"], ["ZREVRANGEBYLEX", "z"], ["ZRANGESTORE", "d", "z", "0"],
    ["ZLEXCOUNT", "z", "-"], ["ZCOUNT"], ["ZREVRANK"],
]

# SMOVE and the *STORE commands of sets.
SET_STORES = [
    ["SADD", "s", "a", "b", "c"], ["SADD", "t", "b", "c", "d"], ["SADD", "i", "3", "1", "2"],
    ["SINTERSTORE", "d", "s", "t"], ["SMEMBERS", "d"], ["SUNIONSTORE", "d", "s", "t", "i"],
    ["SMEMBERS", "d"], ["SDIFFSTORE", "d", "s", "t"], ["SMEMBERS", "d"], ["SCARD", "d"],
    ["SINTERSTORE", "d", "s"], ["SUNIONSTORE", "d", "i"], ["SMEMBERS", "d"], ["SDIFFSTORE", "d", "i"],
    ["SINTERSTORE", "d", "s", "nx"], ["EXISTS", "d"], ["SINTERSTORE", "d", "s", "nx"],
    ["SUNIONSTORE", "d", "s"], ["SDIFFSTORE", "d", "s", "s"], ["EXISTS", "d"],
    ["SUNIONSTORE", "d", "nx", "nx2"], ["SDIFFSTORE", "d", "nx", "s"], ["SDIFFSTORE", "d", "s", "nx"],
    ["SMEMBERS", "d"], ["SINTERSTORE", "s", "s", "t"], ["SMEMBERS", "s"],
    ["SUNIONSTORE", "s", "s", "i"], ["SMEMBERS", "s"], ["SDIFFSTORE", "s", "s", "i"], ["SMEMBERS", "s"],
    ["SET", "str", "v", "EX", "100"], ["SUNIONSTORE", "str", "t"], ["TYPE", "str"], ["TTL", "str"],
    ["RPUSH", "list", "x"], ["SINTERSTORE", "list", "s", "t"], ["TYPE", "list"],
    ["HSET", "hash", "f", "v"], ["SDIFFSTORE", "hash", "t", "s"], ["TYPE", "hash"],
    ["ZADD", "zset", "1", "m"], ["SINTERSTORE", "zset", "t", "nx"], ["EXISTS", "zset"],
    ["SET", "str2", "v"], ["SDIFFSTORE", "str2", "nx"], ["EXISTS", "str2"],
    ["SINTERSTORE", "d", "s", "str"], ["SINTERSTORE", "d", "nx", "str"], ["SINTERSTORE", "d", "str", "nx"],
    ["SUNIONSTORE", "d", "s", "list"], ["SDIFFSTORE", "d", "nx", "hash"], ["SDIFFSTORE", "d", "hash", "nx"],
    ["SET", "str", "v"], ["SINTERSTORE", "str", "s", "t"], ["SMEMBERS", "str"],
    ["SINTERSTORE", "d"], ["SUNIONSTORE", "d"], ["SDIFFSTORE"],
    ["FLUSHALL"], ["SADD", "s", "a", "b"], ["SADD", "t", "c"],
    ["SMOVE", "s", "t", "a"], ["SMEMBERS", "s"], ["SMEMBERS", "t"], ["SMOVE", "s", "t", "a"],
    ["SMOVE", "s", "t", "zz"], ["SMOVE", "s", "new", "b"], ["EXISTS", "s"], ["SMEMBERS", "new"],
    ["SMOVE", "nx", "t", "a"], ["SMOVE", "t", "t", "c"], ["SMOVE", "t", "t", "zz"], ["SMEMBERS", "t"],
    ["SADD", "t", "a"], ["SMOVE", "t", "new", "a"], ["SMEMBERS", "new"], ["SMEMBERS", "t"],
    ["SET", "str", "v"], ["SMOVE", "t", "str", "c"], ["SMEMBERS", "t"], ["SMOVE", "str", "t", "c"],
    ["SMOVE", "nx", "str", "c"], ["SMOVE", "str", "str", "c"], ["SMOVE", "t", "t", "c"],
    ["EXPIRE", "new", "100"], ["SMOVE", "t", "new", "c"], ["TTL", "new"], ["EXISTS", "t"],
    ["SMOVE", "s", "t"], ["SMOVE", "s", "t", "a", "b"], ["SMOVE"],
    ["SADD", "w", "a"], ["WATCH", "w"], ["SINTERSTORE", "w", "nx"], ["MULTI"], ["PING"], ["EXEC"],
    ["SADD", "w", "a"], ["WATCH", "w"], ["SUNIONSTORE", "w", "w"], ["MULTI"], ["PING"], ["EXEC"],
    ["WATCH", "w"], ["SMOVE", "w", "w2", "a"], ["MULTI"], ["PING"], ["EXEC"],
    ["WATCH", "w2"], ["ZADD", "zz", "1", "a"], ["ZRANGESTORE", "w2", "zz", "0", "-1"], ["MULTI"],
    ["PING"], ["EXEC"],
]

# Every command on every other type: WRONGTYPE; the string commands too.
_KINDS = {"str": ["SET", "str", "v"], "list": ["RPUSH", "list", "a"],
          "hash": ["HSET", "hash", "f", "v"], "set": ["SADD", "set", "a"],
          "zset": ["ZADD", "zset", "1", "a"]}
_USES = {
    "str": [["GET", "{}"], ["INCR", "{}"], ["DECRBY", "{}", "2"], ["INCRBYFLOAT", "{}", "1"],
            ["APPEND", "{}", "x"], ["STRLEN", "{}"], ["GETRANGE", "{}", "0", "1"],
            ["SETRANGE", "{}", "0", "x"], ["SETRANGE", "{}", "0", ""], ["GETDEL", "{}"],
            ["GETSET", "{}", "x"], ["GETEX", "{}"], ["SET", "{}", "x", "GET"],
            ["SET", "{}", "x", "NX", "GET"], ["SET", "{}", "x", "NX"], ["SETNX", "{}", "x"],
            ["MGET", "{}", "str"], ["MSETNX", "{}", "x"]],
    "list": [["LPUSH", "{}", "x"], ["RPUSHX", "{}", "x"], ["LPOP", "{}"], ["RPOP", "{}", "2"],
             ["LLEN", "{}"], ["LRANGE", "{}", "0", "-1"], ["LINDEX", "{}", "0"],
             ["LSET", "{}", "0", "x"], ["LREM", "{}", "0", "x"], ["LTRIM", "{}", "0", "1"],
             ["LINSERT", "{}", "BEFORE", "a", "x"], ["LPOS", "{}", "a"],
             ["LMOVE", "{}", "list", "LEFT", "LEFT"], ["LMOVE", "list", "{}", "LEFT", "LEFT"],
             ["BLPOP", "{}", "1"], ["BRPOP", "nx", "{}", "1"],
             ["BLMOVE", "list", "{}", "LEFT", "LEFT", "1"]],
    "hash": [["HSET", "{}", "f", "v"], ["HGET", "{}", "f"], ["HMGET", "{}", "f"],
             ["HDEL", "{}", "f"], ["HLEN", "{}"], ["HEXISTS", "{}", "f"], ["HGETALL", "{}"],
             ["HKEYS", "{}"], ["HVALS", "{}"], ["HINCRBY", "{}", "f", "1"],
             ["HINCRBYFLOAT", "{}", "f", "1"], ["HSTRLEN", "{}", "f"], ["HSETNX", "{}", "f", "v"]],
    "set": [["SADD", "{}", "a"], ["SREM", "{}", "a"], ["SMEMBERS", "{}"],
            ["SISMEMBER", "{}", "a"], ["SMISMEMBER", "{}", "a"], ["SCARD", "{}"], ["SPOP", "{}"],
            ["SRANDMEMBER", "{}"], ["SINTER", "set", "{}"], ["SUNION", "{}"], ["SDIFF", "set", "{}"],
            ["SINTERSTORE", "dst", "set", "{}"], ["SUNIONSTORE", "dst", "{}"],
            ["SDIFFSTORE", "dst", "set", "{}"], ["SMOVE", "{}", "set", "a"],
            ["SMOVE", "set", "{}", "a"]],
    "zset": [["ZADD", "{}", "1", "a"], ["ZSCORE", "{}", "a"], ["ZCARD", "{}"],
             ["ZRANGE", "{}", "0", "-1"], ["ZPOPMIN", "{}"], ["ZPOPMAX", "{}", "2"],
             ["ZREM", "{}", "a"], ["ZINCRBY", "{}", "1", "a"], ["ZRANK", "{}", "a"],
             ["ZREVRANK", "{}", "a"], ["ZREVRANGE", "{}", "0", "-1"],
             ["ZRANGEBYSCORE", "{}", "-inf", "+inf"], ["ZREVRANGEBYSCORE", "{}", "+inf", "-inf"],
             ["ZRANGEBYLEX", "{}", "-", "+"], ["ZREVRANGEBYLEX", "{}", "+", "-"],
             ["ZCOUNT", "{}", "0", "1"], ["ZLEXCOUNT", "{}", "-", "+"],
             ["ZRANGESTORE", "dst", "{}", "0", "-1"]],
}
WRONG_TYPES = [command for command in _KINDS.values()] + [
    [word.format(key) for word in use]
    for kind, uses in _USES.items() for use in uses for key in _KINDS if key != kind] + [
    ["TYPE", key] for key in _KINDS] + [["SCAN", "0", "TYPE", key] for key in _KINDS]

# The commands on keys, on the new types: DEL, EXISTS, RENAME, COPY, expiry,
# transactions, WATCH.
GENERIC = [
    ["RPUSH", "l", "a", "b"], ["HSET", "h", "f", "v"], ["SADD", "s", "1"], ["ZADD", "z", "1", "m"],
    ["EXISTS", "l", "h", "s", "z", "nx"], ["RENAME", "l", "l2"], ["LRANGE", "l2", "0", "-1"],
    ["TYPE", "l"], ["COPY", "l2", "l3"], ["RPUSH", "l3", "c"], ["LRANGE", "l2", "0", "-1"],
    ["LRANGE", "l3", "0", "-1"], ["COPY", "h", "h2"], ["HSET", "h2", "g", "w"], ["HGETALL", "h"],
    ["COPY", "s", "s2"], ["SADD", "s2", "2"], ["SMEMBERS", "s"], ["COPY", "z", "z2"],
    ["ZADD", "z2", "2", "n"], ["ZRANGE", "z", "0", "-1"], ["COPY", "z", "s", "REPLACE"],
    ["TYPE", "s"], ["RENAME", "h", "z2"], ["TYPE", "z2"], ["SET", "z2", "now a string"],
    ["GET", "z2"], ["EXPIRE", "l2", "100"], ["TTL", "l2"], ["RPUSH", "l2", "x"], ["TTL", "l2"],
    ["LPOP", "l2", "3"], ["TTL", "l2"], ["EXISTS", "l2"], ["SADD", "gone", "a"],
    ["PEXPIREAT", "gone", "1"], ["SMEMBERS", "gone"], ["EXISTS", "gone"],
    ["HSET", "hx", "f", "v"], ["PEXPIRE", "hx", "100000"], ["HDEL", "hx", "f"], ["TTL", "hx"],
    ["HSET", "hx", "f", "v"], ["TTL", "hx"], ["DEL", "l3", "s", "z", "hx"],
    ["MULTI"], ["RPUSH", "t", "1"], ["LPOP", "t"], ["BLPOP", "t", "0"], ["SADD", "t", "x"],
    ["LPUSH", "t", "2"], ["BRPOP", "t", "0"], ["BLMOVE", "nx", "t", "LEFT", "LEFT", "0"],
    ["LPOP", "t", "1", "2"], ["EXEC"], ["RPUSH", "w", "a"], ["WATCH", "w"], ["RPUSH", "w", "b"],
    ["MULTI"], ["LRANGE", "w", "0", "-1"], ["EXEC"], ["WATCH", "w"], ["LPOP", "w", "5"],
    ["MULTI"], ["EXISTS", "w"], ["EXEC"], ["HSET", "hw", "f", "1"], ["WATCH", "hw"],
    ["HINCRBY", "hw", "f", "1"], ["MULTI"], ["EXEC"], ["WATCH", "hw"], ["HGET", "hw", "f"],
    ["MULTI"], ["HGET", "hw", "f"], ["EXEC"], ["FLUSHALL"],
    ["RPUSH", "b", "x"], ["BLPOP", "nx", "b", "0"], ["RPUSH", "b", "y", "z", "w", "v"],
    ["BRPOP", "b", "0"],
    ["BRPOP", "nx", "b", "1.5"], ["BLMOVE", "b", "c", "RIGHT", "LEFT", "0"],
    ["BLMOVE", "b", "c", "UP", "LEFT", "0"], ["BLPOP", "b", "x"], ["BLPOP", "b", "-1"],
    ["BLPOP", "b", "1e30"], ["BLMOVE", "b", "c", "LEFT", "LEFT", "-1"], ["BLPOP", "b", "inf"],
    ["RPUSH", "b", "1", "2", "3", "4", "5", "6"], ["BLPOP", "b", "9223372036854775"], ["BLPOP", "b", "9223372036854775.807"],
    ["BLPOP", "b", "-0.0001"], ["BLPOP", "b", "0.0001"], ["BLPOP", "b", "1e-30"], ["BLPOP", "b", "nan"],
    ["LRANGE", "c", "0", "-1"],
]


@pytest.mark.parametrize("script", [LISTS, HASHES, SETS, ZSETS, WRONG_TYPES, GENERIC, SET_STORES,
                                    ZRANGES],
                         ids=["lists", "hashes", "sets", "zsets", "wrongtype", "generic",
                              "set_stores", "zranges"])
@pytest.mark.parametrize("protocol", [2, 3])
def test_scripted_commands_reply_as_redis(pair, script, protocol):
    """Every command on the new types, with its options, limits, errors
    and wrong arities: the same reply bytes as redis-server's, one at a
    time, then all again as one pipeline."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    for command in script:
        if command[0] in ("SPOP", "SRANDMEMBER"):
            _assert_same_pick(pair, command)
        else:
            assert_same(pair, [command])
    assert_same(pair, [["FLUSHALL"]] + [c for c in script if c[0] not in ("SPOP", "SRANDMEMBER")])


def _assert_same_pick(pair, command):
    """A random pick: the same type of reply, as many members (errors: the same)."""
    theirs, mine = pair.same([command])
    if theirs[0][:1] == b"-" or mine[0][:1] == b"-":
        assert theirs == mine, command
    real, got = decoded(theirs[0]), decoded(mine[0])
    assert theirs[0][:1] == mine[0][:1], (command, theirs, mine)
    if isinstance(real, (list, set)):
        assert len(real) == len(got), (command, real, got)


def _random_command(rng):
    key = rng.choice(["a", "b", "c"])
    member = rng.choice(["x", "y", "z", "1", "2", ""])
    number = rng.choice(["0", "1", "-1", "2", "-2", "10", "x", "1.5", I, M])
    name, *args = rng.choice([
        ["LPUSH", key, member, member], ["RPUSH", key, member], ["LPOP", key],
        ["RPOP", key, number], ["LRANGE", key, number, number], ["LINDEX", key, number],
        ["LSET", key, number, member], ["LREM", key, number, member], ["LTRIM", key, number, number],
        ["LINSERT", key, rng.choice(["BEFORE", "AFTER"]), member, member], ["LPOS", key, member],
        ["LMOVE", key, rng.choice(["a", "b", "c"]), "LEFT", "RIGHT"], ["LLEN", key],
        ["HSET", key, member, number], ["HGET", key, member], ["HDEL", key, member],
        ["HINCRBY", key, member, number], ["HGETALL", key], ["HLEN", key],
        ["SADD", key, member, member], ["SREM", key, member], ["SCARD", key],
        ["SISMEMBER", key, member], ["SINTER", key, "b"], ["SUNION", key, "c"],
        ["ZADD", key, number, member], ["ZINCRBY", key, number, member], ["ZSCORE", key, member],
        ["ZRANGE", key, "0", "-1", "WITHSCORES"], ["ZPOPMIN", key], ["ZRANK", key, member],
        ["ZREM", key, member], ["TYPE", key], ["DEL", key], ["SET", key, member], ["GET", key],
        ["EXISTS", key], ["INCR", key], ["BLPOP", key, "c", "0"],
        ["LPOS", key, member] + rng.sample(["RANK", number, "COUNT", number, "MAXLEN", number],
                                           rng.choice([0, 2, 4])),
        ["LMOVE", key, rng.choice(["a", "b", "c"]), rng.choice(["LEFT", "RIGHT"]),
         rng.choice(["LEFT", "RIGHT"])], ["LPUSHX", key, member], ["RPOP", key],
        ["HINCRBYFLOAT", key, member, rng.choice(["1.5", "-0.1", "x", "1e3", "inf"])],
        ["HMGET", key, member, member], ["HKEYS", key], ["HVALS", key], ["HSTRLEN", key, member],
        ["HSETNX", key, member, number], ["HEXISTS", key, member],
        ["SMISMEMBER", key, member, member], ["SDIFF", key, "a", "b"], ["SMEMBERS", key],
        ["ZADD", key] + rng.sample(["NX", "XX", "GT", "LT", "CH", "INCR"], rng.choice([0, 1, 2]))
        + [number, member], ["ZPOPMAX", key, number], ["ZRANGE", key, number, number, "REV"],
        ["ZCARD", key], ["ZADD", key, rng.choice(["1.5", "-inf", "+inf", "0.1", "1e-3"]), member],
        ["RENAME", key, rng.choice(["a", "b", "c"])], ["COPY", key, rng.choice(["a", "b", "c"])],
        ["EXPIRE", key, "100"], ["TTL", key], ["PERSIST", key], ["APPEND", key, member],
        ["MGET", key, "a", "b"], ["SETRANGE", key, "1", member], ["GETDEL", key],
        ["ZREVRANGE", key, number, number, "WITHSCORES"], ["ZREVRANK", key, member],
        ["ZRANGEBYSCORE", key, rng.choice(["-inf", "(1", "0", "x"]), rng.choice(["+inf", "(2", "1.5"]),
         "WITHSCORES", "LIMIT", number, number],
        ["ZREVRANGEBYSCORE", key, rng.choice(["+inf", "(2", "1"]), rng.choice(["-inf", "(0", "0"])],
        ["ZCOUNT", key, rng.choice(["-inf", "(1", "1"]), rng.choice(["+inf", "(2", "2"])],
        ["ZRANGESTORE", rng.choice(["a", "b", "c"]), key, number, number],
        ["SMOVE", key, rng.choice(["a", "b", "c"]), member],
        ["SINTERSTORE", rng.choice(["a", "b", "c"]), key, "b"],
        ["SUNIONSTORE", rng.choice(["a", "b", "c"]), key, "c"],
        ["SDIFFSTORE", rng.choice(["a", "b", "c"]), key, "a"],
    ])
    return [name] + args


@pytest.mark.parametrize("protocol", [2, 3])
def test_random_command_sequences_reply_as_redis(pair, protocol):
    """1500 commands from a seeded generator on three keys that change
    type: each reply the same bytes as redis-server's.  (BLPOP only where
    a list is there: a blocking BLPOP would wait.)"""
    rng = random.Random(int(os.environ.get("KV_SEED", 2024)) + protocol)
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    sent = []
    while len(sent) < 1500:
        batch = [_random_command(rng) for _ in range(rng.randrange(1, 20))]
        batch = [command for command in batch if command[0] != "BLPOP"]
        batch.append(["MULTI"])
        # (BLPOP in EXEC: no waiting; a set's members in EXEC's reply: compared as bytes)
        batch += [command for command in (_random_command(rng) for _ in range(3))
                  if command[0].encode() not in UNORDERED]
        batch.append(["EXEC"])
        assert_same(pair, batch, sent)
        sent += batch


# ================================================================ blocking pops, real clients

class Client:
    """A raw connection to a server at ``address`` (``(family, address)``)."""

    def __init__(self, family, address):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(address)
        self.parser = ReplyParser()
        self.replies = []

    def send(self, *command):
        self.sock.sendall(encode_command(*command))

    def reply(self):
        while not self.replies:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self.replies += self.parser.feed(data)
        return self.replies.pop(0)

    def ask(self, *command):
        self.send(*command)
        return self.reply()

    def close(self):
        self.sock.close()


def blocked_clients(client):
    info = client.ask("INFO", "clients")
    return int(info.split(b"blocked_clients:")[1].split(b"\r\n")[0])


def wait_blocked(client, count):
    """Poll INFO until ``count`` clients are blocked (no sleep: each poll a round trip)."""
    while blocked_clients(client) != count:
        pass


@pytest.fixture(params=["redis", "ours"])
def connect(request, redis, ours):
    """A function opening a connection to one of the two servers."""
    family, address = (socket.AF_UNIX, redis) if request.param == "redis" else \
        (socket.AF_INET, ("127.0.0.1", ours))
    opened = []

    def open_client():
        client = Client(family, address)
        opened.append(client)
        return client
    control = open_client()
    control.ask("FLUSHALL")
    yield open_client
    for client in opened:
        client.close()


def test_blocked_clients_are_served_in_arrival_order_by_pushes(connect):
    """Three clients block on BLPOP (one on two keys, one BRPOP, one
    BLMOVE), in that order; pushes from another client serve them first
    come first served, each element to one client; INFO counts them."""
    control = connect()
    first, second, third, fourth = (connect() for _ in range(4))
    first.send("BLPOP", "q", "0")
    wait_blocked(control, 1)
    second.send("BRPOP", "other", "q", "0")
    wait_blocked(control, 2)
    third.send("BLMOVE", "q", "dest", "LEFT", "RIGHT", "0")
    wait_blocked(control, 3)
    fourth.send("BLPOP", "q", "10")
    wait_blocked(control, 4)
    assert control.ask("RPUSH", "q", "a", "b") == 2          # the length before serving
    assert first.reply() == [b"q", b"a"]
    assert second.reply() == [b"q", b"b"]
    wait_blocked(control, 2)
    assert control.ask("LPUSH", "other", "x") == 1          # nobody waits on it now
    assert control.ask("RPUSH", "q", "c", "d", "e") == 3
    assert third.reply() == b"c"
    assert fourth.reply() == [b"q", b"d"]
    assert control.ask("LRANGE", "q", "0", "-1") == [b"e"]
    assert control.ask("LRANGE", "dest", "0", "-1") == [b"c"]
    assert blocked_clients(control) == 0
    # A push inside a transaction serves the waiter after EXEC: the LPOP
    # in it takes the element first.
    first.send("BLPOP", "t", "0")
    wait_blocked(control, 1)
    control.send("MULTI"), control.send("RPUSH", "t", "1", "2"), control.send("LPOP", "t")
    for _ in range(3):
        control.reply()
    assert control.ask("EXEC") == [2, b"1"]
    assert first.reply() == [b"t", b"2"]
    # A pipelined command after BLPOP runs after it is served.
    first.send("BLPOP", "u", "0")
    first.send("PING")
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "u", "x") == 1
    assert first.reply() == [b"u", b"x"]
    assert first.reply() == "PONG"
    # What a blocked client sends is run after it is served, not before.
    first.send("BLPOP", "v", "0")
    wait_blocked(control, 1)
    first.send("ECHO", "after")
    first.send("RPUSH", "v", "mine")
    assert blocked_clients(control) == 1
    assert control.ask("LPUSH", "v", "pushed") == 1
    assert first.reply() == [b"v", b"pushed"]
    assert first.reply() == b"after"
    assert first.reply() == 1


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_blocking_pop_times_out_with_nil(connect, protocol):
    """BLPOP and BLMOVE with a timeout answer nil after it (``*-1`` / ``$-1``,
    RESP3 ``_``), and no longer count as blocked."""
    control, client = connect(), connect()
    if protocol == 3:
        client.ask("HELLO", "3")
    client.sock.sendall(encode_command("BLPOP", "nx", "0.05"))
    data = client.sock.recv(100)
    assert data == (b"*-1\r\n" if protocol == 2 else b"_\r\n")
    client.sock.sendall(encode_command("BLMOVE", "nx", "d", "LEFT", "LEFT", "0.05"))
    assert client.sock.recv(100) == data
    assert blocked_clients(control) == 0


def test_a_client_that_leaves_while_blocked_is_forgotten(connect):
    """A client that disconnects while blocked takes nothing: the next
    push goes to the client after it, or stays in the list."""
    control, leaving, staying = connect(), connect(), connect()
    leaving.send("BLPOP", "q", "0")
    wait_blocked(control, 1)
    staying.send("BLPOP", "q", "0")
    wait_blocked(control, 2)
    leaving.close()
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "q", "a", "b") == 2
    assert staying.reply() == [b"q", b"a"]
    assert control.ask("LRANGE", "q", "0", "-1") == [b"b"]
    assert blocked_clients(control) == 0


# ================================================================ redis-benchmark

def test_redis_benchmark_default_tests_all_run_without_errors(ours):
    """``redis-benchmark -q`` with its default test list (no -t): every test
    reports requests per second, and no line is an error."""
    if shutil.which("redis-benchmark") is None:
        pytest.skip("redis-benchmark is not installed")
    done = subprocess.run(["redis-benchmark", "-p", str(ours), "-q", "-n", "2000", "-c", "10"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=50)
    lines = [line.split(b"\r")[-1].strip() for line in done.stdout.splitlines()]
    lines = [line for line in lines if line]
    results = [line for line in lines if b"requests per second" in line]
    names = [line.split(b":")[0] for line in results]
    for expected in [b"PING_INLINE", b"PING_MBULK", b"SET", b"GET", b"INCR", b"LPUSH", b"RPUSH",
                     b"LPOP", b"RPOP", b"SADD", b"HSET", b"SPOP", b"ZADD", b"ZPOPMIN",
                     b"LPUSH (needed to benchmark LRANGE)", b"LRANGE_100 (first 100 elements)",
                     b"LRANGE_300 (first 300 elements)", b"LRANGE_500 (first 500 elements)",
                     b"LRANGE_600 (first 600 elements)", b"MSET (10 keys)"]:
        assert expected in names, (expected, done.stdout[-3000:])
    errors = [line for line in lines
              if b"requests per second" not in line and b" rps=" not in line]
    assert not errors, errors
    assert done.returncode == 0


def test_what_other_commands_push_serves_the_blocked_clients(connect):
    """A waiter is served by an LMOVE onto its key, by the BLMOVE of
    another waiter, and by a RENAME of a list onto it; a BLMOVE waiter
    whose destination holds another type gets WRONGTYPE, the element
    left where it was."""
    control, mover, chained, renamed, wrong = (connect() for _ in range(5))
    mover.send("BLMOVE", "src", "mid", "RIGHT", "LEFT", "0")
    wait_blocked(control, 1)
    chained.send("BLPOP", "mid", "0")
    wait_blocked(control, 2)
    assert control.ask("RPUSH", "other", "x") == 1
    assert control.ask("LMOVE", "other", "src", "LEFT", "LEFT") == b"x"
    assert mover.reply() == b"x"
    assert chained.reply() == [b"mid", b"x"]
    assert control.ask("EXISTS", "src", "mid", "other") == 0
    renamed.send("BRPOP", "r", "0")
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "elsewhere", "1", "2") == 2
    assert control.ask("RENAME", "elsewhere", "r") == "OK"
    assert renamed.reply() == [b"r", b"2"]
    assert control.ask("SET", "dst", "a string") == "OK"
    wrong.send("BLMOVE", "s", "dst", "LEFT", "LEFT", "0")
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "s", "e") == 1
    with pytest.raises(Exception, match="WRONGTYPE"):
        reply = wrong.reply()
        if isinstance(reply, Exception):
            raise reply
    assert control.ask("LRANGE", "s", "0", "-1") == [b"e"]
    assert blocked_clients(control) == 0


def test_a_key_named_twice_in_blpop_queues_the_client_once(connect):
    """``BLPOP k k 0`` (and ``BRPOP k other k 0``) block the client once, as
    Redis de-duplicates the keys: INFO counts it once, one push serves it
    once (the second element goes to the client behind it, the third
    stays), and it leaves no trace in the key's queue."""
    control, twice, thrice, behind = connect(), connect(), connect(), connect()
    twice.send("BLPOP", "k", "k", "0")
    wait_blocked(control, 1)
    thrice.send("BRPOP", "k", "other", "k", "k", "0")
    wait_blocked(control, 2)
    behind.send("BLPOP", "k", "0")
    wait_blocked(control, 3)
    assert control.ask("RPUSH", "k", "a", "b", "c", "d") == 4
    assert twice.reply() == [b"k", b"a"]
    assert thrice.reply() == [b"k", b"d"]
    assert behind.reply() == [b"k", b"b"]
    assert control.ask("LRANGE", "k", "0", "-1") == [b"c"]
    assert blocked_clients(control) == 0
    # Served and gone from the queue: the next waiter is served by the next push.
    behind.send("BLPOP", "k2", "k2", "0")
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "k2", "x") == 1
    assert behind.reply() == [b"k2", b"x"]
    twice.send("BLPOP", "k2", "0")
    wait_blocked(control, 1)
    assert control.ask("RPUSH", "k2", "y", "z") == 2
    assert twice.reply() == [b"k2", b"y"]
    assert control.ask("LRANGE", "k2", "0", "-1") == [b"z"]
    assert blocked_clients(control) == 0


def test_a_key_named_twice_waits_in_its_queue_once():
    """The store itself: ``BLPOP k k 0`` leaves one Waiter in k's queue,
    with k once in its keys (Redis's ``blockForKeys`` skips a key it has)."""
    store = Store()
    session = Session()
    assert store.execute([b"BLPOP", b"k", b"other", b"k", b"0"], session) == BLOCKED
    waiter = session.blocked
    assert waiter.keys == [b"k", b"other"]
    assert list(store.blocking[b"k"]) == [waiter]
    assert list(store.blocking[b"other"]) == [waiter]
    store.unblock(waiter)
    assert store.blocking == {}


def test_set_stores_onto_a_key_a_client_waits_on_do_not_serve_it(connect):
    """SUNIONSTORE, SINTERSTORE, SDIFFSTORE, ZRANGESTORE and SMOVE onto a
    key a BLPOP waits on make it a set (a sorted set): the client stays
    blocked (Redis serves lists only), and a push onto the set is
    WRONGTYPE; a store of nothing deletes the key, and the push after it
    serves the client."""
    control, client = connect(), connect()
    assert control.ask("SADD", "s", "m") == 1
    assert control.ask("ZADD", "z", "1", "m") == 1
    client.send("BLPOP", "d", "0")
    wait_blocked(control, 1)
    for command in [("SUNIONSTORE", "d", "s"), ("SINTERSTORE", "d", "s"),
                    ("SDIFFSTORE", "d", "s", "nx"), ("ZRANGESTORE", "d", "z", "0", "-1"),
                    ("SMOVE", "s", "d", "m")]:
        assert control.ask(*command) == 1, command
        assert blocked_clients(control) == 1, command
        assert control.ask("SMOVE", "d", "s", "m") == 1 if command[0] == "SMOVE" else \
            control.ask("DEL", "d") == 1
    assert control.ask("SUNIONSTORE", "d", "s") == 1
    reply = control.ask("RPUSH", "d", "x")
    assert isinstance(reply, Exception) and str(reply).startswith("WRONGTYPE"), reply
    assert blocked_clients(control) == 1
    assert control.ask("SINTERSTORE", "d", "nx") == 0           # deleted
    assert control.ask("RPUSH", "d", "x") == 1
    assert client.reply() == [b"d", b"x"]
    assert blocked_clients(control) == 0
