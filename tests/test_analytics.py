"""GetFeedbackSummary against a real MLflow, on both setups (setups.py: on PostgreSQL, each call may
reach another of three replicas): every figure equals an independent reference.

The data set (bench/feedback_data.py, bulk-loaded into the MLflow server's database, with the
feedback marker the service keeps): 3,000 traces over five days, three models, twenty users with
sessions, thumbs, 1-5 ratings on three dimensions, a category, an LLM judge's boolean, 30% of traces
without feedback. Then 300 votes changed through MLflow's REST API (so MLflow's own override logic
runs), and, through the service (which keeps the markers), 150 votes deleted and every feedback of
20 traces.

The reference reads every trace info back from MLflow and counts in plain Python, with no code of
the service; the traces with feedback, counted by MLflow from the markers, are also checked against
the service's own read of every trace info; the guide's two analysis functions (search, then
get_trace per trace) run on the same data, and the test shows where and why their figures differ.
"""

import json
import math
import os
import random
import subprocess
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
import pytest
from google.protobuf import timestamp_pb2
from mlflow.entities import AssessmentSource, Feedback

from conftest import ROOT
from genaifeedback.client import cli
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, feedback_pb2
from setups import *  # noqa: F403 - this module runs on both setups
from setups import default_setup_only
from support import error_reason, new_trace, violation_reasons

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
TRACES = 3000
RATED = ("accuracy", "helpfulness", "relevance", "user_rating")  # the built-in 1-5 schemas
Z95 = 1.959963984540054
MARKER = "genaifeedback.has_feedback"  # the tag the service keeps on every trace with current feedback


# --- the data set, and what MLflow stored


@dataclass
class StoredTrace:
    trace_id: str
    timestamp_ms: int
    tags: dict[str, str]
    user: str
    session: str
    valid: list  # current Feedback
    overridden: list = field(default_factory=list)  # Feedback with valid=False


def read_back(mlflow_client, experiment_id: str) -> list[StoredTrace]:
    traces, token = [], None
    while True:
        page = mlflow_client.search_traces(
            locations=[experiment_id], max_results=500, page_token=token, include_spans=False
        )
        for trace in page:
            info = trace.info
            feedback = [a for a in info.assessments if isinstance(a, Feedback)]
            traces.append(
                StoredTrace(
                    info.trace_id,
                    info.request_time,
                    dict(info.tags),
                    info.trace_metadata["mlflow.trace.user"],
                    info.trace_metadata["mlflow.trace.session"],
                    [a for a in feedback if a.valid],
                    [a for a in feedback if not a.valid],
                )
            )
        token = page.token
        if not token:
            return traces


def load_data_set(mlflow_server, experiment_id: str, traces: int, end_ms: int, *options: str) -> None:
    """Bulk-load a generated data set into the MLflow server's database (bench/feedback_data.py)."""
    loaded = subprocess.run(
        [
            str(ROOT / ".venv-mlflow/bin/python"),
            str(ROOT / "bench/feedback_data.py"),
            f"--db={mlflow_server.backend_store_uri}",
            f"--experiment-id={experiment_id}",
            f"--traces={traces}",
            f"--end-ms={end_ms}",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["traces"] == traces


@pytest.fixture(scope="module")
def dataset(start_replicas, mlflow_server, mlflow_client):
    service = start_replicas(experiment_name="analytics")
    experiment_id = service.app.gateway.experiment_id
    end_ms = int(time.time() * 1000)
    load_data_set(mlflow_server, experiment_id, TRACES, end_ms, "--days=5")
    before = read_back(mlflow_client, experiment_id)
    rng = random.Random(11)
    votes = [(t, a) for t in before for a in t.valid]
    recent = [(t, a) for t, a in votes if t.timestamp_ms >= end_ms - DAY_MS]
    # Changes and deletions through MLflow's API; many in the last day, where the guide looks.
    changed = rng.sample(recent, 150) + rng.sample(votes, 150)
    changed = list({a.assessment_id: (t, a) for t, a in changed}.values())
    changed_ids = {a.assessment_id for _, a in changed}
    deleted = rng.sample([(t, a) for t, a in votes if a.assessment_id not in changed_ids], 150)

    def change(item):
        trace, old = item
        value = (not old.value) if isinstance(old.value, bool) else old.value
        if isinstance(old.value, float | int) and not isinstance(old.value, bool):
            value = 6 - old.value  # a 1-5 score flipped around 3
        if isinstance(old.value, str):
            value = "other" if old.value != "other" else "bug"
        new = Feedback(
            name=old.name,
            value=value,
            source=AssessmentSource(old.source.source_type, old.source.source_id),
            overrides=old.assessment_id,
        )
        mlflow_client.log_assessment(trace.trace_id, new)

    def delete(trace_id: str, **what) -> None:
        service.feedback.DeleteFeedback(feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, **what), timeout=60)

    changed_traces = {t.trace_id for t, _ in changed}
    emptied = rng.sample([t for t in before if t.valid and t.trace_id not in changed_traces], 20)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(change, changed))
        list(pool.map(lambda item: delete(item[0].trace_id, assessment_id=item[1].assessment_id), deleted))
        list(pool.map(lambda trace: delete(trace.trace_id, all_on_trace=True), emptied))
    stored = read_back(mlflow_client, experiment_id)
    return service, stored, end_ms, len(changed), len(deleted)


def test_the_data_set_is_what_the_proof_needs(dataset):
    _, stored, _, changed, deleted = dataset
    assert len(stored) == TRACES
    assert sum(len(t.overridden) for t in stored) == changed  # MLflow kept each changed vote as history
    assert sum(1 for t in stored if not t.valid) > 500  # traces without feedback (or with all deleted)
    assert deleted == 150
    days = {t.timestamp_ms // DAY_MS for t in stored}
    assert len(days) >= 5 and {t.tags["model"] for t in stored} == {"model-a", "model-b", "model-c"}
    # The feedback marker, as MLflow holds it: on exactly the traces with current feedback, also
    # those whose last vote the service deleted.
    assert {t.trace_id for t in stored if t.tags.get(MARKER) == "true"} == {t.trace_id for t in stored if t.valid}
    assert sum(1 for t in stored if not t.valid and any(k.startswith("genaifeedback.deleted.") for k in t.tags)) >= 20


# --- the reference computation: plain Python over what MLflow stored


@dataclass
class Reference:
    trace_count: int = 0
    traces_with_feedback: int = 0
    booleans: dict = field(default_factory=dict)  # name -> Counter({True: n, False: n})
    numbers: dict = field(default_factory=dict)  # name -> Counter(score -> n)
    categories: dict = field(default_factory=dict)  # name -> Counter(label -> n)


def reference(traces, source_type: str = "") -> Reference:
    ref = Reference()
    for trace in traces:
        ref.trace_count += 1
        votes = [a for a in trace.valid if not source_type or a.source.source_type == source_type]
        ref.traces_with_feedback += bool(votes)
        for vote in votes:
            value = vote.value
            if isinstance(value, bool):
                ref.booleans.setdefault(vote.name, Counter())[value] += 1
            elif isinstance(value, int | float):
                ref.numbers.setdefault(vote.name, Counter())[float(value)] += 1
            else:
                ref.categories.setdefault(vote.name, Counter())[value] += 1
    return ref


def wilson(positive: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = positive / n
    center = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    spread = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return center - spread, center + spread


def assert_matches(summary: analytics_pb2.FeedbackSummary, ref: Reference, traces_counted: bool) -> None:
    assert summary.trace_count == ref.trace_count
    if traces_counted:
        assert summary.traces_with_feedback == ref.traces_with_feedback
        rate = ref.traces_with_feedback / ref.trace_count if ref.trace_count else 0.0
        assert summary.feedback_rate == pytest.approx(rate, abs=1e-12)
    else:
        assert summary.traces_with_feedback == 0
    assert {b.name: (b.positive, b.negative) for b in summary.booleans} == {
        name: (c[True], c[False]) for name, c in ref.booleans.items()
    }
    for b in summary.booleans:
        votes = b.positive + b.negative
        assert b.positive_rate == pytest.approx(b.positive / votes, abs=1e-12)  # of votes, not traces
        assert (b.positive_rate_low, b.positive_rate_high) == pytest.approx(wilson(b.positive, votes), abs=1e-12)
    assert {n.name for n in summary.numbers} == set(ref.numbers)
    for number in summary.numbers:
        scores = ref.numbers[number.name]
        count = sum(scores.values())
        mean = sum(s * c for s, c in scores.items()) / count
        assert number.count == count
        assert number.mean == pytest.approx(mean, abs=1e-12)
        assert number.normalized_mean == pytest.approx((mean - 1) / 4, abs=1e-12)  # every name here is 1-5
        assert [(d.score, d.count) for d in number.distribution] == [(s, scores[s]) for s in (1.0, 2, 3, 4, 5)]
    assert {c.name: {label.label: label.count for label in c.labels} for c in summary.categories} == {
        name: dict(c) for name, c in ref.categories.items()
    }


def stamp(ms: int) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromMilliseconds(ms)
    return value


def summary_of(service, **fields) -> analytics_pb2.GetFeedbackSummaryResponse:
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel)
    return stub.GetFeedbackSummary(analytics_pb2.GetFeedbackSummaryRequest(**fields), timeout=60)


def in_range(traces, start_ms: int, end_ms: int, **where):
    selected = [t for t in traces if start_ms <= t.timestamp_ms < end_ms]
    for key, value in where.get("tags", {}).items():
        selected = [t for t in selected if t.tags.get(key) == value]
    if "user" in where:
        selected = [t for t in selected if t.user == where["user"]]
    if "session" in where:
        selected = [t for t in selected if t.session == where["session"]]
    return selected


def buckets_of(traces, start_ms: int, end_ms: int, width: int) -> dict[int, list]:
    buckets = {start: [] for start in range(start_ms // width * width, end_ms, width)}
    for trace in traces:
        buckets[trace.timestamp_ms // width * width].append(trace)
    return buckets


# --- the summary, figure by figure


def test_whole_range_by_mlflow_aggregation_equals_the_reference(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    answer = summary_of(service, start_time=stamp(start_ms), end_time=stamp(end_ms))
    assert answer.counting.aggregated_by_mlflow and answer.counting.current_votes_only
    assert answer.counting.trace_infos_read == 0 and not answer.counting.traces_with_feedback_counted
    assert_matches(answer.total, reference(in_range(stored, start_ms, end_ms)), traces_counted=False)


def test_traces_with_feedback_counted_by_mlflow_from_the_markers(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    answer = summary_of(service, start_time=stamp(start_ms), end_time=stamp(end_ms), count_traces_with_feedback=True)
    assert answer.counting.aggregated_by_mlflow and answer.counting.traces_with_feedback_counted
    assert answer.counting.trace_infos_read == 0
    assert_matches(answer.total, reference(in_range(stored, start_ms, end_ms)), traces_counted=True)
    # The check: the service's read of every trace info (what it does for unlisted group values)
    # counts the same traces with feedback, bucket by bucket.
    hourly = {"start_time": stamp(start_ms), "end_time": stamp(end_ms), "interval": analytics_pb2.SUMMARY_INTERVAL_HOUR}
    aggregated = summary_of(service, **hourly, count_traces_with_feedback=True)
    scanned = summary_of(service, **hourly, group_by=analytics_pb2.GROUP_DIMENSION_USER)
    assert scanned.counting.trace_infos_read == TRACES and not scanned.counting.aggregated_by_mlflow
    assert [b.summary.traces_with_feedback for b in aggregated.buckets] == [
        b.summary.traces_with_feedback for b in scanned.buckets
    ]
    assert aggregated.total.traces_with_feedback == scanned.total.traces_with_feedback


def test_source_filter_counted_from_trace_infos(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    human = summary_of(
        service,
        start_time=stamp(start_ms),
        end_time=stamp(end_ms),
        source_type=feedback_pb2.SOURCE_TYPE_HUMAN,
        count_traces_with_feedback=True,
    )
    assert not human.counting.aggregated_by_mlflow and human.counting.trace_infos_read == TRACES
    assert "grounded" not in {b.name for b in human.total.booleans}  # the judge's
    assert_matches(human.total, reference(in_range(stored, start_ms, end_ms), "HUMAN"), traces_counted=True)


def test_default_range_is_the_last_24_hours(dataset):
    service, stored, _, _, _ = dataset
    answer = summary_of(service, count_traces_with_feedback=True)
    start_ms, end_ms = answer.start_time.ToMilliseconds(), answer.end_time.ToMilliseconds()
    assert end_ms - start_ms == DAY_MS and abs(end_ms - time.time() * 1000) < 60_000
    assert_matches(answer.total, reference(in_range(stored, start_ms, end_ms)), traces_counted=True)


def per_model_per_day(service, start_ms: int, end_ms: int, models: list[str], counted: bool):
    """The summary per day and per `model` tag (the listed models; none listed: every one found)."""
    return summary_of(
        service,
        start_time=stamp(start_ms),
        end_time=stamp(end_ms),
        interval=analytics_pb2.SUMMARY_INTERVAL_DAY,
        group_by=analytics_pb2.GROUP_DIMENSION_TRACE_TAG,
        group_by_tag="model",
        group_values=models,
        count_traces_with_feedback=counted,
    )


@pytest.mark.parametrize(
    ("aggregated", "counted"),
    [(True, False), (True, True), (False, True)],
    ids=["mlflow-aggregation", "mlflow-aggregation-with-feedback-rate", "trace-info-read"],
)
def test_positive_rate_per_model_per_day(dataset, aggregated, counted):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    answer = per_model_per_day(
        service, start_ms, end_ms, ["model-a", "model-b", "model-c"] if aggregated else [], counted
    )
    assert answer.counting.aggregated_by_mlflow is aggregated
    assert answer.counting.traces_with_feedback_counted is counted
    selected = in_range(stored, start_ms, end_ms)
    assert_matches(answer.total, reference(selected), counted)
    expected_buckets = buckets_of(selected, start_ms, end_ms, DAY_MS)
    assert [b.start_time.ToMilliseconds() for b in answer.buckets] == list(expected_buckets)
    for bucket in answer.buckets:
        assert_matches(bucket.summary, reference(expected_buckets[bucket.start_time.ToMilliseconds()]), counted)
    assert [g.value for g in answer.groups] == ["model-a", "model-b", "model-c"]
    for group in answer.groups:
        members = [t for t in selected if t.tags["model"] == group.value]
        assert_matches(group.summary, reference(members), counted)
        per_day = buckets_of(members, start_ms, end_ms, DAY_MS)
        for bucket in group.buckets:
            assert_matches(bucket.summary, reference(per_day[bucket.start_time.ToMilliseconds()]), counted)
    rates = {g.value: g.summary.booleans[-1].positive_rate for g in answer.groups}  # user_feedback
    assert rates["model-a"] > rates["model-b"] > rates["model-c"]  # as generated


def test_groups_that_hold_only_some_traces_leave_the_total_whole(dataset):
    """Listed groups that hold every trace make MLflow count the total's votes as their sum; these
    two hold two models of three, so the total is counted on its own."""
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    answer = per_model_per_day(service, start_ms, end_ms, ["model-a", "model-c"], counted=True)
    assert answer.counting.aggregated_by_mlflow
    selected = in_range(stored, start_ms, end_ms)
    assert_matches(answer.total, reference(selected), traces_counted=True)
    per_day = buckets_of(selected, start_ms, end_ms, DAY_MS)
    for bucket in answer.buckets:
        assert_matches(bucket.summary, reference(per_day[bucket.start_time.ToMilliseconds()]), True)
    for group in answer.groups:
        assert_matches(group.summary, reference([t for t in selected if t.tags["model"] == group.value]), True)


def test_hourly_per_user_with_filters(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 2 * DAY_MS
    answer = summary_of(
        service,
        start_time=stamp(start_ms),
        end_time=stamp(end_ms),
        trace_tags={"chat.outcome": "ok"},
        interval=analytics_pb2.SUMMARY_INTERVAL_HOUR,
        group_by=analytics_pb2.GROUP_DIMENSION_USER,
    )
    selected = in_range(stored, start_ms, end_ms, tags={"chat.outcome": "ok"})
    assert_matches(answer.total, reference(selected), traces_counted=True)
    assert [g.value for g in answer.groups] == sorted({t.user for t in selected})
    for group in answer.groups:
        members = [t for t in selected if t.user == group.value]
        per_hour = buckets_of(members, start_ms, end_ms, HOUR_MS)
        assert len(group.buckets) == len(per_hour)
        for bucket in group.buckets:
            assert_matches(bucket.summary, reference(per_hour[bucket.start_time.ToMilliseconds()]), True)


def test_mlflow_aggregation_beyond_one_page_of_data_points(dataset):
    """Two days by the hour: more (bucket, name, value) counts than one QueryTraceMetrics page
    holds. MLflow cuts the answer at max_results without a page token; nothing may go missing."""
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 2 * DAY_MS
    answer = summary_of(
        service, start_time=stamp(start_ms), end_time=stamp(end_ms), interval=analytics_pb2.SUMMARY_INTERVAL_HOUR
    )
    assert answer.counting.aggregated_by_mlflow
    selected = in_range(stored, start_ms, end_ms)
    per_hour = buckets_of(selected, start_ms, end_ms, HOUR_MS)
    distinct = {(b, a.name, json.dumps(a.value)) for b, traces in per_hour.items() for t in traces for a in t.valid}
    assert len(distinct) > 1000  # more than one page
    assert_matches(answer.total, reference(selected), traces_counted=False)
    assert [b.start_time.ToMilliseconds() for b in answer.buckets] == list(per_hour)
    for bucket in answer.buckets:
        assert_matches(bucket.summary, reference(per_hour[bucket.start_time.ToMilliseconds()]), False)


def test_a_full_metrics_answer_is_asked_again_in_halves_on_bucket_boundaries():
    from mlflow.protos.service_pb2 import QueryTraceMetrics

    from genaifeedback.service.egress.mlflow.trace_metrics import _halves

    query = QueryTraceMetrics(start_time_ms=5 * HOUR_MS + 7, end_time_ms=10 * HOUR_MS - 1, time_interval_seconds=3600)
    first, second = _halves(query)
    assert (first.start_time_ms, first.end_time_ms) == (5 * HOUR_MS + 7, 7 * HOUR_MS - 1)
    assert (second.start_time_ms, second.end_time_ms) == (7 * HOUR_MS, 10 * HOUR_MS - 1)
    assert second.time_interval_seconds == 3600 and query.end_time_ms == 10 * HOUR_MS - 1  # copies
    one_bucket = QueryTraceMetrics(start_time_ms=5 * HOUR_MS, end_time_ms=6 * HOUR_MS - 1, time_interval_seconds=3600)
    assert _halves(one_bucket) is None  # nothing to split: MLFLOW_REJECTED rather than a cut answer
    whole = QueryTraceMetrics(start_time_ms=0, end_time_ms=9)  # no buckets: any millisecond splits
    assert [(h.start_time_ms, h.end_time_ms) for h in _halves(whole)] == [(0, 3), (4, 9)]


def test_user_and_session_filters_by_mlflow_aggregation(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    user, session = stored[0].user, stored[0].session
    by_user = summary_of(service, start_time=stamp(start_ms), end_time=stamp(end_ms), user_id=user)
    assert by_user.counting.aggregated_by_mlflow
    assert_matches(by_user.total, reference(in_range(stored, start_ms, end_ms, user=user)), False)
    by_session = summary_of(
        service, start_time=stamp(start_ms), end_time=stamp(end_ms), session_id=session, trace_tags={"model": "model-b"}
    )
    expected = in_range(stored, start_ms, end_ms, session=session, tags={"model": "model-b"})
    assert_matches(by_session.total, reference(expected), False)


def test_mistakes_are_invalid_argument_with_field_violations(dataset):
    service = dataset[0]
    with pytest.raises(grpc.RpcError) as caught:
        summary_of(
            service,
            start_time=stamp(2_000),
            end_time=stamp(1_000),
            trace_tags={"model": "it's"},
            group_values=["a"],
            group_by_tag="model",
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(caught.value) == "INVALID_FIELD"
    assert violation_reasons(caught.value) == {
        "start_time": "OUT_OF_RANGE",
        "trace_tags['model']": "INVALID_FORMAT",
        "group_by_tag": "INVALID_FORMAT",
        "group_values": "INVALID_FORMAT",
    }
    with pytest.raises(grpc.RpcError) as caught:
        summary_of(
            service,
            start_time=stamp(0),
            end_time=stamp(300 * DAY_MS),
            interval=analytics_pb2.SUMMARY_INTERVAL_HOUR,
            group_by=analytics_pb2.GROUP_DIMENSION_TRACE_TAG,
        )
    assert violation_reasons(caught.value) == {"interval": "OUT_OF_RANGE", "group_by_tag": "REQUIRED"}


# --- the guide's analysis on the same data (search, then get_trace per trace)


def guide_feedback_analysis(client, experiment_id: str, hours: int = 24) -> dict:
    """The guide's feedback-rate function, as written there (search paged here, to see every trace)."""
    cutoff_ms = int((time.time() - hours * 3600) * 1000)
    traces = search_all(client, experiment_id, f"trace.timestamp_ms > {cutoff_ms}")
    total_traces, traces_with_feedback, positive_count, negative_count = len(traces), 0, 0, 0
    for trace in traces:
        full_trace = client.get_trace(trace.info.trace_id)
        feedback_found = False
        for assessment in full_trace.info.assessments:
            if assessment.name == "user_feedback" and hasattr(assessment, "value"):
                if not feedback_found:
                    feedback_found = True
                    traces_with_feedback += 1
                if assessment.value:
                    positive_count += 1
                else:
                    negative_count += 1
    return {
        "cutoff_ms": cutoff_ms,
        "total_traces": total_traces,
        "traces_with_feedback": traces_with_feedback,
        "positive_count": positive_count,
        "negative_count": negative_count,
        "feedback_rate": traces_with_feedback / total_traces * 100 if total_traces else 0,
        "positive_rate": positive_count / traces_with_feedback * 100 if traces_with_feedback else 0,
    }


def guide_rating_analysis(client, experiment_id: str, hours: int = 24) -> dict:
    """The guide's per-dimension average, as written there."""
    cutoff_ms = int((time.time() - hours * 3600) * 1000)
    traces = search_all(client, experiment_id, f"trace.timestamp_ms > {cutoff_ms}")
    ratings: dict[str, list] = {"accuracy": [], "helpfulness": [], "relevance": []}
    for trace in traces:
        for assessment in client.get_trace(trace.info.trace_id).info.assessments:
            if assessment.name in ratings:
                ratings[assessment.name].append(assessment.value)
    return {name: sum(values) / len(values) if values else 0 for name, values in ratings.items()}


def search_all(client, experiment_id: str, filter_string: str) -> list:
    found, token = [], None
    while True:
        page = client.search_traces(
            locations=[experiment_id], filter_string=filter_string, max_results=500, page_token=token
        )
        found += list(page)
        token = page.token
        if not token:
            return found


@default_setup_only
def test_the_guides_functions_on_the_same_data_and_why_they_differ(dataset, mlflow_client):
    service, stored, _, _, _ = dataset
    experiment_id = service.app.gateway.experiment_id
    guide = guide_feedback_analysis(mlflow_client, experiment_id)
    guide_ratings = guide_rating_analysis(mlflow_client, experiment_id)
    ours = summary_of(
        service,
        start_time=stamp(guide["cutoff_ms"] + 1),  # the guide's `>`; our start is inclusive
        end_time=stamp(int(time.time() * 1000) + 1),
        count_traces_with_feedback=True,
    )
    window = [t for t in stored if t.timestamp_ms > guide["cutoff_ms"]]
    thumbs = next(b for b in ours.total.booleans if b.name == "user_feedback")
    overridden_thumbs = Counter(bool(a.value) for t in window for a in t.overridden if a.name == "user_feedback")

    print("\nfigure                        guide        service")
    print(f"traces                     {guide['total_traces']:8d}     {ours.total.trace_count:8d}")
    print(f"thumbs up counted          {guide['positive_count']:8d}     {thumbs.positive:8d}")
    print(f"thumbs down counted        {guide['negative_count']:8d}     {thumbs.negative:8d}")
    print(f"positive rate              {guide['positive_rate'] / 100:8.4f}     {thumbs.positive_rate:8.4f}")
    for number in ours.total.numbers:
        if number.name in guide_ratings:
            print(f"mean {number.name:<21} {guide_ratings[number.name]:8.4f}     {number.mean:8.4f}")

    # Same traces seen.
    assert guide["total_traces"] == ours.total.trace_count == len(window)
    # 1. The guide counts votes that were later changed: every overridden vote is still in its counts.
    assert sum(overridden_thumbs.values()) > 0
    assert guide["positive_count"] == thumbs.positive + overridden_thumbs[True]
    assert guide["negative_count"] == thumbs.negative + overridden_thumbs[False]
    # 2. Its positive rate divides votes by traces (so changed votes can push it past what any
    #    share of votes could be); the service divides positive votes by votes.
    traces_with_thumb = sum(1 for t in window if any(a.name == "user_feedback" for a in t.valid + t.overridden))
    assert guide["traces_with_feedback"] == traces_with_thumb
    assert guide["positive_rate"] == pytest.approx(100 * guide["positive_count"] / traces_with_thumb)
    assert thumbs.positive_rate == pytest.approx(thumbs.positive / (thumbs.positive + thumbs.negative))
    assert guide["positive_rate"] / 100 != pytest.approx(thumbs.positive_rate, abs=1e-6)
    # 3. Its rating means average current and changed votes together.
    for number in ours.total.numbers:
        if number.name not in guide_ratings:
            continue
        every = [a.value for t in window for a in t.valid + t.overridden if a.name == number.name]
        assert guide_ratings[number.name] == pytest.approx(sum(every) / len(every))
        current = [a.value for t in window for a in t.valid if a.name == number.name]
        assert number.mean == pytest.approx(sum(current) / len(current))


# --- feedbackctl summary


@default_setup_only
def test_feedbackctl_summary_table_json_and_plot(dataset, tmp_path, capsys):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 3 * DAY_MS
    when = ["--start", _iso(start_ms), "--end", _iso(end_ms)]
    plot = tmp_path / "feedback.png"
    argv = ["--target", service.target, "summary", *when, "--interval", "day", "--group-by", "tag:model"]
    assert cli.main([*argv, "--traces-with-feedback", "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    ref = reference(in_range(stored, start_ms, end_ms))
    thumbs = ref.booleans["user_feedback"]
    rate = thumbs[True] / (thumbs[True] + thumbs[False])
    assert f"traces: {ref.trace_count}   with feedback: {ref.traces_with_feedback}" in text
    total_thumbs = next(line.split() for line in text.splitlines() if line.strip().startswith("user_feedback "))
    assert total_thumbs[:4] == ["user_feedback", str(thumbs[True]), str(thumbs[False]), f"{rate * 100:.1f}%"]
    assert "per day (4 buckets, oldest first):" in text or "per day (3 buckets, oldest first):" in text
    assert "== model-a" in text and "█" in text and "accuracy mean" in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert cli.main(["--target", service.target, "--json", "summary", *when, "--user-id", stored[0].user]) == 0
    answer = json.loads(capsys.readouterr().out)
    expected = reference(in_range(stored, start_ms, end_ms, user=stored[0].user))
    assert int(answer["total"]["trace_count"]) == expected.trace_count
    assert answer["counting"]["aggregated_by_mlflow"] is True

    assert cli.main(["--target", service.target, "summary", "--tag", "model=it's"]) == 1
    assert "INVALID_FIELD" in capsys.readouterr().err


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}+00:00"


# --- ExportFeedback


def export(service, **fields) -> list[analytics_pb2.ExportFeedbackResponse]:
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel)
    return list(stub.ExportFeedback(analytics_pb2.ExportFeedbackRequest(**fields), timeout=120))


def test_export_sends_every_trace_exactly_once_across_page_tokens(dataset):
    service, stored, end_ms, _, _ = dataset
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel)
    window = {"start_time": stamp(end_ms - 6 * DAY_MS), "end_time": stamp(end_ms)}
    received: list[analytics_pb2.ExportFeedbackResponse] = []
    token = ""
    for stop_after in (700, 1100, None):  # two calls cut short (the caller goes away), then one to the end
        call = stub.ExportFeedback(analytics_pb2.ExportFeedbackRequest(**window, page_token=token), timeout=120)
        for count, message in enumerate(call, 1):
            received.append(message)
            if count == stop_after:
                call.cancel()
                break
        token = received[-1].page_token
    ids = [m.trace.trace_id for m in received]
    assert len(ids) == len(set(ids)) == TRACES
    assert set(ids) == {t.trace_id for t in stored}
    times = [m.trace.start_time.ToMilliseconds() for m in received]
    assert times == sorted(times)
    by_id = {t.trace_id: t for t in stored}
    for message in received:
        trace = by_id[message.trace.trace_id]
        assert {f.assessment_id for f in message.trace.feedback} == {a.assessment_id for a in trace.valid}
        assert not message.trace.history  # not asked for
        assert (message.trace.user_id, message.trace.tags["model"]) == (trace.user, trace.tags["model"])
    a_vote = next(f for m in received for f in m.trace.feedback if f.name == "user_feedback")
    stored_vote = next(a for a in by_id[a_vote.trace_id].valid if a.assessment_id == a_vote.assessment_id)
    assert (a_vote.value.bool_value, a_vote.source.id, a_vote.valid) == (
        stored_vote.value,
        stored_vote.source.source_id,
        True,
    )


@pytest.mark.slow  # loads its traces with a process of the MLflow environment
def test_reads_page_through_traces_that_started_in_the_same_millisecond(start_replicas, mlflow_server):
    """1,300 traces started in two milliseconds: pages of 500 end inside a millisecond, and one
    millisecond holds more than a page."""
    service = start_replicas(experiment_name="analytics-ties")
    end_ms = int(time.time() * 1000)
    load_data_set(mlflow_server, service.app.gateway.experiment_id, 1300, end_ms, "--distinct-ms=2", "--seed=5")
    received = export(service, start_time=stamp(end_ms - HOUR_MS), end_time=stamp(end_ms))
    ids = [m.trace.trace_id for m in received]
    assert len(ids) == len(set(ids)) == 1300
    counted = summary_of(
        service, start_time=stamp(end_ms - HOUR_MS), end_time=stamp(end_ms), group_by=analytics_pb2.GROUP_DIMENSION_USER
    )
    assert counted.counting.trace_infos_read == counted.total.trace_count == 1300
    aggregated = summary_of(service, start_time=stamp(end_ms - HOUR_MS), end_time=stamp(end_ms))
    assert [(b.name, b.positive, b.negative) for b in counted.total.booleans] == [
        (b.name, b.positive, b.negative) for b in aggregated.total.booleans
    ]


@pytest.mark.slow  # loads its traces with a process of the MLflow environment
def test_older_feedback_is_counted_once_the_markers_are_backfilled(start_service, mlflow_server, mlflow_client, capsys):
    """Feedback from before the service kept the feedback marker (loaded without it) is not counted
    by MLflow's aggregation until `backfill_markers` sets the markers, which also removes one left
    on a trace whose feedback was deleted straight in MLflow."""
    from genaifeedback.service.process import backfill_markers

    service = start_service(experiment_name="analytics-backfill")
    experiment_id, end_ms = service.app.gateway.experiment_id, int(time.time() * 1000)
    load_data_set(mlflow_server, experiment_id, 400, end_ms, "--days=1", "--seed=3", "--no-markers")
    bare = next(t for t in read_back(mlflow_client, experiment_id) if not t.valid)
    mlflow_client.set_trace_tag(bare.trace_id, MARKER, "true")  # its feedback deleted around the service
    window = {"start_time": stamp(end_ms - 2 * DAY_MS), "end_time": stamp(end_ms), "count_traces_with_feedback": True}
    assert summary_of(service, **window).total.traces_with_feedback == 1  # only the stale marker
    flags = ["--mlflow-tracking-uri", mlflow_server.url, "--experiment-name", "analytics-backfill"]

    backfill_markers.main(["--check", *flags])
    stored = read_back(mlflow_client, experiment_id)
    with_feedback = {t.trace_id for t in stored if t.valid}
    expected = f"400 traces read: {len(with_feedback)} would be marked, 1 would be unmarked (--check: nothing written)"
    assert capsys.readouterr().out.strip().endswith(expected)
    assert summary_of(service, **window).total.traces_with_feedback == 1

    backfill_markers.main(flags)
    assert f"{len(with_feedback)} marked, 1 unmarked" in capsys.readouterr().out
    stored = read_back(mlflow_client, experiment_id)
    assert {t.trace_id for t in stored if t.tags.get(MARKER) == "true"} == with_feedback
    assert_matches(summary_of(service, **window).total, reference(stored), traces_counted=True)


def test_export_filters_and_history(dataset):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    received = export(
        service,
        start_time=stamp(start_ms),
        end_time=stamp(end_ms),
        trace_tags={"model": "model-c"},
        source_type=feedback_pb2.SOURCE_TYPE_HUMAN,
        names=["user_feedback", "accuracy"],
        only_with_feedback=True,
        include_history=True,
    )
    expected = {}
    for trace in in_range(stored, start_ms, end_ms, tags={"model": "model-c"}):
        wanted = [
            a
            for a in trace.valid + trace.overridden
            if a.source.source_type == "HUMAN" and a.name in ("user_feedback", "accuracy")
        ]
        if any(a.valid for a in wanted):
            expected[trace.trace_id] = wanted
    assert [m.trace.trace_id for m in received] == sorted(
        expected, key=lambda i: next(t.timestamp_ms for t in stored if t.trace_id == i)
    )
    for message in received:
        wanted = expected[message.trace.trace_id]
        assert {f.assessment_id for f in message.trace.feedback} == {a.assessment_id for a in wanted if a.valid}
        assert {f.assessment_id for f in message.trace.history} == {a.assessment_id for a in wanted if not a.valid}
        assert all(not f.valid for f in message.trace.history)
        for old in message.trace.history:  # each overridden vote is named by the one that replaced it
            assert any(f.overrides == old.assessment_id for f in [*message.trace.feedback, *message.trace.history])
    assert sum(len(m.trace.history) for m in received) > 0

    with pytest.raises(grpc.RpcError) as caught:
        export(service, page_token="not-a-token")
    assert violation_reasons(caught.value) == {"page_token": "INVALID_FORMAT"}


# --- WatchFeedback


@pytest.mark.slow  # a long scenario: several watch polls
def test_watch_delivers_every_feedback_recorded_after_the_cursor_once(start_replicas):
    service = start_replicas(experiment_name="analytics-watch", watch_poll_seconds=0.2)
    traces = [new_trace(service, user_id=f"watcher-{n}") for n in range(3)]
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel)

    def record(trace_id: str, value) -> str:
        answer = service.feedback.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_id,
                name="watched",
                bool_value=value,
                wait_until_stored=True,
                request_id=str(uuid.uuid4()),
            ),
            timeout=30,
        )
        assert answer.state == feedback_pb2.FEEDBACK_STATE_STORED
        return answer.assessment_id

    record(traces[0], False)  # before the watch: not sent
    call = stub.WatchFeedback(analytics_pb2.WatchFeedbackRequest(lookback_hours=1), timeout=120)
    assert dict(call.initial_metadata())["watch-cursor"]  # the watch has its starting point
    first = [record(trace_id, True) for trace_id in traces * 2]
    received = [next(call) for _ in first]
    assert [m.feedback.assessment_id for m in received] == first  # in the order recorded, each once
    assert all(m.feedback.value.bool_value and m.feedback.name == "watched" for m in received)
    call.cancel()

    # While nobody watches, more feedback; resuming from the last cursor sends exactly those.
    missed = [record(trace_id, False) for trace_id in traces]
    resumed = stub.WatchFeedback(
        analytics_pb2.WatchFeedbackRequest(lookback_hours=1, cursor=received[-1].cursor), timeout=120
    )
    again = [next(resumed) for _ in missed]
    assert [m.feedback.assessment_id for m in again] == missed
    sentinel = record(traces[0], True)
    assert next(resumed).feedback.assessment_id == sentinel  # nothing sent twice in between
    resumed.cancel()

    with pytest.raises(grpc.RpcError) as caught:
        next(stub.WatchFeedback(analytics_pb2.WatchFeedbackRequest(lookback_hours=500, cursor="x"), timeout=10))
    assert violation_reasons(caught.value) == {"lookback_hours": "OUT_OF_RANGE", "cursor": "INVALID_FORMAT"}


@default_setup_only
def test_feedbackctl_export_jsonl_and_csv(dataset, tmp_path, capsys):
    import csv

    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    common = ["--target", service.target, "export", "--start", _iso(start_ms), "--end", _iso(end_ms)]
    common += ["--tag", "model=model-a", "--only-with-feedback"]
    expected = [t for t in in_range(stored, start_ms, end_ms, tags={"model": "model-a"}) if t.valid]

    lines_path = tmp_path / "feedback.jsonl"
    assert cli.main([*common, "-o", str(lines_path)]) == 0
    assert f"exported {len(expected)} traces; resume with --page-token " in capsys.readouterr().err
    lines = [json.loads(line) for line in lines_path.read_text().splitlines()]
    assert sorted(line["trace_id"] for line in lines) == sorted(t.trace_id for t in expected)
    assert {f["assessment_id"] for line in lines for f in line["feedback"]} == {
        a.assessment_id for t in expected for a in t.valid
    }

    table_path = tmp_path / "feedback.csv"
    assert cli.main([*common, "--history", "--format", "csv", "-o", str(table_path)]) == 0
    with table_path.open(newline="") as table:
        rows = list(csv.DictReader(table))
    assert {r["assessment_id"] for r in rows} == {a.assessment_id for t in expected for a in t.valid + t.overridden}
    overridden = {a.assessment_id for t in expected for a in t.overridden}
    assert {r["assessment_id"] for r in rows if r["valid"] == "false"} == overridden
    thumbs = next(r for r in rows if r["name"] == "user_feedback")
    assert json.loads(thumbs["value"]) in (True, False) and thumbs["source_type"] == "HUMAN"


@default_setup_only
def test_feedbackctl_export_low_rated_traces_into_an_mlflow_evaluation_dataset(dataset, mlflow_server, tmp_path):
    service, stored, end_ms, _, _ = dataset
    start_ms = end_ms - 6 * DAY_MS
    lines_path = tmp_path / "model-b.jsonl"
    when = ["--start", _iso(start_ms), "--end", _iso(end_ms), "--tag", "model=model-b"]
    assert cli.main(["--target", service.target, "export", *when, "-o", str(lines_path)]) == 0
    with pytest.raises(SystemExit) as refused:  # this environment has mlflow-tracing only
        cli.main(["--target", service.target, "export", *when, "--to-dataset", "x", "--dataset-experiment-id", "1"])
    assert refused.value.code == 2

    # Where the full mlflow package is installed (the server's environment), the same code merges them.
    merge = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("datasets", sys.argv[1])
datasets = importlib.util.module_from_spec(spec)
spec.loader.exec_module(datasets)
records = []
for line in open(sys.argv[2]):
    trace = json.loads(line)
    if reasons := datasets.low_rated_because(trace):
        records.append(datasets.dataset_record(trace, reasons))
held = datasets.merge_into_dataset(records, "low-rated-model-b", sys.argv[3])
again = datasets.merge_into_dataset(records, "low-rated-model-b", sys.argv[3])  # extending: no duplicates
frame = datasets.mlflow_datasets().search_datasets(filter_string="name = 'low-rated-model-b'")[0].to_df()
print(json.dumps({"held": held, "again": again, "traces": sorted(t["source_trace_id"] for t in frame["tags"])}))
"""
    merged = subprocess.run(
        [
            str(ROOT / ".venv-mlflow/bin/python"),
            "-c",
            merge,
            str(ROOT / "clients/python/genaifeedback/client/datasets.py"),
            str(lines_path),
            service.app.gateway.experiment_id,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MLFLOW_TRACKING_URI": mlflow_server.url},
    )
    assert merged.returncode == 0, merged.stderr
    result = json.loads(merged.stdout.strip().splitlines()[-1])
    low = sorted(
        t.trace_id
        for t in in_range(stored, start_ms, end_ms, tags={"model": "model-b"})
        if any(a.value is False or (not isinstance(a.value, bool | str) and a.value <= 2) for a in t.valid)
    )
    assert result == {"held": len(low), "again": len(low), "traces": low}


def test_mlflow_failures_become_mlflow_unavailable(mlflow_server):
    import asyncio

    from mlflow.utils.rest_utils import MlflowHostCreds

    from conftest import free_port
    from genaifeedback.service.domain.errors import MlflowUnavailable
    from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
    from genaifeedback.service.egress.mlflow.selection import TraceSelection

    async def failures() -> list[str]:
        gateway = MlflowGateway(MlflowHostCreds(mlflow_server.url), "analytics", 10, 2)
        nobody = MlflowGateway(MlflowHostCreds(f"http://127.0.0.1:{free_port()}"), "analytics", 10, 2)
        gateway.experiment_id = nobody.experiment_id = "1"
        window = TraceSelection(0, 1000)
        seen = []
        # MLflow refuses what it cannot parse: a tag key with a backtick (never let through by convert).
        for attempt in (
            gateway.count_traces(TraceSelection(0, 1000, {"a`b": "c"}), 0),
            anext(gateway.scan_traces(TraceSelection(0, 1000, {"a`b": "c"}))),
            nobody.count_feedback_votes(window, 0),  # nobody listens
            anext(nobody.scan_traces(window)),
        ):
            with pytest.raises(MlflowUnavailable) as caught:
                await attempt
            seen.append(caught.value.message.split(":")[0])
        await gateway.close()
        await nobody.close()
        return seen

    assert asyncio.run(failures()) == ["MLflow answered HTTP 400"] * 2 + ["MLflow is unreachable"] * 2
