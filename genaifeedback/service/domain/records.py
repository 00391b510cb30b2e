"""The records that cross layers: a chat to store as a trace, one assessment to write, and
feedback and traces as MLflow stores them."""

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mlflow.entities import Assessment, AssessmentSource, Feedback

from genaifeedback.service.domain.schemas import callers_metadata
from genaifeedback.service.domain.traceparent import TraceParent


class _Created(Protocol):
    @property
    def create_time_ms(self) -> int | None: ...
    @property
    def assessment_id(self) -> str | None: ...


def creation_order(assessment: _Created) -> tuple[int, str]:
    """The one order of assessments: oldest first, ties by id (MLflow keeps milliseconds only)."""
    return (assessment.create_time_ms or 0, assessment.assessment_id or "")


@dataclass(frozen=True)
class Turn:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatInput:
    message: str
    history: tuple[Turn, ...] = ()
    client_request_id: str = ""
    user_id: str = ""
    session_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    max_tokens: int | None = None
    temperature: float | None = None
    caller_trace: TraceParent | None = None  # the caller's W3C trace context: a link from the chat's trace

    def messages(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in self.history] + [
            {"role": "user", "content": self.message}
        ]


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


Outcome = Literal["ok", "cancelled", "cut", "error"]


@dataclass
class ChatRecord:
    """One chat as it will be stored as a trace."""

    trace_id: str
    span_id: str
    chat: ChatInput
    model: str
    start_ns: int
    end_ns: int = 0
    first_token_ns: int | None = None
    answer: str = ""
    outcome: Outcome = "ok"
    error: str = ""
    finish_reason: Literal["stop", "length", "content_filter", ""] = ""
    usage: Usage | None = None


@dataclass(frozen=True)
class StoredFeedback:
    """One Feedback assessment as MLflow stores it (current, or overridden history)."""

    assessment_id: str
    trace_id: str
    name: str
    value: Any
    source_type: str
    source_id: str | None
    rationale: str | None
    create_time_ms: int
    metadata: dict[str, str]
    valid: bool
    overrides: str | None
    span_id: str | None


@dataclass(frozen=True)
class ScannedTrace:
    """What the analytics need of one trace: when, whose, its tags, previews and feedback."""

    trace_id: str
    timestamp_ms: int
    user_id: str | None
    session_id: str | None
    tags: dict[str, str]
    request_preview: str
    response_preview: str
    feedback: list[StoredFeedback]  # every Feedback without an error, oldest first
    # (source type, source id) of every Feedback, failed judgements included: who gave feedback here.
    sources: frozenset[tuple[str, str | None]] = frozenset()

    @property
    def votes(self) -> list[tuple[str, Any, str]]:
        """(name, value, source type) of each current vote."""
        return [(f.name, f.value, f.source_type) for f in self.feedback if f.valid]


@dataclass(frozen=True)
class FeedbackWrite:
    """One assessment to create, exactly as MLflow will store it."""

    trace_id: str
    assessment_id: str
    name: str
    value: Any
    source_type: str  # HUMAN, LLM_JUDGE or CODE
    source_id: str | None
    rationale: str | None
    metadata: dict[str, str]
    span_id: str | None
    create_time_ms: int | None = None  # when the user voted; None: now
    overrides: str | None = None  # the assessment this one replaces (MLflow marks it not valid)

    @classmethod
    def recreating(cls, stored: Feedback, trace_id: str) -> "FeedbackWrite":
        """A write that creates a stored feedback of this trace again, the same in every field."""
        return cls(
            trace_id=trace_id,
            assessment_id=stored.assessment_id or "",
            name=stored.name,
            value=stored.value,
            source_type=stored.source.source_type,
            source_id=stored.source.source_id,
            rationale=stored.rationale,
            metadata=dict(stored.metadata or {}),
            span_id=stored.span_id,
            create_time_ms=stored.create_time_ms,
            overrides=stored.overrides,
        )

    def to_feedback(self) -> Feedback:
        """The assessment this write creates, as MLflow will hold it (valid until overridden)."""
        feedback = Feedback(
            name=self.name,
            value=self.value,
            source=AssessmentSource(source_type=self.source_type, source_id=self.source_id),
            rationale=self.rationale,
            metadata=self.metadata or None,
            span_id=self.span_id,
        )
        feedback.assessment_id = self.assessment_id
        feedback.trace_id = self.trace_id
        feedback.overrides = self.overrides
        if self.create_time_ms is not None:
            feedback.create_time_ms = feedback.last_update_time_ms = self.create_time_ms
        return feedback

    def matches(self, stored: Assessment) -> bool:
        """Whether an assessment already stored under this id records this same feedback.

        The metadata the service adds (schema, version, normalized score) is left out: a retry
        checked against a newer version of the schema is still the same action.
        """
        return (
            isinstance(stored, Feedback)
            and stored.name == self.name
            and _same_value(stored.value, self.value)
            and stored.source.source_type == self.source_type
            and (self.source_id is None or stored.source.source_id == self.source_id)
            and (stored.rationale or None) == self.rationale
            and callers_metadata(stored.metadata or {}) == callers_metadata(self.metadata)
            and (stored.span_id or None) == self.span_id
        )


def _same_value(stored: Any, sent: Any) -> bool:
    # MLflow keeps values as JSON numbers (4 comes back as 4.0), but True must not match 1.
    return stored == sent and isinstance(stored, bool) == isinstance(sent, bool)
