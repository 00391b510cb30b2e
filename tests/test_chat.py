"""Chat against a real in-process gRPC server and a real MLflow tracking server."""

import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

import scripted_generators
from fake_openai import FakeOpenAI
from genaifeedback.v1 import chat_pb2, chat_pb2_grpc
from support import TRACE_ID_KEY, chat, details, error_reason, metric, trailing, violations


def test_stream_order_and_the_trace_mlflow_stores(service, mlflow_client):
    call = service.chat.Chat(
        chat_pb2.ChatRequest(
            message="What is MLflow?",
            history=[chat_pb2.ChatMessage(role=chat_pb2.ROLE_SYSTEM, content="Be brief.")],
            client_request_id="order-1",
            user_id="alice",
            session_id="session-7",
            tags={"env": "test", "team": "search", "area/sub-area: v2.1": "ünïcode value"},
            options=chat_pb2.GenerationOptions(max_tokens=12),
        ),
        timeout=30,
    )
    events = list(call)
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "started" and set(kinds[1:-1]) == {"token"} and kinds[-1] == "finished"
    # The demo model (no delay here) outruns the stream: its chunks are coalesced, and counted.
    assert sum(max(1, e.token.chunk_count) for e in events[1:-1]) == 12
    started, finished = events[0].started, events[-1].finished
    trace_id = started.trace_id
    assert trace_id.startswith("tr-") and finished.trace_id == trace_id
    assert started.client_request_id == finished.client_request_id == "order-1"
    assert finished.finish_reason == chat_pb2.FINISH_REASON_LENGTH
    assert finished.usage.output_tokens == 12
    assert finished.usage.input_tokens == 5  # "Be brief." + "What is MLflow?"
    assert finished.usage.total_tokens == 17
    assert trailing(call)[TRACE_ID_KEY] == trace_id
    answer = "".join(e.token.text for e in events[1:-1])

    service.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    info = trace.info
    assert info.state.value == "OK"
    assert info.trace_metadata["mlflow.trace.user"] == "alice"
    assert info.trace_metadata["mlflow.trace.session"] == "session-7"
    assert info.tags["client_request_id"] == "order-1"
    assert info.tags["env"] == "test" and info.tags["team"] == "search"
    assert info.tags["area/sub-area: v2.1"] == "ünïcode value"
    assert info.tags["chat.outcome"] == "ok"
    assert info.tags["mlflow.traceName"] == "chat"
    # Each tag is a row MLflow writes: only those a reader uses (no `service.name`, say).
    assert {k for k in info.tags if not k.startswith("mlflow.")} == {
        "client_request_id", "env", "team", "area/sub-area: v2.1", "chat.outcome", "chat.finish_reason"
    }  # fmt: skip
    assert info.tags["chat.finish_reason"] == "length"  # cut short: searchable
    assert info.request_preview == "What is MLflow?"
    [root] = trace.data.spans
    assert root.inputs["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is MLflow?"},
    ]
    assert root.inputs["max_tokens"] == 12
    assert root.outputs == answer
    assert root.span_type == "CHAT_MODEL"
    assert root.get_attribute("mlflow.chat.tokenUsage") == {"input_tokens": 5, "output_tokens": 12, "total_tokens": 17}


def test_demo_model_is_deterministic_and_complete_chat_matches_the_stream(service, mlflow_client):
    streamed = "".join(e.token.text for e in chat(service, message="Tell me about traces")[1:-1])
    response, call = service.chat.CompleteChat.with_call(
        chat_pb2.CompleteChatRequest(message="Tell me about traces", client_request_id="unary-1"), timeout=30
    )
    assert response.text == streamed
    assert response.finish_reason == chat_pb2.FINISH_REASON_STOP
    assert response.usage.output_tokens == service.settings.demo_response_tokens
    assert response.client_request_id == "unary-1"
    assert trailing(call)[TRACE_ID_KEY] == response.trace_id
    service.wait_stored(response.trace_id)
    trace = mlflow_client.get_trace(response.trace_id)
    assert trace.data.spans[0].outputs == response.text
    # An answer that ended on its own: the finish reason is on the span, not a tag (a row) of the trace.
    assert trace.data.spans[0].get_attribute("chat.finish_reason") == "stop"
    assert "chat.finish_reason" not in trace.info.tags


def test_cancelling_stops_generation_and_still_records_the_trace(start_service, mlflow_client):
    replica = start_service(generator="callable", callable="scripted_generators:on_demand")
    message = f"never ends {uuid.uuid4()}"
    call = replica.chat.Chat(chat_pb2.ChatRequest(message=message), timeout=60)
    trace_id = next(call).started.trace_id
    model = scripted_generators.on_demand_chat(message)
    received = []
    for _ in range(3):  # the model makes one chunk at a time, each once the previous one arrived
        model.next_chunk()
        received.append(next(call).token.text)
    call.cancel()
    # The model is waiting to be asked for its fourth chunk, which never comes: only the service
    # closing the generator on the hang-up can end it (a generator left running would wait forever).
    assert model.closed.wait(30), "the generator was not closed after the caller hung up"
    assert model.yielded == len(received) == 3

    replica.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    assert trace.info.state.value == "ERROR"
    assert trace.info.tags["chat.outcome"] == "cancelled"
    # The trace holds everything generated, in order, up to the hang-up.
    assert trace.data.spans[0].outputs == "".join(received) == " c0 c1 c2"


def test_generator_failure_ends_the_stream_with_a_status_and_the_trace_id(start_service, mlflow_client):
    replica = start_service(generator="callable", callable="scripted_generators:three_then_boom")
    call = replica.chat.Chat(chat_pb2.ChatRequest(message="crash please"), timeout=30)
    trace_id = next(call).started.trace_id
    received: list[chat_pb2.ChatResponse] = []
    with pytest.raises(grpc.RpcError) as failure:
        received.extend(call)  # the chunks generated before the failure, then the status
    tokens = [event.token.text for event in received]
    assert ("".join(tokens), sum(max(1, e.token.chunk_count) for e in received)) == ("one two three", 3)
    assert failure.value.code() == grpc.StatusCode.INTERNAL
    assert "boom: the model crashed" in failure.value.details()
    assert trailing(failure.value)[TRACE_ID_KEY] == trace_id
    assert error_reason(failure.value) == "GENERATION_FAILED"
    assert details(failure.value, error_details_pb2.ErrorInfo).metadata["trace_id"] == trace_id

    replica.wait_stored(trace_id)
    trace = mlflow_client.get_trace(trace_id)
    assert trace.info.state.value == "ERROR"
    assert trace.info.tags["chat.outcome"] == "error"
    assert trace.data.spans[0].outputs == "".join(tokens)
    assert "boom: the model crashed" in trace.data.spans[0].events[0].attributes["exception.message"]


def test_a_generator_failure_keeps_its_own_status(start_service):
    replica = start_service(generator="callable", callable="scripted_generators:overloaded")
    with pytest.raises(grpc.RpcError) as failure:
        chat(replica, message="hi")
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_reason(failure.value) == "MODEL_RATE_LIMITED"
    assert details(failure.value, error_details_pb2.RetryInfo).retry_delay.seconds >= 1


def test_callable_backends_get_the_options_and_may_report_usage(start_service):
    replica = start_service(generator="callable", callable="scripted_generators:echo_options")
    events = chat(
        replica,
        message="hi",
        history=[chat_pb2.ChatMessage(role=chat_pb2.ROLE_USER, content="before")],
        options=chat_pb2.GenerationOptions(max_tokens=5, temperature=0.5),
    )
    assert events[1].token.text == "max_tokens=5 temperature=0.5 turns=2"
    assert events[-1].finished.usage.input_tokens == 7


def test_plain_sync_generators_work(start_service):
    replica = start_service(generator="callable", callable="scripted_generators:sync_words")
    events = chat(replica, message="hi")
    assert "".join(e.token.text for e in events[1:-1]) == "sync generator works"


@pytest.fixture
def fake_openai():
    fake = FakeOpenAI()
    yield fake
    fake.close()


def test_openai_compatible_backend_streams_what_the_endpoint_sends(start_service, fake_openai, mlflow_client):
    replica = start_service(
        generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model", openai_api_key="sk-test"
    )
    events = chat(replica, message="Say hello", options=chat_pb2.GenerationOptions(max_tokens=50, temperature=0.2))
    assert "".join(e.token.text for e in events[1:-1]) == "Hello, world!"
    assert sum(max(1, e.token.chunk_count) for e in events[1:-1]) == 4
    finished = events[-1].finished
    assert finished.finish_reason == chat_pb2.FINISH_REASON_STOP
    assert (finished.usage.input_tokens, finished.usage.output_tokens) == (11, 4)
    [request] = fake_openai.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "fake-model" and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Say hello"}]
    assert body["max_tokens"] == 50 and body["temperature"] == 0.2

    replica.wait_stored(finished.trace_id)
    stored = mlflow_client.get_trace(finished.trace_id)
    assert stored.data.spans[0].get_attribute("mlflow.llm.model") == "fake-model"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (429, grpc.StatusCode.RESOURCE_EXHAUSTED),
        (500, grpc.StatusCode.UNAVAILABLE),
        (404, grpc.StatusCode.FAILED_PRECONDITION),
    ],
)
def test_openai_endpoint_errors_map_to_statuses(start_service, fake_openai, status, code):
    fake_openai.status = status
    replica = start_service(generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model")
    with pytest.raises(grpc.RpcError) as failure:
        chat(replica, message="hi")
    assert failure.value.code() == code
    assert TRACE_ID_KEY in trailing(failure.value)


def test_openai_endpoint_unreachable_is_unavailable(start_service):
    from conftest import free_port

    replica = start_service(generator="openai", openai_base_url=f"http://127.0.0.1:{free_port()}/v1", openai_model="m")
    with pytest.raises(grpc.RpcError) as failure:
        chat(replica, message="hi")
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_cancelling_closes_the_openai_stream_upstream(start_service, fake_openai):
    fake_openai.chunks = [f" w{i}" for i in range(500)]
    fake_openai.chunk_delay = 0.01
    replica = start_service(generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model")
    call = replica.chat.Chat(chat_pb2.ChatRequest(message="long answer"), timeout=60)
    next(call)
    next(call)
    call.cancel()
    assert fake_openai.disconnected.wait(10), "the upstream stream was not closed after cancellation"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": "x" * (32 * 1024 + 1)}, "message"),
        ({"history": [chat_pb2.ChatMessage(content="no role")]}, "history[0].role"),
        ({"history": [chat_pb2.ChatMessage(role=9, content="unknown role")]}, "history[0].role"),
        ({"client_request_id": "r" * 129}, "client_request_id"),
        ({"client_request_id": 'say "hi"'}, "client_request_id"),
        ({"user_id": "u" * 251}, "user_id"),
        ({"session_id": "s" * 251}, "session_id"),
        ({"tags": {"my tag!": "x"}}, 'tags["my tag!"]'),
        ({"tags": {"/abs": "x"}}, 'tags["/abs"]'),
        ({"tags": {"mlflow.user": "x"}}, 'tags["mlflow.user"]'),
        ({"tags": {"client_request_id": "x"}}, 'tags["client_request_id"]'),
        ({"tags": {f"k{i}": "v" for i in range(21)}}, "tags"),
        ({"options": chat_pb2.GenerationOptions(max_tokens=0)}, "options.max_tokens"),
        ({"options": chat_pb2.GenerationOptions(max_tokens=10_000)}, "options.max_tokens"),
        ({"options": chat_pb2.GenerationOptions(temperature=2.5)}, "options.temperature"),
    ],
)
def test_bad_chat_requests_are_invalid_argument_and_start_nothing(service, fields, bad_field):
    fields.setdefault("message", "hello")
    started_before = metric(service, "genaifeedback_chats_started_total")
    with pytest.raises(grpc.RpcError) as failure:
        chat(service, **fields)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_field in violations(failure.value)
    assert TRACE_ID_KEY not in trailing(failure.value)
    assert metric(service, "genaifeedback_chats_started_total") == started_before


def test_health_and_reflection(service):
    health = health_pb2_grpc.HealthStub(service.channel)
    for name in ("", "genaifeedback.v1.ChatService", "genaifeedback.v1.FeedbackService"):
        status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    services = ProtoReflectionDescriptorDatabase(service.channel).get_services()
    assert {"genaifeedback.v1.ChatService", "genaifeedback.v1.FeedbackService", "grpc.health.v1.Health"} <= set(
        services
    )


def test_shutdown_drains_streams_and_stores_their_traces(start_service, mlflow_client):
    replica = start_service(demo_token_delay_ms=20, demo_response_tokens=40, shutdown_grace_seconds=5)
    with grpc.insecure_channel(replica.target) as channel:  # outlives the replica's own
        call = chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message="finish me"), timeout=60)
        trace_id = next(call).started.trace_id
        next(call)
        replica.stop()  # returns once open streams ended and queued traces are stored
        events = list(call)
    assert events[-1].finished.trace_id == trace_id, "the open stream was not allowed to finish"
    assert mlflow_client.get_trace_info(trace_id).state.value == "OK"


def test_the_chat_time_limit_stops_the_generator_and_says_deadline_exceeded_with_the_trace(
    start_service, mlflow_client
):
    replica = start_service(generator="callable", callable="scripted_generators:slow_forever", max_chat_seconds=0.3)
    call = replica.chat.Chat(chat_pb2.ChatRequest(message="never ends"), timeout=30)
    trace_id = next(call).started.trace_id
    with pytest.raises(grpc.RpcError) as failure:
        list(call)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert error_reason(failure.value) == "GENERATION_TIMEOUT"
    assert details(failure.value, error_details_pb2.ErrorInfo).metadata["trace_id"] == trace_id
    assert scripted_generators.closed.wait(10), "the generator was not closed at the time limit"
    replica.wait_stored(trace_id)
    trace = mlflow_client.get_trace_info(trace_id)
    assert trace.tags["chat.outcome"] == "error"


def test_a_stream_still_open_when_the_shutdown_grace_ends_is_cut_and_labelled_so(start_service, mlflow_client):
    replica = start_service(
        generator="callable", callable="scripted_generators:slow_forever", shutdown_grace_seconds=0.5
    )
    with grpc.insecure_channel(replica.target) as channel:  # outlives the replica's own
        call = chat_pb2_grpc.ChatServiceStub(channel).Chat(chat_pb2.ChatRequest(message="never ends"), timeout=60)
        trace_id = next(call).started.trace_id
        next(call)
        replica.stop()  # returns once the grace is over, the stream cut, and its trace delivered
        with pytest.raises(grpc.RpcError):
            list(call)
    trace = mlflow_client.get_trace_info(trace_id)
    assert trace.tags["chat.outcome"] == "cut"


def test_metrics_are_served_for_prometheus(start_service):
    import httpx

    replica = start_service(metrics_address="127.0.0.1:0")
    chat(replica, message="count me")
    text = httpx.get(f"http://127.0.0.1:{replica.app.metrics_port}/metrics", timeout=10).text
    assert 'genaifeedback_rpcs_total{code="OK",method="Chat"} 1.0' in text
    assert "genaifeedback_chats_started_total 1.0" in text
    for gauge in (
        "journal_traces",
        "journal_oldest_age_seconds",
        "feedback_pending",
        "exporter_backlog",
        "open_chat_streams",
    ):
        assert f"genaifeedback_{gauge} " in text


def test_an_answer_the_endpoint_filtered_ends_with_content_filter_not_stop(start_service, fake_openai, mlflow_client):
    fake_openai.finish_reason = "content_filter"
    replica = start_service(generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model")
    events = chat(replica, message="something filtered")
    finished = events[-1].finished
    assert finished.finish_reason == chat_pb2.FINISH_REASON_CONTENT_FILTER
    replica.wait_stored(finished.trace_id)
    assert mlflow_client.get_trace_info(finished.trace_id).tags["chat.finish_reason"] == "content_filter"


def test_an_endpoint_slower_than_its_timeout_is_generation_timeout_with_the_trace(start_service, fake_openai):
    fake_openai.chunk_delay = 3.0  # between chunks: longer than the read timeout below
    replica = start_service(
        generator="openai", openai_base_url=fake_openai.base_url, openai_model="fake-model", openai_timeout_seconds=0.5
    )
    call = replica.chat.Chat(chat_pb2.ChatRequest(message="slow model"), timeout=30)
    trace_id = next(call).started.trace_id
    with pytest.raises(grpc.RpcError) as failure:
        list(call)
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert error_reason(failure.value) == "GENERATION_TIMEOUT"
    assert details(failure.value, error_details_pb2.ErrorInfo).metadata["trace_id"] == trace_id
