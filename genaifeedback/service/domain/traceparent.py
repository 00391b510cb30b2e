"""W3C Trace Context `traceparent` values (https://www.w3.org/TR/trace-context/): the caller's, read
from a Chat call's metadata, becomes a link from the chat's trace (a chat keeps its own trace id,
which the service mints: ids.py); the chat's own is sent to the model with the generation request.
"""

import re
from dataclasses import dataclass

HEADER = "traceparent"
# version-trace_id-parent_id-flags, lowercase hex only; a later version may append fields after a dash.
_FORMAT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_INVALID_VERSION = "ff"
_SAMPLED = 0x01


@dataclass(frozen=True)
class TraceParent:
    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits: the caller's span
    flags: int

    @property
    def header(self) -> str:
        """As this service records and forwards it (version 00, whatever version it came in)."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags:02x}"


def parse(value: str) -> TraceParent | None:
    """The trace context in a `traceparent` value; None when there is none or it is not valid, which
    the specification says to ignore (the chat goes on without a link)."""
    match = _FORMAT.fullmatch(value.strip(" \t"))
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == _INVALID_VERSION or (version == "00" and rest) or not int(trace_id, 16) or not int(span_id, 16):
        return None
    return TraceParent(trace_id, span_id, int(flags, 16))


def of_span(trace_id: str, span_id: str) -> str:
    """The `traceparent` naming one of the service's spans (a `tr-…` trace id), sampled: every chat
    is recorded."""
    return TraceParent(trace_id.removeprefix("tr-"), span_id, _SAMPLED).header
