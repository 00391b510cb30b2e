"""A local `mlflow server` on SQLite: the embedded default of `make run`, and the tests' real store.

Settings are chosen from measurements (README, Configuration): one worker (with several, each request on a
reused connection stalls ~44 ms on delayed ACKs), and no job runner (the service does not use it,
and it costs a few hundred MB).
"""

import errno
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)


class MlflowStartError(RuntimeError):
    """The embedded server cannot start; the message says why (the caller exits with it)."""


class EmbeddedMlflowServer:
    def __init__(self, command: str, host: str, port: int, data_dir: Path, log_path: Path | None = None):
        self.command = command
        self.host = host
        self.port = port
        self.data_dir = data_dir.resolve()
        self.log_path = log_path or self.data_dir / "mlflow-server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @classmethod
    def at(cls, tracking_uri: str, command: str, data_dir: Path) -> "EmbeddedMlflowServer":
        address = urlsplit(tracking_uri)
        return cls(command, address.hostname or "127.0.0.1", address.port or 80, data_dir)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_seconds: float = 180.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with httpx.Client() as probe:
            if _healthy(probe, self.url):
                raise MlflowStartError(f"something already serves {self.url}; stop it or choose another port")
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
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.data_dir / 'mlflow.db'}",
            "--default-artifact-root", str(self.data_dir / "artifacts"),
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            # Its own session: Ctrl-C reaches the service, which stops this server after flushing traces.
            self._process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self._wait_ready(timeout_seconds)

    def _wait_ready(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        process = self._process
        assert process is not None, "started before waiting"
        with httpx.Client() as probe:
            while not _healthy(probe, self.url):
                if process.poll() is not None:
                    raise MlflowStartError(
                        f"mlflow server exited with {process.returncode}{self._last_error()}; see {self.log_path}"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    raise MlflowStartError(
                        f"mlflow server not ready after {timeout_seconds:g}s{self._last_error()}; see {self.log_path}"
                    )
                time.sleep(0.2)  # polling a child process's readiness

    def _last_error(self) -> str:
        """The last error line this start wrote to the log, as ": <line>" ("" if none)."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            lines = log.read().decode(errors="replace").splitlines()
        errors = [line.strip() for line in lines if "ERROR" in line or "Error" in line]
        return f": {errors[-1]}" if errors else ""

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


def _healthy(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
