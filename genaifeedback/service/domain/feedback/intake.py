"""Intake: the feedback calls. Submit journals a call's feedback (idempotent by request_id) and
hands it to the attacher; status and resolve answer from this replica (and a shared journal, which
every replica reads alike), or else from MLflow."""

import asyncio
import contextlib
import hashlib
import time
import uuid

from mlflow.tracing.constant import TraceMetadataKey

from genaifeedback.service.domain.errors import (
    DeadlineTooShort,
    FeedbackNotFound,
    FieldViolation,
    InvalidRequest,
    JournalUnavailable,
    MlflowRejected,
    MlflowUnavailable,
    RequestIdReused,
    TraceNotFound,
)
from genaifeedback.service.domain.feedback import RESERVATION_UNIT_PREFIX, FeedbackInput, Recorded, Target
from genaifeedback.service.domain.feedback.parts import EngineParts, EngineRole
from genaifeedback.service.domain.feedback.trace_state import TraceState, tombstones
from genaifeedback.service.domain.ids import TRACE_ID_PATTERN, trace_start_seconds
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.storage.journal import FeedbackUnit
from genaifeedback.v1.errors_pb2 import FieldViolationReason

TRACE_USER_KEY = TraceMetadataKey.TRACE_USER  # mlflow.trace.user
MIN_ACK_SECONDS = 0.01  # below this much time left, a journaled answer could arrive after the deadline
# The contract's promise: wait_until_stored answers PENDING at least this long before the caller's
# deadline, so that the answer crosses a loaded network and event loop in time.
WAIT_MARGIN_SECONDS = 1.0
FOLLOW_SECONDS = 0.2  # how often a wait for a unit another replica holds reads its state


class FeedbackIntake(EngineRole):
    def __init__(self, parts: EngineParts, max_chat_seconds: float, max_wait_seconds: float):
        super().__init__(parts)
        self._max_chat_seconds = max_chat_seconds
        self._max_wait_seconds = max_wait_seconds

    async def submit(
        self, target: Target, feedbacks: list[FeedbackInput], wait: bool, deadline: float | None
    ) -> Recorded:
        """Journal one call's feedback (one assessment each, all or none); optionally wait for MLflow."""
        if deadline is not None and deadline - time.monotonic() < MIN_ACK_SECONDS:
            # An error status must mean "not recorded": refuse before journaling, not after.
            raise DeadlineTooShort("the call's deadline leaves too little time to record the feedback durably")
        if not self._journal.available:  # acknowledged means committed: refuse what cannot be
            raise JournalUnavailable("the journal (PostgreSQL) cannot be reached; retry later with the same request_id")
        received_ms = int(time.time() * 1000)
        trace_id = target.trace_id or await self._trace_id_for(target.client_request_id) or ""
        writes = [_write(target, trace_id, feedback, index, received_ms) for index, feedback in enumerate(feedbacks)]
        if target.trace_id:
            await self._refuse_unknown_trace(target.trace_id)
        unit = FeedbackUnit(
            unit_id=writes[0].assessment_id,
            trace_id=trace_id,
            client_request_id=target.client_request_id,
            writes=writes,
            expires=time.time() + self._window,
        )
        journaled = await self._journal.add_feedback(unit)
        if journaled is not unit:
            if not journaled.same_action(unit):
                raise RequestIdReused(
                    f"request_id was already used for a different action on {target.describe()}",
                    **_where(target.trace_id, target.client_request_id),
                )
            # A retry: the first delivery's unit answers (the live one, if it is still on its way).
            pending = self._attacher.get(journaled.unit_id)
            unit = pending.unit if pending else await self._with_deletions(journaled)
        else:
            self._attacher.add(unit)
        if wait and unit.state == "PENDING":
            # Without a deadline (grpcurl without -max-time; gRPC Python keeps a service config's
            # timeout to itself) the service's own cap, never the whole attach window.
            wait_seconds = (
                self._max_wait_seconds if deadline is None else deadline - time.monotonic() - WAIT_MARGIN_SECONDS
            )
            if self._attacher.get(unit.unit_id) is not None:
                await self._attacher.wait_settled(unit.unit_id, wait_seconds)
            else:
                unit = await self._wait_elsewhere(unit, wait_seconds)
        if unit.state in ("EXPIRED", "REJECTED"):  # known now never to be stored: say so
            raise _settled_error(unit, target)
        return _recorded(unit)

    async def reserve_later(self, trace_id: str, assessment_ids: list[str]) -> None:
        """Journal the reservation of deleted ids that MLflow refused for now: delivery retries it."""
        writes = [
            FeedbackWrite(trace_id, i, "reserve the deleted id", None, "CODE", None, None, metadata={}, span_id=None)
            for i in assessment_ids
        ]
        unit = FeedbackUnit(
            RESERVATION_UNIT_PREFIX + uuid.uuid4().hex, trace_id, "", writes, expires=time.time() + self._window
        )
        await self._journal.add_feedback(unit)
        self._attacher.add(unit)

    async def _trace_id_for(self, client_request_id: str) -> str | None:
        """The trace of a client_request_id on its way to MLflow: run here, or journaled by another
        replica (a shared journal)."""
        if not client_request_id:
            return None
        return self._inflight.trace_id_for(client_request_id) or await self._journal.journaled_trace_id(
            client_request_id
        )

    async def _wait_elsewhere(self, unit: FeedbackUnit, wait_seconds: float) -> FeedbackUnit:
        """A retry of a unit another replica holds (a shared journal): follow its state there."""
        deadline = time.monotonic() + wait_seconds
        while unit.state == "PENDING" and time.monotonic() + FOLLOW_SECONDS < deadline:
            await asyncio.sleep(FOLLOW_SECONDS)  # its holder settles it in the table, not here
            unit = await self._journal.feedback(unit.unit_id) or unit
        return await self._with_deletions(unit)

    async def status(self, target: Target, assessment_id: str) -> Recorded:
        """What became of a unit (by its first assessment id), here or, failing that, in MLflow."""
        pending = self._attacher.get(assessment_id)
        unit = pending.unit if pending else await self._journal.feedback(assessment_id)
        if unit is not None:
            return _recorded(await self._with_deletions(unit))
        trace_id = target.trace_id or await self._trace_id_for(target.client_request_id) or ""
        info = (await self._gateway.trace_infos([trace_id])).get(trace_id) if trace_id else None
        if info is not None:  # another replica's, or settled here past the retention
            state = TraceState.of(info)
            if assessment_id in state.deleted:  # tombstones first, as GetFeedback and every write
                return Recorded(trace_id, {}, "DELETED")
            stored = state.feedback.get(assessment_id)
            if stored is not None:
                return Recorded(trace_id, {stored.name: assessment_id}, "STORED")
        raise FeedbackNotFound(
            f"no feedback {assessment_id} is known on {target.describe()}: not journaled here, not in MLflow",
            assessment_id=assessment_id,
        )

    async def resolve(self, target: Target) -> str:
        """The trace id of a target, or TraceNotFound."""
        trace_id = target.trace_id or await self._trace_id_for(target.client_request_id)
        if not trace_id:
            trace_id = await self._gateway.find_trace_by_client_request_id(target.client_request_id)
        if not trace_id:
            raise TraceNotFound(f"no trace has client_request_id {target.client_request_id!r}", **vars(target))
        return trace_id

    async def known_trace(self, target: Target) -> tuple[str, str]:
        """(trace id, its end user or "") of a trace in flight here or stored in MLflow; else
        TraceNotFound (MlflowUnavailable when MLflow cannot tell)."""
        trace_id = await self.resolve(target)
        if self._inflight.awaiting_export(trace_id):
            return trace_id, self._inflight.user_of(trace_id)
        info = (await self._gateway.trace_infos([trace_id])).get(trace_id)
        if info is None:
            raise TraceNotFound(f"trace {trace_id} not found", trace_id=trace_id)
        return trace_id, info.trace_metadata.get(TRACE_USER_KEY, "")

    def assessment_id_for(self, target: Target, request_id: str) -> str:
        """The id of the first assessment a call with this request_id made (or makes) on the target."""
        return derived_assessment_id(target, request_id, 0)

    async def _with_deletions(self, unit: FeedbackUnit) -> FeedbackUnit:
        """A stored unit, checked against the trace's tombstones (as GetFeedback and every write
        are): if all its feedback was deleted since, it is DELETED, and journaled so."""
        if unit.state != "STORED":
            return unit
        with contextlib.suppress(MlflowUnavailable):  # cannot tell now: the journal answers
            info = (await self._gateway.trace_infos([unit.trace_id])).get(unit.trace_id)
            if info is not None and all(w.assessment_id in tombstones(info) for w in unit.writes):
                unit.state = "DELETED"
                await self._journal.update_feedback(unit)
        return unit

    async def _refuse_unknown_trace(self, trace_id: str) -> None:
        """Refuse at once a trace id that is no trace of ours on its way and is not in MLflow."""
        if self._inflight.awaiting_export(trace_id) or self._states.in_mlflow(trace_id):
            return
        if self._may_still_arrive(trace_id):
            return  # another replica may still be exporting it: the attacher will look
        if await self._journal.trace_journaled(trace_id):
            return  # another replica journaled it (a shared journal): on its way to MLflow
        try:
            info = (await self._gateway.trace_infos([trace_id])).get(trace_id)
        except MlflowUnavailable:
            return  # cannot tell now: journal it, and let the window decide
        if info is None:
            raise TraceNotFound(f"trace {trace_id} not found", trace_id=trace_id)
        self._states.read(TraceState.of(info))  # the first round writes from it without reading

    def _may_still_arrive(self, trace_id: str) -> bool:
        """Whether the id is one of ours, minted recently enough that its chat may be in flight."""
        if not TRACE_ID_PATTERN.fullmatch(trace_id):
            return False
        started_ago = time.time() - trace_start_seconds(trace_id)
        return -60 < started_ago < self._max_chat_seconds + 60


def derived_assessment_id(target: Target, request_id: str, index: int) -> str:
    """Fixed by (target, request_id, index); random without a request_id."""
    if not request_id:
        return "a-" + uuid.uuid4().hex
    addressed = target.trace_id or "client_request_id:" + target.client_request_id
    parts = (addressed, request_id) if index == 0 else (addressed, request_id, str(index))
    return "a-" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _write(target: Target, trace_id: str, feedback: FeedbackInput, index: int, received_ms: int) -> FeedbackWrite:
    """One assessment of a unit (on its trace, once known)."""
    return FeedbackWrite(
        trace_id=trace_id,
        assessment_id=derived_assessment_id(target, feedback.request_id, index),
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


def _where(trace_id: str, client_request_id: str) -> dict[str, str]:
    return {"trace_id": trace_id} if trace_id else {"client_request_id": client_request_id}


def _settled_error(unit: FeedbackUnit, target: Target) -> Exception:
    """The error a waiting caller gets for a unit that will never be stored."""
    where = _where(unit.trace_id, unit.client_request_id)
    if unit.state == "EXPIRED":
        return TraceNotFound(f"{target.describe()} did not appear in MLflow within the attach window", **where)
    if unit.reason == RequestIdReused.reason:
        return RequestIdReused(f"request_id was already used for a different action on {target.describe()}", **where)
    if unit.reason == MlflowRejected.reason:
        return MlflowRejected(f"MLflow refused the trace of this feedback ({target.describe()})", **where)
    return InvalidRequest(
        [FieldViolation.of("", f"MLflow refused the feedback: {unit.reason}", FieldViolationReason.REFUSED_BY_MLFLOW)]
    )


def _recorded(unit: FeedbackUnit) -> Recorded:
    return Recorded(
        trace_id=unit.trace_id,
        assessment_ids={w.name: w.assessment_id for w in unit.writes},
        state=unit.state,
        reason=unit.reason,
    )
