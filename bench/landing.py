"""Benchmark: feedback landing in MLflow through the service, against `mlflow.log_feedback`.

Starts its own MLflow server (the embedded settings, SQLite in a temp dir) and the service as a
subprocess with its metrics endpoint. For each concurrency level (1, 8, 32 by default) and each kind
of feedback:

  - anonymous: bool feedback with no source id (each call its own vote, never chained);
  - raters: RATERS raters voting again and again on the same traces (each trace gets every rater's
    votes, so most calls replace that rater's current vote on that trace);

the same jobs, on fresh traces, go two ways in alternating rounds (ABBA, so neither path gains from
running first or last):

  - service: SubmitFeedback at the level's concurrency, answered once journaled; landed = from the
    first call until the service's metrics count every unit STORED;
  - direct: `mlflow.log_feedback` from a thread pool of the level's size (landed = answered).

Printed per row: landed/s of both and their ratio, the MLflow server's CPU (its whole process
group, from /proc) per stored feedback for both, and what MLflow holds afterwards: every
acknowledged feedback stored exactly once, and for raters exactly one valid vote per (trace, rater)
pair on the service's side (the direct path replaces nothing: all its votes stay valid).

It asserts nothing. Run: `make bench-landing` or `.venv/bin/python bench/landing.py [--quick]`.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from benchmark import CpuMeter, fmt, free_port, machine_info  # noqa: E402  (sets the direct client's env)
from durability import Service, make_traces  # noqa: E402

import grpc  # noqa: E402
import httpx  # noqa: E402
import mlflow  # noqa: E402
from mlflow.entities import AssessmentSource  # noqa: E402
from mlflow.tracing.client import TracingClient  # noqa: E402

from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.v1 import feedback_pb2, feedback_pb2_grpc  # noqa: E402

RATERS = 8
KINDS = ("anonymous", "raters")
POLL_SECONDS = 0.1  # how often the service's metrics are read for the STORED count (each read costs the service CPU)


@dataclass(frozen=True)
class Job:
    trace_id: str
    rater: str  # "" for anonymous
    value: bool


def jobs_for(kind: str, traces: list[str], count: int, seed: int) -> list[Job]:
    """`count` feedbacks on these traces: anonymous ones spread over them, or every rater voting on
    every trace in turn (again and again), in a shuffled order."""
    if kind == "anonymous":
        jobs = [Job(traces[n % len(traces)], "", n % 2 == 0) for n in range(count)]
    else:
        pairs = [(t, f"rater-{r}") for t in traces for r in range(RATERS)]
        jobs = [Job(*pairs[n % len(pairs)], n % 3 == 0) for n in range(count)]
    random.Random(seed).shuffle(jobs)
    return jobs


def mlflow_calls(service: Service) -> Counter[str]:
    """The service's MLflow calls so far, by kind (its metrics)."""
    calls: Counter[str] = Counter()
    for line in httpx.get(service.metrics_url, timeout=5).text.splitlines():
        if line.startswith("genaifeedback_mlflow_call_seconds_count{"):
            calls[line.split('call="', 1)[1].split('"', 1)[0]] += int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("genaifeedback_feedback_traces_read_total "):
            calls["traces read"] += int(float(line.rsplit(" ", 1)[1]))
    return calls


@dataclass
class Round:
    path: str
    landed: int
    seconds: float
    mlflow_cpu: float
    service_cpu: float
    ids: dict[str, list[str]]  # trace id -> assessment ids acknowledged
    errors: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # the service's MLflow calls, by kind


async def service_round(service: Service, jobs: list[Job], concurrency: int, name: str, cpu: CpuMeter) -> Round:
    ids: dict[str, list[str]] = defaultdict(list)
    errors = 0
    queue = iter(jobs)
    stored_before = service.metric("genaifeedback_feedback_settled_total", 'state="STORED"')
    calls_before = mlflow_calls(service)
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = feedback_pb2_grpc.FeedbackServiceStub(channel)

        async def worker() -> None:
            nonlocal errors
            for job in queue:
                source = feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=job.rater)
                request = feedback_pb2.SubmitFeedbackRequest(
                    trace_id=job.trace_id, name=name, bool_value=job.value, source=source, request_id=uuid.uuid4().hex
                )
                try:
                    reply = await stub.SubmitFeedback(request, timeout=30)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                ids[job.trace_id].append(reply.assessment_id)

        with cpu:
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            acknowledged = sum(len(v) for v in ids.values())
            deadline = time.monotonic() + 600
            while (
                service.metric("genaifeedback_feedback_settled_total", 'state="STORED"') < stored_before + acknowledged
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("feedback did not land within 600 s")
                await asyncio.sleep(POLL_SECONDS)  # polling the service's metrics for an outcome
            seconds = time.perf_counter() - started
    return Round(
        "service",
        acknowledged,
        seconds,
        cpu.used["mlflow"],
        cpu.used["service"],
        ids,
        errors,
        mlflow_calls(service) - calls_before,
    )


def direct_round(pool: ThreadPoolExecutor, jobs: list[Job], name: str, cpu: CpuMeter) -> Round:
    def one(job: Job) -> tuple[str, str]:
        source = AssessmentSource(source_type="HUMAN", source_id=job.rater or None)
        return job.trace_id, mlflow.log_feedback(
            trace_id=job.trace_id, name=name, value=job.value, source=source
        ).assessment_id

    ids: dict[str, list[str]] = defaultdict(list)
    errors = 0
    with cpu:
        started = time.perf_counter()
        futures = [pool.submit(one, job) for job in jobs]
        for future in futures:
            try:
                trace_id, assessment_id = future.result()
            except Exception:  # noqa: BLE001 - counted
                errors += 1
                continue
            ids[trace_id].append(assessment_id)
        seconds = time.perf_counter() - started
    return Round(
        "direct", sum(len(v) for v in ids.values()), seconds, cpu.used["mlflow"], cpu.used["service"], ids, errors
    )


def verify(client: TracingClient, traces: list[str], name: str, acknowledged: dict[str, list[str]]) -> dict:
    """What MLflow holds under `name` on these traces, against what was acknowledged."""
    missing = unexpected = duplicates = 0
    valid_per_pair: Counter[tuple[str, str]] = Counter()
    pairs: set[tuple[str, str]] = set()
    for trace_id in traces:
        stored = [a for a in client.get_trace_info(trace_id).assessments if a.name == name]
        have, want = Counter(a.assessment_id for a in stored), Counter(acknowledged.get(trace_id, []))
        missing += sum((want - have).values())
        unexpected += sum((have - want).values())
        duplicates += sum(n - 1 for n in have.values() if n > 1) + sum(n - 1 for n in want.values() if n > 1)
        for a in stored:
            if a.source.source_id:
                pairs.add((trace_id, a.source.source_id))
                valid_per_pair[(trace_id, a.source.source_id)] += bool(a.valid)
    one_valid = sum(1 for pair in pairs if valid_per_pair[pair] == 1)
    return {
        "missing": missing,
        "unexpected": unexpected,
        "duplicates": duplicates,
        "pairs": len(pairs),
        "one_valid": one_valid,
    }


async def run_row(
    service: Service,
    pool: ThreadPoolExecutor,
    client: TracingClient,
    cpu: CpuMeter,
    kind: str,
    concurrency: int,
    args,
    row: int,
) -> dict:
    traces = make_traces(service, args.traces)
    jobs = jobs_for(kind, traces, args.feedbacks, seed=row)
    parts = [jobs[k :: args.rounds] for k in range(args.rounds)]
    names = {"service": f"svc_{kind}_c{concurrency}", "direct": f"dir_{kind}_c{concurrency}"}
    rounds: dict[str, list[Round]] = {"service": [], "direct": []}
    for k, part in enumerate(parts):
        for path in ("service", "direct") if (k + row) % 2 == 0 else ("direct", "service"):
            if path == "service":
                rounds[path].append(await service_round(service, part, concurrency, names[path], cpu))
            else:
                rounds[path].append(await asyncio.to_thread(direct_round, pool, part, names[path], cpu))
    result: dict = {"kind": kind, "concurrency": concurrency}
    for path, rs in rounds.items():
        landed, seconds, mlflow_cpu = (
            sum(r.landed for r in rs),
            sum(r.seconds for r in rs),
            sum(r.mlflow_cpu for r in rs),
        )
        acknowledged: dict[str, list[str]] = defaultdict(list)
        for r in rs:
            for trace_id, ids in r.ids.items():
                acknowledged[trace_id] += ids
        result[path] = {
            "landed": landed,
            "errors": sum(r.errors for r in rs),
            "per_s": landed / seconds if seconds else None,
            "mlflow_cpu_ms": 1000 * mlflow_cpu / max(1, landed),
            "service_cpu_ms": 1000 * sum(r.service_cpu for r in rs) / max(1, landed),
            "calls_per_feedback": {k: v / max(1, landed) for k, v in sum((r.calls for r in rs), Counter()).items()},
            "verify": await asyncio.to_thread(verify, client, traces, names[path], acknowledged),
        }
    s, d = result["service"], result["direct"]
    result["ratio"] = s["per_s"] / d["per_s"] if s["per_s"] and d["per_s"] else None
    print_row(result)
    return result


def print_header() -> None:
    print(
        f"\n{'kind':>9} {'conc':>4} {'svc/s':>7} {'dir/s':>7} {'ratio':>6} {'mlf ms/fb':>9} {'mlf ms/fb':>9} "
        f"{'svc stored':>11} {'dir stored':>11} {'one valid vote':>15}"
    )
    print(
        f"{'':>9} {'':>4} {'':>7} {'':>7} {'':>6} {'svc':>9} {'dir':>9} {'(miss/dup)':>11} {'(miss/dup)':>11} {'svc pairs':>15}"
    )


def print_row(r: dict) -> None:
    s, d = r["service"], r["direct"]
    sv, dv = s["verify"], d["verify"]
    pairs = f"{sv['one_valid']}/{sv['pairs']}" if r["kind"] == "raters" else "-"
    print(
        f"{r['kind']:>9} {r['concurrency']:>4} {fmt(s['per_s']):>7} {fmt(d['per_s']):>7} {fmt(r['ratio'], 2):>6} "
        f"{s['mlflow_cpu_ms']:>9.2f} {d['mlflow_cpu_ms']:>9.2f} "
        f"{str(s['landed']) + ' ' + str(sv['missing']) + '/' + str(sv['duplicates'] + sv['unexpected']):>11} "
        f"{str(d['landed']) + ' ' + str(dv['missing']) + '/' + str(dv['duplicates'] + dv['unexpected']):>11} {pairs:>15}"
        + (f"  errors: service {s['errors']}, direct {d['errors']}" if s["errors"] or d["errors"] else "")
        + f"  svc CPU/fb {s['service_cpu_ms']:.2f} ms; svc MLflow calls/fb: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(s["calls_per_feedback"].items())),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--kinds", type=lambda s: s.split(","), default=list(KINDS))
    parser.add_argument("--feedbacks", type=int, default=800, help="feedbacks per path per row (default 800)")
    parser.add_argument("--traces", type=int, default=25, help="fresh traces per row (default 25)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per path per row (default 2)")
    parser.add_argument("--quick", action="store_true", help="200 feedbacks per path per row")
    parser.add_argument("--mlflow-command", default=str(REPO / ".venv-mlflow/bin/mlflow"))
    args = parser.parse_args()
    if args.quick:
        args.feedbacks = 200
    machine = machine_info(args.mlflow_command)
    print(f"machine: nproc {machine['nproc']}, {machine['cpu_model']}, load {machine['loadavg_at_start']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="landing-bench-") as tmp:
        work = Path(tmp)
        server = EmbeddedMlflowServer(args.mlflow_command, "127.0.0.1", free_port(), work / "mlflow")
        server.start()
        mlflow.set_tracking_uri(server.url)
        mlflow.set_experiment("durability-bench")  # the service's experiment: the direct path writes there too
        service = Service(server.url, work)
        service.start()
        client = TracingClient(server.url)
        cpu = CpuMeter(service.process.pid, server._process.pid)  # noqa: SLF001 - its process group
        try:
            print_header()
            row = 0
            for concurrency in args.concurrency:
                with ThreadPoolExecutor(concurrency) as pool:
                    warm = make_traces(service, 4)  # connections and threads of both paths
                    for kind in args.kinds:
                        asyncio.run(
                            service_round(service, jobs_for(kind, warm, 2 * concurrency, 0), concurrency, "warm", cpu)
                        )
                        direct_round(pool, jobs_for(kind, warm, 2 * concurrency, 0), "warm", cpu)
                    for kind in args.kinds:
                        asyncio.run(run_row(service, pool, client, cpu, kind, concurrency, args, row))
                        row += 1
        finally:
            service.stop()
            server.stop()
    print(
        "(svc/s, dir/s: feedback landed per second, service (acknowledged, then until every unit is STORED) and\n"
        " mlflow.log_feedback; mlf ms/fb: MLflow server CPU per stored feedback; stored: landed (missing/duplicate);\n"
        f" one valid vote: (trace, rater) pairs holding exactly one valid vote / pairs, {RATERS} raters per trace)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
