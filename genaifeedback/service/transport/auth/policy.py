"""The policy file (--policy-file, TOML): which principal gets which scopes, and for which feedback
sources it may write. Once a policy is loaded, whatever it does not grant is refused.

    [principals."spiffe://prod.example/ns/web/sa/chat-backend"]
    scopes = ["chat", "feedback:write", "feedback:read"]
    source_types = ["HUMAN"]          # optional: any type when absent
    source_ids = ["user-*"]           # optional: shell-style patterns ("" is no id); any id when absent
    feedback_token_required = false   # optional: true = it writes feedback only with a feedback token
    limits = { chat = "20/minute", "feedback:write" = "100/minute" }  # optional: calls per scope

    [default]                         # optional: limits for principals that set none for a scope
    limits = { "feedback:write" = "50/minute" }

Without a policy every identified caller has every scope, as before identities existed. A scope's
limit is the principal's own, else [default]'s, else --rate-limit-per-principal's (domain/rate_limits.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationError

from genaifeedback.service.domain.rate_limits import parse_limit
from genaifeedback.service.transport.auth.scopes import Scope

SourceTypeName = Literal["HUMAN", "LLM_JUDGE", "CODE"]


def _limit(text: str) -> str:
    parse_limit(text)  # a bad limit stops the start, saying what is expected
    return text


Limits = dict[Scope, Annotated[str, AfterValidator(_limit)]]


class PolicyFileError(ValueError):
    """A policy file that cannot be used: the service does not start with it."""


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scopes: frozenset[Scope] = Field(description="the scopes this principal has")
    source_types: frozenset[SourceTypeName] | None = Field(
        None, description="the source types it may write feedback as (absent: any)"
    )
    source_ids: tuple[str, ...] | None = Field(
        None, description="patterns (fnmatch, case-sensitive) of the source ids it may write for (absent: any)"
    )
    # For a principal that speaks for end users it cannot vouch for (a browser page): each feedback is
    # then the token's user's, on the token's trace, never a source the caller names.
    feedback_token_required: StrictBool = Field(
        False, description="every feedback it writes must carry a feedback token (CorrectFeedback takes none)"
    )

    limits: Limits = Field(default_factory=dict, description="calls per window under each scope, e.g. 100/minute")

    def may_write_for(self, source_type: str, source_id: str) -> bool:
        if self.source_types is not None and source_type not in self.source_types:
            return False
        return self.source_ids is None or any(fnmatchcase(source_id, pattern) for pattern in self.source_ids)


class _Default(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limits: Limits = Field(default_factory=dict)


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    principals: dict[str, Grant] = Field(default_factory=dict)
    default: _Default = Field(default_factory=_Default)


# Without a policy: every scope, every source (the behaviour before identities).
UNRESTRICTED = Grant(scopes=frozenset(Scope))
_NOTHING = Grant(scopes=frozenset())


@dataclass(frozen=True)
class Policy:
    source: str  # where it came from, for the start-up log line
    grants: dict[str, Grant] | None  # None: no policy, everything allowed
    default_limits: Limits = field(default_factory=dict)

    @property
    def has_limits(self) -> bool:
        return bool(self.default_limits) or any(grant.limits for grant in (self.grants or {}).values())

    def limit_of(self, principal: str, scope: str) -> str | None:
        """The principal's rate limit under the scope, as the file gives it (None: the file gives none)."""
        key = Scope(scope)
        return self.grant_of(principal).limits.get(key) or self.default_limits.get(key)

    def grant_of(self, principal: str) -> Grant:
        if self.grants is None:
            return UNRESTRICTED
        return self.grants.get(principal, _NOTHING)


OPEN_POLICY = Policy("no policy file: every caller has every scope", None)


def load(path: Path | None) -> Policy:
    """The policy in force; raises PolicyFileError saying what is wrong with the file."""
    if path is None:
        return OPEN_POLICY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyFileError(f"cannot read {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PolicyFileError(f"{path}: not TOML: {error}") from None
    try:
        parsed = _PolicyFile.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
        )
        raise PolicyFileError(f"{path}: {problems}") from None
    if "" in parsed.principals:
        raise PolicyFileError(f"{path}: a principal name must not be empty")
    return Policy(f"{path}: {len(parsed.principals)} principals", dict(parsed.principals), dict(parsed.default.limits))
