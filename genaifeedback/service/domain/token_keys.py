"""The feedback tokens' signing keys: a file shared by the replicas, reloaded when it changes.

The file (TOML, or JSON if its name ends in `.json`) lists keys, newest first:

    [[keys]]
    id = "2026-12"
    secret = "..."                      # at least 32 bytes (HS256 wants 256 bits)
    [[keys]]
    id = "2026-11"
    secret = "..."
    not_after = 2026-12-15T00:00:00Z    # the end of its grace: refused from then on

The first key signs; every listed key verifies until its `not_after`. A key removed from the
file verifies nothing. At most once a second (recheck.py), a use compares the file's modification
time, size and inode with the last load (one `stat`, no read); a change is read, parsed and
checked, and a bad file (a rotation caught half way) keeps the last good keys with one warning, so
that new keys take effect within a second of the file being complete.
"""

import json
import logging
import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from genaifeedback.service.domain.recheck import RECHECK_SECONDS, Recheck

logger = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32


class TokenKeysError(Exception):
    """The keys file cannot be used; the message says why (never the secrets)."""


class _Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    secret: str
    not_after: datetime | None = None

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: str) -> str:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return secret

    @field_validator("not_after")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        # A time without an offset is read as UTC: replicas in other zones must agree on it.
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


class _KeysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[_Key] = Field(min_length=1)


@dataclass(frozen=True)
class SigningKey:
    id: str
    secret: bytes
    not_after: float | None  # epoch seconds; None: until removed from the file

    def usable(self, now: float) -> bool:
        return self.not_after is None or now < self.not_after


@dataclass(frozen=True)
class KeySet:
    keys: tuple[SigningKey, ...]

    @property
    def signing(self) -> SigningKey:
        return self.keys[0]

    def verifying(self, key_id: str, now: float) -> SigningKey | None:
        """The key with this id, if it is listed and not past its grace."""
        for key in self.keys:
            if key.id == key_id:
                return key if key.usable(now) else None
        return None


def parse(path: Path) -> KeySet:
    """The keys in a file; TokenKeysError says what is wrong with it."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TokenKeysError(f"cannot read the feedback token keys file {path}: {error.strerror}") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
        if isinstance(data, list):  # JSON: a bare list of keys is fine too
            data = {"keys": data}
        parsed = _KeysFile.model_validate(data)
    except (ValueError, UnicodeDecodeError) as error:
        # Only locations and messages: pydantic's errors may quote the input, which holds secrets.
        problems = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            if isinstance(error, ValidationError)
            else "not valid JSON or TOML"
        )
        raise TokenKeysError(f"feedback token keys file {path}: {problems}") from None
    ids = [key.id for key in parsed.keys]
    if len(set(ids)) != len(ids):
        raise TokenKeysError(f"feedback token keys file {path}: key ids must be distinct")
    return KeySet(
        tuple(
            SigningKey(key.id, key.secret.encode(), key.not_after.timestamp() if key.not_after else None)
            for key in parsed.keys
        )
    )


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


class TokenKeys:
    """The keys in force, from `path`, re-read when the file changes."""

    def __init__(self, path: Path, recheck_seconds: float = RECHECK_SECONDS):
        self._path = path
        self._recheck = Recheck(recheck_seconds)
        self._seen = _signature(path)
        self._keys = parse(path)  # at start a bad file stops the service: raises TokenKeysError
        self._warned_for: tuple[int, int, int] | None = None
        keys = self._keys
        logger.info("feedback tokens: %d keys from %s, signing with %s", len(keys.keys), path, keys.signing.id)

    def current(self) -> KeySet:
        if not self._recheck.due():
            return self._keys
        signature = _signature(self._path)
        if signature is not None and signature != self._seen:
            try:
                keys = parse(self._path)
            except TokenKeysError as error:
                if signature != self._warned_for:
                    self._warned_for = signature
                    logger.warning("%s; keeping the keys loaded before", error)
                return self._keys
            self._seen, self._keys = signature, keys
            logger.info("feedback token keys reloaded: %d keys, signing with %s", len(keys.keys), keys.signing.id)
        return self._keys
