"""The error model (AIP-193) against a real server and MLflow: every failure carries a stable
reason, malformed bytes are INVALID_ARGUMENT, details stay small, and nothing is written."""

import logging
import math
import struct
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2

from genaifeedback.service.domain import errors
from genaifeedback.v1 import errors_pb2, feedback_pb2
from support import assessments, details, error_reason, new_trace, violation_reasons

SUBMIT_FEEDBACK = "/genaifeedback.v1.FeedbackService/SubmitFeedback"
SUBMIT_RATINGS = "/genaifeedback.v1.FeedbackService/SubmitRatings"
CHAT = "/genaifeedback.v1.ChatService/Chat"
COMPLETE_CHAT = "/genaifeedback.v1.ChatService/CompleteChat"
INVALID_UTF8_TRACE_ID = b"\x0a\x03\xff\xfe\xfd"  # field 1 (trace_id / message), 3 bytes that are not UTF-8


def raw_call(service, method: str, payload: bytes) -> grpc.RpcError:
    """Send bytes as they are (no serializer) and return the error the call ends with."""
    if method == CHAT:
        call = service.channel.unary_stream(method)
        with pytest.raises(grpc.RpcError) as failure:
            list(call(payload, timeout=10))
    else:
        call = service.channel.unary_unary(method)
        with pytest.raises(grpc.RpcError) as failure:
            call(payload, timeout=10)
    return failure.value


@pytest.mark.parametrize("method", [SUBMIT_FEEDBACK, SUBMIT_RATINGS, CHAT, COMPLETE_CHAT])
@pytest.mark.parametrize(
    "payload",
    [INVALID_UTF8_TRACE_ID, b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\xff\x0f", bytes(range(256))],
    ids=["invalid-utf8", "bad-tag", "truncated-length", "random"],
)
def test_bytes_that_do_not_parse_are_invalid_argument_with_one_log_line(service, caplog, method, payload):
    with caplog.at_level(logging.INFO):
        error = raw_call(service, method, payload)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(error) == "MALFORMED_REQUEST"
    assert "genaifeedback.v1." in error.details()
    ours = [r for r in caplog.records if "malformed request" in r.getMessage()]
    assert len(ours) == 1 and ours[0].exc_info is None


def test_a_write_without_request_id_is_refused_so_no_retry_can_record_twice(service, mlflow_client):
    """An empty request_id used to be accepted, and the same call sent twice made two assessments:
    a retry could not be told from a new action. Every writing RPC now refuses it."""
    trace_id = new_trace(service)
    # With a request_id, the same call twice records once.
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, bool_value=True, request_id=str(uuid.uuid4()), wait_until_stored=True
    )
    first, again = (service.feedback.SubmitFeedback(request, timeout=30) for _ in range(2))
    assert first.assessment_id == again.assessment_id
    writes = [
        (service.feedback.SubmitFeedback, feedback_pb2.SubmitFeedbackRequest(trace_id=trace_id, bool_value=True)),
        (
            service.feedback.SubmitRatings,
            feedback_pb2.SubmitRatingsRequest(
                trace_id=trace_id, ratings=[feedback_pb2.DimensionRating(name="accuracy", score=4)]
            ),
        ),
        (
            service.feedback.CorrectFeedback,
            feedback_pb2.CorrectFeedbackRequest(
                trace_id=trace_id,
                assessment_id=first.assessment_id,
                bool_value=False,
                source=feedback_pb2.FeedbackSource(id="expert-1"),
                rationale="wrong",
            ),
        ),
    ]
    for call, refused in writes:
        for _attempt in range(2):  # the same call twice, as a retry would send it
            with pytest.raises(grpc.RpcError) as failure:
                call(refused, timeout=30)
            assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert error_reason(failure.value) == "INVALID_FIELD"
            assert violation_reasons(failure.value) == {"request_id": "REQUEST_ID_REQUIRED"}
    assert [a.assessment_id for a in assessments(mlflow_client, trace_id)] == [first.assessment_id]


@pytest.mark.parametrize(
    ("fields", "bad_field", "reason"),
    [
        ({"trace_id": "tr-" + "a" * 32 + "\n"}, "trace_id", "INVALID_FORMAT"),
        ({"name": "abc\n"}, "name", "INVALID_FORMAT"),
        ({"span_id": "a" * 16 + "\n"}, "span_id", "INVALID_FORMAT"),
        ({"request_id": "r-1\n"}, "request_id", "INVALID_FORMAT"),
        ({"source": feedback_pb2.FeedbackSource(id="alice\n")}, "source.id", "INVALID_FORMAT"),
        ({"client_request_id": "order-1\n"}, "client_request_id", "INVALID_FORMAT"),
        ({"metadata": {"k" * 8000: "v"}}, 'metadata["' + "k" * 40 + '…"]', "TOO_LONG"),
        ({"metadata": {"": "v"}}, 'metadata[""]', "REQUIRED"),
        ({"metadata": {"line\nbreak": "v"}}, 'metadata["line\\nbreak"]', "INVALID_FORMAT"),
    ],
)
def test_ids_and_names_with_control_characters_or_huge_keys_are_refused(
    service, mlflow_client, fields, bad_field, reason
):
    trace_id = new_trace(service)
    fields = {"trace_id": trace_id, "bool_value": True, **fields}
    if "client_request_id" in fields:
        del fields["trace_id"]
    with pytest.raises(grpc.RpcError) as failure:
        service.feedback.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(wait_until_stored=True, **{"request_id": "r-1", **fields}), timeout=30
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(failure.value) == "INVALID_FIELD"
    assert violation_reasons(failure.value) == {bad_field: reason}
    assert len(failure.value.details()) < 1000  # never echoes the 8000-character key
    assert assessments(mlflow_client, trace_id) == []


def nested(depth: int) -> struct_pb2.Value:
    """A JSON value `depth` objects deep: {"a": {"a": ... 1 ...}}."""
    value = struct_pb2.Value(number_value=1)
    for _ in range(depth):
        outer = struct_pb2.Value()
        outer.struct_value.fields["a"].CopyFrom(value)
        value = outer
    return value


def with_number(number: float) -> struct_pb2.Value:
    value = struct_pb2.Value()
    value.list_value.values.add(number_value=1)
    value.list_value.values.add().struct_value.fields["x"].number_value = number
    return value


@pytest.mark.parametrize(
    ("json_value", "reason"),
    [
        (with_number(float("nan")), "OUT_OF_RANGE"),
        (with_number(float("inf")), "OUT_OF_RANGE"),
        (with_number(float("-inf")), "OUT_OF_RANGE"),
        (nested(17), "TOO_DEEP"),
        (nested(33), "TOO_DEEP"),
    ],
)
def test_unstorable_json_values_are_invalid_argument(service, mlflow_client, json_value, reason):
    trace_id = new_trace(service)
    request = feedback_pb2.SubmitFeedbackRequest(
        wait_until_stored=True, trace_id=trace_id, json_value=json_value, request_id=str(uuid.uuid4())
    )
    with pytest.raises(grpc.RpcError) as failure:
        service.feedback.SubmitFeedback(request, timeout=30)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violation_reasons(failure.value) == {"json_value": reason}
    assert assessments(mlflow_client, trace_id) == []


def _length_delimited(field: int, payload: bytes) -> bytes:
    assert len(payload) < 2**14
    length = bytes([len(payload)]) if len(payload) < 128 else bytes([len(payload) & 0x7F | 0x80, len(payload) >> 7])
    return bytes([field << 3 | 2]) + length + payload


def test_json_nested_deeper_than_protobuf_parses_is_still_invalid_argument(service):
    # Python's protobuf refuses to build such a message, so encode it by hand: Value{struct_value:
    # Struct{fields: {"a": Value{...}}}} fifty times around Value{number_value: 1}.
    value = b"\x11" + struct.pack("<d", 1.0)  # number_value (field 2, 64-bit)
    for _ in range(50):
        entry = _length_delimited(1, b"a") + _length_delimited(2, value)
        value = _length_delimited(5, _length_delimited(1, entry))
    payload = _length_delimited(1, b"tr-" + b"a" * 32) + _length_delimited(8, value)
    error = raw_call(service, SUBMIT_FEEDBACK, payload)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(error) == "MALFORMED_REQUEST"


def test_json_at_the_depth_limit_is_stored(service, mlflow_client):
    trace_id = new_trace(service)
    service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            wait_until_stored=True, trace_id=trace_id, name="nested", json_value=nested(16), request_id="nested-16"
        ),
        timeout=30,
    )
    [stored] = assessments(mlflow_client, trace_id)
    depth, value = 0, stored.value
    while isinstance(value, dict):
        depth, value = depth + 1, value["a"]
    assert depth == 16 and value == 1


def test_many_violations_are_capped_and_the_status_stays_small(service):
    request = feedback_pb2.SubmitFeedbackRequest(
        wait_until_stored=True,
        trace_id="tr-" + "a" * 32,
        bool_value=True,
        metadata={f"mlflow.{i}-" + "k" * 90: "v" for i in range(500)},
    )
    with pytest.raises(grpc.RpcError) as failure:
        service.feedback.SubmitFeedback(request, timeout=30)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert len(violation_reasons(failure.value)) == errors.InvalidRequest.MAX_REPORTED
    assert "more)" in failure.value.details()


def test_every_error_reason_in_the_contract_is_raised_by_one_error_class_or_reserved():
    contract = set(errors_pb2.ErrorReason.values()) - {errors_pb2.ERROR_REASON_UNSPECIFIED}
    # Value() raises for a reason the contract lacks; a subclass may keep its parent's reason.
    raised = {errors_pb2.ErrorReason.Value(kind.reason) for kind in _subclasses(errors.ServiceError)}
    assert raised | errors.RESERVED_REASONS == contract
    assert not raised & errors.RESERVED_REASONS


def test_a_field_violation_reason_must_be_one_of_the_contracts():
    assert errors.FieldViolation.of("f", "d", errors_pb2.TOO_DEEP).reason == "TOO_DEEP"
    for reason in ("TOO_BIG", "FIELD_VIOLATION_REASON_UNSPECIFIED", "INVALID_FIELD"):
        with pytest.raises(ValueError, match="is no FieldViolationReason"):
            errors.FieldViolation("f", "d", reason)


TRACE = "tr-" + "a" * 32


def _json(depth: int) -> struct_pb2.Value:
    value = struct_pb2.Value(number_value=1)
    for _ in range(depth):
        value = struct_pb2.Value(list_value=struct_pb2.ListValue(values=[value]))
    return value


# One request per FieldViolationReason that request validation gives (conversion, then schemas).
_INVALID = [
    feedback_pb2.SubmitFeedbackRequest(bool_value=True),  # no target
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, bool_value=True, rationale="r" * 20_000),
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, number_value=math.inf),
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, bool_value=True, span_id="x"),
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, bool_value=True, metadata={"mlflow.x": "v"}),
    feedback_pb2.SubmitRatingsRequest(trace_id=TRACE, ratings=[{"name": "a", "score": 1}] * 2),
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, json_value=_json(40)),
    feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, name="user_feedback", number_value=3),
]


def test_every_field_violation_reason_in_the_contract_is_reachable():
    from genaifeedback.service.domain.schemas import Schemas
    from genaifeedback.service.transport.convert import feedback as convert

    given = set()
    for request in _INVALID:
        parse = (
            convert.feedback_input if isinstance(request, feedback_pb2.SubmitFeedbackRequest) else convert.ratings_input
        )
        with pytest.raises(errors.InvalidRequest) as refused:
            parse(request, Schemas())
        given |= {errors_pb2.FieldViolationReason.Value(v.reason) for v in refused.value.violations}
    # The one reason no request can be made to give: MLflow refusing what validation let through.
    after_validation = {errors_pb2.REFUSED_BY_MLFLOW}
    gateway = Path(errors.__file__).parent.parent / "egress" / "mlflow" / "assessments.py"
    assert (
        "FieldViolationReason.REFUSED_BY_MLFLOW" in gateway.read_text()
    )  # where MLflow's INVALID_PARAMETER_VALUE becomes it
    assert given | after_validation == set(errors_pb2.FieldViolationReason.values()) - {0}


def _subclasses(kind):
    yield kind
    for sub in kind.__subclasses__():
        yield from _subclasses(sub)


def test_a_reused_request_id_names_the_trace(service):
    trace_id = new_trace(service)
    request_id = str(uuid.uuid4())
    service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            wait_until_stored=True, trace_id=trace_id, bool_value=True, request_id=request_id
        ),
        timeout=30,
    )
    with pytest.raises(grpc.RpcError) as failure:
        service.feedback.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                wait_until_stored=True, trace_id=trace_id, bool_value=False, request_id=request_id
            ),
            timeout=30,
        )
    info = details(failure.value, error_details_pb2.ErrorInfo)
    assert info.reason == "REQUEST_ID_REUSED" and info.metadata["trace_id"] == trace_id
