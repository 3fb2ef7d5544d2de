"""trampoline/protocols/kv.py: the sweep's queue let go of soon after a
mass DEL or PERSIST.

After a DEL (or PERSIST) of 20,000 keys with a deadline, with 20 left and
no deadline set since, the next sweep makes the queue again from the
table of deadlines -- it kept the 20,000 entries (and the keys) until
the sweep had gone round them, 2,000 a tenth of a second: 50 s for a
million.  Through the server on a VirtualClock.
"""

import pytest

from net_helpers import ask, watchdog, with_kv_server  # noqa: F401 (watchdog: autouse)
from trampoline import VirtualClock, sleep
from trampoline.protocols.kv import SWEEP_INTERVAL, Store

WATCHDOG_SECONDS = 30.0


# ================================================================ the sweep's queue

KEPT, DROPPED = 20, 20000


@pytest.mark.parametrize("removal", ["DEL", "PERSIST"])
def test_the_sweeps_queue_lets_go_of_a_mass_removal_within_a_sweep_interval(removal):
    """The server on a VirtualClock: 20 keys with PX 5000, then 20,000 with
    EX 1000, which a DEL (or PERSIST) takes their deadline from, 1,000 a
    command.  One sweep interval later the sweep's queue holds the 20 keys
    that have a deadline and no more (it held the 20,000 entries until the
    sweep went round them: 18,000 after that interval); and those 20 are
    still dropped at their deadline, INFO counting them."""
    clock = VirtualClock(autojump_threshold=0)
    store = Store(clock)
    seen = {}

    def client(stream):
        yield ask(stream, *[["SET", "kept:%d" % i, "v", "PX", "5000"] for i in range(KEPT)])
        yield ask(stream, *[["SET", "key:%d" % i, "v", "EX", "1000"] for i in range(DROPPED)])
        assert len(store.expiring) == KEPT + DROPPED
        if removal == "DEL":
            removals = [["DEL"] + ["key:%d" % i for i in range(start, start + 1000)]
                        for start in range(0, DROPPED, 1000)]
        else:
            removals = [["PERSIST", "key:%d" % i] for i in range(DROPPED)]
        removed = yield ask(stream, *removals)
        assert sum(removed) == DROPPED
        yield sleep(SWEEP_INTERVAL + 0.01)
        seen["queue"] = len(store.expiring)
        yield sleep(5.0)
        seen["stats"] = (yield ask(stream, ["INFO", "stats"]))[0]
        seen["after"] = len(store.expiring), len(store.expires)

    with_kv_server(store, client, clock=clock)
    assert seen["queue"] == KEPT, "the queue still holds %d entries" % seen["queue"]
    assert b"expired_keys:%d\r\n" % KEPT in seen["stats"], seen["stats"]
    assert seen["after"] == (0, 0)
