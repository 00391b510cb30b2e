"""Rate limits (issue 17, item 5) against real services and a real MLflow: per principal and scope,
per feedback token user, per trace, and open streams per principal. A refusal is RESOURCE_EXHAUSTED
with RATE_LIMITED or TOO_MANY_STREAMS, RetryInfo and QuotaFailure, and changes nothing; honouring
its RetryInfo leads to success. Two principals come cheaply from mesh-linkerd's `l5d-client-id`.

Windows are seconds long so that honouring RetryInfo (the behaviour under test) stays short; the
limits that are not waited out are per minute, so that no window ends during a test."""

import asyncio
import shutil
import subprocess
import time
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2

import scripted_generators
from auth_support import error_info, journaled_units, refusal
from conftest import free_port
from genaifeedback.service.domain import rate_limits
from genaifeedback.service.domain.rate_limits import parse_limit
from genaifeedback.service.domain.window_counts import Refusal, Take, WindowCounts
from genaifeedback.service.process.config import Settings
from genaifeedback.service.transport.auth import policy as policy_file
from genaifeedback.v1 import analytics_pb2, chat_pb2, feedback_pb2
from support import assessments, chat, details, metric

pytestmark = pytest.mark.slow  # windows waited out, services started

L = 5
WINDOW_SECONDS = 2
ALICE, BOB, CAROL = "alice.web", "bob.web", "carol.web"
ALL_SCOPES = '["chat", "feedback:write", "feedback:read", "analytics:read"]'
RATE_LIMITED = "genaifeedback_rate_limited_total"
WATCH = "/genaifeedback.v1.FeedbackAnalyticsService/WatchFeedback"


def as_(principal: str) -> tuple[tuple[str, str], ...]:
    return (("l5d-client-id", principal),)


def write_policy(path, default_limits: str = "", own: dict[str, str] | None = None):
    lines = [f"[default]\nlimits = {{ {default_limits} }}"] if default_limits else []
    for principal in (ALICE, BOB, CAROL):
        lines.append(f'[principals."{principal}"]\nscopes = {ALL_SCOPES}')
        if own and principal in own:
            lines.append(f"limits = {{ {own[principal]} }}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def limited(start_service, tmp_path_factory):
    """feedback:write limited to L per WINDOW_SECONDS by [default]; carol has her own, tighter, limit."""
    policy = write_policy(
        tmp_path_factory.mktemp("policy") / "policy.toml",
        default_limits=f'"feedback:write" = "{L} per {WINDOW_SECONDS} seconds"',
        own={CAROL: '"feedback:write" = "1/minute"'},
    )
    return start_service(identity_mode="mesh-linkerd", policy_file=policy)


def vote(service, trace_id: str, principal: str, **fields) -> grpc.Future:
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id,
        name="user_feedback",
        bool_value=True,
        source=feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=f"user-{uuid.uuid4().hex[:8]}"),
        wait_until_stored=True,
        **{"request_id": str(uuid.uuid4()), **fields},
    )
    return service.feedback.SubmitFeedback.future(request, metadata=as_(principal), timeout=60)


def chat_as(service, principal: str) -> str:
    """A finished chat's trace id, stored in MLflow."""
    request = chat_pb2.ChatRequest(message="What is MLflow?")
    trace_id = list(service.chat.Chat(request, metadata=as_(principal), timeout=60))[-1].finished.trace_id
    service.wait_stored(trace_id)
    return trace_id


def outcome(future: grpc.Future):
    try:
        return future.result()
    except grpc.RpcError as error:
        return error


def check_refusal(error: grpc.RpcError, reason: str, subject: str, limit: str) -> float:
    """The refusal's RetryInfo delay in seconds, after checking what it carries."""
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    info = error_info(error)
    assert (info.reason, info.metadata["subject"]) == (reason, subject)
    quota = details(error, error_details_pb2.QuotaFailure)
    assert [(v.subject, v.description) for v in quota.violations] == [(subject, info.metadata["limit"])]
    assert limit in info.metadata["limit"]
    retry = details(error, error_details_pb2.RetryInfo)
    assert retry is not None
    return retry.retry_delay.ToTimedelta().total_seconds()


def test_a_burst_of_2l_lets_exactly_l_through_and_each_refusal_honoured_succeeds(limited, mlflow_client):
    trace_id = chat_as(limited, ALICE)
    units, refused_before = journaled_units(limited), metric(limited, RATE_LIMITED, limit="principal")
    answered: dict[grpc.Future, float] = {}  # when each reply came: RetryInfo counts from then
    burst = [vote(limited, trace_id, ALICE) for _ in range(2 * L)]  # all sent at once
    for future in burst:
        future.add_done_callback(lambda done: answered.setdefault(done, time.monotonic()))
    replies = [(outcome(future), future) for future in burst]
    accepted = [reply for reply, _ in replies if not isinstance(reply, grpc.RpcError)]
    refused = [(error, future) for error, future in replies if isinstance(error, grpc.RpcError)]
    assert len(accepted) == L and len(refused) == L
    assert metric(limited, RATE_LIMITED, limit="principal") == refused_before + L
    limit = f"{L} per {WINDOW_SECONDS} second under feedback:write"
    delays = [check_refusal(error, "RATE_LIMITED", f"principal:{ALICE}", limit) for error, _ in refused]
    assert all(0 < delay <= WINDOW_SECONDS for delay in delays)
    # The refusals changed nothing: only the accepted votes are journaled, and only they are in MLflow.
    assert journaled_units(limited) == units + L
    assert len(assessments(mlflow_client, trace_id, "user_feedback")) == L

    # A second principal has a window of its own.
    assert all(not isinstance(outcome(f), grpc.RpcError) for f in [vote(limited, trace_id, BOB) for _ in range(L)])

    # Honouring each refusal's RetryInfo (waiting it out from when the refusal came) leads to success.
    for (_, future), delay in zip(refused, delays, strict=True):
        time.sleep(max(0.0, answered[future] + delay - time.monotonic()))  # ok: RetryInfo is under test
        retried = outcome(vote(limited, trace_id, ALICE))
        assert not isinstance(retried, grpc.RpcError), retried
        assert retried.state == feedback_pb2.FEEDBACK_STATE_STORED
    assert len(assessments(mlflow_client, trace_id, "user_feedback")) == 3 * L


def test_a_principals_own_limit_overrides_the_default_and_comes_before_validation(limited):
    trace_id = chat_as(limited, CAROL)
    assert not isinstance(outcome(vote(limited, trace_id, CAROL)), grpc.RpcError)
    limit = "1 per 1 minute under feedback:write"
    check_refusal(outcome(vote(limited, trace_id, CAROL)), "RATE_LIMITED", f"principal:{CAROL}", limit)
    # Over the limit, an invalid request is refused for the limit: it is not even looked at.
    check_refusal(outcome(vote(limited, "", CAROL)), "RATE_LIMITED", f"principal:{CAROL}", limit)
    # The other scopes have no limit in this policy.
    for _ in range(2 * L):
        limited.feedback.ListFeedbackSchemas(feedback_pb2.ListFeedbackSchemasRequest(), metadata=as_(CAROL))


@pytest.fixture(scope="module")
def token_limited(start_service, tmp_path_factory):
    keys = tmp_path_factory.mktemp("keys") / "keys.json"
    keys.write_text('{"keys": [{"id": "k1", "secret": "' + "s" * 40 + '"}]}')
    return start_service(
        feedback_token_keys_file=keys, rate_limit_per_token_user="2/minute", rate_limit_per_trace="3/minute"
    )


def token_vote(service, trace_id: str, token: str):
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, bool_value=True, feedback_token=token, request_id=str(uuid.uuid4())
    )
    try:
        return service.feedback.SubmitFeedback(request, timeout=60)
    except grpc.RpcError as error:
        return error


def test_per_token_user_and_per_trace_limits(token_limited):
    service, user = token_limited, f"user-{uuid.uuid4().hex[:8]}"
    first = chat(service, user_id=user)[-1].finished
    second = chat(service, user_id=user)[-1].finished
    assert not isinstance(token_vote(service, first.trace_id, first.feedback_token), grpc.RpcError)
    assert not isinstance(token_vote(service, first.trace_id, first.feedback_token), grpc.RpcError)
    units = journaled_units(service)
    # The user's third write in the window is refused, on whichever trace, and counts nowhere.
    over = token_vote(service, second.trace_id, second.feedback_token)
    check_refusal(over, "RATE_LIMITED", f"user:{user}", "2 per 1 minute feedback writes by this feedback token user")
    assert journaled_units(service) == units

    # Other users on the first trace: its third write passes, its fourth does not.
    tokens = [
        service.feedback.CreateFeedbackToken(
            feedback_pb2.CreateFeedbackTokenRequest(trace_id=first.trace_id, user_id=f"other-{uuid.uuid4().hex[:8]}"),
            timeout=60,
        ).feedback_token
        for _ in range(2)
    ]
    assert not isinstance(token_vote(service, first.trace_id, tokens[0]), grpc.RpcError)
    over = token_vote(service, first.trace_id, tokens[1])
    check_refusal(over, "RATE_LIMITED", f"trace:{first.trace_id}", "3 per 1 minute feedback writes on this trace")
    assert journaled_units(service) == units + 1
    # The refused user's write did not count against the second trace: three writes still fit there.
    for _ in range(3):
        request = feedback_pb2.SubmitFeedbackRequest(
            trace_id=second.trace_id, bool_value=False, request_id=str(uuid.uuid4())
        )
        service.feedback.SubmitFeedback(request, timeout=60)
    assert metric(service, RATE_LIMITED, limit="user") == 1
    assert metric(service, RATE_LIMITED, limit="trace") == 1


@pytest.fixture(scope="module")
def capped(start_service, tmp_path_factory):
    policy = write_policy(tmp_path_factory.mktemp("streams") / "policy.toml")
    return start_service(
        identity_mode="mesh-linkerd",
        policy_file=policy,
        max_open_streams_per_principal=2,
        generator="callable",
        callable="scripted_generators:on_demand",
    )


def open_chat(service, principal: str):
    message = f"hold {uuid.uuid4()}"
    stream = service.chat.Chat(chat_pb2.ChatRequest(message=message), metadata=as_(principal), timeout=60)
    return stream, scripted_generators.on_demand_chat(message)


def test_open_streams_per_principal_are_capped(capped):
    held = [open_chat(capped, ALICE) for _ in range(2)]  # both generators run: both slots are held
    third = capped.chat.Chat(chat_pb2.ChatRequest(message="one too many"), metadata=as_(ALICE), timeout=60)
    with pytest.raises(grpc.RpcError) as refused:
        list(third)
    delay = check_refusal(refused.value, "TOO_MANY_STREAMS", f"principal:{ALICE}", "2 open Chat and WatchFeedback")
    assert delay > 0
    watching = refusal(capped.channel, WATCH, analytics_pb2.WatchFeedbackRequest(), as_(ALICE))
    assert error_info(watching).reason == "TOO_MANY_STREAMS"  # the same cap covers WatchFeedback

    bob_stream, bob_model = open_chat(capped, BOB)  # another principal is unaffected
    bob_model.end()
    assert list(bob_stream)[-1].WhichOneof("event") == "finished"

    stream, model = held.pop()
    model.end()
    assert list(stream)[-1].WhichOneof("event") == "finished"  # its slot is free once it has ended
    again, again_model = open_chat(capped, ALICE)
    for stream, model in [*held, (again, again_model)]:
        model.end()
        assert list(stream)[-1].WhichOneof("event") == "finished"
    assert metric(capped, RATE_LIMITED, limit="streams") == 2


@pytest.fixture(scope="module")
def redis_uri(tmp_path_factory):
    """A throwaway Redis on a free loopback port (Debian's redis-server, which `make test` installs)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("no redis-server here: `make test` installs it (apt-get install redis-server)")
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    command = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen([*command, "--dir", str(folder)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:  # its own word that it serves, rather than polling it
        if "Ready to accept connections" in line:
            break
    else:
        pytest.fail(f"redis-server exited with {process.wait()}")
    yield process, f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def test_replicas_sharing_redis_enforce_one_limit_and_let_calls_through_if_it_fails(start_service, redis_uri, tmp_path):
    process, uri = redis_uri
    policy = write_policy(tmp_path / "policy.toml", default_limits=f'"feedback:write" = "{L}/minute"')
    replicas = [
        start_service(identity_mode="mesh-linkerd", policy_file=policy, rate_limit_storage_uri=uri) for _ in range(2)
    ]
    trace_id = chat_as(replicas[0], ALICE)
    burst = [vote(replicas[i % 2], trace_id, ALICE) for i in range(2 * L)]  # spread over both replicas
    replies = [outcome(future) for future in burst]
    assert sum(not isinstance(reply, grpc.RpcError) for reply in replies) == L  # one limit, not one per replica
    refused = [reply for reply in replies if isinstance(reply, grpc.RpcError)]
    delays = [check_refusal(e, "RATE_LIMITED", f"principal:{ALICE}", f"{L} per 1 minute") for e in refused]
    assert all(0 < delay <= 60 for delay in delays)

    # Redis gone: limits must not take the service down with them, calls are let through.
    process.terminate()
    process.wait(10)
    assert not isinstance(outcome(vote(replicas[1], trace_id, ALICE)), grpc.RpcError)


def test_settings_and_policy_refuse_bad_limits(tmp_path):
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(rate_limit_per_trace="lots")
    with pytest.raises(ValueError, match="redis://"):
        Settings(rate_limit_storage_uri="memcached://127.0.0.1:11211")
    assert Settings(rate_limit_storage_uri="redis://127.0.0.1:6379/0").rate_limit_storage_uri.startswith("redis")
    with pytest.raises(policy_file.PolicyFileError, match="not a rate limit"):
        policy_file.load(write_policy(tmp_path / "p.toml", default_limits='chat = "often"'))
    with pytest.raises(policy_file.PolicyFileError, match="limits"):
        policy_file.load(write_policy(tmp_path / "q.toml", default_limits='"no:such-scope" = "1/second"'))
    assert rate_limits.build(Settings(), None, None) is None  # type: ignore[arg-type]  # nothing configured


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_window_counts_free_a_window_at_its_end_and_hold_only_open_windows():
    asyncio.run(window_counts_scenario())


async def window_counts_scenario() -> None:
    clock = Clock()
    counts = WindowCounts(clock)
    three_per_minute = parse_limit("3/minute")

    def take(*keys: str) -> list[Take]:
        return [(three_per_minute, (key,)) for key in keys]

    assert [await counts.take(take("alice")) for _ in range(4)] == [None, None, None, Refusal(0, clock.now + 60)]
    clock.now += 30
    assert await counts.take(take("bob")) is None  # bob's window starts now, 30 s after alice's
    # alice's end is the RetryInfo refused callers get; a refused take counts nothing, not even bob
    assert await counts.take(take("bob", "alice")) == Refusal(1, clock.now + 30)
    assert [await counts.take(take("bob")) for _ in range(3)] == [None, None, Refusal(0, clock.now + 60)]

    clock.now += 30  # alice's window has ended; bob's has not
    assert await counts.take(take("bob")) == Refusal(0, clock.now + 30)
    assert await counts.take(take("alice")) is None  # a new window: one hit in it
    assert [await counts.take(take("alice")) for _ in range(3)] == [None, None, Refusal(0, clock.now + 60)]

    # Thousands of one-off keys (per trace) are dropped once their windows end, not kept.
    for n in range(5000):
        await counts.take(take(f"trace-{n}"))
    assert len(counts) == 5002
    clock.now += 61
    await counts.take(take("carol"))
    assert len(counts) == 1
