"""The attacher: owns the pending feedback units and decides when each is tried.

Units are indexed by id and by trace, and wait in a heap ordered by their next try, so a wake-up
takes only the units that are due, a batch of traces stored by the exporter finds only its own
units, and an erasure looks up one trace's: none of these costs grows with the number pending.
A round (delivery.py) runs on the due units; rounds overlap, so MLflow is never idle while one
waits for its read-back, but a trace is in one round at a time.
"""

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from genaifeedback.service.domain.errors import JournalUnavailable, MlflowRejected
from genaifeedback.service.domain.feedback import RESERVATION_UNIT_PREFIX, Target
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.retry import Backoff
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackState, FeedbackUnit, Journal

logger = logging.getLogger(__name__)

ROUND_SECONDS = 0.25  # how often pending feedback looks for its traces, at most
MAX_CONCURRENT_ROUNDS = 8
PRUNE_SECONDS = 60.0  # how often settled statuses past their retention are forgotten


@dataclass(eq=False)
class PendingUnit:
    unit: FeedbackUnit
    next_try: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=ROUND_SECONDS, maximum=5.0))
    settled: asyncio.Future[FeedbackState] | None = None
    busy: bool = False  # in a round now
    unverified_since: float | None = None  # written, its read-back put off (monotonic): see delivery.py
    entry: int = -1  # its current heap entry (earlier ones are stale)


Round = Callable[[list[PendingUnit]], Awaitable[None]]


class Attacher:
    def __init__(
        self, journal: Journal, metrics: Metrics, inflight: InflightTraces, status_retention_seconds: float = 86_400.0
    ):
        self._journal = journal
        self._metrics = metrics
        self._retention = status_retention_seconds
        self._next_prune = 0.0
        self._units: dict[str, PendingUnit] = {}
        self._by_trace: dict[str, dict[str, PendingUnit]] = {}  # "": client_request_id not resolved yet
        self._due: list[tuple[float, int, str]] = []  # (next try, entry, unit id)
        self._entries = itertools.count()
        self._held: dict[str, list[PendingUnit]] = {}  # due while their trace was in a round
        self._busy_traces: set[str] = set()
        # The units whose trace is known, oldest first (settled ones are dropped once they reach the
        # top): only those can be stuck, so the age alert and shutdown count them, never a mistyped
        # client_request_id.
        self._known: list[tuple[float, str]] = []
        self._known_count = 0
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()  # set while no unit with a known trace is pending
        self._drained.set()
        self._task: asyncio.Task[None] | None = None
        inflight.listen(self._traces_settled)

    def start(self, replayed: list[FeedbackUnit], run_round: Round) -> None:
        for unit in replayed:
            self.add(unit)
        if replayed:
            logger.info("replaying %d journaled feedback units not yet in MLflow", len(replayed))
        self._task = asyncio.create_task(self._attach_forever(run_round), name="feedback-attacher")

    async def close(self, timeout_seconds: float) -> None:
        """Attach what can be attached within timeout_seconds; the rest stays journaled."""
        self._wakeup.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout_seconds)
        if self._task:
            self._task.cancel()
        if self._units:
            logger.warning("%d feedback units are not in MLflow yet; they stay journaled", len(self._units))

    # --- the units

    def add(self, unit: FeedbackUnit) -> None:
        if unit.unit_id in self._units:  # taken over again after this replica's own lease lapsed
            return
        pending = PendingUnit(unit)
        self._units[unit.unit_id] = pending
        self._by_trace.setdefault(unit.trace_id, {})[unit.unit_id] = pending
        if unit.trace_id:
            self._now_known(pending)
        self.schedule(pending, 0.0)

    def get(self, unit_id: str) -> PendingUnit | None:
        return self._units.get(unit_id)

    def is_pending(self, pending: PendingUnit) -> bool:
        return self._units.get(pending.unit.unit_id) is pending

    async def pending_ids(self, trace_id: str, source_id: str = "", source_type: str = "") -> set[str]:
        """The ids of the feedback on its way to this trace (only this source's, if given), held here
        or, with a shared journal, by any replica."""
        units = [pending.unit for pending in self._by_trace.get(trace_id, {}).values()]
        units += await self._journal.pending_feedback_on(trace_id)
        return {
            write.assessment_id
            for unit in units
            for write in unit.writes
            if not source_id or (write.source_id == source_id and (not source_type or write.source_type == source_type))
        }

    async def traces_with_pending(self) -> set[str]:
        """The traces feedback is on its way to, held here or, with a shared journal, by any replica."""
        return set(self._by_trace) | await self._journal.traces_with_pending_feedback()

    async def settle_deleted(self, trace_id: str, assessment_ids: set[str]) -> None:
        """Settle as DELETED the units held here all of whose feedback was just deleted: they are
        never written (one whose write is in flight finds its id reserved, or the reservation deletes it)."""
        for pending in list(self._by_trace.get(trace_id, {}).values()):
            writes = pending.unit.writes
            if not pending.unit.unit_id.startswith(RESERVATION_UNIT_PREFIX) and all(
                w.assessment_id in assessment_ids for w in writes
            ):
                await self.settle(pending, "DELETED")

    async def resolve(self, pending: PendingUnit, trace_id: str) -> None:
        """A client_request_id unit's trace is found."""
        unit = pending.unit
        self._unindex(pending)
        unit.resolve(trace_id)
        self._by_trace.setdefault(trace_id, {})[unit.unit_id] = pending
        self._now_known(pending)
        await self._journal.update_feedback(unit)

    async def settle(self, pending: PendingUnit, state: FeedbackState, reason: str = "", message: str = "") -> None:
        unit = pending.unit
        unit.state = state
        unit.reason = "" if state == "STORED" else reason or unit.reason
        await self._journal.update_feedback(unit)
        if self.is_pending(pending):
            del self._units[unit.unit_id]
            self._unindex(pending)
            if unit.trace_id:
                self._known_count -= 1
                if not self._known_count:
                    self._drained.set()
                while self._known and self._known[0][1] not in self._units:
                    heapq.heappop(self._known)
        self._metrics.feedback_settled.labels(state=state).inc()
        if state == "EXPIRED":
            logger.warning("feedback %s expired: %s (%s)", unit.unit_id, message, _describe(unit))
        elif state == "REJECTED":
            logger.error("feedback %s rejected: %s: %s (%s)", unit.unit_id, reason, message, _describe(unit))
        if pending.settled is not None and not pending.settled.done():
            pending.settled.set_result(state)

    async def wait_settled(self, unit_id: str, timeout_seconds: float) -> None:
        """Return when the unit settles, or after timeout_seconds."""
        pending = self._units.get(unit_id)
        if pending is None or timeout_seconds <= 0:
            return
        if pending.settled is None:
            pending.settled = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pending.settled), timeout_seconds)

    def oldest_known_age_seconds(self, now: float | None = None) -> float:
        """Age of the oldest pending unit whose trace is known (0 when there is none).

        The metrics thread calls it: it only reads (settle keeps the heap's top a pending unit)."""
        top = self._known[:1]
        return max(0.0, (now or time.time()) - top[0][0]) if top else 0.0

    # --- when each is tried

    def schedule(self, pending: PendingUnit, when: float) -> None:
        """Try the unit at `when` (monotonic; 0: at once). One in a round is queued when it ends."""
        pending.next_try = when
        if not pending.busy:
            self._push(pending)

    def later(self, pendings: Iterable[PendingUnit], factor: float = 1.0) -> None:
        """Try again after each unit's next backoff step (scaled by factor)."""
        for pending in pendings:
            self.schedule(pending, time.monotonic() + pending.backoff.next() * factor)

    def others_due(self, trace_id: str) -> bool:
        """Whether units of this trace other than those in a round are due now (they go next)."""
        now = time.monotonic()
        return any(not p.busy and p.next_try <= now for p in self._by_trace.get(trace_id, {}).values())

    def _push(self, pending: PendingUnit) -> None:
        pending.entry = next(self._entries)
        heapq.heappush(self._due, (pending.next_try, pending.entry, pending.unit.unit_id))
        if pending.next_try <= time.monotonic():
            self._wakeup.set()

    def _take_due(self) -> list[PendingUnit]:
        now, due = time.monotonic(), []
        while self._due and self._due[0][0] <= now:
            _, entry, unit_id = heapq.heappop(self._due)
            pending = self._units.get(unit_id)
            if pending is None or pending.entry != entry or pending.busy:
                continue  # settled, rescheduled since, or in a round (which queues it again)
            if pending.unit.trace_id in self._busy_traces:
                self._held.setdefault(pending.unit.trace_id, []).append(pending)
                continue
            due.append(pending)
        return due

    def _traces_settled(self, trace_ids: list[str], stored: bool) -> None:
        for trace_id in trace_ids:
            for pending in self._by_trace.get(trace_id, {}).values():
                if not stored:
                    pending.unit.reason = MlflowRejected.reason
                self.schedule(pending, 0.0)

    async def _attach_forever(self, run_round: Round) -> None:
        """Start a round on every wake-up (or every ROUND_SECONDS) with the units that are due."""
        rounds: set[asyncio.Task[None]] = set()
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), ROUND_SECONDS)
                self._wakeup.clear()
                if len(rounds) >= MAX_CONCURRENT_ROUNDS:
                    await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                await self._prune()
                due = self._take_due()
                if not due:
                    continue
                for pending in due:
                    pending.busy = True
                self._busy_traces.update(p.unit.trace_id for p in due if p.unit.trace_id)
                task = asyncio.create_task(self._guarded_round(run_round, due))
                rounds.add(task)
                task.add_done_callback(rounds.discard)
        finally:
            for task in rounds:
                task.cancel()

    async def _guarded_round(self, run_round: Round, due: list[PendingUnit]) -> None:
        traces = {p.unit.trace_id for p in due if p.unit.trace_id}
        try:
            await run_round(due)
        except JournalUnavailable as error:  # said once by the journal; its units wait for its return
            logger.debug("feedback attach round stopped: %s", error)
            self.later(due)
        except Exception:
            logger.exception("feedback attach round failed; retrying")
            self.later(due)
        finally:
            self._busy_traces.difference_update(traces)
            for pending in due:
                pending.busy = False
                if self.is_pending(pending):
                    self._push(pending)
            for trace_id in traces:  # units that waited for these traces may go now
                for pending in self._held.pop(trace_id, []):
                    if self.is_pending(pending) and not pending.busy:
                        self._push(pending)

    async def _prune(self) -> None:
        """Forget settled units past the retention (GetFeedbackStatus answers from MLflow then)."""
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_SECONDS
            try:
                await self._journal.forget_settled_feedback(time.time() - self._retention)
            except JournalUnavailable:
                self._next_prune = 0.0  # the journal logged it; pruning waits for its return

    def _now_known(self, pending: PendingUnit) -> None:
        heapq.heappush(self._known, (pending.unit.added, pending.unit.unit_id))
        self._known_count += 1
        self._drained.clear()

    def _unindex(self, pending: PendingUnit) -> None:
        unit = pending.unit
        on_trace = self._by_trace.get(unit.trace_id, {})
        on_trace.pop(unit.unit_id, None)
        if not on_trace:
            self._by_trace.pop(unit.trace_id, None)


def _describe(unit: FeedbackUnit) -> str:
    names = ", ".join(w.name for w in unit.writes)
    return f"{names} on {Target(unit.trace_id, '' if unit.trace_id else unit.client_request_id).describe()}"
