"""FeedbackAnalyticsService's wire messages to domain objects and back (convert.py's rules:
every check names its request field, and all violations are reported at once)."""

import base64
import binascii
import json
import time
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from genaifeedback.service.domain.analytics import (
    Bucket,
    ExportCursor,
    ExportQuery,
    GroupBy,
    Summary,
    SummaryQuery,
    SummaryResult,
    WatchCursor,
    WatchQuery,
)
from genaifeedback.service.domain.records import ScannedTrace, StoredFeedback
from genaifeedback.service.transport.convert.feedback import (
    _SOURCE_TYPES,
    CONTROL_CHARACTERS,
    DUPLICATE,
    INVALID_FORMAT,
    OUT_OF_RANGE,
    REQUIRED,
    TOO_LONG,
    _Violations,
)
from genaifeedback.v1 import analytics_pb2, feedback_pb2

DEFAULT_RANGE_MS = 24 * 3600 * 1000
MAX_RANGE_MS = 366 * 24 * 3600 * 1000
MAX_BUCKETS = 1000
MAX_TAG_FILTERS = 10
MAX_GROUP_VALUES = 50
MAX_FILTER_VALUE_CHARS = 250  # MLflow's tag key and metadata columns
MAX_NAMES = 20
MAX_TOKEN_CHARS = 16 * 1024
LOOKBACK_HOURS = (1, 168)
DEFAULT_LOOKBACK_HOURS = 24
_SOURCE_TYPE_VALUES = {
    "HUMAN": feedback_pb2.SOURCE_TYPE_HUMAN,
    "LLM_JUDGE": feedback_pb2.SOURCE_TYPE_LLM_JUDGE,
    "CODE": feedback_pb2.SOURCE_TYPE_CODE,
}
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


def _filter_value_problem(text: str) -> str | None:
    """Why a text cannot go into an MLflow filter (its syntax has no escapes), or None."""
    if len(text) > MAX_FILTER_VALUE_CHARS:
        return f"must be at most {MAX_FILTER_VALUE_CHARS} characters"
    if "'" in text or "`" in text or '"' in text or CONTROL_CHARACTERS.search(text):
        return "must hold no quotes, backticks or control characters"
    return None


def _check_text(field: str, text: str, violations: _Violations) -> None:
    problem = _filter_value_problem(text)
    if problem:
        violations.add(field, problem, TOO_LONG if "at most" in problem else INVALID_FORMAT)


def _check_trace_filters(
    request: analytics_pb2.GetFeedbackSummaryRequest | analytics_pb2.ExportFeedbackRequest, violations: _Violations
) -> None:
    """The filters the summary and the export share: trace tags, user, session."""
    if len(request.trace_tags) > MAX_TAG_FILTERS:
        violations.add("trace_tags", f"at most {MAX_TAG_FILTERS} tags", TOO_LONG)
    for key, value in sorted(request.trace_tags.items())[:MAX_TAG_FILTERS]:
        if not key:
            violations.add("trace_tags", "a key must not be empty", REQUIRED)
        _check_text(f"trace_tags[{key[:40]!r}]", key, violations)
        _check_text(f"trace_tags[{key[:40]!r}]", value, violations)
    _check_text("user_id", request.user_id, violations)
    _check_text("session_id", request.session_id, violations)


def summary_query(request: analytics_pb2.GetFeedbackSummaryRequest, now_ms: int | None = None) -> SummaryQuery:
    violations = _Violations()
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    end_ms = request.end_time.ToMilliseconds() if request.HasField("end_time") else now_ms
    start_ms = request.start_time.ToMilliseconds() if request.HasField("start_time") else end_ms - DEFAULT_RANGE_MS
    if start_ms >= end_ms:
        violations.add("start_time", "must be before end_time", OUT_OF_RANGE)
    elif end_ms - start_ms > MAX_RANGE_MS:
        violations.add("start_time", "the range may span at most 366 days", OUT_OF_RANGE)
    _check_trace_filters(request, violations)
    if request.source_type not in _SOURCE_TYPES:
        violations.add("source_type", "must be one of the SourceType values", OUT_OF_RANGE)
    if request.interval not in _INTERVALS:
        violations.add("interval", "must be one of the SummaryInterval values", OUT_OF_RANGE)
    interval = _INTERVALS.get(request.interval, 0)
    if interval and start_ms < end_ms and (end_ms - start_ms) // (interval * 1000) + 1 > MAX_BUCKETS:
        violations.add(
            "interval", f"at most {MAX_BUCKETS} buckets: use a wider interval or a shorter range", OUT_OF_RANGE
        )
    if request.group_by not in _GROUPS:
        violations.add("group_by", "must be one of the GroupDimension values", OUT_OF_RANGE)
    group_by = _GROUPS.get(request.group_by)
    if group_by == "tag":
        if not request.group_by_tag:
            violations.add("group_by_tag", "required with GROUP_DIMENSION_TRACE_TAG", REQUIRED)
        _check_text("group_by_tag", request.group_by_tag, violations)
    elif request.group_by_tag:
        violations.add("group_by_tag", "only with GROUP_DIMENSION_TRACE_TAG", INVALID_FORMAT)
    if request.group_values and group_by is None:
        violations.add("group_values", "only with group_by", INVALID_FORMAT)
    if len(request.group_values) > MAX_GROUP_VALUES:
        violations.add("group_values", f"at most {MAX_GROUP_VALUES} values", TOO_LONG)
    for index, value in enumerate(request.group_values[:MAX_GROUP_VALUES]):
        _check_text(f"group_values[{index}]", value, violations)
    if len(set(request.group_values)) != len(request.group_values):
        violations.add("group_values", "must not repeat a value", DUPLICATE)
    violations.raise_any()
    return SummaryQuery(
        start_ms=start_ms,
        end_ms=end_ms,
        trace_tags=dict(request.trace_tags),
        user_id=request.user_id,
        session_id=request.session_id,
        source_type=_SOURCE_TYPES[request.source_type] if request.source_type else "",
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


def _range(request: Any, now_ms: int, violations: _Violations) -> tuple[int, int]:
    end_ms = request.end_time.ToMilliseconds() if request.HasField("end_time") else now_ms
    start_ms = request.start_time.ToMilliseconds() if request.HasField("start_time") else end_ms - DEFAULT_RANGE_MS
    if start_ms >= end_ms:
        violations.add("start_time", "must be before end_time", OUT_OF_RANGE)
    return start_ms, end_ms


def _names(names: Any, violations: _Violations) -> frozenset[str]:
    if len(names) > MAX_NAMES:
        violations.add("names", f"at most {MAX_NAMES} names", TOO_LONG)
    for index, name in enumerate(names[:MAX_NAMES]):
        _check_text(f"names[{index}]", name, violations)
    return frozenset(names)


def _source_type(request: Any, violations: _Violations) -> str:
    if request.source_type not in _SOURCE_TYPES:
        violations.add("source_type", "must be one of the SourceType values", OUT_OF_RANGE)
        return ""
    return _SOURCE_TYPES[request.source_type] if request.source_type else ""


def _token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _untoken(
    field: str, token: str, keys: tuple[str, str], violations: _Violations
) -> tuple[int, tuple[str, ...]] | None:
    """A token's (time, ids), or None with a violation when it is not one of ours."""
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        moment, ids = payload[keys[0]], payload[keys[1]]
        if not isinstance(moment, int) or not all(isinstance(i, str) for i in ids):
            raise ValueError
        return moment, tuple(ids)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        violations.add(field, "is not a token this service gave out", INVALID_FORMAT)
        return None


def export_query(request: analytics_pb2.ExportFeedbackRequest, now_ms: int | None = None) -> ExportQuery:
    violations = _Violations()
    start_ms, end_ms = _range(request, int(time.time() * 1000) if now_ms is None else now_ms, violations)
    _check_trace_filters(request, violations)
    source_type = _source_type(request, violations)
    names = _names(request.names, violations)
    cursor = None
    if request.page_token:
        parsed = _untoken("page_token", request.page_token, ("t", "ids"), violations)
        cursor = ExportCursor(*parsed) if parsed else None
    violations.raise_any()
    return ExportQuery(
        start_ms=start_ms,
        end_ms=end_ms,
        trace_tags=dict(request.trace_tags),
        user_id=request.user_id,
        session_id=request.session_id,
        source_type=source_type,
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
            type=_SOURCE_TYPE_VALUES.get(feedback.source_type, feedback_pb2.SOURCE_TYPE_UNSPECIFIED),
            id=feedback.source_id or "",
        ),
        rationale=feedback.rationale or "",
        create_time=_timestamp(feedback.create_time_ms),
        metadata=feedback.metadata,
        valid=feedback.valid,
        overrides=feedback.overrides or "",
        span_id=feedback.span_id or "",
    )


def export_response(trace: ScannedTrace, cursor: ExportCursor) -> analytics_pb2.ExportFeedbackResponse:
    return analytics_pb2.ExportFeedbackResponse(
        trace=analytics_pb2.ExportedTrace(
            trace_id=trace.trace_id,
            start_time=_timestamp(trace.timestamp_ms),
            user_id=trace.user_id or "",
            session_id=trace.session_id or "",
            tags={k: v for k, v in trace.tags.items() if not k.startswith("mlflow.")},
            request_preview=trace.request_preview,
            response_preview=trace.response_preview,
            feedback=[_feedback(f) for f in trace.feedback if f.valid],
            history=[_feedback(f) for f in trace.feedback if not f.valid],
        ),
        page_token=_token({"t": cursor.timestamp_ms, "ids": list(cursor.trace_ids)}),
    )


def watch_query(request: analytics_pb2.WatchFeedbackRequest, now_ms: int | None = None) -> WatchQuery:
    violations = _Violations()
    hours = request.lookback_hours or DEFAULT_LOOKBACK_HOURS
    if not LOOKBACK_HOURS[0] <= hours <= LOOKBACK_HOURS[1]:
        violations.add("lookback_hours", f"must be from {LOOKBACK_HOURS[0]} to {LOOKBACK_HOURS[1]}", OUT_OF_RANGE)
    source_type = _source_type(request, violations)
    names = _names(request.names, violations)
    cursor = WatchCursor(int(time.time() * 1000) if now_ms is None else now_ms, ())  # from now on
    if request.cursor:
        parsed = _untoken("cursor", request.cursor, ("c", "ids"), violations)
        cursor = WatchCursor(*parsed) if parsed else cursor
    violations.raise_any()
    return WatchQuery(lookback_ms=hours * 3600 * 1000, source_type=source_type, names=names, resume_after=cursor)


def watch_token(cursor: WatchCursor) -> str:
    return _token({"c": cursor.create_time_ms, "ids": list(cursor.assessment_ids)})


def watch_response(feedback: StoredFeedback, cursor: WatchCursor) -> analytics_pb2.WatchFeedbackResponse:
    return analytics_pb2.WatchFeedbackResponse(feedback=_feedback(feedback), cursor=watch_token(cursor))
