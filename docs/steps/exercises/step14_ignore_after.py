"""Exercise 14: write ``ignore_after(seconds, coro, default)``.

Like ``timeout_after``, but a timeout is no error: it returns
``default``.  Catch only *your own* alarm's error (``alarm.error``), so
that a timeout set further out still reaches the code that set it.

Prints:
    main: fast answer: 42
    main: slow answer: None
    main: the outer timeout still raised TaskTimeout('timed out after 0.02 s')
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

from step14 import Kernel, TaskTimeout, clear_alarm, set_alarm, sleep, timeout_after


def ignore_after(seconds, coro, default=None):
    alarm = yield set_alarm(seconds)
    try:
        return (yield coro)
    except TaskTimeout as error:
        if error is not alarm.error:
            raise                       # not ours: an outer timeout
        return default
    finally:
        yield clear_alarm(alarm)


def answer(seconds):
    yield sleep(seconds)
    return 42


def main():
    print("main: fast answer:", (yield ignore_after(0.05, answer(0.01))))
    print("main: slow answer:", (yield ignore_after(0.01, answer(3600))))
    try:
        yield timeout_after(0.02, ignore_after(0.5, answer(3600)))
    except TaskTimeout as error:
        print("main: the outer timeout still raised %r" % error)


if __name__ == "__main__":
    Kernel().run(main())
