"""The HTTP/1.1 parsers against h11's, on seeded random byte streams.

Three kinds of stream, each fed in random pieces (a byte, a few, many):

* **requests** -- pipelined, valid (methods, targets of every form, header
  values with odd but legal bytes, Content-Length bodies with leading
  zeros or given twice, chunked bodies with extensions and trailers,
  HTTP/1.0 and 1.2, ``Connection``, ``Expect: 100-continue``), half of
  them then damaged: a byte changed, inserted or deleted, a line end made
  a bare LF, a space before a colon, a framing header or a fold inserted;
* **framing** -- a request whose ``Content-Length``, ``Transfer-Encoding``
  or chunk sizes take one of the usual smuggling forms (``+5``, ``5, 5``,
  ``0x5``, a space before the colon, ``chunked, identity``, ``,chunked``,
  both headers, ``5 ;a``, a bare LF after a chunk...) followed by two
  more requests: a parser that frames the body otherwise sees another
  request;
* **responses** -- to GET, HEAD and POST: 1xx first, 204 and 304,
  Content-Length, chunked or up to the close, HTTP/1.0 with and without
  keep-alive, half of them damaged.

``RequestParser`` (through ``feed`` + ``next_request`` and the server's
``_next_fed``, at random) and ``ResponseParser`` must read what h11 0.16
reads (``h11.Connection(h11.SERVER)`` / ``CLIENT``): the same messages --
method, target, version, header fields in order, body -- and stop where it
stops.  Where the two part, ours must be the documented side:

* **stricter** (we refuse, h11 reads on): the module docstring of
  ``trampoline/protocols/http.py`` -- no obs-fold in a request, no control
  character in a request head, a Host that is not ``host[:port]`` (RFC 9112
  3.2), a target of no form RFC 9112 3.2 has, no ``Content-Length`` beside
  ``Transfer-Encoding``, chunked framing in CRLF only, an Expect we cannot
  meet (417); so we may end in an error where h11 read more, never read
  something else;
* **more lenient** (we read on, h11 refuses), only for these, each where
  RFC 9110/9112 allow it: empty lines -- a bare LF one too -- before a
  request or a status line (module docstring; RFC 9112 2.2), empty list
  elements in ``Transfer-Encoding`` (RFC 9110 5.6.1; test_http_h11_cases'
  ``test_chunked_in_any_case``), whitespace before a chunk extension's
  ``;`` and leading zeros in a chunk size (RFC 9112 7.1.1's BWS and
  ``1*HEXDIG``), a response's framing headers when it has no body (HEAD,
  1xx, 204, 304: RFC 9112 6.3 reads none), an empty line left at the close
  (h11: "no request line received");
* and where both read: HTTP/1.0 keep-alive is ours (``Request``'s
  ``keep_alive``; h11 always closes), an absolute-form target is cut to its
  path (``Request``'s docstring), ``Content-Length`` fields are compared by
  the body they frame (h11 folds ``5, 5`` into one field), a
  ``Transfer-Encoding`` value case-blind (h11 lowercases it).

h11 is not installed in CI (``.[test]`` has no h11), and a check skipped
there is no check: h11's readings are recorded below as data (per seed:
how many messages it read, a digest of each, how it ended), made by this
file's oracle; the test needs only trampoline.  With h11 installed,
``python3 tests/test_http_random_vs_h11.py`` runs the oracle again and
rewrites them.  The exploration behind this file ran 20,000 streams of
each kind on CPython 3.11 and found two differences, fixed and pinned by
the first tests here: a status line's version was read if it began with
``HTTP/1.`` (``HTTP/1.``, ``HTTP/1.x``, ``HTTP/1.10``), and ``HTTP/1.2``
was not kept alive; and beside a bare LF line end, a bare CR ending the
last header line was dropped (``Content-Length: 3\\r`` read as 3).  With
both fixed, none of the 60,000 differs but as documented.
"""

import ast
import hashlib
import random
import re

import pytest

from trampoline.protocols.http import ProtocolError, RequestParser, ResponseParser

# ======================================================= the regression tests


@pytest.mark.parametrize("version", [b"HTTP/1.", b"HTTP/1.x", b"HTTP/1.10", b"HTTP/1.\x17",
                                     b"HTTP/1.00"])
def test_a_response_whose_version_is_not_http_1_and_a_digit_is_refused_naming_it(version):
    """A status line's version is ``HTTP/1.`` and one digit (RFC 9112
    2.3), as a request's must be; h11 refuses these too.  ResponseParser
    read any version that began with ``HTTP/1.`` -- and with
    ``Connection: keep-alive`` kept the connection for the next response,
    whatever that version meant."""
    parser = ResponseParser()
    parser.feed(version + b" 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok")
    with pytest.raises(ProtocolError) as error:
        parser.next_response()
    assert str(error.value) == "malformed HTTP version %r in the status line %r" % (
        version, version + b" 200 OK")


def test_a_response_of_a_later_minor_version_is_read_as_http_1_1_and_kept_alive():
    """RFC 9110 2.5, as RequestParser does (and h11 keeps such a connection
    too): ``HTTP/1.2`` is read as the highest 1.x we speak.  It was kept as
    ``HTTP/1.2`` and, not being ``HTTP/1.1``, closed after each response."""
    parser = ResponseParser()
    parser.feed(b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.9 204 No\r\n\r\n")
    first, second = parser.next_response(), parser.next_response()
    assert (first.version, first.keep_alive, first.body) == (b"HTTP/1.1", True, b"ok")
    assert (second.version, second.keep_alive, second.status) == (b"HTTP/1.1", True, 204)


@pytest.mark.parametrize("parser, head", [
    (RequestParser, b"POST / HTTP/1.1\nHost: x\r\nContent-Length: 3\r\r\n\r\nabc"),
    (RequestParser, b"POST / HTTP/1.1\nHost: x\r\nContent-Length: 3\r\r\n\nabc"),
    (ResponseParser, b"HTTP/1.1 200 OK\nContent-Length: 3\r\r\n\r\nabc"),
])
def test_a_bare_cr_ending_the_last_header_line_is_refused_beside_a_bare_lf(parser, head):
    """A bare CR is refused in a head (the module docstring; RFC 9112 2.2),
    and h11 refuses it.  But in a head with a bare LF line end somewhere,
    the CR that ended its last line -- just before that line's CRLF, or its
    LF -- was taken for the CR of a CRLF and dropped: ``Content-Length:
    3\r`` framed a body of 3 bytes that h11 refuses.  Without the bare LF
    elsewhere, it was refused already."""
    reader = parser()
    reader.feed(head)
    with pytest.raises(ProtocolError) as error:
        reader.next_request() if parser is RequestParser else reader.next_response()
    assert str(error.value) == ("a control character b'\\r' in the header line "
                                "b'Content-Length: 3\\r'")
    assert error.value.status == 400


# ======================================================= the streams

METHODS = [b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"PATCH", b"FOO",
           b"M-SEARCH", b"x!#$%&'*+.^_`|~"]
TARGETS = [b"/", b"/a/b?c=d", b"/%41%zz", b"/x?y#frag", b"*", b"http://h/p?q",
           b"/~!$&'()*+,;=:@", b"//"]
NAMES = [b"X-A", b"x-b", b"Foo", b"!#$%&'*+-.^_`|~", b"A" * 30, b"Accept", b"User-Agent",
         b"Cookie"]
VALUE_BYTES = bytes(range(0x21, 0x7f)) + b" \t" + bytes(range(0x80, 0x100))


def _value(r):
    return bytes(r.choice(VALUE_BYTES) for _ in range(r.randrange(0, 12)))


def _chunked(r, body):
    out = []
    i = 0
    while i < len(body):
        n = r.randrange(1, len(body) - i + 1)
        ext = r.choice([b";a=b", b";x", b'; y="q"', b";a=b;c"]) if r.random() < 0.3 else b""
        size = b"%x" % n
        if r.random() < 0.2:
            size = b"0" + size.upper()
        out.append(size + ext + b"\r\n" + body[i:i + n] + b"\r\n")
        i += n
    out.append(b"0" + (b";z" if r.random() < 0.2 else b"") + b"\r\n")
    if r.random() < 0.3:
        out.append(b"Trailer-X: 1\r\n")
    out.append(b"\r\n")
    return b"".join(out)


def _request(r):
    version = r.choice([b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/1.2"])
    method = r.choice(METHODS)
    target = r.choice(TARGETS)
    if target == b"*" and method != b"OPTIONS":
        target = b"/"
    lines = [method + b" " + target + b" " + version]
    fields = []
    if version != b"HTTP/1.0" or r.random() < 0.5:
        fields.append((b"Host", r.choice([b"example.com", b"h:80", b"[::1]:8", b"a.b"])))
    for _ in range(r.randrange(0, 4)):
        fields.append((r.choice(NAMES), _value(r)))
    if r.random() < 0.2:
        fields.append((b"Connection", r.choice([b"close", b"keep-alive", b"Keep-Alive, foo",
                                                b"upgrade"])))
    if r.random() < 0.1:
        fields.append((b"Expect", b"100-continue"))
    framing = r.random()
    raw = b""
    if framing < 0.35:
        raw = bytes(r.randrange(256) for _ in range(r.randrange(0, 20)))
        length = (b"0" if r.random() < 0.1 else b"") + b"%d" % len(raw)
        fields.append((b"Content-Length", length))
        if r.random() < 0.1:
            fields.append((b"Content-Length", length))
    elif framing < 0.6 and version != b"HTTP/1.0":
        body = bytes(r.randrange(256) for _ in range(r.randrange(0, 20)))
        fields.append((b"Transfer-Encoding", r.choice([b"chunked", b"Chunked"])))
        raw = _chunked(r, body)
    r.shuffle(fields)
    for name, value in fields:
        lines.append(name + r.choice([b": ", b":", b":\t"]) + value
                     + (b" " if r.random() < 0.1 else b""))
    return b"\r\n".join(lines) + b"\r\n\r\n" + raw


def _damage(r, data):
    kind = r.randrange(12)
    data = bytearray(data)
    i = r.randrange(len(data))
    if kind == 0:
        data[i] = r.randrange(256)
    elif kind == 1:
        data.insert(i, r.choice(b"\r\n\t :;0\x00\x01\x7f,"))
    elif kind == 2:
        del data[i]
    elif kind == 3:
        data[i:i] = r.choice([b"\r\nContent-Length: 3", b"\r\nTransfer-Encoding: chunked",
                              b"\r\n ", b"\r\n\tx", b"\n", b"\r\nContent-Length: 0",
                              b"\r\nContent-Length: 5, 5", b"\r\nContent-Length: +3",
                              b"\r\nConnection: close", b"\r\nHost: y"])
    elif kind == 4:
        return bytes(data).replace(b"\r\n", b"\n", r.randrange(1, 4))
    elif kind == 5:
        colon = data.find(b":", i)
        if colon > 0:
            data[colon:colon] = b" "
    return bytes(data)


def _pieces(r, data):
    out = []
    i = 0
    while i < len(data):
        n = r.choice([1, 2, 3, 7, 50, 1000])
        out.append(data[i:i + n])
        i += n
    return out


def requests_stream(seed):
    r = random.Random(seed)
    data = b"".join(_request(r) for _ in range(r.randrange(1, 4)))
    if r.random() < 0.5:
        for _ in range(r.randrange(1, 3)):
            data = _damage(r, data)
    return None, _pieces(r, data)


LENGTHS = [b"Content-Length: %d", b"Content-Length:%d ", b"Content-Length: +%d",
           b"Content-Length: 0x%x", b"Content-Length: -%d", b"Content-Length: %d\x00",
           b"Content-Length : %d", b"Content-Length\t: %d", b" Content-Length: %d",
           b"Content-length: %d", b"Content-Length: %d, %d", b"Content-Length: %d,",
           b"Content-Length: ,%d", b"Content-Length: %d\x0b", b"Content-Length: 0%d",
           b"Content-Length: %d\r\nContent-Length: %d", b"Content-Length: \"%d\"",
           b"Content-Length: %d.0", b"Content-Length: 1_0", b"Content-Length: %d %d",
           b"Content_Length: %d", b"Content-Length:\x0c%d", b"Content-Length: %d\r",
           b"Content-Length: \xd9\xa3", b"Content-Length: %d\n Content-Length: %d",
           b"X: y\r\n\tContent-Length: %d", b"Content-Length: %d\r\nContent-Length: 1%d",
           b"Content-Length: %d, 1%d", b"Content-Length: 1%d, %d"]
CODINGS = [b"chunked", b"chunked ", b"xchunked", b"chunked, identity", b"identity, chunked",
           b"chunked\x0b", b"\"chunked\"", b"chunked\r\nTransfer-Encoding: chunked",
           b"chunked\r\nTransfer-Encoding: identity", b"\tchunked", b"CHUNKED", b"chunk",
           b",chunked", b"chunked,", b"gzip, chunked", b"chunked;q=1", b"", b"\xc2\xa0chunked",
           b"chu\x00nked", b"chunked\r\n\r"]
SIZES = [b"%x", b"%X", b"0%x", b"%x ", b" %x", b"+%x", b"0x%x", b"-%x", b"%x\x00", b"%x;",
         b"%x;a", b"%x ;a", b"%x\t;a", b"%x;a=\"b;c\"", b"%x;a=\"\r\"", b"%x;\x01", b"%x\r",
         b"%x;a=b c", b"fffffffffffffffffff%x", b"000000000000000000000%x", b"%x\n", b"%x;a\n"]
LAST_CHUNKS = [b"0\r\n\r\n"] * 4 + [b"0\r\nT: 1\r\n\r\n", b"0\n\n", b"0\r\n\n", b"00\r\n\r\n",
                                     b"0;x\r\n\r\n", b"0\r\nT: 1\n\r\n", b"0\r\nT:\r\n 1\r\n\r\n"]


def _fill(pattern, n):
    return pattern % ((n,) * pattern.count(b"%"))


def framing_stream(seed):
    r = random.Random(seed)
    body = bytes(r.choice(b"abcdefGET /\r\n0123") for _ in range(r.randrange(0, 12)))
    n = len(body)
    version = r.choice([b"HTTP/1.1"] * 4 + [b"HTTP/1.0"])
    head = [b"POST /a " + version, b"Host: h"]
    kind = r.random()
    if kind < 0.4:
        head.append(_fill(r.choice(LENGTHS), n if r.random() < 0.7 else r.randrange(20)))
        payload = body
    else:
        if kind > 0.8:
            head.append(b"Content-Length: %d" % n)
        odd = r.random() < 0.5          # (one odd thing at a time: the head or the body)
        head.append((b"Transfer-Encoding: " if r.random() < 0.8 else
                     r.choice([b"Transfer-Encoding : ", b"Transfer-Encoding:"]))
                    + (b"chunked" if odd else r.choice(CODINGS)))
        parts = []
        i = 0
        while i < n:
            size = r.randrange(1, n - i + 1)
            parts.append(_fill(r.choice(SIZES) if odd else b"%x", size) + b"\r\n"
                         + body[i:i + size]
                         + (r.choice([b"\r\n"] * 8 + [b"\n", b"", b"\r", b"xx\r\n"]) if odd
                            else b"\r\n"))
            i += size
        payload = b"".join(parts) + (r.choice(LAST_CHUNKS) if odd else b"0\r\n\r\n")
    if r.random() < 0.3:
        head.insert(r.randrange(1, len(head) + 1),
                    r.choice([b"X: a", b"Connection: keep-alive", b"X: a\x7f"]))
    second = b"GET /second HTTP/1.1\r\nHost: h\r\n\r\n"
    data = b"\r\n".join(head) + b"\r\n\r\n" + payload + second + second
    return None, (_pieces(r, data) if r.random() < 0.5 else [data])


STATUSES = [200, 200, 201, 204, 304, 404, 500, 100, 103, 302, 199, 299, 999]


def _response(r, method):
    version = r.choice([b"HTTP/1.1"] * 5 + [b"HTTP/1.0"])
    status = r.choice(STATUSES)
    reason = r.choice([b"OK", b"", b"Some Reason", b"r\xe9ason", b"a\tb", b" x"])
    lines = [version + b" %d" % status + (b" " + reason if r.random() < 0.9 else b"")]
    fields = [(r.choice(NAMES), _value(r)) for _ in range(r.randrange(0, 3))]
    if r.random() < 0.2:
        fields.append((b"Connection", r.choice([b"close", b"keep-alive"])))
    body = bytes(r.randrange(256) for _ in range(r.randrange(0, 20)))
    kind = r.random()
    raw = body                                  # (up to the close)
    if kind < 0.45:
        fields.append((b"Content-Length", b"%d" % len(body)))
    elif kind < 0.8 and version == b"HTTP/1.1":
        fields.append((b"Transfer-Encoding", b"chunked"))
        raw = _chunked(r, body)
    if method == b"HEAD" or 100 <= status < 200 or status in (204, 304):
        raw = b""
    r.shuffle(fields)
    for name, value in fields:
        lines.append(name + r.choice([b": ", b":"]) + value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + raw, status


def responses_stream(seed):
    r = random.Random(seed)
    methods = []
    parts = []
    for _ in range(r.randrange(1, 4)):
        method = r.choice([b"GET", b"GET", b"HEAD", b"POST"])
        data, status = _response(r, method)
        parts.append(data)
        while 100 <= status < 200:
            data, status = _response(r, method)
            parts.append(data)
        methods.append(method)
    data = b"".join(parts)
    if r.random() < 0.5:
        for _ in range(r.randrange(1, 3)):
            data = _damage(r, data)
    return methods, _pieces(r, data)


# ======================================================= reading them

def _digest(message):
    """A message as compared: (method or status, target, version, fields,
    body), with the documented differences of reading taken out (the
    module's docstring), as 8 hex digits."""
    first, target, version, fields, body = message
    if target.lower().startswith(b"http://"):   # ours cuts the absolute form
        rest = target[7:]
        ends = [i for i in (rest.find(b"/"), rest.find(b"?")) if i >= 0]
        target = rest[min(ends):] if ends else b"/"
        if target.startswith(b"?"):
            target = b"/" + target
    if version[:2] == b"1." and version[2:] > b"1":     # ours: RFC 9110 2.5
        version = b"1.1"
    fields = [(name, value.lower() if name == b"transfer-encoding" else value)
              for name, value in fields if name != b"content-length"]
    text = repr((first, target, version, fields, body)).encode()
    return hashlib.sha1(text).hexdigest()[:8]


def ours(methods, pieces, r):
    """What our parser reads of ``pieces``: (digests, how it ended --
    "eof", "close" or "error:<status>")."""
    got = []
    try:
        if methods is None:
            parser = RequestParser()
            for piece in pieces + [None]:
                if piece is None:
                    parser.feed_eof()
                    request = parser.next_request()
                elif r.random() < 0.5:
                    request = parser._next_fed(piece)     # (what the server calls)
                else:
                    parser.feed(piece)
                    request = parser.next_request()
                while request is not None:
                    got.append(_digest((request.method.encode(), request.target.encode(),
                                        request.version[5:], request.headers, request.body)))
                    if not request.keep_alive or request.version == b"HTTP/1.0":
                        return got, "close"             # (h11: no HTTP/1.0 keep-alive)
                    request = parser.next_request()
        else:
            parser = ResponseParser()
            asked = 0
            for piece in pieces + [None]:
                if piece is None:
                    parser.feed_eof()
                else:
                    parser.feed(piece)
                while asked < len(methods):
                    response = parser.next_response(methods[asked].decode())
                    if response is None:
                        break
                    got.append(_digest((response.status, b"", response.version[5:],
                                        response.headers, response.body)))
                    asked += 1
                    if not response.keep_alive or response.version == b"HTTP/1.0":
                        return got, "close"
            if asked == len(methods):
                return got, "close"
        return got, "eof"
    except ProtocolError as exc:
        return got, "error:%d" % exc.status


STREAMS = {"requests": requests_stream, "framing": framing_stream,
           "responses": responses_stream}


def test_random_streams_read_as_h11_reads_them():
    """Each recorded seed's stream, read by our parser, gives h11's messages
    (recorded below), and where the two part, ours is a documented
    difference (the module's docstring): we end in an error having read a
    prefix of h11's messages (stricter), or read on where h11 stopped with
    one of the errors our rules read past (more lenient).  Never another
    message than h11's at the same place: no request smuggled either way."""
    problems = []
    checked = 0
    for kind, table in H11.items():
        make = STREAMS[kind]
        for seed, (digests, end, lenient) in sorted(table.items()):
            methods, pieces = make(seed)
            got, how = ours(methods, pieces, random.Random(seed))
            checked += 1
            common = min(len(got), len(digests))
            if got[:common] != digests[:common]:
                problems.append("%s %d: another message (ours %s, h11's %s)"
                                % (kind, seed, got, digests))
            elif len(got) < len(digests) or (len(got) == len(digests) and how != end
                                             and {how, end} != {"eof", "close"}):
                if not how.startswith("error") and not lenient:
                    problems.append("%s %d: ours %s %s, h11's %s %s"
                                    % (kind, seed, len(got), how, len(digests), end))
            elif len(got) > len(digests) and not lenient:
                problems.append("%s %d: ours read %d messages, h11 %d then %s"
                                % (kind, seed, len(got), len(digests), end))
    assert not problems, "%d differ:\n%s" % (len(problems), "\n".join(problems[:10]))
    assert checked >= 900


# ======================================================= the oracle (h11)

def _lenient(methods, data, got, message):
    """Whether h11 stopped, with ``message``, at what our documented rules
    read (the module's docstring): an empty line before a request or status
    line (or left at the close), empty elements of a Transfer-Encoding list
    that is ``chunked`` alone, a chunk-size line of hex digits, whitespace
    and an extension; and in a response, framing headers where none is
    read -- an answer to HEAD, or a 1xx, 204 or 304 in the stream."""
    if "no request line received" in message or "no response line received" in message:
        return True
    if "illegal chunk header" in message:
        line = ast.literal_eval(message[message.index("(") + 1:message.rindex(")")])
        return bool(re.fullmatch(rb"[0-9a-fA-F]+[ \t]*(;[^\x00-\x08\x0a-\x1f\x7f]*)?\r\n",
                                 bytes(line)))
    framing = ("Only Transfer-Encoding" in message or "Content-Length" in message)
    if framing and methods is not None and (
            methods[len(got)] == b"HEAD" or re.search(rb"HTTP/1\.\d (1\d\d|204|304)", data)):
        return True
    if "Only Transfer-Encoding" in message:
        values = re.findall(rb"(?im)^transfer-encoding[ \t]*:([^\r\n]*)", data)
        return bool(values) and all(
            [c.strip(b" \t").lower() for c in v.split(b",") if c.strip(b" \t")] == [b"chunked"]
            for v in values)
    return False


def h11_reading(methods, pieces):
    """h11's (digests, end, lenient): lenient is True when h11 stopped
    with an error our documented rules read past.  Needs h11; not run by
    the tests."""
    import h11

    got = []
    role = h11.SERVER if methods is None else h11.CLIENT
    conn = h11.Connection(role, max_incomplete_event_size=1 << 20)

    def ask(i):
        conn.send(h11.Request(method=methods[i], target=b"/", headers=[(b"host", b"h")]))
        conn.send(h11.EndOfMessage())

    if methods is not None:
        ask(0)
    head = None
    body = []
    try:
        for piece in pieces + [b""]:
            conn.receive_data(piece)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    break
                if event is h11.PAUSED:
                    return got, "close", False
                if isinstance(event, h11.ConnectionClosed):
                    return got, "eof", False
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Request):
                    head = (event.method, event.target, event.http_version, list(event.headers))
                    body = []
                elif isinstance(event, h11.Response):
                    head = (event.status_code, b"", event.http_version, list(event.headers))
                    body = []
                elif isinstance(event, h11.Data):
                    body.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    got.append(_digest(head + (b"".join(body),)))
                    if h11.MUST_CLOSE in (conn.our_state, conn.their_state):
                        return got, "close", False
                    if methods is None:
                        conn.send(h11.Response(status_code=200,
                                               headers=[(b"content-length", b"0")]))
                        conn.send(h11.EndOfMessage())
                        if h11.MUST_CLOSE in (conn.our_state, conn.their_state):
                            return got, "close", False
                    elif len(got) == len(methods):
                        return got, "close", False
                    conn.start_next_cycle()
                    if methods is not None:
                        ask(len(got))
        return got, "eof", False            # pragma: no cover - (h11 always says)
    except h11.RemoteProtocolError as exc:
        if "can't handle event type ConnectionClosed" in str(exc):
            return got, "close", False      # (a body up to the close: done)
        return (got, "error:%d" % exc.error_status_hint,
                _lenient(methods, b"".join(pieces), got, str(exc)))


def _record(path, count=300):
    """Rewrite the table below with h11's readings of the first ``count``
    seeds of each kind, and of ``FOUND``."""
    lines = []
    for kind, make in STREAMS.items():
        lines.append("    %r: {\n" % kind)
        for seed in list(range(count)) + FOUND.get(kind, []):
            digests, end, lenient = h11_reading(*make(seed))
            lines.append("        %d: (%r, %r, %r),\n" % (seed, digests, end, lenient))
        lines.append("    },\n")
    with open(path) as f:
        text = f.read()
    head, rest = text.split(_BEGIN, 1)
    _, tail = rest.split(_END, 1)
    with open(path, "w") as f:
        f.write(head + _BEGIN + "H11 = {\n" + "".join(lines) + "}\n" + _END + tail)


# The seeds beyond the first ``count`` that met the difference fixed above.
FOUND = {"requests": [19590], "responses": [357, 906, 1007, 2304, 3747, 3786, 15348]}

_BEGIN = "# h11's readings (made by _record) ----------\n"
_END = "# ---------- (end of h11's readings)\n"

# h11's readings (made by _record) ----------
H11 = {
    'requests': {
        0: (['89c977a0'], 'close', False),
        1: ([], 'error:400', False),
        2: (['8047a02c'], 'eof', False),
        3: (['dd5b6e0d'], 'eof', False),
        4: (['f8721d8d'], 'eof', False),
        5: (['469d934c', 'b42b0873', '3f1a9b45'], 'eof', False),
        6: (['d6c467a9', 'a9c2f3b1'], 'close', False),
        7: (['1f44e184', '2e27e370'], 'eof', False),
        8: (['2e69e9ad'], 'eof', False),
        9: (['79934b9d', '65fb06f9'], 'eof', False),
        10: (['12275fe2', '8302c9c4', '08a6ec24'], 'eof', False),
        11: (['ff3d6c83'], 'error:400', False),
        12: (['c95e3df6', 'da74a662'], 'eof', False),
        13: (['394b02a1', '84dadefd'], 'eof', False),
        14: (['c299c254'], 'eof', False),
        15: ([], 'error:400', False),
        16: (['80a3e51d', '7ca3d60f'], 'close', False),
        17: (['891607ee'], 'close', False),
        18: (['d552d94f'], 'eof', False),
        19: ([], 'error:400', False),
        20: (['0fae6deb', 'ce9d0bcb', '8178b9a1'], 'eof', False),
        21: (['9e40c7b1'], 'close', False),
        22: (['5779d340'], 'eof', False),
        23: (['4f960aca', '6fb5de1c'], 'eof', False),
        24: (['9f243f87'], 'close', False),
        25: (['95b7ef15', 'c69c4685'], 'close', False),
        26: (['c4b8c6ae', '61aefdd7', '2ded577c'], 'eof', False),
        27: (['63e423e5', 'ee36df78', 'dbed1688'], 'eof', False),
        28: (['2d328b4a'], 'eof', False),
        29: (['535bd17d', 'c24daf2c', 'cb4c8215'], 'eof', False),
        30: (['523be1d1', '3255cc56', 'a79b9195'], 'eof', False),
        31: ([], 'error:400', False),
        32: (['7d6c004e'], 'close', False),
        33: (['8931c037', '22402c44', '7ddbf1ac'], 'eof', False),
        34: (['633c5f40', 'fd5aec1a', '3ec843a3'], 'eof', False),
        35: (['3970d185', '5f5b5200', 'c8c00ed5'], 'eof', False),
        36: (['703d03e0'], 'error:400', False),
        37: (['b3fd3d38', 'b9a58f03', '03f13256'], 'eof', False),
        38: (['18f5965b'], 'close', False),
        39: (['98069913'], 'eof', False),
        40: (['2761c0dc', '7bf93251'], 'eof', False),
        41: (['de4248a5', '739a1256'], 'eof', False),
        42: (['73cf14f3', 'ce8c4103', 'b1a52e6e'], 'eof', False),
        43: (['fb8dee11'], 'error:400', False),
        44: (['63e4b718', 'c803ca0d'], 'eof', False),
        45: (['f72bc4ed'], 'close', False),
        46: (['3b49cc4c'], 'close', False),
        47: (['4b06ecb1', '6fa2d5c2'], 'eof', False),
        48: (['452f1550', '0fb29955'], 'close', False),
        49: (['4c0e1eab'], 'eof', False),
        50: ([], 'error:400', False),
        51: (['ae756b15'], 'eof', False),
        52: (['c5af49d9', '56417dd6'], 'eof', False),
        53: (['a8e1334a', '4da3fdc6', '4c077e44'], 'eof', False),
        54: (['ec93f1c1'], 'eof', False),
        55: (['6b63e35d'], 'eof', False),
        56: (['7a17528c'], 'error:400', False),
        57: (['16f402f1'], 'eof', False),
        58: (['3d505fd2', 'f15990cc', 'd9535d65'], 'eof', False),
        59: (['35acfd73'], 'eof', False),
        60: (['c33e3d54', 'a325783b'], 'eof', False),
        61: (['3981ce2b', 'c81c5174'], 'eof', False),
        62: (['fa29088c', '1726b13a', '5c187e63'], 'eof', False),
        63: (['ee7f6240', 'b96a8bf7'], 'eof', False),
        64: ([], 'error:400', False),
        65: (['c9ef864d', 'ffb9e21a'], 'error:400', False),
        66: ([], 'error:400', False),
        67: (['46fb1517'], 'eof', False),
        68: (['616d0a1c', 'b0340b4f', 'c4426436'], 'eof', False),
        69: (['451cd5db', '6db2d366', 'fb280ec5'], 'close', False),
        70: (['cbf5eb46'], 'eof', False),
        71: (['7ae4b997', '216fde46'], 'eof', False),
        72: (['5f9e9823'], 'eof', False),
        73: (['a03d76b1', '76c70a16'], 'close', False),
        74: (['8833d175'], 'error:400', False),
        75: (['d7cce00f'], 'close', False),
        76: (['e95e5259', 'be27e306'], 'eof', False),
        77: (['109bff61', '3fcee804'], 'eof', False),
        78: ([], 'error:501', False),
        79: (['10846900'], 'close', False),
        80: (['642c4f1d'], 'close', False),
        81: (['dc3dfad1', '30d10900', 'c1d6fa2c'], 'eof', False),
        82: (['0c07dad9'], 'eof', False),
        83: (['f0ae0e8e', '6e33ddbd'], 'close', False),
        84: (['0fa0a3fd', '92fe84df', '2e9d9309'], 'eof', False),
        85: (['adf36e0e'], 'eof', False),
        86: (['05a9140f'], 'eof', False),
        87: (['e82dfc52'], 'eof', False),
        88: (['9f4279d9', 'b8000933'], 'eof', False),
        89: (['9f21079c'], 'eof', False),
        90: (['0844e922'], 'eof', False),
        91: ([], 'error:400', False),
        92: (['032ac459', '96aba432'], 'close', False),
        93: (['f8384849', '5f9b805b'], 'close', False),
        94: (['fb62cf69', '25c4389d', 'f5905246'], 'close', False),
        95: (['fc2512e4', '925404b8', 'bc3f1d87'], 'eof', False),
        96: ([], 'error:400', False),
        97: ([], 'error:400', False),
        98: (['df742c1e', '5623a5fc'], 'eof', False),
        99: (['0a6efafe'], 'close', False),
        100: (['29eb0280'], 'eof', False),
        101: (['7ef4626b', '33cc8f98'], 'close', False),
        102: (['4eb9676c'], 'eof', False),
        103: (['e664720c', 'c9fa53bc', '8592ce91'], 'close', False),
        104: (['f0d90a90'], 'eof', False),
        105: (['52402b76'], 'error:400', False),
        106: (['b8e5d0e0', '153381a6', 'ab9f3c2d'], 'eof', False),
        107: ([], 'error:400', False),
        108: ([], 'error:400', False),
        109: (['822573d8', 'd4ecc40f'], 'eof', False),
        110: (['a5ac78d4', 'b2f2b282'], 'eof', False),
        111: (['72c88de0'], 'eof', False),
        112: (['3b3ea562', 'e367d0e1'], 'eof', False),
        113: (['3f6d8131'], 'eof', False),
        114: ([], 'error:400', False),
        115: (['ed58322e', '88404ecc'], 'eof', False),
        116: (['b43ec762'], 'error:400', False),
        117: ([], 'error:400', False),
        118: (['4a8398b7', '9dc11e56', 'ec13458e'], 'eof', False),
        119: (['fc1e9bcf', '67b5bd60'], 'close', False),
        120: (['487850bd', '253b06ad', '3de64ad9'], 'close', False),
        121: (['ea105dc6'], 'eof', False),
        122: (['040cabb4', '3c46fd45', '335257b6'], 'eof', False),
        123: (['0e463c6e'], 'eof', False),
        124: (['4ea4d40d'], 'error:400', False),
        125: (['cb1be960'], 'eof', False),
        126: (['7b0c2a07', '5ad69925'], 'close', False),
        127: (['8b865ecf'], 'eof', False),
        128: ([], 'error:400', False),
        129: (['2e30079f', '54033462'], 'error:400', False),
        130: (['ff2ee3f1'], 'close', False),
        131: (['925f4436', '0643be09'], 'eof', False),
        132: (['74d35e5d', '202a9912'], 'eof', False),
        133: (['144f938a', '88e25bc5'], 'eof', False),
        134: (['2bed3d9c', '52d7fa36'], 'eof', False),
        135: (['02badc22', '74d35e5d', '0a189e39'], 'eof', False),
        136: (['663ae686'], 'close', False),
        137: (['aa1f4672'], 'eof', False),
        138: (['68550ce7'], 'close', False),
        139: (['e6724752'], 'eof', False),
        140: ([], 'error:400', False),
        141: (['3c6694af'], 'error:400', False),
        142: (['3c86d897', '821200e4', 'f4e37427'], 'eof', False),
        143: (['25e8f08e'], 'eof', False),
        144: (['fb157038', 'd966b10b'], 'eof', False),
        145: ([], 'error:400', False),
        146: ([], 'error:400', False),
        147: (['f8630c5c', 'e29a845d'], 'error:400', False),
        148: (['5ad29686'], 'error:400', False),
        149: ([], 'error:400', False),
        150: (['79f88808'], 'close', False),
        151: ([], 'error:400', False),
        152: (['4e48f94d', 'ac8da76a'], 'close', False),
        153: (['410c020a', '7b69a852'], 'eof', False),
        154: (['3b6f13be'], 'close', False),
        155: (['fe945cf2', 'aadc3751', '49d92eda'], 'eof', False),
        156: (['fa4b08e1'], 'close', False),
        157: (['a8425159', '9592a6b5', '5cec8da0'], 'eof', False),
        158: (['b606f8f0', 'c57bc89d', '4e01b27d'], 'close', False),
        159: ([], 'error:400', False),
        160: (['9903cdce'], 'eof', False),
        161: (['a9613fe4', '924eae46', 'd83345c9'], 'close', False),
        162: (['2536eb24'], 'eof', False),
        163: (['8611b691'], 'close', False),
        164: (['437d1b1c'], 'eof', False),
        165: (['fbb25ea9'], 'close', False),
        166: (['d899ab98'], 'close', False),
        167: (['82563da0'], 'eof', False),
        168: (['b3b5c037', 'b1c6d9d4', '4e3167b1'], 'eof', False),
        169: (['3b5a41a7', '69ab3ab4'], 'eof', False),
        170: (['02e09863', '4b8bb588'], 'eof', False),
        171: (['9b066ff9'], 'close', False),
        172: (['c2af5571', 'db419d9b'], 'close', False),
        173: (['ea0b4120', '3b5141b1'], 'eof', False),
        174: (['b5e4d401'], 'eof', False),
        175: (['f00ba7d3', '9b313181'], 'eof', False),
        176: (['00253b79'], 'eof', False),
        177: (['e4ea4285'], 'eof', False),
        178: (['3f4f7061'], 'eof', False),
        179: ([], 'error:400', False),
        180: (['a0206f5f'], 'close', False),
        181: (['e3fed3ff', '4b028aa1', '45a58d00'], 'eof', False),
        182: (['2db5a012', 'c8106e20'], 'eof', False),
        183: (['0898be9d'], 'eof', False),
        184: (['53564d87'], 'close', False),
        185: (['060e0ce6'], 'eof', False),
        186: (['d37a55bb'], 'close', False),
        187: (['4eb64737', '372e8328'], 'close', False),
        188: (['0b58714d', '5f9a7025'], 'close', False),
        189: (['e306155d', 'b5e4d401'], 'eof', False),
        190: (['bdb23dc4'], 'eof', False),
        191: (['b5d330c8', '19c52f3a', '6a1a630e'], 'eof', False),
        192: (['e88fd1da', 'aed23451'], 'eof', False),
        193: (['f215fbca', 'ba7d2bf9', 'b58883e6'], 'close', False),
        194: (['901a1dbc', '0660b869', '44437b8a'], 'eof', False),
        195: (['632e8d33'], 'close', False),
        196: (['85bdb84e', '3b74908f', '8fc08c89'], 'eof', False),
        197: (['62c9db0a', '1066fbd7', 'a95ca8ce'], 'eof', False),
        198: ([], 'error:400', False),
        199: (['c99518d0'], 'close', False),
        200: (['abd8d841'], 'eof', False),
        201: (['6cf22ad1'], 'eof', False),
        202: (['d9192b1c', 'a0e98e53'], 'eof', False),
        203: (['ab40adf6'], 'eof', False),
        204: (['56712ba6', 'fcc7feef'], 'eof', False),
        205: (['7c254e9c', 'f4a42f71'], 'eof', False),
        206: (['82d8e511'], 'eof', False),
        207: (['b2edd4e2', 'b6e15969', '9ea050a2'], 'close', False),
        208: (['87f0c7a2', '4e224d74'], 'eof', False),
        209: (['37e95436', 'f8a02dfb', '8da93e67'], 'close', False),
        210: (['c5b2b1cf', '8d884506'], 'eof', False),
        211: (['c48798fe', '5ed8cd46', '29623929'], 'eof', False),
        212: (['4472c111'], 'error:400', False),
        213: ([], 'error:400', False),
        214: (['6f274052', '3d1266cd', '42725c5a'], 'close', False),
        215: (['2c9796bd'], 'eof', False),
        216: (['86ae3bb0'], 'eof', False),
        217: (['5181fc29', 'fce0e93f'], 'eof', False),
        218: (['4517f79f', 'ac163438'], 'eof', False),
        219: (['deac2860', '23bd2de1', '7aff6578'], 'eof', False),
        220: (['a11a2814', '94fd73c7'], 'error:400', False),
        221: (['ba7ea2f9'], 'close', False),
        222: (['5228d5b4'], 'eof', False),
        223: (['341f335e', 'c1977fe5'], 'eof', False),
        224: (['5d7461c7'], 'eof', False),
        225: (['174c8916', '1b27f36b', 'd6459461'], 'eof', False),
        226: (['6f8b21b5', '166510da'], 'eof', False),
        227: (['fc8eb6f3', '72b9bb32'], 'eof', False),
        228: (['ce3fc01d', '17e3f1cb', 'adf3fdc8'], 'eof', False),
        229: (['ad53f63a', '40eedd28'], 'close', False),
        230: (['b2c75e09', '9f5dcdd2', '9826d999'], 'eof', False),
        231: ([], 'error:400', False),
        232: (['74dc9723'], 'error:400', False),
        233: (['e80be48e', '34ededcf', '3d05b0d6'], 'eof', False),
        234: (['5f7c641e', '09ba058b'], 'eof', False),
        235: (['01168fdb'], 'error:400', False),
        236: ([], 'error:501', False),
        237: (['6425277f', '3104d675', '557bd84e'], 'eof', False),
        238: (['292df1bf', '33f2045e'], 'eof', False),
        239: ([], 'error:400', False),
        240: (['00d855f5', 'fa591e2a'], 'close', False),
        241: (['9cf63ea8', '85c81f56', '207d0bc4'], 'eof', False),
        242: (['aef40bdb', 'ec60fb5c'], 'eof', False),
        243: (['43507321', 'b7198075', 'b9a99a79'], 'eof', False),
        244: (['8277f1a1'], 'close', False),
        245: (['4c854ab3'], 'eof', False),
        246: (['f7d10bfe'], 'close', False),
        247: (['c9eeca6d', '61685251'], 'eof', False),
        248: (['8bdd5bff', '615872f9'], 'eof', False),
        249: (['328ba4f8', '8147dd2a'], 'eof', False),
        250: (['dfe661c6'], 'close', False),
        251: (['081129ca'], 'close', False),
        252: (['af3fff14', '35d4f106', 'c0f939fa'], 'eof', False),
        253: (['b8d9dc9e'], 'close', False),
        254: (['88f02f9e', '0adb78a6'], 'eof', False),
        255: (['87f412c8'], 'eof', False),
        256: (['b48debbf', 'c42d08aa'], 'eof', False),
        257: (['bae5319a'], 'close', False),
        258: (['b1abe2f3', '3d73bd90'], 'close', False),
        259: (['ed1ac2fe'], 'eof', False),
        260: (['e86e4a10'], 'eof', False),
        261: (['0fd82e8a', 'c4e6b4b0'], 'close', False),
        262: (['6bfd47e0'], 'close', False),
        263: (['d11c6449'], 'close', False),
        264: (['74d91251', '23d134f2', 'f5208d23'], 'eof', False),
        265: (['2818a354'], 'error:400', False),
        266: ([], 'error:501', False),
        267: (['1d99c492'], 'eof', False),
        268: (['db707ebe', '8d423eeb', '8b91d362'], 'eof', False),
        269: (['0e34553f'], 'eof', False),
        270: (['c27f526f'], 'eof', False),
        271: (['fb597cd0'], 'error:400', False),
        272: (['2580c300', '34dbde31'], 'eof', False),
        273: (['4646274d'], 'eof', False),
        274: (['2efa2dd2'], 'eof', False),
        275: ([], 'error:400', False),
        276: (['aebf00a2'], 'error:400', False),
        277: ([], 'error:400', False),
        278: (['2548e17e'], 'error:400', False),
        279: (['78ee37ce', '7862fe1d'], 'eof', False),
        280: (['23717efe'], 'error:400', False),
        281: (['09f49ef5'], 'eof', False),
        282: (['f7da58c9', '55fcca11'], 'error:400', False),
        283: (['a1aa888c', 'e7f08162', '9d85bebc'], 'eof', False),
        284: ([], 'error:400', False),
        285: (['b043518d', 'ed8ca16f', 'bce0b488'], 'eof', False),
        286: (['e86e85c4'], 'close', False),
        287: ([], 'error:400', False),
        288: (['f06cfbf6', '0116ac02'], 'eof', False),
        289: (['e02efcf3', 'd16a52b2'], 'close', False),
        290: (['97b9deca'], 'error:400', False),
        291: ([], 'error:400', False),
        292: (['d220306d'], 'eof', False),
        293: (['8809570d'], 'error:400', False),
        294: ([], 'error:400', False),
        295: (['9c112164', '49b5d31e'], 'eof', False),
        296: (['e3c19a33'], 'eof', False),
        297: (['142158e8'], 'close', False),
        298: (['7ef8c239'], 'eof', False),
        299: (['717d09ca', '2663b011'], 'eof', False),
        19590: ([], 'error:400', False),
    },
    'framing': {
        0: ([], 'error:400', False),
        1: ([], 'error:400', True),
        2: ([], 'error:400', False),
        3: (['989a3b0c'], 'close', False),
        4: ([], 'error:400', False),
        5: ([], 'error:400', False),
        6: (['7e013ee5'], 'error:400', False),
        7: ([], 'error:501', False),
        8: ([], 'error:400', False),
        9: ([], 'error:400', False),
        10: ([], 'error:400', True),
        11: ([], 'error:400', False),
        12: (['8f46ed05'], 'error:400', False),
        13: ([], 'error:400', False),
        14: (['5344b29b', 'c9e03063', 'abfad8a2'], 'eof', False),
        15: ([], 'error:400', False),
        16: ([], 'error:400', False),
        17: ([], 'error:400', False),
        18: (['2a26dae1', 'abfad8a2', 'abfad8a2'], 'eof', False),
        19: (['33271dc2'], 'close', False),
        20: ([], 'error:501', False),
        21: ([], 'error:400', False),
        22: (['048e29ba'], 'close', False),
        23: (['85d7d12b', 'abfad8a2', 'abfad8a2'], 'eof', False),
        24: ([], 'error:501', False),
        25: ([], 'error:400', False),
        26: ([], 'error:400', False),
        27: ([], 'error:400', False),
        28: (['70350694'], 'close', False),
        29: ([], 'error:400', True),
        30: ([], 'error:400', False),
        31: ([], 'error:400', False),
        32: ([], 'error:400', False),
        33: (['793333b1', 'abfad8a2', 'abfad8a2'], 'eof', False),
        34: ([], 'error:400', False),
        35: ([], 'error:501', False),
        36: ([], 'error:400', True),
        37: ([], 'error:400', False),
        38: (['60393479', 'abfad8a2', 'abfad8a2'], 'eof', False),
        39: ([], 'error:400', False),
        40: ([], 'error:400', False),
        41: ([], 'error:501', False),
        42: ([], 'error:400', False),
        43: (['8051f455', 'abfad8a2', 'abfad8a2'], 'eof', False),
        44: ([], 'error:400', False),
        45: ([], 'error:400', False),
        46: ([], 'error:501', False),
        47: ([], 'error:400', False),
        48: ([], 'error:400', False),
        49: ([], 'error:400', False),
        50: ([], 'error:400', False),
        51: ([], 'error:400', False),
        52: ([], 'error:400', False),
        53: ([], 'error:400', False),
        54: ([], 'error:400', False),
        55: ([], 'error:400', False),
        56: (['77fb5fd9'], 'close', False),
        57: (['ae351185', 'abfad8a2', 'abfad8a2'], 'eof', False),
        58: ([], 'error:400', False),
        59: (['e599fba4', 'abfad8a2', 'abfad8a2'], 'eof', False),
        60: ([], 'error:400', False),
        61: ([], 'error:400', False),
        62: (['611ede7b'], 'error:400', False),
        63: ([], 'error:400', True),
        64: ([], 'error:400', True),
        65: ([], 'error:501', False),
        66: ([], 'error:501', False),
        67: ([], 'error:400', True),
        68: ([], 'error:501', False),
        69: ([], 'error:400', False),
        70: ([], 'error:400', False),
        71: ([], 'error:400', False),
        72: ([], 'error:400', False),
        73: ([], 'error:400', False),
        74: ([], 'error:400', False),
        75: ([], 'error:501', False),
        76: (['5f466bcb', 'abfad8a2', 'abfad8a2'], 'eof', False),
        77: ([], 'error:400', False),
        78: ([], 'error:501', False),
        79: ([], 'error:400', False),
        80: ([], 'error:400', False),
        81: (['110b21fa'], 'close', False),
        82: ([], 'error:501', False),
        83: ([], 'error:400', False),
        84: ([], 'error:501', True),
        85: ([], 'error:400', False),
        86: (['75882b7a'], 'close', False),
        87: ([], 'error:501', False),
        88: ([], 'error:400', False),
        89: ([], 'error:400', False),
        90: ([], 'error:501', False),
        91: (['ebb28a6e', 'abfad8a2', 'abfad8a2'], 'eof', False),
        92: (['bd15e972', 'abfad8a2', 'abfad8a2'], 'eof', False),
        93: ([], 'error:501', False),
        94: ([], 'error:400', False),
        95: ([], 'error:400', False),
        96: ([], 'error:400', True),
        97: ([], 'error:400', False),
        98: ([], 'error:501', False),
        99: ([], 'error:400', False),
        100: ([], 'error:501', False),
        101: (['9f44a75c', 'abfad8a2', 'abfad8a2'], 'eof', False),
        102: ([], 'error:400', False),
        103: ([], 'error:501', False),
        104: (['8051f455', 'abfad8a2', 'abfad8a2'], 'eof', False),
        105: ([], 'error:400', False),
        106: ([], 'error:400', False),
        107: (['81e2fdf9', 'abfad8a2', 'abfad8a2'], 'eof', False),
        108: ([], 'error:400', False),
        109: (['768277c7'], 'error:400', False),
        110: (['083f2e07'], 'close', False),
        111: ([], 'error:501', True),
        112: ([], 'error:400', False),
        113: ([], 'error:400', False),
        114: ([], 'error:400', False),
        115: (['00ce6b03'], 'close', False),
        116: ([], 'error:400', False),
        117: ([], 'error:501', False),
        118: (['36225634'], 'close', False),
        119: ([], 'error:400', False),
        120: ([], 'error:400', False),
        121: ([], 'error:501', False),
        122: ([], 'error:501', True),
        123: ([], 'error:400', False),
        124: ([], 'error:400', True),
        125: (['815ed8aa', 'abfad8a2', 'abfad8a2'], 'eof', False),
        126: ([], 'error:400', False),
        127: ([], 'error:501', False),
        128: ([], 'error:501', False),
        129: ([], 'error:400', False),
        130: ([], 'error:501', False),
        131: ([], 'error:400', False),
        132: ([], 'error:400', False),
        133: ([], 'error:400', False),
        134: ([], 'error:400', False),
        135: ([], 'error:400', False),
        136: (['2f65aade', '422e4963', 'abfad8a2'], 'eof', False),
        137: ([], 'error:400', False),
        138: ([], 'error:400', False),
        139: ([], 'error:501', False),
        140: ([], 'error:400', False),
        141: ([], 'error:400', False),
        142: ([], 'error:400', False),
        143: ([], 'error:400', False),
        144: ([], 'error:400', False),
        145: ([], 'error:400', False),
        146: (['6869f178'], 'error:400', False),
        147: ([], 'error:400', False),
        148: ([], 'error:400', False),
        149: ([], 'error:400', False),
        150: ([], 'error:400', False),
        151: ([], 'error:501', False),
        152: ([], 'error:400', False),
        153: ([], 'error:501', False),
        154: ([], 'error:501', True),
        155: ([], 'error:400', False),
        156: ([], 'error:400', False),
        157: ([], 'error:400', False),
        158: (['ba6a7920'], 'close', False),
        159: ([], 'error:400', True),
        160: ([], 'error:400', False),
        161: ([], 'error:400', True),
        162: (['8051f455', 'abfad8a2', 'abfad8a2'], 'eof', False),
        163: ([], 'error:400', False),
        164: ([], 'error:501', True),
        165: ([], 'error:501', False),
        166: (['dacef94b', 'abfad8a2', 'abfad8a2'], 'eof', False),
        167: ([], 'error:501', False),
        168: ([], 'error:400', True),
        169: ([], 'error:400', False),
        170: ([], 'error:400', False),
        171: ([], 'error:400', False),
        172: ([], 'error:400', False),
        173: (['cbb03ce5', 'abfad8a2', 'abfad8a2'], 'eof', False),
        174: (['cae43574', 'abfad8a2', 'abfad8a2'], 'eof', False),
        175: ([], 'error:400', True),
        176: (['8051f455', 'abfad8a2', 'abfad8a2'], 'eof', False),
        177: ([], 'error:400', False),
        178: ([], 'error:400', False),
        179: ([], 'error:400', False),
        180: ([], 'error:400', False),
        181: ([], 'error:400', False),
        182: ([], 'error:400', False),
        183: (['3a9a2895', 'dd5c9bb7', 'abfad8a2'], 'eof', False),
        184: ([], 'error:400', False),
        185: ([], 'error:400', False),
        186: (['e9e4647b', 'abfad8a2', 'abfad8a2'], 'eof', False),
        187: ([], 'error:400', True),
        188: ([], 'error:400', False),
        189: ([], 'error:400', False),
        190: ([], 'error:400', False),
        191: ([], 'error:400', False),
        192: ([], 'error:400', False),
        193: ([], 'error:400', False),
        194: ([], 'error:400', False),
        195: ([], 'error:400', False),
        196: ([], 'error:400', False),
        197: ([], 'error:400', False),
        198: (['75882b7a'], 'close', False),
        199: ([], 'error:400', False),
        200: (['8051f455', 'abfad8a2', 'abfad8a2'], 'eof', False),
        201: (['f29e6a0f', 'abfad8a2', 'abfad8a2'], 'eof', False),
        202: ([], 'error:400', False),
        203: ([], 'error:400', True),
        204: ([], 'error:400', False),
        205: ([], 'error:400', False),
        206: ([], 'error:400', False),
        207: ([], 'error:400', False),
        208: ([], 'error:400', False),
        209: ([], 'error:400', False),
        210: ([], 'error:400', False),
        211: (['cc751544'], 'error:400', False),
        212: ([], 'error:501', False),
        213: ([], 'error:400', False),
        214: ([], 'error:400', False),
        215: (['f27c1655', 'abfad8a2', 'abfad8a2'], 'eof', False),
        216: ([], 'error:400', False),
        217: (['0f720df9', 'cefbd260', 'abfad8a2'], 'eof', False),
        218: ([], 'error:501', False),
        219: (['12df9d3f'], 'error:400', False),
        220: ([], 'error:400', False),
        221: ([], 'error:501', False),
        222: (['92ba467d', 'abfad8a2', 'abfad8a2'], 'eof', False),
        223: ([], 'error:400', False),
        224: ([], 'error:400', False),
        225: ([], 'error:400', False),
        226: ([], 'error:501', False),
        227: ([], 'error:400', False),
        228: ([], 'error:400', False),
        229: ([], 'error:400', False),
        230: (['c951e863', 'abfad8a2', 'abfad8a2'], 'eof', False),
        231: ([], 'error:400', False),
        232: ([], 'error:400', False),
        233: ([], 'error:400', True),
        234: ([], 'error:400', False),
        235: ([], 'error:400', False),
        236: ([], 'error:400', False),
        237: ([], 'error:501', False),
        238: ([], 'error:400', False),
        239: (['a5f07a2d', 'abfad8a2', 'abfad8a2'], 'eof', False),
        240: ([], 'error:400', False),
        241: ([], 'error:400', False),
        242: (['fd704cdf', '791b30ff', 'abfad8a2'], 'eof', False),
        243: (['5ceac131'], 'error:400', False),
        244: ([], 'error:400', False),
        245: (['cadfe3a6', 'abfad8a2', 'abfad8a2'], 'eof', False),
        246: ([], 'error:400', False),
        247: ([], 'error:400', False),
        248: ([], 'error:400', False),
        249: ([], 'error:501', False),
        250: ([], 'error:400', False),
        251: ([], 'error:400', False),
        252: ([], 'error:501', False),
        253: (['0cd834f2', 'abfad8a2', 'abfad8a2'], 'eof', False),
        254: ([], 'error:501', False),
        255: ([], 'error:501', False),
        256: ([], 'error:400', False),
        257: ([], 'error:400', False),
        258: ([], 'error:400', False),
        259: ([], 'error:400', False),
        260: ([], 'error:501', True),
        261: ([], 'error:400', False),
        262: ([], 'error:501', False),
        263: ([], 'error:400', False),
        264: ([], 'error:501', True),
        265: (['77b276bb', 'abfad8a2', 'abfad8a2'], 'eof', False),
        266: (['339245b2', 'abfad8a2', 'abfad8a2'], 'eof', False),
        267: (['ed24cd18', 'abfad8a2', 'abfad8a2'], 'eof', False),
        268: ([], 'error:400', False),
        269: ([], 'error:501', False),
        270: ([], 'error:400', False),
        271: ([], 'error:400', False),
        272: (['a978beea'], 'close', False),
        273: ([], 'error:400', False),
        274: ([], 'error:400', False),
        275: ([], 'error:400', False),
        276: ([], 'error:400', False),
        277: ([], 'error:400', True),
        278: (['240c2ca3', 'abfad8a2', 'abfad8a2'], 'eof', False),
        279: ([], 'error:400', False),
        280: ([], 'error:400', False),
        281: (['f27c1655', 'abfad8a2', 'abfad8a2'], 'eof', False),
        282: ([], 'error:400', False),
        283: ([], 'error:400', False),
        284: ([], 'error:400', False),
        285: ([], 'error:400', False),
        286: ([], 'error:400', False),
        287: ([], 'error:400', False),
        288: ([], 'error:501', False),
        289: ([], 'error:400', False),
        290: ([], 'error:400', False),
        291: ([], 'error:400', False),
        292: ([], 'error:400', False),
        293: ([], 'error:400', False),
        294: ([], 'error:400', True),
        295: (['f62240a0'], 'error:400', False),
        296: (['bc66adee', 'abfad8a2', 'abfad8a2'], 'eof', False),
        297: (['4e113f8e', 'abfad8a2', 'abfad8a2'], 'eof', False),
        298: ([], 'error:400', False),
        299: ([], 'error:501', False),
    },
    'responses': {
        0: (['451ea2e9'], 'close', False),
        1: (['3dc17350'], 'close', False),
        2: (['4963f25d'], 'close', False),
        3: (['6dc52cfd'], 'close', False),
        4: (['492e53df'], 'close', False),
        5: (['f704f012'], 'close', False),
        6: (['23240555'], 'close', False),
        7: (['26b70585', 'c10ccf6f'], 'close', False),
        8: (['9d889368'], 'close', False),
        9: (['46f50fcf', 'cc3d5c95'], 'close', False),
        10: (['52e54efe', 'c888169d'], 'close', False),
        11: (['b7ed0191', '382fa84a'], 'close', False),
        12: (['92c4ab62'], 'close', False),
        13: ([], 'error:501', True),
        14: ([], 'error:400', False),
        15: ([], 'error:400', False),
        16: ([], 'error:400', True),
        17: (['6b0e2e04', 'bcfd69d9', 'e25b1f57'], 'close', False),
        18: (['b7464329'], 'close', False),
        19: (['6851195c', '1cb90dcb'], 'close', False),
        20: ([], 'error:400', False),
        21: (['bf6cc411'], 'close', False),
        22: (['765483b4'], 'close', False),
        23: (['af596efd'], 'close', False),
        24: (['6ab9436b'], 'close', False),
        25: (['66f45a1a', 'f54c689f'], 'close', False),
        26: (['337a8989'], 'close', False),
        27: (['35cf34b0'], 'close', False),
        28: (['a862f95d'], 'close', False),
        29: (['ae7471fe', 'd240ec00', '8f037312'], 'close', False),
        30: (['52b75b1d'], 'error:400', True),
        31: (['f7957cd8'], 'close', False),
        32: (['c63cc995'], 'close', False),
        33: ([], 'error:400', False),
        34: (['83d3b292', 'a7aee8d3', 'f14191de'], 'close', False),
        35: (['b7abcc06', 'abe59650'], 'close', False),
        36: (['4fe942a5', '3946555d'], 'close', False),
        37: (['bd26b4eb'], 'close', False),
        38: (['a3d5f23c', '9406b064', 'bcfd69d9'], 'close', False),
        39: (['be53316a'], 'close', False),
        40: (['2c513b30', 'c124161a'], 'close', False),
        41: (['4b10a3bf', '2d60c92a'], 'close', False),
        42: (['e2597319', 'ab9e1090', '1c150b02'], 'close', False),
        43: (['eaa34c2f'], 'close', False),
        44: (['a1c1e921'], 'close', False),
        45: (['a01c75a2'], 'close', False),
        46: (['68b573e6'], 'close', False),
        47: (['4f8b226c'], 'close', False),
        48: (['8eaab34a', '335254d8'], 'close', False),
        49: (['7ef5a554'], 'close', False),
        50: (['549767bd', 'ea1c84ae'], 'close', False),
        51: (['179bbede'], 'close', False),
        52: (['c2f2ad44', 'f4f4513f'], 'close', False),
        53: (['b224f219', '5fe1c278'], 'close', False),
        54: (['1b318208'], 'close', False),
        55: (['313e8874'], 'close', False),
        56: (['01c3f205', '2e7d1c87', 'bb4009cc'], 'close', False),
        57: (['6ee3a0bd'], 'close', False),
        58: (['da57e3cd', 'c29ffa7c'], 'close', False),
        59: (['b4b04974'], 'close', False),
        60: (['e108fb54', 'f5b80fec'], 'close', False),
        61: (['80a28520', '30cbdd36'], 'close', False),
        62: (['ddf6afdd', 'd7c9be3c'], 'close', False),
        63: (['30d5309a', '04b5c5c6'], 'close', False),
        64: (['ddff55b2'], 'close', False),
        65: (['1ce34083'], 'error:400', False),
        66: (['374af44b'], 'close', False),
        67: ([], 'error:400', False),
        68: (['3265c238'], 'close', False),
        69: (['2db4db8f', 'e5bf47da', 'f942a02f'], 'close', False),
        70: (['fbfc4e1a'], 'close', False),
        71: (['9b4816ad', '1a461652'], 'close', False),
        72: (['2bce753e'], 'close', False),
        73: (['1253e4a2'], 'close', False),
        74: (['db5f0d50', '6b0d29ec', 'f4e5baaf'], 'close', False),
        75: (['782c2dcb'], 'close', False),
        76: (['bcfd69d9', 'bc2dd815'], 'close', False),
        77: (['bcfd69d9', '5091563f'], 'close', False),
        78: (['a21b8a8c'], 'close', False),
        79: (['d6e56854'], 'close', False),
        80: (['3de2c290', 'b93cae13'], 'close', False),
        81: (['160cd379'], 'close', False),
        82: (['7128db79'], 'close', False),
        83: (['67949b39'], 'error:400', False),
        84: (['96ef6038', '54b916fa', '66c433ce'], 'close', False),
        85: (['7583de54'], 'close', False),
        86: ([], 'error:400', False),
        87: (['2db9eab3'], 'close', False),
        88: (['94ffd7f4'], 'close', False),
        89: (['e79c12ea'], 'close', False),
        90: (['6c152ae7'], 'close', False),
        91: ([], 'error:400', True),
        92: (['9f0fbc43'], 'close', False),
        93: (['b9c89217', 'ec752a8d'], 'close', False),
        94: (['65ed6b6e', '5bae9a4f', 'a5f5144f'], 'close', False),
        95: (['5394271b'], 'close', False),
        96: (['31bd34c3'], 'close', False),
        97: (['1803eb0a'], 'close', False),
        98: (['f2c16726', 'dfb9e7dc'], 'close', False),
        99: (['74d18afa'], 'close', False),
        100: (['37941866'], 'close', False),
        101: (['6a3de125'], 'close', False),
        102: (['fa6f2bb1'], 'close', False),
        103: (['51e04e8e'], 'close', False),
        104: ([], 'error:400', False),
        105: (['2be4e1cf', 'd94bec21', '22f19e11'], 'close', False),
        106: (['5b61305a', 'f4e5baaf', 'd0d32397'], 'close', False),
        107: (['465b94f6'], 'close', False),
        108: (['59eadd8f'], 'close', False),
        109: ([], 'error:400', False),
        110: (['fac4bc1e', 'd6e84bbf'], 'close', False),
        111: (['bcfd69d9'], 'close', False),
        112: (['16262164'], 'close', False),
        113: (['bcfd69d9'], 'close', False),
        114: (['fbe2df3e'], 'close', False),
        115: (['65ed6b6e', 'd6310b9e'], 'close', False),
        116: (['aaf12b2c', 'bcfd69d9', '2b1da10f'], 'close', False),
        117: (['59ef1ed5'], 'close', False),
        118: (['c3c0fefe', '5d196e27'], 'close', False),
        119: (['ecf74178'], 'close', False),
        120: (['a2fe6548', 'b485ff32', '92a5d573'], 'close', False),
        121: (['ba0237b4'], 'close', False),
        122: (['b485ff32', 'f8fb32cf', '69af91b5'], 'close', False),
        123: ([], 'error:400', False),
        124: (['e702e821', 'b97e230a'], 'close', False),
        125: (['fa3e6368'], 'close', False),
        126: (['60fb1d48', '5072192d', '819b01fe'], 'close', False),
        127: (['62f67ce4'], 'close', False),
        128: (['66bd8a3f'], 'close', False),
        129: (['58d8363c', '0faca8fc', '200151be'], 'close', False),
        130: (['d8c7fc5f', 'affd19f4', 'a95a603d'], 'close', False),
        131: (['af79654a', '877598d8'], 'close', False),
        132: (['b486fc9b', '64d6ed3e'], 'close', False),
        133: (['55e23a35'], 'error:400', False),
        134: (['ef781c17', '535c960c'], 'close', False),
        135: (['bcfc0737', 'eff16bdf', 'f6d9fd94'], 'close', False),
        136: (['4315ec76'], 'close', False),
        137: ([], 'error:400', False),
        138: (['35fbdeae'], 'close', False),
        139: ([], 'error:400', False),
        140: (['3fbb1b6e'], 'close', False),
        141: (['4dc1755c', 'df57c023'], 'close', False),
        142: ([], 'error:400', False),
        143: (['97774c37'], 'close', False),
        144: (['aedae6c5', 'e07443da'], 'close', False),
        145: (['f9164f8a'], 'close', False),
        146: (['09ec6fa3'], 'close', False),
        147: (['1bda9207'], 'close', False),
        148: (['24f9003f'], 'close', False),
        149: (['28f2a144'], 'close', False),
        150: ([], 'error:400', False),
        151: (['c306bfab', '1ce34083', '628b715b'], 'close', False),
        152: (['bcfd69d9', 'f1b933a3'], 'close', False),
        153: (['6f0dbe24', '4516caf3'], 'close', False),
        154: (['2105d05a'], 'close', False),
        155: (['f8879b62'], 'close', False),
        156: (['16262164'], 'close', False),
        157: (['ad77f8a9', 'a7fdf5f2'], 'error:400', False),
        158: (['1b227ea0'], 'error:400', False),
        159: (['19315e70', '1f4f5502'], 'close', False),
        160: (['feab527f'], 'close', False),
        161: (['2ae3355d'], 'close', False),
        162: (['7910db2d'], 'close', False),
        163: (['c42e9e35'], 'close', False),
        164: ([], 'error:400', False),
        165: (['95b48ae9'], 'close', False),
        166: (['2050127a'], 'close', False),
        167: ([], 'error:400', False),
        168: (['9700fdd2', '4f4d8e83'], 'close', False),
        169: (['69621a5a'], 'error:400', False),
        170: (['7c78426f', '439f4c35'], 'close', False),
        171: (['4b1113a4', 'fdd91460', 'c04ffa93'], 'close', False),
        172: (['1bd1166a', '649cce24'], 'close', False),
        173: (['5605d781'], 'close', False),
        174: (['0ea91c29'], 'close', False),
        175: ([], 'error:400', False),
        176: ([], 'error:400', False),
        177: (['96cb4c67'], 'close', False),
        178: ([], 'error:400', False),
        179: (['834aef08'], 'close', False),
        180: ([], 'error:400', False),
        181: (['b76e25bf', '41bf73bc', '961fa6d8'], 'close', False),
        182: (['955773e4', 'f4f8ec93'], 'close', False),
        183: (['ae91aa14'], 'close', False),
        184: (['44710ec7'], 'close', False),
        185: (['8bcd9622'], 'close', False),
        186: (['634a3cc0', 'c9cd7c7d'], 'close', False),
        187: (['b9b9ed80', '9fb5821f'], 'close', False),
        188: (['702fa594', 'c767404b', '0be8fa10'], 'close', False),
        189: (['e574c3ce'], 'close', False),
        190: (['aab9c280'], 'close', False),
        191: (['aca45500', '6cbe14db'], 'close', False),
        192: (['43a38bef', 'c10da1e5'], 'close', False),
        193: (['76d12777'], 'close', False),
        194: (['e772403c'], 'close', False),
        195: (['7f804b4c', '153abde7', '89e7274e'], 'close', False),
        196: (['00df317b', '2e55425e'], 'close', False),
        197: (['b1541ad4', '69ad5225', 'a2c9fe90'], 'close', False),
        198: (['c1dd53e6'], 'close', False),
        199: (['3a007097', '135c52df'], 'close', False),
        200: ([], 'error:400', False),
        201: (['bc16942e'], 'close', False),
        202: (['a993ea88', '6b488967'], 'close', False),
        203: (['d101975b'], 'close', False),
        204: (['7d4c20ad', 'e042dbc3'], 'close', False),
        205: (['8724ba27'], 'close', False),
        206: (['a4af9b9e'], 'close', False),
        207: (['233a6606'], 'close', False),
        208: (['fc9b0f0b', '7da33abe'], 'close', False),
        209: (['4afa9470'], 'close', False),
        210: (['edd2c2e0'], 'close', False),
        211: (['9daba764'], 'close', False),
        212: (['c0f084fe'], 'close', False),
        213: (['7490514d'], 'close', False),
        214: (['45b9db09', 'f61e92b4', '8c1f4896'], 'close', False),
        215: ([], 'error:400', False),
        216: (['fa655fca'], 'close', False),
        217: (['ef3b8c13', '745b829e'], 'close', False),
        218: (['65a42874', '65ed6b6e'], 'close', False),
        219: (['52b75b1d', 'f1a702ba', '8a31816d'], 'close', False),
        220: ([], 'error:400', False),
        221: (['26718290'], 'close', False),
        222: (['b485ff32'], 'close', False),
        223: (['85f4f5ab', '1ce34083'], 'close', False),
        224: ([], 'error:400', False),
        225: (['827b824b', '25bee356'], 'close', False),
        226: (['9f61c884'], 'close', False),
        227: (['54f40256', 'd0caaa9f'], 'close', False),
        228: (['ae13a3f6', '423ffdfd'], 'error:400', False),
        229: (['b45358fb', '38671fc9'], 'close', False),
        230: (['c5b93a7f'], 'close', False),
        231: (['5744b2cd'], 'close', False),
        232: (['5d484519'], 'error:400', False),
        233: ([], 'error:400', False),
        234: (['2639976a', '5203e277'], 'close', False),
        235: (['092f5d06'], 'close', False),
        236: (['9a912327', '7247337c'], 'error:400', False),
        237: (['a993ea88', '6e5603df', 'b2e1c0f6'], 'close', False),
        238: (['387abef3'], 'error:400', False),
        239: (['e3a8f89f'], 'close', False),
        240: (['b69b3bb0'], 'close', False),
        241: (['8520f194'], 'close', False),
        242: (['d668fbb6', '545f6c9f'], 'close', False),
        243: (['52b75b1d', '08c78bce', 'df7d1f3e'], 'close', False),
        244: (['0e4673c7', '3e19866c', '65ed6b6e'], 'close', False),
        245: (['6280620c'], 'close', False),
        246: (['1fc24132'], 'close', False),
        247: (['f4e5baaf', 'e860db96'], 'close', False),
        248: (['16262164'], 'close', False),
        249: (['b9c7f2ad', '0e36676a'], 'close', False),
        250: (['da7892a4'], 'close', False),
        251: (['301b0f5a'], 'close', False),
        252: (['35cf34b0'], 'close', False),
        253: (['07ed1a89', 'c22e19ae'], 'close', False),
        254: ([], 'error:400', True),
        255: (['6c4260f4'], 'close', False),
        256: (['4b852937', '49aec08f'], 'close', False),
        257: (['a01c75a2'], 'close', False),
        258: (['b485ff32', '2eebe8bd', 'ec9ca1d1'], 'close', False),
        259: (['9f38a069'], 'close', False),
        260: (['0499542b'], 'close', False),
        261: (['ef1212d8'], 'close', False),
        262: (['151f16da', 'f9d6066d'], 'close', False),
        263: (['8c1f4896', 'd4dfe25f', '6667f9da'], 'close', False),
        264: (['bcfd69d9', 'bcf47756', '7d7f88ab'], 'close', False),
        265: (['a84fdc86', 'b68ed47e'], 'close', False),
        266: (['67833085'], 'close', False),
        267: (['bf6aaed8'], 'close', False),
        268: (['cea06a33', 'b0c47642', 'f84c9d84'], 'close', False),
        269: ([], 'error:400', False),
        270: (['7c09fe02'], 'close', False),
        271: ([], 'error:400', False),
        272: (['ab52e140', 'b485ff32'], 'close', False),
        273: (['c1afcc74'], 'close', False),
        274: (['04799139'], 'close', False),
        275: (['a1e1adef'], 'close', False),
        276: (['eeaa2ce4', '6c3f8cea'], 'close', False),
        277: (['661f7bfc'], 'close', False),
        278: (['3b1c01f7', '33151f2d'], 'close', False),
        279: (['921a6c54', '32b38bcd'], 'close', False),
        280: (['5748c178'], 'close', False),
        281: (['8760a10e'], 'close', False),
        282: (['e90fdbc2', '0d2b45cf', '6f3f2d91'], 'close', False),
        283: (['11295426', '76832a2a', '52b75b1d'], 'close', False),
        284: (['1d57f807'], 'close', False),
        285: (['d74ee178'], 'close', False),
        286: (['88df4e10'], 'close', False),
        287: (['67beb989', '057eb932', '82373562'], 'close', False),
        288: (['6134ac5a', 'be17c350'], 'close', False),
        289: (['c3c0fefe', 'b8b1b75e'], 'close', False),
        290: (['8c1f4896', '35cf34b0'], 'close', False),
        291: (['7712ae58', 'b1942956'], 'close', False),
        292: (['e7c117d2'], 'close', False),
        293: (['bcfd69d9', '7a5f8229'], 'close', False),
        294: (['ff3de68d'], 'close', False),
        295: (['d5fca09d'], 'close', False),
        296: ([], 'error:400', False),
        297: (['23265b09'], 'close', False),
        298: ([], 'error:400', False),
        299: (['f10b19a8', '8ea83fc8'], 'close', False),
        357: ([], 'error:400', False),
        906: ([], 'error:400', False),
        1007: ([], 'error:400', False),
        2304: (['0ea08d7f'], 'error:400', False),
        3747: (['f8a3211b', 'a0704367'], 'error:400', False),
        3786: (['e4ef8bf1', '27f5b1ff'], 'error:400', False),
        15348: (['c736f17b', 'af5239da', '37e34618'], 'close', False),
    },
}
# ---------- (end of h11's readings)

if __name__ == "__main__":
    _record(__file__)
