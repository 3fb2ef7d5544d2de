"""Four things named or counted as their yardstick does.

* A server's ``--host`` that does not resolve: ``tcp_server`` (kv_server,
  http_server) said "Name or service not known (looking up
  'nosuch.invalid')", ``run_server`` (echo_server, chat_server) "Name or
  service not known: cannot listen on nosuch.invalid:0".  Both now say
  the resolver's words, then the host and port, then that the name did not
  resolve -- redis-server's "Could not create server TCP listening socket
  nosuch.invalid:6379: Name or service not known" in our order.  Every
  example server: one line, status 1, no traceback.
* The text trace's spawn line named the function, where every later line
  calls the task by the name given to ``spawn``: ``-> spawn(TaskGroup._watch())``,
  then "task 7 trampoline: watching g spawned".  It now gives both, as the
  call is written, when they differ.
* kv_server's keyspace_hits and keyspace_misses for HINCRBYFLOAT, LTRIM,
  ZPOPMIN, ZPOPMAX, BZPOPMIN and BZPOPMAX (and a BZPOPMIN woken by a
  ZADD), step by step beside a real redis-server's.
* OBJECT IDLETIME: the seconds since the key was last read or written, as
  redis-server answers (it answered 0 always); a look (EXISTS, TYPE, TTL,
  OBJECT, KEYS, SCAN, WATCH) leaves it to go on.
"""

import io
import os
import socket
import subprocess
import sys

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse)
from test_kv_hits_and_queue import keyspace_counts
from test_kv_vs_redis import Pair, assert_same, decoded, ours, pair, redis  # noqa: F401 (fixtures)
from trampoline import Kernel, TaskGroup, join, run, sleep, spawn, tcp_server
from trampoline.protocols.kv import Store
from trampoline.protocols.resp import encode_command
from trampoline.trace import TextTrace
from trampoline.workers import run_server

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
WATCHDOG_SECONDS = 30.0

NOWHERE = "nosuch.invalid"          # (.invalid never resolves: RFC 6761)


# ================================================================ a host that does not resolve

def handler(stream, address):
    yield stream.write(b"")


def the_words(port):
    """What every server says of ``NOWHERE``, after the resolver's words."""
    return ": cannot listen on %s:%d (the name '%s' did not resolve)" % (NOWHERE, port, NOWHERE)


def test_tcp_server_and_run_server_say_the_same_of_a_host_that_does_not_resolve():
    """The library's two servers, in one wording: the resolver's words,
    the host and port, and that the name did not resolve."""
    with pytest.raises(socket.gaierror) as by_tcp_server:
        run(tcp_server(NOWHERE, 8123, handler))
    with pytest.raises(socket.gaierror) as by_run_server:
        run_server(NOWHERE, 8123, handler)
    assert str(by_tcp_server.value) == str(by_run_server.value)
    assert str(by_tcp_server.value).endswith(the_words(8123)), str(by_tcp_server.value)
    assert by_tcp_server.value.errno == by_run_server.value.errno != 0


#: Each example server, how it is told to listen on NOWHERE, the words its
#: one line must hold, and how it starts that line.
SERVERS = [
    ("echo_server.py", ["--port", "0"], the_words(0), "echo server: "),
    ("echo_server.py", ["--port", "0", "--workers", "2"], the_words(0), "echo server: "),
    ("chat_server.py", ["--port", "0"], the_words(0), "chat server: "),
    ("kv_server.py", ["--port", "0"], the_words(0), "kv server: "),
    ("http_server.py", ["--port", "0"], the_words(0), "http server: "),
    ("embed_thread.py", [], the_words(0), "embed_thread: "),
    ("embed_asyncio.py", ["--asyncio-port", "0", "--trampoline-port", "0"], the_words(0),
     "embed_asyncio: "),
    # These two look --host up themselves (once for three servers; for a
    # UDP socket): getaddrinfo's words, naming the host.
    ("compose.py", ["--echo-port", "0", "--http-port", "0", "--chat-port", "0"],
     "(looking up '%s')" % NOWHERE, "compose: --host: "),
    ("udp_echo.py", ["--port", "0"], "(looking up '%s')" % NOWHERE, "udp echo: "),
]


def test_every_example_server_says_so_in_one_line_with_status_1():
    """Every example server given ``--host nosuch.invalid``: status 1, one
    line on stderr naming the host (and the port, where it listens on one),
    nothing on stdout, no traceback.  (Started side by side: a look-up of
    .invalid may take a moment.)"""
    procs = [subprocess.Popen([sys.executable, os.path.join(EXAMPLES, name), "--host", NOWHERE]
                              + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, args, _, _ in SERVERS]
    try:
        for proc, (name, args, words, start) in zip(procs, SERVERS):
            out, err = proc.communicate(timeout=20)
            assert proc.returncode == 1, (name, args, err)
            assert err.count("\n") == 1 and err.startswith(start), (name, args, err)
            assert words in err and "[Errno " in err, (name, args, err)
            assert out == "", (name, args, out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


# ================================================================ the trace's spawn lines

def traced(main):
    out = io.StringIO()
    with Kernel(instruments=[TextTrace(out)]) as kernel:
        kernel.run(main())
    return out.getvalue()


def test_a_spawn_line_gives_the_name_the_later_lines_call_the_task_by():
    """``spawn(child(), name="worker one")``: the spawn line gives the
    name, as the call was written, and every later line calls task 2 by
    it.  A task group's watcher: its function and its name.  Without a
    name, or with the function's own, the function alone (as before); a
    trap spawned as a task: the trap, not the helper that performs it."""
    def child(n):
        yield sleep(0)
        return n

    def main():
        named = yield spawn(child(1), name="worker one")
        plain = yield spawn(child(2))
        same = yield spawn(child(3), name="child")
        nap = yield spawn(sleep(0))
        renamed_nap = yield spawn(sleep(0), name="a nap")
        for task in (named, plain, same, nap, renamed_nap):
            yield join(task)
        group = TaskGroup()
        yield group.spawn(child(4), name="g")
        yield group.join()

    text = traced(main)
    lines = text.splitlines()
    assert "-> spawn(child(), name='worker one')" in lines[2], lines[2]
    assert lines[3].split()[1:] == ["task", "2", "worker", "one", "spawned"]
    assert "-> join(task 2 worker one)" in text
    assert text.count("-> spawn(child())\n") == 2           # no name; the function's own
    assert "-> spawn(sleep(0))\n" in text and "_perform" not in text
    assert "-> spawn(sleep(0), name='a nap')\n" in text
    assert "-> spawn(child(), name='g')\n" in text
    assert "-> spawn(TaskGroup._watch(), name='trampoline: watching g')" in text
    assert "task 8 trampoline: watchi... spawned (in full: task 8 trampoline: watching g)" \
        in text


# ================================================================ keyspace counts vs redis-server

#: Steps, each sent as one pipeline: found, missing, of the wrong type, and
#: the edge cases (a count of 0, a range that empties the list, several
#: keys to BZPOPMAX, BZPOPMIN inside MULTI).
STEPS = [
    ("HINCRBYFLOAT", [["HSET", "h", "f", "1.5"], ["HINCRBYFLOAT", "h", "f", "2"],
                      ["HINCRBYFLOAT", "h", "new", "2"], ["HINCRBYFLOAT", "nh", "f", "2"],
                      ["SET", "s", "v"], ["HINCRBYFLOAT", "s", "f", "2"]]),
    ("LTRIM", [["RPUSH", "l", "a", "b", "c"], ["LTRIM", "l", "0", "1"], ["LTRIM", "nl", "0", "1"],
               ["LTRIM", "s", "0", "1"], ["LTRIM", "l", "5", "9"], ["EXISTS", "l"]]),
    ("ZPOPMIN, ZPOPMAX", [["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZPOPMIN", "z"],
                          ["ZPOPMAX", "z"], ["ZPOPMIN", "nz"], ["ZPOPMAX", "nz", "2"],
                          ["ZPOPMIN", "s"], ["ZPOPMAX", "s", "2"], ["ZPOPMIN", "z", "0"],
                          ["ZPOPMIN", "z", "5"], ["EXISTS", "z"]]),
    ("BZPOPMIN, BZPOPMAX at once", [["ZADD", "z", "1", "a", "2", "b"], ["BZPOPMIN", "z", "0"],
                                    ["BZPOPMAX", "nz", "z", "0"], ["BZPOPMIN", "s", "1"],
                                    ["BZPOPMAX", "nz", "s", "1"], ["MULTI"],
                                    ["BZPOPMIN", "nz", "0"], ["EXEC"]]),
]


def test_these_commands_move_keyspace_hits_and_misses_as_redis_server_does(pair):
    """After each step both servers' hits and misses have moved alike, and
    the replies are the same.  (Redis looks these keys up as a write does:
    nothing is counted.)"""
    start_theirs, start_mine = keyspace_counts(pair)
    for what, commands in STEPS:
        assert_same(pair, commands)
        theirs, mine = keyspace_counts(pair)
        moved = [(theirs[i] - start_theirs[i], mine[i] - start_mine[i]) for i in (0, 1)]
        assert moved[0][0] == moved[0][1] and moved[1][0] == moved[1][1], \
            "after %s: Redis's hits, misses moved %d, %d; ours %d, %d" % (
                what, moved[0][0], moved[1][0], moved[0][1], moved[1][1])


def blocked_clients(pair):
    return [int(dict(line.split(b":", 1) for line in decoded(reply[0]).split(b"\r\n")
                     if b":" in line)[b"blocked_clients"])
            for reply in pair.same([["INFO", "clients"]])]


def test_a_bzpopmin_woken_by_a_zadd_counts_as_redis_servers_does(pair, redis, ours):
    """BZPOPMIN on two keys, blocked on each server; a ZADD from another
    connection wakes it: its reply and the counts as Redis's."""
    waiting = Pair(redis, ours)
    try:
        start = keyspace_counts(pair)
        for sock in waiting.socks:
            sock.sendall(encode_command(b"BZPOPMIN", b"nz", b"bz", b"0"))
        while blocked_clients(pair) != [1, 1]:      # (each server says when it waits)
            pass
        assert_same(pair, [["ZADD", "bz", "1", "a", "2", "b"]])
        theirs, mine = [Pair._read(sock, 1) for sock in waiting.socks]
        assert theirs == mine == [b"*3\r\n$2\r\nbz\r\n$1\r\na\r\n$1\r\n1\r\n"]
        end = keyspace_counts(pair)
        assert [a - b for a, b in zip(end[0], start[0])] == \
            [a - b for a, b in zip(end[1], start[1])]
    finally:
        waiting.close()


# ================================================================ OBJECT IDLETIME

#: Keys and how each is made; none holds a small integer (Redis shares one
#: object, and its idle time, among every key holding 0..9999).
KEYS = [["SET", "s", "v"], ["SET", "t", "w"], ["RPUSH", "l", "a", "b"], ["HSET", "h", "f", "v"],
        ["SADD", "set", "m"], ["ZADD", "z", "1", "m"], ["SET", "e", "v", "EX", "1000"]]

#: Commands that only look at ``s``, ``l``, ``h`` and ``e``: their idle
#: time goes on, on both servers.
LOOKS = [["EXISTS", "s", "l"], ["TYPE", "s"], ["TYPE", "h"], ["TTL", "e"], ["PTTL", "s"],
         ["EXPIRETIME", "e"], ["OBJECT", "ENCODING", "l"], ["OBJECT", "REFCOUNT", "h"],
         ["KEYS", "*"], ["SCAN", "0", "COUNT", "100"], ["SCAN", "0", "TYPE", "hash"],
         ["DBSIZE"], ["WATCH", "s", "e"], ["UNWATCH"]]

#: Commands that read or write ``t``, ``set``, ``z`` (and ``l2``, made):
#: idle 0 after, on both.
USES = [["GET", "t"], ["TOUCH", "set"], ["ZINCRBY", "z", "1", "m"], ["RPUSH", "l2", "x"]]


def idle_times(pair, keys):
    """OBJECT IDLETIME of each of ``keys``: (Redis's, ours)."""
    return [[decoded(reply) for reply in replies]
            for replies in pair.same([["OBJECT", "IDLETIME", key] for key in keys])]


def test_object_idletime_counts_the_seconds_since_a_key_was_used_as_redis_server_does(pair):
    """Keys made, then left until both servers say each has been idle a
    second (OBJECT IDLETIME itself does not use the key); then EXISTS,
    TYPE, TTL, OBJECT, KEYS, SCAN, WATCH ... look at some, which stay
    idle, and GET, TOUCH, a write use others, which are idle 0 -- on both
    servers alike.  (We answered 0 always.)"""
    names = ["s", "t", "l", "h", "set", "z", "e"]
    assert_same(pair, KEYS)
    while True:                             # (each server's own clock says when)
        theirs, mine = idle_times(pair, names)
        if min(theirs) >= 1 and (min(mine) >= 1 or min(theirs) >= 3):
            break                           # (ours never idle: fails below, not hangs)
    for command in LOOKS:
        pair.same([command])                # (replies compared elsewhere; KEYS, SCAN: orders)
    assert_same(pair, USES)
    theirs, mine = idle_times(pair, names + ["l2"])
    looked, used = [0, 2, 3, 6], [1, 4, 5, 7]
    assert all(theirs[i] >= 1 and mine[i] >= 1 for i in looked), (theirs, mine)
    assert [theirs[i] for i in used] == [mine[i] for i in used] == [0, 0, 0, 0], (theirs, mine)


class FakeClock:
    """A clock the test moves by hand: ``clock.now += 1.5``."""

    def __init__(self, now=1.7e9):
        self.now = now

    def __call__(self):
        return self.now


def test_object_idletime_follows_the_clock_and_forgets_deleted_keys():
    """On a Store with a clock moved by hand: the idle time grows with
    it, a read or a write of the key starts it again, a look does not;
    and after a churn of writes, reads, deletes, RENAME, COPY, expiry,
    emptied collections and FLUSHALL the access table holds exactly the
    keys there are (nothing kept of a key gone)."""
    clock = FakeClock()
    store = Store(clock)

    def idle(key):
        return store.execute([b"OBJECT", b"IDLETIME", key])

    store.execute([b"SET", b"k", b"v"])
    store.execute([b"RPUSH", b"q", b"1"])
    clock.now += 2.5
    assert idle(b"k") == idle(b"q") == b":2\r\n"
    store.execute([b"TYPE", b"k"])
    store.execute([b"EXISTS", b"q"])
    clock.now += 1
    assert idle(b"k") == idle(b"q") == b":3\r\n"
    store.execute([b"GET", b"k"])
    store.execute([b"LLEN", b"q"])
    assert idle(b"k") == idle(b"q") == b":0\r\n"
    clock.now += 60
    store.execute([b"APPEND", b"k", b"w"])
    assert idle(b"k") == b":0\r\n" and idle(b"q") == b":60\r\n"

    for n in range(300):
        key, other = b"k%d" % (n % 17), b"k%d" % (n % 5)
        for command in ([b"SET", key, b"v", b"PX", b"%d" % (100 + n % 900)], [b"GET", other],
                        [b"INCR", b"n%d" % (n % 3)], [b"RPUSH", b"l%d" % (n % 4), b"x"],
                        [b"LPOP", b"l%d" % (n % 6)], [b"HSET", b"h", key, b"1"],
                        [b"HDEL", b"h", other], [b"SADD", b"s", key], [b"SPOP", b"s"],
                        [b"RENAME", other, b"r%d" % (n % 7)], [b"COPY", key, b"c%d" % (n % 9)],
                        [b"DEL", b"c%d" % (n % 4)], [b"ZADD", b"z", b"1", key],
                        [b"ZPOPMIN", b"z"]):
            store.execute(command)
        clock.now += 0.05
        if n % 50 == 0:
            store.sweep()
        if n == 200:
            store.execute([b"FLUSHALL"])
        assert set(store.accessed) == set(store.data), n
    store.execute([b"SET", b"gone", b"v", b"PX", b"1"])
    clock.now += 1
    assert store.execute([b"GET", b"gone"]) == b"$-1\r\n"
    assert set(store.accessed) == set(store.data)
