"""The process: wire the parts together, serve gRPC with health and reflection, shut down cleanly."""

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import sys
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from genaifeedback.service.domain import schema_file, schemas
from genaifeedback.service.domain.analytics import FeedbackAnalytics
from genaifeedback.service.domain.chat import ChatRunner
from genaifeedback.service.domain.curation import FeedbackCuration
from genaifeedback.service.domain.feedback.engine import FeedbackEngine
from genaifeedback.service.domain.generators import build_generator
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.submission import FeedbackSubmission
from genaifeedback.service.egress.exporter import ExportSettings, TraceExporter
from genaifeedback.service.egress.mlflow_gateway import MlflowGateway
from genaifeedback.service.egress.otlp import encode_span
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside
from genaifeedback.service.process.journals import open_journal
from genaifeedback.service.process.leases import LeaseKeeper
from genaifeedback.service.process.listeners import (
    add_service_port,
    check_tls_files,
    grpcurl_hint,
    server_options,
    start_health_only,
)
from genaifeedback.service.process.tls import TlsFileError
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace, JournalError
from genaifeedback.service.transport.calls import Admission, TolerantParsing
from genaifeedback.service.transport.convert.feedback import FEEDBACK_NAME_PATTERN
from genaifeedback.service.transport.reflection import enable_reflection
from genaifeedback.service.transport.servicers import ChatServicer, FeedbackAnalyticsServicer, FeedbackServicer
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc

logger = logging.getLogger(__name__)

STRAGGLER_SECONDS = 0.5
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING

SERVICE_NAMES = (
    chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name,
    feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"].full_name,
    analytics_pb2.DESCRIPTOR.services_by_name["FeedbackAnalyticsService"].full_name,
)
_SERVER_OPTIONS = [
    # Meshes and load balancers drop idle connections; pings keep long streams alive.
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.max_connection_age_ms", 30 * 60_000),  # lets a mesh rebalance long-lived clients
]


class FeedbackApp:
    """The running service: journal, MLflow gateway, exporter, attacher, and the gRPC server in front."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.port = 0
        self.metrics_port = 0
        self.health_server: grpc.aio.Server | None = None
        self.health_port = 0

    async def start(self) -> None:
        settings = self.settings
        self.schemas = load_schemas(settings)  # a bad file stops the start before anything else
        self.metrics = Metrics()
        self.journal, self._data_lock = open_journal(settings)
        traces, units = await self.journal.open()
        self.gateway = MlflowGateway(
            settings.mlflow_tracking_uri,
            settings.experiment_name,
            settings.mlflow_request_timeout_seconds,
            settings.mlflow_max_concurrent_calls,
            settings.analytics_timeout_seconds,
        )
        experiment_id = await self.gateway.connect(settings.mlflow_startup_timeout_seconds)
        self.inflight = InflightTraces()
        self.exporter = TraceExporter(
            self.gateway,
            self.journal,
            self.inflight,
            ExportSettings(
                settings.trace_export_batch_size,
                settings.trace_export_batch_max_bytes,
                settings.trace_export_max_pending,
            ),
            self.metrics,
        )
        generator, limits = build_generator(settings), (settings.max_tokens_limit, settings.max_chat_seconds)
        self.runner = ChatRunner(generator, encode_span, self.exporter, self.inflight, self.metrics, *limits)
        self.feedback = FeedbackEngine(
            self.gateway,
            self.journal,
            self.inflight,
            self.metrics,
            settings.feedback_attach_window_seconds,
            settings.max_chat_seconds,
            settings.feedback_status_retention_hours * 3600,
            settings.max_wait_until_stored_seconds,
        )
        self.metrics.watch(self.metrics.journal_traces, lambda: self.journal.trace_count)
        self.metrics.watch(self.metrics.feedback_pending, lambda: self.journal.pending_feedback_count)
        # The alert's figure: the oldest trace or feedback MLflow has not confirmed (feedback whose
        # trace is not known, a mistyped client_request_id say, is waiting, not stuck: left out).
        self.metrics.watch(
            self.metrics.journal_oldest_age,
            lambda: max(self.journal.oldest_trace_age_seconds(), self.feedback.attacher.oldest_known_age_seconds()),
        )

        # Several workers listen on one port: the kernel spreads the connections over them.
        options = [*_SERVER_OPTIONS, *([("grpc.so_reuseport", 1)] if settings.workers > 1 else [])]
        options += server_options(settings)  # message sizes, streams per connection, connection-age grace
        self.server = grpc.aio.server(interceptors=[TolerantParsing()], options=options)
        self.admission = Admission()
        chat_pb2_grpc.add_ChatServiceServicer_to_server(
            ChatServicer(self.runner, self.metrics, self.admission), self.server
        )
        submission = FeedbackSubmission(self.feedback.intake, self.schemas)
        curation = FeedbackCuration(self.gateway, self.feedback.intake, self.feedback.attacher, submission)
        feedback_pb2_grpc.add_FeedbackServiceServicer_to_server(
            FeedbackServicer(submission, curation, self.schemas, self.metrics, self.admission), self.server
        )
        self.analytics = FeedbackAnalytics(self.gateway, self.schemas, settings.watch_poll_seconds)
        analytics_pb2_grpc.add_FeedbackAnalyticsServiceServicer_to_server(
            FeedbackAnalyticsServicer(self.analytics, self.metrics, self.admission), self.server
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        enable_reflection((*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), self.server)
        self.port = add_service_port(self.server, settings, self.metrics)
        self.exporter.on_health_change = self._health_changed
        self.journal.on_availability_change = self._health_changed
        self.exporter.start(traces)
        self.feedback.start(units)
        self.leases = LeaseKeeper(self.journal, self._claimed)
        self.leases.start()
        await self.server.start()
        await self._set_health(SERVING)
        if settings.health_address:
            self.health_server, self.health_port = await start_health_only(settings, self.health, options)
        if settings.metrics_address:
            self.metrics_port = self.metrics.serve(settings.metrics_address)
        logger.info(
            "serving on %s (MLflow %s, experiment %s)",
            settings.listen_address,
            settings.mlflow_tracking_uri,
            experiment_id,
        )

    async def _set_health(self, status: int) -> None:
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, status)

    def _health_changed(self, _: bool) -> None:
        # A crashed exporter stores nothing, and a journal out of reach acknowledges nothing: load
        # balancers should send calls elsewhere until both work.
        healthy = self.exporter.healthy and self.journal.available
        asyncio.get_running_loop().create_task(self._set_health(SERVING if healthy else NOT_SERVING))

    def _claimed(self, traces: list[JournaledTrace], units: list[FeedbackUnit]) -> None:
        self.exporter.adopt(traces)
        for unit in units:
            self.feedback.attacher.add(unit)

    async def stop(self) -> None:
        """NOT_SERVING first (load balancers stop sending), then let open calls finish within the
        grace period (a stream still open then is cut, and labelled so), then deliver what is
        journaled for as long as MLflow lets us; what is left stays journaled for the next start."""
        settings = self.settings
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(settings.shutdown_pause_seconds)  # still serving, while balancers notice
        cut = asyncio.get_running_loop().call_later(settings.shutdown_grace_seconds, self._cutting)
        await self.admission.close(settings.shutdown_grace_seconds)
        # gRPC's own stop answers calls that arrive meanwhile CANCELLED, which clients do not retry:
        # stragglers get our UNAVAILABLE (retry elsewhere) for a moment longer first.
        await asyncio.sleep(STRAGGLER_SECONDS)
        await self.server.stop(settings.shutdown_grace_seconds)
        if self.health_server:
            await self.health_server.stop(0)
        cut.cancel()
        await self.runner.drain(timeout_seconds=5)
        flush = settings.shutdown_grace_seconds + settings.mlflow_request_timeout_seconds
        await self.exporter.close(timeout_seconds=flush)
        await self.feedback.close(timeout_seconds=flush)
        await self.leases.close()
        await self.gateway.close()
        await self.journal.close()
        if self._data_lock:
            self._data_lock.close()

    def _cutting(self) -> None:
        self.runner.shutting_down = True


def load_schemas(settings: Settings) -> schemas.Schemas:
    """The feedback schemas in force; raises SchemaFileError (its message says what is wrong)."""
    loaded = schema_file.load(settings.feedback_schemas_file, FEEDBACK_NAME_PATTERN)
    if settings.feedback_schemas_file:
        names = ", ".join(s.name for s in loaded.listed() if not s.built_in)
        logger.info(
            "feedback schemas from %s: %s", settings.feedback_schemas_file, names or "none besides the built-ins"
        )
    return loaded


async def serve(settings: Settings, banner: bool = True) -> None:
    app = FeedbackApp(settings)
    await app.start()
    if banner:
        print_banner(settings, app)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: draining streams, storing traces")
    await app.stop()


def print_banner(settings: Settings, app: FeedbackApp) -> None:
    host = settings.listen_address.rsplit(":", 1)[0]
    print(f"gRPC service    {host}:{app.port}   (try: {grpcurl_hint(settings, host, app.port)})", flush=True)
    if app.health_port:
        print(
            f"health only     {settings.health_address.rpartition(':')[0]}:{app.health_port}   (plaintext)", flush=True
        )
    print(f"MLflow tracking {settings.mlflow_tracking_uri}", flush=True)
    print(
        f"MLflow UI       {settings.mlflow_tracking_uri}/#/experiments/{app.gateway.experiment_id}/traces", flush=True
    )
    if app.metrics_port:
        print(
            f"metrics         http://{settings.metrics_address.rpartition(':')[0]}:{app.metrics_port}/metrics",
            flush=True,
        )
    print("Ctrl-C stops", flush=True)


def worker_settings(settings: Settings, index: int, port: int) -> Settings:
    """Worker `index`'s settings: the shared port, its own data folder (worker 0 keeps --data-dir,
    so a replica's journal stays where it was) and its own metrics port."""
    host = settings.listen_address.rsplit(":", 1)[0]
    metrics = settings.metrics_address
    if metrics:
        metrics_host, _, metrics_port = metrics.rpartition(":")
        metrics = f"{metrics_host}:{int(metrics_port) + index if int(metrics_port) else 0}"
    return settings.model_copy(
        update={
            "listen_address": f"{host}:{port}",
            "data_dir": settings.data_dir if index == 0 else settings.data_dir / f"worker-{index}",
            "metrics_address": metrics,
            "embedded_mlflow": False,
        }
    )


def _run_worker(settings: Settings, index: int) -> None:
    logging.basicConfig(
        level=settings.log_level, format=f"%(asctime)s %(levelname)s worker-{index} %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C before the worker's own handlers were in place
        try:
            asyncio.run(serve(settings, banner=index == 0))
        except JournalError as error:
            raise SystemExit(f"feedback-service: {error}") from None


def reserve_port(listen_address: str) -> tuple[socket.socket | None, int]:
    """The port the workers share; for port 0, a free one, held (bound, never listening) meanwhile."""
    host, _, port = listen_address.rpartition(":")
    if int(port):
        return None, int(port)
    family, kind, _, _, address = socket.getaddrinfo(host.strip("[]"), 0, type=socket.SOCK_STREAM)[0]
    holder = socket.socket(family, kind)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind(address)
    return holder, int(holder.getsockname()[1])


def run_workers(settings: Settings) -> int:
    """Start `settings.workers` server processes on one port; SIGTERM/SIGINT stop them all (each
    drains and stores its traces). If one exits on its own, the others are stopped too, and the
    exit status says so: the orchestrator restarts the replica as a whole."""
    holder, port = reserve_port(settings.listen_address)
    # spawn, not fork: a worker must not inherit another process's gRPC or event-loop state.
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_run_worker, args=(worker_settings(settings, index, port), index), name=f"worker-{index}"
        )
        for index in range(settings.workers)
    ]
    stopping = False

    def stop_all(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: the worker's own graceful stop

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop_all)
    try:
        for worker in workers:
            worker.start()
        logger.info("%d workers on port %d: pids %s", len(workers), port, [w.pid for w in workers])
        first = multiprocessing.connection.wait([w.sentinel for w in workers])
        if not stopping:
            ended = next(w for w in workers if w.sentinel in first)
            logger.error("%s exited with %s: stopping the other workers", ended.name, ended.exitcode)
            stop_all()
        for worker in workers:
            worker.join()
    finally:
        if holder is not None:
            holder.close()
    failed = [w for w in workers if w.exitcode not in (0, -signal.SIGTERM)]
    return 0 if stopping and not failed else 1


def main(argv: list[str] | None = None) -> None:
    settings = Settings.from_command_line(argv)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per trace batch is noise
    try:
        schema_file.load(settings.feedback_schemas_file, FEEDBACK_NAME_PATTERN)  # before starting anything
    except schema_file.SchemaFileError as error:
        raise SystemExit(f"feedback-service: {error}") from None
    try:
        check_tls_files(settings)  # a bad certificate or key stops the start with its reason, not a traceback
    except TlsFileError as error:
        raise SystemExit(f"feedback-service: {error}") from None
    postgres, embedded = None, None
    if settings.embedded_mlflow:
        try:
            postgres, embedded = start_embedded(settings)
        except (RuntimeError, OSError) as error:  # a store or server that cannot start: one line, no traceback
            raise SystemExit(f"feedback-service: {error}") from None
    status = 0
    try:
        if settings.workers > 1:
            status = run_workers(settings)
        else:
            asyncio.run(serve(settings))
    except JournalError as error:  # unreachable, or a schema from a newer version: one line, no traceback
        raise SystemExit(f"feedback-service: {error}") from None
    finally:
        if embedded:
            embedded.stop()
            print("MLflow tracking server stopped", flush=True)
        if postgres:
            postgres.stop()
            print("PostgreSQL stopped (its data deleted)", flush=True)
    if status:
        sys.exit(status)


def start_embedded(settings: Settings) -> tuple[EmbeddedPostgres | None, EmbeddedMlflowServer]:
    """The embedded MLflow server, on a throwaway PostgreSQL if asked; what is started is stopped if
    the rest fails. Raises RuntimeError (one line) when either cannot start."""
    postgres, store = None, settings.embedded_mlflow_backend_store_uri
    if settings.embedded_postgres:
        postgres = EmbeddedPostgres(
            binaries_beside(settings.embedded_mlflow_command),
            log_path=settings.embedded_mlflow_data_dir.resolve() / "postgres.log",
        )
        print("starting PostgreSQL (throwaway: its data is deleted on exit) ...", flush=True)
        postgres.start()
        store = postgres.create_database("mlflow")
    embedded = EmbeddedMlflowServer.at(
        settings.mlflow_tracking_uri,
        settings.embedded_mlflow_command,
        settings.embedded_mlflow_data_dir,
        backend_store_uri=store,
        workers=settings.embedded_mlflow_workers,
    )
    print(
        f"starting MLflow tracking server at {embedded.url} ({embedded.workers} worker(s), store {embedded.store}) ...",
        flush=True,
    )
    try:
        embedded.start()
    except BaseException:  # a failure or a Ctrl-C while waiting: leave nothing running
        embedded.stop()
        if postgres:
            postgres.stop()
        raise
    return postgres, embedded


if __name__ == "__main__":
    main()
