"""Caller identity, one mode per service (--identity-mode): who the principal of a call is.

- `none`: no identity; every caller is the principal `anonymous`.
- `mtls`: the client certificate gRPC verified in the handshake: its SPIFFE id, else its common name.
- `mesh-xfcc`: the URI of the LAST element of `x-forwarded-client-cert`, the one the sidecar
  (Envoy, Istio) verified and appended; earlier elements came from the caller and are not trusted.
- `mesh-linkerd`: `l5d-client-id`, which the Linkerd proxy sets from the mTLS peer (and strips
  from what the caller sent).
- `jwt`: jwt_identity.py.

An identifier raises CredentialsMissing / CredentialsInvalid; it never logs what it read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

from genaifeedback.service.domain.errors import CredentialsInvalid, CredentialsMissing

if TYPE_CHECKING:
    from genaifeedback.service.transport.context import Context

ANONYMOUS = "anonymous"
XFCC_HEADER = "x-forwarded-client-cert"
LINKERD_HEADER = "l5d-client-id"
MAX_PRINCIPAL_CHARS = 1024
# A Linkerd identity is a DNS-like name: web.default.serviceaccount.identity.linkerd.cluster.local
_LINKERD_ID = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")


class Identifier(Protocol):
    mode: str

    def principal(self, context: Context) -> str: ...


def metadata_values(context: Context, key: str) -> list[str]:
    """Every value the call's metadata holds for `key` (lowercase), in order."""
    return [
        value if isinstance(value, str) else value.decode("latin-1")
        for name, value in context.invocation_metadata() or ()
        if name == key
    ]


class NoIdentity:
    mode = "none"

    def principal(self, context: Context) -> str:
        return ANONYMOUS


class MtlsIdentity:
    """The peer certificate gRPC verified against --tls-client-ca-file."""

    mode = "mtls"

    def principal(self, context: Context) -> str:
        auth = context.auth_context()
        for key in ("peer_spiffe_id", "x509_common_name"):  # gRPC sets the first for one spiffe:// URI SAN
            values = list(auth.get(key) or ())
            if len(values) == 1 and values[0]:
                return _bounded(values[0].decode("utf-8", "replace"))
        if not auth.get("x509_pem_cert"):
            raise CredentialsMissing("no client certificate")  # unreachable while mTLS requires one
        raise CredentialsInvalid("the client certificate has neither a SPIFFE id nor a common name")


class XfccIdentity:
    mode = "mesh-xfcc"

    def principal(self, context: Context) -> str:
        values = metadata_values(context, XFCC_HEADER)
        if not values:
            raise CredentialsMissing(f"no {XFCC_HEADER} header (is the call coming through the mesh?)")
        try:
            elements = parse_xfcc(",".join(values))
        except ValueError as error:
            raise CredentialsInvalid(f"{XFCC_HEADER} does not parse: {error}") from None
        uris = elements[-1].get("uri", [])  # the hop the sidecar verified: the last one only
        if not uris or not uris[0]:
            raise CredentialsInvalid(f"the last {XFCC_HEADER} element has no URI")
        return _bounded(uris[0])


class LinkerdIdentity:
    mode = "mesh-linkerd"

    def principal(self, context: Context) -> str:
        values = metadata_values(context, LINKERD_HEADER)
        if not values:
            raise CredentialsMissing(f"no {LINKERD_HEADER} header (is the caller meshed?)")
        if len(values) > 1 or not _LINKERD_ID.fullmatch(values[0]):
            raise CredentialsInvalid(f"{LINKERD_HEADER} is not one identity name")
        return values[0]


def parse_xfcc(header: str) -> list[dict[str, list[str]]]:
    """Envoy's x-forwarded-client-cert: elements separated by `,`, each `key=value` pairs separated
    by `;`; a value may be double-quoted (then `,` `;` `=` are literal, and `\\` escapes). Keys are
    case-insensitive (returned lowercase); a key may repeat (several URI SANs). Raises ValueError."""
    elements: list[dict[str, list[str]]] = []
    pairs: dict[str, list[str]] = {}
    key: str | None = None
    text: list[str] = []
    quoted = escaped = False

    def end_pair() -> None:
        nonlocal key
        if key is None:
            if "".join(text).strip():
                raise ValueError("a pair without `=`")
        elif not key:
            raise ValueError("a pair without a key")
        else:
            pairs.setdefault(key.lower(), []).append("".join(text).strip())
        key = None
        text.clear()

    for char in header:
        if escaped:
            text.append(char)
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            else:
                text.append(char)
        elif char == '"':
            quoted = True
        elif char == "=" and key is None:
            key = "".join(text).strip()
            text.clear()
        elif char in ";,":
            end_pair()
            if char == ",":
                if not pairs:
                    raise ValueError("an empty element")
                elements.append(pairs)
                pairs = {}
        else:
            text.append(char)
    if quoted or escaped:
        raise ValueError("an unterminated quoted value")
    end_pair()
    if not pairs:
        raise ValueError("an empty element")
    elements.append(pairs)
    return elements


def _bounded(principal: str) -> str:
    if len(principal) > MAX_PRINCIPAL_CHARS:
        raise CredentialsInvalid(f"the identity is longer than {MAX_PRINCIPAL_CHARS} characters")
    return principal
