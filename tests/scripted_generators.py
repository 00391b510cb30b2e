"""Token sources for tests, loaded by the service as `--generator callable` (module:function)."""

import asyncio
import threading

from genaifeedback.service.domain.errors import ModelRateLimited

# Set by slow_forever when the service closes it (the caller cancelled); counts what it yielded.
closed = threading.Event()
yielded = 0
# gated yields one chunk, then waits for the test to open this gate before it finishes.
gate = threading.Event()


async def three_then_boom(request):
    for word in ("one", " two", " three"):
        yield word
    raise RuntimeError("boom: the model crashed")


async def slow_forever(request):
    global yielded
    closed.clear()
    yielded = 0
    try:
        while True:
            yielded += 1
            yield f" t{yielded}"
            await asyncio.sleep(0.02)  # ok: paces a model that never stops, so cancellation has work to stop
    finally:
        closed.set()


async def echo_options(request):
    yield f"max_tokens={request.max_tokens} temperature={request.temperature} turns={len(request.messages)}"
    request.report.input_tokens = 7
    request.report.output_tokens = 1


def sync_words(request):
    return iter(["sync", " generator", " works"])


async def overloaded(request):
    raise ModelRateLimited("model overloaded")
    yield  # an async generator


def split_emoji(request):
    """An OpenAI-compatible stream can split a surrogate pair across chunks, and send a stray half."""
    yield from ["smile ", "\ud83d", "\ude00", " and a stray ", "\udc00", "!"]


async def gated(request):
    yield "first chunk"
    while not gate.is_set():  # noqa: ASYNC110 - a threading.Event: the test sets it from its own thread
        await asyncio.sleep(0.005)  # ok: the chat stays open until the test opens the gate
    yield ", then the rest"


PACED_CHUNKS = 400


async def paced(request):
    """PACED_CHUNKS numbered chunks, 1 ms apart: faster than a slow reader, slower than a fast one."""
    for index in range(PACED_CHUNKS):
        if index:
            await asyncio.sleep(0.001)  # ok: paces the model (the scenario, not synchronisation)
        yield f" c{index}"


async def paced_slowly(request):
    """20 numbered chunks, 20 ms apart: a caller reading as they come keeps up."""
    for index in range(20):
        if index:
            await asyncio.sleep(0.02)  # ok: paces the model (the scenario, not synchronisation)
        yield f" c{index}"
