"""What every service's conversion shares: violations collected per request field (reasons from
the contract's FieldViolationReason enum), identifiers and maps, targets, source types and page
tokens. Every check names the request field it is about, so a caller gets all violations at once
as google.rpc.BadRequest."""

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from mlflow.exceptions import MlflowException
from mlflow.utils.validation import _validate_tag_name

from genaifeedback.service.domain.errors import FieldViolation, InvalidRequest
from genaifeedback.service.domain.feedback import Target
from genaifeedback.service.domain.ids import TRACE_ID_PATTERN
from genaifeedback.service.domain.limits import (
    MAX_CLIENT_REQUEST_ID_CHARS,
    MAX_ENTRIES,
    MAX_ENTRY_VALUE_BYTES,
    MAX_KEY_CHARS,
)
from genaifeedback.v1 import feedback_pb2
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason

ASSESSMENT_ID_PATTERN = re.compile(r"a-[0-9a-f]{32}")
# MLflow's search syntax has no escapes, so ids with quotes could never be looked up.
CLIENT_REQUEST_ID_PATTERN = re.compile(r"[^'\"`\x00-\x1f\x7f]*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MAX_TOKEN_CHARS = 16 * 1024  # longer is not a token this service gave out

SourceTypeName = Literal["HUMAN", "LLM_JUDGE", "CODE"]
SOURCE_TYPE_VALUES: dict[str, feedback_pb2.SourceType] = {
    "HUMAN": feedback_pb2.SOURCE_TYPE_HUMAN,
    "LLM_JUDGE": feedback_pb2.SOURCE_TYPE_LLM_JUDGE,
    "CODE": feedback_pb2.SOURCE_TYPE_CODE,
}
SOURCE_TYPES: dict[int, SourceTypeName] = {
    feedback_pb2.SOURCE_TYPE_HUMAN: "HUMAN",
    feedback_pb2.SOURCE_TYPE_LLM_JUDGE: "LLM_JUDGE",
    feedback_pb2.SOURCE_TYPE_CODE: "CODE",
}


class Violations(list[FieldViolation]):
    def add(self, field: str, description: str, reason: Reason) -> None:
        self.append(FieldViolation.of(field, description, reason))

    def raise_any(self) -> None:
        if self:
            raise InvalidRequest(list(self))

    def check_size(self, field: str, text: str, max_bytes: int) -> None:
        if len(text.encode()) > max_bytes:
            self.add(field, f"must be at most {max_bytes} bytes of UTF-8", Reason.TOO_LONG)

    def check_chars(self, field: str, text: str, max_chars: int) -> None:
        if len(text) > max_chars:
            self.add(field, f"must be at most {max_chars} characters", Reason.TOO_LONG)

    def check_id(self, field: str, value: str, max_chars: int, required: bool = False) -> None:
        """An identifier: bounded, and no control characters (a trailing newline is a bug upstream)."""
        if required and not value:
            self.add(field, "must not be empty", Reason.REQUIRED)
        self.check_chars(field, value, max_chars)
        if CONTROL_CHARACTERS.search(value):
            self.add(field, "must not contain control characters (newlines, tabs, ...)", Reason.INVALID_FORMAT)

    def check_client_request_id(self, field: str, value: str, required: bool = False) -> None:
        if required and not value:
            self.add(field, "must not be empty", Reason.REQUIRED)
        self.check_chars(field, value, MAX_CLIENT_REQUEST_ID_CHARS)
        if not CLIENT_REQUEST_ID_PATTERN.fullmatch(value):
            self.add(field, "must not contain quotes (' \" `) or control characters", Reason.INVALID_FORMAT)

    def check_trace_id(self, field: str, value: str) -> None:
        if not TRACE_ID_PATTERN.fullmatch(value):
            self.add(field, "must be an MLflow trace id: `tr-` and 32 lowercase hex digits", Reason.INVALID_FORMAT)

    def check_assessment_id(self, field: str, value: str, required: bool = True) -> None:
        if not value and required:
            self.add(field, "must not be empty", Reason.REQUIRED)
        elif value and not ASSESSMENT_ID_PATTERN.fullmatch(value):
            self.add(field, "must be an assessment id: `a-` and 32 lowercase hex digits", Reason.INVALID_FORMAT)

    def check_map(
        self,
        field: str,
        entries: Mapping[str, str],
        reserved: frozenset[str] = frozenset(),
        trace_tags: bool = False,
        reserved_prefixes: tuple[str, ...] = ("mlflow.",),
    ) -> None:
        if len(entries) > MAX_ENTRIES:
            self.add(field, f"must have at most {MAX_ENTRIES} entries", Reason.TOO_LONG)
        for key, value in entries.items():
            entry = f"{field}[{_quoted(key)}]"
            if not key or len(key) > MAX_KEY_CHARS:
                reason = Reason.TOO_LONG if key else Reason.REQUIRED
                self.add(entry, f"key must be 1 to {MAX_KEY_CHARS} characters", reason)
            elif key.startswith(reserved_prefixes) or key in reserved:
                self.add(entry, "key is reserved", Reason.RESERVED_KEY)
            elif CONTROL_CHARACTERS.search(key):
                self.add(entry, "key must not contain control characters", Reason.INVALID_FORMAT)
            elif trace_tags and (problem := _tag_key_problem(key)):
                self.add(entry, problem, Reason.INVALID_FORMAT)
            self.check_size(entry, value, MAX_ENTRY_VALUE_BYTES)

    def source_type(self, field: str, value: int, reason: Reason) -> SourceTypeName | Literal[""]:
        """The source type a request names ("" when unset); an unknown value is a violation."""
        if value and value not in SOURCE_TYPES:
            self.add(field, f"unknown source type {value}: must be one of the SourceType values", reason)
        return SOURCE_TYPES.get(value, "")


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


def target(request: Any, violations: Violations, oneof: str = "target") -> Target:
    """The trace a request addresses, by the oneof holding trace_id or client_request_id."""
    kind = request.WhichOneof(oneof)
    if kind is None:
        violations.add("target", "set exactly one of trace_id or client_request_id", Reason.REQUIRED)
        return Target()
    if kind == "trace_id":
        violations.check_trace_id("trace_id", request.trace_id)
        return Target(trace_id=request.trace_id)
    violations.check_client_request_id("client_request_id", request.client_request_id, required=True)
    return Target(client_request_id=request.client_request_id)


def encode_token(payload: Any) -> str:
    """A page token or cursor: the payload as URL-safe base64 JSON (opaque to callers)."""
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> Any:
    """A token's payload; ValueError when it is not one this service gave out."""
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError("too long")
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error


def token_problem(field: str, violations: Violations) -> None:
    violations.add(field, "is not a token this service gave out", Reason.INVALID_FORMAT)
