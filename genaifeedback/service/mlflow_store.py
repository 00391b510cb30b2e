"""Every call to MLflow lives here: storing chat traces, writing feedback, finding traces.

Traces go to the tracking server's OTLP endpoint (`POST /v1/traces`) as complete traces in
batches. Measured in DESIGN.md, that stores several times more traces per second than MLflow's
own exporter, and each trace is readable (and takes feedback) the moment the POST returns, which
is what lets feedback sent right after a chat land. The exporter never drops a trace silently: it
retries until MLflow takes it; only a trace MLflow rejects outright, or one still unsent when
shutdown's grace runs out, is given up, with an error log naming it.

Feedback is written with one async POST of MLflow's own CreateAssessment message: MLflow's
synchronous client spends ~3.3 ms of CPU per call (it re-resolves request-header providers on
every call), more than the whole feedback path may add. The rarer reads (a retried write's
check, client request id search, experiment set-up) use the `mlflow-tracing` client in a thread
pool, with its own retries off: retrying is the feedback layer's decision (see feedback.py).
Both honour MLflow's usual credentials (MLFLOW_TRACKING_TOKEN, _USERNAME/_PASSWORD, TLS settings).
"""

import asyncio
import logging
import os
import ssl
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import mlflow
from mlflow.entities import AssessmentSource, Feedback
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import CreateAssessment
from mlflow.tracing.client import TracingClient
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.proto_json_utils import message_to_json
from mlflow.utils.rest_utils import _V3_TRACE_REST_API_PATH_PREFIX
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from genaifeedback.service.chat import ChatRecord
from genaifeedback.service.errors import (
    FieldViolation,
    InvalidRequest,
    MlflowRejected,
    MlflowUnavailable,
    TraceBacklogFull,
    TraceNotFound,
    TraceNotStoredYet,
)
from genaifeedback.service.ids import otel_bytes

logger = logging.getLogger(__name__)

SERVICE_NAME = "mlflow-feedback-service"
OTLP_TRACES_PATH = "/v1/traces"
# Trace tags the service writes itself; callers' tags may not use these keys.
CLIENT_REQUEST_ID_TAG = "client_request_id"
OUTCOME_TAG = "chat.outcome"
RESERVED_TAGS = frozenset({CLIENT_REQUEST_ID_TAG, OUTCOME_TAG, "chat.finish_reason"})
_REMEMBERED_CLIENT_REQUEST_IDS = 100_000


@dataclass(frozen=True)
class FeedbackWrite:
    """One assessment to create, exactly as MLflow will store it."""

    trace_id: str
    assessment_id: str
    name: str
    value: Any
    source_type: str  # HUMAN, LLM_JUDGE or CODE
    source_id: str | None
    rationale: str | None
    metadata: dict[str, str]
    span_id: str | None

    def matches(self, stored: Feedback) -> bool:
        """Whether an assessment already stored under this id records this same feedback."""
        return (
            stored.name == self.name
            and _same_value(stored.value, self.value)
            and stored.source.source_type == self.source_type
            and (self.source_id is None or stored.source.source_id == self.source_id)
            and (stored.rationale or None) == self.rationale
            and (stored.metadata or {}) == self.metadata
            and (stored.span_id or None) == self.span_id
        )


def _same_value(stored: Any, sent: Any) -> bool:
    # MLflow keeps values as JSON numbers (4 comes back as 4.0), but True must not match 1.
    return stored == sent and isinstance(stored, bool) == isinstance(sent, bool)


def _configure_mlflow_client(tracking_uri: str, timeout_seconds: int, pool_size: int) -> None:
    # mlflow-tracing reads its HTTP settings from the environment at call time.
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(timeout_seconds)
    os.environ["MLFLOW_HTTP_POOL_MAXSIZE"] = str(pool_size)
    mlflow.set_tracking_uri(tracking_uri)


def _http_client(tracking_uri: str, timeout_seconds: float, max_connections: int) -> httpx.AsyncClient:
    """An async HTTP client for the tracking server, with the credentials MLflow's client would use."""
    creds = get_default_host_creds(tracking_uri)
    verify: ssl.SSLContext | bool = not creds.ignore_tls_verification
    if verify and creds.server_cert_path:
        verify = ssl.create_default_context(cafile=creds.server_cert_path)
    return httpx.AsyncClient(
        base_url=tracking_uri,
        timeout=timeout_seconds,
        # Idle connections are dropped before the server's own keep-alive timeout (uvicorn: 5 s)
        # would close them under a request in flight.
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=2.0),
        auth=httpx.BasicAuth(creds.username, creds.password) if creds.username and creds.password else None,
        headers={"authorization": f"Bearer {creds.token}"} if creds.token else None,
        verify=verify,
        cert=creds.client_cert_path,
    )


class MlflowStore:
    """Feedback writes and trace lookups against one MLflow experiment."""

    def __init__(self, tracking_uri: str, experiment_name: str, timeout_seconds: int, max_concurrent_calls: int):
        _configure_mlflow_client(tracking_uri, timeout_seconds, max_concurrent_calls)
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.experiment_id = ""
        self.http = _http_client(tracking_uri, timeout_seconds, max_concurrent_calls)
        self._client = TracingClient(tracking_uri)
        self._pool = ThreadPoolExecutor(max_concurrent_calls, thread_name_prefix="mlflow")

    async def _call(self, function, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: function(*args, **kwargs))

    async def connect(self, timeout_seconds: float) -> str:
        """Get or create the experiment, waiting for the tracking server to come up."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                experiment = await self._call(mlflow.set_experiment, self.experiment_name)
                self.experiment_id = experiment.experiment_id
                return self.experiment_id
            except Exception as error:  # noqa: BLE001 - any failure here means "not up yet"
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
        body = message_to_json(CreateAssessment(assessment=feedback.to_proto()))
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
            error = response.json()
            error_code, message = error.get("error_code"), error.get("message", "")
        except (ValueError, AttributeError):  # not MLflow's JSON error body (a proxy's page, say)
            error_code, message = None, response.text
        if error_code == "RESOURCE_DOES_NOT_EXIST":
            raise TraceNotFound(f"trace {write.trace_id} not found", trace_id=write.trace_id)
        if error_code == "INVALID_PARAMETER_VALUE":
            # Validation should have caught it: still the caller's input, so INVALID_ARGUMENT.
            raise InvalidRequest([FieldViolation("", f"MLflow refused the feedback: {_short(message)}", "REFUSED_BY_MLFLOW")])
        raise MlflowUnavailable(f"MLflow answered HTTP {response.status_code}: {_short(message)}")

    async def get_feedback(self, trace_id: str, assessment_id: str) -> Feedback | None:
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

    async def _guarded(self, function, *args, **kwargs):
        try:
            return await self._call(function, *args, **kwargs)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise TraceNotFound(_short(str(error.message))) from error
            raise MlflowUnavailable(f"MLflow call failed: {_short(error.message)}") from error
        except OSError as error:
            raise MlflowUnavailable(f"MLflow is unreachable: {error}") from error

    def trace_exporter(self, batch_size: int, max_pending: int) -> "TraceExporter":
        return TraceExporter(self.http, self.experiment_id, batch_size, max_pending)

    async def close(self) -> None:
        await self.http.aclose()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class TraceRejected(Exception):
    """MLflow refused to store a trace (the OTLP endpoint answered 4xx for it alone)."""


class TraceExporter:
    """Stores finished chats in MLflow as traces, in batches, and tells who waits when each lands.

    One POST is in flight at a time: under load, traces that finish meanwhile form the next
    batch, so batches grow with load and stay small (fast) when it is light.
    """

    def __init__(self, http: httpx.AsyncClient, experiment_id: str, batch_size: int, max_pending: int):
        self._http = http
        self._headers = {"content-type": "application/x-protobuf", "x-mlflow-experiment-id": experiment_id}
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._queue: deque[ChatRecord] = deque()
        self._queued: set[str] = set()  # finished chats whose traces are not stored yet
        self._landing: dict[str, asyncio.Future] = {}  # trace id -> done when stored in MLflow
        self._trace_by_client_request_id: OrderedDict[str, str] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self._last_warning = 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="trace-exporter")

    # --- the chat side

    def ensure_capacity(self) -> None:
        if len(self._landing) >= self._max_pending:
            raise TraceBacklogFull(
                f"{len(self._landing)} traces are waiting to be stored in MLflow (slow or down); retry later"
            )

    def expect(self, trace_id: str, client_request_id: str) -> None:
        self._landing[trace_id] = asyncio.get_running_loop().create_future()
        if client_request_id:
            self._trace_by_client_request_id[client_request_id] = trace_id
            self._trace_by_client_request_id.move_to_end(client_request_id)
            if len(self._trace_by_client_request_id) > _REMEMBERED_CLIENT_REQUEST_IDS:
                self._trace_by_client_request_id.popitem(last=False)

    def submit(self, record: ChatRecord) -> None:
        self._queue.append(record)
        self._queued.add(record.trace_id)
        self._idle.clear()
        self._wakeup.set()

    # --- the feedback side

    def trace_id_for(self, client_request_id: str) -> str | None:
        return self._trace_by_client_request_id.get(client_request_id)

    async def wait_stored(self, trace_id: str, timeout_seconds: float, chat_timeout_seconds: float) -> None:
        """Return once a trace this replica is producing is in MLflow (at once for any other).

        A chat still streaming may take up to chat_timeout_seconds to finish; once finished, its
        trace gets timeout_seconds to reach MLflow before the caller is told to retry later.
        """
        landing = self._landing.get(trace_id)
        if landing is None:
            return
        still_streaming = trace_id not in self._queued
        try:
            await asyncio.wait_for(asyncio.shield(landing), chat_timeout_seconds if still_streaming else timeout_seconds)
        except TimeoutError as error:
            raise TraceNotStoredYet(
                f"trace {trace_id} is not stored in MLflow yet (MLflow slow or down); retry later", trace_id=trace_id
            ) from error
        except TraceRejected as error:
            raise MlflowRejected(f"trace {trace_id} could not be stored in MLflow: {error}", trace_id=trace_id) from error

    # --- delivery

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
                await self._deliver(batch)
            self._idle.set()

    async def _deliver(self, batch: list[ChatRecord]) -> None:
        delay = 0.1
        while True:
            try:
                response = await self._http.post(OTLP_TRACES_PATH, content=encode_traces(batch), headers=self._headers)
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code == 200:
                    self._settle(batch)
                    return
                problem = f"HTTP {response.status_code}: {_short(response.text)}"
                if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                    # MLflow rejects a whole batch for one bad trace: split to store all the others.
                    if len(batch) > 1:
                        middle = len(batch) // 2
                        await self._deliver(batch[:middle])
                        await self._deliver(batch[middle:])
                        return
                    logger.error("MLflow rejected trace %s, which is not stored: %s", batch[0].trace_id, problem)
                    self._settle(batch, TraceRejected(problem))
                    return
            if time.monotonic() - self._last_warning > 10:
                self._last_warning = time.monotonic()
                logger.warning(
                    "cannot store %d traces in MLflow yet (%s); %d waiting; retrying",
                    len(batch), problem, len(self._landing),
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _settle(self, batch: list[ChatRecord], error: Exception | None = None) -> None:
        for record in batch:
            self._queued.discard(record.trace_id)
            landing = self._landing.pop(record.trace_id, None)
            if landing is not None and not landing.done():
                if error is None:
                    landing.set_result(None)
                else:
                    landing.set_exception(error)
                    landing.exception()  # retrieved: nobody may be waiting for it

    async def close(self, timeout_seconds: float) -> None:
        """Store what is queued, for up to timeout_seconds; name every trace left unstored."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_seconds)
        except TimeoutError:
            pass
        if self._task:
            self._task.cancel()
        lost = list(self._landing)
        if lost:
            logger.error("shutting down with %d traces not stored in MLflow: %s", len(lost), ", ".join(lost))


# --- the mapping of a chat onto an MLflow trace (OTLP span attributes MLflow understands)


def encode_traces(records: list[ChatRecord]) -> bytes:
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[_key_value("service.name", SERVICE_NAME)]),
                scope_spans=[ScopeSpans(scope=InstrumentationScope(name="service.chat"), spans=[_root_span(r) for r in records])],
            )
        ]
    )
    return request.SerializeToString()


def _root_span(record: ChatRecord) -> Span:
    chat = record.chat
    inputs: dict[str, Any] = {"messages": chat.messages()}
    if chat.max_tokens is not None:
        inputs["max_tokens"] = chat.max_tokens
    if chat.temperature is not None:
        inputs["temperature"] = chat.temperature
    attributes: dict[str, Any] = {
        "mlflow.spanType": "CHAT_MODEL",
        "mlflow.spanInputs": inputs,
        "mlflow.spanOutputs": record.answer,
        "mlflow.llm.model": record.model,
        "mlflow.traceTag.mlflow.traceName": "chat",
        f"mlflow.traceTag.{OUTCOME_TAG}": record.outcome,
    }
    if record.finish_reason:
        attributes["mlflow.traceTag.chat.finish_reason"] = record.finish_reason
    if record.usage:
        attributes["mlflow.chat.tokenUsage"] = {
            "input_tokens": record.usage.input_tokens,
            "output_tokens": record.usage.output_tokens,
            "total_tokens": record.usage.total_tokens,
        }
    if record.first_token_ns is not None:
        attributes["chat.time_to_first_token_ms"] = (record.first_token_ns - record.start_ns) / 1e6
    if chat.user_id:
        attributes["user.id"] = chat.user_id  # becomes the trace's mlflow.trace.user
    if chat.session_id:
        attributes["session.id"] = chat.session_id  # becomes the trace's mlflow.trace.session
    if chat.client_request_id:
        attributes[f"mlflow.traceTag.{CLIENT_REQUEST_ID_TAG}"] = chat.client_request_id
    for key, value in chat.tags.items():
        attributes[f"mlflow.traceTag.{key}"] = value

    events = []
    if record.outcome == "ok":
        status = Status(code=Status.STATUS_CODE_OK)
    else:
        status = Status(code=Status.STATUS_CODE_ERROR, message=record.error)
        events.append(
            Span.Event(
                name="exception" if record.outcome == "error" else "cancelled",
                time_unix_nano=record.end_ns,
                attributes=[_key_value("exception.message", record.error)],
            )
        )
    return Span(
        trace_id=otel_bytes(record.trace_id),
        span_id=otel_bytes(record.span_id),
        name="chat",
        kind=Span.SPAN_KIND_SERVER,
        start_time_unix_nano=record.start_ns,
        end_time_unix_nano=record.end_ns,
        attributes=[_key_value(k, v) for k, v in attributes.items()],
        events=events,
        status=status,
    )


def _key_value(key: str, value: Any) -> KeyValue:
    return KeyValue(key=key, value=_any_value(value))


def _any_value(value: Any) -> AnyValue:
    # Structured values go as OTLP maps and lists, so MLflow stores them as JSON objects, not strings.
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, dict):
        return AnyValue(kvlist_value=KeyValueList(values=[_key_value(k, v) for k, v in value.items()]))
    if isinstance(value, list | tuple):
        return AnyValue(array_value=ArrayValue(values=[_any_value(v) for v in value]))
    return AnyValue(string_value=str(value))
