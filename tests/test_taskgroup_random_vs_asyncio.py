"""TaskGroup against asyncio's, on seeded random programs, on virtual clocks.

Each case is a random program: a tree of task groups (``async with
TaskGroup()``, nested up to three deep: in the body, or as a child's work),
each with one to four children spawned at once, later from the body
(between sleeps), or by a sibling (a spawn into a group that is cancelling
is refused: ``RuntimeError``, recorded).  A child sleeps, then returns,
raises a ``ValueError`` or a ``BaseException`` of the program's own (on
3.11+ the group raises a ``BaseExceptionGroup``, the module docstring says:
asyncio's rule), swallows its cancellation and sleeps on, cleans up with a
sleep in ``finally`` (plain, or under ``disable_cancellation``), or runs a
group of its own.  A body may raise; a group may sit in ``timeout_after``
or ``ignore_after`` (``asyncio.timeout``, caught for the latter).  The
trace -- each child's end (returned, raised what, cancelled) and its
virtual time, swallowed cancellations and cleanups, what each block raised
(a group's failures, in order), what each group's tasks hold at its end,
each scope's end -- must be asyncio's (CPython 3.11's ``TaskGroup``, on a
loop whose clock jumps to the next timer).

asyncio's ``TaskGroup`` is 3.11+ and the oracle reads its insides, so its
traces are recorded below as fingerprints, made by this file's oracle
(``_asyncio_oracle``): the test needs only trampoline, on every Python.
``python3 tests/test_taskgroup_random_vs_asyncio.py`` (CPython 3.11) runs
the oracle again and rewrites them.  Where our documented rules differ
from asyncio's, the oracle follows ours:

* **The body's error alone goes on as it is** (taskgroup.py: a group
  raises ``TaskGroupError`` when children fail; trio 0.22 and curio do
  the same); with children's failures, it comes first ("the error carries
  the body's exception first").  asyncio wraps it, and puts it last.
* **A cancel stays a cancel** (taskgroup.py, README "The rules of
  cancellation": "if the parent is cancelled, the cancellation
  propagates and the children's failures are logged").  asyncio raises
  the failures as a group instead.
* **Cancelling the parent while it waits at the exit cancels the
  children** (``join``'s docstring; trio's nursery does): asyncio does
  not when it is already cancelling them.  Ours then waits deferring
  cancellation, so only the first exception there does -- an expired
  timeout's, at once, if one is around the group (level-triggered).
* 3.11's ``TaskGroup`` leaves its own cancel of the parent counted when a
  child fails after the body has ended (3.12 takes it back, as we do).
* ``disable_cancellation`` (curio's) is asyncio's ``shield`` awaited
  until the work is done, the cancel that came meanwhile sent again.

The seeds in KNOWN differ still, each for a reason given there:

* **same instant**: two things at one virtual time (a child failing as
  another fails, or as the body raises) come in the schedulers' orders,
  which differ (a ``spawn`` is a trap here; ``create_task`` is not a
  suspension point in asyncio).
* **cancelled again**: a child that swallowed its group's cancellation
  and sleeps on is cancelled again here when the body's block ends by an
  exception (a cancel from outside, an error) while the group is already
  cancelling its children; asyncio cancels each child once (trio,
  level-triggered, cancels at every checkpoint).
* **deferred**: a deadline that passed while the parent's wait at an
  inner group's exit deferred it comes at its next blocking trap here;
  the block around ends before one, and what it got stands (timeouts.py:
  "What the work got stands"), where asyncio's timeout counts it at once.

The exploration behind this file ran 10,000 programs on CPython 3.11.  It
found one difference, now fixed (the tests above the random one): a
timeout that expired and then had a cancel come as its cleanup deferred
it raised ``TaskTimeout`` (``ignore_after`` went on).  With that fix
reverted, seeds 136, 145, 214, 621, 652, 665, 830, 999, 1128 and 1199
here differ too.  Writing the oracle's "a cancel stays a cancel" found a
second (its test is above too): the body's error, cut off by a cancel
as the group waited, was dropped without a word.  Seeds 10,000 to 25,000
found a third (seed 18536; its test is above): a group's absorbed
cancellation, left as the task's ``last_cancel``, hid a cancel from
outside from a timeout scope around; seeds to 40,000 a fourth (seed
39123; its test is above): of two cancellations meeting at an inner
group's wait, a middle group's cancellation of the body hid one the body
had already, an outer group's.  The random test runs six seeds beyond
its 1500 that met it (FOUND); with that fix reverted, they differ.
Of the first 10,000, 38 differ now: the seven KNOWN here, by hand, and
of the others, the two dozen looked at (to seed 55,000), for the same
three reasons.
"""

import hashlib
import logging
import os
import pprint
import random
import sys

import trampoline
from trampoline import (Cancelled, TaskGroup, TaskGroupError, TaskTimeout, VirtualClock, cancel,
                        current_time, disable_cancellation, ignore_after, sleep, spawn,
                        timeout_after)


def run(coro):
    return trampoline.run(coro, clock=VirtualClock())


async def fail_at(when, name):
    await sleep(when)
    raise ValueError(name)


async def timed_out_with_deferred_cleanup(log, name):
    """A timeout of 1 s around a 10 s sleep, whose cleanup -- 3 s, under
    ``disable_cancellation`` -- outlasts a cancel that comes meanwhile."""
    try:
        async with timeout_after(1):
            try:
                await sleep(10)
            finally:
                async with disable_cancellation():
                    await sleep(3)
    except BaseException as exc:
        log.append((name, type(exc).__name__, current_time()))
        raise
    log.append((name, "went on", current_time()))     # pragma: no cover - the fault


# ======================================================= what it found

def test_a_cancel_that_came_as_an_expiring_block_deferred_it_is_raised_at_the_block_s_exit():
    """A cancel from outside that arrives while a timed-out block's cleanup
    defers cancellation is what the scope raises at its exit: a cancel
    stays a cancel (timeouts.py's rules), and the code after the scope does
    not run -- as in asyncio (the task's cancel count outlives
    ``asyncio.timeout``) and trio (the outer cancellation passes the
    ``move_on_after``).  The scope said "timed out" (``ignore_after`` went
    on, ``timeout_after`` raised ``TaskTimeout``) and the cancel came only
    at the task's next blocking trap, or made it end cancelled."""
    log = []

    async def ignoring():
        async with ignore_after(1) as scope:
            try:
                await sleep(10)
            finally:
                async with disable_cancellation():
                    await sleep(3)
        log.append(("after the scope", scope.expired))    # pragma: no cover - the fault

    async def main():
        for work in (ignoring(), timed_out_with_deferred_cleanup(log, "timeout_after")):
            task = await spawn(work)
            await sleep(2)
            await cancel(task)
            log.append((task.cancelled, current_time()))

    run(main())
    assert log == [(True, 4), ("timeout_after", "Cancelled", 8), (True, 8)]


def test_a_group_s_body_cancelled_as_a_timeout_in_it_expires_has_no_timeout_among_the_errors():
    """A child fails while the body's timeout block is in deferred cleanup
    after expiring: the group's cancellation of its body is what the block
    raises, the group absorbs it, and its error carries the child's failure
    alone -- as asyncio's (3.12+) and trio's do.  It carried a
    ``TaskTimeout`` first, as if the body had failed on its own."""
    log = []

    async def main():
        try:
            async with TaskGroup() as group:
                await group.spawn(fail_at(2, "the child"))
                await timed_out_with_deferred_cleanup(log, "body")
        except TaskGroupError as exc:
            return [repr(e) for e in exc.errors], current_time()

    assert run(main()) == (["ValueError('the child')"], 4)
    assert log == [("body", "TaskGroupCancelled", 4)]


def test_a_child_cancelled_as_a_timeout_in_it_expires_is_cancelled_not_a_second_failure():
    """A sibling fails while a child's timeout block is in deferred cleanup
    after expiring: the child ends cancelled (``join`` would give None), and
    the group's error has the one failure -- as in asyncio and trio.  The
    child raised ``TaskTimeout``, a second failure of the group."""
    log = []

    async def main():
        try:
            async with TaskGroup() as group:
                slow = await group.spawn(timed_out_with_deferred_cleanup(log, "child"))
                await group.spawn(fail_at(2, "the sibling"))
        except TaskGroupError as exc:
            return [repr(e) for e in exc.errors], slow.cancelled, current_time()

    assert run(main()) == (["ValueError('the sibling')"], True, 4)
    assert log == [("child", "Cancelled", 4)]


def test_a_body_s_error_cut_off_by_a_cancel_as_the_group_waits_is_logged(caplog):
    """The body fails; as the group waits for a child's cleanup, the parent
    is cancelled from outside: the cancellation goes on (a cancel stays a
    cancel), and the body's error is logged with its traceback, as the
    children's failures are ("errors are never dropped").  asyncio raises
    the body's error in an ``ExceptionGroup``, trio lets it pass the
    cancel scope; here it was dropped without a word."""
    async def body_fails():
        async with TaskGroup() as group:
            await group.spawn(timed_out_with_deferred_cleanup([], "child"))
            await sleep(1)
            raise ValueError("the body's")

    async def main():
        task = await spawn(body_fails())
        await sleep(2)
        await cancel(task)
        return task.cancelled, current_time()

    with caplog.at_level("ERROR", logger="trampoline"):
        assert run(main()) == (True, 4)
    logged = [r for r in caplog.records if "body of" in r.getMessage()]
    assert len(logged) == 1
    assert repr(logged[0].exc_info[1]) == "ValueError(\"the body's\")"
    assert "parent was cancelled" in logged[0].getMessage()


def test_a_cancel_from_outside_stays_a_cancel_after_a_group_inside_absorbed_its_own():
    """The task is cancelled from outside inside ``timeout_after``, in an
    inner group's body; the deadline passes as that group waits for a
    child's cleanup; meanwhile a child of the outer group fails, whose
    cancellation of the body comes at the outer group's own wait, and is
    absorbed there.  The scope must still see the cancel from outside --
    the task ends cancelled, as with asyncio and trio.  It raised
    ``TaskTimeout``: the spent group cancellation, the task's
    ``last_cancel`` then, hid the one from outside (the outer group of a
    program would count a failure where a child was cancelled)."""
    async def fail_at_2():
        await fail_at(2, "the outer group's child")

    async def victim():
        async with timeout_after(1):
            async with TaskGroup() as outer:
                await outer.spawn(fail_at_2())
                await outer.spawn(timed_out_with_deferred_cleanup([], "a slow child"))
                async with TaskGroup() as inner:
                    await inner.spawn(timed_out_with_deferred_cleanup([], "an inner child"))
                    await sleep(100)

    async def main():
        task = await spawn(victim())
        await sleep(0.5)
        await cancel(task)
        return task.cancelled, type(task.exception).__name__

    assert run(main()) == (True, "Cancelled")


def test_a_group_s_cancel_of_its_body_does_not_hide_the_one_of_a_group_around(caplog):
    """Three groups nested in one task.  The outer one's child fails: its
    cancellation of the body lands in the innermost group's body, which
    waits for a child's cleanup; then the middle group's child fails, and
    its cancellation of the body comes at that wait.  The outer group's
    goes on all the same: the middle group's parent was cancelled, so its
    child's failure is logged and the cancellation passes to the outer
    group, which raises its own child's failure alone (taskgroup.py: "if
    the parent is cancelled, the cancellation propagates").  The middle
    group took the cancellation for its own alone and raised its child's
    failure, which the outer group's error then carried too.  (Were the
    two the other way round, the innermost group's wait raises the outer
    one's, and the middle group passes it on: the same end.)"""
    async def middle():
        async with TaskGroup() as group:
            await group.spawn(fail_at(2, "the middle group's child"))
            async with TaskGroup() as inner:
                await inner.spawn(timed_out_with_deferred_cleanup([], "an inner child"))
                await sleep(100)

    async def main():
        try:
            async with TaskGroup() as outer:
                await outer.spawn(fail_at(0.5, "the outer group's child"))
                await middle()
        except TaskGroupError as exc:
            return [repr(e) for e in exc.errors], current_time()

    with caplog.at_level("ERROR", logger="trampoline"):
        assert run(main()) == (["ValueError(\"the outer group's child\")"], 3.5)
    assert "the middle group's child" in caplog.text


# ============================================ the random programs, their run

class Boom(BaseException):
    """A failure of the program's own that is not an ``Exception``."""


def duration(r):
    return 0 if r.random() < 0.1 else r.randint(1, 4000) / 1024


def random_child(r, depth, name):
    kind = r.choice(["ret", "ret", "raise", "raise", "swallow", "cleanup", "spawner", "boom",
                     "nested"])
    if kind == "nested" and depth >= 3:
        kind = "ret"
    if kind == "boom" and r.random() < 0.7:
        kind = "raise"
    child = {"k": kind, "d": duration(r), "name": name}
    if kind == "swallow":
        child["extra"] = duration(r)
        r.random()                      # (a draw the exploration made: its seeds stay)
    if kind == "cleanup":
        child["c"] = duration(r)
        child["shield"] = r.random() < 0.5
    if kind == "spawner":
        child["child"] = random_child(r, depth + 1, name + "s")
    if kind == "nested":
        child["group"] = random_group(r, depth + 1, name + ".")
    return child


def random_group(r, depth=1, prefix="g"):
    group = {"children": [], "body": [], "timeout": None, "prefix": prefix}
    for i in range(r.randint(1, 4)):
        child = random_child(r, depth, prefix + str(i))
        if r.random() < 0.6 or not group["body"]:
            group["children"].append(child)
        else:
            group["body"].append(("spawn", child))
        if r.random() < 0.4:
            group["body"].append(("sleep", duration(r)))
    if r.random() < 0.2:
        group["body"].append(("raise",))
    if depth < 3 and r.random() < 0.15:
        group["body"].insert(r.randint(0, len(group["body"])),
                             ("group", random_group(r, depth + 1, prefix + "b.")))
    if r.random() < 0.35:
        group["timeout"] = (r.choice(["fail", "move"]), duration(r))
    return group


def _name(exc):
    name = type(exc).__name__
    if name in ("TaskGroupError", "ExceptionGroup", "BaseExceptionGroup"):
        return "group"
    return "TimeoutError" if isinstance(exc, TimeoutError) else name


def describe(lib, exc):
    if _name(exc) == "group":
        return ("group", [describe(lib, e) for e in getattr(exc, "errors", None)
                          or exc.exceptions])
    if isinstance(exc, lib.Cancelled):
        return ("Cancelled",)
    if isinstance(exc, TimeoutError):
        return ("Timeout",)
    return (type(exc).__name__, str(exc))


class Ours:
    """The programs' primitives, here."""
    Cancelled = Cancelled
    now = staticmethod(current_time)
    sleep = staticmethod(sleep)
    group = TaskGroup
    run = staticmethod(run)

    @staticmethod
    async def spawn(group, coro):
        return await group.spawn(coro)

    @staticmethod
    async def shielded(coro):
        async with disable_cancellation():
            return await coro

    @staticmethod
    def timeout(kind, seconds):
        return timeout_after(seconds) if kind == "fail" else ignore_after(seconds)

    @staticmethod
    def outcome(task):
        if task.cancelled:
            return ("cancelled",)
        if task.exception is not None:
            return ("exc", _name(task.exception))
        return ("ret", task.result)


async def run_child(lib, c, g, trace):
    k, name = c["k"], c["name"]
    try:
        if k == "nested":
            await lib.sleep(c["d"])
            await run_group(lib, c["group"], trace)
            v = name
        elif k == "ret":
            await lib.sleep(c["d"])
            v = name
        elif k == "raise":
            await lib.sleep(c["d"])
            raise ValueError(name)
        elif k == "boom":
            await lib.sleep(c["d"])
            raise Boom(name)
        elif k == "swallow":
            try:
                await lib.sleep(c["d"])
            except lib.Cancelled:
                trace.append((name, "swallowed", lib.now()))
                await lib.sleep(c["extra"])
            v = name
        elif k == "cleanup":
            try:
                await lib.sleep(c["d"])
            finally:
                trace.append((name, "cleanup", lib.now()))
                if c["shield"]:
                    await lib.shielded(lib.sleep(c["c"]))
                else:
                    await lib.sleep(c["c"])
                trace.append((name, "cleaned", lib.now()))
            v = name
        elif k == "spawner":
            await lib.sleep(c["d"])
            await spawn_into(lib, g, c["child"], trace, name)
            v = name
    except lib.Cancelled:
        trace.append((name, "cancelled", lib.now()))
        raise
    except BaseException as e:
        trace.append((name, "raised", describe(lib, e), lib.now()))
        raise
    trace.append((name, "returned", lib.now()))
    return v


async def spawn_into(lib, g, c, trace, who):
    try:
        t = await lib.spawn(g, run_child(lib, c, g, trace))
    except RuntimeError:
        trace.append((who, "refused", c["name"], lib.now()))
        return None
    trace.append((who, "spawned", c["name"], lib.now()))
    return t


async def run_group(lib, gs, trace):
    p = gs["prefix"]
    try:
        if gs["timeout"]:
            kind, d = gs["timeout"]
            async with lib.timeout(kind, d):
                await group_block(lib, gs, trace)
        else:
            await group_block(lib, gs, trace)
    except lib.Cancelled:
        trace.append((p, "scope-cancelled", lib.now()))
        raise
    except BaseException as e:
        trace.append((p, "scope-raised", describe(lib, e), lib.now()))
        raise
    trace.append((p, "scope-ended", lib.now()))


async def group_block(lib, gs, trace):
    p = gs["prefix"]
    tasks = []
    g = lib.group()
    try:
        async with g:
            for c in gs["children"]:
                tasks.append(await spawn_into(lib, g, c, trace, p + "body"))
            for op in gs["body"]:
                if op[0] == "sleep":
                    await lib.sleep(op[1])
                elif op[0] == "spawn":
                    tasks.append(await spawn_into(lib, g, op[1], trace, p + "body"))
                elif op[0] == "raise":
                    raise ValueError(p + "body")
                elif op[0] == "group":
                    await run_group(lib, op[1], trace)
            trace.append((p, "body-done", lib.now()))
    except BaseException as e:
        trace.append((p, "block-raised", describe(lib, e), lib.now()))
        trace.append((p, "exposed", [lib.outcome(t) if t else None for t in tasks]))
        raise
    trace.append((p, "block-ended", lib.now()))
    trace.append((p, "exposed", [lib.outcome(t) if t else None for t in tasks]))



def trace(lib, program):
    """Run ``program`` with ``lib``: what each child, block and scope did,
    when; what each group exposed; how the whole ended."""
    events = []

    async def main():
        try:
            await run_group(lib, program, events)
        except BaseException as exc:
            events.append(("top", describe(lib, exc)))

    lib.run(main())
    return events


def by_actor(events):
    """Each child's, block's and scope's own events, in order: the order of
    things that happen at one instant in different tasks is the
    scheduler's, in both libraries."""
    actors = {}
    for event in events:
        actors.setdefault(event[0], []).append(event)
    return sorted(actors.items())


def fingerprint(events):
    return hashlib.sha1(repr(by_actor(events)).encode()).hexdigest()[:10]


SEEDS = 1500
# and seeds of the exploration beyond them that met a difference now fixed
FOUND = (7957, 14708, 15765, 28154, 30214, 39123)

# Seeds whose traces differ from asyncio's, and why (see the docstring).
KNOWN = {
    259: "same instant", 550: "same instant", 884: "same instant", 1076: "same instant",
    616: "deferred", 683: "cancelled again", 1300: "cancelled again",
}

# asyncio's traces (the oracle's, above), as fingerprints: seed:sha1[:10]
# of by_actor(trace(...)).  `python3 tests/test_taskgroup_random_vs_asyncio.py`
# (CPython 3.11) rewrites them.
RECORDED = """
0:1e1f8b7a4f 1:efaf1d3d50 2:51cdd97604 3:304f8a4a12 4:a27c7690cf 5:e2e62866bd 6:ce509de4d0 7:6d3864c644
8:a7d9b7c71b 9:f9dc6385ff 10:4bb7d33a4a 11:48d4a2c1e0 12:64452290a8 13:d4a8bd2d70 14:1db3101929 15:689f176dd3
16:fb1e599444 17:b7ff28509f 18:689122593f 19:ea754de071 20:2922ca57fd 21:f1beb5f916 22:8c54ec6b0a 23:1a26912fe2
24:accca3040a 25:e6e6e93301 26:25003a4b83 27:6eec647492 28:971e283373 29:debde7d4dc 30:656168990b 31:e029d424e0
32:a02dfbc256 33:7568fbe172 34:ce5e1ed777 35:8b41d64fd7 36:0e49ccf0c2 37:c2be599da0 38:76d5e92ee9 39:364b4c2c72
40:e23b3e907f 41:1f431f29a2 42:c5143918a7 43:3167dd8bb8 44:00527a96e9 45:7cd3f75fa8 46:4bb7d33a4a 47:c8ee994aee
48:33a7173f41 49:4e1a35b30c 50:f736c0ed84 51:a2e268b8e5 52:d4f4b5b202 53:e5d283be2c 54:7a0dfb560d 55:791aa4a5a1
56:10cb7c5460 57:0b373a73fa 58:28b1a53962 59:e32d94866f 60:dc96e08ad1 61:aeb62d96a3 62:a8fb443469 63:e95e7418e6
64:5cecdeb06f 65:14e0c12223 66:ab7869963b 67:65281e54d2 68:27c1ff31f6 69:7616ec593c 70:b8e3aa732e 71:98ed7fe4be
72:cf8702d382 73:d06897ca10 74:fc73d23155 75:7336ee0a9e 76:4b46a8df97 77:85365a0ae6 78:5e36f61878 79:bc9ce7f9e8
80:293275ebb5 81:e3885699d6 82:4f9b67f82c 83:bdbdd2c2b5 84:f831290674 85:e911cd5aee 86:9e924ef5d7 87:beea68250b
88:ba16f84fdd 89:c8a6c0b098 90:2679132814 91:30a1396cbe 92:eb5c8d9375 93:adf1db0ba2 94:a08de551d2 95:940c1ac4f5
96:d1d90287f6 97:fbb40dc18c 98:5f090ce129 99:8914866bfd 100:35325901d3 101:4f7be3dfe8 102:5c7948c48f 103:d559fd29a5
104:ae3f1db8df 105:9962e1f10e 106:df6ee73fb0 107:89ea7ed3ff 108:79785a016b 109:ceecbb67f6 110:81ccf6f8d5 111:b58463f939
112:7eeb2d5638 113:e4ba570b19 114:323b54bd97 115:a310bbe965 116:d4737b7f32 117:33cd767306 118:833380578d 119:5970e1eafc
120:2419f67eea 121:606b402b8d 122:3d83f9f55d 123:52fc28cd01 124:e85938e535 125:af2117d06b 126:e9b13b1a57 127:a43b6b29e2
128:3c74dd415b 129:10b42714b0 130:6631746f01 131:b3bc3e189c 132:6b57b5e0a4 133:130dfa47d0 134:105f6603f6 135:3074ccbfec
136:0bcc280598 137:36b0cfb62b 138:4c7e2793f8 139:934b5fcbb0 140:b3047e9a3d 141:4bb7d33a4a 142:68fa9db0bc 143:4f735ab2cb
144:0a8d732289 145:a4df389efd 146:2f483b8480 147:378357c249 148:52c42e1be6 149:76074ce46b 150:d9f02a87bb 151:a1e4d86cb2
152:e6198dbf67 153:b10f771d6b 154:f1beb5f916 155:37fe0f22bd 156:ae37e0f4d2 157:01df29ae0e 158:f1beb5f916 159:29b7f8a346
160:4a7ed4e3ef 161:f81de038b5 162:86dd132b5c 163:e44bb54638 164:8fe840b8f8 165:b80a5ccfc3 166:d33ca61b80 167:e3a18cfbfc
168:f0900143da 169:b458bc68a6 170:53787d7e8b 171:b6a9c66d0a 172:8c170186ff 173:1c3b9c7ce7 174:8b73788710 175:4c6dd23011
176:7c99c63adb 177:e837ff3f35 178:e9e3724a87 179:e0231c70d9 180:78d54f30a9 181:30b879683f 182:5b3d8fcc60 183:5c74f8836a
184:446139fb16 185:754fc55be9 186:da2583ca7f 187:b716f89dde 188:0c8be7e20e 189:a4df10b3f2 190:b67cd8eb89 191:b96e47f0de
192:115b2797e6 193:6b3e352ff4 194:cd057a431c 195:d5685c068a 196:d533551e60 197:dfe1f1de65 198:4bb7d33a4a 199:5802ba4514
200:614a3e042c 201:fe276202ee 202:7dcfd58751 203:ad51be35fd 204:fca056a1eb 205:259a8eff34 206:cd1c88d034 207:a9ba6cd7af
208:3cc963f8c6 209:4bb7d33a4a 210:bdd09d8eec 211:985e268656 212:bdbdd2c2b5 213:8f863be7cf 214:7a768a8d8d 215:f6206b75fc
216:5c6e89fee2 217:4adb262250 218:7578d2aca6 219:da4a3d7f62 220:804c0a978f 221:3de819499f 222:5bc6da5059 223:4bd98c447c
224:5bc6da5059 225:c23a764f0e 226:ebb1285faa 227:1ffb0f45bc 228:1b250ede7d 229:c5415ba6f7 230:4b27dd749d 231:d78e0cc919
232:23094ba16c 233:a432f115a9 234:ebff899a13 235:3ca100e8e9 236:fc39cf39ff 237:52ea2f2433 238:767dbf20f3 239:e0414926d2
240:fa7d44e70b 241:474e39e82d 242:91ed9b7550 243:4e9d957f02 244:5477477489 245:11478512a1 246:2b6c7818c1 247:f830a8d35d
248:9da0c4176f 249:46ce43a459 250:c714d8d15a 251:031fbffd79 252:b3e0ec966f 253:fc381a2ee5 254:85ba71b493 255:8f144b9899
256:6a601b8351 257:37f187d616 258:bfa312a6a5 259:e397484c78 260:58b7fc58dd 261:62c71c6ade 262:e976195763 263:e57a38440c
264:2cb41a0abb 265:f1f73d5588 266:26465f5576 267:8cb9bb6fb2 268:b5a21bfd8d 269:eb767c86f4 270:b3532782f2 271:f8d80af4fa
272:74e86cb039 273:7bac44a277 274:a9ba6cd7af 275:40f183bb0b 276:c7dd0c7c51 277:4bb7d33a4a 278:456ff41666 279:6ec0faa87f
280:18a5e6ae69 281:3f0453a4b3 282:23c38ed19e 283:c395ecf5ed 284:b2f072407b 285:58a36c4e81 286:7eeb2d5638 287:e521f604b4
288:43dcc2b95d 289:a9ba6cd7af 290:9ae452418d 291:669253a2b8 292:e478cc6c43 293:eab41858f9 294:1123670d0d 295:af21d75cc9
296:db795b2428 297:a517469c9a 298:99d3993028 299:17339c21f5 300:e3d04e5e47 301:7dd5ba17c0 302:c2712d8d98 303:56db9e03d7
304:fbe3d7e6e8 305:5bc6da5059 306:c4c88f4c7b 307:784f7b1122 308:e3a18cfbfc 309:f2452240db 310:dc85fd6bc3 311:e311e71177
312:677276bc3e 313:2d02060722 314:a9ba6cd7af 315:87bbb49384 316:e99f179be7 317:9b749190b8 318:edcf2e84bc 319:a50541e606
320:7d8228503c 321:62aa341b2a 322:560a12901d 323:a4ae59e50c 324:413d1e795d 325:335af55e8b 326:ed79403201 327:9ab7517728
328:68f5ae0da0 329:320b9293b4 330:67da45a4eb 331:b69a3b7043 332:db23b1f27f 333:7959a0a43e 334:8cb9bb6fb2 335:27486dbb86
336:3156beadee 337:e7a4670390 338:11c8be7162 339:5b409c9e41 340:6d8d4fb7cb 341:67402db282 342:4bb7d33a4a 343:74fc153e57
344:719ac1418f 345:0156a13270 346:36f77bc1d1 347:c9a764f0cb 348:14cfdabbe8 349:99c75c4d47 350:6177cbd45f 351:28fb8a9d12
352:99296844af 353:6fe9173794 354:4628768257 355:6aa65c4ce4 356:4bb7d33a4a 357:f781013ceb 358:0fce18319b 359:aa5c9bb123
360:b8410f7605 361:50af81f3e5 362:69126de8f3 363:99fee4e6af 364:4e4bcc5006 365:8e2b5f1e43 366:1679997717 367:fa2e6792ea
368:29039e56e2 369:495c94cc31 370:7960c8df2a 371:495c94cc31 372:5598c13280 373:e82db39cac 374:d1c7ef9ff4 375:626e3ec8a9
376:eb64a5e0b2 377:4e2d6098ee 378:1b810b639f 379:88c683f272 380:ed4b009718 381:d174b783a5 382:c99969f3ec 383:f625408dfc
384:442161f91a 385:043325b227 386:f9eb73dae7 387:986a613d26 388:a9de3c1f8a 389:6dd364b5ca 390:1667b92ed5 391:8820c60a5b
392:48cebdfa2d 393:b923ceaf6c 394:0e868f9d80 395:7d3e941443 396:6236b472a7 397:c76eb1b920 398:5ce2c722f5 399:c2dc4c8b62
400:870eec92eb 401:e2380c2f3f 402:ed0b4e3ebf 403:14cd659743 404:8329e1723a 405:df50bc6fc8 406:bd0d9bf378 407:af9c8503bd
408:7511140fea 409:6ea5e9cabc 410:b196a8464b 411:e3a18cfbfc 412:b5c900a1f2 413:70065a9784 414:0058e9ff40 415:cdbb341e4d
416:febce9b4e4 417:b6121efd09 418:0b0fb9aa0f 419:5c6e89fee2 420:3231204a8f 421:09364c3cb6 422:40cff58f58 423:399eb0cf5f
424:0d4a03c25c 425:87e13aa1de 426:528be6a4cb 427:14b1a2ec3e 428:8a30622734 429:0da09485d5 430:9fc07e26d9 431:7f81a54f83
432:032801677a 433:11dca93888 434:1646f2da99 435:b79fffd102 436:fb8fd3a7f1 437:6fc3665af8 438:5e38647141 439:6e27bd4542
440:097bff11f7 441:6b752446a6 442:3bac6caa21 443:ed8f8e5840 444:3b94d5e0c9 445:d45fae70e1 446:f76ff6b16e 447:db74960f4f
448:ae85fa7e70 449:d49da31028 450:11c8be7162 451:5bc6da5059 452:0e2cdfa095 453:f81eb6963b 454:1da534e042 455:c5f4fbe75d
456:055164d248 457:381ae04ae7 458:da6115ebc1 459:674348d1d0 460:4316de471c 461:cdbb341e4d 462:9d731b414b 463:3a9ce73a35
464:22d22e4624 465:a9ba6cd7af 466:cf1d2ebab1 467:9e2ed7d2b8 468:a70ffbc587 469:c9a6baf567 470:63a45b325c 471:4bb7d33a4a
472:fac596a089 473:b1b9eb6fed 474:7dc66ee319 475:58a296488b 476:f76e5f2d84 477:05af6d7cb1 478:f72f38b545 479:5312bd0946
480:b2cd5f0242 481:21c8139037 482:2e841342fe 483:1dd1fad454 484:2d1baa8d03 485:5c96570acb 486:b3952f36a1 487:9dc6f9152a
488:e54c4b81a2 489:d8c314ab2b 490:d837819f24 491:dc80690b13 492:2ea64ad018 493:8f3b7c511c 494:4dbc4737e0 495:d79da4eb96
496:04a66377e7 497:8b11ce196d 498:6257e74bca 499:8235aa0289 500:129ad71331 501:350516d3b7 502:8944f68fb3 503:5b74d6fa7c
504:859e4d7112 505:a007664c6f 506:d3549199b2 507:d1bea39783 508:074879ff53 509:8c5e1f39ac 510:eb9153073e 511:9d8057fed2
512:4bb7d33a4a 513:d501caa257 514:c435a3c3d1 515:b43041d5cf 516:8ae4809be2 517:6b8764d7e6 518:81d8bbffde 519:9f126373d4
520:1dd9f69110 521:89858ed1b0 522:bff26c1496 523:671691c428 524:4e3ef5319f 525:935d6d686b 526:8359f59071 527:f17829557f
528:51cdd97604 529:c8edcc0a5d 530:e8839d4ae2 531:a1b8a14d6e 532:a9ba6cd7af 533:9b859e6de5 534:819ee039b5 535:42155e21ef
536:f1beb5f916 537:54366d1dc7 538:275a160dbb 539:afeeff3c59 540:e7e9af9f6d 541:df869d7da5 542:9247891907 543:37af2d55df
544:19d321adf0 545:34231f86a6 546:d4f56adf6e 547:3427239c7b 548:88dd0f1140 549:73d5591767 550:89cad25a1d 551:c35a361267
552:019eb5dd06 553:2b8745f723 554:9eb223c35e 555:09b6075797 556:ac26cec205 557:6a6866878c 558:c8f4fa211b 559:124ab3c5f6
560:ce509de4d0 561:d171fe5ea2 562:f87a1e5dc9 563:6a6688bfea 564:e01acf3765 565:4daf77b85d 566:719276735c 567:63564ee5d3
568:995da2ba4b 569:4bb7d33a4a 570:d8cd37054d 571:179ae777c2 572:9823ad3ebc 573:bc4db03267 574:02911b7452 575:127aa50879
576:447b8b6768 577:c352ab3ab1 578:0bf98193c9 579:79d563262d 580:8af3acaeb4 581:cc267c7f0a 582:a0fd59b8a0 583:19870d55d6
584:c5e909e96e 585:da4dcd147f 586:98ed7fe4be 587:2f4b82165f 588:595a89b68f 589:4bb7d33a4a 590:743fe37b86 591:a2d467b269
592:36187751b2 593:0307b83324 594:91ed9b7550 595:09fe14c345 596:4d83703b36 597:50cd28442f 598:7e55ed2236 599:4bb7d33a4a
600:495c94cc31 601:01834320bc 602:36d311ad91 603:98d30edb81 604:2afe18ad88 605:c5d50eb753 606:7c52e5dbe6 607:2c3e2adfa4
608:4f69a81f34 609:92434de475 610:f4428342ce 611:486774d69e 612:f1beb5f916 613:0dffb0b098 614:f8a19af966 615:5c6e89fee2
616:780b08013c 617:b17064f5e2 618:f4846d14c1 619:c06ccd628d 620:695c4b184c 621:80aad36d21 622:0911542187 623:3f1a156686
624:29caa3b04f 625:81c5193da6 626:e2f39b8156 627:f97205cf0e 628:7eeb2d5638 629:e12a10656d 630:54d0d3fa07 631:495c94cc31
632:672359b67a 633:65c0cf33e1 634:5ebf02d937 635:4b84f01f4e 636:bde16de886 637:a76d8491f8 638:f183194f9d 639:34e4afff04
640:b681467634 641:bdbdd2c2b5 642:4b86aeaccb 643:26cf17978f 644:85bd5642b8 645:1e7f5e978a 646:9cd358ec7f 647:87b384a030
648:8237775df2 649:820112e63d 650:87833b20a4 651:fe712ce0a1 652:c0b55844dd 653:54e646d7dc 654:e7d55d33d0 655:770f6f58e2
656:1e3b2d0149 657:afaaeac3c3 658:71099f11d5 659:4d12f2afdd 660:7762ae4bcb 661:9d5618ea50 662:ceab770dd4 663:fe1ea6e0bd
664:de22b34b4b 665:b4218767b7 666:4f06d1da6e 667:c6733cacbe 668:e2f39b8156 669:e4bb57c55a 670:be16afe8e3 671:5e38647141
672:c5143918a7 673:0d4a03c25c 674:a298d69b6f 675:32ca3c21ac 676:be88c779aa 677:302a7f4307 678:7c8b939adb 679:f26c69c746
680:54c8022a34 681:f31d5c0ea6 682:3197800f43 683:c2cd7607ff 684:5e49aee112 685:b98affad49 686:a7aee876c7 687:2f7ed80116
688:04a3548321 689:f1beb5f916 690:7ecafe9eb9 691:4e6e7c92dc 692:4bb7d33a4a 693:4bf54ad367 694:9cb450e90d 695:b11f6b3a2c
696:8ac96a639d 697:f47794c6d4 698:2e03351b8a 699:948f0a29b5 700:12cc6512d3 701:0408535074 702:8c54ec6b0a 703:ae23223fc9
704:eb5dfad579 705:5bc6da5059 706:d6597fd98a 707:7a9beac6c5 708:f21b3ff0f4 709:f555c79498 710:be83483044 711:e1d38c0b26
712:2a117e3bf0 713:949980299e 714:8f7a0bc223 715:1a8b1010b2 716:dda0f20f8c 717:91ed9b7550 718:56099c2647 719:dc97a0d5f3
720:44ffd5adc7 721:43bb881728 722:8ee9203710 723:eee6a9fc9f 724:ce3c0d67e4 725:11c8be7162 726:0b165f6cdb 727:290fcee77e
728:c5143918a7 729:6b3d36f40c 730:7800c616de 731:29c8fcc5bf 732:4bb7d33a4a 733:9892e864ae 734:6b76197629 735:ee832ac02d
736:531b9a73ba 737:d8cd37054d 738:c0962a57e2 739:db3b3206b1 740:bdda90215c 741:783eb0fcd3 742:5e7a2ca2ae 743:e4703edc6b
744:df1a4e7114 745:ef46489985 746:91ed9b7550 747:c0acb61b93 748:861d12f61c 749:5687a4f36c 750:7274005287 751:36908ae561
752:663df5193b 753:4442ab0ea0 754:e3175118c3 755:91a4ba0930 756:4cb4e73103 757:e492a9f8b5 758:74ed5f57af 759:e978e7ced2
760:d43472c6b7 761:f1beb5f916 762:4fe1bcb86c 763:d8cd37054d 764:52d873b52e 765:ce432616e1 766:26dbfbc0a6 767:443a20d174
768:e0e711680a 769:68df212d9a 770:231c5832c4 771:89363f69be 772:c5143918a7 773:f1beb5f916 774:ccbb8d4059 775:ece41246f3
776:c830202987 777:b2aacfa21f 778:ceffacd80c 779:3a575dbb69 780:b449621ea2 781:e626fda2d1 782:622b34ec79 783:ad7889dda2
784:7d724f95c9 785:4bb7d33a4a 786:ad227199f7 787:7ec6ae1f26 788:13586bdc86 789:3126f83557 790:495c94cc31 791:a1cafbde4f
792:39b17e6be1 793:a0d9a8ea41 794:77efb5a616 795:c519fff44a 796:e1d38c0b26 797:bd9f91e283 798:235ea1affa 799:d25131a19c
800:b4e6035ac3 801:124ea08657 802:0e9b91c517 803:4bb7d33a4a 804:3d5d8e3172 805:16d4a42634 806:3c3e5efe3d 807:895457b4bb
808:f43cbd47a7 809:5bc6da5059 810:f69f01932b 811:df8b6e0d78 812:f3db6ea43c 813:fa70ef0d0e 814:9591db1199 815:51cdd97604
816:f1beb5f916 817:0270eee4e6 818:630bdaac8a 819:a4f0207683 820:b4212ee1e6 821:507ae597fd 822:a90bb41bb2 823:99989154c8
824:4b15d472a7 825:823b578e04 826:cf112e8f67 827:d61e88ab2f 828:6fe6303971 829:0347e8f680 830:7a84fc1b6d 831:b26f29cfa9
832:cbd7f1acc9 833:6490589c8d 834:c79309fe7d 835:ddccb7bcde 836:e376b76100 837:fbce139131 838:5e52926199 839:ec01e18dea
840:1645f81ee9 841:aa9451cda1 842:cb8bd7177d 843:7c839469ba 844:3556ff1d77 845:4bb7d33a4a 846:11c8be7162 847:7eeb2d5638
848:0c1c79cce7 849:4bb7d33a4a 850:e01eb13ac1 851:bd23a5ea90 852:a197731840 853:5440f03f8c 854:a2677bdbaf 855:7843a3902d
856:60239bbf91 857:3233495652 858:4bb7d33a4a 859:b8eab16542 860:39d18a6273 861:e9275feb3b 862:e37b024007 863:efbe7473d8
864:3496c1f90e 865:01615d2504 866:8c54ec6b0a 867:448fda0448 868:ae8353bb6b 869:6be7a9635c 870:9315c35dac 871:7cbebe3196
872:07acb46287 873:09640960e4 874:60f5a810c6 875:235fd9f74c 876:4eb33328bd 877:1ede1c3226 878:d473413ab9 879:57cfe7a2ce
880:4bb7d33a4a 881:57cbee7c07 882:cb833e8876 883:a90d85de49 884:8e25fbd02c 885:c1f030905a 886:463c91f235 887:180c4bc5e3
888:98f160fce0 889:1764fdd17d 890:4ae2105b6a 891:bce9315a7f 892:65af30ec46 893:ed77725e4d 894:33d3238b50 895:9c7ad7961d
896:db3271bf36 897:4bb7d33a4a 898:fe2186aa62 899:af0114ccbc 900:f10138531f 901:e1dcd93739 902:84f0da4e76 903:8e66e61fb8
904:6957accdb2 905:8f9a6a6f1e 906:86cb9a419c 907:0b9d9fc4f5 908:4bb7d33a4a 909:44b9daa172 910:c4afe5fbcc 911:3cfb3711e1
912:14727b8852 913:339217e606 914:9dd894d8c2 915:a545ab73a7 916:af99d88f03 917:51cdd97604 918:1f9dd153a1 919:7e01f004df
920:2f4b82165f 921:ac260c1b2a 922:4bb7d33a4a 923:359c4c0e73 924:0e5ca6dc9c 925:997cfd04f8 926:bcb03b8d32 927:1d95aa73f7
928:02f3dd62b5 929:ce0c3e38ea 930:7ae66518a7 931:8ccd08b21e 932:c5143918a7 933:0b7cc69e72 934:70065a9784 935:5ecb3b095e
936:041d759254 937:c6b0981fe3 938:e35dda1f03 939:5060dcc52f 940:829ff37f13 941:90fa482134 942:e4dd036c7d 943:10675abaeb
944:baae3fde74 945:12ee6f2273 946:d83ab4a8b3 947:f1beb5f916 948:240e21b935 949:3f6ff07d8c 950:9a9d748ea9 951:158aae6adb
952:3b589094b4 953:62dd34c5f4 954:69a742197f 955:d69f5b5e88 956:473a1c3335 957:395bc064a8 958:0c257137ed 959:8c71570895
960:6e53e1a852 961:ba1b4af67e 962:756fe2cc53 963:65ac3a2afd 964:5501a23b31 965:97eba619f3 966:ae72693ad3 967:4bb7d33a4a
968:2029a4f5c6 969:7247f87522 970:d2fe68340b 971:83c72aafcc 972:a43c423fe5 973:45a7c536d8 974:8e0a2120bb 975:76b888157d
976:34254f7adc 977:ccb3fb34c5 978:b956789d23 979:a9760c24dc 980:5d95962189 981:f1beb5f916 982:4670ac8faf 983:9ea5f23194
984:02a6fea3fc 985:15cbf2e43c 986:a441d828c7 987:56888225a3 988:d481ae7e4d 989:4b431eacad 990:d29c3b95f6 991:4f9feabc8c
992:70cad224de 993:0e1ca2d8d1 994:2fc30ddef6 995:4726122993 996:3c09cdd24d 997:156abcb519 998:f1beb5f916 999:ba583cafcd
1000:f9d9ca1af9 1001:6b120111f9 1002:284080dab2 1003:48a18e2639 1004:b6e5538769 1005:90912e2abf 1006:8c4fa1c42a 1007:da7edd4c87
1008:e33cb42ee2 1009:c79692a334 1010:bd70894f06 1011:0db6e5bf4a 1012:65837f8cd4 1013:b20b2a0578 1014:81396fef03 1015:e3c5a0f37c
1016:f09833c87d 1017:8b59d12fb3 1018:0c3e3ac62f 1019:890305bb65 1020:69ba28ac1b 1021:efa6524b9e 1022:b74fc58c33 1023:d43cd392d6
1024:6a36f86526 1025:8d0492a950 1026:e968557050 1027:ac0ecc4e17 1028:54de69653f 1029:5c8b412fb2 1030:e40317a18c 1031:bc288987ce
1032:d4bae745a2 1033:3e543318a4 1034:7af627e317 1035:435aa1e594 1036:4a1a4921c1 1037:b454422f0b 1038:4a765c4851 1039:12c567d365
1040:0776c38c42 1041:1763ec9963 1042:422eaf4d08 1043:dc7d545cb5 1044:be63bfe71d 1045:9c76d455b2 1046:0f588cc782 1047:4bb7d33a4a
1048:4305b89cf3 1049:bf718228f3 1050:77ce5accdb 1051:5f764cb47a 1052:549ae8cdf5 1053:bb7abff40f 1054:ec79a4adbb 1055:bb3801cea7
1056:a1e451c1c7 1057:443434f249 1058:cdbb341e4d 1059:1c00079b8b 1060:a9ba6cd7af 1061:a2a17945bf 1062:e4f142ca81 1063:9ca32f5c2f
1064:f862c8e36b 1065:c758324de6 1066:9b86c89459 1067:d9a29426e5 1068:e94196f92f 1069:4101943ffa 1070:bf315901e4 1071:5462b7886b
1072:4ebabac45c 1073:0f86c6bff4 1074:6ffefdc95b 1075:c8fd6a06a7 1076:abde8c22a9 1077:81d847a13c 1078:8623743592 1079:2d6b10e491
1080:428d550957 1081:4b7cde4988 1082:56770d46d3 1083:776db5f46a 1084:35e614da3a 1085:b9cf0cf78e 1086:9e57f91124 1087:88f618b980
1088:525da7280f 1089:b25199c5ad 1090:03b9c7b595 1091:643354e8a4 1092:1c2393c08b 1093:e281017544 1094:3b1a2ec3d8 1095:47e3d0f231
1096:d9bf289075 1097:da0f30025d 1098:1f0b36c881 1099:73f428505c 1100:5bc6da5059 1101:8d1c0ae43b 1102:00140e0199 1103:21fdf38da5
1104:5636b09953 1105:24578e2840 1106:bb8410a215 1107:b120517304 1108:a2621d5a32 1109:9f6f27fd53 1110:d9387c6e78 1111:63f9bd89e4
1112:e83f23db29 1113:4bb7d33a4a 1114:3fcc856fac 1115:471b558ab0 1116:cdfa5dd87c 1117:0e91a64a50 1118:41913e4174 1119:91fbf83573
1120:baa15e272d 1121:0a6c0d7f6e 1122:ad57266684 1123:cbea3df34e 1124:34086786bf 1125:06b5158197 1126:0d9e2cb065 1127:f27931e5e9
1128:f0738eb3f5 1129:dd01940cbb 1130:f06ed710ad 1131:212f3ee2ba 1132:abfbe0f80d 1133:3aedd8bd26 1134:cbd66bf5b8 1135:fad8862d9f
1136:5ec674f9e9 1137:20e3eb92af 1138:2f4b82165f 1139:4bb7d33a4a 1140:ad70dd21b2 1141:2bd124fc6f 1142:3deaee8f5b 1143:b5b595afb1
1144:0193be0703 1145:994ea174a5 1146:0f3153c690 1147:cb12222d81 1148:236b3d1d66 1149:236379e06e 1150:87a4c8b2ba 1151:2c5a5c525e
1152:1980c0b9ae 1153:4bb7d33a4a 1154:bb3bcffdc4 1155:301fd51ebf 1156:9a3dbe0e70 1157:bdfb1f6932 1158:390db4a01b 1159:3b60281d8e
1160:7eeb2d5638 1161:b81a17e439 1162:ab514904e3 1163:7d503245b2 1164:b714669f88 1165:18bb36a6d2 1166:07c6459ab6 1167:d7e1f93254
1168:6de0613140 1169:7ff1eeeb4b 1170:86104d7c05 1171:09634000fe 1172:e753851b30 1173:70f5c863aa 1174:f1beb5f916 1175:dafd201e38
1176:d88ff180e4 1177:7eeb2d5638 1178:788914d929 1179:ec2aad4399 1180:edd54249ed 1181:ec9b7789ea 1182:0a16e5ca25 1183:953928b6df
1184:462046b311 1185:b96a67f9e7 1186:acf0bb2a50 1187:521729f9e3 1188:8c54ec6b0a 1189:4e7ba8166b 1190:25497c81f1 1191:88fca80959
1192:495c94cc31 1193:78feee6b17 1194:3298f89afa 1195:16bbd948fc 1196:64216a1d4f 1197:62af8265f5 1198:d5636d3263 1199:3252597b1f
1200:e8e89c78a9 1201:c9b8f7e977 1202:2186d7ccb8 1203:3fcf4806ef 1204:e258a31d87 1205:90fe572bc8 1206:5912548840 1207:3c28ccf505
1208:247f022178 1209:86ce30b8d5 1210:56782136b0 1211:47744cee94 1212:21022d2cf9 1213:802ff92dc0 1214:225595caca 1215:fb2d239911
1216:a7886f9699 1217:b765f9b20b 1218:f1beb5f916 1219:0a66ae8ad8 1220:5b3d45f02c 1221:542052a7d8 1222:2e03351b8a 1223:4bb15f6def
1224:c5143918a7 1225:bf57bdb273 1226:9b6e77e0fd 1227:1b70cd76a0 1228:a4afd02a95 1229:b70054d645 1230:648b847346 1231:99460a1490
1232:780a9f4b0c 1233:e9a8a0308c 1234:0518e3bf2f 1235:92b608f72a 1236:e45d3c95ff 1237:6582a62420 1238:5cb294efcd 1239:c159fedf38
1240:4bb4d2ba41 1241:48d11fb5e3 1242:bbc11053a0 1243:b55c7c45aa 1244:5d616e99f1 1245:8f5fc9239b 1246:a33645eb50 1247:2012644d8d
1248:85bd54ad66 1249:2434523c28 1250:d8ce62ebed 1251:7a2f1c9d1f 1252:7a0e958c00 1253:56abd3d39a 1254:656c19f1c2 1255:9cfdc36c79
1256:0eb6f25949 1257:3abfd99410 1258:e3f5e780f9 1259:70aef14f25 1260:4bb7d33a4a 1261:62d91c072b 1262:f1beb5f916 1263:4366d4958d
1264:4bb7d33a4a 1265:e8eda98ef9 1266:c9591bcb51 1267:23ff28b78b 1268:6862adfa40 1269:96f49f50b9 1270:f1beb5f916 1271:479ed50213
1272:2c38055a52 1273:3bc5eb2090 1274:90009ddf04 1275:f17c22edd9 1276:2aef3b5f9c 1277:f23f9cf5af 1278:b3b5f68e54 1279:ccaac8050e
1280:7e91e75244 1281:0dc3b8f72c 1282:350ed4489f 1283:4d72cb8cf5 1284:82ce63aa89 1285:37b57339e1 1286:08fa601aa1 1287:1c399ffd0e
1288:4bb7d33a4a 1289:b41658dddd 1290:c870335e5c 1291:41e63d016f 1292:84abf5ff49 1293:267985c34a 1294:6791f3ae31 1295:61644e144e
1296:81c46515cb 1297:aae34f30b3 1298:79d4e8ad96 1299:7b7a10a73f 1300:ce194071f8 1301:3e4c7ddb6d 1302:a2fe613d39 1303:13fa14decb
1304:9223b13aa1 1305:6ca259e2f8 1306:6e7d94c856 1307:d24d49075f 1308:cc8b203dd3 1309:e7d035d3e1 1310:acded9aee2 1311:adb8ce5e1c
1312:7395f3d696 1313:4ad0445b2b 1314:e973ed777a 1315:4a1db7cf4f 1316:f1beb5f916 1317:495c94cc31 1318:eb4a2060f5 1319:ecbfbf0de8
1320:c7d4617039 1321:ee6b0141a5 1322:1c7f24b5ef 1323:bff7a8a840 1324:4f83111810 1325:b16dcce113 1326:09faabccea 1327:2bd3f84af1
1328:f1beb5f916 1329:dfa9d8ed10 1330:495c94cc31 1331:26da64d243 1332:8c4c818b1a 1333:92c49ec72d 1334:f965a05466 1335:408b925eb8
1336:3cacf285a2 1337:5d6b125865 1338:9d85d751a3 1339:27b238a525 1340:151ad067a5 1341:9e49911d4c 1342:90ddd15f71 1343:495c94cc31
1344:b35eba09fe 1345:c740a5104c 1346:4f1a370415 1347:208f0c94d9 1348:3c147c0956 1349:6f9e6be836 1350:f758a866c7 1351:52d9700450
1352:f237fce587 1353:d7ef5cd46e 1354:269d796205 1355:1a0c9da2b3 1356:d5b59bff8d 1357:c6ce7bff21 1358:83ac1d9887 1359:0065f2aefb
1360:a48c493abf 1361:2f0ae2b24e 1362:525eba6516 1363:e76e544b5b 1364:5dc75adf8b 1365:e783077ada 1366:cbfba04528 1367:3dd4530ce4
1368:d8eb8d8ee7 1369:990e0aa1f6 1370:b79efaa6e5 1371:74389e7e09 1372:181351adca 1373:d44b60231e 1374:a6797a63b4 1375:944514c1bc
1376:cdbb341e4d 1377:f1beb5f916 1378:4bb7d33a4a 1379:14f87e1ea4 1380:5831ab52bf 1381:73289217f8 1382:28f1876994 1383:0ed716381a
1384:c8d7f9e0a3 1385:5574a281fa 1386:f132b77e54 1387:9a0195d419 1388:d447231fa4 1389:a331173263 1390:51cdd97604 1391:89d9c074b7
1392:dfb2018f54 1393:e8f41db5a3 1394:bd8e7bf6dc 1395:43d30b68be 1396:83c1bf2aa8 1397:4bb7d33a4a 1398:c8900b914f 1399:2a7717ac71
1400:f1beb5f916 1401:7eeb2d5638 1402:820aba5ee5 1403:ca6e83c6f7 1404:8c54ec6b0a 1405:b4254711a7 1406:2708e6be5d 1407:4bb7d33a4a
1408:1ee91ae65f 1409:73fe805ccd 1410:540bdbfd5f 1411:d009245dbc 1412:3128e2490a 1413:c81a9cef83 1414:1a5089de1d 1415:fb6b2eefa3
1416:4bb7d33a4a 1417:9163f9a41e 1418:e0ee8c0e9a 1419:4bb7d33a4a 1420:266e93ca01 1421:2d8a74f046 1422:6c73c4b74d 1423:d0ac669db2
1424:72499f2776 1425:3ada80aaad 1426:a880300ed0 1427:3b16cf598c 1428:903346ef35 1429:0bd78aaccd 1430:c7a0b3fb12 1431:d3e59f5384
1432:7fb1d0c780 1433:efc837fbf1 1434:5cfd559766 1435:326a4a4335 1436:2bcd372dc1 1437:098434a380 1438:531e2a2e07 1439:6794a992b0
1440:5ebe5584e4 1441:f4d4b25a8b 1442:f9081fc94f 1443:d846d9d54f 1444:0c0c745047 1445:9f82d8b434 1446:a14e0bb92d 1447:4b2f382767
1448:5882a2d77a 1449:ac483ff5b3 1450:bd177b31e7 1451:b65d430c8f 1452:f2aaa85cce 1453:896dadfe0e 1454:a731c4e63d 1455:7b58bce67f
1456:16a4c6cf54 1457:94c1259827 1458:6667dc8e5e 1459:3003ca816f 1460:ae4eb3ed99 1461:9401c768e8 1462:fe2a778bb6 1463:07e376e13e
1464:740c3f3839 1465:ab05b12156 1466:fea31c6907 1467:9cc1c949b2 1468:bba1bc4c69 1469:28908a25d1 1470:c25d874ef9 1471:159bbaadd8
1472:1d8adfcd45 1473:e129024df5 1474:f1b2d51d7e 1475:e9f0160ea4 1476:badb5d9840 1477:018910e128 1478:fd316c971c 1479:4bb7d33a4a
1480:9a31ceb7b7 1481:190fda872e 1482:e53bc0e3b7 1483:7ff174226a 1484:930d63ddea 1485:e77cf60f53 1486:fd189d6053 1487:40c7667c80
1488:3dae4bbdd5 1489:2f4b82165f 1490:f729d4da35 1491:af9913a7e3 1492:49a827364a 1493:66f63b788d 1494:f1beb5f916 1495:dc74dfb3b7
1496:ac43e09726 1497:fb6cc97460 1498:7dadcf26a3 1499:34fc9613d0 7957:d6790ee645 14708:59b1bae555 15765:de71a6e34b 28154:c88358741b
30214:05bf6666c0 39123:56508ce77b
"""


def test_task_groups_run_seeded_random_programs_as_asyncio_s_do():
    """Every seeded program's trace -- each child's outcome and when, each
    block's error (its failures, in order), what the group exposes, when
    each block and scope ended -- is asyncio's (as recorded), but for the
    seeds KNOWN to differ by a documented rule or a same-instant order
    (those run too: nothing may hang or crash)."""
    recorded = dict(item.split(":") for item in RECORDED.split())
    assert len(recorded) == SEEDS + len(FOUND)
    differ = []
    for seed in list(range(SEEDS)) + list(FOUND):
        events = trace(Ours, random_group(random.Random(seed)))
        if seed not in KNOWN and fingerprint(events) != recorded[str(seed)]:
            differ.append((seed, events))
    assert not differ, "seeds %s differ from asyncio's; the first, ours:\n%s" % (
        [seed for seed, _ in differ], pprint.pformat(by_actor(differ[0][1])))


# ============================================ asyncio's, for the recording

def _asyncio_oracle():
    """asyncio 3.11's TaskGroup on a virtual clock, bent to our documented
    rules where they differ (see the module docstring)."""
    import asyncio
    import selectors

    class Selector(selectors.DefaultSelector):
        loop = None

        def select(self, timeout=None):
            if timeout:                 # no I/O here: time jumps to the next timer
                self.loop.virtual_now += timeout
            return super().select(0)

    class Loop(asyncio.SelectorEventLoop):
        def __init__(self):
            selector = Selector()
            super().__init__(selector=selector)
            selector.loop = self
            self.virtual_now = 0.0

        def time(self):
            return self.virtual_now

    class Task(asyncio.Task):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.exiting = []           # its Groups waiting at their exit
            self.scopes = []            # its timeouts, open

        def cancel(self, msg=None):
            # A cancel from outside reaching a group waiting at its exit
            # (not its own, from a child's failure) cancels the children
            # again -- the first one only: after it, ours wait deferring.
            caller = sys._getframe(1)
            own = caller.f_code.co_name == "_on_task_done" and caller.f_locals.get("self")
            for group in self.exiting:
                if group.tg is not own and not group.woken:
                    group.woken = True
                    group.outside = asyncio.CancelledError()
                    if group.tg._aborting:
                        for task in list(group.tg._tasks):
                            task.cancel()
            return super().cancel(msg)

    class Group:
        def __init__(self):
            self.tg = asyncio.TaskGroup()

        async def __aenter__(self):
            await self.tg.__aenter__()
            return self

        async def __aexit__(self, kind, exc, tb):
            me = asyncio.current_task()
            self.outside = None
            self.woken = False
            if kind is asyncio.CancelledError and me.cancelling() > self.tg._parent_cancel_requested:
                self.outside = exc      # the body cancelled from outside
            if any(scope.expired() for scope in me.scopes):
                self.woken = True       # ours: the expiry comes again at once, first
            requested = self.tg._parent_cancel_requested
            me.exiting.append(self)
            try:
                result = await self.tg.__aexit__(kind, exc, tb)
            except BaseExceptionGroup as error:     # noqa: F821 - 3.11
                if self.outside is not None:
                    raise self.outside  # a cancel stays a cancel (failures logged)
                if exc is not None and any(e is exc for e in error.exceptions):
                    rest = [e for e in error.exceptions if e is not exc]
                    if not rest:
                        raise exc       # the body's error alone goes on as it is
                    raise BaseExceptionGroup("", [exc] + rest)   # noqa: F821 - its first
                raise
            except BaseException:
                if self.outside is not None:
                    raise self.outside
                raise
            finally:
                me.exiting.remove(self)
                if self.tg._parent_cancel_requested and not requested:
                    me.uncancel()       # (as 3.12 does: 3.11 left its cancel counted)
            if self.outside is not None:
                raise self.outside
            return result

    class Theirs:
        Cancelled = asyncio.CancelledError
        sleep = staticmethod(asyncio.sleep)
        group = Group

        @staticmethod
        def now():
            return asyncio.get_running_loop().virtual_now

        @staticmethod
        async def spawn(group, coro):
            return group.tg.create_task(coro)

        @staticmethod
        async def shielded(coro):
            # disable_cancellation: the work goes on; a cancel that came
            # meanwhile comes at the next await (or the task ends cancelled)
            task = asyncio.ensure_future(coro)
            cancelled = False
            while True:
                try:
                    result = await asyncio.shield(task)
                    break
                except asyncio.CancelledError:
                    if task.done():
                        raise
                    cancelled = True
            if cancelled:
                asyncio.current_task().cancel()
            return result

        @staticmethod
        def timeout(kind, seconds):
            return Scope(asyncio.timeout(seconds), kind == "move")

        @staticmethod
        def outcome(task):
            if task.cancelled():
                return ("cancelled",)
            if task.exception() is not None:
                return ("exc", _name(task.exception()))
            return ("ret", task.result())

        @staticmethod
        def run(coro):
            loop = Loop()
            loop.set_task_factory(lambda loop, coro, **kwargs: Task(coro, loop=loop, **kwargs))
            try:
                return loop.run_until_complete(coro)
            finally:
                loop.close()

    class Scope:
        """``asyncio.timeout``; ``ignore_after``'s swallows its TimeoutError."""
        def __init__(self, timeout, ignore):
            self.timeout, self.ignore = timeout, ignore

        async def __aenter__(self):
            asyncio.current_task().scopes.append(self.timeout)
            return await self.timeout.__aenter__()

        async def __aexit__(self, *exc_info):
            asyncio.current_task().scopes.remove(self.timeout)
            try:
                return await self.timeout.__aexit__(*exc_info)
            except TimeoutError:
                if self.ignore:
                    return True
                raise

    return Theirs


def _record():
    """Rewrite RECORDED from asyncio's traces; list the seeds that differ."""
    if sys.version_info[:2] != (3, 11):
        sys.exit("the oracle reads asyncio 3.11's TaskGroup: run it with CPython 3.11")
    logging.disable(logging.CRITICAL)       # (what our groups log, as they say)
    theirs = _asyncio_oracle()
    lines, differ = [], []
    for seed in list(range(SEEDS)) + list(FOUND):
        program = random_group(random.Random(seed))
        expected = fingerprint(trace(theirs, program))
        lines.append("%d:%s" % (seed, expected))
        if fingerprint(trace(Ours, program)) != expected:
            differ.append(seed)
    path = os.path.abspath(__file__)
    with open(path) as f:
        text = f.read()
    start = text.index('RECORDED = """') + len('RECORDED = """')
    end = text.index('"""', start)
    body = "\n".join(" ".join(lines[i:i + 8]) for i in range(0, len(lines), 8))
    with open(path, "w") as f:
        f.write(text[:start] + "\n" + body + "\n" + text[end:])
    print("recorded %d seeds; ours differ at %s (KNOWN: %s)" % (
        len(lines), differ, sorted(KNOWN)))


if __name__ == "__main__":
    _record()
