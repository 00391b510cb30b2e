"""The ids of deleted feedback, reserved so that MLflow itself refuses to create them again.

MLflow's assessment ids are unique across its whole store (the primary key of its assessments table:
a create with an id it holds fails, whatever the trace), and a deleted assessment's id is free again.
So a deletion leaves a placeholder under the id: an assessment on one trace of a companion experiment,
`<experiment>.deleted-feedback`, where nothing that reads the experiment's feedback sees it. A delivery
that never saw the deletion (another replica's, a late retry) is then refused by MLflow, and needs no
read before or after its write to keep deleted feedback deleted. A placeholder holds no feedback
content: only the id and the trace it was deleted from.
"""

import hashlib
import time

from mlflow.entities import TraceInfo, TraceLocation, TraceState
from mlflow.protos.service_pb2 import StartTraceV3, Trace
from mlflow.utils.rest_utils import _V3_TRACE_REST_API_PATH_PREFIX

from genaifeedback.service.domain.errors import MlflowUnavailable, TraceNotFound
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.egress.mlflow import assessments, lookups
from genaifeedback.service.egress.mlflow.http import MlflowHttp

COMPANION_SUFFIX = ".deleted-feedback"
PLACEHOLDER_NAME = "genaifeedback.deleted_id"  # its value: the trace the id was deleted from
MAX_ATTEMPTS = 5  # a delivery racing the deletion can take the id between our delete and our reserve


def holder_trace_id(experiment_id: str) -> str:
    """The one trace holding an experiment's placeholders: the same on every replica."""
    return "tr-" + hashlib.sha256(f"genaifeedback.deleted-feedback:{experiment_id}".encode()).hexdigest()[:32]


async def is_reserved(http: MlflowHttp, experiment_id: str, assessment_id: str) -> bool:
    return await assessments.get_feedback(http, holder_trace_id(experiment_id), assessment_id) is not None


async def reserve(
    http: MlflowHttp, experiment_name: str, experiment_id: str, trace_id: str, assessment_id: str
) -> None:
    """Reserve a deleted id. Raises MlflowUnavailable when MLflow cannot be reached, or the id stays
    taken by something this cannot delete."""
    holder = holder_trace_id(experiment_id)
    placeholder = FeedbackWrite(
        trace_id=holder,
        assessment_id=assessment_id,
        name=PLACEHOLDER_NAME,
        value=trace_id,
        source_type="CODE",
        source_id="genaifeedback",
        rationale=None,
        metadata={},
        span_id=None,
    )
    for _ in range(MAX_ATTEMPTS):
        try:
            await assessments.create_feedback(http, placeholder)
            return
        except TraceNotFound:  # the first deletion in this experiment
            await _create_holder(http, experiment_name + COMPANION_SUFFIX, holder)
        except MlflowUnavailable:
            if await is_reserved(http, experiment_id, assessment_id):
                return  # reserved already (an earlier deletion, or our create's answer was lost)
            if await assessments.get_feedback(http, trace_id, assessment_id) is None:
                raise
            # A delivery that had not seen the tombstone wrote it after our delete: delete it again.
            await assessments.delete_feedback(http, trace_id, assessment_id)
    raise MlflowUnavailable(f"could not reserve the deleted id {assessment_id} on trace {trace_id}")


async def _create_holder(http: MlflowHttp, companion_name: str, holder: str) -> None:
    """Create the holder trace (MLflow merges a second start of the same id: replicas may race)."""
    info = TraceInfo(
        trace_id=holder,
        trace_location=TraceLocation.from_experiment_id(await lookups.experiment_id(http, companion_name)),
        request_time=int(time.time() * 1000),
        state=TraceState.OK,
        tags={"genaifeedback.holds": "the ids of deleted feedback, reserved"},
    )
    request = StartTraceV3(trace=Trace(trace_info=info.to_proto()))  # type: ignore[arg-type]  # V3 in an experiment
    await http.call("POST", _V3_TRACE_REST_API_PATH_PREFIX, request)
