"""Where and how the service listens: the service port (plaintext, TLS or mutual TLS), the
plaintext health-only port for the kubelet's probe, and the transport limits."""

import errno
import logging
import socket

import grpc
from grpc_health.v1 import health, health_pb2_grpc

from genaifeedback.service.metrics import Metrics
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.tls import CertificateFiles
from genaifeedback.service.transport.calls import TolerantServer

logger = logging.getLogger(__name__)

# A connection past its maximum age gets GOAWAY and no new calls; its open calls may run on for the
# grace. A chat may run max_chat_seconds, so the grace covers that, plus time for the last tokens,
# the trace's hand-off and the trailers.
CONNECTION_AGE_GRACE_MARGIN_SECONDS = 30.0


def connection_age_grace_ms(settings: Settings) -> int:
    return round((settings.max_chat_seconds + CONNECTION_AGE_GRACE_MARGIN_SECONDS) * 1000)


def transport_receive_limit(max_receive_message_bytes: int) -> int:
    """gRPC's own limit: a quarter above the contract's. A request between the two reaches the call
    scope (TolerantServer), which refuses it with ErrorInfo (REQUEST_TOO_LARGE); gRPC refuses a
    bigger one itself before any handler, with a bare RESOURCE_EXHAUSTED. The margin bounds what is
    read of a request that will be refused."""
    return max_receive_message_bytes + max_receive_message_bytes // 4


def server_options(settings: Settings) -> list[tuple[str, int]]:
    """The limits from the settings; gRPC refuses what exceeds them itself (RESOURCE_EXHAUSTED for a
    message far too big, see transport_receive_limit; a client queues streams beyond the
    per-connection cap until one ends)."""
    return [
        ("grpc.max_receive_message_length", transport_receive_limit(settings.max_receive_message_bytes)),
        ("grpc.max_send_message_length", settings.max_send_message_bytes),
        ("grpc.max_concurrent_streams", settings.max_concurrent_streams),
        ("grpc.max_connection_age_grace_ms", connection_age_grace_ms(settings)),
    ]


def check_tls_files(settings: Settings) -> None:
    """Raise TlsFileError (its message says which file and why) unless the TLS files can serve."""
    if settings.tls_cert_file is not None and settings.tls_key_file is not None:
        CertificateFiles(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)


def add_service_port(server: grpc.aio.Server, settings: Settings, metrics: Metrics) -> int:
    """Listen on --listen-address: TLS when a certificate is configured, plaintext otherwise; returns
    the port. An address that cannot be bound stops the process with the operating system's reason."""
    try:
        return _add_port(server, settings, metrics)
    except RuntimeError:  # grpc says only "Failed to bind"
        failure = bind_failure(settings.listen_address)
        raise SystemExit(f"feedback-service: cannot listen on {settings.listen_address}: {failure}") from None


def _add_port(server: grpc.aio.Server, settings: Settings, metrics: Metrics) -> int:
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return server.add_insecure_port(settings.listen_address)
    files = CertificateFiles(settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file)
    metrics.watch(metrics.tls_certificate_expiry.labels(file=str(files.cert_file)), files.seconds_to_expiry)
    logger.info(
        "TLS on %s as %s; client certificates %s",
        settings.listen_address,
        files.subject,
        f"required (CA {files.client_ca_file})" if files.client_certificates_required else "not requested",
    )
    return server.add_secure_port(settings.listen_address, files.server_credentials())


async def start_health_only(
    settings: Settings, servicer: health.aio.HealthServicer, options: list[tuple[str, int]]
) -> tuple[grpc.aio.Server, int]:
    """A plaintext server on --health-address that serves grpc.health.v1 only (no reflection, no
    application service), answering from the service's own health servicer; returns it and its port."""
    server = grpc.aio.server(options=options)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, TolerantServer(server, settings.max_receive_message_bytes))
    port = server.add_insecure_port(settings.health_address)
    await server.start()
    logger.info("health-only (plaintext) on %s", settings.health_address)
    return server, port


def grpcurl_hint(settings: Settings, host: str, port: int) -> str:
    """How to try the service port with grpcurl, plaintext or TLS as it listens (for the banner)."""
    if settings.tls_cert_file is None:
        return f"grpcurl -plaintext {host}:{port} list"
    client = " -cert CLIENT.crt -key CLIENT.key" if settings.tls_client_ca_file else ""
    return f"grpcurl -cacert SERVER-CA.crt{client} {host}:{port} list"


BINDABLE = "it can be bound now"


def bind_failure(listen_address: str) -> str:
    """Why the address cannot be bound, in the operating system's words (gRPC does not say); BINDABLE
    if a socket without SO_REUSEPORT can bind it (so no server listens there)."""
    host, _, port = listen_address.rpartition(":")
    try:
        family, kind, _, _, address = socket.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC: a restart's TIME_WAITs are fine
            probe.bind(address)
    except (OSError, ValueError) as error:
        if getattr(error, "errno", None) == errno.EADDRINUSE:
            return "the address is in use (is another feedback-service running there?)"
        return str(error)
    return BINDABLE
