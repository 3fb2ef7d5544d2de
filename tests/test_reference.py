"""docs/reference.rst is current: what docs/make_reference.py writes now,
every public name in it, and none without a docstring."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# docs/make_reference.py is a script, not a package: loaded from its file.
_spec = importlib.util.spec_from_file_location(
    "make_reference", os.path.join(ROOT, "docs", "make_reference.py"))
make_reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_reference)

HOW = "run: %s (and commit docs/reference.rst)" % make_reference.COMMAND


def test_the_reference_page_is_what_the_script_writes_now():
    text, _ = make_reference.generate()
    with open(make_reference.OUTPUT, encoding="utf-8") as page:
        on_disk = page.read()
    assert on_disk == text, "docs/reference.rst is out of date; " + HOW


def test_every_public_name_has_a_docstring():
    _, missing = make_reference.generate()
    assert not missing, "no docstring: %s; add them, then %s" % (", ".join(missing), HOW)


def test_every_name_of_the_package_is_on_the_page():
    import trampoline
    text, _ = make_reference.generate()
    for name in trampoline.__all__:
        assert "``%s``" % name in text, name
    for module in make_reference.public_modules():
        for name in getattr(importlib.import_module(module), "__all__", ()):
            assert "%s``" % name in text, "%s.%s" % (module, name)


def test_the_page_is_valid_restructuredtext():
    docutils = pytest.importorskip("docutils.core")
    text, _ = make_reference.generate()
    from docutils.writers.null import Writer    # (writer_name= goes in Docutils 2.0)
    docutils.publish_string(text, writer=Writer(),
                            settings_overrides={"halt_level": 2, "report_level": 5})


def test_the_page_is_the_same_on_a_machine_with_other_cpus_and_environment():
    """The page is written on one machine and checked on every other: a
    value computed as a module is imported (the CPU count's thread pool
    size, an environment switch, the platform's PIPE_BUF) is shown as it is
    written, not as this machine computed it -- a machine with 64 CPUs and
    TRAMPOLINE_KERNEL_FRAMES=1 writes the same page."""
    import subprocess
    import sys
    script = ("import os, runpy; os.cpu_count = lambda: 64; "
              "page = runpy.run_path(%r)['generate']()[0]; "
              "print(page == open(%r, encoding='utf-8').read())"
              % (os.path.join(ROOT, "docs", "make_reference.py"), make_reference.OUTPUT))
    env = dict(os.environ, TRAMPOLINE_KERNEL_FRAMES="1", PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, timeout=120,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert out.stdout.strip() == "True", out.stderr[-2000:]


def test_a_worker_pool_of_no_given_size_has_the_default_size():
    """``WorkerPool()`` and ``WorkerPool(None)`` run ``DEFAULT_MAX_WORKERS``
    threads at most, as ``ThreadPoolExecutor(max_workers=None)`` does."""
    from trampoline.threads import DEFAULT_MAX_WORKERS, WorkerPool
    assert WorkerPool().max_workers == WorkerPool(None).max_workers == DEFAULT_MAX_WORKERS
