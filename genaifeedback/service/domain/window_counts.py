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
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (its window's end, hits in it)
        self._by_end: list[tuple[float, str]] = []  # (end, key), earliest first; stale entries skipped

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError  # nothing here fails; limits wants the type its wrapper catches

    def _drop_ended(self, now: float) -> None:
        while self._by_end and self._by_end[0][0] <= now:
            end, key = heapq.heappop(self._by_end)
            window = self._windows.get(key)
            if window is not None and window[0] == end:  # not a window that has started again since
                del self._windows[key]

    def _open(self, key: str) -> tuple[float, int]:
        """The key's window if it has not ended: (end, hits); else (0, 0)."""
        window = self._windows.get(key, (0.0, 0))
        return window if window[0] > self._clock() else (0.0, 0)

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        self._drop_ended(now)
        window = self._windows.get(key)
        if window is None:  # the first hit starts the key's window
            window = (now + expiry, 0)
            heapq.heappush(self._by_end, (window[0], key))
        self._windows[key] = (window[0], window[1] + amount)
        return window[1] + amount

    async def get(self, key: str) -> int:
        return self._open(key)[1]

    async def get_expiry(self, key: str) -> float:
        return self._open(key)[0] or self._clock()

    async def check(self) -> bool:
        return True

    async def reset(self) -> int:
        cleared = len(self._windows)
        self._windows.clear()
        self._by_end.clear()
        return cleared

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)  # its heap entry is now stale

    def __len__(self) -> int:
        """Keys whose window has not been dropped yet (what the counts hold in memory)."""
        return len(self._windows)
