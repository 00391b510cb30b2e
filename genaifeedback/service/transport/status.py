"""The one mapping of the service's errors onto gRPC statuses with google.rpc details (AIP-193).

Every status carries ErrorInfo (reason, domain, metadata); INVALID_FIELD adds BadRequest,
TRACE_NOT_FOUND adds ResourceInfo, retryable codes add RetryInfo (a rate limit's own delay: when
its window resets), rate limits add QuotaFailure (see retry_delay_seconds). Anything that is not a
ServiceError is a bug and becomes INTERNAL / INTERNAL_ERROR.
"""

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from genaifeedback.service.domain import errors

ERROR_DOMAIN = "genaifeedback"
RETRY_DELAY_SECONDS = 1

# Most specific class first: the first match wins.
_CODES: tuple[tuple[type[errors.ServiceError], grpc.StatusCode], ...] = (
    (errors.InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.MalformedRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.RequestTooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.TraceNotFound, grpc.StatusCode.NOT_FOUND),
    (errors.FeedbackNotFound, grpc.StatusCode.NOT_FOUND),
    (errors.RequestIdReused, grpc.StatusCode.ALREADY_EXISTS),
    (errors.MlflowUnavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.JournalUnavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.MlflowRejected, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.TraceBacklogFull, grpc.StatusCode.UNAVAILABLE),
    (errors.DeadlineTooShort, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.ShuttingDown, grpc.StatusCode.UNAVAILABLE),
    (errors.ModelUnavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.ModelRateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.ModelRejected, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.GenerationTimeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.FeedbackTokenInvalid, grpc.StatusCode.UNAUTHENTICATED),
    (errors.FeedbackTokenExpired, grpc.StatusCode.UNAUTHENTICATED),
    (errors.FeedbackTokenMismatch, grpc.StatusCode.PERMISSION_DENIED),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.ServiceError, grpc.StatusCode.INTERNAL),
)
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})


def retry_delay_seconds(error: errors.ServiceError) -> float | None:
    """How long a caller should wait before retrying (sent in RetryInfo and as gRPC's pushback), or
    None when retrying cannot help: a status that is not retryable, or a request too large, which
    fails again however long one waits."""
    if code_for(error) not in RETRYABLE or isinstance(error, errors.RequestTooLarge):
        return None
    if isinstance(error, errors.ResourceExhausted):
        return error.retry_after_seconds
    return RETRY_DELAY_SECONDS


def code_for(error: errors.ServiceError) -> grpc.StatusCode:
    return next(code for kind, code in _CODES if isinstance(error, kind))


def to_status(error: errors.ServiceError) -> status_pb2.Status:
    code = code_for(error)
    details = [error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)]
    if isinstance(error, errors.InvalidRequest):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description, reason=v.reason
                    )
                    for v in error.violations
                ]
            )
        )
    if isinstance(error, errors.TraceNotFound):
        details.append(
            error_details_pb2.ResourceInfo(
                resource_type="MLflow trace",
                resource_name=next(iter(error.metadata.values()), ""),
                description=error.message,
            )
        )
    if isinstance(error, errors.ResourceExhausted):
        details.append(
            error_details_pb2.QuotaFailure(
                violations=[error_details_pb2.QuotaFailure.Violation(subject=error.subject, description=error.limit)]
            )
        )
    if (wait := retry_delay_seconds(error)) is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(round(wait * 1e9))
        details.append(error_details_pb2.RetryInfo(retry_delay=delay))
    packed = []
    for detail in details:
        any_detail = any_pb2.Any()
        any_detail.Pack(detail)
        packed.append(any_detail)
    return status_pb2.Status(code=getattr(code_pb2, code.name), message=error.message, details=packed)
