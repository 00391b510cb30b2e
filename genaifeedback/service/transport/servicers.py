"""The gRPC servicers: convert the request, call the domain, convert the answer. Nothing else.

Errors become statuses in one place (`_abort`, with status.py's mapping): a ServiceError keeps its
reason and details, anything else is a bug and becomes INTERNAL (logged with its traceback).
Requests that do not even parse reach the methods as `UnparsedRequest` (see `TolerantParsing`)
and are answered INVALID_ARGUMENT / MALFORMED_REQUEST, with one log line.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import grpc
from google.protobuf.message import DecodeError
from grpc_status import rpc_status

from genaifeedback.service.domain.analytics import FeedbackAnalytics
from genaifeedback.service.domain.chat import ChatEvent, ChatRunner, Finished, Started, Token
from genaifeedback.service.domain.curation import FeedbackCuration
from genaifeedback.service.domain.errors import MalformedRequest, ServiceError, ShuttingDown
from genaifeedback.service.domain.schemas import Schemas
from genaifeedback.service.domain.submission import FeedbackSubmission
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.transport import status
from genaifeedback.service.transport.convert import analytics as analytics_convert
from genaifeedback.service.transport.convert import chat as chat_convert
from genaifeedback.service.transport.convert import curation as curation_convert
from genaifeedback.service.transport.convert import feedback as feedback_convert
from genaifeedback.v1 import analytics_pb2, analytics_pb2_grpc, chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc

logger = logging.getLogger(__name__)

TRACE_ID_METADATA_KEY = "mlflow-trace-id"
WATCH_CURSOR_METADATA_KEY = "watch-cursor"

if TYPE_CHECKING:  # grpcio's classes are generic in its stubs only
    _Context = grpc.aio.ServicerContext[Any, Any]
_Method = TypeVar("_Method", bound=Callable[..., Any])


SERVICE_PACKAGE = chat_pb2.DESCRIPTOR.package  # genaifeedback.v1


@dataclass(frozen=True)
class UnparsedRequest:
    """What a method receives instead of its request when the bytes did not parse."""

    problem: str


def _tolerant(deserializer: Callable[[bytes], Any], message_name: str) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError as error:
            return UnparsedRequest(f"the request is not a valid {message_name}: {error}")

    return parse


class TolerantParsing(grpc.aio.ServerInterceptor):
    """Hands requests that fail to parse to our methods (as UnparsedRequest), which answer
    INVALID_ARGUMENT; otherwise grpc answers UNKNOWN and logs a traceback for each."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        service, _, method = handler_call_details.method.strip("/").partition("/")
        if handler is None or not service.startswith(SERVICE_PACKAGE + ".") or handler.request_deserializer is None:
            return handler
        message_name = _REQUEST_TYPES.get((service, method), "request message")
        # grpcio's handlers are namedtuples (its stubs type them as an abstract class).
        replaced: grpc.RpcMethodHandler[Any, Any] = handler._replace(  # type: ignore[attr-defined]
            request_deserializer=_tolerant(handler.request_deserializer, message_name)
        )
        return replaced


_REQUEST_TYPES = {
    (service.full_name, method.name): method.input_type.full_name
    for module in (chat_pb2, feedback_pb2, analytics_pb2)
    for service in module.DESCRIPTOR.services_by_name.values()
    for method in service.methods
}


def _rich_status(error: Exception, trace_id: str) -> grpc.Status:
    if not isinstance(error, ServiceError):
        logger.exception("unexpected error", exc_info=error)
        error = ServiceError(f"internal error: {type(error).__name__}")
    if trace_id:
        error.metadata.setdefault("trace_id", trace_id)
    rich: grpc.Status = rpc_status.to_status(status.to_status(error))
    return rich


async def _abort(context: _Context, rich: grpc.Status) -> None:
    trailing = tuple(context.trailing_metadata() or ()) + tuple(rich.trailing_metadata)
    if rich.code in status.RETRYABLE:
        # gRPC's own retries (the shipped service config) wait this long rather than their backoff.
        trailing += (("grpc-retry-pushback-ms", str(status.RETRY_DELAY_SECONDS * 1000)),)
    await context.abort(rich.code, rich.details, trailing)


def _parsed(request: Any) -> None:
    if isinstance(request, UnparsedRequest):
        logger.info("malformed request: %s", request.problem)
        raise MalformedRequest(request.problem)


def _trace_id_of(context: _Context) -> str:
    trace_id = dict(context.trailing_metadata() or ()).get(TRACE_ID_METADATA_KEY, "")
    return trace_id if isinstance(trace_id, str) else trace_id.decode()


class Admission:
    """Which calls the servicers take. On shutdown: new calls are refused (UNAVAILABLE, so
    clients retry elsewhere) while the unary calls already taken are answered."""

    def __init__(self) -> None:
        self.closed = False
        self._unary_in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def admit(self) -> None:
        if self.closed:
            raise ShuttingDown("this replica is shutting down; retry (another replica will answer)")

    def unary_started(self) -> None:
        self._unary_in_flight += 1
        self._idle.clear()

    def unary_ended(self) -> None:
        self._unary_in_flight -= 1
        if self._unary_in_flight == 0:
            self._idle.set()

    async def close(self, timeout_seconds: float) -> None:
        """Refuse new calls; wait (up to the timeout) for the unary calls taken to be answered."""
        self.closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_seconds)
        except TimeoutError:
            logger.warning("%d calls still unanswered at the end of the grace period", self._unary_in_flight)


@asynccontextmanager
async def _call_scope(
    servicer: _Servicer, method: str, request: Any, context: _Context, unary: bool
) -> AsyncIterator[None]:
    """What every call goes through: admission, the parse check, the status any failure leaves as,
    and its count by method and code. Unary calls are tracked so that shutdown can answer them."""
    code = grpc.StatusCode.CANCELLED  # unless it ends otherwise
    if unary:
        servicer.admission.unary_started()
    try:
        servicer.admission.admit()
        _parsed(request)
        yield
        code = grpc.StatusCode.OK
    except grpc.aio.AbortError:
        raise
    except Exception as error:  # noqa: BLE001 - mapped to a status here, once
        rich = _rich_status(error, _trace_id_of(context))
        code = rich.code
        await _abort(context, rich)
    finally:
        if unary:
            servicer.admission.unary_ended()
        servicer.metrics.rpcs.labels(method=method, code=code.name).inc()


def _rpc(method: _Method) -> _Method:
    """Run a unary or server-streaming method in the call scope."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self: _Servicer, request: Any, context: _Context) -> AsyncIterator[Any]:
            async with _call_scope(self, method.__name__, request, context, unary=False):
                async for response in method(self, request, context):
                    yield response

        return cast(_Method, streaming)

    @functools.wraps(method)
    async def unary(self: _Servicer, request: Any, context: _Context) -> Any:
        async with _call_scope(self, method.__name__, request, context, unary=True):
            return await method(self, request, context)

    return cast(_Method, unary)


class _Servicer:
    def __init__(self, metrics: Metrics, admission: Admission):
        self.metrics = metrics
        self.admission = admission


def _deadline(context: _Context) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining


class ChatServicer(_Servicer, chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, runner: ChatRunner, metrics: Metrics, admission: Admission):
        super().__init__(metrics, admission)
        self._runner = runner

    async def _events(
        self, request: chat_pb2.ChatRequest | chat_pb2.CompleteChatRequest, context: _Context
    ) -> AsyncGenerator[ChatEvent, None]:
        """The chat's events; the trace id goes in the trailing metadata however the call ends."""
        async with aclosing(self._runner.stream(chat_convert.chat_input(request))) as events:
            async for event in events:
                if isinstance(event, Started):
                    context.set_trailing_metadata(((TRACE_ID_METADATA_KEY, event.trace_id),))
                yield event

    @_rpc
    async def Chat(
        self, request: chat_pb2.ChatRequest, context: _Context
    ) -> AsyncGenerator[chat_pb2.ChatResponse, None]:
        self.metrics.open_streams.inc()
        try:
            async with aclosing(self._events(request, context)) as events:
                async for event in events:
                    yield chat_convert.chat_response(event)
        finally:
            self.metrics.open_streams.dec()

    @_rpc
    async def CompleteChat(
        self, request: chat_pb2.CompleteChatRequest, context: _Context
    ) -> chat_pb2.CompleteChatResponse:
        texts: list[str] = []
        async with aclosing(self._events(request, context)) as events:
            async for event in events:
                if isinstance(event, Token):
                    texts.append(event.text)
                elif isinstance(event, Finished):
                    return chat_convert.complete_chat_response(event, "".join(texts))
        raise AssertionError("a chat stream ends with Finished or an error")


class FeedbackServicer(_Servicer, feedback_pb2_grpc.FeedbackServiceServicer):
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

    @_rpc
    async def SubmitFeedback(
        self, request: feedback_pb2.SubmitFeedbackRequest, context: _Context
    ) -> feedback_pb2.SubmitFeedbackResponse:
        target, feedbacks = feedback_convert.feedback_input(request, self._schemas)
        recorded = await self._submission.submit(target, feedbacks, request.wait_until_stored, _deadline(context))
        return feedback_convert.feedback_response(recorded)

    @_rpc
    async def SubmitRatings(
        self, request: feedback_pb2.SubmitRatingsRequest, context: _Context
    ) -> feedback_pb2.SubmitRatingsResponse:
        target, feedbacks = feedback_convert.ratings_input(request, self._schemas)
        recorded = await self._submission.submit(target, feedbacks, request.wait_until_stored, _deadline(context))
        return feedback_convert.ratings_response(recorded)

    @_rpc
    async def GetFeedbackStatus(
        self, request: feedback_pb2.GetFeedbackStatusRequest, context: _Context
    ) -> feedback_pb2.GetFeedbackStatusResponse:
        recorded = await self._submission.status(*feedback_convert.status_input(request))
        return feedback_convert.status_response(recorded)

    @_rpc
    async def ListFeedbackSchemas(
        self, request: feedback_pb2.ListFeedbackSchemasRequest, context: _Context
    ) -> feedback_pb2.ListFeedbackSchemasResponse:
        return feedback_convert.schemas_response(self._schemas)

    @_rpc
    async def GetFeedback(
        self, request: feedback_pb2.GetFeedbackRequest, context: _Context
    ) -> feedback_pb2.GetFeedbackResponse:
        return curation_convert.get_response(await self._curation.get(*curation_convert.feedback_ref(request)))

    @_rpc
    async def ListFeedback(
        self, request: feedback_pb2.ListFeedbackRequest, context: _Context
    ) -> feedback_pb2.ListFeedbackResponse:
        page, next_page_token = await self._curation.list_feedback(curation_convert.list_input(request))
        return curation_convert.list_response(page, next_page_token)

    @_rpc
    async def CorrectFeedback(
        self, request: feedback_pb2.CorrectFeedbackRequest, context: _Context
    ) -> feedback_pb2.CorrectFeedbackResponse:
        target, assessment_id = curation_convert.feedback_ref(request)
        correction = functools.partial(curation_convert.correction_input, request, self._schemas)
        wait, deadline = request.wait_until_stored, _deadline(context)
        recorded = await self._curation.correct(target, assessment_id, correction, wait, deadline)
        return curation_convert.correction_response(recorded)

    @_rpc
    async def DeleteFeedback(
        self, request: feedback_pb2.DeleteFeedbackRequest, context: _Context
    ) -> feedback_pb2.DeleteFeedbackResponse:
        return curation_convert.delete_response(*await self._curation.delete(*curation_convert.delete_input(request)))

    @_rpc
    async def EraseFeedbackBySource(
        self, request: feedback_pb2.EraseFeedbackBySourceRequest, context: _Context
    ) -> AsyncGenerator[feedback_pb2.EraseFeedbackBySourceResponse, None]:
        async for progress in self._curation.erase_source(*curation_convert.erase_input(request)):
            yield curation_convert.erasure_response(progress)


class FeedbackAnalyticsServicer(_Servicer, analytics_pb2_grpc.FeedbackAnalyticsServiceServicer):
    def __init__(self, analytics: FeedbackAnalytics, metrics: Metrics, admission: Admission):
        super().__init__(metrics, admission)
        self._analytics = analytics

    @_rpc
    async def GetFeedbackSummary(
        self, request: analytics_pb2.GetFeedbackSummaryRequest, context: _Context
    ) -> analytics_pb2.GetFeedbackSummaryResponse:
        result = await self._analytics.summary(analytics_convert.summary_query(request))
        return analytics_convert.summary_response(result)

    @_rpc
    async def ExportFeedback(
        self, request: analytics_pb2.ExportFeedbackRequest, context: _Context
    ) -> AsyncGenerator[analytics_pb2.ExportFeedbackResponse, None]:
        async with aclosing(self._analytics.export(analytics_convert.export_query(request))) as traces:
            async for trace, cursor in traces:
                yield analytics_convert.export_response(trace, cursor)

    @_rpc
    async def WatchFeedback(
        self, request: analytics_pb2.WatchFeedbackRequest, context: _Context
    ) -> AsyncGenerator[analytics_pb2.WatchFeedbackResponse, None]:
        query = analytics_convert.watch_query(request)
        if query.resume_after:  # the starting cursor, at once: the caller knows from where it is served
            await context.send_initial_metadata(
                ((WATCH_CURSOR_METADATA_KEY, analytics_convert.watch_token(query.resume_after)),)
            )
        async with aclosing(self._analytics.watch(query)) as feed:
            async for feedback, cursor in feed:
                yield analytics_convert.watch_response(feedback, cursor)
