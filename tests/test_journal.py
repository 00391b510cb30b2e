"""The journal contract, on a real SQLite file and a real PostgreSQL database alike: what is
acknowledged survives a kill and is delivered; and, shared through PostgreSQL, what replicas see of
each other's entries (leases, request-id uniqueness, pending feedback by trace, the schema version)."""

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid

import psycopg
import pytest

from conftest import free_port
from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace, JournalError
from genaifeedback.service.storage.postgres_journal import PostgresJournal, libpq_url
from genaifeedback.service.storage.sqlite_journal import SqliteJournal


def write(value=True, **fields) -> FeedbackWrite:
    values = {
        "trace_id": "tr-1",
        "assessment_id": "a-1",
        "name": "n",
        "value": value,
        "source_type": "HUMAN",
        "source_id": None,
        "rationale": None,
        "metadata": {},
        "span_id": None,
        "create_time_ms": 1_700_000_000_000,
    }
    return FeedbackWrite(**{**values, **fields})


def unit(unit_id="a-1", **fields) -> FeedbackUnit:
    values = {"trace_id": "tr-1", "client_request_id": "", "writes": [write()], "expires": 9e9}
    return FeedbackUnit(unit_id, **{**values, **fields})


@pytest.fixture
def pg_url(postgres) -> str:
    """A new, empty database of the session's PostgreSQL, as a libpq URL."""
    return libpq_url(postgres.create_database(f"journal_{uuid.uuid4().hex[:12]}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_journal(request, tmp_path):
    """Journals on one store: each call is another handle on it (a restart, or another replica)."""
    if request.param == "sqlite":
        return lambda **_: SqliteJournal(tmp_path / "j.db")
    url = request.getfixturevalue("pg_url")
    return lambda lease_seconds=30.0: PostgresJournal(url, lease_seconds)


def test_entries_are_replayed_until_confirmed(make_journal):
    async def run():
        first = make_journal()
        await first.open()
        await asyncio.gather(*(first.add_trace(JournaledTrace(f"tr-{i}", "", b"span", i)) for i in range(50)))
        await first.remove_traces([f"tr-{i}" for i in range(0, 50, 2)])
        await first.add_feedback(unit("a-1"))
        stored = unit("a-2")
        await first.add_feedback(stored)
        stored.state = "STORED"
        await first.update_feedback(stored)
        await first.close()  # a shared journal lets go of its leases: the next one claims at once
        again = make_journal()
        traces, units = await again.open()
        await again.renew()
        counts = again.trace_count, again.pending_feedback_count
        status = (await again.feedback("a-2")).state
        await again.close()
        return traces, units, counts, status

    traces, units, counts, status = asyncio.run(run())
    assert [t.trace_id for t in traces] == [f"tr-{i}" for i in range(1, 50, 2)]
    assert [u.unit_id for u in units] == ["a-1"]
    assert counts == (25, 1)
    assert status == "STORED"


def test_a_unit_journaled_twice_returns_the_first(make_journal):
    async def run():
        journal = make_journal()
        await journal.open()
        first = await journal.add_feedback(unit("a-1", writes=[write(1)]))
        again = await journal.add_feedback(unit("a-1", writes=[write(2)]))
        await journal.close()
        return first, again

    first, again = asyncio.run(run())
    assert again.writes == first.writes == [write(1)]
    assert not again.same_action(unit("a-1", writes=[write(2)]))
    # A retry: its create time and the metadata the service adds may differ; the action is the same.
    retried = write(1, create_time_ms=5, metadata={"genaifeedback.schema_version": "2"})
    assert again.same_action(unit("a-1", writes=[retried]))


def test_a_journal_of_the_previous_version_loads_with_typed_writes(tmp_path):
    """Units journaled as JSON dicts without create_time_ms and overrides (before votes were
    chained) load as typed writes: created when the unit was added, overriding nothing."""
    created = SqliteJournal(tmp_path / "j.db")

    async def make():
        await created.open()  # the schema, which has not changed
        await created.close()

    asyncio.run(make())
    old = {
        "assessment_id": "a-old",
        "name": "user_feedback",
        "value": True,
        "source_type": "HUMAN",
        "source_id": "u-1",
        "rationale": None,
        "metadata": {},
        "span_id": None,
    }
    with sqlite3.connect(tmp_path / "j.db") as db:
        row = ("a-old", "tr-9", "", json.dumps([old]), "PENDING", "", 1_700_000_000.5, 1_700_000_000.5, 9e9)
        db.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)

    async def load():
        journal = SqliteJournal(tmp_path / "j.db")
        _, units = await journal.open()
        await journal.close()
        return units

    [loaded] = asyncio.run(load())
    assert loaded.writes == [
        FeedbackWrite(trace_id="tr-9", **old, create_time_ms=1_700_000_000_500, overrides=None)  # type: ignore[arg-type]
    ]


@pytest.mark.slow  # a journal writer process, killed
@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_what_add_returned_for_survives_sigkill(store, tmp_path, request):
    """A child process journals traces and prints each acknowledged id, then is SIGKILLed."""
    if store == "sqlite":
        opened = f"SqliteJournal(Path({str(tmp_path / 'j.db')!r}))"
    else:
        opened = f"PostgresJournal({request.getfixturevalue('pg_url')!r})"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from genaifeedback.service.storage.journal import JournaledTrace
        from genaifeedback.service.storage.postgres_journal import PostgresJournal
        from genaifeedback.service.storage.sqlite_journal import SqliteJournal
        async def main():
            journal = {opened}
            await journal.open()
            async def one(i):
                await journal.add_trace(JournaledTrace(f"tr-{{i}}", "", b"x" * 500, i))
                print(f"tr-{{i}}", flush=True)
            i = 0
            while True:  # eight at a time: acknowledgements share commits
                await asyncio.gather(*(one(i + k) for k in range(8)))
                i += 8
        asyncio.run(main())
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acknowledged = [child.stdout.readline().strip() for _ in range(300)]
    os.kill(child.pid, 9)
    child.wait()
    if store == "sqlite":

        async def replay():
            journal = SqliteJournal(tmp_path / "j.db")
            traces, _ = await journal.open()
            await journal.close()
            return {t.trace_id for t in traces}

        journaled = asyncio.run(replay())
    else:  # the dead writer's leases are still running: read the table itself
        with psycopg.connect(request.getfixturevalue("pg_url")) as db:
            journaled = {row[0] for row in db.execute("SELECT trace_id FROM journal_traces")}
    assert set(acknowledged) <= journaled


# --- shared through PostgreSQL: what replicas see of each other


@pytest.mark.postgres
def test_a_dead_replicas_entries_are_taken_over_once_its_lease_ends(pg_url):
    async def run():
        dead, alive = PostgresJournal(pg_url, lease_seconds=1.0), PostgresJournal(pg_url)
        await dead.open()
        await alive.open()
        await dead.add_trace(JournaledTrace("tr-1", "crid-1", b"span", 1.0))
        await dead.add_feedback(unit("a-1"))
        while_held = await alive.claim()
        started = time.monotonic()
        claimed: tuple = ([], [])
        while not claimed[0] and time.monotonic() - started < 10:  # the lease runs out on the database's clock
            await asyncio.sleep(0.1)  # ok: polling until the lease ends on the database's clock
            claimed = await alive.claim()
        again = await alive.claim()  # claimed once: now alive's lease
        await alive.close()
        return while_held, claimed, again, time.monotonic() - started

    while_held, (traces, units), again, waited = asyncio.run(run())
    assert while_held == ([], [])
    assert [t.trace_id for t in traces] == ["tr-1"] and [u.unit_id for u in units] == ["a-1"]
    assert again == ([], [])
    assert waited < 5


@pytest.mark.postgres
def test_a_holder_that_renews_keeps_its_entries_past_the_lease(pg_url):
    async def run():
        holder, other = PostgresJournal(pg_url, lease_seconds=1.0), PostgresJournal(pg_url)
        await holder.open()
        await other.open()
        await holder.add_trace(JournaledTrace("tr-1", "", b"span", 1.0))
        taken = []
        for _ in range(8):  # 2.4 s: past two leases, renewed three times per lease as the keeper does
            await asyncio.sleep(0.3)  # ok: time passing is what is tested: the lease would have ended
            await holder.renew()
            taken += (await other.claim())[0]
        await holder.close()
        await other.close()
        return taken

    assert asyncio.run(run()) == []


@pytest.mark.postgres
def test_replicas_share_request_ids_pending_feedback_and_journaled_traces(pg_url):
    async def run():
        a, b = PostgresJournal(pg_url), PostgresJournal(pg_url)
        await a.open()
        await b.open()
        await a.add_trace(JournaledTrace("tr-1", "crid-1", b"span", 1.0))
        await a.add_feedback(unit("a-1", writes=[write(1)]))
        seen = (
            await b.add_feedback(unit("a-1", writes=[write(2)])),  # the same request id on another replica
            [u.unit_id for u in await b.pending_feedback_on("tr-1")],
            await a.pending_feedback_on("tr-1"),  # a holds it: its attacher knows it
            (await b.traces_with_pending_feedback(), await a.traces_with_pending_feedback()),
            await b.journaled_trace_id("crid-1"),
            await b.trace_journaled("tr-1"),
            await b.trace_journaled("tr-2"),
        )
        await a.close()
        await b.close()
        return seen

    first, pending_on_b, pending_on_a, traces_pending, by_crid, journaled, unknown = asyncio.run(run())
    assert first.writes == [write(1)]
    assert pending_on_b == ["a-1"] and pending_on_a == []
    assert traces_pending == ({"tr-1"}, set())
    assert by_crid == "tr-1" and journaled and not unknown


@pytest.mark.postgres
def test_a_schema_from_a_newer_version_is_refused(pg_url):
    async def run():
        journal = PostgresJournal(pg_url)
        await journal.open()
        await journal.close()
        with psycopg.connect(pg_url) as db:
            db.execute("UPDATE journal_schema SET version = 99")
        with pytest.raises(JournalError) as refused:
            await PostgresJournal(pg_url).open()
        return str(refused.value)

    message = asyncio.run(run())
    assert "schema version 99, newer than this service's 1" in message and "\n" not in message


def test_an_unreachable_postgres_is_one_line():
    url = f"postgresql://journal:s3cret@127.0.0.1:{free_port()}/journal"
    with pytest.raises(JournalError) as refused:
        asyncio.run(PostgresJournal(url).open())
    message = str(refused.value)
    assert message.startswith("PostgreSQL journal at postgresql://journal:***@127.0.0.1:")
    assert "unreachable" in message and "s3cret" not in message and "\n" not in message
