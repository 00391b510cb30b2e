"""A local `mlflow server`: on SQLite, the embedded default of `make run` and the tests' real store;
on PostgreSQL (embedded_postgres.py, or any given database), `make run-postgres`.

Settings are chosen from measurements (README, Configuration): one worker on SQLite (with several, each
request on a reused connection stalls ~44 ms on delayed ACKs, and SQLite takes one writer at a time),
the worker count always explicit (left out, `mlflow server` starts 4), and no job runner (the service
does not use it, and it costs a few hundred MB).
"""

import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from genaifeedback.service.process.embedded_postgres import check_reachable, redacted

logger = logging.getLogger(__name__)


class MlflowStartError(RuntimeError):
    """The embedded server cannot start; the message says why (the caller exits with it)."""


class EmbeddedMlflowServer:
    def __init__(
        self,
        command: str,
        host: str,
        port: int,
        data_dir: Path,
        log_path: Path | None = None,
        backend_store_uri: str = "",
        workers: int = 1,
    ):
        self.command = command
        self.host = host
        self.port = port
        self.data_dir = data_dir.resolve()
        self.log_path = log_path or self.data_dir / "mlflow-server.log"
        # Empty: SQLite in data_dir. Traces' artifacts stay in data_dir whatever the store.
        self.backend_store_uri = backend_store_uri or f"sqlite:///{self.data_dir / 'mlflow.db'}"
        self.workers = workers
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @classmethod
    def at(
        cls, tracking_uri: str, command: str, data_dir: Path, backend_store_uri: str = "", workers: int = 1
    ) -> "EmbeddedMlflowServer":
        address = urlsplit(tracking_uri)
        return cls(
            command,
            address.hostname or "127.0.0.1",
            address.port or 80,
            data_dir,
            backend_store_uri=backend_store_uri,
            workers=workers,
        )

    @property
    def store(self) -> str:
        """The backend store, without any password: for messages."""
        return redacted(self.backend_store_uri)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_seconds: float = 180.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with requests.Session() as probe:
            if _healthy(probe, self.url):
                raise MlflowStartError(f"something already serves {self.url}; stop it or choose another port")
        if self.backend_store_uri.startswith("postgresql"):
            check_reachable(self._python(), self.backend_store_uri)
        # `mlflow server` finds a busy port only after its start-up (tens of seconds on a new database),
        # logs it and exits 0: check first, and say so.
        if busy := _bind_failure(self.host, self.port):
            raise MlflowStartError(
                f"cannot start MLflow at {self.url}: {busy}; stop what listens there or choose another port "
                "with --mlflow-tracking-uri"
            )
        args = [
            self.command, "server",
            "--host", self.host,
            "--port", str(self.port),
            "--workers", str(self.workers),
            "--backend-store-uri", self.backend_store_uri,
            "--default-artifact-root", str(self.data_dir / "artifacts"),
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        with open(self.log_path, "ab") as log:
            self._log_start = log.tell()  # this run's part of the log, for the cause of a failure
            # Its own session: Ctrl-C reaches the service, which stops this server after flushing traces.
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self._wait_ready(timeout_seconds)

    def _python(self) -> str:
        """The interpreter of the `mlflow` executable's environment (its shebang), which has psycopg."""
        executable = shutil.which(self.command) or self.command
        try:
            with open(executable, "rb") as script:
                first = script.readline().decode(errors="replace")
        except OSError:
            first = ""
        words = first[2:].split() if first.startswith("#!") else []
        if words and Path(words[0]).name == "env":
            words = words[1:]
        if words and "python" in Path(words[0]).name:
            return words[0]
        return str(Path(executable).parent / "python")

    def _wait_ready(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        process = self._process
        assert process is not None, "started before waiting"
        with requests.Session() as probe:
            while not _healthy(probe, self.url):
                if process.poll() is not None:
                    cause = _cause(self.log_path, self._log_start)
                    raise MlflowStartError(
                        f"mlflow server exited with {process.returncode}: {cause} (see {self.log_path})"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    cause = _cause(self.log_path, self._log_start)
                    raise MlflowStartError(
                        f"mlflow server not ready after {timeout_seconds:g}s: {cause} (see {self.log_path})"
                    )
                time.sleep(0.2)  # polling a child process's readiness

    def kill(self) -> None:
        """SIGKILL it, as a crash would (for fault tests)."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def stop(self, timeout_seconds: float = 20.0) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


def _cause(log_path: Path, start: int) -> str:
    """The exception a failed `mlflow server` ended on, from its log (the last line naming an error)."""
    try:
        with open(log_path, "rb") as log:
            log.seek(start)
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        return "no log"
    errors = [line for line in lines if line[:1].isalpha() and ("Error" in line or "Exception" in line)]
    return " ".join(errors[-1].split()) if errors else "no error in its log"


def _bind_failure(host: str, port: int) -> str:
    """Why `mlflow server` could not bind host:port ("" if it can): a socket set up as uvicorn's tries."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        return f"port {port} on {host} is in use" if error.errno == errno.EADDRINUSE else str(error)
    return ""


def _healthy(client: requests.Session, url: str) -> bool:
    try:
        return client.get(f"{url}/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False
