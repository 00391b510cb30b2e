"""The journal on a real SQLite file: what is acknowledged survives a kill and is replayed."""

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from genaifeedback.service.domain.records import FeedbackWrite
from genaifeedback.service.storage.journal import FeedbackUnit, JournaledTrace
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


def test_entries_are_replayed_until_confirmed(tmp_path):
    async def first_life():
        journal = SqliteJournal(tmp_path / "j.db")
        journal.open()
        await asyncio.gather(*(journal.add_trace(JournaledTrace(f"tr-{i}", "", b"span", i)) for i in range(50)))
        await journal.remove_traces([f"tr-{i}" for i in range(0, 50, 2)])
        await journal.add_feedback(unit("a-1"))
        stored = unit("a-2")
        await journal.add_feedback(stored)
        stored.state = "STORED"
        await journal.update_feedback(stored)
        journal.close()

    asyncio.run(first_life())
    journal = SqliteJournal(tmp_path / "j.db")
    traces, units = journal.open()
    assert [t.trace_id for t in traces] == [f"tr-{i}" for i in range(1, 50, 2)]
    assert [u.unit_id for u in units] == ["a-1"]
    assert journal.trace_count == 25 and journal.pending_feedback_count == 1
    journal.close()


def test_a_unit_journaled_twice_returns_the_first(tmp_path):
    async def run():
        journal = SqliteJournal(tmp_path / "j.db")
        journal.open()
        first = await journal.add_feedback(unit("a-1", writes=[write(1)]))
        again = await journal.add_feedback(unit("a-1", writes=[write(2)]))
        journal.close()
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
    created.open()  # the schema, which has not changed
    created.close()
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
    journal = SqliteJournal(tmp_path / "j.db")
    _, [loaded] = journal.open()
    journal.close()
    assert loaded.writes == [
        FeedbackWrite(trace_id="tr-9", **old, create_time_ms=1_700_000_000_500, overrides=None)  # type: ignore[arg-type]
    ]


@pytest.mark.slow  # a journal writer process, killed
def test_what_add_returned_for_survives_sigkill(tmp_path):
    """A child process journals traces and prints each acknowledged id, then is SIGKILLed."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from genaifeedback.service.storage.journal import JournaledTrace
        from genaifeedback.service.storage.sqlite_journal import SqliteJournal
        async def main():
            journal = SqliteJournal(Path({str(tmp_path / "j.db")!r}))
            journal.open()
            i = 0
            while True:
                await journal.add_trace(JournaledTrace(f"tr-{{i}}", "", b"x" * 500, i))
                print(f"tr-{{i}}", flush=True)
                i += 1
        asyncio.run(main())
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    acknowledged = [child.stdout.readline().strip() for _ in range(300)]
    os.kill(child.pid, 9)
    child.wait()
    journal = SqliteJournal(tmp_path / "j.db")
    traces, _ = journal.open()
    journal.close()
    assert set(acknowledged) <= {t.trace_id for t in traces}
