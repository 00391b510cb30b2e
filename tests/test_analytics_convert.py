"""GetFeedbackSummary, ExportFeedback and WatchFeedback requests: every rule at its edge, fast
(no MLflow, no gRPC server); and the arithmetic of the summary on hand-made counts."""

import math

import pytest
from google.protobuf import timestamp_pb2

from genaifeedback.client.datasets import dataset_record, low_rated_because
from genaifeedback.service.domain.errors import InvalidRequest
from genaifeedback.service.domain.schemas import FeedbackSchema, Schemas
from genaifeedback.service.domain.summary import Tally, summarise, vote_value, wilson_interval
from genaifeedback.service.transport.convert import analytics as analytics_convert
from genaifeedback.v1 import analytics_pb2

NOW = 1_800_000_000_000
DAY = 86_400_000


def stamp(ms: int) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromMilliseconds(ms)
    return value


def reasons(convert, request, **kwargs) -> dict[str, str]:
    with pytest.raises(InvalidRequest) as caught:
        convert(request, **kwargs)
    return {v.field: v.reason for v in caught.value.violations}


def test_summary_defaults_to_the_last_24_hours():
    query = analytics_convert.summary_query(analytics_pb2.GetFeedbackSummaryRequest(), now_ms=NOW)
    assert (query.start_ms, query.end_ms, query.interval_seconds, query.group_by) == (NOW - DAY, NOW, 0, None)
    assert not query.needs_scan() and query.bucket_starts() == []


def test_summary_limits():
    request = analytics_pb2.GetFeedbackSummaryRequest(
        start_time=stamp(NOW - 367 * DAY),
        end_time=stamp(NOW),
        trace_tags={f"k{n}": "v" for n in range(11)} | {"": "x"},
        user_id="u" * 251,
        session_id="s\n",
        source_type=9,
        interval=7,
        group_by=8,
        group_values=["a", "a", "b'"] + [str(n) for n in range(50)],
    )
    assert reasons(analytics_convert.summary_query, request, now_ms=NOW) == {
        "start_time": "OUT_OF_RANGE",
        "trace_tags": "REQUIRED",
        "user_id": "TOO_LONG",
        "session_id": "INVALID_FORMAT",
        "source_type": "OUT_OF_RANGE",
        "interval": "OUT_OF_RANGE",
        "group_by": "OUT_OF_RANGE",
        "group_values": "DUPLICATE",
        "group_values[2]": "INVALID_FORMAT",
    }


def test_summary_group_by_tag_and_buckets():
    request = analytics_pb2.GetFeedbackSummaryRequest(
        start_time=stamp(NOW - DAY - 1),
        end_time=stamp(NOW),
        interval=analytics_pb2.SUMMARY_INTERVAL_HOUR,
        group_by=analytics_pb2.GROUP_DIMENSION_TRACE_TAG,
        group_by_tag="model",
        source_type=1,
    )
    query = analytics_convert.summary_query(request, now_ms=NOW)
    assert query.needs_scan()  # a source type, and no group values
    starts = query.bucket_starts()
    assert starts[0] <= query.start_ms < starts[0] + 3_600_000 and starts[-1] < NOW and len(starts) in (25, 26)
    assert reasons(
        analytics_convert.summary_query,
        analytics_pb2.GetFeedbackSummaryRequest(group_by=analytics_pb2.GROUP_DIMENSION_TRACE_TAG, group_by_tag="`"),
        now_ms=NOW,
    ) == {"group_by_tag": "INVALID_FORMAT"}


def test_export_and_watch_requests():
    query = analytics_convert.export_query(analytics_pb2.ExportFeedbackRequest(names=["a"]), now_ms=NOW)
    assert (query.start_ms, query.end_ms, query.names, query.resume_after) == (NOW - DAY, NOW, frozenset({"a"}), None)
    bad = analytics_pb2.ExportFeedbackRequest(
        start_time=stamp(NOW),
        end_time=stamp(NOW),
        trace_tags={f"k{n}": "v" for n in range(11)},
        names=[str(n) for n in range(21)],
        source_type=5,
        page_token="e30=",  # {} : no fields
    )
    assert reasons(analytics_convert.export_query, bad, now_ms=NOW) == {
        "start_time": "OUT_OF_RANGE",
        "trace_tags": "TOO_LONG",
        "names": "TOO_LONG",
        "source_type": "OUT_OF_RANGE",
        "page_token": "INVALID_FORMAT",
    }
    assert reasons(
        analytics_convert.export_query,
        analytics_pb2.ExportFeedbackRequest(
            trace_tags={"": "'"}, user_id="'", session_id="\x00", page_token="x" * 20000
        ),
        now_ms=NOW,
    ) == {"trace_tags": "REQUIRED", "trace_tags['']": "INVALID_FORMAT", "user_id": "INVALID_FORMAT",
          "session_id": "INVALID_FORMAT", "page_token": "INVALID_FORMAT"}  # fmt: skip
    watch = analytics_convert.watch_query(analytics_pb2.WatchFeedbackRequest(), now_ms=NOW)
    assert (watch.lookback_ms, watch.resume_after.create_time_ms) == (24 * 3_600_000, NOW)
    token = analytics_convert.watch_token(watch.resume_after)
    resumed = analytics_convert.watch_query(analytics_pb2.WatchFeedbackRequest(cursor=token, lookback_hours=168))
    assert resumed.resume_after == watch.resume_after
    assert reasons(
        analytics_convert.watch_query,
        analytics_pb2.WatchFeedbackRequest(lookback_hours=-1, source_type=4, names=["'"], cursor="eyJjIjoiMSJ9"),
    ) == {"lookback_hours": "OUT_OF_RANGE", "source_type": "OUT_OF_RANGE", "names[0]": "INVALID_FORMAT",
          "cursor": "INVALID_FORMAT"}  # fmt: skip


def test_summary_arithmetic():
    assert wilson_interval(0, 0) == (0.0, 0.0)
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0) and 0.69 < low < 0.73
    assert [vote_value(v) for v in (True, 3, 2.5, "x", math.nan, {"a": 1}, None)] == [
        True,
        3.0,
        2.5,
        "x",
        None,
        None,
        None,
    ]
    schemas = Schemas()
    schemas.declared["comment"] = FeedbackSchema("comment", "text")
    schemas.declared["stars"] = FeedbackSchema("stars", "number", min=0, max=10)
    tally = Tally(trace_count=4, traces_with_feedback=3)
    tally.votes.update({("comment", "fine"): 2, ("stars", 7.5): 2, ("mixed", 1.0): 1, ("mixed", "a"): 1,
                        ("free", 4.0): 3, ("user_feedback", True): 1})  # fmt: skip
    summary = summarise(tally, schemas)
    assert summary.feedback_rate == 0.75
    assert [n.name for n in summary.numbers] == ["free", "stars"]  # text and mixed names have no summary
    free, stars = summary.numbers
    assert (free.mean, free.normalized_mean, free.distribution) == (4.0, None, [(4.0, 3)])
    assert (stars.mean, stars.normalized_mean) == (7.5, 0.75)
    assert summary.booleans[0].positive_rate == 1.0 and not summary.categories
    assert summarise(Tally(), schemas).feedback_rate == 0.0


def test_low_rated_traces_for_evaluation_datasets():
    trace = {
        "trace_id": "tr-1",
        "request_preview": "What is MLflow?",
        "feedback": [
            {"name": "user_feedback", "value": False},
            {"name": "accuracy", "value": 2.0},
            {"name": "relevance", "value": 4.0},
            {"name": "topic", "value": "bug"},
            {"name": "flag", "value": True},
        ],
    }
    because = low_rated_because(trace)
    assert because == ["user_feedback=false", "accuracy=2"]
    assert low_rated_because(trace, max_score=4) == ["user_feedback=false", "accuracy=2", "relevance=4"]
    assert dataset_record(trace, because) == {
        "inputs": {"request": "What is MLflow?"},
        "tags": {"source_trace_id": "tr-1", "low_rated": "user_feedback=false; accuracy=2"},
    }
    assert low_rated_because({"trace_id": "tr-2"}) == []
