"""Trace and span ids the service mints itself, so a chat's trace id is known before it is stored.

A trace id is `tr-` + 32 hex digits (MLflow's form for an OpenTelemetry trace id). Ours put the
start time in the first 48 bits, as UUIDv7 does: a replica that is asked for feedback on a trace it
has never seen can tell a trace another replica may still be exporting (wait for it) from an
unknown or old one (NOT_FOUND at once).
"""

import re
import secrets
import time

TRACE_ID_PATTERN = re.compile(r"^tr-[0-9a-f]{32}$")
SPAN_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")


def new_trace_id(now_ns: int | None = None) -> str:
    millis = (now_ns if now_ns is not None else time.time_ns()) // 1_000_000
    return "tr-" + f"{millis & (2**48 - 1):012x}" + secrets.token_hex(10)


def new_span_id() -> str:
    return secrets.token_hex(8)


def trace_start_seconds(trace_id: str) -> float:
    """The start time stamped in one of our trace ids (meaningless for ids minted elsewhere)."""
    return int(trace_id[3:15], 16) / 1000.0


def otel_bytes(hex_id: str) -> bytes:
    """The raw OpenTelemetry id behind a `tr-…` trace id or a hex span id."""
    return bytes.fromhex(hex_id.removeprefix("tr-"))
