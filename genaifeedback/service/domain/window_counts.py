"""This replica's rate-limit counts, in memory, for the `limits` library's fixed-window strategy.

limits' own async MemoryStorage starts a task on every hit that walks every key to expire old ones,
and takes a lock per key: a feedback write's bookkeeping grew from 26 µs with 32 traces written to
in a window to 0.3 ms with 2,000 and 0.85 ms with 20,000 (`make bench-ack` prints it). Here the
windows' ends are kept in a heap, and each hit first drops the windows that have ended: no task, no
lock (the event loop is the counts' one owner and nothing here awaits), and memory bounded by the
keys hit within one window's length: 15 µs a write at any of those sizes.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable

from limits.aio.storage import Storage


class WindowCounts(Storage):
    STORAGE_SCHEME = None  # made directly (rate_limits.storage_for), never from a URI

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock  # epoch seconds: a window's end is also the RetryInfo callers get
        self._counts: dict[str, int] = {}
        self._ends: dict[str, float] = {}
        self._by_end: list[tuple[float, str]] = []  # (end, key), earliest first; stale entries skipped

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError  # nothing here fails; limits wants the type its wrapper catches

    def _drop_ended(self, now: float) -> None:
        while self._by_end and self._by_end[0][0] <= now:
            end, key = heapq.heappop(self._by_end)
            if self._ends.get(key) == end:  # not a window that has started again since
                del self._ends[key], self._counts[key]

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        self._drop_ended(now)
        if key not in self._ends:  # the first hit starts the key's window
            self._ends[key] = end = now + expiry
            heapq.heappush(self._by_end, (end, key))
            self._counts[key] = 0
        self._counts[key] += amount
        return self._counts[key]

    async def get(self, key: str) -> int:
        return self._counts[key] if self._ends.get(key, 0.0) > self._clock() else 0

    async def get_expiry(self, key: str) -> float:
        end = self._ends.get(key, 0.0)
        now = self._clock()
        return end if end > now else now

    async def check(self) -> bool:
        return True

    async def reset(self) -> int:
        cleared = len(self._counts)
        self._counts.clear()
        self._ends.clear()
        self._by_end.clear()
        return cleared

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)
        self._ends.pop(key, None)  # its heap entry is now stale

    def __len__(self) -> int:
        """Keys whose window has not been dropped yet (what the counts hold in memory)."""
        return len(self._counts)
