"""Feedback tokens (issue 17, item 4) against real services and a real MLflow: Chat hands the end user
a token for its answer; with it, SubmitFeedback and SubmitRatings record that user's vote on that
trace and nothing else; every refusal is UNAUTHENTICATED or PERMISSION_DENIED with its reason,
journals nothing and stores nothing; any replica with the keys file accepts it; keys rotate."""

import base64
import json
import logging
import os
import sqlite3
import time
import uuid
from datetime import UTC, datetime

import grpc
import jwt
import pytest

from genaifeedback.client import ErrorReason, FeedbackClient, FeedbackServiceError
from genaifeedback.service.domain import feedback_tokens
from genaifeedback.service.domain.errors import FeedbackTokenExpired, FeedbackTokenInvalid
from genaifeedback.service.domain.feedback_tokens import AUDIENCE, ISSUER, FeedbackTokens
from genaifeedback.service.domain.token_keys import TokenKeys
from genaifeedback.service.process import main as entry_point
from genaifeedback.v1 import chat_pb2, feedback_pb2
from support import assessments, chat, error_reason, eventually, new_trace

SECRET = "s" * 40
NEXT_SECRET = "n" * 40
HUMAN = feedback_pb2.SOURCE_TYPE_HUMAN


def write_keys(path, *keys) -> None:
    """Replace the keys file as a rotation would: written aside, then renamed into place."""
    aside = path.with_suffix(".new")
    aside.write_text(json.dumps({"keys": [dict(k) for k in keys]}))
    os.replace(aside, path)


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("token-keys") / "keys.json"
    write_keys(path, {"id": "k1", "secret": SECRET})
    return path


@pytest.fixture(scope="module")
def replica(start_service, keys_file):
    return start_service(feedback_token_keys_file=keys_file)


@pytest.fixture(scope="module")
def other(start_service, keys_file):
    """Another replica with the same keys file: it never saw the first one's chats."""
    return start_service(feedback_token_keys_file=keys_file)


def journal_units(service) -> int:
    """Feedback units in the replica's journal, as its SQLite file holds them."""
    with sqlite3.connect(f"file:{service.settings.data_dir / 'journal.db'}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def forged(secret=SECRET, kid="k1", algorithm="HS256", **claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 3600, "names": ["user_feedback"], **claims}
    return jwt.encode(payload, secret, algorithm=algorithm, headers={"kid": kid})


def chat_token(service, **fields) -> tuple[str, str]:
    """(trace id, feedback token) of a finished chat whose trace is stored."""
    finished = chat(service, **fields)[-1].finished
    service.wait_stored(finished.trace_id)
    return finished.trace_id, finished.feedback_token


def thumb(service, token, trace_id, value=True, **fields):
    return service.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            trace_id=trace_id,
            bool_value=value,
            feedback_token=token,
            wait_until_stored=True,
            **{"request_id": str(uuid.uuid4()), **fields},
        ),
        timeout=60,
    )


def test_chat_and_complete_chat_carry_a_token_bound_to_the_trace_and_user(replica):
    user = f"user-{uuid.uuid4().hex[:8]}"
    finished = chat(replica, user_id=user, client_request_id=f"order-{uuid.uuid4()}")[-1].finished
    claims = claims_of(finished.feedback_token)
    assert (claims["trace"], claims["sub"], claims["crid"]) == (finished.trace_id, user, finished.client_request_id)
    assert {"user_feedback", "accuracy", "helpfulness", "relevance"} <= set(claims["names"])
    assert jwt.get_unverified_header(finished.feedback_token)["kid"] == "k1"
    assert claims["exp"] - claims["iat"] == 24 * 3600

    complete = replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="hi"), timeout=60)
    anonymous = claims_of(complete.feedback_token)
    assert anonymous["trace"] == complete.trace_id and anonymous["sub"].startswith("anonymous-")


def test_a_token_vote_is_stored_as_the_tokens_user_and_a_changed_vote_replaces_it(replica, mlflow_client):
    user = f"user-{uuid.uuid4().hex[:8]}"
    trace_id, token = chat_token(replica, user_id=user)
    up = thumb(replica, token, trace_id, True)
    down = thumb(replica, token, trace_id, False)
    assert up.state == down.state == feedback_pb2.FEEDBACK_STATE_STORED
    first, second = sorted(assessments(mlflow_client, trace_id, "user_feedback"), key=lambda a: a.create_time_ms)
    assert (first.source.source_type, first.source.source_id) == ("HUMAN", user)
    assert (second.source.source_type, second.source.source_id) == ("HUMAN", user)
    # One current vote per user, the earlier kept as history.
    assert (first.assessment_id, first.value, first.valid) == (up.assessment_id, True, False)
    assert (second.assessment_id, second.value, second.valid) == (down.assessment_id, False, True)
    assert second.overrides == first.assessment_id


def test_ratings_with_a_token_are_the_tokens_user(replica, mlflow_client):
    user = f"user-{uuid.uuid4().hex[:8]}"
    trace_id, token = chat_token(replica, user_id=user)
    replica.feedback.SubmitRatings(
        feedback_pb2.SubmitRatingsRequest(
            trace_id=trace_id,
            ratings=[feedback_pb2.DimensionRating(name="accuracy", score=4)],
            feedback_token=token,
            source=feedback_pb2.FeedbackSource(type=HUMAN, id=user),  # agreeing with the token is fine
            wait_until_stored=True,
            request_id=str(uuid.uuid4()),
        ),
        timeout=60,
    )
    [stored] = assessments(mlflow_client, trace_id, "accuracy")
    assert (stored.source.source_type, stored.source.source_id, stored.value) == ("HUMAN", user, 4)


def tampered(token: str) -> str:
    """The token with its user changed and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory"
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def unsigned(token: str) -> str:
    """The token re-sent as `alg: none` (no signature)."""
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"k1"}').rstrip(b"=").decode()
    return f"{none_header}.{token.split('.')[1]}."


# (case, how the request is made from a valid token for trace A and a second stored trace B, code, reason)
REFUSALS = [
    ("tampered", lambda t, a, b: dict(trace_id=a, feedback_token=tampered(t)), "UNAUTHENTICATED", "INVALID"),
    ("malformed", lambda t, a, b: dict(trace_id=a, feedback_token="not.a-token"), "UNAUTHENTICATED", "INVALID"),
    ("alg-none", lambda t, a, b: dict(trace_id=a, feedback_token=unsigned(t)), "UNAUTHENTICATED", "INVALID"),
    (
        "unknown-key",
        lambda t, a, b: dict(trace_id=a, feedback_token=forged(secret="x" * 40, kid="k9", trace=a, sub="u")),
        "UNAUTHENTICATED",
        "INVALID",
    ),
    (
        "wrong-audience",
        lambda t, a, b: dict(trace_id=a, feedback_token=forged(trace=a, sub="u", aud="someone-else")),
        "UNAUTHENTICATED",
        "INVALID",
    ),
    (
        "expired",
        lambda t, a, b: dict(trace_id=a, feedback_token=forged(trace=a, sub="u", exp=int(time.time()) - 3600)),
        "UNAUTHENTICATED",
        "EXPIRED",
    ),
    ("other-trace", lambda t, a, b: dict(trace_id=b, feedback_token=t), "PERMISSION_DENIED", "MISMATCH"),
    (
        "other-client-request-id",
        lambda t, a, b: dict(client_request_id="someone-elses-order", feedback_token=t),
        "PERMISSION_DENIED",
        "MISMATCH",
    ),
    (
        "name-not-allowed",
        lambda t, a, b: dict(trace_id=a, name="secret_score", feedback_token=t),
        "PERMISSION_DENIED",
        "MISMATCH",
    ),
    (
        "other-source-id",
        lambda t, a, b: dict(trace_id=a, feedback_token=t, source=feedback_pb2.FeedbackSource(type=HUMAN, id="bob")),
        "PERMISSION_DENIED",
        "MISMATCH",
    ),
    (
        "other-source-type",
        lambda t, a, b: dict(
            trace_id=a, feedback_token=t, source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_CODE)
        ),
        "PERMISSION_DENIED",
        "MISMATCH",
    ),
]


@pytest.mark.parametrize(("make", "code", "reason"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_each_bad_token_is_refused_with_its_reason_and_changes_nothing(
    replica, mlflow_client, caplog, make, code, reason
):
    trace_a, token = chat_token(replica, user_id="alice")
    trace_b = new_trace(replica)
    fields = make(token, trace_a, trace_b)
    units = journal_units(replica)
    with caplog.at_level(logging.DEBUG), pytest.raises(grpc.RpcError) as failure:
        replica.feedback.SubmitFeedback(
            feedback_pb2.SubmitFeedbackRequest(
                bool_value=True, wait_until_stored=True, request_id=str(uuid.uuid4()), **fields
            ),
            timeout=30,
        )
    assert failure.value.code() == getattr(grpc.StatusCode, code)
    assert error_reason(failure.value) == f"FEEDBACK_TOKEN_{reason}"
    assert journal_units(replica) == units
    assert assessments(mlflow_client, trace_a) == [] and assessments(mlflow_client, trace_b) == []
    assert not any(fields["feedback_token"] in record.getMessage() for record in caplog.records)


def test_ratings_naming_a_dimension_the_token_does_not_allow_record_none(replica, mlflow_client):
    trace_id, _ = chat_token(replica)
    token = replica.feedback.CreateFeedbackToken(
        feedback_pb2.CreateFeedbackTokenRequest(trace_id=trace_id, names=["accuracy"]), timeout=30
    ).feedback_token
    units = journal_units(replica)
    ratings = [feedback_pb2.DimensionRating(name=n, score=3) for n in ("accuracy", "relevance")]
    with pytest.raises(grpc.RpcError) as failure:
        replica.feedback.SubmitRatings(
            feedback_pb2.SubmitRatingsRequest(
                trace_id=trace_id, ratings=ratings, feedback_token=token, request_id=str(uuid.uuid4())
            ),
            timeout=30,
        )
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error_reason(failure.value) == "FEEDBACK_TOKEN_MISMATCH"
    assert journal_units(replica) == units and assessments(mlflow_client, trace_id) == []


def test_a_token_minted_on_one_replica_is_accepted_by_another(replica, other, mlflow_client):
    trace_id, token = chat_token(replica, user_id="carol")
    assert thumb(other, token, trace_id).state == feedback_pb2.FEEDBACK_STATE_STORED
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.source.source_id == "carol"


def test_create_feedback_token_for_a_stored_trace(replica, mlflow_client):
    crid = f"order-{uuid.uuid4()}"
    trace_id = new_trace(replica, user_id="dave", client_request_id=crid)
    by_trace = replica.feedback.CreateFeedbackToken(
        feedback_pb2.CreateFeedbackTokenRequest(trace_id=trace_id), timeout=30
    )
    assert (by_trace.trace_id, by_trace.user_id) == (trace_id, "dave")  # the trace's own user by default
    assert "user_feedback" in by_trace.names and by_trace.expire_time.seconds > time.time() + 23 * 3600
    by_crid = replica.feedback.CreateFeedbackToken(
        feedback_pb2.CreateFeedbackTokenRequest(client_request_id=crid, user_id="erin"), timeout=30
    )
    assert (by_crid.trace_id, by_crid.user_id) == (trace_id, "erin")
    # Addressed by client_request_id, as the token was minted.
    replica.feedback.SubmitFeedback(
        feedback_pb2.SubmitFeedbackRequest(
            client_request_id=crid,
            bool_value=True,
            feedback_token=by_crid.feedback_token,
            wait_until_stored=True,
            request_id=str(uuid.uuid4()),
        ),
        timeout=60,
    )
    [stored] = assessments(mlflow_client, trace_id)
    assert stored.source.source_id == "erin"


def test_create_feedback_token_for_a_chat_still_streaming_here(start_service, keys_file):
    """Its trace cannot be in MLflow before the chat ends: the replica answers from its chats in flight."""
    slow = start_service(feedback_token_keys_file=keys_file, demo_token_delay_ms=200, demo_response_tokens=200)
    call = slow.chat.Chat(chat_pb2.ChatRequest(message="Tell me a long story", user_id="kim"), timeout=120)
    try:
        started = next(call).started
        created = slow.feedback.CreateFeedbackToken(
            feedback_pb2.CreateFeedbackTokenRequest(trace_id=started.trace_id), timeout=30
        )
        assert (created.trace_id, created.user_id) == (started.trace_id, "kim")
        assert claims_of(created.feedback_token)["sub"] == "kim"
    finally:
        call.cancel()


def test_create_feedback_token_for_an_unknown_trace_is_not_found(replica):
    with pytest.raises(grpc.RpcError) as failure:
        replica.feedback.CreateFeedbackToken(
            feedback_pb2.CreateFeedbackTokenRequest(trace_id="tr-" + "0" * 32), timeout=30
        )
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_reason(failure.value) == "TRACE_NOT_FOUND"


def toml_keys(*keys: tuple[str, str, str]) -> str:
    """(id, secret, not_after or "") as the TOML keys file."""
    return "".join(
        f'[[keys]]\nid = "{key_id}"\nsecret = "{secret}"\n' + (f"not_after = {not_after}\n" if not_after else "")
        for key_id, secret, not_after in keys
    )


def replace_text(path, text: str) -> None:
    aside = path.with_suffix(".new")
    aside.write_text(text)
    os.replace(aside, path)


def test_a_kept_verification_still_ends_with_the_tokens_expiry_and_its_keys_grace(tmp_path, monkeypatch):
    """A token seen before skips its signature check, never its exp nor its key's not_after."""
    keys = tmp_path / "keys.toml"
    grace_end = time.time() + 600
    keys.write_text(toml_keys(("k1", SECRET, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(grace_end)))))
    tokens = FeedbackTokens(TokenKeys(keys), ttl_seconds=60, default_names=lambda: ["user_feedback"])
    token = tokens.issue("tr-" + "0" * 32, "frank").token
    grant = tokens.verify(token)
    assert tokens.verify(token) is grant  # kept
    now = time.time()
    monkeypatch.setattr(feedback_tokens.time, "time", lambda: now + 60 + feedback_tokens.LEEWAY_SECONDS + 1)
    with pytest.raises(FeedbackTokenExpired):
        tokens.verify(token)
    monkeypatch.setattr(feedback_tokens.time, "time", lambda: grace_end + 1)
    with pytest.raises(FeedbackTokenInvalid):  # its key's grace is over, though the file is unchanged
        tokens.verify(token)


def test_a_rotated_out_key_is_refused_after_its_grace(start_service, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text(toml_keys(("old", SECRET, "")))
    rotating = start_service(feedback_token_keys_file=keys)
    old_trace, old_token = chat_token(rotating, user_id="frank")

    # Rotation: a new first key signs (within a second); the old one verifies until the end of its grace.
    grace_end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    replace_text(keys, toml_keys(("new", NEXT_SECRET, ""), ("old", SECRET, grace_end)))
    new_trace_id, new_token = eventually(lambda: signed_by("new", chat_token(rotating, user_id="frank")))
    assert thumb(rotating, old_token, old_trace, True).state == feedback_pb2.FEEDBACK_STATE_STORED

    def refusal_of(token: str, trace_id: str) -> grpc.RpcError | None:
        try:
            thumb(rotating, token, trace_id, False)
        except grpc.RpcError as refused:
            return refused
        return None

    # The grace is over: the old key's tokens are refused, the new key's accepted.
    replace_text(keys, toml_keys(("new", NEXT_SECRET, ""), ("old", SECRET, "2000-01-01T00:00:00Z")))
    eventually(lambda: refusal_of(old_token, old_trace))  # within a second
    units = journal_units(rotating)
    refused = refusal_of(old_token, old_trace)
    assert refused is not None and refused.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(refused) == "FEEDBACK_TOKEN_INVALID"
    assert journal_units(rotating) == units
    assert thumb(rotating, new_token, new_trace_id, True).state == feedback_pb2.FEEDBACK_STATE_STORED

    # Removed from the file: refused as well. A half-written file keeps the keys loaded before.
    replace_text(keys, toml_keys(("new", NEXT_SECRET, "")))
    assert error_reason(refusal_of(old_token, old_trace)) == "FEEDBACK_TOKEN_INVALID"
    replace_text(keys, '[[keys]]\nid = "new"\nsecr')
    time.sleep(1.5)  # ok: past the recheck period, so the next vote's check reads the broken file
    assert thumb(rotating, new_token, new_trace_id, False).state == feedback_pb2.FEEDBACK_STATE_STORED


def signed_by(key_id: str, chat: tuple[str, str]) -> tuple[str, str] | None:
    """(trace id, token) of a chat if its token is signed with `key_id`."""
    return chat if jwt.get_unverified_header(chat[1])["kid"] == key_id else None


def test_without_keys_no_token_is_issued_and_token_bearing_feedback_is_refused(service, mlflow_client):
    trace_id, token = chat_token(service, user_id="gina")
    assert token == ""
    created = service.feedback.CreateFeedbackToken(
        feedback_pb2.CreateFeedbackTokenRequest(trace_id=trace_id), timeout=30
    )
    assert (created.feedback_token, created.trace_id, created.user_id) == ("", trace_id, "")
    units = journal_units(service)
    with pytest.raises(grpc.RpcError) as failure:
        thumb(service, forged(trace=trace_id, sub="gina"), trace_id)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(failure.value) == "FEEDBACK_TOKEN_INVALID"
    assert "no --feedback-token-keys-file" in failure.value.details()
    assert journal_units(service) == units and assessments(mlflow_client, trace_id) == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[[keys]]\nid = "k"\nsecret = "short-secret"\n', "at least 32 bytes"),
        (f'[[keys]]\nid = "k"\nsecret = "{SECRET}"\n[[keys]]\nid = "k"\nsecret = "{SECRET}"\n', "distinct"),
        ("keys = []\n", "keys"),
        ("this is not TOML", "not valid JSON or TOML"),
    ],
)
def test_an_unusable_keys_file_stops_the_start_with_its_reason_and_no_secret(tmp_path, content, problem):
    keys = tmp_path / "keys.toml"
    keys.write_text(content)
    with pytest.raises(SystemExit) as stop:
        entry_point.main(["--feedback-token-keys-file", str(keys), "--mlflow-tracking-uri", "http://127.0.0.1:9"])
    assert problem in str(stop.value) and SECRET not in str(stop.value) and "short-secret" not in str(stop.value)


def test_the_python_client_carries_the_token_from_chat_to_feedback(replica, mlflow_client):
    with FeedbackClient(replica.target) as client:
        with client.chat("What is MLflow?", user_id="hana") as stream:
            text = "".join(stream)
        assert text and stream.feedback_token and claims_of(stream.feedback_token)["sub"] == "hana"
        replica.wait_stored(stream.trace_id)
        voted = client.thumbs_up(trace_id=stream.trace_id, feedback_token=stream.feedback_token, wait_until_stored=True)
        assert voted.state == "STORED"

        result = client.complete("And tracing?")
        replica.wait_stored(result.trace_id)
        minted = client.create_feedback_token(trace_id=result.trace_id, user_id="ivan", names=["accuracy"])
        assert (minted.trace_id, minted.user_id, minted.names) == (result.trace_id, "ivan", ("accuracy",))
        assert minted.expire_time is not None and minted.expire_time > datetime.now(UTC)
        client.rate_dimensions(
            trace_id=result.trace_id, ratings={"accuracy": 5}, feedback_token=minted.token, wait_until_stored=True
        )
        with pytest.raises(FeedbackServiceError) as refused:
            client.thumbs_down(trace_id=result.trace_id, feedback_token=minted.token)  # the name is not allowed
        assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert refused.value.reason == ErrorReason.FEEDBACK_TOKEN_MISMATCH
        assert refused.value.metadata["mismatch"] == "name"
        assert result.feedback_token and claims_of(result.feedback_token)["trace"] == result.trace_id
    assert [a.source.source_id for a in assessments(mlflow_client, stream.trace_id)] == ["hana"]
    assert [a.source.source_id for a in assessments(mlflow_client, result.trace_id)] == ["ivan"]
