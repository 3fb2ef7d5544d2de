"""The benchmark harness behind ``benchmarks/run.py``, one concern a module.

    plan        what can run: the workloads, the servers, the targets, the
                settings a command line asks for, and the checks that a
                server or a tool is there at all
    processes   starting and stopping processes, and reading what /proc says
                about them: CPU time (user and sys, a whole process tree),
                RSS, the machine's busy CPUs
    loads       one round of one workload against one server: start it, drive
                it with its client (echoload, wrk, redis-benchmark), measure
                the server's CPU over the client's measured window, stop it
    rounds      the rounds, interleaved (A B C A B C ...), re-run when other
                processes disturbed them, and their medians
    report      RESULTS.md: the tables, the targets, the notes

The harness never asserts a timing: a figure is a figure, and a run that
went wrong (a wrong byte, a stall, a crash) is reported as FAILED, not as a
number.  It never imports ``trampoline``: the servers do, each in a process
of its own, found through PYTHONPATH.
"""
