"""Access lines, JSON logs and trace context, against real services and a real MLflow: one access
line per call with its fields (an OK call and refused ones), the latency histogram, a caller's
`traceparent` as a link and a tag on the chat's stored trace, the chat's own `traceparent` on the
model call, and a `--log-format json` process whose every line parses and holds no token or user text."""

import json
import logging
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from auth_support import AUDIENCE, ISSUER, SigningKey, write_jwks, write_policy
from fake_openai import FakeOpenAI
from genaifeedback.service.egress.otlp import CALLER_TRACEPARENT_TAG
from genaifeedback.service.process.logs import TEXT_FORMAT, JsonFormatter
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc
from processes import ServiceProcess
from support import chat, error_reason, finished_trace_id, metric

ACCESS_LOGGER = "genaifeedback.access"
LATENCY = "genaifeedback_rpc_duration_seconds_count"


@pytest.fixture
def access_lines(caplog):
    """The access lines logged during the test, as the JSON formatter writes them (parsed)."""
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    def lines() -> list[dict]:
        return [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS_LOGGER]

    return lines


def every_rendering(caplog) -> str:
    """Every record captured, as both formatters write it."""
    text = logging.Formatter(TEXT_FORMAT)
    return "\n".join(f(record) for record in caplog.records for f in (JsonFormatter().format, text.format))


@pytest.fixture(scope="module")
def jwt_key():
    return SigningKey("access-log")


@pytest.fixture(scope="module")
def guarded(start_service, jwt_key, tmp_path_factory):
    """A service that knows its callers by bearer token: `backend` may chat, `reader` only read."""
    folder = tmp_path_factory.mktemp("access-jwt")
    principals = {"backend": {"scopes": ["chat", "feedback:write"]}, "reader": {"scopes": ["feedback:read"]}}
    return start_service(
        identity_mode="jwt",
        jwt_jwks_file=write_jwks(folder / "jwks.json", jwt_key),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        policy_file=write_policy(folder / "policy.toml", principals),
    )


def test_an_ok_call_and_refused_ones_each_leave_one_access_line_with_its_fields(guarded, jwt_key, access_lines, caplog):
    backend, reader = jwt_key.token("backend"), jwt_key.token("reader")
    request_id = f"order-{secrets.token_hex(4)}"
    chats_before = metric(guarded, LATENCY, method="Chat", code="OK")
    refused_before = metric(guarded, LATENCY, method="SubmitFeedback", code="PERMISSION_DENIED")

    events = list(
        guarded.chat.Chat(
            chat_pb2.ChatRequest(message="a question never logged", client_request_id=request_id),
            metadata=(("authorization", f"Bearer {backend}"),),
            timeout=60,
        )
    )
    trace_id = finished_trace_id(events)
    feedback_id = f"vote-{secrets.token_hex(4)}"
    vote = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, bool_value=True, request_id=feedback_id, rationale="never logged"
    )
    with pytest.raises(grpc.RpcError) as scope_missing:
        guarded.feedback.SubmitFeedback(vote, metadata=(("authorization", f"Bearer {reader}"),), timeout=30)
    assert error_reason(scope_missing.value) == "SCOPE_MISSING"
    with pytest.raises(grpc.RpcError) as anonymous:
        guarded.feedback.SubmitFeedback(vote, timeout=30)
    assert error_reason(anonymous.value) == "CREDENTIALS_MISSING"

    # Logged before the status went out: each call's line is there once the caller has its answer.
    mine = [line for line in access_lines() if line["request_id"] in (request_id, feedback_id)]
    assert [(line["method"], line["code"], line["reason"], line["principal"]) for line in mine] == [
        ("Chat", "OK", "", "backend"),
        ("SubmitFeedback", "PERMISSION_DENIED", "SCOPE_MISSING", "reader"),
        ("SubmitFeedback", "UNAUTHENTICATED", "CREDENTIALS_MISSING", ""),
    ]
    assert all(line["trace_id"] == trace_id for line in mine)
    assert all(line["peer"].startswith(("ipv4:127.0.0.1:", "ipv6:")) for line in mine)
    assert all(isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0 for line in mine)
    assert {line["level"] for line in mine} == {"INFO"} and {line["logger"] for line in mine} == {ACCESS_LOGGER}

    assert metric(guarded, LATENCY, method="Chat", code="OK") == chats_before + 1
    assert metric(guarded, LATENCY, method="SubmitFeedback", code="PERMISSION_DENIED") == refused_before + 1

    logged = every_rendering(caplog)
    for secret in (backend, reader, backend.rsplit(".", 1)[1], "a question never logged", "never logged"):
        assert secret not in logged


def test_a_malformed_request_is_logged_with_its_reason(service, access_lines):
    raw = service.channel.unary_unary("/genaifeedback.v1.FeedbackService/SubmitFeedback")
    with pytest.raises(grpc.RpcError) as failed:
        raw(b"\xff\xff\xff", timeout=30)
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [line] = [line for line in access_lines() if line["method"] == "SubmitFeedback"]
    assert (line["code"], line["reason"], line["principal"], line["request_id"]) == (
        "INVALID_ARGUMENT",
        "MALFORMED_REQUEST",
        "",
        "",
    )


def traceparent() -> tuple[str, str, str]:
    trace_hex, span_hex = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_hex}-{span_hex}-01", trace_hex, span_hex


def traced_chat(service, header: str, message: str) -> str:
    """A chat made with this `traceparent` in its metadata; its trace id."""
    request = chat_pb2.ChatRequest(message=message)
    return finished_trace_id(list(service.chat.Chat(request, metadata=(("traceparent", header),), timeout=60)))


def test_a_callers_traceparent_becomes_a_link_and_a_tag_on_the_chats_trace(service, mlflow_client):
    header, caller_trace, caller_span = traceparent()
    trace_id = traced_chat(service, header, "linked")
    service.wait_stored(trace_id)
    assert mlflow_client.get_trace_info(trace_id).tags[CALLER_TRACEPARENT_TAG] == header
    [root] = mlflow_client.get_trace(trace_id).data.spans
    [link] = root.links
    assert link.trace_id.removeprefix("tr-") == caller_trace and link.span_id == caller_span
    assert trace_id.removeprefix("tr-") != caller_trace  # a link: the chat keeps its own trace id


@pytest.mark.parametrize(
    "header",
    [
        "00-" + "0" * 32 + "-" + "1" * 16 + "-01",  # an all-zero trace id is invalid
        "00-" + "A" * 32 + "-" + "1" * 16 + "-01",  # upper case is invalid
        "ff-" + "a" * 32 + "-" + "1" * 16 + "-01",  # version ff is invalid
        "00-" + "a" * 32 + "-" + "1" * 16 + "-01-extra",  # version 00 has exactly four fields
        "not a traceparent",
    ],
)
def test_an_invalid_traceparent_is_ignored(service, mlflow_client, header):
    trace_id = traced_chat(service, header, "unlinked")
    service.wait_stored(trace_id)
    assert CALLER_TRACEPARENT_TAG not in mlflow_client.get_trace_info(trace_id).tags
    assert mlflow_client.get_trace(trace_id).data.spans[0].links == []


def test_callers_may_not_set_the_traceparent_tag_themselves(service):
    with pytest.raises(grpc.RpcError) as refused:
        chat(service, tags={CALLER_TRACEPARENT_TAG: "00-" + "a" * 32 + "-" + "1" * 16 + "-01"})
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def fake_openai():
    fake = FakeOpenAI()
    yield fake
    fake.close()


def test_the_model_call_carries_the_chats_own_traceparent(start_service, fake_openai, mlflow_client):
    replica = start_service(generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model")
    header, caller_trace, _ = traceparent()
    trace_id = traced_chat(replica, header, "hi")
    replica.wait_stored(trace_id)
    [root] = mlflow_client.get_trace(trace_id).data.spans
    [request] = fake_openai.requests
    assert request["headers"]["traceparent"] == f"00-{trace_id.removeprefix('tr-')}-{root.span_id}-01"
    assert caller_trace not in request["headers"]["traceparent"]  # the chat's span is the model call's parent


def test_the_latency_histogram_counts_calls_by_method_and_code(service):
    before = metric(service, LATENCY, method="ListFeedbackSchemas", code="OK")
    service.feedback.ListFeedbackSchemas(feedback_pb2.ListFeedbackSchemasRequest(), timeout=30)
    assert metric(service, LATENCY, method="ListFeedbackSchemas", code="OK") == before + 1
    # The buckets cover calls from a millisecond to the chat time limit.
    assert service.app.metrics.registry.get_sample_value(
        "genaifeedback_rpc_duration_seconds_bucket", {"method": "ListFeedbackSchemas", "code": "OK", "le": "600.0"}
    ) == (before + 1)


@pytest.mark.slow
def test_every_line_of_a_json_log_run_parses_and_holds_no_token_or_user_text(mlflow_server, tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": [{"id": "k1", "secret": secrets.token_hex(24)}]}))
    marker = f"quokka-{secrets.token_hex(6)}"  # in the chat's message, hence in the demo model's answer
    rationale = f"because-{secrets.token_hex(6)} the answer helped"
    process = ServiceProcess(
        mlflow_server.url,
        tmp_path / "data",
        "access-log-json",
        log_format="json",
        log_level="DEBUG",
        feedback_token_keys_file=keys,
    )
    try:
        process.start()
        chat_stub = chat_pb2_grpc.ChatServiceStub(process.channel)
        feedback_stub = feedback_pb2_grpc.FeedbackServiceStub(process.channel)
        message = f"Tell me about {marker} and the secret history"
        events = list(
            chat_stub.Chat(
                chat_pb2.ChatRequest(
                    message=message,
                    history=[chat_pb2.ChatMessage(role=chat_pb2.ROLE_USER, content=f"earlier {marker} turn")],
                    user_id="user-7",
                ),
                timeout=60,
            )
        )
        answer = "".join(e.token.text for e in events[1:-1])
        finished = events[-1].finished
        assert marker in answer and finished.feedback_token
        vote = feedback_stub.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                trace_id=finished.trace_id,
                bool_value=True,
                rationale=rationale,
                feedback_token=finished.feedback_token,
                request_id=str(uuid.uuid4()),
                wait_until_stored=True,
            ),
            timeout=60,
        )
        assert vote.trace_id == finished.trace_id
        with pytest.raises(grpc.RpcError) as tampered:
            feedback_stub.SubmitFeedback(
                feedback_pb2.SubmitFeedbackRequest(
                    trace_id=finished.trace_id,
                    bool_value=False,
                    rationale=rationale,
                    feedback_token=finished.feedback_token[:-2] + "xx",
                    request_id=str(uuid.uuid4()),
                ),
                timeout=60,
            )
        assert error_reason(tampered.value) == "FEEDBACK_TOKEN_INVALID"
    finally:
        process.stop()

    output = process.log_path.read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line parses
    assert all(isinstance(line, dict) and {"time", "level", "logger", "message"} <= line.keys() for line in lines)
    access = [(line["method"], line["code"], line["reason"]) for line in lines if line["logger"] == ACCESS_LOGGER]
    assert access == [
        ("Chat", "OK", ""),
        ("SubmitFeedback", "OK", ""),
        ("SubmitFeedback", "UNAUTHENTICATED", "FEEDBACK_TOKEN_INVALID"),
    ]
    assert any(line["message"].startswith("gRPC service") for line in lines)  # the banner, as records
    token = finished.feedback_token
    for secret in (marker, message, answer, rationale, token, token.rsplit(".", 1)[1], token.split(".")[1]):
        assert secret not in output


@pytest.mark.slow  # a feedback-service process, and 200 chats
def test_streams_the_client_cancels_are_logged_and_the_process_lives_on(mlflow_server, tmp_path):
    """The access line of a stream the client cancelled was once built from the call's peer read at
    the end: grpc.aio read a released call there, and the process died (SIGSEGV) within a few
    hundred such streams. Four clients each cancel 50 chats after their first token."""
    replica = ServiceProcess(
        mlflow_server.url, tmp_path / "replica", "cancelled-streams", demo_token_delay_ms=5
    ).start()

    def cancel_chats(index: int) -> None:
        with grpc.insecure_channel(replica.target) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            for n in range(50):
                call = stub.Chat(chat_pb2.ChatRequest(message=f"stop {index}-{n}"), timeout=30)
                next(e for e in call if e.HasField("token"))
                call.cancel()

    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(cancel_chats, range(4)))
        assert replica.process.poll() is None, replica.log_path.read_text()[-3000:]
        assert finished_trace_id(chat(replica, "still here"))
        log = replica.log_path.read_text()
        assert log.count("Chat CANCELLED") > 0 and log.count("Chat CANCELLED") + log.count("Chat OK") == 201
    finally:
        replica.stop()
