"""Transport security: TLS and mutual TLS from files (reloaded for new connections), the plaintext
health-only address, and the transport limits. Real services on 127.0.0.1, real TLS, certificates
made here with `cryptography`."""

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pydantic
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import scripted_generators
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.listeners import connection_age_grace_ms, server_options, transport_receive_limit
from genaifeedback.service.process.server import NOT_SERVING, SERVICE_NAMES, SERVING
from genaifeedback.service.process.tls import CertificateFiles, TlsFileError
from genaifeedback.v1 import (
    analytics_pb2,
    analytics_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    feedback_pb2,
    feedback_pb2_grpc,
)
from processes import ServiceProcess, free_port
from support import assessments, details, error_reason, new_trace

# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class Pem:
    cert: bytes
    key: bytes
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> Pem:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(key, hashes.SHA256())
    )
    return _pem(cert, key)


def issue(ca: Pem, common_name: str, *, server: bool, days: int = 30) -> Pem:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = (
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        if server
        else [x509.UniformResourceIdentifier(f"spiffe://tests/{common_name}")]
    )
    usage = x509.ExtendedKeyUsageOID.SERVER_AUTH if server else x509.ExtendedKeyUsageOID.CLIENT_AUTH
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .sign(ca.private_key, hashes.SHA256())
    )
    return _pem(cert, key)


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Pem:
    return Pem(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        cert,
        key,
    )


def replace_file(path: Path, content: bytes) -> None:
    """As a secret volume or cert-manager does: the new file appears whole, by rename."""
    staged = path.with_name(path.name + ".new")
    staged.write_bytes(content)
    os.replace(staged, path)


@dataclass(frozen=True)
class Pki:
    server_ca: Pem
    server: Pem
    client_ca: Pem
    client: Pem
    stranger: Pem  # a client certificate from a CA the service does not trust
    next_server_ca: Pem  # the rotation: a new CA and a server certificate it signed
    next_server: Pem


@pytest.fixture(scope="module")
def pki() -> Pki:
    server_ca, client_ca, next_server_ca = make_ca("server CA"), make_ca("client CA"), make_ca("next server CA")
    return Pki(
        server_ca,
        issue(server_ca, "feedback-service", server=True, days=30),
        client_ca,
        issue(client_ca, "good-client", server=False),
        issue(make_ca("stranger CA"), "stranger", server=False),
        next_server_ca,
        issue(next_server_ca, "feedback-service-rotated", server=True, days=90),
    )


def tls_files(folder: Path, pki: Pki) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "tls_cert_file": folder / "tls.crt",
        "tls_key_file": folder / "tls.key",
        "tls_client_ca_file": folder / "ca.crt",
    }
    files["tls_cert_file"].write_bytes(pki.server.cert)
    files["tls_key_file"].write_bytes(pki.server.key)
    files["tls_client_ca_file"].write_bytes(pki.client_ca.cert)
    return files


# --------------------------------------------------------------------------- clients

# Each channel its own connection: a reused subchannel would hide whether a new handshake happened.
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1), ("grpc.enable_http_proxy", 0)]


def tls_channel(target: str, trusted: Pem, client: Pem | None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=trusted.cert,
        private_key=client.key if client else None,
        certificate_chain=client.cert if client else None,
    )
    return grpc.secure_channel(target, credentials, options=OWN_CONNECTION)


def list_schemas(channel: grpc.Channel) -> feedback_pb2.ListFeedbackSchemasResponse:
    return feedback_pb2_grpc.FeedbackServiceStub(channel).ListFeedbackSchemas(
        feedback_pb2.ListFeedbackSchemasRequest(), timeout=10
    )


def handler_calls(service) -> float:
    """Every application handler counts its call in genaifeedback_rpcs, whatever its outcome."""
    return sum(
        sample.value
        for metric in service.app.metrics.registry.collect()
        if metric.name == "genaifeedback_rpcs"
        for sample in metric.samples
        if sample.name == "genaifeedback_rpcs_total"
    )


def expiry_gauge(service) -> float | None:
    return service.app.metrics.registry.get_sample_value(
        "genaifeedback_tls_certificate_expiry_seconds", {"file": str(service.settings.tls_cert_file)}
    )


@pytest.fixture(scope="module")
def client_bundle(pki, tmp_path_factory) -> Path:
    """The good client's certificate and key in one file, as Python's ssl module loads them."""
    bundle = tmp_path_factory.mktemp("client") / "client.pem"
    bundle.write_bytes(pki.client.cert + pki.client.key)
    return bundle


def presented_certificate(port: int, client_bundle: Path) -> x509.Certificate:
    """The certificate a brand-new connection is shown, read from a plain TLS handshake (gRPC's
    Python API does not expose it). The handshake presents the good client certificate, as mTLS requires."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we read the certificate, whichever CA signed it
    context.set_alpn_protocols(["h2"])
    context.load_cert_chain(client_bundle)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


# --------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def mtls_service(start_service, pki, tmp_path_factory):
    return start_service(**tls_files(tmp_path_factory.mktemp("mtls"), pki), health_address="127.0.0.1:0")


def test_without_a_trusted_client_certificate_no_call_reaches_a_handler(mtls_service, pki):
    target = mtls_service.target
    before = handler_calls(mtls_service)
    refused = {
        "plaintext": grpc.insecure_channel(target, options=OWN_CONNECTION),
        "TLS without a client certificate": tls_channel(target, pki.server_ca, None),
        "a client certificate from another CA": tls_channel(target, pki.server_ca, pki.stranger),
        # The service's own certificate is no client certificate: its CA is not the client CA.
        "the server's certificate as a client": tls_channel(target, pki.server_ca, pki.server),
    }
    for label, channel in refused.items():
        with channel:
            with pytest.raises(grpc.RpcError) as unary:
                list_schemas(channel)
            assert unary.value.code() == grpc.StatusCode.UNAVAILABLE, label
            with pytest.raises(grpc.RpcError) as streaming:
                list(chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message="hi"), timeout=10))
            assert streaming.value.code() == grpc.StatusCode.UNAVAILABLE, label
    assert handler_calls(mtls_service) == before  # not one handler ran
    # The same call with the trusted client certificate gets through, and is counted: the count can move.
    with tls_channel(target, pki.server_ca, pki.client) as channel:
        assert list_schemas(channel).schemas
    assert handler_calls(mtls_service) == before + 1


def test_a_client_must_also_trust_the_service(mtls_service, pki):
    # A client that trusts another CA refuses the service's certificate: nothing is sent.
    with tls_channel(mtls_service.target, pki.next_server_ca, pki.client) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            list_schemas(channel)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_health_only_address_answers_plaintext_and_serves_nothing_else(mtls_service, pki):
    service = mtls_service
    assert service.app.health_port and service.app.health_port != service.app.port
    with grpc.insecure_channel(f"127.0.0.1:{service.app.health_port}", options=OWN_CONNECTION) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", *SERVICE_NAMES):
            assert health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10).status == SERVING
        # One health state: what the service sets is what the probe sees (the exporter's watchdog does this).
        service._run(service.app.health.set(SERVICE_NAMES[0], NOT_SERVING))
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAMES[0]), timeout=10)
            assert reply.status == NOT_SERVING
        finally:
            service._run(service.app.health.set(SERVICE_NAMES[0], SERVING))
        application_calls = [
            lambda: list_schemas(channel),
            lambda: list(chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message="hi"), timeout=10)),
            lambda: analytics_pb2_grpc.FeedbackAnalyticsServiceStub(channel).GetFeedbackSummary(
                analytics_pb2.GetFeedbackSummaryRequest(), timeout=10
            ),
            lambda: list(
                reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                    iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
                )
            ),
        ]
        for call in application_calls:
            with pytest.raises(grpc.RpcError) as refused:
                call()
            assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    # The service port itself speaks TLS only: the same plaintext health check gets nothing there.
    with grpc.insecure_channel(service.target, options=OWN_CONNECTION) as channel:
        with pytest.raises(grpc.RpcError) as plaintext:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE


def test_replaced_files_serve_new_connections_while_an_open_chat_finishes(start_service, pki, client_bundle, tmp_path):
    files = tls_files(tmp_path / "tls", pki)
    service = start_service(**files, generator="callable", callable="scripted_generators:gated")
    port = service.app.port
    assert presented_certificate(port, client_bundle) == pki.server.certificate
    expiry_before = expiry_gauge(service)
    assert expiry_before == pytest.approx(pki.server.certificate.not_valid_after_utc.timestamp() - time.time(), abs=60)

    scripted_generators.gate.clear()
    old_connection = tls_channel(service.target, pki.server_ca, pki.client)
    try:
        chat = chat_pb2_grpc.ChatServiceStub(old_connection).Chat(chat_pb2.ChatRequest(message="hi"), timeout=60)
        first = [next(chat) for _ in range(2)]  # started, then the first chunk: the chat is open, held by the gate
        assert first[1].token.text == "first chunk"

        # Half a rotation (the certificate replaced, its key not yet) is refused: the old pair stays.
        replace_file(files["tls_cert_file"], pki.next_server.cert)
        assert presented_certificate(port, client_bundle) == pki.server.certificate
        replace_file(files["tls_key_file"], pki.next_server.key)
        assert presented_certificate(port, client_bundle) == pki.next_server.certificate
        # gRPC sees it too: a client that trusts only the new CA gets through, one that trusts only the old does not.
        with tls_channel(service.target, pki.next_server_ca, pki.client) as channel:
            assert list_schemas(channel).schemas
        with tls_channel(service.target, pki.server_ca, pki.client) as channel:
            with pytest.raises(grpc.RpcError) as stale:
                list_schemas(channel)
            assert stale.value.code() == grpc.StatusCode.UNAVAILABLE
        # The metric follows: the new certificate's expiry (90 days, not 30).
        assert expiry_gauge(service) == pytest.approx(
            pki.next_server.certificate.not_valid_after_utc.timestamp() - time.time(), abs=60
        )

        scripted_generators.gate.set()
        rest = list(chat)  # on the connection made with the old certificate
        assert rest[0].token.text == ", then the rest"
        assert rest[-1].finished.trace_id
        # That chat, and the same channel afterwards, never reconnected: the old connection still works.
        assert list_schemas(old_connection).schemas
    finally:
        scripted_generators.gate.set()
        old_connection.close()


def test_request_over_the_size_limit_gets_request_too_large_with_error_info(start_service, mlflow_client):
    """gRPC used to refuse every oversized request itself, with a bare RESOURCE_EXHAUSTED. Up to a
    quarter over the limit, the request now reaches the call scope: the same code, with ErrorInfo
    (REQUEST_TOO_LARGE and both sizes) and no RetryInfo, and nothing recorded. Health and
    reflection on the same port answer the same."""
    service = start_service(max_receive_message_bytes=1024)
    trace_id = new_trace(service)
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, bool_value=True, rationale="x" * 1100, request_id="big", wait_until_stored=True
    )
    size = request.ByteSize()
    assert 1024 < size <= transport_receive_limit(1024)
    with pytest.raises(grpc.RpcError) as refused:
        service.feedback.SubmitFeedback(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(refused.value) == "REQUEST_TOO_LARGE"
    info = details(refused.value, error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {"request_bytes": str(size), "max_bytes": "1024"}
    assert details(refused.value, error_details_pb2.RetryInfo) is None  # the same request fails again
    assert assessments(mlflow_client, trace_id) == []
    health = service.channel.unary_unary("/grpc.health.v1.Health/Check")
    with pytest.raises(grpc.RpcError) as refused:
        health(health_pb2.HealthCheckRequest(service="x" * 1100).SerializeToString(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(refused.value) == "REQUEST_TOO_LARGE"
    assert list_schemas(service.channel).schemas  # a small request on the same service is served


def test_request_far_over_the_size_limit_is_refused_by_grpc_before_any_handler(start_service):
    service = start_service(max_receive_message_bytes=1024)
    before = handler_calls(service)
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id="tr-0", name="thumbs", bool_value=True, rationale="x" * 2048, request_id="big"
    )
    with pytest.raises(grpc.RpcError) as refused:
        service.feedback.SubmitFeedback(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert handler_calls(service) == before
    assert list_schemas(service.channel).schemas  # a small request on the same service is served


# --------------------------------------------------------------------------- settings and files


@pytest.mark.parametrize("max_chat_seconds", [1.0, 600.0, 3600.0])
def test_connection_age_grace_outlasts_the_longest_chat(max_chat_seconds):
    settings = Settings(max_chat_seconds=max_chat_seconds)
    grace_ms = dict(server_options(settings))["grpc.max_connection_age_grace_ms"]
    assert grace_ms == connection_age_grace_ms(settings)
    assert grace_ms >= (max_chat_seconds + 10) * 1000  # a chat started just before GOAWAY finishes


def test_limits_are_settings_with_documented_defaults():
    options = dict(server_options(Settings()))
    assert options["grpc.max_receive_message_length"] == 5 * 1024 * 1024  # 4 MiB and a quarter (REQUEST_TOO_LARGE)
    assert options["grpc.max_send_message_length"] == 16 * 1024 * 1024
    assert options["grpc.max_concurrent_streams"] == 1000
    flags = Settings.from_command_line(
        ["--max-receive-message-bytes", "1000", "--max-send-message-bytes", "2000", "--max-concurrent-streams", "7"]
    )
    assert server_options(flags)[:3] == [
        ("grpc.max_receive_message_length", 1250),
        ("grpc.max_send_message_length", 2000),
        ("grpc.max_concurrent_streams", 7),
    ]


def test_tls_flags_parse_and_are_checked_together(tmp_path):
    settings = Settings.from_command_line(
        [
            "--tls-cert-file",
            "a.crt",
            "--tls-key-file",
            "a.key",
            "--tls-client-ca-file",
            "ca.crt",
            "--health-address",
            "127.0.0.1:8081",
        ]
    )
    assert (settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file) == (
        Path("a.crt"),
        Path("a.key"),
        Path("ca.crt"),
    )
    assert settings.health_address == "127.0.0.1:8081"
    defaults = Settings()
    assert defaults.tls_cert_file is None and defaults.health_address == ""  # plaintext, no extra port
    for lone in ({"tls_cert_file": "a.crt"}, {"tls_key_file": "a.key"}, {"tls_client_ca_file": "ca.crt"}):
        with pytest.raises(pydantic.ValidationError):
            Settings(**lone)


def test_unusable_files_stop_the_start(tmp_path, pki):
    cert, key, other_key = tmp_path / "tls.crt", tmp_path / "tls.key", tmp_path / "other.key"
    cert.write_bytes(pki.server.cert)
    key.write_bytes(pki.server.key)
    other_key.write_bytes(pki.client.key)
    assert CertificateFiles(cert, key).subject == "CN=feedback-service"
    with pytest.raises(TlsFileError, match="not the key"):
        CertificateFiles(cert, other_key)
    with pytest.raises(TlsFileError, match="no PEM certificate"):
        CertificateFiles(key, key)
    with pytest.raises(TlsFileError, match="cannot read"):
        CertificateFiles(tmp_path / "missing.crt", key)


@pytest.mark.slow  # a feedback-service process
def test_the_flags_in_a_real_process(mlflow_server, pki, tmp_path):
    files = tls_files(tmp_path / "tls", pki)
    health_port, metrics_port = free_port(), free_port()
    replica = ServiceProcess(
        mlflow_server.url,
        tmp_path / "replica",
        "tls-process",
        **files,
        health_address=f"127.0.0.1:{health_port}",
        metrics_address=f"127.0.0.1:{metrics_port}",
    )
    service_target = replica.target
    # The flags are built; readiness is then polled where a probe would: plaintext, on the health-only address.
    replica.target = f"127.0.0.1:{health_port}"
    replica.start()
    try:
        with tls_channel(service_target, pki.server_ca, pki.client) as channel:
            assert list_schemas(channel).schemas
        with grpc.insecure_channel(service_target, options=OWN_CONNECTION) as channel:
            with pytest.raises(grpc.RpcError) as plaintext:
                list_schemas(channel)
            assert plaintext.value.code() == grpc.StatusCode.UNAVAILABLE
        exposition = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        [line] = [x for x in exposition.splitlines() if x.startswith("genaifeedback_tls_certificate_expiry_seconds{")]
        days_left = float(line.split()[-1]) / 86400
        assert 29 < days_left <= 30  # the 30-day certificate in tls.crt
    finally:
        exit_code = replica.terminate()
        replica.stop()
    assert exit_code == 0  # both servers stopped cleanly on SIGTERM


@pytest.mark.slow  # a feedback-service process
def test_workers_share_the_health_address_as_they_share_the_service_port(mlflow_server, pki, tmp_path):
    files = tls_files(tmp_path / "tls", pki)
    health_port = free_port()
    replica = ServiceProcess(
        mlflow_server.url,
        tmp_path / "replica",
        "tls-workers",
        **files,
        workers=2,
        health_address=f"127.0.0.1:{health_port}",
    )
    service_target = replica.target
    replica.target = f"127.0.0.1:{health_port}"  # readiness polled in plaintext on the health-only address
    replica.start()
    try:
        # The health check answered for the first worker up; each worker logs its own health address once bound.
        replica.wait_for_log("health-only (plaintext) on", count=2)
        for _ in range(16):  # the kernel hashes each connection to one of the two workers
            with tls_channel(service_target, pki.server_ca, pki.client) as channel:
                assert list_schemas(channel).schemas
    finally:
        exit_code = replica.terminate()
        replica.stop()
    # A worker that could not bind the health address would have exited and stopped the replica (exit 1).
    assert exit_code == 0
    log = replica.log_path.read_text()
    assert "worker-0" in log and "worker-1" in log


def test_fetcher_hands_grpc_each_good_change_once_and_nothing_while_files_are_broken(tmp_path, pki):
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.write_bytes(pki.server.cert)
    key.write_bytes(pki.server.key)
    files = CertificateFiles(cert, key)
    assert files.fetch() is None  # gRPC already has the configuration it was built with
    key.unlink()  # a rotation between the unlink and the new file
    assert files.fetch() is None and files.subject == "CN=feedback-service"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\ncut short")
    assert files.fetch() is None and files.subject == "CN=feedback-service"
    replace_file(cert, pki.next_server.cert)
    replace_file(key, pki.next_server.key)
    assert isinstance(files.fetch(), grpc.ServerCertificateConfiguration)
    assert files.subject == "CN=feedback-service-rotated"
    assert files.fetch() is None  # handed once; the next connection gets the same without a reload
    assert files.seconds_to_expiry() == pytest.approx(
        pki.next_server.certificate.not_valid_after_utc.timestamp() - time.time(), abs=60
    )


@pytest.mark.slow  # a feedback-service process
def test_a_key_of_another_certificate_stops_the_process_with_its_reason(pki, tmp_path):
    files = tls_files(tmp_path / "tls", pki)
    files["tls_key_file"].write_bytes(pki.client.key)
    flags = [arg for name, path in files.items() for arg in (f"--{name.replace('_', '-')}", str(path))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_SERVICE_")}
    ended = subprocess.run(
        [str(Path(sys.executable).parent / "feedback-service"), "--listen-address", "127.0.0.1:0", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert ended.returncode == 1
    assert f"{files['tls_key_file']} is not the key of the first certificate" in ended.stderr
    assert "Traceback" not in ended.stderr
