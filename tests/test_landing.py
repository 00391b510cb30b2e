"""Feedback lands without reads MLflow does not need: against a real MLflow server.

Anonymous feedback settles on MLflow's answer to its create; a deleted id is reserved in MLflow,
so MLflow itself refuses a late delivery of it; votes are read back once per trace for all the
units written together. Reads are counted by the engine's own metric, and every assertion on what
is stored reads MLflow.
"""

import asyncio
import time
import uuid

import pytest
from mlflow.entities import AssessmentSource, Feedback
from mlflow.exceptions import MlflowException
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.feedback import FeedbackInput, Target
from genaifeedback.service.domain.feedback.attacher import PendingUnit
from genaifeedback.service.domain.feedback.engine import FeedbackEngine
from genaifeedback.service.domain.feedback.intake import derived_assessment_id
from genaifeedback.service.domain.feedback.trace_state import TraceState
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.sqlite_journal import SqliteJournal
from genaifeedback.v1 import feedback_pb2
from processes import FaultyProxy
from support import assessments, metric, new_trace

STORED, DELETED = feedback_pb2.FEEDBACK_STATE_STORED, feedback_pb2.FEEDBACK_STATE_DELETED
READS = "genaifeedback_feedback_traces_read_total"


def submit(service, trace_id, rater="", wait=True, **fields):
    source = feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater)
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, source=source, wait_until_stored=wait, **{"bool_value": True, **fields}
    )
    return service.feedback.SubmitFeedback(request, timeout=60)


def test_anonymous_feedback_settles_on_its_write_without_reading_the_trace(service, mlflow_client):
    trace_id = new_trace(service)
    reads = metric(service, READS)
    replies = [submit(service, trace_id, request_id=str(uuid.uuid4())) for _ in range(3)]
    assert {reply.state for reply in replies} == {STORED}
    assert metric(service, READS) == reads
    stored = {a.assessment_id: a for a in assessments(mlflow_client, trace_id)}
    assert set(stored) == {reply.assessment_id for reply in replies}
    assert all(a.valid for a in stored.values())


def test_mlflow_itself_refuses_to_create_a_deleted_id_again(service, mlflow_client, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # MLflow's SDK would retry the refusal for minutes
    trace_id = new_trace(service)
    stored = submit(service, trace_id, request_id="to-delete")
    service.feedback.DeleteFeedback(
        feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=stored.assessment_id)
    )
    again = Feedback(name="user_feedback", value=True, source=AssessmentSource(source_type="HUMAN"))
    again.assessment_id, again.trace_id = stored.assessment_id, trace_id
    with pytest.raises(MlflowException):
        mlflow_client.store.create_assessment(again)  # MLflow's own SDK, straight to the store
    assert assessments(mlflow_client, trace_id) == []


def test_a_delivery_of_a_deleted_id_by_a_replica_that_never_saw_the_deletion_is_refused_without_a_read(
    service, other_replica, mlflow_client
):
    trace_id = new_trace(service)
    earlier = submit(other_replica, trace_id, request_id=str(uuid.uuid4()))  # the replica knows the trace now
    doomed = derived_assessment_id(Target(trace_id), "deleted-before-sent", 0)
    deleted = service.feedback.DeleteFeedback(
        feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=doomed)
    )
    assert list(deleted.deleted_assessment_ids) == [doomed]  # not stored yet: tombstoned and reserved
    reads = metric(other_replica, READS)
    late = submit(other_replica, trace_id, request_id="deleted-before-sent")
    assert (late.assessment_id, late.state) == (doomed, DELETED)
    assert metric(other_replica, READS) == reads
    assert [a.assessment_id for a in assessments(mlflow_client, trace_id)] == [earlier.assessment_id]


def test_erasure_while_mlflow_refuses_creates_reserves_the_ids_once_it_accepts_them(
    start_service, mlflow_server, mlflow_client, monkeypatch
):
    """The reservation is journaled when MLflow takes the tombstones and deletes but no create, and
    placed once it does: from then on MLflow refuses the ids, whoever sends them."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    proxy = FaultyProxy(mlflow_server.url)
    try:
        replica = start_service(mlflow_tracking_uri=proxy.url)
        trace_id = new_trace(replica)
        rater = f"erased-{uuid.uuid4().hex[:8]}"
        voted = submit(replica, trace_id, rater, request_id="stored")
        proxy.fault = "503-assessments"
        erasure = feedback_pb2.EraseFeedbackBySourceRequest(source_id=rater)
        assert list(replica.feedback.EraseFeedbackBySource(erasure, timeout=60))[-1].feedback_deleted == 1
        assert assessments(mlflow_client, trace_id) == []
        proxy.fault = None
        settled = replica.feedback.GetFeedbackStatus(
            feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, assessment_id=voted.assessment_id), timeout=10
        )
        assert settled.state == DELETED
        # The replica's attacher delivers what it holds (the journaled reservation), then stops.
        replica._run(replica.app.feedback.close(30), timeout=60)
        again = Feedback(name="user_feedback", value=True, source=AssessmentSource("HUMAN", rater))
        again.assessment_id, again.trace_id = voted.assessment_id, trace_id
        with pytest.raises(MlflowException):
            mlflow_client.store.create_assessment(again)
        assert assessments(mlflow_client, trace_id) == []
    finally:
        proxy.close()


def test_votes_written_while_more_of_their_trace_are_due_are_read_back_once_with_those(
    service, mlflow_client, tmp_path
):
    """An engine of its own, rounds run by hand: the first round reads the trace (unknown to it),
    writes two raters' votes and puts their read-back off (a third unit of the trace is due); the
    next writes the third and reads the trace once for all three."""
    trace_id = new_trace(service)

    async def scenario() -> None:
        gateway = MlflowGateway(
            MlflowHostCreds(service.settings.mlflow_tracking_uri), service.settings.experiment_name, 10, 8
        )
        await gateway.connect(30)
        journal = SqliteJournal(tmp_path / "journal.db")
        await journal.open()
        metrics = Metrics()
        engine = FeedbackEngine(gateway, journal, InflightTraces(), metrics, 600, 60, 3600, 30)
        units = []
        # Voted a millisecond apart: within one, votes are ordered by assessment id (votes.py), not sent order.
        voted_ms = int(time.time() * 1000)
        for offset, (rater, value) in enumerate((("r-1", True), ("r-2", True), ("r-1", False))):
            feedback = FeedbackInput(
                "user_feedback", value, source_id=rater, request_id=str(uuid.uuid4()), client_time_ms=voted_ms + offset
            )
            recorded = await engine.intake.submit(Target(trace_id), [feedback], wait=False, deadline=None)
            units.append(engine.attacher.get(recorded.assessment_ids["user_feedback"]))
        reads = lambda: metrics.registry.get_sample_value(READS)  # noqa: E731

        await run_round(engine, units[:2])  # one read: the engine knew nothing of the trace
        assert reads() == 1 and all(engine.attacher.is_pending(p) for p in units)
        await run_round(engine, units)
        assert reads() == 2 and not any(engine.attacher.is_pending(p) for p in units)
        assert [p.unit.state for p in units] == ["STORED"] * 3
        await journal.close()
        await gateway.close()

    asyncio.run(scenario())
    stored = assessments(mlflow_client, trace_id)
    assert sorted((a.source.source_id, a.value, a.valid) for a in stored) == [
        ("r-1", False, True), ("r-1", True, False), ("r-2", True, True)
    ]  # fmt: skip


async def run_round(engine: FeedbackEngine, pendings: list[PendingUnit]) -> None:
    """One round on these units, as the attacher runs it (they are busy while it runs)."""
    for pending in pendings:
        pending.busy = True
    try:
        await engine.delivery.round(pendings)
    finally:
        for pending in pendings:
            pending.busy = False


def test_a_state_follows_creates_and_deletes_as_mlflow_applies_them():
    def vote(assessment_id, overrides=None):
        return FeedbackWrite("tr-1", assessment_id, "n", True, "HUMAN", "r", None, {}, None, 1, overrides)

    state = TraceState("tr-1").created(vote("a")).created(vote("b", overrides="a"))
    assert {i: f.valid for i, f in state.feedback.items()} == {"a": False, "b": True}
    assert {i: f.valid for i, f in state.removed("b").feedback.items()} == {"a": True}
    assert state.removed("missing") is state
    assert state.feedback["a"].valid is False  # the earlier states are untouched
