"""A small synchronous client for ChatService and FeedbackService.

It hides the stream plumbing (started/token/finished events), turns every failed call into one
exception type with the google.rpc details decoded, and retries feedback writes, which is safe
because the service deduplicates them by request_id.
"""

from __future__ import annotations

import numbers
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc

TRACE_ID_METADATA_KEY = "mlflow-trace-id"
"""Trailing metadata key under which the service names a chat's trace, however the call ended."""

Source = Literal["HUMAN", "LLM_JUDGE", "CODE"]
HistoryItem = tuple[str, str] | chat_pb2.ChatMessage
"""An earlier turn: a ("system" | "user" | "assistant", text) pair, or a ChatMessage."""

_FINISH_REASONS = {chat_pb2.FINISH_REASON_STOP: "stop", chat_pb2.FINISH_REASON_LENGTH: "length"}
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_T = TypeVar("_T")


class FeedbackServiceError(Exception):
    """A call that ended with a non-OK status, with what the service said about it."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        trace_id: str | None = None,
        field_violations: Iterable[tuple[str, str]] = (),
    ):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        # The trace the failed chat was recorded under, so feedback can still be given on it.
        self.trace_id = trace_id
        # (field, description) pairs from google.rpc.BadRequest: everything wrong at once.
        self.field_violations = list(field_violations)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, trace_id: str | None = None) -> FeedbackServiceError:
        """Decode code, details, trailing `mlflow-trace-id` and BadRequest violations of a failed call."""
        if not isinstance(error, grpc.Call):  # every RpcError raised by a call is also a Call
            return cls(grpc.StatusCode.UNKNOWN, str(error), trace_id=trace_id)
        trailing = error.trailing_metadata() or ()
        trace_id = next((v for k, v in trailing if k == TRACE_ID_METADATA_KEY), None) or trace_id
        violations = []
        try:
            status = rpc_status.from_call(error)
        except ValueError:  # details inconsistent with the status: report the status alone
            status = None
        for detail in status.details if status else ():
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                violations.extend((v.field, v.description) for v in bad_request.field_violations)
        return cls(error.code(), error.details() or "", trace_id=trace_id, field_violations=violations)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def _from_proto(cls, usage: chat_pb2.TokenUsage) -> Usage:
        return cls(usage.input_tokens, usage.output_tokens, usage.total_tokens)


@dataclass(frozen=True)
class ChatResult:
    text: str
    trace_id: str
    client_request_id: str
    finish_reason: str  # "stop", "length" or "" (not reported)
    usage: Usage


@dataclass(frozen=True)
class FeedbackResult:
    assessment_id: str
    trace_id: str


@dataclass(frozen=True)
class RatingsResult:
    trace_id: str
    assessment_ids: dict[str, str]  # dimension name -> assessment id


@dataclass(frozen=True)
class RetryPolicy:
    """How feedback writes are retried on UNAVAILABLE and DEADLINE_EXCEEDED (each attempt gets a full timeout)."""

    max_attempts: int = 4
    initial_backoff: float = 0.2
    multiplier: float = 2.0
    max_backoff: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoffs(self) -> list[float]:
        """The waits before the 2nd, 3rd, ... attempt."""
        return [min(self.initial_backoff * self.multiplier**i, self.max_backoff) for i in range(self.max_attempts - 1)]


class ChatStream:
    """One Chat call: iterate it for the answer's text chunks; the rest is on its attributes.

    Exiting it as a context manager cancels the call if unfinished, so the service stops
    generating (and records the trace as cancelled).
    """

    def __init__(self, call: Any, client_request_id: str):
        self._call = call  # a response iterator that is also a grpc.Call
        self.client_request_id = client_request_id
        self.finish_reason = ""
        self.usage = Usage()
        self._trace_id: str | None = None
        self._texts: list[str] = []
        self._unread: deque[str] = deque()
        self._done = False
        self._error: FeedbackServiceError | None = None

    @property
    def trace_id(self) -> str | None:
        """The chat's MLflow trace id; reads the stream's first event if not seen yet (None if it never came)."""
        while self._trace_id is None and self._read_event():
            pass
        return self._trace_id

    @property
    def text(self) -> str:
        """All text received so far."""
        return "".join(self._texts)

    @property
    def done(self) -> bool:
        return self._done

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._error is not None:  # a failed stream keeps failing rather than look finished
            raise self._error
        while not self._unread:
            if not self._read_event():
                raise StopIteration
        return self._unread.popleft()

    def cancel(self) -> None:
        """Hang up: the service stops generating. Does nothing once the stream has ended."""
        if not self._done:
            self._done = True
            self._call.cancel()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()

    def _read_event(self) -> bool:
        """Take one event into this object's state; False once the stream has ended."""
        if self._done:
            return False
        try:
            event = next(self._call)
        except StopIteration:
            self._done = True
            return False
        except grpc.RpcError as error:
            self._done = True
            self._error = FeedbackServiceError.from_rpc_error(error, self._trace_id)
            raise self._error from None
        kind = event.WhichOneof("event")
        if kind == "started":
            self._trace_id = event.started.trace_id
        elif kind == "token":
            self._texts.append(event.token.text)
            self._unread.append(event.token.text)
        elif kind == "finished":
            self._trace_id = self._trace_id or event.finished.trace_id
            self.finish_reason = _FINISH_REASONS.get(event.finished.finish_reason, "")
            self.usage = Usage._from_proto(event.finished.usage)
        return True


class FeedbackClient:
    """Chat with the service and send feedback on the chats' traces.

    `timeout` is each call's deadline in seconds (None: none), streams included. A channel passed
    in stays the caller's: close() only closes a channel this client opened.
    """

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        *,
        channel: grpc.Channel | None = None,
        timeout: float | None = 30.0,
        retry: RetryPolicy = RetryPolicy(),
    ):
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else grpc.insecure_channel(target)
        self._chat = chat_pb2_grpc.ChatServiceStub(self._channel)
        self._feedback = feedback_pb2_grpc.FeedbackServiceStub(self._channel)
        self.timeout = timeout
        self.retry = retry

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> FeedbackClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Chat

    def chat(
        self,
        message: str,
        *,
        history: Iterable[HistoryItem] = (),
        client_request_id: str | None = None,
        user_id: str = "",
        session_id: str = "",
        tags: Mapping[str, str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatStream:
        """Start a streamed chat. Without a client_request_id one is generated, so feedback can always target it."""
        fields = _chat_fields(message, history, client_request_id, user_id, session_id, tags, max_tokens, temperature)
        call = self._chat.Chat(chat_pb2.ChatRequest(**fields), timeout=self.timeout)
        return ChatStream(call, fields["client_request_id"])

    def complete(
        self,
        message: str,
        *,
        history: Iterable[HistoryItem] = (),
        client_request_id: str | None = None,
        user_id: str = "",
        session_id: str = "",
        tags: Mapping[str, str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResult:
        """The whole answer at once (CompleteChat). Not retried: every call is a new chat and trace."""
        fields = _chat_fields(message, history, client_request_id, user_id, session_id, tags, max_tokens, temperature)
        try:
            response = self._chat.CompleteChat(chat_pb2.CompleteChatRequest(**fields), timeout=self.timeout)
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return ChatResult(
            text=response.text,
            trace_id=response.trace_id,
            client_request_id=response.client_request_id or fields["client_request_id"],
            finish_reason=_FINISH_REASONS.get(response.finish_reason, ""),
            usage=Usage._from_proto(response.usage),
        )

    # Feedback

    def feedback(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        value: bool | float | str | dict | list,
        name: str = "user_feedback",
        rationale: str = "",
        source: Source = "HUMAN",
        source_id: str = "",
        metadata: Mapping[str, str] | None = None,
        span_id: str = "",
        request_id: str | None = None,
    ) -> FeedbackResult:
        """Record one feedback on a trace, addressed by trace_id or by the chat's client_request_id.

        The value's Python type picks the kind: bool, number, str, or dict/list (JSON).
        """
        request = feedback_pb2.SubmitFeedbackRequest(
            span_id=span_id,
            name=name,
            source=_source(source, source_id),
            rationale=rationale,
            metadata=metadata or {},
            request_id=request_id or str(uuid.uuid4()),  # one per user action, reused by every retry
            **_target(trace_id, client_request_id),
        )
        _set_value(request, value)
        response = self._retrying(self._feedback.SubmitFeedback, request)
        return FeedbackResult(assessment_id=response.assessment_id, trace_id=response.trace_id)

    def thumbs_up(self, **kwargs: Any) -> FeedbackResult:
        """feedback(value=True, ...)."""
        return self.feedback(value=True, **kwargs)

    def thumbs_down(self, **kwargs: Any) -> FeedbackResult:
        """feedback(value=False, ...)."""
        return self.feedback(value=False, **kwargs)

    def rate(self, score: float, **kwargs: Any) -> FeedbackResult:
        """feedback(value=score, ...): a numeric score such as a 1-5 rating."""
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise TypeError(f"score must be a number, not {type(score).__name__}")
        return self.feedback(value=score, **kwargs)

    def rate_dimensions(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        ratings: Mapping[str, int],
        rationale: str = "",
        source: Source = "HUMAN",
        source_id: str = "",
        metadata: Mapping[str, str] | None = None,
        span_id: str = "",
        request_id: str | None = None,
    ) -> RatingsResult:
        """Rate several dimensions of one trace (e.g. accuracy=4, helpfulness=5); all are recorded or none."""
        request = feedback_pb2.SubmitRatingsRequest(
            span_id=span_id,
            ratings=[feedback_pb2.DimensionRating(name=dim, score=score) for dim, score in ratings.items()],
            source=_source(source, source_id),
            rationale=rationale,
            metadata=metadata or {},
            request_id=request_id or str(uuid.uuid4()),
            **_target(trace_id, client_request_id),
        )
        response = self._retrying(self._feedback.SubmitRatings, request)
        return RatingsResult(trace_id=response.trace_id, assessment_ids=dict(response.assessment_ids))

    def _retrying(self, method: Callable[..., _T], request: Any) -> _T:
        """Call, retrying transient failures; the unchanged request_id lets the service deduplicate."""
        backoffs = self.retry.backoffs()
        for attempt in range(self.retry.max_attempts):
            try:
                return method(request, timeout=self.timeout)
            except grpc.RpcError as error:
                if attempt == len(backoffs) or not isinstance(error, grpc.Call) or error.code() not in _RETRYABLE:
                    raise FeedbackServiceError.from_rpc_error(error) from None
            time.sleep(backoffs[attempt])
        raise AssertionError("unreachable: the last attempt returns or raises")


def _chat_fields(
    message: str,
    history: Iterable[HistoryItem],
    client_request_id: str | None,
    user_id: str,
    session_id: str,
    tags: Mapping[str, str] | None,
    max_tokens: int | None,
    temperature: float | None,
) -> dict[str, Any]:
    """The fields ChatRequest and CompleteChatRequest share."""
    options = {"max_tokens": max_tokens, "temperature": temperature}
    return {
        "message": message,
        "history": [_chat_message(item) for item in history],
        "client_request_id": str(uuid.uuid4()) if client_request_id is None else client_request_id,
        "user_id": user_id,
        "session_id": session_id,
        "tags": tags or {},
        "options": chat_pb2.GenerationOptions(**{k: v for k, v in options.items() if v is not None}),
    }


def _chat_message(item: HistoryItem) -> chat_pb2.ChatMessage:
    if isinstance(item, chat_pb2.ChatMessage):
        return item
    role, content = item
    return chat_pb2.ChatMessage(role=chat_pb2.Role.Value("ROLE_" + role.upper()), content=content)


def _target(trace_id: str | None, client_request_id: str | None) -> dict[str, str]:
    if (trace_id is None) == (client_request_id is None):
        raise ValueError("give exactly one of trace_id and client_request_id")
    return {"trace_id": trace_id} if trace_id is not None else {"client_request_id": client_request_id}


def _source(source: str, source_id: str) -> feedback_pb2.FeedbackSource:
    if source not in ("HUMAN", "LLM_JUDGE", "CODE"):
        raise ValueError(f"source must be HUMAN, LLM_JUDGE or CODE, not {source!r}")
    return feedback_pb2.FeedbackSource(type=feedback_pb2.SourceType.Value("SOURCE_TYPE_" + source), id=source_id)


def _set_value(request: feedback_pb2.SubmitFeedbackRequest, value: object) -> None:
    # bool first: it is also a number in Python.
    if isinstance(value, bool):
        request.bool_value = value
    elif isinstance(value, numbers.Real):
        request.number_value = float(value)
    elif isinstance(value, str):
        request.string_value = value
    elif isinstance(value, (dict, list)):
        json_format.ParseDict(value, request.json_value)
    else:
        raise TypeError(f"feedback value must be bool, int, float, str, dict or list, not {type(value).__name__}")
