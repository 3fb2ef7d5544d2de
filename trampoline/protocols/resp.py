"""RESP, the Redis protocol, sans-I/O: bytes in, commands or replies out.

What it is for: the Redis wire protocol without the wire.  ``RequestParser``
is a server's half -- feed it the bytes a client sent, get back the complete
commands in them (each a list of ``bytes`` arguments); the ``encode_*``
functions make the replies.  ``ReplyParser`` and ``encode_command`` are a
client's half.  Nothing here touches a socket, a clock or a thread, so any
I/O framework can drive it and the tests drive it byte by byte.

The idea.  A client sends either a *multibulk* command (``*2\\r\\n$3\\r\\nGET
\\r\\n$1\\r\\nk\\r\\n``) or an *inline* one (``GET k\\r\\n``, what you type into
telnet).  The parser is a small state machine that remembers where it
stopped -- how many arguments the command still lacks, how long the bulk
string it is waiting for is -- so every byte is examined once however the
stream is cut into pieces, and a 512 MB argument arriving 64 KiB at a time
costs no re-scanning.  Bad input raises ``ProtocolError`` with the message
Redis gives (``Protocol error: invalid bulk length``); the commands that
came complete before it are on the exception, so a server answers them
first, then the error, then closes -- as Redis does.

What it must never do: block, do I/O, hold on to more than one unfinished
command, accept something Redis would refuse, or let a client make it
allocate without bounds (the limits below are Redis's).
"""

import re

__all__ = [
    "ProtocolError", "RequestParser", "ReplyParser", "ReplyError",
    "encode_simple", "encode_error", "encode_integer", "encode_bulk", "encode_array",
    "encode_map", "encode_command", "OK", "PONG", "NIL", "NULL", "EMPTY_ARRAY",
    "MAX_BULK", "MAX_MULTIBULK", "MAX_INLINE",
]

#: The longest bulk string a request may carry (Redis's proto-max-bulk-len).
MAX_BULK = 512 * 1024 * 1024
#: The most arguments one multibulk request may have: Redis 7 takes up to
#: INT_MAX (arguments are stored as they come, never allocated ahead, so a
#: large count alone costs nothing).
MAX_MULTIBULK = 2**31 - 1
#: The longest inline command line (and header line), line ending excluded.
MAX_INLINE = 64 * 1024

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
NIL = b"$-1\r\n"
#: RESP3's null, which replaces both nils (``$-1`` and ``*-1``).
NULL = b"_\r\n"
EMPTY_ARRAY = b"*0\r\n"


class ProtocolError(ValueError):
    """The bytes are not a RESP request (or reply).

    ``str(error)`` is the message Redis sends (``Protocol error: ...``);
    ``offset`` is where in the stream the bad bytes start; ``commands``
    holds the complete commands that came before them, to be answered
    before the error.  After one, the parser is done: feeding it again
    raises the same error.
    """

    def __init__(self, message, offset, commands=()):
        super().__init__(message)
        self.offset = offset
        self.commands = list(commands)


_BIG_NUMBER = re.compile(rb"[-+]?[0-9]+").fullmatch

# Header numbers: "*3", "$5".  The common ones come from this table (one
# dict lookup instead of checking digits and calling int()); the rest go
# through _strict_int, which refuses what Redis refuses: "+1", " 1", "01",
# "-0", "1_000", an empty string, more than 64 bits.
_SMALL = {b"%d" % n: n for n in range(-1, 1025)}
_INTEGER = re.compile(rb"-?[1-9][0-9]{0,18}|0").fullmatch
# The fast path's headers: "*1" ... "*1024" (count by header), "$0" ...
# "$4095" (header by length).
_FAST_COUNT, _FAST_LENGTH = 1024, 4096
_COUNTS = {b"*%d" % n: n for n in range(1, _FAST_COUNT + 1)}
_HEADERS = {n: b"$%d" % n for n in range(_FAST_LENGTH)}


def _strict_int(digits):
    """The integer ``digits`` spells in Redis's strict form, or None."""
    if _INTEGER(digits) is None:
        return None
    value = int(digits)
    return value if -2**63 <= value < 2**63 else None


# Inline commands are split like redis-cli and Redis split them
# (sdssplitargs): blanks separate words; "double quotes" understand
# \n \r \t \b \a \xHH and \<any>; 'single quotes' only \'.  A closing quote
# must be followed by a blank or the end of the line.  Lines with no quote
# and no unusual blank take the fast path, bytes.split().
_NEEDS_SLOW_SPLIT = re.compile(rb"[\"'\x0b\x0c]").search
_BLANKS = b" \t\n\r\x0b\x0c"
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = frozenset(b"0123456789abcdefABCDEF")


def split_inline(line):
    """The arguments of an inline command line (without its line ending),
    or None if its quotes are unbalanced."""
    if _NEEDS_SLOW_SPLIT(line) is None:
        return line.split()
    args = []
    pos, end = 0, len(line)
    while True:
        while pos < end and line[pos] in _BLANKS:
            pos += 1
        if pos == end:
            return args
        word = bytearray()
        quote = None                    # the quote we are inside, if any
        while True:
            if pos == end:
                if quote is not None:
                    return None         # unterminated quotes
                break
            c = line[pos]
            if quote == 0x22:           # "..."
                if c == 0x5c and pos + 3 < end and line[pos + 1] == 0x78 \
                        and line[pos + 2] in _HEX and line[pos + 3] in _HEX:
                    word.append(int(line[pos + 2:pos + 4], 16))
                    pos += 4
                    continue
                if c == 0x5c and pos + 1 < end:
                    pos += 1
                    word += _ESCAPES.get(line[pos], line[pos:pos + 1])
                elif c == 0x22:
                    if pos + 1 < end and line[pos + 1] not in _BLANKS:
                        return None     # "closing quote must be followed by a space"
                    pos += 1
                    break
                else:
                    word.append(c)
            elif quote == 0x27:         # '...'
                if c == 0x5c and pos + 1 < end and line[pos + 1] == 0x27:
                    pos += 1
                    word.append(0x27)
                elif c == 0x27:
                    if pos + 1 < end and line[pos + 1] not in _BLANKS:
                        return None
                    pos += 1
                    break
                else:
                    word.append(c)
            elif c in b" \n\r\t":       # (not \v or \f: as in Redis)
                break
            elif c == 0x22 or c == 0x27:
                quote = c
            else:
                word.append(c)
            pos += 1
        args.append(bytes(word))


# ================================================================ requests

class RequestParser:
    """The server's parser: ``commands = parser.feed(data)``.

    Each call returns the commands completed by ``data`` -- zero, one or
    many (a pipelined batch) -- each a non-empty list of ``bytes``.
    Incomplete input is kept for the next call.  Raises ``ProtocolError``
    for input Redis would refuse; its ``commands`` are those completed
    before the bad bytes.

    Where Redis reads on past a malformation, this parser stops, on
    purpose: a bulk string not followed by CRLF (Redis skips the two bytes
    whatever they are, and runs what follows as commands), or a header
    ended by a CR alone, is a ``ProtocolError``.  A NUL is an ordinary
    byte in an inline line, and a header holding one is refused once its
    line has come (Redis's C string search stops at the NUL, and the line
    waits for 64 KiB more); an inline line longer than ``max_inline`` is
    refused however it arrives (Redis looks only when a read ends without
    a line end).
    """

    def __init__(self, max_bulk=MAX_BULK, max_multibulk=MAX_MULTIBULK, max_inline=MAX_INLINE):
        self.max_bulk = max_bulk
        self.max_multibulk = max_multibulk
        self.max_inline = max_inline
        self._pending = bytearray()     # received, not yet part of a command
        self._args = None               # the multibulk command being read, or None
        self._missing = 0               # ... and how many arguments it lacks
        self._bulk = -1                 # the length of the bulk string awaited; -1: its header
        self._offset = 0                # stream offset of _pending[0]
        self._error = None              # the ProtocolError that ended it all

    def feed(self, data):
        """Take ``data`` (bytes) and return the list of commands it completes."""
        if self._error is not None:
            raise self._error
        pending = self._pending
        if pending:
            pending += data
            if self._bulk >= 0:
                if len(pending) < self._bulk + 2:
                    return []           # a long bulk string still arriving: nothing to parse
            elif b"\n" not in data:
                # A header or inline line still arriving: no line can have
                # ended, so only check its length (dripping a line byte by
                # byte costs no re-scanning).
                self._check_unfinished_line(pending, 0)
                return []
            data = bytes(pending)
            pending.clear()
        elif self._bulk >= 0 and len(data) < self._bulk + 2:
            pending += data
            return []
        if self._args is None:
            # Whole commands, most likely: try the fast path of their form.
            if data.endswith(b"\r\n") and data.startswith(b"*"):
                commands = self._parse_simple(data)
            elif data.endswith(b"\n") and not data.startswith(b"*"):
                commands = self._parse_simple_inline(data)
            else:
                commands = None
            if commands is not None:
                self._offset += len(data)
                return commands
        try:
            commands, pos = self._parse(data)
        except ProtocolError as error:
            self._error = error
            raise
        if pos < len(data):
            pending += data[pos:] if pos else data
        self._offset += pos
        return commands

    def _parse_simple(self, buf):
        """The fast path, for what clients send nearly always: ``buf`` is
        whole multibulk commands of short strings without CRLF in them.
        Split it once at every CRLF and check that the pieces line up --
        each header the canonical ``$<length of the next piece>`` -- which
        holds only if ``_parse`` would read the same commands.  Returns
        them, or None: then ``_parse`` reads ``buf`` the careful way."""
        if self.max_bulk < _FAST_LENGTH or self.max_multibulk < _FAST_COUNT:
            return None
        parts = buf.split(b"\r\n")
        last = len(parts) - 1           # parts[last] is b"": buf ends with CRLF
        counts = _COUNTS
        # A header is checked by looking up what it should be, from the
        # length of its string, and comparing: an int is hashed for nothing,
        # a header's bytes are not.  (Too long a string: None, no match.)
        header = _HEADERS.get
        count = counts.get(parts[0])
        if count is None:
            return None
        stride = 2 * count + 1
        times = last // stride          # commands in buf, if all are like its first
        if times >= 3 and times > count and last % stride == 0 \
                and parts[0:last:stride].count(parts[0]) == times:
            # Three commands or more, all with the same number of arguments
            # (a pipeline of GETs, of SETs ...): check and gather them a
            # column at a time -- the j-th argument of every command in one
            # slice -- so the loop runs once per argument position, not once
            # per command.  (For one or two commands, or fewer commands
            # than arguments -- a few MSETs --, the loop below costs less.)
            columns = []
            for j in range(2, stride, 2):
                column = parts[j:last:stride]
                if list(map(header, map(len, column))) != parts[j - 1:last:stride]:
                    return None
                columns.append(column)
            return list(map(list, zip(*columns)))
        commands = []
        i = 0
        while True:
            end = i + stride
            if end > last:
                return None
            args = parts[i + 2:end:2]
            if list(map(header, map(len, args))) != parts[i + 1:end:2]:
                return None
            commands.append(args)
            i = end
            if i == last:
                return commands
            count = counts.get(parts[i])
            if count is None:
                return None
            stride = 2 * count + 1

    def _parse_simple_inline(self, buf):
        """The fast path for whole inline lines (``PING\\r\\n`` ..., what
        telnet and redis-benchmark's PING_INLINE send): if no line starts a
        multibulk, none can be too long and none holds a quote,
        ``split_inline`` is ``bytes.split`` for every line -- so split them
        all in one go.  Returns the commands, or None: then ``_parse``
        reads ``buf`` the careful way."""
        if b"\n*" in buf or len(buf) > self.max_inline or _NEEDS_SLOW_SPLIT(buf) is not None:
            return None
        # Blank lines are no command (filter drops the empty lists), as in _parse.
        return list(filter(None, map(bytes.split, buf.split(b"\n"))))

    def _parse(self, buf):
        """Parse every complete command in ``buf``: ``(commands, where the
        rest starts)``.  The hot path: locals only, one pass."""
        commands = []
        end_of_data = len(buf)
        pos = 0
        args = self._args
        missing = self._missing
        bulk = self._bulk
        max_bulk = self.max_bulk
        max_multibulk = self.max_multibulk
        small = _SMALL
        find = buf.find
        startswith = buf.startswith
        while True:
            if args is None:
                # Between commands: a multibulk one, an inline one, or nothing yet.
                if pos >= end_of_data:
                    break
                if buf[pos] != 0x2a:            # not "*": an inline command
                    line_end = find(b"\n", pos)
                    if line_end < 0:
                        self._check_unfinished_line(buf, pos, "too big inline request", commands)
                        break
                    command = self._inline(buf, pos, line_end, commands)
                    pos = line_end + 1
                    if command:
                        commands.append(command)
                    continue
                line_end = find(b"\r\n", pos)
                if line_end < 0:
                    self._check_unfinished_line(buf, pos, "too big mbulk count string", commands)
                    break
                digits = buf[pos + 1:line_end]
                count = small.get(digits)
                if count is None:
                    count = _strict_int(digits)
                if count is None or count > max_multibulk:
                    raise self._fail("invalid multibulk length", pos, commands)
                pos = line_end + 2
                if count <= 0:
                    continue                    # "*0", "*-1": nothing to do, as in Redis
                args = []
                missing = count
            # Inside a multibulk command: its bulk strings, header then data.
            if bulk < 0:
                if pos >= end_of_data:
                    break
                if buf[pos] != 0x24:            # "$"
                    # Looked at once the line has come, as Redis does: a
                    # CR and a byte after it.
                    if find(b"\r", pos, end_of_data - 1) < 0:
                        self._check_unfinished_line(buf, pos, "too big bulk count string", commands)
                        break
                    raise self._fail("expected '$', got '%s'" % chr(buf[pos]), pos, commands)
                line_end = find(b"\r\n", pos)
                if line_end < 0:
                    self._check_unfinished_line(buf, pos, "too big bulk count string", commands)
                    break
                digits = buf[pos + 1:line_end]
                bulk = small.get(digits)
                if bulk is None:
                    bulk = _strict_int(digits)
                if bulk is None or bulk < 0 or bulk > max_bulk:
                    raise self._fail("invalid bulk length", pos, commands)
                pos = line_end + 2
            data_end = pos + bulk
            if data_end + 2 > end_of_data:
                break
            if not startswith(b"\r\n", data_end):
                raise self._fail("bulk string of %d bytes not followed by CRLF" % bulk,
                                 data_end, commands)
            args.append(buf[pos:data_end])
            pos = data_end + 2
            bulk = -1
            missing -= 1
            if not missing:
                commands.append(args)
                args = None
        self._args = args
        self._missing = missing
        self._bulk = bulk
        return commands, pos

    def _inline(self, buf, start, line_end, commands):
        """The arguments of the inline command in ``buf[start:line_end]``."""
        stop = line_end - 1 if line_end > start and buf[line_end - 1] == 0x0d else line_end
        if stop - start > self.max_inline:
            raise self._fail("too big inline request", start, commands)
        args = split_inline(buf[start:stop])
        if args is None:
            raise self._fail("unbalanced quotes in request", start, commands)
        return args

    def _check_unfinished_line(self, buf, start, what=None, commands=()):
        """A line from ``start`` has no end yet: fine, unless it is already
        longer than any line may be (a line of max_inline bytes may still
        be waiting for the "\\n" of its "\\r\\n").  ``what`` names the
        line; by default the parser's state says."""
        if len(buf) - start - buf.endswith(b"\r") > self.max_inline:
            if what is None:
                what = ("too big bulk count string" if self._args is not None
                        else "too big mbulk count string" if buf[start] == 0x2a
                        else "too big inline request")
            raise self._fail(what, start, commands)

    def _fail(self, what, pos, commands):
        return ProtocolError("Protocol error: " + what, self._offset + pos, commands)


# ================================================================ replies

def encode_simple(text):
    """``+text\\r\\n``: a status reply (``text``, bytes or str, one line)."""
    if isinstance(text, str):
        text = text.encode()
    return b"+%s\r\n" % _one_line(text)


def encode_error(message):
    """``-message\\r\\n``.  ``message`` (bytes or str) starts with its
    kind, ``ERR ...``; line breaks in it become spaces, as Redis does."""
    if isinstance(message, str):
        message = message.encode()
    return b"-%s\r\n" % _one_line(message)


def encode_integer(n):
    """``:n\\r\\n``."""
    return b":%d\r\n" % n


def encode_bulk(data):
    """``$len\\r\\ndata\\r\\n``; ``None`` is the nil reply, ``$-1``."""
    if data is None:
        return NIL
    return b"$%d\r\n%s\r\n" % (len(data), data)


def encode_array(items, null=NIL):
    """An array of bulk strings (``None`` items are nils); ``None`` itself
    is the nil array, ``*-1``.  ``null=NULL``: RESP3, where every nil is
    ``_``."""
    if items is None:
        return b"*-1\r\n" if null is NIL else null
    parts = [b"*%d\r\n" % len(items)]
    append = parts.append
    for item in items:
        append(null if item is None else b"$%d\r\n%s\r\n" % (len(item), item))
    return b"".join(parts)


def encode_map(pairs, resp3):
    """A map from ``(name, encoded value)`` pairs (``name`` bytes, sent as
    a bulk string): RESP3's ``%n``, or in RESP2 the flat array of names and
    values that Redis sends instead."""
    parts = [b"%%%d\r\n" % len(pairs) if resp3 else b"*%d\r\n" % (2 * len(pairs))]
    for name, value in pairs:
        parts.append(b"$%d\r\n%s\r\n" % (len(name), name))
        parts.append(value)
    return b"".join(parts)


def encode_command(*args):
    """A command as a client sends it: a multibulk of its arguments
    (``bytes``, ``str`` encoded as UTF-8, or ``int``)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def _one_line(text):
    if b"\r" in text or b"\n" in text:
        text = text.replace(b"\r", b" ").replace(b"\n", b" ")
    return text


class ReplyError(Exception):
    """An error reply (``-ERR ...``), as ``ReplyParser`` returns it -- a
    value, not raised: one error does not break the stream.  ``str()`` is
    the message; equal if the messages are."""

    def __eq__(self, other):
        return isinstance(other, ReplyError) and self.args == other.args

    def __hash__(self):
        return hash(self.args)


class ReplyParser:
    """The client's parser: ``replies = parser.feed(data)``.

    Each reply is a ``str`` (status: ``+OK`` is ``"OK"``), a ``ReplyError``,
    an ``int``, ``bytes`` (a bulk string), ``None`` (nil) or a ``list``
    (arrays nest); RESP3's null is ``None``, a map a ``dict``, a set a
    ``list``, a boolean a ``bool``, a double a ``float``, a big number an
    ``int``, a verbatim string ``bytes`` (its text, without the ``txt:``
    format), a blob error a ``ReplyError``, a push (``>``, what Redis 7
    sends a subscriber) a ``list``.  Incomplete input is kept for the next call; a reply
    that is not RESP raises ``ProtocolError``.  An unfinished reply is
    kept as far as it came -- the items of its arrays so far -- and read
    on from there: a reply of many items coming in many pieces costs one
    pass, and arrays may nest as deep as memory allows.
    """

    def __init__(self):
        self._pending = b""
        self._offset = 0
        # The aggregates open around the next reply, innermost last: each a
        # [kind, items so far, items still to come, where it began].  Kept between calls, so
        # a reply of many items coming in many pieces is read once, not
        # again from its start at every piece.
        self._open = []

    def feed(self, data):
        """Take ``data`` (bytes) and return the list of replies it completes."""
        buf = self._pending + data if self._pending else data
        replies = []
        pos = 0
        open_ = self._open
        while pos < len(buf):
            reply, end = self._parse_one(buf, pos)
            if end is None:
                break
            if type(reply) is _Aggregate:
                if reply.count:
                    open_.append([reply.kind, [], reply.count, self._offset + pos])
                    pos = end
                    continue
                reply = [] if reply.kind != 0x25 else {}
            pos = end
            while open_:                # the reply completes items, perhaps aggregates
                frame = open_[-1]
                frame[1].append(reply)
                frame[2] -= 1
                if frame[2]:
                    break
                open_.pop()
                reply = self._build(*frame)
            else:
                replies.append(reply)
        self._pending = buf[pos:]
        self._offset += pos
        return replies

    def _build(self, kind, items, _, offset):
        """The value of an aggregate of ``kind`` from its ``items``; ``offset``,
        where it begins in the stream."""
        if kind == 0x25:                # % (map): key, value, key, value...
            try:
                return dict(zip(items[::2], items[1::2]))
            except TypeError:           # a key that is an aggregate (a list)
                raise ProtocolError("Protocol error: a map reply with a key a dict cannot "
                                    "hold: %r" % [key for key in items[::2]
                                                  if type(key) is list][:1],
                                    offset) from None
        return items

    def _count(self, line, pos, per_item):
        """An aggregate's header: ``count`` entries of ``per_item`` replies."""
        number = _strict_int(line)
        if number is None or number < 0:
            raise ProtocolError("Protocol error: bad count %r in reply" % line,
                                self._offset + pos)
        return number * per_item

    def _parse_one(self, buf, pos):
        """``(reply, end)``, or ``(None, None)`` if incomplete; an aggregate's
        header is an ``_Aggregate``, its items the replies that follow."""
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None, None
        kind = buf[pos]
        line = buf[pos + 1:line_end]
        after = line_end + 2
        if kind == 0x5f:                # _ (RESP3 null)
            if line:
                raise ProtocolError("Protocol error: bad null %r in reply" % line,
                                    self._offset + pos)
            return None, after
        if kind == 0x23:                # # (RESP3 boolean)
            if line != b"t" and line != b"f":
                raise ProtocolError("Protocol error: bad boolean %r in reply" % line,
                                    self._offset + pos)
            return line == b"t", after
        if kind == 0x2c:                # , (RESP3 double)
            try:                        # (inf, -inf and nan as Python spells them)
                return float(line), after
            except ValueError:          # (float's own words would not say where)
                raise ProtocolError("Protocol error: bad double %r in reply" % line,
                                    self._offset + pos) from None
        if kind == 0x25:                # % (RESP3 map): a dict
            return _Aggregate(kind, self._count(line, pos, 2)), after
        if kind == 0x7e:                # ~ (RESP3 set): a list
            return _Aggregate(kind, self._count(line, pos, 1)), after
        if kind == 0x2b:                # +
            return line.decode("utf-8", "replace"), after
        if kind == 0x2d:                # -
            return ReplyError(line.decode("utf-8", "replace")), after
        if kind == 0x28:                # ( (RESP3 big number): an int
            if _BIG_NUMBER(line) is None:
                raise ProtocolError("Protocol error: bad number %r in reply" % line,
                                    self._offset + pos)
            try:
                return int(line), after
            except ValueError:          # (Python's limit on digits: 4300 by default)
                raise ProtocolError("Protocol error: a big number of %d digits in reply, more "
                                    "than Python converts (sys.set_int_max_str_digits)"
                                    % len(line.lstrip(b"+-")), self._offset + pos) from None
        number = _strict_int(line)
        if number is None:
            raise ProtocolError("Protocol error: bad number %r in reply" % line,
                                self._offset + pos)
        if kind == 0x3a:                # :
            return number, after
        if kind == 0x24 or kind == 0x3d or kind == 0x21:   # $, = (verbatim), ! (blob error)
            if number < 0:
                return None, after
            if after + number + 2 > len(buf):
                return None, None
            if not buf.startswith(b"\r\n", after + number):
                raise ProtocolError("Protocol error: bulk reply not followed by CRLF",
                                    self._offset + after + number)
            data = buf[after:after + number]
            if kind == 0x3d:
                if data[3:4] != b":":   # (what would be cut is not a format)
                    raise ProtocolError("Protocol error: verbatim string without its "
                                        "format (txt:) in reply", self._offset + pos)
                data = data[4:]         # "txt:" or "mkd:", the format
            elif kind == 0x21:
                data = ReplyError(data.decode("utf-8", "replace"))
            return data, after + number + 2
        if kind == 0x2a or kind == 0x3e:    # *, > (RESP3 push)
            if number < 0:
                return None, after
            return _Aggregate(kind, number), after
        raise ProtocolError("Protocol error: unknown reply type %r" % chr(kind),
                            self._offset + pos)


class _Aggregate:
    """The header of an array, map, set or push: its ``kind`` (the type
    byte) and ``count``, how many replies follow in it."""

    __slots__ = ("kind", "count")

    def __init__(self, kind, count):
        self.kind = kind
        self.count = count
