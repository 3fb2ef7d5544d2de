"""What makes the package installable and honest about itself: the
distribution's metadata (setup.cfg), what the sdist carries (MANIFEST.in),
LICENSE and CHANGELOG.rst.  (.ci/run builds the wheel and sdist and checks
them from the outside; these catch an edit that breaks them, in seconds.)"""

import ast
import configparser
import os
import re

import pytest

import trampoline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as file:
        return file.read()


@pytest.fixture(scope="module")
def setup_cfg():
    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"), encoding="utf-8")
    return config


def test_the_distribution_is_trampoline_io_with_its_license(setup_cfg):
    metadata = setup_cfg["metadata"]
    assert metadata["name"] == "trampoline-io"      # "trampoline" is another package
    assert metadata["license"] == "MIT"
    assert metadata["license_files"].split() == ["LICENSE"]
    assert "MIT License" in read("LICENSE")


def test_the_classifiers_say_which_pythons_and_nothing_false(setup_cfg):
    classifiers = setup_cfg["metadata"]["classifiers"].strip().splitlines()
    for minor in range(8, 14):
        assert "Programming Language :: Python :: 3.%d" % minor in classifiers
    assert "Programming Language :: Python :: Implementation :: CPython" in classifiers
    assert "Programming Language :: Python :: Implementation :: PyPy" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not any("AsyncIO" in line for line in classifiers)      # we are not asyncio
    assert setup_cfg["options"]["python_requires"] == ">=3.8"


def test_the_wheel_carries_py_typed_and_registers_the_plugin(setup_cfg):
    assert os.path.isfile(os.path.join(ROOT, "trampoline", "py.typed"))
    assert setup_cfg["options.package_data"]["trampoline"].split() == ["py.typed"]
    entry_points = setup_cfg["options.entry_points"]["pytest11"].split()
    assert entry_points == ["trampoline.testing", "=", "trampoline.testing"]


def test_the_sdist_carries_what_the_tests_need():
    rules = [line.split() for line in read("MANIFEST.in").splitlines()
             if line.strip() and not line.startswith("#")]
    grafted = {rule[1] for rule in rules if rule[0] == "graft"}
    assert {"trampoline", "tests", "examples", "docs", "benchmarks"} <= grafted
    included = {name for rule in rules if rule[0] == "include" for name in rule[1:]}
    assert {"LICENSE", "CHANGELOG.rst", "README.rst"} <= included


def test_the_changelog_names_this_version_first_and_is_valid_restructuredtext():
    text = read("CHANGELOG.rst")
    versions = re.findall(r"^(\d+\.\d+\.\d+) \(", text, re.M)
    assert trampoline.__version__ in versions
    assert versions == sorted(versions, key=lambda v: [int(n) for n in v.split(".")],
                              reverse=True)       # newest first
    docutils = pytest.importorskip("docutils.core")
    from docutils.writers.null import Writer    # (writer_name= goes in Docutils 2.0)
    docutils.publish_string(text, writer=Writer(),
                            settings_overrides={"halt_level": 2, "report_level": 5})


def _module_imports():
    """Each module of the package, by dotted name: the package's modules it
    imports when it is imported (module-level ``import`` and ``from ...
    import``, inside a ``try`` too; not those inside functions, which run
    later)."""
    package = os.path.join(ROOT, "trampoline")
    paths = {}
    for folder, _, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                paths[dotted[:-len(".__init__")] if dotted.endswith(".__init__") else dotted] = path
    graph = {}
    for module, path in paths.items():
        here = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        with open(path, encoding="utf-8") as f:
            body = ast.parse(f.read()).body
        statements = []
        for node in body:
            statements.append(node)
            if isinstance(node, ast.Try):
                statements += node.body + [n for handler in node.handlers for n in handler.body]
        imported = set()
        for node in statements:
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")[:len(here.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                imported.add(base)
                imported.update(base + "." + alias.name for alias in node.names)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        graph[module] = {name for name in imported if name in paths and name != module}
    return graph


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    """Issue 14's rule: no import cycle in trampoline/ (the package's
    ``__init__``, which imports everything for the public names, aside),
    and the kernel imports nothing above it -- no debug, monitor, trace,
    signals, runner, streams or protocol.  ``kv`` and ``kv_types`` had
    come to import each other; a cycle only works while the import order
    happens to suit it."""
    graph = _module_imports()
    cycles = []

    def visit(module, path):
        for name in sorted(graph[module]):
            if name == "trampoline":
                continue
            if name in path:
                cycles.append(path[path.index(name):] + [name])
            elif name not in done:
                visit(name, path + [name])
        done.add(module)

    done = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    assert not cycles, cycles
    above = {"debug", "monitor", "trace", "signals", "runner", "streams", "workers", "aio",
             "testing", "protocols"}
    assert not {name.split(".")[1] for name in graph["trampoline.kernel"]} & above


#: The kernel and the modules it is made of (its mixins, its task, traps,
#: poller and wait queues): .ci/run's coverage gate names the same.
KERNEL_MODULES = {"kernel", "traps", "task", "poller", "descriptors", "hostloop", "lifetime",
                  "instruments", "timers", "waitqueue", "diagnostics"}


def _reaches_into_the_kernel(node):
    """Is ``node`` an attribute access such as ``kernel._handlers``,
    ``self.kernel._timers``, ``running_kernel()._tasks`` or
    ``task._exception``: a private name of a kernel or a task?"""
    if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
            and not node.attr.startswith("__")):
        return False
    owner = node.value
    if isinstance(owner, ast.Call):
        owner = owner.func
    name = owner.id if isinstance(owner, ast.Name) else \
        owner.attr if isinstance(owner, ast.Attribute) else ""
    return name.lstrip("_") in ("kernel", "running_kernel", "task", "parent", "child", "me",
                                "current_task")


def test_no_module_above_the_kernel_reaches_into_its_private_state():
    """Issue 14's rule: streams, sync, tracing, debug, the monitor, signals
    and the examples use the kernel's public hooks only (debug mode put its
    subroutine handlers into ``kernel._handlers``; ``wrap_handlers`` does
    that now)."""
    found = []
    for folder in ("trampoline", "trampoline/protocols", "examples"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if not name.endswith(".py") or folder == "trampoline" and name[:-3] in KERNEL_MODULES:
                continue
            path = os.path.join(folder, name)
            source = read(path)
            found += ["%s:%d: %s" % (path, node.lineno, ast.get_source_segment(source, node))
                      for node in ast.walk(ast.parse(source)) if _reaches_into_the_kernel(node)]
    assert not found, "\n".join(found)
