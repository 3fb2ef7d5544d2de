"""Python subprocesses that coverage sees.

A test that runs trampoline as a user does -- ``python3 -m trampoline.trace
script.py``, pytest with the plugin on a file of its own, a script that
forks -- runs it in a subprocess, which ``coverage run -m pytest`` does not
measure: the code it exercises counted as never run.  ``run_python`` runs
such a subprocess under ``coverage run`` when this test run is measured
(and plainly otherwise), the processes it forks included, and merges their
data into ours once it has ended.  (test_workers.py does the same for its
servers.)
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measuring():
    """The Coverage measuring this process, if any."""
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage.current()


def run_python(args, **kwargs):
    """``subprocess.run([sys.executable] + args, **kwargs)``, the process
    measured by coverage if this one is.  ``args`` begins with ``-m
    module`` or a script's path (what ``coverage run`` takes)."""
    measured = measuring()
    if measured is None:
        return subprocess.run([sys.executable] + list(args), **kwargs)
    directory = tempfile.mkdtemp(prefix="measured-")
    try:
        rcfile = os.path.join(directory, "coveragerc")
        with open(rcfile, "w") as config:
            config.write("[run]\nbranch = %s\nparallel = True\nsource = %s\ndata_file = %s\n"
                         "patch = _exit, fork\n"
                         "disable_warnings = no-data-collected, module-not-imported\n"
                         % (measured.config.branch, os.path.join(ROOT, "trampoline"),
                            os.path.join(directory, "data")))
        done = subprocess.run([sys.executable, "-m", "coverage", "run", "--rcfile", rcfile]
                              + list(args), **kwargs)
        _merge(measured, glob.glob(os.path.join(directory, "data.*")))
        return done
    finally:
        shutil.rmtree(directory)


def _merge(measured, names):
    from coverage import CoverageData
    data = measured.get_data()
    for name in names:
        part = CoverageData(name)
        try:
            part.read()
        except Exception:   # coverage's DataError: a process killed (on purpose) as it
            continue        # saved its data left the file empty
        data.update(part)
