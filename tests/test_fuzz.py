"""Fuzzing every RPC (hypothesis): random bytes, mutated valid requests, and well-formed requests
with hostile values. Whatever comes in, the answer is never UNKNOWN or INTERNAL, the server stays
healthy, and MLflow holds nothing from a rejected call.

The fuzzed replica has an experiment of its own, so every trace and assessment in it comes from
these calls: traces must equal the accepted chats, assessments the accepted feedback.
"""

import logging
import time

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genaifeedback.v1 import chat_pb2, feedback_pb2
from support import error_reason

pytestmark = pytest.mark.slow  # hypothesis: half a minute of generated requests

METHODS = {
    "/genaifeedback.v1.ChatService/Chat": chat_pb2.ChatRequest,
    "/genaifeedback.v1.ChatService/CompleteChat": chat_pb2.CompleteChatRequest,
    "/genaifeedback.v1.FeedbackService/SubmitFeedback": feedback_pb2.SubmitFeedbackRequest,
    "/genaifeedback.v1.FeedbackService/SubmitRatings": feedback_pb2.SubmitRatingsRequest,
    # Reads: fuzzed too, but they record nothing (deletes would break the stored == acknowledged check).
    "/genaifeedback.v1.FeedbackService/GetFeedback": feedback_pb2.GetFeedbackRequest,
    "/genaifeedback.v1.FeedbackService/ListFeedback": feedback_pb2.ListFeedbackRequest,
}
NEVER = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
PENDING = feedback_pb2.FEEDBACK_STATE_PENDING
FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck), database=None)


class Fuzzed:
    """The replica under fuzzing, what it accepted, and one real trace to aim feedback at."""

    def __init__(self, replica, trace_id: str):
        self.replica = replica
        self.trace_id = trace_id
        self.accepted_chats = {trace_id}
        self.accepted_feedback: list[feedback_pb2.GetFeedbackStatusRequest] = []  # acknowledged
        self.codes: dict[grpc.StatusCode, int] = {}

    def call(self, method: str, payload: bytes) -> None:
        """Send raw bytes; record what was accepted; fail on UNKNOWN or INTERNAL."""
        request_type = METHODS[method]
        try:
            if method.endswith("/Chat"):
                events = list(self.replica.channel.unary_stream(method)(payload, timeout=30))
                responses = [chat_pb2.ChatResponse.FromString(e) for e in events]
                self.accepted_chats.add(responses[-1].finished.trace_id)
            else:
                reply = self.replica.channel.unary_unary(method)(payload, timeout=30)
                if method.endswith("/CompleteChat"):
                    self.accepted_chats.add(chat_pb2.CompleteChatResponse.FromString(reply).trace_id)
                elif "/Submit" in method:
                    self.accepted_feedback.append(_status_request(METHODS[method].FromString(payload), reply, method))
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()
            assert code not in NEVER, f"{code} for {request_type.__name__} {payload[:200]!r}: {error.details()}"
        self.codes[code] = self.codes.get(code, 0) + 1

    def stored_assessments(self) -> set[str]:
        """The acknowledged feedback MLflow has, once each has settled (STORED, or EXPIRED when
        its target never appeared). Polls GetFeedbackStatus: the public way to learn it."""
        stored = set()
        for request in self.accepted_feedback:
            give_up = time.monotonic() + 30
            while (status := self.replica.feedback.GetFeedbackStatus(request, timeout=5)).state == PENDING:
                assert time.monotonic() < give_up, f"still pending: {request}"
                time.sleep(0.05)  # ok: polling an outcome, not waiting for one to be likely
            assert status.state in (feedback_pb2.FEEDBACK_STATE_STORED, feedback_pb2.FEEDBACK_STATE_EXPIRED), status
            if status.state == feedback_pb2.FEEDBACK_STATE_STORED:
                stored.update(status.assessment_ids.values())
        return stored


def _status_request(request, reply: bytes, method: str) -> feedback_pb2.GetFeedbackStatusRequest:
    """How to ask about an acknowledged SubmitFeedback or SubmitRatings call."""
    if method.endswith("/SubmitFeedback"):
        assessment_id = feedback_pb2.SubmitFeedbackResponse.FromString(reply).assessment_id
    else:
        ids = feedback_pb2.SubmitRatingsResponse.FromString(reply).assessment_ids
        assessment_id = ids[min(ids)]  # the first dimension in name order
    target = request.WhichOneof("target")
    return feedback_pb2.GetFeedbackStatusRequest(assessment_id=assessment_id, **{target: getattr(request, target)})


@pytest.fixture(scope="module")
def fuzzed(start_service, mlflow_client):
    replica = start_service(experiment_name="fuzz", demo_response_tokens=4, feedback_attach_window_seconds=3)
    reply = replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="the fuzz target"), timeout=30)
    replica.wait_stored(reply.trace_id)
    target = Fuzzed(replica, reply.trace_id)
    yield target
    # The replica is still serving, and MLflow holds exactly what it accepted.
    health = health_pb2_grpc.HealthStub(replica.channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    for trace_id in target.accepted_chats:
        replica.wait_stored(trace_id)
    stored_traces = {t.info.trace_id for t in _all_traces(mlflow_client, replica)}
    assert stored_traces == target.accepted_chats
    acknowledged_and_stored = target.stored_assessments()
    stored = {a.assessment_id for t in target.accepted_chats for a in mlflow_client.get_trace_info(t).assessments}
    assert stored == acknowledged_and_stored
    print(f"\nfuzz statuses: { {code.name: n for code, n in sorted(target.codes.items(), key=lambda kv: -kv[1])} }")


def _all_traces(mlflow_client, replica):
    experiment_id, token = replica.app.gateway.experiment_id, None
    while True:
        page = mlflow_client.search_traces(
            locations=[experiment_id], max_results=500, include_spans=False, page_token=token
        )
        yield from page
        if not (token := page.token):
            return


# --- random and mutated bytes


@FUZZ
@given(method=st.sampled_from(sorted(METHODS)), payload=st.binary(max_size=300))
def test_random_bytes(fuzzed, method, payload):
    fuzzed.call(method, payload)


def _valid_requests(trace_id: str) -> dict[str, bytes]:
    return {
        "/genaifeedback.v1.ChatService/Chat": chat_pb2.ChatRequest(
            message="hi", client_request_id="c-1", tags={"k": "v"}
        ),
        "/genaifeedback.v1.ChatService/CompleteChat": chat_pb2.CompleteChatRequest(message="hi", user_id="u"),
        "/genaifeedback.v1.FeedbackService/SubmitFeedback": feedback_pb2.SubmitFeedbackRequest(
            trace_id=trace_id, bool_value=True, rationale="ok", metadata={"a": "b"}, request_id="r"
        ),
        "/genaifeedback.v1.FeedbackService/SubmitRatings": feedback_pb2.SubmitRatingsRequest(
            trace_id=trace_id, ratings=[feedback_pb2.DimensionRating(name="accuracy", score=4)], request_id="r2"
        ),
        "/genaifeedback.v1.FeedbackService/GetFeedback": feedback_pb2.GetFeedbackRequest(
            trace_id=trace_id, assessment_id="a-" + "1" * 32
        ),
        "/genaifeedback.v1.FeedbackService/ListFeedback": feedback_pb2.ListFeedbackRequest(
            trace_id=trace_id, name="user_feedback", include_history=True, page_size=5
        ),
    }


@st.composite
def mutations(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            del data[at : at + draw(st.integers(1, 4))]
    return bytes(data)


@FUZZ
@given(data=st.data(), method=st.sampled_from(sorted(METHODS)))
def test_mutated_valid_requests(fuzzed, data, method):
    original = _valid_requests(fuzzed.trace_id)[method].SerializeToString()
    fuzzed.call(method, data.draw(mutations(original)))


# --- well-formed messages with hostile values

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\n", "a\n", "tr-" + "a" * 32 + "\n", "x" * 300, "'", '"', "`", "\x00", "ü" * 200]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=9000),
)
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**31), 2**31 - 1))
MAPS = st.dictionaries(HOSTILE_TEXT, HOSTILE_TEXT, max_size=25)


def _json_values(depth: int = 0) -> st.SearchStrategy[struct_pb2.Value]:
    leaves = st.one_of(
        NUMBERS.map(lambda n: struct_pb2.Value(number_value=float(n))),
        HOSTILE_TEXT.map(lambda s: struct_pb2.Value(string_value=s)),
        st.booleans().map(lambda b: struct_pb2.Value(bool_value=b)),
        st.just(struct_pb2.Value(null_value=struct_pb2.NULL_VALUE)),
    )
    if depth >= 20:
        return leaves
    nested = st.deferred(lambda: _json_values(depth + 1))
    return st.one_of(
        leaves,
        st.lists(nested, max_size=3).map(_list_value),
        st.dictionaries(HOSTILE_TEXT, nested, max_size=3).map(_struct_value),
    )


def _list_value(items):
    value = struct_pb2.Value()
    value.list_value.values.extend(items)
    return value


def _struct_value(fields):
    value = struct_pb2.Value()
    for key, item in fields.items():
        value.struct_value.fields[key].CopyFrom(item)
    return value


@st.composite
def feedback_requests(draw, trace_id: str) -> feedback_pb2.SubmitFeedbackRequest:
    request = feedback_pb2.SubmitFeedbackRequest(
        name=draw(st.one_of(st.just(""), st.just("quality"), HOSTILE_TEXT)),
        span_id=draw(st.one_of(st.just(""), HOSTILE_TEXT)),
        rationale=draw(HOSTILE_TEXT),
        metadata=draw(MAPS),
        request_id=draw(st.one_of(st.just(""), HOSTILE_TEXT)),
        source=feedback_pb2.FeedbackSource(type=draw(st.integers(-3, 6)), id=draw(HOSTILE_TEXT)),
    )
    target = draw(st.sampled_from(["trace", "hostile", "client_request_id", "none"]))
    if target == "trace":
        request.trace_id = trace_id
    elif target == "hostile":
        request.trace_id = draw(HOSTILE_TEXT)
    elif target == "client_request_id":
        request.client_request_id = draw(HOSTILE_TEXT)
    value = draw(st.sampled_from(["bool", "number", "string", "json", "none"]))
    if value == "bool":
        request.bool_value = draw(st.booleans())
    elif value == "number":
        request.number_value = float(draw(NUMBERS))
    elif value == "string":
        request.string_value = draw(HOSTILE_TEXT)
    elif value == "json":
        request.json_value.CopyFrom(draw(_json_values()))
    return request


@FUZZ
@given(data=st.data())
def test_hostile_feedback(fuzzed, data):
    request = data.draw(feedback_requests(fuzzed.trace_id))
    fuzzed.call("/genaifeedback.v1.FeedbackService/SubmitFeedback", request.SerializeToString())


@FUZZ
@given(
    names=st.lists(st.one_of(st.sampled_from(["accuracy", "tone", "Accuracy"]), HOSTILE_TEXT), max_size=22),
    scores=st.lists(st.integers(-(2**31), 2**31 - 1), min_size=22, max_size=22),
    rationale=HOSTILE_TEXT,
    metadata=MAPS,
    request_id=HOSTILE_TEXT,
)
def test_hostile_ratings(fuzzed, names, scores, rationale, metadata, request_id):
    request = feedback_pb2.SubmitRatingsRequest(
        trace_id=fuzzed.trace_id,
        ratings=[feedback_pb2.DimensionRating(name=n, score=s) for n, s in zip(names, scores, strict=False)],
        rationale=rationale,
        metadata=metadata,
        request_id=request_id,
    )
    fuzzed.call("/genaifeedback.v1.FeedbackService/SubmitRatings", request.SerializeToString())


@FUZZ
@given(
    message=HOSTILE_TEXT,
    roles=st.lists(st.integers(-2, 5), max_size=4),
    ids=st.tuples(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT),
    tags=MAPS,
    max_tokens=st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)),
    temperature=st.one_of(st.none(), st.floats(allow_nan=True)),
    streamed=st.booleans(),
)
def test_hostile_chats(fuzzed, message, roles, ids, tags, max_tokens, temperature, streamed):
    options = chat_pb2.GenerationOptions()
    if max_tokens is not None:
        options.max_tokens = max_tokens
    if temperature is not None:
        options.temperature = temperature
    request_type = chat_pb2.ChatRequest if streamed else chat_pb2.CompleteChatRequest
    request = request_type(
        message=message,
        history=[chat_pb2.ChatMessage(role=r, content=message[:10]) for r in roles],
        client_request_id=ids[0],
        user_id=ids[1],
        session_id=ids[2],
        tags=tags,
        options=options,
    )
    method = "/genaifeedback.v1.ChatService/" + ("Chat" if streamed else "CompleteChat")
    fuzzed.call(method, request.SerializeToString())


# --- the other services on the same port: health and reflection (v1 and v1alpha)

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
REFLECTION_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
FOREIGN_METHODS = [HEALTH_CHECK, HEALTH_WATCH, REFLECTION_V1, REFLECTION_V1ALPHA]


def foreign_call(channel: grpc.Channel, method: str, payload: bytes) -> grpc.RpcError | None:
    """Send raw bytes to a health or reflection method; the error it ends with, if any. A Watch
    that parsed streams until cancelled, so only its first answer is read."""
    try:
        if method == HEALTH_CHECK:
            channel.unary_unary(method)(payload, timeout=10)
        elif method == HEALTH_WATCH:
            stream = channel.unary_stream(method)(payload, timeout=10)
            next(stream)
            stream.cancel()
        else:
            list(channel.stream_stream(method)(iter([payload]), timeout=10))
    except grpc.RpcError as error:
        return error
    return None


@pytest.mark.parametrize("method", FOREIGN_METHODS)
@pytest.mark.parametrize(
    "payload",
    [b"\x0a\x03\xff\xfe\xfd", b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\xff\x0f"],
    ids=["invalid-utf8", "bad-tag", "truncated-length"],
)
def test_malformed_bytes_to_health_and_reflection_are_invalid_argument_without_a_traceback(
    fuzzed, caplog, method, payload
):
    """They used to end UNKNOWN, with a DecodeError traceback in the log (96 of 2,163 fuzz cases)."""
    with caplog.at_level(logging.INFO):
        error = foreign_call(fuzzed.replica.channel, method, payload)
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert error_reason(error) == "MALFORMED_REQUEST"
    assert method.split("/")[1].rpartition(".")[0] in error.details()  # names the message expected
    assert not [r for r in caplog.records if r.exc_info or "DecodeError" in r.getMessage()]


@FUZZ
@given(method=st.sampled_from(FOREIGN_METHODS), payload=st.binary(max_size=300))
def test_random_bytes_to_health_and_reflection(fuzzed, method, payload):
    error = foreign_call(fuzzed.replica.channel, method, payload)
    code = grpc.StatusCode.OK if error is None else error.code()
    assert code not in NEVER, f"{code} for {method} {payload[:200]!r}: {error and error.details()}"
    fuzzed.codes[code] = fuzzed.codes.get(code, 0) + 1
