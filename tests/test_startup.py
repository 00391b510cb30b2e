"""Start-up refusals, with real processes on loopback ports: a second `feedback-service` on an address
already served, and an embedded MLflow whose port is taken. Each exits non-zero at once and says why."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from conftest import free_port, mlflow_command
from processes import ServiceProcess

pytestmark = pytest.mark.slow  # every test here starts feedback-service processes

EXIT_SECONDS = 60  # a refusing process exits in seconds; one that starts serving instead never does


def feedback_service(*args: str) -> subprocess.CompletedProcess[str]:
    """`feedback-service args...` to its end; a process that does not end (it serves) fails the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "feedback-service"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"it did not refuse (still running after {EXIT_SECONDS}s):\n{stderr[-3000:]}") from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def second_instance(first: ServiceProcess, data_dir: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """The first one's command line on its address, with a data folder of its own (the folder lock is
    another refusal, not the one under test)."""
    args = list(first.args[1:])
    args[args.index("--data-dir") + 1] = str(data_dir)
    return feedback_service(*args, *flags)


def serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def test_a_second_instance_on_a_served_address_refuses_to_start(mlflow_server, tmp_path):
    first = ServiceProcess(mlflow_server.url, tmp_path / "first", "second-instance").start()
    try:
        for flags in ((), ("--workers", "2")):  # one worker, or a supervisor of several
            second = second_instance(first, tmp_path / f"second{len(flags)}", *flags)
            assert second.returncode == 1, second.stderr[-3000:]
            assert f"feedback-service: cannot listen on {first.target}: the address is in use" in second.stderr
            assert "Traceback" not in second.stderr
        assert serving(first.target)  # the first one is untouched
        assert first.process.poll() is None
    finally:
        first.stop()


def test_a_busy_mlflow_port_fails_at_once_with_its_cause(tmp_path):
    with socket.socket() as squatter:  # something that is not MLflow holds the port
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        started = time.monotonic()
        result = feedback_service(
            "--embedded-mlflow",
            "--embedded-mlflow-command", mlflow_command(),
            "--embedded-mlflow-data-dir", str(tmp_path / "mlflow"),
            "--mlflow-tracking-uri", f"http://127.0.0.1:{port}",
            "--listen-address", f"127.0.0.1:{free_port()}",
            "--data-dir", str(tmp_path / "data"),
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-3000:]
    assert (
        f"feedback-service: cannot start MLflow at http://127.0.0.1:{port}: port {port} on 127.0.0.1 is in use"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    # Found before `mlflow server` was started at all (it would have written its log, and taken its start-up).
    assert not (tmp_path / "mlflow" / "mlflow-server.log").exists()
    assert elapsed < EXIT_SECONDS


def test_an_mlflow_that_never_answers_stops_the_start_with_one_line(tmp_path):
    port = free_port()  # nothing listens there
    result = feedback_service(
        "--mlflow-tracking-uri", f"http://127.0.0.1:{port}",
        "--mlflow-startup-timeout-seconds", "1",
        "--listen-address", f"127.0.0.1:{free_port()}",
        "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"feedback-service: cannot use MLflow at http://127.0.0.1:{port}:" in result.stderr
    assert "Traceback" not in result.stderr
