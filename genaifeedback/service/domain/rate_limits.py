"""Rate limits (issue 17, item 5; docs/security.md, "Rate limits"): calls per principal and scope,
feedback writes per feedback-token user and per trace, and open streams per principal.

Counted with the `limits` library's fixed-window strategy: a window starts at a key's first hit
and every slot frees at once when it ends, so the RetryInfo each refused caller gets (the window's
end) holds for all of them: up to L callers refused in a window all get through when they honour
it. (A moving window frees one slot per earlier hit: the same delay sent to several refused
callers would let one through. The elastic-expiry variant, gone since limits 4, pushed the end
further with every refused hit, so a delay sent would not hold.) The price: up to 2L calls may
pass within one window's length across a boundary.

Counts live in this replica's memory unless --rate-limit-storage-uri names a Redis shared by the
replicas: then a limit is exact across them (window_counts.py has both). Open streams are always
this replica's own. With no limit configured nothing here runs at all (the defaults).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.storage import storage_from_string

from genaifeedback.service.domain.errors import RateLimited, TooManyStreams
from genaifeedback.service.domain.window_counts import Counts, SharedCounts, Take, WindowCounts
from genaifeedback.service.metrics import Metrics

if TYPE_CHECKING:
    from genaifeedback.service.process.config import Settings

MEMORY_URI = "memory://"
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")
STREAM_RETRY_SECONDS = 1.0  # a stream's end cannot be foreseen: a short, fixed delay
MAX_SUBJECT_CHARS = 200  # ErrorInfo metadata stays small (a principal or user id is bounded, but long)
# A principal's own limit for a scope (from the policy file), or None: the default applies.
PrincipalLimits = Callable[[str, str], str | None]


def parse_limit(text: str) -> RateLimitItem:
    """`100/minute`, `5 per second`, `1000/hour`; raises ValueError saying what is expected."""
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate limit such as 100/minute or 5 per second") from None


def check_storage_uri(uri: str) -> str:
    scheme = uri.partition("://")[0]
    if uri != MEMORY_URI and scheme not in REDIS_SCHEMES:
        raise ValueError(f"{uri!r}: the rate limit storage is {MEMORY_URI} or a redis:// (rediss://) URI")
    return uri


def counts_for(uri: str) -> Counts:
    if uri == MEMORY_URI:
        return WindowCounts()
    # Storage errors surface as StorageError: a store that is down lets calls through (SharedCounts).
    storage = storage_from_string("async+" + uri, wrap_exceptions=True, implementation="redispy")
    assert isinstance(storage, Storage)
    return SharedCounts(storage)


class RateLimits:
    def __init__(
        self,
        counts: Counts,
        per_principal: str,
        principal_limits: PrincipalLimits | None,
        per_user: str,
        per_trace: str,
        max_streams: int,
        metrics: Metrics,
    ):
        self._counts = counts
        self._default = parse_limit(per_principal) if per_principal else None
        self._principal_limits = principal_limits
        self._per_user = parse_limit(per_user) if per_user else None
        self._per_trace = parse_limit(per_trace) if per_trace else None
        self._max_streams = max_streams
        self._metrics = metrics
        self._parsed: dict[str, RateLimitItem] = {}
        self._open_streams: Counter[str] = Counter()

    def _principal_limit(self, principal: str, scope: str) -> RateLimitItem | None:
        own = self._principal_limits(principal, scope) if self._principal_limits and scope else None
        if own is None:
            return self._default
        if own not in self._parsed:  # validated when the policy was loaded
            self._parsed[own] = parse_limit(own)
        return self._parsed[own]

    async def call(self, principal: str, scope: str) -> None:
        """Counts a call under the principal's limit for the scope; RateLimited if it is over."""
        limit = self._principal_limit(principal, scope)
        if limit is not None:
            await self._take([(limit, ("principal", principal, scope))])

    async def feedback_write(self, user_id: str, trace_key: str) -> None:
        """Counts a feedback write for the token's user (if any) and for the trace; RateLimited if
        either is over. Both are looked at before either is counted, so a refusal counts nothing."""
        takes: list[Take] = []
        if self._per_user is not None and user_id:
            takes.append((self._per_user, ("user", user_id)))
        if self._per_trace is not None and trace_key:
            takes.append((self._per_trace, ("trace", trace_key)))
        if takes:
            await self._take(takes)

    @contextmanager
    def stream(self, principal: str) -> Iterator[None]:
        """Holds one of the principal's open-stream slots for as long as the stream is open."""
        if not self._max_streams:
            yield
            return
        if self._open_streams[principal] >= self._max_streams:
            self._metrics.rate_limited.labels(limit="streams").inc()
            raise TooManyStreams(
                f"{_short(principal) or 'this caller'} already has {self._max_streams} streams open on this replica: "
                "retry once one has ended",
                subject=_short(f"principal:{principal}"),
                limit=f"{self._max_streams} open Chat and WatchFeedback streams per replica",
                retry_after_seconds=STREAM_RETRY_SECONDS,
            )
        self._open_streams[principal] += 1
        try:
            yield
        finally:
            self._open_streams[principal] -= 1
            if not self._open_streams[principal]:
                del self._open_streams[principal]

    async def _take(self, takes: list[Take]) -> None:
        refusal = await self._counts.take(takes)
        if refusal is None:
            return
        limit, (kind, *key) = takes[refusal.position]
        delay = max(math.ceil((refusal.retry_at - time.time()) * 1000), 1) / 1000  # whole ms, never early
        self._metrics.rate_limited.labels(limit=kind).inc()
        subject = _short(f"{kind}:{key[0]}")
        described = f"{limit.amount} per {limit.multiples} {limit.GRANULARITY.name}"
        if kind == "principal":
            described += f" under {key[1]}"
        elif kind == "user":
            described += " feedback writes by this feedback token user"
        else:
            described += " feedback writes on this trace"
        raise RateLimited(
            f"over the rate limit for {subject} ({described}): retry in {delay:g} s",
            subject=subject,
            limit=described,
            retry_after_seconds=delay,
        )


def _short(value: str) -> str:
    return value if len(value) <= MAX_SUBJECT_CHARS else value[: MAX_SUBJECT_CHARS - 1] + "…"


def build(settings: Settings, principal_limits: PrincipalLimits | None, metrics: Metrics) -> RateLimits | None:
    """The limits the settings and the policy file ask for; None when there are none (the default)."""
    configured = (
        settings.rate_limit_per_principal,
        settings.rate_limit_per_token_user,
        settings.rate_limit_per_trace,
        settings.max_open_streams_per_principal,
    )
    if principal_limits is None and not any(configured):
        return None
    return RateLimits(
        counts_for(settings.rate_limit_storage_uri),
        settings.rate_limit_per_principal,
        principal_limits,
        settings.rate_limit_per_token_user,
        settings.rate_limit_per_trace,
        settings.max_open_streams_per_principal,
        metrics,
    )
