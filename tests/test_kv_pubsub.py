"""Pub/sub of kv.py (kv_pubsub.py) against a real redis-server 7.0.15, byte for byte.

The servers and the raw comparison are tests/test_kv_vs_redis.py's (the
fixtures ``redis``, ``ours``; ``Pair``: a connection to each, every reply
compared as bytes).  Several connections are several Pairs: a subscriber
is ready once its SUBSCRIBE reply was read, and a test reads exactly the
messages it expects -- no sleep.  Allowed differences: where Redis lists
channels from a hash table (UNSUBSCRIBE with no channel, PUBSUB CHANNELS)
the names are compared as sets (and the counts in order); ours come in the
order of subscribing.  Each test has channels of its own (a closed
connection's subscriptions are forgotten a moment after it closes).
"""

import logging
import shutil
import socket
import subprocess

import pytest

from net_helpers import ServerThread, watchdog  # noqa: F401 (autouse)
from test_kv_vs_redis import Pair, _split_replies, decoded, ours, redis  # noqa: F401
from trampoline.protocols.kv import Store, kv_server
from trampoline.protocols.resp import encode_command

WATCHDOG_SECONDS = 60.0


def same(pair, commands, count=None):
    """Send ``commands`` to both servers as one pipeline; read ``count``
    replies (one a command by default) from each; they must be the same
    bytes.  Returns ours."""
    data = b"".join(encode_command(*command) for command in commands)
    theirs, mine = pair.raw(data, len(commands) if count is None else count)
    assert mine == theirs, "\n".join("%r\n  redis: %r\n  ours:  %r" % (command, real, got)
                                     for command, real, got in zip(commands, theirs, mine))
    return mine


def hello3(pair):
    """Both connections in RESP3 (HELLO's server, version and id differ: not compared)."""
    pair.raw(encode_command("HELLO", "3"), 1)


@pytest.fixture
def pairs(redis, ours):
    """A function opening a Pair (closed after the test)."""
    opened = []

    def open_pair():
        opened.append(Pair(redis, ours))
        return opened[-1]
    yield open_pair
    for pair in opened:
        pair.close()


def wait_numsub(pair, channel, count):
    """Poll PUBSUB NUMSUB on both servers until ``channel`` has ``count``
    subscribers (each poll a round trip, no sleep)."""
    while True:
        replies = pair.same([["PUBSUB", "NUMSUB", channel]])
        if all(decoded(reply[0]) == [channel.encode(), count] for reply in replies):
            return


# ================================================================ one connection's replies

SCRIPTS = {
    "subscribe": [
        ["SUBSCRIBE", "s:a", "s:b", "s:a"], ["PSUBSCRIBE", "s:*", "s:?", "s:*"],
        ["UNSUBSCRIBE", "s:b", "s:nx"], ["PUNSUBSCRIBE", "s:?"], ["PUNSUBSCRIBE", "s:nx"],
        ["unsubscribe", "s:a"], ["PUNSUBSCRIBE"], ["GET", "k"], ["PING"],
    ],
    "nothing to leave": [
        ["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["UNSUBSCRIBE", "n:a", "n:b"], ["PUNSUBSCRIBE", "n*"],
        ["PING"], ["SUBSCRIBE"], ["PSUBSCRIBE"], ["PUBLISH", "n:a"], ["PUBLISH", "n:a", "x", "y"],
    ],
    "subscribed mode": [
        ["SUBSCRIBE", "m:a"], ["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ping"],
        ["GET", "k"], ["get"], ["SET", "m:k", "v"], ["nosuchcommand", "x"], ["MULTI"], ["EXEC"],
        ["HELLO", "3"], ["PUBLISH", "m:a", "x"], ["PUBSUB", "NUMPAT"], ["PUBSUB", "NOPE"],
        ["PUBSUB", "NUMPAT", "x"], ["CONFIG", "GET", "save"], ["CONFIG", "NOPE"],
        ["CLIENT", "ID", "x"], ["CLIENT", "GETNAME"], ["COMMAND", "COUNT"], ["COMMAND"],
        ["EXISTS", "m:k"], ["INFO"], ["PSUBSCRIBE", "m:*"], ["UNSUBSCRIBE", "m:a"], ["GET", "k"],
        ["PUNSUBSCRIBE", "m:*"], ["GET", "k"], ["PING"],
    ],
    "pubsub": [
        ["PUBSUB"], ["PUBSUB", "HELP"], ["pubsub", "help"], ["PUBSUB", "HELP", "x"],
        ["PUBSUB", "NOPE"], ["PUBSUB", "NUMPAT", "x"], ["PUBSUB", "CHANNELS", "p:*", "x"],
        ["pubsub", "channels", "p:*", "x"], ["PUBSUB", "CHANNELS", "p:*"],
        ["PUBSUB", "NUMSUB"], ["PUBSUB", "NUMSUB", "p:a", "p:b"], ["PUBSUB", "SHARDCHANNELS"],
        ["PUBSUB", "SHARDNUMSUB", "p:a"], ["PUBLISH", "p:a", "nobody"],
        ["SUBSCRIBE", "p:a"], ["UNSUBSCRIBE"], ["PSUBSCRIBE", "p:*"],
        ["PUNSUBSCRIBE", "p:*"], ["PUBSUB", "CHANNELS", "p:*"], ["PUBSUB", "NUMSUB", "p:a"],
    ],
    "transactions": [
        ["MULTI"], ["SUBSCRIBE", "t:a"], ["GET", "k"], ["PING"], ["PSUBSCRIBE", "t:*"],
        ["PUBLISH", "t:a", "mine"], ["EXEC"], ["GET", "k"], ["PING"], ["UNSUBSCRIBE", "t:a"],
        ["PUNSUBSCRIBE"], ["MULTI"], ["RESET"], ["GET", "k"], ["MULTI"], ["SUBSCRIBE"],
        ["EXEC"], ["WATCH", "k"], ["SUBSCRIBE", "t:b"], ["RESET"], ["MULTI"], ["EXEC"],
        ["RESET", "x"], ["reset"], ["QUIT"],
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_scripted_pubsub_replies_as_redis(pairs, script, protocol):
    """(P)(UN)SUBSCRIBE's replies (the counts, a nil name when there is
    nothing to leave), RESP2's subscribed mode (what it refuses and how
    Redis words it, PING's ``pong`` array), RESP3's pushes, PUBSUB's
    subcommands and errors, MULTI with SUBSCRIBE, RESET and QUIT: the
    same bytes from both servers, one command at a time."""
    pair = pairs()
    if protocol == 3:
        hello3(pair)
    for command in SCRIPTS[script]:
        name = command[0].upper()
        count = 1
        if name in ("SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE") and len(command) > 1:
            count = len(command) - 1
        if name == "INFO" or (protocol == 3 and name in ("HELLO", "COMMAND")):
            continue                            # (not compared: the servers' own details)
        if protocol == 3 and command == ["PUBLISH", "m:a", "x"]:
            count = 2                           # the message to itself, then the count
        same(pair, [command], count)


def test_a_subscriber_publishing_in_resp3_gets_its_message_before_the_count(pairs):
    """RESP3: a subscribed client may PUBLISH; the message to itself comes
    before PUBLISH's reply, and after the replies to what it sent before."""
    pair = pairs()
    hello3(pair)
    same(pair, [["SUBSCRIBE", "self:a"], ["PSUBSCRIBE", "self:*"]])
    same(pair, [["PING"], ["PUBLISH", "self:a", "hi"], ["ECHO", "after"], ["GET", "k"]], 6)
    pair.raw(encode_command("HELLO", "2"), 1)   # back to RESP2, still subscribed
    same(pair, [["PUBLISH", "self:a", "x"], ["PING"], ["UNSUBSCRIBE", "self:a"]])


def test_unsubscribing_from_everything_names_each_channel(pairs):
    """UNSUBSCRIBE and PUNSUBSCRIBE with no name: a reply per channel, the
    counts going down to 0 (Redis names them in its hash table's order)."""
    pair = pairs()
    same(pair, [["SUBSCRIBE", "all:a", "all:b", "all:c"], ["PSUBSCRIBE", "all:*", "all:?"]], 5)
    for command, left in [("UNSUBSCRIBE", [b"all:a", b"all:b", b"all:c"]),
                          ("PUNSUBSCRIBE", [b"all:*", b"all:?"])]:
        theirs, mine = pair.raw(encode_command(command), len(left))
        for replies in (theirs, mine):
            values = [decoded(reply) for reply in replies]
            assert sorted(name for _, name, _ in values) == left
            assert [kind for kind, _, _ in values] == [command.lower().encode()] * len(left)
        assert [count for _, _, count in map(decoded, theirs)] == \
            [count for _, _, count in map(decoded, mine)]
    same(pair, [["GET", "k"]])


# ================================================================ several connections

@pytest.mark.parametrize("protocol", [2, 3])
def test_messages_reach_each_subscriber_in_publish_order(pairs, protocol):
    """Two subscribers -- one on the channel and a pattern matching it, one
    on the channel only -- and a publisher: PUBLISH counts 3 receivers (a
    message per subscription), each subscriber gets every message in the
    order published, message before pmessage; PUBSUB sees them."""
    both, only = pairs(), pairs()
    publisher = pairs()
    if protocol == 3:
        hello3(both)
    same(both, [["SUBSCRIBE", "o:news"], ["PSUBSCRIBE", "o:n*"]])
    same(only, [["SUBSCRIBE", "o:news", "o:other"]], 2)
    same(publisher, [["PUBSUB", "NUMSUB", "o:news", "o:other", "o:nx"]])
    commands = [["PUBLISH", "o:news", "message %d" % i] for i in range(200)]
    commands += [["PUBLISH", "o:other", "x"], ["PUBLISH", "o:nowhere", "x"]]
    assert same(publisher, commands)[:2] == [b":3\r\n", b":3\r\n"]
    same(both, [], 400)                             # (what came: exactly that)
    same(only, [], 201)
    theirs, mine = publisher.same([["PUBSUB", "CHANNELS", "o:*"]])
    assert sorted(decoded(theirs[0])) == sorted(decoded(mine[0])) == [b"o:news", b"o:other"]
    # The subscriber's own commands are answered after the messages before them.
    publisher.raw(encode_command("PUBLISH", "o:news", "before"), 1)
    same(only, [["PING"]], 2)


def test_a_subscriber_that_leaves_is_forgotten(pairs):
    """A subscriber closes its connection: PUBSUB NUMSUB drops it, PUBLISH
    counts it no more, without an error; the other subscriber goes on."""
    leaving, staying, publisher = pairs(), pairs(), pairs()
    same(leaving, [["SUBSCRIBE", "f:a"], ["PSUBSCRIBE", "f:*"]])
    same(staying, [["SUBSCRIBE", "f:a"]])
    same(publisher, [["PUBLISH", "f:a", "one"]])
    same(leaving, [], 2)
    leaving.close()
    wait_numsub(publisher, "f:a", 1)
    same(publisher, [["PUBLISH", "f:a", "two"], ["PUBSUB", "NUMPAT"], ["PUBSUB", "NUMSUB", "f:a"]])
    same(staying, [], 2)


def wait_blocked(pair, count):
    """Poll INFO on both servers until ``count`` clients are blocked (no sleep)."""
    while True:
        replies = pair.same([["INFO", "clients"]])
        if all(b"blocked_clients:%d\r\n" % count in reply[0] for reply in replies):
            return


def test_a_resp3_subscriber_blocked_in_blpop_gets_its_messages_meanwhile(pairs):
    """RESP3: a subscriber may BLPOP; while it waits, the messages published
    to it are written (pushes), then the element when a push serves it."""
    subscriber, other = pairs(), pairs()
    hello3(subscriber)
    same(subscriber, [["SUBSCRIBE", "bl:x"]])
    subscriber.raw(encode_command("BLPOP", "bl:q", "0"), 0)
    wait_blocked(other, 1)
    for message in ("one", "two"):
        same(other, [["PUBLISH", "bl:x", message]])
        same(subscriber, [], 1)
    same(other, [["RPUSH", "bl:q", "v"]])
    same(subscriber, [], 1)
    same(subscriber, [["PING"]])


# ================================================================ redis-cli in two windows

def _cli(where, *args, protocol=2):
    return ["redis-cli", "-%d" % protocol] + where + list(args)


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_cli_subscribe_and_publish_in_two_windows(redis, ours, protocol):
    """``redis-cli subscribe news`` in one window, ``redis-cli publish news
    hi`` in the other: the same lines printed for both servers; once the
    subscriber is stopped, the channel has nobody."""
    printed = []
    for where in (["-s", redis], ["-p", str(ours)]):
        subscriber = subprocess.Popen(_cli(where, "subscribe", "cli:news", "cli:x",
                                           protocol=protocol),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            lines = [subscriber.stdout.readline() for _ in range(6)]    # subscribed: ready
            for message in ("hi", "there"):
                published = subprocess.run(_cli(where, "publish", "cli:news", message),
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                           timeout=20)
                assert published.returncode == 0 and published.stderr == b"", published
                lines.append(published.stdout)
                lines += [subscriber.stdout.readline() for _ in range(3)]
        finally:
            subscriber.terminate()
            subscriber.wait(20)
            subscriber.stdout.close()
            subscriber.stderr.close()
        while True:                             # the server sees it gone (a poll each round)
            left = subprocess.run(_cli(where, "pubsub", "numsub", "cli:news"),
                                  stdout=subprocess.PIPE, timeout=20).stdout
            if left == b"cli:news\n0\n":
                break
        printed.append(lines)
    assert printed[0] == printed[1]
    assert printed[1][6:] == [b"1\n", b"message\n", b"cli:news\n", b"hi\n",
                              b"1\n", b"message\n", b"cli:news\n", b"there\n"]


# ================================================================ a subscriber that never reads

def _flood(family, address, channel):
    """A subscriber that never reads, one that does, and a publisher of
    32 KiB messages: publish until PUBLISH counts one receiver less (the
    server dropped the slow one); return the counts, after checking the
    reader got every message in order and the slow one's connection ends."""
    def connect():
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(20)
        sock.connect(address)
        return sock

    read_replies = Pair._read

    slow, reader, publisher = connect(), connect(), connect()
    try:
        for sock in slow, reader:
            sock.sendall(encode_command("SUBSCRIBE", channel))
            read_replies(sock, 1)               # subscribed: ready
        message = b"m" * 32768
        counts = []
        for i in range(4000):                   # (128 MB: far more than any buffer)
            body = b"%06d" % i + message
            publisher.sendall(encode_command("PUBLISH", channel, body))
            counts.append(decoded(read_replies(publisher, 1)[0]))
            assert read_replies(reader, 1) == [
                b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                % (len(channel), channel.encode(), len(body), body)]
            if counts[-1] != 2:
                break
        # The slow subscriber's connection ends: what was written, then EOF.
        while slow.recv(1 << 20):
            pass
        publisher.sendall(encode_command("PUBLISH", channel, "after"))
        counts.append(decoded(read_replies(publisher, 1)[0]))
        assert decoded(read_replies(reader, 1)[0]) == [b"message", channel.encode(), b"after"]
        return counts
    finally:
        for sock in slow, reader, publisher:
            sock.close()


@pytest.mark.parametrize("server", ["redis", "ours"])
def test_a_subscriber_that_never_reads_is_dropped_over_the_limit(redis, server, caplog):
    """Redis's ``client-output-buffer-limit pubsub`` (here 256 KiB, hard):
    a subscriber that never reads is disconnected once that much is
    waiting for it; PUBLISH never stalls, counts it until then, and the
    other subscriber gets every message.  Ours logs the client dropped."""
    limit = 256 * 1024
    if server == "redis":
        sock = Pair._connect(socket.AF_UNIX, redis)
        sock.sendall(encode_command("CONFIG", "SET", "client-output-buffer-limit",
                                    "pubsub %d 0 0" % limit))
        assert sock.recv(100) == b"+OK\r\n"
        try:
            counts = _flood(socket.AF_UNIX, redis, "slow:a")
        finally:
            sock.sendall(encode_command("CONFIG", "SET", "client-output-buffer-limit",
                                        "pubsub 33554432 8388608 60"))
            assert sock.recv(100) == b"+OK\r\n"
            sock.close()
    else:
        store = Store()
        store.pubsub.output_limit = limit
        running = ServerThread(lambda ready: kv_server("127.0.0.1", 0, store, ready=ready))
        try:
            with caplog.at_level(logging.WARNING, logger="trampoline"):
                counts = _flood(socket.AF_INET, ("127.0.0.1", running.port), "slow:a")
            assert running.running(), running.error
        finally:
            running.stop()
        dropped = [record.getMessage() for record in caplog.records
                   if "pub/sub" in record.getMessage()]
        assert len(dropped) == 1 and dropped[0].startswith("kv: client id="), dropped
        assert "over the limit of %d" % limit in dropped[0]
        assert not store.pubsub.channels and not store.pubsub.patterns
    assert counts[-2:] == [1, 1] and set(counts[:-2]) == {2}, counts
