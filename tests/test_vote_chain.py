"""The vote-chain planner on its own: every shape a rater's chain can be found in, and the plan
that makes it right. A plan applied to MLflow's rules (create overrides -> old not valid; delete
-> what it overrode valid again) must leave one linear chain in (time, id) order, one valid vote."""

import itertools
import random

from genaifeedback.service.domain.records import creation_order
from genaifeedback.service.domain.votes import Vote, plan_chain, settlement, vote_key

KEY = vote_key("", "user_feedback", "HUMAN", "u1")


def vote(n: int, overrides: int | None = None, valid: bool = True) -> Vote:
    return Vote(f"a-{n:032x}", KEY, 1000 + n, None if overrides is None else f"a-{overrides:032x}", valid)


def apply(stored: dict[str, Vote], wanted: list[Vote], deleted=frozenset()) -> dict[str, Vote]:
    """Run a plan through MLflow's rules, as the SQL store implements them."""
    plan = plan_chain(stored.values(), wanted, deleted)
    state = dict(stored)
    content = {v.assessment_id: v for v in [*stored.values(), *wanted]}
    for assessment_id in plan.deletes:
        gone = state.pop(assessment_id)
        if gone.overrides in state:
            state[gone.overrides] = Vote(**{**vars(state[gone.overrides]), "valid": True})
    for assessment_id, overrides in plan.creates:
        if overrides is not None:
            assert overrides in state, "a plan overrides only what exists"
            state[overrides] = Vote(**{**vars(state[overrides]), "valid": False})
        state[assessment_id] = Vote(**{**vars(content[assessment_id]), "overrides": overrides, "valid": True})
    return state


def assert_one_linear_chain(state: dict[str, Vote]) -> None:
    chain = sorted(state.values(), key=creation_order)
    assert [v.valid for v in chain] == [False] * (len(chain) - 1) + [True]
    assert [v.overrides for v in chain] == [None] + [v.assessment_id for v in chain[:-1]]
    assert plan_chain(state.values(), []).empty


def test_first_vote_is_created_alone():
    plan = plan_chain([], [vote(1)])
    assert plan.deletes == () and plan.creates == ((vote(1).assessment_id, None),)
    assert not plan.empty and plan_chain([vote(1)], []).empty


def test_a_plan_with_only_deletes_is_not_empty():
    assert not plan_chain([vote(1)], [], frozenset(ids(1))).empty


def test_a_newer_vote_overrides_the_head_and_nothing_else():
    stored = [vote(1, valid=False), vote(2, overrides=1)]
    plan = plan_chain(stored, [vote(3)])
    assert plan.deletes == () and plan.creates == ((vote(3).assessment_id, vote(2).assessment_id),)


def test_a_vote_already_stored_needs_nothing():
    stored = [vote(1, valid=False), vote(2, overrides=1)]
    assert plan_chain(stored, [vote(2)]).empty


def test_a_late_older_vote_is_slotted_in_and_the_newer_one_recreated_after_it():
    stored = {v.assessment_id: v for v in [vote(1, valid=False), vote(3, overrides=1)]}
    plan = plan_chain(stored.values(), [vote(2)])
    assert plan.deletes == (vote(3).assessment_id,)
    assert [c[0] for c in plan.creates] == [vote(2).assessment_id, vote(3).assessment_id]
    assert_one_linear_chain(apply(stored, [vote(2)]))


def test_a_fork_from_two_writers_is_made_linear():
    stored = {v.assessment_id: v for v in [vote(1, valid=False), vote(2, overrides=1), vote(3, overrides=1)]}
    assert_one_linear_chain(apply(stored, []))


def ids(*numbers: int) -> tuple[str, ...]:
    return tuple(vote(n).assessment_id for n in numbers)


def test_a_fork_deep_in_the_chain_is_repaired_in_one_plan():
    # 3 and 4 both override 1; deleting 4 would revive 1, so the rebuild starts right after 1 (and
    # no earlier: vote 1 is never touched).
    stored = {
        v.assessment_id: v
        for v in [vote(1, valid=False), vote(2, overrides=1, valid=False), vote(3, overrides=2), vote(4, overrides=1)]
    }
    plan = plan_chain(stored.values(), [])
    assert sorted(plan.deletes) == sorted(ids(2, 3, 4))
    assert plan.creates == tuple(zip(ids(2, 3, 4), ids(1, 2, 3), strict=True))
    assert_one_linear_chain(apply(stored, []))


def test_a_vote_made_valid_again_by_a_delete_is_fixed_by_recreating_its_successor_only():
    # Links are right, but 2 is valid: a delete revived it. Only creating 3 again invalidates it.
    stored = {v.assessment_id: v for v in [vote(1, valid=False), vote(2, overrides=1), vote(3, overrides=2)]}
    plan = plan_chain(stored.values(), [])
    assert plan.deletes == ids(3) and plan.creates == ((vote(3).assessment_id, vote(2).assessment_id),)
    assert_one_linear_chain(apply(stored, []))


def test_a_revived_first_vote_is_fixed_by_recreating_the_second_only():
    stored = {v.assessment_id: v for v in [vote(1), vote(2, overrides=1)]}
    plan = plan_chain(stored.values(), [])
    assert plan.deletes == ids(2) and plan.creates == ((vote(2).assessment_id, vote(1).assessment_id),)


def test_a_fork_at_an_odd_position_rebuilds_from_just_after_it():
    stored = {
        v.assessment_id: v
        for v in [
            vote(1, valid=False),
            vote(2, overrides=1, valid=False),
            vote(3, overrides=2, valid=False),
            vote(4, overrides=3),
            vote(5, overrides=2),
        ]
    }
    plan = plan_chain(stored.values(), [])
    assert sorted(plan.deletes) == sorted(ids(3, 4, 5))
    assert plan.creates == tuple(zip(ids(3, 4, 5), ids(2, 3, 4), strict=True))
    assert_one_linear_chain(apply(stored, []))


def test_several_first_votes_at_once_form_one_chain():
    plan = plan_chain([], [vote(2), vote(1), vote(3)])
    assert plan.creates == tuple(zip(ids(1, 2, 3), (None, *ids(1, 2)), strict=True))


def test_tombstoned_votes_are_deleted_and_never_created():
    stored = {v.assessment_id: v for v in [vote(1, valid=False), vote(2, overrides=1)]}
    deleted = frozenset({vote(2).assessment_id, vote(5).assessment_id})
    state = apply(stored, [vote(5)], deleted)
    assert set(state) == {vote(1).assessment_id}
    assert state[vote(1).assessment_id].valid


def test_any_interleaving_of_twenty_votes_converges():
    """Random forks, as concurrent writers leave them, then one repair: always one linear chain."""
    rng = random.Random(7)
    for _ in range(60):
        votes = [vote(n) for n in range(20)]
        rng.shuffle(votes)
        state: dict[str, Vote] = {}
        for v in votes:  # each writer overrides whatever head it saw, sometimes a stale one
            heads = [s for s in state.values() if s.valid] or [None]
            seen = rng.choice(heads + list(state.values())[:2]) if state else None
            if seen is not None:
                state[seen.assessment_id] = Vote(**{**vars(seen), "valid": False})
            state[v.assessment_id] = Vote(**{**vars(v), "overrides": seen.assessment_id if seen else None})
        for _ in range(3):  # writers repair until a read-back shows a correct chain
            if plan_chain(state.values(), []).empty:
                break
            state = apply(state, [])
        assert_one_linear_chain(state)
        assert len(state) == 20


def test_other_keys_and_anonymous_votes_are_not_chained():
    assert vote_key("", "user_feedback", "HUMAN", "") is None
    assert len({vote_key(*k) for k in itertools.product(["", "0123456789abcdef"], ["a", "b"], ["HUMAN"], ["u"])}) == 4


# --- settlement: what a read-back says of one call's assessments

ANONYMOUS = Vote("a-" + "e" * 32, None, 5)


def test_a_unit_is_stored_when_each_vote_sits_in_a_right_chain():
    stored = [vote(1, valid=False), vote(2, overrides=1), ANONYMOUS]
    assert settlement([vote(2), ANONYMOUS], stored, frozenset()) == "STORED"


def test_a_unit_waits_while_a_vote_is_missing_or_its_chain_needs_repair():
    assert settlement([vote(3)], [vote(1, valid=False), vote(2, overrides=1)], frozenset()) == "RETRY"
    forked = [vote(1, valid=False), vote(2, overrides=1), vote(3, overrides=1)]
    assert settlement([vote(3)], forked, frozenset()) == "RETRY"
    # Keys are compared by value: the journal's vote and MLflow's are built apart.
    same_key_built_apart = Vote(vote(3).assessment_id, vote_key("", "user_feedback", "HUMAN", "u1"), 1003)
    assert settlement([same_key_built_apart], forked, frozenset()) == "RETRY"
    assert settlement([ANONYMOUS], [], frozenset()) == "RETRY"


def test_a_fork_in_another_raters_chain_is_not_this_units_business():
    other = Vote(vote(9).assessment_id, vote_key("", "user_feedback", "HUMAN", "u2"), 1009)
    forked_other = [other, Vote("a-" + "f" * 32, other.key, 1010, None)]
    assert settlement([vote(1)], [vote(1), *forked_other], frozenset()) == "STORED"


def test_tombstoned_votes_count_as_deleted_once_gone():
    deleted = frozenset(ids(1, 2))
    assert settlement([vote(1), vote(2)], [], deleted) == "DELETED"
    # 1 is tombstoned but present again (a racing write): not settled until the next round removes it.
    assert settlement([vote(1), vote(2)], [vote(1)], deleted) == "RETRY"
    assert settlement([vote(1), vote(3)], [vote(1), vote(3)], frozenset(ids(1))) == "RETRY"  # 1 written by a race
    assert settlement([vote(1), vote(3)], [vote(3)], frozenset(ids(1))) == "STORED"  # 3 stored, 1 gone
