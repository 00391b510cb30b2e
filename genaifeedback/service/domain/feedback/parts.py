"""What intake and delivery both work with: MLflow, the journal, the pending units, the trace-state
cache, the in-flight registry and the attach window. The engine makes one and hands it to both."""

from dataclasses import dataclass

from genaifeedback.service.domain.feedback.attacher import Attacher
from genaifeedback.service.domain.feedback.trace_state import TraceStates
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.storage.journal import Journal


@dataclass(frozen=True)
class EngineParts:
    gateway: MlflowGateway
    journal: Journal
    attacher: Attacher
    states: TraceStates
    inflight: InflightTraces
    attach_window_seconds: float


class EngineRole:
    """A part of the engine that works with the shared parts (intake, delivery)."""

    def __init__(self, parts: EngineParts):
        self._gateway = parts.gateway
        self._journal = parts.journal
        self._attacher = parts.attacher
        self._states = parts.states
        self._inflight = parts.inflight
        self._window = parts.attach_window_seconds
