"""The traces in flight on this replica, and what became of them: one registry that the chat and the
exporter tell, and that feedback asks and listens to (so feedback need not know the exporter).

A trace is streaming (its chat runs here), then unstored (journaled here, not yet confirmed by
MLflow), then recently stored (or rejected). Feedback for a trace in the first two states waits for
it instead of looking for it in MLflow; feedback by client_request_id finds its trace id here.
"""

from collections.abc import Callable

from genaifeedback.service.domain.lru import BoundedLru

REMEMBERED_CLIENT_REQUEST_IDS = 100_000
REMEMBERED_STORED_TRACES = 100_000

SettledListener = Callable[[list[str], bool], None]  # (trace ids, stored: True, or rejected: False)


class InflightTraces:
    def __init__(self) -> None:
        self._streaming: set[str] = set()
        self._unstored: set[str] = set()
        self._recently_stored: BoundedLru[str, None] = BoundedLru(REMEMBERED_STORED_TRACES)
        self._by_client_request_id: BoundedLru[str, str] = BoundedLru(REMEMBERED_CLIENT_REQUEST_IDS)
        # A chat's end user until its trace is in MLflow (which then says): a feedback token minted meanwhile.
        self._users: dict[str, str] = {}
        self._listeners: list[SettledListener] = []

    # --- told by the chat and the exporter

    def streaming(self, trace_id: str, client_request_id: str, user_id: str = "") -> None:
        """A chat started here."""
        self._streaming.add(trace_id)
        if user_id:
            self._users[trace_id] = user_id
        if client_request_id:
            self._by_client_request_id.put(client_request_id, trace_id)

    def journaled(self, trace_id: str, client_request_id: str) -> None:
        """Its trace is journaled here (at the chat's end, or replayed at start) and queued for MLflow."""
        self._streaming.discard(trace_id)
        self._unstored.add(trace_id)
        if client_request_id:
            self._by_client_request_id.put(client_request_id, trace_id)

    def abandoned(self, trace_id: str) -> None:
        """A chat whose trace could not be journaled (logged where that happened)."""
        self._streaming.discard(trace_id)
        self._users.pop(trace_id, None)

    def settled(self, trace_ids: list[str], stored: bool) -> None:
        """MLflow confirmed (stored) or refused these traces."""
        for trace_id in trace_ids:
            self._unstored.discard(trace_id)
            self._users.pop(trace_id, None)
            if stored:
                self._recently_stored.put(trace_id, None)
        for listener in self._listeners:
            listener(trace_ids, stored)

    # --- asked by feedback

    def listen(self, listener: SettledListener) -> None:
        """Call listener(trace_ids, stored) whenever MLflow confirms or refuses traces."""
        self._listeners.append(listener)

    def trace_id_for(self, client_request_id: str) -> str | None:
        return self._by_client_request_id.get(client_request_id)

    def awaiting_export(self, trace_id: str) -> bool:
        """Streaming here, or journaled here and not yet in MLflow: feedback must wait for it."""
        return trace_id in self._streaming or trace_id in self._unstored

    def user_of(self, trace_id: str) -> str:
        """The end user of a chat in flight here ("" if none was given, or the trace is not in flight)."""
        return self._users.get(trace_id, "")

    def recently_stored(self, trace_id: str) -> bool:
        return trace_id in self._recently_stored

    @property
    def unstored(self) -> int:
        return len(self._unstored)

    @property
    def open(self) -> int:
        """Streaming or unstored: the exporter's backlog, as admission counts it."""
        return len(self._streaming) + len(self._unstored)
