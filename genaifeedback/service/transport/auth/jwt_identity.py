"""Caller identity from a bearer token (`authorization: Bearer <JWT>`), verified with PyJWT against
the keys of a local JWKS file: nothing is fetched per request.

Fixed algorithms (--jwt-algorithms; never `none`, never an HMAC one: the keys are public), and the
key the token's `kid` names must be of that algorithm. `iss`, `aud`, `exp` and `sub` are required;
`sub` is the principal. Clocks may differ by --jwt-leeway-seconds. The file is re-read when it
changes (a stat at most once a second: domain/recheck.py); a file that does not load leaves the
previous keys in force, with one warning. Tokens are never logged.

A backend sends the same token on every call until it renews it, and a signature check costs more
than the rest of an acknowledgement: a verified token's claims are kept (bounded, least recently
used) for as long as the same keys are in force. A kept token is still refused once `exp` passes;
any change of the JWKS file verifies every token afresh.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt

from genaifeedback.service.domain.errors import CredentialsExpired, CredentialsInvalid, CredentialsMissing
from genaifeedback.service.domain.lru import BoundedLru
from genaifeedback.service.domain.recheck import RECHECK_SECONDS, Recheck
from genaifeedback.service.transport.auth.identity import MAX_PRINCIPAL_CHARS, metadata_values

if TYPE_CHECKING:
    from genaifeedback.service.transport.context import Context

logger = logging.getLogger(__name__)

AUTHORIZATION_HEADER = "authorization"
# Asymmetric only: an HMAC algorithm would let anyone holding the public JWKS sign tokens.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
REQUIRED_CLAIMS = ["iss", "aud", "exp", "sub"]

_Stamp = tuple[int, int, int, int]
_UNREADABLE: _Stamp = (-1, -1, -1, -1)
VERIFIED_TOKENS_KEPT = 4096  # callers (tokens) whose verification is reused; a few MB at most


class JwksFileError(ValueError):
    """A JWKS file that cannot serve: unreadable, not JSON, or without a usable key."""


@dataclass(frozen=True)
class _Keys:
    stamp: _Stamp
    by_id: dict[str | None, jwt.PyJWK]  # None: the one key of a file whose key has no `kid`


class JwksFile:
    def __init__(self, path: Path, algorithms: Sequence[str], recheck_seconds: float = RECHECK_SECONDS):
        self.path = path
        self.algorithms = tuple(algorithms)
        self._recheck = Recheck(recheck_seconds)
        try:
            self._keys = self._load(self._stamp())  # at start, a bad file stops the start
        except OSError as error:
            raise JwksFileError(f"cannot read {self.path}: {error.strerror}") from None
        self._failed: _Stamp | None = None

    def keys(self) -> dict[str | None, jwt.PyJWK]:
        """The keys in force, re-read first if the file changed (a new dict whenever they change)."""
        if not self._recheck.due():
            return self._keys.by_id
        try:
            stamp = self._stamp()
        except OSError as error:  # gone, or caught mid-rotation: keep the keys we have
            self._refused(_UNREADABLE, f"cannot read {self.path}: {error.strerror}")
            return self._keys.by_id
        if stamp == self._keys.stamp:
            self._failed = None  # back as it was loaded (a file restored)
        elif stamp != self._failed:
            try:
                self._keys = self._load(stamp)
                self._failed = None
                logger.info("JWKS file %s changed: %d keys in force", self.path, len(self._keys.by_id))
            except (OSError, JwksFileError) as error:
                self._refused(stamp, str(error))
        return self._keys.by_id

    def _refused(self, stamp: _Stamp, reason: str) -> None:
        if stamp != self._failed:  # once per state of the file, not once per call
            logger.warning("JWKS file not (re)loaded, the previous keys stay in force: %s", reason)
        self._failed = stamp

    def _stamp(self) -> _Stamp:
        stat = os.stat(self.path)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev)

    def _load(self, stamp: _Stamp) -> _Keys:
        try:
            data = json.loads(self.path.read_bytes())
            key_set = jwt.PyJWKSet.from_dict(data)
        except (ValueError, TypeError, jwt.PyJWKSetError) as error:
            raise JwksFileError(f"{self.path}: not a JWKS file with a usable key ({error})") from None
        usable = [key for key in key_set.keys if key.algorithm_name in self.algorithms]
        if not usable:
            raise JwksFileError(f"{self.path}: no key for the algorithms {', '.join(self.algorithms)}")
        by_id: dict[str | None, jwt.PyJWK] = {key.key_id: key for key in usable if key.key_id}
        if len(usable) == 1 and not usable[0].key_id:
            by_id[None] = usable[0]
        return _Keys(stamp, by_id)


class JwtIdentity:
    mode = "jwt"

    def __init__(self, keys: JwksFile, issuer: str, audience: str, leeway_seconds: float):
        self._keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway_seconds
        # token -> (the keys it was verified with, its claims, when it expires)
        self._verified: BoundedLru[str, tuple[dict[str | None, jwt.PyJWK], dict[str, Any], float]] = BoundedLru(
            VERIFIED_TOKENS_KEPT
        )

    def principal(self, context: Context) -> str:
        values = metadata_values(context, AUTHORIZATION_HEADER)
        if not values:
            raise CredentialsMissing("no bearer token (metadata `authorization: Bearer <JWT>`)")
        scheme, _, token = values[0].partition(" ")
        if len(values) > 1 or scheme.lower() != "bearer" or not token.strip():
            raise CredentialsInvalid("`authorization` must be one `Bearer <JWT>`")
        claims = self.verify(token.strip())
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > MAX_PRINCIPAL_CHARS:
            raise CredentialsInvalid("the token's `sub` is not a usable principal")
        return subject

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, if it is valid now; raises CredentialsInvalid or CredentialsExpired."""
        keys = self._keys.keys()
        kept = self._verified.get(token)
        if kept is not None and kept[0] is keys:
            if time.time() > kept[2]:
                raise CredentialsExpired("the bearer token has expired")
            return kept[1]
        claims = self._verify(token, keys)
        self._verified.put(token, (keys, claims, int(claims["exp"]) + self.leeway))  # int(), as PyJWT reads it
        return claims

    def _verify(self, token: str, keys: dict[str | None, jwt.PyJWK]) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise CredentialsInvalid("the bearer token is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self._keys.algorithms:
            raise CredentialsInvalid(f"the token's algorithm is not one of {', '.join(self._keys.algorithms)}")
        kid = header.get("kid")
        key = keys.get(kid if isinstance(kid, str) else None)
        if key is None:
            raise CredentialsInvalid("the token's key id (kid) is not in the JWKS file")
        if key.algorithm_name != algorithm:  # a key serves its own algorithm only
            raise CredentialsInvalid("the token's algorithm is not its key's")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise CredentialsExpired("the bearer token has expired") from None
        except jwt.InvalidTokenError as error:  # PyJWT's messages name the check, never the token
            raise CredentialsInvalid(f"the bearer token was refused: {error}") from None
        return claims
