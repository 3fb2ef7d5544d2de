#!/usr/bin/env python3
"""A web crawler: fetch a page, follow its links on the same site, concurrently.

    python3 examples/http_server.py --port 8080 --static docs &
    python3 examples/crawler.py http://127.0.0.1:8080/static/ [--max-pages 100]
                                [--connections 4] [--timeout 10] [--max-redirects 5]

After the asyncio crawler of "500 Lines or Less" (A. Jesse Jiryu Davis and
Guido van Rossum): a queue of URLs and a few worker tasks.  Each worker
takes a URL, fetches it, and puts the links of an HTML page -- on the same
scheme, host and port, not seen before, up to ``--max-pages`` -- back on the
queue; ``queue.join()`` says when the work is done.  Every fetch takes a
slot of a ``Semaphore``: at most ``--connections`` connections are open at
once, and they are kept alive and reused between requests.  Each request
(connect, send, response) must finish within ``--timeout`` seconds;
redirects are followed, up to ``--max-redirects``.  Responses are parsed by
the same sans-I/O parser as the server's (``protocols/http.py``).

It prints one line per URL (status, size, URL) and a summary; the exit
status is 0 if every page was fetched, 1 otherwise.
"""

import argparse
import os
import sys
import time
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from trampoline.protocols.http import ProtocolError, ResponseParser, encode_request  # noqa: E402
from trampoline import (Queue, Semaphore, TaskGroup, TaskTimeout,  # noqa: E402
                        open_connection, run, timeout_after)

USER_AGENT = "trampoline-crawler/0.1"
REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A URL could not be fetched: the message says which and why."""


class Page:
    """What fetching a URL gave: ``url`` (asked), ``final_url`` (after
    redirects), ``status``, ``headers``, ``body``, ``redirects`` (the
    URLs that redirected, in order), ``error`` (a message, or None)."""

    def __init__(self, url):
        self.url = url
        self.final_url = url
        self.status = None
        self.headers = []
        self.body = b""
        self.redirects = []
        self.error = None

    def __repr__(self):
        return "<Page %s %s %d bytes%s>" % (self.status, self.url, len(self.body),
                                             " error=%s" % self.error if self.error else "")


# ============================================================ the client

class Fetcher:
    """An HTTP/1.1 client with a bounded pool of keep-alive connections.

    ``fetch(url)`` is a coroutine returning the ``Response`` (raising
    ``FetchError``); ``get(url)`` follows redirects and returns a ``Page``.
    ``connections`` bounds how many connections are open at once (a
    Semaphore slot per request in flight; an idle connection is kept for
    the next request to the same place).  ``timeout``: seconds for each
    request, connecting included.
    """

    def __init__(self, connections=4, timeout=10.0, max_redirects=5):
        self.slots = Semaphore(connections)
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.idle = {}                  # (scheme, host, port) -> [(stream, parser)]
        self.opened = 0                 # connections opened, in all

    def close(self):
        for pool in self.idle.values():
            for stream, _ in pool:
                stream.close()
        self.idle.clear()

    def fetch(self, url, method="GET"):
        """``response = yield fetcher.fetch(url, method="GET")``: one request,
        no redirects followed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("%s: not an http(s) URL" % url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError("%s: bad port" % url) from None
        key = (parts.scheme, parts.hostname, port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host = parts.hostname if parts.port is None else "%s:%d" % (parts.hostname, port)
        if ":" in parts.hostname:
            host = "[%s]" % parts.hostname + host[len(parts.hostname):]
        request = encode_request(method, target, [("Host", host), ("User-Agent", USER_AGENT),
                                                  ("Accept-Encoding", "identity")])
        yield self.slots.acquire()
        try:
            try:
                return (yield timeout_after(self.timeout, self._exchange(key, request, method)))
            except TaskTimeout:
                raise FetchError("%s: no response within %g s" % (url, self.timeout)) from None
            except ProtocolError as exc:
                raise FetchError("%s: bad response: %s" % (url, exc)) from None
            except OSError as exc:
                raise FetchError("%s: %s" % (url, exc.strerror or exc)) from None
        finally:
            self.slots.release()

    def _exchange(self, key, request, method):
        """Send ``request`` and read its response, on an idle connection if
        there is one (once more on a new one if that had gone stale)."""
        pool = self.idle.setdefault(key, [])
        while pool:
            stream, parser = pool.pop()
            try:
                response = yield self._round_trip(stream, parser, request, method)
            except (OSError, ProtocolError, _Stale):
                stream.close()          # closed by the server meanwhile: try anew
                continue
            except BaseException:
                stream.close()
                raise
            self._keep(key, stream, parser, response)
            return response
        scheme, host, port = key
        stream = yield open_connection(host, port, ssl=True if scheme == "https" else None)
        self.opened += 1
        parser = ResponseParser()
        try:
            response = yield self._round_trip(stream, parser, request, method)
        except _Stale:
            stream.close()
            raise ProtocolError(0, "the server closed the connection without a response")
        except BaseException:
            stream.close()
            raise
        self._keep(key, stream, parser, response)
        return response

    def _round_trip(self, stream, parser, request, method):
        yield stream.write(request)
        while True:
            response = parser.next_response(method)
            if response is not None:
                return response
            data = yield stream.read(65536)
            if data:
                parser.feed(data)
            elif parser.idle:
                raise _Stale()
            else:
                parser.feed_eof()       # a body up to the close ends here

    def _keep(self, key, stream, parser, response):
        if response.keep_alive and not parser.buffered and not parser.dead:
            self.idle[key].append((stream, parser))
        else:
            stream.close()

    def get(self, url):
        """``page = yield fetcher.get(url)``: fetch ``url``, following
        redirects; failures are in ``page.error``, never raised."""
        page = Page(url)
        try:
            while True:
                response = yield self.fetch(page.final_url)
                location = response.header(b"location")
                if response.status not in REDIRECTS or location is None:
                    break
                if len(page.redirects) >= self.max_redirects:
                    raise FetchError("%s: more than %d redirects" % (url, self.max_redirects))
                page.redirects.append(page.final_url)
                page.final_url = urljoin(page.final_url, location.decode("latin-1"))
            page.status = response.status
            page.headers = response.headers
            page.body = response.body
        except FetchError as exc:
            page.error = str(exc)
        return page


class _Stale(Exception):
    """A kept-alive connection that the server had closed."""


# ============================================================ the crawler

class LinkParser(HTMLParser):
    """The ``href`` of every ``<a>`` in a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for name, value in attrs:
                if name == "href" and value:
                    self.links.append(value)


def links_of(page):
    """Absolute URLs (without fragments) that an HTML page links to."""
    content_type = (dict(page.headers).get(b"content-type") or b"").lower()
    if page.status != 200 or not content_type.startswith(b"text/html"):
        return []
    parser = LinkParser()
    charset = "utf-8"
    if b"charset=" in content_type:
        charset = content_type.split(b"charset=")[1].split(b";")[0].strip().decode("ascii",
                                                                                     "replace")
    try:
        parser.feed(page.body.decode(charset, errors="replace"))
    except LookupError:                 # an unknown charset
        parser.feed(page.body.decode("utf-8", errors="replace"))
    links = []
    for link in parser.links:
        try:
            links.append(urldefrag(urljoin(page.final_url, link))[0])
        except ValueError:              # "http://[broken": not a link we can follow
            pass
    return links


def _site(url):
    """(scheme, host, port) of ``url``; None for a URL too broken to say."""
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname, parts.port
    except ValueError:                  # a port out of range, a bad IPv6 address
        return None


class Crawler:
    """``pages = yield Crawler(root, ...).crawl()``: every page reached from
    ``root`` on the same site, at most ``max_pages``, as ``{url: Page}``."""

    def __init__(self, root, max_pages=100, connections=4, timeout=10.0, max_redirects=5,
                 workers=None, on_page=None):
        self.root = urldefrag(root)[0]
        self.max_pages = max_pages
        self.fetcher = Fetcher(connections, timeout, max_redirects)
        self.workers = workers or connections * 2
        self.on_page = on_page          # called with each Page as it is done
        self.seen = {self.root}
        self.pages = {}
        self.queue = Queue()

    def crawl(self):
        self.queue.put_nowait(self.root)
        group = TaskGroup()
        for _ in range(self.workers):
            yield group.spawn(self._work())
        try:
            yield self.queue.join()
        finally:
            yield group.cancel_remaining()
            self.fetcher.close()
        return self.pages

    def _work(self):
        while True:
            url = yield self.queue.get()
            try:
                page = yield self.fetcher.get(url)
                self.pages[url] = page
                if page.final_url != url:
                    self.seen.add(page.final_url)
                if _site(page.final_url) == _site(self.root):
                    for link in links_of(page):
                        self._add(link)
                if self.on_page is not None:
                    self.on_page(page)
            finally:
                self.queue.task_done()

    def _add(self, url):
        if url in self.seen or len(self.seen) >= self.max_pages:
            return
        if _site(url) != _site(self.root):
            return
        self.seen.add(url)
        self.queue.put_nowait(url)


# ============================================================ the program

def report(page):
    if page.error:
        print("ERR  %s" % page.error, flush=True)
    else:
        via = " -> %s" % page.final_url if page.final_url != page.url else ""
        print("%d  %7d B  %s%s" % (page.status, len(page.body), page.url, via), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="trampoline web crawler")
    parser.add_argument("root", help="the URL to start from (http:// or https://)")
    parser.add_argument("--max-pages", type=int, default=100,
                        help="stop after this many URLs (default 100)")
    parser.add_argument("--connections", type=int, default=4,
                        help="connections open at once, at most (default 4)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds for each request (default 10)")
    parser.add_argument("--max-redirects", type=int, default=5,
                        help="redirects followed per URL (default 5)")
    args = parser.parse_args(argv)
    if urlsplit(args.root).scheme not in ("http", "https"):
        parser.error("the root must be an http:// or https:// URL")
    crawler = Crawler(args.root, args.max_pages, args.connections, args.timeout,
                      args.max_redirects, on_page=report)
    started = time.monotonic()
    try:
        pages = run(crawler.crawl())
    except KeyboardInterrupt:
        return 130
    errors = sum(1 for page in pages.values() if page.error)
    print("%d pages in %.2f s over %d connections; %d errors"
          % (len(pages), time.monotonic() - started, crawler.fetcher.opened, errors), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
