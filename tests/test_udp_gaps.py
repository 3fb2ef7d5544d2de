"""What mutation testing of trampoline/udp.py found no test holding:
``udp_socket`` names a list address as the wrong kind of address, refuses
a host name given as bytes as it refuses one given as str (binding it would
look it up, blocking every task), closes the socket it made when the bind
fails, and adds no family hint to an error that has nothing to do with the
family (EADDRINUSE says just that, and the address)."""

import errno
import os
import socket

import pytest

from trampoline.udp import udp_socket


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_a_list_is_not_an_address():
    """A ``[host, port]`` list is refused by udp_socket itself, naming it,
    not by bind's "AF_INET address must be tuple, not list"."""
    with pytest.raises(TypeError) as info:
        udp_socket(["127.0.0.1", 0])
    assert str(info.value) == "udp_socket() needs a (host, port) address, got ['127.0.0.1', 0]"


@pytest.mark.parametrize("host", [b"localhost", bytearray(b"localhost")])
def test_a_host_name_in_bytes_is_refused_as_one_in_str_is(host):
    """bind() takes a host as bytes too, and would look the name up right
    there; udp_socket refuses it before, naming it, as it does "localhost"."""
    with pytest.raises(ValueError) as info:
        udp_socket((host, 0))
    assert str(info.value).startswith("udp_socket(): %r is a host name, not a numeric address"
                                      % (host,))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_a_failed_bind_closes_the_socket_it_made():
    """The socket made for a bind that fails is closed before the error
    goes out: a server retrying a taken port, keeping each error to report
    it, holds no descriptor per try (the error's traceback holds the
    socket object; unclosed, it would stay open as long as the error)."""
    with udp_socket(("127.0.0.1", 0)) as taken:
        before = open_descriptors()
        errors = []
        for _ in range(5):
            with pytest.raises(OSError) as info:
                udp_socket(taken.getsockname())
            errors.append(info.value)
        assert open_descriptors() == before


def test_an_address_in_use_error_says_that_and_the_address_only():
    """EADDRINUSE's message ends with the address: the hint about the other
    address family is for a family mismatch only."""
    with udp_socket(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as info:
            udp_socket(("127.0.0.1", port), family=socket.AF_INET)
    assert info.value.errno == errno.EADDRINUSE
    assert info.value.strerror.endswith(": cannot bind to 127.0.0.1:%d" % port), info.value
