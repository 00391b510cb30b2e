"""Benchmark: three replicas sharing a journal in PostgreSQL, with MLflow (2 workers) in the same
PostgreSQL, beside the embedded default (one replica with its SQLite journal, MLflow on SQLite with
one worker). Everything runs on this machine, started by the script; it prints figures and ratios and
asserts nothing. `make bench-cluster` (ARGS="--quick" for a short run, "--million" for d).

  a. Throughput at concurrency 8 and 32 on each setup, the PostgreSQL one called over its three
     replicas in turn: chats/s; traces landed in MLflow per second, and the share of the step's
     traces there within 2 s of their final event; feedback acknowledged/s (answered once journaled)
     and landed/s (until every unit is STORED, by the replicas' metrics); each as a ratio to the
     embedded default. The embedded setup is stopped before the PostgreSQL one starts.
  b. SIGKILL one of the three replicas at a random moment under load (8 callers, each chat followed by
     a feedback on it sent to the next replica; a caller whose replica died goes on with the others),
     five times: the chats and feedback acknowledged, how many were lost and how many duplicated (read
     back from MLflow), and the time from the kill until everything the killed replica had acknowledged
     but not yet stored is in MLflow (its leases must end first: --lease-seconds, the service's
     default 30 s). The killed replica is started again before the next run.
  c. Acknowledgement p50/p99 of SubmitFeedback at concurrency 32 on one replica with the PostgreSQL
     journal, against one with the SQLite journal (synchronous NORMAL, the default, and FULL), each
     alone, on the same MLflow on PostgreSQL.
  d. With --million: GetFeedbackSummary over 1,000,000 traces (70% with feedback) on PostgreSQL, by
     default and with the feedback rate (count_traces_with_feedback: the traces carrying the
     feedback marker, counted by MLflow), each the median of 3. The traces are not made through
     the service: bench/feedback_data.py --copy bulk-inserts them, markers included, straight into
     MLflow's PostgreSQL tables with COPY (MLflow's own columns, no spans); the load is most of the
     5 minutes --million adds.

PostgreSQL runs with its default durability settings (fsync on), as a deployment would.
"""

import argparse
import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import grpc  # noqa: E402
import mlflow  # noqa: E402
from analytics import timed_summary  # noqa: E402
from benchmark import LandingTracker, fmt, free_port, machine_info, ms, percentile, run_chats  # noqa: E402
from durability import Service, acknowledge, make_traces, stored_count, wait_all_stored  # noqa: E402
from mlflow.tracing.client import TracingClient  # noqa: E402

from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer  # noqa: E402
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside  # noqa: E402
from genaifeedback.service.storage.postgres_journal import libpq_url  # noqa: E402
from genaifeedback.v1 import (  # noqa: E402
    analytics_pb2,
    analytics_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    feedback_pb2,
    feedback_pb2_grpc,
)

EXPERIMENT = "cluster-bench"
LANDED_WITHIN_SECONDS = 2.0


class Setup:
    """MLflow and the replicas of one deployment: embedded (MLflow on SQLite, 1 worker; one replica, its
    SQLite journal) or PostgreSQL (MLflow with 2 workers and the replicas' shared journal in it)."""

    def __init__(self, name: str, work: Path, mlflow_command: str, postgres: EmbeddedPostgres | None, lease: float):
        self.name, self.work = name, work
        port = free_port()
        if postgres is None:
            self.mlflow = EmbeddedMlflowServer(mlflow_command, "127.0.0.1", port, work / "mlflow")
            self.journal: dict = {}
        else:
            store = postgres.create_database("mlflow")
            self.mlflow = EmbeddedMlflowServer(
                mlflow_command, "127.0.0.1", port, work / "mlflow", backend_store_uri=store, workers=2
            )
            self.journal = {
                "journal_url": libpq_url(postgres.create_database("journal")),
                "journal_lease_seconds": lease,
            }
        self.replicas: list[Service] = []
        self._started = itertools.count()

    def start(self, replicas: int) -> None:
        self.mlflow.start()
        self.client = TracingClient(self.mlflow.url)
        self.replicas = [self.replica() for _ in range(replicas)]
        self.experiment_id = self.client.store.get_experiment_by_name(EXPERIMENT).experiment_id

    def replica(self, journal: dict | None = None, experiment: str = EXPERIMENT) -> Service:
        """A replica process on this MLflow, on the setup's journal (or the one given: {} for SQLite)."""
        folder = self.work / f"replica-{next(self._started)}"
        folder.mkdir(parents=True)
        service = Service(self.mlflow.url, folder, experiment, **(self.journal if journal is None else journal))
        service.start()
        return service

    def stop_replicas(self) -> None:
        for replica in self.replicas:
            if replica.process.poll() is None:
                replica.stop()

    def stop(self) -> None:
        self.stop_replicas()
        self.mlflow.stop()


class InTurn:
    """The replicas as one chat stub: each call goes to the next replica."""

    def __init__(self, stubs: list) -> None:
        self._stubs, self._turn = stubs, itertools.count()

    def Chat(self, request, timeout: float):  # the generated stubs' name
        return self._stubs[next(self._turn) % len(self._stubs)].Chat(request, timeout=timeout)


# ---------------------------------------------------------------- (a) throughput


async def chat_step(setup: Setup, concurrency: int, chats: int, poll_ms: float) -> tuple[dict, list[str]]:
    """Chats over the replicas in turn, with MLflow polled for their traces; figures, and the traces landed."""
    channels = [grpc.aio.insecure_channel(replica.address) for replica in setup.replicas]
    pool = ThreadPoolExecutor(1, thread_name_prefix="landing")
    landing = LandingTracker(setup.client, setup.experiment_id, pool, poll_ms / 1000)
    done = asyncio.Event()
    poller = asyncio.create_task(landing.run(done, 60.0))
    started = time.perf_counter()
    try:
        stub = InTurn([chat_pb2_grpc.ChatServiceStub(channel) for channel in channels])
        outcomes, wall = await run_chats(stub, chats, concurrency, f"{setup.name}-c{concurrency}", landing)
        done.set()
        await poller
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for channel in channels:
            await channel.close()
    ok = [outcome for outcome in outcomes if not outcome.error]
    landed = landing.landed
    figures = {
        "chats/s": len(ok) / wall,
        "traces landed/s": len(landed) / (landing.last_seen_at - started) if landing.last_seen_at else None,
        f"in MLflow <={LANDED_WITHIN_SECONDS:g} s": sum(1 for s in landed.values() if s <= LANDED_WITHIN_SECONDS)
        / max(1, len(ok)),
        "chat errors": len(outcomes) - len(ok),
    }
    return figures, [outcome.trace_id for outcome in ok if outcome.trace_id in landed]


def feedback_step(setup: Setup, trace_ids: list[str], concurrency: int, count: int) -> dict:
    """Feedback over the replicas in turn: acknowledged once journaled, then landed once all STORED."""
    before = stored_count(setup.replicas)
    targets = [trace_ids[n % len(trace_ids)] for n in range(count)]
    started = time.monotonic()
    latencies = asyncio.run(acknowledge(setup.replicas, targets, concurrency, f"{setup.name}_c{concurrency}"))
    acknowledged = time.monotonic() - started
    wait_all_stored(setup.replicas, before + count)
    return {
        "feedback acked/s": count / acknowledged,
        "feedback landed/s": count / (time.monotonic() - started),
        "ack p50 ms": ms(percentile(latencies, 50)),
    }


def throughput(setup: Setup, args) -> dict[int, dict]:
    _, warm = asyncio.run(chat_step(setup, 4, 20, args.poll_ms))  # connections, MLflow's first rows
    feedback_step(setup, warm, 4, 20)
    figures = {}
    for concurrency in (8, 32):
        chats, landed = asyncio.run(chat_step(setup, concurrency, args.chats, args.poll_ms))
        if not landed:
            raise RuntimeError(f"{setup.name}: no chat's trace reached MLflow at concurrency {concurrency}")
        figures[concurrency] = {**chats, **feedback_step(setup, landed, concurrency, args.feedbacks)}
        print(
            f"  {setup.name} c={concurrency}: " + ", ".join(f"{k} {fmt(v, 2)}" for k, v in figures[concurrency].items())
        )
    return figures


def print_throughput(embedded: dict[int, dict], postgres: dict[int, dict]) -> None:
    print("\n# (a) Throughput: PostgreSQL (3 replicas in turn, MLflow 2 workers) against the embedded default")
    names = list(embedded[8])
    print(f"{'conc':>4} {'':>9} " + " ".join(f"{name:>18}" for name in names))
    for concurrency in (8, 32):
        base, other = embedded[concurrency], postgres[concurrency]
        for label, row in (("embedded", base), ("postgres", other)):
            print(f"{concurrency:>4} {label:>9} " + " ".join(f"{fmt(row[name], 2):>18}" for name in names))
        ratios = [other[name] / base[name] if base[name] and other[name] is not None else None for name in names]
        print(f"{concurrency:>4} {'ratio':>9} " + " ".join(f"{fmt(ratio, 2):>18}" for ratio in ratios))
    print("(ratio = postgres / embedded; landed = seen in MLflow; a chat's trace counts as in MLflow within 2 s")
    print(" of its final event if a poll saw it by then; feedback landed/s runs until every unit is STORED)")


# ---------------------------------------------------------------- (b) a replica killed under load


def read_back(client: TracingClient, experiment_id: str, since_ms: int, name: str) -> dict[str, tuple[str, list[str]]]:
    """trace id -> (its client_request_id, the ids of its assessments of this name), for traces since then."""
    found, token = {}, None
    while True:
        page = client.search_traces(
            locations=[experiment_id],
            filter_string=f"trace.timestamp_ms >= {since_ms}",
            max_results=500,
            page_token=token,
            include_spans=False,
        )
        for trace in page:
            ids = [a.assessment_id for a in trace.info.assessments if a.name == name]
            found[trace.info.trace_id] = (trace.info.tags.get("client_request_id", ""), ids)
        token = page.token
        if not token:
            return found


def missing_from(acknowledged: list[tuple[int, str, str, str]], stored: dict) -> list[tuple[str, str]]:
    """The acknowledged (kind, id) MLflow does not hold: a chat by its client_request_id, a feedback by its id."""
    requests = {crid for crid, _ in stored.values()}
    return [
        (kind, key)
        for _, kind, trace_id, key in acknowledged
        if (kind == "chat" and key not in requests)
        or (kind == "feedback" and key not in stored.get(trace_id, ("", []))[1])
    ]


def kill_run(setup: Setup, run: int, rng: random.Random, callers: int, load_seconds: tuple[float, float]) -> dict:
    """Load over the three replicas, one SIGKILLed at a random moment; then what MLflow holds."""
    name = f"kill_{run}"
    since_ms = int(time.time() * 1000) - 1
    victim = rng.randrange(len(setup.replicas))
    acknowledged: list[tuple[int, str, str, str]] = []  # (replica, "chat" or "feedback", trace id, its id)
    errors: list[str] = []
    killing, stop = threading.Event(), threading.Event()
    channels = [grpc.insecure_channel(replica.address) for replica in setup.replicas]
    chats = [chat_pb2_grpc.ChatServiceStub(channel) for channel in channels]
    feedback = [feedback_pb2_grpc.FeedbackServiceStub(channel) for channel in channels]

    def caller(worker: int) -> None:
        alive = list(range(len(setup.replicas)))
        for n in itertools.count():
            if stop.is_set():
                return
            request_id = f"{name}-{worker}-{n}"
            target = alive[n % len(alive)]  # the chat's replica; its feedback goes to the next one
            try:
                chat = chat_pb2.ChatRequest(message=request_id, client_request_id=request_id)
                trace_id = list(chats[target].Chat(chat, timeout=30))[-1].finished.trace_id
                acknowledged.append((target, "chat", trace_id, request_id))
                target = alive[(n + 1) % len(alive)]
                vote = feedback_pb2.SubmitFeedbackRequest(
                    trace_id=trace_id, name=name, bool_value=True, request_id=request_id
                )
                assessment_id = feedback[target].SubmitFeedback(vote, timeout=30).assessment_id
                acknowledged.append((target, "feedback", trace_id, assessment_id))
            except grpc.RpcError as error:
                if killing.is_set() and target == victim:
                    alive.remove(victim)  # its replica died: go on with the others
                else:
                    errors.append(f"{error.code().name}: {error.details()}")

    with ThreadPoolExecutor(callers) as pool:
        running = [pool.submit(caller, worker) for worker in range(callers)]
        time.sleep(rng.uniform(*load_seconds))  # the scenario: load, then the kill at a random moment
        killing.set()
        os.killpg(setup.replicas[victim].process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        setup.replicas[victim].process.wait()
        at_kill = read_back(setup.client, setup.experiment_id, since_ms, name)
        pending = set(missing_from([a for a in list(acknowledged) if a[0] == victim], at_kill))
        time.sleep(2)  # the scenario: the load goes on over the others
        stop.set()
        for done in running:
            done.result()
    for channel in channels:
        channel.close()

    landed_after = None  # until the last of the killed replica's pending units is in MLflow
    give_up = killed_at + setup.journal["journal_lease_seconds"] + 180
    while True:
        stored = read_back(setup.client, setup.experiment_id, since_ms, name)
        missing = missing_from(acknowledged, stored)
        if landed_after is None and not pending.intersection(missing):
            landed_after = time.monotonic() - killed_at
        if not missing or time.monotonic() > give_up:
            break
        time.sleep(0.5)  # polling MLflow for the outcome (bounded by give_up)
    requests = [crid for crid, _ in stored.values()]
    setup.replicas[victim] = setup.replica()  # started again for the next run
    return {
        "chats acked": sum(1 for a in acknowledged if a[1] == "chat"),
        "feedback acked": sum(1 for a in acknowledged if a[1] == "feedback"),
        "killed replica's pending": len(pending),
        "lost": len(missing),
        "duplicated": len(requests) - len(set(requests)) + sum(max(0, len(ids) - 1) for _, ids in stored.values()),
        "pending landed after s": landed_after if pending else None,
        "other errors": len(errors),
    }


def print_kills(runs: list[dict], lease: float) -> None:
    print(
        f"\n# (b) One of three replicas SIGKILLed at a random moment under load, {len(runs)} times (lease {lease:g} s)"
    )
    names = list(runs[0])
    print(f"{'run':>3} " + " ".join(f"{name:>24}" for name in names))
    for number, run in enumerate(runs, 1):
        values = [fmt(run[name], 1 if isinstance(run[name], float) else 0) for name in names]
        print(f"{number:>3} " + " ".join(f"{value:>24}" for value in values))
    print("(lost and duplicated: acknowledged chats, by client_request_id, and feedback, by assessment id, read back")
    print(" from MLflow; pending: what the killed replica had acknowledged and MLflow did not hold at the kill;")
    print(" - : nothing was pending)")


# ---------------------------------------------------------------- (c) acknowledgement, by journal


def acknowledgement(setup: Setup, count: int) -> list[tuple[str, float | None, float | None]]:
    """SubmitFeedback at concurrency 32 on one replica alone per journal, all on the same MLflow."""
    mlflow.set_tracking_uri(setup.mlflow.url)  # make_traces waits there for the traces
    rows = []
    journals = [
        ("PostgreSQL (shared)", None),
        ("SQLite, synchronous NORMAL (default)", {}),
        ("SQLite, synchronous FULL", {"journal_synchronous": "FULL"}),
    ]
    for label, journal in journals:
        replica = setup.replica(journal)
        try:
            traces = make_traces(replica, 100)
            asyncio.run(acknowledge([replica], traces * 2, 32, "ack_warm_up"))
            targets = [traces[n % len(traces)] for n in range(count)]
            latencies = asyncio.run(acknowledge([replica], targets, 32, "ack"))
        finally:
            replica.stop()
        rows.append((label, ms(percentile(latencies, 50)), ms(percentile(latencies, 99))))
        print(f"  {label}: p50 {fmt(rows[-1][1], 2)} ms, p99 {fmt(rows[-1][2], 2)} ms", flush=True)
    return rows


def print_acknowledgement(rows: list[tuple[str, float | None, float | None]], count: int) -> None:
    print(f"\n# (c) SubmitFeedback acknowledgement at concurrency 32, one replica, {count} calls, by journal")
    print(f"{'journal':<38} {'p50 ms':>8} {'p99 ms':>8} {'p50 / PostgreSQL':>17}")
    base = rows[0][1]
    for label, p50, p99 in rows:
        print(f"{label:<38} {fmt(p50, 2):>8} {fmt(p99, 2):>8} {fmt(p50 / base if p50 and base else None, 2):>17}")


# ---------------------------------------------------------------- (d) a million traces


def million(setup: Setup, traces: int, mlflow_python: str) -> dict:
    """Bulk-load the traces into MLflow's PostgreSQL tables (COPY), then time the summary on a replica."""
    replica = setup.replica(experiment="cluster-bench-million")
    try:
        experiment_id = setup.client.store.get_experiment_by_name("cluster-bench-million").experiment_id
        started = time.perf_counter()
        loaded = subprocess.run(
            [
                mlflow_python, str(REPO / "bench/feedback_data.py"), "--copy",
                f"--db={setup.mlflow.backend_store_uri}", f"--experiment-id={experiment_id}",
                f"--traces={traces}", f"--end-ms={int(time.time() * 1000)}", "--days=0.5",
            ],
            capture_output=True, text=True,
        )  # fmt: skip
        if loaded.returncode:
            raise RuntimeError(f"loading {traces} traces failed:\n{loaded.stderr[-3000:]}")
        load_seconds = time.perf_counter() - started
        print(f"  {traces} traces loaded with COPY in {load_seconds:.0f} s: {loaded.stdout}", flush=True)
        with grpc.insecure_channel(replica.address) as channel:
            stub = analytics_pb2_grpc.FeedbackAnalyticsServiceStub(channel)
            mlflow_pgid = setup.mlflow._process.pid  # its own session: the group is MLflow and its workers
            default, _, answer = timed_summary(stub, analytics_pb2.GetFeedbackSummaryRequest(), mlflow_pgid, repeats=3)
            if answer.total.trace_count != traces:
                raise RuntimeError(f"the summary counted {answer.total.trace_count} traces, not {traces}")
            print(f"  default: {default:.2f} s (median of 3)", flush=True)
            request = analytics_pb2.GetFeedbackSummaryRequest(count_traces_with_feedback=True)
            rate, _, answer = timed_summary(stub, request, mlflow_pgid, repeats=3)
        return {
            "load_s": load_seconds,
            "default_s": default,
            "with_rate_s": rate,
            "rate": answer.total.feedback_rate,
            "read": answer.counting.trace_infos_read,
        }
    finally:
        replica.stop()


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer calls, two kills, a 5 s lease")
    parser.add_argument("--chats", type=int, default=1000, help="chats per setup and concurrency (default 1000)")
    parser.add_argument("--feedbacks", type=int, default=1000, help="feedbacks per setup and concurrency")
    parser.add_argument("--kills", type=int, default=5, help="replicas killed under load, one at a time (default 5)")
    parser.add_argument("--lease-seconds", type=float, default=30.0, help="the shared journal's lease (default 30)")
    parser.add_argument("--acks", type=int, default=3000, help="SubmitFeedback calls per journal in c")
    parser.add_argument("--million", action="store_true", help="also d: the summary over 1,000,000 traces (~5 min)")
    parser.add_argument("--million-traces", type=int, default=1_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--poll-ms", type=float, default=50.0, help="pause between MLflow polls for chats' traces")
    parser.add_argument(
        "--mlflow-command",
        default=os.environ.get("FEEDBACK_SERVICE_EMBEDDED_MLFLOW_COMMAND") or str(REPO / ".venv-mlflow/bin/mlflow"),
    )
    args = parser.parse_args()
    if args.quick:
        args.chats, args.feedbacks, args.kills, args.lease_seconds, args.acks = 200, 200, 2, 5.0, 500
    print("machine:", machine_info(args.mlflow_command), flush=True)
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        work = Path(tmp)
        print("\n== embedded default: MLflow on SQLite (1 worker), one replica with its SQLite journal", flush=True)
        embedded = Setup("embedded", work / "embedded", args.mlflow_command, None, args.lease_seconds)
        try:
            embedded.start(1)
            embedded_figures = throughput(embedded, args)
        finally:
            embedded.stop()

        print("\n== PostgreSQL: MLflow (2 workers) and a shared journal, three replicas", flush=True)
        postgres = EmbeddedPostgres(binaries_beside(args.mlflow_command))
        postgres.start()
        cluster = Setup("postgres", work / "postgres", args.mlflow_command, postgres, args.lease_seconds)
        try:
            cluster.start(3)
            postgres_figures = throughput(cluster, args)
            rng = random.Random(16)
            kills = []
            for run in range(args.kills):
                kills.append(kill_run(cluster, run, rng, callers=8, load_seconds=(2.0, 6.0)))
                print(f"  kill {run + 1}: {kills[-1]}", flush=True)
            cluster.stop_replicas()  # c measures one replica at a time, alone
            acks = acknowledgement(cluster, args.acks)
            mlflow_python = str(Path(args.mlflow_command).parent / "python")
            summary = million(cluster, args.million_traces, mlflow_python) if args.million else None
        finally:
            cluster.stop()
            postgres.stop()

    print_throughput(embedded_figures, postgres_figures)
    print_kills(kills, args.lease_seconds)
    print_acknowledgement(acks, args.acks)
    if summary:
        print(f"\n# (d) GetFeedbackSummary over {args.million_traces:,} traces on PostgreSQL (bulk-loaded with COPY)")
        print(f"loaded in {summary['load_s']:.0f} s; default (counted by MLflow) {summary['default_s']:.2f} s;")
        print(
            f"with the feedback rate ({summary['rate']:.3f}, {summary['read']:,} trace infos read)"
            f" {summary['with_rate_s']:.1f} s"
        )
    print(f"\nload average at the end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
