"""The example servers as an operator deploys and runs them, as real
processes: stdout piped into ``head -1`` (or closed from the start), a
flood of bad clients in the log (failed TLS handshakes, no PROXY header),
a supervisor that cannot fork a replacement worker, which server of a
process ran out of descriptors, each program naming its log lines,
kv_server's clients beyond the descriptor limit (Redis's maxclients), and
kv_server behind a real HAProxy's tcp-check through a restart."""

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from net_helpers import CERT, EXAMPLES, KEY, free_port, stop_process
from net_helpers import watchdog  # noqa: F401  (an autouse fixture)

WATCHDOG_SECONDS = 20

#: Each server, its arguments, and a request and the start of its answer.
SERVERS = {
    "kv_server": ([], b"PING\r\n", b"+PONG"),
    "echo_server": ([], b"ping", b"ping"),
    "echo_server --workers 2": (["--workers", "2"], b"ping", b"ping"),
    "http_server": ([], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200"),
    "chat_server": ([], b"", b"Welcome!"),
    "compose": (["--http-port", "0", "--chat-port", "0"], b"ping", b"ping"),
    "udp_echo": ([], b"ping", b"ping"),
}


def start(name, port=0, **popen):
    """Start the server ``name`` (a key of ``SERVERS``) on ``port``."""
    script = name.split()[0]
    option = "--echo-port" if script == "compose" else "--port"
    return subprocess.Popen([sys.executable, os.path.join(EXAMPLES, script + ".py"), option,
                             str(port)] + SERVERS[name][0],
                            stderr=subprocess.PIPE, text=True, **popen)


def limit_files(count):
    """In a child about to run a server: at most ``count`` descriptors."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def exchange(name, port):
    """One request to the server on ``port``; its answer."""
    _, request, answer = SERVERS[name]
    kind = socket.SOCK_DGRAM if name == "udp_echo" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        if sock.getsockname()[1] == port:   # (no server there yet: connected to itself)
            raise ConnectionRefusedError("connected to itself")
        sock.send(request)
        assert sock.recv(100).startswith(answer)


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_stdout_piped_into_head_is_no_traceback_and_exit_0(name):
    """``server | head -1``: head exits after the listening line; the server
    goes on serving, and on SIGTERM its "stopped" line goes nowhere -- it
    used to end in a BrokenPipeError traceback and exit status 1."""
    proc = start(name, stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line + proc.stderr.read()
        proc.stdout.close()             # head -1 has exited
        exchange(name, int(line.rsplit(":", 1)[1]))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read()
        assert "Traceback" not in proc.stderr.read()
    finally:
        stop_process(proc)


@pytest.mark.parametrize("name", ["kv_server", "udp_echo"])
def test_a_listening_line_nobody_reads_does_not_stop_the_server(name):
    """``server | true``: the listening line meets a closed pipe; the server
    serves all the same (it used to exit 1 on "[Errno 32] Broken pipe")."""
    with free_port() as probe:
        port = probe.getsockname()[1]
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = start(name, port, stdout=write_end)
    os.close(write_end)
    try:
        deadline = time.monotonic() + 10
        while True:                     # until it listens (nothing tells when)
            assert proc.poll() is None, proc.stderr.read()
            try:
                exchange(name, port)
                break
            except OSError:
                assert time.monotonic() < deadline
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read()
        assert "Traceback" not in proc.stderr.read()
    finally:
        stop_process(proc)


def test_the_udp_client_whose_replies_nobody_reads_stops_quietly():
    """``udp_echo.py --client | true``: the first reply meets a closed pipe;
    the client stops quietly with status 0, as telnet.py does (it said
    "udp echo: [Errno 32] Broken pipe" and exited 1)."""
    server = start("udp_echo", stdout=subprocess.PIPE)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        port = server.stdout.readline().rsplit(":", 1)[1].strip()
        client = subprocess.run([sys.executable, os.path.join(EXAMPLES, "udp_echo.py"),
                                 "--client", "--port", port], input="a\nb\n", stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=10)
        assert (client.returncode, client.stderr) == (0, "")
    finally:
        os.close(write_end)
        stop_process(server)


def plain_http_to(port):
    """A client that sends plain HTTP to a TLS port, and reads until the
    server has closed it (the server logged why by then)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass


def test_a_flood_of_failed_tls_handshakes_is_summarised_not_logged_each():
    """Plain HTTP sent to a TLS port, 40 times: the server logs the first
    failed handshake, then at most one line a second counting the others
    (it logged 40 lines, one per client, at the INFO the echo server shows).
    Every failure is counted: the lines and their counts add up to 41."""
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "echo_server.py"),
                             "--port", "0", "--tls", CERT, KEY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        for _ in range(40):
            plain_http_to(port)
        time.sleep(1.05)                # the one-second window has passed
        plain_http_to(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        lines = [line for line in proc.stderr.read().splitlines() if "TLS handshake" in line]
        assert 2 <= len(lines) <= 4, lines      # (a slow machine may cross a second or two)
        assert lines[0].startswith("echo server: TLS handshake with 127.0.0.1:"), lines
        assert "HTTP_REQUEST" in lines[0] or "http request" in lines[0], lines
        more = [int(line.split("(and ")[1].split()[0]) for line in lines[1:]]
        assert len(lines) + sum(more) == 41, lines
    finally:
        stop_process(proc)


def test_a_flood_of_clients_without_a_proxy_header_is_summarised():
    """Clients that bypass the balancer and send no PROXY header, 30 of
    them at once: one WARNING line for the first, not 30."""
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "echo_server.py"),
                             "--port", "0", "--proxy-protocol"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        started = time.monotonic()
        for _ in range(30):
            plain_http_to(port)         # (closed at once: no PROXY header)
        elapsed = time.monotonic() - started
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        lines = [line for line in proc.stderr.read().splitlines()
                 if "closing the connection" in line]
        assert 1 <= len(lines) <= 1 + elapsed, lines
        assert "PROXY" in lines[0] and "127.0.0.1:" in lines[0], lines
    finally:
        stop_process(proc)


def lowest_free_descriptor(pid):
    taken = {int(fd) for fd in os.listdir("/proc/%d/fd" % pid)}
    return min(set(range(len(taken) + 1)) - taken)


def read_until(pipe, words):
    """The lines of ``pipe`` up to the first that has ``words``."""
    lines = []
    while not lines or words not in lines[-1]:
        lines.append(pipe.readline())
        assert lines[-1], lines         # (the end: it exited)
    return lines


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd") or not hasattr(resource, "prlimit"),
                    reason="needs Linux's /proc and prlimit")
def test_a_worker_that_cannot_be_replaced_leaves_the_others_serving():
    """A worker dies, and the supervisor has no descriptor left for its
    replacement's lifeline (or no process to fork): the other worker goes
    on serving and the replacement is tried again, once a pause has passed
    -- it used to stop the whole server, exit status 1."""
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "echo_server.py"),
                             "--port", "0", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        first = read_until(proc.stderr, "worker 1 started")[-1]
        read_until(proc.stderr, "worker 2 started")
        soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_NOFILE)
        # No descriptor can be had; the dead worker's lifeline frees one,
        # and a new one needs two.
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE,
                         (lowest_free_descriptor(proc.pid), hard))
        os.kill(int(first.rsplit("pid ", 1)[1].rstrip(")\n")), signal.SIGKILL)
        line = read_until(proc.stderr, "cannot start worker 1")[-1]
        assert "Too many open files; trying again in 0.1 s (1 of 2 serving)" in line, line
        exchange("echo_server", port)
        resource.prlimit(proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        read_until(proc.stderr, "worker 1 started")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0, proc.stderr.read()
    finally:
        stop_process(proc)


def test_a_worker_that_cannot_be_started_is_named_and_the_server_exits_1():
    """Too few descriptors for the second worker as the server starts: one
    line naming the worker, exit status 1 (it said only "[Errno 24] Too
    many open files")."""
    result = subprocess.run([sys.executable, os.path.join(EXAMPLES, "echo_server.py"),
                             "--port", "0", "--workers", "2"], preexec_fn=lambda: limit_files(8),
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1, result
    last = result.stderr.splitlines()[-1]
    assert last.startswith("echo server: [Errno 24] Too many open files: run_server cannot "
                           "start worker ") and last.endswith(" of 2"), result.stderr


def connect_until(port, stderr, words):
    """Open connections to ``port`` until a line of ``stderr`` (a pipe)
    has ``words``: that line, and the sockets, to close."""
    crowd = []
    try:
        while True:
            # (the server reads them at its pace; a full backlog waits)
            crowd.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            if len(crowd) >= 40:        # over the limit by now: the line has come
                return read_until(stderr, words)[-1], crowd
    except BaseException:
        for sock in crowd:
            sock.close()
        raise


def test_out_of_descriptors_each_server_in_one_process_is_named():
    """compose.py runs three servers in one process, one log: out of
    descriptors, the line says which one could not accept ("accept() on
    127.0.0.1:P failed: ..."); it said "accept() failed" of all three."""
    proc = start("compose", stdout=subprocess.PIPE, preexec_fn=lambda: limit_files(32))
    crowd = []
    try:
        ports = [int(proc.stdout.readline().rsplit(":", 1)[1]) for _ in range(3)]
        line, crowd = connect_until(ports[1], proc.stderr, "Too many open files")
        assert "accept() on 127.0.0.1:%d failed: [Errno 24]" % ports[1] in line, line
    finally:
        for sock in crowd:
            sock.close()
        stop_process(proc)


@pytest.mark.parametrize("name, prefix", [("kv_server", "kv server: "),
                                          ("chat_server", "chat server: "),
                                          ("compose", "compose: ")])
def test_what_the_library_logs_is_named_as_the_servers(name, prefix):
    """The library's log lines (here: out of descriptors; for kv_server.py,
    which keeps descriptors in reserve, a client without its PROXY header)
    begin with the server's name, as echo_server.py's do; kv_server.py,
    chat_server.py and compose.py printed them bare, a line nobody could
    place in a shared log."""
    if name == "kv_server":
        proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, "kv_server.py"), "--port",
                                 "0", "--proxy-protocol"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            port = int(proc.stdout.readline().rsplit(":", 1)[1])
            plain_http_to(port)
            line = read_until(proc.stderr, "closing the connection")[-1]
            assert line.startswith(prefix + "closing the connection from 127.0.0.1:"), line
        finally:
            stop_process(proc)
        return

    proc = start(name, stdout=subprocess.PIPE, preexec_fn=lambda: limit_files(32))
    crowd = []
    try:
        lines = [proc.stdout.readline() for _ in range(3 if name == "compose" else 1)]
        port = int(lines[0].rsplit(":", 1)[1])     # (compose: once all three listen)
        line, crowd = connect_until(port, proc.stderr, "Too many open files")
        assert line.startswith(prefix + "accept() on 127.0.0.1:%d failed" % port), line
    finally:
        for sock in crowd:
            sock.close()
        stop_process(proc)


def test_kv_clients_beyond_the_descriptor_limit_get_redis_error_not_a_hang():
    """kv_server.py under ``ulimit -n 64``: as Redis, it serves 64 - 32
    clients at once, and tells the next ones "-ERR max number of clients
    reached" and closes them; they waited in the listener's queue for ever
    (redis-benchmark -c 400 under ulimit -n 256 hung).  One that comes once
    a client left is served."""
    proc = start("kv_server", stdout=subprocess.PIPE, preexec_fn=lambda: limit_files(64))
    crowd = []
    try:
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        for _ in range(40):
            crowd.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            crowd[-1].sendall(b"PING\r\n")
        answers = [sock.recv(100) for sock in crowd]
        assert answers == [b"+PONG\r\n"] * 32 + [b"-ERR max number of clients reached\r\n"] * 8
        for sock in crowd[32:]:         # closed (reset, as Redis's: its PING was not read)
            try:
                assert sock.recv(100) == b""
            except ConnectionResetError:
                pass
        crowd.pop(0).close()
        deadline = time.monotonic() + 10
        while True:                     # (until the server has seen it leave)
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(100) == b"+PONG\r\n":
                    break
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "Too many open files" not in proc.stderr.read()
    finally:
        for sock in crowd:
            sock.close()
        stop_process(proc)


def test_kv_server_refuses_a_bad_maxclients():
    from trampoline.protocols.kv import Store, serve_client
    for bad in (0, -1, 1.5, "10"):
        with pytest.raises(ValueError, match="maxclients must be an int >= 1, got"):
            serve_client(Store(), bad)


HAPROXY = shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

HAPROXY_CONFIG = """\
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend front
    bind fd@%(fd)d
    default_backend kv

backend kv
    option tcp-check
    tcp-check send PING\\r\\n
    tcp-check expect string +PONG
    server k1 127.0.0.1:%(port)d check inter 50ms fall 1 rise 1
"""


@pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed")
def test_kv_behind_haproxy_its_tcp_check_sees_a_restart_on_the_same_port(tmp_path):
    """HAProxy checks kv_server.py with PING / +PONG: up; the server stops
    (SIGTERM, status 0): down; started again on the same port at once (the
    checks' connections in TIME_WAIT do not stop the bind): up, and serving
    through HAProxy."""
    front = socket.socket()
    front.bind(("127.0.0.1", 0))
    front.listen(16)
    server = start("kv_server", stdout=subprocess.PIPE)
    haproxy = None
    try:
        port = int(server.stdout.readline().rsplit(":", 1)[1])
        config = tmp_path / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG % {"fd": front.fileno(), "port": port})
        haproxy = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, pass_fds=[front.fileno()])
        exchange("kv_server", front.getsockname()[1])         # (queued until haproxy runs)
        server.send_signal(signal.SIGTERM)
        assert server.wait(10) == 0
        read_until(haproxy.stdout, "Server kv/k1 is DOWN")
        stop_process(server)
        server = start("kv_server", port, stdout=subprocess.PIPE)
        assert "listening on 127.0.0.1:%d" % port in server.stdout.readline(), server.stderr.read()
        read_until(haproxy.stdout, "Server kv/k1 is UP")
        exchange("kv_server", front.getsockname()[1])
    finally:
        stop_process(server)
        if haproxy is not None:
            stop_process(haproxy)
        front.close()
