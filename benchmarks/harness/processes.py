"""Starting and stopping processes, and what /proc says about them.

Every process the suite starts goes through ``spawn``: pinned to a CPU (when
the machine has two), with this checkout first on PYTHONPATH, and tied to
the suite so that it dies with it (``stop_all`` on the way out, and
PR_SET_PDEATHSIG should the suite be killed).  The readings come from /proc:
a process tree's CPU time, user and sys apart (``tree_cpu``, the figure the
suite divides by the requests), RSS, and every CPU's busy time (to see
other processes on a shared machine).

Linux only; on PyPy, which has no os.sched_setaffinity, pinning goes
through ``taskset`` when it is installed (and is skipped when it is not).
"""

import ctypes
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICK = os.sysconf("SC_CLK_TCK")     # /proc/PID/stat counts CPU time in these

_children = set()       # processes running now: killed on the way out, whatever happens


# ------------------------------------------------------------- starting

def repo_env(env=None):
    """``env`` (default: ours) with this checkout first on PYTHONPATH: how
    the servers and micro.py find ``trampoline`` without installing it."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    return env


def pin_self(cpu):
    """Pin this process to ``cpu`` where the interpreter can (not PyPy)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def _pin_and_tie(cpu):
    """preexec_fn: pin the child to ``cpu`` and have it killed if we die."""
    parent = os.getpid()

    def setup():
        pin_self(cpu)
        try:        # PR_SET_PDEATHSIG = 1: SIGKILL the child when run.py dies
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
        except Exception:
            pass
        if os.getppid() != parent:      # we died before that (Ctrl-C as it forked)
            os._exit(1)
    return setup


def spawn(cmd, cpu, **kwargs):
    """Start ``cmd`` on ``cpu`` (None: anywhere): a Popen."""
    kwargs["env"] = repo_env(kwargs.get("env"))
    if cpu is not None and not hasattr(os, "sched_setaffinity") and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + list(cmd)
    proc = subprocess.Popen(cmd, preexec_fn=_pin_and_tie(cpu), **kwargs)
    _children.add(proc)
    return proc


def stop(proc):
    """Stop a process we started: SIGTERM, then SIGKILL after 3 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    _children.discard(proc)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            stream.close()


def stop_all():
    for proc in list(_children):
        stop(proc)


def handle_signals():
    """Ctrl-C raises KeyboardInterrupt, SIGTERM and SIGHUP exit 128 + N (so
    ``finally`` stops what we started) -- in this process only.  A child
    ``spawn`` forks runs Python (its preexec_fn) before it execs, and on PyPy
    a signal that came just before the fork is still pending there, so its
    handler ran in the child too ("Exception ignored in: fork hook ...
    KeyboardInterrupt" under the suite's one line; CPython clears pending
    signals in a forked child).  In any other process these do nothing."""
    ours = os.getpid()

    def handler(signum, frame):
        if os.getpid() != ours:
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        sys.exit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def end_interrupted(program, what):
    """After Ctrl-C (a KeyboardInterrupt out of ``program``'s main, every
    process it started stopped): one line saying so and ``what`` was lost,
    no traceback, and the end python3 gives a script -- killed by SIGINT,
    so that a shell loop running ``program`` stops too."""
    print("\n%s: interrupted (Ctrl-C): %s" % (program, what), file=sys.stderr, flush=True)
    sys.stdout.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    sys.exit(130)           # (should SIGINT not end us)


def wait_ready(proc, pattern, timeout):
    """Wait for the server's ready line (``pattern``, its group the port):
    the port, or an error string."""
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            return "server exited (status %s) before it was ready" % proc.wait()
        buffer += chunk
        match = re.search(pattern.encode(), buffer)
        if match:
            return int(match.group(1))
    return "server not ready after %.0f s" % timeout


# -------------------------------------------------------------- clients

class ClientRun:
    """What a load client left: its exit status, its output, its CPU seconds."""

    def __init__(self, code, out, err, cpu):
        self.code, self.out, self.err, self.cpu = code, out, err, cpu


def run_client(cmd, cpu, timeout, marks=None, **popen):
    """Run a load client (or a micro benchmark) to completion: a ClientRun.
    ``marks`` maps a line of its output to a function called the moment the
    client prints it (echoload's window-start and window-end).  Its CPU time
    comes from RUSAGE_CHILDREN (no other child is reaped meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = spawn(cmd, cpu, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    try:
        out, err = _collect(proc, time.monotonic() + timeout, marks or {})
        if proc.poll() is None:
            proc.kill()
            err += b"\nclient killed: no result after %.0f s" % timeout
        proc.wait()
    finally:
        _children.discard(proc)
        proc.stdout.close()
        proc.stderr.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ClientRun(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"), used)


def _collect(proc, deadline, marks):
    """Read the client's stdout and stderr until both end or the deadline
    passes, calling marks[line] as each marked line arrives."""
    buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    out_fd, scanned = proc.stdout.fileno(), 0
    open_fds = set(buffers)
    while open_fds and time.monotonic() < deadline:
        readable, _, _ = select.select(list(open_fds), [], [], max(0.0, deadline - time.monotonic()))
        for fd in readable:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
            buffers[fd] += chunk
        out = buffers[out_fd]
        while out.find(b"\n", scanned) >= 0:
            end = out.find(b"\n", scanned)
            action = marks.get(out[scanned:end].decode(errors="replace"))
            if action:
                action()
            scanned = end + 1
    return bytes(buffers[out_fd]), bytes(buffers[proc.stderr.fileno()])


# ------------------------------------------------------------ /proc

def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (the state is [0])."""
    with open("/proc/%d/stat" % pid) as stat:
        return stat.read().rsplit(")", 1)[1].split()


def process_cpu(pid):
    """(user, sys) CPU seconds of one live process, with those of its
    children it has reaped (cutime, cstime)."""
    fields = _stat_fields(pid)
    return ((int(fields[11]) + int(fields[13])) / TICK,
            (int(fields[12]) + int(fields[14])) / TICK)


def descendants(pid):
    """The pids of ``pid``'s children, theirs, and so on."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = _children_of(parent)
        found += children
        todo += children
    return found


def _children_of(pid):
    try:
        children = []
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as listing:
                children += [int(child) for child in listing.read().split()]
        return children
    except FileNotFoundError:       # no CONFIG_PROC_CHILDREN: look at every process
        return [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == pid]
    except OSError:
        return []


def _parent(pid):
    try:
        return int(_stat_fields(pid)[1])
    except (OSError, IndexError, ValueError):
        return None


def tree_cpu(pid):
    """(user, sys) CPU seconds used so far by ``pid`` and all its
    descendants (a supervisor and its workers), or None once ``pid`` is
    gone.  The resolution is one clock tick (1/SC_CLK_TCK s)."""
    try:
        user, system = process_cpu(pid)
    except (OSError, IndexError, ValueError):
        return None
    for child in descendants(pid):
        try:
            child_user, child_sys = process_cpu(child)
        except (OSError, IndexError, ValueError):     # it ended meanwhile
            continue
        user, system = user + child_user, system + child_sys
    return user, system


def proc_status(pid, field):
    """A field of /proc/PID/status in bytes (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def cpu_busy():
    """Busy seconds of every CPU so far (from /proc/stat): {cpu: seconds}."""
    busy = {}
    try:
        with open("/proc/stat") as stat:
            for line in stat:
                if line.startswith("cpu") and line[3].isdigit():
                    fields = line.split()
                    values = [int(v) for v in fields[1:]]
                    idle = values[3] + (values[4] if len(values) > 4 else 0)   # idle + iowait
                    busy[int(fields[0][3:])] = (sum(values[:8]) - idle) / TICK
    except OSError:
        pass
    return busy
