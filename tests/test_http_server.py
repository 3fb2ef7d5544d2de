"""examples/http_server.py, run as a user runs it and driven by real clients:
curl, http.client, urllib, wrk, plain sockets -- and a few hundred damaged
requests replayed over one server, which must answer each the way the
sans-I/O parser says and stay up."""

import collections
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from net_helpers import read_to_end, watchdog  # noqa: F401  (autouse)
from test_http_protocol import malformed_requests, parse_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SERVER = os.path.join(EXAMPLES, "http_server.py")

from net_helpers import CERT, KEY, ServerThread, load_example, start_server  # noqa: E402
from trampoline import (Event, cancel, join, run_in_thread, sleep, spawn,  # noqa: E402
                        timeout_after)
from trampoline.protocols import http_server  # noqa: E402
from trampoline.protocols.http import ProtocolError, ResponseParser  # noqa: E402
from trampoline.protocols.proxy import V2_SIGNATURE  # noqa: E402
from trampoline.streams import Stream, tcp_server  # noqa: E402

WATCHDOG_SECONDS = 30

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


class Server:
    """A running examples/http_server.py: ``port``, ``proc``, ``url(path)``."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, SERVER, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line + self.proc.stderr.read()
        self.port = int(line.rsplit(":", 1)[1])

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "hello.txt").write_text("hello, file\n")
    (root / "page.html").write_text("<a href='hello.txt'>hi</a>\n")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").write_text("<p>index</p>\n")
    (root / ".secret").write_text("hidden\n")
    (root / "big.bin").write_bytes(bytes(range(256)) * 4096)       # 1 MiB
    outside = tmp_path_factory.mktemp("outside")
    (outside / "private.txt").write_text("private\n")
    os.symlink(str(outside / "private.txt"), str(root / "escape.txt"))
    return root


class InProcessServer(ServerThread):
    """examples/http_server.py's application and the package's server, in a
    thread of this process (so that the server's code counts in coverage):
    ``port``, ``url(path)``.  The tests that need the script itself start
    a ``Server``."""

    def __init__(self, static, **limits):
        example = load_example("http_server")
        stats = collections.Counter()
        handler = http_server.make_handler(example.make_router(static, stats),
                                           http_server.Limits(**limits), stats)
        super().__init__(lambda ready: tcp_server("127.0.0.1", 0, handler, ready=ready))

    url = Server.url


@pytest.fixture(scope="module")
def server(site):
    """One server for the module; limits small enough to test quickly."""
    running = InProcessServer(str(site), max_body=100000, header_timeout=0.5, idle_timeout=1)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def quick_idle_server(site):
    """The tests that wait for the idle timeout itself: every limit of
    ``server`` 0.4 times as long (header 0.2 s, idle 0.4 s), in the same
    order."""
    running = InProcessServer(str(site), max_body=100000, header_timeout=0.2, idle_timeout=0.4)
    yield running
    running.stop()


def raw(port, data, shut=True, timeout=5):
    """Send ``data`` on a new connection, then (with ``shut``) half-close;
    return everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shut:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def responses(data, methods=None):
    """Parse every response in ``data`` (all complete)."""
    parser = ResponseParser()
    parser.feed(data)
    parser.feed_eof()
    out = []
    for method in methods or ["GET"] * 1000:
        response = parser.next_response(method)
        if response is None:
            break
        out.append(response)
    return out


def curl(*args):
    out = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args),
                         capture_output=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out


# ================================================================ real clients

@needs_curl
def test_curl_get_head_post(server):
    """GET / is hello world; HEAD has the headers and no body; POST /echo
    sends the body back."""
    out = curl("-i", server.url("/"))
    assert out.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert out.stdout.endswith(b"\r\n\r\nHello, world!\n")
    head = curl("-I", server.url("/"))
    assert b"Content-Length: 14\r\n" in head.stdout and b"Hello" not in head.stdout
    echo = curl("--data-binary", "some data", "-H", "Content-Type: application/x-test",
                "-w", "|%{content_type}", server.url("/echo"))
    assert echo.stdout == b"some data|application/x-test"


@needs_curl
def test_curl_chunked_upload(server, tmp_path):
    """``Transfer-Encoding: chunked`` from curl (with its Expect:
    100-continue): the body comes back byte for byte."""
    body = os.urandom(50000)
    (tmp_path / "body").write_bytes(body)
    out = curl("-H", "Transfer-Encoding: chunked", "--data-binary", "@%s" % (tmp_path / "body"),
               "-v", server.url("/echo"))
    assert out.stdout == body
    assert b"Transfer-Encoding: chunked" in out.stderr


@needs_curl
def test_curl_reuses_the_connection(server):
    """Three URLs in one curl: one connection, kept alive ("Re-using
    existing connection", num_connects 1 then 0)."""
    out = curl("-v", "-w", "[%{num_connects}]", server.url("/"), server.url("/echo"),
               server.url("/"))
    assert out.stdout == b"Hello, world!\n[1][0]Hello, world!\n[0]"
    assert out.stderr.count(b"Re-using existing connection") == 2


@needs_curl
def test_curl_static_files(server, site):
    """Files under --static, a directory's index.html, a listing, a
    redirect to the slash; traversal, symlinks out and hidden files
    refused; missing files 404."""
    assert curl(server.url("/static/hello.txt")).stdout == b"hello, file\n"
    assert curl(server.url("/static/big.bin")).stdout == (site / "big.bin").read_bytes()
    assert curl("-L", server.url("/static/sub")).stdout == b"<p>index</p>\n"
    listing = curl(server.url("/static/")).stdout
    assert b'href="page.html"' in listing and b"secret" not in listing
    code = "%{http_code}"
    for path, status in [("/static/../../../etc/passwd", b"403"),
                         ("/static/%2e%2e/%2e%2e/etc/passwd", b"403"),
                         ("/static/escape.txt", b"403"),
                         ("/static/.secret", b"403"),
                         ("/static/missing.txt", b"404"),
                         ("/nowhere", b"404")]:
        out = curl("--path-as-is", "-o", os.devnull, "-w", code, server.url(path))
        assert out.stdout == status, path
    assert curl("-X", "DELETE", "-o", os.devnull, "-w", code, server.url("/")).stdout == b"405"
    assert curl("-X", "BREW", "-o", os.devnull, "-w", code, server.url("/")).stdout == b"501"


@needs_curl
def test_curl_body_too_large_gets_413(server):
    """A body over --max-body: 413, read by curl (not a reset)."""
    proc = subprocess.run(["curl", "-sS", "--max-time", "10", "--data-binary", "@-", "-o",
                           os.devnull, "-w", "%{http_code}", server.url("/echo")],
                          input=b"x" * 300000, capture_output=True, timeout=20)
    assert proc.stdout == b"413", proc.stderr


def test_http_client_keep_alive(server):
    """http.client: many requests on one connection, bodies and headers right."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):
            conn.request("GET", "/")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"Hello, world!\n")
            assert response.getheader("Date")
        sock = conn.sock
        conn.request("POST", "/echo", body=b"x" * 70000, headers={"Content-Type": "a/b"})
        response = conn.getresponse()
        assert response.read() == b"x" * 70000 and response.getheader("Content-Type") == "a/b"
        conn.request("HEAD", "/static/hello.txt")
        response = conn.getresponse()
        assert response.getheader("Content-Length") == "12" and response.read() == b""
        conn.request("GET", "/sleep?s=0")
        assert conn.getresponse().read() == b"slept 0 s\n"
        assert conn.sock is sock                    # the same connection throughout
    finally:
        conn.close()


def test_urllib(server):
    """urllib: GET, POST, and an HTTPError for 404 and 400."""
    with urllib.request.urlopen(server.url("/"), timeout=10) as response:
        assert response.read() == b"Hello, world!\n"
    with urllib.request.urlopen(server.url("/echo"), data=b"posted", timeout=10) as response:
        assert response.read() == b"posted"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url("/missing"), timeout=10)
    assert caught.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url("/sleep?s=nan"), timeout=10)
    assert caught.value.code == 400


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_short_run(server):
    """wrk -t1 -c10 -d1s: thousands of requests, no socket errors, no
    non-2xx answers."""
    out = subprocess.run(["wrk", "-t1", "-c10", "-d1s", server.url("/")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "Socket errors" not in out.stdout, out.stdout
    assert "Non-2xx" not in out.stdout, out.stdout
    requests = int(out.stdout.split(" requests in ")[0].split()[-1])
    assert requests > 500, out.stdout


# ================================================================ the protocol, on the wire

def test_pipelined_requests_are_answered_in_order(server):
    data = (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            b"GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
    answers = responses(raw(server.port, data, shut=False), ["GET", "POST", "HEAD", "GET", "GET"])
    assert [r.status for r in answers] == [200, 200, 200, 404, 200]
    assert [r.body for r in answers[:3]] == [b"Hello, world!\n", b"abc", b""]
    assert answers[4].header("connection") == b"close"      # and nothing after it


def test_a_client_that_pipelines_and_reads_nothing_holds_few_answers_in_the_server():
    """2,000 small requests pipelined in one packet by a client that reads
    nothing: the server answers them PIPELINE_FLUSH at a time, and stops
    once the socket's buffers are full (until send_timeout lets the client
    go) -- it no longer makes and holds an answer for every request of a
    read first (13 times what it read: 3 MB per such connection for 256
    KiB reads).  A client that reads gets all 2,000 answers, in order."""
    stats = collections.Counter()
    ended = threading.Event()
    handler = http_server.make_handler(load_example("http_server").make_router(None, stats),
                                       http_server.Limits(send_timeout=0.3), stats)

    def small_buffers(stream, address):
        # (Our end's send buffer small: a few dozen answers fill it, and
        # the client's receive buffer, whatever the system's defaults.)
        stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        try:
            yield handler(stream, address)
        finally:
            ended.set()

    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    running = ServerThread(lambda ready: tcp_server("127.0.0.1", 0, small_buffers, ready=ready))
    try:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", running.port))
            sock.sendall(request * 2000)        # 54 KB: one read takes them all
            assert ended.wait(10), "the server still holds a client that reads nothing"
        assert 0 < stats["http_requests"] < 1000, stats
        ended.clear()
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            last = request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
            sock.sendall(request * 1999 + last)
            data = read_to_end(sock)
        answers = responses(data, ["GET"] * 2000)
        assert len(answers) == 2000 and all(a.body == b"Hello, world!\n" for a in answers)
    finally:
        running.stop()


def test_http_1_0(server):
    """HTTP/1.0: closed after the answer unless it asks for keep-alive."""
    (answer,) = responses(raw(server.port, b"GET / HTTP/1.0\r\n\r\n", shut=False))
    assert answer.status == 200 and answer.header("connection") == b"close"
    data = (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            b"GET /echo HTTP/1.0\r\n\r\n")
    first, second = responses(raw(server.port, data, shut=False))
    assert first.header("connection") == b"keep-alive" and second.status == 200


@pytest.mark.parametrize("data, status", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nA: " + b"b" * 70000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"A: b\r\n" * 101 + b"\r\n", 431),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100001\r\n\r\n", 413),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"ffff\r\n" + b"x" * 0xffff + b"\r\n" + b"ffff\r\n" + b"x" * 0xffff + b"\r\n", 413),
    (b"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
    (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort", 400),
], ids=["long-line", "big-header", "many-headers", "big-length", "big-chunks", "no-colon",
        "no-host", "bad-host", "gzip", "chunked-not-last", "http3", "truncated-body"])
def test_limits_and_errors_get_their_status_and_a_close(server, data, status):
    """Each gets its status with ``Connection: close``, then the server
    closes -- reading what the client still sends first, so the client
    reads the answer rather than a reset."""
    answers = responses(raw(server.port, data))
    assert [r.status for r in answers] == [status]
    assert answers[0].header("connection") == b"close"


def test_expect_100_continue(server):
    """The server says 100 Continue once the head is in, then reads the body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                     b"Expect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        sock.shutdown(socket.SHUT_WR)
        data = read_to_end(sock)
    assert responses(data)[0].body == b"body"


@pytest.mark.parametrize("head, status", [
    (b"POST /nosuch HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n", 404),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n", 405),
    (b"BREW /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n", 501)])
def test_a_request_refused_from_its_head_gets_no_100_continue(server, head, status):
    """A client waiting for ``100 Continue`` to send a body the router will
    refuse (no route, a method not allowed or unknown) gets its final status
    at once, with ``Connection: close`` (RFC 9110 10.1.1): the server said
    100 and read the whole upload, only to answer 404."""
    data = raw(server.port, head + b"Expect: 100-continue\r\n\r\n", shut=False)
    assert not data.startswith(b"HTTP/1.1 100"), data
    answers = responses(data)
    assert [r.status for r in answers] == [status]
    assert answers[0].header("connection") == b"close"
    if status == 405:
        assert answers[0].header("allow") == b"GET, HEAD"


@needs_curl
@pytest.mark.parametrize("path, status, uploaded", [("/nosuch", 404, 0), ("/echo", 200, 50000)])
def test_curl_sends_no_body_a_route_refuses(server, tmp_path, path, status, uploaded):
    """curl with ``Expect: 100-continue``: a refused upload is never sent
    (curl uploaded all of it, then got the 404); one the router takes is
    sent and answered as before."""
    body = tmp_path / "body"
    body.write_bytes(b"x" * 50000)
    done = subprocess.run(["curl", "-sS", "-o", os.devnull, "-w", "%{http_code} %{size_upload}",
                           "-H", "Expect: 100-continue", "--data-binary", "@%s" % body,
                           server.url(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "%d %d" % (status, uploaded)


def test_a_slowloris_client_is_cut_off(server):
    """A head trickling in is refused with 408 once --header-timeout (0.5 s)
    has passed since its first byte, though bytes keep coming."""
    started = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        sock.settimeout(0.05)                   # a header line every 50 ms
        data = b""
        for _ in range(200):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                sent += 1
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 408 ")
    assert sent > 3 and time.monotonic() - started < 3


def test_an_idle_keep_alive_connection_is_closed(quick_idle_server):
    """After --idle-timeout (0.4 s here) with no request, the server closes:
    no answer, just the end of the stream -- not at the header timeout
    (0.2 s)."""
    with socket.create_connection(("127.0.0.1", quick_idle_server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        data = read_to_end(sock)
        waited = time.monotonic() - started
    assert len(responses(data)) == 1
    assert 0.32 < waited < 8


def answers_on(sock, count):
    """Read from ``sock`` until ``count`` whole responses have come."""
    data = b""
    while len(responses(data)) < count:
        chunk = sock.recv(65536)
        assert chunk, "the server closed after %d answers" % len(responses(data))
        data += chunk
    return responses(data)


def test_each_idle_keep_alive_connection_is_closed_in_turn(quick_idle_server):
    """The idle watch ends when no connection waits, and starts again for
    the next one: two idle connections, one after the other, are each
    closed after --idle-timeout (0.4 s here), not before."""
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", quick_idle_server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            answers_on(sock, 1)
            started = time.monotonic()
            assert sock.recv(65536) == b""          # (a timeout fails the test)
            assert time.monotonic() - started > 0.32


def test_a_connection_that_keeps_asking_stays_open(server):
    """Each wait for the next request has its own --idle-timeout (1 s):
    requests 0.6 s apart keep one connection open for longer than that."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for request in range(4):
            if request:                         # (none after the last: nothing would check it)
                time.sleep(0.6)                 # idle, within the limit (what is tested)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answers_on(sock, 1)[0].status == 200


def test_an_infinite_idle_timeout_is_no_limit(site):
    """--idle-timeout inf: connections are served and never let go for
    idling (the watch's tick count must not overflow)."""
    running = InProcessServer(str(site), idle_timeout=float("inf"))
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock:
            for _ in range(2):
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert answers_on(sock, 1)[0].body == b"Hello, world!\n"
    finally:
        running.stop()


def test_a_request_handled_longer_than_the_idle_timeout_keeps_its_connection(server):
    """--idle-timeout is for waiting between requests, not for handling
    one: an answer that takes 1.5 s (idle timeout 1 s) comes, and the
    connection serves the next request."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=8) as sock:
        sock.sendall(b"GET /sleep?s=1.5 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answers_on(sock, 1)[0].body == b"slept 1.5 s\n"
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answers_on(sock, 1)[0].body == b"Hello, world!\n"


def expected_answers(data):
    """What the server should answer ``data`` (then EOF) with, according
    to the parser: the number of requests it answers before closing, and
    the status of the last answer if it is an error."""
    requests, error = parse_all(data, eof=True)
    for count, request in enumerate(requests, 1):
        if not request.keep_alive:
            return count, None
    return len(requests), (error.status if error else None)


def test_hundreds_of_damaged_requests_over_one_server(server):
    """Each damaged request, sent then half-closed, gets exactly the
    answers the parser predicts -- one per good request, then the error's
    status -- or a clean close; the server stays up, and a good request
    still works after them all."""
    cases = malformed_requests(300, seed=7)
    good = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    errors = 0
    for data in cases:
        count, status = expected_answers(data)
        methods = [r.method for r in parse_all(data, eof=True)[0]] + ["GET"]
        try:
            answers = responses(raw(server.port, data), methods)
        except ProtocolError as exc:            # would be the server's fault
            raise AssertionError("bad response to %r: %s" % (data, exc))
        if status is None:
            assert len(answers) == count, data
        else:
            errors += 1
            assert len(answers) == count + 1, data
            assert answers[-1].status == status, (data, answers[-1].body)
        assert responses(raw(server.port, good))[0].body == b"Hello, world!\n"
    assert errors > 100
    assert server.running()


# ================================================================ the process

def stats(server):
    with urllib.request.urlopen(server.url("/stats"), timeout=10) as response:
        return json.loads(response.read())


def test_sigterm_lets_requests_in_flight_finish(tmp_path):
    """SIGTERM while a request is being handled: that client gets its whole
    answer (with Connection: close), an idle connection is closed, and the
    process exits 0."""
    server = Server("--static", str(tmp_path))
    try:
        busy = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        busy.sendall(b"GET /sleep?s=0.5 HTTP/1.1\r\nHost: x\r\n\r\n")
        while stats(server).get("http_in_flight", 0) < 1:
            pass                                # the sleep has begun
        server.proc.send_signal(signal.SIGTERM)
        data = b""
        while True:
            chunk = busy.recv(65536)
            if not chunk:
                break
            data += chunk
        (answer,) = responses(data)
        assert answer.body == b"slept 0.5 s\n" and answer.header("connection") == b"close"
        assert idle.recv(10) == b""
        assert server.proc.wait(10) == 0
        assert "Traceback" not in server.proc.stderr.read()
        busy.close()
        idle.close()
    finally:
        server.stop()


def test_workers(tmp_path):
    """--workers 2: two processes answer on one port; SIGTERM stops both."""
    server = Server("--workers", "2", "--static", str(tmp_path))
    try:
        for _ in range(5):
            with urllib.request.urlopen(server.url("/"), timeout=10) as response:
                assert response.read() == b"Hello, world!\n"
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["http_server.py", "crawler.py", "compose.py"])
def test_help(name):
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--help"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "usage:" in out.stdout


def test_port_in_use_is_a_one_line_error(server):
    out = subprocess.run([sys.executable, SERVER, "--port", str(server.port)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "http server:" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("option, value, shown", [
    ("--idle-timeout", "-1", "-1.0"), ("--header-timeout", "nan", "nan"),
    ("--max-body", "-5", "-5"), ("--grace", "-0.5", "-0.5")])
def test_a_bad_limit_is_a_usage_error_naming_its_option(option, value, shown):
    """A limit that would break every connection (a negative timeout, NaN,
    a negative size) stops the script at once: a usage error naming the
    option and its value, as ``--workers -2``'s.  (It said "http server:
    Limits: idle_timeout must be ...": a class and a field the reader of
    the command line never saw.)"""
    out = subprocess.run([sys.executable, SERVER, "--port", "0", option, value],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines()[-1] == (
        "http_server.py: error: %s must be 0 or more, got %s" % (option, shown))


def test_limits_take_none_for_no_timeout_and_refuse_what_is_not_a_number():
    assert http_server.Limits(idle_timeout=None, header_timeout=0).idle_timeout is None
    for bad, error in ((dict(send_timeout="5"), TypeError), (dict(linger=True), TypeError),
                       (dict(max_line=10.5), TypeError), (dict(max_headers=0), ValueError),
                       (dict(idle_timeout=float("nan")), ValueError)):
        with pytest.raises(error, match="Limits: %s " % next(iter(bad))):
            http_server.Limits(**bad)


@needs_curl
def test_https(tmp_path):
    """--tls: curl over HTTPS, certificate checked, the connection reused."""
    server = Server("--tls", CERT, KEY, "--static", str(tmp_path))
    try:
        url = "https://127.0.0.1:%d" % server.port
        out = curl("-v", "--cacert", CERT, url + "/", "--next", "-sS", "-v", "--cacert", CERT,
                   "--data-binary", "secret", url + "/echo")
        assert out.stdout == b"Hello, world!\nsecret"
        assert b"Re-using existing connection" in out.stderr
    finally:
        server.stop()


# ================================================================ in one kernel

def in_process(router, exchange, limits=None):
    """Main task: serve ``router`` with make_handler on a free port and run
    ``exchange(sock)`` (a blocking client) in a worker thread against it."""
    def main():
        task, port = yield start_server(http_server.make_handler(
            router, limits or http_server.Limits(grace=1.0)))
        try:
            return (yield run_in_thread(exchange, port))
        finally:
            yield cancel(task)
    return main()


def test_a_failing_handler_is_a_500_and_the_connection_goes_on(run):
    """A handler that raises, one that returns no Response, a generator
    handler that raises: each a 500 (logged), and the next request on the
    same connection is answered."""
    def broken(request):
        raise RuntimeError("broken handler")

    def slow_broken(request):
        yield sleep(0)
        raise RuntimeError("broken generator handler")

    router = http_server.Router()
    router.add("/", lambda request: http_server.Response("Hello, world!\n"))
    router.add("/raise", broken)
    router.add("/none", lambda request: None)
    router.add("/slow", slow_broken)

    def exchange(port):
        data = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path
                        for path in (b"/raise", b"/none", b"/slow", b"/"))
        return [r.status for r in responses(raw(port, data))]

    assert run(in_process(router, exchange)) == [500, 500, 500, 200]


def test_cancelled_server_lets_a_handler_finish(run):
    """Cancelling tcp_server (as compose.py's shutdown does) while a
    generator handler runs: it finishes within the grace period and its
    answer goes out with Connection: close."""
    started = Event()

    def slow(request):
        started.set()
        yield sleep(0.1)
        return http_server.Response("finished\n")

    router = http_server.Router()
    router.add("/slow", slow)

    def main():
        task, port = yield start_server(http_server.make_handler(router))
        client = yield spawn(run_in_thread(raw, port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"))
        yield started.wait()
        yield cancel(task)
        return (yield join(client))

    (answer,) = responses(run(main()))
    assert answer.body == b"finished\n" and answer.header("connection") == b"close"


BIG_BODY = bytes(range(256)) * 11719                    # 3,000,064 bytes


def read_answer_then_pipeline(port, head, pipelined):
    """A client that reads slowly: a small receive buffer, so most of the
    answer still waits in the server's send buffer when the server is done
    writing it.  It sends ``head``; once the answer begins (the server has
    read the request and is busy writing) it pipelines ``pipelined``, which
    the server never reads; then it reads to the end: ``(data, error)``."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(head)
        chunks = [sock.recv(1024)]
        sock.sendall(pipelined)
        try:
            while chunks[-1]:
                chunks.append(sock.recv(4096))
        except ConnectionResetError as exc:
            return b"".join(chunks), exc
        return b"".join(chunks), None


@pytest.mark.parametrize("path, header", [(b"/big", b"Connection: close\r\n"),
                                          (b"/big-close", b"")])
def test_a_closing_answer_reaches_a_client_that_pipelined_more(run, path, header):
    """The last answer of a connection -- asked for with ``Connection:
    close``, or closed by the handler (``close=True``) -- while the client
    has pipelined more requests the server will not read: closing at once
    would reset the connection (Linux sends RST when unread bytes are
    left) and destroy the tail of the answer.  The server lingers (RFC 9112
    9.6): the client gets all 3 MB, then the end of the stream."""
    router = http_server.Router()
    router.add("/big", lambda request: http_server.Response(BIG_BODY))
    router.add("/big-close", lambda request: http_server.Response(BIG_BODY, close=True))
    router.add("/", lambda request: http_server.Response("hello\n"))

    def exchange(port):
        return read_answer_then_pipeline(
            port, b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, header),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 100)

    data, error = run(in_process(router, exchange))
    assert error is None, "reset after %d bytes" % len(data)
    (answer,) = responses(data)
    assert answer.header("connection") == b"close"
    assert len(answer.body) == len(BIG_BODY) and answer.body == BIG_BODY


def test_a_connection_close_request_with_nothing_after_it_is_closed_at_once(run):
    """Lingering costs up to ``linger`` seconds: only a client that sent
    more than the server read is lingered for.  One that sent a single
    ``Connection: close`` request and keeps its socket open (a client
    waiting for the server's close) has its connection closed as soon as
    the answer is out -- long before a linger of 60 s."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response("hello\n"))
    handler = http_server.make_handler(router, http_server.Limits(linger=60.0))
    closed = Event()

    def serve(stream, address):
        yield handler(stream, address)
        closed.set()

    def ask(port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock, read_to_end(sock)          # still open on this side

    def main():
        task, port = yield start_server(serve)
        sock, data = yield run_in_thread(ask, port)
        try:
            yield timeout_after(5, closed.wait())
        finally:
            sock.close()
            yield cancel(task)
        return data

    (answer,) = responses(run(main()))
    assert answer.body == b"hello\n" and answer.header("connection") == b"close"


def test_an_absolute_target_with_an_empty_path_keeps_its_query(run):
    """``GET http://host?s=0.5`` (what a client talking to a proxy sends):
    the handler of "/" gets the query ``s=0.5`` (it lost it: the target
    became "/")."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response("%s %s\n" % (request.target,
                                                                       request.query)))

    def exchange(port):
        data = b"".join(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % target
                        for target in (b"http://127.0.0.1:%d?s=0.5" % port,
                                       b"http://127.0.0.1:%d" % port, b"/?t=1"))
        return [answer.body for answer in responses(raw(port, data))]

    assert run(in_process(router, exchange)) == [b"/?s=0.5 s=0.5\n", b"/ \n", b"/?t=1 t=1\n"]


def test_a_host_header_with_an_invalid_value_is_a_400_naming_it(server):
    """RFC 9112 3.2: a Host with an invalid value gets 400, and the answer
    says which value (it was served: 200); a valid one still is."""
    (answer,) = responses(raw(server.port, b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"))
    assert answer.status == 400 and answer.header("connection") == b"close"
    assert answer.body == b"400 Bad Request: invalid Host header b'a b'\n"
    answers = responses(raw(server.port, b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"
                                         b"GET / HTTP/1.1\r\nHost: \r\n\r\n"))
    assert [answer.status for answer in answers] == [200, 200]


@pytest.mark.parametrize("body", [b"3\nabc\n0\n\n", b"3\r\nabc\n0\r\n\r\n",
                                  b"0\r\n\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"])
def test_chunked_framing_with_a_bare_lf_is_a_400(server, body):
    """A chunk-size line, the end of a chunk or of the trailer section
    with a bare LF: 400 and the connection closed -- neither the body
    echoed (200) nor, after ``0\\r\\n\\n``, a request smuggled in behind it
    answered (404)."""
    answers = responses(raw(server.port, b"POST /echo HTTP/1.1\r\nHost: x\r\n"
                                         b"Transfer-Encoding: chunked\r\n\r\n" + body))
    assert [answer.status for answer in answers] == [400]
    assert answers[0].header("connection") == b"close"


def test_a_proxy_header_for_udp_leaves_the_connections_own_address():
    """examples/http_server.py --proxy-protocol --access-log: a version 2
    header for TCP names the client in the access log; one for UDP over
    the same TCP connection (family/transport byte 0x12, 0x22) does not --
    its source did not make this connection, and the log names the
    connection's own peer, as for LOCAL or UNSPEC."""
    def header(family_transport, addresses):
        return (V2_SIGNATURE + bytes([0x21, family_transport])
                + len(addresses).to_bytes(2, "big") + addresses)

    inet = (socket.inet_pton(socket.AF_INET, "203.0.113.7")
            + socket.inet_pton(socket.AF_INET, "192.0.2.1") + bytes([0xdc, 0x04, 0x01, 0xbb]))
    inet6 = (socket.inet_pton(socket.AF_INET6, "2001:db8::7")
             + socket.inet_pton(socket.AF_INET6, "2001:db8::1") + bytes([0xdc, 0x04, 0x01, 0xbb]))
    server = Server("--proxy-protocol", "--access-log")
    try:
        clients = []
        for first in (header(0x12, inet), header(0x22, inet6), header(0x11, inet)):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                clients.append("127.0.0.1:%d" % sock.getsockname()[1])
                sock.sendall(first + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = read_to_end(sock)
            assert [answer.status for answer in responses(data)] == [200]
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0
        log = [line for line in server.proc.stderr.read().splitlines() if '"GET / ' in line]
    finally:
        server.stop()
    assert len(log) == 3, log
    assert clients[0] in log[0] and clients[1] in log[1], log
    assert "203.0.113.7:56324" in log[2], log
    assert not any("203.0.113.7" in line or "2001:db8" in line for line in log[:2]), log


def client_hello():
    """The first bytes a TLS client sends: its ClientHello."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="x")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_a_tls_client_on_the_plain_port_gets_a_400_at_once(server):
    """A ClientHello sent to a plain HTTP port has no line end to wait for:
    400 at its first byte, naming TLS, and the connection closed -- not a
    408 once the header timeout (0.5 s here) has passed."""
    hello = client_hello()
    assert hello[:1] == b"\x16"
    (answer,) = responses(raw(server.port, hello, shut=False))
    assert answer.status == 400 and answer.header("connection") == b"close"
    assert b"(TLS to a plain HTTP port?)" in answer.body


@pytest.mark.parametrize("line", [b"GET /\tHTTP/1.1", b"GET /echo\tx HTTP/1.1"])
def test_a_tab_in_the_request_line_is_a_400(server, line):
    """Not served as a path with a tab in it (404, or the / page)."""
    answers = responses(raw(server.port, line + b"\r\nHost: x\r\n\r\n"))
    assert [answer.status for answer in answers] == [400]
    assert b"a tab in the request line" in answers[0].body


def test_a_body_with_a_204_or_304_is_refused_not_sent(run):
    """204 and 304 answers end with their head (RFC 9110 15.3.5, 15.4.5):
    a body sent after one would be read as the start of the next response
    -- the answers of a connection out of step.  ``Response`` refuses it
    (a handler's bug: 500), and the requests after it get their answers."""
    for status in (100, 204, 304):
        with pytest.raises(ValueError, match="a %d response has no body; got 4 bytes" % status):
            http_server.Response(b"oops", status)
    router = http_server.Router()
    router.add("/204", lambda request: http_server.Response(b"oops", 204))
    router.add("/empty", lambda request: http_server.Response(status=204))
    router.add("/", lambda request: http_server.Response("hello\n"))

    def exchange(port):
        return responses(raw(port, b"GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))

    answers = run(in_process(router, exchange))
    assert [(answer.status, answer.body) for answer in answers] == [
        (500, b"500 Internal Server Error: the handler failed; see the server's log\n"),
        (204, b""), (200, b"hello\n")]


def test_a_request_read_in_pieces_is_answered_as_if_it_came_whole(run):
    """The server reads each piece before the next is sent: a head
    completed by its second piece, one completed with its body still to
    come, a body after its head, a body in two pieces -- each answered as
    the request sent at once would be."""
    router = http_server.Router()
    router.add("/echo", lambda request: http_server.Response(request.body),
               methods=("GET", "POST"))
    pieces = [b"GET /echo HTTP/1.1\r\nHo", b"st: x\r\n\r\n",
              b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Len", b"gth: 5\r\n\r\nhe", b"llo",
              b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", b"wor", b"ld"]

    def main():
        server_end, client_end = socket.socketpair()
        with server_end, client_end:
            connection = http_server.make_handler(router)(Stream(server_end), "a socketpair")
            task = yield spawn(connection)
            for piece in pieces:
                client_end.sendall(piece)
                while True:             # until the server has read it (a peek finds nothing)
                    try:
                        server_end.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    yield sleep(0)
            client_end.shutdown(socket.SHUT_WR)
            yield join(task)
            server_end.close()
            return read_to_end(client_end)

    answers = responses(run(main()), ["GET", "POST", "POST"])
    assert [(r.status, r.body) for r in answers] == [(200, b""), (200, b"hello"), (200, b"world")]


def test_an_http_1_0_close_is_not_undone_by_a_later_keep_alive_field(server):
    """``Connection: close`` then ``Connection: keep-alive``: the answer
    says close and the connection ends; the request pipelined after it is
    not served (it was: the later field won)."""
    data = (b"GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n"
            b"GET / HTTP/1.0\r\n\r\n")
    answers = responses(raw(server.port, data))
    assert [(a.status, a.header("connection")) for a in answers] == [(200, b"close")]


@pytest.mark.parametrize("line", [b"GET http://user@127.0.0.1/ HTTP/1.1",
                                  b"GET http:///echo HTTP/1.1", b"CONNECT evil.example HTTP/1.1"])
def test_a_target_whose_authority_is_invalid_is_a_400(server, line):
    """Userinfo or no host in an absolute target (RFC 9110 4.2.1, 4.2.4),
    a CONNECT target that is not host:port (RFC 9112 3.2.3): 400 and a
    close -- not the page at the path (200), nor 501 for CONNECT."""
    answers = responses(raw(server.port, line + b"\r\nHost: x\r\n\r\n"))
    assert [(a.status, a.header("connection")) for a in answers] == [(400, b"close")]
    assert b"malformed request target" in answers[0].body


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding", "Connection", "DATE"])
def test_a_response_with_a_field_the_server_sends_is_refused_not_sent(run, name):
    """A handler's Content-Length beside the server's (two values, the
    client's pick), its Transfer-Encoding (a body read as chunks), its
    Connection or Date (a second say): the answers of the connection out
    of step, or the client's guess.  ``Response`` refuses them, naming the
    field (the handler's bug: 500), and the next request is answered."""
    with pytest.raises(ValueError, match=r"the server sends %s itself; got \('%s', '9'\)"
                       % (name, name)):
        http_server.Response(b"body", headers=[("X-Fine", "date: 1"), (name, "9")])
    with pytest.raises(ValueError, match="the server sends %s itself" % name):
        http_server.Response(b"body", headers=iter([(name.encode(), b"9")]))
    with open(__file__, "rb") as fileobj, pytest.raises(ValueError, match="the server sends"):
        http_server.Response.file(fileobj, 10, headers=[(name, "9")])
    router = http_server.Router()
    router.add("/own", lambda request: http_server.Response(b"body", headers=[(name, "9")]))
    router.add("/", lambda request: http_server.Response("hello\n", headers=[("X-Date", "1")]))

    def exchange(port):
        return responses(raw(port, b"GET /own HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))

    answers = run(in_process(router, exchange))
    assert [(answer.status, answer.body) for answer in answers] == [
        (500, b"500 Internal Server Error: the handler failed; see the server's log\n"),
        (200, b"hello\n")]


def test_a_response_with_the_bodys_own_content_length_is_sent_with_one(run):
    """A handler that says its body's length itself (as code written for
    other servers does: Starlette, Werkzeug and h11 take it) is answered,
    with one Content-Length: the refusal above is for a length that
    differs.  A second field the server sends is still refused beside it."""
    for value in ("5", b" 5 ", 5):
        assert http_server.Response(b"hello", headers=[("Content-Length", value)]).head.count(
            b"Content-Length") == 1
    with pytest.raises(ValueError, match="the server sends Date itself"):
        http_server.Response(b"hello", headers=[("Content-Length", "5"), ("Date", "x")])
    with open(__file__, "rb") as fileobj:
        response = http_server.Response.file(fileobj, 10, headers=[("content-length", "10")])
        assert response.head.lower().count(b"content-length") == 1
        response.fileobj = None
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response(
        "hello\n", headers=[("X-A", "1"), ("Content-Length", "6"), ("X-B", "2")]))

    def exchange(port):
        return responses(raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 2))

    answers = run(in_process(router, exchange))
    assert [(a.status, a.body, a.header("content-length"), a.header("x-b")) for a in answers] \
        == [(200, b"hello\n", b"6", b"2")] * 2
    assert [[name for name, _ in a.headers].count(b"content-length") for a in answers] == [1, 1]


def test_a_response_whose_status_is_not_final_is_refused_not_sent(run):
    """A handler's 100 or 101 went out as its answer: the client took it
    for an interim response and the next request's answer for this one's
    (a 101 on a connection that then went on in HTTP).  ``Response``
    refuses a status outside 200-599 (the handler's bug: 500), and the next
    request is answered."""
    for status in (100, 101, 199, 600, 99):
        with pytest.raises(ValueError, match="final, 200 to 599; got %d" % status):
            http_server.Response(status=status)
    router = http_server.Router()
    router.add("/interim", lambda request: http_server.Response(status=100))
    router.add("/", lambda request: http_server.Response("hello\n"))

    def exchange(port):
        return responses(raw(port, b"GET /interim HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))

    answers = run(in_process(router, exchange))
    assert [answer.status for answer in answers] == [500, 200]


def test_options_asterisk_is_answered_as_a_ping_and_the_connection_goes_on(server):
    """``OPTIONS *`` asks the server, not a page (RFC 9110 9.3.7; Go's
    net/http and Apache answer 200): it was a 404, "no such page: *"."""
    data = b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    first, second = responses(raw(server.port, data))
    assert (first.status, first.body, first.header("content-length")) == (200, b"", b"0")
    assert (second.status, second.body) == (200, b"Hello, world!\n")
