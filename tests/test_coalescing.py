"""Adaptive coalescing against a real service: a token event carries the chunks waiting when the
caller is ready; every chunk reaches the caller once, in order, and usage counts chunks."""

import time
import uuid

import grpc
import pytest

import scripted_generators
from genaifeedback.client import FeedbackClient
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc

# A tiny receive window: a reader that falls behind makes the service's sends wait at once.
SMALL_WINDOW = [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]


def expected_text(count: int) -> str:
    return "".join(f" c{index}" for index in range(count))


@pytest.mark.slow  # a long scenario: 400 chunks to a reader slowed on purpose
def test_a_slow_reader_gets_every_chunk_once_in_order_in_fewer_events(start_service, mlflow_client):
    replica = start_service(generator="callable", callable="scripted_generators:paced")
    with grpc.insecure_channel(replica.target, options=SMALL_WINDOW) as channel:
        call = chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message="count"), timeout=60)
        texts, chunk_counts, finished = [], [], None
        for event in call:
            if event.HasField("token"):
                texts.append(event.token.text)
                chunk_counts.append(max(1, event.token.chunk_count))
                time.sleep(0.02)  # ok: the slow reader is the scenario under test
            elif event.HasField("finished"):
                finished = event.finished
    count = scripted_generators.PACED_CHUNKS
    assert "".join(texts) == expected_text(count)
    assert sum(chunk_counts) == count == finished.usage.output_tokens  # tokens, not messages
    assert len(texts) < count / 2 and max(chunk_counts) > 1  # coalesced while the reader lagged
    replica.wait_stored(finished.trace_id)
    assert mlflow_client.get_trace(finished.trace_id).data.spans[0].outputs == expected_text(count)


def test_a_reader_that_keeps_up_gets_one_event_per_chunk(start_service):
    replica = start_service(generator="callable", callable="scripted_generators:on_demand")
    message = f"count {uuid.uuid4()}"
    with FeedbackClient(replica.target, timeout=30) as client, client.chat(message) as stream:
        model = scripted_generators.on_demand_chat(message)
        model.next_chunk()
        received = []
        for text in stream:
            # The model makes the next chunk only once this one has arrived: the reader keeps up
            # by construction, so each chunk is alone when the service sends it.
            received.append(text)
            model.next_chunk() if len(received) < 20 else model.end()
    assert "".join(received) == stream.text == expected_text(20)
    assert stream.chunks_received == stream.usage.output_tokens == 20
    assert stream.events_received == 20  # one event per chunk: nothing was held back to be merged


@pytest.mark.slow  # a long scenario: 400 chunks to a reader slowed on purpose
def test_the_python_client_yields_every_chunk_once_when_coalesced(start_service):
    replica = start_service(generator="callable", callable="scripted_generators:paced")
    channel = grpc.insecure_channel(replica.target, options=SMALL_WINDOW)
    with FeedbackClient(channel=channel) as client, client.chat("count") as stream:
        received = []
        for text in stream:
            received.append(text)
            time.sleep(0.02)  # ok: the slow reader is the scenario under test
    count = scripted_generators.PACED_CHUNKS
    assert "".join(received) == expected_text(count)
    assert stream.chunks_received == stream.usage.output_tokens == count
    assert stream.events_received == len(received) < count / 2
