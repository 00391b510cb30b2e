"""ChatService's wire messages to domain objects and back."""

from collections.abc import Iterable
from typing import Any, Literal

from genaifeedback.service.domain import traceparent
from genaifeedback.service.domain.chat import Finished, Started, Token
from genaifeedback.service.domain.limits import (
    MAX_HISTORY_TURNS,
    MAX_MESSAGE_BYTES,
    MAX_TOKENS_RANGE,
    MAX_USER_OR_SESSION_CHARS,
    TEMPERATURE_RANGE,
)
from genaifeedback.service.domain.records import ChatInput, Turn
from genaifeedback.service.domain.traceparent import TraceParent
from genaifeedback.service.egress.otlp import RESERVED_TAGS
from genaifeedback.service.transport.convert.fields import Violations
from genaifeedback.v1 import chat_pb2
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

_ROLES: dict[int, Literal["system", "user", "assistant"]] = {
    chat_pb2.ROLE_SYSTEM: "system",
    chat_pb2.ROLE_USER: "user",
    chat_pb2.ROLE_ASSISTANT: "assistant",
}
_FINISH_REASONS = {
    "stop": chat_pb2.FINISH_REASON_STOP,
    "length": chat_pb2.FINISH_REASON_LENGTH,
    "content_filter": chat_pb2.FINISH_REASON_CONTENT_FILTER,
}


def chat_input(
    request: chat_pb2.ChatRequest | chat_pb2.CompleteChatRequest, metadata: Iterable[tuple[str, Any]] = ()
) -> ChatInput:
    """The chat asked for; `metadata` is the call's, for the caller's `traceparent` (an invalid one is
    ignored, as W3C Trace Context says, rather than refused)."""
    violations = Violations()
    if not request.message.strip():
        violations.add("message", "must not be empty", Reason.REQUIRED)
    violations.check_size("message", request.message, MAX_MESSAGE_BYTES)
    if len(request.history) > MAX_HISTORY_TURNS:
        violations.add("history", f"must have at most {MAX_HISTORY_TURNS} turns", Reason.TOO_LONG)
    for index, turn in enumerate(request.history):
        if turn.role not in _ROLES:
            violations.add(
                f"history[{index}].role", "must be ROLE_SYSTEM, ROLE_USER or ROLE_ASSISTANT", Reason.INVALID_FORMAT
            )
        violations.check_size(f"history[{index}].content", turn.content, MAX_MESSAGE_BYTES)
    violations.check_client_request_id("client_request_id", request.client_request_id)
    violations.check_id("user_id", request.user_id, MAX_USER_OR_SESSION_CHARS)
    violations.check_id("session_id", request.session_id, MAX_USER_OR_SESSION_CHARS)
    violations.check_map("tags", request.tags, RESERVED_TAGS, trace_tags=True)
    options = request.options
    low, high = MAX_TOKENS_RANGE
    if options.HasField("max_tokens") and not low <= options.max_tokens <= high:
        violations.add("options.max_tokens", f"must be from {low} to {high}", Reason.OUT_OF_RANGE)
    coolest, hottest = TEMPERATURE_RANGE
    if options.HasField("temperature") and not coolest <= options.temperature <= hottest:
        violations.add("options.temperature", f"must be from {coolest:g} to {hottest:g}", Reason.OUT_OF_RANGE)
    violations.raise_any()
    return ChatInput(
        message=request.message,
        history=tuple(Turn(_ROLES[t.role], t.content) for t in request.history),
        client_request_id=request.client_request_id,
        user_id=request.user_id,
        session_id=request.session_id,
        tags=dict(request.tags),
        max_tokens=options.max_tokens if options.HasField("max_tokens") else None,
        temperature=options.temperature if options.HasField("temperature") else None,
        caller_trace=_caller_trace(metadata),
    )


def _caller_trace(metadata: Iterable[tuple[str, Any]]) -> TraceParent | None:
    values = [value for key, value in metadata if key == traceparent.HEADER and isinstance(value, str)]
    # Several traceparent values name no one parent: none is taken.
    return traceparent.parse(values[0]) if len(values) == 1 else None


def _usage(finished: Finished) -> chat_pb2.TokenUsage:
    return chat_pb2.TokenUsage(
        input_tokens=finished.usage.input_tokens,
        output_tokens=finished.usage.output_tokens,
        total_tokens=finished.usage.total_tokens,
    )


def _finish_reason(finished: Finished) -> "chat_pb2.FinishReason":
    return _FINISH_REASONS.get(finished.finish_reason, chat_pb2.FINISH_REASON_UNSPECIFIED)


def chat_response(event: Started | Token | Finished) -> chat_pb2.ChatResponse:
    if isinstance(event, Token):
        # chunk_count unset for one chunk: those messages stay as they were before the field.
        chunk_count = event.chunks if event.chunks > 1 else 0
        return chat_pb2.ChatResponse(token=chat_pb2.ChatToken(text=event.text, chunk_count=chunk_count))
    if isinstance(event, Started):
        return chat_pb2.ChatResponse(
            started=chat_pb2.ChatStarted(trace_id=event.trace_id, client_request_id=event.client_request_id)
        )
    return chat_pb2.ChatResponse(
        finished=chat_pb2.ChatFinished(
            trace_id=event.trace_id,
            client_request_id=event.client_request_id,
            finish_reason=_finish_reason(event),
            usage=_usage(event),
            feedback_token=event.feedback_token,
        )
    )


def complete_chat_response(finished: Finished, text: str) -> chat_pb2.CompleteChatResponse:
    return chat_pb2.CompleteChatResponse(
        trace_id=finished.trace_id,
        client_request_id=finished.client_request_id,
        text=text,
        finish_reason=_finish_reason(finished),
        usage=_usage(finished),
        feedback_token=finished.feedback_token,
    )
