"""trampoline/protocols/kv.py: what a time to live costs, and how the keys
nobody touches are dropped.

A deadline is one entry in ``Store.expires`` and a slot in the sweep's
queue of the keys that have one (``Store.sweep``), so a key with a time
to live costs a dict entry and a pointer more than one without (Redis:
about 40 bytes more; ours was about 150, with a heap of (deadline, key)
tuples beside the dict).  Measured with tracemalloc on the Store itself
(CPython only); the sweep through the server on the kernel's virtual clock.
"""

import platform

import pytest

from net_helpers import ask, watchdog, with_kv_server  # noqa: F401 (watchdog: autouse)
from trampoline import VirtualClock, sleep
from trampoline.protocols.kv import SWEEP_INTERVAL, SWEEP_KEYS, SWEEP_PAUSE, Store

WATCHDOG_SECONDS = 30.0

needs_tracemalloc = pytest.mark.skipif(platform.python_implementation() != "CPython",
                                       reason="tracemalloc is CPython's")


class FakeClock:
    """A clock the test moves by hand: ``clock.now += 1.5``."""

    def __init__(self, now=1.7e9):
        self.now = now

    def __call__(self):
        return self.now


def traced_bytes(work):
    """The bytes ``work()`` left allocated, by tracemalloc."""
    import tracemalloc      # (here: PyPy has no _tracemalloc, and skips these tests)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def bytes_a_key(keys, ttl, step):
    """What ``keys`` SETs (with ``EX 1000`` if ``ttl``) cost a key, the
    clock moving ``step`` seconds between two."""
    clock = FakeClock()
    store = Store(clock)

    def load():
        for i in range(keys):
            clock.now += step
            store.execute([b"SET", b"key:%d" % i, b"v"] + ([b"EX", b"1000"] if ttl else []))
    return traced_bytes(load) / keys


@needs_tracemalloc
def test_a_time_to_live_costs_one_dict_entry_a_key():
    """20,000 keys set a millisecond apart, each with its own deadline:
    under 100 bytes a key more than without (a dict entry, the int and
    the sweep queue's slot: 74; the heap of tuples made it about 130)."""
    plain = bytes_a_key(20000, False, 0.001)
    with_ttl = bytes_a_key(20000, True, 0.001)
    assert with_ttl - plain < 100, (plain, with_ttl)


@needs_tracemalloc
def test_keys_given_a_deadline_in_the_same_millisecond_share_its_int():
    """A pipelined batch sets its deadlines in one millisecond: one int for
    them all, so a time to live costs the dict entry and the sweep
    queue's slot alone -- under 50 bytes a key (38; 80 and more with an
    int each)."""
    plain = bytes_a_key(20000, False, 0)
    with_ttl = bytes_a_key(20000, True, 0)
    assert with_ttl - plain < 50, (plain, with_ttl)


@needs_tracemalloc
def test_expire_persist_and_set_churn_on_the_same_keys_holds_no_more_memory():
    """EXPIRE, PEXPIRE, PERSIST, SET ... EX, SET, DEL and SET again on the
    same 100 keys, 20,000 rounds, with sweeps: what the store holds
    afterwards is what it held after the first rounds, give or take what
    SCAN's order and the sweep's queue keep of deleted keys until they
    are made again (at most 264 entries and 1,224 here) -- nothing
    kept a key's past deadlines, or its past lives (a megabyte and more
    if either did)."""
    clock = FakeClock()
    store = Store(clock)
    commands = [[b"SET", b"k%d" % i, b"v", b"EX", b"100"] for i in range(100)]
    store_commands = store.execute

    def churn(rounds):
        for n in range(rounds):
            key = b"k%d" % (n % 100)
            for command in ([b"EXPIRE", key, b"%d" % (50 + n % 7)], [b"PERSIST", key],
                            [b"PEXPIRE", key, b"%d" % (9000 + n)],
                            [b"SET", key, b"v", b"EX", b"%d" % (10 + n % 13)],
                            [b"DEL", key], [b"SET", key, b"w", b"PX", b"%d" % (500 + n)]):
                store_commands(command)
            clock.now += 0.0001
            if n % 500 == 0:
                store.sweep()
    for command in commands:
        store_commands(command)
    churn(3000)                                 # every structure at its working size
    grown = traced_bytes(lambda: churn(20000))
    assert len(store.data) == len(store.expires) == 100
    assert grown < 160 * 1024, grown


def test_one_sweep_looks_at_a_bounded_slice_and_goes_on_from_there():
    """50,000 keys past their deadline, 10,000 without one between them:
    one sweep drops at most ``SWEEP_KEYS`` (its work is bounded however
    many have expired), and sweeps one after another, each going on from
    where the last stopped, drop them all within a round of the keys."""
    clock = FakeClock()
    store = Store(clock)
    for i in range(60000):
        if i % 6 == 5:
            store.execute([b"SET", b"kept:%d" % i, b"v"])
        else:
            store.execute([b"SET", b"key:%d" % i, b"v", b"PX", b"%d" % (1 + i % 1000)])
    clock.now += 2
    first = store.sweep()
    assert 0 < first <= SWEEP_KEYS
    calls, dropped = 1, first
    while store.expires:
        dropped += store.sweep()
        calls += 1
        assert calls <= 60000 // SWEEP_KEYS + 1
    assert dropped == 50000 and len(store.data) == 10000
    assert store.sweep() == 0


def test_the_server_drops_many_untouched_keys_soon_after_their_deadline():
    """The server on a VirtualClock: 30,000 keys set with PX 1000 and never
    touched again, beside 1,000 without a deadline.  Within one sweep
    interval of their deadline (virtual time: sweeps follow each other
    ``SWEEP_PAUSE`` apart while a quarter of a slice has expired) they
    are all gone, and DBSIZE counts the 1,000.  A client PINGing all the
    while is answered between two sweeps: some PING sees some of the
    keys dropped and some not (with ``sleep(0)`` between two sweeps the
    kernel would not ask the poller until all were done)."""
    clock = VirtualClock(autojump_threshold=0)
    store = Store(clock)
    seen = []                                   # (virtual time, keys) at each PONG

    def client(stream):
        for batch in range(30):
            yield ask(stream, *[["SET", "key:%d:%d" % (batch, i), "v", "PX", "1000"]
                                for i in range(1000)])
        yield ask(stream, *[["SET", "kept:%d" % i, "v"] for i in range(1000)])
        deadline = clock() + 1.0
        yield sleep(1.0)
        while len(store.data) > 1000:
            assert (yield ask(stream, ["PING"])) == ["PONG"]
            seen.append((clock() - deadline, len(store.data)))
            yield sleep(SWEEP_PAUSE / 2)
            assert clock() < deadline + 5, "the keys were not dropped"
        seen.append((clock() - deadline, len(store.data)))
        assert (yield ask(stream, ["DBSIZE"], ["GET", "kept:7"])) == [1000, b"v"]

    with_kv_server(store, client, clock=clock)
    assert 0 <= seen[-1][0] <= SWEEP_INTERVAL + 0.05, seen[-1]
    assert any(1000 < keys < 31000 for _, keys in seen), seen[-20:]
