"""Group commit on a PostgreSQL pool: operations queue up while a commit is under way, and the next
commit takes all of them in one transaction, so under load many acknowledgements share one commit
(and one round trip to the disk) instead of each waiting for its own.

A few committers run at once, each on its own pooled connection, so one slow commit does not hold
up the queue. An operation that fails alone is rolled back alone (a savepoint); a failure of the
connection or of the commit fails the whole batch: nothing of it is reported durable.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from genaifeedback.service.domain.errors import JournalUnavailable

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
Operation = Callable[[psycopg.AsyncConnection[Any]], Awaitable[Any]]
MAX_BATCH = 500  # operations in one transaction, at most


class GroupCommit:
    def __init__(self, pool: AsyncConnectionPool[Any], committers: int, on_outcome: Callable[[bool], None]):
        self._pool = pool
        self._committers = committers
        self._on_outcome = on_outcome  # told whether each commit reached the database
        self._queue: asyncio.Queue[tuple[Operation, asyncio.Future[Any]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._commit_forever(), name=f"journal-commit-{i}") for i in range(self._committers)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self, operation: Callable[[psycopg.AsyncConnection[Any]], Awaitable[_T]]) -> _T:
        """Run the operation in the next commit; return its result once that commit is durable."""
        done: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((operation, done))
        return await done

    async def _commit_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await self._commit(batch)
            except (psycopg.Error, PoolTimeout, OSError) as error:
                logger.error("journal commit failed (%d operations, none durable): %s", len(batch), _one_line(error))
                self._on_outcome(False)
                unavailable = JournalUnavailable(f"the journal (PostgreSQL) cannot be reached: {_one_line(error)}")
                outcomes = [unavailable] * len(batch)
            except Exception as error:  # a bug: its callers get it, and the committer goes on
                logger.exception("journal commit failed")
                outcomes = [error] * len(batch)
            else:
                self._on_outcome(True)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.cancelled():
                    continue
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome[0])

    async def _commit(self, batch: list[tuple[Operation, asyncio.Future[Any]]]) -> list[Any]:
        outcomes: list[Any] = []
        async with self._pool.connection() as conn, conn.transaction():
            for operation, _ in batch:
                try:
                    async with conn.transaction():  # a savepoint: this operation alone is undone
                        outcomes.append((await operation(conn),))
                except psycopg.errors.DatabaseError as error:
                    if conn.broken:
                        raise
                    outcomes.append(error)
        return outcomes


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
