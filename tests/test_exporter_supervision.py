"""The exporter's supervisor: a crash in delivery (a bug, not an MLflow failure) is logged, turns
health NOT_SERVING, and delivery restarts without losing the trace it was sending.

A unit test: the bug is injected through a stand-in for the MLflow gateway, since no real MLflow
response can make the exporter itself crash."""

import asyncio
import logging

from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.egress.exporter import ExportSettings, TraceExporter
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import JournaledTrace
from genaifeedback.service.storage.sqlite_journal import SqliteJournal


class CrashingOnceGateway:
    def __init__(self) -> None:
        self.calls = 0

    async def export_traces(self, body: bytes) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a bug in delivery")


def test_a_crashed_exporter_reports_not_serving_restarts_and_delivers(tmp_path, caplog):
    async def run() -> tuple[list[bool], list[str], float]:
        journal = SqliteJournal(tmp_path / "journal.db")
        await journal.open()
        metrics = Metrics()
        inflight = InflightTraces()
        exporter = TraceExporter(CrashingOnceGateway(), journal, inflight, ExportSettings(), metrics)  # type: ignore[arg-type]
        health: list[bool] = []
        exporter.on_health_change = health.append
        stored = asyncio.get_running_loop().create_future()
        inflight.listen(lambda ids, ok: stored.done() or stored.set_result(ids))
        exporter.start([])
        await exporter.submit(JournaledTrace("tr-" + "1" * 32, "", b"span", 0.0))
        delivered = await asyncio.wait_for(stored, 30)
        await exporter.close(timeout_seconds=5)
        await journal.close()
        return health, delivered, metrics.registry.get_sample_value("genaifeedback_exporter_restarts_total")

    with caplog.at_level(logging.ERROR):
        health, delivered, restarts = asyncio.run(run())
    assert health == [False, True]  # NOT_SERVING while down, SERVING once it runs again
    assert delivered == ["tr-" + "1" * 32]
    assert restarts == 1
    assert any("trace exporter crashed" in r.getMessage() and r.exc_info for r in caplog.records)
