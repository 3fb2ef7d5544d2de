"""What the HTTP server's users rely on that mutation testing of
trampoline/protocols/http_server.py found no test pinning: the least limits
``Limits`` takes, ``linger`` honoured, ... each through the public API, over
real sockets on 127.0.0.1."""

import collections
import io
import logging
import socket

import pytest

import trampoline
from net_helpers import read_to_end, start_server, watchdog  # noqa: F401  (autouse)
from test_http_server import in_process, raw, responses
from trampoline import Event, Future, VirtualClock, cancel, run_in_thread, spawn
from trampoline.protocols import http_server
from trampoline.protocols.http import ResponseParser
from trampoline.streams import open_connection, unix_server

WATCHDOG_SECONDS = 30


def hello_router():
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response("hello\n"),
               methods=("GET", "POST"))
    return router


# ================================================================ Limits

def test_the_least_limits_are_taken_and_a_max_body_of_0_refuses_any_body(run):
    """``max_body`` may be 0 (no body at all) and every other size 1: the
    least ``Limits`` takes.  With ``max_body=0`` a request without a body
    is answered, one with a byte of body gets 413."""
    limits = http_server.Limits(max_line=1, max_head=1, max_headers=1, max_body=0)
    assert (limits.max_line, limits.max_head, limits.max_headers, limits.max_body) == (1, 1, 1, 0)
    for name in ("max_line", "max_head", "max_headers"):
        with pytest.raises(ValueError):
            http_server.Limits(**{name: 0})
    with pytest.raises(ValueError):
        http_server.Limits(max_body=-1)

    def exchange(port):
        empty = raw(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        one = raw(port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx")
        return [r.status for r in responses(empty) + responses(one)]

    assert run(in_process(hello_router(), exchange,
                          http_server.Limits(max_body=0, grace=1.0))) == [200, 413]


def test_a_connection_closed_after_an_error_lingers_for_limits_linger():
    """After an error answer the server reads what the client still sends
    for ``linger`` seconds, then closes: a client that keeps its side open
    holds the connection that long -- ``Limits(linger=...)``, not a fixed
    time.  (Virtual time: the server's connection ends 20 s after the
    answer, not the default 2.)"""
    clock = VirtualClock()
    ended = []

    def main():
        handler = http_server.make_handler(hello_router(), http_server.Limits(linger=20.0))
        done = Event()

        def serve(stream, address):
            yield handler(stream, address)
            ended.append(clock())
            done.set()

        task, port = yield start_server(serve)
        stream = yield open_connection("127.0.0.1", port)
        try:
            yield stream.write(b"BAD\r\n\r\nmore the server will not read")
            answer = b""
            while True:                     # (the server shuts its side at once)
                data = yield stream.read(65536)
                if not data:
                    break
                answer += data
            answered = clock()
            yield done.wait()
        finally:
            yield stream.close()
            yield cancel(task)
        return answer, answered

    answer, answered = trampoline.run(main(), clock=clock)
    assert [r.status for r in responses(answer)] == [400]
    assert 20.0 <= ended[0] - answered < 25.0


# ================================================================ Response

@pytest.mark.parametrize("status", [204, 304])
def test_a_204_or_304_answer_carries_no_content_length(run, status):
    """A 204 or a 304 has no body, and no ``Content-Length`` either (RFC
    9110 8.6: a 304's would have to be the length of the page it stands
    for, not 0); a 200 without a body says ``Content-Length: 0``."""
    router = http_server.Router()
    router.add("/none", lambda request: http_server.Response(b"", status))
    router.add("/empty", lambda request: http_server.Response(b""))

    def exchange(port):
        return raw(port, b"GET /none HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n")

    data = run(in_process(router, exchange))
    none, empty = data.split(b"\r\n\r\n", 1)
    assert none.startswith(b"HTTP/1.1 %d " % status)
    assert b"content-length" not in none.lower()
    assert empty.startswith(b"HTTP/1.1 200 ") and b"\r\nContent-Length: 0\r\n" in empty


def test_a_path_that_is_not_utf_8_is_named_in_an_answer_that_is(run):
    """A target whose bytes are not UTF-8 (``/%FF``) is named in the 404's
    text as an escape (``\\udcff``): the body is UTF-8, as its
    ``charset=utf-8`` says -- and so is a str body with a lone surrogate."""
    def exchange(port):
        return raw(port, b"GET /%FF HTTP/1.1\r\nHost: x\r\n\r\n")

    (answer,) = responses(run(in_process(hello_router(), exchange)))
    assert answer.status == 404
    assert answer.body.decode("utf-8") == "404 Not Found: no such page: /\\udcff\n"
    assert http_server.Response("a\ud800b").body == b"a\\ud800b"


# ================================================================ Router

def test_the_longest_mounted_prefix_takes_the_path_whatever_the_order_of_mounting(run):
    """``mount``: prefixes longest first -- a path under ``/a/b/`` goes to
    the handler of ``/a/b/`` even though ``/a/`` (also a prefix of it)
    was mounted before it, or after."""
    def named(name):
        return lambda request: http_server.Response(name)

    router = http_server.Router()
    router.mount("/a/", named("a"))
    router.mount("/a/b/", named("ab"))
    router.mount("/c/d/", named("cd"))
    router.mount("/c/", named("c"))

    def exchange(port):
        return raw(port, b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path
                                  for path in (b"/a/x", b"/a/b/x", b"/c/d/x", b"/c/x")))

    assert [r.body for r in responses(run(in_process(router, exchange)))] == [
        b"a", b"ab", b"cd", b"c"]


# ================================================================ access log

class Lines(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log():
    logger = logging.getLogger("test_http_server_gaps.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    lines = Lines()
    logger.addHandler(lines)
    yield logger, lines.lines
    logger.removeHandler(lines)


def test_the_access_log_has_a_line_per_answer_with_its_client_status_and_length(access_log):
    """``make_handler(..., access_log=logger)``: one line per answer -- the
    client's address, the request line (``-`` for a request too damaged
    to have one), the status and the body's length -- for an answer from
    a handler, a refusal from the head (a ``100 Continue`` never said), and
    an error."""
    logger, lines = access_log
    handler = http_server.make_handler(hello_router(), http_server.Limits(grace=1.0),
                                       access_log=logger)

    def exchange(port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            client = "127.0.0.1:%d" % sock.getsockname()[1]
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         b"Expect: 100-continue\r\n\r\n")
            refused = responses(read_to_end(sock))
        damaged = responses(raw(port, b"BAD\r\n\r\n"))
        return client, refused + damaged

    def main():
        task, port = yield start_server(handler)
        try:
            return (yield run_in_thread(exchange, port))
        finally:
            yield cancel(task)

    client, answers = trampoline.run(main())
    assert [r.status for r in answers] == [200, 405, 400]
    hello, refused, damaged = answers
    assert lines[:2] == ['%s "GET / HTTP/1.1" 200 6' % client,
                         '%s "PUT / HTTP/1.1" 405 %d' % (client, len(refused.body))]
    assert lines[2].endswith(' "-" 400 %d' % len(damaged.body)) and len(lines) == 3


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")
def test_the_access_log_names_a_unix_client_by_its_path_or_as_unix(access_log, tmp_path):
    """Over a Unix socket the client is named by the path it is bound to,
    or ``unix`` when it is not bound (most clients)."""
    logger, lines = access_log
    handler = http_server.make_handler(hello_router(), access_log=logger)
    path = str(tmp_path / "http.sock")
    bound = str(tmp_path / "client.sock")

    def exchange():
        for name in (bound, None):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(10)
                if name is not None:
                    sock.bind(name)
                sock.connect(path)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                read_to_end(sock)

    def main():
        ready = Future()
        task = yield spawn(unix_server(path, handler, ready=ready))
        yield ready
        try:
            yield run_in_thread(exchange)
        finally:
            yield cancel(task)

    trampoline.run(main())
    assert lines == ['%s "GET / HTTP/1.1" 200 6' % bound, 'unix "GET / HTTP/1.1" 200 6']


# ================================================================ keep-alive

BIG_BODY = bytes(range(256)) * 11719                    # 3,000,064 bytes


def read_answers(sock, count):
    """Read from ``sock`` until ``count`` whole answers (to GET) are in."""
    parser = ResponseParser()
    answers = []
    while len(answers) < count:
        answer = parser.next_response("GET")
        if answer is not None:
            answers.append(answer)
            continue
        chunk = sock.recv(65536)
        assert chunk, "the server closed before answer %d was whole" % (len(answers) + 1)
        parser.feed(chunk)
    return answers


def test_a_keep_alive_answer_larger_than_the_socket_buffer_is_sent_whole(run):
    """A 3 MB answer on a keep-alive connection to a client that reads
    slowly: what the socket does not take at once is written as the
    client reads -- the whole body arrives, and the connection goes on."""
    router = http_server.Router()
    router.add("/big", lambda request: http_server.Response(BIG_BODY))
    router.add("/", lambda request: http_server.Response("hello\n"))

    def exchange(port):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(10)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            (big,) = read_answers(sock, 1)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            (hello,) = read_answers(sock, 1)
            return big, hello

    big, hello = run(in_process(router, exchange))
    assert big.status == 200 and len(big.body) == len(BIG_BODY) and big.body == BIG_BODY
    assert hello.body == b"hello\n"


def test_answers_are_sent_before_waiting_for_the_rest_of_a_request_cut_short(run):
    """A request, then the first bytes of the next one, in one read: the
    first is answered before the server waits for the rest of the second
    -- a client may well wait for that answer before it sends more."""
    def exchange(port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHo")
            first = read_answers(sock, 1)
            sock.sendall(b"st: x\r\n\r\n")
            return first + read_answers(sock, 1)

    answers = run(in_process(hello_router(), exchange,
                             http_server.Limits(header_timeout=60.0, grace=1.0)))
    assert [(r.status, r.body) for r in answers] == [(200, b"hello\n")] * 2


# ================================================================ stats

def test_stats_count_connections_requests_errors_and_handlers_running(run):
    """``make_handler(..., stats=counter)``: ``http_connections`` per
    connection, ``http_requests`` per request answered -- one refused from
    its head too --, ``http_errors`` per damaged request, and
    ``http_in_flight`` back to 0 once the generator handlers are done."""
    stats = collections.Counter()

    def slow(request):
        yield trampoline.sleep(0)
        return http_server.Response("slow\n")

    router = hello_router()
    router.add("/slow", slow)

    def exchange(port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         b"Expect: 100-continue\r\n\r\n")
            answers = responses(read_to_end(sock))
        answers += responses(raw(port, b"BAD\r\n\r\n"))
        return [r.status for r in answers]

    def main():
        task, port = yield start_server(http_server.make_handler(
            router, http_server.Limits(grace=1.0), stats))
        try:
            return (yield run_in_thread(exchange, port))
        finally:
            yield cancel(task)

    assert run(main()) == [200, 200, 405, 400]
    assert stats == {"http_connections": 2, "http_requests": 3, "http_errors": 1,
                     "http_in_flight": 0}


# ================================================================ lingering

def send_all_then_read(port, data):
    """A client that sends all of ``data`` -- a head and its body, not
    waiting for ``100 Continue`` -- then half-closes and reads until the
    server closes: ``(answer, error)``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            return read_to_end(sock), None
        except (ConnectionResetError, BrokenPipeError) as exc:
            return b"", exc


def test_a_refused_request_whose_body_comes_anyway_gets_its_answer_not_a_reset(run):
    """A request the router refuses from its head (405) whose client sends
    the body without waiting for ``100 Continue`` -- curl does after a
    second -- more than the server reads: closing at once would reset the
    connection and destroy the 405.  The server lingers, reading and
    dropping the body, and the client gets the answer, then the end."""
    def exchange(port):
        return send_all_then_read(
            port, b"PUT /only-get HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n"
                  b"Expect: 100-continue\r\n\r\n" + b"x" * 4194304)

    router = http_server.Router()
    router.add("/only-get", lambda request: http_server.Response("got\n"))
    limits = http_server.Limits(max_body=8388608, linger=30.0)
    data, error = run(in_process(router, exchange, limits))
    assert error is None
    (answer,) = responses(data)
    assert answer.status == 405 and answer.header("connection") == b"close"


# ================================================================ pipelining

def test_answers_pipelined_before_a_waiting_handler_are_sent_before_it_waits(run):
    """``GET /`` and then ``GET /wait`` pipelined: the first is answered
    while the generator handler of the second waits -- here for a request
    the client sends on another connection once it has that answer."""
    released = Event()

    def wait(request):
        yield released.wait()
        return http_server.Response("waited\n")

    def release(request):
        released.set()
        return http_server.Response("released\n")

    router = hello_router()
    router.add("/wait", wait)
    router.add("/release", release)

    def exchange(port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
            first = read_answers(sock, 1)
            other = responses(raw(port, b"GET /release HTTP/1.1\r\nHost: x\r\n\r\n"))
            return first + other + read_answers(sock, 1)

    answers = run(in_process(router, exchange))
    assert [r.body for r in answers] == [b"hello\n", b"released\n", b"waited\n"]


# ================================================================ files

@pytest.mark.parametrize("method", [b"GET", b"HEAD"])
def test_a_files_answer_closes_the_file_to_head_as_to_get(run, method):
    """``Response.file(f, size)``: ``f`` is closed once sent -- and to HEAD,
    which gets the head alone, closed all the same (not left to the
    garbage collector: a descriptor per request)."""
    files = []

    def page(request):
        files.append(io.BytesIO(b"0123456789"))
        return http_server.Response.file(files[-1], 10, "text/plain")

    router = http_server.Router()
    router.add("/file", page)

    def exchange(port):
        data = raw(port, b"%s /file HTTP/1.1\r\nHost: x\r\n\r\n" % method)
        return responses(data, [method.decode()])

    (answer,) = run(in_process(router, exchange))
    assert answer.status == 200 and answer.header("content-length") == b"10"
    assert answer.body == (b"0123456789" if method == b"GET" else b"")
    assert len(files) == 1 and files[0].closed


# ================================================================ timeouts

@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_an_idle_connection_is_closed_after_idle_timeout_and_less_than_two_quarters_more(
        run, delay):
    """``idle_timeout=2``: the server looks at the waiting connections
    every quarter of it (0.5 s), so a keep-alive connection is closed no
    sooner than 2 s after its last answer and less than two quarters
    later -- whether its wait began as a look was made (``delay`` 0) or
    between two (0.3).  (Virtual time.)"""
    clock = VirtualClock()

    def main():
        task, port = yield start_server(http_server.make_handler(
            hello_router(), http_server.Limits(idle_timeout=2.0)))
        stream = yield open_connection("127.0.0.1", port)
        try:
            for pause in (0.0, delay):
                yield trampoline.sleep(pause)
                yield stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = yield stream.readuntil(b"hello\n")
            answered = clock()
            rest = yield stream.read(65536)
            return answer, rest, clock() - answered
        finally:
            yield stream.close()
            yield cancel(task)

    answer, rest, idle = run(main(), clock=clock)
    assert answer.startswith(b"HTTP/1.1 200 ") and rest == b""
    assert 2.0 <= idle < 3.0


def test_a_client_that_stops_reading_is_let_go_after_send_timeout_quietly(run):
    """A client that asks for a large answer and never reads it: the
    server's write waits ``send_timeout`` seconds, then the connection
    ends -- its handler returns, raising nothing.  (Virtual time.)"""
    clock = VirtualClock()
    body = b"x" * (32 << 20)
    router = http_server.Router()
    router.add("/big", lambda request: http_server.Response(body))
    handler = http_server.make_handler(router, http_server.Limits(send_timeout=5.0))
    ended = []

    def main():
        done = Event()

        def serve(stream, address):
            try:
                yield handler(stream, address)
                ended.append((clock(), None))
            except BaseException as exc:
                ended.append((clock(), exc))
                raise
            finally:
                done.set()

        task, port = yield start_server(serve)
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            asked = clock()
            try:
                yield done.wait()
            finally:
                yield cancel(task)
        return asked

    asked = run(main(), clock=clock)
    (when, error), = ended
    assert error is None and 5.0 <= when - asked < 10.0


def test_a_body_has_body_timeout_not_header_timeout(run):
    """``Limits(header_timeout=1, body_timeout=30)``: a body still coming
    5 s after its head is awaited (the head was in time), and answered.
    (Virtual time.)"""
    clock = VirtualClock()

    def main():
        task, port = yield start_server(http_server.make_handler(
            hello_router(), http_server.Limits(header_timeout=1.0, body_timeout=30.0)))
        stream = yield open_connection("127.0.0.1", port)
        try:
            yield stream.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
            yield trampoline.sleep(5.0)
            yield stream.write(b"56789")
            return (yield stream.readuntil(b"\r\n"))
        finally:
            yield stream.close()
            yield cancel(task)

    assert run(main(), clock=clock) == b"HTTP/1.1 200 OK\r\n"


def test_a_handler_still_running_when_the_grace_ends_is_cancelled_with_its_server(run):
    """At shutdown a generator handler gets ``grace`` seconds to finish;
    one still running then is cancelled -- by the time cancelling the
    server returns, not left running on its own.  (Virtual time.)"""
    started, ended = Event(), []

    def forever(request):
        started.set()
        try:
            yield Event().wait()
        finally:
            ended.append(request.path)

    router = http_server.Router()
    router.add("/forever", forever)

    def main():
        task, port = yield start_server(http_server.make_handler(
            router, http_server.Limits(grace=3.0)))
        stream = yield open_connection("127.0.0.1", port)
        try:
            yield stream.write(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
            yield started.wait()
            yield cancel(task)
            return list(ended)
        finally:
            yield stream.close()

    assert run(main(), clock=VirtualClock()) == ["/forever"]


def test_a_generator_handler_that_returns_no_response_is_a_500_and_the_connection_goes_on(
        run, caplog):
    """A generator handler whose return value is not a Response (None,
    here): a 500, logged, and the next request on the connection is
    answered -- as for a plain handler."""
    def nothing(request):
        yield trampoline.sleep(0)

    router = hello_router()
    router.add("/nothing", nothing)

    def exchange(port):
        return responses(raw(port, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))

    with caplog.at_level(logging.ERROR, "trampoline.http"):
        answers = run(in_process(router, exchange))
    assert [r.status for r in answers] == [500, 200]
    assert "returned None, not a Response" in caplog.text


def test_a_file_one_byte_longer_than_a_read_is_sent_whole(run):
    """A file is sent a read (256 KiB) at a time: one of 256 KiB and a
    byte arrives whole, its last byte too."""
    data = bytes(range(256)) * 1024 + b"!"
    router = http_server.Router()
    router.add("/file", lambda request: http_server.Response.file(io.BytesIO(data), len(data)))

    def exchange(port):
        return responses(raw(port, b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n"))

    (answer,) = run(in_process(router, exchange))
    assert len(answer.body) == len(data) and answer.body == data


def test_a_file_that_shrank_while_being_sent_ends_the_connection(run):
    """A file shorter than the size its Response says (it shrank since):
    the connection is closed after what there was -- the client sees a
    body cut short, never the next answer's bytes taken for the rest."""
    router = hello_router()
    router.add("/short", lambda request: http_server.Response.file(io.BytesIO(b"abc"), 10))

    def exchange(port):
        return raw(port, b"GET /short HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

    data = run(in_process(router, exchange))
    assert data.startswith(b"HTTP/1.1 200 ") and b"\r\nContent-Length: 10\r\n" in data
    assert data.endswith(b"\r\n\r\nabc") and b"hello" not in data


# ================================================================ static files

@pytest.fixture
def static(tmp_path):
    """``static_files`` over ``site`` (``hello.txt``, ``sub/``) mounted at
    /static/, beside ``site-private`` (a sibling whose name begins with
    the root's) reached by a symbolic link ``site/link.txt``."""
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "hello.txt").write_text("hello, file\n")
    (site / "a\\b").write_text("backslash\n")
    (tmp_path / "site-private").mkdir()
    (tmp_path / "site-private" / "secret.txt").write_text("secret\n")
    (site / "link.txt").symlink_to(tmp_path / "site-private" / "secret.txt")
    router = http_server.Router()
    router.mount("/static/", http_server.static_files(str(site)))
    return router


def test_static_files_refuse_a_link_into_a_sibling_whose_name_begins_with_the_roots(
        run, static):
    """``site/link.txt`` leads to ``site-private/secret.txt``: outside the
    root though its path begins with the root's -- 403, never served.  And
    a backslash in the path (a traversal on other systems) is refused too."""
    def exchange(port):
        return [responses(raw(port, b"GET /static/%s HTTP/1.1\r\nHost: x\r\n\r\n" % path))[0]
                for path in (b"link.txt", b"a%5Cb", b"hello.txt")]

    link, backslash, hello = run(in_process(static, exchange))
    assert (link.status, backslash.status, hello.status) == (403, 403, 200)
    assert b"secret" not in link.body


def test_static_files_redirect_a_directory_keeping_its_query_and_say_a_texts_charset(
        run, static):
    """A directory asked without its slash: 301 to the path with one, the
    query kept.  A text file's type says its charset (UTF-8)."""
    def exchange(port):
        return [responses(raw(port, b"GET /static/%s HTTP/1.1\r\nHost: x\r\n\r\n" % path))[0]
                for path in (b"sub?x=1", b"hello.txt")]

    directory, hello = run(in_process(static, exchange))
    assert directory.status == 301 and directory.header("location") == b"/static/sub/?x=1"
    assert hello.header("content-type") == b"text/plain; charset=utf-8"


def test_static_files_under_a_root_reached_by_a_link_list_directories_with_a_slash(
        run, static, tmp_path):
    """A root given by a symbolic link to the directory serves its files
    as the directory itself would; its listing marks a directory with a
    trailing slash (``sub/``)."""
    (tmp_path / "via-link").symlink_to(tmp_path / "site")
    router = http_server.Router()
    router.mount("/static/", http_server.static_files(str(tmp_path / "via-link")))

    def exchange(port):
        return [responses(raw(port, b"GET /static/%s HTTP/1.1\r\nHost: x\r\n\r\n" % path))[0]
                for path in (b"hello.txt", b"")]

    hello, listing = run(in_process(router, exchange))
    assert (hello.status, hello.body) == (200, b"hello, file\n")
    assert listing.status == 200 and b'<a href="sub/">sub/</a>' in listing.body


@pytest.mark.parametrize("stats", [{}, [], "stats"])
def test_stats_that_are_no_counter_are_refused_by_make_handler_naming_them(stats):
    """A plain dict for ``stats`` failed every connection with a KeyError
    (``stats["http_connections"] += 1``), the server logging each: it is
    refused where it is given, naming it."""
    with pytest.raises(TypeError) as info:
        http_server.make_handler(hello_router(), stats=stats)
    assert str(info.value) == ("make_handler(): stats must be a collections.Counter, got %r"
                               % (stats,))
