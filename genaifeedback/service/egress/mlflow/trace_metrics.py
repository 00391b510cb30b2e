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
    """Every data point of the query, following its pages (one SQL aggregation each: a long timeout)."""
    points: list[dict[str, Any]] = []
    while True:
        answer = (await http.call("POST", METRICS_PATH, query, timeout_seconds=timeout_seconds)).json()
        points.extend(answer.get("data_points", []))
        if not answer.get("next_page_token"):
            return points
        query.page_token = answer["next_page_token"]


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
