"""A pytest plugin: tests that are trampoline tasks.

Installed with the package (the ``pytest11`` entry point), it makes pytest
run a test marked ``@pytest.mark.trampoline`` -- a generator function or an
``async def`` -- as the main task of a fresh kernel::

    import pytest
    from trampoline import open_connection, sleep

    @pytest.mark.trampoline
    def test_the_server_says_hello(server_port):       # fixtures as usual
        stream = yield open_connection("127.0.0.1", server_port)
        assert (yield stream.readline()) == b"hello\\n"

    @pytest.mark.trampoline(virtual_clock=True)
    async def test_an_hour_passes_at_once():
        await sleep(3600)                               # returns at once

An exception inside the test fails it, as in any test, and so does a task
it spawned that crashed and was never joined (``run()`` would only log
it); tasks it left running are cancelled when it returns, as ``run()``
does.  Options of the
mark: ``virtual_clock=True`` runs the kernel on a ``VirtualClock`` (with
autojump: whenever every task waits on a timer, time jumps to the next
one), ``debug=True`` turns on debug mode, and ``timeout=SECONDS`` fails a
test still running after that long (in the kernel's time: virtual seconds
on a virtual clock).  ``pytestmark = pytest.mark.trampoline`` marks a whole
module; a plain (non-generator) function there runs as usual (marked
itself, it runs so too, with a warning: it is likely a test that forgot to
be a generator).  ``pytest.param(..., marks=pytest.mark.trampoline)`` marks
one case of a parametrized test; a generator function with a case so
marked is collected (pytest refuses generator tests), and a case of it left
unmarked fails, saying so.  The ``trampoline_clock`` fixture gives the test
its ``VirtualClock`` (or None).

Without installing, ``pytest -p trampoline.testing`` loads the plugin.
This module touches pytest only through its hooks; it is never imported by
the package itself.
"""

import inspect
import logging
from typing import Any, Dict, List, Optional

import pytest

from .clock import VirtualClock
from .kernel import Kernel
from .task import CRASH_REPORT
from .timeouts import timeout_after

__all__ = ["MARK", "pytest_configure", "pytest_pycollect_makeitem", "pytest_pyfunc_call",
           "trampoline_clock"]

#: The marker's name.
MARK = "trampoline"

_OPTIONS = ("virtual_clock", "debug", "timeout")


def pytest_configure(config: Any) -> None:
    """Register the marker, so that ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "trampoline(virtual_clock=False, debug=False, timeout=None): run this generator "
        "or async def test as the main task of a fresh trampoline kernel")


def _is_task_function(obj: Any) -> bool:
    return inspect.isgeneratorfunction(obj) or inspect.iscoroutinefunction(obj)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> Any:
    """Collect a marked generator function -- or one with a marked
    ``pytest.param`` case -- as a test (pytest would refuse it: "'yield'
    keyword is allowed in fixtures, but not in tests")."""
    if (inspect.isgeneratorfunction(obj) and collector.istestfunction(obj, name)
            and _marked(obj, collector)):
        return list(collector._genfunctions(name, obj))
    return None


def _marked(obj: Any, collector: Any) -> bool:
    """Whether ``obj``, the module or class around it, or one of its
    ``pytest.param(..., marks=pytest.mark.trampoline)`` cases carries the
    mark (the cases' marks reach the items only once they are made)."""
    for mark in list(getattr(obj, "pytestmark", ())) + list(collector.iter_markers()):
        if mark.name == MARK:
            return True
        if mark.name == "parametrize":
            cases = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues")
            if isinstance(cases, (list, tuple)) and any(     # (an iterator: not read twice)
                    m.name == MARK for case in cases for m in getattr(case, "marks", ())):
                return True
    return False


def _options(item: Any) -> Dict[str, Any]:
    mark = item.get_closest_marker(MARK)
    if mark.args:
        raise pytest.UsageError(
            "%s: @pytest.mark.trampoline takes keyword options only (%s), got %r"
            % (item.nodeid, ", ".join(_OPTIONS), mark.args))
    unknown = sorted(set(mark.kwargs) - set(_OPTIONS))
    if unknown:
        raise pytest.UsageError(
            "%s: unknown option(s) %s of @pytest.mark.trampoline; it takes %s"
            % (item.nodeid, ", ".join(unknown), ", ".join(_OPTIONS)))
    for name in ("virtual_clock", "debug"):
        if not isinstance(mark.kwargs.get(name, False), bool):
            raise pytest.UsageError(
                "%s: @pytest.mark.trampoline(%s=...) takes True or False, got %r"
                % (item.nodeid, name, mark.kwargs[name]))
    timeout = mark.kwargs.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not timeout > 0):
        raise pytest.UsageError(
            "%s: @pytest.mark.trampoline(timeout=...) takes seconds > 0 (or None), got %r"
            % (item.nodeid, timeout))
    return dict(mark.kwargs)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: Any) -> Optional[bool]:
    """Run a marked generator or ``async def`` test in a fresh kernel."""
    function = pyfuncitem.obj
    if pyfuncitem.get_closest_marker(MARK) is None:
        if inspect.isgeneratorfunction(function):      # collected for a marked case
            pytest.fail("%s is a generator function, but this case of it is not marked "
                        "@pytest.mark.trampoline: mark the function, or this case too"
                        % pyfuncitem.name, pytrace=False)
        return None
    if not _is_task_function(function):
        if any(mark.name == MARK for mark in getattr(function, "pytestmark", ())):
            pyfuncitem.warn(pytest.PytestWarning(
                "%s is marked @pytest.mark.trampoline but is neither a generator function "
                "nor an async def: it ran as a plain test, outside any kernel (a trap "
                "not yielded, or a coroutine not awaited, does nothing)" % pyfuncitem.name))
        return None
    options = _options(pyfuncitem)
    arguments = {name: pyfuncitem.funcargs[name]
                 for name in pyfuncitem._fixtureinfo.argnames}
    clock = pyfuncitem.funcargs.get("trampoline_clock")
    if clock is None and options.get("virtual_clock"):
        clock = VirtualClock()
    coro = function(**arguments)
    timeout = options.get("timeout")
    if timeout is not None:
        coro = timeout_after(timeout, coro)
    crashes = _Crashes()
    log = logging.getLogger("trampoline")
    log.addHandler(crashes)
    try:
        with Kernel(clock=clock, debug=bool(options.get("debug"))) as kernel:
            kernel.run(coro)
    finally:
        log.removeHandler(crashes)
    if crashes.reports:
        pytest.fail("%s passed, but %d task(s) it spawned crashed and were never "
                    "joined:\n\n%s" % (pyfuncitem.name, len(crashes.reports),
                                         "\n\n".join(crashes.reports)), pytrace=False)
    return True


class _Crashes(logging.Handler):
    """Collects the kernel's reports of crashes nobody joined (they go on
    to the log too)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reports = []  # type: List[str]

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == CRASH_REPORT:
            self.reports.append("%s\n%s" % (record.getMessage(), record.exc_text))


@pytest.fixture
def trampoline_clock(request: Any) -> Optional[VirtualClock]:
    """The ``VirtualClock`` a ``@pytest.mark.trampoline(virtual_clock=True)``
    test runs on (None without ``virtual_clock=True``): read it for the
    virtual time, or ``advance`` it by hand."""
    mark = request.node.get_closest_marker(MARK)
    if mark is not None and mark.kwargs.get("virtual_clock"):
        return VirtualClock()
    return None
