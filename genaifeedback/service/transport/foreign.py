"""The services on the port that are not ours (grpc.health.v1, grpc.reflection.v1 and v1alpha) get
the same parse check as ours: TolerantServer (calls.py) hands their methods requests that did not
parse as an UnparsedRequest, and the handler built here refuses one with INVALID_ARGUMENT /
MALFORMED_REQUEST (one log line) before their servicer sees it. Without it, grpc answers UNKNOWN
and logs a DecodeError traceback for each.

Their servicers are grpcio's (coroutines, async generators, a request iterator for reflection's
bidirectional stream), so the check wraps each kind of behavior rather than going through
call_scope, which counts calls per method of ours.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import grpc
from grpc_status import rpc_status

from genaifeedback.service.domain.errors import ServiceError
from genaifeedback.service.transport import status

if TYPE_CHECKING:  # grpcio's classes are generic in its stubs only
    Context = grpc.aio.ServicerContext[Any, Any]

Check = Callable[[Any], None]  # raises a ServiceError for a request that must not reach the servicer


async def _refuse(context: Context, error: ServiceError) -> None:
    rich: grpc.Status = rpc_status.to_status(status.to_status(error))
    await context.abort(rich.code, rich.details, rich.trailing_metadata)


async def _checked(requests: AsyncIterator[Any], context: Context, check: Check) -> AsyncIterator[Any]:
    async for request in requests:
        try:
            check(request)
        except ServiceError as error:
            await _refuse(context, error)
        yield request


def checked(handler: grpc.RpcMethodHandler[Any, Any], check: Check) -> grpc.RpcMethodHandler[Any, Any]:
    """The handler, with every request it receives passed through `check` first. The behavior
    keeps its kind (coroutine or async generator): grpc tells them apart by it."""
    kind = ("stream_" if handler.request_streaming else "unary_") + (
        "stream" if handler.response_streaming else "unary"
    )
    behavior = getattr(handler, kind)

    async def argument(request: Any, context: Context) -> Any:
        """The request, checked; or the request stream, each of its messages checked."""
        if handler.request_streaming:
            return _checked(request, context, check)
        try:
            check(request)
        except ServiceError as error:
            await _refuse(context, error)
        return request

    wrapped: Any
    if inspect.isasyncgenfunction(behavior):

        async def streaming(request: Any, context: Context) -> AsyncIterator[Any]:
            async for response in behavior(await argument(request, context), context):
                yield response

        wrapped = streaming
    else:

        async def coroutine(request: Any, context: Context) -> Any:
            return await behavior(await argument(request, context), context)

        wrapped = coroutine
    # grpcio's handlers are namedtuples (its stubs type them as an abstract class).
    replaced: grpc.RpcMethodHandler[Any, Any] = handler._replace(**{kind: wrapped})  # type: ignore[attr-defined]
    return replaced
