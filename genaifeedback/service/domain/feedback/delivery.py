"""Delivery: one attach round for the units that are due.

A round settles what expired or was refused, resolves client_request_ids, reads the infos of the
traces it writes to that it knows nothing of (one batched call), and writes each trace's
assessments from what it knows of the trace: the last read, with this replica's writes since.

How a unit settles:
- Feedback outside any chain (anonymous, a correction) settles on MLflow's answer to its create.
  Its id is fixed, so MLflow refuses a second copy, and a deleted id stays reserved in MLflow
  (egress/mlflow/reservations.py), so MLflow refuses that too: no read is needed before or after.
- A vote (a rater's override chain, votes.py) settles on a read-back of its trace that shows the
  chain right: MLflow has no compare-and-set, and two replicas can extend one chain at once. The
  read-back is one per trace, batched across traces (batched_reads.py) and, while more units of the
  trace are due, put off to the round that writes those too (for at most MAX_UNVERIFIED_SECONDS).

Either way a unit settles only once its trace carries the feedback marker (markers.py) when it
holds feedback: the round that writes a trace's first feedback marks it, and a unit whose trace
MLflow could not mark waits for a later round.
"""

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from mlflow.entities import TraceInfo

from genaifeedback.service.domain.errors import (
    InvalidRequest,
    MlflowRejected,
    MlflowUnavailable,
    RequestIdReused,
    TraceNotFound,
)
from genaifeedback.service.domain.feedback import RESERVATION_UNIT_PREFIX
from genaifeedback.service.domain.feedback.attacher import PendingUnit
from genaifeedback.service.domain.feedback.markers import FeedbackMarkers
from genaifeedback.service.domain.feedback.parts import EngineParts, EngineRole
from genaifeedback.service.domain.feedback.trace_state import TraceState, stored_vote, write_vote
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.domain.votes import Vote, VoteKey, plan_chain, settlement
from genaifeedback.service.egress.mlflow.batched_reads import BatchedReads
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackState, FeedbackUnit

logger = logging.getLogger(__name__)

# Traces written at once. MLflow on SQLite takes one write at a time, and spends more CPU on each the
# more are in flight (measured: about 4.9 ms alone, 6.1 ms at 4, 7 ms at 32).
MAX_CONCURRENT_WRITES = 8
MAX_UNVERIFIED_SECONDS = 2.0  # how long a written vote's read-back may be put off for its trace's next units

# A vote a round adds to its key's chain: the vote, the unit it is for (None: a rebuilt vote), the write.
_Addition = tuple[Vote, PendingUnit | None, FeedbackWrite]


class _IdDeleted(Exception):
    """MLflow refused the id: a deletion reserved it."""


@dataclass
class _TraceWrites:
    """One trace's part of a round: its state as each write changes it, and what became of its units."""

    state: TraceState
    chains: dict[VoteKey, list[_Addition]] = field(default_factory=dict)
    to_check: list[PendingUnit] = field(default_factory=list)  # settled by a read-back
    settled: list[tuple[PendingUnit, FeedbackState, str, str]] = field(default_factory=list)  # reason, message
    uncertain: bool = False  # a write failed: what MLflow holds is not known


class Delivery(EngineRole):
    def __init__(self, parts: EngineParts, metrics: Metrics):
        super().__init__(parts)
        self._metrics = metrics
        self._writes = asyncio.Semaphore(MAX_CONCURRENT_WRITES)
        self._reads = BatchedReads(parts.gateway, metrics)
        self._markers = FeedbackMarkers(parts.gateway)

    async def round(self, due: list[PendingUnit]) -> None:
        attacher = self._attacher
        now = time.time()
        for pending in due:
            if pending.unit.expires <= now:
                await attacher.settle(
                    pending, "EXPIRED", TraceNotFound.reason, "no trace appeared within the attach window"
                )
            elif pending.unit.reason == MlflowRejected.reason:  # its trace was refused: it can never attach
                await attacher.settle(pending, "REJECTED", MlflowRejected.reason, "MLflow refused the trace it is for")
        due = [p for p in due if attacher.is_pending(p)]
        for pending in [p for p in due if p.unit.unit_id.startswith(RESERVATION_UNIT_PREFIX)]:
            due.remove(pending)
            await self._reserve(pending)
        await self._resolve_client_request_ids([p for p in due if not p.unit.trace_id])
        exporting = {p for p in due if p.unit.trace_id and self._inflight.awaiting_export(p.unit.trace_id)}
        attacher.later(exporting)  # the exporter's confirmation wakes them at once
        by_trace: dict[str, list[PendingUnit]] = {}
        for pending in due:
            if pending.unit.trace_id and pending not in exporting:
                by_trace.setdefault(pending.unit.trace_id, []).append(pending)
        before = {t: state for t in by_trace if (state := self._states.get(t)) is not None}
        unread = [t for t in by_trace if t not in before]  # not known to be in MLflow: look (one call)
        infos = await self._infos(unread, [p for t in unread for p in by_trace[t]])
        before.update((t, TraceState.of(info)) for t, info in (infos or {}).items())
        attacher.later(p for t in unread if infos is not None and t not in infos for p in by_trace[t])
        self._metrics.feedback_round_units.observe(sum(len(by_trace[t]) for t in before))
        written = await asyncio.gather(*(self._write_trace(before[t], by_trace[t]) for t in before))
        checked = [p for trace in written for p in self._read_back_now(trace)]
        after = await self._infos(sorted({p.unit.trace_id for p in checked}), checked)
        if after is None:
            return
        read_back = {state.trace_id: state for state in await self._marked(map(TraceState.of, after.values()))}
        for state in read_back.values():
            self._states.read(state)
        for pending in checked:
            pending.unverified_since = None
            state = read_back.get(pending.unit.trace_id)
            if state is not None and state.holds_feedback and not state.marked:
                self._attacher.later([pending])  # settled once its trace is marked
                continue
            await self._check_settled(pending, state)

    async def _marked(self, states: Iterable[TraceState]) -> list[TraceState]:
        """The states, those that hold feedback marked if MLflow takes their markers now (one batch)."""
        states = list(states)
        unmarked = await self._markers.mark(states)
        return [
            dataclasses.replace(s, marked=True)
            if s.holds_feedback and not s.marked and s.trace_id not in unmarked
            else s
            for s in states
        ]

    def _read_back_now(self, trace: _TraceWrites) -> list[PendingUnit]:
        """The trace's units to read back now; none while more of its units are due (those are
        written first, and all read back together), unless a write failed or one waited too long."""
        pendings = [p for p in trace.to_check if self._attacher.is_pending(p)]
        now = time.monotonic()
        if not pendings or trace.uncertain or not self._attacher.others_due(trace.state.trace_id):
            return pendings
        if any(now - (p.unverified_since or now) >= MAX_UNVERIFIED_SECONDS for p in pendings):
            return pendings
        for pending in pendings:
            pending.unverified_since = pending.unverified_since or now
            self._attacher.schedule(pending, 0.0)  # in the trace's next round, with the units due
        return []

    async def _reserve(self, pending: PendingUnit) -> None:
        """Deliver a journaled reservation of deleted ids (curation could not place it)."""
        try:
            for write in pending.unit.writes:
                await self._gateway.reserve_deleted_id(pending.unit.trace_id, write.assessment_id)
        except TraceNotFound:
            pass  # the trace is gone, and its feedback with it: nothing can be written there
        except MlflowUnavailable as error:
            logger.warning("cannot reserve deleted feedback ids on trace %s yet: %s", pending.unit.trace_id, error)
            self._attacher.later([pending])
            return
        await self._attacher.settle(pending, "DELETED")

    async def _infos(self, trace_ids: list[str], pendings: list[PendingUnit]) -> dict[str, TraceInfo] | None:
        """The infos of the traces MLflow has, or None (and the units later) if it cannot tell."""
        if not trace_ids:
            return {}
        try:
            infos = await self._reads.read(trace_ids)
        except MlflowUnavailable as error:
            self._metrics.mlflow_errors.labels(call="lookup", kind="unavailable").inc()
            logger.warning("cannot read %d traces for pending feedback: %s", len(trace_ids), error)
            self._attacher.later(pendings)
            return None
        self._states.seen(list(infos))
        return infos

    async def _write_trace(self, state: TraceState, pendings: list[PendingUnit]) -> _TraceWrites:
        """Write what these units need on one trace; settle those MLflow's answers settle."""
        trace = _TraceWrites(state)
        async with self._writes:
            for pending in pendings:
                try:
                    await self._write_unit(trace, pending)
                except (RequestIdReused, InvalidRequest) as error:
                    trace.settled.append((pending, "REJECTED", error.reason, error.message))
                except (TraceNotFound, MlflowUnavailable) as error:  # the read-back decides
                    self._count_write_error(error, trace)
                    trace.to_check.append(pending)
            for key, additions in trace.chains.items():
                try:
                    await self._apply_chain(trace, key, additions)
                except (TraceNotFound, MlflowUnavailable, _IdDeleted) as error:  # the read-back decides
                    self._count_write_error(error, trace)
                except (RequestIdReused, InvalidRequest) as error:
                    owners = {id(owner): owner for _, owner, _ in additions if owner is not None}
                    trace.settled += [(owner, "REJECTED", error.reason, error.message) for owner in owners.values()]
        (trace.state,) = await self._marked([trace.state])
        self._states.read(trace.state)
        for pending, outcome, reason, message in trace.settled:
            if not self._attacher.is_pending(pending):
                continue
            if outcome == "STORED" and not trace.state.marked:
                self._attacher.later([pending])  # settled once its trace is marked
                continue
            await self._attacher.settle(pending, outcome, reason, message)
        return trace

    async def _write_unit(self, trace: _TraceWrites, pending: PendingUnit) -> None:
        """Write a unit's feedback outside chains, and queue its votes for their chains."""
        writes, deleted, chained = pending.unit.writes, 0, False
        for write in writes:
            present = trace.state.feedback.get(write.assessment_id)
            if present is not None and not write.matches(present):
                raise _reused(trace.state.trace_id)
            vote = write_vote(write)
            if vote.key is not None:
                trace.chains.setdefault(vote.key, []).append((vote, pending, write))
                chained = True
            elif write.assessment_id in trace.state.deleted:
                if present is not None:  # written by a delivery that raced its deletion: delete it
                    await self._delete(trace, write.assessment_id)
                    chained = True  # the read-back shows it gone
                deleted += 1
            elif present is None:
                try:
                    await self._create(trace, write)
                except _IdDeleted:
                    deleted += 1
        if chained:
            trace.to_check.append(pending)
        else:
            trace.settled.append((pending, "DELETED" if deleted == len(writes) else "STORED", "", ""))

    async def _apply_chain(self, trace: _TraceWrites, key: VoteKey, additions: list[_Addition]) -> None:
        """Make one rater's chain on this trace hold its stored votes and these, in order."""
        state = trace.state
        trace_id, stored, deleted = state.trace_id, state.feedback, state.deleted
        chain = [v for v in map(stored_vote, stored.values()) if v.key == key]
        plan = plan_chain(chain, [vote for vote, _, _ in additions], deleted)
        if plan.empty:
            return
        content = {write.assessment_id: write for _, _, write in additions}
        others = [i for i in plan.deletes if i not in content and i not in deleted]
        if others:
            # Votes from other calls (maybe other replicas) are deleted to be recreated in order:
            # journal them first, so that a crash between the two loses nothing.
            restore = FeedbackUnit(
                unit_id="r-" + uuid.uuid4().hex,  # one per rebuild: an earlier, settled one must not stand in
                trace_id=trace_id,
                client_request_id="",
                writes=[FeedbackWrite.recreating(stored[i], trace_id) for i in others],
                expires=time.time() + self._window,
            )
            await self._journal.add_feedback(restore)
            self._attacher.add(restore)
            content.update({w.assessment_id: w for w in restore.writes})
            logger.info("rebuilding a vote chain on trace %s: %s", trace_id, plan)
        for assessment_id in plan.deletes:
            await self._delete(trace, assessment_id)
        for assessment_id, overrides in plan.creates:
            write = content.get(assessment_id) or FeedbackWrite.recreating(stored[assessment_id], trace_id)
            await self._create(trace, dataclasses.replace(write, overrides=overrides))

    async def _check_settled(self, pending: PendingUnit, state: TraceState | None) -> None:
        """Settle a unit whose writes the read-back shows in place (or tombstoned); else retry soon."""
        if not self._attacher.is_pending(pending):
            return  # settled while the read ran (a deletion settles this replica's units at once)
        if state is None:
            self._attacher.later([pending])
            return
        outcome = settlement(
            [write_vote(write) for write in pending.unit.writes],
            [stored_vote(feedback) for feedback in state.feedback.values()],
            state.deleted,
        )
        if outcome != "RETRY":
            await self._attacher.settle(pending, outcome)
            return
        self._attacher.later([pending], factor=0.25)  # a race with another writer: look again soon

    async def _resolve_client_request_ids(self, unresolved: list[PendingUnit]) -> None:
        for pending in unresolved:
            crid = pending.unit.client_request_id
            # Run here, or journaled by another replica (a shared journal) and maybe not in MLflow yet.
            trace_id = self._inflight.trace_id_for(crid) or await self._journal.journaled_trace_id(crid)
            if trace_id is None:
                try:
                    trace_id = await self._gateway.find_trace_by_client_request_id(crid)
                except MlflowUnavailable:
                    trace_id = None
            if trace_id:
                await self._attacher.resolve(pending, trace_id)
            else:
                self._attacher.later([pending])

    async def _create(self, trace: _TraceWrites, write: FeedbackWrite) -> None:
        started = time.monotonic()
        try:
            await self._gateway.create_feedback(write)
        except MlflowUnavailable:
            # Maybe an earlier delivery stored it already, or a deletion reserved its id (MLflow
            # refuses an id it holds); maybe MLflow is down. Reading the id tells which.
            stored = await self._gateway.get_feedback(write.trace_id, write.assessment_id)
            if stored is None:
                if await self._gateway.is_reserved(write.assessment_id):
                    raise _IdDeleted(write.assessment_id) from None
                raise
            if not write.matches(stored):
                raise _reused(write.trace_id) from None
        finally:
            self._metrics.mlflow_call_seconds.labels(call="create_assessment").observe(time.monotonic() - started)
        trace.state = trace.state.created(write)

    async def _delete(self, trace: _TraceWrites, assessment_id: str) -> None:
        await self._gateway.delete_feedback(trace.state.trace_id, assessment_id)
        trace.state = trace.state.removed(assessment_id)

    def _count_write_error(self, error: Exception, trace: _TraceWrites) -> None:
        trace.uncertain = True
        self._metrics.mlflow_errors.labels(call="create_assessment", kind=type(error).__name__).inc()


def _reused(trace_id: str) -> RequestIdReused:
    return RequestIdReused(f"request_id was already used for a different action on trace {trace_id}", trace_id=trace_id)
