"""A local `mlflow server` on SQLite: the embedded default of `make run`, and the tests' real store.

Settings are chosen from measurements (README, Configuration): one worker (with several, each request on a
reused connection stalls ~44 ms on delayed ACKs), and no job runner (the service does not use it,
and it costs a few hundred MB).
"""

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)


class EmbeddedMlflowServer:
    def __init__(self, command: str, host: str, port: int, data_dir: Path, log_path: Path | None = None):
        self.command = command
        self.host = host
        self.port = port
        self.data_dir = data_dir.resolve()
        self.log_path = log_path or self.data_dir / "mlflow-server.log"
        self._process: subprocess.Popen[bytes] | None = None

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
                raise RuntimeError(f"something already serves {self.url}; stop it or choose another port")
        args = [
            self.command, "server",
            "--host", self.host,
            "--port", str(self.port),
            "--workers", "1",
            "--backend-store-uri", f"sqlite:///{self.data_dir / 'mlflow.db'}",
            "--default-artifact-root", str(self.data_dir / "artifacts"),
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
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
                    raise RuntimeError(f"mlflow server exited with {process.returncode}; see {self.log_path}")
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"mlflow server not ready after {timeout_seconds:g}s; see {self.log_path}")
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


def _healthy(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
