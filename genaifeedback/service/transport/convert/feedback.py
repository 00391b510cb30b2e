"""FeedbackService's submitting calls (SubmitFeedback, SubmitRatings, GetFeedbackStatus,
ListFeedbackSchemas) to domain objects and back, and the feedback fields a correction shares."""

import json
import math
import re
import time
from dataclasses import replace
from typing import Any

from google.protobuf import json_format, struct_pb2

from genaifeedback.service.domain.feedback import DEFAULT_FEEDBACK_NAME, FeedbackInput, Recorded, Target
from genaifeedback.service.domain.feedback_tokens import IssuedToken
from genaifeedback.service.domain.ids import SPAN_ID_PATTERN
from genaifeedback.service.domain.limits import (
    MAX_CLIENT_CLOCK_AHEAD_SECONDS,
    MAX_ENTRIES,
    MAX_FEEDBACK_NAME_CHARS,
    MAX_FEEDBACK_TOKEN_CHARS,
    MAX_JSON_DEPTH,
    MAX_JSON_VALUE_BYTES,
    MAX_NAMES,
    MAX_RATIONALE_BYTES,
    MAX_REQUEST_ID_CHARS,
    MAX_SOURCE_ID_CHARS,
    MAX_STRING_VALUE_BYTES,
    MAX_USER_OR_SESSION_CHARS,
    RATING_RANGE,
)
from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX, Schemas
from genaifeedback.service.transport.convert.fields import SOURCE_TYPE_VALUES, Violations, target
from genaifeedback.v1 import feedback_pb2
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

FEEDBACK_NAME_PATTERN = re.compile(rf"[A-Za-z][A-Za-z0-9_-]{{0,{MAX_FEEDBACK_NAME_CHARS - 1}}}")
EARLIEST_CLIENT_TIME_MS = 946_684_800_000  # 2000-01-01: anything earlier is a clock or unit bug

STATES = {
    "DELETED": feedback_pb2.FEEDBACK_STATE_DELETED,
    "PENDING": feedback_pb2.FEEDBACK_STATE_PENDING,
    "STORED": feedback_pb2.FEEDBACK_STATE_STORED,
    "EXPIRED": feedback_pb2.FEEDBACK_STATE_EXPIRED,
    "REJECTED": feedback_pb2.FEEDBACK_STATE_REJECTED,
}
_RATIONALE_RULES = {
    "allowed": feedback_pb2.RATIONALE_RULE_ALLOWED,
    "required": feedback_pb2.RATIONALE_RULE_REQUIRED,
    "forbidden": feedback_pb2.RATIONALE_RULE_FORBIDDEN,
}

_Valued = feedback_pb2.SubmitFeedbackRequest | feedback_pb2.CorrectFeedbackRequest
_Written = feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest | feedback_pb2.CorrectFeedbackRequest


def common_fields(request: _Written, violations: Violations) -> FeedbackInput:
    """The fields every feedback-writing request shares (name and value are set by the caller)."""
    span_id = "" if isinstance(request, feedback_pb2.CorrectFeedbackRequest) else request.span_id
    if span_id and not SPAN_ID_PATTERN.fullmatch(span_id):
        violations.add("span_id", "must be 16 lowercase hex digits", Reason.INVALID_FORMAT)
    source_type = violations.source_type("source.type", request.source.type, Reason.INVALID_FORMAT)
    violations.check_id("source.id", request.source.id, MAX_SOURCE_ID_CHARS)
    violations.check_size("rationale", request.rationale, MAX_RATIONALE_BYTES)
    violations.check_map("metadata", request.metadata, reserved_prefixes=("mlflow.", RESERVED_METADATA_PREFIX))
    if not request.request_id:  # a retry could not be told from a new action: refused (see the .proto)
        violations.add(
            "request_id",
            "required: an idempotency key (a UUID) for this action, the same on every retry",
            Reason.REQUEST_ID_REQUIRED,
        )
    violations.check_id("request_id", request.request_id, MAX_REQUEST_ID_CHARS)
    client_time_ms = None
    if isinstance(request, feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest):
        client_time_ms = _client_time(request, violations)
        # Its length only: what it holds is the token check's to judge (FEEDBACK_TOKEN_INVALID).
        violations.check_chars("feedback_token", request.feedback_token, MAX_FEEDBACK_TOKEN_CHARS)
    return FeedbackInput(
        name="",
        value=None,
        source_type=source_type or "HUMAN",
        source_id=request.source.id,
        rationale=request.rationale,
        metadata=dict(request.metadata),
        span_id=span_id,
        request_id=request.request_id,
        client_time_ms=client_time_ms,
    )


def _client_time(
    request: feedback_pb2.SubmitFeedbackRequest | feedback_pb2.SubmitRatingsRequest, violations: Violations
) -> int | None:
    if not request.HasField("client_time"):
        return None
    millis = request.client_time.seconds * 1000 + request.client_time.nanos // 1_000_000
    if not EARLIEST_CLIENT_TIME_MS <= millis <= (time.time() + MAX_CLIENT_CLOCK_AHEAD_SECONDS) * 1000:
        violations.add(
            "client_time", "must be after 2000 and at most 5 minutes ahead of the server's clock", Reason.OUT_OF_RANGE
        )
    return millis


def check_name(field: str, name: str, violations: Violations) -> None:
    if not FEEDBACK_NAME_PATTERN.fullmatch(name):
        violations.add(
            field,
            "must start with a letter and hold only letters, digits, `_` and `-` (no dots), "
            f"at most {MAX_FEEDBACK_NAME_CHARS} characters",
            Reason.INVALID_FORMAT,
        )


def value_of(request: _Valued, violations: Violations) -> Any:
    """The `value` oneof as a Python value (None, with a violation, when it is unusable)."""
    kind = request.WhichOneof("value")
    if kind is None:
        violations.add(
            "value", "set exactly one of bool_value, number_value, string_value or json_value", Reason.REQUIRED
        )
        return None
    if kind == "number_value" and not math.isfinite(request.number_value):
        violations.add("number_value", "must be a finite number", Reason.OUT_OF_RANGE)
    if kind == "string_value":
        if not request.string_value.strip():
            violations.add("string_value", "must not be empty", Reason.REQUIRED)
        violations.check_size("string_value", request.string_value, MAX_STRING_VALUE_BYTES)
    if kind == "json_value":
        if request.json_value.WhichOneof("kind") in (None, "null_value"):
            violations.add("json_value", "must hold a value, not null", Reason.REQUIRED)
            return None
        if problem := _json_problem(request.json_value):
            violations.add("json_value", *problem)
            return None
        value = json_format.MessageToDict(request.json_value)
        if len(json.dumps(value)) > MAX_JSON_VALUE_BYTES:
            violations.add("json_value", f"must be at most {MAX_JSON_VALUE_BYTES} bytes as JSON", Reason.TOO_LONG)
        return value
    return getattr(request, kind)


def _json_problem(root: struct_pb2.Value) -> tuple[str, Reason] | None:
    """What makes a structured value unstorable as JSON: depth beyond the limit, NaN or infinity."""
    pending = [(root, 0)]
    while pending:
        value, depth = pending.pop()
        kind = value.WhichOneof("kind")
        if kind == "number_value" and not math.isfinite(value.number_value):
            return "numbers must be finite (no NaN or infinity)", Reason.OUT_OF_RANGE
        children = (
            value.struct_value.fields.values()
            if kind == "struct_value"
            else value.list_value.values
            if kind == "list_value"
            else ()
        )
        if children and depth >= MAX_JSON_DEPTH:
            return f"must nest objects and lists at most {MAX_JSON_DEPTH} deep", Reason.TOO_DEEP
        pending.extend((child, depth + 1) for child in children)
    return None


def value_fields(request: _Valued) -> dict[str, str]:
    """Where a schema's `value` problems point in a request with the `value` oneof."""
    return {"value": request.WhichOneof("value") or "value"}


def check_schema(
    schemas: Schemas, common: FeedbackInput, name: str, value: Any, fields: dict[str, str], violations: Violations
) -> None:
    """The feedback against its name's schema; `fields` maps the schema's field names to the request's."""
    for problem in schemas.check(name, value, common.rationale, common.source_type):
        violations.add(fields.get(problem.field, problem.field), problem.description, problem.reason)


def with_schema(schemas: Schemas, common: FeedbackInput, name: str, value: Any) -> FeedbackInput:
    """A valid feedback as it is recorded: named, valued, with the schema's metadata added."""
    return replace(common, name=name, value=value, metadata={**common.metadata, **schemas.metadata(name, value)})


def feedback_input(request: feedback_pb2.SubmitFeedbackRequest, schemas: Schemas) -> tuple[Target, list[FeedbackInput]]:
    violations = Violations()
    addressed = target(request, violations)
    name = request.name or DEFAULT_FEEDBACK_NAME
    before = len(violations)
    check_name("name", name, violations)
    value = value_of(request, violations)
    well_formed = len(violations) == before and value is not None  # only then does its schema say more
    common = common_fields(request, violations)
    if well_formed:
        check_schema(schemas, common, name, value, value_fields(request), violations)
    violations.raise_any()
    return addressed, [with_schema(schemas, common, name, value)]


def ratings_input(request: feedback_pb2.SubmitRatingsRequest, schemas: Schemas) -> tuple[Target, list[FeedbackInput]]:
    """One feedback per dimension, in name order (so a retry listing them otherwise is the same action)."""
    violations = Violations()
    addressed = target(request, violations)
    if not 1 <= len(request.ratings) <= MAX_ENTRIES:
        reason = Reason.REQUIRED if not request.ratings else Reason.TOO_LONG
        violations.add("ratings", f"must have 1 to {MAX_ENTRIES} entries", reason)
    ratings: dict[str, int] = {}
    well_formed: list[int] = []  # the ratings whose schema is checked: well named, once
    for index, rating in enumerate(request.ratings):
        before = len(violations)
        check_name(f"ratings[{index}].name", rating.name, violations)
        if rating.name in ratings:
            violations.add(f"ratings[{index}].name", "this dimension is rated twice", Reason.DUPLICATE)
        if len(violations) == before:
            well_formed.append(index)
        # A dimension without a schema keeps the contract's 1 to 5; one with a schema follows it.
        if rating.name not in schemas.declared and not RATING_RANGE[0] <= rating.score <= RATING_RANGE[1]:
            violations.add(
                f"ratings[{index}].score", f"must be from {RATING_RANGE[0]} to {RATING_RANGE[1]}", Reason.OUT_OF_RANGE
            )
        ratings[rating.name] = rating.score
    common = common_fields(request, violations)
    for index in well_formed:
        rating = request.ratings[index]
        fields = {"value": f"ratings[{index}].score", "name": f"ratings[{index}].name"}
        check_schema(schemas, common, rating.name, rating.score, fields, violations)
    violations.raise_any()
    return addressed, [with_schema(schemas, common, name, score) for name, score in sorted(ratings.items())]


def status_input(request: feedback_pb2.GetFeedbackStatusRequest) -> tuple[Target, str, str]:
    """(target, assessment_id, request_id): exactly one of the last two is set."""
    violations = Violations()
    addressed = target(request, violations)
    kind = request.WhichOneof("feedback")
    if kind is None:
        violations.add("feedback", "set exactly one of assessment_id or request_id", Reason.REQUIRED)
    elif kind == "assessment_id":  # set but empty is not an assessment id either
        violations.check_assessment_id("assessment_id", request.assessment_id or "''")
    else:
        violations.check_id("request_id", request.request_id, MAX_REQUEST_ID_CHARS, required=True)
    violations.raise_any()
    return addressed, request.assessment_id, request.request_id


def token_input(request: feedback_pb2.CreateFeedbackTokenRequest) -> tuple[Target, str, list[str]]:
    """(target, user_id, names) of a CreateFeedbackToken call."""
    violations = Violations()
    addressed = target(request, violations)
    violations.check_id("user_id", request.user_id, MAX_USER_OR_SESSION_CHARS)
    if len(request.names) > MAX_NAMES:
        violations.add("names", f"must have at most {MAX_NAMES} entries", Reason.TOO_LONG)
    for index, name in enumerate(request.names):
        check_name(f"names[{index}]", name, violations)
    violations.raise_any()
    return addressed, request.user_id, list(request.names)


def token_response(issued: IssuedToken) -> feedback_pb2.CreateFeedbackTokenResponse:
    grant = issued.grant
    if not issued.token:  # none issued (no keys): nothing is bound to anyone
        return feedback_pb2.CreateFeedbackTokenResponse(trace_id=grant.trace_id)
    response = feedback_pb2.CreateFeedbackTokenResponse(
        feedback_token=issued.token, trace_id=grant.trace_id, user_id=grant.user_id, names=grant.names
    )
    response.expire_time.FromSeconds(int(grant.expires))
    return response


def feedback_response(recorded: Recorded) -> feedback_pb2.SubmitFeedbackResponse:
    [assessment_id] = recorded.assessment_ids.values()
    return feedback_pb2.SubmitFeedbackResponse(
        assessment_id=assessment_id, trace_id=recorded.trace_id, state=STATES[recorded.state]
    )


def ratings_response(recorded: Recorded) -> feedback_pb2.SubmitRatingsResponse:
    return feedback_pb2.SubmitRatingsResponse(
        trace_id=recorded.trace_id, assessment_ids=recorded.assessment_ids, state=STATES[recorded.state]
    )


def status_response(recorded: Recorded) -> feedback_pb2.GetFeedbackStatusResponse:
    return feedback_pb2.GetFeedbackStatusResponse(
        state=STATES[recorded.state],
        trace_id=recorded.trace_id,
        assessment_ids=recorded.assessment_ids,
        reason=recorded.reason,
    )


def schemas_response(schemas: Schemas) -> feedback_pb2.ListFeedbackSchemasResponse:
    response = feedback_pb2.ListFeedbackSchemasResponse(unknown_names_accepted=schemas.accept_unknown)
    for schema in schemas.listed():
        listed = response.schemas.add(
            name=schema.name,
            version=schema.version,
            description=schema.description,
            rationale=_RATIONALE_RULES[schema.rationale],
            source_types=[SOURCE_TYPE_VALUES[source] for source in schema.sources],
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
