"""The MLflow guide's streaming chat app ("collect user feedback", streaming section), re-implemented
for `bench/streaming.py`: FastAPI, a `StreamingResponse` of server-sent events, and MLflow tracing
as the guide does it (`mlflow.start_span` around the stream, `mlflow.update_current_trace`, the
answer set as a span attribute, the trace id sent in the final `done` event), exported by MLflow's
default exporter (asynchronous trace logging, its defaults).

Departures from the guide, all in the guide's favour or needed to run it:
- the LLM is the service's own 64-token demo generator (`DemoGenerator`), with no token delay, and
  the guide's `await asyncio.sleep(0.01)` per token is left out (the benchmark streams at full speed);
- `update_current_trace(request_message=..., stream_start_time=...)` is not MLflow 3's signature:
  the same two values go in `tags=`;
- uvicorn's access log is off (one line per request would cost it CPU).

Run: `python bench/guide_app.py --port 8000 --tracking-uri http://127.0.0.1:5000 --experiment-name x`.
"""

import argparse
import json
import sys
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path

import mlflow
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genaifeedback.service.domain.generators import DemoGenerator, GenerationRequest  # noqa: E402

TOKENS = 64
app = FastAPI()
generator = DemoGenerator(response_tokens=TOKENS, token_delay_seconds=0.0)


class ChatRequest(BaseModel):
    message: str


async def your_llm_stream_function(message: str) -> AsyncGenerator[str, None]:
    async for token in generator.stream(GenerationRequest([{"role": "user", "content": message}], TOKENS)):
        yield token


@app.post("/chat/stream")
async def chat_stream(request: ChatRequest):
    """Stream chat responses with trace ID sent at completion (the guide's code)."""

    async def generate() -> AsyncGenerator[str, None]:
        try:
            with mlflow.start_span(name="streaming_chat") as span:
                mlflow.update_current_trace(
                    tags={"request_message": request.message, "stream_start_time": datetime.now().isoformat()}
                )
                full_response = ""
                async for token in your_llm_stream_function(request.message):
                    full_response += token
                    yield f"data: {json.dumps({'type': 'token', 'content': token})}\n\n"
                span.set_attribute("response", full_response)
                span.set_attribute("token_count", len(full_response.split()))
                trace_id = span.trace_id
            yield f"data: {json.dumps({'type': 'done', 'trace_id': trace_id})}\n\n"
        except Exception as e:
            if mlflow.get_current_active_span():
                mlflow.update_current_trace(tags={"error": str(e)})
            yield f"data: {json.dumps({'type': 'error', 'error': str(e)})}\n\n"

    return StreamingResponse(
        generate(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--experiment-name", required=True)
    args = parser.parse_args()
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_experiment(args.experiment_name)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
