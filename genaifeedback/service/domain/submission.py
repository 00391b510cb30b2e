"""Feedback as callers submit it, valid already: its undeclared names typed, then recorded."""

from genaifeedback.service.domain.feedback import FeedbackInput, Recorded, Target
from genaifeedback.service.domain.feedback.intake import FeedbackIntake
from genaifeedback.service.domain.schemas import Schemas


class FeedbackSubmission:
    def __init__(self, intake: FeedbackIntake, schemas: Schemas):
        self._intake = intake
        self._schemas = schemas

    async def submit(
        self, target: Target, feedbacks: list[FeedbackInput], wait: bool, deadline: float | None
    ) -> Recorded:
        """Record valid feedback; a name without a schema is typed by its first value on this replica."""
        for feedback in feedbacks:
            self._schemas.remember(feedback.name, feedback.value)
        return await self._intake.submit(target, feedbacks, wait, deadline)

    async def status(self, target: Target, assessment_id: str, request_id: str) -> Recorded:
        """A submission's state, by its assessment id or else by the request_id it was sent with."""
        assessment_id = assessment_id or self._intake.assessment_id_for(target, request_id)
        return await self._intake.status(target, assessment_id)
