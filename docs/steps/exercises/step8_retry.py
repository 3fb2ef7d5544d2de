"""Exercise 8: write ``retry(make_call, attempts)``, a subroutine that tries again.

Errors now come out of the ``yield`` that called a subroutine, so an
ordinary ``try``/``except`` around it can retry.  (``make_call`` makes a
fresh generator each time: a generator runs only once.)

Prints:
    flaky: attempt 1 failed
    flaky: attempt 2 failed
    main: retry() returned 'ok' on attempt 3
    main: retry() gave up: ConnectionError('attempt 2 failed')
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

import step8
from step8 import Kernel


def retry(make_call, attempts):
    for attempt in range(1, attempts + 1):
        try:
            return (yield make_call(attempt))
        except ConnectionError:
            if attempt == attempts:
                raise                   # the last one: the caller gets the error


def flaky(attempt, works_from):
    yield step8.sleep(0)
    if attempt < works_from:
        print("flaky: attempt %d failed" % attempt)
        raise ConnectionError("attempt %d failed" % attempt)
    return "ok on attempt %d" % attempt


def silent(attempt):
    yield step8.sleep(0)
    raise ConnectionError("attempt %d failed" % attempt)


def main():
    result = yield retry(lambda attempt: flaky(attempt, 3), 5)
    print("main: retry() returned %r on attempt 3" % result.split()[0])
    try:
        yield retry(silent, 2)
    except ConnectionError as error:
        print("main: retry() gave up: %r" % error)


if __name__ == "__main__":
    Kernel().run(main())
