"""What mutation testing of trampoline/net.py found no test holding: the
last port number, Python's "<broadcast>" host, a bracket that is not a pair,
listen()'s pointer to tcp_server for a name, a pathlib.Path to listen on,
an IPv6 address as a 4-tuple, a host given as a bytearray (bound, and named
in an error), a backlog that is a bool or a float, and the socket of a
listen() that fails closed before the error goes out; server_context() with
the key in the certificate's file, a folder for a file, a TLS 1.2 client
served, and client_context()'s words for a missing file."""

import os
import pathlib
import socket
import ssl
import threading

import pytest

from net_helpers import CERT, KEY, needs_ipv6
from trampoline import listen
from trampoline.net import check_port, client_context, server_context
from trampoline.udp import udp_socket


def test_the_last_port_is_a_port_and_the_one_after_is_not():
    assert check_port(65535) == 65535
    assert check_port(0) == 0
    with pytest.raises(ValueError, match="port must be an int from 0 to 65535, got 65536"):
        check_port(65536)


def test_the_broadcast_host_is_numeric():
    """Python's "<broadcast>" (INADDR_BROADCAST) is no name to look up:
    a datagram socket binds to it."""
    with udp_socket(("<broadcast>", 0)) as sock:
        assert sock.getsockname()[0] == "255.255.255.255"


def test_an_opening_bracket_alone_is_a_host_name_not_an_address_in_brackets():
    """Only "[...]" is said to be an address in brackets; "[::1" is a name."""
    with pytest.raises(ValueError) as info:
        listen(("[::1", 0))
    assert str(info.value).startswith("listen(): '[::1' is a host name, not a numeric address")


def test_listen_refusing_a_name_points_to_tcp_server():
    with pytest.raises(ValueError) as info:
        listen(("localhost", 0))
    assert str(info.value).endswith("looks it up in a worker thread, and "
                                    "tcp_server(host, port, handler) does it for you")
    with pytest.raises(ValueError) as info:             # (udp_socket has no such thing)
        udp_socket(("localhost", 0))
    assert str(info.value).endswith("looks it up in a worker thread")


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_listen_on_a_pathlib_path(tmp_path):
    path = tmp_path / "server.sock"
    assert isinstance(path, pathlib.Path)
    with listen(path) as sock:
        assert sock.family == socket.AF_UNIX and sock.getsockname() == str(path)


@needs_ipv6
def test_listen_on_an_ipv6_address_with_flowinfo_and_scope_id():
    with listen(("::1", 0, 0, 0)) as sock:
        assert sock.family == socket.AF_INET6 and sock.getsockname()[0] == "::1"


def test_a_host_given_as_a_bytearray_is_bound_and_named_in_an_error():
    with listen((bytearray(b"127.0.0.1"), 0)) as sock:
        port = sock.getsockname()[1]
        assert sock.getsockname()[0] == "127.0.0.1"
        with pytest.raises(OSError) as info:
            listen((bytearray(b"127.0.0.1"), port))
    assert info.value.strerror.endswith("cannot listen on 127.0.0.1:%d" % port)


@pytest.mark.parametrize("backlog", [True, 1.5])
def test_a_backlog_that_is_no_int_is_named(backlog):
    """True is not a backlog of 1, nor 1.5 one of 1: both named."""
    with pytest.raises(ValueError, match=r"listen\(\): backlog must be an int >= 0, got %s"
                       % backlog):
        listen(("127.0.0.1", 0), backlog=backlog)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_a_listen_that_fails_closes_its_socket():
    """A server retrying a taken port, keeping each error to report it,
    holds no descriptor per try (the error's traceback holds the socket
    object; unclosed, it would stay open as long as the error)."""
    with listen(("127.0.0.1", 0)) as taken:
        before = len(os.listdir("/proc/self/fd"))
        errors = []
        for _ in range(5):
            with pytest.raises(OSError) as info:
                listen(taken.getsockname())
            errors.append(info.value)
        assert len(os.listdir("/proc/self/fd")) == before


@needs_ipv6
@pytest.mark.parametrize("make, says", [(listen, "listen(): cannot listen on"),
                                        (udp_socket, "udp_socket(): cannot bind to")])
@pytest.mark.parametrize("address, error", [(("::1", 0, 2**20, 0), OverflowError),
                                            (("::1", 0, 0, "x"), TypeError)])
def test_a_bad_ipv6_flowinfo_or_scope_id_is_named_with_the_address(make, says, address, error):
    """bind's own words ("bind(): flowinfo must be 0-1048575.", "'str' object
    cannot be interpreted as an integer") named neither the call nor the
    address; the error keeps its type and says both."""
    with pytest.raises(error) as info:
        make(address)
    assert str(info.value).startswith("%s %r: " % (says, address)), info.value


def test_a_server_context_from_one_file_holding_the_certificate_and_its_key(tmp_path):
    """The key may be in the certificate's file (no keyfile): loaded; and
    when OpenSSL refuses that one file, the error names it as the key's too."""
    both = tmp_path / "both.pem"
    both.write_bytes(pathlib.Path(CERT).read_bytes() + pathlib.Path(KEY).read_bytes())
    assert isinstance(server_context(str(both)), ssl.SSLContext)
    bad = tmp_path / "bad.pem"
    bad.write_text("not PEM\n")
    with pytest.raises(ssl.SSLError) as info:
        server_context(str(bad))
    assert "cannot load the certificate %s with the private key %s " % (bad, bad) in str(info.value)


def test_a_folder_given_for_a_certificate_is_no_such_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        server_context(str(tmp_path), KEY)
    assert str(info.value) == "[Errno 2] no such certificate or key file: %s" % tmp_path


def test_a_server_context_serves_a_client_that_speaks_tls_1_2_at_most():
    """"TLS 1.2 or later": 1.2 is still spoken (only older is refused)."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    ours, theirs = socket.socketpair()
    served = []
    with ours, theirs:
        def serve():
            with server_context(CERT, KEY).wrap_socket(ours, server_side=True) as tls:
                served.append(tls.version())
        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with client.wrap_socket(theirs) as tls:
                assert tls.version() == "TLSv1.2"
        finally:
            thread.join(10)
    assert served == ["TLSv1.2"]


def test_client_context_names_a_missing_ca_file_and_says_why(tmp_path):
    """(PyPy's ssl leaves strerror empty: the reason is filled in.)"""
    missing = tmp_path / "nope.pem"
    with pytest.raises(ValueError) as info:
        client_context(str(missing))
    assert str(info.value) == ("cannot load CA certificates from %s: [Errno 2] No such file "
                               "or directory" % missing)
