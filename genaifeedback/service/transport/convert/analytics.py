"""FeedbackAnalyticsService's wire messages to domain objects and back."""

import json
import time
from collections.abc import Sequence
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from genaifeedback.service.domain.analytics import (
    ExportCursor,
    ExportQuery,
    GroupBy,
    SummaryQuery,
    SummaryResult,
    WatchCursor,
    WatchQuery,
)
from genaifeedback.service.domain.limits import (
    DEFAULT_LOOKBACK_HOURS,
    LOOKBACK_HOURS,
    MAX_BUCKETS,
    MAX_FILTER_VALUE_CHARS,
    MAX_GROUP_VALUES,
    MAX_NAMES,
    MAX_RANGE_DAYS,
    MAX_TAG_FILTERS,
)
from genaifeedback.service.domain.records import ScannedTrace, StoredFeedback
from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX
from genaifeedback.service.domain.summary import Bucket, Summary
from genaifeedback.service.transport.convert.fields import (
    CONTROL_CHARACTERS,
    SOURCE_TYPE_VALUES,
    SourceTypeName,
    Violations,
    decode_token,
    encode_token,
    token_problem,
)
from genaifeedback.v1 import analytics_pb2, feedback_pb2
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

DAY_MS = 24 * 3600 * 1000
DEFAULT_RANGE_MS = DAY_MS
_INTERVALS = {
    analytics_pb2.SUMMARY_INTERVAL_UNSPECIFIED: 0,
    analytics_pb2.SUMMARY_INTERVAL_HOUR: 3600,
    analytics_pb2.SUMMARY_INTERVAL_DAY: 86400,
}
_GROUPS: dict[int, GroupBy | None] = {
    analytics_pb2.GROUP_DIMENSION_UNSPECIFIED: None,
    analytics_pb2.GROUP_DIMENSION_TRACE_TAG: "tag",
    analytics_pb2.GROUP_DIMENSION_USER: "user",
    analytics_pb2.GROUP_DIMENSION_SESSION: "session",
}


def _check_text(field: str, text: str, violations: Violations) -> None:
    """A text that goes into an MLflow filter, whose syntax has no escapes."""
    if len(text) > MAX_FILTER_VALUE_CHARS:
        violations.add(field, f"must be at most {MAX_FILTER_VALUE_CHARS} characters", Reason.TOO_LONG)
    elif "'" in text or "`" in text or '"' in text or CONTROL_CHARACTERS.search(text):
        violations.add(field, "must hold no quotes, backticks or control characters", Reason.INVALID_FORMAT)


def _check_trace_filters(
    request: analytics_pb2.GetFeedbackSummaryRequest | analytics_pb2.ExportFeedbackRequest, violations: Violations
) -> None:
    """The filters the summary and the export share: trace tags, user, session."""
    if len(request.trace_tags) > MAX_TAG_FILTERS:
        violations.add("trace_tags", f"at most {MAX_TAG_FILTERS} tags", Reason.TOO_LONG)
    for key, value in sorted(request.trace_tags.items())[:MAX_TAG_FILTERS]:
        if not key:
            violations.add("trace_tags", "a key must not be empty", Reason.REQUIRED)
        _check_text(f"trace_tags[{key[:40]!r}]", key, violations)
        _check_text(f"trace_tags[{key[:40]!r}]", value, violations)
    _check_text("user_id", request.user_id, violations)
    _check_text("session_id", request.session_id, violations)


def summary_query(request: analytics_pb2.GetFeedbackSummaryRequest, now_ms: int | None = None) -> SummaryQuery:
    violations = Violations()
    start_ms, end_ms = _range(request, now_ms, violations)
    if start_ms < end_ms and end_ms - start_ms > MAX_RANGE_DAYS * DAY_MS:
        violations.add("start_time", f"the range may span at most {MAX_RANGE_DAYS} days", Reason.OUT_OF_RANGE)
    _check_trace_filters(request, violations)
    source_type = _source_type(request, violations)
    if request.interval not in _INTERVALS:
        violations.add("interval", "must be one of the SummaryInterval values", Reason.OUT_OF_RANGE)
    interval = _INTERVALS.get(request.interval, 0)
    if interval and start_ms < end_ms and (end_ms - start_ms) // (interval * 1000) + 1 > MAX_BUCKETS:
        violations.add(
            "interval", f"at most {MAX_BUCKETS} buckets: use a wider interval or a shorter range", Reason.OUT_OF_RANGE
        )
    if request.group_by not in _GROUPS:
        violations.add("group_by", "must be one of the GroupDimension values", Reason.OUT_OF_RANGE)
    group_by = _GROUPS.get(request.group_by)
    if group_by == "tag":
        if not request.group_by_tag:
            violations.add("group_by_tag", "required with GROUP_DIMENSION_TRACE_TAG", Reason.REQUIRED)
        _check_text("group_by_tag", request.group_by_tag, violations)
    elif request.group_by_tag:
        violations.add("group_by_tag", "only with GROUP_DIMENSION_TRACE_TAG", Reason.INVALID_FORMAT)
    if request.group_values and group_by is None:
        violations.add("group_values", "only with group_by", Reason.INVALID_FORMAT)
    if len(request.group_values) > MAX_GROUP_VALUES:
        violations.add("group_values", f"at most {MAX_GROUP_VALUES} values", Reason.TOO_LONG)
    for index, value in enumerate(request.group_values[:MAX_GROUP_VALUES]):
        _check_text(f"group_values[{index}]", value, violations)
    if len(set(request.group_values)) != len(request.group_values):
        violations.add("group_values", "must not repeat a value", Reason.DUPLICATE)
    violations.raise_any()
    return SummaryQuery(
        **_selected(request, start_ms, end_ms, source_type),
        interval_seconds=interval,
        group_by=group_by,
        group_by_tag=request.group_by_tag,
        group_values=tuple(request.group_values),
        count_traces_with_feedback=request.count_traces_with_feedback,
    )


def _timestamp(ms: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(ms)
    return stamp


def _summary(summary: Summary) -> analytics_pb2.FeedbackSummary:
    return analytics_pb2.FeedbackSummary(
        trace_count=summary.trace_count,
        traces_with_feedback=summary.traces_with_feedback,
        feedback_rate=summary.feedback_rate,
        booleans=[
            analytics_pb2.BooleanFeedbackSummary(
                name=b.name,
                positive=b.positive,
                negative=b.negative,
                positive_rate=b.positive_rate,
                positive_rate_low=b.positive_rate_low,
                positive_rate_high=b.positive_rate_high,
            )
            for b in summary.booleans
        ],
        numbers=[
            analytics_pb2.NumericFeedbackSummary(
                name=n.name,
                count=n.count,
                mean=n.mean,
                normalized_mean=n.normalized_mean,
                distribution=[analytics_pb2.ScoreCount(score=s, count=c) for s, c in n.distribution],
            )
            for n in summary.numbers
        ],
        categories=[
            analytics_pb2.CategoryFeedbackSummary(
                name=c.name, labels=[analytics_pb2.LabelCount(label=label, count=n) for label, n in c.labels]
            )
            for c in summary.categories
        ],
    )


def _buckets(buckets: list[Bucket]) -> list[analytics_pb2.SummaryBucket]:
    return [
        analytics_pb2.SummaryBucket(start_time=_timestamp(b.start_ms), summary=_summary(b.summary)) for b in buckets
    ]


def summary_response(result: SummaryResult) -> analytics_pb2.GetFeedbackSummaryResponse:
    counting = result.counting
    return analytics_pb2.GetFeedbackSummaryResponse(
        start_time=_timestamp(result.query.start_ms),
        end_time=_timestamp(result.query.end_ms),
        total=_summary(result.total),
        buckets=_buckets(result.buckets),
        groups=[
            analytics_pb2.SummaryGroup(value=g.value, summary=_summary(g.summary), buckets=_buckets(g.buckets))
            for g in result.groups
        ],
        counting=analytics_pb2.SummaryCounting(
            current_votes_only=True,
            aggregated_by_mlflow=counting.aggregated_by_mlflow,
            traces_with_feedback_counted=counting.traces_with_feedback_counted,
            trace_infos_read=counting.trace_infos_read,
            description=counting.description,
        ),
    )


# --- ExportFeedback and WatchFeedback


_Ranged = analytics_pb2.GetFeedbackSummaryRequest | analytics_pb2.ExportFeedbackRequest


def _range(request: _Ranged, now_ms: int | None, violations: Violations) -> tuple[int, int]:
    """[start, end) in milliseconds: by default the day up to now."""
    end_ms = request.end_time.ToMilliseconds() if request.HasField("end_time") else _now_ms(now_ms)
    start_ms = request.start_time.ToMilliseconds() if request.HasField("start_time") else end_ms - DEFAULT_RANGE_MS
    if start_ms >= end_ms:
        violations.add("start_time", "must be before end_time", Reason.OUT_OF_RANGE)
    return start_ms, end_ms


def _now_ms(now_ms: int | None) -> int:
    return int(time.time() * 1000) if now_ms is None else now_ms


def _names(names: Sequence[str], violations: Violations) -> frozenset[str]:
    if len(names) > MAX_NAMES:
        violations.add("names", f"at most {MAX_NAMES} names", Reason.TOO_LONG)
    for index, name in enumerate(names[:MAX_NAMES]):
        _check_text(f"names[{index}]", name, violations)
    return frozenset(names)


def _source_type(
    request: _Ranged | analytics_pb2.WatchFeedbackRequest, violations: Violations
) -> SourceTypeName | Literal[""]:
    return violations.source_type("source_type", request.source_type, Reason.OUT_OF_RANGE)


def _selected(request: _Ranged, start_ms: int, end_ms: int, source_type: str) -> dict[str, Any]:
    """The trace and source selection a summary and an export share, as their queries' fields."""
    return {
        "start_ms": start_ms,
        "end_ms": end_ms,
        "trace_tags": dict(request.trace_tags),
        "user_id": request.user_id,
        "session_id": request.session_id,
        "source_type": source_type,
    }


def _cursor(field: str, token: str, moment_key: str, violations: Violations) -> tuple[int, tuple[str, ...]] | None:
    """A token's (time, ids), or None with a violation when it is not one this service gave out."""
    try:
        payload = decode_token(token)
        moment, ids = payload[moment_key], payload["ids"]
        if isinstance(moment, int) and isinstance(ids, list) and all(isinstance(i, str) for i in ids):
            return moment, tuple(ids)
    except (ValueError, TypeError, KeyError):
        pass
    token_problem(field, violations)
    return None


def export_query(request: analytics_pb2.ExportFeedbackRequest, now_ms: int | None = None) -> ExportQuery:
    violations = Violations()
    start_ms, end_ms = _range(request, now_ms, violations)
    _check_trace_filters(request, violations)
    source_type = _source_type(request, violations)
    names = _names(request.names, violations)
    cursor = None
    if request.page_token:
        parsed = _cursor("page_token", request.page_token, "t", violations)
        cursor = ExportCursor(*parsed) if parsed else None
    violations.raise_any()
    return ExportQuery(
        **_selected(request, start_ms, end_ms, source_type),
        names=names,
        only_with_feedback=request.only_with_feedback,
        include_history=request.include_history,
        resume_after=cursor,
    )


def _feedback(feedback: StoredFeedback) -> analytics_pb2.ExportedFeedback:
    value = struct_pb2.Value()
    json_format.Parse(json.dumps(feedback.value), value)
    return analytics_pb2.ExportedFeedback(
        assessment_id=feedback.assessment_id,
        trace_id=feedback.trace_id,
        name=feedback.name,
        value=value,
        source=feedback_pb2.FeedbackSource(
            type=SOURCE_TYPE_VALUES.get(feedback.source_type, feedback_pb2.SOURCE_TYPE_UNSPECIFIED),
            id=feedback.source_id or "",
        ),
        rationale=feedback.rationale or "",
        create_time=_timestamp(feedback.create_time_ms),
        metadata=feedback.metadata,
        valid=feedback.valid,
        overrides=feedback.overrides or "",
        span_id=feedback.span_id or "",
    )


# MLflow's own tags, and the service's (deletion tombstones `genaifeedback.deleted.<id>` among them).
_INTERNAL_TAG_PREFIXES = ("mlflow.", RESERVED_METADATA_PREFIX)


def export_response(trace: ScannedTrace, cursor: ExportCursor) -> analytics_pb2.ExportFeedbackResponse:
    return analytics_pb2.ExportFeedbackResponse(
        trace=analytics_pb2.ExportedTrace(
            trace_id=trace.trace_id,
            start_time=_timestamp(trace.timestamp_ms),
            user_id=trace.user_id or "",
            session_id=trace.session_id or "",
            tags={k: v for k, v in trace.tags.items() if not k.startswith(_INTERNAL_TAG_PREFIXES)},
            request_preview=trace.request_preview,
            response_preview=trace.response_preview,
            feedback=[_feedback(f) for f in trace.feedback if f.valid],
            history=[_feedback(f) for f in trace.feedback if not f.valid],
        ),
        page_token=encode_token({"t": cursor.timestamp_ms, "ids": list(cursor.trace_ids)}),
    )


def watch_query(request: analytics_pb2.WatchFeedbackRequest, now_ms: int | None = None) -> WatchQuery:
    violations = Violations()
    hours = request.lookback_hours or DEFAULT_LOOKBACK_HOURS
    shortest, longest = LOOKBACK_HOURS
    if not shortest <= hours <= longest:
        violations.add("lookback_hours", f"must be from {shortest} to {longest}", Reason.OUT_OF_RANGE)
    source_type = _source_type(request, violations)
    names = _names(request.names, violations)
    cursor = WatchCursor(_now_ms(now_ms), ())  # from now on
    if request.cursor:
        parsed = _cursor("cursor", request.cursor, "c", violations)
        cursor = WatchCursor(*parsed) if parsed else cursor
    violations.raise_any()
    return WatchQuery(lookback_ms=hours * 3600 * 1000, source_type=source_type, names=names, resume_after=cursor)


def watch_token(cursor: WatchCursor) -> str:
    return encode_token({"c": cursor.create_time_ms, "ids": list(cursor.assessment_ids)})


def watch_response(feedback: StoredFeedback, cursor: WatchCursor) -> analytics_pb2.WatchFeedbackResponse:
    return analytics_pb2.WatchFeedbackResponse(feedback=_feedback(feedback), cursor=watch_token(cursor))
