"""The monitor, over real sockets: ps, where (a nested generator stack),
cancel, help, quit; the command-line client; a kernel too busy to answer."""

import gc
import io
import logging
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref

import pytest

from net_helpers import has_ipv6
from task_helpers import marked_line
from trampoline import (Kernel, TaskError, cancel, connect, join, read, read_wait, run, sleep,
                        spawn, write)
from trampoline import monitor
from trampoline.kernel import WaitQueue
from trampoline.diagnostics import PYTHON
from trampoline.monitor import MAX_LINE, PROMPT, _duration, parse_address
from trampoline.traps import current_kernel, park

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANYWHERE = ("127.0.0.1", 0)             # a free port on localhost


def read_reply(sock):
    reply = b""
    while not reply.endswith(PROMPT):
        data = yield read(sock, 65536)
        if not data:
            break
        reply += data
    return reply.decode()


def ask(sock, line):
    yield write(sock, line.encode() + b"\n")
    return (yield read_reply(sock))


def open_monitor():
    """From a task: connect to this kernel's monitor; return the socket."""
    kernel = yield current_kernel()
    sock = socket.socket()
    yield connect(sock, kernel.monitor.address)
    banner = yield read_reply(sock)
    assert "'help' lists the commands" in banner
    return sock


def command_line_client(address, typed):
    """From a task: ``python3 -m trampoline.monitor address`` with ``typed``
    as its input (its end: the client says quit); (its status, its output)."""
    client = start_client(address, stderr=None)
    client.stdin.write(typed)
    client.stdin.close()
    output = yield read_to_end(client.stdout)
    return client.wait(), output.decode()


def start_client(address, stderr=subprocess.PIPE, **env):
    """``python3 -m trampoline.monitor address`` (host:port, or a (host,
    port) pair), its pipes for a task to use; ``env``: more environment."""
    if not isinstance(address, str):
        address = "%s:%d" % address
    return subprocess.Popen([sys.executable, "-m", "trampoline.monitor", address],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                            env=dict(os.environ, PYTHONPATH=ROOT, **env))


def read_to_end(pipe):
    """From a task: ``data = yield read_to_end(pipe)``, then the pipe is closed."""
    data = b""
    while True:
        more = yield read(pipe, 65536)
        if not more:
            break
        data += more
    pipe.close()
    return data


forever = WaitQueue()


def inner():
    yield park(forever)                 # WHERE-INNER


def middle():
    yield inner()                       # WHERE-MIDDLE


def outer():
    yield middle()                      # WHERE-OUTER


def nap():
    yield sleep(3600)


def line_of(marker):
    return marked_line(__file__, marker)


def test_ps_where_and_cancel_over_a_socket():
    answers = {}

    def main():
        task = yield spawn(outer())
        napper = yield spawn(nap())
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
            answers["where"] = yield ask(sock, "where %d" % task.id)
            answers["cancel"] = yield ask(sock, "cancel %d" % task.id)
            try:
                yield join(task)
            except TaskError as error:
                answers["joined"] = error
            answers["where gone"] = yield ask(sock, "where %d" % task.id)
            answers["cancel gone"] = yield ask(sock, "cancel %d" % task.id)
            answers["help"] = yield ask(sock, "help")
            answers["empty"] = yield ask(sock, "")
            answers["bad"] = yield ask(sock, "frobnicate")
            answers["usage"] = yield ask(sock, "where")
            answers["quit"] = yield ask(sock, "quit")
        napper_id = napper.id
        return napper_id

    napper_id = run(main(), monitor=ANYWHERE)

    ps = answers["ps"].splitlines()
    assert ps[0].split() == ["ID", "NAME", "STATE", "FOR", "WAITING", "ON"]
    rows = {line.split()[0]: line for line in ps[1:-1]}
    assert set(rows) == {"1", "2", str(napper_id)}
    assert rows["2"].split()[1:3] == ["outer", "parked"]
    assert "park(a wait queue): somebody to wake it" in rows["2"]
    assert "sleep(3600): 59 min left" in rows[str(napper_id)]
    assert " ms " in rows["1"] and "read(fd=" in rows["1"]

    where = answers["where"].splitlines()
    assert where[0] == "task 2 outer, parked on park(a wait queue):"
    files = [line for line in where if line.startswith("  File")]
    assert files == ['  File "%s", line %d, in %s' % (__file__, line_of(marker), name)
                     for marker, name in [("WHERE-OUTER", "outer"), ("WHERE-MIDDLE", "middle"),
                                          ("WHERE-INNER", "inner")]]
    assert "    yield park(forever)                 # WHERE-INNER" in where

    assert answers["cancel"].startswith("cancelled task 2 outer")
    assert type(answers["joined"].__cause__).__name__ == "Cancelled"
    assert "from the monitor" in str(answers["joined"].__cause__)
    assert answers["where gone"].startswith("no task 2")
    assert answers["cancel gone"].startswith("no task 2")
    for command in ("ps", "where ID", "cancel ID", "help", "quit"):
        assert command in answers["help"]
    assert answers["empty"] == "\n" + PROMPT.decode()
    assert "unknown command 'frobnicate'" in answers["bad"]
    assert answers["usage"].startswith("usage: where ID")
    assert answers["quit"] == "bye\n"


def test_the_command_line_client(tmp_path):
    """``python3 -m trampoline.monitor host:port`` with commands piped in."""

    def main():
        task = yield spawn(outer())
        kernel = yield current_kernel()
        host, port = kernel.monitor.address
        return (yield command_line_client("%s:%d" % (host, port), b"ps\nwhere %d\n" % task.id))

    code, output = run(main(), monitor=ANYWHERE)
    assert code == 0
    assert "trampoline> ps\n" in output and "outer  parked" in output
    assert "in middle" in output and "in inner" in output
    assert output.endswith("trampoline> quit\nbye\n")


def test_the_client_in_process_and_its_errors(capsys, monkeypatch):
    """The client's main(), run in a thread while the kernel serves."""
    results = {}
    finished = WaitQueue(threadsafe=True)

    def client(kernel):
        results["code"] = monitor.main(["%s:%d" % kernel.monitor.address])
        kernel.call_threadsafe(finished.wake)   # (after main has parked)

    def main():
        kernel = yield current_kernel()
        thread = threading.Thread(target=client, args=(kernel,))
        thread.start()
        yield park(finished)
        thread.join()

    monkeypatch.setattr(sys, "stdin", io.StringIO("help\n"))
    run(main(), monitor=ANYWHERE)
    out = capsys.readouterr().out
    assert results["code"] == 0
    assert "trampoline> help\ncommands:" in out and out.endswith("quit\nbye\n")

    assert monitor.main(["-h"]) == 0
    assert "usage" in capsys.readouterr().out
    assert monitor.main(["a:1", "b:2"]) == 2
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refuses
        assert monitor.main(["127.0.0.1:%d" % port]) == 1
    assert "cannot connect to the monitor" in capsys.readouterr().err


def test_the_client_names_a_host_that_is_no_host_name(capsys):
    """``python3 -m trampoline.monitor a..b:5``: a host IDNA refuses (an
    empty label) ended the client with a UnicodeError traceback; now one
    line naming it, status 1, as a host not found is."""
    assert monitor.main(["a..b:5"]) == 1       # (in this process too: coverage sees it)
    assert "not a valid host name: 'a..b'" in capsys.readouterr().err
    out = subprocess.run([sys.executable, "-m", "trampoline.monitor", "a..b:5"],
                         capture_output=True, text=True, timeout=30,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 1, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith("cannot connect to the monitor at a..b:5: not a valid host name: "
                           "'a..b'"), line
    assert out.stdout == ""


def test_a_kernel_that_does_not_yield_cannot_answer():
    """The monitor never reaches into the kernel: while a task hogs it, the
    answer is that there is no answer."""
    answered = threading.Event()
    reply = {}

    def ask_from_thread(address):
        with socket.create_connection(address) as sock:
            sock.settimeout(10)
            sock.recv(4096)             # the banner
            for command in ("ps", "where 1"):
                sock.sendall(command.encode() + b"\n")
                data = b""
                while not data.endswith(PROMPT):
                    data += sock.recv(4096)
                reply[command] = data.decode()
        answered.set()

    def hog():
        answered.wait(10)               # blocks the kernel until the monitor gave up
        yield sleep(0)

    def main():
        kernel = yield current_kernel()
        kernel.monitor.answer_timeout = 0.05
        thread = threading.Thread(target=ask_from_thread, args=(kernel.monitor.address,))
        thread.start()
        yield spawn(hog())
        yield sleep(0)
        thread.join(10)

    run(main(), monitor=ANYWHERE)
    assert "no answer from the kernel" in reply["ps"]
    assert "no answer from the kernel" in reply["where 1"]


def test_sessions_hear_that_the_kernel_stopped():
    kept = {}

    def main():
        kernel = yield current_kernel()
        kept["sock"] = socket.create_connection(kernel.monitor.address, timeout=10)
        kept["address"] = kernel.monitor.address
        # The session has begun once its banner is here (a blocking read
        # stops the kernel, not the monitor's thread).
        assert kept["sock"].recv(4096).endswith(PROMPT)
        yield sleep(0)

    run(main(), monitor=ANYWHERE)
    with kept["sock"] as sock:
        data = recv_to_end(sock)
    assert data.decode().endswith("the program's kernel has stopped\n")
    with pytest.raises(OSError):        # and nothing listens any more
        socket.create_connection(kept["address"], timeout=5).close()


def test_a_taken_port_is_a_warning_not_a_failure(caplog):
    caplog.set_level(logging.WARNING, logger="trampoline")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()

        def main():
            kernel = yield current_kernel()
            return kernel.monitor._listener

        assert run(main(), monitor=taken.getsockname()) is None
    assert "cannot listen on" in caplog.text


def test_a_program_out_of_descriptors_runs_without_its_monitor(caplog):
    """The listener opens, but its wake-up pair cannot: a warning, as for a
    taken port, and the program runs (it failed in run() with EMFILE, or --
    for the server's selector, made in its thread -- the thread died after
    "monitor on ..." had been logged)."""
    import resource
    caplog.set_level(logging.WARNING, logger="trampoline")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fillers = []
    with Kernel(monitor=ANYWHERE) as kernel:
        try:
            highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 8, hard))
            while True:                     # every descriptor below the limit taken...
                try:
                    fillers.append(os.open(os.devnull, os.O_RDONLY))
                except OSError:
                    break
            os.close(fillers.pop())         # ...but one: the listener's

            def main():
                yield sleep(0)
                return (yield current_kernel()).monitor._listener

            assert kernel.run(main()) is None
        finally:
            for fd in fillers:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert "cannot listen on" in caplog.text and "Too many open files" in caplog.text


def test_one_kernel_runs_twice_with_its_monitor():
    with Kernel(monitor=ANYWHERE) as kernel:
        def port():
            return (yield current_kernel()).monitor.address[1]
        first = kernel.run(port())
        second = kernel.run(port())
    assert first and second


def test_its_log_line_says_the_command_to_connect_with_this_interpreter(caplog):
    """Under PyPy the hint says pypy3: python3 may not have trampoline."""
    caplog.set_level(logging.INFO, logger="trampoline")

    def main():
        return (yield current_kernel()).monitor.address

    host, port = run(main(), monitor=ANYWHERE)
    command = "pypy3" if platform.python_implementation() == "PyPy" else "python3"
    assert "%s -m trampoline.monitor %s:%d" % (command, host, port) in caplog.text


@pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback (::1) here")
def test_an_ipv6_address_is_served_and_its_command_works_as_logged(caplog):
    """``TRAMPOLINE_MONITOR=[::1]:PORT`` (``parse_address`` takes it): the
    monitor listened on an IPv4 socket, so it could not bind ("Address
    family for hostname not supported ... running without it"); and its
    log line would have said "python3 -m trampoline.monitor ::1:PORT",
    which the client refuses.  Now it serves on ::1 and the command it logs
    connects, run as written."""
    caplog.set_level(logging.INFO, logger="trampoline")

    def main():
        host, port = (yield current_kernel()).monitor.address
        command = caplog.text.split(" -m trampoline.monitor ")[-1].split()[0]
        code, output = yield command_line_client(command, b"ps\n")
        return host, port, command, code, output

    host, port, command, code, output = run(main(), monitor="[::1]:0")
    assert host == "::1" and port > 0 and command == "[::1]:%d" % port
    assert "cannot listen" not in caplog.text
    assert code == 0 and "trampoline> ps\n" in output and output.endswith("bye\n"), output


def test_the_environment_turns_it_on(monkeypatch):
    monkeypatch.setenv("TRAMPOLINE_MONITOR", "127.0.0.1:0")

    def main():
        return (yield current_kernel()).monitor.address

    host, port = run(main())
    assert host == "127.0.0.1" and port > 0
    # It switches on what the code did not: an address the code gives wins.
    host, port = run(main(), monitor="[::1]:0")
    assert host == "::1" and port > 0

    def no_monitor():
        return (yield current_kernel()).monitor

    monkeypatch.setenv("TRAMPOLINE_MONITOR", "0")
    assert run(no_monitor()) is None


def test_the_environment_turns_it_on_in_a_subprocess(tmp_path):
    script = tmp_path / "monitored.py"
    script.write_text(
        "from trampoline import run\n"
        "from trampoline.traps import current_kernel\n"
        "def main():\n"
        "    return (yield current_kernel()).monitor.address\n"
        "print(run(main()))\n")
    env = dict(os.environ, PYTHONPATH=ROOT, TRAMPOLINE_MONITOR="127.0.0.1:0")
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("('127.0.0.1', ")


@pytest.mark.parametrize("spec, address", [
    (True, ("127.0.0.1", 48802)),
    ("1", ("127.0.0.1", 48802)),
    (5000, ("127.0.0.1", 5000)),
    ("5000", ("127.0.0.1", 5000)),
    (":5000", ("127.0.0.1", 5000)),
    ("0.0.0.0:6000", ("0.0.0.0", 6000)),
    ("[::1]:7000", ("::1", 7000)),
    (("localhost", "8000"), ("localhost", 8000)),
    # A host alone listens on the default port; TRAMPOLINE_MONITOR=yes (or
    # true, on: any "on" TRAMPOLINE_DEBUG takes) on the default address.
    ("localhost", ("localhost", 48802)),
    ("0.0.0.0", ("0.0.0.0", 48802)),
    ("[::1]", ("::1", 48802)),
    ("::1", ("::1", 48802)),
    ("yes", ("127.0.0.1", 48802)),
    ("true", ("127.0.0.1", 48802)),
    ("On", ("127.0.0.1", 48802)),
])
def test_addresses(spec, address):
    assert parse_address(spec) == address


@pytest.mark.parametrize("spec, why", [
    ("localhost:http", "the port 'http' is not a number"),
    ("localhost:", "the port '' is not a number"),
    ("localhost:70000", "the port 70000 is not between 0 and 65535"),
    (-1, "the port -1 is not between 0 and 65535"),
    ("1:2:3", "more than one ':', and not an IPv6 address"),
    ("[::1]7000", "an IPv6 address goes in brackets"),
    ("off", "that reads as 'off'"),
    ("no such host:1", "the host 'no such host' is not a host name or address"),
    (2.5, "a float, not a string"),
    (("localhost",), "a tuple must be (host, port)"),
    (("localhost", 2.5), "the port 2.5 is not a number"),
])
def test_bad_addresses_say_what_is_wrong(spec, why):
    with pytest.raises(ValueError) as caught:
        parse_address(spec)
    message = str(caught.value)
    assert message.startswith("%r is not a monitor address (%s" % (spec, why))
    assert "host:port" in message


def test_a_bad_address_names_the_setting_it_came_from(monkeypatch, capsys):
    with pytest.raises(ValueError, match=r"^monitor='localhost:http' is not a monitor "
                                         r"address \(the port 'http' is not a number\); "
                                         r"expected host:port"):
        Kernel(monitor="localhost:http")

    monkeypatch.setenv("TRAMPOLINE_MONITOR", "localhost:http")
    ran = []

    def main():
        ran.append(True)                # pragma: no cover - never runs
        yield sleep(0)                  # pragma: no cover

    with pytest.raises(ValueError, match=r"^TRAMPOLINE_MONITOR='localhost:http' is not a "
                                         r"monitor address .*host:port"):
        run(main())
    assert ran == []

    assert monitor.main(["localhost:http"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(PYTHON + " -m trampoline.monitor: 'localhost:http' is not a "
                          "monitor address (the port 'http' is not a number)")
    assert "\nusage: %s -m trampoline.monitor [host:port]" % PYTHON in err


def _ask_ps_from_thread(address, reply):
    with socket.create_connection(address, timeout=10) as sock:
        data = b""
        while not data.endswith(PROMPT):
            data += sock.recv(4096)
        sock.sendall(b"ps\n")
        reply["ps"] = recv_to_end(sock).decode()


def test_a_question_pending_when_the_kernel_stops_gets_an_answer():
    """A question the monitor handed the kernel (``call_threadsafe``) as
    the main task returned is answered by the kernel's shutdown, which
    makes the calls handed in before the end (asyncio's loop makes those
    queued before it stops); then the client hears that the kernel has
    stopped.  (It was dropped with the kernel, and the client told "no
    answer": now that is a host loop's close() with a question pending.)"""
    import select
    reply = {}

    def main():
        kernel = yield current_kernel()
        thread = threading.Thread(target=_ask_ps_from_thread,
                                  args=(kernel.monitor.address, reply))
        thread.start()
        # Block the kernel until the monitor has handed it the question
        # (call_threadsafe wakes the kernel's wake-up socket), then stop.
        select.select([kernel._wake_recv], [], [], 10)
        kept["thread"] = thread

    kept = {}
    run(main(), monitor=ANYWHERE)
    kept["thread"].join(10)
    assert reply["ps"].startswith("ID  NAME  STATE  FOR  WAITING ON\n(no task)\n")
    assert reply["ps"].endswith("the program's kernel has stopped\n")


def test_a_question_pending_when_a_host_loop_closes_the_kernel_is_told_so():
    """A kernel a host loop drives, closed with a question the monitor
    handed it still unmade (``close()`` drops what no round made): the
    client is told there will be no answer, not left waiting for the
    answer timeout."""
    import select
    reply = {}
    kernel = Kernel(monitor=ANYWHERE)
    kernel.run_once()                   # (the monitor starts on the first round)
    thread = threading.Thread(target=_ask_ps_from_thread, args=(kernel.monitor.address, reply))
    thread.start()
    select.select([kernel._wake_recv], [], [], 10)
    kernel.close()
    thread.join(10)
    assert reply["ps"].startswith("no answer: the program's kernel has stopped")
    assert reply["ps"].endswith("the program's kernel has stopped\n")


def test_a_client_that_resets_the_connection():
    import struct

    def main():
        kernel = yield current_kernel()
        sock = socket.create_connection(kernel.monitor.address, timeout=10)
        assert sock.recv(4096).endswith(PROMPT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()                    # a reset, not a goodbye
        sock = yield open_monitor()     # the monitor serves on
        with sock:
            return (yield ask(sock, "help"))

    assert "commands:" in run(main(), monitor=ANYWHERE)


def test_where_in_code_without_source():
    namespace = {"park": park, "forever": forever}
    exec(compile("def nowhere():\n    yield park(forever)\n", "<no source>", "exec"), namespace)

    def main():
        task = yield spawn(namespace["nowhere"]())
        sock = yield open_monitor()
        with sock:
            answer = yield ask(sock, "where %d" % task.id)
        yield spawn(forever_waker())
        return answer

    def forever_waker():
        forever.wake_all()
        yield sleep(0)

    answer = run(main(), monitor=ANYWHERE)
    assert '  File "<no source>", line 2, in nowhere\n' + PROMPT.decode() in answer


def test_durations_read_well():
    assert _duration(0.25) == "250 ms"
    assert _duration(12.34) == "12.3 s"
    assert _duration(600) == "10 min"


# ------------------------------------- the program's own tasks, and main

CANCELS_ITS_MAIN = r"""
import signal, socket, sys
from trampoline import connect, read, run, sleep, spawn, write
from trampoline.monitor import PROMPT
from trampoline.traps import current_kernel

def ask(sock, line):
    yield write(sock, line.encode() + b"\n")
    reply = b""
    while not reply.endswith(PROMPT):
        reply += yield read(sock, 65536)
    return reply.decode()

def operator(main_id):
    kernel = yield current_kernel()
    sock = socket.socket()
    yield connect(sock, kernel.monitor.address)
    yield ask(sock, "help")
    print((yield ask(sock, "ps")), flush=True)
    yield write(sock, b"cancel %%d\n" %% main_id)
    yield sleep(3600)

def main():
    yield spawn(operator(%(main_id)d))
    try:
        yield sleep(3600)
    finally:
        print("main: cleaning up", flush=True)

run(main(), monitor=("127.0.0.1", 0), shutdown_signals=%(signals)s)
"""


@pytest.mark.parametrize("signals, main_id", [((), 1), ((signal.SIGUSR2,), 2)])
def test_cancelling_the_main_task_from_the_monitor_ends_the_program_saying_so(signals, main_id):
    script = CANCELS_ITS_MAIN % {"main_id": main_id, "signals": [int(s) for s in signals]}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=30)
    assert "main: cleaning up" in done.stdout       # its cleanup ran, as for any cancel
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    where, said = done.stderr.strip().split("\n")     # (where to connect: see _announce)
    assert where.startswith("trampoline monitor on 127.0.0.1:")
    assert said == (
        "task %d main, the program's main task, was cancelled from the trampoline "
        "monitor: the program stops" % main_id)


def test_the_monitor_answers_that_cancelling_the_main_task_stops_the_program():
    replies = []

    def operator(address):              # a person at the monitor, in a thread
        with socket.create_connection(address, timeout=10) as sock:
            for line in (b"ps\n", b"cancel 1\n"):
                reply = b""
                while not reply.endswith(PROMPT):
                    reply += sock.recv(65536)
                replies.append(reply.decode())
                sock.sendall(line)
            replies.append(sock.recv(65536).decode())

    def main():
        kernel = yield current_kernel()
        thread.append(threading.Thread(target=operator, args=(kernel.monitor.address,)))
        thread[0].start()
        yield sleep(3600)

    thread = []
    with pytest.raises(SystemExit) as stopped:
        run(main(), monitor=ANYWHERE)
    thread[0].join(10)
    assert isinstance(stopped.value, monitor.CancelledFromMonitor)
    assert replies[-1].startswith(
        "cancelled task 1 main, the program's main task: the program stops once it has "
        "cleaned up")


def test_ps_leaves_out_trampolines_own_tasks_and_ps_all_shows_them():
    answers = {}

    def main():
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
            answers["ps all"] = yield ask(sock, "ps all")
            answers["ps what"] = yield ask(sock, "ps what")

    run(main(), monitor=ANYWHERE, shutdown_signals=[signal.SIGUSR2])
    assert "trampoline:" not in answers["ps"]
    assert " main " in answers["ps"]
    assert "(and 2 of trampoline's own tasks: 'ps all' shows them)" in answers["ps"]
    assert "trampoline: run, stopping on SIGUSR2" in answers["ps all"]
    assert "trampoline: waiting for SIGUSR2" in answers["ps all"]
    assert answers["ps what"].startswith("usage: ps, or ps all")


def test_a_task_groups_watchers_are_trampolines_own():
    from trampoline.taskgroup import TaskGroup
    answers = {}

    def main():
        group = TaskGroup()
        yield group.spawn(nap())
        yield group.spawn(nap())
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
            answers["ps all"] = yield ask(sock, "ps all")
        yield group.cancel_remaining()

    run(main(), monitor=ANYWHERE)
    assert "watching" not in answers["ps"] and answers["ps"].count(" nap ") == 2
    assert "(and 2 of trampoline's own tasks: 'ps all' shows them)" in answers["ps"]
    assert answers["ps all"].count("trampoline: watching") == 2



def test_ps_of_the_echo_server_shows_its_connections_not_run_servers_plumbing():
    """``examples/echo_server.py`` under the monitor: ``ps`` lists the
    connection's task; run_server's own -- the worker's main task, the
    accept loop, the select between them -- are trampoline's, shown by ``ps
    all``.  (They were "_worker", "server" and "select branch 0", in ``ps``
    beside the user's tasks.)"""
    env = dict(os.environ, PYTHONPATH=ROOT, TRAMPOLINE_MONITOR="127.0.0.1:0")
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "echo_server.py"),
                             "--port", "0"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "trampoline monitor on 127.0.0.1:" in line, line
        monitor_port = int(line.split("trampoline monitor on 127.0.0.1:")[1].split(":")[0])
        line = proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client, \
                socket.create_connection(("127.0.0.1", monitor_port), timeout=10) as sock:
            client.sendall(b"hi\n")
            assert client.recv(10) == b"hi\n"         # its task is there and waiting

            def reply():                # what the monitor says, up to its prompt
                said = b""
                while not said.endswith(PROMPT):
                    data = sock.recv(65536)
                    assert data, said
                    said += data
                return said.decode()

            reply()                     # its banner
            sock.sendall(b"ps\n")
            ps = reply()
            sock.sendall(b"ps all\n")
            ps_all = reply()
        tasks = [row.split()[1] for row in ps.splitlines() if row.strip()[:1].isdigit()]
        assert tasks == ["echo"], ps
        assert "(and 5 of trampoline's own tasks: 'ps all' shows them)" in ps
        assert "trampoline: run_server worker %d" % proc.pid in ps_all
        assert "trampoline: accepting on 127.0.0.1:%d" % port in ps_all
        assert "trampoline: select branch 0" in ps_all
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        proc.stdout.close()
        proc.stderr.close()


# ------------------------------------------- what a session must survive

def test_trampolines_own_tasks_cannot_be_cancelled():
    """Cancelling the signal watcher would leave the program deaf to
    Ctrl-C and SIGTERM: the monitor refuses, for every task 'ps all' adds."""
    from trampoline.taskgroup import TaskGroup
    answers = {}

    def main():
        group = TaskGroup()
        yield group.spawn(nap())
        sock = yield open_monitor()
        with sock:
            ps_all = yield ask(sock, "ps all")
            own = [line.split()[0] for line in ps_all.splitlines()[1:-1]
                   if line.split()[1] == "trampoline:"]
            answers["own"] = own
            answers["cancel"] = []
            for task_id in own:
                answers["cancel"].append((yield ask(sock, "cancel %s" % task_id)))
            answers["ps all after"] = yield ask(sock, "ps all")
        # The watcher still hears the signal: main is cancelled, run() returns None.
        os.kill(os.getpid(), signal.SIGUSR2)
        yield sleep(10)                 # (a deadline: the signal ends it long before)
        return "SIGUSR2 did not stop the program"     # pragma: no cover

    assert run(main(), monitor=ANYWHERE, shutdown_signals=[signal.SIGUSR2]) is None
    assert len(answers["own"]) == 3     # run's, the signal watcher, the group's watcher
    for task_id, answer in zip(answers["own"], answers["cancel"]):
        assert answer.startswith("not cancelled: task %s trampoline: " % task_id), answer
        assert "is trampoline's own" in answer
    assert "trampoline: waiting for SIGUSR2 is trampoline's own" in "".join(answers["cancel"])
    assert answers["ps all after"].count("trampoline: ") == 3


def test_only_decimal_digits_make_a_task_id():
    """'²' is a digit to str.isdigit(), not to int(): the session died."""
    answers = {}

    def main():
        sock = yield open_monitor()
        with sock:
            for line in ("where \u00b2", "cancel \u00b2", "where 1 2", "where 1"):
                answers[line] = yield ask(sock, line)

    run(main(), monitor=ANYWHERE)
    for command in ("where", "cancel"):
        assert answers[command + " \u00b2"].startswith(
            "usage: %s ID (a task id, from ps), not '\u00b2'" % command)
    assert answers["where 1 2"].startswith("usage: where ID (a task id, from ps), not '1 2'")
    assert answers["where 1"].startswith("task 1 main, parked on read(")


class UnprintableSeconds(int):
    def __repr__(self):
        raise RuntimeError("this number cannot be shown")


def test_a_command_that_fails_is_answered_and_the_session_goes_on(caplog):
    """ps describes each wait with repr(): a user's object whose repr
    raises fails the command -- not the session, the kernel or the task."""
    answers = {}

    def sleeper():
        yield sleep(UnprintableSeconds(3600))

    def main():
        task = yield spawn(sleeper())
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
            answers["help"] = yield ask(sock, "help")
        answers["sleeper"] = task.state
        yield cancel(task)

    run(main(), monitor=ANYWHERE)
    assert answers["ps"] == ("error: 'ps' failed: RuntimeError: this number cannot be shown "
                             "(the monitor goes on)\n" + PROMPT.decode())
    assert answers["help"].startswith("commands:")
    assert answers["sleeper"] == "parked"
    assert "trampoline monitor: command 'ps' failed" in caplog.text


def test_a_line_too_long_is_answered_and_dropped():
    answers = {}

    def main():
        kernel = yield current_kernel()
        with socket.create_connection(kernel.monitor.address, timeout=10) as sock:
            assert read_all(sock, 1).endswith(PROMPT)
            # Longer than MAX_LINE: in one piece, and over many reads.
            sock.sendall(b"x" * (MAX_LINE + 1) + b"\n" + b"ps " + b" " * 10 ** 5 + b"\n")
            answers["long"] = read_all(sock, 2).decode()
            sock.sendall(b"y" * (MAX_LINE - 5) + b"\nhelp\n")   # the longest there is
            answers["longest"] = read_all(sock, 2).decode()

    run(main(), monitor=ANYWHERE)
    too_long = "line too long (over %d bytes): ignored\n" % MAX_LINE + PROMPT.decode()
    assert answers["long"] == too_long * 2
    assert answers["longest"].startswith("unknown command 'yyy")
    assert "commands:" in answers["longest"]


def test_a_huge_line_costs_no_more_than_its_length():
    """Every read searched the whole line so far for its end: 16 MB without
    a newline took minutes.  Now only the new data is searched, and none of
    it is kept."""
    def main():
        kernel = yield current_kernel()
        with socket.create_connection(kernel.monitor.address, timeout=20) as sock:
            assert read_all(sock, 1).endswith(PROMPT)
            sock.sendall(b"z" * (16 << 20) + b"\nhelp\n")
            return read_all(sock, 2).decode()

    answer = run(main(), monitor=ANYWHERE)
    assert answer.startswith("line too long")
    assert "commands:" in answer


def read_all(sock, prompts):
    """From a blocking socket: until ``prompts`` prompts have come."""
    data = b""
    while data.count(PROMPT) < prompts:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def recv_to_end(sock):
    """From a blocking socket: all it sends until it closes."""
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk


def session_threads():
    return {thread for thread in threading.enumerate()
            if thread.name == "trampoline monitor session"}


def test_finished_sessions_are_not_kept():
    """Each session's thread object was kept until the program ended."""
    finished = []

    def main():
        kernel = yield current_kernel()
        for _ in range(20):
            with socket.create_connection(kernel.monitor.address, timeout=10) as sock:
                assert read_all(sock, 1).endswith(PROMPT)
                finished.extend(weakref.ref(thread) for thread in session_threads())
                sock.sendall(b"quit\n")
                assert sock.recv(100) == b"bye\n"
                assert sock.recv(100) == b""
        deadline = time.monotonic() + 10
        while any(ref() is not None for ref in finished) and time.monotonic() < deadline:
            gc.collect()
            yield sleep(0.01)
        return sum(ref() is not None for ref in finished)

    assert run(main(), monitor=ANYWHERE) == 0
    assert len(finished) >= 20


def stuck_session():
    """From a task: a client that asks for an answer far larger than the
    sockets' buffers can hold (a 6 MB task name pads every row of ps) and
    never reads it.  Returns its socket and its session's thread once the
    answer has begun to come: the session is stuck sending it."""
    kernel = yield current_kernel()
    yield spawn(nap(), name="-" * (6 << 20))   # (not letters: see Task.name)
    before = session_threads()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    yield connect(sock, kernel.monitor.address)
    assert (yield read_reply(sock)).endswith(PROMPT.decode())
    (thread,) = session_threads() - before
    yield write(sock, b"ps\n")
    yield read_wait(sock)
    return sock, thread


def test_a_client_that_stops_reading_does_not_hold_up_the_end():
    """run() waited answer_timeout (5 s) for each stuck session at its end,
    and left the session's thread stuck."""
    kept = {}

    def main():
        kernel = yield current_kernel()
        kernel.monitor.answer_timeout = 2           # (how long run() would wait)
        kept["sock"], kept["thread"] = yield stuck_session()

    run(main(), monitor=ANYWHERE)
    alive = kept["thread"].is_alive()
    kept["sock"].close()
    assert not alive


def test_a_client_that_takes_nothing_is_dropped():
    def main():
        kernel = yield current_kernel()
        kernel.monitor.send_timeout = 0.1
        sock, thread = yield stuck_session()
        with sock:
            deadline = time.monotonic() + 10
            while thread.is_alive() and time.monotonic() < deadline:
                yield sleep(0.01)
            alive = thread.is_alive()
        sock = yield open_monitor()     # and the monitor serves on
        with sock:
            return alive, (yield ask(sock, "help"))

    alive, answer = run(main(), monitor=ANYWHERE)
    assert not alive
    assert answer.startswith("commands:")


def test_a_client_that_reads_slowly_gets_all_of_its_answer():
    """The stuck session of the tests above goes on where it was as soon as
    its client reads."""
    def main():
        sock, thread = yield stuck_session()
        with sock:
            reply = bytearray()
            while not reply.endswith(PROMPT):
                data = yield read(sock, 1 << 20)
                assert data, bytes(reply[-200:])
                reply += data
            return reply.decode(), (yield ask(sock, "help"))

    ps, answer = run(main(), monitor=ANYWHERE)
    lines = ps.splitlines()
    assert lines[0].split() == ["ID", "NAME", "STATE", "FOR", "WAITING", "ON"]
    assert [line.split()[1:3] for line in lines[1:-1]] == [
        ["main", "parked"], ["-" * (6 << 20), "parked"]]
    assert answer.startswith("commands:")


def test_hundreds_of_connections_take_no_more_than_max_sessions_threads():
    """Each connection had a thread and two descriptors of its own, without
    limit: idle clients could take every descriptor the program has (its
    accept() then fails with EMFILE) and as many threads.  Now at most
    ``max_sessions`` are served; one more is told so and closed, and the
    program's tasks run on."""
    ticks = []

    def ticker():
        while True:
            ticks.append(None)
            yield sleep(0.001)

    def main():
        kernel = yield current_kernel()
        yield spawn(ticker())
        served, refused = [], []
        try:
            for _ in range(200):
                sock = socket.create_connection(kernel.monitor.address, timeout=10)
                greeting = b""
                while not greeting.endswith(PROMPT):    # (a refusal: until its end)
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    greeting += chunk
                (served if greeting.endswith(PROMPT) else refused).append((sock, greeting))
            threads, how_many = len(session_threads()), len(served)
            # One leaves: the next is served.
            sock, _ = served.pop()
            sock.close()
            deadline = time.monotonic() + 10
            while len(session_threads()) >= threads and time.monotonic() < deadline:
                yield sleep(0.01)
            before = len(ticks)
            again = yield open_monitor()
            with again:
                answer = yield ask(again, "help")
            yield sleep(0.01)
            return how_many, refused[0][1] if refused else b"", threads, answer, \
                len(ticks) > before
        finally:
            for sock, _ in served + refused:
                sock.close()

    served, refused, threads, answer, ticked = run(main(), monitor=ANYWHERE)
    assert served == getattr(monitor.Monitor, "max_sessions", 16)
    assert threads == served
    assert b"sessions already" in refused
    assert answer.startswith("commands:")
    assert ticked


def test_a_program_out_of_descriptors_does_not_make_the_monitor_spin(tmp_path):
    """accept() failing with EMFILE (the program has used up its descriptors)
    was retried at once, forever, while the connection waited: the monitor's
    thread took a whole core and the GIL from the program.  Now it waits a
    little between tries, and serves the client once a descriptor is free
    -- one is enough: the session's own wait took another (an epoll), and
    without it hung up on the client it had just accepted."""
    script = tmp_path / "crowded.py"
    # (A thread's end loads libgcc_s the first time, in glibc: with no
    # descriptor free that aborts the process -- "libgcc_s.so.1 must be
    # installed for pthread_exit to work" -- and the monitor session's
    # thread may still be ending after its join.  Loaded beforehand.)
    script.write_text(
        "import ctypes, os, resource, sys, threading, time\n"
        "try:\n"
        "    ctypes.CDLL('libgcc_s.so.1')\n"
        "except OSError:\n"
        "    pass\n"
        "from trampoline import run, sleep\n"
        "from trampoline.traps import current_kernel\n"
        "def main():\n"
        "    kernel = yield current_kernel()\n"
        "    print(kernel.monitor.address[1], flush=True)\n"
        "    sys.stdin.readline()              # the monitor has served a client\n"
        "    for thread in threading.enumerate():\n"
        "        if thread.name == 'trampoline monitor session':\n"
        "            thread.join()\n"
        "    held = []\n"
        "    resource.setrlimit(resource.RLIMIT_NOFILE,\n"
        "                       (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "    try:\n"
        "        while True:\n"
        "            held.append(os.dup(0))\n"
        "    except OSError:\n"
        "        pass\n"
        "    print('full', flush=True)\n"
        "    sys.stdin.readline()              # the client has connected\n"
        "    cpu = time.process_time()\n"
        "    yield sleep(0.5)\n"
        "    print(round(time.process_time() - cpu, 3), flush=True)\n"
        "    os.close(held.pop())              # one descriptor free: the connection's\n"
        "    sys.stdin.readline()              # the client was served\n"
        "    for fd in held:\n"
        "        os.close(fd)\n"
        "run(main(), monitor='127.0.0.1:0')\n")
    child = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        port = int(child.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            assert read_all(sock, 1).endswith(PROMPT)      # it serves
            sock.sendall(b"quit\n")
            assert sock.recv(100) == b"bye\n"
        child.stdin.write(b"served\n")
        child.stdin.flush()
        assert child.stdout.readline() == b"full\n"
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            child.stdin.write(b"connected\n")
            child.stdin.flush()
            cpu = float(child.stdout.readline())
            assert read_all(sock, 1).endswith(PROMPT)
        child.stdin.write(b"served\n")
        child.stdin.close()
        assert child.wait(20) == 0
    finally:
        if child.poll() is None:    # pragma: no cover - the test failed
            child.kill()
            child.wait()
        child.stdout.close()
    assert cpu < 0.1


def test_a_session_that_the_stop_cuts_short_still_hears_it_and_ends_cleanly():
    """A client whose bytes the session had not read yet when the kernel
    stopped: the session closed with them unread, which resets the
    connection, and the client lost "the program's kernel has stopped"
    (the command-line client died on ConnectionResetError)."""
    kept = {}

    def main():
        kernel = yield current_kernel()
        kernel.monitor.answer_timeout = 30
        sock = kept["sock"] = socket.create_connection(kernel.monitor.address, timeout=10)
        assert sock.recv(4096).endswith(PROMPT)     # the session has begun
        # "ps" and more than the session reads at once: it asks the kernel
        # (busy here, in this step) and leaves the rest unread meanwhile.
        sock.sendall(b"ps\n" + b"x" * 20000)
        yield sleep(0)

    run(main(), monitor=ANYWHERE)
    data = b""
    with kept["sock"] as sock:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.decode().endswith("the program's kernel has stopped\n")


def test_the_client_says_so_when_the_connection_is_reset(capsys, monkeypatch):
    """It died on ConnectionResetError, with a traceback."""
    import struct
    with socket.create_server(ANYWHERE) as listener:

        def resetting_monitor():        # a banner, then a reset once a line comes
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"trampoline monitor: 'help' lists the commands\n" + PROMPT)
                conn.recv(1, socket.MSG_PEEK)           # the client's line has come
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))    # linger 0: close resets
        thread = threading.Thread(target=resetting_monitor)
        thread.start()
        monkeypatch.setattr(sys, "stdin", io.StringIO("ps\n"))
        try:
            code = monitor.main(["127.0.0.1:%d" % listener.getsockname()[1]])
        finally:
            thread.join(10)
    assert code == 1
    err = capsys.readouterr().err
    assert "the connection to the monitor was lost: Connection reset by peer" in err


def test_ctrl_c_in_the_command_line_client_ends_it_without_a_traceback():
    """Ctrl-C at the ``trampoline>`` prompt -- the way out a learner tries
    first -- ended the client in a KeyboardInterrupt traceback."""
    with socket.create_server(ANYWHERE) as listener:
        env = dict(os.environ, PYTHONPATH=ROOT)
        client = subprocess.Popen(
            [sys.executable, "-m", "trampoline.monitor", "127.0.0.1:%d" % listener.getsockname()[1]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"trampoline monitor: 'help' lists the commands\n" + PROMPT)
            shown = b""
            while not shown.endswith(PROMPT):   # the client has printed the prompt
                shown += client.stdout.read1(65536)
            client.send_signal(signal.SIGINT)   # (its stdin stays open: it waits on it)
            client.wait(timeout=30)
            client.stdin.close()
            err = client.stderr.read()
            client.stdout.close()
            client.stderr.close()
            assert conn.recv(65536) == b""      # it closed the connection
    assert client.returncode == 130, err
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


def café():
    yield sleep(3600)


def test_the_client_on_a_terminal_that_cannot_show_the_answer_nor_read_the_line():
    """A task named ``café``, the client on an ASCII terminal
    (``PYTHONIOENCODING=ascii``), and a line typed that is not UTF-8: the
    client died in a UnicodeEncodeError (printing the answer) or a
    UnicodeDecodeError (reading the line) traceback.  Now what it cannot
    show is escaped, the bytes typed go as they are, and the session goes on."""

    def main():
        yield spawn(café())
        kernel = yield current_kernel()
        client = start_client(kernel.monitor.address, PYTHONIOENCODING="ascii")
        client.stdin.write(b"ps\nwhere \xff\xc3\xa9\nhelp\n")
        client.stdin.close()
        output = yield read_to_end(client.stdout)
        err = yield read_to_end(client.stderr)
        return client.wait(), output.decode("ascii"), err.decode()

    code, output, err = run(main(), monitor=ANYWHERE)
    assert code == 0 and err == "", err
    assert "2  caf\\xe9  parked" in output
    assert "usage: where ID (a task id, from ps), not '\\ufffd\\xe9'" in output
    assert "trampoline> help\ncommands:" in output and output.endswith("quit\nbye\n")


def test_the_client_piped_into_head_stops_quietly():
    """``python3 -m trampoline.monitor ... | head -2``: once ``head`` had
    gone, the client died in a BrokenPipeError traceback (and Python's
    "Exception ignored" at exit).  Now it stops, status 1, saying nothing."""

    def main():
        kernel = yield current_kernel()
        client = start_client(kernel.monitor.address)
        shown = b""
        while not shown.endswith(PROMPT):       # the banner: then the reader goes
            shown += yield read(client.stdout, 65536)
        client.stdout.close()
        client.stdin.write(b"ps\nps\nps\n")
        client.stdin.close()
        err = yield read_to_end(client.stderr)
        return client.wait(), err.decode()

    code, err = run(main(), monitor=ANYWHERE)
    assert code == 1, err
    assert err == ""
