"""Feedback: find the trace, then write the assessment once, however often the request comes.

Idempotency (AIP-155) costs no extra MLflow call on the first delivery: the assessment id is
derived from (trace, request_id) (random, without a request_id, but fixed for the call's own
retries), and MLflow refuses a second assessment with the same id. A request_id names one action
on one trace, so reusing it for anything else meets the first action's assessment: ALREADY_EXISTS.
Only when a write fails does the service read the assessment back, to tell a retry of a feedback
already stored (answered with the same id) from a real failure (UNAVAILABLE, nothing stored).
"""

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from genaifeedback.service.errors import MlflowUnavailable, RequestIdReused, TraceNotFound
from genaifeedback.service.ids import TRACE_ID_PATTERN, trace_start_seconds
from genaifeedback.service.mlflow_store import FeedbackWrite, MlflowStore, TraceExporter

DEFAULT_FEEDBACK_NAME = "user_feedback"


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


class FeedbackRecorder:
    def __init__(self, store: MlflowStore, exporter: TraceExporter, trace_arrival_timeout_seconds: float, max_chat_seconds: float):
        self._store = store
        self._exporter = exporter
        self._arrival_timeout = trace_arrival_timeout_seconds
        self._max_chat_seconds = max_chat_seconds

    async def submit(self, target: Target, feedback: FeedbackInput, deadline: float | None) -> tuple[str, str]:
        """Record one feedback; returns (trace_id, assessment_id)."""
        trace_id = await self._resolve(target, deadline)
        write = _write_for(trace_id, feedback)
        await self._write_once(write, deadline)
        return trace_id, write.assessment_id

    async def submit_ratings(
        self, target: Target, ratings: dict[str, int], common: FeedbackInput, deadline: float | None
    ) -> tuple[str, dict[str, str]]:
        """Record one assessment per dimension: all of them, or (as far as MLflow lets us) none."""
        trace_id = await self._resolve(target, deadline)
        # One request id for the set, so a retry finds every dimension it already wrote.
        common = replace(common, request_id=common.request_id or uuid.uuid4().hex)
        # Sorted, so a retry that lists the dimensions in another order is the same action.
        writes = [
            _write_for(trace_id, replace(common, name=name, value=score), index)
            for index, (name, score) in enumerate(sorted(ratings.items()))
        ]
        outcomes = await asyncio.gather(*(self._write_once(w, deadline) for w in writes), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            created = [w for w, outcome in zip(writes, outcomes) if outcome == "created"]
            await asyncio.gather(*(self._store.delete_feedback(trace_id, w.assessment_id) for w in created), return_exceptions=True)
            raise failures[0]
        return trace_id, {w.name: w.assessment_id for w in writes}

    async def _resolve(self, target: Target, deadline: float | None) -> str:
        trace_id = target.trace_id
        if not trace_id:
            trace_id = self._exporter.trace_id_for(target.client_request_id) or await self._search(target.client_request_id, deadline)
        # A chat of this replica that is still streaming or on its way to MLflow: wait for it.
        await self._exporter.wait_stored(
            trace_id,
            timeout_seconds=_remaining(deadline, self._arrival_timeout),
            chat_timeout_seconds=_remaining(deadline, self._max_chat_seconds + self._arrival_timeout),
        )
        return trace_id

    async def _search(self, client_request_id: str, deadline: float | None) -> str:
        give_up = time.monotonic() + self._arrival_timeout
        for pause in _backoff():
            trace_id = await self._store.find_trace_by_client_request_id(client_request_id)
            if trace_id:
                return trace_id
            # Another replica may still be exporting it.
            if not _can_wait(pause, give_up, deadline):
                raise TraceNotFound(
                    f"no trace has client_request_id {client_request_id!r}", client_request_id=client_request_id
                )
            await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _write_once(self, write: FeedbackWrite, deadline: float | None) -> Literal["created", "existing"]:
        arrival_deadline = None
        transient_retries = 2
        for pause in _backoff():
            try:
                await self._store.create_feedback(write)
                return "created"
            except TraceNotFound:
                if arrival_deadline is None:
                    arrival_deadline = self._arrival_deadline(write.trace_id)
                if not _can_wait(pause, arrival_deadline, deadline):
                    raise TraceNotFound(f"trace {write.trace_id} not found", trace_id=write.trace_id) from None
                await asyncio.sleep(pause)
            except MlflowUnavailable:
                # Maybe an earlier delivery of this request stored it already (then MLflow refuses
                # the duplicate id); maybe MLflow is down. Reading it back tells which.
                stored = await self._store.get_feedback(write.trace_id, write.assessment_id)
                if stored is None:
                    # MLflow answers but has not got it: a dropped connection. The assessment id is
                    # fixed, so writing again cannot store it twice.
                    transient_retries -= 1
                    if transient_retries < 0 or not _can_wait(pause, float("inf"), deadline):
                        raise
                    await asyncio.sleep(pause)
                    continue
                if not write.matches(stored):
                    raise RequestIdReused(
                        f"request_id was already used for a different action on trace {write.trace_id}",
                        trace_id=write.trace_id,
                    ) from None
                return "existing"
        raise AssertionError("unreachable")

    def _arrival_deadline(self, trace_id: str) -> float:
        """Until when a trace nobody here knows might still appear (in time.monotonic terms)."""
        if not TRACE_ID_PATTERN.match(trace_id):
            return 0.0
        started_ago = time.time() - trace_start_seconds(trace_id)
        if not -60 < started_ago < self._max_chat_seconds + self._arrival_timeout:
            return 0.0  # not one of ours, or too old to be still on its way
        return time.monotonic() + min(self._arrival_timeout, self._max_chat_seconds + self._arrival_timeout - started_ago)


def _write_for(trace_id: str, feedback: FeedbackInput, index: int = 0) -> FeedbackWrite:
    """The assessment to write; `index` tells apart the assessments of one action (ratings)."""
    if feedback.request_id:
        parts = (trace_id, feedback.request_id) if index == 0 else (trace_id, feedback.request_id, str(index))
        key = "\x00".join(parts).encode()
        assessment_id = "a-" + hashlib.sha256(key).hexdigest()[:32]
    else:
        assessment_id = "a-" + uuid.uuid4().hex
    return FeedbackWrite(
        trace_id=trace_id,
        assessment_id=assessment_id,
        name=feedback.name,
        value=feedback.value,
        source_type=feedback.source_type,
        source_id=feedback.source_id or None,
        rationale=feedback.rationale or None,
        metadata=dict(feedback.metadata),
        span_id=feedback.span_id or None,
    )


def _backoff():
    pause = 0.05
    while True:
        yield pause
        pause = min(pause * 2, 1.0)


def _remaining(deadline: float | None, cap: float) -> float:
    return cap if deadline is None else max(0.0, min(cap, deadline - time.monotonic()))


def _can_wait(pause: float, until: float, deadline: float | None) -> bool:
    wake = time.monotonic() + pause
    if deadline is not None and wake >= deadline:
        return False
    return wake < until
