"""Redis pub/sub for the key-value store: SUBSCRIBE, PSUBSCRIBE, their
UN-, PUBLISH and PUBSUB, as redis-server 7.0 answers them.

    redis-cli -p 6380 subscribe news        # one terminal: waits, prints each message
    redis-cli -p 6380 publish news hi       # another: (integer) 1, the receivers

The idea.  One connection's command wakes others: PUBLISH, run by the
publisher's task, appends the message to each subscriber's ``outbox`` and
sets its ``wake`` event; each subscriber's own task (``serve_client``'s,
waiting in ``receive`` for its client's bytes *or* that event) writes the
outbox out.  So a publisher never waits for a subscriber, and each
subscriber gets the messages in PUBLISH order, after the replies to the
commands it sent before them and before those to the ones it sends
after.  A message to the publisher's own connection (RESP3, or inside
EXEC) is written before PUBLISH's reply, as Redis writes it.

``PubSub`` holds who listens to what (the store's ``pubsub``);
``Subscriber`` is one subscribed connection (its ``session.subscriber``,
None while it listens to nothing); ``PubSubCommands`` are the commands,
mixed into ``Store``.  In RESP2 a subscribed client may send only
(P)(UN)SUBSCRIBE, PING (answered ``pong`` in an array), QUIT and RESET:
``refuse`` words the error for the others, as Redis does.  In RESP3 the
messages are push replies (``>``) and every command is allowed.

What it must never do: let a subscriber that does not read grow the
server's memory without bound, or stall the publisher or anybody else.
The messages it has not taken are counted (``PubSub.output_limit``,
``OUTPUT_LIMIT`` bytes by default, Redis's ``client-output-buffer-limit
pubsub 32mb`` hard limit); past it the subscriber is dropped at once --
its subscriptions forgotten, a log line naming it, its socket shut down,
which wakes its task whatever it waits for -- and the PUBLISH goes on.
It imports nothing of ``kv`` (which imports it): the glob matcher of
PSUBSCRIBE, KEYS's, is handed to ``PubSub``.
"""

import logging
import socket

from ..combinators import select
from ..sync import Event
from ..traps import read, write
from .kv_admin import SUBCOMMANDS, subcommand_error
from .kv_numbers import wrong_arity
from .resp import NIL, NULL, encode_bulk, encode_error

__all__ = ["PubSub", "Subscriber", "OUTPUT_LIMIT"]

log = logging.getLogger("trampoline")

#: The bytes of messages a subscriber may leave untaken before it is
#: dropped: Redis's default hard limit for pub/sub clients, 32 MB.
OUTPUT_LIMIT = 32 * 1024 * 1024

#: The commands a RESP2 client may send while subscribed (Redis 7.0's list,
#: less the SSUBSCRIBE and SUNSUBSCRIBE of cluster shards, not served here).
SUBSCRIBED_MODE = frozenset([b"subscribe", b"psubscribe", b"unsubscribe", b"punsubscribe",
                             b"ping", b"quit", b"reset"])
SUBSCRIBED_MODE_ERROR = (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                         b"PING / QUIT / RESET are allowed in this context\r\n")
PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> "
    "(default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]
NO_SESSION = b"-ERR pub/sub needs a connection: pass execute() a Session\r\n"

# The heads of what a subscriber is sent: an array in RESP2, a push in RESP3.
_HEADS = {
    kind: {2: b"*%d\r\n%s" % (size, encode_bulk(kind)), 3: b">%d\r\n%s" % (size, encode_bulk(kind))}
    for kind, size in [(b"message", 3), (b"pmessage", 4), (b"subscribe", 3),
                       (b"unsubscribe", 3), (b"psubscribe", 3), (b"punsubscribe", 3)]}
_PONG = b"*2\r\n$4\r\npong\r\n"


class Subscriber:
    """A connection that listens to channels or patterns."""

    __slots__ = ("session", "channels", "patterns", "outbox", "size", "wake", "dropped")

    def __init__(self, session):
        self.session = session
        self.channels = {}          # channel -> None: what it listens to, in order
        self.patterns = {}          # pattern -> None
        self.outbox = []            # the messages not yet handed to its task, as bytes
        self.size = 0               # their bytes, and those its task is writing
        self.wake = Event()         # set when the outbox gets something
        self.dropped = False        # over the output limit: being closed

    def count(self):
        """Its subscriptions: what (P)(UN)SUBSCRIBE's replies count."""
        return len(self.channels) + len(self.patterns)


class PubSub:
    """Who listens to what, for one store; ``glob_matcher`` makes the
    function matching a pattern (KEYS's)."""

    def __init__(self, glob_matcher, output_limit=OUTPUT_LIMIT):
        self.glob_matcher = glob_matcher
        self.output_limit = output_limit
        # name -> (its matcher or None, {Subscriber: None} in order of subscribing)
        self.channels = {}
        self.patterns = {}

    def deliver(self, subscriber, pieces):
        """Queue a message for ``subscriber``; False if that takes it to
        the output limit (the caller drops it).  A limit of 0: none, as
        Redis's."""
        subscriber.outbox += pieces
        subscriber.size += sum(map(len, pieces))
        subscriber.wake.set()
        return not self.output_limit or subscriber.size < self.output_limit

    def drop(self, subscriber):
        """``subscriber`` took too little of its messages: forget it and
        its outbox, say so, and shut its socket down -- its task wakes
        (an end of file, or a broken pipe if it is writing) and closes."""
        if subscriber.dropped:
            return
        subscriber.dropped = True
        session = subscriber.session
        log.warning("kv: client id=%d addr=%s name=%s dropped: %d bytes of pub/sub messages "
                    "not taken, over the limit of %d (Redis's client-output-buffer-limit "
                    "pubsub)", session.id, _peer(session.sock),
                    (session.name or b"").decode("latin-1"), subscriber.size, self.output_limit)
        self.forget(session)
        del subscriber.outbox[:]
        subscriber.size = 0
        subscriber.wake.set()
        if session.sock is not None:
            try:
                session.sock.shutdown(socket.SHUT_RDWR)
            except OSError:             # already gone
                pass

    def forget(self, session):
        """``session`` listens to nothing more (RESET, its connection
        closed, dropped).  Returns the messages not yet written to it."""
        subscriber = session.subscriber
        if subscriber is None:
            return b""
        for channel in subscriber.channels:
            self.leave(self.channels, channel, subscriber)
        for pattern in subscriber.patterns:
            self.leave(self.patterns, pattern, subscriber)
        subscriber.channels.clear()
        subscriber.patterns.clear()
        session.subscriber = None
        return _take(subscriber)

    def join(self, table, name, subscriber):
        """``subscriber`` listens to channel or pattern ``name`` (``table``:
        ``self.channels`` or ``self.patterns``)."""
        listeners = table.get(name)
        if listeners is None:
            matcher = self.glob_matcher(name) if table is self.patterns else None
            listeners = table[name] = (matcher, {})
        listeners[1][subscriber] = None

    def leave(self, table, name, subscriber):
        """``subscriber`` listens to ``name`` no more."""
        listeners = table[name][1]
        del listeners[subscriber]
        if not listeners:
            del table[name]


def _take(subscriber):
    """The outbox's messages, as one string, taken out of it."""
    data = b"".join(subscriber.outbox)
    del subscriber.outbox[:]
    subscriber.size -= len(data)
    return data


def _peer(sock):
    try:
        host, port = sock.getpeername()[:2]
    except (AttributeError, OSError, ValueError, TypeError):
        return "?"
    return "%s:%s" % (host, port)


# ================================================================ the connection's side

def receive(session, sock):
    """``data = yield receive(session, sock)``: ``serve_client``'s read for
    a subscribed client -- the next bytes it sends, while writing it the
    messages published meanwhile; b"" once it is gone or was dropped.  The
    messages queued when its bytes arrive are written first: their
    commands' replies come after them, as from Redis."""
    subscriber = session.subscriber
    wake = subscriber.wake
    while True:
        yield from flush(subscriber, sock)
        if subscriber.dropped:
            return b""
        wake.clear()
        index, data = yield select(read(sock, 65536), wake.wait())
        if index == 0:
            yield from flush(subscriber, sock)
            return data


def flush(subscriber, sock):
    """``yield from flush(subscriber, sock)``: write the messages queued
    for ``subscriber``, those queued meanwhile too."""
    while subscriber.outbox and not subscriber.dropped:
        data = b"".join(subscriber.outbox)      # (its bytes stay counted until written)
        del subscriber.outbox[:]
        yield write(sock, data)
        subscriber.size -= len(data)


def refuse(args, name):
    """The error to a command a RESP2 subscriber may not send (``name``:
    its lower-case name): Redis checks a subcommand first (``config|get``)."""
    error = subcommand_error(args, name)
    if error is not None:
        return error
    if name in SUBCOMMANDS and len(args) > 1:
        name += b"|" + args[1].lower()
    return SUBSCRIBED_MODE_ERROR % name


# ================================================================ the commands

class PubSubCommands:
    """The pub/sub commands (mixed into ``Store``, whose ``pubsub`` is a
    ``PubSub``)."""

    def cmd_subscribe(self, args, session):
        """``SUBSCRIBE channel ...``: listen; a reply per channel, with the
        count of subscriptions."""
        return self._subscribe(args, session, b"subscribe")

    def cmd_psubscribe(self, args, session):
        """``PSUBSCRIBE pattern ...``: listen to the channels matching
        (Redis glob patterns)."""
        return self._subscribe(args, session, b"psubscribe")

    def cmd_unsubscribe(self, args, session):
        """``UNSUBSCRIBE [channel ...]``: stop listening (to every channel
        if none is named); a reply per channel."""
        return self._unsubscribe(args, session, b"unsubscribe")

    def cmd_punsubscribe(self, args, session):
        """``PUNSUBSCRIBE [pattern ...]``: stop listening to patterns."""
        return self._unsubscribe(args, session, b"punsubscribe")

    def _subscribe(self, args, session, kind):
        if session is None:
            return NO_SESSION
        subscriber = session.subscriber
        if subscriber is None:
            subscriber = session.subscriber = Subscriber(session)
        if kind == b"subscribe":
            mine, table = subscriber.channels, self.pubsub.channels
        else:
            mine, table = subscriber.patterns, self.pubsub.patterns
        head = _HEADS[kind][session.protocol]
        replies = []
        for name in args[1:]:
            if name not in mine:
                mine[name] = None
                self.pubsub.join(table, name, subscriber)
            replies.append(b"%s%s:%d\r\n" % (head, encode_bulk(name), subscriber.count()))
        return b"".join(replies)

    def _unsubscribe(self, args, session, kind):
        if session is None:
            return NO_SESSION
        subscriber = session.subscriber
        head = _HEADS[kind][session.protocol]
        if subscriber is None:
            if len(args) == 1:          # nothing to leave: one reply, a nil name
                return b"%s%s:0\r\n" % (head, NULL if session.protocol == 3 else NIL)
            return b"".join(b"%s%s:0\r\n" % (head, encode_bulk(name)) for name in args[1:])
        if kind == b"unsubscribe":
            mine, table = subscriber.channels, self.pubsub.channels
        else:
            mine, table = subscriber.patterns, self.pubsub.patterns
        names = args[1:] or list(mine)
        if not names:
            return b"%s%s:%d\r\n" % (head, NULL if session.protocol == 3 else NIL,
                                      subscriber.count())
        replies = []
        for name in names:
            if name in mine:
                del mine[name]
                self.pubsub.leave(table, name, subscriber)
            replies.append(b"%s%s:%d\r\n" % (head, encode_bulk(name), subscriber.count()))
        if not subscriber.count():
            # Out of subscribed mode: the messages still queued go first.
            session.subscriber = None
            replies.insert(0, _take(subscriber))
        return b"".join(replies)

    def cmd_publish(self, args, session):
        """``PUBLISH channel message``: send it to the channel's subscribers
        and to those of the patterns it matches; the count of receivers (a
        client listening to both the channel and a pattern, two)."""
        pubsub = self.pubsub
        channel = args[1]
        tail = encode_bulk(channel) + encode_bulk(args[2])
        receivers = []              # (subscriber, its pieces), in the order Redis sends
        for subscriber in pubsub.channels.get(channel, (None, ()))[1]:
            receivers.append((subscriber, [_HEADS[b"message"][subscriber.session.protocol],
                                           tail]))
        for pattern, (match, subscribers) in pubsub.patterns.items():
            if match(channel):
                bulk = encode_bulk(pattern)
                for subscriber in subscribers:
                    receivers.append((subscriber, [
                        _HEADS[b"pmessage"][subscriber.session.protocol], bulk, tail]))
        mine = []
        over = []
        for subscriber, pieces in receivers:
            if subscriber.session is session:
                mine += pieces          # before the reply to PUBLISH, as Redis
            elif not subscriber.dropped and not pubsub.deliver(subscriber, pieces):
                over.append(subscriber)
        for subscriber in over:
            pubsub.drop(subscriber)
        mine.append(b":%d\r\n" % len(receivers))
        return b"".join(mine)

    def cmd_pubsub(self, args, session):
        """``PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP``
        (and SHARDCHANNELS, SHARDNUMSUB: no shard channels here)."""
        pubsub = self.pubsub
        sub = args[1].lower()
        arity = SUBCOMMANDS[b"pubsub"].get(sub)
        if arity is None:
            return encode_error(b"ERR unknown subcommand '%s'. Try PUBSUB HELP."
                                % args[1].partition(b"\0")[0][:128])
        if len(args) != arity and (arity > 0 or len(args) < -arity):
            return wrong_arity(b"pubsub|" + sub)
        if sub in (b"channels", b"shardchannels"):
            if len(args) > 3:
                return encode_error(b"ERR unknown subcommand or wrong number of arguments for "
                                    b"'%s'. Try PUBSUB HELP." % args[1].partition(b"\0")[0])
            names = list(pubsub.channels) if sub == b"channels" else []
            if len(args) == 3:
                match = pubsub.glob_matcher(args[2])
                names = [name for name in names if match(name)]
            return b"*%d\r\n%s" % (len(names), b"".join(map(encode_bulk, names)))
        if sub in (b"numsub", b"shardnumsub"):
            counts = pubsub.channels if sub == b"numsub" else {}
            return b"*%d\r\n%s" % (2 * (len(args) - 2), b"".join(
                b"%s:%d\r\n" % (encode_bulk(name), len(counts[name][1]) if name in counts else 0)
                for name in args[2:]))
        if sub == b"numpat":
            return b":%d\r\n" % len(pubsub.patterns)
        return b"*%d\r\n%s" % (len(PUBSUB_HELP), b"".join(
            b"+%s\r\n" % line.encode() for line in PUBSUB_HELP))

    def cmd_reset(self, args, session):
        """``RESET``: the connection as new -- no transaction, no watched
        key, no subscription, RESP2, no name."""
        if session is None:
            return b"+RESET\r\n"
        self._end_transaction(session)      # (Store's: MULTI and WATCH forgotten)
        left = self.pubsub.forget(session)
        session.protocol = 2
        session.name = None
        return left + b"+RESET\r\n"

    def subscribed_mode(self, args, name, session):
        """``execute``'s hook for a RESP2 client that is subscribed: the
        reply to a command that is answered otherwise then -- PING's
        ``pong`` in an array, the refusal of what may not be sent (not in
        EXEC: Redis checks a command as it arrives) -- or None."""
        if name == b"ping":
            if len(args) <= 2:
                return _PONG + encode_bulk(args[1] if len(args) > 1 else b"")
            return None
        if name in SUBSCRIBED_MODE or session.executing:
            return None
        error = refuse(args, name)
        if name == b"exec":                 # as any refused EXEC: WATCH forgotten too
            self._end_transaction(session)
            return b"-EXECABORT Transaction discarded because of: " + error[5:]
        return self._refuse(error, session)


PUBSUB_COMMANDS = [
    ("subscribe", -2), ("psubscribe", -2), ("unsubscribe", -1), ("punsubscribe", -1),
    ("publish", 3), ("pubsub", -2), ("reset", 1),
]
