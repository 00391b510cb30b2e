"""Lookups: trace infos by id, a trace by client request id, the experiment by name."""

from mlflow.entities import TraceInfo
from mlflow.protos.service_pb2 import BatchGetTraceInfos, CreateExperiment, GetExperimentByName
from mlflow.utils.rest_utils import _REST_API_PATH_PREFIX, _V3_TRACE_REST_API_PATH_PREFIX

from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.egress.mlflow.http import MlflowHttp, OnRefusal, parsed
from genaifeedback.service.egress.mlflow.trace_scan import search_page
from genaifeedback.service.egress.otlp import CLIENT_REQUEST_ID_TAG

BATCH_GET_PATH = f"{_V3_TRACE_REST_API_PATH_PREFIX}/batchGetInfos"
BATCH_GET_SIZE = 100  # MLflow's largest batchGetInfos
EXPERIMENTS_PATH = f"{_REST_API_PATH_PREFIX}/mlflow/experiments"


async def trace_infos(http: MlflowHttp, trace_ids: list[str]) -> dict[str, TraceInfo]:
    """The infos (tags and assessments included) of those of these traces MLflow has."""
    found: dict[str, TraceInfo] = {}
    for start in range(0, len(trace_ids), BATCH_GET_SIZE):
        request = BatchGetTraceInfos(trace_ids=trace_ids[start : start + BATCH_GET_SIZE])
        answer: BatchGetTraceInfos.Response = parsed(
            await http.call("POST", BATCH_GET_PATH, request), BatchGetTraceInfos.Response()
        )
        found.update((info.trace_id, TraceInfo.from_proto(info)) for info in answer.trace_infos)
    return found


async def find_trace_by_client_request_id(http: MlflowHttp, experiment_id: str, client_request_id: str) -> str | None:
    """The newest trace with this client request id: ours carry it as a tag, traces logged with
    MLflow's own SDK in the trace info."""
    # No escapes in MLflow's search syntax: the caller's id never holds a quote (see convert).
    for filter_string in (
        f"tags.`{CLIENT_REQUEST_ID_TAG}` = '{client_request_id}'",
        f"trace.client_request_id = '{client_request_id}'",
    ):
        answer = await search_page(http, experiment_id, filter_string, "timestamp_ms DESC", 1)
        if answer.get("traces"):
            trace_id: str = answer["traces"][0]["trace_id"]
            return trace_id
    return None


async def experiment_id(http: MlflowHttp, name: str) -> str:
    """The id of the active experiment of this name, created if there is none."""
    try:
        response = await http.call(
            "GET",
            f"{EXPERIMENTS_PATH}/get-by-name",
            params={"experiment_name": name},
            on_refusal=_saying("RESOURCE_DOES_NOT_EXIST"),
        )
        answer: GetExperimentByName.Response = parsed(response, GetExperimentByName.Response())
    except _Said:
        try:
            request = CreateExperiment(name=name)
            response = await http.call(
                "POST", f"{EXPERIMENTS_PATH}/create", request, on_refusal=_saying("RESOURCE_ALREADY_EXISTS")
            )
            return str(response.json()["experiment_id"])
        except _Said:  # another replica created it meanwhile
            return await experiment_id(http, name)
    if answer.experiment.lifecycle_stage != "active":
        raise MlflowUnavailable(f"experiment {name!r} is deleted: restore it, or choose another name")
    return answer.experiment.experiment_id


class _Said(Exception):
    """MLflow refused with the error code a lookup branches on."""


def _saying(error_code: str) -> OnRefusal:
    return lambda refusal: _Said(error_code) if refusal.error_code == error_code else None
