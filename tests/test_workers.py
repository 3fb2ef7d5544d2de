"""trampoline.workers.run_server: real server processes, driven from here.

Each test starts a server as a separate process -- examples/echo_server.py,
or the small SCRIPT below, whose handler takes a while over each request --
learns its port from the "listening on" line on its stdout and its worker
pids from the supervisor's log lines on its stderr, then talks to it with
plain blocking sockets and signals.
"""

import errno
import glob
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from net_helpers import (has_ipv6, ipv6_port_taken, read_to_end,  # noqa: F401 (watchdog:
                         watchdog)                                  # an autouse fixture)
from trampoline import streams, workers
from trampoline.workers import run_server

WATCHDOG_SECONDS = 20.0

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECHO_SERVER = os.path.join(ROOT, "examples", "echo_server.py")

# A server whose handler answers each line with "working", then, after
# --delay seconds, "done <line>".  A line "fail" makes it raise; --block makes
# it wait in time.sleep, which blocks its worker's kernel.  --crash: every
# worker dies as it starts.  --quick and --kill-margin set those constants.
SCRIPT = r"""
import argparse, logging, os, sys, time
from trampoline import sleep, workers
from trampoline.workers import run_server

parser = argparse.ArgumentParser()
parser.add_argument("--workers", type=int, default=1)
parser.add_argument("--delay", type=float, default=0.2)
parser.add_argument("--grace", type=float, default=5.0)
parser.add_argument("--crash", action="store_true")
parser.add_argument("--block", action="store_true")
parser.add_argument("--quick", type=float, default=workers.QUICK)
parser.add_argument("--kill-margin", type=float, default=workers.KILL_MARGIN)
parser.add_argument("--thread-first", action="store_true")
parser.add_argument("--asyncio-first", action="store_true")
parser.add_argument("--hold-files", type=int, default=0)
parser.add_argument("--sighup", choices=["default", "ignore"])
args = parser.parse_args()
workers.QUICK, workers.KILL_MARGIN = args.quick, args.kill_margin

def slow(stream, address):
    while True:
        line = yield stream.readline()
        if not line:
            return
        if line == b"fail\n":
            raise ValueError("this handler fails on purpose")
        yield stream.write(b"working\n")
        if args.block:
            time.sleep(args.delay)
        elif args.asyncio_first:
            yield await_asyncio(asyncio.sleep(args.delay))
        else:
            yield sleep(args.delay)
        yield stream.write(b"done " + line)

if args.sighup:                         # (ignore: as nohup starts it)
    import signal
    signal.signal(signal.SIGHUP, signal.SIG_IGN if args.sighup == "ignore" else signal.SIG_DFL)
if args.crash:
    os.register_at_fork(after_in_child=lambda: os._exit(3))
logging.basicConfig(level=logging.INFO, format="%(message)s")
if args.thread_first:                   # (as a host name look-up does)
    from trampoline import run, run_in_thread
    run(run_in_thread(os.getpid))
if args.asyncio_first:                  # (as an asyncio-only library does)
    import asyncio
    from trampoline import run
    from trampoline.aio import await_asyncio
    run(await_asyncio(asyncio.sleep(0)))
if args.hold_files:                     # (as an application with many files open does)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < args.hold_files + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.hold_files + 256, hard))
    held = [open(os.devnull) for _ in range(args.hold_files)]
run_server("127.0.0.1", 0, slow, workers=args.workers, grace=args.grace,
           ready=lambda address: print("listening on %s:%d" % address, flush=True))
print("stopped", flush=True)
if args.asyncio_first:
    print(run(await_asyncio(asyncio.sleep(0, "asyncio again"))), flush=True)
"""

STARTED = re.compile(r"worker (\d+) started \(pid (\d+)\)")


class Server:
    """A server process: ``port``, ``expect(pattern)`` on its stderr."""

    def __init__(self, argv, **popen):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, **popen)
        self.log = []                   # the stderr lines read so far
        line = self.proc.stdout.readline()
        if "listening on " not in line:
            self.proc.kill()
            raise AssertionError("no 'listening on' line: %r\n%s" % (line, self.proc.stderr.read()))
        self.where = line.rsplit(" ", 1)[1].strip()      # host:port, or a path
        self.port = int(self.where.rsplit(":", 1)[1]) if ":" in self.where else None

    def expect(self, pattern):
        """Read stderr lines until one matches ``pattern``; its match."""
        while True:
            line = self.proc.stderr.readline()
            if not line:
                raise AssertionError("stderr ended without %r:\n%s" % (pattern, "".join(self.log)))
            self.log.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def started(self, count):
        """The pids of the next ``count`` workers to start, by worker number."""
        pids = {}
        for _ in range(count):
            found = self.expect(STARTED)
            pids[int(found.group(1))] = int(found.group(2))
        return pids

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    """Where SCRIPT is, and how to run a Python script: plainly, or -- when
    this test run is measured by coverage -- under ``coverage run``, its
    data (the forked workers' too) merged into ours when it is done."""
    directory = tmp_path_factory.mktemp("workers")
    slow = directory / "slow_server.py"
    slow.write_text(SCRIPT)
    measured = _measuring()
    rcfile = directory / "coveragerc"
    rcfile.write_text("[run]\nbranch = True\nparallel = True\nsource = %s\n"
                      "data_file = %s\npatch = _exit, fork\n"
                      % (os.path.join(ROOT, "trampoline"), directory / ".coverage"))

    def python(script, *args):
        if measured is None:
            return [sys.executable, str(script)] + list(args)
        return ([sys.executable, "-m", "coverage", "run", "--rcfile", str(rcfile), str(script)]
                + list(args))

    def merge():
        if measured is not None:
            from coverage import CoverageData
            data = measured.get_data()
            for name in glob.glob(str(directory / ".coverage.*")):
                part = CoverageData(name)
                try:
                    part.read()
                    data.update(part)
                except Exception:   # coverage's DataError: a process killed (on purpose)
                    pass            # as it saved its data left the file empty
                os.remove(name)

    python.slow = slow
    python.merge = merge
    return python


def _measuring():
    """The Coverage measuring this process, if any."""
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


@pytest.fixture
def server(scripts):
    """``server(argv)`` starts one; each is killed at the end of the test."""
    started = []

    def start(argv, **popen):
        started.append(Server(argv, **popen))
        return started[-1]

    yield start
    for each in started:
        each.close()
    scripts.merge()


@pytest.fixture
def echo_server(scripts):
    return lambda *args: scripts(ECHO_SERVER, "--port", "0", *args)


@pytest.fixture
def slow_server(scripts):
    return lambda *args: scripts(scripts.slow, *args)


def echoes(sock, data=b"ping"):
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        assert chunk, "connection closed after %r" % got
        got += chunk
    return got == data


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# ---------------------------------------------------------------- supervision

def test_a_worker_killed_with_sigkill_is_replaced(server, echo_server):
    """SIGKILL one worker, then the other: each is replaced, and the server
    answers throughout -- at the end, from replacements only."""
    srv = server(echo_server("--workers", "2"))
    first = srv.started(2)
    assert sorted(first) == [1, 2] and len(set(first.values())) == 2
    os.kill(first[1], signal.SIGKILL)
    with srv.connect() as sock:         # worker 2 (or the new 1) answers
        assert echoes(sock)
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another" % first[1])
    replacement = srv.started(1)
    assert list(replacement) == [1] and replacement[1] not in first.values()
    os.kill(first[2], signal.SIGKILL)
    srv.expect(r"worker 2 \(pid %d\) was killed by SIGKILL" % first[2])
    replacement.update(srv.started(1))
    assert gone(first[1]) and gone(first[2])
    for _ in range(3):                  # only replacements are left to answer
        with srv.connect() as sock:
            assert echoes(sock, b"still here")
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert all(gone(pid) for pid in replacement.values())


def test_workers_0_starts_one_per_cpu(server, echo_server):
    """--workers 0: as many workers as this process may use CPUs (from
    Python 3.13, as ``os.process_cpu_count()`` says: PYTHON_CPU_COUNT, if
    set, is the user's word for it)."""
    if hasattr(os, "process_cpu_count"):
        expected = os.process_cpu_count()
    else:
        expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    srv = server(echo_server("--workers", "0"))
    if expected > 1:
        assert sorted(srv.started(expected)) == list(range(1, expected + 1))
    # (One CPU: as --workers 1, this process serves, nothing is forked --
    # the STARTED check below sees to that.)
    with srv.connect() as sock:
        assert echoes(sock)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert not STARTED.search("".join(srv.log[expected:]) + srv.proc.stderr.read())


def test_a_crash_loop_gives_up(server, slow_server):
    """Workers that die as they start are restarted a few times, with a
    growing pause, then run_server raises CrashLoopError: exit status 1."""
    srv = server(slow_server("--workers", "2", "--crash"))
    started = time.monotonic()
    assert srv.proc.wait(10) == 1
    assert time.monotonic() - started < 5
    err = srv.proc.stderr.read()
    assert "exited with status 3; starting another in 0.1 s" in err
    assert "CrashLoopError: run_server: worker" in err
    assert ("died %d times in a row within 1 s of starting" % workers.CRASH_LIMIT) in err
    assert "giving up" in err
    assert srv.proc.stdout.read() == ""     # run_server did not return


# ---------------------------------------------------------------- graceful stop

@pytest.mark.parametrize("count, how", [(1, "SIGTERM"), (2, "SIGTERM"), (2, "Ctrl-C")])
def test_stop_signal_lets_the_request_in_flight_finish(server, slow_server, count, how):
    """SIGTERM to the server (or SIGINT to its whole process group, as
    Ctrl-C in a terminal sends it): the client in the middle of a request
    gets its full reply, an idle client is disconnected, new connections
    are refused, and the process exits 0 within a second."""
    srv = server(slow_server("--workers", str(count), "--delay", "0.3"),
                 start_new_session=True)
    if count > 1:
        srv.started(count)
    with srv.connect() as busy, srv.connect() as idle:
        idle.sendall(b"first\n")
        assert idle.makefile("rb").read(len(b"working\ndone first\n")) == b"working\ndone first\n"
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"     # it is in the handler's sleep now
        signalled = time.monotonic()
        if how == "Ctrl-C":
            os.killpg(srv.proc.pid, signal.SIGINT)
        else:
            srv.proc.send_signal(signal.SIGTERM)
        assert read_to_end(idle) == b""            # let go at once...
        busy.setblocking(False)
        with pytest.raises(BlockingIOError):    # (while the busy one still works)
            busy.recv(1)
        busy.setblocking(True)
        assert read_to_end(busy) == b"done request\n"   # ...the busy one after its reply
        with pytest.raises(ConnectionRefusedError):
            srv.connect()
    assert srv.proc.wait(10) == 0
    assert time.monotonic() - signalled < 1.0
    assert srv.proc.stdout.read() == "stopped\n"
    assert "Traceback" not in srv.proc.stderr.read()


def test_a_handler_still_busy_after_grace_is_cancelled(server, slow_server):
    """With --grace 0.2, a request that would take 30 s is cut short."""
    srv = server(slow_server("--workers", "2", "--delay", "30", "--grace", "0.2"))
    srv.started(2)
    with srv.connect() as busy:
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"
        signalled = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        assert read_to_end(busy) == b""
        assert srv.proc.wait(10) == 0
    assert time.monotonic() - signalled < 2.0
    srv.expect(r"1 connection\(s\) still busy after 0.2 s; cancelling them")


@pytest.mark.parametrize("grace", ["inf", "1e9"])
def test_an_unlimited_or_huge_grace_still_stops_gracefully(server, slow_server, grace):
    """grace=float("inf") (wait for every connection, however long) or a
    grace of years: the supervisor's wait for the kill deadline is capped,
    not an OverflowError that killed every worker (exit status 1)."""
    srv = server(slow_server("--workers", "2", "--delay", "0.3", "--grace", grace))
    srv.started(2)
    with srv.connect() as busy:
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"
        srv.proc.send_signal(signal.SIGTERM)
        assert read_to_end(busy) == b"done request\n"
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read() == "stopped\n"
    assert "Traceback" not in "".join(srv.log) + srv.proc.stderr.read()


def test_a_second_signal_stops_at_once(server, slow_server):
    """A second SIGTERM while the workers drain: everything dies now."""
    srv = server(slow_server("--workers", "2", "--delay", "30", "--grace", "30"))
    pids = srv.started(2)
    with srv.connect() as busy:
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"
        srv.proc.send_signal(signal.SIGTERM)
        srv.expect(r"stopping 2 worker\(s\) \(got SIGTERM\)")
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(10) == -signal.SIGTERM
        assert read_to_end(busy) == b""
    assert all(gone(pid) for pid in pids.values())


def _descriptors_allowed():
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return float("inf") if hard == resource.RLIM_INFINITY else hard


@pytest.mark.skipif(_descriptors_allowed() < 1400, reason="needs RLIMIT_NOFILE of 1400 or more")
def test_a_supervisor_holding_more_than_1024_descriptors(server, slow_server):
    """An application that holds 1100 files when it calls run_server: the
    supervisor's wake-up pipe is above descriptor 1024 (select() refused it:
    ValueError, workers killed, exit status 1); it serves and stops as ever."""
    srv = server(slow_server("--workers", "2", "--delay", "0", "--hold-files", "1100"))
    srv.started(2)
    with srv.connect() as sock:
        sock.sendall(b"hello\n")
        assert sock.makefile("rb").read(len(b"working\ndone hello\n")) == b"working\ndone hello\n"
    srv.proc.send_signal(signal.SIGTERM)
    srv.expect(r"stopping 2 worker\(s\) \(got SIGTERM\)")
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read() == "stopped\n"
    assert "Traceback" not in srv.proc.stderr.read()


@pytest.mark.parametrize("count", [1, 2])
def test_sighup_stops_the_server_gracefully(server, slow_server, count):
    """SIGHUP (the terminal went away) is a stop signal like SIGTERM: the
    request in flight gets its reply, the workers drain and are reaped, and
    the process exits 0 -- not the signal's default action (exit status 129,
    no cleanup, the workers left to drain without a parent)."""
    srv = server(slow_server("--workers", str(count), "--delay", "0.3", "--sighup", "default"))
    pids = srv.started(count) if count > 1 else {}
    with srv.connect() as busy:
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"     # it is in the handler's sleep now
        srv.proc.send_signal(signal.SIGHUP)
        assert read_to_end(busy) == b"done request\n"
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read() == "stopped\n"
    log = "".join(srv.log) + srv.proc.stderr.read()
    assert "Traceback" not in log
    if count > 1:
        assert "stopping 2 worker(s) (got SIGHUP)" in log
        for number, pid in pids.items():
            assert "worker %d (pid %d) exited with status 0" % (number, pid) in log


@pytest.mark.parametrize("count", [1, 2])
def test_a_server_started_with_sighup_ignored_leaves_it_ignored(server, slow_server, count):
    """Under nohup (SIGHUP ignored when run_server starts) a hang-up must
    not stop the server: SIGHUP then SIGTERM is one stop signal, not two
    (a second one would kill it)."""
    srv = server(slow_server("--workers", str(count), "--delay", "0", "--sighup", "ignore"))
    if count > 1:
        srv.started(count)
    with srv.connect() as sock:
        sock.sendall(b"hello\n")
        assert sock.makefile("rb").read(len(b"working\ndone hello\n")) == b"working\ndone hello\n"
    srv.proc.send_signal(signal.SIGHUP)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    if count > 1:
        srv.expect(r"stopping 2 worker\(s\) \(got SIGTERM\)")
    assert srv.proc.stdout.read() == "stopped\n"


def every_holder_exited(pipe, timeout):
    """True once every process holding the write end of ``pipe`` -- the
    server's stderr, which its forked workers inherit -- has exited: the
    pipe reads its end.  (Any Python: PyPy 3.9 has no ``os.pidfd_open``.)"""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([pipe], [], [], left)[0]:
            return False
        if not os.read(pipe.fileno(), 65536):
            return True


def test_workers_do_not_outlive_their_parent(server, echo_server):
    """The parent killed with SIGKILL: its workers see their lifeline
    close, drain and exit."""
    srv = server(echo_server("--workers", "2"))
    pids = srv.started(2)
    with srv.connect() as idle:
        assert echoes(idle)
        srv.proc.kill()
        srv.proc.wait(10)
        assert read_to_end(idle) == b""            # its worker let it go
    assert every_holder_exited(srv.proc.stderr, 10), \
        "a worker outlived its parent: %s" % sorted(pids.values())


def test_a_worker_stuck_in_a_blocking_call_is_killed(server, slow_server):
    """A worker that cannot drain (its handler blocks the kernel in
    time.sleep) is killed grace + KILL_MARGIN seconds after the stop."""
    srv = server(slow_server("--workers", "2", "--block", "--delay", "30",
                             "--grace", "0.1", "--kill-margin", "0.2"))
    pids = srv.started(2)
    with srv.connect() as busy:
        busy.sendall(b"request\n")
        assert busy.recv(8) == b"working\n"
        signalled = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        found = srv.expect(r"worker (\d) \(pid (\d+)\) still running 0.3 s after the stop; "
                           r"killing it")
        assert pids[int(found.group(1))] == int(found.group(2))
        assert read_to_end(busy) == b""
        assert srv.proc.wait(10) == 0
    assert time.monotonic() - signalled < 5


def test_a_handler_error_is_reported_once_and_the_worker_goes_on(server, slow_server):
    """A handler that raises: its connection is closed, its traceback
    logged once, and every worker goes on serving."""
    srv = server(slow_server("--workers", "2", "--delay", "0"))
    srv.started(2)
    with srv.connect() as sock:
        sock.sendall(b"fail\n")
        assert read_to_end(sock) == b""        # its connection is closed
    for _ in range(4):                      # both workers still answer
        with srv.connect() as sock:
            sock.sendall(b"fine\n")
            assert sock.makefile("rb").read(18) == b"working\ndone fine\n"
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    err = "".join(srv.log) + srv.proc.stderr.read()
    assert err.count("ValueError: this handler fails on purpose") == 1, err
    assert err.count("Traceback") == 1
    assert "died" not in err and "killed" not in err


def test_a_worker_that_had_lived_is_replaced_at_once(server, slow_server):
    """A worker that dies after QUICK seconds is replaced without a pause
    (here QUICK is 0: any worker has lived long enough)."""
    srv = server(slow_server("--workers", "2", "--quick", "0"))
    pids = srv.started(2)
    os.kill(pids[2], signal.SIGKILL)
    srv.expect(r"worker 2 \(pid %d\) was killed by SIGKILL; starting another$" % pids[2])
    assert list(srv.started(1)) == [2]
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


def test_tls_workers_stop_gracefully(server, echo_server):
    """--workers 2 --tls: on SIGTERM an idle TLS client is let go cleanly
    (a plain end of stream, no TLS alert) and the server exits 0."""
    from net_helpers import CERT, KEY, client_context
    srv = server(echo_server("--workers", "2", "--tls", CERT, KEY))
    srv.started(2)
    with srv.connect() as raw:
        with client_context().wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"secret")
            assert tls.recv(6) == b"secret"
            srv.proc.send_signal(signal.SIGTERM)
            assert tls.recv(1) == b""       # not an OpenSSL 3 "decode error" alert
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read() == "echo server stopped\n"


def test_unix_socket_workers(server, echo_server, tmp_path):
    """--workers 2 --unix PATH: served over the Unix socket; on SIGTERM the
    server exits 0 and removes the socket file."""
    path = str(tmp_path / "echo.sock")
    srv = server(echo_server("--unix", path, "--workers", "2"))
    assert srv.where == path
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(path)
        assert echoes(sock, b"over unix")
        srv.proc.send_signal(signal.SIGTERM)
        assert sock.recv(1) == b""
    assert srv.proc.wait(10) == 0
    assert not os.path.exists(path)


# ---------------------------------------------------------------- arguments

def handler(stream, address):
    yield stream.write(b"")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(workers=-1), ValueError, "workers must be an int >= 0"),
    (dict(workers="2"), ValueError, "workers must be an int >= 0"),
    (dict(workers=2.0), ValueError, "workers must be an int >= 0"),
    (dict(grace=-1), ValueError, "grace must be a number of seconds >= 0"),
    (dict(ready="yes"), TypeError, "ready= needs a function"),
    (dict(unix="/tmp/x.sock"), ValueError, "give host and port, or unix=PATH"),
    (dict(ssl=True), TypeError, "ssl= needs an ssl.SSLContext"),
])
def test_bad_arguments_are_refused_before_anything_starts(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        run_server("127.0.0.1", 0, handler, **kwargs)


def test_bad_port_and_unix_with_host_are_refused():
    with pytest.raises(ValueError, match="port must be an int from 0 to 65535, got 70000"):
        run_server("127.0.0.1", 70000, handler)
    with pytest.raises(ValueError, match="port must be an int"):
        run_server("127.0.0.1", "80", handler)
    with pytest.raises(ValueError, match="give host and port, or unix=PATH"):
        run_server(None, 0, handler, unix="/tmp/x.sock")


@pytest.mark.parametrize("count", [1, 2])
def test_a_host_that_does_not_resolve_is_named(count):
    """A host name with no address (.invalid never has one): the error
    names it and the port, as a port in use does -- not just "Name or
    service not known"."""
    with pytest.raises(socket.gaierror, match=r"cannot listen on no-such-host\.invalid:8123"):
        run_server("no-such-host.invalid", 8123, handler, workers=count)


@pytest.mark.parametrize("count", [1, 2])
def test_a_host_that_is_no_host_name_is_named(count):
    """A host IDNA refuses ("a..b", an empty label): the error named
    neither the host nor the port -- "encoding with 'idna' codec failed
    (UnicodeError: label empty or too long)" -- where tcp_server's says
    "not a valid host name: 'a..b'"."""
    with pytest.raises(socket.gaierror, match=r"not a valid host name: 'a\.\.b' \(.*\): "
                                              r"cannot listen on a\.\.b:8123$"):
        run_server("a..b", 8123, handler, workers=count)


def test_echo_server_names_a_host_that_is_no_host_name():
    """The user's view of the same: one line naming the host, status 1."""
    out = subprocess.run([sys.executable, ECHO_SERVER, "--host", "a..b", "--port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("echo server: ") and "not a valid host name: 'a..b'" in line, line
    assert out.stdout == ""


def test_forking_with_other_threads_running_is_refused():
    """Forking copies only the calling thread: refused, before listening."""
    import threading
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="bystander")
    other.start()
    try:
        with pytest.raises(RuntimeError, match=r"other threads running \(.*bystander"):
            run_server("127.0.0.1", 0, handler, workers=2)
    finally:
        release.set()
        other.join()


def test_trampolines_own_idle_worker_threads_do_not_stop_the_fork(server, slow_server):
    """A look-up in a thread just before run_server left a worker thread
    waiting for its next job: it ends, rather than refuse the fork."""
    proc = server(slow_server("--workers", "2", "--thread-first"))
    proc.started(2)
    with proc.connect() as sock:
        sock.sendall(b"hello\n")
        assert read_line(sock) == b"working\n"
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(10) == 0


def test_an_idle_asyncio_thread_does_not_stop_the_fork(server, slow_server):
    """An await_asyncio call just before run_server left its asyncio thread
    running, idle: it ends, rather than refuse the fork.  The workers'
    handlers await asyncio on a loop of their own, and the parent on a new
    one once the server has stopped."""
    proc = server(slow_server("--workers", "2", "--asyncio-first", "--delay", "0"))
    proc.started(2)
    with proc.connect() as sock:
        sock.sendall(b"hello\n")
        assert read_line(sock) == b"working\n"
        assert read_line(sock) == b"done hello\n"     # after an await_asyncio there
    proc.proc.send_signal(signal.SIGTERM)
    assert proc.proc.wait(10) == 0
    assert proc.proc.stdout.read() == "stopped\nasyncio again\n"


def test_an_asyncio_thread_with_work_in_flight_still_stops_the_fork():
    """Its asyncio task would be lost in the fork: refused, naming it."""
    import asyncio
    from trampoline.aio import AsyncioThread

    def forked(address):                    # pragma: no cover - a failure
        raise AssertionError("run_server went on to fork")
    thread = AsyncioThread(name="busy-asyncio")
    busy = asyncio.run_coroutine_threadsafe(asyncio.sleep(3600), thread.loop)
    try:
        with pytest.raises(RuntimeError, match=r"other threads running \(.*busy-asyncio"):
            run_server("127.0.0.1", 0, handler, workers=2, ready=forked)
    finally:
        busy.cancel()
        thread.close()


def read_line(sock):
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        assert chunk, "connection closed after %r" % data
        data += chunk
    return data


def test_forking_from_another_thread_is_refused():
    import threading
    caught = []

    def call():
        try:
            run_server("127.0.0.1", 0, handler, workers=2)
        except RuntimeError as exc:
            caught.append(str(exc))
    other = threading.Thread(target=call)
    other.start()
    other.join()
    assert caught and "must be called from the main thread" in caught[0]


def test_a_handler_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="the handler must be a function"):
        run_server("127.0.0.1", 0, "echo")


@pytest.mark.skip(reason="the error off POSIX (no os.fork) cannot happen on this platform")
def test_workers_need_fork():                               # pragma: no cover
    with pytest.raises(RuntimeError, match="needs os.fork"):
        run_server("127.0.0.1", 0, handler, workers=2)


@pytest.mark.parametrize("count", [1, 2])
def test_a_stop_signal_right_after_the_listening_line_is_graceful(count, watchdog):
    """``ready`` (the "listening" line) comes only once the stop signals are
    handled: a SIGTERM sent the moment it appears stops the server
    gracefully (status 0), never by the signal's default action.  (Six
    servers, one after the other: the watchdog gives them a minute -- under
    PyPy on a loaded machine they took past the module's 20 s.)"""
    watchdog(60)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "echo_server.py"),
                                 "--port", "0", "--workers", str(count)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert "listening" in proc.stdout.readline()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()


# A SIGTERM sent as soon as run_server has set its handler for it (found
# with a profile hook: signal.signal's second return), before anything runs.
EARLY_SIGTERM = r"""
import os, signal, sys
from trampoline.workers import run_server

def handler(stream, address):
    yield stream.write(b"")

returns = []

def profile(frame, event, arg):
    if event == "return" and frame.f_code is signal.signal.__code__:
        returns.append(frame)
        if len(returns) == 2:           # SIGINT's, then SIGTERM's
            sys.setprofile(None)
            os.kill(os.getpid(), signal.SIGTERM)
            print("signalled", flush=True)

sys.setprofile(profile)
run_server("127.0.0.1", 0, handler, workers=2, ready=lambda address: print("listening"))
print("stopped", flush=True)
"""


def test_a_stop_signal_while_the_supervisor_sets_its_handlers_is_not_lost(tmp_path):
    """A SIGTERM caught by the supervisor's handler before its wake-up pipe
    was there woke nothing: the server ran on as if it had never come (a
    service stopped as it starts would wait for its SIGKILL)."""
    script = tmp_path / "early_sigterm.py"
    script.write_text(EARLY_SIGTERM)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("the SIGTERM was lost: %r\n%s" % (out, err))
    assert (out, proc.returncode) == ("signalled\nlistening\nstopped\n", 0), err


def test_a_worker_runs_each_handler_in_its_connection_task_and_still_drains(run):
    """Issue 14: a worker's connection is one task, the one that runs its
    handler (no second task waiting on it), and a stop still drains it: the
    handler, waiting for input, sees the end of its stream and returns."""
    from trampoline import cancel, current, open_connection, spawn
    from trampoline.traps import current_kernel
    from trampoline.net import listen
    seen = {}

    def idle(stream, address):
        me = yield current()
        kernel = yield current_kernel()
        seen["me"] = me.name
        seen["tasks"] = [task.name for task in kernel.tasks() if "idle" in task.name]
        yield stream.write(b"hi\n")
        seen["read after the stop"] = yield stream.read(100)

    def main():
        listener = listen(("127.0.0.1", 0))
        worker = yield spawn(workers._worker([listener], idle, None, 5.0))
        client = yield open_connection("127.0.0.1", listener.getsockname()[1])
        with client:
            assert (yield client.readline()) == b"hi\n"
            started = time.monotonic()
            yield cancel(worker)                # a stop signal's drain, and its end
            seen["took"] = time.monotonic() - started
            return (yield client.read())

    assert run(main()) == b""                  # the server closed the connection
    # Not new (it has written): idle, let go at once, not after a grace.
    assert seen["took"] < streams.NEW_CONNECTION_GRACE
    assert seen["me"].startswith("idle 127.0.0.1:")
    assert seen["tasks"] == [seen["me"]]
    assert seen["read after the stop"] == b""


def test_a_handler_that_only_reads_is_idle_once_its_first_read_came_back(run):
    """A new connection begins when its handler writes -- or, as here, asks
    for input a second time (the first read came back): a stop then lets
    it go at once, not after NEW_CONNECTION_GRACE."""
    from trampoline import Event, cancel, open_connection, spawn
    from trampoline.net import listen
    got = []
    second_read = Event()

    def sink(stream, address):
        while True:
            read = stream.read(65536)           # the read trap itself (1st: new)
            if got:
                second_read.set()
            data = yield read
            if not data:
                got.append("the end")
                return
            got.append(data)

    def main():
        listener = listen(("127.0.0.1", 0))
        worker = yield spawn(workers._worker([listener], sink, None, 5.0))
        client = yield open_connection("127.0.0.1", listener.getsockname()[1])
        with client:
            yield client.write(b"hello")
            yield second_read.wait()            # it has its bytes and asks again
            started = time.monotonic()
            yield cancel(worker)                # a stop signal's drain, and its end
            return time.monotonic() - started, (yield client.read())

    took, rest = run(main())
    assert got == [b"hello", "the end"] and rest == b""
    assert took < streams.NEW_CONNECTION_GRACE


# ---------------------------------------------------------------- every interface

EVERY_INTERFACE = r"""
import logging, sys
from trampoline.workers import run_server

def peer(stream, address):                  # the client's address, as the handler gets it
    yield stream.write(("%s\n" % address[0]).encode())

logging.basicConfig(level=logging.INFO, format="%(message)s")
run_server(None, 0, peer, workers=int(sys.argv[1]),
           ready=lambda address: print("listening on %s:%d" % address[:2], flush=True))
print("stopped", flush=True)
"""


@pytest.mark.parametrize("count", [1, 2])
def test_run_server_on_no_host_serves_ipv4_and_ipv6_clients_as_tcp_server_does(
        server, scripts, tmp_path, count):
    """``run_server(None, port)`` is every interface, IPv4 and IPv6, as
    ``tcp_server(None, port)`` and asyncio's and trio's servers are: an
    IPv6 client (::1) is served too -- by the one process, or by the
    forked workers, which share both sockets.  An IPv4 client's address
    stays plain ("127.0.0.1", not "::ffff:127.0.0.1": the IPv6 socket is
    V6ONLY); ``ready`` is called once, with the first address.  It
    listened on IPv4 alone."""
    script = tmp_path / "every_interface.py"
    script.write_text(EVERY_INTERFACE)
    srv = server(scripts(script, str(count)))
    assert srv.where == "0.0.0.0:%d" % srv.port     # (getaddrinfo's first: IPv4)
    hosts = ["127.0.0.1", "::1"] if has_ipv6() else ["127.0.0.1"]
    seen = []
    for host in hosts:
        with socket.create_connection((host, srv.port), timeout=10) as sock:
            seen.append(read_to_end(sock))
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read() == "stopped\n"
    assert seen == [b"%s\n" % host.encode() for host in hosts]


@pytest.mark.skipif(not has_ipv6(), reason="no IPv6 here")
def test_run_server_on_no_host_with_the_ipv6_port_taken_names_the_call_and_the_address():
    """[::]:P held by another socket: ``run_server(None, P)`` raises, before
    forking anything, EADDRINUSE naming the address that failed and the
    call, as tcp_server's error does (it listened on IPv4 alone, and
    started)."""
    with ipv6_port_taken() as taken:
        port = taken.getsockname()[1]
        with pytest.raises(OSError) as info:
            run_server(None, port, handler, workers=2)
    assert info.value.errno == errno.EADDRINUSE
    assert str(info.value) == (
        "[Errno %d] %s: cannot listen on [::]:%d (run_server(None, %d), which is every IPv4 "
        "interface, every IPv6 interface)" % (errno.EADDRINUSE, os.strerror(errno.EADDRINUSE),
                                             port, port))
