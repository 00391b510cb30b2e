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
A round writes from what it knows of each trace (the last read, with this replica's writes since;
one batched read for traces it knows nothing of). Anonymous feedback and corrections are STORED on
MLflow's answer to their create; a vote only once a read-back of its trace shows it in a correct
chain, one read per trace for every vote written to it meanwhile (delivery.py). Deleted feedback
leaves a tombstone tag on its trace, set before the delete, and its id reserved in MLflow after
it, so MLflow itself refuses to create it again: a late retry or a pending delivery of it, on any
replica, settles as DELETED.

One job per module: intake (the calls), attacher (the pending units and when each is tried),
delivery (one round of writes), trace_state (what MLflow holds, as last read); this module holds
the records they share.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from genaifeedback.service.domain.schemas import RESERVED_METADATA_PREFIX
from genaifeedback.service.storage.journal import FeedbackState

DEFAULT_FEEDBACK_NAME = "user_feedback"
TOMBSTONE_TAG_PREFIX = RESERVED_METADATA_PREFIX + "deleted."  # + assessment id; the value is when
CORRECTS_KEY = RESERVED_METADATA_PREFIX + "corrects"  # a correction's metadata: the id it corrects
# A unit journaled to reserve deleted ids in MLflow once it accepts writes again (delivery.py): its
# writes name the ids, on the trace they were deleted from. Feedback units' ids start "a-" or "r-".
RESERVATION_UNIT_PREFIX = "d-"


@dataclass(frozen=True)
class Target:
    """Exactly one of the two is set."""

    trace_id: str = ""
    client_request_id: str = ""

    def describe(self) -> str:
        return f"trace {self.trace_id}" if self.trace_id else f"client_request_id {self.client_request_id!r}"


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
