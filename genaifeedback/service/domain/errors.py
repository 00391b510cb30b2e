"""The service's own errors. Domain code raises these; `status.py` turns them into gRPC statuses.

Each error names its `reason`: a value of the contract's `ErrorReason` enum (errors.proto), sent
as google.rpc.ErrorInfo.reason so that callers in every language can match on it. `metadata`
goes into ErrorInfo.metadata (small values only: ids, never unbounded input).
"""

from dataclasses import dataclass

from genaifeedback.v1.errors_pb2 import ErrorReason, FieldViolationReason

# In the contract, raised by nothing any more: kept so that older callers matching on them compile.
RESERVED_REASONS = frozenset({ErrorReason.TRACE_NOT_STORED_YET, ErrorReason.TRACE_WAIT_TIMEOUT})
_FIELD_VIOLATION_REASONS = frozenset(FieldViolationReason.keys()) - {"FIELD_VIOLATION_REASON_UNSPECIFIED"}


@dataclass(frozen=True)
class FieldViolation:
    field: str  # the request field's path, as in the .proto: `ratings[1].score`
    description: str
    reason: str  # a FieldViolationReason value name, as sent in google.rpc.BadRequest

    def __post_init__(self) -> None:
        if self.reason not in _FIELD_VIOLATION_REASONS:  # a bug: callers could not match on it
            raise ValueError(f"{self.reason!r} is no FieldViolationReason of the contract")

    @classmethod
    def of(cls, field: str, description: str, reason: FieldViolationReason) -> "FieldViolation":
        return cls(field, description, FieldViolationReason.Name(reason))


class ServiceError(Exception):
    """An expected failure: the caller gets a status built from its class and reason."""

    reason = ErrorReason.Name(ErrorReason.INTERNAL_ERROR)

    def __init__(self, message: str, **metadata: str):
        super().__init__(message)
        self.message = message
        self.metadata = dict(metadata)


class InvalidRequest(ServiceError):
    """Fields break the contract's rules; every violation is reported at once."""

    reason = ErrorReason.Name(ErrorReason.INVALID_FIELD)
    MAX_REPORTED = 20  # keeps the status well under gRPC's 16 KiB of trailers

    def __init__(self, violations: list[FieldViolation]):
        self.violations = violations[: self.MAX_REPORTED]
        more = len(violations) - len(self.violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid request: {summary}" + (f" (and {more} more)" if more > 0 else ""))


class MalformedRequest(ServiceError):
    """The request bytes do not parse as the method's request message."""

    reason = ErrorReason.Name(ErrorReason.MALFORMED_REQUEST)


class RequestTooLarge(ServiceError):
    """The request message is over the contract's size limit (within the transport's margin)."""

    reason = ErrorReason.Name(ErrorReason.REQUEST_TOO_LARGE)


class TraceNotFound(ServiceError):
    """No trace matches (yet: another replica may still be exporting it)."""

    reason = ErrorReason.Name(ErrorReason.TRACE_NOT_FOUND)


class RequestIdReused(ServiceError):
    reason = ErrorReason.Name(ErrorReason.REQUEST_ID_REUSED)


class MlflowUnavailable(ServiceError):
    """MLflow cannot be reached or failed; retrying later may help."""

    reason = ErrorReason.Name(ErrorReason.MLFLOW_UNAVAILABLE)


class JournalUnavailable(ServiceError):
    """The shared journal (PostgreSQL) cannot be reached: nothing is acknowledged that is not
    committed there, so new work is refused until it returns."""

    reason = ErrorReason.Name(ErrorReason.JOURNAL_UNAVAILABLE)


class MlflowRejected(ServiceError):
    """MLflow refused a trace or a feedback for what it is; retrying will not help."""

    reason = ErrorReason.Name(ErrorReason.MLFLOW_REJECTED)


class TraceBacklogFull(ServiceError):
    reason = ErrorReason.Name(ErrorReason.TRACE_BACKLOG_FULL)


class FeedbackNotFound(ServiceError):
    reason = ErrorReason.Name(ErrorReason.FEEDBACK_NOT_FOUND)


class ShuttingDown(ServiceError):
    reason = ErrorReason.Name(ErrorReason.SHUTTING_DOWN)


class DeadlineTooShort(ServiceError):
    reason = ErrorReason.Name(ErrorReason.DEADLINE_TOO_SHORT)


class GenerationFailed(ServiceError):
    """The token source failed in an unexpected way. Subclasses say how it failed."""

    reason = ErrorReason.Name(ErrorReason.GENERATION_FAILED)


class ModelUnavailable(GenerationFailed):
    reason = ErrorReason.Name(ErrorReason.MODEL_UNAVAILABLE)


class ModelRateLimited(GenerationFailed):
    reason = ErrorReason.Name(ErrorReason.MODEL_RATE_LIMITED)


class ModelRejected(GenerationFailed):
    reason = ErrorReason.Name(ErrorReason.MODEL_REJECTED)


class GenerationTimeout(GenerationFailed):
    reason = ErrorReason.Name(ErrorReason.GENERATION_TIMEOUT)


class FeedbackTokenInvalid(ServiceError):
    """A feedback token this service did not issue, or no longer accepts (or takes none at all)."""

    reason = ErrorReason.Name(ErrorReason.FEEDBACK_TOKEN_INVALID)


class FeedbackTokenExpired(ServiceError):
    reason = ErrorReason.Name(ErrorReason.FEEDBACK_TOKEN_EXPIRED)


class FeedbackTokenMismatch(ServiceError):
    """A valid feedback token that does not allow this request (metadata `mismatch` says why)."""

    reason = ErrorReason.Name(ErrorReason.FEEDBACK_TOKEN_MISMATCH)


class Unauthenticated(ServiceError):
    """The caller could not be identified. Subclasses say why."""

    reason = ErrorReason.Name(ErrorReason.CREDENTIALS_INVALID)


class CredentialsMissing(Unauthenticated):
    reason = ErrorReason.Name(ErrorReason.CREDENTIALS_MISSING)


class CredentialsInvalid(Unauthenticated):
    reason = ErrorReason.Name(ErrorReason.CREDENTIALS_INVALID)


class CredentialsExpired(Unauthenticated):
    reason = ErrorReason.Name(ErrorReason.CREDENTIALS_EXPIRED)


class PermissionDenied(ServiceError):
    """The caller is known but may not do this. Subclasses say why."""

    reason = ErrorReason.Name(ErrorReason.SCOPE_MISSING)


class ScopeMissing(PermissionDenied):
    reason = ErrorReason.Name(ErrorReason.SCOPE_MISSING)


class SourceNotAllowed(PermissionDenied):
    reason = ErrorReason.Name(ErrorReason.SOURCE_NOT_ALLOWED)


class ResourceExhausted(ServiceError):
    """Over a limit of the service's own (not the model's): retry after `retry_after_seconds`.
    `subject` and `limit` name the limit, for google.rpc.QuotaFailure."""

    reason = ErrorReason.Name(ErrorReason.RATE_LIMITED)

    def __init__(self, message: str, subject: str, limit: str, retry_after_seconds: float):
        super().__init__(message, subject=subject, limit=limit)
        self.subject, self.limit, self.retry_after_seconds = subject, limit, retry_after_seconds


class RateLimited(ResourceExhausted):
    reason = ErrorReason.Name(ErrorReason.RATE_LIMITED)


class TooManyStreams(ResourceExhausted):
    reason = ErrorReason.Name(ErrorReason.TOO_MANY_STREAMS)
