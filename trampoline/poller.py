"""Pollers: the one place the kernel asks the operating system what is ready.

The kernel needs five things from an I/O multiplexer: register a descriptor
for some events, change them, forget it, wait for readiness, close.  A
poller gives exactly that, and answers ``poll`` with plain ``(fd, mask)``
pairs.  Two backends, in the spirit of the standard ``selectors`` module:

* ``EpollPoller`` talks to ``select.epoll`` directly (Linux).  Skipping the
  ``selectors`` layer saves building a ``SelectorKey`` tuple per ready
  descriptor on every turn of the loop.
* ``SelectorPoller`` wraps any ``selectors.BaseSelector`` -- ``PollSelector``,
  ``SelectSelector``, ``KqueueSelector`` -- for every other system, and for
  anyone who passes ``run(coro, selector=...)``.

Each poller also says which mask bits mean "wake the reader" (``READY_READ``)
and "wake the writer" (``READY_WRITE``): errors and hang-ups wake both, so a
task waiting on a broken connection learns of it at once.
"""

import select
import selectors
from typing import List, Optional, Tuple, Union

__all__ = ["EpollPoller", "SelectorPoller", "default_poller"]


class EpollPoller:
    """``select.epoll``, level-triggered, used directly."""

    READ = select.EPOLLIN if hasattr(select, "epoll") else 1
    WRITE = select.EPOLLOUT if hasattr(select, "epoll") else 4
    _BROKEN = (select.EPOLLERR | select.EPOLLHUP) if hasattr(select, "epoll") else 24
    READY_READ = READ | _BROKEN
    READY_WRITE = WRITE | _BROKEN

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self.register = self._epoll.register
        self.modify = self._epoll.modify
        self.poll = self._epoll.poll        # (timeout or -1) -> [(fd, mask), ...]
        self.fileno = self._epoll.fileno

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (already gone is fine: closing a descriptor
        removes it; so is a closed poller, which watches nothing)."""
        try:
            self._epoll.unregister(fd)
        except OSError:         # already gone: closing an fd removes it from epoll
            pass
        except ValueError:      # the epoll is closed (as SelectorPoller's unregister)
            pass

    def close(self) -> None:
        """Close the epoll descriptor."""
        self._epoll.close()

    def __repr__(self) -> str:
        if self._epoll.closed:
            return "<EpollPoller closed>"
        return "<EpollPoller fd=%d>" % self._epoll.fileno()


class SelectorPoller:
    """Any ``selectors`` selector, seen through the poller interface."""

    READ = READY_READ = selectors.EVENT_READ
    WRITE = READY_WRITE = selectors.EVENT_WRITE

    def __init__(self, selector: selectors.BaseSelector) -> None:
        if not isinstance(selector, selectors.BaseSelector):
            raise TypeError("selector must be a selectors.BaseSelector instance "
                            "(e.g. selectors.PollSelector()), got %r" % (selector,))
        self.selector = selector

    def register(self, fd: int, events: int) -> None:
        """Watch ``fd`` for ``events`` (READ, WRITE or both)."""
        self.selector.register(fd, events)

    def modify(self, fd: int, events: int) -> None:
        """Watch ``fd`` for other ``events``."""
        self.selector.modify(fd, events)

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd`` (already forgotten is fine)."""
        try:
            self.selector.unregister(fd)
        except (KeyError, ValueError, OSError):     # pragma: no cover - defensive: already forgotten
            pass

    def poll(self, timeout: Optional[float]) -> List[Tuple[int, int]]:
        """Wait at most ``timeout`` seconds; return ``[(fd, events), ...]`` ready now."""
        return [(key.fd, events) for key, events in self.selector.select(timeout)]

    def fileno(self) -> int:
        """The selector's own descriptor (epoll, kqueue, devpoll); poll and
        select have none, and raise AttributeError."""
        fileno = getattr(self.selector, "fileno", None)
        if fileno is None:
            raise AttributeError("%s has no descriptor" % type(self.selector).__name__)
        return fileno()

    def close(self) -> None:
        """Close the selector."""
        self.selector.close()

    def __repr__(self) -> str:
        return "<SelectorPoller %s>" % type(self.selector).__name__


def default_poller(selector: Optional[selectors.BaseSelector] = None
                   ) -> Union[EpollPoller, SelectorPoller]:
    """The best poller here: epoll on Linux, ``selectors.DefaultSelector``
    elsewhere, or a wrapper around the ``selector`` you pass."""
    if selector is not None:
        return SelectorPoller(selector)
    if hasattr(select, "epoll"):
        return EpollPoller()
    return SelectorPoller(selectors.DefaultSelector())  # pragma: no cover - not Linux
