"""trampoline/protocols/http.py: behaviours no other test pinned, found by
mutation testing (each test fails with one mutant of the parser that every
other test let through).  Through the parser's public API: bytes in,
requests and responses out."""

import pytest

from trampoline.protocols.http import (ProtocolError, RequestParser, ResponseParser, encode_headers,
                                       encode_request, encode_response)


def parse(pieces, parser=None, **limits):
    """Feed ``pieces`` one by one, asking for a request after each: the
    last request, or the ProtocolError raised."""
    parser = parser or RequestParser(**limits)
    request = None
    try:
        for piece in pieces:
            parser.feed(piece)
            request = parser.next_request() or request
    except ProtocolError as error:
        return error
    return request


def request_line(length):
    """A request line of ``length`` bytes (without its CRLF)."""
    line = b"GET /" + b"a" * (length - 14) + b" HTTP/1.1"
    assert len(line) == length
    return line


def head_of(length):
    """A request head of ``length`` bytes as the limit counts them: from
    the request line to the end of the last field line, without the CRLF
    that ends that line and the empty line."""
    head = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Pad: "
    head += b"a" * (length - len(head))
    assert len(head) == max(length, 42)
    return head


def every_split(data, around=()):
    """``data`` whole, and cut in two at every place in its last 4 bytes
    and in the 2 bytes either side of each index ``around``."""
    yield [data]
    cuts = set(range(len(data) - 4, len(data)))
    for at in around:
        cuts.update(range(at - 2, at + 3))
    for cut in sorted(cuts):
        yield [data[:cut], data[cut:]]


# ------------------------------------------------------ the limits, at their edge

@pytest.mark.parametrize("pieces", list(every_split(request_line(100) + b"\r\nHost: h\r\n\r\n",
                                                  around=[100])))
def test_a_request_line_of_max_line_bytes_is_accepted_however_it_arrives(pieces):
    # (Its CR alone at the end of a read was taken for one byte too many: 414.)
    request = parse(pieces, max_line=100)
    assert not isinstance(request, ProtocolError), request
    assert request.target == "/" + "a" * 86


def test_a_request_line_one_byte_over_max_line_gets_414():
    assert parse([request_line(101) + b"\r\nHost: h\r\n\r\n"], max_line=100).status == 414
    # ... and at once, before its end: the line is too long already.
    assert parse([request_line(101) + b"\r"], max_line=100).status == 414
    assert parse([request_line(102)], max_line=100).status == 414


@pytest.mark.parametrize("pieces", list(every_split(head_of(200) + b"\r\n\r\n")))
def test_a_head_of_max_head_bytes_is_accepted_however_it_arrives(pieces):
    # (Its end, "\r\n\r\n", cut by a read was counted in the head: 431.)
    request = parse(pieces, max_head=200)
    assert not isinstance(request, ProtocolError), request
    assert request.header("x-pad") == b"a" * (200 - len(head_of(0)))


def test_a_head_one_byte_over_max_head_gets_431_whole_or_unfinished():
    assert parse([head_of(201) + b"\r\n\r\n"], max_head=200).status == 431
    # Unfinished: its next bytes could only end a head that is too large.
    assert parse([head_of(201) + b"\r\n\r"], max_head=200).status == 431
    assert parse([head_of(204)], max_head=200).status == 431


def test_an_oversized_head_whose_request_line_is_within_max_line_gets_431_not_414():
    head = request_line(100) + b"\r\nHost: h\r\nX-Pad: " + b"a" * 300 + b"\r\n\r\n"
    error = parse([head], max_line=100, max_head=200)
    assert error.status == 431, error
    # ... and one whose request line is one byte over: 414.
    head = request_line(101) + b"\r\nHost: h\r\nX-Pad: " + b"a" * 300 + b"\r\n\r\n"
    assert parse([head], max_line=100, max_head=200).status == 414


def test_a_trailer_section_that_never_ends_is_refused_at_max_head():
    parser = RequestParser(max_head=200)
    head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
    parser.feed(head)
    assert parser.next_request() is None
    parser.feed(b"X-Trailer: " + b"a" * (200 - 11) + b"\r\n\r")    # 200 bytes, its end coming
    assert parser.next_request() is None
    parser.feed(b"\n")
    assert parser.next_request().body == b"abc"
    # One byte more, and no end: refused before the end comes.
    parser = RequestParser(max_head=200)
    parser.feed(head + b"X-Trailer: " + b"a" * (201 - 11) + b"\r\n\r")
    with pytest.raises(ProtocolError) as error:
        parser.next_request()
    assert error.value.status == 431


def test_a_body_read_until_the_close_is_held_to_max_body():
    parser = ResponseParser(max_body=10)
    parser.feed(b"HTTP/1.1 200 OK\r\n\r\n0123456789")
    assert parser.next_response() is None
    parser.feed(b"!")
    with pytest.raises(ProtocolError, match="more than 10 bytes"):
        parser.next_response()
    assert parser.dead


# ------------------------------------------------------ the rest

def test_a_bytearray_fed_and_then_reused_by_its_owner_changes_nothing():
    # A server reads into one bytearray again and again.
    parser = RequestParser()
    buffer = bytearray(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab")
    parser.feed(buffer)
    assert parser.next_request() is None
    buffer[:] = b"cde" + b"\0" * 40
    parser.feed(buffer[:3])
    buffer[:] = b"\0" * 40
    request = parser.next_request()
    assert (request.path, request.body, type(request.body)) == ("/a", b"abcde", bytes)
    buffer[:] = b"GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
    parser.feed(buffer)
    buffer[:] = b"\0" * len(buffer)
    request = parser.next_request()
    assert (request.path, request.body, type(request.body)) == ("/b", b"", bytes)


def test_pending_is_none_once_the_parser_is_dead():
    parser = RequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert parser.next_request() is None
    assert parser.pending.method == "POST"
    parser.feed(b"zz\r\n")
    with pytest.raises(ProtocolError):
        parser.next_request()
    assert parser.dead and parser.pending is None


def test_a_response_field_folded_with_a_tab_is_one_line():
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 200 OK\r\nX-Long: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n")
    response = parser.next_response()
    assert response.header("x-long") == b"one two"


@pytest.mark.parametrize("missing, words", [(1, "1 byte short"), (2, "2 bytes short")])
def test_a_body_cut_short_by_the_close_says_how_many_bytes_are_missing(missing, words):
    parser = RequestParser()
    parser.feed(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n" + b"a" * (5 - missing))
    assert parser.next_request() is None
    parser.feed_eof()
    with pytest.raises(ProtocolError) as error:
        parser.next_request()
    assert error.value.status == 400 and "(%s)" % words in str(error.value)


def test_a_path_percent_encoded_but_not_utf_8_keeps_its_bytes():
    request = parse([b"GET /caf%E9%C3%A9?q=%E9 HTTP/1.1\r\nHost: h\r\n\r\n"])
    assert (request.path, request.query) == ("/caf\udce9\u00e9", "q=%E9")
    assert request.path.encode("utf-8", "surrogateescape") == b"/caf\xe9\xc3\xa9"


# ------------------------------------------------------ a connection's later requests
# (The parser remembers the header section a client sends again and again,
# and reads the next ones with less work: these must be held to the same rules.)

def requests_on_one_connection(*heads, **limits):
    """What ``heads``, each fed and parsed in turn on one parser, come to:
    a request, or the ProtocolError that ended it all."""
    parser = RequestParser(**limits)
    out = []
    for head in heads:
        parser.feed(head)
        try:
            out.append(parser.next_request())
        except ProtocolError as error:
            out.append(error)
            break
    return out


def test_a_request_line_over_max_line_gets_414_after_the_same_section_came_twice():
    section = b"\r\nHost: h\r\nAccept: */*\r\n\r\n"
    fine = request_line(100) + section
    *answers, last = requests_on_one_connection(fine, fine, fine, request_line(101) + section,
                                                max_line=100)
    assert [a.target for a in answers] == ["/" + "a" * 86] * 3
    assert isinstance(last, ProtocolError) and last.status == 414


def test_a_head_over_max_head_gets_431_after_the_same_section_came_twice():
    section = b"\r\nHost: h\r\nX-Pad: " + b"a" * 60 + b"\r\n\r\n"
    fine = request_line(200 - (len(section) - 4)) + section          # 200 bytes of head
    *answers, last = requests_on_one_connection(
        fine, fine, fine, request_line(201 - (len(section) - 4)) + section, max_head=200)
    assert len(answers) == 3 and all(a.method == "GET" for a in answers)
    assert isinstance(last, ProtocolError) and last.status == 431, last


def test_connection_close_is_read_in_every_request_of_a_repeated_section():
    head = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    answers = requests_on_one_connection(head, head, head, head)
    assert [a.keep_alive for a in answers] == [False] * 4


def test_conflicting_content_lengths_are_refused_after_a_repeated_section_with_two():
    # Two Content-Length fields of one value are one length (RFC 9110 8.6);
    # a later request whose two differ is a smuggling attempt, however
    # like the ones before it.
    def post(first, second, body):
        return (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\nContent-Length: %d"
                b"\r\n\r\n%s" % (first, second, body))
    *answers, last = requests_on_one_connection(
        post(4, 4, b"abcd"), post(4, 4, b"efgh"), post(9, 4, b"ijklmnopq"))
    assert [a.body for a in answers] == [b"abcd", b"efgh"]
    assert isinstance(last, ProtocolError) and last.status == 400
    assert "conflicting Content-Length" in str(last)


def test_the_asterisk_target_is_for_options_only():
    # RFC 9112 3.2.4: the asterisk form is used only for a server-wide OPTIONS.
    request = parse([b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"])
    assert (request.method, request.target, request.path) == ("OPTIONS", "*", "*")
    error = parse([b"GET * HTTP/1.1\r\nHost: h\r\n\r\n"])
    assert isinstance(error, ProtocolError) and error.status == 400


def test_expect_100_continue_is_ignored_in_http_1_0():
    # RFC 9110 10.1.1: a server MUST ignore it in an HTTP/1.0 request
    # (an HTTP/1.0 client does not wait for a 100 it cannot read).
    head = b"POST / %s\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    for version, expected in ((b"HTTP/1.1", True), (b"HTTP/1.0", False)):
        parser = RequestParser()
        parser.feed(head % version)
        assert parser.next_request() is None
        assert parser.pending.expect_continue is expected, version


@pytest.mark.parametrize("line", [b"HTTP/2 200 OK", b"HTTP/2.0 200 OK", b"HTTP/3 200 OK"])
def test_a_response_not_in_http_1_is_refused(line):
    parser = ResponseParser()
    parser.feed(line + b"\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(ProtocolError, match="malformed status line"):
        parser.next_response()


def test_encode_headers_writes_an_int_value_in_decimal():
    assert encode_headers([("X-Count", 42), (b"X-Zero", 0)]) == b"X-Count: 42\r\nX-Zero: 0\r\n"


def test_encode_request_gives_a_post_put_or_patch_without_a_body_its_content_length():
    # (RFC 9110 8.6: a client sends Content-Length: 0 when a method means a
    # body and it has none; servers may answer 411 Length Required else.)
    for method in ("POST", "PUT", "PATCH"):
        assert b"\r\nContent-Length: 0\r\n\r\n" in encode_request(method, "/", [("Host", "h")])
    assert b"Content-Length" not in encode_request("GET", "/", [("Host", "h")])


@pytest.mark.parametrize("chunk", [b"3;ext=a\0b\r\nabc\r\n", b"3;ext\x01\r\nabc\r\n",
                                   b"3\r\nabcX\n", b"3\r\nabc\nX"])
def test_a_chunk_with_a_control_character_in_its_extension_or_no_crlf_after_it_is_refused(chunk):
    # (In one read: the chunk, its CRLF and what follows are taken at once.)
    error = parse([b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk
                   + b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"])
    assert isinstance(error, ProtocolError) and error.status == 400, error


def test_encode_response_gives_no_content_length_to_a_1xx_204_or_304():
    for status in (100, 204, 304):
        assert b"Content-Length" not in encode_response(status), status
    assert b"\r\nContent-Length: 2\r\n" in encode_response(200, body=b"ok")
    assert b"\r\nContent-Length: 0\r\n" in encode_response(404)
