"""Counts MLflow aggregates in its own database (QueryTraceMetrics): traces, and current feedback
votes by name and value, per time bucket."""

from collections import Counter
from datetime import datetime
from typing import Any

from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.protos.service_pb2 import QueryTraceMetrics
from mlflow.tracing.constant import (
    AssessmentMetricDimensionKey,
    AssessmentMetricKey,
    AssessmentMetricSearchKey,
    TraceMetricKey,
)
from mlflow.utils.rest_utils import _V3_TRACE_REST_API_PATH_PREFIX

from genaifeedback.service.domain.errors import MlflowRejected
from genaifeedback.service.egress.mlflow.http import MlflowHttp
from genaifeedback.service.egress.mlflow.selection import TraceSelection

METRICS_PATH = f"{_V3_TRACE_REST_API_PATH_PREFIX}/metrics"
PAGE_SIZE = 1000  # MLflow's largest page of QueryTraceMetrics
_COUNT = MetricAggregation(AggregationType.COUNT)
_FEEDBACK_TYPE = "feedback"  # SqlAssessments.assessment_type of a Feedback (the other is "expectation")
_DIMENSIONS = [AssessmentMetricDimensionKey.ASSESSMENT_NAME, AssessmentMetricDimensionKey.ASSESSMENT_VALUE]


async def count_traces(
    http: MlflowHttp, experiment_id: str, selection: TraceSelection, interval_seconds: int, timeout_seconds: float
) -> Counter[int | None]:
    """The selected traces, per bucket start (None: no buckets)."""
    query = _query(experiment_id, selection, interval_seconds, MetricViewType.TRACES, TraceMetricKey.TRACE_COUNT)
    counts: Counter[int | None] = Counter()
    for point in await _points(http, query, timeout_seconds):
        counts[_bucket_of(point)] += int(point["values"][str(_COUNT)])
    return counts


async def count_feedback_votes(
    http: MlflowHttp, experiment_id: str, selection: TraceSelection, interval_seconds: int, timeout_seconds: float
) -> Counter[tuple[int | None, str, str]]:
    """Current (valid) feedback votes on the selected traces, per (bucket start, name, value as JSON)."""
    query = _query(
        experiment_id, selection, interval_seconds, MetricViewType.ASSESSMENTS, AssessmentMetricKey.ASSESSMENT_COUNT
    )
    query.dimensions.extend(_DIMENSIONS)
    query.filters.append(f"{AssessmentMetricSearchKey.VIEW_TYPE}.{AssessmentMetricSearchKey.TYPE} = '{_FEEDBACK_TYPE}'")
    counts: Counter[tuple[int | None, str, str]] = Counter()
    for point in await _points(http, query, timeout_seconds):
        dims = point["dimensions"]
        counts[(_bucket_of(point), dims[_DIMENSIONS[0]], dims[_DIMENSIONS[1]])] += int(point["values"][str(_COUNT)])
    return counts


async def _points(http: MlflowHttp, query: QueryTraceMetrics, timeout_seconds: float) -> list[dict[str, Any]]:
    """Every data point of the query (one SQL aggregation per call: a long timeout).

    MLflow answers at most max_results points and, for this call, never a next page token (its
    store leaves paging to do): a full page may be cut short, so the time range is halved at a
    bucket boundary and each half asked for, until every answer is less than a page. Counts add
    up across disjoint ranges."""
    answer = (await http.call("POST", METRICS_PATH, query, timeout_seconds=timeout_seconds)).json()
    points: list[dict[str, Any]] = answer.get("data_points", [])
    if answer.get("next_page_token"):  # an MLflow that pages
        following = QueryTraceMetrics()
        following.CopyFrom(query)
        following.page_token = answer["next_page_token"]
        return points + await _points(http, following, timeout_seconds)
    if len(points) < query.max_results:
        return points
    halves = _halves(query)
    if halves is None:
        raise MlflowRejected(
            f"MLflow's trace metrics hold more than {query.max_results} counts for one time bucket"
            " (names and distinct values): too many to count this way"
        )
    return [point for half in halves for point in await _points(http, half, timeout_seconds)]


def _halves(query: QueryTraceMetrics) -> tuple[QueryTraceMetrics, QueryTraceMetrics] | None:
    """The query's time range in two, split on a bucket boundary; None if it is one bucket."""
    if not query.HasField("start_time_ms") or not query.HasField("end_time_ms"):
        return None
    start, end = query.start_time_ms, query.end_time_ms  # end inclusive
    width = query.time_interval_seconds * 1000 or 1
    middle = (start + (end - start) // 2) // width * width
    if middle <= start:
        middle = (start // width + 1) * width  # the first bucket boundary after start
    if middle > end:
        return None
    first, second = QueryTraceMetrics(), QueryTraceMetrics()
    first.CopyFrom(query)
    second.CopyFrom(query)
    first.end_time_ms = middle - 1
    second.start_time_ms = middle
    return first, second


def _query(
    experiment_id: str, selection: TraceSelection, interval_seconds: int, view: MetricViewType, metric: str
) -> QueryTraceMetrics:
    query = QueryTraceMetrics(
        experiment_ids=[experiment_id],
        view_type=view.to_proto(),  # type: ignore[arg-type]  # mlflow returns the enum as a plain int
        metric_name=metric,
        aggregations=[_COUNT.to_proto()],
        filters=selection.metric_filters(),
        max_results=PAGE_SIZE,
    )
    if selection.start_ms is not None:
        query.start_time_ms = selection.start_ms
    if selection.end_ms is not None:
        query.end_time_ms = selection.end_ms - 1  # MLflow's end is inclusive
    if interval_seconds:
        query.time_interval_seconds = interval_seconds
    return query


def _bucket_of(point: dict[str, Any]) -> int | None:
    """A data point's time bucket as epoch milliseconds (MLflow sends it as ISO 8601 text)."""
    bucket = point.get("dimensions", {}).get("time_bucket")  # MLflow's label (not in mlflow-tracing)
    return None if bucket is None else int(datetime.fromisoformat(bucket).timestamp() * 1000)
