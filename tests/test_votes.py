"""One current vote per rater, read back, correct, delete, erase: against a real MLflow server, on
both setups (setups.py: on PostgreSQL, each call of a test may reach another of three replicas).

Every assertion reads what MLflow stored (valid flags, override links, tombstones), not what the
service answered.
"""

import concurrent.futures
import random
import time
import uuid

import grpc
import pytest
from google.protobuf import timestamp_pb2

from genaifeedback.v1 import feedback_pb2
from processes import FaultyProxy
from setups import *  # noqa: F403 - this module runs on both setups
from support import assessments, error_reason, new_trace, violations

HUMAN = feedback_pb2.SOURCE_TYPE_HUMAN
STORED, DELETED = feedback_pb2.FEEDBACK_STATE_STORED, feedback_pb2.FEEDBACK_STATE_DELETED
MARKER = "genaifeedback.has_feedback"  # on every trace that holds current feedback


def at(millis: int) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(millis)
    return stamp


def vote(service, trace_id, rater="", name="user_feedback", wait=True, **fields):
    source = feedback_pb2.FeedbackSource(type=HUMAN, id=rater)
    return service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            trace_id=trace_id,
            name=name,
            source=source,
            wait_until_stored=wait,
            **{"request_id": str(uuid.uuid4()), **fields},
        ),
        timeout=60,
    )


def chain(mlflow_client, trace_id, name="user_feedback", rater=None):
    """The stored votes, oldest first."""
    stored = [a for a in assessments(mlflow_client, trace_id, name) if rater is None or a.source.source_id == rater]
    return sorted(stored, key=lambda a: (a.create_time_ms, a.assessment_id))


def assert_linear(votes):
    """One vote valid, the latest; each overrides the one before it."""
    assert [v.valid for v in votes] == [False] * (len(votes) - 1) + [True]
    assert [v.overrides for v in votes] == [None] + [v.assessment_id for v in votes[:-1]]


def test_a_flipped_thumb_leaves_one_valid_vote_and_the_first_as_history(service, mlflow_client):
    trace_id = new_trace(service)
    up = vote(service, trace_id, "user-1", bool_value=True)
    down = vote(service, trace_id, "user-1", bool_value=False)
    first, second = chain(mlflow_client, trace_id)
    assert (first.assessment_id, first.value, first.valid) == (up.assessment_id, True, False)
    assert (second.assessment_id, second.value, second.valid) == (down.assessment_id, False, True)
    assert second.overrides == first.assessment_id


def test_raters_are_separate_and_anonymous_votes_are_never_merged(service, mlflow_client):
    trace_id = new_trace(service)
    # Out of name order: a rater's chain must hold its own votes, not those of raters named before or after.
    for rater in ("user-2", "user-1", "user-3", "", ""):
        vote(service, trace_id, rater, bool_value=True)
    stored = chain(mlflow_client, trace_id)
    assert len(stored) == 5 and all(a.valid for a in stored) and not any(a.overrides for a in stored)


def test_the_latest_client_time_wins_whatever_order_the_votes_arrive_in(service, mlflow_client):
    trace_id = new_trace(service)
    now = int(time.time() * 1000)
    later = vote(
        service, trace_id, "user-1", name="user_rating", number_value=2, client_time=at(now),
        rationale="slow answer", metadata={"screen": "chat"},
    )  # fmt: skip
    earlier = vote(service, trace_id, "user-1", name="user_rating", number_value=5, client_time=at(now - 60_000))
    votes = chain(mlflow_client, trace_id, "user_rating")
    assert [v.assessment_id for v in votes] == [earlier.assessment_id, later.assessment_id]
    assert_linear(votes)
    assert votes[-1].value == 2 and votes[0].create_time_ms == now - 60_000
    # The later vote was deleted and created again to override the earlier one: the same in every field.
    assert (votes[-1].rationale, votes[-1].metadata["screen"], votes[-1].create_time_ms) == ("slow answer", "chat", now)


def test_a_client_time_far_ahead_is_refused_and_records_nothing(service, mlflow_client):
    trace_id = new_trace(service)
    with pytest.raises(grpc.RpcError) as refused:
        vote(service, trace_id, "user-1", bool_value=True, client_time=at(int(time.time() * 1000) + 3_600_000))
    assert violations(refused.value) == {
        "client_time": "must be after 2000 and at most 5 minutes ahead of the server's clock"
    }
    assert chain(mlflow_client, trace_id) == []


@pytest.fixture(scope="module")
def two_processes(deployment, tmp_path_factory):
    processes = [deployment.process(tmp_path_factory.mktemp(f"voter{n}"), "tests").start() for n in range(2)]
    yield processes
    for process in processes:
        process.stop()


def test_twenty_simultaneous_votes_by_one_rater_on_two_processes_leave_one_valid_vote(
    service, two_processes, mlflow_client
):
    trace_id = new_trace(service)
    service.wait_stored(trace_id)
    base = int(time.time() * 1000) - 20_000
    times = list(range(20))
    random.Random(3).shuffle(times)  # arrival order unrelated to vote order
    requests = [
        (two_processes[n % 2], dict(number_value=1 + t % 5, client_time=at(base + t * 100), request_id=f"vote-{t}"))
        for n, t in enumerate(times)
    ]
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda r: vote(r[0], trace_id, "user-1", name="user_rating", **r[1]), requests))
    assert {a.state for a in answers} == {STORED}
    votes = chain(mlflow_client, trace_id, "user_rating")
    assert len(votes) == 20
    assert_linear(votes)
    winner = max(requests, key=lambda r: r[1]["client_time"].ToMilliseconds())
    assert votes[-1].create_time_ms == winner[1]["client_time"].ToMilliseconds()
    # Redelivered to either process, a vote is the same vote: nothing new is written.
    for process in two_processes:
        again = vote(process, trace_id, "user-1", name="user_rating", **requests[0][1])
        assert again.assessment_id in {v.assessment_id for v in votes}
    assert [v.assessment_id for v in chain(mlflow_client, trace_id, "user_rating")] == [v.assessment_id for v in votes]


def test_get_and_list_show_current_votes_and_history_on_request(service, mlflow_client):
    trace_id = new_trace(service)
    up = vote(service, trace_id, "user-1", bool_value=True)
    down = vote(service, trace_id, "user-1", bool_value=False)
    other = vote(service, trace_id, "user-2", bool_value=True)
    got = service.feedback.GetFeedback(
        feedback_pb2.GetFeedbackRequest(trace_id=trace_id, assessment_id=up.assessment_id)
    )
    assert (got.feedback.current, got.feedback.overridden_by, got.feedback.bool_value) == (
        False,
        down.assessment_id,
        True,
    )
    current = service.feedback.ListFeedback(feedback_pb2.ListFeedbackRequest(trace_id=trace_id))
    assert {f.assessment_id for f in current.feedback} == {down.assessment_id, other.assessment_id}
    history = service.feedback.ListFeedback(feedback_pb2.ListFeedbackRequest(trace_id=trace_id, include_history=True))
    assert [f.assessment_id for f in history.feedback] == [a.assessment_id for a in chain(mlflow_client, trace_id)]
    with pytest.raises(grpc.RpcError) as missing:
        service.feedback.GetFeedback(feedback_pb2.GetFeedbackRequest(trace_id=trace_id, assessment_id="a-" + "0" * 32))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND and error_reason(missing.value) == "FEEDBACK_NOT_FOUND"


def test_list_by_source_pages_through_every_trace_exactly_once(service, mlflow_client):
    rater = f"pager-{uuid.uuid4().hex[:8]}"
    expected = set()
    for _ in range(7):
        trace_id = new_trace(service)
        expected.add(vote(service, trace_id, rater, bool_value=True).assessment_id)
        vote(service, trace_id, "someone-else", bool_value=False)
    seen, token = [], ""
    while True:
        page = service.feedback.ListFeedback(
            feedback_pb2.ListFeedbackRequest(source_id=rater, page_size=3, page_token=token)
        )
        assert len(page.feedback) <= 3
        seen += [f.assessment_id for f in page.feedback]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(expected)
    with pytest.raises(grpc.RpcError) as bad:
        service.feedback.ListFeedback(feedback_pb2.ListFeedbackRequest(source_id=rater, page_token="not-a-token"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in violations(bad.value)


def test_an_expert_correction_overrides_the_vote_and_keeps_the_chain(service, mlflow_client):
    trace_id = new_trace(service)
    original = vote(service, trace_id, "user-1", name="user_rating", number_value=5)
    corrected = service.feedback.CorrectFeedback(
        feedback_pb2.CorrectFeedbackRequest(
            trace_id=trace_id,
            assessment_id=original.assessment_id,
            number_value=2,
            source=feedback_pb2.FeedbackSource(type=HUMAN, id="expert-7"),
            rationale="the answer cites a deprecated API",
            wait_until_stored=True,
            request_id=str(uuid.uuid4()),
        ),
        timeout=30,
    )
    first, second = chain(mlflow_client, trace_id, "user_rating")
    assert (first.assessment_id, first.valid) == (original.assessment_id, False)
    assert (second.assessment_id, second.valid, second.value) == (corrected.assessment_id, True, 2)
    assert second.overrides == original.assessment_id and second.source.source_id == "expert-7"
    assert second.rationale == "the answer cites a deprecated API"
    # Out of the schema's range, or without a reason: refused, and nothing changes.
    for fields, field in (({"number_value": 9, "rationale": "no"}, "number_value"), ({"number_value": 3}, "rationale")):
        with pytest.raises(grpc.RpcError) as refused:
            service.feedback.CorrectFeedback(
                feedback_pb2.CorrectFeedbackRequest(
                    trace_id=trace_id,
                    assessment_id=corrected.assessment_id,
                    source=feedback_pb2.FeedbackSource(id="expert-7"),
                    request_id=str(uuid.uuid4()),
                    **fields,
                ),
                timeout=30,
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in violations(refused.value)
    assert len(chain(mlflow_client, trace_id, "user_rating")) == 2


def test_delete_removes_the_vote_with_its_history_and_a_retry_does_not_bring_it_back(service, mlflow_client):
    trace_id = new_trace(service)
    vote(service, trace_id, "user-1", bool_value=True, request_id="first")
    down = vote(service, trace_id, "user-1", bool_value=False, request_id="second")
    kept = vote(service, trace_id, "user-2", bool_value=True)
    deleted = service.feedback.DeleteFeedback(
        feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=down.assessment_id)
    )
    assert len(deleted.deleted_assessment_ids) == 2
    assert [a.assessment_id for a in chain(mlflow_client, trace_id)] == [kept.assessment_id]
    for request_id, value in (("first", True), ("second", False)):  # late retries of both versions
        again = vote(service, trace_id, "user-1", bool_value=value, request_id=request_id)
        assert again.state == DELETED
    assert [a.assessment_id for a in chain(mlflow_client, trace_id)] == [kept.assessment_id]
    everything = service.feedback.DeleteFeedback(
        feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, all_on_trace=True)
    )
    assert list(everything.deleted_assessment_ids) == [kept.assessment_id]
    assert chain(mlflow_client, trace_id) == []


def test_the_feedback_marker_is_on_a_trace_exactly_while_it_holds_current_feedback(service, mlflow_client):
    """The trace tag MLflow counts traces with feedback by (docs/analytics.md#the-feedback-marker):
    set in the round that stores the trace's first feedback (so before it reads STORED), kept while
    any current feedback is left, removed with the last one, by a deletion or an erasure."""
    trace_id = new_trace(service)

    def marked() -> bool:
        tags = mlflow_client.get_trace_info(trace_id).tags
        assert tags.get(MARKER, "true") == "true"
        return MARKER in tags

    def delete(**what):
        return service.feedback.DeleteFeedback(feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, **what))

    assert not marked()
    first = vote(service, trace_id, "user-1", bool_value=True)
    assert marked()
    vote(service, trace_id, "user-1", bool_value=False)  # replaces it: history, one current vote
    other = vote(service, trace_id, "user-2", bool_value=True)
    assert len(delete(assessment_id=first.assessment_id).deleted_assessment_ids) == 2 and marked()  # user-2's left
    delete(assessment_id=other.assessment_id)
    assert chain(mlflow_client, trace_id) == [] and not marked()
    assert not delete(assessment_id=other.assessment_id).deleted_assessment_ids and not marked()  # a retry
    rater = f"marker-{uuid.uuid4().hex[:8]}"
    vote(service, trace_id, rater, name="user_rating", number_value=4)
    assert marked()
    erasure = feedback_pb2.EraseFeedbackBySourceRequest(source_id=rater, source_type=HUMAN)
    assert list(service.feedback.EraseFeedbackBySource(erasure, timeout=60))[-1].traces_changed == 1
    assert not marked()


def test_a_pending_delivery_of_a_deleted_vote_settles_deleted_and_never_lands(
    start_service, service, mlflow_server, mlflow_client
):
    proxy = FaultyProxy(mlflow_server.url)
    try:
        replica = start_service(mlflow_tracking_uri=proxy.url)
        trace_id = new_trace(replica)
        replica.wait_stored(trace_id)
        proxy.fault = "503-assessments"  # MLflow refuses this replica's feedback writes for now
        pending = vote(replica, trace_id, "user-1", bool_value=True, wait=False, request_id="stuck")
        assert pending.state == feedback_pb2.FEEDBACK_STATE_PENDING
        # Deleted through another replica, which has never seen it.
        service.feedback.DeleteFeedback(
            feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=pending.assessment_id)
        )
        proxy.fault = None
        settled = vote(replica, trace_id, "user-1", bool_value=True, request_id="stuck")  # waits for MLflow
        assert settled.state == DELETED
        assert chain(mlflow_client, trace_id) == []
    finally:
        proxy.close()


def test_erasing_a_source_on_the_replica_holding_its_pending_feedback_stops_exactly_that_feedback(
    start_service, mlflow_server, mlflow_client
):
    """Feedback this replica has journaled but not written yet is erased too (tombstoned, so it never
    lands), and only the erased source's, of the erased type, each on its own trace. The others' ids
    and types sort before the erased ones, and the earlier trace's id before the later one's."""
    proxy = FaultyProxy(mlflow_server.url)
    try:
        replica = start_service(mlflow_tracking_uri=proxy.url)
        earlier, later = new_trace(replica), new_trace(replica)
        rater = f"erase-pending-{uuid.uuid4().hex[:8]}"
        proxy.fault = "503-assessments"  # every feedback below stays pending in the replica's journal

        def from_code(trace_id, wait):
            code = feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_CODE, id=rater)
            request = feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_id, source=code, bool_value=False, request_id="code", wait_until_stored=wait
            )
            return replica.feedback.SubmitFeedback(request, timeout=60)

        calls = {
            "erased, earlier": lambda wait: vote(replica, earlier, rater, bool_value=True, wait=wait, request_id="e"),
            "erased, later": lambda wait: vote(replica, later, rater, bool_value=True, wait=wait, request_id="e"),
            "same id, from code": lambda wait: from_code(later, wait),
            "another rater": lambda wait: vote(replica, later, "a-stays", bool_value=True, wait=wait, request_id="s"),
        }
        sent = {what: call(False) for what, call in calls.items()}
        assert {reply.state for reply in sent.values()} == {feedback_pb2.FEEDBACK_STATE_PENDING}
        erasure = feedback_pb2.EraseFeedbackBySourceRequest(source_id=rater, source_type=HUMAN)
        progress = list(replica.feedback.EraseFeedbackBySource(erasure, timeout=60))
        assert progress[-1].done and (progress[-1].feedback_deleted, progress[-1].traces_changed) == (2, 2)
        proxy.fault = None
        settled = {what: call(True).state for what, call in calls.items()}  # retries wait for MLflow
        assert settled == {
            "erased, earlier": DELETED, "erased, later": DELETED, "same id, from code": STORED, "another rater": STORED
        }  # fmt: skip
        assert assessments(mlflow_client, earlier) == []
        stored = {a.assessment_id for a in assessments(mlflow_client, later)}
        assert stored == {sent["same id, from code"].assessment_id, sent["another rater"].assessment_id}
    finally:
        proxy.close()


def test_erasing_a_source_removes_all_its_feedback_and_nothing_else(service, mlflow_client):
    rater = f"erase-me-{uuid.uuid4().hex[:8]}"
    traces = [new_trace(service) for _ in range(4)]
    kept = {}
    for trace_id in traces:
        vote(service, trace_id, rater, bool_value=True)
        vote(service, trace_id, rater, bool_value=False)  # a history to erase too
        kept[trace_id] = vote(service, trace_id, "stays", bool_value=True).assessment_id
    progress = list(service.feedback.EraseFeedbackBySource(feedback_pb2.EraseFeedbackBySourceRequest(source_id=rater)))
    assert progress[-1].done and progress[-1].feedback_deleted == 8 and progress[-1].traces_changed == 4
    for trace_id in traces:
        assert [a.assessment_id for a in chain(mlflow_client, trace_id)] == [kept[trace_id]]
    assert not service.feedback.ListFeedback(
        feedback_pb2.ListFeedbackRequest(source_id=rater, include_history=True)
    ).feedback


def test_the_status_of_a_deleted_vote_is_deleted_by_request_id_and_by_assessment_id(
    service, other_replica, mlflow_client
):
    """Issue 19, item 5: status answers from the same tombstones as GetFeedback and the retry path,
    on the replica that journaled the vote and on one that only sees MLflow."""
    trace_id = new_trace(service)
    stored = vote(service, trace_id, "user-1", bool_value=True, request_id="then-deleted")
    service.feedback.DeleteFeedback(
        feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=stored.assessment_id)
    )
    assert chain(mlflow_client, trace_id) == []
    assert f"genaifeedback.deleted.{stored.assessment_id}" in mlflow_client.get_trace_info(trace_id).tags
    for replica in (service, other_replica):
        for asked in ({"request_id": "then-deleted"}, {"assessment_id": stored.assessment_id}):
            request = feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, **asked)
            assert replica.feedback.GetFeedbackStatus(request, timeout=10).state == DELETED, asked
