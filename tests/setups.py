"""The suites run on both setups: the embedded default (MLflow on SQLite, each replica with its own
SQLite journal) and PostgreSQL (MLflow with 2 workers, and three replicas sharing one journal, both in
one throwaway PostgreSQL).

A module runs on both by importing the fixtures below (`from setups import *`): they stand in for
conftest's fixtures of the same names, taken from the `deployment` fixture (conftest), which pytest
makes once per setup and runs each setup's tests together.

- sqlite: the session's MLflow on SQLite; `service` and `other_replica` are two replicas, each with its
  own journal; a killed replica's work is delivered once it is restarted on its data folder.
- postgres: `service` is three replicas called in turn (each stub taken is the next one's), so a test's
  consecutive calls land on different replicas; `other_replica` is always a replica other than the one
  the calling thread last used; a killed replica's work is delivered by the others once its lease ends.
  Replicas of one experiment share a journal database, those of another experiment have their own (a
  replica delivers any trace of its journal into its own experiment).

The PostgreSQL variants are marked `postgres` (and so slow): never part of `make test-fast`.
"""

import contextlib
import itertools
import threading
import uuid
from functools import cached_property

import pytest
from mlflow.tracing.client import TracingClient

from conftest import Replicas, RunningService, Settlements, start_mlflow, start_mlflow_on_postgres
from genaifeedback.service.storage.postgres_journal import libpq_url
from processes import ServiceProcess

__all__ = [
    "mlflow_client",
    "mlflow_server",
    "other_replica",
    "private_mlflow",
    "service",
    "start_replicas",
    "start_service",
]

REPLICAS = 3  # on PostgreSQL
LEASE_SECONDS = 3.0  # short, so a killed replica's work is taken over within a test

# For a test in such a module whose subject is not the store (a client's output, the MLflow guide's
# own loop): the embedded default only, as running it on PostgreSQL too would prove nothing more.
default_setup_only = pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)


class Turns:
    """Whose turn it is among replicas: the next in a shared count, or the one after the one this
    thread last took."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self._last = threading.local()

    def take(self, replicas: int, after_last: bool) -> int:
        index = getattr(self._last, "index", -1) + 1 if after_last else next(self._count)
        self._last.index = index
        return index % replicas


class RoundRobin:
    """Replicas sharing a journal, called as one service: each stub taken (`chat`, `feedback`,
    `channel`, `target`) is the next replica's. `after()` gives the replica after the one this thread
    last took, so a chat on one and its feedback through `after()` never meet on one replica."""

    def __init__(self, replicas: list[RunningService], turns: Turns | None = None, after_last: bool = False):
        self.replicas = replicas
        self._turns = turns or Turns()
        self._after_last = after_last
        # Any replica's exporter may store a trace: they share what they report (Settlements).
        self.app, self.settings, self.wait_stored = replicas[0].app, replicas[0].settings, replicas[0].wait_stored

    def after(self) -> "RoundRobin":
        return RoundRobin(self.replicas, self._turns, after_last=True)

    def _take(self) -> RunningService:
        return self.replicas[self._turns.take(len(self.replicas), self._after_last)]

    chat = property(lambda self: self._take().chat)
    feedback = property(lambda self: self._take().feedback)
    channel = property(lambda self: self._take().channel)
    target = property(lambda self: self._take().target)


class Setup:
    name = ""

    def __init__(self, mlflow, tmp_path_factory, settlements: Settlements | None = None):
        self.mlflow = mlflow
        self.client = TracingClient(mlflow.url)
        self.replicas = Replicas(mlflow.url, tmp_path_factory, self.journal_settings, settlements)
        self._processes: list[ServiceProcess] = []

    def journal_settings(self, experiment: str) -> dict:
        """A replica's journal settings, beside the tests' defaults: none for SQLite (its data folder)."""
        return {}

    def process(self, data_dir, experiment: str, **flags) -> ServiceProcess:
        """A replica as a process (to kill or signal), on this setup's MLflow and journal."""
        process = ServiceProcess(self.mlflow.url, data_dir, experiment, **self.journal_settings(experiment), **flags)
        self._processes.append(process)
        return process

    def close(self) -> None:
        for process in self._processes:  # any a failed test left running
            process.stop()
        self.replicas.stop_all()


class SqliteSetup(Setup):
    name = "sqlite"
    journal_on_disk = True  # in each replica's (each worker's) data folder

    @cached_property
    def service(self) -> RunningService:
        return self.replicas.start()

    @cached_property
    def other_replica(self) -> RunningService:
        return self.replicas.start()

    def deploy(self, **overrides) -> RunningService:
        """The service as this setup runs it: one replica."""
        return self.replicas.start(**overrides)

    def peers(self, experiment: str) -> list[RunningService]:
        """Replicas that could take over a replica's work: none (its journal is on its own disk)."""
        return []

    @contextlib.contextmanager
    def taking_over(self, stopped: ServiceProcess, peers: list[RunningService]):
        """Who delivers what a stopped replica acknowledged: the replica itself, restarted."""
        restarted = stopped.again().start()
        try:
            yield restarted
        finally:
            restarted.stop()

    def start_private_mlflow(self, folder):
        return start_mlflow(folder)


class PostgresSetup(Setup):
    name = "postgres"
    journal_on_disk = False

    def __init__(self, mlflow, tmp_path_factory, postgres):
        self._postgres = postgres
        self._journals: dict[str, str] = {}  # experiment -> its journal database
        super().__init__(mlflow, tmp_path_factory, Settlements())

    def journal_settings(self, experiment: str) -> dict:
        if experiment not in self._journals:
            database = self._postgres.create_database(f"journal_{uuid.uuid4().hex[:12]}")
            self._journals[experiment] = libpq_url(database)
        return {"journal_url": self._journals[experiment], "journal_lease_seconds": LEASE_SECONDS}

    @cached_property
    def service(self) -> RoundRobin:
        return self.deploy()

    @cached_property
    def other_replica(self) -> RoundRobin:
        return self.service.after()

    def deploy(self, **overrides) -> RoundRobin:
        """The service as this setup runs it: three replicas sharing a journal, called in turn."""
        return RoundRobin([self.replicas.start(**overrides) for _ in range(REPLICAS)])

    def peers(self, experiment: str) -> list[RunningService]:
        """The two replicas beside one of the experiment's: they share its load and its journal."""
        return [self.replicas.start(experiment_name=experiment) for _ in range(REPLICAS - 1)]

    @contextlib.contextmanager
    def taking_over(self, stopped: ServiceProcess, peers: list[RunningService]):
        """Who delivers what a stopped replica acknowledged: the others, once its leases end (at once
        after a clean stop, which lets go of them)."""
        yield RoundRobin(peers)

    def start_private_mlflow(self, folder):
        return start_mlflow_on_postgres(self._postgres, folder, 2)


# --- the fixtures a module imports to run on both setups


@pytest.fixture(scope="session")
def mlflow_server(deployment):
    return deployment.mlflow


@pytest.fixture(scope="session")
def mlflow_client(deployment) -> TracingClient:
    return deployment.client


@pytest.fixture(scope="session")
def service(deployment):
    return deployment.service


@pytest.fixture(scope="session")
def other_replica(deployment):
    return deployment.other_replica


@pytest.fixture(scope="session")
def start_service(deployment):
    """One replica, with settings overrides (on PostgreSQL, on its experiment's shared journal)."""
    return deployment.replicas.start


@pytest.fixture(scope="session")
def start_replicas(deployment):
    """The service as the setup deploys it, with settings overrides: one replica, or three in turn."""
    return deployment.deploy


@pytest.fixture
def private_mlflow(deployment, tmp_path):
    """An MLflow server of the test's own, on the setup's store, to stop and start again."""
    server = deployment.start_private_mlflow(tmp_path / "private-mlflow")
    yield server
    server.stop()
