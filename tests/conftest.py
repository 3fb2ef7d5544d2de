"""Shared fixtures: run I/O tests on every poller backend.

Child processes -- the scripts tests write and run -- import this
checkout's ``trampoline`` through PYTHONPATH, set here once, rather than
each putting the checkout on ``sys.path``."""

import os
import selectors

import pytest

import trampoline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))

SELECTORS = {
    "default": lambda: None,                    # epoll on Linux
    "poll": getattr(selectors, "PollSelector", None),
    "select": selectors.SelectSelector,
}


@pytest.fixture(params=[name for name, make in SELECTORS.items() if make is not None])
def run(request):
    """``run(coro)`` on a fresh kernel with each selector backend in turn."""
    make = SELECTORS[request.param]

    def run_on_backend(coro, **kwargs):
        return trampoline.run(coro, selector=make(), **kwargs)

    run_on_backend.backend = request.param
    return run_on_backend
