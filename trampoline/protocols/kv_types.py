"""Lists, hashes, sets and sorted sets for ``kv.Store``, and the blocking pops.

``Collections`` is a mixin of ``Store``: its ``cmd_<name>`` methods are
commands like the string ones (take the arguments, return the encoded
reply), listed with their Redis arities in ``COLLECTION_COMMANDS``.  The
values are plain Python objects in ``Store.data`` beside the strings
(bytes): a list is a Python ``list`` while it is short (``SMALL_LIST``),
a ``deque`` once longer, a hash a ``dict`` (insertion order, as
Redis's small hashes), a set a ``set``, a sorted set a ``ZSet``.  A
command used on a key of another type raises ``WrongType`` (the dispatch
answers ``-WRONGTYPE ...``); a collection left empty is deleted, as Redis
does.  Replies are Redis 7.0's: in RESP3 a set is ``~``, a map ``%``, a
score ``,``.

BLPOP, BRPOP, BLMOVE and BRPOPLPUSH on empty lists, BZPOPMIN and
BZPOPMAX on empty sorted sets, answer ``BLOCKED`` (the empty reply) and
leave a ``Waiter`` in ``Session.blocked``: ``serve_client`` then waits
for it to be served (``Store.serve_blocked``, run after each command that
pushed onto a key somebody waits for, or made it, as Redis does -- so
after a whole EXEC), for its timeout, or for its client to leave.
Waiters on a key are served in the order they came, those waiting for
the key's type; the others stay.
"""

import math
import random
import re
from bisect import bisect_left, insort
from collections import deque
from fractions import Fraction
from itertools import islice
from typing import Iterator, Tuple

from .kv_glob import scan_cursor, scan_options
from .kv_numbers import (INT_MAX, INT_MIN, NOT_AN_INTEGER, ONE, SYNTAX_ERROR, ZERO,
                         add_long_doubles, format_long_double, parse_long_double,
                         round_long_double, to_int, wrong_arity)
from .resp import EMPTY_ARRAY, NIL, NULL, OK, encode_array, encode_bulk, encode_error

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_POSITIVE = b"-ERR value is out of range, must be positive\r\n"
NOT_A_FLOAT = b"-ERR value is not a valid float\r\n"
#: What a blocking command answers when it must wait: ``Session.blocked`` holds the rest.
BLOCKED = b""


#: ZADD's flags (ZINCRBY reads them too: ``cmd_zincrby``).
_ZADD_FLAGS = (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR")


class WrongType(Exception):
    """A command met a key holding another type: ``-WRONGTYPE ...``."""


class ZSet:
    """A sorted set: ``scores`` (member -> float) and ``order``, the
    ``(score, member)`` pairs sorted as Redis sorts them."""

    __slots__ = ("scores", "order")

    def __init__(self):
        self.scores = {}
        self.order = []

    def __len__(self):
        return len(self.scores)

    def add(self, member, score):
        if score == 0:
            # -0 is 0: Redis keeps a small sorted set's scores as text in
            # a listpack, an integral one as an integer -- "0".
            score = 0.0
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return
            del self.order[bisect_left(self.order, (old, member))]
        self.scores[member] = score
        insort(self.order, (score, member))

    def remove(self, member):
        score = self.scores.pop(member)
        del self.order[bisect_left(self.order, (score, member))]

    def copy(self):
        other = ZSet()
        other.scores = dict(self.scores)
        other.order = list(self.order)
        return other


#: A list longer than this is a ``deque`` (O(1) at both ends), a shorter
#: one a Python ``list``: 56 bytes and 8 an element, where a deque takes
#: 600 even empty -- as Redis keeps a short list in a listpack.
SMALL_LIST = 128

#: A value's type -> what TYPE answers (and SCAN's TYPE matches).
TYPE_NAMES = {bytes: b"string", bytearray: b"string", list: b"list", deque: b"list",
              dict: b"hash", set: b"set", ZSet: b"zset"}
#: A value's type -> the kind ``_fetch`` is asked for: a list is either.
_KINDS = {list: deque, deque: deque, dict: dict, set: set, ZSet: ZSet}


def _pop_left(value):
    return value.pop(0) if type(value) is list else value.popleft()


def _push_left(value, items):
    if type(value) is list:
        value[0:0] = items[::-1]
    else:
        value.extendleft(items)


def copy_value(value):
    """A copy of ``value`` sharing nothing mutable with it (COPY)."""
    if type(value) is bytearray:
        return bytes(value)
    if type(value) is bytes:
        return value
    return value.copy()


def is_string(value):
    return type(value) is bytes or type(value) is bytearray


# ================================================================ numbers

_FLOAT = re.compile(rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                    rb"|(?i:inf|infinity))\Z")


def to_double(data):
    """The double ``data`` spells as C's strtod reads it whole (Redis's
    ``string2d``), or None; NaN is None too."""
    if not _FLOAT.match(data):
        if len(data) > 2 and data.lstrip(b"+-")[:2].lower() == b"0x":
            try:
                return float.fromhex(data.decode("ascii"))
            except (ValueError, OverflowError):     # (beyond the greatest double: ERANGE)
                return None
        return None
    value = float(data)
    if math.isinf(value) and b"n" not in data.lower():
        return None                     # beyond the greatest double: ERANGE
    if value == 0 and data.lstrip(b"+-.0").partition(b"e")[0].partition(b"E")[0].strip(b".0"):
        return None                     # below the least: ERANGE
    return value


def format_double(value):
    """``value`` as Redis 7.0 spells a score: ``%.17g``, inf, -inf."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def encode_double(value, resp3):
    text = format_double(value)
    return b",%s\r\n" % text if resp3 else b"$%d\r\n%s\r\n" % (len(text), text)


def _resp3(session):
    return session is not None and session.protocol == 3


def _null(session):
    return NULL if _resp3(session) else NIL


def _null_array(session):
    return NULL if _resp3(session) else b"*-1\r\n"


def _encode_set(members, session):
    """A set reply: ``~n`` in RESP3, an array in RESP2; integer sets in
    numeric order (as Redis's intsets), the others as they come."""
    members = _set_order(members)
    head = b"~%d\r\n" if _resp3(session) else b"*%d\r\n"
    return head % len(members) + b"".join(b"$%d\r\n%s\r\n" % (len(m), m) for m in members)


def _set_order(members):
    numbers = []
    for member in members:
        number = to_int(member)
        if number is None or len(numbers) >= 512:
            return list(members)
        numbers.append(number)
    return [b"%d" % number for number in sorted(numbers)]


def _index(data):
    """An index argument (LINDEX, LRANGE ...), or raise ``_Refused``."""
    number = to_int(data)
    if number is None:
        raise _Refused(NOT_AN_INTEGER)
    return number


#: The most members SRANDMEMBER, HRANDFIELD and ZRANDMEMBER pick with a
#: negative count (repeats allowed): a reply of 100 MB and more.  Redis
#: 7.0 has no limit -- ``HRANDFIELD h -9223372036854775807`` makes it
#: build a reply until it runs out of memory, serving nobody meanwhile.
MAX_PICKS = 2**24


def _check_picks(count):
    """Refuse a negative ``count`` beyond ``MAX_PICKS`` (``_Refused``)."""
    if count < -MAX_PICKS:
        raise _Refused(encode_error("ERR value is out of range, the most members picked "
                                    "with repeats is %d" % MAX_PICKS))


def _positive(data):
    number = to_int(data)
    if number is None or number < 0:
        raise _Refused(NOT_POSITIVE)
    return number


class _Refused(Exception):
    """A command's argument is bad: the reply is the error it carries."""

    def __init__(self, reply):
        Exception.__init__(self)
        self.reply = reply


def _refusing(method):
    """Answer the error a ``_Refused`` carries."""
    def command(self, args, session):
        try:
            return method(self, args, session)
        except _Refused as refused:
            return refused.reply
    command.__name__ = method.__name__
    command.__doc__ = method.__doc__
    return command


_STRTOD = re.compile(rb"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|"
                     rb"(?i:inf|infinity)|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                     rb"(?:[pP][+-]?[0-9]+)?)\Z")


def _score_bound(data):
    """A ZRANGE BYSCORE bound (``(1.5`` excludes) as ``(score, excluded)``,
    or None: read with C's strtod as Redis's ``zslParseRange`` reads it --
    leading spaces taken, nothing at all is 0 (but a sign or spaces
    alone are not a number), and only up to a NUL, as C reads a string."""
    data = data.partition(b"\0")[0]
    excluded = data[:1] == b"("
    if excluded:
        data = data[1:]
    if not data:
        return 0.0, excluded
    if not _STRTOD.match(data):
        return None
    text = data.strip()
    if b"x" in text.lower():
        try:
            value = float.fromhex(text.decode("ascii"))
        except OverflowError:           # beyond the greatest double: strtod's HUGE_VAL
            value = -math.inf if text[:1] == b"-" else math.inf
    else:
        value = float(text)
    return None if math.isnan(value) else (value, excluded)


def _lex_bound(data):
    """A ZRANGE BYLEX bound: ``-`` (below all), ``+`` (above all), ``[a``
    or ``(a`` as ``(member, excluded)``, or None."""
    if data == b"-" or data == b"+":
        return data
    if data[:1] in (b"[", b"("):
        return data[1:], data[:1] == b"("
    return None


def _range_bounds(low, high, by):
    """A BYSCORE or BYLEX range's two bounds, as the commands compare with
    them, and None -- or None, None and Redis's error for either."""
    if by == b"BYSCORE":
        low, high = _score_bound(low), _score_bound(high)
        error = b"-ERR min or max is not a float\r\n"
    else:
        low, high = _lex_bound(low), _lex_bound(high)
        error = b"-ERR min or max not valid string range item\r\n"
    if low is None or high is None:
        return None, None, error
    return low, high, None


def _above(item, bound):
    if bound == b"-":
        return True
    if bound == b"+":
        return False
    return item > bound[0] or (item == bound[0] and not bound[1])


def _below(item, bound):
    if bound == b"+":
        return True
    if bound == b"-":
        return False
    return item < bound[0] or (item == bound[0] and not bound[1])


def _lex_compare(low, high):
    """Redis's ``sdscmplex`` of two BYLEX bounds: -1, 0 or 1."""
    if low == high and low in (b"-", b"+"):
        return 0
    if low == b"-" or high == b"+":
        return -1
    if low == b"+" or high == b"-":
        return 1
    return (low[0] > high[0]) - (low[0] < high[0])


def _lex_run(order, low, high, rev=False):
    """The ``(score, member)`` pairs of ``order`` in the BYLEX range
    ``low`` to ``high``, found as Redis walks a small sorted set's
    listpack (``zzlFirstInLexRange`` and on): from the first member at
    least ``low`` -- none if it is beyond ``high`` -- on while members are
    at most ``high`` (``rev``: from the last at most ``high``, back while at
    least ``low``).  The same as all the members in range when the
    scores are equal -- BYLEX's use; with mixed scores, Redis's answer."""
    compared = _lex_compare(low, high)
    if not order or compared > 0 or (compared == 0 and (
            (low not in (b"-", b"+") and low[1]) or (high not in (b"-", b"+") and high[1]))):
        return []
    if not _above(order[-1][1], low) or not _below(order[0][1], high):
        return []
    size = len(order)
    if not rev:
        for i in range(size):
            if _above(order[i][1], low):
                if not _below(order[i][1], high):
                    return []
                end = i + 1
                while end < size and _below(order[end][1], high):
                    end += 1
                return order[i:end]
        return []
    for i in range(size - 1, -1, -1):
        if _below(order[i][1], high):
            if not _above(order[i][1], low):
                return []
            start = i
            while start > 0 and _above(order[start - 1][1], low):
                start -= 1
            return order[start:i + 1][::-1]
    return []


def _span(start, stop, size):
    """LRANGE's ``start`` and ``stop`` (negative from the end) as a Python
    range ``start, end`` (end excluded), maybe empty."""
    if start < 0:
        start = max(start + size, 0)
    if stop < 0:
        stop += size
    stop = min(stop, size - 1)
    if start > stop or start >= size:
        return 0, 0
    return start, stop + 1


# ================================================================ ZUNION, ZINTER

def _weighted(score, weight):
    """``weight * score``, 0 for NaN (inf x 0), as Redis."""
    value = weight * score
    return 0.0 if math.isnan(value) else value


def _aggregate(target, value, aggregate):
    """Redis's ``zunionInterAggregate``: SUM (inf + -inf is 0), MIN or MAX."""
    if aggregate == b"SUM":
        total = target + value
        return 0.0 if math.isnan(total) else total
    if aggregate == b"MIN":
        return value if value < target else target
    return value if value > target else target


def _by_size(sources, weights):
    """The sources with their weights, smallest first (as Redis sorts them:
    the order the weighted scores are added in)."""
    return sorted(zip(sources, weights), key=lambda pair: len(pair[0]))


def _union(sources, weights, aggregate):
    result = {}                             # type: dict
    for scores, weight in _by_size(sources, weights):
        for member, score in scores.items():
            value = _weighted(score, weight)
            if member in result:
                result[member] = _aggregate(result[member], value, aggregate)
            else:
                result[member] = value
    return result


def _intersection(sources, weights, aggregate):
    ordered = _by_size(sources, weights)
    (smallest, weight), others = ordered[0], ordered[1:]
    result = {}
    for member, score in smallest.items():
        value = _weighted(score, weight)
        for scores, other_weight in others:
            if member not in scores:
                break
            value = _aggregate(value, other_weight * scores[member], aggregate)
        else:
            result[member] = value
    return result


def _intersection_size(sources, limit):
    """How many members are in all of ``sources`` (up to ``limit`` if not 0)."""
    ordered = sorted(sources, key=len)
    found = 0
    for member in ordered[0]:
        if all(member in other for other in ordered[1:]):
            found += 1
            if found == limit:
                break
    return found


# ================================================================ HSCAN, SSCAN, ZSCAN

#: Redis keeps a hash of at most 512 entries, a sorted set of at most
#: 128, none longer than 64 bytes, in a listpack, and a set of at most 512
#: integers in an intset (its defaults): its SCAN commands answer those
#: whole, in their order, with the cursor 0.
SMALL_HASH, SMALL_ZSET, SMALL_VALUE, SMALL_INTSET = 512, 128, 64, 512
_PLACES = 2**63 - 1


def _small_encoding(value):
    """The members of ``value`` in the order Redis keeps them if it is
    small (a listpack or an intset in Redis), or None."""
    kind = type(value)
    if kind is set:
        if len(value) > SMALL_INTSET:
            return None
        numbers = [to_int(member) for member in value]
        if None in numbers:
            return None
        return [b"%d" % number for number in sorted(numbers)]
    if len(value) > (SMALL_HASH if kind is dict else SMALL_ZSET):
        return None
    if kind is dict:
        if any(len(field) > SMALL_VALUE or len(item) > SMALL_VALUE
               for field, item in value.items()):
            return None
        return list(value)
    if any(len(member) > SMALL_VALUE for member in value.scores):
        return None
    return [member for _, member in value.order]


class ScanSnapshots:
    """Where HSCAN, SSCAN and ZSCAN walk a large collection: each member
    has a place, its hash (as Redis walks its hash table by the members'
    hashes, in another way), and a call returns the ``count`` members of
    least place from ``cursor - 1`` on (with every other member of the
    last one's place); the next cursor is the next place + 1.

    The members sorted by place are kept for a few collections (``KEEP``),
    made again on each cursor 0 (an iteration begins) and when missing:
    so a call costs O(count + log n), a new iteration O(n log n).  A
    member there for a whole iteration is in every list made during it,
    and is returned exactly once -- a place depends on the member only;
    a member removed meanwhile is not returned (looked up each time); one
    added meanwhile may be or not, as Redis promises."""

    KEEP = 8

    def __init__(self):
        self.kept = {}              # id(collection) -> (collection, places, members)

    def walk(self, value, cursor, count):
        """``value``'s members from ``cursor`` on (those still there), and the next cursor."""
        members = value.scores if type(value) is ZSet else value
        kept = self.kept.pop(id(value), None)
        if kept is None or kept[0] is not value or cursor == 0:
            pairs = sorted((hash(member) & _PLACES, member) for member in members)
            kept = (value, [place for place, _ in pairs], [member for _, member in pairs])
            while len(self.kept) >= self.KEEP:
                del self.kept[next(iter(self.kept))]        # the least recently used
        self.kept[id(value)] = kept                         # (now the most recent)
        _, places, ordered = kept
        first = bisect_left(places, cursor - 1) if cursor else 0
        end = min(first + count, len(places))
        while 0 < end < len(places) and places[end] == places[end - 1]:
            end += 1                                        # (the last one's place whole)
        found = [member for member in ordered[first:end] if member in members]
        return found, (places[end] + 1 if end < len(places) else 0)


def _listpack_score(score):
    """A score as Redis keeps it in a small sorted set's listpack (its
    ``d2string``): an integer within 2**62 as one, otherwise ``%.17g``."""
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if abs(score) <= 4611686018427387904.0 and score == int(score):
        return b"%d" % int(score)
    return b"%.17g" % score


# ================================================================ blocking

class Waiter:
    """A client blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN or BZPOPMAX."""

    __slots__ = ("session", "keys", "left", "destination", "to_left", "deadline", "reply",
                 "event", "zset")

    def __init__(self, session, keys, left, destination, to_left, deadline, zset=False):
        self.session = session
        self.keys = keys                # the keys it waits on, in order
        self.zset = zset                # waits for a sorted set (BZPOPMIN, BZPOPMAX)
        self.left = left                # pops from the left (BLPOP, BLMOVE LEFT; BZPOPMIN)
        self.destination = destination  # BLMOVE: the key it pushes to; else None
        self.to_left = to_left
        self.deadline = deadline        # seconds on the store's clock, or None: for ever
        self.reply = None               # set when served (or timed out)
        self.event = None               # serve_client's Event, set when served


# ================================================================ the commands

class Collections:
    """The commands on lists, hashes, sets and sorted sets (mixed into ``Store``)."""

    # ---------------------------------------------------------- lookups

    def _fetch(self, key, kind):
        """``key``'s value if it is of type ``kind``, None if there is no
        such key; ``WrongType`` if it is another type."""
        value = self.data.get(key)
        if value is None:
            return None
        if key in self.expires:
            value = self.get(key)               # (it notes the access)
            if value is None:
                return None
        else:
            self.accessed[key] = self.lru_clock     # OBJECT IDLETIME: used now (Store.get)
        if _KINDS.get(type(value)) is not kind:
            raise WrongType()
        return value

    def _read(self, key, kind):
        """``_fetch`` for a read command: a keyspace hit or miss counted
        (``Store.read``), before the type is checked, as Redis counts."""
        value = self.data.get(key)
        if value is not None and key in self.expires:
            value = self.get(key)
        if value is None:
            self.keyspace_misses += 1
            return None
        self.keyspace_hits += 1
        self.accessed[key] = self.lru_clock     # OBJECT IDLETIME: used now (Store.get)
        if _KINDS.get(type(value)) is not kind:
            raise WrongType()
        return value

    def _create(self, key, kind):
        """``key``'s value of type ``kind``, a new empty one stored if there is none."""
        value = self._fetch(key, kind)
        if value is None:
            value = kind()
            self.put(key, value)
        return value

    def _grown(self, key, value):
        """``key``'s list ``value`` after a push: a deque if it has grown long."""
        if type(value) is list and len(value) > SMALL_LIST:
            value = self.data[key] = deque(value)
        return value

    def _changed(self, key, value):
        """``key``'s collection ``value`` changed: watchers told; deleted if empty."""
        if not value:
            self.delete(key)
        elif self.watchers:
            self.touch(key)

    def _store(self, key, value):
        """Put the collection ``value`` under ``key`` in place of whatever
        was there, its time to live gone -- or, if ``value`` is empty,
        delete ``key`` (Redis's ``setKey`` / ``dbDelete``); its size, as a reply."""
        if value:
            self.put(key, value)
            self.expires.pop(key, None)
        elif self.get(key) is not None:
            self.delete(key)
        return b":%d\r\n" % len(value)

    # ---------------------------------------------------------- lists

    def _push(self, args, left, existing_only=False):
        key = args[1]
        value = self._fetch(key, deque)
        if value is None:
            if existing_only:
                return ZERO
            value = []
            self.put(key, value)
        if left:
            _push_left(value, args[2:])
        else:
            value.extend(args[2:])
        value = self._grown(key, value)
        if self.watchers:
            self.touch(key)
        if key in self.blocking:
            self.ready.append(key)
        return b":%d\r\n" % len(value)

    def cmd_lpush(self, args, session):
        """``LPUSH key element ...``: put them at the head; the new length."""
        return self._push(args, True)

    def cmd_rpush(self, args, session):
        """``RPUSH key element ...``: put them at the tail; the new length."""
        return self._push(args, False)

    def cmd_lpushx(self, args, session):
        """``LPUSHX key element ...``: LPUSH, if the list is there."""
        return self._push(args, True, True)

    def cmd_rpushx(self, args, session):
        """``RPUSHX key element ...``: RPUSH, if the list is there."""
        return self._push(args, False, True)

    def _pop(self, args, session, left):
        if len(args) > 3:
            return wrong_arity(args[0].lower())
        count = None
        if len(args) == 3:
            count = _positive(args[2])
        key = args[1]
        value = self._fetch(key, deque)
        if value is None:
            return NIL if count is None else _null_array(session)
        if count == 0:
            return EMPTY_ARRAY              # (nothing popped: no change, as Redis)
        if count is None:
            reply = encode_bulk(_pop_left(value) if left else value.pop())
        else:
            reply = encode_array([_pop_left(value) if left else value.pop()
                                  for _ in range(min(count, len(value)))])
        self._changed(key, value)
        return reply

    @_refusing
    def cmd_lpop(self, args, session):
        """``LPOP key [count]``: the first element (or ``count`` of them), removed."""
        return self._pop(args, session, True)

    @_refusing
    def cmd_rpop(self, args, session):
        """``RPOP key [count]``: the last element (or ``count`` of them), removed."""
        return self._pop(args, session, False)

    def cmd_llen(self, args, session):
        """``LLEN key``: the length of the list, 0 if there is none."""
        return b":%d\r\n" % len(self._read(args[1], deque) or ())

    @_refusing
    def cmd_lrange(self, args, session):
        """``LRANGE key start stop``: the elements from ``start`` to ``stop``, both included."""
        start, stop = _index(args[2]), _index(args[3])
        value = self._read(args[1], deque)
        if not value:
            return EMPTY_ARRAY
        start, end = _span(start, stop, len(value))
        size = len(value)
        if start > size - end:              # nearer the tail: walk from there
            items = list(islice(reversed(value), size - end, size - start))[::-1]
        else:
            items = list(islice(value, start, end))
        return encode_array(items)

    @_refusing
    def cmd_lindex(self, args, session):
        """``LINDEX key index``: the element there, or nil."""
        value = self._read(args[1], deque)
        if value is None:
            return NIL
        index = _index(args[2])
        if value is None or not -len(value) <= index < len(value):
            return NIL
        return encode_bulk(value[index])

    @_refusing
    def cmd_lset(self, args, session):
        """``LSET key index element``: replace the element there."""
        value = self._fetch(args[1], deque)
        if value is None:
            return b"-ERR no such key\r\n"
        index = _index(args[2])
        if not -len(value) <= index < len(value):
            return b"-ERR index out of range\r\n"
        value[index] = args[3]
        self._changed(args[1], value)
        return OK

    @_refusing
    def cmd_lrem(self, args, session):
        """``LREM key count element``: remove ``count`` copies of it (from
        the tail if negative, all if 0); how many were removed."""
        count = _index(args[2])
        key, element = args[1], args[3]
        value = self._fetch(key, deque)
        if value is None:
            return ZERO
        items = list(value) if count >= 0 else list(reversed(value))
        kept, removed = [], 0
        for item in items:
            if item == element and (count == 0 or removed < abs(count)):
                removed += 1
            else:
                kept.append(item)
        if removed:
            value.clear()
            value.extend(kept if count >= 0 else reversed(kept))
            self._changed(key, value)
        return b":%d\r\n" % removed

    @_refusing
    def cmd_ltrim(self, args, session):
        """``LTRIM key start stop``: keep only the elements from ``start`` to ``stop``."""
        start, stop = _index(args[2]), _index(args[3])
        key = args[1]
        value = self._fetch(key, deque)
        if value is None:
            return OK
        start, end = _span(start, stop, len(value))
        kept = list(value)[start:end]
        if len(kept) != len(value):
            value.clear()
            value.extend(kept)
        self._changed(key, value)           # (even if all is kept: a change, as in Redis)
        return OK

    def cmd_linsert(self, args, session):
        """``LINSERT key BEFORE|AFTER pivot element``: the new length, -1
        if there is no ``pivot``, 0 if no list."""
        where = args[2].upper()
        if where not in (b"BEFORE", b"AFTER"):
            return SYNTAX_ERROR
        key = args[1]
        value = self._fetch(key, deque)
        if value is None:
            return ZERO
        try:
            at = value.index(args[3])
        except ValueError:
            return b":-1\r\n"
        value.insert(at if where == b"BEFORE" else at + 1, args[4])
        self._changed(key, value)
        return b":%d\r\n" % len(value)

    def cmd_lpos(self, args, session):
        """``LPOS key element [RANK r] [COUNT n] [MAXLEN len]``: where it is."""
        rank, count, maxlen = 1, None, 0
        i = 3
        while i < len(args):
            option = args[i].upper()
            if i + 1 >= len(args) or option not in (b"RANK", b"COUNT", b"MAXLEN"):
                return SYNTAX_ERROR
            number = to_int(args[i + 1])
            if number is None and option == b"RANK":
                return NOT_AN_INTEGER
            if option == b"RANK":
                if number == 0:
                    return encode_error(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from "
                        "the second ... or use negative to start from the end of the list")
                rank = number
            elif number is None or number < 0:
                return encode_error("ERR %s can't be negative" % option.decode())
            elif option == b"COUNT":
                count = number
            else:
                maxlen = number
            i += 2
        value = self._read(args[1], deque)
        if value is None:
            return NIL if count is None else EMPTY_ARRAY
        element = args[2]
        size = len(value)
        if rank > 0:
            walk = enumerate(value)         # type: Iterator[Tuple[int, bytes]]
        else:
            walk = zip(range(size - 1, -1, -1), reversed(value))
        if maxlen:
            walk = islice(walk, maxlen)
        # (Redis negates a negative rank in a C long: -2**63 stays itself,
        # and counts as the first match from the tail.)
        skip = 0 if rank == INT_MIN else abs(rank) - 1
        found = []
        for at, item in walk:
            if item == element:
                if skip:
                    skip -= 1
                    continue
                found.append(at)
                if count is None or (count and len(found) >= count):
                    break
        if count is None:
            return b":%d\r\n" % found[0] if found else NIL
        return b"*%d\r\n%s" % (len(found), b"".join(b":%d\r\n" % at for at in found))

    def _where(self, word):
        where = word.upper()
        if where not in (b"LEFT", b"RIGHT"):
            raise _Refused(SYNTAX_ERROR)
        return where == b"LEFT"

    def _move(self, source, destination, from_left, to_left):
        """Move an element from list ``source`` (not empty) to ``destination``;
        the element, or ``WrongType`` (nothing moved)."""
        value = self.data[source]
        target = self._fetch(destination, deque)
        element = _pop_left(value) if from_left else value.pop()
        if target is None:
            target = []
            self.put(destination, target)
        if to_left:
            _push_left(target, [element])
        else:
            target.append(element)
        self._grown(destination, target)
        self._changed(source, value)
        if self.watchers:
            self.touch(destination)
        if destination in self.blocking:
            self.ready.append(destination)
        return element

    @_refusing
    def cmd_lmove(self, args, session):
        """``LMOVE source destination LEFT|RIGHT LEFT|RIGHT``: the element moved, or nil."""
        from_left, to_left = self._where(args[3]), self._where(args[4])
        value = self._fetch(args[1], deque)
        if value is None:
            return NIL
        return encode_bulk(self._move(args[1], args[2], from_left, to_left))

    def cmd_rpoplpush(self, args, session):
        """``RPOPLPUSH source destination``: ``LMOVE source destination RIGHT LEFT``."""
        return self.cmd_lmove([b"LMOVE", args[1], args[2], b"RIGHT", b"LEFT"], session)

    # ---------------------------------------------------------- blocking pops

    def _timeout(self, data):
        """A blocking command's timeout in seconds -> a deadline on the
        store's clock, or None: for ever.  Read as Redis 7.0 reads it,
        ``(long long) ceill(ftval * 1000.0)``: a long double, times 1000 in
        long doubles, rounded up to whole milliseconds (0 is for ever, and
        -0.0005 too; 0.0001 is a millisecond); too great wraps to negative."""
        value = parse_long_double(data)
        if value is None:
            raise _Refused(b"-ERR timeout is not a float or out of range\r\n")
        ms = None if isinstance(value, float) else round_long_double(value * 1000)
        ms = None if ms is None else math.ceil(ms)
        if ms is None or not INT_MIN <= ms <= INT_MAX:
            ms = INT_MIN                    # (x86-64's "integer indefinite")
        if ms < 0:
            raise _Refused(b"-ERR timeout is negative\r\n")
        return None if ms == 0 else self.clock() + ms / 1000

    def _blocking_pop(self, args, session, left):
        deadline = self._timeout(args[-1])
        for key in args[1:-1]:
            value = self._fetch(key, deque)
            if value:
                element = _pop_left(value) if left else value.pop()
                self._changed(key, value)
                return encode_array([key, element])
        # Each key once, as Redis's ``blockForKeys``: ``BLPOP k k 0`` waits
        # in k's queue once (dict.fromkeys: the first of each, in order).
        keys = list(dict.fromkeys(args[1:-1]))
        return self._block(session, Waiter(session, keys, left, None, False, deadline),
                           _null_array(session))

    def _block(self, session, waiter, timed_out):
        if session is None or session.executing:
            return timed_out                # in EXEC (or no client): no waiting
        session.blocked = waiter
        for key in waiter.keys:
            self.blocking.setdefault(key, deque()).append(waiter)
        return BLOCKED

    @_refusing
    def cmd_blpop(self, args, session):
        """``BLPOP key ... timeout``: LPOP from the first list with elements,
        waiting up to ``timeout`` seconds (0: for ever) for one."""
        return self._blocking_pop(args, session, True)

    @_refusing
    def cmd_brpop(self, args, session):
        """``BRPOP key ... timeout``: BLPOP from the tail."""
        return self._blocking_pop(args, session, False)

    @_refusing
    def cmd_blmove(self, args, session):
        """``BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout``:
        LMOVE, waiting up to ``timeout`` seconds (0: for ever) for an element."""
        from_left, to_left = self._where(args[3]), self._where(args[4])
        deadline = self._timeout(args[5])
        value = self._fetch(args[1], deque)
        if value:
            return encode_bulk(self._move(args[1], args[2], from_left, to_left))
        return self._block(session, Waiter(session, [args[1]], from_left, args[2], to_left,
                                           deadline), _null(session))

    def cmd_brpoplpush(self, args, session):
        """``BRPOPLPUSH source destination timeout``: ``BLMOVE source
        destination RIGHT LEFT timeout``."""
        return self.cmd_blmove([b"BLMOVE", args[1], args[2], b"RIGHT", b"LEFT", args[3]],
                               session)

    def _blocking_zpop(self, args, session, lowest):
        deadline = self._timeout(args[-1])
        for key in args[1:-1]:
            value = self._fetch(key, ZSet)
            if value:
                return self._zpop_one(key, value, lowest, session)
        keys = list(dict.fromkeys(args[1:-1]))
        return self._block(session, Waiter(session, keys, lowest, None, False, deadline, True),
                           _null_array(session))

    def _zpop_one(self, key, value, lowest, session):
        """Pop the member of lowest (or highest) score of ``key``'s
        sorted set ``value``: ``[key, member, score]``."""
        score, member = value.order[0 if lowest else -1]
        value.remove(member)
        self._changed(key, value)
        return b"*3\r\n%s%s%s" % (encode_bulk(key), encode_bulk(member),
                                   encode_double(score, _resp3(session)))

    @_refusing
    def cmd_bzpopmin(self, args, session):
        """``BZPOPMIN key ... timeout``: ZPOPMIN from the first sorted set
        with members, waiting up to ``timeout`` seconds (0: for ever) for
        one; ``[key, member, score]``."""
        return self._blocking_zpop(args, session, True)

    @_refusing
    def cmd_bzpopmax(self, args, session):
        """``BZPOPMAX key ... timeout``: BZPOPMIN, the highest score."""
        return self._blocking_zpop(args, session, False)

    def unblock(self, waiter):
        """Forget ``waiter`` (served, timed out, or its client left)."""
        for key in waiter.keys:
            queue = self.blocking.get(key)
            if queue is not None:
                try:
                    queue.remove(waiter)
                except ValueError:
                    pass
                if not queue:
                    del self.blocking[key]
        if waiter.session.blocked is waiter:
            waiter.session.blocked = None

    def serve_blocked(self):
        """Hand the elements pushed onto keys somebody waits for to the
        waiters, first come first served (after each command, as Redis)."""
        ready = self.ready
        while ready:
            key = ready.pop(0)
            queue = self.blocking.get(key, ())
            at = 0                          # (not a copy of the queue: one push, 10,000 waiting)
            while at < len(queue):
                value = self.data.get(key)
                if value is None or self.get(key) is None:
                    break
                waiter = queue[at]
                kind = _KINDS.get(type(value))
                if kind is not (ZSet if waiter.zset else deque):
                    at += 1                 # (waits for the other type: stays, as in Redis)
                    continue
                if waiter.zset:
                    reply = self._zpop_one(key, value, waiter.left, waiter.session)
                elif waiter.destination is None:
                    element = _pop_left(value) if waiter.left else value.pop()
                    self._changed(key, value)
                    reply = encode_array([key, element])
                else:
                    try:
                        reply = encode_bulk(self._move(key, waiter.destination, waiter.left,
                                                       waiter.to_left))
                    except WrongType:
                        reply = WRONGTYPE
                self.unblock(waiter)        # (out of the queue: the next is at the same place)
                self._wake(waiter, reply)
                queue = self.blocking.get(key, ())

    def _wake(self, waiter, reply):
        waiter.reply = reply
        if waiter.event is not None:
            waiter.event.set()

    # ---------------------------------------------------------- hashes

    def cmd_hset(self, args, session):
        """``HSET key field value ...``: set them; how many fields are new."""
        if len(args) % 2:
            return wrong_arity(args[0].lower())
        key = args[1]
        value = self._create(key, dict)
        size = len(value)
        for field, item in zip(args[2::2], args[3::2]):
            value[field] = item
        self._changed(key, value)
        return b":%d\r\n" % (len(value) - size)

    def cmd_hmset(self, args, session):
        """``HMSET key field value ...``: HSET, answering OK."""
        reply = self.cmd_hset(args, session)
        return reply if reply[:1] == b"-" else OK

    def cmd_hsetnx(self, args, session):
        """``HSETNX key field value``: set it if the field is not there; 1 if set."""
        value = self._create(args[1], dict)
        if args[2] in value:
            return ZERO
        value[args[2]] = args[3]
        self._changed(args[1], value)
        return ONE

    def cmd_hget(self, args, session):
        """``HGET key field``: its value, or nil."""
        value = self._read(args[1], dict)
        return NIL if value is None else encode_bulk(value.get(args[2]))

    def cmd_hmget(self, args, session):
        """``HMGET key field ...``: each field's value, nil where there is none."""
        value = self._read(args[1], dict) or {}
        return encode_array([value.get(field) for field in args[2:]], _null(session))

    def cmd_hdel(self, args, session):
        """``HDEL key field ...``: remove them; how many there were."""
        value = self._fetch(args[1], dict)
        if value is None:
            return ZERO
        removed = 0
        for field in args[2:]:
            if value.pop(field, None) is not None:
                removed += 1
        if removed:
            self._changed(args[1], value)
        return b":%d\r\n" % removed

    def cmd_hlen(self, args, session):
        """``HLEN key``: how many fields."""
        return b":%d\r\n" % len(self._read(args[1], dict) or ())

    def cmd_hexists(self, args, session):
        """``HEXISTS key field``: 1 if the field is there."""
        return ONE if args[2] in (self._read(args[1], dict) or ()) else ZERO

    def cmd_hstrlen(self, args, session):
        """``HSTRLEN key field``: the length of its value, 0 if none."""
        return b":%d\r\n" % len((self._read(args[1], dict) or {}).get(args[2], b""))

    def cmd_hgetall(self, args, session):
        """``HGETALL key``: fields and values (a map in RESP3)."""
        value = self._read(args[1], dict) or {}
        head = b"%%%d\r\n" % len(value) if _resp3(session) else b"*%d\r\n" % (2 * len(value))
        return head + b"".join(b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(f), f, len(v), v)
                               for f, v in value.items())

    def cmd_hkeys(self, args, session):
        """``HKEYS key``: the fields."""
        return encode_array(list(self._read(args[1], dict) or ()))

    def cmd_hvals(self, args, session):
        """``HVALS key``: the values."""
        return encode_array(list((self._read(args[1], dict) or {}).values()))

    def cmd_hincrby(self, args, session):
        """``HINCRBY key field n``: add ``n`` to the field's integer; the new value."""
        delta = to_int(args[3])
        if delta is None:
            return NOT_AN_INTEGER
        key, field = args[1], args[2]
        value = self._fetch(key, dict)
        current = 0
        if value is not None and field in value:
            current = to_int(value[field])
            if current is None:
                return b"-ERR hash value is not an integer\r\n"
        result = current + delta
        if not INT_MIN <= result <= INT_MAX:
            return b"-ERR increment or decrement would overflow\r\n"
        value = self._create(key, dict)
        value[field] = b"%d" % result
        self._changed(key, value)
        return b":%d\r\n" % result

    def cmd_hincrbyfloat(self, args, session):
        """``HINCRBYFLOAT key field n``: add the float ``n``; the new value (as INCRBYFLOAT)."""
        increment = parse_long_double(args[3])
        if increment is None:
            return NOT_A_FLOAT
        if isinstance(increment, float):        # an infinity
            return b"-ERR value is NaN or Infinity\r\n"
        key, field = args[1], args[2]
        value = self._fetch(key, dict)
        current = Fraction(0)
        if value is not None and field in value:
            current = parse_long_double(value[field])
            if current is None:
                return b"-ERR hash value is not a float\r\n"
        result = add_long_doubles(current, increment)
        if result is None:
            return b"-ERR increment would produce NaN or Infinity\r\n"
        digits = format_long_double(result)
        value = self._create(key, dict)
        value[field] = digits
        self._changed(key, value)
        return encode_bulk(digits)

    # ---------------------------------------------------------- sets

    def cmd_sadd(self, args, session):
        """``SADD key member ...``: add them; how many were new."""
        value = self._create(args[1], set)
        size = len(value)
        value.update(args[2:])
        if len(value) != size:              # (none new: no change, as Redis)
            self._changed(args[1], value)
        return b":%d\r\n" % (len(value) - size)

    def cmd_srem(self, args, session):
        """``SREM key member ...``: remove them; how many were there."""
        value = self._fetch(args[1], set)
        if value is None:
            return ZERO
        size = len(value)
        value.difference_update(args[2:])
        if len(value) != size:
            self._changed(args[1], value)
        return b":%d\r\n" % (size - len(value))

    def cmd_smembers(self, args, session):
        """``SMEMBERS key``: every member (a set in RESP3)."""
        return _encode_set(self._read(args[1], set) or (), session)

    def cmd_sismember(self, args, session):
        """``SISMEMBER key member``: 1 if it is a member."""
        return ONE if args[2] in (self._read(args[1], set) or ()) else ZERO

    def cmd_smismember(self, args, session):
        """``SMISMEMBER key member ...``: 1 or 0 for each."""
        value = self._read(args[1], set) or ()
        return b"*%d\r\n%s" % (len(args) - 2, b"".join(
            ONE if member in value else ZERO for member in args[2:]))

    def cmd_scard(self, args, session):
        """``SCARD key``: how many members."""
        return b":%d\r\n" % len(self._read(args[1], set) or ())

    @_refusing
    def cmd_spop(self, args, session):
        """``SPOP key [count]``: members removed at random."""
        if len(args) > 3:
            return SYNTAX_ERROR
        count = _positive(args[2]) if len(args) == 3 else None
        value = self._fetch(args[1], set)
        if value is None:
            return NIL if count is None else _encode_set((), session)
        if count is None:
            member = random.choice(tuple(value))
            value.discard(member)
            self._changed(args[1], value)
            return encode_bulk(member)
        members = random.sample(tuple(value), min(count, len(value)))
        if members:                         # (SPOP key 0: no change, as Redis)
            value.difference_update(members)
            self._changed(args[1], value)
        return _encode_set(members, session)

    @_refusing
    def cmd_srandmember(self, args, session):
        """``SRANDMEMBER key [count]``: members at random (repeated if
        ``count`` is negative)."""
        if len(args) > 3:
            return SYNTAX_ERROR
        count = None
        if len(args) == 3:
            count = _index(args[2])
            if count == INT_MIN:
                return encode_error("ERR value is out of range, value must between "
                                    "-9223372036854775807 and 9223372036854775807")
        value = self._read(args[1], set)
        if value is None:
            return NIL if count is None else EMPTY_ARRAY
        members = tuple(value)
        if count is None:
            return encode_bulk(random.choice(members))
        if count < 0:
            _check_picks(count)
            return encode_array([random.choice(members) for _ in range(-count)])
        return encode_array(random.sample(members, min(count, len(members))))

    def _sets(self, keys):
        return [self._read(key, set) or set() for key in keys]

    def cmd_sinter(self, args, session):
        """``SINTER key ...``: the members in all of them."""
        sets = self._sets(args[1:])
        return _encode_set(set.intersection(*sets), session)

    def cmd_sunion(self, args, session):
        """``SUNION key ...``: the members in any of them."""
        return _encode_set(set().union(*self._sets(args[1:])), session)

    def cmd_sdiff(self, args, session):
        """``SDIFF key ...``: the members of the first in none of the others."""
        sets = self._sets(args[1:])
        return _encode_set(sets[0].difference(*sets[1:]), session)

    def cmd_sinterstore(self, args, session):
        """``SINTERSTORE destination key ...``: SINTER, stored in
        ``destination`` (whatever it held; deleted if empty); how many."""
        return self._store(args[1], set.intersection(*self._sets(args[2:])))

    def cmd_sunionstore(self, args, session):
        """``SUNIONSTORE destination key ...``: SUNION, stored; how many."""
        return self._store(args[1], set().union(*self._sets(args[2:])))

    def cmd_sdiffstore(self, args, session):
        """``SDIFFSTORE destination key ...``: SDIFF, stored; how many."""
        sets = self._sets(args[2:])
        return self._store(args[1], sets[0].difference(*sets[1:]))

    def cmd_smove(self, args, session):
        """``SMOVE source destination member``: move it; 1 if it was in ``source``."""
        source, destination, member = args[1], args[2], args[3]
        value = self._fetch(source, set)
        if value is None:
            return ZERO                  # (whatever ``destination`` holds)
        target = self._fetch(destination, set)
        if target is value:
            return ONE if member in value else ZERO
        if member not in value:
            return ZERO
        value.discard(member)
        self._changed(source, value)
        if target is None:
            target = set()
            self.put(destination, target)
        target.add(member)
        self._changed(destination, target)
        return ONE

    # ---------------------------------------------------------- sorted sets

    def cmd_zadd(self, args, session):
        """``ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...``: add or
        update; how many were added (or changed, with CH; INCR: the new score)."""
        flags = set()
        i = 2
        while i < len(args):
            option = args[i].upper()
            if option not in _ZADD_FLAGS:
                break
            flags.add(option)
            i += 1
        pairs = args[i:]
        if not pairs or len(pairs) % 2:
            return SYNTAX_ERROR
        if b"NX" in flags and b"XX" in flags:
            return b"-ERR XX and NX options at the same time are not compatible\r\n"
        if len(flags & {b"NX", b"GT", b"LT"}) > 1:
            return b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"
        incr = b"INCR" in flags
        if incr and len(pairs) > 2:
            return b"-ERR INCR option supports a single increment-element pair\r\n"
        scores = [to_double(score) for score in pairs[::2]]
        if None in scores:
            return NOT_A_FLOAT
        key = args[1]
        value = self._fetch(key, ZSet)
        if value is None:
            if b"XX" in flags:
                return _null(session) if incr else ZERO
            value = ZSet()
            self.put(key, value)
        added = changed = 0
        result = None
        for score, member in zip(scores, pairs[1::2]):
            old = value.scores.get(member)
            if old is None:
                if b"XX" in flags:
                    continue
                value.add(member, score)
                added += 1
                result = score
                continue
            if b"NX" in flags:
                continue
            if incr:
                score = old + score
                if math.isnan(score):       # (inf + -inf: nothing changed)
                    return b"-ERR resulting score is not a number (NaN)\r\n"
            if (b"GT" in flags and score <= old) or (b"LT" in flags and score >= old):
                continue
            result = score
            if score != old:
                value.add(member, score)
                changed += 1
        if added or changed:                # (same scores: no change, as Redis)
            self._changed(key, value)
        if incr:
            return _null(session) if result is None else encode_double(result, _resp3(session))
        return b":%d\r\n" % (added + changed if b"CH" in flags else added)

    def cmd_zincrby(self, args, session):
        """``ZINCRBY key increment member``: the new score."""
        if args[2].upper() in _ZADD_FLAGS:
            # Redis runs ZINCRBY as ZADD ... INCR: ZADD's flag there is
            # read as a flag, and leaves a member without a score.
            return SYNTAX_ERROR
        increment = to_double(args[2])
        if increment is None:
            return NOT_A_FLOAT
        key = args[1]
        value = self._create(key, ZSet)
        old = value.scores.get(args[3])
        score = increment if old is None else old + increment     # (-0: "-0", as Redis)
        if math.isnan(score):               # (inf + -inf of a member there: no change)
            return b"-ERR resulting score is not a number (NaN)\r\n"
        if score != old:                    # (an increment of 0: no change, as Redis)
            value.add(args[3], score)
            self._changed(key, value)
        return encode_double(score, _resp3(session))

    def cmd_zscore(self, args, session):
        """``ZSCORE key member``: its score, or nil."""
        score = (self._read(args[1], ZSet) or ZSet()).scores.get(args[2])
        return NIL if score is None else encode_double(score, _resp3(session))

    def cmd_zcard(self, args, session):
        """``ZCARD key``: how many members."""
        return b":%d\r\n" % len(self._read(args[1], ZSet) or ())

    def cmd_zrem(self, args, session):
        """``ZREM key member ...``: remove them; how many were there."""
        value = self._fetch(args[1], ZSet)
        if value is None:
            return ZERO
        removed = 0
        for member in args[2:]:
            if member in value.scores:
                value.remove(member)
                removed += 1
        if removed:
            self._changed(args[1], value)
        return b":%d\r\n" % removed

    def cmd_zrank(self, args, session):
        """``ZRANK key member``: its place (from 0, lowest score first), or nil."""
        value = self._read(args[1], ZSet)
        if value is None or args[2] not in value.scores:
            return NIL
        return b":%d\r\n" % bisect_left(value.order, (value.scores[args[2]], args[2]))

    def cmd_zrevrank(self, args, session):
        """``ZREVRANK key member``: its place (from 0, highest score first), or nil."""
        value = self._read(args[1], ZSet)
        if value is None or args[2] not in value.scores:
            return NIL
        return b":%d\r\n" % (len(value) - 1 - bisect_left(
            value.order, (value.scores[args[2]], args[2])))

    def _scored(self, pairs, session, nested):
        """Members with their scores: flat in RESP2; in RESP3 pairs, nested if ``nested``."""
        resp3 = _resp3(session)
        if resp3 and nested:
            return b"*%d\r\n%s" % (len(pairs), b"".join(
                b"*2\r\n$%d\r\n%s\r\n%s" % (len(m), m, encode_double(s, True)) for s, m in pairs))
        return b"*%d\r\n%s" % (2 * len(pairs), b"".join(
            b"$%d\r\n%s\r\n%s" % (len(m), m, encode_double(s, resp3)) for s, m in pairs))

    @_refusing
    def cmd_zrange(self, args, session):
        """``ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]
        [WITHSCORES]``: the members from ``start`` to ``stop``, by rank, by
        score (``(`` excludes, ``-inf``, ``+inf``) or by member (``[a``,
        ``(a``, ``-``, ``+``; for members of one score, as in Redis)."""
        return self._zrange(args, session)

    @_refusing
    def cmd_zrevrange(self, args, session):
        """``ZREVRANGE key start stop [WITHSCORES]``: ``ZRANGE ... REV``."""
        return self._zrange(args, session, by=b"RANK", rev=True)

    @_refusing
    def cmd_zrangebyscore(self, args, session):
        """``ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]``:
        ``ZRANGE ... BYSCORE``."""
        return self._zrange(args, session, by=b"BYSCORE", rev=False)

    @_refusing
    def cmd_zrevrangebyscore(self, args, session):
        """``ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]``:
        ``ZRANGE ... BYSCORE REV``."""
        return self._zrange(args, session, by=b"BYSCORE", rev=True)

    @_refusing
    def cmd_zrangebylex(self, args, session):
        """``ZRANGEBYLEX key min max [LIMIT offset count]``: ``ZRANGE ... BYLEX``."""
        return self._zrange(args, session, by=b"BYLEX", rev=False)

    @_refusing
    def cmd_zrevrangebylex(self, args, session):
        """``ZREVRANGEBYLEX key max min [LIMIT offset count]``: ``ZRANGE ... BYLEX REV``."""
        return self._zrange(args, session, by=b"BYLEX", rev=True)

    @_refusing
    def cmd_zrangestore(self, args, session):
        """``ZRANGESTORE destination key start stop [BYSCORE|BYLEX] [REV]
        [LIMIT offset count]``: store ZRANGE's members, with their scores, in
        ``destination`` (whatever it held; deleted if none); how many."""
        return self._zrange(args, session, store=True)

    def _zrange(self, args, session, by=None, rev=None, store=False):
        """ZRANGE and its kin, parsed as Redis's ``zrangeGenericCommand``:
        ``by`` (BYSCORE, BYLEX, or RANK for ZREVRANGE) and ``rev`` fixed by
        the command, or None: ZRANGE's options choose; each command takes
        only the options it has not fixed.  ``store``: ``args[1]`` is
        ZRANGESTORE's destination (and WITHSCORES is not taken)."""
        first = 2 if store else 1           # where key, start and stop are
        if by == b"RANK":                   # (ZREVRANGE: by rank, no BYSCORE or BYLEX)
            by, fixed = None, True
        else:
            fixed = by is not None
        withscores = False
        limit = None
        i = first + 3
        while i < len(args):
            option = args[i].upper()
            if option == b"WITHSCORES" and not store:
                withscores = True
            elif option == b"LIMIT" and i + 2 < len(args):
                limit = _index(args[i + 1]), _index(args[i + 2])
                i += 2
            elif option == b"REV" and rev is None:
                rev = True
            elif option in (b"BYSCORE", b"BYLEX") and not fixed:
                by, fixed = option, True
            else:
                return SYNTAX_ERROR
            i += 1
        # (Redis checks the count only: "LIMIT n -1" by rank is allowed, and ignored.)
        if limit is not None and limit[1] != -1 and by is None:
            return encode_error("ERR syntax error, LIMIT is only supported in combination "
                                "with either BYSCORE or BYLEX")
        if withscores and by == b"BYLEX":
            return encode_error("ERR syntax error, WITHSCORES not supported in combination "
                                "with BYLEX")
        low, high = args[first + 1], args[first + 2]
        if rev and by is not None:
            low, high = high, low
        if by is None:
            start, stop = _index(low), _index(high)
        else:
            low, high, error = _range_bounds(low, high, by)
            if error:
                return error
        value = self._read(args[first], ZSet)
        if value is None:
            return self._store_zset(args[1], []) if store else EMPTY_ARRAY
        order = value.order[::-1] if rev else value.order
        if by is None:
            start, end = _span(start, stop, len(order))
            chosen = order[start:end]
        else:
            if by == b"BYSCORE":
                chosen = [pair for pair in order if _above(pair[0], low) and _below(pair[0], high)]
            else:
                chosen = _lex_run(value.order, low, high, rev)
            if limit is not None:
                offset, count = limit
                chosen = [] if offset < 0 else \
                    chosen[offset:] if count < 0 else chosen[offset:offset + count]
        if store:
            return self._store_zset(args[1], chosen)
        if withscores:
            return self._scored(chosen, session, True)
        return encode_array([member for _, member in chosen])

    def _store_zset(self, key, pairs):
        zset = ZSet()
        for score, member in pairs:
            zset.add(member, score)
        return self._store(key, zset)

    def _count(self, args, by):
        """ZCOUNT and ZLEXCOUNT: the range first, then the key (as Redis)."""
        low, high, error = _range_bounds(args[2], args[3], by)
        if error:
            return error
        value = self._read(args[1], ZSet)
        if value is None:
            return ZERO
        if by == b"BYLEX":
            return b":%d\r\n" % len(_lex_run(value.order, low, high))
        return b":%d\r\n" % sum(1 for pair in value.order
                                  if _above(pair[0], low) and _below(pair[0], high))

    def cmd_zcount(self, args, session):
        """``ZCOUNT key min max``: how many members have a score in the range."""
        return self._count(args, b"BYSCORE")

    def cmd_zlexcount(self, args, session):
        """``ZLEXCOUNT key min max``: how many members are in the range
        (``[a``, ``(a``, ``-``, ``+``)."""
        return self._count(args, b"BYLEX")

    def _zpop(self, args, session, lowest):
        if len(args) > 3:
            return SYNTAX_ERROR
        count = _positive(args[2]) if len(args) == 3 else None
        value = self._fetch(args[1], ZSet)
        if value is None or count == 0:
            return EMPTY_ARRAY
        taken = min(1 if count is None else count, len(value))
        popped = value.order[:taken] if lowest else value.order[:-taken - 1:-1]
        for _, member in popped:
            value.remove(member)
        self._changed(args[1], value)
        return self._scored(popped, session, count is not None)

    @_refusing
    def cmd_zpopmin(self, args, session):
        """``ZPOPMIN key [count]``: the members of lowest score, removed, with their scores."""
        return self._zpop(args, session, True)

    @_refusing
    def cmd_zpopmax(self, args, session):
        """``ZPOPMAX key [count]``: the members of highest score, removed, with their scores."""
        return self._zpop(args, session, False)


    # ---------------------------------------------------------- ZREMRANGEBY..., ZMSCORE

    def _zremrange(self, args, by):
        """ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX: the range
        first, then the key; how many were removed (an emptied key deleted)."""
        if by is None:
            start, stop = _index(args[2]), _index(args[3])
        else:
            low, high, error = _range_bounds(args[2], args[3], by)
            if error:
                return error
        key = args[1]
        value = self._fetch(key, ZSet)
        if value is None:
            return ZERO
        if by is None:
            start, end = _span(start, stop, len(value))
            chosen = value.order[start:end]
        elif by == b"BYSCORE":
            chosen = [pair for pair in value.order
                      if _above(pair[0], low) and _below(pair[0], high)]
        else:
            chosen = _lex_run(value.order, low, high)
        if chosen:
            for _, member in chosen:
                value.remove(member)
            self._changed(key, value)
        return b":%d\r\n" % len(chosen)

    @_refusing
    def cmd_zremrangebyrank(self, args, session):
        """``ZREMRANGEBYRANK key start stop``: remove the members ranked
        ``start`` to ``stop`` (negative from the highest); how many."""
        return self._zremrange(args, None)

    def cmd_zremrangebyscore(self, args, session):
        """``ZREMRANGEBYSCORE key min max``: remove the members scored in
        the range (``(`` excludes, ``-inf``, ``+inf``); how many."""
        return self._zremrange(args, b"BYSCORE")

    def cmd_zremrangebylex(self, args, session):
        """``ZREMRANGEBYLEX key min max``: remove the members in the range
        (``[a``, ``(a``, ``-``, ``+``); how many."""
        return self._zremrange(args, b"BYLEX")

    def cmd_zmscore(self, args, session):
        """``ZMSCORE key member ...``: each member's score, nil where there is none."""
        scores = (self._read(args[1], ZSet) or ZSet()).scores
        resp3 = _resp3(session)
        nil = _null(session)
        return b"*%d\r\n%s" % (len(args) - 2, b"".join(
            nil if scores.get(member) is None else encode_double(scores[member], resp3)
            for member in args[2:]))


    # ---------------------------------------------------------- ZUNION, ZINTER, ZDIFF ...

    def _zset_operation(self, args, session, op, store=False, card=False):
        """ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, parsed
        as Redis's ``zunionInterDiffGenericCommand``: the number of keys,
        the keys (a set counts as scores of 1; another type: WRONGTYPE,
        before any option is read), then the options -- WEIGHTS, AGGREGATE
        (not for ZDIFF), WITHSCORES (not for STORE), LIMIT (ZINTERCARD
        only), each again and again, the last one winning."""
        first = 2 if store else 1           # where numkeys is
        numkeys = to_int(args[first])
        if numkeys is None:
            return NOT_AN_INTEGER
        if numkeys < 1:
            return encode_error(b"ERR at least 1 input key is needed for '%s' command"
                                % args[0].lower())
        if numkeys > len(args) - first - 1:
            return SYNTAX_ERROR
        keys = args[first + 1:first + 1 + numkeys]
        sources = []
        for key in keys:
            value = self.read(key)
            if value is None:
                sources.append({})
            elif type(value) is ZSet:
                sources.append(value.scores)
            elif type(value) is set:
                sources.append(dict.fromkeys(value, 1.0))
            else:
                raise WrongType()
        weights = [1.0] * numkeys
        aggregate, withscores, limit = b"SUM", False, 0
        i = first + 1 + numkeys
        while i < len(args):
            option = args[i].partition(b"\0")[0].upper()
            remaining = len(args) - i
            if option == b"WEIGHTS" and op != b"DIFF" and not card and remaining > numkeys:
                weights = [to_double(weight) for weight in args[i + 1:i + 1 + numkeys]]
                if None in weights:
                    return b"-ERR weight value is not a float\r\n"
                i += 1 + numkeys
            elif option == b"AGGREGATE" and op != b"DIFF" and not card and remaining >= 2:
                aggregate = args[i + 1].partition(b"\0")[0].upper()
                if aggregate not in (b"SUM", b"MIN", b"MAX"):
                    return SYNTAX_ERROR
                i += 2
            elif option == b"WITHSCORES" and not store and not card:
                withscores = True
                i += 1
            elif option == b"LIMIT" and card and remaining >= 2:
                limit = to_int(args[i + 1])
                if limit is None or limit < 0:
                    return encode_error("ERR LIMIT can't be negative")
                i += 2
            else:
                return SYNTAX_ERROR
        if card:
            return b":%d\r\n" % _intersection_size(sources, limit)
        if op == b"DIFF":
            result = {member: score for member, score in sources[0].items()
                      if not any(member in other for other in sources[1:])}
        elif op == b"INTER":
            result = _intersection(sources, weights, aggregate)
        else:
            result = _union(sources, weights, aggregate)
        pairs = sorted((score, member) for member, score in result.items())
        if store:
            return self._store_zset(args[1], pairs)
        if withscores:
            return self._scored(pairs, session, True)
        return encode_array([member for _, member in pairs])

    def cmd_zunion(self, args, session):
        """``ZUNION numkeys key ... [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
        [WITHSCORES]``: the members of any of them (sets count as scores of 1),
        their scores weighted and added (or the least, or the greatest)."""
        return self._zset_operation(args, session, b"UNION")

    def cmd_zinter(self, args, session):
        """``ZINTER numkeys key ... [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
        [WITHSCORES]``: the members in all of them, scored as ZUNION's."""
        return self._zset_operation(args, session, b"INTER")

    def cmd_zdiff(self, args, session):
        """``ZDIFF numkeys key ... [WITHSCORES]``: the members of the first
        in none of the others, with the first's scores."""
        return self._zset_operation(args, session, b"DIFF")

    def cmd_zunionstore(self, args, session):
        """``ZUNIONSTORE destination numkeys key ... [WEIGHTS w ...]
        [AGGREGATE SUM|MIN|MAX]``: ZUNION, stored in ``destination``
        (whatever it held; deleted if empty); how many."""
        return self._zset_operation(args, session, b"UNION", store=True)

    def cmd_zinterstore(self, args, session):
        """``ZINTERSTORE destination numkeys key ... [WEIGHTS w ...]
        [AGGREGATE SUM|MIN|MAX]``: ZINTER, stored; how many."""
        return self._zset_operation(args, session, b"INTER", store=True)

    def cmd_zdiffstore(self, args, session):
        """``ZDIFFSTORE destination numkeys key ...``: ZDIFF, stored; how many."""
        return self._zset_operation(args, session, b"DIFF", store=True)

    def cmd_zintercard(self, args, session):
        """``ZINTERCARD numkeys key ... [LIMIT n]``: how many members are
        in all of them (counting stops at ``n`` if it is not 0)."""
        return self._zset_operation(args, session, b"INTER", card=True)

    def cmd_sintercard(self, args, session):
        """``SINTERCARD numkeys key ... [LIMIT n]``: how many members are
        in all the sets (counting stops at ``n`` if it is not 0)."""
        numkeys = to_int(args[1])
        if numkeys is None or numkeys < 1:
            return encode_error("ERR numkeys should be greater than 0")
        if numkeys > len(args) - 2:
            return encode_error("ERR Number of keys can't be greater than number of args")
        limit = 0
        i = 2 + numkeys
        while i < len(args):
            if args[i].partition(b"\0")[0].upper() != b"LIMIT" or i + 1 >= len(args):
                return SYNTAX_ERROR
            limit = to_int(args[i + 1])
            if limit is None or limit < 0:
                return encode_error("ERR LIMIT can't be negative")
            i += 2
        sets = self._sets(args[2:2 + numkeys])
        return b":%d\r\n" % _intersection_size(sets, limit)


    # ---------------------------------------------------------- HSCAN, SSCAN, ZSCAN

    def _scan(self, args, session, kind):
        """HSCAN, SSCAN and ZSCAN, checked in Redis's order: the cursor,
        then the key (none: an empty reply, whatever the options), its
        type, then the options (MATCH, COUNT; no TYPE)."""
        cursor = scan_cursor(args[2])
        if cursor is None:
            return b"-ERR invalid cursor\r\n"
        value = self._read(args[1], kind)
        if value is None:
            return b"*2\r\n$1\r\n0\r\n*0\r\n"
        count, match, _, error = scan_options(args, 3)
        if error:
            return error
        small = _small_encoding(value)
        if small is not None:               # all at once, as Redis's listpacks and intsets
            members, cursor = small, 0
        else:
            snapshots = getattr(self, "scan_snapshots", None)
            if snapshots is None:
                snapshots = self.scan_snapshots = ScanSnapshots()
            members, cursor = snapshots.walk(value, cursor, count)
        if match is not None:
            members = [member for member in members if match(member)]
        if kind is set:
            items = members
        elif kind is dict:
            items = [item for field in members for item in (field, value[field])]
        else:
            scores = value.scores
            text = _listpack_score if small is not None else format_double
            items = [item for member in members for item in (member, text(scores[member]))]
        return b"*2\r\n%s%s" % (encode_bulk(b"%d" % cursor), encode_array(items))

    def cmd_hscan(self, args, session):
        """``HSCAN key cursor [MATCH pattern] [COUNT n]``: some fields and
        their values, and the cursor to go on from (0: done) -- see ``ScanSnapshots``."""
        return self._scan(args, session, dict)

    def cmd_sscan(self, args, session):
        """``SSCAN key cursor [MATCH pattern] [COUNT n]``: some members, and the cursor."""
        return self._scan(args, session, set)

    def cmd_zscan(self, args, session):
        """``ZSCAN key cursor [MATCH pattern] [COUNT n]``: some members and
        their scores, and the cursor."""
        return self._scan(args, session, ZSet)

    # ---------------------------------------------------------- HRANDFIELD, ZRANDMEMBER

    def _random_pick(self, args, session, kind):
        """HRANDFIELD and ZRANDMEMBER: the count first, then the key."""
        if len(args) == 2:
            value = self._read(args[1], kind)
            if value is None:
                return NIL
            return encode_bulk(random.choice(tuple(value if kind is dict else value.scores)))
        count = _index(args[2])
        if count == INT_MIN:
            return encode_error("ERR value is out of range, value must between "
                                "-9223372036854775807 and 9223372036854775807")
        word = b"withvalues" if kind is dict else b"withscores"
        if len(args) > 4 or (len(args) == 4 and args[3].partition(b"\0")[0].lower() != word):
            return SYNTAX_ERROR
        paired = len(args) == 4
        if paired and not -(INT_MAX // 2) <= count <= INT_MAX // 2:
            return b"-ERR value is out of range\r\n"
        value = self._read(args[1], kind)
        if value is None or count == 0:
            return EMPTY_ARRAY
        members = tuple(value if kind is dict else value.scores)
        if count < 0:
            _check_picks(count)
            chosen = [random.choice(members) for _ in range(-count)]
        elif count >= len(members):
            chosen = list(members)
        else:
            chosen = random.sample(members, count)
        if not paired:
            return encode_array(chosen)
        if kind is dict:
            if _resp3(session):
                return b"*%d\r\n%s" % (len(chosen), b"".join(
                    b"*2\r\n" + encode_bulk(field) + encode_bulk(value[field])
                    for field in chosen))
            return encode_array([item for field in chosen for item in (field, value[field])])
        return self._scored([(value.scores[member], member) for member in chosen],
                            session, True)

    @_refusing
    def cmd_hrandfield(self, args, session):
        """``HRANDFIELD key [count [WITHVALUES]]``: fields at random
        (repeated if ``count`` is negative)."""
        return self._random_pick(args, session, dict)

    @_refusing
    def cmd_zrandmember(self, args, session):
        """``ZRANDMEMBER key [count [WITHSCORES]]``: members at random
        (repeated if ``count`` is negative)."""
        return self._random_pick(args, session, ZSet)


COLLECTION_COMMANDS = [
    ("lpush", -3), ("rpush", -3), ("lpushx", -3), ("rpushx", -3), ("lpop", -2), ("rpop", -2),
    ("llen", 2), ("lrange", 4), ("lindex", 3), ("lset", 4), ("lrem", 4), ("ltrim", 4),
    ("linsert", 5), ("lpos", -3), ("lmove", 5), ("rpoplpush", 3),
    ("blpop", -3), ("brpop", -3), ("blmove", 6), ("brpoplpush", 4), ("bzpopmin", -3),
    ("bzpopmax", -3),
    ("hset", -4), ("hmset", -4), ("hsetnx", 4), ("hget", 3), ("hmget", -3), ("hdel", -3),
    ("hlen", 2), ("hexists", 3), ("hstrlen", 3), ("hgetall", 2), ("hkeys", 2), ("hvals", 2),
    ("hincrby", 4), ("hincrbyfloat", 4),
    ("sadd", -3), ("srem", -3), ("smembers", 2), ("sismember", 3), ("smismember", -3),
    ("scard", 2), ("spop", -2), ("srandmember", -2), ("sinter", -2), ("sunion", -2),
    ("sdiff", -2), ("sinterstore", -3), ("sunionstore", -3), ("sdiffstore", -3), ("smove", 4),
    ("zadd", -4), ("zincrby", 4), ("zscore", 3), ("zcard", 2), ("zrem", -3), ("zrank", 3),
    ("zrevrank", 3), ("zrange", -4), ("zrevrange", -4), ("zrangebyscore", -4),
    ("zrevrangebyscore", -4), ("zrangebylex", -4), ("zrevrangebylex", -4), ("zrangestore", -5),
    ("zcount", 4), ("zlexcount", 4), ("zpopmin", -2), ("zpopmax", -2),
    ("hscan", -3), ("sscan", -3), ("zscan", -3), ("hrandfield", -2), ("zrandmember", -2),
    ("zremrangebyrank", 4), ("zremrangebyscore", 4), ("zremrangebylex", 4), ("zmscore", -3),
    ("zunion", -3), ("zinter", -3), ("zdiff", -3), ("zunionstore", -4), ("zinterstore", -4),
    ("zdiffstore", -4), ("zintercard", -3), ("sintercard", -3),
]
