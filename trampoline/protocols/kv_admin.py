"""What operators and client libraries ask ``kv.Store`` about itself:
OBJECT, SORT and SORT_RO, and CLIENT LIST, INFO, KILL and NO-EVICT.

``AdminCommands`` is a mixin of ``Store``, like ``Collections``: its
``cmd_<name>`` methods take the arguments and return the encoded reply,
listed with their Redis arities in ``ADMIN_COMMANDS``; CLIENT's other
subcommands are ``kv.Store.cmd_client``'s, which hands these here.
Replies and errors are Redis 7.0.15's, word for word.

OBJECT ENCODING answers what Redis 7.0 would for the value's kind and
size with its default thresholds (``encoding``): ``int``, ``embstr`` or
``raw`` for a string (``raw`` once APPEND or SETRANGE grew it, as in
Redis), ``quicklist`` for any list (7.0 has no small-list listpack),
``listpack`` or ``hashtable`` for a hash, ``intset`` or ``hashtable`` for a
set, ``listpack`` or ``skiplist`` for a sorted set.  It is read from the
value as it is now: Redis never converts a hash, set or sorted set back
to the small encoding once it has outgrown it, so after deletions it may
say ``hashtable`` where we say ``listpack``.  REFCOUNT answers Redis's
2147483647 for the integers 0..9999 Redis shares, 1 otherwise.  IDLETIME
answers the whole seconds since the key was last read or written (by a
command that uses it: not EXISTS, TYPE, TTL, OBJECT, SCAN, KEYS,
RANDOMKEY or WATCH, as in Redis), from ``Store.accessed``: one dict store
a key used, on a clock the server's sweeper reads ten times a second (and
``Store.execute`` once a command), as Redis's serverCron.  Redis keeps it in
the value, and a small integer's is shared by every key that holds that
integer (one object): here each key has its own.  FREQ answers Redis's
error under its default policy.

CLIENT LIST and INFO give Redis 7.0's fields in its order, so that a
library parsing them finds each one.  Real here: id, addr, laddr, fd,
name, age, idle (since the client's last batch of commands), flags
(``N``, or ``P`` subscribed, ``x`` in MULTI, ``b`` blocked, ``d`` a
watched key changed, ``c`` closing after the reply, ``U`` a Unix socket,
``e`` NO-EVICT), db, sub, psub, multi, omem (a subscriber's messages not
yet written), events, cmd (the last command of the client's last batch),
user, resp.  Not measured, given as 0 (or Redis's constants): ssub, qbuf,
qbuf-free, argv-mem, multi-mem, rbs, rbp, obl, oll, tot-mem, redir.
CLIENT KILL shuts the target's socket down (its task wakes to an end of
file and closes it) and forgets it at once -- its subscriptions, its
wait, its watched keys -- as Redis frees it; nothing else is disturbed.

SORT sorts stably: equal ALPHA weights (BY) keep the elements' order,
as glibc's qsort does for Redis -- but with LIMIT Redis sorts a part
only (a quicksort) and may order them otherwise.  ALPHA compares bytes:
Redis's strcoll in the C locale.  A weight is read as strtod reads it,
ERANGE refused (an inexact subnormal too; an exact hexadecimal one is
taken).  Redis tests an errno it does not clear first: after one weight
out of range it may refuse good ones until something else sets errno;
we do not.

What it must never do: wait (these touch only dicts), or look a
pattern's key up more often than Redis does (BY: once an element, GET:
once an element returned).
"""

import socket
from collections import deque
from fractions import Fraction

from .kv_numbers import NOT_AN_INTEGER, SYNTAX_ERROR, to_int, wrong_arity
from .kv_types import SMALL_LIST, ZSet, WrongType, _score_bound, _set_order
from .resp import NIL, NULL, OK, encode_array, encode_bulk, encode_error

__all__ = ["AdminCommands", "encoding", "ADMIN_COMMANDS"]

#: Redis 7.0's defaults: the longest string kept with its object header
#: (``embstr``); a hash of at most 512 fields, and a sorted set of at most
#: 128 members, none longer than 64 bytes, in a listpack; a set of at most
#: 512 integers in an intset.
EMBSTR_LIMIT, SMALL_HASH, SMALL_ZSET, SMALL_VALUE, SMALL_INTSET = 44, 512, 128, 64, 512
#: Redis shares the integers 0..9999 (``OBJ_SHARED_INTEGERS``): their
#: REFCOUNT is ``OBJ_SHARED_REFCOUNT``.
SHARED_INTEGERS, SHARED_REFCOUNT = 10000, 2147483647
INFINITY, LEAST_NORMAL = float("inf"), 2.2250738585072014e-308

NOT_LFU = encode_error("ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime "
                       "LRU and LFU data will take some time to adjust.")
NOT_A_DOUBLE = encode_error("ERR One or more scores can't be converted into double")
NO_SUCH_CLIENT = encode_error("ERR No such client")

OBJECT_HELP = [
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
]

#: The subcommands of the commands that have some (Redis's "container"
#: commands) and their Redis arities: what CLIENT LIST's ``cmd`` names,
#: ``client|list``, and what ``subcommand_error`` checks before a
#: subcommand is queued in MULTI or refused to a subscriber.
SUBCOMMANDS = {
    b"client": {b"setname": 3, b"getname": 2, b"setinfo": 4, b"id": 2, b"list": -2,
                b"info": 2, b"kill": -3, b"no-evict": 3, b"help": 2},
    b"config": {b"get": -3, b"resetstat": 2, b"help": 2},
    b"command": {b"docs": -2, b"count": 2, b"info": -2, b"help": 2},
    b"object": {b"encoding": 3, b"refcount": 3, b"idletime": 3, b"freq": 3, b"help": 2},
    b"pubsub": {b"channels": -2, b"numsub": -2, b"numpat": 2, b"shardchannels": -2,
                b"shardnumsub": -2, b"help": 2},
}
#: CLIENT LIST's and KILL's TYPE names (Redis's ``getClientTypeByName``).
CLIENT_TYPES = (b"normal", b"slave", b"replica", b"pubsub", b"master")


def encoding(value):
    """What OBJECT ENCODING answers for ``value`` (see the module's essay)."""
    kind = type(value)
    if kind is bytes:
        if to_int(value) is not None:
            return b"int"
        return b"embstr" if len(value) <= EMBSTR_LIMIT else b"raw"
    if kind is bytearray:
        return b"raw"
    if kind is list or kind is deque:
        return b"quicklist"
    if kind is set:
        small = len(value) <= SMALL_INTSET and all(to_int(m) is not None for m in value)
        return b"intset" if small else b"hashtable"
    if kind is dict:
        small = len(value) <= SMALL_HASH and all(
            len(field) <= SMALL_VALUE and len(item) <= SMALL_VALUE
            for field, item in value.items())
        return b"listpack" if small else b"hashtable"
    small = len(value) <= SMALL_ZSET and all(len(m) <= SMALL_VALUE for m in value.scores)
    return b"listpack" if small else b"skiplist"


def _sort_score(data):
    """A SORT weight as Redis reads it -- C's strtod over the whole string
    (up to a NUL), ERANGE and NaN refused -- or None."""
    data = data.partition(b"\0")[0]
    if data[:1] == b"(":
        return None                     # (_score_bound's exclusion mark, not strtod's)
    bound = _score_bound(data)
    if bound is None:
        return None
    value = bound[0]
    text = data.strip().lower().lstrip(b"+-")
    if value in (INFINITY, -INFINITY) and b"inf" not in text:
        return None                     # beyond the greatest double: ERANGE
    if value == 0:
        digits = text[2:].partition(b"p")[0] if text[:2] == b"0x" else text.partition(b"e")[0]
        if digits.strip(b"0."):
            return None                 # below the least double: ERANGE
    elif abs(value) < LEAST_NORMAL and not (text[:2] == b"0x" and _exact_hex(text, value)):
        return None                     # an inexact subnormal result: ERANGE too (glibc)
    return value


def _exact_hex(text, value):
    """Whether the hexadecimal float ``text`` (``0x...``, no sign) is ``value`` exactly."""
    digits, _, exponent = text[2:].partition(b"p")
    whole, _, fraction = digits.partition(b".")
    number = Fraction(int(whole + fraction or b"0", 16))
    return number * Fraction(2) ** (int(exponent or b"0") - 4 * len(fraction)) \
        == Fraction(abs(value))


def _lookup(store, pattern, element):
    """Redis's ``lookupKeyByPattern``: ``#`` is ``element``; otherwise the
    first ``*`` of ``pattern`` replaced by it names a string key, or, with
    ``->field`` after, a hash's field: its value, or None.  Redis looks for
    the ``#``, the ``*`` and the ``->`` as C strings, up to a NUL: one after
    a NUL is a byte of the key's (or the field's) name."""
    head = pattern.partition(b"\0")[0]
    if head == b"#":
        return element
    star = head.find(b"*")
    if star < 0:
        return None
    arrow = head.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(head):
        field, pattern = pattern[arrow + 2:], pattern[:arrow]
    value = store.read(pattern[:star] + element + pattern[star + 1:])   # (a hit or a miss)
    if value is None:
        return None
    if field is not None:
        return value.get(field) if type(value) is dict else None
    return value if type(value) is bytes or type(value) is bytearray else None


def peer_name(address):
    """An address as Redis writes it: ``ip:port``, ``[ipv6]:port``, ``path:0``."""
    if isinstance(address, tuple):
        host, port = address[:2]
        return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
    if isinstance(address, bytes):
        address = address.decode("latin-1")
    return "%s:0" % (address or "")


def command_name(args):
    """What CLIENT LIST's ``cmd`` calls the command ``args``: its name in
    lower case, ``client|list`` for a subcommand, NULL if unknown."""
    if not args:
        return b"NULL"
    name = args[0].lower()
    subcommands = SUBCOMMANDS.get(name)
    if subcommands is None or len(args) < 2:
        return name
    sub = args[1].lower()
    return name + b"|" + sub if sub in subcommands else b"NULL"


class AdminCommands:
    """OBJECT, SORT, SORT_RO, and CLIENT LIST|INFO|KILL|NO-EVICT (mixed into ``Store``)."""

    # ---------------------------------------------------------- OBJECT

    def cmd_object(self, args, session):
        """``OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key`` or ``OBJECT HELP``."""
        sub = args[1].lower()
        if sub == b"help":
            return help_reply(args, OBJECT_HELP)
        if sub not in SUBCOMMANDS[b"object"]:
            return unknown_subcommand(args)
        if len(args) != 3:
            return wrong_arity(b"object|" + sub)
        value = self.peek(args[2])             # (it leaves the idle time to go on)
        if value is None:
            return NULL if session is not None and session.protocol == 3 else NIL
        if sub == b"encoding":
            return encode_bulk(encoding(value))
        if sub == b"refcount":
            number = to_int(value) if type(value) is bytes else None
            shared = number is not None and 0 <= number < SHARED_INTEGERS
            return b":%d\r\n" % (SHARED_REFCOUNT if shared else 1)
        if sub == b"idletime":
            # (On the clock the accesses were noted on: a key used earlier
            # in this batch is idle 0, as in Redis, whose clock is cached too.)
            return b":%d\r\n" % max(0, self.lru_clock - self.accessed.get(args[2],
                                                                         self.lru_clock))
        return NOT_LFU

    # ---------------------------------------------------------- SORT

    def cmd_sort(self, args, session):
        """``SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
        [ASC|DESC] [ALPHA] [STORE destination]``: the elements of a list,
        set or sorted set, sorted by their value as a double, or as bytes
        (ALPHA), or by the keys (hash fields: ``*->field``) ``pattern``
        names (``nosort``: no sorting); or what the GET patterns name for
        each (``#``: the element).  STORE: a list, stored; its length."""
        return self._sort(args, session, False)

    def cmd_sort_ro(self, args, session):
        """``SORT_RO key ...``: SORT without STORE."""
        return self._sort(args, session, True)

    def _sort(self, args, session, readonly):
        desc = alpha = dontsort = False
        start, count = 0, -1
        by = store = None
        gets = []
        i = 2
        while i < len(args):                    # the options, as Redis parses them
            option, left = args[i].lower(), len(args) - i - 1
            if option == b"asc":
                desc = False
            elif option == b"desc":
                desc = True
            elif option == b"alpha":
                alpha = True
            elif option == b"limit" and left >= 2:
                start, count = to_int(args[i + 1]), to_int(args[i + 2])
                if start is None or count is None:
                    return NOT_AN_INTEGER
                i += 2
            elif option == b"store" and left >= 1 and not readonly:
                store = args[i + 1]
                i += 1
            elif option == b"by" and left >= 1:
                by = args[i + 1]
                dontsort = b"*" not in by.partition(b"\0")[0]
                i += 1
            elif option == b"get" and left >= 1:
                gets.append(args[i + 1])
                i += 1
            else:
                return SYNTAX_ERROR
            i += 1
        value = self.read(args[1])
        kind = type(value)
        if value is not None and kind not in (list, deque, set, ZSet):
            raise WrongType()
        if dontsort and kind is set and store is not None:
            dontsort, alpha, by = False, True, None     # (a set's order is its hash table's)
        size = 0 if value is None else len(value)
        start = max(start, 0)
        end = size - 1 if count < 0 else min(start + count - 1, size - 1)
        if start >= size:
            start, end = size - 1, size - 2
        if value is None:
            elements = []
        elif kind is ZSet:
            elements = [member for _, member in value.order]
        elif kind is set:
            elements = _set_order(value)
        else:
            elements = list(value)
        if not dontsort:
            error = self._sorted(elements, by, alpha, desc)
            if error is not None:
                return error
        elif desc and kind is not set:          # (BY nosort DESC: a list or a sorted set reversed)
            elements.reverse()
        elements = elements[start:end + 1]
        if gets:
            found = [_lookup(self, pattern, element) for element in elements
                     for pattern in gets]
        else:
            found = elements
        if store is None:
            return encode_array(found, NULL if session is not None and session.protocol == 3
                                else NIL)
        stored = [b"" if item is None else bytes(item) for item in found]
        return self._store(store, deque(stored) if len(stored) > SMALL_LIST else stored)

    def _sorted(self, elements, by, alpha, desc):
        """Sort ``elements`` in place, as Redis's ``sortCompare``; the error
        to answer if a weight is not a double, else None."""
        weights = elements if by is None else [_lookup(self, by, e) for e in elements]
        if alpha:
            if by is None:
                elements.sort(reverse=desc)
                return None
            # A missing weight sorts first; equal weights keep their order.
            keys = [(w is not None, bytes(w) if w is not None else b"") for w in weights]
        else:
            keys = []
            for weight, element in zip(weights, elements):
                score = 0.0 if weight is None else _sort_score(weight)
                if score is None:
                    return NOT_A_DOUBLE
                keys.append((score, element))
        order = sorted(range(len(elements)), key=keys.__getitem__, reverse=desc)
        elements[:] = [elements[i] for i in order]
        return None

    # ---------------------------------------------------------- CLIENT

    def client_list(self, args, session):
        """``CLIENT LIST [TYPE type | ID id ...]``: a line per client."""
        sessions = list(self.sessions.values())
        if len(args) == 4 and args[2].lower() == b"type":
            kind = args[3].lower()
            if kind not in CLIENT_TYPES:
                return encode_error(b"ERR Unknown client type '%s'" % args[3].partition(b"\0")[0])
            sessions = [s for s in sessions if (kind == b"pubsub") == (s.subscriber is not None)
                        and kind in (b"normal", b"pubsub")]
        elif len(args) > 3 and args[2].lower() == b"id":
            wanted = []
            for word in args[3:]:
                number = to_int(word)
                if number is None:
                    return encode_error("ERR Invalid client ID")
                if number in self.sessions:
                    wanted.append(self.sessions[number])
            sessions = wanted
        elif len(args) != 2:
            return SYNTAX_ERROR
        now = self.clock()
        text = b"".join(self.client_line(s, now, args if s is session else None) + b"\n"
                        for s in sessions)
        return _verbatim(text, session)

    def client_info(self, args, session):
        """``CLIENT INFO``: the calling client's line."""
        if session is None:
            return _verbatim(b"", session)
        return _verbatim(self.client_line(session, self.clock(), args) + b"\n", session)

    def client_line(self, session, now, current=None):
        """One client's line of CLIENT LIST (``current``: the command it is
        running, for the client asking)."""
        executing = session.executing           # (in EXEC: as in MULTI, cmd=exec)
        if executing:
            current = [b"exec"]
        flags = "".join(flag for flag, on in (
            ("P", session.subscriber is not None),
            ("x", session.queue is not None or executing),
            ("b", session.blocked is not None), ("d", session.dirty),
            ("c", session.closing), ("U", session.unix), ("e", session.no_evict)) if on) or "N"
        subscriber = session.subscriber
        line = ("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d "
                "psub=%d ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 "
                "rbp=0 obl=0 oll=0 omem=%d tot-mem=0 events=r cmd=%s user=default redir=-1 "
                "resp=%d") % (
            session.id, session.addr, session.laddr, session.fd,
            (session.name or b"").decode("latin-1"), int(now - session.started),
            0 if current is not None else int(now - session.last),
            flags, len(subscriber.channels) if subscriber else 0,
            len(subscriber.patterns) if subscriber else 0,
            session.exec_size if executing else
            -1 if session.queue is None else len(session.queue),
            subscriber.size if subscriber else 0,
            command_name(current if current is not None else session.last_args)
            .decode("latin-1"), session.protocol)
        return line.encode("latin-1")

    def client_kill(self, args, session):
        """``CLIENT KILL addr:port``, or ``CLIENT KILL [ID id] [ADDR addr]
        [LADDR addr] [TYPE type] [USER name] [SKIPME yes|no] ...``: close
        those connections; OK (the old form), or how many."""
        addr = laddr = kind = None
        number = 0
        skipme = True
        if len(args) == 3:
            addr, skipme = args[2], False       # (the old form may kill its own client)
        else:
            i = 2
            while i < len(args):
                option, value = args[i].lower(), args[i + 1] if i + 1 < len(args) else None
                if value is None:
                    return SYNTAX_ERROR
                if option == b"id":
                    number = to_int(value)
                    if number is None or number < 1:
                        return encode_error("ERR client-id should be greater than 0")
                elif option == b"type":
                    kind = value.lower()
                    if kind not in CLIENT_TYPES:
                        return encode_error(b"ERR Unknown client type '%s'"
                                            % value.partition(b"\0")[0])
                elif option == b"addr":
                    addr = value
                elif option == b"laddr":
                    laddr = value
                elif option == b"user":
                    if value != b"default":
                        return encode_error(b"ERR No such user '%s'" % value.partition(b"\0")[0])
                elif option == b"skipme" and value.lower() in (b"yes", b"no"):
                    skipme = value.lower() == b"yes"
                else:
                    return SYNTAX_ERROR
                i += 2
        killed = 0
        for target in list(self.sessions.values()):
            if (addr is not None and target.addr.encode("latin-1") != addr) \
                    or (laddr is not None and target.laddr.encode("latin-1") != laddr) \
                    or (kind is not None and (kind not in (b"normal", b"pubsub") or (
                        kind == b"pubsub") != (target.subscriber is not None))) \
                    or (number and target.id != number) or (target is session and skipme):
                continue
            killed += 1
            if target is session:
                session.closing = True          # after this reply
            else:
                self.kill(target)
        if len(args) == 3:
            return OK if killed else NO_SUCH_CLIENT
        return b":%d\r\n" % killed

    def kill(self, target):
        """Close ``target``'s connection and forget it now, as Redis frees
        a client: its task wakes to an end of file and ends."""
        self.forget_client(target)
        if target.sock is not None:
            try:
                target.sock.shutdown(socket.SHUT_RDWR)
            except OSError:                     # already gone
                pass

    def forget_client(self, session):
        """Forget ``session``'s client (gone, or killed): its entry in CLIENT
        LIST, its blocking pop, its watches, its subscriptions."""
        self.sessions.pop(session.id, None)
        if session.blocked is not None:
            self.unblock(session.blocked)
        if session.watching:
            self.unwatch(session)
        if session.subscriber is not None:
            self.pubsub.forget(session)

    def client_no_evict(self, args, session):
        """``CLIENT NO-EVICT ON|OFF``: noted (the ``e`` flag); nothing is evicted here."""
        word = args[2].lower()
        if word not in (b"on", b"off"):
            return SYNTAX_ERROR
        if session is not None:
            session.no_evict = word == b"on"
        return OK


def help_reply(args, lines):
    """``<COMMAND> HELP``: status lines, framed as Redis frames them."""
    name = args[0].upper()
    if len(args) != 2:
        return wrong_arity(name.lower() + b"|help")
    lines = ([name.decode("latin-1") + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
             + lines + ["HELP", "    Prints this help."])
    return b"*%d\r\n%s" % (len(lines), b"".join(b"+%s\r\n" % line.encode() for line in lines))


def subcommand_error(args, name):
    """The error Redis answers, before running it, to the command ``args``
    (``name``: its name in lower case) if its subcommand is not one we have
    or has the wrong number of arguments -- or None."""
    subcommands = SUBCOMMANDS.get(name)
    if subcommands is None or len(args) < 2:
        return None
    sub = args[1].lower()
    arity = subcommands.get(sub)
    if arity is None:
        return unknown_subcommand(args)
    if len(args) != arity and (arity > 0 or len(args) < -arity):
        return wrong_arity(name + b"|" + sub)
    return None


def unknown_subcommand(args):
    return encode_error(b"ERR unknown subcommand '%s'. Try %s HELP."
                        % (args[1].partition(b"\0")[0][:128], args[0].upper()))


def _verbatim(text, session):
    """CLIENT LIST's and INFO's reply: a bulk string, in RESP3 a verbatim ``txt`` one."""
    if session is not None and session.protocol == 3:
        return b"=%d\r\ntxt:%s\r\n" % (len(text) + 4, text)
    return encode_bulk(text)


ADMIN_COMMANDS = [("object", -2), ("sort", -2), ("sort_ro", -2)]
