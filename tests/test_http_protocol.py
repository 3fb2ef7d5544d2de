"""trampoline/protocols/http.py, the sans-I/O HTTP/1.1 parser: bytes in,
requests and responses out -- no sockets.  Also home of the seeded generator
of malformed and truncated requests that test_http_server.py replays over a
real server."""

import copy
import random

import pytest

import trampoline.protocols.http as module
from trampoline.protocols.http import (ProtocolError, RequestParser, ResponseParser,
                                       encode_headers, encode_request, encode_response)


def parse_all(data, eof=False, **limits):
    """Every request in ``data``, and the error that stopped the parser
    (``None`` if it did not): ``(requests, error)``."""
    parser = RequestParser(**limits)
    parser.feed(data)
    if eof:
        parser.feed_eof()
    return drain(parser)


def drain(parser):
    requests = []
    try:
        while True:
            request = parser.next_request()
            if request is None:
                return requests, None
            requests.append(request)
    except ProtocolError as error:
        return requests, error


def summary(requests, error):
    """What a parse came to, comparable with ==."""
    return ([(r.method, r.target, r.path, r.query, r.version, r.headers, r.body, r.keep_alive)
             for r in requests], error and (error.status, str(error)))


def fed_in_pieces(parser, data, cuts, eof=False):
    """Feed ``data`` to ``parser`` in pieces cut at ``cuts`` (then the end,
    if ``eof``), draining it after each: yields ``(requests, error)`` for
    each piece, up to the first error.  (The caller may look at the parser,
    or change it, between pieces.)"""
    start = 0
    for cut in list(cuts) + [len(data)]:
        parser.feed(data[start:cut])
        start = cut
        requests, error = drain(parser)
        yield requests, error
        if error:
            return
    if eof:
        parser.feed_eof()
        yield drain(parser)


def parse_in_pieces(data, cuts, eof=False):
    """Like parse_all, but fed in pieces cut at ``cuts``."""
    requests, error = [], None
    for more, error in fed_in_pieces(RequestParser(), data, cuts, eof):
        requests += more
    return requests, error


GET = b"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
POST = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = (b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")


# ================================================================ requests

def test_a_get_request():
    """Method, target, decoded path, query, version, lowercased headers."""
    (request,), error = parse_all(GET)
    assert error is None
    assert (request.method, request.target, request.path, request.query) == \
        ("GET", "/index.html?q=1", "/index.html", "q=1")
    assert request.version == b"HTTP/1.1"
    assert request.headers == [(b"host", b"example.com"), (b"accept", b"*/*")]
    assert request.header("Host") == b"example.com" and request.header(b"ACCEPT") == b"*/*"
    assert request.header("x-missing", b"-") == b"-"
    assert request.body == b"" and request.keep_alive


def test_bodies_by_length_and_chunked():
    """Content-Length and chunked bodies (extensions and trailers dropped)."""
    (post, up), error = parse_all(POST + CHUNKED)
    assert error is None
    assert post.body == b"hello"
    assert up.body == b"hello world"


def test_pipelined_requests_come_out_in_order():
    data = GET + POST + CHUNKED + GET
    requests, error = parse_all(data)
    assert error is None
    assert [r.method for r in requests] == ["GET", "POST", "POST", "GET"]


def test_any_split_gives_the_same_requests():
    """Fed one byte at a time, or cut at every position, the result is the
    same as fed whole."""
    data = GET + POST + CHUNKED
    whole = summary(*parse_all(data))
    assert summary(*parse_in_pieces(data, range(1, len(data)))) == whole
    for cut in range(len(data)):
        assert summary(*parse_in_pieces(data, [cut])) == whole, cut


def test_bare_lf_line_ends_and_leading_empty_lines_are_accepted():
    """In the start line and the header fields, as RFC 9112 2.2 allows --
    not in the chunked framing that follows (see below)."""
    (request,), error = parse_all(b"\r\n\nGET / HTTP/1.1\nHost: x\nA: b\n\n")
    assert error is None and request.headers == [(b"host", b"x"), (b"a", b"b")]
    (request,), error = parse_all(b"POST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n"
                                  b"3\r\nabc\r\n0\r\nX: y\r\n\r\n")
    assert error is None and request.body == b"abc"


def test_a_head_of_crlf_lines_with_a_bare_lf_among_them():
    """CRLF line ends, then a bare LF as the empty line: the head ends
    there (not at the CRLF CRLF after it, which would make an empty header
    line), and the CRLF left is an empty line before the next request.  A
    bare LF ending the last field, then CRLF: the field keeps its value."""
    requests, error = parse_all(b"GET / HTTP/1.1\r\nHost: x\r\n\n\r\n" + GET)
    assert error is None and len(requests) == 2
    assert requests[0].headers == [(b"host", b"x")]
    (request,), error = parse_all(b"GET / HTTP/1.1\r\nHost: x\n\r\n")    # a bare LF, then CRLF
    assert error is None and request.headers == [(b"host", b"x")]


@pytest.mark.parametrize("body, words", [
    (b"3\nabc\n0\n\n", "chunk-size line ending in a bare LF: b'3'"),
    (b"3;ext=1\nabc\r\n0\r\n\r\n", "chunk-size line ending in a bare LF: b'3;ext=1'"),
    (b"3\r\nabc\n0\r\n\r\n", "no CRLF after chunk data"),
    (b"3\r\nabc\r\n0\n\r\n", "chunk-size line ending in a bare LF: b'0'"),
    (b"3\r\nabc\r\n0\r\n\n", "bare CR or LF in the trailer section"),
    (b"3\r\nabc\r\n0\r\nX: y\n\r\n", "bare CR or LF in the trailer section"),
    (b"3\r\nabc\r\n0\r\nX: y\r\n\n", "bare CR or LF in the trailer section"),
    (b"3\r\nabc\r\n0\r\nX: y\rz\r\n\r\n", "bare CR or LF in the trailer section"),
    (b"3\r\nabc\r\n0\r\n\rX: y\r\n\r\n", "bare CR or LF in the trailer section"),
])
def test_chunked_framing_takes_crlf_only(body, words):
    """RFC 9112 2.2 lets a recipient take a bare LF for CRLF in the start
    line and header fields only; a chunk-size line, the CRLF after a
    chunk's data, and the trailer section's lines up to its end take
    exactly CRLF (as h11 does since CVE-2025-43859): a front end that
    frames the body otherwise would read a different request into it.
    Fed whole or a byte at a time, the same 400 -- at once, not after a
    wait for a CRLF that may never come."""
    data = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    requests, error = parse_all(data)
    assert not requests and error.status == 400 and words in str(error), error
    assert summary(*parse_in_pieces(data, range(1, len(data)))) == summary(requests, error)
    # The first bare LF is known as such once it comes; a bare CR, with the next byte.
    known = min([i + 1 for i, byte in enumerate(body) if byte == 10 and body[i - 1:i] != b"\r"]
                + [i + 2 for i, byte in enumerate(body) if byte == 13 and body[i + 1] != 10])
    assert summary(*parse_all(data[:len(data) - len(body) + known])) == summary(requests, error)


def test_a_bare_lf_after_the_last_chunk_cannot_smuggle_a_request():
    """``0\r\n\n`` ends the message for a reader that takes a bare LF
    there; one that does not reads on -- so what follows is a second
    request for one of them and trailer fields for the other.  Refused."""
    requests, error = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                b"0\r\n\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not requests and error.status == 400


def test_percent_decoding_and_absolute_targets():
    (a, b), error = parse_all(b"GET /a%20b/%E2%82%AC?x=%20 HTTP/1.1\r\nHost: x\r\n\r\n"
                              b"GET http://example.com/p?q HTTP/1.1\r\nHost: x\r\n\r\n")
    assert error is None
    assert a.path == "/a b/\u20ac" and a.query == "x=%20"
    assert (b.target, b.path, b.query) == ("/p?q", "/p", "q")


@pytest.mark.parametrize("target, origin, path, query", [
    (b"http://example.com?s=0.5", "/?s=0.5", "/", "s=0.5"),           # empty path, a query
    (b"HTTPS://example.com:8443?a/b?c", "/?a/b?c", "/", "a/b?c"),     # "/" and "?" in it
    (b"http://example.com", "/", "/", ""),
    (b"http://example.com/p?q", "/p?q", "/p", "q"),
    (b"http://example.com/?q", "/?q", "/", "q"),
])
def test_an_absolute_target_keeps_its_query_even_with_an_empty_path(target, origin, path, query):
    """RFC 9112 3.2.2: the absolute form's path, "/" if empty -- and the
    query after it (RFC 3986 3: the authority ends at "/" or "?")."""
    (request,), error = parse_all(b"GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n" % target)
    assert error is None
    assert (request.target, request.path, request.query) == (origin, path, query)


@pytest.mark.parametrize("head, keep_alive", [
    (b"GET / HTTP/1.1\r\nHost: x\r\n", True),
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, Close\r\n", False),
    (b"GET / HTTP/1.0\r\n", False),
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n", True),
])
def test_keep_alive(head, keep_alive):
    (request,), error = parse_all(head + b"\r\n")
    assert error is None and request.keep_alive is keep_alive


def test_a_head_waiting_for_its_body_is_pending():
    """A server answers ``Expect: 100-continue`` when the head is in and
    the body is not."""
    parser = RequestParser()
    assert parser.idle and parser.pending is None
    parser.feed(b"PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    assert parser.next_request() is None
    assert not parser.idle
    assert parser.pending.expect_continue and parser.pending.method == "PUT"
    parser.feed(b"abc")
    assert parser.next_request().body == b"abc"
    assert parser.idle and parser.pending is None


def test_a_clean_close_between_requests_is_no_error():
    parser = RequestParser()
    parser.feed(GET)
    parser.feed_eof()
    assert parser.next_request() is not None
    assert parser.next_request() is None


# Malformed requests and the status each one earns.
BAD = [
    (b"GET /\r\nHost: x\r\n\r\n", 400, "malformed request line"),
    (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request line"),
    (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, "malformed request line"),
    (b"GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400, "malformed HTTP version"),
    (b"GET / http/1.1\r\nHost: x\r\n\r\n", 400, "malformed HTTP version"),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "not supported"),
    (b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed method"),
    (b"GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request target"),
    (b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400, "not ASCII"),
    (b"GET / HTTP/1.1\r\n\r\n", 400, "no Host"),
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", 400, "malformed header line"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nName : v\r\n\r\n", 400, "malformed header line"),
    (b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400, "malformed header line"),
    # A name seen (and found valid) before, without its colon this time.
    (b"GET / HTTP/1.1\r\nHost: x\r\nHost\r\n\r\n", 400, "malformed header line"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n  folded\r\n\r\n", 400, "obsolete line folding"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nA: b\x00c\r\n\r\n", 400, "control character"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400, "control character"),
    (b"GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", 417, "Expect"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "malformed Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "malformed Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400,
     "malformed Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400,
     "conflicting Content-Length"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     400, "both Transfer-Encoding and Content-Length"),
    # RFC 9112 6.3: chunked not the last coding of a request: 400, not 501.
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
     "does not end with chunked"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400,
     "Transfer-Encoding 'chunked, gzip' does not end with chunked"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity"
     b"\r\n\r\n", 400, "does not end with chunked"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
     "not implemented"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400,
     "more than once"),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
     "malformed chunk size"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 400,
     "malformed chunk size"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400,
     "no CRLF after chunk data"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
     400, "malformed header line"),
    (b"\r\n" * 9 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "empty lines"),
]


@pytest.mark.parametrize("data, status, words", BAD)
def test_malformed_requests_get_the_right_status(data, status, words):
    requests, error = parse_all(data)
    assert requests == []
    assert error is not None and error.status == status, error
    assert words in str(error)


def test_a_good_request_before_a_bad_one_is_still_returned():
    requests, error = parse_all(GET + b"BAD\r\n\r\n")
    assert len(requests) == 1 and error.status == 400


def test_after_an_error_the_parser_stays_dead():
    parser = RequestParser()
    parser.feed(b"BAD\r\n\r\n" + GET)
    with pytest.raises(ProtocolError) as first:
        parser.next_request()
    with pytest.raises(ProtocolError) as again:
        parser.next_request()
    assert again.value is first.value and parser.dead


def test_limits():
    """414 for a long request line (even before it ends), 431 for a big
    head or too many fields, 413 for a big body (by its Content-Length,
    before it arrives; chunked, once over)."""
    long_line = b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    assert parse_all(long_line, max_line=50)[1].status == 414
    assert parse_all(long_line[:80], max_line=50)[1].status == 414
    big_head = b"GET / HTTP/1.1\r\nHost: x\r\nA: " + b"b" * 200 + b"\r\n\r\n"
    assert parse_all(big_head, max_head=100)[1].status == 431
    assert parse_all(big_head[:150], max_head=100)[1].status == 431
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"A: b\r\n" * 5 + b"\r\n"
    assert parse_all(many, max_headers=5)[1].status == 431
    assert parse_all(many, max_headers=6)[1] is None
    post = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"
    assert parse_all(post, max_body=10)[1].status == 413
    assert parse_all(post + b"x" * 11, max_body=11)[1] is None
    assert parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999"
                     b"\r\n\r\n")[1].status == 413
    chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert parse_all(chunked + b"6\r\nabcdef\r\n5\r\nabcde\r\n", max_body=10)[1].status == 413
    assert parse_all(chunked + b"a" * 2000)[1].status == 400       # chunk-size line too long


def test_every_truncation_is_an_error_at_eof():
    """Cut short anywhere and closed: 400, naming the cut; cut before the
    first byte: a clean close."""
    for data in (GET, POST, CHUNKED):
        assert parse_all(b"", eof=True) == ([], None)
        for end in range(1, len(data)):
            requests, error = parse_all(data[:end], eof=True)
            assert requests == [] and error is not None and error.status == 400, (data, end)
            assert "closed" in str(error) or "empty" in str(error)


def test_requests_are_never_held_beyond_the_limits():
    """A head that never ends is refused once it passes max_head, however
    it trickles in; the parser does not rescan what it has scanned."""
    parser = RequestParser(max_head=1000)
    parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\n")
    with pytest.raises(ProtocolError) as caught:
        for _ in range(2000):
            parser.feed(b"A")
            parser.next_request()
    assert caught.value.status == 431


# ================================================================ responses

def parse_responses(data, methods, eof=True):
    parser = ResponseParser()
    parser.feed(data)
    if eof:
        parser.feed_eof()
    return [parser.next_response(method) for method in methods]


def test_empty_lines_before_a_head_are_named_for_what_comes_next():
    """Too many empty lines before a message: the error names a request's
    first line "request line" and a response's "status line" (a client was
    told of a request line it never received)."""
    request_parser, response_parser = RequestParser(), ResponseParser()
    request_parser.feed(b"\r\n" * 9 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    response_parser.feed(b"\r\n" * 9 + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(ProtocolError, match="empty lines before the request line"):
        request_parser.next_request()
    with pytest.raises(ProtocolError, match="empty lines before the status line"):
        response_parser.next_response("GET")


def test_responses_by_length_chunked_and_close():
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"
            b"HTTP/1.1 200 Fine\r\n\r\nuntil the end")
    first, second, third = parse_responses(data, ["GET"] * 3)
    assert (first.status, first.reason, first.body, first.keep_alive) == (200, "OK", b"abc", True)
    assert (second.status, second.body) == (404, b"no")
    assert (third.reason, third.body, third.keep_alive) == ("Fine", b"until the end", False)


def test_responses_without_bodies_and_interim_ones():
    data = (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"          # to HEAD: no body
            b"HTTP/1.1 100 Continue\r\n\r\n"                           # skipped
            b"HTTP/1.1 204 No Content\r\n\r\n"
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
    head, empty, cached, old = parse_responses(data, ["HEAD", "GET", "GET", "GET"])
    assert head.header("content-length") == b"3" and head.body == b""
    assert empty.status == 204 and cached.status == 304 and cached.body == b""
    assert old.version == b"HTTP/1.0" and old.keep_alive


def test_a_response_cut_short_is_an_error():
    with pytest.raises(ProtocolError, match="closed before the message body was complete"):
        parse_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", ["GET"])
    with pytest.raises(ProtocolError, match="malformed status"):
        parse_responses(b"HTTP/1.1 2000 OK\r\n\r\n", ["GET"])
    with pytest.raises(ProtocolError, match="malformed status line"):
        parse_responses(b"SPDY/3 200 OK\r\n\r\n", ["GET"])


def test_a_response_that_is_not_http_is_refused_at_its_first_bytes():
    """A server of another protocol -- SSH's banner, an SMTP greeting, a
    Redis error -- may never send a blank line: the parser says it is not
    HTTP as soon as the first bytes do, not after a head that never ends.
    (It waited: a client saw its timeout, "no response".)  Empty lines
    first, and "HTTP/" a byte at a time, are still read."""
    for banner in [b"SSH-2.0-OpenSSH_9.6\r\n", b"220 smtp.example.org ESMTP\r\n",
                   b"-ERR unknown command", b"\r\nHTTX"]:
        parser = ResponseParser()
        parser.feed(banner)
        with pytest.raises(ProtocolError, match="not HTTP/ .is it an HTTP server"):
            parser.next_response("GET")
    parser = ResponseParser()
    for byte in b"\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
        assert parser.next_response("GET") is None
        parser.feed(bytes([byte]))
    assert parser.next_response("GET").body == b"ok"


def test_encoders_round_trip_through_the_parsers():
    request = encode_request("POST", "/echo?x=1", [("Host", "h"), ("X-A", "b")], b"body")
    (parsed,), error = parse_all(request)
    assert error is None
    assert (parsed.method, parsed.target, parsed.body) == ("POST", "/echo?x=1", b"body")
    assert parsed.header("x-a") == b"b"
    response = encode_response(201, [("X-B", "c")], b"made", keep_alive=False)
    (parsed,) = parse_responses(response, ["POST"])
    assert (parsed.status, parsed.reason, parsed.body, parsed.keep_alive) == \
        (201, "Created", b"made", False)
    head_only = encode_response(200, [], b"12345", head_only=True)
    assert head_only.endswith(b"Content-Length: 5\r\n\r\n")


def test_headers_that_would_split_a_message_are_refused():
    for bad in [("X", "a\r\nInjected: yes"), ("X\r\n", "a"), ("", "a"), ("X", "a\x00")]:
        with pytest.raises(ValueError):
            encode_headers([bad])


def test_encode_headers_refuses_exactly_the_bytes_a_field_cannot_carry():
    """A name is a token (RFC 9110 5.1); a value any byte but a control
    character, CR and LF -- a tab is fine (5.5)."""
    tchar = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for byte in range(256):
        one = bytes([byte])
        for name, value, allowed in [(b"X" + one, b"v", byte in tchar),
                                     (b"X", b"a" + one + b"b", byte == 9 or 32 <= byte != 127)]:
            if allowed:
                assert encode_headers([(name, value)]) == b"%s: %s\r\n" % (name, value)
            else:
                with pytest.raises(ValueError) as caught:
                    encode_headers([(name, value)])
                assert str(caught.value) == "header %r: %r cannot be sent" % (name, value)


def test_a_header_sent_several_times_reads_as_its_values_joined():
    (request,), error = parse_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nx-a: 2\r\n"
                                  b"Accept: */*\r\nX-A: 3\r\n\r\n")
    assert error is None
    assert request.header("x-a") == b"1, 2, 3" and request.header(b"Accept") == b"*/*"


# ================================================================ fuzzing

SEED = 20261122
PATHS = [b"/", b"/echo", b"/nope", b"/static/", b"/a%20b?c=d"]


def good_request(rng):
    """A random valid request (GET or a POST with a body, keep-alive)."""
    path = rng.choice(PATHS)
    headers = [b"Host: 127.0.0.1"]
    for _ in range(rng.randrange(3)):
        headers.append(b"X-%d: %s" % (rng.randrange(100), b"v" * rng.randrange(20)))
    body = b""
    if rng.random() < 0.5:
        body = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(40)))
        if rng.random() < 0.5:
            headers.append(b"Content-Length: %d" % len(body))
        else:
            headers.append(b"Transfer-Encoding: chunked")
            body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"
        method = b"POST"
    else:
        method = rng.choice([b"GET", b"HEAD"])
    return b"%s %s HTTP/1.1\r\n%s\r\n\r\n%s" % (method, path, b"\r\n".join(headers), body)


NASTY = [b"\x00", b"\r", b"\n", b" ", b":", b"\r\n", b"\r\n\r\n", b"\x7f", b"\xff", b"\t",
         b"Content-Length: 3\r\n", b"Transfer-Encoding: chunked\r\n", b"HTTP/1.1", b"ffffffff",
         b"-1", b"0\r\n\r\n", b"Host: y\r\n", b";", b"%", b"\\"]


def mutate(rng, data):
    """One random damage to ``data``."""
    kind = rng.randrange(6)
    at = rng.randrange(len(data) + 1)
    if kind == 0:                                   # truncate
        return data[:at]
    if kind == 1:                                   # drop a few bytes
        return data[:at] + data[at + rng.randrange(1, 5):]
    if kind == 2:                                   # insert something nasty
        return data[:at] + rng.choice(NASTY) + data[at:]
    if kind == 3:                                   # overwrite a byte
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    if kind == 4:                                   # duplicate a slice
        end = min(len(data), at + rng.randrange(1, 30))
        return data[:end] + data[at:end] + data[end:]
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))) + data[at:]


def malformed_requests(count, seed=SEED):
    """``count`` byte strings: one or two valid requests, damaged one to
    three times.  Deterministic for a seed."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        data = good_request(rng)
        if rng.random() < 0.3:
            data += good_request(rng)
        for _ in range(rng.randrange(1, 4)):
            data = mutate(rng, data)
        cases.append(data)
    return cases


ALLOWED_STATUSES = {400, 413, 414, 417, 431, 501, 505}


def test_thousands_of_damaged_requests():
    """Each damaged request yields requests and/or a ProtocolError with a
    status a server may send -- never another exception; fed in random
    pieces it gives the same answer as fed whole; after EOF the parser
    always settles (nothing stays pending)."""
    rng = random.Random(SEED + 1)
    statuses = set()
    for data in malformed_requests(4000):
        whole = summary(*parse_all(data, eof=True))
        if whole[1] is not None:
            statuses.add(whole[1][0])
            assert whole[1][0] in ALLOWED_STATUSES, (data, whole)
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data), rng.randrange(1, 6))))
        assert summary(*parse_in_pieces(data, cuts, eof=True)) == whole, data
    assert {400, 501}.issubset(statuses)    # the generator does reach the error paths


class GeneralParser(RequestParser):
    """A RequestParser without next_request's shortcuts: every head takes
    the general path (_next)."""
    next_request = RequestParser._next


class CountingParser(RequestParser):
    """A RequestParser that counts the heads the general path parsed."""
    general = 0

    def _parse_head(self, *args):
        self.general += 1
        return RequestParser._parse_head(self, *args)


def rebodied(request, body):
    """``request`` (from good_request) with ``body``, framed as it was:
    the same head but for its Content-Length, or chunked (in one or two
    chunks, after a chunk size with an extension or leading zeros)."""
    head, _, _ = request.partition(b"\r\n\r\n")
    if b"Content-Length: " in head:
        before, _, after = head.partition(b"Content-Length: ")
        after = after.partition(b"\r\n")[1:]
        return before + b"Content-Length: %d" % len(body) + b"".join(after) + b"\r\n\r\n" + body
    if b"Transfer-Encoding: chunked" in head:
        half = len(body) // 2
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:half], body[half:])
                          if part)
        if len(body) % 3 == 1:
            chunks = chunks.replace(b"\r\n", b";x=y\r\n", 1)
        elif len(body) % 3 == 2:
            chunks = b"000" + chunks
        return head + b"\r\n\r\n" + chunks + b"0\r\n\r\n"
    return request


def parse_with(parser, data, cuts, limits_after=()):
    """Every request (summarised, headers changed by a handler after) and
    the error, fed in pieces cut at ``cuts``; and the parser's state after
    each piece.  ``limits_after``: the limits to set after each piece, in
    turn (a dict each)."""
    seen = []
    limits_after = iter(limits_after)
    for requests, error in fed_in_pieces(parser, data, cuts):
        seen.append((summary(requests, error), parser.idle, parser.buffered, parser.dead,
                     parser.pending is None))
        for request in requests:
            request.headers.append((b"x-changed", b"by the handler"))
        for name, value in next(limits_after, {}).items():
            setattr(parser, name, value)
    return seen


def test_the_shortcuts_answer_as_the_general_path_does():
    """A head that repeats the last request's header section (with a request
    line seen before, or new; with a body, chunked or of another length)
    skips most of the parsing: it must come to the same requests, errors
    and parser state as the general path -- for good requests repeated,
    then damaged ones, then with the request line or the section or the
    body damaged alone, fed whole or in pieces, under small limits too,
    and with the limits changed between pieces (after a section was
    remembered under the old ones)."""
    rng = random.Random(SEED + 2)
    some_limits = [{}, {}, {"max_line": 30}, {"max_head": 90}, {"max_headers": 2},
                   {"max_body": 20}, {"max_line": 8192, "max_head": 65536, "max_headers": 100,
                                      "max_body": 1 << 20}]
    shortcuts = 0
    # What the shortcut for bodies leaves to the general path: a length
    # over the limit, or with leading zeros beyond 18 digits, a request line
    # too long; a section with a list of lengths, or two, is not remembered.
    for stream in [POST * 2 + POST.replace(b": 5\r\n", b": 2000000\r\n"),
                   POST * 2 + POST.replace(b": 5\r\n", b": 0000000000000000000005\r\n"),
                   POST * 2 + POST.replace(b"/echo", b"/" + b"e" * 9000),
                   POST.replace(b": 5\r\n", b": 5, 5\r\n") * 3,
                   POST.replace(b"Content-", b"Content-Length: 5\r\nContent-") * 3]:
        assert parse_with(RequestParser(), stream, []) == parse_with(GeneralParser(), stream, [])
    for data in malformed_requests(3000, seed=SEED + 3):
        good = good_request(rng)
        line, _, rest = good.partition(b"\r\n")
        other_line = data.partition(b"\r\n")[0]
        other_rest = data.partition(b"\r\n")[2]
        other_body = b"b" * rng.choice([0, 1, 9, 10, 19, 21, 100, 1000])
        resized = rebodied(good, other_body)
        stream = rng.choice([good + good + data, good + other_line + b"\r\n" + rest + good,
                             good + good.replace(b"HTTP/1.1", b"HTTP/1.0", 1) + good,
                             good + good + good.replace(b"HTTP/1.1", b"HTTP/1.0", 1),
                             good + line + b"\r\n" + other_rest, good * 3, good * 4,
                             good + good + resized + good, good + resized + resized,
                             good + good + mutate(rng, resized), good + resized + data])
        cuts = sorted(rng.sample(range(len(stream) + 1), min(len(stream), rng.randrange(0, 4))))
        if rng.random() < 0.3:
            cuts = sorted(set(cuts + [2 * len(good)]))  # (a cut once the section is remembered)
        limits = rng.choice(some_limits)
        limits_after = [rng.choice(some_limits) for _ in cuts]
        shortcut = CountingParser(**limits)
        general = CountingParser(**limits)
        general.next_request = general._next
        assert (parse_with(shortcut, stream, cuts, limits_after)
                == parse_with(general, stream, cuts, limits_after)), (
                    stream, cuts, limits, limits_after)
        if good.startswith(b"POST"):
            shortcuts += general.general - shortcut.general     # (heads with a body)
    assert shortcuts > 300                  # (the shortcuts for bodies were taken: 455)


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_client_repeating_its_header_section_with_bodies_has_it_parsed_twice(framing):
    """Requests with a body whose header section is the same as the last
    one's (but for the Content-Length value) are answered by the shortcut
    from the third on: their heads are not parsed again."""
    if framing == "length":
        requests = [POST, POST.replace(b"5\r\n\r\nhello", b"7\r\n\r\nhello, ")]
    else:
        requests = [CHUNKED, CHUNKED.replace(b"X-Trailer: yes\r\n", b"")]
    parser = CountingParser()
    stream = b"".join(requests[i % 2] for i in range(10))
    for cut in range(0, len(stream), 7):        # (bodies cut in pieces too)
        parser.feed(stream[cut:cut + 7])
        while parser.next_request() is not None:
            pass
    assert parser.idle and parser.buffered == 0
    assert parser.general == 2


@pytest.mark.parametrize("limit, value, status", [
    ("max_headers", 2, 431), ("max_head", 40, 431), ("max_line", 5, 414)])
def test_a_limit_lowered_between_requests_holds_for_the_next_one(limit, value, status):
    """The limits can change on a parser in use: the next head is held to
    the new ones, even one the same as those before it."""
    head = b"GET /a HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nUser-Agent: x\r\n\r\n"
    parser = RequestParser()
    parser.feed(head * 3)
    assert [parser.next_request().target, parser.next_request().target] == ["/a", "/a"]
    setattr(parser, limit, value)
    assert getattr(parser, limit) == value
    with pytest.raises(ProtocolError) as caught:
        parser.next_request()
    assert caught.value.status == status


def test_parsers_share_nothing_through_their_module():
    """What a parser remembers of the requests before (their lines, Host,
    field names) is its own: parsing leaves the module as it was, so one
    client's requests cannot change how another's are read, nor how fast."""
    def module_state():
        return {name: copy.deepcopy(value) for name, value in vars(module).items()
                if isinstance(value, (dict, set, list, bytearray))
                and not name.startswith("__")}
    before = module_state()
    requests, error = parse_all(b"".join(
        b"GET /page-%d HTTP/1.1\r\nHost: h%d.example\r\nX-Name-%d: v\r\n\r\n" % (i, i, i)
        for i in range(3)))
    assert error is None and [r.target for r in requests] == ["/page-0", "/page-1", "/page-2"]
    responses = parse_responses(b"HTTP/1.1 200 OK\r\nX-Other: 1\r\nContent-Length: 0\r\n\r\n",
                                ["GET"])
    assert [r.status for r in responses] == [200]
    assert module_state() == before


# ================================================================ what RFC 9110/9112 ask of a recipient

@pytest.mark.parametrize("head, body, expected", [
    # RFC 9110 8.6: Content-Length = 1*DIGIT -- leading zeros are digits.
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000000005\r\n\r\n", b"hello",
     b"hello"),
    # RFC 9112 7.1: chunk-size = 1*HEXDIG, likewise.
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
     b"0000000000000000000005\r\nhello\r\n00000000000000000000\r\n\r\n", b"hello"),
    # RFC 9110 5.6.1: a recipient must accept and ignore empty list elements.
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked\r\n\r\n",
     b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked , ,\r\n\r\n",
     b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
])
def test_framing_the_rfcs_allow_is_accepted(head, body, expected):
    (request,), error = parse_all(head + body)
    assert error is None and request.body == expected


def test_a_transfer_encoding_of_only_empty_elements_is_refused():
    requests, error = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , ,\r\n\r\n")
    assert not requests and error.status == 400 and "empty Transfer-Encoding" in str(error)


def test_a_body_length_too_long_after_its_leading_zeros_is_still_413():
    requests, error = parse_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 00%s\r\n\r\n"
                                % (b"9" * 19))
    assert error.status == 413


@pytest.mark.parametrize("target", [b"HTTP://example.com/a?b=1", b"hTTpS://example.com/a?b=1"])
def test_the_scheme_of_an_absolute_target_is_case_insensitive(target):
    # RFC 9110 4.2.3: the scheme is case-insensitive.
    (request,), error = parse_all(b"GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n" % target)
    assert error is None and (request.path, request.query) == ("/a", "b=1")


@pytest.mark.parametrize("host", [
    b"example.com", b"example.com:8080", b"127.0.0.1:80", b"[::1]", b"[2001:db8::7]:443",
    b"[v1.fe:x]", b"xn--bcher-kva.example", b"a%20b", b"a-b_c~d!$&'()*+,;=", b"x:", b""])
def test_a_host_of_rfc_3986_form_or_empty_is_accepted(host):
    # RFC 9112 3.2: Host = uri-host [ ":" port ]; empty when the target has no authority.
    (request,), error = parse_all(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host)
    assert error is None and request.header("host") == host


@pytest.mark.parametrize("host", [
    b"a b", b"a/b", b"a?b", b"a#b", b"user@a", b'a"b', b"a\\b", b"h\xc3\xa9", b"a%2", b"a%zz",
    b":80", b"a::80", b"a:b", b"a:80x", b"a:-1", b"[::1", b"[::1]x", b"[]", b"[1.2.3.4]",
    b"[fe80::1%25eth0]", b"[v.x]", b"[v1.]", b"a]"])
def test_an_invalid_host_is_a_400_naming_it(host):
    # RFC 9112 3.2: a server MUST answer 400 to a Host with an invalid value.
    requests, error = parse_all(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host)
    assert not requests and error.status == 400
    assert str(error) == "invalid Host header %r" % host
    requests, error = parse_all(b"GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host)
    assert not requests and error.status == 400


@pytest.mark.parametrize("version", [b"HTTP/1.2", b"HTTP/1.9"])
def test_a_higher_minor_version_is_handled_as_http_1_1(version):
    # RFC 9110 2.5: process it as the highest minor version we conform to.
    (request,), error = parse_all(b"GET / %s\r\nHost: x\r\n\r\n" % version)
    assert error is None and request.version == b"HTTP/1.1" and request.keep_alive


@pytest.mark.parametrize("version, status", [
    (b"HTTP/2.0", 505), (b"HTTP/0.9", 505), (b"HTTP/1.x", 400), (b"HTTP/1.10", 400)])
def test_other_versions_are_refused(version, status):
    requests, error = parse_all(b"GET / %s\r\nHost: x\r\n\r\n" % version)
    assert not requests and error.status == status


# ============================================================ cases from h11's and llhttp's tests

@pytest.mark.parametrize("line", [b"GET /a\tb HTTP/1.1", b"GET /a\t HTTP/1.1",
                                  b"GET\t/ HTTP/1.1", b"GET /\tHTTP/1.1", b"GET / HTTP/1.1\t"])
@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_a_tab_in_the_request_line_is_a_400(line, eol):
    """RFC 9112 3: single spaces separate the request line's parts, and a
    target has no whitespace (h11: a target is VCHARs) -- a tab is not one
    more character of the path, which a front end may read as a space.
    The same on the CRLF-only fast path and the bare-LF one."""
    data = line + eol + b"Host: x" + eol + eol
    requests, error = parse_all(data)
    assert not requests and error.status == 400
    assert str(error) == "a tab in the request line %r" % line
    assert summary(*parse_in_pieces(data, range(1, len(data)))) == summary(requests, error)


def test_tabs_in_field_values_and_a_reason_phrase_are_still_accepted():
    """A tab is whitespace around a field value (OWS) and may be inside one,
    and a reason phrase may hold one (RFC 9112 4): those heads leave the
    fast path, and still parse."""
    (request,), error = parse_all(b"GET /a HTTP/1.1\r\nHost:\tx\t\r\nA: b\tc\r\n\r\n")
    assert error is None and request.headers == [(b"host", b"x"), (b"a", b"b\tc")]
    (response,) = parse_responses(b"HTTP/1.1 200 All\tfine\r\nContent-Length: 2\r\n\r\nok",
                                  ["GET"])
    assert (response.reason, response.body) == ("All\tfine", b"ok")


@pytest.mark.parametrize("first", [b"\x00", b" ", b"\t", b"\x7f", b"\xff", b"\r ",
                                   b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"])
def test_a_start_line_that_cannot_be_http_is_refused_at_its_first_byte(first):
    """As h11 does: a first byte that no method (a token) begins with --
    a NUL, a space, a TLS ClientHello sent to a plain HTTP port -- is a 400
    at once, before any line end (which such a client may never send: the
    server would wait out its header timeout)."""
    parser = RequestParser()
    parser.feed(first)
    with pytest.raises(ProtocolError) as caught:
        parser.next_request()
    assert caught.value.status == 400
    assert str(caught.value).startswith("malformed request line: it begins with %r"
                                        % first[:1])
    # After empty lines too, and for a response.
    requests, error = parse_all(b"\r\n\r\n" + first)
    assert not requests and error.status == 400 and "it begins with" in str(error)
    response_parser = ResponseParser()
    response_parser.feed(first)
    with pytest.raises(ProtocolError, match="malformed status line: it begins with"):
        response_parser.next_response("GET")


def test_a_cr_last_may_be_half_of_an_empty_line():
    """CRLF before a request, cut between its CR and its LF: no error yet."""
    requests, error = parse_in_pieces(b"\r\n" + GET, [1])
    assert error is None and len(requests) == 1


@pytest.mark.parametrize("status", [b"000", b"099"])
def test_a_status_below_100_is_a_final_answer_not_an_interim_one(status):
    """RFC 9110 15: 100-599 are the valid codes, and a client reads an
    invalid one as a 5xx -- final, its body framed by its head.  It was
    skipped as a 1xx, and the next bytes (here, its body) read as the
    response."""
    data = b"HTTP/1.1 %s Odd\r\nContent-Length: 5\r\n\r\nfirstHTTP/1.1 200 OK\r\n" \
           b"Content-Length: 6\r\n\r\nsecond" % status
    first, second = parse_responses(data, ["GET", "GET"])
    assert (first.status, first.body) == (int(status), b"first")
    assert (second.status, second.body) == (200, b"second")


def test_a_101_switching_protocols_is_returned_not_skipped():
    """After a 101 the connection speaks another protocol: the response is
    returned, not skipped as an interim one (the bytes after it parsed as
    HTTP), and says the connection does not go on as HTTP/1.1."""
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n"
                b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello")
    response = parser.next_response("GET")
    assert (response.status, response.body, response.keep_alive) == (101, b"", False)
    assert parser.buffered == 7


# ============================================================ request side, h11's cases again

@pytest.mark.parametrize("fields", [
    b"Connection: close\r\nConnection: keep-alive\r\n",
    b"Connection: close\r\nX: y\r\nConnection: foo\r\nConnection: keep-alive\r\n",
    b"Connection: keep-alive\r\nConnection: close\r\n",
])
def test_close_in_one_connection_field_wins_over_keep_alive_in_another(fields):
    """RFC 9112 9.6: a "close" option ends the connection, whichever of
    several Connection fields carries it (a list split over fields is the
    same list, RFC 9110 5.3).  An HTTP/1.0 request said close, then
    keep-alive in a later field, and was kept alive -- and so was a
    response with the same fields, which the client then reused."""
    for version in (b"HTTP/1.0", b"HTTP/1.1"):
        (request,), error = parse_all(b"GET / %s\r\nHost: x\r\n%s\r\n" % (version, fields))
        assert error is None and request.keep_alive is False, version
        (response,) = parse_responses(b"%s 200 OK\r\n%sContent-Length: 0\r\n\r\n"
                                      % (version, fields), ["GET"], eof=False)
        assert response.keep_alive is False, version


@pytest.mark.parametrize("target", [
    b"http://", b"http:///p", b"http://?q", b"http://:80/", b"http://user@host/",
    b"http://user:secret@host/p", b"https://host:80x/", b"http://ho%zz/", b"http://[::1/",
    b"http://h#frag"])
def test_an_absolute_target_with_an_invalid_authority_is_a_400(target):
    """RFC 9110 4.2.1: an http(s) URI with an empty host is invalid, and a
    recipient must reject it; 4.2.4: userinfo is to be treated as an error
    (it hides a host: ``http://trusted@evil/``).  These were served as "/"
    or "/p" -- the authority cut off unread."""
    requests, error = parse_all(b"GET %s HTTP/1.1\r\nHost: host\r\n\r\n" % target)
    assert not requests and error.status == 400
    assert str(error) == "malformed request target %r" % target.decode()


@pytest.mark.parametrize("target, path", [
    (b"http://host", "/"), (b"http://host:8080/p", "/p"), (b"http://[::1]:8080/p", "/p"),
    (b"https://127.0.0.1?q", "/"), (b"http://a-b.example./p", "/p")])
def test_an_absolute_target_with_a_valid_authority_is_still_served(target, path):
    (request,), error = parse_all(b"GET %s HTTP/1.1\r\nHost: host\r\n\r\n" % target)
    assert error is None and request.path == path


@pytest.mark.parametrize("target, valid", [
    (b"example.com:443", True), (b"[::1]:8443", True), (b"127.0.0.1:1", True),
    (b"example.com", False), (b"example.com:", False), (b"[::1]", False), (b"a:b", False),
    (b"user@example.com:443", False), (b"@@@", False), (b"a/b:1", False)])
def test_connect_takes_the_authority_form_host_colon_port_only(target, valid):
    """RFC 9112 3.2.3: CONNECT's target is ``uri-host ":" port``.  Any
    string went through (to a route that takes CONNECT, if any)."""
    requests, error = parse_all(b"CONNECT %s HTTP/1.1\r\nHost: x\r\n\r\n" % target)
    if valid:
        assert error is None and requests[0].target == target.decode()
    else:
        assert not requests and error.status == 400
