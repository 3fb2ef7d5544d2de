"""Timeouts against trio's, on seeded random programs, on virtual clocks.

Each case is a random program: a tree of timeout scopes -- ``timeout_after``
(trio's ``fail_after``) or ``ignore_after`` (``move_on_after``), as a block,
given the work as a coroutine or a single trap (curio's call form; trio has
only blocks), or with an absolute deadline (``timeout_at``/``ignore_at``:
``fail_at``/``move_on_at``), lasting 0 s, a few seconds, None (trio: inf),
or ending before the scope begins -- whose bodies are sequences of
``sleep(d)`` (0 included), nested scopes, an ``except TaskTimeout``
(``TooSlowError``) around an inner scope and going on, ``try``/``finally``
with blocking cleanup, an ``except Cancelled`` that swallows the
cancellation and goes on, ``shield(work)`` (``CancelScope(shield=True)``
around the work), ``disable_cancellation()`` around sleeps only (also
trio's shielded scope: see below), a ``ValueError``, a ``return``.  Its
trace -- each scope's entry and exit (finished with its value, expired,
or left by which error), each caught timeout, swallowed cancellation,
shield and cleanup, the virtual time at each, the program's end -- must be
trio's (0.22, on ``MockClock(autojump_threshold=0)``).  Each program runs
as generators and as ``async def``.

The *extended* programs (``Program(seed, extended=True)``; their own seeds
and table) add two statements: a move of a block's deadline around them
(``["move", scope, d]``: to ``d`` from now, -1 a time past, None none;
trio's ``cancel_scope.deadline = ...``) -- before it went off or after,
from the block's task or from a shield's work -- and ``select`` of sleep
traps and short bodies of sleeps that may return or raise, their
durations all different.  trio has no ``select``: the oracle works out
which branch wins and when, and follows select's docstring -- the
caller's cancellation stops the race only if it comes before a branch
wins (at the same instant the branch wins), else the result is returned
and the cancellation comes at the next blocking trap; what the scopes
around then do is trio's.

trio is not installed in CI (``.[test]`` has no trio), and a check skipped
there is no check: trio's traces are recorded below as data, made by this
file's oracle (``trio_trace``), so the test needs only trampoline.  With
trio installed, ``python3 tests/test_timeouts_random_vs_trio.py`` runs the
oracle again and rewrites them.

Where this library's documented rules differ from trio's, the oracle
follows ours:

* **A swallowed expiry times the block out** (timeouts.py, the rules:
  "level-triggered"; README, "The rules of cancellation").  A scope whose
  cancellation was thrown into the work, and which ends without it --
  the work caught it and went on -- raises ``TaskTimeout`` at its exit
  (``ignore_after``: expires), or, if an outer scope is due too, passes
  that one's cancellation on.  trio lets such a block end as finished.
  The oracle marks the scope that owns each cancellation thrown in (the
  outermost one due) or passed on out of an inner scope, and applies the
  rule at its exit.
* **A shielded work that fails while its caller is cancelled** raises the
  caller's cancellation -- the one that came first -- the work's error its
  cause (``shield``'s docstring); trio raises the work's error.  The oracle
  checkpoints then, and takes the first scope's cancellation as thrown in.
* ``disable_cancellation()`` defers every cancellation of the task, its
  own inner timeouts' too (curio's rule); trio's shielded scope stops only
  those from outside.  No timeout scope goes inside one here (sleeps,
  errors, returns, cleanup do): there the two mean the same.
* **A deadline goes off when the kernel next looks** (``TimeoutScope``'s
  docstring): as the task blocks, at the end of the loop's turn -- not at
  a trap where a cancellation is pending already, which does not block.
  One set in the past (at the block's entry, or moved there) and moved
  away before then never went off; trio cancels the scope at once.  The
  oracle keeps such a deadline aside until the kernel would look.  So
  too for a shield's work that moves a deadline into the past and ends
  without blocking after: its outcome is handed over first, and stands.

Rules trio shares (timeouts.py's rules), which the programs check:
timeouts nest, and the outer scope owns an expiry when both pass at once
(equal deadlines, or both past when the kernel looks: its cancellation
passes the inner scope); an inner ``TaskTimeout`` left uncaught passes
outer scopes unchanged (trio's ``TooSlowError``; not curio's
``UncaughtTimeoutError``); every blocking trap in an expired scope raises,
``sleep(0)`` included, cleanup too; a deadline that never reached the
work -- deferred, or outlived in a shield -- does not undo a block that
ends without blocking again.

Durations are multiples of 0.5: exact in binary, so both clocks land on
the same instants (trio's autojump adds differences to a base, ours jumps
to the deadline itself).  The exploration behind this file ran 240,000
programs each way on CPython 3.11 and found three differences, now fixed
and pinned by the first tests here; that of the extended programs ran
250,000 more and found four (``FOUND_EXTENDED``), fixed with a fifth
built by hand (a swallowed expiry, a shield's hand-back, then a move) and
pinned in test_timeouts.py (moved deadlines) and test_select.py.  Seven
more were one (seed 61666 of the extended programs, among them): an
outer scope's deadline moved before it went off got a new alarm, which
then ranked after the inner scopes' (alarms rank by when they were set),
so once both went off the inner one's cancellation was thrown in first.
A moved deadline's alarm now keeps its rank (``set_alarm``'s
``replacing``), pinned in test_timeouts.py.  That left two programs
(seeds 164280 and 232823) whose difference is the oracle's: an outer
deadline set to now or a time past just before a ``select`` that a
cancellation interrupts goes off while the select cancels and waits for
its branches (the kernel looks then: our rule above), and passes the
inner scope at its exit; the oracle's select, worked out by hand, never
lets time be looked at there.
"""

import random
import textwrap

import pytest

import trampoline
from trampoline import (Cancelled, TaskTimeout, TimeoutCancelled, VirtualClock, current_time,
                        disable_cancellation, ignore_after, ignore_at, select, shield,
                        sleep, timeout_after, timeout_at)


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


def value(x):
    return x
    yield  # pragma: no cover


# ======================================================= what it found

def test_ignore_after_gives_its_default_when_the_work_swallowed_its_cancellation_and_returned():
    """``ignore_after(seconds, work, default)``: work that catches its
    cancellation and returns has still timed out (the level-triggered rule:
    ``timeout_after`` raises ``TaskTimeout`` for it, and the block form sets
    ``expired``), so the call gives the default, not the work's value.  It
    gave the work's value: its block returned from inside the ``with``."""
    def work():
        try:
            yield sleep(10)
        except TimeoutCancelled:
            pass
        return "the work's own"

    async def async_work():
        try:
            await sleep(10)
        except TimeoutCancelled:
            pass
        return "the work's own"

    def main():
        got = yield ignore_after(1, work(), default="gave up")
        also = yield ignore_after(1, async_work(), default="gave up")
        with pytest.raises(TaskTimeout):
            yield timeout_after(1, work())
        return got, also, current_time()

    assert run(main()) == ("gave up", "gave up", 3)


def test_a_swallowed_expiry_still_times_the_block_out_when_a_shield_comes_after():
    """The work swallows its scope's cancellation, then shields some work:
    the cancellation comes again at the shield's wait, and the shield hands
    it back (what it returns is not lost).  The block then ends: it is
    timed out all the same -- its cancellation reached the work once, and
    was swallowed.  It ended as finished: the hand-back wiped the only sign
    (the exception's traceback) that it ever had."""
    def main():
        with ignore_after(1) as scope:
            try:
                yield sleep(2)
            except TimeoutCancelled:
                pass
            got = yield shield(value(42))
        with pytest.raises(TaskTimeout):
            with timeout_after(1):
                try:
                    yield sleep(2)
                except TimeoutCancelled:
                    pass
                yield shield(value(42))
        return got, scope.expired, current_time()

    assert run(main()) == (42, True, 2)


def test_an_outer_and_an_inner_deadline_passing_in_one_turn_throw_in_the_outer_s():
    """Both deadlines are past when the kernel first looks (the inner one
    was set in the past).  The outer owns the expiry (trio's rule, and ours
    at each trap after): its cancellation is the one thrown in, and passes
    the inner scope.  Work that swallows it ends the inner block quietly,
    as in trio; the outer scope expires.  The kernel threw in the inner's,
    as the first to go off: the inner block, timed out, raised the outer's
    at its exit, and what followed it never ran."""
    log = []

    def main():
        with ignore_at(current_time()) as outer:
            with ignore_at(current_time() - 1):
                try:
                    yield sleep(1)
                except TimeoutCancelled as exc:
                    log.append(("thrown in", "outer" if exc.scope is outer else "inner"))
            log.append("after the inner block")
            yield sleep(1)
            log.append("not reached")   # pragma: no cover - the outer's comes again
        return outer.expired, current_time()

    assert run(main()) == (True, 0)
    assert log == [("thrown in", "outer"), "after the inner block"]


# ======================================================= random programs

#: Durations of sleeps and scopes: multiples of 0.5 (exact), 0 twice as often.
SLEEPS = [0, 0, 0.5, 1, 1, 1.5, 2, 3, 5]
DURATIONS = [0, 0, 0.5, 1, 1, 1.5, 2, 2, 3, 5, None]


class Program:
    """A random program from ``seed``: ``Program(seed).body`` is a list of
    statements, each a list: ``["sleep", d]``, ``["raise"]``, ``["return",
    n]``, ``["scope", id, "fail"|"move_on", "block"|"call"|"at", seconds,
    body]`` (``"at"`` with -1: a deadline already past), ``["catch",
    scope]``, ``["swallow", body]``, ``["finally", body, cleanup]``,
    ``["shield", body]``, ``["defer", body]``."""

    def __init__(self, seed, extended=False):
        self._random = random.Random(seed)
        self._scopes = 0
        self._extended = extended
        self._open = []                 # the blocks around (what a move may move)
        self.body = self._body(0)

    def _scope(self, depth, kind=None):
        r = self._random
        self._scopes += 1
        number = self._scopes
        kind = kind or r.choice(["fail", "move_on"])
        form = r.choice(["block", "call", "at"])
        seconds = r.choice(DURATIONS)
        if form == "at" and r.random() < 0.15:
            seconds = -1
        if form == "call" and r.random() < 0.2:     # the work: a single trap
            return ["scope", number, kind, form, seconds, [["sleep", r.choice(SLEEPS)]]]
        if form == "call":
            return ["scope", number, kind, form, seconds, self._body(depth + 1)]
        self._open.append(number)
        body = self._body(depth + 1)
        self._open.pop()
        return ["scope", number, kind, form, seconds, body]

    def _extra(self, leaf):
        """A move of a block's deadline around (to ``now + d``; -1: a time
        past, None: none), or a select: ``["select", branches]``, each branch
        a sleep trap (``["trap", d]``) or a body of sleeps ending maybe in a
        return or raise; their durations all differ, so that which wins
        never rests on the order of tasks woken at one instant."""
        r = self._random
        if self._open and (leaf or r.random() < 0.6):
            return ["move", r.choice(self._open), r.choice([-1, 0, 0.5, 1, 1, 2, 3, 5, None])]
        if leaf:
            return None
        branches, ends = [], set()
        for _ in range(r.randint(1, 3)):
            if r.random() < 0.3:
                branch = ["trap", r.choice(SLEEPS[2:])]
                end = branch[1]
            else:
                steps = [["sleep", r.choice(SLEEPS[2:])] for _ in range(r.randint(0, 2))]
                if r.random() < 0.4:
                    steps.append(r.choice([["return", r.randint(1, 9)], ["raise"]]))
                branch = ["body", steps]
                end = sum(step[1] for step in steps if step[0] == "sleep")
            if end not in ends:
                ends.add(end)
                branches.append(branch)
        return ["select", branches]

    def _body(self, depth, leaf=False):
        """``leaf``: no scope, catch or shield (inside ``defer``)."""
        r = self._random
        out = []
        for _ in range(r.randint(1 if depth == 0 else 0, 5 if depth == 0 else 4)):
            if self._extended and r.random() < 0.2:
                extra = self._extra(leaf)
                if extra is not None:
                    out.append(extra)
                    continue
            x = r.random()
            if depth >= 4:
                x = x * 0.6
            if leaf and (0.60 <= x < 0.82 or x >= 0.9):
                x = r.random() * 0.6
            if x < 0.42:
                out.append(["sleep", r.choice(SLEEPS)])
            elif x < 0.47:
                out.append(["raise"])
                break
            elif x < 0.52:
                out.append(["return", r.randint(1, 9)])
                break
            elif x < 0.57:
                out.append(["defer", self._body(depth + 1, leaf=True)])
            elif x < 0.60:
                out.append(["swallow", self._body(depth + 1, leaf)])
            elif x < 0.72:
                out.append(self._scope(depth))
            elif x < 0.82:
                out.append(["catch", self._scope(depth, "fail")])
            elif x < 0.90:
                out.append(["finally", self._body(depth + 1, leaf), self._body(depth + 1, leaf)])
            else:
                out.append(["shield", self._body(depth + 1)])
        return out


def error_name(exc):
    if isinstance(exc, TaskTimeout) or type(exc).__name__ == "TooSlowError":
        return "Timeout"
    if isinstance(exc, Cancelled) or type(exc).__name__ == "Cancelled":
        return "Cancelled"
    return type(exc).__name__


EXPIRED = object()


def moved(d):
    """A move's new deadline: ``d`` from now, None for none."""
    return None if d is None else current_time() + d


def generator_trace(program):
    """The trace of ``program`` run as generators."""
    trace = []
    blocks = {}                         # number: the block's scope (for a move)

    def now():
        return "%g" % current_time()

    def body(statements):
        for statement in statements:
            op = statement[0]
            if op == "sleep":
                yield sleep(statement[1])
                trace.append("s@" + now())
            elif op == "raise":
                raise ValueError("boom")
            elif op == "return":
                return statement[1]
            elif op == "scope":
                yield from scope(statement)
            elif op == "catch":
                try:
                    yield from scope(statement[1])
                except TaskTimeout:
                    trace.append("c%d@%s" % (statement[1][1], now()))
            elif op == "swallow":
                try:
                    got = yield from body(statement[1])
                except Cancelled:
                    trace.append("sw@" + now())
                else:
                    trace.append("sw=%r@%s" % (got, now()))
            elif op == "finally":
                try:
                    got = yield from body(statement[1])
                finally:
                    trace.append("f@" + now())
                    cleaned = yield from body(statement[2])
                    trace.append("f=%r@%s" % (cleaned, now()))
                trace.append("t=%r@%s" % (got, now()))
            elif op == "shield":
                try:
                    got = yield shield(body(statement[1]))
                except BaseException as exc:
                    trace.append("sh:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("sh=%r@%s" % (got, now()))
            elif op == "move":
                blocks[statement[1]].deadline = moved(statement[2])
                trace.append("m%d@%s" % (statement[1], now()))
            elif op == "select":
                try:
                    got = yield select(*[sleep(branch[1]) if branch[0] == "trap"
                                         else steps(branch[1]) for branch in statement[1]])
                except BaseException as exc:
                    trace.append("se:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("se=%r@%s" % (got, now()))
            else:                       # defer
                with disable_cancellation():
                    got = yield from body(statement[1])
                trace.append("df=%r@%s" % (got, now()))
        return None

    def steps(statements):              # a select's branch: sleeps, return, raise
        for statement in statements:
            if statement[0] == "sleep":
                yield sleep(statement[1])
            elif statement[0] == "return":
                return statement[1]
            else:
                raise ValueError("boom")
        return None

    def scope(statement):
        _, number, kind, form, seconds, statements = statement
        trace.append("e%d@%s" % (number, now()))
        try:
            if form == "call":
                trap = len(statements) == 1 and statements[0][0] == "sleep"
                work = sleep(statements[0][1]) if trap else body(statements)
                if kind == "fail":
                    got = yield timeout_after(seconds, work)
                else:
                    got = yield ignore_after(seconds, work, default=EXPIRED)
                if trap and got is not EXPIRED:
                    trace.append("s@" + now())
                outcome = "expired" if got is EXPIRED else "ok=%r" % (got,)
            else:
                if form == "block":
                    block = (timeout_after if kind == "fail" else ignore_after)(seconds)
                else:
                    block = (timeout_at if kind == "fail" else ignore_at)(
                        None if seconds is None else current_time() + seconds)
                got = None
                blocks[number] = block
                with block:
                    got = yield from body(statements)
                outcome = "expired" if kind == "move_on" and block.expired else "ok=%r" % (got,)
        except BaseException as exc:
            trace.append("x%d:%s@%s" % (number, error_name(exc), now()))
            raise
        trace.append("x%d:%s@%s" % (number, outcome, now()))

    def main():
        try:
            got = yield from body(program)
        except BaseException as exc:
            trace.append("end:%s@%s" % (error_name(exc), now()))
        else:
            trace.append("end=%r@%s" % (got, now()))

    run(main())
    return " ".join(trace)


def async_trace(program):
    """The trace of ``program`` run as ``async def``."""
    trace = []
    blocks = {}                         # number: the block's scope (for a move)

    def now():
        return "%g" % current_time()

    async def body(statements):
        for statement in statements:
            op = statement[0]
            if op == "sleep":
                await sleep(statement[1])
                trace.append("s@" + now())
            elif op == "raise":
                raise ValueError("boom")
            elif op == "return":
                return statement[1]
            elif op == "scope":
                await scope(statement)
            elif op == "catch":
                try:
                    await scope(statement[1])
                except TaskTimeout:
                    trace.append("c%d@%s" % (statement[1][1], now()))
            elif op == "swallow":
                try:
                    got = await body(statement[1])
                except Cancelled:
                    trace.append("sw@" + now())
                else:
                    trace.append("sw=%r@%s" % (got, now()))
            elif op == "finally":
                try:
                    got = await body(statement[1])
                finally:
                    trace.append("f@" + now())
                    cleaned = await body(statement[2])
                    trace.append("f=%r@%s" % (cleaned, now()))
                trace.append("t=%r@%s" % (got, now()))
            elif op == "shield":
                try:
                    got = await shield(body(statement[1]))
                except BaseException as exc:
                    trace.append("sh:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("sh=%r@%s" % (got, now()))
            elif op == "move":
                blocks[statement[1]].deadline = moved(statement[2])
                trace.append("m%d@%s" % (statement[1], now()))
            elif op == "select":
                try:
                    got = await select(*[sleep(branch[1]) if branch[0] == "trap"
                                         else steps(branch[1]) for branch in statement[1]])
                except BaseException as exc:
                    trace.append("se:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("se=%r@%s" % (got, now()))
            else:                       # defer
                async with disable_cancellation():
                    got = await body(statement[1])
                trace.append("df=%r@%s" % (got, now()))
        return None

    async def steps(statements):        # a select's branch: sleeps, return, raise
        for statement in statements:
            if statement[0] == "sleep":
                await sleep(statement[1])
            elif statement[0] == "return":
                return statement[1]
            else:
                raise ValueError("boom")
        return None

    async def scope(statement):
        _, number, kind, form, seconds, statements = statement
        trace.append("e%d@%s" % (number, now()))
        try:
            if form == "call":
                trap = len(statements) == 1 and statements[0][0] == "sleep"
                work = sleep(statements[0][1]) if trap else body(statements)
                if kind == "fail":
                    got = await timeout_after(seconds, work)
                else:
                    got = await ignore_after(seconds, work, default=EXPIRED)
                if trap and got is not EXPIRED:
                    trace.append("s@" + now())
                outcome = "expired" if got is EXPIRED else "ok=%r" % (got,)
            else:
                if form == "block":
                    block = (timeout_after if kind == "fail" else ignore_after)(seconds)
                else:
                    block = (timeout_at if kind == "fail" else ignore_at)(
                        None if seconds is None else current_time() + seconds)
                got = None
                blocks[number] = block
                async with block:
                    got = await body(statements)
                outcome = "expired" if kind == "move_on" and block.expired else "ok=%r" % (got,)
        except BaseException as exc:
            trace.append("x%d:%s@%s" % (number, error_name(exc), now()))
            raise
        trace.append("x%d:%s@%s" % (number, outcome, now()))

    async def main():
        try:
            got = await body(program)
        except BaseException as exc:
            trace.append("end:%s@%s" % (error_name(exc), now()))
        else:
            trace.append("end=%r@%s" % (got, now()))

    run(main())
    return " ".join(trace)


def test_random_programs_trace_as_trio_s_do():
    """Each recorded seed's program, as generators and as ``async def``,
    gives trio's trace (recorded below; the module's docstring says how,
    and which rules of ours the oracle follows): the first 160 seeds whose
    program has a timeout go off, and the seeds that met the three
    differences above (``FOUND``)."""
    differ = []
    for seed, expected in sorted(TRIO.items()):
        program = Program(seed).body
        for flavour in (generator_trace, async_trace):
            got = flavour(program)
            if got != expected:
                differ.append("seed %d (%s): %r\n  ours: %s\n  trio: %s"
                              % (seed, flavour.__name__, program, got, expected))
    assert not differ, "%d differ:\n%s" % (len(differ), "\n".join(differ[:5]))
    assert len(TRIO) >= 150


def test_random_programs_with_moved_deadlines_and_selects_trace_as_trio_s_do():
    """The same for the extended programs, whose bodies also move the
    deadline of a block around them (``cancel_scope.deadline = ...``) --
    before it goes off and after, from the block's task or a shield's --
    and ``select`` (modelled in the oracle: trio has none): the first 160
    seeds whose program has a move or a select and a timeout that goes
    off, and those that met the differences fixed with them
    (``FOUND_EXTENDED``)."""
    differ = []
    for seed, expected in sorted(TRIO_EXTENDED.items()):
        program = Program(seed, extended=True).body
        for flavour in (generator_trace, async_trace):
            got = flavour(program)
            if got != expected:
                differ.append("seed %d (%s): %r\n  ours: %s\n  trio: %s"
                              % (seed, flavour.__name__, program, got, expected))
    assert not differ, "%d differ:\n%s" % (len(differ), "\n".join(differ[:5]))
    assert len(TRIO_EXTENDED) >= 150


# ======================================================= the oracle (trio)

def trio_trace(program):
    """The trace of ``program`` on trio, following the rules of ours the
    module's docstring lists.  Needs trio; not run by the tests."""
    import math
    import trio
    import trio.testing

    trace = []

    class Frame:
        def __init__(self, scope):
            self.scope = scope
            self.taken = False          # its cancellation was thrown in
            self.went_off = None        # its deadline that went off, if moved after

    frames = {}                         # number: the block's Frame (for a move)
    pending = {}                        # Frame: a deadline already past when set
    moves = []                          # (how many were set: len)

    def set_deadline(frame, deadline):
        # Ours: a deadline goes off when the kernel next looks -- at the
        # next blocking trap -- a deadline already past at the block's entry
        # or moved there included: moved again before then, it never went
        # off (as asyncio's reschedule).  trio cancels the scope at once.
        if deadline <= trio.current_time() and not frame.scope.cancel_called:
            pending[frame] = deadline
            moves.append(frame)
            frame.scope.deadline = math.inf
        else:
            pending.pop(frame, None)
            frame.scope.deadline = deadline

    def flush(stack=()):
        # Before a trap that blocks: the kernel looks, at the end of the
        # turn.  (One where a cancellation is pending already does not
        # block: it is thrown in at once.)
        if not due(stack):
            for frame, deadline in pending.items():
                frame.scope.deadline = deadline
            pending.clear()

    def deadline_of(frame):
        return pending.get(frame, frame.scope.deadline)

    def now():
        return "%g" % trio.current_time()

    def due(stack):
        return [frame for frame in stack if frame.scope.cancel_called]

    def went(frame):
        return frame.scope.deadline if frame.went_off is None else frame.went_off

    def first_due(stack, began):
        # The one that came first (the outermost of those that came at once).
        return min(due(stack), key=lambda frame: (max(went(frame), began), stack.index(frame)))

    def race(branches):
        """Which of a select's branches wins: ``(index, value, error,
        seconds, slept)`` (``slept`` 0: it won without blocking)."""
        won = []
        for index, statement in enumerate(branches):
            if statement[0] == "trap":
                won.append((statement[1], 1, index, None, None))
                continue
            seconds, value, error = 0, None, None
            for step in statement[1]:
                if step[0] == "sleep":
                    seconds += step[1]
                elif step[0] == "return":
                    value = step[1]
                else:
                    error = ValueError("boom")
            won.append((seconds, 1 if seconds else 0, index, value, error))
        seconds, slept, index, value, error = min(won)
        return index, value, error, seconds, slept

    async def body(statements, stack):
        for statement in statements:
            op = statement[0]
            if op == "sleep":
                try:
                    flush(stack)
                    await trio.sleep(statement[1])
                except trio.Cancelled:
                    due(stack)[0].taken = True      # the outermost due scope's
                    raise
                trace.append("s@" + now())
            elif op == "raise":
                raise ValueError("boom")
            elif op == "return":
                return statement[1]
            elif op == "scope":
                await scope(statement, stack)
            elif op == "catch":
                try:
                    await scope(statement[1], stack)
                except trio.TooSlowError:
                    trace.append("c%d@%s" % (statement[1][1], now()))
            elif op == "swallow":
                try:
                    got = await body(statement[1], stack)
                except trio.Cancelled:
                    trace.append("sw@" + now())
                else:
                    trace.append("sw=%r@%s" % (got, now()))
            elif op == "finally":
                try:
                    got = await body(statement[1], stack)
                finally:
                    trace.append("f@" + now())
                    cleaned = await body(statement[2], stack)
                    trace.append("f=%r@%s" % (cleaned, now()))
                trace.append("t=%r@%s" % (got, now()))
            elif op == "shield":
                flush(stack)            # (the wait for its work)
                try:
                    failed = False
                    began = trio.current_time()
                    cancelled, set_before = bool(due(stack)), len(moves)
                    with trio.CancelScope(shield=True):
                        try:
                            try:
                                got = await body(statement[1], [])
                            finally:
                                # The kernel looked as we waited -- unless the
                                # work moved a deadline into the past and
                                # ended without blocking after: it goes off
                                # as that turn ends, once the work's outcome
                                # is handed over (it stands).
                                late = not cancelled and not due(stack) and any(
                                    frame in pending for frame in moves[set_before:])
                                flush()
                        except Exception:
                            if late or not due(stack):
                                raise
                            failed = True       # ours: the caller's cancellation
                    if failed:
                        # The one that came first (the outermost of those that
                        # came at once) is raised: its scope's is taken.
                        first_due(stack, began).taken = True
                        await trio.lowlevel.checkpoint()
                except BaseException as exc:
                    trace.append("sh:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("sh=%r@%s" % (got, now()))
            elif op == "move":
                frame = frames[statement[1]]
                if frame.scope.cancel_called and frame.went_off is None:
                    frame.went_off = frame.scope.deadline
                d = statement[2]
                set_deadline(frame, math.inf if d is None else trio.current_time() + d)
                trace.append("m%d@%s" % (statement[1], now()))
            elif op == "select":
                # trio has no select: the race is ours, worked out by
                # ``race`` (the branches' durations all differ).  Its branches
                # run in tasks of their own, which the caller's cancellation
                # stops only if it comes before one wins; at the same
                # instant, the branch wins (its timer and the alarm go off in
                # one turn, and the branch runs first): the result is
                # returned, the cancellation handed back for the next
                # blocking trap (``select``'s docstring).  What the scopes
                # around then do with it is trio's.
                began = trio.current_time()
                try:
                    if due(stack):      # under way already: raised at once
                        await trio.lowlevel.checkpoint()
                    index, got, error, seconds, slept = race(statement[1])
                    comes = [(max(deadline_of(frame), began), 1, stack.index(frame))
                             for frame in stack]
                    first = min(comes) if comes else None
                    if first is not None and first < (began + seconds, slept):
                        with trio.CancelScope(shield=True):
                            flush()
                            await trio.sleep_until(first[0])
                        await trio.lowlevel.checkpoint()    # (marks it taken)
                    with trio.CancelScope(shield=True):
                        flush()
                        await trio.sleep(seconds)
                    if error is not None:
                        raise error
                except BaseException as exc:
                    if isinstance(exc, trio.Cancelled):
                        first_due(stack, began).taken = True
                    trace.append("se:%s@%s" % (error_name(exc), now()))
                    raise
                trace.append("se=%r@%s" % ((index, got), now()))
            else:                       # defer
                with trio.CancelScope(shield=True):
                    got = await body(statement[1], [])
                trace.append("df=%r@%s" % (got, now()))
        return None

    async def scope(statement, stack):
        _, number, kind, form, seconds, statements = statement
        trace.append("e%d@%s" % (number, now()))
        try:
            deadline = trio.current_time() + (math.inf if seconds is None else seconds)
            got = None
            with trio.CancelScope() as cancel_scope:    # fail_at, move_on_at
                frame = frames[number] = Frame(cancel_scope)
                set_deadline(frame, deadline)
                try:
                    got = await body(statements, stack + [frame])
                finally:
                    pending.pop(frame, None)    # (its alarm cleared: it never went off)
            expired = cancel_scope.cancelled_caught
            if not expired and frame.taken:     # ours: a swallowed expiry
                if due(stack):
                    await trio.lowlevel.checkpoint()    # an outer one's turn
                expired = True
            if expired and kind == "fail":
                raise trio.TooSlowError
            outcome = "expired" if kind == "move_on" and expired else "ok=%r" % (got,)
        except BaseException as exc:
            if isinstance(exc, trio.Cancelled) and due(stack):
                due(stack)[0].taken = True      # ours: the outer's passes on
            trace.append("x%d:%s@%s" % (number, error_name(exc), now()))
            raise
        trace.append("x%d:%s@%s" % (number, outcome, now()))

    async def main():
        try:
            got = await body(program, [])
        except BaseException as exc:
            trace.append("end:%s@%s" % (error_name(exc), now()))
        else:
            trace.append("end=%r@%s" % (got, now()))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return " ".join(trace)


#: Seeds (of the 20,000 first) whose programs met the three differences the
#: exploration found, before their fixes: an ``ignore_after`` call's
#: default, a swallowed expiry then a shield, two deadlines past at once.
FOUND = (1402, 14686, 1277, 17120, 12505, 18515)


#: Seeds (of the 20,000 first) whose extended programs met the differences
#: found with moves and selects, before their fixes: a deadline that went off
#: and was moved twice (it no longer interrupted; after a move to None, the
#: next raised TypeError), or moved away while its cancellation unwound the
#: block (it escaped the scope), or moved while an inner one was due too
#: (the inner's was thrown in); a select whose caller's cancellation came
#: first, a later branch winning as it cancelled the others one by one.
FOUND_EXTENDED = (12, 1303, 1015, 287, 8492, 8614, 280, 2636, 3189, 2149)


def _table(name, extended, found, count):
    """``name = {seed: trio's trace}`` as source: of the first ``count``
    seeds whose program has a timeout that goes off (extended: and a move
    or a select), and of ``found``."""
    def wanted(program):
        if extended and not any(word in repr(program) for word in ("'move'", "'select'")):
            return False
        trace = trio_trace(program)
        return any(word in trace for word in ("Timeout", "expired", "Cancelled"))

    seeds = []
    seed = 0
    while len(seeds) < count:
        if wanted(Program(seed, extended).body):
            seeds.append(seed)
        seed += 1
    table = []
    for seed in seeds + list(found):
        lines = textwrap.wrap(trio_trace(Program(seed, extended).body), 84,
                              break_long_words=False)
        table.append("    %d: %s,\n" % (seed, "\n        ".join(
            "%r" % (line + " " if i < len(lines) - 1 else line)
            for i, line in enumerate(lines))))
    return "%s = {\n%s}\n" % (name, "".join(table))


def _record(path, count=160):
    """Rewrite the tables below with trio's traces (see ``_table``)."""
    with open(path) as f:
        text = f.read()
    for begin, end, table in (
            (_BEGIN, _END, _table("TRIO", False, FOUND, count)),
            (_BEGIN_EXTENDED, _END_EXTENDED, _table("TRIO_EXTENDED", True, FOUND_EXTENDED,
                                                    count))):
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + begin + table + end + tail
    with open(path, "w") as f:
        f.write(text)


_BEGIN = "# trio's traces (made by _record) ----------\n"
_END = "# ---------- (end of trio's traces)\n"
_BEGIN_EXTENDED = "# trio's traces of the extended programs (made by _record) ----------\n"
_END_EXTENDED = "# ---------- (end of trio's traces of the extended programs)\n"

# trio's traces (made by _record) ----------
TRIO = {
    3: 's@3 sw=None@3 e1@3 x1:Timeout@3 end:Timeout@3',
    5: 's@1.5 e1@1.5 x1:ok=None@1.5 e2@1.5 s@2.5 s@3 s@3 s@6 s@6 df=None@6 sw=None@6 '
        'df=None@6 f@6 s@7.5 s@8 s@9.5 sw=None@9.5 sh=None@9.5 f=None@9.5 x2:Timeout@9.5 '
        'f@9.5 s@9.5 f=None@9.5 end:Timeout@9.5',
    6: 'e1@0 e2@0 x2:ok=None@0 x1:ok=None@0 s@1 e3@1 x3:ok=None@1 f@1 s@1 s@3 s@3 f@3 f=2@3 '
        't=None@3 df=None@3 f=None@3 t=None@3 sh=4@3 sh=9@3 sh=None@3 e4@3 x4:Timeout@5 '
        'end:Timeout@5',
    12: 's@5 e1@5 x1:Timeout@5 end:Timeout@5',
    13: 's@0.5 e1@0.5 s@5.5 x1:ok=None@5.5 s@6 f@6 f=7@6 t=None@6 s@7 s@12 sh=None@12 '
        'sh=None@12 s@13.5 df=5@13.5 s@14 f@14 e5@14 x5:expired@14 f=None@14 f@14 s@14.5 '
        's@15.5 sw=None@15.5 s@15.5 s@15.5 s@17 df=None@17 s@22 e6@22 x6:ValueError@22 f@22 '
        'e7@22 s@23 x7:ok=None@23 f=None@23 sh:ValueError@23 end:ValueError@23',
    17: 's@1 s@6 e1@6 e2@6 e3@6 x3:ok=None@6 x2:Cancelled@7 x1:Timeout@7 sh:Timeout@7 '
        'end:Timeout@7',
    19: 'e1@0 x1:Timeout@0 c1@0 end=None@0',
    20: 's@0 sh=None@0 s@0 s@1.5 f@1.5 s@3 e1@3 x1:expired@5 e2@5 s@6 x2:ok=None@6 f=None@6 '
        't=8@6 end=None@6',
    21: 's@2 e1@2 x1:expired@4 end=None@4',
    25: 'e1@0 e2@0 x2:Timeout@0 x1:Timeout@0 c1@0 e7@0 x7:ok=None@0 s@0 e8@0 x8:Timeout@0 f@0 '
        'f=None@0 end:Timeout@0',
    26: 'e1@0 x1:expired@0 s@5 end=None@5',
    27: 'e1@0 x1:ok=None@0 s@5 s@6.5 s@7.5 f@7.5 e2@7.5 x2:expired@7.5 e3@7.5 e4@7.5 '
        'x4:Cancelled@7.5 x3:Timeout@7.5 end:Timeout@7.5',
    33: 's@1 e1@1 s@2 df=None@2 s@3 s@3 sw=None@3 sh:ValueError@3 sh:ValueError@3 '
        'sh:Cancelled@3 x1:Timeout@3 c1@3 e10@3 x10:ok=None@3 sh:ValueError@3 '
        'end:ValueError@3',
    35: 's@0.5 e1@0.5 s@5.5 e2@5.5 sh=None@5.5 s@10.5 s@13.5 s@13.5 x2:ok=None@13.5 s@16.5 '
        's@17.5 sh=None@17.5 sh=None@17.5 x1:Timeout@17.5 c1@17.5 f@17.5 s@17.5 s@20.5 '
        'f=None@20.5 t=None@20.5 s@22.5 s@25.5 df=None@25.5 end=1@25.5',
    40: 's@1 e1@1 e2@1 x2:Timeout@1 c2@1 f@1 f=6@1 t=None@1 f@2.5 e3@2.5 x3:ok=None@2.5 '
        'f=None@2.5 x1:Timeout@2.5 end:Timeout@2.5',
    50: 'e1@0 s@1.5 x1:Timeout@2 f@2 s@3 s@4.5 f@4.5 e2@4.5 s@6 s@8 x2:ValueError@8 f@8 s@9 '
        'f=None@9 end:ValueError@9',
    53: 'f@0 s@3 e1@3 e2@3 x2:Timeout@3 c2@3 x1:Timeout@3.5 c1@3.5 s@4 s@5.5 sh=None@5.5 '
        'f=7@5.5 end:ValueError@5.5',
    62: 's@1 s@1.5 s@2.5 f@2.5 f@2.5 f=1@2.5 t=None@2.5 f=None@2.5 t=None@2.5 e1@2.5 e2@2.5 '
        's@3.5 s@3.5 f@4.5 x2:expired@4.5 x1:ok=None@4.5 f@4.5 s@5 sh=None@5 s@7 s@10 s@15 '
        's@15 s@16 s@16.5 s@17.5 f@17.5 s@19.5 s@19.5 s@19.5 s@20.5 s@21.5 df=None@21.5 s@22 '
        's@22 sw=None@22 f=None@22 t=None@22 df=None@22 f=None@22 t=None@22 e3@22 '
        'x3:ok=None@22 s@23 s@24 end=None@24',
    72: 'e1@0 e2@0 s@0.5 e3@0.5 x3:Timeout@0.5 sh:Cancelled@0.5 x2:Cancelled@0.5 '
        'x1:Timeout@0.5 c1@0.5 end=None@0.5',
    75: 's@5 e1@5 s@6.5 s@8 e2@8 x2:expired@10 sh=None@10 x1:ok=None@10 s@10.5 sh=None@10.5 '
        's@11 f@11 sh=None@11 s@12 f=None@12 t=None@12 sw=None@12 sw=None@12 s@12 s@14 s@15 '
        'end=None@15',
    78: 's@1 e1@1 e2@1 sh=None@1 f@1 x2:Timeout@3 c2@3 s@4 e3@4 x3:Timeout@4.5 c3@4.5 f@4.5 '
        's@6 f=None@6 t=None@6 x1:ok=None@6 end=None@6',
    81: 'df=1@0 s@3 f@3 s@4.5 s@6 s@6.5 e1@6.5 s@7.5 e2@7.5 x2:ok=None@7.5 sh=None@7.5 s@9 '
        's@10.5 s@10.5 df=None@10.5 s@11.5 df=None@11.5 f@11.5 s@12.5 f=None@12.5 t=None@12.5 '
        's@12.5 sh=None@12.5 x1:Timeout@12.5 end:Timeout@12.5',
    83: 's@2 s@3 s@4 f@4 f=None@4 t=None@4 e1@4 x1:Timeout@6 c1@6 e2@6 s@6 f@6 f=None@6 '
        't=None@6 x2:ok=None@6 s@6.5 df=6@6.5 sh:ValueError@6.5 end:ValueError@6.5',
    85: 'e1@0 s@3 s@8 s@11 s@14 df=None@14 e2@14 x2:ok=None@14 sw@14 x1:Timeout@14 '
        'end:Timeout@14',
    87: 'e1@0 e2@0 x2:ok=None@0 x1:Timeout@0 c1@0 e3@0 e4@0 sw@0 e5@0 x5:Cancelled@0 '
        'x4:Timeout@0 x3:Timeout@0 f@0 e8@0 x8:ValueError@0 end:ValueError@0',
    88: 'sh=None@0 df=None@0 sh=None@0 s@0 e1@0 s@0.5 x1:Timeout@2 f@2 s@2 f=None@2 '
        'end:Timeout@2',
    90: 'e1@0 e2@0 x2:Timeout@1 c2@1 x1:expired@5 s@6 end=None@6',
    93: 'f@0 s@2 s@2.5 f=None@2.5 t=None@2.5 df=None@2.5 e1@2.5 e2@2.5 x2:Cancelled@2.5 '
        'x1:expired@2.5 sh=None@2.5 s@2.5 sw=None@2.5 sh=None@2.5 sh=None@2.5 e3@2.5 s@2.5 '
        'df=None@2.5 x3:ok=None@2.5 f@2.5 s@7.5 e4@7.5 x4:expired@9 s@9.5 end:ValueError@9.5',
    96: 's@2 sh=None@2 e1@2 x1:Timeout@2 c1@2 end=None@2',
    98: 'sw=None@0 s@0 e1@0 s@1.5 s@1.5 e2@1.5 x2:Timeout@3 c2@3 sh=None@3 x1:Timeout@3 c1@3 '
        's@8 df=None@8 sh=None@8 end=None@8',
    99: 's@0.5 s@1 e1@1 x1:Timeout@3 c1@3 s@5 end=None@5',
    101: 's@5 s@6 e1@6 s@7 x1:ok=None@7 s@10 e2@10 x2:Timeout@11 c2@11 sh=None@11 sh=None@11 '
        'f@11 s@12.5 e3@12.5 x3:ok=None@12.5 f=None@12.5 end:ValueError@12.5',
    102: 'e1@0 s@1 e2@1 e3@1 s@1 x3:ok=None@1 f@1 e4@1 x4:expired@2 f=None@2 t=None@2 e5@2 '
        's@2.5 s@2.5 sw@3 x5:ok=None@3 e6@3 x6:Cancelled@3 f@3 f=3@3 x2:Cancelled@3 '
        'x1:expired@3 s@3 end=None@3',
    107: 'e1@0 sh=None@0 s@0 e2@0 x2:Cancelled@1 x1:expired@1 s@2.5 s@3 s@4 s@5 sh=None@5 '
        'end=None@5',
    108: 'e1@0 s@0 s@0.5 x1:Timeout@2 end:Timeout@2',
    110: 'e1@0 e2@0 x2:ok=None@0 x1:Timeout@1 c1@1 sh:ValueError@1 end:ValueError@1',
    112: 'e1@0 s@1 x1:ok=None@1 df=None@1 s@2 e2@2 e3@2 x3:Timeout@2.5 c3@2.5 x2:ok=None@2.5 '
        'f@2.5 sh=None@2.5 s@3.5 s@8.5 f=1@8.5 t=None@8.5 e4@8.5 s@8.5 x4:expired@9 f@9 e5@9 '
        'x5:Timeout@9 end:Timeout@9',
    113: 'e1@0 x1:expired@2 end=None@2',
    114: 's@0 s@5 df=None@5 e1@5 x1:expired@5 end=None@5',
    115: 's@0 df=5@0 e1@0 s@0.5 df=None@0.5 s@1 s@1.5 e2@1.5 x2:Timeout@1.5 c2@1.5 s@2.5 s@4.5 '
        'sh=None@4.5 f@4.5 s@6.5 f=8@6.5 t=8@6.5 f@6.5 s@11.5 e3@11.5 s@11.5 x3:expired@12.5 '
        'f=None@12.5 t=None@12.5 s@14.5 s@15.5 s@17.5 s@17.5 sh=None@17.5 sh=2@17.5 e4@17.5 '
        'x4:ok=None@17.5 e5@17.5 x5:Cancelled@17.5 x1:expired@17.5 end=None@17.5',
    119: 's@5 e1@5 e2@5 x2:Cancelled@5 x1:expired@5 sh=None@5 end=None@5',
    120: 's@3 s@4 s@5 e1@5 x1:Timeout@5.5 c1@5.5 s@10.5 end=None@10.5',
    127: 'df=None@0 s@1 s@2 s@2 s@7 sh=None@7 e1@7 x1:Timeout@7 sh:Timeout@7 end:Timeout@7',
    129: 's@2 e1@2 x1:expired@2 e2@2 x2:ok=None@2 s@2.5 f@2.5 f=None@2.5 t=None@2.5 s@2.5 '
        's@3.5 s@4 s@9 end=None@9',
    141: 'e1@0 s@1 e2@1 x2:ok=8@1 e3@1 x3:Timeout@1.5 c3@1.5 x1:ok=None@1.5 e5@1.5 s@1.5 s@2.5 '
        's@7.5 s@8 s@9 s@12 s@13.5 sw=None@13.5 s@14.5 f@14.5 s@15.5 s@15.5 s@15.5 f=7@15.5 '
        't=None@15.5 df=None@15.5 s@20.5 s@21 s@23 s@23.5 df=None@23.5 s@24.5 s@25 e6@25 s@26 '
        'e7@26 s@27 x7:ok=None@27 s@28.5 s@28.5 x6:ok=None@28.5 f@28.5 s@33.5 s@34.5 s@36.5 '
        's@39.5 f=None@39.5 t=None@39.5 x5:ok=None@39.5 s@41.5 sh=9@41.5 e8@41.5 '
        'x8:ok=None@41.5 s@41.5 end=None@41.5',
    142: 'e1@0 s@1 x1:expired@2 s@7 s@12 s@12 e2@12 e3@12 x3:ok=None@12 e4@12 f@12 '
        'x4:Cancelled@12 x2:expired@12 s@13 f@13 s@14 f=None@14 t=None@14 s@15 end=None@15',
    146: 's@1.5 e1@1.5 s@1.5 s@1.5 x1:Timeout@2 c1@2 end=None@2',
    147: 'e1@0 s@3 e2@3 x2:expired@3 x1:ok=None@3 s@4 s@4 s@5 e3@5 x3:Timeout@7 c3@7 sh=None@7 '
        's@8 s@9.5 end:ValueError@9.5',
    150: 's@3 f@3 s@3 f=None@3 t=None@3 s@6 s@6.5 e1@6.5 s@7 s@7 sh=None@7 e2@7 x2:Timeout@8 '
        'c2@8 x1:ok=None@8 sh=None@8 sh=None@8 f@8 f=None@8 t=None@8 e3@8 e4@8 x4:Timeout@8 '
        'c4@8 s@9.5 x3:ok=None@9.5 end=None@9.5',
    152: 'e1@0 x1:expired@0 s@0 s@5 s@5.5 end=None@5.5',
    164: 'e1@0 x1:Timeout@2 c1@2 end=None@2',
    170: 's@0 s@1 e1@1 x1:Timeout@3 c1@3 sw=None@3 s@6 sh=None@6 s@9 df=None@9 df=None@9 s@9 '
        's@9 df=None@9 end=None@9',
    178: 'e1@0 x1:expired@2 df=3@2 f@2 f=7@2 t=None@2 sh:ValueError@2 end:ValueError@2',
    180: 's@0 e1@0 s@0 s@0 s@0 df=None@0 s@0 e2@0 e3@0 x3:ok=None@0 x2:Timeout@0 c2@0 f@0 '
        's@0.5 s@2.5 s@5.5 s@5.5 s@6.5 df=None@6.5 s@6.5 s@7 df=None@7 s@8 sw=8@8 sh=None@8 '
        's@8 s@9.5 sh=None@9.5 f=None@9.5 t=None@9.5 x1:ok=None@9.5 end=None@9.5',
    181: 'e1@0 e2@0 e3@0 sh=None@0 x3:ok=None@0 s@1 s@3 sh=None@3 x2:Cancelled@3 x1:Timeout@3 '
        'end:Timeout@3',
    187: 's@0 e1@0 e2@0 x2:Cancelled@1 x1:Timeout@1 c1@1 s@2 f@2 e5@2 s@3 e6@3 x6:Timeout@3 '
        'c6@3 x5:ok=None@3 end:ValueError@3',
    191: 'e1@0 e2@0 x2:ok=None@0 sh=7@0 x1:Timeout@0 c1@0 e3@0 e4@0 x4:Timeout@1 c4@1 '
        'x3:expired@3 df=None@3 s@4.5 s@6 f@6 s@6 s@9 f=None@9 t=None@9 e8@9 s@10 s@13 s@13 '
        's@14 df=None@14 sw=None@14 df=None@14 e9@14 x9:ok=None@14 f@14 s@14 f@14 f=8@14 '
        't=None@14 sh=None@14 df=None@14 f=None@14 t=None@14 sh=4@14 e10@14 x10:Cancelled@14 '
        'x8:Timeout@14 c8@14 s@14.5 s@17.5 s@17.5 df=None@17.5 s@18 df=None@18 end=None@18',
    194: 's@0.5 s@1.5 e1@1.5 s@1.5 e2@1.5 s@1.5 e3@1.5 x3:ok=None@1.5 x2:Cancelled@3.5 '
        'x1:Timeout@3.5 c1@3.5 s@8.5 s@8.5 df=None@8.5 end=None@8.5',
    195: 's@1 s@2 sh=None@2 e1@2 x1:Timeout@3.5 end:Timeout@3.5',
    196: 'e1@0 e2@0 x2:Timeout@0.5 c2@0.5 e5@0.5 s@1 e6@1 e7@1 x7:Cancelled@1.5 x6:expired@1.5 '
        'x5:Cancelled@2 x1:Timeout@2 end:Timeout@2',
    207: 'e1@0 x1:Timeout@0 end:Timeout@0',
    208: 's@1 df=None@1 e1@1 s@2 s@7 s@8 s@9 s@9.5 sh=None@9.5 x1:ok=None@9.5 s@12.5 '
        'df=None@12.5 f@12.5 e2@12.5 x2:ok=None@12.5 e3@12.5 x3:expired@12.5 e4@12.5 '
        'x4:ok=None@12.5 s@12.5 f@12.5 s@13 s@13.5 f=9@13.5 t=None@13.5 s@14 f=None@14 '
        't=None@14 s@19 f@19 end:ValueError@19',
    209: 'e1@0 x1:Timeout@0 end:Timeout@0',
    211: 's@1 s@6 e1@6 s@8 x1:ok=None@8 e2@8 e3@8 e4@8 x4:Cancelled@8.5 x3:Cancelled@8.5 '
        'x2:Timeout@8.5 end:Timeout@8.5',
    212: 'e1@0 x1:Timeout@0 end:Timeout@0',
    214: 'e1@0 s@1 e2@1 x2:Timeout@1 c2@1 sw=None@1 sh=None@1 e3@1 f@1 sh=6@1 f=None@1 '
        't=None@1 x3:Cancelled@1 x1:Timeout@1 c1@1 s@2.5 e9@2.5 e10@2.5 x10:Timeout@2.5 '
        'c10@2.5 x9:ok=3@2.5 s@3.5 df=5@3.5 s@4.5 df=None@4.5 s@6 df=None@6 s@7.5 sw=None@7.5 '
        'end=None@7.5',
    216: 'e1@0 x1:expired@0 s@0 e2@0 s@2 s@3.5 s@4 s@5 s@8 df=None@8 x2:ValueError@8 f@8 s@11 '
        'f=None@11 end:ValueError@11',
    217: 's@1 e1@1 e2@1 s@1 f@1 df=2@1 f=6@1 t=None@1 f@1.5 f=9@1.5 x2:Cancelled@1.5 '
        'x1:Timeout@1.5 end:Timeout@1.5',
    223: 's@1 s@6 e1@6 e2@6 e3@6 s@6 sh=5@6 x3:ok=None@6 x2:Cancelled@6 x1:Timeout@6 '
        'end:Timeout@6',
    227: 's@1 e1@1 x1:Timeout@1 c1@1 sh=None@1 end=1@1',
    241: 'e1@0 e2@0 x2:Cancelled@0 f@0 f=None@0 f@0 s@5 e3@5 s@5 x3:ok=None@5 s@6.5 sh=5@6.5 '
        'x1:ValueError@6.5 end:ValueError@6.5',
    244: 's@3 s@3 e1@3 x1:Timeout@4 f@4 s@9 s@14 s@15.5 df=None@15.5 f@15.5 s@16.5 f=None@16.5 '
        't=None@16.5 f=None@16.5 f@16.5 f=7@16.5 sh:Timeout@16.5 end:Timeout@16.5',
    247: 's@1.5 f@1.5 s@3.5 s@4.5 s@5.5 e1@5.5 e2@5.5 x2:Cancelled@5.5 f@5.5 x1:expired@5.5 '
        'f=None@5.5 t=None@5.5 s@6.5 s@6.5 e4@6.5 x4:ok=None@6.5 e5@6.5 s@6.5 x5:ok=None@6.5 '
        'f@6.5 f=None@6.5 t=None@6.5 s@11.5 s@11.5 s@13 sh=None@13 f@13 s@14.5 s@15 s@15 f@15 '
        's@16.5 s@16.5 s@16.5 s@16.5 df=None@16.5 s@17.5 s@18.5 f=None@18.5 t=None@18.5 s@19 '
        'df=None@19 df=None@19 end:ValueError@19',
    250: 's@0.5 df=None@0.5 e1@0.5 x1:Timeout@2 end:Timeout@2',
    251: 'e1@0 s@1 s@6 e2@6 x2:ok=None@6 sh:Cancelled@6 x1:expired@6 s@7 s@8 s@8.5 '
        'end=None@8.5',
    253: 's@3 f@3 f=None@3 t=None@3 s@6 s@11 df=None@11 e1@11 e2@11 x2:Cancelled@12 '
        'x1:Timeout@12 c1@12 e8@12 e9@12 e10@12 e11@12 x11:ValueError@12 x10:ValueError@12 '
        'x9:ValueError@12 x8:ValueError@12 end:ValueError@12',
    257: 's@1 s@1 s@2 s@5 s@5.5 sw=None@5.5 f@5.5 f=None@5.5 t=None@5.5 f@5.5 f=None@5.5 '
        't=None@5.5 s@6 df=None@6 s@11 sh=None@11 e1@11 s@11.5 s@11.5 sh=None@11.5 '
        'x1:Timeout@11.5 sh:Timeout@11.5 end:Timeout@11.5',
    259: 'e1@0 e2@0 e3@0 x3:ok=3@0 x2:Timeout@3 c2@3 sh=None@3 sh=5@3 e4@3 x4:Cancelled@3 f@3 '
        'f@3 e10@3 x10:ok=None@3 x1:ValueError@3 end:ValueError@3',
    262: 'e1@0 f@0 e2@0 sw@0.5 x2:Timeout@0.5 c2@0.5 sw=None@0.5 e3@0.5 x3:ValueError@0.5 '
        'sh:ValueError@0.5 x1:ValueError@0.5 end:ValueError@0.5',
    264: 'e1@0 s@0.5 x1:ok=None@0.5 s@0.5 e2@0.5 x2:Timeout@2 sh:Timeout@2 end:Timeout@2',
    268: 'df=None@0 e1@0 s@0 e2@0 s@1 s@2.5 df=None@2.5 s@7.5 sw=5@7.5 s@9.5 df=None@9.5 '
        'sh=None@9.5 x2:Cancelled@9.5 f@9.5 x1:ValueError@9.5 end:ValueError@9.5',
    270: 's@0 e1@0 x1:Timeout@0 c1@0 end=None@0',
    271: 'e1@0 f@0 s@2 e2@2 s@3 x2:ok=None@3 s@6 f=None@6 t=None@6 s@9 s@9 sh=None@9 e3@9 '
        'x3:ok=None@9 x1:expired@9 s@14 s@15 e4@15 x4:Timeout@15 c4@15 end=None@15',
    275: 's@1.5 s@4.5 sw=None@4.5 df=None@4.5 s@4.5 f@4.5 s@6 s@7.5 s@8 e1@8 s@9 x1:expired@10 '
        'f=None@10 t=None@10 s@11.5 end:ValueError@11.5',
    276: 's@1.5 s@1.5 e1@1.5 s@3 x1:Timeout@3.5 c1@3.5 end=None@3.5',
    282: 'e1@0 x1:expired@0.5 s@5.5 s@8.5 sh=None@8.5 end=None@8.5',
    287: 's@1 s@1.5 s@6.5 s@7 s@9 e1@9 e2@9 s@14 s@15 df=8@15 x2:ok=None@15 x1:Timeout@15 '
        'c1@15 f@15 f=6@15 t=None@15 end=None@15',
    289: 'e1@0 x1:Timeout@0 c1@0 sh=None@0 e2@0 x2:Timeout@0 end:Timeout@0',
    290: 's@3 sw=None@3 s@3 e1@3 x1:Timeout@5 c1@5 s@6 e2@6 x2:expired@11 f@11 s@11 e3@11 '
        'x3:Timeout@14 sh:Timeout@14 end:Timeout@14',
    291: 'e1@0 x1:ok=5@0 e2@0 s@2 s@3 s@4.5 s@7.5 sh=None@7.5 x2:Timeout@7.5 c2@7.5 e3@7.5 '
        'df=None@7.5 x3:ValueError@7.5 end:ValueError@7.5',
    295: 'e1@0 e2@0 x2:ok=None@0 s@1 e3@1 x3:Cancelled@1.5 x1:Timeout@1.5 c1@1.5 s@2 s@3 '
        'end=None@3',
    297: 's@2 s@3.5 f@3.5 s@6.5 f=None@6.5 t=None@6.5 s@9.5 e1@9.5 s@11 x1:Timeout@11.5 '
        'c1@11.5 end=None@11.5',
    299: 's@5 sw=None@5 e1@5 e2@5 s@6.5 f@6.5 f=7@6.5 t=4@6.5 sw=None@6.5 s@7 df=None@7 '
        'sh=None@7 x2:ok=None@7 e3@7 e4@7 x4:expired@7 s@8 x3:ok=None@8 sw@10 e6@10 f@10 '
        'sw=None@10 sh=None@10 sw@10 e7@10 x7:Cancelled@10 x6:Cancelled@10 x1:Timeout@10 '
        'c1@10 s@10 end=None@10',
    301: 'e1@0 s@1 s@4 df=None@4 s@4.5 s@9.5 sh=None@9.5 e2@9.5 sh=None@9.5 e3@9.5 '
        'x3:Cancelled@9.5 x2:Cancelled@9.5 x1:expired@9.5 s@10.5 s@11.5 e5@11.5 '
        'x5:ok=None@11.5 end=None@11.5',
    302: 's@1 s@2 df=7@2 s@2 e1@2 s@3.5 s@6.5 s@7.5 f@7.5 f=None@7.5 sh:ValueError@7.5 '
        'sh:Cancelled@7.5 x1:Timeout@7.5 end:Timeout@7.5',
    305: 'e1@0 x1:expired@0.5 e6@0.5 s@0.5 s@2 s@7 sh=None@7 x6:ok=None@7 s@12 sw=None@12 s@13 '
        'end=None@13',
    306: 's@1 sh=None@1 s@3 e1@3 x1:Timeout@3 end:Timeout@3',
    311: 's@0 s@0 sh=None@0 df=None@0 df=None@0 e1@0 sh=None@0 s@3 sh:Cancelled@3 sw@3 '
        'x1:Timeout@3 c1@3 sh=None@3 s@3 end=None@3',
    312: 'e1@0 x1:Timeout@0.5 end:Timeout@0.5',
    315: 'e1@0 e2@0 e3@0 x3:Timeout@0 x2:Timeout@0 x1:Timeout@0 end:Timeout@0',
    319: 'sh=None@0 e1@0 e2@0 e3@0 x3:Timeout@1.5 c3@1.5 s@4.5 s@7.5 s@8.5 sh=None@8.5 '
        'x2:ok=None@8.5 x1:Timeout@8.5 c1@8.5 end=None@8.5',
    322: 's@1 s@1.5 s@6.5 e1@6.5 s@9.5 f@9.5 s@11.5 s@11.5 s@12.5 s@12.5 s@14 s@19 sw=None@19 '
        'f=None@19 t=None@19 s@24 f@24 s@25 s@26 s@27.5 f=None@27.5 t=None@27.5 e2@27.5 s@28 '
        's@28 x2:expired@29 e3@29 s@30 s@35 s@35.5 s@38.5 sh:Cancelled@38.5 x3:Timeout@38.5 '
        'sh:Cancelled@38.5 x1:Timeout@38.5 c1@38.5 end=None@38.5',
    327: 's@0.5 s@3.5 e1@3.5 x1:Timeout@4 c1@4 f@4 f=None@4 t=None@4 end=None@4',
    328: 'e1@0 e2@0 e3@0 s@1 x3:ok=7@1 s@1 x2:ok=None@1 s@1.5 s@1.5 x1:ok=None@1.5 s@1.5 '
        'e4@1.5 df=None@1.5 e5@1.5 x5:expired@1.5 x4:ok=None@1.5 e6@1.5 x6:ok=None@1.5 s@6.5 '
        'end=None@6.5',
    331: 'f@0 f@0 e1@0 x1:Timeout@5 c1@5 e2@5 x2:ValueError@5 f@5 f=None@5 end:ValueError@5',
    336: 'e1@0 f@0 df=None@0 e2@0 x2:Cancelled@0 f@0 s@3 sh=None@3 f=None@3 x1:Timeout@3 c1@3 '
        'end=None@3',
    340: 's@1 s@2 e1@2 e2@2 x2:ok=None@2 x1:expired@2.5 s@3.5 f@3.5 s@4.5 s@6.5 e3@6.5 s@6.5 '
        'e4@6.5 x4:ok=None@6.5 sw@7 x3:Timeout@7 c3@7 f=None@7 t=None@7 f@7 s@9 e5@9 '
        'x5:ok=None@9 f@9 s@9 s@9.5 s@11.5 f=None@11.5 t=None@11.5 e6@11.5 df=None@11.5 s@13 '
        's@13 s@13 x6:ok=None@13 s@13.5 end:ValueError@13.5',
    345: 's@2 s@3.5 e1@3.5 s@5 x1:Timeout@5.5 end:Timeout@5.5',
    347: 'sw=4@0 s@0 s@0 f@0 e1@0 x1:Timeout@1.5 c1@1.5 e2@1.5 x2:expired@2.5 '
        'sh:ValueError@2.5 end:ValueError@2.5',
    350: 'e1@0 e2@0 x2:Timeout@2 sh:Timeout@2 sh:Timeout@2 x1:Timeout@2 c1@2 s@3.5 s@5.5 '
        'end=None@5.5',
    351: 'e1@0 x1:Timeout@1 c1@1 end:ValueError@1',
    354: 's@0 e1@0 sh:Cancelled@0 x1:Timeout@0 c1@0 end=None@0',
    359: 's@2 e1@2 x1:ok=None@2 f@2 f=None@2 t=None@2 e2@2 f@2 x2:expired@2 sw=None@2 s@2.5 '
        's@2.5 sh=None@2.5 end=None@2.5',
    361: 's@2 s@2 e1@2 x1:expired@7 sh=None@7 s@7 e2@7 s@8.5 s@13.5 df=None@13.5 e3@13.5 '
        'x3:ok=4@13.5 x2:ValueError@13.5 end:ValueError@13.5',
    367: 's@1.5 sh=None@1.5 e1@1.5 s@2.5 x1:Timeout@3.5 c1@3.5 sh=None@3.5 end=None@3.5',
    371: 'e1@0 x1:ok=None@0 s@1 e2@1 x2:ok=None@1 sw=None@1 s@2 e3@2 x3:Timeout@2 c3@2 '
        'end=None@2',
    372: 'e1@0 x1:expired@0 end=None@0',
    383: 's@3 s@4.5 s@5.5 f@5.5 f=None@5.5 t=None@5.5 e1@5.5 e2@5.5 x2:Cancelled@5.5 '
        'x1:expired@5.5 e3@5.5 s@7.5 e4@7.5 x4:Cancelled@8.5 x3:Timeout@8.5 c3@8.5 e6@8.5 s@9 '
        'x6:ok=None@9 s@9 s@9 f@9 e7@9 s@10 s@15 x7:ValueError@15 end:ValueError@15',
    385: 'df=None@0 sw=3@0 sh=None@0 s@0.5 f@0.5 sh=None@0.5 s@0.5 s@0.5 s@0.5 sh=None@0.5 '
        'f=None@0.5 t=None@0.5 s@3.5 s@5.5 f@5.5 s@10.5 f=None@10.5 t=None@10.5 f@10.5 '
        'e1@10.5 x1:expired@10.5 f=None@10.5 t=None@10.5 end=None@10.5',
    386: 's@2 s@7 s@8 s@9 df=None@9 e1@9 x1:Timeout@10 end:Timeout@10',
    388: 's@0.5 e1@0.5 x1:expired@1.5 end=5@1.5',
    392: 'e1@0 x1:Timeout@1 sh:Timeout@1 end:Timeout@1',
    401: 's@1 e1@1 x1:Timeout@3 c1@3 s@3 e2@3 x2:ok=None@3 s@3 sh=None@3 end=None@3',
    403: 'e1@0 x1:Timeout@1 end:Timeout@1',
    414: 'e1@0 s@1 e2@1 f@1.5 f=None@1.5 x2:Timeout@1.5 c2@1.5 x1:ok=None@1.5 s@2.5 e4@2.5 '
        's@2.5 x4:ValueError@2.5 f@2.5 f=None@2.5 end:ValueError@2.5',
    417: 'e1@0 x1:Timeout@0 c1@0 s@1.5 s@2.5 s@3.5 s@5.5 end=None@5.5',
    419: 'e1@0 e2@0 x2:Timeout@0 x1:Timeout@0 end:Timeout@0',
    421: 'e1@0 s@1 s@1 s@1 f@1 e2@1 x2:Timeout@1.5 c2@1.5 x1:expired@2 s@2 s@2.5 sw=None@2.5 '
        'end:ValueError@2.5',
    425: 's@1.5 s@6.5 e1@6.5 e2@6.5 x2:Cancelled@7.5 x1:Timeout@7.5 c1@7.5 s@7.5 end=None@7.5',
    427: 'e1@0 x1:expired@0 e2@0 e3@0 x3:ok=None@0 s@0.5 e4@0.5 sw@2 e5@2 e6@2 x6:Cancelled@2 '
        'x5:Cancelled@2 x4:Cancelled@2 x2:Timeout@2 end:Timeout@2',
    430: 'e1@0 x1:Timeout@1 end:Timeout@1',
    431: 'e1@0 e2@0 x2:Cancelled@0 x1:Timeout@0 c1@0 s@5 e4@5 s@5 x4:ValueError@5 f@5 e6@5 '
        'x6:Timeout@6 c6@6 sh=None@6 s@11 f=None@11 end:ValueError@11',
    432: 'e1@0 e2@0 e3@0 e4@0 x4:Cancelled@1 x3:Timeout@1 x2:Timeout@1 x1:Timeout@1 '
        'end:Timeout@1',
    433: 'e1@0 s@1 sh=None@1 s@1.5 s@1.5 f@1.5 f=None@1.5 t=None@1.5 s@2 df=None@2 '
        'x1:Timeout@2 end:Timeout@2',
    440: 'e1@0 x1:Timeout@1 c1@1 end=None@1',
    441: 'e1@0 e2@0 x2:Cancelled@1 x1:Timeout@1 sh:Timeout@1 end:Timeout@1',
    447: 'e1@0 x1:Timeout@2 end:Timeout@2',
    451: 'e1@0 x1:ok=None@0 e2@0 s@1 x2:expired@1.5 s@2.5 sw=None@2.5 end=None@2.5',
    453: 's@3 e1@3 e2@3 x2:ok=None@3 s@4 s@4 e3@4 x3:Timeout@4 sh:Timeout@4 x1:Timeout@4 '
        'end:Timeout@4',
    454: 'e1@0 e2@0 x2:ok=None@0 x1:ok=None@0 e3@0 f@0 f=None@0 x3:expired@0 e4@0 e5@0 s@0 '
        'x5:ok=None@0 x4:ok=None@0 e6@0 s@5 x6:ok=None@5 sw=None@5 e7@5 x7:ok=None@5 e8@5 '
        'e9@5 x9:expired@5 x8:Timeout@5.5 c8@5.5 end=None@5.5',
    456: 's@0 e1@0 x1:ok=None@0 s@3 sh=None@3 s@3.5 s@4 e2@4 s@9 s@10 s@10.5 df=None@10.5 '
        'df=None@10.5 x2:Timeout@10.5 c2@10.5 end=None@10.5',
    460: 'e1@0 x1:Timeout@0 c1@0 f@0 f=None@0 t=None@0 s@5 end=None@5',
    461: 'e1@0 e2@0 x2:ok=4@0 s@1.5 e3@1.5 x3:Timeout@1.5 c3@1.5 x1:ok=None@1.5 s@4.5 s@4.5 '
        's@9.5 f@9.5 f=None@9.5 t=None@9.5 e5@9.5 e6@9.5 x6:Timeout@10 c6@10 e8@10 '
        'x8:Cancelled@12.5 x5:Timeout@12.5 c5@12.5 end=None@12.5',
    462: 'e1@0 x1:ok=None@0 e2@0 x2:ok=None@0 s@2 s@2 f@2 f=None@2 t=None@2 s@3 s@5 s@5 s@6 '
        'sw=None@6 f@6 f=None@6 t=None@6 s@7 f@7 s@8 s@8 s@9.5 s@9.5 sw=None@9.5 s@14.5 '
        'df=7@14.5 df=None@14.5 s@15.5 sh=9@15.5 f=None@15.5 t=None@15.5 f@15.5 s@15.5 s@15.5 '
        's@18.5 df=6@18.5 s@19 df=None@19 s@19 s@20 e3@20 x3:Timeout@21 c3@21 f=None@21 '
        't=None@21 s@26 sh=None@26 end:ValueError@26',
    469: 'e1@0 e2@0 f@0 f=None@0 t=None@0 x2:Timeout@0 x1:Timeout@0 c1@0 e4@0 x4:ok=None@0 '
        'e5@0 s@1 x5:ok=None@1 end=None@1',
    470: 'e1@0 e2@0 x2:expired@0 f@0.5 f=None@0.5 f@0.5 f@0.5 x1:Timeout@0.5 c1@0.5 '
        'end=None@0.5',
    471: 'e1@0 e2@0 x2:expired@0 s@0 sh=None@0 x1:ok=None@0 end=None@0',
    476: 'e1@0 e2@0 x2:expired@0 f@0 s@1 s@2.5 e3@2.5 e4@2.5 x4:ok=None@2.5 x3:ok=3@2.5 '
        'f=6@2.5 t=None@2.5 e5@2.5 s@4 x5:ok=None@4 s@4 e6@4 x6:ok=3@4 sh=None@4 f@5 '
        'x1:expired@5 sh=None@5 end=5@5',
    478: 'f@0 s@2 s@7 s@8 sh=None@8 s@9.5 f@9.5 e1@9.5 x1:Timeout@9.5 end:Timeout@9.5',
    483: 'e1@0 x1:expired@0 s@1 s@1 s@6 s@7 sh=None@7 e2@7 x2:ok=None@7 s@7 s@10 f@10 s@11 '
        'f=None@11 t=None@11 s@11 sw=None@11 sh=None@11 s@16 e3@16 x3:ok=8@16 '
        'end:ValueError@16',
    490: 's@1 df=9@1 s@2 s@2.5 s@3 sh=None@3 e1@3 e2@3 x2:ok=4@3 s@4 x1:Timeout@5 sh:Timeout@5 '
        'f@5 sh=None@5 f=None@5 end:Timeout@5',
    491: 'e1@0 x1:Timeout@5 c1@5 s@5.5 df=None@5.5 end:ValueError@5.5',
    493: 'e1@0 e2@0 s@1 s@2.5 s@3.5 s@3.5 s@3.5 sh=None@3.5 e3@3.5 x3:expired@3.5 s@3.5 '
        'sh=None@3.5 s@3.5 sh=None@3.5 x2:ok=None@3.5 x1:expired@3.5 e4@3.5 f@3.5 e5@3.5 '
        'x5:ok=None@3.5 x4:Timeout@3.5 end:Timeout@3.5',
    494: 'e1@0 x1:Timeout@0 end:Timeout@0',
    496: 's@1.5 e1@1.5 s@1.5 s@2.5 sh=None@2.5 s@3 df=None@3 f@3 e2@3 s@3.5 x2:Timeout@4 '
        'x1:Timeout@4 end:Timeout@4',
    498: 's@1 s@3 s@6 e1@6 x1:expired@8 sh=None@8 s@9 sh=None@9 end=None@9',
    501: 'e1@0 x1:Timeout@1.5 end:Timeout@1.5',
    502: 's@1.5 e1@1.5 f@1.5 f=4@1.5 t=None@1.5 s@1.5 e2@1.5 x2:ok=None@1.5 x1:ok=None@1.5 '
        'f@1.5 e3@1.5 x3:Timeout@1.5 end:Timeout@1.5',
    504: 'e1@0 x1:Timeout@0 c1@0 e2@0 x2:ok=None@0 f@0 s@5 f=None@5 t=None@5 s@8 e3@8 s@8 '
        'x3:ok=None@8 sh=None@8 sh=None@8 f@8 s@10 end:ValueError@10',
    506: 's@2 e1@2 x1:Timeout@2.5 c1@2.5 f@2.5 s@2.5 f@2.5 f=None@2.5 t=None@2.5 f=None@2.5 '
        't=None@2.5 e3@2.5 x3:ok=None@2.5 s@3.5 df=None@3.5 sw=None@3.5 end=None@3.5',
    1402: 'e1@0 x1:ok=4@0 sw=None@0 s@0.5 s@1.5 s@6.5 e2@6.5 s@6.5 sw@7 x2:expired@7 s@7 f@7 '
        'f=8@7 t=None@7 end=None@7',
    14686: 'e1@0 e2@0 sw@0 x2:ok=None@0 x1:expired@0 s@0 s@0 s@5 end=None@5',
    1277: 'e1@0 sw@0 sh=None@0 x1:expired@0 s@3 end=None@3',
    17120: 's@2 s@2.5 e1@2.5 sw@2.5 sh=None@2.5 x1:Timeout@2.5 c1@2.5 end=None@2.5',
    12505: 'e1@0 e2@0 e3@0 sw@0 x3:ok=None@0 e4@0 x4:Cancelled@0 x2:expired@0 s@0 x1:ok=None@0 '
        'e6@0 x6:ValueError@0 end:ValueError@0',
    18515: 's@1 e1@1 e2@1 x2:ok=None@1 s@2 x1:ok=None@2 e3@2 e4@2 e5@2 sw@2 s@2 s@2 df=None@2 '
        'x5:ok=None@2 sw=None@2 x4:Timeout@2 c4@2 x3:ok=None@2 sw=None@2 s@4 end=None@4',
}
# ---------- (end of trio's traces)

# trio's traces of the extended programs (made by _record) ----------
TRIO_EXTENDED = {
    9: 's@0.5 s@5.5 e1@5.5 se=(0, 2)@5.5 s@7.5 e2@7.5 s@7.5 x2:Timeout@9.5 c2@9.5 '
        'x1:ok=None@9.5 s@10.5 end=None@10.5',
    10: 'se=(0, None)@0 se=(0, None)@0 se=(1, 8)@4 e1@4 x1:Timeout@4 end:Timeout@4',
    12: 's@1.5 s@2.5 df=None@2.5 e1@2.5 s@3.5 x1:ok=None@3.5 se=(0, None)@6.5 e2@6.5 s@8.5 '
        'm2@8.5 s@11.5 s@11.5 s@12.5 df=None@12.5 s@14 s@15 m2@15 df=None@15 sh=9@15 m2@15 '
        'x2:Timeout@15 end:Timeout@15',
    14: 'e1@0 x1:Timeout@1 c1@1 end=None@1',
    29: 'se=(0, None)@0.5 e1@0.5 s@2.5 df=None@2.5 e2@2.5 x2:Cancelled@2.5 x1:Timeout@2.5 '
        'c1@2.5 e3@2.5 s@4 s@4.5 df=None@4.5 f@4.5 s@4.5 f@4.5 s@4.5 sh=None@4.5 f@4.5 se=(0, '
        'None)@4.5 s@4.5 f=None@4.5 t=None@4.5 s@9.5 s@9.5 f@9.5 s@9.5 s@10 f=None@10 t=5@10 '
        'f=None@10 t=None@10 e4@10 s@11.5 f@12 f=None@12 x4:expired@12 f=None@12 t=None@12 '
        'x3:ValueError@12 end:ValueError@12',
    38: 'e1@0 e2@0 x2:Cancelled@1.5 x1:Timeout@1.5 c1@1.5 end:ValueError@1.5',
    41: 'e1@0 s@1 x1:ok=None@1 se=(0, None)@2 e2@2 x2:ok=None@2 sh=None@2 se=(0, 6)@2 e3@2 '
        'se:Cancelled@2 x3:Timeout@2 f@2 se=(0, None)@5 f=None@5 sh:Timeout@5 end:Timeout@5',
    47: 'se=(1, None)@0 s@5 sh=None@5 e1@5 f@5 x1:expired@6.5 e2@6.5 s@8.5 f@8.5 s@9.5 s@14.5 '
        'df=None@14.5 f@14.5 s@15.5 f=None@15.5 t=None@15.5 s@20.5 m2@20.5 e3@20.5 '
        'x3:Timeout@21.5 c3@21.5 f=None@21.5 t=None@21.5 x2:ok=None@21.5 f@21.5 e4@21.5 '
        'se=(0, None)@24.5 sh=None@24.5 sw=None@24.5 s@26.5 x4:ok=None@26.5 se=(0, None)@27 '
        'e5@27 x5:ok=None@27 f@27 f=None@27 t=None@27 se=(0, None)@30 f=None@30 t=None@30 '
        's@30 end=None@30',
    48: 's@2 df=None@2 s@7 df=8@7 s@7 se=(0, None)@8 s@9 e1@9 m1@9 x1:expired@9 end=None@9',
    51: 's@5 df=None@5 e1@5 s@6 sh=None@6 m1@6 x1:Timeout@6.5 c1@6.5 s@7 sh=None@7 sh=None@7 '
        'se=(1, None)@7 se=(1, None)@8.5 e2@8.5 x2:Timeout@9.5 sh:Timeout@9.5 f@9.5 s@12.5 '
        'sw=None@12.5 f=None@12.5 f@12.5 end:ValueError@12.5',
    63: 's@0 se=(0, None)@5 sh=None@5 se=(0, 5)@5 se=(0, None)@6 e1@6 x1:Timeout@6 c1@6 f@6 '
        'f=None@6 end:ValueError@6',
    66: 'se=(0, None)@2 e1@2 x1:ok=None@2 s@3 sw=None@3 f@3 s@4.5 f=None@4.5 t=None@4.5 f@4.5 '
        's@5.5 se=(0, None)@6 f=None@6 t=None@6 s@8 sh=None@8 e2@8 f@8 x2:Timeout@8 f@8 '
        'se:ValueError@8 sh:ValueError@8 end:ValueError@8',
    68: 'e1@0 x1:Timeout@0 c1@0 end:ValueError@0',
    72: 'e1@0 s@0.5 e2@0.5 e3@0.5 m1@0.5 x3:Timeout@0.5 x2:Timeout@0.5 x1:Timeout@0.5 c1@0.5 '
        'end=None@0.5',
    77: 's@0 s@3 s@5 s@5 s@8 df=None@8 s@8 e1@8 f@8 x1:expired@8 se=(1, None)@10 sh=None@10 '
        'e2@10 x2:ok=None@10 end=None@10',
    82: 'e1@0 se=(0, 9)@0 e2@0 x2:Timeout@0 c2@0 x1:ok=None@0 se=(1, None)@1.5 sh=None@1.5 '
        'e3@1.5 x3:Timeout@2.5 end:Timeout@2.5',
    84: 's@0 e1@0 s@1.5 s@4.5 df=None@4.5 se:Cancelled@4.5 x1:Timeout@4.5 end:Timeout@4.5',
    85: 's@3 e1@3 x1:Timeout@8 f@8 se=(0, None)@8 s@8.5 s@11.5 se=(0, None)@12.5 f=None@12.5 '
        'f@12.5 f=None@12.5 end:Timeout@12.5',
    93: 'e1@0 m1@0 f@0 f=None@0 x1:Timeout@0 c1@0 se=(2, 8)@0 se=(0, None)@0 s@1.5 se=(0, '
        'None)@3.5 sh=None@3.5 s@3.5 s@3.5 end=None@3.5',
    95: 'se=(0, 9)@6 s@7 s@7.5 f@7.5 se=(0, 3)@11 f=None@11 t=None@11 s@16 s@17.5 se=(0, '
        'None)@17.5 sh=None@17.5 s@20.5 e1@20.5 se=(0, None)@21.5 m1@21.5 s@21.5 e2@21.5 '
        'x2:Timeout@21.5 c2@21.5 se=(0, None)@23.5 sh=None@23.5 m1@23.5 x1:ok=None@23.5 '
        's@23.5 se:ValueError@23.5 end:ValueError@23.5',
    99: 'e1@0 se:Cancelled@2 x1:Timeout@2 c1@2 sw=None@2 s@3 s@6 f@6 se=(0, None)@6 se=(0, '
        'None)@11 f=None@11 t=None@11 end=None@11',
    105: 'e1@0 s@0.5 x1:Timeout@1 c1@1 end=1@1',
    111: 's@1 e1@1 e2@1 x2:Cancelled@2 x1:Timeout@2 end:Timeout@2',
    113: 'e1@0 f@0 se:Cancelled@0 x1:Timeout@0 c1@0 end=None@0',
    124: 's@0 e1@0 x1:Timeout@1.5 c1@1.5 se:ValueError@1.5 end:ValueError@1.5',
    133: 's@1.5 e1@1.5 x1:Timeout@1.5 end:Timeout@1.5',
    139: 'e1@0 x1:expired@0 end=None@0',
    142: 'e1@0 se:Cancelled@1 x1:Timeout@1 end:Timeout@1',
    146: 'se=(0, 5)@0 e1@0 m1@0 x1:expired@0 end=None@0',
    152: 's@1 e1@1 f@1 e2@1 m1@1 m1@1 s@2 sh=None@2 x2:Cancelled@2 x1:Timeout@2 end:Timeout@2',
    155: 'e1@0 e2@0 m2@0 s@3 s@4 m2@4 s@7 sh=None@7 x2:Cancelled@7 x1:Timeout@7 c1@7 sw=None@7 '
        'sh=None@7 s@8 se=(1, None)@9 s@12 f@12 se:ValueError@13 end:ValueError@13',
    156: 'e1@0 f@0.5 x1:Timeout@0.5 c1@0.5 e7@0.5 s@1.5 m7@1.5 sh=None@1.5 e8@1.5 '
        'x8:Cancelled@1.5 x7:Timeout@1.5 c7@1.5 se=(0, None)@2.5 s@7.5 end=None@7.5',
    161: 's@3 se=(1, None)@3 s@3 e1@3 e2@3 m2@3 x2:Timeout@3.5 c2@3.5 x1:ok=4@3.5 sh=None@3.5 '
        'end=None@3.5',
    164: 'e1@0 se=(0, None)@1 x1:Timeout@2 sh:Timeout@2 end:Timeout@2',
    167: 's@1.5 e1@1.5 m1@1.5 se:Cancelled@2.5 x1:Timeout@2.5 c1@2.5 end=None@2.5',
    175: 'e1@0 x1:Timeout@3 c1@3 se=(2, None)@3 se=(0, None)@3 e2@3 x2:Timeout@4 c2@4 '
        'end=None@4',
    181: 's@1.5 e1@1.5 se:Cancelled@2.5 x1:Timeout@2.5 c1@2.5 s@3.5 s@5.5 sh:ValueError@5.5 '
        'end:ValueError@5.5',
    196: 'e1@0 x1:ok=None@0 e2@0 e3@0 m3@0 s@0.5 df=None@0.5 e4@0.5 x4:Timeout@0.5 c4@0.5 sw@1 '
        'm2@1 x3:ok=None@1 x2:Timeout@1 end:Timeout@1',
    197: 'se=(0, None)@1 s@4 e1@4 x1:Timeout@9 c1@9 sh=6@9 se=(0, None)@14 e4@14 x4:Timeout@14 '
        'c4@14 end=None@14',
    199: 'se=(0, None)@1 s@6 f@6 e1@6 e2@6 x2:Cancelled@7 x1:Timeout@7 c1@7 s@7 f@7 s@8 '
        'f=None@8 t=None@8 e3@8 m3@8 e4@8 s@13 df=None@13 e5@13 m4@13 x5:ok=None@13 '
        'x4:ok=None@13 x3:Timeout@13 end:Timeout@13',
    200: 'e1@0 s@0 e2@0 se=(1, None)@0 x2:ok=None@0 e3@0 s@1.5 s@6.5 s@6.5 s@7 sh=None@7 f@7 '
        'x3:Cancelled@7 x1:Timeout@7 c1@7 end=None@7',
    205: 's@3 e1@3 se:Cancelled@4 x1:Timeout@4 end:Timeout@4',
    207: 'e1@0 m1@0 x1:Timeout@0 end:Timeout@0',
    208: 's@1 e1@1 s@2 e2@2 x2:ok=8@2 s@7 sh=None@7 e3@7 x3:ok=None@7 e4@7 e5@7 x5:Cancelled@7 '
        'x4:Timeout@7 c4@7 s@10 f@10 s@11 f=None@11 t=None@11 f@11 s@12.5 f=None@12.5 '
        't=None@12.5 se=(0, None)@12.5 x1:ok=None@12.5 s@14.5 se:ValueError@17.5 '
        'sh:ValueError@17.5 end:ValueError@17.5',
    209: 's@1 se=(0, None)@2 s@2 s@5 e1@5 m1@5 s@5.5 df=None@5.5 x1:expired@8 end=None@8',
    214: 's@5 se=(0, None)@5 s@10 e1@10 s@10.5 e2@10.5 m2@10.5 e3@10.5 x3:ok=None@10.5 '
        'x2:ok=None@10.5 m1@10.5 m1@10.5 f@10.5 sw@10.5 x1:Timeout@10.5 sh:Timeout@10.5 '
        'end:Timeout@10.5',
    217: 's@1 se=(0, None)@2 e1@2 x1:Timeout@2 f@2 s@2 s@2 s@5 se:ValueError@6.5 f@6.5 '
        'f=None@6.5 f@6.5 f=None@6.5 end:ValueError@6.5',
    223: 's@5 e1@5 x1:ok=None@5 e2@5 x2:Timeout@5 end:Timeout@5',
    228: 's@3 f@3 e1@3 sh=None@3 s@4.5 s@5.5 s@7 df=None@7 se:Cancelled@7 x1:expired@7 '
        'sh=None@7 s@7 se=(0, None)@8.5 f@8.5 se=(0, None)@9 f=None@9 t=None@9 s@10 se=(0, '
        'None)@10.5 f=None@10.5 t=None@10.5 end=None@10.5',
    230: 'se=(1, None)@2 e1@2 x1:expired@2 s@2 e2@2 x2:expired@3 sh=None@3 e4@3 x4:ok=None@3 '
        'end=None@3',
    233: 'e1@0 x1:ok=None@0 e2@0 e3@0 e4@0 x4:Cancelled@0 f@0 e5@0 x5:ValueError@0 '
        'x3:ValueError@0 x2:ValueError@0 end:ValueError@0',
    245: 's@1.5 e1@1.5 e2@1.5 se:Cancelled@2 sw@2 e3@2 x3:ok=None@2 x2:ok=None@2 e4@2 '
        'x4:ok=None@2 s@2 e5@2 x5:ok=None@2 s@3.5 sh=None@3.5 x1:Timeout@3.5 c1@3.5 sh=4@3.5 '
        'end=None@3.5',
    249: 'e1@0 e2@0 x2:Cancelled@0 x1:expired@0 s@2 e3@2 x3:Timeout@3 end:Timeout@3',
    250: 's@0 s@2 df=None@2 s@3 sw=None@3 s@5 df=None@5 e1@5 e2@5 s@6 f@6 f=9@6 t=7@6 '
        'x2:ok=None@6 e3@6 sh=None@6 x3:ok=None@6 e4@6 m1@6 e5@6 x5:ok=None@6 se:Cancelled@7 '
        'x4:Cancelled@7 x1:Timeout@7 c1@7 end=None@7',
    251: 'e1@0 m1@0 s@1.5 m1@1.5 m1@1.5 s@2 sh=None@2 sh:Cancelled@2 x1:Timeout@2 c1@2 se=(1, '
        'None)@2 se=(2, None)@2 s@2.5 end=None@2.5',
    254: 's@1.5 e1@1.5 s@3 sh=None@3 f@3.5 m1@3.5 sw@3.5 m1@3.5 s@3.5 se:ValueError@4.5 '
        'sh:Cancelled@4.5 f@4.5 e2@4.5 x2:Cancelled@4.5 x1:expired@4.5 e3@4.5 x3:Timeout@6 '
        'c3@6 end=None@6',
    263: 's@3 f@3 s@4.5 s@5.5 df=None@5.5 s@6.5 s@7.5 f@7.5 se=(0, 2)@12.5 s@12.5 s@13.5 '
        's@18.5 f=None@18.5 t=None@18.5 e1@18.5 x1:ok=None@18.5 f=None@18.5 t=None@18.5 '
        's@19.5 f@19.5 s@24.5 e2@24.5 x2:Timeout@25.5 c2@25.5 s@26 sh=None@26 s@27.5 '
        'f=None@27.5 t=None@27.5 s@28.5 s@33.5 f@33.5 s@34 f@34 f=None@34 t=None@34 s@35.5 '
        's@36.5 s@36.5 s@36.5 f@36.5 end:ValueError@36.5',
    266: 'e1@0 s@0 se=(1, None)@1 x1:expired@1 end=None@1',
    272: 'e1@0 e2@0 x2:ok=None@0 s@1 e3@1 s@1 sh=None@1 x3:Timeout@1.5 c3@1.5 s@6.5 se=(1, '
        'None)@7.5 s@8 sh=None@8 se:Cancelled@8 x1:expired@8 e5@8 x5:Timeout@8.5 c5@8.5 s@10 '
        's@10 end=None@10',
    280: 'e1@0 s@0 e2@0 s@1 s@1 se=(2, None)@2 f@2 m1@2 f@2 se:Cancelled@2 x2:Timeout@2 '
        'x1:Timeout@2 c1@2 e4@2 se=(0, None)@2 x4:ok=None@2 e5@2 s@2 e6@2 sh=None@2 e7@2 '
        'x7:Timeout@2 x6:Timeout@2 x5:Timeout@2 c5@2 sw=None@2 e8@2 s@7 m8@7 s@7 x8:expired@9 '
        'end=None@9',
    287: 'se=(0, None)@1 se=(0, None)@1 s@4 s@4.5 s@9.5 df=None@9.5 s@14.5 e1@14.5 s@16 '
        'sw@16.5 m1@16.5 se:Cancelled@16.5 x1:Timeout@16.5 end:Timeout@16.5',
    288: 'e1@0 x1:Timeout@2 c1@2 s@5 se=(0, None)@8 end=None@8',
    299: 's@3 e1@3 e2@3 x2:Timeout@3 x1:Timeout@3 c1@3 s@4 end=None@4',
    300: 's@0 s@0.5 f@0.5 f=None@0.5 t=1@0.5 f@0.5 e1@0.5 x1:ok=None@0.5 se=(0, None)@1.5 '
        'f=None@1.5 t=None@1.5 e2@1.5 e3@1.5 e4@1.5 m4@1.5 x4:Cancelled@1.5 x3:Timeout@1.5 '
        'c3@1.5 x2:ok=None@1.5 se=(1, None)@1.5 sh=None@1.5 e5@1.5 x5:Timeout@1.5 c5@1.5 '
        'df=3@1.5 end:ValueError@1.5',
    302: 's@1 s@1 df=1@1 df=None@1 s@4 df=7@4 s@4.5 se=(0, None)@5.5 se=(0, None)@7 f@7 s@8 '
        's@9 f@9 s@9.5 s@12.5 s@13 s@16 f=None@16 t=None@16 s@18 df=None@18 e1@18 '
        'x1:expired@19 e2@19 s@19 f@19 se:Cancelled@22 x2:Timeout@22 end:Timeout@22',
    306: 'e1@0 se=(0, None)@1 s@3 se=(0, None)@3 s@4 sw=None@4 sh=1@4 se=(0, None)@5 f@5 f@5 '
        'f@5 x1:Timeout@5 c1@5 s@7 se=(0, None)@8 s@8.5 end=None@8.5',
    307: 'e1@0 x1:expired@1 s@4 f@4 s@5 f=None@5 t=None@5 se=(0, 6)@5 se=(0, None)@6.5 '
        'sh=None@6.5 e2@6.5 x2:ok=None@6.5 se=(0, None)@6.5 s@6.5 sw=None@6.5 end=None@6.5',
    310: 'se=(2, 5)@0 s@0.5 e1@0.5 x1:expired@2 se=(0, None)@3 s@3.5 s@3.5 s@6.5 s@8 s@10 s@10 '
        'sh:ValueError@10 sh:ValueError@10 f@10 f=None@10 end:ValueError@10',
    313: 'se=(0, 3)@0 s@5 e1@5 m1@5 se:ValueError@8 sh:Cancelled@8 x1:Timeout@8 end:Timeout@8',
    316: 's@1 e1@1 x1:Timeout@4 c1@4 f@4 e2@4 x2:ok=None@4 f@4 se:ValueError@4 f@4 e3@4 s@4 '
        'x3:ok=None@4 se=(0, 1)@4 f@4 e4@4 se=(1, 7)@4 x4:ok=7@4 s@5 f=None@5 t=None@5 '
        'f=None@5 end:ValueError@5',
    318: 'e1@0 e2@0 se:Cancelled@1 x2:expired@1 sh=None@1 x1:ok=None@1 end=None@1',
    321: 's@3 e1@3 f@8 f=None@8 x1:Timeout@8 c1@8 s@9 df=None@9 end=None@9',
    324: 'se=(1, 6)@0 e1@0 s@1 x1:ok=None@1 e2@1 e3@1 x3:ok=None@1 x2:Timeout@1 end:Timeout@1',
    339: 'f@0 f@0 s@1.5 f=6@1.5 t=None@1.5 se=(1, None)@1.5 sh=None@1.5 s@2.5 df=None@2.5 '
        's@3.5 df=None@3.5 e1@3.5 m1@3.5 se:Cancelled@3.5 x1:Timeout@3.5 f@3.5 s@6.5 s@7 '
        'f=None@7 end:Timeout@7',
    346: 'se=(2, None)@0 s@1.5 s@3.5 s@8.5 s@8.5 sh=None@8.5 s@13.5 s@15 f@15 s@15.5 '
        'df=None@15.5 sh=None@15.5 sh=None@15.5 e1@15.5 x1:Timeout@15.5 c1@15.5 s@20.5 '
        'f=None@20.5 t=None@20.5 sh=None@20.5 end=None@20.5',
    351: 's@1 e1@1 s@2 e2@2 x2:ok=None@2 f@3 f=None@3 x1:Timeout@3 c1@3 s@4 se=(0, None)@4 '
        'sh=None@4 f@4 e3@4 x3:expired@5 f=None@5 t=None@5 sw=None@5 s@6 s@6 sh=None@6 se=(0, '
        '8)@8 se=(0, None)@8 s@11 f@11 s@12.5 s@13 s@14 f=None@14 t=None@14 sh=None@14 s@16 '
        'f@16 s@19 s@19.5 s@21 df=None@21 f@21 se=(1, 1)@21.5 e4@21.5 x4:ok=None@21.5 s@21.5 '
        'f=None@21.5 t=None@21.5 sh=None@21.5 s@22 se=(0, None)@28 f=None@28 t=None@28 '
        'end=None@28',
    355: 'se=(0, 9)@0 e1@0 m1@0 e2@0 x2:ok=None@0 sh=None@0 e3@0 e4@0 s@2 se=(0, None)@2 s@3 '
        'sw=None@3 s@5 sh=None@5 m1@5 m3@5 x4:Cancelled@5 x3:Cancelled@5 x1:expired@5 '
        'end=None@5',
    362: 's@5 sh=None@5 s@6 sw=None@6 se=(0, None)@9 s@9 sh=None@9 s@10 sh=None@10 s@10 e1@10 '
        'x1:Timeout@11 end:Timeout@11',
    369: 's@1 sh=None@1 s@3 se=(0, None)@3 e1@3 x1:Timeout@3 f@3 s@3.5 df=None@3.5 '
        'se:ValueError@3.5 f@3.5 s@5 s@6.5 f=None@6.5 sh:ValueError@6.5 f@6.5 s@11.5 s@12 '
        's@14 f@14 s@14 end:ValueError@14',
    375: 'e1@0 e2@0 x2:ok=None@0 se=(0, 4)@0.5 f@0.5 f=None@0.5 x1:Timeout@0.5 end:Timeout@0.5',
    386: 's@3 sh=None@3 e1@3 m1@3 e2@3 m1@3 s@4 x2:ok=None@4 x1:ok=None@4 se=(0, None)@4 f@4 '
        's@4 f=2@4 t=None@4 e3@4 se:Cancelled@4.5 x3:expired@4.5 s@9.5 end=None@9.5',
    390: 'sh=1@0 s@1 e1@1 se=(0, 2)@1 x1:Timeout@1 end:Timeout@1',
    395: 's@0 s@0 e1@0 e2@0 s@1 f@1 x2:Timeout@2 c2@2 x1:Timeout@3 c1@3 s@8 sh=None@8 e3@8 '
        'e4@8 m3@8 s@8 df=None@8 m3@8 x4:ok=None@8 x3:ok=None@8 s@8 end=None@8',
    398: 'e1@0 x1:ok=None@0 e2@0 sh=None@0 sw@0 sh=9@0 x2:Timeout@0 c2@0 s@1 e3@1 e4@1 '
        'x4:Timeout@2 c4@2 se=(0, None)@2 m3@2 x3:ok=None@2 end=None@2',
    402: 'se=(0, None)@2 e1@2 f@2.5 sw@2.5 f=6@2.5 x1:Timeout@2.5 c1@2.5 e3@2.5 se=(0, 3)@2.5 '
        'x3:ValueError@2.5 end:ValueError@2.5',
    404: 'se=(1, 8)@0 e1@0 e2@0 x2:Timeout@0 c2@0 x1:ok=None@0 se=(0, None)@0 s@1.5 f@1.5 '
        's@1.5 s@1.5 df=None@1.5 s@2.5 f@2.5 se=(0, 7)@2.5 f=4@2.5 t=None@2.5 s@2.5 se=(0, '
        'None)@4.5 end:ValueError@4.5',
    415: 's@1 se=(2, 2)@1 sh=None@1 e1@1 s@1.5 e2@1.5 x2:Timeout@2.5 c2@2.5 sh=None@2.5 s@4 '
        'sh=None@4 x1:ok=None@4 end=None@4',
    417: 'e1@0 s@0 x1:Timeout@2 c1@2 se=(1, None)@2 se=(0, None)@2 s@3.5 se=(1, None)@3.5 '
        'end=None@3.5',
    422: 's@5 e1@5 x1:expired@7 s@7 se=(0, None)@7.5 end=None@7.5',
    424: 'e1@0 se=(0, None)@4.5 s@5.5 s@8.5 x1:ok=None@8.5 s@9.5 e2@9.5 x2:Timeout@11.5 '
        'c2@11.5 s@11.5 s@12 sw=None@12 s@17 e3@17 se:ValueError@18.5 x3:ValueError@18.5 '
        'sh:ValueError@18.5 end:ValueError@18.5',
    425: 'se=(0, None)@3 e1@3 e2@3 x2:ok=None@3 x1:ok=None@3 e3@3 e4@3 df=None@3 x4:expired@3 '
        'x3:ok=8@3 s@4 end=None@4',
    426: 'e1@0 x1:ok=None@0 e2@0 s@0 s@1 f@1 e3@1 s@1 x3:Timeout@2 c3@2 m2@2 sh=None@2 s@3.5 '
        'f=None@3.5 t=None@3.5 s@8.5 s@8.5 s@9.5 sh=None@9.5 x2:ok=None@9.5 end=None@9.5',
    429: 'se=(0, None)@0 se=(0, None)@1 sh=None@1 se=(0, None)@1.5 e1@1.5 e2@1.5 x2:ok=3@1.5 '
        's@6.5 s@6.5 s@8 s@10 sh=None@10 sh=None@10 m1@10 f@10 x1:Timeout@10 c1@10 s@10 '
        'se=(1, None)@11.5 end=None@11.5',
    442: 'e1@0 x1:expired@2 se=(1, None)@3 s@6 sh=None@6 f@6 f=None@6 end:ValueError@6',
    444: 's@1 e1@1 m1@1 e2@1 x2:ok=None@1 s@1.5 s@1.5 df=None@1.5 x1:ok=None@1.5 e3@1.5 e4@1.5 '
        'x4:Timeout@3.5 c4@3.5 s@4.5 e6@4.5 x6:Timeout@4.5 x3:Timeout@4.5 end:Timeout@4.5',
    445: 's@1 e1@1 x1:Timeout@1.5 c1@1.5 se=(0, None)@2.5 e2@2.5 x2:ok=None@2.5 end=6@2.5',
    446: 'e1@0 f@0 x1:Timeout@0.5 end:Timeout@0.5',
    447: 's@2 e1@2 se=(0, None)@2 x1:expired@2 se=(1, 8)@3.5 e2@3.5 s@5.5 df=None@5.5 '
        'x2:expired@5.5 s@5.5 s@8.5 f@8.5 se=(0, None)@13.5 s@15 sh=None@15 s@15 f=None@15 '
        't=None@15 e3@15 x3:ValueError@15 end:ValueError@15',
    449: 'e1@0 e2@0 m2@0 s@1 e3@1 x3:Timeout@1 c3@1 x2:ok=7@1 x1:ok=None@1 e4@1 se=(0, None)@1 '
        'x4:ok=None@1 end=None@1',
    450: 's@0 f@0 s@0 e1@0 se=(0, 3)@0 e2@0 x2:expired@0 x1:ok=None@0 se=(0, None)@1 s@4 '
        'f=None@4 t=None@4 end=None@4',
    452: 'e1@0 x1:ok=9@0 e2@0 m2@0 x2:expired@0.5 e8@0.5 se=(0, None)@3.5 e9@3.5 '
        'x9:Timeout@4.5 c9@4.5 x8:ok=None@4.5 end=None@4.5',
    484: 'se=(0, None)@0.5 e1@0.5 s@2 s@7 f@7 s@7 s@10 s@11.5 f@11.5 s@16.5 s@16.5 f=None@16.5 '
        't=1@16.5 s@18 f=None@18 t=None@18 df=None@18 se=(1, None)@18.5 sh=None@18.5 e2@18.5 '
        'm2@18.5 x2:Cancelled@18.5 x1:Timeout@18.5 c1@18.5 s@18.5 df=None@18.5 df=None@18.5 '
        'e3@18.5 s@20 s@20.5 x3:ok=None@20.5 s@21 sw=None@21 end=None@21',
    488: 'e1@0 s@1.5 se:Cancelled@3 x1:Timeout@3 c1@3 end=None@3',
    490: 'sh=None@0 s@3 s@3.5 s@3.5 df=None@3.5 s@4.5 sh=None@4.5 s@9.5 e1@9.5 x1:Timeout@10.5 '
        'c1@10.5 end=None@10.5',
    492: 'se=(1, None)@0.5 s@1.5 f@1.5 s@1.5 f=None@1.5 t=None@1.5 e1@1.5 x1:ok=None@1.5 s@3 '
        'sh=None@3 f@3 e2@3 x2:ok=None@3 e3@3 se=(0, 6)@4 s@9 m3@9 sw@14 se:Cancelled@14 f@14 '
        'e4@14 x4:Cancelled@14 x3:Timeout@14 c3@14 f=None@14 end:ValueError@14',
    494: 'e1@0 x1:Timeout@0 end:Timeout@0',
    496: 'e1@0 s@1 se=(1, 5)@1 e2@1 x2:expired@4 e3@4 x3:Timeout@4.5 x1:Timeout@4.5 c1@4.5 '
        'se=(1, None)@4.5 s@7.5 se=(0, None)@8 end=None@8',
    498: 'e1@0 m1@0 e2@0 df=None@0 x2:Cancelled@0.5 x1:Timeout@0.5 c1@0.5 s@1.5 s@3.5 '
        'end:ValueError@3.5',
    500: 'e1@0 s@1 x1:Timeout@1.5 end:Timeout@1.5',
    502: 'e1@0 x1:Timeout@0 end:Timeout@0',
    506: 'e1@0 x1:ok=2@0 e2@0 x2:Timeout@0.5 c2@0.5 sw=None@0.5 se=(2, None)@2 f@2 se=(0, '
        'None)@2 e3@2 x3:Timeout@3 end:Timeout@3',
    517: 'e1@0 df=None@0 x1:Timeout@2 c1@2 s@7 f@7 s@9 s@9 e2@9 x2:ok=None@9 f=None@9 t=None@9 '
        'sh=None@9 se=(0, None)@10 sh=None@10 e3@10 e4@10 s@10 x4:ok=None@10 e5@10 '
        'x5:ok=None@10 e6@10 s@11.5 e7@11.5 x7:Timeout@11.5 c7@11.5 sh=None@11.5 '
        'x6:Cancelled@12 sw@12 x3:Timeout@12 end:Timeout@12',
    524: 's@1 e1@1 m1@1 x1:Timeout@3 f@3 se:ValueError@4 sh:ValueError@4 end:ValueError@4',
    529: 'f@0 s@2 s@4 e1@4 x1:Timeout@4.5 c1@4.5 sh=None@4.5 se:ValueError@8.5 f@8.5 s@9.5 '
        'f@9.5 s@9.5 s@10.5 df=None@10.5 f=None@10.5 t=None@10.5 f=None@10.5 f@10.5 se=(2, '
        'None)@12.5 se=(0, None)@13.5 f=None@13.5 end:ValueError@13.5',
    541: 'se=(0, None)@1 s@1 sw=None@1 sh=None@1 f@1 e1@1 e2@1 m1@1 m2@1 x2:ok=None@1 s@2.5 '
        'se=(0, 6)@5.5 sh=None@5.5 s@5.5 sh=None@5.5 x1:Timeout@5.5 c1@5.5 f=None@5.5 '
        'end:ValueError@5.5',
    554: 'e1@0 se:Cancelled@1 x1:Timeout@1 f@1 f=None@1 end:Timeout@1',
    557: 'e1@0 e2@0 x2:Timeout@0 c2@0 e3@0 m3@0 f@0 df=5@0 f@0.5 f=None@0.5 x3:Timeout@0.5 '
        'c3@0.5 se=(0, None)@0.5 e4@0.5 x4:expired@2 x1:ok=None@2 end=None@2',
    561: 's@1 se=(0, None)@9 e1@9 e2@9 x2:ok=None@9 e3@9 se:Cancelled@9 x3:Cancelled@9 '
        'x1:expired@9 end:ValueError@9',
    565: 's@1.5 e1@1.5 se=(0, None)@1.5 se=(0, None)@2 x1:ok=9@2 s@3 sh=None@3 e2@3 '
        'se:Cancelled@3 x2:Timeout@3 end:Timeout@3',
    569: 's@1 s@4 df=None@4 e1@4 x1:expired@4 e2@4 x2:ok=None@4 se=(1, None)@5.5 '
        'end:ValueError@5.5',
    574: 's@1 e1@1 s@1 s@1 se:Cancelled@1.5 x1:expired@1.5 s@1.5 df=None@1.5 sh=None@1.5 '
        'e2@1.5 x2:expired@2.5 sh:ValueError@2.5 end:ValueError@2.5',
    575: 'e1@0 se:Cancelled@0 f@0 s@3 s@3 sh=None@3 f=None@3 x1:Timeout@3 end:Timeout@3',
    578: 'se=(1, None)@0 e1@0 s@1 x1:Timeout@2 end:Timeout@2',
    580: 'sh=None@0 e1@0 x1:Timeout@1 end:Timeout@1',
    582: 's@1 e1@1 se:Cancelled@1 x1:Timeout@1 sh:Timeout@1 sh:Timeout@1 end:Timeout@1',
    588: 's@1.5 s@3.5 se=(1, None)@3.5 s@4.5 sh=None@4.5 f@4.5 sh=5@4.5 e1@4.5 x1:Timeout@4.5 '
        'end:Timeout@4.5',
    591: 's@0.5 se=(1, None)@2.5 s@2.5 df=None@2.5 se=(0, None)@2.5 se:ValueError@2.5 f@2.5 '
        'e1@2.5 x1:expired@2.5 se=(0, None)@4 sh=None@4 s@6 end:ValueError@6',
    593: 'e1@0 s@0 se=(1, None)@1.5 e2@1.5 s@1.5 se=(0, 4)@2 e3@2 se:Cancelled@2 '
        'x3:Cancelled@2 x2:Cancelled@2 x1:Timeout@2 end:Timeout@2',
    594: 'e1@0 x1:expired@0 df=9@0 end=None@0',
    615: 'e1@0 x1:Timeout@1 end:Timeout@1',
    625: 'e1@0 se=(0, None)@1 s@1.5 s@1.5 s@4.5 s@5.5 df=None@5.5 sh=None@5.5 e2@5.5 '
        'x2:ok=None@5.5 se:Cancelled@5.5 sw@5.5 x1:Timeout@5.5 end:Timeout@5.5',
    629: 'se=(0, None)@1.5 e1@1.5 x1:ok=None@1.5 e2@1.5 s@2.5 m2@2.5 e3@2.5 x3:expired@4.5 '
        'f@4.5 f=None@4.5 t=None@4.5 x2:ok=None@4.5 se=(0, None)@4.5 f@4.5 s@9.5 sh=None@9.5 '
        'se=(0, None)@11.5 f=None@11.5 t=None@11.5 end=None@11.5',
    631: 's@0.5 e1@0.5 s@0.5 m1@0.5 s@0.5 se:Cancelled@1 sw@1 x1:expired@1 s@2.5 s@2.5 s@3.5 '
        's@4 sw=None@4 s@7 s@12 s@12 df=None@12 end=None@12',
    635: 'e1@0 x1:ok=None@0 s@1 s@2.5 f@2.5 se=(0, None)@2.5 s@5.5 sh=None@5.5 se=(0, '
        'None)@10.5 e2@10.5 x2:Timeout@11.5 c2@11.5 f=None@11.5 t=None@11.5 end=None@11.5',
    638: 'e1@0 x1:Timeout@1.5 sh:Timeout@1.5 end:Timeout@1.5',
    639: 'e1@0 x1:Timeout@0 end:Timeout@0',
    644: 's@1.5 e1@1.5 e2@1.5 s@1.5 sw=None@1.5 x2:expired@2 m1@2 e3@2 x3:Cancelled@2 '
        'x1:Timeout@2 c1@2 s@7 e4@7 se=(1, 6)@7 se=(1, None)@7.5 sh=None@7.5 x4:ok=None@7.5 '
        'sh=None@7.5 se=(0, None)@12.5 s@13 s@16 f@16 s@17 sh=None@17 f=None@17 t=None@17 '
        'e5@17 x5:ok=None@17 e6@17 s@17.5 s@18.5 e7@18.5 sh=None@18.5 se=(0, 2)@19.5 s@20.5 '
        'sh=None@20.5 x7:Cancelled@20.5 x6:Timeout@20.5 end:Timeout@20.5',
    650: 's@2 e1@2 e2@2 x2:Cancelled@2.5 x1:expired@2.5 e3@2.5 x3:ok=None@2.5 end=None@2.5',
    656: 's@3 se=(0, None)@3 s@3 e1@3 x1:Timeout@6 end:Timeout@6',
    661: 's@0 e1@0 se:Cancelled@1 x1:Timeout@1 c1@1 end=None@1',
    666: 's@1 e1@1 e2@1 se:Cancelled@1 x2:Cancelled@1 x1:Timeout@1 c1@1 end=2@1',
    668: 'se=(0, None)@1 s@4 e1@4 e2@4 x2:expired@6 e3@6 x3:Timeout@7 c3@7 se=(0, None)@7.5 '
        's@10.5 x1:ok=None@10.5 f@10.5 e5@10.5 se=(0, None)@11.5 s@13.5 se=(1, 9)@13.5 '
        'x5:ValueError@13.5 f@13.5 s@14.5 se=(0, None)@16 se=(0, None)@17 s@18.5 sh=None@18.5 '
        'f@18.5 s@18.5 s@20 sh=None@20 f=None@20 t=None@20 e6@20 x6:Timeout@22 end:Timeout@22',
    676: 'e1@0 s@1 s@1 s@2 e2@2 x2:Timeout@3.5 c2@3.5 s@8.5 sh=None@8.5 s@10.5 s@15.5 '
        'sh=None@15.5 sh=None@15.5 f@15.5 e3@15.5 x3:Cancelled@15.5 x1:expired@15.5 '
        'end=None@15.5',
    677: 'e1@0 e2@0 e3@0 s@3 s@4 s@6 x3:ValueError@6 sh:Cancelled@6 x2:Cancelled@6 '
        'x1:expired@6 end=None@6',
    682: 'e1@0 se:Cancelled@2 x1:Timeout@2 c1@2 se=(1, 5)@2 e2@2 x2:expired@5 sw=None@5 se=(0, '
        'None)@5 s@10 e4@10 s@12 m4@12 x4:ValueError@12 end:ValueError@12',
    686: 'sh=None@0 s@5 e1@5 e2@5 x2:ok=None@5 x1:Timeout@5 c1@5 e3@5 x3:ok=None@5 sh=None@5 '
        's@6 s@8 df=None@8 e4@8 se:Cancelled@10 x4:Timeout@10 c4@10 se=(0, None)@11 '
        'end=None@11',
    687: 's@0 s@2 e1@2 x1:Timeout@2 c1@2 f@2 e2@2 f@2 f=None@2 t=None@2 x2:ok=None@2 f=None@2 '
        't=None@2 se:ValueError@3 end:ValueError@3',
    689: 'se=(0, None)@1.5 s@3.5 s@8.5 s@11.5 f@11.5 se=(1, 9)@13.5 s@14 f=None@14 t=None@14 '
        'e1@14 x1:Timeout@15.5 c1@15.5 e2@15.5 s@15.5 x2:ok=None@15.5 sh=None@15.5 e3@15.5 '
        'se:ValueError@20.5 x3:ValueError@20.5 end:ValueError@20.5',
    690: 's@0.5 s@0.5 e1@0.5 s@0.5 s@2 s@7 s@8.5 s@10.5 f@10.5 f=None@10.5 t=2@10.5 '
        'df=None@10.5 e2@10.5 x2:ok=None@10.5 x1:expired@10.5 sh=None@10.5 s@12.5 s@12.5 '
        's@13.5 s@18.5 s@19.5 df=None@19.5 end=None@19.5',
    694: 'e1@0 e2@0 f@0 m1@0 m2@0 f@1 df=None@1 s@1 m2@1 df=None@1 f=None@1 x2:Cancelled@1 '
        'x1:Timeout@1 c1@1 e4@1 e5@1 x5:Timeout@1 sh:Timeout@1 x4:Timeout@1 sh:Timeout@1 '
        'end:Timeout@1',
    695: 's@1.5 e1@1.5 x1:ok=None@1.5 e2@1.5 m2@1.5 e3@1.5 se:Cancelled@3 x3:Timeout@3 c3@3 '
        's@4 sw=None@4 x2:ValueError@4 end:ValueError@4',
    704: 'e1@0 se=(0, None)@1 f@1 f=None@1 t=None@1 x1:ok=None@1 e2@1 x2:expired@2 s@4 s@4 '
        'se=(0, None)@5 end=None@5',
    709: 's@0 se=(0, 9)@0 e1@0 x1:ok=5@0 e2@0 m2@0 m2@0 se:Cancelled@1 x2:expired@1 e3@1 m3@1 '
        'se:ValueError@1 x3:ValueError@1 end:ValueError@1',
    716: 'e1@0 m1@0 x1:Timeout@0 c1@0 s@1.5 end=None@1.5',
    719: 's@0.5 e1@0.5 e2@0.5 s@2 x2:ok=None@2 m1@2 se:Cancelled@2 f@2 f=None@2 x1:Timeout@2 '
        'c1@2 e3@2 s@2 df=None@2 x3:ok=None@2 se=(0, 9)@2 sh:ValueError@2 end:ValueError@2',
    722: 's@5 s@6 e1@6 e2@6 x2:Cancelled@6.5 x1:expired@6.5 s@8.5 s@10.5 s@11.5 sw=None@11.5 '
        's@14.5 df=None@14.5 s@15.5 s@16.5 s@16.5 df=None@16.5 df=None@16.5 se=(1, 4)@16.5 '
        'end=None@16.5',
    724: 'e1@0 m1@0 x1:expired@1 s@2 s@5 end:ValueError@5',
    728: 'e1@0 e2@0 x2:ok=8@0 e3@0 se:Cancelled@0 x3:expired@0 s@0 sh=None@0 x1:ok=None@0 '
        'end=None@0',
    732: 'e1@0 e2@0 x2:Cancelled@0 x1:Timeout@0 end:Timeout@0',
    734: 'f@0 s@0 s@5 e1@5 s@6 s@6.5 x1:ok=None@6.5 s@11.5 f=None@11.5 t=None@11.5 e2@11.5 '
        's@12 se=(1, None)@12 e3@12 s@12 s@13.5 x3:ok=None@13.5 sh=1@13.5 e4@13.5 '
        'x4:Cancelled@13.5 x2:Timeout@13.5 sh:Timeout@13.5 end:Timeout@13.5',
    12: 's@1.5 s@2.5 df=None@2.5 e1@2.5 s@3.5 x1:ok=None@3.5 se=(0, None)@6.5 e2@6.5 s@8.5 '
        'm2@8.5 s@11.5 s@11.5 s@12.5 df=None@12.5 s@14 s@15 m2@15 df=None@15 sh=9@15 m2@15 '
        'x2:Timeout@15 end:Timeout@15',
    1303: 'e1@0 f@0 sw=None@0 m1@0 m1@0 f=None@0 x1:expired@0 s@0.5 df=None@0.5 se:ValueError@2 '
        'end:ValueError@2',
    1015: 'e1@0 s@0 e2@0 e3@0 m3@0 s@5 s@6 s@6 df=None@6 x3:ok=None@6 m1@6 x2:Cancelled@6 '
        'x1:Timeout@6 c1@6 s@11 e5@11 e6@11 x6:Cancelled@11 x5:Timeout@11 f@11 f=None@11 '
        'end:Timeout@11',
    287: 'se=(0, None)@1 se=(0, None)@1 s@4 s@4.5 s@9.5 df=None@9.5 s@14.5 e1@14.5 s@16 '
        'sw@16.5 m1@16.5 se:Cancelled@16.5 x1:Timeout@16.5 end:Timeout@16.5',
    8492: 'e1@0 e2@0 s@1 s@2 s@3 sh=3@3 x2:ok=None@3 m1@3 s@4 s@4 s@4 s@5 s@5 s@10 s@12 f@12 '
        's@13 m1@13 s@15 m1@15 f=None@15 t=None@15 df=None@15 df=None@15 x1:Timeout@15 c1@15 '
        'e3@15 x3:ValueError@15 sh:ValueError@15 sh:ValueError@15 sh:ValueError@15 '
        'end:ValueError@15',
    8614: 'e1@0 x1:ok=None@0 s@2 e2@2 x2:ok=None@2 s@7 e3@7 s@8 x3:ok=1@8 se=(0, 7)@8 se=(0, '
        'None)@8 se=(0, None)@9 sh=None@9 e4@9 f@9 df=None@9 s@10.5 df=None@10.5 sw@11 s@11 '
        'm4@11 e5@11 m4@11 x5:ok=None@11 sh=None@11 x4:Timeout@11 c4@11 se=(1, None)@11 f@11 '
        'f@11 s@11 s@12 f=None@12 end:ValueError@12',
    280: 'e1@0 s@0 e2@0 s@1 s@1 se=(2, None)@2 f@2 m1@2 f@2 se:Cancelled@2 x2:Timeout@2 '
        'x1:Timeout@2 c1@2 e4@2 se=(0, None)@2 x4:ok=None@2 e5@2 s@2 e6@2 sh=None@2 e7@2 '
        'x7:Timeout@2 x6:Timeout@2 x5:Timeout@2 c5@2 sw=None@2 e8@2 s@7 m8@7 s@7 x8:expired@9 '
        'end=None@9',
    2636: 's@0.5 s@2.5 s@4 s@5 e1@5 sw@5 f@5 se:Cancelled@5 x1:Timeout@5 end:Timeout@5',
    3189: 'e1@0 e2@0 f@0 se:Cancelled@0 x2:Cancelled@0 x1:Timeout@0 end:Timeout@0',
    2149: 's@0.5 se=(0, None)@1.5 s@1.5 s@3.5 e1@3.5 e2@3.5 s@4 s@9 sh=None@9 f@9 '
        'se:Cancelled@9 x2:Cancelled@9 x1:Timeout@9 end:Timeout@9',
}
# ---------- (end of trio's traces of the extended programs)


if __name__ == "__main__":
    _record(__file__)
