"""Redis's glob patterns (KEYS, SCAN's MATCH, and the collections' HSCAN,
SSCAN, ZSCAN) and SCAN's cursor as Redis reads it: what ``kv`` and
``kv_types`` share for walking keys and members; it imports neither."""

import re

from .kv_numbers import NOT_AN_INTEGER, SYNTAX_ERROR, to_int

__all__ = ["glob_matcher", "scan_cursor", "scan_options"]


# ================================================================ glob patterns

_STAR, _QUESTION, _OPEN, _CLOSE, _CARET, _DASH, _BACKSLASH = b"*?[]^-\\"
#: Redis's matcher recurses once per ``*`` and gives up below this depth:
#: a pattern whose 1001st run of stars has more after it matches nothing.
STAR_NESTING = 1000
_ANY_BYTE = frozenset(range(256))
_matchers = {}  # type: dict  # a few compiled patterns, for repeated KEYS calls


def glob_matcher(pattern):
    """``match = glob_matcher(pattern); match(key)``: a function telling
    whether the bytes ``key`` match Redis's glob ``pattern`` (bytes):
    ``*``, ``?``, ``[abc]``, ``[^a-z]``, ``\\`` escapes -- read exactly as
    Redis 7's ``stringmatchlen`` reads them, odd corners included: an
    unterminated set ends with the pattern, a reversed range is swapped,
    range ends compare as C's signed ``char`` (``[a-\\xff]`` is
    ``\\xff`` and ``\\x00``-``a``, as on x86-64), an empty key matches
    only the empty pattern, and a pattern whose 1001st ``*`` has more after
    it matches nothing (Redis's nesting limit).

    It takes time linear in the pattern and the key for the common cases,
    O(len(pattern) x len(key)) at worst, whatever the pattern: the parts
    between stars are found one after the other, leftmost first, never
    backtracking past the last star -- the classic two-pointer glob
    algorithm.  (A regular expression with ``.*`` per star backtracks
    exponentially: ``*a*a*a*a*a*a*a*a*a*a*a*b`` against sixty a's.)
    """
    match = _matchers.get(pattern)
    if match is None:
        match = _compile_glob(pattern)
        if len(_matchers) > 256:
            _matchers.clear()
        _matchers[pattern] = match
    return match


def _parse_glob(pattern):
    """The tokens of ``pattern``: None for a run of stars, an int for a
    byte that must be there, a frozenset of the bytes a ``?`` or a set
    takes -- parsed as ``stringmatchlen`` walks the pattern."""
    tokens = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == _STAR:
            while i + 1 < n and pattern[i + 1] == _STAR:
                i += 1
            tokens.append(None)
        elif c == _QUESTION:
            tokens.append(_ANY_BYTE)
        elif c == _OPEN:
            i += 1
            negate = i < n and pattern[i] == _CARET
            if negate:
                i += 1
            members = set()
            while True:
                if i < n and pattern[i] == _BACKSLASH and n - i >= 2:
                    i += 1
                    members.add(pattern[i])
                elif i < n and pattern[i] == _CLOSE:
                    break
                elif i >= n:                # no "]": the set ends with the pattern
                    i -= 1
                    break
                elif n - i >= 3 and pattern[i + 1] == _DASH:
                    # C compares the ends as (signed) chars: 0x80-0xff come before 0.
                    low, high = sorted((_signed(pattern[i]), _signed(pattern[i + 2])))
                    members.update(c for c in range(256) if low <= _signed(c) <= high)
                    i += 2
                else:
                    members.add(pattern[i])
                i += 1
            tokens.append(_ANY_BYTE - members if negate else frozenset(members))
        elif c == _BACKSLASH and n - i >= 2:    # \x: x itself
            i += 1
            tokens.append(pattern[i])
        else:
            tokens.append(c)
        i += 1
    return tokens


def _signed(byte):
    return byte - 256 if byte >= 128 else byte


def _compile_glob(pattern):
    tokens = _parse_glob(pattern)
    if not tokens:
        return _is_empty                # "" matches "" only
    stars = tokens.count(None)
    if frozenset() in tokens or stars > STAR_NESTING + 1 or (
            stars == STAR_NESTING + 1 and tokens[-1] is not None):
        return _never                   # an empty set; past Redis's nesting limit
    # The parts between the runs of stars: each a fixed number of bytes.
    parts = [[]]
    for token in tokens:
        if token is None:
            parts.append([])
        else:
            parts[-1].append(token)
    if len(parts) == 1:                 # no star: the whole key, one part
        return _Part(parts[0]).whole
    head, middle, tail = _Part(parts[0]), [_Part(part) for part in parts[1:-1]], _Part(parts[-1])
    least = sum(len(part) for part in parts)
    after_head, tail_size = head.size, tail.size

    def match(key):
        n = len(key)
        if n == 0 or n < least or not head.at(key, 0) or not tail.at(key, n - tail_size):
            return False
        at, end = after_head, n - tail_size
        for part in middle:             # each the leftmost after the one before
            at = part.find(key, at, end)
            if at < 0:
                return False
        return True
    return match


def _is_empty(key):
    return not key


def _never(key):
    return False


class _Part:
    """Bytes between two stars: ``size`` bytes, each matching one token."""

    def __init__(self, tokens):
        self.size = len(tokens)
        if all(type(token) is int for token in tokens):
            self.literal = bytes(tokens)
        else:
            self.literal = None
            # One character class per byte, no repetition: the regular
            # expression cannot backtrack (it is a fixed-width sequence).
            self.regex = re.compile(b"".join(
                re.escape(bytes((token,))) if type(token) is int else _byte_class(token)
                for token in tokens))

    def whole(self, key):
        """Whether ``key`` is this part, all of it."""
        if self.literal is not None:
            return key == self.literal
        return len(key) == self.size and self.regex.match(key) is not None

    def at(self, key, start):
        """Whether the part is in ``key`` at ``start`` (which leaves room for it)."""
        if self.literal is not None:
            return key.startswith(self.literal, start)
        return self.regex.match(key, start) is not None

    def find(self, key, start, end):
        """Where the leftmost copy in ``key[start:end]`` ends, or -1."""
        if self.literal is not None:
            at = key.find(self.literal, start, end)
            return at if at < 0 else at + self.size
        found = self.regex.search(key, start, end)
        return -1 if found is None else found.end()



def _byte_class(members):
    """A regular expression character class matching the bytes ``members``."""
    spans = []
    for byte in sorted(members):
        if spans and spans[-1][1] == byte - 1:
            spans[-1][1] = byte
        else:
            spans.append([byte, byte])
    return b"[%s]" % b"".join(b"\\x%02x-\\x%02x" % (low, high) for low, high in spans)


# ================================================================ SCAN's cursor

def scan_cursor(data):
    """SCAN's cursor, read as Redis reads it (C's ``strtoul``: "+5", "007"
    and "" are read, "-1" is 2**64 - 1), or None ("invalid cursor")."""
    text = data.partition(b"\0")[0]      # (C's string: up to a NUL)
    if not text:
        return 0                            # no digits, and nothing after them
    found = _CURSOR(text)
    if found is None or int(found.group(2)) >= 2**64:
        return None
    number = int(found.group(2))
    return (-number) % 2**64 if found.group(1) == b"-" else number


_CURSOR = re.compile(rb"([+-]?)([0-9]+)").fullmatch


def scan_options(args, first, types=False):
    """The options of SCAN (``types``: TYPE too) or HSCAN, SSCAN and ZSCAN,
    ``args[first:]``, in any order, the last of each winning: ``(count,
    matcher, type, None)`` -- MATCH's matcher, None for everything; TYPE's
    name, lowercased, or None -- or ``(None, None, None, error)``, the
    reply Redis gives."""
    count, match, kind = 10, None, None
    allowed = (b"count", b"match", b"type") if types else (b"count", b"match")
    i = first
    while i < len(args):
        option = args[i].partition(b"\0")[0].lower()     # (C's strcasecmp)
        if i + 1 >= len(args) or option not in allowed:
            return None, None, None, SYNTAX_ERROR
        if option == b"count":
            count = to_int(args[i + 1])
            if count is None or count < 1:
                return None, None, None, NOT_AN_INTEGER if count is None else SYNTAX_ERROR
        elif option == b"match":
            match = None if args[i + 1] == b"*" else glob_matcher(args[i + 1])
        else:
            kind = args[i + 1].partition(b"\0")[0].lower()
        i += 2
    return count, match, kind, None
