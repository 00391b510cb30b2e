"""Benchmark: EraseFeedbackBySource over every trace of an experiment (10,000 and 100,000 traces).

Starts its own MLflow tracking server (EmbeddedMlflowServer: SQLite, the product's embedded
settings) and the service in this process, loads each size's traces with feedback straight into
MLflow's database (bench/feedback_data.py, as bench/analytics.py does), then times
EraseFeedbackBySource through gRPC for a source that gave no feedback: the walk over every trace
with nothing deleted, so the figure is the trace walk itself and the data set stays as it was
(`--data-dir` reuses it, e.g. to time another checkout of the service on the same data: run that
checkout's copy of this script with the same `--data-dir`).

It prints figures; it asserts nothing. Run: `.venv/bin/python bench/erase.py --sizes 10000 100000`.
"""

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "clients" / "python"))
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))

import grpc  # noqa: E402

from genaifeedback.service.process.config import Settings  # noqa: E402
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.service.process.server import FeedbackApp  # noqa: E402
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, feedback_pb2, feedback_pb2_grpc  # noqa: E402

MLFLOW_COMMAND = os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND") or str(REPO / ".venv-mlflow/bin/mlflow")
MLFLOW_PYTHON = str(Path(MLFLOW_COMMAND).parent / "python")
DATA_SCRIPT = Path(__file__).resolve().parent / "feedback_data.py"
PROGRESS_LINES = 10_000  # a line per this many traces walked (a run cut short still shows its pace)


class ServiceThread:
    """The service on its own event loop in a thread, as in production (grpc.aio)."""

    def __init__(self, settings: Settings):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = FeedbackApp(settings)
        asyncio.run_coroutine_threadsafe(self.app.start(), self.loop).result(300)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.app.port}")

    def stop(self) -> None:
        self.channel.close()
        asyncio.run_coroutine_threadsafe(self.app.stop(), self.loop).result(300)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def trace_count(service: ServiceThread) -> int:
    """The experiment's traces of the last 30 days, counted by MLflow."""
    now_ms = time.time() * 1000
    request = analytics_pb2.GetFeedbackSummaryRequest(
        start_time=_stamp(now_ms - 30 * 86_400_000), end_time=_stamp(now_ms + 1)
    )
    stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(service.channel)
    return int(stub.GetFeedbackSummary(request, timeout=600).total.trace_count)


def load(mlflow: EmbeddedMlflowServer, experiment_id: str, size: int) -> None:
    loaded = subprocess.run(
        [
            MLFLOW_PYTHON,
            str(DATA_SCRIPT),
            f"--db=sqlite:///{mlflow.data_dir / 'mlflow.db'}",
            f"--experiment-id={experiment_id}",
            f"--traces={size}",
            f"--end-ms={int(time.time() * 1000)}",
            "--days=5",
            f"--seed={size}",  # other trace ids for each size: the sizes share one database
        ],
        capture_output=True,
        text=True,
    )
    if loaded.returncode:
        raise SystemExit(f"loading {size} traces failed:\n{loaded.stderr[-3000:]}")


def timed_erase(service: ServiceThread, mlflow_pid: int, source_id: str) -> str:
    """One erasure through gRPC: its figures, as a line. CPU seconds are printed besides wall time
    because the machine may be shared: this process's (the service and its gRPC client) and the
    MLflow server's (its process tree)."""
    stub = feedback_pb2_grpc.FeedbackServiceStub(service.channel)
    started, cpu, mlflow_cpu = time.perf_counter(), time.process_time(), _tree_cpu_seconds(mlflow_pid)
    first = 0.0
    last = feedback_pb2.EraseFeedbackBySourceResponse()
    for progress in stub.EraseFeedbackBySource(
        feedback_pb2.EraseFeedbackBySourceRequest(source_id=source_id), timeout=3600
    ):
        first = first or time.perf_counter() - started
        if progress.traces_scanned // PROGRESS_LINES > last.traces_scanned // PROGRESS_LINES:
            print(f"    {progress.traces_scanned} traces after {time.perf_counter() - started:.1f} s", flush=True)
        last = progress
    total = time.perf_counter() - started
    return (
        f"{total:7.1f} s ({last.traces_scanned} scanned, {last.feedback_deleted} deleted, done={last.done};"
        f" {total / max(1, last.traces_scanned) * 1e6:.0f} us per trace; first progress after {first:.2f} s;"
        f" CPU: service {time.process_time() - cpu:.1f} s, MLflow {_tree_cpu_seconds(mlflow_pid) - mlflow_cpu:.1f} s;"
        f" load average {os.getloadavg()[0]:.1f})"
    )


def _tree_cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its live descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        child, parent = int(stat.parent.name), int(fields[1])
        children.setdefault(parent, []).append(child)
        times[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, [])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=1, help="erasures timed per size")
    parser.add_argument("--data-dir", help="keep MLflow's data here, and reuse a data set loaded by an earlier run")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; code: {REPO}")
    with tempfile.TemporaryDirectory(prefix="erase-bench-") as tmp:
        data_dir = Path(args.data_dir or tmp).resolve()
        mlflow = EmbeddedMlflowServer(MLFLOW_COMMAND, "127.0.0.1", _free_port(), data_dir / "mlflow")
        mlflow.start()
        try:
            for size in args.sizes:
                run_size(size, mlflow, Path(tmp), args.repeats)
        finally:
            mlflow.stop()


def run_size(size: int, mlflow: EmbeddedMlflowServer, work_dir: Path, repeats: int) -> None:
    service = ServiceThread(
        Settings(
            listen_address="127.0.0.1:0",
            mlflow_tracking_uri=mlflow.url,
            experiment_name=f"erase-bench-{size}",
            data_dir=work_dir / f"replica-{size}",
            shutdown_pause_seconds=0,
        )
    )
    try:
        started = time.perf_counter()
        if trace_count(service) != size:
            load(mlflow, service.app.gateway.experiment_id, size)
            print(f"{size} traces loaded in {time.perf_counter() - started:.0f} s")
        for _ in range(repeats):
            figures = timed_erase(service, mlflow._process.pid, "nobody-at-all")  # its server process: no public handle
            print(f"{size:7d} traces: EraseFeedbackBySource {figures}", flush=True)
    finally:
        service.stop()


def _stamp(ms: float):
    from google.protobuf import timestamp_pb2

    stamp = timestamp_pb2.Timestamp()
    stamp.FromMilliseconds(int(ms))
    return stamp


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
