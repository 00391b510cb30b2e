"""MlflowGateway: every call the service makes to MLflow, for one experiment, over one HTTP core.

Nothing process-wide is written (no environment variables, no MLflow tracking URI or active
experiment): the tracking URI, credentials, timeouts and experiment are this object's own, so two
gateways in one process stay apart.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable

from mlflow.entities import Assessment, TraceInfo
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.domain.records import FeedbackWrite, ScannedTrace
from genaifeedback.service.egress.mlflow import assessments, export, lookups, reservations, trace_metrics, trace_scan
from genaifeedback.service.egress.mlflow.http import MlflowHttp
from genaifeedback.service.egress.mlflow.selection import TraceSelection

logger = logging.getLogger(__name__)


class MlflowGateway:
    def __init__(
        self,
        credentials: MlflowHostCreds,
        experiment_name: str,
        timeout_seconds: float,
        max_concurrent_calls: int,
        analytics_timeout_seconds: float = 120.0,
    ):
        """`credentials` holds the tracking URI (`host`) and how to authenticate to it."""
        self.tracking_uri = credentials.host
        self.experiment_name = experiment_name
        self.experiment_id = ""  # known once connected
        self.analytics_timeout_seconds = analytics_timeout_seconds  # for calls that read a whole range
        self._http = MlflowHttp(credentials, timeout_seconds, max_concurrent_calls)

    async def connect(self, timeout_seconds: float) -> str:
        """Get or create the experiment, waiting for the tracking server to come up."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                self.experiment_id = await lookups.experiment_id(self._http, self.experiment_name)
                return self.experiment_id
            except MlflowUnavailable as error:
                if time.monotonic() > deadline:
                    raise MlflowUnavailable(f"MLflow at {self.tracking_uri} is unreachable: {error}") from error
                logger.info("waiting for MLflow at %s (%s)", self.tracking_uri, error.message)
                await asyncio.sleep(0.5)  # a retry interval, while the server starts

    async def close(self) -> None:
        await self._http.close()

    # --- feedback

    async def create_feedback(self, write: FeedbackWrite) -> None:
        await assessments.create_feedback(self._http, write)

    async def get_feedback(self, trace_id: str, assessment_id: str) -> Assessment | None:
        return await assessments.get_feedback(self._http, trace_id, assessment_id)

    async def delete_feedback(self, trace_id: str, assessment_id: str) -> None:
        await assessments.delete_feedback(self._http, trace_id, assessment_id)

    async def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        await assessments.set_trace_tag(self._http, trace_id, key, value)

    async def delete_trace_tag(self, trace_id: str, key: str) -> None:
        await assessments.delete_trace_tag(self._http, trace_id, key)

    async def reserve_deleted_id(self, trace_id: str, assessment_id: str) -> None:
        """Make MLflow refuse every later create of this deleted feedback's id (reservations.py); a
        copy a racing delivery wrote after the delete is deleted again."""
        await reservations.reserve(self._http, self.experiment_name, self.experiment_id, trace_id, assessment_id)

    async def is_reserved(self, assessment_id: str) -> bool:
        """Whether the id is a deleted feedback's, reserved."""
        return await reservations.is_reserved(self._http, self.experiment_id, assessment_id)

    # --- lookups

    async def trace_infos(self, trace_ids: list[str]) -> dict[str, TraceInfo]:
        """The infos (tags and assessments included) of those of these traces MLflow has, one call
        per hundred of them."""
        return await lookups.trace_infos(self._http, trace_ids)

    async def existing_traces(self, trace_ids: list[str]) -> set[str]:
        """Which of these traces MLflow has: one call per hundred of them."""
        return set(await lookups.trace_infos(self._http, trace_ids))

    async def find_trace_by_client_request_id(self, client_request_id: str) -> str | None:
        return await lookups.find_trace_by_client_request_id(self._http, self.experiment_id, client_request_id)

    # --- walks and aggregation over the experiment's traces

    async def scan_traces(self, selection: TraceSelection) -> AsyncIterator[ScannedTrace]:
        """The selected traces (no spans) as the analytics read them, oldest first."""
        async for info in trace_scan.walk(self._http, self.experiment_id, selection, self.analytics_timeout_seconds):
            yield trace_scan.scanned(info)

    async def scan_trace_infos(
        self, selection: TraceSelection, wanted: Callable[[ScannedTrace], bool]
    ) -> AsyncIterator[tuple[ScannedTrace, TraceInfo | None]]:
        """The selected traces as scan_traces reads them, oldest first, each with its full info
        (MLflow's entity: tags and assessments, no spans) when `wanted`, else None. Building the
        entity costs several times reading the JSON: walks over every trace build few."""
        async for info in trace_scan.walk(self._http, self.experiment_id, selection, self.analytics_timeout_seconds):
            trace = trace_scan.scanned(info)
            yield trace, trace_scan.trace_info(info) if wanted(trace) else None

    async def count_traces(self, selection: TraceSelection, interval_seconds: int) -> Counter[int | None]:
        """The selected traces, counted by MLflow, per bucket start (None: no buckets)."""
        return await trace_metrics.count_traces(
            self._http, self.experiment_id, selection, interval_seconds, self.analytics_timeout_seconds
        )

    async def count_feedback_votes(
        self, selection: TraceSelection, interval_seconds: int
    ) -> Counter[tuple[int | None, str, str]]:
        """Current feedback votes on the selected traces, counted by MLflow, per (bucket start,
        name, value as JSON)."""
        return await trace_metrics.count_feedback_votes(
            self._http, self.experiment_id, selection, interval_seconds, self.analytics_timeout_seconds
        )

    # --- traces

    async def export_traces(self, body: bytes) -> None:
        """POST an OTLP batch into the experiment (see export.export_traces for what it raises)."""
        await export.export_traces(self._http, self.experiment_id, body)
