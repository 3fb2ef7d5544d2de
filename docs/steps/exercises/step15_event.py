"""Exercise 15: build an Event from a wait queue.

``yield event.wait()`` parks until ``event.set()`` -- at once if it is
set already -- and ``set`` wakes every waiter, not just one.

Prints:
    a: waiting for the event
    b: waiting for the event
    main: setting the event
    a: the event is set
    b: the event is set
    c: the event was set already
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

from step15 import Kernel, WaitQueue, join, park, sleep, spawn


class Event:
    def __init__(self):
        self.flag = False
        self.waiting = WaitQueue()

    def wait(self):
        if not self.flag:
            yield park(self.waiting)

    def set(self):
        self.flag = True
        self.waiting.wake(len(self.waiting.waiters))    # all of them


def waiter(name, event):
    if not event.flag:
        print("%s: waiting for the event" % name)
        yield event.wait()
        print("%s: the event is set" % name)
    else:
        yield event.wait()
        print("%s: the event was set already" % name)


def main():
    event = Event()
    tasks = []
    for name in "ab":
        tasks.append((yield spawn(waiter(name, event))))
    yield sleep(0.01)
    print("main: setting the event")
    event.set()
    for task in tasks:
        yield join(task)
    yield join((yield spawn(waiter("c", event))))


if __name__ == "__main__":
    Kernel().run(main())
