"""The journal's interface: what the exporter and the feedback engine need of durable storage.

Acknowledged means journaled: a finished chat's trace is journaled before its final event is sent,
and accepted feedback before its call is answered; entries leave only when MLflow confirms them,
and a restart replays what is left. sqlite_journal.SqliteJournal implements it on one replica's
disk, as the only owner of everything in it; postgres_journal.PostgresJournal in one database that
every replica shares, where each entry is held by one replica at a time under a lease (renewed
while it lives, taken over by another once it ends).
"""

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.domain.schemas import callers_metadata

FeedbackState = Literal["PENDING", "STORED", "EXPIRED", "REJECTED", "DELETED"]


@dataclass
class FeedbackUnit:
    """One SubmitFeedback or SubmitRatings call: its assessments are stored all together."""

    unit_id: str
    trace_id: str  # empty while a client_request_id target is unresolved
    client_request_id: str
    writes: list[FeedbackWrite]  # each on the unit's trace (set by resolve)
    state: FeedbackState = "PENDING"
    reason: str = ""
    added: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    expires: float = 0.0

    def resolve(self, trace_id: str) -> None:
        """The client_request_id target's trace is found: the unit and its writes are for it."""
        self.trace_id = trace_id
        self.writes = [dataclasses.replace(write, trace_id=trace_id) for write in self.writes]

    def same_action(self, other: "FeedbackUnit") -> bool:
        """The same feedback on the same target (a client request id may be resolved in one only)."""
        return (
            _actions(self.writes) == _actions(other.writes)
            and self.client_request_id == other.client_request_id
            and (self.trace_id == other.trace_id or not self.trace_id or not other.trace_id)
        )


def _actions(writes: list[FeedbackWrite]) -> list[FeedbackWrite]:
    """The writes as the caller asked for them: without the metadata the service adds (a schema's
    version may have changed between a call and its retry), nor the trace (compared on the unit)."""
    # Nor the create time: without a client_time it is when each delivery arrived.
    return [
        dataclasses.replace(write, trace_id="", create_time_ms=None, metadata=callers_metadata(write.metadata))
        for write in writes
    ]


@dataclass(frozen=True)
class JournaledTrace:
    trace_id: str
    client_request_id: str
    span: bytes
    added: float


class JournalError(RuntimeError):
    """The journal cannot be opened; the message is one line, fit for an operator."""


class Journal(Protocol):
    """Durable storage of the traces and feedback MLflow has not confirmed yet."""

    trace_count: int  # kept in memory for the metrics, so reading them never waits for storage
    pending_feedback_count: int
    # 0: this replica is the only owner (nothing to renew or take over); else how long a replica's
    # hold on an entry lasts unless renewed.
    lease_seconds: float
    available: bool  # False while the store cannot be reached: new work is refused, not acknowledged
    on_availability_change: Callable[[bool], None]

    async def open(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        """Open (creating it if new) and claim what is left to deliver, oldest first; raises
        JournalError when it cannot."""
        ...

    async def close(self) -> None:
        """Let go of what this replica holds (another replica takes it over at once)."""
        ...

    async def claim(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        """Take over the entries whose holder's lease ended (a replica that died)."""
        ...

    async def renew(self) -> None:
        """Extend this replica's leases (and refresh the figures the metrics read)."""
        ...

    async def add_trace(self, trace: JournaledTrace) -> None:
        """Returns once the trace is durable."""
        ...

    async def remove_traces(self, trace_ids: Iterable[str]) -> None:
        """MLflow confirmed them."""
        ...

    async def add_feedback(self, unit: FeedbackUnit) -> FeedbackUnit:
        """Journal a unit, durably; if one with the same id is there already, return that one."""
        ...

    async def update_feedback(self, unit: FeedbackUnit) -> None:
        """Record a unit's new state (and its resolved trace id)."""
        ...

    async def feedback(self, unit_id: str) -> FeedbackUnit | None: ...

    async def pending_feedback_on(self, trace_id: str) -> list[FeedbackUnit]:
        """The units still on their way to this trace that other replicas hold (none when this
        replica is the only owner: its attacher holds them all)."""
        ...

    async def traces_with_pending_feedback(self) -> set[str]:
        """The traces other replicas hold units on their way to (empty when this replica is the only
        owner)."""
        ...

    async def journaled_trace_id(self, client_request_id: str) -> str | None:
        """The id of a trace another replica journaled for this client_request_id, not yet in MLflow
        (None when this replica is the only owner: the in-flight registry knows its own)."""
        ...

    async def trace_journaled(self, trace_id: str) -> bool:
        """Whether another replica journaled this trace and MLflow has not confirmed it yet."""
        ...

    async def forget_settled_feedback(self, older_than: float) -> int:
        """Drop the status of units settled before `older_than` (epoch seconds)."""
        ...

    def oldest_trace_age_seconds(self, now: float | None = None) -> float:
        """Age of the oldest trace MLflow has not confirmed (0 when there is none)."""
        ...
