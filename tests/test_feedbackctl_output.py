"""What feedbackctl shows: the export's columns, the summary's text and the summary's plot.

The export and the "not counted" marking run against the real service and a real MLflow server
(its own experiment, so nothing else is in range). The plot and sparkline tests build the figure
and the text from GetFeedbackSummaryResponse messages as the service sends them, and check the
matplotlib Figure (axis limits, markers, legends, tick values) and the rendered lines.
"""

import csv
import json
import random
from datetime import UTC, datetime

import pytest
from google.protobuf import timestamp_pb2

from genaifeedback.client import FeedbackClient, cli
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc

HOUR = 3600
DAY = 86400


@pytest.fixture(scope="module")
def output_service(start_service):
    return start_service(experiment_name="feedbackctl-output")


@pytest.fixture(scope="module")
def voted_trace(output_service, mlflow_client):
    """A trace tagged model=m1 with a current thumbs up, and a rating deleted (so MLflow holds the
    service's deletion tombstone tag on the trace)."""
    service = output_service
    with FeedbackClient(service.target) as client:
        chat = client.complete("What is MLflow?", tags={"model": "m1"})
        service.wait_stored(chat.trace_id)
        client.feedback(trace_id=chat.trace_id, value=True, wait_until_stored=True)
        rating = client.feedback(trace_id=chat.trace_id, value=4, name="user_rating", wait_until_stored=True)
        client.delete_feedback(rating.assessment_id, trace_id=chat.trace_id)
    info = mlflow_client.get_trace_info(chat.trace_id)
    # What the export must not pass on: the service's tombstone, and MLflow's JSON-quoted preview.
    assert f"genaifeedback.deleted.{rating.assessment_id}" in info.tags
    assert info.response_preview.startswith('"'), info.response_preview
    return chat, info


# --- export


@pytest.mark.slow
def test_export_leaves_out_the_services_internal_tags(output_service, voted_trace):
    chat, _ = voted_trace
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(output_service.channel)
    [message] = [
        m
        for m in stub.ExportFeedback(analytics_pb2.ExportFeedbackRequest(), timeout=60)
        if m.trace.trace_id == chat.trace_id
    ]
    tags = dict(message.trace.tags)
    assert tags.get("model") == "m1"
    assert not [key for key in tags if key.startswith(("genaifeedback.", "mlflow."))], tags


@pytest.mark.slow
def test_csv_export_has_plain_previews_and_no_internal_tags(output_service, voted_trace, tmp_path):
    chat, info = voted_trace
    table = tmp_path / "feedback.csv"
    argv = ["--target", output_service.target, "export", "--since", "1h", "--format", "csv", "-o", str(table)]
    assert cli.main(argv) == 0
    with table.open(newline="", encoding="utf-8") as opened:
        [row] = [r for r in csv.DictReader(opened) if r["trace_id"] == chat.trace_id]
    tags = json.loads(row["tags"])
    assert tags["model"] == "m1" and not [key for key in tags if key.startswith("genaifeedback.")], tags
    assert row["request_preview"] == "What is MLflow?"
    assert row["response_preview"] == json.loads(info.response_preview)  # the text, not its JSON
    assert chat.text.startswith(row["response_preview"])
    assert row["name"] == "user_feedback" and row["value"] == "true"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ('"What is MLflow?"', "What is MLflow?"),
        ('"An answer cut sho', "An answer cut sho"),  # MLflow cuts long previews short
        ('"cut in an escape \\', "cut in an escape "),
        ('"cut in \\u00', "cut in "),
        ('"caf\\u00e9 \\"quoted\\""', 'café "quoted"'),
        ('{"messages": [1]}', '{"messages": [1]}'),  # not a string: as MLflow keeps it
        ("plain text", "plain text"),
    ],
)
def test_previews_are_plain_text(stored, shown):
    assert cli._plain_preview(stored) == shown


# --- summaries as the service sends them


def _stamp(seconds: int) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def _figures(rng: random.Random, traces: int, ratings: dict[str, int]) -> analytics_pb2.FeedbackSummary:
    """One cell's figures: traces, a thumbs name and 1-5 ratings (every score listed, as the
    service does for an integer scale)."""
    up = rng.randint(0, traces)
    down = rng.randint(0, traces - up)
    summary = analytics_pb2.FeedbackSummary(trace_count=traces)
    if up + down:
        summary.booleans.add(name="user_feedback", positive=up, negative=down, positive_rate=up / (up + down))
    for name, votes in ratings.items():
        scores = [rng.randint(1, 5) for _ in range(votes)]
        if scores:
            mean = sum(scores) / len(scores)
            summary.numbers.add(
                name=name,
                count=len(scores),
                mean=mean,
                normalized_mean=(mean - 1) / 4,
                distribution=[analytics_pb2.ScoreCount(score=s, count=scores.count(s)) for s in range(1, 6)],
            )
    return summary


def summary_answer(
    buckets: int, interval: int = HOUR, groups: tuple[str, ...] = (), counted: bool = False, seed: int = 7
) -> analytics_pb2.GetFeedbackSummaryResponse:
    """A GetFeedbackSummaryResponse with `buckets` buckets (0: no time series) and these groups; the
    last bucket starts at the interval's start before 2026-12-01 12:00 UTC (the service's buckets are
    whole UTC hours or days)."""
    rng = random.Random(seed)
    end = int(datetime(2026, 12, 1, 12, tzinfo=UTC).timestamp()) // interval * interval
    first = end - (buckets - 1) * interval if buckets else end - DAY
    ratings = {"user_rating": 3, "a_rather_long_dimension_name": 2}
    answer = analytics_pb2.GetFeedbackSummaryResponse(
        start_time=_stamp(first), end_time=_stamp(end + (interval if buckets else 0))
    )
    answer.counting.traces_with_feedback_counted = counted
    answer.counting.description = "synthetic"
    answer.total.CopyFrom(_figures(rng, 40, dict.fromkeys(ratings, 6)))
    if counted:
        answer.total.traces_with_feedback = 30
        answer.total.feedback_rate = 0.75
    for index in range(buckets):
        answer.buckets.add(
            start_time=_stamp(first + index * interval), summary=_figures(rng, rng.randint(1, 9), ratings)
        )
    for value in groups:
        group = answer.groups.add(value=value, summary=_figures(rng, 12, ratings))
        for index in range(buckets):
            group.buckets.add(
                start_time=_stamp(first + index * interval), summary=_figures(rng, rng.randint(0, 4), ratings)
            )
    return answer


def _panels(figure) -> dict[str, object]:
    return {axis.get_title(loc="left"): axis for axis in figure.axes}


def _days(moment: timestamp_pb2.Timestamp) -> float:
    """A time as matplotlib's date number (days since 1970-01-01)."""
    return moment.seconds / DAY


def _integer_ticks(axis) -> list[float]:
    low, high = axis.get_ylim()
    ticks = [t for t in axis.get_yticks() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    return ticks


@pytest.mark.parametrize(("buckets", "interval"), [(1, HOUR), (1, DAY), (3, DAY), (48, HOUR)])
def test_the_time_axis_spans_the_buckets(buckets, interval):
    answer = summary_answer(buckets, interval)
    figure = cli.summary_figure(answer, interval)
    first = _days(answer.buckets[0].start_time)
    time_axes = [axis for title, axis in _panels(figure).items() if not title.startswith("score")]
    assert len(time_axes) == 3  # traces, positive rate, mean rating
    for axis in time_axes:
        assert axis.get_xlim() == pytest.approx((first, first + buckets * interval / DAY))
        labels = [label.get_text() for label in axis.get_xticklabels(minor=buckets <= 12) if label.get_text()]
        assert labels, axis.get_title(loc="left")
    if buckets <= 12:  # each bucket labelled under its point
        labels = [label.get_text() for label in time_axes[0].get_xticklabels(minor=True)]
        assert labels == (["12:00-13:00"] if interval == HOUR else ["Nov 29", "Nov 30", "Dec 01"][-buckets:])


@pytest.mark.parametrize("groups", [(), ("model-a", "model-b")])
def test_a_lone_bucket_is_a_visible_marked_point(groups):
    answer = summary_answer(1, HOUR, groups)
    figure = cli.summary_figure(answer, HOUR)
    lines = [line for axis in figure.axes for line in axis.get_lines()]
    assert lines
    for line in lines:
        assert line.get_marker() not in (None, "", "None", " ") and line.get_markersize() >= 5, line.get_label()
        assert len(line.get_xdata()) == 1


def test_groups_are_drawn_as_series_with_a_legend():
    groups = ("model-a", "model-b", "model-c")
    answer = summary_answer(3, DAY, groups)
    panels = _panels(cli.summary_figure(answer, DAY))
    assert set(panels) == {
        "traces per day",
        "user_feedback: positive rate per group",
        "user_rating: mean per group",
        "a_rather_long_dimension_name: mean per group",
        "score distributions (votes per score, whole range)",
    }
    volume = panels["traces per day"]
    assert [t.get_text() for t in volume.get_legend().get_texts()] == [*groups, "all traces"]
    assert [list(line.get_ydata()) for line in volume.get_lines()] == [
        [b.summary.trace_count for b in group.buckets] for group in answer.groups
    ]
    [bars] = volume.containers
    assert [bar.get_height() for bar in bars] == [b.summary.trace_count for b in answer.buckets]
    rating = panels["user_rating: mean per group"]
    assert [t.get_text() for t in rating.get_legend().get_texts()] == [*groups, "all"]
    for line, group in zip(rating.get_lines(), answer.groups, strict=False):
        expected = [next((n.mean for n in b.summary.numbers if n.name == "user_rating"), None) for b in group.buckets]
        drawn = [None if y != y else y for y in line.get_ydata()]  # NaN: no votes in that bucket
        assert drawn == expected
    assert rating.get_ylim()[0] <= 1 and rating.get_ylim()[1] >= 5  # the whole 1-5 scale


def test_counts_are_whole_numbers_on_count_axes():
    answer = summary_answer(2, HOUR)  # small counts: matplotlib alone would tick 0.5, 1.5, 2.5
    panels = _panels(cli.summary_figure(answer, HOUR))
    distribution = panels["score distributions (votes per score, whole range)"]
    _integer_ticks(distribution)
    _integer_ticks(panels["traces per hour"])
    heights = [[bar.get_height() for bar in bars] for bars in distribution.containers]
    assert heights == [[d.count for d in n.distribution] for n in answer.total.numbers]
    assert [t.get_text() for t in distribution.get_xticklabels()] == ["1", "2", "3", "4", "5"]
    labels = [text.get_text() for text in distribution.texts]
    assert labels == [str(d.count) for n in answer.total.numbers for d in n.distribution]


def test_the_plot_is_written_as_png(tmp_path):
    path = tmp_path / "summary.png"
    cli._plot(summary_answer(48, HOUR, ("model-a", "model-b")), str(path), "hour", cli._parser())
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the text


def test_sparklines_line_up_and_show_their_scale():
    answer = summary_answer(3, DAY, ("a", "a-much-longer-group-value"))
    text = cli._summary_text(answer, "day")
    rows = [line for line in text.splitlines() if line.rstrip().endswith((" traces", "% positive", "on 1-5"))]
    assert len(rows) == 3 * 4 - 1  # traces, thumbs, two means; one group without thumbs in any bucket
    columns = {line.index(_spark_block(line)) for line in rows}
    assert len(columns) == 1, "\n".join(rows)
    assert all(len(_spark_block(line)) == 3 for line in rows)
    traces = next(line for line in rows if line.strip().startswith("traces "))
    assert traces.endswith(f"0-{max(b.summary.trace_count for b in answer.buckets)} traces")
    assert "means " in text and "0-100% positive" in text
    assert "· no votes" in text


def _spark_block(line: str) -> str:
    marks = "".join(cli.SPARKS) + cli._NO_DATA
    start = next(i for i, c in enumerate(line) if c in marks)
    end = start
    while end < len(line) and line[end] in marks:
        end += 1
    return line[start:end]


def test_with_feedback_is_a_figure_or_marked_not_counted():
    text = cli._summary_text(summary_answer(0, groups=("model-a",)), "")
    assert text.splitlines()[3].startswith("traces: 40   with feedback: not counted (--traces-with-feedback")
    assert "== model-a\ntraces: 12   with feedback: not counted" in text
    counted = cli._summary_text(summary_answer(0, counted=True), "")
    assert "traces: 40   with feedback: 30 (75.0%)" in counted and "not counted" not in counted


@pytest.mark.slow
def test_feedbackctl_summary_marks_with_feedback_not_counted(output_service, voted_trace, capsys, tmp_path):
    argv = ["--target", output_service.target, "summary", "--since", "1h"]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "traces: 1   with feedback: not counted (--traces-with-feedback counts it" in text
    plot = tmp_path / "summary.png"
    assert cli.main([*argv, "--traces-with-feedback", "--interval", "hour", "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    assert "traces: 1   with feedback: 1 (100.0%)" in text and "not counted" not in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_buckets_the_range_cuts_are_marked_partial():
    answer = summary_answer(3, DAY)
    answer.start_time.seconds += 5 * HOUR  # the range starts inside the first day, ends inside the last
    answer.end_time.seconds -= 19 * HOUR
    volume = _panels(cli.summary_figure(answer, DAY))["traces per day"]
    bars = volume.containers[0]
    assert [bar.get_hatch() for bar in bars] == ["///", None, "///"]
    assert [t.get_text() for t in volume.get_xticklabels(minor=True)] == [
        "Nov 29\n(partial)",
        "Nov 30",
        "Dec 01\n(partial)",
    ]
    legend = volume.get_legend()
    keys = {text.get_text(): handle for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)}
    assert (keys["all traces"].get_hatch(), keys["partial bucket"].get_hatch()) == (None, "///")
    text = cli._summary_text(answer, "day")
    assert "(first and last buckets are only partly in the range: fewer traces there)" in text
    assert "partly" not in cli._summary_text(summary_answer(3, DAY), "day")
