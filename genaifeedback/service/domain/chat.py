"""Chat: run a generation, stream its tokens, and hand the finished chat to the trace exporter.

Every call becomes exactly one trace, whatever happens: finished, cancelled by the caller,
failed in the generator, or timed out. The record is handed over before the final event is
sent, so feedback that follows the final event finds the trace on its way to MLflow.
"""

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Literal, Protocol

from genaifeedback.service.domain import traceparent
from genaifeedback.service.domain.errors import GenerationTimeout
from genaifeedback.service.domain.feedback_tokens import FeedbackTokens
from genaifeedback.service.domain.generators import GenerationRequest, Generator
from genaifeedback.service.domain.ids import new_span_id, new_trace_id
from genaifeedback.service.domain.inflight import InflightTraces
from genaifeedback.service.domain.records import ChatInput, ChatRecord, Outcome, Usage
from genaifeedback.service.metrics import Metrics
from genaifeedback.service.storage.journal import JournaledTrace

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    trace_id: str
    client_request_id: str


@dataclass(frozen=True)
class Token:
    """Generated text: one chunk, or several (`chunks`) that were waiting when the caller was ready."""

    text: str
    chunks: int = 1


@dataclass(frozen=True)
class Finished:
    trace_id: str
    client_request_id: str
    finish_reason: Literal["stop", "length", "content_filter", ""]
    usage: Usage
    feedback_token: str = ""  # for the end user to rate this answer ("" when the service issues none)


ChatEvent = Started | Token | Finished


class TraceSink(Protocol):
    """What ChatRunner needs of the trace exporter (see exporter.TraceExporter)."""

    def ensure_capacity(self) -> None: ...
    async def submit(self, trace: JournaledTrace) -> None: ...


class ChatRunner:
    def __init__(
        self,
        generator: Generator,
        encode: "Callable[[ChatRecord], bytes]",
        exporter: TraceSink,
        inflight: InflightTraces,
        metrics: Metrics,
        max_tokens_limit: int,
        max_chat_seconds: float,
        tokens: FeedbackTokens | None = None,
    ):
        self._tokens = tokens
        self._generator = generator
        self._encode = encode  # a trace's OTLP span (otlp.encode_span): how MLflow stores it is egress's
        self._metrics = metrics
        self._exporter = exporter
        self._inflight = inflight  # feedback for a chat still streaming waits for its trace
        self._max_tokens_limit = max_tokens_limit
        self._max_chat_seconds = max_chat_seconds
        self._handovers: set[asyncio.Task[None]] = set()
        self._open = 0
        self._none_open = asyncio.Event()
        self._none_open.set()
        self.shutting_down = False  # set by the server when its grace period is over

    async def stream(self, chat: ChatInput) -> AsyncGenerator[ChatEvent, None]:
        self._exporter.ensure_capacity()
        record = ChatRecord(
            trace_id=new_trace_id(),
            span_id=new_span_id(),
            chat=chat,
            model=self._generator.name,
            start_ns=time.time_ns(),
        )
        self._inflight.streaming(record.trace_id, chat.client_request_id, chat.user_id)
        self._metrics.chats_started.inc()
        self._open += 1
        self._none_open.clear()
        request = GenerationRequest(
            messages=chat.messages(),
            max_tokens=min(chat.max_tokens or self._max_tokens_limit, self._max_tokens_limit),
            temperature=chat.temperature,
            traceparent=traceparent.of_span(record.trace_id, record.span_id),
        )
        parts: list[str] = []
        pump = _ChunkPump(self._generator, request, asyncio.get_running_loop().time() + self._max_chat_seconds)
        try:
            pump.start()  # the generator runs while `started` is on its way
            yield Started(record.trace_id, chat.client_request_id)
            # Adaptive coalescing: each event carries the chunks waiting at that moment, one when the
            # caller keeps up, several when it (or the transport) is behind; per-message costs dominate.
            while chunks := await pump.take():
                if record.first_token_ns is None:
                    record.first_token_ns = pump.first_chunk_ns
                parts.extend(chunks)
                yield Token("".join(chunks), len(chunks))
            report = request.report
            record.finish_reason = _FINISH_REASONS.get(report.finish_reason or "", "stop")
            record.usage = Usage(
                input_tokens=report.input_tokens if report.input_tokens is not None else _word_count(request.messages),
                output_tokens=report.output_tokens if report.output_tokens is not None else len(parts),
            )
            # Journaled before the final event: once the caller has it, the trace cannot be lost.
            await self._exporter.submit(self._finished_trace(record, parts))
            token = ""
            if self._tokens is not None:  # the end user may rate this answer with it (and nothing else)
                token = self._tokens.issue(record.trace_id, chat.user_id, chat.client_request_id).token
            yield Finished(record.trace_id, chat.client_request_id, record.finish_reason, record.usage, token)
        except (asyncio.CancelledError, GeneratorExit):
            if not record.end_ns:
                why = "cut: the server shut down" if self.shutting_down else "cancelled by the caller"
                self._hand_over(record, parts, "cut" if self.shutting_down else "cancelled", why)
            raise
        except TimeoutError as error:
            message = f"generation took longer than {self._max_chat_seconds:g}s"
            self._hand_over(record, parts, "error", message)
            raise GenerationTimeout(message) from error
        except Exception as error:
            if not record.end_ns:
                self._hand_over(record, parts, "error", f"{type(error).__name__}: {error}")
            raise
        finally:
            pump.stop()
            self._open -= 1
            if self._open == 0:
                self._none_open.set()

    def _finished_trace(
        self, record: ChatRecord, parts: list[str], outcome: Outcome = "ok", error: str = ""
    ) -> JournaledTrace:
        """The chat's trace, ended and encoded, as the exporter journals it."""
        record.end_ns = time.time_ns()
        record.answer = "".join(parts)
        record.outcome = outcome
        record.error = error
        try:
            return JournaledTrace(record.trace_id, record.chat.client_request_id, self._encode(record), time.time())
        except Exception:
            logger.exception("trace %s cannot be encoded and is not stored", record.trace_id)
            self._inflight.abandoned(record.trace_id)
            raise

    def _hand_over(self, record: ChatRecord, parts: list[str], outcome: Outcome, error: str) -> None:
        """A chat that ends without its final event: journal its trace in the background."""
        try:
            trace = self._finished_trace(record, parts, outcome, error)
        except Exception:  # noqa: BLE001 - logged in _finished_trace; the chat's own error goes on
            return
        task = asyncio.get_running_loop().create_task(self._exporter.submit(trace))
        self._handovers.add(task)
        task.add_done_callback(self._handovers.discard)

    async def drain(self, timeout_seconds: float) -> None:
        """Wait (up to the timeout) until every chat has ended and its trace is journaled."""
        try:
            await asyncio.wait_for(self._none_open.wait(), timeout_seconds)
        except TimeoutError:
            logger.warning("%d chats still open after the server stopped", self._open)
        if self._handovers:
            await asyncio.gather(*self._handovers, return_exceptions=True)


class _ChunkPump:
    """Reads the generator ahead of the caller (at most READ_AHEAD chunks) in a task of its own, so
    that what piled up while an event was being sent goes out as one event. The time limit covers
    the generator only, as before: waiting for the caller to take chunks does not count."""

    READ_AHEAD = 256

    def __init__(self, generator: Generator, request: GenerationRequest, deadline: float):
        self._generator = generator
        self._request = request
        self._deadline = deadline
        self._chunks: list[str] = []
        self._wakeup: asyncio.Future[None] | None = None  # the reader waiting for chunks, or for the end
        self._room: asyncio.Future[None] | None = None  # the task waiting for the reader to take some
        self._task: asyncio.Task[None] | None = None
        self.first_chunk_ns: int | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(lambda _: self._wake())

    async def take(self) -> list[str]:
        """The chunks generated since the last call (waiting for one); [] at the end. Raises what
        the generator raised, or TimeoutError at the time limit."""
        assert self._task is not None
        if not self._chunks and not self._task.done():
            self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup
        if self._chunks:
            chunks, self._chunks = self._chunks, []
            if self._room is not None and not self._room.done():
                self._room.set_result(None)
            return chunks
        self._task.result()
        return []

    def stop(self) -> None:
        if self._task is None:
            return
        if self._task.done():
            if not self._task.cancelled():
                self._task.exception()  # retrieved (it was raised by take, or the chat ended before)
        else:
            self._task.cancel()  # closes the generator (aclosing), which stops an upstream generation

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    async def _run(self) -> None:
        request, repair, count = self._request, TextRepair(), 0
        async with aclosing(self._generator.stream(request)) as chunks, asyncio.timeout_at(self._deadline) as limit:
            while True:
                raw = await anext(chunks, None)
                text = repair.feed(raw) if raw is not None else repair.flush()
                if text:
                    if self.first_chunk_ns is None:
                        self.first_chunk_ns = time.time_ns()
                    self._chunks.append(text)
                    count += 1
                    self._wake()
                if raw is None:
                    return
                if count >= request.max_tokens:
                    request.report.finish_reason = "length"
                    return
                if len(self._chunks) >= self.READ_AHEAD:
                    limit.reschedule(None)  # a slow caller is gRPC's flow control, not the model's time
                    self._room = asyncio.get_running_loop().create_future()
                    await self._room
                    limit.reschedule(self._deadline)


class TextRepair:
    """Makes generated text valid Unicode where it enters the chat: a pair of surrogates split
    across two chunks is joined, and a lone surrogate becomes U+FFFD (it could be neither sent
    over gRPC nor stored)."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, chunk: str) -> str:
        text = self._held + chunk
        self._held = ""
        if text and "\ud800" <= text[-1] <= "\udbff":  # a high surrogate: its pair may come next
            text, self._held = text[:-1], text[-1]
        return _valid(text)

    def flush(self) -> str:
        text, self._held = self._held, ""
        return _valid(text)


def _valid(text: str) -> str:
    try:
        text.encode()
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# What backends report (OpenAI's names), as the service records it; anything else is a normal stop.
_FINISH_REASONS: dict[str, Literal["stop", "length", "content_filter"]] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
}


def _word_count(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"].split()) for m in messages)
