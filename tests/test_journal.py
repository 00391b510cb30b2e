"""The journal on a real SQLite file: what is acknowledged survives a kill and is replayed."""

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from genaifeedback.service.storage.journal import FeedbackUnit, Journal, JournaledTrace


def unit(unit_id="a-1", **fields) -> FeedbackUnit:
    values = {"trace_id": "tr-1", "client_request_id": "", "writes": [{"name": "n", "value": True}], "expires": 9e9}
    return FeedbackUnit(unit_id, **{**values, **fields})


def test_entries_are_replayed_until_confirmed(tmp_path):
    async def first_life():
        journal = Journal(tmp_path / "j.db")
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
    journal = Journal(tmp_path / "j.db")
    traces, units = journal.open()
    assert [t.trace_id for t in traces] == [f"tr-{i}" for i in range(1, 50, 2)]
    assert [u.unit_id for u in units] == ["a-1"]
    assert journal.trace_count == 25 and journal.pending_feedback_count == 1
    journal.close()


def test_a_unit_journaled_twice_returns_the_first(tmp_path):
    async def run():
        journal = Journal(tmp_path / "j.db")
        journal.open()
        first = await journal.add_feedback(unit("a-1", writes=[{"value": 1}]))
        again = await journal.add_feedback(unit("a-1", writes=[{"value": 2}]))
        journal.close()
        return first, again

    first, again = asyncio.run(run())
    assert again.writes == first.writes == [{"value": 1}]
    assert not again.same_action(unit("a-1", writes=[{"value": 2}]))


@pytest.mark.slow  # a journal writer process, killed
def test_what_add_returned_for_survives_sigkill(tmp_path):
    """A child process journals traces and prints each acknowledged id, then is SIGKILLed."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from genaifeedback.service.storage.journal import Journal, JournaledTrace
        async def main():
            journal = Journal(Path({str(tmp_path / "j.db")!r}))
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
    journal = Journal(tmp_path / "j.db")
    traces, _ = journal.open()
    journal.close()
    assert set(acknowledged) <= {t.trace_id for t in traces}
