"""Helpers for the caller-identity tests: real signing keys and JWTs, policy files, and calls to
any method by name with metadata attached."""

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import grpc
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from google.rpc import error_details_pb2
from jwt.algorithms import ECAlgorithm

from genaifeedback.v1 import analytics_pb2, chat_pb2, feedback_pb2
from support import details

ISSUER = "https://issuer.test"
AUDIENCE = "genaifeedback"

_MODULES = (chat_pb2, feedback_pb2, analytics_pb2)
METHODS = {
    f"/{service.full_name}/{method.name}": method
    for module in _MODULES
    for service in module.DESCRIPTOR.services_by_name.values()
    for method in service.methods
}


class SigningKey:
    def __init__(self, kid: str):
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict[str, Any]:
        return {**ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True), "kid": self.kid, "alg": "ES256"}

    def token(self, sub: str, *, expires_in: float = 300, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": int(time.time() + expires_in), **claims}
        return jwt.encode(payload, self.private, algorithm="ES256", headers={"kid": self.kid, **(headers or {})})


def write_jwks(path: Path, *keys: SigningKey) -> Path:
    staged = path.with_name(path.name + ".new")
    staged.write_text(json.dumps({"keys": [key.jwk() for key in keys]}))
    staged.replace(path)  # whole, by rename, as a secret volume does
    return path


def write_policy(path: Path, principals: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for name, grant in principals.items():
        lines.append(f"[principals.{json.dumps(name)}]")
        lines += [
            f"{key} = {json.dumps(sorted(value) if isinstance(value, set) else value)}" for key, value in grant.items()
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def call(channel: grpc.Channel, method: str, request: Any, metadata=(), timeout: float = 30) -> Any:
    """Call any method by its full name; a server-streaming one is read to the end (its replies listed)."""
    descriptor = METHODS[method]
    reply_class = _message_class(descriptor.output_type.full_name)
    kind = channel.unary_stream if descriptor.server_streaming else channel.unary_unary
    stub = kind(
        method, request_serializer=type(request).SerializeToString, response_deserializer=reply_class.FromString
    )
    reply = stub(request, metadata=metadata, timeout=timeout)
    return list(reply) if descriptor.server_streaming else reply


def refusal(channel: grpc.Channel, method: str, request: Any, metadata=()) -> grpc.RpcError:
    try:
        call(channel, method, request, metadata)
    except grpc.RpcError as error:
        return error
    raise AssertionError(f"{method} was not refused")


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    info = details(error, error_details_pb2.ErrorInfo)
    assert info is not None and info.domain == "genaifeedback"
    return info


def journaled_units(service) -> int:
    """Every feedback unit the replica's journal holds, read from the file by a connection of our own."""
    with sqlite3.connect(service.settings.data_dir / "journal.db") as db:
        return db.execute("SELECT count(*) FROM feedback").fetchone()[0]


def _message_class(full_name: str) -> Any:
    for module in _MODULES:
        name = full_name.rpartition(".")[2]
        if hasattr(module, name):
            return getattr(module, name)
    raise KeyError(full_name)
