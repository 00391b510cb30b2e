"""A summary's counts from MLflow's aggregation (QueryTraceMetrics), for the whole range and each
listed group: per cell the traces, the traces carrying the feedback marker (when asked) and the
current votes by name and value, each per time bucket, all sent to MLflow at once.

When the groups hold every trace of the range (a trace has one value of a tag, one user, one
session, so groups never overlap), the range's marker and vote counts are the groups' sums: MLflow
is spared the two costliest queries of a grouped summary, each a pass over the whole range. The
range's traces are counted all the same, which is what tells.
"""

import asyncio
import json
from collections import Counter

from genaifeedback.service.domain.feedback.trace_state import FEEDBACK_MARKER_TAG, MARKED
from genaifeedback.service.domain.summary import Tally, vote_value
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.mlflow.selection import TraceSelection

Series = dict[int | None, Tally]  # key None for the whole range, else each bucket's start


class Aggregation:
    def __init__(self, gateway: MlflowGateway, interval_seconds: int, count_marked: bool):
        self._gateway = gateway
        self._interval = interval_seconds
        self._count_marked = count_marked

    async def count(
        self, everything: TraceSelection, groups: dict[str, TraceSelection | None]
    ) -> tuple[Series, dict[str, Series]]:
        """The range's series and each group's (a group None: no trace can be in it)."""
        if not groups:
            return await self._series(everything), {}
        traces, grouped = await asyncio.gather(
            self._gateway.count_traces(everything, self._interval),
            asyncio.gather(*(self._series(g) for g in groups.values())),
        )
        by_group = dict(zip(groups, grouped, strict=True))
        if _cover(traces, grouped):
            return _sum(grouped), by_group
        return await self._series(everything, traces), by_group

    async def _series(self, cell: TraceSelection | None, traces: Counter[int | None] | None = None) -> Series:
        """One cell's tallies (`traces`: its traces, if counted already)."""
        if cell is None:
            return {}
        marked = cell.narrowed(tags={FEEDBACK_MARKER_TAG: MARKED}) if self._count_marked else None
        counted, with_feedback, votes = await asyncio.gather(
            _given(traces) if traces is not None else self._gateway.count_traces(cell, self._interval),
            self._gateway.count_traces(marked, self._interval) if marked else _given(Counter()),
            self._gateway.count_feedback_votes(cell, self._interval),
        )
        series: Series = {}
        for bucket, count in counted.items():
            series.setdefault(bucket, Tally()).trace_count += count
        for bucket, count in with_feedback.items():
            series.setdefault(bucket, Tally()).traces_with_feedback += count
        for (bucket, name, raw_value), count in votes.items():
            value = vote_value(json.loads(raw_value))
            if value is not None:
                series.setdefault(bucket, Tally()).votes[(name, value)] += count
        return series


def _cover(traces: Counter[int | None], groups: list[Series]) -> bool:
    """Whether the groups hold every one of these traces, bucket by bucket."""
    held: Counter[int | None] = Counter()
    for series in groups:
        held.update({bucket: tally.trace_count for bucket, tally in series.items()})
    return +held == +traces


def _sum(groups: list[Series]) -> Series:
    total: Series = {}
    for series in groups:
        for bucket, tally in series.items():
            total.setdefault(bucket, Tally()).add(tally)
    return total


async def _given(counts: Counter[int | None]) -> Counter[int | None]:
    return counts
