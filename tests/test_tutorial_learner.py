"""What a learner reads about the kernel's insides is what the code does:
README's "How it works" and "Seeing it work", and the tutorial's exercises,
checked against trampoline's own constants and the solutions' code, so
that a number or a name given there cannot go stale.
"""

import ast
import os
import re
import subprocess
import sys

import trampoline.descriptors
import trampoline.kernel
from trampoline import Barrier, Lock, cancel, join, run, sleep, spawn

from net_helpers import ServerThread, echo
from task_helpers import parked
from trampoline.streams import tcp_server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXERCISES = os.path.join(ROOT, "docs", "steps", "exercises")


def readme_section(title):
    with open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n%s\n" % title)
    end = re.search(r"\n[^\n]+\n-{4,}\n", text[start + len(title) + 2:])
    return re.sub(r"\s+", " ", text[start:start + len(title) + 2 + end.start()])


def test_how_it_works_gives_the_kernels_own_numbers():
    """"polls only every eighth turn" outlived POLL_EVERY's change to 64
    task steps: each number the section gives is the kernel's."""
    text = readme_section("How it works")
    assert "After %d traps in a row a task" % trampoline.kernel.BUDGET in text
    assert "polls only once %d task steps" % trampoline.kernel.POLL_EVERY in text
    assert "turn" not in text.split("polls only", 1)[1].split(";", 1)[0]
    assert trampoline.descriptors.SWEEP_INTERVAL == 1.0
    assert "at most a second while it watches descriptors" in text


def tutorial_sections():
    with open(os.path.join(ROOT, "docs", "tutorial.rst"), encoding="utf-8") as f:
        text = f.read()
    return re.split(r"\n(?=Step \d+: [^\n]+\n=+\n)", text)[1:]


def asked_to_define(text):
    """The names an exercise asks for: "write ``gather``", "add a trap
    ``ready_count()``", "build an ``Event``", "add ``first()``"."""
    text = re.sub(r"\s+", " ", text)
    return re.findall(r"\b(?:[Ww]rite|[Aa]dd|[Bb]uild)(?: an?(?: \w+)?)? ``(\w+)", text)


def defined_names(path):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_an_exercises_solution_defines_what_it_asks_for():
    """Exercise 6 asked for ``gather(*coros)`` and its solution had no
    gather: the loop sat in main.  Whatever the tutorial's exercise or the
    solution's docstring asks the reader to write, add or build, the
    solution defines, by that name."""
    checked = 0
    for section in tutorial_sections():
        n = int(re.match(r"Step (\d+):", section).group(1))
        exercise = section.split("**Exercise**", 1)[1]
        solution = re.search(r"``(docs/steps/exercises/[\w.]+)``", exercise).group(1)
        path = os.path.join(ROOT, solution)
        with open(path, encoding="utf-8") as f:
            title = ast.get_docstring(ast.parse(f.read())).split("\n", 1)[0]
        for name in asked_to_define(exercise) + asked_to_define(title):
            assert name in defined_names(path), (
                "step %d's exercise asks for %s; %s defines no %s"
                % (n, name, os.path.relpath(path, ROOT), name))
            checked += 1
    assert checked >= 8, "only %d names found: has the tutorial's form changed?" % checked


def step_nine_texts():
    """Step 9's section of the tutorial and step9.py's docstring, one line each."""
    section = [s for s in tutorial_sections() if s.startswith("Step 9:")][0]
    with open(os.path.join(ROOT, "docs", "steps", "step9.py"), encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read()))
    return [re.sub(r"\s+", " ", text) for text in (section, doc)]


def handed_over_then_cancelled(primitive):
    """b is woken by ``primitive`` (handed the lock; its barrier round
    complete) and cancelled before it runs: what b and c then see."""
    seen = []

    def waiter(name, wait):
        try:
            got = yield wait()
            seen.append((name, "woken", got))
            yield sleep(0)
            seen.append((name, "ran on"))
        except BaseException as error:
            seen.append((name, type(error).__name__))
            raise

    def main():
        if primitive == "lock":
            lock = Lock()
            yield lock.acquire()
            b = yield spawn(waiter("b", lock.acquire))
            c = yield spawn(waiter("c", lock.acquire))
            yield parked(b, c)
            lock.release()                  # handed to b
        else:
            barrier = Barrier(2)
            b = yield spawn(waiter("b", barrier.wait))
            c = None
            yield parked(b)
            yield barrier.wait()            # the round is complete: b is woken
        yield cancel(b)
        if c is not None:
            yield join(c)
        return seen

    return run(main())


def test_step_nine_says_what_the_kernel_keeps_for_a_cancelled_task():
    """Step 9 said the real kernel lets a task keep "a lock handed over"
    and holds its Cancelled for later; a lock goes on to the next waiter
    and the Cancelled comes at once (step 15's rule, WaitQueue's).  Only a
    wake-up that must be kept -- a Barrier's round -- is, as it says now."""
    lock = handed_over_then_cancelled("lock")
    assert [event[:2] for event in lock] == [("b", "Cancelled"), ("c", "woken"), ("c", "ran on")]
    barrier = handed_over_then_cancelled("barrier")
    assert barrier == [("b", "woken", 0), ("b", "Cancelled")], barrier
    for text in step_nine_texts():
        assert "a lock handed over goes on to the next waiter" in text
        assert "``trampoline.sync.Barrier``'s round" in text
        assert "``trampoline.task.Task._pending``" in text


def test_what_exercise_3_quotes_from_debug_mode_is_what_it_says(caplog):
    """Exercise 3 quoted debug mode as saying "use run_in_thread", which it
    never says.  A task blocked in time.sleep under debug mode: every
    phrase the exercise quotes from debug mode is in what it logs."""
    import time

    with open(os.path.join(EXERCISES, "step3_blocked.py"), encoding="utf-8") as f:
        doc = re.sub(r"\s+", " ", ast.get_docstring(ast.parse(f.read())))
    quoted = re.findall(r'"([^"]+)"', doc.split("debug mode", 1)[1])
    assert quoted, "exercise 3 quotes nothing from debug mode"

    def blocker():
        time.sleep(0.15)                # the blocking call under test, not a wait
        yield sleep(0)

    with caplog.at_level("INFO", logger="trampoline"):
        run(blocker(), debug=True)
    logged = re.sub(r"\s+", " ", caplog.text)
    assert "time.sleep(0.15)" in logged
    for phrase in quoted:
        assert phrase in logged, "debug mode does not say %r:\n%s" % (phrase, caplog.text)


def run_the_tutorials_trace(port, **env):
    """The tutorial's ``python3 -m trampoline.trace --ascii ...`` command,
    as the page gives it, against an echo server on ``port``: (its section,
    its stdout, its stderr).  With TRAMPOLINE_TRACE in ``env``, the script
    alone, which then writes the text trace."""
    section = [s for s in re.split(r"\n(?=[^\n]+\n=+\n)", tutorial_text())
               if s.startswith("Seeing it run")][0]
    command = re.search(r"\$ (python3 -m trampoline\.trace --ascii [^\n]+)", section).group(1)
    args = command.split()[1:]
    args[args.index("--port") + 1] = str(port)
    if "TRAMPOLINE_TRACE" in env:
        args = args[args.index("--ascii") + 1:]
    environ = dict(os.environ, PYTHONPATH=ROOT, **env)
    for name in ("TRAMPOLINE_TRACE", "TRAMPOLINE_DEBUG", "TRAMPOLINE_MONITOR", "COLUMNS"):
        if name not in env:
            environ.pop(name, None)
    done = subprocess.run([sys.executable] + args, cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return section, done.stdout, done.stderr


def tutorial_text():
    with open(os.path.join(ROOT, "docs", "tutorial.rst"), encoding="utf-8") as f:
        return f.read()


def test_the_tutorials_timeline_is_what_its_command_draws():
    """The tutorial's ASCII timeline, and what it says of it, against its
    command run here: the same summary, rows and legend; load waits in
    join; the clients wait their turn, then for a connection and replies;
    and client 2's long first step is the address lookup (getaddrinfo),
    the socket and the start of the connect -- it said only the last two."""
    server = ServerThread(lambda ready: tcp_server("127.0.0.1", 0, echo, ready=ready))
    try:
        section, out, err = run_the_tutorials_trace(server.port)
        _, _, trace = run_the_tutorials_trace(server.port, TRAMPOLINE_TRACE="1")
    finally:
        server.stop()
    shown = [line[4:] for line in section.split("\n") if line.startswith("    ")]
    printed = (out + err).splitlines()
    summary = r"in \d+\.\d\d s"
    assert re.sub(summary, "", printed[0]) == re.sub(summary, "", shown[1])
    assert printed[-1] == shown[-1]                         # the legend
    labels = [row.split("|")[0] for row in printed[2:-1]]
    assert labels == [row.split("|")[0] for row in shown[3:-1]]
    rows = {row.split("|")[0].split()[1]: row.split("|")[1] for row in printed[2:-1]}
    assert "." in rows["1"]                 # load waits in join (the rest depends on timing)
    # Client 2's first step, in the text trace: the lookup, then the connect.
    first = trace.split("task 2 client                runs", 1)[1].split(" runs", 1)[0]
    looked_up_then_connected = r"-> call getaddrinfo\(\)\n(.*\n)*.*task 2 client +-> connect\(fd="
    assert re.search(looked_up_then_connected, first), first
    text = re.sub(r"\s+", " ", section)
    assert ("Client 2's first step is long -- it looks the address up (the process's first "
            "``getaddrinfo``") in text


def test_exercise_12_warns_that_the_forgetful_kernel_never_ends():
    """Exercise 12 said to skip the release in exit and count; done so,
    step12.py spins for ever, printing nothing.  The kernel it makes is
    left, once every task has ended, with sockets watched and nothing
    ready, sleeping or waiting -- step 10's loop goes on, and wait_for_io
    changes nothing -- and the exercise says so."""
    import socket

    sys.path[:0] = [os.path.join(ROOT, "docs", "steps"), EXERCISES]
    try:
        import step12
        import step12_forget
    finally:
        del sys.path[:2]
    kernel = step12_forget.Forgetful()
    left, right = socket.socketpair()
    try:
        for sock in (left, right):
            sock.setblocking(False)
        kernel.run(step12.gather(step12, step12.pinger(step12, left, 3),
                                 step12.ponger(step12, right, 3)))
        assert not (kernel.ready or kernel.sleeping or kernel.io_waiters)
        assert len(kernel.selector.get_map()) == 2          # step 10's run() goes on...
        kernel.wait_for_io()
        assert not kernel.ready and len(kernel.selector.get_map()) == 2     # ...for ever
    finally:
        kernel.selector.close()
        left.close()
        right.close()
    section = [s for s in tutorial_sections() if s.startswith("Step 12:")][0]
    exercise = re.sub(r"\s+", " ", section.split("**Exercise**", 1)[1])
    assert "the demo itself then never ends -- it spins, printing nothing" in exercise


def test_no_shown_output_counts_one_of_a_plural():
    """Exercise 2 printed "main: 1 tasks waiting for their turn".  No
    output the page or a solution's docstring shows says "1 <plural>"."""
    shown = []
    for section in tutorial_sections():
        shown += re.findall(r"\.\. code-block:: text\n\n((?:    .*\n|\n)+)", section)
    for name in sorted(os.listdir(EXERCISES)):
        if name.endswith(".py"):
            with open(os.path.join(EXERCISES, name), encoding="utf-8") as f:
                shown.append(ast.get_docstring(ast.parse(f.read())).split("\nPrints:\n", 1)[1])
    assert len(shown) >= 30
    for output in shown:
        assert not re.search(r"(?<![\d.])1 [a-z]+s\b", output), output


def test_step_thirteen_says_await_is_no_trampoline():
    """Steps 7 and 13 left a learner to think an async def's ``await
    sub()`` goes through the trampoline (the kernel handles a yielded
    coroutine as a call); it is Python's own chaining, and ten thousand
    deep is a RecursionError, where ``await call(sub())`` goes through the
    kernel.  Both, on the real kernel, and the page says so."""
    from trampoline import call

    async def awaiting(n):
        if n == 0:
            await sleep(0)              # a trap from the innermost, as in step 7's demo
            return 0
        return 1 + await awaiting(n - 1)

    async def calling(n):
        if n == 0:
            await sleep(0)
            return 0
        return 1 + await call(calling(n - 1))

    assert run(calling(10000)) == 10000
    try:
        run(awaiting(10000))
    except RecursionError:
        pass
    else:
        raise AssertionError("await nested 10,000 deep did not hit the recursion limit")
    section = [s for s in tutorial_sections() if s.startswith("Step 13:")][0]
    text = re.sub(r"\s+", " ", section)
    assert "``await sub()`` of another ``async def`` runs it as ``yield from`` would" in text
    assert "ten thousand deep is a ``RecursionError``" in text
    assert ("``await call(sub())`` (``trampoline.traps.call``) makes the call through the "
            "kernel") in text


def test_step_sixteen_says_what_the_real_task_group_adds():
    """Step 16 said the real TaskGroup adds ``with`` and ``async with``
    blocks and "cancels the remaining children when the block ends".  It
    has no ``with`` block, and the end of its ``async with`` block waits
    for the children; it cancels them only if the block itself fails."""
    from trampoline import TaskGroup
    from trampoline.taskgroup import TaskGroupError

    assert not hasattr(TaskGroup, "__enter__")
    ended = []

    async def child(name):
        await sleep(0.001)
        ended.append(name)
        return name

    async def block_ends():
        async with TaskGroup() as group:
            await group.spawn(child("a"))
            await group.spawn(child("b"))
        return sorted(ended)

    async def block_fails():
        try:
            async with TaskGroup() as group:
                late = await group.spawn(child("late"))
                raise ValueError("the block fails")
        except (ValueError, TaskGroupError):
            return late.cancelled

    assert run(block_ends()) == ["a", "b"]
    assert run(block_fails()) is True and "late" not in ended
    section = [s for s in tutorial_sections() if s.startswith("Step 16:")][0]
    with open(os.path.join(ROOT, "docs", "steps", "step16.py"), encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read()))
    for text in (section, doc):
        text = re.sub(r"\s+", " ", text)
        assert "``with`` and ``async with``" not in text
        assert "cancels the remaining children when the block ends" not in text
        assert ("an ``async with`` block, whose end waits for every child (and cancels "
                "them only if the block itself fails)") in text


def whole_kernel_step(n):
    """Step n's (1 to 7, each the whole kernel) trap classes and Task attributes."""
    with open(os.path.join(ROOT, "docs", "steps", "step%d.py" % n), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    traps, attributes = set(), set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            if any(getattr(base, "id", None) == "Trap" for base in node.bases):
                traps.add(node.name)
            elif node.name == "Task":
                attributes.update(target.attr for target in ast.walk(node)
                                  if isinstance(target, ast.Attribute)
                                  and isinstance(target.ctx, ast.Store))
    return traps, attributes


def test_what_changed_names_each_new_trap_and_task_attribute():
    """Step 3's "What changed" left out the step's own trap, ``sleep``:
    for steps 2 to 7, each whole kernels, every trap class and every
    ``Task`` attribute new in the step is named there."""
    for n in range(2, 8):
        section = [s for s in tutorial_sections() if s.startswith("Step %d:" % n)][0]
        changed = section.split("**What changed**", 1)[1].split("**In trampoline/**", 1)[0]
        changed = re.sub(r"\s+", " ", changed)
        traps, attributes = whole_kernel_step(n)
        old_traps, old_attributes = whole_kernel_step(n - 1)
        for trap in traps - old_traps:
            assert re.search(r"``%s``[^;]* trap\b|\btraps?\b[^;]*``%s``" % (trap, trap), changed,
                             re.I), (
                "step %d's What changed does not name its trap %s: %s" % (n, trap, changed))
        for attribute in attributes - old_attributes:
            assert "``Task.%s``" % attribute in changed, (
                "step %d's What changed does not name Task.%s: %s" % (n, attribute, changed))


def kernel_methods(n):
    """{Class.method: (its code, comments aside; its text)} of step n,
    leaving out the handler table, to which each new trap adds its line."""
    with open(os.path.join(ROOT, "docs", "steps", "step%d.py" % n), encoding="utf-8") as f:
        source = f.read()
    lines = source.split("\n")
    found = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for method in node.body:
            if not isinstance(method, ast.FunctionDef):
                continue
            body = [statement for statement in method.body
                    if not (isinstance(statement, ast.Expr)
                            and isinstance(statement.value, ast.Constant))     # the docstring
                    and not (isinstance(statement, ast.Assign)
                             and "handlers" in ast.dump(statement.targets[0]))]
            code = ast.dump(method.args) + "".join(ast.dump(statement) for statement in body)
            text = "\n".join(lines[method.lineno - 1:method.body[-1].end_lineno])
            found["%s.%s" % (node.name, method.name)] = (code, text)
    return found


def test_a_changed_method_in_a_whole_kernel_step_is_marked_new():
    """"A ``# NEW`` comment marks where a step changes code that was there
    before": step 2's run and step (the main task, the value sent in),
    step 3's loop and step 6's run changed without one.  In steps 2 to 7
    every method that changes carries a ``# NEW``."""
    for n in range(2, 8):
        before, now = kernel_methods(n - 1), kernel_methods(n)
        for name in sorted(set(before) & set(now)):
            if before[name][0] != now[name][0]:
                assert "# NEW" in now[name][1], "step%d.py changes %s with no # NEW" % (n, name)


def new_top_level_names(n):
    """The classes, functions and constants step n defines before its demo."""
    with open(os.path.join(ROOT, "docs", "steps", "step%d.py" % n), encoding="utf-8") as f:
        kernel_part = f.read().split("# === Demo", 1)[0]
    names = set()
    for node in ast.parse(kernel_part).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return {name for name in names if not name.startswith("_")}


#: Defined before a step's demo, yet no new idea of it: a helper of step 8's
#: join (``failed``), step 13's ``Trap.__await__`` under its own name, and
#: step 16's ``Kernel``, step 15's unchanged.
NOT_NEW_IDEAS = {"failed", "trap_await", "Kernel"}


def test_what_changed_names_each_new_class_and_function():
    """Step 14's "What changed" left out ``timeout_after``, the
    subroutine the step teaches: every class, function and constant a step
    adds before its demo is named there."""
    seen = new_top_level_names(1) | {"Kernel", "Task"}
    for n in range(2, 17):
        section = [s for s in tutorial_sections() if s.startswith("Step %d:" % n)][0]
        changed = section.split("**What changed**", 1)[1].split("**In trampoline/**", 1)[0]
        for name in sorted(new_top_level_names(n) - seen - NOT_NEW_IDEAS):
            assert "``%s``" % name in changed, (
                "step %d's What changed does not name %s" % (n, name))
        seen |= new_top_level_names(n)


def test_the_readme_reads_every_symbol_of_the_ascii_charts_legend():
    """README's "Seeing it work" says what each mark of the ASCII chart
    means: every one the chart's own legend line has, the shading digits
    1-9 among them (it left those out)."""
    from trampoline.trace import ASCII_LEGEND
    section = readme_section("Seeing it work: tracing, the monitor, debug mode, a virtual clock")
    legend = section[section.index("In the ASCII chart"):]
    legend = " ".join(legend[:legend.index("turn.")].split())
    marks = re.findall(r"(?:^|  )(\S+) ", ASCII_LEGEND)
    assert sorted(marks) == sorted(["#", ".", "r", "w", "z", "-"]), marks
    for mark in marks:
        assert "``%s``" % mark in legend, mark
    assert "``1``-``9``: that many tenths" in legend
