"""Delivery: one attach round for the units that are due.

A round settles what expired or was refused, resolves client_request_ids, reads the infos of the
traces it writes to that it has no state for (one batched call), writes each trace's assessments
(a rater's votes through their override chain, votes.py), and reads every trace written back (one
more call): a unit settles only on what the read-back shows.
"""

import asyncio
import dataclasses
import logging
import time
import uuid

from mlflow.entities import TraceInfo

from genaifeedback.service.domain.errors import (
    InvalidRequest,
    MlflowRejected,
    MlflowUnavailable,
    RequestIdReused,
    TraceNotFound,
)
from genaifeedback.service.domain.feedback.attacher import PendingUnit
from genaifeedback.service.domain.feedback.markers import FeedbackMarkers
from genaifeedback.service.domain.feedback.parts import EngineParts, EngineRole
from genaifeedback.service.domain.feedback.trace_state import TraceState, stored_vote, write_vote
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.domain.votes import Vote, VoteKey, plan_chain, settlement
from genaifeedback.service.egress.mlflow.batched_reads import BatchedReads
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackUnit

logger = logging.getLogger(__name__)

MAX_CONCURRENT_WRITES = 16  # traces written at once, across rounds

# A vote a round adds to its key's chain: the vote, the unit it is for (None: a rebuilt vote), the write.
_Addition = tuple[Vote, PendingUnit | None, FeedbackWrite]


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
        checked = [p for pendings in written for p in pendings if attacher.is_pending(p)]
        after = await self._infos(sorted({p.unit.trace_id for p in checked}), checked)
        if after is None:
            return
        read_back = {trace_id: TraceState.of(info) for trace_id, info in after.items()}
        for state in read_back.values():
            self._states.read(state)
        unmarked = await self._mark(list(read_back.values()))
        for pending in checked:
            if pending.unit.trace_id in unmarked:
                self._attacher.later([pending])  # settled once its trace is marked
                continue
            await self._check_settled(pending, read_back.get(pending.unit.trace_id))

    async def _mark(self, states: list[TraceState]) -> set[str]:
        """Mark the traces that now hold feedback (markers.py); the ids of those not marked yet."""
        unmarked = await self._markers.mark(states)
        for state in states:
            if state.holds_feedback and not state.marked and state.trace_id not in unmarked:
                self._states.read(dataclasses.replace(state, marked=True))
        return unmarked

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

    async def _write_trace(self, state: TraceState, pendings: list[PendingUnit]) -> list[PendingUnit]:
        """Write what these units need on one trace; return the units to check by reading back."""
        stored, deleted, trace_id = state.feedback, state.deleted, state.trace_id
        chains: dict[VoteKey, list[_Addition]] = {}
        to_check = []
        async with self._writes:
            for pending in pendings:
                try:
                    for write in pending.unit.writes:
                        present = stored.get(write.assessment_id)
                        if present is not None and not write.matches(present):
                            raise _reused(trace_id)
                        vote = write_vote(write)
                        if vote.key is not None:
                            chains.setdefault(vote.key, []).append((vote, pending, write))
                        elif present is None and write.assessment_id not in deleted:
                            await self._write_once(write)
                        elif present is not None and write.assessment_id in deleted:
                            await self._gateway.delete_feedback(trace_id, write.assessment_id)
                except (RequestIdReused, InvalidRequest) as error:
                    await self._attacher.settle(pending, "REJECTED", error.reason, error.message)
                    continue
                except (TraceNotFound, MlflowUnavailable) as error:
                    self._count_write_error(error)
                to_check.append(pending)
            for key, additions in chains.items():
                key_votes = [v for v in map(stored_vote, stored.values()) if v.key == key]
                try:
                    await self._apply_chain(state, key_votes, additions)
                except (TraceNotFound, MlflowUnavailable) as error:  # the read-back decides what is left
                    self._count_write_error(error)
                except (RequestIdReused, InvalidRequest) as error:
                    for _, owner, _ in additions:
                        if owner is not None and self._attacher.is_pending(owner):
                            await self._attacher.settle(owner, "REJECTED", error.reason, error.message)
        return to_check

    async def _apply_chain(self, state: TraceState, chain: list[Vote], additions: list[_Addition]) -> None:
        """Make one rater's chain on this trace hold its stored votes and these, in order."""
        trace_id, stored, deleted = state.trace_id, state.feedback, state.deleted
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
            await self._gateway.delete_feedback(trace_id, assessment_id)
        for assessment_id, overrides in plan.creates:
            write = content.get(assessment_id) or FeedbackWrite.recreating(stored[assessment_id], trace_id)
            await self._write_once(dataclasses.replace(write, overrides=overrides))

    async def _check_settled(self, pending: PendingUnit, state: TraceState | None) -> None:
        """Settle a unit whose writes the read-back shows in place (or tombstoned); else retry soon."""
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

    async def _write_once(self, write: FeedbackWrite) -> None:
        started = time.monotonic()
        try:
            await self._gateway.create_feedback(write)
        except MlflowUnavailable:
            # Maybe an earlier delivery stored it already (then MLflow refuses the duplicate id);
            # maybe MLflow is down. Reading it back tells which.
            stored = await self._gateway.get_feedback(write.trace_id, write.assessment_id)
            if stored is None:
                raise
            if not write.matches(stored):
                raise _reused(write.trace_id) from None
        finally:
            self._metrics.mlflow_call_seconds.labels(call="create_assessment").observe(time.monotonic() - started)

    def _count_write_error(self, error: Exception) -> None:
        self._metrics.mlflow_errors.labels(call="create_assessment", kind=type(error).__name__).inc()


def _reused(trace_id: str) -> RequestIdReused:
    return RequestIdReused(f"request_id was already used for a different action on trace {trace_id}", trace_id=trace_id)
