"""Replicas sharing one journal in PostgreSQL (--journal-url), against a real MLflow on the same
PostgreSQL (conftest `mlflow_on_postgres`).

Two or three replicas on one database: a replica SIGKILLed under load has what it acknowledged
delivered by another once its lease ends; a request id is one action whichever replica is asked;
GetFeedbackStatus answers alike everywhere; an erasure on one replica reaches feedback pending on
another. Then PostgreSQL itself: lost while serving (health NOT_SERVING, new work refused
UNAVAILABLE with RetryInfo, back without a restart), unreachable at start, or of a newer schema.
"""

import concurrent.futures
import os
import subprocess
import sys
import threading
import time
import uuid

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mlflow.tracing.client import TracingClient

from conftest import ROOT, Replicas, free_port, mlflow_command
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside
from genaifeedback.service.storage.postgres_journal import libpq_url
from genaifeedback.v1 import chat_pb2, feedback_pb2
from processes import FaultyProxy, ServiceProcess
from support import assessments, details, error_reason, new_trace

pytestmark = pytest.mark.postgres

LEASE_SECONDS = 3.0
PENDING, STORED, DELETED = (
    feedback_pb2.FEEDBACK_STATE_PENDING,
    feedback_pb2.FEEDBACK_STATE_STORED,
    feedback_pb2.FEEDBACK_STATE_DELETED,
)
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def journal_url(postgres) -> str:
    return libpq_url(postgres.create_database(f"journal_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(scope="module")
def mlflow_server(mlflow_on_postgres):
    return mlflow_on_postgres


@pytest.fixture(scope="module")
def mlflow_client(mlflow_on_postgres) -> TracingClient:
    return TracingClient(mlflow_on_postgres.url)


@pytest.fixture
def start_replica(mlflow_server, tmp_path_factory):
    """Start a replica on a journal database; each is stopped when the test ends (while its PostgreSQL
    is still there to let go of its leases)."""
    replicas = Replicas(mlflow_server.url, tmp_path_factory)
    yield lambda journal_url, **overrides: replicas.start(
        journal_url=journal_url, journal_lease_seconds=LEASE_SECONDS, **overrides
    )
    replicas.stop_all()


def vote(service, trace_id, value=True, request_id="", wait=False, rater="user-1"):
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id,
        bool_value=value,
        request_id=request_id,
        wait_until_stored=wait,
        source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater),
    )
    return service.feedback.SubmitFeedback(request, timeout=60)


def status(service, trace_id, assessment_id) -> tuple:
    answer = service.feedback.GetFeedbackStatus(
        feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, assessment_id=assessment_id), timeout=30
    )
    return answer.state, answer.trace_id, tuple(sorted(answer.assessment_ids.items())), answer.reason


def test_a_request_id_is_one_action_across_replicas(start_replica, journal_url):
    a, b = start_replica(journal_url), start_replica(journal_url)
    trace_id = new_trace(a)
    first = vote(a, trace_id, True, request_id="once")
    with pytest.raises(grpc.RpcError) as reused:
        vote(b, trace_id, False, request_id="once")  # at once: never acknowledged, then REJECTED
    assert reused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_reason(reused.value) == "REQUEST_ID_REUSED"
    retried = vote(b, trace_id, True, request_id="once", wait=True)  # the same action: a retry
    assert retried.assessment_id == first.assessment_id and retried.state == STORED


def test_status_and_erasure_see_every_replicas_pending_feedback(
    start_replica, journal_url, mlflow_server, mlflow_client
):
    """Feedback pending on A (MLflow refuses its writes) has the same status on A, B and C; B deletes
    every feedback on the trace, A's pending one included; once A can write, it settles DELETED."""
    proxy = FaultyProxy(mlflow_server.url)
    try:
        a = start_replica(journal_url, mlflow_tracking_uri=proxy.url)
        b, c = start_replica(journal_url), start_replica(journal_url)
        trace_id = new_trace(a)
        proxy.fault = "503-assessments"
        pending = vote(a, trace_id, request_id="pending-on-a")
        assert pending.state == PENDING
        seen = {status(r, trace_id, pending.assessment_id) for r in (a, b, c)}
        assert seen == {(PENDING, trace_id, (("user_feedback", pending.assessment_id),), "")}

        deleted = b.feedback.DeleteFeedback(
            feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, all_on_trace=True), timeout=60
        )
        assert list(deleted.deleted_assessment_ids) == [pending.assessment_id]
        proxy.fault = None
        assert vote(a, trace_id, request_id="pending-on-a", wait=True).state == DELETED
        assert {status(r, trace_id, pending.assessment_id)[0] for r in (a, b, c)} == {DELETED}
        assert assessments(mlflow_client, trace_id) == []
    finally:
        proxy.close()


def test_a_replica_killed_under_load_has_its_work_delivered_by_another_within_the_lease(
    start_replica, journal_url, mlflow_server, mlflow_client, tmp_path
):
    """A's MLflow writes fail, so everything it acknowledges stays pending in the shared journal; A is
    SIGKILLed; B takes over A's traces and feedback when A's leases end, and stores each once."""
    proxy = FaultyProxy(mlflow_server.url)
    killed = ServiceProcess(
        proxy.url, tmp_path / "killed", "tests", journal_url=journal_url, journal_lease_seconds=LEASE_SECONDS
    )
    try:
        killed.start()
        survivor = start_replica(journal_url)
        proxy.fault = "503-writes"
        chats: list[str] = []  # trace ids whose final event the caller received
        votes: list[feedback_pb2.SubmitFeedbackRequest] = []  # acknowledged requests
        enough = threading.Event()

        def caller(worker: int) -> None:
            for n in range(10_000):
                try:
                    events = list(killed.chat.Chat(chat_pb2.ChatRequest(message=f"q {worker}-{n}"), timeout=10))
                    chats.append(events[-1].finished.trace_id)
                    request = feedback_pb2.SubmitFeedbackRequest(
                        trace_id=chats[-1], bool_value=n % 2 == 0, request_id=f"vote-{worker}-{n}"
                    )
                    assert killed.feedback.SubmitFeedback(request, timeout=10).state == PENDING
                    votes.append(request)
                except grpc.RpcError:
                    return  # the kill
                if len(votes) >= 40:
                    enough.set()

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            callers = [pool.submit(caller, worker) for worker in range(4)]
            assert enough.wait(120)
            killed.kill()
            killed_at = time.monotonic()
            for done in callers:
                done.result()

        for request in votes:  # the callers' retries, on the survivor: they wait for the takeover
            request.wait_until_stored = True
            assert survivor.feedback.SubmitFeedback(request, timeout=60).state == STORED
        landed = time.monotonic() - killed_at
        for trace_id in chats:
            survivor.wait_stored(trace_id, timeout=60)  # exported by the survivor's exporter
        for request in votes:
            [stored] = assessments(mlflow_client, request.trace_id)  # exactly once
            assert stored.value is request.bool_value
        # The lease, a renewal tick to notice, and the writes themselves.
        assert landed < LEASE_SECONDS + 30, landed
    finally:
        killed.stop()
        proxy.close()


def health_watch(service):
    """The service's overall health, as it changes (a stream: no polling)."""
    stub = health_pb2_grpc.HealthStub(service.channel)
    return stub.Watch(health_pb2.HealthCheckRequest(), timeout=120)


def test_postgres_lost_while_serving_refuses_new_work_and_recovers_without_a_restart(start_replica):
    cluster = EmbeddedPostgres(binaries_beside(mlflow_command()), settings={"fsync": "off"})
    cluster.start()
    try:
        service = start_replica(libpq_url(cluster.create_database("journal")))
        trace_id = new_trace(service)
        watch = health_watch(service)
        assert next(watch).status == SERVING
        cluster.pause()
        assert next(watch).status == NOT_SERVING
        with pytest.raises(grpc.RpcError) as refused:
            vote(service, trace_id, request_id="during-outage")
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert details(refused.value, error_details_pb2.RetryInfo) is not None
        assert "journal" in refused.value.details()
        assert error_reason(refused.value) == "JOURNAL_UNAVAILABLE"
        with pytest.raises(grpc.RpcError) as chat_refused:
            list(service.chat.Chat(chat_pb2.ChatRequest(message="hello"), timeout=30))
        assert chat_refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert details(chat_refused.value, error_details_pb2.RetryInfo) is not None

        cluster.resume()
        assert next(watch).status == SERVING
        watch.cancel()
        assert vote(service, trace_id, request_id="during-outage", wait=True).state == STORED
    finally:
        cluster.stop()


def run_service(*flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "clients/python")])
    command = [
        sys.executable, "-m", "genaifeedback.service",
        "--mlflow-tracking-uri", f"http://127.0.0.1:{free_port()}",  # never reached: the journal opens first
        "--listen-address", "127.0.0.1:0",
        "--log-level", "WARNING",  # the start-up's INFO lines aside, the error is the one line on stderr
        *flags,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_an_unreachable_journal_at_start_is_one_line_and_exit_1():
    result = run_service("--journal-url", f"postgresql://journal:s3cret@127.0.0.1:{free_port()}/journal")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("feedback-service: PostgreSQL journal at postgresql://journal:***@127.0.0.1:")
    assert "unreachable" in lines[0] and "s3cret" not in result.stderr + result.stdout


def test_a_journal_schema_from_a_newer_version_is_refused_at_start(journal_url):
    with psycopg.connect(journal_url, autocommit=True) as db:
        db.execute("CREATE TABLE journal_schema (version integer NOT NULL)")
        db.execute("INSERT INTO journal_schema VALUES (7)")
    result = run_service("--journal-url", journal_url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "has schema version 7, newer than this service's 1" in lines[0]
