"""A user's program, checked by .ci/run with ``mypy --strict`` against the
installed wheel (and run): it uses run, spawn, Queue, PriorityQueue, Stream,
timeout_after, and the raw read and write traps (write takes any bytes-like
object, as socket.send does)."""

import array
import socket
from typing import Any, Generator, List, Tuple

from trampoline import (Future, PriorityQueue, Queue, Stream, Task, cancel, join,
                        open_connection, read, run, spawn, tcp_server, timeout_after, write)


def echo(stream: Stream, address: Any) -> Generator[Any, Any, None]:
    while True:
        line: bytes = yield stream.readline()
        if not line:
            break
        yield stream.write(line)


def producer(queue: "Queue[int]", count: int) -> Generator[Any, Any, None]:
    for n in range(count):
        yield queue.put(n)


def consumer(queue: "Queue[int]", count: int) -> Generator[Any, Any, List[int]]:
    items: List[int] = []
    for _ in range(count):
        item: int = yield queue.get()
        items.append(item)
    return items


async def ask(port: int) -> bytes:
    async with timeout_after(5.0):          # the block form, in async def
        stream = await open_connection("127.0.0.1", port)
        with stream:
            await stream.write(b"hello\n")
            reply = await stream.readline()
    return reply


def main() -> Generator[Any, Any, Tuple[List[int], bytes]]:
    queue: "Queue[int]" = Queue(maxsize=2)
    made: Task = yield spawn(producer(queue, 5))
    items: List[int] = yield timeout_after(5.0, consumer(queue, 5))
    with timeout_after(5.0):                # the block form, in a generator
        yield join(made)
    ready: "Future[Tuple[str, int]]" = Future()
    server: Task = yield spawn(tcp_server("127.0.0.1", 0, echo, ready=ready))
    address: Tuple[str, int] = yield ready
    reply: bytes = yield timeout_after(5.0, ask(address[1]))
    yield cancel(server)
    urgent: "PriorityQueue[Tuple[int, str]]" = PriorityQueue()
    urgent.put_nowait((2, "later"))
    urgent.put_nowait((1, "first"))
    first: Tuple[int, str] = yield urgent.get()
    assert first == (1, "first")
    left, right = socket.socketpair()
    with left, right:
        yield write(left, array.array("B", b"raw"))
        raw: bytes = yield read(right, 3)
    assert raw == b"raw"
    return items, reply


if __name__ == "__main__":
    print(run(main()))
