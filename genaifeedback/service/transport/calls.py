"""What every call goes through, once, whatever its service: the call scope (admission on
shutdown, the caller's access, requests that did not parse, the status a failure leaves as, the
count by method and code), for unary and server-streaming methods alike.

Each method declares its scope beside its handler (`@rpc(scope=Scope.CHAT)`); auth/access.py checks
the caller against it before the request is looked at (authentication, scope, then the caller's rate
limit and open-stream cap, then validation).

Errors become statuses in one place (`_abort`, with status.py's mapping): a ServiceError keeps its
reason and details, anything else is a bug and becomes INTERNAL (logged with its traceback).
Requests that do not even parse reach the methods as `UnparsedRequest` (see `TolerantServer`)
and are answered INVALID_ARGUMENT / MALFORMED_REQUEST, with one log line.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import grpc
from google.protobuf.message import DecodeError
from grpc_status import rpc_status

from genaifeedback.service.domain.errors import MalformedRequest, RequestTooLarge, ServiceError, ShuttingDown
from genaifeedback.service.domain.rate_limits import RateLimits
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.transport import foreign, status
from genaifeedback.service.transport.access_log import CallRecord
from genaifeedback.service.transport.auth.access import Access
from genaifeedback.service.transport.auth.identity import ANONYMOUS, NoIdentity
from genaifeedback.service.transport.auth.policy import OPEN_POLICY
from genaifeedback.service.transport.auth.scopes import SCOPE_ATTRIBUTE, Scope
from genaifeedback.v1 import chat_pb2

logger = logging.getLogger(__name__)

TRACE_ID_METADATA_KEY = "mlflow-trace-id"

if TYPE_CHECKING:
    from genaifeedback.service.transport.context import Context
_Method = TypeVar("_Method", bound=Callable[..., Any])


SERVICE_PACKAGE = chat_pb2.DESCRIPTOR.package  # genaifeedback.v1


@dataclass(frozen=True)
class UnparsedRequest:
    """What a method receives instead of its request when the bytes did not parse."""

    problem: str


@dataclass(frozen=True)
class OversizedRequest(UnparsedRequest):
    """What a method receives instead of a request over the contract's size limit (gRPC's own limit
    is set a little higher, so that such a request reaches the call scope and gets ErrorInfo)."""

    request_bytes: int
    max_bytes: int


def _tolerant(deserializer: Callable[[bytes], Any], message_name: str, max_bytes: int | None) -> Callable[[bytes], Any]:
    def parse(data: bytes) -> Any:
        if max_bytes is not None and len(data) > max_bytes:
            problem = f"the {message_name} is {len(data)} bytes; the server accepts at most {max_bytes}"
            return OversizedRequest(problem, len(data), max_bytes)
        try:
            return deserializer(data)
        except DecodeError as error:
            return UnparsedRequest(f"the request is not a valid {message_name}: {error}")

    return parse


class TolerantServer:
    """The server as services are added to it: every method handler gets a tolerant parser, once.
    Requests that fail to parse reach our methods as UnparsedRequest, which answer INVALID_ARGUMENT;
    otherwise grpc answers UNKNOWN and logs a traceback for each. The other services on the port
    (health, reflection) get the same answer through foreign.checked. Requests over
    `max_request_bytes` reach them as OversizedRequest (RESOURCE_EXHAUSTED, REQUEST_TOO_LARGE).

    Done at registration, not in a server interceptor: an interceptor runs on every call, and cost
    0.017 ms of CPU a call for the same replacement each time (`add_*_to_server(servicer,
    TolerantServer(server))`)."""

    def __init__(self, server: grpc.aio.Server, max_request_bytes: int | None = None) -> None:
        self.server = server
        self.max_request_bytes = max_request_bytes

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        tolerant = {method: self.tolerant(service, method, handler) for method, handler in handlers.items()}
        self.server.add_registered_method_handlers(service, tolerant)

    def add_generic_rpc_handlers(self, generic_handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        """Left out: generated `add_*_to_server` registers each method by name as well, and those take
        precedence. A generic handler would only answer what is not registered, without the parse
        check; a service added only this way answers UNIMPLEMENTED, which its tests show at once."""

    def tolerant(
        self, service: str, method: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        if handler.request_deserializer is None:
            return handler
        message_name = _message_name(handler.request_deserializer)
        # grpcio's handlers are namedtuples (its stubs type them as an abstract class).
        replaced: grpc.RpcMethodHandler[Any, Any] = handler._replace(  # type: ignore[attr-defined]
            request_deserializer=_tolerant(handler.request_deserializer, message_name, self.max_request_bytes)
        )
        if not service.startswith(SERVICE_PACKAGE + "."):  # health, reflection: their servicers are grpcio's
            return foreign.checked(replaced, _parsed)
        return replaced


def _message_name(deserializer: Callable[[bytes], Any]) -> str:
    """The message a generated `Message.FromString` parses (every service's on the port)."""
    descriptor = getattr(getattr(deserializer, "__self__", None), "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", "request message"))


def _rich_status(error: Exception, trace_id: str) -> grpc.Status:
    if not isinstance(error, ServiceError):
        logger.exception("unexpected error", exc_info=error)
        error = ServiceError(f"internal error: {type(error).__name__}")
    if trace_id:
        error.metadata.setdefault("trace_id", trace_id)
    rich: grpc.Status = rpc_status.to_status(status.to_status(error))
    return rich


async def _abort(context: Context, rich: grpc.Status, error: Exception) -> None:
    trailing = tuple(context.trailing_metadata() or ()) + tuple(rich.trailing_metadata)
    wait = status.retry_delay_seconds(error) if isinstance(error, ServiceError) else None
    if wait is not None:
        # gRPC's own retries (the shipped service config) wait this long rather than their backoff.
        trailing += (("grpc-retry-pushback-ms", str(math.ceil(wait * 1000))),)
    await context.abort(rich.code, rich.details, trailing)


def _parsed(request: Any) -> None:
    if isinstance(request, OversizedRequest):
        logger.info("request too large: %s", request.problem)
        raise RequestTooLarge(
            request.problem, request_bytes=str(request.request_bytes), max_bytes=str(request.max_bytes)
        )
    if isinstance(request, UnparsedRequest):
        logger.info("malformed request: %s", request.problem)
        raise MalformedRequest(request.problem)


def _trace_id_of(context: Context) -> str:
    trace_id = dict(context.trailing_metadata() or ()).get(TRACE_ID_METADATA_KEY, "")
    return trace_id if isinstance(trace_id, str) else trace_id.decode()


# The streams a caller may hold open for long (--max-open-streams-per-principal); the others end with their work.
CAPPED_STREAMS = frozenset({"Chat", "WatchFeedback"})


_NO_SLOT: AbstractContextManager[None] = nullcontext()  # reusable: it keeps no state


class Admission:
    """Which calls the servicers take: only callers the access check lets through (by default,
    everyone), within their rate limits (by default, none). On shutdown: new calls are refused
    (UNAVAILABLE, so clients retry elsewhere) while the unary calls already taken are answered."""

    def __init__(self, access: Access | None = None, limits: RateLimits | None = None) -> None:
        self.access = access or Access(NoIdentity(), OPEN_POLICY)
        self.limits = limits
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

    def stream_slot(self, method: str, principal: str) -> AbstractContextManager[None]:
        """One of the principal's open-stream slots, held while a long stream is open (the cap)."""
        if self.limits is None or method not in CAPPED_STREAMS:
            return _NO_SLOT
        return self.limits.stream(principal or ANONYMOUS)  # an open service names no caller: one principal

    async def count_call(self, principal: str, scope: Scope | None) -> None:
        """The call, under the principal's rate limit for the scope."""
        if self.limits is not None:
            await self.limits.call(principal or ANONYMOUS, str(scope or ""))

    async def close(self, timeout_seconds: float) -> None:
        """Refuse new calls; wait (up to the timeout) for the unary calls taken to be answered."""
        self.closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_seconds)
        except TimeoutError:
            logger.warning("%d calls still unanswered at the end of the grace period", self._unary_in_flight)


@asynccontextmanager
async def call_scope(
    servicer: Servicer, method: str, request: Any, context: Context, unary: bool, scope: Scope | None = None
) -> AsyncIterator[None]:
    """What every call goes through: admission, the caller's access to `scope`, the parse check, the
    status any failure leaves as, and its count, latency and access line (access_log.py). Unary calls
    are tracked so that shutdown can answer them."""
    code = grpc.StatusCode.CANCELLED  # unless it ends otherwise
    call = CallRecord(servicer.metrics, method, request, context)
    if unary:
        servicer.admission.unary_started()
    try:
        servicer.admission.admit()
        principal = servicer.admission.access.check(scope, request, context)
        with servicer.admission.stream_slot(method, principal):
            await servicer.admission.count_call(principal, scope)
            _parsed(request)
            yield
        code = grpc.StatusCode.OK
    except grpc.aio.AbortError:
        raise
    except Exception as error:  # noqa: BLE001 - mapped to a status here, once
        rich = _rich_status(error, _trace_id_of(context))
        code = rich.code
        # Recorded before the status goes out: a caller that has it finds the call counted and logged.
        call.end(code, error.reason if isinstance(error, ServiceError) else ServiceError.reason, _trace_id_of(context))
        await _abort(context, rich, error)
    finally:
        if unary:
            servicer.admission.unary_ended()
        call.end(code, trace_id=_trace_id_of(context))


@overload
def rpc(method: _Method, /) -> _Method: ...
@overload
def rpc(*, scope: Scope) -> Callable[[_Method], _Method]: ...
def rpc(method: _Method | None = None, /, *, scope: Scope | None = None) -> Any:
    """Run a unary or server-streaming method in the call scope: `@rpc(scope=Scope.CHAT)`. A bare
    `@rpc` declares no scope, and the service refuses to start with it (auth/scopes.py)."""
    if method is None:
        return functools.partial(_in_call_scope, scope=scope)
    return _in_call_scope(method, scope=None)


def _in_call_scope(method: _Method, scope: Scope | None) -> _Method:
    wrapped: Any
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self: Servicer, request: Any, context: Context) -> AsyncIterator[Any]:
            async with call_scope(self, method.__name__, request, context, unary=False, scope=scope):
                async for response in method(self, request, context):
                    yield response

        wrapped = streaming
    else:

        @functools.wraps(method)
        async def unary(self: Servicer, request: Any, context: Context) -> Any:
            async with call_scope(self, method.__name__, request, context, unary=True, scope=scope):
                return await method(self, request, context)

        wrapped = unary
    setattr(wrapped, SCOPE_ATTRIBUTE, scope)
    return cast(_Method, wrapped)


class Servicer:
    """What `rpc` needs of a servicer: the metrics it counts calls in, and the admission."""

    def __init__(self, metrics: Metrics, admission: Admission):
        self.metrics = metrics
        self.admission = admission


def deadline(context: Context) -> float | None:
    remaining = context.time_remaining()
    return None if remaining is None else time.monotonic() + remaining
