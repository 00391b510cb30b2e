"""The Python client and feedbackctl against a scripted server (grpc_testing): no service, no MLflow.

Each test runs the client call in a background thread while the test thread plays the server:
it takes the call, checks the request the client sent, and answers.
"""

import queue
import threading
import uuid
from concurrent.futures import Future

import grpc
import grpc_testing
import pytest
from google.protobuf import any_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from genaifeedback.v1 import chat_pb2, feedback_pb2
from genaifeedback.client import cli
from genaifeedback.client.client import (
    ChatResult,
    FeedbackClient,
    FeedbackResult,
    FeedbackServiceError,
    RatingsResult,
    RetryPolicy,
    Usage,
)

pytestmark = pytest.mark.timeout(10)  # a client that never calls (or never returns) fails fast

CHAT_SERVICE = chat_pb2.DESCRIPTOR.services_by_name["ChatService"]
FEEDBACK_SERVICE = feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"]
CHAT = CHAT_SERVICE.methods_by_name["Chat"]
COMPLETE_CHAT = CHAT_SERVICE.methods_by_name["CompleteChat"]
SUBMIT_FEEDBACK = FEEDBACK_SERVICE.methods_by_name["SubmitFeedback"]
SUBMIT_RATINGS = FEEDBACK_SERVICE.methods_by_name["SubmitRatings"]

TRACE_ID = "tr-" + "0123456789abcdef" * 2
ASSESSMENT_ID = "a-" + "fedcba9876543210" * 2
OK = grpc.StatusCode.OK
WAIT = 5  # seconds; only ever reached when a test fails


@pytest.fixture
def server():
    return grpc_testing.channel([CHAT_SERVICE, FEEDBACK_SERVICE], grpc_testing.strict_real_time())


@pytest.fixture
def client(server):
    return FeedbackClient(channel=server, retry=RetryPolicy(initial_backoff=0.0))


def in_background(function, *args, **kwargs) -> Future:
    """Run the client side in a daemon thread: a test that fails cannot hang the run on exit."""
    future = Future()

    def run():
        try:
            future.set_result(function(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the test through the future
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


def started(client_request_id=""):
    return chat_pb2.ChatResponse(
        started=chat_pb2.ChatStarted(trace_id=TRACE_ID, client_request_id=client_request_id)
    )


def token(text):
    return chat_pb2.ChatResponse(token=chat_pb2.ChatToken(text=text))


def finished(reason=chat_pb2.FINISH_REASON_STOP):
    usage = chat_pb2.TokenUsage(input_tokens=3, output_tokens=2, total_tokens=5)
    return chat_pb2.ChatResponse(
        finished=chat_pb2.ChatFinished(trace_id=TRACE_ID, finish_reason=reason, usage=usage)
    )


def rich_status(code: grpc.StatusCode, message: str, *violations: tuple[str, str]) -> grpc.Status:
    """A status as the service sends it: google.rpc.Status with BadRequest details."""
    bad_request = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field=f, description=d) for f, d in violations]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message, details=[detail]))


def answer_feedback(server, response=None, code=OK, details="", trailing=()):
    """Take one SubmitFeedback call and end it; returns the request the client sent."""
    _, request, rpc = server.take_unary_unary(SUBMIT_FEEDBACK)
    if response is None and code is OK:
        response = feedback_pb2.SubmitFeedbackResponse(assessment_id=ASSESSMENT_ID, trace_id=TRACE_ID)
    rpc.terminate(response, trailing, code, details)
    return request


# Chat


def test_chat_yields_tokens_in_order_then_reports_trace_finish_and_usage(client, server):
    def consume():
        stream = client.chat("Hi", user_id="u-1", session_id="s-1", tags={"team": "docs"}, max_tokens=5)
        return list(stream), stream

    future = in_background(consume)
    _, request, rpc = server.take_unary_stream(CHAT)
    for response in (started(request.client_request_id), token("Hel"), token("lo"), token(" world"), finished()):
        rpc.send_response(response)
    rpc.terminate((), OK, "")
    tokens, stream = future.result(WAIT)

    assert tokens == ["Hel", "lo", " world"]
    assert stream.text == "Hello world"
    assert (stream.trace_id, stream.finish_reason, stream.usage) == (TRACE_ID, "stop", Usage(3, 2, 5))
    assert (request.message, request.user_id, request.session_id) == ("Hi", "u-1", "s-1")
    assert dict(request.tags) == {"team": "docs"}
    assert request.options.max_tokens == 5 and not request.options.HasField("temperature")
    # No client_request_id given: one was generated, so feedback can always address the chat.
    assert stream.client_request_id == request.client_request_id == str(uuid.UUID(request.client_request_id))


def test_trace_id_is_known_before_any_token_and_leaving_early_cancels(client, server):
    def first_event_only():
        with client.chat("Hi", client_request_id="my-id") as stream:
            return stream.trace_id, stream.client_request_id, stream.text

    future = in_background(first_event_only)
    _, request, rpc = server.take_unary_stream(CHAT)
    rpc.send_response(started("my-id"))  # then nothing: generation is still running

    assert future.result(WAIT) == (TRACE_ID, "my-id", "")
    assert request.client_request_id == "my-id"
    in_background(rpc.cancelled).result(WAIT)  # the service was told to stop


def test_error_mid_stream_carries_code_trace_id_and_field_violations(client, server):
    received = queue.Queue()

    def consume():
        stream = client.chat("Hi")
        with pytest.raises(FeedbackServiceError) as caught:
            for text in stream:
                received.put(text)
        with pytest.raises(FeedbackServiceError):  # a failed stream does not later look finished
            next(stream)
        return caught.value, stream.text

    future = in_background(consume)
    _, _, rpc = server.take_unary_stream(CHAT)
    for response in (started(), token("a"), token("b")):
        rpc.send_response(response)
    assert [received.get(timeout=WAIT), received.get(timeout=WAIT)] == ["a", "b"]
    status = rich_status(grpc.StatusCode.UNAVAILABLE, "backend down", ("options.max_tokens", "too big"))
    rpc.terminate((("mlflow-trace-id", TRACE_ID),) + status.trailing_metadata, status.code, status.details)
    error, text = future.result(WAIT)

    assert text == "ab"
    assert (error.code, error.message, error.trace_id) == (grpc.StatusCode.UNAVAILABLE, "backend down", TRACE_ID)
    assert error.field_violations == [("options.max_tokens", "too big")]


def test_complete_returns_the_whole_answer(client, server):
    future = in_background(client.complete, "Hi", history=[("user", "Hello"), ("assistant", "Hi!")])
    _, request, rpc = server.take_unary_unary(COMPLETE_CHAT)
    response = chat_pb2.CompleteChatResponse(
        trace_id=TRACE_ID,
        client_request_id=request.client_request_id,
        text="Hello world",
        finish_reason=chat_pb2.FINISH_REASON_LENGTH,
        usage=chat_pb2.TokenUsage(input_tokens=4, output_tokens=2, total_tokens=6),
    )
    rpc.terminate(response, (), OK, "")

    expected = ChatResult("Hello world", TRACE_ID, request.client_request_id, "length", Usage(4, 2, 6))
    assert future.result(WAIT) == expected
    assert [(m.role, m.content) for m in request.history] == [
        (chat_pb2.ROLE_USER, "Hello"),
        (chat_pb2.ROLE_ASSISTANT, "Hi!"),
    ]


def test_complete_error_takes_the_trace_id_from_trailing_metadata(client, server):
    future = in_background(client.complete, "Hi")
    _, _, rpc = server.take_unary_unary(COMPLETE_CHAT)
    rpc.terminate(None, (("mlflow-trace-id", TRACE_ID),), grpc.StatusCode.INTERNAL, "internal error: Boom")

    with pytest.raises(FeedbackServiceError) as caught:
        future.result(WAIT)
    assert (caught.value.code, caught.value.message) == (grpc.StatusCode.INTERNAL, "internal error: Boom")
    assert (caught.value.trace_id, caught.value.field_violations) == (TRACE_ID, [])


# Feedback


@pytest.mark.parametrize(
    "value, field, sent",
    [
        (True, "bool_value", True),
        (False, "bool_value", False),
        (4, "number_value", 4.0),
        (0.5, "number_value", 0.5),
        ("off_topic", "string_value", "off_topic"),
        ({"labels": ["a", "b"], "ok": True}, "json_value", {"labels": ["a", "b"], "ok": True}),
        ([1, "two", None], "json_value", [1.0, "two", None]),
    ],
)
def test_feedback_value_kind_follows_the_python_type(client, server, value, field, sent):
    future = in_background(client.feedback, trace_id=TRACE_ID, value=value)
    request = answer_feedback(server)

    assert future.result(WAIT) == FeedbackResult(ASSESSMENT_ID, TRACE_ID)
    assert request.WhichOneof("value") == field
    received = json_format.MessageToDict(request.json_value) if field == "json_value" else getattr(request, field)
    assert received == sent
    assert (request.trace_id, request.name) == (TRACE_ID, "user_feedback")
    assert request.source.type == feedback_pb2.SOURCE_TYPE_HUMAN


@pytest.mark.parametrize("value", [None, b"bytes", ("a", "tuple"), {1, 2}, object()])
def test_feedback_rejects_other_value_types_before_calling(client, value):
    future = in_background(client.feedback, trace_id=TRACE_ID, value=value)
    with pytest.raises(TypeError, match="feedback value must be"):
        future.result(WAIT)


@pytest.mark.parametrize("target", [{}, {"trace_id": TRACE_ID, "client_request_id": "my-id"}])
def test_feedback_needs_exactly_one_target(client, target):
    future = in_background(client.thumbs_up, **target)
    with pytest.raises(ValueError, match="exactly one"):
        future.result(WAIT)


def test_feedback_request_carries_every_option(client, server):
    future = in_background(
        client.rate,
        4,
        client_request_id="my-id",
        name="stars",
        rationale="good but long",
        source="LLM_JUDGE",
        source_id="judge-v1",
        metadata={"ui": "web"},
        span_id="0123456789abcdef",
        request_id="req-1",
    )
    request = answer_feedback(server)

    future.result(WAIT)
    assert request == feedback_pb2.SubmitFeedbackRequest(
        client_request_id="my-id",
        span_id="0123456789abcdef",
        name="stars",
        number_value=4.0,
        source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_LLM_JUDGE, id="judge-v1"),
        rationale="good but long",
        metadata={"ui": "web"},
        request_id="req-1",
    )


def test_transient_failures_are_retried_with_the_same_request_id_until_success(client, server):
    future = in_background(client.thumbs_down, trace_id=TRACE_ID)
    first = answer_feedback(server, code=grpc.StatusCode.UNAVAILABLE, details="MLflow unreachable")
    second = answer_feedback(server, code=grpc.StatusCode.DEADLINE_EXCEEDED, details="trace not writable yet")
    third = answer_feedback(server)

    # Had the client called a fourth time it would still be waiting for an answer.
    assert future.result(WAIT) == FeedbackResult(ASSESSMENT_ID, TRACE_ID)
    assert first == second == third
    assert first.request_id == str(uuid.UUID(first.request_id))


def test_retries_give_up_after_the_last_attempt(server):
    client = FeedbackClient(channel=server, retry=RetryPolicy(max_attempts=2, initial_backoff=0.0))
    future = in_background(client.thumbs_up, trace_id=TRACE_ID)
    for _ in range(2):
        answer_feedback(server, code=grpc.StatusCode.UNAVAILABLE, details="MLflow unreachable")

    with pytest.raises(FeedbackServiceError) as caught:
        future.result(WAIT)
    assert (caught.value.code, caught.value.message) == (grpc.StatusCode.UNAVAILABLE, "MLflow unreachable")


def test_invalid_argument_is_not_retried_and_lists_the_violations(client, server):
    future = in_background(client.feedback, trace_id=TRACE_ID, value="x", name="1bad")
    status = rich_status(grpc.StatusCode.INVALID_ARGUMENT, "invalid request", ("name", "must start with a letter"))
    answer_feedback(server, code=status.code, details=status.details, trailing=status.trailing_metadata)

    with pytest.raises(FeedbackServiceError) as caught:
        future.result(WAIT)  # a retry would leave it waiting for a second answer
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.field_violations == [("name", "must start with a letter")]
    assert caught.value.trace_id is None


def test_backoff_doubles_and_is_bounded():
    assert RetryPolicy().backoffs() == [0.2, 0.4, 0.8]
    assert RetryPolicy(max_attempts=6, max_backoff=1.0).backoffs() == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_rate_dimensions_sends_one_rating_per_dimension_and_retries_alike(client, server):
    future = in_background(
        client.rate_dimensions,
        client_request_id="my-id",
        ratings={"accuracy": 4, "helpfulness": 5},
        rationale="clear",
        metadata={"ui": "web"},
    )
    requests = []
    for code in (grpc.StatusCode.UNAVAILABLE, OK):
        _, request, rpc = server.take_unary_unary(SUBMIT_RATINGS)
        requests.append(request)
        response = feedback_pb2.SubmitRatingsResponse(
            trace_id=TRACE_ID, assessment_ids={"accuracy": "a-1", "helpfulness": "a-2"}
        )
        rpc.terminate(response if code is OK else None, (), code, "")

    assert future.result(WAIT) == RatingsResult(TRACE_ID, {"accuracy": "a-1", "helpfulness": "a-2"})
    assert requests[0] == requests[1]
    assert [(r.name, r.score) for r in requests[0].ratings] == [("accuracy", 4), ("helpfulness", 5)]
    assert (requests[0].client_request_id, requests[0].rationale) == ("my-id", "clear")
    assert requests[0].source.type == feedback_pb2.SOURCE_TYPE_HUMAN and dict(requests[0].metadata) == {"ui": "web"}
    assert requests[0].request_id


# feedbackctl


def test_cli_chat_streams_to_stdout_and_reports_on_stderr(client, server, capsys):
    argv = ["chat", "Hi", "--tag", "team=docs", "--client-request-id", "my-id"]
    future = in_background(cli.main, argv, client=client)
    _, request, rpc = server.take_unary_stream(CHAT)
    for response in (started("my-id"), token("Hello"), token(" world"), finished()):
        rpc.send_response(response)
    rpc.terminate((), OK, "")

    assert future.result(WAIT) == 0
    out, err = capsys.readouterr()
    assert out == "Hello world\n"
    assert err == f"trace_id: {TRACE_ID} client_request_id: my-id finish_reason: stop tokens: 3/2\n"
    assert dict(request.tags) == {"team": "docs"} and request.client_request_id == "my-id"


def test_cli_chat_interrupted_cancels_the_call(client, server, monkeypatch, capsys):
    class InterruptedTerminal:
        def write(self, text):
            raise KeyboardInterrupt  # Ctrl-C while the first token is printed

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", InterruptedTerminal())
    future = in_background(cli.main, ["chat", "Hi"], client=client)
    _, _, rpc = server.take_unary_stream(CHAT)
    rpc.send_response(started())
    rpc.send_response(token("Hel"))

    assert future.result(WAIT) == 130
    in_background(rpc.cancelled).result(WAIT)
    assert f"cancelled; trace_id: {TRACE_ID}" in capsys.readouterr().err


def test_cli_feedback_thumbs_up_with_comment(client, server, capsys):
    argv = ["feedback", "--trace-id", TRACE_ID, "--up", "--comment", "spot on", "--meta", "ui=cli"]
    future = in_background(cli.main, argv, client=client)
    request = answer_feedback(server)

    assert future.result(WAIT) == 0
    assert capsys.readouterr().out == f"assessment_id: {ASSESSMENT_ID} trace_id: {TRACE_ID}\n"
    assert (request.WhichOneof("value"), request.bool_value, request.name) == ("bool_value", True, "user_feedback")
    assert (request.rationale, dict(request.metadata)) == ("spot on", {"ui": "cli"})


def test_cli_bare_comment_is_a_text_feedback(client, server):
    argv = ["feedback", "--client-request-id", "my-id", "--comment", "too long"]
    future = in_background(cli.main, argv, client=client)
    request = answer_feedback(server)

    assert future.result(WAIT) == 0
    assert (request.client_request_id, request.name) == ("my-id", "user_comment")
    assert (request.WhichOneof("value"), request.string_value, request.rationale) == ("string_value", "too long", "")


def test_cli_rate_prints_each_assessment(client, server, capsys):
    argv = ["rate", "--trace-id", TRACE_ID, "accuracy=4", "tone=2", "--comment", "terse"]
    future = in_background(cli.main, argv, client=client)
    _, request, rpc = server.take_unary_unary(SUBMIT_RATINGS)
    response = feedback_pb2.SubmitRatingsResponse(trace_id=TRACE_ID, assessment_ids={"accuracy": "a-1", "tone": "a-2"})
    rpc.terminate(response, (), OK, "")

    assert future.result(WAIT) == 0
    assert [(r.name, r.score) for r in request.ratings] == [("accuracy", 4), ("tone", 2)]
    assert request.rationale == "terse"
    assert set(capsys.readouterr().out.splitlines()) == {f"trace_id: {TRACE_ID}", "accuracy: a-1", "tone: a-2"}


def test_cli_service_error_prints_code_message_and_violations(client, server, capsys):
    future = in_background(cli.main, ["feedback", "--trace-id", "tr-bad", "--rating", "9"], client=client)
    status = rich_status(
        grpc.StatusCode.INVALID_ARGUMENT, "invalid request", ("trace_id", "malformed"), ("number_value", "out of range")
    )
    answer_feedback(server, code=status.code, details=status.details, trailing=status.trailing_metadata)

    assert future.result(WAIT) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: INVALID_ARGUMENT: invalid request",
        "  trace_id: malformed",
        "  number_value: out of range",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["feedback", "--trace-id", TRACE_ID],  # no value and no comment
        ["feedback", "--trace-id", TRACE_ID, "--client-request-id", "my-id", "--up"],
        ["feedback", "--trace-id", TRACE_ID, "--up", "--down"],
        ["feedback", "--trace-id", TRACE_ID, "--json", "3"],  # JSON scalars have their own flags
        ["rate", "--trace-id", TRACE_ID, "accuracy=high"],
    ],
)
def test_cli_usage_errors_exit_2_without_calling(client, argv, capsys):
    future = in_background(cli.main, argv, client=client)
    with pytest.raises(SystemExit) as caught:
        future.result(WAIT)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err
