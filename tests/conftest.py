"""Fixtures: a real `mlflow server` on a free loopback port, and real in-process gRPC services.

The service runs on its own event loop in a background thread, exactly as in production
(grpc.aio); tests talk to it over a real loopback channel with the generated stubs.

Two tiers: `make test` runs everything; `make test-fast` the tests not marked `slow`, which are pure
or in-process, in under a minute. A test that starts or kills a process (a service, an MLflow
server of its own, a client tool) is `slow`, and so is a scenario of seconds; tests using
the fixtures in SLOW_FIXTURES are marked here. A test not marked slow that starts or kills a process
fails, saying so (only the session's MLflow server is shared by both tiers).
"""

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import sys
import threading
import types
import uuid
from pathlib import Path

import grpc
import pytest
from mlflow.tracing.client import TracingClient

from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside
from genaifeedback.service.process.server import FeedbackApp
from genaifeedback.v1 import chat_pb2_grpc, feedback_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent


SLOW_FIXTURES = {"private_mlflow", "two_processes", "dataset"}  # each starts processes of its own
PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.kill", "os.killpg"}
_processes_allowed = True  # False while a test not marked slow is set up or runs


def _refuse_processes(event: str, args: tuple) -> None:
    if event in PROCESS_EVENTS and not _processes_allowed:
        raise RuntimeError(f"{event} {args[:2]!r} in a test not marked slow: mark it @pytest.mark.slow")


sys.addaudithook(_refuse_processes)


@contextlib.contextmanager
def processes_allowed(allowed: bool = True):
    global _processes_allowed
    before, _processes_allowed = _processes_allowed, allowed
    try:
        yield
    finally:
        _processes_allowed = before


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if on_postgres(item):  # a suite run on both setups (setups.py), in its PostgreSQL variant
            item.add_marker(pytest.mark.postgres)
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.slow)


def on_postgres(item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("deployment") == "postgres"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with processes_allowed(item.get_closest_marker("slow") is not None):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with processes_allowed(item.get_closest_marker("slow") is not None):
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def mlflow_command() -> str:
    command = os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND") or str(ROOT / ".venv-mlflow/bin/mlflow")
    if not Path(command).exists() and not shutil.which(command):
        pytest.fail(f"no `mlflow` executable at {command}: run the tests with `make test`")
    return command


def start_mlflow(data_dir: Path, port: int | None = None) -> EmbeddedMlflowServer:
    server = EmbeddedMlflowServer(mlflow_command(), "127.0.0.1", port or free_port(), data_dir)
    server.start()
    return server


# An MLflow server this session did not start: `make mutation` runs hundreds of short sessions against
# one server rather than paying its start-up in each. Each session then gets experiments of its own
# (tests that count an experiment's traces must see only theirs).
SHARED_MLFLOW_URL = os.environ.get("FEEDBACK_TESTS_MLFLOW_URL", "").rstrip("/")
EXPERIMENT_SUFFIX = f"-{uuid.uuid4().hex[:12]}" if SHARED_MLFLOW_URL else ""


@pytest.fixture(scope="session")
def sqlite_mlflow(tmp_path_factory):
    """The session's MLflow (on SQLite): `mlflow_server`, except in the suites run on both setups."""
    if SHARED_MLFLOW_URL:
        yield types.SimpleNamespace(url=SHARED_MLFLOW_URL)  # tests use only its url
        return
    with processes_allowed():  # the session's one MLflow server, which every tier shares
        server = start_mlflow(tmp_path_factory.mktemp("mlflow"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server(sqlite_mlflow):
    """The tests' MLflow; the suites run on both setups take their setup's instead (setups.py)."""
    return sqlite_mlflow


@pytest.fixture
def private_mlflow(tmp_path):
    """An MLflow server of the test's own, to stop and start again; stopped however the test ends."""
    server = start_mlflow(tmp_path / "private-mlflow")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """One throwaway PostgreSQL for the session (under a second to start); each MLflow on it gets a
    database of its own. No fsync: its data is deleted at the end anyway."""
    cluster = EmbeddedPostgres(binaries_beside(mlflow_command()), settings={"fsync": "off"})
    cluster.start()
    yield cluster
    cluster.stop()


def start_mlflow_on_postgres(postgres: EmbeddedPostgres, data_dir: Path, workers: int) -> EmbeddedMlflowServer:
    """MLflow on a new, empty database of the session's PostgreSQL, with an explicit worker count."""
    store = postgres.create_database(f"mlflow_{uuid.uuid4().hex[:12]}")
    server = EmbeddedMlflowServer(
        mlflow_command(), "127.0.0.1", free_port(), data_dir, backend_store_uri=store, workers=workers
    )
    server.start()
    return server


@pytest.fixture(scope="session")
def mlflow_on_postgres(postgres, tmp_path_factory):
    """MLflow with 2 workers on the session's PostgreSQL: the suites' PostgreSQL setup (setups.py), the
    shared journal's tests and test_postgres's 2-worker run share it, each in experiments of its own."""
    server = start_mlflow_on_postgres(postgres, tmp_path_factory.mktemp("mlflow-pg"), 2)
    yield server
    server.stop()


@pytest.fixture(scope="session", params=[1, 2], ids=["1-worker", "2-workers"])
def postgres_mlflow(request, postgres, tmp_path_factory):
    """MLflow on PostgreSQL with 1 and then 2 workers (pytest groups the tests by it, so one runs at a time)."""
    if request.param == 2:
        yield request.getfixturevalue("mlflow_on_postgres")
        return
    server = start_mlflow_on_postgres(postgres, tmp_path_factory.mktemp("mlflow-pg"), request.param)
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def deployment(request, tmp_path_factory):
    """How the suites run on both setups are deployed (setups.py): replicas each with its own SQLite
    journal, on the session's MLflow on SQLite; or three replicas sharing a journal in PostgreSQL, on
    MLflow (2 workers) in the same PostgreSQL. pytest runs each setup's tests together."""
    from setups import PostgresSetup, SqliteSetup

    if request.param == "sqlite":
        deployed = SqliteSetup(request.getfixturevalue("sqlite_mlflow"), tmp_path_factory)
    else:
        postgres = request.getfixturevalue("postgres")
        deployed = PostgresSetup(request.getfixturevalue("mlflow_on_postgres"), tmp_path_factory, postgres)
    yield deployed
    deployed.close()


@pytest.fixture(scope="session")
def mlflow_client(mlflow_server) -> TracingClient:
    """Reads what MLflow actually stored (the service under test is not asked)."""
    return TracingClient(mlflow_server.url)


class Settlements:
    """What exporters reported of traces: stored in MLflow (True) or rejected by it. Replicas sharing a
    journal share one, as whichever of them exports a trace, a test may wait for it through any."""

    def __init__(self) -> None:
        self._settled: dict[str, bool] = {}
        self._changed = threading.Condition()

    def record(self, trace_ids: list[str], stored: bool) -> None:
        with self._changed:
            self._settled.update(dict.fromkeys(trace_ids, stored))
            self._changed.notify_all()

    def wait_stored(self, trace_id: str, timeout: float = 30) -> None:
        """Block until an exporter reports the trace stored in MLflow."""
        with self._changed:
            assert self._changed.wait_for(lambda: trace_id in self._settled, timeout), f"{trace_id} not stored"
            assert self._settled[trace_id], f"MLflow rejected {trace_id}"


class RunningService:
    """A FeedbackApp on its own event loop thread, plus a real channel and stubs to it."""

    def __init__(self, settings: Settings, settlements: Settlements | None = None):
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="service-loop", daemon=True)
        self._thread.start()
        self.app = FeedbackApp(settings)
        self._run(self.app.start(), timeout=120)
        self.settlements = settlements or Settlements()
        self.app.inflight.listen(self.settlements.record)
        self.wait_stored = self.settlements.wait_stored
        self.target = f"127.0.0.1:{self.app.port}"
        self.channel = grpc.insecure_channel(self.target)
        self.chat = chat_pb2_grpc.ChatServiceStub(self.channel)
        self.feedback = feedback_pb2_grpc.FeedbackServiceStub(self.channel)
        self.stopped = False

    def _run(self, coroutine, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        self._run(self.app.stop(), timeout=120)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self.channel.close()


class Replicas:
    """Starts in-process replicas on one MLflow with the tests' settings, then `settings(experiment)`
    (a shared journal's, say), then any overrides; `stop_all()` stops them together."""

    def __init__(self, mlflow_url: str, tmp_path_factory, settings=lambda experiment: {}, settlements=None):
        self.mlflow_url = mlflow_url
        self._folders = tmp_path_factory
        self._settings = settings
        self._settlements = settlements
        self.started: list[RunningService] = []

    def start(self, **overrides) -> RunningService:
        values = {
            "listen_address": "127.0.0.1:0",
            "mlflow_tracking_uri": self.mlflow_url,
            "experiment_name": "tests",
            "demo_token_delay_ms": 0,
            "data_dir": self._folders.mktemp("replica"),
            "shutdown_grace_seconds": 2.0,
            "shutdown_pause_seconds": 0,
            **overrides,
        }
        values = {**self._settings(values["experiment_name"]), **values}
        values["experiment_name"] += EXPERIMENT_SUFFIX
        self.started.append(RunningService(Settings(**values), self._settlements))
        return self.started[-1]

    def stop_all(self) -> None:
        # Each stop takes its straggler pause and flush: stopped together, they end in one such wait.
        with concurrent.futures.ThreadPoolExecutor(max(1, len(self.started))) as stopping:
            list(stopping.map(RunningService.stop, self.started))


@pytest.fixture(scope="session")
def start_service(mlflow_server, tmp_path_factory):
    """Start another service (another replica) with settings overrides; stopped at session end."""
    replicas = Replicas(mlflow_server.url, tmp_path_factory)
    yield replicas.start
    replicas.stop_all()


@pytest.fixture(scope="session")
def service(start_service) -> RunningService:
    return start_service()


@pytest.fixture(scope="session")
def other_replica(start_service) -> RunningService:
    """A second service on the same MLflow experiment: it knows nothing of the first one's chats."""
    return start_service()
