"""What the forgotten-yield warnings cost (issue 17): the library's waiting
calls became ``async def`` coroutines (Python warns about one never
awaited) where they were generators marked ``types.coroutine``.  This runs
the generator version of each method (copied here, in a subclass) against
the ``async def`` one, in one process on one kernel, alternating, best of 7
rounds: only the method differs.

    PYTHONPATH=. python3 benchmarks/forgotten_yield.py      (from the checkout)
"""
import socket
import time
from types import coroutine

from trampoline import read, run, spawn, join, traps
from trampoline.streams import Stream
from trampoline.sync import Lock, Queue, Event, _SHUT_DOWN, QueueShutDown
from trampoline.traps import park

class OldLock(Lock):
    @coroutine
    def acquire(self):
        if self._value > 0 and not self._waiting:
            self._value -= 1
        else:
            yield park(self._waiting)
        return self

class OldEvent(Event):
    @coroutine
    def wait(self):
        if not self._flag:
            yield park(self._waiting)
        return True

class OldQueue(Queue):
    @coroutine
    def put(self, item):
        if self._shut_down:
            raise QueueShutDown("")
        if self.full() or len(self._putters):
            if (yield park(self._putters)) is _SHUT_DOWN:
                raise QueueShutDown("")
            self._reserved -= 1
        self._store(item)
        self._admit_putters()
    @coroutine
    def get(self):
        if self._items or self._shut_down:
            return self.get_nowait()
        item = yield park(self._getters)
        if item is _SHUT_DOWN:
            raise QueueShutDown("")
        return item

class OldStream(Stream):
    @coroutine
    def write(self, data):
        if not self._tls:
            yield traps.write(self.sock, data)
            return


N = 100000


def drain(sock, n):
    got = 0
    while got < n:
        got += len((yield read(sock, 1 << 20)))


def writes(cls):
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    stream = cls(a)
    reader = yield spawn(drain(b, N))
    t = time.perf_counter()
    for _ in range(N):
        yield stream.write(b"x")
    elapsed = time.perf_counter() - t
    yield join(reader)
    a.close()
    b.close()
    return elapsed


def locks(cls):
    lock = cls()
    t = time.perf_counter()
    for _ in range(N):
        yield lock.acquire()
        lock.release()
    return time.perf_counter() - t

def events(cls):
    e = cls(); e.set()
    t = time.perf_counter()
    for _ in range(N):
        yield e.wait()
    return time.perf_counter() - t

def queues(cls):
    q = cls()
    t = time.perf_counter()
    for i in range(N):
        yield q.put(i)
        yield q.get()
    return time.perf_counter() - t

def producer(q):
    for i in range(N):
        yield q.put(i)
def consumer(q):
    for i in range(N):
        yield q.get()
def pingpong(cls):
    q = cls(maxsize=1)
    t = time.perf_counter()
    a = yield spawn(producer(q)); b = yield spawn(consumer(q))
    yield join(a); yield join(b)
    return time.perf_counter() - t

for name, bench, old, new in [("stream.write (1 byte, send each)", writes, OldStream, Stream),
                              ("lock acquire+release", locks, OldLock, Lock),
                              ("event.wait (set)", events, OldEvent, Event),
                              ("queue put+get (no wait)", queues, OldQueue, Queue),
                              ("queue maxsize=1, 2 tasks (waits)", pingpong, OldQueue, Queue)]:
    o = n = 1e9
    for _ in range(7):
        o = min(o, run(bench(old)))
        n = min(n, run(bench(new)))
    print("%-34s generator %5.0f ns   async def %5.0f ns   %+.0f%%" % (name, o / N * 1e9, n / N * 1e9, (n - o) * 100 / o))
