"""The end of every call, as calls.py's call scope records it once: its count and latency by method
and code (metrics), and one access line (logger `genaifeedback.access`, INFO).

The access line's fields: method, code, reason (the ErrorInfo reason of a refusal), duration_ms,
principal (auth/access.py's `current_principal`; empty where no identity mode is on), trace_id (the
chat's, or the one a request names), request_id (a feedback request's request_id, or a chat's
client_request_id), peer. Nothing else of the request or its metadata is looked at: no message,
answer, rationale or comment, no feedback or bearer token, no client certificate.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import grpc

from genaifeedback.service.metrics import Metrics
from genaifeedback.service.process.logs import FIELDS_ATTRIBUTE
from genaifeedback.service.transport.auth.access import current_principal

if TYPE_CHECKING:
    from genaifeedback.service.transport.context import Context

logger = logging.getLogger("genaifeedback.access")

MAX_ID_CHARS = 128  # ids are validated later, if at all: a refused request's may be anything


class CallRecord:
    """One call, from its start; `end` records it (the first time only)."""

    def __init__(self, metrics: Metrics, method: str, request: Any, context: Context) -> None:
        self._metrics, self._method, self._request = metrics, method, request
        # Read while the call is alive: grpc.aio's peer() on a stream the client has cancelled reads
        # a released call, and the process dies (SIGSEGV) in its C core.
        self._peer = context.peer() if logger.isEnabledFor(logging.INFO) else ""
        self._started = time.monotonic()
        self._ended = False

    def end(self, code: grpc.StatusCode, reason: str = "", trace_id: str = "") -> None:
        if self._ended:
            return
        self._ended = True
        seconds = time.monotonic() - self._started
        count, latency = self._metrics.rpc_series(self._method, code.name)
        count.inc()
        latency.observe(seconds)
        if not logger.isEnabledFor(logging.INFO):
            return
        request = self._request
        fields = {
            "method": self._method,
            "code": code.name,
            "reason": reason,
            "duration_ms": round(seconds * 1000, 3),
            "principal": current_principal.get(),
            "trace_id": trace_id or _id_field(request, "trace_id"),
            "request_id": _id_field(request, "request_id") or _id_field(request, "client_request_id"),
            "peer": self._peer,
        }
        logger.info(
            "%s %s%s %.1f ms principal=%s trace_id=%s request_id=%s peer=%s",
            self._method,
            code.name,
            f" {reason}" if reason else "",
            seconds * 1000,
            fields["principal"] or "-",
            fields["trace_id"] or "-",
            fields["request_id"] or "-",
            fields["peer"],
            extra={FIELDS_ATTRIBUTE: fields},
        )


def _id_field(request: Any, name: str) -> str:
    value = getattr(request, name, "")
    return value[:MAX_ID_CHARS] if isinstance(value, str) else ""
