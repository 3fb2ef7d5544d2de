"""examples/compose.py: echo, HTTP and chat from one kernel, driven by nc,
socat and curl, with the shared counter read at /stats."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from net_helpers import stop_process, watchdog  # noqa: F401  (autouse)

COMPOSE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "examples", "compose.py")

WATCHDOG_SECONDS = 20


@pytest.fixture
def compose():
    proc = subprocess.Popen([sys.executable, COMPOSE, "--echo-port", "0", "--http-port", "0",
                             "--chat-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ports = {}
        for _ in range(3):
            line = proc.stdout.readline()
            assert " server listening on 127.0.0.1:" in line, line + proc.stderr.read()
            ports[line.split()[0]] = int(line.rsplit(":", 1)[1])
        yield proc, ports
    finally:
        stop_process(proc)


def tool(*command, input=b""):
    out = subprocess.run(list(command), input=input, capture_output=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.skipif(shutil.which("nc") is None or shutil.which("socat") is None
                    or shutil.which("curl") is None, reason="needs nc, socat and curl")
def test_three_servers_one_counter(compose):
    """nc gets its echo, a socat chat client talks to a socket one, and
    curl's /stats counts all of it; SIGTERM stops all three, status 0."""
    proc, ports = compose
    assert tool("nc", "-N", "127.0.0.1", str(ports["echo"]), input=b"hello\n") == b"hello\n"
    with socket.create_connection(("127.0.0.1", ports["chat"]), timeout=10) as bob:
        reader = bob.makefile("rb")
        assert reader.read(len(b"Welcome! Your name? ")) == b"Welcome! Your name? "
        bob.sendall(b"bob\n")
        assert reader.readline() == b"* hello bob; 1 here\n"
        said = tool("socat", "-", "TCP:127.0.0.1:%d" % ports["chat"],
                    input=b"ann\nhi bob\n/quit\n")
        assert said == b"Welcome! Your name? * hello ann; 2 here\n"
        assert reader.readline() == b"* ann joined\n"
        assert reader.readline() == b"ann: hi bob\n"
        assert reader.readline() == b"* ann left\n"
        reader.close()
    assert tool("curl", "-sS", "http://127.0.0.1:%d/" % ports["http"]) == b"Hello, world!\n"
    stats = json.loads(tool("curl", "-sS", "http://127.0.0.1:%d/stats" % ports["http"]))
    assert stats["echo_connections"] == 1
    assert stats["chat_connections"] == 2 and stats["chat_lines"] == 1
    assert stats["http_requests"] == 2 and stats["http_connections"] == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert proc.stdout.read().startswith("stopped; served {")
    assert "Traceback" not in proc.stderr.read()


def test_a_port_in_use_stops_them_all():
    """One server cannot listen: the error, the others stopped, status 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        out = subprocess.run([sys.executable, COMPOSE, "--echo-port", "0", "--chat-port", "0",
                              "--http-port", str(taken.getsockname()[1])],
                             capture_output=True, text=True, timeout=20)
    assert out.returncode == 1
    assert "compose:" in out.stderr and "in use" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("compose: http server: "), out.stderr


def run_compose(host):
    return subprocess.run([sys.executable, COMPOSE, "--host", host, "--echo-port", "0",
                           "--http-port", "0", "--chat-port", "0"],
                          capture_output=True, text=True, timeout=20)


def test_a_host_that_does_not_resolve_is_one_line():
    """--host is looked up once, not by each server: one line naming it
    (it was the same line once per server that failed before the others
    were cancelled, as a race decided)."""
    out = run_compose("no-such-host.invalid")
    assert out.returncode == 1
    assert out.stderr.startswith("compose: --host: "), out.stderr
    assert out.stderr.count("\n") == 1 and "no-such-host.invalid" in out.stderr, out.stderr


def test_servers_that_cannot_listen_are_named():
    """An address that is not this machine's (192.0.2.1, TEST-NET-1): every
    server that failed names itself, so no two lines are alike (they were
    the same line three times)."""
    with socket.socket() as probe:
        try:
            probe.bind(("192.0.2.1", 0))
        except OSError:
            pass
        else:
            pytest.skip("this machine can bind 192.0.2.1 (ip_nonlocal_bind?)")
    out = run_compose("192.0.2.1")
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert lines and len(set(lines)) == len(lines), out.stderr
    for line in lines:
        name = line.split(":")[1].strip()
        assert name in ("echo server", "http server", "chat server"), out.stderr
        assert "192.0.2.1" in line, out.stderr
