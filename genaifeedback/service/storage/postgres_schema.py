"""The shared journal's tables in PostgreSQL, and the version that guards them.

`journal_schema` holds the version of the tables; a service finding a newer one than it knows
refuses to start (it could misread or damage entries a newer service wrote), and one finding an
older one upgrades it. Replicas starting together take an advisory lock, so one creates and the
others wait and find it made.
"""

from typing import Any

from psycopg import AsyncConnection

from genaifeedback.service.storage.journal import JournalError

SCHEMA_VERSION = 1
_LOCK = 0x6A6F75726E616C  # pg_advisory_xact_lock key: "journal"

# Times are epoch seconds; leases are on the database's clock, so replicas' clocks need not agree.
_TABLES = """
CREATE TABLE journal_traces (
    trace_id text PRIMARY KEY,
    client_request_id text NOT NULL,
    span bytea NOT NULL,                      -- the trace's root span, OTLP-encoded, ready to send
    added double precision NOT NULL,
    lease_owner text NOT NULL,                -- the replica delivering it
    lease_expires double precision NOT NULL   -- after this, any replica may take it over
);
CREATE INDEX journal_traces_by_lease ON journal_traces (lease_expires);
CREATE INDEX journal_traces_by_owner ON journal_traces (lease_owner);
CREATE INDEX journal_traces_by_client_request_id ON journal_traces (client_request_id)
    WHERE client_request_id <> '';
CREATE TABLE journal_feedback (
    unit_id text PRIMARY KEY,                 -- the id of the unit's first assessment: request ids are
                                              -- unique across replicas because this is
    trace_id text NOT NULL,                   -- empty while a client_request_id target is unresolved
    client_request_id text NOT NULL,
    writes text NOT NULL,                     -- JSON: the assessments of this one call, all or none
    state text NOT NULL,
    reason text NOT NULL,
    added double precision NOT NULL,
    updated double precision NOT NULL,
    expires double precision NOT NULL,        -- PENDING until then, then EXPIRED
    lease_owner text NOT NULL,
    lease_expires double precision NOT NULL
);
CREATE INDEX journal_feedback_by_lease ON journal_feedback (lease_expires) WHERE state = 'PENDING';
CREATE INDEX journal_feedback_by_owner ON journal_feedback (lease_owner) WHERE state = 'PENDING';
CREATE INDEX journal_feedback_by_trace ON journal_feedback (trace_id) WHERE state = 'PENDING';
CREATE INDEX journal_feedback_settled ON journal_feedback (updated) WHERE state <> 'PENDING';
"""


async def ensure_schema(conn: AsyncConnection[Any], where: str) -> None:
    """Create the tables if the database has none; refuse a version newer than this service's."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        await conn.execute("CREATE TABLE IF NOT EXISTS journal_schema (version integer NOT NULL)")
        cursor = await conn.execute("SELECT max(version) FROM journal_schema")
        found = await cursor.fetchone()
        version = found[0] if found else None
        if version is None:
            for statement in filter(str.strip, _TABLES.split(";")):
                await conn.execute(statement.encode())
            await conn.execute("INSERT INTO journal_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif version > SCHEMA_VERSION:
            raise JournalError(
                f"the journal at {where} has schema version {version}, newer than this service's "
                f"{SCHEMA_VERSION}: run a service of that version (or newer), or give this one another database"
            )
