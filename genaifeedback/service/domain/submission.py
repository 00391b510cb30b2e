"""Feedback as callers submit it, valid already: bound to its feedback token if it has one, its
undeclared names typed, then recorded; and the feedback tokens minted for stored traces."""

from collections.abc import Sequence

from genaifeedback.service.domain.feedback import FeedbackInput, Recorded, Target
from genaifeedback.service.domain.feedback.intake import FeedbackIntake
from genaifeedback.service.domain.feedback_tokens import FeedbackTokens, IssuedToken
from genaifeedback.service.domain.rate_limits import RateLimits
from genaifeedback.service.domain.schemas import Schemas


class FeedbackSubmission:
    def __init__(
        self, intake: FeedbackIntake, schemas: Schemas, tokens: FeedbackTokens, limits: RateLimits | None = None
    ):
        self._intake = intake
        self._schemas = schemas
        self._tokens = tokens
        self._limits = limits

    async def submit(
        self,
        target: Target,
        feedbacks: list[FeedbackInput],
        wait: bool,
        deadline: float | None,
        feedback_token: str = "",
    ) -> Recorded:
        """Record valid feedback; a name without a schema is typed by its first value on this replica.
        With a token, the feedback is its user's, if the token allows it: checked before anything
        is remembered or journaled, so a refusal changes nothing; then the token user's and the
        trace's rate limits, likewise."""
        if feedback_token:
            feedbacks = self._tokens.bind(feedback_token, target, feedbacks)
        if self._limits is not None:
            user = feedbacks[0].source_id if feedback_token and feedbacks else ""  # bind made it the token's user
            trace = target.trace_id or f"client_request_id={target.client_request_id}"
            await self._limits.feedback_write(user, trace)
        for feedback in feedbacks:
            self._schemas.remember(feedback.name, feedback.value)
        return await self._intake.submit(target, feedbacks, wait, deadline)

    async def status(self, target: Target, assessment_id: str, request_id: str) -> Recorded:
        """A submission's state, by its assessment id or else by the request_id it was sent with."""
        assessment_id = assessment_id or self._intake.assessment_id_for(target, request_id)
        return await self._intake.status(target, assessment_id)

    async def create_token(self, target: Target, user_id: str, names: Sequence[str]) -> IssuedToken:
        """A feedback token for a trace in flight here or stored; by default for the trace's user."""
        trace_id, trace_user = await self._intake.known_trace(target)
        return self._tokens.issue(trace_id, user_id or trace_user, target.client_request_id, names)
