"""An HTTP/1.1 server over the sans-I/O parser: routing, limits, timeouts, static files.

    from trampoline.protocols.http_server import Response, Router, make_handler
    router = Router()
    router.add("/", lambda request: Response("Hello, world!\n"))
    run(tcp_server("127.0.0.1", 8080, make_handler(router)))

What it is for: serving an application over HTTP/1.1 -- keep-alive,
pipelining, chunked uploads, ``100 Continue`` -- without trusting the
client.  ``examples/http_server.py`` is a program built on it.

The idea.  Bytes go into the sans-I/O parser (``protocols/http.py``),
complete requests come out; a ``Router`` maps each one to a handler, a plain
function ``handler(request)`` that returns a ``Response`` -- or a generator
that yields traps first (and then returns the ``Response``).
``make_handler(router, limits)`` turns that into the ``handler(stream,
address)`` that ``tcp_server`` (or ``run_server``) runs for each
connection.  Pipelined requests that arrive together are answered with one
write (one per ``PIPELINE_FLUSH`` answers).

Every limit answers with its status and closes the connection: request line
too long 414, headers too large 431, body too large 413, malformed 400,
unsupported (a transfer coding, a method) 501, a head that takes longer than
``Limits.header_timeout`` 408 -- so a slowloris client cannot hold a
connection for long.  A keep-alive connection idle for ``idle_timeout`` is
closed, a little after: one watcher per kernel looks at the waiting
connections every second (every quarter of the timeout, if shorter), so a
request costs no timer.  Every write has a deadline (``send_timeout``): a
client that sends requests and never reads the answers is let go too.  When
the server is cancelled (a shutdown), requests being handled get ``grace``
seconds to finish and be answered with ``Connection: close``.

What it must never do: block the loop on a client (static files are regular
files read from the local disk; a FIFO or a device under the static root is
refused, never opened for reading), wait without a deadline on a client, or
let a bug in one handler take down more than that request (500, logged
once).
"""

import collections
import errno
import logging
import math
import mimetypes
import os
import socket
import ssl
import stat
from email.utils import formatdate
from html import escape
from time import time
from types import GeneratorType
from urllib.parse import quote
from weakref import WeakKeyDictionary

try:
    # Counting a request into the stats Counter: ``stats[key] += 1`` stores
    # through Counter's item slot, which is Python's because Counter defines
    # __delitem__ (~1,650 instructions, a dict's ~650); the helper behind
    # Counter.update(iterable), given a tuple of one key, stores with the
    # dict's own setitem (~1,150; CPython 3.8 to 3.13).  Any mapping works.
    from collections import _count_elements as _count  # type: ignore[attr-defined]
except ImportError:                     # pragma: no cover - every Python we know has it
    def _count(mapping, keys):
        for key in keys:
            mapping[key] = mapping.get(key, 0) + 1

from ..errors import Cancelled, TaskError
from ..net import format_address
from ..streams import _stop_reading     # (what run_server's drain does to an idle stream)
from ..timeouts import TaskTimeout, ignore_after, timeout_after
from ..traps import cancel, current_kernel, join, read, sleep, spawn, write
from .http import (MAX_BODY, MAX_HEAD, MAX_HEADERS, MAX_LINE, STATUS_REASONS,
                   ProtocolError, RequestParser, encode_headers)

__all__ = ["Limits", "Response", "Router", "error_response", "make_handler", "static_files"]

log = logging.getLogger("trampoline.http")

#: How much one read asks for.
CHUNK = 262144
#: How many answers to pipelined requests are gathered, at most, before
#: they are written: a client that pipelines many small requests and reads
#: nothing makes the server hold that many answers, not an answer for
#: every request in a read (a 256 KiB read of 27-byte requests: 9,700
#: answers, 1.3 MB).
PIPELINE_FLUSH = 32
_A_REQUEST = ("http_requests",)         # (what _count adds one to, per request)
#: The methods the server knows; any other gets 501.
KNOWN_METHODS = frozenset(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])


class Limits:
    """How much a client may send, and how slowly.

    ``max_line`` (the request line, else 414), ``max_head`` and
    ``max_headers`` (else 431), ``max_body`` (else 413); ``header_timeout``:
    seconds from a request's first byte to the end of its head (else 408),
    ``body_timeout``: seconds for its body, ``idle_timeout``: seconds a
    keep-alive connection may wait for its next request (it is closed
    within two seconds after; None: no limit); ``grace``: seconds
    a request being handled may still take at shutdown; ``send_timeout``:
    seconds a large write (a file, a big body) may take before the client
    counts as gone; ``linger``: seconds spent reading what a client still
    sends after the last response of a connection the server closes -- an
    error, or ``Connection: close`` with more requests pipelined behind it
    (so it reads the response instead of a connection reset; a client that
    sent nothing more is closed at once).  Raises ``TypeError`` for a size
    that is not an int or a time that is not a number (or None),
    ``ValueError`` for a size below 1 (``max_body``: below 0) or a time
    below 0 or NaN.
    """

    def __init__(self, max_line=MAX_LINE, max_head=MAX_HEAD, max_headers=MAX_HEADERS,
                 max_body=MAX_BODY, header_timeout=10.0, body_timeout=60.0,
                 idle_timeout=15.0, grace=10.0, send_timeout=60.0, linger=2.0):
        # A bad limit is said here, once, not by every connection it would break.
        for name, value, least in (("max_line", max_line, 1), ("max_head", max_head, 1),
                                   ("max_headers", max_headers, 1), ("max_body", max_body, 0)):
            if type(value) is not int:
                raise TypeError("Limits: %s must be an int, got %r" % (name, value))
            if value < least:
                raise ValueError("Limits: %s must be at least %d, got %r" % (name, least, value))
        for name, value in (("header_timeout", header_timeout), ("body_timeout", body_timeout),
                            ("idle_timeout", idle_timeout), ("grace", grace),
                            ("send_timeout", send_timeout), ("linger", linger)):
            if value is not None and type(value) not in (int, float):
                raise TypeError("Limits: %s must be a number of seconds or None, got %r"
                                % (name, value))
            if value is not None and not value >= 0:        # (NaN too)
                raise ValueError("Limits: %s must be >= 0 seconds (or None), got %r"
                                 % (name, value))
        self.max_line = max_line
        self.max_head = max_head
        self.max_headers = max_headers
        self.max_body = max_body
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.grace = grace
        self.send_timeout = send_timeout
        self.linger = linger

    def parser(self):
        """A ``RequestParser`` with these limits."""
        return RequestParser(max_line=self.max_line, max_head=self.max_head,
                             max_headers=self.max_headers, max_body=self.max_body)


# ============================================================ responses

# Per status, its line; per second, the ends of a head (see _encode_head):
# made once, reused.
_STATUS_LINES = {status: b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())
                 for status, reason in STATUS_REASONS.items()}
_ends = (0, None)                       # (the second, its ends of a head)


def _status_line(status):
    line = _STATUS_LINES.get(status)
    if line is None:
        line = b"HTTP/1.1 %d %s\r\n" % (status, STATUS_REASONS.get(status, "Unknown").encode())
    return line


# The fields a handler may not set (see Response), lowercased, str and bytes.
_SERVERS_FIELDS = frozenset(["content-length", "transfer-encoding", "connection", "date",
                             b"content-length", b"transfer-encoding", b"connection", b"date"])


class Response:
    """What a handler returns: ``Response(body=b"", status=200, headers=(),
    content_type="text/plain; charset=utf-8")``.

    ``body`` is bytes or str (sent as UTF-8).  ``headers`` are ``(name,
    value)`` pairs; ``Content-Length``, ``Date`` and ``Connection`` are the
    server's to add (a ``Content-Length`` that says the body's length is
    taken, and sent once).  They are encoded once, here, so a handler may return
    the same Response to every request.  ``close=True`` closes the
    connection after it.  ``Response.file(f, size, ...)`` sends an open
    binary file instead of a body.  Raises ``ValueError`` for a body with
    a status that has none (1xx, 204, 304) -- the client would read it as
    the start of the next response --, for a status that is not a final
    one (200 to 599: a 1xx is interim), and for a ``Content-Length`` that
    says another length, a ``Transfer-Encoding``, ``Connection`` or
    ``Date`` header: the server
    frames the body and says whether the connection goes on, and a second,
    different say would put the client out of step.
    """

    __slots__ = ("status", "body", "head", "close", "fileobj", "length")

    def __init__(self, body=b"", status=200, headers=(), content_type="text/plain; charset=utf-8",
                 close=False):
        if isinstance(body, str):
            body = body.encode("utf-8", "backslashreplace")  # (paths may hold surrogates)
        if body and (status < 200 or status == 204 or status == 304):
            # (No Content-Length either: RFC 9110 15.3.5, 15.4.5.)
            raise ValueError("a %d response has no body; got %d bytes" % (status, len(body)))
        if not 200 <= status <= 599:
            # A 1xx is interim: the client would wait on for the final
            # answer and take the next one's for it.  (And RFC 9110 15:
            # a code outside 100-599 is invalid.)
            raise ValueError("a handler's answer is final, 200 to 599; got %r" % (status,))
        if headers:                     # (most have none: no loop)
            headers = _handlers_fields(headers, len(body))
        if content_type is not None:
            headers = [("Content-Type", content_type)] + list(headers)
        self.status = status
        self.body = body
        self.close = close
        self.fileobj = None
        self._encode(headers, len(body))

    def _encode(self, headers, length):
        # Everything of the head but Date and Connection, encoded once.
        self.length = length
        status = self.status
        if status >= 200 and status != 204 and status != 304:
            # (One bytes made, not two: a concatenation less.)
            self.head = b"%s%sContent-Length: %d\r\n" % (_status_line(status),
                                                          encode_headers(headers), length)
        else:
            self.head = _status_line(status) + encode_headers(headers)

    @classmethod
    def file(cls, fileobj, size, content_type="application/octet-stream", headers=()):
        """A response whose body is ``size`` bytes read from ``fileobj``
        (closed once sent)."""
        response = cls(b"", 200, (), None)
        response.fileobj = fileobj
        response._encode([("Content-Type", content_type)] + _handlers_fields(headers, size), size)
        return response


def _handlers_fields(headers, length):
    """``headers`` as a list, once checked for none the server sends itself
    (see Response) -- but a ``Content-Length`` that says the body's
    ``length``, as the server's will, is taken (and left to the server's)."""
    headers = list(headers)
    same_length = None
    for field in headers:
        name, value = field
        lowered = name.lower() if type(name) is str else bytes(name).lower()
        if lowered in _SERVERS_FIELDS:
            if lowered in _LENGTH and _says(value) == str(length):
                same_length = field
                continue
            raise ValueError("the server sends %s itself; got %r%s" % (
                name if type(name) is str else bytes(name).decode("latin-1"), (name, value),
                " for a body of %d bytes" % length if lowered in _LENGTH else ""))
    if same_length is not None:
        headers = [field for field in headers if field is not same_length]
    return headers


_LENGTH = ("content-length", b"content-length")


def _says(value):
    """A header's value as text, without the spaces around it."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("latin-1")
    return str(value).strip()


def error_response(status, message, close=False, headers=()):
    """A short plain-text answer: ``"<status> <reason>: <message>"``."""
    text = "%d %s: %s\n" % (status, STATUS_REASONS.get(status, "Error"), message)
    return Response(text, status, headers, close=close)


def _ends_of_head(second):
    """The three ends of a head in ``second`` (Unix time): the Date, then
    what keep-alive HTTP/1.1, keep-alive HTTP/1.0 and a close need.  Made
    once a second."""
    global _ends
    if _ends[0] != second:
        date = b"Date: %s\r\n" % formatdate(second, usegmt=True).encode()
        _ends = second, (date + b"\r\n",                            # HTTP/1.1 keep-alive
                         date + b"Connection: keep-alive\r\n\r\n",  # HTTP/1.0 keep-alive
                         date + b"Connection: close\r\n\r\n")
    return _ends[1]


def _encode_head(response, keep_alive, version):
    """The status line and headers for ``response`` (bytes)."""
    second = int(time())
    ends = _ends[1] if _ends[0] == second else _ends_of_head(second)
    if not keep_alive:
        return response.head + ends[2]
    if version == b"HTTP/1.0":
        return response.head + ends[1]
    return response.head + ends[0]


# ============================================================ the router

# The answer to "OPTIONS *" (see Router): the server is there.
_SERVER_OPTIONS = Response(b"", 200, content_type=None)


class Router:
    """Maps a request to its handler: exact paths (``add``) first, then
    prefixes (``mount``), longest first.  HEAD is allowed wherever GET is.
    No route: 404; a route without the method: 405 (with ``Allow``); a
    method the server does not know: 501.  ``OPTIONS *``, a question to the
    server rather than to a page (RFC 9110 9.3.7: a ping), is answered 200
    with no body unless a route takes the path ``*``."""

    def __init__(self):
        self._exact = {}                # path -> (handler, methods)
        self._prefixes = []             # (prefix, handler, methods), longest first

    def add(self, path, handler, methods=("GET",)):
        """Route ``path`` (exact) to ``handler`` for ``methods``."""
        self._exact[path] = (handler, _allowed(methods))

    def route(self, path, methods=("GET",)):
        """Decorator: ``@router.route("/hello")``."""
        def register(handler):
            self.add(path, handler, methods)
            return handler
        return register

    def mount(self, prefix, handler, methods=("GET",)):
        """Send every path that starts with ``prefix`` to ``handler``."""
        self._prefixes.append((prefix, handler, _allowed(methods)))
        self._prefixes.sort(key=lambda entry: -len(entry[0]))

    def dispatch(self, request):
        """The handler's Response (or generator), or an error Response."""
        route = self._exact.get(request.path) or self._prefixed(request.path)
        if route is None or (route[1] is not None and request.method not in route[1]):
            return self._refuse(request, route)
        handler = route[0]
        try:
            response = handler(request)
        except Exception:
            return _handler_failed(handler, request)
        if (type(response) is not Response and type(response) is not GeneratorType
                and not isinstance(response, Response)):
            return _not_a_response(handler, response)
        return response

    def _prefixed(self, path):
        for prefix, handler, methods in self._prefixes:
            if path.startswith(prefix):
                return handler, methods
        return None

    def refusal(self, request):
        """The answer ``dispatch`` gives ``request`` without a handler (404,
        405, 501; 200 to ``OPTIONS *``), or None when a handler takes it.
        It needs only the head: the server asks it before it says ``100
        Continue`` to a client waiting to send a body."""
        route = self._exact.get(request.path) or self._prefixed(request.path)
        if route is None or (route[1] is not None and request.method not in route[1]):
            return self._refuse(request, route)
        return None

    @staticmethod
    def _refuse(request, route):
        if request.method not in KNOWN_METHODS:
            return error_response(501, "method %s not implemented" % request.method)
        if route is None:
            if request.target == "*":           # "OPTIONS *" (the parser's only "*")
                return _SERVER_OPTIONS
            return error_response(404, "no such page: %s" % request.path)
        return error_response(405, "%s is not allowed here" % request.method,
                              headers=[("Allow", ", ".join(sorted(route[1])))])


def _handler_failed(handler, request):
    log.exception("handler %s failed on %s %s", getattr(handler, "__name__", handler),
                  request.method, request.target)
    return error_response(500, "the handler failed; see the server's log")


def _not_a_response(handler, response):
    log.error("handler %s returned %r, not a Response", getattr(handler, "__name__", handler),
              response)
    return error_response(500, "the handler failed; see the server's log")


def _allowed(methods):
    if methods is None:
        return None                     # anything
    methods = frozenset(methods)
    return methods | {"HEAD"} if "GET" in methods else methods


# ============================================================ connections

def make_handler(router, limits=None, stats=None, access_log=None):
    """The ``handler(stream, address)`` for ``tcp_server`` that serves HTTP
    with ``router``.  ``limits``: a ``Limits``.  ``stats``: a
    ``collections.Counter`` the server counts into (``http_connections``,
    ``http_requests``, ``http_errors``, ``http_in_flight``: handlers
    running now).  ``access_log``: a ``logging.Logger`` told one line per
    answer, naming the client's address -- the real client's behind a load
    balancer that speaks the PROXY protocol (``proxy_protocol=True``)."""
    limits = Limits() if limits is None else limits
    stats = collections.Counter() if stats is None else stats
    if not isinstance(stats, collections.Counter):  # (a dict: KeyError in every connection)
        raise TypeError("make_handler(): stats must be a collections.Counter, got %r"
                        % (stats,))
    watches = WeakKeyDictionary()       # kernel -> its _IdleWatch

    def http_connection(stream, address):
        return _connection(stream, router, limits, stats,
                           _access_logger(access_log, address) if access_log else None,
                           watches)
    return http_connection


def _access_logger(logger, address):
    """``logged(request, response)`` for one connection: the common log
    format's essentials, client address first."""
    if isinstance(address, tuple):
        client = format_address(address)
    else:
        client = address or "unix"

    def logged(request, response):
        if request is None:
            line = "-"
        else:
            line = "%s %s %s" % (request.method, request.target, request.version.decode())
        logger.info('%s "%s" %d %d', client, line, response.status, response.length)
    return logged


def _connection(stream, router, limits, stats, logged=None, watches=None):
    """Serve one connection: read, parse, dispatch, answer, until the
    client closes, an error closes it, or it idles too long."""
    sock = stream.sock
    send_timeout = limits.send_timeout
    idle_timeout = limits.idle_timeout
    watch = None                        # (see _IdleWatch; a TLS wait keeps its scope)
    tls = isinstance(sock, ssl.SSLSocket)
    # (A plain stream's read is the kernel's trap itself, the stream's own
    # one again and again: no generator per call on the hot path.)
    receive = stream.read
    if tls:
        def send_rest(data):
            return timeout_after(send_timeout, stream.write(data))
    else:
        def send_rest(data):
            # Every write has a deadline: a client that sends requests and
            # never reads the answers must not hold the connection forever.
            # Most answers fit the socket's buffer and go out here and now
            # (no trap, no alarm: None); what does not fit waits, under the
            # alarm: what this returns, to yield.
            try:
                sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            if sent == len(data):
                return None
            return timeout_after(send_timeout, write(sock, memoryview(data)[sent:]))

        if idle_timeout is not None and watches is not None:
            kernel = yield current_kernel()
            watch = watches.get(kernel)
            if watch is None:
                watch = watches[kernel] = _IdleWatch(idle_timeout)
            waiting = watch.waiting

    def send(data):
        return send_rest(data) or _nothing()

    # A plain stream that has begun hands out its one read trap, again and
    # again (Stream.read): once it did so twice in a row, that trap is
    # yielded as it is -- the stream's checks (a closed stream, bytes
    # buffered, a graceful leave's new connection) cannot change their
    # answer while this task is its only reader and closes it only on
    # leaving.  (~55 bytecodes and a fileno() less per request.)
    direct = asked_before = None
    exact_routes = router._exact if type(router) is Router else None    # (see dispatch)
    # The last answer sent whole, and what it was made of: the same Response
    # again within the second (a Date, a Connection the same) is the same
    # bytes, not two concatenations again (~1,000 instructions).
    last_answer = last_end = last_head = last_body = None
    parser = limits.parser()
    out = []                            # answers ready, not yet written
    stats["http_connections"] += 1
    try:
        while True:
            try:
                if parser.idle:                 # (nothing to parse: no call to the parser)
                    if out:                     # answer what came before waiting
                        data = out[0] if len(out) == 1 else b"".join(out)
                        out.clear()
                        if tls:
                            yield send_rest(data)
                        else:                   # (send_rest inline: no call per request)
                            try:
                                sent = sock.send(data)
                            except (BlockingIOError, InterruptedError):
                                sent = 0
                            if sent != len(data):
                                yield timeout_after(send_timeout,
                                                    write(sock, memoryview(data)[sent:]))
                    if watch is None:
                        data = yield ignore_after(idle_timeout, receive(CHUNK))
                    else:                       # (inline: no call per request)
                        waiting[sock] = watch.tick
                        if not watch.running:
                            yield watch.start()
                        try:
                            if direct is None:
                                asked = receive(CHUNK)
                                if asked is asked_before:
                                    direct = asked      # (see below: the stream's own trap)
                                asked_before = asked
                                data = yield asked
                            else:
                                data = yield direct
                        finally:
                            if sock in waiting:     # (not a pop(): a method call)
                                del waiting[sock]
                    if not data:                # closed, or idle too long
                        return
                    request = parser._next_fed(data)    # (feed, next_request: one call)
                else:
                    if len(out) >= PIPELINE_FLUSH:
                        # More requests pipelined behind these: answer these
                        # first -- and wait while the client does not read.
                        data = b"".join(out)
                        out.clear()
                        yield send(data)
                    request = parser.next_request()
                if request is None:
                    if parser.idle:             # (empty lines only: still idle)
                        continue
                    if out:                     # answer what came before waiting
                        yield send(b"".join(out))
                        out.clear()
                    request = yield _rest_of_request(parser, receive, send, limits, router)
            except _Refused as refused:
                _count(stats, _A_REQUEST)
                if logged is not None:
                    logged(refused.request, refused.response)
                head = _encode_head(refused.response, False, refused.request.version)
                # (To HEAD: the head alone, as for any answer to HEAD.)
                out.append(head if refused.request.method == "HEAD"
                           else head + refused.response.body)
                yield send(b"".join(out))
                yield _linger(sock, limits.linger)
                return
            except ProtocolError as error:
                stats["http_errors"] += 1
                response = error_response(error.status, str(error), close=True)
                if logged is not None:
                    logged(None, response)
                out.append(_encode_head(response, False, b"HTTP/1.1") + response.body)
                yield send(b"".join(out))
                yield _linger(sock, limits.linger)
                return
            _count(stats, _A_REQUEST)          # stats["http_requests"] += 1, see _count
            # router.dispatch(request) for an exact route that takes the
            # method, inline: a call less per request.  (Anything else, and
            # a Router of another class, is dispatch's.)
            route = exact_routes.get(request.path) if exact_routes is not None else None
            if route is not None and (route[1] is None or request.method in route[1]):
                handler = route[0]
                try:
                    response = handler(request)
                except Exception:
                    response = _handler_failed(handler, request)
                if (type(response) is not Response and type(response) is not GeneratorType
                        and not isinstance(response, Response)):
                    response = _not_a_response(handler, response)
            else:
                response = router.dispatch(request)
            keep_alive = request.keep_alive
            if type(response) is GeneratorType:
                if out:
                    yield send(b"".join(out))
                    out.clear()
                response, shutting_down = yield _run_handler(response, limits.grace, stats)
                if shutting_down:
                    keep_alive = False
            if response.close:
                keep_alive = False
            if logged is not None:
                logged(request, response)
            # _encode_head(response, keep_alive, request.version), inline:
            # a call less per request.
            second = int(time())
            ends = _ends[1] if _ends[0] == second else _ends_of_head(second)
            if not keep_alive:
                end = ends[2]
            elif request.version == b"HTTP/1.0":
                end = ends[1]
            else:
                end = ends[0]
            if request.method != "HEAD":
                if response.fileobj is None:    # (one bytes: nothing to join to send it)
                    head = response.head
                    body = response.body
                    if end is not last_end or head is not last_head or body is not last_body:
                        last_answer = head + end + body
                        last_end = end
                        last_head = head
                        last_body = body
                    out.append(last_answer)
                else:
                    out.append(response.head + end)
                    yield _send_file(send, out, response)
            else:
                out.append(response.head + end)
                if response.fileobj is not None:
                    response.fileobj.close()
            if not keep_alive:
                yield send(b"".join(out))
                if _unread_input(sock, parser):
                    # Closing now would reset the connection (RFC 9112 9.6)
                    # and destroy the answer still on its way: linger.
                    yield _linger(sock, limits.linger)
                return
    except (ConnectionError, TaskTimeout):
        return                          # the client went away, or stopped reading


class _IdleWatch:
    """The keep-alive connections of one kernel waiting for their next
    request, and the task that lets go of those idle for ``timeout``
    seconds: it half-closes them for reading, so the wait gets the end of
    the stream.  (A timeout scope around every wait cost a third of the
    instructions of a request; this costs a dict entry.)  Every ``period``
    seconds the watcher counts a tick, and a wait is stamped with the tick
    it began in: ``ticks`` ticks later it has lasted ``timeout`` seconds at
    least, and less than two periods more.  The watcher runs while
    connections wait, and ends when none does."""

    def __init__(self, timeout):
        self.period = min(1.0, max(timeout / 4, 0.01))
        self.ticks = math.ceil(timeout / self.period) + 1 if timeout < math.inf else math.inf
        self.tick = 0
        self.waiting = {}               # socket -> the tick its wait began in
        self.running = False

    def start(self):
        """The trap that starts the watcher (a connection began to wait)."""
        self.running = True
        return spawn(self._watch(), name="http idle watch")

    def _watch(self):
        try:
            while self.waiting:
                yield sleep(self.period)
                self.tick += 1
                began_by = self.tick - self.ticks
                for sock, began in list(self.waiting.items()):
                    if began <= began_by:
                        del self.waiting[sock]
                        _stop_reading(sock)
        finally:
            self.running = False


def _nothing():
    """A subroutine that does nothing: what ``send`` returns when the data
    is already sent."""
    return None
    yield   # pragma: no cover - makes this a generator


class _Refused(Exception):
    """A request the router refuses from its head alone (no route, a method
    not allowed), whose client waits for ``100 Continue`` before it sends
    the body: answered at once, the body never asked for, the connection
    closed (RFC 9110 10.1.1: a server may answer with the final status
    instead; curl then sends no body)."""

    def __init__(self, request, response):
        Exception.__init__(self, response.status)
        self.request = request
        self.response = response


def _rest_of_request(parser, receive, send, limits, router):
    """Read until ``parser`` has a whole request (its first bytes are in,
    and it has just said it needs more): the head within
    ``header_timeout``, then -- after a ``100 Continue`` if the client
    waits for one and the router would take the request -- the body within
    ``body_timeout``.  Raises ProtocolError, 408 for a timeout; _Refused."""
    if parser.pending is None:          # (the head is in already: no scope for it)
        try:
            request = yield timeout_after(limits.header_timeout,
                                          _read_until(parser, receive, True))
        except TaskTimeout:
            raise ProtocolError(408, "the request head took longer than %g s"
                                % limits.header_timeout) from None
        if request is not None:
            return request
    if parser.pending.expect_continue:
        refused = router.refusal(parser.pending)
        if refused is not None:
            raise _Refused(parser.pending, refused)
        yield send(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        return (yield timeout_after(limits.body_timeout, _read_until(parser, receive, False)))
    except TaskTimeout:
        raise ProtocolError(408, "the request body took longer than %g s"
                            % limits.body_timeout) from None


def _read_until(parser, receive, head_only):
    """Feed ``parser`` until it has a request; with ``head_only``, return
    None as soon as the head is in and the body is still to come.  (The
    parser has just said it needs more: a read first, not a call that
    would say so again.)"""
    while True:
        data = yield receive(CHUNK)
        if data:
            parser.feed(data)
        else:
            parser.feed_eof()           # next_request() says what was cut short
        request = parser.next_request()
        if request is not None:
            return request
        if head_only and parser.pending is not None:
            return None


def _run_handler(coro, grace, stats):
    """Run a generator handler in a task of its own, so that a shutdown
    (our cancellation) lets it finish within ``grace`` seconds.  Returns
    ``(response, shutting_down)``."""
    stats["http_in_flight"] += 1
    task = yield spawn(coro)
    try:
        try:
            return _checked((yield join(task)), coro), False
        except Cancelled as exc:
            cancelled = exc             # shutting down: finish this request first
        try:
            response = yield timeout_after(grace, join(task))
        except TaskTimeout:
            raise cancelled from None
        return _checked(response, coro), True
    except TaskError as exc:
        log.error("handler failed", exc_info=exc.__cause__)
        return error_response(500, "the handler failed; see the server's log"), False
    finally:
        stats["http_in_flight"] -= 1
        if not task.done:
            yield cancel(task)


def _checked(response, coro):
    if isinstance(response, Response):
        return response
    return _not_a_response(coro, response)


def _send_file(send, out, response):
    """Write the head in ``out`` and then the file, a chunk at a time."""
    with response.fileobj as fileobj:
        remaining = response.length
        while remaining > 0:
            # A local file: a read from the page cache, quick enough here.
            data = fileobj.read(min(CHUNK, remaining))
            if not data:
                raise ConnectionError("%s shrank while being sent" % fileobj.name)
            remaining -= len(data)
            out.append(data)
            yield send(b"".join(out))
            out.clear()


def _unread_input(sock, parser):
    """Whether the client has sent bytes the server will not read: more
    pipelined requests after the last answer, in ``parser`` or still in the
    socket.  (With none, a close sends no reset: no need to linger.)"""
    if not parser.idle:
        return True
    if isinstance(sock, ssl.SSLSocket):
        return False                    # (_linger does nothing there)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except (BlockingIOError, InterruptedError):
        return False                    # nothing waiting
    except OSError:
        return False                    # reset: nothing left to save


def _linger(sock, seconds):
    """The staged close of RFC 9112 9.6, after the last response of a
    connection the server closes while the client may still be sending
    (an error, or pipelined requests after ``Connection: close``): say we
    are done, then read (and drop) what the client still sends for a
    while, so that closing does not reset the connection -- a reset
    destroys the answer the client has not read yet."""
    if isinstance(sock, ssl.SSLSocket):
        return
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return

    def drain():
        for _ in range(64):             # at most 16 MiB
            if not (yield read(sock, CHUNK)):
                return
    try:
        yield ignore_after(seconds, drain())
    except OSError:
        pass


# ============================================================ static files

def static_files(root, prefix="/static/"):
    """A handler serving the files under directory ``root`` at ``prefix``.

    A path that climbs out of ``root`` (``..``, or a symbolic link that
    leads outside) is refused with 403, and so is a hidden name (one that
    starts with a dot: ``.git``, ``.env``); a directory is listed, or its
    ``index.html`` served.  Only regular files are served: a FIFO, a socket
    or a device under ``root`` gets 403 (opening a FIFO for reading would
    wait for a writer, and the whole server with it).  A file or directory
    that cannot be opened gets 403 -- or, while the server is out of
    descriptors (or memory), 503 with ``Retry-After``: it is there, try
    again.  Raises
    ``FileNotFoundError`` (``NotADirectoryError``) naming ``root`` if it is
    not a directory: a server with nothing to serve should not start.
    """
    if not os.path.isdir(root):
        exists = os.path.exists(root)
        raise (NotADirectoryError if exists else FileNotFoundError)(
            errno.ENOTDIR if exists else errno.ENOENT,
            "the static directory %s %s" % (root, "is not a directory" if exists
                                            else "does not exist"))
    root = os.path.realpath(root)

    def serve_file(request):
        relative = request.path[len(prefix):]
        parts = relative.split("/")
        if ".." in parts or "\0" in relative or "\\" in relative:
            return error_response(403, "path traversal refused: %s" % request.path)
        if any(part.startswith(".") for part in parts):
            return error_response(403, "hidden files are not served: %s" % request.path)
        path = os.path.realpath(os.path.join(root, *[p for p in parts if p]))
        if path != root and not path.startswith(root + os.sep):
            return error_response(403, "path traversal refused: %s" % request.path)
        if os.path.isdir(path):
            if not request.path.endswith("/"):
                location = quote(request.path + "/", errors="surrogateescape")
                if request.query:
                    location += "?" + request.query
                return Response("see %s\n" % location, 301, [("Location", location)])
            index = os.path.join(path, "index.html")
            if not os.path.isfile(index):
                return _listing(request.path, path)
            path = index
        opened = _open_regular_file(path, request.path)
        if isinstance(opened, Response):
            return opened
        fileobj, size = opened
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        return Response.file(fileobj, size, content_type)
    return serve_file


def _open_regular_file(path, url_path):
    """``(fileobj, size)`` for the regular file at ``path``, or the error
    Response.  Checked before opening, and opened without blocking
    (``O_NONBLOCK``: a FIFO put there in between opens at once instead of
    waiting for a writer), then checked again on the descriptor."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return error_response(403, "not a regular file: %s" % url_path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError):
        return error_response(404, "no such file: %s" % url_path)
    except OSError as exc:
        return _cannot_open(url_path, exc)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return error_response(403, "not a regular file: %s" % url_path)
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)       # a regular file: reads never wait anyway
    return open(fd, "rb"), info.st_size


# Out of descriptors or memory: the file is there, the server is busy.
_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOMEM}


def _cannot_open(url_path, exc):
    """The answer to a file or directory under the static root that
    could not be opened: 503 (try again) if the server is out of
    descriptors or memory, else 403."""
    if exc.errno in _EXHAUSTED:
        return error_response(503, "cannot open %s now: %s" % (url_path, exc.strerror),
                              headers=[("Retry-After", "1")])
    return error_response(403, "cannot open %s: %s" % (url_path, exc.strerror))


def _listing(url_path, directory):
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        return _cannot_open(url_path, exc)
    items = []
    for name in names:
        if name.startswith("."):
            continue
        if os.path.isdir(os.path.join(directory, name)):
            name += "/"
        items.append('<li><a href="%s">%s</a></li>' % (
            escape(quote(name, errors="surrogateescape")), escape(name)))
    page = ("<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n<h1>%s</h1>\n"
            "<ul>\n%s\n</ul>\n</body></html>\n" % (escape(url_path), escape(url_path),
                                                   "\n".join(items)))
    return Response(page, content_type="text/html; charset=utf-8")
