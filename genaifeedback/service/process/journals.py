"""Which journal a replica uses: one PostgreSQL database every replica shares (--journal-url), or
else its own SQLite file in --data-dir, locked to it."""

import fcntl
from pathlib import Path
from typing import IO

from genaifeedback.service.process.config import Settings
from genaifeedback.service.storage.journal import Journal
from genaifeedback.service.storage.postgres_journal import PostgresJournal
from genaifeedback.service.storage.sqlite_journal import SqliteJournal


def open_journal(settings: Settings) -> tuple[Journal, IO[str] | None]:
    """The shared journal in PostgreSQL if one is given (nothing on this replica's disk), else this
    replica's SQLite journal in its data folder, locked to it."""
    if settings.journal_url:
        return PostgresJournal(settings.journal_url, settings.journal_lease_seconds), None
    lock = lock_data_dir(settings.data_dir)
    return SqliteJournal(settings.data_dir / "journal.db", settings.journal_synchronous), lock


def lock_data_dir(data_dir: Path) -> IO[str]:
    """One live replica per data folder: two journals in one file would deliver each other's work."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / "lock", "w")  # noqa: SIM115 - held open for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SystemExit(
            f"{data_dir} is in use by another running replica; give each replica its own --data-dir"
        ) from None
    return lock
