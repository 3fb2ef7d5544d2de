"""h11's test cases (h11/tests/test_io.py, test_connection.py,
test_headers.py) and RFC 9112's framing rules, over real sockets on
127.0.0.1: the server (``make_handler`` with examples/http_server.py's
router) answering raw bytes, and the client (``Fetcher``) reading what a
tiny scripted server sends.

Each bad request must get one clear 4xx (or 5xx) naming what was wrong,
with ``Connection: close``; nothing after it on that connection is read as
a request (no smuggling); and the server goes on serving its other
connections.  Where our documented rule differs from h11's, the test says
so and asserts ours."""

import socket

import pytest

import trampoline
from net_helpers import start_server, watchdog  # noqa: F401  (autouse)
from test_http_server import InProcessServer, raw, responses
from trampoline import cancel
from trampoline.protocols.http import ResponseParser
from trampoline.protocols.http_client import Fetcher, FetchError
from trampoline.streams import IncompleteReadError

WATCHDOG_SECONDS = 30


@pytest.fixture(scope="module")
def server():
    """examples/http_server.py's router (``/``, ``/echo`` echoing the body
    with the request's Content-Type); a long header timeout, so that an
    answer that comes before the client has ended its head came from the
    bytes, not the clock."""
    running = InProcessServer(None, max_body=100000, header_timeout=10, idle_timeout=10)
    yield running
    running.stop()


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def read_responses(sock, count):
    """Read ``count`` responses (to GET) from a keep-alive connection."""
    parser = ResponseParser()
    out = []
    while len(out) < count:
        response = parser.next_response()
        if response is not None:
            out.append(response)
            continue
        data = sock.recv(65536)
        assert data, "the server closed the connection"
        parser.feed(data)
    assert not parser.buffered
    return out


def one_response(sock):
    """Read one response from a keep-alive connection."""
    return read_responses(sock, 1)[0]


def refused(server, data, status, *words, shut=True):
    """Send ``data`` on a new connection: it gets one answer, ``status``
    with ``Connection: close``, whose body names ``words`` -- while another
    keep-alive connection, opened before, is served before and after."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as other:
        other.sendall(GET)
        assert one_response(other).status == 200
        answers = responses(raw(server.port, data, shut=shut))
        assert [answer.status for answer in answers] == [status], answers
        answer = answers[0]
        assert answer.header("connection") == b"close"
        for word in words:
            assert word in answer.body, answer.body
        other.sendall(GET)
        assert one_response(other).status == 200
    return answer


def echoed(server, data, *methods):
    """The answers to ``data`` (sent whole, then half-closed)."""
    return responses(raw(server.port, data), list(methods) or None)


def post(headers, body=b"", version=b"HTTP/1.1"):
    return b"POST /echo %s\r\nHost: x\r\n%s\r\n%s" % (version, headers, body)


def chunked(body):
    return post(b"Transfer-Encoding: chunked\r\n", body)


# ============================================================ the request head

def test_http_1_0_head_with_a_header_and_no_host(server):
    """h11 test_io.test_readers_unusual ("HEAD /foo HTTP/1.0" with a
    header, and with none) and test_connection.test_server_talking_to_http10_client:
    an HTTP/1.0 request needs no Host; the answer says ``Connection:
    close`` and the server closes."""
    (answer,) = echoed(server, b"HEAD / HTTP/1.0\r\nSome: header\r\n\r\n", "HEAD")
    assert answer.status == 200 and answer.body == b""
    assert answer.header("connection") == b"close"
    (answer,) = echoed(server, b"GET / HTTP/1.0\r\n\r\n")
    assert answer.status == 200 and answer.header("connection") == b"close"
    (answer,) = echoed(server, b"POST /echo HTTP/1.0\r\nContent-Length: 10\r\n\r\n1234567890")
    assert answer.body == b"1234567890" and answer.header("connection") == b"close"


def test_http_1_0_keep_alive(server):
    """h11 test_connection.test__keep_alive (HTTP/1.0 is not kept alive
    unless it asks) -- RFC 9112 9.3: ``Connection: keep-alive`` on HTTP/1.0
    keeps it; the server says so back and answers the next request."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            answer = one_response(sock)
            assert answer.status == 200 and answer.header("connection") == b"keep-alive"


@pytest.mark.parametrize("connection", [b"close", b"a, b, cLOse, foo"])
def test_connection_close_among_other_tokens(server, connection):
    """h11 test_connection.test__keep_alive: ``Connection: a, b, cLOse,
    foo`` is a close (any case, anywhere in the list): the answer says
    close and a request pipelined behind it is not answered."""
    data = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: %s\r\n\r\n" % connection + GET
    answers = echoed(server, data)
    assert [a.status for a in answers] == [200]
    assert answers[0].header("connection") == b"close"


def test_header_values_lose_the_whitespace_around_them(server):
    """h11 test_io.test_readers_unusual ("Foo: a a a a a ", "Foo:",
    "Foo: \\t \\t "): spaces and tabs around a value are not part of it,
    inner ones are; an empty value is valid.  (/echo answers with the
    request's Content-Type.)"""
    for sent, seen in [(b" a a a a a ", b"a a a a a"), (b"\t \t x\ty \t", b"x\ty"),
                       (b"", b""), (b" \t \t ", b"")]:
        (answer,) = echoed(server, post(b"Content-Type:%s\r\nContent-Length: 0\r\n" % sent))
        assert answer.status == 200 and answer.header("content-type") == seen, sent


def test_bare_lf_line_ends_are_read(server):
    """h11 test_io.test_readers_unusual (lines ended by "\\n", and mixed
    "\\r\\n" and "\\n"): RFC 9112 2.2 lets a recipient take a bare LF as a
    line end in the head; both do."""
    for data in [b"GET / HTTP/1.1\nHost: x\n\n",
                 b"GET / HTTP/1.1\r\nHost: x\nA: b\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: x\r\nA: b\n\r\n"]:
        answers = echoed(server, data + GET)
        assert [a.status for a in answers] == [200, 200], data


@pytest.mark.parametrize("data, words", [
    # h11 test_io.test_readers_unusual: a first line that is folded
    (b"HEAD /foo HTTP/1.1\r\n  folded: line\r\nHost: x\r\n\r\n", [b"folding"]),
    # and a fold in the middle (h11 unfolds it: see the docstring)
    (b"GET / HTTP/1.1\r\nHost: x\r\nSome: multi-line\r\n header\r\n\r\n", [b"folding"]),
    (b"GET / HTTP/1.1\r\nHost: x\r\nSome: multi-line\r\n\tnonsense\r\n\r\n", [b"folding"]),
], ids=["first-line-folded", "space-fold", "tab-fold"])
def test_obsolete_line_folding_is_a_400(server, data, words):
    """h11 test_io.test_readers_unusual ("obsolete line folding").  h11
    unfolds obs-fold in a request ("multi-line header nonsense I guess");
    our documented rule (protocols/http.py: "no line folding") is RFC 9112
    5.2's other choice for a server: reject it with 400 -- two parsers that
    fold differently are a smuggling door.  The answer names it."""
    refused(server, data, 400, *words)


@pytest.mark.parametrize("line", [
    b"foo  : line", b"foo\t: line", b"Host : x",        # h11 test_io.test_readers_unusual
    b": line",                                          # an empty name
    b"foo bar: baz", b"foo\xffbar: baz", b"foo\x01bar: baz", b" foo: bar",   # test_headers
    b"no colon at all",
], ids=["spaces-before-colon", "tab-before-colon", "host-space-colon", "empty-name",
        "space-in-name", "8-bit-name", "control-in-name", "leading-space", "no-colon"])
def test_a_malformed_field_name_is_a_400_naming_the_line(server, line):
    """h11 test_io.test_readers_unusual and test_headers.test_normalize_and_validate:
    whitespace before the colon (RFC 9112 5.1: a server MUST answer 400),
    an empty name, a name with a space, an 8-bit or a control byte."""
    refused(server, b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n", 400)


@pytest.mark.parametrize("value", [b"foo\x00bar", b"bar\rbaz", b"kUd\x01UpAt; path=/"],
                         ids=["nul", "bare-cr", "control-in-cookie"])
def test_a_control_character_in_a_value_is_a_400(server, value):
    """h11 test_io.test_reject_garbage_in_header_line (NUL) and
    test_headers.test_normalize_and_validate (CR).  h11
    test_io.test_allow_some_garbage_in_cookies takes a \\x01 in a value;
    our documented rule ("a control character in the message head") is
    stricter, as RFC 9110 5.5 allows: a control byte but tab is a 400 --
    which names the byte and its line."""
    answer = refused(server, b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + value + b"\r\n\r\n",
                     400, b"control character")
    byte = value.translate(None, bytes(range(32, 256)))[:1]
    assert b"control character %r in the header line b'Cookie: " % byte in answer.body


@pytest.mark.parametrize("line", [
    b"HEAD /foo HTTP/1.1 xxxxxx",       # h11 test_io.test_reject_garbage_after_request_line
    b"GET /\x00 HTTP/1.1",              # h11 test_io.test_reject_non_vchar_in_path
    b"GET /a b HTTP/1.1",
    b"GET /\x7f HTTP/1.1",
    b"GET /\xee HTTP/1.1",
    b"GET  / HTTP/1.1",                 # RFC 9112 3: single spaces
    b"GET\t/ HTTP/1.1",
    b"GET / http/1.1",                  # RFC 9112 2.3: "HTTP" is case-sensitive
    b"GET / HTTP/1.1x",
    b"GET /",
], ids=["garbage-after-version", "nul-in-path", "space-in-path", "del-in-path", "8-bit-path",
        "two-spaces", "tab", "lowercase-version", "junk-version", "no-version"])
def test_a_malformed_request_line_is_a_400(server, line):
    """h11 test_io.test_reject_garbage_after_request_line and
    test_reject_non_vchar_in_path (\\x00 \\x20 \\x7f \\xee in the path)."""
    refused(server, line + b"\r\nHost: x\r\n\r\n", 400)


@pytest.mark.parametrize("data", [b"\x00", b"\x20", b"\x16\x03\x01\x00\xa5"],
                         ids=["nul", "space", "tls-client-hello"])
def test_an_invalid_first_byte_is_refused_at_once(server, data):
    """h11 test_connection.test_early_detection_of_invalid_request: the
    first byte says it is not HTTP, so the 400 comes without waiting for a
    line end (the server's header timeout is 10 s, the client waits 5; it
    does not half-close)."""
    answer = refused(server, data, 400, b"malformed request line", shut=False)
    if data.startswith(b"\x16"):
        assert b"TLS" in answer.body


def test_a_request_line_that_never_ends_is_a_414_before_its_end(server):
    """h11 test_connection.test_max_incomplete_event_size_countermeasure
    (an absurd line): 414 as soon as the line passes the limit, without
    its end and without a half-close -- the server does not buffer on."""
    refused(server, b"GET /" + b"a" * 20000, 414, b"limit", shut=False)


def test_a_header_that_never_ends_is_a_431_before_its_end(server):
    """h11 test_connection.test_max_incomplete_event_size_countermeasure
    ("Endless: aaaa..."): 431 once the head passes the limit, no end in
    sight, no half-close."""
    refused(server, b"GET / HTTP/1.0\r\nEndless: " + b"a" * 70000, 431, b"no end in sight",
            shut=False)


def test_a_big_head_within_the_limit_is_read(server):
    """h11 test_max_incomplete_event_size_countermeasure (a 4,000-byte
    header within a 5,000 limit is accepted; a head followed by a large
    body is fine: the limit is the head's)."""
    body = b"a" * 50000
    (answer,) = echoed(server, post(b"Big: %s\r\nContent-Length: 50000\r\n" % (b"b" * 4000),
                                    body))
    assert answer.status == 200 and answer.body == body


@pytest.mark.parametrize("data, status, words", [
    (b"GET / HTTP/1.1\r\n\r\n", 400, [b"no Host"]),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, [b"more than one Host"]),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, [b"HTTP/2.0"]),
], ids=["no-host", "two-hosts", "http2"])
def test_host_and_version(server, data, status, words):
    """RFC 9112 3.2: an HTTP/1.1 request has exactly one Host (400); a
    major version we do not speak is a 505."""
    refused(server, data, status, *words)


def test_after_an_error_nothing_more_is_read(server):
    """h11 test_connection.test_errors ("gibberish\\r\\n\\r\\n", then no
    more events): one 400, and the request sent behind it is not answered."""
    answers = echoed(server, b"gibberish\r\n\r\n" + GET)
    assert [a.status for a in answers] == [400]


def test_empty_lines_alone_get_no_answer(server):
    """h11 test_connection.test_empty_request ("\\r\\n" is an error there).
    Ours: RFC 9112 2.2 lets a server ignore empty lines before a request
    line (a client may send a CRLF after a POST's body), so "\\r\\n" then a
    close is a client that sent nothing: no answer, a clean close; a
    request after a few empty lines is answered."""
    assert raw(server.port, b"\r\n") == b""
    (answer,) = echoed(server, b"\r\n\r\n" + GET)
    assert answer.status == 200


def test_a_head_cut_by_the_close_is_a_400(server):
    """h11 test_connection.test_connection_drop ("GET /" then the end):
    an error, not a request."""
    refused(server, b"GET /", 400, b"closed in the middle of a message head")


# ============================================================ body framing

@pytest.mark.parametrize("headers, words", [
    (b"Transfer-Encoding: chunked\r\nContent-Length: 100\r\n", [b"both"]),
    (b"Content-Length: 100\r\nTransfer-Encoding: chunked\r\n", [b"both"]),
    (b"Content-Length: 1\r\nContent-Length: 2\r\n", [b"conflicting"]),
    (b"Content-Length: 1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", [b"conflicting"]),
    (b"Content-Length: 1, 2\r\n", [b"conflicting"]),
    (b"Content-Length: asdf\r\n", [b"malformed Content-Length"]),
    (b"Content-Length: 1x\r\n", [b"malformed Content-Length"]),
    (b"Content-Length: -1\r\n", [b"malformed Content-Length"]),
    (b"Content-Length: +1\r\n", [b"malformed Content-Length"]),
    (b"Content-Length: 0x10\r\n", [b"malformed Content-Length"]),
    (b"Content-Length:\r\n", [b"malformed Content-Length"]),
], ids=["te-then-cl", "cl-then-te", "two-lengths", "three-lengths", "length-list",
        "letters", "digit-letter", "negative", "plus", "hex", "empty"])
def test_an_ambiguous_length_is_a_400_and_what_follows_is_not_a_request(server, headers, words):
    """h11 test_headers.test_normalize_and_validate (Content-Length "asdf",
    "1x", 1 and 2, 1 1 2) and test_connection.test__body_framing (h11 lets
    Transfer-Encoding win over Content-Length; RFC 9112 6.1 lets a server
    refuse the pair instead, and our rule does: the classic smuggling
    door).  The bytes behind it -- a request, if the other reading won --
    are never answered."""
    refused(server, post(headers, b"0\r\n\r\n" + GET), 400, *words)


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nContent-Length: 5\r\n", b"Content-Length: 5, 5\r\n",
    b"Content-Length: 005\r\n"], ids=["same-twice", "same-list", "leading-zeros"])
def test_the_same_length_twice_is_one_length(server, headers):
    """h11 test_headers.test_normalize_and_validate (Content-Length 1 and 1
    is 1): RFC 9110 8.6 lets a recipient take identical values as one."""
    answers = echoed(server, post(headers, b"hello") + GET)
    assert [(a.status, a.body) for a in answers] == [(200, b"hello"), (200, b"Hello, world!\n")]


def test_an_huge_content_length_is_a_413(server):
    """A length with more digits than any integer we read: 413 naming the
    limit, not an overflow."""
    refused(server, post(b"Content-Length: %s\r\n" % (b"9" * 40)), 413, b"limit")


@pytest.mark.parametrize("coding", [b"chunked", b"cHuNkEd", b" chunked ", b", chunked"])
def test_chunked_in_any_case(server, coding):
    """h11 test_headers.test_normalize_and_validate (Transfer-Encoding
    "cHuNkEd" is chunked; RFC 9112 7: codings are case-insensitive, and
    RFC 9110 5.6.1: empty list elements are ignored)."""
    (answer,) = echoed(server, post(b"Transfer-Encoding: %s\r\n" % coding,
                                    b"5\r\nhello\r\n0\r\n\r\n"))
    assert answer.status == 200 and answer.body == b"hello"


@pytest.mark.parametrize("headers, status, words", [
    (b"Transfer-Encoding: gzip\r\n", 400, [b"does not end with chunked"]),
    (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400,
     [b"does not end with chunked"]),
    (b"Transfer-Encoding: identity\r\n", 400, [b"does not end with chunked"]),
    (b"Transfer-Encoding: gzip, chunked\r\n", 501, [b"gzip"]),
    (b"Transfer-Encoding: chunked, chunked\r\n", 400, [b"more than once"]),
    (b"Transfer-Encoding: \r\n", 400, [b"empty Transfer-Encoding"]),
], ids=["gzip", "chunked-then-gzip", "identity", "gzip-chunked", "chunked-twice", "empty"])
def test_transfer_codings(server, headers, status, words):
    """h11 test_headers.test_normalize_and_validate answers
    "Transfer-Encoding: gzip" (and chunked then gzip) with 501.  Ours:
    RFC 9112 6.3 -- a request whose last coding is not chunked has no
    knowable length, and the server MUST answer 400 and close; a coding we
    do not do before a final chunked is the 501."""
    refused(server, post(headers, b"0\r\n\r\n"), status, *words)


def test_chunked_in_http_1_0_is_a_400(server):
    """RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is a framing fault (a
    1.0 intermediary would not understand it)."""
    refused(server, post(b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\n", b"HTTP/1.0"),
            400, b"HTTP/1.0")


@pytest.mark.parametrize("body, expected", [
    (b"0\r\n\r\n", b""),
    (b"0\r\nSome: header\r\n\r\n", b""),
    (b"5\r\n01234\r\n10\r\n0123456789abcdef\r\n0\r\nSome: header\r\n\r\n",
     b"012340123456789abcdef"),
    (b"5\r\n01234\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", b"012340123456789abcdef"),
    (b"aA\r\n" + b"x" * 0xAA + b"\r\n0\r\n\r\n", b"x" * 0xAA),
    (b'5; hello=there\r\nxxxxx\r\n0; random="junk"; some=more; canbe=lonnnnngg\r\n\r\n',
     b"xxxxx"),
    (b"5   \t \r\n01234\r\n0\r\n\r\n", b"01234"),
    (b"000005\r\n01234\r\n0000\r\n\r\n", b"01234"),
], ids=["empty", "trailer", "two-chunks-trailer", "two-chunks", "mixed-case-hex",
        "extensions", "whitespace-after-size", "leading-zeros"])
def test_chunked_bodies(server, body, expected):
    """h11 test_io.test_ChunkedReader, each case: trailers are read (and
    dropped), upper- and lowercase hex, chunk extensions discarded,
    whitespace after the size; the request pipelined behind is answered
    (the framing ended where it should)."""
    answers = echoed(server, chunked(body) + GET)
    assert [(a.status, a.body) for a in answers] == [(200, expected),
                                                     (200, b"Hello, world!\n")]


def test_a_chunked_body_sent_a_byte_at_a_time(server):
    """h11 test_io.t_body_reader's "incrementally growing buffer" and
    test_connection.test_chunk_boundaries (a chunk split anywhere, its
    CRLF apart): the same request sent one byte per segment (TCP_NODELAY)
    is read the same."""
    data = chunked(b'5; a="b"\r\n01234\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n') + GET
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            sock.sendall(data[i:i + 1])
        first, second = read_responses(sock, 2)
    assert first.body == b"012340123456789abcdef" and second.body == b"Hello, world!\n"


@pytest.mark.parametrize("body, status, words", [
    (b"9" * 100 + b"\r\nxxx", 413, [b"limit"]),                # refuses long chunk integers
    (b"10\x00\r\nxxx", 400, [b"chunk size"]),                  # garbage in the chunk count
    (b"3\r\nxxx__1a\r\n", 400, [b"no CRLF after chunk data"]),  # bad chunk termination
    (b"3\r\nxxx\r_1a\r\n", 400, [b"no CRLF after chunk data"]),
    (b"3\r\nxxx_\n1a\r\n", 400, [b"no CRLF after chunk data"]),
    (b"0x5\r\nhello\r\n0\r\n\r\n", 400, [b"chunk size"]),
    (b"-5\r\nhello\r\n0\r\n\r\n", 400, [b"chunk size"]),
    (b" 5\r\nhello\r\n0\r\n\r\n", 400, [b"chunk size"]),
    (b"\r\nhello\r\n0\r\n\r\n", 400, [b"chunk size"]),
    (b"5\nhello\r\n0\r\n\r\n", 400, [b"bare LF"]),
    (b"5;a\rb\r\nhello\r\n0\r\n\r\n", 400, [b"chunk size"]),
    (b"5;" + b"x" * 2000 + b"\r\nhello\r\n0\r\n\r\n", 400, [b"chunk-size line longer"]),
    (b"ffffffffffffffffffff\r\n", 413, [b"limit"]),
    (b"0\r\nSome: header\nMore: x\r\n\r\n", 400, [b"bare CR or LF"]),
    (b"0\r\nSome: header\r\n folded\r\n\r\n", 400, [b"folding"]),
    (b"0\r\nbad trailer\r\n\r\n", 400, [b"malformed header line"]),
    (b"0\r\nA: \x00\r\n\r\n", 400, [b"control character"]),
], ids=["long-size", "nul-in-size", "junk-after-chunk", "cr-junk", "junk-lf", "0x-prefix",
        "negative", "space-before", "empty-size", "bare-lf-size-line", "cr-in-extension",
        "endless-extension", "size-overflow", "bare-lf-trailer", "folded-trailer",
        "bad-trailer-line", "nul-in-trailer"])
def test_bad_chunked_framing(server, body, status, words):
    """h11 test_io.test_ChunkedReader's refusals ("9" * 100, "10\\x00",
    "xxx__1a", "xxx\\r_1a", "xxx_\\n1a") and RFC 9112 7.1's: a chunk size is
    hex digits alone (no sign, no 0x, no leading space), its line ends with
    CRLF, a chunk is followed by CRLF, the trailer section is header lines
    ended by CRLF.  Each one answer, naming the fault; the request
    pipelined behind is not read."""
    refused(server, chunked(body) + GET, status, *words)


@pytest.mark.parametrize("data, words", [
    (post(b"Content-Length: 100\r\n", b"12345"), [b"95 bytes short"]),
    (post(b"Content-Length: 6\r\n", b"12345"), [b"(1 byte short)"]),
    (chunked(b"8\r\n012345"), [b"before the message body was complete"]),
    (chunked(b"5\r\n01234\r\n"), [b"before the message body was complete"]),
    (chunked(b"0\r\nSome: hea"), [b"before the message body was complete"]),
], ids=["length", "one-byte", "in-a-chunk", "between-chunks", "in-the-trailer"])
def test_a_body_cut_by_the_close_is_a_400_saying_so(server, data, words):
    """h11 test_connection.test_special_exceptions_for_lost_connection_in_message_body
    ("received 5 bytes, expected 100"; "incomplete chunked read")."""
    refused(server, data, 400, *words)


# ============================================================ the connection

def test_pipelined_requests_with_bodies_then_a_close(server):
    """h11 test_connection.test_pipelined_close and test_pipelining: two
    requests with bodies, then the client's half-close -- both answered,
    in order."""
    data = (b"GET /echo HTTP/1.1\r\nHost: a.com\r\nContent-Length: 5\r\n\r\n12345"
            b"GET /echo HTTP/1.1\r\nHost: a.com\r\nContent-Length: 5\r\n\r\n67890")
    answers = echoed(server, data)
    assert [(a.status, a.body) for a in answers] == [(200, b"12345"), (200, b"67890")]


def test_a_head_response_has_the_get_framing_and_no_body(server):
    """h11 test_connection.test_HEAD_framing_headers: HEAD gets the headers
    GET would -- the same Content-Length -- and no body, so a request
    pipelined behind it is read right."""
    get, head, again = echoed(server, GET + GET.replace(b"GET", b"HEAD") + GET,
                              "GET", "HEAD", "GET")
    assert head.status == 200 and head.body == b""
    assert head.header("content-length") == get.header("content-length") == b"14"
    assert again.body == get.body == b"Hello, world!\n"


@pytest.mark.parametrize("version, expect, continues", [
    (b"HTTP/1.1", b"100-continue", True),
    (b"HTTP/1.1", b"100-Continue", True),
    (b"HTTP/1.0", b"100-continue", False),
], ids=["http11", "any-case", "http10"])
def test_expect_100_continue(server, version, expect, continues):
    """h11 test_headers.test_has_100_continue (case-insensitive; not in
    HTTP/1.0) and test_connection.test_100_continue: ``100 Continue``
    comes before the body is sent, then the answer; an HTTP/1.0 client
    gets no interim response (RFC 9110 15.2: none to a 1.0 client)."""
    head = post(b"Content-Length: 4\r\nExpect: %s\r\n" % expect, b"", version)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        if continues:
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        answer = one_response(sock)
    assert answer.status == 200 and answer.body == b"body"


def test_an_expectation_we_cannot_meet_is_a_417(server):
    """RFC 9110 10.1.1: an Expect other than 100-continue gets 417."""
    refused(server, post(b"Content-Length: 0\r\nExpect: something-else\r\n"), 417,
            b"something-else")


# ============================================================ the client

def serving(answers):
    """A server's handler: for each request head, send ``answers[path]``;
    a tuple ``(data, True)`` closes the connection after it.  Counts the
    connections in ``serving.connections``."""
    def handler(stream, address):
        serving.connections += 1
        while True:
            try:
                head = yield stream.readuntil(b"\r\n\r\n")
            except IncompleteReadError:
                return
            answer = answers[head.split(b" ", 2)[1].decode("ascii")]
            close = isinstance(answer, tuple)
            yield stream.write(answer[0] if close else answer)
            if close:
                return
    serving.connections = 0
    return handler


def fetch_all(answers, *requests):
    """Fetch each ``(path, method)`` in turn with one Fetcher; returns the
    responses (a FetchError where it raised) and how many connections the
    server saw."""
    def main():
        task, port = yield start_server(serving(answers))
        fetcher = Fetcher(connections=1, timeout=5)
        out = []
        try:
            for path, method in requests:
                try:
                    out.append((yield fetcher.fetch("http://127.0.0.1:%d%s" % (port, path),
                                                    method)))
                except FetchError as exc:
                    out.append(exc)
        finally:
            fetcher.close()
            yield cancel(task)
        return out
    out = trampoline.run(main())
    return out, serving.connections


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 204 No Content\r\nContent-Length: 100\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
], ids=["204-length", "304-length", "304-chunked", "204-bare"])
def test_client_204_and_304_have_no_body_whatever_they_say(answer):
    """h11 test_connection.test__body_framing ("special cases where the
    headers are ignored": 204, 304 with Content-Length or chunked): no
    body is read, and the next response on the same connection is read
    right."""
    (first, second), connections = fetch_all({"/a": answer, "/b": OK}, ("/a", "GET"),
                                             ("/b", "GET"))
    assert first.body == b"" and (second.status, second.body) == (200, b"ok")
    assert connections == 1


def test_client_a_head_response_has_no_body():
    """h11 test__body_framing (HEAD: headers ignored) and
    test_HEAD_framing_headers: the answer to HEAD says the length of the
    GET's body and sends none; the connection is reused for the next."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
    (first, second), connections = fetch_all({"/a": head, "/b": OK}, ("/a", "HEAD"),
                                             ("/b", "GET"))
    assert first.body == b"" and first.header("content-length") == b"100"
    assert second.body == b"ok" and connections == 1


def test_client_skips_interim_responses():
    """RFC 9110 15.2: 1xx responses (100, 103 with headers) come before the
    final one, which is returned."""
    answer = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
              + OK)
    (response,), _ = fetch_all({"/": answer}, ("/", "GET"))
    assert (response.status, response.body) == (200, b"ok")


def test_client_talking_to_an_http_1_0_server():
    """h11 test_connection.test_client_talking_to_http10_server: no
    Content-Length, so the body runs to the close; the connection is not
    kept (the next request opens another)."""
    answer = (b"HTTP/1.0 200 OK\r\n\r\n1234567890", True)
    (first, second), connections = fetch_all({"/": answer}, ("/", "GET"), ("/", "GET"))
    assert first.body == second.body == b"1234567890" and not first.keep_alive
    assert connections == 2


def test_client_reads_unusual_but_valid_responses():
    """h11 test_io.test_readers_unusual: a status line without its reason
    ("HTTP/1.0 200"), bare-LF line ends, mixed, a value with inner spaces,
    an empty value."""
    answers = {
        "/a": b"HTTP/1.1 200\r\nFoo: bar\r\nContent-Length: 2\r\n\r\nok",
        "/b": b"HTTP/1.1 200 OK\nSomeHeader1: val1\nContent-Length: 2\n\nok",
        "/c": b"HTTP/1.1 200 OK\r\nSomeHeader1: val1\nContent-Length: 2\n\r\nok",
        "/d": b"HTTP/1.1 200 OK\r\nFoo: a a a a a \r\nBar:\r\nContent-Length: 2\r\n\r\nok",
    }
    out, connections = fetch_all(answers, *[(path, "GET") for path in sorted(answers)])
    assert [(r.status, r.body) for r in out] == [(200, b"ok")] * 4
    assert out[0].reason == "" and out[3].header("foo") == b"a a a a a"
    assert out[3].header("bar") == b"" and connections == 1


def test_client_a_close_among_other_tokens_is_not_reused():
    """h11 test_connection.test__keep_alive (a response's ``Connection: a,
    b, cLOse, foo`` closes it): the next request opens a new connection."""
    answer = (b"HTTP/1.1 200 OK\r\nConnection: a, b, cLOse, foo\r\nContent-Length: 2\r\n\r\nok",
              True)
    (first, second), connections = fetch_all({"/": answer}, ("/", "GET"), ("/", "GET"))
    assert not first.keep_alive and second.body == b"ok" and connections == 2


def test_client_chunked_response_with_extensions_and_trailers():
    """h11 test_io.test_ChunkedReader, read by the client."""
    answer = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: cHuNkEd\r\n\r\n"
              b"5; hello=there\r\n01234\r\naA\r\n" + b"x" * 0xAA + b"\r\n"
              b"0\r\nSome: header\r\n\r\n")
    (first, second), connections = fetch_all({"/a": answer, "/b": OK}, ("/a", "GET"),
                                             ("/b", "GET"))
    assert first.body == b"01234" + b"x" * 0xAA and second.body == b"ok"
    assert connections == 1


@pytest.mark.parametrize("answer, words", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", "both Transfer-Encoding and Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
     "conflicting Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxxx__1a\r\n",
     "no CRLF after chunk data"),
    (b"HTTP/1.0 200 OK\x00xxxx\r\n\r\n", "control character"),
    (b"\x16\x03\x03\x00\x31", "is it an HTTP server"),
    (b"\x00", "is it an HTTP server"),
    (b"\x20", "is it an HTTP server"),
    ((b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n12345", True), "95 bytes short"),
    ((b"\r\n", True), "without a response"),
    ((b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b", True),
     "does not end with chunked"),
], ids=["te-and-cl", "two-lengths", "bad-chunk-end", "garbage-in-status-line", "tls-hello",
        "nul", "space", "cut-body", "empty-response", "gzip-coding"])
def test_client_bad_responses_are_a_fetch_error_naming_the_fault(answer, words):
    """h11 test_connection.test__body_framing (h11 lets Transfer-Encoding
    win over Content-Length; RFC 9112 6.3 says such a message "ought to be
    handled as an error", and ours is: FetchError), test_io's
    test_reject_garbage_after_response_line and test_ChunkedReader,
    test_connection.test_early_detection_of_invalid_response (at once, not
    at the timeout), test_empty_response and
    test_special_exceptions_for_lost_connection_in_message_body.  And
    test_headers' "Transfer-Encoding: gzip" (h11: an error, 501): RFC 9112
    6.3 would read such a response to the close, but we asked for no
    transfer coding (no TE header) and decode none, so the body could not
    be returned as sent -- an error naming the coding."""
    (error,), _ = fetch_all({"/": answer}, ("/", "GET"))
    assert isinstance(error, FetchError) and words in str(error), error


def test_client_unfolds_an_obsolete_line_fold():
    """h11 test_io.test_readers_unusual ("obsolete line folding": h11
    unfolds "Some: multi-line\\r\\n header\\r\\n\\tnonsense..." into one value)
    and RFC 9112 5.2: a user agent that receives obs-fold in a response
    MUST replace each fold with a space -- an old server's folded header
    is no reason to fail the fetch.  The fold in a trailer too; a "fold"
    right after the status line continues no field, and is an error."""
    answers = {
        "/a": b"HTTP/1.1 200 OK\r\nSome: multi-line\r\n header\r\n\tnonsense\r\n"
              b"    \t   \t\tI guess\r\nContent-Length: 2\r\nMore: in the\r\n"
              b"    last header  \r\n\r\nok",
        "/b": b"HTTP/1.1 200 OK\nSome: bare\n LF\nTransfer-Encoding: chunked\n\n"
              b"2\r\nok\r\n0\r\nTrailer: a\r\n b\r\n\r\n",
        "/c": b"HTTP/1.1 200 OK\r\n  folded: line\r\nContent-Length: 2\r\n\r\nok",
    }
    (first, second), connections = fetch_all(answers, ("/a", "GET"), ("/b", "GET"))
    assert first.header("some") == b"multi-line header nonsense I guess"
    assert first.header("more") == b"in the last header" and first.body == b"ok"
    assert second.header("some") == b"bare LF" and second.body == b"ok"
    assert connections == 1                     # (the framing stayed in step)
    (third,), _ = fetch_all(answers, ("/c", "GET"))
    assert isinstance(third, FetchError) and "obsolete line folding" in str(third)


def test_client_a_bad_response_on_a_kept_connection_is_not_asked_again():
    """h11 test_connection.test_errors (after a receive error the
    connection is done: no more events) -- and RFC 9112 9.3.1: a client
    may retry a request on a new connection when the kept one had closed
    before answering, not when the server answered (badly): the server did
    the work once already, and a POST would be done twice.  The error is
    the FetchError naming the fault, and the server saw the request once."""
    seen = []
    bad = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"

    class Answers(dict):
        def __getitem__(self, path):
            seen.append(path)
            return dict.__getitem__(self, path)

    for method in ("GET", "POST"):
        del seen[:]
        (first, second), connections = fetch_all(Answers({"/ok": OK, "/bad": bad}),
                                                 ("/ok", "GET"), ("/bad", method))
        assert first.body == b"ok"
        assert isinstance(second, FetchError) and "conflicting Content-Length" in str(second)
        assert seen == ["/ok", "/bad"] and connections == 1, method


@pytest.mark.parametrize("answers, requests", [
    ({"/a": OK + b"trailing", "/b": OK}, [("/a", "GET"), ("/b", "GET")]),
    ({"/a": OK, "/b": OK}, [("/a", "HEAD"), ("/b", "GET")]),
], ids=["bytes-after-the-body", "a-body-after-a-head-response"])
def test_client_bytes_beyond_the_framing_end_the_connection(answers, requests):
    """h11 test_io.tr's "trailing data" (what follows a message is left
    for the next) and RFC 9110 9.3.2 (a response to HEAD has no body): a
    server that sends more than its framing says -- or a body after a
    HEAD's answer -- is out of step; the answer is taken as framed, and the
    next request goes on a new connection, not read from those bytes."""
    (first, second), connections = fetch_all(answers, *requests)
    assert first.status == 200 and first.body == (b"" if requests[0][1] == "HEAD" else b"ok")
    assert (second.status, second.body) == (200, b"ok") and connections == 2


def test_client_a_response_without_framing_runs_to_the_close():
    """h11 test_connection.test__body_framing (a response with no
    Content-Length and no Transfer-Encoding: "http/1.0" framing, even from
    an HTTP/1.1 server): the body is what comes until the close, and the
    connection is not kept."""
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close", True)
    (first, second), connections = fetch_all({"/": answer}, ("/", "GET"), ("/", "GET"))
    assert first.body == second.body == b"until the close" and not first.keep_alive
    assert connections == 2


def test_expect_100_continue_without_a_body_gets_no_interim_answer(server):
    """RFC 9110 10.1.1: a server may omit ``100 Continue`` when the framing
    says there is no body (h11 test_connection.test_100_continue: the
    client's wait ends with the response) -- one answer, the final one."""
    data = b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n" + GET
    answers = raw(server.port, data)
    assert answers.startswith(b"HTTP/1.1 200 ")
    assert [a.status for a in responses(answers)] == [200, 200]


def test_a_later_minor_version_is_read_as_http_1_1(server):
    """RFC 9110 2.5 (h11 reads only 1.0 and 1.1): HTTP/1.2 is answered as
    the highest 1.x we speak; HTTP/0.9 and 2.0 are a 505, "HTTP/01.1" a
    400."""
    (answer,) = echoed(server, b"GET / HTTP/1.2\r\nHost: x\r\n\r\n")
    assert answer.status == 200 and answer.version == b"HTTP/1.1"
    refused(server, b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, b"HTTP/0.9")
    refused(server, b"GET / HTTP/01.1\r\nHost: x\r\n\r\n", 400, b"HTTP/01.1")


def test_a_head_request_refused_before_its_body_gets_no_body(server):
    """h11 test_connection.test_HEAD_framing_headers and RFC 9110 9.3.2:
    the answer to HEAD has the head a GET's would, and no body -- the one
    the router gives at once to an upload it refuses (Expect:
    100-continue, no route: no 100, the final status, the close)
    included.  (Its body came after the head, to be read as the start of
    the next response.)"""
    data = raw(server.port, b"HEAD /nosuch HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            b"Expect: 100-continue\r\n\r\n", shut=False)
    (answer,) = responses(data, ["HEAD"])
    assert answer.status == 404 and answer.header("connection") == b"close"
    assert int(answer.header("content-length")) > 0
    assert data.endswith(b"\r\n\r\n"), data


def test_client_keeps_a_control_character_in_a_value():
    """h11 test_io.test_allow_some_garbage_in_cookies (h11 issue #57: a
    real site's ``Set-Cookie: ___utmvafIumyLc=kUd\\x01UpAt``): RFC 9110 5.5
    lets a recipient keep such a byte, and curl fetches the
    page -- so does the client, the byte kept in the value.  A NUL is
    still an error, and a control byte is no whitespace around a framing
    value: "\\x0b2" is not a Content-Length of 2.  (The server is stricter:
    test_a_control_character_in_a_value_is_a_400.)"""
    answers = {
        "/a": b"HTTP/1.1 200 OK\r\nSet-Cookie: ___utmvafIumyLc=kUd\x01UpAt; path=/; "
              b"Max-Age=900\r\nX: \x7f\x1b[0m\r\nContent-Length: 2\r\n\r\nok",
        "/b": b"HTTP/1.1 200 OK\r\nSet-Cookie: a=\x00b\r\nContent-Length: 2\r\n\r\nok",
        "/c": b"HTTP/1.1 200 OK\r\nContent-Length: \x0b2\r\n\r\nok",
    }
    (first, second, third), _ = fetch_all(answers, ("/a", "GET"), ("/b", "GET"), ("/c", "GET"))
    assert first.body == b"ok"
    assert first.header("set-cookie") == b"___utmvafIumyLc=kUd\x01UpAt; path=/; Max-Age=900"
    assert first.header("x") == b"\x7f\x1b[0m"
    assert isinstance(second, FetchError) and "control character" in str(second)
    assert isinstance(third, FetchError) and "malformed Content-Length" in str(third)


@pytest.mark.parametrize("method, asked", [("GET", 2), ("PUT", 2), ("POST", 1), ("PATCH", 1)])
def test_client_asks_again_after_a_close_only_what_is_idempotent(method, asked):
    """h11 test_connection.test_close_simple / test_connection_drop (a
    close where a response was due), and RFC 9112 9.3.1: when a kept-alive
    connection closes after the request went and before any answer, the
    server may have done it; a client may send it again on a new
    connection if the method is idempotent (GET, PUT...) and MUST NOT for
    POST or PATCH -- that is a FetchError saying so, the request done at
    most once."""
    seen = []

    def handler(stream, address):
        first = not seen
        while True:
            try:
                head = yield stream.readuntil(b"\r\n\r\n")
            except IncompleteReadError:
                return
            seen.append(head.split(b" ", 1)[0].decode())
            if first and len(seen) == 2:
                return                  # (the kept connection closes, unanswered)
            yield stream.write(OK)

    def main():
        task, port = yield start_server(handler)
        fetcher = Fetcher(connections=1, timeout=5)
        url = "http://127.0.0.1:%d/" % port
        try:
            yield fetcher.fetch(url)
            try:
                return (yield fetcher.fetch(url, method))
            except FetchError as exc:
                return exc
        finally:
            fetcher.close()
            yield cancel(task)
    result = trampoline.run(main())
    assert seen == ["GET"] + [method] * asked
    if asked == 2:
        assert result.body == b"ok"
    else:
        assert isinstance(result, FetchError), result
        assert "without a response" in str(result) and "%s is not sent again" % method in str(result)
