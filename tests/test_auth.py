"""Caller identity by bearer token and per-RPC scopes from a policy file, against a real service,
a real MLflow and real ES256 JWTs: the scope table, the order of the checks (authentication,
scope, then validation), source restrictions, and refusals that change nothing."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from auth_support import (
    AUDIENCE,
    ISSUER,
    METHODS,
    SigningKey,
    bearer,
    call,
    error_info,
    journaled_units,
    refusal,
    write_jwks,
    write_policy,
)
from genaifeedback.service.process.server import SERVICES
from genaifeedback.service.transport.auth.scopes import Scope, declared_scope
from genaifeedback.v1 import analytics_pb2, chat_pb2, feedback_pb2
from support import assessments, metric

CHAT, FEEDBACK, ANALYTICS = (
    "/genaifeedback.v1.ChatService/",
    "/genaifeedback.v1.FeedbackService/",
    ("/genaifeedback.v1.FeedbackAnalyticsService/"),
)
OK, INVALID = grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT
# The scope table (docs/security.md), and for each RPC a request that an allowed caller gets past the
# access check with: it then fails validation (or succeeds), which shows that access came first.
SCOPE_TABLE = {
    CHAT + "Chat": (Scope.CHAT, chat_pb2.ChatRequest(), INVALID),
    CHAT + "CompleteChat": (Scope.CHAT, chat_pb2.CompleteChatRequest(), INVALID),
    FEEDBACK + "SubmitFeedback": (Scope.FEEDBACK_WRITE, feedback_pb2.SubmitFeedbackRequest(), INVALID),
    FEEDBACK + "SubmitRatings": (Scope.FEEDBACK_WRITE, feedback_pb2.SubmitRatingsRequest(), INVALID),
    FEEDBACK + "GetFeedbackStatus": (Scope.FEEDBACK_WRITE, feedback_pb2.GetFeedbackStatusRequest(), INVALID),
    FEEDBACK + "ListFeedbackSchemas": (Scope.FEEDBACK_READ, feedback_pb2.ListFeedbackSchemasRequest(), OK),
    FEEDBACK + "GetFeedback": (Scope.FEEDBACK_READ, feedback_pb2.GetFeedbackRequest(), INVALID),
    FEEDBACK + "ListFeedback": (Scope.FEEDBACK_READ, feedback_pb2.ListFeedbackRequest(), INVALID),
    FEEDBACK + "CorrectFeedback": (Scope.FEEDBACK_CURATE, feedback_pb2.CorrectFeedbackRequest(), INVALID),
    FEEDBACK + "DeleteFeedback": (Scope.FEEDBACK_CURATE, feedback_pb2.DeleteFeedbackRequest(), INVALID),
    FEEDBACK + "EraseFeedbackBySource": (Scope.FEEDBACK_ERASE, feedback_pb2.EraseFeedbackBySourceRequest(), INVALID),
    ANALYTICS + "GetFeedbackSummary": (
        Scope.ANALYTICS_READ,
        analytics_pb2.GetFeedbackSummaryRequest(
            start_time=timestamp_pb2.Timestamp(seconds=2_000_000_000), end_time=timestamp_pb2.Timestamp(seconds=1)
        ),
        INVALID,
    ),
    ANALYTICS + "WatchFeedback": (
        Scope.ANALYTICS_READ,
        analytics_pb2.WatchFeedbackRequest(lookback_hours=500),
        INVALID,
    ),
    ANALYTICS + "ExportFeedback": (
        Scope.ANALYTICS_EXPORT,
        analytics_pb2.ExportFeedbackRequest(page_token="not-a-token"),
        INVALID,
    ),
}
BEING_ADDED = {FEEDBACK + "CreateFeedbackToken": Scope.FEEDBACK_TOKEN}  # by the feedback-token work (issue 17, 4)

JUDGE, BACKEND, CURATOR, PAGE = "judge-service", "chat-backend", "curator", "browser-page"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("key-1")


@pytest.fixture(scope="module")
def jwt_service(start_service, key, tmp_path_factory):
    folder = tmp_path_factory.mktemp("jwt")
    principals = {}
    for scope in Scope:
        principals[f"only-{scope}"] = {"scopes": [scope.value]}
        principals[f"all-but-{scope}"] = {"scopes": [s.value for s in Scope if s != scope]}
    principals[JUDGE] = {"scopes": ["feedback:write"], "source_types": ["LLM_JUDGE"], "source_ids": ["judge-*"]}
    principals[BACKEND] = {"scopes": ["chat", "feedback:write"], "source_types": ["HUMAN"], "source_ids": ["user-*"]}
    principals[CURATOR] = {"scopes": ["feedback:read", "feedback:curate"]}
    # A page in end users' browsers: their votes only, each through the feedback token of its answer.
    principals[PAGE] = {
        "scopes": ["chat", "feedback:write", "feedback:curate"],
        "source_types": ["HUMAN"],
        "source_ids": [""],
        "feedback_token_required": True,
    }
    keys = folder / "feedback-token-keys.json"
    keys.write_text(json.dumps({"keys": [{"id": "k", "secret": "s" * 40}]}))
    return start_service(
        feedback_token_keys_file=keys,
        identity_mode="jwt",
        jwt_jwks_file=write_jwks(folder / "jwks.json", key),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        policy_file=write_policy(folder / "policy.toml", principals),
    )


def as_(key: SigningKey, principal: str):
    return bearer(key.token(principal))


def test_every_rpc_declares_the_scope_the_table_gives_it():
    served = {
        f"/{service.full_name}/{method.name}": declared_scope(servicer, method.name)
        for servicer, service in SERVICES.items()
        for method in service.methods
    }
    assert set(served) == set(METHODS)  # every method of the contract is served...
    unlisted = set(served) - set(SCOPE_TABLE) - set(BEING_ADDED)
    assert not unlisted, f"RPCs added without a row in the scope table: {unlisted}"
    for method, scope in served.items():  # ...with the scope the table says
        assert scope == {**{m: row[0] for m, row in SCOPE_TABLE.items()}, **BEING_ADDED}[method], method


@pytest.mark.parametrize("method", list(SCOPE_TABLE))
def test_each_rpc_lets_in_its_scope_and_refuses_every_other(jwt_service, key, method):
    scope, request, allowed_code = SCOPE_TABLE[method]
    channel = jwt_service.channel
    if allowed_code == OK:
        call(channel, method, request, as_(key, f"only-{scope}"))
    else:
        assert refusal(channel, method, request, as_(key, f"only-{scope}")).code() == allowed_code
    # Holding every other scope is not enough; refused before validation (the request is invalid too).
    refused = refusal(channel, method, request, as_(key, f"all-but-{scope}"))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    info = error_info(refused)
    assert info.reason == "SCOPE_MISSING"
    assert dict(info.metadata) == {"principal": f"all-but-{scope}", "scope": scope.value}


def test_a_caller_without_access_gets_permission_denied_never_not_found(jwt_service, key):
    unknown = feedback_pb2.GetFeedbackRequest(trace_id="tr-" + "0" * 32, assessment_id="a-" + "0" * 32)
    method = FEEDBACK + "GetFeedback"
    assert refusal(jwt_service.channel, method, unknown, as_(key, "only-feedback:read")).code() == (
        grpc.StatusCode.NOT_FOUND
    )
    for stranger in ("all-but-feedback:read", "nobody-in-the-policy"):
        assert refusal(jwt_service.channel, method, unknown, as_(key, stranger)).code() == (
            grpc.StatusCode.PERMISSION_DENIED
        )


@pytest.mark.parametrize(
    ("label", "headers", "reason"),
    [
        ("none", (), "CREDENTIALS_MISSING"),
        ("not bearer", (("authorization", "Basic dXNlcjpwYXNz"),), "CREDENTIALS_INVALID"),
        ("not a JWT", bearer("not.a.jwt"), "CREDENTIALS_INVALID"),
    ],
)
def test_calls_without_a_usable_token_are_unauthenticated(jwt_service, label, headers, reason):
    error = refusal(
        jwt_service.channel, FEEDBACK + "ListFeedbackSchemas", feedback_pb2.ListFeedbackSchemasRequest(), headers
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, label
    assert error_info(error).reason == reason


def jwt_none(claims: dict) -> str:
    return jwt.encode(claims, None, algorithm="none")


def test_jwt_refusals_each_with_its_reason(jwt_service, key):
    stranger_key = SigningKey("key-1")  # the same key id, another key: a forged signature
    good = {"iss": ISSUER, "aud": AUDIENCE, "sub": "only-feedback:read", "exp": int(time.time() + 300)}
    cases = {
        "expired": (key.token("only-feedback:read", expires_in=-120), "CREDENTIALS_EXPIRED"),
        "alg=none": (jwt_none(good), "CREDENTIALS_INVALID"),
        "wrong audience": (key.token("only-feedback:read", aud="someone-else"), "CREDENTIALS_INVALID"),
        "wrong issuer": (key.token("only-feedback:read", iss="https://evil.test"), "CREDENTIALS_INVALID"),
        "unknown key id": (SigningKey("key-9").token("only-feedback:read"), "CREDENTIALS_INVALID"),
        "forged signature": (stranger_key.token("only-feedback:read"), "CREDENTIALS_INVALID"),
        "HS256 with the public key": (_hs256_with_public_key(key, good), "CREDENTIALS_INVALID"),
    }
    method, request = FEEDBACK + "ListFeedbackSchemas", feedback_pb2.ListFeedbackSchemasRequest()
    before = {r: metric(jwt_service, "genaifeedback_auth_failures_total", reason=r) for _, r in cases.values()}
    for label, (token, reason) in cases.items():
        error = refusal(jwt_service.channel, method, request, bearer(token))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED, label
        assert error_info(error).reason == reason, label
    # Within the leeway, an expiry just past is still accepted (clocks differ a little).
    assert call(jwt_service.channel, method, request, bearer(key.token("only-feedback:read", expires_in=-5))).schemas
    assert metric(jwt_service, "genaifeedback_auth_failures_total", reason="CREDENTIALS_EXPIRED") == (
        before["CREDENTIALS_EXPIRED"] + 1
    )
    assert metric(jwt_service, "genaifeedback_auth_failures_total", reason="CREDENTIALS_INVALID") == (
        before["CREDENTIALS_INVALID"] + 6
    )


def _hs256_with_public_key(key: SigningKey, claims: dict) -> str:
    """The classic algorithm confusion: an HMAC token keyed with the public key's bytes."""

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    public = key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = b64(json.dumps({"alg": "HS256", "kid": key.kid}).encode()) + b"." + b64(json.dumps(claims).encode())
    return (signing_input + b"." + b64(hmac.new(public, signing_input, hashlib.sha256).digest())).decode()


def test_health_stays_open_without_credentials(jwt_service):
    health = health_pb2_grpc.HealthStub(jwt_service.channel)
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == health_pb2.HealthCheckResponse.SERVING


def _trace(service, key) -> str:
    events = call(service.channel, CHAT + "Chat", chat_pb2.ChatRequest(message="hi"), as_(key, BACKEND))
    trace_id = events[-1].finished.trace_id
    service.wait_stored(trace_id)
    return trace_id


def _vote(trace_id: str, name: str, source_type=feedback_pb2.SOURCE_TYPE_UNSPECIFIED, source_id="", **fields):
    return feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id,
        name=name,
        bool_value=True,
        source=feedback_pb2.FeedbackSource(type=source_type, id=source_id),
        **{"request_id": str(uuid.uuid4()), **fields},
    )


def test_source_restrictions_and_refusals_that_change_nothing(jwt_service, key, mlflow_client):
    trace_id = _trace(jwt_service, key)
    submit, ratings = FEEDBACK + "SubmitFeedback", FEEDBACK + "SubmitRatings"
    units = journaled_units(jwt_service)
    judge_type, human = feedback_pb2.SOURCE_TYPE_LLM_JUDGE, feedback_pb2.SOURCE_TYPE_HUMAN
    refused = [
        (JUDGE, _vote(trace_id, "refused_a", human, "judge-1")),  # a judge may not speak as a human
        (JUDGE, _vote(trace_id, "refused_b", judge_type, "other-judge")),  # nor under another id
        (BACKEND, _vote(trace_id, "refused_c", judge_type, "user-1")),  # a backend speaks for humans only
        (BACKEND, _vote(trace_id, "refused_d", source_id="admin")),  # unset type is HUMAN; not a user id
        (BACKEND, _vote(trace_id, "refused_e")),  # anonymous: no id matches user-*
    ]
    for principal, request in refused:
        error = refusal(jwt_service.channel, submit, request, as_(key, principal))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, request.name
        assert error_info(error).reason == "SOURCE_NOT_ALLOWED"
        assert error_info(error).metadata["principal"] == principal
    rated = feedback_pb2.SubmitRatingsRequest(
        trace_id=trace_id,
        ratings=[feedback_pb2.DimensionRating(name="refused_f", score=3)],
        source=feedback_pb2.FeedbackSource(type=human, id="judge-1"),
        request_id=str(uuid.uuid4()),
    )
    assert error_info(refusal(jwt_service.channel, ratings, rated, as_(key, JUDGE))).reason == "SOURCE_NOT_ALLOWED"
    # Lacking the scope: refused whatever the source.
    no_scope = refusal(jwt_service.channel, submit, _vote(trace_id, "refused_g"), as_(key, "only-feedback:read"))
    assert error_info(no_scope).reason == "SCOPE_MISSING"
    assert journaled_units(jwt_service) == units  # nothing journaled

    # The allowed ones, stored: MLflow then holds exactly them, none of the refused.
    for principal, request in [
        (JUDGE, _vote(trace_id, "judged", judge_type, "judge-1", wait_until_stored=True)),
        (BACKEND, _vote(trace_id, "clicked", source_id="user-42", wait_until_stored=True)),
    ]:
        reply = call(jwt_service.channel, submit, request, as_(key, principal))
        assert reply.state == feedback_pb2.FEEDBACK_STATE_STORED
    assert journaled_units(jwt_service) == units + 2
    stored = {(a.name, a.source.source_type, a.source.source_id) for a in assessments(mlflow_client, trace_id)}
    assert stored == {("judged", "LLM_JUDGE", "judge-1"), ("clicked", "HUMAN", "user-42")}

    # Curation refused without its scope: the feedback stays; erasure needs its own scope too.
    judged = next(a for a in assessments(mlflow_client, trace_id) if a.name == "judged")
    delete = feedback_pb2.DeleteFeedbackRequest(trace_id=trace_id, assessment_id=judged.assessment_id)
    assert error_info(refusal(jwt_service.channel, FEEDBACK + "DeleteFeedback", delete, as_(key, BACKEND))).reason == (
        "SCOPE_MISSING"
    )
    erase = feedback_pb2.EraseFeedbackBySourceRequest(source_id="user-42")
    assert error_info(
        refusal(jwt_service.channel, FEEDBACK + "EraseFeedbackBySource", erase, as_(key, CURATOR))
    ).reason == ("SCOPE_MISSING")
    assert journaled_units(jwt_service) == units + 2
    assert {a.name for a in assessments(mlflow_client, trace_id) if a.valid} == {"judged", "clicked"}


def test_a_principal_bound_to_feedback_tokens_writes_only_with_one(jwt_service, key, mlflow_client):
    events = call(jwt_service.channel, CHAT + "Chat", chat_pb2.ChatRequest(message="hi", user_id="u-7"), as_(key, PAGE))
    finished = events[-1].finished
    jwt_service.wait_stored(finished.trace_id)
    units = journaled_units(jwt_service)
    submit = FEEDBACK + "SubmitFeedback"
    rating = feedback_pb2.DimensionRating(name="user_rating", score=2)
    for method, request in [
        (submit, _vote(finished.trace_id, "user_feedback")),  # anonymous, no token
        (submit, _vote(finished.trace_id, "user_feedback", source_id="u-7")),  # a user named by the caller
        # With the token and a source that agrees with it: still a source of its own, which the policy refuses.
        (submit, _vote(finished.trace_id, "user_feedback", source_id="u-7", feedback_token=finished.feedback_token)),
        (
            FEEDBACK + "SubmitRatings",
            feedback_pb2.SubmitRatingsRequest(trace_id=finished.trace_id, ratings=[rating], request_id="r-1"),
        ),
        (  # takes no token at all
            FEEDBACK + "CorrectFeedback",
            feedback_pb2.CorrectFeedbackRequest(
                trace_id=finished.trace_id, assessment_id="a-" + "0" * 32, bool_value=False, request_id="c-1"
            ),
        ),
    ]:
        error = refusal(jwt_service.channel, method, request, as_(key, PAGE))
        assert (error.code(), error_info(error).reason) == (grpc.StatusCode.PERMISSION_DENIED, "SOURCE_NOT_ALLOWED")
        assert dict(error_info(error).metadata) == {"principal": PAGE}
    assert journaled_units(jwt_service) == units

    voted = _vote(finished.trace_id, "user_feedback", feedback_token=finished.feedback_token, wait_until_stored=True)
    assert call(jwt_service.channel, submit, voted, as_(key, PAGE)).state == feedback_pb2.FEEDBACK_STATE_STORED
    ((name, source_type, source_id),) = {
        (a.name, a.source.source_type, a.source.source_id) for a in assessments(mlflow_client, finished.trace_id)
    }
    assert (name, source_type, source_id) == ("user_feedback", "HUMAN", "u-7")  # the token's user
