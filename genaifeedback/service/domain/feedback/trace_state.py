"""What MLflow holds for the traces feedback goes to, as last read (with this replica's writes
since): each trace's feedback and tombstones, and which traces are known to be in MLflow at all.
Both are caches: a stale view costs a write MLflow refuses, or a chain repair that the next
read-back triggers."""

import copy
from dataclasses import dataclass, field, replace

from mlflow.entities import Feedback, TraceInfo

from genaifeedback.service.domain.feedback import CORRECTS_KEY, TOMBSTONE_TAG_PREFIX
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.lru import BoundedLru
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX
from genaifeedback.service.domain.votes import Vote, vote_key

MAX_CACHED_TRACE_STATES = 10_000
MAX_REMEMBERED_TRACES = 100_000  # trace ids seen in MLflow lately
# On every trace that holds current feedback (markers.py): what lets MLflow count those traces.
FEEDBACK_MARKER_TAG = RESERVED_METADATA_PREFIX + "has_feedback"
MARKED = "true"


@dataclass(frozen=True)
class TraceState:
    """A trace's feedback, tombstones and feedback marker, as last read from MLflow (or assumed:
    none yet)."""

    trace_id: str
    feedback: dict[str, Feedback] = field(default_factory=dict)
    deleted: frozenset[str] = frozenset()
    marked: bool = False

    @classmethod
    def of(cls, info: TraceInfo) -> "TraceState":
        stored = {a.assessment_id: a for a in info.assessments if isinstance(a, Feedback) and a.assessment_id}
        return cls(info.trace_id, stored, tombstones(info), info.tags.get(FEEDBACK_MARKER_TAG) == MARKED)

    @property
    def holds_feedback(self) -> bool:
        """Whether any feedback here is current (a judge's failure is not feedback)."""
        return any(f.valid is not False and not f.error for f in self.feedback.values())

    def created(self, write: FeedbackWrite) -> "TraceState":
        """This state after MLflow created the write (which makes the one it overrides not valid)."""
        return replace(
            self, feedback=_valid(self.feedback, write.overrides, False) | {write.assessment_id: write.to_feedback()}
        )

    def removed(self, assessment_id: str) -> "TraceState":
        """This state after MLflow deleted the assessment (which makes the one it overrode valid again)."""
        gone = self.feedback.get(assessment_id)
        if gone is None:
            return self
        left = {i: f for i, f in self.feedback.items() if i != assessment_id}
        return replace(self, feedback=_valid(left, gone.overrides, True))


def _valid(feedback: dict[str, Feedback], assessment_id: str | None, valid: bool) -> dict[str, Feedback]:
    """The feedback with that one's valid flag set (a copy: states are shared)."""
    if assessment_id not in feedback:
        return feedback
    changed = copy.copy(feedback[assessment_id])
    changed.valid = valid
    return feedback | {assessment_id: changed}


def tombstones(info: TraceInfo) -> frozenset[str]:
    """The ids of the feedback deleted from this trace."""
    return frozenset(key[len(TOMBSTONE_TAG_PREFIX) :] for key in info.tags if key.startswith(TOMBSTONE_TAG_PREFIX))


class TraceStates:
    """Each trace's state as last read, with this replica's writes since (the next round writes from
    it without reading first), and the traces known to be in MLflow (feedback for them need not look)."""

    def __init__(self, inflight: InflightTraces):
        self._inflight = inflight
        self._states: BoundedLru[str, TraceState] = BoundedLru(MAX_CACHED_TRACE_STATES)
        self._in_mlflow: BoundedLru[str, None] = BoundedLru(MAX_REMEMBERED_TRACES)

    def in_mlflow(self, trace_id: str) -> bool:
        return trace_id in self._in_mlflow or trace_id in self._states or self._inflight.recently_stored(trace_id)

    def seen(self, trace_ids: list[str]) -> None:
        for trace_id in trace_ids:
            self._in_mlflow.put(trace_id, None)

    def get(self, trace_id: str) -> TraceState | None:
        """The last state read, or (known to be in MLflow, not read) one with no feedback yet."""
        return self._states.get(trace_id) or (TraceState(trace_id) if self.in_mlflow(trace_id) else None)

    def read(self, state: TraceState) -> None:
        self._states.put(state.trace_id, state)
        self._in_mlflow.put(state.trace_id, None)


def write_vote(write: FeedbackWrite) -> Vote:
    """A write, as vote chaining sees it (a correction is never chained)."""
    key = (
        None
        if CORRECTS_KEY in write.metadata
        else vote_key(write.span_id, write.name, write.source_type, write.source_id)
    )
    return Vote(write.assessment_id, key, write.create_time_ms or 0)


def stored_vote(assessment: Feedback) -> Vote:
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
