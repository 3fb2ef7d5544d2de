"""The example servers as real software: run as a user runs them, driven by
hostile peers and by mistakes on the command line.

Every server (echo, chat, HTTP, key-value, UDP echo) answers ``--help``,
refuses a bad option with a usage line (exit 2), a bad port, a missing file
or an address in use with one line naming it (exit 1), survives running out
of descriptors, and stops gracefully on SIGTERM, SIGINT and SIGHUP (exit 0).  Then
the hostile peers: a FIFO under ``--static``, a client that pipelines and
never reads, a storm of connection resets, and what RFC 9112 says a server
must accept."""

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from net_helpers import CERT, KEY, has_ipv6, start_server, stop_process, watchdog  # noqa: F401  (autouse)
from trampoline import cancel, run, run_in_thread, sleep
from trampoline.net import check_port, listen
from trampoline.streams import open_connection, tcp_server
from trampoline.udp import udp_socket
from trampoline.workers import run_server

WATCHDOG_SECONDS = 40
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
needs_redis_cli = pytest.mark.skipif(shutil.which("redis-cli") is None,
                                     reason="redis-cli is not installed (apt install redis-tools)")

#: Each server, and what it prints once it listens.
SERVERS = {
    "echo_server.py": "echo server listening on",
    "chat_server.py": "chat server listening on",
    "http_server.py": "http server listening on",
    "kv_server.py": "kv server listening on",
    "udp_echo.py": "udp echo server listening on",
}
TCP_SERVERS = [name for name in SERVERS if name != "udp_echo.py"]


class Script:
    """A running example server: ``proc``, ``port``; ``stop()``."""

    def __init__(self, name, *args, limit_files=None):
        def preexec():
            if limit_files is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit_files, limit_files))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, name), "--port", "0"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec)
        line = self.proc.stdout.readline()
        assert SERVERS[name] in line, line + self.proc.stderr.read()
        self.port = int(line.rsplit(":", 1)[1])
        self.errors = []                # stderr, line by line, as it comes
        self.reader = threading.Thread(target=self._read_errors, daemon=True)
        self.reader.start()

    def _read_errors(self):
        for line in self.proc.stderr:
            self.errors.append(line)

    def stderr(self):
        """What the server wrote on stderr so far (all of it, once it exited)."""
        if self.proc.poll() is not None:
            self.reader.join(10)
        return "".join(self.errors)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


def run_script(name, *args):
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name)] + list(args),
                          capture_output=True, text=True, timeout=30)


def one_line_error(result, *words):
    """The script exited 1 with one line on stderr that names ``words``."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ================================================================ the command line

@pytest.mark.parametrize("name", sorted(SERVERS))
def test_every_server_has_help_and_refuses_a_bad_option_with_a_usage_line(name):
    helped = run_script(name, "--help")
    assert helped.returncode == 0 and "usage:" in helped.stdout and "--port" in helped.stdout
    bad = run_script(name, "--no-such-option")
    assert bad.returncode == 2 and bad.stderr.startswith("usage:")
    assert "--no-such-option" in bad.stderr
    not_a_number = run_script(name, "--port", "eighty")
    assert not_a_number.returncode == 2 and "usage:" in not_a_number.stderr


@pytest.mark.parametrize("args, option", [
    (("chat_server.py", "--outbox", "0"), "--outbox"),
    (("crawler.py", "http://127.0.0.1:1/", "--connections", "0"), "--connections"),
    (("crawler.py", "http://127.0.0.1:1/", "--max-pages", "-1"), "--max-pages"),
    (("crawler.py", "http://127.0.0.1:1/", "--max-redirects", "-1"), "--max-redirects"),
    (("crawler.py", "http://127.0.0.1:1/", "--timeout", "-1"), "--timeout"),
    (("crawler.py", "http://127.0.0.1:1/", "--timeout", "nan"), "--timeout"),
    (("udp_echo.py", "--client", "--timeout", "0"), "--timeout")])
def test_a_number_out_of_range_is_a_usage_error_naming_the_option(args, option):
    """A count or a time that cannot work (no connections: the crawler
    waited forever; a negative timeout: it gave up on every page at once)
    is refused before anything starts, naming the option."""
    result = run_script(*args)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and result.stderr.startswith("usage:"), result.stderr
    assert option in last and "Traceback" not in result.stderr, result.stderr


def test_embed_thread_refuses_a_negative_count():
    """``embed_thread.py --count -1`` printed "-1 round trips by 4 worker
    tasks ... 0 failed" and exited 0.  Now a usage error naming --count."""
    result = run_script("embed_thread.py", "--count", "-1")
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and result.stderr.startswith("usage:"), result.stderr
    assert "--count must be at least 0, got -1" in last, last
    assert result.stdout == ""


@pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback (::1) here")
@pytest.mark.parametrize("args", [("echo_server.py",), ("chat_server.py",), ("http_server.py",),
                                  ("kv_server.py",), ("udp_echo.py",), ("compose.py",),
                                  ("embed_asyncio.py",), ("embed_thread.py", "--count", "1")])
def test_an_ipv6_address_is_shown_in_brackets(args):
    """``--host ::1``: the listening line said "listening on ::1:8080",
    which curl, a browser or ``host:port`` parsers cannot take (nor a
    reader tell the port from the address: "::::8080" for ``::``); the
    error messages already said "[::1]:8080".  Now the address is in
    brackets, as in a URL, and that port is where the server is."""
    name, extra = args[0], list(args[1:])
    ports = {"compose.py": ["--echo-port", "0", "--http-port", "0", "--chat-port", "0"],
             "embed_asyncio.py": ["--asyncio-port", "0", "--trampoline-port", "0"],
             "embed_thread.py": []}.get(name, ["--port", "0"])
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, name), "--host", "::1"]
                            + ports + extra, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stream = proc.stderr if name == "embed_thread.py" else proc.stdout
        line = stream.readline()
        assert " [::1]:" in line and "::1:" not in line.replace("[::1]:", ""), line
        port = int(line.rsplit("]:", 1)[1])
        if name == "embed_thread.py":
            assert proc.wait(30) == 0, proc.stderr.read()
        elif name != "udp_echo.py":
            socket.create_connection(("::1", port), timeout=10).close()   # it is there
    finally:
        stop_process(proc)


@pytest.mark.parametrize("name", ["echo_server.py", "echo_client.py", "telnet.py"])
def test_an_empty_unix_path_is_a_usage_error(name):
    """``--unix ""`` (``--unix "$SOCK"`` with SOCK unset): echo_server.py
    said "give host and port, or unix=PATH with host and port None -- not
    both", echo_client.py quietly connected over TCP to 127.0.0.1:25000,
    telnet.py said "port must be an int ..., got None".  Now a usage error
    naming --unix."""
    result = run_script(name, "--unix", "")
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and result.stderr.startswith("usage:"), result.stderr
    assert "--unix needs a path" in last, last
    assert result.stdout == ""


def test_the_udp_client_refuses_port_0_naming_it():
    """``udp_echo.py --client --port 0`` (0 picks a port for the server):
    each line sent was "udp echo: [Errno 22] Invalid argument", naming
    nothing.  Now a usage error that says the client needs the server's
    port, before anything is sent."""
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "udp_echo.py"), "--client",
                             "--port", "0"], input="hello\n", capture_output=True, text=True,
                            timeout=30)
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 2 and result.stderr.startswith("usage:"), result.stderr
    assert "--port 0" in last and "the server's port" in last, last
    assert result.stdout == ""


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_every_server_refuses_a_port_out_of_range_in_one_line(name):
    one_line_error(run_script(name, "--port", "99999"), "99999", "0 to 65535")


@pytest.mark.parametrize("args, option, value", [
    (("udp_echo.py", "--client", "--port", "99999"), "--port", "99999"),
    (("echo_client.py", "--port", "99999"), "--port", "99999"),
    (("telnet.py", "127.0.0.1", "99999"), "PORT", "99999"),
    (("telnet.py", "127.0.0.1", "-5"), "PORT", "-5"),
    (("embed_thread.py", "--port", "99999", "--count", "3"), "--port", "99999"),
    (("embed_asyncio.py", "--asyncio-port", "99999"), "--asyncio-port", "99999"),
    (("embed_asyncio.py", "--trampoline-port", "99999"), "--trampoline-port", "99999"),
    (("compose.py", "--chat-port", "99999"), "--chat-port", "99999")])
def test_every_other_example_names_a_port_out_of_range_in_one_line(args, option, value):
    """The clients and the composite programs too (tracebacks: ValueError,
    OverflowError; embed_thread hung)."""
    one_line_error(run_script(*args), option, value, "0 to 65535")


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_every_server_names_the_address_already_in_use(name):
    kind = socket.SOCK_DGRAM if name == "udp_echo.py" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as taken:
        taken.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            taken.listen(1)
        port = taken.getsockname()[1]
        one_line_error(run_script(name, "--port", str(port)),
                       "127.0.0.1:%d" % port, "in use")


@pytest.mark.parametrize("name", ["echo_server.py", "http_server.py"])
def test_a_missing_certificate_is_named(name):
    one_line_error(run_script(name, "--tls", "/nope.pem", "/nope.key"), "/nope.pem")
    one_line_error(run_script(name, "--tls", CERT, "/nope.key"), "/nope.key")


@pytest.mark.parametrize("name", ["echo_server.py", "http_server.py"])
def test_a_certificate_and_key_swapped_are_both_named(name):
    one_line_error(run_script(name, "--tls", KEY, CERT), KEY, CERT)


def test_the_http_server_refuses_to_start_on_a_missing_static_directory(tmp_path):
    missing = str(tmp_path / "nonexistent")
    one_line_error(run_script("http_server.py", "--static", missing), missing, "does not exist")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    one_line_error(run_script("http_server.py", "--static", str(a_file)), str(a_file),
                   "not a directory")


def test_compose_refuses_to_start_on_a_missing_static_directory(tmp_path):
    missing = str(tmp_path / "nonexistent")
    one_line_error(run_script("compose.py", "--static", missing, "--echo-port", "0",
                              "--http-port", "0", "--chat-port", "0"), missing, "does not exist")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
@pytest.mark.parametrize("name", sorted(SERVERS))
def test_every_server_stops_gracefully_on_sigterm_sigint_and_sighup(name, signum):
    """SIGHUP too (the terminal went away), as run_server's servers always
    did: http_server.py (one process), kv_server.py and udp_echo.py were
    killed by it outright, with no cleanup (status -1)."""
    server = Script(name)
    try:
        server.proc.send_signal(signum)
        assert server.proc.wait(15) == 0
        out, err = server.proc.stdout.read(), server.stderr()
        assert "stopped" in out and "Traceback" not in err, err
    finally:
        server.stop()


# ================================================================ one check for every port

@pytest.mark.parametrize("call", [
    lambda: listen(("127.0.0.1", 99999)),
    lambda: udp_socket(("127.0.0.1", 99999)),
    lambda: run(tcp_server("127.0.0.1", 99999, lambda stream, address: None)),
    lambda: run(open_connection("127.0.0.1", 99999)),
    lambda: run_server("127.0.0.1", 99999, lambda stream, address: None),
    lambda: check_port(-1),
    lambda: check_port("80"),
])
def test_a_port_out_of_range_is_one_clear_value_error_everywhere(call):
    with pytest.raises(ValueError, match=r"port must be an int from 0 to 65535, got"):
        call()


# ================================================================ out of descriptors

def connect_all(port, count):
    """Up to ``count`` connections to ``port`` (fewer if refused)."""
    socks = []
    for _ in range(count):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    return socks


@pytest.mark.parametrize("name", sorted(TCP_SERVERS))
def test_every_server_survives_running_out_of_descriptors(name):
    """A process allowed 64 descriptors, 100 clients: accept() fails with
    EMFILE; the server backs off instead of dying, and once the clients
    leave it serves again."""
    server = Script(name, limit_files=64)
    try:
        crowd = connect_all(server.port, 100)
        deadline = time.monotonic() + 10
        while "Too many open files" not in server.stderr() and server.proc.poll() is None:
            assert time.monotonic() < deadline, server.stderr()
            crowd += connect_all(server.port, 1)
        for sock in crowd:
            sock.close()
        _still_serves(name, server.port)
        assert server.proc.poll() is None, server.stderr()
    finally:
        server.stop()


def test_static_files_out_of_descriptors_are_503_not_403_nor_a_traceback(tmp_path):
    """Out of descriptors, a file under --static cannot be opened, nor a
    directory listed: that is 503 with Retry-After (it is there: try again),
    not 403 Forbidden for the file, nor a 500 with a traceback logged for
    the listing."""
    (tmp_path / "file.txt").write_text("a file\n")
    server = Script("http_server.py", "--static", str(tmp_path), limit_files=64)
    crowd = []
    try:
        first = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        crowd.append(first)
        first.sendall(b"GET /static/file.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert first.recv(65536).startswith(b"HTTP/1.1 200 OK")
        crowd += connect_all(server.port, 100)
        deadline = time.monotonic() + 10
        while "Too many open files" not in server.stderr():     # every descriptor taken
            assert time.monotonic() < deadline and server.proc.poll() is None, server.stderr()
            crowd += connect_all(server.port, 1)
        for path in (b"/static/file.txt", b"/static/"):
            first.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
            answer = first.recv(65536)
            assert answer.startswith(b"HTTP/1.1 503 Service Unavailable"), answer
            assert b"\r\nRetry-After: 1\r\n" in answer and b"Too many open files" in answer
        assert "Traceback" not in server.stderr(), server.stderr()
    finally:
        for sock in crowd:
            sock.close()
        server.stop()


def _still_serves(name, port):
    """One real exchange with the server, retried until the back-off ends."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
                if name == "http_server.py":
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
                elif name == "kv_server.py":
                    sock.sendall(b"PING\r\n")
                    assert sock.recv(100) == b"+PONG\r\n"
                elif name == "chat_server.py":
                    assert sock.recv(100).startswith(b"Welcome!")
                else:
                    sock.sendall(b"ping")
                    assert sock.recv(100) == b"ping"
                return
        except (OSError, AssertionError):
            if time.monotonic() > deadline:
                raise


# ================================================================ hostile peers

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_under_static_is_refused_and_freezes_nobody(tmp_path):
    """GET /static/pipe used to block the whole server in open(); now it
    is 403 at once, and the server goes on answering."""
    os.mkfifo(str(tmp_path / "pipe"))
    (tmp_path / "file.txt").write_text("a file\n")
    server = Script("http_server.py", "--static", str(tmp_path))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /static/pipe HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /static/file.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.startswith(b"HTTP/1.1 403 Forbidden") and b"not a regular file" in data
        assert data.count(b"HTTP/1.1 200 OK") == 1 and data.endswith(b"a file\n")
    finally:
        server.stop()


def test_a_client_that_pipelines_and_never_reads_is_let_go():
    """A client sends request after request and reads nothing: once the
    answers fill the socket buffers, the write waits -- at most
    --send-timeout seconds, then the server closes the connection (it used
    to hold it forever)."""
    server = Script("http_server.py", "--send-timeout", "0.5", "--idle-timeout", "30")
    try:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sock.settimeout(0.2)
            request = b"GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n" + \
                b"x" * 60000
            deadline = time.monotonic() + 20
            closed = False
            while time.monotonic() < deadline and not closed:
                try:
                    sock.sendall(request)
                except socket.timeout:
                    pass                        # our send buffer is full too: wait
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
            assert closed, "the server still holds a client that never reads"
    finally:
        server.stop()


def test_connection_resets_are_not_logged_as_crashes():
    """Clients that connect, send and reset (SO_LINGER 0) while the echo
    server writes back: no "crashed" report, no traceback."""
    server = Script("echo_server.py")
    try:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            sock.sendall(b"x" * 200000)
            sock.close()                        # RST, with our data still unread
        _still_serves("echo_server.py", server.port)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(15) == 0
        err = server.stderr()
        assert "crashed" not in err and "Traceback" not in err, err
    finally:
        server.stop()


def test_a_bug_in_a_handler_is_still_reported_once_with_its_traceback(caplog):
    """Only the network's own errors are quiet: a handler's bug is logged
    with its traceback."""
    def buggy(stream, address):
        yield stream.read(1)
        raise KeyError("the handler's own bug")

    def main():
        server, port = yield start_server(buggy)
        client = yield open_connection("127.0.0.1", port)
        yield client.write(b"x")
        yield client.read()
        client.close()
        yield sleep(0.05)
        yield cancel(server)

    with caplog.at_level("DEBUG", logger="trampoline"):
        run(main())
    reports = [record for record in caplog.records if "KeyError" in (record.exc_text or "")
               or (record.exc_info and record.exc_info[0] is KeyError)]
    assert len(reports) == 1, caplog.text


def test_the_http_answers_rfc_9112_asks_for_over_a_real_server():
    """Leading zeros in Content-Length and chunk sizes, an empty element in
    Transfer-Encoding, an upper-case scheme, HTTP/1.2: each a 200."""
    requests = [
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000000005\r\n\r\nhello",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"00000000000000000005\r\nhello\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: , chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n",
        b"GET HTTP://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
    ]
    server = Script("http_server.py")
    try:
        for request in requests:
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(request)
                answer = sock.recv(65536)
                assert answer.startswith(b"HTTP/1.1 200 OK"), (request, answer)
    finally:
        server.stop()


# ================================================================ the key-value server

@pytest.fixture(scope="module")
def kv():
    server = Script("kv_server.py")
    yield server
    server.stop()


def test_kv_takes_a_command_with_more_arguments_than_a_million(kv):
    """Redis 7 takes up to INT_MAX arguments; 1,048,577 used to be refused."""
    count = (1 << 20) + 1
    command = b"*%d\r\n$6\r\nEXISTS\r\n" % (count + 1) + b"$1\r\nk\r\n" * count
    with socket.create_connection(("127.0.0.1", kv.port), timeout=20) as sock:
        threading.Thread(target=sock.sendall, args=(command,), daemon=True).start()
        answer = b""
        while not answer.endswith(b"\r\n"):
            answer += sock.recv(100)
    assert answer == b":0\r\n"


@needs_redis_cli
def test_redis_cli_dash_3_speaks_resp3(kv):
    """``redis-cli -3`` opens with HELLO 3, as redis-py 8 does; it used to
    get NOPROTO."""
    def cli(*args):
        out = subprocess.run(["redis-cli", "--no-raw", "-3", "-p", str(kv.port)] + list(args),
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, out.stderr
        return out.stdout
    assert cli("SET", "greeting", "hello") == "OK\n"
    assert cli("MGET", "greeting", "nothing") == '1) "hello"\n2) (nil)\n'
    assert cli("CONFIG", "GET", "appendonly") == '1# "appendonly" => "no"\n'
    hello = cli("HELLO", "3")
    assert '"proto" => (integer) 3' in hello and '"server"' in hello


def test_a_reset_under_a_handler_is_one_debug_line_not_a_crash(caplog):
    """In one kernel: a client resets while its handler writes; the
    handler's ConnectionResetError ends the connection with one DEBUG line
    naming the peer, and nothing is reported as a crash."""
    def flood(stream, address):
        while True:
            yield stream.write(b"x" * 65536)

    def reset_three_times(port):
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            sock.recv(1)
            sock.close()                        # RST: the handler's write fails

    def main():
        server, port = yield start_server(flood)
        yield run_in_thread(reset_three_times, port)
        while len([r for r in caplog.records if "ended" in r.getMessage()]) < 3:
            yield sleep(0.01)
        yield cancel(server)

    with caplog.at_level("DEBUG", logger="trampoline"):
        run(main())
    ended = [r for r in caplog.records if "ended" in r.getMessage()]
    assert len(ended) == 3 and all(r.levelname == "DEBUG" for r in ended)
    assert all("127.0.0.1:" in r.getMessage() and "Error" in r.getMessage() for r in ended)
    assert not [r for r in caplog.records if "crash" in r.getMessage() or r.exc_info]


def test_a_timeout_out_of_a_handler_is_one_info_line(caplog):
    from trampoline import timeout_after

    def impatient(stream, address):
        yield timeout_after(0.01, stream.read(1))

    def main():
        server, port = yield start_server(impatient)
        stream = yield open_connection("127.0.0.1", port)
        assert (yield stream.read()) == b""         # the server hung up
        stream.close()
        yield cancel(server)

    with caplog.at_level("DEBUG", logger="trampoline"):
        run(main())
    (line,) = [r for r in caplog.records if "ended" in r.getMessage()]
    assert line.levelname == "INFO" and "TaskTimeout" in line.getMessage()


# ================================================================ errors that name the culprit, in process

def test_server_context_names_a_missing_file_and_both_files_it_cannot_load(tmp_path):
    import ssl
    from trampoline.net import server_context
    with pytest.raises(FileNotFoundError, match="/nope.key"):
        server_context(CERT, "/nope.key")
    with pytest.raises(ssl.SSLError) as info:
        server_context(KEY, CERT)
    assert KEY in str(info.value) and CERT in str(info.value)
    assert server_context(CERT, KEY).check_hostname is False


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_server_context_names_a_key_file_it_may_not_read():
    """A key only root may read (mode 600), the server run as another user:
    PermissionError naming the file (OpenSSL's said only "[Errno 13]
    Permission denied").  As root the test reads it as nobody, for a moment."""
    import tempfile
    from trampoline.net import server_context
    directory = tempfile.mkdtemp()
    try:
        os.chmod(directory, 0o755)
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        shutil.copy(CERT, cert)
        shutil.copy(KEY, key)
        os.chmod(cert, 0o644)
        root = os.geteuid() == 0
        os.chmod(key, 0o600 if root else 0o000)
        if root:
            os.seteuid(65534)               # nobody (the real uid stays root: we come back)
        try:
            with pytest.raises(PermissionError) as info:
                server_context(cert, key)
        finally:
            if root:
                os.seteuid(0)
        assert "cannot read the certificate or key file %s: " % key in str(info.value)
    finally:
        shutil.rmtree(directory)


def test_server_context_refuses_tls_older_than_1_2():
    """On every Python: 3.8, 3.9 and PyPy 3.9's default context still
    took TLS 1.0 and 1.1 (3.10 refuses them by default)."""
    import ssl
    from trampoline.net import server_context
    assert server_context(CERT, KEY).minimum_version >= ssl.TLSVersion.TLSv1_2


def test_an_address_in_use_is_named_by_listen_and_udp_socket():
    import errno
    with listen(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="cannot listen on 127.0.0.1:%d" % port) as info:
            listen(("127.0.0.1", port))
        assert info.value.errno == errno.EADDRINUSE
    with udp_socket(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=r"cannot bind to 127.0.0.1:%d" % port):
            udp_socket(("127.0.0.1", port))
    if has_ipv6():
        with listen(("::1", 0)) as taken:
            port = taken.getsockname()[1]
            with pytest.raises(OSError, match=r"cannot listen on \[::1\]:%d" % port):
                listen(("::1", port))


def test_the_kv_example_adds_a_command_of_its_own(kv):
    """examples/kv_server.py's TIME: the server's clock, as Redis answers it."""
    with socket.create_connection(("127.0.0.1", kv.port), timeout=5) as sock:
        sock.sendall(b"TIME\r\nTIME x\r\n")
        answer = b""
        while answer.count(b"\r\n") < 6:
            answer += sock.recv(1000)
    head, _, seconds, _, micros, error, _ = answer.split(b"\r\n")
    assert head == b"*2" and abs(int(seconds) - time.time()) < 60 and 0 <= int(micros) < 10**6
    assert error == b"-ERR wrong number of arguments for 'time' command"


# ------------------------------------------- behind a load balancer (issue 18)

PROXY_V1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n"


@pytest.mark.parametrize("name", TCP_SERVERS)
def test_every_tcp_server_reads_a_proxy_header_with_proxy_protocol(name):
    """Behind HAProxy (``send-proxy``): the header comes first, then the
    protocol; without one the connection is closed at once."""
    hello = {"echo_server.py": (b"ping\n", b"ping"),
             "chat_server.py": (b"", b"Welcome"),
             "http_server.py": (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200"),
             "kv_server.py": (b"PING\r\n", b"+PONG")}[name]
    server = Script(name, "--proxy-protocol")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(PROXY_V1 + hello[0])
            assert sock.recv(4096).startswith(hello[1])
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"no header here\r\n")
            try:
                answer = sock.recv(4096)
            except ConnectionResetError:        # closed with our bytes unread
                answer = b""
            assert answer == b""                # nothing reached the handler
    finally:
        server.stop()


def test_the_http_access_log_names_the_real_client_behind_a_balancer():
    server = Script("http_server.py", "--proxy-protocol", "--access-log")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(PROXY_V1 + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while sock.recv(4096):
                pass
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(10) == 0
        assert '203.0.113.7:5555 "GET / HTTP/1.1" 200' in server.stderr()
    finally:
        server.stop()
