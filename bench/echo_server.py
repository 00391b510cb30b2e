"""The ceiling for `bench/streaming.py`: a bare grpc.aio server whose Chat streams a `started`
event, 64 small `token` messages and a `finished` event (the service's own messages and sizes),
with nothing else: no tracing, no journal, no metrics, no interceptors.

Run: `python bench/echo_server.py --port 50061`.
"""

import argparse
import asyncio
import sys
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients" / "python"))
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc  # noqa: E402

TOKENS = 64
TRACE_ID = "tr-" + "0" * 32


class EchoChat(chat_pb2_grpc.ChatServiceServicer):
    async def Chat(self, request, context):
        yield chat_pb2.ChatResponse(started=chat_pb2.ChatStarted(trace_id=TRACE_ID))
        words = request.message.split() or ["echo"]
        for index in range(TOKENS):
            yield chat_pb2.ChatResponse(token=chat_pb2.ChatToken(text=" " + words[index % len(words)]))
        yield chat_pb2.ChatResponse(
            finished=chat_pb2.ChatFinished(
                trace_id=TRACE_ID,
                finish_reason=chat_pb2.FINISH_REASON_STOP,
                usage=chat_pb2.TokenUsage(input_tokens=len(words), output_tokens=TOKENS, total_tokens=len(words) + TOKENS),
            )
        )


async def serve(port: int) -> None:
    server = grpc.aio.server()
    chat_pb2_grpc.add_ChatServiceServicer_to_server(EchoChat(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
