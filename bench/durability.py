"""Benchmark of acknowledgement on durability (the journal), against MLflow on this machine.

Starts its own MLflow server (the embedded settings, SQLite in a temp dir) and the service as a
subprocess with its metrics endpoint, then measures, in one run:

  1. The journal's commit latency as a chat's final event pays it: SqliteJournal.add_trace p50/p99 with
     1, 8 and 32 writers at once (group commit), in this process, on the same disk.
  2. SubmitFeedback acknowledgement (answered once journaled) p50/p99 at concurrency 1, 8 and 32,
     and how fast the acknowledged feedback lands in MLflow (feedback/s from the first
     acknowledgement until the service's metrics say every unit is STORED), next to
     `mlflow.log_feedback` straight to the same MLflow at the same concurrency.
  3. An MLflow outage: MLflow stopped, N feedbacks acknowledged while it is down, MLflow back after
     the outage; how long until every one is STORED.
  4. Peak memory (the service's VmHWM) with 500 chat streams open at once.

It prints figures and ratios; it asserts nothing. `make bench-durability` runs it; `--quick` is a
short run (smaller counts, a 10 s outage).
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx
import mlflow
from grpc_health.v1 import health_pb2, health_pb2_grpc
from mlflow.entities import AssessmentSource
from mlflow.tracing.client import TracingClient

from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer
from genaifeedback.service.storage.journal import JournaledTrace
from genaifeedback.service.storage.sqlite_journal import SqliteJournal
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from benchmark import fmt, free_port, machine_info, ms, percentile  # noqa: E402


class Service:
    def __init__(self, mlflow_url: str, work: Path, experiment: str = "durability-bench", **flags):
        self.address = f"127.0.0.1:{free_port()}"
        self.metrics_url = f"http://127.0.0.1:{free_port()}/metrics"
        self.args = [
            str(Path(sys.executable).parent / "feedback-service"),
            "--listen-address", self.address,
            "--mlflow-tracking-uri", mlflow_url,
            "--experiment-name", experiment,
            "--data-dir", str(work / "service-data"),
            "--metrics-address", self.metrics_url.removeprefix("http://").removesuffix("/metrics"),
            "--demo-token-delay-ms", "0",
            "--log-level", "WARNING",
        ]  # fmt: skip
        for name, value in flags.items():
            self.args += [f"--{name.replace('_', '-')}", str(value)]
        self.log = work / "service.log"
        self.health_target = flags.get("health_address") or self.address  # plaintext, also when the port is TLS

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        with grpc.insecure_channel(self.health_target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for _ in range(600):
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        return
                except grpc.RpcError:
                    time.sleep(0.2)
        raise RuntimeError(f"service did not start; see {self.log}")

    def metric(self, name: str, labels: str = "") -> float:
        text = httpx.get(self.metrics_url, timeout=5).text
        for line in text.splitlines():
            if line.startswith(name + (("{" + labels + "}") if labels else " ")):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(120)


def journal_latency(work: Path, writers: int, count: int) -> tuple[float, float]:
    async def run() -> list[float]:
        journal = SqliteJournal(work / f"journal-{writers}.db")
        await journal.open()
        latencies: list[float] = []
        span = b"x" * 1500  # about one 64-token chat's root span

        async def writer(offset: int) -> None:
            for n in range(offset, count, writers):
                started = time.perf_counter()
                await journal.add_trace(JournaledTrace(f"tr-{n}", "", span, time.time()))
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(writer(offset) for offset in range(writers)))
        await journal.close()
        return latencies

    latencies = asyncio.run(run())
    return ms(percentile(latencies, 50)), ms(percentile(latencies, 99))


async def acknowledge(services: list[Service], trace_ids: list[str], concurrency: int, name: str) -> list[float]:
    """SubmitFeedback on each trace (answered once journaled), the calls going to the services in turn."""
    latencies: list[float] = []
    work = iter(range(len(trace_ids) * 1_000_000))
    count = len(trace_ids)
    channels = [grpc.aio.insecure_channel(service.address) for service in services]
    stubs = [feedback_pb2_grpc.FeedbackServiceStub(channel) for channel in channels]

    async def worker() -> None:
        for n in work:
            if n >= count:
                return
            request = feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_ids[n], name=name, bool_value=True, request_id=uuid.uuid4().hex
            )
            started = time.perf_counter()
            await stubs[n % len(stubs)].SubmitFeedback(request, timeout=30)
            latencies.append(time.perf_counter() - started)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        for channel in channels:
            await channel.close()
    return latencies


def stored_count(services: list[Service]) -> float:
    """Feedback units the services settled STORED (each unit is settled by the replica delivering it)."""
    return sum(service.metric("genaifeedback_feedback_settled_total", 'state="STORED"') for service in services)


def wait_all_stored(services: list[Service], expected_stored: float, timeout: float = 900) -> float:
    started = time.monotonic()
    while stored_count(services) < expected_stored:
        if time.monotonic() - started > timeout:
            raise RuntimeError("feedback did not land in time")
        time.sleep(0.05)  # polling the services' metrics for an outcome
    return time.monotonic() - started


def direct(trace_ids: list[str], concurrency: int, name: str) -> float:
    def one(trace_id: str) -> None:
        mlflow.log_feedback(
            trace_id=trace_id, name=name, value=True, source=AssessmentSource(source_type="HUMAN", source_id="u")
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, trace_ids))
    return len(trace_ids) / (time.perf_counter() - started)


def make_traces(service: Service, count: int) -> list[str]:
    with grpc.insecure_channel(service.address) as channel:
        stub = chat_pb2_grpc.ChatServiceStub(channel)
        with ThreadPoolExecutor(8) as pool:
            replies = list(
                pool.map(
                    lambda n: stub.CompleteChat(chat_pb2.CompleteChatRequest(message=f"q{n}"), timeout=60), range(count)
                )
            )
    trace_ids = [r.trace_id for r in replies]
    client = TracingClient(mlflow.get_tracking_uri())
    for trace_id in trace_ids:  # stored before feedback, so both paths find their traces
        for _ in range(600):
            try:
                client.get_trace_info(trace_id)
                break
            except Exception:  # noqa: BLE001 - not there yet
                time.sleep(0.1)
    return trace_ids


def open_streams(service: Service, count: int) -> float:
    """Open `count` chats at once (slow tokens keep them open), then read the service's peak RSS."""

    async def run() -> float:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            calls = [stub.Chat(chat_pb2.ChatRequest(message=f"stream {n}"), timeout=120) for n in range(count)]
            for call in calls:
                await call.read()  # the started event: the stream is open on the server
            peak = service.peak_rss_mb()
            for call in calls:
                call.cancel()
            return peak

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mlflow-command", default=str(REPO / ".venv-mlflow/bin/mlflow"))
    args = parser.parse_args()
    feedbacks = 300 if args.quick else 1500
    outage_feedbacks, outage_seconds = (1000, 10) if args.quick else (10_000, 60)
    print("machine:", machine_info(args.mlflow_command), flush=True)
    with tempfile.TemporaryDirectory(prefix="durability-bench-") as tmp:
        work = Path(tmp)
        print("\n# Journal commit as the final event pays it (group commit; ms)")
        print("writers   p50     p99")
        for writers in (1, 8, 32):
            p50, p99 = journal_latency(work, writers, 2000)
            print(f"{writers:>7} {fmt(p50, 2):>6} {fmt(p99, 2):>7}", flush=True)

        mlflow_server = EmbeddedMlflowServer(args.mlflow_command, "127.0.0.1", free_port(), work / "mlflow")
        mlflow_server.start()
        mlflow.set_tracking_uri(mlflow_server.url)
        mlflow.set_experiment("durability-bench")
        service = Service(mlflow_server.url, work)
        service.start()
        try:
            traces = make_traces(service, 200)
            print("\n# SubmitFeedback acknowledged once journaled, and landing in MLflow, vs mlflow.log_feedback")
            print("conc  ack p50 ms  ack p99 ms  acked/s  landed/s  direct/s  landed/direct")
            stored = 0.0
            for concurrency in (1, 8, 32):
                targets = [traces[n % len(traces)] for n in range(feedbacks)]
                started = time.monotonic()
                latencies = asyncio.run(acknowledge([service], targets, concurrency, f"ack_c{concurrency}"))
                acked_rate = feedbacks / (time.monotonic() - started)
                stored += feedbacks
                wait_all_stored([service], stored)
                landed_rate = feedbacks / (time.monotonic() - started)
                direct_rate = direct(targets, concurrency, f"direct_c{concurrency}")
                print(
                    f"{concurrency:>4} {fmt(ms(percentile(latencies, 50)), 2):>11} {fmt(ms(percentile(latencies, 99)), 2):>11}"
                    f" {acked_rate:>8.0f} {landed_rate:>9.1f} {direct_rate:>9.1f} {landed_rate / direct_rate:>14.2f}",
                    flush=True,
                )

            print(f"\n# MLflow down for {outage_seconds} s while {outage_feedbacks} feedbacks are acknowledged")
            mlflow_server.stop()
            down = time.monotonic()
            targets = [traces[n % len(traces)] for n in range(outage_feedbacks)]
            latencies = asyncio.run(acknowledge([service], targets, 8, "outage"))
            print(
                f"acknowledged {len(latencies)}/{outage_feedbacks} during the outage: p50 {fmt(ms(percentile(latencies, 50)), 2)} ms, p99 {fmt(ms(percentile(latencies, 99)), 2)} ms"
            )
            time.sleep(max(0.0, outage_seconds - (time.monotonic() - down)))  # the outage's length
            mlflow_server.start()  # returns once MLflow answers its health check
            drained = wait_all_stored([service], stored + outage_feedbacks)
            print(
                f"all {outage_feedbacks} stored {drained:.1f} s after MLflow was back ({outage_feedbacks / drained:.0f}/s)",
                flush=True,
            )
        finally:
            service.stop()

        print("\n# Peak memory with 500 open chat streams")
        slow = Service(mlflow_server.url, work / "streams", demo_token_delay_ms=60_000, shutdown_grace_seconds=1)
        (work / "streams").mkdir()
        slow.start()
        try:
            print(f"service VmHWM with 500 open streams: {open_streams(slow, 500):.0f} MB (target <= 200 MB)")
        finally:
            slow.stop()
            mlflow_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
