"""Feedback: journal it, answer, then attach it to its trace in MLflow exactly once.

A call is acknowledged once its feedback is durably journaled (one unit per call: a SubmitRatings
is all its dimensions or none). The attacher then writes each unit's assessments when the trace is
in MLflow: at once if it is there, when this replica's exporter confirms it if the chat ran here,
or when another replica's export lands (one batched lookup per round for all unknown traces, not
a search per feedback). A unit that finds no trace within the attach window becomes EXPIRED,
logged and counted; one MLflow refuses becomes REJECTED; neither is ever dropped silently.

Exactly once: each assessment's id is derived from (target, request_id[, index]) (random without
a request_id), and MLflow refuses a second assessment with the same id, so a unit written twice,
by a retry or by two replicas, is stored once. A request_id names one action on one target:
reused for anything else it meets the first action's assessment (ALREADY_EXISTS).

One current vote per rater: a vote with a source id joins its key's override chain (votes.py).
Each round reads the infos (assessments and tags) of every trace it writes to in one batched
call, writes, and reads them back in one more: a unit is STORED only once the read-back shows it
in a correct chain. Deleted feedback leaves a tombstone tag on its trace, set before the delete,
and nothing tombstoned is ever written again: a late retry or a pending delivery of it settles as
DELETED.
"""

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mlflow.entities import Feedback, TraceInfo

from genaifeedback.service.domain.errors import (
    DeadlineTooShort,
    FeedbackNotFound,
    FieldViolation,
    InvalidRequest,
    MlflowRejected,
    MlflowUnavailable,
    RequestIdReused,
    TraceNotFound,
)
from genaifeedback.service.domain.ids import TRACE_ID_PATTERN, trace_start_seconds
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.domain.retry import Backoff
from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX
from genaifeedback.service.domain.votes import Vote, plan_chain, settlement, vote_key
from genaifeedback.service.egress.exporter import TraceExporter
from genaifeedback.service.egress.mlflow.batched_reads import BatchedReads
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackState, FeedbackUnit, Journal

logger = logging.getLogger(__name__)

DEFAULT_FEEDBACK_NAME = "user_feedback"
MIN_ACK_SECONDS = 0.01  # below this much time left, a journaled answer could arrive after the deadline
ROUND_SECONDS = 0.25  # how often pending feedback looks for its traces, at most
MAX_CONCURRENT_WRITES = 16
MAX_CACHED_TRACE_STATES = 10_000
MAX_CONCURRENT_ROUNDS = 8
TOMBSTONE_TAG_PREFIX = RESERVED_METADATA_PREFIX + "deleted."  # + assessment id; the value is when
CORRECTS_KEY = RESERVED_METADATA_PREFIX + "corrects"  # a correction's metadata: the id it corrects


@dataclass(frozen=True)
class Target:
    """Exactly one of the two is set."""

    trace_id: str = ""
    client_request_id: str = ""


@dataclass(frozen=True)
class FeedbackInput:
    name: str
    value: Any  # bool, float, str, or a JSON value (dict, list, ...)
    source_type: Literal["HUMAN", "LLM_JUDGE", "CODE"] = "HUMAN"
    source_id: str = ""
    rationale: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    span_id: str = ""
    request_id: str = ""
    client_time_ms: int | None = None  # when the user gave it; None: when the service received it
    overrides: str = ""  # a correction: the assessment it corrects


@dataclass(frozen=True)
class Recorded:
    """What a caller is told about a unit."""

    trace_id: str  # empty while a client_request_id target is unresolved
    assessment_ids: dict[str, str]  # feedback name -> assessment id
    state: FeedbackState
    reason: str = ""  # an ErrorReason, for EXPIRED and REJECTED
    message: str = ""


@dataclass(frozen=True)
class TraceState:
    """A trace's feedback and tombstones, as last read from MLflow (or assumed: none yet)."""

    trace_id: str
    feedback: dict[str, Feedback] = field(default_factory=dict)
    deleted: frozenset[str] = frozenset()

    @classmethod
    def of(cls, info: TraceInfo) -> "TraceState":
        return cls(info.trace_id, _stored_feedback(info), tombstones(info))


@dataclass
class _Pending:
    unit: FeedbackUnit
    next_try: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=ROUND_SECONDS, maximum=5.0))
    settled: asyncio.Future[FeedbackState] | None = None
    busy: bool = False  # in a round now


class FeedbackRecorder:
    def __init__(
        self,
        gateway: MlflowGateway,
        exporter: TraceExporter,
        journal: Journal,
        metrics: Metrics,
        attach_window_seconds: float,
        max_chat_seconds: float,
        status_retention_seconds: float = 86_400.0,
    ):
        self._retention = status_retention_seconds
        self._next_prune = 0.0
        self._gateway = gateway
        self._exporter = exporter
        self._journal = journal
        self._metrics = metrics
        self._window = attach_window_seconds
        self._max_chat_seconds = max_chat_seconds
        self._pending: dict[str, _Pending] = {}
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()  # set while nothing is pending
        self._drained.set()
        self._writes = asyncio.Semaphore(MAX_CONCURRENT_WRITES)
        self._task: asyncio.Task[None] | None = None
        self._known_traces: OrderedDict[str, None] = OrderedDict()  # seen in MLflow lately
        # Each trace's feedback as the last read-back saw it: the next round writes from it without
        # reading first (a stale view only costs a repair, which the read-back triggers).
        self._states: OrderedDict[str, TraceState] = OrderedDict()
        self._reads = BatchedReads(gateway, metrics)
        self._busy_traces: set[str] = set()  # traces a round is writing to: one round per trace at a time
        exporter.when_settled(self._traces_settled)

    def start(self, replayed: list[FeedbackUnit]) -> None:
        for unit in replayed:
            self._add(unit)
        if replayed:
            logger.info("replaying %d journaled feedback units not yet in MLflow", len(replayed))
        self._task = asyncio.create_task(self._attach_forever(), name="feedback-attacher")

    async def close(self, timeout_seconds: float) -> None:
        """Attach what can be attached within timeout_seconds; the rest stays journaled."""
        self._wakeup.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout_seconds)
        if self._task:
            self._task.cancel()
        if self._pending:
            logger.warning("%d feedback units are not in MLflow yet; they stay journaled", len(self._pending))

    # --- the calls

    async def submit(
        self, target: Target, feedbacks: list[FeedbackInput], wait: bool, deadline: float | None
    ) -> Recorded:
        """Journal one call's feedback (one assessment each, all or none); optionally wait for MLflow."""
        if deadline is not None and deadline - time.monotonic() < MIN_ACK_SECONDS:
            # An error status must mean "not recorded": refuse before journaling, not after.
            raise DeadlineTooShort("the call's deadline leaves too little time to record the feedback durably")
        received_ms = int(time.time() * 1000)
        writes = [_write(target, feedback, index, received_ms) for index, feedback in enumerate(feedbacks)]
        trace_id = target.trace_id or self._exporter.trace_id_for(target.client_request_id) or ""
        if target.trace_id:
            await self._check_exists(target.trace_id)
        unit = FeedbackUnit(
            unit_id=writes[0]["assessment_id"],
            trace_id=trace_id,
            client_request_id=target.client_request_id,
            writes=writes,
            expires=time.time() + self._window,
        )
        journaled = await self._journal.add_feedback(unit)
        if journaled is not unit:
            if not journaled.same_action(unit):
                raise RequestIdReused(
                    f"request_id was already used for a different action on {_describe(target)}",
                    **(
                        {"trace_id": target.trace_id}
                        if target.trace_id
                        else {"client_request_id": target.client_request_id}
                    ),
                )
            # A retry: the first delivery's unit answers (the live one, if it is still on its way).
            unit = self._pending[journaled.unit_id].unit if journaled.unit_id in self._pending else journaled
            if unit.state == "STORED":
                await self._check_still_stored(unit)
        else:
            self._add(unit)
        if wait and unit.state == "PENDING":
            await self._wait_settled(unit.unit_id, deadline)
        if unit.state in ("EXPIRED", "REJECTED"):  # known now never to be stored: say so
            raise _settled_error(unit, target)
        return _recorded(unit)

    def _add(self, unit: FeedbackUnit) -> None:
        self._pending[unit.unit_id] = _Pending(unit)
        self._drained.clear()
        self._wakeup.set()

    async def _check_still_stored(self, unit: FeedbackUnit) -> None:
        """A retry of stored feedback: if it was deleted since, say so (and remember it)."""
        with contextlib.suppress(MlflowUnavailable):
            info = (await self._gateway.trace_infos([unit.trace_id])).get(unit.trace_id)
            if info is not None and all(w["assessment_id"] in tombstones(info) for w in unit.writes):
                unit.state = "DELETED"
                await self._journal.update_feedback(unit)

    async def status(self, target: Target, assessment_id: str) -> Recorded:
        """What became of a unit (by its first assessment id), here or, failing that, in MLflow."""
        pending = self._pending.get(assessment_id)
        unit = pending.unit if pending else await self._journal.feedback(assessment_id)
        if unit is not None:
            return _recorded(unit)
        trace_id = target.trace_id or self._exporter.trace_id_for(target.client_request_id) or ""
        if trace_id:
            stored = await self._gateway.get_feedback(trace_id, assessment_id)
            if stored is not None:
                return Recorded(trace_id, {stored.name: assessment_id}, "STORED")
        raise FeedbackNotFound(
            f"no feedback {assessment_id} is known on {_describe(target)}: not journaled here, not in MLflow",
            assessment_id=assessment_id,
        )

    async def resolve(self, target: Target) -> str:
        """The trace id of a target, or TraceNotFound."""
        trace_id = target.trace_id or self._exporter.trace_id_for(target.client_request_id)
        if not trace_id:
            trace_id = await self._gateway.find_trace_by_client_request_id(target.client_request_id)
        if not trace_id:
            raise TraceNotFound(f"no trace has client_request_id {target.client_request_id!r}", **vars(target))
        return trace_id

    def pending_ids(self, trace_id: str, source_id: str = "", source_type: str = "") -> set[str]:
        """The ids of this replica's feedback on its way to this trace (only this source's, if given)."""
        return {
            write["assessment_id"]
            for pending in self._pending.values()
            if pending.unit.trace_id == trace_id
            for write in pending.unit.writes
            if not source_id
            or (write["source_id"] == source_id and (not source_type or write["source_type"] == source_type))
        }

    def assessment_id_for(self, target: Target, request_id: str) -> str:
        return _assessment_id(target, request_id, 0)

    async def _check_exists(self, trace_id: str) -> None:
        """Refuse at once a trace id that is no trace of ours on its way and is not in MLflow."""
        if self._exporter.is_local_and_unstored(trace_id) or self._in_mlflow(trace_id):
            return
        if self._may_still_arrive(trace_id):
            return  # another replica may still be exporting it: the attacher will look
        try:
            found = await self._gateway.existing_traces([trace_id])
        except MlflowUnavailable:
            return  # cannot tell now: journal it, and let the window decide
        if trace_id not in found:
            raise TraceNotFound(f"trace {trace_id} not found", trace_id=trace_id)
        self.remember_in_mlflow(found)

    def _in_mlflow(self, trace_id: str) -> bool:
        return trace_id in self._known_traces or self._exporter.was_stored(trace_id)

    def remember_in_mlflow(self, trace_ids: Iterable[str]) -> None:
        """Note traces seen in MLflow, so that feedback for them need not look them up."""
        for trace_id in trace_ids:
            self._known_traces[trace_id] = None
            self._known_traces.move_to_end(trace_id)
        while len(self._known_traces) > 100_000:
            self._known_traces.popitem(last=False)

    def _may_still_arrive(self, trace_id: str) -> bool:
        """Whether the id is one of ours, minted recently enough that its chat may be in flight."""
        if not TRACE_ID_PATTERN.fullmatch(trace_id):
            return False
        started_ago = time.time() - trace_start_seconds(trace_id)
        return -60 < started_ago < self._max_chat_seconds + 60

    async def _wait_settled(self, unit_id: str, deadline: float | None) -> None:
        pending = self._pending.get(unit_id)
        if pending is None:
            return
        if pending.settled is None:
            pending.settled = asyncio.get_running_loop().create_future()
        # Answer a little before the caller's deadline, so that it hears PENDING rather than nothing.
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic() - 0.2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pending.settled), timeout)

    # --- the attacher

    def _traces_settled(self, trace_ids: list[str], stored: bool) -> None:
        settled = set(trace_ids)
        for pending in self._pending.values():
            if pending.unit.trace_id in settled:
                pending.next_try = 0.0
                if not stored:
                    pending.unit.reason = "MLFLOW_REJECTED"
        self._wakeup.set()

    async def _attach_forever(self) -> None:
        """Start a round on every wake-up (or every ROUND_SECONDS). Rounds overlap, so MLflow is
        never idle while one waits for its read-back; a trace is in one round at a time."""
        rounds: set[asyncio.Task[None]] = set()
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), ROUND_SECONDS)
                self._wakeup.clear()
                if len(rounds) >= MAX_CONCURRENT_ROUNDS:
                    await asyncio.wait(rounds, return_when=asyncio.FIRST_COMPLETED)
                await self._prune()
                due = [
                    p
                    for p in self._pending.values()
                    if p.next_try <= time.monotonic() and p.unit.trace_id not in self._busy_traces and not p.busy
                ]
                if not due:
                    continue
                for pending in due:
                    pending.busy = True
                self._busy_traces.update(p.unit.trace_id for p in due if p.unit.trace_id)
                task = asyncio.create_task(self._guarded_round(due))
                rounds.add(task)
                task.add_done_callback(rounds.discard)
        finally:
            for task in rounds:
                task.cancel()

    async def _guarded_round(self, due: list[_Pending]) -> None:
        traces = {p.unit.trace_id for p in due}
        try:
            await self._round(due)
        except Exception:
            logger.exception("feedback attach round failed; retrying")
            self._later(due)
        finally:
            for pending in due:
                pending.busy = False
            self._busy_traces.difference_update(traces)
            self._wakeup.set()  # units that waited for these traces may go now

    async def _prune(self) -> None:
        """Forget settled units past the retention (GetFeedbackStatus answers from MLflow then)."""
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + 60
            await self._journal.forget_settled_feedback(time.time() - self._retention)

    async def _round(self, due: list[_Pending]) -> None:
        now = time.time()
        for pending in due:
            if pending.unit.expires <= now:
                await self._settle(pending, "EXPIRED", "TRACE_NOT_FOUND", "no trace appeared within the attach window")
            elif pending.unit.reason == "MLFLOW_REJECTED":  # its trace was refused: it can never attach
                await self._settle(pending, "REJECTED", "MLFLOW_REJECTED", "MLflow refused the trace it is for")
        due = [p for p in due if p.unit.unit_id in self._pending]
        await self._resolve_client_request_ids([p for p in due if not p.unit.trace_id])
        ready = [p for p in due if p.unit.trace_id and not self._exporter.is_local_and_unstored(p.unit.trace_id)]
        by_trace: dict[str, list[_Pending]] = {}
        for pending in ready:
            by_trace.setdefault(pending.unit.trace_id, []).append(pending)
        before = {t: self._states.get(t) or TraceState(t) for t in by_trace if t in self._states or self._in_mlflow(t)}
        unread = [t for t in by_trace if t not in before]  # not known to be in MLflow: look (one call)
        infos = await self._infos(unread, [p for t in unread for p in by_trace[t]])
        before.update((t, TraceState.of(info)) for t, info in (infos or {}).items())
        self._later(p for t in unread if infos is not None and t not in infos for p in by_trace[t])
        self._metrics.feedback_round_units.observe(sum(len(by_trace[t]) for t in before))
        written = await asyncio.gather(*(self._write_trace(before[t], by_trace[t]) for t in before))
        checked = [p for pendings in written for p in pendings if p.unit.unit_id in self._pending]
        after = await self._infos(sorted({p.unit.trace_id for p in checked}), checked)
        if after is None:
            return
        for trace_id, pendings in _group(checked).items():
            state = TraceState.of(after[trace_id]) if trace_id in after else None
            if state is not None:
                self._states[trace_id] = state
                self._states.move_to_end(trace_id)
            for pending in pendings:
                await self._check_settled(pending, state)
        while len(self._states) > MAX_CACHED_TRACE_STATES:
            self._states.popitem(last=False)

    async def _infos(self, trace_ids: list[str], pendings: list[_Pending]) -> dict[str, TraceInfo] | None:
        """The infos of the traces MLflow has, or None (and the units later) if it cannot tell."""
        if not trace_ids:
            return {}
        try:
            infos = await self._reads.read(trace_ids)
        except MlflowUnavailable as error:
            self._metrics.mlflow_errors.labels(call="lookup", kind="unavailable").inc()
            logger.warning("cannot read %d traces for pending feedback: %s", len(trace_ids), error)
            self._later(pendings)
            return None
        self.remember_in_mlflow(infos)
        return infos

    async def _write_trace(self, state: TraceState, pendings: list[_Pending]) -> list[_Pending]:
        """Write what these units need on one trace; return the units to check by reading back."""
        stored, deleted, trace_id = state.feedback, state.deleted, state.trace_id
        chains: dict[Any, list[tuple[Vote, _Pending | None, dict[str, Any]]]] = {}
        to_check = []
        async with self._writes:
            for pending in pendings:
                try:
                    for write in pending.unit.writes:
                        fields = _with_defaults(write, pending.unit)
                        present = stored.get(fields["assessment_id"])
                        if present is not None and not FeedbackWrite(trace_id=trace_id, **fields).matches(present):
                            raise RequestIdReused(
                                f"request_id was already used for a different action on trace {trace_id}",
                                trace_id=trace_id,
                            )
                        vote = _vote(fields)
                        if vote.key is not None:
                            chains.setdefault(vote.key, []).append((vote, pending, fields))
                        elif present is None and fields["assessment_id"] not in deleted:
                            await self._write_once(FeedbackWrite(trace_id=trace_id, **fields))
                        elif present is not None and fields["assessment_id"] in deleted:
                            await self._gateway.delete_feedback(trace_id, fields["assessment_id"])
                except (RequestIdReused, InvalidRequest) as error:
                    await self._settle(pending, "REJECTED", error.reason, error.message)
                    continue
                except (TraceNotFound, MlflowUnavailable) as error:
                    self._metrics.mlflow_errors.labels(call="create_assessment", kind=type(error).__name__).inc()
                to_check.append(pending)
            for key, wanted in chains.items():
                key_votes = [_stored_vote(a) for a in stored.values()]
                try:
                    await self._apply_chain(state, [v for v in key_votes if v.key == key], wanted, stored, deleted)
                except (TraceNotFound, MlflowUnavailable) as error:  # the read-back decides what is left
                    self._metrics.mlflow_errors.labels(call="create_assessment", kind=type(error).__name__).inc()
                except (RequestIdReused, InvalidRequest) as error:
                    for _, owner, _ in wanted:
                        if owner is not None and owner.unit.unit_id in self._pending:
                            await self._settle(owner, "REJECTED", error.reason, error.message)
        return to_check

    async def _apply_chain(
        self,
        state: TraceState,
        chain: list[Vote],
        wanted: list[tuple[Vote, "_Pending | None", dict[str, Any]]],
        stored: dict[str, Feedback],
        deleted: frozenset[str],
    ) -> None:
        """Make one rater's chain on this trace hold its stored votes and these, in order."""
        trace_id = state.trace_id
        plan = plan_chain(chain, [vote for vote, _, _ in wanted], deleted)
        if plan.empty:
            return
        content = {fields["assessment_id"]: fields for _, _, fields in wanted}
        others = [i for i in plan.deletes if i not in content and i not in deleted]
        if others:
            # Votes from other calls (maybe other replicas) are deleted to be recreated in order:
            # journal them first, so that a crash between the two loses nothing.
            restore = FeedbackUnit(
                unit_id="r-" + uuid.uuid4().hex,  # one per rebuild: an earlier, settled one must not stand in
                trace_id=trace_id,
                client_request_id="",
                writes=[_copy(stored[i]) for i in others],
                expires=time.time() + self._window,
            )
            await self._journal.add_feedback(restore)
            self._add(restore)
            content.update({w["assessment_id"]: w for w in restore.writes})
            logger.info("rebuilding a vote chain on trace %s: %s", trace_id, plan)
        for assessment_id in plan.deletes:
            await self._gateway.delete_feedback(trace_id, assessment_id)
        for assessment_id, overrides in plan.creates:
            fields = content.get(assessment_id) or _copy(stored[assessment_id])
            await self._write_once(FeedbackWrite(trace_id=trace_id, **{**fields, "overrides": overrides}))

    async def _check_settled(self, pending: _Pending, state: TraceState | None) -> None:
        """Settle a unit whose writes the read-back shows in place (or tombstoned); else retry soon."""
        if state is None:
            self._later([pending])
            return
        outcome = settlement(
            [_vote(_with_defaults(write, pending.unit)) for write in pending.unit.writes],
            [_stored_vote(feedback) for feedback in state.feedback.values()],
            state.deleted,
        )
        if outcome != "RETRY":
            await self._settle(pending, outcome)
            return
        pending.next_try = time.monotonic() + pending.backoff.next() / 4  # a race with another writer
        self._wakeup.set()

    async def _resolve_client_request_ids(self, unresolved: list[_Pending]) -> None:
        for pending in unresolved:
            crid = pending.unit.client_request_id
            trace_id = self._exporter.trace_id_for(crid)
            if trace_id is None:
                try:
                    trace_id = await self._gateway.find_trace_by_client_request_id(crid)
                except MlflowUnavailable:
                    trace_id = None
            if trace_id:
                pending.unit.trace_id = trace_id
                await self._journal.update_feedback(pending.unit)
            else:
                self._later([pending])

    def _later(self, pendings: Iterable[_Pending]) -> None:
        for pending in pendings:
            pending.next_try = time.monotonic() + pending.backoff.next()

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
                raise RequestIdReused(
                    f"request_id was already used for a different action on trace {write.trace_id}",
                    trace_id=write.trace_id,
                ) from None
        finally:
            self._metrics.mlflow_call_seconds.labels(call="create_assessment").observe(time.monotonic() - started)

    async def _settle(self, pending: _Pending, state: FeedbackState, reason: str = "", message: str = "") -> None:
        unit = pending.unit
        unit.state = state
        unit.reason = "" if state == "STORED" else reason or unit.reason
        await self._journal.update_feedback(unit)
        self._pending.pop(unit.unit_id, None)
        if not self._pending:
            self._drained.set()
        self._metrics.feedback_settled.labels(state=state).inc()
        if state == "EXPIRED":
            logger.warning("feedback %s expired: %s (%s)", unit.unit_id, message, _describe_unit(unit))
        elif state == "REJECTED":
            logger.error("feedback %s rejected: %s: %s (%s)", unit.unit_id, reason, message, _describe_unit(unit))
        if pending.settled is not None and not pending.settled.done():
            pending.settled.set_result(state)


def tombstones(info: TraceInfo) -> frozenset[str]:
    """The ids of the feedback deleted from this trace."""
    return frozenset(key[len(TOMBSTONE_TAG_PREFIX) :] for key in info.tags if key.startswith(TOMBSTONE_TAG_PREFIX))


def _stored_feedback(info: TraceInfo) -> dict[str, Feedback]:
    return {a.assessment_id: a for a in info.assessments if isinstance(a, Feedback) and a.assessment_id}


def _group(pendings: Iterable[_Pending]) -> dict[str, list[_Pending]]:
    groups: dict[str, list[_Pending]] = {}
    for pending in pendings:
        groups.setdefault(pending.unit.trace_id, []).append(pending)
    return groups


def _with_defaults(write: dict[str, Any], unit: FeedbackUnit) -> dict[str, Any]:
    """A journaled write with the fields older journals lack."""
    return {"create_time_ms": int(unit.added * 1000), "overrides": None, **write}


def _vote(fields: dict[str, Any]) -> Vote:
    key = (
        None
        if CORRECTS_KEY in (fields["metadata"] or {})
        else vote_key(fields["span_id"], fields["name"], fields["source_type"], fields["source_id"])
    )
    return Vote(fields["assessment_id"], key, fields["create_time_ms"])


def _stored_vote(assessment: Feedback) -> Vote:
    corrects = (assessment.metadata or {}).get(CORRECTS_KEY)
    key = (
        None
        if corrects or assessment.error
        else vote_key(assessment.span_id, assessment.name, assessment.source.source_type, assessment.source.source_id)
    )
    return Vote(
        assessment.assessment_id or "",
        key,
        assessment.create_time_ms or 0,
        assessment.overrides,
        bool(assessment.valid),
    )


def _copy(assessment: Feedback) -> dict[str, Any]:
    """A stored feedback as a write that creates it again, the same in every field but `overrides`."""
    return {
        "assessment_id": assessment.assessment_id,
        "name": assessment.name,
        "value": assessment.value,
        "source_type": assessment.source.source_type,
        "source_id": assessment.source.source_id,
        "rationale": assessment.rationale,
        "metadata": dict(assessment.metadata or {}),
        "span_id": assessment.span_id,
        "create_time_ms": assessment.create_time_ms,
        "overrides": assessment.overrides,
    }


def _write(target: Target, feedback: FeedbackInput, index: int, received_ms: int) -> dict[str, Any]:
    """One assessment of a unit, as journaled (the trace id is the unit's)."""
    write = FeedbackWrite(
        trace_id="",
        assessment_id=_assessment_id(target, feedback.request_id, index),
        name=feedback.name,
        value=feedback.value,
        source_type=feedback.source_type,
        source_id=feedback.source_id or None,
        rationale=feedback.rationale or None,
        metadata=dict(feedback.metadata),
        span_id=feedback.span_id or None,
        create_time_ms=feedback.client_time_ms or received_ms,
        overrides=feedback.overrides or None,
    )
    fields = asdict(write)
    del fields["trace_id"]
    return fields


def _assessment_id(target: Target, request_id: str, index: int) -> str:
    """Fixed by (target, request_id, index); random without a request_id."""
    if not request_id:
        return "a-" + uuid.uuid4().hex
    addressed = target.trace_id or "client_request_id:" + target.client_request_id
    parts = (addressed, request_id) if index == 0 else (addressed, request_id, str(index))
    return "a-" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _settled_error(unit: FeedbackUnit, target: Target) -> Exception:
    """The error a waiting caller gets for a unit that will never be stored."""
    where = {"trace_id": unit.trace_id} if unit.trace_id else {"client_request_id": unit.client_request_id}
    if unit.state == "EXPIRED":
        return TraceNotFound(f"{_describe(target)} did not appear in MLflow within the attach window", **where)
    if unit.reason == "REQUEST_ID_REUSED":
        return RequestIdReused(f"request_id was already used for a different action on {_describe(target)}", **where)
    if unit.reason == "MLFLOW_REJECTED":
        return MlflowRejected(f"MLflow refused the trace of this feedback ({_describe(target)})", **where)
    return InvalidRequest([FieldViolation("", f"MLflow refused the feedback: {unit.reason}", "REFUSED_BY_MLFLOW")])


def _recorded(unit: FeedbackUnit) -> Recorded:
    return Recorded(
        trace_id=unit.trace_id,
        assessment_ids={w["name"]: w["assessment_id"] for w in unit.writes},
        state=unit.state,
        reason=unit.reason,
    )


def _describe(target: Target) -> str:
    return f"trace {target.trace_id}" if target.trace_id else f"client_request_id {target.client_request_id!r}"


def _describe_unit(unit: FeedbackUnit) -> str:
    names = ", ".join(w["name"] for w in unit.writes)
    return f"{names} on {_describe(Target(unit.trace_id, '' if unit.trace_id else unit.client_request_id))}"
