"""Corners of kv_pubsub.py and kv_glob.py that mutation testing found
unpinned.  Pub/sub: the output limit's edges (0 means none; a subscriber
is dropped when its waiting bytes reach the limit, once, with one log
line naming its address, even while its task is stuck writing to it, and
at once without a socket), the messages queued before RESET's or the last
UNSUBSCRIBE's reply, and what RESP2's subscribed mode refuses and how.
Globs and SCAN: the pattern corners, MATCH ``*``, the cursor and options
read as C strings, COUNT's default, the bounded cache of patterns.  Where
Redis is the yardstick the replies are compared with a real redis-server
7.0 (tests/test_kv_vs_redis.py's fixtures).  Synchronised by replies and
end of file, never by sleeping.
"""

import logging
import platform
import socket

import pytest

from net_helpers import ServerThread, watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import Pair, decoded, ours, redis  # noqa: F401
from trampoline.protocols.kv import Session, Store, kv_server
from trampoline.protocols.kv_glob import glob_matcher, scan_cursor
from trampoline.protocols.resp import encode_bulk, encode_command

WATCHDOG_SECONDS = 60.0
read_replies = Pair._read


# ================================================================ the output limit's edges

@pytest.fixture
def limited():
    """A function starting kv_server on a Store whose pub/sub output limit
    is ``limit``; yields (store, connect)."""
    running = []
    socks = []

    def start(limit):
        store = Store()
        store.pubsub.output_limit = limit
        running.append(ServerThread(lambda ready: kv_server("127.0.0.1", 0, store, ready=ready)))

        def connect():
            sock = socket.create_connection(("127.0.0.1", running[-1].port), timeout=20)
            socks.append(sock)
            return sock
        return store, connect
    yield start
    for sock in socks:
        sock.close()
    for server in running:
        assert server.running(), server.error
        server.stop()


def subscribed(connect, command, *names):
    sock = connect()
    sock.sendall(encode_command(command, *names))
    read_replies(sock, len(names))              # subscribed: ready
    return sock


def publish(sock, channel, body):
    sock.sendall(encode_command("PUBLISH", channel, body))
    return decoded(read_replies(sock, 1)[0])


def message(channel, body):
    """The bytes a RESP2 subscriber of ``channel`` is sent for ``body``."""
    return b"*3\r\n$7\r\nmessage\r\n" + encode_bulk(channel) + encode_bulk(body)


def ended(sock):
    """What ``sock`` reads until the server closes it."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_an_output_limit_of_0_drops_no_subscriber(limited):
    """``output_limit = 0``: no limit (Redis's ``client-output-buffer-limit
    pubsub 0 0 0``): a subscriber gets its messages, never dropped."""
    store, connect = limited(0)
    subscriber = subscribed(connect, "SUBSCRIBE", b"z:a")
    publisher = connect()
    for i in range(3):
        assert publish(publisher, b"z:a", b"m%d" % i) == 1
        assert read_replies(subscriber, 1) == [message(b"z:a", b"m%d" % i)]
    assert store.pubsub.channels


def test_a_subscriber_is_dropped_when_its_messages_reach_the_limit(limited):
    """The limit is reached, not passed, when the bytes waiting equal it
    (Redis's ``used >= hard_limit``): a message one byte short of the
    limit is delivered, one that makes it exactly is not -- that
    subscriber's connection ends, and PUBLISH counted it all the same."""
    body = b"x" * 100
    limit = len(message(b"e:b", body))
    store, connect = limited(limit)
    short = subscribed(connect, "SUBSCRIBE", b"e:a")
    exact = subscribed(connect, "SUBSCRIBE", b"e:b")
    publisher = connect()
    assert publish(publisher, b"e:a", body[1:]) == 1
    assert read_replies(short, 1) == [message(b"e:a", body[1:])]
    assert publish(publisher, b"e:b", body) == 1
    assert ended(exact) == b""
    assert list(store.pubsub.channels) == [b"e:a"]


def test_a_subscriber_dropped_for_a_channel_and_a_pattern_at_once_is_logged_once(
        limited, caplog):
    """One PUBLISH takes a subscriber of the channel and of a pattern
    matching it over the limit twice (a message per subscription): it is
    dropped once -- one log line, its subscriptions gone -- and PUBLISH
    counts both receivers."""
    store, connect = limited(10)
    subscriber = connect()
    subscriber.sendall(encode_command("SUBSCRIBE", "d:a") + encode_command("PSUBSCRIBE", "d:*"))
    read_replies(subscriber, 2)
    publisher = connect()
    with caplog.at_level(logging.WARNING, logger="trampoline"):
        assert publish(publisher, b"d:a", b"hello") == 2
    dropped = [record.getMessage() for record in caplog.records
               if "pub/sub" in record.getMessage()]
    assert len(dropped) == 1 and "over the limit of 10" in dropped[0], dropped
    assert " addr=127.0.0.1:%d " % subscriber.getsockname()[1] in dropped[0], dropped
    assert ended(subscriber) == b""
    assert not store.pubsub.channels and not store.pubsub.patterns


def test_a_subscriber_dropped_while_its_task_is_stuck_writing_is_disconnected(limited):
    """A subscriber that never reads: its task blocks writing it the
    messages its socket cannot take; once they reach the limit it is
    dropped and its socket shut down, which ends that write -- the
    connection is gone (INFO's connected_clients) without the client
    reading a byte."""
    store, connect = limited(256 * 1024)
    slow = connect()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(encode_command("SUBSCRIBE", "w:a"))
    read_replies(slow, 1)
    publisher = connect()
    body = b"w" * 32768
    for _ in range(4000):                       # (128 MB: far more than any buffer)
        if publish(publisher, b"w:a", body) == 0:
            break                               # dropped and forgotten
    else:
        raise AssertionError("never dropped")
    while True:                                 # a round trip a poll, no sleep
        publisher.sendall(encode_command("INFO", "clients"))
        if b"connected_clients:1\r\n" in decoded(read_replies(publisher, 1)[0]):
            break


# ================================================================ pub/sub without a socket

def test_reset_hands_over_the_messages_queued_before_its_reply():
    """``execute`` with a Session and no socket (sans-I/O): what was
    published to a subscriber and not yet written comes out of RESET's
    reply, before ``+RESET`` -- nothing is lost."""
    store = Store()
    subscriber, publisher = Session(), Session()
    store.execute([b"SUBSCRIBE", b"r:a"], subscriber)
    assert store.execute([b"PUBLISH", b"r:a", b"one"], publisher) == b":1\r\n"
    assert store.execute([b"RESET"], subscriber) == message(b"r:a", b"one") + b"+RESET\r\n"
    assert store.execute([b"PUBSUB", b"NUMSUB", b"r:a"], publisher) == \
        b"*2\r\n$3\r\nr:a\r\n:0\r\n"


def test_a_subscriber_without_a_socket_is_dropped_and_forgotten_at_once(caplog):
    """Sans-I/O, over the limit: PUBLISH answers as usual (counting it),
    the subscriber is forgotten there and then -- no socket to shut
    down, no error -- and the next PUBLISH reaches nobody."""
    store = Store()
    store.pubsub.output_limit = 10
    subscriber, publisher = Session(), Session()
    store.execute([b"SUBSCRIBE", b"n:a"], subscriber)
    with caplog.at_level(logging.WARNING, logger="trampoline"):
        assert store.execute([b"PUBLISH", b"n:a", b"hello"], publisher) == b":1\r\n"
    assert "addr=?" in caplog.records[-1].getMessage()
    assert subscriber.subscriber is None
    assert store.execute([b"PUBSUB", b"NUMSUB", b"n:a"], publisher) == \
        b"*2\r\n$3\r\nn:a\r\n:0\r\n"
    assert store.execute([b"PUBLISH", b"n:a", b"again"], publisher) == b":0\r\n"


def test_unsubscribing_from_everything_hands_over_the_queued_messages_first():
    """Sans-I/O: the last UNSUBSCRIBE takes the client out of subscribed
    mode; the messages queued for it come before its reply, in order."""
    store = Store()
    subscriber, publisher = Session(), Session()
    store.execute([b"SUBSCRIBE", b"u:a"], subscriber)
    store.execute([b"PUBLISH", b"u:a", b"one"], publisher)
    store.execute([b"PUBLISH", b"u:a", b"two"], publisher)
    assert store.execute([b"UNSUBSCRIBE"], subscriber) == (
        message(b"u:a", b"one") + message(b"u:a", b"two")
        + b"*3\r\n$11\r\nunsubscribe\r\n$3\r\nu:a\r\n:0\r\n")
    assert subscriber.subscriber is None


# ================================================================ against redis-server

def same(pair, commands, count=None):
    theirs, mine = pair.raw(b"".join(encode_command(*command) for command in commands),
                            len(commands) if count is None else count)
    assert mine == theirs
    return mine


def test_a_resp2_subscriber_is_refused_a_two_word_subcommand_by_its_full_name(redis, ours):
    """RESP2, subscribed: CLIENT GETNAME, COMMAND COUNT, PUBSUB NUMPAT,
    CONFIG RESETSTAT (a subcommand with no argument) are refused naming
    ``client|getname`` and so on; a subcommand's wrong arity and an
    unknown one are told first -- the bytes redis-server sends."""
    pair = Pair(redis, ours)
    try:
        same(pair, [["SUBSCRIBE", "rf:a"]])
        same(pair, [["CLIENT", "GETNAME"], ["COMMAND", "COUNT"], ["PUBSUB", "NUMPAT"],
                    ["CONFIG", "RESETSTAT"], ["client", "id"], ["CLIENT"], ["PING"]])
        # A subcommand's arity is checked first; an unknown one is quoted, 128 bytes at most.
        same(pair, [["CLIENT", "SETNAME", "a", "b"], ["CLIENT", "SETNAME"], ["CONFIG", "GET"],
                    ["CONFIG", "x" * 200], ["CLIENT", b"y" * 127 + b"\xff"], ["PING"]])
    finally:
        pair.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_leaving_no_name_of_one_kind_counts_the_other_kind(redis, ours, protocol):
    """Subscribed to channels only, PUNSUBSCRIBE with no pattern answers one
    reply, a nil name and the count of subscriptions left (the channels);
    the same the other way round."""
    pair = Pair(redis, ours)
    try:
        if protocol == 3:
            pair.raw(encode_command("HELLO", "3"), 1)
        same(pair, [["SUBSCRIBE", "k:a", "k:b"]], 2)
        same(pair, [["PUNSUBSCRIBE"]])
        same(pair, [["PSUBSCRIBE", "k:*"], ["UNSUBSCRIBE", "k:a", "k:b"], ["UNSUBSCRIBE"]], 4)
        same(pair, [["PUNSUBSCRIBE"]])
    finally:
        pair.close()


# ================================================================ glob patterns and SCAN

GLOB_KEYS = ["a", "b", "c", "d", "e", "-", "xb", "xd", "abcz", "abbcz", "abxbc", "aab", "ab",
             "bab", "abab", ""]
GLOB_PATTERNS = [
    "[a-c", "x[a-c", "[c-a",            # an unterminated set ends with the pattern, a range too
    "[a-c-e]", "[a-b-]", "[-a]",        # after a range, a "-" is itself
    "*ab*bc*", "*ab*bc", "*[a]b*bc*", "*a?*?c*", "*ab*ab*", "*a*b*", "?*b*",
]


def sorted_keys(reply):
    return sorted(decoded(reply))


def test_keys_reads_the_glob_corners_as_redis(redis, ours):
    """KEYS with patterns whose parts could overlap (``*ab*bc*`` does not
    match ``abcz``: each part starts after the one before ends), ranges
    next to a ``-``, and sets the pattern's end cuts short: the keys
    redis-server answers."""
    pair = Pair(redis, ours)
    try:
        pair.same([["FLUSHALL"]] + [["SET", key, "v"] for key in GLOB_KEYS])
        theirs, mine = pair.same([["KEYS", pattern] for pattern in GLOB_PATTERNS])
        for pattern, real, got in zip(GLOB_PATTERNS, theirs, mine):
            assert sorted_keys(got) == sorted_keys(real), pattern
    finally:
        pair.close()


def test_scan_match_star_is_every_key_the_empty_one_too(redis, ours):
    """SCAN and HSCAN's ``MATCH *`` lets every key through, the empty
    key too (Redis skips the match for ``*``), though the glob ``*``
    does not match an empty string (``MATCH **``, KEYS ``**``)."""
    pair = Pair(redis, ours)
    try:
        pair.same([["FLUSHALL"], ["SET", "", "v"], ["SET", "k", "v"],
                   ["HSET", "h", "", "1", "f", "2"]])
        commands = [["SCAN", "0", "MATCH", "*", "COUNT", "100"],
                    ["SCAN", "0", "MATCH", "**", "COUNT", "100"]]
        theirs, mine = pair.same(commands)
        scans = [[decoded(reply) for reply in replies] for replies in (theirs, mine)]
        for (real_cursor, real), (cursor, got) in zip(*scans):
            assert (cursor, sorted(got)) == (real_cursor, sorted(real)) == (b"0", sorted(got))
        assert sorted(scans[1][0][1]) == [b"", b"h", b"k"]
        same(pair, [["HSCAN", "h", "0", "MATCH", "*"], ["HSCAN", "h", "0", "MATCH", "**"]])
        theirs, mine = pair.same([["KEYS", "**"]])
        assert sorted_keys(mine[0]) == sorted_keys(theirs[0]) == [b"h", b"k"]
    finally:
        pair.close()


def test_scan_reads_its_cursor_and_options_as_c_strings(redis, ours):
    """SCAN's cursor as ``strtoul`` reads it: up to a NUL (``0\\0junk`` is
    0, as redis-server reads it), and ``-1`` wraps to 2**64 - 1; an
    option's name and TYPE's value end at a NUL too (``strcasecmp``)."""
    pair = Pair(redis, ours)
    try:
        pair.same([["FLUSHALL"], ["HSET", "hc", "f", "1"], ["SET", "sc", "v"]])
        same(pair, [["HSCAN", "hc", b"0\x00junk"], ["SCAN", b"0\x00junk", "TYPE", "hash"],
                    ["SCAN", b"x\x000"], ["SCAN", "0", "TYPE", b"String\x00x"],
                    ["SCAN", "0", b"type\x00x", "hash", b"COUNT\x00", "5"],
                    ["HSCAN", "hc", "0", b"match\x00", "f"]])
    finally:
        pair.close()
    assert scan_cursor(b"-1") == 2**64 - 1
    assert scan_cursor(b"-5") == 2**64 - 5
    assert scan_cursor(b"7\x00x") == 7


def test_scan_without_count_takes_ten_keys_a_call():
    """COUNT's default is 10, as Redis's: SCAN without it answers what
    ``COUNT 10`` answers."""
    store = Store()
    for i in range(40):
        store.execute([b"SET", b"key%d" % i, b"v"])
    cursor = b"0"
    while True:
        reply = store.execute([b"SCAN", cursor])
        assert reply == store.execute([b"SCAN", cursor, b"COUNT", b"10"])
        cursor = decoded(reply)[0]
        if cursor == b"0":
            break


def test_pubsub_channels_with_a_pattern_and_the_shard_subcommands(redis, ours):
    """PUBSUB CHANNELS with a pattern lists the channels it matches only;
    SHARDCHANNELS and SHARDNUMSUB see no shard channel (none served here,
    whatever SUBSCRIBE listens to)."""
    subscriber, other = Pair(redis, ours), Pair(redis, ours)
    try:
        same(subscriber, [["SUBSCRIBE", "pc:a1", "pc:a2", "pc:b1"]], 3)
        theirs, mine = other.same([["PUBSUB", "CHANNELS", "pc:a*"]])
        assert sorted_keys(mine[0]) == sorted_keys(theirs[0]) == [b"pc:a1", b"pc:a2"]
        same(other, [["PUBSUB", "SHARDCHANNELS"], ["PUBSUB", "SHARDCHANNELS", "pc:*"],
                     ["PUBSUB", "SHARDNUMSUB", "pc:a1", "pc:b1"],
                     ["PUBSUB", "NUMSUB", "pc:a1", "pc:b1"]])
    finally:
        subscriber.close()
        other.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_reset_forgets_the_name_and_quit_is_allowed_while_subscribed(redis, ours, protocol):
    """RESET forgets CLIENT SETNAME's name too; QUIT, one of the commands a
    RESP2 subscriber may send, answers +OK and closes the connection."""
    pair = Pair(redis, ours)
    try:
        if protocol == 3:
            pair.raw(encode_command("HELLO", "3"), 1)
        same(pair, [["CLIENT", "SETNAME", "someone"], ["SUBSCRIBE", "q:a"], ["RESET"],
                    ["CLIENT", "GETNAME"]])
        same(pair, [["SUBSCRIBE", "q:a"], ["QUIT"]])
        assert [ended(sock) for sock in pair.socks] == [b"", b""]
    finally:
        pair.close()


@pytest.mark.skipif(platform.python_implementation() == "PyPy",
                    reason="tracemalloc counts nothing on PyPy")
def test_the_compiled_patterns_kept_for_reuse_are_a_bounded_few():
    """KEYS and SCAN keep the last patterns compiled, a few hundred at
    most: a client sending a new pattern every time does not grow the
    server's memory (two thousand patterns: well under a megabyte)."""
    import tracemalloc                          # (not on PyPy)
    assert glob_matcher(b"gc:[ab]*") is glob_matcher(b"gc:[ab]*")     # (kept: reused)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2000):
            assert glob_matcher(b"gc:%d*[ab]?x" % i)(b"gc:%d-a-x" % i)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1000000, grown
