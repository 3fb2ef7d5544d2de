"""A forgotten ``yield`` (or ``await``) on the library's own calls is
reported, as Python reports a coroutine that was never awaited: a
``RuntimeWarning`` naming the call and the line that made it -- in
generator code and in ``async def`` code, debug mode or not.  (Debug mode
adds where the call was made to the message: on PyPy the warning comes at
a garbage collection, and that is where it would otherwise point.)  The
exception is ``Stream.write``, which outside debug mode hands the kernel
its trap (issue 14): debug mode alone reports a forgotten one."""

import gc
import socket
import sys
import warnings

import pytest

from trampoline import run, sleep
from trampoline.streams import Stream
from trampoline.sync import Condition, Event, Lock, Queue, Semaphore
from task_helpers import marked_line

ON_CPYTHON = sys.implementation.name == "cpython"


def line_of(marker):
    return marked_line(__file__, marker)


def never_awaited(run_it, what, marker, debug=False):
    """Run ``run_it(debug)``; the one RuntimeWarning about ``what`` (e.g.
    'Stream.write'), checked to name the line marked ``marker``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_it(debug)
        gc.collect()                    # (PyPy: the warning comes at a collection)
    found = [w for w in caught if issubclass(w.category, RuntimeWarning)
             and "'%s' was never awaited" % what in str(w.message)]
    assert len(found) == 1, [str(w.message) for w in caught]
    warning = found[0]
    line = line_of(marker)
    if ON_CPYTHON or debug:
        named = ((warning.filename, warning.lineno) == (__file__, line)
                 or 'File "%s", line %d' % (__file__, line) in str(warning.message))
        assert named, (warning.filename, warning.lineno, str(warning.message))
    return warning


def socket_stream():
    a, b = socket.socketpair()
    a.setblocking(False)
    return Stream(a), b


def test_stream_write_without_yield_is_reported_in_generator_code_in_debug_mode():
    def main():
        stream, other = socket_stream()
        with stream, other:
            stream.write(b"hello\n")    # FORGOTTEN-WRITE
            yield sleep(0)
    never_awaited(lambda debug: run(main(), debug=debug), "Stream.write", "FORGOTTEN-WRITE",
                  True)


def test_stream_write_without_await_is_reported_in_async_code_in_debug_mode():
    async def main():
        stream, other = socket_stream()
        with stream, other:
            stream.write(b"hello\n")    # FORGOTTEN-AWAIT-WRITE
            await sleep(0)
    never_awaited(lambda debug: run(main(), debug=debug), "Stream.write",
                  "FORGOTTEN-AWAIT-WRITE", True)


def test_stream_write_outside_debug_mode_is_the_write_trap_itself():
    """Issue 14: no call between a plain stream's write and the kernel --
    the price is that only debug mode reports a forgotten yield."""
    from trampoline.traps import write

    def main():
        stream, other = socket_stream()
        with stream, other:
            made = stream.write(b"hello\n")
            assert type(made) is write and made.data == b"hello\n"
            yield made
            assert other.recv(100) == b"hello\n"

    def debug_main():
        stream, other = socket_stream()
        with stream, other:
            made = stream.write(b"hello\n")
            assert type(made) is not write      # a coroutine: Python can warn
            yield made
            assert other.recv(100) == b"hello\n"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(main())
        run(debug_main(), debug=True)
        gc.collect()
    # (PyPy's debug mode says once that a __del__ added to Trap is not called.)
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []


def test_stream_write_yielded_or_awaited_warns_about_nothing():
    def gen_main():
        stream, other = socket_stream()
        with stream, other:
            yield stream.write(b"hello\n")
            assert other.recv(100) == b"hello\n"

    async def async_main():
        stream, other = socket_stream()
        with stream, other:
            await stream.write(b"hello\n")
            assert other.recv(100) == b"hello\n"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(gen_main())
        run(async_main())
        gc.collect()
    assert [str(w.message) for w in caught] == []


# ------------------------------------------------ locks, queues, events

def forget_acquire():
    lock = Lock()
    lock.acquire()                      # FORGOTTEN-ACQUIRE
    assert not lock.locked()            # it did nothing: that is the mistake


def forget_put():
    queue = Queue()
    queue.put("x")                      # FORGOTTEN-PUT
    assert queue.empty()


def forget_get():
    queue = Queue()
    queue.put_nowait("x")
    queue.get()                         # FORGOTTEN-GET
    assert queue.qsize() == 1


def forget_wait():
    event = Event()
    event.set()
    event.wait()                        # FORGOTTEN-WAIT


def forget_semaphore():
    Semaphore(2).acquire()              # FORGOTTEN-SEMAPHORE


CALLS = [(forget_acquire, "Lock.acquire", "FORGOTTEN-ACQUIRE"),
         (forget_put, "Queue.put", "FORGOTTEN-PUT"),
         (forget_get, "Queue.get", "FORGOTTEN-GET"),
         (forget_wait, "Event.wait", "FORGOTTEN-WAIT"),
         (forget_semaphore, "Semaphore.acquire", "FORGOTTEN-SEMAPHORE")]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("forget, what, marker", CALLS)
def test_a_sync_call_without_yield_is_reported_in_generator_code(forget, what, marker, debug):
    def main():
        forget()
        yield sleep(0)
    never_awaited(lambda debug: run(main(), debug=debug), what, marker, debug)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("forget, what, marker", CALLS)
def test_a_sync_call_without_await_is_reported_in_async_code(forget, what, marker, debug):
    async def main():
        forget()
        await sleep(0)
    never_awaited(lambda debug: run(main(), debug=debug), what, marker, debug)


def test_sync_calls_yielded_or_awaited_warn_about_nothing():
    def gen_main():
        lock, queue, event, cond = Lock(), Queue(), Event(), Condition()
        with (yield lock.acquire()):
            yield queue.put(1)
            assert (yield queue.get()) == 1
        event.set()
        assert (yield event.wait()) is True
        with (yield cond.acquire()):
            assert (yield cond.wait_for(lambda: True)) is True

    async def async_main():
        lock, queue, event = Lock(), Queue(), Event()
        async with lock:
            await queue.put(1)
            assert await queue.get() == 1
        event.set()
        assert await event.wait() is True

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(gen_main())
        run(async_main())
        gc.collect()
    assert [str(w.message) for w in caught] == []
