"""The raw socket traps held to what their peers' own tests ask of theirs.

asyncio's ``test_sock_lowlevel.py`` (``sock_sendall``, ``sock_connect``,
``sock_sendto``), curio's ``test_socket.py`` (``sendall`` of an
``array('i')``) and trio's ``test_socket.py`` (what a connect that went
wrong leaves behind) tried on ``read``, ``write``, ``connect``, ``sendto``
and ``recvfrom``, over real sockets on 127.0.0.1 and Unix sockets.  Where
trampoline differs on purpose, the trap's docstring says so; these tests
pin what it does instead:

* any bytes-like payload is sent, as ``socket.send`` takes it (curio sends
  an ``array('i')`` of a million ints).

Tasks synchronise through joins and data, never sleeps.
"""

import array
import ctypes
import mmap
import os
import socket

import pytest

from trampoline import join, read, recvfrom, sendto, spawn, write

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
