"""Smoke test of the benchmark suite (benchmarks/run.py).

Runs the suite on tiny settings (--smoke: a fraction of a second per load)
against trampoline (raw traps, examples/echo_server.py, two workers) and
asyncio-protocols, and checks that it still prints its table with a
trampoline row, the server's CPU per request beside req/s, and no failed
run.  It measures nothing: timing is never asserted, only that every CPU
figure is there and is a sane positive number.
"""

import contextlib
import json
import os
import platform
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")

pytestmark = [
    pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None,
                       reason="no C compiler (cc) to build the benchmark's load client"),
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="the benchmark suite reads /proc and pins CPUs: Linux only"),
]

HEAD = ("| workload | server | req/s | spread | × base | CPU µs/req | user µs | sys µs | × base |")


#: The smoke run's workloads: their keys (in the notes) and titles (in the rows).
TITLES = {"echo-1k": "echo 1 KiB × 100", "echo-c10k": "echo 64 B × 500 conns",
          "http": "HTTP hello, wrk -c100"}
#: ... and in the targets, which name a full run's workloads (10,000 connections).
TARGET_TITLES = dict(TITLES, **{"echo-c10k": "echo 64 B × 10,000 conns"})

#: --smoke's warm-up, longer under PyPy (see smoke_run).
WARMUP = ["--warmup", "1"] if platform.python_implementation() == "PyPy" else []


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    # (In a folder that does not exist yet: see
    # test_the_report_goes_into_a_folder_made_for_it.)
    output = tmp_path_factory.mktemp("bench") / "new" / "deeper" / "RESULTS.md"
    # Under PyPy, --smoke's 0.1 s of warm-up can end before a cold server
    # has answered once on each of echo-c10k's 500 connections: with its CPU
    # shared (two other busy processes on it), asyncio-protocols' round then
    # measured no request at all (its row "–", and the tests below failed
    # on it) in 3 runs of 8.  One second warms the JIT, as --python's
    # longer warm-up does for a full run.
    result = subprocess.run(
        [sys.executable, RUN, "--smoke", *WARMUP,
         "--only", "echo-1k,echo-c10k,http,micro,trampoline,asyncio-protocols,"
                   "trampoline-echo_server,trampoline-2workers,generator-floor",
         "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=150)
    return result, output


def load_rows(text):
    """{(workload, server): the row's cells} from the load table."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and line.count("|") == 17 and not line.startswith("| workload"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[(cells[0], cells[1])] = cells
    return rows


def coarse_rows(text):
    """The (workload title, server) rows whose CPU figure the report calls
    coarse: under five clock ticks in the window, 0.0 for none -- a server
    crowded off its CPU by other processes in --smoke's 0.2 s."""
    return {(TITLES[key], server) for key, server in
            re.findall(r"^- (\S+) / (\S+): CPU figure coarse: ", text, re.M)}


def test_quick_run_prints_a_table_with_trampoline(smoke_run):
    result, output = smoke_run
    text = result.stdout
    assert result.returncode == 0, text
    assert "| workload | server | req/s |" in text
    assert "| echo 1 KiB × 100 | trampoline | " in text
    assert "| echo 64 B × 500 conns | trampoline | " in text
    assert "| spawn+join 2,000 tasks | trampoline | " in text
    assert "FAILED" not in text
    assert output.read_text(encoding="utf-8").startswith("# trampoline benchmark results")


def test_every_server_has_a_sane_cpu_time_per_request_user_and_sys(smoke_run):
    result, output = smoke_run
    assert result.returncode == 0, result.stdout
    text = output.read_text(encoding="utf-8")
    assert HEAD in text
    rows = load_rows(text)
    expected = {("echo 1 KiB × 100", "trampoline"), ("echo 1 KiB × 100", "asyncio-protocols"),
                ("echo 1 KiB × 100", "trampoline-echo_server"),
                ("echo 1 KiB × 100", "trampoline-2workers"),
                ("echo 64 B × 500 conns", "trampoline"), ("echo 64 B × 500 conns", "asyncio-protocols"),
                ("echo 64 B × 500 conns", "trampoline-echo_server"),
                ("HTTP hello, wrk -c100", "trampoline"), ("HTTP hello, wrk -c100", "asyncio-protocols"),
                ("echo 1 KiB × 100", "generator-floor"), ("echo 64 B × 500 conns", "generator-floor"),
                ("HTTP hello, wrk -c100", "generator-floor")}
    assert expected <= set(rows), sorted(rows)
    # A round that failed leaves "–" in its row; its note says why.
    assert "FAILED" not in text, [line for line in text.splitlines() if "FAILED" in line]
    coarse = coarse_rows(text)
    for key, cells in rows.items():
        total, user, system = (float(cells[i]) for i in (5, 6, 7))
        # Python serves no request in under a microsecond of CPU, nor in 10 ms;
        # the two workers' row counts the workers, not the idle supervisor alone.
        # (A server crowded off its CPU by others may use under a clock tick in
        # --smoke's 0.2 s: 0.0 then, and the report says the figure is coarse.)
        assert (0.0 if key in coarse else 1.0) <= total <= 10000.0, (key, cells)
        assert user >= 0 and system >= 0, (key, cells)
        assert abs(user + system - total) <= 0.2, (key, cells)     # one round: they add up
        if key not in coarse and (key[0], "asyncio-protocols") not in coarse:
            assert float(cells[8]) > 0, (key, cells)                # the ratio to asyncio's


def test_the_targets_table_checks_the_cpu_figures(smoke_run):
    result, output = smoke_run
    text = output.read_text(encoding="utf-8")
    checked = re.findall(r"^\| (.*server CPU per request.*?) \| issue 14 \| ([\d.]+ ×|–) \| "
                         r"(yes|\*\*MISS\*\*|not measured) \|$", text, re.M)
    targets = {target for target, _, _ in checked}
    row_titles = {title: key for key, title in TITLES.items()}
    coarse = {TARGET_TITLES[row_titles[title]] for title, _ in coarse_rows(text)}
    for target, measured, holds in checked:
        if measured == "–":         # (a coarse 0.0 to divide by: no ratio)
            assert holds == "not measured" and any(target.startswith(title + ", ")
                                                   for title in coarse), (target, coarse)
    assert "echo 1 KiB × 100, trampoline: server CPU per request ≤ 0.85 × asyncio-protocols" in targets
    assert ("echo 1 KiB × 100, trampoline-echo_server: server CPU per request ≤ 1.00 × "
            "asyncio-protocols") in targets
    assert "HTTP hello, wrk -c100, trampoline: server CPU per request ≤ 0.90 × asyncio-protocols" in targets
    assert len(targets) == 5, checked


def test_the_targets_section_sets_the_generator_floor_beside_the_cpu_targets(smoke_run):
    result, output = smoke_run
    text = output.read_text(encoding="utf-8")
    targets = text[text.index("## Targets"):]
    floors = re.findall(r"^- floor, (.*?): generator-floor's CPU per request is \*\*([\d.]+) ×\*\* "
                        r"asyncio-protocols' .*; the targets: (.*)\.$", targets, re.M)
    coarse = {title for title, _ in coarse_rows(text)}      # (a coarse 0.0: no ratio, or 0)
    assert [workload for workload, _, _ in floors] == [
        title for title in ("echo 1 KiB × 100", "echo 64 B × 500 conns", "HTTP hello, wrk -c100")
        if title not in coarse or title in [workload for workload, _, _ in floors]], floors
    for workload, ratio, bounds in floors:
        assert float(ratio) > 0 or workload in coarse, (workload, ratio)
        assert "trampoline ≤ " in bounds, (workload, bounds)


def test_the_generator_floor_is_measured_beside_the_micro_targets(smoke_run):
    """micro.py's floor_bench runs spawn+join and switches (only those), its
    rows are in the micro table, and the Targets section sets its rate
    beside the micro targets."""
    result, output = smoke_run
    text = output.read_text(encoding="utf-8")
    micro = text[text.index("## Micro benchmarks"):text.index("## Targets")]
    floor_rows = [line for line in micro.splitlines() if "| generator-floor |" in line]
    assert [row.split("|")[1].strip().split()[0] for row in floor_rows] == ["spawn+join", "task"], \
        floor_rows
    for row in floor_rows:
        assert "FAILED" not in row and re.search(r"\| [\d.,]+ k? ?M? ?(tasks|switches)/s \|", row), row
    targets = text[text.index("## Targets"):]
    floors = re.findall(r"^- floor, (spawn\+join|task switch): generator-floor's rate is "
                        r"\*\*([\d.]+) ×\*\* asyncio's .*; the target: trampoline ≥ ([\d.]+) ×\.$",
                        targets, re.M)
    assert [(what, bound) for what, _, bound in floors] == [("spawn+join", "2.50"),
                                                             ("task switch", "5.00")], floors
    assert all(float(ratio) > 0 for _, ratio, _ in floors), floors


# A cold server: it accepts its N connections, then answers nobody for
# DELAY seconds (longer than echoload's warm-up and window, which open only
# once every connection is made), then echoes everything -- within the
# grace period, so that echoload sees no stall, only no request in its window.
COLD_SERVER = """
import socket, sys, threading, time
count, delay = int(sys.argv[1]), float(sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
print("READY %d" % listener.getsockname()[1], flush=True)
conns = [listener.accept()[0] for _ in range(count)]
time.sleep(delay)

def echo(conn):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)

for conn in conns:
    threading.Thread(target=echo, args=(conn,), daemon=True).start()
threading.Event().wait()
"""


# The harness run of the test below, in a process of its own started in
# benchmarks/ (``python3 -c``: the current directory comes first on its
# path), where run.py and its ``harness`` package import as they do when
# run.py runs: one round of echo-1k against trampoline and the cold server
# (the program named by argv[1]; with a second argument, the cold server
# alone); prints the report and run.py's verdict.
COLD_ROUND = """
import json, platform, sys
import run
from harness.plan import WORKLOADS, Server, Settings, build_echoload, default_servers
from harness.report import RunRecord, render
from harness.rounds import run_loads

assert build_echoload() is None
# (Under PyPy the trampoline server warms up as in smoke_run.)
warmup = ["--warmup", "1"] if platform.python_implementation() == "PyPy" else []
args = run.parse_args(["--smoke"] + warmup + ["--only", "echo-1k"])
settings = Settings(args)
workload = next(w for w in WORKLOADS if w.key == "echo-1k")
silent = settings.warmup + settings.seconds + 0.5
cold = Server("cold-echo", None, [str(workload.conns), str(silent)], program=sys.argv[1])
servers = [next(s for s in default_servers() if s.name == "trampoline"), cold][len(sys.argv) - 2:]
record = RunRecord(args=args, settings=settings, command="test", revision="test",
                   load=[workload], servers=servers)
record.results = run_loads(record.load, servers, settings)
print("RESULT " + json.dumps({"title": workload.title, "report": render(record),
                              "failed": run.failed(record)}))
"""


def test_a_round_that_measured_no_request_is_a_failed_round_that_says_why(tmp_path):
    """A round in which the client completed no request in its measured
    window (a cold server that had not answered once by its end) fails, as a
    stall does: its row says FAILED and why, the notes say so, the run
    counts as failed (run.py's exit status 1); the other server's row keeps
    its figures.  (It was a success: a row of "0" and "–", no note, status 0.)"""
    program = tmp_path / "cold_server.py"
    program.write_text(COLD_SERVER, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", COLD_ROUND, str(program)],
                            cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    found = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and len(found) == 1, result.stdout
    outcome = json.loads(found[0][len("RESULT "):])
    text, title = outcome["report"], outcome["title"]
    rows = load_rows(text)
    why = "no request completed in the 0.2 s window of round 1"
    assert rows[(title, "cold-echo")][2] == "**FAILED** (1/1 rounds): " + why, text
    assert "- echo-1k / cold-echo: FAILED: " + why in text.splitlines(), text
    good = rows[(title, "trampoline")]
    assert float(good[2].replace(",", "")) > 0, good
    assert float(good[5]) > 0 or (title, "trampoline") in coarse_rows(text), good
    assert outcome["failed"] is True


def test_a_round_that_measured_no_request_while_others_crowded_the_cpus_is_run_again(tmp_path):
    """The same cold server while two other processes keep both CPUs busy:
    a round that measured nothing on a crowded machine may be a server that
    got no CPU before the window closed, so it runs again (twice), even in
    --smoke, which keeps every other round (under load, --smoke's cold
    servers failed this way now and then); a server that never answers in
    the window still fails, and the note counts the re-runs."""
    program = tmp_path / "cold_server.py"
    program.write_text(COLD_SERVER, encoding="utf-8")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        result = subprocess.run([sys.executable, "-c", COLD_ROUND, str(program), "alone"],
                                cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    finally:
        for each in busy:
            each.kill()
            each.wait()
    again = [line for line in result.stdout.splitlines()
             if " cold-echo " in line and line.endswith(" CPU: again")]
    assert len(again) == 2, result.stdout
    found = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and len(found) == 1, result.stdout
    outcome = json.loads(found[0][len("RESULT "):])
    text, title = outcome["report"], outcome["title"]
    why = "no request completed in the 0.2 s window of round 1"
    assert load_rows(text)[(title, "cold-echo")][2] == "**FAILED** (1/1 rounds): " + why, text
    assert ("- echo-1k / cold-echo: other processes used over 10% of a CPU: 2 round(s) re-run, "
            "0 of the 1 kept still disturbed") in text.splitlines(), text
    assert outcome["failed"] is True


def test_the_instruction_counter_names_an_unknown_server():
    """benchmarks/instructions.py (cachegrind; not run here: it takes
    minutes) refuses a server it does not know, naming it and the known
    ones, before it needs valgrind."""
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"),
         "--only", "trampoline,nosuch-server"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 2           # a usage error, as argparse's
    assert "unknown server(s): nosuch-server" in result.stderr
    assert "asyncio-protocols" in result.stderr and "generator-floor" in result.stderr
    assert "tables: echo, http, conn, micro)" in result.stderr


def test_the_instruction_counter_refuses_a_selection_with_nothing_to_count():
    """--only a server and a table it has no row in (the HTTP example in the
    connection table, which wants an echo server): a usage error saying so,
    not a run that counts nothing."""
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"),
         "--only", "trampoline-http_server,conn"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert ("instructions.py: error: nothing to count: trampoline-http_server has no row in "
            "the table(s) conn") in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
@pytest.mark.parametrize("only, rows", [("micro", ["switch", "spawn"]),
                                        ("trampoline,echo", ["trampoline"])])
def test_the_instruction_counter_reports_a_figure_it_could_not_count(only, rows):
    """A server that dies before its ready line, a micro benchmark that
    fails under cachegrind (here: valgrind refuses an option given in its
    environment): a line naming which and why (the program's last words),
    its row marked failed, the run going on, exit status 1 -- it ended in
    a RuntimeError traceback, losing the tables still to come."""
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"), "--only", only],
        env=dict(os.environ, VALGRIND_OPTS="--no-such-option"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert ": valgrind: Unknown option: --no-such-option" in result.stderr
    if only == "micro":
        assert "micro.py switch trampoline 20000 under cachegrind: exit status 1" in result.stderr
    else:
        assert "trampoline: server exited (status 1) before it was ready" in result.stderr
    for row in rows:
        assert any(line.startswith("| %s " % row) and "failed (above)" in line
                   for line in result.stdout.splitlines()), result.stdout
    assert result.stderr.endswith("figure(s) not counted (their rows say failed)\n")


@pytest.mark.parametrize("server", ["trampoline_server.py", "trampoline_app_server.py"])
def test_a_benchmark_server_run_by_hand_says_it_needs_pythonpath(server, tmp_path):
    """run.py puts its checkout on PYTHONPATH; a trampoline benchmark server
    started by hand without it says so in one line naming the checkout (it
    was a ModuleNotFoundError traceback)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # (-S: no site-packages, where CI's `pip install -e .` puts it on the path)
    result = subprocess.run([sys.executable, "-S", os.path.join(ROOT, "benchmarks", "servers", server)],
                            cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("%s: cannot import trampoline: run it with PYTHONPATH=%s, as run.py "
                             "does\n" % (server, ROOT))


@pytest.fixture(scope="module")
def echoload(tmp_path_factory):
    """benchmarks/echoload.c, built afresh."""
    program = str(tmp_path_factory.mktemp("echoload") / "echoload")
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", program,
                    os.path.join(ROOT, "benchmarks", "echoload.c")], check=True, timeout=60)
    return program


def test_echoload_sequential_serves_short_lived_connections_one_at_a_time(echoload):
    """echoload --sequential (instructions.py's connection table): COUNT
    connections to examples/echo_server.py, each one echo and a close."""
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "echo_server.py"),
                               "--port", "0"], stdout=subprocess.PIPE, universal_newlines=True)
    try:
        line = server.stdout.readline()
        port = re.search(r"listening on 127\.0\.0\.1:(\d+)$", line.strip()).group(1)
        result = subprocess.run([echoload, "--sequential", "127.0.0.1", port, "300", "64"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert result.returncode == 0, result.stderr
    assert re.match(r"connections=300 errors=0 rate=[\d.]+ seconds=[\d.]+\n$", result.stdout), \
        result.stdout
    assert result.stderr == ""


def test_echoload_sequential_checks_every_byte_of_each_echo(echoload):
    """A server that echoes the third connection's message with one byte
    changed: echoload --sequential stops there, names the connection, and
    exits 1 with the two good connections counted."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)                     # (no thread left in accept should echoload stop early)

    def serve():
        for number in range(3):
            client, _ = listener.accept()
            with client:
                data = b""
                while len(data) < 64:
                    data += client.recv(64 - len(data))
                if number == 2:
                    data = data[:10] + bytes([data[10] ^ 1]) + data[11:]
                client.sendall(data)
                try:
                    while client.recv(64):      # till echoload's end of stream
                        pass
                except ConnectionResetError:    # (or its close after a bad echo)
                    pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        result = subprocess.run([echoload, "--sequential", "127.0.0.1",
                                 str(listener.getsockname()[1]), "5", "64"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=60)
    finally:
        thread.join(30)
        listener.close()
    assert result.returncode == 1
    assert result.stdout.startswith("connections=2 errors=1 "), result.stdout
    assert result.stderr == "echoload: connection 2: echoed bytes differ from those sent\n"


@pytest.mark.parametrize("args, message", [
    (["--warmup", "-1"], "--warmup must be a number of seconds >= 0, got -1.0"),
    (["--warmup", "nan"], "--warmup must be a number of seconds >= 0, got nan"),
    (["--seconds", "nan"], "--seconds must be a positive number, got nan"),
    (["--seconds", "0"], "--seconds must be a positive number, got 0.0"),
])
def test_the_suite_refuses_bad_durations(args, message):
    """A negative or NaN --warmup, a NaN --seconds: usage errors (they ran,
    and printed 0 req/s, or a failed round, with exit status 0 or 1)."""
    result = subprocess.run([sys.executable, RUN, "--smoke", "--only", "micro"] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert "run.py: error: %s" % message in result.stderr
    assert result.stdout == ""


def test_the_suite_says_when_it_measures_nothing(tmp_path):
    """--only a server that is skipped (uvloop not installed) and a load:
    nothing to measure -- one line saying why, exit status 1 and no report
    (it wrote a report of empty tables and exited 0)."""
    try:
        import uvloop  # noqa: F401
        pytest.skip("uvloop is installed")
    except ImportError:
        pass
    output = tmp_path / "RESULTS.md"
    result = subprocess.run([sys.executable, RUN, "--smoke", "--only", "uvloop-protocols,echo-1k",
                             "--output", str(output)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ("run.py: nothing measured: every chosen server was skipped "
                             "(uvloop-protocols); no report written\n")
    assert "skipping uvloop-protocols: uvloop is not" in result.stdout
    assert not output.exists()


@pytest.mark.parametrize("args", [["spawn", "trampoline", "0"], ["switch", "asyncio", "-1"],
                                  ["parked", "trampoline", "0"]])
def test_micro_refuses_a_count_below_one(args):
    """micro.py N < 1: a usage error (it printed a rate of 0 or a negative
    one, or a ZeroDivisionError traceback)."""
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "micro.py")] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert "micro.py: error: n must be at least 1, got %s" % args[2] in result.stderr
    assert result.stdout == ""


def test_micro_says_uvloop_is_not_available():
    """micro.py's uvloop without uvloop installed: the JSON line run.py reads
    for what is not available (it was a ModuleNotFoundError traceback)."""
    try:
        import uvloop  # noqa: F401
        pytest.skip("uvloop is installed")
    except ImportError:
        pass
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "micro.py"),
                             "spawn", "uvloop", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"error": "not available: uvloop is not installed"}\n'
    assert result.stderr == ""


@pytest.mark.parametrize("option", ["--size", "--conns", "--conn-n", "--micro-n"])
def test_the_instruction_counter_refuses_a_count_below_one(option):
    """instructions.py --micro-n 0 ran cachegrind for minutes, then died of a
    ZeroDivisionError; every count below 1 is now a usage error."""
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"),
         "--only", "micro", option, "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 2
    assert "instructions.py: error: %s must be at least 1, got 0" % option in result.stderr


@pytest.mark.parametrize("script", ["run.py", "instructions.py"])
@pytest.mark.parametrize("where", ["a folder", "under a file", "in /proc"])
def test_an_output_that_cannot_be_written_is_refused_before_the_run(tmp_path, script, where):
    """--output a folder, a path under a file, a file /proc will not make: a
    usage error naming it, before anything runs (run.py measured for up to
    15 minutes, instructions.py counted for an hour, then each died of a
    traceback in open(), the figures lost)."""
    (tmp_path / "plain").write_text("", encoding="utf-8")
    output, why = {"a folder": (str(tmp_path), "%s is a directory" % tmp_path),
                   "under a file": (str(tmp_path / "plain" / "RESULTS.md"),
                                    "%s is not a directory" % (tmp_path / "plain")),
                   "in /proc": ("/proc/RESULTS.md", "cannot write /proc/RESULTS.md: ")}[where]
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", script),
                             "--only", "micro", "--output", output]
                            + (["--smoke"] if script == "run.py" else []),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "%s: error: --output: %s" % (script, why) in result.stderr
    assert result.stdout == ""


def test_the_report_goes_into_a_folder_made_for_it(smoke_run):
    """--output in a folder that does not exist yet is fine: the check
    before the run leaves nothing behind, and the report makes the folder.
    (smoke_run's --output is such a folder: a run of its own cost 3 s.)"""
    result, output = smoke_run
    assert output.parent.name == "deeper" and output.parent.parent.name == "new"
    assert result.returncode == 0, result.stdout
    assert output.read_text(encoding="utf-8").startswith("# trampoline benchmark results")


@pytest.mark.parametrize("script", ["run.py", "instructions.py"])
@pytest.mark.parametrize("only", ["", ",", " , "])
def test_an_empty_only_is_a_usage_error(script, only):
    """--only "" (an empty shell variable) or --only , names nothing: a
    usage error.  It meant no --only at all: run.py started the full run
    (~15 min) and overwrote benchmarks/RESULTS.md, instructions.py counted
    every table (an hour)."""
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", script),
                             "--only", only], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "%s: error: --only: no name given" % script in result.stderr
    assert "trampoline" in result.stderr.split("no name given")[1]      # what to choose from
    assert result.stdout == ""


def test_two_runs_at_once_from_one_checkout_both_finish(tmp_path):
    """Two runs of the suite at once from one checkout (a second terminal,
    two test runs): each keeps its servers' logs apart -- both wrote the
    same file, and one died of a FileNotFoundError traceback as the other
    deleted it, every time."""
    runs = [subprocess.Popen([sys.executable, RUN, "--smoke", *WARMUP,
                              "--only", "echo-1k,trampoline",
                              "--output", str(tmp_path / ("%d.md" % n))],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True)
            for n in range(2)]
    for each in runs:
        output, _ = each.communicate(timeout=60)
        assert each.returncode == 0 and "Traceback" not in output, output


ECHOLOAD = os.path.join(ROOT, "benchmarks", "build", "echoload")


def build_over_a_broken_echoload(**env):
    """Put a binary that does not run where echoload goes, then build it
    (``build_echoload``, with ``env`` added to the environment): check that
    the suite's echoload runs after that."""
    os.makedirs(os.path.dirname(ECHOLOAD), exist_ok=True)
    with open(ECHOLOAD, "wb") as broken:
        broken.write(b"\x7fELF not really\n")
    os.chmod(ECHOLOAD, 0o755)
    result = subprocess.run(
        [sys.executable, "-c", "from harness.plan import build_echoload; print(build_echoload())"],
        cwd=os.path.join(ROOT, "benchmarks"), env=dict(os.environ, **env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.stdout == "None\n", result.stdout + result.stderr
    probe = subprocess.run([ECHOLOAD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=10)
    assert probe.returncode == 2 and probe.stderr.startswith("usage: echoload "), probe.stderr


def test_a_broken_echoload_binary_is_built_again():
    """benchmarks/build/echoload newer than its source but not a program
    that runs here (copied from another machine, a build cut short): the
    suite builds it again.  It ran it, and died of an OSError traceback
    ("Exec format error") in the first echo round."""
    build_over_a_broken_echoload()


def test_echoload_is_built_under_a_name_of_its_own_then_renamed_into_place(tmp_path):
    """Another run (a second checkout's suite, a benchmark by hand) may
    start echoload while this one builds it: the compiler writes another
    file, renamed into place when whole, so that run finds the old binary
    or the new one -- never a half-written file ("Exec format error")."""
    seen = tmp_path / "cc-args"
    compiler = tmp_path / "cc"
    compiler.write_text('#!/bin/sh\necho "$@" > %s\nexec %s "$@"\n'
                        % (seen, shutil.which(os.environ.get("CC", "cc"))))
    compiler.chmod(0o755)
    build_over_a_broken_echoload(CC=str(compiler))
    args = seen.read_text().split()
    written = args[args.index("-o") + 1]
    assert written != ECHOLOAD and os.path.dirname(written) == os.path.dirname(ECHOLOAD)
    assert not os.path.exists(written)                  # renamed


# A report rendered from made-up rounds (nothing runs), in a process started
# in benchmarks/ as COLD_ROUND is: echo-1k for the servers named in argv[1:]
# (NAME, or NAME:RATE; the rate is 1,000 requests/s unless given), no HTTP workload.
RENDER = """
import sys
import run
from harness.loads import Outcome
from harness.plan import WORKLOADS, Settings, default_servers
from harness.report import RunRecord, render
from harness.rounds import Cell

rates = dict((arg.split(":") + ["1000"])[:2] for arg in sys.argv[1:])
args = run.parse_args(["--smoke", "--only", "echo-1k," + ",".join(rates)])
workload = next(w for w in WORKLOADS if w.key == "echo-1k")
servers = [s for s in default_servers() if s.name in rates]
figures = dict(cpu_user=1e-6, cpu_sys=2e-6, p50=1e-3, p99=2e-3, rss_peak=2**24,
               rss_idle=2**23, requests=200, window=0.2)
results = {(workload.key, s.name): Cell([Outcome(rate=float(rates[s.name]), **figures)],
                                        workload.conns) for s in servers}
print(render(RunRecord(args=args, settings=Settings(args), command="test", revision="test",
                       load=[workload], servers=servers, results=results)))
"""


# The server's CPU over a window, charged to its requests (nothing runs):
# argv[1] is the CPU seconds the server used, user and sys alike.
CHARGE = """
import sys
from harness.loads import Outcome, Window

used = float(sys.argv[1])
window = Window(pid=0)
window.start, window.end, window.opened, window.closed = (1.0, 2.0), (1.0 + used, 2.0 + used), 0, 2
outcome = window.charge(Outcome(), 100, 2)
print(outcome.cpu_user, outcome.cpu_sys, outcome.notes)
"""


@pytest.mark.parametrize("used, coarse", [(0.0, True), (0.02, True), (0.03, False), (1.0, False)])
def test_a_cpu_figure_under_a_few_clock_ticks_is_noted_as_coarse(used, coarse):
    """/proc counts CPU time in clock ticks (10 ms): a server that used under
    five in its window (crowded off its CPU by others, in --smoke's 0.2 s)
    has a figure one tick either way changes by a fifth or more -- or 0.0
    for none.  The figure stays, and the report notes it as coarse; the
    sanity test above then allows 0.0 for that row only."""
    result = subprocess.run([sys.executable, "-c", CHARGE, str(used)],
                            cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    user, system, notes = result.stdout.split(" ", 2)
    assert (float(user), float(system)) == pytest.approx((used / 100, used / 100))
    assert ("CPU figure coarse: the server used under 5 clock ticks of CPU in the measured "
            "window" in notes) is coarse, notes


@pytest.mark.parametrize("servers, scaling", [(["trampoline"], False),
                                              (["trampoline", "trampoline-2workers"], True)])
def test_the_report_explains_the_workers_row_only_when_it_is_there(servers, scaling):
    """The section on scaling over N cores (scaling.md: "The row
    `trampoline-2workers` ...  In the run above it served fewer requests")
    is in the report when that row is; it was in every report with echo-1k,
    speaking of a row that was not there.  Likewise the header names wrk
    only when the HTTP workload ran."""
    result = subprocess.run([sys.executable, "-c", RENDER] + servers,
                            cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "| echo 1 KiB × 100 | trampoline | 1,000 |" in text
    assert ("## Scaling over N cores" in text) is scaling
    assert ("The row `trampoline-2workers`" in text) is scaling
    assert ("| echo 1 KiB × 100 | trampoline-2workers | 1,000 |" in text) is scaling
    assert "- HTTP client:" not in text


@pytest.mark.parametrize("rate, says", [(1250, "more requests than one pinned process (1.25 ×)"),
                                         (800, "fewer requests than one pinned process (0.80 ×)")])
def test_the_scaling_section_says_what_this_run_measured(rate, says):
    """scaling.md said "In the run above it served fewer requests than one
    pinned process" in every report, whatever the workers row served; it
    now says what this run's rows measured."""
    result = subprocess.run([sys.executable, "-c", RENDER, "trampoline",
                             "trampoline-2workers:%d" % rate],
                            cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "In the run above it served %s." % says in text, result.stdout
    assert "{measured}" not in text


def _ours_running():
    """The command lines of processes running this checkout's benchmark
    servers or load client -- once any found has had 10 s to end (one tied
    to a run.py that has just died may not have received its SIGKILL yet)."""
    for pid, _ in _ours():
        try:
            with closing_fd(os.pidfd_open(pid)) as pidfd:   # (Python 3.9+, Linux 5.3+)
                select.select([pidfd], [], [], 10)
        except AttributeError:              # no pidfd here (3.8): look, up to 10 s
            _until_gone(pid, 10)
        except OSError:                     # gone already
            pass
    return [line for _, line in _ours()]


def _until_gone(pid, seconds):
    """Wait until process ``pid`` has ended (gone, or a zombie), at most
    ``seconds``: without a pidfd there is nothing to wait on but its
    /proc entry, looked at every 10 ms."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except (OSError, IndexError):
            return
        time.sleep(0.01)


@contextlib.contextmanager
def closing_fd(fd):
    try:
        yield fd
    finally:
        os.close(fd)


def _ours():
    """(pid, command line) of this checkout's benchmark servers and client."""
    found = []
    marks = [os.path.join(ROOT, "benchmarks", "servers"), os.path.join(ROOT, "benchmarks", "build")]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as cmdline:
                line = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(mark in line for mark in marks):
            found.append((int(pid), line))
    return found


def interrupted(command, ready):
    """Run ``command`` (SIGINT at its default action), read its output until
    a line for which ``ready(line)`` holds, then send it SIGINT, as Ctrl-C
    would: (its status, its stderr)."""
    import signal
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if ready(line):
                break
        assert lines and ready(lines[-1]), "".join(lines)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def test_ctrl_c_ends_the_suite_with_a_line_not_a_traceback():
    """Ctrl-C (SIGINT) in the middle of a round: run.py stops the server and
    the client, says it was interrupted and wrote no report, and ends killed
    by SIGINT as python3 does -- no KeyboardInterrupt traceback through the
    harness's frames."""
    import signal
    status, err = interrupted(                  # as the first round ends, the second begins
        [sys.executable, RUN, "--smoke", "--seconds", "1",     # (it has a second to come)
         "--only", "echo-1k,trampoline,asyncio-protocols"], lambda line: " round 1/1 " in line)
    assert status == -signal.SIGINT, err
    assert "Traceback" not in err, err
    assert err.strip() == "run.py: interrupted (Ctrl-C): no report written", err
    assert _ours_running() == []


# run.py's and instructions.py's signal handlers, in a process of its own
# started in benchmarks/; then a fork, as ``spawn`` makes one, and a signal
# raised in the child before it could exec.
FORKED_SIGNAL = """
import os, signal, sys
from harness.processes import handle_signals

handle_signals()
child = os.fork()
if child == 0:
    os.kill(os.getpid(), int(sys.argv[1]))
    print("the child went on", flush=True)
    os._exit(0)
_, status = os.waitpid(child, 0)
print("child status %d" % status, flush=True)
try:
    os.kill(os.getpid(), int(sys.argv[1]))
except KeyboardInterrupt:
    print("the suite: KeyboardInterrupt", flush=True)
"""


@pytest.mark.parametrize("signum, suite", [("SIGINT", "the suite: KeyboardInterrupt\n"),
                                           ("SIGTERM", "")])
def test_a_signal_that_reaches_a_forked_child_before_its_exec_acts_in_the_suite_only(signum, suite):
    """run.py's Ctrl-C, SIGTERM and SIGHUP handlers act in the suite's own
    process only: a server's child, forked just as the signal came, runs
    Python before its exec (``spawn``'s preexec_fn), and on PyPy ran the
    pending handler there -- "Exception ignored in: fork hook ...
    KeyboardInterrupt" under run.py's one line (seen in CI).  Here the child
    gets the signal itself: it goes on, silent; the suite still stops."""
    import signal
    number = int(getattr(signal, signum))
    done = subprocess.run([sys.executable, "-c", FORKED_SIGNAL, str(number)],
                          cwd=os.path.join(ROOT, "benchmarks"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert done.stderr == "", done.stderr
    assert done.stdout == "the child went on\nchild status 0\n" + suite, done.stdout
    assert done.returncode == (0 if signum == "SIGINT" else 128 + number)


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_ctrl_c_ends_the_instruction_counter_with_a_line_not_a_traceback():
    """The same for instructions.py, interrupted while cachegrind runs the
    first micro benchmark."""
    import signal
    status, err = interrupted(                  # the table's head: the counting begins
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"), "--only", "micro",
         "--micro-n", "10"], lambda line: line.startswith("| micro benchmark |"))
    assert status == -signal.SIGINT, err
    assert err.strip() == ("instructions.py: interrupted (Ctrl-C): no table finished since "
                           "the last one printed"), err


def test_micro_says_which_trampoline_it_measures(tmp_path):
    """``PYTHONPATH=CHECKOUT python3 benchmarks/micro.py ...`` (run.py's way,
    and benchmarks/contextvars.md's) measures that checkout's trampoline,
    from any folder.  With none on the path it says how to run it (it died
    of ModuleNotFoundError); with another one (an installed package, another
    tree) it measures that one and says so, naming both."""
    micro = [sys.executable, os.path.join(ROOT, "benchmarks", "micro.py"), "spawn", "trampoline",
             "100"]

    def run_micro(pythonpath, isolated=False):
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if pythonpath is not None:
            env["PYTHONPATH"] = pythonpath
        command = micro[:1] + ["-S"] + micro[1:] if isolated else micro    # -S: no site-packages
        return subprocess.run(command, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=60)

    ours = run_micro(ROOT)
    assert ours.returncode == 0 and ours.stderr == "", ours.stderr
    assert json.loads(ours.stdout)["unit"] == "tasks/s"

    none = run_micro(None, isolated=True)       # (an editable install is in site-packages)
    assert none.returncode == 1 and none.stdout == ""
    assert none.stderr.startswith("micro.py: cannot import trampoline ("), none.stderr
    assert none.stderr.rstrip().endswith("run it with PYTHONPATH=%s, as run.py does" % ROOT)

    other = tmp_path / "other"
    shutil.copytree(os.path.join(ROOT, "trampoline"), str(other / "trampoline"))
    theirs = run_micro(str(other))
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stderr == ("micro.py: measuring the trampoline in %s, not this checkout's "
                             "(PYTHONPATH=%s measures that)\n" % (other, ROOT)), theirs.stderr
    assert json.loads(theirs.stdout)["unit"] == "tasks/s"


@pytest.mark.parametrize("python, message", [
    ("/bin/false", "--python: /bin/false does not run as a Python interpreter"),
    ("/bin/true", "--python: /bin/true does not run as a Python interpreter"),
    (os.path.join(ROOT, "README.rst"), "--python: %s not found (or not executable)"
     % os.path.join(ROOT, "README.rst")),
])
def test_the_suite_refuses_a_python_that_is_not_one(python, message):
    """--python naming a program that is not a Python interpreter: a usage
    error.  The run went on without it -- its rows skipped ("trampoline is
    not importable under /bin/false") or FAILED ("server exited (status 0)
    before it was ready") -- and judged the targets for "trampoline [false]"."""
    result = subprocess.run([sys.executable, RUN, "--smoke", "--only", "micro",
                             "--python", python], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "run.py: error: %s" % message in result.stderr
    assert result.stdout == ""


def test_the_help_names_the_files_the_report_goes_to():
    """--output's help names the default files as run.py picks them (it said
    "RESULTS-<interpreter>.md" for --python, which writes
    RESULTS-pypy3.9.16.md, and "under benchmarks/build/" for the others)."""
    env = dict(os.environ, COLUMNS="1000")     # (argparse wraps at hyphens too)
    result = subprocess.run([sys.executable, RUN, "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name in ("benchmarks/RESULTS.md", "benchmarks/RESULTS-<implementation><version>.md",
                 "e.g. RESULTS-pypy3.9.16.md", "benchmarks/build/RESULTS-quick.md",
                 "benchmarks/build/RESULTS-partial.md"):
        assert name in text, text


@pytest.mark.skipif(shutil.which("valgrind") is None or not hasattr(os, "pidfd_open"),
                    reason="valgrind is not installed, or no os.pidfd_open (Python < 3.9)")
def test_the_instruction_counter_takes_its_micro_run_with_it_when_it_dies():
    """instructions.py killed (SIGKILL, a closed terminal, a timeout) while
    cachegrind runs a micro benchmark: that run dies with it, as its servers
    do.  It ran on, orphaned, for as long as it took (minutes at the
    default --micro-n)."""
    import select
    import signal
    import time
    micro = os.path.join(ROOT, "benchmarks", "micro.py")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "benchmarks", "instructions.py"), "--only", "micro",
         "--micro-n", "2000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    try:
        assert proc.stdout.readline().startswith("| micro benchmark |")
        deadline, found = time.monotonic() + 30, []
        while not found and time.monotonic() < deadline:    # (cachegrind starting)
            found = [int(pid) for pid in filter(str.isdigit, os.listdir("/proc"))
                     if _cmdline(pid).endswith(" %s switch trampoline 2000000" % micro)]
        assert found, "no cachegrind run of micro.py"
        pidfd = os.pidfd_open(found[0])
    finally:
        proc.kill()
        proc.communicate()
    try:
        readable, _, _ = select.select([pidfd], [], [], 20)     # readable: it has ended
        assert readable, "cachegrind's micro.py still running: " + _cmdline(str(found[0]))
    finally:
        os.close(pidfd)
        if not readable:
            os.kill(found[0], signal.SIGKILL)


def _cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def test_every_function_of_the_harness_reads_on_its_own():
    """Issue 14: the suite is split so that each part reads on its own, no
    function over about 60 lines (micro.py's three benchmark functions were
    74, 75 and 89: the idle servers and the floor kernel are their own now)."""
    import ast

    long = []
    for folder in ("benchmarks", "benchmarks/harness", "benchmarks/servers"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py"):
                path = os.path.join(ROOT, folder, name)
                with open(path, encoding="utf-8") as source:
                    tree = ast.parse(source.read())
                long += ["%s/%s: %s, %d lines" % (folder, name, node.name,
                                                  node.end_lineno - node.lineno + 1)
                         for node in ast.walk(tree)
                         if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                         and node.end_lineno - node.lineno + 1 > 60]
    assert not long, "\n".join(long)
