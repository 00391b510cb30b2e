"""Microbenchmark of the attacher's scheduling: does its cost per event grow with the number pending?

Issue 15: the attacher used to scan every pending unit on every wake-up and on every exporter
batch, O(n) per event. This runs the engine's own scheduling (no MLflow, no disk: the round is a
stand-in that settles or defers units, the journal a no-op) with N units pending, none of them due
(as after an outage: each has been tried and is backing off), then:

  - 1,000 submits, each a new unit that wakes the attacher and is taken by a round: the time per
    wake-up (add, wake, find what is due, start the round);
  - 100 exporter batches of 20 stored traces (one of them with a unit pending): the time per batch
    settle (the registry told, and the attacher's listener).

It prints both at N = 1,000 and N = 10,000, and the ratio; it asserts nothing. It runs on the code
of the checkout it is started from: `python bench/attacher.py`; with PYTHONPATH pointing at a
checkout of the previous engine (commit 206d46f) it times that one instead.
"""

import asyncio
import gc
import logging
import statistics
import time
from typing import Any

from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackUnit

SUBMITS = 1_000
BATCHES = 100
BATCH_TRACES = 20
FAR = 3_600.0  # a deferred unit's next try: not during the run


class NullJournal:
    """The journal calls the scheduling makes, doing nothing (the disk is not what is measured)."""

    async def update_feedback(self, unit: FeedbackUnit) -> None:
        pass

    async def forget_settled_feedback(self, older_than: float) -> int:
        return 0


def unit(unit_id: str, trace_id: str) -> FeedbackUnit:
    return FeedbackUnit(unit_id=unit_id, trace_id=trace_id, client_request_id="", writes=[], expires=9e18)


class Engine:
    """The engine in this checkout: the attacher, with the in-flight registry it listens to."""

    def __init__(self) -> None:
        from genaifeedback.service.domain.feedback.attacher import Attacher
        from genaifeedback.service.domain.inflight import InflightTraces

        self.inflight = InflightTraces()
        self.attacher = Attacher(NullJournal(), Metrics(), self.inflight)  # type: ignore[arg-type]
        self.rounds = asyncio.Event()

    def start(self, units: list[FeedbackUnit]) -> None:
        self.attacher.start(units, self._round)

    async def _round(self, due: list[Any]) -> None:
        for pending in due:
            if pending.unit.unit_id.startswith("new-"):
                await self.attacher.settle(pending, "STORED")  # so the number pending stays N
            else:
                self.attacher.schedule(pending, time.monotonic() + FAR)
        self.rounds.set()

    def submit(self, new: FeedbackUnit) -> None:
        self.attacher.add(new)

    def exporter_batch(self, trace_ids: list[str]) -> None:
        self.inflight.settled(trace_ids, True)

    def pending(self) -> int:
        return len(self.attacher._units)

    async def close(self) -> None:
        await self.attacher.close(0)


class PreviousEngine:
    """The engine before issue 15 (commit 206d46f): FeedbackRecorder, listening to the exporter."""

    def __init__(self) -> None:
        from genaifeedback.service.domain import feedback
        from genaifeedback.service.egress.exporter import ExportSettings, TraceExporter

        metrics = Metrics()
        self.exporter = TraceExporter(None, NullJournal(), ExportSettings(), metrics)  # type: ignore[arg-type]
        self.recorder = feedback.FeedbackRecorder(None, self.exporter, NullJournal(), metrics, 9e9, 60)  # type: ignore[arg-type]
        self.recorder._guarded_round = self._round  # type: ignore[method-assign]
        self.rounds = asyncio.Event()

    def start(self, units: list[FeedbackUnit]) -> None:
        self.recorder.start(units)

    async def _round(self, due: list[Any]) -> None:
        for pending in due:
            if pending.unit.unit_id.startswith("new-"):
                await self.recorder._settle(pending, "STORED")
            else:
                pending.next_try = time.monotonic() + FAR
            pending.busy = False
        self.recorder._busy_traces.difference_update(p.unit.trace_id for p in due)
        self.rounds.set()

    def submit(self, new: FeedbackUnit) -> None:
        self.recorder._add(new)

    def exporter_batch(self, trace_ids: list[str]) -> None:
        self.exporter._settle(trace_ids)

    def pending(self) -> int:
        return len(self.recorder._pending)

    async def close(self) -> None:
        await self.recorder.close(0)


def engine() -> Engine | PreviousEngine:
    try:
        import genaifeedback.service.domain.inflight  # noqa: F401 - only the split engine has it
    except ImportError:
        return PreviousEngine()
    return Engine()


async def measure(pending: int) -> tuple[list[float], list[float], int]:
    """(seconds of each wake-up, of each batch settle, units pending at the end) with `pending` waiting."""
    bench = engine()
    bench.start([unit(f"old-{i}", f"tr-old-{i}") for i in range(pending)])
    await bench.rounds.wait()  # the first round has deferred them all
    gc.collect()
    wakeups, settles = [], []
    for i in range(SUBMITS):
        bench.rounds.clear()
        started = time.perf_counter()
        bench.submit(unit(f"new-{i}", f"tr-new-{i}"))
        await bench.rounds.wait()
        wakeups.append(time.perf_counter() - started)
    for batch in range(BATCHES):
        stored = [f"tr-old-{batch * 7 % pending}"] + [f"tr-elsewhere-{batch}-{i}" for i in range(BATCH_TRACES - 1)]
        bench.rounds.clear()
        started = time.perf_counter()
        bench.exporter_batch(stored)
        settles.append(time.perf_counter() - started)
        await bench.rounds.wait()  # its unit tried (and deferred again), untimed
    left = bench.pending()
    await bench.close()
    return wakeups, settles, left


def median_us(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e6


def p90_us(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=10)[-1] * 1e6


def main() -> None:
    logging.disable(logging.WARNING)  # each run ends with its units left pending, on purpose
    figures = {}
    for pending in (1_000, 10_000):
        figures[pending] = asyncio.run(measure(pending))
    kind = "split engine (attacher with heap and per-trace index)" if isinstance(engine(), Engine) else "previous engine"
    print(f"# {kind}: {SUBMITS} submits, {BATCHES} exporter batches of {BATCH_TRACES} traces")
    print("microseconds, median (p90); a loaded machine shows in the p90, the median is the figure")
    print(f"{'pending':>8} {'per wake-up':>18} {'per batch settle':>18} {'pending at end':>15}")
    for pending, (wakeups, settles, left) in figures.items():
        wakeup = f"{median_us(wakeups):.1f} ({p90_us(wakeups):.0f})"
        settle = f"{median_us(settles):.1f} ({p90_us(settles):.0f})"
        print(f"{pending:>8,} {wakeup:>18} {settle:>18} {left:>15,}")
    (w1, s1, _), (w10, s10, _) = figures[1_000], figures[10_000]
    print(
        f"10,000 / 1,000 pending, medians: wake-up x{median_us(w10) / median_us(w1):.2f},"
        f" batch settle x{median_us(s10) / median_us(s1):.2f}"
    )


if __name__ == "__main__":
    main()
