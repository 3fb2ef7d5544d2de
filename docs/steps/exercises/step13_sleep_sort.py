"""Exercise 13: sleep sort, in async def.

Each number is a task that sleeps that many hundredths of a second, then
says its number: they come out sorted.  Only traps, awaited -- the kernel
sees the same traps as from generators.

Prints:
    1
    2
    3
    5
    8
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # docs/steps

from step13 import Kernel, join, sleep, spawn


async def say_after(n):
    await sleep(n / 100)
    print(n)


async def main():
    tasks = []
    for n in [5, 3, 8, 1, 2]:
        tasks.append(await spawn(say_after(n)))
    for task in tasks:
        await join(task)


if __name__ == "__main__":
    Kernel().run(main())
