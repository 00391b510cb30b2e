"""The lease keeper: while the journal is shared, keep this replica's leases alive, and take over the
entries of a replica whose leases ended (it died, or was cut off), handing them to this replica's
exporter and attacher. Its renewals are also how the service learns that PostgreSQL is back after
an outage (the journal turns available, and health SERVING, without a restart)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from genaifeedback.service.domain.errors import JournalUnavailable
from genaifeedback.service.storage.journal import FeedbackUnit, Journal, JournaledTrace

logger = logging.getLogger(__name__)

OUTAGE_TICK_SECONDS = 1.0  # while the journal cannot be reached: how soon its return is noticed

Claimed = Callable[[list[JournaledTrace], list[FeedbackUnit]], None]


class LeaseKeeper:
    def __init__(self, journal: Journal, on_claimed: Claimed):
        self._journal = journal
        self._on_claimed = on_claimed
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._journal.lease_seconds > 0:  # else the only owner: nothing to renew or take over
            self._task = asyncio.create_task(self._keep_forever(), name="journal-leases")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _keep_forever(self) -> None:
        # Three renewals per lease: one missed (a slow commit, a pause) does not lose it.
        tick = self._journal.lease_seconds / 3
        while True:
            await asyncio.sleep(tick if self._journal.available else min(tick, OUTAGE_TICK_SECONDS))
            try:
                await self._journal.renew()
                traces, units = await self._journal.claim()
            except JournalUnavailable:
                continue  # the journal logged it, and health says so
            except Exception:
                logger.exception("renewing the journal's leases failed; trying again")
                continue
            if traces or units:
                logger.info("took over %d traces and %d feedback units whose lease ended", len(traces), len(units))
                self._on_claimed(traces, units)
