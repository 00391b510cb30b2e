"""The mapping of a chat onto an MLflow trace, as OTLP (span attributes MLflow understands).

Each finished chat is encoded once, on its own, into its root span's bytes: that is what the
journal keeps and what the exporter sends. A batch request is then the spans' bytes put side by
side (protobuf's repeated fields are concatenations), so batching costs no re-encoding, and one
trace that cannot be encoded fails alone, at its chat.

MLflow stores each trace tag and metadata entry as a row of its own (a read and an insert), the
bulk of its work per trace: a trace carries only those a reader uses (docs/design.md#mapping-onto-mlflow).
Everything else rides in the span's attributes, stored with the span in one row.
"""

from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from genaifeedback.service.domain.ids import otel_bytes
from genaifeedback.service.domain.records import ChatRecord

# Trace tags the service writes itself; callers' tags may not use these keys.
CLIENT_REQUEST_ID_TAG = "client_request_id"
OUTCOME_TAG = "chat.outcome"
FINISH_REASON_TAG = "chat.finish_reason"
CALLER_TRACEPARENT_TAG = "genaifeedback.caller_traceparent"  # the caller's W3C traceparent (as version 00)
RESERVED_TAGS = frozenset({CLIENT_REQUEST_ID_TAG, OUTCOME_TAG, FINISH_REASON_TAG, CALLER_TRACEPARENT_TAG})

# ExportTraceServiceRequest{resource_spans: [ResourceSpans{resource, scope_spans: [ScopeSpans{scope,
# spans: <here>}]}]}: everything but the spans, encoded once. No resource attributes: MLflow makes
# each a tag of every trace, and `service.name` has no reader (the trace name says `chat`).
_RESOURCE = Resource()
_SCOPE = InstrumentationScope(name="genaifeedback.service.chat")
_RESOURCE_SPANS_FIELD, _SCOPE_SPANS_FIELD, _SPANS_FIELD = 1, 2, 2
_RESOURCE_FIELD, _SCOPE_FIELD = 1, 1


def encode_span(record: ChatRecord) -> bytes:
    """The chat's root span, encoded (raises on what protobuf cannot encode)."""
    return _root_span(record).SerializeToString()


def export_request(spans: list[bytes]) -> bytes:
    """An ExportTraceServiceRequest holding these encoded spans (one trace each)."""
    scope_spans = _field(_SCOPE_FIELD, _SCOPE.SerializeToString()) + b"".join(_field(_SPANS_FIELD, s) for s in spans)
    resource_spans = _field(_RESOURCE_FIELD, _RESOURCE.SerializeToString()) + _field(_SCOPE_SPANS_FIELD, scope_spans)
    return _field(_RESOURCE_SPANS_FIELD, resource_spans)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _root_span(record: ChatRecord) -> Span:
    chat = record.chat
    inputs: dict[str, Any] = {"messages": chat.messages()}
    if chat.max_tokens is not None:
        inputs["max_tokens"] = chat.max_tokens
    if chat.temperature is not None:
        inputs["temperature"] = chat.temperature
    attributes: dict[str, Any] = {
        "mlflow.spanType": "CHAT_MODEL",
        "mlflow.spanInputs": inputs,
        "mlflow.spanOutputs": record.answer,
        "mlflow.llm.model": record.model,
        "mlflow.traceTag.mlflow.traceName": "chat",
        f"mlflow.traceTag.{OUTCOME_TAG}": record.outcome,
    }
    if record.finish_reason:
        attributes[FINISH_REASON_TAG] = record.finish_reason  # on the span, always
        if record.finish_reason != "stop":  # and a tag (searchable) when the answer was cut short
            attributes[f"mlflow.traceTag.{FINISH_REASON_TAG}"] = record.finish_reason
    if record.usage:
        attributes["mlflow.chat.tokenUsage"] = {
            "input_tokens": record.usage.input_tokens,
            "output_tokens": record.usage.output_tokens,
            "total_tokens": record.usage.total_tokens,
        }
    if record.first_token_ns is not None:
        attributes["chat.time_to_first_token_ms"] = (record.first_token_ns - record.start_ns) / 1e6
    if chat.user_id:
        attributes["user.id"] = chat.user_id  # becomes the trace's mlflow.trace.user
    if chat.session_id:
        attributes["session.id"] = chat.session_id  # becomes the trace's mlflow.trace.session
    if chat.client_request_id:
        attributes[f"mlflow.traceTag.{CLIENT_REQUEST_ID_TAG}"] = chat.client_request_id
    for key, value in chat.tags.items():
        attributes[f"mlflow.traceTag.{key}"] = value
    links = []
    if (caller := chat.caller_trace) is not None:
        # A link, not a parent: the chat keeps the trace id the service minted (ids.py); the tag lets
        # the chats of a caller's trace be searched for in MLflow (links are not searchable).
        attributes[f"mlflow.traceTag.{CALLER_TRACEPARENT_TAG}"] = caller.header
        links.append(Span.Link(trace_id=otel_bytes(caller.trace_id), span_id=otel_bytes(caller.span_id)))

    events = []
    if record.outcome == "ok":
        status = Status(code=Status.STATUS_CODE_OK)
    else:
        status = Status(code=Status.STATUS_CODE_ERROR, message=record.error)
        events.append(
            Span.Event(
                name="exception" if record.outcome == "error" else "cancelled",
                time_unix_nano=record.end_ns,
                attributes=[_key_value("exception.message", record.error)],
            )
        )
    return Span(
        trace_id=otel_bytes(record.trace_id),
        span_id=otel_bytes(record.span_id),
        name="chat",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=record.start_ns,
        end_time_unix_nano=record.end_ns,
        attributes=[_key_value(k, v) for k, v in attributes.items()],
        events=events,
        links=links,
        status=status,
    )


def _key_value(key: str, value: Any) -> KeyValue:
    return KeyValue(key=key, value=_any_value(value))


def _any_value(value: Any) -> AnyValue:
    # Structured values go as OTLP maps and lists, so MLflow stores them as JSON objects, not strings.
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[_key_value(k, v) for k, v in value.items()]))
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[_any_value(v) for v in value]))
    return AnyValue(string_value=str(value))
