"""Feedback tokens: what lets an end user rate one answer and nothing else.

A token is a JWT (HS256, the signing key's id in the `kid` header) bound to one trace (and the
chat's client_request_id, if any), one end user and the feedback names allowed. Any replica holding
the keys file verifies it without a lookup. With a token, the feedback's source is the token's user
(HUMAN): the existing vote chain, keyed by source id, keeps one current vote per user.

Without a keys file no token is issued (the fields stay empty) and every token is refused as
FEEDBACK_TOKEN_INVALID: a token this replica cannot verify is, for it, not a token.
Tokens and secrets are never logged, nor put in an error's message or metadata.

An answer's token comes back with each of its writes (the vote, a changed vote, a rating, retries),
and checking a signature costs more than the rest of an acknowledgement: a verified token's grant is
kept (bounded, least recently used) while the same keys are in force; its expiry and its key's
not_after are still checked on every use.
"""

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jwt

from genaifeedback.service.domain.errors import FeedbackTokenExpired, FeedbackTokenInvalid, FeedbackTokenMismatch
from genaifeedback.service.domain.feedback import FeedbackInput, Target
from genaifeedback.service.domain.lru import BoundedLru
from genaifeedback.service.domain.token_keys import KeySet, TokenKeys

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
ISSUER = "genaifeedback"
# Its own audience: a token minted here is never mistaken for a caller's bearer token, nor back.
AUDIENCE = "genaifeedback:feedback"
# Replicas' clocks differ a little; a token's life is hours, so a few seconds change nothing.
LEEWAY_SECONDS = 30
ANONYMOUS_PREFIX = "anonymous-"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "trace", "names"]
VERIFIED_TOKENS_KEPT = 16384  # recent answers' tokens; a few MB at most


@dataclass(frozen=True)
class Grant:
    """What a token allows: feedback on this trace, as this user, under these names."""

    trace_id: str
    user_id: str
    names: tuple[str, ...]
    expires: float  # epoch seconds
    client_request_id: str = ""


@dataclass(frozen=True)
class IssuedToken:
    token: str  # "" when this service issues none
    grant: Grant


def anonymous_user() -> str:
    """An end user without an id: the token's own (each such token is its own rater)."""
    return ANONYMOUS_PREFIX + uuid.uuid4().hex


class FeedbackTokens:
    def __init__(self, keys: TokenKeys | None, ttl_seconds: float, default_names: Callable[[], Sequence[str]]):
        self._keys = keys
        self._ttl = ttl_seconds
        self._default_names = default_names  # the configured list, or the schemas' names at the time
        self._warned_key = ""
        self._verified: BoundedLru[str, tuple[KeySet, str, Grant]] = BoundedLru(VERIFIED_TOKENS_KEPT)  # keys, kid

    def issue(
        self, trace_id: str, user_id: str = "", client_request_id: str = "", names: Sequence[str] = ()
    ) -> IssuedToken:
        if self._keys is None:  # no keys, no token: nothing is bound to anyone
            return IssuedToken("", Grant(trace_id, "", (), 0.0, client_request_id))
        now = time.time()
        key = self._keys.current().signing
        expires = int(now + self._ttl)
        if key.not_after is not None:
            expires = min(expires, int(key.not_after))  # refused from then on anyway: say so in `exp`
        grant = Grant(
            trace_id=trace_id,
            user_id=user_id or anonymous_user(),
            names=tuple(sorted(set(names or self._default_names()))),
            expires=float(expires),
            client_request_id=client_request_id,
        )
        if not key.usable(now):
            if self._warned_key != key.id:
                self._warned_key = key.id
                logger.warning("the first feedback token key (%s) is past its not_after: no tokens issued", key.id)
            return IssuedToken("", grant)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": grant.user_id,
            "trace": grant.trace_id,
            "names": list(grant.names),
            "iat": int(now),
            "exp": expires,
        }
        if client_request_id:
            claims["crid"] = client_request_id
        return IssuedToken(jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.id}), grant)

    def verify(self, token: str) -> Grant:
        """The grant of a token this service issued and still accepts; else FEEDBACK_TOKEN_INVALID
        or FEEDBACK_TOKEN_EXPIRED."""
        if self._keys is None:
            raise FeedbackTokenInvalid(
                "this service takes no feedback tokens (no --feedback-token-keys-file): send the feedback without one"
            )
        keys = self._keys.current()
        now = time.time()
        kept = self._verified.get(token)
        if kept is None or kept[0] is not keys:
            key_id, grant = self._verify(token, keys, now)
            self._verified.put(token, (keys, key_id, grant))
            return grant
        _, key_id, grant = kept
        if keys.verifying(key_id, now) is None:
            raise _rotated_out()
        if now > grant.expires + LEEWAY_SECONDS:
            raise FeedbackTokenExpired("the feedback token has expired: ask for a new one")
        return grant

    def _verify(self, token: str, keys: KeySet, now: float) -> tuple[str, Grant]:
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            raise FeedbackTokenInvalid("the feedback token is malformed") from None
        key = keys.verifying(key_id, now) if isinstance(key_id, str) else None
        if key is None:
            raise _rotated_out()
        try:
            claims = jwt.decode(
                token,
                key.secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise FeedbackTokenExpired("the feedback token has expired: ask for a new one") from None
        except jwt.InvalidTokenError:
            raise FeedbackTokenInvalid("the feedback token is invalid (tampered with, or not one of ours)") from None
        return key.id, _grant(claims)

    def bind(self, token: str, target: Target, feedbacks: list[FeedbackInput]) -> list[FeedbackInput]:
        """The feedback as the token's user gives it, if the token allows it (verified first)."""
        grant = self.verify(token)
        if target.trace_id != grant.trace_id and not (
            grant.client_request_id and target.client_request_id == grant.client_request_id
        ):
            raise FeedbackTokenMismatch(
                f"the feedback token is for another trace than {target.describe()}", mismatch="trace"
            )
        for feedback in feedbacks:
            if feedback.name not in grant.names:
                raise FeedbackTokenMismatch(
                    f"the feedback token does not allow the feedback name {feedback.name!r}",
                    mismatch="name",
                    name=feedback.name,
                )
            if feedback.source_type != "HUMAN" or feedback.source_id not in ("", grant.user_id):
                raise FeedbackTokenMismatch(
                    "with a feedback token the source is the token's user (HUMAN): leave `source` unset",
                    mismatch="source",
                )
        return [replace(feedback, source_type="HUMAN", source_id=grant.user_id) for feedback in feedbacks]


def _rotated_out() -> FeedbackTokenInvalid:
    return FeedbackTokenInvalid(
        "the feedback token is signed by a key this service does not hold (unknown, or rotated out)"
    )


def _grant(claims: dict[str, Any]) -> Grant:
    """The claims as a grant; ours are well formed, so anything else is a forgery or a bug."""
    trace_id, user_id, names, crid = claims["trace"], claims["sub"], claims["names"], claims.get("crid", "")
    well_formed = (
        isinstance(trace_id, str)
        and isinstance(user_id, str)
        and isinstance(crid, str)
        and isinstance(names, list)
        and all(isinstance(name, str) for name in names)
    )
    if not well_formed:
        raise FeedbackTokenInvalid("the feedback token is invalid (tampered with, or not one of ours)")
    return Grant(trace_id, user_id, tuple(names), float(claims["exp"]), crid)
