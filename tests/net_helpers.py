"""Helpers shared by the networking tests (test_streams, test_tls, test_udp,
test_threads, test_telnet): a watchdog, TLS contexts, loopback pairs.

Import the ``watchdog`` fixture into a test module and it applies to every
test there (it is autouse).
"""

import asyncio
import fcntl
import importlib.util
import os
import select
import signal
import socket
import ssl
import termios
import threading

import pytest

import trampoline
from trampoline import Future, Kernel, cancel, read, sleep, spawn
from trampoline.protocols.kv import kv_server
from trampoline.protocols.resp import ReplyParser, encode_command
from trampoline.streams import open_connection, tcp_server

HERE = os.path.dirname(os.path.abspath(__file__))
# The self-signed certificate and its key: see the header of tls_cert.pem
# for the openssl command that made them.
CERT = os.path.join(HERE, "tls_cert.pem")
KEY = os.path.join(HERE, "tls_key.pem")

MiB = 1 << 20
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def asyncio_run(coro):
    """Run ``coro`` in a new asyncio loop of its own, closed after."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def load_example(name):
    """The module of ``examples/<name>.py``, loaded from its file (the
    examples are scripts, not a package; tests of their own code load
    them this way rather than putting examples/ on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Hung(BaseException):
    """Raised by the watchdog into a test that runs past its time limit."""


@pytest.fixture(autouse=True)
def watchdog(request):
    """Turn a hang into a failure: after the limit SIGALRM raises ``Hung``
    (then again every second until the test ends).  The limit is the test
    module's ``WATCHDOG_SECONDS`` (10 by default); ``watchdog(seconds)``
    sets another for one test."""
    if not hasattr(signal, "setitimer"):    # pragma: no cover - not POSIX
        yield lambda seconds: None
        return

    def fire(signum, frame):
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise Hung("still running after the watchdog's limit: a hang or a starved task")
    fire.is_watchdog = True             # (conftest.py holds it while pytest writes a report)

    def limit(seconds):
        signal.setitimer(signal.ITIMER_REAL, seconds)

    previous = signal.signal(signal.SIGALRM, fire)
    limit(getattr(request.module, "WATCHDOG_SECONDS", 10.0))
    try:
        yield limit
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def server_context():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(CERT, KEY)
    return context


def client_context():
    """A client context that trusts the test certificate (and nothing else)."""
    return ssl.create_default_context(cafile=CERT)


def has_ipv6():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback (::1) here")


def echo(stream, address):
    """A server's handler: send back every byte until the peer closes."""
    while True:
        data = yield stream.read(65536)
        if not data:
            return
        yield stream.write(data)


def start_server(handler, host="127.0.0.1", **kwargs):
    """Subroutine: spawn ``tcp_server(host, 0, handler, ...)``, wait until it
    listens; return ``(task, port)``."""
    ready = Future()
    task = yield spawn(tcp_server(host, 0, handler, ready=ready, **kwargs))
    address = yield ready
    return task, address[1]


class ServerThread:
    """A server in a kernel of its own on a thread of this process:
    ``ServerThread(serving)`` where ``serving(ready)`` is the coroutine that
    serves until cancelled and calls ``ready(address)`` once it listens.
    ``port``; ``running()``; ``stop()``.  What a module fixture uses when
    the server's code should count in coverage (a subprocess's does not)."""

    def __init__(self, serving):
        self._stop_here, self._stop_there = socket.socketpair()
        self._ready = threading.Event()
        self.address = self.error = None
        self.thread = threading.Thread(target=self._run, args=(serving,), daemon=True)
        self.thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the server thread did not start listening in 10 s")
        if self.error is not None:
            raise self.error
        self.port = self.address[1]

    def _run(self, serving):
        def on_ready(address):
            self.address = address
            self._ready.set()

        def main():
            server = yield spawn(serving(on_ready))
            try:
                yield read(self._stop_here, 1)      # until stop() closes the other end
            finally:
                yield cancel(server)
        try:
            trampoline.run(main())
        except BaseException as exc:                # (reported by stop, or at start)
            self.error = exc
            self._ready.set()

    def running(self):
        return self.thread.is_alive() and self.error is None

    def stop(self):
        self._stop_there.close()
        self.thread.join(10)
        self._stop_here.close()
        assert not self.thread.is_alive(), "the server thread did not stop"
        if self.error is not None:
            raise self.error


def tcp_pair():
    """Two connected TCP sockets on 127.0.0.1: ``(ours, theirs)``."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        ours = socket.create_connection(listener.getsockname())
        theirs, _ = listener.accept()
    return ours, theirs


def ipv6_port_taken():
    """A listening IPv6-only socket on ``[::]:P``, for a test that needs P
    taken there and free on IPv4.  Binding ``[::]:0`` alone may pick a port
    some IPv4 socket of this machine holds (an outgoing connection's local
    port, say), and the test would fail on IPv4 instead: so P is first bound
    on ``0.0.0.0`` (which only a free port can be) and let go once ``[::]:P``
    is held."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
            taken = socket.socket(socket.AF_INET6)
            taken.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                taken.bind(("::", port))
            except OSError:
                taken.close()
                continue
        taken.listen()
        return taken
    raise RuntimeError("no port free on both 0.0.0.0 and [::] in 50 tries")


def free_port():
    """A port nobody listens on: bound, not listening -- connecting is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def open_fds():
    """How many descriptors this process has open (to see that none leaked)."""
    return len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))


def unread(sock):
    """How many bytes wait unread in ``sock``'s receive queue."""
    return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"),
                          "little", signed=True)


def drained(sock):
    """Subroutine: return once the reader of ``sock`` has taken every byte
    that arrived -- so that the next bytes sent are a separate receive."""
    while unread(sock):
        yield sleep(0)


def stalled(stream):
    """Subroutine: return once a write to ``stream`` waits for room (its
    socket's send buffer is full, and stays full: the peer does not read)."""
    while True:
        _, writable, _ = select.select([], [stream.sock], [], 0)
        if not writable:
            return
        yield sleep(0)


def stop_process(proc, timeout=10):
    """A test's clean-up of a program it started, whatever happened: kill
    ``proc`` if it still runs, reap it, close its pipes."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def read_to_end(sock):
    """Everything the blocking ``sock`` receives until the peer closes (a
    reset fails)."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def ask_line(sock, line):
    """Send ``line`` over the blocking ``sock``; return the line the server
    answers."""
    sock.sendall(line)
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = sock.recv(100)
        assert chunk, "the server closed after %r" % reply
        reply += chunk
    return reply


def ask(stream, *commands):
    """Subroutine: send RESP commands over ``stream`` at once; return the
    server's replies (kv_server's tests)."""
    yield stream.write(b"".join(encode_command(*command) for command in commands))
    parser = ReplyParser()
    got = []
    while len(got) < len(commands):
        data = yield stream.read(65536)
        assert data, "the server closed the connection"
        got += parser.feed(data)
    return got


def with_kv_server(store, client, clock=None, instruments=()):
    """Serve ``store`` with ``kv_server`` on a free port of 127.0.0.1 in a
    kernel of this process, run ``client(stream)`` -- a coroutine function
    -- on a connection to it, then stop the server; return what ``client``
    returned.  ``clock``, ``instruments``: the kernel's (a ``VirtualClock``,
    the store's clock too, for virtual seconds: the sweeps without real
    waiting)."""
    def main():
        ready = Future()
        server = yield spawn(kv_server("127.0.0.1", 0, store, ready=ready))
        try:
            host, port = (yield ready)[:2]
            stream = yield open_connection(host, port)
            with stream:
                return (yield from client(stream))
        finally:
            yield cancel(server)

    with Kernel(clock=clock, instruments=instruments) as kernel:
        return kernel.run(main())
