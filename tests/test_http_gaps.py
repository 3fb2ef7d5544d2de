"""trampoline/protocols/http.py: behaviours no other test pinned, found by
mutation testing (each test fails with one mutant of the parser that every
other test let through).  Through the parser's public API: bytes in,
requests and responses out."""

import pytest

from trampoline.protocols.http import ProtocolError, RequestParser, ResponseParser


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
