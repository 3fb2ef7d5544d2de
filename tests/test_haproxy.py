"""Behind a real HAProxy: the PROXY protocol end to end, and a graceful leave under load.

Two backends (tests/proxy_backend.py: run_server(proxy_protocol=True),
answering each HTTP request with its name and the client address its
handler got) sit behind an HAProxy started here with a generated config:
``mode http``, round robin, health checks, ``retries``, ``option
redispatch`` and ``retry-on conn-failure empty-response response-timeout``,
as README.rst's "Deploying" section recommends.  ``empty-response`` is
needed: a connection that reaches a backend's listener queue between the
drain's last ``accept`` and its ``close`` is reset by the operating system
-- no server with a plain listening socket can avoid that -- and without
that retry its request reached the client as a 502 (in 1 run of 400
here, and once in CI; in every run with 20 ms made to pass between the
two).  That the hand-over serves the clients queued in the listener is
checked deterministically in test_proxy_server.py.  HAProxy's listening
socket is made here (port 0) and handed over as ``fd@N``, so no port is
guessed.  Clients connect from
127.0.0.2, so the address a backend reports can only be the real client's
if the PROXY header carried it.  Skipped, with a message, where haproxy is
not installed.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from net_helpers import watchdog  # noqa: F401 (autouse fixture)
from test_workers import Server, scripts  # noqa: F401 (scripts: a fixture)

WATCHDOG_SECONDS = 40.0
HERE = os.path.dirname(os.path.abspath(__file__))
BACKEND = os.path.join(HERE, "proxy_backend.py")
HAPROXY = shutil.which("haproxy", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")

pytestmark = pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed "
                                "(apt-get install haproxy; .ci/run does): the PROXY protocol "
                                "is tested against the parser and our own clients only")

CLIENT_HOST = "127.0.0.2"

CONFIG = """\
global
    maxconn 500
    log stdout format raw local0 info

defaults
    mode http
    log global
    log-format "%%ci:%%cp %%s %%ST %%tsc retries=%%rc"
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend front
    bind fd@%(fd)d
    default_backend backends

backend backends
    balance roundrobin
    option httpchk GET /health
    default-server check inter 100ms fall 1 rise 1 check-send-proxy %(send_proxy)s
%(servers)s
"""


class HAProxy:
    """HAProxy in the foreground (``-db``) on a listening socket made here."""

    def __init__(self, directory, backends, send_proxy):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        servers = "\n".join("    server %s 127.0.0.1:%d" % (name, port)
                            for name, port in backends)
        config = directory / "haproxy.cfg"
        config.write_text(CONFIG % {"fd": self.listener.fileno(), "send_proxy": send_proxy,
                                    "servers": servers})
        self.log = directory / "haproxy.log"
        with open(str(self.log), "w") as log:
            self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(config)], stdout=log,
                                         stderr=subprocess.STDOUT,
                                         pass_fds=[self.listener.fileno()])

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.listener.close()

    def output(self):
        return self.log.read_text()


def get(port, path="/"):
    """One HTTP request from 127.0.0.2: ``(status line, body, our port)``."""
    with socket.socket() as sock:
        sock.settimeout(10)
        sock.bind((CLIENT_HOST, 0))
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
                     % path.encode())
        response = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
        ours = sock.getsockname()[1]
    head, _, body = response.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body.decode(), ours


def until(condition, what, seconds=10.0):
    """Poll ``condition()`` (an outside process's state) until it is true."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("still not %s after %g s" % (what, seconds))
        time.sleep(0.02)


@pytest.fixture
def farm(scripts, tmp_path):  # noqa: F811 (scripts: the fixture imported above)
    """``farm(send_proxy, delay=0)``: backends a (two workers) and b (one)
    behind HAProxy, all killed at the end; returns ``(haproxy, {name:
    Server})``."""
    started = []

    def start(send_proxy, delay=0.0):
        backends = {}
        for name, workers in (("a", "2"), ("b", "1")):      # run_server forking, and not
            backends[name] = Server(scripts(BACKEND, name, "--delay", str(delay),
                                            "--workers", workers))
            started.append(backends[name])
        haproxy = HAProxy(tmp_path, [(name, backends[name].port) for name in backends],
                          send_proxy)
        started.append(haproxy)
        # Both up in HAProxy's eyes (its first health checks passed):
        def both_serve():
            if haproxy.proc.poll() is not None:
                raise AssertionError("haproxy exited with status %d:\n%s"
                                     % (haproxy.proc.returncode, haproxy.output()))
            return {get(haproxy.port)[1].split()[0] for _ in range(4)} == {"a", "b"}
        until(both_serve, "served by both backends")
        return haproxy, backends

    yield start
    for each in reversed(started):
        each.close()
    scripts.merge()


@pytest.mark.parametrize("send_proxy", ["send-proxy", "send-proxy-v2"])
def test_requests_spread_over_both_backends_and_each_sees_the_real_client(farm, send_proxy):
    haproxy, backends = farm(send_proxy)
    seen = {"a": 0, "b": 0}
    for _ in range(20):
        status, body, our_port = get(haproxy.port)
        assert status == b"HTTP/1.1 200 OK"
        name, host, port = body.split()
        assert (host, int(port)) == (CLIENT_HOST, our_port)   # us, not HAProxy
        seen[name] += 1
    assert seen == {"a": 10, "b": 10}                         # round robin
    for backend in backends.values():
        backend.proc.send_signal(signal.SIGTERM)
        assert backend.proc.wait(10) == 0
        log = backend.proc.stderr.read()
        assert "closing the connection" not in log, log        # health checks included
        assert "Traceback" not in log


def test_a_backend_stopped_under_load_loses_no_request_and_exits_0(farm):
    """Four clients request in a loop; backend a (two workers) gets SIGTERM.  It stops
    accepting at once (HAProxy retries elsewhere, its health check marks
    it down), answers what it had, and exits 0; b serves the rest; no
    client sees anything but 200 with a body."""
    haproxy, backends = farm("send-proxy-v2", delay=0.01)
    answers, errors = [], []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                status, body, our_port = get(haproxy.port)
                assert status == b"HTTP/1.1 200 OK", (status, body)
                name, host, port = body.split()
                assert (host, int(port)) == (CLIENT_HOST, our_port)
                answers.append((time.monotonic(), name))
            except Exception as exc:              # noqa: BLE001 - every failure counts
                errors.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        until(lambda: sum(1 for _, name in answers if name == "a") >= 20, "a busy")
        a = backends["a"]
        a.proc.send_signal(signal.SIGTERM)
        assert a.proc.wait(10) == 0
        stopped = time.monotonic()
        count = len(answers)
        until(lambda: len(answers) >= count + 40, "served after the stop")
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    assert errors == [], "\n".join(errors[:5]) + "\n" + haproxy.output()[-3000:]
    assert a.proc.stdout.read() == "stopped\n"
    log = a.proc.stderr.read()
    assert "closing the connection" not in log and "Traceback" not in log, log
    after = [name for when, name in answers if when > stopped]
    assert len(after) >= 40 and set(after) == {"b"}
    before = [name for when, name in answers if when <= stopped]
    assert {"a", "b"} <= set(before)
