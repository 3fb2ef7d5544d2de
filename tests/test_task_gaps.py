"""What Task (task.py) promises that no other test pinned -- found by
mutation testing: reading ``exception`` counts as looking at a crash, a
crashed task's repr names its exception, ``where()`` follows ``await``
chains, and how an unjoined crash is reported (the logger's level, the
crash hooks, the task's own context)."""

import contextvars
import logging

import pytest

import trampoline
from trampoline import run, sleep, spawn
from trampoline.task import add_crash_hook, remove_crash_hook

from task_helpers import marked_line, until

REQUEST = contextvars.ContextVar("REQUEST", default="no request")


def crashes():
    REQUEST.set("request 7")            # the task's own context
    raise ValueError("boom")
    yield


def crashed_child(look):
    """run() a main task whose child crashes unjoined; ``look(child)`` is
    what main does with it once it has ended.  The crash reports heard."""
    heard = []

    def hook(task_id, name, exc, text):
        heard.append((name, repr(exc), REQUEST.get()))

    def main():
        child = yield spawn(crashes())
        yield until(lambda: child.done)
        look(child)
        return child                    # (held: reported as run() ends, if at all)

    add_crash_hook(hook)
    try:
        child = run(main())
    finally:
        remove_crash_hook(hook)
    return child, heard


def test_reading_a_crashed_tasks_exception_counts_as_looking():
    """``task.exception`` is looking at the crash, as ``result`` and
    ``join`` are (asyncio's ``Task.exception()`` likewise): no report."""
    _, heard = crashed_child(lambda child: child.exception)
    assert heard == []
    _, heard = crashed_child(lambda child: None)
    assert heard == [("crashes", "ValueError('boom')", "request 7")]


def test_a_crashed_tasks_repr_names_its_exception():
    child, _ = crashed_child(lambda child: child.exception)
    assert repr(child) == "<Task %d crashes crashed with ValueError('boom')>" % child.id


def test_the_crash_report_is_made_in_the_crashed_tasks_context(caplog):
    """A logging filter (or a crash hook) reading a context variable -- a
    request's id -- sees the crashed task's value, as asyncio logs in the
    task's context; not an empty context's default."""
    seen = []

    class Request(logging.Filter):
        def filter(self, record):
            seen.append(REQUEST.get())
            return True

    logger = logging.getLogger("trampoline")
    request = Request()
    logger.addFilter(request)
    try:
        with caplog.at_level(logging.ERROR, logger="trampoline"):
            _, heard = crashed_child(lambda child: None)
    finally:
        logger.removeFilter(request)
    assert seen == ["request 7"] and heard[0][2] == "request 7"


def test_a_logger_set_to_critical_gets_no_crash_record_but_the_hooks_hear_it():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("trampoline")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    try:
        logger.setLevel(logging.CRITICAL)
        _, heard = crashed_child(lambda child: None)
        assert records == [] and len(heard) == 1
        logger.setLevel(logging.ERROR)
        crashed_child(lambda child: None)
        assert [record.levelno for record in records] == [logging.ERROR]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_crash_hook_that_removes_itself_leaves_the_next_one_its_report():
    heard = []

    def once(*report):
        heard.append("once")
        remove_crash_hook(once)

    def always(*report):
        heard.append("always")

    add_crash_hook(once)
    add_crash_hook(always)
    try:
        crashed_child(lambda child: None)
        crashed_child(lambda child: None)
    finally:
        remove_crash_hook(always)
    assert heard == ["once", "always", "always"]


class Later:
    """An awaitable of the program's own, whose ``__await__`` waits."""

    def __await__(self):
        yield from sleep(3600).__await__()      # LATER_WAITS


async def helper():
    await Later()                       # HELPER_AWAITS


async def sleeper():
    await helper()                      # SLEEPER_AWAITS


@pytest.mark.parametrize("spawned", [sleeper, helper])
def test_where_follows_the_await_chain_down_to_the_programs_own_await(spawned):
    """``where()``: every frame of the await chain, outermost first -- the
    program's own ``__await__`` too; only the trap's ``__await__``, under
    every ``await sleep(...)``, is left out."""
    def main():
        task = yield spawn(spawned())
        yield until(lambda: task.waiting is not None)
        where = task.where()
        yield trampoline.cancel(task)
        return where

    frames = [(name, line) for _, line, name in run(main())]
    expected = [("helper", marked_line(__file__, "HELPER_AWAITS")),
                ("__await__", marked_line(__file__, "LATER_WAITS"))]
    if spawned is sleeper:
        expected.insert(0, ("sleeper", marked_line(__file__, "SLEEPER_AWAITS")))
    assert frames == expected
