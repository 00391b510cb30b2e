"""Benchmark: GetFeedbackSummary against the guide's analysis (search, then get_trace per trace).

Starts its own MLflow tracking server (EmbeddedMlflowServer: SQLite in a temp dir, one worker, the
product's embedded settings; with --postgres, two workers on a throwaway PostgreSQL) and the service in this process (its gRPC server on a loopback
port), then for each size (10,000 and 100,000 traces, every one with feedback: a thumb, and on
most three 1-5 ratings, within the last 24 hours, bulk-loaded by bench/feedback_data.py into an
experiment of its own):

  a. GetFeedbackSummary over the last 24 hours, through gRPC, each the median of 5 calls after one
     warm-up: the default, with the feedback rate (`count_traces_with_feedback`: the traces carrying
     the feedback marker, counted by MLflow), and per hour and per model with the feedback rate
     (all counted by MLflow's QueryTraceMetrics); and one call that needs the read of every trace
     info (a `source_type` filter).
  b. The guide's method on the same server: `search_traces` of the last 24 hours (with spans, as
     the guide calls it), then `get_trace` for every trace. Run in full when it fits the time
     budget; otherwise the search is timed on its first pages and get_trace on a random sample,
     and the total is extrapolated (printed as such).
  c. The ratio guide / service.

It prints figures; it asserts nothing. Run: `make bench-analytics` (or `.venv/bin/python
bench/analytics.py --sizes 10000 100000 --budget-seconds 180`).
"""

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))

import grpc  # noqa: E402
from mlflow.tracing.client import TracingClient  # noqa: E402

from genaifeedback.service.process.config import Settings  # noqa: E402
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside  # noqa: E402
from genaifeedback.service.process.server import FeedbackApp  # noqa: E402
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, feedback_pb2  # noqa: E402
from cpu_time import group_cpu_seconds  # noqa: E402

MLFLOW_COMMAND = os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND") or str(REPO / ".venv-mlflow/bin/mlflow")
MLFLOW_PYTHON = str(Path(MLFLOW_COMMAND).parent / "python")
SEARCH_PAGE = 500  # MLflow's largest search_traces page
GUIDE_SAMPLE = 400  # get_trace calls timed when the full run would not fit the budget


class ServiceThread:
    """The service on its own event loop in a thread, as in production (grpc.aio)."""

    def __init__(self, settings: Settings):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.app = FeedbackApp(settings)
        self._run(self.app.start())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.app.port}")
        self.stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(self.channel)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(300)

    def stop(self) -> None:
        self.channel.close()
        self._run(self.app.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def timed_summary(
    stub, request, mlflow_pgid: int, repeats: int = 5, warm_up: bool = True, timeout: float = 600
) -> tuple[float, float, analytics_pb2.GetFeedbackSummaryResponse]:
    """The median wall time of the calls, and of MLflow's CPU per call (less shaken by other load)."""
    if warm_up:
        stub.GetFeedbackSummary(request, timeout=timeout)
    times, cpu = [], []
    for _ in range(repeats):
        started, cpu_before = time.perf_counter(), group_cpu_seconds(mlflow_pgid)
        answer = stub.GetFeedbackSummary(request, timeout=timeout)
        times.append(time.perf_counter() - started)
        cpu.append(group_cpu_seconds(mlflow_pgid) - cpu_before)
    return statistics.median(times), statistics.median(cpu), answer


def guide_method(client: TracingClient, experiment_id: str, traces: int, budget_seconds: float) -> tuple[float, str]:
    """Seconds the guide's method takes (measured, or extrapolated from a sample), and how it was got."""
    cutoff_ms = int((time.time() - 24 * 3600) * 1000)
    started = time.perf_counter()
    found, token, pages = [], None, 0
    search_budget = budget_seconds / 3
    while True:
        page = client.search_traces(
            locations=[experiment_id],
            filter_string=f"trace.timestamp_ms > {cutoff_ms}",
            max_results=SEARCH_PAGE,
            page_token=token,
        )
        found += [trace.info.trace_id for trace in page]
        pages += 1
        token = page.token
        if not token or time.perf_counter() - started > search_budget:
            break
    search_seconds = time.perf_counter() - started
    search_complete = not token
    if not search_complete:
        search_seconds = search_seconds / len(found) * traces
    started = time.perf_counter()
    sample = random.Random(3).sample(found, min(GUIDE_SAMPLE, len(found)))
    for trace_id in sample:
        client.get_trace(trace_id)
    per_trace = (time.perf_counter() - started) / len(sample)
    if search_complete and per_trace * traces <= budget_seconds:
        started = time.perf_counter()  # it fits the budget: run the whole method
        for trace_id in found:
            client.get_trace(trace_id)
        fetch_seconds = time.perf_counter() - started
        return (
            search_seconds + fetch_seconds,
            f"measured in full: search {search_seconds:.1f} s + {traces} get_trace calls {fetch_seconds:.1f} s",
        )
    how = (
        f"extrapolated: search {'measured' if search_complete else f'timed on {len(found)} traces'}"
        f" ({search_seconds:.1f} s for {traces}), get_trace {per_trace * 1000:.1f} ms each on a sample of"
        f" {len(sample)}, x {traces} = {per_trace * traces:.0f} s"
    )
    total = search_seconds + per_trace * traces
    return total, how


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--budget-seconds", type=float, default=180.0, help="longest the guide's method may run")
    parser.add_argument("--data-dir", help="keep MLflow's data here, and reuse a data set loaded by an earlier run")
    parser.add_argument("--skip-guide", action="store_true", help="do not time the guide's method (minutes)")
    parser.add_argument(
        "--postgres", action="store_true", help="MLflow (2 workers) on a throwaway PostgreSQL instead of SQLite"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as tmp:
        data_dir = Path(args.data_dir or tmp).resolve()
        postgres = EmbeddedPostgres(binaries_beside(MLFLOW_COMMAND)) if args.postgres else None
        if postgres:
            postgres.start()
        store = postgres.create_database("mlflow") if postgres else ""
        mlflow = EmbeddedMlflowServer(
            MLFLOW_COMMAND,
            "127.0.0.1",
            _free_port(),
            data_dir / "mlflow",
            backend_store_uri=store,
            workers=2 if store else 1,
        )
        mlflow.start()
        rows = []
        try:
            client = TracingClient(mlflow.url)
            for size in args.sizes:
                rows.append(run_size(size, mlflow, client, data_dir, args.budget_seconds, args.skip_guide))
        finally:
            mlflow.stop()
            if postgres:
                postgres.stop()
    print()
    print("traces    summary   with rate   hour+model+rate   HUMAN only (read)   guide's method   guide/with rate")
    for size, plain, grouped, counted, scanned, guide, how in rows:
        print(
            f"{size:7d} {plain * 1000:7.0f} ms {counted * 1000:8.0f} ms {grouped * 1000:14.0f} ms"
            f" {scanned * 1000:15.0f} ms"
            + (f" {guide:13.1f} s {guide / counted:14.0f}x" if guide is not None else "      (not run)")
        )
        print(f"          guide: {how}")


def run_size(
    size: int, mlflow: EmbeddedMlflowServer, client: TracingClient, data_dir: Path, budget: float, skip_guide: bool
):
    service = ServiceThread(
        Settings(
            listen_address="127.0.0.1:0",
            mlflow_tracking_uri=mlflow.url,
            experiment_name=f"analytics-bench-{size}",
            data_dir=data_dir / f"replica-{size}",
            shutdown_pause_seconds=0,
        )
    )
    try:
        experiment_id = service.app.gateway.experiment_id
        started = time.perf_counter()
        stored = service.stub.GetFeedbackSummary(
            analytics_pb2.GetFeedbackSummaryRequest(
                start_time=_stamp(time.time() * 1000 - 30 * 86_400_000), end_time=_stamp(time.time() * 1000 + 1)
            ),
            timeout=600,
        )
        loaded = (
            _Loaded()
            if stored.total.trace_count == size
            else subprocess.run(
                [
                    MLFLOW_PYTHON,
                    str(REPO / "bench/feedback_data.py"),
                    f"--db={mlflow.backend_store_uri}",
                    f"--experiment-id={experiment_id}",
                    f"--traces={size}",
                    f"--end-ms={int(time.time() * 1000)}",
                    "--days=0.5",
                    "--feedback-share=1",
                    f"--seed={size}",  # other trace ids for each size: several sizes share one database
                ],
                capture_output=True,
                text=True,
            )
        )
        if loaded.returncode:
            raise SystemExit(f"loading {size} traces failed:\n{loaded.stderr[-3000:]}")
        print(f"\n{size} traces with feedback loaded in {time.perf_counter() - started:.0f} s")
        pgid, hourly = mlflow._process.pid, analytics_pb2.SUMMARY_INTERVAL_HOUR

        def timed(what: str, repeats: int = 5, **fields):
            wall, cpu, answer = timed_summary(
                service.stub, analytics_pb2.GetFeedbackSummaryRequest(**fields), pgid, repeats, warm_up=repeats > 1
            )
            print(f"  {what}: {wall * 1000:.0f} ms (MLflow CPU {cpu * 1000:.0f} ms)", flush=True)
            return wall, answer

        plain, answer = timed("summary (median of 5)")
        assert answer.total.trace_count == size, answer.total.trace_count
        counted, answer = timed("with the feedback rate", count_traces_with_feedback=True)
        assert answer.counting.aggregated_by_mlflow and answer.total.traces_with_feedback == size
        models = {"group_by": analytics_pb2.GROUP_DIMENSION_TRACE_TAG, "group_by_tag": "model"}
        models["group_values"] = ["model-a", "model-b", "model-c"]
        timed("per hour and per model", interval=hourly, **models)
        grouped, _ = timed(
            "per hour and per model, with the feedback rate", interval=hourly, **models, count_traces_with_feedback=True
        )
        scanned, answer = timed(
            "HUMAN feedback only (reads every trace info)", 1, source_type=feedback_pb2.SOURCE_TYPE_HUMAN
        )
        if skip_guide:
            return size, plain, grouped, counted, scanned, None, "not run (--skip-guide)"
        guide, how = guide_method(client, experiment_id, size, budget)
        print(f"  guide's method: {guide:.1f} s ({how})")
        return size, plain, grouped, counted, scanned, guide, how
    finally:
        service.stop()


class _Loaded:
    returncode = 0  # the data set is there from an earlier run (--data-dir)


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
