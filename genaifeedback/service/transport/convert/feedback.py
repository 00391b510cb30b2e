"""Wire messages to domain objects and back. Validation lives here: every check names the
request field it is about, so a caller gets all violations at once as google.rpc.BadRequest."""

import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from google.protobuf import json_format, struct_pb2
from mlflow.exceptions import MlflowException
from mlflow.tracing.constant import MAX_CHARS_IN_TRACE_INFO_METADATA
from mlflow.utils.validation import _validate_tag_name

from genaifeedback.service.domain.chat import Finished, Started, Token
from genaifeedback.service.domain.curation import ErasureProgress, FeedbackRead, ListQuery
from genaifeedback.service.domain.errors import FieldViolation, InvalidRequest
from genaifeedback.service.domain.feedback import CORRECTS_KEY, DEFAULT_FEEDBACK_NAME, FeedbackInput, Recorded, Target
from genaifeedback.service.domain.ids import SPAN_ID_PATTERN, TRACE_ID_PATTERN
from genaifeedback.service.domain.records import ChatInput, Turn
from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX, Schemas
from genaifeedback.service.egress.otlp import RESERVED_TAGS
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
EARLIEST_CLIENT_TIME_MS = 946_684_800_000  # 2000-01-01: anything earlier is a clock or unit bug
MAX_CLIENT_CLOCK_AHEAD_SECONDS = 300
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000

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


_Targeted = (
    feedback_pb2.SubmitFeedbackRequest
    | feedback_pb2.SubmitRatingsRequest
    | feedback_pb2.GetFeedbackStatusRequest
    | feedback_pb2.GetFeedbackRequest
    | feedback_pb2.CorrectFeedbackRequest
    | feedback_pb2.DeleteFeedbackRequest
)


def _target(request: _Targeted, violations: _Violations) -> Target:
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
    request: feedback_pb2.SubmitFeedbackRequest
    | feedback_pb2.SubmitRatingsRequest
    | feedback_pb2.CorrectFeedbackRequest,
    violations: _Violations,
) -> FeedbackInput:
    """The fields SubmitFeedback and SubmitRatings share."""
    span_id = "" if isinstance(request, feedback_pb2.CorrectFeedbackRequest) else request.span_id
    if span_id and not SPAN_ID_PATTERN.fullmatch(span_id):
        violations.add("span_id", "must be 16 lowercase hex digits", INVALID_FORMAT)
    if request.source.type not in _SOURCE_TYPES:
        violations.add("source.type", f"unknown source type {request.source.type}", INVALID_FORMAT)
    violations.check_id("source.id", request.source.id, MAX_SOURCE_ID_CHARS)
    violations.check_size("rationale", request.rationale, MAX_RATIONALE_BYTES)
    violations.check_map("metadata", request.metadata, reserved_prefixes=("mlflow.", RESERVED_METADATA_PREFIX))
    violations.check_id("request_id", request.request_id, MAX_REQUEST_ID_CHARS)
    client_time_ms = None
    if isinstance(request, feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest):
        client_time_ms = _client_time(request, violations)
    return FeedbackInput(
        name="",
        value=None,
        source_type=_SOURCE_TYPES.get(request.source.type, "HUMAN"),
        source_id=request.source.id,
        rationale=request.rationale,
        metadata=dict(request.metadata),
        span_id=span_id,
        request_id=request.request_id,
        client_time_ms=client_time_ms,
    )


def _client_time(
    request: feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest, violations: _Violations
) -> int | None:
    if not request.HasField("client_time"):
        return None
    millis = request.client_time.seconds * 1000 + request.client_time.nanos // 1_000_000
    if not EARLIEST_CLIENT_TIME_MS <= millis <= (time.time() + MAX_CLIENT_CLOCK_AHEAD_SECONDS) * 1000:
        violations.add(
            "client_time", "must be after 2000 and at most 5 minutes ahead of the server's clock", OUT_OF_RANGE
        )
    return millis


def _time_ms(request: feedback_pb2.ListFeedbackRequest, field: str) -> int | None:
    if not request.HasField(field):
        return None
    stamp = getattr(request, field)
    return int(stamp.seconds * 1000 + stamp.nanos // 1_000_000)


def _check_name(field: str, name: str, violations: _Violations) -> None:
    if not FEEDBACK_NAME_PATTERN.fullmatch(name):
        violations.add(
            field,
            "must start with a letter and hold only letters, digits, `_` and `-` (no dots), at most 64 characters",
            INVALID_FORMAT,
        )


def _value(
    request: feedback_pb2.SubmitFeedbackRequest | feedback_pb2.CorrectFeedbackRequest, violations: _Violations
) -> Any:
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


def _assessment_id(request: Any, violations: _Violations, required: bool = True) -> str:
    if not request.assessment_id and required:
        violations.add("assessment_id", "must not be empty", REQUIRED)
    elif request.assessment_id and not ASSESSMENT_ID_PATTERN.fullmatch(request.assessment_id):
        violations.add("assessment_id", "must be an assessment id: `a-` and 32 lowercase hex digits", INVALID_FORMAT)
    return str(request.assessment_id)


def get_input(request: feedback_pb2.GetFeedbackRequest) -> tuple[Target, str]:
    violations = _Violations()
    target = _target(request, violations)
    assessment_id = _assessment_id(request, violations)
    violations.raise_any()
    return target, assessment_id


def correction_target(request: feedback_pb2.CorrectFeedbackRequest) -> tuple[Target, str]:
    """Which feedback a correction corrects; the rest of it is checked against that one's schema."""
    violations = _Violations()
    target = _target(request, violations)
    assessment_id = _assessment_id(request, violations)
    violations.raise_any()
    return target, assessment_id


def correction_input(
    request: feedback_pb2.CorrectFeedbackRequest, schemas: Schemas, trace_id: str, name: str
) -> tuple[Target, FeedbackInput]:
    """The correction of feedback `name` on `trace_id`, checked against that name's schema."""
    violations = _Violations()
    value = _value(request, violations)
    well_formed = not violations and value is not None
    common = _common(request, violations)
    if not request.source.id:
        violations.add("source.id", "a correction names who makes it", REQUIRED)
    if not request.rationale.strip():
        violations.add("rationale", "a correction says why the value was wrong", REQUIRED)
    if well_formed:
        _check_schema(schemas, common, name, value, {"value": request.WhichOneof("value") or "value"}, violations)
    violations.raise_any()
    corrected = _checked(schemas, common, name, value)
    return Target(trace_id=trace_id), replace(
        corrected,
        overrides=request.assessment_id,
        metadata={**corrected.metadata, CORRECTS_KEY: request.assessment_id},
    )


def list_input(request: feedback_pb2.ListFeedbackRequest) -> ListQuery:
    violations = _Violations()
    scope = request.WhichOneof("scope")
    target = None
    if scope is None:
        violations.add("scope", "set exactly one of trace_id, client_request_id or source_id", REQUIRED)
    elif scope == "source_id":
        if not request.source_id:
            violations.add("source_id", "must not be empty", REQUIRED)
        violations.check_id("source_id", request.source_id, MAX_SOURCE_ID_CHARS)
    elif scope == "trace_id":
        if not TRACE_ID_PATTERN.fullmatch(request.trace_id):
            violations.add("trace_id", "must be an MLflow trace id: `tr-` and 32 lowercase hex digits", INVALID_FORMAT)
        target = Target(trace_id=request.trace_id)
    else:
        if not request.client_request_id:
            violations.add("client_request_id", "must not be empty", REQUIRED)
        violations.check_client_request_id("client_request_id", request.client_request_id)
        target = Target(client_request_id=request.client_request_id)
    if request.name:
        _check_name("name", request.name, violations)
    if not 0 <= request.page_size <= MAX_PAGE_SIZE:
        violations.add("page_size", f"must be from 1 to {MAX_PAGE_SIZE} (0: {DEFAULT_PAGE_SIZE})", OUT_OF_RANGE)
    start_ms, end_ms = _time_ms(request, "start_time"), _time_ms(request, "end_time")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        violations.add("end_time", "must be after start_time", OUT_OF_RANGE)
    violations.raise_any()
    return ListQuery(
        target=target,
        source_id=request.source_id,
        name=request.name,
        start_ms=start_ms,
        end_ms=end_ms,
        include_history=request.include_history,
        page_size=request.page_size or DEFAULT_PAGE_SIZE,
        page_token=request.page_token,
    )


def delete_input(request: feedback_pb2.DeleteFeedbackRequest) -> tuple[Target, str]:
    """(target, assessment id); an empty id means every feedback on the trace."""
    violations = _Violations()
    target = _target(request, violations)
    selection = request.WhichOneof("selection")
    if selection is None:
        violations.add("selection", "set exactly one of assessment_id or all_on_trace", REQUIRED)
    elif selection == "all_on_trace" and not request.all_on_trace:
        violations.add("all_on_trace", "must be true to delete every feedback on the trace", REQUIRED)
    elif selection == "assessment_id":
        _assessment_id(request, violations)
    violations.raise_any()
    return target, request.assessment_id


def erase_input(request: feedback_pb2.EraseFeedbackBySourceRequest) -> tuple[str, str]:
    """(source id, source type or "" for any)."""
    violations = _Violations()
    if not request.source_id:
        violations.add("source_id", "must not be empty", REQUIRED)
    violations.check_id("source_id", request.source_id, MAX_SOURCE_ID_CHARS)
    if request.source_type not in _SOURCE_TYPES:
        violations.add("source_type", f"unknown source type {request.source_type}", INVALID_FORMAT)
    violations.raise_any()
    return request.source_id, "" if not request.source_type else _SOURCE_TYPES[request.source_type]


def feedback_record(stored: FeedbackRead) -> feedback_pb2.FeedbackRecord:
    feedback = stored.feedback
    record = feedback_pb2.FeedbackRecord(
        assessment_id=stored.assessment_id,
        trace_id=feedback.trace_id or "",
        span_id=feedback.span_id or "",
        name=feedback.name,
        source=feedback_pb2.FeedbackSource(
            type=_SOURCE_TYPE_VALUES.get(feedback.source.source_type, feedback_pb2.SOURCE_TYPE_UNSPECIFIED),
            id=feedback.source.source_id or "",
        ),
        rationale=feedback.rationale or "",
        metadata=feedback.metadata or {},
        current=bool(feedback.valid),
        overrides=feedback.overrides or "",
        overridden_by=stored.overridden_by,
    )
    value = feedback.value
    if isinstance(value, bool):
        record.bool_value = value
    elif isinstance(value, int | float):
        record.number_value = value
    elif isinstance(value, str):
        record.string_value = value
    elif value is not None:
        json_format.Parse(json.dumps(value), record.json_value)
    record.create_time.FromMilliseconds(feedback.create_time_ms or 0)
    record.update_time.FromMilliseconds(feedback.last_update_time_ms or 0)
    return record


def list_response(page: list[FeedbackRead], next_page_token: str) -> feedback_pb2.ListFeedbackResponse:
    return feedback_pb2.ListFeedbackResponse(
        feedback=[feedback_record(stored) for stored in page], next_page_token=next_page_token
    )


def correction_response(recorded: Recorded) -> feedback_pb2.CorrectFeedbackResponse:
    [assessment_id] = recorded.assessment_ids.values()
    return feedback_pb2.CorrectFeedbackResponse(
        assessment_id=assessment_id, trace_id=recorded.trace_id, state=_STATES[recorded.state]
    )


def erasure_response(progress: ErasureProgress) -> feedback_pb2.EraseFeedbackBySourceResponse:
    return feedback_pb2.EraseFeedbackBySourceResponse(
        traces_scanned=progress.traces_scanned,
        feedback_deleted=progress.feedback_deleted,
        traces_changed=progress.traces_changed,
        done=progress.done,
    )


_STATES = {
    "DELETED": feedback_pb2.FEEDBACK_STATE_DELETED,
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
