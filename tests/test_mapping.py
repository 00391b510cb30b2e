"""Unit tests of the pure mapping code: ids, the chat-to-OTLP encoding, assessment identity."""

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genaifeedback.service.domain.feedback import Target
from genaifeedback.service.domain.feedback.intake import derived_assessment_id
from genaifeedback.service.domain.ids import (
    SPAN_ID_PATTERN,
    TRACE_ID_PATTERN,
    new_span_id,
    new_trace_id,
    trace_start_seconds,
)
from genaifeedback.service.domain.records import ChatInput, ChatRecord, FeedbackWrite, Turn, Usage
from genaifeedback.service.egress.otlp import encode_span, export_request


def encode_traces(records: list[ChatRecord]) -> bytes:
    return export_request([encode_span(r) for r in records])


def test_trace_ids_carry_their_start_time():
    before = time.time()
    trace_id = new_trace_id()
    assert TRACE_ID_PATTERN.match(trace_id)
    assert SPAN_ID_PATTERN.match(new_span_id())
    assert before - 0.002 <= trace_start_seconds(trace_id) <= time.time() + 0.002
    assert new_trace_id() != new_trace_id()


def _record(**changes) -> ChatRecord:
    record = ChatRecord(
        trace_id=new_trace_id(),
        span_id=new_span_id(),
        chat=ChatInput(
            message="hi",
            history=(Turn("system", "be nice"),),
            client_request_id="req-1",
            user_id="u",
            session_id="s",
            tags={"env": "prod"},
        ),
        model="demo",
        start_ns=1_000,
        end_ns=2_000,
        answer="hello",
        usage=Usage(2, 1),
        finish_reason="stop",
    )
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def _attributes(span) -> dict:
    return {kv.key: kv.value for kv in span.attributes}


def test_a_chat_becomes_one_root_span_mlflow_understands():
    record = _record()
    request = ExportTraceServiceRequest.FromString(encode_traces([record]))
    [span] = request.resource_spans[0].scope_spans[0].spans
    assert span.trace_id.hex() == record.trace_id[3:] and span.span_id.hex() == record.span_id
    assert not span.parent_span_id
    attributes = _attributes(span)
    # Structured values travel as OTLP maps/lists so that MLflow stores JSON objects, not strings.
    inputs = attributes["mlflow.spanInputs"].kvlist_value.values
    assert inputs[0].key == "messages" and len(inputs[0].value.array_value.values) == 2
    assert attributes["mlflow.spanOutputs"].string_value == "hello"
    assert attributes["mlflow.traceTag.client_request_id"].string_value == "req-1"
    assert attributes["mlflow.traceTag.env"].string_value == "prod"
    assert attributes["user.id"].string_value == "u" and attributes["session.id"].string_value == "s"
    assert span.status.code == span.status.STATUS_CODE_OK


def test_cancelled_and_failed_chats_are_error_spans_with_the_reason():
    for outcome in ("cancelled", "error"):
        record = _record(outcome=outcome, error="why it ended")
        [span] = ExportTraceServiceRequest.FromString(encode_traces([record])).resource_spans[0].scope_spans[0].spans
        assert span.status.code == span.status.STATUS_CODE_ERROR and span.status.message == "why it ended"
        assert _attributes(span)["mlflow.traceTag.chat.outcome"].string_value == outcome


def test_assessment_ids_are_stable_per_target_and_request_id_whatever_the_feedback():
    trace_a, trace_b = Target(trace_id="tr-" + "a" * 32), Target(trace_id="tr-" + "b" * 32)
    first = derived_assessment_id(trace_a, "r-1", 0)
    assert first == derived_assessment_id(trace_a, "r-1", 0)
    assert first != derived_assessment_id(trace_b, "r-1", 0)
    assert first != derived_assessment_id(trace_a, "r-2", 0)
    assert first != derived_assessment_id(Target(client_request_id="tr-" + "a" * 32), "r-1", 0)
    # The later assessments of one action (ratings) get ids of their own.
    assert len({derived_assessment_id(trace_a, "r-1", index) for index in range(3)}) == 3
    # Without a request id, every call is new.
    assert derived_assessment_id(trace_a, "", 0) != derived_assessment_id(trace_a, "", 0)


def test_a_stored_number_matches_but_a_bool_never_matches_a_number():
    from mlflow.entities import AssessmentSource, Feedback

    def write(value):
        return FeedbackWrite("tr-" + "a" * 32, "a-1", "n", value, "HUMAN", None, None, {}, None)

    stored_four = Feedback(name="n", value=4.0, source=AssessmentSource(source_type="HUMAN"))
    assert write(4).matches(stored_four)
    assert not write(5).matches(stored_four)
    stored_one = Feedback(name="n", value=1.0, source=AssessmentSource(source_type="HUMAN"))
    assert not write(True).matches(stored_one)


def test_settings_come_from_flags_over_environment_over_defaults(monkeypatch):
    from genaifeedback.service.process.config import Settings

    assert Settings.from_command_line([]).experiment_name == "genai-chat-feedback"
    monkeypatch.setenv("FEEDBACK_SERVICE_EXPERIMENT_NAME", "from-env")
    monkeypatch.setenv("FEEDBACK_SERVICE_MAX_CHAT_SECONDS", "42")
    assert Settings.from_command_line([]).experiment_name == "from-env"
    flagged = Settings.from_command_line(["--experiment-name", "from-flag"])
    assert (flagged.experiment_name, flagged.max_chat_seconds) == ("from-flag", 42.0)
