#!/usr/bin/env python3
"""Write docs/reference.rst: every public name, its signature and docstring.

    python3 docs/make_reference.py           # (re)write docs/reference.rst
    python3 docs/make_reference.py --check   # exit 1 if it is out of date

The public names are each public module's ``__all__`` (every module and
subpackage of ``trampoline`` whose name does not start with ``_``), and for
a class, the methods and properties it defines whose names do not start
with ``_``.  ``trampoline.__all__`` is listed first, each name pointing to
the module that documents it.  Signatures are shown without annotations
(they read the same under every Python version); docstrings as they are,
in literal blocks, so that no docstring can break the page.  Names with no
docstring are listed at the end of the page and by ``--check``; a test
(tests/test_reference.py) keeps the page current and that list empty.
No Sphinx: the standard library's ``inspect`` only.
"""

import ast
import importlib
import inspect
import os
import pkgutil
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUTPUT = os.path.join(HERE, "reference.rst")
COMMAND = "python3 docs/make_reference.py"

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def public_modules():
    """``trampoline`` and its public modules and subpackages, by name."""
    import trampoline
    names = ["trampoline"]
    for info in pkgutil.walk_packages(trampoline.__path__, "trampoline."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names, key=lambda name: (name != "trampoline", name))


def computed(module, name):
    """The source of ``name = <a call ...>`` at ``module``'s top level, or
    None: a value computed as the module is imported (from the machine's
    CPU count, say) is shown as it is written, the same on every machine."""
    try:
        source = inspect.getsource(module)
    except (TypeError, OSError):
        return None
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(target, "id", None)
                                             for target in node.targets] == [name]:
            if any(isinstance(inner, ast.Call) for inner in ast.walk(node.value)):
                return ast.get_source_segment(source, node.value)
    return None


def signature(obj):
    """``(a, b=1, *, c=None)`` without annotations; None if there is none."""
    try:
        if inspect.isclass(obj):
            # The Python-level __init__ (or __new__), without self: what
            # signature(cls) says about built-in ones differs between
            # versions and interpreters (3.8's Generic, PyPy's exceptions).
            maker = _own_maker(obj, "__init__") or _own_maker(obj, "__new__")
            if maker is None:
                return None
            sig = inspect.signature(maker)
            sig = sig.replace(parameters=list(sig.parameters.values())[1:])
        else:
            sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    parameters = [parameter.replace(annotation=inspect.Parameter.empty)
                  for parameter in sig.parameters.values()]
    text = str(sig.replace(parameters=parameters, return_annotation=inspect.Signature.empty))
    return re.sub(r"<([\w.]+) object at 0x[0-9a-f]+>", r"<\1>", text)


def _own_maker(cls, name):
    """``cls``'s ``__init__`` or ``__new__`` if Python code (not a built-in
    type) defines it, else None."""
    for klass in cls.__mro__:
        if name in vars(klass):
            if klass.__module__ == "builtins":
                return None
            maker = vars(klass)[name]
            maker = getattr(maker, "__func__", maker)       # a staticmethod's
            return maker if inspect.isfunction(maker) else None
    return None


def docstring(obj):
    doc = obj.__doc__ if isinstance(obj, property) else inspect.getdoc(obj)
    return inspect.cleandoc(doc) if doc else ""


def literal(text):
    return "::\n\n" + "\n".join(("    " + line).rstrip() for line in text.splitlines()) + "\n"


def title(text, underline):
    return "%s\n%s\n" % (text, underline * len(text))


def class_members(cls):
    """The public methods and properties ``cls`` itself defines, in source
    order -- but not a namedtuple's field accessors, nor what overrides a
    built-in base class's method (``ExceptionGroup.derive``): Python
    documents those, and they differ between versions and interpreters."""
    fields = getattr(cls, "_fields", ())
    builtin_bases = [base for base in cls.__mro__[1:] if base.__module__ == "builtins"]
    # A class assembled from mixins (Kernel) shows their methods as its own.
    mixins = [base for base in cls.__mro__[1:]
              if base.__module__.startswith("trampoline.") and base.__name__ not in
              getattr(sys.modules[base.__module__], "__all__", ())]
    seen = set()
    for name, member in [item for klass in [cls] + mixins for item in vars(klass).items()]:
        if name.startswith("_") or name in fields or name in seen:
            continue
        seen.add(name)
        if any(hasattr(base, name) for base in builtin_bases):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            yield name, member


def own(module, name, obj):
    """Whether ``module`` is where ``obj`` is defined (not a re-export)."""
    return getattr(obj, "__module__", module.__name__) == module.__name__


class Reference:
    def __init__(self):
        self.parts = []
        self.missing = []           # names without a docstring
        self.home = {}              # id(obj) -> module that documents it

    def write(self, text):
        self.parts.append(text)

    def describe(self, qualname, obj, level, module=None):
        kind = "class" if inspect.isclass(obj) else ""
        self.write(title("``%s``" % qualname, level))
        sig = signature(obj) if callable(obj) and not isinstance(obj, property) else None
        head = "%s %s%s" % (kind, qualname.rsplit(".", 1)[-1], sig or "")
        if isinstance(obj, property):
            head = "property %s" % qualname.rsplit(".", 1)[-1]
        elif not callable(obj):
            name = qualname.rsplit(".", 1)[-1]
            head = "%s = %s" % (name, computed(module, name) or re.sub(
                r" at 0x[0-9a-f]+", "", repr(obj)))
        self.write(literal(head.strip()))
        doc = docstring(obj) if (callable(obj) or isinstance(obj, property)) else ""
        if doc:
            self.write(literal(doc))
        elif callable(obj) or isinstance(obj, property):
            self.missing.append(qualname)
        if inspect.isclass(obj):
            for name, member in class_members(obj):
                self.describe("%s.%s" % (qualname, name), member, "." if level == "~" else "~")

    def module(self, name):
        module = importlib.import_module(name)
        exported = list(getattr(module, "__all__", []))
        self.write(title("``%s``" % name, "-"))
        summary = (inspect.getdoc(module) or "").split("\n\n", 1)[0]
        if summary:
            self.write(" ".join(summary.split()) + "\n")
        if name == "trampoline":
            self.write("Its names, each documented in its module below:\n")
            for export in exported:
                obj = getattr(module, export)
                home = getattr(obj, "__module__", None) or "trampoline"
                self.write("* ``%s`` -- ``%s``" % (export, home))
            self.write("")
            return
        for export in exported:
            obj = getattr(module, export)
            if not own(module, export, obj) and inspect.isclass(obj) or (
                    inspect.isfunction(obj) and not own(module, export, obj)):
                self.write("``%s``: see ``%s``.\n" % (export, obj.__module__))
                continue
            self.describe("%s.%s" % (name.split(".", 1)[-1] if name != "trampoline" else name,
                                     export), obj, "~", module)

    def text(self):
        return "\n".join(self.parts).rstrip("\n") + "\n"


def generate():
    """The page's text, and the names that have no docstring."""
    reference = Reference()
    reference.write(title("API reference", "="))
    reference.write(
        "Every public name of the ``trampoline`` package: each public module's\n"
        "``__all__``, and the public methods and properties of its classes, with\n"
        "signatures (without annotations; the package's own are in its source\n"
        "and ``py.typed``) and docstrings.  Generated by ``%s``;\n"
        "do not edit by hand.\n" % COMMAND)
    for name in public_modules():
        reference.module(name)
    if reference.missing:
        reference.write(title("Without a docstring", "-"))
        for name in reference.missing:
            reference.write("* ``%s``" % name)
        reference.write("")
    return reference.text(), reference.missing


def main(argv):
    text, missing = generate()
    if "--check" in argv:
        with open(OUTPUT, encoding="utf-8") as page:
            current = page.read() == text
        if not current:
            print("docs/reference.rst is out of date: run %s" % COMMAND, file=sys.stderr)
        if missing:
            print("no docstring: %s" % ", ".join(missing), file=sys.stderr)
        return 0 if current and not missing else 1
    with open(OUTPUT, "w", encoding="utf-8") as page:
        page.write(text)
    print("wrote %s (%d names without a docstring)" % (os.path.relpath(OUTPUT), len(missing)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
