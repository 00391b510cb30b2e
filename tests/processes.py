"""The service as a real process (to SIGKILL it), and a fault-injecting HTTP proxy in front of MLflow."""

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from genaifeedback.v1 import chat_pb2_grpc, feedback_pb2_grpc


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServiceProcess:
    """`feedback-service` in its own process group, on a fixed port and data folder."""

    def __init__(self, mlflow_url: str, data_dir: Path, experiment: str, **flags):
        self._given = (mlflow_url, data_dir, experiment, flags)
        self.experiment = experiment
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.args = [
            str(Path(sys.executable).parent / "feedback-service"),
            "--listen-address", self.target,
            "--mlflow-tracking-uri", mlflow_url,
            "--experiment-name", experiment,
            "--data-dir", str(data_dir),
            "--demo-token-delay-ms", "0",
            "--demo-response-tokens", "16",
            "--shutdown-pause-seconds", "0",
            "--log-level", "INFO",
        ]  # fmt: skip
        for name, value in flags.items():
            self.args += [f"--{name.replace('_', '-')}", str(value)]
        self.process: subprocess.Popen | None = None
        self.channel: grpc.Channel | None = None

    def start(self, timeout: float = 120) -> "ServiceProcess":
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.channel = grpc.insecure_channel(self.target)
        health = health_pb2_grpc.HealthStub(self.channel)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"feedback-service exited:\n{self.log_path.read_text()[-3000:]}"
            try:
                if (
                    health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    self.chat = chat_pb2_grpc.ChatServiceStub(self.channel)
                    self.feedback = feedback_pb2_grpc.FeedbackServiceStub(self.channel)
                    return self
            except grpc.RpcError:
                time.sleep(0.1)  # ok: polling a child process's readiness
        raise AssertionError(f"feedback-service not serving:\n{self.log_path.read_text()[-3000:]}")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 60) -> None:
        """Until the log holds `text` `count` times: what one process's readiness cannot say for its siblings
        (with --workers, the first worker up answers the health check)."""
        deadline = time.monotonic() + timeout
        while self.log_path.read_text().count(text) < count:
            assert self.process.poll() is None, f"feedback-service exited:\n{self.log_path.read_text()[-3000:]}"
            log = self.log_path.read_text()
            assert time.monotonic() < deadline, f"{text!r} not {count}x in the log:\n{log[-3000:]}"
            time.sleep(0.1)  # ok: polling a child process's log

    def again(self) -> "ServiceProcess":
        """The same replica (the same data folder and flags) to start again, on a new port."""
        mlflow_url, data_dir, experiment, flags = self._given
        return ServiceProcess(mlflow_url, data_dir, experiment, **flags)

    def kill(self) -> None:
        """SIGKILL. The channel stays open: callers see what a crash looks like (UNAVAILABLE)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM; returns the exit code. The channel stays open: callers see what the server said."""
        os.killpg(self.process.pid, signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.terminate()
        if self.channel:
            self.channel.close()


class FaultyProxy:
    """An HTTP proxy to MLflow that can answer 401 or 503, lose MLflow's answers, or hold OTLP batches past
    a timeout, on demand; or stand in front of MLflow as an authenticating gateway would: over TLS (`tls`,
    a server context, which may require client certificates) and answering 401 to a request without the
    `authorization` header it requires."""

    def __init__(self, upstream: str, tls: ssl.SSLContext | None = None, required_authorization: str | None = None):
        self.upstream = upstream
        self.required_authorization = required_authorization
        # None, "401", "503-assessments", "503-writes" (traces and assessments), "lose-assessment-answers",
        # "slow-otlp-big" or "reject-marked"
        self.fault: str | None = None
        self.reject_marker = b"REJECT-ME"  # "reject-marked": a batch holding this answers 400, as MLflow does
        self.slow_seconds = 0.0
        self.big_batch_bytes = 8 * 1024
        self.faults_served = 0
        self.proxied = 0  # requests sent to it as an HTTP proxy
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                if self.path.startswith("http://"):  # absolute form: a client using this as its HTTP proxy
                    proxy.proxied += 1
                    self.path = "/" + self.path.split("/", 3)[3]
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                writing = self.command == "POST" and (self.path == "/v1/traces" or self.path.endswith("/assessments"))
                if proxy.fault == "503-writes" and writing:
                    proxy.faults_served += 1
                    self._answer(503, b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down"}')
                    return
                if proxy.fault == "503-assessments" and self.path.endswith("/assessments"):
                    proxy.faults_served += 1
                    self._answer(503, b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down"}')
                    return
                if proxy.required_authorization and self.headers.get("authorization") != proxy.required_authorization:
                    self._answer(401, b'{"error": "unauthenticated"}')
                    return
                if proxy.fault == "401":
                    proxy.faults_served += 1
                    self._answer(401, b'{"error": "token expired"}')
                    return
                if proxy.fault == "reject-marked" and self.path == "/v1/traces" and proxy.reject_marker in body:
                    proxy.faults_served += 1
                    self._answer(400, b'{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad span"}')
                    return
                if proxy.fault == "slow-otlp-big" and self.path == "/v1/traces" and len(body) > proxy.big_batch_bytes:
                    proxy.faults_served += 1
                    time.sleep(proxy.slow_seconds)  # ok: the fault itself: MLflow slow on a big batch
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                reply = httpx.request(  # never through a proxy itself (a test may set HTTP_PROXY to this one)
                    self.command, proxy.upstream + self.path, headers=headers, content=body, timeout=60, trust_env=False
                )
                creating = self.command == "POST" and self.path.endswith("/assessments")
                if proxy.fault == "lose-assessment-answers" and creating:
                    # MLflow stored the assessment, but its answer is lost (a timeout, a dropped connection).
                    proxy.faults_served += 1
                    self._answer(503, b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "answer lost"}')
                    return
                self._answer(reply.status_code, reply.content, reply.headers.get("content-type", "application/json"))

            def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        # shutdown() returns once serve_forever notices it: at its next poll (0.5 s by default)
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
