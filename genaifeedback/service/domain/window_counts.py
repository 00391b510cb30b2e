"""Rate-limit counts: fixed windows, each starting at a key's first hit. Two stores with one method,
`take`: this replica's memory (the default), or a store the replicas share through the `limits`
library (Redis).

In memory, neither limits' async MemoryStorage nor its strategy layer is used. The storage starts a
task on every hit that walks every key: a feedback write's bookkeeping grew from 26 µs with 32
traces written to in a window to 0.85 ms with 20,000. The strategy builds a key string per limit
and hit, and awaits the storage for each test and each hit: that cost more in a service under load
than the counting itself. Here a take is one call: the windows' ends are kept in a heap, each take
first drops the windows that have ended, and nothing awaits or locks (the event loop is the counts'
one owner). Memory is bounded by the keys hit within one window's length. `make bench-ack` prints
both costs.
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from limits import RateLimitItem
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError

logger = logging.getLogger(__name__)

STORAGE_WARNING_SECONDS = 60.0  # a shared store that is down: warn at most this often

# One count to take: the limit, and the key it counts under (a kind, then who or what: ("trace", id)).
Take = tuple[RateLimitItem, tuple[str, ...]]
_Slot = tuple[tuple[str, ...], int, int]  # a key, and its limit's amount and window seconds


class Refusal(NamedTuple):
    position: int  # which of the takes is over its limit
    retry_at: float  # epoch seconds: the end of its window, when the refused caller may try again


class Counts(Protocol):
    async def take(self, takes: Sequence[Take]) -> Refusal | None:
        """One hit on every take's key if each is under its limit; else counts nothing (but a shared
        store counts a lone take, as limits' hit does) and says which is over."""
        ...


class WindowCounts:
    """This replica's counts, in memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock  # epoch seconds: a window's end is also the RetryInfo callers get
        # (key, amount, seconds) -> (its window's end, hits in it). Not keyed by the limit itself:
        # its __hash__ is Python code, run on every lookup; a changed limit starts a new window.
        self._windows: dict[_Slot, tuple[float, int]] = {}
        self._by_end: list[tuple[float, _Slot]] = []  # (end, slot), earliest first; stale entries skipped

    async def take(self, takes: Sequence[Take]) -> Refusal | None:
        now = self._clock()
        self._drop_ended(now)
        slots = [(key, limit.amount, limit.get_expiry()) for limit, key in takes]
        for position, slot in enumerate(slots):
            window = self._windows.get(slot)
            if window is not None and window[1] >= slot[1]:
                return Refusal(position, window[0])
        for slot in slots:
            window = self._windows.get(slot)
            if window is None:  # the first hit starts the key's window
                window = (now + slot[2], 0)
                heapq.heappush(self._by_end, (window[0], slot))
            self._windows[slot] = (window[0], window[1] + 1)
        return None

    def _drop_ended(self, now: float) -> None:
        while self._by_end and self._by_end[0][0] <= now:
            end, slot = heapq.heappop(self._by_end)
            window = self._windows.get(slot)
            if window is not None and window[0] == end:  # not a window that has started again since
                del self._windows[slot]

    def __len__(self) -> int:
        """Keys whose window has not been dropped yet (what the counts hold in memory)."""
        return len(self._windows)


class SharedCounts:
    """Counts in a store shared by the replicas, through limits' fixed-window strategy: exact across
    replicas. A store that is down lets calls through (limits protect the service; a store that is
    down must not take it down too), with a warning at most once a minute."""

    def __init__(self, storage: Storage) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._warned = -math.inf

    async def take(self, takes: Sequence[Take]) -> Refusal | None:
        try:
            if len(takes) > 1:  # several: look at all before counting any
                for index, (limit, key) in enumerate(takes):
                    if not await self._limiter.test(limit, *key):
                        return Refusal(index, await self._reset(limit, key))
            for index, (limit, key) in enumerate(takes):
                if not await self._limiter.hit(limit, *key):
                    return Refusal(index, await self._reset(limit, key))
        except StorageError as error:
            self._storage_down(error)
        return None

    async def _reset(self, limit: RateLimitItem, key: tuple[str, ...]) -> float:
        try:
            return (await self._limiter.get_window_stats(limit, *key)).reset_time
        except StorageError:
            return time.time() + limit.get_expiry()

    def _storage_down(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned >= STORAGE_WARNING_SECONDS:
            self._warned = now
            logger.warning("rate limit storage failed, calls are let through unlimited: %s", error.storage_error)
