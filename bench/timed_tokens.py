"""A generator for the service (`--generator callable --callable timed_tokens:stream`, with bench/
on PYTHONPATH) whose chunks carry the wall-clock time they left it, so `bench/streaming.py` can
measure the gap between a chunk leaving the generator and reaching the caller."""

import asyncio
import time

CHUNKS = 32
DELAY_SECONDS = 0.005  # a fast model: 200 chunks/s, well within what one caller keeps up with


async def stream(request):
    for index in range(CHUNKS):
        if index:
            await asyncio.sleep(DELAY_SECONDS)
        yield f" {time.time_ns()}"
