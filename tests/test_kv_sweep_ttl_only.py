"""trampoline/protocols/kv.py: the expiry sweep looks only at the keys
that have a deadline.

A key with a time to live among 200,000 without one is dropped by the
first sweep after its deadline, as Redis's active expiry (which samples
its table of deadlines alone) drops it within a second -- the sweep went
round every key in SCAN's order, 2,000 a call, and took 100 calls (ten
seconds) to come by it.  Driven through ``Store``'s commands and
``sweep()`` on a fake clock, and through the server on the kernel's
virtual clock.
"""

from net_helpers import ask, watchdog, with_kv_server  # noqa: F401 (watchdog: autouse)
from trampoline import VirtualClock, sleep
from trampoline.protocols.kv import SWEEP_INTERVAL, Store

WATCHDOG_SECONDS = 30.0
PLAIN = 200000                  # keys without a deadline, half set before the others, half after


class FakeClock:
    """A clock the test moves by hand: ``clock.now += 1.5``."""

    def __init__(self, now=1.7e9):
        self.now = now

    def __call__(self):
        return self.now


def msets(first, last):
    """MSETs of the keys plain:first .. plain:last-1, 10,000 a command."""
    return [["MSET"] + [word for i in range(start, min(start + 10000, last))
                        for word in ("plain:%d" % i, "v")]
            for start in range(first, last, 10000)]


def words(command):
    return [word.encode() if isinstance(word, str) else word for word in command]


def store_with(clock, *expiring):
    """A Store holding ``PLAIN`` keys without a deadline, and between
    them (in SCAN's order too) the ``expiring`` commands' keys."""
    store = Store(clock)
    for command in msets(0, PLAIN // 2) + list(expiring) + msets(PLAIN // 2, PLAIN):
        assert store.execute(words(command)) in (b"+OK\r\n", b":1\r\n")
    return store


def test_a_sweep_of_ten_keys_finds_the_ten_with_a_deadline_among_200000_without():
    """``sweep(10)`` looks at ten keys that have a deadline, never at the
    200,000 without one: the ten past their deadline are dropped by that
    one call (it looked at ten keys without a deadline, and dropped none)."""
    clock = FakeClock()
    store = store_with(clock, *[["SET", "ttl:%d" % i, "v", "PX", "100"] for i in range(10)])
    clock.now += 0.2
    assert store.sweep(10) == 10
    assert store.expires == {} and len(store.data) == PLAIN and store.expired_keys == 10
    assert store.sweep(10) == 0


def test_keys_not_yet_due_go_round_and_are_dropped_by_the_first_sweep_past_their_deadline():
    """Ten keys with deadlines 100, 200 ... 1000 ms away, among 200,000
    without: each sweep (of ``SWEEP_KEYS``, the background task's) drops
    exactly those past their deadline, the others put back for the next
    -- none lingers a sweep longer, whatever the keys without a deadline."""
    clock = FakeClock()
    store = store_with(clock, *[["SET", "ttl:%d" % i, "v", "PX", "%d" % (100 * i)]
                                for i in range(1, 11)])
    assert store.sweep() == 0                   # all ten looked at, none due
    start = clock.now
    for i in range(1, 11):
        clock.now = start + 0.1 * i
        store.sweep()                           # (the one due this very millisecond stays)
        assert set(store.expires) == {b"ttl:%d" % j for j in range(i, 11)}, i
        clock.now += 0.001
        assert store.sweep() == 1, i
        assert b"ttl:%d" % i not in store.data
    assert len(store.data) == PLAIN and store.expired_keys == 10


def test_dbsize_and_info_keyspace_count_no_key_past_its_deadline_among_many_without():
    """DBSIZE and INFO keyspace sweep first: the ten keys past their
    deadline among 200,000 without one are not counted (the sweep of
    10,000 keys they made looked at keys without a deadline, and counted
    200,010), and EXPIRE/PERSIST/DEL since have left nothing behind."""
    clock = FakeClock()
    store = store_with(clock, *[["SET", "ttl:%d" % i, "v", "PX", "100"] for i in range(10)],
                       ["SET", "persisted", "v", "EX", "1"], ["PERSIST", "persisted"],
                       ["SET", "deleted", "v", "EX", "1"], ["DEL", "deleted"],
                       ["EXPIRE", "plain:7", "1000"])
    clock.now += 0.2
    assert store.execute([b"DBSIZE"]) == b":%d\r\n" % (PLAIN + 1)
    keyspace = store.execute([b"INFO", b"keyspace"])
    assert b"db0:keys=%d,expires=1," % (PLAIN + 1) in keyspace, keyspace
    assert store.expired_keys == 10


def test_the_server_drops_a_key_among_200000_without_a_deadline_within_a_sweep_interval():
    """The server on a VirtualClock: 200,000 keys without a deadline, ten
    with PX 100 set between them, never touched.  One sweep interval after
    their deadline INFO stats counts the ten expired (ten seconds of
    sweeps, before), and DBSIZE the 200,000."""
    clock = VirtualClock(autojump_threshold=0)
    store = Store(clock)
    got = []

    def client(stream):
        yield ask(stream, *msets(0, PLAIN // 2))
        yield ask(stream, *[["SET", "ttl:%d" % i, "v", "PX", "100"] for i in range(10)])
        deadline = clock() + 0.1
        yield ask(stream, *msets(PLAIN // 2, PLAIN))
        yield sleep(deadline + SWEEP_INTERVAL + 0.002 - clock())
        got.extend((yield ask(stream, ["INFO", "stats"], ["DBSIZE"])))

    with_kv_server(store, client, clock=clock)
    stats, size = got
    assert b"expired_keys:10\r\n" in stats, stats
    assert size == PLAIN
