"""Shared fixtures: run I/O tests on every poller backend.

Child processes -- the scripts tests write and run -- import this
checkout's ``trampoline`` through PYTHONPATH, set here once, rather than
each putting the checkout on ``sys.path``."""

import os
import selectors
import signal
import sys

import pytest

import trampoline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))

# The package's environment switches are the tests' to set (monkeypatch.setenv,
# a child's env=): one exported in the shell that runs the suite turned on
# debug mode, tracing or the monitor in every test and every child process,
# and tests of the defaults failed.  TRAMPOLINE_KERNEL_FRAMES was read when
# the test plugin (trampoline.testing, in setup.cfg's addopts) imported the
# package, before this file: its value is put back to the default too.
for _name in ("TRAMPOLINE_DEBUG", "TRAMPOLINE_TRACE", "TRAMPOLINE_MONITOR",
              "TRAMPOLINE_KERNEL_FRAMES"):
    os.environ.pop(_name, None)
trampoline.diagnostics.KERNEL_FRAMES = trampoline.kernel.KERNEL_FRAMES = False

# Ctrl-C as Python gives it to a program (KeyboardInterrupt) is what the
# tests of Ctrl-C expect, here and in the children they start.  A shell
# without job control -- a script's ``python3 -m pytest &``, as a CI runner
# may start the suite -- starts a background command with SIGINT ignored;
# Python then leaves it ignored, and so does every child (an ignored signal
# stays ignored across exec): a SignalSet gave back SIG_IGN where the test
# wanted the default handler, and a client sent SIGINT never ended.  (A
# handler, unlike SIG_IGN, is not inherited: the children get SIG_DFL.)
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Hundreds of tests start a Python that imports this checkout's trampoline
# (an example, a script, an inner pytest).  With PYTHONDONTWRITEBYTECODE
# set in the shell that runs the suite, none of them wrote the bytecode of
# what it imported, so each compiled trampoline from source again: 0.15 s a
# child, a fifth of the suite.  Compiled here once, as Python would have
# itself without that variable (__pycache__ is in .gitignore; a source
# edited since is recompiled, its timestamp differs), the children read it.
if sys.flags.dont_write_bytecode:
    import compileall
    for _folder in ("trampoline", "examples", "benchmarks"):
        compileall.compile_dir(os.path.join(ROOT, _folder), quiet=2)

SELECTORS = {
    "default": lambda: None,                    # epoll on Linux
    "poll": getattr(selectors, "PollSelector", None),
    "select": selectors.SelectSelector,
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The watchdog (net_helpers.py) is held while pytest writes the report
    of a phase, and runs on for the rest of the test.  After its limit it
    fires every second until the test ends; a failure's report, with the
    source of every frame parsed, took longer than that on a loaded machine,
    and its Hung, raised inside pytest, ended the whole run (INTERNALERROR)
    without naming the test that was slow."""
    armed = (hasattr(signal, "setitimer")
             and getattr(signal.getsignal(signal.SIGALRM), "is_watchdog", False))
    left = signal.setitimer(signal.ITIMER_REAL, 0) if armed else (0.0, 0.0)
    try:
        yield
    finally:
        if left[0] and call.when != "teardown":
            signal.setitimer(signal.ITIMER_REAL, *left)


@pytest.fixture(params=[name for name, make in SELECTORS.items() if make is not None])
def run(request):
    """``run(coro)`` on a fresh kernel with each selector backend in turn."""
    make = SELECTORS[request.param]

    def run_on_backend(coro, **kwargs):
        return trampoline.run(coro, selector=make(), **kwargs)

    run_on_backend.backend = request.param
    return run_on_backend


@pytest.fixture
def quick_sweep(monkeypatch):
    """The kernel's sweep for descriptors closed under their waiters every
    50 ms instead of every second (``SWEEP_INTERVAL``; timers.py caps the
    poller's wait by its own copy), for tests that wait for the sweep to
    find one: the same sweep, the same errors, found 20 times sooner -- the
    suite spent a second on each.  (Not for tests that show something
    happens before the sweep: a shorter one would prove less there.)"""
    import trampoline.descriptors
    import trampoline.timers
    monkeypatch.setattr(trampoline.descriptors, "SWEEP_INTERVAL", 0.05)
    monkeypatch.setattr(trampoline.timers, "SWEEP_INTERVAL", 0.05)
