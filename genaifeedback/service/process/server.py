"""The process: wire the parts together, serve gRPC with health and reflection, shut down cleanly."""

import asyncio
import logging
import signal
from collections.abc import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from mlflow.utils.credentials import get_default_host_creds

from genaifeedback.service.domain import rate_limits, schema_file, schemas
from genaifeedback.service.domain.analytics import FeedbackAnalytics
from genaifeedback.service.domain.chat import ChatRunner
from genaifeedback.service.domain.curation import FeedbackCuration
from genaifeedback.service.domain.feedback.engine import FeedbackEngine
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.submission import FeedbackSubmission
from genaifeedback.service.egress.exporter import ExportSettings, TraceExporter
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.otlp import encode_span
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.generator_setup import build_generator
from genaifeedback.service.process.journals import open_journal
from genaifeedback.service.process.leases import LeaseKeeper
from genaifeedback.service.process.listeners import (
    add_service_port,
    server_options,
    start_health_only,
)
from genaifeedback.service.process.token_setup import build_feedback_tokens
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace
from genaifeedback.service.transport.auth import access as caller_access
from genaifeedback.service.transport.auth.scopes import check_declared
from genaifeedback.service.transport.calls import Admission, TolerantServer
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
SERVICES = {
    ChatServicer: chat_pb2.DESCRIPTOR.services_by_name["ChatService"],
    FeedbackServicer: feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"],
    FeedbackAnalyticsServicer: analytics_pb2.DESCRIPTOR.services_by_name["FeedbackAnalyticsService"],
}
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
        self.tokens = build_feedback_tokens(settings, self.schemas)  # so does a bad keys file
        # Every RPC declares its scope, or nothing is served: a new RPC cannot slip in unguarded.
        self.scopes = check_declared(list(SERVICES.items()))
        self.metrics = Metrics()
        self.access = caller_access.build(settings, self.metrics)  # an unsafe identity setting stops it too
        logger.info(caller_access.describe(self.access))
        policy = self.access.policy
        self.rate_limits = rate_limits.build(settings, policy.limit_of if policy.has_limits else None, self.metrics)
        self.journal, self._data_lock = open_journal(settings)
        traces, units = await self.journal.open()
        self.gateway = MlflowGateway(
            # MLflow's own credential settings (token, basic, sigv4, auth plugin, TLS) for this URI.
            get_default_host_creds(settings.mlflow_tracking_uri),  # type: ignore[no-untyped-call]  # mlflow is untyped
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
        self.runner = ChatRunner(
            generator, encode_span, self.exporter, self.inflight, self.metrics, *limits, tokens=self.tokens
        )
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

        # Several workers listen on one port: the kernel spreads the connections over them. One worker
        # turns gRPC's default SO_REUSEPORT off, so a second instance on a served address fails to bind.
        options = [*_SERVER_OPTIONS, ("grpc.so_reuseport", 1 if settings.workers > 1 else 0)]
        options += server_options(settings)  # message sizes, streams per connection, connection-age grace
        self.server = grpc.aio.server(options=options)
        services = TolerantServer(self.server, settings.max_receive_message_bytes)
        self.admission = Admission(self.access, self.rate_limits)
        chat_pb2_grpc.add_ChatServiceServicer_to_server(
            ChatServicer(self.runner, self.metrics, self.admission), services
        )
        submission = FeedbackSubmission(self.feedback.intake, self.schemas, self.tokens, self.rate_limits)
        curation = FeedbackCuration(self.gateway, self.feedback.intake, self.feedback.attacher, submission)
        feedback_pb2_grpc.add_FeedbackServiceServicer_to_server(
            FeedbackServicer(submission, curation, self.schemas, self.metrics, self.admission), services
        )
        self.analytics = FeedbackAnalytics(self.gateway, self.schemas, settings.watch_poll_seconds)
        analytics_pb2_grpc.add_FeedbackAnalyticsServiceServicer_to_server(
            FeedbackAnalyticsServicer(self.analytics, self.metrics, self.admission), services
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, services)  # open to every caller
        if settings.reflection:
            enable_reflection((*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), services)
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


async def serve(settings: Settings, on_started: Callable[[FeedbackApp], None] = lambda app: None) -> None:
    app = FeedbackApp(settings)
    await app.start()
    on_started(app)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: draining streams, storing traces")
    await app.stop()
