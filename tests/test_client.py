"""The Python client and feedbackctl against the real in-process service and a real MLflow server.

Assertions read what MLflow stored, not what the client returned; writes read back at once pass
wait_until_stored (by default the service answers once the feedback is journaled, PENDING, and
attaches it to MLflow just after). Failures the real service cannot produce on demand (a reply lost
on the way back, a FeedbackService that is always UNAVAILABLE, a status without details) come from
small gRPC servers on 127.0.0.1 in front of it or in its place.
"""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

import scripted_generators
from genaifeedback.client import (
    SERVICE_CONFIG,
    ErrorReason,
    FeedbackClient,
    FeedbackServiceError,
    FeedbackState,
    FeedbackStatus,
    FieldViolation,
    FieldViolationReason,
    channel_options,
    cli,
    create_channel,
    method_timeout,
)
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc
from support import assessments

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_TRACE = "tr-" + "0" * 32
RETRY_POLICY = json.loads(SERVICE_CONFIG)["methodConfig"][0]["retryPolicy"]


@pytest.fixture(scope="module")
def client(service):
    with FeedbackClient(service.target) as client:
        yield client


def new_chat(client, service, **fields):
    """A finished chat (CompleteChat) whose trace MLflow has stored."""
    result = client.complete_chat("What is MLflow?", client_request_id=f"py-client-{uuid.uuid4()}", **fields)
    service.wait_stored(result.trace_id)
    return result


@pytest.fixture(scope="module")
def shared_chat(client, service):
    """One trace for the tests that each write under their own assessment name."""
    return new_chat(client, service)


@pytest.fixture
def fresh_chat(client, service):
    return new_chat(client, service)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def only(mlflow_client, trace_id: str, name: str):
    [stored] = assessments(mlflow_client, trace_id, name)
    return stored


@contextmanager
def serving(*registrations):
    """A real gRPC server on a free 127.0.0.1 port with the given (add_..._to_server, servicer) pairs."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for add, servicer in registrations:
        add(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None)


def rich_status(code: grpc.StatusCode, message: str, *details) -> grpc.Status:
    """A status as the service builds it: google.rpc.Status with the given details packed."""
    packed = []
    for detail in details:
        packed.append(any_pb2.Any())
        packed[-1].Pack(detail)
    return rpc_status.to_status(status_pb2.Status(code=getattr(code_pb2, code.name), message=message, details=packed))


def unavailable(message: str) -> grpc.Status:
    return rich_status(
        grpc.StatusCode.UNAVAILABLE,
        message,
        error_details_pb2.ErrorInfo(reason="MLFLOW_UNAVAILABLE", domain="genaifeedback"),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(nanos=250_000_000)),
    )


# Chat


def test_chat_streams_the_tokens_mlflow_stores_in_order(client, service, mlflow_client):
    with client.chat(
        "What is MLflow?",
        history=[("system", "Be brief.")],
        user_id="alice",
        session_id="s-7",
        tags={"team": "docs"},
        max_tokens=12,
    ) as stream:
        tokens = list(stream)

    assert tokens and stream.done  # the demo model outruns the stream here: chunks arrive coalesced
    assert (stream.finish_reason, stream.usage.output_tokens) == ("length", 12)
    assert str(uuid.UUID(stream.client_request_id)) == stream.client_request_id  # generated for us
    service.wait_stored(stream.trace_id)
    trace = mlflow_client.get_trace(stream.trace_id)
    assert trace.data.spans[0].outputs == "".join(tokens) == stream.text
    assert trace.data.spans[0].inputs["messages"][0] == {"role": "system", "content": "Be brief."}
    assert trace.info.tags["client_request_id"] == stream.client_request_id
    assert trace.info.tags["team"] == "docs" and trace.info.tags["chat.outcome"] == "ok"
    assert trace.info.trace_metadata["mlflow.trace.user"] == "alice"
    assert trace.info.trace_metadata["mlflow.trace.session"] == "s-7"


@pytest.fixture(scope="module")
def slow_replica(start_service):
    """A service whose model streams forever, slowly: only the caller can end its chats."""
    return start_service(generator="callable", callable="scripted_generators:slow_forever")


def test_trace_id_comes_before_any_token_and_leaving_the_with_cancels(slow_replica, mlflow_client):
    with FeedbackClient(slow_replica.target) as client:
        with client.chat("never ends", client_request_id="py-cancel-1") as stream:
            trace_id = stream.trace_id
            assert trace_id.startswith("tr-") and stream.text == ""  # known before any token
            received = [next(stream) for _ in range(3)]
        assert stream.done
        assert scripted_generators.closed.wait(10), "the service kept generating after the with block"

    slow_replica.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    assert trace.info.tags["chat.outcome"] == "cancelled"
    assert trace.info.tags["client_request_id"] == "py-cancel-1"
    assert trace.data.spans[0].outputs.startswith("".join(received))


def test_complete_returns_the_answer_mlflow_stores(client, service, mlflow_client):
    result = client.complete_chat(
        "Hi", history=[("user", "Hello"), ("assistant", "Hi!")], client_request_id="py-complete-1", max_tokens=5
    )

    assert (result.client_request_id, result.finish_reason, result.usage.output_tokens) == (
        "py-complete-1",
        "length",
        5,
    )
    service.wait_stored(result.trace_id)
    trace = mlflow_client.get_trace(result.trace_id)
    assert trace.data.spans[0].outputs == result.text
    assert [m["content"] for m in trace.data.spans[0].inputs["messages"]] == ["Hello", "Hi!", "Hi"]
    assert trace.info.tags["client_request_id"] == "py-complete-1"


# Feedback


@pytest.mark.parametrize("target", ["trace_id", "client_request_id"])
@pytest.mark.parametrize(
    "value",
    [True, False, 4, 0.75, "off_topic", {"tone": "friendly", "labels": ["a", "b"]}, ["too_long", "no_sources"]],
    ids=["true", "false", "int", "float", "str", "dict", "list"],
)
def test_feedback_value_kind_follows_the_python_type(client, shared_chat, mlflow_client, target, value):
    name = unique("kind")
    result = client.submit_feedback(
        value=value, name=name, wait_until_stored=True, **{target: getattr(shared_chat, target)}
    )

    assert result.state == FeedbackState.STORED == "STORED"
    stored = only(mlflow_client, shared_chat.trace_id, name)
    assert stored.assessment_id == result.assessment_id and result.trace_id == shared_chat.trace_id
    assert stored.value == value and type(stored.value) is (float if type(value) is int else type(value))
    assert stored.source.source_type == "HUMAN"
    assert str(uuid.UUID(result.request_id)) == result.request_id  # generated per call


def test_feedback_options_are_stored_and_a_resent_request_id_is_recorded_once(client, shared_chat, mlflow_client):
    root_span = mlflow_client.get_trace(shared_chat.trace_id).data.spans[0].span_id
    name, request_id = unique("stars"), f"req-{uuid.uuid4()}"
    options = dict(
        client_request_id=shared_chat.client_request_id,
        name=name,
        rationale="good but long",
        source="LLM_JUDGE",
        source_id="judge-v1",
        metadata={"ui": "web"},
        span_id=root_span,
        request_id=request_id,
        wait_until_stored=True,
    )
    first = client.rate(4, **options)
    again = client.rate(4, **options)

    assert again == first and (first.request_id, first.state) == (request_id, "STORED")
    stored = only(mlflow_client, shared_chat.trace_id, name)
    assert (stored.assessment_id, stored.value, stored.rationale) == (first.assessment_id, 4.0, "good but long")
    assert (stored.source.source_type, stored.source.source_id) == ("LLM_JUDGE", "judge-v1")
    assert (stored.metadata, stored.span_id) == ({"ui": "web"}, root_span)


def test_thumbs_up_and_down(client, fresh_chat, mlflow_client):
    up = client.thumbs_up(trace_id=fresh_chat.trace_id, rationale="spot on", wait_until_stored=True)
    down = client.thumbs_down(
        client_request_id=fresh_chat.client_request_id, name="second_look", wait_until_stored=True
    )

    assert up.state == down.state == FeedbackState.STORED
    stored = {a.name: (a.value, a.rationale) for a in assessments(mlflow_client, fresh_chat.trace_id)}
    assert stored == {"user_feedback": (True, "spot on"), "second_look": (False, None)}


def test_rate_dimensions_stores_one_assessment_per_dimension(client, fresh_chat, mlflow_client):
    result = client.submit_ratings(
        client_request_id=fresh_chat.client_request_id,
        ratings={"accuracy": 4, "helpfulness": 5},
        rationale="clear",
        metadata={"ui": "web"},
        wait_until_stored=True,
    )

    assert result.state == FeedbackState.STORED
    stored = {a.name: a for a in assessments(mlflow_client, fresh_chat.trace_id)}
    assert {name: a.value for name, a in stored.items()} == {"accuracy": 4, "helpfulness": 5}
    assert {name: a.assessment_id for name, a in stored.items()} == result.assessment_ids
    assert {(a.rationale, a.source.source_type) for a in stored.values()} == {("clear", "HUMAN")}
    assert stored["accuracy"].metadata["ui"] == "web"
    assert result.trace_id == fresh_chat.trace_id and result.request_id
    assert result.assessment_id == result.assessment_ids["accuracy"]  # the set's id: first in name order


def poll_until_settled(client, **which) -> FeedbackStatus:
    """Ask feedback_status until the feedback is no longer PENDING (at most 30 s, backing off)."""
    deadline, pause = time.monotonic() + 30, 0.01
    while (status := client.get_feedback_status(**which)).state == FeedbackState.PENDING:
        assert time.monotonic() < deadline, f"still PENDING after 30 s: {which}"
        time.sleep(pause)  # ok: between polls only: what ends the loop is the state the service reports
        pause = min(pause * 2, 0.25)
    return status


def test_without_waiting_the_answer_is_journaled_and_feedback_status_follows_it_to_mlflow(
    client, fresh_chat, mlflow_client
):
    name = unique("unwaited")
    feedback = client.thumbs_up(client_request_id=fresh_chat.client_request_id, name=name)
    ratings = client.submit_ratings(trace_id=fresh_chat.trace_id, ratings={"tone": 2, "accuracy": 5})
    assert {feedback.state, ratings.state} <= {FeedbackState.PENDING, FeedbackState.STORED}

    # By the request id, with the target it was sent to; then by assessment id, with the other target.
    status = poll_until_settled(client, client_request_id=fresh_chat.client_request_id, request_id=feedback.request_id)
    assert status == FeedbackStatus("STORED", fresh_chat.trace_id, {name: feedback.assessment_id}, "")
    assert client.get_feedback_status(trace_id=fresh_chat.trace_id, assessment_id=feedback.assessment_id) == status
    rated = poll_until_settled(client, trace_id=fresh_chat.trace_id, assessment_id=ratings.assessment_id)
    assert (rated.state, rated.trace_id, rated.assessment_ids) == (
        "STORED",
        fresh_chat.trace_id,
        ratings.assessment_ids,
    )

    stored = {a.name: a for a in assessments(mlflow_client, fresh_chat.trace_id)}
    assert {n: (a.assessment_id, a.value) for n, a in stored.items()} == {
        name: (feedback.assessment_id, True),
        "accuracy": (ratings.assessment_ids["accuracy"], 5),
        "tone": (ratings.assessment_ids["tone"], 2),
    }


WINDOW_SECONDS = 2.0


@pytest.fixture(scope="module")
def short_window_replica(start_service):
    """A service that waits only WINDOW_SECONDS for a feedback's trace to appear before calling it EXPIRED."""
    return start_service(feedback_attach_window_seconds=WINDOW_SECONDS)


@pytest.mark.slow  # a long scenario: a 1 s wait, then a 2 s window waited out
def test_an_unknown_client_request_id_is_pending_until_the_window_expires_it(service, short_window_replica, capsys):
    # While the window is open (the service's own is 600 s, far beyond this test): waiting answers
    # PENDING just before the call's deadline, rather than failing it, and the status says PENDING.
    target = dict(client_request_id=f"not-yet-chatted-{uuid.uuid4()}", request_id=f"req-{uuid.uuid4()}")
    with FeedbackClient(service.target, timeout=1.0) as impatient:
        waited = impatient.thumbs_up(**target, wait_until_stored=True)
        assert (waited.state, waited.trace_id) == (FeedbackState.PENDING, "")
        assert impatient.get_feedback_status(**target) == FeedbackStatus(
            "PENDING", "", {"user_feedback": waited.assessment_id}, ""
        )
    with FeedbackClient(service.target) as client:  # then the chat comes, and the feedback lands on it
        chat = client.complete_chat("late after all", client_request_id=target["client_request_id"])
        landed = client.thumbs_up(**target, wait_until_stored=True)
        assert (landed.state, landed.trace_id) == (FeedbackState.STORED, chat.trace_id)
        assert landed.assessment_id == waited.assessment_id

    # On a replica whose window is 2 s, for a chat that never comes: the waiting call ends when the
    # service expires the feedback (never before the window is over), and the status says why.
    client_request_id, request_id = f"never-chatted-{uuid.uuid4()}", f"req-{uuid.uuid4()}"
    target = dict(client_request_id=client_request_id, request_id=request_id)
    with FeedbackClient(short_window_replica.target) as client:
        sent = time.monotonic()
        with pytest.raises(FeedbackServiceError) as caught:
            client.thumbs_up(**target, wait_until_stored=True)
        assert time.monotonic() - sent >= WINDOW_SECONDS
        status = client.get_feedback_status(**target)
        [assessment_id] = status.assessment_ids.values()
        assert client.get_feedback_status(client_request_id=client_request_id, assessment_id=assessment_id) == status

    error = caught.value
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.NOT_FOUND, "TRACE_NOT_FOUND", "genaifeedback")
    assert error.metadata == {"client_request_id": client_request_id}
    assert status == FeedbackStatus("EXPIRED", "", {"user_feedback": assessment_id}, ErrorReason.TRACE_NOT_FOUND)

    assert (
        ctl(short_window_replica, "status", "--client-request-id", client_request_id, "--request-id", request_id) == 0
    )
    assert capsys.readouterr().out == (
        f"state: EXPIRED trace_id: - reason: TRACE_NOT_FOUND\nuser_feedback: {assessment_id}\n"
    )


class Recorder(feedback_pb2_grpc.FeedbackServiceServicer):
    """A FeedbackService that only notes what reaches it."""

    def __init__(self):
        self.requests = []

    def SubmitFeedback(self, request, context):
        self.requests.append(request)
        return feedback_pb2.SubmitFeedbackResponse()


@pytest.fixture(scope="module")
def recorder():
    recorder = Recorder()
    with serving((feedback_pb2_grpc.add_FeedbackServiceServicer_to_server, recorder)) as target:
        with FeedbackClient(target) as client:
            yield recorder, client


@pytest.mark.parametrize("value", [None, b"bytes", ("a", "tuple"), {1, 2}, object()])
def test_other_value_types_are_refused_before_calling(recorder, value):
    recorder, client = recorder
    with pytest.raises(TypeError, match="feedback value must be"):
        client.submit_feedback(trace_id=UNKNOWN_TRACE, value=value)
    with pytest.raises(TypeError, match="score must be a number"):
        client.rate(True, trace_id=UNKNOWN_TRACE)
    assert recorder.requests == []


@pytest.mark.parametrize("target", [{}, {"trace_id": UNKNOWN_TRACE, "client_request_id": "my-id"}])
def test_exactly_one_target_is_checked_before_calling(recorder, target):
    recorder, client = recorder
    with pytest.raises(ValueError, match="exactly one"):
        client.thumbs_up(**target)
    with pytest.raises(ValueError, match="exactly one"):
        client.submit_ratings(ratings={"accuracy": 4}, **target)
    with pytest.raises(ValueError, match="exactly one"):
        client.get_feedback_status(request_id="r-1", **target)
    assert recorder.requests == []


@pytest.mark.parametrize("which", [{}, {"request_id": "r-1", "assessment_id": "a-" + "0" * 32}])
def test_exactly_one_of_request_id_and_assessment_id_is_checked_before_calling(recorder, which):
    recorder, client = recorder
    with pytest.raises(ValueError, match="exactly one of request_id and assessment_id"):
        client.get_feedback_status(trace_id=UNKNOWN_TRACE, **which)
    assert recorder.requests == []


# Errors: the service's google.rpc details, decoded


def test_invalid_field_lists_every_violation_with_its_reason(client, fresh_chat, mlflow_client):
    with pytest.raises(FeedbackServiceError) as caught:
        client.submit_feedback(trace_id=fresh_chat.trace_id, value=True, name="abc\n", source_id="alice\n")

    error = caught.value
    assert (error.code, error.reason, error.domain) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_FIELD",
        "genaifeedback",
    )
    assert error.reason == ErrorReason.INVALID_FIELD
    assert sorted((v.field, v.reason) for v in error.field_violations) == [
        ("name", FieldViolationReason.INVALID_FORMAT),
        ("source.id", "INVALID_FORMAT"),
    ]
    assert all(isinstance(v, FieldViolation) and v.description for v in error.field_violations)
    assert (error.retry_delay, error.resource, error.trace_id) == (None, None, None)
    assert assessments(mlflow_client, fresh_chat.trace_id) == []


def test_trace_not_found_names_the_trace_in_metadata_and_resource(client):
    with pytest.raises(FeedbackServiceError) as caught:
        client.thumbs_up(trace_id=UNKNOWN_TRACE)

    error = caught.value
    assert (error.code, error.reason, error.domain) == (grpc.StatusCode.NOT_FOUND, "TRACE_NOT_FOUND", "genaifeedback")
    assert error.metadata == {"trace_id": UNKNOWN_TRACE}
    assert error.resource == UNKNOWN_TRACE
    assert error.field_violations == [] and error.retry_delay is None


@pytest.fixture(scope="module")
def failing_replica(start_service):
    """A service whose model yields three tokens, then crashes."""
    return start_service(generator="callable", callable="scripted_generators:three_then_boom")


def test_a_failed_chat_names_its_trace(failing_replica, mlflow_client):
    with FeedbackClient(failing_replica.target) as client:
        stream = client.chat("crash please")
        received = []
        with pytest.raises(FeedbackServiceError) as caught:
            received.extend(stream)
        with pytest.raises(FeedbackServiceError):  # a failed stream does not later look finished
            next(stream)
        with pytest.raises(FeedbackServiceError) as complete_failure:
            client.complete_chat("crash please")

    for error in (caught.value, complete_failure.value):
        assert (error.code, error.reason) == (grpc.StatusCode.INTERNAL, "GENERATION_FAILED")
        assert "boom: the model crashed" in error.message
        assert error.trace_id.startswith("tr-") and error.metadata["trace_id"] == error.trace_id
    assert caught.value.trace_id == stream.trace_id and "".join(received) == "one two three"
    for error in (caught.value, complete_failure.value):
        failing_replica.wait_stored(error.trace_id)
        assert mlflow_client.get_trace_info(error.trace_id).tags["chat.outcome"] == "error"


class BareFailure(chat_pb2_grpc.ChatServiceServicer):
    """A Chat that fails without google.rpc details; maybe with the `mlflow-trace-id` trailer."""

    def __init__(self, trailer: bool):
        self.trailer = trailer

    def Chat(self, request, context):
        yield chat_pb2.ChatResponse(started=chat_pb2.ChatStarted(trace_id="tr-" + "1" * 32))
        if self.trailer:
            context.set_trailing_metadata((("mlflow-trace-id", "tr-" + "2" * 32),))
        context.abort(grpc.StatusCode.INTERNAL, "a proxy gave up")


@pytest.mark.parametrize(("trailer", "trace_id"), [(True, "tr-" + "2" * 32), (False, "tr-" + "1" * 32)])
def test_without_error_info_the_trace_id_comes_from_the_trailer_else_the_started_event(trailer, trace_id):
    servicer = BareFailure(trailer)
    with serving((chat_pb2_grpc.add_ChatServiceServicer_to_server, servicer)) as target:
        with FeedbackClient(target) as client, pytest.raises(FeedbackServiceError) as caught:
            list(client.chat("hi"))
    error = caught.value
    assert (error.code, error.message, error.trace_id) == (grpc.StatusCode.INTERNAL, "a proxy gave up", trace_id)
    assert (error.reason, error.domain, error.metadata, error.field_violations) == ("", "", {}, [])


# Retries: the channel's, from the shipped service config


def test_the_packaged_service_config_is_the_projects():
    assert json.loads(SERVICE_CONFIG) == json.loads((ROOT / "clients" / "service_config.json").read_text())
    options = dict(channel_options())
    assert options["grpc.enable_retries"] == 1
    # The channel keeps the retry policies; the timeouts go with each call (gRPC Python would not send them).
    shipped, applied = (
        json.loads(SERVICE_CONFIG)["methodConfig"],
        json.loads(options["grpc.service_config"])["methodConfig"],
    )
    assert applied == [{k: v for k, v in entry.items() if k != "timeout"} for entry in shipped]
    assert (method_timeout("SubmitFeedback"), method_timeout("Chat"), method_timeout("EraseFeedbackBySource")) == (
        30.0,
        600.0,
        600.0,
    )
    assert method_timeout("WatchFeedback") is None  # a live feed: as long as the caller watches
    assert RETRY_POLICY["retryableStatusCodes"] == ["UNAVAILABLE"]


class LostReply(feedback_pb2_grpc.FeedbackServiceServicer):
    """Forwards SubmitFeedback to the real service but answers the first attempt UNAVAILABLE after
    the real service has recorded it: a reply lost on the way back."""

    def __init__(self, real: feedback_pb2_grpc.FeedbackServiceStub):
        self.real = real
        self.lock = threading.Lock()
        self.request_ids = []
        self.lost = []  # assessment ids whose reply was dropped

    def SubmitFeedback(self, request, context):
        with self.lock:
            self.request_ids.append(request.request_id)
            first = len(self.request_ids) == 1
        response = self.real.SubmitFeedback(request, timeout=30)
        if not first:
            return response
        self.lost.append(response.assessment_id)
        context.abort_with_status(unavailable("connection reset before the reply"))


def test_the_channel_retries_a_lost_reply_with_the_same_request_id(service, shared_chat, mlflow_client):
    lost_reply = LostReply(service.feedback)
    name = unique("lost_reply")
    with serving((feedback_pb2_grpc.add_FeedbackServiceServicer_to_server, lost_reply)) as target:
        with FeedbackClient(target) as client:
            result = client.thumbs_up(trace_id=shared_chat.trace_id, name=name, wait_until_stored=True)

    assert lost_reply.request_ids == [result.request_id] * 2 and result.state == "STORED"
    assert lost_reply.lost == [result.assessment_id]
    assert only(mlflow_client, shared_chat.trace_id, name).assessment_id == result.assessment_id


class Down(feedback_pb2_grpc.FeedbackServiceServicer):
    """A FeedbackService whose MLflow is down: every call is UNAVAILABLE."""

    def __init__(self):
        self.lock = threading.Lock()
        self.request_ids = []

    def SubmitRatings(self, request, context):
        with self.lock:
            self.request_ids.append(request.request_id)
        context.abort_with_status(unavailable("MLflow is unavailable"))


@pytest.mark.slow  # a long scenario: the retry policy's backoffs
def test_retries_stop_at_the_configs_max_attempts_on_a_channel_of_ones_own():
    down = Down()
    with serving((feedback_pb2_grpc.add_FeedbackServiceServicer_to_server, down)) as target:
        with create_channel(target) as channel, pytest.raises(FeedbackServiceError) as caught:
            FeedbackClient(channel=channel).submit_ratings(trace_id=UNKNOWN_TRACE, ratings={"accuracy": 4})

    error = caught.value
    assert len(down.request_ids) == RETRY_POLICY["maxAttempts"] == 5
    assert len(set(down.request_ids)) == 1
    assert (error.code, error.reason, error.retry_delay) == (grpc.StatusCode.UNAVAILABLE, "MLFLOW_UNAVAILABLE", 0.25)


def test_a_channel_passed_in_keeps_its_own_config():
    down = Down()
    with serving((feedback_pb2_grpc.add_FeedbackServiceServicer_to_server, down)) as target:
        with grpc.insecure_channel(target) as channel, pytest.raises(FeedbackServiceError):
            FeedbackClient(channel=channel).submit_ratings(trace_id=UNKNOWN_TRACE, ratings={"accuracy": 4})
    assert len(down.request_ids) == 1  # no service config on that channel: no retries


# feedbackctl


def ctl(service, *argv: str) -> int:
    return cli.main(["--target", service.target, *argv])


def test_ctl_chat_streams_to_stdout_and_reports_on_stderr(service, mlflow_client, capsys):
    assert (
        ctl(
            service,
            "chat",
            "What is MLflow?",
            "--max-tokens",
            "6",
            "--tag",
            "team=docs",
            "--client-request-id",
            "py-ctl-chat-1",
            "--user-id",
            "bob",
        )
        == 0
    )

    out, err = capsys.readouterr()
    trace_id = err.split()[1]
    assert err == f"trace_id: {trace_id} client_request_id: py-ctl-chat-1 finish_reason: length tokens: 3/6\n"
    service.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    assert out == trace.data.spans[0].outputs + "\n"
    assert (trace.info.tags["team"], trace.info.tags["client_request_id"]) == ("docs", "py-ctl-chat-1")
    assert trace.info.trace_metadata["mlflow.trace.user"] == "bob"


def test_ctl_chat_interrupted_exits_130_and_cancels(slow_replica, mlflow_client, monkeypatch, capsys):
    class InterruptedTerminal:
        def write(self, text):
            raise KeyboardInterrupt  # Ctrl-C while the first token is printed

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", InterruptedTerminal())
    assert ctl(slow_replica, "chat", "never ends", "--client-request-id", "py-ctl-cancel-1") == 130

    assert scripted_generators.closed.wait(10), "the service kept generating after Ctrl-C"
    err = capsys.readouterr().err
    assert err.startswith("\ncancelled; trace_id: tr-") and err.endswith(" client_request_id: py-ctl-cancel-1\n")
    trace_id = err.split()[2]
    slow_replica.wait_stored(trace_id)
    assert mlflow_client.get_trace_info(trace_id).tags["chat.outcome"] == "cancelled"


def test_ctl_chat_failure_exits_1_with_reason_and_trace_id(failing_replica, capsys):
    assert ctl(failing_replica, "chat", "crash please") == 1

    out, err = capsys.readouterr()
    assert out == "one two three\n"
    first, trace_line = err.splitlines()
    assert first.startswith("error: INTERNAL (GENERATION_FAILED): ") and "boom: the model crashed" in first
    assert trace_line.startswith("trace_id: tr-")


@pytest.mark.parametrize(
    ("flags", "name", "value", "rationale"),
    [
        (["--up", "--comment", "spot on"], "user_feedback", True, "spot on"),
        (["--down"], "user_feedback", False, None),
        (["--rating", "4"], "user_rating", 4, None),
        (["--rating", "4.5", "--name", "score"], "score", 4.5, None),
        (["--value", "off_topic", "--name", "category"], "category", "off_topic", None),
        (["--json", '{"labels": ["a", "b"]}', "--name", "labels"], "labels", {"labels": ["a", "b"]}, None),
        (["--comment", "too long"], "user_comment", "too long", None),  # a bare comment is a text feedback
    ],
    ids=["up", "down", "rating", "named-rating", "value", "json", "comment"],
)
def test_ctl_feedback_stores_each_kind(service, fresh_chat, mlflow_client, capsys, flags, name, value, rationale):
    assert (
        ctl(
            service,
            "feedback",
            "--client-request-id",
            fresh_chat.client_request_id,
            *flags,
            "--meta",
            "ui=cli",
            "--source",
            "CODE",
            "--source-id",
            "nightly",
            "--wait",
        )
        == 0
    )

    stored = only(mlflow_client, fresh_chat.trace_id, name)
    assert capsys.readouterr().out == (
        f"assessment_id: {stored.assessment_id} trace_id: {fresh_chat.trace_id} state: STORED\n"
    )
    assert (stored.value, stored.rationale, stored.metadata["ui"]) == (value, rationale, "cli")
    assert (stored.source.source_type, stored.source.source_id) == ("CODE", "nightly")


def test_ctl_rate_stores_and_prints_each_dimension(service, fresh_chat, mlflow_client, capsys):
    assert (
        ctl(service, "rate", "--trace-id", fresh_chat.trace_id, "tone=2", "accuracy=4", "--comment", "terse", "--wait")
        == 0
    )

    stored = {a.name: a for a in assessments(mlflow_client, fresh_chat.trace_id)}
    assert {n: (a.value, a.rationale) for n, a in stored.items()} == {"accuracy": (4, "terse"), "tone": (2, "terse")}
    assert capsys.readouterr().out.splitlines() == [
        f"trace_id: {fresh_chat.trace_id} state: STORED",
        f"accuracy: {stored['accuracy'].assessment_id}",
        f"tone: {stored['tone'].assessment_id}",
    ]


def test_ctl_status_of_a_feedback_sent_with_its_own_request_id(service, fresh_chat, mlflow_client, capsys):
    request_id = f"ctl-{uuid.uuid4()}"
    assert (
        ctl(service, "feedback", "--trace-id", fresh_chat.trace_id, "--down", "--request-id", request_id, "--wait") == 0
    )
    sent = capsys.readouterr().out

    assert ctl(service, "status", "--trace-id", fresh_chat.trace_id, "--request-id", request_id) == 0
    stored = only(mlflow_client, fresh_chat.trace_id, "user_feedback")
    assert sent == f"assessment_id: {stored.assessment_id} trace_id: {fresh_chat.trace_id} state: STORED\n"
    assert capsys.readouterr().out == (
        f"state: STORED trace_id: {fresh_chat.trace_id}\nuser_feedback: {stored.assessment_id}\n"
    )

    assert ctl(service, "status", "--trace-id", UNKNOWN_TRACE, "--request-id", request_id) == 1
    assert capsys.readouterr().err.startswith("error: NOT_FOUND (FEEDBACK_NOT_FOUND): ")


def test_ctl_refused_feedback_exits_1_with_the_violations_and_their_reasons(service, fresh_chat, mlflow_client, capsys):
    assert ctl(service, "feedback", "--trace-id", fresh_chat.trace_id, "--up", "--name", "abc\n") == 1

    first, violation = capsys.readouterr().err.splitlines()
    assert first.startswith("error: INVALID_ARGUMENT (INVALID_FIELD): invalid request: name: ")
    assert violation.startswith("  name: ") and violation.endswith(" [INVALID_FORMAT]")
    assert assessments(mlflow_client, fresh_chat.trace_id) == []


@pytest.mark.slow  # the feedbackctl command as a process
def test_feedbackctl_command_finds_the_service_from_the_environment(service):
    feedbackctl = Path(sys.executable).parent / "feedbackctl"
    env = {**os.environ, "FEEDBACK_SERVICE_TARGET": service.target}
    done = subprocess.run(
        [feedbackctl, "feedback", "--trace-id", UNKNOWN_TRACE, "--up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("error: NOT_FOUND (TRACE_NOT_FOUND): ")


@pytest.mark.parametrize(
    "argv",
    [
        ["feedback", "--trace-id", UNKNOWN_TRACE],  # no value and no comment
        ["feedback", "--trace-id", UNKNOWN_TRACE, "--client-request-id", "my-id", "--up"],
        ["feedback", "--trace-id", UNKNOWN_TRACE, "--up", "--down"],
        ["feedback", "--trace-id", UNKNOWN_TRACE, "--json", "3"],  # JSON scalars have their own flags
        ["feedback", "--trace-id", UNKNOWN_TRACE, "--json", "{"],
        ["rate", "--trace-id", UNKNOWN_TRACE, "accuracy=high"],
        ["rate", "--trace-id", UNKNOWN_TRACE, "accuracy=4", "accuracy=5"],
        ["status", "--trace-id", UNKNOWN_TRACE],  # neither --request-id nor --assessment-id
        ["status", "--trace-id", UNKNOWN_TRACE, "--request-id", "r-1", "--assessment-id", "a-" + "0" * 32],
        ["status", "--request-id", "r-1"],  # no target
        ["chat"],
    ],
)
def test_ctl_usage_errors_exit_2_without_calling(recorder, argv, capsys):
    recorder, client = recorder
    with pytest.raises(SystemExit) as caught:
        cli.main(argv, client=client)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert recorder.requests == []
