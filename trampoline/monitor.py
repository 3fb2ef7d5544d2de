"""The monitor: look inside a running program from another terminal.

``run(main(), monitor=True)`` (or ``TRAMPOLINE_MONITOR=1``, or
``=host:port``) listens on 127.0.0.1:48802; ``python3 -m trampoline.monitor
[host:port]`` connects to it.  An address is "host:port", a host alone (port
48802), a port alone ("5000" or ":5000"), "[::1]:port" for IPv6, or
1/true/yes/on for the default; anything else is a ``ValueError`` saying
which setting was wrong.  Commands::

    ps          every task of the program's own: id, name, state, what it
                waits on, for how long, when its timeout comes ("ps all":
                trampoline's own tasks too)
    where ID    the task's whole generator stack, file:line, outermost first
    parents ID  the task, the task that spawned it, and so on up
    cancel ID   cancel the task (Cancelled is raised at its yield)
    signal SIG  send the program a signal (USR1, SIGHUP, 15...)
    help, quit (or exit)

As in curio's monitor, the commands that only look may be cut short: ``p``
ps, ``w`` where, ``pa`` parents, ``h`` help, ``q`` quit (any start of
where, parents, help and quit).  The two that change the program, cancel
and signal, are spelled out in full.

The idea: the monitor is a thread of its own, with plain blocking sockets,
so it answers however busy the tasks are -- but it never touches the
kernel's state.  Each command is a small function handed to the kernel with
``call_threadsafe``; the kernel runs it in its own thread, between tasks,
and the monitor thread waits (on a ``threading.Event``) for the answer.  A
kernel stuck in a task that never yields cannot answer: the monitor says so
after ``answer_timeout`` seconds.  The monitor is also an instrument, so it
knows since when each task has been in its state.

What it must never do: read or change a task from its own thread, or
listen beyond localhost unless told to (whoever connects can cancel tasks);
cancel trampoline's own tasks (a signal watcher cancelled, Ctrl-C would no
longer stop the program); let one client hold anything up -- a command line
is at most ``MAX_LINE`` bytes, a client that takes no output for
``send_timeout`` seconds is dropped, and a session waiting to send ends as
soon as the monitor stops; nor let clients take the program's threads and
descriptors -- at most ``max_sessions`` are served at once.
"""

import errno
import ipaddress
import logging
import os
import re
import selectors
import signal
import socket
import sys
import threading
import time

from .debug import format_frames
from .diagnostics import PYTHON
from .errors import Cancelled
from .hostloop import current_task
from .net import format_address
from .trace import _cells, _fit, describe_trap, describe_wait
from .traps import Sleep

__all__ = ["Monitor", "CancelledFromMonitor", "parse_address", "main", "DEFAULT_HOST",
           "DEFAULT_PORT", "INTERNAL"]

log = logging.getLogger("trampoline")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 48802
PROMPT = b"trampoline> "

#: How trampoline names the tasks it runs for itself (a signal watcher, a
#: graceful shutdown...): ``ps`` leaves them out, ``ps all`` shows them.
INTERNAL = "trampoline: "

#: The longest command line a session reads, in bytes: a longer one is
#: answered "line too long" and dropped, whatever its length.
MAX_LINE = 4096

#: (process id, address) of the monitor last announced (see Monitor._announce).
_announced = None

#: What switches the monitor on at its default address, as
#: TRAMPOLINE_DEBUG and TRAMPOLINE_TRACE take any value but "0".
_ON = ("1", "true", "yes", "on")
_OFF = ("false", "no", "off")

HELP = """\
commands:
  ps, p          every task: id, name, state, what it waits on, for how
                 long, and when its timeout comes
  ps all         the same, with trampoline's own tasks ("trampoline: ...")
  where ID, w    task ID's generator stack, outermost call first
  parents ID, pa task ID, the task that spawned it, and so on up
  cancel ID      cancel task ID (Cancelled is raised where it waits)
  signal SIG     send this program signal SIG (USR1, SIGHUP, 15...), as
                 kill -SIG PID does; STOP would freeze the monitor: refused
  help, h        this text
  quit, q, exit  close this connection (the program goes on)
the short forms are curio's monitor's: any start of where, parents, help,
quit; cancel and signal, which change the program, are spelled out"""

#: The commands, and their short forms (curio's monitor reads a command by
#: its first letters, "p" for ps, "pa" for parents, "w" for where): any
#: start of where, parents, help and quit; "p" is ps.  cancel and signal
#: change the program: they are spelled out in full.
_COMMANDS = ("ps", "where", "parents", "cancel", "signal", "help", "quit", "exit")
_SHORTENED = ("where", "parents", "help", "quit")


def _command_name(word):
    """The command ``word`` names (``w``: where), or None."""
    if word in _COMMANDS:
        return word
    if word == "p":
        return "ps"
    named = [name for name in _SHORTENED if name.startswith(word)]
    return named[0] if len(named) == 1 else None


class CancelledFromMonitor(Cancelled, SystemExit):
    """What ``cancel`` raises in the program's main task: a ``Cancelled``
    for the task -- its cleanup runs as for any cancel -- and a
    ``SystemExit`` for the program, which then ends with this message
    instead of a traceback: nothing went wrong, someone asked it to stop."""


def parse_address(spec):
    """Where to listen or connect: ``True``, "1", "true", "yes" or "on" (the
    default, 127.0.0.1:48802), a port (``5000``, "5000", ":5000"),
    "host:port", a host alone (port 48802), "[::1]:port", or a ``(host,
    port)`` tuple; an empty string is the default too.  Anything else
    (``False``, "off", a float, a port beyond 65535) is a ``ValueError``
    saying what is wrong."""
    return _parse_address(spec, None)


def _parse_address(spec, setting):
    """``parse_address``, whose ``ValueError`` names ``setting`` (say
    "TRAMPOLINE_MONITOR") as where the bad address came from."""
    try:
        return _address(spec)
    except ValueError as error:
        where = "%r" % (spec,) if setting is None else "%s=%r" % (setting, spec)
        raise ValueError(
            "%s is not a monitor address (%s); expected host:port, a host alone (port "
            "%d), a port alone, [IPv6]:port, or 1/true/yes/on for %s:%d"
            % (where, error, DEFAULT_PORT, DEFAULT_HOST, DEFAULT_PORT)) from None


def _address(spec):
    if spec is True:
        return DEFAULT_HOST, DEFAULT_PORT
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[0], str):
            raise ValueError("a tuple must be (host, port)")
        return spec[0] or DEFAULT_HOST, _port(spec[1])
    if isinstance(spec, int):
        return DEFAULT_HOST, _port(spec)
    if not isinstance(spec, str):
        raise ValueError("a %s, not a string, port or (host, port)" % type(spec).__name__)
    text = spec.strip()
    if text.lower() in _ON or not text:
        return DEFAULT_HOST, DEFAULT_PORT
    if text.lower() in _OFF:
        raise ValueError("that reads as 'off': to run without the monitor, leave it "
                         "out, or set it to 0")
    if text.startswith("["):                    # [IPv6] or [IPv6]:port
        host, bracket, rest = text[1:].partition("]")
        if not bracket or not host or rest[:1] not in ("", ":"):
            raise ValueError("an IPv6 address goes in brackets: [::1] or [::1]:port")
        return _ipv6(host, "%r in brackets is not an IPv6 address" % host), \
            _port(rest[1:]) if rest else DEFAULT_PORT
    if text.count(":") > 1:                     # an IPv6 address alone
        return _ipv6(text, "more than one ':', and not an IPv6 address"), DEFAULT_PORT
    host, colon, port = text.rpartition(":")
    if not colon:
        if re.fullmatch("[0-9]+", text):        # a port alone
            return DEFAULT_HOST, _port(text)
        host, port = text, None                 # a host alone
    if host and not re.fullmatch(r"[^\s/@\[\]]+", host):
        raise ValueError("the host %r is not a host name or address" % host)
    return host or DEFAULT_HOST, DEFAULT_PORT if port is None else _port(port)


def _ipv6(text, why):
    """``text`` if it is an IPv6 address, with a zone after "%" or none
    ("fe80::1%eth0"), else ValueError(``why``) -- or naming an empty zone."""
    address, percent, zone = text.partition("%")
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        raise ValueError(why) from None
    if percent and not zone:
        raise ValueError("nothing after the '%%' of %r: the zone (an interface) is missing" % text)
    return text


def _port(port):
    if isinstance(port, str):
        if not re.fullmatch("[0-9]+", port):
            raise ValueError("the port %r is not a number" % port)
        port = int(port)
    elif isinstance(port, bool) or not isinstance(port, int):
        raise ValueError("the port %r is not a number" % (port,))
    if not 0 <= port <= 65535:
        raise ValueError("the port %d is not between 0 and 65535" % port)
    return port


class Monitor:
    """The monitor of one kernel: ``Kernel(monitor=...)`` makes it,
    ``Kernel.run`` starts and stops it.  ``address`` is where it listens
    (the real port once started, if 0 was asked for)."""

    #: How long a command waits for the kernel to answer.
    answer_timeout = 5.0

    #: How long a session waits for its client to take more of an answer
    #: before it hangs up on it.
    send_timeout = 30.0

    #: How many sessions are served at once: a connection beyond is told so
    #: and closed (each session is a thread and two descriptors, taken from
    #: the program's own).
    max_sessions = 16

    def __init__(self, kernel, address=True):
        self.kernel = kernel
        # (run() hands on TRAMPOLINE_MONITOR's value as it is: a bad one is
        # reported as the variable's.)
        from_environment = isinstance(address, str) and (
            os.environ.get("TRAMPOLINE_MONITOR") == address)
        self.address = _parse_address(
            address, "TRAMPOLINE_MONITOR" if from_environment else "monitor")
        self._since = {}            # task id -> when it last ran (kernel thread only)
        self._spawners = {}         # task id -> (id, name) of the task that spawned it,
                                    # or None: spawned from outside any task (likewise)
        self._main_ids = []         # the program's main task (and, when the first is
                                    # trampoline's own, the user's main inside it)
        self._first_is_internal = False
        self._listener = None
        self._stop_recv = self._stop_send = None
        self._selector = None           # (made in start: the server thread uses it)
        self._server = None         # the thread accepting connections
        self._sessions = set()      # the threads serving them, while they run
        self._waiting = set()       # threading.Events of questions not yet answered
        self._stopped = False       # (both guarded by _lock)
        self._lock = threading.Lock()

    # ------------------------------------------- instrument (kernel thread)

    def task_spawned(self, task):
        """Instrument hook: ``task`` was just spawned (it has not run yet)."""
        self._since[task.id] = time.monotonic()
        spawner = current_task()        # (the task whose spawn trap this is, if any)
        self._spawners[task.id] = None if spawner is None or spawner is task else (
            spawner.id, spawner.name)
        main_ids = self._main_ids
        if not main_ids or (len(main_ids) == 1 and self._first_is_internal):
            main_ids.append(task.id)
            self._first_is_internal = task.name.startswith(INTERNAL)

    def task_step(self, task, value):
        """Instrument hook: ``task`` runs a step; ``value`` is what it is
        sent (or the exception thrown in)."""
        self._since[task.id] = time.monotonic()

    def task_exited(self, task):
        """Instrument hook: ``task`` finished (returned, raised or was cancelled)."""
        del self._since[task.id]
        self._spawners.pop(task.id, None)

    # -------------------------------------------------- start and stop

    def start(self):
        """Listen and serve, in a thread.  If the address is taken (or the
        program is out of descriptors), log a warning and let the program
        run without a monitor."""
        # run() spawns its main task after this: a main task of an earlier
        # run is forgotten.  One still alive stays: a host loop's first
        # run_once() starts the monitor after spawning its tasks.
        alive = {task.id for task in self.kernel.tasks()}
        self._main_ids = [task_id for task_id in self._main_ids if task_id in alive]
        self._first_is_internal = self._first_is_internal and bool(self._main_ids)
        # (An IPv6 address, "[::1]:port", needs an IPv6 socket: create_server
        # makes an IPv4 one unless told.)
        family = socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET
        opened = []
        try:
            self._listener = socket.create_server(self.address, family=family)
            opened.append(self._listener)
            self._stop_recv, self._stop_send = socket.socketpair()
            opened += [self._stop_recv, self._stop_send]
            self._selector = selectors.DefaultSelector()    # (the server thread's)
        except OSError as error:
            for sock in opened:
                sock.close()
            self._listener = None
            log.warning("trampoline monitor: cannot listen on %s (%s); running without it",
                        format_address(self.address), error)
            return
        self._listener.setblocking(False)   # (readiness may be gone by accept)
        self.address = self._listener.getsockname()[:2]
        self._stopped = False
        self._announce()
        self._server = threading.Thread(target=self._serve, name="trampoline monitor",
                                        daemon=True)
        self._server.start()

    def _announce(self):
        """Say where to connect: on the "trampoline" logger at INFO if that
        is shown, else on stderr -- once for an address, not at every run
        (a program may call run() a thousand times).  curio's monitor (and
        aiomonitor) say it at INFO alone, which Python's default logging
        never shows: a monitor asked for at port 0 could not be found."""
        global _announced
        words = "trampoline monitor on %s: %s -m trampoline.monitor %s" % (
            format_address(self.address), PYTHON, format_address(self.address))
        said = (os.getpid(), self.address)
        if log.isEnabledFor(logging.INFO):
            log.info("%s", words)
        elif _announced != said and sys.stderr is not None:
            try:
                print(words, file=sys.stderr, flush=True)
            except (OSError, ValueError):   # (a closed stderr: nobody to tell)
                pass
        _announced = said

    def stop(self):
        """Stop serving: wake every monitor thread, wait for them, close.
        Questions still waiting for the kernel are told it has stopped."""
        if self._listener is None:
            return
        self._stop_send.send(b"x")      # never read: readable for every thread
        with self._lock:
            self._stopped = True
            for answered in self._waiting:
                answered.set()
        # (Sessions waiting to send give up at once; once the server has
        # ended, none begins.)
        self._server.join(self.answer_timeout)
        with self._lock:
            sessions = list(self._sessions)
        for thread in sessions:
            thread.join(self.answer_timeout)
        for sock in (self._listener, self._stop_recv, self._stop_send):
            sock.close()
        self._listener = None

    # ---------------------------------------------- the monitor threads

    def _serve(self):
        with self._selector as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._stop_recv, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._stop_recv in ready:
                    return
                try:
                    conn, _ = self._listener.accept()
                except OSError as error:
                    if error.errno in _OUT_OF_RESOURCES and self._wait_for_resources(selector):
                        return
                    continue            # (else gone before it was accepted)
                conn.setblocking(False)     # (sends wait on the selector: see _send)
                with self._lock:
                    full = len(self._sessions) >= self.max_sessions
                if full:
                    try:                # (if it fits: never wait for this client)
                        conn.send(b"trampoline monitor: %d sessions already, the most it "
                                  b"serves at once; try again later\n" % self.max_sessions)
                    except OSError:     # pragma: no cover - gone meanwhile
                        pass
                    _hang_up(conn)
                    continue
                self._start_session(conn)

    #: How long the monitor waits before it tries again to accept a
    #: connection when the program is out of descriptors (or memory).
    accept_retry = 0.1

    def _wait_for_resources(self, selector):
        """``accept()`` failed for want of descriptors or memory, and the
        connection still waits: retrying at once would spin, taking a core
        and the GIL from the program.  Wait ``accept_retry`` seconds first
        (True: the monitor stopped meanwhile)."""
        selector.unregister(self._listener)
        try:
            return bool(selector.select(self.accept_retry))
        finally:
            selector.register(self._listener, selectors.EVENT_READ)

    def _start_session(self, conn):
        # (A method, so that no variable keeps the thread once it is done.)
        thread = threading.Thread(target=self._session, args=(conn,),
                                  name="trampoline monitor session", daemon=True)
        with self._lock:
            self._sessions.add(thread)
        thread.start()

    def _session(self, conn):
        """One connection: a line in, an answer and a prompt out."""
        try:
            # (poll() needs no descriptor of its own, as epoll does: a client
            # accepted as the program frees its first descriptor, when it
            # had run out, is served -- not hung up on by an EMFILE here.)
            with getattr(selectors, "PollSelector", selectors.SelectSelector)() as selector:
                selector.register(conn, selectors.EVENT_READ)
                selector.register(self._stop_recv, selectors.EVENT_READ)
                self._converse(conn, selector)
        except (OSError, _HangUp):      # the client went away, or would not read
            pass
        finally:
            _hang_up(conn)
            with self._lock:
                self._sessions.discard(threading.current_thread())

    def _converse(self, conn, selector):
        self._send(conn, selector, b"trampoline monitor: 'help' lists the commands\n" + PROMPT)
        pending = bytearray()           # the line so far (at most MAX_LINE bytes)
        too_long = False                # the line so far was longer: dropped
        while True:
            ready = [key.fileobj for key, _ in selector.select()]
            if self._stop_recv in ready:
                try:                    # (if it fits: nobody waits for a client now)
                    conn.send(b"\nthe program's kernel has stopped\n")
                except OSError:         # pragma: no cover - gone meanwhile
                    pass
                return
            try:
                data = conn.recv(4096)
            except BlockingIOError:     # pragma: no cover - readable, then not
                continue
            if not data:
                return
            start = 0
            while True:                 # (only the new data is searched)
                end = data.find(b"\n", start)
                if end < 0:
                    break
                if too_long or len(pending) + end - start > MAX_LINE:
                    answer, then = "line too long (over %d bytes): ignored" % MAX_LINE, None
                else:
                    pending += data[start:end]
                    answer, then = self._answer(pending.decode("utf-8", "replace"))
                    if answer is None:
                        self._send(conn, selector, b"bye\n")
                        return
                self._send(conn, selector, answer.encode("utf-8", "replace") + b"\n" + PROMPT)
                if then is not None:    # (a signal: sent once its answer is, as it
                    then()              # may end the program)
                pending.clear()
                too_long = False
                start = end + 1
            if too_long or len(pending) + len(data) - start > MAX_LINE:
                pending.clear()
                too_long = True
            else:
                pending += data[start:]

    def _answer(self, line):
        """``_command(line)``, or what went wrong: one command's failure is
        not the session's."""
        try:
            return self._command(line)
        except Exception as error:
            log.exception("trampoline monitor: command %r failed", line[:80])
            return "error: %r failed: %s: %s (the monitor goes on)" % (
                line.strip()[:80], type(error).__name__, error), None

    def _send(self, conn, selector, data):
        """All of ``data``, unless the monitor stops first or the client
        takes none of it for ``send_timeout`` seconds (then ``_HangUp``)."""
        view = memoryview(data)
        deadline = time.monotonic() + self.send_timeout
        selector.modify(conn, selectors.EVENT_WRITE)
        try:
            while view:
                try:
                    sent = conn.send(view)
                except BlockingIOError:
                    sent = 0
                if sent:
                    view = view[sent:]
                    deadline = time.monotonic() + self.send_timeout
                    continue
                ready = [key.fileobj for key, _ in
                         selector.select(max(deadline - time.monotonic(), 0))]
                if self._stop_recv in ready:
                    raise _HangUp("the monitor stopped")
                if not ready and time.monotonic() >= deadline:
                    raise _HangUp("the client took nothing for %g s" % self.send_timeout)
        finally:
            selector.modify(conn, selectors.EVENT_READ)

    def command(self, line):
        """The answer to one command line (``None`` for quit).  Called in a
        monitor thread; asks the kernel for whatever it needs."""
        answer, then = self._command(line)
        if then is not None:
            then()
        return answer

    def _command(self, line):
        """``(answer, then)``: ``then``, if not None, is done once the answer
        is sent (a signal may end the program: its answer goes first)."""
        words = line.split()
        if not words:
            return "", None
        word, args = words[0].lower(), words[1:]
        name = _command_name(word)
        if name is None:
            if "cancel".startswith(word) or "signal".startswith(word):
                return ("%r: cancel and signal change the program, and are spelled out in "
                        "full" % word), None
            return "unknown command %r; 'help' lists the commands" % word, None
        if name in ("quit", "exit"):
            return None, None
        if name == "help":
            return HELP, None
        if name == "ps":
            if args not in ([], ["all"]):
                return "usage: ps, or ps all (trampoline's own tasks too)", None
            return self._ask(self._ps, bool(args)), None
        if name == "signal":
            return self._signal(args)
        task_id = None
        if len(args) == 1 and args[0].isdecimal():
            try:
                task_id = int(args[0])
            except ValueError:      # pragma: no cover - beyond int's digit limit
                pass
        if task_id is None:
            return "usage: %s ID (a task id, from ps)%s" % (
                name, ", not %r" % " ".join(args) if args else ""), None
        if name == "cancel":
            return self._ask(self._cancel, task_id), None
        if name == "parents":
            return self._ask(self._parents, task_id), None
        answer = self._ask(self._where, task_id)
        if isinstance(answer, str):     # the kernel did not answer
            return answer, None
        heading, frames = answer        # (source lines are read here, not in
        return heading + format_frames(frames), None   # the kernel's thread)

    def _signal(self, args):
        """``signal SIG``: the answer, and the signal to send once it is
        sent -- to this process, as ``kill -SIG PID`` would (curio's monitor
        has it; a program that reloads on SIGHUP, or dumps its state on
        SIGUSR1, gets it without its pid being looked up)."""
        usage = ("usage: signal SIG, a signal's name or number: USR1, SIGHUP, 15 "
                 "(kill -l lists them)")
        if len(args) != 1:
            return usage + (", not %r" % " ".join(args) if args else ""), None
        signum = _signal_number(args[0])
        if signum is None:
            return "unknown signal %r; %s" % (args[0], usage), None
        name = signal.Signals(signum).name
        handler = signal.getsignal(signum)
        if signum == getattr(signal, "SIGSTOP", None) or (
                handler == signal.SIG_DFL and signum in _STOPPING):
            return ("not sent: %s would stop the whole program, this monitor with it, and "
                    "nothing here could let it go on (from a shell: kill -%s %d, then kill "
                    "-CONT %d)" % (name, name[3:], os.getpid(), os.getpid())), None
        if handler == signal.SIG_IGN:
            what = "the program ignores it"
        elif handler == signal.SIG_DFL:
            what = "the program has no handler for it: the system's default action"
        elif handler is signal.default_int_handler:
            what = "Python's handler raises KeyboardInterrupt in the main thread, as Ctrl-C"
        elif handler is None:       # pragma: no cover - a handler set outside Python
            what = "a handler set outside Python"
        else:
            what = "the program's handler runs"
        pid = os.getpid()
        return "sent %s to the program, process %d (%s)" % (name, pid, what), (
            lambda: os.kill(pid, signum))

    def _ask(self, question, *args):
        """Have the kernel compute ``question(*args)`` in its thread, and
        wait for the answer."""
        answered = threading.Event()
        answer = []
        failed = []

        def in_kernel():
            try:
                answer.append(question(*args))
            except Exception as error:      # (raised again in the monitor's thread)
                failed.append(error)
            finally:
                answered.set()

        with self._lock:
            if self._stopped:
                return "no answer: the program's kernel has stopped"
            self._waiting.add(answered)
        try:
            self.kernel.call_threadsafe(in_kernel)
            answered.wait(self.answer_timeout)
        finally:
            with self._lock:
                self._waiting.discard(answered)
        if answer:
            return answer[0]
        if failed:
            raise failed[0]
        if self._stopped:
            return "no answer: the program's kernel has stopped"
        return ("no answer from the kernel within %g s: a task is running without "
                "yielding (see Kernel(debug=True))" % self.answer_timeout)

    # ----------------------------------- the questions (kernel thread)

    def _task(self, task_id):
        for task in self.kernel.tasks():
            if task.id == task_id:
                return task
        return None

    def _ps(self, everything=False):
        now = time.monotonic()
        rows = [("ID", "NAME", "STATE", "FOR", "WAITING ON")]
        tasks = self.kernel.tasks()                 # (in spawn order: by id)
        hidden = 0
        if not everything:
            shown = [task for task in tasks if not task.name.startswith(INTERNAL)]
            hidden, tasks = len(tasks) - len(shown), shown
        timers = self.kernel.timers()
        clock = self.kernel.time()
        for task in tasks:
            waiting = task.waiting
            ends, alarm = timers.get(task, (None, None))
            words = "" if waiting is None else "%s: %s" % (describe_trap(waiting), (
                # (for a sleep, what is left, as curio's ps shows: "1000 s to
                # pass" read the same after 15 minutes)
                "%s left" % _duration(max(ends - clock, 0.0))
                if type(waiting) is Sleep and ends is not None else describe_wait(waiting)))
            if alarm is not None:           # (curio's ps has a column for it)
                words += "%stimeout in %s" % ("; " if words else "",
                                              _duration(max(alarm - clock, 0.0)))
            rows.append((str(task.id), task.name, task.state,
                         _duration(now - self._since.get(task.id, now)), words))
        widths = [max(_cells(row[column]) for row in rows) for column in range(4)]
        table = "\n".join("%*s  %s  %-*s  %*s  %s" % (    # (names: as wide as they show)
            widths[0], row[0], _fit(row[1], widths[1]), widths[2], row[2], widths[3], row[3],
            row[4]) for row in rows)
        if len(rows) == 1:          # (a header alone read as a broken answer)
            table += "\n(no task%s)" % (" of the program's" if hidden else "")
        if hidden:
            table += "\n(and %d of trampoline's own task%s: 'ps all' shows %s)" % (
                hidden, "s" if hidden > 1 else "", "them" if hidden > 1 else "it")
        return table

    def _where(self, task_id):
        task = self._task(task_id)
        if task is None:
            return "no task %d (it has finished, or never was; see ps)" % task_id, []
        waiting = task.waiting
        return "task %d %s, %s%s:\n" % (
            task.id, task.name, task.state,
            "" if waiting is None else " on %s" % describe_trap(waiting)), task.where()

    def _parents(self, task_id):
        """Task ``task_id`` and who spawned it, up the line: a row each, as
        ps shows them, then where the line ends."""
        task = self._task(task_id)
        if task is None:
            return "no task %d (it has finished, or never was; see ps)" % task_id
        rows = [("ID", "NAME", "STATE", "WAITING ON")]      # (each spawned the one above)
        seen = set()
        ending = None
        while task is not None:
            seen.add(task.id)
            spawner = self._spawners.get(task.id)
            waiting = task.waiting
            rows.append((str(task.id), task.name, task.state,
                         "" if waiting is None else describe_trap(waiting)))
            if spawner is None:
                ending = ("(task %d was not spawned by a task: run(), Kernel.spawn or "
                          "another thread started it)" % task.id)
                break
            parent_id, parent_name = spawner
            task = None if parent_id in seen else self._task(parent_id)
            if task is None:
                ending = "(its spawner, task %d %s, has finished)" % (parent_id, parent_name)
        widths = [max(_cells(row[column]) for row in rows) for column in range(3)]
        return "\n".join(("%*s  %s  %-*s  %s" % (
            widths[0], row[0], _fit(row[1], widths[1]), widths[2], row[2], row[3])).rstrip()
            for row in rows) + "\n" + ending

    def _cancel(self, task_id):
        task = self._task(task_id)
        if task is None:
            return "no task %d (it has finished, or never was; see ps)" % task_id
        if task.name.startswith(INTERNAL):
            return ("not cancelled: task %d %s is trampoline's own (a signal watcher, a "
                    "task group's watcher...; 'ps' leaves such tasks out), and the program "
                    "needs it working; cancel the program's own tasks instead"
                    % (task.id, task.name))
        if task.id in self._main_ids:
            # The program's main task: the program ends when it has cleaned
            # up, and says why, without a traceback.
            self.kernel.cancel(task, CancelledFromMonitor(
                "task %d %s, the program's main task, was cancelled from the "
                "trampoline monitor: the program stops" % (task.id, task.name)))
            return ("cancelled task %d %s, the program's main task: the program stops "
                    "once it has cleaned up" % (task.id, task.name))
        self.kernel.cancel(task, Cancelled("cancelled from the monitor"))
        return "cancelled task %d %s: Cancelled is raised where it waits" % (task.id, task.name)


#: accept()'s errors that mean "not now": the program (or the system) is
#: out of descriptors or memory.
_OUT_OF_RESOURCES = frozenset(
    (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))


#: Signals whose default action stops the process (as SIGSTOP does).
_STOPPING = frozenset(getattr(signal, name) for name in ("SIGTSTP", "SIGTTIN", "SIGTTOU")
                      if hasattr(signal, name))


def _signal_number(word):
    """The signal ``word`` names -- "USR1", "sigusr1", "SIGUSR1", "10" --
    or None (never one of the signal module's other constants: SIG_IGN is
    no signal)."""
    if word.isdecimal():
        try:
            return signal.Signals(int(word)).value
        except ValueError:
            return None
    name = word.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    member = signal.Signals.__members__.get(name)
    return None if member is None else member.value


class _HangUp(Exception):
    """A session ends: the monitor stopped, or its client would not read."""


def _hang_up(conn):
    """Close a session's connection without losing the last answer.  Bytes
    the client sent that were never read (a line typed as the kernel
    stopped) make ``close()`` reset the connection at once, and the reset
    cost the client what it was last sent ("the program's kernel has
    stopped"): so end the stream first, then read what is there."""
    try:
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):         # (non-blocking: what has come)
            pass
    except OSError:                     # (BlockingIOError: all read) or gone
        pass
    finally:
        conn.close()


def _duration(seconds):
    if seconds < 1:
        return "%d ms" % (seconds * 1000)
    if seconds < 120:
        return "%.1f s" % seconds
    return "%d min" % (seconds // 60)


# =================================================== the client

USAGE = "usage: %s -m trampoline.monitor [host:port]   (default %s:%d)" % (
    PYTHON, DEFAULT_HOST, DEFAULT_PORT)


def main(argv=None):
    """``python3 -m trampoline.monitor [host:port]``: connect, then send
    each line typed (or piped in) and print the answers."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    try:
        _check_arguments(argv)
        address = parse_address(argv[0] if argv else True)
    except ValueError as error:
        print("%s -m trampoline.monitor: %s\n%s" % (PYTHON, error, USAGE), file=sys.stderr)
        return 2
    try:
        return _client(address)
    except KeyboardInterrupt:           # Ctrl-C: a way out, as quit is (the program goes on)
        print(file=sys.stderr)          # (the shell's prompt on a line of its own)
        return 130
    except BrokenPipeError:             # nobody reads the output any more (| head): stop,
        _silence_stdout()               # quietly, as quit does (the program goes on)
        return 1


def _check_arguments(argv):
    """The client's arguments are one address at most: a ``ValueError``
    saying what else was given, and how to write it (an option such as
    curio's ``-p PORT`` was taken for a host name, "--port:48802")."""
    options = [index for index, word in enumerate(argv) if word.startswith("-")]
    if options:
        option, value = argv[options[0]], argv[options[0] + 1:options[0] + 2]
        hint = ""
        if option in ("-p", "--port") and value and re.fullmatch("[0-9]+", value[0]):
            hint = "; did you mean :%s?" % value[0]
        raise ValueError("unknown option %r: the only argument is the address, as "
                         "host:port (a port alone: :PORT)%s" % (option, hint))
    if len(argv) > 1:
        hint = ""
        if len(argv) == 2 and re.fullmatch("[0-9]+", argv[1]) and ":" not in argv[0]:
            hint = "; did you mean %s:%s?" % (argv[0], argv[1])
        raise ValueError("one address at most, as host:port, not %d arguments (%s)%s"
                         % (len(argv), " ".join(argv), hint))


def _client(address):
    """Connect, then print each reply and send each line typed."""
    try:
        try:
            sock = socket.create_connection(address)
        except UnicodeError as error:   # "a..b", a label over 63 characters: IDNA refuses it
            raise OSError("not a valid host name: %r (%s)" % (address[0], error)) from None
    except OSError as error:
        print("cannot connect to the monitor at %s: %s (is the program running with "
              "monitor=True or TRAMPOLINE_MONITOR=1?)" % (format_address(address), error),
              file=sys.stderr)
        return 1
    with sock:
        while True:
            try:
                reply = _read_reply(sock)
            except OSError as error:    # reset: the program ended, say
                print("\nthe connection to the monitor was lost: %s (has the program "
                      "ended?)" % (error.strerror or error), file=sys.stderr)
                return 1
            _show(reply)
            if not reply.endswith(PROMPT):
                return 0                # the monitor said bye, or stopped
            line = _read_line()
            if not line:
                line = b"quit\n"
            if not sys.stdin.isatty():  # pragma: no branch - show what was piped in
                _show(line)
            try:
                sock.sendall(line)
            except OSError:             # gone: the next read says so
                pass


def _show(data):
    """Print ``data`` (UTF-8 from the monitor, or a line typed) on stdout,
    in whatever encoding it has: what it cannot show (a task named "café"
    on an ASCII terminal) is shown as a backslash escape, not a crash."""
    out = sys.stdout
    encoding = getattr(out, "encoding", None) or "utf-8"
    text = data.decode("utf-8", "replace")
    out.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
    out.flush()


def _read_line():
    """A line of stdin as bytes, sent on as they are (the monitor reads
    UTF-8, replacing what is not): bytes that stdin's encoding cannot decode
    are not this client's business."""
    stdin = sys.stdin
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return buffer.readline()
    return stdin.readline().encode("utf-8", "replace")     # (a StringIO, say)


def _silence_stdout():
    """After a broken pipe on stdout: point it at the null device, or Python
    reports the pipe again when it flushes stdout at exit."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):   # (no real descriptor: nothing to flush)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def _read_reply(sock):
    reply = b""
    while not reply.endswith(PROMPT):
        data = sock.recv(65536)
        if not data:
            break
        reply += data
    return reply


if __name__ == "__main__":     # pragma: no cover - run as a command in the tests
    sys.exit(main())
