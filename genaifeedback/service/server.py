"""The process: wire the parts together, serve gRPC with health and reflection, shut down cleanly."""

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc
from genaifeedback.service.chat import ChatRunner
from genaifeedback.service.config import Settings
from genaifeedback.service.embedded_mlflow import EmbeddedMlflowServer
from genaifeedback.service.feedback import FeedbackRecorder
from genaifeedback.service.generators import build_generator
from genaifeedback.service.mlflow_store import MlflowStore
from genaifeedback.service.reflection import enable_reflection
from genaifeedback.service.servicers import ChatServicer, FeedbackServicer, TolerantParsing

logger = logging.getLogger(__name__)

SERVICE_NAMES = (
    chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name,
    feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"].full_name,
)
_SERVER_OPTIONS = [
    # Meshes and load balancers drop idle connections; pings keep long streams alive.
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.max_connection_age_ms", 30 * 60_000),  # lets a mesh rebalance long-lived clients
    ("grpc.max_connection_age_grace_ms", 60_000),
]


class FeedbackApp:
    """The running service: MLflow store, trace exporter, and the gRPC server in front."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.port = 0

    async def start(self) -> None:
        settings = self.settings
        self.store = MlflowStore(
            settings.mlflow_tracking_uri,
            settings.experiment_name,
            settings.mlflow_request_timeout_seconds,
            settings.mlflow_max_concurrent_calls,
        )
        experiment_id = await self.store.connect(settings.mlflow_startup_timeout_seconds)
        self.exporter = self.store.trace_exporter(settings.trace_export_batch_size, settings.trace_export_max_pending)
        self.exporter.start()
        runner = ChatRunner(
            build_generator(settings), self.exporter, settings.max_tokens_limit, settings.max_chat_seconds
        )
        recorder = FeedbackRecorder(
            self.store, self.exporter, settings.trace_arrival_timeout_seconds, settings.max_chat_seconds
        )

        self.server = grpc.aio.server(interceptors=[TolerantParsing()], options=_SERVER_OPTIONS)
        chat_pb2_grpc.add_ChatServiceServicer_to_server(ChatServicer(runner), self.server)
        feedback_pb2_grpc.add_FeedbackServiceServicer_to_server(FeedbackServicer(recorder), self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        enable_reflection((*SERVICE_NAMES, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), self.server)
        self.port = self.server.add_insecure_port(settings.listen_address)
        await self.server.start()
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info("serving on %s (MLflow %s, experiment %s)", settings.listen_address, settings.mlflow_tracking_uri, experiment_id)

    async def stop(self) -> None:
        """Refuse new calls, let open ones finish within the grace period, then store every trace."""
        grace = self.settings.shutdown_grace_seconds
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        await self.exporter.close(timeout_seconds=grace + self.settings.mlflow_request_timeout_seconds)
        await self.store.close()


async def serve(settings: Settings) -> None:
    app = FeedbackApp(settings)
    await app.start()
    host = settings.listen_address.rsplit(":", 1)[0]
    print(f"gRPC service    {host}:{app.port}   (try: grpcurl -plaintext {host}:{app.port} list)", flush=True)
    print(f"MLflow tracking {settings.mlflow_tracking_uri}", flush=True)
    print(f"MLflow UI       {settings.mlflow_tracking_uri}/#/experiments/{app.store.experiment_id}/traces", flush=True)
    print("Ctrl-C stops", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    logger.info("shutting down: draining streams, storing traces")
    await app.stop()


def main(argv: list[str] | None = None) -> None:
    settings = Settings.from_command_line(argv)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per trace batch is noise
    embedded = None
    if settings.embedded_mlflow:
        embedded = EmbeddedMlflowServer.at(
            settings.mlflow_tracking_uri, settings.embedded_mlflow_command, settings.embedded_mlflow_data_dir
        )
        print(f"starting MLflow tracking server at {embedded.url} (data in {embedded.data_dir}) ...", flush=True)
        embedded.start()
    try:
        asyncio.run(serve(settings))
    finally:
        if embedded:
            embedded.stop()
            print("MLflow tracking server stopped", flush=True)


if __name__ == "__main__":
    main()
