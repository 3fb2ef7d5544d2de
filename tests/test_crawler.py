"""examples/crawler.py (over trampoline.protocols.http_client) against the
HTTP server, both in one kernel (and once as two processes)."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from net_helpers import (CERT, KEY, client_context, load_example, server_context,  # noqa: F401
                         start_server, stop_process, watchdog)  # (watchdog: autouse)
from trampoline import Event, VirtualClock, cancel, ignore_after, run, sleep

from trampoline.protocols import http_server
from trampoline.protocols.http_client import Fetcher, FetchError

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

    # (On the virtual clock: its 0.2 s run only while nothing happens, so a
    # loaded machine still gets "/" and the loop's answers in time -- on the
    # real clock "/" timed out there, under PyPy, and "hang" was never seen.)
    pages = run(serving(router, work), clock=VirtualClock())
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


def test_a_response_to_no_request_on_an_idle_connection_is_not_the_answer():
    """A server that sends a 408 on a kept-alive connection before it
    closes it: the next request goes on a new connection, and its answer
    is that of the new connection (it was the 408, read as the answer)."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    timed_out = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                 b"Content-Length: 0\r\n\r\n")
    kept, said = Event(), Event()

    def answer_then_time_out(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(ok)
        if not said.is_set():           # the first connection: 408 once kept, then close
            yield kept.wait()
            yield stream.write(timed_out)
            yield stream.close()
            said.set()

    def main():
        task, port = yield start_server(answer_then_time_out)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            url = "http://127.0.0.1:%d/" % port
            first = yield fetcher.fetch(url)
            kept.set()
            yield said.wait()
            second = yield fetcher.fetch(url)
            return first.status, second.status, second.body, fetcher.opened
        finally:
            fetcher.close()
            yield cancel(task)

    assert run(main()) == (200, 200, b"ok", 2)


def test_idle_connections_to_other_sites_count_in_the_bound():
    """``connections=1``: a request to a second site closes the idle
    connection kept for the first (both stayed open: one idle connection
    more per site fetched, for the fetcher's life)."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    ended = Event()

    def answer(stream, address):
        try:
            while (yield stream.read(65536)):
                yield stream.write(ok)
        finally:
            ended.set()

    def main():
        first, first_port = yield start_server(answer)
        second, second_port = yield start_server(answer)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            yield fetcher.fetch("http://127.0.0.1:%d/" % first_port)
            yield fetcher.fetch("http://127.0.0.1:%d/" % second_port)
            idle = sum(len(pool) for pool in fetcher.idle.values())
            closed = yield ignore_after(5, ended.wait(), False)
            return idle, closed
        finally:
            fetcher.close()
            yield cancel(first)
            yield cancel(second)

    assert run(main()) == (1, True)


def test_a_redirect_to_a_utf8_location_goes_where_it_says():
    """``Location: /caf\xc3\xa9`` (UTF-8 bytes, as servers send): the
    next request is for /caf%C3%A9, as curl and browsers send it (the
    bytes were read as Latin-1 and encoded again: /caf%C3%83%C2%A9)."""
    def redirect_to_utf8(stream, address):
        while True:
            head = yield stream.readuntil(b"\r\n\r\n")
            target = head.split(b" ")[1]
            if target == b"/from":
                yield stream.write(b"HTTP/1.1 302 Found\r\nLocation: /caf\xc3\xa9?q=\xc3\xa9\r\n"
                                   b"Content-Length: 0\r\n\r\n")
            else:
                yield stream.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                   % (len(target), target))

    def main():
        task, port = yield start_server(redirect_to_utf8)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            page = yield fetcher.get("http://127.0.0.1:%d/from" % port)
            return page.error, page.body, page.final_url.split("/", 3)[3]
        finally:
            fetcher.close()
            yield cancel(task)

    assert run(main()) == (None, b"/caf%C3%A9?q=%C3%A9", "caf%C3%A9?q=%C3%A9")


def test_a_redirect_without_a_fragment_keeps_the_urls():
    """RFC 9110 10.2.2: a Location with no fragment inherits the one of
    the URL redirected (along a chain of redirects too); a Location with
    one replaces it.  The fragment is never sent.  It was dropped."""
    def redirects(stream, address):
        moves = {b"/from": b"/to", b"/to": b"/end", b"/frag": b"/to#there"}
        while True:
            head = yield stream.readuntil(b"\r\n\r\n")
            target = head.split(b" ")[1]
            if target in moves:
                yield stream.write(b"HTTP/1.1 301 Moved\r\nLocation: %s\r\n"
                                   b"Content-Length: 0\r\n\r\n" % moves[target])
            else:
                yield stream.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                                   % (len(target), target))

    def main():
        task, port = yield start_server(redirects)
        base = "http://127.0.0.1:%d" % port
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            pages = []
            for path in ["/from#sec", "/frag#sec"]:
                pages.append((yield fetcher.get(base + path)))
        finally:
            fetcher.close()
            yield cancel(task)
        return [(page.error, page.body, page.final_url[len(base):],
                 [url[len(base):] for url in page.redirects]) for page in pages]

    assert run(main()) == [(None, b"/end", "/end#sec", ["/from#sec", "/to#sec"]),
                           (None, b"/end", "/end#there", ["/frag#sec", "/to#there"])]


def test_https_with_a_private_ca(run):
    """Fetcher(ssl=context) fetches https from a server whose certificate
    that context trusts (the test certificate, a CA of its own); the
    default context (the system's CAs) refuses it: the page's error names
    the URL and says why.  ssl= that is no SSLContext is refused at once."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response("over TLS\n"))

    def main():
        task, port = yield start_server(http_server.make_handler(router),
                                        ssl=server_context())
        url = "https://127.0.0.1:%d/" % port
        trusting, default = Fetcher(ssl=client_context()), Fetcher()
        try:
            return url, (yield trusting.get(url)), (yield default.get(url))
        finally:
            trusting.close()
            default.close()
            yield cancel(task)

    url, page, refused = run(main())
    assert (page.error, page.status, page.body) == (None, 200, b"over TLS\n")
    assert refused.status is None and refused.error.startswith(url + ": "), refused.error
    assert "certificate verify failed" in refused.error, refused.error
    with pytest.raises(TypeError, match="ssl= needs an ssl.SSLContext"):
        Fetcher(ssl=CERT)


def test_the_command_line_over_https_with_cafile(site):
    """crawler.py --cafile against http_server.py --tls with the test
    certificate: the site crawled, exit status 0; without --cafile, the
    root's error names its URL and the certificate, exit status 1; a
    --cafile that cannot be loaded is a usage error naming it."""
    server = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "http_server.py"),
                               "--port", "0", "--static", str(site), "--tls", CERT, KEY],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    crawler = [sys.executable, os.path.join(EXAMPLES, "crawler.py"), "--connections", "2"]
    try:
        port = int(server.stdout.readline().rsplit(":", 1)[1])
        root = "https://127.0.0.1:%d/static/a.html" % port
        trusting = subprocess.run(crawler + ["--cafile", CERT, root],
                                  capture_output=True, text=True, timeout=30)
        default = subprocess.run(crawler + [root], capture_output=True, text=True, timeout=30)
    finally:
        stop_process(server)
    assert trusting.returncode == 0, trusting.stdout + trusting.stderr
    lines = trusting.stdout.splitlines()
    assert any(line.startswith("404") and line.endswith("/static/missing.html") for line in lines)
    assert lines[-1].startswith("8 pages in ") and lines[-1].endswith("; 0 errors"), lines
    assert default.returncode == 1, default.stdout + default.stderr
    assert default.stdout.startswith("ERR  %s: [SSL: CERTIFICATE_VERIFY_FAILED] " % root)
    assert default.stdout.splitlines()[-1].endswith("; 1 errors"), default.stdout
    missing = subprocess.run(crawler + ["--cafile", str(site / "none.pem"), root],
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "cannot load CA certificates from %s" % (site / "none.pem") in missing.stderr


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
        stop_process(server)
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


ODD_HTML = '<a href="/ok">ok</a> <![foo[ marked ]]>'     # HTMLParser raises (3.8-3.13)


def broken_links_router():
    """/ links to /r1 (302 to a host name IDNA refuses), /r2 (302 to no URL
    at all), /odd (HTML that Python's HTMLParser raises on) and /ok."""
    router = http_server.Router()
    router.add("/", lambda request: http_server.Response(
        '<a href="/r1">1</a> <a href="/r2">2</a> <a href="/odd">odd</a> <a href="/ok">ok</a>',
        content_type="text/html"))
    for path, location in [("/r1", "http://a..b/"), ("/r2", "http://[::1/x")]:
        router.add(path, lambda request, location=location: http_server.Response(
            "", 302, [("Location", location)]))
    router.add("/odd", lambda request: http_server.Response(ODD_HTML, content_type="text/html"))
    router.add("/ok", lambda request: http_server.Response("fine", content_type="text/plain"))
    return router


@pytest.mark.parametrize("connections", [1, 4])
def test_bad_urls_and_bad_pages_are_those_pages_errors(run, connections):
    """A redirect to a host name IDNA refuses or to no URL at all, a page
    the HTML parser raises on: each is that page's error, naming it; the
    workers live on and every other page is fetched (a worker used to die:
    the crawl ended early, /ok cancelled -- or, with one connection, the
    kernel found a deadlock)."""
    def work(base, _):
        return (yield Crawler(base + "/", connections=connections, timeout=5).crawl())

    pages = run(serving(broken_links_router(), work))
    by_path = {url.split("/", 3)[3]: page for url, page in pages.items()}
    assert sorted(by_path) == ["", "odd", "ok", "r1", "r2"]
    assert by_path[""].error is None and by_path["ok"].error is None
    assert by_path["ok"].status == 200 and by_path["ok"].body == b"fine"
    assert "/r1 -> http://a..b/: bad host name 'a..b'" in by_path["r1"].error
    assert "/r2: bad redirect to http://[::1/x: Invalid IPv6 URL" in by_path["r2"].error
    if html_parser_raises(ODD_HTML):
        # (AssertionError "unknown status keyword ... in marked section" from
        # 3.10 on, NotImplementedError "... must override error()" before)
        assert re.search(r"/odd: (AssertionError|NotImplementedError): ", by_path["odd"].error)
    else:                                       # pragma: no cover - a parser that copes
        assert by_path["odd"].error is None


def test_a_page_in_a_codec_that_is_no_charset_is_read_as_utf8(run):
    """A page whose Content-Type names a codec that cannot decode it with
    errors="replace" -- punycode, idna, undefined -- is read as UTF-8, as
    an unknown charset is: its links are followed.  It was that page's
    error ("UnicodeDecodeError: 'ascii' codec can't decode..."), though it
    was fetched whole, and the crawl exited 1."""
    router = http_server.Router()
    for charset in ["punycode", "idna", "undefined"]:
        router.add("/" + charset, lambda request, charset=charset: http_server.Response(
            '<a href="/ok">\u00e9</a>', content_type="text/html; charset=" + charset))
    router.add("/ok", lambda request: http_server.Response("fine"))

    def work(base, _):
        pages = {}
        for charset in ["punycode", "idna", "undefined"]:
            pages.update((yield Crawler(base + "/" + charset, connections=1).crawl()))
        return pages

    pages = run(serving(router, work))
    assert sorted(url.rsplit("/", 1)[1] for url in pages) == ["idna", "ok", "punycode",
                                                              "undefined"]
    assert all(page.error is None for page in pages.values()), pages


def html_parser_raises(text):
    try:
        parser = HTMLParser()
        parser.feed(text)
        parser.close()
    except Exception:
        return True
    return False                                # pragma: no cover - a later Python's


def test_a_callback_that_raises_loses_no_worker(run):
    """on_page raising for one page: that page's error says so, and every
    other page is still fetched, with one worker (it died, and with it the
    crawl: a deadlock)."""
    seen = []

    def on_page(page):
        seen.append(page.url.rsplit("/", 1)[1])
        if page.url.endswith("/r1"):
            raise RuntimeError("the report failed")

    def work(base, _):
        return (yield Crawler(base + "/", connections=1, workers=1, timeout=5,
                              on_page=on_page).crawl())

    pages = run(serving(broken_links_router(), work))
    assert sorted(seen) == ["", "odd", "ok", "r1", "r2"]
    (r1,) = [page for url, page in pages.items() if url.endswith("/r1")]
    assert r1.error.endswith("/r1: on_page: RuntimeError: the report failed"), r1.error


def test_fetch_raises_only_fetch_errors_naming_the_url(run):
    """URLs urlsplit, IDNA or the request line refuse: a FetchError saying
    which URL and why (a ValueError escaped, a UnicodeError from IDNA).  A
    space or a non-ASCII character in the path goes as browsers send it."""
    router = http_server.Router()
    router.add("/caf\u00e9 au lait", lambda request: http_server.Response(request.target))

    def work(base, _):
        fetcher = Fetcher(connections=1, timeout=5)
        errors = []
        for url in ["http://a..b/", "http://[::1/x", "http://h:99999/", "http://%s/" % ("x" * 64),
                    "http://h/\udc80", "ftp://h/"]:
            try:
                yield fetcher.fetch(url)
            except FetchError as exc:
                errors.append(str(exc))
        response = yield fetcher.fetch(base + "/caf\u00e9 au lait")
        fetcher.close()
        return errors, response

    errors, response = run(serving(router, work))
    assert errors[0].startswith("http://a..b/: bad host name 'a..b'"), errors
    assert errors[1] == "http://[::1/x: bad URL: Invalid IPv6 URL"
    assert errors[2] == "http://h:99999/: bad port"
    assert errors[3].startswith("http://%s/: bad host name" % ("x" * 64))
    assert errors[4].startswith("http://h/\udc80: bad URL: ")
    assert errors[5] == "ftp://h/: not an http(s) URL"
    assert response.status == 200 and response.body == b"/caf%C3%A9%20au%20lait"


def test_the_command_line_with_a_bad_root():
    """A root whose host IDNA refuses: an error line, a page, exit status 1
    (it said "0 pages ... 0 errors", exit 0); a root that is no URL: a
    usage error naming it, exit status 2 (a traceback from urlsplit)."""
    crawler = [sys.executable, os.path.join(EXAMPLES, "crawler.py")]
    out = subprocess.run(crawler + ["http://a..b/"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.startswith("ERR  http://a..b/: bad host name 'a..b'"), out.stdout
    assert out.stdout.splitlines()[-1].startswith("1 pages in ")
    assert out.stdout.splitlines()[-1].endswith("; 1 errors")
    for root, why in [("http://[::1/", "Invalid IPv6 URL"),
                      ("http://h:99999/", "Port out of range")]:
        out = subprocess.run(crawler + [root], capture_output=True, text=True, timeout=30)
        assert out.returncode == 2, out.stdout + out.stderr
        assert "the root %r is not a URL: %s" % (root, why) in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
