"""Where tokens come from: the built-in demo model, an OpenAI-compatible endpoint, or a user callable.

A generator turns a GenerationRequest into an async stream of text chunks. It may report usage
and a finish reason through `GenerationRequest.report`; the chat layer counts what it is not told.
Failures surface as errors.GenerationFailed (or a subclass saying how it failed).
"""

import asyncio
import hashlib
import importlib
import inspect
import itertools
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai
from openai.types.chat import ChatCompletionMessageParam

from genaifeedback.service.domain.errors import (
    GenerationFailed,
    GenerationTimeout,
    ModelRateLimited,
    ModelRejected,
    ModelUnavailable,
)


@dataclass
class GenerationReport:
    """What a backend knows at the end of a generation; None where it does not say."""

    finish_reason: str | None = None  # "stop" or "length"
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class GenerationRequest:
    messages: list[dict[str, str]]  # OpenAI-style [{"role": "user", "content": "..."}], oldest first
    max_tokens: int
    temperature: float | None = None
    # The chat's span as a W3C traceparent: a backend passes it on, so the model's own spans join the chat.
    traceparent: str = ""
    report: GenerationReport = field(default_factory=GenerationReport, compare=False)


class Generator(Protocol):
    name: str  # recorded on the trace as the model

    def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]: ...


_DEMO_VOCABULARY = [
    "MLflow",
    "records",
    "every",
    "chat",
    "as",
    "a",
    "trace",
    "so",
    "that",
    "feedback",
    "from",
    "real",
    "users",
    "can",
    "be",
    "attached",
    "to",
    "it",
    "searched",
    "aggregated",
    "and",
    "turned",
    "into",
    "evaluation",
    "datasets",
    "that",
    "show",
    "where",
    "the",
    "application",
    "should",
    "improve",
    "next",
]


class DemoGenerator:
    """A deterministic offline model: the same prompt always streams the same answer."""

    name = "demo"

    def __init__(self, response_tokens: int, token_delay_seconds: float):
        self._response_tokens = response_tokens
        self._token_delay_seconds = token_delay_seconds

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        prompt = request.messages[-1]["content"]
        seed = hashlib.sha256(prompt.encode()).digest()[0] % len(_DEMO_VOCABULARY)
        words = itertools.chain(
            ["Demo", "answer", "to", f"{' '.join(prompt.split()[:8])!r}:"],
            itertools.islice(itertools.cycle(_DEMO_VOCABULARY), seed, None),
        )
        length = min(self._response_tokens, request.max_tokens)
        for index, word in enumerate(itertools.islice(words, length)):
            if index and self._token_delay_seconds:
                await asyncio.sleep(self._token_delay_seconds)
            yield word if index == 0 else " " + word
        request.report.finish_reason = "length" if length < self._response_tokens else "stop"


class OpenAICompatibleGenerator:
    """Streams from any OpenAI-compatible /chat/completions endpoint (vLLM, Ollama, OpenAI, LiteLLM)."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout_seconds: float):
        self.name = model
        self._model = model
        # Retries belong to the caller (and the mesh): a retried half-streamed answer would repeat tokens.
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout_seconds, max_retries=0)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        try:
            response = await self._client.chat.completions.create(
                model=self._model,
                messages=[_openai_message(m) for m in request.messages],
                stream=True,
                stream_options={"include_usage": True},
                max_tokens=request.max_tokens,
                temperature=openai.omit if request.temperature is None else request.temperature,
                extra_headers={"traceparent": request.traceparent} if request.traceparent else None,
            )
            # Closing the response on exit (including cancellation) stops the upstream generation.
            async with response as chunks:
                async for chunk in chunks:
                    if chunk.usage:
                        request.report.input_tokens = chunk.usage.prompt_tokens
                        request.report.output_tokens = chunk.usage.completion_tokens
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            request.report.finish_reason = choice.finish_reason
                        if choice.delta and choice.delta.content:
                            yield choice.delta.content
        except openai.APIError as error:
            raise _failure_for(error)(f"model endpoint: {error}") from error


def _failure_for(error: openai.APIError) -> type[GenerationFailed]:
    if isinstance(error, openai.APITimeoutError):
        return GenerationTimeout
    if isinstance(error, openai.APIConnectionError):
        return ModelUnavailable
    if isinstance(error, openai.RateLimitError):
        return ModelRateLimited
    if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
        return ModelUnavailable
    # 4xx other than 429: the service is misconfigured (model name, key) or the stream was malformed.
    return ModelRejected


class CallableGenerator:
    """Wraps a user's `module:function`: called with a GenerationRequest, it returns (or is) a
    sync or async iterable of text chunks. It may fill `request.report`. Anything it raises fails
    the chat with INTERNAL, unless it raises an errors.GenerationFailed of its own (ModelUnavailable, ...)."""

    def __init__(self, target: str):
        module_name, _, function_name = target.partition(":")
        self.name = target
        self._function: Callable[[GenerationRequest], Any] = getattr(
            importlib.import_module(module_name), function_name
        )

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        try:
            chunks = self._function(request)
            if inspect.isawaitable(chunks):
                chunks = await chunks
            if hasattr(chunks, "__aiter__"):
                async for chunk in chunks:
                    yield str(chunk)
            else:
                # A plain iterator may block (a sync HTTP client, a local model): step it in a thread.
                iterator, done = iter(chunks), object()
                while (chunk := await asyncio.to_thread(next, iterator, done)) is not done:
                    yield str(chunk)
        except GenerationFailed:
            raise
        except Exception as error:
            raise GenerationFailed(f"generator {self.name} failed: {type(error).__name__}: {error}") from error


def _openai_message(message: dict[str, str]) -> ChatCompletionMessageParam:
    role, content = message["role"], message["content"]
    if role == "system":
        return {"role": "system", "content": content}
    if role == "assistant":
        return {"role": "assistant", "content": content}
    return {"role": "user", "content": content}
