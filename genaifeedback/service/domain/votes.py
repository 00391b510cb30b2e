"""One current vote per rater: how a rater's votes on one trace are chained in MLflow.

A vote's key is (trace, span, name, source type, source id). All the votes of one key form one
MLflow override chain, ordered by (create time, assessment id), where the create time is when
the user voted (the request's client_time, or when the service received it): each vote
`overrides` the one before it, so only the latest is valid and the others stay as history.
Votes without a source id are anonymous and never chained.

MLflow offers no compare-and-set, so two replicas can append to one chain at once and fork it
(two votes overriding the same one), and a vote delivered late (after an outage) can be older
than the chain's head. Both are repaired the same way, from what MLflow holds: every writer reads
the key's assessments back after writing, and rebuilds the part of the chain that is out of
order (delete it, then create it again in order, with the same ids and create times). The plan
depends only on what is stored, so replicas that repair at once agree on the result, and each
writer settles only once it has read back a correct chain: the last one to write verifies last.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from genaifeedback.service.domain.records import creation_order

VoteKey = tuple[str, str, str, str]  # span id, name, source type, source id (on one trace)


@dataclass(frozen=True)
class Vote:
    """An assessment, reduced to what chaining needs."""

    assessment_id: str
    key: VoteKey | None  # None: anonymous, or a correction (its own `overrides`), never chained
    create_time_ms: int
    overrides: str | None = None
    valid: bool = True


def vote_key(span_id: str | None, name: str, source_type: str, source_id: str | None) -> VoteKey | None:
    return (span_id or "", name, source_type, source_id) if source_id else None


@dataclass(frozen=True)
class Plan:
    """What to do to one key's chain: delete these ids, then create these votes in this order,
    each overriding the id given with it."""

    deletes: tuple[str, ...] = ()
    creates: tuple[tuple[str, str | None], ...] = ()  # (assessment id, the id it overrides)

    @property
    def empty(self) -> bool:
        return not self.deletes and not self.creates


def plan_chain(stored: Iterable[Vote], wanted: Iterable[Vote], deleted: frozenset[str] = frozenset()) -> Plan:
    """How to make one key's chain hold the stored votes and the wanted ones, in order.

    `stored` are the key's assessments in MLflow, `wanted` the votes to add (those already stored
    are ignored), `deleted` the tombstoned ids: those are removed, never (re)created.
    """
    present = {vote.assessment_id: vote for vote in stored}
    chain = sorted(
        [v for v in present.values() if v.assessment_id not in deleted]
        + [v for v in wanted if v.assessment_id not in present and v.assessment_id not in deleted],
        key=creation_order,
    )
    position = {vote.assessment_id: index for index, vote in enumerate(chain)}
    start = len(chain)  # the first position whose vote must be (re)created
    for index, vote in enumerate(chain):
        stored_vote = present.get(vote.assessment_id)
        expected = chain[index - 1].assessment_id if index else None
        if stored_vote is None or (stored_vote.overrides or None) != expected:
            start = min(start, index)
        elif stored_vote.valid:  # only creating its successor again makes it invalid (the last: nothing to do)
            start = min(start, index + 1)
    # Deleting a vote makes the one it overrides valid again: the rebuild starts right after that one.
    # (Votes before `start` have the right links, so one pass finds the earliest such.)
    revived = [
        position[v.overrides] + 1
        for v in (present.get(c.assessment_id) for c in chain[start:])
        if v and v.overrides in position
    ]
    start = min([start, *revived])
    rebuilt = chain[start:]
    deletes = [v.assessment_id for v in rebuilt if v.assessment_id in present]
    deletes += sorted(i for i in present if i in deleted)
    creates = [
        (vote.assessment_id, chain[start + offset - 1].assessment_id if start + offset else None)
        for offset, vote in enumerate(rebuilt)
    ]
    return Plan(tuple(deletes), tuple(creates))


Settlement = Literal["STORED", "DELETED", "RETRY"]


def settlement(unit: Iterable[Vote], stored: Iterable[Vote], deleted: frozenset[str]) -> Settlement:
    """What a read-back says of one call's assessments (`unit`), given every feedback stored on the
    trace and its tombstones: all deleted; all in place (each in a right chain, or tombstoned and
    gone); or not yet (missing, in a chain still to repair, or written by a race after its delete)."""
    wanted, stored = list(unit), list(stored)
    present = {vote.assessment_id for vote in stored}
    if all(vote.assessment_id in deleted and vote.assessment_id not in present for vote in wanted):
        return "DELETED"
    for vote in wanted:
        if vote.assessment_id in deleted:
            in_place = vote.assessment_id not in present  # present: a racing write the next round removes
        else:
            in_place = vote.assessment_id in present and (
                vote.key is None or plan_chain([v for v in stored if v.key == vote.key], [], deleted).empty
            )
        if not in_place:
            return "RETRY"
    return "STORED"
