"""The README's snippets run as they are written, its reST is valid, and its
Layout lists every module of the package."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, "README.rst"), encoding="utf-8").read()


def snippets():
    """Every python code block of the README that runs a whole program
    (``run(main(...))`` or ``kernel.run(main())``); the servers, which serve
    forever, and the client that needs one, are left out."""
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", README)
    return [re.sub(r"(?m)^    ", "", block) for block in blocks
            if "run(main(" in block and "25000" not in block]


@pytest.mark.parametrize("code", snippets(), ids=lambda code: code.split("import ", 2)[1][:40])
def test_snippet_runs(code):
    """Each snippet runs to completion without an error."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr


def claimed_outputs(code):
    """What the snippet's comments say its prints print, in order: the
    comment of each ``print(...)  # 0 b'ping': the sleep was cancelled``
    line, up to a colon that explains it ("or: ..." offers another
    spelling, and claims nothing)."""
    comments = re.findall(r"(?m)^\s*print\(.*\)\s+#\s*(.+)$", code)
    return [re.split(r":\s", comment)[0] for comment in comments if not comment.startswith("or:")]


@pytest.mark.parametrize("code", [code for code in snippets() if claimed_outputs(code)],
                         ids=lambda code: code.split("import ", 2)[1][:40])
def test_snippet_prints_what_its_comments_say(code):
    """A reader on any Python sees what the README says, line for line:
    each claimed value is a whole line of the output, in the order shown."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = iter(out.stdout.splitlines())
    for claim in claimed_outputs(code):
        assert any(line == claim for line in lines), (claim, out.stdout)


def test_the_claims_are_found():
    """(The comment parser finds the README's claims: a test that checks
    nothing proves nothing.)"""
    claims = [claim for code in snippets() for claim in claimed_outputs(code)]
    assert "[9, 1, 4]" in claims and "0 b'ping'" in claims and len(claims) >= 10, claims


def test_there_are_snippets():
    """The extraction itself works (a test that finds nothing proves nothing)."""
    assert len(snippets()) >= 10


def import_docutils():
    """docutils.core: in the [test] extra, so the README's test command always
    has it.  Only an interpreter set up without the extra (PyPy's, often)
    skips the check, and says why."""
    try:
        import docutils.core
    except ImportError:
        if sys.implementation.name == "cpython":
            raise AssertionError("docutils is missing: it is in the [test] extra, "
                                 "python3 -m pip install -e '.[test]'") from None
        pytest.skip("docutils is not installed for %s" % sys.implementation.name)
    return docutils.core


def test_readme_is_valid_restructuredtext():
    docutils = import_docutils()
    from docutils.writers.null import Writer    # (writer_name= goes in Docutils 2.0)
    docutils.publish_string(README, writer=Writer(),
                            settings_overrides={"halt_level": 2, "report_level": 5})


def test_layout_lists_every_module():
    """Each module file under trampoline/ has its line in the Layout
    section (a new module, or a split one, must be listed)."""
    layout = README.split("\nLayout\n------\n", 1)[1]
    listed = set(re.findall(r"^ +([\w/]+\.py|\w+/) ", layout, re.M))
    package = os.path.join(ROOT, "trampoline")
    missing = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        if folder != package:
            if os.path.basename(folder) + "/" not in listed:
                missing.append(os.path.relpath(folder, package) + "/")
            files = [name for name in files if name != "__init__.py"]
        missing.extend(name for name in files if name.endswith(".py") and name not in listed)
    assert not missing, "README.rst's Layout leaves out %s" % ", ".join(sorted(missing))
