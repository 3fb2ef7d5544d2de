"""The example scripts, run as a user runs them: as separate processes."""

import os
import select
import signal
import socket
import subprocess
import sys
import threading

import pytest

from net_helpers import needs_ipv6, stop_process

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def script(name):
    return [sys.executable, os.path.join(EXAMPLES, name)]


@pytest.fixture
def echo_server():
    """A running examples/echo_server.py on a free port; yields (process, port)."""
    proc = subprocess.Popen(script("echo_server.py") + ["--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line + proc.stderr.read()
        yield proc, int(line.rsplit(":", 1)[1])
    finally:
        stop_process(proc)


@pytest.mark.parametrize("name", ["echo_server.py", "echo_client.py"])
def test_help(name):
    """Each example explains itself with --help."""
    out = subprocess.run(script(name) + ["--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert "--port" in out.stdout and "--host" in out.stdout


def test_client_echoes_stdin_lines(echo_server):
    """echo_client sends each line of stdin and prints the reply."""
    _, port = echo_server
    out = subprocess.run(script("echo_client.py") + ["--port", str(port)],
                         input="hello\nworld\n", capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello\nworld\n"


def test_client_count(echo_server):
    """--count N sends N numbered messages and prints each reply."""
    _, port = echo_server
    out = subprocess.run(script("echo_client.py") + ["--port", str(port), "--count", "3"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["message 1", "message 2", "message 3"]


def test_server_serves_1000_concurrent_clients(echo_server):
    """1,000 connections at once, every reply checked byte for byte: no errors."""
    _, port = echo_server
    out = subprocess.run(
        script("echo_client.py") + ["--port", str(port), "--count", "20", "--connections", "1000"],
        capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1000 connections x 20 messages: 20000 round trips" in out.stdout
    assert "0 wrong replies, 0 failed connections" in out.stdout


def test_ctrl_c_stops_the_server_cleanly(echo_server):
    """SIGINT (Ctrl-C) with clients connected: graceful stop, status 0, no traceback."""
    proc, port = echo_server
    import socket
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
    try:
        idle[0].sendall(b"ping")
        assert idle[0].recv(4) == b"ping"       # the server is serving them
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert "echo server stopped" in proc.stdout.read()
        assert "Traceback" not in proc.stderr.read()
        for sock in idle:                       # their connections were closed
            sock.settimeout(10)
            assert sock.recv(1) == b""
    finally:
        for sock in idle:
            sock.close()


def test_client_reports_refused_connection():
    """No server: a one-line error and exit status 1."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]               # bound, not listening: refused
        out = subprocess.run(script("echo_client.py") + ["--port", str(port), "--count", "1"],
                             capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "refused" in (out.stdout + out.stderr).lower()
    assert "Traceback" not in out.stderr


def test_echo_server_refuses_negative_workers():
    """--workers -1: a usage error (status 2), before anything starts."""
    out = subprocess.run(script("echo_server.py") + ["--workers", "-1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "--workers must be 0 or more" in out.stderr


def test_client_sends_a_last_line_without_a_newline(echo_server):
    """``printf 'hello\\nworld' | echo_client.py``: world is a line too (it
    was dropped, status 0), as telnet.py and nc send it."""
    _, port = echo_server
    out = subprocess.run(script("echo_client.py") + ["--port", str(port)],
                         input="hello\nworld", capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hello\nworld\n"


# ================================================ embed_thread.py

def run_embed_thread(*args, input=""):
    """examples/embed_thread.py; a hang (a job never answered) fails in 10 s."""
    return subprocess.run(script("embed_thread.py") + list(args), input=input,
                          capture_output=True, text=True, timeout=10)


def test_embed_thread_names_the_server_that_cannot_start():
    """--host not an address of this machine: the kernel's server cannot
    listen; the main thread waited for its address for ever.  Now: one
    line naming the address, status 1."""
    out = run_embed_thread("--host", "192.0.2.1", input="hi\n")
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("embed_thread: ") and "192.0.2.1" in line
    assert out.stdout == ""


def test_embed_thread_answers_every_job_whatever_goes_wrong():
    """A host name the resolver refuses (UnicodeError, not OSError): each
    worker died and the main thread waited for ever.  Every job gets its
    error; status 1."""
    out = run_embed_thread("--host", "a..b", "--port", "9", "--count", "3")
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("3 round trips by 4 worker tasks in ")
    assert "0 wrong, 3 failed (" in out.stdout and "Traceback" not in out.stderr


def test_embed_thread_takes_a_line_that_is_not_utf8():
    """A byte that is not UTF-8 (caf\\xe9): its worker died on encoding it
    and the program hung; now it is replaced, as echo_client does."""
    out = subprocess.run(script("embed_thread.py"), input=b"caf\xe9\nnext\n",
                         capture_output=True, timeout=10)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode() == "caf\ufffd -> CAF\ufffd\nnext -> NEXT\n"


def test_embed_thread_a_server_that_hangs_up_is_an_error():
    """The server reads the line and closes without answering: the empty
    reply was printed as an answer ("hello -> ", status 0)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)

        def hang_up():
            conn, _ = listener.accept()
            with conn:
                data = b"x"
                while data and not data.endswith(b"\n"):
                    data = conn.recv(100)

        server = threading.Thread(target=hang_up, daemon=True)
        server.start()
        out = run_embed_thread("--port", str(listener.getsockname()[1]), "--workers", "1",
                               input="hello\n")
        server.join(10)
    assert out.returncode == 1, out.stderr
    assert out.stdout == "hello -> error: the server closed the connection\n"


# ================================================ embed_asyncio.py

def start_embed_asyncio(*args):
    """examples/embed_asyncio.py on free ports: (process, {"asyncio": port, "trampoline": port})."""
    proc = subprocess.Popen(script("embed_asyncio.py") + ["--asyncio-port", "0",
                                                          "--trampoline-port", "0"] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ports = {}
    for _ in range(2):
        line = proc.stdout.readline()
        if "listening on" not in line:
            stop_process(proc)
            pytest.fail("embed_asyncio.py did not start: %s%s" % (line, proc.stderr.read()))
        ports[line.split()[0]] = int(line.rsplit(":", 1)[1])
    return proc, ports


def flood(port):
    """A client that sends and never reads, connected to ``port``: it
    sends until the server stops taking more -- the server's replies have
    filled the buffers, its handler waits to write."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    chunk = b"x" * 65536
    while select.select([], [sock], [], 0.5)[1]:
        try:
            sock.send(chunk)
        except BlockingIOError:
            pass
    return sock


def test_embed_asyncio_stops_with_a_client_that_never_reads():
    """Ctrl-C while a client floods each server without reading: asyncio's
    handler waited in drain() for ever (writer.close() waits to send what
    is buffered), and the program with it.  After --grace (0.5 s here; the
    default, 2 s, is no different a path) it is aborted; status 0."""
    proc, ports = start_embed_asyncio("--grace", "0.5")
    try:
        clients = [flood(port) for port in ports.values()]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert proc.stdout.read() == "both servers stopped\n"
        assert proc.stderr.read() == ""
        for client in clients:
            client.close()
    finally:
        stop_process(proc)


def test_embed_asyncio_a_second_ctrl_c_stops_at_once():
    """The grace is 60 s, a client floods without reading: the second
    SIGINT aborts it at once (it did nothing)."""
    proc, ports = start_embed_asyncio("--grace", "60")
    try:
        stuck = flood(ports["asyncio"])
        idle = socket.create_connection(("127.0.0.1", ports["asyncio"]), timeout=10)
        idle.sendall(b"ping")
        assert idle.recv(4) == b"ping"          # its handler runs
        proc.send_signal(signal.SIGINT)
        assert idle.recv(1) == b""              # the first SIGINT closed it: the stop began
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        assert proc.stdout.read() == "both servers stopped\n"
        for sock in (stuck, idle):
            sock.close()
    finally:
        stop_process(proc)


@pytest.mark.parametrize("host, words", [
    ("no-such-host.invalid", "cannot listen on no-such-host.invalid:0 (the name "
     "'no-such-host.invalid' did not resolve)"),
    ("a..b", "not a valid host name: 'a..b'"),
])
def test_embed_asyncio_names_a_host_it_cannot_listen_on(host, words):
    """--host not found (or no host name at all): asyncio's error said only
    "[Errno -2] Name or service not known" (or "encoding with 'idna' codec
    failed"), naming no host.  Now one line naming it, status 1."""
    out = subprocess.run(script("embed_asyncio.py") + ["--host", host, "--asyncio-port", "0",
                                                       "--trampoline-port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("embed_asyncio: ") and words in line, line
    assert out.stdout == ""


@pytest.mark.parametrize("what", ["missing", "not a certificate"])
@pytest.mark.parametrize("count", [None, "2"])
def test_echo_client_names_a_cafile_it_cannot_load(tmp_path, what, count):
    """--tls --cafile with a file missing or not PEM: the error was the
    system's or OpenSSL's words alone ("[Errno 2] No such file or
    directory"), naming no file.  Now it names the file, as
    telnet.py does; status 1, before any connection."""
    cafile = tmp_path / "ca.pem"
    if what == "not a certificate":
        cafile.write_text("hello\n")
    args = ["--tls", "--cafile", str(cafile), "--port", "9"]
    out = subprocess.run(script("echo_client.py") + args + (["--count", count] if count else []),
                         input="", capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("echo client: cannot load CA certificates from %s: " % cafile), line
    assert out.stdout == ""


def test_echo_client_connections_without_count_is_a_usage_error(echo_server):
    """``--connections 100`` without ``--count`` looked like a load test
    and was one connection reading stdin, the option quietly dropped (its
    help says "with --count").  Now a usage error, as --cafile without
    --tls is."""
    _, port = echo_server
    out = subprocess.run(script("echo_client.py") + ["--port", str(port), "--connections", "100"],
                         input="hello\n", capture_output=True, text=True, timeout=30)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stderr.strip().splitlines()[-1].endswith("error: --connections needs --count")
    assert out.stdout == ""


def closed(fd, *args):
    """``args`` run with descriptor ``fd`` closed, as ``prog <&-`` (0) or
    ``prog >&-`` (1) in a shell."""
    return ["sh", "-c", 'exec "$@" %d>&-' % fd, "sh"] + list(args)


@pytest.mark.parametrize("args", [("echo_client.py", "--port", "PORT"),
                                  ("udp_echo.py", "--client", "--port", "9"),
                                  ("embed_thread.py",)])
def test_a_client_with_stdin_closed_has_no_input(echo_server, args):
    """``prog <&-``: a closed stdin is an empty one, as telnet.py takes it
    -- nothing to send, exit 0.  It was an AttributeError traceback
    (sys.stdin is None)."""
    _, port = echo_server
    args = [str(port) if arg == "PORT" else arg for arg in args]
    out = subprocess.run(closed(0, *script(args[0]), *args[1:]),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


@pytest.mark.parametrize("args, name", [
    (("echo_client.py", "--port", "PORT"), "echo client"),
    (("echo_client.py", "--port", "PORT", "--count", "2"), "echo client"),
    (("udp_echo.py", "--client", "--port", "9"), "udp echo client"),
    (("embed_thread.py",), "embed_thread"),
    (("crawler.py", "http://127.0.0.1:9/"), "crawler")])
def test_a_client_with_stdout_closed_says_so(echo_server, args, name):
    """``prog >&-``: its replies or report would go nowhere -- print()
    to a closed stdout does nothing -- and it exited 0 having shown
    nothing (or ran into a traceback).  Now one line, exit 1, as telnet.py."""
    _, port = echo_server
    args = [str(port) if arg == "PORT" else arg for arg in args]
    out = subprocess.run(closed(1, *script(args[0]), *args[1:]), input="hello\n",
                         stderr=subprocess.PIPE, text=True, timeout=30)
    assert out.returncode == 1, out.stderr
    assert out.stderr == "%s: stdout is closed\n" % name


@needs_ipv6
def test_embed_thread_serves_on_ipv6():
    """``--host ::1``: the server's address is an IPv6 4-tuple (host,
    port, flowinfo, scope id), and each worker called
    ``open_connection(*address)`` -- "open_connection() takes 2 positional
    arguments but 4 were given" for every line, status 1."""
    out = run_embed_thread("--host", "::1", input="hello\nworld\n")
    assert out.returncode == 0, (out.stdout, out.stderr)
    assert out.stdout == "hello -> HELLO\nworld -> WORLD\n"
    assert out.stderr.startswith("round trips to [::1]:")
