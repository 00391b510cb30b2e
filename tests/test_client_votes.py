"""Votes from the Python client and feedbackctl: client_time, read back, list, correct, delete, erase.

Against the real in-process service and a real MLflow server, as tests/test_client.py: assertions
read what MLflow stored (values, valid flags, override links, create times), not only what the
client returned. Argument checks that must stop a call before it leaves are tested against a small
real gRPC server that only records what reaches it.
"""

import json
import uuid
from concurrent import futures
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from genaifeedback.client import (
    DeleteResult,
    EraseProgress,
    FeedbackClient,
    FeedbackRecord,
    FeedbackServiceError,
    FeedbackState,
    cli,
)
from genaifeedback.v1 import feedback_pb2, feedback_pb2_grpc
from support import assessments

UNKNOWN_TRACE = "tr-" + "0" * 32
UNKNOWN_ASSESSMENT = "a-" + "0" * 32


@pytest.fixture(scope="module")
def client(service):
    with FeedbackClient(service.target) as client:
        yield client


def new_chat(client, service):
    """A finished chat (CompleteChat) whose trace MLflow has stored."""
    result = client.complete_chat("What is MLflow?", client_request_id=f"py-votes-{uuid.uuid4()}")
    service.wait_stored(result.trace_id)
    return result


@pytest.fixture
def chat(client, service):
    return new_chat(client, service)


def rater() -> str:
    return f"rater-{uuid.uuid4().hex[:10]}"


def chain(mlflow_client, trace_id, name=None):
    """What MLflow stored on the trace, oldest first."""
    return sorted(assessments(mlflow_client, trace_id, name), key=lambda a: (a.create_time_ms, a.assessment_id))


def ctl(service, *argv: str) -> int:
    return cli.main(["--target", service.target, *argv])


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# The client


def test_the_latest_client_time_wins_and_is_stored_as_the_create_time(client, chat, mlflow_client):
    user = rater()
    now = datetime.now(UTC).replace(microsecond=0)
    later = client.thumbs_down(trace_id=chat.trace_id, source_id=user, client_time=now, wait_until_stored=True)
    # Sent second, but given a minute earlier (a naive datetime is local time): it goes into history.
    naive_local = (now - timedelta(minutes=1)).astimezone().replace(tzinfo=None)
    earlier = client.thumbs_up(
        client_request_id=chat.client_request_id, source_id=user, client_time=naive_local, wait_until_stored=True
    )

    first, second = chain(mlflow_client, chat.trace_id)
    assert (first.assessment_id, first.value, first.valid) == (earlier.assessment_id, True, False)
    assert (second.assessment_id, second.value, second.valid) == (later.assessment_id, False, True)
    assert second.overrides == first.assessment_id
    assert (first.create_time_ms, second.create_time_ms) == (millis(now - timedelta(minutes=1)), millis(now))


def test_rate_dimensions_carries_client_time(client, chat, mlflow_client):
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    client.submit_ratings(
        trace_id=chat.trace_id, ratings={"accuracy": 4, "relevance": 2}, client_time=when, wait_until_stored=True
    )
    assert {a.name: a.create_time_ms for a in chain(mlflow_client, chat.trace_id)} == {
        "accuracy": millis(when),
        "relevance": millis(when),
    }


@pytest.mark.parametrize(
    "value",
    [True, 0.75, "off_topic", {"tone": "friendly", "labels": ["a", "b"]}, ["too_long"]],
    ids=["bool", "number", "str", "dict", "list"],
)
def test_get_feedback_reads_back_what_mlflow_stored(client, chat, mlflow_client, value):
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    name = f"kind_{uuid.uuid4().hex[:8]}"
    sent = client.submit_feedback(
        trace_id=chat.trace_id,
        name=name,
        value=value,
        rationale="because",
        source="LLM_JUDGE",
        source_id="judge-1",
        metadata={"ui": "web"},
        client_time=when,
        wait_until_stored=True,
    )

    record = client.get_feedback(sent.assessment_id, client_request_id=chat.client_request_id)
    [stored] = assessments(mlflow_client, chat.trace_id, name)
    assert isinstance(record, FeedbackRecord)
    assert (record.assessment_id, record.trace_id, record.name) == (stored.assessment_id, chat.trace_id, name)
    assert record.value == stored.value == value and type(record.value) is type(value)
    assert (record.source, record.source_id, record.rationale) == ("LLM_JUDGE", "judge-1", "because")
    assert record.metadata == stored.metadata and record.metadata["ui"] == "web"
    assert record.create_time == when and record.create_time.tzinfo is not None
    assert record.update_time is not None and record.update_time >= when
    assert (record.current, record.overrides, record.overridden_by, record.span_id) == (True, "", "", "")


def test_get_and_list_show_the_current_vote_and_the_history_on_request(client, chat, mlflow_client):
    user, other = rater(), rater()
    up = client.thumbs_up(trace_id=chat.trace_id, source_id=user, wait_until_stored=True)
    down = client.thumbs_down(trace_id=chat.trace_id, source_id=user, wait_until_stored=True)
    theirs = client.rate(3, trace_id=chat.trace_id, source_id=other, wait_until_stored=True)

    replaced = client.get_feedback(up.assessment_id, trace_id=chat.trace_id)
    assert (replaced.current, replaced.overridden_by, replaced.value) == (False, down.assessment_id, True)
    current = list(client.list_feedback(trace_id=chat.trace_id))
    assert {r.assessment_id for r in current} == {down.assessment_id, theirs.assessment_id}
    assert all(r.current for r in current)
    history = list(client.list_feedback(client_request_id=chat.client_request_id, include_history=True))
    assert [r.assessment_id for r in history] == [a.assessment_id for a in chain(mlflow_client, chat.trace_id)]
    assert [r.assessment_id for r in client.list_feedback(trace_id=chat.trace_id, name="user_rating")] == [
        theirs.assessment_id
    ]


def test_list_by_source_iterates_over_every_page(client, service, mlflow_client):
    user = rater()
    sent = set()
    for _ in range(5):
        trace_id = new_chat(client, service).trace_id
        sent.add(client.thumbs_up(trace_id=trace_id, source_id=user, wait_until_stored=True).assessment_id)
        client.thumbs_down(trace_id=trace_id, source_id="someone-else", wait_until_stored=True)

    listed = [r.assessment_id for r in client.list_feedback(source_id=user, page_size=2)]
    assert sorted(listed) == sorted(sent)  # every one, once, over three pages
    now = datetime.now(UTC)
    assert list(client.list_feedback(source_id=user, start=now + timedelta(minutes=1))) == []
    assert (
        list(client.list_feedback(source_id=user, start=now - timedelta(hours=1), end=now - timedelta(minutes=30)))
        == []
    )


def test_list_by_source_pages_that_end_inside_one_traces_feedback_resume_there(client, service):
    user = rater()
    first, second = new_chat(client, service).trace_id, new_chat(client, service).trace_id
    sent = [
        client.rate(score, name=name, trace_id=first, source_id=user, wait_until_stored=True).assessment_id
        for score, name in ((1, "accuracy"), (2, "helpfulness"), (3, "relevance"))
    ]
    sent.append(client.thumbs_up(trace_id=second, source_id=user, wait_until_stored=True).assessment_id)

    for page_size in (1, 2, 3):
        listed = [r.assessment_id for r in client.list_feedback(source_id=user, page_size=page_size)]
        assert sorted(listed) == sorted(sent), page_size  # every one, once, however the pages fall


def test_a_listing_error_is_raised_while_iterating(client):
    records = client.list_feedback(trace_id=UNKNOWN_TRACE, page_size=5000)  # checked by the service
    with pytest.raises(FeedbackServiceError) as caught:
        next(records)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "page_size" in {v.field for v in caught.value.field_violations}


def test_get_of_an_unknown_feedback_is_not_found(client, chat):
    with pytest.raises(FeedbackServiceError) as caught:
        client.get_feedback(UNKNOWN_ASSESSMENT, trace_id=chat.trace_id)
    assert (caught.value.code, caught.value.reason) == (grpc.StatusCode.NOT_FOUND, "FEEDBACK_NOT_FOUND")


def test_correct_overrides_the_feedback_and_keeps_the_chain(client, chat, mlflow_client):
    original = client.rate(5, trace_id=chat.trace_id, source_id=rater(), wait_until_stored=True)
    corrected = client.correct_feedback(
        original.assessment_id,
        2,
        client_request_id=chat.client_request_id,
        rationale="the answer cites a deprecated API",
        source_id="expert-7",
        metadata={"review": "weekly"},
        wait_until_stored=True,
    )

    assert corrected.state == FeedbackState.STORED and corrected.trace_id == chat.trace_id
    first, second = chain(mlflow_client, chat.trace_id, "user_rating")
    assert (first.assessment_id, first.valid) == (original.assessment_id, False)
    assert (second.assessment_id, second.valid, second.value) == (corrected.assessment_id, True, 2)
    assert (second.overrides, second.source.source_id) == (original.assessment_id, "expert-7")
    assert (second.rationale, second.metadata["review"]) == ("the answer cites a deprecated API", "weekly")
    again = client.correct_feedback(
        original.assessment_id,
        2,
        trace_id=chat.trace_id,
        rationale="the answer cites a deprecated API",
        source_id="expert-7",
        metadata={"review": "weekly"},
        request_id=corrected.request_id,
        wait_until_stored=True,
    )
    assert again == corrected and len(chain(mlflow_client, chat.trace_id, "user_rating")) == 2  # a retry


def test_correct_without_a_reason_is_refused_and_changes_nothing(client, chat, mlflow_client):
    original = client.rate(5, trace_id=chat.trace_id, wait_until_stored=True)
    with pytest.raises(FeedbackServiceError) as caught:
        client.correct_feedback(original.assessment_id, 3, trace_id=chat.trace_id, rationale="", source_id="expert-7")
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "rationale" in {v.field for v in caught.value.field_violations}
    assert [a.assessment_id for a in chain(mlflow_client, chat.trace_id)] == [original.assessment_id]


def test_delete_removes_a_vote_with_its_history_and_all_on_trace_the_rest(client, chat, mlflow_client):
    user = rater()
    first = client.thumbs_up(trace_id=chat.trace_id, source_id=user, wait_until_stored=True)
    second = client.thumbs_down(trace_id=chat.trace_id, source_id=user, wait_until_stored=True)
    kept = client.thumbs_up(trace_id=chat.trace_id, source_id=rater(), wait_until_stored=True)

    deleted = client.delete_feedback(second.assessment_id, client_request_id=chat.client_request_id)
    assert deleted.trace_id == chat.trace_id
    assert sorted(deleted.deleted_assessment_ids) == sorted([first.assessment_id, second.assessment_id])
    assert [a.assessment_id for a in chain(mlflow_client, chat.trace_id)] == [kept.assessment_id]
    assert client.delete_feedback(second.assessment_id, trace_id=chat.trace_id) == DeleteResult(chat.trace_id, ())
    # A late retry of the deleted vote records nothing.
    again = client.thumbs_down(
        trace_id=chat.trace_id, source_id=user, request_id=second.request_id, wait_until_stored=True
    )
    assert again.state == FeedbackState.DELETED == "DELETED"
    everything = client.delete_feedback(trace_id=chat.trace_id, all_on_trace=True)
    assert everything == DeleteResult(chat.trace_id, (kept.assessment_id,))
    assert chain(mlflow_client, chat.trace_id) == []


def test_erase_source_reports_progress_and_returns_the_totals(client, service, mlflow_client):
    user = rater()
    kept = {}
    for _ in range(2):
        trace_id = new_chat(client, service).trace_id
        client.thumbs_up(trace_id=trace_id, source_id=user, wait_until_stored=True)
        client.thumbs_down(trace_id=trace_id, source_id=user, wait_until_stored=True)
        kept[trace_id] = client.thumbs_up(trace_id=trace_id, source_id="stays", wait_until_stored=True).assessment_id

    reports: list[EraseProgress] = []
    totals = client.erase_feedback_by_source(user, source="HUMAN", on_progress=reports.append)

    assert reports and reports[-1] == totals and totals.done
    assert (totals.feedback_deleted, totals.traces_changed) == (4, 2) and totals.traces_scanned >= 2
    assert all(not r.done for r in reports[:-1])
    for trace_id, assessment_id in kept.items():
        assert [a.assessment_id for a in chain(mlflow_client, trace_id)] == [assessment_id]
    assert list(client.list_feedback(source_id=user, include_history=True)) == []
    assert client.erase_feedback_by_source(user).feedback_deleted == 0  # nothing left: erasing again is harmless


# Checked before any call leaves


class Recorder(feedback_pb2_grpc.FeedbackServiceServicer):
    """A FeedbackService that only notes what reaches it."""

    def __init__(self):
        self.requests = []

    def _note(self, request, response):
        self.requests.append(request)
        return response

    def GetFeedback(self, request, context):
        return self._note(request, feedback_pb2.GetFeedbackResponse())

    def ListFeedback(self, request, context):
        return self._note(request, feedback_pb2.ListFeedbackResponse())

    def CorrectFeedback(self, request, context):
        return self._note(request, feedback_pb2.CorrectFeedbackResponse())

    def DeleteFeedback(self, request, context):
        return self._note(request, feedback_pb2.DeleteFeedbackResponse())

    def EraseFeedbackBySource(self, request, context):
        self.requests.append(request)
        return iter(())


@contextmanager
def serving(servicer):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    feedback_pb2_grpc.add_FeedbackServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


@pytest.fixture(scope="module")
def recorder():
    recorder = Recorder()
    with serving(recorder) as target, FeedbackClient(target) as client:
        yield recorder, client


def test_bad_arguments_are_refused_before_calling(recorder):
    recorder, client = recorder
    recorder.requests.clear()
    with pytest.raises(ValueError, match="exactly one of trace_id, client_request_id and source_id"):
        client.list_feedback()
    with pytest.raises(ValueError, match="exactly one of trace_id, client_request_id and source_id"):
        client.list_feedback(trace_id=UNKNOWN_TRACE, source_id="alice")
    with pytest.raises(ValueError, match="exactly one of assessment_id and all_on_trace"):
        client.delete_feedback(trace_id=UNKNOWN_TRACE)
    with pytest.raises(ValueError, match="exactly one of assessment_id and all_on_trace"):
        client.delete_feedback(UNKNOWN_ASSESSMENT, trace_id=UNKNOWN_TRACE, all_on_trace=True)
    with pytest.raises(ValueError, match="exactly one of trace_id and client_request_id"):
        client.get_feedback(UNKNOWN_ASSESSMENT)
    with pytest.raises(TypeError, match="feedback value must be"):
        client.correct_feedback(UNKNOWN_ASSESSMENT, None, trace_id=UNKNOWN_TRACE, rationale="r", source_id="e")
    with pytest.raises(TypeError, match="expected a datetime"):
        client.thumbs_up(trace_id=UNKNOWN_TRACE, client_time=1700000000)
    with pytest.raises(ValueError, match="source must be"):
        client.erase_feedback_by_source("alice", source="ROBOT")
    assert recorder.requests == []


def test_an_empty_erase_stream_is_reported_as_not_done(recorder):
    recorder, client = recorder
    assert client.erase_feedback_by_source("alice") == EraseProgress(done=False)


# feedbackctl


def test_ctl_list_and_get_print_lines_or_json(service, client, chat, mlflow_client, capsys):
    user = rater()
    up = client.thumbs_up(trace_id=chat.trace_id, source_id=user, rationale="nice", wait_until_stored=True)
    down = client.thumbs_down(trace_id=chat.trace_id, source_id=user, wait_until_stored=True)
    first, second = chain(mlflow_client, chat.trace_id)
    capsys.readouterr()

    assert ctl(service, "list", "--trace-id", chat.trace_id) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{down.assessment_id} {chat.trace_id} user_feedback=false by HUMAN:{user} at ")
    assert line.endswith(f" current, replaces {up.assessment_id}")

    assert ctl(service, "list", "--client-request-id", chat.client_request_id, "--history") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [first.assessment_id, second.assessment_id]
    assert lines[0].endswith(f" replaced by {down.assessment_id} - nice")

    assert ctl(service, "--json", "list", "--source-id", user, "--history", "--name", "user_feedback") == 0
    listed = json.loads(capsys.readouterr().out)["feedback"]
    assert [(r["assessment_id"], r["value"], r["current"]) for r in listed] == [
        (up.assessment_id, True, False),
        (down.assessment_id, False, True),
    ]
    assert datetime.fromisoformat(listed[0]["create_time"]).timestamp() * 1000 == first.create_time_ms

    assert ctl(service, "--json", "get", "--trace-id", chat.trace_id, "--assessment-id", up.assessment_id) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["overridden_by"], got["rationale"], got["source_id"]) == (down.assessment_id, "nice", user)
    assert ctl(service, "get", "--trace-id", chat.trace_id, "--assessment-id", UNKNOWN_ASSESSMENT) == 1
    assert capsys.readouterr().err.startswith("error: NOT_FOUND (FEEDBACK_NOT_FOUND): ")


def test_ctl_client_time_orders_a_raters_votes(service, chat, mlflow_client, capsys):
    user = rater()
    now = datetime.now(UTC).replace(microsecond=0)
    flags = ["--trace-id", chat.trace_id, "--source-id", user, "--wait"]
    assert ctl(service, "feedback", *flags, "--up", "--client-time", now.isoformat()) == 0
    earlier = (now - timedelta(minutes=5)).isoformat()
    assert ctl(service, "rate", *flags, "accuracy=2", "--client-time", earlier) == 0
    assert ctl(service, "feedback", *flags, "--down", "--client-time", earlier) == 0  # older: history

    votes = chain(mlflow_client, chat.trace_id, "user_feedback")
    assert [(v.value, v.valid, v.create_time_ms) for v in votes] == [
        (False, False, millis(now - timedelta(minutes=5))),
        (True, True, millis(now)),
    ]
    [accuracy] = assessments(mlflow_client, chat.trace_id, "accuracy")
    assert accuracy.create_time_ms == millis(now - timedelta(minutes=5))


def test_ctl_correct_and_delete(service, client, chat, mlflow_client, capsys):
    original = client.rate(5, trace_id=chat.trace_id, source_id=rater(), wait_until_stored=True)
    flags = ["--assessment-id", original.assessment_id, "--source-id", "expert-7", "--wait"]
    assert ctl(service, "correct", "--trace-id", chat.trace_id, *flags, "--rating", "2", "--comment", "wrong") == 0

    first, second = chain(mlflow_client, chat.trace_id)
    assert (first.valid, second.valid, second.value, second.rationale) == (False, True, 2, "wrong")
    assert capsys.readouterr().out == (
        f"assessment_id: {second.assessment_id} trace_id: {chat.trace_id} state: STORED\n"
    )

    assert ctl(service, "delete", "--trace-id", chat.trace_id, "--assessment-id", second.assessment_id) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"trace_id: {chat.trace_id} deleted: 2"
    assert sorted(out[1:]) == sorted([first.assessment_id, second.assessment_id])
    assert chain(mlflow_client, chat.trace_id) == []

    kept = client.thumbs_up(trace_id=chat.trace_id, wait_until_stored=True)
    assert ctl(service, "--json", "delete", "--client-request-id", chat.client_request_id, "--all") == 0
    assert json.loads(capsys.readouterr().out) == {
        "trace_id": chat.trace_id,
        "deleted_assessment_ids": [kept.assessment_id],
    }
    assert chain(mlflow_client, chat.trace_id) == []


def test_ctl_erase_shows_progress_then_the_totals(service, client, mlflow_client, capsys):
    user = rater()
    trace_ids = [new_chat(client, service).trace_id for _ in range(2)]
    for trace_id in trace_ids:
        client.thumbs_up(trace_id=trace_id, source_id=user, wait_until_stored=True)

    assert ctl(service, "erase", "--source-id", user) == 0
    captured = capsys.readouterr()
    [totals] = captured.out.splitlines()
    assert totals.startswith("traces scanned: ") and totals.endswith(" feedback deleted: 2 traces changed: 2")
    assert all(line.endswith(" so far") for line in captured.err.splitlines())
    assert all(chain(mlflow_client, trace_id) == [] for trace_id in trace_ids)

    assert ctl(service, "--json", "erase", "--source-id", user, "--source", "HUMAN") == 0
    erased = json.loads(capsys.readouterr().out)
    assert (erased["feedback_deleted"], erased["traces_changed"], erased["done"]) == (0, 0, True)


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],  # no scope
        ["list", "--trace-id", UNKNOWN_TRACE, "--source-id", "alice"],
        ["list", "--source-id", "alice", "--start", "last tuesday"],
        ["get", "--trace-id", UNKNOWN_TRACE],  # no --assessment-id
        ["correct", "--trace-id", UNKNOWN_TRACE, "--assessment-id", UNKNOWN_ASSESSMENT, "--source-id", "e", "--up"],
        [
            "correct",
            "--trace-id",
            UNKNOWN_TRACE,
            "--assessment-id",
            UNKNOWN_ASSESSMENT,
            "--source-id",
            "e",
            "--comment",
            "c",
        ],
        ["delete", "--trace-id", UNKNOWN_TRACE],  # neither --assessment-id nor --all
        ["delete", "--trace-id", UNKNOWN_TRACE, "--assessment-id", UNKNOWN_ASSESSMENT, "--all"],
        ["erase"],  # no --source-id
        ["feedback", "--trace-id", UNKNOWN_TRACE, "--up", "--client-time", "yesterday"],
    ],
)
def test_ctl_usage_errors_exit_2_without_calling(recorder, argv, capsys):
    recorder, client = recorder
    recorder.requests.clear()
    with pytest.raises(SystemExit) as caught:
        cli.main(argv, client=client)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert recorder.requests == []
