"""The service's errors, and their one mapping onto gRPC statuses.

Domain code raises these; the servicers turn them into statuses (with google.rpc details) in
one place. Anything else that escapes is a bug in the service and becomes INTERNAL.
"""

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    field: str  # the request field's path, as in the .proto: `ratings[1].score`
    description: str


class ServiceError(Exception):
    """An expected failure, with the gRPC status code the caller gets."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def details(self) -> list[any_pb2.Any]:
        return []

    def to_status(self) -> status_pb2.Status:
        return status_pb2.Status(
            code=getattr(code_pb2, self.code.name), message=self.message, details=self.details()
        )


class InvalidArgument(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, violations: list[FieldViolation]):
        self.violations = violations
        super().__init__("invalid request: " + "; ".join(f"{v.field}: {v.description}" for v in violations))

    def details(self) -> list[any_pb2.Any]:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in self.violations
            ]
        )
        detail = any_pb2.Any()
        detail.Pack(bad_request)
        return [detail]


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ServiceError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(ServiceError):
    """A dependency (MLflow, the model endpoint) cannot be reached; retrying may help."""

    code = grpc.StatusCode.UNAVAILABLE


class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class DeadlineExceeded(ServiceError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class GenerationFailed(ServiceError):
    """The token source failed; `code` says how (UNAVAILABLE, RESOURCE_EXHAUSTED, INTERNAL, ...)."""

    def __init__(self, message: str, code: grpc.StatusCode = grpc.StatusCode.INTERNAL):
        super().__init__(message)
        self.code = code
