"""Benchmark: chat streaming and feedback through the service, against feedback sent to MLflow directly.

Starts its own MLflow tracking server (EmbeddedMlflowServer, SQLite in a temp dir, the product's
embedded settings) and the service as a subprocess, both on free loopback ports, then for each
concurrency level:

  a. Chat: N streamed 64-token demo chats. Chats/s, time to first token, tokens/s, and when each
     chat's trace became visible in MLflow (polled in batches, measured from the final event).
  b. SubmitFeedback through the service, M calls (bool values, a fresh request_id each), with a
     schema declared for the name and one current vote per rater: RATERS raters vote again and
     again on the same traces, so most calls replace a vote (an override, checked afterwards:
     exactly one valid vote per trace and rater).
  c. The same M feedbacks sent with `mlflow.log_feedback` straight to the same MLflow server from
     a thread pool of the same size. (b) and (c) run in ABBA order (the order flips at each level),
     after a warm-up of both, so neither path gains from running first or last.
  d. Ratios against targets, and a check of what MLflow stored (every feedback once, none missing).

Before the levels: MLflow's CPU per stored trace (`--trace-cost` chats; `--only-trace-cost` stops there).

It prints figures; it asserts nothing. Run: `.venv/bin/python bench/benchmark.py [--quick]`.
"""

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "clients" / "python"))

# The direct path's MLflow client is configured like the service's own HTTP client
# (genaifeedback/service/egress/mlflow/http.py): no HTTP retries, 10 s timeout, 64 pooled connections. MLflow's
# client reads these from the environment: set at this script's start, before mlflow reads them.
DIRECT_CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
    "MLFLOW_HTTP_POOL_MAXSIZE": "64",
}
os.environ.update(DIRECT_CLIENT_ENV)
# All traffic is loopback: never through a proxy.
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))

import grpc  # noqa: E402
import mlflow  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from mlflow.entities import AssessmentSource  # noqa: E402
from mlflow.tracing.client import TracingClient  # noqa: E402

from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc  # noqa: E402
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from cpu_time import group_cpu_seconds  # noqa: E402

SERVICE_FEEDBACK_NAME = "svc_thumbs"
DIRECT_FEEDBACK_NAME = "dir_thumbs"
WARMUP_FEEDBACK_NAME = "warm_thumbs"
CHAT_TOKENS = 64
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]
TARGETS = {"throughput_ratio_min": 0.95, "p50_delta_ms_max": 2.0, "ttft_p50_ms_c1_max": 2.0, "votes_ratio_min_c32": 0.8}
RATERS = 8  # each votes many times on each trace: one current vote each, the rest history
SCHEMAS_TOML = f"""
[feedback.{SERVICE_FEEDBACK_NAME}]
type = "boolean"
"""


# ---------------------------------------------------------------- small helpers


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks; None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_info(mlflow_command: str) -> dict:
    cpu_model = "?"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        server_version = subprocess.run(
            [mlflow_command, "--version"], capture_output=True, text=True, timeout=60, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        server_version = f"? ({error})"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "mlflow_tracing": mlflow.__version__,
        "mlflow_server": server_version,
        "grpcio": grpc.__version__,
        "loadavg_at_start": os.getloadavg(),
    }


# ---------------------------------------------------------------- the processes under test


class ServiceProcess:
    """`feedback-service` as a subprocess in its own process group (we decide when it stops)."""

    def __init__(self, mlflow_url: str, port: int, experiment_name: str, log_path: Path):
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.log_path = log_path
        self.experiment_name = experiment_name
        executable = Path(sys.executable).parent / "feedback-service"
        command = [str(executable)] if executable.exists() else [sys.executable, "-m", "genaifeedback.service"]
        self.args = [
            *command,
            "--listen-address", self.address,
            "--mlflow-tracking-uri", mlflow_url,
            "--demo-token-delay-ms", "0",
            "--demo-response-tokens", str(CHAT_TOKENS),
            "--experiment-name", experiment_name,
            "--data-dir", str(log_path.parent / "service-data"),
            "--feedback-schemas-file", str(log_path.parent / "schemas.toml"),
            "--log-level", "WARNING",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        (self.log_path.parent / "schemas.toml").write_text(SCHEMAS_TOML)
        # Only our flags configure it: drop FEEDBACK_SERVICE_* (e.g. from the Makefile) from its env.
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
            )

    async def wait_serving(self, timeout_seconds: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        async with grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"feedback-service exited with {self.process.returncode}; see {self.log_path}")
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"feedback-service not serving after {timeout_seconds:g}s; see {self.log_path}")

    def stop(self, timeout_seconds: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # drains streams and stores queued traces
        try:
            self.process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


class CpuMeter:
    """CPU seconds used over one phase by this process (the clients), the service and the MLflow server."""

    def __init__(self, service_pgid: int, mlflow_pgid: int):
        self._pgids = {"service": service_pgid, "mlflow": mlflow_pgid}
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {"bench": time.process_time(), **{name: group_cpu_seconds(pgid) for name, pgid in self._pgids.items()}}

    def __enter__(self):
        self._start = self._now()
        self.used: dict[str, float] = {}
        return self

    def __exit__(self, *exc):
        now = self._now()
        self.used = {name: now[name] - self._start[name] for name in now}


# ---------------------------------------------------------------- (a) chat and trace landing


@dataclass
class ChatOutcome:
    trace_id: str = ""
    started: float | None = None  # seconds from call start to the `started` event
    ttft: float | None = None  # seconds from call start to the first token event
    tokens: int = 0
    error: str = ""


class LandingTracker:
    """Polls MLflow for chats' traces; records when each first becomes visible.

    A trace's landing latency is the arrival of the first poll reply that contains it minus the
    arrival of the chat's final event: an upper bound, within one poll (interval + call). Each
    poll is one `search_traces` (infos only) over the traces started since the oldest chat still
    waiting; measured, that costs MLflow ~10 ms per call plus ~0.3 ms per trace returned, about
    a fifth of what `batch_get_trace_infos` costs per trace, so polling disturbs ingestion little.
    """

    def __init__(self, client: TracingClient, experiment_id: str, pool: ThreadPoolExecutor, interval_seconds: float):
        self._client = client
        self._experiment_id = experiment_id
        self._pool = pool
        self._interval = interval_seconds
        self.pending: dict[str, tuple[float, int]] = {}  # trace id -> (final event perf_counter, call start ms)
        self.landed: dict[str, float] = {}  # trace id -> seconds from final event to visible
        self.last_seen_at: float | None = None  # perf_counter of the poll that saw the last trace
        self.polls = 0
        self.poll_seconds: list[float] = []

    def expect(self, trace_id: str, finished_at: float, call_start_ms: int) -> None:
        self.pending[trace_id] = (finished_at, call_start_ms)

    def _visible(self, since_ms: int) -> list[str]:
        """Ids of the experiment's traces that started at or after since_ms (bounded paging)."""
        ids, token = [], None
        for _ in range(20):
            page = self._client.search_traces(
                locations=[self._experiment_id],
                # A trace starts when the service gets the call: never before the client's call start.
                filter_string=f"trace.timestamp_ms >= {since_ms}",
                max_results=500,
                order_by=["timestamp_ms ASC"],
                page_token=token,
                include_spans=False,
            )
            ids.extend(trace.info.trace_id for trace in page)
            token = page.token
            if not token:
                break
        return ids

    async def run(self, chats_done: asyncio.Event, linger_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        give_up = None
        while True:
            if chats_done.is_set() and give_up is None:
                give_up = time.perf_counter() + linger_seconds
            if self.pending:
                since_ms = min(start_ms for _, start_ms in self.pending.values())
                sent = time.perf_counter()
                try:
                    ids = await loop.run_in_executor(self._pool, self._visible, since_ms)
                except Exception as error:  # noqa: BLE001 - a failed poll is retried at the next tick
                    print(f"  (landing poll failed: {type(error).__name__}: {error})", flush=True)
                    ids = []
                seen = time.perf_counter()
                self.polls += 1
                self.poll_seconds.append(seen - sent)
                for trace_id in ids:
                    waiting = self.pending.pop(trace_id, None)
                    if waiting is not None:
                        self.landed[trace_id] = seen - waiting[0]
                        self.last_seen_at = seen
            if give_up is not None and (not self.pending or time.perf_counter() > give_up):
                return
            await asyncio.sleep(self._interval)


async def one_chat(stub, index: int, label: str, landing: LandingTracker | None, **fields) -> ChatOutcome:
    outcome = ChatOutcome()
    request = chat_pb2.ChatRequest(
        message=f"benchmark {label} chat {index}: how is user feedback recorded on a trace?",
        options=chat_pb2.GenerationOptions(max_tokens=CHAT_TOKENS),
        **fields,
    )
    call_start_ms = time.time_ns() // 1_000_000
    started = time.perf_counter()
    try:
        call = stub.Chat(request, timeout=60)
        async for event in call:
            kind = event.WhichOneof("event")
            if kind == "token":
                if outcome.ttft is None:
                    outcome.ttft = time.perf_counter() - started
                outcome.tokens += max(1, event.token.chunk_count)  # tokens, not messages (coalescing)
            elif kind == "started":
                outcome.started = time.perf_counter() - started
                outcome.trace_id = event.started.trace_id
            elif kind == "finished":
                if landing is not None:
                    landing.expect(event.finished.trace_id, time.perf_counter(), call_start_ms)
    except grpc.aio.AioRpcError as error:
        outcome.error = f"{error.code().name}: {error.details()}"
    return outcome


async def run_chats(stub, count: int, concurrency: int, label: str, landing: LandingTracker | None, fields=None):
    """`fields`: a function of the chat's index giving more ChatRequest fields."""
    outcomes: list[ChatOutcome] = []
    indices = iter(range(count))

    async def worker():
        for index in indices:  # shared: each index is taken by exactly one worker
            outcomes.append(await one_chat(stub, index, label, landing, **(fields(index) if fields else {})))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes, time.perf_counter() - started


async def trace_storage_cost(stub, client: TracingClient, experiment_id: str, cpu: CpuMeter, count: int) -> dict:
    """MLflow's CPU per stored trace: `count` chats as an integration sends them (a client request
    id, a user, a session, a tag), at concurrency 8, measured from the first chat until MLflow holds
    the last one's trace (looked for once every 100 ms: no search polling to pay for)."""

    def fields(index: int) -> dict:
        user = f"user-{index % 20:02d}"
        return {"client_request_id": f"cost-{index}", "user_id": user, "session_id": f"{user}-s", "tags": {"team": "a"}}

    with cpu:
        outcomes, wall = await run_chats(stub, count, 8, "storage", None, fields)
        last = outcomes[-1].trace_id  # finished last: in the exporter's last batch
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:
            try:
                await asyncio.to_thread(client.get_trace_info, last)
                break
            except Exception:  # noqa: BLE001 - not stored yet
                await asyncio.sleep(0.1)
    stored = sum(1 for o in outcomes if not o.error)
    result = {
        "traces": stored,
        "chats_per_s": stored / wall,
        "mlflow_cpu_ms_per_trace": 1000 * cpu.used["mlflow"] / max(1, stored),
        "service_cpu_ms_per_trace": 1000 * cpu.used["service"] / max(1, stored),
    }
    print(
        f"\n== MLflow's cost per stored trace: {result['mlflow_cpu_ms_per_trace']:.2f} ms of MLflow CPU"
        f" ({stored} chats with a client request id, user, session and tag; service"
        f" {result['service_cpu_ms_per_trace']:.2f} ms)",
        flush=True,
    )
    return result


# ---------------------------------------------------------------- (b) service and (c) direct feedback


@dataclass(frozen=True)
class FeedbackJob:
    index: int
    trace_id: str
    value: bool


def rater(job: FeedbackJob) -> str:
    return f"user-{job.index % RATERS}"


@dataclass
class RoundResult:
    path: str
    calls: int
    wall: float
    latencies: list[float] = field(default_factory=list)
    ids_by_trace: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


async def service_round(stub, jobs: list[FeedbackJob], concurrency: int, name: str) -> RoundResult:
    result = RoundResult("service", len(jobs), 0.0)
    queue = iter(jobs)

    async def worker():
        for job in queue:
            request = feedback_pb2.SubmitFeedbackRequest(
                trace_id=job.trace_id,
                name=name,
                bool_value=job.value,
                source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater(job)),
                request_id=uuid.uuid4().hex,
                wait_until_stored=True,  # like the direct path: answered once MLflow has it
            )
            started = time.perf_counter()
            try:
                reply = await stub.SubmitFeedback(request, timeout=30)
            except grpc.aio.AioRpcError as error:
                result.errors.append(f"{error.code().name}: {error.details()}")
                continue
            result.latencies.append(time.perf_counter() - started)
            result.ids_by_trace[job.trace_id].append(reply.assessment_id)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.wall = time.perf_counter() - started
    return result


def direct_round(pool: ThreadPoolExecutor, jobs: list[FeedbackJob], name: str) -> RoundResult:
    """The same feedback written with MLflow's own SDK; the pool's size is the concurrency."""
    result = RoundResult("direct", len(jobs), 0.0)

    def one(job: FeedbackJob):
        started = time.perf_counter()
        assessment = mlflow.log_feedback(
            trace_id=job.trace_id,
            name=name,
            value=job.value,
            source=AssessmentSource(source_type="HUMAN", source_id=rater(job)),
        )
        return time.perf_counter() - started, assessment.assessment_id

    started = time.perf_counter()
    futures = {pool.submit(one, job): job for job in jobs}
    done, not_done = wait(futures, timeout=120)
    result.wall = time.perf_counter() - started
    for future in not_done:
        future.cancel()
        result.errors.append("timed out in the benchmark")
    for future in done:
        try:
            latency, assessment_id = future.result()
        except Exception as error:  # noqa: BLE001 - counted and reported
            result.errors.append(f"{type(error).__name__}: {str(error)[:200]}")
            continue
        result.latencies.append(latency)
        result.ids_by_trace[futures[future].trace_id].append(assessment_id)
    return result


def merge(rounds: list[RoundResult]) -> dict:
    latencies = [x for r in rounds for x in r.latencies]
    calls = sum(r.calls for r in rounds)
    wall = sum(r.wall for r in rounds)
    errors = [e for r in rounds for e in r.errors]
    ok = calls - len(errors)
    return {
        "calls": calls,
        "ok": ok,
        "errors": len(errors),
        "first_errors": sorted(Counter(errors).items(), key=lambda item: -item[1])[:3],
        "wall_s": wall,
        "per_s": ok / wall if wall else None,
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
        "mean_ms": ms(sum(latencies) / len(latencies)) if latencies else None,
    }


def verify_stored(client: TracingClient, expected: dict[str, dict[str, list[str]]], trace_ids: list[str]) -> dict:
    """Read the traces back and compare, per path, the stored assessments with what the calls returned."""
    stored: dict[str, list] = {}
    for start in range(0, len(trace_ids), 50):
        for trace in client.store.batch_get_traces(trace_ids[start : start + 50]):
            stored[trace.info.trace_id] = trace.info.assessments or []
    report = {"traces": len(trace_ids), "traces_found": len(stored)}
    for path, name in (("service", SERVICE_FEEDBACK_NAME), ("direct", DIRECT_FEEDBACK_NAME)):
        want_total = missing = duplicates = unexpected = stored_total = 0
        for trace_id in trace_ids:
            want = Counter(expected[path].get(trace_id, []))
            have = Counter(a.assessment_id for a in stored.get(trace_id, []) if a.name == name)
            want_total += sum(want.values())
            stored_total += sum(have.values())
            missing += sum((want - have).values())
            unexpected += sum((have - want).values())
            duplicates += sum(n - 1 for n in have.values() if n > 1) + sum(n - 1 for n in want.values() if n > 1)
        current: Counter = Counter(
            (trace_id, a.source.source_id)
            for trace_id in trace_ids
            for a in stored.get(trace_id, [])
            if a.name == name and a.valid
        )
        report[path] = {
            "raters_with_one_valid_vote": sum(1 for n in current.values() if n == 1),
            "raters_with_several_valid_votes": sum(1 for n in current.values() if n > 1),
            "acknowledged": want_total,
            "stored": stored_total,
            "missing": missing,
            "unexpected": unexpected,
            "duplicate_ids": duplicates,
        }
    return report


# ---------------------------------------------------------------- one concurrency level


async def run_level(
    level_index: int,
    concurrency: int,
    args,
    chat_stub,
    feedback_stub,
    client: TracingClient,
    experiment_id: str,
    cpu: CpuMeter,
) -> dict:
    print(f"\n== concurrency {concurrency}", flush=True)
    result: dict = {"concurrency": concurrency}

    # (a) chats, with a landing poller running beside them.
    poll_pool = ThreadPoolExecutor(1, thread_name_prefix="landing")
    landing = LandingTracker(client, experiment_id, poll_pool, args.landing_poll_ms / 1000.0)
    chats_done = asyncio.Event()
    poller = asyncio.create_task(landing.run(chats_done, args.landing_timeout))
    try:
        phase_start = time.perf_counter()
        with cpu:  # over the chats and until their traces are stored (or the wait gives up)
            outcomes, wall = await run_chats(chat_stub, args.chats, concurrency, f"c{concurrency}", landing)
            chats_done.set()
            await asyncio.wait_for(poller, args.landing_timeout + 60)
    finally:
        poller.cancel()
        poll_pool.shutdown(wait=False, cancel_futures=True)
    ok = [o for o in outcomes if not o.error]
    ttfts = [o.ttft for o in ok if o.ttft is not None]
    landed = list(landing.landed.values())
    trace_ids = [o.trace_id for o in ok if o.trace_id]
    result["chat"] = {
        "chats": len(outcomes),
        "ok": len(ok),
        "errors": len(outcomes) - len(ok),
        "first_errors": sorted(Counter(o.error for o in outcomes if o.error).items(), key=lambda i: -i[1])[:3],
        "wall_s": wall,
        "chats_per_s": len(ok) / wall,
        "ttft_p50_ms": ms(percentile(ttfts, 50)),
        "ttft_p99_ms": ms(percentile(ttfts, 99)),
        "started_event_p50_ms": ms(percentile([o.started for o in ok if o.started is not None], 50)),
        "tokens_per_s": sum(o.tokens for o in ok) / wall,
        # CPU until the traces landed: bench includes the polls; mlflow, storing the traces and the polls.
        "bench_cpu_ms_per_chat": 1000 * cpu.used["bench"] / max(1, len(ok)),
        "service_cpu_ms_per_chat": 1000 * cpu.used["service"] / max(1, len(ok)),
        "mlflow_cpu_ms_per_chat": 1000 * cpu.used["mlflow"] / max(1, len(ok)),
        "landed": len(landed),
        "landed_of": len(trace_ids),
        # Traces stored per second, from the first chat's start to the poll that saw the last one.
        "stored_per_s": len(landed) / (landing.last_seen_at - phase_start) if landing.last_seen_at else None,
        "landed_p50_ms": ms(percentile(landed, 50)),
        "landed_p99_ms": ms(percentile(landed, 99)),
        "landed_max_ms": ms(max(landed)) if landed else None,
        "landing_polls": landing.polls,
        "landing_poll_p50_ms": ms(percentile(landing.poll_seconds, 50)),
    }
    c = result["chat"]
    print(
        f"  chat: {c['ok']}/{c['chats']} ok in {c['wall_s']:.2f}s, {c['chats_per_s']:.1f}/s, "
        f"TTFT p50 {fmt(c['ttft_p50_ms'], 2)} ms; landed {c['landed']}/{c['landed_of']}, "
        f"p50 {fmt(c['landed_p50_ms'])} ms, {fmt(c['stored_per_s'])} stored/s "
        f"({c['landing_polls']} polls, p50 {fmt(c['landing_poll_p50_ms'])} ms each)",
        flush=True,
    )
    if c["errors"]:
        print(f"  chat errors: {c['first_errors']}", flush=True)

    # Feedback targets only traces MLflow has (a landed trace); the same jobs for both paths.
    targets = [t for t in trace_ids if t in landing.landed]
    if not targets:
        result["feedback"] = None
        print("  no landed traces: feedback phases skipped", flush=True)
        return result
    jobs = [FeedbackJob(i, targets[i % len(targets)], i % 2 == 0) for i in range(args.feedbacks)]
    parts = [jobs[k :: args.rounds] for k in range(args.rounds)]  # the same jobs for both paths, per round
    warmup = [FeedbackJob(i, targets[i % len(targets)], True) for i in range(2 * concurrency)]

    direct_pool = ThreadPoolExecutor(concurrency, thread_name_prefix="direct")
    rounds: dict[str, list[RoundResult]] = {"service": [], "direct": []}
    cpu_by_path: dict[str, dict[str, float]] = {"service": defaultdict(float), "direct": defaultdict(float)}
    try:
        # Warm-up: connections, threads and server caches for both paths.
        await service_round(feedback_stub, warmup, concurrency, WARMUP_FEEDBACK_NAME)
        await asyncio.to_thread(direct_round, direct_pool, warmup, WARMUP_FEEDBACK_NAME)
        # Alternating pairs (ABBA...), flipped at every level: drifts (a growing database, other
        # load) hit both paths alike, and more rounds average out the noise of a saturated server.
        for k, part in enumerate(parts):
            pair = ["service", "direct"] if (k + level_index) % 2 == 0 else ["direct", "service"]
            for path in pair:
                with cpu:
                    if path == "service":
                        rounds[path].append(
                            await service_round(feedback_stub, part, concurrency, SERVICE_FEEDBACK_NAME)
                        )
                    else:
                        rounds[path].append(
                            await asyncio.to_thread(direct_round, direct_pool, part, DIRECT_FEEDBACK_NAME)
                        )
                for process, seconds in cpu.used.items():
                    cpu_by_path[path][process] += seconds
                r = rounds[path][-1]
                print(
                    f"  {path:7s} round: {r.calls} calls in {r.wall:.2f}s "
                    f"({(r.calls - len(r.errors)) / r.wall:.1f}/s, p50 {fmt(ms(percentile(r.latencies, 50)), 2)} ms)",
                    flush=True,
                )
    finally:
        direct_pool.shutdown(wait=False, cancel_futures=True)

    feedback = {path: merge(rs) for path, rs in rounds.items()}
    for path in feedback:
        ok_calls = max(1, feedback[path]["ok"])
        feedback[path]["bench_cpu_ms_per_call"] = 1000 * cpu_by_path[path]["bench"] / ok_calls
        feedback[path]["service_cpu_ms_per_call"] = 1000 * cpu_by_path[path]["service"] / ok_calls
        feedback[path]["mlflow_cpu_ms_per_call"] = 1000 * cpu_by_path[path]["mlflow"] / ok_calls
    s, d = feedback["service"], feedback["direct"]
    feedback["throughput_ratio"] = s["per_s"] / d["per_s"] if s["per_s"] and d["per_s"] else None
    feedback["p50_delta_ms"] = (
        s["p50_ms"] - d["p50_ms"] if s["p50_ms"] is not None and d["p50_ms"] is not None else None
    )
    for path in ("service", "direct"):
        if feedback[path]["errors"]:
            print(f"  {path} errors: {feedback[path]['first_errors']}", flush=True)

    expected = {path: defaultdict(list) for path in rounds}
    for path, rs in rounds.items():
        for r in rs:
            for trace_id, ids in r.ids_by_trace.items():
                expected[path][trace_id].extend(ids)
    sample = targets[: args.verify_traces] if args.verify_traces else targets
    feedback["verify"] = await asyncio.to_thread(verify_stored, client, expected, sample)
    v = feedback["verify"]
    print(
        f"  stored (of {v['traces']} traces): "
        + "; ".join(
            f"{p} {v[p]['stored']}/{v[p]['acknowledged']} (missing {v[p]['missing']}, "
            f"unexpected {v[p]['unexpected']}, duplicate ids {v[p]['duplicate_ids']}; (trace, rater) pairs with "
            f"one valid vote {v[p]['raters_with_one_valid_vote']}, with several {v[p]['raters_with_several_valid_votes']})"
            for p in ("service", "direct")
        ),
        flush=True,
    )
    result["feedback"] = feedback
    return result


# ---------------------------------------------------------------- report


def print_report(machine: dict, config: dict, levels: list[dict], immediate: dict, verdicts: list[dict]) -> None:
    print("\n# Machine")
    print(
        f"nproc {machine['nproc']} | {machine['cpu_model']} | Python {machine['python']} | "
        f"mlflow-tracing {machine['mlflow_tracing']} | server: {machine['mlflow_server']} | grpcio {machine['grpcio']}"
    )
    print(
        "load average at start {:.2f} {:.2f} {:.2f}, at end {:.2f} {:.2f} {:.2f}".format(
            *machine["loadavg_at_start"], *machine["loadavg_at_end"]
        )
    )
    print(
        f"config: {config['chats']} chats x {CHAT_TOKENS} tokens, {config['feedbacks']} feedbacks per path per level; "
        f"landing poll every {config['landing_poll_ms']:g} ms; direct path: mlflow.log_feedback from a thread pool "
        f"of the level's size, " + ", ".join(f"{k}={v}" for k, v in DIRECT_CLIENT_ENV.items()) + " (as the service)"
    )

    print("\n# Chat (streamed demo chats; landed = trace seen by a poll; land = that poll's reply - final event)")
    print(
        f"{'conc':>4} {'chats/s':>8} {'start':>6} {'TTFT':>6} {'TTFT':>6} {'tokens/s':>8} "
        f"{'landed':>8} {'stored/s':>8} {'land':>7} {'land':>7} {'land':>7} {'CPU ms per chat':>20}"
    )
    print(
        f"{'':>4} {'':>8} {'p50':>6} {'p50':>6} {'p99':>6} {'':>8} {'':>8} {'':>8} {'p50':>7} {'p99':>7} {'max':>7} "
        f"{'bench':>6} {'svc':>6} {'mlf':>6}"
    )
    for level in levels:
        c = level["chat"]
        print(
            f"{level['concurrency']:>4} {c['chats_per_s']:>8.1f} {fmt(c['started_event_p50_ms'], 2):>6} "
            f"{fmt(c['ttft_p50_ms'], 2):>6} {fmt(c['ttft_p99_ms'], 2):>6} {c['tokens_per_s']:>8.0f} "
            f"{str(c['landed']) + '/' + str(c['landed_of']):>8} {fmt(c['stored_per_s']):>8} {fmt(c['landed_p50_ms'], 0):>7} "
            f"{fmt(c['landed_p99_ms'], 0):>7} {fmt(c['landed_max_ms'], 0):>7} {c['bench_cpu_ms_per_chat']:>6.2f} "
            f"{c['service_cpu_ms_per_chat']:>6.2f} {c['mlflow_cpu_ms_per_chat']:>6.2f}"
        )
    print(
        "(times in ms; start = call start to the `started` event; stored/s = traces landed per second of the phase;\n"
        " CPU over the chats until their traces landed: bench = this process (clients and polls, on the same cores),\n"
        " mlf = storing the traces and answering the polls)"
    )

    print("\n# Feedback (bool values; service = SubmitFeedback, direct = mlflow.log_feedback; alternating rounds)")
    print(
        f"{'conc':>4} {'path':>7} {'calls/s':>8} {'p50':>7} {'p99':>7} {'errors':>6} "
        f"{'CPU ms per call':>20} {'stored/acked':>13} {'miss':>5} {'dup':>4}"
    )
    print(f"{'':>4} {'':>7} {'':>8} {'ms':>7} {'ms':>7} {'':>6} {'bench':>6} {'svc':>6} {'mlf':>6}")
    for level in levels:
        fb = level.get("feedback")
        if not fb:
            continue
        for path in ("service", "direct"):
            p, v = fb[path], fb["verify"][path]
            print(
                f"{level['concurrency']:>4} {path:>7} {fmt(p['per_s']):>8} {fmt(p['p50_ms'], 2):>7} {fmt(p['p99_ms'], 2):>7} "
                f"{p['errors']:>6} {p['bench_cpu_ms_per_call']:>6.2f} {p['service_cpu_ms_per_call']:>6.2f} "
                f"{p['mlflow_cpu_ms_per_call']:>6.2f} {str(v['stored']) + '/' + str(v['acknowledged']):>13} "
                f"{v['missing']:>5} {v['unexpected'] + v['duplicate_ids']:>4}"
            )
    print("(stored/acked: assessments MLflow holds / calls that succeeded, over every trace the level used;")
    print(" dup = stored but not acknowledged + ids seen twice; bench = this process, i.e. the clients)")

    if immediate:
        print(
            f"\n# Feedback the instant the final event arrives ({immediate['count']} chats, one at a time): "
            f"{immediate['ok']}/{immediate['count']} ok, failures {immediate['failures'] or 'none'}, "
            f"latency p50 {fmt(immediate['p50_ms'], 1)} ms, p99 {fmt(immediate['p99_ms'], 1)} ms "
            "(includes waiting for the chat's trace to be stored)"
        )

    print("\n# Targets")
    for verdict in verdicts:
        print(
            f"{verdict['name']:<44} {fmt(verdict['value'], 3):>9} {verdict['target']:>10}   "
            f"{'PASS' if verdict['pass'] else 'MISS'}"
        )


def verdicts_for(levels: list[dict]) -> list[dict]:
    verdicts = []
    for level in levels:
        fb, c = level.get("feedback"), level["concurrency"]
        if not fb:
            continue
        ratio, delta = fb["throughput_ratio"], fb["p50_delta_ms"]
        verdicts.append(
            {
                "name": f"c={c}: service/direct feedback throughput",
                "value": ratio,
                "target": f">= {TARGETS['throughput_ratio_min']}",
                "pass": ratio is not None and ratio >= TARGETS["throughput_ratio_min"],
            }
        )
        verdicts.append(
            {
                "name": f"c={c}: service p50 - direct p50 (ms)",
                "value": delta,
                "target": f"< {TARGETS['p50_delta_ms_max']:g}",
                "pass": delta is not None and delta < TARGETS["p50_delta_ms_max"],
            }
        )
    for level in levels:
        fb = level.get("feedback")
        if fb and level["concurrency"] == 32:
            verdicts.append(
                {
                    "name": "c=32: votes (schema, one per rater) / direct throughput",
                    "value": fb["throughput_ratio"],
                    "target": f">= {TARGETS['votes_ratio_min_c32']}",
                    "pass": fb["throughput_ratio"] is not None
                    and fb["throughput_ratio"] >= TARGETS["votes_ratio_min_c32"],
                }
            )
    for level in levels:
        if level["concurrency"] == 1:
            ttft = level["chat"]["ttft_p50_ms"]
            verdicts.append(
                {
                    "name": "c=1: chat TTFT p50 (ms)",
                    "value": ttft,
                    "target": f"<= {TARGETS['ttft_p50_ms_c1_max']:g}",
                    "pass": ttft is not None and ttft <= TARGETS["ttft_p50_ms_c1_max"],
                }
            )
    return verdicts


# ---------------------------------------------------------------- main


async def benchmark(
    args, service: ServiceProcess, embedded: EmbeddedMlflowServer, client: TracingClient
) -> tuple[list[dict], dict]:
    await service.wait_serving()
    experiment_id = client.store.get_experiment_by_name(service.experiment_name).experiment_id
    cpu = CpuMeter(service.process.pid, embedded._process.pid)
    levels = []
    async with grpc.aio.insecure_channel(service.address, options=CHANNEL_OPTIONS) as channel:
        chat_stub = chat_pb2_grpc.ChatServiceStub(channel)
        feedback_stub = feedback_pb2_grpc.FeedbackServiceStub(channel)
        # Global warm-up: first calls pay for imports, connections and the experiment's first rows.
        print("warm-up ...", flush=True)
        poll_pool = ThreadPoolExecutor(1)
        landing = LandingTracker(client, experiment_id, poll_pool, args.landing_poll_ms / 1000.0)
        done = asyncio.Event()
        poller = asyncio.create_task(landing.run(done, args.landing_timeout))
        outcomes, _ = await run_chats(chat_stub, 20, 4, "warm-up", landing)
        done.set()
        await asyncio.wait_for(poller, args.landing_timeout + 60)
        poll_pool.shutdown()
        warm_traces = [t for t in landing.landed]
        if not warm_traces:
            errors = Counter(o.error for o in outcomes if o.error)
            raise RuntimeError(f"warm-up chats did not land in MLflow (errors: {dict(errors)})")
        warm_jobs = [FeedbackJob(i, warm_traces[i % len(warm_traces)], True) for i in range(20)]
        with ThreadPoolExecutor(4) as pool:
            await service_round(feedback_stub, warm_jobs, 4, WARMUP_FEEDBACK_NAME)
            await asyncio.to_thread(direct_round, pool, warm_jobs, WARMUP_FEEDBACK_NAME)

        storage = await trace_storage_cost(chat_stub, client, experiment_id, cpu, args.trace_cost)
        if args.only_trace_cost:
            return levels, {}, storage
        for index, concurrency in enumerate(args.concurrency):
            levels.append(
                await run_level(index, concurrency, args, chat_stub, feedback_stub, client, experiment_id, cpu)
            )
        immediate = await immediate_feedback(chat_stub, feedback_stub, args.immediate)
    return levels, immediate, storage


async def immediate_feedback(chat_stub, feedback_stub, count: int) -> dict:
    """The guide's failure case: feedback sent the instant the final event arrives, one chat at a time.
    Its latency includes waiting for the chat's own trace to be stored."""
    latencies, failures = [], Counter()
    for index in range(count):
        trace_id = None
        async for event in chat_stub.Chat(chat_pb2.ChatRequest(message=f"immediate {index}"), timeout=30):
            if event.WhichOneof("event") == "finished":
                trace_id = event.finished.trace_id
        started = time.perf_counter()
        try:
            await feedback_stub.SubmitFeedback(
                feedback_pb2.SubmitFeedbackRequest(
                    trace_id=trace_id, bool_value=True, wait_until_stored=True, request_id=str(uuid.uuid4())
                ),
                timeout=30,
            )
            latencies.append(time.perf_counter() - started)
        except grpc.aio.AioRpcError as error:
            failures[error.code().name] += 1
    return {
        "count": count,
        "ok": len(latencies),
        "failures": dict(failures),
        "p50_ms": ms(percentile(latencies, 50)),
        "p99_ms": ms(percentile(latencies, 99)),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concurrency",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 8, 32],
        help="comma-separated concurrency levels (default 1,8,32)",
    )
    parser.add_argument("--chats", type=int, default=200, help="chats per level (default 200)")
    parser.add_argument("--feedbacks", type=int, default=800, help="feedback calls per path per level (default 800)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per path per level (default 4)")
    parser.add_argument("--quick", action="store_true", help="a ~30 s run: 40 chats and 60 feedbacks per level")
    parser.add_argument(
        "--landing-poll-ms",
        type=float,
        default=50.0,
        help="pause between polls of MLflow for chats' traces (ms; each poll costs MLflow CPU)",
    )
    parser.add_argument(
        "--landing-timeout",
        type=float,
        default=30.0,
        help="how long after the last chat to wait for traces to land (s)",
    )
    parser.add_argument(
        "--verify-traces",
        type=int,
        default=0,
        help="check stored feedback on this many traces per level (default 0: all)",
    )
    parser.add_argument("--time-limit", type=float, default=900.0, help="abort the whole run after this many seconds")
    parser.add_argument(
        "--mlflow-command",
        default=os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND")
        or str(REPO / ".venv-mlflow" / "bin" / "mlflow"),
        help="the full `mlflow` executable (default: $FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND)",
    )
    parser.add_argument(
        "--immediate",
        type=int,
        default=50,
        help="chats whose feedback is sent the instant the final event arrives (default 50)",
    )
    parser.add_argument(
        "--trace-cost", type=int, default=1000, help="chats whose MLflow CPU per stored trace is measured (default 1000)"
    )
    parser.add_argument("--only-trace-cost", action="store_true", help="measure only MLflow's CPU per stored trace")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep-data", action="store_true", help="keep the temp dir (MLflow data and logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.chats, args.feedbacks, args.immediate, args.rounds = 40, 60, 10, 2
    if min(args.concurrency) < 1 or args.chats < 1 or args.rounds < 1 or args.feedbacks < args.rounds:
        parser.error("concurrency, --chats and --rounds must be >= 1, --feedbacks >= --rounds")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # a kill cleans up like Ctrl-C
    machine = machine_info(args.mlflow_command)
    work_dir = Path(tempfile.mkdtemp(prefix="feedback-bench-"))
    mlflow_port, service_port = free_port(), free_port()
    embedded = EmbeddedMlflowServer(
        args.mlflow_command, "127.0.0.1", mlflow_port, work_dir / "mlflow", log_path=work_dir / "mlflow-server.log"
    )
    experiment = f"bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    service = ServiceProcess(embedded.url, service_port, experiment, work_dir / "service.log")
    failed = True
    try:
        print(f"starting MLflow at {embedded.url} (data and logs in {work_dir}) ...", flush=True)
        (work_dir / "mlflow").mkdir()
        embedded.start()
        mlflow.set_tracking_uri(embedded.url)
        client = TracingClient(embedded.url)
        print(f"starting feedback-service at {service.address} (experiment {experiment}) ...", flush=True)
        service.start()
        levels, immediate, storage = asyncio.run(
            asyncio.wait_for(benchmark(args, service, embedded, client), args.time_limit)
        )
        machine["loadavg_at_end"] = os.getloadavg()
        if args.only_trace_cost:
            failed = False
            return 0
        verdicts = verdicts_for(levels)
        config = {k: v for k, v in vars(args).items() if k not in ("json",)}
        config["mlflow_command"] = str(config["mlflow_command"])
        print_report(machine, config, levels, immediate, verdicts)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": machine,
                        "config": config,
                        "levels": levels,
                        "immediate_feedback": immediate,
                        "trace_storage": storage,
                        "targets": verdicts,
                    },
                    indent=2,
                    default=str,
                )
            )
            print(f"\nresults written to {args.json}")
        failed = False
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (RuntimeError, TimeoutError) as error:
        print(f"\nbenchmark failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        service.stop()
        embedded.stop()
        if failed:
            for log in (service.log_path, embedded.log_path):
                if log.exists():
                    tail = log.read_text(errors="replace").splitlines()[-15:]
                    print(f"--- last lines of {log}:\n" + "\n".join(tail), file=sys.stderr)
        if args.keep_data or failed:
            print(f"data and logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
