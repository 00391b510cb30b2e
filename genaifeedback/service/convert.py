"""Wire messages to domain objects and back. Validation lives here: every check names the
request field it is about, so a caller gets all violations at once as google.rpc.BadRequest."""

import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2
from mlflow.exceptions import MlflowException
from mlflow.tracing.constant import MAX_CHARS_IN_TRACE_INFO_METADATA
from mlflow.utils.validation import _validate_tag_name

from genaifeedback.service.chat import ChatInput, Finished, Started, Token, Turn
from genaifeedback.service.errors import FieldViolation, InvalidRequest
from genaifeedback.service.feedback import DEFAULT_FEEDBACK_NAME, FeedbackInput, Recorded, Target
from genaifeedback.service.ids import SPAN_ID_PATTERN, TRACE_ID_PATTERN
from genaifeedback.service.otlp import RESERVED_TAGS
from genaifeedback.service.schemas import RESERVED_METADATA_PREFIX, Schemas
from genaifeedback.v1 import chat_pb2, feedback_pb2

KIB = 1024
MAX_MESSAGE_BYTES = 32 * KIB
MAX_HISTORY_TURNS = 100
MAX_CLIENT_REQUEST_ID_CHARS = 128
MAX_USER_OR_SESSION_CHARS = MAX_CHARS_IN_TRACE_INFO_METADATA  # MLflow refuses the whole trace beyond it
MAX_ENTRIES = 20  # tags, metadata, ratings
MAX_KEY_CHARS = 100
MAX_ENTRY_VALUE_BYTES = KIB
MAX_TOKENS_RANGE = (1, 8192)
TEMPERATURE_RANGE = (0.0, 2.0)
ASSESSMENT_ID_PATTERN = re.compile(r"a-[0-9a-f]{32}")
FEEDBACK_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
# MLflow's search syntax has no escapes, so ids with quotes could never be looked up.
CLIENT_REQUEST_ID_PATTERN = re.compile(r"[^'\"`\x00-\x1f\x7f]*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_STRING_VALUE_BYTES = 8 * KIB
MAX_JSON_VALUE_BYTES = 64 * KIB
MAX_JSON_DEPTH = 16  # objects and lists inside each other
MAX_RATIONALE_BYTES = 16 * KIB
MAX_SOURCE_ID_CHARS = 250  # MLflow's column size
MAX_REQUEST_ID_CHARS = 128
RATING_RANGE = (1, 5)

_ROLES: dict[int, Literal["system", "user", "assistant"]] = {
    chat_pb2.ROLE_SYSTEM: "system",
    chat_pb2.ROLE_USER: "user",
    chat_pb2.ROLE_ASSISTANT: "assistant",
}
_SOURCE_TYPES: dict[int, Literal["HUMAN", "LLM_JUDGE", "CODE"]] = {
    feedback_pb2.SOURCE_TYPE_UNSPECIFIED: "HUMAN",
    feedback_pb2.SOURCE_TYPE_HUMAN: "HUMAN",
    feedback_pb2.SOURCE_TYPE_LLM_JUDGE: "LLM_JUDGE",
    feedback_pb2.SOURCE_TYPE_CODE: "CODE",
}
_FINISH_REASONS = {
    "stop": chat_pb2.FINISH_REASON_STOP,
    "length": chat_pb2.FINISH_REASON_LENGTH,
    "content_filter": chat_pb2.FINISH_REASON_CONTENT_FILTER,
}


# FieldViolation reasons: the contract's FieldViolationReason values (errors.proto).
REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID_FORMAT = "REQUIRED", "TOO_LONG", "OUT_OF_RANGE", "INVALID_FORMAT"
RESERVED_KEY, DUPLICATE, TOO_DEEP = "RESERVED_KEY", "DUPLICATE", "TOO_DEEP"


class _Violations(list[FieldViolation]):
    def add(self, field: str, description: str, reason: str) -> None:
        self.append(FieldViolation(field, description, reason))

    def raise_any(self) -> None:
        if self:
            raise InvalidRequest(list(self))

    def check_size(self, field: str, text: str, max_bytes: int) -> None:
        if len(text.encode()) > max_bytes:
            self.add(field, f"must be at most {max_bytes} bytes of UTF-8", TOO_LONG)

    def check_chars(self, field: str, text: str, max_chars: int) -> None:
        if len(text) > max_chars:
            self.add(field, f"must be at most {max_chars} characters", TOO_LONG)

    def check_id(self, field: str, value: str, max_chars: int) -> None:
        """An identifier: bounded, and no control characters (a trailing newline is a bug upstream)."""
        self.check_chars(field, value, max_chars)
        if CONTROL_CHARACTERS.search(value):
            self.add(field, "must not contain control characters (newlines, tabs, ...)", INVALID_FORMAT)

    def check_client_request_id(self, field: str, value: str) -> None:
        self.check_chars(field, value, MAX_CLIENT_REQUEST_ID_CHARS)
        if not CLIENT_REQUEST_ID_PATTERN.fullmatch(value):
            self.add(field, "must not contain quotes (' \" `) or control characters", INVALID_FORMAT)

    def check_map(
        self,
        field: str,
        entries: Mapping[str, str],
        reserved: frozenset[str] = frozenset(),
        trace_tags: bool = False,
        reserved_prefixes: tuple[str, ...] = ("mlflow.",),
    ) -> None:
        if len(entries) > MAX_ENTRIES:
            self.add(field, f"must have at most {MAX_ENTRIES} entries", TOO_LONG)
        for key, value in entries.items():
            entry = f"{field}[{_quoted(key)}]"
            if not key or len(key) > MAX_KEY_CHARS:
                self.add(entry, f"key must be 1 to {MAX_KEY_CHARS} characters", TOO_LONG if key else REQUIRED)
            elif key.startswith(reserved_prefixes) or key in reserved:
                self.add(entry, "key is reserved", RESERVED_KEY)
            elif CONTROL_CHARACTERS.search(key):
                self.add(entry, "key must not contain control characters", INVALID_FORMAT)
            elif trace_tags and (problem := _tag_key_problem(key)):
                self.add(entry, problem, INVALID_FORMAT)
            self.check_size(entry, value, MAX_ENTRY_VALUE_BYTES)


def _quoted(key: str, limit: int = 40) -> str:
    """A map key as it appears in a violation's field path: quoted, and never unbounded."""
    return json.dumps(key if len(key) <= limit else key[:limit] + "…", ensure_ascii=False)


def _tag_key_problem(key: str) -> str | None:
    """MLflow's own rule for trace tag keys (it would silently drop a tag that breaks it)."""
    try:
        _validate_tag_name(key)  # type: ignore[no-untyped-call]  # mlflow is untyped
    except MlflowException as error:
        return error.message
    return None


# --- chat


def chat_input(request: chat_pb2.ChatRequest | chat_pb2.CompleteChatRequest) -> ChatInput:
    violations = _Violations()
    if not request.message.strip():
        violations.add("message", "must not be empty", REQUIRED)
    violations.check_size("message", request.message, MAX_MESSAGE_BYTES)
    if len(request.history) > MAX_HISTORY_TURNS:
        violations.add("history", f"must have at most {MAX_HISTORY_TURNS} turns", TOO_LONG)
    for index, turn in enumerate(request.history):
        if turn.role not in _ROLES:
            violations.add(f"history[{index}].role", "must be ROLE_SYSTEM, ROLE_USER or ROLE_ASSISTANT", INVALID_FORMAT)
        violations.check_size(f"history[{index}].content", turn.content, MAX_MESSAGE_BYTES)
    violations.check_client_request_id("client_request_id", request.client_request_id)
    violations.check_id("user_id", request.user_id, MAX_USER_OR_SESSION_CHARS)
    violations.check_id("session_id", request.session_id, MAX_USER_OR_SESSION_CHARS)
    violations.check_map("tags", request.tags, RESERVED_TAGS, trace_tags=True)
    options = request.options
    if options.HasField("max_tokens") and not MAX_TOKENS_RANGE[0] <= options.max_tokens <= MAX_TOKENS_RANGE[1]:
        violations.add(
            "options.max_tokens", f"must be from {MAX_TOKENS_RANGE[0]} to {MAX_TOKENS_RANGE[1]}", OUT_OF_RANGE
        )
    if options.HasField("temperature") and not TEMPERATURE_RANGE[0] <= options.temperature <= TEMPERATURE_RANGE[1]:
        violations.add(
            "options.temperature", f"must be from {TEMPERATURE_RANGE[0]:g} to {TEMPERATURE_RANGE[1]:g}", OUT_OF_RANGE
        )
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
    )


def _usage(finished: Finished) -> chat_pb2.TokenUsage:
    return chat_pb2.TokenUsage(
        input_tokens=finished.usage.input_tokens,
        output_tokens=finished.usage.output_tokens,
        total_tokens=finished.usage.total_tokens,
    )


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
            finish_reason=_FINISH_REASONS.get(event.finish_reason, chat_pb2.FINISH_REASON_UNSPECIFIED),
            usage=_usage(event),
        )
    )


def complete_chat_response(finished: Finished, text: str) -> chat_pb2.CompleteChatResponse:
    return chat_pb2.CompleteChatResponse(
        trace_id=finished.trace_id,
        client_request_id=finished.client_request_id,
        text=text,
        finish_reason=_FINISH_REASONS.get(finished.finish_reason, chat_pb2.FINISH_REASON_UNSPECIFIED),
        usage=_usage(finished),
    )


# --- feedback


def _target(
    request: feedback_pb2.SubmitFeedbackRequest
    | feedback_pb2.SubmitRatingsRequest
    | feedback_pb2.GetFeedbackStatusRequest,
    violations: _Violations,
) -> Target:
    kind = request.WhichOneof("target")
    if kind is None:
        violations.add("target", "set exactly one of trace_id or client_request_id", REQUIRED)
        return Target()
    if kind == "trace_id":
        if not TRACE_ID_PATTERN.fullmatch(request.trace_id):
            violations.add("trace_id", "must be an MLflow trace id: `tr-` and 32 lowercase hex digits", INVALID_FORMAT)
        return Target(trace_id=request.trace_id)
    if not request.client_request_id:
        violations.add("client_request_id", "must not be empty", REQUIRED)
    violations.check_client_request_id("client_request_id", request.client_request_id)
    return Target(client_request_id=request.client_request_id)


def _common(
    request: feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest, violations: _Violations
) -> FeedbackInput:
    """The fields SubmitFeedback and SubmitRatings share."""
    if request.span_id and not SPAN_ID_PATTERN.fullmatch(request.span_id):
        violations.add("span_id", "must be 16 lowercase hex digits", INVALID_FORMAT)
    if request.source.type not in _SOURCE_TYPES:
        violations.add("source.type", f"unknown source type {request.source.type}", INVALID_FORMAT)
    violations.check_id("source.id", request.source.id, MAX_SOURCE_ID_CHARS)
    violations.check_size("rationale", request.rationale, MAX_RATIONALE_BYTES)
    violations.check_map("metadata", request.metadata, reserved_prefixes=("mlflow.", RESERVED_METADATA_PREFIX))
    violations.check_id("request_id", request.request_id, MAX_REQUEST_ID_CHARS)
    return FeedbackInput(
        name="",
        value=None,
        source_type=_SOURCE_TYPES.get(request.source.type, "HUMAN"),
        source_id=request.source.id,
        rationale=request.rationale,
        metadata=dict(request.metadata),
        span_id=request.span_id,
        request_id=request.request_id,
    )


def _check_name(field: str, name: str, violations: _Violations) -> None:
    if not FEEDBACK_NAME_PATTERN.fullmatch(name):
        violations.add(
            field,
            "must start with a letter and hold only letters, digits, `_` and `-` (no dots), at most 64 characters",
            INVALID_FORMAT,
        )


def _value(request: feedback_pb2.SubmitFeedbackRequest, violations: _Violations) -> Any:
    kind = request.WhichOneof("value")
    if kind is None:
        violations.add("value", "set exactly one of bool_value, number_value, string_value or json_value", REQUIRED)
        return None
    if kind == "number_value" and not math.isfinite(request.number_value):
        violations.add("number_value", "must be a finite number", OUT_OF_RANGE)
    if kind == "string_value":
        if not request.string_value.strip():
            violations.add("string_value", "must not be empty", REQUIRED)
        violations.check_size("string_value", request.string_value, MAX_STRING_VALUE_BYTES)
    if kind == "json_value":
        if request.json_value.WhichOneof("kind") in (None, "null_value"):
            violations.add("json_value", "must hold a value, not null", REQUIRED)
            return None
        if problem := _json_problem(request.json_value):
            violations.add("json_value", *problem)
            return None
        value = json_format.MessageToDict(request.json_value)
        if len(json.dumps(value)) > MAX_JSON_VALUE_BYTES:
            violations.add("json_value", f"must be at most {MAX_JSON_VALUE_BYTES} bytes as JSON", TOO_LONG)
        return value
    return getattr(request, kind)


def _json_problem(root: struct_pb2.Value) -> tuple[str, str] | None:
    """What makes a structured value unstorable as JSON: depth beyond the limit, NaN or infinity."""
    pending = [(root, 0)]
    while pending:
        value, depth = pending.pop()
        kind = value.WhichOneof("kind")
        if kind == "number_value" and not math.isfinite(value.number_value):
            return "numbers must be finite (no NaN or infinity)", OUT_OF_RANGE
        children = (
            value.struct_value.fields.values()
            if kind == "struct_value"
            else value.list_value.values
            if kind == "list_value"
            else ()
        )
        if children and depth >= MAX_JSON_DEPTH:
            return f"must nest objects and lists at most {MAX_JSON_DEPTH} deep", TOO_DEEP
        pending.extend((child, depth + 1) for child in children)
    return None


def _check_schema(
    schemas: Schemas, common: FeedbackInput, name: str, value: Any, fields: dict[str, str], violations: _Violations
) -> None:
    """The feedback against its name's schema; `fields` maps the schema's field names to the request's."""
    for problem in schemas.check(name, value, common.rationale, common.source_type):
        violations.add(fields.get(problem.field, problem.field), problem.description, problem.reason)


def _checked(schemas: Schemas, common: FeedbackInput, name: str, value: Any) -> FeedbackInput:
    """A valid feedback as recorded: its name typed (if new), the schema's metadata added."""
    schemas.remember(name, value)
    return replace(common, name=name, value=value, metadata={**common.metadata, **schemas.metadata(name, value)})


def feedback_input(request: feedback_pb2.SubmitFeedbackRequest, schemas: Schemas) -> tuple[Target, list[FeedbackInput]]:
    violations = _Violations()
    target = _target(request, violations)
    name = request.name or DEFAULT_FEEDBACK_NAME
    before = len(violations)
    _check_name("name", name, violations)
    value = _value(request, violations)
    well_formed = len(violations) == before and value is not None  # only then does its schema say more
    common = _common(request, violations)
    if well_formed:
        _check_schema(schemas, common, name, value, {"value": request.WhichOneof("value") or "value"}, violations)
    violations.raise_any()
    return target, [_checked(schemas, common, name, value)]


def ratings_input(request: feedback_pb2.SubmitRatingsRequest, schemas: Schemas) -> tuple[Target, list[FeedbackInput]]:
    """One feedback per dimension, in name order (so a retry listing them otherwise is the same action)."""
    violations = _Violations()
    target = _target(request, violations)
    if not 1 <= len(request.ratings) <= MAX_ENTRIES:
        violations.add(
            "ratings", f"must have 1 to {MAX_ENTRIES} entries", REQUIRED if not request.ratings else TOO_LONG
        )
    ratings: dict[str, int] = {}
    well_formed: list[int] = []  # the ratings whose schema is checked: well named, once
    for index, rating in enumerate(request.ratings):
        before = len(violations)
        _check_name(f"ratings[{index}].name", rating.name, violations)
        if rating.name in ratings:
            violations.add(f"ratings[{index}].name", "this dimension is rated twice", DUPLICATE)
        if len(violations) == before:
            well_formed.append(index)
        # A dimension without a schema keeps the contract's 1 to 5; one with a schema follows it.
        if rating.name not in schemas.declared and not RATING_RANGE[0] <= rating.score <= RATING_RANGE[1]:
            violations.add(
                f"ratings[{index}].score", f"must be from {RATING_RANGE[0]} to {RATING_RANGE[1]}", OUT_OF_RANGE
            )
        ratings[rating.name] = rating.score
    common = _common(request, violations)
    for index in well_formed:
        rating = request.ratings[index]
        fields = {"value": f"ratings[{index}].score", "name": f"ratings[{index}].name"}
        _check_schema(schemas, common, rating.name, rating.score, fields, violations)
    violations.raise_any()
    return target, [_checked(schemas, common, name, score) for name, score in sorted(ratings.items())]


def status_input(request: feedback_pb2.GetFeedbackStatusRequest) -> tuple[Target, str, str]:
    """(target, assessment_id, request_id): exactly one of the last two is set."""
    violations = _Violations()
    target = _target(request, violations)
    kind = request.WhichOneof("feedback")
    if kind is None:
        violations.add("feedback", "set exactly one of assessment_id or request_id", REQUIRED)
    elif kind == "assessment_id" and not ASSESSMENT_ID_PATTERN.fullmatch(request.assessment_id):
        violations.add("assessment_id", "must be an assessment id: `a-` and 32 lowercase hex digits", INVALID_FORMAT)
    elif kind == "request_id":
        if not request.request_id:
            violations.add("request_id", "must not be empty", REQUIRED)
        violations.check_id("request_id", request.request_id, MAX_REQUEST_ID_CHARS)
    violations.raise_any()
    return target, request.assessment_id, request.request_id


_STATES = {
    "PENDING": feedback_pb2.FEEDBACK_STATE_PENDING,
    "STORED": feedback_pb2.FEEDBACK_STATE_STORED,
    "EXPIRED": feedback_pb2.FEEDBACK_STATE_EXPIRED,
    "REJECTED": feedback_pb2.FEEDBACK_STATE_REJECTED,
}


def feedback_response(recorded: Recorded) -> feedback_pb2.SubmitFeedbackResponse:
    [assessment_id] = recorded.assessment_ids.values()
    return feedback_pb2.SubmitFeedbackResponse(
        assessment_id=assessment_id, trace_id=recorded.trace_id, state=_STATES[recorded.state]
    )


def ratings_response(recorded: Recorded) -> feedback_pb2.SubmitRatingsResponse:
    return feedback_pb2.SubmitRatingsResponse(
        trace_id=recorded.trace_id, assessment_ids=recorded.assessment_ids, state=_STATES[recorded.state]
    )


def schemas_response(schemas: Schemas) -> feedback_pb2.ListFeedbackSchemasResponse:
    response = feedback_pb2.ListFeedbackSchemasResponse(unknown_names_accepted=schemas.accept_unknown)
    for schema in schemas.listed():
        listed = response.schemas.add(
            name=schema.name,
            version=schema.version,
            description=schema.description,
            rationale=_RATIONALE_RULES[schema.rationale],
            source_types=[_SOURCE_TYPE_VALUES[source] for source in schema.sources],
            built_in=schema.built_in,
        )
        if schema.kind == "boolean":
            listed.boolean.SetInParent()
        elif schema.kind == "number":
            listed.number.integer_only = schema.integer
            listed.number.SetInParent()
            if schema.min is not None:
                listed.number.min = schema.min
            if schema.max is not None:
                listed.number.max = schema.max
        elif schema.kind == "category":
            listed.category.labels.extend(schema.labels)
        else:
            listed.text.max_length = schema.max_length
    return response


_RATIONALE_RULES = {
    "allowed": feedback_pb2.RATIONALE_RULE_ALLOWED,
    "required": feedback_pb2.RATIONALE_RULE_REQUIRED,
    "forbidden": feedback_pb2.RATIONALE_RULE_FORBIDDEN,
}
_SOURCE_TYPE_VALUES = {
    "HUMAN": feedback_pb2.SOURCE_TYPE_HUMAN,
    "LLM_JUDGE": feedback_pb2.SOURCE_TYPE_LLM_JUDGE,
    "CODE": feedback_pb2.SOURCE_TYPE_CODE,
}


def status_response(recorded: Recorded) -> feedback_pb2.GetFeedbackStatusResponse:
    return feedback_pb2.GetFeedbackStatusResponse(
        state=_STATES[recorded.state],
        trace_id=recorded.trace_id,
        assessment_ids=recorded.assessment_ids,
        reason=recorded.reason,
    )
