from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INVALID_FIELD: _ClassVar[ErrorReason]
    MALFORMED_REQUEST: _ClassVar[ErrorReason]
    TRACE_NOT_FOUND: _ClassVar[ErrorReason]
    REQUEST_ID_REUSED: _ClassVar[ErrorReason]
    MLFLOW_UNAVAILABLE: _ClassVar[ErrorReason]
    TRACE_NOT_STORED_YET: _ClassVar[ErrorReason]
    MLFLOW_REJECTED: _ClassVar[ErrorReason]
    TRACE_BACKLOG_FULL: _ClassVar[ErrorReason]
    TRACE_WAIT_TIMEOUT: _ClassVar[ErrorReason]
    MODEL_UNAVAILABLE: _ClassVar[ErrorReason]
    MODEL_RATE_LIMITED: _ClassVar[ErrorReason]
    MODEL_REJECTED: _ClassVar[ErrorReason]
    GENERATION_TIMEOUT: _ClassVar[ErrorReason]
    GENERATION_FAILED: _ClassVar[ErrorReason]
    INTERNAL_ERROR: _ClassVar[ErrorReason]
    SHUTTING_DOWN: _ClassVar[ErrorReason]
    FEEDBACK_NOT_FOUND: _ClassVar[ErrorReason]
    DEADLINE_TOO_SHORT: _ClassVar[ErrorReason]
    CREDENTIALS_MISSING: _ClassVar[ErrorReason]
    CREDENTIALS_INVALID: _ClassVar[ErrorReason]
    CREDENTIALS_EXPIRED: _ClassVar[ErrorReason]
    SCOPE_MISSING: _ClassVar[ErrorReason]
    SOURCE_NOT_ALLOWED: _ClassVar[ErrorReason]
    FEEDBACK_TOKEN_INVALID: _ClassVar[ErrorReason]
    FEEDBACK_TOKEN_EXPIRED: _ClassVar[ErrorReason]
    FEEDBACK_TOKEN_MISMATCH: _ClassVar[ErrorReason]
    RATE_LIMITED: _ClassVar[ErrorReason]
    TOO_MANY_STREAMS: _ClassVar[ErrorReason]
    REQUEST_TOO_LARGE: _ClassVar[ErrorReason]
    JOURNAL_UNAVAILABLE: _ClassVar[ErrorReason]

class FieldViolationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FIELD_VIOLATION_REASON_UNSPECIFIED: _ClassVar[FieldViolationReason]
    REQUIRED: _ClassVar[FieldViolationReason]
    TOO_LONG: _ClassVar[FieldViolationReason]
    OUT_OF_RANGE: _ClassVar[FieldViolationReason]
    INVALID_FORMAT: _ClassVar[FieldViolationReason]
    RESERVED_KEY: _ClassVar[FieldViolationReason]
    DUPLICATE: _ClassVar[FieldViolationReason]
    TOO_DEEP: _ClassVar[FieldViolationReason]
    REFUSED_BY_MLFLOW: _ClassVar[FieldViolationReason]
    SCHEMA_MISMATCH: _ClassVar[FieldViolationReason]
    REQUEST_ID_REQUIRED: _ClassVar[FieldViolationReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INVALID_FIELD: ErrorReason
MALFORMED_REQUEST: ErrorReason
TRACE_NOT_FOUND: ErrorReason
REQUEST_ID_REUSED: ErrorReason
MLFLOW_UNAVAILABLE: ErrorReason
TRACE_NOT_STORED_YET: ErrorReason
MLFLOW_REJECTED: ErrorReason
TRACE_BACKLOG_FULL: ErrorReason
TRACE_WAIT_TIMEOUT: ErrorReason
MODEL_UNAVAILABLE: ErrorReason
MODEL_RATE_LIMITED: ErrorReason
MODEL_REJECTED: ErrorReason
GENERATION_TIMEOUT: ErrorReason
GENERATION_FAILED: ErrorReason
INTERNAL_ERROR: ErrorReason
SHUTTING_DOWN: ErrorReason
FEEDBACK_NOT_FOUND: ErrorReason
DEADLINE_TOO_SHORT: ErrorReason
CREDENTIALS_MISSING: ErrorReason
CREDENTIALS_INVALID: ErrorReason
CREDENTIALS_EXPIRED: ErrorReason
SCOPE_MISSING: ErrorReason
SOURCE_NOT_ALLOWED: ErrorReason
FEEDBACK_TOKEN_INVALID: ErrorReason
FEEDBACK_TOKEN_EXPIRED: ErrorReason
FEEDBACK_TOKEN_MISMATCH: ErrorReason
RATE_LIMITED: ErrorReason
TOO_MANY_STREAMS: ErrorReason
REQUEST_TOO_LARGE: ErrorReason
JOURNAL_UNAVAILABLE: ErrorReason
FIELD_VIOLATION_REASON_UNSPECIFIED: FieldViolationReason
REQUIRED: FieldViolationReason
TOO_LONG: FieldViolationReason
OUT_OF_RANGE: FieldViolationReason
INVALID_FORMAT: FieldViolationReason
RESERVED_KEY: FieldViolationReason
DUPLICATE: FieldViolationReason
TOO_DEEP: FieldViolationReason
REFUSED_BY_MLFLOW: FieldViolationReason
SCHEMA_MISMATCH: FieldViolationReason
REQUEST_ID_REQUIRED: FieldViolationReason
