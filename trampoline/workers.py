"""Workers: one server on every core -- N processes, one kernel each.

One kernel runs on one core: Python runs one thread's bytecode at a time,
so a single process never serves faster than one CPU allows.
``run_server(host, port, handler, workers=N)`` is the way past that: it
opens the listening socket (one per address: two for every interface, IPv4
and IPv6), forks N worker processes, and each runs its own kernel serving
connections from those same sockets -- the operating system
hands every new connection to whichever worker calls ``accept`` first.  The
parent process runs no kernel: it supervises.  A worker that dies is
replaced (after a pause that grows if it keeps dying young; after
``CRASH_LIMIT`` quick deaths in a row the server gives up with
``CrashLoopError``; one the system refuses to start -- no descriptor, no
process left -- is tried again the same way while the others serve);
SIGTERM, SIGINT or SIGHUP stops them all gracefully, and ``run_server``
returns once every worker has exited.  (SIGHUP -- the
terminal went away -- unless the process ignores it when ``run_server``
starts, as under ``nohup``: then it stays ignored.)

Graceful means: the listening socket closes at once -- a load balancer's
next connection is refused and tried on another backend -- and each open
connection may finish what it is doing.  Clients already queued in the
listener are connected (closing it would reset them): they are accepted
and served too, once their first bytes have come.  A connection still
reading its PROXY header or shaking hands gets to its handler.  Each
connection's socket is half-closed for reading (``shutdown(SHUT_RD)``), so
its handler, the next time it waits for input with nothing left to read,
sees the end of the stream and returns as if the client had hung up: an
idle connection ends at once; one in the middle of a request reads that
request (on Linux, bytes already received are still delivered), writes its
reply, and then ends.
Handlers that go on without reading are cancelled when ``grace`` seconds
have passed.  (On BSD and macOS ``SHUT_RD`` also throws away bytes not yet
read, so a request that had arrived but was not yet read is lost there.)
A second signal kills at once.

How the parent talks to a worker: through a *lifeline*, one socketpair per
worker.  The parent never writes to it; it closes its end to say "stop",
and the worker also sees that end close when the parent dies for any
reason, even SIGKILL -- so no worker outlives its parent.  A signal sent to
the whole process group (Ctrl-C in a terminal, systemd stopping a service)
reaches every worker directly *and* makes the parent close the lifelines:
both say the same thing, once.  (Forwarding the signal instead would
deliver it twice, and a second signal means "die now".)  The parent learns
that a worker died from SIGCHLD; its signal handlers do nothing but wake it
through ``signal.set_wakeup_fd``, and everything else happens in one plain
loop.

Why one shared socket and not ``SO_REUSEPORT`` (a socket per worker on the
same port): with one socket a connection waits in one queue until some
worker takes it, so when a worker dies nothing queued is lost and the
others simply take more; with ``SO_REUSEPORT`` the kernel assigns each
connection to a socket when it arrives, and the queue of a dead or stalled
worker is reset or waits.  ``SO_REUSEPORT`` spreads load more evenly when
connections arrive faster than one queue's lock can hand them out; see
benchmarks/RESULTS.md.

What this module must never do: let a forked child return into the
caller's code (a child always ends with ``os._exit``), fork while other
threads run, or leave a worker behind when ``run_server`` returns.  POSIX
only; ``workers=1`` forks nothing and works everywhere.
"""

import logging
import math
import os
import select as select_module
import signal
import socket
import ssl as ssl_module
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Optional

from .combinators import select, shield
from .errors import TaskError, TrampolineError
from .runner import run
from .signals import stop_signals
from .net import check_port, format_address, listen
from .streams import (_cannot_listen_on, _check_server_args, _HandOver, _listen_on_all,
                      _remove_socket_file, _serve, _socket_file)
from .threads import _retire_workers
from .timeouts import TaskTimeout, timeout_after
from .traps import _describe, cancel, join, read, spawn

if TYPE_CHECKING:
    from .streams import UnixPath

__all__ = ["run_server", "CrashLoopError"]

log = logging.getLogger("trampoline")

#: Seconds a worker waits, once told to stop, for its connections to finish
#: before it cancels them.  (The parent kills a worker that is still there
#: ``KILL_MARGIN`` seconds later.)
GRACE = 5.0
KILL_MARGIN = 2.0
#: A worker that dies sooner than ``QUICK`` seconds after it started is
#: restarted after ``RESTART_DELAY`` seconds, doubling with each quick
#: death in a row (at most ``MAX_RESTART_DELAY``); after ``CRASH_LIMIT``
#: quick deaths in a row the server gives up.  One that lived longer is
#: replaced at once.
QUICK = 1.0
RESTART_DELAY = 0.1
MAX_RESTART_DELAY = 5.0
CRASH_LIMIT = 5

#: The signal that says a worker died.  (The server stops on stop_signals():
#: SIGINT, SIGTERM and, unless it is ignored, SIGHUP.)
_CHILD_SIGNALS = (signal.SIGCHLD,) if hasattr(signal, "SIGCHLD") else ()


class CrashLoopError(TrampolineError, RuntimeError):
    """``run_server`` gave up: a worker kept dying right after it started."""


def run_server(host: Optional[str], port: Optional[int], handler: Callable[[Any, Any], Any], *,
               workers: int = 1, ssl: Any = None, backlog: int = 1024,
               ready: Optional[Callable[[Any], Any]] = None, unix: "Optional[UnixPath]" = None,
               grace: float = GRACE, proxy_protocol: bool = False) -> None:
    """``run_server(host, port, handler, *, workers=1, ssl=None, backlog=1024,
    ready=None, unix=None, grace=5.0, proxy_protocol=False)``

    Serve ``handler(stream, address)`` -- a generator function or an
    ``async def``, one task per connection, as for ``tcp_server`` -- on
    ``host`` and ``port`` (or, with ``unix=PATH`` and ``host`` and ``port``
    None, on a Unix socket -- its file removed at the end -- or on Linux
    at an abstract name, ``"\\0name"``) until SIGINT, SIGTERM or SIGHUP, then stop
    gracefully (see the module's docstring) and return ``None``.  (A SIGHUP
    this process ignores when it starts -- run under ``nohup`` -- stays
    ignored.)  Call it from a plain program, in the main thread, not from a
    task: like ``run``, it runs the kernel (or kernels) itself.  It listens
    where ``tcp_server`` would: on every address ``host`` resolves to (a
    name is looked up here, blocking), one socket each -- ``None`` or
    ``""``: every interface, IPv4 and IPv6, the IPv6 socket ``IPV6_V6ONLY``
    so that an IPv4 client's address stays plain; ``"0.0.0.0"``: IPv4
    only.

    ``workers``: how many processes serve.  1 (the default) forks nothing:
    the server runs in this process.  N >= 2 forks N workers that share the
    listening socket, and this process supervises them; 0 means one per
    CPU this process may run on.  Forking needs POSIX (``RuntimeError``
    elsewhere) and a process with no other threads running.

    ``ssl``: an ``ssl.SSLContext`` with the server's certificate (where
    OpenSSL has it, ``run_server`` sets ``ssl.OP_IGNORE_UNEXPECTED_EOF`` on
    it: see ``streams._stop_reading``).
    ``ready``: a function called once, in this process, with the bound
    address (the real port when 0 was asked; on several addresses the
    first, whose port they all have) as soon as the socket listens
    -- before the workers start; clients that connect meanwhile wait in
    the queue.  ``grace``: how many seconds connections get to finish after
    the stop signal.  ``proxy_protocol=True``: behind a balancer that
    sends the PROXY protocol, as for ``tcp_server``.  Raises the
    ``OSError`` of ``bind`` (``EADDRINUSE`` ...) or of starting a worker
    (out of descriptors or processes: "run_server cannot start worker 2 of
    4"), ``socket.gaierror`` for a host that does not resolve (in
    ``tcp_server``'s words), and ``CrashLoopError`` if workers keep dying
    as they start.  (A
    worker that cannot be replaced later is tried again while the others
    serve.)
    """
    _check_server_args(handler, ssl, None)
    if ready is not None and not callable(ready):
        raise TypeError("run_server(): ready= needs a function ready(address), got %s"
                        % _describe(ready))
    if type(workers) is not int or workers < 0:
        raise ValueError("run_server(): workers must be an int >= 0 (0: one per CPU), got %r"
                         % (workers,))
    if type(proxy_protocol) is not bool:
        raise TypeError("run_server(): proxy_protocol= must be True or False, got %s"
                        % _describe(proxy_protocol))
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or not grace >= 0:
        raise ValueError("run_server(): grace must be a number of seconds >= 0, got %r"
                         % (grace,))
    if ssl is not None and hasattr(ssl_module, "OP_IGNORE_UNEXPECTED_EOF"):
        # A drain ends an idle TLS connection by half-closing it; OpenSSL 3
        # would answer the end of stream it then reads with a fatal "decode
        # error" alert to the client, instead of just closing.
        ssl.options |= ssl_module.OP_IGNORE_UNEXPECTED_EOF
    if workers == 0:
        workers = _cpu_count()
    if workers > 1:
        _check_can_fork()
    listeners = _listen(host, port, unix, backlog)
    # (A Linux abstract name, "\0name", is no file: none to remove.)
    socket_file = _socket_file(listeners[0]) if unix is not None else None
    # ``ready`` is called only once the stop signals are handled: a client
    # (or a test) that signals the server as soon as it is told it listens
    # must get a graceful stop, not the default action of the signal.
    try:
        if workers == 1:
            run(_worker_task(listeners, handler, ssl, grace, ready=ready,
                             proxy_protocol=proxy_protocol),
                shutdown_signals=stop_signals())
        else:
            _Supervisor(listeners, handler, ssl, workers, grace, ready, proxy_protocol).run()
    finally:
        for listener in listeners:
            listener.close()
        _remove_socket_file(socket_file)    # if ours still (another server may have replaced it)


def _listen(host, port, unix, backlog):
    """The listening sockets, shared by the workers: one on a Unix path, or
    one per address ``host`` resolves to, as ``tcp_server`` listens --
    ``None`` or ``""``: every interface, IPv4 and IPv6 (two sockets, the
    IPv6 one ``IPV6_V6ONLY``: an IPv4 client's address stays plain)."""
    if unix is not None:
        if host is not None or port is not None:
            raise ValueError("run_server(): give host and port, or unix=PATH with host "
                             "and port None -- not both")
        return [listen(os.fspath(unix), backlog=backlog)]
    check_port(port, "run_server()")
    # Resolved here, blocking: this process runs no kernel to keep going.
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:      # say which name, as tcp_server() does
        raise _cannot_listen_on(exc, host, port) from None
    except UnicodeError as exc:         # "a..b", a label over 63 characters: IDNA refuses it
        raise socket.gaierror(socket.EAI_NONAME, "not a valid host name: %r (%s): cannot "
                              "listen on %s" % (host, exc, format_address((host, port)))) from None
    return _listen_on_all(host, port, infos, backlog, False, "run_server")


def _cpu_count():
    """The CPUs this process may run on (not all the machine has, under
    taskset or a container's CPU set)."""
    count = getattr(os, "process_cpu_count", None)     # Python 3.13
    if count is not None:
        return count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _check_can_fork():
    if not hasattr(os, "fork"):
        raise RuntimeError("run_server(workers=N) needs os.fork (POSIX)")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("run_server(workers=N) must be called from the main thread "
                           "(it handles SIGINT, SIGTERM, SIGHUP and SIGCHLD)")
    others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if others:
        # Those of run_in_thread's pools (a look-up before this call) that
        # have no call to make end now, and start again when needed; so does
        # await_asyncio's loop, if no asyncio task runs there.
        _retire_workers()
        aio = sys.modules.get("trampoline.aio")     # (not imported: no such thread)
        if aio is not None:
            aio._retire_asyncio_threads()
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    if others:
        # A forked child gets only the forking thread; a lock another thread
        # held (in logging, in malloc ...) would stay locked in the child.
        raise RuntimeError("run_server(workers=N) forks, and this process has other threads "
                           "running (%s); start them in the handler's process instead"
                           % ", ".join(others))


# ================================================================ a worker: one kernel

def _worker_task(*args, **kwargs):
    """``_worker(...)``, named as trampoline's own task: the monitor's ``ps``
    shows the connections' tasks, and ``ps all`` the plumbing too."""
    worker = _worker(*args, **kwargs)
    worker.__qualname__ = "trampoline: run_server worker %d" % os.getpid()
    return worker


def _worker(listeners, handler, context, grace, lifeline=None, unblock=(), ready=None,
            proxy_protocol=False):
    """The main task of a worker: serve until told to stop, then drain.

    Told to stop means: a shutdown signal cancels this task (``run``'s
    ``shutdown_signals``), or the parent closes its end of ``lifeline``.
    """
    if unblock:                         # blocked since the fork: now run() handles them
        signal.pthread_sigmask(signal.SIG_UNBLOCK, unblock)
    if ready is not None:               # (the stop signals are handled by now)
        ready(listeners[0].getsockname())   # (on several: they all have its port)
    handover = _HandOver()
    servers = []                        # one accept loop per listener, one hand-over
    for listener in listeners:
        servers.append((yield spawn(_serve(listener, handler, context, None, proxy_protocol,
                                           handover=handover),
                                    name="trampoline: accepting on %s"
                                    % format_address(listener.getsockname()))))
    waits = [join(server) for server in servers]    # (each runs until cancelled, or fails)
    if lifeline is not None:
        waits.append(read(lifeline, 1))
    try:
        yield select(*waits)
    finally:
        # Shielded: a shutdown signal arriving during the drain (the group
        # got SIGTERM after the parent closed the lifeline) must not cut it
        # short.  (A second one still kills at once.)
        drain = _drain(servers, handover, grace)
        # The shield's task is trampoline's own, as the worker is: the
        # monitor's ps (and its cancel) leaves it to 'ps all'.
        drain.__qualname__ = "trampoline: run_server drain"
        yield shield(drain)


def _drain(servers, handover, grace):
    """Stop accepting; let the connections finish within ``grace``
    seconds, then cancel what is left.  ``servers``: the accept loops
    (``_serve`` tasks) that share ``handover``."""
    handover.stop()                     # idle ones see the end of their stream now
                                        # (new ones once their first byte comes)
    servers = [server for server in servers if not server.done]
    if not servers:
        return
    # Told by handover.draining that this is a hand-over, each server
    # accepts the clients already queued, closes its listener -- new ones
    # are refused, so a balancer tries another backend -- and waits for its
    # connection tasks: those still reading a PROXY header or shaking hands
    # get to their handler, and every handler may finish.
    for server in servers:
        yield cancel(server, wait=False)
    sweeper = yield spawn(handover.sweep(), name="trampoline: drain sweeper")
    try:
        yield timeout_after(grace, _join_quietly(servers))
    except TaskTimeout:
        log.warning("pid %d: %d connection(s) still busy after %g s; cancelling them",
                    os.getpid(), len(handover.serving), grace)
        # A second cancellation: each server cancels its connection tasks
        # (and with them their handlers), and waits for them.
        for server in servers:
            yield cancel(server, wait=False)
        yield _join_quietly(servers)
    finally:
        yield cancel(sweeper)


def _join_quietly(tasks):
    for task in tasks:
        try:
            yield join(task)
        except TaskError:
            pass                        # cancelled, as asked (or already reported)


# ================================================================ the supervisor: no kernel

class _Slot:
    """One worker's place: the process filling it now, and its history."""

    __slots__ = ("number", "pid", "lifeline", "started", "quick_deaths", "restart_at",
                 "start_failures")

    def __init__(self, number):
        self.number = number
        self.pid = None                 # None: no process right now
        self.lifeline = None            # our end of its socketpair
        self.started = 0.0
        self.quick_deaths = 0           # in a row
        self.restart_at = None          # when to start the next one, if waiting
        self.start_failures = 0         # forks refused in a row (no descriptors, processes)


class _Supervisor:
    """The parent: start the workers, replace the ones that die, stop them
    all on SIGINT/SIGTERM/SIGHUP.  One plain loop, no kernel, no threads."""

    def __init__(self, listeners, handler, context, count, grace, ready=None,
                 proxy_protocol=False):
        self.ready = ready
        self.proxy_protocol = proxy_protocol
        self.listeners = listeners
        self.handler = handler
        self.context = context
        self.grace = grace
        self.slots = [_Slot(number) for number in range(1, count + 1)]
        self.stopping = False
        self.serving = False            # every worker has been started once
        self.signalled = False          # a stop signal came (a second one: kill)
        self.kill_at = None             # when to SIGKILL workers still draining
        self.error = None               # a CrashLoopError to raise at the end
        self.previous_handlers = {}
        self.wakeup_pipe = ()
        self.stop_signals = stop_signals()
        self.signals = self.stop_signals + _CHILD_SIGNALS    # (the ones we handle)

    def run(self):
        wake_read, wake_write = self.wakeup_pipe = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        again = None
        try:
            # Our handlers do nothing: the C-level handler writes the
            # signal's number to the wakeup pipe, which ends our wait.  (The
            # pipe first: a signal caught before it is there would be lost.)
            previous_fd = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
            try:
                for signum in self.signals:
                    self.previous_handlers[signum] = signal.signal(signum, _wake_only)
                if self.ready is not None:      # (the stop signals are handled by now)
                    self.ready(self.listeners[0].getsockname())
                for slot in self.slots:
                    self.start(slot)
                self.serving = True
                # poll, not select: a process holding many descriptors has
                # the pipe's above FD_SETSIZE (1024), which select refuses.
                waiter = select_module.poll()
                waiter.register(wake_read, select_module.POLLIN)
                again = self.supervise(wake_read, waiter)
            finally:
                signal.set_wakeup_fd(previous_fd)
        finally:
            self.kill_all()             # only if something went wrong: none are left
            self.restore_handlers()
            os.close(wake_read)
            os.close(wake_write)
        if again is not None:
            # A second stop signal: everyone is dead; die of it too, as
            # run(shutdown_signals=...) does.
            signal.signal(again, signal.SIG_DFL)
            os.kill(os.getpid(), again)
        if self.error is not None:
            raise self.error

    def supervise(self, wake_read, waiter):
        """Loop until every worker has exited after a stop; return the
        signal number if a second stop signal came, else None.  ``waiter``
        polls ``wake_read``."""
        while not (self.stopping and not self.alive()):
            timeout = self.next_timeout()
            # (In milliseconds, rounded up: waking before a deadline would spin;
            # at most a day at a time: poll takes a C int, and grace may be inf.)
            waiter.poll(None if timeout is None else math.ceil(min(timeout, 86400.0) * 1000))
            for signum in _drain_pipe(wake_read):
                if signum in self.stop_signals:
                    if self.signalled:
                        return signum
                    self.signalled = True
                    self.stop("got %s" % signal.Signals(signum).name)
            self.reap()
            now = time.monotonic()
            if self.kill_at is not None and now >= self.kill_at:
                for slot in self.alive():
                    log.warning("worker %d (pid %d) still running %g s after the stop; "
                                "killing it", slot.number, slot.pid, self.grace + KILL_MARGIN)
                    _kill(slot.pid)
                self.kill_at = None
            if not self.stopping:
                for slot in self.slots:
                    if slot.restart_at is not None and now >= slot.restart_at:
                        self.start(slot)
        return None

    def alive(self):
        return [slot for slot in self.slots if slot.pid is not None]

    def next_timeout(self):
        deadlines = [slot.restart_at for slot in self.slots
                     if slot.restart_at is not None and not self.stopping]
        if self.kill_at is not None:
            deadlines.append(self.kill_at)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def start(self, slot):
        """Start a worker in ``slot``.  If the system refuses (no descriptor
        for its lifeline, no process or memory to fork): as the server
        starts, raise that error, saying so; later -- a worker died and is
        being replaced -- the other workers go on serving, and this one is
        tried again after a pause that doubles each time, as nginx's master
        does rather than stop them all."""
        slot.restart_at = None
        try:
            self.fork(slot)
        except OSError as exc:
            if not self.serving:
                raise OSError(exc.errno, "%s: run_server cannot start worker %d of %d"
                              % (exc.strerror, slot.number, len(self.slots))) from None
            slot.start_failures += 1
            delay = min(RESTART_DELAY * 2 ** (slot.start_failures - 1), MAX_RESTART_DELAY)
            log.warning("cannot start worker %d: %s; trying again in %.1f s (%d of %d serving)",
                        slot.number, exc, delay, len(self.alive()), len(self.slots))
            slot.restart_at = time.monotonic() + delay
            return
        slot.start_failures = 0

    def fork(self, slot):
        ours, theirs = socket.socketpair()
        for stream in (sys.stdout, sys.stderr):     # or the child prints them again
            try:
                stream.flush()
            except Exception:
                pass
        # Blocked across the fork: a signal reaching the child before it has
        # undone our handlers would otherwise wake *us* through the pipe.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.signals)
        try:
            pid = os.fork()
            if pid == 0:
                self.child(theirs, ours)            # never returns
        except BaseException:
            ours.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            theirs.close()
        slot.pid = pid
        slot.lifeline = ours
        slot.started = time.monotonic()
        log.info("worker %d started (pid %d)", slot.number, pid)

    def child(self, lifeline, ours):
        """In the forked child: become a worker; end with ``os._exit``."""
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            self.restore_handlers()
            ours.close()
            for fd in self.wakeup_pipe:
                os.close(fd)
            for slot in self.slots:             # other workers' lifelines: not ours to hold
                if slot.lifeline is not None:
                    slot.lifeline.close()
            lifeline.setblocking(False)
            run(_worker_task(self.listeners, self.handler, self.context, self.grace,
                             lifeline, self.signals, proxy_protocol=self.proxy_protocol),
                shutdown_signals=self.stop_signals)
            status = 0
        except SystemExit as exc:           # as the interpreter would exit
            if exc.code is None or isinstance(exc.code, int):
                status = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(status)

    def restore_handlers(self):
        for signum, previous in self.previous_handlers.items():
            if previous is not None:        # None: not set from Python; leave ours
                signal.signal(signum, previous)

    def reap(self):
        for slot in self.alive():
            try:
                pid, status = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:           # reaped by someone else
                pid, status = slot.pid, 0
            if pid:
                self.exited(slot, status)

    def exited(self, slot, status):
        pid, lived = slot.pid, time.monotonic() - slot.started
        slot.pid = None
        if slot.lifeline is not None:
            slot.lifeline.close()
            slot.lifeline = None
        how = _describe_status(status)
        if self.stopping:
            log.info("worker %d (pid %d) %s", slot.number, pid, how)
            return
        if lived >= QUICK:
            slot.quick_deaths = 0
            delay = 0.0
        else:
            slot.quick_deaths += 1
            delay = min(RESTART_DELAY * 2 ** (slot.quick_deaths - 1), MAX_RESTART_DELAY)
        if slot.quick_deaths >= CRASH_LIMIT:
            self.error = CrashLoopError(
                "run_server: worker %d died %d times in a row within %g s of starting "
                "(the last one, pid %d, %s); giving up"
                % (slot.number, slot.quick_deaths, QUICK, pid, how))
            log.error("%s", self.error)
            self.stop("giving up")
            return
        log.warning("worker %d (pid %d) %s; starting another%s", slot.number, pid, how,
                    " in %.1f s" % delay if delay else "")
        slot.restart_at = time.monotonic() + delay

    def stop(self, why):
        """Tell every worker to stop: close our end of its lifeline."""
        if self.stopping:
            return
        self.stopping = True
        log.info("stopping %d worker(s) (%s)", len(self.alive()), why)
        # Our copies of the listening sockets: with them, new clients would
        # wait in a queue nobody reads; without them (the workers close
        # theirs as they drain) they are refused at once.
        for listener in self.listeners:
            listener.close()
        for slot in self.slots:
            slot.restart_at = None
            if slot.lifeline is not None:
                slot.lifeline.close()
                slot.lifeline = None
        self.kill_at = time.monotonic() + self.grace + KILL_MARGIN

    def kill_all(self):
        for slot in self.alive():
            _kill(slot.pid)
            try:
                os.waitpid(slot.pid, 0)
            except ChildProcessError:
                pass
            slot.pid = None


def _wake_only(signum, frame):
    """The supervisor's signal handler: the wakeup pipe does the work."""


def _drain_pipe(fd):
    """The signal numbers written to the wakeup pipe so far."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 512)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _describe_status(status):
    """A wait status in words: "exited with status 1", "was killed by SIGKILL"."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = "signal %d" % signum
        return "was killed by %s" % name
    if os.WIFEXITED(status):
        return "exited with status %d" % os.WEXITSTATUS(status)
    return "stopped (wait status %d)" % status
