"""Chat: run a generation, stream its tokens, and hand the finished chat to the trace exporter.

Every call becomes exactly one trace, whatever happens: finished, cancelled by the caller,
failed in the generator, or timed out. The record is handed over before the final event is
sent, so feedback that follows the final event finds the trace on its way to MLflow.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Literal, Protocol


from genaifeedback.service.errors import GenerationTimeout
from genaifeedback.service.generators import GenerationRequest, Generator
from genaifeedback.service.ids import new_span_id, new_trace_id


@dataclass(frozen=True)
class Turn:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatInput:
    message: str
    history: tuple[Turn, ...] = ()
    client_request_id: str = ""
    user_id: str = ""
    session_id: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    max_tokens: int | None = None
    temperature: float | None = None

    def messages(self) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in self.history] + [
            {"role": "user", "content": self.message}
        ]


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Started:
    trace_id: str
    client_request_id: str


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Finished:
    trace_id: str
    client_request_id: str
    finish_reason: Literal["stop", "length", ""]
    usage: Usage


ChatEvent = Started | Token | Finished


@dataclass
class ChatRecord:
    """One chat as it will be stored as a trace."""

    trace_id: str
    span_id: str
    chat: ChatInput
    model: str
    start_ns: int
    end_ns: int = 0
    first_token_ns: int | None = None
    answer: str = ""
    outcome: Literal["ok", "cancelled", "error"] = "ok"
    error: str = ""
    finish_reason: str = ""
    usage: Usage | None = None


class ExportBacklog(Protocol):
    """What ChatRunner needs of the trace exporter (see mlflow_store.TraceExporter)."""

    def ensure_capacity(self) -> None: ...
    def expect(self, trace_id: str, client_request_id: str) -> None: ...
    def submit(self, record: ChatRecord) -> None: ...


class ChatRunner:
    def __init__(self, generator: Generator, exporter: ExportBacklog, max_tokens_limit: int, max_chat_seconds: float):
        self._generator = generator
        self._exporter = exporter
        self._max_tokens_limit = max_tokens_limit
        self._max_chat_seconds = max_chat_seconds

    async def stream(self, chat: ChatInput) -> AsyncIterator[ChatEvent]:
        self._exporter.ensure_capacity()
        record = ChatRecord(
            trace_id=new_trace_id(), span_id=new_span_id(), chat=chat, model=self._generator.name, start_ns=time.time_ns()
        )
        self._exporter.expect(record.trace_id, chat.client_request_id)
        request = GenerationRequest(
            messages=chat.messages(),
            max_tokens=min(chat.max_tokens or self._max_tokens_limit, self._max_tokens_limit),
            temperature=chat.temperature,
        )
        parts: list[str] = []
        try:
            yield Started(record.trace_id, chat.client_request_id)
            async with asyncio.timeout(self._max_chat_seconds):
                async with aclosing(self._generator.stream(request)) as chunks:
                    async for text in chunks:
                        if not text:
                            continue
                        if record.first_token_ns is None:
                            record.first_token_ns = time.time_ns()
                        parts.append(text)
                        yield Token(text)
                        if len(parts) >= request.max_tokens:
                            request.report.finish_reason = "length"
                            break
            report = request.report
            record.finish_reason = "length" if report.finish_reason == "length" else "stop"
            record.usage = Usage(
                input_tokens=report.input_tokens if report.input_tokens is not None else _word_count(request.messages),
                output_tokens=report.output_tokens if report.output_tokens is not None else len(parts),
            )
            self._close(record, parts)
            yield Finished(record.trace_id, chat.client_request_id, record.finish_reason, record.usage)
        except (asyncio.CancelledError, GeneratorExit):
            self._close(record, parts, "cancelled", "cancelled by the caller")
            raise
        except TimeoutError as error:
            message = f"generation took longer than {self._max_chat_seconds:g}s"
            self._close(record, parts, "error", message)
            raise GenerationTimeout(message) from error
        except Exception as error:
            self._close(record, parts, "error", f"{type(error).__name__}: {error}")
            raise

    def _close(self, record: ChatRecord, parts: list[str], outcome="ok", error="") -> None:
        if record.end_ns:  # already handed over: an error raised after the final event
            return
        record.end_ns = time.time_ns()
        record.answer = "".join(parts)
        record.outcome = outcome
        record.error = error
        self._exporter.submit(record)


def _word_count(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"].split()) for m in messages)
