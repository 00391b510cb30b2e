"""Feedback on a trace: written, read back and deleted one assessment at a time, and the trace tags
the service keeps beside it: deletions' tombstones and the feedback marker (MLflow's REST API v3)."""

import contextlib

from mlflow.entities import Assessment
from mlflow.protos.service_pb2 import CreateAssessment, DeleteTraceTagV3, GetAssessmentRequest, SetTraceTagV3
from mlflow.utils.rest_utils import _V3_TRACE_REST_API_PATH_PREFIX

from genaifeedback.service.domain.errors import FieldViolation, InvalidRequest, TraceNotFound
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.egress.mlflow.http import MlflowHttp, Refusal, missing_trace, parsed, short
from genaifeedback.v1.errors_pb2 import FieldViolationReason


async def create_feedback(http: MlflowHttp, write: FeedbackWrite) -> None:
    """Create the assessment; MLflow refuses an id it holds anywhere (its assessments' primary key),
    which this reports as MlflowUnavailable, like any other failure it cannot tell apart."""

    def refused(refusal: Refusal) -> Exception | None:
        if refusal.error_code == "RESOURCE_DOES_NOT_EXIST":
            return TraceNotFound(f"trace {write.trace_id} not found", trace_id=write.trace_id)
        if refusal.error_code == "INVALID_PARAMETER_VALUE":
            # Validation should have caught it: still the caller's input, so INVALID_ARGUMENT.
            reason = f"MLflow refused the feedback: {short(refusal.message)}"
            return InvalidRequest([FieldViolation.of("", reason, FieldViolationReason.REFUSED_BY_MLFLOW)])
        return None

    request = CreateAssessment(assessment=write.to_feedback().to_proto())  # type: ignore[no-untyped-call]  # mlflow is untyped
    await http.call("POST", _path(write.trace_id, "assessments"), request, on_refusal=refused)


async def get_feedback(http: MlflowHttp, trace_id: str, assessment_id: str) -> Assessment | None:
    """The assessment, or None when MLflow has no such assessment (or trace)."""
    try:
        response = await http.call("GET", _path(trace_id, "assessments", assessment_id), on_refusal=missing_trace)
    except TraceNotFound:
        return None
    answer: GetAssessmentRequest.Response = parsed(response, GetAssessmentRequest.Response())
    stored: Assessment = Assessment.from_proto(answer.assessment)  # type: ignore[no-untyped-call]  # mlflow is untyped
    return stored


async def delete_feedback(http: MlflowHttp, trace_id: str, assessment_id: str) -> None:
    await http.call("DELETE", _path(trace_id, "assessments", assessment_id), on_refusal=missing_trace)


async def set_trace_tag(http: MlflowHttp, trace_id: str, key: str, value: str) -> None:
    request = SetTraceTagV3(key=key, value=value)
    await http.call("PATCH", _path(trace_id, "tags"), request, on_refusal=missing_trace)


async def delete_trace_tag(http: MlflowHttp, trace_id: str, key: str) -> None:
    """Delete the tag; a trace without it (or gone) is no error: the tag is not there either way."""
    with contextlib.suppress(TraceNotFound):
        await http.call("DELETE", _path(trace_id, "tags"), DeleteTraceTagV3(key=key), on_refusal=missing_trace)


def _path(trace_id: str, *parts: str) -> str:
    return "/".join((_V3_TRACE_REST_API_PATH_PREFIX, trace_id, *parts))
