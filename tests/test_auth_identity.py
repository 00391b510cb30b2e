"""The other identity modes (mTLS, mesh-xfcc, mesh-linkerd, none with a policy), the JWKS file
reloaded on change, reflection turned off, and the start-ups that are refused. Real services on
127.0.0.1, real TLS certificates and JWTs made here."""

import logging
import subprocess
import sys
import time

import grpc
import pydantic
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from auth_support import AUDIENCE, ISSUER, SigningKey, bearer, call, error_info, refusal, write_jwks, write_policy
from genaifeedback.client import FeedbackClient, FeedbackServiceError, create_channel
from genaifeedback.service.domain.errors import CredentialsExpired, CredentialsInvalid
from genaifeedback.service.process.config import Settings
from genaifeedback.service.process.server import SERVICES
from genaifeedback.service.transport.auth import access, jwt_identity
from genaifeedback.service.transport.auth.identity import parse_xfcc
from genaifeedback.service.transport.auth.jwt_identity import JwksFile, JwtIdentity
from genaifeedback.service.transport.auth.policy import PolicyFileError, load
from genaifeedback.service.transport.auth.scopes import ScopeError, check_declared
from genaifeedback.service.transport.calls import rpc
from genaifeedback.service.transport.servicers import FeedbackServicer
from genaifeedback.v1 import chat_pb2, feedback_pb2
from processes import free_port
from support import eventually
from test_tls import issue, make_ca, tls_channel

SCHEMAS = "/genaifeedback.v1.FeedbackService/ListFeedbackSchemas"
LIST_SCHEMAS = feedback_pb2.ListFeedbackSchemasRequest()
CHAT = "/genaifeedback.v1.ChatService/CompleteChat"
READER, ADMIN = "spiffe://tests/reader", "spiffe://tests/admin"


def _reason(error: grpc.RpcError) -> tuple[grpc.StatusCode, str]:
    return error.code(), error_info(error).reason


# --------------------------------------------------------------------------- mesh-xfcc


@pytest.fixture(scope="module")
def xfcc_service(start_service, tmp_path_factory):
    policy = write_policy(tmp_path_factory.mktemp("xfcc") / "policy.toml", {READER: {"scopes": ["feedback:read"]}})
    return start_service(identity_mode="mesh-xfcc", policy_file=policy, reflection=False)


def xfcc(*uris: str) -> tuple[tuple[str, str], ...]:
    elements = [f'By=spiffe://tests/service;Hash=abc;Subject="CN=x,O=y";URI={uri}' for uri in uris]
    return (("x-forwarded-client-cert", ",".join(elements)),)


def test_xfcc_only_the_last_element_counts(xfcc_service):
    channel = xfcc_service.channel
    # A caller forged the first element (the admin); the sidecar appended the verified one (a reader).
    assert call(channel, SCHEMAS, LIST_SCHEMAS, xfcc(ADMIN, READER)).schemas
    refused = refusal(channel, CHAT, chat_pb2.CompleteChatRequest(message="hi"), xfcc(ADMIN, READER))
    assert _reason(refused) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")
    assert error_info(refused).metadata["principal"] == READER
    # The reader's name first, a stranger last: the stranger is the caller.
    refused = refusal(channel, SCHEMAS, LIST_SCHEMAS, xfcc(READER, "spiffe://tests/stranger"))
    assert error_info(refused).metadata["principal"] == "spiffe://tests/stranger"
    # The header twice (two metadata entries) reads as one list: still the last element.
    twice = (("x-forwarded-client-cert", f"URI={ADMIN}"), ("x-forwarded-client-cert", f"URI={READER}"))
    assert call(channel, SCHEMAS, LIST_SCHEMAS, twice).schemas


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((), (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_MISSING")),
        (
            (("x-forwarded-client-cert", f"URI={READER};Hash=1,Hash=2"),),
            (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_INVALID"),
        ),
        ((("x-forwarded-client-cert", 'URI="unterminated'),), (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_INVALID")),
    ],
    ids=["absent", "last-without-uri", "malformed"],
)
def test_xfcc_missing_or_unusable(xfcc_service, headers, expected):
    assert _reason(refusal(xfcc_service.channel, SCHEMAS, LIST_SCHEMAS, headers)) == expected


def test_xfcc_parsing_follows_envoys_quoting():
    header = 'By=spiffe://a;URI=spiffe://first,Subject="CN=b,\\"q\\";O=c";URI=spiffe://second;URI=spiffe://third'
    elements = parse_xfcc(header)
    assert [e["uri"] for e in elements] == [["spiffe://first"], ["spiffe://second", "spiffe://third"]]
    assert elements[1]["subject"] == ['CN=b,"q";O=c']
    for bad in ("", "URI=a,,URI=b", "novalue", "=x", 'URI="a'):
        with pytest.raises(ValueError, match=r"element|pair|unterminated"):
            parse_xfcc(bad)


def test_reflection_can_be_turned_off(xfcc_service):
    stub = reflection_pb2_grpc.ServerReflectionStub(xfcc_service.channel)
    with pytest.raises(grpc.RpcError) as off:
        list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
    assert off.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert Settings.from_command_line(["--reflection", "false"]).reflection is False
    assert Settings().reflection is True


# --------------------------------------------------------------------------- mesh-linkerd and none


def test_linkerd_client_id_is_the_principal(start_service):
    service = start_service(identity_mode="mesh-linkerd")  # no policy: every identified caller, every scope
    meshed = (("l5d-client-id", "web.default.serviceaccount.identity.linkerd.cluster.local"),)
    assert call(service.channel, SCHEMAS, LIST_SCHEMAS, meshed).schemas
    assert _reason(refusal(service.channel, SCHEMAS, LIST_SCHEMAS)) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CREDENTIALS_MISSING",
    )
    for bad in ((("l5d-client-id", "a b"),), (("l5d-client-id", "a"), ("l5d-client-id", "b"))):
        assert _reason(refusal(service.channel, SCHEMAS, LIST_SCHEMAS, bad))[1] == "CREDENTIALS_INVALID"


def test_a_policy_without_identities_grants_to_anonymous(start_service, tmp_path):
    policy = write_policy(tmp_path / "policy.toml", {"anonymous": {"scopes": ["feedback:read"]}})
    service = start_service(policy_file=policy)
    assert call(service.channel, SCHEMAS, LIST_SCHEMAS).schemas
    refused = refusal(service.channel, CHAT, chat_pb2.CompleteChatRequest(message="hi"))
    assert _reason(refused) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")
    assert dict(error_info(refused).metadata) == {"principal": "anonymous", "scope": "chat"}


# --------------------------------------------------------------------------- mtls


def test_mtls_principal_is_the_certificates_spiffe_id(start_service, tmp_path):
    server_ca, client_ca = make_ca("server CA"), make_ca("client CA")
    server = issue(server_ca, "feedback-service", server=True)
    reader, other = issue(client_ca, "reader", server=False), issue(client_ca, "other", server=False)
    files = {
        "tls_cert_file": tmp_path / "tls.crt",
        "tls_key_file": tmp_path / "tls.key",
        "tls_client_ca_file": tmp_path / "ca.crt",
    }
    files["tls_cert_file"].write_bytes(server.cert)
    files["tls_key_file"].write_bytes(server.key)
    files["tls_client_ca_file"].write_bytes(client_ca.cert)
    policy = write_policy(tmp_path / "policy.toml", {READER: {"scopes": ["feedback:read"]}})
    service = start_service(identity_mode="mtls", policy_file=policy, **files)
    with tls_channel(service.target, server_ca, reader) as channel:
        assert call(channel, SCHEMAS, LIST_SCHEMAS).schemas
        # Metadata cannot pose as someone else: only the certificate counts.
        refused = refusal(channel, CHAT, chat_pb2.CompleteChatRequest(message="hi"), xfcc(ADMIN))
        assert error_info(refused).metadata["principal"] == READER
    with tls_channel(service.target, server_ca, other) as channel:
        refused = refusal(channel, SCHEMAS, LIST_SCHEMAS)
        assert _reason(refused) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")
        assert error_info(refused).metadata["principal"] == "spiffe://tests/other"


# --------------------------------------------------------------------------- jwt: the key file


def test_jwks_file_is_reloaded_on_change_and_a_bad_one_keeps_the_keys(start_service, tmp_path, caplog):
    old, new = SigningKey("old"), SigningKey("new")
    jwks = write_jwks(tmp_path / "jwks.json", old)
    service = start_service(identity_mode="jwt", jwt_jwks_file=jwks, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)

    def outcome(key: SigningKey) -> str:
        try:
            call(service.channel, SCHEMAS, LIST_SCHEMAS, bearer(key.token("svc")))
        except grpc.RpcError as refused:
            return error_info(refused).reason
        return "OK"

    assert (outcome(old), outcome(new)) == ("OK", "CREDENTIALS_INVALID")
    write_jwks(jwks, old, new)  # rotation: both keys for a while, in force within a second
    eventually(lambda: outcome(new) == "OK")
    assert outcome(old) == "OK"
    write_jwks(jwks, new)  # the old key retired
    eventually(lambda: outcome(old) == "CREDENTIALS_INVALID")
    assert outcome(new) == "OK"

    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if "JWKS file not (re)loaded" in r.getMessage()]

    with caplog.at_level(logging.WARNING):
        jwks.write_text("{not json")  # a broken file: the keys in force stay, and one warning says so
        eventually(lambda: outcome(new) == "OK" and len(warnings()) == 1)
        jwks.unlink()  # gone (mid-rotation): the same
        eventually(lambda: outcome(new) == "OK" and len(warnings()) == 2)
        time.sleep(1.5)  # ok: more checks of the file go by, and none warns again
        assert outcome(new) == "OK"
    assert len(warnings()) == 2, warnings()


def test_a_kept_verification_still_expires_and_ends_with_the_keys_it_was_made_with(tmp_path, monkeypatch):
    """The same token on every call is verified once; its exp and a change of the JWKS file still count."""
    old, new = SigningKey("old"), SigningKey("new")
    jwks = write_jwks(tmp_path / "jwks.json", old)
    identity = JwtIdentity(JwksFile(jwks, ["ES256"], recheck_seconds=0), ISSUER, AUDIENCE, leeway_seconds=5)
    token = old.token("svc", expires_in=60)
    claims = identity.verify(token)
    assert identity.verify(token) is claims  # kept: no second signature check
    now = jwt_identity.time.time()
    monkeypatch.setattr(jwt_identity.time, "time", lambda: now + 66)  # past exp + leeway
    with pytest.raises(CredentialsExpired):
        identity.verify(token)
    monkeypatch.undo()
    write_jwks(jwks, new)  # the key that signed it retired: the kept verification goes with it
    with pytest.raises(CredentialsInvalid):
        identity.verify(token)


# --------------------------------------------------------------------------- start-up refusals


@pytest.mark.slow  # a feedback-service process
def test_none_on_a_non_loopback_address_refuses_to_start_unless_told():
    port = free_port()
    started = subprocess.run(
        [sys.executable, "-m", "genaifeedback.service", "--listen-address", f"0.0.0.0:{port}",
         "--mlflow-tracking-uri", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "--allow-unauthenticated-network" in started.stderr and "Traceback" not in started.stderr
    for address in ("0.0.0.0:1", "[::]:1", "10.0.0.5:1", "service.example:1"):
        with pytest.raises(access.AccessConfigError):
            access.build(Settings(listen_address=address))
    for address in ("127.0.0.1:1", "[::1]:1", "localhost:1", "unix:/tmp/s.sock"):
        assert access.build(Settings(listen_address=address)).open
    told = Settings(listen_address="0.0.0.0:1", allow_unauthenticated_network=True)
    assert access.build(told).open


def test_a_non_loopback_address_with_an_identity_mode_starts(start_service):
    service = start_service(listen_address="0.0.0.0:0", identity_mode="mesh-linkerd")
    with grpc.insecure_channel(f"127.0.0.1:{service.app.port}") as channel:
        assert call(channel, SCHEMAS, LIST_SCHEMAS, (("l5d-client-id", "web.ns"),)).schemas


def test_a_method_without_a_scope_stops_the_start():
    class Undeclared(FeedbackServicer):
        @rpc
        async def GetFeedback(self, request, context):
            raise AssertionError

    class Missing(FeedbackServicer):
        ListFeedback = None  # not implemented at all

    service = SERVICES[FeedbackServicer]
    assert len(check_declared([(FeedbackServicer, service)])) == len(service.methods)
    with pytest.raises(ScopeError, match="FeedbackService/GetFeedback"):
        check_declared([(Undeclared, service)])
    with pytest.raises(ScopeError, match="FeedbackService/ListFeedback"):
        check_declared([(Missing, service)])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[principals.a]\nscopes = ["feedback:wrte"]\n', "scopes"),
        ('[principals.a]\nscopes = ["chat"]\nsource_types = ["ROBOT"]\n', "source_types"),
        ('[principals.a]\nscope = ["chat"]\n', "scope"),
        ("[principals.a\n", "not TOML"),
        ('[principals.""]\nscopes = ["chat"]\n', "empty"),
        ('[principals.a]\nscopes = ["chat"]\nfeedback_token_required = "yes"\n', "feedback_token_required"),
    ],
)
def test_a_bad_policy_file_stops_the_start(tmp_path, text, problem):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyFileError, match=problem):
        load(path)
    with pytest.raises(access.AccessConfigError):
        access.build(Settings(policy_file=path))


def test_identity_settings_are_checked_together(tmp_path):
    with pytest.raises(pydantic.ValidationError, match="tls-client-ca-file"):
        Settings(identity_mode="mtls")
    with pytest.raises(pydantic.ValidationError, match="jwt-jwks-file"):
        Settings(identity_mode="jwt", jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    with pytest.raises(pydantic.ValidationError):
        Settings(jwt_algorithms=["HS256"])  # a shared-secret algorithm: never accepted
    (tmp_path / "empty.json").write_text('{"keys": []}')
    settings = Settings(
        identity_mode="jwt", jwt_jwks_file=tmp_path / "empty.json", jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )
    with pytest.raises(access.AccessConfigError, match=r"empty\.json"):
        access.build(settings)


def test_the_python_client_sends_a_bearer_token_over_tls(start_service, tmp_path):
    server_ca = make_ca("server CA")
    server = issue(server_ca, "feedback-service", server=True)
    (tmp_path / "tls.crt").write_bytes(server.cert)
    (tmp_path / "tls.key").write_bytes(server.key)
    key = SigningKey("k")
    policy = write_policy(tmp_path / "policy.toml", {"reports": {"scopes": ["feedback:read"]}})
    service = start_service(
        identity_mode="jwt",
        jwt_jwks_file=write_jwks(tmp_path / "jwks.json", key),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        policy_file=policy,
        tls_cert_file=tmp_path / "tls.crt",
        tls_key_file=tmp_path / "tls.key",
    )

    def client(token: str) -> FeedbackClient:
        credentials = grpc.composite_channel_credentials(
            grpc.ssl_channel_credentials(server_ca.cert), grpc.access_token_call_credentials(token)
        )
        return FeedbackClient(channel=create_channel(service.target, credentials), timeout=10)

    with client(key.token("reports")) as reports:
        assert reports.list_schemas()
        with pytest.raises(FeedbackServiceError) as refused:
            reports.complete("hi")
        assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SCOPE_MISSING")
    with client(key.token("reports", expires_in=-3600)) as stale, pytest.raises(FeedbackServiceError) as expired:
        stale.list_schemas()
    assert (expired.value.code, expired.value.reason) == (grpc.StatusCode.UNAUTHENTICATED, "CREDENTIALS_EXPIRED")
