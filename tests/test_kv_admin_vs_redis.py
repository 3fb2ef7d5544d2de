"""OBJECT, SORT and SORT_RO, CLIENT LIST, INFO, KILL and NO-EVICT, and
INFO's Stats section, against a real redis-server (7.0.15).

The servers and the comparison are tests/test_kv_vs_redis.py's and
tests/test_kv_types_vs_redis.py's.  SORT and OBJECT are compared reply
for reply, in RESP2 and RESP3 (OBJECT ENCODING where Redis's answer
depends on the value as it is, not on its history: kv_admin's essay).
CLIENT LIST and INFO by their field names, in order, and the values that
describe the same state on both (name, flags, multi, sub, psub, cmd,
resp ...); ids, addresses, descriptors and memory are each server's own.
CLIENT KILL by what it does: the target's connection is closed, every
other client goes on, and the killed client is forgotten at once (not
served a push it waited for, not counted as a subscriber).
"""

import socket

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_types_vs_redis import Client, connect, wait_blocked  # noqa: F401
from test_kv_vs_redis import _info_sections, assert_same, decoded, ours, pair, redis  # noqa: F401
from trampoline.protocols.resp import encode_command

WATCHDOG_SECONDS = 60.0

SORTS = [
    ["RPUSH", "l", "3", "1", "2", "10"], ["SORT", "l"], ["SORT", "l", "ALPHA"],
    ["SORT", "l", "DESC"], ["SORT", "l", "asc", "desc"], ["SORT", "l", "LIMIT", "1", "2"],
    ["SORT", "l", "LIMIT", "-1", "2"], ["SORT", "l", "LIMIT", "1", "-1"],
    ["SORT", "l", "LIMIT", "10", "2"], ["SORT", "l", "LIMIT", "0", "0"],
    ["SORT", "l", "LIMIT", "0"], ["SORT", "l", "LIMIT", "x", "1"], ["SORT", "l", "LIMIT", "1", "y"],
    ["SORT", "l", "BAD"], ["SORT", "l", "GET"], ["SORT", "l", "BY"], ["SORT", "l", "STORE"],
    ["SORT", "l", "BY", "nosort"], ["SORT", "l", "BY", "nosort", "DESC"],
    ["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
    ["RPUSH", "m", "a", "1", "b"], ["SORT", "m"], ["SORT", "m", "ALPHA", "DESC", "LIMIT", "1", "1"],
    ["SORT", "nx"], ["SORT", "nx", "ALPHA", "LIMIT", "0", "1"], ["SET", "str", "v"],
    ["SORT", "str"], ["SORT", "str", "BAD"], ["SORT_RO", "l", "STORE", "d"],
    ["SORT_RO", "l", "DESC"], ["SORT", "l", "STORE", "d"], ["TYPE", "d"],
    ["LRANGE", "d", "0", "-1"],
    ["SET", "d2", "old", "EX", "100"], ["SORT", "l", "DESC", "STORE", "d2"], ["TTL", "d2"],
    ["SORT", "nx", "STORE", "d2"], ["EXISTS", "d2"],
    ["SORT", "l", "BY", "w_*"], ["MSET", "w_3", "a", "w_1", "b"], ["SORT", "l", "BY", "w_*"],
    ["SORT", "l", "BY", "w_*", "ALPHA"], ["SORT", "l", "BY", "w_*", "ALPHA", "DESC"],
    ["MSET", "w_3", "30", "w_1", "-5", "w_2", "2.5e1"], ["SORT", "l", "BY", "w_*"],
    ["SORT", "l", "BY", "w_*", "DESC", "GET", "#", "GET", "w_*"],
    ["HSET", "h_1", "f", "9"], ["HSET", "h_2", "f", "-1", "g", "x"],
    ["SORT", "l", "GET", "#", "GET", "h_*->f", "GET", "w_*", "GET", "nostar", "GET", "h_*->"],
    ["SORT", "l", "BY", "h_*->f"], ["SORT", "l", "BY", "h_*->f", "DESC"],
    ["SORT", "l", "BY", "h_*->g"], ["SORT", "l", "BY", "h_*->g", "ALPHA", "GET", "h_*->g"],
    ["RPUSH", "o", "a", "b", "c"], ["SET", "wo_a", ""], ["SET", "wo_c", ""],
    ["SORT", "o", "BY", "wo_*", "ALPHA"], ["SORT", "o", "BY", "wo_*", "ALPHA", "DESC"],
    ["SORT", "o", "BY", "wo_*"], ["SORT", "l", "GET", "h_*->f", "STORE", "d3"],
    ["LRANGE", "d3", "0", "-1"],
    ["SORT", "l", "BY", "nostar", "GET", "#", "STORE", "d4"], ["LRANGE", "d4", "0", "-1"],
    ["SADD", "st", "5", "3", "9", "-2"], ["SORT", "st"], ["SORT", "st", "BY", "nosort"],
    ["SORT", "st", "BY", "nosort", "STORE", "st2"], ["LRANGE", "st2", "0", "-1"],
    ["SADD", "sw", "b", "a", "c"], ["SORT", "sw", "ALPHA"], ["SORT", "sw"],
    ["SORT", "sw", "BY", "nosort", "DESC", "STORE", "sw2"], ["LRANGE", "sw2", "0", "-1"],
    ["ZADD", "z", "3", "a", "1", "b", "2", "c"], ["SORT", "z", "BY", "nosort"],
    ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"],
    ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5"], ["SORT", "z", "ALPHA"],
    ["SORT", "z", "ALPHA", "DESC", "GET", "#", "GET", "x*"],
    ["RPUSH", "e", "", " 1", "1e2", "0x10", "-inf", "+7", "0e5", "0x0p3", "-0.0"], ["SORT", "e"],
    ["RPUSH", "e1", "1 "], ["SORT", "e1"], ["RPUSH", "e2", "nan"], ["SORT", "e2"],
    ["RPUSH", "e3", "1e400"], ["SORT", "e3"], ["RPUSH", "e4", "1e-400"], ["SORT", "e4"],
    ["RPUSH", "e5", "+"], ["SORT", "e5"], ["SORT", "e5", "ALPHA"], ["SORT", "e5", "BY", "nosort"],
    ["SORT", "e3", "BY", "w_*"], ["SORT", "l", "LIMIT", "1", "9223372036854775807"],
    ["SORT", "l", "LIMIT", "9223372036854775807", "1"], ["SORT"], ["SORT_RO"],
    ["RPUSH", "x1", "0x1.8p-1074"],
    ["SORT", "x1"], ["RPUSH", "x2", "1e-310"], ["SORT", "x2"], ["RPUSH", "x3", "0x1p1024"],
    ["SORT", "x3"],
]

#: Scores in hexadecimal beyond the greatest double: strtod's infinity
#: for a range's bound, "not a valid float" for a score (they closed the
#: connection: Python's float.fromhex raises OverflowError).
HEX_OVERFLOW = [
    ["ZADD", "z", "1", "a"], ["ZADD", "z", "0x1p1024", "b"], ["ZADD", "z", "-0x1P1024", "b"],
    ["ZINCRBY", "z", "0x1p1024", "a"], ["ZCOUNT", "z", "-0x1p1024", "0x1p1024"],
    ["ZRANGEBYSCORE", "z", "(-0x1p1024", "0x1p1024", "WITHSCORES"],
    ["ZREVRANGEBYSCORE", "z", "0X1P1024", "-inf"], ["ZREMRANGEBYSCORE", "z", "0x1p1024", "inf"],
    ["PING"],
]

OBJECTS = [
    ["SET", "i", "123"], ["OBJECT", "ENCODING", "i"], ["OBJECT", "REFCOUNT", "i"],
    ["SET", "big", "12345678"], ["OBJECT", "REFCOUNT", "big"], ["OBJECT", "encoding", "big"],
    ["SET", "neg", "-1"], ["OBJECT", "REFCOUNT", "neg"], ["OBJECT", "ENCODING", "neg"],
    ["SET", "z0", "0123"], ["OBJECT", "ENCODING", "z0"], ["SET", "s44", "a" * 44],
    ["OBJECT", "ENCODING", "s44"], ["SET", "s45", "a" * 45], ["OBJECT", "ENCODING", "s45"],
    ["SET", "long", "9" * 21], ["OBJECT", "ENCODING", "long"], ["APPEND", "i", "4"],
    ["OBJECT", "ENCODING", "i"], ["SETRANGE", "r", "2", "x"], ["OBJECT", "ENCODING", "r"],
    ["APPEND", "new", "5"], ["OBJECT", "ENCODING", "new"], ["INCR", "n"],
    ["OBJECT", "ENCODING", "n"], ["OBJECT", "REFCOUNT", "n"],
    ["RPUSH", "l", "a"], ["OBJECT", "ENCODING", "l"], ["SADD", "si", "1", "-5"],
    ["OBJECT", "ENCODING", "si"], ["SADD", "ss", "1", "x"], ["OBJECT", "ENCODING", "ss"],
    ["SADD", "sbig"] + [str(i) for i in range(513)], ["OBJECT", "ENCODING", "sbig"],
    ["HSET", "h", "f", "v"], ["OBJECT", "ENCODING", "h"], ["HSET", "hv", "f", "v" * 65],
    ["OBJECT", "ENCODING", "hv"], ["HSET", "hbig"] + ["f%d" % (i // 2) for i in range(1026)],
    ["OBJECT", "ENCODING", "hbig"], ["ZADD", "z", "1", "a"], ["OBJECT", "ENCODING", "z"],
    ["ZADD", "zv", "1", "m" * 65], ["OBJECT", "ENCODING", "zv"],
    ["ZADD", "zbig"] + [str(i // 2) if i % 2 == 0 else "m%d" % i for i in range(258)],
    ["OBJECT", "ENCODING", "zbig"], ["OBJECT", "REFCOUNT", "h"], ["OBJECT", "IDLETIME", "nx"],
    ["OBJECT", "FREQ", "i"], ["OBJECT", "FREQ", "nx"], ["OBJECT", "ENCODING", "nx"],
    ["OBJECT", "REFCOUNT", "nx"], ["OBJECT"], ["OBJECT", "foo"], ["OBJECT", "ENCODING"],
    ["OBJECT", "ENCODING", "i", "x"], ["OBJECT", "help"], ["OBJECT", "HELP", "x"],
    ["SET", "gone", "1", "PX", "1"],
]


@pytest.mark.parametrize("script", [SORTS, OBJECTS, HEX_OVERFLOW],
                         ids=["sort", "object", "hex_overflow"])
@pytest.mark.parametrize("protocol", [2, 3])
def test_sort_and_object_reply_as_redis(pair, script, protocol):
    """SORT and SORT_RO on lists, sets and sorted sets with every option,
    their errors in Redis's order, STORE (a list, the time to live gone,
    an empty result deletes); OBJECT's subcommands, encodings at and past
    Redis's thresholds, errors and HELP; sorted set scores and bounds in
    hexadecimal beyond the greatest double: the same bytes as redis-server's."""
    if protocol == 3:
        pair.same([["HELLO", "3"]])
    for command in script:
        assert_same(pair, [command])


def _client_fields(line):
    return [field.split(b"=", 1) for field in line.split(b" ")]


#: The CLIENT LIST fields that say the same thing on both servers.
AGREEING = {b"name", b"db", b"sub", b"psub", b"ssub", b"multi", b"events", b"cmd", b"user",
            b"redir", b"resp"}


def _assert_same_client_lines(real, got):
    """The same field names in the same order; the same values where they
    describe the same state (flags: Redis's ``U``, a Unix socket, aside)."""
    real, got = _client_fields(real), _client_fields(got)
    assert [name for name, _ in got] == [name for name, _ in real]
    for (name, mine), (_, theirs) in zip(got, real):
        if name in AGREEING:
            assert mine == theirs, name
        elif name == b"flags":
            assert mine == (theirs.replace(b"U", b"") or b"N"), name
        elif name in (b"addr", b"laddr"):
            assert mine.rpartition(b":")[2].isdigit(), (name, mine)
        else:
            assert mine.lstrip(b"-").isdigit(), (name, mine)


@pytest.mark.parametrize("protocol", [2, 3])
def test_client_info_and_list_give_redis_fields(pair, protocol):
    """CLIENT INFO and CLIENT LIST ID ...: Redis 7.0's fields in its order,
    the state-describing values as Redis's -- a name, RESP3, a MULTI's
    queue (and inside EXEC), a subscription, NO-EVICT; the errors of
    CLIENT LIST and KILL word for word."""
    (their_hello,), (my_hello,) = pair.same([["HELLO", str(protocol)]])
    ids = [decoded(their_hello)[b"id"] if protocol == 3 else decoded(their_hello)[7],
           decoded(my_hello)[b"id"] if protocol == 3 else decoded(my_hello)[7]]
    steps = [[["CLIENT", "INFO"]], [["CLIENT", "SETNAME", "me"], ["SET", "a", "1"],
                                    ["CLIENT", "INFO"]],
             [["MULTI"], ["SET", "b", "2"], ["CLIENT", "INFO"], ["EXEC"]],
             [["CLIENT", "NO-EVICT", "on"], ["CLIENT", "INFO"]],
             [["CLIENT", "NO-EVICT", "off"], ["CLIENT", "list", "ID", "{id}", "99999"]]]
    for commands in steps:
        theirs, mine = [], []
        for index, sock in enumerate(pair.socks):
            sent = [[word.replace("{id}", str(ids[index])) for word in c] for c in commands]
            data = b"".join(encode_command(*c) for c in sent)
            sock.sendall(data)
            (theirs if index == 0 else mine).append(pair._read(sock, len(commands))[-1])
        real, got = theirs[0], mine[0]
        if commands[0] == ["MULTI"]:
            real, got = decoded(real)[1], decoded(got)[1]
        else:
            assert got[:1] == real[:1] == (b"=" if protocol == 3 else b"$")
            real, got = decoded(real), decoded(got)
        assert real.endswith(b"\n") and got.endswith(b"\n") and got.count(b"\n") == 1
        _assert_same_client_lines(real[:-1], got[:-1])
    assert_same(pair, [["CLIENT", "NO-EVICT", "maybe"], ["CLIENT", "LIST", "TYPE", "foo"],
                       ["CLIENT", "LIST", "TYPE", "master"], ["CLIENT", "LIST", "ID", "x"],
                       ["CLIENT", "LIST", "foo"], ["CLIENT", "LIST", "ID", "99999"],
                       ["CLIENT", "KILL"], ["CLIENT", "KILL", "ID", "0"],
                       ["CLIENT", "KILL", "ID", "x"], ["CLIENT", "KILL", "ID", "99999"],
                       ["CLIENT", "KILL", "1.1.1.1:1"], ["CLIENT", "KILL", "ADDR"],
                       ["CLIENT", "KILL", "ADDR", "1.1.1.1:1"], ["CLIENT", "KILL", "USER", "bob"],
                       ["CLIENT", "KILL", "TYPE", "foo"], ["CLIENT", "KILL", "TYPE", "master"],
                       ["CLIENT", "KILL", "SKIPME", "maybe"], ["CLIENT", "KILL", "ID", "1", "x"],
                       ["CLIENT", "INFO", "x"], ["CLIENT", "NO-TOUCH", "on"]])


def test_a_subscriber_is_listed_with_its_subscriptions(connect):
    """CLIENT LIST TYPE pubsub: the subscriber, flags=P, its sub and psub
    counts, its last command; TYPE normal: the others."""
    listener, control = connect(), connect()
    listener.send("SUBSCRIBE", "a", "b")
    listener.send("PSUBSCRIBE", "c*")
    assert [listener.reply() for _ in range(3)][-1] == [b"psubscribe", b"c*", 3]
    listener_id = int(control.ask("CLIENT", "LIST", "TYPE", "pubsub").split(b" ")[0][3:])
    line = dict(_client_fields(control.ask("CLIENT", "LIST", "TYPE", "pubsub")[:-1]))
    assert (line[b"flags"].replace(b"U", b""), line[b"sub"], line[b"psub"], line[b"cmd"]) \
        == (b"P", b"2", b"1", b"psubscribe")
    normal = control.ask("CLIENT", "LIST", "TYPE", "normal")
    assert b"id=%d " % listener_id not in normal and b"cmd=client|list" in normal


def _kill_and_check(control, victim, bystander, kill, expected):
    """Kill ``victim`` with ``kill`` (or these commands, sent as one
    batch); check the reply (replies), that its socket is closed, and that
    the bystander and the control go on."""
    if isinstance(kill[0], list):
        control.sock.sendall(b"".join(encode_command(*command) for command in kill))
        assert [control.reply() for _ in kill] == expected
    else:
        assert control.ask(*kill) == expected
    victim.sock.settimeout(10)
    assert victim.sock.recv(100) == b""             # closed by the server
    assert bystander.ask("PING") == "PONG"
    assert control.ask("ECHO", "still") == b"still"


def test_client_kill_by_id_closes_only_that_connection(connect):
    """CLIENT KILL ID: 1, the connection closed; the others go on; a
    blocked client killed is forgotten -- a push it waited for stays in
    the list -- and a killed subscriber no longer counts in PUBLISH; the
    new form skips the caller unless SKIPME no (then it is answered, then
    closed)."""
    control, victim, bystander = connect(), connect(), connect()
    victim_id = victim.ask("CLIENT", "ID")
    _kill_and_check(control, victim, bystander, ["CLIENT", "KILL", "ID", str(victim_id)], 1)
    blocked = connect()
    blocked.send("BLPOP", "queue", "0")
    wait_blocked(control, 1)
    blocked_id = int(control.ask("CLIENT", "LIST").split(b"cmd=blpop")[0]
                     .rsplit(b"id=", 1)[1].split(b" ")[0])
    # The push in the same batch: the killed client is forgotten at once.
    _kill_and_check(control, blocked, bystander, [["CLIENT", "KILL", "ID", str(blocked_id)],
                                                  ["RPUSH", "queue", "x"]], [1, 1])
    assert control.ask("LLEN", "queue") == 1
    listener = connect()
    listener.send("SUBSCRIBE", "news")
    assert listener.reply() == [b"subscribe", b"news", 1]
    listener_id = int(control.ask("CLIENT", "LIST", "TYPE", "pubsub").split(b" ")[0][3:])
    _kill_and_check(control, listener, bystander, [["CLIENT", "KILL", "TYPE", "pubsub"],
                                                   ["PUBLISH", "news", "hi"]], [1, 0])
    assert b"id=%d " % listener_id not in control.ask("CLIENT", "LIST")
    control_id = control.ask("CLIENT", "ID")
    assert control.ask("CLIENT", "KILL", "ID", str(control_id)) == 0       # SKIPME yes
    assert control.ask("CLIENT", "KILL", "ID", str(control_id), "SKIPME", "no") == 1
    control.sock.settimeout(10)
    assert control.sock.recv(100) == b""
    assert bystander.ask("PING") == "PONG"


def test_client_kill_by_address_old_and_new_forms(ours):
    """CLIENT KILL ADDR ip:port (a count) and CLIENT KILL ip:port (OK, or
    No such client): the connection from that address closed, the others
    going on; the old form may kill the caller, after its OK.  (Ours
    only: redis-server here listens on a Unix socket, where every client
    has the same address.)"""
    def client():
        return Client(socket.AF_INET, ("127.0.0.1", ours))
    control, victim, bystander = client(), client(), client()
    try:
        address = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        info = dict(_client_fields(victim.ask("CLIENT", "INFO")[:-1]))
        assert info[b"addr"] == address.encode()
        assert info[b"laddr"] == b"127.0.0.1:%d" % ours
        assert int(info[b"fd"]) > 2
        _kill_and_check(control, victim, bystander, ["CLIENT", "KILL", "ADDR", address], 1)
        assert control.ask("CLIENT", "KILL", address).args == ("ERR No such client",)
        victim = client()
        assert victim.ask("PING") == "PONG"         # (answered: accepted by now)
        address = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        _kill_and_check(control, victim, bystander, ["CLIENT", "KILL", address], "OK")
        own = "127.0.0.1:%d" % control.sock.getsockname()[1]
        assert control.ask("CLIENT", "KILL", "ADDR", own) == 0
        assert control.ask("CLIENT", "KILL", own) == "OK"
        assert control.sock.recv(100) == b""
        assert bystander.ask("PING") == "PONG"
    finally:
        for each in (control, victim, bystander):
            each.close()


def _stats(client):
    (_, fields), = _info_sections(client.ask("INFO", "stats"))
    return dict(fields)


def test_info_stats_counts_connections_commands_and_subscriptions(connect, pair):
    """INFO stats: its fields a subsequence of Redis's; a new connection
    counts one in total_connections_received, each command one in
    total_commands_processed (INFO's own included), pubsub_channels and
    pubsub_patterns as Redis's."""
    theirs, mine = pair.same([["INFO", "stats"]])
    real, got = _info_sections(decoded(theirs[0])), _info_sections(decoded(mine[0]))
    assert [title for title, _ in got] == [title for title, _ in real] == [b"Stats"]
    names = iter([name for name, _ in real[0][1]])
    assert all(name in names for name, _ in got[0][1])
    assert [name for name, _ in got[0][1]] == [
        b"total_connections_received", b"total_commands_processed", b"rejected_connections",
        b"expired_keys", b"evicted_keys", b"keyspace_hits", b"keyspace_misses",
        b"pubsub_channels", b"pubsub_patterns"]
    control = connect()
    before = _stats(control)
    control.ask("SET", "a", "1")
    control.ask("GET", "a")
    after = _stats(control)
    assert int(after[b"total_commands_processed"]) - int(before[b"total_commands_processed"]) == 3
    assert connect().ask("PING") == "PONG"        # (answered: accepted by now)
    assert int(_stats(control)[b"total_connections_received"]) \
        == int(after[b"total_connections_received"]) + 1
    listener = connect()
    listener.send("SUBSCRIBE", "x", "y")
    listener.send("PSUBSCRIBE", "p*")
    [listener.reply() for _ in range(3)]
    stats = _stats(control)
    assert (stats[b"pubsub_channels"], stats[b"pubsub_patterns"]) == (b"2", b"1")
