"""Reading stored feedback back, and deleting it for good (one vote, a trace's, or a source's).

Deletion is final. The id of every feedback deleted is first written as a tombstone tag on its
trace (what readers and statuses go by), then the assessment is deleted, then its id is reserved
in MLflow (egress/mlflow/reservations.py): MLflow refuses to create it again, so a late retry of
the same request_id, or a delivery still journaled on any replica, settles as DELETED without
reading anything, and a copy a racing delivery wrote between the delete and the reservation is
deleted by the reservation itself. If MLflow refuses creates just then, the reservation is
journaled and placed once it takes them again; this replica's own pending feedback of those ids is
settled DELETED at once. Tombstones and reservations are kept for good: one row per
deleted feedback is cheap, and no horizon is safe for a replica that was down.
"""

import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from mlflow.entities import Feedback, TraceInfo

from genaifeedback.service.domain.errors import (
    FeedbackNotFound,
    FieldViolation,
    InvalidRequest,
    MlflowUnavailable,
    TraceNotFound,
)
from genaifeedback.service.domain.feedback import TOMBSTONE_TAG_PREFIX, FeedbackInput, Recorded, Target
from genaifeedback.service.domain.feedback.attacher import Attacher
from genaifeedback.service.domain.feedback.intake import FeedbackIntake
from genaifeedback.service.domain.feedback.markers import FeedbackMarkers
from genaifeedback.service.domain.feedback.trace_state import TraceState
from genaifeedback.service.domain.records import ScannedTrace
from genaifeedback.service.domain.submission import FeedbackSubmission
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.mlflow.selection import TraceSelection

SOURCE_SEARCH_DAYS = 30  # ListFeedback by source searches this far back unless told otherwise
PROGRESS_EVERY = 500  # EraseFeedbackBySource reports its progress after this many traces


@dataclass(frozen=True)
class FeedbackRead:
    """One stored feedback as read back, with what replaced it."""

    assessment_id: str
    feedback: Feedback
    overridden_by: str  # the assessment that replaced it, or ""


@dataclass(frozen=True)
class ListQuery:
    target: Target | None  # one trace, or else:
    source_id: str
    name: str
    start_ms: int | None
    end_ms: int | None
    include_history: bool
    page_size: int
    page_token: str


@dataclass(frozen=True)
class ErasureProgress:
    traces_scanned: int
    feedback_deleted: int
    traces_changed: int
    done: bool


# Builds a correction of the feedback (trace id, name) it corrects: checked against that name's schema.
Correction = Callable[[str, str], tuple[Target, FeedbackInput]]


class FeedbackCuration:
    def __init__(
        self, gateway: MlflowGateway, intake: FeedbackIntake, attacher: Attacher, submission: FeedbackSubmission
    ):
        self._gateway = gateway
        self._intake = intake
        self._attacher = attacher  # feedback journaled and not yet written is deleted too
        self._submission = submission
        self._markers = FeedbackMarkers(gateway)

    async def correct(
        self, target: Target, assessment_id: str, correction: Correction, wait: bool, deadline: float | None
    ) -> Recorded:
        """Replace a stored feedback's value: read it, build its correction, record that."""
        corrected = (await self.get(target, assessment_id)).feedback
        trace, feedback = correction(corrected.trace_id or "", corrected.name)
        return await self._submission.submit(trace, [feedback], wait, deadline)

    async def get(self, target: Target, assessment_id: str) -> FeedbackRead:
        info = await self._info(target)
        for stored in _records(info):
            if stored.assessment_id == assessment_id:
                return stored
        raise FeedbackNotFound(f"no feedback {assessment_id} on trace {info.trace_id}", assessment_id=assessment_id)

    async def list_feedback(self, query: ListQuery) -> tuple[list[FeedbackRead], str]:
        """One page, and the token of the next ("" on the last): of one trace's feedback, or of a
        source's on the experiment's traces in the time range (from where the last page ended)."""
        place = _Place.decode(query.page_token)
        if query.target is not None:
            one = await self._info(query.target)
            traces = _one(one.trace_id, one.timestamp_ms, one)
        else:
            start_ms = query.start_ms if query.start_ms is not None else _days_ago_ms(SOURCE_SEARCH_DAYS)
            walk = TraceSelection(max(start_ms, place.timestamp_ms), query.end_ms)
            traces = self._walk(walk, _gave(query.source_id, ""))
        found: list[FeedbackRead] = []
        async for trace_id, timestamp_ms, info in traces:
            if place.passed(trace_id, timestamp_ms):
                continue
            matching = [r for r in _records(info) if _listed(r, query)][place.skip(trace_id) :] if info else []
            room = query.page_size - len(found)
            if matching and not room:  # the page is full, and there is more
                return found, place.encode()
            found += matching[:room]
            if len(matching) > room:  # the page ends inside this trace's feedback
                return found, place.within(trace_id, timestamp_ms, room).encode()
            place = place.after(trace_id, timestamp_ms)
        return found, ""

    async def delete(self, target: Target, assessment_id: str) -> tuple[str, list[str]]:
        """Delete one feedback with its whole history, or (no id) every feedback on the trace."""
        state = TraceState.of(await self._info(target))
        if not assessment_id:
            doomed = set(state.feedback) | await self._attacher.pending_ids(state.trace_id)
        elif assessment_id in state.feedback:
            doomed = _chain_of(assessment_id, state.feedback.values())
        elif assessment_id in state.deleted:
            doomed = set()  # deleted already (a retry: the marker is looked at again all the same)
        else:
            doomed = {assessment_id}  # not stored yet: its tombstone stops its delivery, on any replica
        deleted = await self._delete(state, doomed) if doomed else []
        await self._markers.after_deletion(state, doomed)
        return state.trace_id, deleted

    async def erase_source(self, source_id: str, source_type: str) -> AsyncIterator[ErasureProgress]:
        """Delete every feedback a source gave, on every trace of the experiment."""
        scanned = deleted = changed = 0
        gave = _gave(source_id, source_type)
        pending = await self._attacher.traces_with_pending()  # maybe this source's: looked at below

        def wanted(trace: ScannedTrace) -> bool:
            return gave(trace) or trace.trace_id in pending

        async for _, _, info in self._walk(TraceSelection(), wanted):
            scanned += 1
            if info is not None:
                state = TraceState.of(info)
                doomed = {
                    i
                    for i, feedback in state.feedback.items()
                    if feedback.source.source_id == source_id
                    and (not source_type or feedback.source.source_type == source_type)
                }
                doomed |= await self._attacher.pending_ids(info.trace_id, source_id, source_type)
                if doomed:
                    deleted += len(await self._delete(state, doomed))
                    await self._markers.after_deletion(state, doomed)
                    changed += 1
            if scanned % PROGRESS_EVERY == 0:
                yield ErasureProgress(scanned, deleted, changed, done=False)
        yield ErasureProgress(scanned, deleted, changed, done=True)

    async def _walk(
        self, selection: TraceSelection, wanted: Callable[[ScannedTrace], bool]
    ) -> AsyncIterator[tuple[str, int, TraceInfo | None]]:
        """(trace id, start time, info when wanted) of each selected trace, oldest first."""
        async for trace, info in self._gateway.scan_trace_infos(selection, wanted):
            yield trace.trace_id, trace.timestamp_ms, info

    async def _delete(self, state: TraceState, doomed: set[str]) -> list[str]:
        """Tombstone, delete oldest first (deleting a vote revives the one it overrides, unless that
        one is gone already), then reserve each id: MLflow refuses a delivery of it from then on."""
        now = str(int(time.time() * 1000))
        for assessment_id in sorted(doomed - state.deleted):
            await self._gateway.set_trace_tag(state.trace_id, TOMBSTONE_TAG_PREFIX + assessment_id, now)
        in_mlflow = sorted(
            (state.feedback[i] for i in doomed if i in state.feedback),
            key=lambda f: (f.create_time_ms or 0, f.assessment_id or ""),
        )
        for feedback in in_mlflow:
            await self._gateway.delete_feedback(state.trace_id, feedback.assessment_id or "")
        deleted = sorted(doomed - state.deleted | {f.assessment_id or "" for f in in_mlflow})
        await self._attacher.settle_deleted(state.trace_id, doomed)
        unreserved = []
        for assessment_id in deleted:
            try:
                await self._gateway.reserve_deleted_id(state.trace_id, assessment_id)
            except MlflowUnavailable:  # MLflow takes tags and deletes but no creates now: journal it
                unreserved.append(assessment_id)
        if unreserved:
            await self._intake.reserve_later(state.trace_id, unreserved)
        return deleted

    async def _info(self, target: Target) -> TraceInfo:
        trace_id = await self._intake.resolve(target)
        infos = await self._gateway.trace_infos([trace_id])
        if trace_id not in infos:
            raise TraceNotFound(f"trace {trace_id} is not in MLflow", trace_id=trace_id)
        return infos[trace_id]


def _records(info: TraceInfo) -> list[FeedbackRead]:
    """The trace's feedback, oldest first, each with what replaced it."""
    feedback = [a for a in info.assessments if isinstance(a, Feedback) and a.assessment_id]
    replaced_by = {f.overrides: f.assessment_id or "" for f in feedback if f.overrides}
    feedback.sort(key=lambda f: (f.create_time_ms or 0, f.assessment_id or ""))
    return [FeedbackRead(f.assessment_id or "", f, replaced_by.get(f.assessment_id or "", "")) for f in feedback]


def _listed(record: FeedbackRead, query: ListQuery) -> bool:
    feedback = record.feedback
    created = feedback.create_time_ms or 0
    return (
        (query.include_history or bool(feedback.valid))
        and (not query.name or feedback.name == query.name)
        and (not query.source_id or feedback.source.source_id == query.source_id)
        and (query.start_ms is None or created >= query.start_ms)
        and (query.end_ms is None or created < query.end_ms)
    )


def _chain_of(assessment_id: str, feedback: Iterable[Feedback]) -> set[str]:
    """Every feedback linked to this one by `overrides`, either way: all versions of one vote."""
    neighbours: dict[str, set[str]] = {}
    for f in feedback:
        if f.overrides and f.assessment_id:
            neighbours.setdefault(f.assessment_id, set()).add(f.overrides)
            neighbours.setdefault(f.overrides, set()).add(f.assessment_id)
    chain, frontier = {assessment_id}, [assessment_id]
    while frontier:
        for other in neighbours.get(frontier.pop(), ()):
            if other not in chain:
                chain.add(other)
                frontier.append(other)
    return chain


async def _one(trace_id: str, timestamp_ms: int, info: TraceInfo) -> AsyncIterator[tuple[str, int, TraceInfo | None]]:
    yield trace_id, timestamp_ms, info


def _gave(source_id: str, source_type: str) -> Callable[[ScannedTrace], bool]:
    """Whether a trace holds feedback from this source (of this type, if given)."""
    return lambda trace: any(
        given_id == source_id and (not source_type or given_type == source_type)
        for given_type, given_id in trace.sources
    )


def _days_ago_ms(days: int) -> int:
    return int((time.time() - days * 86_400) * 1000)


@dataclass(frozen=True)
class _Place:
    """Where a listing stopped (its page token): the start time of the last trace it reached, the
    traces of that millisecond it listed in full, and how much of one more (`partial`) it listed."""

    timestamp_ms: int = 0
    done: tuple[str, ...] = ()
    partial: tuple[str, int] = ("", 0)  # (trace id, feedback listed)

    def passed(self, trace_id: str, timestamp_ms: int) -> bool:
        return timestamp_ms == self.timestamp_ms and trace_id in self.done

    def skip(self, trace_id: str) -> int:
        return self.partial[1] if trace_id == self.partial[0] else 0

    def after(self, trace_id: str, timestamp_ms: int) -> "_Place":
        done = self.done if timestamp_ms == self.timestamp_ms else ()
        return _Place(timestamp_ms, (*done, trace_id))

    def within(self, trace_id: str, timestamp_ms: int, more: int) -> "_Place":
        done = self.done if timestamp_ms == self.timestamp_ms else ()
        return _Place(timestamp_ms, done, (trace_id, self.skip(trace_id) + more))

    def encode(self) -> str:
        fields = [self.timestamp_ms, list(self.done), list(self.partial)]
        return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()

    @classmethod
    def decode(cls, token: str) -> "_Place":
        if not token:
            return cls()
        try:
            timestamp_ms, done, (trace_id, listed) = json.loads(base64.urlsafe_b64decode(token.encode()))
            fields = (timestamp_ms, listed, *done, trace_id)
            if all(isinstance(f, int) for f in fields[:2]) and all(isinstance(f, str) for f in fields[2:]):
                return cls(timestamp_ms, tuple(done), (trace_id, listed))
        except (ValueError, TypeError):
            pass
        raise InvalidRequest([FieldViolation("page_token", "is not a token this service gave", "INVALID_FORMAT")])
