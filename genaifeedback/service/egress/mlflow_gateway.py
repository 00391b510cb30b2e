"""Every call to MLflow lives here: trace batches, feedback writes, trace lookups.

Traces go to the tracking server's OTLP endpoint (`POST /v1/traces`) as complete traces in
batches: that stores several times more traces per second than MLflow's own exporter, and each
trace is readable (and takes feedback) the moment the POST returns.

Feedback is written with one async POST of MLflow's own CreateAssessment message: MLflow's
synchronous client spends ~3.3 ms of CPU per call (it re-resolves request-header providers on
every call). The rarer reads (a retried write's check, client request id search, experiment
set-up) use the `mlflow-tracing` client in a thread pool, with its own retries off: retrying is
the caller's decision. Both honour MLflow's credentials (token, basic, sigv4, auth plugins, TLS).
"""

import asyncio
import logging
import os
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import httpx
import mlflow
import requests
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp
from mlflow.entities import Assessment, AssessmentSource, Feedback, TraceInfo
from mlflow.entities.trace_location import TraceLocation
from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import BatchGetTraceInfos, CreateAssessment, QueryTraceMetrics, SearchTracesV3
from mlflow.tracing.client import TracingClient
from mlflow.tracing.constant import (
    AssessmentMetricDimensionKey,
    AssessmentMetricKey,
    AssessmentMetricSearchKey,
    TraceMetadataKey,
    TraceMetricKey,
    TraceMetricSearchKey,
)
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.proto_json_utils import message_to_json, parse_dict
from mlflow.utils.rest_utils import _V3_TRACE_REST_API_PATH_PREFIX, MlflowHostCreds
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from genaifeedback.service.domain.errors import FieldViolation, InvalidRequest, MlflowUnavailable, TraceNotFound
from genaifeedback.service.domain.records import FeedbackWrite, ScannedTrace, StoredFeedback
from genaifeedback.service.egress.otlp import CLIENT_REQUEST_ID_TAG

_P = ParamSpec("_P")
_T = TypeVar("_T")

logger = logging.getLogger(__name__)

OTLP_TRACES_PATH = "/v1/traces"


class ExportRejected(Exception):
    """MLflow refused a trace batch for its content (HTTP 400 or 413)."""


class ExportTimedOut(MlflowUnavailable):
    """MLflow did not answer a trace batch in time; it may have stored it anyway."""


class ExportPartlyRejected(Exception):
    """MLflow stored a batch but for `rejected_spans` of its spans."""

    def __init__(self, rejected_spans: int, message: str):
        super().__init__(f"{rejected_spans} spans rejected: {message}")
        self.rejected_spans = rejected_spans


TRACE_METRICS_PATH = f"{_V3_TRACE_REST_API_PATH_PREFIX}/metrics"
TRACE_METRICS_PAGE_SIZE = 1000  # MLflow's largest page of QueryTraceMetrics
TRACE_SEARCH_PATH = f"{_V3_TRACE_REST_API_PATH_PREFIX}/search"
TRACE_SCAN_PAGE_SIZE = 500  # trace infos per search call (MLflow's largest page)
_COUNT = MetricAggregation(AggregationType.COUNT)
_FEEDBACK_TYPE = "feedback"  # SqlAssessments.assessment_type of a Feedback (the other is "expectation")


def _configure_mlflow_client(tracking_uri: str, timeout_seconds: int, pool_size: int) -> None:
    # mlflow-tracing reads its HTTP settings from the environment at call time.
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(timeout_seconds)
    os.environ["MLFLOW_HTTP_POOL_MAXSIZE"] = str(pool_size)
    mlflow.set_tracking_uri(tracking_uri)


class _RequestsAuth(httpx.Auth):
    """Runs a `requests` auth (MLflow's sigv4 and auth plugins are written for requests) on httpx requests."""

    requires_request_body = True

    def __init__(self, auth: Callable[[requests.PreparedRequest], requests.PreparedRequest]):
        self._auth = auth

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        prepared = requests.Request(
            request.method, str(request.url), headers=dict(request.headers), data=request.content
        ).prepare()
        prepared = self._auth(prepared)
        request.headers.update({k: v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()})
        yield request


def _auth(creds: MlflowHostCreds) -> httpx.Auth | None:
    """The same authentication MLflow's own client would use (mlflow.utils.rest_utils.http_request)."""
    if creds.aws_sigv4:
        from requests_auth_aws_sigv4 import AWSSigV4

        return _RequestsAuth(AWSSigV4("execute-api"))
    if creds.auth and creds.auth not in ("kubernetes", "kubernetes-namespaced"):
        from mlflow.tracking.request_auth.registry import fetch_auth

        return _RequestsAuth(fetch_auth(creds.auth))  # type: ignore[no-untyped-call]  # mlflow is untyped
    if creds.username and creds.password:
        return httpx.BasicAuth(creds.username, creds.password)
    return None


def _http_client(tracking_uri: str, timeout_seconds: float, max_connections: int) -> httpx.AsyncClient:
    """An async HTTP client for the tracking server, with the credentials MLflow's client would use."""
    creds = get_default_host_creds(tracking_uri)  # type: ignore[no-untyped-call]  # mlflow is untyped
    verify: ssl.SSLContext | bool = not creds.ignore_tls_verification
    if verify and creds.server_cert_path:
        verify = ssl.create_default_context(cafile=creds.server_cert_path)
    return httpx.AsyncClient(
        base_url=tracking_uri,
        timeout=timeout_seconds,
        # Idle connections are dropped before the server's own keep-alive timeout (uvicorn: 5 s)
        # would close them under a request in flight.
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=2.0
        ),
        auth=_auth(creds),
        headers={"authorization": f"Bearer {creds.token}"} if creds.token and not creds.username else None,
        verify=verify,
        cert=creds.client_cert_path,
    )


class MlflowGateway:
    """Every call to MLflow: trace batches, feedback writes and trace lookups, for one experiment."""

    def __init__(
        self,
        tracking_uri: str,
        experiment_name: str,
        timeout_seconds: int,
        max_concurrent_calls: int,
        analytics_timeout_seconds: float = 120.0,
    ):
        _configure_mlflow_client(tracking_uri, timeout_seconds, max_concurrent_calls)
        self.analytics_timeout_seconds = analytics_timeout_seconds
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.experiment_id = ""
        self.http = _http_client(tracking_uri, timeout_seconds, max_concurrent_calls)
        self._otlp_headers = {"content-type": "application/x-protobuf"}
        self._client = TracingClient(tracking_uri)
        self._pool = ThreadPoolExecutor(max_concurrent_calls, thread_name_prefix="mlflow")

    async def _call(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: function(*args, **kwargs))

    async def connect(self, timeout_seconds: float) -> str:
        """Get or create the experiment, waiting for the tracking server to come up."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                experiment = await self._call(mlflow.set_experiment, self.experiment_name)
                self.experiment_id = experiment.experiment_id
                self._otlp_headers["x-mlflow-experiment-id"] = self.experiment_id
                return self.experiment_id
            except Exception as error:
                if time.monotonic() > deadline:
                    raise MlflowUnavailable(f"MLflow at {self.tracking_uri} is unreachable: {error}") from error
                logger.info("waiting for MLflow at %s (%s)", self.tracking_uri, type(error).__name__)
                await asyncio.sleep(0.5)

    async def create_feedback(self, write: FeedbackWrite) -> None:
        feedback = Feedback(
            name=write.name,
            value=write.value,
            source=AssessmentSource(source_type=write.source_type, source_id=write.source_id),
            rationale=write.rationale,
            metadata=write.metadata or None,
            span_id=write.span_id,
        )
        feedback.assessment_id = write.assessment_id
        feedback.trace_id = write.trace_id
        feedback.overrides = write.overrides
        if write.create_time_ms is not None:
            feedback.create_time_ms = feedback.last_update_time_ms = write.create_time_ms
        body = message_to_json(CreateAssessment(assessment=feedback.to_proto()))  # type: ignore[no-untyped-call]
        try:
            response = await self.http.post(
                f"{_V3_TRACE_REST_API_PATH_PREFIX}/{write.trace_id}/assessments",
                content=body,
                headers={"content-type": "application/json"},
            )
        except httpx.HTTPError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
        if response.status_code == 200:
            return
        try:
            answer = response.json()
            error_code, message = answer.get("error_code"), answer.get("message", "")
        except (ValueError, AttributeError):  # not MLflow's JSON error body (a proxy's page, say)
            error_code, message = None, response.text
        if error_code == "RESOURCE_DOES_NOT_EXIST":
            raise TraceNotFound(f"trace {write.trace_id} not found", trace_id=write.trace_id)
        if error_code == "INVALID_PARAMETER_VALUE":
            # Validation should have caught it: still the caller's input, so INVALID_ARGUMENT.
            raise InvalidRequest(
                [FieldViolation("", f"MLflow refused the feedback: {_short(message)}", "REFUSED_BY_MLFLOW")]
            )
        raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(message)}")

    async def get_feedback(self, trace_id: str, assessment_id: str) -> Assessment | None:
        try:
            return await self._guarded(self._client.get_assessment, trace_id, assessment_id)
        except TraceNotFound:
            return None

    async def delete_feedback(self, trace_id: str, assessment_id: str) -> None:
        await self._guarded(self._client.delete_assessment, trace_id, assessment_id)

    async def find_trace_by_client_request_id(self, client_request_id: str) -> str | None:
        """The newest trace with this client request id: ours carry it as a tag, traces logged with
        MLflow's own SDK in the trace info."""
        # No escapes in MLflow's search syntax: the caller's id never holds a quote (see convert.py).
        for filter_string in (
            f"tags.`{CLIENT_REQUEST_ID_TAG}` = '{client_request_id}'",
            f"trace.client_request_id = '{client_request_id}'",
        ):
            traces = await self._guarded(
                self._client.search_traces,
                locations=[self.experiment_id],
                filter_string=filter_string,
                max_results=1,
                order_by=["timestamp_ms DESC"],
                include_spans=False,
            )
            if traces:
                return traces[0].info.trace_id
        return None

    async def _guarded(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await self._call(function, *args, **kwargs)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise TraceNotFound(_short(str(error.message))) from error
            raise MlflowUnavailable(f"MLflow call failed: {_short(error.message)}") from error
        except OSError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {error}") from error

    # --- analytics: MLflow's server-side aggregation, and the paged read of trace infos

    @staticmethod
    def trace_filters(tags: dict[str, str], user_id: str, session_id: str) -> list[str]:
        """QueryTraceMetrics filters (ANDed) selecting traces by tags, user and session.

        Values never hold a quote (convert.py refuses them): MLflow's filter syntax has no escapes.
        """
        view, tag, metadata = TraceMetricSearchKey.VIEW_TYPE, TraceMetricSearchKey.TAG, TraceMetricSearchKey.METADATA
        filters = [f"{view}.{tag}.`{key}` = '{value}'" for key, value in sorted(tags.items())]
        if user_id:
            filters.append(f"{view}.{metadata}.`{TraceMetadataKey.TRACE_USER}` = '{user_id}'")
        if session_id:
            filters.append(f"{view}.{metadata}.`{TraceMetadataKey.TRACE_SESSION}` = '{session_id}'")
        return filters

    async def count_traces(
        self, filters: list[str], start_ms: int, end_ms: int, interval_seconds: int
    ) -> Counter[int | None]:
        """Traces started in [start_ms, end_ms), per bucket start (None: no buckets)."""
        points = await self._trace_metrics(
            MetricViewType.TRACES, TraceMetricKey.TRACE_COUNT, [], filters, start_ms, end_ms, interval_seconds
        )
        counts: Counter[int | None] = Counter()
        for point in points:
            counts[_bucket_of(point)] += int(point["values"][str(_COUNT)])
        return counts

    async def count_feedback_votes(
        self, filters: list[str], start_ms: int, end_ms: int, interval_seconds: int
    ) -> Counter[tuple[int | None, str, str]]:
        """Current (valid) feedback votes on those traces, per (bucket start, name, value as JSON)."""
        dimensions = [AssessmentMetricDimensionKey.ASSESSMENT_NAME, AssessmentMetricDimensionKey.ASSESSMENT_VALUE]
        feedback_only = f"{AssessmentMetricSearchKey.VIEW_TYPE}.{AssessmentMetricSearchKey.TYPE} = '{_FEEDBACK_TYPE}'"
        points = await self._trace_metrics(
            MetricViewType.ASSESSMENTS,
            AssessmentMetricKey.ASSESSMENT_COUNT,
            dimensions,
            [*filters, feedback_only],
            start_ms,
            end_ms,
            interval_seconds,
        )
        counts: Counter[tuple[int | None, str, str]] = Counter()
        for point in points:
            dims = point["dimensions"]
            key = (_bucket_of(point), dims[dimensions[0]], dims[dimensions[1]])
            counts[key] += int(point["values"][str(_COUNT)])
        return counts

    async def _trace_metrics(
        self,
        view: MetricViewType,
        metric: str,
        dimensions: list[str],
        filters: list[str],
        start_ms: int,
        end_ms: int,
        interval_seconds: int,
    ) -> list[dict[str, Any]]:
        """Every data point of one QueryTraceMetrics query, following its pages."""
        request = QueryTraceMetrics(
            experiment_ids=[self.experiment_id],
            view_type=view.to_proto(),  # type: ignore[arg-type]  # mlflow returns the enum as a plain int
            metric_name=metric,
            aggregations=[_COUNT.to_proto()],
            dimensions=dimensions,
            filters=filters,
            start_time_ms=start_ms,
            end_time_ms=end_ms - 1,  # MLflow's end is inclusive
            max_results=TRACE_METRICS_PAGE_SIZE,
        )
        if interval_seconds:
            request.time_interval_seconds = interval_seconds
        points: list[dict[str, Any]] = []
        while True:
            body = message_to_json(request)
            try:
                response = await self.http.post(
                    TRACE_METRICS_PATH,
                    content=body,
                    headers={"content-type": "application/json"},
                    timeout=self.analytics_timeout_seconds,  # one SQL aggregation over the whole range
                )
            except httpx.HTTPError as error:
                raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
            if response.status_code != 200:
                raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(response.text)}")
            answer = response.json()
            points.extend(answer.get("data_points", []))
            if not answer.get("next_page_token"):
                return points
            request.page_token = answer["next_page_token"]

    @staticmethod
    def trace_search_filter(start_ms: int, end_ms: int, tags: dict[str, str], user_id: str, session_id: str) -> str:
        """A search_traces filter for the same selection as trace_filters, with the time range."""
        clauses = [f"trace.timestamp_ms >= {start_ms}", f"trace.timestamp_ms < {end_ms}"]
        clauses += [f"tags.`{key}` = '{value}'" for key, value in sorted(tags.items())]
        if user_id:
            clauses.append(f"metadata.`{TraceMetadataKey.TRACE_USER}` = '{user_id}'")
        if session_id:
            clauses.append(f"metadata.`{TraceMetadataKey.TRACE_SESSION}` = '{session_id}'")
        return " AND ".join(clauses)

    async def scan_traces(
        self, start_ms: int, end_ms: int, tags: dict[str, str], user_id: str, session_id: str
    ) -> AsyncIterator[ScannedTrace]:
        """The trace infos started in [start_ms, end_ms) with these tags, user and session (no
        spans), oldest first, a page at a time.

        One async POST of MLflow's SearchTracesV3 per page, its JSON answer read as is: ten times
        faster than MLflow's client, which turns every trace and assessment into protobuf and then
        entity objects. Each page starts at the last page's newest start time rather than at
        MLflow's page token (an OFFSET, which makes every page slower than the one before).
        """
        seen_at_start: set[str] = set()  # traces of the page boundary's millisecond already sent
        page_token = ""
        while True:
            request = SearchTracesV3(
                locations=[TraceLocation.from_experiment_id(self.experiment_id).to_proto()],
                filter=self.trace_search_filter(start_ms, end_ms, tags, user_id, session_id),
                max_results=TRACE_SCAN_PAGE_SIZE,
                order_by=["timestamp_ms ASC"],
                page_token=page_token,
            )
            answer = await self._search_page(request)
            page = [_scanned(info) for info in answer.get("traces", [])]
            for trace in page:
                if trace.timestamp_ms == start_ms and trace.trace_id in seen_at_start:
                    continue
                yield trace
            if not answer.get("next_page_token") or not page:
                return
            newest = page[-1].timestamp_ms
            at_newest = {trace.trace_id for trace in page if trace.timestamp_ms == newest}
            if newest > start_ms:
                start_ms, seen_at_start, page_token = newest, at_newest, ""
            else:  # a whole page started in one millisecond: page on within it with MLflow's token
                seen_at_start |= at_newest
                page_token = answer["next_page_token"]

    async def _search_page(self, request: SearchTracesV3) -> dict[str, Any]:
        try:
            response = await self.http.post(
                TRACE_SEARCH_PATH,
                content=message_to_json(request),
                headers={"content-type": "application/json"},
                timeout=self.analytics_timeout_seconds,
            )
        except httpx.HTTPError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(response.text)}")
        answer: dict[str, Any] = response.json()
        return answer

    async def export_traces(self, body: bytes) -> None:
        """POST an OTLP batch to MLflow's trace endpoint.

        Raises ExportRejected when MLflow refuses the content (400, 413), ExportTimedOut when it
        did not answer in time (it may still store the batch), MlflowUnavailable otherwise.
        """
        try:
            response = await self.http.post(OTLP_TRACES_PATH, content=body, headers=self._otlp_headers)
        except httpx.TimeoutException as error:
            raise ExportTimedOut(f"MLflow did not answer in time: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
        if response.status_code in (400, 413):
            raise ExportRejected(f"HTTP {response.status_code}: {_short(response.text)}")
        if response.status_code != 200:
            raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(response.text)}")
        try:
            partial = ExportTraceServiceResponse.FromString(response.content).partial_success
        except DecodeError:
            partial = None  # not an OTLP body (an empty one, say): MLflow took the whole batch
        if partial and partial.rejected_spans:
            raise ExportPartlyRejected(partial.rejected_spans, _short(partial.error_message))

    async def existing_traces(self, trace_ids: list[str]) -> set[str]:
        """Which of these traces MLflow has: one call for up to a hundred of them."""
        return set(await self.trace_infos(trace_ids))

    async def trace_infos(self, trace_ids: list[str]) -> dict[str, TraceInfo]:
        """The infos (tags and assessments included) of those of these traces MLflow has, one call
        for up to a hundred of them."""
        found: dict[str, TraceInfo] = {}
        for start in range(0, len(trace_ids), 100):
            try:
                response = await self.http.post(
                    f"{_V3_TRACE_REST_API_PATH_PREFIX}/batchGetInfos",
                    json={"trace_ids": trace_ids[start : start + 100]},
                )
            except httpx.HTTPError as error:
                raise MlflowUnavailable(f"MLflow is unreachable: {type(error).__name__}: {error}") from error
            if response.status_code != 200:
                raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(response.text)}")
            answer = BatchGetTraceInfos.Response()
            parse_dict(response.json(), answer)  # type: ignore[no-untyped-call]  # mlflow is untyped
            found.update((info.trace_id, TraceInfo.from_proto(info)) for info in answer.trace_infos)
        return found

    async def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        await self._guarded(self._client.set_trace_tag, trace_id, key, value)

    async def search_trace_infos(
        self, start_ms: int | None, end_ms: int | None, page_token: str | None, max_results: int
    ) -> tuple[list[TraceInfo], str | None]:
        """One page of the experiment's traces (infos with tags and assessments), oldest first."""
        bounds = []
        if start_ms is not None:
            bounds.append(f"trace.timestamp_ms >= {start_ms}")
        if end_ms is not None:
            bounds.append(f"trace.timestamp_ms < {end_ms}")
        infos, token = await self._guarded(
            self._client.store.search_traces,
            locations=[self.experiment_id],
            filter_string=" AND ".join(bounds) or None,
            max_results=max_results,
            order_by=["timestamp_ms ASC"],
            page_token=page_token,
        )
        return infos, token

    async def close(self) -> None:
        await self.http.aclose()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _scanned(info: dict[str, Any]) -> ScannedTrace:
    """A trace info as MLflow's REST API writes it (TraceInfoV3 in JSON)."""
    trace_id = info["trace_id"]
    feedback = []
    for assessment in info.get("assessments", []):
        given = assessment.get("feedback")
        if given is None or "error" in given:  # an expectation, or a judge's failure
            continue
        source = assessment.get("source", {})
        feedback.append(
            StoredFeedback(
                assessment_id=assessment["assessment_id"],
                trace_id=trace_id,
                name=assessment["assessment_name"],
                value=given.get("value"),
                source_type=source.get("source_type", ""),
                source_id=source.get("source_id"),
                rationale=assessment.get("rationale"),
                create_time_ms=_milliseconds(assessment.get("create_time")),
                metadata=assessment.get("metadata", {}),
                valid=assessment.get("valid", True),
                overrides=assessment.get("overrides"),
                span_id=assessment.get("span_id"),
            )
        )
    feedback.sort(key=lambda f: (f.create_time_ms, f.assessment_id))
    metadata = info.get("trace_metadata", {})
    return ScannedTrace(
        trace_id=trace_id,
        timestamp_ms=_milliseconds(info.get("request_time")),
        user_id=metadata.get(TraceMetadataKey.TRACE_USER),
        session_id=metadata.get(TraceMetadataKey.TRACE_SESSION),
        tags=info.get("tags", {}),
        request_preview=info.get("request_preview", ""),
        response_preview=info.get("response_preview", ""),
        feedback=feedback,
    )


def _milliseconds(rfc3339: str | None) -> int:
    """A protobuf Timestamp's JSON form (RFC 3339, 0 to 9 fractional digits) as epoch milliseconds."""
    if not rfc3339:
        return 0
    stamp = Timestamp()
    stamp.FromJsonString(rfc3339)
    return stamp.ToMilliseconds()


def _bucket_of(point: dict[str, Any]) -> int | None:
    """A data point's time bucket as epoch milliseconds (MLflow sends it as ISO 8601 text)."""
    bucket = point.get("dimensions", {}).get("time_bucket")  # MLflow's label (not in mlflow-tracing)
    return None if bucket is None else int(datetime.fromisoformat(bucket).timestamp() * 1000)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
