"""Token sources for tests, loaded by the service as `--generator callable` (module:function)."""

import asyncio
import threading
from dataclasses import dataclass, field

from genaifeedback.service.domain.errors import ModelRateLimited

# Set by slow_forever when the service closes it (the time limit, a shutdown).
closed = threading.Event()
# gated yields one chunk, then waits for the test to open this gate before it finishes.
gate = threading.Event()


async def three_then_boom(request):
    for word in ("one", " two", " three"):
        yield word
    raise RuntimeError("boom: the model crashed")


async def slow_forever(request):
    closed.clear()
    count = 0
    try:
        while True:
            count += 1
            yield f" t{count}"
            await asyncio.sleep(0.02)  # ok: paces a model that never ends (a time limit or a shutdown ends it)
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


@dataclass
class OnDemandChat:
    """One chat of `on_demand`, driven from the test's thread: each next_chunk() lets the model yield
    one more chunk, end() lets it finish; closed is set when the service closes the generator."""

    loop: asyncio.AbstractEventLoop
    asks: asyncio.Queue[bool] = field(default_factory=asyncio.Queue)
    yielded: int = 0
    closed: threading.Event = field(default_factory=threading.Event)

    def next_chunk(self) -> None:
        self.loop.call_soon_threadsafe(self.asks.put_nowait, True)

    def end(self) -> None:
        self.loop.call_soon_threadsafe(self.asks.put_nowait, False)


_on_demand_chats: dict[str, OnDemandChat] = {}
_on_demand_started = threading.Condition()


def on_demand_chat(message: str, timeout: float = 30) -> OnDemandChat:
    """The on_demand chat started for this (unique) message, once its generator runs."""
    with _on_demand_started:
        assert _on_demand_started.wait_for(lambda: message in _on_demand_chats, timeout), f"no chat for {message!r}"
        return _on_demand_chats.pop(message)


async def on_demand(request):
    """Chunks " c0", " c1", ... each only when the test asks for it: the model's pace is the test's
    events, never a clock. It ends only when told to (or when the service closes it)."""
    chat = OnDemandChat(asyncio.get_running_loop())
    with _on_demand_started:
        _on_demand_chats[request.messages[-1]["content"]] = chat
        _on_demand_started.notify_all()
    try:
        while await chat.asks.get():
            chat.yielded += 1
            yield f" c{chat.yielded - 1}"
    finally:
        chat.closed.set()
