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

from genaifeedback.service.errors import (
    DeadlineTooShort,
    FeedbackNotFound,
    FieldViolation,
    InvalidRequest,
    MlflowRejected,
    MlflowUnavailable,
    RequestIdReused,
    TraceNotFound,
)
from genaifeedback.service.exporter import TraceExporter
from genaifeedback.service.ids import TRACE_ID_PATTERN, trace_start_seconds
from genaifeedback.service.journal import FeedbackState, FeedbackUnit, Journal
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.mlflow_gateway import FeedbackWrite, MlflowGateway
from genaifeedback.service.retry import Backoff

logger = logging.getLogger(__name__)

DEFAULT_FEEDBACK_NAME = "user_feedback"
MIN_ACK_SECONDS = 0.01  # below this much time left, a journaled answer could arrive after the deadline
ROUND_SECONDS = 0.25  # how often pending feedback looks for its traces, at most
MAX_CONCURRENT_WRITES = 16


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


@dataclass(frozen=True)
class Recorded:
    """What a caller is told about a unit."""

    trace_id: str  # empty while a client_request_id target is unresolved
    assessment_ids: dict[str, str]  # feedback name -> assessment id
    state: FeedbackState
    reason: str = ""  # an ErrorReason, for EXPIRED and REJECTED
    message: str = ""


@dataclass
class _Pending:
    unit: FeedbackUnit
    next_try: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(initial=ROUND_SECONDS, maximum=5.0))
    settled: asyncio.Future[FeedbackState] | None = None


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
        self._writes = asyncio.Semaphore(MAX_CONCURRENT_WRITES)
        self._task: asyncio.Task[None] | None = None
        self._known_traces: OrderedDict[str, None] = OrderedDict()  # seen in MLflow lately
        exporter.when_settled(self._traces_settled)

    def start(self, replayed: list[FeedbackUnit]) -> None:
        for unit in replayed:
            self._pending[unit.unit_id] = _Pending(unit)
        if replayed:
            logger.info("replaying %d journaled feedback units not yet in MLflow", len(replayed))
        self._task = asyncio.create_task(self._attach_forever(), name="feedback-attacher")

    async def close(self, timeout_seconds: float) -> None:
        """Attach what can be attached within timeout_seconds; the rest stays journaled."""
        deadline = time.monotonic() + timeout_seconds
        while self._pending and time.monotonic() < deadline:
            self._wakeup.set()
            await asyncio.sleep(0.05)  # the attacher's rounds are what drains it
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
        writes = [_write(target, feedback, index) for index, feedback in enumerate(feedbacks)]
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
        else:
            self._pending[unit.unit_id] = _Pending(unit)
            self._wakeup.set()
        if wait and unit.state == "PENDING":
            await self._wait_settled(unit.unit_id, deadline)
        if unit.state in ("EXPIRED", "REJECTED"):  # known now never to be stored: say so
            raise _settled_error(unit, target)
        return _recorded(unit)

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
        self._remember(found)

    def _in_mlflow(self, trace_id: str) -> bool:
        return trace_id in self._known_traces or self._exporter.was_stored(trace_id)

    def _remember(self, trace_ids: Iterable[str]) -> None:
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
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), ROUND_SECONDS)
            self._wakeup.clear()
            try:
                await self._prune()
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("feedback attach round failed; retrying")
                await asyncio.sleep(1.0)

    async def _prune(self) -> None:
        """Forget settled units past the retention (GetFeedbackStatus answers from MLflow then)."""
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + 60
            await self._journal.forget_settled_feedback(time.time() - self._retention)

    async def _round(self) -> None:
        now = time.time()
        due = [p for p in self._pending.values() if p.next_try <= time.monotonic()]
        for pending in due:
            if pending.unit.expires <= now:
                await self._settle(pending, "EXPIRED", "TRACE_NOT_FOUND", "no trace appeared within the attach window")
            elif pending.unit.reason == "MLFLOW_REJECTED":  # its trace was refused: it can never attach
                await self._settle(pending, "REJECTED", "MLFLOW_REJECTED", "MLflow refused the trace it is for")
        due = [p for p in due if p.unit.unit_id in self._pending]
        await self._resolve_client_request_ids([p for p in due if not p.unit.trace_id])
        ready = [p for p in due if p.unit.trace_id and not self._exporter.is_local_and_unstored(p.unit.trace_id)]
        unknown = sorted({p.unit.trace_id for p in ready if not self._in_mlflow(p.unit.trace_id)})
        try:
            found = await self._gateway.existing_traces(unknown) if unknown else set()
        except MlflowUnavailable as error:
            self._metrics.mlflow_errors.labels(call="lookup", kind="unavailable").inc()
            logger.warning("cannot look up %d traces for pending feedback: %s", len(unknown), error)
            self._later(ready)
            return
        self._remember(found)
        writable = [p for p in ready if self._in_mlflow(p.unit.trace_id)]
        self._later(p for p in ready if p not in writable)
        await asyncio.gather(*(self._deliver(p) for p in writable))

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

    async def _deliver(self, pending: _Pending) -> None:
        unit = pending.unit
        try:
            async with self._writes:
                for write in unit.writes:
                    await self._write_once(FeedbackWrite(trace_id=unit.trace_id, **write))
        except (TraceNotFound, MlflowUnavailable) as error:
            self._metrics.mlflow_errors.labels(call="create_assessment", kind=type(error).__name__).inc()
            self._later([pending])
            return
        except (RequestIdReused, InvalidRequest) as error:
            await self._settle(pending, "REJECTED", error.reason, error.message)
            return
        await self._settle(pending, "STORED")

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
        self._metrics.feedback_settled.labels(state=state).inc()
        if state == "EXPIRED":
            logger.warning("feedback %s expired: %s (%s)", unit.unit_id, message, _describe_unit(unit))
        elif state == "REJECTED":
            logger.error("feedback %s rejected: %s: %s (%s)", unit.unit_id, reason, message, _describe_unit(unit))
        if pending.settled is not None and not pending.settled.done():
            pending.settled.set_result(state)


def _write(target: Target, feedback: FeedbackInput, index: int) -> dict[str, Any]:
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
