"""The HTTP/1.1 parsers against h11's: the differences found by reading
random streams with both (see the random test, below when it comes), each
fixed and pinned here."""

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
