"""The gRPC servicers: convert the request, call the domain, convert the answer. Nothing else.

Errors become statuses in one place (`_abort`): a ServiceError keeps its code and details,
anything else is a bug and becomes INTERNAL (logged with its traceback).
"""

import functools
import inspect
import logging
import time
from contextlib import aclosing

import grpc
from grpc_status import rpc_status

from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc
from genaifeedback.service import convert
from genaifeedback.service.chat import ChatRunner, Finished, Started, Token
from genaifeedback.service.errors import ServiceError
from genaifeedback.service.feedback import FeedbackRecorder

logger = logging.getLogger(__name__)

TRACE_ID_METADATA_KEY = "mlflow-trace-id"


async def _abort(context: grpc.aio.ServicerContext, error: Exception):
    if not isinstance(error, ServiceError):
        logger.exception("unexpected error", exc_info=error)
        error = ServiceError(f"internal error: {type(error).__name__}")
    status = rpc_status.to_status(error.to_status())
    trailing = tuple(context.trailing_metadata() or ()) + tuple(status.trailing_metadata)
    await context.abort(status.code, status.details, trailing)


def _mapping_errors(method):
    """Wrap a unary or server-streaming method so every failure leaves as a proper status."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self, request, context):
            try:
                async for response in method(self, request, context):
                    yield response
            except grpc.aio.AbortError:
                raise
            except Exception as error:  # noqa: BLE001 - mapped to a status here, once
                await _abort(context, error)

        return streaming

    @functools.wraps(method)
    async def unary(self, request, context):
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:  # noqa: BLE001 - mapped to a status here, once
            await _abort(context, error)

    return unary


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, runner: ChatRunner):
        self._runner = runner

    async def _events(self, request, context: grpc.aio.ServicerContext):
        """The chat's events; the trace id goes in the trailing metadata however the call ends."""
        async with aclosing(self._runner.stream(convert.chat_input(request))) as events:
            async for event in events:
                if isinstance(event, Started):
                    context.set_trailing_metadata(((TRACE_ID_METADATA_KEY, event.trace_id),))
                yield event

    @_mapping_errors
    async def Chat(self, request: chat_pb2.ChatRequest, context: grpc.aio.ServicerContext):
        async with aclosing(self._events(request, context)) as events:
            async for event in events:
                yield convert.chat_response(event)

    @_mapping_errors
    async def CompleteChat(self, request: chat_pb2.CompleteChatRequest, context: grpc.aio.ServicerContext):
        texts = []
        async with aclosing(self._events(request, context)) as events:
            async for event in events:
                if isinstance(event, Token):
                    texts.append(event.text)
                elif isinstance(event, Finished):
                    return convert.complete_chat_response(event, "".join(texts))
        raise AssertionError("a chat stream ends with Finished or an error")


class FeedbackServicer(feedback_pb2_grpc.FeedbackServiceServicer):
    def __init__(self, recorder: FeedbackRecorder):
        self._recorder = recorder

    @_mapping_errors
    async def SubmitFeedback(self, request: feedback_pb2.SubmitFeedbackRequest, context: grpc.aio.ServicerContext):
        target, feedback = convert.feedback_input(request)
        trace_id, assessment_id = await self._recorder.submit(target, feedback, _deadline(context))
        return feedback_pb2.SubmitFeedbackResponse(assessment_id=assessment_id, trace_id=trace_id)

    @_mapping_errors
    async def SubmitRatings(self, request: feedback_pb2.SubmitRatingsRequest, context: grpc.aio.ServicerContext):
        target, ratings, common = convert.ratings_input(request)
        trace_id, assessment_ids = await self._recorder.submit_ratings(target, ratings, common, _deadline(context))
        return feedback_pb2.SubmitRatingsResponse(trace_id=trace_id, assessment_ids=assessment_ids)
