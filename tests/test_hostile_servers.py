"""Clients against servers that misbehave: the HTTP client (``Fetcher``,
``examples/crawler.py``) and the streams, over real loopback sockets.
Each failure must be an error naming what was wrong -- the URL, the
header, the peer -- not a traceback from deep inside, nor a hang."""

import sys

import pytest

from net_helpers import start_server, watchdog  # noqa: F401  (autouse)
from trampoline import cancel
from trampoline.protocols.http_client import Fetcher, FetchError
from trampoline.protocols.resp import ProtocolError, ReplyParser
from trampoline.streams import IncompleteReadError, open_connection

WATCHDOG_SECONDS = 20


def scripted(answers):
    """A server's handler: read each request's head and answer with
    ``answers[path]`` (bytes sent as they are), then read the next."""
    def handler(stream, address):
        while True:
            try:
                head = yield stream.readuntil(b"\r\n\r\n")
            except IncompleteReadError:     # the client closed
                return
            path = head.split(b" ", 2)[1].decode("ascii")
            yield stream.write(answers[path])
    return handler


def fetching(answers, work):
    """Main task: serve ``scripted(answers)`` on a free port, run
    ``work(fetcher, base_url)``, stop the server."""
    task, port = yield start_server(scripted(answers))
    fetcher = Fetcher(connections=2, timeout=5, max_redirects=3)
    try:
        return (yield work(fetcher, "http://127.0.0.1:%d" % port))
    finally:
        fetcher.close()
        yield cancel(task)


def redirect(location, status=302):
    return (b"HTTP/1.1 %d Moved\r\n%sContent-Length: 0\r\n\r\n"
            % (status, b"".join(b"Location: %s\r\n" % each for each in location)))


def get_all(*paths):
    def work(fetcher, base):
        pages = []
        for path in paths:
            pages.append((yield fetcher.get(base + path)))
        return base, pages
    return work


def test_an_empty_location_is_an_error_not_a_loop(run):
    """A redirect whose Location is empty (or blank) says so, after one
    request: it was read as the page itself and followed until the limit
    ("more than 3 redirects", with four requests for nothing).  Reached
    through a redirect, the error says from where."""
    answers = {"/empty": redirect([b""]), "/blank": redirect([b"   "], 301),
               "/to-empty": redirect([b"/empty"], 307)}
    base, (empty, blank, chained) = run(fetching(answers, get_all("/empty", "/blank",
                                                                  "/to-empty")))
    assert empty.error == base + "/empty: a 302 redirect with an empty Location header"
    assert empty.redirects == [] and empty.status is None
    assert blank.error == base + "/blank: a 301 redirect with an empty Location header"
    assert chained.error == ("%s/to-empty -> %s/empty: a 302 redirect with an empty Location "
                             "header" % (base, base))
    assert chained.redirects == [base + "/to-empty"]


def test_two_different_locations_are_an_error(run):
    """Two Location headers that disagree: an error naming both.  They were
    joined with ", " into one URL ("/a,%20/b") and followed there."""
    answers = {"/two": redirect([b"/a", b"/b"]), "/same": redirect([b"/ok", b"/ok"]),
               "/ok": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
    base, (two, same) = run(fetching(answers, get_all("/two", "/same")))
    assert two.error == base + "/two: a 302 redirect with 2 different Location headers: /a, /b"
    assert same.error is None and same.body == b"ok" and same.final_url == base + "/ok"


def test_a_redirect_loop_says_where_it_loops(run):
    """The redirect limit reached in a loop says which URL came back."""
    answers = {"/a": redirect([b"/b"]), "/b": redirect([b"/a"])}
    base, (page,) = run(fetching(answers, get_all("/a")))
    assert page.error == "%s/a: more than 3 redirects (a loop: %s/b again)" % (base, base)



def test_a_server_of_another_protocol_is_named_at_once(run):
    """A server that answers with something not HTTP -- SSH's banner --
    and then waits: the fetch fails at once, saying the answer was not
    HTTP.  It waited for the end of a head until the timeout, then said
    "no response within 5 s"."""
    answers = {"/": b"SSH-2.0-OpenSSH_9.6\r\n"}

    def work(fetcher, base):
        with pytest.raises(FetchError) as caught:
            yield fetcher.fetch(base + "/")
        return base, str(caught.value)

    base, error = run(fetching(answers, work))
    assert error == (base + "/: bad response: malformed status line: it begins with "
                     "b'SSH-2.0-OpenSSH_9.6', not HTTP/ (is it an HTTP server?)")


# ================================================================ RESP replies

def replies_from(data, piece=4096):
    """Main task: a server that sends ``data`` and closes; a client that
    reads it ``piece`` bytes at a time into a ``ReplyParser``.  The
    replies, or the parser's ``ProtocolError``."""
    def sender(stream, address):
        yield stream.write(data)

    task, port = yield start_server(sender)
    stream = yield open_connection("127.0.0.1", port)
    parser = ReplyParser()
    replies = []
    try:
        while True:
            received = yield stream.read(piece)
            if not received:
                return replies
            replies += parser.feed(received)
    except ProtocolError as exc:
        return exc
    finally:
        stream.close()
        yield cancel(task)


def test_a_reply_of_many_items_in_many_pieces_is_read_once(run):
    """An array of 400,000 items read 4 KiB at a time: one pass.  The
    parser read the reply again from its start at every piece (2.5 s for
    100,000 items, a minute for these), so a big KEYS or LRANGE reply --
    or a server that sends one on purpose -- held the client for minutes."""
    count = 400000
    (reply,) = run(replies_from(b"*%d\r\n" % count + b":7\r\n" * count))
    assert len(reply) == count and reply[-1] == 7


def test_deeply_nested_arrays_are_no_recursion_error(run):
    """Arrays nested 100,000 deep (what a hostile server can send in
    400 KB): the reply, not a RecursionError from deep in the parser."""
    depth = 100000
    (reply,) = run(replies_from(b"*1\r\n" * depth + b":5\r\n"))
    for _ in range(depth):
        (reply,) = reply
    assert reply == 5


def test_replies_that_are_not_resp_are_protocol_errors(run):
    """A double, a boolean, a null or a verbatim string that is not what
    RESP3 says: a ProtocolError naming it.  A bad double raised float's own
    ValueError; "#x" read as False, "_junk" as None, a verbatim string
    without its "txt:" format lost its first bytes; a map keyed by an
    array raised dict's TypeError, a big number longer than Python converts
    int's ValueError."""
    cases = [(b",abc\r\n", "bad double b'abc'"),
             (b"#x\r\n", "bad boolean b'x'"),
             (b"_junk\r\n", "bad null b'junk'"),
             (b"=3\r\nabc\r\n", "verbatim string without its format"),
             (b"%1\r\n*0\r\n:1\r\n", "a map reply with a key a dict cannot hold")]
    digits = getattr(sys, "get_int_max_str_digits", lambda: 0)() + 1   # (Python 3.11 on)
    if digits > 1:
        cases.append((b"(" + b"9" * digits + b"\r\n", "a big number of %d digits" % digits))
    for data, message in cases:
        error = run(replies_from(b"+OK\r\n" + data))
        assert isinstance(error, ProtocolError), (data, error)
        assert message in str(error) and error.offset == 5, (data, error)
