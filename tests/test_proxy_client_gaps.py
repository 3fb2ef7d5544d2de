"""What no other test pinned in protocols/proxy.py and protocols/http_client.py.

Each test here was written against a mutant of the module (a flipped
comparison, a dropped statement ...) that the rest of the suite let pass:
the PROXY parser's CRC32C size rule and its messages, and the HTTP
client's request line and headers, its connection bound, its ``close()``
and the errors it reports.  Real sockets on 127.0.0.1, one kernel each.
"""

import socket
import struct
from unittest import mock

import pytest

from net_helpers import free_port, needs_ipv6, open_fds, start_server, watchdog  # noqa: F401
from trampoline import Event, Future, cancel, ignore_after, join, run, spawn
from trampoline.protocols.http_client import Fetcher, FetchError, Page
from trampoline.protocols.proxy import (PP2_TYPE_CRC32C, V2_SIGNATURE, ProxyHeader,
                                        ProxyProtocolError, crc32c, parse_header)
from trampoline.streams import IncompleteReadError, tcp_server

WATCHDOG_SECONDS = 20
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


# ================================================================ the PROXY protocol

def v2_inet(tlvs=b""):
    addresses = (socket.inet_pton(socket.AF_INET, "203.0.113.7")
                 + socket.inet_pton(socket.AF_INET, "192.0.2.1") + struct.pack("!HH", 5, 443))
    return V2_SIGNATURE + b"\x21\x11" + struct.pack("!H", len(addresses + tlvs)) + addresses + tlvs


def test_a_crc32c_tlv_longer_than_4_bytes_is_refused_even_when_its_first_4_match():
    """The spec's CRC32C is 32 bits: a 5-byte one is refused (it was taken,
    its first 4 bytes checked, the fifth ignored)."""
    blank = v2_inet(struct.pack("!BH", PP2_TYPE_CRC32C, 5) + b"\x00\x00\x00\x00X")
    crc = struct.pack("!I", crc32c(blank))
    data = blank[:-5] + crc + b"X"
    with pytest.raises(ProxyProtocolError) as info:
        parse_header(data)
    assert "CRC32C TLV at byte 28 has 5 bytes (expected 4)" in str(info.value)
    assert info.value.offset == 28


def test_a_refused_header_of_exactly_40_bytes_is_shown_whole_without_dots():
    """The message shows the bytes, cut at 40 with "..." after: 40 bytes
    are all there, no "..." (it said "..." when nothing was cut)."""
    for garbage, dots in [(b"G" * 40, False), (b"G" * 41, True)]:
        with pytest.raises(ProxyProtocolError) as info:
            parse_header(garbage)
        assert repr(b"G" * 40) in str(info.value)
        assert ("..." in str(info.value)) is dots


def test_a_proxy_header_compared_with_something_else_lets_that_decide():
    """``__eq__`` with a foreign object returns NotImplemented (the data
    model's rule), so ``mock.ANY`` and the like still match a header, in a
    tuple too; it said False outright."""
    header = ProxyHeader(1, "PROXY", socket.AF_UNSPEC, 0, None, None)
    assert header == mock.ANY
    assert (header, 7) == (mock.ANY, 7)
    assert header != ("PROXY",)
    assert not header == ("PROXY",)


# ================================================================ the HTTP client

def echo_head(stream, address):
    """A server's handler: answer every request with its own head."""
    while True:
        try:
            head = yield stream.readuntil(b"\r\n\r\n")
        except IncompleteReadError:
            return
        yield stream.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                           % (len(head), head))


def fetch_heads(urls_of, host="127.0.0.1"):
    """Serve ``echo_head`` on ``host``; fetch each of ``urls_of(port)``;
    return the request heads the server saw, split in lines."""
    def main():
        task, port = yield start_server(echo_head, host=host)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            heads = []
            for url in urls_of(port):
                response = yield fetcher.fetch(url)
                heads.append(response.body.split(b"\r\n"))
            return port, heads
        finally:
            fetcher.close()
            yield cancel(task)
    return run(main())


def test_the_request_says_host_with_its_port_asks_for_identity_and_targets_slash():
    """The Host header names the port the URL gave; ``Accept-Encoding:
    identity`` (the client decodes no gzip); a URL with no path asks for
    ``/``, and its query is sent."""
    port, heads = fetch_heads(lambda port: ["http://127.0.0.1:%d" % port,
                                            "http://127.0.0.1:%d?q=1" % port])
    assert heads[0][0] == b"GET / HTTP/1.1"
    assert heads[1][0] == b"GET /?q=1 HTTP/1.1"
    assert b"Host: 127.0.0.1:%d" % port in heads[0]
    assert b"Accept-Encoding: identity" in heads[0]


@needs_ipv6
def test_an_ipv6_host_header_is_bracketed():
    port, heads = fetch_heads(lambda port: ["http://[::1]:%d/" % port], host="::1")
    assert b"Host: [::1]:%d" % port in heads[0]


def test_a_url_without_a_port_goes_to_the_schemes_own():
    """``http://host/`` is port 80 and ``https://host/`` 443 (the pool's
    key says where the request went); a URL with no host is refused by
    name, not with an AttributeError."""
    def main():
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            for url in ["http://127.0.0.1/", "https://127.0.0.1/"]:
                try:
                    yield fetcher.fetch(url)    # (refused, or whatever listens there)
                except FetchError:
                    pass
            with pytest.raises(FetchError, match=r"^http:///x: not an http\(s\) URL$"):
                yield fetcher.fetch("http:///x")
            return set(fetcher.idle)
        finally:
            fetcher.close()
    assert run(main()) == {("http", "127.0.0.1", 80), ("https", "127.0.0.1", 443)}


def test_a_url_without_a_port_sends_a_host_without_one():
    """Served on port 80 (where this process may listen there): ``Host:
    127.0.0.1``, without ``:80``."""
    try:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 80))
    except OSError as exc:
        pytest.skip("cannot listen on port 80 here: %s" % exc)

    def main():
        task, port = yield _start_on_80()
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            response = yield fetcher.fetch("http://127.0.0.1/")
            return response.body.split(b"\r\n")
        finally:
            fetcher.close()
            yield cancel(task)
    assert b"Host: 127.0.0.1" in run(main())


def _start_on_80():
    ready = Future()
    task = yield spawn(tcp_server("127.0.0.1", 80, echo_head, ready=ready))
    address = yield ready
    return task, address[1]


def test_an_idle_connection_is_kept_while_idle_and_in_flight_fit_the_bound():
    """``connections=2``: fetching site B with site A's connection idle
    makes 2 -- within the bound, A's is kept and reused (it was closed:
    the bound was taken as reached rather than passed, or finished
    requests stayed counted).  Then site C: one idle connection must go,
    the first site's, and only that one (B's stays and is reused)."""
    def main():
        servers, ports = [], []
        for _ in range(3):
            task, port = yield start_server(echo_head)
            servers.append(task)
            ports.append(port)
        a, b, c = ports
        fetcher = Fetcher(connections=2, timeout=5)
        try:
            opened = []
            for port in [a, b, a, b, a, c, b]:
                yield fetcher.fetch("http://127.0.0.1:%d/" % port)
                opened.append(fetcher.opened)
            return opened
        finally:
            fetcher.close()
            for task in servers:
                yield cancel(task)
    assert run(main()) == [1, 2, 2, 2, 2, 3, 3]


def test_close_closes_every_idle_connection():
    """``fetcher.close()``: the server sees each kept connection end, the
    pool keeps none of them, and the next request opens a new one."""
    def main():
        ended = Event()
        served = []

        def answer(stream, address):
            served.append(address)
            try:
                while (yield stream.read(65536)):
                    yield stream.write(OK)
            finally:
                ended.set()

        task, port = yield start_server(answer)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            url = "http://127.0.0.1:%d/" % port
            yield fetcher.fetch(url)
            fetcher.close()
            kept = dict(fetcher.idle)
            closed = yield ignore_after(10, ended.wait(), False)
            yield fetcher.fetch(url)
            return kept, closed, fetcher.opened, len(served)
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == ({}, True, 2, 2)


def test_a_refused_connection_is_reported_by_its_reason_not_its_errno():
    listening_nowhere = free_port()
    port = listening_nowhere.getsockname()[1]
    url = "http://127.0.0.1:%d/" % port

    def main():
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            yield fetcher.fetch(url)
        except FetchError as exc:
            return str(exc)
        finally:
            fetcher.close()
            listening_nowhere.close()
    assert run(main()) == url + ": Connection refused (connecting to 127.0.0.1:%d)" % port


def test_the_page_repr_names_its_error():
    page = Page("http://h/")
    assert repr(page) == "<Page None http://h/ 0 bytes>"
    page.error = "http://h/: Connection refused"
    assert repr(page) == "<Page None http://h/ 0 bytes error=http://h/: Connection refused>"


def reset(stream):
    """Close ``stream``'s connection with a reset (RST), not an orderly end."""
    stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    stream.close()


def test_a_post_reset_on_a_kept_alive_connection_reports_the_reset():
    """A POST on a kept-alive connection that the server resets: not sent
    again (it may have been done), and the error says what happened --
    the reset, as the OSError said it (it became "closed ... without a
    response").  A GET there is sent again, on a new connection."""
    def answer_then_reset(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(OK)
        try:
            yield stream.readuntil(b"\r\n\r\n")
        except IncompleteReadError:
            return
        reset(stream)

    def main():
        task, port = yield start_server(answer_then_reset)
        url = "http://127.0.0.1:%d/" % port
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            yield fetcher.fetch(url)
            with pytest.raises(FetchError) as info:
                yield fetcher.fetch(url, method="POST")
            yield fetcher.fetch(url)
            response = yield fetcher.fetch(url)        # (the GET is sent again)
            return str(info.value), response.body, fetcher.opened
        finally:
            fetcher.close()
            yield cancel(task)
    error, body, opened = run(main())
    assert error.startswith("http://127.0.0.1:"), error
    assert error.endswith("/: Connection reset by peer"), error
    assert (body, opened) == (b"ok", 3)


def test_a_bad_response_on_a_kept_alive_connection_closes_it():
    """The server answers the second request on a kept connection with
    garbage: a FetchError, and the connection is closed at once -- not
    left open while anything (the error's traceback) holds it."""
    ended = Event()

    def answer_then_garbage(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(OK)
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(b"HTTP/1.1 abc\r\n\r\n")
        try:
            yield stream.read(65536)        # until the client closes
        finally:
            ended.set()

    def main():
        task, port = yield start_server(answer_then_garbage)
        url = "http://127.0.0.1:%d/" % port
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            yield fetcher.fetch(url)
            try:
                yield fetcher.fetch(url)
            except FetchError as exc:
                error = exc                 # (held: its traceback reaches the stream)
            closed = yield ignore_after(5, ended.wait(), False)
            return "bad response" in str(error), closed, list(fetcher.idle.values())
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == (True, True, [[]])


def test_a_new_connection_the_server_closes_unanswered_is_closed_too():
    """The server closes a new connection without answering: a FetchError
    saying so, and no descriptor left open (the stream was dropped
    unclosed, open while the error lived)."""
    def close_at_once(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.close()

    def main():
        task, port = yield start_server(close_at_once)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            before = open_fds()
            try:
                yield fetcher.fetch("http://127.0.0.1:%d/" % port)
            except FetchError as exc:
                error = exc                 # (held: its traceback reaches the stream)
            return str(error), open_fds() - before
        finally:
            fetcher.close()
            yield cancel(task)
    error, leaked = run(main())
    assert error.endswith("/: bad response: the server closed the connection without a "
                          "response"), error
    assert leaked == 0



def test_a_response_that_says_connection_close_is_not_kept():
    """``Connection: close`` from a server that then leaves the connection
    open: the client closes it and the next request goes on a new one
    (RFC 9112 9.6) -- it was kept and used again."""
    ended = Event()

    def answer_close_but_linger(stream, address):
        try:
            while (yield stream.readuntil(b"\r\n\r\n")):
                yield stream.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n"
                                   b"Content-Length: 2\r\n\r\nok")
        except IncompleteReadError:
            ended.set()

    def main():
        task, port = yield start_server(answer_close_but_linger)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            url = "http://127.0.0.1:%d/" % port
            yield fetcher.fetch(url)
            closed = yield ignore_after(10, ended.wait(), False)
            response = yield fetcher.fetch(url)
            return closed, response.body, fetcher.opened
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == (True, b"ok", 2)


def test_a_redirect_status_without_a_location_is_the_page():
    """A 301 with no Location header: nowhere to go, so it is the page
    (status 301, its body), not an error from deep inside."""
    answer = b"HTTP/1.1 301 Moved\r\nContent-Length: 5\r\n\r\nmoved"

    def no_location(stream, address):
        while True:
            try:
                yield stream.readuntil(b"\r\n\r\n")
            except IncompleteReadError:
                return
            yield stream.write(answer)

    def main():
        task, port = yield start_server(no_location)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            page = yield fetcher.get("http://127.0.0.1:%d/" % port)
            return page.error, page.status, page.body, page.redirects
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == (None, 301, b"moved", [])


def test_every_redirect_status_is_followed():
    """301, 302, 303, 307 and 308 (RFC 9110 15.4) each lead on to their
    Location (308 was returned as the page)."""
    def redirects(stream, address):
        while True:
            try:
                head = yield stream.readuntil(b"\r\n\r\n")
            except IncompleteReadError:
                return
            target = head.split(b" ")[1]
            if target.startswith(b"/status/"):
                yield stream.write(b"HTTP/1.1 %s Moved\r\nLocation: /landed\r\n"
                                   b"Content-Length: 0\r\n\r\n" % target[8:])
            else:
                yield stream.write(OK)

    def main():
        task, port = yield start_server(redirects)
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            pages = []
            for status in [301, 302, 303, 307, 308]:
                page = yield fetcher.get("http://127.0.0.1:%d/status/%d" % (port, status))
                pages.append((status, page.error, page.status, page.final_url[-7:]))
            return pages
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == [(status, None, 200, "/landed") for status in [301, 302, 303, 307, 308]]


def test_a_post_after_the_server_reset_the_idle_connection_goes_on_a_new_one():
    """The server resets a kept-alive connection while it is idle: the
    reset is read before the request is sent, so even a POST (never sent
    twice) goes on a new connection and succeeds -- the reset was taken
    for "nothing to read" and the POST failed with it."""
    kept, gone = Event(), Event()

    def answer_then_reset_when_idle(stream, address):
        yield stream.readuntil(b"\r\n\r\n")
        yield stream.write(OK)
        if not gone.is_set():           # the first connection: reset once idle
            yield kept.wait()
            reset(stream)
            gone.set()

    def main():
        task, port = yield start_server(answer_then_reset_when_idle)
        url = "http://127.0.0.1:%d/" % port
        fetcher = Fetcher(connections=1, timeout=5)
        try:
            yield fetcher.fetch(url)
            kept.set()
            yield gone.wait()
            response = yield fetcher.fetch(url, method="POST")
            return response.body, fetcher.opened
        finally:
            fetcher.close()
            yield cancel(task)
    assert run(main()) == (b"ok", 2)


def test_making_room_closes_the_connection_idle_longest():
    """Two idle connections to one site, ``connections=2``, and a request
    to another: the one that went idle first is closed (the likelier to
    be stale; the next request to the site takes the newest anyway)."""
    first_kept = Event()
    ended = []
    every_end = Event()

    def answer(stream, address):
        number = len(accepted)
        accepted.append(number)
        try:
            while True:
                try:
                    yield stream.readuntil(b"\r\n\r\n")
                except IncompleteReadError:
                    return
                if number == 1:
                    yield first_kept.wait()     # the second answered once one is kept
                yield stream.write(OK)
        finally:
            ended.append(number)
            every_end.set()

    accepted = []

    def main():
        site, port = yield start_server(answer)
        other, other_port = yield start_server(echo_head)
        fetcher = Fetcher(connections=2, timeout=5)
        url = "http://127.0.0.1:%d/" % port
        try:
            def fetch_then_say():
                yield fetcher.fetch(url)
                first_kept.set()
            one = yield spawn(fetch_then_say())
            two = yield spawn(fetch_then_say())
            yield join(one)
            yield join(two)
            yield fetcher.fetch("http://127.0.0.1:%d/" % other_port)
            yield ignore_after(10, every_end.wait())
            return list(ended)
        finally:
            fetcher.close()
            yield cancel(site)
            yield cancel(other)
    assert run(main()) == [0]
