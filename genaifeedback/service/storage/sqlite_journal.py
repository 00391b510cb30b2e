"""The journal on SQLite: this replica's durable memory of every write MLflow has not confirmed yet
(journal.Journal). The OpenTelemetry Collector's persistent queue, on SQLite, with exactly-once
delivery by deterministic ids.

One thread owns the SQLite connection (WAL mode). Writes queue up while it commits, and it
commits all of them in one transaction (group commit), so under load many chats share one commit
and the final event waits for about one commit, not a queue of them. `synchronous=NORMAL` in
WAL mode survives the process being killed (the OS has the data); `FULL` also survives a power
loss, at the cost of an fsync per commit.
"""

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, TypeVar

from genaifeedback.service.storage import unit_rows
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace, JournalError

_T = TypeVar("_T")
# An operation for the writer thread, and where its result (or its error) goes: the future an
# async caller awaits, or a callback (_call_now's, from outside the event loop).
_Reply = asyncio.Future[Any] | Callable[[Any, BaseException | None], object]
_Request = tuple[Callable[[sqlite3.Connection], Any], _Reply]

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY,
    client_request_id TEXT NOT NULL,
    span BLOB NOT NULL,          -- the trace's root span, OTLP-encoded, ready to send
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    unit_id TEXT PRIMARY KEY,    -- the id of the unit's first assessment
    trace_id TEXT NOT NULL,      -- empty while a client_request_id target is unresolved
    client_request_id TEXT NOT NULL,
    writes TEXT NOT NULL,        -- JSON: the assessments of this one call, all or none
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    added REAL NOT NULL,
    updated REAL NOT NULL,
    expires REAL NOT NULL        -- PENDING until then, then EXPIRED
);
CREATE INDEX IF NOT EXISTS feedback_by_state ON feedback (state, added);
"""


class SqliteJournal:
    def __init__(self, path: Path, synchronous: Literal["NORMAL", "FULL"] = "NORMAL"):
        self.path = path
        self._synchronous = synchronous
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._opened = threading.Event()
        self._open_error: BaseException | None = None
        # Kept in memory for the metrics, so reading them never waits for the writer thread.
        self.trace_count = 0
        self.pending_feedback_count = 0
        self.lease_seconds = 0.0  # the only owner: nothing to renew or take over
        self.available = True  # a local file: its failures are the caller's, one at a time
        self.on_availability_change: Callable[[bool], None] = lambda available: None

    # --- life cycle

    async def open(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        """Open (creating it if new) and return what is left to deliver, oldest first."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._serve, name="journal", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._opened.wait)
        if self._open_error:
            raise JournalError(f"cannot open the journal {self.path}: {self._open_error}")
        traces, units = await self._submit(self._load)
        self.trace_count = len(traces)
        self.pending_feedback_count = len(units)
        return traces, units

    async def close(self) -> None:
        if self._thread and self._thread.is_alive():
            self._requests.put(None)
            await asyncio.to_thread(self._thread.join, 30)

    # --- leases: this replica is the only owner of everything in its file

    async def claim(self) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        return [], []

    async def renew(self) -> None:
        return None

    # --- traces

    async def add_trace(self, trace: JournaledTrace) -> None:
        """Returns once the trace is durable."""
        await self._submit(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO traces VALUES (?, ?, ?, ?)",
                (trace.trace_id, trace.client_request_id, trace.span, trace.added),
            )
        )
        self.trace_count += 1

    async def remove_traces(self, trace_ids: Iterable[str]) -> None:
        """MLflow confirmed them."""
        rows = [(trace_id,) for trace_id in trace_ids]
        await self._submit(lambda db: db.executemany("DELETE FROM traces WHERE trace_id = ?", rows))
        self.trace_count -= len(rows)

    # --- feedback

    async def add_feedback(self, unit: FeedbackUnit) -> FeedbackUnit:
        """Journal a unit, durably; if one with the same id is there already, return that one."""

        def add(db: sqlite3.Connection) -> FeedbackUnit | None:
            # Nearly every unit is new: insert, and read only when the id was there already.
            inserted = db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id) DO NOTHING",
                unit_rows.row(unit),
            ).rowcount
            if inserted:
                return None
            return unit_rows.unit(db.execute("SELECT * FROM feedback WHERE unit_id = ?", (unit.unit_id,)).fetchone())

        existing = await self._submit(add)
        if existing is None:
            self.pending_feedback_count += unit.state == "PENDING"
            return unit
        return existing

    async def update_feedback(self, unit: FeedbackUnit) -> None:
        """Record a unit's new state (and its resolved trace id)."""
        unit.updated = time.time()
        await self._submit(
            lambda db: db.execute(
                "UPDATE feedback SET trace_id = ?, state = ?, reason = ?, updated = ? WHERE unit_id = ?",
                (unit.trace_id, unit.state, unit.reason, unit.updated, unit.unit_id),
            )
        )
        if unit.state != "PENDING":
            self.pending_feedback_count -= 1

    async def feedback(self, unit_id: str) -> FeedbackUnit | None:
        return await self._submit(
            lambda db: unit_rows.unit(db.execute("SELECT * FROM feedback WHERE unit_id = ?", (unit_id,)).fetchone())
        )

    async def pending_feedback_on(self, trace_id: str) -> list[FeedbackUnit]:
        return []  # the attacher holds every pending unit of this file

    async def traces_with_pending_feedback(self) -> set[str]:
        return set()  # the attacher holds every pending unit of this file

    async def journaled_trace_id(self, client_request_id: str) -> str | None:
        return None  # the in-flight registry knows every trace of this file

    async def trace_journaled(self, trace_id: str) -> bool:
        return False

    async def forget_settled_feedback(self, older_than: float) -> int:
        """Drop the status of units settled before `older_than` (epoch seconds)."""
        return await self._submit(
            lambda db: (
                db.execute("DELETE FROM feedback WHERE state != 'PENDING' AND updated < ?", (older_than,)).rowcount
            )
        )

    def oldest_trace_age_seconds(self, now: float | None = None) -> float:
        """Age of the oldest trace MLflow has not confirmed (0 when there is none)."""
        # Pending feedback is the attacher's to count: only units whose trace is known are stuck.
        oldest = self._call_now(lambda db: db.execute("SELECT MIN(added) FROM traces").fetchone()[0])
        return 0.0 if oldest is None else max(0.0, (now or time.time()) - oldest)

    # --- the writer thread

    async def _submit(self, operation: Callable[[sqlite3.Connection], _T]) -> _T:
        done: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._requests.put((operation, done))
        return await done

    def _call_now(self, operation: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run an operation from a non-async context and wait for it."""
        finished = threading.Event()
        outcome: list[Any] = []

        def reply(result: Any, error: BaseException | None) -> None:
            outcome.extend((result, error))
            finished.set()

        self._requests.put((operation, reply))
        finished.wait()
        if outcome[1] is not None:
            raise outcome[1]
        return outcome[0]

    def _serve(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            db.executescript(SCHEMA)
        except BaseException as error:  # noqa: BLE001 - handed to open()
            self._open_error = error
            self._opened.set()
            return
        self._opened.set()
        while True:
            batch = [self._requests.get()]
            while not self._requests.empty():
                batch.append(self._requests.get_nowait())
            closing = None in batch
            work = [request for request in batch if request is not None]
            outcomes = self._commit(db, work)
            _reply(work, outcomes)
            if closing:
                db.close()
                return

    @staticmethod
    def _commit(db: sqlite3.Connection, work: list[_Request]) -> list[tuple[Any, BaseException | None]]:
        """Run every operation in one transaction; one that fails is rolled back alone."""
        outcomes: list[tuple[Any, BaseException | None]] = []
        db.execute("BEGIN")
        for operation, _ in work:
            db.execute("SAVEPOINT one")
            try:
                outcomes.append((operation(db), None))
                db.execute("RELEASE one")
            except Exception as error:  # noqa: BLE001 - reported to the one caller it concerns
                db.execute("ROLLBACK TO one")
                db.execute("RELEASE one")
                outcomes.append((None, error))
        try:
            db.execute("COMMIT")
        except sqlite3.Error as failure:  # disk full, I/O error: nothing of this batch is durable
            logger.error("journal commit failed: %s", failure)
            db.execute("ROLLBACK")
            return [(None, failure)] * len(work)
        return outcomes

    @staticmethod
    def _load(db: sqlite3.Connection) -> tuple[list[JournaledTrace], list[FeedbackUnit]]:
        traces = [JournaledTrace(*row) for row in db.execute("SELECT * FROM traces ORDER BY added")]
        rows = db.execute("SELECT * FROM feedback WHERE state = 'PENDING' ORDER BY added")
        units = [unit for row in rows if (unit := unit_rows.unit(row)) is not None]
        return traces, units


def _reply(work: list[_Request], outcomes: list[tuple[Any, BaseException | None]]) -> None:
    """Hand each outcome to its caller: a commit's futures are settled by one call on their event
    loop (one wake-up of it, not one per operation)."""
    settled: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
    for (_, reply), (result, error) in zip(work, outcomes, strict=True):
        if isinstance(reply, asyncio.Future):
            settled.setdefault(reply.get_loop(), []).append((reply, result, error))
        else:
            reply(result, error)
    for loop, futures in settled.items():
        loop.call_soon_threadsafe(_settle, futures)


def _settle(futures: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, result, error in futures:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
