"""A key-value store that speaks the Redis protocol (RESP2 and RESP3).

    from trampoline.protocols.kv import Store, kv_server
    run(kv_server("127.0.0.1", 6380, Store()))      # redis-cli -p 6380 ...

Commands: PING, ECHO, GET, SET (EX/PX/EXAT/PXAT/KEEPTTL, NX/XX, GET), DEL,
UNLINK, EXISTS, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT (in C long doubles,
as Redis), MGET, MSET, MSETNX, SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX,
STRLEN, APPEND, GETRANGE (SUBSTR), SETRANGE, TYPE, RENAME, RENAMENX, COPY,
KEYS (Redis glob patterns), SCAN (MATCH, COUNT, TYPE), DBSIZE, FLUSHDB,
FLUSHALL, EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT (NX/XX/GT/LT), TTL/PTTL,
EXPIRETIME/PEXPIRETIME, PERSIST, TOUCH, RANDOMKEY, SELECT 0, QUIT, INFO
(the sections server, clients, memory, stats, replication, keyspace; some
of Redis's fields in each; stats' keyspace_hits and keyspace_misses as
Redis counts them: ``Store.read``), transactions (MULTI, EXEC, DISCARD, WATCH,
UNWATCH: what redis-py's ``pipeline()`` sends), and what clients ask on
connecting: HELLO 2|3 (with AUTH default and SETNAME), COMMAND (DOCS,
COUNT, INFO), CONFIG GET and RESETSTAT, CLIENT (SETNAME, GETNAME, SETINFO,
ID), and HELP for these three.  What operators ask (``kv_admin``): OBJECT
(ENCODING, REFCOUNT, IDLETIME, FREQ, HELP), SORT and SORT_RO (BY, with
``nosort`` and ``*->field``; LIMIT, GET, ASC/DESC, ALPHA, STORE), CLIENT
LIST, INFO, KILL and NO-EVICT.  Beside strings, lists, hashes, sets and sorted
sets (``kv_types``): LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with a
count), LLEN, LRANGE, LINDEX, LSET, LREM, LTRIM, LINSERT, LPOS, LMOVE,
RPOPLPUSH, and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH; HSET,
HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HEXISTS, HGETALL, HKEYS, HVALS,
HINCRBY, HINCRBYFLOAT, HSTRLEN, HRANDFIELD, HSCAN; SADD, SREM, SMEMBERS,
SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SINTER, SUNION, SDIFF,
SINTERSTORE, SUNIONSTORE, SDIFFSTORE, SINTERCARD, SMOVE, SSCAN; ZADD
(NX, XX, GT, LT, CH, INCR), ZINCRBY, ZSCORE, ZMSCORE, ZCARD, ZREM, ZRANK,
ZREVRANK, ZRANGE (by rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES),
ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX,
ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZPOPMIN, ZPOPMAX, ZREMRANGEBYRANK,
ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZRANDMEMBER, ZUNION, ZINTER, ZDIFF
(WEIGHTS, AGGREGATE; a set counts as scores of 1), ZUNIONSTORE,
ZINTERSTORE, ZDIFFSTORE, ZINTERCARD, ZSCAN, and the blocking BZPOPMIN,
BZPOPMAX.  A command on a key of another type answers WRONGTYPE; an
emptied collection is deleted.  One database.  Replies and errors read
word for word as Redis 7's, in RESP2 or -- after ``HELLO 3``, what
redis-py 8 and ``redis-cli -3`` say first -- in RESP3 (``_`` for nil, maps
for HELLO and CONFIG GET).  SCAN walks the keys in another order than
Redis's (``ScanOrder``), with the same promise.

Pub/sub (``kv_pubsub``): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE (Redis glob
patterns), PUNSUBSCRIBE, PUBLISH, PUBSUB (CHANNELS, NUMSUB, NUMPAT), and
RESET; in RESP2 a subscribed client may send only those and PING, QUIT
and RESET, as with Redis; in RESP3 messages are pushes (``>``).

How it works.  ``Store`` is the database: plain dicts and a function per
command that takes the arguments and returns the encoded reply -- no I/O,
so the tests call it directly.  Time comes from the ``clock`` it is given
(``time.time``, or a fake clock in tests).  A key with a time to live is
dropped when it is next touched after its deadline, and a background task
sweeps the ones nobody touches, going round the keys that have a deadline
a slice at a time -- a queue of them beside the table of deadlines, a
pointer a key -- and on again a millisecond later while a slice finds many
expired, as Redis's active expiry samples its table of deadlines.  The
parsing is ``protocols/resp.py``'s, sans-I/O.  Each connection's task
(``serve_client``) reads what the client sent, parses every complete
command in it, and answers the whole pipelined batch with one write --
that is what makes it fast.  Bad protocol gets ``-ERR Protocol error:
...`` and the connection is closed, as Redis does; the server goes on.
A client beyond ``maxclients`` -- as Redis's: the descriptors this process
may open, less 32 kept for accepting, at most 10000 -- is told ``-ERR max
number of clients reached`` and closed, as Redis does, rather than left
waiting in the listener's queue while no descriptor is free.
``examples/kv_server.py`` is the program around it.

What it must never do: wait inside a command (commands touch only dicts),
let one client's bad bytes disturb another, let one command run for
ever (a KEYS pattern is matched without backtracking: ``glob_matcher``),
or let one client make it hold unbounded memory (the parser keeps
Redis's limits; replies to a batch go out a megabyte at a time; a
subscriber that does not read is dropped past ``kv_pubsub.OUTPUT_LIMIT``).
"""

import os
import platform
import random
import re
import socket
import sys
import time
from array import array
from bisect import bisect_left
from collections import deque
try:
    import resource
except ImportError:                     # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]
from itertools import count

from ..combinators import select
from ..sync import Event
from ..traps import cancel, read, sleep, spawn, write
from ..streams import tcp_server
from .kv_admin import (ADMIN_COMMANDS, SUBCOMMANDS, AdminCommands, help_reply, peer_name,
                       subcommand_error, unknown_subcommand)
from .kv_glob import glob_matcher, scan_cursor, scan_options
from .kv_numbers import (INT_MAX, INT_MIN, NOT_AN_INTEGER, ONE, SYNTAX_ERROR, ZERO,
                         add_long_doubles, format_long_double, parse_long_double, to_int,
                         wrong_arity)
from .kv_pubsub import PUBSUB_COMMANDS, PubSub, PubSubCommands, flush, receive
from .kv_types import (COLLECTION_COMMANDS, TYPE_NAMES, WRONGTYPE, Collections, WrongType,
                       copy_value, is_string)
from .resp import (NIL, NULL, OK, PONG, ProtocolError, RequestParser, encode_array,
                   encode_bulk, encode_error, encode_map)

__all__ = ["Store", "Session", "serve_client", "kv_server", "glob_matcher"]

OUT_OF_INT_RANGE = b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
EMPTY_BULK = b"$0\r\n\r\n"
#: The longest value SETRANGE and APPEND may make: Redis's ``proto-max-bulk-len``, 512 MB.
MAX_STRING = 512 * 1024 * 1024
TOO_LONG = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
QUEUED = b"+QUEUED\r\n"
NIL_ARRAY = b"*-1\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
NO_SESSION = b"-ERR transactions and WATCH need a connection: pass execute() a Session\r\n"
#: How many bytes of replies to a pipelined batch are gathered, at most, before a write.
FLUSH_AT = 1 << 20
#: Redis's default ``maxclients``, and the descriptors it keeps for other
#: uses than clients (``CONFIG_MIN_RESERVED_FDS``): a server may accept at
#: most the process's descriptor limit less these.
MAXCLIENTS = 10000
RESERVED_FDS = 32
MAXCLIENTS_REACHED = b"-ERR max number of clients reached\r\n"
#: What a blocked client may send before it is served (Redis's
#: ``client-query-buffer-limit``): beyond it, it is hung up on.
QUERY_BUFFER_LIMIT = 1 << 30
#: How often the background task looks for expired keys nobody touched,
#: and how many keys with a deadline one look goes through
#: (``Store.sweep``; those without one are never looked at): a fraction
#: of a millisecond when none has expired, a few when all have.
SWEEP_INTERVAL = 0.1
SWEEP_KEYS = 2000
#: The pause between two sweeps that follow each other (``expire_keys``):
#: a timer, not ``sleep(0)``, so that the kernel asks the poller in
#: between -- with a task ready it asks only every 64 steps, and 64
#: sweeps would keep the clients waiting a fifth of a second.
SWEEP_PAUSE = 0.001
#: How many keys DBSIZE and INFO keyspace sweep first, so as not to count
#: the expired ones (all of them in a database with a few thousand
#: deadlines, however many keys have none).
COUNT_SWEEP_KEYS = 10000
#: What CONFIG GET answers (redis-benchmark asks for save and appendonly).
CONFIG = {b"save": b"", b"appendonly": b"no", b"databases": b"1"}

_GLOB_CHARS = re.compile(rb"[*?[]").search


class Session:
    """What a connection carries between commands."""

    _ids = count(1)

    def __init__(self):
        self.id = next(self._ids)
        self.name = None            # CLIENT SETNAME
        self.closing = False        # QUIT: answer, then close
        self.protocol = 2           # HELLO 3: RESP3 replies
        self.queue = None           # MULTI: the commands queued for EXEC (a list)
        self.queue_error = False    # a command refused while queueing: EXEC aborts
        self.watching = {}          # WATCH: key -> whether it was there when watched
        self.dirty = False          # a watched key was changed: EXEC answers nil
        self.executing = False      # in EXEC: blocking commands do not block
        self.exec_size = 0          # in EXEC: how many commands it runs
        self.blocked = None         # BLPOP ... waiting: its kv_types.Waiter
        self.subscriber = None      # SUBSCRIBE ...: its kv_pubsub.Subscriber
        self.sock = None            # serve_client's socket (to drop a subscriber)
        # What CLIENT LIST shows (serve_client sets them):
        self.addr = self.laddr = ""     # the peer's and our address, as Redis writes them
        self.fd = -1
        self.unix = False           # over a Unix socket (flag U)
        self.started = self.last = 0.0  # when it connected; when its last batch came
        self.last_args = None       # the last command of that batch
        self.no_evict = False       # CLIENT NO-EVICT ON


# ================================================================ the store

class Store(Collections, PubSubCommands, AdminCommands):
    """The database: ``reply = store.execute([b"SET", b"k", b"v"])``.

    ``execute`` takes one command (a list of bytes) and returns its reply,
    encoded -- or, for BLPOP, BRPOP or BLMOVE that must wait, ``b""``
    with the wait in ``session.blocked`` (``serve_client`` waits).
    ``clock`` is a function returning seconds (``time.time``, like Redis:
    EXAT takes Unix times); a test passes a fake one and moves it.
    ``sweep()`` drops expired keys nobody has touched.
    """

    def __init__(self, clock=time.time):
        self.clock = clock
        self.data = {}              # key -> value (bytes -> bytes)
        # OBJECT IDLETIME: key -> when it was last read or written, in whole
        # seconds: ``lru_clock``, which ``tick`` sets -- one dict store a
        # key used, no clock read (``get``; the hot paths store it inline).
        self.lru_clock = int(clock())
        self.accessed = {}
        self.expires = {}           # key -> deadline in ms; alive while now <= deadline
        self._last_deadline = None  # the deadline set last (set_deadline shares it)
        # The keys given a deadline, in the order sweep() goes round them:
        # each key in ``expires`` once, and keys whose deadline has gone
        # since (deleted, PERSISTed), until the sweep or set_deadline drops them.
        self.expiring = deque()
        self.order = ScanOrder(self.data)   # the keys in order of creation, for SCAN
        self.watchers = {}          # key -> the sessions WATCHing it
        self.blocking = {}          # key -> the Waiters blocked on it, first come first
        self.ready = []             # keys pushed onto that somebody waits for (serve_blocked)
        self.sessions = {}          # id -> the Session of each connection served now
        # INFO's Stats: connections accepted, refused (maxclients), commands
        # read (counted a batch at a time), keys dropped past their deadline;
        # the lookups of read commands that found their key, and that did
        # not (``read``: where Redis's lookupKeyRead counts them).
        self.connections_received = self.rejected_connections = 0
        self.commands_processed = self.expired_keys = 0
        self.keyspace_hits = self.keyspace_misses = 0
        self.pubsub = PubSub(glob_matcher)  # who listens to what (kv_pubsub)
        self.started = clock()      # (INFO's uptime)
        self.run_id = "%040x" % random.getrandbits(160)
        # name -> (function, arity, name in errors); arity as in Redis:
        # n means exactly n words (the name included), -n at least n.
        self.commands = {}
        for name, arity in COMMANDS + COLLECTION_COMMANDS + PUBSUB_COMMANDS + ADMIN_COMMANDS:
            function = getattr(self, "cmd_" + name)
            self.commands[name.upper().encode()] = (function, arity, name.encode())

    # ---------------------------------------------------------- dispatch

    def execute(self, args, session=None):
        """Run one command; return its encoded reply.  After MULTI (in
        ``session``), queue it for EXEC instead and answer QUEUED."""
        entry = self.commands.get(args[0])
        if entry is None:
            entry = self.commands.get(args[0].upper())
        if entry is None:
            return self._refuse(unknown_command(args), session)
        function, arity, name = entry
        self.tick()
        if len(args) != arity and (arity > 0 or len(args) < -arity):
            if name == b"exec":
                return self._exec_refused(session)
            return self._refuse(wrong_arity(name), session)
        if session is not None and session.subscriber is not None and session.protocol == 2:
            reply = self.subscribed_mode(args, name, session)   # (kv_pubsub)
            if reply is not None:
                return reply
        if session is not None and session.queue is not None and name not in RUN_IN_MULTI:
            error = subcommand_error(args, name)    # (OBJECT FOO: refused now, as Redis)
            if error is not None:
                return self._refuse(error, session)
            session.queue.append(args)
            return QUEUED
        try:
            reply = function(args, session)
        except WrongType:
            reply = WRONGTYPE
        if self.ready and (session is None or not session.executing):
            self.serve_blocked()
        # RESP3 spells "nothing" ``_``: the commands return the one NIL
        # object for it, so one identity test here covers them all (the
        # replies that hold a nil, or a map, ask the session themselves).
        if reply is NIL and session is not None and session.protocol == 3:
            return NULL
        return reply

    # ---------------------------------------------------------- time

    def now(self):
        """The clock, in whole milliseconds (what deadlines are kept in)."""
        return round(self.clock() * 1000)

    def tick(self):
        """Read the clock for OBJECT IDLETIME: the time ``lru_clock`` says
        a key used now was used, in whole seconds.  Once a command in
        ``execute``; in the server (whose commands mostly go round
        ``execute``), every ``SWEEP_INTERVAL`` -- Redis reads its LRU clock
        ten times a second too (serverCron)."""
        seconds = int(self.clock())
        if seconds != self.lru_clock:           # (one int for a second's keys)
            self.lru_clock = seconds

    def get(self, key):
        """The value of ``key``, or None; an expired key is dropped here.
        For a command that reads or writes the key: it is noted as used now
        (OBJECT IDLETIME); ``live`` looks without using it."""
        value = self.data.get(key)
        if value is not None:
            if key in self.expires and self.expires[key] < self.now():
                return self._expired(key)
            self.accessed[key] = self.lru_clock
        return value

    def live(self, key):
        """``get(key)`` for a command that looks at the key without using
        its value -- EXISTS, KEYS, SCAN, RANDOMKEY, WATCH: its idle time
        goes on (Redis's LOOKUP_NOTOUCH)."""
        value = self.data.get(key)
        if value is not None and key in self.expires and self.expires[key] < self.now():
            return self._expired(key)
        return value

    def _expired(self, key):
        """Drop ``key``, past its deadline; None."""
        self.delete(key)
        self.expired_keys += 1
        return None

    def get_string(self, key):
        """The string value of ``key``, or None; ``WrongType`` if it holds another type."""
        value = self.get(key)
        if value is not None and type(value) is not bytes and type(value) is not bytearray:
            raise WrongType()
        return value

    # A read command looks its keys up with ``read`` (or ``read_string``,
    # or ``Collections._read``), a write command with ``get``: INFO's
    # keyspace_hits and keyspace_misses count the first kind only, one a
    # key looked up, found or not -- a key of the wrong type is a hit --
    # as Redis's lookupKeyRead counts (EXISTS, TYPE, TTL, OBJECT, SCAN's
    # TYPE filter, SORT's BY and GET keys included; KEYS, RANDOMKEY, DEL,
    # WATCH, the blocking commands' wake-ups and every write none).

    def read(self, key):
        """``get(key)`` for a read command: a keyspace hit or miss counted."""
        value = self.get(key)
        if value is None:
            self.keyspace_misses += 1
        else:
            self.keyspace_hits += 1
        return value

    def peek(self, key):
        """``live(key)`` for a read command that does not use the value
        (TYPE, TTL, OBJECT, SCAN's TYPE filter): a hit or miss counted, the
        key's idle time left to go on, as Redis's."""
        value = self.live(key)
        if value is None:
            self.keyspace_misses += 1
        else:
            self.keyspace_hits += 1
        return value

    def read_string(self, key):
        """``get_string(key)`` for a read command: a keyspace hit or miss
        counted (before the type is checked, as Redis)."""
        value = self.read(key)
        if value is not None and type(value) is not bytes and type(value) is not bytearray:
            raise WrongType()
        return value

    def put(self, key, value):
        """Store ``value`` under ``key``; its deadline stays.  A new key
        takes its place in SCAN's order."""
        if key not in self.data:
            self.order.add(key)
        self.data[key] = value
        self.accessed[key] = self.lru_clock
        self.touch(key)
        if self.blocking and key in self.blocking:  # (a list RENAMEd or COPYed there)
            self.ready.append(key)

    def delete(self, key):
        """Remove ``key`` and its deadline (the key must exist)."""
        del self.data[key]
        self.accessed.pop(key, None)
        self.expires.pop(key, None)
        self.touch(key)

    def set_deadline(self, key, deadline):
        """Expire ``key`` at ``deadline`` (on the store's clock).  A key
        that had none joins the end of the sweep's queue."""
        if deadline == self._last_deadline:
            # Keys given a time to live in the same millisecond (a
            # pipelined batch) share one int: 32 bytes a key less.
            deadline = self._last_deadline
        self._last_deadline = deadline
        expires = self.expires
        if key not in expires:
            expiring = self.expiring
            if len(expiring) >= 2 * len(expires) + 1024:
                # Half the queue are keys whose deadline has gone, or a
                # key's second entry (its deadline removed and set again
                # before the sweep came by): made again from the table,
                # one entry a key -- at C's speed, 15 ms for a million, and
                # at least as many set_deadline calls before the next.
                self.expiring = expiring = deque(expires)
            expiring.append(key)
        expires[key] = deadline
        self.touch(key)

    def sweep(self, limit=SWEEP_KEYS):
        """Look at the next ``limit`` keys that have a deadline (all of
        them, if fewer), and drop those past it; return how many were
        dropped.

        The keys given a deadline wait in a queue (``set_deadline`` puts
        them at its end); a sweep takes ``limit`` off its front and puts
        back at the end those not yet due, so the keys go round: a key
        nobody touches is dropped within ``len(expires) / limit`` calls of
        its deadline, each call's work bounded by ``limit``, and the keys
        without a deadline are never looked at -- however many there are,
        as Redis's active expiry samples its table of deadlines alone.  The
        queue costs a pointer a key (a deque's slot); an entry whose key
        has lost its deadline meanwhile is dropped when the sweep comes by
        -- or at once, the queue made again from the table, when such
        entries are half of it (a mass DEL or PERSIST)."""
        expiring, expires = self.expiring, self.expires
        if not expires:
            expiring.clear()            # (the entries of keys deleted or PERSISTed)
            return 0
        if len(expiring) >= 2 * len(expires) + 1024:
            # Half the queue are entries whose deadline has gone (a DEL or
            # PERSIST of many keys with a deadline, and none set since for
            # set_deadline to rebuild it): made again from the table now,
            # not a slice a sweep -- a million would take 50 s to go.  At
            # least as many keys lost their deadline since the last rebuild
            # as the table holds: O(1) work each.
            self.expiring = expiring = deque(expires)
        take, put_back, now = expiring.popleft, expiring.append, self.now()
        dropped = 0
        for _ in range(min(limit, len(expiring))):
            key = take()
            deadline = expires.get(key)
            if deadline is None:
                continue                # its deadline is gone: so is its entry
            if deadline < now:
                self.delete(key)        # (a second entry of the key finds no deadline)
                dropped += 1
            else:
                put_back(key)
        self.expired_keys += dropped
        return dropped

    # ---------------------------------------------------------- strings

    def cmd_get(self, args, session):
        """``GET key``: its value, or nil."""
        key = args[1]
        value = self.data.get(key)
        if value is None:
            self.keyspace_misses += 1
            return NIL
        if type(value) is not bytes or key in self.expires:
            value = self.read_string(key)       # (it counts)
            if value is None:
                return NIL
        else:
            self.keyspace_hits += 1
            self.accessed[key] = self.lru_clock     # (as get() notes it)
        return b"$%d\r\n%s\r\n" % (len(value), value)

    def cmd_set(self, args, session):
        """``SET key value [EX|PX|EXAT|PXAT t | KEEPTTL] [NX|XX] [GET]``: store it."""
        key = args[1]
        if len(args) == 3:                      # the common case: no options
            if key not in self.data:
                self.order.add(key)
            self.data[key] = args[2]
            self.accessed[key] = self.lru_clock     # (as put() notes it)
            if self.expires:
                self.expires.pop(key, None)
            if self.watchers:
                self.touch(key)
            return OK
        # SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL], parsed
        # like Redis: first the words (syntax error), then the number.
        nx = xx = get = keepttl = False
        unit = when = None
        i = 3
        while i < len(args):
            option = args[i].upper()
            more = i + 1 < len(args)
            if option == b"NX" and not xx:
                nx = True
            elif option == b"XX" and not nx:
                xx = True
            elif option == b"GET":
                get = True
            elif option == b"KEEPTTL" and unit is None:
                keepttl = True
            elif option in (b"EX", b"PX", b"EXAT", b"PXAT") and more and not keepttl \
                    and unit in (None, option):
                unit, when = option, args[i + 1]
                i += 1
            else:
                return SYNTAX_ERROR
            i += 1
        deadline = None
        if unit is not None:
            deadline, error = self._time_to_live(when, unit, b"set")
            if error is not None:
                return error
        old = self.read_string(key) if get else self.get(key)
        if (nx and old is not None) or (xx and old is None):
            return encode_bulk(old) if get else NIL
        self.put(key, args[2])
        if deadline is not None:
            self.set_deadline(key, deadline)
        elif not keepttl:
            self.expires.pop(key, None)
        return encode_bulk(old) if get else OK

    def _time_to_live(self, when, unit, name):
        """SET's, GETEX's, SETEX's and PSETEX's ``when`` for ``unit`` (EX,
        PX, EXAT or PXAT), a number above 0: ``(deadline in ms, None)``, or
        ``(None, the error to answer)``."""
        number = to_int(when)
        if number is None:
            return None, NOT_AN_INTEGER
        deadline = self._deadline(number, unit in (b"EX", b"EXAT"), unit in (b"EX", b"PX"))
        if deadline is None or number <= 0:
            return None, b"-ERR invalid expire time in '%s' command\r\n" % name
        return deadline, None

    def _deadline(self, number, seconds, relative):
        """A deadline in ms from an EX/PX/EXAT/PXAT argument, or None if it
        would not fit in 64 bits (Redis's "invalid expire time")."""
        if seconds:
            if not -(2**63 // 1000) <= number <= INT_MAX // 1000:     # C's truncating division
                return None
            number *= 1000
        if relative:
            number += self.now()
        return number if INT_MIN <= number <= INT_MAX else None

    def cmd_mget(self, args, session):
        """``MGET key ...``: each key's value, nil where there is none."""
        values = list(map(self.get, args[1:]))
        misses = values.count(None)             # (counted in C: no call to read() a key)
        self.keyspace_misses += misses
        self.keyspace_hits += len(values) - misses
        return encode_array([value if is_string(value) else None for value in values],
                            _null(session))

    def cmd_mset(self, args, session):
        """``MSET key value ...``: store every pair."""
        if len(args) % 2 == 0:
            return wrong_arity(b"mset")
        for key, value in zip(args[1::2], args[2::2]):
            self.put(key, value)
            self.expires.pop(key, None)
        return OK

    def cmd_incr(self, args, session, delta=1):
        """``INCR key``: add 1 to its integer value; the new value.  (DECR,
        INCRBY and DECRBY call it with their ``delta``: INCR, the common
        one, pays no call to a helper.)"""
        key = args[1]
        value = self.data.get(key)
        if value is not None and (type(value) is not bytes or key in self.expires):
            value = self.get_string(key)        # (a call less for keys that never expire)
        if value is None:
            current = 0
            self.order.add(key)                 # (before the key is there: see ScanOrder.add)
        else:
            current = to_int(value)
            if current is None:
                return NOT_AN_INTEGER
        result = current + delta
        if not INT_MIN <= result <= INT_MAX:
            return b"-ERR increment or decrement would overflow\r\n"
        digits = b"%d" % result
        self.data[key] = digits                 # the time to live stays, as in Redis
        self.accessed[key] = self.lru_clock
        if self.watchers:
            self.touch(key)
        return b":%s\r\n" % digits

    def cmd_decr(self, args, session):
        """``DECR key``: subtract 1 from its integer value; the new value."""
        return self.cmd_incr(args, session, -1)

    def cmd_incrby(self, args, session):
        """``INCRBY key n``: add ``n``; the new value."""
        delta = to_int(args[2])
        if delta is None:
            return NOT_AN_INTEGER
        return self.cmd_incr(args, session, delta)

    def cmd_decrby(self, args, session):
        """``DECRBY key n``: subtract ``n``; the new value."""
        delta = to_int(args[2])
        if delta is None:
            return NOT_AN_INTEGER
        if delta == INT_MIN:
            return b"-ERR decrement would overflow\r\n"
        return self.cmd_incr(args, session, -delta)

    def cmd_incrbyfloat(self, args, session):
        """``INCRBYFLOAT key n``: add the float ``n``; the new value, computed
        and spelled as Redis does (C long doubles: ``parse_long_double``)."""
        key = args[1]
        old = self.get_string(key)
        value = parse_long_double(b"0" if old is None else old)    # the value is read first
        increment = parse_long_double(args[2])
        if value is None or increment is None:
            return b"-ERR value is not a valid float\r\n"
        result = add_long_doubles(value, increment)
        if result is None:
            return b"-ERR increment would produce NaN or Infinity\r\n"
        digits = format_long_double(result)
        self.put(key, digits)                   # the time to live stays
        return encode_bulk(digits)

    def cmd_strlen(self, args, session):
        """``STRLEN key``: the length of its value, 0 if there is none."""
        return b":%d\r\n" % len(self.read_string(args[1]) or b"")

    def cmd_append(self, args, session):
        """``APPEND key value``: add ``value`` at the end; the new length."""
        key, part = args[1], args[2]
        old = self.get_string(key)
        if old is None:
            self.put(key, part)
            return b":%d\r\n" % len(part)
        if len(old) + len(part) > MAX_STRING:
            return TOO_LONG
        value = self._growable(key, old)
        value += part
        self.touch(key)
        return b":%d\r\n" % len(value)

    def _growable(self, key, value):
        """``key``'s ``value`` as a bytearray, the one the store keeps: APPEND
        and SETRANGE change it in place, as Redis grows its strings, and
        cost the bytes they write -- not a copy of the whole value each
        time (a log built by APPENDs would take quadratic time)."""
        if type(value) is not bytearray:
            value = self.data[key] = bytearray(value)
        return value

    def cmd_getrange(self, args, session):
        """``GETRANGE key start end``: the bytes from ``start`` to ``end``,
        both included; negative ones count from the end."""
        start, end = to_int(args[2]), to_int(args[3])
        if start is None or end is None:
            return NOT_AN_INTEGER
        value = self.read_string(args[1]) or b""
        if start < 0 and end < 0 and start > end:
            return EMPTY_BULK
        size = len(value)
        start = max(start + size if start < 0 else start, 0)
        end = min(max(end + size if end < 0 else end, 0), size - 1)
        if start > end or not value:
            return EMPTY_BULK
        return encode_bulk(value[start:end + 1])

    cmd_substr = cmd_getrange

    def cmd_setrange(self, args, session):
        """``SETRANGE key offset value``: write ``value`` at ``offset``,
        padding with zero bytes; the new length."""
        key, offset, part = args[1], to_int(args[2]), args[3]
        if offset is None:
            return NOT_AN_INTEGER
        if offset < 0:
            return b"-ERR offset is out of range\r\n"
        old = self.get_string(key)
        if not part:                            # nothing to write: not even a new key
            return b":%d\r\n" % len(old or b"")
        if offset + len(part) > MAX_STRING:
            return TOO_LONG
        if old is None:
            # (bytearray(n): n zero bytes; a bytearray, as Redis makes a raw string here)
            self.put(key, bytearray(offset) + part)
            return b":%d\r\n" % (offset + len(part))
        value = self._growable(key, old)
        if len(value) < offset:
            value.extend(bytes(offset - len(value)))
        value[offset:offset + len(part)] = part
        self.touch(key)
        return b":%d\r\n" % len(value)

    def cmd_getdel(self, args, session):
        """``GETDEL key``: its value, or nil; the key is gone."""
        value = self.read_string(args[1])
        if value is None:
            return NIL
        self.delete(args[1])
        return encode_bulk(value)

    def cmd_getset(self, args, session):
        """``GETSET key value``: its old value, or nil; ``value`` stored, with
        no time to live (``SET key value GET``)."""
        old = self.read_string(args[1])
        self.put(args[1], args[2])
        self.expires.pop(args[1], None)
        return NIL if old is None else encode_bulk(old)

    def cmd_getex(self, args, session):
        """``GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]``: its value, or
        nil; its time to live set or removed."""
        unit = when = None
        persist = False
        i = 2
        while i < len(args):                    # the words first (syntax error) ...
            option = args[i].upper()
            if option == b"PERSIST" and unit is None:
                persist = True
            elif option in (b"EX", b"PX", b"EXAT", b"PXAT") and i + 1 < len(args) \
                    and not persist and unit in (None, option):
                unit, when = option, args[i + 1]
                i += 1
            else:
                return SYNTAX_ERROR
            i += 1
        key = args[1]
        value = self.read_string(key)                  # ... then the key, then the number
        if value is None:
            return NIL
        if unit is not None:
            deadline, error = self._time_to_live(when, unit, b"getex")
            if error is not None:
                return error
            if deadline <= self.now():          # EXAT, PXAT in the past
                self.delete(key)
            else:
                self.set_deadline(key, deadline)
        elif persist and self.expires.pop(key, None) is not None:
            self.touch(key)
        return encode_bulk(value)

    def cmd_setnx(self, args, session):
        """``SETNX key value``: store it if the key is not there; 1 if stored."""
        if self.get(args[1]) is not None:
            return ZERO
        self.put(args[1], args[2])
        return ONE

    def cmd_setex(self, args, session):
        """``SETEX key seconds value``: store it, to live that long."""
        return self._set_expiring(args, True, b"setex")

    def cmd_psetex(self, args, session):
        """``PSETEX key ms value``: store it, to live that long."""
        return self._set_expiring(args, False, b"psetex")

    def _set_expiring(self, args, seconds, name):
        deadline, error = self._time_to_live(args[2], b"EX" if seconds else b"PX", name)
        if error is not None:
            return error
        self.put(args[1], args[3])
        self.set_deadline(args[1], deadline)
        return OK

    def cmd_msetnx(self, args, session):
        """``MSETNX key value ...``: store every pair if none of the keys
        is there; 1 if stored."""
        if len(args) % 2 == 0:
            return wrong_arity(b"msetnx")
        if any(self.get(key) is not None for key in args[1::2]):
            return ZERO
        for key, value in zip(args[1::2], args[2::2]):
            self.put(key, value)
        return ONE

    # ---------------------------------------------------------- keys

    def cmd_del(self, args, session):
        """``DEL key ...`` (and ``UNLINK``): remove them; how many there were."""
        deleted = 0
        for key in args[1:]:
            if self.get(key) is not None:
                self.delete(key)
                deleted += 1
        return b":%d\r\n" % deleted

    cmd_unlink = cmd_del

    def cmd_exists(self, args, session):
        """``EXISTS key ...`` (and ``TOUCH``): how many of them exist."""
        return self._count_found(args, self.live)

    def cmd_touch(self, args, session):
        """``TOUCH key ...``: EXISTS, and each key found is used now (OBJECT IDLETIME)."""
        return self._count_found(args, self.get)

    def _count_found(self, args, get):
        values = list(map(get, args[1:]))
        found = len(values) - values.count(None)
        self.keyspace_hits += found
        self.keyspace_misses += len(values) - found
        return b":%d\r\n" % found

    def cmd_randomkey(self, args, session):
        """``RANDOMKEY``: a key picked at random, or nil if there is none."""
        key = self.order.pick(self.live)
        return NIL if key is None else encode_bulk(key)

    def cmd_keys(self, args, session):
        """``KEYS pattern``: the keys matching the glob ``pattern``.

        Every key is looked at in one step, as Redis does: a snapshot, no
        other client served meanwhile.  What bounds that step is the
        matcher (``glob_matcher``): no pattern costs more than
        O(len(pattern) x len(key)) a key."""
        if args[1] == b"*":
            keys = list(self.data)
        else:
            match = glob_matcher(args[1])
            keys = [key for key in self.data if match(key)]
        if self.expires:
            keys = [key for key in keys if self.live(key) is not None]
        return encode_array(keys)

    def cmd_scan(self, args, session):
        """``SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]``: some keys,
        and the cursor to go on from (0: done).  A key there for the whole
        iteration is returned at least once, whatever is added or deleted
        meanwhile, as Redis promises (``ScanOrder``)."""
        cursor = scan_cursor(args[1])
        if cursor is None:
            return b"-ERR invalid cursor\r\n"
        count, match, kind, error = scan_options(args, 2, types=True)
        if error:
            return error
        keys, cursor = self.order.walk(cursor, count)
        # (TYPE: each key MATCH lets through is looked up, a hit or a
        # miss, as Redis's SCAN looks it up for its type.)
        get = self.live if kind is None else self.peek
        keys = [key for key in keys if (match is None or match(key)) and get(key) is not None
                and (kind is None or TYPE_NAMES[type(self.data[key])] == kind)]
        return b"*2\r\n%s%s" % (encode_bulk(b"%d" % cursor), encode_array(keys))

    def cmd_type(self, args, session):
        """``TYPE key``: ``string``, or ``none`` if there is no such key."""
        value = self.peek(args[1])
        return b"+none\r\n" if value is None else b"+%s\r\n" % TYPE_NAMES[type(value)]

    def cmd_rename(self, args, session):
        """``RENAME key newkey``: the value and time to live move to ``newkey``."""
        return self._rename(args, False)

    def cmd_renamenx(self, args, session):
        """``RENAMENX key newkey``: RENAME, if ``newkey`` is not there; 1 if renamed."""
        return self._rename(args, True)

    def _rename(self, args, nx):
        source, target = args[1], args[2]
        value = self.get(source)
        if value is None:
            return b"-ERR no such key\r\n"
        if source == target:
            return ZERO if nx else OK
        if nx and self.get(target) is not None:
            return ZERO
        self._copy(source, target, value)
        self.delete(source)
        return ONE if nx else OK

    def _copy(self, source, target, value):
        """Store ``value`` under ``target``, with ``source``'s time to live."""
        self.put(target, value)
        deadline = self.expires.get(source)
        if deadline is None:
            self.expires.pop(target, None)
        else:
            self.set_deadline(target, deadline)

    def cmd_copy(self, args, session):
        """``COPY source destination [DB 0] [REPLACE]``: a copy, with the time
        to live; 1 if copied.  (One database: DB 0 only.)"""
        replace = False
        i = 3
        while i < len(args):
            option = _c_string(args[i]).lower()
            if option == b"replace":
                replace = True
            elif option == b"db" and i + 1 < len(args):
                index = to_int(args[i + 1])
                if index is None:
                    return NOT_AN_INTEGER
                if not -2**31 <= index < 2**31:
                    return OUT_OF_INT_RANGE
                if index != 0:
                    return b"-ERR DB index is out of range\r\n"
                i += 1
            else:
                return SYNTAX_ERROR
            i += 1
        source, target = args[1], args[2]
        if source == target:
            return b"-ERR source and destination objects are the same\r\n"
        value = self.read(source)
        if value is None or (self.get(target) is not None and not replace):
            return ZERO
        self._copy(source, target, copy_value(value))  # (nothing mutable both keys share)
        return ONE

    def cmd_dbsize(self, args, session):
        """``DBSIZE``: how many keys there are -- after a ``sweep()`` of
        ``COUNT_SWEEP_KEYS``, so that the keys past their deadline are not
        counted (all of them in a small database; Redis counts those its
        own sweep has not dropped yet)."""
        self.sweep(COUNT_SWEEP_KEYS)
        return b":%d\r\n" % len(self.data)

    def cmd_flushdb(self, args, session):
        """``FLUSHDB`` (and ``FLUSHALL``): remove every key."""
        if len(args) > 2 or (len(args) == 2 and args[1].upper() not in (b"ASYNC", b"SYNC")):
            return SYNTAX_ERROR
        for key in list(self.watchers):
            if self.live(key) is not None:
                self.touch(key)
        self.data.clear()
        self.accessed.clear()
        self.expires.clear()
        self.expiring.clear()
        self.order.clear()
        return OK

    cmd_flushall = cmd_flushdb

    def cmd_select(self, args, session):
        """``SELECT 0``: the only database there is."""
        index = to_int(args[1])
        if index is None:
            return NOT_AN_INTEGER
        if not -2**31 <= index < 2**31:         # Redis reads it as a C int first
            return OUT_OF_INT_RANGE
        return OK if index == 0 else b"-ERR DB index is out of range\r\n"

    # ---------------------------------------------------------- time to live

    def cmd_expire(self, args, session):
        """``EXPIRE key seconds``: set its time to live; 1 if it exists."""
        return self._expire(args, True, b"expire")

    def cmd_pexpire(self, args, session):
        """``PEXPIRE key ms``: set its time to live; 1 if it exists."""
        return self._expire(args, False, b"pexpire")

    def cmd_expireat(self, args, session):
        """``EXPIREAT key unix-time``: expire it then (in seconds); 1 if it exists."""
        return self._expire(args, True, b"expireat", relative=False)

    def cmd_pexpireat(self, args, session):
        """``PEXPIREAT key unix-time-ms``: expire it then; 1 if it exists."""
        return self._expire(args, False, b"pexpireat", relative=False)

    def _expire(self, args, seconds, name, relative=True):
        # EXPIRE key seconds [NX|XX|GT|LT]: options first, then the number.
        flags = set()
        for option in args[3:]:
            upper = option.upper()
            if upper not in (b"NX", b"XX", b"GT", b"LT"):
                # As Redis's addReplyErrorFormat: CR and LF at the end of the
                # message are dropped (those inside become spaces).
                return encode_error((b"ERR Unsupported option " + _c_string(option))
                                    .rstrip(b"\r\n"))
            flags.add(upper)
        if b"NX" in flags and len(flags) > 1:
            return encode_error("ERR NX and XX, GT or LT options at the same time "
                                "are not compatible")
        if b"GT" in flags and b"LT" in flags:
            return encode_error("ERR GT and LT options at the same time are not compatible")
        number = to_int(args[2])
        if number is None:
            return NOT_AN_INTEGER
        deadline = self._deadline(number, seconds, relative)
        if deadline is None:
            return b"-ERR invalid expire time in '%s' command\r\n" % name
        key = args[1]
        if self.get(key) is None:
            return ZERO
        current = self.expires.get(key)         # None: no deadline (infinitely far)
        if ((b"NX" in flags and current is not None)
                or (b"XX" in flags and current is None)
                or (b"GT" in flags and (current is None or deadline <= current))
                or (b"LT" in flags and current is not None and deadline >= current)):
            return ZERO
        if deadline <= self.now():
            self.delete(key)                    # already in the past
        else:
            self.set_deadline(key, deadline)
        return ONE

    def cmd_ttl(self, args, session):
        """``TTL key``: seconds left to live (-1 none, -2 no such key)."""
        return self._ttl(args[1], True)

    def cmd_pttl(self, args, session):
        """``PTTL key``: milliseconds left to live (-1 none, -2 no such key)."""
        return self._ttl(args[1], False)

    def cmd_expiretime(self, args, session):
        """``EXPIRETIME key``: the Unix time it expires at, in seconds (-1
        none, -2 no such key)."""
        return self._ttl(args[1], True, absolute=True)

    def cmd_pexpiretime(self, args, session):
        """``PEXPIRETIME key``: the Unix time it expires at, in milliseconds
        (-1 none, -2 no such key)."""
        return self._ttl(args[1], False, absolute=True)

    def _ttl(self, key, seconds, absolute=False):
        if self.peek(key) is None:
            return b":-2\r\n"
        deadline = self.expires.get(key)
        if deadline is None:
            return b":-1\r\n"
        left = max(deadline if absolute else deadline - self.now(), 0)
        return b":%d\r\n" % ((left + 500) // 1000 if seconds else left)

    def cmd_persist(self, args, session):
        """``PERSIST key``: drop its time to live; 1 if it had one."""
        if self.get(args[1]) is None or self.expires.pop(args[1], None) is None:
            return ZERO
        self.touch(args[1])
        return ONE

    # ---------------------------------------------------------- connection

    def cmd_ping(self, args, session):
        """``PING [message]``: PONG, or the message."""
        if len(args) == 1:
            return PONG
        if len(args) == 2:
            return encode_bulk(args[1])
        return wrong_arity(b"ping")

    def cmd_echo(self, args, session):
        """``ECHO message``: the message."""
        return encode_bulk(args[1])

    def cmd_quit(self, args, session):
        """``QUIT``: OK, then the connection closes."""
        if session is not None:
            session.closing = True
        return OK

    # ---------------------------------------------------------- transactions
    #
    # MULTI starts queueing the session's commands (``execute`` answers
    # them QUEUED); EXEC runs them one after the other -- nothing else runs
    # meanwhile, as nothing else runs during any command -- and answers
    # their replies as one array.  A command refused while queueing (an
    # unknown name, a wrong arity) makes EXEC refuse them all (EXECABORT);
    # an error while running is one of the replies, the others run.
    # WATCH: every change to a watched key -- by any client, this one
    # included -- marks the watching sessions ``dirty`` (``touch``, called
    # wherever a command changes a key, as Redis's signalModifiedKey), and
    # their EXEC answers nil, running nothing.  So does a key alive when
    # watched that has expired since.

    def cmd_multi(self, args, session):
        """``MULTI``: queue the commands that follow, until EXEC or DISCARD."""
        if session is None:
            return NO_SESSION
        if session.queue is not None:
            return b"-ERR MULTI calls can not be nested\r\n"
        session.queue = []
        return OK

    def cmd_exec(self, args, session):
        """``EXEC``: run the queued commands; their replies, or nil if a
        watched key changed (EXECABORT if one was refused)."""
        if session is None or session.queue is None:
            return b"-ERR EXEC without MULTI\r\n"
        queue, refused = session.queue, session.queue_error
        changed = session.dirty or self._watched_key_expired(session)
        self._end_transaction(session)
        if refused:
            return EXECABORT
        if changed:
            return NULL if session.protocol == 3 else NIL_ARRAY
        session.executing = True
        session.exec_size = len(queue)          # (CLIENT LIST's multi= meanwhile)
        try:
            replies = [self.execute(command, session) for command in queue]
        finally:
            session.executing = False
        return b"*%d\r\n%s" % (len(replies), b"".join(replies))

    def cmd_discard(self, args, session):
        """``DISCARD``: forget the queued commands (and the watched keys)."""
        if session is None or session.queue is None:
            return b"-ERR DISCARD without MULTI\r\n"
        self._end_transaction(session)
        return OK

    def cmd_watch(self, args, session):
        """``WATCH key ...``: the next EXEC runs nothing if one of them changes."""
        if session is None:
            return NO_SESSION
        if session.queue is not None:
            return b"-ERR WATCH inside MULTI is not allowed\r\n"
        if session.dirty:                       # EXEC fails anyway
            return OK
        for key in args[1:]:
            if key not in session.watching:     # (watched twice: the first counts)
                session.watching[key] = self.live(key) is not None
                self.watchers.setdefault(key, set()).add(session)
        return OK

    def cmd_unwatch(self, args, session):
        """``UNWATCH``: forget the watched keys."""
        if session is not None:
            self.unwatch(session)
            session.dirty = False
        return OK

    def touch(self, key):
        """``key`` was changed: the sessions WATCHing it are dirty (their
        EXEC will answer nil) and watch nothing more."""
        sessions = self.watchers.get(key)
        if sessions:
            for session in list(sessions):
                session.dirty = True
                self.unwatch(session)

    def unwatch(self, session):
        """Forget every key ``session`` watches (UNWATCH, EXEC, DISCARD, or
        the connection closed)."""
        for key in session.watching:
            sessions = self.watchers[key]
            sessions.discard(session)
            if not sessions:
                del self.watchers[key]
        session.watching.clear()

    def _watched_key_expired(self, session):
        """Whether a key ``session`` watched while it was there is gone --
        past its deadline, whether or not it has been dropped yet."""
        # (A copy: live() drops an expired key, which unwatches the session.)
        return any(alive and self.live(key) is None
                   for key, alive in list(session.watching.items()))

    def _end_transaction(self, session):
        session.queue = None
        session.queue_error = session.dirty = False
        self.unwatch(session)

    def _refuse(self, error, session):
        """The reply to a command refused before it ran: ``error``; while
        queueing, it also makes EXEC abort."""
        if session is not None and session.queue is not None:
            session.queue_error = True
        return error

    def _exec_refused(self, session):
        """EXEC with arguments: as Redis, the transaction (if any) is
        discarded, the watched keys forgotten, and the error says so."""
        if session is not None:
            self._end_transaction(session)
        return b"-EXECABORT Transaction discarded because of: wrong number of arguments " \
               b"for 'exec' command\r\n"

    # ---------------------------------------------------------- what clients ask

    def cmd_hello(self, args, session):
        """``HELLO [2|3]``: switch the protocol version; the server's details."""
        # HELLO [protover [AUTH username password] [SETNAME clientname]],
        # checked in Redis's order: the version, the options, the password.
        protocol = session.protocol if session else 2
        name = user = None
        if len(args) > 1:
            version = to_int(args[1])
            if version is None:
                return encode_error("ERR Protocol version is not an integer or out of range")
            if version not in (2, 3):
                return b"-NOPROTO unsupported protocol version\r\n"
            i = 2
            while i < len(args):
                option, more = args[i].upper(), len(args) - i - 1
                if option == b"AUTH" and more >= 2:
                    user = args[i + 1]
                    i += 3
                elif option == b"SETNAME" and more >= 1:
                    name = args[i + 1]
                    if _bad_client_name(name):
                        return CLIENT_NAME_ERROR
                    i += 2
                else:
                    return encode_error(b"ERR Syntax error in HELLO option '%s'"
                                        % _c_string(args[i]))
            if user is not None and user != b"default":     # no users but the default one
                return encode_error("WRONGPASS invalid username-password pair "
                                    "or user is disabled.")
            protocol = version
        if session is not None:
            session.protocol = protocol
            if name is not None:
                session.name = name or None
        return encode_map([
            (b"server", encode_bulk(b"trampoline-kv")), (b"version", encode_bulk(b"0.1.0")),
            (b"proto", b":%d\r\n" % protocol),
            (b"id", b":%d\r\n" % (session.id if session else 0)),
            (b"mode", encode_bulk(b"standalone")), (b"role", encode_bulk(b"master")),
            (b"modules", b"*0\r\n")], protocol == 3)

    def cmd_info(self, args, session):
        """``INFO [section ...]``: what the server is, as Redis's text: the
        sections clients read (``INFO_SECTIONS``), in Redis's order, with
        some of Redis's fields (no names Redis does not have)."""
        wanted = {_c_string(arg).lower() for arg in args[1:]} or {b"default"}
        if wanted & {b"default", b"all", b"everything"}:
            wanted = set(INFO_SECTIONS)
        text = b"\r\n".join(self._info_section(name) for name in INFO_SECTIONS if name in wanted)
        if _resp3(session):
            return b"=%d\r\ntxt:%s\r\n" % (len(text) + 4, text)
        return encode_bulk(text)

    def _info_section(self, name):
        """One section of INFO: its title line, then a line per field."""
        fields = getattr(self, "_info_" + name.decode())()
        return b"# %s\r\n%s" % (name.capitalize(), b"".join(
            b"%s:%s\r\n" % (field.encode(), str(value).encode()) for field, value in fields))

    def _info_server(self):
        now = self.clock()
        uname = platform.uname()
        return [("redis_version", REDIS_VERSION), ("redis_mode", "standalone"),
                ("os", "%s %s %s" % (uname.system, uname.release, uname.machine)),
                ("arch_bits", 64 if sys.maxsize > 2**32 else 32), ("process_id", os.getpid()),
                ("run_id", self.run_id), ("server_time_usec", int(now * 1000000)),
                ("uptime_in_seconds", int(now - self.started)),
                ("uptime_in_days", int(now - self.started) // 86400)]

    def _info_clients(self):
        return [("connected_clients", len(self.sessions)),
                ("blocked_clients", len({id(w) for q in self.blocking.values() for w in q}))]

    def _info_memory(self):
        used = _resident_memory()
        return [("used_memory", used), ("used_memory_human", _human_bytes(used)),
                ("used_memory_rss", used), ("used_memory_rss_human", _human_bytes(used)),
                ("maxmemory", 0), ("maxmemory_human", "0B"), ("maxmemory_policy", "noeviction")]

    def reset_stats(self):
        """``CONFIG RESETSTAT``: the counts INFO's stats section gives start
        again from zero (as Redis's; what is now -- clients, channels,
        keys -- is not a count)."""
        self.connections_received = self.rejected_connections = 0
        self.commands_processed = self.expired_keys = 0
        self.keyspace_hits = self.keyspace_misses = 0

    def _info_stats(self):
        # The counts we keep honestly (not the byte counts), in Redis's order.
        return [("total_connections_received", self.connections_received),
                ("total_commands_processed", self.commands_processed),
                ("rejected_connections", self.rejected_connections),
                ("expired_keys", self.expired_keys), ("evicted_keys", 0),
                ("keyspace_hits", self.keyspace_hits), ("keyspace_misses", self.keyspace_misses),
                ("pubsub_channels", len(self.pubsub.channels)),
                ("pubsub_patterns", len(self.pubsub.patterns))]

    def _info_replication(self):
        return [("role", "master"), ("connected_slaves", 0)]

    def _info_keyspace(self):
        self.sweep(COUNT_SWEEP_KEYS)
        if not self.data:
            return []
        # Redis's avg_ttl is an estimate from the keys its sweep samples;
        # ours, from up to 100 of the deadlines, the oldest set.
        now = self.now()
        left = [deadline - now for _, deadline in zip(range(100), self.expires.values())
                if deadline >= now]
        average = sum(left) // len(left) if left else 0
        return [("db0", "keys=%d,expires=%d,avg_ttl=%d" % (len(self.data), len(self.expires),
                                                            average))]

    def cmd_command(self, args, session):
        """``COMMAND [DOCS|COUNT|INFO]``: what redis-cli asks on start; a minimal answer."""
        # redis-cli asks for COMMAND DOCS to show hints: an empty answer is
        # enough (no hints).
        if len(args) == 1:
            return b"*0\r\n"
        sub = args[1].upper()
        if sub == b"HELP":
            return help_reply(args, COMMAND_HELP)
        if sub == b"DOCS":
            return encode_map([], _resp3(session))
        if sub == b"COUNT":
            if len(args) != 2:
                return wrong_arity(b"command|count")
            return b":%d\r\n" % len(self.commands)
        if sub == b"INFO":
            return encode_array([None] * (len(args) - 2), _null(session))
        return unknown_subcommand(args)

    def cmd_config(self, args, session):
        """``CONFIG GET pattern``: what redis-benchmark asks; a minimal answer.
        ``CONFIG RESETSTAT``: INFO's stats counted from zero again."""
        sub = args[1].upper()
        if sub == b"HELP":
            return help_reply(args, CONFIG_HELP)
        if sub == b"RESETSTAT":
            if len(args) != 2:
                return wrong_arity(b"config|resetstat")
            self.reset_stats()
            return OK
        if sub != b"GET":
            return unknown_subcommand(args)
        if len(args) < 3:
            return wrong_arity(b"config|get")
        # As Redis: a word without * ? [ is a name, looked up and answered
        # as the client spelled it; a pattern answers the names it matches.
        found = {}                              # name -> as the reply spells it
        for pattern in args[2:]:
            lower = pattern.lower()
            if _GLOB_CHARS(pattern) is None:
                if lower in CONFIG:
                    found.setdefault(lower, pattern)
            else:
                match = glob_matcher(lower)
                for name in CONFIG:
                    if match(name):
                        found.setdefault(name, name)
        return encode_map([(found[name], encode_bulk(value)) for name, value in CONFIG.items()
                           if name in found], _resp3(session))

    def cmd_client(self, args, session):
        """``CLIENT SETNAME|GETNAME|SETINFO|ID ...``: the connection's name
        and id; ``CLIENT LIST|INFO|KILL|NO-EVICT``: ``kv_admin``'s."""
        sub = args[1].upper()
        if sub == b"HELP":
            return help_reply(args, CLIENT_HELP)
        arity = SUBCOMMANDS[b"client"].get(sub.lower())
        if arity is None:
            return unknown_subcommand(args)
        if len(args) != arity and (arity > 0 or len(args) < -arity):
            return wrong_arity(b"client|" + sub.lower())
        if sub in (b"LIST", b"INFO", b"KILL", b"NO-EVICT"):
            return getattr(self, "client_" + sub.lower().replace(b"-", b"_").decode())(
                args, session)
        if sub == b"ID":
            return b":%d\r\n" % (session.id if session else 0)
        if sub == b"GETNAME":
            return encode_bulk(session.name if session else None)
        if sub == b"SETNAME":
            if _bad_client_name(args[2]):
                return CLIENT_NAME_ERROR
            if session is not None:
                session.name = args[2] or None
            return OK
        # SETINFO LIB-NAME|LIB-VER value (Redis 7.2): checked as Redis checks
        # it -- both words as C strings, up to a NUL -- then noted, not kept.
        attribute = _c_string(args[2])
        if attribute.lower() not in (b"lib-name", b"lib-ver"):
            return encode_error(b"ERR Unrecognized option '%s'" % attribute)
        if _bad_client_name(_c_string(args[3])):
            return encode_error(b"ERR %s cannot contain spaces, newlines or special characters."
                                % attribute)
        return OK


# Every command: (name, arity).  The function is Store.cmd_<name>.
COMMANDS = [
    ("ping", -1), ("echo", 2), ("get", 2), ("set", -3), ("del", -2), ("unlink", -2),
    ("exists", -2), ("incr", 2), ("decr", 2), ("incrby", 3), ("decrby", 3),
    ("mget", -2), ("mset", -3), ("keys", 2), ("dbsize", 1), ("flushdb", -1),
    ("flushall", -1), ("select", 2), ("expire", -3), ("pexpire", -3), ("ttl", 2),
    ("pttl", 2), ("persist", 2), ("quit", -1), ("hello", -1), ("command", -1),
    ("config", -2), ("client", -2),
    ("strlen", 2), ("append", 3), ("getrange", 4), ("substr", 4), ("setrange", 4),
    ("incrbyfloat", 3), ("getdel", 2), ("getex", -2), ("getset", 3), ("setnx", 3),
    ("setex", 4), ("psetex", 4), ("msetnx", -3), ("scan", -2), ("type", 2),
    ("rename", 3), ("renamenx", 3), ("copy", -3),
    ("multi", 1), ("exec", 1), ("discard", 1), ("watch", -2), ("unwatch", 1),
    ("expireat", -3), ("pexpireat", -3), ("expiretime", 2), ("pexpiretime", 2), ("touch", -2),
    ("randomkey", 1), ("info", -1),
]

#: INFO's sections, in Redis's order (each a ``Store._info_<name>``).
INFO_SECTIONS = [b"server", b"clients", b"memory", b"stats", b"replication", b"keyspace"]
#: The version of Redis whose replies these are: INFO's ``redis_version``
#: (as Dragonfly and KeyDB give the one they follow), which clients read
#: to tell what the server can do.
REDIS_VERSION = "7.0.15"


def _resident_memory():
    """The bytes of memory this process holds (its resident set), or 0 if
    unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        if resource is None:                # pragma: no cover - not POSIX
            return 0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss     # (not Linux: the peak)
        return peak if sys.platform == "darwin" else peak * 1024


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _human_bytes(n):
    """``n`` bytes as Redis's INFO spells them: 512B, 1.91M, 23.54G."""
    for unit, size in (("B", 1), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40),
                       ("P", 1 << 50)):
        if n < size << 10:
            return "%dB" % n if unit == "B" else "%.2f%s" % (n / size, unit)
    return "%dB" % n

#: The commands that run at once after MULTI, not queued.
RUN_IN_MULTI = frozenset([b"multi", b"exec", b"discard", b"watch", b"quit", b"reset"])


def _resp3(session):
    return session is not None and session.protocol == 3


def _null(session):
    """How ``session`` spells a nil: ``$-1`` (RESP2) or ``_`` (RESP3)."""
    return NULL if session is not None and session.protocol == 3 else NIL


def _bad_client_name(name):
    return any(c < 0x21 or c > 0x7e for c in name)


# ================================================================ errors, as Redis words them

CLIENT_NAME_ERROR = encode_error("ERR Client names cannot contain spaces, newlines "
                                 "or special characters.")


def _c_string(data):
    """``data`` as Redis quotes it in an error (C's ``%s``): up to its first NUL byte."""
    return data.partition(b"\0")[0]


def unknown_command(args):
    shown = b""
    for arg in args[1:]:
        if len(shown) >= 128:
            break
        shown += b"'%s' " % _c_string(arg)[:128 - len(shown)]
    return encode_error(b"ERR unknown command '%s', with args beginning with: %s"
                        % (_c_string(args[0])[:128], shown))


# What ``CLIENT|CONFIG|COMMAND HELP`` answer -- the advice of every "unknown
# subcommand" error: Redis 7.0's lines for the subcommands we have, word for word.
CLIENT_HELP = [
    "GETNAME", "    Return the name of the current connection.",
    "ID", "    Return the ID of the current connection.",
    "INFO", "    Return information about the current client connection.",
    "KILL <ip:port>", "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "SETNAME <name>", "    Assign the name <name> to the current connection.",
    "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
]
CONFIG_HELP = [
    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
    "RESETSTAT", "    Reset statistics reported by the INFO command.",
]
COMMAND_HELP = [
    "(no subcommand)", "    Return details about all Redis commands.",
    "COUNT", "    Return the total number of commands in this Redis server.",
    "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
]


# ================================================================ SCAN's cursor

class ScanOrder:
    """The order SCAN walks the keys in, and what its cursor means.

    Every key is noted when it is created (``add``, called by the store
    before the key is in ``data``): ``keys`` in order of creation,
    ``serials`` their numbers, 1, 2, 3 ... never reused.  SCAN walks them
    newest first, and its cursor is the serial to go on below (0: from
    the newest).  A key there for a whole iteration keeps its entry, and
    the cursor only moves down: the key is returned, at least once --
    Redis's promise.  (A key deleted and created again has two entries:
    one reply names it once, but two calls may both return it; Redis too
    may repeat a key.)  The keys created during an iteration are above
    where it began: it ends, however fast keys come and go, as Redis's
    does while the number of keys stays bounded.

    Deleting a key costs nothing here: ``walk`` skips its entry, and the
    entries of deleted keys (those of a key made again too) are dropped
    once they outnumber the keys by 64 (``add``): a key made again and
    again is returned twice or so in an iteration, not once per past life
    since the last compaction.  So this costs two machine words a key,
    and ``walk`` finds a cursor's place by bisection.
    """

    def __init__(self, data):
        self.data = data            # the store's keys (a dict)
        self._serial = count(1)     # the serials to give
        self.clear()

    def clear(self):
        """Forget every key (FLUSHALL); serials are not reused."""
        self.keys = []
        self.serials = array("q")   # increasing; serials[i] is keys[i]'s

    def add(self, key):
        """Note ``key``, a new key."""
        if len(self.keys) >= 2 * len(self.data) + 64:      # half of them deleted keys
            self._compact()
        self.keys.append(key)
        self.serials.append(next(self._serial))

    def _compact(self):
        """Keep each key's last entry, for the keys there are now.  (At
        least as many entries are dropped as kept: O(1) work an entry.)"""
        data, seen, kept = self.data, set(), []
        for i in range(len(self.keys) - 1, -1, -1):
            key = self.keys[i]
            if key in data and key not in seen:
                seen.add(key)
                kept.append(i)
        kept.reverse()
        self.keys = [self.keys[i] for i in kept]
        self.serials = array("q", [self.serials[i] for i in kept])

    def pick(self, alive):
        """A key picked at random, one for which ``alive(key)`` holds (the
        store's ``get``, which drops an expired key), or None.  At least a
        third of the entries are keys there when there are 64 keys or
        more (``add``): a few draws find one; below, all are looked at."""
        for _ in range(16):
            if not self.keys:
                return None
            key = self.keys[random.randrange(len(self.keys))]
            if key in self.data and alive(key) is not None:
                return key
        keys = [key for key in list(self.data) if alive(key) is not None]
        return random.choice(keys) if keys else None

    def walk(self, cursor, count):
        """The entries below ``cursor``, newest first, up to ``count`` of
        keys still there, looking at ten times that many entries at most
        (as Redis looks at ten times COUNT buckets): their keys, each
        once, and the next cursor (0 after the oldest)."""
        data, keys = self.data, self.keys
        i = (len(keys) if cursor == 0 else bisect_left(self.serials, cursor)) - 1
        stop = max(i - 10 * count, -1)
        found, seen = [], set()
        while i > stop and len(found) < count:
            key = keys[i]
            if key in data and key not in seen:     # (a key made again: its older entries)
                seen.add(key)
                found.append(key)
            i -= 1
        return found, (self.serials[i] + 1 if i >= 0 else 0)


# ================================================================ the server

def default_maxclients():
    """Redis's ``maxclients``: 10000, or fewer if the process may not open
    that many descriptors (``ulimit -n``) -- that limit less 32."""
    if resource is None:                # pragma: no cover - not POSIX
        return MAXCLIENTS
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return MAXCLIENTS
    return max(1, min(MAXCLIENTS, soft - RESERVED_FDS))


def serve_client(store, maxclients=None):
    """The ``tcp_server`` handler: answer one client until it leaves.  A
    client beyond ``maxclients`` at once (None: ``default_maxclients()``,
    as Redis counts) gets ``-ERR max number of clients reached`` and is
    closed."""
    if maxclients is None:
        maxclients = default_maxclients()
    if type(maxclients) is not int or maxclients < 1:
        raise ValueError("maxclients must be an int >= 1, got %r" % (maxclients,))
    connected = [0]                     # clients being served now
    execute = store.execute
    # Commands spelled in capitals with a good arity are run from the
    # store's table right here, not through execute(): a Python call less a
    # command.  A store whose execute() is its own goes through it always.
    # MULTI always goes through execute(), and so, until EXEC or DISCARD,
    # does every command after it (execute() queues them); so do SUBSCRIBE
    # and PSUBSCRIBE, and every command while subscribed (execute() checks
    # what a RESP2 subscriber may send).
    table = {}
    if type(store).execute is Store.execute:
        table = {name: entry for name, entry in store.commands.items()
                 if name not in (b"MULTI", b"SUBSCRIBE", b"PSUBSCRIBE")}
    queueing = {}.get

    def client(stream, address):
        # The read and write traps on the socket itself: the Stream's
        # buffer is not needed (the parser keeps what is incomplete), and
        # each call it would add costs a generator.
        sock = stream.sock
        if connected[0] >= maxclients:
            store.rejected_connections += 1
            try:
                yield write(sock, MAXCLIENTS_REACHED)
            except ConnectionError:
                pass
            return
        connected[0] += 1
        store.connections_received += 1
        feed = RequestParser().feed
        lookup = run_here = table.get
        session = Session()
        session.sock = sock
        _describe(session, sock, address, store.clock())
        store.sessions[session.id] = session
        clock = store.clock
        ready = store.ready
        pending = []                    # what came while blocked: read next
        try:
            while True:
                if pending:
                    data = b"".join(pending)
                    del pending[:]
                elif session.subscriber is None:
                    data = yield read(sock, 65536)
                else:                   # subscribed: the messages published meanwhile too
                    data = yield receive(session, sock)
                if not data:
                    return
                last = None
                try:
                    commands = feed(data)
                except ProtocolError as error:
                    # The commands before the bad bytes are answered, then
                    # the error (latin-1: a byte quoted in the message goes
                    # out as itself, as Redis sends it), then we hang up.
                    commands = error.commands
                    last = encode_error(("ERR " + str(error)).encode("latin-1"))
                # CLIENT LIST's idle and cmd, INFO's count: once a batch.
                session.last = clock()
                if commands:
                    session.last_args = commands[-1]
                    store.commands_processed += len(commands)
                # The whole batch is answered with one write -- or one per
                # FLUSH_AT bytes of replies, so that a batch of GETs of big
                # values does not pile up in memory.  Nothing runs after a
                # QUIT, not even ``last``.
                replies = []
                size = 0
                for args in commands:
                    entry = lookup(args[0])
                    if entry is not None and (len(args) == entry[1] or 0 > entry[1] >= -len(args)):
                        try:
                            reply = entry[0](args, session)     # execute(), inlined
                        except WrongType:
                            reply = WRONGTYPE
                        if reply is NIL and session.protocol == 3:
                            reply = NULL
                        if ready:
                            store.serve_blocked()
                    else:
                        reply = execute(args, session)
                        lookup = run_here if session.queue is None and \
                            session.subscriber is None else queueing
                    if not reply:               # BLOCKED: wait, then answer
                        if replies:
                            yield write(sock, b"".join(replies))
                            replies = []
                            size = 0
                        reply = yield from _wait_unblocked(store, session, sock, pending)
                        if reply is None:
                            return              # the client left while blocked
                    replies.append(reply)
                    size += len(reply)
                    if size >= FLUSH_AT:
                        yield write(sock, b"".join(replies))
                        replies = []
                        size = 0
                    if session.closing:
                        break
                else:
                    if last is not None:
                        replies.append(last)
                if replies:
                    yield write(sock, b"".join(replies))
                if session.closing or last is not None:
                    return
        except ConnectionError:
            return                      # the client went away mid-reply: nothing to tell it
        finally:
            connected[0] -= 1
            store.forget_client(session)
    return client


def _describe(session, sock, address, now):
    """Note what CLIENT LIST shows of a new connection (a Unix socket's
    client, unbound, by the server's path, as Redis names it)."""
    session.addr = peer_name(address)
    try:
        session.laddr = peer_name(sock.getsockname())
        session.fd = sock.fileno()
    except OSError:                     # (gone already: its first read ends it)
        pass
    if not address:
        session.addr = session.laddr
    session.unix = sock.family == getattr(socket, "AF_UNIX", None)
    session.started = session.last = now


def _wait_unblocked(store, session, sock, pending):
    """A client blocked (BLPOP ...): wait until the store serves its
    ``session.blocked`` Waiter, or its timeout passes, and return the reply;
    None if the client left meanwhile (it is forgotten).  What it sends
    meanwhile goes to ``pending``, to be run after, as Redis does; the
    messages published to it meanwhile (a RESP3 subscriber) are written."""
    waiter = session.blocked
    waiter.event = event = Event()
    while waiter.reply is None:
        subscriber = session.subscriber
        if subscriber is not None:
            yield from flush(subscriber, sock)
        branches = [event.wait(), read(sock, 65536)]
        if waiter.deadline is not None:
            branches.append(sleep(max(0.0, waiter.deadline - store.clock())))
        if subscriber is not None:
            subscriber.wake.clear()
            branches.append(subscriber.wake.wait())
        try:
            index, data = yield select(*branches)
        except ConnectionError:
            index, data = 1, b""
        if subscriber is not None and index == len(branches) - 1:
            continue                    # messages: written at the loop's top
        if waiter.reply is not None:
            if index == 1:
                pending.append(data)    # (b"": the next read sees the end too)
            break
        if index == 1:
            pending.append(data)
            if not data or sum(map(len, pending)) > QUERY_BUFFER_LIMIT:
                store.unblock(waiter)       # gone, or sending without end: hung up on
                return None
        elif index == 2 and store.clock() >= waiter.deadline:
            store.unblock(waiter)
            return NULL if session.protocol == 3 else NIL_ARRAY
    return waiter.reply


def expire_keys(store, interval=SWEEP_INTERVAL):
    """Background task: drop expired keys nobody touches.

    One ``sweep()`` every ``interval``, and, as Redis's active expiry
    does, another soon while more than a quarter of the keys a sweep
    looked at had expired -- ``SWEEP_PAUSE`` after, the clients served
    meanwhile: a million keys expiring together are gone in about two
    seconds, and no sweep holds the server more than a few
    milliseconds.  Only keys with a deadline are looked at: a key
    among a million without one is dropped within ``interval`` of its
    deadline, and an idle database costs the same however many keys
    without a deadline it holds."""
    while True:
        yield sleep(interval)
        store.tick()                    # (OBJECT IDLETIME's clock, as Redis's serverCron)
        while store.sweep(SWEEP_KEYS) * 4 > SWEEP_KEYS:
            yield sleep(SWEEP_PAUSE)


def kv_server(host, port, store=None, ready=None, maxclients=None, **options):
    """``yield kv_server(host, port, store=None, ready=None, maxclients=None,
    **options)``: serve ``store`` (a new ``Store`` by default) until
    cancelled, with the task that drops expired keys beside it.
    ``maxclients``: as ``serve_client``'s.  ``ready`` and ``options``
    (``ssl=``, ``backlog=`` ...) are ``tcp_server``'s."""
    if store is None:
        store = Store()
    handler = serve_client(store, maxclients)       # (a bad maxclients: before it listens)
    sweeper = yield spawn(expire_keys(store), name="kv expiry")
    try:
        yield tcp_server(host, port, handler, ready=ready, **options)
    finally:
        yield cancel(sweeper)
