"""The wire-to-domain conversion and its validation, at every limit's edge (no server needed).

The service tests prove the same rules end to end; these pin each boundary exactly, fast enough to
be the suite `make mutation` runs against conversion and ids.py.
"""

import math

import pytest
from google.protobuf import struct_pb2

from genaifeedback.service.domain.errors import InvalidRequest
from genaifeedback.service.domain.feedback import Recorded, Target
from genaifeedback.service.domain.ids import new_trace_id, otel_bytes, trace_start_seconds
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.transport.convert import chat as chat_convert
from genaifeedback.service.transport.convert import feedback as convert
from genaifeedback.v1 import chat_pb2, feedback_pb2

TRACE = "tr-" + "a" * 32


def unschemed(convert_function):
    """The conversion with no feedback schema declared (schemas have tests of their own)."""
    return lambda request: convert_function(request, Schemas(declared={}))


feedback_input = unschemed(convert.feedback_input)
ratings_input = unschemed(convert.ratings_input)


def violations_of(call, request) -> dict[str, str]:
    """field -> reason of every violation (empty when the request is valid)."""
    try:
        call(request)
    except InvalidRequest as error:
        return {v.field: v.reason for v in error.violations}
    return {}


def feedback(**fields) -> feedback_pb2.SubmitFeedbackRequest:
    return feedback_pb2.SubmitFeedbackRequest(**{"trace_id": TRACE, "bool_value": True, "request_id": "r-1", **fields})


def chat(**fields) -> chat_pb2.ChatRequest:
    return chat_pb2.ChatRequest(**{"message": "hi", **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {}),
        ({"name": "a" * 64}, {}),
        ({"name": "a" * 65}, {"name": "INVALID_FORMAT"}),
        ({"name": "9lives"}, {"name": "INVALID_FORMAT"}),
        ({"name": "has.dot"}, {"name": "INVALID_FORMAT"}),
        ({"name": "ok-name_2"}, {}),
        ({"span_id": "a" * 16}, {}),
        ({"span_id": "a" * 15}, {"span_id": "INVALID_FORMAT"}),
        ({"span_id": "A" * 16}, {"span_id": "INVALID_FORMAT"}),
        ({"trace_id": "tr-" + "a" * 31}, {"trace_id": "INVALID_FORMAT"}),
        ({"trace_id": "TR-" + "a" * 32}, {"trace_id": "INVALID_FORMAT"}),
        ({"client_request_id": "c" * 128}, {}),
        ({"client_request_id": "c" * 129}, {"client_request_id": "TOO_LONG"}),
        ({"client_request_id": ""}, {"client_request_id": "REQUIRED"}),
        ({"client_request_id": "it's"}, {"client_request_id": "INVALID_FORMAT"}),
        ({"request_id": "r" * 128}, {}),
        ({"request_id": "r" * 129}, {"request_id": "TOO_LONG"}),
        ({"request_id": "r\t1"}, {"request_id": "INVALID_FORMAT"}),
        ({"source": feedback_pb2.FeedbackSource(id="s" * 250)}, {}),
        ({"source": feedback_pb2.FeedbackSource(id="s" * 251)}, {"source.id": "TOO_LONG"}),
        ({"source": feedback_pb2.FeedbackSource(type=7)}, {"source.type": "INVALID_FORMAT"}),
        ({"rationale": "r" * 16 * 1024}, {}),
        ({"rationale": "r" * (16 * 1024 + 1)}, {"rationale": "TOO_LONG"}),
        ({"rationale": "é" * (8 * 1024 + 1)}, {"rationale": "TOO_LONG"}),  # bytes, not characters
        ({"metadata": {f"k{i}": "v" for i in range(20)}}, {}),
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, {"metadata": "TOO_LONG"}),
        ({"metadata": {"k" * 100: "v"}}, {}),
        ({"metadata": {"k" * 101: "v"}}, {'metadata["' + "k" * 40 + '…"]': "TOO_LONG"}),
        ({"metadata": {"k": "v" * 1024}}, {}),
        ({"metadata": {"k": "v" * 1025}}, {'metadata["k"]': "TOO_LONG"}),
        ({"metadata": {"mlflow.x": "v"}}, {'metadata["mlflow.x"]': "RESERVED_KEY"}),
        ({"string_value": "s" * 8 * 1024, "bool_value": None}, {}),
        ({"string_value": "s" * (8 * 1024 + 1)}, {"string_value": "TOO_LONG"}),
        ({"string_value": "  "}, {"string_value": "REQUIRED"}),
        ({"number_value": math.inf}, {"number_value": "OUT_OF_RANGE"}),
        ({"number_value": -1e308}, {}),
    ],
)
def test_feedback_limits_at_their_edges(fields, expected):
    fields = {k: v for k, v in fields.items() if v is not None}
    if "client_request_id" in fields:
        request = feedback_pb2.SubmitFeedbackRequest(bool_value=True, request_id="r-1", **fields)
    else:
        request = feedback(**fields)
    assert violations_of(feedback_input, request) == expected


def test_a_valid_feedback_becomes_its_domain_form():
    target, [one] = feedback_input(
        feedback(
            name="tone",
            string_value="warm",
            rationale="why",
            metadata={"a": "b"},
            span_id="b" * 16,
            request_id="r",
            source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_LLM_JUDGE, id="judge"),
        )
    )
    assert target == Target(trace_id=TRACE)
    assert (one.name, one.value, one.rationale, one.metadata) == ("tone", "warm", "why", {"a": "b"})
    assert (one.span_id, one.request_id, one.source_type, one.source_id) == ("b" * 16, "r", "LLM_JUDGE", "judge")
    assert feedback_input(feedback())[1][0].name == "user_feedback"  # the default
    assert feedback_input(feedback())[1][0].source_type == "HUMAN"  # unset means HUMAN


def test_missing_target_and_value_are_both_reported():
    assert violations_of(feedback_input, feedback_pb2.SubmitFeedbackRequest()) == {
        "target": "REQUIRED",
        "value": "REQUIRED",
        "request_id": "REQUEST_ID_REQUIRED",
    }


def nested(depth: int, leaf: struct_pb2.Value) -> struct_pb2.Value:
    value = leaf
    for _ in range(depth):
        outer = struct_pb2.Value()
        outer.list_value.values.append(value)
        value = outer
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (nested(16, struct_pb2.Value(number_value=1)), {}),
        (nested(17, struct_pb2.Value(number_value=1)), {"json_value": "TOO_DEEP"}),
        (nested(3, struct_pb2.Value(number_value=math.nan)), {"json_value": "OUT_OF_RANGE"}),
        (struct_pb2.Value(null_value=struct_pb2.NULL_VALUE), {"json_value": "REQUIRED"}),
        (struct_pb2.Value(string_value="x" * 70_000), {"json_value": "TOO_LONG"}),
    ],
)
def test_json_values_at_their_edges(value, expected):
    request = feedback_pb2.SubmitFeedbackRequest(trace_id=TRACE, json_value=value, request_id="r-1")
    assert violations_of(feedback_input, request) == expected


def test_ratings_are_sorted_bounded_and_distinct():
    def ratings(*pairs, **fields):
        return feedback_pb2.SubmitRatingsRequest(
            trace_id=TRACE,
            ratings=[feedback_pb2.DimensionRating(name=n, score=s) for n, s in pairs],
            **{"request_id": "r-1", **fields},
        )

    _, dimensions = ratings_input(ratings(("tone", 1), ("accuracy", 5)))
    assert [(d.name, d.value) for d in dimensions] == [("accuracy", 5), ("tone", 1)]
    assert violations_of(ratings_input, ratings(("a", 0), ("b", 6))) == {
        "ratings[0].score": "OUT_OF_RANGE",
        "ratings[1].score": "OUT_OF_RANGE",
    }
    assert violations_of(ratings_input, ratings(("a", 1), ("a", 2))) == {"ratings[1].name": "DUPLICATE"}
    assert violations_of(ratings_input, ratings()) == {"ratings": "REQUIRED"}
    assert violations_of(ratings_input, ratings(*[(f"d{i}", 3) for i in range(20)])) == {}
    assert violations_of(ratings_input, ratings(*[(f"d{i}", 3) for i in range(21)])) == {"ratings": "TOO_LONG"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {}),
        ({"message": " "}, {"message": "REQUIRED"}),
        ({"message": "m" * 32 * 1024}, {}),
        ({"message": "m" * (32 * 1024 + 1)}, {"message": "TOO_LONG"}),
        ({"history": [chat_pb2.ChatMessage(role=chat_pb2.ROLE_USER, content="c")] * 100}, {}),
        ({"history": [chat_pb2.ChatMessage(role=chat_pb2.ROLE_USER, content="c")] * 101}, {"history": "TOO_LONG"}),
        ({"history": [chat_pb2.ChatMessage(content="c")]}, {"history[0].role": "INVALID_FORMAT"}),
        ({"user_id": "u" * 250}, {}),
        ({"user_id": "u" * 251}, {"user_id": "TOO_LONG"}),
        ({"session_id": "s\n"}, {"session_id": "INVALID_FORMAT"}),
        ({"tags": {"client_request_id": "x"}}, {'tags["client_request_id"]': "RESERVED_KEY"}),
        ({"tags": {"bad!": "x"}}, {'tags["bad!"]': "INVALID_FORMAT"}),
        ({"options": chat_pb2.GenerationOptions(max_tokens=1)}, {}),
        ({"options": chat_pb2.GenerationOptions(max_tokens=8192)}, {}),
        ({"options": chat_pb2.GenerationOptions(max_tokens=0)}, {"options.max_tokens": "OUT_OF_RANGE"}),
        ({"options": chat_pb2.GenerationOptions(max_tokens=8193)}, {"options.max_tokens": "OUT_OF_RANGE"}),
        ({"options": chat_pb2.GenerationOptions(temperature=0)}, {}),
        ({"options": chat_pb2.GenerationOptions(temperature=2)}, {}),
        ({"options": chat_pb2.GenerationOptions(temperature=2.01)}, {"options.temperature": "OUT_OF_RANGE"}),
        ({"options": chat_pb2.GenerationOptions(temperature=-0.01)}, {"options.temperature": "OUT_OF_RANGE"}),
    ],
)
def test_chat_limits_at_their_edges(fields, expected):
    assert violations_of(chat_convert.chat_input, chat(**fields)) == expected


def test_a_valid_chat_keeps_what_was_asked_and_leaves_unset_options_unset():
    request = chat(
        history=[chat_pb2.ChatMessage(role=chat_pb2.ROLE_SYSTEM, content="be brief")],
        client_request_id="c-1",
        tags={"model": "m"},
        options=chat_pb2.GenerationOptions(max_tokens=7),
    )
    parsed = chat_convert.chat_input(request)
    assert parsed.messages() == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert (parsed.client_request_id, parsed.tags, parsed.max_tokens, parsed.temperature) == (
        "c-1",
        {"model": "m"},
        7,
        None,
    )


def test_status_requests_and_responses():
    status = feedback_pb2.GetFeedbackStatusRequest
    assert convert.status_input(status(trace_id=TRACE, assessment_id="a-" + "1" * 32)) == (
        Target(trace_id=TRACE),
        "a-" + "1" * 32,
        "",
    )
    assert violations_of(convert.status_input, status(trace_id=TRACE)) == {"feedback": "REQUIRED"}
    assert violations_of(convert.status_input, status(trace_id=TRACE, assessment_id="a-1")) == {
        "assessment_id": "INVALID_FORMAT"
    }
    assert violations_of(convert.status_input, status(client_request_id="c", request_id="")) == {
        "request_id": "REQUIRED"
    }
    recorded = Recorded("tr-1", {"tone": "a-1"}, "EXPIRED", "TRACE_NOT_FOUND")
    answer = convert.status_response(recorded)
    assert (answer.state, answer.trace_id, dict(answer.assessment_ids), answer.reason) == (
        feedback_pb2.FEEDBACK_STATE_EXPIRED,
        "tr-1",
        {"tone": "a-1"},
        "TRACE_NOT_FOUND",
    )
    assert (
        convert.feedback_response(Recorded("tr-1", {"n": "a-2"}, "PENDING")).state
        == feedback_pb2.FEEDBACK_STATE_PENDING
    )


def test_trace_ids_round_trip_their_time_and_bytes():
    trace_id = new_trace_id(now_ns=1_700_000_000_123_000_000)
    assert trace_start_seconds(trace_id) == 1_700_000_000.123
    assert otel_bytes(trace_id).hex() == trace_id[3:] and len(otel_bytes(trace_id)) == 16


def test_trace_ids_keep_48_bits_of_time_at_the_top_of_their_range_and_wrap_after_it():
    top = (2**48 - 1) * 1_000_000  # the year 10889
    assert trace_start_seconds(new_trace_id(now_ns=top)) == (2**48 - 1) / 1000
    wrapped = new_trace_id(now_ns=(2**48 + 5) * 1_000_000)
    assert len(wrapped) == 35 and trace_start_seconds(wrapped) == 0.005
