"""The one check every application call goes through, in the call scope (calls.py), before its
request is validated: authentication (who), then scope (may it call this method), then, for a
request that writes feedback, its source (may it write for that source type and id, and without a
feedback token at all).

Refusals raise before any handler work, so a caller without access learns nothing about which
traces or feedback exist (PERMISSION_DENIED, never NOT_FOUND), and nothing is journaled.
"""

from __future__ import annotations

import ipaddress
import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from google.protobuf.message import Message

from genaifeedback.service.domain.errors import ScopeMissing, ServiceError, SourceNotAllowed
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.transport.auth import policy as policy_file
from genaifeedback.service.transport.auth.identity import (
    Identifier,
    LinkerdIdentity,
    MtlsIdentity,
    NoIdentity,
    XfccIdentity,
)
from genaifeedback.service.transport.auth.jwt_identity import JwksFile, JwksFileError, JwtIdentity
from genaifeedback.service.transport.auth.policy import Policy, PolicyFileError
from genaifeedback.service.transport.auth.scopes import Scope
from genaifeedback.v1 import analytics_pb2, chat_pb2, feedback_pb2

if TYPE_CHECKING:
    from genaifeedback.service.process.config import Settings
    from genaifeedback.service.transport.context import Context

logger = logging.getLogger(__name__)

MAX_METADATA_CHARS = 200  # ErrorInfo metadata stays small (a principal is bounded, but long)
_FEEDBACK_SOURCE = feedback_pb2.FeedbackSource.DESCRIPTOR
# HUMAN, LLM_JUDGE, CODE by their numbers, as the policy file names them (an unknown number: "").
_SOURCE_TYPE_NAMES = {number: name.removeprefix("SOURCE_TYPE_") for name, number in feedback_pb2.SourceType.items()}

# The principal of the call being served (for whatever runs inside the call scope, such as logs).
current_principal: ContextVar[str] = ContextVar("current_principal", default="")


class AccessConfigError(ValueError):
    """Settings under which the service must not start: the message says which and why."""


class Access:
    def __init__(self, identifier: Identifier, policy: Policy, metrics: Metrics | None = None):
        self.identifier, self.policy, self._metrics = identifier, policy, metrics

    @property
    def open(self) -> bool:
        """No identity and no policy: every call is let through without a look (the defaults)."""
        return isinstance(self.identifier, NoIdentity) and self.policy.grants is None

    def check(self, scope: Scope | None, request: Any, context: Context) -> str:
        """The call's principal, if it may make this call; raises Unauthenticated or PermissionDenied."""
        if self.open:
            return ""
        try:
            principal = self.identifier.principal(context)
            current_principal.set(principal)
            grant = self.policy.grant_of(principal)
            if scope is None or scope not in grant.scopes:
                raise ScopeMissing(
                    f"{_short(principal)} lacks the scope {scope or '(undeclared)'} this method requires",
                    principal=_short(principal),
                    scope=str(scope or ""),
                )
            source = _source(request)
            if source is not None and not grant.may_write_for(*source):
                raise SourceNotAllowed(
                    f"{_short(principal)} may not write feedback as a {source[0]} source with this source id",
                    principal=_short(principal),
                )
            if source is not None and grant.feedback_token_required and not getattr(request, "feedback_token", ""):
                raise SourceNotAllowed(
                    f"{_short(principal)} may write feedback only with a feedback token", principal=_short(principal)
                )
        except ServiceError as refused:
            if self._metrics is not None:
                self._metrics.auth_failures.labels(reason=refused.reason).inc()
            logger.debug("refused: %s", refused.reason)  # never the credentials
            raise
        return principal


def _source_writers() -> frozenset[type]:
    """The contract's message types that write feedback for a source: those with a FeedbackSource `source`."""
    return frozenset(
        kind
        for module in (chat_pb2, feedback_pb2, analytics_pb2)
        for kind in vars(module).values()
        if isinstance(kind, type)
        and issubclass(kind, Message)
        and (field := kind.DESCRIPTOR.fields_by_name.get("source")) is not None
        and field.message_type is _FEEDBACK_SOURCE
    )


# Looked up by type: reading a message's descriptor on every call cost more than the rest of the check.
_SOURCE_WRITERS = _source_writers()


def _source(request: Any) -> tuple[str, str] | None:
    """(type name, id) of the feedback source a request writes for; None if it writes none."""
    if type(request) not in _SOURCE_WRITERS:
        return None
    source: feedback_pb2.FeedbackSource = request.source
    type_value = source.type or feedback_pb2.SOURCE_TYPE_HUMAN  # unset means HUMAN, as validation says
    return _SOURCE_TYPE_NAMES.get(type_value, ""), source.id


def _short(value: str) -> str:
    return value if len(value) <= MAX_METADATA_CHARS else value[: MAX_METADATA_CHARS - 1] + "…"


def is_loopback(listen_address: str) -> bool:
    """Only local processes can connect: a loopback IP, `localhost`, or a Unix socket."""
    if listen_address.startswith(("unix:", "unix-abstract:")):
        return True
    host = listen_address.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a routable address


def build(settings: Settings, metrics: Metrics | None = None) -> Access:
    """The access check the settings ask for; raises AccessConfigError rather than start unsafely."""
    mode = settings.identity_mode
    if mode == "none" and not is_loopback(settings.listen_address) and not settings.allow_unauthenticated_network:
        raise AccessConfigError(
            f"--identity-mode none on {settings.listen_address}, which is not a loopback address: anyone who can "
            "reach it could call everything. Choose an identity mode, or say --allow-unauthenticated-network"
        )
    identifier: Identifier
    if mode == "none":
        identifier = NoIdentity()
    elif mode == "mtls":
        identifier = MtlsIdentity()
    elif mode == "mesh-xfcc":
        identifier = XfccIdentity()
    elif mode == "mesh-linkerd":
        identifier = LinkerdIdentity()
    else:
        assert settings.jwt_jwks_file is not None  # the settings' own check
        try:
            keys = JwksFile(settings.jwt_jwks_file, settings.jwt_algorithms)
        except JwksFileError as error:
            raise AccessConfigError(str(error)) from None
        identifier = JwtIdentity(keys, settings.jwt_issuer, settings.jwt_audience, settings.jwt_leeway_seconds)
        if settings.tls_cert_file is None and not is_loopback(settings.listen_address):
            logger.warning(
                "bearer tokens arrive in plaintext on %s: only safe if a mesh encrypts the hop", settings.listen_address
            )
    try:
        policy = policy_file.load(settings.policy_file)
    except PolicyFileError as error:
        raise AccessConfigError(str(error)) from None
    return Access(identifier, policy, metrics)


def describe(access: Access) -> str:
    """The start-up log line: the identity mode and the policy in force."""
    return f"caller identity: {access.identifier.mode}; policy: {access.policy.source}"
