"""Run by .ci/run from a temporary directory, against the installed wheel
(the plugin loads through its pytest11 entry point, no -p): two tests per
kind pass, and .ci/run checks that the two marked ``xfail_`` ones failed."""

import time

import pytest

from trampoline import Queue, sleep, spawn


@pytest.mark.trampoline
def test_generator():
    queue = Queue()

    def producer():
        yield queue.put("item")

    yield spawn(producer())
    assert (yield queue.get()) == "item"


@pytest.mark.trampoline
async def test_async_def():
    await sleep(0.001)


@pytest.mark.trampoline(virtual_clock=True)
def test_generator_on_the_virtual_clock(trampoline_clock):
    started = time.monotonic()
    yield sleep(3600)
    assert trampoline_clock() == 3600.0 and time.monotonic() - started < 1


@pytest.mark.trampoline(virtual_clock=True)
async def test_async_def_on_the_virtual_clock():
    started = time.monotonic()
    await sleep(3600)
    assert time.monotonic() - started < 1


@pytest.mark.trampoline
def test_xfail_generator_that_fails():
    yield sleep(0)
    raise AssertionError("this one must fail")


@pytest.mark.trampoline(virtual_clock=True)
async def test_xfail_async_def_that_fails():
    await sleep(10)
    raise AssertionError("this one must fail too")
