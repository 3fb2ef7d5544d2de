"""HTTP/1.1 without I/O: parse requests and responses from bytes, encode them back.

What it is for: the HTTP server (``examples/http_server.py``) and the
crawler (``examples/crawler.py``) share this one parser.  It never touches a
socket, a clock or a thread, so every case -- pipelined, split at every byte,
malformed, truncated, too large -- is tested by feeding it bytes.

The idea (h11's): a parser is a buffer plus a state.  ``feed(data)`` appends
what arrived; ``next_request()`` (``next_response()``) returns the next
complete message, or ``None`` when it needs more bytes; ``feed_eof()`` says
the peer will send no more.  A message is whole when returned: its head
parsed and its body -- ``Content-Length`` or chunked, or (responses only)
up to the close -- read and bounded by the limits.  Anything wrong raises
``ProtocolError`` whose ``status`` is the answer a server owes (400 malformed,
413 body too large, 414 request line too long, 431 headers too large, 501 a
transfer coding we do not do, 505 a version we do not speak); after that the
parser is dead and raises the same error again -- the connection must close.

Lenient where RFC 9112 allows it (bare LF line ends in the start line and
header fields, empty lines before a request line), strict where leniency is
dangerous: no line folding in a request (in a response each fold is
replaced by a space, as RFC 9112 5.2 tells a client), no whitespace
before the colon, no tab in
the request line, no ``Content-Length`` beside ``Transfer-Encoding``,
conflicting lengths rejected, chunked framing (chunk-size lines, the end
of each chunk, the trailer section) in CRLF only -- the usual request
smuggling doors stay shut.

What it must never do: I/O of any kind, hold more than the limits allow,
or guess at an ambiguous message length.
"""

from socket import AF_INET6, inet_pton
from urllib.parse import unquote

__all__ = [
    "ProtocolError", "Request", "Response", "RequestParser", "ResponseParser",
    "encode_request", "encode_response", "encode_headers", "STATUS_REASONS",
    "MAX_LINE", "MAX_HEAD", "MAX_HEADERS", "MAX_BODY",
]

#: Default limits: the request (or status) line, the whole head, the number
#: of header fields, and the body.
MAX_LINE = 8192
MAX_HEAD = 65536
MAX_HEADERS = 100
MAX_BODY = 1 << 20

#: The longest chunk-size line (size, extensions, CRLF) we read.
MAX_CHUNK_LINE = 1024
#: How many empty lines may come before a request line (RFC 9112 2.2).
MAX_EMPTY_LINES = 8

STATUS_REASONS = {
    100: "Continue", 101: "Switching Protocols",
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required",
    413: "Content Too Large", 414: "URI Too Long", 417: "Expectation Failed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}

# Byte classes, as strings of the bytes *allowed*: ``x.translate(None, ALLOWED)``
# deletes them, so what is left is the offending bytes (one C call, no regex).
_TCHAR = (b"!#$%&'*+-.^_`|~0123456789"
          b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_HEX = b"0123456789abcdefABCDEF"
# RFC 3986's reg-name: unreserved, sub-delims, and "%" (checked apart).
_UNRESERVED_SUB_DELIMS = (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                          b"-._~!$&'()*+,;=")
_REG_NAME = _UNRESERVED_SUB_DELIMS + b"%"
_DIGITS = frozenset(b"0123456789")
_TCHAR_BYTES = frozenset(_TCHAR)
# Tables for ``0 in x.translate(table)``, "has x a byte not allowed?": each
# turns the bytes not allowed into NUL.  (translate(None, allowed) builds a
# 256-entry table on every call; see _NUL_IF_CONTROL.)
_NUL_UNLESS_TCHAR = bytes(byte if byte in _TCHAR else 0 for byte in range(256))
_NUL_UNLESS_REG_NAME = bytes(byte if byte in _REG_NAME else 0 for byte in range(256))
_NUL_UNLESS_HEX = bytes(byte if byte in _HEX else 0 for byte in range(256))
# In a head: every byte but the control characters (tab, CR and LF excepted).
_HEAD_CHARS = bytes([9, 10, 13]) + bytes(range(32, 127)) + bytes(range(128, 256))
# The same test, cheaper on the hot path: this table turns every byte not in
# _HEAD_CHARS into NUL and keeps the others, so ``0 in x.translate(_NUL_IF_CONTROL)``
# says whether ``x`` has a control character.  (``translate(None, deleted)``
# builds a 256-entry table on every call: a quarter of parsing a small head;
# and ``b"\0" in`` would try the int form first, at the cost of an exception.)
_NUL_IF_CONTROL = bytes(byte if byte in _HEAD_CHARS else 0 for byte in range(256))
# And CR, LF and tab too: for the lines of a head, once their CRLFs are
# taken out -- what the fast path takes.  (A tab is fine in a field value
# but never in a request line; it is rare, and sends the head to the slow
# path, which looks at the request line.)
_NUL_IF_CR_LF_TAB_OR_CONTROL = (_NUL_IF_CONTROL.replace(b"\r", b"\0").replace(b"\n", b"\0")
                                .replace(b"\t", b"\0"))
# What a field value we send may not hold: a control character, CR or LF.
_NUL_IF_CR_LF_OR_CONTROL = _NUL_IF_CONTROL.replace(b"\r", b"\0").replace(b"\n", b"\0")

# The header fields that shape a message (framing, persistence).
_SPECIAL = frozenset([b"host", b"connection", b"content-length", b"transfer-encoding",
                      b"expect"])
# Methods we see every day, decoded once.
_METHODS = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                    "PATCH", "TRACE", "CONNECT")}

_BARE_IN_TRAILER = "a bare CR or LF in the trailer section (its lines end with CRLF)"
_CHUNKED_IN_HTTP_1_0 = "Transfer-Encoding in an HTTP/1.0 message"

_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DEAD = range(8)


class ProtocolError(Exception):
    """The bytes are not HTTP we accept.  ``status`` is the response code a
    server should answer with (then close the connection)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


_new_object = object.__new__         # (an object without its __init__: see _parse_head)


class Request:
    """One request, head and body.

    ``method`` (str, ``"GET"``), ``target`` (str, as sent -- but the
    absolute form, ``http://host/p?q``, is cut to its path and query,
    ``/p?q``; ``http://host?q`` to ``/?q``), ``path`` (str, percent-decoded,
    without the query), ``query`` (str, raw, without the ``?``),
    ``version`` (``b"HTTP/1.1"`` or ``b"HTTP/1.0"``), ``headers`` (a list
    of ``(name, value)`` bytes pairs, names lowercased, in order), ``body``
    (bytes), ``keep_alive`` (whether the connection may carry another
    request), ``expect_continue`` (the client waits for ``100 Continue``
    before it sends the body).
    """

    __slots__ = ("method", "target", "path", "query", "version", "headers", "body",
                 "keep_alive", "expect_continue")

    def __init__(self, method, target, path, query, version, headers, body=b"",
                 keep_alive=True, expect_continue=False):
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue

    def header(self, name, default=None):
        """The value of header ``name`` (str or bytes, any case), or
        ``default``; several fields of that name are joined with ``", "``."""
        return _header(self.headers, name, default)

    def __repr__(self):
        return "<Request %s %s %s, %d bytes of body>" % (
            self.method, self.target, self.version.decode(), len(self.body))


class Response:
    """One response: ``status`` (int), ``reason`` (str), ``version`` (bytes),
    ``headers`` (``(name, value)`` bytes pairs, names lowercased), ``body``
    (bytes) and ``keep_alive``."""

    __slots__ = ("status", "reason", "version", "headers", "body", "keep_alive")

    def __init__(self, status, reason, version, headers, body=b"", keep_alive=True):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive

    def header(self, name, default=None):
        """As ``Request.header``."""
        return _header(self.headers, name, default)

    def __repr__(self):
        return "<Response %d %s, %d bytes of body>" % (self.status, self.reason, len(self.body))


def _tokens(value):
    """The comma-separated tokens of a header value, lowercased."""
    return [token.strip(b" \t") for token in value.lower().split(b",")]


# What a parser remembers of the messages before (RequestParser: the last
# header section, request line and Host) it remembers for its own
# connection only, never in a table shared by all: one client's requests
# must not change how fast another's are read (a timing difference would
# tell what others ask for), and two parsers share nothing.  A table of
# what everyone sends is a constant, as this one: the field names most
# clients send, as they send them -> lowercased; a look-up costs a fraction
# of checking and lowering one.  (Other names are checked every time.)
_COMMON_NAMES = {sent.encode(): name.lower().encode() for name in (
    "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Accept-Charset",
    "Connection", "Keep-Alive", "Content-Length", "Content-Type", "Content-Encoding",
    "Transfer-Encoding", "TE", "Expect", "Cookie", "Authorization", "Referer", "Origin",
    "Cache-Control", "Pragma", "If-Modified-Since", "If-None-Match", "Range", "Upgrade",
    "Upgrade-Insecure-Requests", "Via", "X-Forwarded-For", "X-Forwarded-Proto",
    "X-Forwarded-Host", "X-Real-IP", "X-Requested-With", "DNT", "Priority",
    "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
    # (and in responses, for ResponseParser)
    "Date", "Server", "Location", "Last-Modified", "ETag", "Vary", "Set-Cookie",
    "Content-Range", "Accept-Ranges", "Age", "Expires",
) for sent in (name, name.lower())}


def _valid_host(value):
    """Whether ``value`` (not empty) is RFC 3986's ``host [":" port]``, as
    a Host header must be (RFC 9112 3.2): a reg-name (an IPv4 address is
    one) or an IP-literal in brackets, then digits after a colon."""
    if value[:1] == b"[":
        end = value.find(b"]")
        if end < 0:
            return False
        literal = value[1:end]
        port = value[end + 1:]
        if port:
            if port[:1] != b":":
                return False
            port = port[1:]
        if literal[:1] in (b"v", b"V"):         # IPvFuture: v1.x
            version, dot, rest = literal[1:].partition(b".")
            if (not version or version.translate(None, _HEX) or not rest
                    or rest.translate(None, _UNRESERVED_SUB_DELIMS + b":")):
                return False
        else:
            try:
                inet_pton(AF_INET6, literal.decode("ascii"))
            except (OSError, UnicodeDecodeError, ValueError):
                return False
    else:
        host, _, port = value.partition(b":")
        if not host or 0 in host.translate(_NUL_UNLESS_REG_NAME):
            return False
        if b"%" in host:                        # pct-encoded: "%" HEXDIG HEXDIG
            for part in host.split(b"%")[1:]:
                if len(part) < 2 or part[:2].translate(None, _HEX):
                    return False
    return not port or port.isdigit()


def _header(headers, name, default):
    if isinstance(name, str):
        name = name.encode("latin-1")
    name = name.lower()
    found = None
    several = None                  # (a list only for a second value: most have one)
    for key, value in headers:      # (a loop, not a list comprehension: no frame for it)
        if key == name:
            if found is None:
                found = value
            elif several is None:
                several = [found, value]
            else:
                several.append(value)
    if several is not None:
        return b", ".join(several)
    return default if found is None else found


# ============================================================ the parser

def _limit(private, doc):
    """A property for a limit of _Parser, kept in ``private``, that makes
    the parser forget what it remembered under the old value when set."""
    def get(self):
        return getattr(self, private)

    def set(self, value):
        setattr(self, private, value)
        self._forget()
    return property(get, set, doc=doc)


def _unfolded(lines, first):
    """``lines`` (header lines from index ``first`` on) with each obsolete
    line fold -- a line that begins with a space or a tab -- joined to the
    line before by one space (RFC 9112 5.2).  A fold with no field line
    before it is left, for the field check to refuse."""
    out = lines[:first + 1]
    for line in lines[first + 1:]:
        if line[:1] == b" " or line[:1] == b"\t":
            out[-1] = out[-1].rstrip(b" \t") + b" " + line.strip(b" \t")
        else:
            out.append(line)
    return out


class _Parser:
    """What request and response parsing share: the buffer, the head, the
    body framings.  Subclasses parse the start line and decide the framing."""

    _start_line = "start line"      # what errors call it: "request line"...
    _tab_in_start_line = True       # (a status line's reason may have one)
    _unfold = False                 # obs-fold replaced by a space (responses), not refused
    _controls = _NUL_IF_CONTROL     # the bytes a head refuses, as NUL (see _next)

    def __init__(self, max_line=MAX_LINE, max_head=MAX_HEAD, max_headers=MAX_HEADERS,
                 max_body=MAX_BODY):
        self._max_line = max_line
        self._max_head = max_head
        self._max_headers = max_headers
        self.max_body = max_body
        self._buffer = b""          # bytes received; those before _start are consumed
        self._start = 0
        self._scanned = 0           # the head's end is not before here
        self._eof = False
        self._state = _HEAD
        # True between messages with nothing of the next one received.  An
        # attribute, not a property: a server asks before every read, and a
        # property is a call (a fortieth of a request).  So it is kept up
        # to date where it changes: feed() makes it False, the end of a
        # message (or of the empty lines before one) sets it, and so does
        # a ProtocolError.
        self.idle = True
        self._error = None          # the ProtocolError that killed us
        self._message = None        # the head parsed, waiting for its body
        self._remaining = 0         # body bytes still to come (length, chunk)
        self._chunks = []           # the body so far
        self._body_size = 0
        self._empty_lines = 0

    # ------------------------------------------------------ limits

    # The limits a head is checked against can be changed at any time; what
    # the parser remembered under the old ones is then forgotten (see
    # RequestParser._remember), and the next head is checked in full.
    # Properties for that, read through the private attributes inside (no
    # call).  (max_body is a plain attribute: nothing remembered depends on it.)
    max_line = _limit("_max_line", "The longest start line, in bytes (beyond it: 414).")
    max_head = _limit("_max_head", "The largest message head, in bytes (beyond it: 431).")
    max_headers = _limit("_max_headers", "The most header fields (beyond them: 431).")

    def _forget(self):
        """Forget what was remembered under the old limits."""

    # ------------------------------------------------------ feeding

    def feed(self, data):
        """Append ``data`` (bytes) received from the peer."""
        if self._eof:
            raise RuntimeError("feed() after feed_eof()")
        if not data:
            return
        start = self._start
        if start >= len(self._buffer):      # the common case: nothing left over
            # (A copy of a bytearray, which its owner may reuse; bytes are kept.)
            self._buffer = data if type(data) is bytes else bytes(data)
            self._scanned = 0
        else:
            self._buffer = self._buffer[start:] + data
            self._scanned = max(0, self._scanned - start)
        self._start = 0
        self.idle = False

    def feed_eof(self):
        """The peer has closed its side: no more bytes will come."""
        self._eof = True

    @property
    def buffered(self):
        """How many bytes are received and not yet part of a message returned."""
        return len(self._buffer) - self._start

    @property
    def pending(self):
        """The message whose head is parsed while its body is still coming
        (its ``body`` is empty), else ``None``."""
        return self._message if self._state != _HEAD and self._state != _DEAD else None

    @property
    def dead(self):
        """True once a ProtocolError was raised: the connection must close."""
        return self._state == _DEAD

    def _fail(self, status, message):
        self._state = _DEAD
        self.idle = False
        self._error = ProtocolError(status, message)
        raise self._error

    # ------------------------------------------------------ the head

    def _next(self):
        """The next complete message (a ``Request`` from a ``RequestParser``),
        or ``None`` if more bytes are needed (or the peer closed cleanly
        between messages).  Raises ``ProtocolError`` for bad or truncated
        input, and for everything after that."""
        # The state machine, as far as the bytes go: the head here, the body
        # in _read_body.  (The head is read here, not in a method of its
        # own: a Python call costs more than most lines of a head.
        # RequestParser.next_request reads the usual request head itself,
        # and comes here for the rest.)
        state = self._state
        if state != _HEAD:
            if state == _DEAD:
                raise self._error
            return self._read_body()
        buf = self._buffer
        start = self._start
        if start >= len(buf):
            return None
        if buf[start] not in _TCHAR_BYTES:      # empty lines first, or not HTTP
            start = self._skip_empty_lines(buf, start)
        # Where the head ends: the first empty line, CRLF or bare LF.
        scan = self._scanned if self._scanned > start else start
        crlf = buf.find(b"\n\r\n", scan)
        # The common case first: every line ends with CRLF (then no "\n\n"
        # comes before this end), no other CR or LF, no control character,
        # no tab.
        regular = False
        if crlf >= 0 and buf[crlf - 1] == 13:
            end, after = crlf - 1, crlf + 3
            head = buf[start:end]
            regular = 0 not in head.replace(b"\r\n", b"").translate(_NUL_IF_CR_LF_TAB_OR_CONTROL)
        if not regular:                         # "\n\n" is looked for only before "\n\r\n"
            lf = buf.find(b"\n\n", scan, crlf + 1 if crlf >= 0 else len(buf))
            if lf >= 0:
                end, after = lf, lf + 2
            elif crlf >= 0:
                end, after = crlf, crlf + 3
            else:
                self._scanned = max(start, len(buf) - 2)
                self._check_head_size(buf, start)
                if self._eof and start < len(buf):
                    self._fail(400, "the connection closed in the middle of a message head "
                               "(after %d bytes)" % (len(buf) - start))
                return None
            if buf[end - 1] == 13:              # the CR of the last line's CRLF
                end -= 1
            head = buf[start:end]
        self._start = after
        self._scanned = after
        self._empty_lines = 0
        if len(head) > self._max_head:
            first = head.split(b"\n", 1)[0]           # (the line, its CR left: not counted)
            self._check_line_size(len(first) - first.endswith(b"\r"))
            self._fail(431, "the message head is %d bytes, more than the limit of %d"
                       % (len(head), self._max_head))
        lines = head.split(b"\r\n")
        if not regular:
            bare_cr = head.count(b"\r") >= len(lines)
            if head.count(b"\n") >= len(lines):     # some bare LF: lenient, as RFC 9112 allows
                # (A CR before an LF is a CRLF's; the head's last line has
                # its line end cut off, so a CR that ends it is a bare one.)
                lines = head.split(b"\n")
                lines = [line[:-1] if line.endswith(b"\r") else line
                         for line in lines[:-1]] + lines[-1:]
                bare_cr = any(b"\r" in line for line in lines)
            if bare_cr or 0 in head.translate(self._controls):
                self._control_fault(lines)
            if b"\t" in lines[0] and not self._tab_in_start_line:
                # Single spaces separate a request line's parts, and its
                # target has no whitespace (RFC 9112 3): a tab is not one
                # more character of the path -- some read it as a space.
                self._fail(400, "a tab in the %s %r" % (self._start_line, lines[0][:80]))
        if len(lines[0]) > self._max_line:
            self._check_line_size(len(lines[0]))
        if len(lines) > self._max_headers + 1:
            self._fail(431, "%d header fields, more than the limit of %d"
                       % (len(lines) - 1, self._max_headers))
        if self._unfold and (b"\n " in head or b"\n\t" in head):
            lines = _unfolded(lines, 1)
        # The header fields, and on the side those that shape the message.
        fields = []
        special = []
        common = _COMMON_NAMES
        for line in lines[1:]:
            raw, colon, value = line.partition(b":")
            name = common.get(raw)              # (None: not common, or not valid)
            if name is None or not colon:
                name = self._field_name(line, raw, colon)
            field = name, value.strip(b" \t")
            fields.append(field)
            if name in _SPECIAL:
                special.append(field)           # (the same tuple)
        self._message = message = self._parse_head(lines[0], fields, special, None)
        if self._state == _HEAD:                # no body: done already
            self.idle = after >= len(buf)
            return message
        return self._read_body()

    def _control_fault(self, lines):
        """Refuse a head whose ``lines`` hold a control character (a bare
        CR among them), naming the byte and its line."""
        controls = self._controls
        for number, line in enumerate(lines):
            for byte in line:
                if byte == 13 or controls[byte] == 0:
                    self._fail(400, "a control character %r in the %s %r" % (
                        bytes([byte]), self._start_line if number == 0 else "header line",
                        line[:80]))
        self._fail(400, "a control character in the message head")  # pragma: no cover

    def _skip_empty_lines(self, buf, start):
        """Skip the empty lines at ``start``, before a message (a few: not a
        way to keep a connection busy forever); where the message begins.
        Then refuse a start line that cannot begin with its first byte, one
        not a token character (a method and "HTTP" are tokens) -- at once,
        not after waiting for a line end that a TLS handshake or another
        protocol may never send (a CR last may be half of a CRLF)."""
        while buf.startswith((b"\r\n", b"\n"), start):
            start += 1 if buf[start] == 10 else 2
            self._empty_lines += 1
            if self._empty_lines > MAX_EMPTY_LINES:
                self._start = start
                self._fail(400, "more than %d empty lines before the %s"
                           % (MAX_EMPTY_LINES, self._start_line))
        self._start = start
        self.idle = start >= len(buf)           # (empty lines only: still idle)
        if (start < len(buf) and buf[start] not in _TCHAR_BYTES
                and not (buf[start] == 13 and start + 1 == len(buf))):
            self._fail(400, "malformed %s: it begins with %r%s" % (
                self._start_line, buf[start:start + 1],
                " (TLS to a plain HTTP port?)" if buf[start] == 0x16 else ""))
        return start

    def _field_name(self, line, name, colon):
        """The lowercased ``name`` of header ``line``, checked: a token,
        then a colon."""
        if not colon or not name or 0 in name.translate(_NUL_UNLESS_TCHAR):
            self._bad_field(line)
        return name.lower()

    def _bad_field(self, line):
        if line[:1] in (b" ", b"\t"):
            self._fail(400, "obsolete line folding in header line %r" % line[:80])
        self._fail(400, "malformed header line %r" % line[:80])

    def _check_line_size(self, length):
        if length > self._max_line:
            self._fail(414, "the first line is %d bytes or more, more than the limit of %d"
                       % (length, self._max_line))

    def _check_head_size(self, buf, start):
        """With no end of head in sight: is it already too big?  (Not
        counting the bytes that may yet be the end: a line's CR, the CR LF
        CR of "\\r\\n\\r\\n".)"""
        size = len(buf) - start
        # No LF where a line of max_line bytes has its CR LF: the line is
        # all there is -- but for a CR last, the half of its CRLF.
        if size > self._max_line and buf.find(b"\n", start, start + self._max_line + 2) < 0:
            self._check_line_size(size - (buf[-1] == 13))
        if size - 3 > self._max_head:
            self._fail(431, "more than %d bytes of message head and no end in sight"
                       % self._max_head)

    def _parse_fields(self, lines):
        """``[(name, value)]`` from header lines; validates names."""
        fields = []
        for line in lines:
            name, colon, value = line.partition(b":")
            fields.append((self._field_name(line, name, colon), value.strip(b" \t")))
        return fields

    def _parse_head(self, first_line, headers, special, section):
        raise NotImplementedError

    # ------------------------------------------------------ framing

    def _framing(self, headers, version):
        """Decide how the body is delimited: returns ("chunked", None),
        ("length", n) or (None, None) -- no framing header."""
        lengths = []
        codings = []
        encoded = False                 # (a Transfer-Encoding, even one of no coding)
        for name, value in headers:
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                encoded = True
                if value == b"chunked":         # (the usual value: nothing to split)
                    codings.append(value)
                else:
                    # Empty list elements ("chunked, ," or ", chunked") are
                    # ignored, as RFC 9110 5.6.1 says a recipient must.
                    codings.extend(c for c in (c.strip(b" \t").lower()
                                               for c in value.split(b",")) if c)
        if encoded:
            if not codings:
                self._fail(400, "an empty Transfer-Encoding")
            if lengths:
                self._fail(400, "both Transfer-Encoding and Content-Length")
            if version == b"HTTP/1.0":
                self._fail(400, _CHUNKED_IN_HTTP_1_0)
            if codings[-1] != b"chunked":
                # RFC 9112 6.3: then a request's body length cannot be
                # known, and a server MUST answer 400 and close.
                self._fail(400, "Transfer-Encoding %r does not end with chunked: the body "
                           "length cannot be known" % b", ".join(codings)[:60].decode("latin-1"))
            other = [c for c in codings if c != b"chunked"]
            if other:
                self._fail(501, "transfer coding %r not implemented"
                           % other[0][:40].decode("latin-1"))
            if len(codings) > 1:
                self._fail(400, "chunked applied more than once")
            return "chunked", None
        if lengths:
            value = lengths[0]
            if len(lengths) != 1 or not value.isdigit():    # (else: one value, no list)
                values = set()
                for value in lengths:
                    values.update(v.strip(b" \t") for v in value.split(b","))
                if len(values) != 1:
                    self._fail(400, "conflicting Content-Length values: %r" % b", ".join(lengths))
                value = values.pop()
            if not value.isdigit():
                self._fail(400, "malformed Content-Length: %r" % value[:40])
            digits = value.lstrip(b"0") or b"0"     # "0005" is 5 (RFC 9110 8.6)
            if len(digits) > 18:
                self._fail(413, "a body of %s... bytes, more than the limit of %d"
                           % (digits[:18].decode(), self.max_body))
            length = int(digits)
            if length > self.max_body:
                self._fail(413, "a body of %d bytes, more than the limit of %d"
                           % (length, self.max_body))
            return "length", length
        return None, None

    def _start_body(self, framing, length):
        """Set the state for the body that follows the head just parsed."""
        self._chunks = []
        self._body_size = 0
        if framing == "chunked":
            self._state = _CHUNK_SIZE
        elif framing == "length" and length:
            self._state = _BODY
            self._remaining = length
        elif framing == "close":
            self._state = _UNTIL_CLOSE
        else:
            self._state = _HEAD

    def _read_body(self):
        """Move through the body states as far as the buffer goes; the
        message when its body is complete, else None."""
        buf = self._buffer
        while True:
            state = self._state
            start = self._start
            if state == _CHUNK_SIZE:                # (first: a chunked body's usual state)
                newline = buf.find(b"\n", start, start + MAX_CHUNK_LINE)
                if newline < 0:
                    if len(buf) - start >= MAX_CHUNK_LINE:
                        self._fail(400, "a chunk-size line longer than %d bytes" % MAX_CHUNK_LINE)
                    return self._truncated("chunk size line")
                line = buf[start:newline]
                start = newline + 1
                self._start = start
                if line[-1:] != b"\r":
                    self._fail(400, "a chunk-size line ending in a bare LF: %r" % line[:40])
                size = line[:-1]
                # The usual line is hex digits alone: one table look-up says
                # so.  (Else the size is before the extensions, if valid.)
                if not size or 0 in size.translate(_NUL_UNLESS_HEX):
                    size = size.split(b";", 1)[0].rstrip(b" \t")
                    if (not size or 0 in size.translate(_NUL_UNLESS_HEX) or b"\r" in line[:-1]
                            or 0 in line.translate(_NUL_IF_CONTROL)):
                        self._fail(400, "malformed chunk size %r" % line[:40])
                if len(size) > 15:
                    size = size.lstrip(b"0") or b"0"    # leading zeros say nothing
                    if len(size) > 15:
                        self._fail(413, "a chunk of 0x%s... bytes, more than the body limit of %d"
                                   % (size[:15].decode(), self.max_body))
                size = int(size, 16)
                self._body_size += size
                if self._body_size > self.max_body:
                    self._fail(413, "a chunked body of more than %d bytes (the limit)"
                               % self.max_body)
                if not size:
                    if buf.startswith(b"\r\n", start):  # no trailer: done (_TRAILERS'd say so)
                        self._start = start + 2
                        return self._finish()
                    self._state = _TRAILERS
                    self._scanned = start
                elif buf.startswith(b"\r\n", start + size):
                    # The chunk and its CRLF are here: taken at once, not
                    # through the _CHUNK_DATA and _CHUNK_END states.
                    self._chunks.append(buf[start:start + size])
                    self._start = start + size + 2
                else:
                    self._remaining = size
                    self._state = _CHUNK_DATA
                continue
            available = len(buf) - start
            if state == _BODY or state == _CHUNK_DATA:
                take = min(available, self._remaining)
                if take:
                    self._chunks.append(buf[start:start + take])
                    self._start = start + take
                    self._remaining -= take
                if self._remaining:
                    return self._truncated("body", self._remaining)
                if state == _BODY:
                    return self._finish()
                self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if buf.startswith(b"\r\n", start):
                    self._start = start + 2
                elif available >= 2 or (available == 1 and buf[start] != 13):
                    self._fail(400, "no CRLF after chunk data")
                else:
                    return self._truncated("CRLF after a chunk")
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                # The trailer section: header lines up to an empty line,
                # every line ended by CRLF, as the chunks are.
                if buf.startswith(b"\r\n", start):
                    self._start = start + 2
                    return self._finish()
                end = buf.find(b"\r\n\r\n", max(start, self._scanned - 3))
                if end < 0:
                    self._check_trailer_so_far(buf, start, max(start, self._scanned))
                    if available - 3 > self._max_head:     # (3: "\r\n\r" may be its end)
                        self._fail(431, "a trailer section over %d bytes" % self._max_head)
                    self._scanned = len(buf)
                    return self._truncated("trailer section")
                trailer = buf[start:end]
                bare = trailer.replace(b"\r\n", b"")
                if b"\n" in bare or b"\r" in bare:
                    self._fail(400, _BARE_IN_TRAILER)
                if len(trailer) > self._max_head:
                    self._fail(431, "a trailer section over %d bytes" % self._max_head)
                if 0 in trailer.translate(self._controls):
                    self._fail(400, "a control character in the trailer section")
                lines = trailer.split(b"\r\n")
                if self._unfold:
                    lines = _unfolded(lines, 0)
                self._parse_fields(lines)       # validated, then dropped
                self._start = end + 4
                return self._finish()
            else:                               # _UNTIL_CLOSE
                if available:
                    self._chunks.append(buf[start:])
                    self._start = len(buf)
                    self._body_size += available
                    if self._body_size > self.max_body:
                        self._fail(413, "a body of more than %d bytes (the limit)"
                                   % self.max_body)
                if self._eof:
                    return self._finish()
                return None

    def _check_trailer_so_far(self, buf, start, new):
        """Refuse a bare LF or CR in the unfinished trailer section at
        ``start`` now, not once its end comes; the bytes before ``new``
        were checked already (a CR last may wait for its LF)."""
        end = len(buf)
        before = max(start, new - 1)                    # (a CR left waiting)
        lfs = buf.count(b"\n", new, end)
        crs = buf.count(b"\r", before, end)
        if lfs or crs:
            crlfs = buf.count(b"\r\n", before, end)
            if lfs != crlfs or crs != crlfs + (buf[end - 1] == 13):
                self._fail(400, _BARE_IN_TRAILER)

    def _truncated(self, where, missing=None):
        if self._eof:
            what = "%d byte%s short" % (missing, "s" if missing > 1 else "") if missing \
                else "in the %s" % where
            self._fail(400, "the connection closed before the message body was complete (%s)"
                       % what)
        return None

    def _finish(self):
        message = self._message
        chunks = self._chunks
        message.body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._chunks = []
        self._state = _HEAD
        self._scanned = self._start
        self.idle = self._start >= len(self._buffer)
        return message


class RequestParser(_Parser):
    """Requests from a client, for a server::

        parser = RequestParser()
        parser.feed(data)
        while True:
            request = parser.next_request()     # raises ProtocolError
            if request is None:
                break                           # read more, feed it
            ...

    Limits (keywords): ``max_line`` (the request line: 414 beyond it),
    ``max_head`` and ``max_headers`` (431), ``max_body`` (413); attributes
    too, which may be changed at any time: the next head is held to the
    new values.  ``idle`` (an attribute: read it, do not set it) is True
    between requests with nothing of the next one received.
    """

    _start_line = "request line"
    _tab_in_start_line = False

    def __init__(self, max_line=MAX_LINE, max_head=MAX_HEAD, max_headers=MAX_HEADERS,
                 max_body=MAX_BODY):
        super().__init__(max_line, max_head, max_headers, max_body)
        # The header section of the last requests, when it came twice in a
        # row and is of the usual kind (all lines end with CRLF, one Host, at
        # most one Connection, no Expect, no body): its bytes, its fields,
        # keep_alive for HTTP/1.0 and for HTTP/1.1, and how long a request
        # line may be beside it (see _parse_head, _remember).  A client
        # sends the same section again and again on a connection: then its
        # head is a request line and that -- see next_request.  (Checked
        # against the limits of that time: changing one forgets it.)
        self._section = None
        self._candidate = None      # (the last section, not yet remembered)
        self._fields = ()
        self._keep_alive = (False, True)
        self._line_room = 0
        # The same for the last sections with a body, of the usual kind
        # too: chunked, when two in a row were the same; by Content-Length
        # -- whose value changes with the body -- when two in a row
        # differed in its digits at most.  (The section up to the digits,
        # the section after them, its fields, where the Content-Length is
        # among them, keep_alive for HTTP/1.0 and 1.1); for a chunked one
        # (the section, b"", its fields, -1, keep_alive).  See
        # _remember_with_body.
        self._with_body = None
        self._with_body_candidate = None
        # The last request line found valid and what it came to, (method,
        # target, path, query, version, whether HTTP/1.1): a client asks
        # for the same page again and again, and comparing costs a fifth of
        # parsing it.  And the last Host found valid (a tenth of checking).
        self._line = None
        self._line_parsed = None
        self._host = None
        # The whole head -- the request line and the remembered section, up
        # to its empty line -- once it came with the same line twice in a
        # row, and (method, target, path, query, version, keep_alive): a
        # client asking for one page again and again sends these very
        # bytes, found with one startswith.  (Under the limits of that
        # time: changing one forgets it, with the section.)
        self._wire = None
        self._wire_parsed = None

    def next_request(self):
        """The next complete ``Request``, or ``None`` if more bytes are
        needed (or the client closed cleanly between requests).  Raises
        ``ProtocolError`` for bad or truncated input, and for everything
        after that."""
        # _next's work for the common head -- whole, every line ended by
        # CRLF, after no empty line -- with less of it: a header section the
        # same as the last request's on this connection (remembered by
        # _parse_head) is not parsed again, nor a request line the same as
        # the last one (_line); nor one with a body, chunked or the same but
        # for its Content-Length value (_with_body), whose body is then taken
        # in one slice.  Anything else -- the rest of a body, a head still
        # coming, a bare LF, an error -- is _next's.
        if self._state != _HEAD:
            return self._next()
        buf = self._buffer
        start = self._start
        wire = self._wire
        if wire is not None and buf.startswith(wire, start):
            # The very head of the last request, byte for byte (see _wire):
            # no find, slice, partition or comparison of its parts.
            return self._bodiless_request(self._wire_parsed, start + len(wire), len(buf))
        scan = self._scanned if self._scanned > start else start
        crlf = buf.find(b"\n\r\n", scan)
        if crlf < 0 or buf[start] not in _TCHAR_BYTES or buf[crlf - 1] != 13:
            return self._next()
        head = buf[start:crlf - 1]
        line, _, section = head.partition(b"\r\n")
        after = crlf + 3
        if section == self._section:
            # The head is a request line and a section found valid: only
            # the line is to check.  (Too long, or with a CR, LF, tab or
            # control character: _next says so, as it would have.)
            same = line == self._line
            if len(line) > self._line_room or (
                    not same and 0 in line.translate(_NUL_IF_CR_LF_TAB_OR_CONTROL)):
                return self._next()
            self._start = after
            self._scanned = after
            self._empty_lines = 0
            # (_request_line raises what _next would.)
            known = self._line_parsed if same else self._request_line(line)
            method, target, path, query, version, http11 = known
            parsed = method, target, path, query, version, self._keep_alive[http11]
            if same:                    # (twice: the head is the wire, see __init__)
                self._wire = buf[start:after]
                self._wire_parsed = parsed
            return self._bodiless_request(parsed, after, len(buf))
        with_body = self._with_body
        if (with_body is not None and section.startswith(with_body[0])
                and section.endswith(with_body[1])):
            # (A method of its own: its locals would cost every request
            # here, a bodiless one too, the clearing of a larger frame.)
            return self._next_with_body(buf, head, line, section, after, with_body)
        # A new section: what _next does with a regular head.
        if (0 in head.replace(b"\r\n", b"").translate(_NUL_IF_CR_LF_TAB_OR_CONTROL)
                or len(head) > self._max_head or len(line) > self._max_line):
            return self._next()                 # (a bare CR or LF, too large...)
        lines = section.split(b"\r\n") if section else []
        if len(lines) > self._max_headers:
            return self._next()
        self._start = after
        self._scanned = after
        self._empty_lines = 0
        fields = []
        special = []
        common = _COMMON_NAMES
        for field_line in lines:
            raw, colon, value = field_line.partition(b":")
            name = common.get(raw)
            if name is None or not colon:
                name = self._field_name(field_line, raw, colon)
            field = name, value.strip(b" \t")
            fields.append(field)
            if name in _SPECIAL:
                special.append(field)
        self._message = message = self._parse_head(line, fields, special, section)
        if self._state == _HEAD:
            self.idle = after >= len(buf)
            return message
        return self._read_body()

    def _next_fed(self, data):
        """``feed(data)``, then ``next_request()``: what a server does with
        each read -- one call.  ``data`` that begins with the remembered
        head (_wire), read while idle, is taken here: a client that waits
        for each answer sends that and no more."""
        wire = self._wire
        if (wire is not None and self.idle and type(data) is bytes and data.startswith(wire)
                and self._state == _HEAD and not self._eof):
            # (feed's work -- data is the buffer -- then next_request's for
            # the remembered head.)
            self._buffer = data
            return self._bodiless_request(self._wire_parsed, len(wire), len(data))
        self.feed(data)
        return self.next_request()

    def _bodiless_request(self, parsed, after, end):
        """The request of a head without a body that ends at ``after`` in the
        buffer of ``end`` bytes, its line ``parsed`` (method, target, path,
        query, version, keep_alive), its section the remembered one."""
        self._start = after
        self._scanned = after
        self._empty_lines = 0
        method, target, path, query, version, keep_alive = parsed
        request = _new_object(Request)          # (as in _parse_head)
        request.method = method
        request.target = target
        request.path = path
        request.query = query
        request.version = version
        request.headers = list(self._fields)    # (the handler's to change)
        request.body = b""
        request.keep_alive = keep_alive
        request.expect_continue = False
        self._message = request
        self.idle = after >= end
        return request

    def _next_with_body(self, buf, head, line, section, after, with_body):
        """next_request's shortcut for a head whose section begins and
        ends as the one remembered with a body (_with_body): the request,
        its body read as far as the buffer goes.  The section must be that
        one but for the digits of its Content-Length (digits only: then the
        lines, their count and the other fields are the same), or the very
        one if chunked.  Left to _next: a length with more digits than
        _framing reads at once or over the limit, a head or line too long,
        a line with a byte it refuses."""
        prefix, suffix, fields, at, keep_alive = with_body
        digits = section[len(prefix):len(section) - len(suffix)]
        if at >= 0:
            if not digits.isdigit() or len(digits) > 18:
                return self._next()
            length = int(digits)
            if length > self.max_body:
                return self._next()
        elif digits:                            # (chunked: the very section, no more)
            return self._next()
        if len(head) > self._max_head or len(line) > self._max_line:
            return self._next()
        same = line == self._line
        if not same and 0 in line.translate(_NUL_IF_CR_LF_TAB_OR_CONTROL):
            return self._next()
        self._empty_lines = 0
        self._start = after
        self._scanned = after
        known = self._line_parsed if same else self._request_line(line)
        method, target, path, query, version, http11 = known
        headers = list(fields)
        if at >= 0:
            headers[at] = (b"content-length", digits)
        elif not http11:                        # (what _framing says of a chunked one)
            self._fail(400, _CHUNKED_IN_HTTP_1_0)
        request = _new_object(Request)          # (as in _parse_head)
        request.method = method
        request.target = target
        request.path = path
        request.query = query
        request.version = version
        request.headers = headers
        request.keep_alive = keep_alive[http11]
        request.expect_continue = False
        self._message = request
        if at < 0:                              # (_start_body's work for chunked)
            request.body = b""
            self._chunks = []
            self._body_size = 0
            self._state = _CHUNK_SIZE
            return self._read_body()
        end = after + length
        if end <= len(buf):
            # The whole body is here: one slice, no trip through the
            # body states (_start_body, _read_body, _finish).
            request.body = buf[after:end]
            self._start = end
            self._scanned = end
            self.idle = end >= len(buf)
            return request
        request.body = b""
        self._chunks = []
        self._body_size = 0
        self._state = _BODY
        self._remaining = length
        return self._read_body()

    def _request_line(self, line):
        """``(method, target, path, query, version, http11)`` of a request
        line (without its CRLF), remembered as the last (_line); raises
        ProtocolError for a bad one."""
        parts = line.split(b" ")
        if len(parts) != 3:
            self._fail(400, "malformed request line %r" % line[:80])
        method, target, version = parts
        if version != b"HTTP/1.1" and version != b"HTTP/1.0":
            if not (len(version) == 8 and version.startswith(b"HTTP/") and version[5] in _DIGITS
                    and version[6] == 46 and version[7] in _DIGITS):
                self._fail(400, "malformed HTTP version %r" % version[:20])
            if version[5] != 49:                # "1"
                self._fail(505, "HTTP version %s not supported" % version.decode())
            # HTTP/1.2 and up: read as the highest 1.x we speak (RFC 9110 2.5).
            version = b"HTTP/1.1"
        known = _METHODS.get(method)
        if known is None:
            if not method or 0 in method.translate(_NUL_UNLESS_TCHAR):
                self._fail(400, "malformed method %r" % method[:20])
            known = method.decode("ascii")
        method = known
        try:
            target = target.decode("ascii")
        except UnicodeDecodeError:
            self._fail(400, "a request target that is not ASCII")
        # The target: /path?query, or the absolute form (a proxy's), or "*".
        if target[:1] != "/":
            if target == "*" and method == "OPTIONS":
                pass
            elif target[:8].lower().startswith(("http://", "https://")):    # any case
                # The authority ends at the path's "/" or the query's "?"
                # (RFC 3986 3); an empty path is "/" (RFC 9112 3.2.2), and
                # the query stays: "http://h?q" is "/?q".
                authority = target.index("//") + 2
                slash = target.find("/", authority)
                question = target.find("?", authority, slash if slash >= 0 else len(target))
                # Its authority is a Host's "host [: port]": not empty (RFC
                # 9110 4.2.1), no userinfo (4.2.4: an error), no fragment.
                if not _valid_host(target[authority:question if question >= 0 else
                                          slash if slash >= 0 else len(target)].encode()):
                    self._fail(400, "malformed request target %r" % target[:80])
                if question >= 0:
                    target = "/" + target[question:]
                else:
                    target = target[slash:] if slash >= 0 else "/"
            elif method == "CONNECT" and target:
                # The authority form, "host:port" (RFC 9112 3.2.3): refused
                # above us, unless a route takes CONNECT -- then valid.
                if not (_valid_host(target.encode()) and target.rpartition(":")[2].isdigit()):
                    self._fail(400, "malformed request target %r" % target[:80])
            else:
                self._fail(400, "malformed request target %r" % target[:80])
        if "?" in target:
            path, _, query = target.partition("?")
        else:                                   # (most targets: no tuple to build)
            path, query = target, ""
        if "%" in path:
            path = unquote(path, errors="surrogateescape")
        known = method, target, path, query, version, version == b"HTTP/1.1"
        self._line = line
        self._line_parsed = known
        return known

    def _parse_head(self, line, headers, special, section):
        # (section: the head's header section, when next_request may
        # remember it -- every line ended by CRLF, no control character.)
        known = self._line_parsed if line == self._line else self._request_line(line)
        method, target, path, query, version, keep_alive = known
        expect_continue = False
        hosts = 0
        framed = False
        usual = True                # one Connection at most, no Expect
        connection = None
        for name, value in special:
            if name == b"host":
                hosts += 1
                if value != self._host and value:   # (empty: valid, RFC 9112 3.2)
                    if not _valid_host(value):          # RFC 9112 3.2: a 400
                        self._fail(400, "invalid Host header %r" % value[:80])
                    self._host = value
            elif name == b"connection":
                tokens = _tokens(value)
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens and version == b"HTTP/1.0" and (
                        connection is None or b"close" not in connection):
                    keep_alive = True           # (unless an earlier field said close)
                if connection is not None:      # (several fields: their tokens together)
                    usual = False
                    tokens = connection + tokens
                connection = tokens
            elif name == b"expect":
                if value.lower() != b"100-continue":
                    self._fail(417, "cannot meet Expect: %r" % value[:40])
                expect_continue = version == b"HTTP/1.1"
                usual = False
            else:
                framed = True
        if hosts != 1 and (hosts or version == b"HTTP/1.1"):
            self._fail(400, "%s Host header" % ("more than one" if hosts else "no"))
        framing = None
        if framed:
            framing, length = self._framing(special, version)
        if section is not None and keep_alive and usual and hosts == 1:
            # The section, for next_request, once it came twice in a row:
            # the client sends it every time.  (Once only: a first request,
            # or a client whose headers change; remembering costs.)
            if framing is not None:
                self._remember_with_body(section, headers, special, connection, framing)
            elif section != self._candidate:
                self._candidate = section
            else:
                self._remember(section, headers, connection)
        # Request(...) with its fields set here: a class's __init__ is a call
        # the interpreter cannot inline (CPython 3.11), dearer than these stores.
        request = _new_object(Request)
        request.method = method
        request.target = target
        request.path = path
        request.query = query
        request.version = version
        request.headers = headers
        request.body = b""
        request.keep_alive = keep_alive
        request.expect_continue = expect_continue
        if framed:
            self._start_body(framing, length)
        return request

    def _forget(self):
        self._wire = None
        self._section = None
        self._candidate = None
        self._with_body = None
        self._with_body_candidate = None

    def _remember(self, section, headers, connection):
        """Remember ``section`` for next_request (see __init__)."""
        self._wire = None               # (its fields are the old section's)
        self._section = section
        self._fields = tuple(headers)
        self._keep_alive = _keep_alive(connection)
        room = self._max_head - 2 - len(section)
        self._line_room = room if room < self._max_line else self._max_line

    def _remember_with_body(self, section, headers, special, connection, framing):
        """Remember ``section``, of a request with a body, for next_request
        if the one before was the same -- but for the digits of its one
        Content-Length, if not chunked (see __init__)."""
        candidate = self._with_body_candidate
        self._with_body_candidate = section
        if candidate is None:           # (a first request: nothing to compare)
            return
        if framing == "chunked":
            if candidate == section:
                self._with_body = section, b"", tuple(headers), -1, _keep_alive(connection)
            return
        fields = [field for field in special if field[0] == b"content-length"]
        digits = fields[0][1]
        if len(fields) != 1 or not digits.isdigit():    # (not "5, 5")
            return
        # Where its digits are in the section: its line, then after the
        # colon and the whitespace.
        at = headers.index(fields[0])
        lines = section.split(b"\r\n")
        begin = sum(len(line) + 2 for line in lines[:at])
        value = lines[at].partition(b":")[2]
        begin += len(lines[at]) - len(value.lstrip(b" \t"))
        prefix = section[:begin]
        suffix = section[begin + len(digits):]
        if (candidate.startswith(prefix) and candidate.endswith(suffix)
                and candidate[len(prefix):len(candidate) - len(suffix)].isdigit()):
            self._with_body = prefix, suffix, tuple(headers), at, _keep_alive(connection)


def _keep_alive(connection):
    """keep_alive for HTTP/1.0 and for HTTP/1.1 of a remembered section,
    with ``connection`` its Connection tokens (no "close" there) or None."""
    return (True, True) if connection is not None and b"keep-alive" in connection else (False, True)


class ResponseParser(_Parser):
    """Responses from a server, for a client::

        parser = ResponseParser()
        parser.feed(data)
        response = parser.next_response("GET")  # None: feed more

    ``method`` is the request's: a response to HEAD has no body.  Interim
    responses (1xx) are skipped -- but a ``101 Switching Protocols`` is
    returned, with ``keep_alive`` False (what follows it is another
    protocol's bytes), and a status below 100, invalid, is a final answer
    (RFC 9110 15).  A response with neither length nor chunking runs until
    the close: ``feed_eof()`` completes it.  A header field folded over
    several lines (obsolete, but sent by old servers) is read as one line,
    each fold a space, as RFC 9112 5.2 tells a client to; a request's is
    refused.  So is a control character in a request, but in a response
    only a NUL (or a bare CR): a cookie with a \\x01 in it is a page still.
    The version is ``HTTP/1.`` and one digit: ``HTTP/1.0``, ``HTTP/1.1``,
    or a later minor version (``HTTP/1.2``), read as ``HTTP/1.1`` (RFC 9110
    2.5) as a request's is; anything else (``HTTP/1.``, ``HTTP/1.10``) is a
    ``ProtocolError``.
    ``idle`` (an attribute: read it, do not set it) is True between
    responses with nothing of the next one received.
    """

    _start_line = "status line"
    _unfold = True
    # A control character but NUL (and a bare CR or LF) is kept in a
    # response: servers put them in cookies (RFC 9110 5.5 lets a recipient
    # retain them), and a crawler must not fail the page for it.
    _controls = bytes(range(256))

    def __init__(self, **limits):
        limits.setdefault("max_body", 16 << 20)
        super().__init__(**limits)
        self._method = "GET"

    def next_response(self, method="GET"):
        """The next complete ``Response`` to a ``method`` request, or ``None``.
        Raises ``ProtocolError`` (its ``status`` is meaningless here)."""
        if self._state == _HEAD:
            self._method = method
        while True:
            if self._state == _HEAD and self._start < len(self._buffer):
                self._check_http()
            response = self._next()
            if response is None or not 100 <= response.status < 200 or response.status == 101:
                return response
            # 1xx: an interim response; the real one follows.

    def _check_http(self):
        """Refuse a response that does not begin with "HTTP/" as soon as its
        first bytes say so: a server of another protocol (SSH's banner, an
        SMTP greeting, a Redis error) may send no blank line ever, and the
        client would wait for the end of a head until its timeout -- which
        then said "no response", when the answer was not HTTP."""
        text = self._buffer[self._start:self._start + 2 * MAX_EMPTY_LINES + 40]
        text = text.lstrip(b"\r\n")               # (empty lines first: _next's to judge)
        if text and not b"HTTP/".startswith(text[:5]):
            self._fail(400, "malformed status line: it begins with %r, not HTTP/ (is it an "
                       "HTTP server?)" % text.split(b"\n", 1)[0].rstrip(b"\r"))

    def _parse_head(self, line, headers, special, section):
        parts = line.split(b" ", 2)
        version = parts[0]
        if len(parts) < 2 or not version.startswith(b"HTTP/1."):
            self._fail(400, "malformed status line %r" % line[:80])
        if len(version) != 8 or version[7] not in _DIGITS:     # "HTTP/1." DIGIT, as a request's
            self._fail(400, "malformed HTTP version %r in the status line %r"
                       % (version[:20], line[:80]))
        if version[7] > 49:                     # HTTP/1.2 and up: read as 1.1 (RFC 9110 2.5)
            version = b"HTTP/1.1"
        status = parts[1]
        if len(status) != 3 or not status.isdigit():
            self._fail(400, "malformed status code %r" % status[:20])
        status = int(status)
        reason = parts[2].decode("latin-1") if len(parts) == 3 else ""
        keep_alive = version == b"HTTP/1.1"
        tokens = []                             # (of every Connection field: close wins)
        for name, value in special:
            if name == b"connection":
                tokens += _tokens(value)
        if b"close" in tokens:
            keep_alive = False
        elif b"keep-alive" in tokens:
            keep_alive = True
        if status == 101:
            keep_alive = False                  # (what follows is not HTTP/1.1)
        response = Response(status, reason, version, headers, b"", keep_alive)
        # (Below 100: invalid, read as a 5xx -- a final answer -- RFC 9110 15.)
        if self._method == "HEAD" or 100 <= status < 200 or status in (204, 304):
            self._start_body(None, None)
        else:
            framing, length = self._framing(special, version)
            if framing is None:
                framing = "close"
            if framing == "close":
                response.keep_alive = False
            self._start_body(framing, length)
        return response


# ============================================================ encoding

def encode_headers(headers):
    """``b"Name: value\\r\\n..."`` from ``(name, value)`` pairs: a name of
    str or bytes, a value of str, bytes or int (``("Content-Length", 12)``);
    str as latin-1.  Raises ``ValueError``, naming the header, for a name
    that is empty or not a token, or a value with a CR, an LF or another
    control character (a tab is allowed)."""
    out = []
    for name, value in headers:
        if isinstance(name, str):
            name = name.encode("latin-1")
        if isinstance(value, str):
            value = value.encode("latin-1")
        elif isinstance(value, int):
            value = b"%d" % value
        # (Tables, not translate(None, allowed), which builds one per call.)
        if (0 in name.translate(_NUL_UNLESS_TCHAR) or not name
                or 0 in value.translate(_NUL_IF_CR_LF_OR_CONTROL)):
            raise ValueError("header %r: %r cannot be sent" % (name, value))
        out.append(b"%s: %s\r\n" % (name, value))
    return b"".join(out)


def encode_response(status, headers=(), body=b"", *, reason=None, head_only=False,
                    keep_alive=True, version=b"HTTP/1.1"):
    """The bytes of a whole response.  ``Content-Length`` (and
    ``Connection: close`` when not ``keep_alive``) are added; ``head_only``
    (a response to HEAD) leaves the body out but keeps its length."""
    if reason is None:
        reason = STATUS_REASONS.get(status, "Unknown")
    head = [b"%s %d %s\r\n" % (version, status, reason.encode("latin-1")),
            encode_headers(headers)]
    if status >= 200 and status not in (204, 304):
        head.append(b"Content-Length: %d\r\n" % len(body))
    if not keep_alive:
        head.append(b"Connection: close\r\n")
    head.append(b"\r\n")
    if not head_only:
        head.append(body)
    return b"".join(head)


def encode_request(method, target, headers=(), body=b""):
    """The bytes of a whole request (``Content-Length`` added when there is
    a body or the method usually has one)."""
    head = [b"%s %s HTTP/1.1\r\n" % (method.encode("ascii"), target.encode("ascii")),
            encode_headers(headers)]
    if body or method in ("POST", "PUT", "PATCH"):
        head.append(b"Content-Length: %d\r\n" % len(body))
    head.append(b"\r\n")
    head.append(body)
    return b"".join(head)
