"""`feedback-service`: read the settings, check the files, start the embedded stores if asked, then
serve (one process, or --workers processes on one port); stop what was started, in order."""

import asyncio
import functools
import sys

from genaifeedback.service.domain import schema_file
from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.domain.token_keys import TokenKeysError
from genaifeedback.service.process import logs
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.embedded_mlflow import EmbeddedMlflowServer
from genaifeedback.service.process.embedded_postgres import EmbeddedPostgres, binaries_beside
from genaifeedback.service.process.listeners import check_tls_files, grpcurl_hint
from genaifeedback.service.process.server import FeedbackApp, serve
from genaifeedback.service.process.tls import TlsFileError
from genaifeedback.service.process.token_setup import check_token_settings
from genaifeedback.service.process.workers import run_workers
from genaifeedback.service.storage.journal import JournalError
from genaifeedback.service.transport.auth import access as caller_access
from genaifeedback.service.transport.convert.feedback import FEEDBACK_NAME_PATTERN


def main(argv: list[str] | None = None) -> None:
    settings = Settings.from_command_line(argv)
    logs.configure(settings.log_level, settings.log_format)
    try:
        schema_file.load(settings.feedback_schemas_file, FEEDBACK_NAME_PATTERN)  # before starting anything
    except schema_file.SchemaFileError as error:
        raise SystemExit(f"feedback-service: {error}") from None
    try:
        check_tls_files(settings)  # a bad certificate or key stops the start with its reason, not a traceback
        check_token_settings(settings)  # so do unusable feedback token keys
        caller_access.build(settings)  # so does an unsafe identity mode, a bad JWKS or policy file
    except (TlsFileError, TokenKeysError, caller_access.AccessConfigError) as error:
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
            status = run_workers(settings, functools.partial(print_banner, settings))
        else:
            asyncio.run(serve(settings, functools.partial(print_banner, settings)))
    except MlflowUnavailable as error:  # MLflow never answered within --mlflow-startup-timeout-seconds
        raise SystemExit(f"feedback-service: cannot use MLflow at {settings.mlflow_tracking_uri}: {error}") from None
    except JournalError as error:  # unreachable, or a schema from a newer version: one line, no traceback
        raise SystemExit(f"feedback-service: {error}") from None
    finally:
        if embedded:
            embedded.stop()
            logs.say("MLflow tracking server stopped")
        if postgres:
            postgres.stop()
            logs.say("PostgreSQL stopped (its data deleted)")
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
        logs.say("starting PostgreSQL (throwaway: its data is deleted on exit) ...")
        postgres.start()
        store = postgres.create_database("mlflow")
    embedded = EmbeddedMlflowServer.at(
        settings.mlflow_tracking_uri,
        settings.embedded_mlflow_command,
        settings.embedded_mlflow_data_dir,
        backend_store_uri=store,
        workers=settings.embedded_mlflow_workers,
    )
    logs.say(
        f"starting MLflow tracking server at {embedded.url} ({embedded.workers} worker(s), store {embedded.store}) ..."
    )
    try:
        embedded.start()
    except BaseException:  # a failure or a Ctrl-C while waiting: leave nothing running
        embedded.stop()
        if postgres:
            postgres.stop()
        raise
    return postgres, embedded


def print_banner(settings: Settings, app: FeedbackApp) -> None:
    host = settings.listen_address.rsplit(":", 1)[0]
    logs.say(f"gRPC service    {host}:{app.port}   (try: {grpcurl_hint(settings, host, app.port)})")
    if app.health_port:
        logs.say(f"health only     {settings.health_address.rpartition(':')[0]}:{app.health_port}   (plaintext)")
    logs.say(f"MLflow tracking {settings.mlflow_tracking_uri}")
    logs.say(f"MLflow UI       {settings.mlflow_tracking_uri}/#/experiments/{app.gateway.experiment_id}/traces")
    if app.metrics_port:
        logs.say(f"metrics         http://{settings.metrics_address.rpartition(':')[0]}:{app.metrics_port}/metrics")
    logs.say("Ctrl-C stops")
