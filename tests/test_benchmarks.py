"""Smoke test of the benchmark suite (benchmarks/run.py).

Runs the suite on tiny settings (--smoke: a fraction of a second per load)
against trampoline and asyncio-protocols, and checks that it still prints its
table with a trampoline row and no failed run.  It measures nothing: timing
is never asserted.
"""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")

pytestmark = [
    pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None,
                       reason="no C compiler (cc) to build the benchmark's load client"),
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="the benchmark suite reads /proc and pins CPUs: Linux only"),
]


def test_quick_run_prints_a_table_with_trampoline(tmp_path):
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, RUN, "--smoke",
         "--only", "echo-1k,echo-c10k,http,micro,trampoline,asyncio-protocols",
         "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120)
    text = result.stdout
    assert result.returncode == 0, text
    assert "| workload | server | req/s |" in text
    assert "| echo 1 KiB × 100 | trampoline | " in text
    assert "| echo 64 B × 500 conns | trampoline | " in text
    assert "| spawn+join 2,000 tasks | trampoline | " in text
    assert "FAILED" not in text
    assert output.read_text(encoding="utf-8").startswith("# trampoline benchmark results")
