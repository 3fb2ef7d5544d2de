"""The HTTP server's shortcuts for a keep-alive client asking again and
again -- the parser's remembered head (one startswith for the very same
bytes), the connection's last answer kept whole, the stream's read trap
yielded as it is -- each beside the general path: the same requests, the
same bytes on the wire."""

import copy
import socket
import time
from email.utils import parsedate_to_datetime

import pytest

import trampoline
from net_helpers import start_server, watchdog  # noqa: F401  (autouse)
from trampoline import cancel, run_in_thread, spawn, streams, workers
from trampoline.net import listen
from trampoline.protocols import http_server
from trampoline.protocols.http import ProtocolError, RequestParser, ResponseParser

WATCHDOG_SECONDS = 30

ATTRIBUTES = ("method", "target", "path", "query", "version", "headers", "body",
              "keep_alive", "expect_continue")


def fresh(head, **limits):
    """What a new parser -- no head remembered -- makes of ``head``."""
    parser = RequestParser(**limits)
    parser.feed(head)
    return parser.next_request()


def as_tuple(request):
    return tuple(copy.copy(getattr(request, name)) for name in ATTRIBUTES)


A = b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
A_OTHER_FIELDS = b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\n\r\n"
A_CLOSE = b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nConnection: close\r\n\r\n"
A_HTTP10 = b"GET / HTTP/1.0\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
B = b"GET /b?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
A_KEEP10 = b"GET / HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\n\r\n"
# (A's head remembered, then other fields twice -- their section remembered
# in place of A's --, then A again: its fields, not the other ones.)
SEQUENCE = [A, A, A, A, B, B, B, A, A, A_OTHER_FIELDS, A_OTHER_FIELDS, A, A, A,
            A_OTHER_FIELDS, A_OTHER_FIELDS, A_OTHER_FIELDS, A, A, A_HTTP10, A_HTTP10, A_HTTP10,
            A, A_KEEP10, A_KEEP10, A_KEEP10, A_KEEP10, A, A_CLOSE]


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_head_sent_again_and_again_is_the_request_a_new_parser_makes(pipelined):
    """One connection's heads, one at a time or all in one read: each
    Request is what a new parser makes of that head alone -- across the
    remembered head (A three times), another line (B), other fields with
    the same line (the remembered section replaced: A's head must not
    come back with its fields), HTTP/1.0, Connection."""
    parser = RequestParser()
    got = []
    if pipelined:
        parser.feed(b"".join(SEQUENCE))
    for head in SEQUENCE:
        if not pipelined:
            assert parser.idle
            parser.feed(head)
        request = parser.next_request()
        got.append(as_tuple(request))
        request.headers.append((b"x-changed", b"by the handler"))   # (its own list)
    assert got == [as_tuple(fresh(head)) for head in SEQUENCE]
    assert parser.idle and parser.next_request() is None


@pytest.mark.parametrize("limit, value, status", [("max_line", 10, 414), ("max_head", 40, 431),
                                                  ("max_headers", 1, 431)])
def test_a_remembered_head_is_held_to_a_limit_changed_since(limit, value, status):
    """A limit lowered once the head is remembered: the very same bytes
    get the error a new parser with that limit gives."""
    parser = RequestParser()
    for _ in range(4):
        parser.feed(A)
        assert as_tuple(parser.next_request()) == as_tuple(fresh(A))
    with pytest.raises(ProtocolError) as expected:
        fresh(A, **{limit: value})
    setattr(parser, limit, value)
    parser.feed(A)
    with pytest.raises(ProtocolError) as got:
        parser.next_request()
    assert (got.value.status, str(got.value)) == (expected.value.status, str(expected.value))
    assert got.value.status == status


def test_a_head_that_differs_from_the_remembered_one_only_in_its_end_is_not_taken_for_it():
    """The remembered head followed by a bare LF, or cut short: not the
    remembered request -- what a new parser says."""
    parser = RequestParser()
    for _ in range(3):
        parser.feed(A)
        parser.next_request()
    parser.feed(A[:-2])             # (the empty line still to come)
    assert parser.next_request() is None
    parser.feed(b"\r\n")
    assert as_tuple(parser.next_request()) == as_tuple(fresh(A))


# (A + b"G", then A: "GGET / ..." -- the remembered head, but not alone.)
READS = [A, A, A, A + A, A + A[:10], A[10:], A + B, bytearray(A), A, b"\r\n" + A, A, A + b"G",
         A, A, A_OTHER_FIELDS, A_OTHER_FIELDS, A, A, A]


def drain(parser, first):
    """``first`` and every request after it the parser has whole."""
    got = []
    request = first
    while request is not None:
        got.append(as_tuple(request))
        request = parser.next_request()
    return got, parser.idle


def test_a_read_fed_and_parsed_in_one_call_is_what_feed_and_next_request_make():
    """The server's one call per read (_next_fed) beside feed() and
    next_request(): the same requests, the same idle, read after read --
    the remembered head alone, pipelined behind itself, with the start of
    another behind it or before it, a bytearray, an empty line first,
    after another section was remembered; and after feed_eof() the
    error feed() raises."""
    one, two = RequestParser(), RequestParser()
    for data in READS:
        two.feed(data)
        assert drain(one, one._next_fed(data)) == drain(two, two.next_request()), data
    assert one._wire is not None            # (what the last read checks)
    one.feed_eof()
    with pytest.raises(RuntimeError, match="feed_eof"):
        one._next_fed(A)


# ================================================================ the server

def exchange_all(port, requests):
    """Send each request of ``requests`` on one connection and read its
    answer before the next: the raw bytes of each answer."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        data = b""
        for head in requests:
            sock.sendall(head)
            while True:
                parser = ResponseParser()
                parser.feed(data)
                answer = parser.next_response("HEAD" if head.startswith(b"HEAD") else "GET")
                if answer is not None:
                    size = len(data) - parser.buffered
                    answers.append(data[:size])
                    data = data[size:]
                    break
                chunk = sock.recv(65536)
                assert chunk, "the server closed early"
                data += chunk
    return answers


def expected_answer(response, request, answer):
    """What the general path (_encode_head, then the body) sends for
    ``response`` to ``request``, with the Date ``answer`` carries (the
    clock's to say; checked against the clock apart)."""
    parser = RequestParser()
    parser.feed(request)
    parsed = parser.next_request()
    keep_alive = parsed.keep_alive and not response.close
    head = http_server._encode_head(response, keep_alive, parsed.version)
    date = answer.split(b"Date: ", 1)[1].split(b"\r\n", 1)[0]
    head = head.replace(head.split(b"Date: ", 1)[1].split(b"\r\n", 1)[0], date)
    return head if parsed.method == "HEAD" else head + response.body


def serve(router, client):
    def main():
        task, port = yield start_server(http_server.make_handler(router))
        try:
            return (yield run_in_thread(client, port))
        finally:
            yield cancel(task)
    return main()


def test_answers_sent_again_and_again_are_the_general_paths_bytes(run):
    """Two Responses, one a copy of the other with another body of the
    same length (the same head), one with another head and the same body,
    HTTP/1.0 keep-alive, HEAD, Connection: close -- each answer on one
    connection is what _encode_head and the body make of it."""
    first = http_server.Response(b"first body\n")
    same_head = copy.copy(first)
    same_head.body = b"other body\n"
    same_body = http_server.Response(first.body, 404)
    router = http_server.Router()
    router.add("/", lambda request: first)
    router.add("/same-head", lambda request: same_head)
    router.add("/same-body", lambda request: same_body)
    host = b"Host: x\r\n"
    get = b"GET %s HTTP/1.1\r\n" + host + b"\r\n"
    get10 = b"GET %s HTTP/1.0\r\n" + host + b"Connection: keep-alive\r\n\r\n"
    requests = ([get % b"/"] * 3 + [get % b"/same-head"] * 2 + [get % b"/"] +
                [get % b"/same-body"] * 2 + [get % b"/"] + [get10 % b"/"] * 2 + [get % b"/"] +
                [b"HEAD / HTTP/1.1\r\n" + host + b"\r\n", get % b"/",
                 b"GET / HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n"])
    responses = {b"/": first, b"/same-head": same_head, b"/same-body": same_body}
    answers = run(serve(router, lambda port: exchange_all(port, requests)))
    assert len(answers) == len(requests)
    for request, answer in zip(requests, answers):
        response = responses[request.split(b" ")[1]]
        assert answer == expected_answer(response, request, answer), request


def test_an_answer_sent_again_in_the_next_second_has_that_seconds_date():
    """The same Response again once the clock has passed a second: the new
    Date, not the kept answer's."""
    hello = http_server.Response(b"Hello, world!\n")
    router = http_server.Router()
    router.add("/", lambda request: hello)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    def client(port):
        seconds = []
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for _ in range(2):
                for _ in range(3):
                    before = int(time.time())
                    seconds.append((before, exchange_one(sock, request)))
                # What is tested is the clock passing a second: wait for it.
                time.sleep(int(time.time()) + 1.01 - time.time())
        return seconds

    for before, answer in trampoline.run(serve(router, client)):   # (one backend: 2 s)
        date = answer.split(b"Date: ", 1)[1].split(b"\r\n", 1)[0].decode()
        assert before <= parsedate_to_datetime(date).timestamp() <= before + 1
        assert answer == expected_answer(hello, request, answer)


def exchange_one(sock, request):
    sock.sendall(request)
    data = b""
    while True:
        parser = ResponseParser()
        parser.feed(data)
        if parser.next_response() is not None:
            assert parser.buffered == 0
            return data
        chunk = sock.recv(65536)
        assert chunk
        data += chunk


def test_a_connection_on_its_streams_own_read_trap_is_idle_at_a_leave(run):
    """A keep-alive connection that has asked enough times to read with
    the stream's own trap, idle when a worker is told to stop (run_server's
    drain): it has begun (its second ask said so), so its reading is
    stopped at once -- not after NEW_CONNECTION_GRACE, as a connection
    still new -- and it closes, every answer sent."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response(b"Hello, world!\n"))
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    def ask(sock):
        return [exchange_one(sock, request) for _ in range(5)]

    def rest(sock):
        return sock.recv(65536)                     # (a timeout fails the test)

    def main():
        listener = listen(("127.0.0.1", 0))
        worker = yield spawn(workers._worker([listener], http_server.make_handler(router),
                                             None, 5.0))
        sock = socket.create_connection(listener.getsockname(), timeout=10)
        try:
            answers = yield run_in_thread(ask, sock)
            started = time.monotonic()
            yield cancel(worker)                    # a stop signal's drain, and its end
            took = time.monotonic() - started
            return answers, took, (yield run_in_thread(rest, sock))
        finally:
            sock.close()
            listener.close()

    answers, took, data = run(main())
    assert len(answers) == 5 and all(a.endswith(b"Hello, world!\n") for a in answers)
    assert data == b"" and took < streams.NEW_CONNECTION_GRACE


class RouterOfItsOwn(http_server.Router):
    """A Router of another class: every request goes through dispatch."""

    dispatched = 0

    def dispatch(self, request):
        RouterOfItsOwn.dispatched += 1
        return super().dispatch(request)


def routes(router):
    def broken(request):
        raise RuntimeError("broken handler")

    def later(request):
        return http_server.Response("later %s\n" % request.method)
        yield   # pragma: no cover - a generator handler

    router.add("/", lambda request: http_server.Response("hello %s\n" % request.method))
    router.add("/any", lambda request: http_server.Response(b"any\n"), methods=None)
    router.add("/post", lambda request: http_server.Response(b"posted\n"), methods=("POST",))
    router.add("/raise", broken)
    router.add("/none", lambda request: None)
    router.add("/later", later)
    router.mount("/files/", lambda request: http_server.Response(request.path))
    return router


DISPATCHED = [b"GET / HTTP/1.1", b"HEAD / HTTP/1.1", b"POST / HTTP/1.1", b"PUT /any HTTP/1.1",
              b"BREW /any HTTP/1.1", b"GET /post HTTP/1.1", b"POST /post HTTP/1.1",
              b"GET /raise HTTP/1.1", b"GET /none HTTP/1.1", b"GET /later HTTP/1.1",
              b"GET /files/a HTTP/1.1", b"GET /nosuch HTTP/1.1", b"DELETE / HTTP/1.1",
              b"GET / HTTP/1.1"]


def without_dates(answers):
    return [answer.split(b"Date: ")[0] + answer.split(b"Date: ")[1].split(b"\r\n", 1)[1]
            for answer in answers]


def test_the_inline_dispatch_answers_as_router_dispatch(run, caplog):
    """Each request -- an exact route and its methods, HEAD, a method not
    allowed (405), any method (None), a handler that raises or returns no
    Response (500, logged once), a generator handler, a prefix, no route
    -- answered the same by a Router (dispatched in the connection's loop)
    and by a Router of another class (every request through its dispatch):
    the same bytes, the same log."""
    heads = [line + b"\r\nHost: x\r\nContent-Length: 0\r\n\r\n" for line in DISPATCHED]
    got = {}
    for router in (http_server.Router(), RouterOfItsOwn()):
        caplog.clear()
        RouterOfItsOwn.dispatched = 0
        got[type(router)] = (without_dates(run(serve(routes(router),
                                                     lambda port: exchange_all(port, heads)))),
                             [record.getMessage() for record in caplog.records])
    assert RouterOfItsOwn.dispatched == len(heads)
    assert got[http_server.Router] == got[RouterOfItsOwn]
    answers, logged = got[http_server.Router]
    assert [answer.split(b" ")[1] for answer in answers] == [
        b"200", b"200", b"405", b"200", b"200", b"405", b"200", b"500", b"500", b"200", b"200",
        b"404", b"405", b"200"]
    assert len(logged) == 2
