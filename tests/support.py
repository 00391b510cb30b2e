"""Small helpers shared by the service tests."""

import time
from collections.abc import Callable
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from genaifeedback.v1 import chat_pb2

TRACE_ID_KEY = "mlflow-trace-id"


def chat(service, message="What is MLflow?", **fields) -> list[chat_pb2.ChatResponse]:
    """Run one Chat to the end; returns every event."""
    return list(service.chat.Chat(chat_pb2.ChatRequest(message=message, **fields), timeout=60))


def finished_trace_id(events) -> str:
    assert events[-1].WhichOneof("event") == "finished"
    return events[-1].finished.trace_id


def new_trace(service, **fields) -> str:
    """A finished chat whose trace is stored in MLflow."""
    trace_id = finished_trace_id(chat(service, **fields))
    service.wait_stored(trace_id)
    return trace_id


def details(error: grpc.RpcError, kind):
    """The first google.rpc detail of this kind in a failed call's status (None if there is none)."""
    status = rpc_status.from_call(error)
    assert status is not None, "no rich status details"
    for detail in status.details:
        unpacked = kind()
        if detail.Unpack(unpacked):
            return unpacked
    return None


def error_reason(error: grpc.RpcError) -> str:
    """google.rpc.ErrorInfo.reason of a failed call (every failure carries one)."""
    info = details(error, error_details_pb2.ErrorInfo)
    assert info is not None and info.domain == "genaifeedback", "no ErrorInfo from the service"
    return info.reason


def violations(error: grpc.RpcError) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of a failed call, by field."""
    bad_request = details(error, error_details_pb2.BadRequest) or error_details_pb2.BadRequest()
    return {v.field: v.description for v in bad_request.field_violations}


def violation_reasons(error: grpc.RpcError) -> dict[str, str]:
    bad_request = details(error, error_details_pb2.BadRequest) or error_details_pb2.BadRequest()
    return {v.field: v.reason for v in bad_request.field_violations}


def trailing(call_or_error) -> dict[str, str]:
    return dict(call_or_error.trailing_metadata() or ())


def assessments(mlflow_client, trace_id: str, name: str | None = None) -> list:
    stored = mlflow_client.get_trace_info(trace_id).assessments
    return [a for a in stored if name is None or a.name == name]


def metric(service, name: str, **labels: str) -> float:
    """A sample of the service's Prometheus metrics, as its /metrics endpoint would show it."""
    value = service.app.metrics.registry.get_sample_value(name, labels or None)
    return 0.0 if value is None else value


def eventually(check: Callable[[], Any], within_seconds: float = 5.0) -> Any:
    """check()'s first truthy result, asked again until `within_seconds` have passed: for what the
    service does within a set time rather than at once (a changed key file: within a second)."""
    deadline = time.monotonic() + within_seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {within_seconds} s"
        time.sleep(0.05)  # ok: polling an outcome
    return result
