"""The bridges between trampoline and the rest of the world, at their edges:
an asyncio outcome racing a cancellation, a driver made where it cannot
drive, a UniversalQueue under mixed load (trampoline.aio,
trampoline.universal)."""

import asyncio
import logging
import select

import pytest

from trampoline import Kernel, VirtualClock, run, sleep, timeout_after
from trampoline.aio import AsyncioDriver, AsyncioThread, await_asyncio, run_trampoline

from net_helpers import watchdog  # noqa: F401 (autouse: a hang fails)

WATCHDOG_SECONDS = 30


@pytest.fixture
def asyncio_thread():
    thread = AsyncioThread(name="test-bridges")
    yield thread
    thread.close()


def _gate(loop):
    """An asyncio.Event made on ``loop`` (3.8's binds to the loop it is made on)."""
    async def make():
        return asyncio.Event()
    return asyncio.run_coroutine_threadsafe(make(), loop).result(5)


@pytest.mark.parametrize("outcome", ["result", "error"])
def test_an_asyncio_outcome_back_when_a_timeout_fires_is_kept(asyncio_thread, outcome):
    """The asyncio coroutine has finished (an INSERT made, say) and its
    outcome is back in the kernel, the task woken, when its timeout fires in
    the same round: the task gets the outcome, as ``run_in_thread``'s does
    (the cancellation waits for its next blocking trap).  It got
    ``TaskTimeout`` and the row id was lost."""
    loop = asyncio_thread.loop
    gate = _gate(loop)
    made = []

    async def insert():
        await gate.wait()
        made.append("row")
        if outcome == "error":
            raise ValueError("constraint failed")
        return "row-id"

    got = []

    def task():
        try:
            got.append((yield timeout_after(5, await_asyncio(insert(), loop=loop))))
        except Exception as exc:
            got.append(exc)

    clock = VirtualClock(autojump_threshold=float("inf"))
    with Kernel(clock=clock) as kernel:
        waiter = kernel.spawn(task())
        kernel.run_once(0)                  # it parks, awaiting asyncio
        assert not got
        loop.call_soon_threadsafe(gate.set)
        # The outcome is handed back: a call waits in the kernel.
        assert select.select([kernel.fileno()], [], [], 10)[0]
        clock.advance(10)                   # and its timeout is due
        while waiter.state in ("ready", "parked"):
            kernel.run_once(0)
    assert made == ["row"]
    if outcome == "result":
        assert got == ["row-id"]
    else:
        assert type(got[0]) is ValueError and str(got[0]) == "constraint failed"


# ================================ a driver where the kernel cannot run

def _inner():
    yield sleep(0)
    return "inner"


def test_run_trampoline_in_an_asyncio_loop_run_inside_a_task_raises_at_once(caplog):
    """An asyncio loop run (blocking) inside a trampoline task cannot drive
    another kernel: ``run_once()`` refuses to run inside a running kernel.
    ``run_trampoline`` raises that, as ``asyncio.run`` inside a running loop
    does.  It logged "Exception in callback AsyncioDriver.step()" again and
    again, the kernel's descriptor readable, spinning, and waited for ever
    (a timeout's cancellation then waited for a cleanup nothing would run)."""
    def task():
        async def main():
            return await asyncio.wait_for(run_trampoline(_inner()), 10)
        try:
            asyncio.run(main())
        except RuntimeError as exc:
            return exc
        yield sleep(0)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        error = run(task())
    assert isinstance(error, RuntimeError)
    assert "cannot drive" in str(error) and "inside a running kernel" in str(error)
    assert not [r for r in caplog.records if r.name == "asyncio"]


def _running_loop_of_asyncio():
    async def loop():
        return asyncio.get_running_loop()
    return (yield await_asyncio(loop()))


def test_a_driver_whose_loop_was_closed_lets_the_kernel_go():
    """A driver never closed, its loop closed (``asyncio.run()`` ended):
    it drives nothing.  The kernel may be run, its tasks awaiting asyncio on
    the process's asyncio thread, or driven by another loop -- the dead
    driver refused the new one ("already driven"), and ``await_asyncio``
    sent its coroutines to the closed loop (``RuntimeError``)."""
    with Kernel() as kernel:
        async def forgets_to_close():
            AsyncioDriver(kernel)

        asyncio.run(forgets_to_close())
        loop = kernel.run(_running_loop_of_asyncio())
        assert loop.is_running() and not loop.is_closed()      # the asyncio thread's

        async def drives_again():
            async with AsyncioDriver(kernel) as driver:
                return await driver.run(_running_loop_of_asyncio()), asyncio.get_running_loop()

        there, here = asyncio.run(drives_again())
        assert there is here
