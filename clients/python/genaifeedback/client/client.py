"""A small synchronous client for ChatService and FeedbackService.

It hides the stream plumbing (started/token/finished events) and turns every failed call into one
exception type with the google.rpc details decoded. Timeouts and retries come from the gRPC
service config shipped with the package (a copy of the project's clients/service_config.json):
the channel retries feedback writes on UNAVAILABLE, resending the same message, so the same
request_id, which the service deduplicates.
"""

from __future__ import annotations

import enum
import json
import numbers
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar, cast

import grpc
from google.protobuf import json_format, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from genaifeedback.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    errors_pb2,
    feedback_pb2,
    feedback_pb2_grpc,
)

TRACE_ID_METADATA_KEY = "mlflow-trace-id"
"""Trailing metadata key under which the service names a chat's trace, however the call ended."""

ERROR_DOMAIN = "genaifeedback"
"""google.rpc.ErrorInfo.domain of the service's errors."""

SERVICE_CONFIG: str = resources.files(__package__).joinpath("service_config.json").read_text(encoding="utf-8")
"""The gRPC service config (JSON) the client's channels use: per-method timeouts, retry policy."""


def _config_timeouts() -> dict[str, float | None]:
    """Each method's timeout in seconds under SERVICE_CONFIG: a method's own entry wins over its
    service's, as in gRPC (WatchFeedback's entry has none: a live feed lasts as long as its caller)."""
    services = [
        *chat_pb2.DESCRIPTOR.services_by_name.values(),
        *feedback_pb2.DESCRIPTOR.services_by_name.values(),
        *analytics_pb2.DESCRIPTOR.services_by_name.values(),
    ]
    by_service: dict[str, float | None] = {}
    by_method: dict[str, float | None] = {}
    for entry in json.loads(SERVICE_CONFIG)["methodConfig"]:
        seconds = float(entry["timeout"].removesuffix("s")) if "timeout" in entry else None
        for name in entry["name"]:
            if "method" in name:
                by_method[name["method"]] = seconds
            else:
                by_service[name["service"]] = seconds
    return {
        method.name: by_method[method.name] if method.name in by_method else by_service.get(service.full_name)
        for service in services
        for method in service.methods
    }


_CONFIG_TIMEOUTS = _config_timeouts()

Source = Literal["HUMAN", "LLM_JUDGE", "CODE"]
HistoryItem = tuple[str, str] | chat_pb2.ChatMessage
"""An earlier turn: a ("system" | "user" | "assistant", text) pair, or a ChatMessage."""

_FINISH_REASONS = {
    chat_pb2.FINISH_REASON_STOP: "stop",
    chat_pb2.FINISH_REASON_LENGTH: "length",
    chat_pb2.FINISH_REASON_CONTENT_FILTER: "content_filter",
}


def _str_enum(name: str, proto_enum: Any, prefix: str = "") -> type[enum.StrEnum]:
    """The contract's enum as a StrEnum of its value names without `prefix` (UNSPECIFIED left out):
    members equal their names."""
    names = [n.removeprefix(prefix) for n in proto_enum.keys() if not n.endswith("_UNSPECIFIED")]  # noqa: SIM118 - not a dict
    return cast(type[enum.StrEnum], enum.StrEnum(name, [(n, n) for n in names]))


ErrorReason = _str_enum("ErrorReason", errors_pb2.ErrorReason)
"""FeedbackServiceError.reason values (genaifeedback.v1.ErrorReason):
`ErrorReason.TRACE_NOT_FOUND == "TRACE_NOT_FOUND"`."""
FieldViolationReason = _str_enum("FieldViolationReason", errors_pb2.FieldViolationReason)
"""FieldViolation.reason values (genaifeedback.v1.FieldViolationReason), e.g. "INVALID_FORMAT"."""
FeedbackState = _str_enum("FeedbackState", feedback_pb2.FeedbackState, prefix="FEEDBACK_STATE_")
"""Where a feedback is (genaifeedback.v1.FeedbackState without its prefix): PENDING (journaled by the
service, on its way to MLflow), STORED (in MLflow), EXPIRED (its trace never appeared), REJECTED,
DELETED (deleted since: a retry of it records nothing)."""

FeedbackValue = bool | float | str | dict[str, Any] | list[Any]
"""A feedback value: bool, number, str, or a JSON object or array."""


def _without_timeouts(service_config: str) -> str:
    config = json.loads(service_config)
    for entry in config["methodConfig"]:
        entry.pop("timeout", None)
    return json.dumps(config)


# gRPC Python keeps a service config's timeout to itself (the service sees no deadline, so cannot
# answer a waiting call in time) and fires it 1-2 s early (measured with grpcio 1.85). Channels get
# the retry policy only; each call carries its method's timeout as its own deadline (method_timeout).
_CHANNEL_SERVICE_CONFIG = _without_timeouts(SERVICE_CONFIG)


def method_timeout(method: str) -> float | None:
    """The shipped service config's timeout for a method ("SubmitFeedback"), in seconds: pass it as
    the call's `timeout` on a channel built with channel_options()."""
    return _CONFIG_TIMEOUTS.get(method)


def channel_options() -> list[tuple[str, Any]]:
    """Channel options that apply the shipped service config's retry policy, for your own channels;
    its timeouts are per call: `timeout=method_timeout("SubmitFeedback")`."""
    return [("grpc.service_config", _CHANNEL_SERVICE_CONFIG), ("grpc.enable_retries", 1)]


def create_channel(
    target: str,
    credentials: grpc.ChannelCredentials | None = None,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.Channel:
    """A channel to `target` with the shipped service config; TLS when `credentials` are given.

    `options` are added after channel_options(), e.g. ("grpc.primary_user_agent", "my-app/1.0").
    """
    all_options = [*channel_options(), *options]
    if credentials is None:
        return grpc.insecure_channel(target, options=all_options)
    return grpc.secure_channel(target, credentials, options=all_options)


@dataclass(frozen=True)
class FieldViolation:
    """One bad request field (google.rpc.BadRequest.FieldViolation)."""

    field: str  # the field's path, as in the .proto: "ratings[1].score", "source.id"
    description: str
    reason: str  # a FieldViolationReason name, e.g. "INVALID_FORMAT" ("" if the server gave none)


class FeedbackServiceError(Exception):
    """A call that ended with a non-OK status, with what the service said about it (AIP-193)."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        reason: str = "",
        domain: str = "",
        metadata: Mapping[str, str] | None = None,
        field_violations: Iterable[FieldViolation] = (),
        retry_delay: float | None = None,
        resource: str | None = None,
        trace_id: str | None = None,
    ):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        # An ErrorReason name ("TRACE_NOT_FOUND", "INVALID_FIELD", ...): what to match on, not the message.
        self.reason = reason
        self.domain = domain  # "genaifeedback" for the service's own errors
        self.metadata = dict(metadata or {})  # ErrorInfo.metadata, e.g. {"trace_id": ...}
        # Everything wrong with the request at once (google.rpc.BadRequest).
        self.field_violations = list(field_violations)
        self.retry_delay = retry_delay  # seconds the service asks to wait before retrying (RetryInfo)
        self.resource = resource  # what was not found (ResourceInfo.resource_name), e.g. a trace id
        # The trace the failed chat was recorded under, so feedback can still be given on it.
        self.trace_id = trace_id

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, trace_id: str | None = None) -> FeedbackServiceError:
        """Decode a failed call's status: code, message, google.rpc details and the trace id.

        The trace id is ErrorInfo.metadata["trace_id"], else the `mlflow-trace-id` trailer, else
        `trace_id` (the stream's started event).
        """
        if not isinstance(error, grpc.Call):  # every RpcError raised by a call is also a Call
            return cls(grpc.StatusCode.UNKNOWN, str(error), trace_id=trace_id)
        trailer = next((v for k, v in error.trailing_metadata() or () if k == TRACE_ID_METADATA_KEY), None)
        try:
            status = rpc_status.from_call(error)
        except ValueError:  # details inconsistent with the status: report the status alone
            status = None
        info = error_details_pb2.ErrorInfo()
        bad_request = error_details_pb2.BadRequest()
        retry_info = error_details_pb2.RetryInfo()
        resource_info = error_details_pb2.ResourceInfo()
        found = set()
        for detail in status.details if status else ():
            for message in (info, bad_request, retry_info, resource_info):
                if detail.Is(message.DESCRIPTOR):
                    detail.Unpack(message)
                    found.add(message.DESCRIPTOR.name)
        return cls(
            error.code(),
            error.details() or "",
            reason=info.reason,
            domain=info.domain,
            metadata=info.metadata,
            field_violations=[FieldViolation(v.field, v.description, v.reason) for v in bad_request.field_violations],
            retry_delay=retry_info.retry_delay.ToTimedelta().total_seconds() if "RetryInfo" in found else None,
            resource=resource_info.resource_name if "ResourceInfo" in found else None,
            trace_id=info.metadata.get("trace_id") or trailer or trace_id,
        )


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
    finish_reason: str  # "stop", "length", "content_filter" or "" (not reported)
    usage: Usage
    # Lets the end user rate this answer (and nothing else): pass it as feedback(feedback_token=...),
    # from wherever the user clicks. "" when the service issues no tokens.
    feedback_token: str = ""


@dataclass(frozen=True)
class FeedbackToken:
    """A feedback token minted by create_feedback_token(), and what it is bound to."""

    token: str  # "" when the service issues no tokens (no signing keys configured)
    trace_id: str
    user_id: str  # the source id the token's feedback is recorded with
    names: tuple[str, ...]  # the feedback names it allows
    expire_time: datetime | None


def _state(value: int) -> str | None:
    """The proto enum value as a FeedbackState; None for UNSPECIFIED (a service that predates states)
    or a value newer than this client."""
    try:
        return FeedbackState(feedback_pb2.FeedbackState.Name(value).removeprefix("FEEDBACK_STATE_"))
    except ValueError:
        return None


@dataclass(frozen=True)
class FeedbackResult:
    assessment_id: str
    trace_id: str  # "" while a client_request_id target is not resolved to its trace yet
    request_id: str = ""  # the write's idempotency key: sending it again records nothing new
    # PENDING: durably journaled by the service, not in MLflow yet (it gets there on its own);
    # STORED: in MLflow. None only from a service that predates states.
    state: str | None = None


@dataclass(frozen=True)
class RatingsResult:
    trace_id: str
    assessment_ids: dict[str, str]  # dimension name -> assessment id
    request_id: str = ""
    state: str | None = None  # as FeedbackResult.state, for all the dimensions together

    @property
    def assessment_id(self) -> str:
        """The id that names the whole set for get_feedback_status(): its first dimension's, in name order."""
        return self.assessment_ids[min(self.assessment_ids)] if self.assessment_ids else ""


@dataclass(frozen=True)
class FeedbackStatus:
    """What became of a feedback (GetFeedbackStatus)."""

    state: str | None
    trace_id: str  # "" while a client_request_id is not resolved to its trace yet
    assessment_ids: dict[str, str]  # feedback name -> assessment id (one per dimension for ratings)
    reason: str = ""  # for EXPIRED and REJECTED: an ErrorReason name, e.g. "TRACE_NOT_FOUND"


@dataclass(frozen=True)
class FeedbackSchema:
    """What one feedback name may hold (ListFeedbackSchemas): build a UI from it."""

    name: str
    version: int
    type: Literal["boolean", "number", "category", "text"] | None  # None: a type newer than this client
    description: str = ""
    min: float | None = None  # number: the smallest allowed (None: no lower bound)
    max: float | None = None  # number: the largest allowed (None: no upper bound)
    integer_only: bool = False  # number: whole numbers only
    labels: tuple[str, ...] = ()  # category: the labels allowed
    max_length: int | None = None  # text: the most characters allowed
    rationale: Literal["ALLOWED", "REQUIRED", "FORBIDDEN"] | None = "ALLOWED"
    source_types: tuple[Source, ...] = ()  # who may give it
    built_in: bool = False  # a service built-in, not from the operator's schema file

    @classmethod
    def _from_proto(cls, schema: feedback_pb2.FeedbackSchema) -> FeedbackSchema:
        kind = schema.WhichOneof("type")
        number = schema.number
        rationale = feedback_pb2.RationaleRule.Name(schema.rationale).removeprefix("RATIONALE_RULE_")
        return cls(
            name=schema.name,
            version=schema.version,
            type=kind,
            description=schema.description,
            min=number.min if number.HasField("min") else None,
            max=number.max if number.HasField("max") else None,
            integer_only=number.integer_only,
            labels=tuple(schema.category.labels),
            max_length=schema.text.max_length if kind == "text" else None,
            rationale=rationale if rationale in ("ALLOWED", "REQUIRED", "FORBIDDEN") else None,  # type: ignore[arg-type]
            source_types=tuple(
                feedback_pb2.SourceType.Name(t).removeprefix("SOURCE_TYPE_")  # type: ignore[misc]
                for t in schema.source_types
            ),
            built_in=schema.built_in,
        )


@dataclass(frozen=True)
class FeedbackSchemas:
    """The schemas in force on the service, by name, and whether it takes names without one."""

    schemas: dict[str, FeedbackSchema]
    unknown_names_accepted: bool


@dataclass(frozen=True)
class FeedbackRecord:
    """One feedback as MLflow stores it (GetFeedback, ListFeedback), with its place in its vote's history."""

    assessment_id: str
    trace_id: str
    name: str
    # As given: bool, float (a number; an int comes back as a float), str, or a JSON dict or list.
    # None only for a value kind newer than this client.
    value: FeedbackValue | None
    source: Source | None  # None: a source type newer than this client
    source_id: str  # "" for an anonymous vote
    rationale: str
    metadata: dict[str, str]  # the service's own keys (`genaifeedback.`) included
    create_time: datetime | None  # when it was given (its client_time, or when the service got it); UTC
    update_time: datetime | None  # when MLflow last changed it; UTC
    current: bool  # False once a later vote by the same source, or a correction, replaced it
    overrides: str = ""  # the assessment id this one replaced ("" if none)
    overridden_by: str = ""  # the assessment id that replaced this one ("" if none)
    span_id: str = ""  # "" for the whole trace

    @classmethod
    def _from_proto(cls, record: feedback_pb2.FeedbackRecord) -> FeedbackRecord:
        return cls(
            assessment_id=record.assessment_id,
            trace_id=record.trace_id,
            name=record.name,
            value=_get_value(record),
            source=_source_name(record.source.type),
            source_id=record.source.id,
            rationale=record.rationale,
            metadata=dict(record.metadata),
            create_time=_datetime(record, "create_time"),
            update_time=_datetime(record, "update_time"),
            current=record.current,
            overrides=record.overrides,
            overridden_by=record.overridden_by,
            span_id=record.span_id,
        )


@dataclass(frozen=True)
class DeleteResult:
    """What delete_feedback() deleted."""

    trace_id: str
    deleted_assessment_ids: tuple[str, ...]  # empty when nothing was left to delete (deleting is idempotent)


@dataclass(frozen=True)
class EraseProgress:
    """How far an erasure by source has got (EraseFeedbackBySource); counts so far, or the totals when done."""

    traces_scanned: int = 0
    feedback_deleted: int = 0
    traces_changed: int = 0  # traces on which something was deleted
    done: bool = False  # the erasure is complete


class ChatStream:
    """One Chat call: iterate it for the answer's text as it arrives; the rest is on its attributes.

    Each item is one token event's text: one generated chunk while you keep up, or the chunks that
    piled up meanwhile, joined in order, when you (or the connection) fall behind. Every chunk's
    text comes exactly once, in order; `chunks_received` counts chunks, `events_received` events.

    Exiting it as a context manager cancels the call if unfinished, so the service stops
    generating (and records the trace as cancelled).
    """

    def __init__(self, call: Any, client_request_id: str):
        self._call = call  # a response iterator that is also a grpc.Call
        self.client_request_id = client_request_id
        self.finish_reason = ""
        self.usage = Usage()
        self.feedback_token = ""  # set by the final event: see ChatResult.feedback_token
        self._trace_id: str | None = None
        self._texts: list[str] = []
        self.chunks_received = 0
        self.events_received = 0
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
            self.chunks_received += max(1, event.token.chunk_count)  # 0: one chunk (older services)
            self.events_received += 1
        elif kind == "finished":
            self._trace_id = self._trace_id or event.finished.trace_id
            self.finish_reason = _FINISH_REASONS.get(event.finished.finish_reason, "")
            self.usage = Usage._from_proto(event.finished.usage)
            self.feedback_token = event.finished.feedback_token
        return True


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _renamed(method: Callable[_P, _R], old_name: str) -> Callable[_P, _R]:
    """A deprecated alias of `method` under its name before 0.1.0: warns, then calls it."""

    def alias(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        warnings.warn(
            f"FeedbackClient.{old_name} is deprecated and will be removed in 0.3.0: use {method.__name__}",
            DeprecationWarning,
            stacklevel=2,
        )
        return method(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old_name
    alias.__doc__ = f"Deprecated alias of :meth:`{method.__name__}` (removed in 0.3.0)."
    return alias


class FeedbackClient:
    """Chat with the service and send feedback on the chats' traces.

    Given a `target`, the client opens its own channel with the shipped service config
    (create_channel): per-method timeouts (30 s for feedback, 600 s for a chat or an erasure) and retries of
    feedback writes on UNAVAILABLE. A `channel` passed in keeps its own configuration (build it
    with create_channel or channel_options() to get the same) and stays the caller's: close()
    only closes a channel this client opened.

    `timeout` is each call's deadline in seconds, streams included; None (the default) takes each
    method's timeout from the service config, sent to the service as the call's deadline.
    """

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        *,
        channel: grpc.Channel | None = None,
        timeout: float | None = None,
    ):
        self._owns_channel = channel is None
        self._channel = channel if channel is not None else create_channel(target)
        self._chat = chat_pb2_grpc.ChatServiceStub(self._channel)
        self._feedback = feedback_pb2_grpc.FeedbackServiceStub(self._channel)
        self._analytics = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(self._channel)
        self.timeout = timeout

    def _timeout(self, method: str) -> float | None:
        """The call's deadline: `timeout`, else the service config's for the method (see channel_options)."""
        return self.timeout if self.timeout is not None else method_timeout(method)

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
        call = self._chat.Chat(chat_pb2.ChatRequest(**fields), timeout=self._timeout("Chat"))
        return ChatStream(call, fields["client_request_id"])

    def complete_chat(
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
            response = self._chat.CompleteChat(
                chat_pb2.CompleteChatRequest(**fields), timeout=self._timeout("CompleteChat")
            )
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return ChatResult(
            text=response.text,
            trace_id=response.trace_id,
            client_request_id=response.client_request_id or fields["client_request_id"],
            finish_reason=_FINISH_REASONS.get(response.finish_reason, ""),
            usage=Usage._from_proto(response.usage),
            feedback_token=response.feedback_token,
        )

    # Feedback

    def submit_feedback(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        value: bool | float | str | dict[str, Any] | list[Any],
        name: str = "user_feedback",
        rationale: str = "",
        source: Source = "HUMAN",
        source_id: str = "",
        metadata: Mapping[str, str] | None = None,
        span_id: str = "",
        request_id: str | None = None,
        wait_until_stored: bool = False,
        client_time: datetime | None = None,
        feedback_token: str = "",
    ) -> FeedbackResult:
        """Record one feedback on a trace, addressed by trace_id or by the chat's client_request_id.

        The value's Python type picks the kind: bool, number, str, or dict/list (JSON).

        With a source_id the feedback is that rater's vote: it replaces their previous vote on the
        same trace, span and name, which stays in MLflow as history. client_time (when the user
        voted; a naive datetime is local time) decides which vote is current whatever order calls
        arrive in; default: when the service receives the call.

        The call returns once the service has durably journaled the feedback: result.state is
        PENDING (MLflow gets it shortly after, exactly once) or STORED. With wait_until_stored it
        returns once the feedback is in MLflow (STORED), or just before the call's deadline
        (PENDING); a feedback found never to be storable while waiting raises (e.g. NOT_FOUND with
        TRACE_NOT_FOUND when its trace never appeared). Ask get_feedback_status() later otherwise.

        With a feedback_token (a chat's, or create_feedback_token()'s) the feedback is the token's
        user's: leave source and source_id as they are (the service records HUMAN and the token's
        user); the target must be the token's trace. A bad token raises UNAUTHENTICATED
        (FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED) or PERMISSION_DENIED (FEEDBACK_TOKEN_MISMATCH).
        """
        request = feedback_pb2.SubmitFeedbackRequest(
            span_id=span_id,
            name=name,
            source=_source(source, source_id),
            rationale=rationale,
            metadata=metadata or {},
            request_id=request_id or str(uuid.uuid4()),  # one per user action, reused by every retry
            wait_until_stored=wait_until_stored,
            client_time=_timestamp(client_time),
            feedback_token=feedback_token,
            **_target(trace_id, client_request_id),
        )
        _set_value(request, value)
        try:  # the channel retries UNAVAILABLE with this same request, so the same request_id
            response = self._feedback.SubmitFeedback(request, timeout=self._timeout("SubmitFeedback"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return FeedbackResult(response.assessment_id, response.trace_id, request.request_id, _state(response.state))

    def thumbs_up(self, **kwargs: Any) -> FeedbackResult:
        """feedback(value=True, ...)."""
        return self.submit_feedback(value=True, **kwargs)

    def thumbs_down(self, **kwargs: Any) -> FeedbackResult:
        """feedback(value=False, ...)."""
        return self.submit_feedback(value=False, **kwargs)

    def rate(self, score: float, **kwargs: Any) -> FeedbackResult:
        """feedback(value=score, ...): a numeric score, by default the user's 1-5 rating (`user_rating`)."""
        if isinstance(score, bool) or not isinstance(score, numbers.Real):
            raise TypeError(f"score must be a number, not {type(score).__name__}")
        kwargs.setdefault("name", "user_rating")
        return self.submit_feedback(value=score, **kwargs)

    def submit_ratings(
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
        wait_until_stored: bool = False,
        client_time: datetime | None = None,
        feedback_token: str = "",
    ) -> RatingsResult:
        """Rate several dimensions of one trace (e.g. accuracy=4, helpfulness=5); all are recorded or none.

        result.state, wait_until_stored, client_time and feedback_token work as in feedback(), for
        all the dimensions together (the token must allow every dimension's name).
        """
        request = feedback_pb2.SubmitRatingsRequest(
            span_id=span_id,
            ratings=[feedback_pb2.DimensionRating(name=dim, score=score) for dim, score in ratings.items()],
            source=_source(source, source_id),
            rationale=rationale,
            metadata=metadata or {},
            request_id=request_id or str(uuid.uuid4()),
            wait_until_stored=wait_until_stored,
            client_time=_timestamp(client_time),
            feedback_token=feedback_token,
            **_target(trace_id, client_request_id),
        )
        try:
            response = self._feedback.SubmitRatings(request, timeout=self._timeout("SubmitRatings"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return RatingsResult(
            response.trace_id, dict(response.assessment_ids), request.request_id, _state(response.state)
        )

    def create_feedback_token(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        user_id: str = "",
        names: Iterable[str] = (),
    ) -> FeedbackToken:
        """A feedback token for a stored trace (or one whose chat is in flight on the replica asked),
        for user_id (default: the trace's user, else an anonymous id) and names (default: the
        service's list). token is "" when the service issues no tokens."""
        request = feedback_pb2.CreateFeedbackTokenRequest(
            user_id=user_id, names=list(names), **_target(trace_id, client_request_id)
        )
        try:
            response = self._feedback.CreateFeedbackToken(request, timeout=self._timeout("CreateFeedbackToken"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        expires = response.expire_time.ToDatetime(tzinfo=UTC) if response.HasField("expire_time") else None
        names = tuple(response.names)
        return FeedbackToken(response.feedback_token, response.trace_id, response.user_id, names, expires)

    def get_feedback_status(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        request_id: str | None = None,
        assessment_id: str | None = None,
    ) -> FeedbackStatus:
        """Where a feedback or a set of ratings is: PENDING, STORED, EXPIRED, REJECTED (with a reason) or DELETED.

        Name the target it was sent to (trace_id or client_request_id) and either the request_id it
        was sent with (result.request_id) or its assessment_id (result.assessment_id). A request_id
        only finds it with the same target it was sent to; an assessment_id with either, once the
        trace is known. Raises NOT_FOUND (TRACE_NOT_FOUND) if neither the replica nor MLflow knows
        it. Reads are retried on UNAVAILABLE like writes.
        """
        if (request_id is None) == (assessment_id is None):
            raise ValueError("give exactly one of request_id and assessment_id")
        which = {"request_id": request_id} if request_id is not None else {"assessment_id": assessment_id}
        request = feedback_pb2.GetFeedbackStatusRequest(**_target(trace_id, client_request_id), **which)
        try:
            response = self._feedback.GetFeedbackStatus(request, timeout=self._timeout("GetFeedbackStatus"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return FeedbackStatus(_state(response.state), response.trace_id, dict(response.assessment_ids), response.reason)

    def list_feedback_schemas(self) -> FeedbackSchemas:
        """The feedback schemas in force (ListFeedbackSchemas): what each name may hold, so that a
        UI can offer a thumb, a scale, labels or a text box. Feedback that breaks its schema is
        refused with INVALID_ARGUMENT (field violations SCHEMA_MISMATCH, OUT_OF_RANGE, ...)."""
        try:
            response = self._feedback.ListFeedbackSchemas(
                feedback_pb2.ListFeedbackSchemasRequest(), timeout=self._timeout("ListFeedbackSchemas")
            )
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        schemas = {s.name: FeedbackSchema._from_proto(s) for s in response.schemas}
        return FeedbackSchemas(schemas, response.unknown_names_accepted)

    # Stored feedback: read, correct, delete, erase

    def get_feedback(
        self, assessment_id: str, *, trace_id: str | None = None, client_request_id: str | None = None
    ) -> FeedbackRecord:
        """One stored feedback, read back from MLflow, with whether it is the current vote and what it
        replaced or was replaced by. Raises NOT_FOUND (FEEDBACK_NOT_FOUND) if MLflow does not have it."""
        request = feedback_pb2.GetFeedbackRequest(assessment_id=assessment_id, **_target(trace_id, client_request_id))
        try:
            response = self._feedback.GetFeedback(request, timeout=self._timeout("GetFeedback"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return FeedbackRecord._from_proto(response.feedback)

    def list_feedback(
        self,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        source_id: str | None = None,
        name: str = "",
        start: datetime | None = None,
        end: datetime | None = None,
        include_history: bool = False,
        page_size: int | None = None,
    ) -> Iterator[FeedbackRecord]:
        """Stored feedback on one trace (trace_id or client_request_id), or given by one source_id on
        any trace: an iterator over every page (fetched as you go, page_size records per call; the
        service's default is 100). Current votes only unless include_history; by trace, then oldest
        first.

        name keeps one feedback name; start (inclusive) and end (exclusive) bound when it was given
        (for source_id, start also bounds the traces searched: default the last 30 days). The
        arguments are checked at once; a service error is raised while iterating.
        """
        scopes = {"trace_id": trace_id, "client_request_id": client_request_id, "source_id": source_id}
        given = {key: value for key, value in scopes.items() if value is not None}
        if len(given) != 1:
            raise ValueError("give exactly one of trace_id, client_request_id and source_id")
        request = feedback_pb2.ListFeedbackRequest(
            name=name,
            start_time=_timestamp(start),
            end_time=_timestamp(end),
            include_history=include_history,
            page_size=page_size or 0,
            **given,
        )
        return self._pages(request)

    def _pages(self, request: feedback_pb2.ListFeedbackRequest) -> Iterator[FeedbackRecord]:
        while True:
            try:
                page = self._feedback.ListFeedback(request, timeout=self._timeout("ListFeedback"))
            except grpc.RpcError as error:
                raise FeedbackServiceError.from_rpc_error(error) from None
            yield from (FeedbackRecord._from_proto(record) for record in page.feedback)
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    def correct_feedback(
        self,
        assessment_id: str,
        value: FeedbackValue,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        rationale: str,
        source_id: str,
        source: Source = "HUMAN",
        metadata: Mapping[str, str] | None = None,
        request_id: str | None = None,
        wait_until_stored: bool = False,
    ) -> FeedbackResult:
        """Correct a stored feedback: an expert (source_id, required) or a judge gives the right value,
        of the same name and schema, and why it was wrong (rationale, required). The correction
        overrides the original, which stays in MLflow as history. Raises NOT_FOUND
        (FEEDBACK_NOT_FOUND) if the feedback is not in MLflow. result.state as in feedback().
        """
        request = feedback_pb2.CorrectFeedbackRequest(
            assessment_id=assessment_id,
            source=_source(source, source_id),
            rationale=rationale,
            metadata=metadata or {},
            request_id=request_id or str(uuid.uuid4()),
            wait_until_stored=wait_until_stored,
            **_target(trace_id, client_request_id),
        )
        _set_value(request, value)
        try:
            response = self._feedback.CorrectFeedback(request, timeout=self._timeout("CorrectFeedback"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return FeedbackResult(response.assessment_id, response.trace_id, request.request_id, _state(response.state))

    def delete_feedback(
        self,
        assessment_id: str | None = None,
        *,
        trace_id: str | None = None,
        client_request_id: str | None = None,
        all_on_trace: bool = False,
    ) -> DeleteResult:
        """Delete one feedback with its whole history (the rater's earlier votes, corrections of it),
        or with all_on_trace=True every feedback on the trace. Final: a late retry of a deleted
        feedback records nothing (its state is DELETED). Idempotent: deleting again deletes nothing.
        """
        if (assessment_id is None) == (not all_on_trace):
            raise ValueError("give exactly one of assessment_id and all_on_trace=True")
        which: dict[str, Any] = (
            {"assessment_id": assessment_id} if assessment_id is not None else {"all_on_trace": True}
        )
        request = feedback_pb2.DeleteFeedbackRequest(**_target(trace_id, client_request_id), **which)
        try:
            response = self._feedback.DeleteFeedback(request, timeout=self._timeout("DeleteFeedback"))
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        return DeleteResult(response.trace_id, tuple(response.deleted_assessment_ids))

    def delete_all_feedback(self, *, trace_id: str | None = None, client_request_id: str | None = None) -> DeleteResult:
        """Delete every feedback on the trace, each with its history: delete_feedback(all_on_trace=True)."""
        return self.delete_feedback(trace_id=trace_id, client_request_id=client_request_id, all_on_trace=True)

    def erase_feedback_by_source(
        self,
        source_id: str,
        *,
        source: Source | None = None,
        on_progress: Callable[[EraseProgress], None] | None = None,
        timeout: float | None = None,
    ) -> EraseProgress:
        """Delete every feedback source_id gave (of one source type, or any), on every trace of the
        service's experiment, for good (as delete_feedback). Returns the totals (done=True) once the
        erasure is complete; on_progress, if given, is called with each progress report the service
        streams (one per page of traces searched, the last one done).

        The erasure walks the whole experiment: the service config gives it 600 s; `timeout`
        (seconds) replaces the client's deadline for this call (gRPC keeps the shorter of it and
        the service config's; a channel with a config of your own allows longer). Feedback still on its
        way from another replica can escape it: run it again once deliveries have drained to be
        certain. An erasure cut short (error, deadline) raises; what it deleted stays deleted, and
        running it again finishes the job.
        """
        request = feedback_pb2.EraseFeedbackBySourceRequest(
            source_id=source_id,
            source_type=_source(source, source_id).type if source is not None else feedback_pb2.SOURCE_TYPE_UNSPECIFIED,
        )
        progress = EraseProgress()
        call = self._feedback.EraseFeedbackBySource(
            request, timeout=timeout if timeout is not None else self._timeout("EraseFeedbackBySource")
        )
        try:
            for message in call:
                progress = EraseProgress(
                    message.traces_scanned, message.feedback_deleted, message.traces_changed, message.done
                )
                if on_progress is not None:
                    on_progress(progress)
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        finally:
            call.cancel()  # a no-op once the stream has ended; stops the erasure if on_progress raised
        return progress

    def get_feedback_summary(self, **fields: Any) -> analytics_pb2.GetFeedbackSummaryResponse:
        """The feedback summary (GetFeedbackSummary): `fields` are those of
        GetFeedbackSummaryRequest (start_time, end_time as datetimes or Timestamps, trace_tags,
        user_id, session_id, source_type, interval, group_by, group_by_tag, group_values,
        count_traces_with_feedback). Returns the response message itself."""
        try:
            return cast(
                analytics_pb2.GetFeedbackSummaryResponse,
                self._analytics.GetFeedbackSummary(
                    analytics_pb2.GetFeedbackSummaryRequest(**fields), timeout=self._timeout("GetFeedbackSummary")
                ),
            )
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None

    def export_feedback(self, **fields: Any) -> Iterator[analytics_pb2.ExportFeedbackResponse]:
        """Traces with their feedback (ExportFeedback), oldest first: `fields` are those of
        ExportFeedbackRequest. Each message's `page_token` resumes after its trace."""
        call = self._analytics.ExportFeedback(
            analytics_pb2.ExportFeedbackRequest(**fields), timeout=self._timeout("ExportFeedback")
        )
        try:
            yield from call
        except grpc.RpcError as error:
            raise FeedbackServiceError.from_rpc_error(error) from None
        finally:
            call.cancel()

    # The names before 0.1.0, kept as deprecated aliases until 0.3.0: each method that makes one RPC
    # is now named after it, as in the Go, Java and Node clients (docs/clients.md#method-names).
    complete = _renamed(complete_chat, "complete")
    feedback = _renamed(submit_feedback, "feedback")
    rate_dimensions = _renamed(submit_ratings, "rate_dimensions")
    feedback_status = _renamed(get_feedback_status, "feedback_status")
    list_schemas = _renamed(list_feedback_schemas, "list_schemas")
    correct = _renamed(correct_feedback, "correct")
    erase_source = _renamed(erase_feedback_by_source, "erase_source")
    summary = _renamed(get_feedback_summary, "summary")
    export = _renamed(export_feedback, "export")


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
        "options": chat_pb2.GenerationOptions(**{k: v for k, v in options.items() if v is not None}),  # type: ignore[arg-type]
    }


def _chat_message(item: HistoryItem) -> chat_pb2.ChatMessage:
    if isinstance(item, chat_pb2.ChatMessage):
        return item
    role, content = item
    return chat_pb2.ChatMessage(role="ROLE_" + role.upper(), content=content)


def _target(trace_id: str | None, client_request_id: str | None) -> dict[str, Any]:
    if (trace_id is None) == (client_request_id is None):
        raise ValueError("give exactly one of trace_id and client_request_id")
    return {"trace_id": trace_id} if trace_id is not None else {"client_request_id": client_request_id or ""}


def _source(source: str, source_id: str) -> feedback_pb2.FeedbackSource:
    if source not in ("HUMAN", "LLM_JUDGE", "CODE"):
        raise ValueError(f"source must be HUMAN, LLM_JUDGE or CODE, not {source!r}")
    return feedback_pb2.FeedbackSource(type="SOURCE_TYPE_" + source, id=source_id)


def _source_name(source_type: int) -> Source | None:
    """The proto SourceType as a Source (unset is HUMAN); None for a type newer than this client."""
    if source_type == feedback_pb2.SOURCE_TYPE_UNSPECIFIED:
        return "HUMAN"
    try:
        return cast(Source, feedback_pb2.SourceType.Name(source_type).removeprefix("SOURCE_TYPE_"))
    except ValueError:
        return None


def _timestamp(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A datetime as a Timestamp; a naive datetime is local time (as datetime.timestamp() takes it)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, not {type(moment).__name__}")
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def _datetime(record: feedback_pb2.FeedbackRecord, field: Literal["create_time", "update_time"]) -> datetime | None:
    return getattr(record, field).ToDatetime(tzinfo=UTC) if record.HasField(field) else None


def _get_value(record: feedback_pb2.FeedbackRecord) -> FeedbackValue | None:
    kind = record.WhichOneof("value")
    if kind == "json_value":
        return cast(FeedbackValue, json_format.MessageToDict(record.json_value))
    return cast(FeedbackValue | None, getattr(record, kind) if kind else None)


def _set_value(
    request: feedback_pb2.SubmitFeedbackRequest | feedback_pb2.CorrectFeedbackRequest, value: object
) -> None:
    # bool first: it is also a number in Python.
    if isinstance(value, bool):
        request.bool_value = value
    elif isinstance(value, numbers.Real):
        request.number_value = float(value)
    elif isinstance(value, str):
        request.string_value = value
    elif isinstance(value, (dict, list)):
        json_format.ParseDict(cast(Any, value), request.json_value)
    else:
        raise TypeError(f"feedback value must be bool, int, float, str, dict or list, not {type(value).__name__}")
