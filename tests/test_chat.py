"""examples/chat_server.py, driven by plain socket clients in this process."""

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from trampoline.streams import NEW_CONNECTION_GRACE
from net_helpers import stop_process

SERVER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "examples", "chat_server.py")


@contextlib.contextmanager
def running_chat_server(outbox):
    """examples/chat_server.py on a free port: (its process, the port)."""
    proc = subprocess.Popen([sys.executable, SERVER, "--port", "0", "--outbox", str(outbox)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "listening on 127.0.0.1:" in line, line + proc.stderr.read()
        yield proc, int(line.rsplit(":", 1)[1])
    finally:
        stop_process(proc)


@pytest.fixture
def chat_server():
    with running_chat_server(outbox=8) as running:
        yield running


class Person:
    """A chat client: a blocking socket with a line reader."""

    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.file.read(len(b"Welcome! Your name? ")) == b"Welcome! Your name? "
        self.say(name)
        assert self.line().startswith("* hello %s;" % name)

    def say(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def line(self):
        return self.file.readline().decode()

    def close(self):
        self.file.close()
        self.sock.close()


def test_messages_reach_everybody_else(chat_server):
    """Two people: joins, messages and leaving are announced to the other."""
    _, port = chat_server
    ann = Person(port, "ann")
    bob = Person(port, "bob")
    try:
        assert ann.line() == "* bob joined\n"
        bob.say("hi ann")
        assert ann.line() == "bob: hi ann\n"
        ann.say("hi bob")
        assert bob.line() == "ann: hi bob\n"
        bob.say("/quit")
        assert bob.file.readline() == b""           # the server hung up on bob
        assert ann.line() == "* bob left\n"
    finally:
        ann.close()
        bob.close()


def test_a_slow_client_is_disconnected_and_the_others_go_on(chat_server):
    """A client that never reads fills its bounded outbox: it is told and
    disconnected; a reading client receives every message meanwhile."""
    _, port = chat_server
    slow = Person(port, "slow")
    fast = Person(port, "fast")
    talker = Person(port, "talker")
    try:
        assert slow.line() == "* fast joined\n"
        assert fast.line() == "* talker joined\n"
        # slow stops reading now.  Each line is big, so its socket buffers
        # fill and then its outbox of 8 lines.
        big = "x" * 60000
        for i in range(200):
            talker.say("%d %s" % (i, big))
            assert fast.line() == "talker: %d %s\n" % (i, big)
        talker.say("still here?")
        assert fast.line() == "talker: still here?\n"
        # slow was disconnected: reading what reached it ends in EOF (a
        # timeout would raise), and it is well short of the 200 lines.  The
        # goodbye line is best effort -- it cannot fit a full buffer.
        slow.sock.settimeout(10)
        rest = slow.file.read()
        assert rest.count(b"\ntalker: ") < 150
    finally:
        slow.close()
        fast.close()
        talker.close()


def test_many_lines_in_one_packet_disconnect_nobody_who_reads(chat_server):
    """A client that pastes more lines at once than an outbox holds (8
    here): every reading client gets each of them; none is taken for too
    slow and disconnected (all the lines were queued before any writer ran)."""
    _, port = chat_server
    ann = Person(port, "ann")
    bob = Person(port, "bob")
    try:
        assert ann.line() == "* bob joined\n"
        bob.sock.sendall(b"".join(b"line %d\n" % i for i in range(50)))
        for i in range(50):
            assert ann.line() == "bob: line %d\n" % i
        bob.say("/quit")
        assert ann.line() == "* bob left\n"
    finally:
        ann.close()
        bob.close()


def test_a_line_over_the_limit_is_refused_even_when_its_end_came_with_it(chat_server):
    """A 70,000-byte line (the limit is 65,536) sent whole: the server reads
    its first 64 KiB, then the rest with its end -- and refuses it, where it
    used to broadcast it (only a line still unfinished above the limit was
    refused, so any line up to twice the limit got through).  The line
    before it reaches the others; the sender is told and disconnected."""
    _, port = chat_server
    ann = Person(port, "ann")
    bob = Person(port, "bob")
    try:
        assert ann.line() == "* bob joined\n"
        bob.sock.sendall(b"short one\n" + b"x" * 70000 + b"\n")
        assert ann.line() == "bob: short one\n"
        assert ann.line() == "* bob left\n"
        assert bob.file.read() == b"* line too long; goodbye\n"
    finally:
        ann.close()
        bob.close()



def test_the_goodbye_to_a_line_too_long_is_a_clean_close_not_a_reset(chat_server):
    """A client still sending when it is told "line too long" (200 KB with no
    line end; the server reads 64 KiB and refuses it): the server says so,
    reads and drops the rest, and closes -- the client's send completes and
    it sees the end of the stream.  Closing with bytes unread reset the
    connection instead: the client's send failed, and ``nc``, which quits
    on that, lost the goodbye 6 times in 10."""
    _, port = chat_server
    bob = Person(port, "bob")
    sent = []

    def send_rest():
        try:
            bob.sock.sendall(b"y" * 200000)
            sent.append("all")
        except OSError as exc:                  # reset by the server
            sent.append(exc)

    sender = threading.Thread(target=send_rest)
    sender.start()
    try:
        assert bob.file.read(len(b"* line too long; goodbye\n")) == b"* line too long; goodbye\n"
        sender.join(10)
        assert sent == ["all"]
        bob.sock.shutdown(socket.SHUT_WR)       # done sending: the server may close
        assert bob.file.read() == b""           # the end of the stream, not a reset
    finally:
        sender.join(10)
        bob.close()

def test_telnet_example_chats(chat_server):
    """examples/telnet.py is a chat client: what it reads from stdin reaches
    the others, what they say reaches its stdout."""
    _, port = chat_server
    ann = Person(port, "ann")
    telnet = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(SERVER), "telnet.py"), "127.0.0.1", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        telnet.stdin.write(b"tom\n")
        telnet.stdin.flush()
        assert ann.line() == "* tom joined\n"
        assert telnet.stdout.readline() == b"Welcome! Your name? * hello tom; 2 here\n"
        ann.say("hello tom")
        assert telnet.stdout.readline() == b"ann: hello tom\n"
        telnet.stdin.write(b"hi ann\n")
        telnet.stdin.close()                    # EOF: telnet half-closes and leaves
        assert ann.line() == "tom: hi ann\n"
        assert ann.line() == "* tom left\n"
        assert telnet.wait(10) == 0, telnet.stderr.read()
    finally:
        if telnet.poll() is None:
            telnet.kill()
            telnet.wait()
        ann.close()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_chat_server_stops_gracefully_on_sigint_and_sigterm(chat_server, signum):
    """SIGINT or SIGTERM: a connected client sees the end of its stream,
    the server exits with status 0, no traceback -- at once: a client that
    has spoken is no new connection, whose first request may be on its way
    (the room used the socket's own traps, which its stream did not see, so
    the stop waited NEW_CONNECTION_GRACE for the talkers too, twice).
    (Timed to the end of ann's stream, which the grace held back: the
    process's own exit after it -- an interpreter's shutdown -- took past
    the grace on a loaded machine.)"""
    proc, port = chat_server
    ann = Person(port, "ann")
    try:
        started = time.monotonic()
        proc.send_signal(signum)
        assert ann.file.readline() == b""
        assert time.monotonic() - started < NEW_CONNECTION_GRACE
        assert proc.wait(10) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        ann.close()


def test_a_client_that_resets_its_connection_has_left_and_nothing_is_logged(chat_server):
    """A reset is a hang-up: the others are told, and the server logs no
    error for it (the reader's ConnectionResetError is not a failure)."""
    proc, port = chat_server
    ann = Person(port, "ann")
    bob = Person(port, "bob")
    try:
        assert ann.line() == "* bob joined\n"
        bob.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        bob.close()                                 # RST, not FIN
        assert ann.line() == "* bob left\n"
        ann.say("/quit")
        assert ann.file.readline() == b""
    finally:
        ann.close()
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    errors = proc.stderr.read()
    assert "Error" not in errors and "failed" not in errors, errors


def test_a_line_too_long_from_a_client_that_does_not_read_is_no_crash():
    """A client that stops reading (its writer waits in the middle of a
    line) and then sends a line longer than the limit: it is disconnected,
    and the server logs nothing -- the reader used to write its goodbye
    into the socket the writer was writing, and crashed with ResourceBusy
    (a traceback in the log).  The others go on being served."""
    with running_chat_server(outbox=1000) as (proc, port):
        # A socket with a small receive buffer, made before connecting (the
        # window is agreed then): a few lines fill it.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"mute\n")
        fast = Person(port, "fast")
        talker = Person(port, "talker")
        try:
            assert fast.line() == "* talker joined\n"
            big = "x" * 60000
            for i in range(60):                 # 3.6 MB for mute, which reads none
                talker.say("%d %s" % (i, big))
                assert fast.line() == "talker: %d %s\n" % (i, big)
            sock.sendall(b"y" * 70000)          # no line end: too long
            while sock.recv(65536):             # what it was sent, then the end
                pass
            assert fast.line() == "* mute left\n"
            talker.say("still here?")
            assert fast.line() == "talker: still here?\n"
        finally:
            sock.close()
            fast.close()
            talker.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        errors = proc.stderr.read()
        assert "Traceback" not in errors and "crashed" not in errors, errors
