"""The raw socket traps held to what their peers' own tests ask of theirs.

asyncio's ``test_sock_lowlevel.py`` (``sock_sendall``, ``sock_connect``,
``sock_sendto``), curio's ``test_socket.py`` (``sendall`` of an
``array('i')``) and trio's ``test_socket.py`` (what a connect that went
wrong leaves behind) tried on ``read``, ``write``, ``connect``, ``sendto``
and ``recvfrom``, over real sockets on 127.0.0.1 and Unix sockets.  Where
trampoline differs on purpose, the trap's docstring says so; these tests
pin what it does instead:

* any bytes-like payload is sent, as ``socket.send`` takes it (curio sends
  an ``array('i')`` of a million ints);
* a host *name* in ``connect`` or ``sendto`` is refused, in the task, with
  a ``ValueError`` saying to resolve it first -- asyncio and trio resolve
  it in a worker thread; the kernel would have looked it up inline,
  blocking every task while DNS answered;
* a Unix ``connect`` to a listener whose backlog is full raises, naming
  the path -- it used to return as if connected (so do asyncio's and
  trio's), and the socket's first write said ``ENOTCONN``.

Tasks synchronise through joins and data, never sleeps.
"""

import array
import ctypes
import errno
import mmap
import os
import socket

import pytest

from trampoline import connect, join, read, recvfrom, sendto, spawn, write

import net_helpers

watchdog = net_helpers.watchdog         # (autouse: a hang fails the test)


# ------------------------------------------------------------- helpers

def read_exactly(sock, nbytes):
    """Subroutine: read ``nbytes`` bytes (fewer only at end of stream)."""
    chunks, got = [], 0
    while got < nbytes:
        data = yield read(sock, min(65536, nbytes - got))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def outcome(make):
    """Subroutine: yield the trap ``make()`` makes (made here, in the task);
    return ("returned", value) or ("raised", the exception)."""
    try:
        return "returned", (yield make())
    except Exception as exc:
        return "raised", exc


def udp_pair():
    """A bound UDP receiver on 127.0.0.1 and an unbound sender."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    return receiver, socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


# ====================================================== bytes-like payloads

def ctypes_ints():
    return (ctypes.c_int32 * 4)(1, 2, 3, 4)


def a_mmap():
    region = mmap.mmap(-1, 4096)
    region.write(os.urandom(4096))
    return region


PAYLOADS = {
    "array of ints": lambda: array.array("i", range(1000)),
    "array of doubles": lambda: array.array("d", [0.5] * 1000),
    "ctypes array": ctypes_ints,
    "mmap": a_mmap,
    "memoryview with a stride": lambda: memoryview(os.urandom(200))[::2],
}


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_write_sends_any_bytes_like_payload_whole(run, kind):
    """write() takes what socket.send takes -- an array, a ctypes array, an
    mmap, a memoryview of any shape, contiguous or not -- and sends every
    byte of it (it raised TypeError, or BufferError for a strided view)."""
    payload = PAYLOADS[kind]()
    expected = memoryview(payload).tobytes()
    a, b = socket.socketpair()

    def main():
        yield write(a, payload)
        return (yield read_exactly(b, len(expected)))

    with a, b:
        assert run(main()) == expected


def test_write_of_a_million_int_array_arrives_whole(run):
    """curio's test_buffer_into: a sendall of array('i', range(1000000)) --
    4 MB, many times the socket's buffer -- arrives byte for byte."""
    payload = array.array("i", range(1000000))
    a, b = socket.socketpair()

    def main():
        writer = yield spawn(write(a, payload))
        received = array.array("i")
        received.frombytes((yield read_exactly(b, 4 * len(payload))))
        yield join(writer)
        return received

    with a, b:
        assert run(main()) == payload


def test_sendto_sends_any_bytes_like_payload_as_one_datagram(run):
    """sendto() of an array sends its bytes as one datagram and returns how
    many bytes that was (it raised TypeError)."""
    payload = array.array("i", range(100))
    receiver, sender = udp_pair()

    def main():
        sent = yield sendto(sender, payload, receiver.getsockname())
        data, address = yield recvfrom(receiver, 65536)
        return sent, data

    with receiver, sender:
        assert run(main()) == (400, payload.tobytes())


def test_sendto_of_a_str_says_to_encode_it_in_the_task(run):
    """sendto() of a str raises TypeError in the task, naming it and saying
    to encode it, as write() does."""
    receiver, sender = udp_pair()
    with receiver, sender:
        kind, error = run(outcome(lambda: sendto(sender, "text", receiver.getsockname())))
    assert kind == "raised" and type(error) is TypeError
    assert "sendto() needs bytes" in str(error) and "encode it first" in str(error)


# ============================================== host names are not looked up

def test_connect_to_a_host_name_is_refused_in_the_task_and_the_socket_still_connects(run):
    """connect(sock, ("localhost", port)) raises ValueError naming the name
    and saying how to resolve it -- the kernel used to look it up inline,
    every task waiting on DNS.  The socket is untouched: it connects to the
    numeric address next."""
    server = listener()
    port = server.getsockname()[1]
    sock = socket.socket()

    def main():
        refused = yield outcome(lambda: connect(sock, ("localhost", port)))
        yield connect(sock, ("127.0.0.1", port))
        return refused, sock.getpeername()

    with server, sock:
        (kind, error), peer = run(main())
    assert kind == "raised" and type(error) is ValueError
    assert "'localhost' is a host name" in str(error)
    assert "getaddrinfo" in str(error)
    assert peer == ("127.0.0.1", port)
    if socket.has_ipv6:         # a scoped address is numeric (getaddrinfo, numeric only, says so)
        with socket.socket(socket.AF_INET6) as sock:
            assert connect(sock, ("fe80::1%lo", 80, 0, 0)).address[0] == "fe80::1%lo"


@pytest.mark.parametrize("host", ["127.0.0.1", b"127.0.0.1", "127.1", ""], ids=repr)
def test_sendto_refuses_a_host_name_and_takes_every_numeric_spelling(run, host):
    """sendto(sock, data, ("localhost", port)): ValueError in the task,
    nothing sent (it was looked up inline, per datagram).  Numeric hosts
    pass in every spelling Python takes -- str or bytes, the short form
    inet_aton reads, "" (the wildcard: here, this machine) -- and a host
    that is no string at all is left to the call, which says what is
    wrong with it."""
    receiver, sender = udp_pair()
    port = receiver.getsockname()[1]

    def main():
        by_name = yield outcome(lambda: sendto(sender, b"by name", ("localhost", port)))
        malformed = yield outcome(lambda: sendto(sender, b"x", (None, port)))
        yield sendto(sender, b"by number", (host, port))
        return by_name, malformed, (yield recvfrom(receiver, 100))[0]

    with receiver, sender:
        (kind, error), (_, malformed), first = run(main())
    assert kind == "raised" and type(error) is ValueError
    assert "'localhost' is a host name" in str(error)
    assert type(malformed) is TypeError
    assert first == b"by number"


# ================================================ connect: what it leaves

def test_a_unix_connect_to_a_full_backlog_raises_naming_the_path(run, tmp_path):
    """A listener that never accepts, backlog 1: the connects that find the
    backlog full raise BlockingIOError naming the path and the reason.
    Every connect that returned left its socket connected -- one used to
    return as if connected, and its socket's first write said ENOTCONN."""
    path = str(tmp_path / "full")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    clients = [socket.socket(socket.AF_UNIX) for _ in range(8)]

    def main():
        results = []
        for sock in clients:
            kind, error = yield outcome(lambda: connect(sock, path))
            if kind == "raised":
                results.append(error)
                continue
            try:
                sock.getpeername()
            except OSError as exc:
                results.append(("returned, but not connected", exc))
            else:
                results.append("connected")
        return results

    try:
        results = run(main())
    finally:
        for sock in clients + [server]:
            sock.close()
    assert results[0] == "connected"
    refused = [result for result in results if result != "connected"]
    assert refused, "the backlog never filled: %r" % results
    for error in refused:
        assert isinstance(error, BlockingIOError), error
        assert error.errno == errno.EAGAIN
        assert path in str(error) and "backlog is full" in str(error)
