"""An HTTP/1.1 client: a bounded pool of keep-alive connections, timeouts, redirects.

    fetcher = Fetcher(connections=4, timeout=10)
    page = yield fetcher.get("http://127.0.0.1:8080/")     # a Page; errors in page.error
    response = yield fetcher.fetch(url)                   # one request; raises FetchError

What it is for: fetching many URLs from a few sites concurrently without
opening a connection per request -- ``examples/crawler.py`` is built on it.
Responses are parsed by the sans-I/O ``ResponseParser`` of
``protocols/http.py``; connections are ``open_connection`` streams (TLS for
``https``).

The idea.  Every request takes a slot of a ``Semaphore`` (at most
``connections`` requests, hence connections, at once) and runs under one
deadline, connecting included.  A connection whose response left it
reusable goes back to an idle pool keyed by (scheme, host, port); the next
request to that place takes it -- unless it has something to read already
(the end of stream, a 408 the server sent before closing): then it is out
of step and closed -- and if the server closed it just as the request went
(the read finds the end of stream before any byte), tries once more on a
new connection -- if the method is idempotent (GET, HEAD, PUT, DELETE,
OPTIONS, TRACE): a POST may have been done, and is not sent twice
(RFC 9112 9.3.1).

What it must never do: wait without a deadline, keep a connection whose
framing is in doubt (bytes left over, a parser that failed), or raise
anything but ``FetchError`` from ``fetch`` (``get`` raises nothing).
"""

import re
import socket
import ssl as _ssl
from urllib.parse import quote, urldefrag, urljoin, urlsplit

from ..streams import open_connection
from ..sync import Semaphore
from ..timeouts import TaskTimeout, timeout_after
from .http import ProtocolError, ResponseParser, encode_request

__all__ = ["Fetcher", "FetchError", "Page", "REDIRECTS"]

USER_AGENT = "trampoline/0.1"
REDIRECTS = (301, 302, 303, 307, 308)
#: The methods a client may send again when unsure whether they were done
#: (RFC 9110 9.2.2).
_IDEMPOTENT = frozenset(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"])
_UNSENDABLE = re.compile("[^\x21-\x7e]+")     # what cannot go in a request line as it is
_PRINTABLE = "".join(map(chr, range(0x21, 0x7f)))


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
    request, connecting included; ``max_redirects``: how many ``get``
    follows; ``user_agent``: what the requests say they come from;
    ``ssl``: the ``ssl.SSLContext`` that ``https`` connections use -- one
    trusting a private CA, ``trampoline.net.client_context(cafile)`` --
    by default ``ssl.create_default_context()``'s (the system's CAs).  A
    certificate it does not trust is a ``FetchError`` naming the URL.
    """

    def __init__(self, connections=4, timeout=10.0, max_redirects=5, user_agent=USER_AGENT,
                 *, ssl=None):
        if ssl is not None and not isinstance(ssl, _ssl.SSLContext):
            raise TypeError("Fetcher: ssl= needs an ssl.SSLContext (or None for the default "
                            "one), got %r" % (ssl,))
        self.ssl = ssl
        self.user_agent = user_agent
        self.slots = Semaphore(connections)
        self._limit = connections
        self._in_flight = 0             # requests holding a slot
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.idle = {}                  # (scheme, host, port) -> [(stream, parser)]
        self.opened = 0                 # connections opened, in all

    def close(self):
        """Close every idle pooled connection."""
        for pool in self.idle.values():
            for stream, _ in pool:
                stream.close()
        self.idle.clear()

    def fetch(self, url, method="GET"):
        """``response = yield fetcher.fetch(url, method="GET")``: one request,
        no redirects followed."""
        key, request = self._request(url, method)
        yield self.slots.acquire()
        self._in_flight += 1
        try:
            try:
                return (yield timeout_after(self.timeout, self._exchange(key, request, method)))
            except TaskTimeout:
                raise FetchError("%s: no response within %g s" % (url, self.timeout)) from None
            except ProtocolError as exc:
                raise FetchError("%s: bad response: %s" % (url, exc)) from None
            except OSError as exc:
                raise FetchError("%s: %s" % (url, exc.strerror or exc)) from None
            except ValueError as exc:   # pragma: no cover - defensive: _request checked the name
                raise FetchError("%s: %s" % (url, exc)) from None     # (IDNA's UnicodeError...)
        finally:
            self._in_flight -= 1
            self.slots.release()

    def _request(self, url, method):
        """``(scheme, host, port)`` and the bytes of the request for ``url``;
        ``FetchError`` saying what is wrong with it."""
        try:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError("%s: not an http(s) URL" % url)
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                raise FetchError("%s: bad port" % url) from None
            try:
                # The name as DNS and the Host header spell it (punycode):
                # an empty or too long label is refused here, by name.
                hostname = parts.hostname.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise FetchError("%s: bad host name %r: %s" % (url, parts.hostname, exc)) from None
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            # What a browser sends for a space, a control or a non-ASCII
            # character in a link: its UTF-8 bytes, percent-encoded.
            target = _UNSENDABLE.sub(lambda found: quote(found.group(), safe=""), target)
            host = hostname if parts.port is None else "%s:%d" % (hostname, port)
            if ":" in hostname:
                host = "[%s]" % hostname + host[len(hostname):]
            request = encode_request(method, target, [("Host", host),
                                                      ("User-Agent", self.user_agent),
                                                      ("Accept-Encoding", "identity")])
        except ValueError as exc:       # urlsplit's "Invalid IPv6 URL", a lone surrogate...
            raise FetchError("%s: bad URL: %s" % (url, exc)) from None
        return (parts.scheme, hostname, port), request

    def _exchange(self, key, request, method):
        """Send ``request`` and read its response, on an idle connection if
        there is one (once more on a new one if that had gone stale, and
        the method is idempotent)."""
        pool = self.idle.setdefault(key, [])
        while pool:
            stream, parser = pool.pop()
            if _spoke_out_of_turn(stream):
                stream.close()          # a 408 sent before closing, the end, a reset
                continue
            try:
                response = yield self._round_trip(stream, parser, request, method)
            except (OSError, _Stale) as exc:
                stream.close()          # closed by the server meanwhile: try anew --
                if method in _IDEMPOTENT:   # if doing it twice does no harm (RFC 9112 9.3.1)
                    continue
                if isinstance(exc, OSError):
                    raise
                raise ProtocolError(0, "the server closed the kept-alive connection without a "
                                    "response; a %s is not sent again: it may have been done"
                                    % method) from None
            except BaseException:       # (a bad response too: the server answered --
                stream.close()          # asked again, it would do the work twice)
                raise
            self._keep(key, stream, parser, response)
            return response
        self._make_room()
        scheme, host, port = key
        context = None
        if scheme == "https":
            context = self.ssl if self.ssl is not None else True     # (True: the default one)
        stream = yield open_connection(host, port, ssl=context)
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

    def _make_room(self):
        """Close idle connections kept for other places (there is none
        for this one) until a new connection keeps those open within
        ``connections``."""
        idle = sum(len(pool) for pool in self.idle.values())
        for pool in self.idle.values():
            while pool and idle + self._in_flight > self._limit:
                stream, _ = pool.pop(0)
                stream.close()
                idle -= 1

    def _keep(self, key, stream, parser, response):
        if response.keep_alive and not parser.buffered and not parser.dead:
            self.idle[key].append((stream, parser))
        else:
            stream.close()

    def get(self, url):
        """``page = yield fetcher.get(url)``: fetch ``url``, following
        redirects; failures are in ``page.error``, never raised.  A
        ``Location`` without a fragment keeps the URL's (``#part``), as RFC
        9110 says: ``page.final_url`` ends with it."""
        page = Page(url)
        try:
            while True:
                try:
                    response = yield self.fetch(page.final_url)
                except FetchError as exc:
                    if page.redirects:  # say where the redirects led from
                        raise FetchError("%s -> %s" % (url, exc)) from None
                    raise
                locations = {value for name, value in response.headers if name == b"location"}
                if response.status not in REDIRECTS or not locations:
                    break
                # An empty Location (a relative reference to the page
                # itself) or two of them: no place to go -- and the first
                # would come back here until the limit, saying only that.
                where = page.final_url if not page.redirects else "%s -> %s" % (
                    url, page.final_url)
                if len(locations) > 1:
                    raise FetchError("%s: a %d redirect with %d different Location headers: %s"
                                     % (where, response.status, len(locations),
                                        b", ".join(sorted(locations)).decode("latin-1")))
                location = locations.pop()
                if not location:
                    raise FetchError("%s: a %d redirect with an empty Location header"
                                     % (where, response.status))
                if len(page.redirects) >= self.max_redirects:
                    loop = (" (a loop: %s again)" % page.final_url
                            if page.final_url in page.redirects else "")
                    raise FetchError("%s: more than %d redirects%s"
                                     % (url, self.max_redirects, loop))
                page.redirects.append(page.final_url)
                # Bytes beyond ASCII (a UTF-8 path) percent-encoded as they
                # are, as curl and browsers do: not decoded as Latin-1 and
                # encoded again as UTF-8.
                location = quote(location, safe=_PRINTABLE)
                try:
                    target = urljoin(page.final_url, location)
                except ValueError as exc:       # "http://[::1/x": no URL at all
                    raise FetchError("%s: bad redirect to %s: %s"
                                     % (page.final_url, location, exc)) from None
                fragment = urldefrag(page.final_url).fragment
                if "#" not in location and fragment:
                    target += "#" + fragment    # RFC 9110 10.2.2: kept, as browsers do
                page.final_url = target
            page.status = response.status
            page.headers = response.headers
            page.body = response.body
        except FetchError as exc:
            page.error = str(exc)
        return page


def _spoke_out_of_turn(stream):
    """Whether an idle kept-alive connection has something to read before
    a request is sent on it -- a response to no request (servers send a 408
    before they close one), the end of stream, an error: it is out of step,
    and the next response read there would not be the answer."""
    try:                                # (the raw socket's recv: SSLSocket's takes no flags)
        socket.socket.recv(stream.sock, 1, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        return False                    # nothing: the connection can carry a request
    except OSError:
        pass
    return True


class _Stale(Exception):
    """A kept-alive connection that the server had closed."""
