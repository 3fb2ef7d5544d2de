"""run_server(workers=N): what the supervisor does that test_workers did
not pin (found by mutation testing trampoline/workers.py).

The arguments and the listening socket are checked in this process: a
``ready`` that raises ends ``run_server`` as soon as it listens.  The rest
runs SCRIPT below as a real server process, as test_workers does: the
"listening on" line on its stdout, the supervisor's log on its stderr,
blocking sockets and signals from here.
"""

import errno
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from net_helpers import ask_line, read_to_end, watchdog  # noqa: F401 (an autouse fixture)
from trampoline.workers import run_server

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="run_server(workers=N) forks")

WATCHDOG_SECONDS = 20.0

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A server whose handler obeys one command a line: "pid" (its worker's
# pid), "slow S" ("working", then "done" S seconds later), "block" (the
# worker's kernel waits in os.read on --fifo until a byte comes), "print
# TEXT" (print(TEXT), not flushed), "exit N" / "exit-with TEXT"
# (sys.exit(N) / sys.exit(TEXT)), "interrupt" (raise KeyboardInterrupt).
SCRIPT = r"""
import argparse, logging, os, resource, signal, socket, sys
from trampoline import sleep, workers
from trampoline.workers import run_server

parser = argparse.ArgumentParser()
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--grace", type=float, default=5.0)
parser.add_argument("--set", action="append", default=[])      # NAME=VALUE of workers'
parser.add_argument("--fifo")
parser.add_argument("--before")             # printed (not flushed) before run_server
parser.add_argument("--after", action="store_true")     # say what run_server left
parser.add_argument("--no-second-worker", action="store_true")
parser.add_argument("--crash", action="store_true")     # every worker dies as it starts
args = parser.parse_args()
for setting in args.set:
    name, value = setting.split("=")
    setattr(workers, name, type(getattr(workers, name))(value))

def handler(stream, address):
    while True:
        line = yield stream.readline()
        if not line:
            return
        command, _, rest = line.decode().strip().partition(" ")
        if command == "pid":
            yield stream.write(b"%d\n" % os.getpid())
        elif command == "slow":
            yield stream.write(b"working\n")
            yield sleep(float(rest))
            yield stream.write(b"done\n")
        elif command == "block":
            fifo = os.open(args.fifo, os.O_RDWR)
            yield stream.write(b"blocking\n")
            os.read(fifo, 1)                # the whole worker waits here
            os.close(fifo)
            yield stream.write(b"unblocked\n")
        elif command == "print":
            print(rest)
            yield stream.write(b"printed\n")
        elif command == "exit":
            sys.exit(int(rest))
        elif command == "exit-with":
            sys.exit(rest)
        elif command == "interrupt":
            raise KeyboardInterrupt

limits = resource.getrlimit(resource.RLIMIT_NOFILE)

def ready(address):
    if args.no_second_worker:
        # Descriptors for the first worker's lifeline (two), none for the second's.
        free = os.open(os.devnull, os.O_RDONLY)
        os.close(free)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (free + 2, hard))
    # (os.write: print's flush=True would flush --before's text as well)
    global port
    port = address[1]
    os.write(1, b"listening on %s:%d\n" % (address[0].encode(), port))

logging.basicConfig(level=logging.INFO, format="%(message)s")
if args.crash:
    os.register_at_fork(after_in_child=lambda: os._exit(3))
if args.before:
    print(args.before)
handlers = {signum: signal.getsignal(signum)
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)}
try:
    run_server("127.0.0.1", 0, handler, workers=args.workers, grace=args.grace, ready=ready)
except OSError as exc:
    if not args.no_second_worker:
        raise
    print("run_server raised: %s" % exc, flush=True)
    resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    try:
        socket.create_server(("127.0.0.1", port), reuse_port=False).close()
        print("its port is free", flush=True)
    except OSError as exc:
        print("its port: %s" % exc, flush=True)
    try:
        print("a worker left: %r" % (os.waitpid(-1, os.WNOHANG),), flush=True)
    except ChildProcessError:
        print("no worker left", flush=True)
    sys.exit(0)
print("stopped", flush=True)
if args.after:
    changed = [signal.Signals(signum).name for signum, before in handlers.items()
               if signal.getsignal(signum) != before]
    print("handlers changed: %s" % (changed or "none"), flush=True)
    print("wake-up fd: %d" % signal.set_wakeup_fd(-1), flush=True)
"""

STARTED = re.compile(r"worker (\d+) started \(pid (\d+)\)")


def environment():
    """This environment, but stdout buffered as a deployed server's is
    (PYTHONUNBUFFERED unset), and trampoline imported from here."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONUNBUFFERED", None)
    return env


class Server:
    """A SCRIPT process: ``port``, ``expect(pattern)`` on its stderr,
    ``ask_line(sock, line)``."""

    def __init__(self, script, *args):
        self.proc = subprocess.Popen([sys.executable, str(script)] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=environment())
        self.log = []                   # the stderr lines read so far
        self.pending = b""
        line = self.proc.stdout.readline().decode()
        if "listening on " not in line:
            self.proc.kill()
            raise AssertionError("no 'listening on' line: %r\n%s"
                                 % (line, self.proc.stderr.read().decode()))
        self.port = int(line.rsplit(":", 1)[1])

    def expect(self, pattern, within=10.0):
        """Read stderr lines until one matches ``pattern``; its match.
        AssertionError if none has come ``within`` seconds."""
        deadline = time.monotonic() + within
        stderr = self.proc.stderr.fileno()
        while True:
            while b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                self.log.append(line.decode() + "\n")
                found = re.search(pattern, self.log[-1])
                if found:
                    return found
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stderr], [], [], left)[0]:
                raise AssertionError("no %r within %g s:\n%s" % (pattern, within,
                                                                "".join(self.log)))
            chunk = os.read(stderr, 65536)
            if not chunk:
                raise AssertionError("stderr ended without %r:\n%s"
                                     % (pattern, "".join(self.log)))
            self.pending += chunk

    def started(self, count):
        """The pids of the next ``count`` workers to start, by worker number."""
        pids = {}
        for _ in range(count):
            found = self.expect(STARTED)
            pids[int(found.group(1))] = int(found.group(2))
        return pids

    def rest_of_log(self):
        """Every stderr line, once the process has exited."""
        return "".join(self.log) + (self.pending + self.proc.stderr.read()).decode()

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def server(tmp_path):
    """``server(*args)`` starts SCRIPT; each is killed at the end of the test."""
    script = tmp_path / "gaps_server.py"
    script.write_text(SCRIPT)
    started = []

    def start(*args):
        started.append(Server(script, *args))
        return started[-1]

    yield start
    for each in started:
        each.close()


def handler(stream, address):
    yield stream.write(b"")


class Listening(Exception):
    """Raised by ``ready``: run_server got as far as listening."""


def stop_when_listening(address):
    raise Listening(address)


# ---------------------------------------------------------------- arguments

@pytest.mark.parametrize("kwargs, error, message", [
    (dict(workers=True), ValueError, "workers must be an int >= 0"),
    (dict(grace=True), ValueError, "grace must be a number of seconds >= 0"),
    (dict(proxy_protocol=1), TypeError, "proxy_protocol= must be True or False"),
])
def test_a_bool_for_a_count_or_a_number_for_a_flag_is_refused(kwargs, error, message):
    """workers=True is no count of processes, grace=True no number of
    seconds, proxy_protocol=1 not the flag (a port number, say, in the
    wrong place): refused, as workers="2" is, before anything listens."""
    with pytest.raises(error, match=re.escape(message)):
        run_server("127.0.0.1", 0, handler, ready=stop_when_listening, **kwargs)


@pytest.mark.parametrize("count", [1, 2])
def test_a_grace_of_0_and_the_empty_host_are_accepted(count):
    """grace=0 (cancel every connection at once on a stop) is allowed --
    ">= 0" -- and host "" is every interface, as None is (getaddrinfo
    itself refuses "")."""
    with pytest.raises(Listening) as info:
        run_server("", 0, handler, workers=count, grace=0, ready=stop_when_listening)
    assert info.value.args[0][0] == "0.0.0.0"


def test_a_second_server_on_the_same_port_is_refused():
    """The listening sockets are not SO_REUSEPORT: a second run_server on
    the port another one listens on raises EADDRINUSE (with SO_REUSEPORT
    both would listen, and share the connections, unnoticed)."""
    caught = []

    def second(address):
        try:
            run_server("127.0.0.1", address[1], handler, workers=2, ready=stop_when_listening)
        except BaseException as exc:
            caught.append(exc)
        raise Listening(address)

    with pytest.raises(Listening):
        run_server("127.0.0.1", 0, handler, workers=2, ready=second)
    assert isinstance(caught[0], OSError) and caught[0].errno == errno.EADDRINUSE, caught


# ---------------------------------------------------------------- a worker's signals

def test_sigterm_to_one_worker_stops_it_gracefully_and_it_is_replaced(server):
    """``kill PID`` of one worker (an operator, an OOM guard, a container
    runtime): that worker stops as the whole server would -- its request
    in flight gets its reply -- exits 0, and another takes its place, as
    gunicorn's workers do on SIGTERM.  The stop signals were left blocked
    in the workers (blocked across the fork): it went on serving."""
    srv = server()
    pids = srv.started(2)
    with srv.connect() as sock:
        sock.settimeout(5)
        pid = int(ask_line(sock, b"pid\n"))
        (number,) = [n for n, p in pids.items() if p == pid]
        assert ask_line(sock, b"slow 0.2\n") == b"working\n"
        os.kill(pid, signal.SIGTERM)
        assert read_to_end(sock) == b"done\n"
    srv.expect(r"worker %d \(pid %d\) exited with status 0; starting another" % (number, pid))
    assert list(srv.started(1)) == [number]
    with srv.connect() as sock:
        assert ask_line(sock, b"pid\n") != b"%d\n" % pid
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


def test_after_run_server_returns_its_signal_handlers_and_wakeup_fd_are_gone(server):
    """run_server leaves the process as it found it: SIGINT is
    KeyboardInterrupt again, SIGTERM, SIGHUP and SIGCHLD their defaults,
    and no wake-up fd is set (the supervisor's pipe, closed, would have
    been written to on each signal -- or a file later opened under its
    number)."""
    srv = server("--after")
    pids = srv.started(2)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert srv.proc.stdout.read().decode() == (
        "stopped\nhandlers changed: none\nwake-up fd: -1\n")
    # (and the log does not say that workers stopping on purpose are replaced)
    log = srv.rest_of_log()
    for number, pid in pids.items():
        assert "worker %d (pid %d) exited with status 0\n" % (number, pid) in log, log
    assert "starting another" not in log


def test_a_second_ctrl_c_kills_the_supervisor_by_sigint_not_a_traceback(server):
    """Ctrl-C twice while a request drains: the workers are killed and the
    supervisor dies of SIGINT, as it does of a second SIGTERM -- not of a
    KeyboardInterrupt raised out of run_server, with its traceback."""
    srv = server("--grace", "30")
    pids = srv.started(2)
    with srv.connect() as busy:
        assert ask_line(busy, b"slow 30\n") == b"working\n"
        srv.proc.send_signal(signal.SIGINT)
        srv.expect(r"stopping 2 worker\(s\) \(got SIGINT\)")
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(10) == -signal.SIGINT
        assert read_to_end(busy) == b""
    assert "Traceback" not in srv.rest_of_log()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# ---------------------------------------------------------------- the stop

def test_a_request_that_outlasts_grace_is_cut_at_grace(server):
    """grace=0.2: a request that needs 0.8 s more is cancelled when the
    0.2 s have passed -- not allowed to finish."""
    srv = server("--grace", "0.2")
    srv.started(2)
    with srv.connect() as busy:
        assert ask_line(busy, b"slow 0.8\n") == b"working\n"
        srv.proc.send_signal(signal.SIGTERM)
        assert read_to_end(busy) == b""
    assert srv.proc.wait(10) == 0


def test_a_worker_draining_within_grace_is_not_killed_after_kill_margin_alone(server):
    """The supervisor kills a draining worker grace + KILL_MARGIN seconds
    after the stop, not KILL_MARGIN seconds: with grace 5 and KILL_MARGIN
    0.05, a request that takes 0.3 s gets its reply."""
    srv = server("--grace", "5", "--set", "KILL_MARGIN=0.05")
    srv.started(2)
    with srv.connect() as busy:
        assert ask_line(busy, b"slow 0.3\n") == b"working\n"
        srv.proc.send_signal(signal.SIGTERM)
        assert read_to_end(busy) == b"done\n"
    assert srv.proc.wait(10) == 0
    assert "killing it" not in srv.rest_of_log()


def test_a_busy_worker_does_not_hold_up_another_workers_stop(server, tmp_path):
    """Each worker holds its own lifeline and no other's: told to stop,
    a worker lets its idle client go at once, even while the worker forked
    after it is stuck (its kernel blocked in a call).  A worker that had
    kept the supervisor's end of an earlier worker's lifeline kept that
    one from seeing the stop until it had exited itself."""
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    srv = server("--fifo", fifo, "--grace", "30")
    pids = srv.started(2)
    release = os.open(fifo, os.O_RDWR)
    which = {}
    try:
        first = srv.connect()
        which[int(ask_line(first, b"pid\n"))] = first
        # While that worker waits on the fifo, the other one takes the next client.
        assert ask_line(first, b"block\n") == b"blocking\n"
        second = srv.connect()
        which[int(ask_line(second, b"pid\n"))] = second
        os.write(release, b"x")
        assert ask_line(first, b"") == b"unblocked\n"
        assert sorted(which) == sorted(pids.values())
        idle, stuck = which[pids[1]], which[pids[2]]    # worker 2 was forked last
        assert ask_line(stuck, b"block\n") == b"blocking\n"
        srv.proc.send_signal(signal.SIGTERM)        # the supervisor alone, not its group
        idle.settimeout(5)
        assert read_to_end(idle) == b""                # at once, while worker 2 is stuck
        os.write(release, b"x")
        assert ask_line(stuck, b"") == b"unblocked\n"
        assert read_to_end(stuck) == b""
        assert srv.proc.wait(10) == 0
    finally:
        os.write(release, b"xx")                    # (a worker left waiting would stay)
        os.close(release)
        for sock in which.values():
            sock.close()


def test_output_printed_before_the_fork_or_in_a_worker_comes_out_once(server):
    """stdout a pipe (block-buffered): what the program printed before
    run_server is written once -- not once more by each forked worker,
    which inherits the unwritten buffer -- and what a handler printed is
    written when its worker exits (os._exit writes nothing)."""
    srv = server("--before", "printed before run_server")
    srv.started(2)
    with srv.connect() as sock:
        assert ask_line(sock, b"print printed by a handler\n") == b"printed\n"
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    out = srv.proc.stdout.read().decode()
    assert out.count("printed before run_server\n") == 1, out
    assert out.count("printed by a handler\n") == 1, out
    assert out.endswith("stopped\n")


# ---------------------------------------------------------------- cannot start

def test_a_worker_that_cannot_start_leaves_no_worker_and_no_listener_behind(server):
    """The second worker cannot be started (no descriptor for its
    lifeline): run_server raises, naming it, having killed *and reaped*
    the first worker (no zombie for the program to find) and closed its
    listening socket (the port is free again for a retry)."""
    srv = server("--no-second-worker")
    assert srv.proc.wait(10) == 0, srv.rest_of_log()
    out = srv.proc.stdout.read().decode().splitlines()
    assert out[0].startswith("run_server raised: [Errno 24]")
    assert out[0].endswith("run_server cannot start worker 2 of 2")
    assert out[1:] == ["its port is free", "no worker left"]


# ---------------------------------------------------------------- replacing workers

def test_a_worker_that_lived_long_forgets_the_quick_deaths_before_it(server):
    """Quick deaths count *in a row*: one, then a worker that lived past
    QUICK, then one more quick death is one in a row, not two -- with
    CRASH_LIMIT 2 the server goes on, where counting every quick death
    since the start would give up on a server that crashes now and then."""
    srv = server("--set", "QUICK=0.25", "--set", "CRASH_LIMIT=2", "--set", "RESTART_DELAY=0.01")
    pids = srv.started(2)
    os.kill(pids[1], signal.SIGKILL)            # right after it started: quick
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another in" % pids[1])
    long_lived = srv.started(1)[1]
    with srv.connect() as sock:                 # (any worker: the time is what counts)
        assert ask_line(sock, b"slow 0.3\n") == b"working\n"
        assert ask_line(sock, b"") == b"done\n"      # now worker 1 has lived 0.3 s
    os.kill(long_lived, signal.SIGKILL)
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another$" % long_lived)
    quick = srv.started(1)[1]
    os.kill(quick, signal.SIGKILL)
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another in" % quick)
    srv.started(1)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0
    assert "CrashLoopError" not in srv.rest_of_log()


def descriptors(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux's /proc")
def test_replacing_workers_does_not_leak_the_supervisors_descriptors(server):
    """Each worker started costs the supervisor no descriptor once it is
    replaced: a server whose workers die again and again (a handler that
    crashes its worker) does not run out of them.  (The worker's end of
    each lifeline stayed open in the supervisor.)  The log names each
    signal that killed one -- by number when it has no name."""
    srv = server("--set", "QUICK=0")
    pids = srv.started(2)
    before = descriptors(srv.proc.pid)
    # (a signal with no name in signal.Signals is said by its number)
    for signum, name in [(signal.SIGKILL, "SIGKILL"), (signal.SIGKILL, "SIGKILL"),
                         (signal.SIGRTMIN + 1, "signal %d" % (signal.SIGRTMIN + 1))]:
        os.kill(pids[2], signum)
        srv.expect(r"worker 2 \(pid %d\) was killed by %s" % (pids[2], name))
        pids.update(srv.started(1))
    assert descriptors(srv.proc.pid) == before
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


@pytest.mark.skipif(not hasattr(__import__("resource"), "prlimit")
                    or not os.path.isdir("/proc/self/fd"), reason="needs Linux's prlimit, /proc")
def test_a_worker_that_cannot_be_started_is_tried_again_after_pauses_that_double(server):
    """The supervisor cannot start a replacement (out of descriptors): it
    tries again after 0.1 s, 0.2 s, 0.4 s ... up to MAX_RESTART_DELAY (here
    0.2), as nginx's master does; once one has started, the next failure
    pauses 0.1 s again."""
    import resource
    srv = server("--set", "MAX_RESTART_DELAY=0.2")
    pids = srv.started(2)
    soft, hard = resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE)
    free = min(set(range(descriptors(srv.proc.pid) + 1))
               - {int(fd) for fd in os.listdir("/proc/%d/fd" % srv.proc.pid)})
    for delays in (["0.1", "0.2", "0.2"], ["0.1"]):
        # No descriptor can be had; the dead worker's lifeline frees one,
        # and a new one needs two.
        resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (free, hard))
        os.kill(pids[1], signal.SIGKILL)
        for delay in delays:
            srv.expect(r"cannot start worker 1: .*; trying again in %s s \(1 of 2 serving\)"
                       % re.escape(delay))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        pids.update(srv.started(1))
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


@pytest.mark.skipif(not os.path.isfile("/proc/self/stat"), reason="needs Linux's /proc")
def test_an_idle_supervisor_waits_without_using_the_cpu(server):
    """With nothing to do until a signal comes, the supervisor sleeps in
    poll: 0.3 s of serving costs it no CPU time to speak of."""
    def cpu_seconds(pid):
        with open("/proc/%d/stat" % pid) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    srv = server()
    srv.started(2)
    before = cpu_seconds(srv.proc.pid)
    with srv.connect() as sock:
        assert ask_line(sock, b"slow 0.3\n") == b"working\n"
        assert ask_line(sock, b"") == b"done\n"
    assert cpu_seconds(srv.proc.pid) - before < 0.05
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


def test_a_worker_that_its_handler_ends_exits_as_python_would_and_is_replaced(server):
    """A handler that calls sys.exit(3) ends its worker with status 3;
    sys.exit("text") prints the text and exits 1; a KeyboardInterrupt it
    raises is printed with its traceback (status 1) -- as the interpreter
    itself ends a program -- and each worker is replaced."""
    srv = server("--set", "QUICK=0")
    srv.started(2)
    for command, words in [(b"exit 3\n", None), (b"exit-with the handler said goodbye\n",
                                                  r"^the handler said goodbye$"),
                           (b"interrupt\n", r"^KeyboardInterrupt$")]:
        with srv.connect() as sock:
            sock.settimeout(5)
            sock.sendall(command)
            assert read_to_end(sock) == b""
        if words is not None:
            srv.expect(words)
        status = 3 if command.startswith(b"exit ") else 1
        srv.expect(r"worker \d \(pid \d+\) exited with status %d; starting another$" % status)
        srv.started(1)
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


def test_a_worker_due_sooner_is_not_kept_waiting_by_another_ones_longer_pause(server):
    """Worker 1 died young twice (its replacement waits 2 x RESTART_DELAY),
    then worker 2 once (RESTART_DELAY): worker 2's replacement starts
    first -- the supervisor wakes at the earliest deadline, not the last.
    (RESTART_DELAY 0.4 s: worker 2's 0.4 s end 0.4 s before worker 1's 0.8 s
    less the time from one kill to the next.  With 0.15 s that time, on a
    loaded machine, was past the 0.15 s between them, and worker 1 came first.)"""
    srv = server("--set", "RESTART_DELAY=0.4")
    pids = srv.started(2)
    os.kill(pids[1], signal.SIGKILL)
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another in 0.4 s" % pids[1])
    young = srv.started(1)[1]
    os.kill(young, signal.SIGKILL)
    srv.expect(r"worker 1 \(pid %d\) was killed by SIGKILL; starting another in 0.8 s" % young)
    os.kill(pids[2], signal.SIGKILL)
    srv.expect(r"worker 2 \(pid %d\) was killed by SIGKILL; starting another in 0.4 s" % pids[2])
    assert list(srv.started(1)) == [2]
    assert list(srv.started(1)) == [1]
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(10) == 0


def test_a_stuck_worker_is_killed_when_grace_and_kill_margin_are_up(server, tmp_path):
    """grace 0.1 + KILL_MARGIN 0.1: a worker whose kernel is blocked is
    killed 0.2 s after the stop -- well within a second -- and once."""
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    srv = server("--fifo", fifo, "--grace", "0.1", "--set", "KILL_MARGIN=0.1")
    pids = srv.started(2)
    release = os.open(fifo, os.O_RDWR)
    try:
        with srv.connect() as stuck:
            pid = int(ask_line(stuck, b"pid\n"))
            assert ask_line(stuck, b"block\n") == b"blocking\n"
            signalled = time.monotonic()
            srv.proc.send_signal(signal.SIGTERM)
            srv.expect(r"worker \d \(pid %d\) still running 0.2 s after the stop; killing it"
                       % pid)
            assert time.monotonic() - signalled < 0.9
            assert read_to_end(stuck) == b""
        assert srv.proc.wait(10) == 0
    finally:
        os.write(release, b"x")                     # (a worker left waiting would stay)
        os.close(release)
    assert srv.rest_of_log().count("killing it") == 1
    assert pid in pids.values()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_workers_0_counts_the_cpus_this_process_may_use_not_the_machines(tmp_path):
    """workers=0 under ``taskset -c 0`` (or a container's CPU set): one
    CPU to run on, so one process serves and nothing is forked -- not
    one worker per CPU of the machine, crowding onto that one."""
    script = tmp_path / "gaps_server.py"
    script.write_text(SCRIPT)
    cpu = min(os.sched_getaffinity(0))
    proc = subprocess.Popen([sys.executable, str(script), "--workers", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(),
                            preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
    try:
        port = int(proc.stdout.readline().decode().rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert ask_line(sock, b"pid\n") == b"%d\n" % proc.pid
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert "started" not in proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()



def test_a_crash_loop_says_giving_up_last(server):
    """After "giving up" the log says no worker is being started again:
    the workers that die then are only reported."""
    srv = server("--crash", "--set", "CRASH_LIMIT=2", "--set", "RESTART_DELAY=0.01")
    assert srv.proc.wait(10) == 1
    log = srv.rest_of_log()
    assert "CrashLoopError: run_server: worker" in log
    after = log[log.index("giving up"):]
    assert "starting another" not in after, log


def test_the_default_grace_is_the_documented_five_seconds():
    import inspect
    assert inspect.signature(run_server).parameters["grace"].default == 5.0
    assert "grace=5.0" in run_server.__doc__
