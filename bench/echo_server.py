"""The ceiling for `bench/streaming.py` and `bench/ack.py`: a bare grpc.aio server whose Chat streams a
`started` event, 64 small `token` messages and a `finished` event, and whose SubmitFeedback answers at
once with a PENDING acknowledgement (the service's own messages and sizes), with nothing else: no
tracing, no journal, no metrics, no interceptors. Reflection is on, for ghz.

Run: `python bench/echo_server.py --port 50061`.
"""

import argparse
import asyncio
import sys
from pathlib import Path

import grpc

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "clients" / "python"), str(Path(__file__).resolve().parent.parent)]
from genaifeedback.service.transport.reflection import enable_reflection  # noqa: E402  (the service's, for ghz)
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc, feedback_pb2, feedback_pb2_grpc  # noqa: E402

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


class EchoFeedback(feedback_pb2_grpc.FeedbackServiceServicer):
    async def SubmitFeedback(self, request, context):
        return feedback_pb2.SubmitFeedbackResponse(
            assessment_id="a-" + request.request_id[:32].rjust(32, "0"),
            trace_id=request.trace_id or TRACE_ID,
            state=feedback_pb2.FEEDBACK_STATE_PENDING,
        )


async def serve(port: int) -> None:
    server = grpc.aio.server()
    chat_pb2_grpc.add_ChatServiceServicer_to_server(EchoChat(), server)
    feedback_pb2_grpc.add_FeedbackServiceServicer_to_server(EchoFeedback(), server)
    enable_reflection([chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name,
                       feedback_pb2.DESCRIPTOR.services_by_name["FeedbackService"].full_name], server)  # fmt: skip
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))
