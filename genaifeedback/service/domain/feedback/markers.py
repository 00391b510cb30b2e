"""The feedback marker: the trace tag `genaifeedback.has_feedback = true` on every trace that holds
current feedback, so that MLflow's aggregation counts the traces with feedback (the feedback rate)
as it counts traces, instead of the service reading every trace info.

Kept by the service, from what it reads of each trace: a delivery round sets it on a trace whose
read shows current feedback and no marker (the trace's first feedback, in the same round); a
deletion that leaves a trace without current feedback removes it, reads the trace again and sets
it again if a delivery wrote meanwhile. Feedback written around the service (straight to MLflow)
is not marked: `python -m genaifeedback.service.process.backfill_markers` sets every marker right.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from genaifeedback.service.domain.errors import MlflowUnavailable, TraceNotFound
from genaifeedback.service.domain.feedback.trace_state import FEEDBACK_MARKER_TAG, MARKED, TraceState
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.egress.mlflow.selection import TraceSelection

logger = logging.getLogger(__name__)

BACKFILL_PROGRESS_EVERY = 10_000  # traces read between two progress reports
BACKFILL_CONCURRENT_CALLS = 16  # marker writes a backfill has in flight


@dataclass
class Backfill:
    """What a backfill read, and the markers it set and removed (or would)."""

    read: int = 0
    marked: int = 0
    unmarked: int = 0


class FeedbackMarkers:
    def __init__(self, gateway: MlflowGateway):
        self._gateway = gateway

    async def mark(self, states: Iterable[TraceState]) -> set[str]:
        """Mark the traces these reads show holding feedback without a marker; return the ids of
        those MLflow could not mark now (their feedback is not settled until it can)."""
        wanted = [s.trace_id for s in states if s.holds_feedback and not s.marked]
        answers = await asyncio.gather(*(self._set(trace_id) for trace_id in wanted), return_exceptions=True)
        unmarked = set()
        for trace_id, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, MlflowUnavailable):
                logger.warning("cannot mark trace %s as holding feedback yet: %s", trace_id, answer)
                unmarked.add(trace_id)
            elif isinstance(answer, BaseException):
                raise answer
        return unmarked

    async def after_deletion(self, state: TraceState, deleted: set[str]) -> None:
        """Unmark a trace whose last current feedback these deletions removed (`state`: read
        before them). Left feedback keeps it marked: an overridden vote that is left is either
        revived by the deletion or still overridden by a current one."""
        left = any(not f.error for i, f in state.feedback.items() if i not in deleted)
        if not left and (state.marked or deleted & set(state.feedback)):
            await self._unmark(state.trace_id)

    async def backfill(self, write: bool, progress: Callable[[Backfill], None]) -> Backfill:
        """Read every trace info of the experiment and set each marker right (`write` False: only
        count what would change), for traces whose feedback came from before the marker, or
        around the service."""
        done, marks, unmarks = Backfill(), [], []
        async for trace in self._gateway.scan_traces(TraceSelection()):
            holds, marked = any(f.valid for f in trace.feedback), trace.tags.get(FEEDBACK_MARKER_TAG) == MARKED
            if holds and not marked:
                done.marked += 1
                marks.append(trace.trace_id)
            elif marked and not holds:
                done.unmarked += 1
                unmarks.append(trace.trace_id)
            if not write or len(marks) + len(unmarks) >= BACKFILL_CONCURRENT_CALLS:
                await self._correct(marks if write else [], unmarks if write else [])
                marks.clear()
                unmarks.clear()
            done.read += 1
            if done.read % BACKFILL_PROGRESS_EVERY == 0:
                progress(done)
        await self._correct(marks, unmarks)
        return done

    async def _correct(self, marks: list[str], unmarks: list[str]) -> None:
        """Mark and unmark these traces, all at once."""
        await asyncio.gather(*(self._set(t) for t in marks), *(self._unmark(t) for t in unmarks))

    async def _unmark(self, trace_id: str) -> None:
        await self._gateway.delete_trace_tag(trace_id, FEEDBACK_MARKER_TAG)
        # A delivery may have written (and marked) between our read and the removal: look again.
        infos = await self._gateway.trace_infos([trace_id])
        if trace_id in infos and TraceState.of(infos[trace_id]).holds_feedback:
            await self._set(trace_id)

    async def _set(self, trace_id: str) -> None:
        with contextlib.suppress(TraceNotFound):  # the trace is gone, and its feedback with it
            await self._gateway.set_trace_tag(trace_id, FEEDBACK_MARKER_TAG, MARKED)
