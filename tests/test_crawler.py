"""examples/crawler.py (over trampoline.protocols.http_client) against the
HTTP server, both in one kernel (and once as two processes)."""

import os
import subprocess
import sys

import pytest

from net_helpers import load_example, start_server, watchdog  # noqa: F401  (autouse)
from trampoline import cancel, run, sleep

from trampoline.protocols import http_server
from trampoline.protocols.http_client import Fetcher

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
Crawler = load_example("crawler").Crawler

WATCHDOG_SECONDS = 20


@pytest.fixture
def site(tmp_path):
    pages = {
        "index.html": '<a href="a.html">a</a> <a href="b.html#part">b</a> <a href="sub">sub</a>'
                      ' <a href="missing.html">gone</a> <a href="http://other.invalid/x">out</a>'
                      ' <a href="mailto:someone@example.com">mail</a>'
                      ' <a href="http://[broken/">bad</a> <a href="http://127.0.0.1:99999/">bad</a>',
        "a.html": '<a href="index.html">home</a> <a href="b.html">b</a>',
        "b.html": '<a href="c.txt">c</a> <a href="/sleep?s=0">nap</a>',
        "c.txt": '<a href="never-parsed.html">plain text is not parsed</a>',
        "sub/index.html": '<a href="../a.html">a</a> <a href="deeper.html">deeper</a>',
        "sub/deeper.html": "the end",
    }
    for name, text in pages.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return tmp_path


def site_router(site):
    """The files of ``site`` under /static/, and /sleep?s=0."""
    def nap(request):
        yield sleep(0)
        return http_server.Response("slept\n")
    router = http_server.Router()
    router.mount("/static/", http_server.static_files(str(site)))
    router.add("/sleep", nap)
    return router


def serving(router, work, limits=None):
    """Main task: serve ``router`` over HTTP on a free port, run
    ``work(base_url, connections)`` against it, stop the server.
    ``connections``: [open now, most open at once], seen by the server."""
    connections = [0, 0]
    handler = http_server.make_handler(router, limits or http_server.Limits(grace=0))

    def counting(stream, address):
        connections[0] += 1
        connections[1] = max(connections)
        try:
            yield handler(stream, address)
        finally:
            connections[0] -= 1

    task, port = yield start_server(counting)
    try:
        return (yield work("http://127.0.0.1:%d" % port, connections))
    finally:
        yield cancel(task)


def test_crawls_the_site_with_bounded_connections(site, run):
    """Every page reachable on the site, once; redirects followed (sub ->
    sub/), a 404 recorded, other sites, broken links and non-HTML left
    alone; never more than 2 connections open, and they are reused."""
    router = site_router(site)

    def work(base, connections):
        crawler = Crawler(base + "/static/", max_pages=50, connections=2, timeout=5)
        pages = yield crawler.crawl()
        return crawler, pages, connections

    crawler, pages, connections = run(serving(router, work))
    base = next(iter(pages)).rsplit("/static/", 1)[0] + "/static/"
    assert set(pages) == {base + name for name in [
        "", "a.html", "b.html", "sub", "missing.html", "index.html", "c.txt",
        "sub/deeper.html"]} | {base.replace("/static/", "/sleep?s=0")}
    assert pages[base + "sub"].redirects == [base + "sub"]
    assert pages[base + "sub"].final_url == base + "sub/"
    assert pages[base + "sub"].status == 200
    assert pages[base + "missing.html"].status == 404
    assert all(page.error is None for page in pages.values())
    assert connections[1] <= 2
    assert crawler.fetcher.opened <= 2 < len(pages)


def test_max_pages(site, run):
    router = site_router(site)

    def work(base, connections):
        return (yield Crawler(base + "/static/", max_pages=3, connections=4).crawl())

    assert len(run(serving(router, work))) == 3


def test_timeouts_and_redirect_loops_are_reported(run):
    """A server that does not answer within the timeout, and a redirect
    loop: each page says what went wrong; the crawl ends."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response(
        '<a href="/hang">h</a> <a href="/loop">l</a>', content_type="text/html"))

    def hang(request):
        yield sleep(30)
    router.add("/hang", hang)
    router.add("/loop", lambda request: http_server.Response(
        "", 302, [("Location", "/loop")]))

    def work(base, connections):
        return (yield Crawler(base + "/", connections=2, timeout=0.2, max_redirects=3).crawl())

    pages = run(serving(router, work))
    errors = {url.rsplit("/", 1)[1]: page.error for url, page in pages.items()}
    assert "no response within 0.2 s" in errors["hang"]
    assert "more than 3 redirects" in errors["loop"]
    assert errors[""] is None


def test_a_stale_kept_alive_connection_is_replaced():
    """The server closes a connection it said it would keep: the next
    request on it fails quietly and is retried on a new connection."""
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def once_then_close(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(response)            # keep-alive, says HTTP/1.1 ... and closes

    def main():
        task, port = yield start_server(once_then_close)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            url = "http://127.0.0.1:%d/" % port
            first = yield fetcher.fetch(url)
            second = yield fetcher.fetch(url)
            return first.body, second.body, fetcher.opened
        finally:
            fetcher.close()
            yield cancel(task)

    assert run(main()) == (b"ok", b"ok", 2)


def test_the_command_line(site):
    """crawler.py against http_server.py, two processes: a line per page,
    a summary, exit status 0 (a 404 is a page, not an error); against a
    port nobody listens on: the error, exit status 1."""
    server = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "http_server.py"),
                               "--port", "0", "--static", str(site)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    crawler = [sys.executable, os.path.join(EXAMPLES, "crawler.py"), "--connections", "2"]
    try:
        port = int(server.stdout.readline().rsplit(":", 1)[1])
        out = subprocess.run(crawler + ["http://127.0.0.1:%d/static/a.html" % port],
                             capture_output=True, text=True, timeout=30)
    finally:
        server.kill()
        server.wait(10)
        server.stdout.close()
        server.stderr.close()
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("404") and line.endswith("/static/missing.html") for line in lines)
    assert any(line.endswith("/static/sub -> http://127.0.0.1:%d/static/sub/" % port)
               for line in lines)
    assert lines[-1].startswith("8 pages in ") and lines[-1].endswith("; 0 errors"), out.stdout
    out = subprocess.run(crawler + ["http://127.0.0.1:%d/" % port], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 1
    assert "refused" in out.stdout and out.stdout.splitlines()[-1].endswith("; 1 errors")
