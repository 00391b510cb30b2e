"""The feedback engine assembled: intake in front, the attacher and delivery behind it, sharing one
trace-state cache and listening to the in-flight registry."""

from genaifeedback.service.domain.feedback.attacher import Attacher
from genaifeedback.service.domain.feedback.delivery import Delivery
from genaifeedback.service.domain.feedback.intake import FeedbackIntake
from genaifeedback.service.domain.feedback.parts import EngineParts
from genaifeedback.service.domain.feedback.trace_state import TraceStates
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import FeedbackUnit, Journal


class FeedbackEngine:
    def __init__(
        self,
        gateway: MlflowGateway,
        journal: Journal,
        inflight: InflightTraces,
        metrics: Metrics,
        attach_window_seconds: float,
        max_chat_seconds: float,
        status_retention_seconds: float,
        max_wait_seconds: float,
    ):
        self.attacher = Attacher(journal, metrics, inflight, status_retention_seconds)
        parts = EngineParts(gateway, journal, self.attacher, TraceStates(inflight), inflight, attach_window_seconds)
        self.delivery = Delivery(parts, metrics)
        self.intake = FeedbackIntake(parts, max_chat_seconds, max_wait_seconds)

    def start(self, replayed: list[FeedbackUnit]) -> None:
        self.attacher.start(replayed, self.delivery.round)

    async def close(self, timeout_seconds: float) -> None:
        await self.attacher.close(timeout_seconds)
