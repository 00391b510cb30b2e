"""A feedback unit as one row of a journal's table, the same in SQLite and PostgreSQL: the unit's
columns, and its writes as JSON."""

import dataclasses
import json
from typing import Any

from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.storage.journal import FeedbackUnit

# The columns, in the order of `row` and `unit`.
COLUMNS = ("unit_id", "trace_id", "client_request_id", "writes", "state", "reason", "added", "updated", "expires")


def row(unit: FeedbackUnit) -> tuple[Any, ...]:
    return (
        unit.unit_id,
        unit.trace_id,
        unit.client_request_id,
        json.dumps([_journaled_write(write) for write in unit.writes], sort_keys=True),
        unit.state,
        unit.reason,
        unit.added,
        unit.updated,
        unit.expires,
    )


def unit(values: tuple[Any, ...] | None) -> FeedbackUnit | None:
    if values is None:
        return None
    unit_id, trace_id, client_request_id, writes, state, reason, added, updated, expires = values
    loaded = [_loaded_write(fields, trace_id, added) for fields in json.loads(writes)]
    return FeedbackUnit(unit_id, trace_id, client_request_id, loaded, state, reason, added, updated, expires)


# Every field but trace_id: the unit's (a column), which a client_request_id target resolves later.
_JOURNALED_FIELDS = tuple(field.name for field in dataclasses.fields(FeedbackWrite) if field.name != "trace_id")


def _journaled_write(write: FeedbackWrite) -> dict[str, Any]:
    # Shallow: json.dumps walks the values itself (asdict's deep copy cost more than the insert).
    return {name: getattr(write, name) for name in _JOURNALED_FIELDS}


def _loaded_write(fields: dict[str, Any], trace_id: str, added: float) -> FeedbackWrite:
    # Journals written before votes were chained lack the create time and `overrides`.
    defaults = {"create_time_ms": int(added * 1000), "overrides": None}
    return FeedbackWrite(trace_id=trace_id, **{**defaults, **fields})
