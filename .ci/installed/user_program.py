"""A user's program, checked by .ci/run with ``mypy --strict`` against the
installed wheel (and run): it uses run, spawn, Queue, PriorityQueue, Stream,
timeout_after, and the raw read and write traps (write takes any bytes-like
object, as socket.send does), and Unix sockets named by a pathlib.Path."""

import array
import pathlib
import socket
import tempfile
from typing import Any, Generator, List, Tuple

from trampoline import (Future, PriorityQueue, Queue, Stream, Task, cancel, join,
                        open_connection, open_unix_connection, read, run, run_server, sleep, spawn,
                        tcp_server, timeout_after, unix_server, write)


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


def unix_echo(path: pathlib.Path) -> Generator[Any, Any, bytes]:
    server: Task = yield spawn(unix_server(path, echo))
    yield timeout_after(5.0, _until_there(path))
    stream: Stream = yield open_unix_connection(path)
    with stream:
        yield stream.write(b"unix\n")
        reply: bytes = yield stream.readline()
    yield cancel(server)
    return reply


def _until_there(path: pathlib.Path) -> Generator[Any, Any, None]:
    while not path.exists():
        yield sleep(0.01)


def serve_unix(path: pathlib.Path) -> None:    # (only type-checked)
    run_server(None, None, echo, unix=path)


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
    with tempfile.TemporaryDirectory() as directory:
        unix_reply: bytes = yield unix_echo(pathlib.Path(directory) / "echo.sock")
    assert unix_reply == b"unix\n"
    return items, reply


if __name__ == "__main__":
    print(run(main()))
