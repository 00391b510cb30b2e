"""Run a command against a real, freshly started service: the client tests of other languages.

    python scripts/with_service.py -- go test ./...

Starts `feedback-service --embedded-mlflow` (a real `mlflow server` on SQLite in a temporary
folder, and the gRPC service) on free loopback ports, waits until its health check says
SERVING, runs the command with these in its environment, then stops both:

    GENAIFEEDBACK_ADDRESS   host:port of the gRPC service
    GENAIFEEDBACK_MLFLOW_URL  the MLflow tracking server, to check what it stored
    GENAIFEEDBACK_EXPERIMENT_ID  the experiment that receives the traces

Exits with the command's exit code.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
MLFLOW = ROOT / ".venv-mlflow" / "bin" / "mlflow"  # `make setup` puts the full mlflow package there
EXPERIMENT = "client-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_serving(address: str, service: subprocess.Popen, log: Path, timeout_seconds: float = 180) -> None:
    deadline = time.monotonic() + timeout_seconds
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if service.poll() is not None:
                sys.exit(f"feedback-service exited with {service.returncode}:\n{log.read_text()}")
            try:
                if (
                    health.Check(health_pb2.HealthCheckRequest(), timeout=2).status
                    == health_pb2.HealthCheckResponse.SERVING
                ):
                    return
            except grpc.RpcError:
                time.sleep(0.2)  # polling a child process's readiness
    sys.exit(f"feedback-service not serving after {timeout_seconds:g}s:\n{log.read_text()}")


def experiment_id(mlflow_url: str) -> str:
    response = httpx.get(f"{mlflow_url}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": EXPERIMENT})
    response.raise_for_status()
    return response.json()["experiment"]["experiment_id"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    command = [c for c in parser.parse_args().command if c != "--"] or parser.error("no command given")
    address = f"127.0.0.1:{free_port()}"
    mlflow_url = f"http://127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="genaifeedback-") as tmp:
        log = Path(tmp, "service.log")
        args = [
            str(Path(sys.executable).parent / "feedback-service"),
            "--embedded-mlflow",
            "--embedded-mlflow-command", os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND", str(MLFLOW)),
            "--embedded-mlflow-data-dir", str(Path(tmp, "mlflow")),
            "--listen-address", address,
            "--mlflow-tracking-uri", mlflow_url,
            "--experiment-name", EXPERIMENT,
            "--demo-token-delay-ms", "1",
            "--data-dir", str(Path(tmp, "replica")),
        ]  # fmt: skip
        with open(log, "wb") as out:
            service = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        try:
            wait_serving(address, service, log)
            env = {
                **os.environ,
                "GENAIFEEDBACK_ADDRESS": address,
                "GENAIFEEDBACK_MLFLOW_URL": mlflow_url,
                "GENAIFEEDBACK_EXPERIMENT_ID": experiment_id(mlflow_url),
            }
            print(f"service at {address}, MLflow at {mlflow_url}: {' '.join(command)}", flush=True)
            code = subprocess.run(command, env=env, check=False).returncode
            if service.poll() is not None:  # it died under the command: show why
                print(f"feedback-service exited with {service.returncode}; its log ends:", file=sys.stderr)
                print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
                code = code or 1
            return code
        finally:
            if service.poll() is None:
                os.killpg(service.pid, signal.SIGTERM)  # drains, stores traces, stops MLflow
            try:
                service.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(service.pid, signal.SIGKILL)
                service.wait()


if __name__ == "__main__":
    sys.exit(main())
