"""Feedback analytics: summaries (how many traces got feedback, thumbs up rates, rating
distributions), exports of traces with their feedback, and a live feed of new feedback.

Counted inside MLflow's database wherever MLflow's aggregation (QueryTraceMetrics) can answer:
trace counts and current-vote counts by feedback name and value, per time bucket, filtered by
trace tags, user and session, and the traces with feedback as the traces that carry the feedback
marker (feedback/markers.py: a tag the service keeps on every trace that holds current feedback).
Everything else is derived from those counts here: positive rates and their Wilson intervals,
means and distributions (from the counts per score), normalised means (from the schemas). Two
things that aggregation cannot do (filter by the feedback's source type, list the values a group
dimension takes) are counted from one paged read of the trace infos in range instead (no spans,
never a per-trace call); the summary says which way it was counted. Exports and the feed read
trace infos the same way.

Only current votes count: MLflow's aggregation skips assessments a later vote overrode
(`valid` false), and the trace-info read skips them too; deleted ones are gone from MLflow.
"""

import asyncio
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from typing import Literal

from genaifeedback.service.domain.aggregation import Aggregation
from genaifeedback.service.domain.records import ScannedTrace, StoredFeedback, creation_order
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.domain.summary import (
    Bucket,
    Counting,
    Group,
    Summary,
    Tally,
    summarise,
    vote_value,
)
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.mlflow.selection import TraceSelection

GroupBy = Literal["tag", "user", "session"]

# WatchFeedback sends an assessment only once it is this old: one stored a moment later with a
# slightly older creation time (another replica's clock) is still sent, in order.
WATCH_SETTLE_MS = 2000


@dataclass(frozen=True)
class SummaryQuery:
    """What to summarise: validated by analytics_convert.py."""

    start_ms: int
    end_ms: int  # exclusive
    trace_tags: dict[str, str] = field(default_factory=dict)
    user_id: str = ""
    session_id: str = ""
    source_type: str = ""  # HUMAN, LLM_JUDGE, CODE; empty: every source
    interval_seconds: int = 0  # 0: no time series
    group_by: GroupBy | None = None
    group_by_tag: str = ""
    group_values: tuple[str, ...] = ()
    count_traces_with_feedback: bool = False

    def selection(self) -> TraceSelection:
        return TraceSelection(self.start_ms, self.end_ms, self.trace_tags, self.user_id, self.session_id)

    def needs_scan(self) -> bool:
        """Whether some figure is beyond MLflow's aggregation (see the module's docstring)."""
        return bool(self.source_type or (self.group_by and not self.group_values))

    def bucket_starts(self) -> list[int]:
        """Every bucket that overlaps the range, as MLflow aligns them (epoch multiples)."""
        if not self.interval_seconds:
            return []
        width = self.interval_seconds * 1000
        first = self.start_ms // width * width
        return list(range(first, self.end_ms, width))


@dataclass(frozen=True)
class SummaryResult:
    query: SummaryQuery
    total: Summary
    buckets: list[Bucket]
    groups: list[Group]
    counting: Counting


@dataclass(frozen=True)
class ExportCursor:
    """Where an export stopped: the start time of the last trace sent, and the traces sent with it."""

    timestamp_ms: int
    trace_ids: tuple[str, ...]

    def after(self, trace: ScannedTrace) -> "ExportCursor":
        if trace.timestamp_ms == self.timestamp_ms:
            return ExportCursor(self.timestamp_ms, (*self.trace_ids, trace.trace_id))
        return ExportCursor(trace.timestamp_ms, (trace.trace_id,))


@dataclass(frozen=True)
class ExportQuery:
    start_ms: int
    end_ms: int  # exclusive
    trace_tags: dict[str, str] = field(default_factory=dict)
    user_id: str = ""
    session_id: str = ""
    source_type: str = ""
    names: frozenset[str] = frozenset()
    only_with_feedback: bool = False
    include_history: bool = False
    resume_after: ExportCursor | None = None

    def selection(self) -> TraceSelection:
        """The traces to export, from the resume point on."""
        start_ms = max(self.start_ms, self.resume_after.timestamp_ms) if self.resume_after else self.start_ms
        return TraceSelection(start_ms, self.end_ms, self.trace_tags, self.user_id, self.session_id)


@dataclass(frozen=True)
class WatchCursor:
    """Where a watch stopped: the creation time of the last feedback sent, and those sent with it."""

    create_time_ms: int
    assessment_ids: tuple[str, ...]

    def sent(self, feedback: StoredFeedback) -> bool:
        return feedback.create_time_ms < self.create_time_ms or (
            feedback.create_time_ms == self.create_time_ms and feedback.assessment_id in self.assessment_ids
        )

    def after(self, feedback: StoredFeedback) -> "WatchCursor":
        if feedback.create_time_ms == self.create_time_ms:
            return WatchCursor(self.create_time_ms, (*self.assessment_ids, feedback.assessment_id))
        return WatchCursor(feedback.create_time_ms, (feedback.assessment_id,))


@dataclass(frozen=True)
class WatchQuery:
    lookback_ms: int
    source_type: str = ""
    names: frozenset[str] = frozenset()
    resume_after: WatchCursor | None = None


def _wanted(feedback: StoredFeedback, source_type: str, names: frozenset[str]) -> bool:
    return (not source_type or feedback.source_type == source_type) and (not names or feedback.name in names)


class FeedbackAnalytics:
    """Summaries, exports and a live feed of the feedback on one experiment's traces."""

    def __init__(self, gateway: MlflowGateway, schemas: Schemas, watch_poll_seconds: float = 2.0):
        self._gateway = gateway
        self._schemas = schemas
        self._watch_poll_seconds = watch_poll_seconds

    async def export(self, query: ExportQuery) -> AsyncGenerator[tuple[ScannedTrace, ExportCursor], None]:
        """The traces in range, oldest first, with the wanted feedback; each with its resume point."""
        cursor = query.resume_after
        async for trace in self._gateway.scan_traces(query.selection()):
            if cursor and trace.timestamp_ms == cursor.timestamp_ms and trace.trace_id in cursor.trace_ids:
                continue  # sent before the resume point
            cursor = cursor.after(trace) if cursor else ExportCursor(trace.timestamp_ms, (trace.trace_id,))
            kept = [
                f
                for f in trace.feedback
                if _wanted(f, query.source_type, query.names) and (f.valid or query.include_history)
            ]
            if query.only_with_feedback and not any(f.valid for f in kept):
                continue  # still moves the resume point past it
            yield replace(trace, feedback=kept), cursor

    async def watch(self, query: WatchQuery) -> AsyncGenerator[tuple[StoredFeedback, WatchCursor], None]:
        """Every feedback created after the cursor (default: now), oldest first, as it appears."""
        cursor = query.resume_after or WatchCursor(_now_ms(), ())  # convert.py always sets one
        while True:
            now_ms = _now_ms()
            settled_ms = now_ms - WATCH_SETTLE_MS
            fresh: list[StoredFeedback] = []
            async for trace in self._gateway.scan_traces(TraceSelection(now_ms - query.lookback_ms, now_ms + 1)):
                fresh += [
                    f
                    for f in trace.feedback
                    if f.create_time_ms <= settled_ms
                    and not cursor.sent(f)
                    and _wanted(f, query.source_type, query.names)
                ]
            for feedback in sorted(fresh, key=creation_order):
                cursor = cursor.after(feedback)
                yield feedback, cursor
            await asyncio.sleep(self._watch_poll_seconds)

    async def summary(self, query: SummaryQuery) -> SummaryResult:
        if query.needs_scan():
            return await self._scanned_summary(query)
        return await self._aggregated_summary(query)

    # --- MLflow's aggregation (aggregation.py)

    async def _aggregated_summary(self, query: SummaryQuery) -> SummaryResult:
        everything = query.selection()
        values = list(query.group_values) if query.group_by else []
        groups = {value: self._group_selection(query, everything, value) for value in values}
        aggregation = Aggregation(self._gateway, query.interval_seconds, query.count_traces_with_feedback)
        total_series, group_series = await aggregation.count(everything, groups)
        description = (
            "every figure counted by MLflow in its database (QueryTraceMetrics: trace counts,"
            + (" traces with the feedback marker," if query.count_traces_with_feedback else "")
            + " and current feedback votes by name and value), derived here into rates, means and distributions"
        )
        return self._result(
            query, total_series, group_series, Counting(True, query.count_traces_with_feedback, 0, description)
        )

    @staticmethod
    def _group_selection(query: SummaryQuery, everything: TraceSelection, value: str) -> TraceSelection | None:
        if query.group_by == "tag":
            return everything.narrowed(tags={query.group_by_tag: value})
        if query.group_by == "user":
            return everything.narrowed(user_id=value)
        return everything.narrowed(session_id=value)

    # --- the trace-info read, for what the aggregation cannot count

    async def _scanned_summary(self, query: SummaryQuery) -> SummaryResult:
        width = query.interval_seconds * 1000
        total: dict[int | None, Tally] = {}
        grouped: dict[str, dict[int | None, Tally]] = {}
        wanted = set(query.group_values)
        read = 0
        async for trace in self._gateway.scan_traces(query.selection()):
            read += 1
            tally = Tally(trace_count=1)
            for name, value, source_type in trace.votes:
                if query.source_type and source_type != query.source_type:
                    continue
                tally.traces_with_feedback = 1  # any current feedback, as the marker counts it
                counted = vote_value(value)
                if counted is not None:
                    tally.votes[(name, counted)] += 1
            bucket = trace.timestamp_ms // width * width if width else None
            total.setdefault(bucket, Tally()).add(tally)
            group = self._group_of(query, trace)
            if group is not None and (not wanted or group in wanted):
                grouped.setdefault(group, {}).setdefault(bucket, Tally()).add(tally)
        for value in wanted:
            grouped.setdefault(value, {})
        description = (
            f"counted by the service from one paged read of the {read} trace infos in range (no spans),"
            " because " + _scan_reasons(query) + "; current votes only"
        )
        return self._result(query, total, grouped, Counting(False, True, read, description))

    @staticmethod
    def _group_of(query: SummaryQuery, trace: ScannedTrace) -> str | None:
        if query.group_by == "tag":
            return trace.tags.get(query.group_by_tag)
        if query.group_by == "user":
            return trace.user_id
        if query.group_by == "session":
            return trace.session_id
        return None

    # --- assembling the answer

    def _result(
        self,
        query: SummaryQuery,
        total: dict[int | None, Tally],
        groups: dict[str, dict[int | None, Tally]],
        counting: Counting,
    ) -> SummaryResult:
        return SummaryResult(
            query=query,
            total=self._summary_of(total),
            buckets=self._buckets_of(query, total),
            groups=[
                Group(value, self._summary_of(series), self._buckets_of(query, series))
                for value, series in sorted(groups.items())
            ],
            counting=counting,
        )

    def _summary_of(self, series: dict[int | None, Tally]) -> Summary:
        whole = Tally()
        for tally in series.values():
            whole.add(tally)
        return summarise(whole, self._schemas)

    def _buckets_of(self, query: SummaryQuery, series: dict[int | None, Tally]) -> list[Bucket]:
        return [Bucket(start, summarise(series.get(start, Tally()), self._schemas)) for start in query.bucket_starts()]


def _now_ms() -> int:
    return int(time.time() * 1000)


def _scan_reasons(query: SummaryQuery) -> str:
    reasons = []
    if query.source_type:
        reasons.append("MLflow's aggregation cannot filter by source type")
    if query.group_by and not query.group_values:
        reasons.append("MLflow's aggregation cannot list the values a group dimension takes")
    return " and ".join(reasons)
