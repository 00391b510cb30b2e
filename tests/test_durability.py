"""Nothing acknowledged is lost, nothing gets stuck: a killed replica, feedback that races its
trace to another replica, and MLflow failing in the ways that used to wedge the exporter. On both
setups (setups.py): a killed replica's work is delivered by itself restarted on SQLite, by the other
replicas on PostgreSQL.

Everything is real: service processes killed with SIGKILL, a real MLflow server (behind a
fault-injecting proxy where a fault is needed), and every check reads what MLflow stored.
"""

import concurrent.futures
import threading
import time
from collections import Counter

import grpc
import pytest

from genaifeedback.v1 import chat_pb2, feedback_pb2
from processes import FaultyProxy
from setups import *  # noqa: F403 - this module runs on both setups
from support import assessments

STORED = feedback_pb2.FEEDBACK_STATE_STORED
ACKNOWLEDGED = (feedback_pb2.FEEDBACK_STATE_PENDING, STORED)


def wait_in_mlflow(mlflow_client, trace_ids, timeout: float = 90) -> None:
    """Poll MLflow until it has every one of these traces (bounded)."""
    missing, give_up = set(trace_ids), time.monotonic() + timeout
    while missing:
        assert time.monotonic() < give_up, f"{len(missing)} acknowledged traces never reached MLflow"
        for trace_id in list(missing):
            try:
                mlflow_client.get_trace_info(trace_id)
                missing.discard(trace_id)
            except Exception:  # noqa: BLE001 - not there (yet)
                pass
        if missing:
            time.sleep(0.2)  # ok: polling MLflow until it has the traces (bounded above)


def retried_until_stored(replica, requests: list) -> list[feedback_pb2.SubmitFeedbackResponse]:
    """The same actions again, waiting for MLflow, 8 at a time as callers' retries would come: each is
    answered STORED (a retry records nothing new)."""

    def retry(request: feedback_pb2.SubmitFeedbackRequest) -> feedback_pb2.SubmitFeedbackResponse:
        request.wait_until_stored = True
        return replica.feedback.SubmitFeedback(request, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(retry, requests))
    assert [answer.state for answer in answers] == [STORED] * len(requests)
    return answers


@pytest.mark.slow  # a service process, killed
def test_a_replica_killed_under_load_delivers_everything_it_acknowledged(deployment, mlflow_client, tmp_path):
    """The load goes to the replica killed and, on PostgreSQL, in turn to the two others; whoever
    took over (setups.py) stores every acknowledged chat and feedback once."""
    replica = deployment.process(tmp_path / "replica", "killed").start()
    peers = deployment.peers("killed")
    chats: list[str] = []  # trace ids whose final event the caller received
    feedback: list[feedback_pb2.SubmitFeedbackRequest] = []  # acknowledged requests
    enough = threading.Event()

    def caller(worker: int) -> None:
        for n in range(10_000):
            target = [replica, *peers][(worker + n) % (1 + len(peers))]
            try:
                events = list(target.chat.Chat(chat_pb2.ChatRequest(message=f"question {worker}-{n}"), timeout=10))
                chats.append(events[-1].finished.trace_id)
                request = feedback_pb2.SubmitFeedbackRequest(
                    trace_id=chats[-1], bool_value=n % 2 == 0, request_id=f"vote-{worker}-{n}"
                )
                assert target.feedback.SubmitFeedback(request, timeout=10).state in ACKNOWLEDGED
                feedback.append(request)
            except grpc.RpcError:
                return  # the kill
            if len(chats) >= 150:
                enough.set()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        callers = [pool.submit(caller, worker) for worker in range(4)]
        assert enough.wait(120)
        replica.kill()
        for done in callers:
            done.result()
        replica.stop()

    with deployment.taking_over(replica, peers) as deliverer:
        retried_until_stored(deliverer, feedback)
        wait_in_mlflow(mlflow_client, chats)
        for request in feedback:
            [stored] = assessments(mlflow_client, request.trace_id)  # exactly once
            assert stored.value is request.bool_value


@pytest.mark.slow  # a long scenario: 12 s of chats and feedback across replicas
def test_feedback_sent_to_another_replica_at_each_final_event_lands(service, other_replica, mlflow_client):
    """200 chats at 20 per second on one replica; at each final event, feedback to the other one,
    half by trace id and half by client request id: all acknowledged, all stored once."""

    def chat_then_feedback(n: int) -> feedback_pb2.SubmitFeedbackRequest:
        events = list(
            service.chat.Chat(
                chat_pb2.ChatRequest(message=f"q{n}", client_request_id=f"x-{n}-{time.time_ns()}"), timeout=30
            )
        )
        finished = events[-1].finished
        target = {"trace_id": finished.trace_id} if n % 2 else {"client_request_id": finished.client_request_id}
        request = feedback_pb2.SubmitFeedbackRequest(number_value=n, name="score", request_id=f"cross-{n}", **target)
        assert other_replica.feedback.SubmitFeedback(request, timeout=30).state in ACKNOWLEDGED
        return request, finished.trace_id

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        sent = []
        for n in range(200):
            sent.append(pool.submit(chat_then_feedback, n))
            time.sleep(0.05)  # ok: pacing the load at 20 chats per second
        results = [f.result() for f in sent]

    retried_until_stored(other_replica, [request for request, _ in results])
    for request, trace_id in results:
        [stored] = assessments(mlflow_client, trace_id, "score")
        assert stored.value == request.number_value


@pytest.fixture
def proxy(mlflow_server):
    faulty = FaultyProxy(mlflow_server.url)
    yield faulty
    faulty.close()


@pytest.mark.parametrize("rater", ["", "user-1"])
def test_feedback_whose_write_answer_is_lost_is_stored_once_and_settles_stored(
    start_service, proxy, mlflow_client, rater
):
    """MLflow stores the assessment but its answer never arrives: the service finds it there and
    neither writes it twice (the guide's retries duplicate) nor mistakes it for a reused request id."""
    from support import new_trace

    replica = start_service(mlflow_tracking_uri=proxy.url)
    trace_id = new_trace(replica)
    proxy.fault = "lose-assessment-answers"
    source = feedback_pb2.FeedbackSource(type=feedback_pb2.SOURCE_TYPE_HUMAN, id=rater)
    request = feedback_pb2.SubmitFeedbackRequest(
        trace_id=trace_id, bool_value=True, source=source, request_id="answer-lost", wait_until_stored=True
    )
    reply = replica.feedback.SubmitFeedback(request, timeout=30)
    assert reply.state == STORED and proxy.faults_served >= 1
    [stored] = assessments(mlflow_client, trace_id)
    assert (stored.assessment_id, stored.value, stored.valid) == (reply.assessment_id, True, True)


@pytest.mark.slow  # a long scenario: batches held past the exporter timeout
def test_the_exporter_recovers_from_401_and_from_batches_slower_than_its_timeout(start_service, proxy, mlflow_client):
    replica = start_service(mlflow_tracking_uri=proxy.url, experiment_name="faults", mlflow_request_timeout_seconds=1)
    # An auth proxy answering 401 (an expired token): nothing is dropped, everything waits.
    proxy.fault = "401"
    during_401 = [
        c.trace_id
        for c in (
            replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message=f"m{n}"), timeout=30) for n in range(40)
        )
    ]
    assert proxy.faults_served > 0
    # Then MLflow takes longer than the request timeout for big batches (but stores them): the
    # exporter must split them, not resend the same batch forever.
    proxy.slow_seconds, proxy.big_batch_bytes, proxy.fault = 1.5, 8 * 1024, "slow-otlp-big"
    served_401 = proxy.faults_served
    for trace_id in during_401:
        replica.wait_stored(trace_id, timeout=120)
    assert proxy.faults_served > served_401  # big batches did time out
    proxy.fault = None
    after = replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="after"), timeout=30).trace_id
    replica.wait_stored(after)
    for trace_id in [*during_401, after]:
        assert mlflow_client.get_trace_info(trace_id).state.value == "OK"


def test_split_surrogate_pairs_from_a_generator_are_repaired_and_the_trace_stored(start_service, mlflow_client):
    replica = start_service(generator="callable", callable="scripted_generators:split_emoji")
    events = list(replica.chat.Chat(chat_pb2.ChatRequest(message="an emoji please"), timeout=30))
    text = "".join(e.token.text for e in events if e.WhichOneof("event") == "token")
    assert text == "smile 😀 and a stray \ufffd!"
    replica.wait_stored(events[-1].finished.trace_id)
    assert mlflow_client.get_trace(events[-1].finished.trace_id).data.spans[0].outputs == text


# Feedback to the chat's replica and another in turn (every other call goes to the chat's own).
@pytest.mark.parametrize(("deployment", "replicas"), [("sqlite", 2), ("postgres", 3)], indirect=["deployment"])
def test_mlflow_killed_under_load_and_back_10s_later_loses_nothing_and_no_feedback_call_fails(
    start_service, private_mlflow, replicas
):
    from mlflow.tracing.client import TracingClient

    mlflow = private_mlflow
    chat_replica = start_service(mlflow_tracking_uri=mlflow.url, experiment_name=f"outage-{replicas}")
    feedback_replicas = [chat_replica] + [
        start_service(mlflow_tracking_uri=mlflow.url, experiment_name=f"outage-{replicas}") for _ in range(replicas - 1)
    ]
    acknowledged: list[tuple[str, feedback_pb2.SubmitFeedbackRequest]] = []
    failures: list[grpc.RpcError] = []
    stop = threading.Event()

    def caller(worker: int) -> None:
        n = 0
        while not stop.is_set():
            events = list(chat_replica.chat.Chat(chat_pb2.ChatRequest(message=f"w{worker} q{n}"), timeout=30))
            trace_id = events[-1].finished.trace_id
            request = feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_id, bool_value=True, request_id=f"o-{worker}-{n}"
            )
            try:
                feedback_replicas[n % replicas].feedback.SubmitFeedback(request, timeout=5)
                acknowledged.append((trace_id, request))
            except grpc.RpcError as error:
                failures.append(error)
            n += 1
            time.sleep(0.1)  # ok: pacing the load

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        callers = [pool.submit(caller, worker) for worker in range(3)]
        time.sleep(2)  # ok: the scenario: load, then the crash
        mlflow.kill()
        time.sleep(10)  # ok: the scenario: a 10-second outage under load
        mlflow.start()
        time.sleep(2)  # ok: the scenario: load goes on after MLflow is back
        stop.set()
        for done in callers:
            done.result()

    assert failures == []
    client = TracingClient(mlflow.url)
    answers = retried_until_stored(feedback_replicas[0], [request for _, request in acknowledged])
    for (trace_id, _), answer in zip(acknowledged, answers, strict=True):
        assert [a.assessment_id for a in client.get_trace_info(trace_id).assessments] == [answer.assessment_id]
    for replica in feedback_replicas:
        replica.stop()
    mlflow.stop()


@pytest.mark.slow  # a service process, signalled
def test_sigterm_answers_every_feedback_call_it_took_and_delivers_it(deployment, mlflow_client, tmp_path):
    """SIGTERM under a feedback load (shared, on PostgreSQL, with two other replicas): calls already
    taken are answered (never CANCELLED) and their feedback lands; calls after that are refused
    (UNAVAILABLE) and store nothing."""
    replica = deployment.process(tmp_path / "replica", "sigterm", shutdown_grace_seconds=5).start()
    peers = deployment.peers("sigterm")
    trace_id = replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="rate me"), timeout=30).trace_id
    answered: dict[str, feedback_pb2.SubmitFeedbackRequest] = {}
    refused: list[grpc.StatusCode] = []
    underway = threading.Event()

    def caller(worker: int) -> None:
        for n in range(100_000):
            target = [replica, *peers][(worker + n) % (1 + len(peers))]
            request = feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_id, name=f"w{worker}", number_value=n, request_id=f"t-{worker}-{n}"
            )
            try:
                answered[target.feedback.SubmitFeedback(request, timeout=10).assessment_id] = request
            except grpc.RpcError as error:
                refused.append(error.code())
                return
            if len(answered) > 100:
                underway.set()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        callers = [pool.submit(caller, worker) for worker in range(4)]
        assert underway.wait(60)
        assert replica.terminate() == 0
        for done in callers:
            done.result()
        replica.stop()
    assert set(refused) == {grpc.StatusCode.UNAVAILABLE}  # never CANCELLED

    with deployment.taking_over(replica, peers) as deliverer:
        retried_until_stored(deliverer, list(answered.values()))
        stored = {a.assessment_id for a in assessments(mlflow_client, trace_id)}
        assert stored == set(answered)


# Below the 10 ms the service needs to journal feedback and answer in time (feedback.MIN_ACK_SECONDS),
# a call is refused before anything is journaled: whatever the load, it can only end DEADLINE_EXCEEDED.
TOO_SHORT_DEADLINES = [0.001 * ms for ms in range(1, 10)]


def test_under_tight_deadlines_the_status_and_what_mlflow_holds_agree(service, mlflow_client):
    """Feedback and ratings with deadlines from 1 to 9 ms, interleaved with ones given time: every
    tight call is DEADLINE_EXCEEDED and leaves nothing, not even its request id known; every other
    one is acknowledged and stored; and nothing else happens."""
    trace_id = service.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="rate me quickly"), timeout=30).trace_id
    service.wait_stored(trace_id)

    def request(n: int, wait: bool = False):
        if n % 2:
            return service.feedback.SubmitFeedback, feedback_pb2.SubmitFeedbackRequest(
                trace_id=trace_id, name="quick", number_value=n, request_id=f"dl-{n}", wait_until_stored=wait
            )
        ratings = [
            feedback_pb2.DimensionRating(name="speed", score=1 + n % 5),
            feedback_pb2.DimensionRating(name="care", score=3),
        ]
        return service.feedback.SubmitRatings, feedback_pb2.SubmitRatingsRequest(
            trace_id=trace_id, ratings=ratings, request_id=f"dl-{n}", wait_until_stored=wait
        )

    calls = range(120)
    tight = [n for n in calls if n % 6 < 4]  # both kinds of call, tight and not, interleaved
    for n in calls:
        call, sent = request(n)
        if n in tight:
            with pytest.raises(grpc.RpcError) as refused:
                call(sent, timeout=TOO_SHORT_DEADLINES[n % len(TOO_SHORT_DEADLINES)])
            assert refused.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, refused.value
        else:
            assert call(sent, timeout=30).state in ACKNOWLEDGED

    for n in tight:  # nothing was journaled under a tight call's request id, and nothing is in MLflow
        with pytest.raises(grpc.RpcError) as unknown:
            service.feedback.GetFeedbackStatus(
                feedback_pb2.GetFeedbackStatusRequest(trace_id=trace_id, request_id=f"dl-{n}"), timeout=30
            )
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND, unknown.value
    # Every acknowledged one lands: the same request again, waiting, is the same action.
    for n in calls:
        if n not in tight:
            call, again = request(n, wait=True)
            assert call(again, timeout=60).state == STORED
    stored = Counter((a.name, a.value) for a in assessments(mlflow_client, trace_id))
    expected: Counter = Counter()
    for n in calls:
        if n not in tight:
            expected.update([("quick", n)] if n % 2 else [("speed", 1 + n % 5), ("care", 3)])
    assert stored == expected  # nothing from a DEADLINE_EXCEEDED call, everything from an acknowledged one


def test_one_trace_mlflow_refuses_is_rejected_alone_and_its_batch_mates_are_stored(start_service, proxy, mlflow_client):
    """MLflow answers 400 for a whole batch when one span is bad: the exporter splits the batch
    until the bad trace is alone, drops that one (logged, counted), and stores all the others."""
    from support import error_reason, metric

    replica = start_service(mlflow_tracking_uri=proxy.url, experiment_name="reject")
    proxy.fault = "401"  # hold the exporter back, so that the chats below share one batch
    good = [
        replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message=f"fine {n}"), timeout=30).trace_id
        for n in range(7)
    ]
    bad = replica.chat.CompleteChat(chat_pb2.CompleteChatRequest(message="REJECT-ME please"), timeout=30).trace_id
    feedback = feedback_pb2.SubmitFeedbackRequest(trace_id=bad, bool_value=True, request_id="on-a-rejected-trace")
    assert replica.feedback.SubmitFeedback(feedback, timeout=10).state == feedback_pb2.FEEDBACK_STATE_PENDING
    proxy.fault = "reject-marked"
    for trace_id in good:
        replica.wait_stored(trace_id, timeout=60)
    with pytest.raises(AssertionError, match="MLflow rejected"):
        replica.wait_stored(bad, timeout=60)
    assert metric(replica, "genaifeedback_traces_rejected_total") == 1
    # The feedback on it is REJECTED, and a caller waiting for it hears why.
    feedback.wait_until_stored = True
    with pytest.raises(grpc.RpcError) as failure:
        replica.feedback.SubmitFeedback(feedback, timeout=30)
    assert error_reason(failure.value) == "MLFLOW_REJECTED"
    for trace_id in good:
        assert mlflow_client.get_trace_info(trace_id).state.value == "OK"
