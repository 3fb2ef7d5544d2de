"""One idea per step: what docs/tutorial.rst promises of docs/steps/.

The page says each step "adds exactly one idea to the step before it",
that "What changed" lists the new classes and methods, that from step 8 on
each step imports the one before and adds its idea in a subclass, and it
quotes commands for the reader to run.  Step 11 once taught two ideas (wait
before reading, keep sockets registered) under one number; splitting it
renumbered every later step.  These checks keep the promise and the
numbering honest:

* no step announces two changes;
* every method a step from 8 on adds or overrides is named in its "What
  changed", so the step file holds nothing its section does not own up to;
* every step from 8 on builds on the step just before it, says so, and its
  exercise uses it; the steps are numbered 1 to N in order, and the page
  and README count N in words;
* a step that measures itself against another measures against the step
  just before it;
* every command the page quotes (``python3 docs/...``, ``diff ...``) runs.
"""

import ast
import os
import re
import subprocess
import sys

import pytest

from test_tutorial import (ROOT, STEPS, exercise_paths, step_docstring, step_section,
                           step_source, tutorial)

SUBCLASS_STEPS = [n for n in STEPS if n >= 8]
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]


def flat(text):
    return re.sub(r"\s+", " ", text)


def what_changed(n):
    section = step_section(n)
    return flat(section.split("**What changed**", 1)[1].split("**In trampoline/**", 1)[0])


def the_idea(n):
    """The section's "The idea." paragraph(s), up to its first code."""
    return flat(step_section(n).split("**The idea.**", 1)[1].split(".. code-block::", 1)[0])


def what_it_adds(n):
    return flat(step_docstring(n).split("What this step adds", 1)[1].split("\nWhy\n", 1)[0])


def kernel_part(n):
    """Step n's source before its demo: the kernel and its traps."""
    return ast.parse(step_source(n).split("# === Demo", 1)[0])


def methods_added_to_earlier_classes(n):
    """``Class.method`` for every method (``__init__`` aside) that step n's
    subclasses of an earlier step's classes (``class Kernel(step10.Kernel)``)
    define: what the step adds to or overrides in the kernel so far."""
    found = []
    for node in kernel_part(n).body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                   and re.fullmatch(r"step\d+", base.value.id) for base in node.bases):
            continue                    # a class new in this step: its name is listed
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                found.append("%s.%s" % (node.name, item.name))
    return found


def named_in(name, text):
    """Is method ``name`` named in ``text``: ``name``, ``Class.name``,
    ``name()`` -- or, for a trap's handler ``trap_x``, its trap ``x``?"""
    if re.search(r"``(?:\w+\.)?%s(?:\(\))?``" % re.escape(name), text):
        return True
    return name.startswith("trap_") and "``%s``" % name[len("trap_"):] in text


# ------------------------------------------------------------ one idea each

TWO_OF_THEM = re.compile(r"\b(?:two|three|four|several)\s+(?:\w+\s+)?(?:changes|ideas)\b", re.I)


@pytest.mark.parametrize("n", STEPS)
def test_no_step_announces_more_than_one_change(n):
    """Step 11 opened "Two changes to I/O waits" (and its docstring "two
    changes to the I/O waits"): two ideas under one number, so ``diff
    step10.py step11.py`` showed both at once.  No step's idea, on the
    page or in its docstring, announces two changes or ideas."""
    for where, text in (("docs/tutorial.rst", the_idea(n)),
                        ("step%d.py's docstring" % n, what_it_adds(n))):
        found = TWO_OF_THEM.search(text)
        assert not found, "step %d announces %r in %s: one idea per step; split it" % (
            n, found.group(0), where)


@pytest.mark.parametrize("n", SUBCLASS_STEPS)
def test_what_changed_names_every_method_a_step_adds_to_the_kernel(n):
    """From step 8 on "the file itself is the difference": every method it
    adds to (or overrides in) an earlier step's class is named in its
    "What changed".  Step 11 overrode ``spawn`` and ``unpark`` and named
    neither: a learner reading the list missed two of the places its
    second idea lives."""
    changed = what_changed(n)
    methods = methods_added_to_earlier_classes(n)
    missing = [name for name in methods if not named_in(name.split(".", 1)[1], changed)]
    assert not missing, "step %d's What changed does not name %s: %s" % (
        n, ", ".join(missing), changed)


# ---------------------------------------------------------- the numbering

def test_steps_are_numbered_in_order_and_counted_in_words():
    """Splitting a step renumbers the rest: the page's sections are Step 1
    to Step N in order, step1.py to stepN.py exist and none beyond, and the
    page's title and first lines and README count N in words and names
    stepN.py last."""
    last = max(STEPS)
    numbers = [int(m) for m in re.findall(r"^Step (\d+): ", tutorial(), re.M)]
    assert numbers == list(range(1, last + 1)), numbers
    assert not os.path.exists(
        os.path.join(ROOT, "docs", "steps", "step%d.py" % (last + 1))), (
        "step%d.py exists: tests/test_tutorial.py's STEPS stops at %d" % (last + 1, last))
    word = NUMBER_WORDS[last]
    head = flat(tutorial()[:800])
    assert "trampoline in %s steps" % word in head and "in %s small steps" % word in head, head
    with open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as f:
        readme = flat(f.read())
    assert "kernel in %s runnable steps" % word in readme
    assert "steps/step1.py ... step%d.py" % last in readme


@pytest.mark.parametrize("n", SUBCLASS_STEPS)
def test_a_step_builds_on_the_step_just_before_it(n):
    """step13.py, renumbered from step12.py, still said "(it builds on
    step11.py)" and subclassed step11's kernel.  From step 8 on a step's
    kernel is the previous step's (a subclass of it, or it unchanged), its
    docstring says which file it builds on, and its exercise's solution
    uses this step."""
    before = "step%d" % (n - 1)
    kernels = []
    for node in kernel_part(n).body:
        if isinstance(node, ast.ClassDef) and node.name == "Kernel":
            kernels += [base for base in node.bases if isinstance(base, ast.Attribute)]
        elif isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "Kernel" for target in node.targets):
            kernels.append(node.value)
    assert len(kernels) == 1, "step%d.py defines no Kernel from an earlier step" % n
    kernel = kernels[0]
    assert isinstance(kernel, ast.Attribute) and kernel.attr == "Kernel" and (
        getattr(kernel.value, "id", None) == before), (
        "step%d.py's Kernel is not built on %s.Kernel" % (n, before))
    assert "(it builds on %s.py" % before in step_docstring(n)
    for path in exercise_paths(n):
        with open(path, encoding="utf-8") as f:
            imported = set(re.findall(r"^(?:import|from) (step\d+)\b", f.read(), re.M))
        assert "step%d" % n in imported, "%s does not use step%d" % (os.path.basename(path), n)


@pytest.mark.parametrize("n", [n for n in STEPS if "and compares)" in step_docstring(n)])
def test_a_step_that_measures_itself_compares_with_the_step_just_before(n):
    """A step whose demo compares kernels measures its one idea: against
    the step just before it, on the page as in what it prints.  (The two
    ideas of the old step 11 were measured together, against step 10.)"""
    shown = step_section(n).split(".. code-block:: text", 1)[1].split("**", 1)[0]
    mentioned = set(int(k) for k in re.findall(r"\bstep (\d+)\b", shown))
    assert mentioned == {n - 1, n}, "step %d's demo compares steps %s" % (n, sorted(mentioned))


# ------------------------------------------------------------ the commands

def quoted_commands():
    """Every command the page gives a reader to type: a line of a literal
    block that starts ``python3 docs/...`` or ``diff ...`` (a ``$`` prompt
    aside), and the same in ``inline literals``, wrapped or not."""
    text = tutorial()
    commands = []
    for line in text.split("\n"):
        m = re.fullmatch(r"\s+(?:\$ )?((?:python3 docs/|diff ).*?)\s*", line)
        if m:
            commands.append(m.group(1))
    for literal in re.findall(r"``([^`]+)``", text):
        literal = flat(literal)
        if re.match(r"(?:python3 docs/|diff )", literal):
            commands.append(literal)
    return commands


def test_every_command_the_tutorial_quotes_runs():
    """A learner types what the page shows, from the repository's root:
    ``python3 docs/steps/step1.py`` runs and exits 0 with nothing on
    stderr; ``diff docs/steps/step4.py docs/steps/step5.py`` finds both
    files (it exits 1 when they differ -- that is its answer -- and 2 on
    trouble) and prints a difference."""
    commands = quoted_commands()
    assert any(c.startswith("python3 docs/") for c in commands), commands
    assert any(c.startswith("diff ") for c in commands), commands
    for command in commands:
        args = command.split()
        if args[0] == "python3":
            args[0] = sys.executable        # the Python under test (3.8, PyPy...)
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=30)
        if args[0] == "diff":
            assert done.returncode in (0, 1) and done.stdout, (command, done.stderr)
        else:
            assert done.returncode == 0 and done.stdout, (command, done.stderr)
        assert done.stderr == "", (command, done.stderr)
