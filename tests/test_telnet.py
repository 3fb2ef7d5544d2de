"""examples/telnet.py and examples/udp_echo.py, run as a user runs them.

telnet.py talks to examples/echo_server.py with its stdin and stdout
through pipes, ends cleanly on end of file from either side, and talks to
a real TCP peer not written by us (socat, when installed).  The echo
server's and client's --tls and --unix modes are tested here too (skipped
while the installed echo_server.py does not have them yet).  Processes
synchronise through their output (a reply read back) and exit statuses,
never sleeps.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys

import pytest

from net_helpers import CERT, KEY, watchdog  # noqa: F401 (autouse fixture)
from net_helpers import stop_process as stop

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def script(name):
    return [sys.executable, os.path.join(EXAMPLES, name)]


def start(name, *args):
    """Start an example server; return (process, the first line it prints)."""
    proc = subprocess.Popen(script(name) + list(args), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        stop(proc)
        pytest.fail("%s did not start: %s%s" % (name, line, proc.stderr.read()))
    return proc, line


@pytest.fixture
def echo_server():
    """examples/echo_server.py on a free port; yields the port."""
    proc, line = start("echo_server.py", "--port", "0")
    try:
        yield int(line.rsplit(":", 1)[1])
    finally:
        stop(proc)


def telnet(*args):
    return subprocess.Popen(script("telnet.py") + list(args), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("name", ["telnet.py", "udp_echo.py"])
def test_help(name):
    out = subprocess.run(script(name) + ["--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "usage:" in out.stdout and "--host" not in out.stderr


def test_telnet_usage_errors():
    for args in ([], ["--unix", "/x", "host", "1"], ["h", "1", "--cafile", CERT],
                 ["h", "1", "-q", "-1"], ["h", "1", "-q", "nan"]):
        out = subprocess.run(script("telnet.py") + args, capture_output=True, text=True, timeout=30)
        assert out.returncode == 2 and "error:" in out.stderr, args


def test_telnet_talks_to_the_echo_server(echo_server):
    """Interactive: each line typed comes back while stdin stays open; at
    the end of stdin telnet half-closes, the server closes, telnet exits 0."""
    proc = telnet("127.0.0.1", str(echo_server))
    try:
        for line in (b"hello\n", b"world, again\n"):
            proc.stdin.write(line)
            proc.stdin.flush()
            assert proc.stdout.readline() == line   # the reply, before stdin ends
        proc.stdin.close()                          # EOF on stdin
        assert proc.wait(10) == 0
        assert proc.stdout.read() == b""
        assert proc.stderr.read() == b""
    finally:
        stop(proc)


def test_telnet_with_a_pipe_prints_every_reply(echo_server):
    """``printf ... | telnet.py``: stdin ends at once; the replies still come."""
    data = b"".join(b"line %d\n" % i for i in range(1000))
    out = subprocess.run(script("telnet.py") + ["127.0.0.1", str(echo_server)],
                         input=data, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == data


def test_telnet_exits_when_the_server_closes():
    """EOF from the socket side: telnet exits 0 although stdin is still open."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        proc = telnet("127.0.0.1", str(listener.getsockname()[1]))
        try:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"bye\n")
            assert proc.wait(10) == 0               # stdin never closed
            assert proc.stdout.read() == b"bye\n"
        finally:
            stop(proc)


def test_telnet_names_the_server_that_reset_the_connection():
    """A server that resets the connection: what it sent is printed, then
    one line naming it ("telnet: connection to 127.0.0.1:P: [Errno 104]
    Connection reset by peer"); it was the bare "[Errno 104] Connection
    reset by peer", which says nothing of where."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        port = listener.getsockname()[1]
        proc = telnet("127.0.0.1", str(port))
        try:
            conn, _ = listener.accept()
            with conn:
                proc.stdin.write(b"hello\n")
                proc.stdin.flush()
                conn.settimeout(10)
                assert conn.recv(100) == b"hello\n"
                conn.sendall(b"partial")
                assert proc.stdout.read(7) == b"partial"    # it has it: now the reset
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            assert proc.wait(10) == 1
            assert proc.stdout.read() == b""
            assert proc.stderr.read() == (b"telnet: connection to 127.0.0.1:%d: [Errno 104] "
                                          b"Connection reset by peer\n" % port)
        finally:
            stop(proc)


def test_telnet_quit_after_end_of_stdin():
    """-q: a server that never closes; telnet gives up that long after
    the end of stdin."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        proc = telnet("-q", "0.1", "127.0.0.1", str(listener.getsockname()[1]))
        try:
            conn, _ = listener.accept()
            with conn:
                proc.stdin.write(b"data\n")
                proc.stdin.close()
                conn.settimeout(10)
                assert conn.recv(100) == b"data\n"
                assert conn.recv(100) == b""        # the half-close
                assert proc.wait(10) == 0           # while we still hold the line
        finally:
            stop(proc)


def closed(fd, *args):
    """``args`` run with descriptor ``fd`` closed, as ``prog <&-`` (0) or
    ``prog >&-`` (1) in a shell."""
    return ["sh", "-c", 'exec "$@" %d>&-' % fd, "sh"] + list(args)


def test_telnet_with_stdin_closed():
    """``telnet.py HOST PORT <&-``: a closed stdin is an empty one -- the
    server sees end of file, its reply is printed, exit 0 (it was a
    traceback, and no half-close)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        proc = subprocess.Popen(closed(0, *script("telnet.py"), "127.0.0.1",
                                       str(listener.getsockname()[1])),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                assert conn.recv(100) == b""        # the half-close: no input
                conn.sendall(b"bye\n")
            assert proc.wait(10) == 0
            assert proc.stdout.read() == b"bye\n"
            assert proc.stderr.read() == b""
        finally:
            stop(proc)


def test_telnet_with_stdout_closed(echo_server):
    """``telnet.py HOST PORT >&-``: one line saying so, exit 1 (it was a
    traceback)."""
    out = subprocess.run(closed(1, *script("telnet.py"), "127.0.0.1", str(echo_server)),
                         input="hello\n", stderr=subprocess.PIPE, text=True, timeout=30)
    assert out.returncode == 1
    assert out.stderr == "telnet: stdout is closed\n"


def test_telnet_names_a_bad_cafile(tmp_path):
    """A missing or non-PEM --cafile: the error names the file."""
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for path in (str(tmp_path / "missing.pem"), str(garbage)):
        out = subprocess.run(script("telnet.py") + ["--tls", "--cafile", path, "localhost", "1"],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        assert out.returncode == 1
        assert out.stderr.startswith("telnet: cannot load CA certificates from %s: " % path), \
            out.stderr
        assert len(out.stderr.splitlines()) == 1


def test_telnet_reports_a_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        out = subprocess.run(script("telnet.py") + ["127.0.0.1", str(sock.getsockname()[1])],
                             capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "refused" in out.stderr.lower() and "Traceback" not in out.stderr


@pytest.mark.parametrize("client", ["telnet", "echo client"])
def test_telnet_tls_to_a_plain_server_names_it(client):
    """--tls against a server that speaks no TLS: one line naming the host
    and port, as curl's does (it was OpenSSL's words alone,
    "[SSL: WRONG_VERSION_NUMBER] ...") -- open_connection's error names
    them now.  The same for echo_client.py."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        port = listener.getsockname()[1]
        if client == "telnet":
            command = script("telnet.py") + ["--tls", "127.0.0.1", str(port)]
        else:
            command = script("echo_client.py") + ["--tls", "--host", "127.0.0.1",
                                                  "--port", str(port)]
        proc = subprocess.Popen(command,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                assert conn.recv(4096)              # its ClientHello
                conn.sendall(b"220 plain text here\r\n")
            assert proc.wait(10) == 1
            err = proc.stderr.read()
            assert err.startswith("%s: [SSL" % client), err
            assert err.endswith(" (TLS handshake with 127.0.0.1:%d)\n" % port), err
            assert len(err.splitlines()) == 1 and "Traceback" not in err
        finally:
            stop(proc)


def test_telnet_talks_to_a_real_peer_socat():
    """A TCP peer not written by us: socat, running ``tr a-z A-Z``."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.skip("socat is not installed (apt-get install socat): "
                    "no foreign peer to test against")
    peer = subprocess.Popen([socat, "-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1,reuseaddr",
                             "SYSTEM:tr a-z A-Z"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in peer.stderr:
            if "listening on" in line:
                port = line.rsplit(":", 1)[1].strip()
                break
        else:
            pytest.fail("socat did not start")
        out = subprocess.run(script("telnet.py") + ["127.0.0.1", port],
                             input=b"hello from trampoline\n", capture_output=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout == b"HELLO FROM TRAMPOLINE\n"
        assert peer.wait(10) == 0
    finally:
        stop(peer)


def test_piped_input_over_tls_prints_the_reply_and_ends():
    """``echo hello | telnet.py --tls ...``: TLS cannot half-close, so the
    server never sees the end of stdin and never closes -- telnet waited
    for ever; it now gives the replies half a second (socat's -t), then
    ends cleanly, with them printed."""
    proc, line = start("echo_server.py", "--host", "localhost", "--port", "0", "--tls", CERT, KEY)
    try:
        port = line.rsplit(":", 1)[1].strip()
        done = subprocess.run(script("telnet.py") + ["--tls", "--cafile", CERT, "localhost", port],
                              input=b"hello\n", capture_output=True, timeout=30)
        assert (done.returncode, done.stdout) == (0, b"hello\n"), done.stderr
    finally:
        stop(proc)


def test_tls_echo_server_with_telnet_and_echo_client():
    # On every address of localhost, which the clients connect to (and
    # which may be ::1 as well as 127.0.0.1): none finds another program.
    proc, line = start("echo_server.py", "--host", "localhost", "--port", "0", "--tls", CERT, KEY)
    try:
        assert "(TLS)" in line
        port = line.rsplit(":", 1)[1].strip()
        # TLS cannot half-close, so the server never sees our end of stdin:
        # read the reply first, then end stdin; -q 0 quits right then.
        client = telnet("--tls", "--cafile", CERT, "-q", "0", "localhost", port)
        try:
            client.stdin.write(b"secret\n")
            client.stdin.flush()
            assert client.stdout.readline() == b"secret\n"
            client.stdin.close()
            assert client.wait(10) == 0
        finally:
            stop(client)
        out = subprocess.run(script("echo_client.py") + ["--tls", "--cafile", CERT, "--host",
                                                         "localhost", "--port", port, "--count",
                                                         "20", "--connections", "10"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "0 wrong replies, 0 failed connections" in out.stdout
        out = subprocess.run(script("telnet.py") + ["--tls", "127.0.0.1", port],
                             input="x\n", capture_output=True, text=True, timeout=30)
        assert out.returncode == 1 and "certificate verify failed" in out.stderr
        assert out.stderr.startswith("telnet: [SSL: CERTIFICATE_VERIFY_FAILED] "), out.stderr
        assert out.stderr.endswith(" (TLS handshake with 127.0.0.1:%s)\n" % port), out.stderr
    finally:
        stop(proc)


def test_unix_echo_server_with_telnet_and_echo_client(tmp_path):
    path = str(tmp_path / "echo.sock")
    proc, line = start("echo_server.py", "--unix", path)
    try:
        assert path in line
        out = subprocess.run(script("telnet.py") + ["--unix", path],
                             input=b"over unix\n", capture_output=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout == b"over unix\n"
        out = subprocess.run(script("echo_client.py") + ["--unix", path, "--count", "3"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == ["message 1", "message 2", "message 3"]
    finally:
        stop(proc)


def test_echo_server_reports_a_bad_certificate_file(tmp_path):
    out = subprocess.run(script("echo_server.py") + ["--port", "0", "--tls",
                                                     str(tmp_path / "missing.pem"), KEY],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "echo server:" in out.stderr and "Traceback" not in out.stderr


def test_udp_echo_server_and_client():
    proc, line = start("udp_echo.py", "--port", "0")
    try:
        port = int(line.rsplit(":", 1)[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(10)
            sock.sendto(b"datagram", ("127.0.0.1", port))
            assert sock.recvfrom(100) == (b"datagram", ("127.0.0.1", port))
        out = subprocess.run(script("udp_echo.py") + ["--client", "--port", str(port)],
                             input="ping\npong\n", capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "ping\npong\n"
    finally:
        stop(proc)


def test_udp_echo_client_without_a_server():
    """Nobody answers: the client waits --timeout and says so (status 1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        out = subprocess.run(script("udp_echo.py") + ["--client", "--timeout", "0.1", "--port",
                                                      str(silent.getsockname()[1])],
                             input="anyone?\n", capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "no reply within 0.1 s" in out.stderr and "Traceback" not in out.stderr


def test_udp_echo_by_host_name():
    """--host localhost on both sides: the client resolves the name once and
    takes the replies from its address (it compared the reply's sender,
    127.0.0.1, with "localhost" and dropped every reply as stray)."""
    proc, line = start("udp_echo.py", "--host", "localhost", "--port", "0")
    try:
        port = line.rsplit(":", 1)[1].strip()
        out = subprocess.run(script("udp_echo.py") + ["--client", "--host", "localhost",
                                                      "--port", port],
                             input="by name\n", capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "by name\n"
    finally:
        stop(proc)


def test_udp_echo_client_sends_a_last_line_without_a_newline():
    proc, line = start("udp_echo.py", "--port", "0")
    try:
        port = line.rsplit(":", 1)[1].strip()
        out = subprocess.run(script("udp_echo.py") + ["--client", "--port", port],
                             input="hello\nworld", capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "hello\nworld\n"
    finally:
        stop(proc)


def test_udp_echo_server_survives_a_datagram_it_cannot_answer():
    """A datagram from source port 0 (forged: only a raw socket sends one)
    cannot be answered -- sendto() says EINVAL.  The server drops it and
    goes on echoing; it used to exit on it ("udp echo: [Errno 22] Invalid
    argument", status 1): one forged packet stopped it for everyone."""
    try:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    except PermissionError:
        pytest.skip("a raw socket needs root (CAP_NET_RAW)")
    proc, line = start("udp_echo.py", "--port", "0")
    try:
        port = int(line.rsplit(":", 1)[1])
        with raw, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            payload = b"forged"
            # A UDP header (source port 0, no checksum) and the payload; the
            # system adds the IP header.
            raw.sendto(struct.pack("!HHHH", 0, port, 8 + len(payload), 0) + payload,
                       ("127.0.0.1", 0))
            sock.settimeout(5)                  # (the watchdog's limit is 10)
            sock.sendto(b"after", ("127.0.0.1", port))
            assert sock.recvfrom(100) == (b"after", ("127.0.0.1", port))
        assert proc.poll() is None, proc.stderr.read()
    finally:
        stop(proc)
