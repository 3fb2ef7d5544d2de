"""The monitor's behaviour that mutation testing found unpinned: addresses
at their edges, ps's FOR column, a kernel run twice, the "where to connect"
line said once per address, commands in capitals, ``signal``'s checks, a
line of exactly MAX_LINE bytes, and the client's arguments."""

import math
import re
import signal
import socket

import pytest

from test_monitor import ANYWHERE, ask, open_monitor, read_all, read_reply
from trampoline import (Kernel, cancel, current_task, run, sleep, spawn, timeout_after,
                        write)
from trampoline import monitor
from trampoline.kernel import WaitQueue
from trampoline.monitor import MAX_LINE, PROMPT, CancelledFromMonitor, _duration, parse_address
from trampoline.signals import SignalSet
from trampoline.traps import current_kernel, park


def test_an_ipv6_address_with_a_zone_is_an_address():
    """"fe80::1%eth0" (a link-local address and its interface) is an IPv6
    address: the zone is not part of what ipaddress checks."""
    assert parse_address("fe80::1%lo") == ("fe80::1%lo", 48802)
    assert parse_address("[fe80::1%lo]:5000") == ("fe80::1%lo", 5000)
    with pytest.raises(ValueError, match="not an IPv6 address"):
        parse_address("fe80::g%lo")


@pytest.mark.parametrize("spec, why", [
    ("fe80::1%", "nothing after the '%' of 'fe80::1%': the zone (an interface) is missing"),
    ("[fe80::1%]:5000", "nothing after the '%' of 'fe80::1%'"),
    ("[nonsense]:5000", "'nonsense' in brackets is not an IPv6 address"),
    ("[127.0.0.1]", "'127.0.0.1' in brackets is not an IPv6 address"),
])
def test_an_empty_zone_or_no_ipv6_address_in_brackets_is_refused(spec, why):
    """Only the part before "%" was checked, and nothing in brackets at all:
    "fe80::1%" and "[nonsense]:5000" were taken, to fail later at bind."""
    with pytest.raises(ValueError) as caught:
        parse_address(spec)
    assert str(caught.value).startswith("%r is not a monitor address (%s" % (spec, why))


@pytest.mark.parametrize("spec, why", [
    ("[]", "an IPv6 address goes in brackets"),
    ("[]:5000", "an IPv6 address goes in brackets"),
    (("localhost", True), "the port True is not a number"),
    (65536, "the port 65536 is not between 0 and 65535"),
    ("localhost:65536", "the port 65536 is not between 0 and 65535"),
])
def test_more_bad_addresses(spec, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_address(spec)


def test_an_empty_host_in_a_tuple_is_localhost_not_every_interface():
    """("", port) to socket.create_server listens on every interface: whoever
    reaches the machine could cancel tasks.  An empty host is 127.0.0.1."""
    assert parse_address(("", 5000)) == ("127.0.0.1", 5000)
    assert parse_address(65535) == ("127.0.0.1", 65535)


def for_column(ps, name):
    """The FOR column of ps's row for the task named ``name``, in seconds."""
    for line in ps.splitlines()[1:]:
        words = line.split()
        if len(words) > 4 and words[1] == name:
            amount, unit = re.search(r"(\d+(?:\.\d+)?) (ms|s|min)", line).groups()
            return float(amount) * {"ms": 0.001, "s": 1, "min": 60}[unit]
    raise AssertionError("no task %r in %r" % (name, ps))   # pragma: no cover


def test_ps_counts_for_how_long_from_the_tasks_last_step_not_its_spawn():
    """FOR is how long a task has been in its state: a task spawned long
    ago that has just run shows a short time, not its age."""
    nudge = WaitQueue()
    still = WaitQueue()
    answers = {}

    def idle():
        yield park(still)

    def waiter():
        yield park(nudge)               # (a first state, kept for a while)
        yield park(nudge)               # (the state ps looks at)

    def main():
        yield spawn(waiter())
        idler = yield spawn(idle())
        yield sleep(1.0)                # (the time being measured, not a synchronisation)
        nudge.wake_all()                # the waiter runs a step, and parks again
        sock = yield open_monitor()
        with sock:
            answers["ps"] = yield ask(sock, "ps")
        nudge.wake_all()
        yield cancel(idler)

    run(main(), monitor=ANYWHERE)
    # (The monitor reads the real clock.  0.9 s leaves a loaded machine
    # room between the nudge and ps; the task spawned 1 s before shows 1 s.)
    assert for_column(answers["ps"], "idle") >= 0.95, answers["ps"]
    assert for_column(answers["ps"], "waiter") < 0.9, answers["ps"]
    assert for_column(answers["ps"], "main") < 0.9, answers["ps"]


def test_where_to_connect_is_said_once_for_an_address(capsys):
    """A program may call run() many times: the "trampoline monitor on ..."
    line goes to stderr at the first, not at each."""
    with Kernel(monitor=ANYWHERE) as kernel:
        def nothing():
            yield sleep(0)
        for _ in range(3):
            kernel.run(nothing())
        address = kernel.monitor.address
    err = capsys.readouterr().err
    assert err.count("trampoline monitor on 127.0.0.1:%d" % address[1]) == 1, err


@pytest.mark.skipif(not hasattr(signal, "SIGTSTP"), reason="no SIGTSTP here")
def test_a_stopping_signal_the_program_handles_is_sent():
    """TSTP (Ctrl-Z) is refused only while its default action, stopping the
    whole process, would happen: a program that handles it gets it."""
    answers = {}

    def main():
        with SignalSet(signal.SIGTSTP) as signals:
            sock = yield open_monitor()
            with sock:
                answers["signal"] = yield ask(sock, "signal TSTP")
                return (yield timeout_after(30, signals.wait()))    # (a bound)

    assert run(main(), monitor=ANYWHERE) == signal.SIGTSTP
    assert answers["signal"].startswith("sent SIGTSTP to the program"), answers["signal"]


def test_ps_of_a_task_that_sleeps_forever():
    """sleep(inf) has no timer: ps says what it waits on, with no time left."""
    def main():
        task = yield spawn(sleep(math.inf))
        sock = yield open_monitor()
        with sock:
            answer = yield ask(sock, "ps")
        yield cancel(task)
        return answer

    answer = run(main(), monitor=ANYWHERE)
    assert "sleep(inf)" in answer and not answer.startswith("error"), answer


def test_a_kernel_run_twice_answers_and_knows_its_new_main_task():
    """The second run of one kernel: its monitor answers (it said "the
    kernel has stopped" from the first run's end), and cancelling that
    run's main task is cancelling the program's main task, as at the first."""
    answers = []

    def main():
        sock = yield open_monitor()
        with sock:
            answers.append((yield ask(sock, "ps")))
            try:                        # (the cancel may come before its answer)
                yield write(sock, b"cancel %d\n" % current_task().id)
                yield sleep(30)         # (a bound: the cancel ends it long before)
            except CancelledFromMonitor:
                answers.append((yield read_reply(sock)))
                return "stopped from the monitor"
        return "not cancelled"          # pragma: no cover

    with Kernel(monitor=ANYWHERE) as kernel:
        assert [kernel.run(main()) for _ in range(2)] == ["stopped from the monitor"] * 2
    assert len(answers) == 4
    for answer in answers[0::2]:
        assert answer.startswith("ID"), answer
    for answer in answers[1::2]:
        assert "the program's main task: the program stops" in answer, answer


def test_command_sends_the_signal_it_answers_for():
    """``Monitor.command`` is the whole command: its signal is sent."""
    received = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: received.append(signum))
    try:
        with Kernel(monitor=ANYWHERE) as kernel:
            answer = kernel.monitor.command("signal USR1")
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert answer.startswith("sent SIGUSR1 to the program"), answer
    assert received == [signal.SIGUSR1]


def test_commands_in_capitals_and_signals_extra_words():
    answers = {}

    def main():
        sock = yield open_monitor()
        with sock:
            for line in ("PS", "Help", "signal 0 USR1"):
                answers[line] = yield ask(sock, line)

    run(main(), monitor=ANYWHERE)
    assert answers["PS"].startswith("ID"), answers["PS"]
    assert answers["Help"].startswith("commands:"), answers["Help"]
    assert answers["signal 0 USR1"].startswith(
        "usage: signal SIG, a signal's name or number: USR1, SIGHUP, 15 (kill -l lists "
        "them), not '0 USR1'"), answers["signal 0 USR1"]


def test_a_line_of_exactly_max_line_bytes_is_read():
    def main():
        kernel = yield current_kernel()
        with socket.create_connection(kernel.monitor.address, timeout=10) as sock:
            assert read_all(sock, 1).endswith(PROMPT)
            sock.sendall(b"q" * MAX_LINE + b"\n")
            return read_all(sock, 1).decode()

    answer = run(main(), monitor=ANYWHERE)
    assert answer.startswith("unknown command 'qqq"), answer[:100]


def test_a_second_is_shown_in_seconds():
    assert _duration(0.999) == "999 ms"
    assert _duration(1) == "1.0 s"
    assert _duration(119.9) == "119.9 s"


def test_the_clients_long_help_and_a_host_port_with_a_stray_word(capsys):
    assert monitor.main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: ")
    assert monitor.main(["localhost:5", "6"]) == 2
    err = capsys.readouterr().err
    assert "one address at most" in err and "did you mean" not in err, err
    assert monitor.main(["localhost", "6"]) == 2
    assert "did you mean localhost:6?" in capsys.readouterr().err
