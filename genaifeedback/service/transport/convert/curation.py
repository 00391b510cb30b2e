"""FeedbackService's curating calls (GetFeedback, ListFeedback, CorrectFeedback, DeleteFeedback,
EraseFeedbackBySource) to domain objects and back."""

import json
from dataclasses import replace
from typing import Literal

from google.protobuf import json_format

from genaifeedback.service.domain.curation import ErasureProgress, FeedbackRead, ListQuery
from genaifeedback.service.domain.feedback import CORRECTS_KEY, FeedbackInput, Recorded, Target
from genaifeedback.service.domain.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SOURCE_ID_CHARS
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.transport.convert.feedback import (
    STATES,
    check_name,
    check_schema,
    common_fields,
    value_fields,
    value_of,
    with_schema,
)
from genaifeedback.service.transport.convert.fields import SOURCE_TYPE_VALUES, SourceTypeName, Violations, target
from genaifeedback.v1 import feedback_pb2
from genaifeedback.v1.errors_pb2 import FieldViolationReason as Reason


def feedback_ref(
    request: feedback_pb2.GetFeedbackRequest | feedback_pb2.CorrectFeedbackRequest,
) -> tuple[Target, str]:
    """Which stored feedback a request names: its trace and its assessment id."""
    violations = Violations()
    addressed = target(request, violations)
    violations.check_assessment_id("assessment_id", request.assessment_id)
    violations.raise_any()
    return addressed, request.assessment_id


def correction_input(
    request: feedback_pb2.CorrectFeedbackRequest, schemas: Schemas, trace_id: str, name: str
) -> tuple[Target, FeedbackInput]:
    """The correction of feedback `name` on `trace_id`, checked against that name's schema."""
    violations = Violations()
    value = value_of(request, violations)
    well_formed = not violations and value is not None
    common = common_fields(request, violations)
    if not request.source.id:
        violations.add("source.id", "a correction names who makes it", Reason.REQUIRED)
    if not request.rationale.strip():
        violations.add("rationale", "a correction says why the value was wrong", Reason.REQUIRED)
    if well_formed:
        check_schema(schemas, common, name, value, value_fields(request), violations)
    violations.raise_any()
    corrected = with_schema(schemas, common, name, value)
    return Target(trace_id=trace_id), replace(
        corrected,
        overrides=request.assessment_id,
        metadata={**corrected.metadata, CORRECTS_KEY: request.assessment_id},
    )


def _time_ms(request: feedback_pb2.ListFeedbackRequest, field: Literal["start_time", "end_time"]) -> int | None:
    return getattr(request, field).ToMilliseconds() if request.HasField(field) else None


def list_input(request: feedback_pb2.ListFeedbackRequest) -> ListQuery:
    violations = Violations()
    scope = request.WhichOneof("scope")
    addressed = None
    if scope is None:
        violations.add("scope", "set exactly one of trace_id, client_request_id or source_id", Reason.REQUIRED)
    elif scope == "source_id":
        violations.check_id("source_id", request.source_id, MAX_SOURCE_ID_CHARS, required=True)
    else:
        addressed = target(request, violations, oneof="scope")  # trace_id or client_request_id
    if request.name:
        check_name("name", request.name, violations)
    if not 0 <= request.page_size <= MAX_PAGE_SIZE:
        violations.add("page_size", f"must be from 1 to {MAX_PAGE_SIZE} (0: {DEFAULT_PAGE_SIZE})", Reason.OUT_OF_RANGE)
    start_ms, end_ms = _time_ms(request, "start_time"), _time_ms(request, "end_time")
    if start_ms is not None and end_ms is not None and end_ms <= start_ms:
        violations.add("end_time", "must be after start_time", Reason.OUT_OF_RANGE)
    violations.raise_any()
    return ListQuery(
        target=addressed,
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
    violations = Violations()
    addressed = target(request, violations)
    selection = request.WhichOneof("selection")
    if selection is None:
        violations.add("selection", "set exactly one of assessment_id or all_on_trace", Reason.REQUIRED)
    elif selection == "all_on_trace" and not request.all_on_trace:
        violations.add("all_on_trace", "must be true to delete every feedback on the trace", Reason.REQUIRED)
    elif selection == "assessment_id":
        violations.check_assessment_id("assessment_id", request.assessment_id)
    violations.raise_any()
    return addressed, request.assessment_id


def erase_input(request: feedback_pb2.EraseFeedbackBySourceRequest) -> tuple[str, SourceTypeName | Literal[""]]:
    """(source id, source type or "" for any)."""
    violations = Violations()
    violations.check_id("source_id", request.source_id, MAX_SOURCE_ID_CHARS, required=True)
    source_type = violations.source_type("source_type", request.source_type, Reason.INVALID_FORMAT)
    violations.raise_any()
    return request.source_id, source_type


def feedback_record(stored: FeedbackRead) -> feedback_pb2.FeedbackRecord:
    feedback = stored.feedback
    record = feedback_pb2.FeedbackRecord(
        assessment_id=stored.assessment_id,
        trace_id=feedback.trace_id or "",
        span_id=feedback.span_id or "",
        name=feedback.name,
        source=feedback_pb2.FeedbackSource(
            type=SOURCE_TYPE_VALUES.get(feedback.source.source_type, feedback_pb2.SOURCE_TYPE_UNSPECIFIED),
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


def get_response(stored: FeedbackRead) -> feedback_pb2.GetFeedbackResponse:
    return feedback_pb2.GetFeedbackResponse(feedback=feedback_record(stored))


def list_response(page: list[FeedbackRead], next_page_token: str) -> feedback_pb2.ListFeedbackResponse:
    return feedback_pb2.ListFeedbackResponse(
        feedback=[feedback_record(stored) for stored in page], next_page_token=next_page_token
    )


def correction_response(recorded: Recorded) -> feedback_pb2.CorrectFeedbackResponse:
    [assessment_id] = recorded.assessment_ids.values()
    return feedback_pb2.CorrectFeedbackResponse(
        assessment_id=assessment_id, trace_id=recorded.trace_id, state=STATES[recorded.state]
    )


def delete_response(trace_id: str, deleted: list[str]) -> feedback_pb2.DeleteFeedbackResponse:
    return feedback_pb2.DeleteFeedbackResponse(trace_id=trace_id, deleted_assessment_ids=deleted)


def erasure_response(progress: ErasureProgress) -> feedback_pb2.EraseFeedbackBySourceResponse:
    return feedback_pb2.EraseFeedbackBySourceResponse(
        traces_scanned=progress.traces_scanned,
        feedback_deleted=progress.feedback_deleted,
        traces_changed=progress.traces_changed,
        done=progress.done,
    )
