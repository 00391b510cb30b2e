"""The trace exporter: journaled chats go to MLflow in batches; each leaves the journal only once
MLflow has confirmed it.

One POST is in flight at a time: under load, traces that finish meanwhile form the next batch,
so batches grow with load (up to a count and a size in bytes) and stay small when it is light.
It cannot wedge or die silently:
- a batch MLflow does not answer in time is split and its halves sent on (MLflow may have stored
  it; sending a trace again stores the same trace), never resent whole forever;
- only HTTP 400/413 mean "this content is bad": the batch is split until the bad trace is alone,
  and that one is dropped from the journal with an error naming it; every other failure (401,
  403, 404, 422, 5xx, no connection) is retried with backoff and reported;
- the delivery task is supervised: a crash is logged and the task restarted, and health reads
  NOT_SERVING until it runs again.

Each trace's progress (journaled, stored, rejected) is published to the in-flight registry
(domain/inflight.py), which feedback listens to.
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from genaifeedback.service.domain.errors import JournalUnavailable, MlflowUnavailable, TraceBacklogFull
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.retry import Backoff
from genaifeedback.service.egress.mlflow.export import ExportPartlyRejected, ExportRejected, ExportTimedOut
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.otlp import export_request
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import Journal, JournaledTrace

logger = logging.getLogger(__name__)


@dataclass
class ExportSettings:
    batch_max_traces: int = 200
    batch_max_bytes: int = 4 * 1024 * 1024
    max_pending: int = 20_000


class TraceExporter:
    def __init__(
        self,
        gateway: MlflowGateway,
        journal: Journal,
        inflight: InflightTraces,
        settings: ExportSettings,
        metrics: Metrics,
    ):
        self._gateway = gateway
        self._journal = journal
        self._inflight = inflight  # told each trace's progress; feedback listens there
        self._settings = settings
        self._metrics = metrics
        self._queue: deque[JournaledTrace] = deque()
        self._unremoved: list[str] = []  # settled, not yet removed from the journal (it was out of reach)
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.healthy = True
        self.on_health_change: Callable[[bool], None] = lambda healthy: None

    def start(self, replayed: list[JournaledTrace]) -> None:
        """Start delivering, beginning with what the journal kept from an earlier run."""
        for trace in replayed:
            self._enqueue(trace)
        if replayed:
            logger.info("replaying %d journaled traces not yet confirmed by MLflow", len(replayed))
        self._task = asyncio.create_task(self._supervise(), name="trace-exporter")

    def adopt(self, traces: list[JournaledTrace]) -> None:
        """Deliver traces taken over from another replica (their lease ended)."""
        for trace in traces:
            if not self._inflight.awaiting_export(trace.trace_id):  # not one this replica holds already
                self._enqueue(trace)

    # --- the chat side

    def ensure_capacity(self) -> None:
        if not self._journal.available:  # its trace could not be journaled at the end: refuse it now
            raise JournalUnavailable("the journal (PostgreSQL) cannot be reached; retry later")
        if self._inflight.open >= self._settings.max_pending:
            raise TraceBacklogFull(
                f"{self._inflight.unstored} traces are waiting to be stored in MLflow (slow or down); retry later"
            )

    async def submit(self, trace: JournaledTrace) -> None:
        """Journal a finished chat's trace (returns once durable), then queue it for MLflow.

        Cancelling the caller does not undo it: once journaled, the trace is queued regardless.
        """
        durable = asyncio.ensure_future(self._journal.add_trace(trace))
        durable.add_done_callback(lambda done: self._after_journal(trace, done))
        await asyncio.shield(durable)

    def _after_journal(self, trace: JournaledTrace, durable: asyncio.Future[None]) -> None:
        if durable.cancelled() or durable.exception() is not None:
            logger.error("trace %s could not be journaled and is not stored: %r", trace.trace_id, durable.exception())
            self._inflight.abandoned(trace.trace_id)
            return
        self._enqueue(trace)

    def _enqueue(self, trace: JournaledTrace) -> None:
        self._queue.append(trace)
        self._inflight.journaled(trace.trace_id, trace.client_request_id)
        self._idle.clear()
        self._wakeup.set()
        self._metrics.exporter_backlog.set(self._inflight.unstored)

    # --- delivery

    async def _supervise(self) -> None:
        backoff = Backoff(initial=0.5, maximum=10.0)
        while True:
            try:
                await self._run()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("the trace exporter crashed; restarting it")
                self._metrics.exporter_restarts.inc()
                self._set_health(False)
                await asyncio.sleep(backoff.next())

    def _set_health(self, healthy: bool) -> None:
        if healthy != self.healthy:
            self.healthy = healthy
            self.on_health_change(healthy)

    async def _run(self) -> None:
        self._set_health(True)
        while True:
            if not self._queue:
                self._idle.set()
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            batch = self._take_batch()
            try:
                await self._deliver(batch)
            except BaseException:
                self._queue.extendleft(reversed(batch))  # nothing is lost if delivery itself breaks
                raise

    def _take_batch(self) -> list[JournaledTrace]:
        batch: list[JournaledTrace] = []
        size = 0
        while self._queue and len(batch) < self._settings.batch_max_traces:
            span_size = len(self._queue[0].span)
            if batch and size + span_size > self._settings.batch_max_bytes:
                break
            batch.append(self._queue.popleft())
            size += span_size
        return batch

    async def _deliver(self, batch: list[JournaledTrace]) -> None:
        """Store a batch in MLflow; return only when each trace is stored or rejected."""
        backoff = Backoff(initial=0.1, maximum=5.0)
        last_warning = 0.0
        while True:
            started = time.monotonic()
            try:
                await self._gateway.export_traces(export_request([t.span for t in batch]))
            except (ExportRejected, ExportPartlyRejected) as error:
                if len(batch) == 1:
                    await self._reject(batch[0], str(error))
                    return
                await self._deliver_halves(batch)  # MLflow refuses a whole batch for one bad trace
                return
            except ExportTimedOut as error:
                self._metrics.mlflow_errors.labels(call="export", kind="timeout").inc()
                if len(batch) > 1:
                    logger.warning("MLflow took too long for %d traces (%s); sending them in halves", len(batch), error)
                    await self._deliver_halves(batch)
                    return
                problem = str(error)
            except MlflowUnavailable as error:
                self._metrics.mlflow_errors.labels(call="export", kind="unavailable").inc()
                problem = str(error)
            else:
                self._metrics.export_batch_seconds.observe(time.monotonic() - started)
                self._metrics.export_batch_traces.observe(len(batch))
                await self._stored(batch)
                return
            if time.monotonic() - last_warning > 10:
                last_warning = time.monotonic()
                logger.warning(
                    "cannot store %d traces in MLflow yet (%s); %d waiting; retrying",
                    len(batch),
                    problem,
                    self._inflight.unstored,
                )
            await asyncio.sleep(backoff.next())

    async def _deliver_halves(self, batch: list[JournaledTrace]) -> None:
        middle = len(batch) // 2
        await self._deliver(batch[:middle])
        await self._deliver(batch[middle:])

    async def _stored(self, batch: list[JournaledTrace]) -> None:
        trace_ids = [t.trace_id for t in batch]
        await self._forget(trace_ids)
        self._settle(trace_ids)

    async def _reject(self, trace: JournaledTrace, problem: str) -> None:
        logger.error("MLflow rejected trace %s, which is not stored: %s", trace.trace_id, problem)
        self._metrics.traces_rejected.inc()
        await self._forget([trace.trace_id])
        self._settle([trace.trace_id], stored=False)

    async def _forget(self, trace_ids: list[str]) -> None:
        """Remove settled traces from the journal. While a shared journal is out of reach, they are
        removed with the next batch instead: until then one may only be sent again, and stored once."""
        self._unremoved.extend(trace_ids)
        try:
            await self._journal.remove_traces(self._unremoved)
        except JournalUnavailable as error:
            logger.warning("%d stored traces stay journaled for now: %s", len(self._unremoved), error)
            return
        self._unremoved.clear()

    def _settle(self, trace_ids: list[str], stored: bool = True) -> None:
        self._inflight.settled(trace_ids, stored)
        self._metrics.exporter_backlog.set(self._inflight.unstored)
        if stored:
            self._metrics.traces_stored.inc(len(trace_ids))

    async def close(self, timeout_seconds: float) -> None:
        """Store what is queued, for up to timeout_seconds; what is left stays journaled."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout_seconds)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight.unstored:
            logger.warning(
                "%d traces are not stored in MLflow yet; they stay journaled and are sent at the next start",
                self._inflight.unstored,
            )
