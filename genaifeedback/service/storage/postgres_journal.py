"""The journal shared through PostgreSQL (journal.Journal): every replica commits its chats' traces
and its feedback units to one database, so a replica is stateless and its disk holds nothing.

Each pending entry is held by one replica under a lease (lease_owner, lease_expires): the replica
that journals an entry holds it, renews its leases while it lives, and lets go of them when it
stops; once a lease ends (the replica died), any replica claims the entry (`FOR UPDATE SKIP LOCKED`,
so claimers never wait for each other) and delivers it. A unit's id is its table's key, so a
request id is unique across replicas. Delivery is exactly once by deterministic ids (MLflow stores
a trace or an assessment once however often it is sent), so two replicas both delivering an entry,
after a lease lost to a long pause, cost only a repeat.

Writes go through group commit (group_commit.py); reads go straight to the pool.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from genaifeedback.service.domain.errors import JournalUnavailable
from genaifeedback.service.storage import unit_rows
from genaifeedback.service.storage.group_commit import GroupCommit
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace, JournalError
from genaifeedback.service.storage.postgres_schema import ensure_schema

logger = logging.getLogger(__name__)

NOW = "extract(epoch from clock_timestamp())"  # the database's clock: every replica's leases agree
CLAIM_LIMIT = 1000  # entries taken over per claim, at most (the next claim takes more)
COMMITTERS = 4
POOL_SIZE = 8  # the committers, and reads beside them
CONNECT_SECONDS = 10
POOL_WAIT_SECONDS = 5
RELEASE_SECONDS = 2  # a stop does not wait long for a PostgreSQL that is gone: the leases end anyway
_FEEDBACK = ", ".join(unit_rows.COLUMNS)
_Conn = psycopg.AsyncConnection[Any]


def libpq_url(url: str) -> str:
    """postgresql://… for psycopg (a SQLAlchemy-style postgresql+psycopg://… is accepted too)."""
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql"))


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class PostgresJournal:
    def __init__(self, url: str, lease_seconds: float = 30.0):
        self._url = libpq_url(url)
        self.where = redacted(url)
        self.lease_seconds = lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.trace_count = 0  # every replica's, as of the last renew
        self.pending_feedback_count = 0
        self.available = True
        self.on_availability_change: Callable[[bool], None] = lambda available: None
        self._oldest_trace_added: float | None = None
        self._pool: AsyncConnectionPool[Any] | None = None
        self._commits: GroupCommit | None = None

    # --- life cycle

    async def open(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        try:
            async with await psycopg.AsyncConnection.connect(self._url, connect_timeout=CONNECT_SECONDS) as conn:
                await ensure_schema(conn, self.where)
        except psycopg.Error as error:
            raise JournalError(f"PostgreSQL journal at {self.where} unreachable: {_one_line(error)}") from None
        self._pool = AsyncConnectionPool(
            self._url,
            min_size=2,
            max_size=POOL_SIZE,
            open=False,
            # A call waits this long for a connection, then is refused: normally one is free at once,
            # so waiting longer only delays telling the caller (and health) that PostgreSQL is gone.
            timeout=POOL_WAIT_SECONDS,
            check=AsyncConnectionPool.check_connection,  # a connection PostgreSQL dropped is not handed out
            kwargs={"connect_timeout": CONNECT_SECONDS, "autocommit": True},
        )
        try:
            await self._pool.open(wait=True, timeout=CONNECT_SECONDS)
        except PoolTimeout as error:  # reachable a moment ago: refusing more connections (max_connections?)
            await self._pool.close()
            raise JournalError(f"PostgreSQL journal at {self.where}: no connection pool: {_one_line(error)}") from None
        self._commits = GroupCommit(self._pool, COMMITTERS, self._reached)
        self._commits.start()
        await self.renew()
        return await self.claim()

    async def close(self) -> None:
        if self._commits:
            await self._commits.stop()
        if self._pool:
            try:  # another replica takes over what is left at once, not after the lease
                async with self._pool.connection(timeout=RELEASE_SECONDS) as conn:
                    await conn.execute(
                        "UPDATE journal_traces SET lease_expires = 0 WHERE lease_owner = %s", (self.owner,)
                    )
                    await conn.execute(
                        "UPDATE journal_feedback SET lease_expires = 0 WHERE lease_owner = %s AND state = 'PENDING'",
                        (self.owner,),
                    )
            except (psycopg.Error, PoolTimeout) as error:
                logger.warning("could not release this replica's leases (they end on their own): %s", error)
            await self._pool.close()

    # --- leases

    async def claim(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        lease = (self.owner, self.lease_seconds, CLAIM_LIMIT)

        async def take(conn: _Conn) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
            traces = await conn.execute(
                f"""UPDATE journal_traces t SET lease_owner = %s, lease_expires = {NOW} + %s
                FROM (SELECT trace_id FROM journal_traces WHERE lease_expires < {NOW}
                      ORDER BY added LIMIT %s FOR UPDATE SKIP LOCKED) due
                WHERE t.trace_id = due.trace_id
                RETURNING t.trace_id, t.client_request_id, t.span, t.added""",
                lease,
            )
            units = await conn.execute(
                f"""UPDATE journal_feedback f SET lease_owner = %s, lease_expires = {NOW} + %s
                FROM (SELECT unit_id FROM journal_feedback WHERE state = 'PENDING' AND lease_expires < {NOW}
                      ORDER BY added LIMIT %s FOR UPDATE SKIP LOCKED) due
                WHERE f.unit_id = due.unit_id
                RETURNING {", ".join("f." + c for c in unit_rows.COLUMNS)}""",
                lease,
            )
            claimed = [JournaledTrace(*row) for row in await traces.fetchall()]
            return sorted(claimed, key=lambda t: t.added), sorted(
                (u for row in await units.fetchall() if (u := unit_rows.unit(row))), key=lambda u: u.added
            )

        claimed: tuple[list[JournaledTrace], list[FeedbackUnit]] = await self._transaction(take)
        return claimed

    async def renew(self) -> None:
        async def renew(conn: _Conn) -> tuple[Any, ...]:
            lease = (self.lease_seconds, self.owner)
            await conn.execute(f"UPDATE journal_traces SET lease_expires = {NOW} + %s WHERE lease_owner = %s", lease)
            await conn.execute(
                f"UPDATE journal_feedback SET lease_expires = {NOW} + %s WHERE lease_owner = %s AND state = 'PENDING'",
                lease,
            )
            figures = await conn.execute(
                "SELECT (SELECT count(*) FROM journal_traces), (SELECT min(added) FROM journal_traces),"
                " (SELECT count(*) FROM journal_feedback WHERE state = 'PENDING')"
            )
            return await figures.fetchone() or (0, None, 0)

        self.trace_count, self._oldest_trace_added, self.pending_feedback_count = await self._transaction(renew)

    # --- traces

    async def add_trace(self, trace: JournaledTrace) -> None:
        await self._commit(
            lambda conn: conn.execute(
                f"""INSERT INTO journal_traces VALUES (%s, %s, %s, %s, %s, {NOW} + %s)
                ON CONFLICT (trace_id) DO UPDATE SET span = excluded.span""",
                (trace.trace_id, trace.client_request_id, trace.span, trace.added, self.owner, self.lease_seconds),
            )
        )

    async def remove_traces(self, trace_ids: Iterable[str]) -> None:
        ids = list(trace_ids)
        await self._commit(lambda conn: conn.execute("DELETE FROM journal_traces WHERE trace_id = ANY(%s)", (ids,)))

    async def journaled_trace_id(self, client_request_id: str) -> str | None:
        found = await self._read(
            "SELECT trace_id FROM journal_traces WHERE client_request_id = %s LIMIT 1", (client_request_id,)
        )
        return str(found[0][0]) if found else None

    async def trace_journaled(self, trace_id: str) -> bool:
        return bool(await self._read("SELECT 1 FROM journal_traces WHERE trace_id = %s", (trace_id,)))

    def oldest_trace_age_seconds(self, now: float | None = None) -> float:
        oldest = self._oldest_trace_added  # as of the last renew: the metrics thread never waits
        return 0.0 if oldest is None else max(0.0, (now or time.time()) - oldest)

    # --- feedback

    async def add_feedback(self, unit: FeedbackUnit) -> FeedbackUnit:
        async def add(conn: _Conn) -> FeedbackUnit | None:
            inserted = await conn.execute(
                f"""INSERT INTO journal_feedback VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {NOW} + %s)
                ON CONFLICT (unit_id) DO NOTHING""",
                (*unit_rows.row(unit), self.owner, self.lease_seconds),
            )
            if inserted.rowcount:
                return None
            existing = await conn.execute(
                f"SELECT {_FEEDBACK} FROM journal_feedback WHERE unit_id = %s", (unit.unit_id,)
            )
            return unit_rows.unit(await existing.fetchone())

        existing = await self._commit(add)
        return unit if existing is None else existing

    async def update_feedback(self, unit: FeedbackUnit) -> None:
        unit.updated = time.time()
        await self._commit(
            lambda conn: conn.execute(
                "UPDATE journal_feedback SET trace_id = %s, state = %s, reason = %s, updated = %s WHERE unit_id = %s",
                (unit.trace_id, unit.state, unit.reason, unit.updated, unit.unit_id),
            )
        )

    async def feedback(self, unit_id: str) -> FeedbackUnit | None:
        found = await self._read(f"SELECT {_FEEDBACK} FROM journal_feedback WHERE unit_id = %s", (unit_id,))
        return unit_rows.unit(found[0]) if found else None

    async def pending_feedback_on(self, trace_id: str) -> list[FeedbackUnit]:
        rows = await self._read(
            f"SELECT {_FEEDBACK} FROM journal_feedback WHERE trace_id = %s AND state = 'PENDING' AND lease_owner <> %s",
            (trace_id, self.owner),
        )
        return [u for row in rows if (u := unit_rows.unit(row))]

    async def traces_with_pending_feedback(self) -> set[str]:
        rows = await self._read(
            "SELECT DISTINCT trace_id FROM journal_feedback WHERE state = 'PENDING' AND lease_owner <> %s",
            (self.owner,),
        )
        return {row[0] for row in rows}

    async def forget_settled_feedback(self, older_than: float) -> int:
        async def forget(conn: _Conn) -> int:
            deleted = await conn.execute(
                "DELETE FROM journal_feedback WHERE state <> 'PENDING' AND updated < %s", (older_than,)
            )
            return deleted.rowcount

        forgotten: int = await self._commit(forget)
        return forgotten

    # --- the database

    async def _commit(self, operation: Callable[[_Conn], Awaitable[Any]]) -> Any:
        if self._commits is None:
            raise JournalUnavailable("the journal is not open")
        return await self._commits.run(operation)

    async def _transaction(self, operation: Callable[[_Conn], Awaitable[Any]]) -> Any:
        """One transaction of its own (leases), outside group commit."""
        assert self._pool is not None, "opened"
        try:
            async with self._pool.connection() as conn, conn.transaction():
                result = await operation(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as error:
            self._reached(False)
            raise JournalUnavailable(f"the journal (PostgreSQL) cannot be reached: {_one_line(error)}") from None
        self._reached(True)
        return result

    async def _read(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        async def read(conn: _Conn) -> list[tuple[Any, ...]]:
            cursor = await conn.execute(query.encode(), params)
            return await cursor.fetchall()

        rows: list[tuple[Any, ...]] = await self._transaction(read)
        return rows

    def _reached(self, reached: bool) -> None:
        if reached != self.available:
            self.available = reached
            if reached:
                logger.info("the journal (PostgreSQL at %s) is reachable again", self.where)
            else:
                logger.error("the journal (PostgreSQL at %s) cannot be reached: refusing new work", self.where)
            self.on_availability_change(reached)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
