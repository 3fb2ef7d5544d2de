"""Two type errors mypy --strict must find (.ci/run checks that it does):
the package's annotations carry meaning, they are not all Any."""

from typing import Any, Generator

from trampoline import Queue, run


def main() -> Generator[Any, Any, str]:
    queue: "Queue[int]" = Queue()
    yield queue.put("not an int")           # error: a str into a Queue[int]
    return "done"


total: int = run(main())                    # error: run() gives main's str
