"""What a learner reads about the kernel's insides is what the code does:
README's "How it works" and "Seeing it work", and the tutorial's exercises,
checked against trampoline's own constants and the solutions' code, so
that a number or a name given there cannot go stale.
"""

import ast
import os
import re

import trampoline.descriptors
import trampoline.kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXERCISES = os.path.join(ROOT, "docs", "steps", "exercises")


def readme_section(title):
    with open(os.path.join(ROOT, "README.rst"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n%s\n" % title)
    end = re.search(r"\n[^\n]+\n-{4,}\n", text[start + len(title) + 2:])
    return re.sub(r"\s+", " ", text[start:start + len(title) + 2 + end.start()])


def test_how_it_works_gives_the_kernels_own_numbers():
    """"polls only every eighth turn" outlived POLL_EVERY's change to 64
    task steps: each number the section gives is the kernel's."""
    text = readme_section("How it works")
    assert "After %d traps in a row a task" % trampoline.kernel.BUDGET in text
    assert "polls only once %d task steps" % trampoline.kernel.POLL_EVERY in text
    assert "turn" not in text.split("polls only", 1)[1].split(";", 1)[0]
    assert trampoline.descriptors.SWEEP_INTERVAL == 1.0
    assert "at most a second while it watches descriptors" in text
