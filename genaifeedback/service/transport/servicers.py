"""The gRPC servicers: convert the request, call the domain, convert the answer. Nothing else:
every method runs in calls.py's call scope, which checks the caller against the scope the method
declares (docs/security.md has the table), maps failures to statuses and counts the call."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING

from genaifeedback.service.domain.analytics import FeedbackAnalytics
from genaifeedback.service.domain.chat import ChatEvent, ChatRunner, Finished, Started, Token
from genaifeedback.service.domain.curation import FeedbackCuration
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.domain.submission import FeedbackSubmission
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.transport.auth.scopes import Scope
from genaifeedback.service.transport.calls import TRACE_ID_METADATA_KEY, Admission, Servicer, deadline, rpc
from genaifeedback.service.transport.convert import analytics as analytics_convert
from genaifeedback.service.transport.convert import chat as chat_convert
from genaifeedback.service.transport.convert import curation as curation_convert
from genaifeedback.service.transport.convert import feedback as feedback_convert
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc

if TYPE_CHECKING:
    from genaifeedback.service.transport.context import Context

WATCH_CURSOR_METADATA_KEY = "watch-cursor"


class ChatServicer(Servicer, chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, runner: ChatRunner, metrics: Metrics, admission: Admission):
        super().__init__(metrics, admission)
        self._runner = runner

    async def _events(
        self, request: chat_pb2.ChatRequest | chat_pb2.CompleteChatRequest, context: Context
    ) -> AsyncGenerator[ChatEvent, None]:
        """The chat's events; the trace id goes in the trailing metadata however the call ends."""
        chat = chat_convert.chat_input(request, context.invocation_metadata() or ())
        async with aclosing(self._runner.stream(chat)) as events:
            async for event in events:
                if isinstance(event, Started):
                    context.set_trailing_metadata(((TRACE_ID_METADATA_KEY, event.trace_id),))
                yield event

    @rpc(scope=Scope.CHAT)
    async def Chat(
        self, request: chat_pb2.ChatRequest, context: Context
    ) -> AsyncGenerator[chat_pb2.ChatResponse, None]:
        self.metrics.open_streams.inc()
        try:
            async with aclosing(self._events(request, context)) as events:
                async for event in events:
                    yield chat_convert.chat_response(event)
        finally:
            self.metrics.open_streams.dec()

    @rpc(scope=Scope.CHAT)
    async def CompleteChat(
        self, request: chat_pb2.CompleteChatRequest, context: Context
    ) -> chat_pb2.CompleteChatResponse:
        texts: list[str] = []
        async with aclosing(self._events(request, context)) as events:
            async for event in events:
                if isinstance(event, Token):
                    texts.append(event.text)
                elif isinstance(event, Finished):
                    return chat_convert.complete_chat_response(event, "".join(texts))
        raise AssertionError("a chat stream ends with Finished or an error")


class FeedbackServicer(Servicer, feedback_pb2_grpc.FeedbackServiceServicer):
    def __init__(
        self,
        submission: FeedbackSubmission,
        curation: FeedbackCuration,
        schemas: Schemas,
        metrics: Metrics,
        admission: Admission,
    ):
        super().__init__(metrics, admission)
        self._submission = submission
        self._curation = curation
        self._schemas = schemas

    @rpc(scope=Scope.FEEDBACK_WRITE)
    async def SubmitFeedback(
        self, request: feedback_pb2.SubmitFeedbackRequest, context: Context
    ) -> feedback_pb2.SubmitFeedbackResponse:
        target, feedbacks = feedback_convert.feedback_input(request, self._schemas)
        wait, until, token = request.wait_until_stored, deadline(context), request.feedback_token
        recorded = await self._submission.submit(target, feedbacks, wait, until, token)
        return feedback_convert.feedback_response(recorded)

    @rpc(scope=Scope.FEEDBACK_WRITE)
    async def SubmitRatings(
        self, request: feedback_pb2.SubmitRatingsRequest, context: Context
    ) -> feedback_pb2.SubmitRatingsResponse:
        target, feedbacks = feedback_convert.ratings_input(request, self._schemas)
        wait, until, token = request.wait_until_stored, deadline(context), request.feedback_token
        recorded = await self._submission.submit(target, feedbacks, wait, until, token)
        return feedback_convert.ratings_response(recorded)

    @rpc(scope=Scope.FEEDBACK_WRITE)
    async def GetFeedbackStatus(
        self, request: feedback_pb2.GetFeedbackStatusRequest, context: Context
    ) -> feedback_pb2.GetFeedbackStatusResponse:
        recorded = await self._submission.status(*feedback_convert.status_input(request))
        return feedback_convert.status_response(recorded)

    @rpc(scope=Scope.FEEDBACK_READ)
    async def ListFeedbackSchemas(
        self, request: feedback_pb2.ListFeedbackSchemasRequest, context: Context
    ) -> feedback_pb2.ListFeedbackSchemasResponse:
        return feedback_convert.schemas_response(self._schemas)

    @rpc(scope=Scope.FEEDBACK_READ)
    async def GetFeedback(
        self, request: feedback_pb2.GetFeedbackRequest, context: Context
    ) -> feedback_pb2.GetFeedbackResponse:
        return curation_convert.get_response(await self._curation.get(*curation_convert.feedback_ref(request)))

    @rpc(scope=Scope.FEEDBACK_READ)
    async def ListFeedback(
        self, request: feedback_pb2.ListFeedbackRequest, context: Context
    ) -> feedback_pb2.ListFeedbackResponse:
        page, next_page_token = await self._curation.list_feedback(curation_convert.list_input(request))
        return curation_convert.list_response(page, next_page_token)

    @rpc(scope=Scope.FEEDBACK_CURATE)
    async def CorrectFeedback(
        self, request: feedback_pb2.CorrectFeedbackRequest, context: Context
    ) -> feedback_pb2.CorrectFeedbackResponse:
        target, assessment_id = curation_convert.feedback_ref(request)
        correction = functools.partial(curation_convert.correction_input, request, self._schemas)
        wait, until = request.wait_until_stored, deadline(context)
        recorded = await self._curation.correct(target, assessment_id, correction, wait, until)
        return curation_convert.correction_response(recorded)

    @rpc(scope=Scope.FEEDBACK_CURATE)
    async def DeleteFeedback(
        self, request: feedback_pb2.DeleteFeedbackRequest, context: Context
    ) -> feedback_pb2.DeleteFeedbackResponse:
        return curation_convert.delete_response(*await self._curation.delete(*curation_convert.delete_input(request)))

    @rpc(scope=Scope.FEEDBACK_ERASE)
    async def EraseFeedbackBySource(
        self, request: feedback_pb2.EraseFeedbackBySourceRequest, context: Context
    ) -> AsyncGenerator[feedback_pb2.EraseFeedbackBySourceResponse, None]:
        async for progress in self._curation.erase_source(*curation_convert.erase_input(request)):
            yield curation_convert.erasure_response(progress)

    @rpc(scope=Scope.FEEDBACK_TOKEN)
    async def CreateFeedbackToken(
        self, request: feedback_pb2.CreateFeedbackTokenRequest, context: Context
    ) -> feedback_pb2.CreateFeedbackTokenResponse:
        issued = await self._submission.create_token(*feedback_convert.token_input(request))
        return feedback_convert.token_response(issued)


class FeedbackAnalyticsServicer(Servicer, analytics_pb2_grpc.FeedbackAnalyticsServiceServicer):
    def __init__(self, analytics: FeedbackAnalytics, metrics: Metrics, admission: Admission):
        super().__init__(metrics, admission)
        self._analytics = analytics

    @rpc(scope=Scope.ANALYTICS_READ)
    async def GetFeedbackSummary(
        self, request: analytics_pb2.GetFeedbackSummaryRequest, context: Context
    ) -> analytics_pb2.GetFeedbackSummaryResponse:
        result = await self._analytics.summary(analytics_convert.summary_query(request))
        return analytics_convert.summary_response(result)

    @rpc(scope=Scope.ANALYTICS_EXPORT)
    async def ExportFeedback(
        self, request: analytics_pb2.ExportFeedbackRequest, context: Context
    ) -> AsyncGenerator[analytics_pb2.ExportFeedbackResponse, None]:
        async with aclosing(self._analytics.export(analytics_convert.export_query(request))) as traces:
            async for trace, cursor in traces:
                yield analytics_convert.export_response(trace, cursor)

    @rpc(scope=Scope.ANALYTICS_READ)
    async def WatchFeedback(
        self, request: analytics_pb2.WatchFeedbackRequest, context: Context
    ) -> AsyncGenerator[analytics_pb2.WatchFeedbackResponse, None]:
        query = analytics_convert.watch_query(request)
        if query.resume_after:  # the starting cursor, at once: the caller knows from where it is served
            await context.send_initial_metadata(
                ((WATCH_CURSOR_METADATA_KEY, analytics_convert.watch_token(query.resume_after)),)
            )
        async with aclosing(self._analytics.watch(query)) as feed:
            async for feedback, cursor in feed:
                yield analytics_convert.watch_response(feedback, cursor)
