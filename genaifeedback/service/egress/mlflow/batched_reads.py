"""Trace reads batched across callers: one MLflow call at a time, the reads asked for meanwhile go together."""

import asyncio
import time

from mlflow.entities import TraceInfo

from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.metrics import Metrics


class BatchedReads:
    """Trace reads for all the rounds in flight, one MLflow call at a time: the reads asked for
    while one call runs go together in the next (as a journal's group commit does for writes)."""

    def __init__(self, gateway: MlflowGateway, metrics: Metrics):
        self._gateway = gateway
        self._metrics = metrics
        self._waiting: list[tuple[list[str], asyncio.Future[dict[str, TraceInfo]]]] = []
        self._reader: asyncio.Task[None] | None = None

    async def read(self, trace_ids: list[str]) -> dict[str, TraceInfo]:
        answer: asyncio.Future[dict[str, TraceInfo]] = asyncio.get_running_loop().create_future()
        self._waiting.append((trace_ids, answer))
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_all())
        return await answer

    async def _read_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                started = time.monotonic()
                trace_ids = sorted({t for ids, _ in batch for t in ids})
                self._metrics.feedback_traces_read.inc(len(trace_ids))
                try:
                    infos = await self._gateway.trace_infos(trace_ids)
                except Exception as error:  # noqa: BLE001 - handed to every caller of this batch
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(error)
                    continue
                finally:
                    self._metrics.mlflow_call_seconds.labels(call="trace_infos").observe(time.monotonic() - started)
                for ids, answer in batch:
                    if not answer.done():
                        answer.set_result({t: infos[t] for t in ids if t in infos})
        finally:
            self._reader = None
