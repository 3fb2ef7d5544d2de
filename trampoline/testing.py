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
it; a test that failed itself shows such crashes beside its error); tasks
it left running are cancelled when it returns, as ``run()``
does.  Options of the
mark: ``virtual_clock=True`` runs the kernel on a ``VirtualClock`` (with
autojump: whenever every task waits on a timer, time jumps to the next
one), ``debug=True`` turns on debug mode (as ``TRAMPOLINE_DEBUG=1`` does for
every test, the way it does for ``run()``; ``TRAMPOLINE_TRACE=1`` and
``TRAMPOLINE_MONITOR`` likewise trace every test's kernel and give it a
monitor), and ``timeout=SECONDS`` fails a
test still running after that long (in the kernel's time: virtual seconds
on a virtual clock).  ``pytestmark = pytest.mark.trampoline`` marks a whole
module; a plain (non-generator) function there runs as usual (marked
itself, it runs so too, with a warning: it is likely a test that forgot to
be a generator).  ``pytest.param(..., marks=pytest.mark.trampoline)`` marks
one case of a parametrized test; a generator function with a case so
marked is collected (pytest refuses generator tests), and a case of it left
unmarked fails, saying so.  The ``trampoline_clock`` fixture gives the test
its ``VirtualClock`` (or None).  Under Hypothesis's ``@given`` (above the
mark or below it), each example runs so, in a kernel of its own, its async
fixtures set up for it.

``async def`` fixtures run in the test's kernel, in its main task, so one
can start a server task the test then talks to::

    @pytest.fixture
    async def server_port():
        ready = Future()
        server = await spawn(tcp_server("127.0.0.1", 0, hello, ready=ready))
        host, port = await ready
        yield port                      # the test body runs here
        await cancel(server)            # teardown: after it, in the kernel

A coroutine fixture's value is what it returns; an async generator's what
it yields, once, its teardown after the ``yield``.  They are set up before
the test body, each after the fixtures it uses, torn down after it in
reverse order, before the tasks left running are cancelled, all under the
mark's ``timeout``.  An exception in a setup or a teardown fails the test
with ``AsyncFixtureError``, naming the fixture, its cause that exception;
the fixtures set up are torn down all the same.  Refused, with an error
naming the fixture: a scope other than "function" (one kernel per test),
an async fixture used by a test that is no trampoline task, or by a plain
fixture (which pytest sets up before any kernel runs).  A plain generator
fixture is pytest's own ``yield`` fixture, never a task: only ``async def``
marks a fixture as trampoline code.

Without installing, ``pytest -p trampoline.testing`` loads the plugin.
This module touches pytest only through its hooks (and pytest's own
``resolve_fixture_function``, which binds a fixture that is a method to the
test's instance); it is never imported by the package itself.
"""

import functools
import inspect
from typing import (Any, AsyncGenerator, Callable, Dict, Iterable, List, Optional, Tuple,
                    cast)

import pytest
try:
    from _pytest.fixtures import resolve_fixture_function   # binds a fixture method, as pytest does
except ImportError:                 # pragma: no cover - a pytest without it (private API)
    def resolve_fixture_function(fixturedef: Any, request: Any) -> Any:  # type: ignore[misc]
        return fixturedef.func

from .clock import VirtualClock
from .diagnostics import KERNEL_FRAMES, _is_deadlock
from .errors import TrampolineError
from .hostloop import current_task
from .kernel import Kernel
from .runner import _with_environment
from .task import add_crash_hook, remove_crash_hook
from .timeouts import TaskTimeout, TimeoutCancelled, TimeoutScope
from .traps import call

__all__ = ["MARK", "AsyncFixtureError", "pytest_configure", "pytest_pycollect_makeitem",
           "pytest_fixture_setup", "pytest_pyfunc_call", "trampoline_clock"]

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
    """Run a marked generator or ``async def`` test in a fresh kernel, inside
    its async fixtures."""
    __tracebackhide__ = _is_plugin_error        # (pytest calls it with the ExceptionInfo)
    function = pyfuncitem.obj
    if pyfuncitem.get_closest_marker(MARK) is None:
        if inspect.isgeneratorfunction(function):      # collected for a marked case
            pytest.fail("%s is a generator function, but this case of it is not marked "
                        "@pytest.mark.trampoline: mark the function, or this case too"
                        % pyfuncitem.name, pytrace=False)
        return None
    inner = _given_test(function)
    if inner is not None:
        # Hypothesis's @given: its wrapper, a plain function pytest calls,
        # calls ``inner_test`` -- the test -- once per example: each
        # example runs in a kernel of its own, its async fixtures set up
        # for it (as pytest-trio and pytest-asyncio do).
        function.hypothesis.inner_test = _examples(pyfuncitem, _options(pyfuncitem), inner)
        return None
    if not _is_task_function(function):
        if any(mark.name == MARK for mark in getattr(function, "pytestmark", ())):
            pyfuncitem.warn(pytest.PytestWarning(
                "%s is marked @pytest.mark.trampoline but is neither a generator function "
                "nor an async def: it ran as a plain test, outside any kernel (a trap "
                "not yielded, or a coroutine not awaited, does nothing)" % pyfuncitem.name))
        return None
    arguments = {name: pyfuncitem.funcargs[name]
                 for name in pyfuncitem._fixtureinfo.argnames}
    _run_in_kernel(pyfuncitem, _options(pyfuncitem), function, (), arguments)
    return True


def _given_test(function: Any) -> Any:
    """The generator or async def test that Hypothesis's ``@given`` made
    ``function`` of, or None."""
    inner = getattr(getattr(function, "hypothesis", None), "inner_test", None)
    inner = getattr(inner, "_trampoline_test", inner)       # (wrapped for another case)
    return inner if _is_task_function(inner) else None


def _examples(pyfuncitem: Any, options: Dict[str, Any],
              test: Callable[..., Any]) -> Callable[..., None]:
    """Hypothesis's ``inner_test`` for ``test``: each call, an example, in
    a fresh kernel."""
    @functools.wraps(test)
    def example(*args: Any, **arguments: Any) -> None:
        __tracebackhide__ = _is_plugin_error
        _run_in_kernel(pyfuncitem, options, test, args, arguments)
    example._trampoline_test = test         # type: ignore[attr-defined]
    return example


def _run_in_kernel(pyfuncitem: Any, options: Dict[str, Any], function: Callable[..., Any],
                   args: Tuple[Any, ...], arguments: Dict[str, Any]) -> None:
    """Run ``function(*args, **arguments)`` inside the test's async
    fixtures (placeholders among ``arguments``, set up here) as the main
    task of a fresh kernel; fail the test as it should."""
    __tracebackhide__ = _is_plugin_error
    clock = pyfuncitem.funcargs.get("trampoline_clock")
    if clock is None and options.get("virtual_clock"):
        clock = VirtualClock()
    fixtures = _in_order(pyfuncitem.funcargs.values())
    coro = (_with_fixtures(fixtures, function, args, arguments) if fixtures
            else function(*args, **arguments))
    timeout = options.get("timeout")
    scope = None
    if timeout is not None:
        scope = TimeoutScope(timeout, what=pyfuncitem.name)
        coro = _within(scope, coro)
    # The main task is named for the test, as run()'s is for its function
    # (a task takes its coroutine's name): not for the wrappers above, in a
    # deadlock's report, a trace, the monitor.
    cast(Any, coro).__qualname__ = function.__qualname__
    crashes = []  # type: List[str]

    def crashed(task_id: int, name: str, exc: Optional[BaseException], report: str) -> None:
        crashes.append(report)

    add_crash_hook(crashed)     # whatever level the program set its logger to
    returned = False
    try:
        # The environment switches on debug mode, the monitor and a trace,
        # as it does for run().
        debug, monitor, instruments = _with_environment(bool(options.get("debug")), False, ())
        with Kernel(clock=clock, debug=debug, monitor=monitor,
                    instruments=instruments) as kernel:
            kernel.run(coro)
        returned = True
    except AsyncFixtureError as error:      # the fixture's traceback is its cause's; the
        raise error.with_traceback(None)    # kernel's frames would only hide it
    except RuntimeError as error:
        if KERNEL_FRAMES or not _is_deadlock(error):
            raise
        # Its message says where each task waits, as run() shows it; pages
        # of the plugin's and the kernel's source would only bury it.
        error._trampoline_plugin = True     # type: ignore[attr-defined]
        raise error.with_traceback(None)
    except TaskTimeout as error:
        stuck = error.__cause__
        if scope is None or not isinstance(stuck, TimeoutCancelled) or stuck.scope is not scope:
            raise                           # the test's own timeout_after, say
        # The mark's timeout: where the test was stuck is its cause's
        # traceback; the kernel's and the scope's frames would only hide it.
        timed_out = TaskTimeout("%s did not finish within %g s (the timeout of its "
                                "@pytest.mark.trampoline)" % (pyfuncitem.name, cast(float, timeout)))
        timed_out._trampoline_plugin = True     # type: ignore[attr-defined]
        raise timed_out from stuck
    finally:
        remove_crash_hook(crashed)
        if crashes and not returned:        # failed itself: the crashes too, beside its error
            pyfuncitem.add_report_section("call", "crashes", "%s failed, and %s" % (
                pyfuncitem.name, _crashed(crashes)))
    if crashes:
        pytest.fail("%s passed, but %s" % (pyfuncitem.name, _crashed(crashes)), pytrace=False)


def _crashed(crashes: List[str]) -> str:
    return "%d task(s) it spawned crashed and were never joined:\n\n%s" % (
        len(crashes), "\n\n".join(crashes))


# ------------------------------------------------------------ async fixtures
#
# pytest sets fixtures up before the test runs, outside any kernel, so an
# async def fixture cannot run there.  For a trampoline test,
# pytest_fixture_setup hands pytest an _AsyncFixture instead -- a
# placeholder, the fixture's value as far as pytest knows -- and
# pytest_pyfunc_call sets the placeholders up in the test's kernel, each
# after the fixtures it uses, runs the test inside them all, and tears them
# down in reverse order: one try/finally per fixture, so each teardown runs
# whatever happened inside it, before run() cancels the tasks left over.


class AsyncFixtureError(TrampolineError):
    """An ``async def`` fixture of a ``@pytest.mark.trampoline`` test raised
    in its setup or its teardown (its exception is ``__cause__``), or
    yielded twice."""


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Any:
    """Set an ``async def`` fixture (a coroutine or an async generator
    function) of a trampoline test aside, to be set up in the test's kernel;
    refuse one that no kernel would run -- of a scope wider than the test, or
    used by a test that is no trampoline task -- and a plain fixture that
    uses one.  Other fixtures are left to pytest (and to other plugins: an
    async fixture one of them has wrapped is not async any more)."""
    try:
        return _set_aside(fixturedef, request)
    except pytest.fail.Exception as error:
        # Refused: the fixture's outcome, as pytest's own setup records an
        # error (pytest 9.2 finishes a fixture -- runs its finalizers --
        # only if it has one; the next test using it broke on them).
        fixturedef.cached_result = (None, fixturedef.cache_key(request),
                                    (error, error.__traceback__))
        raise


def _set_aside(fixturedef: Any, request: Any) -> Any:
    function = resolve_fixture_function(fixturedef, request)
    name = fixturedef.argname
    is_async = inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)
    if is_async and fixturedef.scope != "function":
        pytest.fail("async fixture %r has scope %r: an async fixture runs in the test's "
                    "kernel, one per test, so its scope must be 'function'"
                    % (name, fixturedef.scope), pytrace=False)
    arguments = {argname: request.getfixturevalue(argname) for argname in fixturedef.argnames}
    test = request.node
    if not is_async:
        for argname, value in arguments.items():
            if isinstance(value, _AsyncFixture):
                pytest.fail("fixture %r of %s uses the async fixture %r but is not async def "
                            "itself: make it async def too (async fixtures are set up in the "
                            "test's kernel, when the test runs)" % (name, test.name, argname),
                            pytrace=False)
        return None
    obj = getattr(test, "obj", None)
    if test.get_closest_marker(MARK) is None or not (_is_task_function(obj)
                                                     or _given_test(obj) is not None):
        pytest.fail("async fixture %r is used by %s, which is not a @pytest.mark.trampoline "
                    "generator or async def test: no kernel would run the fixture"
                    % (name, test.name), pytrace=False)
    if current_task() is not None:
        pytest.fail("async fixture %r was requested inside %s, while it runs: name it as an "
                    "argument of the test, to have it set up before" % (name, test.name),
                    pytrace=False)
    fixture = _AsyncFixture(name, test.name, function, arguments)
    fixturedef.cached_result = (fixture, fixturedef.cache_key(request), None)
    return fixture


class _AsyncFixture:
    """An async fixture of a trampoline test, set aside: pytest's value of
    the fixture until the test runs; ``value`` is then what the fixture
    returned or yielded."""

    def __init__(self, name: str, test: str, function: Callable[..., Any],
                 arguments: Dict[str, Any]) -> None:
        self.name = name
        self.test = test
        self.function = function
        self.arguments = arguments          # fixture name -> value (or _AsyncFixture)
        self.value = None                   # type: Any
        self._generator = None              # type: Optional[AsyncGenerator[Any, None]]

    def _error(self, what: str) -> AsyncFixtureError:
        return AsyncFixtureError("async fixture %r of %s %s" % (self.name, self.test, what))

    async def set_up(self) -> None:
        __tracebackhide__ = True
        arguments = _values(self.arguments)
        try:
            if inspect.isasyncgenfunction(self.function):
                self._generator = self.function(**arguments)
                self.value = await _Step(self._generator)
            else:
                self.value = await self.function(**arguments)
        except StopAsyncIteration:
            raise self._error("did not yield a value") from None
        except Exception as exc:
            raise self._error("raised in its setup") from exc

    async def tear_down(self) -> None:
        __tracebackhide__ = True
        if self._generator is None:
            return
        try:
            await _Step(self._generator)
        except StopAsyncIteration:
            return
        except Exception as exc:
            raise self._error("raised in its teardown") from exc
        await self._generator.aclose()
        raise self._error("yielded twice: an async fixture yields once")


class _Step:
    """``await _Step(generator)``: ``await generator.__anext__()``, for an
    async generator fixture, showing the generator's frame as a coroutine
    shows its own (``cr_frame``, ``cr_await``) -- to a deadlock's report,
    debug mode's stack, the monitor -- where ``__anext__``'s awaitable has
    none: they said the test's task was "parked on <park queue=...>", not
    which line of the fixture waited."""

    __slots__ = ("_generator", "_step")

    def __init__(self, generator: Any) -> None:
        self._generator = generator
        self._step = generator.__anext__()

    def __await__(self) -> "_Step":
        return self

    def __iter__(self) -> "_Step":
        return self

    def __next__(self) -> Any:
        return self._step.send(None)

    def send(self, value: Any) -> Any:
        return self._step.send(value)

    def throw(self, *exc: Any) -> Any:
        return self._step.throw(*exc)

    def close(self) -> None:
        self._step.close()

    @property
    def cr_frame(self) -> Any:
        return self._generator.ag_frame

    @property
    def cr_await(self) -> Any:
        return self._generator.ag_await


def _is_plugin_error(excinfo: Any) -> bool:
    """Whether the plugin's frame is of no interest in a traceback: an
    async fixture's failure, or the mark's timeout (both say where in the
    user's code, in their cause)."""
    return bool(excinfo.errisinstance(AsyncFixtureError)
                or getattr(excinfo.value, "_trampoline_plugin", False))


def _values(arguments: Dict[str, Any]) -> Dict[str, Any]:
    return {name: value.value if isinstance(value, _AsyncFixture) else value
            for name, value in arguments.items()}


def _in_order(values: Iterable[Any]) -> List[_AsyncFixture]:
    """The async fixtures among ``values``, and those they use, each after
    those it uses."""
    order = []  # type: List[_AsyncFixture]

    def visit(value: Any) -> None:
        if isinstance(value, _AsyncFixture) and value not in order:
            for argument in value.arguments.values():
                visit(argument)
            order.append(value)

    for value in values:
        visit(value)
    return order


async def _within(scope: TimeoutScope, coro: Any) -> Any:
    """Run ``coro`` (the test, inside its fixtures) under the mark's timeout."""
    __tracebackhide__ = True
    with scope:
        return await call(coro)


async def _with_fixtures(fixtures: List[_AsyncFixture], function: Callable[..., Any],
                         args: Tuple[Any, ...], arguments: Dict[str, Any]) -> Any:
    """Set ``fixtures[0]`` up, run the rest inside it (the other fixtures,
    then the test), and tear it down."""
    __tracebackhide__ = True
    if not fixtures:
        return await call(function(*args, **_values(arguments)))
    await fixtures[0].set_up()
    try:
        return await _with_fixtures(fixtures[1:], function, args, arguments)
    finally:
        await fixtures[0].tear_down()


@pytest.fixture
def trampoline_clock(request: Any) -> Optional[VirtualClock]:
    """The ``VirtualClock`` a ``@pytest.mark.trampoline(virtual_clock=True)``
    test runs on (None without ``virtual_clock=True``): read it for the
    virtual time, or ``advance`` it by hand."""
    mark = request.node.get_closest_marker(MARK)
    if mark is not None and mark.kwargs.get("virtual_clock"):
        return VirtualClock()
    return None
