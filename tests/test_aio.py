"""trampoline.aio: a kernel driven by an asyncio loop, and asyncio coroutines
awaited from trampoline tasks -- over real sockets, with both loops' own
cancellation."""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from trampoline import (Future, Kernel, TaskTimeout, VirtualClock, accept, current_time, join,
                        listen, read, run, sleep, spawn, timeout_after, write)
from trampoline.aio import AsyncioDriver, AsyncioThread, await_asyncio, run_trampoline

from net_helpers import asyncio_run, watchdog  # noqa: F401 (autouse: a hang fails)

WATCHDOG_SECONDS = 30


# ============================================== trampoline inside asyncio

def test_asyncio_awaits_a_trampoline_coroutine_while_its_own_tasks_run():
    """A trampoline echo over a real socket, run from asyncio, while an
    asyncio task ticks beside it: both make progress in one thread."""
    ticks = []

    def echo_once():
        with listen(("127.0.0.1", 0)) as listener, socket.socket() as client:
            client.setblocking(False)
            client.connect_ex(listener.getsockname())
            server_side, _ = yield accept(listener)
            with server_side:
                yield write(client, b"ping")
                data = yield read(server_side, 4)
                yield sleep(0.05)
                return data

    async def ticker(stop):
        while not stop.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    async def main():
        stop = asyncio.Event()
        beside = asyncio.ensure_future(ticker(stop))
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                result = await driver.run(echo_once())
        stop.set()
        await beside
        return result

    assert asyncio_run(main()) == b"ping"
    assert len(ticks) >= 3          # asyncio ran during the trampoline sleep


def test_run_trampoline_gives_the_result_and_raises_the_exception():
    def answer():
        yield sleep(0.001)
        return 42

    async def fails():
        await sleep(0)
        raise ValueError("from trampoline")

    assert asyncio_run(run_trampoline(answer())) == 42
    with pytest.raises(ValueError, match="from trampoline"):
        asyncio_run(run_trampoline(fails()))


def test_run_trampoline_with_a_bad_option_closes_the_coroutine(recwarn):
    """Kernel() refuses the option, naming it; the coroutine, which will
    never run, is closed -- not left to warn "never awaited" (run()'s rule)."""
    async def main():
        return 1

    coro = main()
    with pytest.raises(TypeError, match="no_such_option"):
        asyncio_run(run_trampoline(coro, no_such_option=True))
    assert coro.cr_frame is None
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_run_trampoline_cancels_what_the_coroutine_left_running():
    cleaned = []

    def forever():
        try:
            yield sleep(3600)
        finally:
            cleaned.append("forever")

    def main():
        yield spawn(forever())
        yield sleep(0.001)
        return "done"

    assert asyncio_run(run_trampoline(main())) == "done"
    assert cleaned == ["forever"]


def test_run_trampoline_cancels_the_rest_even_with_a_cancellation_pending_as_main_ends():
    """The main coroutine returns with a cancellation still pending (its
    own ``cancel(me, wait=False)``: at its next blocking trap).  It came at
    the first cancel of the others that waited, the rest were left running
    -- dropped, cleanup unrun, by the kernel's close -- and the result was
    lost to a ``CancelledError``.  Now every other task is cancelled and
    its cleanup runs, and the result comes back, as ``run()`` does."""
    from trampoline import cancel, current
    from trampoline.kernel import BUDGET

    cleaned = []
    others = []

    def sleeper(number):
        try:
            yield sleep(3600)
        finally:
            cleaned.append(number)

    def main():
        me = yield current()
        for number in range(BUDGET + 5):
            others.append((yield spawn(sleeper(number))))
        yield sleep(0)                  # they wait
        yield cancel(me, wait=False)    # a cancellation at our next blocking trap
        return "done"                   # ...but we have none

    try:
        result = asyncio_run(run_trampoline(main()))
    except asyncio.CancelledError:
        result = "CancelledError"
    assert [task.state for task in others] == ["cancelled"] * len(others)
    assert sorted(cleaned) == list(range(BUDGET + 5))
    assert result == "done"


def test_run_trampoline_cancels_a_task_spawned_by_another_ones_cleanup():
    """A task's cleanup spawns a task (a last message, say): that one is
    cancelled too, and its cleanup runs, as ``run()`` does at its end.  It
    was left running -- then dropped by the kernel's close."""
    cleaned = []
    spawned = []

    def forever(name):
        try:
            yield sleep(3600)
        finally:
            cleaned.append(name)

    def spawns_in_its_cleanup():
        try:
            yield sleep(3600)
        finally:
            spawned.append((yield spawn(forever("spawned by a cleanup"))))

    def main():
        yield spawn(spawns_in_its_cleanup())
        yield sleep(0)                  # it waits
        return "done"

    assert asyncio_run(run_trampoline(main())) == "done"
    assert [task.state for task in spawned] == ["cancelled"]
    assert cleaned == ["spawned by a cleanup"]


def test_cancelling_run_trampoline_from_asyncio_runs_the_cleanup_and_goes_on():
    """asyncio cancels the task awaiting ``run_trampoline`` (a timeout, a
    shutdown): the main coroutine is cancelled, its cleanup and the other
    tasks' runs, and ``CancelledError`` goes on.  It hung for ever: at its
    end the main task cancelled, with the others, the driver's own task
    that was cancelling it and would say when it had ended."""
    cleaned = []

    def forever(name):
        try:
            yield sleep(3600)
        finally:
            cleaned.append(name)

    def main(started):
        yield spawn(forever("other"))
        started.set()                   # (the loops share the thread)
        yield forever("main")

    async def outer():
        started = asyncio.Event()
        running = asyncio.ensure_future(run_trampoline(main(started)))
        await started.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running               # (a hang, without the fix: the watchdog's)

    asyncio_run(outer())
    assert sorted(cleaned) == ["main", "other"]


def test_cancelling_the_asyncio_side_cancels_the_trampoline_task():
    events = []

    def forever(started):
        started.set_result(None)
        try:
            yield sleep(3600)
        finally:
            events.append("trampoline cleanup")

    async def main():
        loop = asyncio.get_running_loop()
        started = loop.create_future()
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                waiting = asyncio.ensure_future(driver.run(forever(started)))
                await started
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                events.append("asyncio saw it")

    asyncio_run(main())
    assert events == ["trampoline cleanup", "asyncio saw it"]


def test_cancelled_twice_the_asyncio_side_still_waits_for_the_trampoline_cleanup(caplog):
    """A timeout cancels the awaiting asyncio task, then the program's
    shutdown cancels it again while the trampoline task's cleanup runs: the
    asyncio task still ends only once that cleanup is done, and nothing
    crashes (the second cancel used to end it at once, and the cleanup's end
    then set a cancelled future: InvalidStateError, logged as a crash)."""
    events = []

    def work(started, cleanup_started, release):
        started.set_result(None)
        try:
            yield sleep(3600)
        finally:
            cleanup_started.set_result(None)
            yield release                   # a cleanup that takes a while
            events.append("trampoline cleanup done")

    async def main():
        loop = asyncio.get_running_loop()
        started, cleanup_started = loop.create_future(), loop.create_future()
        release = Future()
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                waiting = asyncio.ensure_future(
                    driver.run(work(started, cleanup_started, release)))
                await started
                waiting.cancel()                    # the timeout
                await cleanup_started
                waiting.cancel()                    # the shutdown
                for _ in range(5):                  # its turns to end, if it would
                    await asyncio.sleep(0)
                events.append("asyncio task done: %s" % waiting.done())
                release.set_result(None)
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                events.append("asyncio saw it")
                while kernel.tasks():               # the kernel's own task too
                    await asyncio.sleep(0)

    asyncio_run(main())
    assert events == ["asyncio task done: False", "trampoline cleanup done", "asyncio saw it"]
    assert "crashed" not in caplog.text and "InvalidStateError" not in caplog.text


def test_closing_the_driver_ends_a_wait_for_a_cleanup_nothing_will_run():
    """The awaiting side, cancelled, waits for the trampoline task's
    cleanup; the driver closed meanwhile (by other asyncio code) will never
    run it: the wait ends, and CancelledError goes on."""
    def work(started, cleanup_started):
        started.set_result(None)
        try:
            yield sleep(3600)
        finally:
            cleanup_started.set_result(None)
            yield sleep(3600)               # never gets its turn again

    async def main():
        loop = asyncio.get_running_loop()
        started, cleanup_started = loop.create_future(), loop.create_future()
        with Kernel() as kernel:
            driver = AsyncioDriver(kernel)
            waiting = asyncio.ensure_future(driver.run(work(started, cleanup_started)))
            await started
            waiting.cancel()
            await cleanup_started
            waiting.cancel()                        # (shielded: it still waits)
            driver.close()
            with pytest.raises(asyncio.CancelledError):
                await waiting

    asyncio_run(main())


def test_a_run_left_waiting_when_the_blocks_end_is_cancelled_quietly():
    """A driver.run() still waiting when ``async with AsyncioDriver`` and
    ``with Kernel()`` end (a server left running): nothing will run its
    task again, so when the asyncio side is cancelled (the shutdown) it
    gets CancelledError at once -- it got RuntimeError("this Kernel is
    closed"), which asyncio.run() logs as an unhandled exception."""
    def server():
        yield sleep(3600)

    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                left = asyncio.ensure_future(driver.run(server()))
                await asyncio.sleep(0)
                driver.step()                       # the server runs, and sleeps
        left.cancel()
        with pytest.raises(asyncio.CancelledError):
            await left

    asyncio_run(main())


def test_a_run_waiting_when_its_kernel_is_closed_raises_runtime_error():
    """close() drops the tasks still alive: the await of one waited for
    ever.  Now it raises RuntimeError saying so, and the driver closes --
    whether the kernel is closed in the loop's thread or in another one."""
    def forever(started):
        started.set_result(None)
        yield sleep(3600)

    async def main(close):
        loop = asyncio.get_running_loop()
        kernel = Kernel()
        driver = AsyncioDriver(kernel)
        started = loop.create_future()
        waiting = asyncio.ensure_future(driver.run(forever(started)))
        await started
        await close(kernel)
        with pytest.raises(RuntimeError, match=r"AsyncioDriver.run\(forever\(\)\): <Kernel "
                                               r".* closed> was closed while this waited"):
            await waiting
        assert repr(driver).startswith("<AsyncioDriver closed ")
        with pytest.raises(RuntimeError, match="closed"):
            await driver.run(forever(loop.create_future()))

    async def here(kernel):
        kernel.close()

    async def in_a_thread(kernel):
        await asyncio.get_running_loop().run_in_executor(None, kernel.close)

    asyncio_run(main(here))
    asyncio_run(main(in_a_thread))


def test_asyncio_code_that_wakes_a_trampoline_task_has_it_run():
    """Under the driver, asyncio code (same thread) that wakes a trampoline
    task -- ``Event.set()``, ``Queue.put_nowait()`` -- has it run at the
    loop's next turn, as an asyncio task woken so does.  The task waited
    for unrelated I/O or a timer: here, for ever."""
    from trampoline import Event, Queue

    def waiter(parked, event, queue):
        parked.set()                    # (an asyncio.Event: the same thread)
        yield event.wait()
        parked.set()                    # (main cleared it)
        return (yield queue.get())

    async def main():
        parked, event, queue = asyncio.Event(), Event(), Queue()
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                task = asyncio.ensure_future(driver.run(waiter(parked, event, queue)))
                await asyncio.wait_for(parked.wait(), 5)
                parked.clear()
                event.set()
                await asyncio.wait_for(parked.wait(), 5)
                queue.put_nowait("item")
                return await asyncio.wait_for(task, 5)

    assert asyncio_run(main()) == "item"


def test_run_on_a_closed_driver_is_refused_at_once():
    """It spawned the task and waited for ever -- cancelling it too (the
    cancellation waited for a cleanup nothing would run)."""
    def never():                                    # pragma: no cover - never runs
        yield sleep(0)

    async def main():
        with Kernel() as kernel:
            driver = AsyncioDriver(kernel)
            driver.close()
            attempt = asyncio.ensure_future(driver.run(never()))
            await asyncio.wait([attempt], timeout=5)
            assert attempt.done()
            with pytest.raises(RuntimeError, match=r"AsyncioDriver.run\(\): <AsyncioDriver "
                                                   r"closed <Kernel .*> is closed"):
                attempt.result()

    asyncio_run(main())


def test_a_kernel_is_driven_by_one_loop_at_a_time():
    async def main():
        with Kernel() as kernel:
            driver = AsyncioDriver(kernel)
            try:
                with pytest.raises(RuntimeError, match="already driven"):
                    AsyncioDriver(kernel)
            finally:
                driver.close()
            assert "closed" in repr(driver)
            driver.close()                  # twice: harmless
            driver.step()                   # closed: no round, no timer
            driver.schedule()
            assert driver._timer is None
            again = AsyncioDriver(kernel)   # free again
            assert "driving" in repr(again)
            again.close()

    asyncio_run(main())


def test_a_driven_kernel_on_a_virtual_clock_moves_it_to_its_timers():
    """A kernel on a VirtualClock, driven by asyncio: an hour's sleep and a
    timeout take no real time, as under run() -- the clock jumps to each
    timer once only timers can wake a task (the driver waited out the
    virtual seconds in real time, in rounds that never moved the clock:
    the sleep never ended)."""
    def work():
        yield sleep(3600)
        try:
            with timeout_after(60):
                yield sleep(120)
        except TaskTimeout:
            return current_time()

    async def main():
        with Kernel() as real:
            assert not real.virtual_time
        with Kernel(clock=VirtualClock()) as kernel:
            assert kernel.virtual_time
            async with AsyncioDriver(kernel) as driver:
                started = time.monotonic()
                assert await asyncio.wait_for(driver.run(work()), 10) == 3660
                assert time.monotonic() - started < 5

    asyncio_run(main())


# ============================================== asyncio inside trampoline

async def asyncio_only(value, seconds=0.001):
    """Stands for an asyncio-only library call: needs a running asyncio loop."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(seconds)
    return value, loop


def test_a_task_awaits_an_asyncio_coroutine_on_the_loop_thread():
    def main():
        value, loop = yield await_asyncio(asyncio_only("from asyncio"))
        return value, loop

    value, loop = run(main())
    assert value == "from asyncio"
    assert isinstance(loop, asyncio.AbstractEventLoop)


def test_an_async_def_task_awaits_asyncio_and_gets_its_exception():
    async def broken():
        await asyncio.sleep(0)
        raise KeyError("asyncio side")

    async def main():
        with pytest.raises(KeyError, match="asyncio side"):
            await await_asyncio(broken())
        return (await await_asyncio(asyncio_only(7)))[0]

    assert run(main()) == 7


def test_other_tasks_run_while_one_awaits_asyncio():
    """The asyncio side waits until another trampoline task has run three
    times: it can only finish if the kernel went on meanwhile."""
    ran = []
    others_done = threading.Event()

    def other():
        for _ in range(3):
            ran.append("other")
            yield sleep(0.001)
        others_done.set()

    async def until_the_others_ran():
        deadline = time.monotonic() + 10
        while not others_done.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        return others_done.is_set()

    def main():
        task = yield spawn(other())
        assert (yield await_asyncio(until_the_others_ran()))
        ran.append("asyncio")
        yield join(task)
        return ran

    assert run(main()) == ["other", "other", "other", "asyncio"]


def test_a_timeout_cancels_the_asyncio_task():
    cancelled_there = threading.Event()

    async def slow():
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_there.set()
            raise

    def main():
        with pytest.raises(TaskTimeout):
            yield timeout_after(0.05, await_asyncio(slow()))

    run(main())
    assert cancelled_there.wait(5), "the asyncio task was not cancelled"


def test_in_a_driven_kernel_asyncio_code_runs_on_the_driving_loop():
    def task():
        value, loop = yield await_asyncio(asyncio_only("same loop"))
        return value, loop

    async def main():
        with Kernel() as kernel:
            async with AsyncioDriver(kernel) as driver:
                value, loop = await driver.run(task())
        return value, loop is asyncio.get_running_loop()

    assert asyncio_run(main()) == ("same loop", True)


def test_an_asyncio_thread_of_ones_own_and_its_close():
    thread = AsyncioThread(name="test-asyncio")

    def main():
        return (yield await_asyncio(asyncio_only("mine"), loop=thread.loop))

    try:
        value, loop = run(main())
        assert value == "mine" and loop is thread.loop
    finally:
        thread.close()
    assert loop.is_closed()
    thread.close()                      # twice: harmless


def test_something_asyncio_cannot_await_is_a_type_error():
    def main():
        with pytest.raises(TypeError, match="await_asyncio\\(\\) needs an asyncio coroutine"):
            yield await_asyncio(42)

    run(main())


def test_a_closed_asyncio_loop_is_refused_and_the_coroutine_closed():
    """It raised asyncio's bare "Event loop is closed" and left the
    coroutine never awaited (a RuntimeWarning at its collection).  A
    future of that loop is refused the same way."""
    loop = asyncio.new_event_loop()
    loop.close()

    async def answer():                             # pragma: no cover - never runs
        return 42

    coro = answer()

    future = loop.create_future()                   # (an awaitable that is no coroutine)

    def main():
        for awaitable in (coro, future):
            with pytest.raises(RuntimeError, match=r"await_asyncio\(\): the asyncio loop "
                                                   r"<.*> is closed"):
                yield await_asyncio(awaitable, loop=loop)

    run(main())
    assert coro.cr_frame is None                    # closed: nothing to warn about
    assert not future.done()


def test_closing_an_asyncio_thread_cancels_what_still_runs_there():
    thread = AsyncioThread(name="test-asyncio-close")
    assert "idle" in repr(thread)
    running, cancelled_there = threading.Event(), threading.Event()

    async def forever():
        running.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_there.set()
            raise

    loop = thread.loop
    assert "running" in repr(thread)
    started = asyncio.run_coroutine_threadsafe(forever(), loop)
    assert running.wait(10)
    thread.close()
    assert cancelled_there.is_set() and started.cancelled()
    assert loop.is_closed()


def test_a_driver_whose_kernel_was_closed_first_stops_quietly_and_lets_go():
    async def main():
        loop = asyncio.get_running_loop()
        kernel = Kernel()
        fd = kernel.fileno()
        driver = AsyncioDriver(kernel)
        def sleeper():
            yield sleep(3600)

        kernel.spawn(sleeper())
        driver.step()
        kernel.close()                          # the driver closes with it
        assert repr(driver).startswith("<AsyncioDriver closed <Kernel ")
        driver.step()                           # what its timer or reader would call: nothing
        assert not loop.remove_reader(fd)       # no longer watched
        driver.close()                          # harmless
        with pytest.raises(RuntimeError, match="closed"):   # not "already driven"
            AsyncioDriver(kernel)

        kernel2 = Kernel()
        driver2 = AsyncioDriver(kernel2)
        fd2 = kernel2.fileno()
        kernel2.close()
        driver2.close()                         # the driver closed second: fine too
        assert not loop.remove_reader(fd2)
        with pytest.raises(RuntimeError, match="closed"):
            AsyncioDriver(kernel2)

    asyncio_run(main())


def test_a_kernel_closed_before_its_driver_leaves_its_descriptor_number_alone():
    """The loop watched the kernel's own descriptor: closed with the kernel
    first, its number went to the next socket opened, whose reader the
    still-open driver then shadowed (its data never reported) and whose
    reader driver.close() removed."""
    async def main():
        loop = asyncio.get_running_loop()
        kernel = Kernel()
        number = kernel.fileno()
        driver = AsyncioDriver(kernel)
        kernel.close()
        a, b = socket.socketpair()
        with a, b:
            dup = a.fileno() != number              # (the number is reused either way)
            if dup:
                os.dup2(a.fileno(), number)
            try:
                got = asyncio.Queue()
                loop.add_reader(number, lambda: got.put_nowait(os.read(number, 10)))
                b.send(b"one")
                assert await asyncio.wait_for(got.get(), 5) == b"one"
                driver.close()
                b.send(b"two")                      # still watched after the close
                assert await asyncio.wait_for(got.get(), 5) == b"two"
                assert loop.remove_reader(number)
            finally:
                if dup:
                    os.close(number)

    asyncio_run(main())


FORKED_CHILD = r"""
import asyncio, os
from trampoline import run, timeout_after
from trampoline.aio import await_asyncio

def job(who):
    return (yield await_asyncio(asyncio.sleep(0, who)))

print(run(job("parent")), flush=True)
pid = os.fork()
if pid == 0:
    try:
        print(run(timeout_after(5, job("child"))), flush=True)
    finally:
        os._exit(0)
os.waitpid(pid, 0)
print(run(job("parent again")), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_awaits_asyncio_on_a_loop_of_its_own():
    """The parent's asyncio thread is not in the child: the child starts one."""
    done = subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", FORKED_CHILD],
                          capture_output=True, text=True, timeout=30)
    assert done.stdout == "parent\nchild\nparent again\n", done.stdout + done.stderr


def test_an_asyncio_outcome_for_a_task_of_a_closed_kernel_is_dropped_quietly():
    """The kernel was closed while a task awaited asyncio: when the asyncio
    coroutine ends there (this one ignores the cancellation the close sends
    it), its outcome is dropped -- quietly, with no "Exception in callback"
    from the loop."""
    thread = AsyncioThread(name="test-asyncio-late")
    loop = thread.loop
    errors = []
    started, go, finished = threading.Event(), threading.Event(), threading.Event()

    async def later():
        started.set()
        while not go.is_set():
            try:
                await asyncio.sleep(0.001)
            except asyncio.CancelledError:
                pass                    # (the kernel's close cancels it)
        finished.set()
        return "too late"

    async def probe():
        for _ in range(3):              # (the ended task's callbacks run before this ends)
            await asyncio.sleep(0)

    def waiter():
        return (yield await_asyncio(later(), loop=loop))

    try:
        asyncio.run_coroutine_threadsafe(probe(), loop).result(10)
        loop.call_soon_threadsafe(loop.set_exception_handler,
                                  lambda loop, context: errors.append(context))
        with Kernel() as kernel:
            kernel.spawn(waiter())
            kernel.run_once()           # it waits for asyncio
            assert started.wait(10)
        go.set()
        assert finished.wait(10)
        asyncio.run_coroutine_threadsafe(probe(), loop).result(10)
    finally:
        thread.close()
    assert errors == []


def test_closing_the_kernel_cancels_the_asyncio_coroutine_a_task_awaited():
    """``Kernel.close()`` drops a task waiting in ``await_asyncio``: nothing
    runs it again, and its asyncio coroutine ran on for nobody, to its end.
    It is cancelled there now, as asyncio cancels a task whose awaiter is
    cancelled."""
    thread = AsyncioThread(name="test-asyncio-kernel-closed")
    loop = thread.loop
    started, cancelled_there, finished = threading.Event(), threading.Event(), threading.Event()

    async def slow():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_there.set()
            raise
        finished.set()                  # pragma: no cover - what it did

    def waiter():
        yield await_asyncio(slow(), loop=loop)

    try:
        with Kernel() as kernel:
            kernel.spawn(waiter())
            kernel.run_once()           # it waits for asyncio
            assert started.wait(10)
        assert cancelled_there.wait(10), "the asyncio coroutine was not cancelled"
    finally:
        thread.close()
    assert not finished.is_set()


def test_closing_a_driven_kernel_cancels_the_asyncio_coroutine_a_task_awaited():
    """The same on the loop that drives the kernel (``AsyncioDriver``): the
    close cancels the coroutine there (it slept on for nobody)."""
    async def slow(started, cancelled_here):
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled_here.set()
            raise

    def waiter(started, cancelled_here):
        yield await_asyncio(slow(started, cancelled_here))

    async def main():
        started, cancelled_here = asyncio.Event(), asyncio.Event()
        kernel = Kernel()
        driver = AsyncioDriver(kernel)
        kernel.spawn(waiter(started, cancelled_here))
        driver.schedule()
        await started.wait()
        kernel.close()                  # (the driver closes with it)
        await cancelled_here.wait()     # (a hang, if it sleeps on: the watchdog's)
        return "cancelled"

    assert asyncio_run(main()) == "cancelled"

def test_run_trampoline_in_debug_mode_names_a_slow_step_and_stops_its_watchdog(caplog):
    def blocks():
        time.sleep(Kernel.slow_step * 1.5)      # what debug mode is for
        yield sleep(0)
        return "done"

    assert asyncio_run(run_trampoline(blocks(), debug=True)) == "done"
    assert "without yielding" in caplog.text
    assert "trampoline slow-step watchdog" not in {each.name for each in threading.enumerate()}


def test_an_awaitable_asyncio_refuses_to_start_raises_in_the_task():
    """A future of another loop: ``ensure_future`` raised in the loop's
    callback, asyncio logged it, and the task waited for ever."""
    other = asyncio.new_event_loop()
    try:
        future = other.create_future()

        def main():
            with pytest.raises(ValueError, match="different loop"):
                yield timeout_after(5, await_asyncio(future))

        run(main())
    finally:
        other.close()


def test_an_await_asyncio_dropped_before_it_ran_closes_its_coroutine():
    """``await_asyncio(coro)`` yielded as its task's budget ran out, then
    dropped as another task cancelled that task before it ran: the asyncio
    coroutine was never handed to a loop, and was left for Python to warn
    that it was never awaited.  It is closed now."""
    from drop_helpers import drop_unrun

    async def answer():                 # pragma: no cover - never runs
        return 42

    made = [answer()]
    closed, never_awaited = drop_unrun(lambda: await_asyncio(made[0]), made)
    assert closed == [True] and never_awaited == []