"""The tutorial cannot rot: docs/tutorial.rst, docs/steps/step1..16.py and
the exercises' solutions in docs/steps/exercises/.

* Every step's demo runs as a reader runs it (``python3 docs/steps/stepN.py``,
  a process of its own) and prints exactly what its section of the tutorial
  shows in its ``.. code-block:: text`` -- and nothing on stderr, not even a
  ResourceWarning under ``-X dev``.
* Every ``.. code-block:: python`` in a step's section is still there, line
  for line, in that step's file.
* Every name the step docstrings and the tutorial give for the real thing
  (``trampoline.descriptors.DescriptorWaiting._trap_read``,
  ``trampoline/kernel.py``...) still exists, and is defined in the module
  (and class) it is written with -- not just imported there or inherited;
  a line quoted from a function (``"a subroutine call" lines of ...``) is
  in that function.
* The steps are built from scratch: none imports trampoline.
* No step file is longer than 300 lines.
* Every step has an exercise whose solution runs and prints what its
  docstring says.
* docs/reliability.rst, which points at tests, names tests and kernel
  attributes that exist.
"""

import ast
import functools
import importlib
import inspect
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
STEPS = range(1, 17)
EXERCISES = os.path.join(DOCS, "steps", "exercises")
#: Timed demos print measured durations ("after 0.05 s"): those may come
#: out later than the page shows, under load, by at most this much.
TIMING_SLACK = 0.25


def step_path(n):
    return os.path.join(DOCS, "steps", "step%d.py" % n)


def step_source(n):
    with open(step_path(n), encoding="utf-8") as f:
        return f.read()


def step_docstring(n):
    return ast.get_docstring(ast.parse(step_source(n)))


def tutorial():
    with open(os.path.join(DOCS, "tutorial.rst"), encoding="utf-8") as f:
        return f.read()


def sections(text):
    """{title: body} for every section underlined with '='."""
    lines = text.split("\n")
    heads = [i for i in range(1, len(lines))
             if re.fullmatch(r"=+", lines[i]) and lines[i - 1].strip()
             and (i < 2 or not re.fullmatch(r"=+", lines[i - 2]))]
    found = {}
    for k, i in enumerate(heads):
        end = heads[k + 1] - 1 if k + 1 < len(heads) else len(lines)
        found[lines[i - 1]] = "\n".join(lines[i + 1:end])
    return found


def step_section(n):
    matches = [body for title, body in sections(tutorial()).items()
               if title.startswith("Step %d:" % n)]
    assert len(matches) == 1, "docs/tutorial.rst needs one section 'Step %d: ...'" % n
    return matches[0]


def code_blocks(text, language):
    """The contents of every ``.. code-block:: <language>`` in ``text``."""
    lines = text.split("\n")
    blocks = []
    for i, line in enumerate(lines):
        m = re.fullmatch(r"( *)\.\. code-block:: *(\w+) *", line)
        if not m or m.group(2) != language:
            continue
        indent = len(m.group(1))
        j = i + 1
        while j < len(lines) and (not lines[j].strip()
                                  or len(lines[j]) - len(lines[j].lstrip()) > indent):
            j += 1
        blocks.append(textwrap.dedent("\n".join(lines[i + 1:j])).strip("\n"))
    return blocks


def contains_lines(source, excerpt):
    """Is ``excerpt`` a run of whole lines of ``source``, indentation aside?"""
    want = excerpt.split("\n")
    lines = source.split("\n")
    for i in range(len(lines) - len(want) + 1):
        if textwrap.dedent("\n".join(lines[i:i + len(want)])) == excerpt:
            return True
    return False


# ------------------------------------------------------------ the demos

@pytest.mark.parametrize("n", STEPS)
def test_demo_prints_what_the_tutorial_shows(n):
    outputs = code_blocks(step_section(n), "text")
    assert len(outputs) == 1, "step %d's section needs one '.. code-block:: text' (its output)" % n
    # -X dev: unclosed sockets and other ResourceWarnings would show on stderr.
    # cwd is not docs/steps: each step runs from anywhere, as documented.
    done = subprocess.run([sys.executable, "-X", "dev", step_path(n)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert_same_output(outputs[0] + "\n", done.stdout)


def assert_same_output(shown, printed):
    """``printed`` is ``shown``, except that a measured duration ("after
    0.05 s") may be up to TIMING_SLACK later than the one shown."""
    measured = r"after (\d+\.\d\d) s"
    assert re.sub(measured, "after _ s", printed) == re.sub(measured, "after _ s", shown), printed
    for want, got in zip(re.findall(measured, shown), re.findall(measured, printed)):
        assert float(want) - 0.015 <= float(got) <= float(want) + TIMING_SLACK, printed


@pytest.mark.parametrize("n", STEPS)
def test_no_step_file_is_longer_than_300_lines(n):
    assert step_source(n).count("\n") <= 300, "step%d.py: split it" % n


# --------------------------------------------------------- the excerpts

@pytest.mark.parametrize("n", STEPS)
def test_code_shown_for_a_step_is_in_its_file(n):
    source = step_source(n)
    excerpts = code_blocks(step_section(n), "python")
    assert excerpts, "step %d's section shows none of its code" % n
    for excerpt in excerpts:
        assert contains_lines(source, excerpt), (
            "this excerpt in docs/tutorial.rst is no longer in step%d.py:\n%s" % (n, excerpt))


@pytest.mark.parametrize("n", STEPS)
def test_step_docstring_says_what_why_and_where(n):
    doc = step_docstring(n)
    assert doc.startswith("Step %d: " % n)
    for heading in ("What this step adds", "Why", "In trampoline/"):
        assert "\n%s\n" % heading in doc, "step%d.py's docstring lacks %r" % (n, heading)
    assert "Run it: python3 docs/steps/step%d.py" % n in doc


@pytest.mark.parametrize("n", STEPS)
def test_steps_are_built_from_scratch(n):
    """A step uses the standard library and earlier steps, never trampoline."""
    imported = set()
    for node in ast.walk(ast.parse(step_source(n))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert "trampoline" not in imported
    if hasattr(sys, "stdlib_module_names"):         # Python 3.10 and newer
        earlier_steps = {"step%d" % k for k in range(1, n)}
        others = imported - set(sys.stdlib_module_names) - earlier_steps
        assert not others, "step%d.py imports %s" % (n, sorted(others))


# ---------------------------------------------------------- the exercises

def exercise_paths(n):
    return sorted(os.path.join(EXERCISES, name) for name in os.listdir(EXERCISES)
                  if re.fullmatch(r"step%d_\w+\.py" % n, name))


ALL_EXERCISES = [os.path.basename(path) for n in STEPS for path in exercise_paths(n)]


@pytest.mark.parametrize("n", STEPS)
def test_every_step_has_an_exercise_shown_in_its_section(n):
    section = step_section(n)
    assert exercise_paths(n), "step %d has no exercise in docs/steps/exercises/" % n
    for path in exercise_paths(n):
        name = "docs/steps/exercises/%s" % os.path.basename(path)
        assert "``%s``" % name in section, "step %d's section does not give %s" % (n, name)


def expected_output(path):
    """The block after "Prints:" in an exercise's docstring."""
    with open(path, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read()))
    assert "\nPrints:\n" in doc, "%s: its docstring needs a 'Prints:' block" % path
    return textwrap.dedent(doc.split("\nPrints:\n", 1)[1]).strip("\n") + "\n"


@pytest.mark.parametrize("name", ALL_EXERCISES)
def test_exercise_solution_prints_what_its_docstring_says(name):
    path = os.path.join(EXERCISES, name)
    done = subprocess.run([sys.executable, "-X", "dev", path], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert_same_output(expected_output(path), done.stdout)


@pytest.mark.parametrize("name", ALL_EXERCISES)
def test_exercise_solutions_use_only_the_steps(name):
    n = int(re.match(r"step(\d+)_", name).group(1))
    with open(os.path.join(EXERCISES, name), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module]
        else:
            continue
        for module in modules:
            assert not module.startswith("trampoline"), name
            if module.startswith("step"):
                assert int(module[4:]) <= n, "%s imports %s, a later step" % (name, module)


# ---------------------------------------------------------- the pointers

def defined_in(dotted):
    """Check that ``dotted`` (``trampoline.descriptors.DescriptorWaiting._trap_read``)
    names something *defined* where it says: each part in the module or class
    before it, in that one's own source.  A name imported into a module (the
    kernel re-exports ``WaitQueue``), or inherited by a class (``Kernel`` has
    ``_trap_read`` from a mixin), does not count: the reader is sent to the
    file that has the code.  An AssertionError says what is wrong."""
    obj, i = longest_module(dotted)
    parts = dotted.split(".")
    for j in range(i, len(parts)):
        owner, name, where = obj, parts[j], ".".join(parts[:j])
        assert inspect.ismodule(owner) or inspect.isclass(owner), (
            "%s: %s is neither a module nor a class" % (dotted, where))
        if name in vars(owner):
            obj = vars(owner)[name]
            if inspect.isclass(obj) or inspect.isfunction(obj):
                home = owner.__name__ if inspect.ismodule(owner) else owner.__module__
                assert obj.__module__ == home, (
                    "%s: %s is defined in %s, not in %s" % (dotted, name, obj.__module__, where))
            elif inspect.ismodule(owner):
                assert name in assigned_at_top(owner), (
                    "%s: %s is imported into %s; name the module that defines it"
                    % (dotted, name, where))
        else:
            assert inspect.isclass(owner) and name in assigned_to_self(owner), (
                "%s: %s is not defined in %s%s" % (dotted, name, where, inherited(owner, name)))
            assert j == len(parts) - 1, "%s: %s is an instance attribute" % (dotted, name)


def longest_module(dotted):
    """The module that the longest importable prefix of ``dotted`` names,
    and how many of its parts that prefix has."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            return importlib.import_module(".".join(parts[:i])), i
        except ImportError:
            continue
    raise AssertionError("%s: no such module" % dotted)


def module_tree(module):
    with open(inspect.getsourcefile(module), encoding="utf-8") as f:
        return ast.parse(f.read())


def assigned_at_top(module):
    """The names a module's own top-level statements assign (not import)."""
    names = set()
    statements = list(module_tree(module).body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.If, ast.Try)):
            statements.extend(node.body + node.orelse + getattr(node, "finalbody", []))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for target in targets for n in ast.walk(target)
                         if isinstance(n, ast.Name))
    return names


def assigned_to_self(cls):
    """The ``self.<name>`` a class's own methods assign (instance attributes)."""
    found = set()
    for node in ast.walk(module_tree(inspect.getmodule(cls))):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            found.update(n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                         and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
                         and n.value.id == "self")
    return found


def inherited(cls, name):
    for base in cls.__mro__[1:-1]:                  # (not object)
        if name in vars(base) or name in assigned_to_self(base):
            return " (it is inherited from %s.%s)" % (base.__module__, base.__qualname__)
    return ""


def pointers(text):
    return re.findall(r"``(trampoline(?:\.\w+)+)``", text)


def paths(text):
    return re.findall(r"``(trampoline/[\w/]+\.py)``", text)


def quoted_lines(text):
    """(phrase, dotted) for every line quoted from a function: ``X``
    ("phrase", "phrase"), or "phrase" [and "phrase"] lines of ``X``."""
    text = re.sub(r"\s+", " ", text)
    phrases = r"((?:\"[^\"]+\"(?:,| and|, and)? ?)+)"
    found = re.findall(r"``(trampoline(?:\.\w+)+)`` \(" + phrases + r"\)", text)
    found += [(dotted, quoted) for quoted, dotted in re.findall(
        phrases + r" ?lines? (?:of|in) ``(trampoline(?:\.\w+)+)``", text)]
    return [(phrase, dotted) for dotted, quoted in found
            for phrase in re.findall(r"\"([^\"]+)\"", quoted)]


def check_pointers(text):
    for name in pointers(text):
        defined_in(name)
    for path in paths(text):
        assert os.path.exists(os.path.join(ROOT, path)), path
    for phrase, dotted in quoted_lines(text):
        obj, i = longest_module(dotted)
        for part in dotted.split(".")[i:]:
            obj = getattr(obj, part)
        assert phrase.lower() in inspect.getsource(obj).lower(), (
            "%r is not in %s" % (phrase, dotted))


@pytest.mark.parametrize("n", STEPS)
def test_step_docstring_points_at_things_that_exist(n):
    doc = step_docstring(n)
    assert pointers(doc), "step%d.py's docstring names nothing in trampoline/" % n
    check_pointers(doc)


def test_tutorial_points_at_things_that_exist():
    check_pointers(tutorial())
    for step in STEPS:                              # every step has its pointers
        assert pointers(step_section(step)), "step %d's section names nothing in trampoline/" % step


def test_the_pointer_check_is_strict():
    """A name reached through a re-export or a mixin is refused; a name
    defined where it is said to be is found."""
    defined_in("trampoline.descriptors.DescriptorWaiting._trap_read")
    defined_in("trampoline.kernel.Kernel._ready")               # made in __init__
    defined_in("trampoline.traps.PARKED")
    defined_in("trampoline.task.Task._coro")                    # a slot
    for wrong in ("trampoline.kernel.Kernel._trap_read",        # a mixin's
                  "trampoline.kernel.WaitQueue",                # imported
                  "trampoline.kernel.PARKED",                   # imported
                  "trampoline.kernel.Kernel._no_such_thing"):
        with pytest.raises(AssertionError):
            defined_in(wrong)
    with pytest.raises(AssertionError):                         # quoted from the wrong function
        check_pointers('the "a subroutine call" lines of ``trampoline.kernel.Kernel._run_until``')
    check_pointers('the "a subroutine call" lines of ``trampoline.kernel.Kernel._stepper``')


def handled_by(text):
    """(trap, [handlers]) for every "``trampoline.traps.A`` and
    ``trampoline.traps.B``, handled by ``...Timers._trap_a``" in ``text``."""
    text = re.sub(r"\s+", " ", text)
    names = r"((?:``trampoline(?:\.\w+)+``(?:,| and|, and)? ?)+)"
    found = []
    for traps, handlers in re.findall(names + r",? handled by " + names, text):
        for trap in re.findall(r"``trampoline\.traps\.(\w+)``", traps):
            found.append((trap, re.findall(r"``(trampoline(?:\.\w+)+)``", handlers)))
    return found


def test_a_trap_is_handled_by_the_handler_named_for_it():
    """"``set_alarm`` and ``clear_alarm``, handled by ``_trap_set_alarm``"
    sent the reader to the wrong method for ``clear_alarm``: every trap
    said to be handled by named methods is handled by one of them."""
    import trampoline.kernel
    import trampoline.traps
    kernel = trampoline.kernel.Kernel()
    try:
        found = handled_by(tutorial()) + [pair for n in STEPS
                                          for pair in handled_by(step_docstring(n))]
        assert found, "no \"handled by\" in the tutorial: the test reads nothing"
        for trap, handlers in found:
            handler = kernel._handlers[getattr(trampoline.traps, trap)]
            real = "%s.%s" % (handler.__func__.__module__, handler.__func__.__qualname__)
            assert real in handlers, "%s is handled by %s, not by %s" % (
                trap, real, " or ".join(handlers))
    finally:
        kernel.close()


def test_tutorial_is_valid_restructuredtext():
    try:                        # in the [test] extra: the README's command has it
        import docutils.core as docutils_core
    except ImportError:
        if sys.implementation.name == "cpython":
            raise AssertionError("docutils is missing: it is in the [test] extra, "
                                 "python3 -m pip install -e '.[test]'") from None
        pytest.skip("docutils is not installed for %s" % sys.implementation.name)
    from docutils.writers.null import Writer    # (writer_name= goes in Docutils 2.0)
    docutils_core.publish_string(tutorial(), writer=Writer(),
                                 settings_overrides={"halt_level": 2, "report_level": 2,
                                                     "syntax_highlight": "none"})


# --------------------------------------------- docs/reliability.rst's names

@functools.lru_cache(maxsize=None)     # (the page names a file's tests many times: parsed once)
def functions_in(filename):
    with open(os.path.join(ROOT, "tests", filename), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def test_reliability_page_names_tests_that_exist():
    """Every test the page cites is there: ``tests/test_x.py::test_name``,
    ``::test_name`` (in the file named last), a bare ``test_name`` (in a
    file its section named), ``..._part_of_a_name_...``; and so is every
    ``Kernel._attr`` and ``Task._attr`` it reads."""
    import trampoline.kernel
    import trampoline.task
    with open(os.path.join(DOCS, "reliability.rst"), encoding="utf-8") as f:
        text = f.read()
    kernel_attrs = set(dir(trampoline.kernel.Kernel)).union(
        *(assigned_to_self(cls) for cls in trampoline.kernel.Kernel.__mro__[:-1]))
    checked = 0
    for section in re.split(r"\n[^\n]+\n[-=~]{3,}\n", text):
        last, named = None, []
        for literal in re.findall(r"``([^`]+)``", section):
            m = re.fullmatch(r"(?:tests/)?(test_\w+\.py)(?:::(\w+))?", literal)
            if m:
                last = m.group(1)
                named.append(last)
                assert os.path.exists(os.path.join(ROOT, "tests", last)), literal
                found = m.group(2) is None or m.group(2) in functions_in(last)
            elif re.fullmatch(r"::\w+", literal):
                found = literal[2:] in functions_in(last)
            elif re.fullmatch(r"test_\w+", literal):
                found = any(literal in functions_in(name) for name in named)
            elif re.fullmatch(r"\.\.\.\w+\.\.\.", literal):
                found = any(literal[3:-3] in name for name in functions_in(last))
            elif re.fullmatch(r"Kernel\.\w+", literal):
                found = literal[7:] in kernel_attrs
            elif re.fullmatch(r"Task\.\w+", literal):
                found = hasattr(trampoline.task.Task, literal[5:])
            elif literal.startswith("tests/reliability_helpers."):
                found = literal.split(".", 1)[1] in functions_in("reliability_helpers.py")
            else:
                continue
            assert found, "docs/reliability.rst names %s, which is not there" % literal
            checked += 1
    assert checked >= 50, "the check found only %d names: is the page's form new?" % checked
