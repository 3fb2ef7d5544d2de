"""What kv_admin.py (OBJECT, SORT, CLIENT LIST|INFO|KILL|NO-EVICT) and
kv.py's FLUSHALL, transactions and SCAN order do that no other test
pinned -- found by mutation testing -- against a real redis-server
(7.0.15) where Redis is the yardstick.

The servers and the comparison are tests/test_kv_vs_redis.py's and
tests/test_kv_types_vs_redis.py's.
"""

import socket

from net_helpers import ServerThread, ask, watchdog, with_kv_server  # noqa: F401 (autouse)
from test_kv_admin_vs_redis import _client_fields
from test_kv_types_vs_redis import Client, connect  # noqa: F401 (a fixture)
from test_kv_vs_redis import Pair, _both_send, _scan_all, assert_same, decoded
from test_kv_vs_redis import ours, pair, redis  # noqa: F401 (fixtures)
from trampoline import VirtualClock, sleep
from trampoline.protocols.kv import Store, serve_client
from trampoline.protocols.resp import ReplyParser, encode_command
from trampoline.streams import open_connection, unix_server

WATCHDOG_SECONDS = 60.0


def _client_lines(control, count):
    """CLIENT LIST's lines (as dicts), asked until there are ``count``
    clients (a new connection is listed once the server has accepted it:
    each try a round trip, no sleep)."""
    for _ in range(10000):
        lines = control.ask("CLIENT", "LIST").splitlines()
        if len(lines) == count:
            return [dict(_client_fields(line)) for line in lines]
    raise AssertionError("CLIENT LIST never listed %d clients: %r" % (count, lines))


# ================================================================ CLIENT

def test_a_client_that_sent_nothing_yet_is_listed_with_cmd_null(connect):
    """A connection that has sent no command yet: CLIENT LIST lists it
    with ``cmd=NULL``, as Redis does; once it has sent one, that one."""
    control = connect()                 # (the fixture's own client is the first)
    quiet = connect()

    def newest():
        return max(_client_lines(control, 3), key=lambda line: int(line[b"id"]))
    assert newest()[b"cmd"] == b"NULL"
    assert quiet.ask("PING") == "PONG"
    assert newest()[b"cmd"] == b"ping"



def test_client_list_counts_each_clients_idle_seconds_and_age():
    """On the store's clock (virtual here): a client that sent its last
    command 30 s ago is ``idle=30``, connected 40 s ago ``age=40``; the
    client asking is idle 0 (it is running CLIENT LIST)."""
    clock = VirtualClock(autojump_threshold=0)
    store = Store(clock)

    def client(stream):
        other = yield open_connection(*stream.sock.getpeername()[:2])
        with other:
            yield sleep(10)
            assert (yield ask(other, ["CLIENT", "SETNAME", "other"])) == ["OK"]
            yield sleep(30)
            (text,) = yield ask(stream, ["CLIENT", "LIST"])
        return {line[b"name"]: (line[b"age"], line[b"idle"])
                for line in map(dict, map(_client_fields, text.splitlines()))}
    assert with_kv_server(store, client, clock=clock) == {b"other": (b"40", b"30"),
                                                          b"": (b"40", b"0")}


def test_flushall_marks_a_client_watching_a_key_there_dirty_as_redis(pair):
    """WATCH a key, another client FLUSHALLs: the watcher's CLIENT INFO
    flags say ``d`` (its EXEC will fail) at once, as Redis's do -- not
    only when EXEC finds the key gone."""
    other = Pair(pair.addresses[0][1], pair.addresses[1][1][1])
    try:
        _both_send(pair, ["SET", "k", "v"], ["WATCH", "k", "nokey"])
        _both_send(other, ["FLUSHALL"])
        for sock in pair.socks:
            sock.sendall(encode_command("CLIENT", "INFO"))
        flags = [dict(_client_fields(decoded(reply)[:-1]))[b"flags"].replace(b"U", b"") or b"N"
                 for (reply,) in (Pair._read(sock, 1) for sock in pair.socks)]
        assert flags == [b"d", b"d"]
        assert _both_send(pair, ["MULTI"], ["SET", "x", "1"], ["EXEC"])[2] == b"*-1\r\n"
    finally:
        other.close()


def _unix_addresses(path):
    """CLIENT INFO's addr and laddr, and CLIENT LIST's, for a client of the
    server on the Unix socket ``path``."""
    client = Client(socket.AF_UNIX, path)
    try:
        info = dict(_client_fields(client.ask("CLIENT", "INFO")[:-1]))
        (line,) = [dict(_client_fields(line)) for line in client.ask("CLIENT", "LIST").splitlines()
                   if line.startswith(b"id=%s " % info[b"id"])]
        return [(fields[b"addr"], fields[b"laddr"]) for fields in (info, line)]
    finally:
        client.close()


def test_client_info_and_list_over_a_unix_socket(redis, tmp_path):
    """serve_client behind unix_server: CLIENT INFO and CLIENT LIST name a
    client's address and ours as Redis does on a Unix socket, both
    ``path:0`` (the server's path: the client's own name, unbound, is
    empty)."""
    path = str(tmp_path / "kv.sock")
    running = ServerThread(lambda ready: unix_server(path, serve_client(Store()), ready=ready))
    try:
        for server in (redis, path):
            assert _unix_addresses(server) == [(b"%s:0" % server.encode(),) * 2] * 2
    finally:
        running.stop()


def _unix_flags(path):
    """CLIENT INFO's flags for a client of the server on the Unix socket
    ``path``: alone, then with NO-EVICT on, in MULTI."""
    client = Client(socket.AF_UNIX, path)
    try:
        flags = [dict(_client_fields(client.ask("CLIENT", "INFO")[:-1]))[b"flags"]]
        assert client.ask("CLIENT", "NO-EVICT", "on") == "OK"
        assert client.ask("MULTI") == "OK" and client.ask("CLIENT", "INFO") == "QUEUED"
        (line,) = client.ask("EXEC")
        flags.append(dict(_client_fields(line[:-1]))[b"flags"])
        return flags
    finally:
        client.close()


def test_a_unix_sockets_client_is_flagged_u_as_redis_flags_it(redis, tmp_path):
    """A client over a Unix socket: CLIENT INFO's flags say ``U`` (not
    ``N``), in Redis's order among the others (``xUe``: in MULTI, a Unix
    socket, NO-EVICT), as redis-server's say."""
    path = str(tmp_path / "kv.sock")
    running = ServerThread(lambda ready: unix_server(path, serve_client(Store()), ready=ready))
    try:
        assert [_unix_flags(server) for server in (redis, path)] == [[b"U", b"xUe"]] * 2
    finally:
        running.stop()


def test_client_list_and_kill_refuse_an_option_without_its_value_as_redis(pair):
    """CLIENT LIST ID or TYPE with nothing after it, CLIENT KILL ... SKIPME
    alone: a syntax error, as Redis answers (not the empty list of no
    client); an address no client has: none killed."""
    assert_same(pair, [["CLIENT", "LIST", "ID"], ["CLIENT", "LIST", "id"],
                       ["CLIENT", "LIST", "TYPE"], ["CLIENT", "LIST", "TYPE", "normal", "x"],
                       ["CLIENT", "KILL", "ID", "1", "SKIPME"], ["CLIENT", "KILL", "LADDR", "x"],
                       ["CLIENT", "KILL", "ADDR", "x", "SKIPME", "no"], ["PING"]])


def test_a_store_used_without_a_connection_answers_client_info_and_list_empty():
    """``Store.execute`` without a session (a store embedded, no client):
    CLIENT INFO and CLIENT LIST answer an empty bulk string -- there is
    no client to describe -- and NO-EVICT OK."""
    store = Store()
    assert store.execute([b"CLIENT", b"INFO"]) == b"$0\r\n\r\n"
    assert store.execute([b"CLIENT", b"LIST"]) == b"$0\r\n\r\n"
    assert store.execute([b"CLIENT", b"NO-EVICT", b"on"]) == b"+OK\r\n"


# ================================================================ SCAN

def test_scan_names_a_key_made_again_and_again_once_a_reply(pair):
    """Two keys SET and DELeted 1,500 times each, turn about, then a
    third: SCAN ... COUNT 1000 answers the three keys, each once, in one
    reply, as Redis's does (it named a key made again once per past life,
    up to COUNT times)."""
    _both_send(pair, ["SET", "a", "v"], *[command for _ in range(1500) for command in (
        ["SET", "b", "v"], ["DEL", "a"], ["SET", "a", "v"], ["DEL", "b"])])
    _both_send(pair, ["MSET", "b", "v", "c", "v"])
    for index in (0, 1):
        returned, calls = _scan_all(pair, index, ["COUNT", "1000"])
        assert (sorted(returned), calls) == ([b"a", b"b", b"c"], 1), (index, returned[:9])


def test_scan_repeats_a_key_made_again_and_again_twice_at_most(pair):
    """100 keys, each DELeted and SET again 30 times: a whole SCAN
    iteration (COUNT 10) returns each of them, and at most about twice
    (Redis: once here; it may repeat a key too) -- it named a key once per
    past life since SCAN's order was last compacted, eight times each."""
    keys = [b"k%d" % i for i in range(100)]
    _both_send(pair, ["MSET"] + [x for key in keys for x in (key, b"v")])
    _both_send(pair, *[command for n in range(3000) for command in (
        ["DEL", keys[n % 100]], ["SET", keys[n % 100], "v"])])
    for index in (0, 1):
        returned, calls = _scan_all(pair, index)
        assert set(returned) == set(keys)
        assert len(returned) <= 2 * 100 + 64, (index, len(returned), calls)


def test_scan_count_bounds_the_keys_a_reply_names():
    """SCAN ... COUNT n names at most n keys a reply (``ScanOrder.walk``:
    "up to count"), and a whole iteration over keys nobody changes names
    each once."""
    store = Store()
    store.execute([b"MSET"] + [b"k%d" % (i // 2) if i % 2 == 0 else b"v" for i in range(50)])
    for count in (1, 2, 7):
        named, cursor = [], b"0"
        while True:
            reply = store.execute([b"SCAN", cursor, b"COUNT", b"%d" % count])
            (cursor, keys), = ReplyParser().feed(reply)
            assert 0 < len(keys) <= count, (count, keys)
            named += keys
            if cursor == b"0":
                break
        assert sorted(named) == sorted(b"k%d" % i for i in range(25)), count


# ================================================================ FLUSHALL

def test_flushall_lets_go_of_every_key_the_sweep_would_look_at():
    """FLUSHALL forgets the keys with a deadline in the sweep's queue too,
    at once: a Store used without kv_server's sweeper holds none of their
    names; the keys made again afterwards are in the queue once each."""
    store = Store()
    for i in range(500):
        store.execute([b"SET", b"key:%d" % i, b"v", b"EX", b"100"])
    assert store.execute([b"FLUSHALL"]) == b"+OK\r\n"
    assert len(store.expiring) == 0
    for i in range(10):
        store.execute([b"SET", b"key:%d" % i, b"v", b"EX", b"100"])
    assert sorted(store.expiring) == sorted(store.expires) == [b"key:%d" % i for i in range(10)]


def test_a_store_without_its_sweeper_keeps_a_bounded_queue_of_deadlines():
    """EXPIRE and PERSIST of the same key 20,000 times on a Store nobody
    sweeps (embedded, no kv_server): the sweep's queue is made again from
    the deadlines once stale entries are half of it -- a thousand entries
    or so, not one a PERSIST."""
    store = Store()
    store.execute([b"SET", b"k", b"v"])
    for _ in range(20000):
        store.execute([b"EXPIRE", b"k", b"100"])
        store.execute([b"PERSIST", b"k"])
    assert len(store.expiring) <= 1025
    assert store.execute([b"TTL", b"k"]) == b":-1\r\n"
