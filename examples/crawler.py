#!/usr/bin/env python3
"""A web crawler: fetch a page, follow its links on the same site, concurrently.

    python3 examples/http_server.py --port 8080 --static docs &
    python3 examples/crawler.py http://127.0.0.1:8080/static/ [--max-pages 100]
                                [--connections 4] [--timeout 10] [--max-redirects 5]
    python3 examples/crawler.py https://localhost:8443/ --cafile tests/tls_cert.pem

After the asyncio crawler of "500 Lines or Less" (A. Jesse Jiryu Davis and
Guido van Rossum): a queue of URLs and a few worker tasks.  Each worker
takes a URL, fetches it, and puts the links of an HTML page -- on the same
scheme, host and port, not seen before, up to ``--max-pages`` -- back on the
queue; ``queue.join()`` says when the work is done.  Every fetch takes a
slot of a ``Semaphore``: at most ``--connections`` connections are open at
once, and they are kept alive and reused between requests.  Each request
(connect, send, response) must finish within ``--timeout`` seconds;
redirects are followed, up to ``--max-redirects``.  ``https`` certificates
are checked against the system's CAs, or ``--cafile``'s.  The client is
``trampoline.protocols.http_client.Fetcher``, which parses responses with
the same sans-I/O parser as the server's (``trampoline.protocols.http``).

It prints one line per URL (status, size, URL) and a summary; the exit
status is 0 if every page was fetched, 1 otherwise -- a URL that cannot
be fetched (a bad host name, a redirect to no URL at all) and a page the
crawler cannot read are errors of those pages, and the crawl goes on.  A
root that is not an http(s) URL is a usage error (exit status 2).
"""

import argparse
import os
import sys
import time
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from trampoline import Queue, TaskGroup, run  # noqa: E402
from trampoline.net import client_context  # noqa: E402
from trampoline.protocols.http_client import Fetcher, Page  # noqa: E402

USER_AGENT = "trampoline-crawler/0.1"


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
        text = page.body.decode(charset, errors="replace")
    except (LookupError, UnicodeError):     # an unknown charset, or a codec that is no
        text = page.body.decode("utf-8", errors="replace")  # charset (punycode, idna)
    parser.feed(text)
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
    ``root`` on the same site, at most ``max_pages``, as ``{url: Page}``.
    ``ssl``: the ``ssl.SSLContext`` for https (default: the system's CAs)."""

    def __init__(self, root, max_pages=100, connections=4, timeout=10.0, max_redirects=5,
                 workers=None, on_page=None, ssl=None):
        self.root = urldefrag(root)[0]
        self.max_pages = max_pages
        self.fetcher = Fetcher(connections, timeout, max_redirects, USER_AGENT, ssl=ssl)
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
                page = yield self._visit(url)
                if self.on_page is not None:
                    try:
                        self.on_page(page)
                    except Exception as exc:
                        page.error = "%s: on_page: %s: %s" % (url, type(exc).__name__, exc)
            finally:
                self.queue.task_done()

    def _visit(self, url):
        """Fetch ``url`` and queue its links; its Page.  Whatever goes wrong
        is that page's error: a worker that died would leave the rest of
        its work undone (and the crawl would end early, or never)."""
        page = Page(url)
        try:
            page = yield self.fetcher.get(url)          # (raises nothing, it says)
            if page.final_url != url:
                self.seen.add(page.final_url)
            if _site(page.final_url) == _site(self.root):
                for link in links_of(page):
                    self._add(link)
        except Exception as exc:
            page.error = "%s: %s: %s" % (url, type(exc).__name__, exc)
        self.pages[url] = page
        return page

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
    parser.add_argument("--cafile", metavar="PEM",
                        help="for https: trust this certificate (default: the system's CAs)")
    args = parser.parse_args(argv)
    try:
        root = urlsplit(args.root)
        root.port                       # (checked when read: out of range, not a number)
    except ValueError as exc:           # "http://[::1/": Invalid IPv6 URL
        parser.error("the root %r is not a URL: %s" % (args.root, exc))
    if root.scheme not in ("http", "https") or not root.hostname:
        parser.error("the root must be an http:// or https:// URL with a host, got %r"
                     % args.root)
    for option, value, least in (("--max-pages", args.max_pages, 1),
                                 ("--connections", args.connections, 1),
                                 ("--max-redirects", args.max_redirects, 0)):
        if value < least:
            parser.error("%s must be at least %d, got %d" % (option, least, value))
    if not args.timeout > 0:            # (NaN too)
        parser.error("--timeout must be a number of seconds above 0, got %s" % args.timeout)
    try:
        context = client_context(args.cafile) if args.cafile else None
    except ValueError as exc:           # missing, unreadable, not PEM: named
        parser.error(str(exc))
    if sys.stdout is None:              # ``>&-``: the report would go nowhere
        print("crawler: stdout is closed", file=sys.stderr)
        return 1
    crawler = Crawler(args.root, args.max_pages, args.connections, args.timeout,
                      args.max_redirects, on_page=report, ssl=context)
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
