"""Tracing behaviour that mutation testing of trampoline/trace.py found
unpinned: what a person reading a trace or a chart relies on."""

import io
import json
import socket
import textwrap
import zipfile

import pytest

from trampoline import (current, disable_cancellation, ignore_after, join, read, run, sleep,
                        spawn, write)
from trampoline import trace
from trampoline.trace import TextTrace, Timeline


def test_ascii_chart_shows_the_widest_non_ascii_label_whole():
    """The label column is as wide as the widest label: one with a wide
    (CJK) character in it must fit whole, not lose its last character."""

    def 漢字():                 # a task named by two CJK characters
        yield sleep(0)

    def main():
        yield join((yield spawn(漢字())))

    timeline = Timeline()
    run(main(), instruments=[timeline])
    rows = [line for line in timeline.ascii(20).splitlines() if line.startswith("task ")]
    assert rows[1].startswith("task 2 漢字 |"), rows
    assert rows[0].startswith("task 1 main |"), rows


def test_text_trace_shows_each_yield_of_a_reused_sleep_trap():
    """A trap object yielded twice is two requests: each gets its line."""
    out = io.StringIO()

    def main():
        nap = sleep(0.001)
        yield nap
        yield nap

    run(main(), instruments=[TextTrace(out)])
    text = out.getvalue()
    assert text.count("-> sleep(0.001)") == 2, text
    assert text.count("runs: sleep(0.001) is done waiting") == 2, text


def ready_while_a_read_waits(a, b):
    """A task reads ``a`` while main stays ready, 200 steps, polling without
    waiting; then ``b`` sends the byte it reads."""
    def reader():
        return (yield read(a, 10))

    task = yield spawn(reader())
    for _ in range(200):
        yield sleep(0)
    yield write(b, b"x")
    return (yield join(task))


def test_text_trace_says_polls_wait_only_when_nothing_is_ready():
    """With tasks ready the kernel still polls now and then, without
    waiting: that is no "nothing to run; waits for I/O" line."""
    a, b = socket.socketpair()
    out = io.StringIO()

    with a, b:
        assert run(ready_while_a_read_waits(a, b), instruments=[TextTrace(out)]) == b"x"
    polls = [line for line in out.getvalue().splitlines() if "polls:" in line]
    assert all("at most 0.000 s" not in line for line in polls), polls


def test_text_trace_shows_each_yield_of_a_reused_trap_that_never_parks():
    """A trap done at once, yielded again in the same step, is a second
    request: only a parked trap's own second dispatch goes unreported."""
    out = io.StringIO()

    def main():
        who = current()
        first = yield who
        second = yield who
        return first is second

    assert run(main(), instruments=[TextTrace(out)])
    assert out.getvalue().count("-> current()") == 2, out.getvalue()


def test_timeline_keeps_a_spawner_running_until_it_parks():
    """Spawning is no end of the spawner's stretch: it runs on, and then
    waits for its child -- never "ready" in between."""
    ticks = iter(range(1, 1000))

    def child():
        yield sleep(0)

    def main():
        task = yield spawn(child())
        yield join(task)

    timeline = Timeline(clock=lambda: float(next(ticks)))
    run(main(), instruments=[timeline])
    label, slices = timeline.slices()[0]
    assert label == "task 1 main"
    assert [state for _, _, state, _ in slices] == ["-", "#", ".", "#"], slices


def test_ascii_draws_one_column_and_one_row_the_least_it_allows():
    """``width`` and ``rows`` are at least 1: 1 itself is allowed."""

    def main():
        yield join((yield spawn(helper())))

    timeline = Timeline()
    run(main(), instruments=[timeline])
    lines = timeline.ascii(1, rows=1).splitlines()
    assert lines[1].startswith("task 1 main |") and lines[1].endswith("|")
    assert len(lines[1].split("|")[1]) == 1, lines
    assert "1 more task, not drawn (the first 1 are)" in lines[2], lines


@pytest.mark.parametrize("width", [1, 2, 8])
def test_a_chart_narrower_than_its_end_time_keeps_0_and_the_end_apart(width):
    """The header is "0", then the end time at the right edge; a chart too
    narrow for both glued them ("09.00 s": nine seconds?).  One space apart."""
    ticks = iter(range(100))
    timeline = Timeline(clock=lambda: float(next(ticks)))
    run(sleeper(), instruments=[timeline])
    head = timeline.ascii(width).splitlines()[0].split()
    assert head[0] == "0" and head[1:] == timeline.ascii(64).splitlines()[0].split()[1:], head


def sleeper():
    yield sleep(0)


def helper():
    yield sleep(0)


def test_timeline_keeps_a_task_asleep_when_an_alarm_held_back_goes_off():
    """A timeout's alarm that ``disable_cancellation`` holds back wakes
    nobody: the task sleeps on, not "ready" for the rest of its sleep."""

    def main():
        with ignore_after(0.02):
            with disable_cancellation():
                yield sleep(0.2)

    timeline = Timeline()
    run(main(), instruments=[timeline])
    label, slices = timeline.slices()[0]
    ready = sum(end - begin for begin, end, state, _ in slices if state == "-")
    waiting = sum(end - begin for begin, end, state, _ in slices if state == "z")
    assert waiting >= 0.19 and ready < waiting / 2, slices


def test_timeline_json_names_ready_stretches_and_leaves_out_empty_args():
    """A stretch ready to run is category "ready" (not a wait); a slice
    with nothing to add has no "args" at all."""

    def main():
        yield join((yield spawn(helper())))

    timeline = Timeline()
    run(main(), instruments=[timeline])
    slices = [event for event in timeline.events() if event["ph"] == "X"]
    ready = [event for event in slices if event["name"] == "ready"]
    assert ready and {event["cat"] for event in ready} == {"ready"}, ready
    assert all(event.get("args", True) for event in slices), slices
    assert any("args" not in event for event in slices), slices


def test_timeline_write_to_another_path_leaves_its_own_file_alone(tmp_path):
    """``write(path)`` writes there, even when the timeline has a path of
    its own: that file stays as the last run left it."""
    own, other = tmp_path / "own.json", tmp_path / "other.json"
    timeline = Timeline(own)
    run(helper(), instruments=[timeline])
    before = own.read_bytes()
    timeline.write(str(other))
    assert own.read_bytes() == before
    assert json.loads(other.read_text())["traceEvents"] == timeline.events()


def test_timeline_rewrites_a_file_another_program_changed_to_the_same_size(tmp_path):
    """The next run adds its events to the file only if it is as left: a
    file of the same size but other bytes is written whole again."""
    path = tmp_path / "out.json"
    timeline = Timeline(path)
    run(helper(), instruments=[timeline])
    size = path.stat().st_size
    path.write_bytes(b"x" * size)
    run(helper(), instruments=[timeline])
    events = json.loads(path.read_text())["traceEvents"]
    assert events == timeline.events()


def test_cli_keeps_the_scripts_own_exit_status_when_the_timeline_cannot_be_written(
        tmp_path, capsys):
    """A timeline that cannot be written at the end makes the status 1
    only if the script's own was 0: a script that exited with 3 still
    ends with 3."""
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "trace.json"
    script = tmp_path / "removes.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from trampoline import run, sleep
        def main():
            yield sleep(0)
        run(main())
        os.remove(sys.argv[1])
        os.rmdir(os.path.dirname(sys.argv[1]))
        sys.exit(3)
        """))
    assert trace.main(["--timeline", str(path), str(script), str(path)]) == 3
    assert "cannot write the timeline to %s" % path in capsys.readouterr().err


def test_cli_runs_a_zip_file_script_as_python3_does(tmp_path, capsys):
    """``python3 app.zip`` runs the ``__main__.py`` in it; so does the
    command (it is not Python source to compile)."""
    app = tmp_path / "app.zip"
    with zipfile.ZipFile(str(app), "w") as archive:
        archive.writestr("__main__.py", "from trampoline import run, sleep\n"
                                        "def zipped():\n    yield sleep(0)\n"
                                        "print(run(zipped()) is None)\n")
    assert trace.main([str(app)]) == 0
    out, err = capsys.readouterr()
    assert out == "True\n"
    assert "task 1 zipped" in err and "exits: returned None" in err, err


def test_timeline_records_only_polls_that_wait():
    """The kernel's track shows its waits in the poller: a poll that does
    not wait (tasks are ready) is no slice of it."""
    a, b = socket.socketpair()

    timeline = Timeline()
    with a, b:
        assert run(ready_while_a_read_waits(a, b), instruments=[timeline]) == b"x"
    polls = [event for event in timeline.events() if event.get("name") == "poll"]
    assert all(event["args"]["timeout"] > 0 for event in polls), polls


def test_an_empty_trampoline_trace_is_off_even_with_tracing_imported(monkeypatch, capsys):
    """``TRAMPOLINE_TRACE=`` (empty) is off, like ``0`` -- also once
    trampoline.trace has been imported by something else."""
    monkeypatch.setenv("TRAMPOLINE_TRACE", "")
    assert trace.environment_instruments() == []
    run(helper())
    assert capsys.readouterr().err == ""
