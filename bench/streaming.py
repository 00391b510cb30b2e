"""Streaming benchmark (`make bench`, first part): the service against the MLflow guide's FastAPI
streaming app and a bare grpc.aio echo, in one run, against one MLflow server.

Starts one MLflow tracking server (EmbeddedMlflowServer: SQLite, one worker, the product's
embedded settings), then for each concurrency level and each system starts the system fresh
(its own process group), warms it up, and runs a closed loop of 64-token streams:

  guide     bench/guide_app.py: FastAPI + StreamingResponse (SSE), MLflow tracing as the guide
            does it, MLflow's default (asynchronous) exporter; the same demo generator.
  echo      bench/echo_server.py: a bare grpc.aio server streaming 64 small messages: the
            ceiling for Python gRPC; it stores nothing.
  service   feedback-service, demo generator with no token delay (`--workers 1`).
  service2  the same with `--workers 2` (processes sharing the port), when the service has it.

Per system and level: streams/s, tokens/s (tokens as the final event's usage counts them, not
messages), messages per stream, time to first token p50/p99, CPU per stream of the server's
processes and of MLflow (from /proc, over the step and the landing wait), and traces landed in
MLflow: how many were visible within 2 s after the step, how many by the end of the wait
(`--linger`, default 10 s) and at what rate. Then the token gap: the service with a generator
whose chunks carry the time they left it (bench/timed_tokens.py, 5 ms apart, a caller that keeps
up): the time from a chunk leaving the generator to reaching the caller.

It prints figures and ratios; it asserts nothing. Run: `.venv/bin/python bench/streaming.py [--quick]`.
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The chat part of benchmark.py's helpers (which also set the MLflow client's environment).
from benchmark import (  # noqa: E402
    REPO,
    LandingTracker,
    fmt,
    free_port,
    group_cpu_seconds,
    machine_info,
    ms,
    percentile,
)

import grpc  # noqa: E402
import httpx  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from mlflow.tracing.client import TracingClient  # noqa: E402

from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc  # noqa: E402

TOKENS = 64
BENCH = Path(__file__).resolve().parent
# Separate connections per channel (grpc shares one between channels with equal arguments), so
# that with --workers the kernel spreads them over the processes (it hashes each connection).
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0), ("grpc.use_local_subchannel_pool", 1)]
CHANNELS = 8


# ---------------------------------------------------------------- processes


class Server:
    """One system under test: a subprocess in its own process group."""

    def __init__(self, name: str, kind: str, args: list[str], port: int, work_dir: Path, env: dict | None = None):
        self.name, self.kind, self.args, self.port = name, kind, args, port
        self.address = f"127.0.0.1:{port}"
        self.log_path = work_dir / f"{name}-{port}.log"
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
        env.update(self.env)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
            )

    async def wait_ready(self, timeout_seconds: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            if await self._ready():
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout_seconds:g}s; see {self.log_path}")

    async def _ready(self) -> bool:
        if self.kind == "sse":
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        async with grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS) as channel:
            if self.name == "echo":
                try:
                    await asyncio.wait_for(channel.channel_ready(), 2)
                    return True
                except TimeoutError:
                    return False
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
                return reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                return False

    def cpu_seconds(self) -> float:
        return group_cpu_seconds(self.process.pid)

    def stop(self, timeout_seconds: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def service_args(port: int, experiment: str, data_dir: Path, workers: int, extra: list[str] = ()) -> list[str]:
    executable = Path(sys.executable).parent / "feedback-service"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "genaifeedback.service"]
    args = [
        *command,
        "--listen-address", f"127.0.0.1:{port}",
        "--demo-token-delay-ms", "0",
        "--demo-response-tokens", str(TOKENS),
        "--experiment-name", experiment,
        "--data-dir", str(data_dir),
        "--log-level", "WARNING",
        *extra,
    ]  # fmt: skip
    if workers != 1:
        args += ["--workers", str(workers)]
    return args


def service_has_workers() -> bool:
    executable = Path(sys.executable).parent / "feedback-service"
    try:
        help_text = subprocess.run([str(executable), "--help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--workers" in help_text


# ---------------------------------------------------------------- one stream


@dataclass
class Outcome:
    ttft: float | None = None
    tokens: int = 0  # as the final event's usage counts them (the guide's app: its token events)
    messages: int = 0  # token messages (events) received
    text: str = ""
    trace_id: str = ""
    error: str = ""
    gaps: list[float] = field(default_factory=list)  # token gap probe: seconds per chunk


async def grpc_stream(stub, index: int, landing: LandingTracker | None, finished_at: dict, probe: bool = False) -> Outcome:
    outcome = Outcome()
    parts: list[str] = []
    request = chat_pb2.ChatRequest(message=f"streaming benchmark chat {index}: how is feedback recorded?")
    call_start_ms = time.time_ns() // 1_000_000
    started = time.perf_counter()
    try:
        async for event in stub.Chat(request, timeout=60):
            kind = event.WhichOneof("event")
            if kind == "token":
                if probe:
                    now = time.time_ns()
                    outcome.gaps += [(now - int(t)) / 1e9 for t in event.token.text.split()]
                if outcome.ttft is None:
                    outcome.ttft = time.perf_counter() - started
                outcome.messages += 1
                parts.append(event.token.text)
            elif kind == "started":
                outcome.trace_id = event.started.trace_id
            elif kind == "finished":
                outcome.tokens = event.finished.usage.output_tokens
                if landing is not None:
                    now = time.perf_counter()
                    finished_at[event.finished.trace_id] = now
                    landing.expect(event.finished.trace_id, now, call_start_ms)
    except grpc.aio.AioRpcError as error:
        outcome.error = f"{error.code().name}: {error.details()}"
    outcome.text = "".join(parts)
    return outcome


async def sse_stream(client: httpx.AsyncClient, url: str, index: int, landing, finished_at: dict) -> Outcome:
    outcome = Outcome()
    parts: list[str] = []
    call_start_ms = time.time_ns() // 1_000_000
    started = time.perf_counter()
    try:
        payload = {"message": f"streaming benchmark chat {index}: how is feedback recorded?"}
        async with client.stream("POST", url, json=payload) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                if event["type"] == "token":
                    if outcome.ttft is None:
                        outcome.ttft = time.perf_counter() - started
                    outcome.messages += 1
                    outcome.tokens += 1
                    parts.append(event["content"])
                elif event["type"] == "done":
                    outcome.trace_id = event["trace_id"]
                    now = time.perf_counter()
                    finished_at[outcome.trace_id] = now
                    landing.expect(outcome.trace_id, now, call_start_ms)
                elif event["type"] == "error":
                    outcome.error = event["error"]
    except httpx.HTTPError as error:
        outcome.error = f"{type(error).__name__}: {error}"
    outcome.text = "".join(parts)
    return outcome


async def closed_loop(make_stream, count: int, concurrency: int) -> tuple[list[Outcome], float]:
    outcomes: list[Outcome] = []
    indices = iter(range(count))

    async def worker(slot: int):
        for index in indices:  # shared: each index is taken by exactly one worker
            outcomes.append(await make_stream(slot, index))

    started = time.perf_counter()
    await asyncio.gather(*(worker(slot) for slot in range(concurrency)))
    return outcomes, time.perf_counter() - started


# ---------------------------------------------------------------- one step: one system at one level


async def run_step(server: Server, concurrency: int, count: int, args, tracing: TracingClient, mlflow_pgid: int,
                   experiment: str | None) -> dict:
    landing_pool = ThreadPoolExecutor(1, thread_name_prefix="landing")
    finished_at: dict[str, float] = {}
    landing = None
    channels: list = []
    http = None
    try:
        if server.kind == "sse":
            http = httpx.AsyncClient(
                limits=httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4),
                timeout=60,
            )
            url = f"http://{server.address}/chat/stream"

            def make(landing_now):
                return lambda slot, index: sse_stream(http, url, index, landing_now, finished_at)
        else:
            channels = [grpc.aio.insecure_channel(server.address, options=CHANNEL_OPTIONS) for _ in range(min(concurrency, CHANNELS))]
            stubs = [chat_pb2_grpc.ChatServiceStub(channel) for channel in channels]

            def make(landing_now):
                return lambda slot, index: grpc_stream(stubs[slot % len(stubs)], index, landing_now, finished_at)

        # Warm-up: connections, imports, the first rows of the experiment; not counted.
        warm_tracker = None
        if experiment is not None:
            warm_tracker = LandingTracker(tracing, "0", landing_pool, 1.0)  # collects nothing: never polled
        await closed_loop(make(warm_tracker), max(10, 2 * concurrency), concurrency)
        finished_at.clear()
        if experiment is not None:
            experiment_id = tracing.store.get_experiment_by_name(experiment).experiment_id
            landing = LandingTracker(tracing, experiment_id, landing_pool, args.landing_poll_ms / 1000.0)

        cpu_start = (server.cpu_seconds(), group_cpu_seconds(mlflow_pgid), time.process_time())
        step_start = time.perf_counter()
        done = asyncio.Event()
        poller = asyncio.create_task(landing.run(done, args.linger)) if landing else None
        outcomes, wall = await closed_loop(make(landing), count, concurrency)
        step_end = time.perf_counter()
        cpu_step = (server.cpu_seconds(), group_cpu_seconds(mlflow_pgid), time.process_time())
        done.set()
        if poller:
            await asyncio.wait_for(poller, args.linger + 60)
        wait_end = time.perf_counter()
        cpu_end = (server.cpu_seconds(), group_cpu_seconds(mlflow_pgid), time.process_time())
    finally:
        for channel in channels:
            await channel.close()
        if http is not None:
            await http.aclose()
        landing_pool.shutdown(wait=False, cancel_futures=True)

    ok = [o for o in outcomes if not o.error]
    ttfts = [o.ttft for o in ok if o.ttft is not None]
    n = max(1, len(ok))
    result = {
        "system": server.name,
        "concurrency": concurrency,
        "streams": len(outcomes),
        "ok": len(ok),
        "errors": len(outcomes) - len(ok),
        "first_errors": sorted(Counter(o.error for o in outcomes if o.error).items(), key=lambda i: -i[1])[:3],
        "short_streams": sum(1 for o in ok if o.tokens != TOKENS or not o.text),
        "wall_s": wall,
        "streams_per_s": len(ok) / wall,
        "tokens_per_s": sum(o.tokens for o in ok) / wall,
        "messages_per_stream": sum(o.messages for o in ok) / n,
        "ttft_p50_ms": ms(percentile(ttfts, 50)),
        "ttft_p99_ms": ms(percentile(ttfts, 99)),
        "server_cpu_ms_step": 1000 * (cpu_step[0] - cpu_start[0]) / n,
        "server_cpu_ms_total": 1000 * (cpu_end[0] - cpu_start[0]) / n,
        "mlflow_cpu_ms_total": 1000 * (cpu_end[1] - cpu_start[1]) / n,
        "bench_cpu_ms_step": 1000 * (cpu_step[2] - cpu_start[2]) / n,
        "wait_s": wait_end - step_end,
    }
    if landing is not None:
        expected = [o.trace_id for o in ok if o.trace_id in finished_at]
        seen_at = {t: finished_at[t] + landing.landed[t] for t in expected if t in landing.landed}
        result.update(
            traces=len(expected),
            landed=len(seen_at),
            landed_within_2s=sum(1 for at in seen_at.values() if at <= step_end + 2.0),
            last_landed_after_step_s=(max(seen_at.values()) - step_end) if seen_at else None,
            landed_per_s=len(seen_at) / (max(seen_at.values()) - step_start) if seen_at else 0.0,
            land_p50_ms=ms(percentile(list(landing.landed.values()), 50)),
        )
    print(
        f"  {server.name:8s} c={concurrency:<3d} {result['ok']}/{result['streams']} ok, {result['streams_per_s']:.1f} streams/s, "
        f"{result['messages_per_stream']:.1f} msgs/stream, TTFT p50 {fmt(result['ttft_p50_ms'], 2)} ms, "
        f"server CPU {result['server_cpu_ms_step']:.2f} ms/stream"
        + (
            f"; landed {result['landed']}/{result['traces']} ({result['landed_within_2s']} within 2 s), "
            f"{result['landed_per_s']:.1f}/s"
            if landing is not None
            else ""
        ),
        flush=True,
    )
    if result["errors"]:
        print(f"    errors: {result['first_errors']}", flush=True)
    return result


async def token_gap(args, work_dir: Path, mlflow_url: str) -> dict:
    """The service with a generator whose chunks carry their departure time; one caller keeping up."""
    port = free_port()
    server = Server(
        "gap", "grpc",
        service_args(port, "bench-streaming-gap", work_dir / "gap-data", 1,
                     ["--mlflow-tracking-uri", mlflow_url, "--generator", "callable", "--callable", "timed_tokens:stream"]),
        port, work_dir, env={"PYTHONPATH": str(BENCH)},
    )  # fmt: skip
    server.start()
    try:
        await server.wait_ready()
        async with grpc.aio.insecure_channel(server.address, options=CHANNEL_OPTIONS) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            await grpc_stream(stub, 0, None, {}, probe=True)  # warm-up
            outcomes = [await grpc_stream(stub, i, None, {}, probe=True) for i in range(args.gap_streams)]
    finally:
        server.stop()
    gaps = [g for o in outcomes for g in o.gaps]
    ok = [o for o in outcomes if not o.error]
    return {
        "streams": len(outcomes),
        "ok": len(ok),
        "chunks": len(gaps),
        "messages_per_stream": sum(o.messages for o in ok) / max(1, len(ok)),
        "gap_p50_ms": ms(percentile(gaps, 50)),
        "gap_p99_ms": ms(percentile(gaps, 99)),
    }


# ---------------------------------------------------------------- the run


async def benchmark(args, embedded: EmbeddedMlflowServer, work_dir: Path) -> tuple[list[dict], dict | None]:
    tracing = TracingClient(embedded.url)
    stamp = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    systems = [s for s in args.systems if s != "service2" or service_has_workers()]
    steps = []
    for concurrency in args.concurrency:
        count = args.streams.get(concurrency, args.streams_default)
        print(f"\n== concurrency {concurrency}: {count} streams per system", flush=True)
        for name in systems:
            port = free_port()
            experiment = None
            if name == "guide":
                experiment = f"bench-streaming-guide-{stamp}"
                server = Server(name, "sse", [sys.executable, str(BENCH / "guide_app.py"), "--port", str(port),
                                              "--tracking-uri", embedded.url, "--experiment-name", experiment],
                                port, work_dir)  # fmt: skip
            elif name == "echo":
                server = Server(name, "grpc", [sys.executable, str(BENCH / "echo_server.py"), "--port", str(port)],
                                port, work_dir)  # fmt: skip
            else:
                experiment = f"bench-streaming-{name}-{stamp}"
                workers = 2 if name == "service2" else 1
                data_dir = work_dir / f"{name}-c{concurrency}-data"
                server = Server(name, "grpc",
                                service_args(port, experiment, data_dir, workers, ["--mlflow-tracking-uri", embedded.url]),
                                port, work_dir)  # fmt: skip
            server.start()
            try:
                await server.wait_ready()
                steps.append(await run_step(server, concurrency, count, args, tracing, embedded._process.pid, experiment))
            finally:
                server.stop(timeout_seconds=5 if name == "guide" else 30)
    gap = await token_gap(args, work_dir, embedded.url) if args.gap_streams else None
    if gap:
        print(f"\n  token gap: {gap['chunks']} chunks, p50 {fmt(gap['gap_p50_ms'], 3)} ms, p99 {fmt(gap['gap_p99_ms'], 3)} ms, "
              f"{gap['messages_per_stream']:.1f} messages per 32-chunk stream", flush=True)  # fmt: skip
    return steps, gap


def print_report(machine: dict, steps: list[dict], gap: dict | None) -> None:
    print("\n# Machine")
    for key, value in machine.items():
        print(f"{key}: {value}")
    print("\n# Streams (64-token demo streams, no token delay, closed loop; CPU in ms per stream)")
    print("system    conc  streams/s  tokens/s  msgs/   TTFT   TTFT   CPU ms/stream         traces landed             landed/s")
    print("                                     stream  p50    p99  server  srv+wait  mlflow  in 2 s  by wait  of")
    for s in steps:
        landed = (
            f"{s['landed_within_2s']:6d}  {s['landed']:7d}  {s['traces']:4d}  {s['landed_per_s']:8.1f}"
            if "landed" in s
            else f"{'-':>6s}  {'-':>7s}  {'-':>4s}  {'-':>8s}"
        )
        print(
            f"{s['system']:8s} {s['concurrency']:5d} {s['streams_per_s']:10.1f} {s['tokens_per_s']:9.0f} {s['messages_per_stream']:6.1f}"
            f" {fmt(s['ttft_p50_ms'], 2):>6s} {fmt(s['ttft_p99_ms'], 2):>6s} {s['server_cpu_ms_step']:7.2f} {s['server_cpu_ms_total']:9.2f}"
            f" {s['mlflow_cpu_ms_total']:7.2f}  {landed}"
        )
    if gap:
        print(
            f"\n# Token gap (service, one caller, 32 chunks 5 ms apart): p50 {fmt(gap['gap_p50_ms'], 3)} ms, "
            f"p99 {fmt(gap['gap_p99_ms'], 3)} ms over {gap['chunks']} chunks; {gap['messages_per_stream']:.1f} messages per stream"
        )
    print("\n# Ratios (targets from issue 10)")
    by = {(s["system"], s["concurrency"]): s for s in steps}
    for concurrency in sorted({s["concurrency"] for s in steps}):
        service, guide, echo = by.get(("service", concurrency)), by.get(("guide", concurrency)), by.get(("echo", concurrency))
        if service and guide:
            print(f"c={concurrency:<3d} service/guide streams/s    {service['streams_per_s'] / guide['streams_per_s']:6.2f}   (target >= 2)")
        if service and echo:
            target = "   (target >= 0.8 at c=32)" if concurrency == 32 else ""
            print(f"c={concurrency:<3d} service/echo streams/s     {service['streams_per_s'] / echo['streams_per_s']:6.2f}{target}")
        if service and guide and guide.get("landed_per_s"):
            print(f"c={concurrency:<3d} service/guide landed/s     {service['landed_per_s'] / guide['landed_per_s']:6.2f}   (target >= 10)")
        if service:
            print(f"c={concurrency:<3d} service traces in 2 s      {service['landed_within_2s']}/{service['traces']}   (target: all)")
        two = by.get(("service2", concurrency))
        if service and two:
            print(f"c={concurrency:<3d} 2 workers / 1 worker       {two['streams_per_s'] / service['streams_per_s']:6.2f}")
    if by.get(("service", 1)):
        print(f"c=1   service TTFT p50 ms        {fmt(by[('service', 1)]['ttft_p50_ms'], 2):>6s}   (target <= 2)")
    if gap:
        print(f"      token gap p50 ms           {fmt(gap['gap_p50_ms'], 3):>6s}   (target <= 1)")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Streaming benchmark: the service vs the guide's FastAPI app vs a bare grpc.aio echo.")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--streams", type=lambda s: dict(tuple(int(y) for y in x.split(":")) for x in s.split(",")),
                        default={1: 300, 8: 600, 32: 960}, help="streams per level, e.g. 1:300,8:600,32:960")
    parser.add_argument("--streams-default", type=int, default=600)
    parser.add_argument("--quick", action="store_true", help="a short run: 60/120/192 streams per level")
    parser.add_argument("--linger", type=float, default=10.0, help="seconds to wait after a step for its traces (default 10)")
    parser.add_argument("--landing-poll-ms", type=float, default=100.0)
    parser.add_argument("--gap-streams", type=int, default=30, help="streams of the token gap probe (0: skip)")
    parser.add_argument("--systems", type=lambda s: s.split(","), default=["guide", "echo", "service", "service2"],
                        help="which systems, in order (default guide,echo,service,service2; service2 is --workers 2)")
    parser.add_argument("--mlflow-command", default=os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND", "mlflow"))
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--keep-data", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.streams = {1: 60, 8: 120, 32: 192}
        args.gap_streams = min(args.gap_streams, 10)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    machine = machine_info(args.mlflow_command)
    work_dir = Path(tempfile.mkdtemp(prefix="streaming-bench-"))
    embedded = EmbeddedMlflowServer(args.mlflow_command, "127.0.0.1", free_port(), work_dir / "mlflow",
                                    log_path=work_dir / "mlflow-server.log")  # fmt: skip
    failed = True
    try:
        print(f"starting MLflow at {embedded.url} (data and logs in {work_dir}) ...", flush=True)
        (work_dir / "mlflow").mkdir()
        embedded.start()
        steps, gap = asyncio.run(benchmark(args, embedded, work_dir))
        machine["loadavg_at_end"] = os.getloadavg()
        print_report(machine, steps, gap)
        if args.json:
            args.json.write_text(json.dumps({"machine": machine, "steps": steps, "token_gap": gap}, indent=2, default=str))
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
        embedded.stop()
        if args.keep_data or failed:
            print(f"data and logs kept in {work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
