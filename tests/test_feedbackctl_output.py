"""What feedbackctl shows: the export's columns, the summary's text and the summary's plot.

The export and the "not counted" marking run against the real service and a real MLflow server
(its own experiment, so nothing else is in range). The plot and sparkline tests build the figure
and the text from GetFeedbackSummaryResponse messages as the service sends them, and check the
matplotlib Figure (axis limits, markers, legends, tick values) and the rendered lines.
"""

import csv
import json

import pytest

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
